/*
 * Playbooks for the WebSocket layer, reached the way the proxy reaches it:
 * an HTTP/1 request with Upgrade: websocket answered 101. Frames from the
 * client are masked with 01 01 01 01; the layer's own masks are fixed to
 * 02 02 02 02 so the transcript is known.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/pb.h"
#include "../../lib/test.h"
#include "flow/flow.h"
#include "flow/tnetstring.h"
#include "http/ws.h"
#include "proxy/layers/layers.h"

/* Close payload: status 1000, reason "done". */
#define CLOSE_DONE                                                                                 \
    "\x03\xe8"                                                                                     \
    "done"

static const uint8_t CKEY[4] = {1, 1, 1, 1};
static const uint8_t PKEY[4] = {2, 2, 2, 2};

#define UPGRADE_HEAD                                                                               \
    "Host: ws.test\r\nUpgrade: websocket\r\n"                                                      \
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"                       \
    "Sec-WebSocket-Version: 13\r\n\r\n"
#define UPGRADE_RESP                                                                               \
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"            \
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"

/* One frame as a C string (the tests pick payloads and keys without NULs). */
static char *
fr(int fin, int opcode, const uint8_t *key, const char *p, size_t n)
{
    struct buf b = BUF_INIT;
    ws_frame_write(&b, fin, 0, opcode, key, p, n);
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

static void
in_frame(struct pb *pb, struct connection *c, int fin, int opcode, const char *p)
{
    char *s = fr(fin, opcode, c == pb_client(pb) ? CKEY : NULL, p, strlen(p));
    pb_in_data(pb, c, s);
    free(s);
}

static void
out_frame(struct pb *pb, struct connection *c, int opcode, const char *p, size_t n)
{
    char *s = fr(1, opcode, c == pb_client(pb) ? NULL : PKEY, p, n);
    pb_out_send(pb, c, s);
    free(s);
}

/* Request, 101, websocket_start: returns the flow and the server. */
static void
handshake(struct pb *pb, struct flow **f, struct connection **server)
{
    struct connection *client = pb_client(pb);
    layer_websocket_set_test_mask(PKEY);
    pb_in_start(pb);
    pb_in_data(pb, client, "GET http://ws.test/chat HTTP/1.1\r\n" UPGRADE_HEAD);
    pb_out_hook(pb, HOOK_REQUESTHEADERS, f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_open(pb, server);
    pb_in_reply(pb);
    pb_out_send(pb, *server, "GET /chat HTTP/1.1\r\n" UPGRADE_HEAD);
    pb_in_data(pb, *server, UPGRADE_RESP);
    pb_out_hook(pb, HOOK_RESPONSEHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_RESPONSE, NULL);
    pb_in_reply(pb);
    pb_out_send(pb, client, UPGRADE_RESP);
    pb_out_hook(pb, HOOK_WEBSOCKET_START, NULL);
    ASSERT((*f)->live);
    pb_in_reply(pb);
}

static struct tns *
message(struct flow *f, size_t i)
{
    struct tns *m = tns_dict_get(f->websocket, "messages");
    ASSERT(m && m->type == TNS_LIST && i < m->u.list.n);
    return m->u.list.v[i];
}

static void
check_message(struct flow *f, size_t i, int type, int from_client, const char *content)
{
    struct tns *m = message(f, i);
    ASSERT_EQ(m->u.list.n, 6);
    ASSERT_EQ(m->u.list.v[0]->u.i, type);
    ASSERT_EQ(m->u.list.v[1]->u.b, from_client);
    ASSERT_EQ(m->u.list.v[2]->type, TNS_BYTES);
    ASSERT_MEMEQ(m->u.list.v[2]->u.str.p, m->u.list.v[2]->u.str.len, content, strlen(content));
    ASSERT_EQ(m->u.list.v[3]->type, TNS_FLOAT);
    ASSERT_EQ(m->u.list.v[4]->u.b, 0);
}

static void
pb_conversation(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    handshake(pb, &f, &server);

    in_frame(pb, server, 1, WS_TEXT, "welcome");
    pb_out_hook(pb, HOOK_WEBSOCKET_MESSAGE, NULL);
    check_message(f, 0, WS_TEXT, 0, "welcome");
    pb_in_reply(pb);
    out_frame(pb, client, WS_TEXT, "welcome", 7);

    in_frame(pb, client, 1, WS_BINARY, "\x03\xfe\xff");
    pb_out_hook(pb, HOOK_WEBSOCKET_MESSAGE, NULL);
    check_message(f, 1, WS_BINARY, 1, "\x03\xfe\xff");
    pb_in_reply(pb);
    out_frame(pb, server, WS_BINARY, "\x03\xfe\xff", 3);

    /* A fragmented message with a ping in the middle: the ping goes on at once. */
    in_frame(pb, client, 0, WS_TEXT, "hel");
    in_frame(pb, client, 1, WS_PING, "are you there");
    out_frame(pb, server, WS_PING, "are you there", 13);
    in_frame(pb, server, 1, WS_PONG, "are you there");
    out_frame(pb, client, WS_PONG, "are you there", 13);
    in_frame(pb, client, 1, WS_CONTINUATION, "lo");
    pb_out_hook(pb, HOOK_WEBSOCKET_MESSAGE, NULL);
    check_message(f, 2, WS_TEXT, 1, "hello");
    pb_in_reply(pb);
    out_frame(pb, server, WS_TEXT, "hello", 5);

    /* The client closes with 1000 "done": both sides get the close. */
    in_frame(pb, client, 1, WS_CLOSE, CLOSE_DONE);
    out_frame(pb, server, WS_CLOSE, CLOSE_DONE, 6);
    out_frame(pb, client, WS_CLOSE, CLOSE_DONE, 6);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    pb_out_hook(pb, HOOK_WEBSOCKET_END, NULL);
    ASSERT(f->live); /* until websocket_end is through: addons tell it from a file's flow */
    ASSERT_EQ(tns_dict_get(f->websocket, "close_code")->u.i, 1000);
    struct tns *reason = tns_dict_get(f->websocket, "close_reason");
    ASSERT_EQ(reason->type, TNS_TEXT);
    ASSERT_STREQ(reason->u.str.p, "done");
    ASSERT_EQ(tns_dict_get(f->websocket, "closed_by_client")->u.b, 1);
    ASSERT_EQ(tns_dict_get(f->websocket, "timestamp_end")->type, TNS_FLOAT);
    ASSERT_EQ(tns_dict_get(f->websocket, "messages")->u.list.n, 3);
    pb_in_reply(pb);
    ASSERT(!f->live);
    pb_end(pb);
    layer_websocket_set_test_mask(NULL);
}

TEST(websocket_layer_conversation) { pb_run(pb_conversation, layer_http_new, PB_HOOKS, NULL); }

static void
pb_addon_changes(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    handshake(pb, &f, &server);

    in_frame(pb, client, 1, WS_TEXT, "hello");
    pb_out_hook(pb, HOOK_WEBSOCKET_MESSAGE, NULL);
    struct tns **v = message(f, 0)->u.list.v;
    tns_free(v[2]);
    v[2] = tns_bytes("HELLO, CHANGED", 14);
    pb_in_reply(pb);
    out_frame(pb, server, WS_TEXT, "HELLO, CHANGED", 14);

    /* A dropped message is recorded but not sent. */
    in_frame(pb, server, 1, WS_TEXT, "secret");
    pb_out_hook(pb, HOOK_WEBSOCKET_MESSAGE, NULL);
    v = message(f, 1)->u.list.v;
    tns_free(v[4]);
    v[4] = tns_bool(1);
    pb_in_reply(pb);

    /* The server goes away without a close frame. */
    pb_in_closed(pb, server);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    pb_out_hook(pb, HOOK_WEBSOCKET_END, NULL);
    ASSERT_EQ(tns_dict_get(f->websocket, "close_code")->u.i, 1006);
    ASSERT_EQ(tns_dict_get(f->websocket, "closed_by_client")->u.b, 0);
    pb_in_reply(pb);
    pb_end(pb);
    layer_websocket_set_test_mask(NULL);
}

TEST(websocket_layer_addon_changes) { pb_run(pb_addon_changes, layer_http_new, PB_HOOKS, NULL); }

static void
pb_protocol_error(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    handshake(pb, &f, &server);
    /* An unmasked frame from the client breaks RFC 6455 5.1. */
    pb_in_data(pb, client, "\x81\x02hi");
    out_frame(pb, client, WS_CLOSE, "\x03\xea", 2);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    pb_out_hook(pb, HOOK_WEBSOCKET_END, NULL);
    ASSERT_EQ(tns_dict_get(f->websocket, "close_code")->u.i, 1002);
    pb_in_reply(pb);
    pb_end(pb);
    layer_websocket_set_test_mask(NULL);
}

TEST(websocket_layer_protocol_error) { pb_run(pb_protocol_error, layer_http_new, PB_HOOKS, NULL); }
