/*
 * The intercept addon (mitmproxy's addons/intercept.py): flows that match
 * the `intercept` filter while `intercept_active` is on are intercepted at
 * their request, response, TCP or WebSocket message and wait until a
 * command (flow.resume, flow.kill) or a UI lets them go. Replayed flows
 * are never intercepted. Beyond mitmproxy: a WebSocket message is held as
 * a TCP message is (mitmproxy #5432), so it can be edited before it goes.
 *
 * The options belong to the interactive tools, so the addon registers them
 * itself (mitmdump, which has no intercept addon, does not list them).
 */
#include <stdlib.h>

#include "addons/intercept.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "util/log.h"
#include "util/xmalloc.h"

struct intercept {
    struct addon base;
    const struct opt_info *opt_filter; /* "intercept" */
    const struct opt_info *opt_active; /* "intercept_active" */
    struct filt *filt;                 /* owned; NULL when no filter is set */
    int active;
};

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct intercept *x = (struct intercept *)a;
    if (opt_changed(updated, x->opt_filter->index)) {
        const char *expr = opt_get_str(o, x->opt_filter);
        struct filt *f = NULL;
        if (expr && *expr && (f = filt_compile(expr, e)) == NULL)
            return MP_ERR_SYNTAX;
        filt_free(x->filt);
        x->filt = f;
    }
    x->active = opt_get_bool(o, x->opt_active);
    return 0;
}

static enum addon_result
process(struct addon *a, struct hook_call *call)
{
    struct intercept *x = (struct intercept *)a;
    struct flow *f = call->data->flow;
    if (f && x->active && x->filt && f->is_replay == NULL && filt_match(x->filt, f))
        flow_intercept(f);
    return ADDON_CONTINUE;
}

static void
intercept_free(struct addon *a)
{
    struct intercept *x = (struct intercept *)a;
    filt_free(x->filt);
    free(x);
}

/* 8.1.1 intercepts loaded flows too (Master.load_flow runs the hooks). */
static int
acts_on_loaded(struct addon *a)
{
    const struct intercept *x = (const struct intercept *)a;
    return x->active && x->filt != NULL;
}

static const struct addon_ops intercept_ops = {
    .name = "intercept",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = intercept_free,
    .hooks =
        {
            [HOOK_REQUEST] = process,
            [HOOK_RESPONSE] = process,
            [HOOK_TCP_MESSAGE] = process,
            [HOOK_WEBSOCKET_MESSAGE] = process,
            [HOOK_DNS_REQUEST] = process,
            [HOOK_DNS_RESPONSE] = process,
        },
};

struct addon *
addon_intercept_new(void)
{
    struct intercept *x = xcalloc(1, sizeof(*x));
    x->base.ops = &intercept_ops;
    struct err e = {0};
    /* mitmproxy's names, types, defaults and help. */
    if (opt_register("intercept_active", OPT_BOOL, NULL, NULL, "Intercept toggle", &e) < 0 ||
        opt_register("intercept", OPT_OPTSTR, NULL, NULL, "Intercept filter expression.", &e) <
            0)
        fatalx("cannot register the intercept options: %s", e.msg);
    x->opt_filter = opt_find("intercept");
    x->opt_active = opt_find("intercept_active");
    return &x->base;
}
