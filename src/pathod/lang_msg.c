/*
 * Messages as token lists: building, lookup, freeing, and the accessors the
 * pathod server and pathoc client read.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/message.h"
#include "pathod/internal.h"
#include "util/xmalloc.h"

/* pathod's user-agent shortcuts (mitmproxy.net.http.user_agents). */
const char *const pathod_ua_names[10] = {
    "android",   "blackberry", "bingbot", "chrome", "firefox",
    "googlebot", "ie9",        "ipad",    "iphone", "safari",
};

const char *const pathod_ua_strings[10] = {
    "Mozilla/5.0 (Linux; U; Android 4.1.1; en-gb; Nexus 7 Build/JRO03D) AFL/01.04.02",
    "Mozilla/5.0 (BlackBerry; U; BlackBerry 9900; en) AppleWebKit/534.11+ (KHTML, like Gecko) "
    "Version/7.1.0.346 Mobile Safari/534.11+",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.1 (KHTML, like Gecko) "
    "Chrome/22.0.1207.1 Safari/537.1",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:14.0) Gecko/20120405 Firefox/14.0a1",
    "Googlebot/2.1 (+http://www.googlebot.com/bot.html)",
    "Mozilla/5.0 (Windows; U; MSIE 9.0; WIndows NT 9.0; en-US)",
    "Mozilla/5.0 (iPad; CPU OS 5_1 like Mac OS X) AppleWebKit/534.46 (KHTML, like Gecko) "
    "Version/5.1 Mobile/9B176 Safari/7534.48.3",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 4_2_1 like Mac OS X) AppleWebKit/533.17.9 (KHTML, like "
    "Gecko) Version/5.0.2 Mobile/8C148a Safari/6533.18.5",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_3) AppleWebKit/534.55.3 (KHTML, like Gecko) "
    "Version/5.1.3 Safari/534.53.10",
};

const char *const pathod_methods[8] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT",
};

const char *const pathod_opcode_names[6] = {"continue", "text", "binary", "close", "ping", "pong"};
const int pathod_opcode_values[6] = {0, 1, 2, 8, 9, 10};

const char *
pathod_reason(int code)
{
    const char *s = http_status_reason(code);
    return s && *s ? s : "Unknown code";
}

struct pmsg *
pmsg_new(enum pathod_kind kind)
{
    struct pmsg *m = xcalloc(1, sizeof(*m));
    m->kind = kind;
    return m;
}

void
pmsg_free(struct pmsg *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        pval_free(&m->t[i].key);
        pval_free(&m->t[i].val);
        pmsg_free(m->t[i].nested);
    }
    free(m->t);
    free(m);
}

struct ptok *
pmsg_insert(struct pmsg *m, size_t at, enum ptok_type type)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->t = xrealloc(m->t, m->cap * sizeof(*m->t));
    }
    memmove(m->t + at + 1, m->t + at, (m->n - at) * sizeof(*m->t));
    m->n++;
    struct ptok *t = &m->t[at];
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->ua = t->method = t->name = -1;
    t->on = 1;
    pval_init(&t->key);
    pval_init(&t->val);
    return t;
}

struct ptok *
pmsg_add(struct pmsg *m, enum ptok_type type)
{
    return pmsg_insert(m, m->n, type);
}

const struct ptok *
pmsg_find(const struct pmsg *m, enum ptok_type type)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->t[i].type == type)
            return &m->t[i];
    return NULL;
}

static const char *
shortcut_name(char hkind)
{
    switch (hkind) {
    case 'c':
        return "Content-Type";
    case 'l':
        return "Location";
    case 'u':
        return "User-Agent";
    default:
        return NULL;
    }
}

const char *
ptok_ua_string(const struct ptok *t)
{
    return t->hkind == 'u' && t->ua >= 0 ? pathod_ua_strings[t->ua] : NULL;
}

void
ptok_header_name(const struct ptok *t, struct buf *out, size_t max)
{
    const char *s = shortcut_name(t->hkind);
    if (s)
        buf_append(out, s, strlen(s) < max ? strlen(s) : max);
    else
        pval_append(&t->key, out, max);
}

void
ptok_header_value(const struct ptok *t, struct buf *out, size_t max)
{
    const char *ua = ptok_ua_string(t);
    if (ua)
        buf_append(out, ua, strlen(ua) < max ? strlen(ua) : max);
    else
        pval_append(&t->val, out, max);
}

/*
 * Header names are compared on their bytes; a generated name longer than
 * the one sought cannot match, so only short values are materialised.
 */
const struct ptok *
pmsg_header(const struct pmsg *m, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < m->n; i++) {
        const struct ptok *t = &m->t[i];
        if (t->type != T_HEADER)
            continue;
        if (t->hkind == 'h' && pval_len(&t->key) != n)
            continue;
        struct buf b = BUF_INIT;
        ptok_header_name(t, &b, n + 1);
        int eq = b.len == n && strncasecmp((const char *)buf_ptr(&b), name, n) == 0;
        buf_clear(&b);
        if (eq)
            return t;
    }
    return NULL;
}

/* Public wrappers: the three message types share one representation. */

static struct pmsg *
parse_kind(enum pathod_kind kind, const char *spec, struct err *e)
{
    return pathod_parse_msg(kind, spec, strlen(spec), e);
}

struct pathod_response *
pathod_response_parse(const char *spec, struct err *e)
{
    return (struct pathod_response *)parse_kind(PATHOD_RESPONSE, spec, e);
}

struct pathod_request *
pathod_request_parse(const char *spec, struct err *e)
{
    return (struct pathod_request *)parse_kind(PATHOD_REQUEST, spec, e);
}

struct pathod_frame *
pathod_frame_parse(const char *spec, struct err *e)
{
    return (struct pathod_frame *)parse_kind(PATHOD_FRAME, spec, e);
}

void
pathod_response_free(struct pathod_response *r)
{
    pmsg_free(r ? &r->m : NULL);
}

void
pathod_request_free(struct pathod_request *r)
{
    pmsg_free(r ? &r->m : NULL);
}

void
pathod_frame_free(struct pathod_frame *f)
{
    pmsg_free(f ? &f->m : NULL);
}

void
pathod_list_free(struct pathod_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        pathod_request_free(l->items[i].req);
        pathod_response_free(l->items[i].resp);
        pathod_frame_free(l->items[i].frame);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int
pathod_response_resolve(struct pathod_response *r, const struct pathod_settings *s, struct err *e)
{
    return pmsg_resolve(&r->m, s, 0, e);
}

int
pathod_request_resolve(struct pathod_request *r, const struct pathod_settings *s, struct err *e)
{
    return pmsg_resolve(&r->m, s, 0, e);
}

int
pathod_frame_resolve(struct pathod_frame *f, const struct pathod_settings *s, struct err *e)
{
    return pmsg_resolve(&f->m, s, 0, e);
}

void
pathod_response_spec(const struct pathod_response *r, struct buf *out)
{
    pmsg_spec(&r->m, out);
}

void
pathod_request_spec(const struct pathod_request *r, struct buf *out)
{
    pmsg_spec(&r->m, out);
}

void
pathod_frame_spec(const struct pathod_frame *f, struct buf *out)
{
    pmsg_spec(&f->m, out);
}

struct pathod_render *
pathod_response_render(const struct pathod_response *r)
{
    return pmsg_render(&r->m);
}

struct pathod_render *
pathod_request_render(const struct pathod_request *r)
{
    return pmsg_render(&r->m);
}

struct pathod_render *
pathod_frame_render(const struct pathod_frame *f)
{
    return pmsg_render(&f->m);
}

/* Accessors. */

int
pathod_response_code(const struct pathod_response *r)
{
    const struct ptok *t = pmsg_find(&r->m, T_CODE);
    return t ? (int)t->num : 0;
}

int
pathod_response_is_ws(const struct pathod_response *r)
{
    return pmsg_find(&r->m, T_WS) != NULL;
}

void
pathod_response_reason(const struct pathod_response *r, struct buf *out, size_t max)
{
    const struct ptok *t = pmsg_find(&r->m, T_REASON);
    if (t) {
        pval_append(&t->val, out, max);
        return;
    }
    const char *s = pathod_reason(pathod_response_code(r));
    buf_append(out, s, strlen(s) < max ? strlen(s) : max);
}

uint64_t
pathod_response_body_length(const struct pathod_response *r)
{
    const struct ptok *t = pmsg_find(&r->m, T_BODY);
    return t ? pval_len(&t->val) : 0;
}

void
pathod_request_method(const struct pathod_request *r, struct buf *out, size_t max)
{
    const struct ptok *t = pmsg_find(&r->m, T_METHOD);
    const char *s = !t ? "GET" : t->method >= 0 ? pathod_methods[t->method] : NULL;
    if (s)
        buf_append(out, s, strlen(s) < max ? strlen(s) : max);
    else
        pval_append(&t->val, out, max);
}

void
pathod_request_path(const struct pathod_request *r, struct buf *out, size_t max)
{
    const struct ptok *t = pmsg_find(&r->m, T_PATH);
    size_t start = out->len;
    if (t)
        pval_append(&t->val, out, max);
    const struct ptok *nt = pmsg_find(&r->m, T_NESTED);
    if (nt && out->len - start < max)
        pval_append(&nt->val, out, max - (out->len - start));
}

int
pathod_request_is_ws(const struct pathod_request *r)
{
    return pmsg_find(&r->m, T_WS) != NULL;
}

uint64_t
pathod_request_body_length(const struct pathod_request *r)
{
    const struct ptok *t = pmsg_find(&r->m, T_BODY);
    return t ? pval_len(&t->val) : 0;
}

uint64_t
pathod_request_times(const struct pathod_request *r)
{
    const struct ptok *t = pmsg_find(&r->m, T_TIMES);
    return t ? t->num : 1;
}

uint64_t
pathod_frame_times(const struct pathod_frame *f)
{
    const struct ptok *t = pmsg_find(&f->m, T_TIMES);
    return t ? t->num : 1;
}

int
pathod_frame_opcode(const struct pathod_frame *f)
{
    const struct ptok *t = pmsg_find(&f->m, T_OPCODE);
    return t ? (int)t->num : 1;
}

uint64_t
pathod_frame_payload_length(const struct pathod_frame *f)
{
    const struct ptok *t = pmsg_find(&f->m, T_LENGTH);
    if (t)
        return t->num;
    t = pmsg_find(&f->m, T_BODY);
    if (!t)
        t = pmsg_find(&f->m, T_RAWBODY);
    return t ? pval_len(&t->val) : 0;
}

static const struct ptok *
nth_header(const struct pmsg *m, size_t i)
{
    for (size_t k = 0; k < m->n; k++)
        if (m->t[k].type == T_HEADER && i-- == 0)
            return &m->t[k];
    return NULL;
}

static size_t
header_count(const struct pmsg *m)
{
    size_t n = 0;
    for (size_t k = 0; k < m->n; k++)
        n += m->t[k].type == T_HEADER;
    return n;
}

size_t
pathod_response_header_count(const struct pathod_response *r)
{
    return header_count(&r->m);
}

void
pathod_response_header(const struct pathod_response *r, size_t i, struct buf *name,
                       struct buf *value, size_t max)
{
    const struct ptok *t = nth_header(&r->m, i);
    if (t) {
        ptok_header_name(t, name, max);
        ptok_header_value(t, value, max);
    }
}

size_t
pathod_request_header_count(const struct pathod_request *r)
{
    return header_count(&r->m);
}

void
pathod_request_header(const struct pathod_request *r, size_t i, struct buf *name, struct buf *value,
                      size_t max)
{
    const struct ptok *t = nth_header(&r->m, i);
    if (t) {
        ptok_header_name(t, name, max);
        ptok_header_value(t, value, max);
    }
}
