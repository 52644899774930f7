/*
 * The anticache addon: with the anticache option, strips the request
 * headers that let a server answer "304 Not Modified", so that the whole
 * exchange is captured (mitmproxy's Request.anticache()).
 */
#include <stdlib.h>

#include "addons/traffic.h"
#include "flow/flow.h"
#include "http/headers.h"
#include "options/opt.h"
#include "util/xmalloc.h"

struct anticache {
    struct addon base;
    int enabled;
};

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    (void)e;
    ((struct anticache *)a)->enabled = o->anticache;
    return 0;
}

static enum addon_result
on_request(struct addon *a, struct hook_call *call)
{
    struct flow *f = call->data->flow;
    if (((struct anticache *)a)->enabled && f && f->request) {
        hdrs_remove(&f->request->headers, "if-modified-since");
        hdrs_remove(&f->request->headers, "if-none-match");
    }
    return ADDON_CONTINUE;
}

static void
anticache_free(struct addon *a)
{
    free(a);
}

/* anticache changes the request of every flow, a loaded one too. */
static int
acts_on_loaded(struct addon *a)
{
    const struct anticache *x = (const struct anticache *)a;
    return x->enabled;
}

static const struct addon_ops anticache_ops = {
    .name = "anticache",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = anticache_free,
    .hooks = {[HOOK_REQUEST] = on_request},
};

struct addon *
addon_anticache_new(void)
{
    struct anticache *ac = xcalloc(1, sizeof(*ac));
    ac->base.ops = &anticache_ops;
    return &ac->base;
}
