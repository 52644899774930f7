/*
 * pathoc: plays request and frame specs over blocking connections.
 *
 * Every spec is parsed once up front, so a typo fails before anything is
 * sent; each connection then parses its copy again and resolves it, so
 * that random parts are chosen afresh on every repetition (-n).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http/http1.h"
#include "http/message.h"
#include "http/url.h"
#include "pathod/client.h"
#include "pathod/lang.h"
#include "pathod/server.h"
#include "util/xmalloc.h"

#define CHUNK 65536

struct client {
    const struct pathoc_config *cfg;
    FILE *out;
    struct pathod_io io;
    SSL_CTX *tls;
    uint8_t *chunk;
    struct buf rlog, wlog;
    int ws;   /* the server answered a ws request with 101: frames follow */
    int done; /* -o: stop everything */
};

int
pathoc_split_hostport(const char *s, char **host, int *port)
{
    /* "[::1]:8080", or a bare IPv6 literal without a port. */
    struct slice h;
    int p;
    *host = NULL;
    if (http_hostport_parse(s, strlen(s), HTTP_HOSTPORT_BARE_IPV6, &h, &p, NULL) < 0 || p == 0)
        return MP_ERR_INVAL;
    *host = slice_strdup(h);
    if (p > 0)
        *port = p;
    return 0;
}

static int
is_ip(const char *h)
{
    struct in6_addr a;
    return inet_pton(AF_INET, h, &a) == 1 || inet_pton(AF_INET6, h, &a) == 1;
}

static int
tcp_connect(const char *host, int port, struct err *e)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    int r = getaddrinfo(host, ps, &hints, &ai);
    if (r != 0)
        return err_set(e, MP_ERR_IO, "Address resolution failed: %s: %s", host, gai_strerror(r));
    int fd = -1, saved = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return err_set(e, MP_ERR_IO, "Error connecting to \"%s\": %s", host, strerror(saved));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Writes lines (timestamped like pathoc's log) unless they are empty. */
static void
emit(struct client *c, const struct buf *lines)
{
    if (!lines->len)
        return;
    struct buf b = BUF_INIT;
    pathod_timestamp(&b);
    buf_append(&b, buf_ptr(lines), lines->len);
    if (buf_ptr(&b)[b.len - 1] != '\n')
        buf_append_str(&b, "\n");
    fwrite(buf_ptr(&b), 1, b.len, c->out);
    fflush(c->out);
    buf_clear(&b);
}

static void
dump_io(struct client *c, struct buf *lines)
{
    if (c->wlog.len) {
        buf_append_str(lines, "Bytes written:\n");
        pathod_dump(lines, buf_ptr(&c->wlog), c->wlog.len, c->cfg->hexdump);
    }
    if (c->rlog.len) {
        buf_append_str(lines, "Bytes read:\n");
        pathod_dump(lines, buf_ptr(&c->rlog), c->rlog.len, c->cfg->hexdump);
    }
    buf_reset(&c->wlog);
    buf_reset(&c->rlog);
}

/*
 * Reads one response head and its body (counted, not kept). Returns the
 * status code with *body_len and *reason set, or a negative error with the
 * text in e (timed out: io.timed_out).
 */
static int
read_response(struct client *c, const char *method, struct buf *reason, uint64_t *body_len,
              struct err *e)
{
    struct http1_limits lim;
    http1_limits_default(&lim);
    struct http_response *resp = NULL;
    ssize_t n;
    for (;;) {
        n = http1_parse_response_head(buf_ptr(&c->io.in), c->io.in.len, &lim, &resp, e);
        if (n != MP_ERR_INCOMPLETE)
            break;
        ssize_t r = pathod_io_fill(&c->io);
        if (r <= 0) {
            if (c->io.timed_out)
                return err_set(e, MP_ERR_IO, "Timeout");
            return err_set(e, MP_ERR_PROTOCOL, "Server disconnected");
        }
    }
    if (n < 0)
        return (int)n;
    buf_consume(&c->io.in, (size_t)n);
    int code = resp->status_code;
    buf_append_str(reason, resp->reason);
    struct http1_body body;
    if (http1_response_body(method, resp, &body, e) < 0) {
        http_response_free(resp);
        return MP_ERR_PROTOCOL;
    }
    http_response_free(resp);
    *body_len = 0;
    if (body.kind == HTTP1_BODY_NONE)
        return code;
    struct http1_body_reader br;
    struct buf sink = BUF_INIT;
    int ret = code;
    http1_body_reader_init(&br, &body, &lim);
    while (!br.done) {
        ssize_t t = http1_body_read(&br, buf_ptr(&c->io.in), c->io.in.len, &sink, e);
        if (t < 0) {
            ret = (int)t;
            break;
        }
        buf_consume(&c->io.in, (size_t)t);
        buf_reset(&sink);
        if (br.done)
            break;
        ssize_t r = pathod_io_fill(&c->io);
        if (r == 0) {
            if (http1_body_eof(&br, e) < 0)
                ret = MP_ERR_PROTOCOL;
            break;
        }
        if (r < 0) {
            ret = err_set(e, MP_ERR_IO, c->io.timed_out ? "Timeout" : "read error");
            break;
        }
    }
    *body_len = br.received;
    http1_body_reader_clear(&br);
    buf_clear(&sink);
    return ret;
}

/*
 * Writes a rendered message honouring its actions. Returns 0 when complete,
 * 1 when the spec disconnects, MP_ERR_IO when the peer went away.
 */
static int
write_render(struct client *c, struct pathod_render *r)
{
    for (;;) {
        struct pathod_action act = {0};
        ssize_t n = pathod_render_next(r, c->chunk, CHUNK, &act);
        if (n < 0)
            return MP_ERR_IO;
        if (n > 0 && pathod_io_write(&c->io, c->chunk, (size_t)n) < 0)
            return MP_ERR_IO;
        if (act.kind == PATHOD_ACT_PAUSE)
            pathod_io_pause(&c->io, act.seconds < 0 ? -1 : (int)(act.seconds * 1000));
        else if (act.kind == PATHOD_ACT_DISCONNECT)
            return 1;
        else if (act.kind == PATHOD_ACT_DONE)
            return 0;
    }
}

static int
ignored(const struct pathoc_config *cfg, int code)
{
    for (size_t i = 0; i < cfg->nignore; i++)
        if (cfg->ignorecodes[i] == code)
            return 1;
    return 0;
}

static const char *
opcode_name(int op)
{
    static const char *names[16] = {"continue", "text", "binary", NULL,   NULL,  NULL,
                                    NULL,       NULL,   "close",  "ping", "pong"};
    return names[op & 15] ? names[op & 15] : "reserved";
}

/*
 * Prints the WebSocket frames that have arrived. wait_ms < 0: until the
 * server closes or the timeout (-t) passes without a frame; 0: only what is
 * already buffered or readable right now.
 */
static void
read_frames(struct client *c, int wait_ms)
{
    int saved = c->io.timeout_ms;
    c->io.timeout_ms = wait_ms < 0 ? saved : 1;
    for (;;) {
        const uint8_t *p = buf_ptr(&c->io.in);
        size_t n = c->io.in.len;
        size_t h = 2;
        uint64_t len = 0;
        int complete = 0;
        if (n >= 2) {
            len = p[1] & 0x7f;
            if (len == 126 && n >= 4) {
                len = ((uint64_t)p[2] << 8) | p[3];
                h = 4;
            } else if (len == 127 && n >= 10) {
                len = 0;
                for (int i = 0; i < 8; i++)
                    len = (len << 8) | p[2 + i];
                h = 10;
            }
            if ((p[1] & 0x7f) < 126 || h > 2) {
                if (p[1] & 0x80)
                    h += 4;
                complete = len <= (64u << 20) && n >= h + len;
            }
        }
        if (!complete) {
            if (len > (64u << 20) || pathod_io_fill(&c->io) <= 0)
                break;
            continue;
        }
        struct buf lines = BUF_INIT;
        struct buf payload = BUF_INIT;
        buf_append(&payload, p + h, (size_t)len);
        if (p[1] & 0x80)
            for (size_t i = 0; i < len; i++)
                buf_ptr(&payload)[i] ^= p[h - 4 + i % 4];
        buf_printf(&lines, "<< frame: fin=%d opcode=%s length=%" PRIu64 " payload='", p[0] >> 7,
                   opcode_name(p[0] & 15), len);
        pathod_escape(&lines, buf_ptr(&payload), payload.len < 200 ? payload.len : 200);
        buf_append_str(&lines, "'\n");
        int close_frame = (p[0] & 15) == 8;
        buf_consume(&c->io.in, h + (size_t)len);
        emit(c, &lines);
        buf_clear(&lines);
        buf_clear(&payload);
        if (close_frame)
            break;
    }
    c->io.timeout_ms = saved;
}

/* Sends one request and reads its response. Returns 0 to go on, 1 to drop the connection. */
static int
play_request(struct client *c, struct pathod_request *req)
{
    const struct pathoc_config *cfg = c->cfg;
    struct buf lines = BUF_INIT, method = BUF_INIT, reason = BUF_INIT;
    struct err e = {0};
    struct pathod_settings st = {
        .staticdir = ".", .host = cfg->connect_to ? NULL : cfg->host, .is_client = 1};
    char *chost = NULL;
    int cport = 0;
    if (cfg->connect_to && pathoc_split_hostport(cfg->connect_to, &chost, &cport) == 0)
        st.host = chost;
    int ret = 0;

    if (!cfg->explain) {
        buf_append_str(&lines, ">> ");
        pathod_request_spec(req, &lines);
        buf_append_str(&lines, "\n");
    }
    if (pathod_request_resolve(req, &st, &e) < 0) {
        buf_printf(&lines, "Error resolving spec: %s\n", e.msg);
        emit(c, &lines);
        ret = 1;
        goto out;
    }
    if (cfg->explain) {
        buf_append_str(&lines, ">> ");
        pathod_request_spec(req, &lines);
        buf_append_str(&lines, "\n");
    }
    pathod_request_method(req, &method, 64);
    char *m = buf_strdup(&method);
    uint64_t times = pathod_request_times(req);
    for (uint64_t i = 0; i < times && !ret; i++) {
        struct pathod_render *r = pathod_request_render(req);
        int w = write_render(c, r);
        pathod_render_free(r);
        if (w != 0) {
            /* The spec hung up, or the server did: there is no response to wait for. */
            if (cfg->showreq)
                dump_io(c, &lines);
            emit(c, &lines);
            ret = 1;
            break;
        }
        uint64_t blen = 0;
        buf_reset(&reason);
        int code = read_response(c, m, &reason, &blen, &e);
        if (cfg->showreq || cfg->showresp)
            dump_io(c, &lines);
        if (code < 0) {
            if (c->io.timed_out || strcmp(e.msg, "Timeout") == 0) {
                if (cfg->ignoretimeout)
                    buf_append_str(&lines, "Timeout (ignored)\n");
                else
                    buf_append_str(&lines, "Timeout\n");
            } else {
                buf_printf(&lines, "Invalid server response: %s\n", e.msg);
            }
            emit(c, &lines);
            ret = 1;
            break;
        }
        buf_printf(&lines, "<< %d ", code);
        pathod_escape(&lines, buf_ptr(&reason), reason.len);
        buf_printf(&lines, ": %" PRIu64 " bytes\n", blen);
        if (!ignored(cfg, code)) {
            emit(c, &lines);
            if (cfg->oneshot)
                c->done = 1;
        }
        buf_reset(&lines);
        if (pathod_request_is_ws(req) && code == 101) {
            c->ws = 1;
            break;
        }
    }
    free(m);
out:
    free(chost);
    buf_clear(&lines);
    buf_clear(&method);
    buf_clear(&reason);
    return ret;
}

static int
play_frame(struct client *c, struct pathod_frame *f)
{
    struct buf lines = BUF_INIT;
    struct err e = {0};
    struct pathod_settings st = {.staticdir = ".", .is_client = 1};
    int ret = 0;
    if (!c->cfg->explain) {
        buf_append_str(&lines, ">> ");
        pathod_frame_spec(f, &lines);
        buf_append_str(&lines, "\n");
    }
    if (pathod_frame_resolve(f, &st, &e) < 0) {
        buf_printf(&lines, "Error resolving spec: %s\n", e.msg);
        emit(c, &lines);
        buf_clear(&lines);
        return 1;
    }
    if (c->cfg->explain) {
        buf_append_str(&lines, ">> ");
        pathod_frame_spec(f, &lines);
        buf_append_str(&lines, "\n");
    }
    for (uint64_t i = 0; i < pathod_frame_times(f) && !ret; i++) {
        struct pathod_render *r = pathod_frame_render(f);
        ret = write_render(c, r) != 0;
        pathod_render_free(r);
    }
    if (c->cfg->showreq)
        dump_io(c, &lines);
    emit(c, &lines);
    buf_clear(&lines);
    if (!ret)
        read_frames(c, 0);
    return ret;
}

static void
show_ssl(struct client *c)
{
    struct buf lines = BUF_INIT;
    SSL *ssl = c->io.ssl;
    const unsigned char *alpn = NULL;
    unsigned alen = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alen);
    buf_printf(&lines, "Application Layer Protocol: %.*s\n", (int)alen,
               alen ? (const char *)alpn : "");
    const SSL_CIPHER *ci = SSL_get_current_cipher(ssl);
    buf_printf(&lines, "Cipher: %s, %d bit, %s\n", SSL_CIPHER_get_name(ci),
               SSL_CIPHER_get_bits(ci, NULL), SSL_get_version(ssl));
    buf_append_str(&lines, "SSL certificate chain:\n");
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    for (int i = 0; chain && i < sk_X509_num(chain); i++) {
        X509 *x = sk_X509_value(chain, i);
        char subj[256], iss[256];
        X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
        X509_NAME_oneline(X509_get_issuer_name(x), iss, sizeof(iss));
        buf_printf(&lines, "  Certificate [%d]\n\tSubject: %s\n\tIssuer: %s\n", i, subj, iss);
    }
    emit(c, &lines);
    buf_clear(&lines);
}

/* Connects (and CONNECTs, and shakes hands). 0 or MP_ERR_IO with e set. */
static int
open_conn(struct client *c, struct err *e)
{
    const struct pathoc_config *cfg = c->cfg;
    int port = cfg->port ? cfg->port : cfg->ssl ? 443 : 80;
    int fd = tcp_connect(cfg->host, port, e);
    if (fd < 0)
        return MP_ERR_IO;
    pathod_io_init(&c->io, fd, -1, cfg->timeout * 1000);
    if (cfg->showreq)
        c->io.wlog = &c->wlog;
    if (cfg->showresp)
        c->io.rlog = &c->rlog;
    char *chost = NULL;
    int cport = 0;
    if (cfg->connect_to) {
        if (pathoc_split_hostport(cfg->connect_to, &chost, &cport) < 0 || cport == 0)
            return err_set(e, MP_ERR_INVAL, "Invalid CONNECT specification: %s", cfg->connect_to);
        struct buf b = BUF_INIT, reason = BUF_INIT;
        buf_printf(&b, "CONNECT %s:%d HTTP/1.1\r\n\r\n", chost, cport);
        int w = pathod_io_write(&c->io, buf_ptr(&b), b.len);
        buf_clear(&b);
        uint64_t blen = 0;
        struct err re = {0};
        int code = w < 0 ? MP_ERR_IO : read_response(c, "CONNECT", &reason, &blen, &re);
        buf_clear(&reason);
        buf_reset(&c->wlog);
        buf_reset(&c->rlog);
        if (code != 200) {
            free(chost);
            if (code < 0)
                return err_set(e, MP_ERR_IO, "Proxy CONNECT failed: %s", re.msg);
            return err_set(e, MP_ERR_IO, "Proxy CONNECT failed: Unexpected status code: %d", code);
        }
    }
    if (cfg->ssl) {
        if (!c->tls) {
            c->tls = SSL_CTX_new(TLS_client_method());
            SSL_CTX_set_verify(c->tls, SSL_VERIFY_NONE, NULL);
            if (cfg->ciphers && !SSL_CTX_set_cipher_list(c->tls, cfg->ciphers)) {
                free(chost);
                return err_set(e, MP_ERR_INVAL, "invalid cipher list: %s", cfg->ciphers);
            }
            if (cfg->clientcert &&
                (SSL_CTX_use_certificate_chain_file(c->tls, cfg->clientcert) != 1 ||
                 SSL_CTX_use_PrivateKey_file(c->tls, cfg->clientcert, SSL_FILETYPE_PEM) != 1)) {
                ERR_clear_error();
                free(chost);
                return err_set(e, MP_ERR_INVAL, "%s: not a PEM file with key and certificate",
                               cfg->clientcert);
            }
        }
        const char *sni = cfg->sni ? cfg->sni : chost ? chost : cfg->host;
        if (!cfg->sni && is_ip(sni))
            sni = NULL;
        if (pathod_io_tls_connect(&c->io, c->tls, sni, e) < 0) {
            free(chost);
            return MP_ERR_IO;
        }
        if (cfg->showssl)
            show_ssl(c);
    }
    free(chost);
    return 0;
}

static int
play_connection(struct client *c, const char *const *specs, size_t nspecs, struct err *e)
{
    c->ws = 0;
    int r = open_conn(c, e);
    if (r < 0) {
        pathod_io_close(&c->io);
        return r;
    }
    size_t first = 0, last = nspecs;
    if (c->cfg->random && nspecs > 1) {
        first = (size_t)rand() % nspecs;
        last = first + 1;
    }
    int stop = 0;
    for (size_t i = first; i < last && !stop && !c->done; i++) {
        struct pathod_list list = {0};
        if (pathod_pathoc_parse(specs[i], &list, e) < 0)
            return MP_ERR_SYNTAX; /* cannot happen: pathoc_run parsed it already */
        for (size_t k = 0; k < list.n && !stop && !c->done; k++) {
            struct pathod_item *it = &list.items[k];
            if (it->kind == PATHOD_REQUEST)
                stop = play_request(c, it->req);
            else if (it->kind == PATHOD_FRAME)
                stop = play_frame(c, it->frame);
        }
        pathod_list_free(&list);
    }
    if (c->ws && !stop)
        read_frames(c, -1);
    if (c->io.ssl)
        SSL_shutdown(c->io.ssl);
    ERR_clear_error();
    pathod_io_close(&c->io);
    return 0;
}

int
pathoc_run(const struct pathoc_config *cfg, const char *const *specs, size_t nspecs, struct err *e)
{
    for (size_t i = 0; i < nspecs; i++) {
        struct pathod_list list = {0};
        struct err pe = {0};
        if (pathod_pathoc_parse(specs[i], &list, &pe) < 0)
            return err_set(e, MP_ERR_SYNTAX, "Error parsing request spec: %s", pe.msg);
        for (size_t k = 0; k < list.n; k++) {
            if (list.items[k].kind == PATHOD_RESPONSE) {
                pathod_list_free(&list);
                return err_set(e, MP_ERR_SYNTAX,
                               "Error parsing request spec: %s is a response spec", specs[i]);
            }
        }
        pathod_list_free(&list);
    }
    struct client c = {.cfg = cfg, .out = cfg->out ? cfg->out : stdout};
    c.chunk = xmalloc(CHUNK);
    int ret = 0;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (long n = 0; cfg->repeat < 0 || n < (cfg->repeat ? cfg->repeat : 1); n++) {
        if (n > 0 && cfg->wait > 0) {
            struct timespec ts = {(time_t)cfg->wait,
                                  (long)((cfg->wait - (double)(time_t)cfg->wait) * 1e9)};
            nanosleep(&ts, NULL);
        }
        struct err ce = {0};
        int r = play_connection(&c, specs, nspecs, &ce);
        if (r < 0) {
            /* Report each failed connection as it happens, like pathoc; the last one
             * also goes back to the caller. */
            fprintf(cfg->errout ? cfg->errout : stderr, "%s\n", ce.msg);
            if (e)
                *e = ce;
            ret = r;
            if (r != MP_ERR_IO)
                break;
        }
        if (c.done)
            break;
    }
    SSL_CTX_free(c.tls);
    free(c.chunk);
    buf_clear(&c.rlog);
    buf_clear(&c.wlog);
    return ret;
}
