#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/certchain.h"
#include "flow/connection.h"
#include "flow/internal.h"
#include "flow/tnetstring.h"
#include "util/xmalloc.h"

struct connection *
connection_new(enum conn_side side)
{
    struct connection *c = xcalloc(1, sizeof(*c));
    atomic_init(&c->refs, 1);
    c->side = side;
    uuid_new(c->id);
    c->state = CONN_CLOSED;
    return c;
}

struct connection *
connection_ref(struct connection *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void
connection_unref(struct connection *c)
{
    if (c == NULL)
        return;
    /* acq_rel so that the freeing thread sees every write made before the
     * other references were dropped. */
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    addr_clear(&c->address);
    addr_clear(&c->peername);
    addr_clear(&c->sockname);
    addr_clear(&c->via);
    free(c->error);
    free(c->sni);
    free(c->alpn);
    free(c->tls_version);
    free(c->cipher);
    certchain_unref(c->certs);
    free(c->alpn_offers);
    tns_free(c->extra);
    free(c);
}

static char *
dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

struct connection *
connection_copy(const struct connection *src)
{
    struct connection *c = xmalloc(sizeof(*c));
    *c = *src;
    atomic_init(&c->refs, 1);
    c->address.host = dup_or_null(src->address.host);
    c->peername.host = dup_or_null(src->peername.host);
    c->sockname.host = dup_or_null(src->sockname.host);
    c->via.host = dup_or_null(src->via.host);
    c->error = dup_or_null(src->error);
    c->sni = dup_or_null(src->sni);
    c->alpn = dup_or_null(src->alpn);
    c->tls_version = dup_or_null(src->tls_version);
    c->cipher = dup_or_null(src->cipher);
    c->certs = src->certs ? certchain_ref(src->certs) : NULL;
    c->alpn_offers = dup_or_null(src->alpn_offers);
    c->extra = tns_copy(src->extra);
    c->driver_data = NULL;
    return c;
}

const char *
connection_leaf_pem(const struct connection *c, size_t *len)
{
    if (c->certs)
        return certchain_pem(c->certs, 0, len);
    const struct tns *l = tns_dict_get(c->extra, "certificate_list");
    if (l == NULL || l->type != TNS_LIST || l->u.list.n == 0)
        return NULL;
    const struct tns *pem = l->u.list.v[0];
    if (pem->type != TNS_BYTES && pem->type != TNS_TEXT)
        return NULL;
    *len = pem->u.str.len;
    return pem->u.str.p;
}

void
connection_set_alpn_offers(struct connection *c, const char *const *names, size_t n)
{
    size_t size = 1;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        size += len >= 1 && len <= 255 ? len + 1 : 0;
    }
    free(c->alpn_offers);
    c->alpn_offers = NULL;
    if (size == 1)
        return;
    char *p = c->alpn_offers = xmalloc(size);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (len < 1 || len > 255)
            continue;
        *p++ = (char)len;
        memcpy(p, names[i], len);
        p += len;
    }
    *p = '\0';
}

const char *
connection_alpn_offer(const struct connection *c, size_t i, size_t *len)
{
    const unsigned char *p = (const unsigned char *)c->alpn_offers;
    if (p == NULL)
        return NULL;
    for (; *p; p += 1 + *p) {
        if (i-- == 0) {
            *len = *p;
            return (const char *)p + 1;
        }
    }
    return NULL;
}

void
addr_format(const struct addr *a, char *out, size_t outlen)
{
    const char *host = a->host ? a->host : "";
    if (strchr(host, ':'))
        snprintf(out, outlen, "[%s]:%u", host, a->port);
    else
        snprintf(out, outlen, "%s:%u", host, a->port);
}

void
addr_set(struct addr *a, const char *host, uint16_t port)
{
    char *h = host ? xstrdup(host) : NULL;
    free(a->host);
    a->host = h;
    a->port = port;
}

void
addr_clear(struct addr *a)
{
    free(a->host);
    a->host = NULL;
    a->port = 0;
}
