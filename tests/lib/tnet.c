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

#include <openssl/evp.h>
#include <openssl/sha.h>

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
    int ws;      /* upgraded: frames are echoed */
};

/* The 101 answer to a WebSocket upgrade whose head is p[0..n). */
static int
upgrade(struct oconn *c, const char *p, size_t n)
{
    const char *k = memmem(p, n, "Sec-WebSocket-Key: ", 19);
    if (k == NULL)
        k = memmem(p, n, "sec-websocket-key: ", 19);
    if (k == NULL)
        return -1;
    k += 19;
    const char *eol = memchr(k, '\r', (size_t)(p + n - k));
    char in[128];
    unsigned char sha[SHA_DIGEST_LENGTH], accept[64];
    int len =
        snprintf(in, sizeof(in), "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)(eol - k), k);
    SHA1((const unsigned char *)in, (size_t)len, sha);
    EVP_EncodeBlock(accept, sha, sizeof(sha));
    char resp[256];
    len = snprintf(resp, sizeof(resp),
                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                   accept);
    c->ws = 1;
    return send(c->fd, resp, (size_t)len, MSG_NOSIGNAL) == len ? 0 : -1;
}

/* Echoes each whole client frame in c->buf back unmasked. */
static int
echo_frames(struct oconn *c)
{
    for (;;) {
        unsigned char *b = (unsigned char *)c->buf;
        if (c->len < 2)
            return 0;
        size_t plen = b[1] & 0x7f, hdr = 2;
        if (plen == 126) {
            if (c->len < 4)
                return 0;
            plen = (size_t)b[2] << 8 | b[3];
            hdr = 4;
        } else if (plen == 127) {
            return -1; /* tests send small frames */
        }
        int masked = b[1] & 0x80;
        size_t total = hdr + (masked ? 4 : 0) + plen;
        if (c->len < total)
            return c->len == sizeof(c->buf) ? -1 : 0;
        unsigned char *payload = b + hdr + (masked ? 4 : 0);
        for (size_t i = 0; masked && i < plen; i++)
            payload[i] ^= b[hdr + (i & 3)];
        unsigned char out[4 + sizeof(c->buf)];
        size_t o = 0;
        out[o++] = b[0];
        if (plen < 126) {
            out[o++] = (unsigned char)plen;
        } else {
            out[o++] = 126;
            out[o++] = (unsigned char)(plen >> 8);
            out[o++] = (unsigned char)plen;
        }
        memcpy(out + o, payload, plen);
        if (send(c->fd, out, o + plen, MSG_NOSIGNAL) != (ssize_t)(o + plen))
            return -1;
        if ((b[0] & 0x0f) == 8)
            return -1; /* close echoed: done */
        memmove(c->buf, c->buf + total, c->len - total);
        c->len -= total;
    }
}

/* Answers each complete request head in c->buf; returns -1 when c is done. */
static int
serve(struct torigin *o, struct oconn *c)
{
    for (;;) {
        if (c->ws)
            return echo_frames(c);
        size_t k = c->skip < c->len ? c->skip : c->len;
        memmove(c->buf, c->buf + k, c->len - k);
        c->len -= k;
        c->skip -= k;
        char *end;
        if (c->skip > 0 || (end = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL)
            break;
        size_t head = (size_t)(end - c->buf) + 4;
        if (memmem(c->buf, head, "Upgrade: websocket", 18) ||
            memmem(c->buf, head, "upgrade: websocket", 18)) {
            atomic_fetch_add(&o->requests, 1);
            int rc = upgrade(c, c->buf, head);
            memmove(c->buf, c->buf + head, c->len - head);
            c->len -= head;
            if (rc < 0)
                return -1;
            continue;
        }
        char resp[256];
        int n =
            snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", head);
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
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
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

void
tnet_ws_send(int fd, const char *text)
{
    size_t n = strlen(text), o = 0;
    unsigned char frame[8 + 4 + 1024];
    ASSERT(n < 1024);
    static const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    frame[o++] = 0x81;
    if (n < 126) {
        frame[o++] = (unsigned char)(0x80 | n);
    } else {
        frame[o++] = 0x80 | 126;
        frame[o++] = (unsigned char)(n >> 8);
        frame[o++] = (unsigned char)n;
    }
    memcpy(frame + o, mask, 4);
    o += 4;
    for (size_t i = 0; i < n; i++)
        frame[o++] = (unsigned char)text[i] ^ mask[i & 3];
    ASSERT_EQ(send(fd, frame, o, MSG_NOSIGNAL), (ssize_t)o);
}

static int
read_exact(int fd, unsigned char *p, size_t n, int timeout_ms)
{
    for (size_t got = 0; got < n;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, timeout_ms) <= 0)
            return -1;
        ssize_t r = recv(fd, p + got, n - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

int
tnet_ws_recv(int fd, char *out, size_t outlen, int timeout_ms)
{
    unsigned char h[4];
    if (read_exact(fd, h, 2, timeout_ms) < 0)
        return -1;
    size_t n = h[1] & 0x7f;
    if (n == 126) {
        if (read_exact(fd, h + 2, 2, timeout_ms) < 0)
            return -1;
        n = (size_t)h[2] << 8 | h[3];
    } else if (n == 127 || (h[1] & 0x80)) {
        return -1;
    }
    if (n + 1 > outlen || read_exact(fd, (unsigned char *)out, n, timeout_ms) < 0)
        return -1;
    out[n] = '\0';
    return (int)n;
}
