/*
 * The diff of two flows (console.view.diff, = on the flow list with two
 * flows marked; mitmproxy #3853 asks for it, 8.1.1 has nothing like it):
 * the request of the first against the request of the second, then the
 * responses, each as its first line, its headers ("name: value") and its
 * body through the flow's content view, compared line by line
 * (util/diff.c) and shown as a unified diff, "-" lines in the error
 * colour and "+" lines in the 2xx colour.
 *
 * Bodies are compared up to BODY_LINES rendered lines each, which is
 * where a diff stops being something to read; a body cut there says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "console/internal.h"
#include "flow/flow.h"
#include "http/headers.h"
#include "http/message.h"
#include "util/diff.h"
#include "util/xmalloc.h"

/* Rendered body lines compared at most, per body. */
#define BODY_LINES 20000

enum dkind { D_TITLE, D_SAME, D_DEL, D_ADD };

struct dline {
    enum dkind kind;
    char *text; /* owned */
};

struct diffview {
    char *name[2]; /* owned: each flow's method and URL */
    struct dline *v;
    size_t n, cap;
    size_t adds, dels;
    int scroll;
};

void
console__diff_free(struct diffview *dv)
{
    if (dv == NULL)
        return;
    for (size_t i = 0; i < dv->n; i++)
        free(dv->v[i].text);
    free(dv->v);
    free(dv->name[0]);
    free(dv->name[1]);
    free(dv);
}

static void
add(struct diffview *dv, enum dkind kind, const void *p, size_t n)
{
    if (dv->n == dv->cap) {
        dv->cap = dv->cap ? 2 * dv->cap : 256;
        dv->v = xrealloc(dv->v, dv->cap * sizeof(*dv->v));
    }
    char *t = xmalloc(n + 1);
    if (n)
        memcpy(t, p, n);
    t[n] = '\0';
    dv->v[dv->n++] = (struct dline){kind, t};
}

/* One side's text of a message: first line, headers, a blank line, body. */
static void
message_text(struct console *c, const struct flow *f, int response, struct buf *out)
{
    const struct http_request *rq = f && f->type == FLOW_HTTP ? f->request : NULL;
    const struct http_response *rs = rq ? f->response : NULL;
    if (rq == NULL || (response && rs == NULL)) {
        buf_append_str(out, response ? "(no response)\n" : "(no request)\n");
        return;
    }
    const struct hdrs *h;
    if (response) {
        buf_printf(out, "%s %d %s\n", rs->http_version ? rs->http_version : "", rs->status_code,
                   rs->reason ? rs->reason : "");
        h = &rs->headers;
    } else {
        char *url = http_request_pretty_url(rq);
        buf_printf(out, "%s %s %s\n", rq->method ? rq->method : "", url,
                   rq->http_version ? rq->http_version : "");
        free(url);
        h = &rq->headers;
    }
    for (size_t i = 0; i < h->n; i++)
        buf_printf(out, "%s: %.*s\n", h->v[i].name, (int)h->v[i].value_len, h->v[i].value);
    buf_append_str(out, "\n");
    if (response ? rs->content_none : rq->content_none) {
        buf_append_str(out, "[content missing]\n");
        return;
    }
    struct cv_render *r = cv_render_message(console__flowview_mode(c, f->id), f,
                                            response ? NULL : rq, response ? rs : NULL);
    struct cv_lines lines = CV_LINES_INIT;
    cv_render_all(r, &lines, BODY_LINES + 1);
    for (size_t i = 0; i < lines.n && i < BODY_LINES; i++) {
        struct cv_line l;
        cv_lines_get(&lines, i, &l);
        buf_append(out, l.text, l.len);
        buf_append_str(out, "\n");
    }
    if (lines.n > BODY_LINES)
        buf_printf(out, "[compared up to %d lines]\n", BODY_LINES);
    cv_lines_clear(&lines);
    cv_render_free(r);
}

static void
diff_part(struct console *c, struct diffview *dv, struct flow *a, struct flow *b, int response)
{
    struct buf ta = BUF_INIT, tb = BUF_INIT;
    message_text(c, a, response, &ta);
    message_text(c, b, response, &tb);
    struct slice *la, *lb;
    size_t na = diff_split(buf_ptr(&ta), ta.len, &la), nb = diff_split(buf_ptr(&tb), tb.len, &lb);
    struct diff_script d = DIFF_SCRIPT_INIT;
    diff_lines(la, na, lb, nb, 0, &d);
    add(dv, D_TITLE, response ? "Response" : "Request", response ? 8 : 7);
    for (size_t i = 0; i < d.n; i++) {
        const struct diff_edit *e = &d.v[i];
        struct slice s = e->op == DIFF_ADD ? lb[e->b] : la[e->a];
        enum dkind k = e->op == DIFF_SAME ? D_SAME : e->op == DIFF_DEL ? D_DEL : D_ADD;
        dv->adds += k == D_ADD;
        dv->dels += k == D_DEL;
        add(dv, k, s.p, s.len);
    }
    diff_script_clear(&d);
    free(la);
    free(lb);
    buf_clear(&ta);
    buf_clear(&tb);
}

static char *
flow_name(const struct flow *f)
{
    struct buf b = BUF_INIT;
    if (f->type == FLOW_HTTP && f->request) {
        char *url = http_request_pretty_url(f->request);
        buf_printf(&b, "%s %s", f->request->method ? f->request->method : "", url);
        free(url);
    } else {
        buf_printf(&b, "%s flow %s", flow_type_name(f->type), f->id);
    }
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

void
console__diff_show(struct console *c, struct flow *a, struct flow *b)
{
    struct diffview *dv = xcalloc(1, sizeof(*dv));
    dv->name[0] = flow_name(a);
    dv->name[1] = flow_name(b);
    diff_part(c, dv, a, b, 0);
    diff_part(c, dv, a, b, 1);
    console__diff_free(c->dv);
    c->dv = dv;
    console__push(c, VIEW_DIFF);
}

void
console__diff_draw(struct console *c, struct sline *lines, int rows)
{
    struct diffview *dv = c->dv;
    if (dv == NULL || rows < 3)
        return;
    char count[64];
    snprintf(count, sizeof(count), "  (%zu lines removed, %zu added)", dv->dels, dv->adds);
    console__put(&lines[0], ST_ERROR, "--- ", 4);
    console__put(&lines[0], ST_ERROR, dv->name[0], SIZE_MAX);
    console__put(&lines[0], ST_TEXT, count, SIZE_MAX);
    console__put(&lines[1], ST_CODE_200, "+++ ", 4);
    console__put(&lines[1], ST_CODE_200, dv->name[1], SIZE_MAX);
    int body = rows - 2;
    if (dv->scroll > (int)dv->n - body)
        dv->scroll = (int)dv->n - body;
    if (dv->scroll < 0)
        dv->scroll = 0;
    for (int i = 0; i < body && (size_t)(dv->scroll + i) < dv->n; i++) {
        const struct dline *d = &dv->v[dv->scroll + i];
        struct sline *l = &lines[2 + i];
        switch (d->kind) {
        case D_TITLE:
            console__put(l, ST_HEADING, d->text, SIZE_MAX);
            console__pad_to(l, ST_HEADING, l->width);
            break;
        case D_SAME:
            console__put(l, ST_TEXT, "  ", 2);
            console__put(l, ST_TEXT, d->text, SIZE_MAX);
            break;
        case D_DEL:
            console__put(l, ST_ERROR, "- ", 2);
            console__put(l, ST_ERROR, d->text, SIZE_MAX);
            break;
        case D_ADD:
            console__put(l, ST_CODE_200, "+ ", 2);
            console__put(l, ST_CODE_200, d->text, SIZE_MAX);
            break;
        }
    }
}

void
console__diff_nav(struct console *c, enum nav n, int page)
{
    struct diffview *dv = c->dv;
    if (dv == NULL)
        return;
    if (n == NAV_NEXT) {
        /* tab: the next run of changes below the top line. */
        size_t i = (size_t)dv->scroll + 1;
        while (i < dv->n && !((dv->v[i].kind == D_DEL || dv->v[i].kind == D_ADD) &&
                              (dv->v[i - 1].kind == D_SAME || dv->v[i - 1].kind == D_TITLE)))
            i++;
        if (i < dv->n)
            dv->scroll = (int)i;
    } else {
        /* The lines shown are those below "---" and "+++". */
        console__nav_scroll(&dv->scroll, n, page > 2 ? page - 2 : 1, (int)dv->n);
    }
    console__dirty(c);
}

static int
cmd_view_diff(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = arg;
    const struct cmds_flows *fl = &cmds_arg(call, 0)->flows;
    if (fl->n != 2)
        return err_set(e, MP_ERR_INVAL, "Diff needs exactly two flows, not %zu: mark two.", fl->n);
    console__diff_show(c, fl->v[0], fl->v[1]);
    return 0;
}

static const struct cmds_param p_flows[] = {{"flows", CMDS_FLOWS, 0, NULL}};

static const struct console__cmd commands[] = {
    {"console.view.diff",
     "View a line diff of two flows: their requests, then their responses, headers and bodies "
     "through the content views.",
     p_flows, 1, CMDS_NONE, cmd_view_diff},
};

int
console__diff_commands(struct console *c, struct cmds *cmds, struct err *e)
{
    return console__add_commands(c, cmds, commands, 1, e);
}
