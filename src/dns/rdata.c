/*
 * Record data: typed reading of the types mitmproxy knows, and the text
 * mitmproxy 8.1.1 prints for a record (str(ResourceRecord)), which the
 * dumper and the ~b filters show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/internal.h"
#include "util/xmalloc.h"

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A name inside record data, without pointers; *off moves past it. */
static char *
name_at(const uint8_t *p, size_t n, size_t *off, struct err *e)
{
    struct buf b = BUF_INIT;
    if (dns__read_name(p, n, off, 0, &b, e) < 0) {
        buf_clear(&b);
        return NULL;
    }
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

static int
exact(size_t n, size_t want, const char *type, struct err *e)
{
    return n == want ? 0
                     : err_set(e, MP_ERR_PROTOCOL, "%s data of %zu bytes, not %zu", type, n, want);
}

static int
txt_strings(const uint8_t *p, size_t n, struct dns_rdata *out, struct err *e)
{
    size_t count = 0;
    for (size_t off = 0; off < n; off += 1u + p[off])
        count++;
    out->u.txt.strings = xcalloc(count ? count : 1, sizeof(struct slice));
    for (size_t off = 0; off < n; off += 1u + p[off]) {
        if (off + 1u + p[off] > n)
            return err_set(e, MP_ERR_PROTOCOL,
                           "TXT string at offset %zu: %u bytes run past the data", off, p[off]);
        out->u.txt.strings[out->u.txt.n++] = slice_from(p + off + 1, p[off]);
    }
    if (n == 0)
        return err_set(e, MP_ERR_PROTOCOL, "TXT data is empty (one string at least)");
    return 0;
}

/* RFC 9460 2.2: SvcPriority, TargetName, then params with ascending keys. */
static int
svcb(const uint8_t *p, size_t n, struct dns_rdata *out, struct err *e)
{
    if (n < 3)
        return err_set(e, MP_ERR_PROTOCOL, "SVCB data of %zu bytes is too short", n);
    out->u.svcb.priority = get16(p);
    size_t off = 2;
    if ((out->u.svcb.target = name_at(p, n, &off, e)) == NULL)
        return MP_ERR_PROTOCOL;
    size_t count = 0;
    for (size_t o = off; o + 4 <= n; o += 4u + get16(p + o + 2))
        count++;
    out->u.svcb.params = xcalloc(count ? count : 1, sizeof(struct dns_svcparam));
    while (off < n) {
        if (n - off < 4)
            return err_set(e, MP_ERR_PROTOCOL, "SvcParam at offset %zu cut short", off);
        uint16_t key = get16(p + off), len = get16(p + off + 2);
        if (n - off - 4 < len)
            return err_set(e, MP_ERR_PROTOCOL,
                           "SvcParam %u at offset %zu: %u bytes run past the data", key, off, len);
        size_t k = out->u.svcb.nparams;
        if (k > 0 && out->u.svcb.params[k - 1].key >= key)
            return err_set(e, MP_ERR_PROTOCOL, "SvcParam keys not ascending at offset %zu", off);
        out->u.svcb.params[k].key = key;
        out->u.svcb.params[k].value = slice_from(p + off + 4, len);
        out->u.svcb.nparams++;
        off += 4u + len;
    }
    return 0;
}

int
dns_rdata_parse(uint16_t type, const uint8_t *p, size_t n, struct dns_rdata *out, struct err *e)
{
    memset(out, 0, sizeof(*out));
    out->type = type;
    size_t off = 0;
    int rc = 0;
    switch (type) {
    case DNS_TYPE_A:
        if ((rc = exact(n, 4, "A", e)) == 0)
            memcpy(out->u.a, p, 4);
        return rc;
    case DNS_TYPE_AAAA:
        if ((rc = exact(n, 16, "AAAA", e)) == 0)
            memcpy(out->u.aaaa, p, 16);
        return rc;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        if ((out->u.name = name_at(p, n, &off, e)) == NULL)
            return MP_ERR_PROTOCOL;
        break;
    case DNS_TYPE_MX:
        if (n < 3)
            return err_set(e, MP_ERR_PROTOCOL, "MX data of %zu bytes is too short", n);
        out->u.mx.preference = get16(p);
        off = 2;
        if ((out->u.mx.exchange = name_at(p, n, &off, e)) == NULL)
            return MP_ERR_PROTOCOL;
        break;
    case DNS_TYPE_SRV:
        if (n < 7)
            return err_set(e, MP_ERR_PROTOCOL, "SRV data of %zu bytes is too short", n);
        out->u.srv.priority = get16(p);
        out->u.srv.weight = get16(p + 2);
        out->u.srv.port = get16(p + 4);
        off = 6;
        if ((out->u.srv.target = name_at(p, n, &off, e)) == NULL)
            return MP_ERR_PROTOCOL;
        break;
    case DNS_TYPE_SOA:
        if ((out->u.soa.mname = name_at(p, n, &off, e)) == NULL ||
            (out->u.soa.rname = name_at(p, n, &off, e)) == NULL) {
            dns_rdata_clear(out);
            return MP_ERR_PROTOCOL;
        }
        if (n - off != 20) {
            dns_rdata_clear(out);
            return err_set(e, MP_ERR_PROTOCOL, "SOA counters take %zu bytes, not 20", n - off);
        }
        out->u.soa.serial = get32(p + off);
        out->u.soa.refresh = get32(p + off + 4);
        out->u.soa.retry = get32(p + off + 8);
        out->u.soa.expire = get32(p + off + 12);
        out->u.soa.minimum = get32(p + off + 16);
        return 0;
    case DNS_TYPE_TXT:
        rc = txt_strings(p, n, out, e);
        if (rc < 0)
            dns_rdata_clear(out);
        return rc;
    case DNS_TYPE_SVCB:
    case DNS_TYPE_HTTPS:
        rc = svcb(p, n, out, e);
        if (rc < 0)
            dns_rdata_clear(out);
        return rc;
    default:
        return err_set(e, MP_ERR_UNSUPPORTED, "no typed reading of type %u", type);
    }
    if (off != n) {
        dns_rdata_clear(out);
        return err_set(e, MP_ERR_PROTOCOL, "%zu bytes after the name", n - off);
    }
    return 0;
}

void
dns_rdata_clear(struct dns_rdata *r)
{
    switch (r->type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        free(r->u.name);
        break;
    case DNS_TYPE_MX:
        free(r->u.mx.exchange);
        break;
    case DNS_TYPE_SRV:
        free(r->u.srv.target);
        break;
    case DNS_TYPE_SOA:
        free(r->u.soa.mname);
        free(r->u.soa.rname);
        break;
    case DNS_TYPE_TXT:
        free(r->u.txt.strings);
        break;
    case DNS_TYPE_SVCB:
    case DNS_TYPE_HTTPS:
        free(r->u.svcb.target);
        free(r->u.svcb.params);
        break;
    default:
        break;
    }
    memset(r, 0, sizeof(*r));
}

const char *
dns_svcparam_key_str(unsigned key, char tmp[DNS_STR_MAX])
{
    static const char *const names[] = {"mandatory", "alpn", "no-default-alpn", "port",
                                        "ipv4hint",  "ech",  "ipv6hint"};
    if (key < sizeof(names) / sizeof(names[0]))
        return names[key];
    snprintf(tmp, DNS_STR_MAX, "key%u", key & 0xffff);
    return tmp;
}

/* Python's strict UTF-8 decoding: no overlong forms, no surrogates. */
static int
utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t need;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            need = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            need = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += need + 1;
    }
    return 1;
}

/* str(IPv6Address) of Python 3.11: lowercase hextets without leading
 * zeros, the longest run of two or more zero hextets (the first of equal
 * runs) as "::"; IPv4-mapped addresses stay hextets. */
static void
put_ipv6(struct buf *out, const uint8_t *a)
{
    unsigned h[8];
    for (int i = 0; i < 8; i++)
        h[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (h[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && h[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    if (best_len < 2)
        best = -1, best_len = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            buf_append_str(out, "::");
            i += best_len - 1;
            continue;
        }
        if (i > 0 && i != best + best_len)
            buf_append(out, ":", 1);
        buf_printf(out, "%x", h[i]);
    }
}

static void
put_hex(struct buf *out, const struct buf *data)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = buf_ptr(data);
    buf_append_str(out, "0x");
    for (size_t i = 0; i < data->len; i++) {
        char x[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
        buf_append(out, x, 2);
    }
}

void
dns_rr_str(struct buf *out, const struct dns_rr *rr)
{
    const uint8_t *p = buf_ptr(&rr->data);
    size_t n = rr->data.len;
    switch (rr->type) {
    case DNS_TYPE_A:
        if (n != 4)
            break;
        buf_printf(out, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
        return;
    case DNS_TYPE_AAAA:
        if (n != 16)
            break;
        put_ipv6(out, p);
        return;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR: {
        char *name = dns_name_unpack(p, n, NULL);
        if (name == NULL)
            break;
        buf_append_str(out, name);
        free(name);
        return;
    }
    case DNS_TYPE_TXT:
        /* mitmproxy decodes the whole data, length bytes included. */
        if (!utf8_ok(p, n))
            break;
        buf_append(out, p, n);
        return;
    default:
        put_hex(out, &rr->data);
        return;
    }
    char tmp[DNS_STR_MAX];
    put_hex(out, &rr->data);
    buf_printf(out, " (invalid %s data)", dns_type_str(rr->type, tmp));
}

void
dns_message_content(struct buf *out, const struct dns_message *m)
{
    const struct dns_rrs *secs[3] = {&m->answers, &m->authorities, &m->additionals};
    int first = 1;
    for (size_t i = 0; i < m->nquestions; i++, first = 0) {
        if (!first)
            buf_append(out, "\r\n", 2);
        buf_append_str(out, m->questions[i].name);
    }
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < secs[s]->n; i++, first = 0) {
            if (!first)
                buf_append(out, "\r\n", 2);
            dns_rr_str(out, &secs[s]->v[i]);
        }
}

size_t
dns_message_size(const struct dns_message *m)
{
    const struct dns_rrs *secs[3] = {&m->answers, &m->authorities, &m->additionals};
    size_t n = 0;
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < secs[s]->n; i++)
            n += secs[s]->v[i].data.len;
    return n;
}
