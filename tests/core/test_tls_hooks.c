/*
 * TLS interception through the real server, with a real TLS client and a
 * real TLS origin on sockets, and the policy in addons: the tlsconfig addon
 * signs its leaves on the thread pool (server_queue_work), an addon of the
 * test's changes the certificate in tls_start_client, and next_layer passes
 * a connection through. The client checks which certificate it got.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "../lib/tca.h"
#include "../lib/test.h"
#include "../lib/tproxy.h"
#include "addons/addon.h"
#include "addons/tlsconfig.h"
#include "core/server.h"
#include "options/opt.h"
#include "proxy/context.h"
#include "tls/ca.h"
#include "tls/session.h"
#include "util/log.h"
#include "util/xmalloc.h"

#define TIMEOUT_S 5

static char *conf;         /* conf dir with the test CA */
static struct ca *test_ca; /* the same CA: the origin's certificate, the addon's */

static int
listen_local(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ASSERT(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ASSERT_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ASSERT_EQ(listen(fd, 16), 0);
    ASSERT_EQ(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void
set_timeouts(int fd)
{
    struct timeval tv = {.tv_sec = TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* ---- The origin: TLS, a certificate for localhost with CN origin.test. ---- */

struct origin {
    pthread_t thread;
    int lfd;
    int stop[2];
    int port;
    SSL_CTX *ctx;
    X509 *cert; /* borrowed from test_ca's cache; a reference of our own */
};

static void
origin_serve(struct origin *o, int fd)
{
    set_timeouts(fd);
    SSL *ssl = SSL_new(o->ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        char buf[2048];
        size_t len = 0;
        int n;
        while (len < sizeof(buf) - 1 &&
               (n = SSL_read(ssl, buf + len, (int)(sizeof(buf) - 1 - len))) > 0) {
            len += (size_t)n;
            buf[len] = '\0';
            if (strstr(buf, "\r\n\r\n"))
                break;
        }
        static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\norigin";
        SSL_write(ssl, resp, sizeof(resp) - 1);
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ERR_clear_error();
    close(fd);
}

static void *
origin_main(void *arg)
{
    struct origin *o = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = o->stop[0], .events = POLLIN},
                              {.fd = o->lfd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents)
            break;
        int fd = accept(o->lfd, NULL, NULL);
        if (fd >= 0)
            origin_serve(o, fd);
    }
    return NULL;
}

static void
origin_start(struct origin *o)
{
    memset(o, 0, sizeof(*o));
    const char *sans[] = {"localhost"};
    struct ca_leaf leaf;
    struct err e = {0};
    ASSERT_EQ(ca_leaf_get(test_ca, "origin.test", sans, 1, &leaf, &e), 0);
    o->cert = leaf.cert;
    X509_up_ref(o->cert);
    o->ctx = SSL_CTX_new(TLS_server_method());
    ASSERT(o->ctx != NULL);
    ASSERT_EQ(SSL_CTX_use_certificate(o->ctx, leaf.cert), 1);
    ASSERT_EQ(SSL_CTX_use_PrivateKey(o->ctx, leaf.key), 1);
    o->lfd = listen_local(&o->port);
    ASSERT_EQ(pipe(o->stop), 0);
    ASSERT_EQ(pthread_create(&o->thread, NULL, origin_main, o), 0);
}

static void
origin_stop(struct origin *o)
{
    close(o->stop[1]);
    pthread_join(o->thread, NULL);
    close(o->stop[0]);
    close(o->lfd);
    SSL_CTX_free(o->ctx);
    X509_free(o->cert);
}

/* ---- The test's addon, in front of tlsconfig (loop thread only). ---- */

static struct {
    atomic_int own_cert;     /* tls_start_client: present our own certificate */
    atomic_int pass_through; /* next_layer: ignore the connection */
    atomic_int start_client; /* tls_start_client hooks seen */
    atomic_int queued;       /* leaves tlsconfig sent to the pool */
    atomic_int start_server; /* tls_start_server hooks seen */
    atomic_int established_server;
    atomic_int failed_server;
    atomic_int server_port; /* the port of the last tls_start_server's server */
    char server_sni[64];    /* its SNI (loop thread writes, test reads after join) */
} t;

static enum addon_result
t_next_layer(struct addon *a, struct hook_call *call)
{
    struct next_layer_data *d = call->data->next_layer;
    if (atomic_load(&t.pass_through) && !d->tls && d->layer == NEXT_LAYER_TLS)
        d->layer = NEXT_LAYER_IGNORE;
    return ADDON_CONTINUE;
}

static enum addon_result
t_start_client(struct addon *a, struct hook_call *call)
{
    atomic_fetch_add(&t.start_client, 1);
    if (!atomic_load(&t.own_cert))
        return ADDON_CONTINUE;
    /* A script's own certificate: tlsconfig finds the session set and leaves it. */
    const char *sans[] = {"localhost"};
    struct ca_leaf leaf;
    struct err e = {0};
    if (ca_leaf_get(test_ca, "changed.test", sans, 1, &leaf, &e) < 0)
        return ADDON_CONTINUE;
    struct tls_server_opts o = {.leaf = &leaf, .min_version = TLS_VER_TLS1_2};
    call->data->tls->ssl_conn = tls_session_new_server(&o, &e);
    return ADDON_CONTINUE;
}

static enum addon_result
t_start_server(struct addon *a, struct hook_call *call)
{
    const struct connection *c = call->data->tls->conn;
    atomic_fetch_add(&t.start_server, 1);
    atomic_store(&t.server_port, c->address.port);
    snprintf(t.server_sni, sizeof(t.server_sni), "%s", c->sni ? c->sni : "");
    return ADDON_CONTINUE;
}

static enum addon_result
t_established_server(struct addon *a, struct hook_call *call)
{
    if (call->data->tls->conn->tls_established)
        atomic_fetch_add(&t.established_server, 1);
    return ADDON_CONTINUE;
}

static enum addon_result
t_failed_server(struct addon *a, struct hook_call *call)
{
    atomic_fetch_add(&t.failed_server, 1);
    return ADDON_CONTINUE;
}

static const struct addon_ops t_ops = {
    .name = "test_tls",
    .hooks = {[HOOK_NEXT_LAYER] = t_next_layer,
              [HOOK_TLS_START_CLIENT] = t_start_client,
              [HOOK_TLS_START_SERVER] = t_start_server,
              [HOOK_TLS_ESTABLISHED_SERVER] = t_established_server,
              [HOOK_TLS_FAILED_SERVER] = t_failed_server},
};

static struct addon t_addon = {.ops = &t_ops};

/* ---- The proxy, in its own thread. ---- */

/* Counts what tlsconfig signs on the pool, as mitmdump wires it otherwise. */
static void
queue_work(void *srv, tlsconfig_work_cb work, tlsconfig_work_cb after, void *arg)
{
    atomic_fetch_add(&t.queued, 1);
    server_queue_work(srv, work, after, arg);
}

/* mode NULL: regular. trust_ca: verify upstream servers with the test CA. */
static void
proxy_start_mode(struct tproxy *p, const char *mode, int trust_ca)
{
    struct err e = {0};
    tproxy_init(p, mode);
    ASSERT_EQ(opt_set(p->opts, "confdir", conf, &e), 0);
    char *ca_file = tca_cert_file(conf);
    if (trust_ca)
        ASSERT_EQ(opt_set(p->opts, "ssl_verify_upstream_trusted_ca", ca_file, &e), 0);
    free(ca_file);
    ASSERT_EQ(proxy_config_init(&p->cfg, p->opts, &e), 0);
    ASSERT_EQ(proxy_config_load_ca(&p->cfg, &e), 0);
    p->chain = addon_chain_new();
    addon_chain_add(p->chain, &t_addon);
    struct addon *tlsconfig = addon_tlsconfig_new();
    addon_chain_add(p->chain, tlsconfig);
    ASSERT_EQ(addon_chain_configure(p->chain, p->opts, &e), 0);
    p->srv = server_new(&p->cfg, p->chain);
    tlsconfig_wire(tlsconfig, queue_work, p->srv);
    tproxy_listen(p);
    tproxy_run(p);
}

static void
proxy_start(struct tproxy *p)
{
    proxy_start_mode(p, NULL, 1);
}

/* ---- The client: CONNECT, then TLS trusting the test CA. ---- */

struct seen {
    char cn[128];
    X509 *cert; /* one reference */
    char body[64];
};

static void
client_run(int proxy_port, int origin_port, struct seen *out)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)proxy_port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(fd >= 0);
    set_timeouts(fd);
    ASSERT_EQ(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[256];
    int n =
        snprintf(req, sizeof(req), "CONNECT localhost:%d HTTP/1.1\r\nHost: localhost:%d\r\n\r\n",
                 origin_port, origin_port);
    ASSERT_EQ(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    char head[512];
    size_t len = 0;
    while (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0) {
        ASSERT(len < sizeof(head) - 1);
        ASSERT_EQ(recv(fd, head + len, 1, 0), 1); /* byte by byte: no TLS bytes taken */
        len++;
    }
    head[len] = '\0';
    ASSERT(strncmp(head, "HTTP/1.1 200", 12) == 0);

    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    char *ca_file = tca_cert_file(conf);
    ASSERT_EQ(SSL_CTX_load_verify_locations(ctx, ca_file, NULL), 1);
    free(ca_file);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL *ssl = SSL_new(ctx);
    SSL_set_tlsext_host_name(ssl, "localhost");
    ASSERT_EQ(SSL_set1_host(ssl, "localhost"), 1);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1)
        test_fail(__FILE__, __LINE__, "TLS through the proxy failed: %s",
                  ERR_reason_error_string(ERR_peek_last_error()));
    out->cert = SSL_get1_peer_certificate(ssl);
    ASSERT(out->cert != NULL);
    X509_NAME_get_text_by_NID(X509_get_subject_name(out->cert), NID_commonName, out->cn,
                              sizeof(out->cn));
    static const char get[] = "GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n";
    ASSERT_EQ(SSL_write(ssl, get, sizeof(get) - 1), (int)sizeof(get) - 1);
    /* The origin's answer has a body of 6 bytes. */
    char resp[1024];
    char *body = NULL;
    len = 0;
    while (body == NULL || strlen(body + 4) < 6) {
        ASSERT(len < sizeof(resp) - 1);
        n = SSL_read(ssl, resp + len, (int)(sizeof(resp) - 1 - len));
        if (n <= 0)
            test_fail(__FILE__, __LINE__, "short response: %.*s", (int)len, resp);
        len += (size_t)n;
        resp[len] = '\0';
        body = strstr(resp, "\r\n\r\n");
    }
    ASSERT(strncmp(resp, "HTTP/1.1 200", 12) == 0);
    snprintf(out->body, sizeof(out->body), "%s", body + 4);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
}

/* A plain request for an absolute URL; returns the status line's code and
 * copies the body. */
static int
plain_get(int proxy_port, const char *url, char *body, size_t bodylen)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)proxy_port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(fd >= 0);
    set_timeouts(fd);
    ASSERT_EQ(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", url);
    ASSERT_EQ(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    char resp[4096];
    size_t len = 0;
    ssize_t r;
    while (len < sizeof(resp) - 1 && (r = recv(fd, resp + len, sizeof(resp) - 1 - len, 0)) > 0) {
        len += (size_t)r;
        resp[len] = '\0';
        const char *b = strstr(resp, "\r\n\r\n");
        const char *cl = strcasestr(resp, "content-length:");
        if (b && cl && strlen(b + 4) >= strtoul(cl + 15, NULL, 10))
            break;
    }
    close(fd);
    resp[len] = '\0';
    ASSERT(len > 12);
    const char *b = strstr(resp, "\r\n\r\n");
    snprintf(body, bodylen, "%s", b ? b + 4 : "");
    return atoi(resp + 9);
}

static void
setup(void)
{
    struct err e = {0};
    conf = tca_dir_new();
    test_ca = ca_load_or_create(conf, 2048, &e);
    ASSERT(test_ca != NULL);
    atomic_store(&t.own_cert, 0);
    atomic_store(&t.pass_through, 0);
    atomic_store(&t.start_client, 0);
    atomic_store(&t.queued, 0);
    atomic_store(&t.start_server, 0);
    atomic_store(&t.established_server, 0);
    atomic_store(&t.failed_server, 0);
    atomic_store(&t.server_port, 0);
}

static void
teardown(void)
{
    ca_free(test_ca);
    tca_dir_free(conf);
}

/* ---- Tests. ---- */

/* The forged leaf is signed on the pool; a script's certificate replaces it. */
TEST(tls_hooks_certificate_from_the_pool_or_an_addon)
{
    struct origin o;
    struct tproxy p;
    struct seen s = {0};
    setup();
    origin_start(&o);
    proxy_start(&p);

    /* tlsconfig forges: the upstream's CN, signed on the pool (a new name). */
    client_run(p.port, o.port, &s);
    ASSERT_STREQ(s.cn, "origin.test");
    ASSERT(X509_cmp(s.cert, o.cert) != 0);
    ASSERT_STREQ(s.body, "origin");
    ASSERT_EQ(atomic_load(&t.queued), 1);
    X509_free(s.cert);

    /* The same names again come from the cache, on the loop. */
    client_run(p.port, o.port, &s);
    ASSERT_STREQ(s.cn, "origin.test");
    ASSERT_EQ(atomic_load(&t.queued), 1);
    X509_free(s.cert);

    /* An addon's session in tls_start_client is what the client sees. */
    atomic_store(&t.own_cert, 1);
    client_run(p.port, o.port, &s);
    ASSERT_STREQ(s.cn, "changed.test");
    ASSERT_STREQ(s.body, "origin");
    ASSERT_EQ(atomic_load(&t.queued), 1);
    ASSERT_EQ(atomic_load(&t.start_client), 3);
    X509_free(s.cert);

    tproxy_stop(&p);
    origin_stop(&o);
    teardown();
}

/* next_layer says ignore: the client's TLS goes to the origin untouched. */
TEST(tls_hooks_next_layer_passes_through)
{
    struct origin o;
    struct tproxy p;
    struct seen s = {0};
    setup();
    origin_start(&o);
    proxy_start(&p);
    atomic_store(&t.pass_through, 1);
    client_run(p.port, o.port, &s);
    ASSERT_STREQ(s.cn, "origin.test");
    ASSERT_EQ(X509_cmp(s.cert, o.cert), 0); /* the origin's own certificate */
    ASSERT_STREQ(s.body, "origin");
    ASSERT_EQ(atomic_load(&t.start_client), 0);
    ASSERT_EQ(atomic_load(&t.queued), 0);
    X509_free(s.cert);
    tproxy_stop(&p);
    origin_stop(&o);
    teardown();
}

/* upstream:https://: the TLS to the upstream proxy is set up by the hooks,
 * as any server's: tls_start_server sees the proxy (its address and SNI),
 * then tls_established_server; an untrusted proxy is tls_failed_server and
 * a 502. The TLS origin plays the upstream proxy: it answers any request. */
TEST(tls_hooks_upstream_proxy_tls_goes_through_the_hooks)
{
    struct origin o;
    struct tproxy p;
    char mode[64], body[64];
    setup();
    origin_start(&o);
    snprintf(mode, sizeof(mode), "upstream:https://localhost:%d", o.port);

    proxy_start_mode(&p, mode, 1);
    ASSERT_EQ(plain_get(p.port, "http://example.test/x", body, sizeof(body)), 200);
    ASSERT_STREQ(body, "origin");
    tproxy_stop(&p);
    ASSERT_EQ(atomic_load(&t.start_server), 1);
    ASSERT_EQ(atomic_load(&t.server_port), o.port);
    ASSERT_STREQ(t.server_sni, "localhost");
    ASSERT_EQ(atomic_load(&t.established_server), 1);
    ASSERT_EQ(atomic_load(&t.failed_server), 0);

    /* Without the test CA the proxy's certificate is not trusted. */
    proxy_start_mode(&p, mode, 0);
    ASSERT_EQ(plain_get(p.port, "http://example.test/x", body, sizeof(body)), 502);
    tproxy_stop(&p);
    ASSERT_EQ(atomic_load(&t.start_server), 2);
    ASSERT_EQ(atomic_load(&t.established_server), 1);
    ASSERT_EQ(atomic_load(&t.failed_server), 1);

    origin_stop(&o);
    teardown();
}
