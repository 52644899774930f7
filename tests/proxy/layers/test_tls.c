/*
 * Playbooks for the TLS layer with real TLS peers over memory: the client
 * and the origin are tls_sessions of their own (OpenSSL on both ends), the
 * bytes the layer sends them are fed in, and what they answer goes back in
 * as data events. Each playbook runs whole, byte by byte and split in two,
 * as every playbook does. The sessions come from the tlsconfig addon (the
 * chain answers each hook as it is raised); a test addon in front of it
 * changes what a script would: the certificate, ignore_connection, which
 * side goes first.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/pb.h"
#include "../../lib/tca.h"
#include "../../lib/test.h"
#include "addons/addon.h"
#include "addons/tlsconfig.h"
#include "flow/connection.h"
#include "proxy/layers/layers.h"
#include "tls/ca.h"
#include "tls/session.h"
#include "util/xmalloc.h"

#define REQ "GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n"
#define RESP "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"

static char *conf;                /* the test's conf dir with its CA */
static struct ca *origin_ca;      /* the same CA, which signs the origin's certificate too */
static struct connection *tunnel; /* the CONNECT tunnel's server (the layer holds it) */

/* What the test addon does, set per test. */
static struct {
    int ignore;            /* tls_clienthello: ignore_connection */
    int client_first;      /* tls_clienthello: establish_server_tls_first = 0 */
    const char *cn;        /* tls_start_client: present a leaf with this CN (and SAN a.test) */
    enum next_layer force; /* next_layer: this instead (NONE: leave it) */
} want;

static void
setup(void)
{
    struct err e = {0};
    conf = tca_dir_new();
    origin_ca = ca_load_or_create(conf, 2048, &e);
    ASSERT(origin_ca != NULL);
    memset(&want, 0, sizeof(want));
}

static void
teardown(void)
{
    ca_free(origin_ca);
    tca_dir_free(conf);
}

static void
config(struct options *o)
{
    free(o->confdir);
    o->confdir = xstrdup(conf);
    /* The origin's certificate is signed by the same CA: the proxy trusts it. */
    free(o->ssl_verify_upstream_trusted_ca);
    o->ssl_verify_upstream_trusted_ca = tca_cert_file(conf);
}

static void
reverse_https(struct options *o)
{
    struct err e = {0};
    config(o);
    ASSERT_EQ(opt_set(o, "mode", "reverse:https://a.test:443", &e), 0);
}

static struct layer *
make_tunnel(struct context *ctx)
{
    tunnel = connection_new(CONN_SERVER);
    addr_set(&tunnel->address, "a.test", 443);
    addr_set(&tunnel->peername, "10.0.0.1", 443);
    tunnel->state = CONN_OPEN;
    struct layer *l = layer_nextlayer_new(ctx, tunnel);
    connection_unref(tunnel); /* the layer's reference keeps it */
    return l;
}

static struct layer *
make_reverse(struct context *ctx)
{
    return layer_nextlayer_new(ctx, NULL);
}

/* ---- the test addon, in front of tlsconfig ---- */

static enum addon_result
t_next_layer(struct addon *a, struct hook_call *call)
{
    if (want.force != NEXT_LAYER_NONE && !call->data->next_layer->tls)
        call->data->next_layer->layer = want.force;
    return ADDON_CONTINUE;
}

static enum addon_result
t_clienthello(struct addon *a, struct hook_call *call)
{
    struct tls_clienthello_data *d = call->data->clienthello;
    d->ignore_connection = want.ignore;
    if (want.client_first)
        d->establish_server_tls_first = 0;
    return ADDON_CONTINUE;
}

static enum addon_result
t_start_client(struct addon *a, struct hook_call *call)
{
    if (want.cn == NULL)
        return ADDON_CONTINUE;
    /* A certificate of our own: tlsconfig sees the session and leaves it. */
    const char *sans[] = {"a.test"};
    struct ca_leaf leaf;
    struct err e = {0};
    ASSERT_EQ(ca_leaf_get(origin_ca, want.cn, sans, 1, &leaf, &e), 0);
    struct tls_server_opts o = {.leaf = &leaf, .min_version = TLS_VER_TLS1_2};
    call->data->tls->ssl_conn = tls_session_new_server(&o, &e);
    ASSERT(call->data->tls->ssl_conn != NULL);
    return ADDON_CONTINUE;
}

static void
t_free(struct addon *a)
{
    free(a);
}

static const struct addon_ops t_ops = {
    .name = "test",
    .free = t_free,
    .hooks =
        {
            [HOOK_NEXT_LAYER] = t_next_layer,
            [HOOK_TLS_CLIENTHELLO] = t_clienthello,
            [HOOK_TLS_START_CLIENT] = t_start_client,
        },
};

static struct addon_chain *
chain(void)
{
    struct addon *t = xcalloc(1, sizeof(*t));
    t->ops = &t_ops;
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, t);
    addon_chain_add(c, addon_tlsconfig_new());
    return c;
}

/* ---- the peers ---- */

/* A client offering h2 and http/1.1 (only http/1.1 with h1), trusting our CA (or not). */
static struct tls_session *
client_peer_with(int h1, int trust)
{
    static const char *const alpn[] = {"h2", "http/1.1"};
    char *ca_file = trust ? tca_cert_file(conf) : NULL;
    struct tls_client_opts o = {
        .sni = "a.test",
        .alpn = h1 ? alpn + 1 : alpn,
        .nalpn = h1 ? 1 : 2,
        .verify = 1,
        .ca_file = ca_file,
        .min_version = TLS_VER_TLS1_2,
    };
    struct err e = {0};
    struct tls_session *s = tls_session_new_client(&o, &e);
    free(ca_file);
    ASSERT(s != NULL);
    return s;
}

static struct tls_session *
client_peer(void)
{
    return client_peer_with(0, 1);
}

/* The origin speaks HTTP/1.1 only, with a certificate for name. */
static struct tls_session *
origin_peer(const char *name)
{
    static const char *const alpn[] = {"http/1.1"};
    const char *sans[] = {name};
    struct ca_leaf leaf;
    struct err e = {0};
    ASSERT_EQ(ca_leaf_get(origin_ca, name, sans, 1, &leaf, &e), 0);
    struct tls_server_opts o = {
        .leaf = &leaf, .alpn = alpn, .nalpn = 1, .min_version = TLS_VER_TLS1_2};
    struct tls_session *s = tls_session_new_server(&o, &e);
    ASSERT(s != NULL);
    return s;
}

/* What the layer sent conn goes into peer. */
static void
to_peer(struct pb *pb, struct connection *conn, struct tls_session *peer)
{
    struct buf b = BUF_INIT;
    pb_out_send_take(pb, conn, &b);
    tls_session_feed(peer, buf_ptr(&b), b.len);
    buf_clear(&b);
}

/* What peer has to say goes into the layer as data from conn (and into sent, if not NULL). */
static void
from_peer_keep(struct pb *pb, struct connection *conn, struct tls_session *peer, struct buf *sent)
{
    struct buf b = BUF_INIT;
    tls_session_take_output(peer, &b);
    ASSERT(b.len > 0);
    pb_in_datan(pb, conn, buf_ptr(&b), b.len);
    if (sent)
        buf_append(sent, buf_ptr(&b), b.len);
    buf_clear(&b);
}

static void
from_peer(struct pb *pb, struct connection *conn, struct tls_session *peer)
{
    from_peer_keep(pb, conn, peer, NULL);
}

/* The layer sends conn exactly the bytes in want. */
static void
sent_as_is(struct pb *pb, struct connection *conn, const struct buf *bytes)
{
    struct buf b = BUF_INIT;
    pb_out_send_take(pb, conn, &b);
    ASSERT_MEMEQ(buf_ptr(&b), b.len, buf_ptr(bytes), bytes->len);
    buf_clear(&b);
}

static void
handshake(struct tls_session *peer, int want_done)
{
    struct err e = {0};
    int rc = tls_session_handshake(peer, &e);
    if (rc != want_done)
        test_fail(__FILE__, __LINE__, "peer handshake: %d (%s), expected %d", rc, e.msg, want_done);
}

static void
write_peer(struct tls_session *peer, const char *s)
{
    struct err e = {0};
    ASSERT_EQ(tls_session_write(peer, (const uint8_t *)s, strlen(s), &e), 0);
}

static void
read_peer(struct tls_session *peer, const char *want_text)
{
    struct err e = {0};
    struct buf got = BUF_INIT;
    ASSERT(tls_session_read(peer, &got, &e) >= 0);
    ASSERT_BUF_STR(&got, want_text);
    buf_clear(&got);
}

/* The hook is next; the test answers it (after the chain did). */
static struct hook_data *
hook(struct pb *pb, enum hook h)
{
    struct hook_data *d;
    pb_out_hook_data(pb, h, &d);
    return d;
}

/* ---- playbooks ---- */

/* Server first, as by default: both handshakes, every hook in mitmproxy's order, one request. */
static void
pb_intercept(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct tls_session *c = client_peer(), *o = origin_peer("a.test");
    struct hook_data *d;
    pb_in_start(pb);
    handshake(c, 0);
    from_peer(pb, client, c);
    d = hook(pb, HOOK_NEXT_LAYER);
    ASSERT_EQ(d->next_layer->layer, NEXT_LAYER_TLS);
    ASSERT(!d->next_layer->tls);
    pb_in_reply(pb);
    d = hook(pb, HOOK_TLS_CLIENTHELLO);
    ASSERT_STREQ(d->clienthello->client_hello.sni, "a.test");
    ASSERT_EQ(d->clienthello->client_hello.nalpn, 2);
    ASSERT(d->clienthello->establish_server_tls_first);
    ASSERT_STREQ(client->sni, "a.test");
    pb_in_reply(pb);
    d = hook(pb, HOOK_TLS_START_SERVER);
    ASSERT(d->tls->conn == tunnel);
    ASSERT(d->tls->ssl_conn != NULL); /* tlsconfig's */
    pb_in_reply(pb);
    to_peer(pb, tunnel, o);
    handshake(o, 0);
    from_peer(pb, tunnel, o);
    to_peer(pb, tunnel, o); /* our Finished */
    handshake(o, 1);
    d = hook(pb, HOOK_TLS_ESTABLISHED_SERVER);
    ASSERT(d->tls->conn == tunnel && d->tls->ssl_conn != NULL);
    ASSERT(tunnel->tls_established);
    ASSERT_STREQ(tunnel->alpn, "http/1.1");
    pb_in_reply(pb);
    d = hook(pb, HOOK_TLS_START_CLIENT);
    ASSERT(d->tls->conn == client && d->tls->server == tunnel);
    ASSERT(d->tls->server_tls != NULL); /* the upstream certificate, for the forged one */
    ASSERT(d->tls->ssl_conn != NULL);
    pb_in_reply(pb);
    to_peer(pb, client, c);
    handshake(c, 1);
    from_peer(pb, client, c);
    to_peer(pb, client, c); /* session tickets */
    d = hook(pb, HOOK_TLS_ESTABLISHED_CLIENT);
    ASSERT(d->tls->conn == client);
    pb_in_reply(pb);
    d = hook(pb, HOOK_NEXT_LAYER);
    ASSERT(d->next_layer->tls);
    ASSERT_EQ(d->next_layer->layer, NEXT_LAYER_HTTP);
    pb_in_reply(pb);
    /* The forged leaf: the origin's names, our CA; ALPN mirrors the origin's. */
    ASSERT_STREQ(tls_session_peer_cn(c), "a.test");
    ASSERT_STREQ(tls_session_alpn(c), "http/1.1");
    ASSERT_STREQ(client->alpn, "http/1.1");

    write_peer(c, REQ);
    from_peer(pb, client, c);
    pb_out_hook(pb, HOOK_REQUESTHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    to_peer(pb, tunnel, o);
    read_peer(o, REQ);
    write_peer(o, RESP);
    from_peer(pb, tunnel, o);
    pb_out_hook(pb, HOOK_RESPONSEHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_RESPONSE, NULL);
    pb_in_reply(pb);
    to_peer(pb, client, c);
    read_peer(c, RESP);
    pb_end(pb);
    tls_session_free(c);
    tls_session_free(o);
}

TEST(tls_layer_hooks_in_order)
{
    setup();
    pb_run_chain(pb_intercept, make_tunnel, PB_HOOKS | PB_CA, config, chain);
    teardown();
}

/* An addon's certificate in tls_start_client is what the client gets. */
static void
pb_own_certificate(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct tls_session *c = client_peer(), *o = origin_peer("a.test");
    pb_in_start(pb);
    handshake(c, 0);
    from_peer(pb, client, c);
    to_peer(pb, tunnel, o);
    handshake(o, 0);
    from_peer(pb, tunnel, o);
    to_peer(pb, tunnel, o);
    to_peer(pb, client, c);
    handshake(c, 1);
    from_peer(pb, client, c);
    to_peer(pb, client, c);
    ASSERT_STREQ(tls_session_peer_cn(c), "changed.test");
    const char *const *sans;
    ASSERT_EQ(tls_session_peer_sans(c, &sans), 1);
    ASSERT_STREQ(sans[0], "a.test");
    pb_end(pb);
    tls_session_free(c);
    tls_session_free(o);
}

TEST(tls_layer_addon_serves_its_own_certificate)
{
    setup();
    want.cn = "changed.test";
    pb_run_chain(pb_own_certificate, make_tunnel, PB_NOHOOKS | PB_CA, config, chain);
    teardown();
}

/* ignore_connection: the ClientHello and all after it go through untouched. */
static void
pb_ignore_connection(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct tls_session *c = client_peer(), *o = origin_peer("a.test");
    struct buf hello = BUF_INIT, reply = BUF_INIT;
    pb_in_start(pb);
    handshake(c, 0);
    from_peer_keep(pb, client, c, &hello);
    pb_out_hook(pb, HOOK_NEXT_LAYER, NULL);
    pb_in_reply(pb);
    struct hook_data *d = hook(pb, HOOK_TLS_CLIENTHELLO);
    ASSERT(d->clienthello->ignore_connection);
    pb_in_reply(pb);
    sent_as_is(pb, tunnel, &hello);
    tls_session_feed(o, buf_ptr(&hello), hello.len);
    handshake(o, 0);
    from_peer_keep(pb, tunnel, o, &reply);
    sent_as_is(pb, client, &reply);
    ASSERT(!tunnel->tls);
    pb_end(pb);
    buf_clear(&hello);
    buf_clear(&reply);
    tls_session_free(c);
    tls_session_free(o);
}

TEST(tls_layer_ignore_connection_passes_through)
{
    setup();
    want.ignore = 1;
    pb_run_chain(pb_ignore_connection, make_tunnel, PB_HOOKS | PB_CA, config, chain);
    teardown();
}

/*
 * The ClientHello is parsed once and shared: the hook data of
 * tls_clienthello is the one the next-layer layer parsed into (it kept no
 * reference: the TLS layer's and the hook's are all), and every tls_* hook
 * points into it rather than at a copy.
 */
static void
pb_hello_held_once(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct tls_session *c = client_peer(), *o = origin_peer("a.test");
    pb_in_start(pb);
    handshake(c, 0);
    from_peer(pb, client, c);
    hook(pb, HOOK_NEXT_LAYER);
    pb_in_reply(pb);
    struct tls_clienthello_data *ch = hook(pb, HOOK_TLS_CLIENTHELLO)->clienthello;
    ASSERT_EQ(ch->refs, 2);
    ASSERT_STREQ(ch->client_hello.sni, "a.test");
    pb_in_reply(pb);
    struct hook_data *d = hook(pb, HOOK_TLS_START_SERVER);
    ASSERT(d->tls->hello == ch);
    ASSERT(d->tls->client_hello == &ch->client_hello);
    pb_in_reply(pb);
    to_peer(pb, tunnel, o);
    pb_end(pb);
    tls_session_free(c);
    tls_session_free(o);
}

TEST(tls_layer_clienthello_held_once)
{
    setup();
    pb_run_chain(pb_hello_held_once, make_tunnel, PB_HOOKS | PB_CA, config, chain);
    teardown();
}

/* next_layer: an addon passes a ClientHello through that would be intercepted. */
static void
pb_next_layer_ignore(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct tls_session *c = client_peer();
    struct buf hello = BUF_INIT;
    pb_in_start(pb);
    handshake(c, 0);
    from_peer_keep(pb, client, c, &hello);
    struct hook_data *d = hook(pb, HOOK_NEXT_LAYER);
    ASSERT_EQ(d->next_layer->layer, NEXT_LAYER_IGNORE); /* the test addon's answer */
    ASSERT_MEMEQ(buf_ptr(&d->next_layer->data_client), d->next_layer->data_client.len,
                 buf_ptr(&hello), hello.len);
    pb_in_reply(pb);
    sent_as_is(pb, tunnel, &hello);
    pb_in_data(pb, tunnel, "raw");
    pb_out_send(pb, client, "raw");
    pb_end(pb);
    buf_clear(&hello);
    tls_session_free(c);
}

TEST(tls_layer_next_layer_forces_passthrough)
{
    setup();
    want.force = NEXT_LAYER_IGNORE;
    pb_run_chain(pb_next_layer_ignore, make_tunnel, PB_HOOKS | PB_CA, config, chain);
    teardown();
}

/* The origin's certificate is for another name: tls_failed_server, then a 502. */
static void
pb_server_fails(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct tls_session *c = client_peer_with(1, 1), *o = origin_peer("b.test");
    pb_in_start(pb);
    handshake(c, 0);
    from_peer(pb, client, c);
    pb_out_hook(pb, HOOK_NEXT_LAYER, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TLS_CLIENTHELLO, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TLS_START_SERVER, NULL);
    pb_in_reply(pb);
    to_peer(pb, tunnel, o);
    handshake(o, 0);
    from_peer(pb, tunnel, o);
    to_peer(pb, tunnel, o); /* our alert */
    pb_out_close(pb, tunnel, 0);
    struct hook_data *d = hook(pb, HOOK_TLS_FAILED_SERVER);
    ASSERT(d->tls->conn == tunnel);
    ASSERT(strstr(tunnel->error, "certificate verify failed") != NULL);
    pb_in_reply(pb);
    d = hook(pb, HOOK_TLS_START_CLIENT);
    ASSERT(d->tls->server_tls == NULL);
    pb_in_reply(pb);
    to_peer(pb, client, c);
    handshake(c, 1);
    from_peer(pb, client, c);
    to_peer(pb, client, c);
    pb_out_hook(pb, HOOK_TLS_ESTABLISHED_CLIENT, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_NEXT_LAYER, NULL);
    pb_in_reply(pb);
    /* No server to mirror: what we speak, of what the client offered. */
    ASSERT_STREQ(tls_session_alpn(c), "http/1.1");
    write_peer(c, REQ);
    from_peer(pb, client, c);
    pb_out_hook(pb, HOOK_REQUESTHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    struct flow *f;
    pb_out_hook(pb, HOOK_ERROR, &f);
    ASSERT(strstr(f->error->msg, "certificate verify failed") != NULL);
    pb_in_reply(pb);
    to_peer(pb, client, c);
    struct buf got = BUF_INIT;
    struct err e = {0};
    ASSERT(tls_session_read(c, &got, &e) >= 0);
    ASSERT(got.len > 12 && memcmp(buf_ptr(&got), "HTTP/1.1 502", 12) == 0);
    buf_clear(&got);
    pb_out_close(pb, client, 0);
    pb_end(pb);
    tls_session_free(c);
    tls_session_free(o);
}

TEST(tls_layer_server_failure_is_a_hook)
{
    setup();
    pb_run_chain(pb_server_fails, make_tunnel, PB_HOOKS | PB_CA, config, chain);
    teardown();
}

/* establish_server_tls_first off: the client's handshake, then the server's. */
static void
pb_client_first(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct tls_session *c = client_peer_with(1, 1), *o = origin_peer("a.test");
    struct hook_data *d;
    pb_in_start(pb);
    handshake(c, 0);
    from_peer(pb, client, c);
    pb_out_hook(pb, HOOK_NEXT_LAYER, NULL);
    pb_in_reply(pb);
    d = hook(pb, HOOK_TLS_CLIENTHELLO);
    ASSERT(!d->clienthello->establish_server_tls_first);
    pb_in_reply(pb);
    d = hook(pb, HOOK_TLS_START_CLIENT);
    ASSERT(d->tls->server_tls == NULL);
    pb_in_reply(pb);
    to_peer(pb, client, c);
    handshake(c, 1);
    from_peer(pb, client, c);
    to_peer(pb, client, c);
    pb_out_hook(pb, HOOK_TLS_ESTABLISHED_CLIENT, NULL);
    pb_in_reply(pb);
    ASSERT_STREQ(tls_session_alpn(c), "http/1.1");
    pb_out_hook(pb, HOOK_TLS_START_SERVER, NULL);
    pb_in_reply(pb);
    to_peer(pb, tunnel, o);
    handshake(o, 0);
    from_peer(pb, tunnel, o);
    to_peer(pb, tunnel, o);
    handshake(o, 1);
    pb_out_hook(pb, HOOK_TLS_ESTABLISHED_SERVER, NULL);
    pb_in_reply(pb);
    /* The client chose http/1.1, so only that was offered to the server. */
    ASSERT_STREQ(tunnel->alpn, "http/1.1");
    pb_out_hook(pb, HOOK_NEXT_LAYER, NULL);
    pb_in_reply(pb);
    write_peer(c, REQ);
    from_peer(pb, client, c);
    pb_out_hook(pb, HOOK_REQUESTHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    to_peer(pb, tunnel, o);
    read_peer(o, REQ);
    pb_end(pb);
    tls_session_free(c);
    tls_session_free(o);
}

TEST(tls_layer_client_first_when_asked)
{
    setup();
    want.client_first = 1;
    pb_run_chain(pb_client_first, make_tunnel, PB_HOOKS | PB_CA, config, chain);
    teardown();
}

/* A client that does not trust us: tls_failed_client, then both close. */
static void
pb_client_rejects(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct tls_session *c = client_peer_with(0, 0), *o = origin_peer("a.test");
    pb_in_start(pb);
    handshake(c, 0);
    from_peer(pb, client, c);
    pb_out_hook(pb, HOOK_NEXT_LAYER, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TLS_CLIENTHELLO, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TLS_START_SERVER, NULL);
    pb_in_reply(pb);
    to_peer(pb, tunnel, o);
    handshake(o, 0);
    from_peer(pb, tunnel, o);
    to_peer(pb, tunnel, o);
    handshake(o, 1);
    pb_out_hook(pb, HOOK_TLS_ESTABLISHED_SERVER, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_TLS_START_CLIENT, NULL);
    pb_in_reply(pb);
    to_peer(pb, client, c);
    struct err e = {0};
    ASSERT_EQ(tls_session_handshake(c, &e), MP_ERR_PROTOCOL);
    from_peer(pb, client, c); /* the alert */
    pb_out_log(pb, "client TLS handshake failed for a.test");
    struct hook_data *d = hook(pb, HOOK_TLS_FAILED_CLIENT);
    ASSERT(d->tls->conn == client);
    ASSERT(strstr(client->error, "unknown ca") != NULL);
    pb_in_reply(pb);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, tunnel, 0);
    pb_end(pb);
    tls_session_free(c);
    tls_session_free(o);
}

TEST(tls_layer_client_failure_is_a_hook)
{
    setup();
    pb_run_chain(pb_client_rejects, make_tunnel, PB_HOOKS | PB_LOGS | PB_CA, config, chain);
    teardown();
}

/* Reverse mode to https://: the child's server connection gets its hooks
 * before its open is done, and they hold up that open only. */
static void
pb_reverse_https(struct pb *pb)
{
    struct connection *client = pb_client(pb), *server;
    struct tls_session *o = origin_peer("a.test");
    struct hook_data *d;
    pb_in_start(pb);
    pb_in_data(pb, client, REQ);
    d = hook(pb, HOOK_NEXT_LAYER);
    ASSERT_EQ(d->next_layer->layer, NEXT_LAYER_HTTP);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUESTHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    ASSERT(server->tls);
    pb_in_reply(pb);
    d = hook(pb, HOOK_TLS_START_SERVER);
    ASSERT(d->tls->conn == server && d->tls->client_hello == NULL);
    pb_in_reply(pb);
    to_peer(pb, server, o);
    handshake(o, 0);
    from_peer(pb, server, o);
    to_peer(pb, server, o);
    handshake(o, 1);
    pb_out_hook(pb, HOOK_TLS_ESTABLISHED_SERVER, NULL);
    pb_in_reply(pb);
    to_peer(pb, server, o);
    read_peer(o, REQ);
    write_peer(o, RESP);
    from_peer(pb, server, o);
    pb_out_hook(pb, HOOK_RESPONSEHEADERS, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_RESPONSE, NULL);
    pb_in_reply(pb);
    pb_out_send(pb, client, RESP);
    pb_end(pb);
    tls_session_free(o);
}

TEST(tls_layer_child_opens_get_server_hooks)
{
    setup();
    pb_run_chain(pb_reverse_https, make_reverse, PB_HOOKS | PB_CA, reverse_https, chain);
    teardown();
}
