/*
 * The anticomp addon: with the anticomp option, asks servers for
 * uncompressed bodies (mitmproxy's Request.anticomp()). The header is set
 * under the lower-case name, as mitmproxy's Headers does when it appends.
 */
#include <stdlib.h>

#include "addons/traffic.h"
#include "flow/flow.h"
#include "http/headers.h"
#include "options/opt.h"
#include "util/xmalloc.h"

struct anticomp {
    struct addon base;
    int enabled;
};

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    (void)e;
    ((struct anticomp *)a)->enabled = o->anticomp;
    return 0;
}

static enum addon_result
on_request(struct addon *a, struct hook_call *call)
{
    struct flow *f = call->data->flow;
    if (((struct anticomp *)a)->enabled && f && f->request)
        hdrs_set_cstr(&f->request->headers, "accept-encoding", "identity");
    return ADDON_CONTINUE;
}

static void
anticomp_free(struct addon *a)
{
    free(a);
}

/* anticomp changes the request of every flow, a loaded one too. */
static int
acts_on_loaded(struct addon *a)
{
    const struct anticomp *x = (const struct anticomp *)a;
    return x->enabled;
}

static const struct addon_ops anticomp_ops = {
    .name = "anticomp",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = anticomp_free,
    .hooks = {[HOOK_REQUEST] = on_request},
};

struct addon *
addon_anticomp_new(void)
{
    struct anticomp *ac = xcalloc(1, sizeof(*ac));
    ac->base.ops = &anticomp_ops;
    return &ac->base;
}
