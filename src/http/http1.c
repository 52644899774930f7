/*
 * HTTP/1.x codec: head parsers, body framing, body reader, serializers.
 *
 * A head is parsed in two quick passes: the first finds the line ends with
 * memchr (and enforces the size limits before anything is allocated), the
 * second validates each line and copies names and values out. The caller
 * keeps its bytes; a head that is still incomplete costs one memchr pass.
 *
 * Refused with MP_ERR_PROTOCOL (request smuggling and response splitting
 * defences, RFC 9112 sections 2.2, 5, 6.3 and 11): obs-fold, bare CR, NUL,
 * whitespace between a field name and its colon, non-token bytes in methods
 * and field names, Content-Length together with Transfer-Encoding,
 * conflicting or malformed Content-Length, a Transfer-Encoding whose last
 * coding is not chunked (requests) or that names an unknown coding, and
 * malformed or oversized chunk sizes. Limits give MP_ERR_LIMIT.
 *
 * Lenient cases: we accept
 * - bare LF (without CR) as the end of the request line, the status line,
 *   each field line and the blank line that ends a head, as mitmproxy and
 *   h11 do; the chunked framing of a body (chunk-size lines, the CRLF after
 *   chunk data, trailer lines) must use CRLF;
 * - empty lines before a request or status line (RFC 9112 section 2.2);
 * - a status line without a reason phrase ("HTTP/1.1 200");
 * - any byte but NUL, CR and LF in field values and reason phrases,
 *   latin-1 (0x80-0xff) included;
 * - identical repeated Content-Length values, as one list ("5, 5") or as
 *   several fields: RFC 9110 section 8.6 allows a recipient to treat them as
 *   one value, and mitmproxy accepts them as well;
 * - the codings gzip, deflate, compress and identity before a final chunked
 *   (and, in responses, without one: the body then runs until close).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http1.h"
#include "http/url.h"
#include "util/xmalloc.h"

#define INT63_MAX ((uint64_t)INT64_MAX)

void
http1_limits_default(struct http1_limits *l)
{
    l->max_line = 64 * 1024;
    l->max_head = 256 * 1024;
    l->max_headers = 1024;
    l->max_chunk_line = 4 * 1024;
}

/* RFC 9110 tchar as a bitmap: ! # $ % & ' * + - . ^ _ ` | ~ DIGIT ALPHA. */
static const uint32_t tchar_map[8] = {0x00000000, 0x03ff6cfa, 0xc7fffffe, 0x57ffffff, 0, 0, 0, 0};

static inline int
is_tchar(uint8_t c)
{
    return (tchar_map[c >> 5] >> (c & 31)) & 1;
}

static inline int
is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/*
 * Pass one: finds where the head ends. start is after any leading empty
 * lines. Returns the head's length from p (through the blank line), sets
 * *nfields, or returns MP_ERR_INCOMPLETE / MP_ERR_LIMIT.
 */
static ssize_t
find_head(const uint8_t *p, size_t len, size_t start, const struct http1_limits *lim,
          size_t *nfields, const char *what, struct err *e)
{
    const uint8_t *nl = memchr(p + start, '\n', len - start);
    size_t first = nl ? (size_t)(nl - (p + start)) : len - start;
    if (first > lim->max_line + (nl && first && nl[-1] == '\r'))
        return err_set(e, MP_ERR_LIMIT, "%s line too long (more than %zu bytes)", what,
                       lim->max_line);
    if (!nl)
        return MP_ERR_INCOMPLETE;
    size_t n = 0, off = (size_t)(nl - p) + 1;
    for (;;) {
        if (off - start > lim->max_head)
            return err_set(e, MP_ERR_LIMIT, "header section too large (more than %zu bytes)",
                           lim->max_head);
        if (off == len)
            return MP_ERR_INCOMPLETE;
        if (p[off] == '\n' || (p[off] == '\r' && off + 1 < len && p[off + 1] == '\n')) {
            off += p[off] == '\n' ? 1 : 2;
            if (off - start > lim->max_head)
                return err_set(e, MP_ERR_LIMIT, "header section too large (more than %zu bytes)",
                               lim->max_head);
            *nfields = n;
            return (ssize_t)off;
        }
        if (p[off] == '\r' && off + 1 == len)
            return MP_ERR_INCOMPLETE;
        if (++n > lim->max_headers)
            return err_set(e, MP_ERR_LIMIT, "too many header fields (more than %zu)",
                           lim->max_headers);
        nl = memchr(p + off, '\n', len - off);
        if (!nl) {
            if (len - start > lim->max_head)
                return err_set(e, MP_ERR_LIMIT, "header section too large (more than %zu bytes)",
                               lim->max_head);
            return MP_ERR_INCOMPLETE;
        }
        off = (size_t)(nl - p) + 1;
    }
}

/* Skips empty lines before the first line; returns their length or an error. */
static ssize_t
skip_empty_lines(const uint8_t *p, size_t len, const struct http1_limits *lim, struct err *e)
{
    size_t i = 0;
    while (i < len && (p[i] == '\n' || (p[i] == '\r' && (i + 1 == len || p[i + 1] == '\n')))) {
        if (p[i] == '\r' && i + 1 == len)
            break;
        i += p[i] == '\n' ? 1 : 2;
        if (i > lim->max_line)
            return err_set(e, MP_ERR_LIMIT, "too many empty lines before the start line");
    }
    return (ssize_t)i;
}

/*
 * Cuts the next line out of p[*off..end): returns its content (without the
 * line ending) and advances *off past the LF. The head is known complete.
 */
static struct slice
next_line(const uint8_t *p, size_t *off, size_t end)
{
    const uint8_t *s = p + *off;
    const uint8_t *nl = memchr(s, '\n', end - *off);
    size_t n = (size_t)(nl - s);
    *off += n + 1;
    if (n && s[n - 1] == '\r')
        n--;
    return slice_from(s, n);
}

/* Refuses NUL and bare CR in a line's content (its CRLF is already cut). */
static int
check_line_bytes(struct slice l, const char *what, struct err *e)
{
    if (memchr(l.p, '\r', l.len))
        return err_set(e, MP_ERR_PROTOCOL, "bare CR in %s", what);
    if (memchr(l.p, '\0', l.len))
        return err_set(e, MP_ERR_PROTOCOL, "NUL byte in %s", what);
    return 0;
}

/*
 * Validates one field line and appends it to h. Name bytes are kept exactly;
 * the value loses its surrounding OWS.
 */
static int
parse_field(struct slice l, struct hdrs *h, struct err *e)
{
    int rc = check_line_bytes(l, "header field", e);
    if (rc)
        return rc;
    if (l.len && is_ows(l.p[0]))
        return err_set(e, MP_ERR_PROTOCOL,
                       "obsolete line folding (field line starting with whitespace)");
    size_t i = 0;
    while (i < l.len && is_tchar(l.p[i]))
        i++;
    if (i == l.len)
        return err_set(e, MP_ERR_PROTOCOL, "header field without colon");
    if (l.p[i] != ':') {
        if (is_ows(l.p[i]))
            return err_set(e, MP_ERR_PROTOCOL, "whitespace between header field name and colon");
        return err_set(e, MP_ERR_PROTOCOL, "invalid character 0x%02x in header field name", l.p[i]);
    }
    if (i == 0)
        return err_set(e, MP_ERR_PROTOCOL, "empty header field name");
    size_t vs = i + 1, ve = l.len;
    while (vs < ve && is_ows(l.p[vs]))
        vs++;
    while (ve > vs && is_ows(l.p[ve - 1]))
        ve--;
    hdrs_add(h, slice_from(l.p, i), slice_from(l.p + vs, ve - vs));
    return 0;
}

/* Parses the field lines of a complete head into h (sized for n fields). */
static int
parse_fields(const uint8_t *p, size_t off, size_t end, size_t n, struct hdrs *h, struct err *e)
{
    if (n) {
        h->v = xmalloc(n * sizeof(*h->v));
        h->cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = parse_field(next_line(p, &off, end), h, e);
        if (rc)
            return rc;
    }
    return 0;
}

/* "HTTP/" DIGIT "." DIGIT */
static int
valid_version(const uint8_t *v, size_t n)
{
    return n == 8 && memcmp(v, "HTTP/", 5) == 0 && v[5] >= '0' && v[5] <= '9' && v[6] == '.' &&
           v[7] >= '0' && v[7] <= '9';
}

static char *
dup_slice(struct slice s)
{
    return slice_strdup(s);
}

/* Splits an absolute-form target into the request's scheme, host, port, path. */
static int
parse_absolute(struct slice t, struct http_request *r, struct err *e)
{
    const char *s = (const char *)t.p, *end = s + t.len;
    const char *sep = memmem(s, t.len, "://", 3);
    if (!sep)
        return err_set(e, MP_ERR_PROTOCOL,
                       "bad request target (not origin, absolute, "
                       "authority or asterisk form)");
    size_t slen = (size_t)(sep - s);
    const char *scheme;
    if (slen == 4 && strncasecmp(s, "http", 4) == 0)
        scheme = "http";
    else if (slen == 5 && strncasecmp(s, "https", 5) == 0)
        scheme = "https";
    else
        return err_set(e, MP_ERR_PROTOCOL, "unsupported URL scheme in request target");
    const char *a = sep + 3, *ae = a;
    while (ae < end && *ae != '/' && *ae != '?' && *ae != '#')
        ae++;
    struct slice host;
    int port;
    if (http_hostport_parse(a, (size_t)(ae - a), HTTP_HOSTPORT_STRICT, &host, &port, NULL) < 0)
        return err_set(e, MP_ERR_PROTOCOL, "bad host or port in request target");
    free(r->scheme);
    r->scheme = xstrdup(scheme);
    free(r->host);
    r->host = dup_slice(host);
    r->port = (uint16_t)(port > 0 ? port : http_default_port(scheme));
    free(r->path);
    if (ae == end) {
        r->path = xstrdup("/");
    } else if (*ae != '/') {
        /* "http://host?q" means path "/?q". */
        size_t n = (size_t)(end - ae);
        r->path = xmalloc(n + 2);
        r->path[0] = '/';
        memcpy(r->path + 1, ae, n);
        r->path[n + 1] = '\0';
    } else {
        r->path = dup_slice(slice_from(ae, (size_t)(end - ae)));
    }
    return 0;
}

static int
parse_request_line(struct slice l, struct http_request *r, enum http1_form *form, struct err *e)
{
    int rc = check_line_bytes(l, "request line", e);
    if (rc)
        return rc;
    size_t i = 0;
    while (i < l.len && is_tchar(l.p[i]))
        i++;
    if (i == 0 || i == l.len || l.p[i] != ' ')
        return err_set(e, MP_ERR_PROTOCOL, "bad request line: invalid method");
    struct slice method = slice_from(l.p, i);
    size_t ts = i + 1, te = ts;
    while (te < l.len && l.p[te] > 0x20 && l.p[te] != 0x7f)
        te++;
    if (te == ts || te == l.len || l.p[te] != ' ')
        return err_set(e, MP_ERR_PROTOCOL, "bad request line: invalid request target");
    struct slice target = slice_from(l.p + ts, te - ts);
    if (!valid_version(l.p + te + 1, l.len - te - 1))
        return err_set(e, MP_ERR_PROTOCOL, "bad request line: unknown HTTP version");
    r->http_version = dup_slice(slice_from(l.p + te + 1, 8));
    r->method = dup_slice(method);
    r->host = xstrdup("");
    r->scheme = xstrdup("");
    r->authority = xstrdup("");

    if (target.p[0] == '/') {
        *form = HTTP1_FORM_ORIGIN;
        r->path = dup_slice(target);
    } else if (target.len == 1 && target.p[0] == '*') {
        *form = HTTP1_FORM_ASTERISK;
        r->path = xstrdup("*");
    } else if (slice_eq(method, SLICE_STR("CONNECT"))) {
        *form = HTTP1_FORM_AUTHORITY;
        r->path = xstrdup("");
        struct slice host;
        int port;
        if (http_hostport_parse((const char *)target.p, target.len, HTTP_HOSTPORT_STRICT, &host,
                                &port, NULL) < 0 ||
            port < 0)
            return err_set(e, MP_ERR_PROTOCOL, "bad CONNECT target (need host:port)");
        free(r->host);
        r->host = dup_slice(host);
        r->port = (uint16_t)port;
        free(r->authority);
        r->authority = dup_slice(target);
    } else {
        *form = HTTP1_FORM_ABSOLUTE;
        r->path = xstrdup("");
        return parse_absolute(target, r, e);
    }
    return 0;
}

ssize_t
http1_parse_request_head(const uint8_t *p, size_t len, const struct http1_limits *lim,
                         struct http_request **out, enum http1_form *form, struct err *e)
{
    *out = NULL;
    ssize_t skip = skip_empty_lines(p, len, lim, e);
    if (skip < 0)
        return skip;
    size_t nfields;
    ssize_t end = find_head(p, len, (size_t)skip, lim, &nfields, "request", e);
    if (end < 0)
        return end;
    struct http_request *r = xcalloc(1, sizeof(*r));
    size_t off = (size_t)skip;
    enum http1_form f = HTTP1_FORM_ORIGIN;
    int rc = parse_request_line(next_line(p, &off, (size_t)end), r, &f, e);
    if (rc == 0)
        rc = parse_fields(p, off, (size_t)end, nfields, &r->headers, e);
    if (rc) {
        /* Fill what parse_request_line left NULL so the free is uniform. */
        char **fields[] = {&r->host,      &r->method, &r->scheme,
                           &r->authority, &r->path,   &r->http_version};
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            if (!*fields[i])
                *fields[i] = xstrdup("");
        http_request_free(r);
        return rc;
    }
    if (form)
        *form = f;
    *out = r;
    return end;
}

static int
parse_status_line(struct slice l, struct http_response *r, struct err *e)
{
    int rc = check_line_bytes(l, "status line", e);
    if (rc)
        return rc;
    if (l.len < 9 || !valid_version(l.p, 8) || l.p[8] != ' ')
        return err_set(e, MP_ERR_PROTOCOL, "bad status line: unknown HTTP version");
    const uint8_t *c = l.p + 9;
    if (l.len < 12 || c[0] < '1' || c[0] > '9' || c[1] < '0' || c[1] > '9' || c[2] < '0' ||
        c[2] > '9' || (l.len > 12 && l.p[12] != ' '))
        return err_set(e, MP_ERR_PROTOCOL, "bad status line: status code is not 3 digits");
    r->status_code = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
    r->http_version = dup_slice(slice_from(l.p, 8));
    r->reason = l.len > 13 ? dup_slice(slice_from(l.p + 13, l.len - 13)) : xstrdup("");
    return 0;
}

ssize_t
http1_parse_response_head(const uint8_t *p, size_t len, const struct http1_limits *lim,
                          struct http_response **out, struct err *e)
{
    *out = NULL;
    ssize_t skip = skip_empty_lines(p, len, lim, e);
    if (skip < 0)
        return skip;
    size_t nfields;
    ssize_t end = find_head(p, len, (size_t)skip, lim, &nfields, "status", e);
    if (end < 0)
        return end;
    struct http_response *r = xcalloc(1, sizeof(*r));
    size_t off = (size_t)skip;
    int rc = parse_status_line(next_line(p, &off, (size_t)end), r, e);
    if (rc == 0)
        rc = parse_fields(p, off, (size_t)end, nfields, &r->headers, e);
    if (rc) {
        if (!r->http_version)
            r->http_version = xstrdup("");
        if (!r->reason)
            r->reason = xstrdup("");
        http_response_free(r);
        return rc;
    }
    *out = r;
    return end;
}

/* Calls fn on each comma-separated, OWS-trimmed element of every field name. */
struct elem_iter {
    const struct hdrs *h;
    const char *name;
    int field;
    const char *p, *end;
};

static void
elem_begin(struct elem_iter *it, const struct hdrs *h, const char *name)
{
    it->h = h;
    it->name = name;
    it->field = hdrs_find(h, name, 0);
    it->p = it->end = NULL;
    if (it->field >= 0) {
        it->p = h->v[it->field].value;
        it->end = it->p + h->v[it->field].value_len;
    }
}

/* Returns 0 at the end; an empty field yields one empty element. */
static int
elem_next(struct elem_iter *it, struct slice *out)
{
    if (it->field < 0)
        return 0;
    const char *comma = memchr(it->p, ',', (size_t)(it->end - it->p));
    const char *s = it->p, *t = comma ? comma : it->end;
    while (s < t && is_ows((uint8_t)*s))
        s++;
    while (t > s && is_ows((uint8_t)t[-1]))
        t--;
    *out = slice_from(s, (size_t)(t - s));
    if (comma) {
        it->p = comma + 1;
    } else {
        it->field = hdrs_find(it->h, it->name, (size_t)it->field + 1);
        if (it->field >= 0) {
            it->p = it->h->v[it->field].value;
            it->end = it->p + it->h->v[it->field].value_len;
        }
    }
    return 1;
}

/*
 * Content-Length: every element of every field must be the same decimal
 * number below 2^63. Identical repeats are accepted (see "Lenient cases").
 */
static int
content_length(const struct hdrs *h, uint64_t *len, struct err *e)
{
    struct elem_iter it;
    struct slice v;
    int seen = 0;
    elem_begin(&it, h, "content-length");
    while (elem_next(&it, &v)) {
        if (v.len == 0)
            return err_set(e, MP_ERR_PROTOCOL, "invalid Content-Length (empty)");
        uint64_t n = 0;
        for (size_t i = 0; i < v.len; i++) {
            if (v.p[i] < '0' || v.p[i] > '9')
                return err_set(e, MP_ERR_PROTOCOL, "invalid Content-Length (not a number)");
            if (n > (INT63_MAX - (v.p[i] - '0')) / 10)
                return err_set(e, MP_ERR_PROTOCOL, "invalid Content-Length (too large)");
            n = n * 10 + (v.p[i] - '0');
        }
        if (seen && n != *len)
            return err_set(e, MP_ERR_PROTOCOL, "conflicting Content-Length values");
        *len = n;
        seen = 1;
    }
    return 0;
}

/*
 * Transfer-Encoding: sets *chunked when the final coding is chunked.
 * chunked anywhere else, an unknown coding or an empty element is refused.
 */
static int
transfer_encoding(const struct hdrs *h, int *chunked, struct err *e)
{
    static const char *const known[] = {"gzip",     "x-gzip",     "deflate",
                                        "compress", "x-compress", "identity"};
    struct elem_iter it;
    struct slice v;
    *chunked = 0;
    elem_begin(&it, h, "transfer-encoding");
    while (elem_next(&it, &v)) {
        if (*chunked)
            return err_set(e, MP_ERR_PROTOCOL,
                           "Transfer-Encoding: chunked is not the last "
                           "coding");
        if (slice_eq_cstr_nocase(v, "chunked")) {
            *chunked = 1;
            continue;
        }
        size_t i;
        for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            if (slice_eq_cstr_nocase(v, known[i]))
                break;
        if (i == sizeof(known) / sizeof(known[0]))
            return err_set(e, MP_ERR_PROTOCOL, "unknown Transfer-Encoding");
    }
    return 0;
}

/* The framing rules shared by requests and responses. */
static int
framing(const struct hdrs *h, int is_response, struct http1_body *b, struct err *e)
{
    int has_te = hdrs_find(h, "transfer-encoding", 0) >= 0;
    int has_cl = hdrs_find(h, "content-length", 0) >= 0;
    if (has_te && has_cl)
        return err_set(e, MP_ERR_PROTOCOL,
                       "both Transfer-Encoding and Content-Length "
                       "(refused as RFC 9112 section 6.3 recommends)");
    b->length = 0;
    if (has_te) {
        int chunked;
        int rc = transfer_encoding(h, &chunked, e);
        if (rc)
            return rc;
        if (chunked) {
            b->kind = HTTP1_BODY_CHUNKED;
            return 0;
        }
        if (!is_response)
            return err_set(e, MP_ERR_PROTOCOL,
                           "request Transfer-Encoding does not end in "
                           "chunked; body length cannot be determined");
        b->kind = HTTP1_BODY_UNTIL_CLOSE;
        return 0;
    }
    if (has_cl) {
        int rc = content_length(h, &b->length, e);
        if (rc)
            return rc;
        b->kind = HTTP1_BODY_LENGTH;
        return 0;
    }
    b->kind = is_response ? HTTP1_BODY_UNTIL_CLOSE : HTTP1_BODY_NONE;
    return 0;
}

int
http1_request_body(const struct http_request *r, struct http1_body *b, struct err *e)
{
    return framing(&r->headers, 0, b, e);
}

int
http1_response_body(const char *req_method, const struct http_response *r, struct http1_body *b,
                    struct err *e)
{
    int code = r->status_code;
    if ((req_method && strcasecmp(req_method, "HEAD") == 0) || (code >= 100 && code < 200) ||
        code == 204 || code == 304 ||
        (req_method && strcasecmp(req_method, "CONNECT") == 0 && code >= 200 && code < 300)) {
        b->kind = HTTP1_BODY_NONE;
        b->length = 0;
        return 0;
    }
    return framing(&r->headers, 1, b, e);
}

void
http1_body_reader_init(struct http1_body_reader *r, const struct http1_body *b,
                       const struct http1_limits *lim)
{
    *r = (struct http1_body_reader){.body = *b, .limits = lim, .chunk = HTTP1_CHUNK_SIZE};
    buf_init(&r->line);
    if (b->kind == HTTP1_BODY_LENGTH)
        r->remaining = b->length;
    r->done = b->kind == HTTP1_BODY_NONE || (b->kind == HTTP1_BODY_LENGTH && b->length == 0);
}

void
http1_body_reader_clear(struct http1_body_reader *r)
{
    buf_clear(&r->line);
    if (r->trailers) {
        hdrs_clear(r->trailers);
        free(r->trailers);
        r->trailers = NULL;
    }
}

struct hdrs *
http1_body_take_trailers(struct http1_body_reader *r)
{
    struct hdrs *t = r->trailers;
    r->trailers = NULL;
    return t;
}

/* Parses a chunk-size line without its CRLF: 1*HEXDIG [BWS ";" ext]. */
static int
parse_chunk_size(struct slice l, uint64_t *size, struct err *e)
{
    int rc = check_line_bytes(l, "chunk-size line", e);
    if (rc)
        return rc;
    uint64_t n = 0;
    size_t i = 0;
    for (; i < l.len; i++) {
        uint8_t c = l.p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            break;
        if (n > (INT63_MAX >> 4))
            return err_set(e, MP_ERR_PROTOCOL, "invalid chunk size (too large)");
        n = (n << 4) | d;
    }
    if (i == 0)
        return err_set(e, MP_ERR_PROTOCOL, "invalid chunk size (no hex digits)");
    size_t j = i;
    while (j < l.len && is_ows(l.p[j]))
        j++;
    if (j < l.len && l.p[j] != ';')
        return err_set(e, MP_ERR_PROTOCOL, "invalid chunk size (junk after the hex digits)");
    /* Chunk extensions are ignored; trailing OWS is allowed as h11 does. */
    *size = n;
    return 0;
}

/*
 * Collects one CRLF-terminated line of the chunked framing, either straight
 * from p (the common case: no copy) or through r->line when it is split.
 * Returns bytes taken from p; *line is set (content without CRLF) once a
 * whole line is there, else line->p is NULL. max bounds the line.
 */
static ssize_t
take_line(struct http1_body_reader *r, const uint8_t *p, size_t len, size_t max, const char *what,
          struct slice *line, struct err *e)
{
    const uint8_t *nl = memchr(p, '\n', len);
    size_t take = nl ? (size_t)(nl - p) + 1 : len;
    line->p = NULL;
    if (r->line.len + take > max + 2)
        return err_set(e, MP_ERR_LIMIT, "%s too long (more than %zu bytes)", what, max);
    if (!nl) {
        buf_append(&r->line, p, take);
        return (ssize_t)take;
    }
    struct slice l;
    if (r->line.len) {
        buf_append(&r->line, p, take);
        l = buf_slice(&r->line);
    } else {
        l = slice_from(p, take);
    }
    if (l.len < 2 || l.p[l.len - 2] != '\r')
        return err_set(e, MP_ERR_PROTOCOL, "%s not terminated by CRLF", what);
    *line = slice_from(l.p, l.len - 2);
    return (ssize_t)take;
}

/* Handles one complete trailer line (empty: the body ends). */
static int
trailer_line(struct http1_body_reader *r, struct slice l, struct err *e)
{
    if (l.len == 0) {
        r->chunk = HTTP1_CHUNK_DONE;
        r->done = 1;
        return 0;
    }
    if (!r->trailers) {
        r->trailers = xmalloc(sizeof(*r->trailers));
        hdrs_init(r->trailers);
    }
    if (r->trailers->n >= r->limits->max_headers)
        return err_set(e, MP_ERR_LIMIT, "too many trailer fields (more than %zu)",
                       r->limits->max_headers);
    return parse_field(l, r->trailers, e);
}

static ssize_t
read_chunked(struct http1_body_reader *r, const uint8_t *p, size_t len, struct buf *out,
             struct err *e)
{
    size_t i = 0;
    while (i < len && !r->done) {
        switch (r->chunk) {
        case HTTP1_CHUNK_SIZE:
        case HTTP1_CHUNK_TRAILERS: {
            int trailers = r->chunk == HTTP1_CHUNK_TRAILERS;
            size_t max = trailers ? r->limits->max_head : r->limits->max_chunk_line;
            if (trailers && r->remaining > max)
                return err_set(e, MP_ERR_LIMIT,
                               "trailer section too large (more than %zu "
                               "bytes)",
                               max);
            struct slice l;
            ssize_t n = take_line(r, p + i, len - i, trailers ? max - r->remaining : max,
                                  trailers ? "trailer section" : "chunk-size line", &l, e);
            if (n < 0)
                return n;
            i += (size_t)n;
            if (!l.p)
                break;
            int rc;
            if (trailers) {
                r->remaining += l.len + 2;
                rc = trailer_line(r, l, e);
            } else {
                uint64_t size = 0;
                rc = parse_chunk_size(l, &size, e);
                if (rc == 0) {
                    r->remaining = size;
                    r->chunk = size ? HTTP1_CHUNK_DATA : HTTP1_CHUNK_TRAILERS;
                }
            }
            buf_reset(&r->line);
            if (rc)
                return rc;
            break;
        }
        case HTTP1_CHUNK_DATA: {
            size_t n = len - i < r->remaining ? len - i : (size_t)r->remaining;
            buf_append(out, p + i, n);
            i += n;
            r->received += n;
            r->remaining -= n;
            if (r->remaining == 0) {
                r->chunk = HTTP1_CHUNK_DATA_CRLF;
                r->remaining = 2;
            }
            break;
        }
        case HTTP1_CHUNK_DATA_CRLF:
            if (p[i] != (r->remaining == 2 ? '\r' : '\n'))
                return err_set(e, MP_ERR_PROTOCOL, "chunk data not followed by CRLF");
            i++;
            if (--r->remaining == 0)
                r->chunk = HTTP1_CHUNK_SIZE;
            break;
        case HTTP1_CHUNK_DONE:
            r->done = 1;
            break;
        }
    }
    return (ssize_t)i;
}

ssize_t
http1_body_read(struct http1_body_reader *r, const uint8_t *p, size_t len, struct buf *out,
                struct err *e)
{
    if (r->done)
        return 0;
    switch (r->body.kind) {
    case HTTP1_BODY_NONE:
        r->done = 1;
        return 0;
    case HTTP1_BODY_LENGTH: {
        size_t n = len < r->remaining ? len : (size_t)r->remaining;
        buf_append(out, p, n);
        r->received += n;
        r->remaining -= n;
        r->done = r->remaining == 0;
        return (ssize_t)n;
    }
    case HTTP1_BODY_UNTIL_CLOSE:
        buf_append(out, p, len);
        r->received += len;
        return (ssize_t)len;
    case HTTP1_BODY_CHUNKED:
        return read_chunked(r, p, len, out, e);
    }
    return err_set(e, MP_ERR_INVAL, "bad body kind");
}

int
http1_body_eof(struct http1_body_reader *r, struct err *e)
{
    if (r->done)
        return 0;
    switch (r->body.kind) {
    case HTTP1_BODY_NONE:
    case HTTP1_BODY_UNTIL_CLOSE:
        r->done = 1;
        return 0;
    case HTTP1_BODY_LENGTH:
        /* h11's wording, which mitmproxy shows to users. */
        return err_set(e, MP_ERR_PROTOCOL,
                       "peer closed connection without sending complete message body "
                       "(received %llu bytes, expected %llu)",
                       (unsigned long long)r->received, (unsigned long long)r->body.length);
    case HTTP1_BODY_CHUNKED:
        break;
    }
    return err_set(e, MP_ERR_PROTOCOL,
                   "peer closed connection without sending complete "
                   "message body (incomplete chunked read)");
}

static void
write_fields(struct buf *out, const struct hdrs *h)
{
    for (size_t i = 0; h && i < h->n; i++) {
        const struct hdr *f = &h->v[i];
        buf_reserve(out, f->name_len + f->value_len + 4);
        buf_append(out, f->name, f->name_len);
        buf_append(out, ": ", 2);
        buf_append(out, f->value, f->value_len);
        buf_append(out, "\r\n", 2);
    }
}

void
http1_write_request_head(struct buf *out, const struct http_request *r, enum http1_form form)
{
    buf_append_str(out, r->method);
    buf_append(out, " ", 1);
    switch (form) {
    case HTTP1_FORM_ORIGIN:
    case HTTP1_FORM_ASTERISK:
        /* An empty path would make an invalid request line. */
        buf_append_str(out, r->path[0] ? r->path : form == HTTP1_FORM_ORIGIN ? "/" : "*");
        break;
    case HTTP1_FORM_ABSOLUTE:
        buf_append_str(out, r->scheme);
        buf_append(out, "://", 3);
        if (r->authority[0])
            buf_append_str(out, r->authority);
        else
            http_hostport_write(out, r->scheme, r->host, r->port, 0);
        buf_append_str(out, r->path[0] ? r->path : "/");
        break;
    case HTTP1_FORM_AUTHORITY:
        if (r->authority[0])
            buf_append_str(out, r->authority);
        else
            http_hostport_write(out, "", r->host, r->port, 1);
        break;
    }
    buf_append(out, " ", 1);
    buf_append_str(out, r->http_version[0] ? r->http_version : "HTTP/1.1");
    buf_append(out, "\r\n", 2);
    write_fields(out, &r->headers);
    buf_append(out, "\r\n", 2);
}

void
http1_write_response_head(struct buf *out, const struct http_response *r)
{
    /* A response that came over HTTP/2 goes out as HTTP/1.1 with the standard
     * reason phrase (HTTP/2 has none), as mitmproxy's Http1Server does. */
    int h2 = strncmp(r->http_version, "HTTP/2", 6) == 0;
    const char *version = r->http_version[0] && !h2 ? r->http_version : "HTTP/1.1";
    buf_printf(out, "%s %03d ", version, r->status_code);
    buf_append_str(out, h2 && r->reason[0] == '\0' ? http_status_reason(r->status_code) : r->reason);
    buf_append(out, "\r\n", 2);
    write_fields(out, &r->headers);
    buf_append(out, "\r\n", 2);
}

void
http1_write_chunk(struct buf *out, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    http1_write_chunk_size(out, n);
    buf_append(out, p, n);
    http1_write_chunk_end(out);
}

void
http1_write_chunk_size(struct buf *out, size_t n)
{
    buf_printf(out, "%zx\r\n", n);
}

void
http1_write_chunk_end(struct buf *out)
{
    buf_append(out, "\r\n", 2);
}

void
http1_write_last_chunk(struct buf *out, const struct hdrs *trailers)
{
    buf_append(out, "0\r\n", 3);
    write_fields(out, trailers);
    buf_append(out, "\r\n", 2);
}

int
http1_keep_alive(const char *http_version, const struct hdrs *h)
{
    /* mitmproxy's connection_close(): explicit tokens win, then the version. */
    if (hdrs_has_token(h, "connection", "close"))
        return 0;
    if (hdrs_has_token(h, "connection", "keep-alive"))
        return 1;
    return strcmp(http_version, "HTTP/1.1") == 0 || strcmp(http_version, "HTTP/2.0") == 0;
}

int
http1_expects_continue(const struct http_request *r)
{
    const struct hdr *h = hdrs_get(&r->headers, "expect");
    return h && strcasecmp(h->value, "100-continue") == 0 &&
           strcmp(r->http_version, "HTTP/1.0") != 0;
}
