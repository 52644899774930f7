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

/*
 * A registered option's value as --options prints it (the options module
 * has no reader for those): YAML plain or single-quoted. NULL when the
 * option does not exist or is None. Malloc'd.
 */
static char *
opt_text(const struct options *o, const char *name, int *exists)
{
    const struct opt_info *info = opt_find(name);
    *exists = info != NULL;
    if (info == NULL)
        return NULL;
    char text[4096];
    opt_format_value(o, info, text, sizeof(text));
    size_t n = strlen(text);
    if (n == 0)
        return info->type == OPT_OPTSTR ? NULL : xstrdup("");
    if (n >= 2 && text[0] == '\'' && text[n - 1] == '\'') {
        char *out = xmalloc(n), *w = out;
        for (size_t i = 1; i + 1 < n; i++) {
            *w++ = text[i];
            if (text[i] == '\'' && text[i + 1] == '\'')
                i++;
        }
        *w = '\0';
        return out;
    }
    return xstrdup(text);
}

static int
changed(const struct opt_changes *updated, const char *name)
{
    return updated == NULL || opt_changed_name(updated, name);
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct store *s = (struct store *)a;
    int exists, rc = 0;
    char *v;
    if (changed(updated, "store_memory_budget")) {
        v = opt_text(o, "store_memory_budget", &exists);
        if (exists) {
            struct err se = {0};
            int64_t n = opt_parse_size(v ? v : "", &se);
            if (n <= 0)
                rc = err_set(e, MP_ERR_INVAL, "store_memory_budget: invalid size '%s'",
                             v ? v : "");
            else
                store__blog_set_budget(&s->log, (uint64_t)n), s->cfg.memory_budget = (uint64_t)n;
        }
        free(v);
        if (rc < 0)
            return rc;
    }
    if (changed(updated, "view_filter")) {
        v = opt_text(o, "view_filter", &exists);
        if (exists)
            rc = store_set_filter(s, v, e);
        free(v);
        if (rc < 0)
            return rc;
    }
    if (changed(updated, "view_order")) {
        v = opt_text(o, "view_order", &exists);
        if (exists)
            rc = store_set_order(s, v ? v : "", e);
        free(v);
        if (rc < 0)
            return rc;
    }
    if (changed(updated, "view_order_reversed")) {
        v = opt_text(o, "view_order_reversed", &exists);
        if (exists)
            store_set_reversed(s, v && strcmp(v, "true") == 0);
        free(v);
    }
    if (changed(updated, "console_focus_follow")) {
        v = opt_text(o, "console_focus_follow", &exists);
        if (exists)
            store_set_focus_follow(s, v && strcmp(v, "true") == 0);
        free(v);
    }
    return 0;
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
