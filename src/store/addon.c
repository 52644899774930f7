/*
 * The store as an addon (mitmproxy's View event handlers and options): a
 * flow is added at its first hook (requestheaders, tcp_start,
 * dns_request) and updated at every later one, and the view options are
 * read in configure. mitmproxy's View listens to fewer hooks (no request,
 * responseheaders or websocket_*); the UIs here get those updates too.
 *
 * The options are registered at run time, as View.load() does, so that
 * mitmdump, which has no store, lists and takes exactly mitmdump 8.1.1's.
 */
#include <stdlib.h>
#include <string.h>

#include "options/opt.h"
#include "store/internal.h"
#include "util/xmalloc.h"

static enum addon_result
on_add(struct addon *a, struct hook_call *call)
{
    if (call->data->flow)
        store_add((struct store *)a, call->data->flow);
    return ADDON_CONTINUE;
}

static enum addon_result
on_update(struct addon *a, struct hook_call *call)
{
    if (call->data->flow)
        store_update((struct store *)a, call->data->flow);
    return ADDON_CONTINUE;
}

/* The store's options, found once registered (store_register_options()). */
static const struct opt_info *
opt(const char *name)
{
    return opt_find(name);
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct store *s = (struct store *)a;
    const struct opt_info *budget = opt("store_memory_budget"), *filter = opt("view_filter"),
                          *order = opt("view_order"), *rev = opt("view_order_reversed"),
                          *follow = opt("console_focus_follow");
    int rc;
    if (budget && opt_changed(updated, budget->index)) {
        const char *v = opt_get_str(o, budget);
        struct err se = {0};
        int64_t n = opt_parse_size(v ? v : "", &se);
        if (n <= 0)
            return err_set(e, MP_ERR_INVAL, "store_memory_budget: invalid size '%s'", v ? v : "");
        store__blog_set_budget(&s->log, (uint64_t)n);
        s->cfg.memory_budget = (uint64_t)n;
    }
    /* mitmproxy's View.configure(): the filter, then the order. */
    if (filter && opt_changed(updated, filter->index) &&
        (rc = store_set_filter(s, opt_get_str(o, filter), e)) < 0)
        return rc;
    if (order && opt_changed(updated, order->index) &&
        (rc = store_set_order(s, opt_get_str(o, order), e)) < 0)
        return rc;
    if (rev && opt_changed(updated, rev->index) && opt_get_bool(o, rev) != store_reversed(s))
        store_set_reversed(s, opt_get_bool(o, rev));
    if (follow && opt_changed(updated, follow->index))
        store_set_focus_follow(s, opt_get_bool(o, follow));
    return 0;
}

/* mitmproxy's update hook: flows a command or a UI changed. */
static enum addon_result
on_flows_update(struct addon *a, struct hook_call *call)
{
    for (size_t i = 0; i < call->data->nflows; i++)
        store_update((struct store *)a, call->data->flows[i]);
    return ADDON_CONTINUE;
}

static int
commands(struct addon *a, struct cmds *c, struct err *e)
{
    return store_register_commands((struct store *)a, c, e);
}

/* Shutting down: no load goes on, no worker posts to a loop about to go. */
static void
done(struct addon *a)
{
    struct store *s = (struct store *)a;
    store__loads_cancel(s);
    store__pool_free(s->pool);
    s->pool = store__pool_new(0, NULL, NULL);
}

static void
addon_free(struct addon *a)
{
    store_free((struct store *)a);
}

const struct addon_ops store__addon_ops = {
    .name = "view",
    .configure = configure,
    .commands = commands,
    .done = done,
    .free = addon_free,
    .hooks =
        {
            [HOOK_REQUESTHEADERS] = on_add,
            [HOOK_REQUEST] = on_update,
            [HOOK_RESPONSEHEADERS] = on_update,
            [HOOK_RESPONSE] = on_update,
            [HOOK_ERROR] = on_update,
            [HOOK_WEBSOCKET_START] = on_update,
            [HOOK_WEBSOCKET_MESSAGE] = on_update,
            [HOOK_WEBSOCKET_END] = on_update,
            [HOOK_TCP_START] = on_add,
            [HOOK_TCP_MESSAGE] = on_update,
            [HOOK_TCP_END] = on_update,
            [HOOK_TCP_ERROR] = on_update,
            [HOOK_DNS_REQUEST] = on_add,
            [HOOK_DNS_RESPONSE] = on_update,
            [HOOK_DNS_ERROR] = on_update,
            [HOOK_UPDATE] = on_flows_update,
        },
};

struct addon *
store_addon(struct store *s)
{
    return &s->addon;
}

int
store_register_options(struct err *e)
{
    static const struct {
        const char *name;
        enum opt_type type;
        const char *def, *choices, *help;
    } opts[] = {
        {"view_filter", OPT_OPTSTR, NULL, NULL, "Limit the view to matching flows."},
        {"view_order", OPT_STR, "time", "time|method|url|size", "Flow sort order."},
        {"view_order_reversed", OPT_BOOL, "false", NULL, "Reverse the sorting order."},
        {"console_focus_follow", OPT_BOOL, "false", NULL, "Focus follows new flows."},
        {"store_memory_budget", OPT_STR, "256m", NULL,
         "Bytes of flow bodies the flow store keeps in memory; older ones move to a temporary "
         "file and are read back when needed. Understands k/m/g suffixes, i.e. 3m for 3 "
         "megabytes."},
    };
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (opt_register(opts[i].name, opts[i].type, opts[i].def, opts[i].choices, opts[i].help,
                         e) < 0)
            return e && e->code ? e->code : MP_ERR_INVAL;
    return 0;
}
