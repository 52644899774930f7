/*
 * Header translation between our messages and HTTP/2 header blocks, and
 * session settings. See h2.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2/h2.h"
#include "util/num.h"
#include "util/xmalloc.h"

/* Room the store starts with: most header blocks fit, so a block costs
 * one allocation for its bytes instead of one per doubling. */
#define NVS_STORE_START 512

void
h2_nvs_add(struct h2_nvs *v, const char *name, size_t nlen, const char *value, size_t vlen)
{
    if (v->n == v->cap) {
        /* nv[] and offs[] share one block, offs[] after nv[] (both are
         * arrays of pointer-sized members, so offs stays aligned). */
        size_t old = v->cap;
        v->cap = v->cap ? v->cap * 2 : 16;
        v->nv = xrealloc(v->nv, v->cap * (sizeof(*v->nv) + 2 * sizeof(*v->offs)));
        v->offs = (size_t *)(v->nv + v->cap);
        if (old)
            memmove(v->offs, v->nv + old, 2 * old * sizeof(*v->offs));
    }
    if (v->store.cap == 0)
        buf_reserve(&v->store, NVS_STORE_START);
    v->offs[2 * v->n] = v->store.len;
    buf_append(&v->store, name, nlen);
    v->offs[2 * v->n + 1] = v->store.len;
    buf_append(&v->store, value, vlen);
    v->nv[v->n] = (nghttp2_nv){.namelen = nlen, .valuelen = vlen, .flags = NGHTTP2_NV_FLAG_NONE};
    v->n++;
}

void
h2_nvs_finish(struct h2_nvs *v)
{
    uint8_t *base = (uint8_t *)buf_ptr(&v->store);
    for (size_t i = 0; i < v->n; i++) {
        v->nv[i].name = base + v->offs[2 * i];
        v->nv[i].value = base + v->offs[2 * i + 1];
    }
}

void
h2_nvs_clear(struct h2_nvs *v)
{
    free(v->nv); /* offs too */
    buf_clear(&v->store);
    *v = (struct h2_nvs){0};
}

int
h2_connection_specific(const char *name, size_t nlen)
{
    static const char *const drop[] = {"connection",        "keep-alive", "proxy-connection",
                                       "transfer-encoding", "upgrade",    NULL};
    for (size_t i = 0; drop[i]; i++)
        if (strlen(drop[i]) == nlen && strncasecmp(name, drop[i], nlen) == 0)
            return 1;
    return 0;
}

/* A field name as HTTP/2 wants it: lower case. */
static void
add_lower(struct h2_nvs *v, const struct hdr *h)
{
    char small[64];
    char *name = h->name_len < sizeof(small) ? small : xmalloc(h->name_len + 1);
    for (size_t i = 0; i < h->name_len; i++) {
        char c = h->name[i];
        name[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    h2_nvs_add(v, name, h->name_len, h->value, h->value_len);
    if (name != small)
        free(name);
}

/* The te field may only say "trailers" in HTTP/2. */
static int
bad_te(const struct hdr *h)
{
    return h->name_len == 2 && strncasecmp(h->name, "te", 2) == 0 &&
           strcasecmp(h->value, "trailers") != 0;
}

static void
add_fields(struct h2_nvs *v, const struct hdrs *hs, int skip_host, int skip_length)
{
    for (size_t i = 0; i < hs->n; i++) {
        const struct hdr *h = &hs->v[i];
        if (h->name_len == 0 || h->name[0] == ':' || h2_connection_specific(h->name, h->name_len) ||
            bad_te(h))
            continue;
        if (skip_host && strcasecmp(h->name, "host") == 0)
            continue;
        if (skip_length && strcasecmp(h->name, "content-length") == 0)
            continue;
        add_lower(v, h);
    }
}

static void
add_cstr(struct h2_nvs *v, const char *name, const char *value)
{
    h2_nvs_add(v, name, strlen(name), value, strlen(value));
}

void
h2_request_nvs(const struct http_request *r, struct h2_nvs *out)
{
    char hostport[300];
    const char *authority = r->authority;
    if (authority == NULL || authority[0] == '\0') {
        const struct hdr *host = hdrs_get(&r->headers, "host");
        if (host) {
            authority = host->value;
        } else {
            int v6 = strchr(r->host, ':') != NULL;
            int def = (strcmp(r->scheme, "https") == 0 && r->port == 443) ||
                      (strcmp(r->scheme, "http") == 0 && r->port == 80);
            if (def)
                snprintf(hostport, sizeof(hostport), v6 ? "[%s]" : "%s", r->host);
            else
                snprintf(hostport, sizeof(hostport), v6 ? "[%s]:%u" : "%s:%u", r->host, r->port);
            authority = hostport;
        }
    }
    add_cstr(out, ":method", r->method);
    if (strcmp(r->method, "CONNECT") != 0) {
        add_cstr(out, ":scheme", r->scheme[0] ? r->scheme : "https");
        add_cstr(out, ":authority", authority);
        add_cstr(out, ":path", r->path[0] ? r->path : "/");
    } else {
        add_cstr(out, ":authority", authority);
    }
    add_fields(out, &r->headers, 1, 0);
    h2_nvs_finish(out);
}

void
h2_response_nvs(const struct http_response *r, int with_length, struct h2_nvs *out)
{
    char num[NUM_DEC_LEN];
    size_t n = num_format_i(num, r->status_code);
    h2_nvs_add(out, ":status", 7, num, n);
    add_fields(out, &r->headers, 0, with_length);
    if (with_length) {
        n = num_format_u(num, r->content.len);
        h2_nvs_add(out, "content-length", 14, num, n);
    }
    h2_nvs_finish(out);
}

void
h2_trailer_nvs(const struct hdrs *hs, struct h2_nvs *out)
{
    add_fields(out, hs, 0, 0);
    h2_nvs_finish(out);
}

static int
is(const uint8_t *name, size_t nlen, const char *want)
{
    return strlen(want) == nlen && memcmp(name, want, nlen) == 0;
}

/* Sets a pseudo-header's field once; a second one is an error. */
static int
set_once(char **field, int *seen, const uint8_t *value, size_t vlen, const char *name,
         struct err *e)
{
    if (*seen)
        return err_set(e, MP_ERR_PROTOCOL, "repeated pseudo-header %s", name);
    *seen = 1;
    free(*field);
    *field = xstrndup((const char *)value, vlen);
    return 0;
}

int
h2_request_field(struct http_request *r, const uint8_t *name, size_t nlen, const uint8_t *value,
                 size_t vlen, struct err *e)
{
    if (nlen && name[0] == ':') {
        /* Only :protocol is kept among the fields, and always before any regular one. */
        if (r->headers.n && r->headers.v[r->headers.n - 1].name[0] != ':')
            return err_set(e, MP_ERR_PROTOCOL, "pseudo-header after regular header fields");
        /* A pseudo-header seen is marked by a non-NULL field; http_request_new
         * gives empty strings, so track with the strings' first use instead. */
        static const char *const names[] = {":method", ":scheme", ":authority", ":path",
                                            ":protocol"};
        char **fields[] = {&r->method, &r->scheme, &r->authority, &r->path, NULL};
        for (size_t i = 0; i < 5; i++) {
            if (!is(name, nlen, names[i]))
                continue;
            if (fields[i] == NULL) {
                /* RFC 8441 extended CONNECT: kept as a header field for the layer. */
                hdrs_add(&r->headers, (struct slice){(const uint8_t *)":protocol", 9},
                         (struct slice){value, vlen});
                return 0;
            }
            int seen = (*fields[i])[0] != '\0';
            return set_once(fields[i], &seen, value, vlen, names[i], e);
        }
        return err_set(e, MP_ERR_PROTOCOL, "unknown pseudo-header %.*s", (int)nlen, name);
    }
    hdrs_add(&r->headers, (struct slice){name, nlen}, (struct slice){value, vlen});
    return 0;
}

int
h2_response_field(struct http_response *r, const uint8_t *name, size_t nlen, const uint8_t *value,
                  size_t vlen, struct err *e)
{
    if (nlen && name[0] == ':') {
        if (!is(name, nlen, ":status"))
            return err_set(e, MP_ERR_PROTOCOL, "unknown pseudo-header %.*s", (int)nlen, name);
        if (r->status_code)
            return err_set(e, MP_ERR_PROTOCOL, "repeated pseudo-header :status");
        int code = 0;
        for (size_t i = 0; i < vlen; i++) {
            if (value[i] < '0' || value[i] > '9' || i >= 3)
                return err_set(e, MP_ERR_PROTOCOL, "invalid :status");
            code = code * 10 + (value[i] - '0');
        }
        if (code < 100)
            return err_set(e, MP_ERR_PROTOCOL, "invalid :status");
        r->status_code = code;
        return 0;
    }
    hdrs_add(&r->headers, (struct slice){name, nlen}, (struct slice){value, vlen});
    return 0;
}

int
h2_trailer_field(struct hdrs **trailers, const uint8_t *name, size_t nlen, const uint8_t *value,
                 size_t vlen)
{
    if (nlen && name[0] == ':')
        return -1;
    if (*trailers == NULL) {
        *trailers = xcalloc(1, sizeof(**trailers));
        hdrs_init(*trailers);
    }
    hdrs_add(*trailers, (struct slice){name, nlen}, (struct slice){value, vlen});
    return 0;
}

int
h2_request_check(const struct http_request *r, struct err *e)
{
    if (r->method[0] == '\0')
        return err_set(e, MP_ERR_PROTOCOL, "request without :method");
    if (strcmp(r->method, "CONNECT") == 0) {
        if (r->authority[0] == '\0')
            return err_set(e, MP_ERR_PROTOCOL, "CONNECT without :authority");
        return 0;
    }
    if (r->scheme[0] == '\0' || r->path[0] == '\0')
        return err_set(e, MP_ERR_PROTOCOL, "request without :scheme or :path");
    return 0;
}

void
h2_request_to_h1(struct http_request *r)
{
    http_set_str(&r->http_version, "HTTP/1.1");
    if (hdrs_get(&r->headers, "host") == NULL && r->authority[0]) {
        /* Host goes first, where an HTTP/1 client puts it. */
        struct hdrs h;
        hdrs_init(&h);
        hdrs_add_cstr(&h, "Host", r->authority);
        for (size_t i = 0; i < r->headers.n; i++)
            hdrs_add(&h, (struct slice){(const uint8_t *)r->headers.v[i].name,
                                        r->headers.v[i].name_len},
                     (struct slice){(const uint8_t *)r->headers.v[i].value,
                                    r->headers.v[i].value_len});
        hdrs_clear(&r->headers);
        r->headers = h;
    }
    if (hdrs_count(&r->headers, "cookie") > 1) {
        struct buf joined = BUF_INIT;
        for (size_t i = 0; i < r->headers.n; i++) {
            if (strcasecmp(r->headers.v[i].name, "cookie") != 0)
                continue;
            if (joined.len)
                buf_append_str(&joined, "; ");
            buf_append(&joined, r->headers.v[i].value, r->headers.v[i].value_len);
        }
        hdrs_set(&r->headers, "cookie", buf_slice(&joined));
        buf_clear(&joined);
    }
    http_set_str(&r->authority, "");
}

int
h2_session_settings(nghttp2_session *s, int is_client)
{
    nghttp2_settings_entry iv[3];
    size_t n = 0;
    if (is_client)
        iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_ENABLE_PUSH, 0};
    iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS};
    iv[n++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_STREAM_WINDOW};
    int rv = nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, iv, n);
    if (rv == 0)
        rv = nghttp2_session_set_local_window_size(s, NGHTTP2_FLAG_NONE, 0, H2_CONN_WINDOW);
    return rv;
}

int
h2_session_drain(nghttp2_session *s, struct buf *out)
{
    for (;;) {
        const uint8_t *p;
        ssize_t n = nghttp2_session_mem_send(s, &p);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return 0;
        buf_append(out, p, (size_t)n);
    }
}
