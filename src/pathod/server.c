/*
 * The pathod server: blocking sockets, one thread per connection.
 *
 * A connection reads one request head at a time with the HTTP/1 codec,
 * discards the request body, picks a response spec (WebSocket handshake,
 * anchors, the craft anchor, the /api/ endpoints), resolves it and writes it
 * with the language module's lazy renderer, honouring the pause and
 * disconnect points the spec sets. Answers of pathod's own (unknown path,
 * bad spec, policy refusals) use the non-standard status 800, so that a
 * client can tell them from crafted responses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "http/http1.h"
#include "http/message.h"
#include "http/url.h"
#include "pathod/lang.h"
#include "pathod/server.h"
#include "tls/ca.h"
#include "util/json.h"
#include "util/pyre.h"
#include "util/version.h"
#include "util/xmalloc.h"

/* ---------------------------------------------------------------------------------------------
 * The server.
 */

struct anchor {
    pcre2_code *re;
    char *spec;
};

struct conn {
    struct pathod_server *srv;
    pthread_t thread;
    int fd;   /* closed by whoever joins the thread, so stop can shut it down safely */
    int done; /* the thread has finished (under srv->lock) */
    char peer[80];
    struct conn *next;
};

struct pathod_server {
    struct pathod_config cfg; /* strings below are our copies */
    char **sans;
    struct anchor *anchors;
    size_t nanchors;
    int lfd;
    int port;
    int stop_pipe[2]; /* readable once stopping: wakes accept, reads and pauses */
    pthread_t accept_thread;

    pthread_mutex_t lock;         /* log, conns, tls */
    struct pathod_log_entry *log; /* newest last; at most PATHOD_LOG_MAX */
    size_t nlog;
    unsigned next_id;
    struct conn *conns;
    SSL_CTX *tls;
    struct ca *ca;
    struct err tls_err; /* why tls is NULL after a failed attempt */
    int tls_failed;

    pthread_mutex_t outlock; /* lines of cfg.logfp stay whole */
};

static char *
dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void
entry_clear(struct pathod_log_entry *l)
{
    free(l->type);
    free(l->msg);
    free(l->method);
    free(l->path);
    free(l->http_version);
    hdrs_clear(&l->headers);
    free(l->sni);
    free(l->cipher);
    free(l->remote_address);
    free(l->spec);
    buf_clear(&l->payload);
    memset(l, 0, sizeof(*l));
}

static void
entry_copy(struct pathod_log_entry *dst, const struct pathod_log_entry *src)
{
    *dst = *src;
    dst->type = dup_or_null(src->type);
    dst->msg = dup_or_null(src->msg);
    dst->method = dup_or_null(src->method);
    dst->path = dup_or_null(src->path);
    dst->http_version = dup_or_null(src->http_version);
    hdrs_init(&dst->headers);
    hdrs_copy(&dst->headers, &src->headers);
    dst->sni = dup_or_null(src->sni);
    dst->cipher = dup_or_null(src->cipher);
    dst->remote_address = dup_or_null(src->remote_address);
    dst->spec = dup_or_null(src->spec);
    buf_init(&dst->payload);
    buf_append(&dst->payload, buf_ptr(&src->payload), src->payload.len);
}

/* Takes ownership of *l's contents. */
static void
add_log(struct pathod_server *s, struct pathod_log_entry *l)
{
    pthread_mutex_lock(&s->lock);
    if (s->nlog == PATHOD_LOG_MAX) {
        entry_clear(&s->log[0]);
        memmove(s->log, s->log + 1, (s->nlog - 1) * sizeof(*s->log));
        s->nlog--;
    }
    if (!s->log)
        s->log = xcalloc(PATHOD_LOG_MAX, sizeof(*s->log));
    l->id = s->next_id++;
    s->log[s->nlog++] = *l;
    memset(l, 0, sizeof(*l));
    pthread_mutex_unlock(&s->lock);
}

static void
add_error(struct pathod_server *s, const char *type, const char *msg)
{
    struct pathod_log_entry l = {0};
    l.type = xstrdup(type);
    l.msg = dup_or_null(msg);
    add_log(s, &l);
}

size_t
pathod_server_log(struct pathod_server *s, struct pathod_log_entry **out)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->nlog;
    *out = xcalloc(n ? n : 1, sizeof(**out));
    for (size_t i = 0; i < n; i++)
        entry_copy(&(*out)[i], &s->log[n - 1 - i]);
    pthread_mutex_unlock(&s->lock);
    return n;
}

void
pathod_log_free(struct pathod_log_entry *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        entry_clear(&l[i]);
    free(l);
}

void
pathod_server_log_clear(struct pathod_server *s)
{
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nlog; i++)
        entry_clear(&s->log[i]);
    s->nlog = 0;
    pthread_mutex_unlock(&s->lock);
}

/* Log text is bytes from the wire: each one a character (\u00XX from 0x7f
 * on), as pathod's Python showed them; NULL is null. */
static void
text(struct json *w, const char *key, const char *s, size_t n)
{
    json_key(w, key);
    json_bytes(w, s, n, JSON_LATIN1);
}

static void
ctext(struct json *w, const char *key, const char *s)
{
    text(w, key, s, s ? strlen(s) : 0);
}

static void
entry_json(struct json *w, const struct pathod_log_entry *l)
{
    json_object_begin(w);
    json_key(w, "id");
    json_uint(w, l->id);
    ctext(w, "type", l->type);
    if (l->msg)
        ctext(w, "msg", l->msg);
    if (l->method) {
        json_key(w, "protocol");
        json_string(w, "http");
        json_key(w, "request");
        json_object_begin(w);
        ctext(w, "path", l->path);
        ctext(w, "method", l->method);
        json_key(w, "headers");
        json_array_begin(w);
        for (size_t i = 0; i < l->headers.n; i++) {
            const struct hdr *h = &l->headers.v[i];
            json_array_begin(w);
            json_bytes(w, h->name, h->name_len, JSON_LATIN1);
            json_bytes(w, h->value, h->value_len, JSON_LATIN1);
            json_array_end(w);
        }
        json_array_end(w);
        ctext(w, "http_version", l->http_version);
        ctext(w, "sni", l->sni);
        ctext(w, "remote_address", l->remote_address);
        json_key(w, "clientcert");
        json_null(w);
        json_object_end(w);
        json_key(w, "response");
        json_object_begin(w);
        json_key(w, "code");
        json_int(w, l->code);
        ctext(w, "spec", l->spec);
        json_key(w, "length");
        json_uint(w, l->bytes);
        json_key(w, "disconnect");
        json_bool(w, l->disconnect);
        json_key(w, "error");
        json_bool(w, l->error_response);
        json_object_end(w);
    }
    if (strcmp(l->type, "inbound") == 0) {
        json_key(w, "protocol");
        json_string(w, "websockets");
        json_key(w, "frame");
        json_object_begin(w);
        json_key(w, "opcode");
        json_int(w, l->opcode);
        text(w, "payload", (const char *)buf_ptr(&l->payload), l->payload.len);
        json_object_end(w);
    }
    if (l->method || strcmp(l->type, "inbound") == 0)
        ctext(w, "cipher", l->cipher);
    json_object_end(w);
}

void
pathod_server_log_json(struct pathod_server *s, struct buf *out)
{
    struct json w;
    json_init(&w, out, 0);
    pthread_mutex_lock(&s->lock);
    json_object_begin(&w);
    json_key(&w, "log");
    json_array_begin(&w);
    for (size_t i = 0; i < s->nlog; i++)
        entry_json(&w, &s->log[s->nlog - 1 - i]);
    json_array_end(&w);
    json_object_end(&w);
    pthread_mutex_unlock(&s->lock);
    json_clear(&w);
}

int
pathod_server_port(const struct pathod_server *s)
{
    return s->port;
}

/* One entry of the text log: timestamp, then the lines as given. */
static void
out_lines(struct pathod_server *s, const struct buf *lines)
{
    if (!s->cfg.logfp || lines->len == 0)
        return;
    struct buf b = BUF_INIT;
    pathod_timestamp(&b);
    buf_append(&b, buf_ptr(lines), lines->len);
    if (b.len && buf_ptr(&b)[b.len - 1] != '\n')
        buf_append_str(&b, "\n");
    pthread_mutex_lock(&s->outlock);
    fwrite(buf_ptr(&b), 1, b.len, s->cfg.logfp);
    fflush(s->cfg.logfp);
    pthread_mutex_unlock(&s->outlock);
    buf_clear(&b);
}

/* The TLS context, made on first use: loading a cert file or generating a leaf from the CA
 * costs time and may create ~/.mitmproxy, which a plain-HTTP pathod never needs. */
static SSL_CTX *
get_tls(struct pathod_server *s, struct err *e)
{
    pthread_mutex_lock(&s->lock);
    if (s->tls || s->tls_failed) {
        SSL_CTX *ctx = s->tls;
        if (!ctx && e)
            *e = s->tls_err;
        pthread_mutex_unlock(&s->lock);
        return ctx;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    int ok = ctx != NULL;
    if (ok && s->cfg.ciphers && !SSL_CTX_set_cipher_list(ctx, s->cfg.ciphers)) {
        err_set(&s->tls_err, MP_ERR_INVAL, "invalid cipher list: %s", s->cfg.ciphers);
        ok = 0;
    }
    if (ok && s->cfg.cert) {
        if (SSL_CTX_use_certificate_chain_file(ctx, s->cfg.cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, s->cfg.cert, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            err_set(&s->tls_err, MP_ERR_INVAL, "%s: not a PEM file with key and certificate",
                    s->cfg.cert);
            ok = 0;
        }
        ERR_clear_error();
    } else if (ok) {
        s->ca =
            ca_load_or_create(s->cfg.confdir ? s->cfg.confdir : "~/.mitmproxy", 2048, &s->tls_err);
        const char *cn = s->cfg.cn ? s->cfg.cn : PATHOD_DEFAULT_CN;
        const char **sans = xcalloc(s->cfg.nsans + 1, sizeof(*sans));
        sans[0] = cn;
        for (size_t i = 0; i < s->cfg.nsans; i++)
            sans[i + 1] = s->cfg.sans[i];
        struct ca_leaf leaf;
        if (!s->ca || ca_leaf_get(s->ca, cn, sans, s->cfg.nsans + 1, &leaf, &s->tls_err) < 0) {
            ok = 0;
        } else if (SSL_CTX_use_certificate(ctx, leaf.cert) != 1 ||
                   SSL_CTX_use_PrivateKey(ctx, leaf.key) != 1) {
            err_set(&s->tls_err, MP_ERR_INVAL, "cannot use the generated certificate");
            ok = 0;
        }
        free(sans);
        ERR_clear_error();
    }
    if (!ok) {
        SSL_CTX_free(ctx);
        ctx = NULL;
        s->tls_failed = 1;
        if (e)
            *e = s->tls_err;
    }
    s->tls = ctx;
    pthread_mutex_unlock(&s->lock);
    return ctx;
}

/* What one connection carries along. */
struct session {
    struct pathod_server *srv;
    struct conn *conn;
    struct pathod_io io;
    char *sni;
    struct buf rlog, wlog; /* dumps for -q / -r */
    uint8_t *chunk;        /* render buffer */
};

#define CHUNK 65536

/* pathod's own answer: status 800 with the reason and a short body naming the problem. */
static int
send_error(struct session *ss, const char *reason, const char *body, struct buf *lines)
{
    struct buf b = BUF_INIT, text = BUF_INIT;
    buf_printf(&text, "pathod error: %s", body ? body : reason);
    buf_printf(&b, "HTTP/1.1 800 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
               reason, text.len);
    buf_append(&b, buf_ptr(&text), text.len);
    int r = pathod_io_write(&ss->io, buf_ptr(&b), b.len);
    buf_printf(lines, "error: %s\n", body ? body : reason);
    buf_clear(&b);
    buf_clear(&text);
    return r;
}

static int
send_simple(struct session *ss, int code, const char *ctype, const struct buf *body)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n", code,
               http_status_reason(code), ctype, body->len);
    buf_append(&b, buf_ptr(body), body->len);
    int r = pathod_io_write(&ss->io, buf_ptr(&b), b.len);
    buf_clear(&b);
    return r;
}

/*
 * Writes a rendered message, acting on its pause and disconnect points.
 * Returns 1 if the spec disconnected, 0 when the message is complete,
 * MP_ERR_IO when the peer went away or the server stops.
 */
static int
write_render(struct session *ss, struct pathod_render *r, struct err *e)
{
    int nohang = ss->srv->cfg.nohang;
    for (;;) {
        struct pathod_action act = {0};
        ssize_t n = pathod_render_next(r, ss->chunk, CHUNK, &act);
        if (n < 0)
            return err_set(e, MP_ERR_IO, "rendering failed");
        if (n > 0 && pathod_io_write(&ss->io, ss->chunk, (size_t)n) < 0)
            return err_set(e, MP_ERR_IO, "client went away");
        switch (act.kind) {
        case PATHOD_ACT_NONE:
            break;
        case PATHOD_ACT_PAUSE:
            if (!nohang &&
                pathod_io_pause(&ss->io, act.seconds < 0 ? -1 : (int)(act.seconds * 1000)) < 0)
                return err_set(e, MP_ERR_IO, "server stopping");
            break;
        case PATHOD_ACT_DISCONNECT:
            return 1;
        case PATHOD_ACT_DONE:
            return 0;
        }
    }
}

/* Whether rendering meets a pause before the end: a dry run, only for --nohang. */
static int
has_pause(const struct pathod_response *resp, uint8_t *scratch)
{
    struct pathod_render *r = pathod_response_render(resp);
    int found = 0;
    for (;;) {
        struct pathod_action act = {0};
        if (pathod_render_next(r, scratch, CHUNK, &act) < 0)
            break;
        if (act.kind == PATHOD_ACT_PAUSE) {
            found = 1;
            break;
        }
        if (act.kind != PATHOD_ACT_NONE)
            break;
    }
    pathod_render_free(r);
    return found;
}

/* Reads a frame from io->in leniently (either direction, masked or not); 1 done, 0 more. */
static int
take_frame(struct buf *in, int *fin, int *opcode, struct buf *payload, uint64_t max)
{
    const uint8_t *p = buf_ptr(in);
    size_t n = in->len;
    if (n < 2)
        return 0;
    uint64_t len = p[1] & 0x7f;
    size_t h = 2;
    if (len == 126) {
        if (n < 4)
            return 0;
        len = ((uint64_t)p[2] << 8) | p[3];
        h = 4;
    } else if (len == 127) {
        if (n < 10)
            return 0;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | p[2 + i];
        h = 10;
    }
    int masked = p[1] & 0x80;
    if (len > max)
        return -1;
    if (n < h + (masked ? 4 : 0) + len)
        return 0;
    const uint8_t *key = masked ? p + h : NULL;
    if (masked)
        h += 4;
    *fin = p[0] >> 7;
    *opcode = p[0] & 0x0f;
    buf_reset(payload);
    buf_append(payload, p + h, (size_t)len);
    if (key)
        for (size_t i = 0; i < len; i++)
            buf_ptr(payload)[i] ^= key[i % 4];
    buf_consume(in, h + (size_t)len);
    return 1;
}

static const char *
opcode_name(int op)
{
    static const char *names[16] = {"continue", "text", "binary", NULL,   NULL,  NULL,
                                    NULL,       NULL,   "close",  "ping", "pong"};
    return names[op & 15] ? names[op & 15] : "reserved";
}

#define NESTED_LEADER "pathod!"

/* WebSocket mode after a `ws` response: log each client frame; a frame whose payload is
 * "pathod!" + a frame spec is answered with that frame (pathod's reflected frames). */
static void
websocket_loop(struct session *ss)
{
    struct pathod_server *s = ss->srv;
    struct buf payload = BUF_INIT;
    for (;;) {
        int fin = 0, opcode = 0;
        int t = take_frame(&ss->io.in, &fin, &opcode, &payload, 16 << 20);
        if (t < 0) {
            add_error(s, "error", "WebSocket frame too large");
            break;
        }
        if (t == 0) {
            ssize_t r = pathod_io_fill(&ss->io);
            if (r <= 0) {
                if (ss->io.timed_out)
                    add_error(s, "timeout", NULL);
                break;
            }
            continue;
        }
        struct buf lines = BUF_INIT;
        buf_printf(&lines, "<< frame: fin=%d opcode=%s length=%zu payload='", fin,
                   opcode_name(opcode), payload.len);
        pathod_escape(&lines, buf_ptr(&payload), payload.len < 200 ? payload.len : 200);
        buf_append_str(&lines, "'\n");
        struct pathod_log_entry l = {0};
        l.type = xstrdup("inbound");
        l.opcode = opcode;
        buf_append(&l.payload, buf_ptr(&payload), payload.len);
        l.cipher = pathod_io_cipher(&ss->io);
        add_log(s, &l);

        int stop = 0;
        if (opcode == 8) {
            /* Answer a close with a close carrying the same status, then hang up. */
            uint8_t hdr[2] = {0x88, (uint8_t)(payload.len > 125 ? 0 : payload.len)};
            pathod_io_write(&ss->io, hdr, 2);
            pathod_io_write(&ss->io, buf_ptr(&payload), hdr[1]);
            stop = 1;
        } else if (payload.len > strlen(NESTED_LEADER) &&
                   strncmp((const char *)payload.data + payload.off, NESTED_LEADER,
                           strlen(NESTED_LEADER)) == 0) {
            char *spec = xstrndup((const char *)buf_ptr(&payload) + strlen(NESTED_LEADER),
                                  payload.len - strlen(NESTED_LEADER));
            struct err e = {0};
            struct pathod_frame *f = pathod_frame_parse(spec, &e);
            struct pathod_settings st = {.staticdir = s->cfg.staticdir};
            if (f && pathod_frame_resolve(f, &st, &e) == 0) {
                buf_append_str(&lines, "crafting websocket spec: ");
                pathod_frame_spec(f, &lines);
                buf_append_str(&lines, "\n");
                for (uint64_t i = 0; i < pathod_frame_times(f) && !stop; i++) {
                    struct pathod_render *r = pathod_frame_render(f);
                    stop = write_render(ss, r, &e) != 0;
                    pathod_render_free(r);
                }
            } else {
                buf_printf(&lines, "Parse error in reflected frame specification: %s\n", e.msg);
                stop = 1;
            }
            pathod_frame_free(f);
            free(spec);
        }
        out_lines(s, &lines);
        buf_clear(&lines);
        if (stop)
            break;
    }
    buf_clear(&payload);
}

static int
valid_ws_handshake(const struct http_request *req)
{
    return hdrs_has_token(&req->headers, "Upgrade", "websocket") &&
           hdrs_has_token(&req->headers, "Connection", "upgrade") &&
           hdrs_get(&req->headers, "Sec-WebSocket-Key") != NULL;
}

/* The /api/ endpoints; returns 1 if path was one of them. */
static int
serve_api(struct session *ss, const char *path, int *rc)
{
    struct pathod_server *s = ss->srv;
    struct buf body = BUF_INIT;
    if (strcmp(path, "/api/log") == 0) {
        pathod_server_log_json(s, &body);
        *rc = send_simple(ss, 200, "application/json", &body);
    } else if (strcmp(path, "/api/clear_log") == 0) {
        pathod_server_log_clear(s);
        buf_append_str(&body, "OK");
        *rc = send_simple(ss, 200, "text/html; charset=utf-8", &body);
    } else if (strcmp(path, "/api/info") == 0) {
        buf_append_str(&body, "{\"version\": \"" MP_VERSION "\"}");
        *rc = send_simple(ss, 200, "application/json", &body);
    } else {
        buf_clear(&body);
        return 0;
    }
    buf_clear(&body);
    return 1;
}

/*
 * Chooses and serves the response for one request. Returns 0 to read the
 * next request, 1 to switch to WebSocket mode, -1 to close.
 */
static int
serve_request(struct session *ss, const struct http_request *req, struct buf *lines,
              struct pathod_log_entry *l)
{
    struct pathod_server *s = ss->srv;
    const char *path = req->path;
    int ws = valid_ws_handshake(req);
    const char *anchor_spec = NULL;
    struct buf spec = BUF_INIT;
    int ret = 0;

    /* pathod's order: a matching anchor wins, then the craft anchor, then a bare
     * WebSocket handshake gets the default `ws` response. */
    for (size_t i = 0; i < s->nanchors; i++) {
        if (pyre_match(s->anchors[i].re, path, strlen(path))) {
            anchor_spec = s->anchors[i].spec;
            break;
        }
    }
    size_t alen = strlen(s->cfg.craftanchor);
    if (anchor_spec) {
        buf_append_str(&spec, anchor_spec);
    } else if (strncmp(path, s->cfg.craftanchor, alen) == 0 && path[alen]) {
        if (s->cfg.nocraft) {
            l->error_response = 1;
            l->code = 800;
            l->msg = xstrdup("Crafting disabled.");
            return send_error(ss, "Crafting disabled.", NULL, lines) < 0 ? -1 : 0;
        }
        http_unquote(&spec, path + alen, strlen(path + alen), 0);
    } else if (ws) {
        buf_append_str(&spec, "ws");
    }
    if (spec.len == 0) {
        buf_clear(&spec);
        l->error_response = 1;
        l->code = 800;
        l->msg = xstrdup("Not found");
        return send_error(ss, "Not found", "No valid craft request found", lines) < 0 ? -1 : 0;
    }

    char *text = buf_strdup(&spec);
    buf_clear(&spec);
    buf_printf(lines, "crafting spec: %s\n", text);
    struct err e = {0};
    struct pathod_response *resp = pathod_response_parse(text, &e);
    free(text);
    if (!resp) {
        struct buf body = BUF_INIT;
        buf_printf(&body, "Error parsing response spec: %s\n", e.msg);
        char *b = buf_strdup(&body);
        l->error_response = 1;
        l->code = 800;
        l->msg = xstrdup(e.msg);
        ret = send_error(ss, "Parse Error", b, lines) < 0 ? -1 : 0;
        free(b);
        buf_clear(&body);
        return ret;
    }
    const struct hdr *key = hdrs_get(&req->headers, "Sec-WebSocket-Key");
    struct pathod_settings st = {.staticdir = s->cfg.staticdir, .ws_key = key ? key->value : NULL};
    const char *policy = NULL;
    char detail[300] = "";
    if (pathod_response_resolve(resp, &st, &e) < 0) {
        policy = "File access denied.";
        snprintf(detail, sizeof(detail), "File access denied: %s", e.msg);
        if (pathod_response_is_ws(resp) && !st.ws_key) {
            policy = "Spec Error";
            snprintf(detail, sizeof(detail), "%s", e.msg);
        }
    }
    struct pathod_render *r = policy ? NULL : pathod_response_render(resp);
    if (!policy && s->cfg.sizelimit && pathod_render_length(r) > s->cfg.sizelimit)
        policy = "Response too large.";
    else if (!policy && s->cfg.nohang && has_pause(resp, ss->chunk))
        policy = "Pauses have been disabled.";
    if (policy) {
        pathod_render_free(r);
        pathod_response_free(resp);
        l->error_response = 1;
        l->code = 800;
        l->msg = xstrdup(*detail ? detail : policy);
        return send_error(ss, policy, *detail ? detail : NULL, lines) < 0 ? -1 : 0;
    }

    struct buf rs = BUF_INIT;
    pathod_response_spec(resp, &rs);
    l->spec = buf_strdup(&rs);
    if (s->cfg.explain)
        buf_printf(lines, ">> Spec: %s\n", l->spec);
    buf_clear(&rs);
    l->code = pathod_response_code(resp);
    uint64_t before = ss->io.written;
    int w = write_render(ss, r, &e);
    l->bytes = ss->io.written - before;
    if (w == 1) {
        l->disconnect = 1;
        ret = -1;
    } else if (w < 0) {
        buf_printf(lines, "%s\n", e.msg);
        ret = -1;
    } else if (ws && pathod_response_is_ws(resp) && l->code == 101) {
        ret = 1;
    }
    pathod_render_free(r);
    pathod_response_free(resp);
    return ret;
}

static void
dump_io(struct session *ss, struct buf *lines)
{
    int hex = ss->srv->cfg.hexdump;
    if (ss->wlog.len) {
        buf_append_str(lines, "Bytes written:\n");
        pathod_dump(lines, buf_ptr(&ss->wlog), ss->wlog.len, hex);
    }
    if (ss->rlog.len) {
        buf_append_str(lines, "Bytes read:\n");
        pathod_dump(lines, buf_ptr(&ss->rlog), ss->rlog.len, hex);
    }
    buf_reset(&ss->wlog);
    buf_reset(&ss->rlog);
}

/* Reads and answers one request. Returns 0 for the next one, 1 for WebSocket mode,
 * -1 to close. */
static int
handle_request(struct session *ss)
{
    struct pathod_server *s = ss->srv;
    struct http1_limits lim;
    http1_limits_default(&lim);
    struct http_request *req = NULL;
    enum http1_form form;
    struct err e = {0};
    struct buf lines = BUF_INIT;
    ssize_t n;
    int ret = 0;

    for (;;) {
        n = http1_parse_request_head(buf_ptr(&ss->io.in), ss->io.in.len, &lim, &req, &form, &e);
        if (n != MP_ERR_INCOMPLETE)
            break;
        ssize_t r = pathod_io_fill(&ss->io);
        if (r <= 0) {
            if (ss->io.timed_out) {
                add_error(s, "timeout", NULL);
                buf_append_str(&lines, "Timeout\n");
                out_lines(s, &lines);
            } else if (ss->io.in.len) {
                add_error(s, "error", "client disconnected within a request head");
            }
            buf_clear(&lines);
            return -1;
        }
    }
    if (n < 0) {
        add_error(s, "error", e.msg);
        buf_printf(&lines, "%s\n", e.msg);
        send_error(ss, n == MP_ERR_LIMIT ? "Request too large" : "Bad request", e.msg, &lines);
        out_lines(s, &lines);
        buf_clear(&lines);
        return -1;
    }
    buf_consume(&ss->io.in, (size_t)n);

    /* The body is read and thrown away; pathod answers from the spec alone. */
    struct http1_body body;
    if (http1_request_body(req, &body, &e) < 0 ||
        (body.kind == HTTP1_BODY_LENGTH && body.length > s->cfg.max_request)) {
        const char *msg = body.kind == HTTP1_BODY_LENGTH && body.length > s->cfg.max_request
                              ? "request body too large"
                              : e.msg;
        add_error(s, "error", msg);
        send_error(ss, "Request too large", msg, &lines);
        out_lines(s, &lines);
        buf_clear(&lines);
        http_request_free(req);
        return -1;
    }
    if (body.kind != HTTP1_BODY_NONE) {
        struct http1_body_reader br;
        struct buf sink = BUF_INIT;
        http1_body_reader_init(&br, &body, &lim);
        ret = 0;
        while (!br.done) {
            ssize_t t = http1_body_read(&br, buf_ptr(&ss->io.in), ss->io.in.len, &sink, &e);
            if (t < 0 || br.received > s->cfg.max_request) {
                ret = -1;
                break;
            }
            buf_consume(&ss->io.in, (size_t)t);
            buf_reset(&sink);
            if (br.done)
                break;
            if (pathod_io_fill(&ss->io) <= 0) {
                ret = -1;
                break;
            }
        }
        http1_body_reader_clear(&br);
        buf_clear(&sink);
        if (ret < 0) {
            add_error(s, "error", "bad or incomplete request body");
            buf_clear(&lines);
            http_request_free(req);
            return -1;
        }
    }

    if (form == HTTP1_FORM_AUTHORITY) {
        static const char ok[] =
            "HTTP/1.1 200 Connection established\r\nProxy-agent: pathod\r\n\r\n";
        buf_printf(&lines, "CONNECT %s\n", req->authority);
        if (pathod_io_write(&ss->io, ok, sizeof(ok) - 1) < 0)
            ret = -1;
        else if (!s->cfg.plain_connect) {
            SSL_CTX *ctx = get_tls(s, &e);
            free(ss->sni);
            ss->sni = NULL;
            if (!ctx || pathod_io_tls_accept(&ss->io, ctx, &ss->sni, &e) < 0) {
                add_error(s, "error", e.msg);
                buf_printf(&lines, "%s\n", e.msg);
                ret = -1;
            }
        }
        out_lines(s, &lines);
        buf_clear(&lines);
        http_request_free(req);
        return ret;
    }

    buf_printf(&lines, "%s: %s %s\n", ss->conn->peer, req->method, req->path);
    int api = 0;
    if (!s->cfg.noapi)
        api = serve_api(ss, req->path, &ret);
    if (api) {
        ret = ret < 0 ? -1 : 0;
    } else {
        struct pathod_log_entry l = {0};
        l.type = xstrdup("crafted");
        l.method = xstrdup(req->method);
        l.path = xstrdup(req->path);
        l.http_version = xstrdup(req->http_version);
        hdrs_copy(&l.headers, &req->headers);
        l.sni = dup_or_null(ss->sni);
        l.cipher = pathod_io_cipher(&ss->io);
        l.remote_address = xstrdup(ss->conn->peer);
        ret = serve_request(ss, req, &lines, &l);
        add_log(s, &l);
    }
    if (s->cfg.logreq || s->cfg.logresp)
        dump_io(ss, &lines);
    out_lines(s, &lines);
    buf_clear(&lines);
    http_request_free(req);
    return ret;
}

static void *
conn_main(void *arg)
{
    struct conn *c = arg;
    struct pathod_server *s = c->srv;
    struct session ss = {.srv = s, .conn = c};
    pathod_io_init(&ss.io, c->fd, s->stop_pipe[0], s->cfg.timeout * 1000);
    ss.chunk = xmalloc(CHUNK);
    if (s->cfg.logreq)
        ss.io.rlog = &ss.rlog;
    if (s->cfg.logresp)
        ss.io.wlog = &ss.wlog;

    int ok = 1;
    if (s->cfg.ssl) {
        struct err e = {0};
        SSL_CTX *ctx = get_tls(s, &e);
        if (!ctx || pathod_io_tls_accept(&ss.io, ctx, &ss.sni, &e) < 0) {
            add_error(s, "error", e.msg);
            struct buf lines = BUF_INIT;
            buf_printf(&lines, "%s\n", e.msg);
            out_lines(s, &lines);
            buf_clear(&lines);
            ok = 0;
        }
    }
    while (ok) {
        int r = handle_request(&ss);
        if (r == 1)
            websocket_loop(&ss);
        if (r != 0)
            break;
    }
    if (ss.io.ssl)
        SSL_shutdown(ss.io.ssl);
    ERR_clear_error();
    /* The fd stays open until the thread is joined (see struct conn). */
    ss.io.fd = -1;
    pathod_io_close(&ss.io);
    free(ss.sni);
    free(ss.chunk);
    buf_clear(&ss.rlog);
    buf_clear(&ss.wlog);
    pthread_mutex_lock(&s->lock);
    c->done = 1;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Joins finished connection threads (all of them when all is set). */
static void
reap(struct pathod_server *s, int all)
{
    for (;;) {
        struct conn *found = NULL;
        pthread_mutex_lock(&s->lock);
        for (struct conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
            if ((*pp)->done || all) {
                found = *pp;
                *pp = found->next;
                break;
            }
        }
        pthread_mutex_unlock(&s->lock);
        if (!found)
            return;
        pthread_join(found->thread, NULL);
        close(found->fd);
        free(found);
    }
}

static void *
accept_main(void *arg)
{
    struct pathod_server *s = arg;
    struct pollfd p[2] = {{s->lfd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
    for (;;) {
        int r = poll(p, 2, 1000);
        if (r < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        reap(s, 0);
        if (r <= 0 || !(p[0].revents & POLLIN))
            continue;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct conn *c = xcalloc(1, sizeof(*c));
        c->srv = s;
        c->fd = fd;
        char host[64] = "?", port[16] = "?";
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV);
        snprintf(c->peer, sizeof(c->peer), "%s:%s", host, port);
        pthread_mutex_lock(&s->lock);
        c->next = s->conns;
        s->conns = c;
        if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
            s->conns = c->next;
            close(fd);
            free(c);
        }
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

static void
free_server(struct pathod_server *s)
{
    for (size_t i = 0; i < s->nanchors; i++) {
        pcre2_code_free(s->anchors[i].re);
        free(s->anchors[i].spec);
    }
    free(s->anchors);
    for (size_t i = 0; i < s->cfg.nsans; i++)
        free(s->sans[i]);
    free(s->sans);
    free((char *)s->cfg.address);
    free((char *)s->cfg.craftanchor);
    free((char *)s->cfg.staticdir);
    free((char *)s->cfg.cert);
    free((char *)s->cfg.confdir);
    free((char *)s->cfg.cn);
    free((char *)s->cfg.ciphers);
    pathod_server_log_clear(s);
    free(s->log);
    SSL_CTX_free(s->tls);
    ca_free(s->ca);
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->stop_pipe[0] >= 0) {
        close(s->stop_pipe[0]);
        close(s->stop_pipe[1]);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->outlock);
    free(s);
}

struct pathod_server *
pathod_server_start(const struct pathod_config *cfg, struct err *e)
{
    struct pathod_server *s = xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    s->lfd = -1;
    s->stop_pipe[0] = s->stop_pipe[1] = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->outlock, NULL);
    s->cfg.address = xstrdup(cfg->address ? cfg->address : "127.0.0.1");
    s->cfg.craftanchor = xstrdup(cfg->craftanchor ? cfg->craftanchor : PATHOD_DEFAULT_ANCHOR);
    s->cfg.staticdir = dup_or_null(cfg->staticdir);
    s->cfg.cert = dup_or_null(cfg->cert);
    s->cfg.confdir = dup_or_null(cfg->confdir);
    s->cfg.cn = dup_or_null(cfg->cn);
    s->cfg.ciphers = dup_or_null(cfg->ciphers);
    s->sans = xcalloc(cfg->nsans + 1, sizeof(*s->sans));
    for (size_t i = 0; i < cfg->nsans; i++)
        s->sans[i] = xstrdup(cfg->sans[i]);
    s->cfg.sans = (const char *const *)s->sans;
    s->cfg.anchors = NULL;
    s->cfg.nanchors = 0;
    if (!s->cfg.max_request)
        s->cfg.max_request = 1024 * 1024;
    signal(SIGPIPE, SIG_IGN);

    /* Anchors: the regex must compile and the spec must parse now, not at the first hit. */
    s->anchors = xcalloc(cfg->nanchors + 1, sizeof(*s->anchors));
    for (size_t i = 0; i < cfg->nanchors; i++) {
        struct err re_err = {0};
        size_t off = 0;
        const char *pat = cfg->anchors[i].pattern;
        pcre2_code *re = pyre_compile(pat, strlen(pat), 0, &off, &re_err);
        if (!re) {
            err_set(e, MP_ERR_INVAL, "invalid regex in anchor: %s (%s at offset %zu)", pat,
                    re_err.msg, off);
            free_server(s);
            return NULL;
        }
        s->anchors[s->nanchors].re = re;
        s->anchors[s->nanchors].spec = xstrdup(cfg->anchors[i].spec);
        s->nanchors++;
        struct err pe = {0};
        struct pathod_response *resp = pathod_response_parse(cfg->anchors[i].spec, &pe);
        if (!resp) {
            err_set(e, MP_ERR_SYNTAX, "invalid spec in anchor %s: %s", cfg->anchors[i].pattern,
                    pe.msg);
            free_server(s);
            return NULL;
        }
        pathod_response_free(resp);
    }

    if (s->cfg.cert && !get_tls(s, e)) {
        free_server(s);
        return NULL;
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof(port), "%d", cfg->port);
    int gr = getaddrinfo(s->cfg.address, port, &hints, &ai);
    if (gr != 0) {
        err_set(e, MP_ERR_INVAL, "cannot resolve %s: %s", s->cfg.address, gai_strerror(gr));
        free_server(s);
        return NULL;
    }
    s->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s->lfd >= 0)
        setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (s->lfd < 0 || bind(s->lfd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(s->lfd, 128) < 0) {
        err_set(e, MP_ERR_IO, "cannot listen on %s:%d: %s", s->cfg.address, cfg->port,
                strerror(errno));
        freeaddrinfo(ai);
        free_server(s);
        return NULL;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage sa;
    socklen_t sl = sizeof(sa);
    getsockname(s->lfd, (struct sockaddr *)&sa, &sl);
    s->port = sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port)
                                       : ntohs(((struct sockaddr_in *)&sa)->sin_port);
    if (pipe2(s->stop_pipe, O_CLOEXEC) < 0 ||
        pthread_create(&s->accept_thread, NULL, accept_main, s) != 0) {
        err_set(e, MP_ERR_IO, "cannot start the server thread");
        free_server(s);
        return NULL;
    }
    return s;
}

void
pathod_server_stop(struct pathod_server *s)
{
    if (!s)
        return;
    /* The pipe is ours and empty, so this write cannot block or fail in practice. */
    ssize_t w = write(s->stop_pipe[1], "x", 1);
    (void)w;
    pthread_join(s->accept_thread, NULL);
    /* Blocked writes do not watch the stop pipe; shutting the sockets down ends them. */
    pthread_mutex_lock(&s->lock);
    for (struct conn *c = s->conns; c; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    pthread_mutex_unlock(&s->lock);
    reap(s, 1);
    free_server(s);
}
