/*
 * Playbooks for the next-layer decision: the default goes out in the
 * next_layer hook with the bytes it was made from, and the layer built is
 * the one the hook comes back with. The test answers as an addon would,
 * changing the choice before the reply.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/pb.h"
#include "../../lib/test.h"
#include "flow/connection.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

#define REQ "GET /in HTTP/1.1\r\nHost: a.test:8000\r\n\r\n"
#define RESP "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"

static struct connection *tunnel; /* the tunnel's server (the layer holds it) */

static struct layer *
make_tunnel(struct context *ctx)
{
    tunnel = connection_new(CONN_SERVER);
    addr_set(&tunnel->address, "a.test", 8000);
    tunnel->state = CONN_OPEN;
    struct layer *l = layer_nextlayer_new(ctx, tunnel);
    connection_unref(tunnel);
    return l;
}

static struct layer *
make_reverse(struct context *ctx)
{
    return layer_nextlayer_new(ctx, NULL);
}

static void
reverse_mode(struct options *o)
{
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "mode", "reverse:http://b.test:8080", &e), 0);
}

static struct next_layer_data *
asked(struct pb *pb)
{
    struct hook_data *d;
    pb_out_hook_data(pb, HOOK_NEXT_LAYER, &d);
    ASSERT(d->next_layer != NULL);
    ASSERT(d->client == pb_client(pb));
    return d->next_layer;
}

/* HTTP by default; an addon makes it a TCP flow instead. */
static void
pb_forced_tcp(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    pb_in_start(pb);
    pb_in_data(pb, client, REQ);
    struct next_layer_data *nl = asked(pb);
    ASSERT_EQ(nl->layer, NEXT_LAYER_HTTP);
    ASSERT_BUF_STR(&nl->data_client, REQ);
    ASSERT_EQ(nl->data_server.len, 0);
    ASSERT(!nl->tls);
    nl->layer = NEXT_LAYER_TCP;
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TCP_START, &f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TCP_MESSAGE, NULL);
    ASSERT_EQ(f->nmessages, 1);
    pb_in_reply(pb);
    pb_out_send(pb, tunnel, REQ);
    pb_end(pb);
}

TEST(nextlayer_addon_forces_tcp) { pb_run_once(pb_forced_tcp, make_tunnel, PB_HOOKS, NULL); }

/* "Not yet": the layer waits and asks again with all the bytes so far. */
static void
pb_none_asks_again(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_data(pb, client, "GET ");
    struct next_layer_data *nl = asked(pb);
    ASSERT_BUF_STR(&nl->data_client, "GET ");
    nl->layer = NEXT_LAYER_NONE;
    pb_in_reply(pb);
    pb_in_data(pb, client, "/in HTTP/1.1\r\nHost: a.test:8000\r\n\r\n");
    nl = asked(pb);
    ASSERT_BUF_STR(&nl->data_client, REQ);
    ASSERT_EQ(nl->layer, NEXT_LAYER_HTTP);
    nl->layer = NEXT_LAYER_IGNORE;
    pb_in_reply(pb);
    pb_out_send(pb, tunnel, REQ);
    pb_in_data(pb, tunnel, "raw");
    pb_out_send(pb, client, "raw");
    pb_end(pb);
}

/* Once: see nextlayer_none_then_eof_closes. */
TEST(nextlayer_none_asks_again) { pb_run_once(pb_none_asks_again, make_tunnel, PB_HOOKS, NULL); }

/* "Not yet" and then the client leaves: nothing to decide on any more. */
static void
pb_none_then_eof(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_data(pb, client, REQ);
    asked(pb)->layer = NEXT_LAYER_NONE;
    pb_in_reply(pb);
    pb_in_closed(pb, client);
    struct next_layer_data *nl = asked(pb);
    nl->layer = NEXT_LAYER_NONE;
    pb_in_reply(pb);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, tunnel, 0);
    pb_end(pb);
}

/* Once: with "not yet", every further piece of the bytes asks again. */
TEST(nextlayer_none_then_eof_closes) { pb_run_once(pb_none_then_eof, make_tunnel, PB_HOOKS, NULL); }

/* The hook waits until the request line says HTTP, however the bytes come;
 * what arrives while it is out follows in order. */
static void
pb_http_default(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_data(pb, client, REQ);
    pb_out_send(pb, tunnel, REQ);
    pb_in_data(pb, tunnel, RESP);
    pb_out_send(pb, client, RESP);
    pb_end(pb);
}

TEST(nextlayer_http_by_default) { pb_run(pb_http_default, make_tunnel, PB_NOHOOKS, NULL); }

static void
pb_http_default_hooks(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_data(pb, client, REQ);
    ASSERT_EQ(asked(pb)->layer, NEXT_LAYER_HTTP);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUESTHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_send(pb, tunnel, REQ);
    pb_end(pb);
}

TEST(nextlayer_hook_comes_once_for_any_cut)
{
    pb_run(pb_http_default_hooks, make_tunnel, PB_HOOKS, NULL);
}

/* A server that greets first: its bytes are in data_server. */
static void
pb_server_first(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_data(pb, tunnel, "220 hello\r\n");
    struct next_layer_data *nl = asked(pb);
    ASSERT_EQ(nl->layer, NEXT_LAYER_TCP);
    ASSERT_BUF_STR(&nl->data_server, "220 hello\r\n");
    nl->layer = NEXT_LAYER_IGNORE;
    pb_in_reply(pb);
    pb_out_send(pb, client, "220 hello\r\n");
    pb_in_data(pb, client, "EHLO x\r\n");
    pb_out_send(pb, tunnel, "EHLO x\r\n");
    pb_end(pb);
}

/* Once: the first byte from the server decides, so data_server depends on the cut. */
TEST(nextlayer_server_speaks_first) { pb_run_once(pb_server_first, make_tunnel, PB_HOOKS, NULL); }

/* Reverse mode has no server yet: a pass-through connects to the target first. */
static void
pb_reverse_ignore(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_data(pb, client, REQ);
    struct next_layer_data *nl = asked(pb);
    ASSERT_EQ(nl->layer, NEXT_LAYER_HTTP);
    nl->layer = NEXT_LAYER_IGNORE;
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    ASSERT_STREQ(server->address.host, "b.test");
    ASSERT_EQ(server->address.port, 8080);
    ASSERT(!server->tls);
    pb_in_reply(pb);
    pb_out_send(pb, server, REQ);
    pb_in_data(pb, server, RESP);
    pb_out_send(pb, client, RESP);
    pb_end(pb);
}

TEST(nextlayer_reverse_passthrough_connects)
{
    pb_run(pb_reverse_ignore, make_reverse, PB_HOOKS, reverse_mode);
}

static void
pb_reverse_unreachable(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_data(pb, client, REQ);
    asked(pb)->layer = NEXT_LAYER_TCP;
    pb_in_reply(pb);
    pb_out_open(pb, NULL);
    pb_in_reply_err(pb, "Connection refused");
    pb_out_log(pb, "cannot connect to b.test:8080: Connection refused");
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(nextlayer_reverse_passthrough_unreachable)
{
    pb_run(pb_reverse_unreachable, make_reverse, PB_HOOKS | PB_LOGS, reverse_mode);
}

/* TLS chosen for bytes that are not a ClientHello: said, and closed. */
static void
pb_tls_without_hello(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_data(pb, client, REQ);
    asked(pb)->layer = NEXT_LAYER_TLS;
    pb_in_reply(pb);
    pb_out_log(pb, "next_layer chose TLS, but the client sent no TLS ClientHello");
    pb_out_close(pb, client, 0);
    pb_out_close(pb, tunnel, 0);
    pb_end(pb);
}

TEST(nextlayer_tls_needs_a_clienthello)
{
    pb_run(pb_tls_without_hello, make_tunnel, PB_HOOKS | PB_LOGS, NULL);
}
