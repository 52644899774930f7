/*
 * Resolve: fix every random choice and add the automatic parts, so that
 * the message renders the same bytes every time and prints as a spec that
 * says exactly what was sent (pathod's resolve followed by freeze).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "pathod/internal.h"

static void
add_header(struct pmsg *m, const char *name, const char *value)
{
    struct ptok *t = pmsg_add(m, T_HEADER);
    t->hkind = 'h';
    pval_set_lit(&t->key, name, strlen(name));
    pval_set_lit(&t->val, value, strlen(value));
}

static void
add_missing(struct pmsg *m, const char *name, const char *value)
{
    if (!pmsg_header(m, name))
        add_header(m, name, value);
}

static int
resolve_values(struct pmsg *m, const struct pathod_settings *s, struct err *e)
{
    for (size_t i = 0; i < m->n; i++) {
        struct ptok *t = &m->t[i];
        if (t->type == T_NESTED)
            continue; /* its value is the nested spec, redone below */
        if (pval_resolve(&t->key, s, e) < 0 || pval_resolve(&t->val, s, e) < 0)
            return e ? e->code : MP_ERR_INVAL;
    }
    return 0;
}

static void
add_content_length(struct pmsg *m, int always)
{
    if (pmsg_find(m, T_RAW) || pmsg_header(m, "Content-Length"))
        return;
    const struct ptok *b = pmsg_find(m, T_BODY);
    if (!b && !always)
        return;
    char n[24];
    snprintf(n, sizeof(n), "%llu", (unsigned long long)(b ? pval_len(&b->val) : 0));
    add_header(m, "Content-Length", n);
}

static int
resolve_response(struct pmsg *m, const struct pathod_settings *s, int nested, struct err *e)
{
    if (pmsg_find(m, T_WS)) {
        if (!pmsg_find(m, T_CODE))
            pmsg_insert(m, 1, T_CODE)->num = 101;
        if (s->ws_key) {
            char accept[29];
            pathod_ws_accept(s->ws_key, accept);
            add_missing(m, "Connection", "Upgrade");
            add_missing(m, "Upgrade", "websocket");
            add_missing(m, "Sec-WebSocket-Accept", accept);
        } else if (!nested) {
            return err_set(e, MP_ERR_INVAL,
                           "no websocket key: a ws response needs the client's handshake");
        }
    }
    if (resolve_values(m, s, e) < 0)
        return e ? e->code : MP_ERR_INVAL;
    add_content_length(m, 1);
    return 0;
}

static int
resolve_request(struct pmsg *m, const struct pathod_settings *s, struct err *e)
{
    if (pmsg_find(m, T_WS)) {
        if (!pmsg_find(m, T_METHOD))
            pmsg_insert(m, 1, T_METHOD)->method = 0;
        uint8_t raw[16];
        for (int i = 0; i < 16; i += 8) {
            uint64_t x = pathod_rand64();
            memcpy(raw + i, &x, 8);
        }
        char key[25];
        EVP_EncodeBlock((unsigned char *)key, raw, 16);
        add_missing(m, "Connection", "Upgrade");
        add_missing(m, "Upgrade", "websocket");
        add_missing(m, "Sec-WebSocket-Key", key);
        add_missing(m, "Sec-WebSocket-Version", "13");
    }
    for (size_t i = 0; i < m->n; i++) {
        struct ptok *t = &m->t[i];
        if (t->type != T_NESTED)
            continue;
        int rc = pmsg_resolve(t->nested, s, 1, e);
        if (rc < 0)
            return rc;
        struct buf b = BUF_INIT;
        pmsg_spec(t->nested, &b);
        pval_set_lit(&t->val, buf_ptr(&b), b.len);
        buf_clear(&b);
    }
    if (resolve_values(m, s, e) < 0)
        return e ? e->code : MP_ERR_INVAL;
    add_content_length(m, 0);
    /* As in pathod, the raw flag also keeps the automatic Host header out. */
    if (s->host && !pmsg_find(m, T_RAW))
        add_missing(m, "Host", s->host);
    return 0;
}

static int
resolve_frame(struct pmsg *m, const struct pathod_settings *s, struct err *e)
{
    if (!pmsg_find(m, T_MASK) && s->is_client)
        pmsg_add(m, T_MASK)->on = 1;
    const struct ptok *mask = pmsg_find(m, T_MASK);
    if (mask && mask->on && !pmsg_find(m, T_KNONE) && !pmsg_find(m, T_KEY)) {
        static const char alnum[] =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        char k[4];
        for (int i = 0; i < 4; i++)
            k[i] = alnum[pathod_rand_below(sizeof(alnum) - 1)];
        pval_set_lit(&pmsg_add(m, T_KEY)->val, k, 4);
    }
    if (resolve_values(m, s, e) < 0)
        return e ? e->code : MP_ERR_INVAL;
    const struct ptok *key = pmsg_find(m, T_KEY);
    if (key && pval_len(&key->val) != 4)
        return err_set(e, MP_ERR_INVAL, "invalid key length: %llu bytes, should be 4",
                       (unsigned long long)pval_len(&key->val));
    return 0;
}

int
pmsg_resolve(struct pmsg *m, const struct pathod_settings *s, int nested, struct err *e)
{
    static const struct pathod_settings none;
    if (!s)
        s = &none;
    err_clear(e);
    int rc = 0;
    switch (m->kind) {
    case PATHOD_RESPONSE:
        rc = resolve_response(m, s, nested, e);
        break;
    case PATHOD_REQUEST:
        rc = resolve_request(m, s, e);
        break;
    case PATHOD_FRAME:
        rc = resolve_frame(m, s, e);
        break;
    }
    if (rc < 0)
        return rc;
    /* Offsets last: they count the bytes of the finished message. */
    uint64_t len = pmsg_length(m);
    for (size_t i = 0; i < m->n; i++) {
        struct ptok *t = &m->t[i];
        if (t->type != T_PAUSE && t->type != T_DISC && t->type != T_INJECT)
            continue;
        if (t->off_kind == 'r')
            t->off = pathod_rand_below(len);
        else if (t->off_kind == 'a')
            t->off = len;
        t->off_kind = 'n';
    }
    return 0;
}
