/*
 * Flows, options and events as current mitmproxy's web app sends them
 * (app.py flow_to_json, optmanager.dump_dicts, logentry_to_json), key for
 * key, so the app and tools written against mitmweb read ours the same.
 *
 * Strings that are bytes in mitmproxy (header names and values) go out as
 * mitmproxy's json.dumps(ensure_ascii=False) of their surrogateescape'd
 * text does; our writer escapes non-ASCII as \uXXXX, which reads back the
 * same.
 */
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "flow/flow.h"
#include "http/url.h"
#include "flow/tnetstring.h"
#include "options/opt.h"
#include "tls/certinfo.h"
#include "util/emoji.h"
#include "util/xmalloc.h"
#include "web/internal.h"
#include "web/web.h"

static void
addr_json(struct json *j, const struct addr *a)
{
    if (a->host == NULL) {
        json_null(j);
        return;
    }
    json_array_begin(j);
    json_string(j, a->host);
    json_int(j, a->port);
    json_array_end(j);
}

static void
opt_double(struct json *j, double v)
{
    if (v == 0)
        json_null(j);
    else
        json_double(j, v);
}

static void
name_json(struct json *j, const struct tls_certinfo_attr *a, size_t n)
{
    json_array_begin(j);
    for (size_t i = 0; i < n; i++) {
        json_array_begin(j);
        json_string(j, a[i].name);
        json_string(j, a[i].value);
        json_array_end(j);
    }
    json_array_end(j);
}

/* cert_to_json's summary of one leaf, written with w's flags. */
static void
cert_render(struct json *w, const char *pem, size_t len)
{
    struct tls_certinfo ci;
    if (tls_certinfo_parse(&ci, pem, len, NULL) != 0) {
        json_null(w);
        return;
    }
    json_object_begin(w);
    json_key(w, "keyinfo");
    json_array_begin(w);
    json_string(w, ci.keytype);
    json_int(w, ci.keybits);
    json_array_end(w);
    json_key(w, "sha256");
    json_string(w, ci.sha256);
    json_key(w, "notbefore");
    json_int(w, ci.notbefore);
    json_key(w, "notafter");
    json_int(w, ci.notafter);
    json_key(w, "serial");
    json_string(w, ci.serial);
    json_key(w, "subject");
    name_json(w, ci.subject, ci.nsubject);
    json_key(w, "issuer");
    name_json(w, ci.issuer, ci.nissuer);
    json_key(w, "altnames");
    json_array_begin(w);
    for (size_t i = 0; i < ci.naltnames; i++)
        json_string(w, ci.altnames[i]);
    json_array_end(w);
    json_object_end(w);
    tls_certinfo_clear(&ci);
}

/*
 * Reading a certificate costs OpenSSL about 1.3M instructions (most of it
 * decoding the public key), 4.5 times the rest of an HTTPS flow's JSON,
 * and every flows/update of an HTTPS flow writes it again. Flows to one
 * server carry the same leaf, so the JSON of the last few distinct leaves
 * is kept, keyed by the PEM itself and the writer's flags. Any thread may
 * write a flow.
 */
#define CERT_CACHE 32
static struct {
    char *pem; /* owned; NULL = free slot */
    size_t len;
    unsigned flags;
    char *json; /* owned */
} cert_cache[CERT_CACHE];
static size_t cert_next;
static pthread_mutex_t cert_lock = PTHREAD_MUTEX_INITIALIZER;

static int
cert_cached(struct json *j, const char *pem, size_t len)
{
    for (size_t i = 0; i < CERT_CACHE; i++)
        if (cert_cache[i].pem && cert_cache[i].len == len && cert_cache[i].flags == j->flags &&
            memcmp(cert_cache[i].pem, pem, len) == 0) {
            json_raw(j, cert_cache[i].json);
            return 1;
        }
    return 0;
}

/* cert_to_json(certificate_list): the leaf's summary, null when there is no
 * chain or its leaf does not read. Made here, as the JSON is written, not
 * when the handshake records the chain: the proxy's path never pays. */
static void
cert_json(struct json *j, const struct connection *c)
{
    size_t len;
    const char *pem = connection_leaf_pem(c, &len);
    if (pem == NULL) {
        json_null(j);
        return;
    }
    pthread_mutex_lock(&cert_lock);
    int hit = cert_cached(j, pem, len);
    pthread_mutex_unlock(&cert_lock);
    if (hit)
        return;
    struct buf text = BUF_INIT;
    struct json w;
    json_init(&w, &text, j->flags);
    cert_render(&w, pem, len);
    json_clear(&w);
    buf_append(&text, "", 1);
    json_raw(j, (const char *)buf_ptr(&text));
    /* Another thread may have kept the same leaf meanwhile: one more copy
     * in the cache costs a slot, not a wrong answer. */
    pthread_mutex_lock(&cert_lock);
    size_t k = cert_next++ % CERT_CACHE;
    free(cert_cache[k].pem);
    free(cert_cache[k].json);
    cert_cache[k].pem = xmemdup(pem, len);
    cert_cache[k].len = len;
    cert_cache[k].flags = j->flags;
    cert_cache[k].json = xstrdup((const char *)buf_ptr(&text));
    pthread_mutex_unlock(&cert_lock);
    buf_clear(&text);
}

static void
conn_json(struct json *j, const struct connection *c)
{
    json_object_begin(j);
    json_key(j, "id");
    json_string(j, c->id);
    json_key(j, "peername");
    addr_json(j, c->side == CONN_CLIENT ? &c->address : &c->peername);
    json_key(j, "sockname");
    addr_json(j, &c->sockname);
    if (c->side == CONN_SERVER) {
        json_key(j, "address");
        addr_json(j, &c->address);
    }
    json_key(j, "tls_established");
    json_bool(j, c->tls_established);
    json_key(j, "cert");
    cert_json(j, c);
    json_key(j, "sni");
    json_string(j, c->sni);
    json_key(j, "cipher");
    json_string(j, c->cipher);
    json_key(j, "alpn");
    json_string(j, c->alpn);
    json_key(j, "tls_version");
    json_string(j, c->tls_version);
    json_key(j, "timestamp_start");
    opt_double(j, c->timestamp_start);
    if (c->side == CONN_SERVER) {
        json_key(j, "timestamp_tcp_setup");
        opt_double(j, c->timestamp_tcp_setup);
    }
    json_key(j, "timestamp_tls_setup");
    opt_double(j, c->timestamp_tls_setup);
    json_key(j, "timestamp_end");
    opt_double(j, c->timestamp_end);
    json_object_end(j);
}

static void
headers_json(struct json *j, const struct hdrs *h)
{
    json_array_begin(j);
    for (size_t i = 0; i < h->n; i++) {
        json_array_begin(j);
        json_bytes(j, h->v[i].name, h->v[i].name_len, JSON_UTF8);
        json_bytes(j, h->v[i].value, h->v[i].value_len, JSON_UTF8);
        json_array_end(j);
    }
    json_array_end(j);
}

static void
content_meta(struct json *j, const struct buf *content, int none)
{
    json_key(j, "contentLength");
    if (none) {
        json_null(j);
        json_key(j, "contentHash");
        json_null(j);
        return;
    }
    json_uint(j, content->len);
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256(buf_ptr(content), content->len, md);
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    json_key(j, "contentHash");
    json_string(j, hex);
}

/* Request.pretty_host: the authority's or Host header's host, else host. */
static void
pretty_host(struct json *j, const struct http_request *rq)
{
    const char *src = NULL;
    size_t n = 0;
    if (rq->authority && *rq->authority) {
        src = rq->authority;
        n = strlen(src);
    } else {
        const struct hdr *h = hdrs_get(&rq->headers, "Host");
        if (h) {
            src = h->value;
            n = h->value_len;
        }
    }
    struct slice host;
    int port;
    if (src && http_hostport_parse(src, n, 0, &host, &port, NULL) == 0 && host.len) {
        json_bytes(j, host.p, host.len, JSON_UTF8);
        return;
    }
    json_string(j, rq->host);
}

/* A request's first keys, the same in both shapes: its request line. */
static void
request_head_json(struct json *j, const struct http_request *rq)
{
    json_object_begin(j);
    json_key(j, "method");
    json_string(j, rq->method);
    json_key(j, "scheme");
    json_string(j, rq->scheme);
    json_key(j, "host");
    json_string(j, rq->host);
    json_key(j, "port");
    json_int(j, rq->port);
    json_key(j, "path");
    json_string(j, rq->path);
    json_key(j, "http_version");
    json_string(j, rq->http_version);
}

static void
request_json(struct json *j, const struct http_request *rq)
{
    request_head_json(j, rq);
    json_key(j, "headers");
    headers_json(j, &rq->headers);
    content_meta(j, &rq->content, rq->content_none);
    json_key(j, "timestamp_start");
    opt_double(j, rq->timestamp_start);
    json_key(j, "timestamp_end");
    opt_double(j, rq->timestamp_end);
    json_key(j, "pretty_host");
    pretty_host(j, rq);
    if (rq->trailers) {
        json_key(j, "trailers");
        headers_json(j, rq->trailers);
    }
    json_object_end(j);
}

static void
response_json(struct json *j, const struct http_response *rs)
{
    json_object_begin(j);
    json_key(j, "http_version");
    json_string(j, rs->http_version);
    json_key(j, "status_code");
    json_int(j, rs->status_code);
    json_key(j, "reason");
    json_string(j, rs->reason);
    json_key(j, "headers");
    headers_json(j, &rs->headers);
    content_meta(j, &rs->content, rs->content_none);
    json_key(j, "timestamp_start");
    opt_double(j, rs->timestamp_start);
    json_key(j, "timestamp_end");
    opt_double(j, rs->timestamp_end);
    if (rs->trailers) {
        json_key(j, "trailers");
        headers_json(j, rs->trailers);
    }
    json_object_end(j);
}

static void
messages_meta(struct json *j, uint64_t len, size_t count, double last)
{
    json_object_begin(j);
    json_key(j, "contentLength");
    json_uint(j, len);
    json_key(j, "count");
    json_uint(j, count);
    json_key(j, "timestamp_last");
    if (count)
        json_double(j, last);
    else
        json_null(j);
    json_object_end(j);
}

static void
websocket_json(struct json *j, const struct websocket_data *ws)
{
    uint64_t len = 0;
    for (size_t i = 0; i < ws->nmessages; i++)
        len += ws->messages[i].content.len;
    json_object_begin(j);
    json_key(j, "messages_meta");
    messages_meta(j, len, ws->nmessages,
                  ws->nmessages ? ws->messages[ws->nmessages - 1].timestamp : 0);
    json_key(j, "closed_by_client");
    if (ws->closed_by_client < 0)
        json_null(j);
    else
        json_bool(j, ws->closed_by_client);
    json_key(j, "close_code");
    if (ws->close_code < 0)
        json_null(j);
    else
        json_int(j, ws->close_code);
    json_key(j, "close_reason");
    json_string(j, ws->close_reason);
    json_key(j, "timestamp_end");
    opt_double(j, ws->timestamp_end);
    json_object_end(j);
}

static void
rrs_json(struct json *j, const struct dns_rrs *rrs)
{
    char tmp[DNS_STR_MAX];
    json_array_begin(j);
    for (size_t i = 0; i < rrs->n; i++) {
        const struct dns_rr *rr = &rrs->v[i];
        json_object_begin(j);
        json_key(j, "name");
        json_string(j, rr->name);
        json_key(j, "type");
        json_string(j, dns_type_str(rr->type, tmp));
        json_key(j, "class");
        json_string(j, dns_class_str(rr->class_, tmp));
        json_key(j, "ttl");
        json_uint(j, rr->ttl);
        json_key(j, "data");
        struct buf b = BUF_INIT;
        dns_rr_str(&b, rr);
        json_bytes(j, buf_ptr(&b), b.len, JSON_UTF8);
        buf_clear(&b);
        json_object_end(j);
    }
    json_array_end(j);
}

/* dns.Message.to_json() */
static void
dns_json(struct json *j, const struct dns_message *m)
{
    char tmp[DNS_STR_MAX];
    json_object_begin(j);
    json_key(j, "id");
    json_int(j, m->id);
    json_key(j, "query");
    json_bool(j, m->query);
    json_key(j, "op_code");
    json_string(j, dns_opcode_str(m->op_code, tmp));
    json_key(j, "authoritative_answer");
    json_bool(j, m->authoritative_answer);
    json_key(j, "truncation");
    json_bool(j, m->truncation);
    json_key(j, "recursion_desired");
    json_bool(j, m->recursion_desired);
    json_key(j, "recursion_available");
    json_bool(j, m->recursion_available);
    json_key(j, "response_code");
    json_string(j, dns_rcode_str(m->response_code, tmp));
    json_key(j, "status_code");
    json_int(j, dns_rcode_http_status(m->response_code));
    json_key(j, "timestamp");
    opt_double(j, m->timestamp);
    json_key(j, "questions");
    json_array_begin(j);
    for (size_t i = 0; i < m->nquestions; i++) {
        json_object_begin(j);
        json_key(j, "name");
        json_string(j, m->questions[i].name);
        json_key(j, "type");
        json_string(j, dns_type_str(m->questions[i].type, tmp));
        json_key(j, "class");
        json_string(j, dns_class_str(m->questions[i].class_, tmp));
        json_object_end(j);
    }
    json_array_end(j);
    json_key(j, "answers");
    rrs_json(j, &m->answers);
    json_key(j, "authorities");
    rrs_json(j, &m->authorities);
    json_key(j, "additionals");
    rrs_json(j, &m->additionals);
    json_key(j, "size");
    json_uint(j, dns_message_size(m));
    json_object_end(j);
}

static void
mark_json(struct json *j, const struct flow *f)
{
    json_key(j, "marked");
    if (f->marked && *f->marked) {
        const char *g = emoji_glyph(f->marked);
        json_string(j, g ? g : "\xf0\x9f\x94\xb4"); /* 🔴, as emoji.get(marked, "🔴") */
    } else {
        json_string(j, "");
    }
}

/* The two shapes a flow is written in: whole (flow_to_json) or as a row
 * of the list (GET /flows?list=1). */
enum shape { WHOLE, ROW };

static void row_conn(struct json *j, const struct connection *c);

/*
 * What both shapes begin with, in flow_to_json's order: the object opened,
 * id, intercepted, is_replay, type, modified (whole only: no column shows
 * it), marked, comment, timestamp_created, the two connections (a row has
 * only what its columns read of them) and the error (a row has no time
 * for it). The caller writes the rest and closes the object.
 */
static void
flow_head_json(struct json *j, const struct flow *f, enum shape shape)
{
    void (*conn)(struct json *, const struct connection *) = shape == WHOLE ? conn_json : row_conn;
    json_object_begin(j);
    json_key(j, "id");
    json_string(j, f->id);
    json_key(j, "intercepted");
    json_bool(j, f->intercepted);
    json_key(j, "is_replay");
    json_string(j, f->is_replay);
    json_key(j, "type");
    json_string(j, flow_type_name(f->type));
    if (shape == WHOLE) {
        json_key(j, "modified");
        json_bool(j, flow_modified(f));
    }
    mark_json(j, f);
    json_key(j, "comment");
    json_string(j, f->comment ? f->comment : "");
    json_key(j, "timestamp_created");
    json_double(j, f->timestamp_created);
    if (f->client_conn) {
        json_key(j, "client_conn");
        conn(j, f->client_conn);
    }
    if (f->server_conn) {
        json_key(j, "server_conn");
        conn(j, f->server_conn);
    }
    if (f->error) {
        json_key(j, "error");
        json_object_begin(j);
        json_key(j, "msg");
        json_string(j, f->error->msg);
        if (shape == WHOLE) {
            json_key(j, "timestamp");
            json_double(j, f->error->timestamp);
        }
        json_object_end(j);
    }
}

void
web__flow_json(struct json *j, const struct flow *f)
{
    flow_head_json(j, f, WHOLE);
    if (f->type == FLOW_HTTP) {
        if (f->request) {
            json_key(j, "request");
            request_json(j, f->request);
        }
        if (f->response) {
            json_key(j, "response");
            response_json(j, f->response);
        }
        if (f->websocket) {
            json_key(j, "websocket");
            websocket_json(j, f->websocket);
        }
    } else if (f->type == FLOW_TCP) {
        uint64_t len = 0;
        for (size_t i = 0; i < f->nmessages; i++)
            len += f->messages[i].content.len;
        json_key(j, "messages_meta");
        messages_meta(j, len, f->nmessages,
                      f->nmessages ? f->messages[f->nmessages - 1].timestamp : 0);
    } else if (f->type == FLOW_DNS) {
        if (f->dns_request) {
            json_key(j, "request");
            dns_json(j, f->dns_request);
        }
        if (f->dns_response) {
            json_key(j, "response");
            dns_json(j, f->dns_response);
        }
    }
    json_object_end(j);
}

/* ---- the list-only row (GET /flows?list=1) ------------------------------------ */

/* What the table reads of a connection: the client's TLS (the tls column)
 * and start (a non-HTTP flow's start), the server's address and end (a
 * non-HTTP flow's path and end). */
static void
row_conn(struct json *j, const struct connection *c)
{
    json_object_begin(j);
    if (c->side == CONN_CLIENT) {
        json_key(j, "tls_established");
        json_bool(j, c->tls_established);
        json_key(j, "timestamp_start");
        opt_double(j, c->timestamp_start);
    } else {
        json_key(j, "address");
        addr_json(j, &c->address);
        json_key(j, "timestamp_end");
        opt_double(j, c->timestamp_end);
    }
    json_object_end(j);
}

static void
row_length(struct json *j, const struct buf *content, int none)
{
    json_key(j, "contentLength");
    if (none)
        json_null(j);
    else
        json_uint(j, content->len);
}

static void
row_request(struct json *j, const struct http_request *rq)
{
    request_head_json(j, rq);
    json_key(j, "headers");
    json_array_begin(j);
    json_array_end(j);
    row_length(j, &rq->content, rq->content_none);
    json_key(j, "timestamp_start");
    opt_double(j, rq->timestamp_start);
    json_key(j, "pretty_host");
    pretty_host(j, rq);
    json_object_end(j);
}

static void
row_response(struct json *j, const struct http_response *rs)
{
    json_object_begin(j);
    json_key(j, "status_code");
    json_int(j, rs->status_code);
    json_key(j, "headers");
    json_array_begin(j);
    const struct hdr *ct = hdrs_get(&rs->headers, "Content-Type");
    if (ct) {
        json_array_begin(j);
        json_bytes(j, ct->name, ct->name_len, JSON_UTF8);
        json_bytes(j, ct->value, ct->value_len, JSON_UTF8);
        json_array_end(j);
    }
    json_array_end(j);
    row_length(j, &rs->content, rs->content_none);
    json_key(j, "timestamp_end");
    opt_double(j, rs->timestamp_end);
    json_object_end(j);
}

/* A DNS message as the row names it: its questions, and an answer's code. */
static void
row_dns(struct json *j, const struct dns_message *m)
{
    char tmp[DNS_STR_MAX];
    json_object_begin(j);
    json_key(j, "status_code");
    json_int(j, dns_rcode_http_status(m->response_code));
    json_key(j, "questions");
    json_array_begin(j);
    for (size_t i = 0; i < m->nquestions; i++) {
        json_object_begin(j);
        json_key(j, "name");
        json_string(j, m->questions[i].name);
        json_key(j, "type");
        json_string(j, dns_type_str(m->questions[i].type, tmp));
        json_object_end(j);
    }
    json_array_end(j);
    json_object_end(j);
}

static void
row_messages(struct json *j, const struct flow *f)
{
    uint64_t len = 0;
    for (size_t i = 0; i < f->nmessages; i++)
        len += f->messages[i].content.len;
    json_key(j, "messages_meta");
    messages_meta(j, len, f->nmessages, f->nmessages ? f->messages[f->nmessages - 1].timestamp : 0);
}

void
web__flow_row_json(struct json *j, const struct flow *f)
{
    flow_head_json(j, f, ROW);
    if (f->type == FLOW_HTTP) {
        if (f->request) {
            json_key(j, "request");
            row_request(j, f->request);
        }
        if (f->response) {
            json_key(j, "response");
            row_response(j, f->response);
        }
        if (f->websocket) {
            const struct websocket_data *ws = f->websocket;
            uint64_t len = 0;
            for (size_t i = 0; i < ws->nmessages; i++)
                len += ws->messages[i].content.len;
            json_key(j, "websocket");
            json_object_begin(j);
            json_key(j, "messages_meta");
            messages_meta(j, len, ws->nmessages,
                          ws->nmessages ? ws->messages[ws->nmessages - 1].timestamp : 0);
            json_key(j, "timestamp_end");
            opt_double(j, ws->timestamp_end);
            json_object_end(j);
        }
    } else if (f->type == FLOW_TCP) {
        row_messages(j, f);
    } else if (f->type == FLOW_DNS) {
        if (f->dns_request) {
            json_key(j, "request");
            row_dns(j, f->dns_request);
        }
        if (f->dns_response) {
            json_key(j, "response");
            row_dns(j, f->dns_response);
        }
    }
    json_object_end(j);
}

static void
value_json(struct json *j, const struct options *o, const struct opt_info *info)
{
    switch (info->type) {
    case OPT_BOOL:
        json_bool(j, opt_get_bool(o, info));
        return;
    case OPT_INT:
        json_int(j, opt_get_int(o, info));
        return;
    case OPT_STR:
    case OPT_OPTSTR:
        json_string(j, opt_get_str(o, info));
        return;
    case OPT_SEQ: {
        const struct strv *sv = opt_get_seq(o, info);
        json_array_begin(j);
        for (size_t i = 0; sv && i < sv->n; i++)
            json_string(j, sv->v[i]);
        json_array_end(j);
        return;
    }
    }
}

static void
one_option(struct json *j, const struct options *o, const struct options *defaults,
           const struct opt_info *info)
{
    json_key(j, info->name);
    json_object_begin(j);
    json_key(j, "type");
    json_string(j, opt_info_type_name(info));
    json_key(j, "default");
    value_json(j, defaults, info);
    json_key(j, "value");
    value_json(j, o, info);
    json_key(j, "help");
    json_string(j, info->help ? info->help : "");
    json_key(j, "choices");
    if (info->choices) {
        json_array_begin(j);
        for (const char *p = info->choices; *p;) {
            size_t n = strcspn(p, "|");
            json_bytes(j, p, n, JSON_UTF8);
            p += n;
            if (*p == '|')
                p++;
        }
        json_array_end(j);
    } else {
        json_null(j);
    }
    json_object_end(j);
}

void
web__options_json(struct json *j, const struct options *o, const struct opt_changes *only)
{
    struct options *defaults = opt_new();
    web_options_defaults(defaults);
    json_object_begin(j);
    /* dump_dicts sorts by name; 8.1.1's mitmweb has no mitmdump-only
     * options (opt_listed). */
    const struct opt_info **rows;
    size_t n = opt_listed(&rows);
    for (size_t i = 0; i < n; i++)
        if (opt_changed(only, rows[i]->index))
            one_option(j, o, defaults, rows[i]);
    free(rows);
    json_object_end(j);
    opt_free(defaults);
}

void
web__event_json(struct json *j, uint64_t id, enum log_level level, const char *msg)
{
    json_object_begin(j);
    json_key(j, "id");
    json_uint(j, id);
    json_key(j, "message");
    json_string(j, msg);
    json_key(j, "level");
    json_string(j, log_level_name(level));
    json_object_end(j);
}
