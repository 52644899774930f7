/*
 * What the HTTP layers share whatever protocol they speak: the Host value
 * for a destination and mitmproxy's error responses.
 */
#include <string.h>

#include "proxy/layers/http_internal.h"
#include "util/version.h"

void
http__error_response_h1(struct buf *out, int status, const char *msg)
{
    struct buf body = BUF_INIT;
    const char *reason = http_status_reason(status);
    if (*reason == '\0')
        reason = "Unknown";
    http_error_page(&body, status, msg);
    buf_printf(out,
               "HTTP/1.1 %d %s\r\nServer: " MP_SERVER_HEADER "\r\nConnection: close\r\n"
               "Content-Type: text/html\r\nContent-Length: %zu\r\n\r\n",
               status, reason, body.len);
    buf_append(out, buf_ptr(&body), body.len);
    buf_clear(&body);
}

struct http_response *
http__error_response_h2(int status, const char *msg)
{
    struct http_response *r = http_response_new();
    r->status_code = status;
    http_set_str(&r->http_version, "HTTP/2.0");
    http_error_page(&r->content, status, msg);
    hdrs_add_cstr(&r->headers, "content-type", "text/html");
    return r;
}

void
http__hconn_init(struct hconn *hc, const struct hconn_ops *ops, struct http_layer *h,
                 struct context *ctx, struct connection *conn)
{
    layer_init(&hc->base, &ops->base, ctx);
    hc->ops = ops;
    hc->h = h;
    hc->conn = connection_ref(conn);
    hc->client = conn == ctx->client;
}
