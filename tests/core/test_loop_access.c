/*
 * What a UI needs from the loop besides the proxy: a file descriptor
 * watched (a terminal), timers, and a listener whose connections get a
 * root layer of their own (the web UI's API), all on the loop's thread.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "../lib/tnet.h"
#include "core/server.h"
#include "flow/connection.h"
#include "proxy/layer.h"
#include "util/log.h"

struct watch_test {
    struct server *srv;
    struct server_watch *w;
    int fd;
    char got[64];
    size_t len;
};

static void
on_readable(void *arg, int events)
{
    struct watch_test *t = arg;
    ASSERT(events & SERVER_READABLE);
    ssize_t n = read(t->fd, t->got + t->len, sizeof(t->got) - 1 - t->len);
    if (n > 0)
        t->len += (size_t)n;
    if (n <= 0 || memchr(t->got, '\n', t->len)) {
        server_unwatch(t->w);
        server_stop(t->srv);
    }
}

static void *
writer(void *arg)
{
    int fd = *(int *)arg;
    usleep(20 * 1000);
    ASSERT_EQ(write(fd, "key", 3), 3);
    usleep(20 * 1000);
    ASSERT_EQ(write(fd, "s\n", 2), 2);
    return NULL;
}

TEST(server_watch_fd_reads_as_data_comes)
{
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    struct watch_test t = {.srv = server_new(NULL, NULL), .fd = p[0]};
    struct err e = {0};
    t.w = server_watch_fd(t.srv, p[0], SERVER_READABLE, on_readable, &t, &e);
    ASSERT(t.w != NULL);
    pthread_t th;
    pthread_create(&th, NULL, writer, &p[1]);
    ASSERT_EQ(server_run(t.srv), 0);
    pthread_join(th, NULL);
    server_free(t.srv);
    t.got[t.len] = '\0';
    ASSERT_STREQ(t.got, "keys\n");
    close(p[0]);
    close(p[1]);
}

struct timer_test {
    struct server *srv;
    int ticks;
};

static void
on_tick(void *arg)
{
    struct timer_test *t = arg;
    if (++t->ticks == 3)
        server_stop(t->srv);
}

TEST(server_timer_repeats_and_does_not_keep_a_stopped_loop)
{
    struct timer_test t = {.srv = server_new(NULL, NULL)};
    struct server_timer *tm = server_timer_new(t.srv, on_tick, &t);
    server_timer_start(tm, 1, 5);
    /* The timer is still armed when the loop stops: run must return anyway. */
    ASSERT_EQ(server_run(t.srv), 0);
    ASSERT_EQ(t.ticks, 3);
    server_timer_free(tm);
    server_free(t.srv);
}

/* An app layer: echoes each line back upper-cased, closes on "bye". */
static void
echo_handle(struct layer *l, const struct event *ev, struct cmdq *out)
{
    if (ev->type == EV_DATA) {
        char buf[256] = {0};
        size_t n = ev->data.len < sizeof(buf) ? ev->data.len : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(ev->data.p[i] >= 'a' && ev->data.p[i] <= 'z' ? ev->data.p[i] - 32
                                                                         : ev->data.p[i]);
        layer_send(l, out, l->ctx->client, buf, n);
        if (n >= 3 && memcmp(ev->data.p, "bye", 3) == 0)
            layer_close(l, out, l->ctx->client, 0);
    } else if (ev->type == EV_CLOSED) {
        layer_close(l, out, l->ctx->client, 0);
    }
}

static void
echo_free(struct layer *l)
{
    free(l);
}

static const struct layer_ops echo_ops = {.name = "echo", .handle = echo_handle, .free = echo_free};

static int echo_made;

static struct layer *
echo_new(struct context *ctx, void *arg)
{
    ASSERT(arg == &echo_made);
    ASSERT(ctx->cfg == NULL);
    echo_made++;
    struct layer *l = calloc(1, sizeof(*l));
    layer_init(l, &echo_ops, ctx);
    return l;
}

struct app_test {
    struct server *srv;
    int port;
    int rc;
};

static void *
app_loop(void *arg)
{
    struct app_test *t = arg;
    t->rc = server_run(t->srv);
    return NULL;
}

static void
stop_it(void *arg)
{
    server_stop(arg);
}

TEST(server_listen_app_gives_connections_their_own_root)
{
    struct app_test t = {.srv = server_new(NULL, NULL)};
    struct err e = {0};
    log_set_level(LOG_ERROR);
    int i = server_listen_app(t.srv, "127.0.0.1", 0, echo_new, &echo_made, &e);
    ASSERT_EQ(i, 0);
    t.port = server_listener_port(t.srv, (size_t)i);
    pthread_t th;
    pthread_create(&th, NULL, app_loop, &t);
    int fd = tnet_connect(t.port);
    tnet_send(fd, "hello");
    char buf[16] = {0};
    size_t got = 0;
    while (got < 5) {
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        ASSERT(n > 0);
        got += (size_t)n;
    }
    ASSERT_STREQ(buf, "HELLO");
    tnet_send(fd, "bye");
    got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    ASSERT_STREQ(buf, "BYE");
    close(fd);
    server_post(t.srv, stop_it, t.srv);
    pthread_join(th, NULL);
    ASSERT_EQ(t.rc, 0);
    server_free(t.srv);
    ASSERT_EQ(echo_made, 1);
}
