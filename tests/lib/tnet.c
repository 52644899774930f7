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

#include "test.h"
#include "tnet.h"

#define ORIGIN_CONNS 32

struct torigin {
    pthread_t thread;
    int lfd;
    int stop[2]; /* closing the write end stops the thread */
    int port;
    atomic_int requests;
};

struct oconn {
    int fd;
    char buf[8192];
    size_t len;
    size_t skip; /* request body bytes still to discard */
};

/* Answers each complete request head in c->buf; returns -1 when c is done. */
static int
serve(struct torigin *o, struct oconn *c)
{
    for (;;) {
        size_t k = c->skip < c->len ? c->skip : c->len;
        memmove(c->buf, c->buf + k, c->len - k);
        c->len -= k;
        c->skip -= k;
        char *end;
        if (c->skip > 0 || (end = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL)
            break;
        size_t head = (size_t)(end - c->buf) + 4;
        char resp[256];
        int n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
                         head);
        if (send(c->fd, resp, (size_t)n, MSG_NOSIGNAL) != n ||
            send(c->fd, c->buf, head, MSG_NOSIGNAL) != (ssize_t)head)
            return -1;
        atomic_fetch_add(&o->requests, 1);
        const char *cl = memmem(c->buf, head, "\r\nContent-Length:", 17);
        if (!cl)
            cl = memmem(c->buf, head, "\r\ncontent-length:", 17);
        if (cl)
            c->skip = strtoul(cl + 17, NULL, 10);
        memmove(c->buf, c->buf + head, c->len - head);
        c->len -= head;
    }
    return c->len == sizeof(c->buf) ? -1 : 0;
}

static void *
origin_main(void *arg)
{
    struct torigin *o = arg;
    struct oconn *conns = calloc(ORIGIN_CONNS, sizeof(*conns));
    size_t n = 0;
    for (;;) {
        struct pollfd p[ORIGIN_CONNS + 2];
        p[0] = (struct pollfd){.fd = o->stop[0], .events = POLLIN};
        p[1] = (struct pollfd){.fd = o->lfd, .events = POLLIN};
        for (size_t i = 0; i < n; i++)
            p[i + 2] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
        if (poll(p, n + 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents)
            break;
        for (size_t i = n; i-- > 0;) {
            if (!p[i + 2].revents)
                continue;
            struct oconn *c = &conns[i];
            ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
            if (r > 0)
                c->len += (size_t)r;
            if (r <= 0 || serve(o, c) < 0) {
                close(c->fd);
                conns[i] = conns[--n];
            }
        }
        if (p[1].revents & POLLIN) {
            int fd = accept(o->lfd, NULL, NULL);
            if (fd >= 0 && n < ORIGIN_CONNS)
                conns[n++] = (struct oconn){.fd = fd};
            else if (fd >= 0)
                close(fd);
        }
    }
    for (size_t i = 0; i < n; i++)
        close(conns[i].fd);
    free(conns);
    return NULL;
}

struct torigin *
torigin_start(void)
{
    struct torigin *o = calloc(1, sizeof(*o));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int one = 1;
    o->lfd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(o->lfd >= 0);
    setsockopt(o->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ASSERT_EQ(bind(o->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    ASSERT_EQ(listen(o->lfd, 64), 0);
    ASSERT_EQ(getsockname(o->lfd, (struct sockaddr *)&a, &alen), 0);
    o->port = ntohs(a.sin_port);
    ASSERT_EQ(pipe(o->stop), 0);
    ASSERT_EQ(pthread_create(&o->thread, NULL, origin_main, o), 0);
    return o;
}

int
torigin_port(const struct torigin *o)
{
    return o->port;
}

int
torigin_requests(const struct torigin *o)
{
    return atomic_load(&((struct torigin *)o)->requests);
}

void
torigin_stop(struct torigin *o)
{
    close(o->stop[1]);
    pthread_join(o->thread, NULL);
    close(o->stop[0]);
    close(o->lfd);
    free(o);
}

int
tnet_connect(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT(fd >= 0);
    ASSERT_EQ(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

void
tnet_send(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        ASSERT(w > 0);
        s += w;
        n -= (size_t)w;
    }
}

int
tnet_response(int fd, char *out, size_t outlen, int timeout_ms)
{
    size_t len = 0;
    for (;;) {
        out[len] = '\0';
        char *end = strstr(out, "\r\n\r\n");
        if (end) {
            const char *cl = strcasestr(out, "\r\ncontent-length:");
            size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
            size_t want = (size_t)(end - out) + 4 + body;
            if (len >= want) {
                int status = 0;
                sscanf(out, "HTTP/%*s %d", &status);
                return status;
            }
        }
        if (len + 1 >= outlen)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) <= 0)
            return -1;
        ssize_t r = recv(fd, out + len, outlen - len - 1, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
    }
}

int
tnet_quiet(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 0;
}
