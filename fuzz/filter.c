/*
 * libFuzzer target for the filter language: compiles the input (as a
 * NUL-terminated string) and, when it compiles, prints its tree and matches
 * it against an HTTP flow and a TCP flow built here.
 */
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "flow/flow.h"
#include "flow/tnetstring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct flow *http_flow, *tcp_flow;

static void
setup(void)
{
    struct connection *c = connection_new(CONN_CLIENT), *s = connection_new(CONN_SERVER);
    addr_set(&c->address, "127.0.0.1", 40000);
    addr_set(&c->peername, "127.0.0.1", 40000);
    addr_set(&s->address, "example.com", 443);
    http_flow = flow_new_http(c, s);
    struct http_request *rq = http_request_new();
    http_set_str(&rq->host, "example.com");
    rq->port = 443;
    http_set_str(&rq->method, "POST");
    http_set_str(&rq->scheme, "https");
    http_set_str(&rq->path, "/a/b?c=d");
    http_set_str(&rq->http_version, "HTTP/1.1");
    hdrs_add_cstr(&rq->headers, "Host", "example.com");
    hdrs_add_cstr(&rq->headers, "Content-Type", "application/json");
    buf_append_str(&rq->content, "{\"hello\": \"world\"}");
    http_flow->request = rq;
    struct http_response *rs = http_response_new();
    rs->status_code = 200;
    http_set_str(&rs->http_version, "HTTP/1.1");
    hdrs_add_cstr(&rs->headers, "Content-Type", "text/css");
    buf_append_str(&rs->content, "body { color: red }\n");
    http_flow->response = rs;
    free(http_flow->comment);
    http_flow->comment = strdup("a comment\nsecond line");
    http_flow->metadata = tns_dict();
    tns_dict_set(http_flow->metadata, "k", tns_int(3));
    tcp_flow = flow_new_tcp(c, s);
    flow_tcp_add_message(tcp_flow, 1, "ping\0\xff", 6);
    flow_tcp_add_message(tcp_flow, 0, "pong", 4);
    connection_unref(c);
    connection_unref(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!http_flow)
        setup();
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = 0;
    struct err e;
    struct filt *f = filt_compile(s, &e);
    if (f) {
        struct buf b = BUF_INIT;
        filt_ast_json(f, &b);
        buf_clear(&b);
        filt_match(f, http_flow);
        filt_match(f, tcp_flow);
        filt_free(f);
    } else if (strncmp(e.msg, "filter: ", 8) != 0) {
        abort();
    }
    free(s);
    return 0;
}
