/*
 * mitmdump's flow printer. The text matches mitmdump 8.1.1 byte for byte
 * for HTTP, TCP, WebSocket and DNS flows (tests/addons/expected/ holds
 * captured output; DNS flows are compared with 8.1.1 run live), which
 * is why some oddities are kept on purpose: body lines are joined with
 * "\r\n", the response line is padded to the client address at detail 1
 * only, and detail 3 cuts bodies at 70 lines whatever
 * content_view_lines_cutoff says (dumper.py hard-codes 70).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "addons/dumper.h"
#include "contentviews/cv.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "util/num.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define CUTOFF_LINES 70 /* dumper.py: itertools.islice(lines, 70) */

struct dumper {
    struct addon base;
    FILE *out;    /* borrowed */
    long detail;  /* flow_detail */
    int showhost; /* use the Host header for URLs */
    int color;    /* out is a terminal */
    char *view;   /* dumper_default_contentview */
    struct filt *filt; /* dumper_filter compiled; NULL shows every flow */
};

/* dumper.py's match(): flow_detail 0 shows nothing, the filter the rest. */
static int
shown(const struct dumper *d, const struct flow *f)
{
    return d->detail > 0 && f && (!d->filt || filt_match(d->filt, f));
}

/* Styles as click.style() writes them: colour, then attributes, then reset. */
enum fg {
    FG_NONE = 0,
    FG_RED = 31,
    FG_GREEN = 32,
    FG_YELLOW = 33,
    FG_BLUE = 34,
    FG_MAGENTA = 35,
    FG_BRIGHT_BLUE = 94
};
/* ST_NOBLINK is click's blink=False: an explicit "blink off" code. */
enum { ST_BOLD = 1, ST_DIM = 2, ST_BLINK = 4, ST_NOBLINK = 8 };

static void
style_on(const struct dumper *d, struct buf *b, enum fg fg, int attrs)
{
    if (!d->color || (fg == FG_NONE && attrs == 0))
        return;
    if (fg != FG_NONE)
        buf_printf(b, "\x1b[%dm", (int)fg);
    if (attrs & ST_BOLD)
        buf_append_str(b, "\x1b[1m");
    if (attrs & ST_DIM)
        buf_append_str(b, "\x1b[2m");
    if (attrs & ST_BLINK)
        buf_append_str(b, "\x1b[5m");
    if (attrs & ST_NOBLINK)
        buf_append_str(b, "\x1b[25m");
}

static void
style_off(const struct dumper *d, struct buf *b, enum fg fg, int attrs)
{
    if (d->color && (fg != FG_NONE || attrs != 0))
        buf_append_str(b, "\x1b[0m");
}

/*
 * mitmproxy's strutils.escape_control_characters: C0 controls and DEL
 * become "." except tab, CR and LF.
 */
static void
put_ctrl_escaped(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            c = '.';
        buf_append(b, &c, 1);
    }
}

/*
 * mitmproxy's strutils.bytes_to_escaped_str: Python's bytes repr without
 * the quotes (backslash doubled, \t \n \r, \xNN for the rest), with tab,
 * CR and LF kept as they are when keep_spacing is set.
 */
static void
put_bytes_escaped(struct buf *b, const uint8_t *p, size_t n, int keep_spacing)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '\\')
            buf_append_str(b, "\\\\");
        else if (c == '\t' || c == '\n' || c == '\r') {
            if (keep_spacing)
                buf_append(b, &c, 1);
            else
                buf_append_str(b, c == '\t' ? "\\t" : c == '\n' ? "\\n" : "\\r");
        } else if (c >= 0x20 && c < 0x7f)
            buf_append(b, &c, 1);
        else
            buf_printf(b, "\\x%02x", c);
    }
}

/* mitmproxy's human.format_address. */
static void
put_address(struct buf *b, const struct addr *a)
{
    if (a == NULL || a->host == NULL) {
        buf_append_str(b, "<no address>");
        return;
    }
    unsigned char ip[16];
    if (inet_pton(AF_INET, a->host, ip) == 1) {
        if (memcmp(ip, "\0\0\0\0", 4) == 0)
            buf_printf(b, "*:%u", a->port);
        else
            buf_printf(b, "%s:%u", a->host, a->port);
        return;
    }
    if (inet_pton(AF_INET6, a->host, ip) == 1) {
        static const unsigned char zero[16], mapped[12] = {[10] = 0xff, [11] = 0xff};
        char s[INET6_ADDRSTRLEN];
        if (memcmp(ip, zero, 16) == 0)
            buf_printf(b, "*:%u", a->port);
        else if (memcmp(ip, mapped, 12) == 0)
            buf_printf(b, "%s:%u", inet_ntop(AF_INET, ip + 12, s, sizeof(s)), a->port);
        else
            buf_printf(b, "[%s]:%u", inet_ntop(AF_INET6, ip, s, sizeof(s)), a->port);
        return;
    }
    buf_printf(b, "%s:%u", a->host, a->port);
}

static size_t
address_len(const struct connection *c)
{
    struct buf b = BUF_INIT;
    put_address(&b, c ? &c->peername : NULL);
    size_t n = b.len;
    buf_clear(&b);
    return n;
}

/* Characters (not bytes) of UTF-8 text, as Python's len() counts them. */
static size_t
utf8_len(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            k++;
    return k;
}

/* Byte offset of the first chars characters of s. */
static size_t
utf8_prefix(const char *s, size_t chars)
{
    size_t i = 0, k = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80) {
            if (k == chars)
                break;
            k++;
        }
    }
    return i;
}

/* shutil.get_terminal_size()[0]: $COLUMNS, else the terminal's, else 80. */
static int
terminal_width(void)
{
    const char *env = getenv("COLUMNS");
    int64_t n;
    if (env && num_parse_cstr(env, 1, 100000, &n) == 0)
        return (int)n;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static int
is_h1(const char *v)
{
    return strcmp(v, "HTTP/1.0") == 0 || strcmp(v, "HTTP/1.1") == 0;
}

/* human.pretty_size. */
static void
put_size(struct buf *b, uint64_t size)
{
    char s[NUM_SIZE_LEN];
    num_pretty_size(s, size);
    buf_append_str(b, s);
}

/* dumper.py's _fmt_client() and the ": " after it. */
static void
put_client(const struct dumper *d, struct buf *b, const struct flow *f)
{
    if (f->is_replay && strcmp(f->is_replay, "request") == 0) {
        style_on(d, b, FG_YELLOW, ST_BOLD);
        buf_append_str(b, "[replay]");
        style_off(d, b, FG_YELLOW, ST_BOLD);
    } else if (f->client_conn && f->client_conn->peername.host) {
        struct buf a = BUF_INIT;
        put_address(&a, &f->client_conn->peername);
        put_ctrl_escaped(b, (const char *)buf_ptr(&a), a.len);
        buf_clear(&a);
    }
    buf_append_str(b, ": ");
}

static void
request_line(const struct dumper *d, struct buf *b, const struct flow *f)
{
    const struct http_request *rq = f->request;
    put_client(d, b, f);

    enum fg mfg = FG_MAGENTA;
    if (strcasecmp(rq->method, "GET") == 0)
        mfg = FG_GREEN;
    else if (strcasecmp(rq->method, "DELETE") == 0)
        mfg = FG_RED;
    style_on(d, b, mfg, ST_BOLD);
    put_ctrl_escaped(b, rq->method, strlen(rq->method));
    style_off(d, b, mfg, ST_BOLD);
    buf_append(b, " ", 1);

    char *url = d->showhost ? http_request_pretty_url(rq) : http_request_url(rq);
    size_t ulen = strlen(url);
    int cut = 0;
    if (d->detail == 1) {
        /* Truncated before styling, as dumper.py does. */
        int w = terminal_width() - 25;
        size_t limit = (size_t)(w > 50 ? w : 50);
        if (utf8_len(url, ulen) > limit) {
            ulen = utf8_prefix(url, limit);
            cut = 1;
        }
    }
    style_on(d, b, FG_NONE, ST_BOLD);
    put_ctrl_escaped(b, url, ulen);
    if (cut)
        buf_append_str(b, "\xe2\x80\xa6");
    style_off(d, b, FG_NONE, ST_BOLD);
    free(url);

    const char *resp_version = f->response ? f->response->http_version : "HTTP/1.1";
    if (!is_h1(rq->http_version) || strcmp(rq->http_version, resp_version) != 0)
        buf_printf(b, " %s", rq->http_version);
    buf_append(b, "\n", 1);
}

static void
response_line(const struct dumper *d, struct buf *b, const struct flow *f)
{
    const struct http_response *rs = f->response;
    int replay = f->is_replay && strcmp(f->is_replay, "response") == 0;
    const char *version = "";
    if (!is_h1(rs->http_version) || strcmp(f->request->http_version, rs->http_version) != 0)
        version = rs->http_version;

    if (replay) {
        style_on(d, b, FG_YELLOW, ST_BOLD);
        buf_append_str(b, "[replay]");
        style_off(d, b, FG_YELLOW, ST_BOLD);
    }
    if (d->detail == 1) {
        /* Aligns the status code under the request method. */
        size_t used = 2 + (*version ? strlen(version) + 1 : 0) + (replay ? 8 : 0);
        size_t alen = address_len(f->client_conn);
        for (size_t i = used; i < alen; i++)
            buf_append(b, " ", 1);
    }
    style_on(d, b, FG_NONE, ST_BOLD);
    buf_append_str(b, " <<");
    style_off(d, b, FG_NONE, ST_BOLD);
    buf_append(b, " ", 1);
    if (*version)
        buf_printf(b, "%s ", version);

    int code = rs->status_code;
    enum fg cfg = FG_NONE;
    if (code >= 200 && code < 300)
        cfg = FG_GREEN;
    else if (code >= 300 && code < 400)
        cfg = FG_MAGENTA;
    else if (code >= 400 && code < 600)
        cfg = FG_RED;
    int attrs = ST_BOLD | (code == 418 ? ST_BLINK : ST_NOBLINK);
    style_on(d, b, cfg, attrs);
    buf_printf(b, "%d", code);
    style_off(d, b, cfg, attrs);
    buf_append(b, " ", 1);

    /* HTTP/2 has no reason phrase on the wire: mitmproxy shows the standard one. */
    const char *reason =
        strcmp(rs->http_version, "HTTP/2.0") == 0 ? http_status_reason(code) : rs->reason;
    style_on(d, b, cfg, ST_BOLD);
    put_ctrl_escaped(b, reason, strlen(reason));
    style_off(d, b, cfg, ST_BOLD);
    buf_append(b, " ", 1);

    style_on(d, b, FG_NONE, ST_BOLD);
    if (rs->content_none)
        buf_append_str(b, "(content missing)");
    else
        put_size(b, rs->content.len);
    style_off(d, b, FG_NONE, ST_BOLD);
    buf_append(b, "\n", 1);
}

/*
 * dumper.py indents with str.strip() first, so an empty header value loses
 * the space after its colon ("X-Empty:"); escaping has already turned
 * every other kind of whitespace into visible text.
 */
static void
headers(const struct dumper *d, struct buf *b, const struct hdrs *h)
{
    for (size_t i = 0; i < h->n; i++) {
        buf_append_str(b, "    ");
        size_t start = b->len;
        style_on(d, b, FG_BLUE, 0);
        put_bytes_escaped(b, (const uint8_t *)h->v[i].name, h->v[i].name_len, 0);
        style_off(d, b, FG_BLUE, 0);
        buf_append_str(b, ": ");
        put_bytes_escaped(b, (const uint8_t *)h->v[i].value, h->v[i].value_len, 0);
        while (b->len > start && buf_ptr(b)[b->len - 1] == ' ')
            b->len--;
        buf_append(b, "\n", 1);
    }
}

static void
trailers(const struct dumper *d, struct buf *b, const struct hdrs *t)
{
    if (t == NULL || t->n == 0)
        return;
    style_on(d, b, FG_MAGENTA, 0);
    buf_append_str(b, "    --- HTTP Trailers");
    style_off(d, b, FG_MAGENTA, 0);
    buf_append(b, "\n", 1);
    headers(d, b, t);
}

/* contentviews' styles as dumper.py's CONTENTVIEW_STYLES colours them. */
static void
token_style(enum cv_style style, enum fg *fg, int *attrs)
{
    *fg = FG_NONE, *attrs = 0;
    if (style == CV_STYLE_HIGHLIGHT)
        *attrs = ST_BOLD;
    else if (style == CV_STYLE_OFFSET)
        *fg = FG_BLUE;
    else if (style == CV_STYLE_HEADER)
        *fg = FG_GREEN, *attrs = ST_BOLD;
    else if (style == CV_STYLE_TEXT)
        *fg = FG_GREEN;
}

/*
 * Prints a content view's lines as dumper.py's _echo_message does: at
 * detail 3 the first 70, then "(cut off)" if a 71st line has any token.
 */
static void
echo_lines(const struct dumper *d, struct buf *b, struct cv_render *r)
{
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, d->detail == 3 ? CUTOFF_LINES + 1 : 0);
    size_t shown = l.n > CUTOFF_LINES && d->detail == 3 ? CUTOFF_LINES : l.n;
    if (shown) {
        buf_append(b, "\n", 1);
        for (size_t i = 0; i < shown; i++) {
            struct cv_line ln;
            cv_lines_get(&l, i, &ln);
            if (i)
                buf_append_str(b, "\r\n");
            buf_append_str(b, "    ");
            size_t off = 0;
            for (size_t k = 0; k < ln.ntok; k++) {
                enum fg fg;
                int attrs;
                token_style(ln.tok[k].style, &fg, &attrs);
                style_on(d, b, fg, attrs);
                buf_append(b, ln.text + off, ln.tok[k].len);
                style_off(d, b, fg, attrs);
                off += ln.tok[k].len;
            }
        }
        buf_append(b, "\n", 1);
    }
    struct cv_line next;
    if (shown < l.n && (cv_lines_get(&l, shown, &next), next.ntok > 0)) {
        /* echo(..., ident=4, dim=True) styles the indented text. */
        style_on(d, b, FG_NONE, ST_DIM);
        buf_append_str(b, "    (cut off)");
        style_off(d, b, FG_NONE, ST_DIM);
        buf_append(b, "\n", 1);
    }
    if (d->detail >= 2)
        buf_append(b, "\n", 1);
    cv_lines_clear(&l);
    cv_render_free(r);
}

static void
message_body(const struct dumper *d, struct buf *b, const struct flow *f,
             const struct http_request *rq, const struct http_response *rs)
{
    echo_lines(d, b, cv_render_message(d->view, f, rq, rs));
}

/* A TCP or WebSocket message: bytes without a content type. */
static void
tcp_body(const struct dumper *d, struct buf *b, const struct buf *content)
{
    echo_lines(d, b, cv_render_bytes(d->view, NULL, buf_ptr(content), content->len));
}

static void
echo_flow(const struct dumper *d, const struct flow *f)
{
    struct buf b = BUF_INIT;
    if (f->request) {
        request_line(d, &b, f);
        if (d->detail >= 2)
            headers(d, &b, &f->request->headers);
        if (d->detail >= 3)
            message_body(d, &b, f, f->request, NULL);
        if (d->detail >= 2)
            trailers(d, &b, f->request->trailers);
    }
    if (f->request && f->response) {
        response_line(d, &b, f);
        if (d->detail >= 2)
            headers(d, &b, &f->response->headers);
        if (d->detail >= 3)
            message_body(d, &b, f, NULL, f->response);
        if (d->detail >= 2)
            trailers(d, &b, f->response->trailers);
    }
    if (f->error) {
        style_on(d, &b, FG_RED, ST_BOLD);
        buf_append_str(&b, " << ");
        put_ctrl_escaped(&b, f->error->msg, strlen(f->error->msg));
        style_off(d, &b, FG_RED, ST_BOLD);
        buf_append(&b, "\n", 1);
    }
    if (b.len)
        fwrite(buf_ptr(&b), 1, b.len, d->out);
    fflush(d->out);
    buf_clear(&b);
}

static enum addon_result
on_flow_end(struct addon *a, struct hook_call *call)
{
    struct dumper *d = (struct dumper *)a;
    const struct flow *f = call->data->flow;
    if (shown(d, f) && f->type == FLOW_HTTP)
        echo_flow(d, f);
    return ADDON_CONTINUE;
}

/* dumper.py's tcp_message: one line per message, the content from detail 3. */
static enum addon_result
on_tcp_message(struct addon *a, struct hook_call *call)
{
    struct dumper *d = (struct dumper *)a;
    const struct flow *f = call->data->flow;
    if (!shown(d, f) || f->nmessages == 0)
        return ADDON_CONTINUE;
    const struct tcp_message *m = &f->messages[f->nmessages - 1];
    const char *dir = m->from_client ? "->" : "<-";
    struct buf b = BUF_INIT;
    put_address(&b, f->client_conn ? &f->client_conn->peername : NULL);
    buf_printf(&b, " %s tcp %s ", dir, dir);
    put_address(&b, f->server_conn ? &f->server_conn->address : NULL);
    buf_append(&b, "\n", 1);
    if (d->detail >= 3)
        tcp_body(d, &b, &m->content);
    fwrite(buf_ptr(&b), 1, b.len, d->out);
    fflush(d->out);
    buf_clear(&b);
    return ADDON_CONTINUE;
}

/* wsproto's Opcode names, lower-cased as dumper.py prints them. */
static const char *
ws_type_name(int opcode)
{
    switch (opcode) {
    case 0:
        return "continuation";
    case 1:
        return "text";
    case 2:
        return "binary";
    case 8:
        return "close";
    case 9:
        return "ping";
    case 10:
        return "pong";
    default:
        return "unknown";
    }
}

static void
ws_message(const struct dumper *d, struct buf *b, const struct flow *f, const struct ws_message *m)
{
    const char *dir = m->from_client ? "->" : "<-";
    put_address(b, f->client_conn ? &f->client_conn->peername : NULL);
    buf_printf(b, " %s WebSocket %s message %s ", dir, ws_type_name(m->type), dir);
    put_address(b, f->server_conn ? &f->server_conn->address : NULL);
    if (f->request)
        buf_append_str(b, f->request->path);
    buf_append(b, "\n", 1);
    if (d->detail >= 3)
        tcp_body(d, b, &m->content);
}

static void
flush_buf(const struct dumper *d, struct buf *b)
{
    if (b->len)
        fwrite(buf_ptr(b), 1, b->len, d->out);
    fflush(d->out);
    buf_clear(b);
}

/* dumper.py's websocket_message: like tcp_message, with the request path. */
static enum addon_result
on_ws_message(struct addon *a, struct hook_call *call)
{
    struct dumper *d = (struct dumper *)a;
    const struct flow *f = call->data->flow;
    if (!shown(d, f) || f->websocket == NULL || f->websocket->nmessages == 0)
        return ADDON_CONTINUE;
    struct buf b = BUF_INIT;
    ws_message(d, &b, f, &f->websocket->messages[f->websocket->nmessages - 1]);
    flush_buf(d, &b);
    return ADDON_CONTINUE;
}

/* wsproto's CloseReason names, which format_websocket_error prints. */
static const char *
ws_close_name(int code)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {1000, "NORMAL_CLOSURE"},   {1001, "GOING_AWAY"},
        {1002, "PROTOCOL_ERROR"},   {1003, "UNSUPPORTED_DATA"},
        {1005, "NO_STATUS_RCVD"},   {1006, "ABNORMAL_CLOSURE"},
        {1007, "INVALID_FRAME_PAYLOAD_DATA"}, {1008, "POLICY_VIOLATION"},
        {1009, "MESSAGE_TOO_BIG"},  {1010, "MANDATORY_EXT"},
        {1011, "INTERNAL_ERROR"},   {1012, "SERVICE_RESTART"},
        {1013, "TRY_AGAIN_LATER"},  {1015, "TLS_HANDSHAKE_FAILED"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].code == code)
            return names[i].name;
    return NULL;
}

/* Python's str() of close_code and close_reason, as dumper.py's f-strings
 * show them: None when unset. */
static void
put_code(struct buf *b, int code)
{
    if (code < 0)
        buf_append_str(b, "None");
    else
        buf_printf(b, "%d", code);
}

static void
put_reason(struct buf *b, const char *reason)
{
    buf_append_str(b, reason ? reason : "None");
}

/* dumper.py's websocket_end: how the connection closed. */
static enum addon_result
on_ws_end(struct addon *a, struct hook_call *call)
{
    struct dumper *d = (struct dumper *)a;
    const struct flow *f = call->data->flow;
    if (!shown(d, f) || f->websocket == NULL)
        return ADDON_CONTINUE;
    const struct websocket_data *ws = f->websocket;
    struct buf b = BUF_INIT;
    int c = ws->close_code;
    if (c == 1000 || c == 1001 || c == 1005) {
        buf_printf(&b, "WebSocket connection closed by %s: ",
                   ws->closed_by_client == 1 ? "client" : "server");
        put_code(&b, c);
        buf_append(&b, " ", 1);
        put_reason(&b, ws->close_reason);
        buf_append(&b, "\n", 1);
    } else {
        style_on(d, &b, FG_RED, 0);
        buf_append_str(&b, "Error in WebSocket connection to ");
        put_address(&b, f->server_conn ? &f->server_conn->address : NULL);
        buf_append_str(&b, ": WebSocket Error: ");
        const char *name = ws_close_name(c);
        if (name) {
            buf_append_str(&b, name);
        } else {
            buf_append_str(&b, "UNKNOWN_ERROR=");
            put_code(&b, c);
        }
        /* Python's truthiness: None and "" add nothing. */
        if (ws->close_reason && ws->close_reason[0]) {
            buf_append_str(&b, " (reason: ");
            put_reason(&b, ws->close_reason);
            buf_append_str(&b, ")");
        }
        style_off(d, &b, FG_RED, 0);
        buf_append(&b, "\n", 1);
    }
    flush_buf(d, &b);
    return ADDON_CONTINUE;
}

/* dumper.py's tcp_error: the whole line in red, the message unescaped. */
static enum addon_result
on_tcp_error(struct addon *a, struct hook_call *call)
{
    struct dumper *d = (struct dumper *)a;
    const struct flow *f = call->data->flow;
    if (!shown(d, f))
        return ADDON_CONTINUE;
    struct buf b = BUF_INIT;
    style_on(d, &b, FG_RED, 0);
    buf_append_str(&b, "Error in TCP connection to ");
    put_address(&b, f->server_conn ? &f->server_conn->address : NULL);
    buf_append_str(&b, ": ");
    if (f->error && f->error->msg)
        buf_append_str(&b, f->error->msg);
    style_off(d, &b, FG_RED, 0);
    buf_append(&b, "\n", 1);
    fwrite(buf_ptr(&b), 1, b.len, d->out);
    fflush(d->out);
    buf_clear(&b);
    return ADDON_CONTINUE;
}

/*
 * dumper.py's _echo_dns_query(): "DNS <op code> (<type>)" and the first
 * question's name. The colour table there is keyed by the whole
 * description but looked up with the type alone, so the description is
 * always red; the name is not escaped. 8.1.1 fails (and prints nothing)
 * for a query without questions, so 0 is returned for one.
 */
static int
dns_query_line(const struct dumper *d, struct buf *b, const struct flow *f)
{
    const struct dns_message *q = f->dns_request;
    if (q == NULL || q->nquestions == 0)
        return 0;
    char op[DNS_STR_MAX], type[DNS_STR_MAX];
    put_client(d, b, f);
    style_on(d, b, FG_RED, 0);
    buf_printf(b, "DNS %s (%s)", dns_opcode_str(q->op_code, op),
               dns_type_str(q->questions[0].type, type));
    style_off(d, b, FG_RED, 0);
    buf_append(b, " ", 1);
    style_on(d, b, FG_NONE, ST_BOLD);
    buf_append_str(b, q->questions[0].name);
    style_off(d, b, FG_NONE, ST_BOLD);
    buf_append(b, "\n", 1);
    return 1;
}

/* dumper.py's dns_response: the query, then " << " and the answers as
 * mitmproxy prints records, at every detail from 1 on. */
static enum addon_result
on_dns_response(struct addon *a, struct hook_call *call)
{
    struct dumper *d = (struct dumper *)a;
    const struct flow *f = call->data->flow;
    if (!shown(d, f) || f->dns_response == NULL)
        return ADDON_CONTINUE;
    struct buf b = BUF_INIT;
    if (dns_query_line(d, &b, f)) {
        style_on(d, &b, FG_NONE, ST_BOLD);
        buf_append_str(&b, " <<");
        style_off(d, &b, FG_NONE, ST_BOLD);
        buf_append(&b, " ", 1);
        const struct dns_rrs *l = &f->dns_response->answers;
        for (size_t i = 0; i < l->n; i++) {
            if (i > 0)
                buf_append_str(&b, ", ");
            style_on(d, &b, FG_BRIGHT_BLUE, 0);
            dns_rr_str(&b, &l->v[i]);
            style_off(d, &b, FG_BRIGHT_BLUE, 0);
        }
        buf_append(&b, "\n", 1);
    }
    flush_buf(d, &b);
    return ADDON_CONTINUE;
}

/* dumper.py's dns_error: the query, then the error in bold red. */
static enum addon_result
on_dns_error(struct addon *a, struct hook_call *call)
{
    struct dumper *d = (struct dumper *)a;
    const struct flow *f = call->data->flow;
    if (!shown(d, f) || f->error == NULL)
        return ADDON_CONTINUE;
    struct buf b = BUF_INIT;
    if (dns_query_line(d, &b, f)) {
        style_on(d, &b, FG_RED, ST_BOLD);
        buf_append_str(&b, " << ");
        put_ctrl_escaped(&b, f->error->msg, strlen(f->error->msg));
        style_off(d, &b, FG_RED, ST_BOLD);
        buf_append(&b, "\n", 1);
    }
    flush_buf(d, &b);
    return ADDON_CONTINUE;
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct dumper *d = (struct dumper *)a;
    struct filt *nf = NULL;
    if (o->dumper_filter && *o->dumper_filter) {
        struct err fe = {0};
        if ((nf = filt_compile(o->dumper_filter, &fe)) == NULL)
            return err_set(e, MP_ERR_SYNTAX, "dumper_filter: %s", fe.msg);
    }
    filt_free(d->filt);
    d->filt = nf;
    d->detail = o->flow_detail;
    d->showhost = o->showhost;
    free(d->view);
    d->view = xstrdup(o->dumper_default_contentview);
    return 0;
}

static void
dumper_free(struct addon *a)
{
    filt_free(((struct dumper *)a)->filt);
    free(((struct dumper *)a)->view);
    free(a);
}

/* Every hook shows the flow only when shown() says so: never at
 * flow_detail 0 (-q). mitmdump has no store, so its -r keeps the hooks
 * anyway; this says it for whatever asks. */
static int
acts_on_loaded(struct addon *a)
{
    return ((const struct dumper *)a)->detail > 0;
}

static const struct addon_ops dumper_ops = {
    .name = "dumper",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = dumper_free,
    .hooks = {[HOOK_RESPONSE] = on_flow_end,
              [HOOK_ERROR] = on_flow_end,
              [HOOK_TCP_MESSAGE] = on_tcp_message,
              [HOOK_TCP_ERROR] = on_tcp_error,
              [HOOK_WEBSOCKET_MESSAGE] = on_ws_message,
              [HOOK_WEBSOCKET_END] = on_ws_end,
              [HOOK_DNS_RESPONSE] = on_dns_response,
              [HOOK_DNS_ERROR] = on_dns_error},
};

struct addon *
addon_dumper_new(FILE *out)
{
    struct dumper *d = xcalloc(1, sizeof(*d));
    d->base.ops = &dumper_ops;
    d->out = out;
    d->detail = 1;
    d->view = xstrdup("auto");
    int fd = fileno(out);
    d->color = fd >= 0 && isatty(fd);
    return &d->base;
}

void
dumper_log_sink(enum log_level level, const char *msg, void *arg)
{
    FILE *f = arg;
    fputs(msg, f);
    fputc('\n', f);
    fflush(f);
}
