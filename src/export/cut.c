/*
 * Cut specifications: a walk over the flow's attributes the way Python's
 * getattr() walks mitmproxy's objects, with str() of what it ends on.
 * Each object we model is a tagged value; leaves (text, bytes, numbers,
 * bools) are written as they are reached.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/cut.h"
#include "export/internal.h"
#include "flow/flow.h"
#include "util/num.h"

enum otype {
    O_NONE,    /* None, or an attribute we do not model */
    O_FLOW,    /* flow */
    O_TEXT,    /* a str, in text */
    O_BYTES,   /* bytes, in text */
    O_BOOL,    /* b */
    O_NUM,     /* an int or float: its str() in text; b says whether it is 0 */
    O_REQUEST, /* req */
    O_RESPONSE,
    O_CONN,
    O_ERROR,
    O_ADDR,    /* addr: a (host, port) tuple */
    O_HEADERS, /* hdrs */
    O_STATE,   /* i: ConnectionState */
};

struct obj {
    enum otype t;
    const struct flow *flow;
    const struct http_request *req;
    const struct http_response *resp;
    const struct connection *conn;
    const struct flow_error *err;
    const struct addr *addr;
    const struct hdrs *hdrs;
    int b;
    int i;
    struct buf text; /* owned */
};

static void
set_text(struct obj *o, enum otype t, const char *s, size_t n)
{
    o->t = t;
    buf_set(&o->text, s, n);
}

static void
set_cstr(struct obj *o, const char *s)
{
    if (s == NULL)
        o->t = O_NONE;
    else
        set_text(o, O_TEXT, s, strlen(s));
}

static void
set_bool(struct obj *o, int v)
{
    o->t = O_BOOL;
    o->b = v != 0;
}

static void
set_int(struct obj *o, long v)
{
    o->t = O_NUM;
    o->b = v == 0;
    buf_reset(&o->text);
    buf_printf(&o->text, "%ld", v);
}

/* A timestamp: 0 is how we keep None. */
static void
set_float(struct obj *o, double v)
{
    o->t = O_NUM;
    o->b = v == 0;
    buf_reset(&o->text);
    exp__repr_float(&o->text, v);
}

static void
set_addr(struct obj *o, const struct addr *a)
{
    o->t = a->host ? O_ADDR : O_NONE;
    o->addr = a;
}

static void
set_hdrs(struct obj *o, const struct hdrs *h)
{
    o->t = h ? O_HEADERS : O_NONE;
    o->hdrs = h;
}

/* Message.content (decoded; the raw body when it does not decode, as
 * cut meets it) or raw_content, and Message.text. */
static void
set_body(struct obj *o, const struct hdrs *h, const struct buf *raw, int none, const char *name)
{
    if (none) {
        o->t = O_NONE;
        return;
    }
    buf_reset(&o->text);
    if (strcmp(name, "raw_content") == 0) {
        o->t = O_BYTES;
        buf_append(&o->text, buf_ptr(raw), raw->len);
        return;
    }
    struct err e = {0};
    exp__get_content(h, raw, 0, &o->text, &e);
    if (strcmp(name, "content") == 0) {
        o->t = O_BYTES;
        return;
    }
    struct buf decoded = BUF_INIT;
    buf_move(&decoded, &o->text);
    exp__get_text(h, buf_ptr(&decoded), decoded.len, EXP_CHARSET_811, 0, &o->text, &e);
    buf_clear(&decoded);
    o->t = O_TEXT;
}

static int
is_http2(const char *version)
{
    return version && strcmp(version, "HTTP/2.0") == 0;
}

static void
request_attr(struct obj *o, const struct http_request *r, const char *name)
{
    if (strcmp(name, "method") == 0) {
        set_cstr(o, r->method);
    } else if (strcmp(name, "scheme") == 0) {
        set_cstr(o, r->scheme);
    } else if (strcmp(name, "host") == 0) {
        set_cstr(o, r->host);
    } else if (strcmp(name, "port") == 0) {
        set_int(o, r->port);
    } else if (strcmp(name, "authority") == 0) {
        set_cstr(o, r->authority);
    } else if (strcmp(name, "path") == 0) {
        set_cstr(o, r->path);
    } else if (strcmp(name, "http_version") == 0) {
        set_cstr(o, r->http_version);
    } else if (strcmp(name, "url") == 0 || strcmp(name, "pretty_url") == 0 ||
               strcmp(name, "pretty_host") == 0) {
        o->t = O_TEXT;
        buf_reset(&o->text);
        if (name[0] == 'u')
            exp__url(r, &o->text);
        else if (strcmp(name, "pretty_url") == 0)
            exp__pretty_url(r, &o->text);
        else
            exp__pretty_host(r, &o->text);
    } else if (strcmp(name, "host_header") == 0) {
        size_t n;
        const char *h = exp__host_header(r, &n);
        if (h)
            set_text(o, O_TEXT, h, n);
        else
            o->t = O_NONE;
    } else if (strcmp(name, "first_line_format") == 0) {
        const char *form = "relative";
        if (r->method && strcmp(r->method, "CONNECT") == 0)
            form = "authority";
        else if (r->authority && *r->authority)
            form = "absolute";
        set_cstr(o, form);
    } else if (strcmp(name, "is_http2") == 0) {
        set_bool(o, exp__is_http2(r));
    } else if (strcmp(name, "is_http10") == 0 || strcmp(name, "is_http11") == 0) {
        const char *want = strcmp(name, "is_http10") == 0 ? "HTTP/1.0" : "HTTP/1.1";
        set_bool(o, r->http_version && strcmp(r->http_version, want) == 0);
    } else if (strcmp(name, "content") == 0 || strcmp(name, "raw_content") == 0 ||
               strcmp(name, "text") == 0) {
        set_body(o, &r->headers, &r->content, r->content_none, name);
    } else if (strcmp(name, "headers") == 0) {
        set_hdrs(o, &r->headers);
    } else if (strcmp(name, "trailers") == 0) {
        set_hdrs(o, r->trailers);
    } else if (strcmp(name, "timestamp_start") == 0) {
        set_float(o, r->timestamp_start);
    } else if (strcmp(name, "timestamp_end") == 0) {
        set_float(o, r->timestamp_end);
    } else {
        o->t = O_NONE;
    }
}

static void
response_attr(struct obj *o, const struct http_response *r, const char *name)
{
    if (strcmp(name, "status_code") == 0) {
        set_int(o, r->status_code);
    } else if (strcmp(name, "reason") == 0) {
        set_cstr(o, r->reason);
    } else if (strcmp(name, "http_version") == 0) {
        set_cstr(o, r->http_version);
    } else if (strcmp(name, "is_http2") == 0) {
        set_bool(o, is_http2(r->http_version));
    } else if (strcmp(name, "content") == 0 || strcmp(name, "raw_content") == 0 ||
               strcmp(name, "text") == 0) {
        set_body(o, &r->headers, &r->content, r->content_none, name);
    } else if (strcmp(name, "headers") == 0) {
        set_hdrs(o, &r->headers);
    } else if (strcmp(name, "trailers") == 0) {
        set_hdrs(o, r->trailers);
    } else if (strcmp(name, "timestamp_start") == 0) {
        set_float(o, r->timestamp_start);
    } else if (strcmp(name, "timestamp_end") == 0) {
        set_float(o, r->timestamp_end);
    } else {
        o->t = O_NONE;
    }
}

static void
conn_attr(struct obj *o, const struct connection *c, const char *name)
{
    int server = c->side == CONN_SERVER;
    if (strcmp(name, "id") == 0) {
        set_cstr(o, c->id);
    } else if (strcmp(name, "address") == 0) {
        set_addr(o, server ? &c->address : &c->peername);
    } else if (strcmp(name, "peername") == 0) {
        set_addr(o, &c->peername);
    } else if (strcmp(name, "sockname") == 0) {
        set_addr(o, &c->sockname);
    } else if (strcmp(name, "state") == 0) {
        o->t = O_STATE;
        o->i = c->state;
    } else if (strcmp(name, "error") == 0) {
        set_cstr(o, c->error);
    } else if (strcmp(name, "tls") == 0) {
        set_bool(o, c->tls);
    } else if (strcmp(name, "tls_established") == 0) {
        set_bool(o, c->tls_established);
    } else if (strcmp(name, "sni") == 0) {
        set_cstr(o, c->sni);
    } else if (strcmp(name, "alpn") == 0) {
        set_cstr(o, c->alpn);
        if (c->alpn)
            o->t = O_BYTES;
    } else if (strcmp(name, "cipher") == 0) {
        set_cstr(o, c->cipher);
    } else if (strcmp(name, "tls_version") == 0) {
        set_cstr(o, c->tls_version);
    } else if (strcmp(name, "timestamp_start") == 0) {
        set_float(o, c->timestamp_start);
    } else if (strcmp(name, "timestamp_end") == 0) {
        set_float(o, c->timestamp_end);
    } else if (strcmp(name, "timestamp_tls_setup") == 0) {
        set_float(o, c->timestamp_tls_setup);
    } else if (server && strcmp(name, "timestamp_tcp_setup") == 0) {
        set_float(o, c->timestamp_tcp_setup);
    } else {
        /* via is a (scheme, address) spec we do not keep whole. */
        o->t = O_NONE;
    }
}

static void
flow_attr(struct obj *o, const struct flow *f, const char *name)
{
    if (strcmp(name, "id") == 0) {
        set_cstr(o, f->id);
    } else if (strcmp(name, "type") == 0) {
        set_cstr(o, flow_type_name(f->type));
    } else if (strcmp(name, "marked") == 0) {
        set_cstr(o, f->marked);
    } else if (strcmp(name, "comment") == 0) {
        set_cstr(o, f->comment);
    } else if (strcmp(name, "is_replay") == 0) {
        set_cstr(o, f->is_replay);
    } else if (strcmp(name, "intercepted") == 0) {
        set_bool(o, f->intercepted);
    } else if (strcmp(name, "live") == 0) {
        set_bool(o, f->live);
    } else if (strcmp(name, "killable") == 0) {
        set_bool(o, f->live && !(f->error && f->error->msg &&
                                 strcmp(f->error->msg, "Connection killed.") == 0));
    } else if (strcmp(name, "timestamp_created") == 0) {
        set_float(o, f->timestamp_created);
    } else if (strcmp(name, "error") == 0) {
        o->t = f->error ? O_ERROR : O_NONE;
        o->err = f->error;
    } else if (strcmp(name, "client_conn") == 0 || strcmp(name, "server_conn") == 0) {
        o->conn = name[0] == 'c' ? f->client_conn : f->server_conn;
        o->t = o->conn ? O_CONN : O_NONE;
    } else if (f->type == FLOW_HTTP && strcmp(name, "request") == 0) {
        o->t = f->request ? O_REQUEST : O_NONE;
        o->req = f->request;
    } else if (f->type == FLOW_HTTP && strcmp(name, "response") == 0) {
        o->t = f->response ? O_RESPONSE : O_NONE;
        o->resp = f->response;
    } else {
        o->t = O_NONE;
    }
}

/* getattr(o, name, None), in place. */
static void
getattr(struct obj *o, const char *name)
{
    switch (o->t) {
    case O_FLOW:
        flow_attr(o, o->flow, name);
        break;
    case O_REQUEST:
        request_attr(o, o->req, name);
        break;
    case O_RESPONSE:
        response_attr(o, o->resp, name);
        break;
    case O_CONN:
        conn_attr(o, o->conn, name);
        break;
    case O_ERROR:
        if (strcmp(name, "msg") == 0)
            set_cstr(o, o->err->msg);
        else if (strcmp(name, "timestamp") == 0)
            set_float(o, o->err->timestamp);
        else
            o->t = O_NONE;
        break;
    default:
        o->t = O_NONE;
        break;
    }
}

/* human.format_address() of a. */
static void
format_address(struct buf *out, const struct addr *a)
{
    if (a == NULL || a->host == NULL) {
        buf_append_str(out, "<no address>");
        return;
    }
    unsigned char ip[16];
    char s[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET, a->host, ip) == 1) {
        inet_ntop(AF_INET, ip, s, sizeof(s));
        if (memcmp(ip, "\0\0\0\0", 4) == 0)
            buf_printf(out, "*:%u", a->port);
        else
            buf_printf(out, "%s:%u", s, a->port);
    } else if (inet_pton(AF_INET6, a->host, ip) == 1) {
        static const unsigned char zero[16], mapped[12] = {[10] = 0xff, [11] = 0xff};
        if (memcmp(ip, zero, 16) == 0) {
            buf_printf(out, "*:%u", a->port);
        } else if (memcmp(ip, mapped, 12) == 0) {
            inet_ntop(AF_INET, ip + 12, s, sizeof(s));
            buf_printf(out, "%s:%u", s, a->port);
        } else {
            inet_ntop(AF_INET6, ip, s, sizeof(s));
            buf_printf(out, "[%s]:%u", s, a->port);
        }
    } else {
        buf_printf(out, "%s:%u", a->host, a->port);
    }
}

/* human.pretty_size(). */
static void
pretty_size(struct buf *out, size_t size)
{
    char s[NUM_SIZE_LEN];
    num_pretty_size(s, size);
    buf_append_str(out, s);
}

/* Headers.get(name): every value of the header joined with ", ". */
static void
header_values(struct buf *out, const struct hdrs *h, const char *name)
{
    int first = 1;
    for (int i = hdrs_find(h, name, 0); i >= 0; i = hdrs_find(h, name, (size_t)i + 1)) {
        if (!first)
            buf_append(out, ", ", 2);
        buf_append(out, h->v[i].value, h->v[i].value_len);
        first = 0;
    }
}

static const char *const STATES[] = {"CLOSED", "CAN_READ", "CAN_WRITE", "OPEN"};

/* str(o or ""). */
static void
to_str(struct buf *out, const struct obj *o)
{
    switch (o->t) {
    case O_NONE:
    case O_FLOW: /* never the last value: a spec names an attribute */
        break;
    case O_TEXT:
    case O_BYTES:
        buf_append(out, buf_ptr(&o->text), o->text.len);
        break;
    case O_BOOL:
        if (o->b)
            buf_append_str(out, "True");
        break;
    case O_NUM:
        if (!o->b)
            buf_append(out, buf_ptr(&o->text), o->text.len);
        break;
    case O_REQUEST: {
        const struct http_request *r = o->req;
        buf_printf(out, "Request(%s ", r->method ? r->method : "None");
        if (r->host && *r->host && r->port)
            buf_printf(out, "%s:%u", r->host, r->port);
        if (r->path)
            buf_append_str(out, r->path);
        buf_append_str(out, ")");
        break;
    }
    case O_RESPONSE: {
        const struct http_response *r = o->resp;
        buf_printf(out, "Response(%d, ", r->status_code);
        if (!r->content_none && r->content.len) {
            if (hdrs_find(&r->headers, "content-type", 0) >= 0)
                header_values(out, &r->headers, "content-type");
            else
                buf_append_str(out, "unknown content type");
            buf_append(out, ", ", 2);
            pretty_size(out, r->content.len);
        } else {
            buf_append_str(out, "no content");
        }
        buf_append_str(out, ")");
        break;
    }
    case O_CONN: {
        const struct connection *c = o->conn;
        int server = c->side == CONN_SERVER;
        buf_append_str(out, server ? "Server(" : "Client(");
        format_address(out, server ? &c->address : &c->peername);
        char state[16];
        snprintf(state, sizeof(state), "%s", STATES[c->state & 3]);
        for (char *p = state; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        buf_printf(out, ", state=%s", state);
        if (c->alpn && *c->alpn)
            buf_printf(out, ", alpn=%s", c->alpn);
        else if (c->tls_established)
            buf_append_str(out, ", tls");
        if (server && c->sockname.host)
            buf_printf(out, ", src_port=%u", c->sockname.port);
        buf_append_str(out, ")");
        break;
    }
    case O_ERROR:
        if (o->err->msg)
            buf_append_str(out, o->err->msg);
        break;
    case O_ADDR:
        buf_append_str(out, "(");
        exp__repr_str(out, o->addr->host, strlen(o->addr->host));
        buf_printf(out, ", %u)", o->addr->port);
        break;
    case O_HEADERS:
        if (o->hdrs->n == 0)
            break;
        buf_append_str(out, "Headers[");
        for (size_t i = 0; i < o->hdrs->n; i++) {
            const struct hdr *h = &o->hdrs->v[i];
            buf_append_str(out, i ? ", (" : "(");
            exp__repr_bytes(out, h->name, h->name_len);
            buf_append(out, ", ", 2);
            exp__repr_bytes(out, h->value, h->value_len);
            buf_append_str(out, ")");
        }
        buf_append_str(out, "]");
        break;
    case O_STATE:
        /* ConnectionState.CLOSED is 0, a falsy Flag. */
        if (o->i & 3)
            buf_printf(out, "ConnectionState.%s", STATES[o->i & 3]);
        break;
    }
}

/* Whether o is falsy, for `if not current` before a header. */
static int
falsy(const struct obj *o)
{
    switch (o->t) {
    case O_NONE:
        return 1;
    case O_TEXT:
    case O_BYTES:
        return o->text.len == 0;
    case O_BOOL:
        return !o->b;
    case O_NUM:
        return o->b;
    case O_HEADERS:
        return o->hdrs->n == 0;
    case O_STATE:
        return (o->i & 3) == 0;
    default:
        return 0;
    }
}

/* str.strip(): Python's white space, ASCII part. */
static void
strip(const char **p, size_t *n)
{
    while (*n && strchr(" \t\n\r\v\f\x1c\x1d\x1e\x1f", (*p)[0]))
        (*p)++, (*n)--;
    while (*n && strchr(" \t\n\r\v\f\x1c\x1d\x1e\x1f", (*p)[*n - 1]))
        (*n)--;
}

/* The last part of the path, on o. */
static int
extract_last(struct obj *o, const char *spec, struct buf *out, enum cut_kind *kind, struct err *e)
{
    *kind = CUT_TEXT;
    if (o->t == O_ADDR && strcmp(spec, "port") == 0) {
        buf_printf(out, "%u", o->addr->port);
        return 0;
    }
    if (o->t == O_ADDR && strcmp(spec, "host") == 0) {
        buf_append_str(out, o->addr->host);
        return 0;
    }
    size_t n = strlen(spec);
    if (strncmp(spec, "header[", 7) == 0) {
        if (falsy(o))
            return 0;
        const struct hdrs *h = o->t == O_REQUEST    ? &o->req->headers
                               : o->t == O_RESPONSE ? &o->resp->headers
                                                    : NULL;
        /* Anything else has no headers: mitmproxy fails with an
         * AttributeError there, before it reads the spec; no value is
         * what we say. */
        if (h == NULL)
            return 0;
        if (spec[n - 1] != ']')
            return err_set(e, MP_ERR_INVAL, "Invalid header spec: %s", spec);
        const char *name = spec + 7;
        size_t len = n - 8;
        strip(&name, &len);
        char *key = slice_strdup(slice_from(name, len));
        header_values(out, h, key);
        free(key);
        return 0;
    }
    getattr(o, spec);
    if (o->t == O_BYTES) {
        *kind = CUT_BYTES;
        buf_append(out, buf_ptr(&o->text), o->text.len);
    } else if (o->t == O_BOOL) {
        buf_append_str(out, o->b ? "true" : "false");
    } else {
        to_str(out, o);
    }
    return 0;
}

int
cut_extract(const char *spec, const struct flow *f, struct buf *out, enum cut_kind *kind,
            struct err *e)
{
    enum cut_kind k = CUT_TEXT;
    struct obj o = {.t = O_FLOW, .flow = f, .text = BUF_INIT};
    struct buf cell = BUF_INIT;
    int rc = 0;
    const char *p = spec;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char *part = slice_strdup(slice_from(p, n));
        if (part[0] == '_')
            rc = err_set(e, MP_ERR_INVAL, "Can't access internal attribute %s", part);
        else if (dot == NULL)
            rc = extract_last(&o, part, &cell, &k, e);
        else
            getattr(&o, part);
        free(part);
        if (rc < 0 || dot == NULL)
            break;
        p = dot + 1;
    }
    if (rc == 0) {
        buf_append(out, buf_ptr(&cell), cell.len);
        if (kind)
            *kind = k;
    }
    buf_clear(&cell);
    buf_clear(&o.text);
    return rc;
}

int
cut_extract_str(const char *spec, const struct flow *f, struct buf *out, struct err *e)
{
    struct buf cell = BUF_INIT;
    enum cut_kind k;
    int rc = cut_extract(spec, f, &cell, &k, e);
    if (rc == 0) {
        if (k == CUT_BYTES)
            exp__repr_bytes(out, buf_ptr(&cell), cell.len);
        else
            buf_append(out, buf_ptr(&cell), cell.len);
    }
    buf_clear(&cell);
    return rc;
}

void
cut_csv_row(struct buf *out, const struct buf *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = (const char *)buf_ptr(&cells[i]);
        size_t len = cells[i].len;
        if (i)
            buf_append(out, ",", 1);
        int quote = n == 1 && len == 0;
        for (size_t j = 0; j < len && !quote; j++)
            quote = p[j] == ',' || p[j] == '"' || p[j] == '\r' || p[j] == '\n';
        if (!quote) {
            buf_append(out, p, len);
            continue;
        }
        buf_append(out, "\"", 1);
        for (size_t j = 0; j < len; j++) {
            if (p[j] == '"')
                buf_append(out, "\"", 1);
            buf_append(out, p + j, 1);
        }
        buf_append(out, "\"", 1);
    }
    buf_append(out, "\r\n", 2);
}
