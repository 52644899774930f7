/*
 * TLS sessions over in-memory buffers (see session.h).
 *
 * Each session owns one SSL whose BIO (one, for reading and writing) is
 * backed by two of our buffers: in holds ciphertext fed from the peer, out
 * collects ciphertext for the peer. No socket is ever touched, so the TLS
 * layer stays sans-io. OpenSSL's memory BIO did this before, but it keeps
 * the most it ever held (a certificate flight, a 16 KiB record) for the
 * life of the connection and grows by copying and cleansing; our buffers
 * are freed when read empty, and the output is handed over without a copy.
 *
 * Contexts: creating an SSL_CTX costs tens of microseconds, and loading the
 * system trust store costs milliseconds, while the budget is about one
 * millisecond of CPU per intercepted connection. So contexts are shared:
 *
 *   client side  one SSL_CTX per (verify, ca_file, ca_dir, min, max,
 *                client_cert), in a small LRU cache;
 *   server side  one SSL_CTX per (min, max), in a small LRU cache.
 *
 * Everything that changes per connection is set on the SSL instead: SNI,
 * ALPN, the host name to verify, and on the server side the leaf
 * certificate. Keying server contexts by leaf pointer would be unsafe: the
 * CA's LRU frees leaves, and a new leaf can land at a freed address, which
 * would then find a context holding another host's certificate. Setting the
 * leaf with SSL_use_cert_and_key() costs a few microseconds and has no such
 * trap. The ALPN select callback reads the session's own protocol list via
 * the SSL's app data for the same reason.
 *
 * A cached client context remembers the trust files as they were when it
 * was made; a changed ca_file path makes a new context, changed contents
 * under the same path do not.
 *
 * Resumption, so that a returning peer costs no certificate work:
 *
 *   towards clients  TLS 1.3 tickets and TLS 1.2 tickets or session IDs.
 *                    Tickets are encrypted with keys every server context
 *                    shares (made once per process), so a ticket issued
 *                    under one context opens under another; and since the
 *                    leaf is set per SSL, one context serves every leaf.
 *   towards servers  a client session cache per context, keyed by the
 *                    server's host, port and SNI: a session is only ever
 *                    offered under the context (trust settings, client
 *                    certificate, versions) that made it, so one made
 *                    with ssl_insecure never skips verification elsewhere.
 *                    The newest session of a server wins; sessions are
 *                    reused (servers take a ticket more than once, and a
 *                    refused one only costs a full handshake).
 *
 * Cache lookups take a mutex, since every worker thread makes sessions.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls/session.h"
#include "util/path.h"
#include "util/netaddr.h"
#include "util/xmalloc.h"

#define CLIENT_CACHE_SIZE 8
#define SERVER_CACHE_SIZE 8
#define READ_CHUNK 16384
/* Upstream sessions kept per client context: servers, not connections. */
#define RESUME_CACHE_SIZE 256
/* TLS 1.2 session IDs a server context keeps (tickets need no memory). */
#define SERVER_SESSIONS 1024
/* TLS 1.3 tickets sent after each handshake (OpenSSL sends 2): clients
 * reuse one ticket, and each costs an encryption and a record. */
#define SERVER_TICKETS 1
/* TLS 1.3 suites in our order of preference (see ctx_common). */
#define TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

/*
 * Two of these live as long as each intercepted connection, so the fields
 * are packed: 152 bytes, one 160-byte malloc chunk instead of 208.
 */
struct tls_session {
    int refs;
    int16_t alert_in;  /* last non-close_notify alert received (level << 8 | desc), or -1 */
    int16_t alert_out; /* the same for alerts we sent */
    SSL *ssl;
    struct buf in;   /* ciphertext fed, not yet read by OpenSSL; freed when empty */
    struct buf out;  /* ciphertext for the peer, until taken */
    uint8_t head[4]; /* first bytes fed, to recognise a peer that speaks no TLS */
    uint8_t nhead;
    unsigned is_client : 1;
    unsigned done : 1;      /* handshake complete */
    unsigned have_peer : 1; /* peer facts below are filled */
    char *verify_host;      /* client: the name or IP we check, for messages */
    uint8_t *alpn_wire;     /* server: accepted protocols, length-prefixed */
    size_t alpn_len;
    char *alpn; /* negotiated protocol, after the handshake */
    /* client: "host\0port\0sni", its key in the session cache; or NULL */
    char *resume_key;
    uint32_t resume_keylen;
    uint32_t nsans;
    char *peer_cn;
    char **sans;
};

struct client_key {
    int verify;
    char *ca_file, *ca_dir, *cert;
    enum tls_version min, max;
};

/* One server's newest session. */
struct resume {
    char *key; /* tls_session.resume_key's bytes; NULL: a free slot */
    size_t keylen;
    SSL_SESSION *sess;
    unsigned long used;
};

static struct {
    SSL_CTX *ctx;
    struct client_key key;
    unsigned long used;
    struct resume *resume; /* RESUME_CACHE_SIZE slots, made with the context */
} ccache[CLIENT_CACHE_SIZE];

static struct {
    SSL_CTX *ctx;
    enum tls_version min, max;
    unsigned long used;
} scache[SERVER_CACHE_SIZE];

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long cache_clock;
/* Session ticket keys of every server context (name, HMAC and AES keys). */
static unsigned char ticket_keys[80];
static int have_ticket_keys;

static pthread_mutex_t keylog_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *keylog;

static int on_alpn_select(SSL *, const unsigned char **, unsigned char *, const unsigned char *,
                          unsigned int, void *);
static int on_new_session(SSL *, SSL_SESSION *);
static BIO *thread_bio(void);

static const char *const version_names[] = {"UNBOUNDED", "SSL3",   "TLS1",
                                            "TLS1_1",    "TLS1_2", "TLS1_3"};

int
tls_version_parse(const char *s)
{
    for (size_t i = 0; i < sizeof(version_names) / sizeof(version_names[0]); i++)
        if (strcmp(s, version_names[i]) == 0)
            return (int)i;
    return -1;
}

static int
proto_version(enum tls_version v)
{
    switch (v) {
    case TLS_VER_UNBOUNDED:
        return 0;
    case TLS_VER_SSL3:
        return SSL3_VERSION;
    case TLS_VER_TLS1:
        return TLS1_VERSION;
    case TLS_VER_TLS1_1:
        return TLS1_1_VERSION;
    case TLS_VER_TLS1_2:
        return TLS1_2_VERSION;
    case TLS_VER_TLS1_3:
        return TLS1_3_VERSION;
    }
    return 0;
}

/* The reason of the last queued OpenSSL error, or a fallback. */
static const char *
ssl_reason(void)
{
    unsigned long code = ERR_peek_last_error();
    const char *r = code ? ERR_reason_error_string(code) : NULL;
    return r ? r : "unknown error";
}

/*
 * Empties this thread's OpenSSL error queue before a call whose outcome is
 * read from it (SSL_get_error() needs it empty). ERR_clear_error() wipes
 * all 16 slots whether or not any is used, about 190 ns, and the data path
 * calls this for every record; looking first costs about 25 ns, and the
 * queue is nearly always empty.
 */
static void
clear_errors(void)
{
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

static int
streq_null(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static char *
strdup_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void
on_keylog(const SSL *ssl, const char *line)
{
    pthread_mutex_lock(&keylog_lock);
    if (keylog) {
        fputs(line, keylog);
        fputc('\n', keylog);
        fflush(keylog);
    }
    pthread_mutex_unlock(&keylog_lock);
}

/*
 * The key log callback contexts get: on_keylog while a file is open, else
 * none, because OpenSSL formats every line (hex, byte by byte) before it
 * calls back, some 10 per intercepted connection: 4% of its CPU for
 * nothing.
 */
static SSL_CTX_keylog_cb_func
keylog_cb(void)
{
    pthread_mutex_lock(&keylog_lock);
    int on = keylog != NULL;
    pthread_mutex_unlock(&keylog_lock);
    return on ? on_keylog : NULL;
}

int
tls_keylog_open(const char *path, struct err *e)
{
    FILE *f = NULL;
    if (path) {
        char *full = path_expand_home(path);
        int fd = open(full, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0 && (f = fdopen(fd, "a")) == NULL)
            close(fd);
        if (f == NULL) {
            int rc = err_set(e, MP_ERR_IO, "cannot open key log file %s: %s", full,
                             strerror(errno));
            free(full);
            return rc;
        }
        free(full);
    }
    pthread_mutex_lock(&keylog_lock);
    FILE *old = keylog;
    keylog = f;
    pthread_mutex_unlock(&keylog_lock);
    /* The contexts made meanwhile follow (see keylog_cb). */
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < CLIENT_CACHE_SIZE; i++)
        if (ccache[i].ctx)
            SSL_CTX_set_keylog_callback(ccache[i].ctx, keylog_cb());
    for (size_t i = 0; i < SERVER_CACHE_SIZE; i++)
        if (scache[i].ctx)
            SSL_CTX_set_keylog_callback(scache[i].ctx, keylog_cb());
    pthread_mutex_unlock(&cache_lock);
    if (old)
        fclose(old);
    return 0;
}

/* Settings both roles share: versions, options, key logging. */
static int
ctx_common(SSL_CTX *ctx, enum tls_version min, enum tls_version max, struct err *e)
{
    if (!SSL_CTX_set_min_proto_version(ctx, proto_version(min)) ||
        !SSL_CTX_set_max_proto_version(ctx, proto_version(max)))
        return err_set(e, MP_ERR_UNSUPPORTED,
                       "cannot set TLS versions (min %s, max %s): this libssl lacks them",
                       version_names[min], version_names[max]);
    /*
     * Versions below TLS 1.2 need SHA-1 and small keys, which OpenSSL 3
     * refuses at its default security level. Asking for them is asking
     * for that, as in mitmproxy.
     */
    if (min != TLS_VER_UNBOUNDED && min < TLS_VER_TLS1_2)
        SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
    /*
     * OpenSSL's TLS 1.3 suites, with AES-128-GCM first instead of
     * AES-256-GCM: its key schedule and transcript hash are SHA-256, not
     * SHA-384, and hashing is a fifth of a handshake's instructions. Same
     * set, only the order changes; it is the order browsers and curl
     * offer, and both of our roles follow it (as a server we prefer it,
     * as a client we offer it first).
     */
    if (!SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES))
        return err_set(e, MP_ERR_FATAL, "cannot set the TLS 1.3 cipher suites: %s", ssl_reason());
    SSL_CTX_set_keylog_callback(ctx, keylog_cb());
    return 0;
}

static SSL_CTX *
client_ctx_new(const struct tls_client_opts *o, struct err *e)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    /* Idle connections give their 34 KiB of record buffers back (idle RSS per
     * intercepted connection is a target of ours). */
    if (ctx)
        SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (ctx == NULL) {
        err_set(e, MP_ERR_FATAL, "cannot create a TLS context: %s", ssl_reason());
        return NULL;
    }
    if (ctx_common(ctx, o->min_version, o->max_version, e) < 0)
        goto fail;
    /* Sessions go to our cache (see the top), never OpenSSL's own. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    SSL_CTX_set_verify(ctx, o->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    if (o->verify) {
        if (!SSL_CTX_set_default_verify_paths(ctx)) {
            err_set(e, MP_ERR_IO, "cannot load the system's trusted certificates: %s",
                    ssl_reason());
            goto fail;
        }
        if ((o->ca_file || o->ca_dir) &&
            !SSL_CTX_load_verify_locations(ctx, o->ca_file, o->ca_dir)) {
            err_set(e, MP_ERR_IO, "cannot load trusted certificates (ca_file=%s, ca_dir=%s): %s",
                    o->ca_file ? o->ca_file : "none", o->ca_dir ? o->ca_dir : "none", ssl_reason());
            goto fail;
        }
    }
    if (o->client_cert_file) {
        if (!SSL_CTX_use_certificate_chain_file(ctx, o->client_cert_file) ||
            !SSL_CTX_use_PrivateKey_file(ctx, o->client_cert_file, SSL_FILETYPE_PEM) ||
            !SSL_CTX_check_private_key(ctx)) {
            err_set(e, MP_ERR_IO, "cannot load client certificate %s: %s", o->client_cert_file,
                    ssl_reason());
            goto fail;
        }
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return NULL;
}

static SSL_CTX *
server_ctx_new(enum tls_version min, enum tls_version max, struct err *e)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    /* Idle connections give their 34 KiB of record buffers back (idle RSS per
     * intercepted connection is a target of ours). */
    if (ctx)
        SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (ctx == NULL) {
        err_set(e, MP_ERR_FATAL, "cannot create a TLS context: %s", ssl_reason());
        return NULL;
    }
    if (ctx_common(ctx, min, max, e) < 0) {
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Resumption (see the top). The ID context only names our sessions;
     * OpenSSL refuses to resume without one once verification is on. */
    static const unsigned char sid_ctx[] = "mitmproxy-c";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
    SSL_CTX_sess_set_cache_size(ctx, SERVER_SESSIONS);
    SSL_CTX_set_num_tickets(ctx, SERVER_TICKETS);
    if (!have_ticket_keys) {
        if (RAND_bytes(ticket_keys, sizeof(ticket_keys)) != 1) {
            err_set(e, MP_ERR_FATAL, "cannot make session ticket keys: %s", ssl_reason());
            SSL_CTX_free(ctx);
            ERR_clear_error();
            return NULL;
        }
        have_ticket_keys = 1;
    }
    SSL_CTX_set_tlsext_ticket_keys(ctx, ticket_keys, sizeof(ticket_keys));
    /* Old clients may only offer DHE; use the built-in groups. */
    SSL_CTX_set_dh_auto(ctx, 1);
    /* The callback reads each session's own list; an empty one acknowledges nothing. */
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn_select, NULL);
    return ctx;
}

/* Empties a context's session cache (NULL: nothing to do). Lock held. */
static void
resume_clear(struct resume *r)
{
    for (size_t i = 0; r && i < RESUME_CACHE_SIZE; i++) {
        SSL_SESSION_free(r[i].sess);
        free(r[i].key);
        r[i] = (struct resume){0};
    }
}

/* The session cache of ctx, or NULL when ctx left the context cache. Lock held. */
static struct resume *
resume_of(const SSL_CTX *ctx)
{
    for (size_t i = 0; i < CLIENT_CACHE_SIZE; i++)
        if (ccache[i].ctx == ctx)
            return ccache[i].resume;
    return NULL;
}

/* The slot holding key, or NULL. Lock held. */
static struct resume *
resume_find(struct resume *r, const char *key, size_t keylen)
{
    for (size_t i = 0; i < RESUME_CACHE_SIZE; i++)
        if (r[i].key && r[i].keylen == keylen && memcmp(r[i].key, key, keylen) == 0)
            return &r[i];
    return NULL;
}

/*
 * OpenSSL's new-session callback on client contexts: after a full
 * handshake, and for each TLS 1.3 ticket, which comes after it. Keeps the
 * session as its server's newest; returns 1 when it took the reference.
 */
static int
on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    struct tls_session *s = SSL_get_app_data(ssl);
    if (s == NULL || s->resume_key == NULL || !SSL_SESSION_is_resumable(sess))
        return 0;
    int taken = 0;
    pthread_mutex_lock(&cache_lock);
    struct resume *r = resume_of(SSL_get_SSL_CTX(ssl));
    if (r) {
        struct resume *slot = resume_find(r, s->resume_key, s->resume_keylen);
        if (slot == NULL) {
            slot = &r[0];
            for (size_t i = 0; i < RESUME_CACHE_SIZE && slot->key; i++)
                if (r[i].key == NULL || r[i].used < slot->used)
                    slot = &r[i];
            free(slot->key);
            slot->key = xmalloc(s->resume_keylen);
            memcpy(slot->key, s->resume_key, s->resume_keylen);
            slot->keylen = s->resume_keylen;
        }
        SSL_SESSION_free(slot->sess);
        slot->sess = sess;
        slot->used = ++cache_clock;
        taken = 1;
    }
    pthread_mutex_unlock(&cache_lock);
    return taken;
}

/* Offers the cached session of s's server, if any. */
static void
resume_offer(struct tls_session *s)
{
    pthread_mutex_lock(&cache_lock);
    struct resume *r = resume_of(SSL_get_SSL_CTX(s->ssl));
    struct resume *slot = r ? resume_find(r, s->resume_key, s->resume_keylen) : NULL;
    if (slot && SSL_SESSION_is_resumable(slot->sess)) {
        SSL_set_session(s->ssl, slot->sess); /* takes its own reference */
        slot->used = ++cache_clock;
    }
    pthread_mutex_unlock(&cache_lock);
}

/* Returns a context with a reference for the caller, from the cache or new. */
static SSL_CTX *
client_ctx_get(const struct tls_client_opts *o, struct err *e)
{
    struct client_key k = {!!o->verify,       (char *)o->ca_file,
                           (char *)o->ca_dir, (char *)o->client_cert_file,
                           o->min_version,    o->max_version};
    if (!k.verify)
        k.ca_file = k.ca_dir = NULL; /* trust files are not loaded then */
    SSL_CTX *ctx = NULL;
    size_t victim = 0;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < CLIENT_CACHE_SIZE; i++) {
        struct client_key *c = &ccache[i].key;
        if (ccache[i].ctx && c->verify == k.verify && c->min == k.min && c->max == k.max &&
            streq_null(c->ca_file, k.ca_file) && streq_null(c->ca_dir, k.ca_dir) &&
            streq_null(c->cert, k.cert)) {
            ctx = ccache[i].ctx;
            ccache[i].used = ++cache_clock;
            SSL_CTX_up_ref(ctx);
            break;
        }
        if (ccache[i].ctx == NULL || (ccache[victim].ctx && ccache[i].used < ccache[victim].used))
            victim = i;
    }
    if (ctx == NULL && (ctx = client_ctx_new(o, e)) != NULL) {
        /* Sessions still using an evicted context hold their own reference;
         * the sessions it cached go with it (see on_new_session). */
        resume_clear(ccache[victim].resume);
        if (ccache[victim].resume == NULL)
            ccache[victim].resume = xcalloc(RESUME_CACHE_SIZE, sizeof(struct resume));
        SSL_CTX_free(ccache[victim].ctx);
        free(ccache[victim].key.ca_file);
        free(ccache[victim].key.ca_dir);
        free(ccache[victim].key.cert);
        ccache[victim].ctx = ctx;
        ccache[victim].key = k;
        ccache[victim].key.ca_file = strdup_null(k.ca_file);
        ccache[victim].key.ca_dir = strdup_null(k.ca_dir);
        ccache[victim].key.cert = strdup_null(k.cert);
        ccache[victim].used = ++cache_clock;
        SSL_CTX_up_ref(ctx);
    }
    pthread_mutex_unlock(&cache_lock);
    return ctx;
}

static SSL_CTX *
server_ctx_get(enum tls_version min, enum tls_version max, struct err *e)
{
    SSL_CTX *ctx = NULL;
    size_t victim = 0;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < SERVER_CACHE_SIZE; i++) {
        if (scache[i].ctx && scache[i].min == min && scache[i].max == max) {
            ctx = scache[i].ctx;
            scache[i].used = ++cache_clock;
            SSL_CTX_up_ref(ctx);
            break;
        }
        if (scache[i].ctx == NULL || (scache[victim].ctx && scache[i].used < scache[victim].used))
            victim = i;
    }
    if (ctx == NULL && (ctx = server_ctx_new(min, max, e)) != NULL) {
        SSL_CTX_free(scache[victim].ctx);
        scache[victim].ctx = ctx;
        scache[victim].min = min;
        scache[victim].max = max;
        scache[victim].used = ++cache_clock;
        SSL_CTX_up_ref(ctx);
    }
    pthread_mutex_unlock(&cache_lock);
    return ctx;
}

static void
on_info(const SSL *ssl, int where, int ret)
{
    if (!(where & SSL_CB_ALERT) || (ret & 0xff) == SSL_AD_CLOSE_NOTIFY)
        return;
    struct tls_session *s = SSL_get_app_data(ssl);
    if (where & SSL_CB_READ)
        s->alert_in = ret;
    else
        s->alert_out = ret;
}

/* Server preference: the first of our protocols that the client offered. */
static int
on_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
               unsigned int inlen, void *arg)
{
    struct tls_session *s = SSL_get_app_data(ssl);
    for (size_t i = 0; i < s->alpn_len; i += 1 + s->alpn_wire[i]) {
        const uint8_t *ours = &s->alpn_wire[i];
        for (unsigned int j = 0; j < inlen; j += 1 + in[j]) {
            if (j + 1 + in[j] > inlen)
                break;
            if (in[j] == ours[0] && memcmp(in + j + 1, ours + 1, ours[0]) == 0) {
                *out = in + j + 1;
                *outlen = in[j];
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    /* No overlap: go on without ALPN rather than failing the handshake. */
    return SSL_TLSEXT_ERR_NOACK;
}

/* Builds the length-prefixed protocol list ALPN uses on the wire. */
static int
alpn_wire(const char *const *alpn, size_t n, uint8_t **out, size_t *outlen, struct err *e)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(alpn[i]);
        if (l == 0 || l > 255)
            return err_set(e, MP_ERR_INVAL, "invalid ALPN protocol \"%s\"", alpn[i]);
        len += 1 + l;
    }
    uint8_t *w = xmalloc(len ? len : 1);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(alpn[i]);
        w[off++] = (uint8_t)l;
        memcpy(w + off, alpn[i], l);
        off += l;
    }
    *out = w;
    *outlen = len;
    return 0;
}

/* Makes the SSL and its BIOs; takes over the caller's reference to ctx. */
static struct tls_session *
session_new(SSL_CTX *ctx, int is_client, struct err *e)
{
    SSL *ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);
    if (ssl == NULL) {
        err_set(e, MP_ERR_FATAL, "cannot create a TLS session: %s", ssl_reason());
        ERR_clear_error();
        return NULL;
    }
    struct tls_session *s = xcalloc(1, sizeof(*s));
    s->refs = 1;
    s->ssl = ssl;
    s->is_client = is_client;
    s->alert_in = s->alert_out = -1;
    BIO *b = thread_bio();
    BIO_set_data(b, s);
    SSL_set_bio(ssl, b, b); /* one BIO both ways: ssl takes our one reference */
    SSL_set_app_data(ssl, s);
    SSL_set_info_callback(ssl, on_info);
    if (is_client)
        SSL_set_connect_state(ssl);
    else
        SSL_set_accept_state(ssl);
    return s;
}

int
tls_ciphers_want_rsa(const char *ciphers)
{
    if (ciphers == NULL || *ciphers == '\0')
        return 0;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    int want = 0;
    if (ctx && SSL_CTX_set_cipher_list(ctx, ciphers)) {
        want = 1;
        STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
        for (int i = 0; sk && i < sk_SSL_CIPHER_num(sk) && want; i++) {
            const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
            /* TLS 1.3 suites take any key, and ciphers_client leaves them alone. */
            want = SSL_CIPHER_get_auth_nid(c) != NID_auth_ecdsa;
        }
    }
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return want;
}

/* The ciphers_client / ciphers_server options: set on the SSL, so that
 * contexts stay shared. TLS 1.3 suites are not affected (as in mitmproxy). */
static int
set_ciphers(struct tls_session *s, const char *ciphers, struct err *e)
{
    if (ciphers == NULL || *ciphers == '\0')
        return 0;
    if (!SSL_set_cipher_list(s->ssl, ciphers))
        return err_set(e, MP_ERR_INVAL, "invalid cipher list \"%s\": %s", ciphers, ssl_reason());
    return 0;
}

struct tls_session *
tls_session_new_client(const struct tls_client_opts *o, struct err *e)
{
    SSL_CTX *ctx = client_ctx_get(o, e);
    if (ctx == NULL)
        return NULL;
    struct tls_session *s = session_new(ctx, 1, e);
    if (s == NULL)
        return NULL;
    if (set_ciphers(s, o->ciphers, e) < 0)
        goto fail;
    /* RFC 6066 3: literal IP addresses are not permitted in SNI. */
    if (o->sni && *o->sni && !netaddr_is_ip(o->sni) && !SSL_set_tlsext_host_name(s->ssl, o->sni)) {
        err_set(e, MP_ERR_INVAL, "invalid server name \"%s\": %s", o->sni, ssl_reason());
        goto fail;
    }
    if (o->nalpn) {
        uint8_t *w;
        size_t len;
        if (alpn_wire(o->alpn, o->nalpn, &w, &len, e) < 0)
            goto fail;
        int bad = SSL_set_alpn_protos(s->ssl, w, (unsigned int)len); /* 0 on success */
        free(w);
        if (bad) {
            err_set(e, MP_ERR_INVAL, "cannot offer ALPN: %s", ssl_reason());
            goto fail;
        }
    }
    const char *host = o->verify_host ? o->verify_host : o->sni;
    if (o->verify && host && *host) {
        s->verify_host = xstrdup(host);
        int ok;
        if (netaddr_is_ip(host)) {
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), host);
        } else {
            SSL_set_hostflags(s->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ok = SSL_set1_host(s->ssl, host);
        }
        if (!ok) {
            err_set(e, MP_ERR_INVAL, "invalid host name to verify \"%s\"", host);
            goto fail;
        }
    }
    if (o->server_host && *o->server_host) {
        const char *sni = o->sni ? o->sni : "";
        char port[16];
        int pl = snprintf(port, sizeof(port), "%d", o->server_port);
        size_t hl = strlen(o->server_host), sl = strlen(sni);
        s->resume_keylen = (uint32_t)(hl + 1 + (size_t)pl + 1 + sl);
        s->resume_key = xmalloc(s->resume_keylen);
        memcpy(s->resume_key, o->server_host, hl + 1);
        memcpy(s->resume_key + hl + 1, port, (size_t)pl + 1);
        memcpy(s->resume_key + hl + 1 + pl + 1, sni, sl);
        resume_offer(s);
    }
    return s;
fail:
    ERR_clear_error();
    tls_session_free(s);
    return NULL;
}

struct tls_session *
tls_session_new_server(const struct tls_server_opts *o, struct err *e)
{
    if (o->leaf == NULL || o->leaf->cert == NULL || o->leaf->key == NULL) {
        err_set(e, MP_ERR_INVAL, "no certificate for the TLS server side");
        return NULL;
    }
    SSL_CTX *ctx = server_ctx_get(o->min_version, o->max_version, e);
    if (ctx == NULL)
        return NULL;
    struct tls_session *s = session_new(ctx, 0, e);
    if (s == NULL)
        return NULL;
    if (set_ciphers(s, o->ciphers, e) < 0)
        goto fail;
    if (!SSL_use_cert_and_key(s->ssl, o->leaf->cert, o->leaf->key, o->leaf->chain, 1)) {
        err_set(e, MP_ERR_INVAL, "cannot use the leaf certificate: %s", ssl_reason());
        goto fail;
    }
    if (o->nalpn) {
        if (alpn_wire(o->alpn, o->nalpn, &s->alpn_wire, &s->alpn_len, e) < 0)
            goto fail;
    }
    return s;
fail:
    ERR_clear_error();
    tls_session_free(s);
    return NULL;
}

struct tls_session *
tls_session_ref(struct tls_session *s)
{
    s->refs++;
    return s;
}

void
tls_session_free(struct tls_session *s)
{
    if (s == NULL || --s->refs > 0)
        return;
    /* OpenSSL marks the session spent when an SSL that finished its
     * handshake is freed without having sent close_notify, and the session
     * object is the one our upstream cache holds and every connection to
     * that server shares: a server that closed first, an error or a kill
     * would cost the next connection a full handshake. A missing
     * close_notify says nothing against the session's keys (a fatal alert
     * does, and OpenSSL marks the session when the alert passes), so we
     * free as if it had been sent, as nginx does. Client-facing TLS 1.2
     * session IDs stay resumable the same way. */
    if (s->ssl)
        SSL_set_shutdown(s->ssl, SSL_get_shutdown(s->ssl) | SSL_SENT_SHUTDOWN);
    SSL_free(s->ssl);
    free(s->verify_host);
    free(s->alpn_wire);
    free(s->alpn);
    free(s->resume_key);
    free(s->peer_cn);
    for (size_t i = 0; i < s->nsans; i++)
        free(s->sans[i]);
    free(s->sans);
    buf_clear(&s->in);
    buf_clear(&s->out);
    free(s);
}

void
tls_session_feed(struct tls_session *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && s->nhead < sizeof(s->head); i++)
        s->head[s->nhead++] = p[i];
    buf_append(&s->in, p, n);
}

/*
 * The BIO between OpenSSL and a session's buffers. OpenSSL reads records
 * from in (an empty in means "wait for more", never end of file) and
 * writes to out; pending is what in holds, wpending what out holds.
 *
 * One BIO per thread serves every session made on that thread, instead of
 * one each: a BIO is some 350 bytes with its lock, and an idle intercepted
 * connection holds two sessions. OpenSSL touches a BIO only inside the
 * calls we make, one at a time on the session's thread, so each entry
 * point first points the BIO at its session (bind). A session is used on
 * the thread that made it (its connection's loop).
 */
static int
bio_read(BIO *b, char *p, int len)
{
    struct tls_session *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (s->in.len == 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = s->in.len < (size_t)len ? s->in.len : (size_t)len;
    memcpy(p, buf_ptr(&s->in), n);
    buf_consume(&s->in, n);
    if (s->in.len == 0)
        buf_clear(&s->in); /* an idle connection holds no input buffer */
    return (int)n;
}

static int
bio_write(BIO *b, const char *p, int len)
{
    struct tls_session *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    buf_append(&s->out, p, (size_t)len);
    return len;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    struct tls_session *s = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_PENDING:
        return s ? (long)s->in.len : 0;
    case BIO_CTRL_WPENDING:
        return s ? (long)s->out.len : 0;
    case BIO_CTRL_FLUSH:
        return 1;
    default:
        return 0;
    }
}

static int
bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;
/* The thread's BIO; the key's reference is dropped when the thread ends. */
static pthread_key_t bio_key;

static void
bio_key_free(void *b)
{
    BIO_free(b);
}

static void
bio_method_init(void)
{
    bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mitmproxy-c buffers");
    if (bio_method == NULL || !BIO_meth_set_read(bio_method, bio_read) ||
        !BIO_meth_set_write(bio_method, bio_write) || !BIO_meth_set_ctrl(bio_method, bio_ctrl) ||
        !BIO_meth_set_create(bio_method, bio_create) ||
        pthread_key_create(&bio_key, bio_key_free) != 0)
        abort(); /* Out of memory, as xmalloc would. */
}

/* This thread's BIO, with a new reference for the caller. */
static BIO *
thread_bio(void)
{
    pthread_once(&bio_once, bio_method_init);
    BIO *b = pthread_getspecific(bio_key);
    if (b == NULL) {
        if ((b = BIO_new(bio_method)) == NULL || pthread_setspecific(bio_key, b) != 0)
            abort(); /* Out of memory, as xmalloc would. */
    }
    if (!BIO_up_ref(b))
        abort();
    return b;
}

/* Points the session's BIO at it, before any call that may read or write. */
static void
bio_bind(struct tls_session *s)
{
    BIO_set_data(SSL_get_rbio(s->ssl), s);
}

size_t
tls_session_buffered(const struct tls_session *s)
{
    return s->in.cap + s->out.cap;
}

void
tls_session_take_output(struct tls_session *s, struct buf *out)
{
    if (s->out.len == 0)
        return;
    if (out->len == 0) {
        buf_clear(out);
        buf_move(out, &s->out); /* no copy, and nothing stays behind */
        return;
    }
    buf_append(out, buf_ptr(&s->out), s->out.len);
    buf_clear(&s->out);
}

static void
add_san(struct tls_session *s, char *text)
{
    s->sans = xrealloc(s->sans, (s->nsans + 1) * sizeof(*s->sans));
    s->sans[s->nsans++] = text;
}

/* The peer's leaf: on the client side also after a failed verification. */
static X509 *
peer_leaf(const struct tls_session *s)
{
    X509 *x = SSL_get0_peer_certificate(s->ssl);
    if (x == NULL && s->is_client) {
        STACK_OF(X509) *chain = SSL_get_peer_cert_chain(s->ssl);
        if (chain && sk_X509_num(chain) > 0)
            x = sk_X509_value(chain, 0);
    }
    return x;
}

/* The i-th certificate the peer sent, leaf first. On the client side the
 * chain includes the leaf; on the server side it does not, so the leaf
 * comes from SSL_get0_peer_certificate. */
static X509 *
peer_cert_at(const struct tls_session *s, size_t i)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(s->ssl);
    if (s->is_client)
        return chain && i < (size_t)sk_X509_num(chain) ? sk_X509_value(chain, (int)i) : NULL;
    if (i == 0)
        return SSL_get0_peer_certificate(s->ssl);
    return chain && i - 1 < (size_t)sk_X509_num(chain) ? sk_X509_value(chain, (int)(i - 1))
                                                       : NULL;
}

int
tls_session_peer_cert_der(const struct tls_session *s, size_t i, struct buf *out)
{
    X509 *x = peer_cert_at(s, i);
    /* The certificate keeps the encoding it was received in: i2d_X509()
     * copies those bytes. */
    int n = x ? i2d_X509(x, NULL) : -1;
    if (n <= 0)
        return -1;
    buf_reserve(out, (size_t)n);
    unsigned char *p = buf_ptr(out) + out->len;
    if (i2d_X509(x, &p) != n)
        return -1;
    out->len += (size_t)n;
    return 0;
}

static void
load_peer(struct tls_session *s)
{
    if (s->have_peer)
        return;
    X509 *x = peer_leaf(s);
    if (x == NULL)
        return;
    s->have_peer = 1;
    X509_NAME *name = X509_get_subject_name(x);
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx >= 0) {
        unsigned char *utf8 = NULL;
        int n =
            ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
        if (n >= 0 && memchr(utf8, '\0', (size_t)n) == NULL)
            s->peer_cn = xstrndup((char *)utf8, (size_t)n);
        OPENSSL_free(utf8);
    }
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type == GEN_DNS) {
            const unsigned char *p = ASN1_STRING_get0_data(g->d.dNSName);
            int n = ASN1_STRING_length(g->d.dNSName);
            /* An embedded NUL would let a name pose as another. */
            if (n > 0 && memchr(p, '\0', (size_t)n) == NULL)
                add_san(s, xstrndup((const char *)p, (size_t)n));
        } else if (g->type == GEN_IPADD) {
            const unsigned char *p = ASN1_STRING_get0_data(g->d.iPAddress);
            int n = ASN1_STRING_length(g->d.iPAddress);
            char text[INET6_ADDRSTRLEN];
            if ((n == 4 && inet_ntop(AF_INET, p, text, sizeof(text))) ||
                (n == 16 && inet_ntop(AF_INET6, p, text, sizeof(text))))
                add_san(s, xstrdup(text));
        }
    }
    GENERAL_NAMES_free(names);
}

static int
is_cert_alert(int desc)
{
    switch (desc) {
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_CERTIFICATE_REQUIRED:
        return 1;
    }
    return 0;
}

static void
alert_text(int alert, char *out, size_t n)
{
    snprintf(out, n, "%s", SSL_alert_desc_string_long(alert));
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
}

/*
 * Turns a failed handshake or read into a reason a user can act on, in the
 * spirit of mitmproxy's tls layer: a verification result with the peer's
 * name, a certificate the peer refused, a version mismatch, a peer that
 * does not speak TLS, or else OpenSSL's own reason.
 */
static int
fail(struct tls_session *s, const char *what, struct err *e)
{
    const char *peer = s->is_client ? "server" : "client";
    const char *side = s->is_client ? "server" : "client"; /* mitmproxy's option names */
    unsigned long code = ERR_peek_last_error();
    int reason = ERR_GET_REASON(code);
    long vr = SSL_get_verify_result(s->ssl);
    char alert[64] = "";
    if (s->alert_in >= 0)
        alert_text(s->alert_in, alert, sizeof(alert));
    load_peer(s);

    if (s->is_client && vr != X509_V_OK && reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        const char *why = X509_verify_cert_error_string(vr);
        const char *cn = s->peer_cn ? s->peer_cn : "none";
        if ((vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH) &&
            s->verify_host)
            err_set(e, MP_ERR_PROTOCOL, "certificate verify failed: %s (CN=%s, expected %s)", why,
                    cn, s->verify_host);
        else
            err_set(e, MP_ERR_PROTOCOL, "certificate verify failed: %s (CN=%s)", why, cn);
    } else if (s->alert_in >= 0 && is_cert_alert(s->alert_in & 0xff)) {
        if (s->is_client)
            err_set(e, MP_ERR_PROTOCOL, "the server rejected our client certificate (alert: %s)",
                    alert);
        else
            err_set(e, MP_ERR_PROTOCOL, "the client rejected our certificate (alert: %s)", alert);
    } else if ((s->alert_in & 0xff) == SSL_AD_PROTOCOL_VERSION ||
               reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_NO_PROTOCOLS_AVAILABLE ||
               reason == SSL_R_VERSION_TOO_LOW || reason == SSL_R_VERSION_TOO_HIGH) {
        err_set(e, MP_ERR_PROTOCOL,
                "the %s and we cannot agree on a TLS version (%s%s); "
                "see the tls_version_%s_min/max options",
                peer, s->alert_in >= 0 ? "alert: " : "", s->alert_in >= 0 ? alert : ssl_reason(),
                side);
    } else if (s->alert_in >= 0) {
        err_set(e, MP_ERR_PROTOCOL, "%s failed: the %s sent alert \"%s\"", what, peer, alert);
    } else if ((reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST ||
                reason == SSL_R_PACKET_LENGTH_TOO_LONG) &&
               s->nhead == sizeof(s->head) && isprint(s->head[0]) && isprint(s->head[1]) &&
               isprint(s->head[2]) && isprint(s->head[3])) {
        err_set(e, MP_ERR_PROTOCOL, "the %s does not speak TLS", peer);
    } else {
        err_set(e, MP_ERR_PROTOCOL, "%s failed: %s", what, ssl_reason());
    }
    ERR_clear_error();
    return MP_ERR_PROTOCOL;
}

/*
 * Gives OpenSSL's record buffers (17 KiB to read, more to write) back when
 * nothing waits in them. SSL_MODE_RELEASE_BUFFERS does so after application
 * data, but not after a handshake message: a TLS 1.3 client keeps its read
 * buffer after the server's NewSessionTicket, so every idle upstream
 * connection would hold one.
 */
static void
release_buffers(struct tls_session *s)
{
    if (s->in.len != 0 || SSL_has_pending(s->ssl))
        return;
    SSL_free_buffers(s->ssl);
}

int
tls_session_handshake(struct tls_session *s, struct err *e)
{
    if (s->done)
        return 1;
    clear_errors();
    bio_bind(s);
    int r = SSL_do_handshake(s->ssl);
    if (r == 1) {
        s->done = 1;
        release_buffers(s);
        const unsigned char *p;
        unsigned int n;
        SSL_get0_alpn_selected(s->ssl, &p, &n);
        if (n)
            s->alpn = xstrndup((const char *)p, n);
        load_peer(s);
        return 1;
    }
    int ssl_err = SSL_get_error(s->ssl, r);
    if (ssl_err == SSL_ERROR_WANT_READ || ssl_err == SSL_ERROR_WANT_WRITE)
        return 0;
    return fail(s, "TLS handshake", e);
}

int
tls_session_read(struct tls_session *s, struct buf *out, struct err *e)
{
    clear_errors();
    bio_bind(s);
    for (;;) {
        /* Nothing fed and nothing decrypted left: asking OpenSSL anyway would
         * make it allocate its 17 KiB record buffer again, and an idle
         * connection would keep it. */
        if (s->in.len == 0 && !SSL_has_pending(s->ssl)) {
            release_buffers(s);
            return (SSL_get_shutdown(s->ssl) & SSL_RECEIVED_SHUTDOWN) ? 1 : 0;
        }
        buf_reserve(out, READ_CHUNK);
        size_t got = 0;
        int r = SSL_read_ex(s->ssl, buf_ptr(out) + out->len, READ_CHUNK, &got);
        if (r == 1) {
            out->len += got;
            continue;
        }
        switch (SSL_get_error(s->ssl, r)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            return 0;
        case SSL_ERROR_ZERO_RETURN:
            return 1;
        default:
            return fail(s, "TLS read", e);
        }
    }
}

int
tls_session_write(struct tls_session *s, const uint8_t *p, size_t n, struct err *e)
{
    clear_errors();
    bio_bind(s);
    while (n > 0) {
        size_t done = 0;
        int r = SSL_write_ex(s->ssl, p, n, &done);
        if (r != 1) {
            int ssl_err = SSL_get_error(s->ssl, r);
            if (ssl_err == SSL_ERROR_WANT_READ || ssl_err == SSL_ERROR_WANT_WRITE)
                return err_set(e, MP_ERR_INCOMPLETE, "TLS write before the handshake completed");
            return fail(s, "TLS write", e);
        }
        p += done;
        n -= done;
    }
    return 0;
}

void
tls_session_close_notify(struct tls_session *s)
{
    /* Before the handshake there is nothing to close; OpenSSL says so in
     * its error queue, which nobody needs to read. */
    bio_bind(s);
    SSL_shutdown(s->ssl);
    clear_errors();
}

const char *
tls_session_alpn(const struct tls_session *s)
{
    return s->alpn;
}

const char *
tls_session_version(const struct tls_session *s)
{
    return s->done ? SSL_get_version(s->ssl) : NULL;
}

int
tls_session_resumed(const struct tls_session *s)
{
    return s->done && SSL_session_reused(s->ssl);
}

const char *
tls_session_cipher(const struct tls_session *s)
{
    return s->done ? SSL_get_cipher_name(s->ssl) : NULL;
}

const char *
tls_session_peer_cn(const struct tls_session *s)
{
    return s->peer_cn;
}

size_t
tls_session_peer_sans(const struct tls_session *s, const char *const **sans)
{
    *sans = (const char *const *)s->sans;
    return s->nsans;
}

/*
 * Appends x as PEM, byte for byte what PEM_write_bio_X509() writes (64
 * base64 characters a line). This runs for every certificate of every
 * upstream handshake (a flow's certificate_list), and PEM_write_bio_X509()
 * costs three times as much: a memory BIO whose buffer grows by copying
 * and is cleansed on free, and a streaming encoder around the same base64.
 */
static int
append_pem(X509 *x, struct buf *out)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----\n";
    static const char end[] = "-----END CERTIFICATE-----\n";
    enum { LINE = 48 }; /* DER bytes per line of 64 characters */
    int n = i2d_X509(x, NULL);
    if (n <= 0)
        return -1;
    unsigned char *der = xmalloc((size_t)n), *p = der;
    if (i2d_X509(x, &p) != n) {
        free(der);
        return -1;
    }
    size_t lines = ((size_t)n + LINE - 1) / LINE;
    /* Each line is 64 characters and a newline; EVP_EncodeBlock() also
     * writes a NUL after its characters, where the newline then goes. */
    buf_reserve(out, sizeof(begin) - 1 + lines * 65 + sizeof(end));
    buf_append(out, begin, sizeof(begin) - 1);
    for (size_t off = 0; off < (size_t)n; off += LINE) {
        size_t len = (size_t)n - off < LINE ? (size_t)n - off : LINE;
        uint8_t *dst = buf_ptr(out) + out->len;
        out->len += (size_t)EVP_EncodeBlock(dst, der + off, (int)len);
        buf_ptr(out)[out->len++] = '\n';
    }
    buf_append(out, end, sizeof(end) - 1);
    free(der);
    return 0;
}

int
tls_session_peer_cert_pem(const struct tls_session *s, size_t i, struct buf *out)
{
    /* On the client side the chain includes the leaf; on the server side it
     * does not, so the leaf comes first from SSL_get0_peer_certificate. */
    X509 *x = NULL;
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(s->ssl);
    if (s->is_client) {
        if (chain && i < (size_t)sk_X509_num(chain))
            x = sk_X509_value(chain, (int)i);
    } else if (i == 0) {
        x = SSL_get0_peer_certificate(s->ssl);
    } else if (chain && i - 1 < (size_t)sk_X509_num(chain)) {
        x = sk_X509_value(chain, (int)(i - 1));
    }
    if (x == NULL)
        return -1;
    return append_pem(x, out);
}
