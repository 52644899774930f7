/*
 * Domain names on the wire (RFC 1035 3.1, 4.1.4): length-prefixed labels
 * ending in the empty root label, or in a pointer to an earlier name.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/internal.h"
#include "util/xmalloc.h"

/* A label byte mitmproxy 8.1.1 decodes (ASCII, via the idna codec) and a C
 * string and the dotted text can hold. */
static int
label_byte_ok(uint8_t c)
{
    return c != 0 && c != '.' && c < 0x80;
}

int
dns__read_name(const uint8_t *msg, size_t len, size_t *off, size_t max_pointers, struct buf *out,
               struct err *e)
{
    size_t pos = *off, start = *off, wire = 0, pointers = 0;
    int jumped = 0;
    for (;;) {
        if (pos >= len)
            return err_set(e, MP_ERR_PROTOCOL, "name at offset %zu runs past the end", start);
        uint8_t c = msg[pos];
        if ((c & 0xc0) == 0xc0) {
            if (max_pointers == 0)
                return err_set(e, MP_ERR_PROTOCOL,
                               "name at offset %zu holds a compression pointer where none may be",
                               start);
            if (pos + 1 >= len)
                return err_set(e, MP_ERR_PROTOCOL, "name at offset %zu: pointer cut short", start);
            size_t target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
            if (!jumped)
                *off = pos + 2;
            jumped = 1;
            /* RFC 1035 4.1.4: a pointer names a prior occurrence. Requiring
             * it to land before the segment it ends makes every jump go
             * further back, so a loop cannot form. */
            if (target >= start)
                return err_set(e, MP_ERR_PROTOCOL,
                               "name at offset %zu: compression pointer to %zu does not point "
                               "backwards",
                               *off - 2, target);
            if (++pointers > max_pointers)
                return err_set(e, MP_ERR_LIMIT, "name at offset %zu: more than %zu pointers",
                               *off - 2, max_pointers);
            pos = start = target;
            continue;
        }
        if (c & 0xc0)
            return err_set(e, MP_ERR_PROTOCOL, "name at offset %zu: label type 0x%02x unsupported",
                           pos, c & 0xc0);
        wire += 1u + c;
        if (wire > DNS_MAX_NAME)
            return err_set(e, MP_ERR_PROTOCOL, "name at offset %zu is longer than %d bytes", *off,
                           DNS_MAX_NAME);
        if (c == 0) {
            if (!jumped)
                *off = pos + 1;
            return 0;
        }
        if (pos + 1 + c > len)
            return err_set(e, MP_ERR_PROTOCOL,
                           "name at offset %zu: label of %u bytes runs past the end", start, c);
        for (size_t i = 0; i < c; i++)
            if (!label_byte_ok(msg[pos + 1 + i]))
                return err_set(e, MP_ERR_PROTOCOL,
                               "name at offset %zu: label holds the byte 0x%02x", pos,
                               msg[pos + 1 + i]);
        if (wire > 1u + c)
            buf_append(out, ".", 1);
        buf_append(out, msg + pos + 1, c);
        pos += 1u + c;
    }
}

int
dns_name_pack(struct buf *out, const char *name, struct err *e)
{
    size_t n = strlen(name), total = 1, mark = out->len;
    const char *p = name;
    while (n > 0 && p <= name + n) {
        const char *dot = memchr(p, '.', (size_t)(name + n - p));
        size_t l = dot ? (size_t)(dot - p) : (size_t)(name + n - p);
        if (l == 0 || l > DNS_MAX_LABEL) {
            out->len = mark;
            return err_set(e, MP_ERR_INVAL, "domain name '%.64s' has a label of %zu bytes", name,
                           l);
        }
        for (size_t i = 0; i < l; i++)
            if (!label_byte_ok((uint8_t)p[i])) {
                out->len = mark;
                return err_set(e, MP_ERR_INVAL, "domain name '%.64s' holds the byte 0x%02x", name,
                               (uint8_t)p[i]);
            }
        total += 1 + l;
        if (total > DNS_MAX_NAME) {
            out->len = mark;
            return err_set(e, MP_ERR_INVAL, "domain name '%.64s' is longer than %d bytes", name,
                           DNS_MAX_NAME);
        }
        uint8_t lb = (uint8_t)l;
        buf_append(out, &lb, 1);
        buf_append(out, p, l);
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    buf_append(out, "", 1);
    return 0;
}

char *
dns_name_unpack(const uint8_t *p, size_t n, struct err *e)
{
    struct buf b = BUF_INIT;
    size_t off = 0;
    if (dns__read_name(p, n, &off, 0, &b, e) < 0) {
        buf_clear(&b);
        return NULL;
    }
    if (off != n) {
        buf_clear(&b);
        err_set(e, MP_ERR_PROTOCOL, "%zu bytes after the name", n - off);
        return NULL;
    }
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}
