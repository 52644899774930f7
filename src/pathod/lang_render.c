/*
 * Rendering: a message becomes a list of pieces (bytes the render owns,
 * such as "HTTP/1.1 ", and values it borrows from the message), read in
 * order. Values are read through struct preader, so a generated body costs
 * a few bytes of state however long it is. Actions are sorted by offset
 * and fire when the stream reaches them: injections splice their value in,
 * pauses and disconnects end the current pull and are reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/ws.h"
#include "pathod/internal.h"
#include "util/xmalloc.h"

struct piece {
    const struct pval *v; /* borrowed value, or NULL for own bytes */
    size_t own_off;       /* own bytes: where they start in r->own */
    uint64_t len;
    int masked; /* frame payload: XOR with the key */
};

struct ract {
    uint64_t off;
    enum ptok_type type; /* T_PAUSE, T_DISC, T_INJECT */
    int64_t secs;
    const struct pval *inj;
};

struct pathod_render {
    struct buf own; /* owned bytes of the own pieces */
    struct piece *pc;
    size_t npc, cappc;
    struct ract *acts;
    size_t nacts, ai;
    uint64_t total; /* length of the message proper */
    uint64_t pos;   /* bytes of the message proper emitted */
    size_t pi;      /* current piece */
    struct preader rd;
    uint64_t ppos; /* bytes read from the current piece */
    int injecting;
    struct preader inj;
    uint8_t key[4];
    enum pathod_action_kind finished; /* DISCONNECT or DONE once over; NONE before */
};

static void
add_own(struct pathod_render *r, const void *p, size_t n)
{
    if (n == 0)
        return;
    /* Adjacent own bytes grow the previous piece instead of adding one. */
    if (r->npc && !r->pc[r->npc - 1].v &&
        r->pc[r->npc - 1].own_off + r->pc[r->npc - 1].len == r->own.len) {
        buf_append(&r->own, p, n);
        r->pc[r->npc - 1].len += n;
        return;
    }
    if (r->npc == r->cappc) {
        r->cappc = r->cappc ? r->cappc * 2 : 16;
        r->pc = xrealloc(r->pc, r->cappc * sizeof(*r->pc));
    }
    r->pc[r->npc++] = (struct piece){NULL, r->own.len, n, 0};
    buf_append(&r->own, p, n);
}

static void
add_str(struct pathod_render *r, const char *s)
{
    add_own(r, s, strlen(s));
}

static void
add_val(struct pathod_render *r, const struct pval *v, int masked)
{
    uint64_t n = pval_len(v);
    if (n == 0)
        return;
    if (r->npc == r->cappc) {
        r->cappc = r->cappc ? r->cappc * 2 : 16;
        r->pc = xrealloc(r->pc, r->cappc * sizeof(*r->pc));
    }
    r->pc[r->npc++] = (struct piece){v, 0, n, masked};
}

static void
add_headers(struct pathod_render *r, const struct pmsg *m)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct ptok *t = &m->t[i];
        if (t->type != T_HEADER)
            continue;
        if (t->hkind == 'h') {
            add_val(r, &t->key, 0);
        } else {
            struct buf b = BUF_INIT;
            ptok_header_name(t, &b, 64);
            add_own(r, buf_ptr(&b), b.len);
            buf_clear(&b);
        }
        add_str(r, ": ");
        const char *ua = ptok_ua_string(t);
        if (ua)
            add_str(r, ua);
        else
            add_val(r, &t->val, 0);
        add_str(r, "\r\n");
    }
    add_str(r, "\r\n");
}

static void
build_response(struct pathod_render *r, const struct pmsg *m)
{
    const struct ptok *code = pmsg_find(m, T_CODE);
    const struct ptok *reason = pmsg_find(m, T_REASON);
    int c = code ? (int)code->num : 101;
    char line[32];
    snprintf(line, sizeof(line), "HTTP/1.1 %llu ", code ? (unsigned long long)code->num : 101ull);
    add_str(r, line);
    if (reason)
        add_val(r, &reason->val, 0);
    else
        add_str(r, pathod_reason(c));
    add_str(r, "\r\n");
    add_headers(r, m);
    const struct ptok *body = pmsg_find(m, T_BODY);
    if (body)
        add_val(r, &body->val, 0);
}

static void
build_request(struct pathod_render *r, const struct pmsg *m)
{
    const struct ptok *method = pmsg_find(m, T_METHOD);
    if (!method || method->method >= 0)
        add_str(r, pathod_methods[method ? method->method : 0]);
    else
        add_val(r, &method->val, 0);
    add_str(r, " ");
    const struct ptok *path = pmsg_find(m, T_PATH);
    if (path)
        add_val(r, &path->val, 0);
    const struct ptok *nested = pmsg_find(m, T_NESTED);
    if (nested)
        add_val(r, &nested->val, 0);
    add_str(r, " HTTP/1.1\r\n");
    add_headers(r, m);
    const struct ptok *body = pmsg_find(m, T_BODY);
    if (body)
        add_val(r, &body->val, 0);
}

/*
 * The header as pathod's FrameHeader wrote it, except that fin defaults
 * to on: a frame spec means a whole message unless it says -fin.
 */
size_t
pframe_header(const struct pmsg *m, uint8_t out[14])
{
    const struct ptok *t;
    int fin = (t = pmsg_find(m, T_FIN)) ? t->on : 1;
    int rsv1 = (t = pmsg_find(m, T_RSV1)) ? t->on : 0;
    int rsv2 = (t = pmsg_find(m, T_RSV2)) ? t->on : 0;
    int rsv3 = (t = pmsg_find(m, T_RSV3)) ? t->on : 0;
    int opcode = (t = pmsg_find(m, T_OPCODE)) ? (int)t->num : WS_TEXT;
    const struct ptok *key = pmsg_find(m, T_KEY);
    const struct ptok *mask = pmsg_find(m, T_MASK);
    int maskbit = mask ? mask->on : key != NULL;
    uint64_t len = pathod_frame_payload_length((const struct pathod_frame *)m);
    size_t n = 0;
    out[n++] = (uint8_t)((fin << 7) | (rsv1 << 6) | (rsv2 << 5) | (rsv3 << 4) | (opcode & 15));
    uint8_t mb = maskbit ? 0x80 : 0;
    if (len <= 125) {
        out[n++] = mb | (uint8_t)len;
    } else if (len <= 0xffff) {
        out[n++] = mb | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = mb | 127;
        for (int i = 7; i >= 0; i--)
            out[n++] = (uint8_t)(len >> (8 * i));
    }
    if (maskbit && !pmsg_find(m, T_KNONE)) {
        struct buf k = BUF_INIT;
        if (key)
            pval_append(&key->val, &k, 4);
        while (k.len < 4)
            buf_append(&k, "\0", 1);
        memcpy(out + n, buf_ptr(&k), 4);
        buf_clear(&k);
        n += 4;
    }
    return n;
}

static void
build_frame(struct pathod_render *r, const struct pmsg *m)
{
    uint8_t hdr[14];
    size_t n = pframe_header(m, hdr);
    add_own(r, hdr, n);
    /* The key is in the header iff the second byte has the mask bit and knone is absent. */
    int keyed = (hdr[1] & 0x80) && !pmsg_find(m, T_KNONE);
    if (keyed)
        memcpy(r->key, hdr + n - 4, 4);
    const struct ptok *body = pmsg_find(m, T_BODY);
    const struct ptok *raw = pmsg_find(m, T_RAWBODY);
    if (body)
        add_val(r, &body->val, keyed);
    else if (raw)
        add_val(r, &raw->val, 0);
}

struct pathod_render *
pmsg_render(const struct pmsg *m)
{
    struct pathod_render *r = xcalloc(1, sizeof(*r));
    switch (m->kind) {
    case PATHOD_RESPONSE:
        build_response(r, m);
        break;
    case PATHOD_REQUEST:
        build_request(r, m);
        break;
    case PATHOD_FRAME:
        build_frame(r, m);
        break;
    }
    for (size_t i = 0; i < r->npc; i++)
        r->total += r->pc[i].len;
    for (size_t i = 0; i < m->n; i++) {
        const struct ptok *t = &m->t[i];
        if (t->type != T_PAUSE && t->type != T_DISC && t->type != T_INJECT)
            continue;
        r->acts = xrealloc(r->acts, (r->nacts + 1) * sizeof(*r->acts));
        uint64_t off = t->off_kind == 'n' ? t->off : t->off_kind == 'a' ? r->total : 0;
        r->acts[r->nacts++] = (struct ract){off, t->type, t->secs, &t->val};
    }
    /* Insertion sort: stable, and action lists are short. */
    for (size_t i = 1; i < r->nacts; i++) {
        struct ract a = r->acts[i];
        size_t j = i;
        while (j > 0 && r->acts[j - 1].off > a.off) {
            r->acts[j] = r->acts[j - 1];
            j--;
        }
        r->acts[j] = a;
    }
    if (r->npc && r->pc[0].v)
        preader_init(&r->rd, r->pc[0].v);
    return r;
}

void
pathod_render_free(struct pathod_render *r)
{
    if (!r)
        return;
    buf_clear(&r->own);
    free(r->pc);
    free(r->acts);
    free(r);
}

uint64_t
pathod_render_length(const struct pathod_render *r)
{
    return r->total;
}

uint64_t
pmsg_length(const struct pmsg *m)
{
    struct pathod_render *r = pmsg_render(m);
    uint64_t n = r->total;
    pathod_render_free(r);
    return n;
}

/* Reads up to n bytes of the message proper from the current piece onwards. */
static ssize_t
read_base(struct pathod_render *r, uint8_t *dst, size_t n)
{
    size_t got = 0;
    while (got < n && r->pi < r->npc) {
        const struct piece *p = &r->pc[r->pi];
        uint64_t left = p->len - r->ppos;
        if (left == 0) {
            r->pi++;
            r->ppos = 0;
            if (r->pi < r->npc && r->pc[r->pi].v)
                preader_init(&r->rd, r->pc[r->pi].v);
            continue;
        }
        size_t k = n - got < left ? n - got : (size_t)left;
        if (!p->v) {
            memcpy(dst + got, buf_ptr(&r->own) + p->own_off + r->ppos, k);
        } else {
            ssize_t rc = preader_read(&r->rd, dst + got, k);
            if (rc != (ssize_t)k)
                return MP_ERR_IO;
            if (p->masked)
                ws_mask(dst + got, k, r->key, r->ppos);
        }
        r->ppos += k;
        got += k;
    }
    return (ssize_t)got;
}

ssize_t
pathod_render_next(struct pathod_render *r, uint8_t *dst, size_t cap, struct pathod_action *act)
{
    act->kind = PATHOD_ACT_NONE;
    act->seconds = 0;
    if (r->finished) {
        act->kind = r->finished;
        return 0;
    }
    size_t n = 0;
    while (n < cap) {
        if (r->injecting) {
            ssize_t k = preader_read(&r->inj, dst + n, cap - n);
            if (k < 0)
                return k;
            if (k == 0)
                r->injecting = 0;
            n += (size_t)k;
            continue;
        }
        if (r->ai < r->nacts && (r->acts[r->ai].off <= r->pos || r->pos == r->total)) {
            const struct ract *a = &r->acts[r->ai++];
            if (a->type == T_INJECT) {
                preader_init(&r->inj, a->inj);
                r->injecting = 1;
                continue;
            }
            if (a->type == T_PAUSE) {
                act->kind = PATHOD_ACT_PAUSE;
                act->seconds = a->secs;
                return (ssize_t)n;
            }
            r->finished = act->kind = PATHOD_ACT_DISCONNECT;
            return (ssize_t)n;
        }
        if (r->pos == r->total) {
            r->finished = act->kind = PATHOD_ACT_DONE;
            return (ssize_t)n;
        }
        uint64_t limit = r->total - r->pos;
        if (r->ai < r->nacts && r->acts[r->ai].off - r->pos < limit)
            limit = r->acts[r->ai].off - r->pos;
        size_t want = cap - n < limit ? cap - n : (size_t)limit;
        ssize_t k = read_base(r, dst + n, want);
        if (k < 0)
            return k;
        if (k == 0) {
            /* Pieces ran out before total: cannot happen unless a value shrank. */
            return MP_ERR_IO;
        }
        r->pos += (uint64_t)k;
        n += (size_t)k;
    }
    /* dst is full; report DONE now when nothing is left, so callers need no extra pull. */
    if (!r->injecting && r->pos == r->total && r->ai == r->nacts)
        r->finished = act->kind = PATHOD_ACT_DONE;
    return (ssize_t)n;
}
