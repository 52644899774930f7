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
#include "flow/flowfile.h"
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

static struct ws_message *
message(struct flow *f, size_t i)
{
    ASSERT(f->websocket != NULL && i < f->websocket->nmessages);
    return &f->websocket->messages[i];
}

static void
check_message(struct flow *f, size_t i, int type, int from_client, const char *content)
{
    struct ws_message *m = message(f, i);
    ASSERT_EQ(m->type, type);
    ASSERT_EQ(m->from_client, from_client);
    ASSERT_MEMEQ(buf_ptr(&m->content), m->content.len, content, strlen(content));
    ASSERT(m->timestamp > 0);
    ASSERT_EQ(m->dropped, 0);
    ASSERT_EQ(m->injected, 0);
}

/* As a flow file stores the messages and the close: mitmproxy's types. */
static void
check_stored(struct flow *f)
{
    struct buf b = BUF_INIT;
    ffile_serialize(&b, f);
    struct tns *d;
    size_t used;
    struct err e = {0};
    ASSERT_EQ(tns_decode(buf_ptr(&b), b.len, &used, &d, &e), 0);
    const struct tns *ws = tns_dict_get(d, "websocket"), *msgs = tns_dict_get(ws, "messages");
    ASSERT(msgs && msgs->type == TNS_LIST);
    ASSERT_EQ(msgs->u.list.n, f->websocket->nmessages);
    for (size_t i = 0; i < msgs->u.list.n; i++) {
        const struct tns *m = msgs->u.list.v[i];
        ASSERT_EQ(m->u.list.n, 6);
        static const enum tns_type types[6] = {TNS_INT,   TNS_BOOL, TNS_BYTES,
                                               TNS_FLOAT, TNS_BOOL, TNS_BOOL};
        for (size_t k = 0; k < 6; k++)
            ASSERT_EQ(m->u.list.v[k]->type, types[k]);
    }
    ASSERT_EQ(tns_dict_get(ws, "close_reason")->type, TNS_TEXT);
    ASSERT_EQ(tns_dict_get(ws, "close_code")->type, TNS_INT);
    ASSERT_EQ(tns_dict_get(ws, "closed_by_client")->type, TNS_BOOL);
    ASSERT_EQ(tns_dict_get(ws, "timestamp_end")->type, TNS_FLOAT);
    tns_free(d);
    buf_clear(&b);
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
    ASSERT_EQ(f->websocket->close_code, 1000);
    ASSERT(f->websocket->close_reason != NULL);
    ASSERT_STREQ(f->websocket->close_reason, "done");
    ASSERT_EQ(f->websocket->closed_by_client, 1);
    ASSERT(f->websocket->timestamp_end > 0);
    ASSERT_EQ(f->websocket->nmessages, 3);
    check_stored(f);
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
    buf_set(&message(f, 0)->content, "HELLO, CHANGED", 14);
    pb_in_reply(pb);
    out_frame(pb, server, WS_TEXT, "HELLO, CHANGED", 14);

    /* A dropped message is recorded but not sent. */
    in_frame(pb, server, 1, WS_TEXT, "secret");
    pb_out_hook(pb, HOOK_WEBSOCKET_MESSAGE, NULL);
    message(f, 1)->dropped = 1;
    pb_in_reply(pb);

    /* The server goes away without a close frame. */
    pb_in_closed(pb, server);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    pb_out_hook(pb, HOOK_WEBSOCKET_END, NULL);
    ASSERT_EQ(f->websocket->close_code, 1006);
    ASSERT_EQ(f->websocket->closed_by_client, 0);
    pb_in_reply(pb);
    pb_end(pb);
    layer_websocket_set_test_mask(NULL);
}

TEST(websocket_layer_addon_changes) { pb_run(pb_addon_changes, layer_http_new, PB_HOOKS, NULL); }

/* inject.websocket: an addon's message goes through websocket_message
 * (recorded as injected) and on to the side it is for. One that comes
 * while another message waits in its hook follows it; one for another
 * flow is not this layer's. */
static void
pb_injected(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct flow *f;
    handshake(pb, &f, &server);

    pb_in_inject(pb, f, 0, WS_TEXT, "from proxy", 10);
    pb_out_hook(pb, HOOK_WEBSOCKET_MESSAGE, NULL);
    ASSERT_EQ(message(f, 0)->injected, 1);
    ASSERT_EQ(message(f, 0)->from_client, 0);
    pb_in_reply(pb);
    out_frame(pb, client, WS_TEXT, "from proxy", 10);

    in_frame(pb, server, 1, WS_TEXT, "welcome");
    pb_out_hook(pb, HOOK_WEBSOCKET_MESSAGE, NULL);
    pb_in_inject(pb, f, 1, WS_BINARY, "\x05\x06", 2);
    pb_in_reply(pb);
    out_frame(pb, client, WS_TEXT, "welcome", 7);
    pb_out_hook(pb, HOOK_WEBSOCKET_MESSAGE, NULL);
    ASSERT_EQ(message(f, 2)->type, WS_BINARY);
    ASSERT_EQ(message(f, 2)->from_client, 1);
    ASSERT_EQ(message(f, 2)->injected, 1);
    pb_in_reply(pb);
    out_frame(pb, server, WS_BINARY, "\x05\x06", 2);

    struct flow *other = flow_new_http(client, server);
    pb_in_inject(pb, other, 0, WS_TEXT, "elsewhere", 9);
    flow_unref(other);
    ASSERT_EQ(f->websocket->nmessages, 3);

    pb_in_closed(pb, server);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    pb_out_hook(pb, HOOK_WEBSOCKET_END, NULL);
    pb_in_reply(pb);
    pb_end(pb);
    layer_websocket_set_test_mask(NULL);
}

TEST(websocket_layer_injected_messages) { pb_run(pb_injected, layer_http_new, PB_HOOKS, NULL); }

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
    ASSERT_EQ(f->websocket->close_code, 1002);
    pb_in_reply(pb);
    pb_end(pb);
    layer_websocket_set_test_mask(NULL);
}

TEST(websocket_layer_protocol_error) { pb_run(pb_protocol_error, layer_http_new, PB_HOOKS, NULL); }
