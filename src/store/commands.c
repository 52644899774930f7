/*
 * The view.* commands of mitmproxy 8.1.1 (addons/view.py), with its names,
 * signatures, help and errors, and the flow-spec resolver every flow[]
 * parameter goes through (view.flows.resolve).
 */
#include <stdlib.h>
#include <string.h>

#include "addons/map_remote.h"
#include "commands/commands.h"
#include "flow/connection.h"
#include "store/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* ---- the resolver ------------------------------------------------------- */

static void
push(struct cmds_flows *out, struct flow *f)
{
    out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
    out->v[out->n++] = flow_ref(f);
}

/* The flows of these slots, in order, one reference each. */
static void
collect(struct store *s, const uint32_t *slots, size_t n, struct cmds_flows *out)
{
    for (size_t i = 0; i < n; i++) {
        struct flow *f = store__flow(s, slots[i], NULL);
        if (f)
            push(out, f);
    }
}

/* re.match(r"@[0-9a-f\-,]{36,}", spec) */
static int
is_id_list(const char *spec)
{
    if (spec[0] != '@')
        return 0;
    size_t n = strspn(spec + 1, "0123456789abcdef-,");
    return n >= 36;
}

int
store_resolve(struct store *s, const char *spec, struct cmds_flows *out, struct err *e)
{
    out->v = NULL;
    out->n = 0;
    uint32_t *slots = xmalloc((s->nrows ? s->nrows : 1) * sizeof(*slots));
    size_t n = 0;
    int rc = 0;
    if (strcmp(spec, "@all") == 0 || strcmp(spec, "@hidden") == 0 ||
        strcmp(spec, "@marked") == 0 || strcmp(spec, "@unmarked") == 0) {
        for (size_t i = 0; i < s->nrows; i++) {
            const struct row *r = &s->rows[i];
            if (r->flags & RF_DEAD)
                continue;
            int take = spec[1] == 'a' || (spec[1] == 'h' && !(r->flags & RF_SHOWN)) ||
                       (spec[1] == 'm' && r->str[S_MARKED] != 0) ||
                       (spec[1] == 'u' && r->str[S_MARKED] == 0);
            if (take)
                slots[n++] = (uint32_t)i;
        }
    } else if (strcmp(spec, "@focus") == 0) {
        if (s->focus)
            slots[n++] = s->focus - 1;
    } else if (strcmp(spec, "@shown") == 0) {
        for (size_t i = 0; i < s->view.len; i++)
            slots[n++] = store__view_at(s, i);
    } else if (is_id_list(spec)) {
        /* ids = flow_spec[1:].split(","): in store order, each once. */
        char *ids = xstrdup(spec + 1);
        uint8_t *want = xcalloc(s->nrows ? s->nrows : 1, 1);
        for (char *save = NULL, *t = strtok_r(ids, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            long slot = store__find(s, t);
            if (slot >= 0)
                want[slot] = 1;
        }
        for (size_t i = 0; i < s->nrows; i++)
            if (want[i])
                slots[n++] = (uint32_t)i;
        free(want);
        free(ids);
    } else {
        struct err fe = {0};
        struct filt *flt = filt_compile(spec, &fe);
        if (flt == NULL) {
            store__filter_error(spec, e);
            rc = MP_ERR_SYNTAX;
        } else {
            for (size_t i = 0; i < s->nrows; i++)
                if (!(s->rows[i].flags & RF_DEAD))
                    slots[n++] = (uint32_t)i;
            n = store__keep_matching(s, flt, store__filter_needs(flt), slots, n);
            filt_free(flt);
        }
    }
    if (rc == 0)
        collect(s, slots, n, out);
    free(slots);
    store__sweep(s, 8);
    return rc;
}

static int
resolver(void *arg, const char *spec, struct cmds_flows *out, struct err *e)
{
    return store_resolve(arg, spec, out, e);
}

/* ---- the commands ------------------------------------------------------- */

static const struct cmds_value *
arg(struct cmds_call *c, size_t i)
{
    return cmds_arg(c, i);
}

static int
focus_go(void *a, struct cmds_call *c, struct err *e)
{
    store_focus_go(a, arg(c, 0)->i);
    return 0;
}

static int
focus_next(void *a, struct cmds_call *c, struct err *e)
{
    store_focus_next(a);
    return 0;
}

static int
focus_prev(void *a, struct cmds_call *c, struct err *e)
{
    store_focus_prev(a);
    return 0;
}

static int
order_options(void *a, struct cmds_call *c, struct err *e)
{
    /* list(sorted(self.orders.keys())) */
    struct strv sv = {0};
    strv_push(&sv, "method");
    strv_push(&sv, "size");
    strv_push(&sv, "time");
    strv_push(&sv, "url");
    cmds_return_strs(c, &sv);
    return 0;
}

static int
order_reverse(void *a, struct cmds_call *c, struct err *e)
{
    store_set_reversed(a, arg(c, 0)->b);
    return 0;
}

static int
order_set(void *a, struct cmds_call *c, struct err *e)
{
    return store_set_order(a, arg(c, 0)->s, e);
}

static int
order_get(void *a, struct cmds_call *c, struct err *e)
{
    cmds_return_str(c, store_order_name(store_get_order(a)));
    return 0;
}

static int
filter_set(void *a, struct cmds_call *c, struct err *e)
{
    return store_set_filter(a, arg(c, 0)->s, e);
}

static int
clear(void *a, struct cmds_call *c, struct err *e)
{
    store_clear(a);
    return 0;
}

static int
clear_unmarked(void *a, struct cmds_call *c, struct err *e)
{
    store_clear_unmarked(a);
    return 0;
}

static int
settings_getval(void *a, struct cmds_call *c, struct err *e)
{
    const char *v = store_setting(a, arg(c, 0)->flow->id, arg(c, 1)->s);
    cmds_return_str(c, v ? v : arg(c, 2)->s);
    return 0;
}

/* Settings changed: mitmproxy triggers the update hook; the view follows. */
static void
updated(struct store *s, const struct cmds_flows *fl)
{
    for (size_t i = 0; i < fl->n; i++)
        store_update(s, fl->v[i]);
}

static int
settings_toggle(void *a, struct cmds_call *c, struct err *e)
{
    const struct cmds_flows *fl = &arg(c, 0)->flows;
    const char *key = arg(c, 1)->s;
    for (size_t i = 0; i < fl->n; i++) {
        /* 8.1.1 reads the literal key "key" here (a slip: the toggle then
         * never turns off); the key given is what the docs mean. */
        const char *cur = store_setting(a, fl->v[i]->id, key);
        store_set_setting(a, fl->v[i]->id, key, cur && strcmp(cur, "true") == 0 ? "false" : "true");
    }
    updated(a, fl);
    return 0;
}

static int
settings_setval(void *a, struct cmds_call *c, struct err *e)
{
    const struct cmds_flows *fl = &arg(c, 0)->flows;
    for (size_t i = 0; i < fl->n; i++)
        store_set_setting(a, fl->v[i]->id, arg(c, 1)->s, arg(c, 2)->s);
    updated(a, fl);
    return 0;
}

static int
flows_duplicate(void *a, struct cmds_call *c, struct err *e)
{
    struct store *s = a;
    const struct cmds_flows *fl = &arg(c, 0)->flows;
    if (fl->n == 0)
        return 0;
    char first[UUID_STR_LEN] = "";
    for (size_t i = 0; i < fl->n; i++) {
        struct flow *d = flow_copy(fl->v[i]);
        if (i == 0)
            memcpy(first, d->id, UUID_STR_LEN);
        store_add(s, d);
        flow_unref(d);
    }
    /* Focus.flow refuses a flow the filter hides. */
    store_set_focus(s, first);
    log_msg(LOG_ALERT, "Duplicated %zu flows", fl->n);
    return 0;
}

static int
flows_remove(void *a, struct cmds_call *c, struct err *e)
{
    const struct cmds_flows *fl = &arg(c, 0)->flows;
    for (size_t i = 0; i < fl->n; i++)
        store_remove(a, fl->v[i]->id);
    if (fl->n > 1)
        log_msg(LOG_ALERT, "Removed %zu flows", fl->n);
    return 0;
}

static int
flows_resolve(void *a, struct cmds_call *c, struct err *e)
{
    struct cmds_value v = {.type = CMDS_FLOWS};
    int rc = store_resolve(a, arg(c, 0)->s, &v.flows, e);
    if (rc == 0)
        cmds_return_value(c, &v);
    cmds_value_clear(&v);
    return rc;
}

static int
flows_create(void *a, struct cmds_call *c, struct err *e)
{
    /* http.Request.make(method.upper(), url), then Host; a client at
     * ("", 0) that started just before the request, a server at its
     * destination. */
    struct http_request *rq = http_request_new();
    char *method = xstrdup(arg(c, 0)->s);
    for (char *p = method; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    http_set_str(&rq->method, method);
    free(method);
    struct err ue = {0};
    if (map_remote_set_url(rq, arg(c, 1)->s, &ue) < 0) {
        http_request_free(rq);
        return err_set(e, MP_ERR_INVAL, "Invalid URL: %s", ue.msg);
    }
    http_set_str(&rq->http_version, "HTTP/1.1");
    rq->timestamp_start = rq->timestamp_end = clock_now();
    hdrs_set_cstr(&rq->headers, "content-length", "0");
    hdrs_set_cstr(&rq->headers, "Host", rq->host);
    struct connection *cl = connection_new(CONN_CLIENT);
    addr_set(&cl->address, "", 0);
    addr_set(&cl->peername, "", 0);
    addr_set(&cl->sockname, "", 0);
    cl->timestamp_start = rq->timestamp_start - 0.0001;
    struct connection *sv = connection_new(CONN_SERVER);
    addr_set(&sv->address, rq->host, rq->port);
    struct flow *f = flow_new_http(cl, sv);
    connection_unref(cl);
    connection_unref(sv);
    f->live = 0;
    f->request = rq;
    store_add(a, f);
    flow_unref(f);
    return 0;
}

static void
loaded(void *arg, int rc, size_t n, const struct err *e)
{
    if (rc < 0 && e)
        log_msg(LOG_ERROR, "%s", e->msg);
}

static int
flows_load(void *a, struct cmds_call *c, struct err *e)
{
    struct err le = {0};
    /* mitmproxy logs what goes wrong and returns None. */
    if (store_load(a, arg(c, 0)->s, loaded, NULL, &le) < 0)
        log_msg(LOG_ERROR, "%s", le.msg);
    return 0;
}

static int
prop_length(void *a, struct cmds_call *c, struct err *e)
{
    cmds_return_int(c, (long)store_view_len(a));
    return 0;
}

static int
prop_marked(void *a, struct cmds_call *c, struct err *e)
{
    cmds_return_bool(c, store_show_marked(a));
    return 0;
}

static int
prop_marked_toggle(void *a, struct cmds_call *c, struct err *e)
{
    store_set_show_marked(a, !store_show_marked(a));
    return 0;
}

static int
prop_inbounds(void *a, struct cmds_call *c, struct err *e)
{
    long i = arg(c, 0)->i;
    cmds_return_bool(c, i >= 0 && (size_t)i < store_view_len(a));
    return 0;
}

#define P(name, type) {name, CMDS_##type, 0, NULL}

static const struct cmds_param p_offset[] = {P("offset", INT)};
static const struct cmds_param p_boolean[] = {P("boolean", BOOL)};
static const struct cmds_param p_order_key[] = {P("order_key", STR)};
static const struct cmds_param p_filter_expr[] = {P("filter_expr", STR)};
static const struct cmds_param p_getval[] = {P("flow", FLOW), P("key", STR), P("default", STR)};
static const struct cmds_param p_toggle[] = {P("flows", FLOWS), P("key", STR)};
static const struct cmds_param p_setval[] = {P("flows", FLOWS), P("key", STR), P("value", STR)};
static const struct cmds_param p_flows[] = {P("flows", FLOWS)};
static const struct cmds_param p_flow_spec[] = {P("flow_spec", STR)};
static const struct cmds_param p_create[] = {P("method", STR), P("url", STR)};
static const struct cmds_param p_path[] = {P("path", PATH)};
static const struct cmds_param p_index[] = {P("index", INT)};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *name, *help;
    const struct cmds_param *params;
    size_t nparams;
    enum cmds_type ret;
    cmds_fn fn;
} commands[] = {
    {"view.focus.go",
     "Go to a specified offset. Positive offests are from the beginning of the view, negative "
     "from the end of the view, so that 0 is the first flow, -1 is the last flow.",
     p_offset, N(p_offset), CMDS_NONE, focus_go},
    {"view.focus.next", "Set focus to the next flow.", NULL, 0, CMDS_NONE, focus_next},
    {"view.focus.prev", "Set focus to the previous flow.", NULL, 0, CMDS_NONE, focus_prev},
    {"view.order.options", "Choices supported by the view_order option.", NULL, 0, CMDS_STRS,
     order_options},
    {"view.order.reverse", NULL, p_boolean, N(p_boolean), CMDS_NONE, order_reverse},
    {"view.order.set", "Sets the current view order.", p_order_key, N(p_order_key), CMDS_NONE,
     order_set},
    {"view.order", "Returns the current view order.", NULL, 0, CMDS_STR, order_get},
    {"view.filter.set", "Sets the current view filter.", p_filter_expr, N(p_filter_expr),
     CMDS_NONE, filter_set},
    {"view.clear", "Clears both the store and view.", NULL, 0, CMDS_NONE, clear},
    {"view.clear_unmarked", "Clears only the unmarked flows.", NULL, 0, CMDS_NONE,
     clear_unmarked},
    {"view.settings.getval", "Get a value from the settings store for the specified flow.",
     p_getval, N(p_getval), CMDS_STR, settings_getval},
    {"view.settings.setval.toggle",
     "Toggle a boolean value in the settings store, setting the value to the string \"true\" "
     "or \"false\".",
     p_toggle, N(p_toggle), CMDS_NONE, settings_toggle},
    {"view.settings.setval", "Set a value in the settings store for the specified flows.",
     p_setval, N(p_setval), CMDS_NONE, settings_setval},
    {"view.flows.duplicate",
     "Duplicates the specified flows, and sets the focus to the first duplicate.", p_flows,
     N(p_flows), CMDS_NONE, flows_duplicate},
    {"view.flows.remove", "Removes the flow from the underlying store and the view.", p_flows,
     N(p_flows), CMDS_NONE, flows_remove},
    {"view.flows.resolve", "Resolve a flow list specification to an actual list of flows.",
     p_flow_spec, N(p_flow_spec), CMDS_FLOWS, flows_resolve},
    {"view.flows.create", NULL, p_create, N(p_create), CMDS_NONE, flows_create},
    {"view.flows.load", "Load flows into the view, without processing them with addons.",
     p_path, N(p_path), CMDS_NONE, flows_load},
    {"view.properties.length", "Returns view length.", NULL, 0, CMDS_INT, prop_length},
    {"view.properties.marked", "Returns true if view is in marked mode.", NULL, 0, CMDS_BOOL,
     prop_marked},
    {"view.properties.marked.toggle", "Toggle whether to show marked views only.", NULL, 0,
     CMDS_NONE, prop_marked_toggle},
    {"view.properties.inbounds", "Is this 0 <= index < len(self)?", p_index, N(p_index),
     CMDS_BOOL, prop_inbounds},
};

int
store_register_commands(struct store *s, struct cmds *c, struct err *e)
{
    for (size_t i = 0; i < N(commands); i++) {
        int rc = cmds_add(c, commands[i].name, commands[i].help, commands[i].params,
                          commands[i].nparams, commands[i].ret, commands[i].fn, s, e);
        if (rc < 0)
            return rc;
    }
    cmds_set_resolver(c, resolver, s);
    return 0;
}
