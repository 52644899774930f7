/*
 * mitmproxy flow files. A record is decoded into a tnetstring tree, brought
 * to format version 17 (upgrading older records and folding newer ones back),
 * and then the fields we model are taken out of the tree into struct flow;
 * whatever is left over stays in the flow's or connection's `extra` tree.
 *
 * The typed parts that live elsewhere in the tnetstring form are converted
 * only here: WebSocket messages (struct ws_message) and the backup of an
 * edited flow, itself a flow.
 *
 * Writing goes the other way and lists every key in the order mitmproxy
 * 8.1.1 writes it (its tnetstring encoder emits dict items in reverse
 * insertion order, which is why "type" and "version" come first and "id"
 * last). Keys we do not model are taken from `extra` and, when absent there,
 * get the value mitmproxy would have stored for a fresh object.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "flow/certchain.h"
#include "flow/flowfile.h"
#include "flow/internal.h"
#include "flow/tnetstring.h"
#include "util/path.h"
#include "util/xmalloc.h"

/* The oldest version whose upgrade to 17 is a mechanical rewrite of fields. */
#define FFILE_MIN_VERSION 10
#define FFILE_MAX_VERSION 21

/* Reading: field accessors. Each takes its key out of the dict. */

static int
missing(const char *ctx, const char *key, struct err *e)
{
    return err_set(e, MP_ERR_CORRUPT, "%s: missing field '%s'", ctx, key);
}

static int
bad_type(const char *ctx, const char *key, const struct tns *v, struct err *e)
{
    return err_set(e, MP_ERR_CORRUPT, "%s: field '%s' has the wrong type '%c'", ctx, key,
                   (char)v->type);
}

/*
 * A byte or text string (older versions used bytes where 17 uses text, so
 * either is accepted). nullable: absent or null gives *out = NULL. text: the
 * field is written back as text, so bytes must be UTF-8.
 */
static int
take_str2(struct tns *d, const char *key, char **out, int nullable, int text, const char *ctx,
          struct err *e)
{
    struct tns *v = tns_dict_take(d, key);
    int rc = 0;
    *out = NULL;
    if (v == NULL || v->type == TNS_NULL) {
        if (!nullable)
            rc = v ? bad_type(ctx, key, v, e) : missing(ctx, key, e);
    } else if (text && v->type == TNS_BYTES && !tns_utf8_valid(v->u.str.p, v->u.str.len)) {
        rc = err_set(e, MP_ERR_CORRUPT, "%s: field '%s' is not UTF-8", ctx, key);
    } else if (v->type == TNS_BYTES || v->type == TNS_TEXT) {
        *out = tns_take_str(v);
    } else {
        rc = bad_type(ctx, key, v, e);
    }
    tns_free(v);
    return rc;
}

static int
take_str(struct tns *d, const char *key, char **out, int nullable, const char *ctx, struct err *e)
{
    return take_str2(d, key, out, nullable, 0, ctx, e);
}

static int
take_text(struct tns *d, const char *key, char **out, int nullable, const char *ctx, struct err *e)
{
    return take_str2(d, key, out, nullable, 1, ctx, e);
}

/* Ids are UUID strings; anything longer would not fit struct flow. */
static int
take_id(struct tns *d, char id[UUID_STR_LEN], const char *ctx, struct err *e)
{
    char *s;
    int rc = take_text(d, "id", &s, 0, ctx, e);
    if (rc < 0)
        return rc;
    if (strlen(s) >= UUID_STR_LEN)
        rc = err_set(e, MP_ERR_CORRUPT, "%s: id longer than a UUID", ctx);
    else
        memcpy(id, s, strlen(s) + 1);
    free(s);
    return rc;
}

/* A string field that must be present, with "" standing in for nothing. */
static int
take_str_into(struct tns *d, const char *key, char **field, int text, const char *ctx,
              struct err *e)
{
    char *s;
    int rc = take_str2(d, key, &s, 0, text, ctx, e);
    if (rc < 0)
        return rc;
    free(*field);
    *field = s;
    return 0;
}

/* A timestamp: float or int; null (or absent when optional) is 0. */
static int
take_ts(struct tns *d, const char *key, double *out, int optional, const char *ctx, struct err *e)
{
    struct tns *v = tns_dict_take(d, key);
    int rc = 0;
    *out = 0;
    if (v == NULL) {
        if (!optional)
            rc = missing(ctx, key, e);
    } else if (v->type == TNS_FLOAT) {
        *out = v->u.f.v;
    } else if (v->type == TNS_INT) {
        *out = (double)v->u.i;
    } else if (v->type != TNS_NULL || !optional) {
        rc = bad_type(ctx, key, v, e);
    }
    tns_free(v);
    return rc;
}

static int
take_int(struct tns *d, const char *key, int64_t *out, const char *ctx, struct err *e)
{
    struct tns *v = tns_dict_take(d, key);
    int rc = 0;
    if (v == NULL)
        rc = missing(ctx, key, e);
    else if (v->type == TNS_INT)
        *out = v->u.i;
    else
        rc = bad_type(ctx, key, v, e);
    tns_free(v);
    return rc;
}

static int
take_bool(struct tns *d, const char *key, int *out, const char *ctx, struct err *e)
{
    struct tns *v = tns_dict_take(d, key);
    int rc = 0;
    if (v == NULL)
        rc = missing(ctx, key, e);
    else if (v->type == TNS_BOOL)
        *out = v->u.b;
    else if (v->type == TNS_INT)
        *out = v->u.i != 0;
    else
        rc = bad_type(ctx, key, v, e);
    tns_free(v);
    return rc;
}

/* (host, port) or null. */
static int
take_addr(struct tns *d, const char *key, struct addr *a, const char *ctx, struct err *e)
{
    struct tns *v = tns_dict_take(d, key);
    int rc = 0;
    if (v == NULL || v->type == TNS_NULL) {
        addr_clear(a);
    } else if (v->type == TNS_LIST && v->u.list.n >= 2 &&
               (v->u.list.v[0]->type == TNS_TEXT ||
                (v->u.list.v[0]->type == TNS_BYTES &&
                 tns_utf8_valid(v->u.list.v[0]->u.str.p, v->u.list.v[0]->u.str.len))) &&
               v->u.list.v[1]->type == TNS_INT && v->u.list.v[1]->u.i >= 0 &&
               v->u.list.v[1]->u.i <= 65535) {
        addr_set(a, v->u.list.v[0]->u.str.p, (uint16_t)v->u.list.v[1]->u.i);
    } else {
        rc = err_set(e, MP_ERR_CORRUPT, "%s: field '%s' is not an address", ctx, key);
    }
    tns_free(v);
    return rc;
}

static int
is_str(const struct tns *t)
{
    return t->type == TNS_BYTES || t->type == TNS_TEXT;
}

static int
load_headers(const struct tns *v, struct hdrs *h, const char *ctx, const char *key, struct err *e)
{
    if (v->type != TNS_LIST)
        return bad_type(ctx, key, v, e);
    for (size_t i = 0; i < v->u.list.n; i++) {
        const struct tns *f = v->u.list.v[i];
        if (f->type != TNS_LIST || f->u.list.n != 2 || !is_str(f->u.list.v[0]) ||
            !is_str(f->u.list.v[1]))
            return err_set(e, MP_ERR_CORRUPT, "%s: %s[%zu] is not a (name, value) pair", ctx, key,
                           i);
        const struct tns *n = f->u.list.v[0], *val = f->u.list.v[1];
        hdrs_add(h, slice_from(n->u.str.p, n->u.str.len), slice_from(val->u.str.p, val->u.str.len));
    }
    return 0;
}

static int
take_headers(struct tns *d, const char *key, struct hdrs *h, const char *ctx, struct err *e)
{
    struct tns *v = tns_dict_take(d, key);
    int rc = v ? load_headers(v, h, ctx, key, e) : missing(ctx, key, e);
    tns_free(v);
    return rc;
}

static int
take_trailers(struct tns *d, struct hdrs **out, const char *ctx, struct err *e)
{
    struct tns *v = tns_dict_take(d, "trailers");
    int rc = 0;
    if (v && v->type != TNS_NULL) {
        *out = xmalloc(sizeof(**out));
        hdrs_init(*out);
        rc = load_headers(v, *out, ctx, "trailers", e);
    }
    tns_free(v);
    return rc;
}

static int
take_content(struct tns *d, struct buf *b, int *none, const char *ctx, struct err *e)
{
    struct tns *v = tns_dict_take(d, "content");
    int rc = 0;
    *none = 0;
    if (v == NULL || v->type == TNS_NULL)
        *none = 1;
    else if (is_str(v))
        buf_set(b, v->u.str.p, v->u.str.len);
    else
        rc = bad_type(ctx, "content", v, e);
    tns_free(v);
    return rc;
}

/* Whatever is left of a dict after the modeled fields were taken, for
 * the flow to keep: out of the record's arena. */
static struct tns *
leftover(struct tns *d)
{
    if (d->u.dict.n == 0) {
        tns_free(d);
        return NULL;
    }
    return tns_keep(d);
}

static int
load_request(struct tns *d, struct http_request **out, struct err *e)
{
    const char *ctx = "request";
    struct http_request *r = http_request_new();
    int64_t port = 0;
    int rc;
    *out = r;
    if ((rc = take_str_into(d, "host", &r->host, 1, ctx, e)) < 0 ||
        (rc = take_int(d, "port", &port, ctx, e)) < 0 ||
        (rc = take_str_into(d, "method", &r->method, 0, ctx, e)) < 0 ||
        (rc = take_str_into(d, "scheme", &r->scheme, 0, ctx, e)) < 0 ||
        (rc = take_str_into(d, "authority", &r->authority, 0, ctx, e)) < 0 ||
        (rc = take_str_into(d, "path", &r->path, 0, ctx, e)) < 0 ||
        (rc = take_str_into(d, "http_version", &r->http_version, 0, ctx, e)) < 0 ||
        (rc = take_headers(d, "headers", &r->headers, ctx, e)) < 0 ||
        (rc = take_content(d, &r->content, &r->content_none, ctx, e)) < 0 ||
        (rc = take_trailers(d, &r->trailers, ctx, e)) < 0 ||
        (rc = take_ts(d, "timestamp_start", &r->timestamp_start, 1, ctx, e)) < 0 ||
        (rc = take_ts(d, "timestamp_end", &r->timestamp_end, 1, ctx, e)) < 0)
        return rc;
    if (port < 0 || port > 65535)
        return err_set(e, MP_ERR_CORRUPT, "request: port %" PRId64 " out of range", port);
    r->port = (uint16_t)port;
    return 0;
}

static int
load_response(struct tns *d, struct http_response **out, struct err *e)
{
    const char *ctx = "response";
    struct http_response *r = http_response_new();
    int64_t code = 0;
    int rc;
    *out = r;
    if ((rc = take_str_into(d, "http_version", &r->http_version, 0, ctx, e)) < 0 ||
        (rc = take_int(d, "status_code", &code, ctx, e)) < 0 ||
        (rc = take_str_into(d, "reason", &r->reason, 0, ctx, e)) < 0 ||
        (rc = take_headers(d, "headers", &r->headers, ctx, e)) < 0 ||
        (rc = take_content(d, &r->content, &r->content_none, ctx, e)) < 0 ||
        (rc = take_trailers(d, &r->trailers, ctx, e)) < 0 ||
        (rc = take_ts(d, "timestamp_start", &r->timestamp_start, 1, ctx, e)) < 0 ||
        (rc = take_ts(d, "timestamp_end", &r->timestamp_end, 1, ctx, e)) < 0)
        return rc;
    if (code < 0 || code > 999)
        return err_set(e, MP_ERR_CORRUPT, "response: status code %" PRId64 " out of range", code);
    r->status_code = (int)code;
    return 0;
}

/* Takes d (a version-17 connection dict); *out gets a connection or NULL. */
static int
load_conn(struct tns *d, enum conn_side side, struct connection **out, struct err *e)
{
    const char *ctx = side == CONN_CLIENT ? "client_conn" : "server_conn";
    *out = NULL;
    if (d == NULL || d->type == TNS_NULL) {
        tns_free(d);
        return 0;
    }
    if (d->type != TNS_DICT) {
        int rc = err_set(e, MP_ERR_CORRUPT, "%s is not a dict", ctx);
        tns_free(d);
        return rc;
    }
    struct connection *c = connection_new(side);
    int64_t state = 0;
    int rc;
    *out = c;
    if ((rc = take_id(d, c->id, ctx, e)) < 0)
        goto done;
    if ((rc = take_addr(d, "address", &c->address, ctx, e)) < 0 ||
        (rc = take_int(d, "state", &state, ctx, e)) < 0 ||
        (rc = take_text(d, "error", &c->error, 1, ctx, e)) < 0 ||
        (rc = take_bool(d, "tls", &c->tls, ctx, e)) < 0 ||
        (rc = take_bool(d, "tls_established", &c->tls_established, ctx, e)) < 0 ||
        (rc = take_text(d, "sni", &c->sni, 1, ctx, e)) < 0 ||
        (rc = take_str(d, "alpn", &c->alpn, 1, ctx, e)) < 0 ||
        (rc = take_text(d, "tls_version", &c->tls_version, 1, ctx, e)) < 0 ||
        (rc = take_text(d, "cipher_name", &c->cipher, 1, ctx, e)) < 0 ||
        (rc = take_ts(d, "timestamp_start", &c->timestamp_start, 1, ctx, e)) < 0 ||
        (rc = take_ts(d, "timestamp_end", &c->timestamp_end, 1, ctx, e)) < 0 ||
        (rc = take_ts(d, "timestamp_tls_setup", &c->timestamp_tls_setup, 1, ctx, e)) < 0)
        goto done;
    c->state = (enum conn_state)(state & CONN_OPEN);
    if (side == CONN_CLIENT) {
        /* The client's address is its peername. */
        addr_set(&c->peername, c->address.host, c->address.port);
        rc = take_addr(d, "sockname", &c->sockname, ctx, e);
    } else if ((rc = take_addr(d, "ip_address", &c->peername, ctx, e)) == 0 &&
               (rc = take_addr(d, "source_address", &c->sockname, ctx, e)) == 0) {
        rc = take_ts(d, "timestamp_tcp_setup", &c->timestamp_tcp_setup, 1, ctx, e);
    }
done:
    c->extra = leftover(d);
    return rc;
}

static int
load_error(struct tns *v, struct flow *f, struct err *e)
{
    if (v == NULL || v->type == TNS_NULL)
        return 0;
    if (v->type != TNS_DICT)
        return bad_type("flow", "error", v, e);
    char *msg;
    double ts;
    int rc;
    if ((rc = take_text(v, "msg", &msg, 0, "error", e)) < 0)
        return rc;
    f->error = xcalloc(1, sizeof(*f->error));
    f->error->msg = msg;
    if ((rc = take_ts(v, "timestamp", &ts, 1, "error", e)) < 0)
        return rc;
    f->error->timestamp = ts;
    return 0;
}

/* A bool stored by Python, or an int from an older writer. */
static int
is_flag(const struct tns *t)
{
    return t->type == TNS_BOOL || t->type == TNS_INT;
}

static int
flag(const struct tns *t)
{
    return t->type == TNS_BOOL ? t->u.b : t->u.i != 0;
}

/* wsproto's Opcode values, the only ones mitmproxy loads. */
static int
is_opcode(const struct tns *t)
{
    return t->type == TNS_INT && (t->u.i == 0 || t->u.i == 1 || t->u.i == 2 || t->u.i == 8 ||
                                  t->u.i == 9 || t->u.i == 10);
}

/* WebSocketData.messages: (type, from_client, content, timestamp, dropped,
 * injected) tuples. */
static int
load_ws_messages(const struct tns *v, struct flow *f, struct err *e)
{
    if (v->type != TNS_LIST)
        return bad_type("websocket", "messages", v, e);
    for (size_t i = 0; i < v->u.list.n; i++) {
        const struct tns *m = v->u.list.v[i];
        struct tns *const *x = m->type == TNS_LIST ? m->u.list.v : NULL;
        if (x == NULL || m->u.list.n != 6 || !is_opcode(x[0]) || !is_flag(x[1]) || !is_str(x[2]) ||
            (x[3]->type != TNS_FLOAT && x[3]->type != TNS_INT) || !is_flag(x[4]) || !is_flag(x[5]))
            return err_set(e, MP_ERR_CORRUPT,
                           "websocket: messages[%zu] is not a (type, from_client, content, "
                           "timestamp, dropped, injected) tuple",
                           i);
        struct ws_message *wm =
            flow_ws_add_message(f, (int)x[0]->u.i, flag(x[1]), x[2]->u.str.p, x[2]->u.str.len);
        wm->timestamp = x[3]->type == TNS_FLOAT ? x[3]->u.f.v : (double)x[3]->u.i;
        wm->dropped = flag(x[4]) ? 1 : 0;
        wm->injected = flag(x[5]) ? 1 : 0;
    }
    return 0;
}

/* HTTPFlow.websocket: WebSocketData's fields; absent ones are None. */
static int
load_websocket(struct tns *d, struct flow *f, struct err *e)
{
    const char *ctx = "websocket";
    if (d->type != TNS_DICT)
        return bad_type("flow", "websocket", d, e);
    struct websocket_data *ws = flow_ws_data(f);
    struct tns *v = tns_dict_take(d, "messages");
    int rc = v && v->type != TNS_NULL ? load_ws_messages(v, f, e) : 0;
    tns_free(v);
    if (rc < 0)
        return rc;
    v = tns_dict_take(d, "closed_by_client");
    if (v && v->type != TNS_NULL) {
        if (is_flag(v))
            ws->closed_by_client = flag(v) ? 1 : 0;
        else
            rc = bad_type(ctx, "closed_by_client", v, e);
    }
    tns_free(v);
    if (rc < 0)
        return rc;
    v = tns_dict_take(d, "close_code");
    if (v && v->type == TNS_INT && v->u.i >= 0 && v->u.i <= 65535)
        ws->close_code = (int)v->u.i;
    else if (v && v->type == TNS_INT)
        rc = err_set(e, MP_ERR_CORRUPT, "websocket: close code %" PRId64 " out of range", v->u.i);
    else if (v && v->type != TNS_NULL)
        rc = bad_type(ctx, "close_code", v, e);
    tns_free(v);
    if (rc < 0 || (rc = take_text(d, "close_reason", &ws->close_reason, 1, ctx, e)) < 0)
        return rc;
    /* Keys mitmproxy does not write are dropped, as down_to_17() drops them. */
    return take_ts(d, "timestamp_end", &ws->timestamp_end, 1, ctx, e);
}

static int
load_http(struct tns *d, struct flow *f, struct err *e)
{
    struct tns *v = tns_dict_take(d, "request");
    int rc = 0;
    if (v == NULL || v->type != TNS_DICT)
        rc = v ? bad_type("flow", "request", v, e) : missing("flow", "request", e);
    else
        rc = load_request(v, &f->request, e);
    tns_free(v);
    if (rc < 0)
        return rc;
    v = tns_dict_take(d, "response");
    if (v && v->type == TNS_DICT)
        rc = load_response(v, &f->response, e);
    else if (v && v->type != TNS_NULL)
        rc = bad_type("flow", "response", v, e);
    tns_free(v);
    if (rc < 0)
        return rc;
    v = tns_dict_take(d, "websocket");
    if (v && v->type != TNS_NULL)
        rc = load_websocket(v, f, e);
    tns_free(v);
    return rc;
}

/* TCPFlow.messages: a list of (from_client, content, timestamp) triples. */
static int
load_tcp(struct tns *d, struct flow *f, struct err *e)
{
    struct tns *v = tns_dict_take(d, "messages");
    int rc = 0;
    if (v == NULL || v->type != TNS_LIST) {
        rc = v ? bad_type("flow", "messages", v, e) : missing("flow", "messages", e);
        tns_free(v);
        return rc;
    }
    for (size_t i = 0; i < v->u.list.n; i++) {
        const struct tns *m = v->u.list.v[i];
        const struct tns *fc, *content, *ts;
        if (m->type != TNS_LIST || m->u.list.n != 3 ||
            ((fc = m->u.list.v[0])->type != TNS_BOOL && fc->type != TNS_INT) ||
            !is_str(content = m->u.list.v[1]) ||
            ((ts = m->u.list.v[2])->type != TNS_FLOAT && ts->type != TNS_INT)) {
            rc =
                err_set(e, MP_ERR_CORRUPT,
                        "flow: messages[%zu] is not a (from_client, content, timestamp) triple", i);
            break;
        }
        struct tcp_message *tm = flow_tcp_add_message(
            f, fc->type == TNS_BOOL ? fc->u.b : fc->u.i != 0, content->u.str.p, content->u.str.len);
        tm->timestamp = ts->type == TNS_FLOAT ? ts->u.f.v : (double)ts->u.i;
    }
    tns_free(v);
    return rc;
}

static int migrate(struct tns *d, int64_t *version_out, struct err *e);
static int load_flow(struct tns *d, struct flow **out, int with_backup, struct err *e);

/*
 * Flow.backup(): the state of the flow before an edit, stored whole under
 * "backup" with its own version (mitmproxy upgrades only the outer state,
 * so a backup may be older). Takes v; loaded as a flow of f's type.
 */
static int
load_backup(struct tns *v, struct flow *f, struct err *e)
{
    struct err be = {0, ""};
    struct flow *b = NULL;
    int64_t version;
    int rc;
    if (v->type != TNS_DICT) {
        rc = bad_type("flow", "backup", v, e);
        tns_free(v);
        return rc;
    }
    if ((rc = migrate(v, &version, &be)) < 0) {
        tns_free(v);
        return err_set(e, rc, "backup: %s", be.msg);
    }
    if ((rc = load_flow(v, &b, 0, &be)) < 0)
        return err_set(e, rc, "backup: %s", be.msg);
    if (b->type != f->type) {
        rc = err_set(e, MP_ERR_CORRUPT, "backup: a %s flow backs up a %s flow",
                     flow_type_name(b->type), flow_type_name(f->type));
        flow_unref(b);
        return rc;
    }
    f->backup = b;
    return 0;
}

/* Takes d, a version-17 flow dict; with_backup: d may hold a backup. */
static int
load_flow(struct tns *d, struct flow **out, int with_backup, struct err *e)
{
    const char *ctx = "flow";
    char *type, *s;
    int rc;
    *out = NULL;
    if ((rc = take_str(d, "type", &type, 0, ctx, e)) < 0)
        goto fail;
    enum flow_type ft;
    if (strcmp(type, "http") == 0) {
        ft = FLOW_HTTP;
    } else if (strcmp(type, "tcp") == 0) {
        ft = FLOW_TCP;
    } else if (strcmp(type, "dns") == 0) {
        ft = FLOW_DNS;
    } else {
        rc = err_set(e, MP_ERR_UNSUPPORTED, "unsupported flow type '%.40s'", type);
        free(type);
        goto fail;
    }
    free(type);
    struct flow *f = flow_new(ft);
    *out = f;
    tns_free(tns_dict_take(d, "version"));
    if ((rc = take_id(d, f->id, ctx, e)) < 0)
        goto fail;
    if ((rc = load_conn(tns_dict_take(d, "client_conn"), CONN_CLIENT, &f->client_conn, e)) < 0 ||
        (rc = load_conn(tns_dict_take(d, "server_conn"), CONN_SERVER, &f->server_conn, e)) < 0)
        goto fail;
    struct tns *v = tns_dict_take(d, "error");
    rc = load_error(v, f, e);
    tns_free(v);
    if (rc < 0 || (rc = take_bool(d, "intercepted", &f->intercepted, ctx, e)) < 0 ||
        (rc = take_str(d, "is_replay", &s, 1, ctx, e)) < 0)
        goto fail;
    if (s && strcmp(s, "request") == 0)
        f->is_replay = "request";
    else if (s && strcmp(s, "response") == 0)
        f->is_replay = "response";
    free(s);
    if ((rc = take_str_into(d, "marked", &f->marked, 1, ctx, e)) < 0 ||
        (rc = take_str_into(d, "comment", &f->comment, 1, ctx, e)) < 0 ||
        (rc = take_ts(d, "timestamp_created", &f->timestamp_created, 1, ctx, e)) < 0)
        goto fail;
    v = tns_dict_take(d, "metadata");
    if (v && v->type == TNS_DICT && v->u.dict.n > 0) {
        f->metadata = tns_keep(v);
    } else {
        rc = v && v->type != TNS_DICT && v->type != TNS_NULL ? bad_type(ctx, "metadata", v, e) : 0;
        tns_free(v);
        if (rc < 0)
            goto fail;
    }
    if (ft == FLOW_HTTP && (rc = load_http(d, f, e)) < 0)
        goto fail;
    if (ft == FLOW_TCP && (rc = load_tcp(d, f, e)) < 0)
        goto fail;
    /* The message trees stay in d, and so in extra (see flow.h). */
    if (ft == FLOW_DNS && (rc = flow__load_dns(d, f, e)) < 0)
        goto fail;
    /* A backup's own "backup" stays in its extra, which is never written. */
    v = with_backup ? tns_dict_take(d, "backup") : NULL;
    if (v && v->type != TNS_NULL) {
        if ((rc = load_backup(v, f, e)) < 0)
            goto fail;
    } else {
        tns_free(v);
    }
    f->extra = leftover(d);
    return 0;
fail:
    tns_free(d);
    flow_unref(*out);
    *out = NULL;
    return rc;
}

/* Version migration, applied to the tree before loading. */

static struct tns *
conn_of(struct tns *d, const char *key)
{
    struct tns *c = tns_dict_get(d, key);
    return c && c->type == TNS_DICT ? c : NULL;
}

/* 10 -> 11: sni became text, alpn_proto_negotiated became alpn, absent offer
 * and cipher lists became empty lists. */
static void
up_10_11(struct tns *d)
{
    struct tns *conns[3] = {conn_of(d, "client_conn"), conn_of(d, "server_conn"), NULL};
    if (conns[1])
        conns[2] = conn_of(conns[1], "via");
    for (int i = 0; i < 3; i++) {
        struct tns *c = conns[i];
        if (c == NULL)
            continue;
        /* sni turned from bytes into text: take_text() checks it is UTF-8. */
        tns_dict_rename(c, "alpn_proto_negotiated", "alpn");
        const char *lists[2] = {"alpn_offers", "cipher_list"};
        for (int k = 0; k < 2; k++) {
            struct tns *l = tns_dict_get(c, lists[k]);
            if (l == NULL || l->type == TNS_NULL)
                tns_dict_set(c, lists[k], tns_list());
        }
    }
}

/* 11 -> 12: websocket flows used to be separate flows merged into their
 * handshake; that needs state across records, so we refuse them. */
static int
up_11_12(struct tns *d, struct err *e)
{
    struct tns *meta = tns_dict_get(d, "metadata");
    struct tns *type = tns_dict_get(d, "type");
    if (tns_dict_get(meta, "websocket_handshake") ||
        (type && is_str(type) && strcmp(type->u.str.p, "http") != 0 &&
         strcmp(type->u.str.p, "tcp") != 0))
        return err_set(e, MP_ERR_UNSUPPORTED,
                       "version 11 websocket flows cannot be upgraded; use mitmproxy");
    tns_dict_set(d, "websocket", tns_null());
    return 0;
}

static void
up_12_13(struct tns *d)
{
    struct tns *m = tns_dict_get(d, "marked");
    int marked = m && ((m->type == TNS_BOOL && m->u.b) || (is_str(m) && m->u.str.len));
    tns_dict_set(d, "marked", tns_text(marked ? ":default:" : ""));
}

static double
num(const struct tns *t)
{
    if (t && t->type == TNS_FLOAT)
        return t->u.f.v;
    if (t && t->type == TNS_INT)
        return (double)t->u.i;
    return 0;
}

static void
up_13_14(struct tns *d)
{
    tns_dict_set(d, "comment", tns_text(""));
    struct tns *resp = conn_of(d, "response"), *req = conn_of(d, "request");
    struct tns *ts = tns_dict_get(resp, "timestamp_start");
    if (resp && req && (ts == NULL || ts->type == TNS_NULL)) {
        double end = num(tns_dict_get(req, "timestamp_end"));
        tns_dict_set(resp, "timestamp_start", tns_float(end));
        tns_dict_set(resp, "timestamp_end", tns_float(end + 1));
    }
}

static void
up_14_15(struct tns *d)
{
    struct tns *msgs = tns_dict_get(conn_of(d, "websocket"), "messages");
    if (msgs == NULL || msgs->type != TNS_LIST)
        return;
    for (size_t i = 0; i < msgs->u.list.n; i++)
        if (msgs->u.list.v[i]->type == TNS_LIST)
            tns_list_append(msgs->u.list.v[i], tns_bool(0));
}

static void
up_15_16(struct tns *d)
{
    struct tns *src = conn_of(d, "request");
    if (src == NULL)
        src = conn_of(d, "client_conn");
    struct tns *ts = tns_dict_get(src, "timestamp_start");
    tns_dict_set(d, "timestamp_created", ts ? tns_copy(ts) : tns_float(0));
}

/*
 * 18..21 -> 17. 18 added client_conn.proxy_mode; 19 renamed the address
 * fields (client address -> peername, server ip_address/source_address ->
 * peername/sockname, via2 -> via), cipher_name -> cipher, dropped
 * tls_established and tls_extensions and added transport_protocol; 20
 * dropped state; 21 renamed tls_version "QUIC" to "QUICv1". Fields we do
 * not know are tolerated and dropped on write.
 */
static void
down_to_17(struct tns *d, int64_t version)
{
    struct tns *cc = conn_of(d, "client_conn"), *sc = conn_of(d, "server_conn");
    struct tns *conns[2] = {cc, sc};
    for (int i = 0; i < 2; i++) {
        struct tns *c = conns[i];
        if (c == NULL)
            continue;
        tns_free(tns_dict_take(c, "proxy_mode"));
        if (version >= 19) {
            tns_free(tns_dict_take(c, "transport_protocol"));
            tns_dict_rename(c, "cipher", "cipher_name");
            struct tns *tls = tns_dict_get(c, "timestamp_tls_setup");
            if (!tns_dict_get(c, "tls_established"))
                tns_dict_set(c, "tls_established", tns_bool(tls && tls->type != TNS_NULL));
        }
        if (!tns_dict_get(c, "state")) {
            struct tns *end = tns_dict_get(c, "timestamp_end");
            tns_dict_set(c, "state",
                         tns_int(end && end->type != TNS_NULL ? CONN_CLOSED : CONN_OPEN));
        }
    }
    if (version >= 19 && cc) {
        tns_dict_rename(cc, "peername", "address");
        if (!tns_dict_get(cc, "tls_extensions"))
            tns_dict_set(cc, "tls_extensions", tns_list());
    }
    if (version >= 19 && sc) {
        tns_dict_rename(sc, "peername", "ip_address");
        tns_dict_rename(sc, "sockname", "source_address");
        tns_dict_rename(sc, "via", "via2");
    }
}

static int
migrate(struct tns *d, int64_t *version_out, struct err *e)
{
    struct tns *v = tns_dict_get(d, "version");
    if (v == NULL || v->type != TNS_INT)
        return err_set(e, MP_ERR_UNSUPPORTED,
                       "unsupported flow file version (not an integer: mitmproxy < 3)");
    int64_t version = v->u.i;
    *version_out = version;
    if (version < FFILE_MIN_VERSION || version > FFILE_MAX_VERSION)
        return err_set(e, MP_ERR_UNSUPPORTED, "unsupported flow file version %" PRId64, version);
    int rc;
    switch (version) {
    case 10:
        up_10_11(d);
        __attribute__((fallthrough));
    case 11:
        if ((rc = up_11_12(d, e)) < 0)
            return rc;
        __attribute__((fallthrough));
    case 12:
        up_12_13(d);
        __attribute__((fallthrough));
    case 13:
        up_13_14(d);
        __attribute__((fallthrough));
    case 14:
        up_14_15(d);
        __attribute__((fallthrough));
    case 15:
        up_15_16(d);
        __attribute__((fallthrough));
    case 16:
        tns_free(tns_dict_take(d, "mode"));
        break;
    default:
        if (version > 17)
            down_to_17(d, version);
        break;
    }
    return 0;
}

/*
 * The record's tree is read once and dropped, so it is decoded into an
 * arena whose first block is on the stack: a record of the fixtures' kind
 * fits, and its some 200 values cost no malloc of their own. A malloc and
 * a free per value were half of reading a flow, and as a flow store grew
 * around them glibc's malloc took longer for each (bench/README.md, "-r
 * through the addon chain").
 */
#define RECORD_STACK 16384

static int
deserialize(struct tns_arena *a, const uint8_t *p, size_t len, size_t *used, struct flow **out,
            struct err *e)
{
    struct tns *d;
    int64_t version = 0;
    int rc = tns_decode_in(a, p, len, used, &d, e);
    if (rc < 0)
        return rc;
    if (d->type != TNS_DICT) {
        tns_free(d);
        return err_set(e, MP_ERR_CORRUPT, "record is not a dict");
    }
    if ((rc = migrate(d, &version, e)) < 0) {
        tns_free(d);
        return rc;
    }
    if ((rc = load_flow(d, out, 1, e)) < 0)
        return rc;
    (*out)->loaded_version = (int)version;
    return 0;
}

int
ffile_deserialize(const uint8_t *p, size_t len, size_t *used, struct flow **out, struct err *e)
{
    max_align_t space[RECORD_STACK / sizeof(max_align_t)];
    struct tns_arena a;
    *out = NULL;
    tns_arena_init(&a, space, sizeof(space));
    int rc = deserialize(&a, p, len, used, out, e);
    tns_arena_clear(&a);
    return rc;
}

/*
 * Writing: straight from the flow into the record with a tns_writer, in
 * mitmproxy 8.1.1's key order. Building a tree first cost an allocation per
 * value and a copy of every body and header, and made writing a flow file
 * slower than reading one.
 */

static void
str_or_null(struct tns_writer *w, const char *s, enum tns_type type)
{
    if (s == NULL)
        tns_w_null(w);
    else
        tns_w_str(w, s, strlen(s), type);
}

static void
bytes(struct tns_writer *w, const char *s)
{
    tns_w_str(w, s ? s : "", s ? strlen(s) : 0, TNS_BYTES);
}

static void
text(struct tns_writer *w, const char *s)
{
    tns_w_str(w, s, strlen(s), TNS_TEXT);
}

/* Optional timestamps: 0 is None. */
static void
ts_opt(struct tns_writer *w, double v)
{
    if (v)
        tns_w_float(w, v);
    else
        tns_w_null(w);
}

static void
write_addr(struct tns_writer *w, const struct addr *a)
{
    if (a->host == NULL) {
        tns_w_null(w);
        return;
    }
    size_t l = tns_w_open(w);
    text(w, a->host);
    tns_w_int(w, a->port);
    tns_w_close(w, l, TNS_LIST);
}

static void
write_headers(struct tns_writer *w, const struct hdrs *h)
{
    size_t l = tns_w_open(w);
    for (size_t i = 0; i < h->n; i++) {
        size_t f = tns_w_open(w);
        tns_w_str(w, h->v[i].name, h->v[i].name_len, TNS_BYTES);
        tns_w_str(w, h->v[i].value, h->v[i].value_len, TNS_BYTES);
        tns_w_close(w, f, TNS_LIST);
    }
    tns_w_close(w, l, TNS_LIST);
}

static void
write_content(struct tns_writer *w, const struct buf *b, int none)
{
    if (none)
        tns_w_null(w);
    else
        tns_w_str(w, buf_ptr(b), b->len, TNS_BYTES);
}

/* The ways a field we do not model is written when extra lacks it. */
enum dflt { D_NULL, D_LIST, D_DICT };

/* A field we do not model: as loaded, or mitmproxy's default. */
static void
extra_or(struct tns_writer *w, const struct tns *extra, const char *key, enum dflt dflt)
{
    const struct tns *v = tns_dict_get(extra, key);
    if (v) {
        tns_w_tree(w, v);
    } else if (dflt == D_NULL) {
        tns_w_null(w);
    } else {
        size_t h = tns_w_open(w);
        tns_w_close(w, h, dflt == D_LIST ? TNS_LIST : TNS_DICT);
    }
}

/* The chain the proxy saw: a list of PEM bytes, as a loaded one is kept. */
static void
write_certs(struct tns_writer *w, const struct certchain *chain)
{
    size_t l = tns_w_open(w), len;
    const char *pem;
    for (size_t i = 0; (pem = certchain_pem(chain, i, &len)) != NULL; i++)
        tns_w_str(w, pem, len, TNS_BYTES);
    tns_w_close(w, l, TNS_LIST);
}

/* The protocols the proxy saw offered: a list of bytes, as a loaded one is kept. */
static void
write_alpn_offers(struct tns_writer *w, const struct connection *c)
{
    size_t l = tns_w_open(w), len;
    const char *name;
    for (size_t i = 0; (name = connection_alpn_offer(c, i, &len)) != NULL; i++)
        tns_w_str(w, name, len, TNS_BYTES);
    tns_w_close(w, l, TNS_LIST);
}

static void
write_conn(struct tns_writer *w, const struct connection *c)
{
    if (c == NULL) {
        tns_w_null(w);
        return;
    }
    const struct tns *x = c->extra;
    int client = c->side == CONN_CLIENT;
    size_t d = tns_w_open(w);
    if (!client) {
        tns_w_key(w, "via2");
        extra_or(w, x, "via2", D_NULL);
    }
    tns_w_key(w, "cipher_list");
    extra_or(w, x, "cipher_list", D_LIST);
    if (!client) {
        tns_w_key(w, "cipher_name");
        str_or_null(w, c->cipher, TNS_TEXT);
    }
    tns_w_key(w, "alpn_offers");
    if (c->alpn_offers)
        write_alpn_offers(w, c);
    else
        extra_or(w, x, "alpn_offers", D_LIST);
    tns_w_key(w, "certificate_list");
    if (c->certs)
        write_certs(w, c->certs);
    else
        extra_or(w, x, "certificate_list", D_LIST);
    tns_w_key(w, "tls");
    tns_w_bool(w, c->tls);
    tns_w_key(w, "error");
    str_or_null(w, c->error, TNS_TEXT);
    if (client) {
        tns_w_key(w, "sockname");
        write_addr(w, &c->sockname);
    }
    tns_w_key(w, "state");
    tns_w_int(w, c->state);
    if (!client) {
        tns_w_key(w, "via");
        extra_or(w, x, "via", D_NULL);
    }
    tns_w_key(w, "tls_version");
    str_or_null(w, c->tls_version, TNS_TEXT);
    if (client) {
        tns_w_key(w, "tls_extensions");
        extra_or(w, x, "tls_extensions", D_LIST);
    }
    tns_w_key(w, "tls_established");
    tns_w_bool(w, c->tls_established);
    tns_w_key(w, "timestamp_tls_setup");
    ts_opt(w, c->timestamp_tls_setup);
    if (!client) {
        tns_w_key(w, "timestamp_tcp_setup");
        ts_opt(w, c->timestamp_tcp_setup);
    }
    /* A client connection always has a start time in mitmproxy 8. */
    tns_w_key(w, "timestamp_start");
    if (client)
        tns_w_float(w, c->timestamp_start);
    else
        ts_opt(w, c->timestamp_start);
    tns_w_key(w, "timestamp_end");
    ts_opt(w, c->timestamp_end);
    if (!client) {
        tns_w_key(w, "source_address");
        write_addr(w, &c->sockname);
    }
    tns_w_key(w, "sni");
    str_or_null(w, c->sni, TNS_TEXT);
    if (!client) {
        tns_w_key(w, "ip_address");
        write_addr(w, &c->peername);
    }
    if (client) {
        tns_w_key(w, "mitmcert");
        extra_or(w, x, "mitmcert", D_NULL);
    }
    tns_w_key(w, "id");
    text(w, c->id);
    if (client) {
        tns_w_key(w, "cipher_name");
        str_or_null(w, c->cipher, TNS_TEXT);
    }
    tns_w_key(w, "alpn");
    str_or_null(w, c->alpn, TNS_BYTES);
    /* mitmproxy's Client.address is the peername; we keep both in step but
     * the peername is what the proxy core fills for clients. */
    tns_w_key(w, "address");
    write_addr(w, client && c->peername.host ? &c->peername : &c->address);
    tns_w_close(w, d, TNS_DICT);
}

/* What requests and responses share, from timestamp_end on. */
static void
write_message_tail(struct tns_writer *w, double timestamp_end, double timestamp_start,
                   const struct hdrs *trailers, const struct buf *content, int content_none,
                   const struct hdrs *headers, const char *http_version)
{
    tns_w_key(w, "timestamp_end");
    ts_opt(w, timestamp_end);
    tns_w_key(w, "timestamp_start");
    tns_w_float(w, timestamp_start);
    tns_w_key(w, "trailers");
    if (trailers)
        write_headers(w, trailers);
    else
        tns_w_null(w);
    tns_w_key(w, "content");
    write_content(w, content, content_none);
    tns_w_key(w, "headers");
    write_headers(w, headers);
    tns_w_key(w, "http_version");
    bytes(w, http_version);
}

static void
write_request(struct tns_writer *w, const struct http_request *r)
{
    size_t d = tns_w_open(w);
    tns_w_key(w, "path");
    bytes(w, r->path);
    tns_w_key(w, "authority");
    bytes(w, r->authority);
    tns_w_key(w, "scheme");
    bytes(w, r->scheme);
    tns_w_key(w, "method");
    bytes(w, r->method);
    tns_w_key(w, "port");
    tns_w_int(w, r->port);
    tns_w_key(w, "host");
    text(w, r->host ? r->host : "");
    write_message_tail(w, r->timestamp_end, r->timestamp_start, r->trailers, &r->content,
                       r->content_none, &r->headers, r->http_version);
    tns_w_close(w, d, TNS_DICT);
}

static void
write_response(struct tns_writer *w, const struct http_response *r)
{
    size_t d = tns_w_open(w);
    tns_w_key(w, "reason");
    bytes(w, r->reason);
    tns_w_key(w, "status_code");
    tns_w_int(w, r->status_code);
    write_message_tail(w, r->timestamp_end, r->timestamp_start, r->trailers, &r->content,
                       r->content_none, &r->headers, r->http_version);
    tns_w_close(w, d, TNS_DICT);
}

/*
 * Timestamps are written in Python's float repr, which is the text mitmproxy
 * wrote them with, so loaded messages come out byte for byte the same.
 * Dropped messages were never sent and are not stored.
 */
static void
write_messages(struct tns_writer *w, const struct flow *f)
{
    size_t l = tns_w_open(w);
    for (size_t i = 0; i < f->nmessages; i++) {
        const struct tcp_message *m = &f->messages[i];
        if (m->dropped)
            continue;
        size_t t = tns_w_open(w);
        tns_w_bool(w, m->from_client);
        tns_w_str(w, buf_ptr(&m->content), m->content.len, TNS_BYTES);
        tns_w_float(w, m->timestamp);
        tns_w_close(w, t, TNS_LIST);
    }
    tns_w_close(w, l, TNS_LIST);
}

/* WebSocketData.get_state(): its fields, then the messages, each
 * WebSocketMessage.get_state() (type, from_client, content, timestamp,
 * dropped, injected). Dropped messages are kept, as mitmproxy keeps them. */
static void
write_websocket(struct tns_writer *w, const struct websocket_data *ws)
{
    size_t d = tns_w_open(w);
    /* The key order mitmproxy 8.1.1 writes. */
    tns_w_key(w, "timestamp_end");
    ts_opt(w, ws->timestamp_end);
    tns_w_key(w, "close_reason");
    str_or_null(w, ws->close_reason, TNS_TEXT);
    tns_w_key(w, "close_code");
    if (ws->close_code >= 0)
        tns_w_int(w, ws->close_code);
    else
        tns_w_null(w);
    tns_w_key(w, "closed_by_client");
    if (ws->closed_by_client >= 0)
        tns_w_bool(w, ws->closed_by_client);
    else
        tns_w_null(w);
    tns_w_key(w, "messages");
    size_t l = tns_w_open(w);
    for (size_t i = 0; i < ws->nmessages; i++) {
        const struct ws_message *m = &ws->messages[i];
        size_t t = tns_w_open(w);
        tns_w_int(w, m->type);
        tns_w_bool(w, m->from_client);
        tns_w_str(w, buf_ptr(&m->content), m->content.len, TNS_BYTES);
        tns_w_float(w, m->timestamp);
        tns_w_bool(w, m->dropped);
        tns_w_bool(w, m->injected);
        tns_w_close(w, t, TNS_LIST);
    }
    tns_w_close(w, l, TNS_LIST);
    tns_w_close(w, d, TNS_DICT);
}

/* The fields of the flow's type: HTTP, TCP or DNS. */
static void
write_typed(struct tns_writer *w, const struct flow *f)
{
    switch (f->type) {
    case FLOW_HTTP:
        tns_w_key(w, "websocket");
        if (f->websocket)
            write_websocket(w, f->websocket);
        else
            tns_w_null(w);
        tns_w_key(w, "response");
        if (f->response)
            write_response(w, f->response);
        else
            tns_w_null(w);
        tns_w_key(w, "request");
        if (f->request)
            write_request(w, f->request);
        else
            tns_w_null(w);
        break;
    case FLOW_TCP:
        tns_w_key(w, "messages");
        write_messages(w, f);
        break;
    case FLOW_DNS:
        flow__write_dns(w, f);
        break;
    }
}

/* Flow.get_state() without the backup: the fields of an open dict. */
static void
write_state(struct tns_writer *w, const struct flow *f)
{
    tns_w_key(w, "type");
    text(w, flow_type_name(f->type));
    tns_w_key(w, "version");
    tns_w_int(w, FFILE_WRITE_VERSION);
    write_typed(w, f);
    tns_w_key(w, "timestamp_created");
    tns_w_float(w, f->timestamp_created);
    tns_w_key(w, "comment");
    text(w, f->comment ? f->comment : "");
    tns_w_key(w, "metadata");
    if (f->metadata) {
        tns_w_tree(w, f->metadata);
    } else {
        size_t m = tns_w_open(w);
        tns_w_close(w, m, TNS_DICT);
    }
    tns_w_key(w, "marked");
    text(w, f->marked ? f->marked : "");
    tns_w_key(w, "is_replay");
    str_or_null(w, f->is_replay, TNS_TEXT);
    tns_w_key(w, "intercepted");
    tns_w_bool(w, f->intercepted);
    tns_w_key(w, "server_conn");
    write_conn(w, f->server_conn);
    tns_w_key(w, "client_conn");
    write_conn(w, f->client_conn);
    tns_w_key(w, "error");
    if (f->error) {
        size_t e = tns_w_open(w);
        tns_w_key(w, "timestamp");
        tns_w_float(w, f->error->timestamp);
        tns_w_key(w, "msg");
        text(w, f->error->msg ? f->error->msg : "");
        tns_w_close(w, e, TNS_DICT);
    } else {
        tns_w_null(w);
    }
    tns_w_key(w, "id");
    text(w, f->id);
}

/* The state of f as one finished dict, appended to out. */
static void
state_bytes(struct buf *out, const struct flow *f)
{
    struct tns_writer w;
    tns_writer_init(&w, out);
    size_t d = tns_w_open(&w);
    write_state(&w, f);
    tns_w_close(&w, d, TNS_DICT);
    tns_writer_finish(&w);
    tns_writer_clear(&w);
}

int
flow__same_state(const struct flow *a, const struct flow *b)
{
    struct buf x = BUF_INIT, y = BUF_INIT;
    state_bytes(&x, a);
    state_bytes(&y, b);
    int same = x.len == y.len && memcmp(buf_ptr(&x), buf_ptr(&y), x.len) == 0;
    buf_clear(&x);
    buf_clear(&y);
    return same;
}

/*
 * Flow.get_state(): the state, and the backup while it differs from the
 * state. The backup comes first in the file (mitmproxy adds it last and
 * its encoder writes dict items in reverse).
 */
void
ffile_serialize(struct buf *out, const struct flow *f)
{
    struct buf backup = BUF_INIT;
    if (f->backup) {
        struct buf now = BUF_INIT;
        state_bytes(&backup, f->backup);
        state_bytes(&now, f);
        if (backup.len == now.len && memcmp(buf_ptr(&backup), buf_ptr(&now), now.len) == 0)
            buf_reset(&backup);
        buf_clear(&now);
    }
    struct tns_writer w;
    tns_writer_init(&w, out);
    size_t d = tns_w_open(&w);
    if (backup.len) {
        tns_w_key(&w, "backup");
        tns_w_raw(&w, buf_ptr(&backup), backup.len);
    }
    write_state(&w, f);
    tns_w_close(&w, d, TNS_DICT);
    tns_writer_finish(&w);
    tns_writer_clear(&w);
    buf_clear(&backup);
}

/* The streaming reader. */

struct ffile_reader {
    FILE *f;
    int owns_f; /* opened by ffile_reader_open(): closed by ffile_reader_free() */
    char *name;
    uint64_t offset; /* of the next record */
    struct buf rec;
    struct err err; /* sticky once set */
};

struct ffile_reader *
ffile_reader_new(FILE *f, const char *name)
{
    struct ffile_reader *r = xcalloc(1, sizeof(*r));
    r->f = f;
    r->name = xstrdup(name ? name : "flow file");
    return r;
}

struct ffile_reader *
ffile_reader_open(const char *path, struct err *e)
{
    if (strcmp(path, "-") == 0) {
        struct ffile_reader *r = ffile_reader_new(stdin, "<stdin>");
        return r;
    }
    char *full = path_expand_home(path);
    FILE *f = fopen(full, "rb");
    free(full);
    if (f == NULL)
        return err_set(e, MP_ERR_IO, "cannot read flows from '%s': %s", path, strerror(errno)),
               NULL;
    struct ffile_reader *r = ffile_reader_new(f, path);
    r->owns_f = 1;
    return r;
}

void
ffile_reader_free(struct ffile_reader *r)
{
    if (r == NULL)
        return;
    if (r->owns_f)
        fclose(r->f);
    buf_clear(&r->rec);
    free(r->name);
    free(r);
}

uint64_t
ffile_reader_offset(const struct ffile_reader *r)
{
    return r->offset;
}

static int
fail(struct ffile_reader *r, int code, const char *why, struct err *e)
{
    err_set(&r->err, code, "%s: %s flow record at byte %" PRIu64 ": %s", r->name,
            code == MP_ERR_UNSUPPORTED ? "unreadable" : "corrupt", r->offset, why);
    if (e)
        *e = r->err;
    return code;
}

int
ffile_read(struct ffile_reader *r, struct flow **out, struct err *e)
{
    *out = NULL;
    if (r->err.code) {
        if (e)
            *e = r->err;
        return r->err.code;
    }
    buf_reset(&r->rec);
    /* The length prefix, byte by byte: a bogus one must not make us read or
     * allocate much before we know the record is damaged. */
    uint64_t n = 0;
    int c, digits = 0;
    while ((c = getc(r->f)) != EOF && c >= '0' && c <= '9') {
        uint8_t ch = (uint8_t)c;
        buf_append(&r->rec, &ch, 1);
        if (++digits > TNS_MAX_LEN_DIGITS)
            return fail(r, MP_ERR_CORRUPT, "length prefix too long", e);
        n = n * 10 + (uint64_t)(c - '0');
    }
    if (c == EOF) {
        if (ferror(r->f))
            return fail(r, MP_ERR_IO, "read error", e);
        if (digits == 0)
            return 0;
        return fail(r, MP_ERR_CORRUPT, "file ends in the length prefix", e);
    }
    if (digits == 0 || c != ':')
        return fail(r, MP_ERR_CORRUPT, "not a tnetstring (bad length prefix)", e);
    buf_append(&r->rec, ":", 1);
    /* Grow with what actually arrives, not with what the prefix claims. */
    uint64_t want = n + 1;
    while (want > 0) {
        size_t chunk = want > (1u << 20) ? (1u << 20) : (size_t)want;
        buf_reserve(&r->rec, chunk);
        size_t got = fread(buf_ptr(&r->rec) + r->rec.len, 1, chunk, r->f);
        r->rec.len += got;
        want -= got;
        if (got < chunk) {
            if (ferror(r->f))
                return fail(r, MP_ERR_IO, "read error", e);
            /* The record is the payload's n bytes and one type byte. */
            uint64_t present = n + 1 - want;
            char why[160];
            if (present < n)
                snprintf(why, sizeof(why),
                         "file ends inside the record: %" PRIu64 " of its %" PRIu64
                         " payload bytes present, %" PRIu64 " bytes missing (file cut short?)",
                         present, n, want);
            else
                snprintf(why, sizeof(why),
                         "file ends inside the record: its %" PRIu64
                         " payload bytes are present, the type byte after them is missing "
                         "(file cut short?)",
                         n);
            return fail(r, MP_ERR_CORRUPT, why, e);
        }
    }
    size_t used = 0;
    struct err de = {0, ""};
    int rc = ffile_deserialize(buf_ptr(&r->rec), r->rec.len, &used, out, &de);
    if (rc == MP_ERR_INCOMPLETE)
        rc = MP_ERR_CORRUPT;
    if (rc < 0)
        return fail(r, rc, de.msg, e);
    r->offset += r->rec.len;
    return 1;
}

int
ffile_load_dns(const struct tns *d, struct flow *f, struct err *e)
{
    return flow__load_dns(d, f, e);
}
