/*
 * The /updates WebSocket's side of things: what each socket has not been
 * sent yet, gathered from the store's events, the option changes and the
 * event log, and sent on the socket's tick (conn.c) as mitmproxy's
 * messages or, for a socket opened with ?batch=1, as one flows/batch and
 * one events/batch per tick (README.md, "Batched live updates"). A socket
 * opened with ?list=1 gets its flows in the list-only shape: what a flow
 * table shows, a fraction of the whole flow's JSON, which is most of what
 * an open page costs the proxy per flow.
 *
 * A socket keeps flow ids, not flows: a flow changed fifty times within a
 * tick is sent once, in the state it has when the tick comes. Each socket
 * also has its own named filters (flows/updateFilter), so the app learns
 * which flows match "~b foo" without having their bodies.
 *
 * A list=1 socket may also say which rows of its list it shows
 * (flows/window). When that list is the view, the store's events carry
 * positions in it, so a flow that lands outside the window is only
 * counted: its row is not written, and the batch says whether the window's
 * rows may have changed ("stale"), so that a page at the top of a list
 * that grows at its end reads nothing while 10,000 flows a second arrive.
 */
#include <stdlib.h>
#include <string.h>

#include "core/server.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "http/ws.h"
#include "master/master.h"
#include "options/opt.h"
#include "util/json_parse.h"
#include "util/xmalloc.h"
#include "web/internal.h"

/* Past this many queued flow events a socket is sent flows/reset instead
 * (a client that does not keep up re-reads the list). */
#define PEND_MAX 100000
/* Events per tick for a socket in mitmproxy's mode. */
#define EVENTS_PER_TICK 1000

enum pend_kind { P_ADD, P_UPDATE, P_REMOVE };

struct pend {
    char id[UUID_STR_LEN];
    uint8_t kind;
    uint8_t shown; /* in the socket's window (or no window is known): its row is sent */
};

struct wfilter {
    char *name; /* owned: the name, a NUL, then the expression (for flows/reset) */
    struct filt *f;
};

struct web_ws {
    int batch;
    /* How a flow is written for this socket: web__flow_json, or
     * web__flow_row_json for a socket opened with ?list=1. */
    void (*flow_json)(struct json *, const struct flow *);
    struct pend *pend; /* in the order they happened */
    size_t npend, cappend;
    int reset;           /* flows/reset is due */
    struct buf control;  /* whole frames to send at the next tick */
    uint64_t event_seen; /* the last event id sent */
    uint64_t events_reset_seen;
    struct wfilter *filters;
    size_t nfilters;
    /* The rows the app shows (flows/window): [win_off, win_end) of the list
     * GET /flows?filter=win_filter&order=win_order&reverse=win_reverse
     * gives, and the flow it has selected (its row is always sent).
     * win_view: that list is the store's view now, so an event's index is a
     * position in it. stale: since the last batch a row of the window may
     * have changed (always, unless win_view). dirty: flows changed that
     * were only counted. */
    int win, win_view, stale, dirty;
    size_t win_off, win_end;
    char *win_filter; /* owned; "" for none */
    enum store_order win_order;
    int win_reverse;
    char win_selected[UUID_STR_LEN];
    int64_t win_seq; /* the app's number for the window, sent back in each batch */
};

/*
 * Every message is {"type": type, "payload": ...}: msg_begin() starts one
 * in b up to the type, the caller writes "payload" (when there is one),
 * and msg_end() closes it and appends it to out as one text frame.
 */
static void
msg_begin(struct json *j, struct buf *b, const char *type)
{
    json_init(j, b, 0);
    json_object_begin(j);
    json_key(j, "type");
    json_string(j, type);
}

static void
msg_end(struct json *j, struct buf *b, struct buf *out)
{
    json_object_end(j);
    json_clear(j);
    ws_frame_write(out, 1, 0, WS_TEXT, NULL, buf_ptr(b), b->len);
    buf_clear(b);
}

struct web_ws *
web__ws_new(struct web *w, int batch, int list)
{
    struct web_ws *ws = xcalloc(1, sizeof(*ws));
    ws->batch = batch;
    ws->flow_json = list ? web__flow_row_json : web__flow_json;
    buf_init(&ws->control);
    pthread_mutex_lock(&w->lock);
    ws->event_seen = w->next_event - 1;
    ws->events_reset_seen = w->events_reset;
    pthread_mutex_unlock(&w->lock);
    if (w->nws == w->capws) {
        w->capws = w->capws ? 2 * w->capws : 4;
        w->ws = xrealloc(w->ws, w->capws * sizeof(*w->ws));
    }
    w->ws[w->nws++] = ws;
    return ws;
}

void
web__ws_free(struct web *w, struct web_ws *ws)
{
    for (size_t i = 0; i < w->nws; i++)
        if (w->ws[i] == ws) {
            w->ws[i] = w->ws[--w->nws];
            break;
        }
    for (size_t i = 0; i < ws->nfilters; i++) {
        free(ws->filters[i].name);
        filt_free(ws->filters[i].f);
    }
    free(ws->filters);
    free(ws->win_filter);
    free(ws->pend);
    buf_clear(&ws->control);
    free(ws);
}

/* Whether the socket's window list is the store's view (store_select()
 * reads it from the view then, in the same order). */
static int
window_is_view(const struct web *w, const struct web_ws *ws)
{
    const char *vf = store_filter(w->store);
    return ws->win && !store_show_marked(w->store) && strcmp(ws->win_filter, vf ? vf : "") == 0 &&
           ws->win_order == store_get_order(w->store) &&
           !ws->win_reverse == !store_reversed(w->store);
}

/*
 * Whether an event at view position index touches the rows of the
 * window: a flow added or removed before its end moves them, one changed
 * within it is shown. Returns whether its row is to be sent.
 */
static int
window_event(struct web_ws *ws, int kind, const char *id, size_t index)
{
    if (!ws->win_view) {
        ws->stale = 1;
        return 1;
    }
    int in = index >= ws->win_off && index < ws->win_end;
    if (kind == P_UPDATE ? in : index < ws->win_end)
        ws->stale = 1;
    ws->dirty = 1;
    return in || strcmp(id, ws->win_selected) == 0;
}

void
web__store_event(void *arg, enum store_event ev, const char *id, size_t index)
{
    struct web *w = arg;
    int kind;
    switch (ev) {
    case STORE_ADD:
        kind = P_ADD;
        break;
    case STORE_UPDATE:
        kind = P_UPDATE;
        break;
    case STORE_REMOVE:
        kind = P_REMOVE;
        break;
    case STORE_REFRESH:
    case STORE_STORE_REFRESH:
        for (size_t i = 0; i < w->nws; i++) {
            struct web_ws *ws = w->ws[i];
            ws->reset = 1;
            ws->npend = 0;
            /* The view may have a new filter or order. */
            ws->win_view = window_is_view(w, ws);
        }
        return;
    default:
        return;
    }
    for (size_t i = 0; i < w->nws; i++) {
        struct web_ws *ws = w->ws[i];
        if (ws->reset)
            continue; /* the list is read again anyway */
        int shown = ws->win ? window_event(ws, kind, id, index) : 1;
        /* Outside the window a flow is only counted, unless a filter of the
         * socket must say whether it matches, or it is gone. */
        if (!shown && ws->nfilters == 0 && kind != P_REMOVE)
            continue;
        if (ws->npend >= PEND_MAX) {
            ws->reset = 1;
            ws->npend = 0;
            continue;
        }
        if (ws->npend == ws->cappend) {
            ws->cappend = ws->cappend ? 2 * ws->cappend : 64;
            ws->pend = xrealloc(ws->pend, ws->cappend * sizeof(*ws->pend));
        }
        struct pend *p = &ws->pend[ws->npend++];
        snprintf(p->id, sizeof(p->id), "%s", id);
        p->kind = (uint8_t)kind;
        p->shown = (uint8_t)shown;
    }
}

/* ---- coalescing ----------------------------------------------------------- */

enum net { N_NONE, N_ADDED, N_UPDATED, N_REMOVED };

struct slot {
    const char *id; /* into the pend array; NULL = empty */
    uint8_t net;
    uint8_t shown; /* any event about it was shown */
    size_t first;  /* index of the first event about it */
};

static uint64_t
hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/*
 * What the events since the last tick come to, per flow, in the order
 * each flow was first mentioned: added (and maybe changed since), changed,
 * removed, or nothing (added and removed again). Returns the slots in
 * that order (*n of them; free()).
 */
static struct slot *
coalesce(const struct web_ws *ws, size_t *n)
{
    size_t cap = 16;
    while (cap < 2 * ws->npend)
        cap *= 2;
    struct slot *table = xcalloc(cap, sizeof(*table));
    size_t *order = xmalloc((ws->npend ? ws->npend : 1) * sizeof(*order));
    size_t norder = 0;
    for (size_t i = 0; i < ws->npend; i++) {
        const struct pend *p = &ws->pend[i];
        size_t h = (size_t)hash_id(p->id) & (cap - 1);
        while (table[h].id && strcmp(table[h].id, p->id) != 0)
            h = (h + 1) & (cap - 1);
        struct slot *s = &table[h];
        if (s->id == NULL) {
            s->id = p->id;
            s->first = i;
            s->net = N_NONE;
            order[norder++] = h;
        }
        s->shown |= p->shown;
        switch (p->kind) {
        case P_ADD:
            s->net = s->net == N_REMOVED ? N_UPDATED : N_ADDED;
            break;
        case P_UPDATE:
            if (s->net == N_NONE)
                s->net = N_UPDATED;
            break;
        case P_REMOVE:
            s->net = s->net == N_ADDED ? N_NONE : N_REMOVED;
            break;
        }
    }
    struct slot *out = xmalloc((norder ? norder : 1) * sizeof(*out));
    for (size_t i = 0; i < norder; i++)
        out[i] = table[order[i]];
    free(order);
    free(table);
    *n = norder;
    return out;
}

static void
matching(struct json *j, const struct web_ws *ws, const struct flow *f)
{
    json_object_begin(j);
    for (size_t i = 0; i < ws->nfilters; i++) {
        json_key(j, ws->filters[i].name);
        json_bool(j, filt_match(ws->filters[i].f, f));
    }
    json_object_end(j);
}

/* One message in mitmproxy's form: flows/add or flows/update. */
static void
flow_message(struct buf *out, const struct web_ws *ws, const char *type, const struct flow *f)
{
    struct buf b = BUF_INIT;
    struct json j;
    msg_begin(&j, &b, type);
    json_key(&j, "payload");
    json_object_begin(&j);
    json_key(&j, "flow");
    ws->flow_json(&j, f);
    json_key(&j, "matching_filters");
    matching(&j, ws, f);
    json_object_end(&j);
    msg_end(&j, &b, out);
}

static void
simple_message(struct buf *out, const char *type, const char *payload_str)
{
    struct buf b = BUF_INIT;
    struct json j;
    msg_begin(&j, &b, type);
    if (payload_str) {
        json_key(&j, "payload");
        json_string(&j, payload_str);
    }
    msg_end(&j, &b, out);
}

static void
filter_update(struct web *w, const char *name, const char *expr, struct buf *out)
{
    struct buf b = BUF_INIT;
    struct json j;
    msg_begin(&j, &b, "flows/filterUpdate");
    json_key(&j, "payload");
    json_object_begin(&j);
    json_key(&j, "name");
    json_string(&j, name);
    json_key(&j, "matching_flow_ids");
    if (expr && *expr) {
        struct web_ids ids = {0};
        struct err e = {0};
        store_select(w->store, expr, STORE_ORDER_TIME, 0, 0, 0, web__ids_collect, &ids, NULL, NULL,
                     &e);
        json_array_begin(&j);
        for (size_t i = 0; i < ids.n; i++)
            json_string(&j, ids.v[i]);
        json_array_end(&j);
        free(ids.v);
    } else {
        json_null(&j);
    }
    json_object_end(&j);
    msg_end(&j, &b, out);
}

static void
send_reset(struct web *w, struct web_ws *ws, struct buf *out)
{
    simple_message(out, "flows/reset", NULL);
    for (size_t i = 0; i < ws->nfilters; i++)
        filter_update(w, ws->filters[i].name, ws->filters[i].name + strlen(ws->filters[i].name) + 1,
                      out);
}

/* A number member of obj that is a non-negative integer, into *out. */
static int
get_uint(const struct jv *obj, const char *key, int64_t *out)
{
    const struct jv *v = jv_get(obj, key);
    if (v == NULL || v->type != JV_NUMBER || !v->u.num.is_int || v->u.num.i < 0)
        return -1;
    *out = v->u.num.i;
    return 0;
}

/*
 * flows/window (ours, batch=1 and list=1 sockets): {"offset", "limit",
 * "filter", "order", "reverse", "selected", "seq"}, the rows the app shows
 * (README.md, "The app's window"). Returns 0 or MP_ERR_INVAL, with the
 * window unchanged.
 */
static int
set_window(struct web *w, struct web_ws *ws, const struct jv *pl, struct err *e)
{
    int64_t off, lim, seq = 0;
    if (pl == NULL || pl->type != JV_OBJECT || get_uint(pl, "offset", &off) < 0 ||
        get_uint(pl, "limit", &lim) < 0)
        return err_set(e, MP_ERR_INVAL, "flows/window needs an offset and a limit");
    const struct jv *seqv = jv_get(pl, "seq");
    if (seqv && get_uint(pl, "seq", &seq) < 0)
        return err_set(e, MP_ERR_INVAL, "flows/window: seq is not a number");
    const struct jv *fv = jv_get(pl, "filter"), *ov = jv_get(pl, "order");
    const struct jv *rv = jv_get(pl, "reverse"), *sv = jv_get(pl, "selected");
    if ((fv && fv->type != JV_STRING && fv->type != JV_NULL) || (ov && ov->type != JV_STRING) ||
        (sv && sv->type != JV_STRING && sv->type != JV_NULL))
        return err_set(e, MP_ERR_INVAL, "flows/window: filter, order and selected are strings");
    enum store_order order = STORE_ORDER_TIME;
    if (ov && store_order_parse(ov->u.str.p, &order) < 0)
        return err_set(e, MP_ERR_INVAL, "flows/window: unknown order %s", ov->u.str.p);
    free(ws->win_filter);
    ws->win_filter = xstrdup(fv && fv->type == JV_STRING ? fv->u.str.p : "");
    ws->win_order = order;
    ws->win_reverse = rv && rv->type == JV_TRUE;
    snprintf(ws->win_selected, sizeof(ws->win_selected), "%s",
             sv && sv->type == JV_STRING ? sv->u.str.p : "");
    ws->win_off = (size_t)off;
    ws->win_end = (size_t)off + (size_t)(lim < WEB_WINDOW_MAX ? lim : WEB_WINDOW_MAX);
    ws->win_seq = seq;
    ws->win = 1;
    ws->win_view = window_is_view(w, ws);
    /* What the app read for the window it had may not hold for this one. */
    ws->stale = 1;
    return 0;
}

int
web__ws_message(struct web *w, struct web_ws *ws, const uint8_t *p, size_t n, struct buf *out)
{
    struct jv *doc = NULL;
    struct err e = {0};
    struct json_limits lim = {.max_size = 1 << 20, .max_depth = 16};
    if (json_parse(p, n, &lim, &doc, &e) < 0) {
        log_msg(LOG_ERROR, "web: bad WebSocket message: %s", e.msg);
        return MP_ERR_SYNTAX;
    }
    int rc = 0;
    const char *type = jv_get_str(doc, "type", NULL);
    const struct jv *payload = jv_get(doc, "payload");
    const char *name = payload ? jv_get_str(payload, "name", NULL) : NULL;
    const char *expr = payload ? jv_get_str(payload, "expr", NULL) : NULL;
    if (type && strcmp(type, "flows/window") == 0 && ws->batch &&
        ws->flow_json == web__flow_row_json) {
        if (set_window(w, ws, payload, &e) < 0) {
            log_msg(LOG_ERROR, "web: bad WebSocket message: %s", e.msg);
            rc = MP_ERR_INVAL;
        }
        goto out;
    }
    if (type == NULL || strcmp(type, "flows/updateFilter") != 0 || name == NULL || expr == NULL) {
        log_msg(LOG_ERROR, "web: unsupported WebSocket message: %s", type ? type : "(no type)");
        rc = MP_ERR_INVAL;
        goto out;
    }
    struct filt *f = NULL;
    if (*expr && (f = filt_compile(expr, &e)) == NULL) {
        log_msg(LOG_ERROR, "web: invalid filter %s: %s", expr, e.msg);
        rc = MP_ERR_SYNTAX;
        goto out;
    }
    size_t i = 0;
    while (i < ws->nfilters && strcmp(ws->filters[i].name, name) != 0)
        i++;
    if (i < ws->nfilters) {
        free(ws->filters[i].name);
        filt_free(ws->filters[i].f);
        ws->filters[i] = ws->filters[--ws->nfilters];
    }
    if (f) {
        ws->filters = xrealloc(ws->filters, (ws->nfilters + 1) * sizeof(*ws->filters));
        /* name, NUL, expr, NUL in one allocation */
        size_t nl = strlen(name), el = strlen(expr);
        char *both = xmalloc(nl + el + 2);
        memcpy(both, name, nl + 1);
        memcpy(both + nl + 1, expr, el + 1);
        ws->filters[ws->nfilters].name = both;
        ws->filters[ws->nfilters].f = f;
        ws->nfilters++;
    }
    filter_update(w, name, expr, out);
out:
    jv_free(doc);
    return rc;
}

/* ---- the tick ------------------------------------------------------------- */

static void
flush_flows_compat(struct web *w, struct web_ws *ws, struct buf *out)
{
    size_t n;
    struct slot *sl = coalesce(ws, &n);
    for (size_t i = 0; i < n; i++) {
        if (sl[i].net == N_NONE)
            continue;
        if (sl[i].net == N_REMOVED) {
            simple_message(out, "flows/remove", sl[i].id);
            continue;
        }
        struct flow *f = store_get(w->store, sl[i].id, NULL);
        if (f == NULL)
            continue;
        flow_message(out, ws, sl[i].net == N_ADDED ? "flows/add" : "flows/update", f);
        flow_unref(f);
    }
    free(sl);
}

static void
flush_flows_batch(struct web *w, struct web_ws *ws, struct buf *out)
{
    size_t n;
    struct slot *sl = coalesce(ws, &n);
    /* Rows to write (removals included); flows only counted are not. */
    size_t changed = 0;
    for (size_t i = 0; i < n; i++)
        changed += sl[i].net != N_NONE && (sl[i].shown || sl[i].net == N_REMOVED);
    if (changed == 0 && !ws->dirty) {
        free(sl);
        return;
    }
    int overflow = changed > WEB_BATCH_MAX;
    struct flow **flows = xcalloc(n ? n : 1, sizeof(*flows));
    if (!overflow)
        for (size_t i = 0; i < n; i++)
            if (sl[i].net == N_ADDED || sl[i].net == N_UPDATED)
                flows[i] = store_get(w->store, sl[i].id, NULL);
    struct buf b = BUF_INIT;
    struct json j;
    msg_begin(&j, &b, "flows/batch");
    json_key(&j, "payload");
    json_object_begin(&j);
    json_key(&j, "total");
    json_uint(&j, store_view_len(w->store));
    static const char *const keys[] = {"add", "update"};
    static const uint8_t nets[] = {N_ADDED, N_UPDATED};
    for (int k = 0; k < 2; k++) {
        json_key(&j, keys[k]);
        json_array_begin(&j);
        for (size_t i = 0; i < n; i++)
            if (sl[i].net == nets[k] && flows[i] && sl[i].shown)
                ws->flow_json(&j, flows[i]);
        json_array_end(&j);
    }
    json_key(&j, "remove");
    json_array_begin(&j);
    for (size_t i = 0; !overflow && i < n; i++)
        if (sl[i].net == N_REMOVED)
            json_string(&j, sl[i].id);
    json_array_end(&j);
    json_key(&j, "matching_filters");
    json_object_begin(&j);
    for (size_t i = 0; i < n; i++)
        if (flows[i]) {
            json_key(&j, flows[i]->id);
            matching(&j, ws, flows[i]);
        }
    json_object_end(&j);
    json_key(&j, "overflow");
    json_bool(&j, overflow);
    if (ws->win) {
        /* Ours, for a socket that set its window: whether those rows may
         * show something else now, and for which window that was judged. */
        json_key(&j, "stale");
        json_bool(&j, ws->stale || overflow);
        json_key(&j, "window");
        json_int(&j, ws->win_seq);
    }
    json_object_end(&j);
    msg_end(&j, &b, out);
    for (size_t i = 0; i < n; i++)
        if (flows[i])
            flow_unref(flows[i]);
    free(flows);
    free(sl);
}

static void
flush_events(struct web *w, struct web_ws *ws, struct buf *out)
{
    pthread_mutex_lock(&w->lock);
    if (ws->events_reset_seen != w->events_reset) {
        ws->events_reset_seen = w->events_reset;
        simple_message(out, "events/reset", NULL);
    }
    uint64_t last = w->next_event - 1;
    uint64_t oldest = last - w->nevents + 1;
    if (ws->event_seen + 1 < oldest)
        ws->event_seen = oldest - 1;
    size_t max = ws->batch ? WEB_BATCH_EVENTS : EVENTS_PER_TICK;
    /* Too many new lines: the newest go out, the rest are in /events. */
    if (last - ws->event_seen > max)
        ws->event_seen = last - max;
    struct buf b = BUF_INIT;
    struct json j;
    int batch = ws->batch && last > ws->event_seen;
    if (batch) {
        msg_begin(&j, &b, "events/batch");
        json_key(&j, "payload");
        json_array_begin(&j);
    }
    for (uint64_t id = ws->event_seen + 1; id <= last; id++) {
        const struct web_event *ev = &w->events[(w->first + (id - oldest)) % WEB_EVENTS_SIZE];
        if (batch) {
            web__event_json(&j, ev->id, ev->level, ev->msg);
            continue;
        }
        msg_begin(&j, &b, "events/add");
        json_key(&j, "payload");
        web__event_json(&j, ev->id, ev->level, ev->msg);
        msg_end(&j, &b, out);
    }
    if (batch) {
        json_array_end(&j);
        msg_end(&j, &b, out);
    }
    ws->event_seen = last;
    pthread_mutex_unlock(&w->lock);
}

void
web__ws_flush(struct web *w, struct web_ws *ws, struct buf *out)
{
    if (ws->control.len) {
        buf_append(out, buf_ptr(&ws->control), ws->control.len);
        buf_reset(&ws->control);
    }
    if (ws->reset) {
        ws->reset = 0;
        ws->npend = 0;
        ws->dirty = ws->stale = 0;
        send_reset(w, ws, out);
    }
    if (ws->npend || ws->dirty) {
        if (ws->batch)
            flush_flows_batch(w, ws, out);
        else
            flush_flows_compat(w, ws, out);
        ws->npend = 0;
        ws->dirty = ws->stale = 0;
    }
    flush_events(w, ws, out);
}

/* ---- options and state ------------------------------------------------------ */

void
web__servers_json(struct json *j, const struct web *w, const struct options *o)
{
    struct server *srv = master_server(w->master);
    json_object_begin(j);
    size_t nmodes = o->mode.n ? o->mode.n : 1;
    for (size_t i = 0; i < nmodes; i++) {
        const char *spec = o->mode.n ? o->mode.v[i] : "regular";
        size_t tl = strcspn(spec, ":@");
        json_key(j, spec);
        json_object_begin(j);
        json_key(j, "type");
        json_bytes(j, spec, tl, JSON_UTF8);
        json_key(j, "description");
        json_string(j, "HTTP(S) proxy");
        json_key(j, "full_spec");
        json_string(j, spec);
        int running = o->server && srv && i < server_listeners(srv);
        json_key(j, "is_running");
        json_bool(j, running);
        json_key(j, "last_exception");
        json_null(j);
        json_key(j, "listen_addrs");
        json_array_begin(j);
        if (running) {
            json_array_begin(j);
            json_string(j, *o->listen_host ? o->listen_host : "0.0.0.0");
            json_int(j, server_listener_port(srv, i));
            json_array_end(j);
        }
        json_array_end(j);
        json_object_end(j);
    }
    json_object_end(j);
}

void
web__options_changed(struct web *w, const struct options *o, const struct opt_changes *updated)
{
    if (w->nws == 0)
        return;
    int any = 0;
    for (size_t i = 0; !any && i < opt_count(); i++)
        any = opt_changed(updated, i);
    int listeners = updated == NULL || opt_changed_name(updated, "mode") ||
                    opt_changed_name(updated, "listen_host") ||
                    opt_changed_name(updated, "listen_port") || opt_changed_name(updated, "server");
    /* The same frames for every socket. */
    struct buf frames = BUF_INIT;
    struct buf b = BUF_INIT;
    struct json j;
    if (any) {
        /* Every changed option, as GET /options has it. */
        msg_begin(&j, &b, "options/update");
        json_key(&j, "payload");
        web__options_json(&j, o, updated);
        msg_end(&j, &b, &frames);
    }
    if (listeners) {
        msg_begin(&j, &b, "state/update");
        json_key(&j, "payload");
        json_object_begin(&j);
        json_key(&j, "servers");
        web__servers_json(&j, w, o);
        json_object_end(&j);
        msg_end(&j, &b, &frames);
    }
    for (size_t i = 0; i < w->nws; i++)
        buf_append(&w->ws[i]->control, buf_ptr(&frames), frames.len);
    buf_clear(&frames);
}
