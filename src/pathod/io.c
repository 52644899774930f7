/*
 * Blocking I/O shared by pathod and pathoc. See io.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "pathod/io.h"
#include "util/xmalloc.h"

void
pathod_io_init(struct pathod_io *io, int fd, int stop_fd, int timeout_ms)
{
    memset(io, 0, sizeof(*io));
    io->fd = fd;
    io->stop_fd = stop_fd;
    io->timeout_ms = timeout_ms;
    buf_init(&io->in);
    /* Reads poll first, but OpenSSL's handshake reads on its own: the socket timeout
     * bounds those too. */
    if (fd >= 0 && timeout_ms > 0) {
        struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
}

void
pathod_io_close(struct pathod_io *io)
{
    if (io->ssl) {
        SSL_free(io->ssl);
        io->ssl = NULL;
    }
    if (io->fd >= 0) {
        close(io->fd);
        io->fd = -1;
    }
    buf_clear(&io->in);
}

/* Waits until fd is ready for events or the stop fd fires; 1 ready, 0 timeout, -1 stop. */
static int
wait_fd(struct pathod_io *io, short events, int ms)
{
    struct pollfd p[2] = {{io->fd, events, 0}, {io->stop_fd, POLLIN, 0}};
    int n = io->stop_fd >= 0 ? 2 : 1;
    for (;;) {
        int r = poll(p, n, ms > 0 ? ms : -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        if (n == 2 && p[1].revents)
            return -1;
        return 1;
    }
}

ssize_t
pathod_io_fill(struct pathod_io *io)
{
    uint8_t tmp[16384];
    io->timed_out = 0;
    if (io->fd < 0)
        return MP_ERR_IO;
    for (;;) {
        /* TLS may hold decrypted bytes already; only wait when it does not. */
        if (!(io->ssl && SSL_pending(io->ssl) > 0)) {
            int w = wait_fd(io, POLLIN, io->timeout_ms);
            if (w == 0) {
                io->timed_out = 1;
                return MP_ERR_IO;
            }
            if (w < 0)
                return MP_ERR_IO;
        }
        ssize_t n;
        if (io->ssl) {
            int r = SSL_read(io->ssl, tmp, sizeof(tmp));
            if (r <= 0) {
                int se = SSL_get_error(io->ssl, r);
                if (se == SSL_ERROR_WANT_READ || se == SSL_ERROR_WANT_WRITE)
                    continue;
                ERR_clear_error();
                return se == SSL_ERROR_ZERO_RETURN ? 0 : MP_ERR_IO;
            }
            n = r;
        } else {
            n = read(io->fd, tmp, sizeof(tmp));
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n < 0)
                return errno == ECONNRESET ? 0 : MP_ERR_IO;
            if (n == 0)
                return 0;
        }
        buf_append(&io->in, tmp, (size_t)n);
        if (io->rlog && io->rlog->len < PATHOD_DUMP_MAX)
            buf_append(io->rlog, tmp, (size_t)n);
        return n;
    }
}

int
pathod_io_write(struct pathod_io *io, const void *p, size_t n)
{
    const uint8_t *s = p;
    if (io->fd < 0)
        return MP_ERR_IO;
    if (io->wlog && io->wlog->len < PATHOD_DUMP_MAX)
        buf_append(io->wlog, p, n < PATHOD_DUMP_MAX ? n : PATHOD_DUMP_MAX);
    while (n > 0) {
        ssize_t w;
        if (io->ssl) {
            int r = SSL_write(io->ssl, s, n > INT32_MAX ? INT32_MAX : (int)n);
            if (r <= 0) {
                ERR_clear_error();
                return MP_ERR_IO;
            }
            w = r;
        } else {
            w = send(io->fd, s, n, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return MP_ERR_IO;
        }
        s += w;
        n -= (size_t)w;
        io->written += (uint64_t)w;
    }
    return 0;
}

int
pathod_io_pause(struct pathod_io *io, int ms)
{
    struct pollfd p = {io->stop_fd, POLLIN, 0};
    if (io->stop_fd < 0) {
        if (ms < 0)
            for (;;)
                pause();
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        return 0;
    }
    for (;;) {
        int r = poll(&p, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        return r > 0 ? -1 : 0;
    }
}

static int
tls_fail(struct err *e, const char *what)
{
    char detail[200] = "";
    unsigned long code = ERR_get_error();
    if (code)
        ERR_error_string_n(code, detail, sizeof(detail));
    ERR_clear_error();
    return err_set(e, MP_ERR_IO, "%s failed%s%s", what, *detail ? ": " : "", detail);
}

/* Runs a handshake step on a non-blocking-free socket: retries on WANT_*. */
static int
handshake(struct pathod_io *io, int accept, struct err *e)
{
    for (;;) {
        int r = accept ? SSL_accept(io->ssl) : SSL_connect(io->ssl);
        if (r == 1)
            return 0;
        int se = SSL_get_error(io->ssl, r);
        if (se == SSL_ERROR_WANT_READ || se == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(io, se == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, io->timeout_ms) <= 0)
                return err_set(e, MP_ERR_IO, "TLS handshake timed out");
            continue;
        }
        return tls_fail(e, "TLS handshake");
    }
}

int
pathod_io_tls_accept(struct pathod_io *io, void *ctx, char **sni, struct err *e)
{
    io->ssl = SSL_new(ctx);
    SSL_set_fd(io->ssl, io->fd);
    int r = handshake(io, 1, e);
    if (r == 0 && sni) {
        const char *name = SSL_get_servername(io->ssl, TLSEXT_NAMETYPE_host_name);
        *sni = name ? xstrdup(name) : NULL;
    }
    return r;
}

int
pathod_io_tls_connect(struct pathod_io *io, void *ctx, const char *sni, struct err *e)
{
    io->ssl = SSL_new(ctx);
    SSL_set_fd(io->ssl, io->fd);
    if (sni && *sni)
        SSL_set_tlsext_host_name(io->ssl, sni);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_set_alpn_protos(io->ssl, alpn, sizeof(alpn) - 1);
    return handshake(io, 0, e);
}

char *
pathod_io_cipher(const struct pathod_io *io)
{
    if (!io->ssl)
        return NULL;
    const SSL_CIPHER *c = SSL_get_current_cipher(io->ssl);
    if (!c)
        return NULL;
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s %s %d", SSL_CIPHER_get_name(c), SSL_get_version(io->ssl),
               SSL_CIPHER_get_bits(c, NULL));
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

void
pathod_timestamp(struct buf *out)
{
    time_t now = time(NULL);
    struct tm tm;
    char s[32];
    localtime_r(&now, &tm);
    /* pathod's day-month-two-digit-year format, built by hand to keep -Wformat-y2k quiet. */
    snprintf(s, sizeof(s), "%02d-%02d-%02d %02d:%02d:%02d: ", tm.tm_mday, tm.tm_mon + 1,
             tm.tm_year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
    buf_append_str(out, s);
}

void
pathod_dump(struct buf *out, const uint8_t *p, size_t n, int hexdump)
{
    if (hexdump) {
        for (size_t off = 0; off < n; off += 16) {
            size_t k = n - off < 16 ? n - off : 16;
            buf_printf(out, "\t%010zx ", off);
            for (size_t i = 0; i < 16; i++) {
                if (i < k)
                    buf_printf(out, "%02x%s", p[off + i], i + 1 < 16 ? " " : "");
                else
                    buf_append_str(out, i + 1 < 16 ? "   " : "  ");
            }
            buf_append_str(out, " ");
            for (size_t i = 0; i < k; i++) {
                uint8_t c = p[off + i];
                buf_append(out, c >= 0x20 && c < 0x7f ? (const char *)&c : ".", 1);
            }
            buf_append_str(out, "\n");
        }
        return;
    }
    /* Text: one tab-indented line per line of the data, control bytes escaped. */
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == '\n') {
            if (i == n && start == n && n > 0)
                break;
            buf_append_str(out, "\t");
            size_t end = i;
            if (end > start && p[end - 1] == '\r')
                end--;
            for (size_t j = start; j < end; j++) {
                uint8_t c = p[j];
                if (c >= 0x20 && c < 0x7f)
                    buf_append(out, &c, 1);
                else if (c == '\t')
                    buf_append_str(out, "\\t");
                else
                    buf_append_str(out, ".");
            }
            buf_append_str(out, "\n");
            start = i + 1;
        }
    }
}

