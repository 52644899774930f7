/*
 * Writes of a proxied connection: what the layers send during one feed,
 * hook answers included, goes out in one write(2) when the feed ends. The
 * loop thread's write calls are counted in /proc (syscw), so the test sees
 * the system calls themselves, not how TCP happened to segment the bytes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "../lib/test.h"
#include "../lib/tnet.h"
#include "core/server.h"
#include "flow/connection.h"
#include "proxy/layer.h"
#include "util/log.h"

/*
 * On the client's bytes it sends "one ", then waits on a hook; the hook is
 * answered at once (no addon chain), in the same feed, and it sends "two "
 * and "three": a stream that finishes its exchange in a hook answer, as
 * every HTTP/2 stream does.
 */
static void
batch_handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    if (ev->type == EV_DATA) {
        layer_send(l, out, l->ctx->client, "one ", 4);
        layer_hook(l, out, HOOK_REQUEST, NULL, NULL, NULL);
    } else if (ev->type == EV_DONE) {
        layer_send(l, out, l->ctx->client, "two ", 4);
        layer_send(l, out, l->ctx->client, "three", 5);
    } else if (ev->type == EV_CLOSED) {
        layer_close(l, out, l->ctx->client, 0);
    }
}

static void
batch_free(struct layer *l)
{
    free(l);
}

static const struct layer_ops batch_ops = {
    .name = "batch", .handle = batch_handle, .free = batch_free};

static struct layer *
batch_new(struct context *ctx, void *arg)
{
    struct layer *l = calloc(1, sizeof(*l));
    layer_init(l, &batch_ops, ctx);
    return l;
}

struct loop {
    struct server *srv;
    pid_t tid; /* the loop thread's */
    int rc;
};

static void *
loop_main(void *arg)
{
    struct loop *t = arg;
    t->tid = gettid();
    t->rc = server_run(t->srv);
    return NULL;
}

static void
stop_it(void *arg)
{
    server_stop(arg);
}

/* write(2) and friends the thread tid has made so far. */
static long
writes_of(pid_t tid)
{
    char path[64], line[128];
    long n = -1;
    snprintf(path, sizeof(path), "/proc/self/task/%d/io", (int)tid);
    FILE *f = fopen(path, "r");
    ASSERT(f != NULL);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "syscw: %ld", &n) == 1)
            break;
    fclose(f);
    ASSERT(n >= 0);
    return n;
}

TEST(sock_sends_of_one_feed_share_a_write)
{
    struct loop t = {.srv = server_new(NULL, NULL)};
    struct err e = {0};
    log_set_level(LOG_ERROR);
    int i = server_listen_app(t.srv, "127.0.0.1", 0, batch_new, NULL, &e);
    ASSERT_EQ(i, 0);
    int port = server_listener_port(t.srv, (size_t)i);
    pthread_t th;
    pthread_create(&th, NULL, loop_main, &t);
    int fd = tnet_connect(port);
    /* The loop thread is idle in epoll once it has accepted: nothing
     * comes, so nothing is written until we send. */
    ASSERT(tnet_quiet(fd, 100));
    long before = writes_of(t.tid);
    tnet_send(fd, "go");
    char buf[32] = {0};
    size_t got = 0;
    while (got < strlen("one two three")) {
        ASSERT(!tnet_quiet(fd, 5000));
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        ASSERT(n > 0);
        got += (size_t)n;
    }
    ASSERT_STREQ(buf, "one two three");
    /* Three sends, two of them after a hook answer: one write. */
    ASSERT_EQ(writes_of(t.tid) - before, 1);
    close(fd);
    server_post(t.srv, stop_it, t.srv);
    pthread_join(th, NULL);
    ASSERT_EQ(t.rc, 0);
    server_free(t.srv);
}

/* The proxy's end of the connection from the client socket fd (-1: none). */
static int
proxy_end_of(int fd)
{
    struct sockaddr_in mine, peer;
    socklen_t len = sizeof(mine);
    ASSERT_EQ(getsockname(fd, (struct sockaddr *)&mine, &len), 0);
    for (int i = 3; i < 1024; i++) {
        len = sizeof(peer);
        if (i == fd || getpeername(i, (struct sockaddr *)&peer, &len) < 0 ||
            peer.sin_family != AF_INET)
            continue;
        if (peer.sin_port == mine.sin_port && peer.sin_addr.s_addr == mine.sin_addr.s_addr)
            return i;
    }
    return -1;
}

/*
 * Accepted sockets get TCP_NODELAY from their listener rather than from a
 * setsockopt() each: the proxy's end of a client connection has it.
 */
TEST(sock_accepted_socket_is_nodelay)
{
    struct loop t = {.srv = server_new(NULL, NULL)};
    struct err e = {0};
    log_set_level(LOG_ERROR);
    int i = server_listen_app(t.srv, "127.0.0.1", 0, batch_new, NULL, &e);
    ASSERT_EQ(i, 0);
    int port = server_listener_port(t.srv, (size_t)i);
    pthread_t th;
    pthread_create(&th, NULL, loop_main, &t);
    int fd = tnet_connect(port);
    tnet_send(fd, "go");
    ASSERT(!tnet_quiet(fd, 5000)); /* accepted and attached: it answered */
    int end = proxy_end_of(fd);
    ASSERT(end >= 0);
    int on = 0;
    socklen_t len = sizeof(on);
    ASSERT_EQ(getsockopt(end, IPPROTO_TCP, TCP_NODELAY, &on, &len), 0);
    ASSERT(on);
    close(fd);
    server_post(t.srv, stop_it, t.srv);
    pthread_join(th, NULL);
    ASSERT_EQ(t.rc, 0);
    server_free(t.srv);
}
