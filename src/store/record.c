/*
 * Flow records read without building a tree. ffile_deserialize() makes
 * every value a node (30-50 us a flow); loading a million flows in seconds
 * needs less. store__rec_scan() walks a version-17 record in place, once:
 * it reads the fields a row keeps, checking each value byte for byte as
 * tns_decode() would where it reads it (and what it skips whole), and
 * copies the record without its bodies. Anything it does not
 * expect (another version, a field of another type, a duplicate key) it
 * leaves to ffile_deserialize(), which reads it or names the error.
 *
 * store__rec_view() reads what a filter may need beyond the row (headers,
 * addresses, metadata, messages) from a stored record, for filters over
 * many flows at once.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/dns.h"
#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "store/internal.h"
#include "util/xmalloc.h"

/* One tnetstring in a buffer: its payload and its whole extent. */
struct tv {
    uint8_t type;
    const uint8_t *p;
    size_t n;
    const uint8_t *whole;
    size_t wlen;
};

/* The frame of the tnetstring at p[0..len); the payload is not checked. */
static int
frame(const uint8_t *p, size_t len, struct tv *v)
{
    size_t i = 0;
    uint64_t n = 0;
    while (i < len && p[i] >= '0' && p[i] <= '9') {
        if (i == TNS_MAX_LEN_DIGITS)
            return MP_ERR_CORRUPT;
        n = n * 10 + (uint64_t)(p[i] - '0');
        i++;
    }
    if (i == 0 || i == len || p[i] != ':')
        return MP_ERR_CORRUPT;
    i++;
    if (n >= len - i)
        return MP_ERR_CORRUPT;
    *v = (struct tv){p[i + n], p + i, (size_t)n, p, i + (size_t)n + 1};
    return 0;
}

/* Iterating a list's items or a dict's keys and values. */
struct it {
    const uint8_t *p;
    size_t n, off;
};

static struct it
iter(const struct tv *v)
{
    return (struct it){v->p, v->n, 0};
}

/* 1 and the next value, 0 at the end, or MP_ERR_CORRUPT. */
static int
next(struct it *it, struct tv *v)
{
    if (it->off >= it->n)
        return 0;
    if (frame(it->p + it->off, it->n - it->off, v) < 0)
        return MP_ERR_CORRUPT;
    it->off += v->wlen;
    return 1;
}

static int
next_pair(struct it *it, struct tv *k, struct tv *v)
{
    int r = next(it, k);
    if (r <= 0)
        return r;
    return next(it, v) == 1 ? 1 : MP_ERR_CORRUPT;
}

/* A key against a literal: the length first, then a fixed-size compare. */
#define KEY_IS(k, lit) ((k)->n == sizeof(lit) - 1 && memcmp((k)->p, lit, sizeof(lit) - 1) == 0)

static int
key_is(const struct tv *k, const char *s)
{
    /* The first byte turns most candidates away before a strlen(). */
    if (k->n == 0 || k->p[0] != (uint8_t)s[0])
        return s[0] == '\0' && k->n == 0;
    size_t n = strlen(s);
    return k->n == n && memcmp(k->p, s, n) == 0;
}

/* tns_decode()'s integers: optional sign, digits, within int64. */
static int
int_ok(const uint8_t *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == n)
        return 0;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (out)
        *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

/* tns_decode()'s floats: what strtod() takes whole, no leading space. */
static int
float_ok(const uint8_t *s, size_t n, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof(tmp) || memchr(s, '\0', n) || s[0] == ' ' ||
        (s[0] >= '\t' && s[0] <= '\r'))
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end != tmp + n)
        return 0;
    if (out)
        *out = v;
    return 1;
}

/* Python's repr() of a float, the form every writer uses: checked without
 * strtod(), which costs more than all the rest of a record. */
static int
float_plain(const uint8_t *s, size_t n)
{
    size_t i = s[0] == '-';
    size_t d = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == d || i == n || s[i] != '.')
        return 0;
    d = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i > d && i == n;
}

/* Deep check of a value, as tns_decode() would take it. */
static int
check(const struct tv *v, int depth)
{
    switch (v->type) {
    case TNS_TEXT:
        return tns_utf8_valid(v->p, v->n) ? 0 : MP_ERR_CORRUPT;
    case TNS_BYTES:
        return 0;
    case TNS_INT:
        return int_ok(v->p, v->n, NULL) ? 0 : MP_ERR_CORRUPT;
    case TNS_FLOAT:
        return float_plain(v->p, v->n) || float_ok(v->p, v->n, NULL) ? 0 : MP_ERR_CORRUPT;
    case TNS_BOOL:
        return (v->n == 4 && memcmp(v->p, "true", 4) == 0) ||
                       (v->n == 5 && memcmp(v->p, "false", 5) == 0)
                   ? 0
                   : MP_ERR_CORRUPT;
    case TNS_NULL:
        return v->n == 0 ? 0 : MP_ERR_CORRUPT;
    case TNS_LIST:
    case TNS_DICT:
        break;
    default:
        return MP_ERR_CORRUPT;
    }
    if (depth >= TNS_MAX_DEPTH)
        return MP_ERR_CORRUPT;
    struct it it = iter(v);
    struct tv x;
    int r;
    while ((r = next(&it, &x)) == 1) {
        if (v->type == TNS_DICT) {
            if (x.type != TNS_TEXT || check(&x, depth + 1) < 0)
                return MP_ERR_CORRUPT;
            if (next(&it, &x) != 1)
                return MP_ERR_CORRUPT;
        }
        if (check(&x, depth + 1) < 0)
            return MP_ERR_CORRUPT;
    }
    return r;
}

static int
is_str(const struct tv *v)
{
    return v->type == TNS_BYTES || v->type == TNS_TEXT;
}

/* None as tns_decode() takes it. */
static int
is_null(const struct tv *v)
{
    return v->type == TNS_NULL && v->n == 0;
}

/* A string tns_decode() takes: text must be UTF-8. */
static int
str_ok(const struct tv *v)
{
    return v->type == TNS_BYTES || (v->type == TNS_TEXT && tns_utf8_valid(v->p, v->n));
}

/* A string field as take_str2() takes it (text: bytes must be UTF-8). */
static int
str_field(const struct tv *v, int text, struct slice *out)
{
    if (!is_str(v) || ((text || v->type == TNS_TEXT) && !tns_utf8_valid(v->p, v->n)))
        return MP_ERR_UNSUPPORTED;
    *out = slice_from(v->p, v->n);
    return 0;
}

/*
 * A float in repr() form read exactly without strtod(): when its digits
 * make an integer below 2^53 and there are at most 22 after the point,
 * that integer and the power of ten are both exact doubles and one
 * division rounds as strtod() would (Clinger's fast path). Python's repr()
 * of a timestamp has 17 digits, past that: with a long double of 64 bits
 * or more, 19 digits and a power of ten up to 1e27 are exact, the
 * division rounds once there and once more to a double, which is what
 * strtod() gives unless the first rounding landed on a midpoint between
 * two doubles (then strtod() decides). 0 when it does not apply.
 */
static int
float_fast(const uint8_t *s, size_t n, double *out)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (!float_plain(s, n))
        return 0;
    size_t i = s[0] == '-';
    uint64_t m = 0;
    int frac = -1, digits = 0;
    for (; i < n; i++) {
        if (s[i] == '.') {
            frac = 0;
            continue;
        }
        if (m == 0 && s[i] == '0') {
            frac += frac >= 0;
            continue;
        }
        if (++digits > 19)
            return 0;
        m = m * 10 + (uint64_t)(s[i] - '0');
        frac += frac >= 0;
    }
    double v;
    if (m < (1ull << 53) && frac <= 22) {
        v = (double)m / p10[frac];
    } else {
#if LDBL_MANT_DIG >= 64
        static const long double p10l[] = {1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
        if (frac > 27)
            return 0;
        long double q = (long double)m / (frac > 22 ? p10l[frac - 23] : (long double)p10[frac]);
        v = (double)q;
        if ((long double)v != q) {
            double w = nextafter(v, q > v ? HUGE_VAL : -HUGE_VAL);
            if (((long double)v + (long double)w) / 2 == q)
                return 0;
        }
#else
        return 0;
#endif
    }
    *out = s[0] == '-' ? -v : v;
    return 1;
}

/* A timestamp as take_ts() takes it: float, int or null (0). */
static int
ts_field(const struct tv *v, double *out)
{
    int64_t i;
    if (is_null(v)) {
        *out = 0;
        return 0;
    }
    if (v->type == TNS_INT && int_ok(v->p, v->n, &i)) {
        *out = (double)i;
        return 0;
    }
    if (v->type == TNS_FLOAT && float_fast(v->p, v->n, out))
        return 0;
    return v->type == TNS_FLOAT && float_ok(v->p, v->n, out) ? 0 : MP_ERR_UNSUPPORTED;
}

/* A timestamp take_ts() would take, not read: nobody keeps it. */
static int
ts_ok(const struct tv *v)
{
    if (v->type == TNS_INT)
        return int_ok(v->p, v->n, NULL);
    if (v->type == TNS_FLOAT)
        return float_plain(v->p, v->n) || float_ok(v->p, v->n, NULL);
    return is_null(v);
}

static int
int_field(const struct tv *v, int64_t lo, int64_t hi, int64_t *out)
{
    return v->type == TNS_INT && int_ok(v->p, v->n, out) && *out >= lo && *out <= hi
               ? 0
               : MP_ERR_UNSUPPORTED;
}

static int
flag_field(const struct tv *v, int *out)
{
    int64_t i;
    if (v->type == TNS_BOOL && v->n == 4 && memcmp(v->p, "true", 4) == 0) {
        *out = 1;
        return 0;
    }
    if (v->type == TNS_BOOL && v->n == 5 && memcmp(v->p, "false", 5) == 0) {
        *out = 0;
        return 0;
    }
    if (v->type == TNS_INT && int_ok(v->p, v->n, &i)) {
        *out = i != 0;
        return 0;
    }
    return MP_ERR_UNSUPPORTED;
}

/* Marks key i of a dict as seen; a second time is left to the slow path. */
#define SEEN(bit)                                                                                  \
    do {                                                                                           \
        if (seen & (1u << (bit)))                                                                  \
            return MP_ERR_UNSUPPORTED;                                                             \
        seen |= 1u << (bit);                                                                       \
    } while (0)

/* Header pairs: the key ones into hset (the list is checked whole), and
 * every one as ~h reads it into plain (if given). */
static int
headers_field(const struct tv *v, int response, struct buf *hset, struct buf *plain)
{
    if (v->type != TNS_LIST)
        return MP_ERR_UNSUPPORTED;
    struct it it = iter(v);
    struct tv pair, name, value;
    int r;
    while ((r = next(&it, &pair)) == 1) {
        struct it pi = iter(&pair);
        if (pair.type != TNS_LIST || next(&pi, &name) != 1 || next(&pi, &value) != 1 ||
            pi.off != pi.n || !str_ok(&name) || !str_ok(&value))
            return MP_ERR_UNSUPPORTED;
        if (store__key_header((const char *)name.p, name.n, response))
            store__hset_add(hset, name.p, name.n, value.p, value.n);
        if (plain)
            store__plain_field(plain, name.p, name.n, value.p, value.n);
    }
    return r == 0 ? 0 : MP_ERR_UNSUPPORTED;
}

static int
trailers_field(const struct tv *v)
{
    if (is_null(v))
        return 0;
    /* A Content-Type in the trailers is not the message's: shape only. */
    struct buf scratch = BUF_INIT;
    int r = headers_field(v, 1, &scratch, NULL);
    buf_clear(&scratch);
    return r;
}

/* Optional: absent or null is fine, else the check. */
#define OPT(v, ok) (is_null(v) || (ok))

/* (host, port), and whatever else the list holds well-formed. */
static int
addr_ok(const struct tv *v)
{
    struct it ai = iter(v);
    struct tv h, p, x;
    struct slice s;
    int64_t port;
    if (is_null(v))
        return 1;
    if (v->type != TNS_LIST || next(&ai, &h) != 1 || next(&ai, &p) != 1 ||
        str_field(&h, 1, &s) < 0 || int_field(&p, 0, 65535, &port) < 0)
        return 0;
    int r;
    while ((r = next(&ai, &x)) == 1)
        if (check(&x, 3) < 0)
            return 0;
    return r == 0;
}

/*
 * A connection as load_conn() takes it: the fields it models must have
 * their types (the rest goes to extra and may be anything).
 */
static int
conn_field(const struct tv *d, int server)
{
    if (is_null(d))
        return 0;
    if (d->type != TNS_DICT)
        return MP_ERR_UNSUPPORTED;
    unsigned seen = 0;
    struct it it = iter(d);
    struct tv k, v;
    struct slice s;
    int64_t i;
    int flag, r;
    while ((r = next_pair(&it, &k, &v)) == 1) {
        int ok = 1;
        if (k.type != TNS_TEXT)
            return MP_ERR_UNSUPPORTED;
        if (KEY_IS(&k, "id")) {
            SEEN(0);
            ok = str_field(&v, 1, &s) == 0 && v.n < UUID_STR_LEN;
        } else if (KEY_IS(&k, "state")) {
            SEEN(1);
            ok = int_field(&v, INT64_MIN, INT64_MAX, &i) == 0;
        } else if (KEY_IS(&k, "tls")) {
            SEEN(2);
            ok = flag_field(&v, &flag) == 0;
        } else if (KEY_IS(&k, "tls_established")) {
            SEEN(3);
            ok = flag_field(&v, &flag) == 0;
        } else if (KEY_IS(&k, "address") ||
                   (server ? KEY_IS(&k, "ip_address") || KEY_IS(&k, "source_address")
                           : KEY_IS(&k, "sockname"))) {
            ok = addr_ok(&v);
        } else if (KEY_IS(&k, "error") || KEY_IS(&k, "sni") || KEY_IS(&k, "tls_version") ||
                   KEY_IS(&k, "cipher_name")) {
            ok = OPT(&v, str_field(&v, 1, &s) == 0);
        } else if (KEY_IS(&k, "alpn")) {
            ok = OPT(&v, str_ok(&v));
        } else if (KEY_IS(&k, "timestamp_start") || KEY_IS(&k, "timestamp_end") ||
                   KEY_IS(&k, "timestamp_tls_setup") ||
                   (server && KEY_IS(&k, "timestamp_tcp_setup"))) {
            ok = ts_ok(&v);
        } else {
            /* Kept in extra as it is: well-formed is all it must be. */
            ok = check(&k, 2) == 0 && check(&v, 2) == 0;
        }
        if (!ok)
            return MP_ERR_UNSUPPORTED;
    }
    return r == 0 && seen == 0xf ? 0 : MP_ERR_UNSUPPORTED;
}

/* wsproto's opcodes, the only ones load_ws_messages() takes. */
static int
opcode_ok(const struct tv *v)
{
    int64_t op;
    return v->type == TNS_INT && int_ok(v->p, v->n, &op) &&
           (op == 0 || op == 1 || op == 2 || op == 8 || op == 9 || op == 10);
}

/* The websocket dict as load_websocket() takes it; its messages' text
 * into plain. */
static int
ws_field(const struct tv *d, struct buf *plain)
{
    if (d->type != TNS_DICT)
        return MP_ERR_UNSUPPORTED;
    struct it it = iter(d);
    struct tv k, v;
    struct slice s;
    double ts;
    int64_t code;
    int flag;
    while (next_pair(&it, &k, &v) == 1) {
        int ok = 1;
        if (KEY_IS(&k, "messages") && v.type != TNS_NULL) {
            if (v.type != TNS_LIST)
                return MP_ERR_UNSUPPORTED;
            struct it mi = iter(&v);
            struct tv m, x[7];
            while (next(&mi, &m) == 1) {
                struct it xi = iter(&m);
                size_t nx = 0;
                while (m.type == TNS_LIST && nx < 7 && next(&xi, &x[nx]) == 1)
                    nx++;
                int from_client;
                if (nx != 6 || !opcode_ok(&x[0]) || flag_field(&x[1], &from_client) < 0 ||
                    !is_str(&x[2]) || (x[3].type != TNS_FLOAT && x[3].type != TNS_INT) ||
                    ts_field(&x[3], &ts) < 0 || flag_field(&x[4], &flag) < 0 ||
                    flag_field(&x[5], &flag) < 0)
                    return MP_ERR_UNSUPPORTED;
                store__plain_add(plain, from_client ? 'c' : 'v', x[2].p, x[2].n);
            }
        } else if (KEY_IS(&k, "closed_by_client")) {
            ok = OPT(&v, flag_field(&v, &flag) == 0);
        } else if (KEY_IS(&k, "close_code")) {
            ok = OPT(&v, int_field(&v, 0, 65535, &code) == 0);
        } else if (KEY_IS(&k, "close_reason")) {
            ok = OPT(&v, str_field(&v, 1, &s) == 0);
        } else if (KEY_IS(&k, "timestamp_end")) {
            ok = ts_field(&v, &ts) == 0;
        }
        if (!ok)
            return MP_ERR_UNSUPPORTED;
    }
    return 0;
}

enum { M_REQUEST, M_RESPONSE };

/* request or response: fields into out, content noted. */
static int
message(const struct tv *d, int which, struct rec_fields *out)
{
    /* Keys by length and id: this runs for every message of a load. */
    enum { K_HOST, K_PORT, K_METHOD, K_SCHEME, K_AUTH, K_PATH, K_VER, K_STATUS, K_REASON,
           K_HDRS, K_CONTENT, K_TRAILERS, K_TS_START, K_TS_END };
    struct mkey {
        const char *name;
        size_t len;
        int id;
    };
#define MK(s, id) {s, sizeof(s) - 1, id}
    static const struct mkey rq_keys[] = {
        MK("host", K_HOST),         MK("port", K_PORT),           MK("method", K_METHOD),
        MK("scheme", K_SCHEME),     MK("authority", K_AUTH),      MK("path", K_PATH),
        MK("http_version", K_VER),  MK("headers", K_HDRS),        MK("content", K_CONTENT),
        MK("trailers", K_TRAILERS), MK("timestamp_start", K_TS_START),
        MK("timestamp_end", K_TS_END)};
    static const struct mkey rs_keys[] = {
        MK("http_version", K_VER),  MK("status_code", K_STATUS),  MK("reason", K_REASON),
        MK("headers", K_HDRS),      MK("content", K_CONTENT),     MK("trailers", K_TRAILERS),
        MK("timestamp_start", K_TS_START), MK("timestamp_end", K_TS_END)};
#undef MK
    const struct mkey *keys = which == M_REQUEST ? rq_keys : rs_keys;
    size_t nkeys = which == M_REQUEST ? 12 : 8;
    if (d->type != TNS_DICT)
        return MP_ERR_UNSUPPORTED;
    unsigned seen = 0;
    struct it it = iter(d);
    struct tv k, v;
    int64_t num;
    int more;
    while ((more = next_pair(&it, &k, &v)) == 1) {
        if (k.type != TNS_TEXT)
            return MP_ERR_UNSUPPORTED;
        size_t i = 0;
        while (i < nkeys && !(k.n == keys[i].len && memcmp(k.p, keys[i].name, k.n) == 0))
            i++;
        if (i == nkeys)
            return MP_ERR_UNSUPPORTED; /* a key flowfile.c would keep in extra */
        SEEN(i);
        int r = 0;
        switch (keys[i].id) {
        case K_HOST:
            r = str_field(&v, 1, &out->str[S_HOST]);
            break;
        case K_PORT:
            if ((r = int_field(&v, 0, 65535, &num)) == 0)
                out->port = (uint16_t)num;
            break;
        case K_METHOD:
            r = str_field(&v, 0, &out->str[S_METHOD]);
            break;
        case K_SCHEME:
            r = str_field(&v, 0, &out->str[S_SCHEME]);
            break;
        case K_AUTH:
            r = str_field(&v, 0, &out->str[S_AUTHORITY]);
            break;
        case K_PATH:
            r = str_field(&v, 0, &out->str[S_PATH]);
            break;
        case K_VER:
            r = str_field(&v, 0, &out->str[which == M_REQUEST ? S_VERSION : S_RS_VERSION]);
            break;
        case K_STATUS:
            if ((r = int_field(&v, 0, 999, &num)) == 0)
                out->status = (uint16_t)num;
            break;
        case K_REASON:
            r = str_field(&v, 0, &out->str[S_REASON]);
            break;
        case K_HDRS: {
            size_t start = store__plain_entry(&out->plain, which == M_REQUEST ? 'q' : 's');
            r = headers_field(&v, which == M_RESPONSE, &out->hset[which], &out->plain);
            store__plain_entry_end(&out->plain, start);
            break;
        }
        case K_CONTENT:
            if (is_null(&v))
                out->flags |= which == M_REQUEST ? RF_RQ_NONE : RF_RS_NONE;
            else if (str_ok(&v))
                out->body[which] = slice_from(v.p, v.n);
            else
                r = MP_ERR_UNSUPPORTED;
            break;
        case K_TRAILERS:
            r = trailers_field(&v);
            break;
        case K_TS_START:
            r = ts_field(&v, &out->ts[which * 2]);
            break;
        default:
            r = ts_field(&v, &out->ts[which * 2 + 1]);
            break;
        }
        if (r < 0)
            return r;
    }
    if (more < 0)
        return MP_ERR_UNSUPPORTED;
    /* load_request() and load_response() require these; content may be
     * absent (None), trailers and timestamps too. */
    unsigned need = which == M_REQUEST ? 0xff : 0xf;
    unsigned content = which == M_REQUEST ? 1u << 8 : 1u << 4;
    if (!(seen & content))
        out->flags |= which == M_REQUEST ? RF_RQ_NONE : RF_RS_NONE;
    return (seen & need) == need ? 0 : MP_ERR_UNSUPPORTED;
}

/* server_conn's address, for TCP rows. */
static int
server_address(const struct tv *d, struct rec_fields *out)
{
    if (d->type == TNS_NULL)
        return 0;
    if (d->type != TNS_DICT)
        return MP_ERR_UNSUPPORTED;
    struct it it = iter(d);
    struct tv k, v;
    while (next_pair(&it, &k, &v) == 1) {
        if (!KEY_IS(&k, "address") || v.type == TNS_NULL)
            continue;
        struct it ai = iter(&v);
        struct tv h, p;
        int64_t port;
        if (v.type != TNS_LIST || next(&ai, &h) != 1 || next(&ai, &p) != 1 ||
            str_field(&h, 1, &out->str[S_HOST]) < 0 || int_field(&p, 0, 65535, &port) < 0)
            return MP_ERR_UNSUPPORTED;
        out->port = (uint16_t)port;
    }
    return 0;
}

/* client_conn's address and start, for TCP rows (the port in status). */
static void
client_start(const struct tv *d, struct rec_fields *out)
{
    if (d->type != TNS_DICT)
        return;
    struct it it = iter(d);
    struct tv k, v;
    while (next_pair(&it, &k, &v) == 1) {
        if (KEY_IS(&k, "timestamp_start")) {
            if (ts_field(&v, &out->ts[0]) < 0)
                out->ts[0] = 0;
            continue;
        }
        if (!KEY_IS(&k, "address") || v.type != TNS_LIST)
            continue;
        struct it ai = iter(&v);
        struct tv h, p;
        int64_t port;
        if (next(&ai, &h) == 1 && next(&ai, &p) == 1 && int_field(&p, 0, 65535, &port) == 0 &&
            str_field(&h, 1, &out->str[S_CLIENT]) == 0)
            out->status = (uint16_t)port;
    }
}

/* TCP messages: (from_client, content, timestamp) triples; the size is
 * their contents' total, the last one's time the row's ts[1]. */
static int
tcp_messages(const struct tv *v, struct rec_fields *out)
{
    if (v->type != TNS_LIST)
        return MP_ERR_UNSUPPORTED;
    struct it it = iter(v);
    struct tv m, fc, content, ts;
    int flag, r;
    double t;
    while ((r = next(&it, &m)) == 1) {
        struct it mi = iter(&m);
        if (m.type != TNS_LIST || next(&mi, &fc) != 1 || next(&mi, &content) != 1 ||
            next(&mi, &ts) != 1 || mi.off != mi.n || flag_field(&fc, &flag) < 0 ||
            !str_ok(&content) || (ts.type != TNS_FLOAT && ts.type != TNS_INT) ||
            ts_field(&ts, &t) < 0)
            return MP_ERR_UNSUPPORTED;
        out->size += content.n;
        out->ts[1] = t;
        store__plain_add(&out->plain, flag ? 'c' : 'v', content.p, content.n);
    }
    return r == 0 ? 0 : MP_ERR_UNSUPPORTED;
}

/* dns.op_codes.to_str() of a code without a name. */
static struct slice
dns_opcode(int64_t op, struct rec_fields *out)
{
    snprintf(out->opcode, sizeof(out->opcode), "OPCODE(%lld)", (long long)op);
    return slice_cstr(out->opcode);
}

/* DNS: the op code names the method (dns.op_codes.to_str), the first
 * question's name the path. */
static void
dns_message(const struct tv *v, int which, struct rec_fields *out)
{
    static const char *const ops[] = {"QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE", "DSO"};
    /* A DNS flow's messages are kept as they are (flowfile.c's extra):
     * nothing here can be wrong, only unreadable for the row. */
    if (v->type != TNS_DICT)
        return;
    if (which == M_RESPONSE) {
        out->flags |= RF_RESPONSE;
        return;
    }
    struct it it = iter(v);
    struct tv k, x;
    /* RF_DNS_QNAME only where ~u would read exactly this name: one
     * "questions" list, its first item a dict with one "name", a string. */
    int nquestions = 0, nnames = 0, named = 0;
    while (next_pair(&it, &k, &x) == 1) {
        int64_t op;
        if (KEY_IS(&k, "op_code") && x.type == TNS_INT && int_ok(x.p, x.n, &op)) {
            if (op >= 0 && op < 7 && ops[op])
                out->str[S_METHOD] = slice_cstr(ops[op]);
            else
                out->str[S_METHOD] = dns_opcode(op, out);
        } else if (KEY_IS(&k, "questions") && nquestions++ == 0 && x.type == TNS_LIST) {
            struct it qi = iter(&x);
            struct tv q, qk, qv;
            if (next(&qi, &q) == 1 && q.type == TNS_DICT) {
                struct it di = iter(&q);
                while (next_pair(&di, &qk, &qv) == 1) {
                    if (!KEY_IS(&qk, "name"))
                        continue;
                    nnames++;
                    named = is_str(&qv);
                    if (named)
                        out->str[S_PATH] = slice_from(qv.p, qv.n);
                }
            }
        }
    }
    if (nquestions == 1 && nnames == 1 && named)
        out->flags |= RF_DNS_QNAME;
}

void
store__rec_fields_init(struct rec_fields *f)
{
    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < S__COUNT; i++)
        f->str[i] = slice_cstr("");
    f->body[0] = f->body[1] = slice_cstr("");
}

void
store__rec_fields_clear(struct rec_fields *f)
{
    buf_clear(&f->hset[0]);
    buf_clear(&f->hset[1]);
    buf_clear(&f->plain);
    buf_clear(&f->answers);
}

/*
 * What 8.1.1's flow list shows of a DNS flow beyond its op code and name:
 * the first question's type (S_VERSION), the answers joined by ", "
 * (S_REASON, interned: few DNS flows, and their answers repeat), the
 * response code (status) and both messages' times (ts[0], ts[2]).
 */
static void
dns_row(struct rec_fields *out, const struct dns_message *rq, const struct dns_message *rs)
{
    if (rq) {
        out->ts[0] = rq->timestamp;
        if (rq->nquestions) {
            char tmp[DNS_STR_MAX];
            snprintf(out->qtype, sizeof(out->qtype), "%s",
                     dns_type_str(rq->questions[0].type, tmp));
            out->str[S_VERSION] = slice_cstr(out->qtype);
        }
    }
    if (rs) {
        out->flags |= RF_RESPONSE;
        out->ts[2] = rs->timestamp;
        out->status = rs->response_code;
        buf_reset(&out->answers);
        for (size_t i = 0; i < rs->answers.n; i++) {
            if (i)
                buf_append(&out->answers, ", ", 2);
            dns_rr_str(&out->answers, &rs->answers.v[i]);
        }
        out->str[S_REASON] = buf_slice(&out->answers);
    }
}

enum {
    K_TYPE,
    K_VERSION,
    K_ID,
    K_CREATED,
    K_COMMENT,
    K_MARKED,
    K_REPLAY,
    K_INTERCEPTED,
    K_ERROR,
    K_METADATA,
    K_REQUEST,
    K_RESPONSE,
    K_WEBSOCKET,
    K_MESSAGES,
    K_SERVER,
    K_CLIENT,
    K_BACKUP,
    K__COUNT
};

static const char *const top_keys[K__COUNT] = {
    "type",     "version",  "id",       "timestamp_created", "comment",   "marked",
    "is_replay", "intercepted", "error", "metadata",          "request",   "response",
    "websocket", "messages", "server_conn", "client_conn",    "backup",
};

/*
 * The record's fields, and the record checked as tns_decode() would check
 * it, in one pass: what is read here is checked where it is read (the
 * bulk of a record: messages, headers, connections), and every other
 * value (valid lacks its bit) is checked whole at the end. Anything it
 * does not take is MP_ERR_UNSUPPORTED; the caller tells a damaged record
 * from an unusual one.
 */
static int
fields(const struct tv *rec, struct rec_fields *out, struct tv *vals)
{
    unsigned seen = 0, valid = 0;
    struct it it = iter(rec);
    struct tv k, v;
    int more;
    while ((more = next_pair(&it, &k, &v)) == 1) {
        size_t i = 0;
        if (k.type != TNS_TEXT)
            return MP_ERR_UNSUPPORTED;
        while (i < K__COUNT && !key_is(&k, top_keys[i]))
            i++;
        if (i == K__COUNT)
            return MP_ERR_UNSUPPORTED;
        SEEN(i);
        vals[i] = v;
    }
    if (more < 0 || (seen & 0x7) != 0x7)
        return MP_ERR_UNSUPPORTED;
    int64_t version;
    if (int_field(&vals[K_VERSION], 17, 17, &version) < 0)
        return MP_ERR_UNSUPPORTED;
    const struct tv *t = &vals[K_TYPE];
    if (!is_str(t))
        return MP_ERR_UNSUPPORTED;
    if (t->n == 4 && memcmp(t->p, "http", 4) == 0)
        out->type = FLOW_HTTP;
    else if (t->n == 3 && memcmp(t->p, "tcp", 3) == 0)
        out->type = FLOW_TCP;
    else if (t->n == 3 && memcmp(t->p, "dns", 3) == 0)
        out->type = FLOW_DNS;
    else
        return MP_ERR_UNSUPPORTED;
    /* An id with a NUL in it is cut there as the flow's C string: the
     * slow path reads it, so the row's id (kept by -r) is the flow's. */
    if (vals[K_ID].type != TNS_TEXT || vals[K_ID].n >= UUID_STR_LEN ||
        !tns_utf8_valid(vals[K_ID].p, vals[K_ID].n) || memchr(vals[K_ID].p, 0, vals[K_ID].n))
        return MP_ERR_UNSUPPORTED;
    out->id = slice_from(vals[K_ID].p, vals[K_ID].n);
    valid |= 1u << K_TYPE | 1u << K_VERSION | 1u << K_ID;

    int flag;
    int r = 0;
    if ((seen & (1u << K_CREATED)) && (r = ts_field(&vals[K_CREATED], &out->created)) < 0)
        return r;
    valid |= 1u << K_CREATED;
    /* Required by load_flow() (take_bool, take_str_into). */
    unsigned must = 1u << K_INTERCEPTED | 1u << K_MARKED | 1u << K_COMMENT;
    if ((seen & must) != must)
        return MP_ERR_UNSUPPORTED;
    if (flag_field(&vals[K_INTERCEPTED], &flag) < 0)
        return MP_ERR_UNSUPPORTED;
    if (flag)
        out->flags |= RF_INTERCEPTED;
    if (str_field(&vals[K_MARKED], 1, &out->str[S_MARKED]) < 0 ||
        str_field(&vals[K_COMMENT], 1, &out->str[S_COMMENT]) < 0)
        return MP_ERR_UNSUPPORTED;
    valid |= 1u << K_INTERCEPTED | 1u << K_MARKED | 1u << K_COMMENT;
    if (seen & (1u << K_REPLAY)) {
        const struct tv *x = &vals[K_REPLAY];
        if (x->type != TNS_NULL && !is_str(x))
            return MP_ERR_UNSUPPORTED;
        if (is_str(x) && x->n == 7 && memcmp(x->p, "request", 7) == 0)
            out->replay = "request";
        else if (is_str(x) && x->n == 8 && memcmp(x->p, "response", 8) == 0)
            out->replay = "response";
    }
    if (seen & (1u << K_ERROR)) {
        const struct tv *x = &vals[K_ERROR];
        if (x->type == TNS_DICT) {
            /* load_error(): msg must be text; timestamp optional. */
            struct it ei = iter(x);
            struct tv ek, ev;
            int msg = 0;
            while (next_pair(&ei, &ek, &ev) == 1) {
                struct slice s;
                double ts;
                if (KEY_IS(&ek, "msg"))
                    msg = str_field(&ev, 1, &s) == 0;
                else if (KEY_IS(&ek, "timestamp") && ts_field(&ev, &ts) < 0)
                    return MP_ERR_UNSUPPORTED;
            }
            if (!msg)
                return MP_ERR_UNSUPPORTED;
            out->flags |= RF_ERROR;
        } else if (x->type != TNS_NULL) {
            return MP_ERR_UNSUPPORTED;
        }
    }
    if ((seen & (1u << K_METADATA)) && vals[K_METADATA].type != TNS_DICT &&
        vals[K_METADATA].type != TNS_NULL)
        return MP_ERR_UNSUPPORTED;
    /* An edited flow's backup is a whole flow of its own: the slow path
     * reads it (and such flows are few). */
    if ((seen & (1u << K_BACKUP)) && vals[K_BACKUP].type != TNS_NULL)
        return MP_ERR_UNSUPPORTED;
    if (((seen & (1u << K_SERVER)) && conn_field(&vals[K_SERVER], 1) < 0) ||
        ((seen & (1u << K_CLIENT)) && conn_field(&vals[K_CLIENT], 0) < 0))
        return MP_ERR_UNSUPPORTED;
    valid |= 1u << K_SERVER | 1u << K_CLIENT;

    /* The plain part (plain.c) as the messages are read; DNS flows' is
     * made where their messages are decoded (dns_readable()). */
    size_t plain = out->type == FLOW_DNS ? 0 : store__plain_open(&out->plain);
    switch (out->type) {
    case FLOW_HTTP:
        if (!(seen & (1u << K_REQUEST)))
            return MP_ERR_UNSUPPORTED;
        if (vals[K_REQUEST].type != TNS_NULL) {
            if ((r = message(&vals[K_REQUEST], M_REQUEST, out)) < 0)
                return r;
            out->flags |= RF_REQUEST;
            valid |= 1u << K_REQUEST;
        }
        if ((seen & (1u << K_RESPONSE)) && vals[K_RESPONSE].type != TNS_NULL) {
            if ((r = message(&vals[K_RESPONSE], M_RESPONSE, out)) < 0)
                return r;
            out->flags |= RF_RESPONSE;
            valid |= 1u << K_RESPONSE;
        }
        store__plain_set(&out->plain, plain, PLAIN_HEADERS);
        if ((seen & (1u << K_WEBSOCKET)) && vals[K_WEBSOCKET].type != TNS_NULL) {
            if (ws_field(&vals[K_WEBSOCKET], &out->plain) < 0)
                return MP_ERR_UNSUPPORTED;
            out->flags |= RF_WEBSOCKET;
            store__plain_set(&out->plain, plain, PLAIN_MESSAGES);
        }
        if (seen & (1u << K_MESSAGES))
            return MP_ERR_UNSUPPORTED;
        out->size = out->body[0].len + out->body[1].len;
        break;
    case FLOW_TCP:
        if (!(seen & (1u << K_MESSAGES)) || (r = tcp_messages(&vals[K_MESSAGES], out)) < 0)
            return r < 0 ? r : MP_ERR_UNSUPPORTED;
        valid |= 1u << K_MESSAGES;
        if (seen & (1u << K_REQUEST | 1u << K_RESPONSE | 1u << K_WEBSOCKET))
            return MP_ERR_UNSUPPORTED;
        store__plain_set(&out->plain, plain, PLAIN_MESSAGES);
        out->str[S_METHOD] = slice_cstr("TCP");
        if ((seen & (1u << K_SERVER)) && (r = server_address(&vals[K_SERVER], out)) < 0)
            return r;
        if (seen & (1u << K_CLIENT))
            client_start(&vals[K_CLIENT], out);
        break;
    case FLOW_DNS:
        if (seen & (1u << K_REQUEST))
            dns_message(&vals[K_REQUEST], M_REQUEST, out);
        if (seen & (1u << K_RESPONSE))
            dns_message(&vals[K_RESPONSE], M_RESPONSE, out);
        break;
    }
    for (unsigned i = 0; i < K__COUNT; i++)
        if ((seen & ~valid & (1u << i)) && check(&vals[i], 1) < 0)
            return MP_ERR_UNSUPPORTED;
    return 0;
}

/* What stands in the record for headers kept in their own frame. */
static const char hdrs_gone[] = "0:]";

/*
 * Pairs copied as they are: a dict's keys and values lie back to back,
 * so a run of them goes out in one write when something else is written
 * (a record has some 60 pairs, of which 3 or 4 change).
 */
struct run {
    const uint8_t *p;
    size_t n;
};

static void
run_add(struct run *r, const struct tv *k, const struct tv *v)
{
    if (r->n == 0)
        r->p = k->whole;
    r->n = (size_t)(v->whole + v->wlen - r->p);
}

static void
run_flush(struct tns_writer *w, struct run *r)
{
    if (r->n)
        tns_w_raw(w, r->p, r->n);
    r->n = 0;
}

/* A message dict again: bodies emptied (strip), headers taken out into
 * *taken (split) or put back from put (join). */
static void
rewrite_message(struct tns_writer *w, const struct tv *msg, int bodies, struct tv *taken,
                const struct tv *put)
{
    size_t h = tns_w_open(w);
    struct it mi = iter(msg);
    struct tv mk, mv;
    struct run run = {NULL, 0};
    int done = 0;
    while (next_pair(&mi, &mk, &mv) == 1) {
        if (bodies && KEY_IS(&mk, "content") && is_str(&mv)) {
            run_flush(w, &run);
            tns_w_raw(w, mk.whole, mk.wlen);
            tns_w_str(w, "", 0, (enum tns_type)mv.type);
        } else if (!done && (taken || put) && KEY_IS(&mk, "headers")) {
            /* The first headers key only: the slow path reads any other. */
            done = 1;
            run_flush(w, &run);
            tns_w_raw(w, mk.whole, mk.wlen);
            if (taken) {
                *taken = mv;
                tns_w_raw(w, hdrs_gone, sizeof(hdrs_gone) - 1);
            } else {
                tns_w_raw(w, put->whole, put->wlen);
            }
        } else {
            run_add(&run, &mk, &mv);
        }
    }
    run_flush(w, &run);
    tns_w_close(w, h, TNS_DICT);
}

/* The two headers values as one frame: each its tnetstring, None when
 * the message or its headers are not there. */
static void
put_headers(const struct tv taken[2], struct buf *hdrs)
{
    for (int i = 0; i < 2; i++) {
        if (taken[i].whole)
            buf_append(hdrs, taken[i].whole, taken[i].wlen);
        else
            buf_append_str(hdrs, "0:~");
    }
}

/*
 * The record again with the id replaced (new_id given), its request and
 * response bodies out (bodies: empty strings of their type; None stays
 * None) and its headers moved to hdrs (hdrs given).
 */
static void
strip(const struct tv *rec, const char *new_id, int bodies, struct buf *out, struct buf *hdrs)
{
    struct tns_writer w;
    tns_writer_init(&w, out);
    size_t top = tns_w_open(&w);
    struct it it = iter(rec);
    struct tv k, v, taken[2];
    struct run run = {NULL, 0};
    memset(taken, 0, sizeof(taken));
    while (next_pair(&it, &k, &v) == 1) {
        int which = KEY_IS(&k, "response");
        if (new_id && KEY_IS(&k, "id")) {
            run_flush(&w, &run);
            tns_w_raw(&w, k.whole, k.wlen);
            tns_w_str(&w, new_id, strlen(new_id), TNS_TEXT);
        } else if ((bodies || hdrs) && (which || KEY_IS(&k, "request")) && v.type == TNS_DICT) {
            run_flush(&w, &run);
            tns_w_raw(&w, k.whole, k.wlen);
            rewrite_message(&w, &v, bodies, hdrs && !taken[which].whole ? &taken[which] : NULL,
                            NULL);
        } else {
            run_add(&run, &k, &v);
        }
    }
    run_flush(&w, &run);
    tns_w_close(&w, top, TNS_DICT);
    tns_writer_finish(&w);
    tns_writer_clear(&w);
    if (hdrs)
        put_headers(taken, hdrs);
}

/* The two values of a headers frame; 0, or -1 if it is not one. */
static int
headers_frame(const uint8_t *p, size_t n, struct tv out[2])
{
    if (frame(p, n, &out[0]) < 0 || frame(p + out[0].wlen, n - out[0].wlen, &out[1]) < 0 ||
        out[0].wlen + out[1].wlen != n)
        return -1;
    return 0;
}

int
store__rec_split(const uint8_t *p, size_t n, struct buf *rest, struct buf *hdrs)
{
    struct tv rec;
    if (frame(p, n, &rec) < 0 || rec.wlen != n || rec.type != TNS_DICT)
        return MP_ERR_CORRUPT;
    strip(&rec, NULL, 0, rest, hdrs);
    return 0;
}

int
store__rec_join(const uint8_t *p, size_t n, const uint8_t *h, size_t hn, struct buf *out)
{
    struct tv rec, put[2];
    if (frame(p, n, &rec) < 0 || rec.wlen != n || rec.type != TNS_DICT ||
        headers_frame(h, hn, put) < 0)
        return MP_ERR_CORRUPT;
    struct tns_writer w;
    tns_writer_init(&w, out);
    size_t top = tns_w_open(&w);
    struct it it = iter(&rec);
    struct tv k, v;
    int done[2] = {0, 0};
    while (next_pair(&it, &k, &v) == 1) {
        tns_w_raw(&w, k.whole, k.wlen);
        int which = KEY_IS(&k, "response");
        if ((which || KEY_IS(&k, "request")) && v.type == TNS_DICT && !done[which]) {
            done[which] = 1;
            rewrite_message(&w, &v, 0, NULL, &put[which]);
        } else {
            tns_w_raw(&w, v.whole, v.wlen);
        }
    }
    tns_w_close(&w, top, TNS_DICT);
    tns_writer_finish(&w);
    tns_writer_clear(&w);
    return 0;
}

/* A DNS flow's messages are checked as the flow reader checks them, so no
 * row is made of a record that cannot be read back as a flow. DNS flows
 * are few; the cost is theirs alone. Their text goes to plain, so that ~b
 * never decodes them again. */
static int
dns_readable(const uint8_t *p, size_t n, struct rec_fields *out)
{
    struct tns *d = store__rec_dns(p, n);
    struct flow f = {0};
    struct err e = {0};
    int rc = d ? ffile_load_dns(d, &f, &e) : -1;
    if (rc == 0) {
        store__plain_dns(&out->plain, f.dns_request, f.dns_response);
        dns_row(out, f.dns_request, f.dns_response);
    }
    dns_message_free(f.dns_request);
    dns_message_free(f.dns_response);
    tns_free(d);
    return rc < 0 ? -1 : 0;
}

int
store__rec_scan(const uint8_t *p, size_t n, const char *new_id, struct rec_fields *out,
                struct buf *rest, struct buf *hdrs)
{
    struct tv rec;
    if (frame(p, n, &rec) < 0 || rec.wlen != n)
        return MP_ERR_CORRUPT;
    if (rec.type != TNS_DICT)
        return check(&rec, 0) < 0 ? MP_ERR_CORRUPT : MP_ERR_UNSUPPORTED;
    struct tv vals[K__COUNT];
    memset(vals, 0, sizeof(vals));
    /* fields() checks as it reads; only a record it does not take is
     * walked again, to tell damage from what the slow path reads. */
    int r = fields(&rec, out, vals);
    if (r < 0) {
        buf_reset(&out->plain);
        return check(&rec, 0) < 0 ? MP_ERR_CORRUPT : r;
    }
    if (out->type == FLOW_DNS && dns_readable(p, n, out) < 0) {
        buf_reset(&out->plain);
        return MP_ERR_CORRUPT;
    }
    strip(&rec, new_id, out->type == FLOW_HTTP, rest, out->type == FLOW_HTTP ? hdrs : NULL);
    return 0;
}

/* ---- from a struct flow ---------------------------------------------- */

static void
hset_from(const struct hdrs *h, int response, struct buf *out)
{
    for (size_t i = 0; i < h->n; i++)
        if (store__key_header(h->v[i].name, h->v[i].name_len, response))
            store__hset_add(out, h->v[i].name, h->v[i].name_len, h->v[i].value,
                            h->v[i].value_len);
}

static struct slice
cs(const char *s)
{
    return slice_cstr(s ? s : "");
}

void
store__rec_from_flow(const struct flow *f, struct rec_fields *out)
{
    static const char *const ops[] = {"QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE", "DSO"};
    out->type = f->type;
    out->id = cs(f->id);
    out->created = f->timestamp_created;
    out->str[S_MARKED] = cs(f->marked);
    out->str[S_COMMENT] = cs(f->comment);
    out->replay = f->is_replay;
    if (f->error)
        out->flags |= RF_ERROR;
    if (f->intercepted)
        out->flags |= RF_INTERCEPTED;
    if (f->live)
        out->flags |= RF_LIVE;
    if (f->backup && flow_modified(f))
        out->flags |= RF_MODIFIED;
    const struct http_request *rq = f->request;
    const struct http_response *rs = f->response;
    switch (f->type) {
    case FLOW_HTTP:
        if (rq) {
            out->flags |= RF_REQUEST | (rq->content_none ? RF_RQ_NONE : 0);
            out->str[S_METHOD] = cs(rq->method);
            out->str[S_SCHEME] = cs(rq->scheme);
            out->str[S_HOST] = cs(rq->host);
            out->str[S_AUTHORITY] = cs(rq->authority);
            out->str[S_PATH] = cs(rq->path);
            out->str[S_VERSION] = cs(rq->http_version);
            out->port = rq->port;
            out->ts[0] = rq->timestamp_start;
            out->ts[1] = rq->timestamp_end;
            hset_from(&rq->headers, 0, &out->hset[0]);
            if (!rq->content_none)
                out->body[0] = buf_slice(&rq->content);
        }
        if (rs) {
            out->flags |= RF_RESPONSE | (rs->content_none ? RF_RS_NONE : 0);
            out->status = (uint16_t)rs->status_code;
            out->str[S_REASON] = cs(rs->reason);
            out->str[S_RS_VERSION] = cs(rs->http_version);
            out->ts[2] = rs->timestamp_start;
            out->ts[3] = rs->timestamp_end;
            hset_from(&rs->headers, 1, &out->hset[1]);
            if (!rs->content_none)
                out->body[1] = buf_slice(&rs->content);
        }
        if (f->websocket)
            out->flags |= RF_WEBSOCKET;
        out->size = out->body[0].len + out->body[1].len;
        break;
    case FLOW_TCP:
        out->str[S_METHOD] = slice_cstr("TCP");
        if (f->server_conn && f->server_conn->address.host) {
            out->str[S_HOST] = cs(f->server_conn->address.host);
            out->port = f->server_conn->address.port;
        }
        for (size_t i = 0; i < f->nmessages; i++)
            out->size += f->messages[i].content.len;
        if (f->nmessages)
            out->ts[1] = f->messages[f->nmessages - 1].timestamp;
        if (f->client_conn) {
            out->ts[0] = f->client_conn->timestamp_start;
            out->str[S_CLIENT] = cs(f->client_conn->peername.host);
            out->status = f->client_conn->peername.port;
        }
        break;
    case FLOW_DNS: {
        const struct tns *q = f->extra ? tns_dict_get(f->extra, "request") : NULL;
        const struct tns *r = f->extra ? tns_dict_get(f->extra, "response") : NULL;
        if (r && r->type == TNS_DICT)
            out->flags |= RF_RESPONSE;
        if (q && q->type == TNS_DICT) {
            const struct tns *op = tns_dict_get(q, "op_code");
            if (op && op->type == TNS_INT)
                out->str[S_METHOD] = op->u.i >= 0 && op->u.i < 7 && ops[op->u.i]
                                         ? slice_cstr(ops[op->u.i])
                                         : dns_opcode(op->u.i, out);
            const struct tns *qs = tns_dict_get(q, "questions");
            if (qs && qs->type == TNS_LIST && qs->u.list.n > 0) {
                const struct tns *name = tns_dict_get(qs->u.list.v[0], "name");
                if (name && (name->type == TNS_TEXT || name->type == TNS_BYTES)) {
                    out->str[S_PATH] = slice_from(name->u.str.p, name->u.str.len);
                    out->flags |= RF_DNS_QNAME;
                }
            }
        }
        if (f->dns_request || f->dns_response) {
            /* Live, or opened (and maybe edited): the messages are the
             * flow's, what a file gave it is only what it was. */
            out->flags &= (uint16_t)~(RF_RESPONSE | RF_DNS_QNAME);
            const struct dns_message *m = f->dns_request;
            if (m) {
                char tmp[DNS_STR_MAX];
                snprintf(out->opcode, sizeof(out->opcode), "%s", dns_opcode_str(m->op_code, tmp));
                out->str[S_METHOD] = slice_cstr(out->opcode);
                out->str[S_PATH] = slice_cstr("");
                if (m->nquestions && m->questions[0].name) {
                    out->str[S_PATH] = slice_cstr(m->questions[0].name);
                    out->flags |= RF_DNS_QNAME;
                }
            }
            dns_row(out, f->dns_request, f->dns_response);
        } else if (f->extra) {
            /* Read from a file and not opened yet: its messages as the
             * flow reader makes them. */
            struct flow m = {0};
            struct err e = {0};
            if (ffile_load_dns(f->extra, &m, &e) == 0)
                dns_row(out, m.dns_request, m.dns_response);
            dns_message_free(m.dns_request);
            dns_message_free(m.dns_response);
        }
        break;
    }
    }
}

/* ---- what filters read beyond the row --------------------------------- */

/* Makes the string at v NUL-terminated in place (its type tag goes). */
static char *
cstr(uint8_t *raw, const struct tv *v)
{
    uint8_t *p = raw + (v->p - raw);
    p[v->n] = '\0';
    return (char *)p;
}

static void
view_headers(uint8_t *raw, const struct tv *list, struct hdrs *h)
{
    struct it it = iter(list);
    struct tv pair, name, value;
    while (next(&it, &pair) == 1) {
        struct it pi = iter(&pair);
        if (next(&pi, &name) != 1 || next(&pi, &value) != 1)
            continue;
        if (h->n == h->cap) {
            h->cap = h->cap ? h->cap * 2 : 16;
            h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
        }
        /* Both tags go only now that both values are read. */
        h->v[h->n++] = (struct hdr){cstr(raw, &name), name.n, cstr(raw, &value), value.n};
    }
}

static void
view_addr(uint8_t *raw, const struct tv *conn, struct addr *a)
{
    struct it it = iter(conn);
    struct tv k, v;
    while (next_pair(&it, &k, &v) == 1) {
        if (!KEY_IS(&k, "address") || v.type != TNS_LIST)
            continue;
        struct it ai = iter(&v);
        struct tv h, p;
        int64_t port = 0;
        if (next(&ai, &h) == 1 && next(&ai, &p) == 1 && is_str(&h)) {
            int_ok(p.p, p.n, &port);
            a->port = (uint16_t)port;
            a->host = cstr(raw, &h);
        }
    }
}

static void
view_messages(const struct tv *list, int ws, struct rec_view *out)
{
    struct it it = iter(list);
    struct tv m, x[3];
    while (next(&it, &m) == 1) {
        struct it mi = iter(&m);
        /* WebSocket: (type, from_client, content, ...); TCP: (from_client, content, ts). */
        if (next(&mi, &x[0]) != 1 || next(&mi, &x[1]) != 1 || next(&mi, &x[2]) != 1)
            continue;
        const struct tv *fc = ws ? &x[1] : &x[0], *content = ws ? &x[2] : &x[1];
        int from_client = 0;
        flag_field(fc, &from_client);
        struct buf b = {(uint8_t *)content->p, 0, content->n, content->n};
        if (ws) {
            if (out->nws == out->capws) {
                out->capws = out->capws ? out->capws * 2 : 16;
                out->ws = xrealloc(out->ws, out->capws * sizeof(*out->ws));
            }
            out->ws[out->nws++] = (struct ws_message){.content = b, .from_client = from_client};
        } else {
            if (out->ntcp == out->captcp) {
                out->captcp = out->captcp ? out->captcp * 2 : 16;
                out->tcp = xrealloc(out->tcp, out->captcp * sizeof(*out->tcp));
            }
            out->tcp[out->ntcp++] = (struct tcp_message){.from_client = from_client, .content = b};
        }
    }
}

int
store__rec_view(uint8_t *raw, size_t n, struct rec_view *out)
{
    struct tv rec;
    out->headers[0].n = out->headers[1].n = 0;
    out->client = out->server = (struct addr){NULL, 0};
    out->metadata = slice_from("", 0);
    out->nws = out->ntcp = 0;
    if (frame(raw, n, &rec) < 0 || rec.type != TNS_DICT)
        return MP_ERR_CORRUPT;
    struct it it = iter(&rec);
    struct tv k, v;
    while (next_pair(&it, &k, &v) == 1) {
        if ((KEY_IS(&k, "request") || KEY_IS(&k, "response")) && v.type == TNS_DICT) {
            struct hdrs *h = &out->headers[KEY_IS(&k, "response")];
            struct it mi = iter(&v);
            struct tv mk, mv;
            while (next_pair(&mi, &mk, &mv) == 1)
                if (KEY_IS(&mk, "headers") && mv.type == TNS_LIST)
                    view_headers(raw, &mv, h);
        } else if (KEY_IS(&k, "client_conn") && v.type == TNS_DICT) {
            view_addr(raw, &v, &out->client);
        } else if (KEY_IS(&k, "server_conn") && v.type == TNS_DICT) {
            view_addr(raw, &v, &out->server);
        } else if (KEY_IS(&k, "metadata")) {
            out->metadata = slice_from(v.whole, v.wlen);
        } else if (KEY_IS(&k, "messages") && v.type == TNS_LIST) {
            view_messages(&v, 0, out);
        } else if (KEY_IS(&k, "websocket") && v.type == TNS_DICT) {
            struct it wi = iter(&v);
            struct tv wk, wv;
            while (next_pair(&wi, &wk, &wv) == 1)
                if (KEY_IS(&wk, "messages") && wv.type == TNS_LIST)
                    view_messages(&wv, 1, out);
        }
    }
    return 0;
}

int
store__rec_view_headers(uint8_t *raw, size_t n, struct rec_view *out)
{
    struct tv h[2];
    out->headers[0].n = out->headers[1].n = 0;
    if (headers_frame(raw, n, h) < 0)
        return MP_ERR_CORRUPT;
    for (int i = 0; i < 2; i++)
        if (h[i].type == TNS_LIST)
            view_headers(raw, &h[i], &out->headers[i]);
    return 0;
}

void
store__rec_view_clear(struct rec_view *v)
{
    free(v->headers[0].v);
    free(v->headers[1].v);
    free(v->ws);
    free(v->tcp);
    memset(v, 0, sizeof(*v));
}

struct tns *
store__rec_dns(const uint8_t *raw, size_t n)
{
    struct tv rec;
    if (frame(raw, n, &rec) < 0 || rec.type != TNS_DICT)
        return NULL;
    struct tns *d = tns_dict();
    struct it it = iter(&rec);
    struct tv k, v;
    while (next_pair(&it, &k, &v) == 1) {
        if (!KEY_IS(&k, "request") && !KEY_IS(&k, "response"))
            continue;
        struct tns *t;
        size_t used;
        if (tns_decode(v.whole, v.wlen, &used, &t, NULL) == 0)
            tns_dict_set(d, KEY_IS(&k, "request") ? "request" : "response", t);
    }
    return d;
}
