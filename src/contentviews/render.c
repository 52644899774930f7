/*
 * The registry built from CV_VIEW_MAP and the render that drives a view:
 * Auto's choice, the fall back to Raw when a view cannot show a body, and
 * the line and work limits of each step. The message helpers do what
 * 8.1.1's get_message_content_view does before a view sees the bytes.
 */
#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contentviews/internal.h"
#include "contentviews/jsondoc.h"
#include "http/encoding.h"
#include "http/headers.h"
#include "http/message.h"
#include "util/xmalloc.h"

static const char *const view_names[] = {
#define X(id, name, file) name,
    CV_VIEW_MAP(X)
#undef X
};

static int (*const renders[])(struct cv_render *) = {
#define X(id, name, file) cv__##file##_render,
    CV_VIEW_MAP(X)
#undef X
};

static int (*const priorities[])(struct cv_render *) = {
#define X(id, name, file) cv__##file##_priority,
    CV_VIEW_MAP(X)
#undef X
};

static const char *const style_names[] = {
#define X(id, name) name,
    CV_STYLE_MAP(X)
#undef X
};

const char *
cv_style_name(enum cv_style s)
{
    return (unsigned)s < CV_STYLE__COUNT ? style_names[s] : "text";
}

const char *
cv_view_name(enum cv_view v)
{
    return (unsigned)v < CV_VIEW__COUNT ? view_names[v] : cv__ext_name((int)v);
}

int
cv_view_find(const char *name)
{
    for (int i = 0; name && i < CV_VIEW__COUNT; i++)
        if (strcasecmp(view_names[i], name) == 0)
            return i;
    return cv__ext_find(name);
}

int
cv__priority(struct cv_render *r, enum cv_view v)
{
    return priorities[v](r);
}

int
cv__render_view(struct cv_render *r)
{
    return r->view < CV_VIEW__COUNT ? renders[r->view](r) : cv__ext_render(r);
}

int
cv__json_depth(const struct cv_render *r, int in_priority)
{
    if (in_priority)
        return 965;
    return r->requested == CV_VIEW_AUTO ? 966 : 968;
}

double
cv_view_priority(enum cv_view v, const uint8_t *p, size_t n, const struct cv_meta *m)
{
    if (cv_view_name(v) == NULL || v == CV_VIEW_AUTO)
        return v == CV_VIEW_AUTO ? -1 : 0;
    struct buf body = BUF_INIT;
    buf_append(&body, p, n);
    /* A render asked for Raw, so that no external view is asked for lines. */
    struct cv_render *r = cv_render_new(CV_VIEW_RAW, &body, m);
    int rating;
    if (v >= CV_VIEW__COUNT) {
        rating = cv__ext_priority(r, v, m);
    } else {
        r->budget = SIZE_MAX;
        while ((rating = cv__priority(r, v)) == CV__PENDING)
            r->budget = SIZE_MAX;
    }
    cv_render_free(r);
    return rating == CV__FAIL ? 0 : rating / 10.0;
}

void
cv__set_desc(struct cv_render *r, const char *desc)
{
    if (r->desc_prefix[0])
        snprintf(r->desc, sizeof(r->desc), "%s %s", r->desc_prefix, desc);
    else
        snprintf(r->desc, sizeof(r->desc), "%s", desc);
    r->have_desc = 1;
}

void
cv__set_state(struct cv_render *r, void *s, void (*fn)(void *))
{
    if (r->state_free)
        r->state_free(r->state);
    r->state = s;
    r->state_free = fn;
}

struct cv_render *
cv_render_new(enum cv_view view, struct buf *body, const struct cv_meta *m)
{
    struct cv_render *r = xcalloc(1, sizeof(*r));
    r->requested = r->view = cv_view_name(view) ? view : CV_VIEW_AUTO;
    buf_move(&r->body, body);
    if (m && m->content_type)
        r->ctype = xstrdup(m->content_type);
    if (m && m->request) {
        /* Request.query: urlparse(url).query, the text between the first "?"
         * and the fragment. (urlsplit drops tabs and line breaks first.) */
        struct buf q = BUF_INIT;
        const char *path = m->request->path;
        size_t n = strcspn(path, "#");
        const char *qm = memchr(path, '?', n);
        if (qm) {
            for (const char *c = qm + 1; c < path + n; c++)
                if (*c != '\t' && *c != '\r' && *c != '\n')
                    buf_append(&q, c, 1);
        }
        r->query = buf_strdup(&q);
        buf_clear(&q);
    }
    if (m && m->headers) {
        const struct hdr *h = hdrs_get(m->headers, "grpc-encoding");
        if (h)
            r->grpc_encoding = xstrdup(h->value);
    }
    cv__ext_prepare(r, m);
    return r;
}

/* 8.1.1 shows "content missing" for a body it never read. */
static struct cv_render *
missing_render(void)
{
    struct buf empty = BUF_INIT;
    struct cv_render *r = cv_render_new(CV_VIEW_RAW, &empty, NULL);
    r->missing = 1;
    r->have_desc = 1;
    return r;
}

/* Headers.get(): the values of every field named name joined by ", ". */
static char *
header_joined(const struct hdrs *h, const char *name)
{
    struct buf b = BUF_INIT;
    int any = 0;
    for (int i = hdrs_find(h, name, 0); i >= 0; i = hdrs_find(h, name, (size_t)i + 1)) {
        if (any)
            buf_append_str(&b, ", ");
        buf_append(&b, h->v[i].value, h->v[i].value_len);
        any = 1;
    }
    char *s = any ? buf_strdup(&b) : NULL;
    buf_clear(&b);
    return s;
}

char *
cv_content_type(const char *value, size_t len)
{
    size_t end = 0;
    while (end < len && value[end] != ';')
        end++;
    const char *slash = memchr(value, '/', end);
    if (slash == NULL)
        return NULL;
    char *s = xstrndup(value, end);
    for (char *c = s; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return s;
}

static struct cv_render *
message(const char *view_name, const struct flow *f, const struct http_request *rq,
        const struct http_response *rs, int borrow)
{
    const struct hdrs *h = rq ? &rq->headers : &rs->headers;
    const struct buf *raw = rq ? &rq->content : &rs->content;
    if (rq ? rq->content_none : rs->content_none)
        return missing_render();

    /* Message.content: decoded per Content-Encoding. 8.1.1 knows one coding
     * per message (a list like "gzip, br" does not decode there). */
    struct buf body = BUF_INIT;
    int lent = 0;
    char prefix[64] = "";
    char *ce = header_joined(h, "content-encoding");
    if (ce && *ce) {
        struct err e = {0};
        int ok = strchr(ce, ',') == NULL;
        if (ok && strcasecmp(ce, "none") != 0)
            ok = enc_decoded_content(h, raw, &body, &e) == 0;
        else if (ok)
            buf_append(&body, buf_ptr(raw), raw->len);
        if (!ok) {
            buf_reset(&body);
            buf_append(&body, buf_ptr(raw), raw->len);
            snprintf(prefix, sizeof(prefix), "[cannot decode]");
        } else if (body.len != raw->len || memcmp(buf_ptr(&body), buf_ptr(raw), raw->len) != 0) {
            snprintf(prefix, sizeof(prefix), "[decoded %.40s]", ce);
        }
    } else if (borrow) {
        /* Read where it is: no copy of a 100 MB body on the UI's thread. The
         * render takes it as its own (a script's view reads it while the
         * render is made) and is marked so that it never frees it. */
        body = (struct buf){(uint8_t *)buf_ptr(raw), 0, raw->len, raw->len};
        lent = 1;
    } else {
        buf_append(&body, buf_ptr(raw), raw->len);
    }
    free(ce);

    char *ct = header_joined(h, "content-type");
    char *ctype = ct && *ct ? cv_content_type(ct, strlen(ct)) : NULL;
    free(ct);
    struct cv_meta m = {.content_type = ctype, .request = rq, .headers = h, .flow = f};
    int v = cv_view_find(view_name);
    struct cv_render *r = cv_render_new(v < 0 ? CV_VIEW_AUTO : (enum cv_view)v, &body, &m);
    snprintf(r->desc_prefix, sizeof(r->desc_prefix), "%s", prefix);
    r->borrowed = lent;
    free(ctype);
    return r;
}

struct cv_render *
cv_render_message(const char *view_name, const struct flow *f, const struct http_request *rq,
                  const struct http_response *rs)
{
    return message(view_name, f, rq, rs, 0);
}

struct cv_render *
cv_render_message_borrowed(const char *view_name, const struct flow *f,
                           const struct http_request *rq, const struct http_response *rs)
{
    return message(view_name, f, rq, rs, 1);
}

struct cv_render *
cv_render_bytes(const char *view_name, const struct flow *f, const uint8_t *p, size_t n)
{
    struct buf body = BUF_INIT;
    buf_append(&body, p, n);
    struct cv_meta m = {.flow = f};
    int v = cv_view_find(view_name);
    return cv_render_new(v < 0 ? CV_VIEW_AUTO : (enum cv_view)v, &body, &m);
}

struct cv_render *
cv_render_bytes_borrowed(const char *view_name, const struct flow *f, const uint8_t *p, size_t n)
{
    /* The render takes it as its own and is marked so that it never frees it. */
    struct buf body = {(uint8_t *)p, 0, n, n};
    struct cv_meta m = {.flow = f};
    int v = cv_view_find(view_name);
    struct cv_render *r = cv_render_new(v < 0 ? CV_VIEW_AUTO : (enum cv_view)v, &body, &m);
    r->borrowed = 1;
    return r;
}

/* get_content_view's except branch: the view's lines are replaced by Raw's. */
static void
fall_back(struct cv_render *r)
{
    if (r->error == NULL) {
        const char *name = cv_view_name(r->view) ? cv_view_name(r->view) : "?";
        size_t n = strlen(name) + 48;
        r->error = xmalloc(n);
        snprintf(r->error, n, "%s content viewer could not show the body", name);
    }
    cv__set_state(r, NULL, NULL);
    r->view = CV_VIEW_RAW;
    cv__set_desc(r, "Couldn't parse: falling back to Raw");
}

int
cv_render_step(struct cv_render *r, struct cv_lines *out, size_t max_lines, size_t budget)
{
    if (r->done)
        return 0;
    r->out = out;
    r->stop_at = max_lines ? out->n + max_lines : SIZE_MAX;
    r->budget = budget ? budget : SIZE_MAX;
    if (!cv__room(r))
        return 1;
    if (r->missing) {
        cv__line(out);
        cv__tok_plain(out, CV_STYLE_ERROR, "content missing", 15);
        r->done = 1;
        return 0;
    }
    size_t first = out->n;
    int rc;
    for (;;) {
        rc = cv__render_view(r);
        if (rc != CV__FAIL)
            break;
        /* A view decides before its first line whether it can show the body. */
        assert(out->n == first && r->view != CV_VIEW_RAW);
        fall_back(r);
    }
    if (rc == CV__DONE) {
        r->done = 1;
        cv__set_state(r, NULL, NULL);
    }
    return !r->done;
}

void
cv_render_all(struct cv_render *r, struct cv_lines *out, size_t max_lines)
{
    size_t stop = max_lines ? out->n + max_lines : SIZE_MAX;
    while (out->n < stop && cv_render_step(r, out, stop == SIZE_MAX ? 0 : stop - out->n, 0))
        ;
}

size_t
cv_render_budget_left(const struct cv_render *r)
{
    return r->budget;
}

const char *
cv_render_description(const struct cv_render *r)
{
    return r->have_desc ? r->desc : NULL;
}

enum cv_view
cv_render_view(const struct cv_render *r)
{
    return r->view;
}

const char *
cv_render_error(const struct cv_render *r)
{
    return r->error;
}

void
cv_render_free(struct cv_render *r)
{
    if (r == NULL)
        return;
    cv__set_state(r, NULL, NULL);
    cv__json_free(r->json);
    cv__ext_free(r);
    if (!r->borrowed)
        buf_clear(&r->body);
    free(r->ctype);
    free(r->query);
    free(r->grpc_encoding);
    free(r->error);
    free(r);
}
