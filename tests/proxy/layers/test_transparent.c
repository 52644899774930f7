/*
 * Playbooks for the transparent-mode layer: it opens the original
 * destination the driver found, then the next layer decides what the
 * connection carries.
 */
#include <stddef.h>

#include "../../lib/pb.h"
#include "../../lib/test.h"
#include "flow/connection.h"
#include "proxy/context.h"
#include "proxy/layers/layers.h"

#define REQ "GET /page HTTP/1.1\r\nHost: 10.200.2.2\r\n\r\n"
#define RESP_OK "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"

/* What the driver does on accept: the destination from SO_ORIGINAL_DST. */
static struct layer *
make_redirected(struct context *ctx)
{
    addr_set(&ctx->original_dst, "10.200.2.2", 80);
    return layer_transparent_new(ctx);
}

static void
pb_http(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_out_open(pb, &server);
    ASSERT_STREQ(server->address.host, "10.200.2.2");
    ASSERT_EQ(server->address.port, 80);
    pb_in_reply(pb);
    /* Connected: the transparent layer has left the stack. */
    ASSERT_STREQ(pb_layer_name(pb), "nextlayer");
    /* The connection carries HTTP: parsed, sent to the open server. */
    pb_in_data(pb, client, REQ);
    pb_out_send(pb, server, REQ);
    pb_in_data(pb, server, RESP_OK);
    pb_out_send(pb, client, RESP_OK);
    ASSERT_STREQ(pb_layer_name(pb), "http");
    pb_end(pb);
}

TEST(transparent_open_then_http)
{
    pb_run(pb_http, make_redirected, PB_NOHOOKS, NULL);
}

static void
pb_early_data(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_out_open(pb, &server);
    /* Bytes that arrive while the connect is under way wait for the tunnel. */
    pb_in_data(pb, client, REQ);
    pb_in_reply(pb);
    pb_out_send(pb, server, REQ);
    pb_end(pb);
}

TEST(transparent_data_during_open_reaches_server)
{
    pb_run(pb_early_data, make_redirected, PB_NOHOOKS, NULL);
}

static void
pb_refused(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_out_open(pb, NULL);
    pb_in_reply_err(pb, "Connection refused");
    pb_out_close(pb, client, 0);
    pb_out_log(pb, "cannot connect to 10.200.2.2:80: Connection refused");
    pb_end(pb);
}

TEST(transparent_refused_closes_client)
{
    pb_run(pb_refused, make_redirected, PB_LOGS, NULL);
}

static void
pb_no_dst(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_out_close(pb, client, 0);
    pb_out_log(pb, "no original destination");
    pb_end(pb);
}

TEST(transparent_without_destination_closes_client)
{
    pb_run(pb_no_dst, layer_transparent_new, PB_LOGS, NULL);
}
