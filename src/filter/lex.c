/*
 * Tokens of the filter language. The grammar decides which token it wants
 * where ("&" is an operator after an operand but a bare word at the start of
 * one), so these are scanners the parser calls, not a token stream.
 */
#include <string.h>

#include "filter/internal.h"

static const struct filt_opinfo ops[] = {
    {"a", FOP_A, FARG_NONE, 0},
    {"all", FOP_ALL, FARG_NONE, 0},
    {"b", FOP_B, FARG_REGEX, FREX_DOTALL},
    {"bq", FOP_BQ, FARG_REGEX, FREX_DOTALL},
    {"bs", FOP_BS, FARG_REGEX, FREX_DOTALL},
    {"c", FOP_C, FARG_INT, 0},
    {"comment", FOP_COMMENT, FARG_REGEX, FREX_MULTILINE},
    {"d", FOP_D, FARG_REGEX, 0},
    {"dns", FOP_DNS, FARG_NONE, 0},
    {"dst", FOP_DST, FARG_REGEX, 0},
    {"e", FOP_E, FARG_NONE, 0},
    {"h", FOP_H, FARG_REGEX, FREX_MULTILINE},
    {"hq", FOP_HQ, FARG_REGEX, FREX_MULTILINE},
    {"hs", FOP_HS, FARG_REGEX, FREX_MULTILINE},
    {"http", FOP_HTTP, FARG_NONE, 0},
    {"m", FOP_M, FARG_REGEX, 0},
    {"marked", FOP_MARKED, FARG_NONE, 0},
    {"marker", FOP_MARKER, FARG_REGEX, 0},
    {"meta", FOP_META, FARG_REGEX, FREX_MULTILINE},
    {"q", FOP_Q, FARG_NONE, 0},
    {"replay", FOP_REPLAY, FARG_NONE, 0},
    {"replayq", FOP_REPLAYQ, FARG_NONE, 0},
    {"replays", FOP_REPLAYS, FARG_NONE, 0},
    {"s", FOP_S, FARG_NONE, 0},
    {"src", FOP_SRC, FARG_REGEX, 0},
    {"t", FOP_T, FARG_REGEX, 0},
    {"tcp", FOP_TCP, FARG_NONE, 0},
    {"tq", FOP_TQ, FARG_REGEX, 0},
    {"ts", FOP_TS, FARG_REGEX, 0},
    {"u", FOP_U, FARG_REGEX, 0},
    {"udp", FOP_UDP, FARG_NONE, 0},
    {"websocket", FOP_WEBSOCKET, FARG_NONE, 0},
};

const struct filt_opinfo *
filt__op_lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strlen(ops[i].name) == n && memcmp(ops[i].name, name, n) == 0)
            return &ops[i];
    return NULL;
}

size_t
filt__scan_word(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && !filt__is_ws((unsigned char)s[i]) && !strchr("()~'\"", s[i]))
        i++;
    return i;
}

size_t
filt__scan_quoted(const char *s, size_t n, struct buf *out)
{
    char q = s[0];
    size_t i = 1;
    /* Body: an escape pair whose second char is not a newline, or any
     * char but the quote, CR, LF and backslash. */
    for (;;) {
        if (i >= n)
            return 0;
        if (s[i] == q)
            break;
        if (s[i] == '\\') {
            if (i + 1 >= n || s[i + 1] == '\n')
                return 0;
            i += 2;
            continue;
        }
        if (s[i] == '\n' || s[i] == '\r')
            return 0;
        i++;
    }
    const char *body = s + 1;
    size_t blen = i - 1;

    /* pyparsing first turns the two-char sequences \t \n \f \r into control
     * characters (even when the backslash is itself escaped), then drops the
     * backslash of every remaining pair whose second char is not a newline.
     * Reproduced step by step because filters written for mitmproxy rely on
     * the result, odd as it is. */
    struct buf tmp = BUF_INIT;
    for (size_t j = 0; j < blen; j++) {
        char c = body[j];
        if (c == '\\' && j + 1 < blen && strchr("tnfr", body[j + 1])) {
            char m = body[j + 1];
            char r = m == 't' ? '\t' : m == 'n' ? '\n' : m == 'f' ? '\f' : '\r';
            buf_append(&tmp, &r, 1);
            j++;
            continue;
        }
        buf_append(&tmp, &c, 1);
    }
    const char *t = (const char *)buf_ptr(&tmp);
    for (size_t j = 0; j < tmp.len; j++) {
        if (t[j] == '\\' && j + 1 < tmp.len && t[j + 1] != '\n') {
            buf_append(out, &t[j + 1], 1);
            j++;
            continue;
        }
        buf_append(out, &t[j], 1);
    }
    buf_clear(&tmp);
    return i + 1;
}
