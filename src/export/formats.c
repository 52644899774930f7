/*
 * The export formats (mitmproxy's addons/export.py, plus fetch and
 * python_requests). See export.h.
 */
#include <string.h>
#include <strings.h>

#include "export/export.h"
#include "export/internal.h"
#include "flow/flow.h"
#include "util/json.h"
#include "util/xmalloc.h"

static const char *const names[] = {
#define X(name, str) str,
    EXPORT_FORMAT_MAP(X)
#undef X
};

const char *
export_format_name(enum export_format f)
{
    return (unsigned)f < EXPORT__COUNT ? names[f] : NULL;
}

int
export_format_find(const char *name)
{
    for (int i = 0; i < EXPORT__COUNT; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static int
no_request(struct err *e)
{
    return err_set(e, MP_ERR_INVAL, "Can't export flow with no request.");
}

/* cleanup_request(): a decoded copy, or an error for a flow without one. */
static struct http_request *
cleanup_request(const struct flow *f, struct err *e)
{
    if (f->type != FLOW_HTTP || f->request == NULL) {
        no_request(e);
        return NULL;
    }
    return exp__request_decoded(f->request);
}

/* pop_headers(): what curl and httpie leave out. */
static void
pop_headers(struct http_request *r)
{
    hdrs_remove(&r->headers, "content-length");
    static const char *const names2[] = {"host", ":authority"};
    for (size_t i = 0; i < 2; i++) {
        size_t n;
        const char *v = exp__header(&r->headers, names2[i], &n);
        if (v && n == strlen(r->host) && memcmp(v, r->host, n) == 0)
            hdrs_remove(&r->headers, names2[i]);
    }
}

/* Request.method: the method in upper case. */
static void
method_upper(const struct http_request *r, struct buf *out)
{
    for (const char *c = r->method; *c; c++) {
        char u = (*c >= 'a' && *c <= 'z') ? (char)(*c - 32) : *c;
        buf_append(out, &u, 1);
    }
}

/* request_content_for_console(): the body as text, control characters as
 * \xHH; an error when the body's charset does not decode it. */
static int
console_text(const struct http_request *r, struct buf *out, struct err *e)
{
    struct buf text = BUF_INIT;
    int rc = exp__get_text(&r->headers, buf_ptr(&r->content), r->content.len, EXP_CHARSET_811, 1,
                           &text, NULL);
    if (rc < 0) {
        buf_clear(&text);
        return err_set(e, MP_ERR_INVAL, "Request content must be valid unicode");
    }
    const uint8_t *t = buf_ptr(&text);
    for (size_t i = 0; i < text.len; i++) {
        if (t[i] < 0x20)
            buf_printf(out, "\\x%02x", t[i]);
        else
            buf_append(out, &t[i], 1);
    }
    buf_clear(&text);
    return 0;
}

/* Appends " " (unless first) and the quoted argument. */
static void
arg(struct buf *out, const void *p, size_t n)
{
    if (out->len)
        buf_append(out, " ", 1);
    exp__shlex_quote(out, p, n);
}

static void
arg_str(struct buf *out, const char *s)
{
    arg(out, s, strlen(s));
}

static void
arg_buf(struct buf *out, const struct buf *b)
{
    arg(out, buf_ptr(b), b->len);
}

static void
arg_header(struct buf *out, const struct hdr *h)
{
    struct buf b = BUF_INIT;
    buf_append(&b, h->name, h->name_len);
    buf_append(&b, ": ", 2);
    buf_append(&b, h->value, h->value_len);
    arg_buf(out, &b);
    buf_clear(&b);
}

static int
curl(const struct flow *f, const struct export_opts *o, struct buf *out, struct err *e)
{
    struct http_request *r = cleanup_request(f, e);
    if (r == NULL)
        return MP_ERR_INVAL;
    pop_headers(r);
    struct buf cmd = BUF_INIT, tmp = BUF_INIT;
    int rc = 0;
    arg_str(&cmd, "curl");
    const char *server_ip = f->server_conn ? f->server_conn->peername.host : NULL;
    if (o->preserve_original_ip && server_ip && *server_ip) {
        exp__pretty_host(r, &tmp);
        if (tmp.len != strlen(server_ip) || memcmp(buf_ptr(&tmp), server_ip, tmp.len) != 0) {
            arg_str(&cmd, "--resolve");
            buf_printf(&tmp, ":%u:[%s]", r->port, server_ip);
            arg_buf(&cmd, &tmp);
        }
        buf_reset(&tmp);
    }
    for (size_t i = 0; i < r->headers.n; i++) {
        const struct hdr *h = &r->headers.v[i];
        if (h->name_len == 15 && strncasecmp(h->name, "accept-encoding", 15) == 0) {
            arg_str(&cmd, "--compressed");
        } else {
            arg_str(&cmd, "-H");
            arg_header(&cmd, h);
        }
    }
    method_upper(r, &tmp);
    if (tmp.len != 3 || memcmp(buf_ptr(&tmp), "GET", 3) != 0) {
        arg_str(&cmd, "-X");
        arg_buf(&cmd, &tmp);
    }
    buf_reset(&tmp);
    exp__pretty_url(r, &tmp);
    arg_buf(&cmd, &tmp);
    if (r->content.len) {
        buf_reset(&tmp);
        if ((rc = console_text(r, &tmp, e)) == 0) {
            arg_str(&cmd, "-d");
            arg_buf(&cmd, &tmp);
        }
    }
    if (rc == 0)
        buf_append(out, buf_ptr(&cmd), cmd.len);
    buf_clear(&cmd);
    buf_clear(&tmp);
    http_request_free(r);
    return rc;
}

static int
httpie(const struct flow *f, const struct export_opts *o, struct buf *out, struct err *e)
{
    (void)o;
    struct http_request *r = cleanup_request(f, e);
    if (r == NULL)
        return MP_ERR_INVAL;
    pop_headers(r);
    struct buf cmd = BUF_INIT, tmp = BUF_INIT;
    int rc = 0;
    arg_str(&cmd, "http");
    method_upper(r, &tmp);
    arg_buf(&cmd, &tmp);
    buf_reset(&tmp);
    exp__pretty_url(r, &tmp);
    arg_buf(&cmd, &tmp);
    for (size_t i = 0; i < r->headers.n; i++)
        arg_header(&cmd, &r->headers.v[i]);
    if (r->content.len) {
        buf_reset(&tmp);
        if ((rc = console_text(r, &tmp, e)) == 0) {
            buf_append_str(&cmd, " <<< ");
            exp__shlex_quote(&cmd, buf_ptr(&tmp), tmp.len);
        }
    }
    if (rc == 0)
        buf_append(out, buf_ptr(&cmd), cmd.len);
    buf_clear(&cmd);
    buf_clear(&tmp);
    http_request_free(r);
    return rc;
}

/* bytes(headers): "name: value\r\n" for each field. */
static void
headers_bytes(struct buf *out, const struct hdrs *h)
{
    for (size_t i = 0; i < h->n; i++) {
        buf_append(out, h->v[i].name, h->v[i].name_len);
        buf_append(out, ": ", 2);
        buf_append(out, h->v[i].value, h->v[i].value_len);
        buf_append(out, "\r\n", 2);
    }
}

/* assemble_body(): chunked when Transfer-Encoding says so. */
static int
assemble_body(struct buf *out, const struct hdrs *h, const struct buf *content,
              const struct hdrs *trailers, struct err *e)
{
    size_t n;
    const char *te = exp__header(h, "transfer-encoding", &n);
    int chunked = 0;
    for (size_t i = 0; te && i + 7 <= n && !chunked; i++)
        chunked = strncasecmp(te + i, "chunked", 7) == 0;
    int have_trailers = trailers && trailers->n > 0;
    if (!chunked) {
        if (have_trailers)
            return err_set(e, MP_ERR_INVAL,
                           "Sending HTTP/1.1 trailer headers requires transfer-encoding: chunked");
        buf_append(out, buf_ptr(content), content->len);
        return 0;
    }
    if (content->len) {
        buf_printf(out, "%zx\r\n", content->len);
        buf_append(out, buf_ptr(content), content->len);
        buf_append(out, "\r\n", 2);
    }
    buf_append(out, "0\r\n", 3);
    if (have_trailers)
        headers_bytes(out, trailers);
    buf_append(out, "\r\n", 2);
    return 0;
}

static int
assemble_request(const struct http_request *r, struct buf *out, struct err *e)
{
    size_t start = out->len;
    if (strcasecmp(r->method, "CONNECT") == 0)
        buf_printf(out, "%s %s %s", r->method, r->authority, r->http_version);
    else if (r->authority[0])
        buf_printf(out, "%s %s://%s%s %s", r->method, r->scheme, r->authority, r->path,
                   r->http_version);
    else
        buf_printf(out, "%s %s %s", r->method, r->path, r->http_version);
    buf_append(out, "\r\n", 2);
    headers_bytes(out, &r->headers);
    buf_append(out, "\r\n", 2);
    int rc = assemble_body(out, &r->headers, &r->content, r->trailers, e);
    if (rc < 0)
        out->len = start;
    return rc;
}

static int
assemble_response(const struct http_response *r, struct buf *out, struct err *e)
{
    size_t start = out->len;
    buf_printf(out, "%s %d %s\r\n", r->http_version, r->status_code, r->reason);
    headers_bytes(out, &r->headers);
    buf_append(out, "\r\n", 2);
    int rc = assemble_body(out, &r->headers, &r->content, r->trailers, e);
    if (rc < 0)
        out->len = start;
    return rc;
}

static int
raw_request(const struct flow *f, const struct export_opts *o, struct buf *out, struct err *e)
{
    (void)o;
    struct http_request *r = cleanup_request(f, e);
    if (r == NULL)
        return MP_ERR_INVAL;
    int rc = r->content_none ? err_set(e, MP_ERR_INVAL, "Request content missing.")
                             : assemble_request(r, out, e);
    http_request_free(r);
    return rc;
}

static int
raw_response(const struct flow *f, const struct export_opts *o, struct buf *out, struct err *e)
{
    (void)o;
    if (f->type != FLOW_HTTP || f->response == NULL)
        return err_set(e, MP_ERR_INVAL, "Can't export flow with no response.");
    struct http_response *r = exp__response_decoded(f->response);
    int rc = r->content_none ? err_set(e, MP_ERR_INVAL, "Response content missing.")
                             : assemble_response(r, out, e);
    http_response_free(r);
    return rc;
}

static int
raw(const struct flow *f, const struct export_opts *o, struct buf *out, struct err *e)
{
    int req = f->type == FLOW_HTTP && f->request && !f->request->content_none;
    int resp = f->type == FLOW_HTTP && f->response && !f->response->content_none;
    if (!req && !resp)
        return err_set(e, MP_ERR_INVAL, "Can't export flow with no request or response.");
    size_t start = out->len;
    int rc = req ? raw_request(f, o, out, e) : 0;
    if (rc == 0 && req && resp)
        buf_append(out, "\r\n\r\n", 4);
    if (rc == 0 && resp)
        rc = raw_response(f, o, out, e);
    if (rc < 0)
        out->len = start;
    return rc;
}

/*
 * The headers fetch and requests get: as curl's, without pseudo-headers
 * (a HAR from a browser has them) and with repeated names merged into the
 * first, as a mapping holds them. Fills *merged (owned by the caller).
 */
static void
merged_headers(const struct http_request *r, struct hdrs *merged)
{
    hdrs_init(merged);
    for (size_t i = 0; i < r->headers.n; i++) {
        const struct hdr *h = &r->headers.v[i];
        if (h->name_len && h->name[0] == ':')
            continue;
        int at = hdrs_find(merged, h->name, 0);
        if (at < 0) {
            hdrs_add(merged, slice_from(h->name, h->name_len), slice_from(h->value, h->value_len));
            continue;
        }
        struct hdr *m = &merged->v[at];
        const char *sep = strcasecmp(h->name, "cookie") == 0 ? "; " : ", ";
        size_t seplen = strlen(sep);
        m->value = xrealloc(m->value, m->value_len + seplen + h->value_len + 1);
        memcpy(m->value + m->value_len, sep, seplen);
        memcpy(m->value + m->value_len + seplen, h->value, h->value_len);
        m->value_len += seplen + h->value_len;
        m->value[m->value_len] = '\0';
    }
}

/* What the code writers (fetch, requests) need of a request: a cleaned-up
 * copy, its headers merged by name, its URL and upper-case method. */
struct code_request {
    struct http_request *r; /* owned */
    struct hdrs h;
    struct buf url;
    struct buf method;
};

static int
code_request_open(struct code_request *c, const struct flow *f, struct err *e)
{
    c->r = cleanup_request(f, e);
    if (c->r == NULL)
        return MP_ERR_INVAL;
    pop_headers(c->r);
    merged_headers(c->r, &c->h);
    buf_init(&c->url);
    exp__pretty_url(c->r, &c->url);
    buf_init(&c->method);
    method_upper(c->r, &c->method);
    return 0;
}

static void
code_request_close(struct code_request *c)
{
    buf_clear(&c->url);
    buf_clear(&c->method);
    hdrs_clear(&c->h);
    http_request_free(c->r);
}

static int
fetch(const struct flow *f, const struct export_opts *o, struct buf *out, struct err *e)
{
    (void)o;
    struct code_request c;
    if (code_request_open(&c, f, e) < 0)
        return MP_ERR_INVAL;
    const struct hdrs *h = &c.h;
    buf_append_str(out, "fetch(");
    json_quote(out, buf_ptr(&c.url), c.url.len, JSON_UTF8);
    buf_append_str(out, ", {\n  \"method\": ");
    json_quote(out, buf_ptr(&c.method), c.method.len, JSON_UTF8);
    buf_append_str(out, ",\n  \"headers\": {");
    for (size_t i = 0; i < h->n; i++) {
        /* Header values are byte strings in fetch: one character a byte. */
        buf_append_str(out, i ? ",\n    " : "\n    ");
        json_quote(out, h->v[i].name, h->v[i].name_len, JSON_LATIN1);
        buf_append_str(out, ": ");
        json_quote(out, h->v[i].value, h->v[i].value_len, JSON_LATIN1);
    }
    buf_append_str(out, h->n ? "\n  }" : "}");
    const uint8_t *body = buf_ptr(&c.r->content);
    size_t blen = c.r->content.len;
    if (blen && exp__is_utf8(body, blen)) {
        buf_append_str(out, ",\n  \"body\": ");
        json_quote(out, body, blen, JSON_UTF8);
    } else if (blen) {
        buf_append_str(out, ",\n  \"body\": new Uint8Array([");
        for (size_t i = 0; i < blen; i++)
            buf_printf(out, "%s%u", i ? (i % 16 ? ", " : ",\n    ") : "", body[i]);
        buf_append_str(out, "])");
    }
    buf_append_str(out, "\n});\n");
    code_request_close(&c);
    return 0;
}

static int
is_ascii_text(const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 0x80)
            return 0;
    return 1;
}

/* A Python literal for bytes that go out as they are: a str when they are
 * ASCII (requests and http.client send a str as latin-1), else bytes. */
static void
py_literal(struct buf *out, const void *p, size_t n)
{
    if (is_ascii_text(p, n))
        exp__repr_str(out, p, n);
    else
        exp__repr_bytes(out, p, n);
}

static int
python_requests(const struct flow *f, const struct export_opts *o, struct buf *out, struct err *e)
{
    (void)o;
    struct code_request c;
    if (code_request_open(&c, f, e) < 0)
        return MP_ERR_INVAL;
    const struct hdrs *h = &c.h;
    const struct http_request *r = c.r;
    buf_append_str(out, "import requests\n\nurl = ");
    exp__repr_str(out, buf_ptr(&c.url), c.url.len);
    buf_append_str(out, "\nheaders = {");
    for (size_t i = 0; i < h->n; i++) {
        buf_append_str(out, "\n    ");
        py_literal(out, h->v[i].name, h->v[i].name_len);
        buf_append_str(out, ": ");
        py_literal(out, h->v[i].value, h->v[i].value_len);
        buf_append_str(out, ",");
    }
    buf_append_str(out, h->n ? "\n}\n" : "}\n");
    if (r->content.len) {
        buf_append_str(out, "data = ");
        py_literal(out, buf_ptr(&r->content), r->content.len);
        buf_append_str(out, "\n");
    }
    buf_append_str(out, "\nresponse = requests.request(");
    exp__repr_str(out, buf_ptr(&c.method), c.method.len);
    buf_append_str(out, ", url, headers=headers");
    if (r->content.len)
        buf_append_str(out, ", data=data");
    buf_append_str(out, ")\nprint(response.text)\n");
    code_request_close(&c);
    return 0;
}

typedef int (*format_fn)(const struct flow *, const struct export_opts *, struct buf *,
                         struct err *);

static const format_fn fns[EXPORT__COUNT] = {
    [EXPORT_CURL] = curl,
    [EXPORT_FETCH] = fetch,
    [EXPORT_HTTPIE] = httpie,
    [EXPORT_PYTHON_REQUESTS] = python_requests,
    [EXPORT_RAW] = raw,
    [EXPORT_RAW_REQUEST] = raw_request,
    [EXPORT_RAW_RESPONSE] = raw_response,
};

int
export_flow(enum export_format fmt, const struct flow *f, const struct export_opts *opts,
            struct buf *out, struct err *e)
{
    static const struct export_opts defaults = {0};
    if ((unsigned)fmt >= EXPORT__COUNT)
        return err_set(e, MP_ERR_INVAL, "No such export format: %d", (int)fmt);
    size_t start = out->len;
    int rc = fns[fmt](f, opts ? opts : &defaults, out, e);
    if (rc < 0)
        out->len = start;
    return rc;
}

void
export_as_text(const void *p, size_t n, struct buf *out)
{
    const uint8_t *s = p;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        /* Whole valid sequences pass; each other byte is \xHH. */
        while (run < n) {
            size_t len = s[run] < 0x80 ? 1 : s[run] >= 0xf0 ? 4 : s[run] >= 0xe0 ? 3 : 2;
            if (s[run] >= 0x80 && (s[run] < 0xc2 || run + len > n || !exp__is_utf8(s + run, len)))
                break;
            run += len;
        }
        buf_append(out, s + i, run - i);
        if (run < n) {
            buf_printf(out, "\\x%02x", s[run]);
            run++;
        }
        i = run;
    }
}
