/*
 * Evaluating a parsed filter against a flow, operator by operator as
 * mitmproxy's flowfilter does: each operator applies to some flow types
 * only (~c to HTTP, ~u to HTTP and DNS, ~b to HTTP, TCP and DNS, ...) and is
 * false for the rest. Strings are built per call, so a compiled filter is
 * never written to and any thread may match with it.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter/internal.h"
#include "flow/flow.h"
#include "flow/tnetstring.h"
#include "http/encoding.h"
#include "util/xmalloc.h"

static int
search_str(const struct filt_node *nd, const char *s)
{
    return s && filt__rex_search(nd->re, s, strlen(s));
}

static int
search_buf(const struct filt_node *nd, const struct buf *b)
{
    return filt__rex_search(nd->re, buf_ptr(b), b->len);
}

static int
search_slice(const struct filt_node *nd, struct slice s)
{
    return filt__rex_search(nd->re, s.p ? s.p : (const uint8_t *)"", s.len);
}

/* Headers as bytes(Headers): "name: value\r\n" per field. */
static int
search_headers(const struct filt_node *nd, const struct hdrs *h)
{
    if (h->n == 0)
        return filt__rex_search(nd->re, "", 0);
    size_t total = 0;
    for (size_t i = 0; i < h->n; i++)
        total += h->v[i].name_len + h->v[i].value_len + 4;
    /* Built on the stack when it fits (most header sets do): the store runs
     * this over every stored flow for ~h, and an allocation and a call per
     * piece cost as much as the search. */
    char stack[4096];
    char *text = total <= sizeof(stack) ? stack : xmalloc(total), *p = text;
    for (size_t i = 0; i < h->n; i++) {
        memcpy(p, h->v[i].name, h->v[i].name_len);
        p += h->v[i].name_len;
        memcpy(p, ": ", 2);
        p += 2;
        memcpy(p, h->v[i].value, h->v[i].value_len);
        p += h->v[i].value_len;
        memcpy(p, "\r\n", 2);
        p += 2;
    }
    int m = filt__rex_search(nd->re, text, total);
    if (text != stack)
        free(text);
    return m;
}

/* Any Content-Type field whose value re finds a match in. */
static int
content_type(const pcre2_code *re, const struct hdrs *h)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->v[i].name, "content-type") == 0 &&
            filt__rex_search(re, h->v[i].value, h->v[i].value_len))
            return 1;
    return 0;
}

/* get_content(strict=False): the decoded body, or the raw one if it does
 * not decode. Empty bodies never match (mitmproxy tests raw_content). */
static int
search_body(const struct filt_node *nd, const struct hdrs *h, const struct buf *content)
{
    if (content->len == 0)
        return 0;
    /* Nothing to decode: the body itself, without a copy (a filter over a
     * million stored bodies would copy each). */
    if (hdrs_get(h, "Content-Encoding") == NULL)
        return search_buf(nd, content);
    struct buf dec = BUF_INIT;
    struct err e;
    int m;
    if (enc_decoded_content(h, content, &dec, &e) == 0)
        m = search_buf(nd, &dec);
    else
        m = search_buf(nd, content);
    buf_clear(&dec);
    return m;
}

/* side: 1 the client's messages, 0 the server's, -1 both. */
static int
search_ws(const struct filt_node *nd, const struct websocket_data *ws, int side)
{
    for (size_t i = 0; i < ws->nmessages; i++) {
        const struct ws_message *m = &ws->messages[i];
        if (side >= 0 && m->from_client != (unsigned)side)
            continue;
        if (search_buf(nd, &m->content))
            return 1;
    }
    return 0;
}

static int
search_tcp(const struct filt_node *nd, const struct flow *f, int side)
{
    for (size_t i = 0; i < f->nmessages; i++) {
        const struct tcp_message *m = &f->messages[i];
        if (side >= 0 && !!m->from_client != side)
            continue;
        if (search_buf(nd, &m->content))
            return 1;
    }
    return 0;
}

/* ~b on a DNS message searches Message.content: its questions' names and
 * its records as mitmproxy prints them, one per line. */
static int
search_dns(const struct filt_node *nd, const struct dns_message *m)
{
    struct buf b = BUF_INIT;
    dns_message_content(&b, m);
    int found = search_buf(nd, &b);
    buf_clear(&b);
    return found;
}

static int
dns_body(const struct filt_node *nd, const struct flow *f, int side)
{
    if (side != 0 && f->dns_request && search_dns(nd, f->dns_request))
        return 1;
    return side != 1 && f->dns_response && search_dns(nd, f->dns_response);
}

/* The messages a filt_text holds for ~b: a DNS flow's, a TCP flow's or a
 * WebSocket's, whichever the flow is. */
static int
search_msgtext(const struct filt_node *nd, const struct filt_text *t, int side)
{
    for (size_t i = 0; i < t->nmessages; i++) {
        const struct filt_msgtext *m = &t->messages[i];
        if (side >= 0 && !!m->from_client != side)
            continue;
        if (search_slice(nd, m->text))
            return 1;
    }
    return 0;
}

static int
body(const struct filt_node *nd, const struct flow *f, const struct filt_text *t, int side)
{
    int text = t && t->have_messages;
    if (f->type == FLOW_TCP)
        return text ? search_msgtext(nd, t, side) : search_tcp(nd, f, side);
    if (f->type == FLOW_DNS)
        return text ? search_msgtext(nd, t, side) : dns_body(nd, f, side);
    if (side != 0 && f->request && search_body(nd, &f->request->headers, &f->request->content))
        return 1;
    if (side != 1 && f->response &&
        search_body(nd, &f->response->headers, &f->response->content))
        return 1;
    if (!f->websocket)
        return 0;
    return text ? search_msgtext(nd, t, side) : search_ws(nd, f->websocket, side);
}

/* Request.pretty_host: the host the client asked for (Host header, or
 * :authority in HTTP/2), without the port; else the destination host. */
static char *
pretty_host(const struct http_request *r)
{
    const char *a = NULL;
    size_t n = 0;
    if (strncmp(r->http_version, "HTTP/2", 6) == 0 || strncmp(r->http_version, "HTTP/3", 6) == 0) {
        a = r->authority;
        n = strlen(a);
    } else {
        const struct hdr *h = hdrs_get(&r->headers, "Host");
        if (h) {
            a = h->value;
            n = h->value_len;
        }
    }
    if (!a || n == 0)
        return xstrdup(r->host);
    if (a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (close && close > a + 1)
            return strndup(a + 1, (size_t)(close - a - 1));
        return strndup(a, n);
    }
    const char *colon = memrchr(a, ':', n);
    if (colon && colon > a && colon + 1 < a + n) {
        const char *d = colon + 1;
        while (d < a + n && *d >= '0' && *d <= '9')
            d++;
        if (d == a + n)
            return strndup(a, (size_t)(colon - a));
    }
    return strndup(a, n);
}

static int
search_addr(const struct filt_node *nd, const struct addr *a)
{
    if (!a->host)
        return 0;
    /* mitmproxy formats f"{host}:{port}": no brackets around IPv6. */
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s:%u", a->host, (unsigned)a->port);
    int m = search_buf(nd, &b);
    buf_clear(&b);
    return m;
}

/* repr() of a Python str: quotes chosen as Python chooses them. */
static void
py_repr_str(struct buf *out, const char *s, size_t n, int bytes)
{
    char q = (memchr(s, '\'', n) && !memchr(s, '"', n)) ? '"' : '\'';
    if (bytes)
        buf_append(out, "b", 1);
    buf_append(out, &q, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == (unsigned char)q || c == '\\')
            buf_printf(out, "\\%c", c);
        else if (c == '\n')
            buf_append_str(out, "\\n");
        else if (c == '\r')
            buf_append_str(out, "\\r");
        else if (c == '\t')
            buf_append_str(out, "\\t");
        else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80))
            buf_printf(out, "\\x%02x", c);
        else
            buf_append(out, &c, 1);
    }
    buf_append(out, &q, 1);
}

/* str(value) (repr for the items of containers) of a metadata value. */
static void
py_str(struct buf *out, const struct tns *t, int repr)
{
    char tmp[32];
    switch (t->type) {
    case TNS_TEXT:
        if (repr)
            py_repr_str(out, t->u.str.p, t->u.str.len, 0);
        else
            buf_append(out, t->u.str.p, t->u.str.len);
        break;
    case TNS_BYTES:
        py_repr_str(out, t->u.str.p, t->u.str.len, 1);
        break;
    case TNS_INT:
        buf_printf(out, "%lld", (long long)t->u.i);
        break;
    case TNS_FLOAT:
        if (t->u.f.text) {
            buf_append_str(out, t->u.f.text);
        } else {
            tns_format_float(t->u.f.v, tmp);
            buf_append_str(out, tmp);
        }
        break;
    case TNS_BOOL:
        buf_append_str(out, t->u.b ? "True" : "False");
        break;
    case TNS_NULL:
        buf_append_str(out, "None");
        break;
    case TNS_LIST:
        buf_append(out, "[", 1);
        for (size_t i = 0; i < t->u.list.n; i++) {
            if (i)
                buf_append_str(out, ", ");
            py_str(out, t->u.list.v[i], 1);
        }
        buf_append(out, "]", 1);
        break;
    case TNS_DICT:
        buf_append(out, "{", 1);
        for (size_t i = 0; i < t->u.dict.n; i++) {
            if (i)
                buf_append_str(out, ", ");
            py_repr_str(out, t->u.dict.v[i].key, t->u.dict.v[i].key_len, 0);
            buf_append_str(out, ": ");
            py_str(out, t->u.dict.v[i].val, 1);
        }
        buf_append(out, "}", 1);
        break;
    }
}

static int
search_meta(const struct filt_node *nd, const struct tns *md)
{
    struct buf b = BUF_INIT;
    if (md && md->type == TNS_DICT) {
        for (size_t i = 0; i < md->u.dict.n; i++) {
            if (i)
                buf_append(&b, "\n", 1);
            buf_append(&b, md->u.dict.v[i].key, md->u.dict.v[i].key_len);
            buf_append_str(&b, ": ");
            py_str(&b, md->u.dict.v[i].val, 0);
        }
    }
    int m = search_buf(nd, &b);
    buf_clear(&b);
    return m;
}

/* Any response Content-Type that mitmproxy's asset patterns find a match in:
 * they are unanchored and end in ".*", so each is a case-sensitive
 * substring test. */
static int
asset(const struct flow *f)
{
    static const char *const types[] = {
        "text/javascript", "application/x-javascript", "application/javascript", "text/css",
        "image/",          "font/",                    "application/font",
    };
    if (!f->response)
        return 0;
    const struct hdrs *h = &f->response->headers;
    for (size_t i = 0; i < h->n; i++) {
        if (strcasecmp(h->v[i].name, "content-type") != 0)
            continue;
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
            if (memmem(h->v[i].value, h->v[i].value_len, types[t], strlen(types[t])))
                return 1;
    }
    return 0;
}

static int
has_response(const struct flow *f)
{
    if (f->type == FLOW_DNS)
        return f->dns_response != NULL;
    return f->response != NULL;
}

/*
 * One operator: 1 or 0, or -1 when it would read a part of the flow that
 * is missing (filt_match_partial). The flow types an operator applies to
 * are decided before that, so ~h on a TCP flow is false even without its
 * headers.
 */
static int
op(const struct filt_node *nd, const struct flow *f, const struct filt_text *t, unsigned missing)
{
    int http = f->type == FLOW_HTTP && f->request;
    const struct http_request *rq = f->request;
    const struct http_response *rs = f->response;
    switch (nd->op->op) {
    case FOP_ALL:
        return 1;
    case FOP_A:
        return http && asset(f);
    case FOP_E:
        return f->error != NULL;
    case FOP_HTTP:
        return f->type == FLOW_HTTP;
    case FOP_TCP:
        return f->type == FLOW_TCP;
    case FOP_DNS:
        return f->type == FLOW_DNS;
    case FOP_UDP:
        /* Only raw UDP flows, which this version does not record. */
        return 0;
    case FOP_WEBSOCKET:
        return f->type == FLOW_HTTP && f->websocket != NULL;
    case FOP_MARKED:
        return f->marked && f->marked[0];
    case FOP_REPLAY:
        return f->is_replay != NULL;
    case FOP_REPLAYQ:
        return f->is_replay && strcmp(f->is_replay, "request") == 0;
    case FOP_REPLAYS:
        return f->is_replay && strcmp(f->is_replay, "response") == 0;
    case FOP_Q:
        return (f->type == FLOW_HTTP || f->type == FLOW_DNS) && !has_response(f);
    case FOP_S:
        return (f->type == FLOW_HTTP || f->type == FLOW_DNS) && has_response(f);
    case FOP_C:
        return http && rs && rs->status_code == nd->code;
    case FOP_B:
    case FOP_BQ:
    case FOP_BS:
        if (f->type == FLOW_HTTP && !rq)
            return 0;
        if (missing & FILT_PART_BODIES)
            return -1;
        return body(nd, f, t, nd->op->op == FOP_B ? -1 : nd->op->op == FOP_BQ);
    case FOP_T:
        return http && (content_type(nd->re, &rq->headers) ||
                        (rs && content_type(nd->re, &rs->headers)));
    case FOP_TQ:
        return http && content_type(nd->re, &rq->headers);
    case FOP_TS:
        return http && rs && content_type(nd->re, &rs->headers);
    case FOP_H:
    case FOP_HQ:
    case FOP_HS:
        if (!http || (nd->op->op == FOP_HS && !rs))
            return 0;
        if (missing & FILT_PART_HEADERS)
            return -1;
        if (t && t->have_headers) {
            if (nd->op->op == FOP_H)
                return search_slice(nd, t->headers[0]) || (rs && search_slice(nd, t->headers[1]));
            return search_slice(nd, t->headers[nd->op->op == FOP_HS]);
        }
        if (nd->op->op == FOP_H)
            return search_headers(nd, &rq->headers) || (rs && search_headers(nd, &rs->headers));
        return search_headers(nd, nd->op->op == FOP_HQ ? &rq->headers : &rs->headers);
    case FOP_M:
        return http && search_str(nd, rq->method);
    case FOP_D: {
        if (!http)
            return 0;
        if (search_str(nd, rq->host))
            return 1;
        char *ph = pretty_host(rq);
        int m = search_str(nd, ph);
        free(ph);
        return m;
    }
    case FOP_U: {
        /* A DNS flow's "URL" is its first question's name. */
        if (f->type == FLOW_DNS) {
            const struct dns_message *q = f->dns_request;
            return q && q->nquestions > 0 && search_str(nd, q->questions[0].name);
        }
        if (!http)
            return 0;
        char *u = http_request_pretty_url(rq);
        int m = search_str(nd, u);
        free(u);
        return m;
    }
    case FOP_SRC:
        if (missing & FILT_PART_CONNS)
            return -1;
        if (!f->client_conn)
            return 0;
        return search_addr(nd, f->client_conn->peername.host ? &f->client_conn->peername
                                                              : &f->client_conn->address);
    case FOP_DST:
        if (missing & FILT_PART_CONNS)
            return -1;
        return f->server_conn && search_addr(nd, &f->server_conn->address);
    case FOP_META:
        if (missing & FILT_PART_META)
            return -1;
        return search_meta(nd, f->metadata);
    case FOP_MARKER:
        return search_str(nd, f->marked ? f->marked : "");
    case FOP_COMMENT:
        return search_str(nd, f->comment ? f->comment : "");
    }
    return 0;
}

/* Kleene's logic: false wins an and, true an or, and unknown stays unknown. */
int
filt__eval(const struct filt_node *nd, const struct flow *f, const struct filt_text *t,
           unsigned missing)
{
    int r, unknown = 0;
    switch (nd->kind) {
    case FN_AND:
        for (size_t i = 0; i < nd->nkids; i++) {
            if ((r = filt__eval(nd->kids[i], f, t, missing)) == 0)
                return 0;
            unknown |= r < 0;
        }
        return unknown ? -1 : 1;
    case FN_OR:
        for (size_t i = 0; i < nd->nkids; i++) {
            if ((r = filt__eval(nd->kids[i], f, t, missing)) > 0)
                return 1;
            unknown |= r < 0;
        }
        return unknown ? -1 : 0;
    case FN_NOT:
        r = filt__eval(nd->kids[0], f, t, missing);
        return r < 0 ? -1 : !r;
    case FN_OP:
        r = op(nd, f, t, missing);
        return r < 0 ? -1 : r != 0;
    }
    return 0;
}
