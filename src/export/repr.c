/*
 * Python's repr() of bytes, str and float, and shlex.quote(): the text
 * mitmproxy's cut and export write, and the size HAR gives to headers
 * (the length of their repr).
 */
#include <string.h>

#include "export/internal.h"
#include "flow/tnetstring.h"

static void
hex_escape(struct buf *out, unsigned c)
{
    static const char hex[] = "0123456789abcdef";
    char x[4] = {'\\', 'x', hex[(c >> 4) & 15], hex[c & 15]};
    buf_append(out, x, 4);
}

/* The quote repr() picks: ' unless the text has ' and no ". */
static char
pick_quote(const void *p, size_t n)
{
    return memchr(p, '\'', n) && !memchr(p, '"', n) ? '"' : '\'';
}

/* One ASCII character as repr() writes it inside quote q; 0 if it is not
 * plain ASCII (the caller decides). */
static int
ascii_char(struct buf *out, unsigned char c, char q)
{
    if (c == (unsigned char)q || c == '\\') {
        char x[2] = {'\\', (char)c};
        buf_append(out, x, 2);
    } else if (c == '\t') {
        buf_append(out, "\\t", 2);
    } else if (c == '\n') {
        buf_append(out, "\\n", 2);
    } else if (c == '\r') {
        buf_append(out, "\\r", 2);
    } else if (c < 0x20 || c == 0x7f) {
        hex_escape(out, c);
    } else if (c < 0x80) {
        buf_append(out, &c, 1);
    } else {
        return 0;
    }
    return 1;
}

void
exp__repr_bytes(struct buf *out, const void *p, size_t n)
{
    const unsigned char *s = p;
    char q = pick_quote(p, n);
    buf_append(out, "b", 1);
    buf_append(out, &q, 1);
    for (size_t i = 0; i < n; i++)
        if (!ascii_char(out, s[i], q))
            hex_escape(out, s[i]);
    buf_append(out, &q, 1);
}

/*
 * A str's repr: printable characters stay, which for what reaches here
 * (hosts, ids, names) means every valid UTF-8 sequence from U+00A0 on;
 * U+0080..U+009F are \xHH and a surrogate escape byte is \udcHH.
 */
void
exp__repr_str(struct buf *out, const void *p, size_t n)
{
    const unsigned char *s = p;
    char q = pick_quote(p, n);
    buf_append(out, &q, 1);
    for (size_t i = 0; i < n;) {
        if (ascii_char(out, s[i], q)) {
            i++;
            continue;
        }
        size_t len = s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : s[i] >= 0xc0 ? 2 : 0;
        if (len && i + len <= n && exp__is_utf8(s + i, len)) {
            if (len == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)
                hex_escape(out, s[i + 1]);
            else
                buf_append(out, s + i, len);
            i += len;
        } else {
            buf_printf(out, "\\udc%02x", s[i]);
            i++;
        }
    }
    buf_append(out, &q, 1);
}

void
exp__repr_float(struct buf *out, double v)
{
    char s[32];
    tns_format_float(v, s);
    buf_append_str(out, s);
}

void
exp__shlex_quote(struct buf *out, const void *p, size_t n)
{
    const unsigned char *s = p;
    if (n == 0) {
        buf_append(out, "''", 2);
        return;
    }
    /* Safe: [\w@%+=:,./-] with \w ASCII-only. */
    int safe = 1;
    for (size_t i = 0; i < n && safe; i++) {
        unsigned char c = s[i];
        safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr("_@%+=:,./-", c));
    }
    if (safe) {
        buf_append(out, p, n);
        return;
    }
    buf_append(out, "'", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'')
            buf_append(out, "'\"'\"'", 5);
        else
            buf_append(out, &s[i], 1);
    }
    buf_append(out, "'", 1);
}
