/*
 * A stored record's plain part: the text that ~h and ~b search, kept
 * uncompressed in front of the record's zstd frame. Over a million rows a
 * filter must not decompress and parse a record per row to find it: ~h
 * built each flow's header list from its headers frame (decompressed,
 * then parsed), and ~b decoded every DNS flow's messages from its record
 * (75,000 instructions a flow). With the plain part, both search bytes
 * that are already there, as the flow's own parts would give them
 * (filt_match_text): a derived copy, never read back into a flow.
 *
 * Layout (in-process only, never written to a flow file):
 *
 *   u8 flags                 PLAIN_HEADERS, PLAIN_MESSAGES: which texts
 *                            are all there
 *   entries: u8 tag, u32 length (little-endian), the bytes
 *     'q' 's'                request and response headers, bytes(Headers):
 *                            "name: value\r\n" per field (one for each
 *                            message there is)
 *     'c' 'v'                a message from the client or the server: a
 *                            DNS flow's request and response
 *                            (Message.content), TCP and WebSocket messages
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/xmalloc.h"

size_t
store__plain_open(struct buf *out)
{
    size_t at = out->len;
    buf_append(out, "", 1);
    return at;
}

void
store__plain_set(struct buf *out, size_t at, unsigned flags)
{
    buf_ptr(out)[at] |= (uint8_t)flags;
}

size_t
store__plain_entry(struct buf *out, int tag)
{
    uint8_t head[5] = {(uint8_t)tag, 0, 0, 0, 0};
    buf_append(out, head, sizeof(head));
    return out->len;
}

void
store__plain_entry_end(struct buf *out, size_t start)
{
    size_t n = out->len - start;
    uint8_t *len = buf_ptr(out) + start - 4;
    for (int i = 0; i < 4; i++)
        len[i] = (uint8_t)(n >> (8 * i));
}

void
store__plain_add(struct buf *out, int tag, const void *p, size_t n)
{
    size_t start = store__plain_entry(out, tag);
    buf_append(out, p, n);
    store__plain_entry_end(out, start);
}

void
store__plain_field(struct buf *out, const void *name, size_t nn, const void *value, size_t vn)
{
    buf_reserve(out, nn + vn + 4);
    uint8_t *p = buf_ptr(out) + out->len;
    memcpy(p, name, nn);
    memcpy(p + nn, ": ", 2);
    memcpy(p + nn + 2, value, vn);
    memcpy(p + nn + 2 + vn, "\r\n", 2);
    out->len += nn + vn + 4;
}

static void
headers(struct buf *out, int tag, const struct hdrs *h)
{
    size_t start = store__plain_entry(out, tag);
    for (size_t i = 0; i < h->n; i++)
        store__plain_field(out, h->v[i].name, h->v[i].name_len, h->v[i].value, h->v[i].value_len);
    store__plain_entry_end(out, start);
}

void
store__plain_dns(struct buf *out, const struct dns_message *rq, const struct dns_message *rs)
{
    size_t at = store__plain_open(out);
    struct buf b = BUF_INIT;
    for (int i = 0; i < 2; i++) {
        const struct dns_message *m = i == 0 ? rq : rs;
        if (m == NULL)
            continue;
        buf_reset(&b);
        dns_message_content(&b, m);
        store__plain_add(out, i == 0 ? 'c' : 'v', buf_ptr(&b), b.len);
    }
    buf_clear(&b);
    store__plain_set(out, at, PLAIN_MESSAGES);
}

void
store__plain_from_flow(const struct flow *f, struct buf *out)
{
    if (f->type == FLOW_DNS) {
        store__plain_dns(out, f->dns_request, f->dns_response);
        return;
    }
    size_t at = store__plain_open(out);
    if (f->type == FLOW_TCP) {
        for (size_t i = 0; i < f->nmessages; i++) {
            const struct tcp_message *m = &f->messages[i];
            store__plain_add(out, m->from_client ? 'c' : 'v', buf_ptr(&m->content), m->content.len);
        }
        store__plain_set(out, at, PLAIN_MESSAGES);
        return;
    }
    if (f->request)
        headers(out, 'q', &f->request->headers);
    if (f->response)
        headers(out, 's', &f->response->headers);
    store__plain_set(out, at, PLAIN_HEADERS);
    if (f->websocket) {
        for (size_t i = 0; i < f->websocket->nmessages; i++) {
            const struct ws_message *m = &f->websocket->messages[i];
            store__plain_add(out, m->from_client ? 'c' : 'v', buf_ptr(&m->content), m->content.len);
        }
        store__plain_set(out, at, PLAIN_MESSAGES);
    }
}

int
store__plain_read(const uint8_t *p, size_t n, struct plain *out)
{
    out->flags = 0;
    out->text = (struct filt_text){0};
    out->nmsgs = 0;
    if (n == 0)
        return 0;
    unsigned flags = p[0];
    size_t i = 1;
    while (i < n) {
        if (n - i < 5)
            return MP_ERR_CORRUPT;
        int tag = p[i];
        size_t len = (size_t)p[i + 1] | (size_t)p[i + 2] << 8 | (size_t)p[i + 3] << 16 |
                     (size_t)p[i + 4] << 24;
        i += 5;
        if (len > n - i)
            return MP_ERR_CORRUPT;
        struct slice s = slice_from(p + i, len);
        i += len;
        if (tag == 'q' || tag == 's') {
            out->text.headers[tag == 's'] = s;
        } else if (tag == 'c' || tag == 'v') {
            if (out->nmsgs == out->capmsgs) {
                out->capmsgs = out->capmsgs ? out->capmsgs * 2 : 16;
                out->msgs = xrealloc(out->msgs, out->capmsgs * sizeof(*out->msgs));
            }
            out->msgs[out->nmsgs++] = (struct filt_msgtext){s, tag == 'c'};
        } else {
            return MP_ERR_CORRUPT;
        }
    }
    out->flags = flags & (PLAIN_HEADERS | PLAIN_MESSAGES);
    out->text.have_headers = !!(flags & PLAIN_HEADERS);
    out->text.have_messages = !!(flags & PLAIN_MESSAGES);
    out->text.messages = out->msgs;
    out->text.nmessages = out->nmsgs;
    return 0;
}

void
store__plain_clear(struct plain *pl)
{
    free(pl->msgs);
    memset(pl, 0, sizeof(*pl));
}
