/*
 * The flow view's content (8.1.1's flowview.py and flowdetailview.py):
 * for the Request and Response tabs the headers, then the body through
 * the content views under a title line naming the view ("JSON ...
 * [m:auto]"); for the WebSocket Messages and TCP Stream tabs the messages,
 * each line after its direction's marker; for the Detail tab the
 * connections and timings.
 *
 * A body is rendered only as far as the view has been scrolled: the
 * render is kept, and more lines are asked of it (a budget of work at a
 * time) when the screen needs them, so a 100 MB body opens at once and a
 * slow view never holds up the keyboard for long.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console/internal.h"
#include "flow/connection.h"
#include "flow/flow.h"
#include "flow/tnetstring.h"
#include "http/message.h"
#include "http/ws.h"
#include "tls/certinfo.h"
#include "util/xmalloc.h"

void
console__flowview_init(struct flowview *fv)
{
    memset(fv, 0, sizeof(*fv));
    fv->highlight = -1;
}

/* A block of lines, every one of them: those never used are zeroes. */
static void
free_block(struct sline *blk)
{
    for (int i = 0; i < FV_HEAD_BLOCK; i++) {
        buf_clear(&blk[i].text);
        free(blk[i].spans);
    }
    free(blk);
}

/* The view's lines, when there are many, go to the dead list (freed by
 * console__flowview_reap a slice at a time); the few of a screen or two
 * go at once. */
static void
bury_lines(struct flowview *fv)
{
    if (fv->nheadblk <= FV_REAP_MIN) {
        for (size_t i = 0; i < fv->nheadblk; i++)
            free_block(fv->head[i]);
        free(fv->head);
        return;
    }
    if (fv->ndead + fv->nheadblk > fv->capdead) {
        fv->capdead = 2 * (fv->ndead + fv->nheadblk);
        fv->dead = xrealloc(fv->dead, fv->capdead * sizeof(*fv->dead));
    }
    memcpy(fv->dead + fv->ndead, fv->head, fv->nheadblk * sizeof(*fv->head));
    fv->ndead += fv->nheadblk;
    free(fv->head);
}

void
console__flowview_clear(struct flowview *fv)
{
    free(fv->flow_id);
    free(fv->mode);
    free(fv->description);
    bury_lines(fv);
    cv_render_free(fv->render);
    for (size_t i = 0; i < fv->nchunk; i++)
        cv_lines_clear(&fv->chunk[i]);
    free(fv->chunk);
    cv_render_free(fv->msg);
    buf_clear(&fv->msg_joined);
    cv_lines_clear(&fv->msg_lines);
    struct sline **dead = fv->dead;
    size_t ndead = fv->ndead, capdead = fv->capdead;
    console__flowview_init(fv);
    fv->dead = dead;
    fv->ndead = ndead;
    fv->capdead = capdead;
}

static double
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int
console__flowview_reap(struct flowview *fv, unsigned budget_us)
{
    double until = now_us() + budget_us;
    while (fv->ndead > 0) {
        free_block(fv->dead[--fv->ndead]);
        if (budget_us != UINT_MAX && now_us() >= until)
            break;
    }
    if (fv->ndead == 0) {
        free(fv->dead);
        fv->dead = NULL;
        fv->capdead = 0;
    }
    return fv->ndead > 0;
}

void
console__flowview_free(struct flowview *fv)
{
    console__flowview_clear(fv);
    console__flowview_reap(fv, UINT_MAX);
}

void
console__flowview_invalidate(struct flowview *fv)
{
    /* Which flow and tab are shown and where they are scrolled stay: they
     * are the user's. */
    char *id = fv->flow_id;
    fv->flow_id = NULL;
    int scroll = fv->scroll, tab = fv->tab, built = fv->built_tab, at_end = fv->at_end;
    console__flowview_clear(fv);
    fv->flow_id = id;
    fv->built_tab = built;
    fv->stale = id != NULL;
    fv->scroll = scroll;
    fv->tab = tab;
    fv->at_end = at_end;
}

struct sline *
console__flowview_add_line(struct flowview *fv, int cols)
{
    if ((size_t)fv->nhead == fv->nheadblk * FV_HEAD_BLOCK) {
        if (fv->nheadblk == fv->capheadblk) {
            fv->capheadblk = fv->capheadblk ? 2 * fv->capheadblk : 4;
            fv->head = xrealloc(fv->head, fv->capheadblk * sizeof(*fv->head));
        }
        fv->head[fv->nheadblk++] = xcalloc(FV_HEAD_BLOCK, sizeof(**fv->head));
    }
    struct sline *l = console__flowview_head(fv, fv->nhead++);
    buf_init(&l->text);
    l->width = cols;
    return l;
}

static struct sline *
head_line(struct flowview *fv, int cols)
{
    return console__flowview_add_line(fv, cols);
}

/* format_keyvals: keys padded to the longest (at most 30), two blanks, values. */
static void
keyvals(struct flowview *fv, int cols, const char *const *keys, const char *const *vals, size_t n,
        int indent)
{
    int kw = 0;
    for (size_t i = 0; i < n; i++) {
        int w = console__width(keys[i], strlen(keys[i]));
        kw = w > kw ? w : kw;
    }
    kw = kw > 30 ? 30 : kw;
    for (size_t i = 0; i < n; i++) {
        struct sline *l = head_line(fv, cols);
        console__pad_to(l, ST_TEXT, indent);
        console__put_fixed(l, ST_HEADER, keys[i], kw, 0);
        console__put(l, ST_TEXT, "  ", 2);
        console__put(l, ST_TEXT, vals[i], SIZE_MAX);
    }
}

static void
headers(struct flowview *fv, int cols, const struct hdrs *h)
{
    const char **keys = xcalloc(h->n ? h->n : 1, sizeof(*keys));
    const char **vals = xcalloc(h->n ? h->n : 1, sizeof(*vals));
    char **owned = xcalloc(h->n ? h->n : 1, sizeof(*owned));
    for (size_t i = 0; i < h->n; i++) {
        owned[i] = xmalloc(h->v[i].name_len + 2);
        memcpy(owned[i], h->v[i].name, h->v[i].name_len);
        memcpy(owned[i] + h->v[i].name_len, ":", 2);
        keys[i] = owned[i];
        vals[i] = h->v[i].value;
    }
    keyvals(fv, cols, keys, vals, h->n, 0);
    for (size_t i = 0; i < h->n; i++)
        free(owned[i]);
    free(owned);
    free(keys);
    free(vals);
}

static void
fmt_time(double t, char *out, size_t outlen)
{
    if (t <= 0) {
        snprintf(out, outlen, "-");
        return;
    }
    /* datetime.fromtimestamp() rounds to the microsecond; the text keeps
     * the milliseconds of that (format_timestamp_with_milli). */
    time_t s = (time_t)floor(t);
    long us = lround((t - (double)s) * 1e6);
    if (us >= 1000000) {
        s++;
        us -= 1000000;
    }
    struct tm tm;
    localtime_r(&s, &tm);
    size_t n = strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out + n, outlen - n, ".%03ld", us / 1000);
}

static void
title(struct flowview *fv, int cols, const char *text)
{
    console__put(head_line(fv, cols), ST_HEAD, text, SIZE_MAX);
}

/* A line of a key-value list: the indent, the key padded to kw, two blanks;
 * the value goes after. */
static struct sline *
keyval_line(struct flowview *fv, int cols, int indent, int kw, enum console_style st,
            const char *key)
{
    struct sline *l = head_line(fv, cols);
    console__pad_to(l, ST_TEXT, indent);
    console__put_fixed(l, st, key, kw, 0);
    console__put(l, ST_TEXT, "  ", 2);
    return l;
}

/* A distinguished name as 8.1.1 nests it under its key: a key-value list
 * of its own (keys in the highlight style), starting on the key's line. */
static void
name_lines(struct flowview *fv, int cols, int indent, int kw, const char *key,
           const struct tls_certinfo_attr *a, size_t n)
{
    int nw = 0;
    for (size_t i = 0; i < n; i++) {
        int w = console__width(a[i].name, strlen(a[i].name));
        nw = w > nw ? w : nw;
    }
    nw = nw > 30 ? 30 : nw;
    struct sline *l = keyval_line(fv, cols, indent, kw, ST_HEADER, key);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            l = head_line(fv, cols);
            console__pad_to(l, ST_TEXT, indent + kw + 2);
        }
        console__put_fixed(l, ST_HIGHLIGHT, a[i].name, nw, 0);
        console__put(l, ST_TEXT, "  ", 2);
        console__put(l, ST_TEXT, a[i].value, SIZE_MAX);
    }
}

/* str() of an aware UTC datetime, as 8.1.1 writes notbefore/notafter. */
static void
fmt_utc(int64_t t, char *out, size_t outlen)
{
    time_t s = (time_t)t;
    struct tm tm;
    if (gmtime_r(&s, &tm) == NULL || strftime(out, outlen, "%Y-%m-%d %H:%M:%S+00:00", &tm) == 0)
        snprintf(out, outlen, "%lld", (long long)t);
}

/* "Server Certificate:" from certificate_list[0]; nothing when there is no
 * chain or its leaf does not read (8.1.1 would not have loaded the flow). */
static void
certificate(struct flowview *fv, int cols, const struct connection *sc)
{
    size_t len;
    const char *pem = connection_leaf_pem(sc, &len);
    struct tls_certinfo ci;
    if (pem == NULL || tls_certinfo_parse(&ci, pem, len, NULL) != 0)
        return;
    title(fv, cols, "Server Certificate:");
    char type[128], digest[96], from[64], to[64];
    snprintf(type, sizeof(type), "%s, %d bits", ci.keytype, ci.keybits);
    tls_certinfo_sha256_spaced(&ci, digest, sizeof(digest));
    fmt_utc(ci.notbefore, from, sizeof(from));
    fmt_utc(ci.notafter, to, sizeof(to));
    const char *keys[] = {"Type", "SHA256 digest", "Valid from", "Valid to", "Serial"};
    const char *vals[] = {type, digest, from, to, ci.serial};
    /* The keys share one width with Subject, Issuer and Alt names below. */
    int kw = (int)strlen("SHA256 digest");
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        console__put(keyval_line(fv, cols, 4, kw, ST_HEADER, keys[i]), ST_TEXT, vals[i], SIZE_MAX);
    name_lines(fv, cols, 4, kw, "Subject", ci.subject, ci.nsubject);
    name_lines(fv, cols, 4, kw, "Issuer", ci.issuer, ci.nissuer);
    if (ci.naltnames) {
        struct buf alt = BUF_INIT;
        for (size_t i = 0; i < ci.naltnames; i++) {
            if (i)
                buf_append(&alt, ", ", 2);
            buf_append(&alt, ci.altnames[i], strlen(ci.altnames[i]));
        }
        struct sline *al = keyval_line(fv, cols, 4, kw, ST_HEADER, "Alt names");
        console__put(al, ST_TEXT, (const char *)buf_ptr(&alt), alt.len);
        buf_clear(&alt);
    }
    tls_certinfo_clear(&ci);
}

/* strutils.bytes_to_escaped_str: repr() of bytes without b'' (a quote is
 * never escaped). */
static void
escaped(const char *p, char *out, size_t outlen)
{
    size_t k = 0;
    for (; *p && k + 5 < outlen; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '\\')
            k += (size_t)snprintf(out + k, outlen - k, "\\\\");
        else if (ch == '\t' || ch == '\n' || ch == '\r')
            k += (size_t)snprintf(out + k, outlen - k, "\\%c",
                                  ch == '\t'   ? 't'
                                  : ch == '\n' ? 'n'
                                               : 'r');
        else if (ch < 0x20 || ch >= 0x7f)
            k += (size_t)snprintf(out + k, outlen - k, "\\x%02x", ch);
        else
            out[k++] = (char)ch;
    }
    out[k] = '\0';
}

/* One Timing line: its name and maybe_timestamp()'s text. */
struct timing {
    const char *name;
    char when[40];
};

/* maybe_timestamp: the time with milliseconds, or an en dash for none. */
static void
timing_add(struct timing *t, size_t *n, const char *name, double when)
{
    t[*n].name = name;
    if (when > 0)
        fmt_time(when, t[*n].when, sizeof(t[*n].when));
    else
        snprintf(t[*n].when, sizeof(t[*n].when), "\xe2\x80\x93");
    (*n)++;
}

/* "Metadata:", each key and repr() of its value. */
static void
metadata(struct flowview *fv, int cols, const struct tns *m)
{
    if (m == NULL || m->type != TNS_DICT || m->u.dict.n == 0)
        return;
    size_t n = m->u.dict.n;
    const char **keys = xmalloc(n * sizeof(*keys)), **vals = xmalloc(n * sizeof(*vals));
    struct buf *reprs = xcalloc(n, sizeof(*reprs));
    for (size_t i = 0; i < n; i++) {
        console__repr(&reprs[i], m->u.dict.v[i].val);
        buf_append(&reprs[i], "", 1);
        keys[i] = m->u.dict.v[i].key;
        vals[i] = (const char *)buf_ptr(&reprs[i]);
    }
    title(fv, cols, "Metadata:");
    keyvals(fv, cols, keys, vals, n, 4);
    for (size_t i = 0; i < n; i++)
        buf_clear(&reprs[i]);
    free(reprs);
    free(keys);
    free(vals);
}

/*
 * flowdetailview.flowdetails: the comment, the metadata, the server connection (once it
 * has been reached: it has a peername) with its certificate, the client
 * connection, and the timings, each field where 8.1.1 shows it.
 */
static void
details(struct flowview *fv, struct flow *f, int cols)
{
    char a[300], b[300], alpn[300];
    const char *keys[12], *vals[12];
    size_t n = 0;
    struct connection *sc = f->server_conn, *cc = f->client_conn;
    if (f->comment && *f->comment) {
        /* A line of the comment a screen line. */
        struct sline *l = head_line(fv, cols);
        console__put(l, ST_HEAD, "Comment: ", SIZE_MAX);
        for (const char *p = f->comment;; l = head_line(fv, cols)) {
            size_t len = strcspn(p, "\n");
            console__put(l, ST_TEXT, p, len);
            if (p[len] == '\0')
                break;
            p += len + 1;
        }
    }
    metadata(fv, cols, f->metadata);
    if (sc && sc->peername.host) {
        title(fv, cols, "Server Connection:");
        console__format_address(&sc->address, a, sizeof(a));
        keys[n] = "Address";
        vals[n++] = a;
        console__format_address(&sc->peername, b, sizeof(b));
        keys[n] = "Resolved Address";
        vals[n++] = b;
        if (f->response && f->response->http_version) {
            keys[n] = "HTTP Version";
            vals[n++] = f->response->http_version;
        }
        if (sc->alpn && *sc->alpn) {
            escaped(sc->alpn, alpn, sizeof(alpn));
            keys[n] = "ALPN";
            vals[n++] = alpn;
        }
        keyvals(fv, cols, keys, vals, n, 4);
        certificate(fv, cols, sc);
    }
    if (cc) {
        n = 0;
        title(fv, cols, "Client Connection:");
        console__format_address(&cc->peername, a, sizeof(a));
        keys[n] = "Address";
        vals[n++] = a;
        if (f->request && f->request->http_version) {
            keys[n] = "HTTP Version";
            vals[n++] = f->request->http_version;
        }
        if (cc->tls_version && *cc->tls_version) {
            keys[n] = "TLS Version";
            vals[n++] = cc->tls_version;
        }
        if (cc->sni && *cc->sni) {
            keys[n] = "Server Name Indication";
            vals[n++] = cc->sni;
        }
        if (cc->cipher && *cc->cipher) {
            keys[n] = "Cipher Name";
            vals[n++] = cc->cipher;
        }
        if (cc->alpn && *cc->alpn) {
            escaped(cc->alpn, alpn, sizeof(alpn));
            keys[n] = "ALPN";
            vals[n++] = alpn;
        }
        keyvals(fv, cols, keys, vals, n, 4);
    }
    /* Timing: a connection's or message's times once it has started, a
     * dash for one still to come, sorted by their text (so a dash, after
     * every digit, goes last), as 8.1.1 sorts them. */
    struct timing t[11];
    size_t nt = 0;
    if (cc && cc->timestamp_start > 0) {
        timing_add(t, &nt, "Client conn. established", cc->timestamp_start);
        if (cc->tls_established)
            timing_add(t, &nt, "Client conn. TLS handshake", cc->timestamp_tls_setup);
        timing_add(t, &nt, "Client conn. closed", cc->timestamp_end);
    }
    if (sc && sc->timestamp_start > 0) {
        timing_add(t, &nt, "Server conn. initiated", sc->timestamp_start);
        timing_add(t, &nt, "Server conn. TCP handshake", sc->timestamp_tcp_setup);
        if (sc->tls_established)
            timing_add(t, &nt, "Server conn. TLS handshake", sc->timestamp_tls_setup);
        timing_add(t, &nt, "Server conn. closed", sc->timestamp_end);
    }
    const struct http_request *rq = f->type == FLOW_HTTP ? f->request : NULL;
    const struct http_response *rs = f->type == FLOW_HTTP ? f->response : NULL;
    if (rq && rq->timestamp_start > 0) {
        timing_add(t, &nt, "First request byte", rq->timestamp_start);
        timing_add(t, &nt, "Request complete", rq->timestamp_end);
    }
    if (rs && rs->timestamp_start > 0) {
        timing_add(t, &nt, "First response byte", rs->timestamp_start);
        timing_add(t, &nt, "Response complete", rs->timestamp_end);
    }
    /* A stable insertion sort, as Python's sorted(). */
    for (size_t i = 1; i < nt; i++)
        for (size_t j = i; j > 0 && strcmp(t[j].when, t[j - 1].when) < 0; j--) {
            struct timing x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    for (size_t i = 0; i < nt; i++) {
        keys[i] = t[i].name;
        vals[i] = t[i].when;
    }
    if (nt) {
        title(fv, cols, "Timing:");
        keyvals(fv, cols, keys, vals, nt, 4);
    }
}

int
console__flowview_tabs(const struct flow *f, int out[FV__COUNT])
{
    int n = 0;
    if (f && f->type == FLOW_TCP) {
        out[n++] = FV_TCP;
        out[n++] = FV_DETAIL;
        return n;
    }
    out[n++] = FV_REQUEST;
    out[n++] = FV_RESPONSE;
    if (f && f->type == FLOW_HTTP && f->websocket)
        out[n++] = FV_WEBSOCKET;
    out[n++] = FV_DETAIL;
    return n;
}

/* An HTTP flow's response, a DNS flow's answer. */
static int
has_response(const struct flow *f)
{
    return f->type == FLOW_DNS ? f->dns_response != NULL : f->response != NULL;
}

const char *
console__flowview_tab_name(const struct flow *f, int t)
{
    switch (t) {
    case FV_REQUEST:
        return f && f->intercepted && !has_response(f) ? "Request intercepted" : "Request";
    case FV_RESPONSE:
        return f && f->intercepted && has_response(f) ? "Response intercepted" : "Response";
    case FV_WEBSOCKET:
        return "WebSocket Messages";
    case FV_TCP:
        return "TCP Stream";
    default:
        return "Detail";
    }
}

int
console__flowview_tab_line(const struct flow *f, int cols, int tabs[FV__COUNT],
                           int widths[FV__COUNT])
{
    /* tabs.Tabs: urwid.Columns(headers, dividechars=1), the dividers'
     * columns taken before the tabs share the rest. */
    int n = console__flowview_tabs(f, tabs), shared = cols - FV_TAB_DIVIDER * (n - 1);
    for (int i = 0; i < n; i++) {
        int w = (int)((double)shared / (n - i) + 0.5);
        widths[i] = w < 1 ? 1 : w;
        shared -= w;
    }
    return n;
}

int
console__flowview_tab_row(const struct flow *f)
{
    return f && (f->type == FLOW_TCP || f->type == FLOW_DNS) ? 1 : 2;
}

/* One line of a WebSocket message or of the close, after its direction's
 * marker (8.1.1's FROM_CLIENT_MARKER, TO_CLIENT_MARKER). */
static struct sline *
ws_line(struct flowview *fv, int cols, int from_client)
{
    struct sline *l = head_line(fv, cols);
    if (from_client)
        console__put(l, ST_FROM_CLIENT, "\xe2\x87\x92 ", SIZE_MAX);
    else
        console__put(l, ST_TO_CLIENT, "\xe2\x87\x90 ", SIZE_MAX);
    return l;
}

/* _contentview_status_bar: text on the left, [m:mode] on the right, the
 * whole line in the heading style. */
static void
status_bar(struct sline *l, const char *text, const char *mode)
{
    console__put(l, ST_HEADING, text, SIZE_MAX);
    char m[128];
    snprintf(m, sizeof(m), "[m:%s]", mode);
    int w = console__width(m, strlen(m));
    console__pad_to(l, ST_HEADING, l->width - w);
    console__put(l, ST_HEADING, "[", 1);
    console__put(l, ST_HEADING_KEY, "m", 1);
    console__put(l, ST_HEADING, m + 2, SIZE_MAX);
}

static enum console_style tok_style(unsigned s);

/* The status bar of a tab of messages: the mode, viewmode.capitalize(). */
static void
mode_bar(struct flowview *fv, int cols, const char *mode)
{
    char name[64];
    snprintf(name, sizeof(name), "%s", mode);
    for (char *p = name; *p; p++)
        *p = p == name ? (char)toupper((unsigned char)*p) : (char)tolower((unsigned char)*p);
    status_bar(head_line(fv, cols), name, mode);
}

/* Lines of a message after its direction's marker, one screen line each. */
static void
put_lines(struct flowview *fv, int cols, int from_client, const struct cv_lines *lines)
{
    for (size_t k = 0; k < lines->n; k++) {
        struct cv_line line;
        cv_lines_get(lines, k, &line);
        struct sline *l = ws_line(fv, cols, from_client);
        const char *p = line.text;
        for (size_t t = 0; t < line.ntok; t++) {
            console__put(l, tok_style(line.tok[t].style), p, line.tok[t].len);
            p += line.tok[t].len;
        }
    }
}

/* A held flow's last line is in the intercept colour, as 8.1.1 shows it:
 * it is the message e edits and a sends on. */
static void
intercept_last(struct flowview *fv, const struct flow *f)
{
    if (!f->intercepted || fv->nhead == 0)
        return;
    struct sline *l = console__flowview_head(fv, fv->nhead - 1);
    for (size_t k = 0; k < l->nspans; k++)
        l->spans[k].style = ST_INTERCEPT;
}

/*
 * The WebSocket Messages tab (view_websocket_messages) and the TCP Stream
 * tab (view_tcp_stream): under a status bar naming the mode ("Auto"),
 * every message through the content view of the mode as bytes with no
 * content type (Auto shows text as Raw does, escaping what is not ASCII,
 * and binary messages as Hex), all its lines (8.1.1 has no cutoff here);
 * TCP joins the messages sent one way in a row into one, WebSocket ends
 * with the close. Only the bar is made here; msgs_fill() renders the
 * messages as the screen asks for them.
 */
static void
messages_start(struct flowview *fv, struct flow *f, const char *mode, int cols)
{
    size_t n = f->type == FLOW_TCP ? f->nmessages : f->websocket ? f->websocket->nmessages : 0;
    if (n == 0) {
        console__put(head_line(fv, cols), ST_HIGHLIGHT, "No messages.", SIZE_MAX);
        fv->body_done = 1;
        return;
    }
    mode_bar(fv, cols, mode);
    fv->msgs_of = f;
    fv->body_done = 0;
}

/* The WebSocket close after the messages, then the end of the tab. */
static void
messages_end(struct flowview *fv, int cols)
{
    const struct flow *f = fv->msgs_of;
    const struct websocket_data *d = f->websocket;
    if (f->type != FLOW_TCP && d && d->closed_by_client >= 0) {
        char msg[256];
        snprintf(msg, sizeof(msg), "Connection closed: %d %s", d->close_code,
                 d->close_reason ? d->close_reason : "");
        int normal = d->close_code == 1000 || d->close_code == 1001 || d->close_code == 1005;
        console__put(ws_line(fv, cols, d->closed_by_client), normal ? ST_ALERT : ST_ERROR, msg,
                     SIZE_MAX);
    }
    intercept_last(fv, f);
    fv->body_done = 1;
}

/* Work charged for a message besides its bytes (its render's set-up), so
 * that 100,000 small messages are spread over steps too. */
#define MSG_COST 512

/*
 * The next message's render in fv->msg, or (TCP) as much more of its run
 * joined as budget allows; the work done is taken from *budget. Returns 0
 * when fv->msg is set, 1 when the run needs more joining, -1 when the
 * messages are through.
 */
static int
next_message(struct flowview *fv, size_t *budget)
{
    const struct flow *f = fv->msgs_of;
    int tcp = f->type == FLOW_TCP;
    size_t n = tcp ? f->nmessages : f->websocket ? f->websocket->nmessages : 0;
    if (fv->msg_next >= n)
        return -1;
    const struct buf *one;
    if (!tcp) {
        const struct ws_message *m = &f->websocket->messages[fv->msg_next];
        fv->msg_from_client = m->from_client;
        fv->msg_end = fv->msg_next + 1;
        one = &m->content;
    } else {
        if (fv->msg_end <= fv->msg_next) {
            size_t e = fv->msg_next;
            fv->msg_from_client = f->messages[e].from_client;
            while (e < n && f->messages[e].from_client == fv->msg_from_client)
                e++;
            fv->msg_end = e;
            fv->msg_joined_to = fv->msg_next;
            buf_reset(&fv->msg_joined);
            *budget -= *budget < MSG_COST ? *budget : MSG_COST;
        }
        if (fv->msg_end - fv->msg_next > 1) {
            /* A run: joined a budget at a time. */
            while (*budget > 0 && fv->msg_joined_to < fv->msg_end) {
                const struct buf *c = &f->messages[fv->msg_joined_to++].content;
                buf_append(&fv->msg_joined, buf_ptr(c), c->len);
                *budget -= *budget < c->len + MSG_COST ? *budget : c->len + MSG_COST;
            }
            if (fv->msg_joined_to < fv->msg_end)
                return 1;
            struct cv_meta meta = {.flow = f};
            int v = cv_view_find(fv->mode);
            fv->msg = cv_render_new(v < 0 ? CV_VIEW_AUTO : (enum cv_view)v, &fv->msg_joined, &meta);
            return 0;
        }
        one = &f->messages[fv->msg_next].content;
    }
    *budget -= *budget < MSG_COST ? *budget : MSG_COST;
    /* A finished flow's message is read where it is; a live flow's may
     * still change (an intercepted message edited), and is copied. */
    fv->msg = f->live ? cv_render_bytes(fv->mode, f, buf_ptr(one), one->len)
                      : cv_render_bytes_borrowed(fv->mode, f, buf_ptr(one), one->len);
    return 0;
}

/*
 * Renders messages until the tab has want lines or about budget bytes of
 * work are done (SIZE_MAX: no limit). Returns 1 while more is wanted and
 * there is more to render.
 */
static int
msgs_fill(struct flowview *fv, int want, size_t budget)
{
    const struct flow *f = fv->msgs_of;
    size_t n = f->type == FLOW_TCP ? f->nmessages : f->websocket ? f->websocket->nmessages : 0;
    if (fv->msg_next > n || (fv->msg_end > n && fv->msg_next < n)) {
        /* Fewer messages than when it began: built again when next drawn. */
        console__flowview_invalidate(fv);
        return 0;
    }
    while (fv->nhead < want && budget > 0) {
        if (fv->msg == NULL) {
            int r = next_message(fv, &budget);
            if (r < 0) {
                messages_end(fv, fv->cols);
                return 0;
            }
            if (r > 0 || budget == 0)
                break;
        }
        cv_lines_reset(&fv->msg_lines);
        int going = cv_render_step(fv->msg, &fv->msg_lines, (size_t)(want - fv->nhead), budget);
        put_lines(fv, fv->cols, fv->msg_from_client, &fv->msg_lines);
        budget = budget == SIZE_MAX ? budget : cv_render_budget_left(fv->msg);
        if (!going) {
            cv_render_free(fv->msg);
            fv->msg = NULL;
            fv->msg_next = fv->msg_end;
        }
    }
    return fv->nhead < want;
}

void
console__flowview_build(struct flowview *fv, struct flow *f, int tab, const char *mode, int cols,
                        size_t limit)
{
    int same_flow = fv->flow_id && strcmp(fv->flow_id, f->id) == 0 && fv->built_tab == tab;
    if (same_flow && !fv->stale && fv->mode && strcmp(fv->mode, mode) == 0 && fv->cols == cols &&
        fv->limit == limit)
        return;
    int scroll = fv->scroll, at_end = fv->at_end;
    console__flowview_clear(fv);
    fv->scroll = same_flow ? scroll : 0;
    fv->at_end = same_flow ? at_end : 0;
    fv->flow_id = xstrdup(f->id);
    fv->tab = fv->built_tab = tab;
    fv->mode = xstrdup(mode);
    fv->cols = cols;
    fv->limit = limit;
    if (tab == FV_DETAIL) {
        details(fv, f, cols);
        fv->body_done = 1;
        return;
    }
    if (tab == FV_WEBSOCKET || tab == FV_TCP) {
        messages_start(fv, f, mode, cols);
        return;
    }
    if (f->type == FLOW_DNS && (tab == FV_REQUEST || tab == FV_RESPONSE)) {
        if (tab == FV_REQUEST)
            console__dnsview(fv, f->dns_request, "request", cols);
        else
            console__dnsview(fv, f->dns_response, "response", cols);
        fv->body_done = 1;
        return;
    }
    if (f->type != FLOW_HTTP || f->request == NULL) {
        console__put(head_line(fv, cols), ST_HIGHLIGHT, "No messages.", SIZE_MAX);
        fv->body_done = 1;
        return;
    }
    if (tab == FV_RESPONSE && f->response == NULL) {
        head_line(fv, cols);
        struct sline *l = head_line(fv, cols);
        console__put(l, ST_HIGHLIGHT, "No response. Press ", SIZE_MAX);
        console__put(l, ST_KEY, "e", SIZE_MAX);
        console__put(l, ST_HIGHLIGHT, " and edit any aspect to add one.", SIZE_MAX);
        fv->body_done = 1;
        return;
    }
    const struct http_request *rq = tab == FV_REQUEST ? f->request : NULL;
    const struct http_response *rs = tab == FV_RESPONSE ? f->response : NULL;
    headers(fv, cols, rq ? &rq->headers : &rs->headers);
    if (rq ? rq->content_none : rs->content_none) {
        console__put(head_line(fv, cols), ST_ERROR, "[content missing]", SIZE_MAX);
        fv->body_done = 1;
        return;
    }
    /* A finished flow's body is read where it is: copying 100 MB would hold
     * the loop (cv_render_message_borrowed). Its bytes are checked before
     * each step (lent_intact). A live flow's body is still being changed
     * by the proxy, and is copied. */
    if (f->live) {
        fv->render = cv_render_message(mode, f, rq, rs);
    } else {
        const struct buf *b = rq ? &rq->content : &rs->content;
        fv->render = cv_render_message_borrowed(mode, f, rq, rs);
        fv->lent = f;
        fv->lent_p = buf_ptr(b);
        fv->lent_len = b->len;
    }
    fv->body_done = 0;
}

/* The title line above a body: the view's description and [m:mode]. */
static void
description_line(const struct flowview *fv, struct sline *l)
{
    const char *d = cv_render_description(fv->render);
    if (d == NULL)
        d = "";
    if (strcmp(d, "No content") == 0 && fv->tab == FV_REQUEST)
        d = "No request content";
    status_bar(l, d, fv->mode);
}

int
console__flowview_lines(const struct flowview *fv)
{
    return fv->nhead + (fv->render ? 1 + (int)fv->nbody + fv->cut : 0);
}

/* The chunk that takes the next body line: the last, or a new one when it is full. */
static struct cv_lines *
last_chunk(struct flowview *fv)
{
    if (fv->nchunk && fv->chunk[fv->nchunk - 1].n < FV_CHUNK)
        return &fv->chunk[fv->nchunk - 1];
    if (fv->nchunk == fv->capchunk) {
        fv->capchunk = fv->capchunk ? 2 * fv->capchunk : 16;
        fv->chunk = xrealloc(fv->chunk, fv->capchunk * sizeof(*fv->chunk));
    }
    struct cv_lines *l = &fv->chunk[fv->nchunk++];
    cv_lines_init(l);
    return l;
}

/* Whether the body the render reads in place is still the flow's. */
static int
lent_intact(const struct flowview *fv)
{
    const struct flow *f = fv->lent;
    const struct buf *b = NULL;
    if (fv->built_tab == FV_REQUEST && f->request)
        b = &f->request->content;
    if (fv->built_tab == FV_RESPONSE && f->response)
        b = &f->response->content;
    return b && buf_ptr(b) == fv->lent_p && b->len == fv->lent_len;
}

int
console__flowview_fill(struct flowview *fv, int want, size_t budget)
{
    if (!console__flowview_pending(fv))
        return 0;
    if (fv->msgs_of)
        return msgs_fill(fv, want, budget);
    if (fv->lent && !lent_intact(fv)) {
        /* Changed without a store event yet: built again when next drawn. */
        console__flowview_invalidate(fv);
        return 0;
    }
    int have = console__flowview_lines(fv);
    if (have >= want && cv_render_description(fv->render))
        return 0;
    size_t more = want > have ? (size_t)(want - have) : 1;
    if (fv->limit && fv->nbody + more > fv->limit)
        more = fv->limit - fv->nbody;
    int going = more > 0;
    while (going) {
        struct cv_lines *l = last_chunk(fv);
        size_t take = more < FV_CHUNK - l->n ? more : FV_CHUNK - l->n, before = l->n;
        going = cv_render_step(fv->render, l, take, budget);
        size_t got = l->n - before;
        fv->nbody += got;
        more -= got;
        /* The next chunk gets what is left of this call's work, not a
         * budget of its own. */
        budget = cv_render_budget_left(fv->render);
        if (more == 0 || got < take || budget == 0)
            break;
    }
    fv->body_done = !going;
    if (fv->limit && fv->nbody >= fv->limit && !fv->body_done) {
        /* 8.1.1 stops at the cutoff and says how to see the rest. */
        fv->body_done = 1;
        fv->cut = 1;
    }
    have = console__flowview_lines(fv);
    return !fv->body_done && (have < want || cv_render_description(fv->render) == NULL);
}

static enum console_style
tok_style(unsigned s)
{
    switch (s) {
    case CV_STYLE_HEADER:
        return ST_HEADER;
    case CV_STYLE_HIGHLIGHT:
        return ST_HIGHLIGHT;
    case CV_STYLE_OFFSET:
        return ST_OFFSET;
    case CV_STYLE_ERROR:
        return ST_ERROR;
    case CV_STYLE_JSON_STRING:
        return ST_JSON_STRING;
    case CV_STYLE_JSON_NUMBER:
        return ST_JSON_NUMBER;
    case CV_STYLE_JSON_BOOLEAN:
        return ST_JSON_BOOLEAN;
    case CV_STYLE_CONTENT_NONE:
        return ST_CONTENT_NONE;
    default:
        return ST_TEXT;
    }
}

void
console__flowview_line(const struct flowview *fv, int i, struct sline *out)
{
    if (i < fv->nhead) {
        const struct sline *h = console__flowview_head(fv, i);
        const char *p = (const char *)buf_ptr(&h->text);
        for (size_t k = 0; k < h->nspans; k++) {
            console__put(out, (enum console_style)h->spans[k].style, p, h->spans[k].len);
            p += h->spans[k].len;
        }
        return;
    }
    if (fv->render == NULL)
        return;
    i -= fv->nhead;
    if (i == 0) {
        description_line(fv, out);
        return;
    }
    if (fv->cut && (size_t)(i - 1) == fv->nbody) {
        char msg[96];
        snprintf(msg, sizeof(msg), "Stopped displaying data after %zu lines. Press ", fv->limit);
        console__put(out, ST_HIGHLIGHT, msg, SIZE_MAX);
        console__put(out, ST_KEY, "f", 1);
        console__put(out, ST_HIGHLIGHT, " to load all data.", SIZE_MAX);
        return;
    }
    size_t b = (size_t)(i - 1);
    if (b >= fv->nbody)
        return;
    struct cv_line line;
    cv_lines_get(&fv->chunk[b / FV_CHUNK], b % FV_CHUNK, &line);
    const char *p = line.text;
    for (size_t k = 0; k < line.ntok; k++) {
        console__put(out, tok_style(line.tok[k].style), p, line.tok[k].len);
        p += line.tok[k].len;
    }
}
