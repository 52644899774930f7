/*
 * One flow as 8.1.1's flow list shows it (tools/console/common.py
 * format_flow): the table layout on wide terminals, the two-line list
 * layout on narrow ones and above the flow view. Only what a row needs is
 * read, from the store's compact row (struct store_info), so a list of a
 * million flows costs the rows on the screen and nothing else.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console/internal.h"
#include "dns/dns.h"
#include "flow/connection.h"
#include "flow/flow.h"
#include "util/num.h"
#include "util/emoji.h"
#include "util/xmalloc.h"

/* 8.1.1's symbols on a UTF-8 terminal. */
#define SYMBOL_REPLAY "\xe2\x86\xba" /* ↺ */
#define SYMBOL_RETURN "\xe2\x86\x90" /* ← */
#define SYMBOL_MARK "\xe2\x97\x8f"   /* ● */

void
console__pretty_duration(double secs, char *out, size_t outlen)
{
    if (secs >= 100)
        snprintf(out, outlen, "%.0fs", secs);
    else if (secs >= 10)
        snprintf(out, outlen, "%2.1fs", secs);
    else if (secs >= 1)
        snprintf(out, outlen, "%1.2fs", secs);
    else
        snprintf(out, outlen, "%.0fms", secs * 1000);
}

/* 8.1.1's gradient_NN: 00 for the largest, 99 for the smallest. */
static enum console_style
gradient(double x)
{
    int v = (int)(99 - 100 * (x < 0.99 ? x : 0.99));
    return console__gradient_style(v < 0 ? 0 : v);
}

enum console_style
console__size_style(uint64_t n)
{
    return gradient(log2(1 + (double)n) / 20);
}

enum console_style
console__duration_style(double secs)
{
    return gradient(log2(1 + 1000 * secs) / 12);
}

static int
starts(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

static int
ends(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

enum console_style
console__content_type_style(const char *ct, size_t *shown)
{
    size_t n = strcspn(ct, ";");
    *shown = n;
    if (ends(ct, n, "/javascript"))
        return ST_CONTENT_SCRIPT;
    if (starts(ct, n, "text/"))
        return ST_CONTENT_TEXT;
    if (starts(ct, n, "image/") || starts(ct, n, "video/") || starts(ct, n, "font/") ||
        memmem(ct, n, "/x-font-", 8))
        return ST_CONTENT_MEDIA;
    if (ends(ct, n, "/json") || ends(ct, n, "/xml"))
        return ST_CONTENT_DATA;
    if (starts(ct, n, "application/"))
        return ST_CONTENT_RAW;
    return ST_CONTENT_OTHER;
}

int
console__table_layout(const char *layout, int cols)
{
    if (layout && strcmp(layout, "list") == 0)
        return 0;
    if (layout && strcmp(layout, "table") == 0)
        return 1;
    return cols >= 100;
}

static enum console_style
method_style(const char *m)
{
    if (strcmp(m, "GET") == 0)
        return ST_METHOD_GET;
    if (strcmp(m, "POST") == 0)
        return ST_METHOD_POST;
    if (strcmp(m, "DELETE") == 0)
        return ST_METHOD_DELETE;
    if (strcmp(m, "HEAD") == 0)
        return ST_METHOD_HEAD;
    if (strcmp(m, "PUT") == 0)
        return ST_METHOD_PUT;
    return ST_METHOD_OTHER;
}

static enum console_style
scheme_style(const char *s)
{
    static const struct {
        const char *name;
        enum console_style style;
    } t[] = {{"http", ST_SCHEME_HTTP}, {"https", ST_SCHEME_HTTPS}, {"ws", ST_SCHEME_WS},
             {"wss", ST_SCHEME_WSS},   {"tcp", ST_SCHEME_TCP},     {"dns", ST_SCHEME_DNS}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(s, t[i].name) == 0)
            return t[i].style;
    return ST_SCHEME_OTHER;
}

static enum console_style
code_style(int code)
{
    switch (code / 100) {
    case 2:
        return ST_CODE_200;
    case 3:
        return ST_CODE_300;
    case 4:
        return ST_CODE_400;
    case 5:
        return ST_CODE_500;
    default:
        return ST_CODE_OTHER;
    }
}

/* human.format_timestamp: local time, "YYYY-MM-DD HH:MM:SS". */
static void
timestamp(double t, char *out, size_t outlen)
{
    time_t s = (time_t)t;
    struct tm tm;
    localtime_r(&s, &tm);
    strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The request's URL as 8.1.1's pretty_url (scheme, host, port when not the default, path). */
static void
url(const struct store_info *in, char *out, size_t outlen)
{
    int dflt = (strcmp(in->scheme, "https") == 0 && in->port == 443) ||
               (strcmp(in->scheme, "http") == 0 && in->port == 80);
    const char *lb = strchr(in->host, ':') ? "[" : "", *rb = *lb ? "]" : "";
    if (dflt || in->port == 0)
        snprintf(out, outlen, "%s://%s%s%s%s", in->scheme, lb, in->host, rb, in->path);
    else
        snprintf(out, outlen, "%s://%s%s%s:%u%s", in->scheme, lb, in->host, rb, in->port, in->path);
}

/* A marker's glyph (render_marker): an emoji name's, else the default mark;
 * only its first code point (a ZWJ sequence is not one glyph). */
static void
marker(const char *m, char *out, size_t outlen)
{
    const char *g = emoji_glyph(m);
    if (g == NULL)
        g = SYMBOL_MARK;
    size_t n = strlen(g), k = 1;
    while (k < n && ((unsigned char)g[k] & 0xc0) == 0x80)
        k++;
    snprintf(out, outlen, "%.*s", (int)k, g);
}

/* The 3-column right indicators: replay and marker. */
static void
right_indicators(struct sline *l, const struct store_info *in)
{
    if (in->is_replay)
        console__put(l, ST_REPLAY, SYMBOL_REPLAY, SIZE_MAX);
    else
        console__put(l, ST_TEXT, " ", 1);
    if (*in->marked) {
        char g[16];
        marker(in->marked, g, sizeof(g));
        console__put(l, ST_MARK, g, SIZE_MAX);
        console__put(l, ST_TEXT, " ", 1);
    } else {
        console__put(l, ST_TEXT, "  ", 2);
    }
}

/* Columns(min_width=15): no weighted column is narrower. */
#define MIN_WEIGHTED 15

/*
 * urwid's Columns: fixed columns take their width, then the weighted ones
 * share what is left, the lightest first (ties left to right), each
 * int(shared * weight / total + 0.5) but at least MIN_WEIGHTED.
 */
static void
share(int shared, const double *weights, int n, int *out)
{
    double total = 0;
    int order[8];
    for (int i = 0; i < n; i++) {
        total += weights[i];
        int k = i;
        for (; k > 0 && weights[order[k - 1]] > weights[i]; k--)
            order[k] = order[k - 1];
        order[k] = i;
    }
    for (int j = 0; j < n; j++) {
        int i = order[j];
        int w = (int)((double)shared * weights[i] / total + 0.5);
        out[i] = w < MIN_WEIGHTED ? MIN_WEIGHTED : w;
        shared -= out[i];
        total -= weights[i];
    }
}

/* Bytes text[from..to) in style, or with st in the styles st gives each
 * byte, a run of one style at a time. */
static void
put_span(struct sline *l, enum console_style style, const unsigned char *st, const char *text,
         size_t from, size_t to)
{
    if (st == NULL) {
        console__put(l, style, text + from, to - from);
        return;
    }
    while (from < to) {
        size_t e = from;
        while (e < to && st[e] == st[from])
            e++;
        console__put(l, (enum console_style)st[from], text + from, e - from);
        from = e;
    }
}

/* TruncatedText: text in exactly cols columns, cut with an ellipsis (in the
 * focus style) at the end, or at the start when right-aligned; in style, or
 * in a style per byte (st, when not NULL). */
static void
truncated_styled(struct sline *l, enum console_style style, const unsigned char *st,
                 const char *text, int cols, int right)
{
    size_t len = strlen(text);
    int w = console__width(text, len);
    if (w <= cols) {
        if (right)
            console__pad_to(l, ST_TEXT, l->used + cols - w);
        put_span(l, style, st, text, 0, len);
        if (!right)
            console__pad_to(l, ST_TEXT, l->used + cols - w);
        return;
    }
    if (cols <= 0)
        return;
    if (right) {
        console__put(l, ST_FOCUS, "\xe2\x80\xa6", SIZE_MAX);
        size_t skip = 0;
        for (int k = 0; k < w - (cols - 1); k++) {
            skip++;
            while (skip < len && ((unsigned char)text[skip] & 0xc0) == 0x80)
                skip++;
        }
        put_span(l, style, st, text, skip, len);
    } else {
        size_t keep = 0;
        for (int k = 0; k < cols - 1; k++) {
            keep++;
            while (keep < len && ((unsigned char)text[keep] & 0xc0) == 0x80)
                keep++;
        }
        put_span(l, style, st, text, 0, keep);
        console__put(l, ST_FOCUS, "\xe2\x80\xa6", SIZE_MAX);
    }
}

static void
truncated(struct sline *l, enum console_style style, const char *text, int cols, int right)
{
    truncated_styled(l, style, NULL, text, cols, right);
}

/* A row's host and path take their styles (a byte each) from the stack
 * up to this length: a row is drawn for every flow on the screen. */
#define STYLES_ON_STACK 512

/* The host as colorize_host colours it (its suffixes from the public
 * suffix list, psl.c), right-aligned in cols as TruncatedText(..., "right"). */
static void
truncated_host(struct sline *l, const char *host, int cols)
{
    size_t len = strlen(host), tld, sld;
    console__psl_suffixes(host, &tld, &sld);
    unsigned char small[STYLES_ON_STACK];
    unsigned char *st = len <= sizeof(small) ? small : xmalloc(len);
    /* Stray continuation bytes at the start belong to no code point. */
    memset(st, ST_TEXT, len);
    long tld_left = (long)tld, sld_left = (long)sld - (long)tld;
    for (size_t i = len; i-- > 0;) {
        if (((unsigned char)host[i] & 0xc0) == 0x80)
            continue; /* a code point's style goes on all its bytes */
        enum console_style s = ST_TEXT;
        if (tld_left > 0) {
            s = ST_URL_DOMAIN;
            tld_left--;
        } else if (tld_left == 0) {
            tld_left--;
        } else if (sld_left > 0) {
            sld_left--;
            s = ST_URL_EXTENSION;
        }
        for (size_t k = i; k < len && (k == i || ((unsigned char)host[k] & 0xc0) == 0x80); k++)
            st[k] = (unsigned char)s;
    }
    truncated_styled(l, ST_TEXT, st, host, cols, 1);
    if (st != small)
        free(st);
}

/* The styles 8.1.1's colorize_req gives a request path, one per byte of
 * s[0..len) into st: before the query, slashes and the file name's dots are
 * punctuation, then the file name and its extension (from its last dot);
 * the "?", and in the query each key, "=", value and "&". Every byte of a
 * code point gets its style, as the tests are on ASCII and on positions. */
void
console__path_styles(const char *s, size_t len, unsigned char *st)
{
    const char *q = memchr(s, '?', len);
    long qi = q ? (long)(q - s) : (long)len, slash = -1, ext = (long)len;
    for (long i = 0; i < qi; i++)
        if (s[i] == '/')
            slash = i;
    for (long i = qi - 1; i > slash; i--) {
        if (s[i] == '.') {
            ext = i - 1; /* colorize_req's i_ext: the extension is i > i_ext */
            break;
        }
    }
    int in_val = 0;
    for (long i = 0; i < (long)len; i++) {
        char c = s[i];
        enum console_style a = ST_TEXT;
        if ((i < qi && c == '/') || (i < qi && i > slash && c == '.') || i == qi) {
            a = ST_URL_PUNCTUATION;
        } else if (i > qi) {
            if (c == (in_val ? '&' : '=')) {
                in_val = !in_val;
                a = ST_URL_PUNCTUATION;
            } else {
                a = in_val ? ST_URL_QUERY_VALUE : ST_URL_QUERY_KEY;
            }
        } else if (i > ext) {
            a = ST_URL_EXTENSION;
        } else if (i > slash) {
            a = ST_URL_FILENAME;
        }
        st[i] = (unsigned char)a;
    }
}

/* The path as colorize_req colours it, left-aligned in cols. */
static void
truncated_path(struct sline *l, const char *path, int cols)
{
    size_t len = strlen(path);
    unsigned char small[STYLES_ON_STACK];
    unsigned char *st = len <= sizeof(small) ? small : xmalloc(len);
    console__path_styles(path, len, st);
    truncated_styled(l, ST_TEXT, st, path, cols, 0);
    if (st != small)
        free(st);
}

void
console__format_address(const struct addr *a, char *out, size_t outlen)
{
    struct in_addr v4;
    struct in6_addr v6;
    char ip[INET6_ADDRSTRLEN];
    if (a == NULL || a->host == NULL)
        snprintf(out, outlen, "<no address>");
    else if (inet_pton(AF_INET, a->host, &v4) == 1)
        snprintf(out, outlen, "%s:%u", v4.s_addr == 0 ? "*" : a->host, a->port);
    else if (inet_pton(AF_INET6, a->host, &v6) != 1)
        snprintf(out, outlen, "%s:%u", a->host, a->port);
    else if (IN6_IS_ADDR_UNSPECIFIED(&v6))
        snprintf(out, outlen, "*:%u", a->port);
    else if (IN6_IS_ADDR_V4MAPPED(&v6) && inet_ntop(AF_INET, &v6.s6_addr[12], ip, sizeof(ip)))
        snprintf(out, outlen, "%s:%u", ip, a->port);
    else if (inet_ntop(AF_INET6, &v6, ip, sizeof(ip)))
        snprintf(out, outlen, "[%s]:%u", ip, a->port);
    else
        snprintf(out, outlen, "%s:%u", a->host, a->port);
}

/* What 8.1.1's format_tcp_flow shows of a TCP flow. */
struct tcp_parts {
    double start;                  /* the client's connection start */
    char client[300], server[300]; /* as format_address */
    uint64_t size;                 /* the messages' contents */
    double dur;                    /* connection start to the last message; 0: none */
};

/* A TCP or DNS flow's one line: in the table, in the list, above the flow view. */
enum row_mode { ROW_TABLE, ROW_LIST, ROW_DETAIL };

/* format_tcp_flow: one line in every render mode; the list's has no time,
 * the table's scheme column is 5 wide. */
static void
tcp_line(struct sline *l, const struct store_info *in, const struct tcp_parts *p,
         const char *errmsg, int focused, enum row_mode mode)
{
    char ts[32], buf[64], conn[640];
    console__put(l, ST_FOCUS, focused ? ">>" : "  ", 2);
    if (mode != ROW_LIST) {
        timestamp(p->start, ts, sizeof(ts));
        console__put(l, ST_TEXT, ts + strlen(ts) - 8, 8);
    }
    console__put(l, ST_TEXT, " ", 1);
    int scheme = mode == ROW_TABLE ? 5 : 3;
    console__put_fixed(l, ST_SCHEME_TCP, "TCP", (size_t)scheme, 0);
    console__put(l, ST_TEXT, " ", 1);

    snprintf(conn, sizeof(conn), "%s <-> %s", p->client, p->server);
    /* Fixed: indicators, "TCP", size 5, duration 5, right indicators 3;
     * the address and the error share the rest, a divider between two. */
    static const double weights[2] = {1.0, 1.0};
    int nw = errmsg ? 2 : 1, widths[2];
    int fixed = (mode == ROW_LIST ? 2 : 10) + scheme + 5 + 5 + 3;
    share(l->width - fixed - (4 + nw), weights, nw, widths);
    truncated(l, ST_TEXT, conn, widths[0], 0);
    console__put(l, ST_TEXT, " ", 1);
    if (errmsg) {
        truncated(l, ST_ERROR, errmsg, widths[1], 0);
        console__put(l, ST_TEXT, " ", 1);
    }
    if (p->size) {
        num_pretty_size(buf, p->size);
        console__put_fixed(l, console__size_style(p->size), buf, 5, 1);
    } else {
        console__put_fixed(l, ST_TEXT, "", 5, 1);
    }
    console__put(l, ST_TEXT, " ", 1);
    if (p->dur > 0) {
        console__pretty_duration(p->dur, buf, sizeof(buf));
        console__put_fixed(l, console__duration_style(p->dur), buf, 5, 1);
    } else {
        console__put_fixed(l, ST_TEXT, "", 5, 1);
    }
    console__put(l, ST_TEXT, " ", 1);
    right_indicators(l, in);
}

/* A TCP flow's row from the store's. */
static void
tcp_row(struct sline *l, const struct store_info *in, const char *errmsg, int focused,
        enum row_mode mode)
{
    struct tcp_parts p = {.start = in->client_timestamp_start ? in->client_timestamp_start
                                                              : in->timestamp_created,
                          .size = in->size};
    struct addr cli = {.host = (char *)in->client_host, .port = in->client_port};
    console__format_address(in->client_host && *in->client_host ? &cli : NULL, p.client,
                            sizeof(p.client));
    struct addr srv = {.host = (char *)in->host, .port = in->port};
    console__format_address(*in->host ? &srv : NULL, p.server, sizeof(p.server));
    if (in->last_message_timestamp && in->client_timestamp_start)
        p.dur = in->last_message_timestamp - in->client_timestamp_start;
    tcp_line(l, in, &p, errmsg, focused, mode);
}

/* format_dns_flow: one line in every render mode, the list's without the
 * time, the table's op code column 10 wide ("DNS QUERY "). */
static void
dns_line(struct sline *l, const struct store_info *in, const char *errmsg, int focused,
         enum row_mode mode)
{
    char ts[32], buf[64], op[64], type[64];
    console__put(l, ST_FOCUS, focused ? ">>" : "  ", 2);
    if (mode != ROW_LIST) {
        timestamp(in->request_timestamp_start, ts, sizeof(ts));
        console__put(l, in->intercepted ? ST_INTERCEPT : ST_TEXT, ts + strlen(ts) - 8, 8);
    }
    console__put(l, ST_TEXT, " ", 1);
    snprintf(op, sizeof(op), "DNS %s", in->method);
    int opw = mode == ROW_TABLE ? 10 : console__width(op, strlen(op));
    console__put_fixed(l, in->intercepted ? ST_INTERCEPT : ST_SCHEME_DNS, op, opw, 0);
    console__put(l, ST_TEXT, " ", 1);

    /* Fixed: indicators, the op code, "(type) =", the response code 9,
     * duration 5, right indicators 3; the name (0.5) and the answers (1)
     * share the rest, 7 dividers. */
    snprintf(type, sizeof(type), "(%s) =", in->http_version);
    int typew = console__width(type, strlen(type));
    static const double weights[2] = {0.5, 1.0};
    int widths[2];
    int fixed = (mode == ROW_LIST ? 2 : 10) + opw + typew + 9 + 5 + 3;
    share(l->width - fixed - 7, weights, 2, widths);
    truncated_host(l, in->path, widths[0]);
    console__put(l, ST_TEXT, " ", 1);
    console__put(l, ST_TEXT, type, SIZE_MAX);
    console__put(l, ST_TEXT, " ", 1);
    /* The answers joined, "?" for none, "..." before the answer; an error
     * instead of all of them. */
    if (errmsg)
        truncated(l, ST_ERROR, errmsg, widths[1], 0);
    else
        truncated(l, ST_TEXT,
                  !in->has_response ? "..."
                  : *in->reason     ? in->reason
                                    : "?",
                  widths[1], 0);
    console__put(l, ST_TEXT, " ", 1);
    char rc[DNS_STR_MAX];
    const char *rcode = in->has_response ? dns_rcode_str((unsigned)in->status_code, rc) : "";
    enum console_style rs = in->intercepted ? ST_INTERCEPT
                            : in->has_response
                                ? code_style(dns_rcode_http_status((unsigned)in->status_code))
                                : ST_CODE_OTHER;
    console__put_fixed(l, rs, rcode, 9, 0);
    console__put(l, ST_TEXT, " ", 1);
    double dur = in->has_response ? in->response_timestamp_start - in->request_timestamp_start : 0;
    if (dur != 0) {
        console__pretty_duration(dur, buf, sizeof(buf));
        console__put_fixed(l, console__duration_style(dur), buf, 5, 1);
    } else {
        console__put_fixed(l, ST_TEXT, "", 5, 1);
    }
    console__put(l, ST_TEXT, " ", 1);
    right_indicators(l, in);
}

void
console__format_table(struct sline *l, const struct store_info *in, const char *errmsg, int focused)
{
    char ts[32], buf[64];
    int intercept_req = in->intercepted && !in->has_response;
    int intercept_resp = in->intercepted && in->has_response;

    if (in->type == FLOW_TCP) {
        tcp_row(l, in, errmsg, focused, ROW_TABLE);
        return;
    }
    if (in->type == FLOW_DNS) {
        dns_line(l, in, errmsg, focused, ROW_TABLE);
        return;
    }

    /* Left indicators: focus and the time, 10 columns. */
    console__put(l, ST_FOCUS, focused ? ">>" : "  ", 2);
    timestamp(in->has_request ? in->request_timestamp_start : in->timestamp_created, ts,
              sizeof(ts));
    console__put(l, in->intercepted ? ST_INTERCEPT : ST_TEXT, ts + strlen(ts) - 8, 8);
    console__put(l, ST_TEXT, " ", 1);

    int widths[3];
    static const double weights[3] = {0.25, 1.0, 0.15};
    /* Fixed: indicators 10, scheme 5, method 4, status 3, size 5, duration 5,
     * right indicators 3; and 9 dividers. */
    share(l->width - 35 - 9, weights, 3, widths);

    enum console_style rs = intercept_req ? ST_INTERCEPT : 0;
    /* A WebSocket flow's scheme is ws or wss. */
    char scheme[16];
    if (in->websocket && strcmp(in->scheme, "https") == 0)
        snprintf(scheme, sizeof(scheme), "wss");
    else if (in->websocket && strcmp(in->scheme, "http") == 0)
        snprintf(scheme, sizeof(scheme), "ws");
    else
        snprintf(scheme, sizeof(scheme), "%s", in->scheme);
    enum console_style ss = scheme_style(scheme);
    for (char *p = scheme; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    console__put_fixed(l, rs ? rs : ss, scheme, 5, 0);
    console__put(l, ST_TEXT, " ", 1);
    console__put_fixed(l, rs ? rs : method_style(in->method), in->method, 4, 0);
    console__put(l, ST_TEXT, " ", 1);
    truncated_host(l, in->host, widths[0]);
    console__put(l, ST_TEXT, " ", 1);
    truncated_path(l, in->path, widths[1]);
    console__put(l, ST_TEXT, " ", 1);

    enum console_style resp = intercept_resp ? ST_INTERCEPT : 0;
    const char *status = "", *content = "";
    enum console_style status_st = ST_TEXT, content_st = ST_TEXT;
    char code[8], ctype[128];
    if (in->has_response) {
        snprintf(code, sizeof(code), "%d", in->status_code);
        status = code;
        status_st = resp ? resp : code_style(in->status_code);
        if (in->response_size && *in->content_type) {
            size_t n;
            content_st = console__content_type_style(in->content_type, &n);
            snprintf(ctype, sizeof(ctype), "%.*s", (int)n, in->content_type);
            content = ctype;
            if (resp)
                content_st = resp;
        } else if (in->response_size) {
            content_st = ST_CONTENT_NONE;
        } else {
            /* raw_content None: the body was never read (a truncated flow). */
            content = in->response_content_none ? "[content missing]" : "[no content]";
            content_st = ST_CONTENT_NONE;
        }
    } else if (in->error) {
        status = "err";
        status_st = ST_ERROR;
        content = errmsg ? errmsg : "";
        content_st = ST_ERROR;
    }
    console__put_fixed(l, status_st, status, 3, 0);
    console__put(l, ST_TEXT, " ", 1);
    truncated(l, content_st, content, widths[2], 1);
    console__put(l, ST_TEXT, " ", 1);
    if (in->has_response && in->response_size) {
        num_pretty_size(buf, in->response_size);
        console__put_fixed(l, resp ? resp : console__size_style(in->response_size), buf, 5, 1);
    } else {
        console__put_fixed(l, ST_TEXT, "", 5, 1);
    }
    console__put(l, ST_TEXT, " ", 1);
    double dur =
        in->response_timestamp_end ? in->response_timestamp_end - in->request_timestamp_start : 0;
    if (dur < 0)
        dur = 0;
    if (in->has_response && in->response_timestamp_end && dur > 0) {
        console__pretty_duration(dur, buf, sizeof(buf));
        console__put_fixed(l, resp ? resp : console__duration_style(dur), buf, 5, 1);
    } else {
        console__put_fixed(l, ST_TEXT, "", 5, 1);
    }
    console__put(l, ST_TEXT, " ", 1);
    right_indicators(l, in);
}

void
console__format_list(struct sline out[2], const struct store_info *in, const char *errmsg,
                     int focused, int detail)
{
    struct sline *l = &out[0];
    char ts[32], u[4096], buf[64];
    int pre;
    if (in->type == FLOW_TCP && !detail) {
        tcp_row(l, in, errmsg, focused, ROW_LIST);
        return;
    }
    if (in->type == FLOW_DNS) {
        dns_line(l, in, errmsg, focused, detail ? ROW_DETAIL : ROW_LIST);
        return;
    }
    if (detail) {
        timestamp(in->has_request ? in->request_timestamp_start : in->timestamp_created, ts,
                  sizeof(ts));
        console__put(l, ST_HIGHLIGHT, ts, SIZE_MAX);
        pre = (int)strlen(ts);
    } else {
        console__put(l, ST_FOCUS, focused ? ">>" : "  ", 2);
        pre = 2;
    }
    console__put(l, ST_TEXT, " ", 1);
    const char *method = in->type == FLOW_TCP ? "TCP" : in->method;
    console__put(l, in->type == FLOW_TCP ? ST_SCHEME_TCP : method_style(method), method, SIZE_MAX);
    console__put(l, ST_TEXT, " ", 1);
    pre += 1 + console__width(method, strlen(method));
    if (in->type == FLOW_TCP)
        snprintf(u, sizeof(u), "%s:%u", in->host, in->port);
    else
        url(in, u, sizeof(u));
    if (in->type == FLOW_HTTP && strcmp(in->http_version, "HTTP/1.0") != 0 &&
        strcmp(in->http_version, "HTTP/1.1") != 0 && *in->http_version) {
        size_t n = strlen(u);
        snprintf(u + n, sizeof(u) - n, " %s", in->http_version);
    }
    enum console_style us = in->intercepted && !in->has_response ? ST_INTERCEPT
                            : in->has_response || in->error      ? ST_TEXT
                                                                 : ST_TITLE;
    int rest = l->width - l->used - 1 - 3;
    if (detail)
        console__put(l, us, u, SIZE_MAX);
    else
        truncated(l, us, u, rest, 0);
    console__pad_to(l, ST_TEXT, l->width - 3);
    right_indicators(l, in);

    l = &out[1];
    console__pad_to(l, ST_TEXT, pre + 1);
    if (in->has_response) {
        enum console_style st = in->intercepted ? ST_INTERCEPT : code_style(in->status_code);
        console__put(l, st, SYMBOL_RETURN " ", SIZE_MAX);
        snprintf(buf, sizeof(buf), "%d", in->status_code);
        console__put(l, st, buf, SIZE_MAX);
        if (detail && *in->reason) {
            console__put(l, ST_TEXT, " ", 1);
            console__put(l, st, in->reason, SIZE_MAX);
        }
        if (*in->content_type) {
            size_t n;
            enum console_style cs = console__content_type_style(in->content_type, &n);
            console__put(l, ST_TEXT, " ", 1);
            console__put(l, in->intercepted ? ST_INTERCEPT : cs, in->content_type, n);
        }
        console__put(l, ST_TEXT, " ", 1);
        if (in->response_size) {
            num_pretty_size(buf, in->response_size);
            console__put(l, in->intercepted ? ST_INTERCEPT : console__size_style(in->response_size),
                         buf, SIZE_MAX);
        } else {
            console__put(l, in->intercepted ? ST_INTERCEPT : ST_TEXT,
                         in->response_content_none ? "[content missing]" : "[no content]",
                         SIZE_MAX);
        }
        double dur = in->response_timestamp_end - in->request_timestamp_start;
        if (in->response_timestamp_end && dur > 0) {
            console__pretty_duration(dur, buf, sizeof(buf));
            console__put(l, ST_TEXT, " ", 1);
            console__put(l, in->intercepted ? ST_INTERCEPT : console__duration_style(dur), buf,
                         SIZE_MAX);
        }
    } else if (in->error) {
        console__put(l, ST_ERROR, SYMBOL_RETURN " ", SIZE_MAX);
        console__put(l, ST_ERROR, errmsg ? errmsg : "", SIZE_MAX);
    }
}

void
console__format_tcp(struct sline *l, const struct store_info *in, const struct flow *f,
                    const char *errmsg)
{
    const struct connection *cc = f->client_conn, *sc = f->server_conn;
    struct tcp_parts p = {.start = cc ? cc->timestamp_start : in->timestamp_created};
    console__format_address(cc ? &cc->peername : NULL, p.client, sizeof(p.client));
    console__format_address(sc ? &sc->address : NULL, p.server, sizeof(p.server));
    for (size_t i = 0; i < f->nmessages; i++)
        p.size += f->messages[i].content.len;
    if (f->nmessages && cc)
        p.dur = f->messages[f->nmessages - 1].timestamp - cc->timestamp_start;
    tcp_line(l, in, &p, errmsg, 1, ROW_DETAIL);
}
