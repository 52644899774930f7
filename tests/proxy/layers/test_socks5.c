/*
 * Playbooks for the SOCKS5 layer (RFC 1928/1929). Replies contain NUL bytes,
 * which the playbook's string asserts cannot spell, so playbooks check the
 * leading bytes and a hand-driven test below checks whole replies exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/pb.h"
#include "../../lib/test.h"
#include "addons/addon.h"
#include "addons/traffic.h"
#include "flow/connection.h"
#include "proxy/layers/layers.h"
#include "util/xmalloc.h"

#define RESP_OK "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
#define GREET_NOAUTH "\x05\x01\x00"
#define GREET_LEN 3

static void
with_auth(struct options *o)
{
    free(o->proxyauth);
    o->proxyauth = xstrdup("user:pass");
}

/* The credentials are the proxyauth addon's to check (socks5_auth). */
static struct addon_chain *
proxyauth_chain(void)
{
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_proxyauth_new());
    return c;
}

/* Greets without authentication and checks the method reply's first byte. */
static void
greet(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_datan(pb, client, GREET_NOAUTH, GREET_LEN);
    pb_out_send_prefix(pb, client, "\x05");
}

static void
pb_domain_http(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    greet(pb);
    static const char req[] = "\x05\x01\x00\x03\x06" "a.test" "\x1f\x40";
    pb_in_datan(pb, client, req, sizeof(req) - 1);
    pb_out_open(pb, &server);
    ASSERT_STREQ(server->address.host, "a.test");
    ASSERT_EQ(server->address.port, 8000);
    pb_in_reply(pb);
    pb_out_send_prefix(pb, client, "\x05");
    /* The tunnel is up: the SOCKS5 layer has left the stack. */
    ASSERT_STREQ(pb_layer_name(pb), "nextlayer");
    /* The tunnel carries HTTP: parsed, and sent over the SOCKS connection. */
    pb_in_data(pb, client, "GET /in HTTP/1.1\r\nHost: a.test:8000\r\n\r\n");
    pb_out_send(pb, server, "GET /in HTTP/1.1\r\nHost: a.test:8000\r\n\r\n");
    pb_in_data(pb, server, RESP_OK);
    pb_out_send(pb, client, RESP_OK);
    ASSERT_STREQ(pb_layer_name(pb), "http");
    pb_end(pb);
}

TEST(socks5_domain_then_http)
{
    pb_run(pb_domain_http, layer_socks5_new, PB_NOHOOKS, NULL);
}

static void
pb_pipelined(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    /* Greeting, request and the first HTTP request in one go (curl does not
     * wait, some clients do not either): the rest goes to the tunnel. */
    static const char all[] = GREET_NOAUTH "\x05\x01\x00\x03\x06" "a.test" "\x00\x50"
                              "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
    pb_in_datan(pb, client, all, sizeof(all) - 1);
    pb_out_send_prefix(pb, client, "\x05");
    pb_out_open(pb, &server);
    ASSERT_EQ(server->address.port, 80);
    pb_in_reply(pb);
    pb_out_send_prefix(pb, client, "\x05");
    pb_out_send(pb, server, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
    pb_end(pb);
}

TEST(socks5_pipelined_data_reaches_tunnel)
{
    pb_run(pb_pipelined, layer_socks5_new, PB_NOHOOKS, NULL);
}

static void
pb_ipv4(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    greet(pb);
    static const char req[] = "\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50";
    pb_in_datan(pb, client, req, sizeof(req) - 1);
    pb_out_open(pb, &server);
    ASSERT_STREQ(server->address.host, "127.0.0.1");
    ASSERT_EQ(server->address.port, 80);
    pb_in_reply(pb);
    pb_out_send_prefix(pb, client, "\x05");
    pb_end(pb);
}

TEST(socks5_ipv4_address)
{
    pb_run(pb_ipv4, layer_socks5_new, PB_NOHOOKS, NULL);
}

static void
pb_ipv6(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    greet(pb);
    static const char req[] = "\x05\x01\x00\x04"
                              "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
                              "\x01\xbb";
    pb_in_datan(pb, client, req, sizeof(req) - 1);
    pb_out_open(pb, &server);
    ASSERT_STREQ(server->address.host, "2001:db8::1");
    ASSERT_EQ(server->address.port, 443);
    pb_in_reply(pb);
    pb_out_send_prefix(pb, client, "\x05");
    pb_end(pb);
}

TEST(socks5_ipv6_address)
{
    pb_run(pb_ipv6, layer_socks5_new, PB_NOHOOKS, NULL);
}

static void
pb_refused(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    greet(pb);
    static const char req[] = "\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x01";
    pb_in_datan(pb, client, req, sizeof(req) - 1);
    pb_out_open(pb, NULL);
    pb_in_reply_err(pb, "Connection refused");
    /* mitmproxy answers every failed connect with 0x04 (host unreachable). */
    pb_out_send_prefix(pb, client, "\x05\x04");
    pb_out_close(pb, client, 0);
    pb_out_log(pb, "cannot connect to 127.0.0.1:1: Connection refused");
    pb_end(pb);
}

TEST(socks5_refused_connection)
{
    pb_run(pb_refused, layer_socks5_new, PB_LOGS, NULL);
}

static void
pb_bind(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    greet(pb);
    static const char req[] = "\x05\x02\x00\x01\x7f\x00\x00\x01\x00\x50";
    pb_in_datan(pb, client, req, sizeof(req) - 1);
    pb_out_send_prefix(pb, client, "\x05\x07");
    pb_out_close(pb, client, 0);
    pb_out_log(pb, "SOCKS5: unsupported command 2");
    pb_end(pb);
}

TEST(socks5_unsupported_command)
{
    pb_run(pb_bind, layer_socks5_new, PB_LOGS, NULL);
}

static void
pb_bad_atyp(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    greet(pb);
    pb_in_datan(pb, client, "\x05\x01\x00\x09\x01\x02", 6);
    pb_out_send_prefix(pb, client, "\x05\x08");
    pb_out_close(pb, client, 0);
    pb_out_log(pb, "unknown address type 9");
    pb_end(pb);
}

TEST(socks5_unknown_address_type)
{
    pb_run(pb_bad_atyp, layer_socks5_new, PB_LOGS, NULL);
}

static void
pb_bad_version(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_datan(pb, client, "\x04\x01\x00\x50\x7f\x00\x00\x01", 8);
    pb_out_close(pb, client, 0);
    pb_out_log(pb, "SOCKS5: invalid version 4");
    pb_end(pb);
}

TEST(socks5_bad_version)
{
    pb_run(pb_bad_version, layer_socks5_new, PB_LOGS, NULL);
}

static void
pb_http_request(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_data(pb, client, "GET / HTTP/1.1\r\n\r\n");
    pb_out_close(pb, client, 0);
    pb_out_log(pb, "probably not a SOCKS request but a regular HTTP request");
    pb_end(pb);
}

TEST(socks5_http_request_is_named)
{
    pb_run(pb_http_request, layer_socks5_new, PB_LOGS, NULL);
}

static void
pb_auth_ok(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    pb_in_start(pb);
    pb_in_datan(pb, client, "\x05\x02\x00\x02", 4);
    pb_out_send(pb, client, "\x05\x02");
    pb_in_data(pb, client, "\x01\x04user\x04pass");
    pb_out_send_prefix(pb, client, "\x01");
    static const char req[] = "\x05\x01\x00\x03\x06" "a.test" "\x00\x50";
    pb_in_datan(pb, client, req, sizeof(req) - 1);
    pb_out_open(pb, &server);
    ASSERT_STREQ(server->address.host, "a.test");
    pb_in_reply(pb);
    pb_out_send_prefix(pb, client, "\x05");
    pb_end(pb);
}

TEST(socks5_auth_ok)
{
    pb_run_chain(pb_auth_ok, layer_socks5_new, PB_NOHOOKS, with_auth, proxyauth_chain);
}

static void
pb_auth_wrong(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_datan(pb, client, "\x05\x01\x02", 3);
    pb_out_send(pb, client, "\x05\x02");
    pb_in_data(pb, client, "\x01\x04user\x05wrong");
    pb_out_send(pb, client, "\x01\x01");
    pb_out_close(pb, client, 0);
    pb_out_log(pb, "SOCKS5: authentication failed");
    pb_end(pb);
}

TEST(socks5_auth_wrong)
{
    pb_run_chain(pb_auth_wrong, layer_socks5_new, PB_LOGS, with_auth, proxyauth_chain);
}

static void
pb_auth_not_offered(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_datan(pb, client, GREET_NOAUTH, GREET_LEN);
    pb_out_send(pb, client, "\x05\xff");
    pb_out_close(pb, client, 0);
    pb_out_log(pb, "user/password authentication");
    pb_end(pb);
}

TEST(socks5_auth_required_but_not_offered)
{
    pb_run(pb_auth_not_offered, layer_socks5_new, PB_LOGS, with_auth);
}

static void
pb_early_close(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_datan(pb, client, "\x05\x03\x00", 3);
    pb_in_closed(pb, client);
    pb_out_log(pb, "client closed connection before completing the handshake");
    pb_out_close(pb, client, 0);
    pb_end(pb);
}

TEST(socks5_client_closes_during_handshake)
{
    pb_run(pb_early_close, layer_socks5_new, PB_LOGS, NULL);
}

/* --- exact reply bytes, driven by hand --- */

struct rig {
    struct options *opts;
    struct proxy_config cfg;
    struct connection *client;
    struct context *ctx;
    struct layer *layer;
    struct cmdq out;
};

static void
rig_init(struct rig *r)
{
    struct err e = {0};
    r->opts = opt_new();
    ASSERT_EQ(proxy_config_init(&r->cfg, r->opts, &e), 0);
    r->client = connection_new(CONN_CLIENT);
    r->client->state = CONN_OPEN;
    r->ctx = context_new(r->client, &r->cfg);
    r->layer = layer_socks5_new(r->ctx);
    cmdq_init(&r->out);
    struct event start = {.type = EV_START};
    layer_feed(r->layer, &start, &r->out);
}

static void
rig_data(struct rig *r, const void *p, size_t n)
{
    struct event ev = {.type = EV_DATA, .conn = r->client, .data = slice_from(p, n)};
    layer_feed(r->layer, &ev, &r->out);
}

/* Pops the next command, which must be of type t; caller frees it. */
static struct command *
rig_pop(struct rig *r, enum cmd_type t)
{
    struct command *c = cmdq_pop(&r->out);
    ASSERT(c != NULL);
    ASSERT_EQ(c->type, t);
    return c;
}

static void
rig_free(struct rig *r)
{
    cmdq_clear(&r->out);
    layer_free(r->layer);
    context_free(r->ctx);
    connection_unref(r->client);
    proxy_config_clear(&r->cfg);
    opt_free(r->opts);
}

static void
exact_replies(const char *err, const void *want, size_t wantlen)
{
    struct rig r;
    rig_init(&r);
    rig_data(&r, GREET_NOAUTH, GREET_LEN);
    struct command *c = rig_pop(&r, CMD_SEND);
    ASSERT_MEMEQ(buf_ptr(&c->data), c->data.len, "\x05\x00", 2);
    cmd_free(c);
    rig_data(&r, "\x05\x01\x00\x01\x0a\x00\x00\x02\x00\x50", 10);
    c = rig_pop(&r, CMD_OPEN);
    ASSERT_STREQ(c->conn->address.host, "10.0.0.2");
    struct event done = {.type = EV_DONE, .cmd_id = c->id, .err = err};
    if (!err)
        c->conn->state = CONN_OPEN;
    cmd_free(c);
    layer_feed(r.layer, &done, &r.out);
    c = rig_pop(&r, CMD_SEND);
    ASSERT_MEMEQ(buf_ptr(&c->data), c->data.len, want, wantlen);
    cmd_free(c);
    rig_free(&r);
}

TEST(socks5_exact_reply_bytes)
{
    exact_replies(NULL, "\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);
    exact_replies("Connection refused", "\x05\x04\x00\x01\x00\x00\x00\x00\x00\x00", 10);
}

TEST(socks5_auth_reply_bytes)
{
    struct rig r;
    rig_init(&r);
    /* Reconfigure: proxyauth is read on each handshake. */
    free(r.opts->proxyauth);
    r.opts->proxyauth = xstrdup("user:pass");
    rig_data(&r, "\x05\x02\x00\x02", 4);
    struct command *c = rig_pop(&r, CMD_SEND);
    ASSERT_MEMEQ(buf_ptr(&c->data), c->data.len, "\x05\x02", 2);
    cmd_free(c);
    rig_data(&r, "\x01\x04user\x04pass", 11);
    /* The layer asks socks5_auth; the proxyauth addon says yes. */
    c = rig_pop(&r, CMD_HOOK);
    ASSERT_EQ(c->hook.hook, HOOK_SOCKS5_AUTH);
    ASSERT_STREQ(c->hook.socks5_auth->username, "user");
    ASSERT_STREQ(c->hook.socks5_auth->password, "pass");
    struct addon_chain *chain = proxyauth_chain();
    struct err e = {0};
    ASSERT_EQ(addon_chain_configure(chain, r.opts, &e), 0);
    struct hook_call call;
    addon_dispatch(chain, &call, &c->hook, NULL, NULL);
    ASSERT(c->hook.socks5_auth->valid);
    struct event done = {.type = EV_DONE, .cmd_id = c->id};
    cmd_free(c);
    layer_feed(r.layer, &done, &r.out);
    c = rig_pop(&r, CMD_SEND);
    ASSERT_MEMEQ(buf_ptr(&c->data), c->data.len, "\x01\x00", 2);
    cmd_free(c);
    /* The client disconnects: the addon forgets it. */
    struct hook_data gone;
    hook_data_init(&gone, HOOK_CLIENT_DISCONNECTED, NULL, r.client, NULL);
    addon_dispatch(chain, &call, &gone, NULL, NULL);
    hook_data_clear(&gone);
    addon_chain_free(chain);
    rig_free(&r);
}

TEST(socks5_oversized_and_garbage_never_crash)
{
    /* Every byte value as each position of a short handshake. */
    for (int pos = 0; pos < 12; pos++) {
        for (int v = 0; v < 256; v += 7) {
            uint8_t msg[12] = {5, 1, 0, 5, 1, 0, 3, 3, 'a', 'b', 'c', 0};
            msg[pos] = (uint8_t)v;
            struct rig r;
            rig_init(&r);
            rig_data(&r, msg, sizeof(msg));
            rig_free(&r);
        }
    }
}
