/*
 * Requests and responses: construction, deep copies and the URL views that
 * mitmproxy derives from the stored fields (Request.url, pretty_url).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/message.h"
#include "http/url.h"
#include "util/xmalloc.h"

struct http_request *
http_request_new(void)
{
    struct http_request *r = xcalloc(1, sizeof(*r));
    r->host = xstrdup("");
    r->method = xstrdup("");
    r->scheme = xstrdup("");
    r->authority = xstrdup("");
    r->path = xstrdup("");
    r->http_version = xstrdup("");
    return r;
}

struct http_response *
http_response_new(void)
{
    struct http_response *r = xcalloc(1, sizeof(*r));
    r->http_version = xstrdup("");
    r->reason = xstrdup("");
    return r;
}

static void
free_trailers(struct hdrs *t)
{
    if (t) {
        hdrs_clear(t);
        free(t);
    }
}

static struct hdrs *
copy_trailers(const struct hdrs *t)
{
    if (!t)
        return NULL;
    struct hdrs *c = xmalloc(sizeof(*c));
    hdrs_init(c);
    hdrs_copy(c, t);
    return c;
}

void
http_request_free(struct http_request *r)
{
    if (!r)
        return;
    free(r->host);
    free(r->method);
    free(r->scheme);
    free(r->authority);
    free(r->path);
    free(r->http_version);
    hdrs_clear(&r->headers);
    buf_clear(&r->content);
    free_trailers(r->trailers);
    free(r);
}

void
http_response_free(struct http_response *r)
{
    if (!r)
        return;
    free(r->http_version);
    free(r->reason);
    hdrs_clear(&r->headers);
    buf_clear(&r->content);
    free_trailers(r->trailers);
    free(r);
}

static void
copy_content(struct buf *dst, const struct buf *src)
{
    buf_init(dst);
    buf_set(dst, buf_ptr(src), src->len);
}

struct http_request *
http_request_copy(const struct http_request *s)
{
    struct http_request *r = xmalloc(sizeof(*r));
    *r = *s;
    r->host = xstrdup(s->host);
    r->method = xstrdup(s->method);
    r->scheme = xstrdup(s->scheme);
    r->authority = xstrdup(s->authority);
    r->path = xstrdup(s->path);
    r->http_version = xstrdup(s->http_version);
    hdrs_init(&r->headers);
    hdrs_copy(&r->headers, &s->headers);
    copy_content(&r->content, &s->content);
    r->trailers = copy_trailers(s->trailers);
    return r;
}

struct http_response *
http_response_copy(const struct http_response *s)
{
    struct http_response *r = xmalloc(sizeof(*r));
    *r = *s;
    r->http_version = xstrdup(s->http_version);
    r->reason = xstrdup(s->reason);
    hdrs_init(&r->headers);
    hdrs_copy(&r->headers, &s->headers);
    copy_content(&r->content, &s->content);
    r->trailers = copy_trailers(s->trailers);
    return r;
}

void
http_set_str(char **field, const char *s)
{
    /* Copy first: s may point into *field. */
    char *c = xstrdup(s ? s : "");
    free(*field);
    *field = c;
}

static int
is_connect(const struct http_request *r)
{
    return strcasecmp(r->method, "CONNECT") == 0;
}

static char *
build_url(const char *scheme, const char *host, int port, const char *path)
{
    struct buf b = BUF_INIT;
    buf_append_str(&b, scheme);
    buf_append_str(&b, "://");
    http_hostport_write(&b, scheme, host, port, 0);
    /* mitmproxy's url.unparse drops the asterisk of "OPTIONS *". */
    if (strcmp(path, "*") != 0)
        buf_append_str(&b, path);
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

char *
http_request_url(const struct http_request *r)
{
    if (is_connect(r)) {
        /* Authority form: mitmproxy's url is just host:port. */
        struct buf b = BUF_INIT;
        http_hostport_write(&b, "", r->host, r->port, 1);
        char *s = buf_strdup(&b);
        buf_clear(&b);
        return s;
    }
    return build_url(r->scheme, r->host, r->port, r->path);
}

char *
http_request_pretty_url(const struct http_request *r)
{
    if (is_connect(r) && r->authority[0])
        return xstrdup(r->authority);
    const struct hdr *h = hdrs_get(&r->headers, "Host");
    if (is_connect(r) || !h || h->value_len == 0)
        return http_request_url(r);
    struct slice host;
    int port;
    char *hs;
    if (http_hostport_parse(h->value, h->value_len, 0, &host, &port, NULL) == 0) {
        hs = slice_strdup(host);
    } else {
        /* Like mitmproxy with check=False: the whole value is the host. */
        hs = xstrdup(h->value);
        port = 0;
    }
    if (port <= 0)
        port = http_default_port(r->scheme) ? http_default_port(r->scheme) : 443;
    char *s = build_url(r->scheme, hs, port, r->path);
    free(hs);
    return s;
}

char *
http_request_host_header_or_host(const struct http_request *r)
{
    /* The Host header as the client wrote it wins; else host[:port]. */
    const struct hdr *h = hdrs_get(&r->headers, "Host");
    if (h && h->value_len)
        return xstrdup(h->value);
    struct buf b = BUF_INIT;
    http_hostport_write(&b, r->scheme, r->host, r->port, 0);
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}
