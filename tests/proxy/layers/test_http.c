/*
 * Playbooks for the HTTP/1 proxy layer. Each runs whole, byte by byte and
 * split in two (pb_run), and must give the same transcript every time.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/pb.h"
#include "../../lib/test.h"
#include "flow/flow.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

static void
reverse_mode(struct options *o)
{
    opt_set(o, "mode", "reverse:http://backend.test:8081", NULL);
}

static void
reverse_keep_host(struct options *o)
{
    reverse_mode(o);
    o->keep_host_header = 1;
}

static void
stream_1k(struct options *o)
{
    free(o->stream_large_bodies);
    o->stream_large_bodies = xstrdup("10");
}

#define RESP_OK "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
#define ESTABLISHED "HTTP/1.1 200 Connection established\r\n\r\n"

/* The server answers RESP_OK, the response hooks pass it, the client gets it. */
static void
server_answers_ok(struct pb *pb, struct connection *client, struct connection *server)
{
    pb_in_data(pb, server, RESP_OK);
    pb_out_hook(pb, HOOK_RESPONSEHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_RESPONSE, NULL);
    pb_in_reply(pb);
    pb_out_send(pb, client, RESP_OK);
}

static void
pb_simple_get_hooks(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f, *f2;

    pb_in_start(pb);
    pb_in_data(pb, client,
               "GET http://example.com/foo?x=1 HTTP/1.1\r\nHost: example.com\r\n"
               "X-Mixed-Case: a\r\nx-mixed-case: b\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    ASSERT_STREQ(f->request->method, "GET");
    ASSERT_STREQ(f->request->host, "example.com");
    ASSERT_EQ(f->request->port, 80);
    ASSERT_STREQ(f->request->path, "/foo?x=1");
    ASSERT_STREQ(f->request->authority, "");
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, &f2);
    ASSERT(f2 == f);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    ASSERT_STREQ(server->address.host, "example.com");
    ASSERT_EQ(server->address.port, 80);
    pb_in_reply(pb);
    /* Origin form upstream; header names, case and duplicates as they came. */
    pb_out_send(pb, server,
                "GET /foo?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Mixed-Case: a\r\n"
                "x-mixed-case: b\r\n\r\n");
    pb_in_data(pb, server, RESP_OK);
    pb_out_hook(pb, HOOK_RESPONSEHEADERS, NULL);
    ASSERT_EQ(f->response->status_code, 200);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_RESPONSE, NULL);
    ASSERT_MEMEQ(buf_ptr(&f->response->content), f->response->content.len, "hi", 2);
    pb_in_reply(pb);
    pb_out_send(pb, client, RESP_OK);
    pb_end(pb);
}

TEST(http_layer_simple_get_hooks)
{
    pb_run(pb_simple_get_hooks, layer_http_new, PB_HOOKS, NULL);
}

static void
pb_keepalive_reuse(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test/1 HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_in_data(pb, server, RESP_OK);
    pb_out_send(pb, client, RESP_OK);
    /* Same server again: the connection is reused, no second open. */
    pb_in_data(pb, client, "GET http://a.test/2 HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_send(pb, server, "GET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_in_data(pb, server, RESP_OK);
    pb_out_send(pb, client, RESP_OK);
    /* The client leaves: everything is closed. */
    pb_in_closed(pb, client);
    pb_out_close(pb, server, 0);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(http_layer_keepalive_reuses_server)
{
    pb_run(pb_keepalive_reuse, layer_http_new, PB_NOHOOKS, NULL);
}

static void
pb_pipelined(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client,
               "GET http://a.test/1 HTTP/1.1\r\nHost: a.test\r\n\r\n"
               "GET http://a.test/2 HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_in_data(pb, server, RESP_OK);
    /* The second request goes out only after the first is answered. */
    pb_out_send(pb, client, RESP_OK);
    pb_out_send(pb, server, "GET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_in_data(pb, server, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    pb_out_send(pb, client, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    pb_end(pb);
}

TEST(http_layer_pipelined_requests_in_order)
{
    pb_run(pb_pipelined, layer_http_new, PB_NOHOOKS, NULL);
}

static void
pb_reverse(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET /x HTTP/1.1\r\nHost: public.example\r\nAccept: */*\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    ASSERT_STREQ(f->request->host, "backend.test");
    ASSERT_EQ(f->request->port, 8081);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    ASSERT_STREQ(server->address.host, "backend.test");
    ASSERT_EQ(server->address.port, 8081);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET /x HTTP/1.1\r\nHost: backend.test:8081\r\nAccept: */*\r\n\r\n");
    pb_end(pb);
}

TEST(http_layer_reverse_rewrites_host)
{
    pb_run(pb_reverse, layer_http_new, PB_HOOKS, reverse_mode);
}

static void
pb_reverse_keep(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET /x HTTP/1.1\r\nHost: public.example\r\n\r\n");
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET /x HTTP/1.1\r\nHost: public.example\r\n\r\n");
    pb_end(pb);
}

TEST(http_layer_reverse_keep_host_header)
{
    pb_run(pb_reverse_keep, layer_http_new, PB_NOHOOKS, reverse_keep_host);
}

static void
pb_connect_refused(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test:9/ HTTP/1.1\r\nHost: a.test:9\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    pb_in_reply_err(pb, "connection to a.test:9 refused");
    pb_out_hook(pb, HOOK_ERROR, NULL);
    ASSERT(f->error != NULL);
    ASSERT_STREQ(f->error->msg, "connection to a.test:9 refused");
    pb_in_reply(pb);
    pb_out_send_prefix(pb, client, "HTTP/1.1 502 Bad Gateway\r\n");
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(http_layer_connect_refused_gives_502)
{
    pb_run(pb_connect_refused, layer_http_new, PB_HOOKS, NULL);
}

static void
pb_server_closed(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_in_closed(pb, server);
    pb_out_close(pb, server, 0);
    pb_out_send_prefix(pb, client, "HTTP/1.1 502 Bad Gateway\r\n");
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(http_layer_server_closes_without_response)
{
    pb_run(pb_server_closed, layer_http_new, PB_NOHOOKS, NULL);
}

static void
pb_truncated_body(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_in_data(pb, server, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    pb_out_hook(pb, HOOK_RESPONSEHEADERS, NULL);
    pb_in_reply(pb);
    pb_in_closed(pb, server);
    pb_out_hook(pb, HOOK_ERROR, NULL);
    ASSERT_STREQ(f->error->msg, "HTTP/1 protocol error: peer closed connection without sending "
                                "complete message body (received 3 bytes, expected 10)");
    pb_in_reply(pb);
    pb_out_send_prefix(pb, client, "HTTP/1.1 502 Bad Gateway\r\n");
    pb_out_close(pb, server, 0);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(http_layer_server_closes_mid_body)
{
    pb_run(pb_truncated_body, layer_http_new, PB_HOOKS, NULL);
}

static void
pb_bad_request(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_data(pb, client,
               "POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\n"
               "Transfer-Encoding: chunked\r\n\r\n");
    pb_out_send_prefix(pb, client, "HTTP/1.1 400 Bad Request\r\n");
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(http_layer_smuggling_attempt_gets_400)
{
    pb_run(pb_bad_request, layer_http_new, PB_NOHOOKS, NULL);
}

static void
pb_garbage(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_data(pb, client, "GARBAGE\r\n\r\n");
    pb_out_send_prefix(pb, client, "HTTP/1.1 400 Bad Request\r\n");
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(http_layer_garbage_gets_400)
{
    pb_run(pb_garbage, layer_http_new, PB_NOHOOKS, NULL);
}

/* As mitmproxy 8.1.1: an origin-form request to a regular proxy goes
 * where its Host header says. */
static void
pb_origin_form_in_regular(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET /x?y=1 HTTP/1.1\r\nHost: a.test:8080\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    ASSERT_STREQ(f->request->scheme, "http");
    ASSERT_STREQ(f->request->host, "a.test");
    ASSERT_EQ(f->request->port, 8080);
    ASSERT_STREQ(f->request->path, "/x?y=1");
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    ASSERT_STREQ(server->address.host, "a.test");
    ASSERT_EQ(server->address.port, 8080);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET /x?y=1 HTTP/1.1\r\nHost: a.test:8080\r\n\r\n");
    server_answers_ok(pb, client, server);
    pb_end(pb);
}

TEST(http_layer_origin_form_goes_to_the_host_header_in_regular_mode)
{
    pb_run(pb_origin_form_in_regular, layer_http_new, PB_HOOKS, NULL);
}

/* Without a Host header there is nowhere to go. */
static void
pb_origin_form_without_host(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_data(pb, client, "GET / HTTP/1.1\r\n\r\n");
    pb_out_send_prefix(pb, client, "HTTP/1.1 400 Bad Request\r\n");
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(http_layer_origin_form_without_host_gets_400)
{
    pb_run(pb_origin_form_without_host, layer_http_new, PB_NOHOOKS, NULL);
}

static void
pb_chunked(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client,
               "POST http://a.test/up HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"
               "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    ASSERT_MEMEQ(buf_ptr(&f->request->content), f->request->content.len, "abcde", 5);
    ASSERT(f->request->trailers != NULL);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server,
                "POST /up HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nabcde\r\n0\r\nX-Trailer: t\r\n\r\n");
    pb_in_data(pb, server,
               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n");
    pb_out_hook(pb, HOOK_RESPONSEHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_RESPONSE, NULL);
    pb_in_reply(pb);
    pb_out_send(pb, client,
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n");
    pb_end(pb);
}

TEST(http_layer_chunked_both_ways_with_trailers)
{
    pb_run(pb_chunked, layer_http_new, PB_HOOKS, NULL);
}

/*
 * A buffered response body over http.c's BODY_MOVE_MIN (64 KiB). When the
 * layer holds the flow's last reference after the response hook, the body's
 * storage itself is sent (head, body, and for chunked framing the end: one
 * command each); when anybody else holds the flow it keeps its content and
 * the client gets a copy, in one command with the head.
 */
#define BIG_LEN 100000
static int big_chunked;
static size_t big_sends;

static void
pb_buffered_big_response(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct buf body = BUF_INIT, from = BUF_INIT, to = BUF_INIT;
    for (size_t i = 0; i < BIG_LEN; i++)
        buf_append(&body, &"abcdefghijklmnopqrstuvwxyz"[i % 26], 1);
    if (big_chunked) {
        /* Four chunks from the server, one to the client. */
        buf_append_str(&from, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (size_t i = 0; i < 4; i++) {
            buf_printf(&from, "%x\r\n", BIG_LEN / 4);
            buf_append(&from, buf_ptr(&body) + i * (BIG_LEN / 4), BIG_LEN / 4);
            buf_append_str(&from, "\r\n");
        }
        buf_append_str(&from, "0\r\n\r\n");
        buf_printf(&to, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", BIG_LEN);
        buf_append(&to, buf_ptr(&body), body.len);
        buf_append_str(&to, "\r\n0\r\n\r\n");
    } else {
        buf_printf(&from, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BIG_LEN);
        buf_append(&from, buf_ptr(&body), body.len);
        buf_printf(&to, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BIG_LEN);
        buf_append(&to, buf_ptr(&body), body.len);
    }
    char *want = buf_strdup(&to);

    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test/big HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET /big HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_in_datan(pb, server, buf_ptr(&from), from.len);
    pb_out_send_n(pb, client, want, big_sends);
    pb_end(pb);
    free(want);
    buf_clear(&body);
    buf_clear(&from);
    buf_clear(&to);
}

TEST(http_layer_buffered_big_body_is_moved_not_copied)
{
    big_chunked = 0;
    big_sends = 2;
    pb_run(pb_buffered_big_response, layer_http_new, PB_NOHOOKS | PB_UNHELD, NULL);
}

TEST(http_layer_buffered_big_chunked_body_is_moved_not_copied)
{
    big_chunked = 1;
    big_sends = 3;
    pb_run(pb_buffered_big_response, layer_http_new, PB_NOHOOKS | PB_UNHELD, NULL);
}

TEST(http_layer_buffered_big_body_of_a_held_flow_is_copied)
{
    big_chunked = 0;
    big_sends = 1;
    pb_run(pb_buffered_big_response, layer_http_new, PB_NOHOOKS, NULL);
    big_chunked = 1;
    pb_run(pb_buffered_big_response, layer_http_new, PB_NOHOOKS, NULL);
}

static void
pb_streamed_response(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test/big HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET /big HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_in_data(pb, server, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n");
    pb_out_hook(pb, HOOK_RESPONSEHEADERS, NULL);
    pb_in_reply(pb);
    /* Over stream_large_bodies: the head goes out at once, the body as it comes. */
    pb_out_send(pb, client, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n");
    pb_in_data(pb, server, "0123456789");
    pb_out_send(pb, client, "0123456789");
    pb_in_data(pb, server, "abcdefghij");
    pb_out_send(pb, client, "abcdefghij");
    pb_out_hook(pb, HOOK_RESPONSE, NULL);
    ASSERT(f->response->content_none);
    ASSERT_EQ(f->response->content.len, 0);
    pb_in_reply(pb);
    pb_end(pb);
}

TEST(http_layer_streams_large_response)
{
    pb_run(pb_streamed_response, layer_http_new, PB_HOOKS, stream_1k);
}

/* An addon sets Message.stream in responseheaders: this response streams
 * although it is far below any stream_large_bodies (none is set). */
static void
pb_stream_flag_response(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test/s HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET /s HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_in_data(pb, server, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n");
    pb_out_hook(pb, HOOK_RESPONSEHEADERS, NULL);
    f->response->stream = 1;
    pb_in_reply(pb);
    pb_out_send(pb, client, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n");
    pb_in_data(pb, server, "abc");
    pb_out_send(pb, client, "abc");
    pb_in_data(pb, server, "def");
    pb_out_send(pb, client, "def");
    pb_out_hook(pb, HOOK_RESPONSE, NULL);
    ASSERT(f->response->content_none);
    pb_in_reply(pb);
    pb_end(pb);
}

TEST(http_layer_stream_flag_response)
{
    pb_run(pb_stream_flag_response, layer_http_new, PB_HOOKS, NULL);
}

/* The same for a request: set in requestheaders, the server gets the head
 * at once and the body as it comes; the request hook sees no content. */
static void
pb_stream_flag_request(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client,
               "PUT http://a.test/up HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    f->request->stream = 1;
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "PUT /up HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\n\r\n");
    pb_in_data(pb, client, "ab");
    pb_out_send(pb, server, "ab");
    pb_in_data(pb, client, "cd");
    pb_out_send(pb, server, "cd");
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    ASSERT(f->request->content_none);
    pb_in_reply(pb);
    server_answers_ok(pb, client, server);
    pb_end(pb);
}

TEST(http_layer_stream_flag_request)
{
    pb_run(pb_stream_flag_request, layer_http_new, PB_HOOKS, NULL);
}

static void
pb_streamed_request(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client,
               "PUT http://a.test/up HTTP/1.1\r\nHost: a.test\r\nContent-Length: 12\r\n\r\n");
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "PUT /up HTTP/1.1\r\nHost: a.test\r\nContent-Length: 12\r\n\r\n");
    pb_in_data(pb, client, "hello world!");
    pb_out_send(pb, server, "hello world!");
    pb_in_data(pb, server, RESP_OK);
    pb_out_send(pb, client, RESP_OK);
    pb_end(pb);
}

TEST(http_layer_streams_large_request)
{
    pb_run(pb_streamed_request, layer_http_new, PB_NOHOOKS, stream_1k);
}

static void
pb_expect_continue(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client,
               "POST http://a.test/ HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\n"
               "Expect: 100-continue\r\n\r\n");
    pb_out_send(pb, client, "HTTP/1.1 100 Continue\r\n\r\n");
    pb_in_data(pb, client, "ok");
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\n\r\nok");
    pb_end(pb);
}

TEST(http_layer_expect_100_continue)
{
    pb_run(pb_expect_continue, layer_http_new, PB_NOHOOKS, NULL);
}

static void
pb_http10_close(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test/ HTTP/1.0\r\n\r\n");
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET / HTTP/1.0\r\n\r\n");
    /* No length: the body runs until the server closes. */
    pb_in_data(pb, server, "HTTP/1.0 200 OK\r\n\r\nuntil close");
    pb_in_closed(pb, server);
    pb_out_send(pb, client, "HTTP/1.0 200 OK\r\n\r\nuntil close");
    pb_out_close(pb, server, 0);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(http_layer_http10_until_close)
{
    pb_run(pb_http10_close, layer_http_new, PB_NOHOOKS, NULL);
}

static void
pb_head(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client, "HEAD http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "HEAD / HTTP/1.1\r\nHost: a.test\r\n\r\n");
    /* A HEAD response announces a length but has no body. */
    pb_in_data(pb, server, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    pb_out_send(pb, client, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    pb_end(pb);
}

TEST(http_layer_head_has_no_body)
{
    pb_run(pb_head, layer_http_new, PB_NOHOOKS, NULL);
}

static void
pb_client_disconnect(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, server, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_in_closed(pb, client);
    pb_out_hook(pb, HOOK_ERROR, NULL);
    ASSERT_STREQ(f->error->msg, "Client disconnected.");
    pb_in_reply(pb);
    pb_out_close(pb, server, 0);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(http_layer_client_disconnect_is_an_error)
{
    pb_run(pb_client_disconnect, layer_http_new, PB_HOOKS, NULL);
}

static void
pb_connect_tunnel(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client, "CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n");
    pb_out_hook(pb, HOOK_HTTP_CONNECT, &f);
    ASSERT_STREQ(f->request->host, "a.test");
    ASSERT_EQ(f->request->port, 443);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    ASSERT_EQ(server->address.port, 443);
    pb_in_reply(pb);
    pb_out_send(pb, client, ESTABLISHED);
    pb_in_data(pb, client, "\x16\x03\x01 opaque");
    /* TLS without a CA to intercept it with: passed through, by default. */
    pb_out_hook(pb, HOOK_NEXT_LAYER, NULL);
    pb_in_reply(pb);
    pb_out_send(pb, server, "\x16\x03\x01 opaque");
    pb_in_data(pb, server, "reply");
    pb_out_send(pb, client, "reply");
    pb_in_closed(pb, client);
    pb_out_close(pb, server, 1);
    pb_in_closed(pb, server);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    pb_end(pb);
}

TEST(http_layer_connect_relays_tunnel)
{
    pb_run(pb_connect_tunnel, layer_http_new, PB_HOOKS, NULL);
}

static void
pb_killed(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    flow_kill(f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_ERROR, NULL);
    ASSERT_STREQ(f->error->msg, "Connection killed.");
    pb_in_reply(pb);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(http_layer_killed_flow_closes_client)
{
    pb_run(pb_killed, layer_http_new, PB_HOOKS, NULL);
}

/* The client's CONNECT request (a whole head), its http_connect hook
 * answered, the server opened and the client told the tunnel is up. */
static void
connect_hooked(struct pb *pb, struct connection *client, const char *request,
               struct connection **server)
{
    pb_in_data(pb, client, request);
    pb_out_hook(pb, HOOK_HTTP_CONNECT, NULL);
    pb_in_reply(pb);
    pb_out_open(pb, server);
    pb_in_reply(pb);
    pb_out_send(pb, client, ESTABLISHED);
}

static void
pb_http_inside_connect(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    connect_hooked(pb, client, "CONNECT a.test:8000 HTTP/1.1\r\nHost: a.test:8000\r\n\r\n",
                   &server);
    /* Plain HTTP in the tunnel is parsed: origin form, destination from CONNECT. */
    pb_in_data(pb, client, "GET /in HTTP/1.1\r\nHost: a.test:8000\r\n\r\n");
    pb_out_hook(pb, HOOK_NEXT_LAYER, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    ASSERT_STREQ(f->request->host, "a.test");
    ASSERT_EQ(f->request->port, 8000);
    ASSERT_STREQ(f->request->scheme, "http");
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    /* The tunnel's connection is reused: no second open. */
    pb_out_send(pb, server, "GET /in HTTP/1.1\r\nHost: a.test:8000\r\n\r\n");
    server_answers_ok(pb, client, server);
    pb_end(pb);
}

TEST(http_layer_http_inside_connect_is_parsed)
{
    pb_run(pb_http_inside_connect, layer_http_new, PB_HOOKS, NULL);
}

static void
pb_server_speaks_first(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client, "CONNECT a.test:25 HTTP/1.1\r\n\r\n");
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_send(pb, client, ESTABLISHED);
    /* An SMTP server greets first: relayed (as a TCP flow) both ways. */
    pb_in_data(pb, server, "220 hello\r\n");
    pb_out_send(pb, client, "220 hello\r\n");
    pb_in_data(pb, client, "EHLO x\r\n");
    pb_out_send(pb, server, "EHLO x\r\n");
    pb_in_closed(pb, client);
    pb_out_close(pb, server, 1);
    pb_in_closed(pb, server);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    pb_end(pb);
}

TEST(http_layer_connect_server_first_is_relayed)
{
    pb_run(pb_server_speaks_first, layer_http_new, PB_NOHOOKS, NULL);
}

/* Once the tunnel is handed over, the HTTP layer of the CONNECT and the
 * next-layer state go (an idle tunnel keeps neither); the tunnel goes on. */
static void
pb_connect_layers_go(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    ASSERT_STREQ(pb_layer_name(pb), "http");
    connect_hooked(pb, client, "CONNECT a.test:7 HTTP/1.1\r\n\r\n", &server);
    /* Nothing chosen yet: the next-layer layer waits for the first bytes. */
    ASSERT_STREQ(pb_layer_name(pb), "nextlayer");
    pb_in_data(pb, client, "\x01\x02binary");
    pb_out_hook(pb, HOOK_NEXT_LAYER, NULL);
    /* It waits on its hook: it stays. */
    ASSERT_STREQ(pb_layer_name(pb), "nextlayer");
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TCP_START, NULL);
    ASSERT_STREQ(pb_layer_name(pb), "tcp");
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TCP_MESSAGE, NULL);
    pb_in_reply(pb);
    pb_out_send(pb, server, "\x01\x02binary");
    pb_in_data(pb, server, "back");
    pb_out_hook(pb, HOOK_TCP_MESSAGE, NULL);
    pb_in_reply(pb);
    pb_out_send(pb, client, "back");
    pb_end(pb);
}

TEST(http_layer_connect_handed_over_layers_go)
{
    pb_run_once(pb_connect_layers_go, layer_http_new, PB_HOOKS, NULL);
}

/* A CONNECT to a.test:7 and the client's first bytes "\x01\x02binary", up
 * to the tcp_start hook of the TCP flow they start: that flow, its hook not
 * yet answered. */
static struct flow *
tcp_tunnel_start(struct pb *pb, struct connection *client, struct connection **server)
{
    struct flow *f;
    connect_hooked(pb, client, "CONNECT a.test:7 HTTP/1.1\r\n\r\n", server);
    pb_in_data(pb, client, "\x01\x02binary");
    pb_out_hook(pb, HOOK_NEXT_LAYER, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TCP_START, &f);
    return f;
}

/* Hooks of a TCP flow depend on how bytes are chunked, so this one runs whole only. */
static void
pb_tcp_flow_hooks(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    struct flow *f = tcp_tunnel_start(pb, client, &server);
    ASSERT_EQ(f->type, FLOW_TCP);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TCP_MESSAGE, NULL);
    ASSERT_EQ(f->nmessages, 1);
    ASSERT(f->messages[0].from_client);
    /* An addon changes the message before it is forwarded. */
    buf_set(&f->messages[0].content, "changed", 7);
    pb_in_reply(pb);
    pb_out_send(pb, server, "changed");
    pb_in_data(pb, server, "reply");
    pb_out_hook(pb, HOOK_TCP_MESSAGE, NULL);
    ASSERT_EQ(f->nmessages, 2);
    ASSERT(!f->messages[1].from_client);
    f->messages[1].dropped = 1; /* and drops the next */
    pb_in_reply(pb);
    pb_in_closed(pb, server);
    pb_out_close(pb, client, 1);
    pb_in_closed(pb, client);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    pb_out_hook(pb, HOOK_TCP_END, NULL);
    pb_in_reply(pb);
    pb_end(pb);
}

TEST(tcp_layer_messages_through_hooks)
{
    pb_run_once(pb_tcp_flow_hooks, layer_http_new, PB_HOOKS, NULL);
}

/* inject.tcp: an addon's message is recorded, goes through tcp_message
 * and on to the side it is for, after the message waiting in its hook. */
static void
pb_tcp_injected(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    struct flow *f = tcp_tunnel_start(pb, client, &server);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TCP_MESSAGE, NULL);
    pb_in_inject(pb, f, 0, 0, "to client", 9);
    pb_in_reply(pb);
    pb_out_send(pb, server, "\x01\x02binary");
    pb_out_hook(pb, HOOK_TCP_MESSAGE, NULL);
    ASSERT_EQ(f->nmessages, 2);
    ASSERT(!f->messages[1].from_client);
    pb_in_reply(pb);
    pb_out_send(pb, client, "to client");
    pb_in_inject(pb, f, 1, 0, "to server", 9);
    pb_out_hook(pb, HOOK_TCP_MESSAGE, NULL);
    ASSERT(f->messages[2].from_client);
    pb_in_reply(pb);
    pb_out_send(pb, server, "to server");
    pb_in_closed(pb, client);
    pb_out_close(pb, server, 1);
    pb_in_closed(pb, server);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    pb_out_hook(pb, HOOK_TCP_END, NULL);
    pb_in_reply(pb);
    pb_end(pb);
}

TEST(tcp_layer_injected_messages)
{
    pb_run_once(pb_tcp_injected, layer_http_new, PB_HOOKS, NULL);
}

static void
pb_addon_answers(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    /* An addon (proxyauth, block_list, server replay...) answers in requestheaders. */
    f->response = http_response_new();
    http_set_str(&f->response->http_version, "HTTP/1.1");
    f->response->status_code = 407;
    http_set_str(&f->response->reason, "Proxy Authentication Required");
    hdrs_add_cstr(&f->response->headers, "Proxy-Authenticate", "Basic realm=\"mitmproxy\"");
    buf_set(&f->response->content, "auth!", 5);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    /* No server connection: responseheaders is emulated, then response. */
    pb_out_hook(pb, HOOK_RESPONSEHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_RESPONSE, NULL);
    pb_in_reply(pb);
    pb_out_send(pb, client,
                "HTTP/1.1 407 Proxy Authentication Required\r\n"
                "Proxy-Authenticate: Basic realm=\"mitmproxy\"\r\nContent-Length: 5\r\n\r\nauth!");
    pb_end(pb);
}

TEST(http_layer_addon_response_skips_server)
{
    pb_run(pb_addon_answers, layer_http_new, PB_HOOKS, NULL);
}

static struct flow *replay_flow;

static struct layer *
make_replay(struct context *ctx)
{
    return layer_http_new_replay(ctx, replay_flow);
}

static void
pb_client_replay(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    pb_in_start(pb);
    pb_out_hook(pb, HOOK_REQUESTHEADERS, &f);
    ASSERT(f == replay_flow);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    ASSERT_STREQ(server->address.host, "a.test");
    pb_in_reply(pb);
    pb_out_send(pb, server, "POST /saved HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\n\r\nbody");
    pb_in_data(pb, server, RESP_OK);
    pb_out_hook(pb, HOOK_RESPONSEHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_RESPONSE, NULL);
    ASSERT_EQ(f->response->status_code, 200);
    pb_in_reply(pb);
    /* The response goes to the socketless client, which is then closed. */
    pb_out_send(pb, client, RESP_OK);
    pb_out_close(pb, server, 0);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(http_layer_client_replay_sends_saved_request)
{
    struct connection *c = connection_new(CONN_CLIENT);
    replay_flow = flow_new_http(c, NULL);
    connection_unref(c);
    struct http_request *r = http_request_new();
    http_set_str(&r->method, "POST");
    http_set_str(&r->scheme, "http");
    http_set_str(&r->host, "a.test");
    r->port = 80;
    http_set_str(&r->path, "/saved");
    http_set_str(&r->http_version, "HTTP/1.1");
    hdrs_add_cstr(&r->headers, "Host", "a.test");
    hdrs_add_cstr(&r->headers, "Content-Length", "4");
    buf_set(&r->content, "body", 4);
    replay_flow->request = r;
    replay_flow->is_replay = "request";
    /* Run once: the flow object carries state from one run to the next. */
    pb_run_once(pb_client_replay, make_replay, PB_HOOKS, NULL);
    flow_unref(replay_flow);
}

static void
upstream_mode(struct options *o)
{
    opt_set(o, "mode", "upstream:http://up.test:3128", NULL);
    free(o->upstream_auth);
    o->upstream_auth = xstrdup("u:p");
}

static void
pb_upstream_plain(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://a.test/x HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_out_open(pb, &server);
    ASSERT_STREQ(server->address.host, "up.test");
    ASSERT_EQ(server->address.port, 3128);
    pb_in_reply(pb);
    /* Proxy form, with the upstream credentials (base64 of "u:p"). */
    pb_out_send(pb, server,
                "GET http://a.test/x HTTP/1.1\r\nHost: a.test\r\n"
                "Proxy-Authorization: Basic dTpw\r\n\r\n");
    pb_end(pb);
}

TEST(http_layer_upstream_mode_plain_request)
{
    pb_run(pb_upstream_plain, layer_http_new, PB_NOHOOKS, upstream_mode);
}

/* Our CONNECT reaches the upstream proxy as sent, and the upstream's 200
 * goes on to the client. */
static void
upstream_established(struct pb *pb, struct connection *client, struct connection *server,
                     const char *sent)
{
    pb_out_send(pb, server, sent);
    pb_in_data(pb, server, ESTABLISHED);
    pb_out_send(pb, client, ESTABLISHED);
}

static void
pb_upstream_connect(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client, "CONNECT a.test:7 HTTP/1.1\r\nHost: a.test:7\r\n\r\n");
    pb_out_open(pb, &server);
    /* The destination stays a.test:7; the socket goes to the upstream proxy. */
    ASSERT_STREQ(server->address.host, "a.test");
    ASSERT_STREQ(server->via.host, "up.test");
    pb_in_reply(pb);
    upstream_established(pb, client, server,
                         "CONNECT a.test:7 HTTP/1.1\r\n"
                         "Proxy-Authorization: Basic dTpw\r\n\r\n");
    pb_end(pb);
}

TEST(http_layer_upstream_mode_connect_through_upstream)
{
    pb_run(pb_upstream_connect, layer_http_new, PB_NOHOOKS, upstream_mode);
}

static void
upstream_mode_noauth(struct options *o)
{
    opt_set(o, "mode", "upstream:http://up.test:3128", NULL);
}

/* Without upstream_auth the CONNECT is the request line alone, as 8.1.1
 * sends it: no Host, no headers. */
static void
pb_upstream_connect_noauth(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client, "CONNECT a.test:7 HTTP/1.1\r\nHost: a.test:7\r\n\r\n");
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    upstream_established(pb, client, server, "CONNECT a.test:7 HTTP/1.1\r\n\r\n");
    pb_end(pb);
}

TEST(http_layer_upstream_mode_connect_has_no_host)
{
    pb_run(pb_upstream_connect_noauth, layer_http_new, PB_NOHOOKS, upstream_mode_noauth);
}

/* http_connect_upstream: the CONNECT for the upstream proxy is a flow of
 * its own that addons see (upstream_auth's header already on it) and add
 * headers to before it is sent. */
static void
pb_upstream_connect_hook(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f, *up;
    pb_in_start(pb);
    pb_in_data(pb, client, "CONNECT a.test:7 HTTP/1.1\r\nHost: a.test:7\r\n\r\n");
    pb_out_hook(pb, HOOK_HTTP_CONNECT, &f);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_HTTP_CONNECT_UPSTREAM, &up);
    ASSERT(up != f);
    ASSERT_STREQ(up->request->method, "CONNECT");
    ASSERT_STREQ(up->request->authority, "a.test:7");
    ASSERT_EQ(up->request->port, 7);
    ASSERT(up->server_conn == server);
    ASSERT_STREQ(hdrs_get(&up->request->headers, "Proxy-Authorization")->value, "Basic dTpw");
    hdrs_add_cstr(&up->request->headers, "X-Proxy-Token", "t0k");
    pb_in_reply(pb);
    upstream_established(pb, client, server,
                         "CONNECT a.test:7 HTTP/1.1\r\n"
                         "Proxy-Authorization: Basic dTpw\r\nX-Proxy-Token: t0k\r\n\r\n");
    pb_end(pb);
}

TEST(http_layer_upstream_mode_connect_upstream_hook)
{
    pb_run(pb_upstream_connect_hook, layer_http_new, PB_HOOKS, upstream_mode);
}
