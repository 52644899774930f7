#include <stdlib.h>
#include <string.h>

#include "flow/connection.h"
#include "flow/flow.h"
#include "proxy/hook.h"
#include "tls/session.h"
#include "util/xmalloc.h"

const char *
hook_name(enum hook h)
{
    switch (h) {
#define X(name, str)                                                                               \
    case HOOK_##name:                                                                              \
        return str;
        HOOK_MAP(X)
#undef X
    case HOOK__COUNT:
        break;
    }
    return "?";
}

const char *
next_layer_name(enum next_layer l)
{
    switch (l) {
#define X(name, str)                                                                               \
    case NEXT_LAYER_##name:                                                                        \
        return str;
        NEXT_LAYER_MAP(X)
#undef X
    }
    return "?";
}

struct next_layer_data *
next_layer_data_new(struct context *ctx, enum next_layer layer)
{
    struct next_layer_data *d = xcalloc(1, sizeof(*d));
    d->refs = 1;
    d->ctx = ctx;
    d->layer = layer;
    return d;
}

struct next_layer_data *
next_layer_data_ref(struct next_layer_data *d)
{
    d->refs++;
    return d;
}

void
next_layer_data_unref(struct next_layer_data *d)
{
    if (d == NULL || --d->refs > 0)
        return;
    buf_clear(&d->data_client);
    buf_clear(&d->data_server);
    free(d);
}

struct tls_clienthello_data *
tls_clienthello_data_new(struct context *ctx)
{
    struct tls_clienthello_data *d = xcalloc(1, sizeof(*d));
    d->refs = 1;
    d->ctx = ctx;
    return d;
}

struct tls_clienthello_data *
tls_clienthello_data_ref(struct tls_clienthello_data *d)
{
    d->refs++;
    return d;
}

void
tls_clienthello_data_unref(struct tls_clienthello_data *d)
{
    if (d == NULL || --d->refs > 0)
        return;
    ch_free(&d->client_hello);
    free(d);
}

struct tls_data *
tls_data_new(struct context *ctx, struct connection *conn, struct connection *server,
             struct tls_session *server_tls, struct tls_clienthello_data *hello)
{
    struct tls_data *d = xcalloc(1, sizeof(*d));
    d->refs = 1;
    d->ctx = ctx;
    d->conn = connection_ref(conn);
    d->server = server ? connection_ref(server) : NULL;
    d->server_tls = server_tls ? tls_session_ref(server_tls) : NULL;
    /* Shared, not copied: a ClientHello is over a kilobyte, and a
     * connection raises four of these hooks. */
    d->hello = hello ? tls_clienthello_data_ref(hello) : NULL;
    d->client_hello = hello ? &hello->client_hello : NULL;
    return d;
}

struct tls_data *
tls_data_ref(struct tls_data *d)
{
    d->refs++;
    return d;
}

void
tls_data_unref(struct tls_data *d)
{
    if (d == NULL || --d->refs > 0)
        return;
    connection_unref(d->conn);
    if (d->server)
        connection_unref(d->server);
    tls_session_free(d->ssl_conn);
    tls_session_free(d->server_tls);
    tls_clienthello_data_unref(d->hello);
    free(d);
}

struct tls_session *
tls_data_take_session(struct tls_data *d)
{
    struct tls_session *s = d->ssl_conn;
    d->ssl_conn = NULL;
    return s;
}

/* Python's bytes.decode("utf-8", "backslashreplace"), with NUL escaped too
 * so the text can be a C string. */
static char *
backslashreplace(const uint8_t *p, size_t n)
{
    struct buf o = BUF_INIT;
    for (size_t i = 0; i < n;) {
        size_t len = p[i] < 0x80 ? 1 : (p[i] & 0xe0) == 0xc0 ? 2 : (p[i] & 0xf0) == 0xe0 ? 3 : 4;
        int ok = p[i] != 0 && i + len <= n && (p[i] < 0x80 || (p[i] >= 0xc2 && p[i] <= 0xf4));
        for (size_t k = 1; ok && k < len; k++)
            ok = (p[i + k] & 0xc0) == 0x80;
        /* No overlong forms, surrogates or code points past U+10FFFF. */
        if (ok && len == 3)
            ok = !(p[i] == 0xe0 && p[i + 1] < 0xa0) && !(p[i] == 0xed && p[i + 1] >= 0xa0);
        else if (ok && len == 4)
            ok = !(p[i] == 0xf0 && p[i + 1] < 0x90) && !(p[i] == 0xf4 && p[i + 1] >= 0x90);
        if (ok) {
            buf_append(&o, p + i, len);
            i += len;
        } else {
            buf_printf(&o, "\\x%02x", p[i]);
            i++;
        }
    }
    char *s = buf_strdup(&o);
    buf_clear(&o);
    return s;
}

struct socks5_auth_data *
socks5_auth_data_new(struct connection *client, const void *user, size_t ulen, const void *pass,
                     size_t plen)
{
    struct socks5_auth_data *d = xcalloc(1, sizeof(*d));
    d->refs = 1;
    d->client_conn = connection_ref(client);
    d->username = backslashreplace(user, ulen);
    d->password = backslashreplace(pass, plen);
    return d;
}

struct socks5_auth_data *
socks5_auth_data_ref(struct socks5_auth_data *d)
{
    d->refs++;
    return d;
}

void
socks5_auth_data_unref(struct socks5_auth_data *d)
{
    if (d == NULL || --d->refs > 0)
        return;
    connection_unref(d->client_conn);
    free(d->username);
    free(d->password);
    free(d);
}

void
hook_data_init(struct hook_data *d, enum hook h, struct flow *f, struct connection *client,
               struct connection *server)
{
    memset(d, 0, sizeof(*d));
    d->hook = h;
    d->flow = f ? flow_ref(f) : NULL;
    d->client = client ? connection_ref(client) : NULL;
    d->server = server ? connection_ref(server) : NULL;
}

void
hook_data_init_update(struct hook_data *d, struct flow *const *flows, size_t n)
{
    hook_data_init(d, HOOK_UPDATE, NULL, NULL, NULL);
    d->flows = n ? xmalloc(n * sizeof(*d->flows)) : NULL;
    for (size_t i = 0; i < n; i++)
        d->flows[i] = flow_ref(flows[i]);
    d->nflows = n;
}

void
hook_data_clear(struct hook_data *d)
{
    if (d->flow)
        flow_unref(d->flow);
    if (d->client)
        connection_unref(d->client);
    if (d->server)
        connection_unref(d->server);
    next_layer_data_unref(d->next_layer);
    tls_clienthello_data_unref(d->clienthello);
    tls_data_unref(d->tls);
    socks5_auth_data_unref(d->socks5_auth);
    for (size_t i = 0; i < d->nflows; i++)
        flow_unref(d->flows[i]);
    free(d->flows);
    enum hook h = d->hook;
    memset(d, 0, sizeof(*d));
    d->hook = h;
}
