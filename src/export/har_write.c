/*
 * HAR writing (current mitmproxy's savehar.py make_har and flow_entry).
 * See har.h. The document is written compact with the JSON writer and
 * then indented as json.dumps(indent=4) indents, which keeps the writer
 * simple and the output what mitmproxy's looks like.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "export/har.h"
#include "export/internal.h"
#include "flow/flow.h"
#include "http/cookies.h"
#include "http/forms.h"
#include "http/ws.h"
#include "util/json.h"
#include "util/version.h"
#include "util/xmalloc.h"

/* Server connections counted by an entry already (their id). */
struct seen {
    char (*ids)[UUID_STR_LEN];
    size_t n, cap;
};

static int
seen_has(const struct seen *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->ids[i], id) == 0)
            return 1;
    return 0;
}

static void
seen_add(struct seen *s, const char *id)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->ids = xrealloc(s->ids, s->cap * sizeof(*s->ids));
    }
    memcpy(s->ids[s->n++], id, UUID_STR_LEN);
}

/* A Python number: an int 0 or a float. */
struct pynum {
    double v;
    int is_float;
};

static void
put_num(struct json *w, struct pynum n)
{
    if (n.is_float)
        json_double(w, n.v);
    else
        json_int(w, (int64_t)n.v);
}

/* datetime.fromtimestamp(ts, timezone.utc).isoformat() */
static void
isoformat(double ts, char out[40])
{
    double whole;
    double frac = modf(ts, &whole);
    long us = (long)nearbyint(frac * 1e6);
    time_t t = (time_t)whole;
    if (us >= 1000000) {
        t += 1;
        us -= 1000000;
    } else if (us < 0) {
        t -= 1;
        us += 1000000;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    if (us)
        n += (size_t)snprintf(out + n, 40 - n, ".%06ld", us);
    snprintf(out + n, 40 - n, "+00:00");
}

/* [{"name": k, "value": v}, ...] of header fields. */
static void
name_values_hdrs(struct json *w, const struct hdrs *h)
{
    json_array_begin(w);
    for (size_t i = 0; i < h->n; i++) {
        json_object_begin(w);
        json_key(w, "name");
        json_bytes(w, h->v[i].name, h->v[i].name_len, JSON_UTF8);
        json_key(w, "value");
        json_bytes(w, h->v[i].value, h->v[i].value_len, JSON_UTF8);
        json_object_end(w);
    }
    json_array_end(w);
}

static void
name_values_form(struct json *w, const struct form *f)
{
    json_array_begin(w);
    for (size_t i = 0; i < f->n; i++) {
        json_object_begin(w);
        json_key(w, "name");
        json_bytes(w, f->v[i].name, f->v[i].name_len, JSON_UTF8);
        json_key(w, "value");
        json_bytes(w, f->v[i].value, f->v[i].value_len, JSON_UTF8);
        json_object_end(w);
    }
    json_array_end(w);
}

/* len(str(headers)): the length of "Headers[(b'name', b'value'), ...]". */
static size_t
headers_size(const struct hdrs *h)
{
    struct buf b = BUF_INIT;
    buf_append_str(&b, "Headers[");
    for (size_t i = 0; i < h->n; i++) {
        buf_append_str(&b, i ? ", (" : "(");
        exp__repr_bytes(&b, h->v[i].name, h->v[i].name_len);
        buf_append_str(&b, ", ");
        exp__repr_bytes(&b, h->v[i].value, h->v[i].value_len);
        buf_append_str(&b, ")");
    }
    buf_append_str(&b, "]");
    size_t n = b.len;
    buf_clear(&b);
    return n;
}

static void
header_or_empty(struct json *w, const struct hdrs *h, const char *name)
{
    size_t n = 0;
    const char *v = exp__header(h, name, &n);
    json_bytes(w, v ? v : "", n, JSON_UTF8);
}

/* Request.cookies: every Cookie header's pairs. */
static void
request_cookies(struct json *w, const struct hdrs *h)
{
    struct cookies cs = {0};
    for (int i = hdrs_find(h, "cookie", 0); i >= 0; i = hdrs_find(h, "cookie", (size_t)i + 1))
        cookies_parse(h->v[i].value, h->v[i].value_len, &cs);
    json_array_begin(w);
    for (size_t i = 0; i < cs.n; i++) {
        json_object_begin(w);
        json_key(w, "name");
        json_bytes(w, cs.v[i].kv.name, cs.v[i].kv.name_len, JSON_UTF8);
        json_key(w, "value");
        json_bytes(w, cs.v[i].kv.value, cs.v[i].kv.value_len, JSON_UTF8);
        json_object_end(w);
    }
    json_array_end(w);
    cookies_clear(&cs);
}

static void
attr_or(struct json *w, const struct cookie *c, const char *name, const char *dflt)
{
    const struct cookie_pair *a = cookie_attr(c, name);
    if (a)
        json_bytes(w, a->value, a->value_len, JSON_UTF8);
    else
        json_string(w, dflt);
}

/* format_response_cookies(): the Set-Cookie headers' cookies. */
static void
response_cookies(struct json *w, const struct hdrs *h)
{
    struct cookies cs = {0};
    for (int i = hdrs_find(h, "set-cookie", 0); i >= 0;
         i = hdrs_find(h, "set-cookie", (size_t)i + 1))
        cookies_parse_set(h->v[i].value, h->v[i].value_len, &cs);
    json_array_begin(w);
    for (size_t i = 0; i < cs.n; i++) {
        const struct cookie *c = &cs.v[i];
        json_object_begin(w);
        json_key(w, "name");
        json_bytes(w, c->kv.name, c->kv.name_len, JSON_UTF8);
        json_key(w, "value");
        json_bytes(w, c->kv.value, c->kv.value_len, JSON_UTF8);
        json_key(w, "path");
        attr_or(w, c, "path", "/");
        json_key(w, "domain");
        attr_or(w, c, "domain", "");
        json_key(w, "httpOnly");
        json_bool(w, cookie_attr(c, "httponly") != NULL);
        json_key(w, "secure");
        json_bool(w, cookie_attr(c, "secure") != NULL);
        if (cookie_attr(c, "samesite")) {
            json_key(w, "sameSite");
            attr_or(w, c, "samesite", "");
        }
        json_object_end(w);
    }
    json_array_end(w);
    cookies_clear(&cs);
}

static void
response(struct json *w, const struct flow *f)
{
    const struct http_response *r = f->response;
    json_key(w, "response");
    json_object_begin(w);
    if (r == NULL) {
        json_key(w, "status");
        json_int(w, 0);
        json_key(w, "statusText");
        json_string(w, "");
        json_key(w, "httpVersion");
        json_string(w, "");
        json_key(w, "headers");
        json_array_begin(w);
        json_array_end(w);
        json_key(w, "cookies");
        json_array_begin(w);
        json_array_end(w);
        json_key(w, "content");
        json_object_begin(w);
        json_object_end(w);
        json_key(w, "redirectURL");
        json_string(w, "");
        json_key(w, "headersSize");
        json_int(w, -1);
        json_key(w, "bodySize");
        json_int(w, -1);
        json_key(w, "_transferSize");
        json_int(w, 0);
        json_key(w, "_error");
        json_string(w, f->error ? f->error->msg : NULL);
        json_object_end(w);
        return;
    }
    /* response.content, or raw_content when it does not decode. */
    struct buf content = BUF_INIT;
    if (!r->content_none && exp__get_content(&r->headers, &r->content, 1, &content, NULL) < 0) {
        buf_reset(&content);
        buf_append(&content, buf_ptr(&r->content), r->content.len);
    }
    size_t size = r->content_none ? 0 : r->content.len;
    json_key(w, "status");
    json_int(w, r->status_code);
    json_key(w, "statusText");
    json_bytes(w, r->reason, strlen(r->reason), JSON_LATIN1);
    json_key(w, "httpVersion");
    json_string(w, r->http_version);
    json_key(w, "cookies");
    response_cookies(w, &r->headers);
    json_key(w, "headers");
    name_values_hdrs(w, &r->headers);
    json_key(w, "content");
    json_object_begin(w);
    json_key(w, "size");
    json_uint(w, size);
    json_key(w, "compression");
    json_int(w, (int64_t)content.len - (int64_t)size);
    json_key(w, "mimeType");
    header_or_empty(w, &r->headers, "content-type");
    json_key(w, "text");
    if (content.len && exp__is_mostly_bin(buf_ptr(&content), content.len)) {
        struct buf b64 = BUF_INIT;
        exp__b64_encode(&b64, buf_ptr(&content), content.len);
        json_bytes(w, buf_ptr(&b64), b64.len, JSON_UTF8);
        buf_clear(&b64);
        json_key(w, "encoding");
        json_string(w, "base64");
    } else if (r->content_none) {
        json_string(w, "");
    } else {
        /* get_text(strict=False) decodes the body again, leniently. */
        struct buf dec = BUF_INIT, text = BUF_INIT;
        exp__get_content(&r->headers, &r->content, 0, &dec, NULL);
        exp__get_text(&r->headers, buf_ptr(&dec), dec.len, EXP_CHARSET_CURRENT, 0, &text, NULL);
        json_bytes(w, buf_ptr(&text), text.len, JSON_UTF8);
        buf_clear(&dec);
        buf_clear(&text);
    }
    json_object_end(w);
    json_key(w, "redirectURL");
    header_or_empty(w, &r->headers, "location");
    json_key(w, "headersSize");
    json_uint(w, headers_size(&r->headers));
    json_key(w, "bodySize");
    json_uint(w, size);
    json_object_end(w);
    buf_clear(&content);
}

/* The query of Request.url: after the first '?', before any '#'. */
static void
query(const struct http_request *r, struct form *out)
{
    if (strcasecmp(r->method, "CONNECT") == 0)
        return;
    const char *p = r->path, *hash = strchr(p, '#');
    size_t n = hash ? (size_t)(hash - p) : strlen(p);
    const char *q = memchr(p, '?', n);
    if (q)
        form_parse_urlencoded(q + 1, n - (size_t)(q + 1 - p), out);
}

static void
request(struct json *w, const struct http_request *r)
{
    struct buf tmp = BUF_INIT;
    json_key(w, "request");
    json_object_begin(w);
    json_key(w, "method");
    for (const char *c = r->method; *c; c++) {
        char u = (*c >= 'a' && *c <= 'z') ? (char)(*c - 32) : *c;
        buf_append(&tmp, &u, 1);
    }
    json_bytes(w, buf_ptr(&tmp), tmp.len, JSON_UTF8);
    buf_reset(&tmp);
    json_key(w, "url");
    if (strcasecmp(r->method, "CONNECT") == 0) {
        buf_append_str(&tmp, "https://");
        exp__pretty_url(r, &tmp);
        buf_append_str(&tmp, "/");
    } else {
        exp__pretty_url(r, &tmp);
    }
    json_bytes(w, buf_ptr(&tmp), tmp.len, JSON_UTF8);
    json_key(w, "httpVersion");
    json_string(w, r->http_version);
    json_key(w, "cookies");
    request_cookies(w, &r->headers);
    json_key(w, "headers");
    name_values_hdrs(w, &r->headers);
    json_key(w, "queryString");
    struct form q = {0};
    query(r, &q);
    name_values_form(w, &q);
    form_clear(&q);
    json_key(w, "headersSize");
    json_uint(w, headers_size(&r->headers));
    json_key(w, "bodySize");
    json_uint(w, r->content_none ? 0 : r->content.len);
    if (strcasecmp(r->method, "POST") == 0 || strcasecmp(r->method, "PUT") == 0 ||
        strcasecmp(r->method, "PATCH") == 0) {
        json_key(w, "postData");
        json_object_begin(w);
        json_key(w, "mimeType");
        header_or_empty(w, &r->headers, "content-type");
        json_key(w, "text");
        struct buf dec = BUF_INIT, text = BUF_INIT;
        if (r->content_none) {
            json_null(w);
        } else {
            exp__get_content(&r->headers, &r->content, 0, &dec, NULL);
            exp__get_text(&r->headers, buf_ptr(&dec), dec.len, EXP_CHARSET_CURRENT, 0, &text, NULL);
            json_bytes(w, buf_ptr(&text), text.len, JSON_UTF8);
        }
        /* urlencoded_form: the text read as a form, for that content type. */
        struct form params = {0};
        size_t ctlen = 0;
        const char *ct = exp__header(&r->headers, "content-type", &ctlen);
        if (ct && !r->content_none) {
            char *lower = xstrndup(ct, ctlen);
            for (char *c = lower; *c; c++)
                *c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
            if (strstr(lower, "application/x-www-form-urlencoded"))
                form_parse_urlencoded((const char *)buf_ptr(&text), text.len, &params);
            free(lower);
        }
        json_key(w, "params");
        name_values_form(w, &params);
        form_clear(&params);
        buf_clear(&dec);
        buf_clear(&text);
        json_object_end(w);
    }
    json_object_end(w);
    buf_clear(&tmp);
}

static void
websocket(struct json *w, const struct websocket_data *ws)
{
    json_key(w, "_resourceType");
    json_string(w, "websocket");
    json_key(w, "_webSocketMessages");
    json_array_begin(w);
    for (size_t i = 0; i < ws->nmessages; i++) {
        const struct ws_message *m = &ws->messages[i];
        json_object_begin(w);
        json_key(w, "type");
        json_string(w, m->from_client ? "send" : "receive");
        json_key(w, "time");
        json_double(w, m->timestamp);
        json_key(w, "opcode");
        json_int(w, m->type);
        json_key(w, "data");
        if (m->type == WS_TEXT) {
            json_bytes(w, buf_ptr(&m->content), m->content.len, JSON_UTF8);
        } else {
            struct buf b64 = BUF_INIT;
            exp__b64_encode(&b64, buf_ptr(&m->content), m->content.len);
            json_bytes(w, buf_ptr(&b64), b64.len, JSON_UTF8);
            buf_clear(&b64);
        }
        json_object_end(w);
    }
    json_array_end(w);
}

static void
entry(struct json *w, const struct flow *f, struct seen *seen)
{
    const struct connection *sc = f->server_conn;
    const struct http_request *rq = f->request;
    const struct http_response *rs = f->response;
    struct pynum connect = {-1.0, 1}, ssl = {-1.0, 1};
    if (sc && seen_has(seen, sc->id)) {
        /* An earlier entry counted this connection's set-up. */
    } else if (sc && sc->timestamp_tcp_setup) {
        connect.v = 1000 * (sc->timestamp_tcp_setup - sc->timestamp_start);
        if (sc->timestamp_tls_setup)
            ssl.v = 1000 * (sc->timestamp_tls_setup - sc->timestamp_tcp_setup);
        seen_add(seen, sc->id);
    }
    struct pynum send = {0, 0}, wait = {0, 0}, receive = {0, 0};
    if (rq->timestamp_end)
        send = (struct pynum){1000 * (rq->timestamp_end - rq->timestamp_start), 1};
    if (rs && rq->timestamp_end)
        wait = (struct pynum){1000 * (rs->timestamp_start - rq->timestamp_end), 1};
    if (rs && rs->timestamp_end)
        receive = (struct pynum){1000 * (rs->timestamp_end - rs->timestamp_start), 1};
    /* sum(v for v in timings.values() if v >= 0), in the dict's order. */
    struct pynum timings[5] = {connect, ssl, send, receive, wait}, total = {0, 0};
    for (int i = 0; i < 5; i++) {
        if (timings[i].v >= 0) {
            total.v += timings[i].v;
            total.is_float |= timings[i].is_float;
        }
    }
    char when[40];
    isoformat(rq->timestamp_start, when);
    json_object_begin(w);
    json_key(w, "startedDateTime");
    json_string(w, when);
    json_key(w, "time");
    put_num(w, total);
    request(w, rq);
    response(w, f);
    json_key(w, "cache");
    json_object_begin(w);
    json_object_end(w);
    json_key(w, "timings");
    json_object_begin(w);
    static const char *const names[5] = {"connect", "ssl", "send", "receive", "wait"};
    for (int i = 0; i < 5; i++) {
        json_key(w, names[i]);
        put_num(w, timings[i]);
    }
    json_object_end(w);
    if (sc && sc->peername.host) {
        json_key(w, "serverIPAddress");
        json_string(w, sc->peername.host);
    }
    if (f->websocket)
        websocket(w, f->websocket);
    json_object_end(w);
}

/* json.dumps(indent=4) of the compact text p[0..n) our writer made. */
static void
indent(struct buf *out, const uint8_t *p, size_t n)
{
    size_t depth = 0;
    int in_string = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (in_string) {
            buf_append(out, &c, 1);
            if (c == '\\') {
                buf_append(out, &p[++i], 1);
            } else if (c == '"') {
                in_string = 0;
            }
            continue;
        }
        switch (c) {
        case '"':
            in_string = 1;
            buf_append(out, &c, 1);
            break;
        case '{':
        case '[':
            if (i + 1 < n && (p[i + 1] == '}' || p[i + 1] == ']')) {
                buf_append(out, &p[i], 2);
                i++;
                break;
            }
            buf_append(out, &c, 1);
            depth++;
            buf_append(out, "\n", 1);
            for (size_t k = 0; k < depth; k++)
                buf_append(out, "    ", 4);
            break;
        case '}':
        case ']':
            depth--;
            buf_append(out, "\n", 1);
            for (size_t k = 0; k < depth; k++)
                buf_append(out, "    ", 4);
            buf_append(out, &c, 1);
            break;
        case ',':
            buf_append(out, ",\n", 2);
            for (size_t k = 0; k < depth; k++)
                buf_append(out, "    ", 4);
            break;
        case ':':
            buf_append(out, ": ", 2);
            break;
        default:
            buf_append(out, &c, 1);
        }
    }
}

void
har_write(struct buf *out, struct flow *const *v, size_t n, size_t *skipped)
{
    struct buf compact = BUF_INIT;
    struct json w;
    struct seen seen = {0};
    size_t skip = 0;
    json_init(&w, &compact, JSON_COMPACT);
    json_object_begin(&w);
    json_key(&w, "log");
    json_object_begin(&w);
    json_key(&w, "version");
    json_string(&w, "1.2");
    json_key(&w, "creator");
    json_object_begin(&w);
    json_key(&w, "name");
    json_string(&w, "mitmproxy");
    json_key(&w, "version");
    json_string(&w, MP_VERSION);
    json_key(&w, "comment");
    json_string(&w, "");
    json_object_end(&w);
    json_key(&w, "pages");
    json_array_begin(&w);
    json_array_end(&w);
    json_key(&w, "entries");
    json_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        if (v[i]->type == FLOW_HTTP && v[i]->request)
            entry(&w, v[i], &seen);
        else
            skip++;
    }
    json_array_end(&w);
    json_object_end(&w);
    json_object_end(&w);
    json_clear(&w);
    indent(out, buf_ptr(&compact), compact.len);
    buf_clear(&compact);
    free(seen.ids);
    if (skipped)
        *skipped = skip;
}
