/*
 * Python's repr() of a flow's metadata values, which 8.1.1's Detail tab
 * lists (flowdetailview: repr(v) for each key). The values come from a
 * flow file, so they are what tnetstring holds: str, bytes, int, float,
 * bool, None, lists and dicts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "console/internal.h"
#include "flow/tnetstring.h"

/* The quote repr() picks: ' unless the text has ' and no ". */
static char
quote_of(const char *p, size_t n)
{
    return memchr(p, '\'', n) && !memchr(p, '"', n) ? '"' : '\'';
}

/* A str's or bytes' characters inside their quotes: the quote and the
 * backslash escaped, \t \n \r by name, other control bytes (and, for
 * bytes, everything past ASCII) as \xNN; text past ASCII stays as it is
 * (what is printable to Python is, for the text flows hold). */
static void
chars(struct buf *out, const char *p, size_t n, int bytes)
{
    char q = quote_of(p, n);
    buf_append(out, &q, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char x[8];
        if (c == (unsigned char)q || c == '\\') {
            x[0] = '\\';
            x[1] = (char)c;
            buf_append(out, x, 2);
        } else if (c == '\t' || c == '\n' || c == '\r') {
            buf_append(out, c == '\t' ? "\\t" : c == '\n' ? "\\n" : "\\r", 2);
        } else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
            snprintf(x, sizeof(x), "\\x%02x", c);
            buf_append(out, x, 4);
        } else {
            buf_append(out, &p[i], 1);
        }
    }
    buf_append(out, &q, 1);
}

void
console__repr(struct buf *out, const struct tns *v)
{
    char num[32];
    switch (v->type) {
    case TNS_TEXT:
        chars(out, v->u.str.p, v->u.str.len, 0);
        return;
    case TNS_BYTES:
        buf_append(out, "b", 1);
        chars(out, v->u.str.p, v->u.str.len, 1);
        return;
    case TNS_INT:
        snprintf(num, sizeof(num), "%" PRId64, v->u.i);
        buf_append_str(out, num);
        return;
    case TNS_FLOAT:
        if (v->u.f.text) {
            buf_append_str(out, v->u.f.text);
        } else {
            tns_format_float(v->u.f.v, num);
            buf_append_str(out, num);
        }
        return;
    case TNS_BOOL:
        buf_append_str(out, v->u.b ? "True" : "False");
        return;
    case TNS_NULL:
        buf_append_str(out, "None");
        return;
    case TNS_LIST:
        buf_append(out, "[", 1);
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (i)
                buf_append(out, ", ", 2);
            console__repr(out, v->u.list.v[i]);
        }
        buf_append(out, "]", 1);
        return;
    case TNS_DICT:
        buf_append(out, "{", 1);
        for (size_t i = 0; i < v->u.dict.n; i++) {
            if (i)
                buf_append(out, ", ", 2);
            chars(out, v->u.dict.v[i].key, v->u.dict.v[i].key_len, 0);
            buf_append(out, ": ", 2);
            console__repr(out, v->u.dict.v[i].val);
        }
        buf_append(out, "}", 1);
        return;
    }
}
