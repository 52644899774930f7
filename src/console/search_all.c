/*
 * Searching every flow (console.search.all, s on the flow list; mitmproxy
 * #2088 asks for it, 8.1.1 has nothing like it): a filter expression, or
 * plain text looked for in URLs, headers and bodies, is run over the whole
 * store (store_scan, the store's own parallel matching), and the hits
 * are listed one per flow with the text that matched in its context.
 * Enter opens the flow at the hit: its tab, the line scrolled to.
 *
 * The search runs in slices on the loop (store_scan, a few milliseconds of
 * matching per loop turn, the rows of each step matched in parallel on
 * the store's workers), so keys are answered while it runs: the hits come
 * in as they are found, the screen says how far it has got, and esc stops
 * it (as does leaving the result screen). Without a terminal (tests) it
 * runs to its end at once.
 *
 * The result list is a snapshot of the hits' ids, taken when the search
 * ran; a flow gone since then shows as gone. The context is made only for
 * the rows shown (the flow read back from the store, the patterns run over
 * its parts), so a million hits cost their ids and a screenful of work.
 *
 * The command only says what will be searched; the first slice runs
 * after that has been painted (console__search_all_poll, from the redraw).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "console/internal.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "store/scan.h"
#include "http/encoding.h"
#include "http/headers.h"
#include "http/message.h"
#include "util/clock.h"
#include "util/json_parse.h"
#include "util/pyre.h"
#include "util/uuid.h"
#include "util/xmalloc.h"

/* Where in a flow a match was found: the flow view's tab follows. */
enum part { PART_URL, PART_REQ_HEADERS, PART_REQ_BODY, PART_RESP_HEADERS, PART_RESP_BODY, PART__N };

static const char *const part_names[] = {"url", "request header", "request body", "response header",
                                         "response body"};

#define ANY_PART ((1u << PART__N) - 1)

/* Bytes of context shown before a match, and at most after its start. */
#define CONTEXT_BEFORE 40
#define CONTEXT_AFTER 160
/* Rows of context kept, keyed by hit index. */
#define CACHE_SLOTS 256
/* The matching a slice does before the loop reads keys again, and what
 * one step of it aims at (the rows of a step follow the last step's pace). */
#define SLICE_MS 8.0
#define STEP_MS 2.0
#define STEP_FIRST 32
#define STEP_MIN 4
#define STEP_MAX 65536

struct pattern {
    pcre2_code *re;
    unsigned parts; /* 1 << enum part: where the operator looks */
};

struct context {
    size_t hit; /* SIZE_MAX: empty */
    int gone;   /* the flow left the store */
    int part;   /* -1: no text matched (the filter matched on something else) */
    char *method, *url;
    char *text;          /* the context, one line */
    size_t mstart, mlen; /* the match inside text */
    char *match;         /* the matched bytes, for the flow view's search */
};

struct search_all {
    char *term;   /* as typed */
    char *filter; /* the filter run */
    struct pattern *pat;
    size_t npat;
    char (*ids)[UUID_STR_LEN]; /* the hits, in store order */
    size_t n, cap;
    size_t searched;         /* flows in the store when it began */
    struct store_scan *scan; /* owned; NULL once done or stopped */
    size_t step;             /* rows per step */
    int stopped;             /* esc stopped it before its end */
    long focus, top;
    double ms; /* how long the search took, its slices added up */
    struct context cache[CACHE_SLOTS];
};

static void
context_clear(struct context *x)
{
    free(x->method);
    free(x->url);
    free(x->text);
    free(x->match);
    memset(x, 0, sizeof(*x));
    x->hit = SIZE_MAX;
}

void
console__search_all_free(struct search_all *sa)
{
    if (sa == NULL)
        return;
    for (size_t i = 0; i < sa->npat; i++)
        pcre2_code_free(sa->pat[i].re);
    free(sa->pat);
    for (int i = 0; i < CACHE_SLOTS; i++)
        context_clear(&sa->cache[i]);
    store_scan_free(sa->scan);
    free(sa->ids);
    free(sa->term);
    free(sa->filter);
    free(sa);
}

/* ---- what to search for ------------------------------------------------------ */

static void
add_pattern(struct search_all *sa, const char *re, size_t n, unsigned parts)
{
    pcre2_code *code = pyre_compile(re, n, PYRE_IGNORECASE, NULL, NULL);
    if (code == NULL)
        return;
    sa->pat = xrealloc(sa->pat, (sa->npat + 1) * sizeof(*sa->pat));
    sa->pat[sa->npat++] = (struct pattern){code, parts};
}

/* The parts an operator's regex is about; 0 for those whose text is
 * nowhere in what the list shows (a marker, a comment, an address). */
static unsigned
op_parts(const char *op)
{
    static const struct {
        const char *op;
        unsigned parts;
    } t[] = {
        {"~u", 1u << PART_URL},
        {"~d", 1u << PART_URL},
        {"~h", 1u << PART_REQ_HEADERS | 1u << PART_RESP_HEADERS},
        {"~hq", 1u << PART_REQ_HEADERS},
        {"~hs", 1u << PART_RESP_HEADERS},
        {"~b", 1u << PART_REQ_BODY | 1u << PART_RESP_BODY},
        {"~bq", 1u << PART_REQ_BODY},
        {"~bs", 1u << PART_RESP_BODY},
        {"~t", 1u << PART_REQ_HEADERS | 1u << PART_RESP_HEADERS},
        {"~tq", 1u << PART_REQ_HEADERS},
        {"~ts", 1u << PART_RESP_HEADERS},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(op, t[i].op) == 0)
            return t[i].parts;
    return 0;
}

/* The regexes of the filter's operators, except under a "not" (what
 * matched there is an absence). */
static void
collect(struct search_all *sa, const struct jv *v)
{
    if (v->type == JV_ARRAY) {
        for (size_t i = 0; i < v->u.arr.n; i++)
            collect(sa, &v->u.arr.v[i]);
        return;
    }
    if (v->type != JV_OBJECT || jv_get(v, "not"))
        return;
    const struct jv *sub = jv_get(v, "and");
    if (sub == NULL)
        sub = jv_get(v, "or");
    if (sub) {
        collect(sa, sub);
        return;
    }
    size_t n;
    const char *op = jv_get_str(v, "op", NULL), *re = jv_get_str(v, "regex", &n);
    unsigned parts = op ? op_parts(op) : 0;
    if (re && parts)
        add_pattern(sa, re, n, parts);
}

static int
is_filter(const char *text)
{
    while (*text == ' ')
        text++;
    return *text == '~' || *text == '!' || *text == '(';
}

/*
 * Plain text as a filter: the text in the URL, a header or a body. Every
 * byte but letters, digits and spaces is written \xHH, which both the
 * filter's quoted strings (they drop one backslash) and the regex read as
 * that byte; the pattern gets the same text.
 */
static char *
text_filter(const char *text, struct buf *re)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (isalnum(*p) || *p == ' ')
            buf_append(re, p, 1);
        else
            buf_printf(re, "\\x%02x", *p);
    }
    struct buf q = BUF_INIT, f = BUF_INIT;
    for (size_t i = 0; i < re->len; i++) {
        char ch = (char)buf_ptr(re)[i];
        if (ch == '\\')
            buf_append_str(&q, "\\");
        buf_append(&q, &ch, 1);
    }
    buf_printf(&f, "~u \"%.*s\" | ~h \"%.*s\" | ~b \"%.*s\"", (int)q.len, (const char *)buf_ptr(&q),
               (int)q.len, (const char *)buf_ptr(&q), (int)q.len, (const char *)buf_ptr(&q));
    char *s = buf_strdup(&f);
    buf_clear(&q);
    buf_clear(&f);
    return s;
}

/* A search for text, not yet run; NULL with e for a filter that does not parse. */
static struct search_all *
search_new(const char *text, struct err *e)
{
    struct search_all *sa = xcalloc(1, sizeof(*sa));
    for (int i = 0; i < CACHE_SLOTS; i++)
        sa->cache[i].hit = SIZE_MAX;
    sa->term = xstrdup(text);
    if (is_filter(text)) {
        struct filt *flt = filt_compile(text, e);
        if (flt == NULL) {
            console__search_all_free(sa);
            return NULL;
        }
        struct buf ast = BUF_INIT;
        filt_ast_json(flt, &ast);
        struct jv *v = NULL;
        if (json_parse(buf_ptr(&ast), ast.len, NULL, &v, NULL) == 0)
            collect(sa, v);
        jv_free(v);
        buf_clear(&ast);
        filt_free(flt);
        sa->filter = xstrdup(text);
    } else {
        struct buf re = BUF_INIT;
        sa->filter = text_filter(text, &re);
        add_pattern(sa, (const char *)buf_ptr(&re), re.len, ANY_PART);
        buf_clear(&re);
    }
    return sa;
}

/* ---- running it ---------------------------------------------------------------- */

static void
on_hit(void *arg, size_t pos, const char *id)
{
    struct search_all *sa = arg;
    if (sa->n == sa->cap) {
        sa->cap = sa->cap ? 2 * sa->cap : 1024;
        sa->ids = xrealloc(sa->ids, sa->cap * sizeof(*sa->ids));
    }
    snprintf(sa->ids[sa->n++], UUID_STR_LEN, "%s", id);
}

/* Matches for about SLICE_MS; returns 1 while flows are left to search. */
static int
slice(struct console *c, struct search_all *sa)
{
    double t0 = clock_mono_ms(), t = t0;
    int more = 1;
    while (more && t - t0 < SLICE_MS) {
        more = store_scan_step(sa->scan, sa->step, on_hit, sa);
        double dt = clock_mono_ms() - t;
        t += dt;
        /* The next step's rows, at this step's pace, within limits. */
        size_t want = dt > 0.01 ? (size_t)((double)sa->step * STEP_MS / dt) : 4 * sa->step;
        if (want > 4 * sa->step)
            want = 4 * sa->step;
        sa->step = want < STEP_MIN ? STEP_MIN : want > STEP_MAX ? STEP_MAX : want;
    }
    sa->ms += t - t0;
    if (!more) {
        store_scan_free(sa->scan);
        sa->scan = NULL;
        console__message(c, 0, "%zu of %zu flows match (%.0f ms)", sa->n, sa->searched, sa->ms);
    }
    return more;
}

int
console__search_all(struct console *c, const char *text, struct err *e)
{
    if (text == NULL || *text == '\0')
        return err_set(e, MP_ERR_INVAL, "Nothing to search for.");
    struct search_all *sa = search_new(text, e);
    if (sa == NULL)
        return MP_ERR_SYNTAX;
    sa->scan = store_scan_new(c->store, sa->filter, e);
    if (sa->scan == NULL) {
        console__search_all_free(sa);
        return MP_ERR_SYNTAX;
    }
    sa->searched = store_count(c->store);
    sa->step = STEP_FIRST; /* a slow filter (a regex that backtracks) holds no key long */
    console__search_all_free(c->sa);
    c->sa = sa;
    console__push(c, VIEW_SEARCH);
    if (c->redraw_timer == NULL) {
        while (slice(c, sa))
            ;
    } else {
        /* Painted first: what is searched; the slices run after that. */
        console__message(c, 0, "Searching %zu flows for %s ... (esc stops)", sa->searched, text);
    }
    return 0;
}

int
console__search_all_poll(struct console *c)
{
    if (c->sa == NULL || c->sa->scan == NULL)
        return 0;
    return slice(c, c->sa);
}

int
console__search_all_running(const struct console *c)
{
    return c->sa && c->sa->scan;
}

void
console__search_all_stop(struct console *c)
{
    struct search_all *sa = c->sa;
    if (sa == NULL || sa->scan == NULL)
        return;
    size_t done, total;
    store_scan_progress(sa->scan, &done, &total);
    store_scan_free(sa->scan);
    sa->scan = NULL;
    sa->stopped = 1;
    sa->searched = done;
    console__message(c, 0, "Search stopped: %zu of the %zu flows searched match", sa->n, done);
    console__dirty(c);
}

size_t
console__search_all_count(const struct console *c)
{
    return c->sa ? c->sa->n : 0;
}

/* ---- context ---------------------------------------------------------------------- */

/* The first match of a pattern for part in p[0..n): 1 with its place. */
static int
find(const struct search_all *sa, enum part part, const void *p, size_t n, size_t *ms, size_t *me)
{
    static const char empty[1];
    for (size_t i = 0; i < sa->npat; i++) {
        if (!(sa->pat[i].parts & (1u << part)))
            continue;
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        int rc = pcre2_match(sa->pat[i].re, (PCRE2_SPTR)(p ? p : empty), n, 0, 0, md, NULL);
        if (rc > 0) {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            *ms = ov[0];
            *me = ov[1] < ov[0] ? ov[0] : ov[1];
            pcre2_match_data_free(md);
            return 1;
        }
        pcre2_match_data_free(md);
    }
    return 0;
}

/* x's text: p[ms..me) with some of its line around it, on one line. */
static void
set_context(struct context *x, enum part part, const char *p, size_t n, size_t ms, size_t me)
{
    size_t from = ms, to = me;
    while (from > 0 && ms - from < CONTEXT_BEFORE && p[from - 1] != '\n')
        from--;
    while (to < n && to - ms < CONTEXT_AFTER && p[to] != '\n')
        to++;
    if (me - ms > CONTEXT_AFTER)
        me = ms + CONTEXT_AFTER;
    if (to < me)
        to = me;
    struct buf t = BUF_INIT;
    buf_append(&t, p + from, to - from);
    for (size_t i = 0; i < t.len; i++)
        if (buf_ptr(&t)[i] == '\n' || buf_ptr(&t)[i] == '\r' || buf_ptr(&t)[i] == '\t')
            t.data[t.off + i] = ' ';
    x->text = buf_strdup(&t);
    buf_clear(&t);
    x->mstart = ms - from;
    x->mlen = me - ms;
    x->match = xmalloc(me - ms + 1);
    memcpy(x->match, p + ms, me - ms);
    x->match[me - ms] = '\0';
    x->part = (int)part;
}

static int
search_headers(const struct search_all *sa, struct context *x, enum part part, const struct hdrs *h)
{
    struct buf t = BUF_INIT;
    for (size_t i = 0; i < h->n; i++)
        buf_printf(&t, "%s: %.*s\n", h->v[i].name, (int)h->v[i].value_len, h->v[i].value);
    size_t ms, me;
    int found = find(sa, part, buf_ptr(&t), t.len, &ms, &me);
    if (found)
        set_context(x, part, (const char *)buf_ptr(&t), t.len, ms, me);
    buf_clear(&t);
    return found;
}

static int
search_body(const struct search_all *sa, struct context *x, enum part part, const struct hdrs *h,
            const struct buf *content)
{
    /* The body as the filter reads it: decoded, or as it is when it does not decode. */
    struct buf dec = BUF_INIT;
    const struct buf *b = content;
    if (enc_decoded_content(h, content, &dec, NULL) == 0)
        b = &dec;
    size_t ms, me;
    int found = find(sa, part, buf_ptr(b), b->len, &ms, &me);
    if (found)
        set_context(x, part, (const char *)buf_ptr(b), b->len, ms, me);
    buf_clear(&dec);
    return found;
}

static void
make_context(struct console *c, struct search_all *sa, size_t hit, struct context *x)
{
    context_clear(x);
    x->hit = hit;
    x->part = -1;
    struct store_info in;
    if (store_info(c->store, sa->ids[hit], &in) < 0) {
        x->gone = 1;
        return;
    }
    x->method = xstrdup(in.method);
    struct flow *f = store_get(c->store, sa->ids[hit], NULL);
    if (f == NULL || f->type != FLOW_HTTP || f->request == NULL) {
        struct buf u = BUF_INIT;
        buf_printf(&u, "%s:%u", in.host, in.port);
        x->url = buf_strdup(&u);
        buf_clear(&u);
        if (f)
            flow_unref(f);
        return;
    }
    x->url = http_request_pretty_url(f->request);
    size_t ms, me;
    if (find(sa, PART_URL, x->url, strlen(x->url), &ms, &me))
        set_context(x, PART_URL, x->url, strlen(x->url), ms, me);
    else if (!search_headers(sa, x, PART_REQ_HEADERS, &f->request->headers) &&
             !search_body(sa, x, PART_REQ_BODY, &f->request->headers, &f->request->content) &&
             f->response && !search_headers(sa, x, PART_RESP_HEADERS, &f->response->headers))
        search_body(sa, x, PART_RESP_BODY, &f->response->headers, &f->response->content);
    flow_unref(f);
}

static struct context *
context_of(struct console *c, size_t hit)
{
    struct context *x = &c->sa->cache[hit % CACHE_SLOTS];
    if (x->hit != hit)
        make_context(c, c->sa, hit, x);
    return x;
}

/* ---- the result screen ------------------------------------------------------------- */

void
console__search_all_draw(struct console *c, struct sline *lines, int rows)
{
    struct search_all *sa = c->sa;
    if (sa == NULL || rows < 2)
        return;
    char head[256];
    if (sa->scan) {
        size_t done, total;
        store_scan_progress(sa->scan, &done, &total);
        snprintf(head, sizeof(head), "Searching %zu flows (%zu%%), %zu match so far: %s", total,
                 total ? done * 100 / total : 100, sa->n, sa->term);
    } else {
        snprintf(head, sizeof(head), "%zu of %zu flows %smatch: %s", sa->n, sa->searched,
                 sa->stopped ? "searched " : "", sa->term);
    }
    console__put(&lines[0], ST_HEAD, head, SIZE_MAX);
    int visible = rows - 1;
    if (sa->focus >= (long)sa->n)
        sa->focus = (long)sa->n - 1;
    if (sa->focus < 0)
        sa->focus = 0;
    if (sa->focus < sa->top)
        sa->top = sa->focus;
    if (sa->focus >= sa->top + visible)
        sa->top = sa->focus - visible + 1;
    /* Method and URL take up to 45% of the width, the context the rest. */
    int urlw = c->cols * 45 / 100;
    for (int i = 0; i < visible && sa->top + i < (long)sa->n; i++) {
        size_t hit = (size_t)(sa->top + i);
        struct context *x = context_of(c, hit);
        struct sline *l = &lines[1 + i];
        int focused = (long)hit == sa->focus;
        console__put(l, ST_FOCUS, focused ? ">>" : "  ", 2);
        console__put(l, ST_TEXT, " ", 1);
        if (x->gone) {
            console__put(l, ST_WARN, "(this flow is gone)", SIZE_MAX);
            continue;
        }
        int at = l->used;
        console__put(l, ST_METHOD_OTHER, x->method, SIZE_MAX);
        console__put(l, ST_TEXT, " ", 1);
        console__put_fixed(l, ST_TEXT, x->url ? x->url : "", urlw - (l->used - at), 0);
        console__put(l, ST_TEXT, " ", 1);
        if (x->part < 0) {
            console__put(l, ST_CONTENT_NONE, "(matched by the filter)", SIZE_MAX);
            continue;
        }
        console__put(l, ST_KEY, part_names[x->part], SIZE_MAX);
        console__put(l, ST_TEXT, ": ", 2);
        console__put(l, ST_TEXT, x->text, x->mstart);
        console__put(l, ST_HIGHLIGHT, x->text + x->mstart, x->mlen);
        console__put(l, ST_TEXT, x->text + x->mstart + x->mlen, SIZE_MAX);
    }
}

/* Enter: the flow view of the hit's flow, on its tab, scrolled to the match. */
static void
open_hit(struct console *c)
{
    struct search_all *sa = c->sa;
    if (sa->n == 0)
        return;
    size_t hit = (size_t)sa->focus;
    struct context *x = context_of(c, hit);
    if (x->gone) {
        console__message(c, 1, "This flow is gone.");
        return;
    }
    if (store_set_focus(c->store, sa->ids[hit]) < 0) {
        console__message(c, 1, "The view filter hides this flow.");
        return;
    }
    int body = x->part == PART_REQ_BODY || x->part == PART_RESP_BODY;
    int tab = x->part == PART_RESP_HEADERS || x->part == PART_RESP_BODY ? FV_RESPONSE : FV_REQUEST;
    console__push(c, VIEW_FLOWVIEW);
    c->fv.tab = tab;
    c->fv.scroll = c->fv.at_end = 0;
    c->fv.highlight = -1;
    if (x->part < 0 || x->part == PART_URL || c->rows == 0)
        return;
    /* The flow view's own search finds the line: the matched text as it
     * was in the flow (a header line, or the body's). */
    console__layout(c, c->rows, c->cols);
    const char *line = x->match;
    if (!body) {
        /* The view pads a header's name to a column: its value is looked for. */
        const char *colon = strstr(line, ": ");
        if (colon)
            line = colon + 2;
        if (strchr(line, '\n'))
            return;
    }
    if (*line)
        console__search_set(c, line);
}

void
console__search_all_nav(struct console *c, enum nav n, int page)
{
    struct search_all *sa = c->sa;
    if (sa == NULL)
        return;
    if (n == NAV_SELECT)
        open_hit(c);
    console__nav_focus(&sa->focus, n, page, (long)sa->n);
    console__dirty(c);
}

/* ---- the command ---------------------------------------------------------------------- */

static int
cmd_search_all(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = arg;
    char *text = console__joined_args(call, 0);
    int rc = console__search_all(c, text, e);
    free(text);
    return rc;
}

static int
cmd_search_all_show(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = arg;
    if (c->sa == NULL)
        return err_set(e, MP_ERR_INVAL, "No search yet.");
    console__push(c, VIEW_SEARCH);
    return 0;
}

static const struct cmds_param p_search[] = {{"text", CMDS_STR, 1, NULL}};

static const struct console__cmd commands[] = {
    {"console.search.all",
     "Search every flow for a filter expression, or for plain text in URLs, headers and bodies, "
     "and list the hits with the text that matched.",
     p_search, 1, CMDS_NONE, cmd_search_all},
    {"console.search.all.show", "Show the results of the last search across flows.", NULL, 0,
     CMDS_NONE, cmd_search_all_show},
};

int
console__search_all_commands(struct console *c, struct cmds *cmds, struct err *e)
{
    return console__add_commands(c, cmds, commands, sizeof(commands) / sizeof(commands[0]), e);
}
