/*
 * Editing a flow (8.1.1's console.edit.focus and grideditor/editors.py):
 * `e` in the flow view offers the parts; headers, query, forms, cookies,
 * Set-Cookie and path components open a grid editor, bodies, the URL and
 * a TCP message go to $EDITOR, method, status code and reason to the
 * prompt with flow.set. The flow is backed up first, so flow.revert (V)
 * undoes it all, and every change raises the update hook, so the list,
 * the view and any other UI show it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addons/addon.h"
#include "commands/commands.h"
#include "console/internal.h"
#include "flow/flow.h"
#include "http/cookies.h"
#include "http/encoding.h"
#include "http/forms.h"
#include "http/headers.h"
#include "http/message.h"
#include "http/url.h"
#include "master/master.h"
#include "options/opt.h"
#include "util/clock.h"
#include "util/path.h"
#include "util/xmalloc.h"

static struct console *
con(void *arg)
{
    return arg;
}

/* The focused flow, one reference; an error when there is none. */
static struct flow *
focused(struct console *c, struct err *e)
{
    const char *id = store_focus_id(c->store);
    struct flow *f = id ? store_get(c->store, id, NULL) : NULL;
    if (f == NULL)
        err_set(e, MP_ERR_NOTFOUND, "No flow selected.");
    return f;
}

static void
changed(struct console *c, struct flow *f)
{
    addon_trigger_update(master_chain(c->master), &f, 1);
    console__flowview_invalidate(&c->fv);
    console__dirty(c);
}

/* A whole file into out (replaced). */
static int
read_file(const char *path, struct buf *out, struct err *e)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return err_set(e, MP_ERR_IO, "%s: %s", path, strerror(errno));
    buf_reset(out);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        buf_append(out, chunk, n);
    int bad = ferror(fp);
    fclose(fp);
    return bad ? err_set(e, MP_ERR_IO, "%s: read error", path) : 0;
}

static int
write_file(const char *path, const void *p, size_t n, struct err *e)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL)
        return err_set(e, MP_ERR_IO, "%s: %s", path, strerror(errno));
    size_t w = fwrite(p, 1, n, fp);
    if (fclose(fp) != 0 || w != n)
        return err_set(e, MP_ERR_IO, "%s: write error", path);
    return 0;
}

/* Whether name is a program on $PATH (shutil.which). */
static int
on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        return 0;
    char *dirs = xstrdup(path);
    int found = 0;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s", d, name);
        found = access(full, X_OK) == 0;
    }
    free(dirs);
    return found;
}

static void decoded(const struct hdrs *h, const struct buf *content, struct buf *out);

/* ---- the external editor and viewer ---------------------------------------------- */

static const char *
editor_command(void)
{
    const char *ed = getenv("MITMPROXY_EDITOR");
    if (ed && *ed)
        return ed;
    if ((ed = getenv("EDITOR")) && *ed)
        return ed;
    static const char *const fallbacks[] = {"sensible-editor", "nano", "vim"};
    for (size_t i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++)
        if (on_path(fallbacks[i]))
            return fallbacks[i];
    return "vi";
}

/* A temporary file holding data[0..n), its name ending in ext. */
static int
temp_file(char *name, size_t size, const char *prefix, const char *ext, const void *data, size_t n,
          struct err *e)
{
    const char *dir = getenv("TMPDIR");
    snprintf(name, size, "%s/%sXXXXXX%s", dir && *dir ? dir : "/tmp", prefix, ext);
    int fd = mkstemps(name, (int)strlen(ext));
    if (fd < 0)
        return err_set(e, MP_ERR_IO, "Can't create a temporary file: %s", strerror(errno));
    const uint8_t *p = data;
    for (size_t left = n; left > 0;) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(name);
            return err_set(e, MP_ERR_IO, "Can't write %s: %s", name, strerror(errno));
        }
        p += w;
        left -= (size_t)w;
    }
    close(fd);
    return 0;
}

/* Runs prog (split into words as the shell splits them, like shlex.split)
 * on the file, the terminal given to it meanwhile. */
static int
run_on_file(struct console *c, const char *prog, const char *name, const char *what, struct err *e)
{
    struct buf cmd = BUF_INIT;
    buf_printf(&cmd, "%s \"$1\"", prog);
    char *line = buf_strdup(&cmd);
    buf_clear(&cmd);
    console__term_suspend(c->term);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", line, "sh", name, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    console__term_resume(c->term);
    console__dirty(c);
    free(line);
    if (pid < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 127))
        return err_set(e, MP_ERR_IO, "Can't start %s: %s", what, prog);
    return 0;
}

int
console__spawn_editor(struct console *c, struct buf *data, struct err *e)
{
    char name[4096];
    int rc = temp_file(name, sizeof(name), "mitmproxy", "", buf_ptr(data), data->len, e);
    if (rc < 0)
        return rc;
    rc = run_on_file(c, editor_command(), name, "editor", e);
    if (rc == 0) {
        struct buf out = BUF_INIT;
        if ((rc = read_file(name, &out, e)) == 0)
            buf_move(data, &out);
        buf_clear(&out);
    }
    unlink(name);
    return rc;
}

/* mimetypes.guess_extension for the types bodies usually have. */
static const char *
extension(const char *ct)
{
    static const struct {
        const char *type, *ext;
    } t[] = {{"application/json", ".json"}, {"text/html", ".html"},
             {"text/plain", ".txt"},        {"text/css", ".css"},
             {"text/javascript", ".js"},    {"application/javascript", ".js"},
             {"application/xml", ".xsl"},   {"text/xml", ".xsl"},
             {"image/png", ".png"},         {"image/jpeg", ".jpg"},
             {"image/gif", ".gif"},         {"image/svg+xml", ".svg"},
             {"image/webp", ".webp"},       {"application/pdf", ".pdf"}};
    size_t n = strcspn(ct, ";");
    while (n && ct[n - 1] == ' ')
        n--;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strlen(t[i].type) == n && strncasecmp(t[i].type, ct, n) == 0)
            return t[i].ext;
    return "";
}

/* console.bodyview flow part: the body in $MITMPROXY_EDITOR, $PAGER,
 * $EDITOR or less, from a read-only file named for its type. */
static int
cmd_bodyview(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = arg;
    struct flow *f = cmds_arg(call, 0)->flow;
    const char *part = cmds_arg(call, 1)->s;
    int response = strcmp(part, "response") == 0;
    if (f == NULL || f->type != FLOW_HTTP || (!response && strcmp(part, "request") != 0) ||
        (response ? f->response == NULL : f->request == NULL))
        return err_set(e, MP_ERR_INVAL, "Part must be either request or response, not %s.", part);
    const struct hdrs *h = response ? &f->response->headers : &f->request->headers;
    const struct buf *content = response ? &f->response->content : &f->request->content;
    struct buf body = BUF_INIT;
    decoded(h, content, &body);
    if (body.len == 0) {
        buf_clear(&body);
        return err_set(e, MP_ERR_INVAL, "No content to view.");
    }
    const struct hdr *ct = hdrs_get(h, "Content-Type");
    char name[4096];
    int rc = temp_file(name, sizeof(name), "mproxy", ct ? extension(ct->value) : "", buf_ptr(&body),
                       body.len, e);
    buf_clear(&body);
    if (rc < 0)
        return rc;
    chmod(name, S_IRUSR); /* read-only: a view, not an edit */
    const char *prog = getenv("MITMPROXY_EDITOR");
    if (prog == NULL || *prog == '\0')
        prog = getenv("PAGER");
    if (prog == NULL || *prog == '\0')
        prog = getenv("EDITOR");
    if (prog == NULL || *prog == '\0')
        prog = "less";
    rc = run_on_file(c, prog, name, "external viewer", e);
    unlink(name);
    return rc;
}

static int
cmd_bodyview_options(void *arg, struct cmds_call *call, struct err *e)
{
    struct strv sv = {0};
    strv_push(&sv, "request");
    strv_push(&sv, "response");
    cmds_return_strs(call, &sv);
    return 0;
}

/* ---- grid parts: from a flow into a grid and back ---------------------------- */

static void
row2(struct grid *g, const void *a, size_t an, const void *b, size_t bn)
{
    struct slice cells[2] = {slice_from(a, an), slice_from(b, bn)};
    console__grid_append(g, cells);
}

static void
load_headers(const struct hdrs *h, struct grid *g)
{
    for (size_t i = 0; i < h->n; i++)
        row2(g, h->v[i].name, h->v[i].name_len, h->v[i].value, h->v[i].value_len);
}

static void
store_headers(struct hdrs *h, const struct grid *g)
{
    hdrs_clear(h);
    hdrs_init(h);
    for (size_t i = 0; i < g->n; i++)
        if (console__grid_keep(g, i))
            hdrs_add(h, buf_slice(&g->rows[i].cell[0]), buf_slice(&g->rows[i].cell[1]));
}

static void
load_form(const struct form *fm, struct grid *g)
{
    for (size_t i = 0; i < fm->n; i++)
        row2(g, fm->v[i].name, fm->v[i].name_len, fm->v[i].value, fm->v[i].value_len);
}

static void
grid_form(const struct grid *g, struct form *fm)
{
    for (size_t i = 0; i < g->n; i++)
        if (console__grid_keep(g, i))
            form_add(fm, buf_ptr(&g->rows[i].cell[0]), g->rows[i].cell[0].len,
                     buf_ptr(&g->rows[i].cell[1]), g->rows[i].cell[1].len);
}

/* The path without its query, and the query (after '?', else empty). */
static void
split_path(const char *path, struct slice *base, struct slice *query)
{
    const char *q = strchr(path, '?');
    size_t n = q ? (size_t)(q - path) : strlen(path);
    *base = slice_from(path, n);
    *query = q ? slice_cstr(q + 1) : slice_from(path + n, 0);
}

static int
ct_is(const struct hdrs *h, const char *prefix)
{
    const struct hdr *ct = hdrs_get(h, "Content-Type");
    return ct && strncasecmp(ct->value, prefix, strlen(prefix)) == 0;
}

/* get_content(strict=False): decoded when the coding is known, else as is. */
static void
decoded(const struct hdrs *h, const struct buf *content, struct buf *out)
{
    if (enc_decoded_content(h, content, out, NULL) < 0) {
        buf_reset(out);
        buf_append(out, buf_ptr(content), content->len);
    }
}

static int
load(struct flow *f, const char *part, struct grid *g, struct err *e)
{
    struct http_request *rq = f->request;
    struct http_response *rs = f->response;
    if (strcmp(part, "request-headers") == 0) {
        load_headers(&rq->headers, g);
    } else if (strcmp(part, "response-headers") == 0) {
        load_headers(&rs->headers, g);
    } else if (strcmp(part, "query") == 0) {
        struct slice base, q;
        split_path(rq->path, &base, &q);
        struct form fm = {0};
        form_parse_urlencoded((const char *)q.p, q.len, &fm);
        load_form(&fm, g);
        form_clear(&fm);
    } else if (strcmp(part, "urlencoded form") == 0 || strcmp(part, "multipart form") == 0) {
        int multi = part[0] == 'm';
        if (!ct_is(&rq->headers,
                   multi ? "multipart/form-data" : "application/x-www-form-urlencoded"))
            return 0;
        struct buf body = BUF_INIT;
        decoded(&rq->headers, &rq->content, &body);
        struct form fm = {0};
        if (multi) {
            const struct hdr *ct = hdrs_get(&rq->headers, "Content-Type");
            form_parse_multipart(ct->value, ct->value_len, buf_ptr(&body), body.len, &fm, NULL);
        } else {
            form_parse_urlencoded((const char *)buf_ptr(&body), body.len, &fm);
        }
        load_form(&fm, g);
        form_clear(&fm);
        buf_clear(&body);
    } else if (strcmp(part, "cookies") == 0) {
        struct cookies cs = {0};
        for (int i = hdrs_find(&rq->headers, "Cookie", 0); i >= 0;
             i = hdrs_find(&rq->headers, "Cookie", (size_t)i + 1))
            cookies_parse(rq->headers.v[i].value, rq->headers.v[i].value_len, &cs);
        for (size_t i = 0; i < cs.n; i++)
            row2(g, cs.v[i].kv.name, cs.v[i].kv.name_len, cs.v[i].kv.value, cs.v[i].kv.value_len);
        cookies_clear(&cs);
    } else if (strcmp(part, "set-cookies") == 0) {
        struct cookies cs = {0};
        for (int i = hdrs_find(&rs->headers, "Set-Cookie", 0); i >= 0;
             i = hdrs_find(&rs->headers, "Set-Cookie", (size_t)i + 1))
            cookies_parse_set(rs->headers.v[i].value, rs->headers.v[i].value_len, &cs);
        struct buf attrs = BUF_INIT;
        for (size_t i = 0; i < cs.n; i++) {
            buf_reset(&attrs);
            for (size_t k = 0; k < cs.v[i].nattrs; k++) {
                const struct cookie_pair *a = &cs.v[i].attrs[k];
                buf_append(&attrs, a->name, a->name_len);
                if (a->value_len) {
                    buf_append_str(&attrs, "=");
                    buf_append(&attrs, a->value, a->value_len);
                }
                buf_append_str(&attrs, "\n");
            }
            struct slice cells[3] = {slice_from(cs.v[i].kv.name, cs.v[i].kv.name_len),
                                     slice_from(cs.v[i].kv.value, cs.v[i].kv.value_len),
                                     buf_slice(&attrs)};
            console__grid_append(g, cells);
        }
        buf_clear(&attrs);
        cookies_clear(&cs);
    } else if (strcmp(part, "path") == 0) {
        struct slice base, q;
        split_path(rq->path, &base, &q);
        struct buf comp = BUF_INIT;
        for (size_t i = 0; i < base.len;) {
            const uint8_t *slash = memchr(base.p + i, '/', base.len - i);
            size_t end = slash ? (size_t)(slash - base.p) : base.len;
            if (end > i) {
                buf_reset(&comp);
                http_unquote(&comp, (const char *)base.p + i, end - i, 0);
                struct slice cell = buf_slice(&comp);
                console__grid_append(g, &cell);
            }
            i = end + 1;
        }
        buf_clear(&comp);
    } else {
        return err_set(e, MP_ERR_INVAL, "Invalid flow part: %s", part);
    }
    return 0;
}

/* url.quote(x, safe=""): every byte but letters, digits and "_.-~" as %XX. */
static void
quote(struct buf *out, const struct buf *in)
{
    for (size_t i = 0; i < in->len; i++) {
        unsigned char ch = buf_ptr(in)[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("_.-~", ch))
            buf_append(out, &ch, 1);
        else
            buf_printf(out, "%%%02X", ch);
    }
}

/* The request's path becomes base and query (no '?' for an empty query). */
static void
set_path(struct http_request *rq, struct slice base, const struct buf *query)
{
    struct buf p = BUF_INIT;
    buf_append(&p, base.p, base.len);
    if (query->len) {
        buf_append_str(&p, "?");
        buf_append(&p, buf_ptr(query), query->len);
    }
    char *s = buf_strdup(&p);
    free(rq->path);
    rq->path = s;
    buf_clear(&p);
}

/* One Set-Cookie value for a row: name=value, then its attributes, a
 * flag attribute (empty value) by its name alone (_format_pairs). */
static void
format_set_cookie(struct buf *out, const struct grid_row *r)
{
    struct cookie one = {0};
    struct cookies cs = {&one, 1};
    one.kv = (struct cookie_pair){(char *)buf_ptr(&r->cell[0]), r->cell[0].len,
                                  (char *)buf_ptr(&r->cell[1]), r->cell[1].len};
    cookies_format_set(out, &cs);
    const char *a = (const char *)buf_ptr(&r->cell[2]);
    size_t n = r->cell[2].len;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(a + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - a) : n;
        const char *eq = memchr(a + i, '=', end - i);
        buf_append_str(out, "; ");
        if (eq == NULL) {
            buf_append(out, a + i, end - i);
        } else {
            one.kv = (struct cookie_pair){(char *)a + i, (size_t)(eq - a - i), (char *)eq + 1,
                                          (size_t)(a + end - eq - 1)};
            cookies_format_set(out, &cs);
        }
        i = end + 1;
    }
}

static int
store_part(struct flow *f, const char *part, const struct grid *g, struct err *e)
{
    struct http_request *rq = f->request;
    struct http_response *rs = f->response;
    if (strcmp(part, "request-headers") == 0) {
        store_headers(&rq->headers, g);
    } else if (strcmp(part, "response-headers") == 0) {
        store_headers(&rs->headers, g);
    } else if (strcmp(part, "query") == 0) {
        struct slice base, q;
        split_path(rq->path, &base, &q);
        struct form fm = {0};
        grid_form(g, &fm);
        struct buf enc = BUF_INIT;
        form_write_urlencoded(&enc, &fm, (const char *)q.p, q.len);
        char *b = slice_strdup(base);
        set_path(rq, slice_cstr(b), &enc);
        free(b);
        buf_clear(&enc);
        form_clear(&fm);
    } else if (strcmp(part, "urlencoded form") == 0) {
        struct form fm = {0};
        grid_form(g, &fm);
        struct buf body = BUF_INIT, old = BUF_INIT;
        decoded(&rq->headers, &rq->content, &old);
        form_write_urlencoded(&body, &fm, (const char *)buf_ptr(&old), old.len);
        hdrs_set_cstr(&rq->headers, "content-type", "application/x-www-form-urlencoded");
        int rc = enc_set_content(&rq->headers, &rq->content, buf_ptr(&body), body.len, e);
        buf_clear(&body);
        buf_clear(&old);
        form_clear(&fm);
        return rc;
    } else if (strcmp(part, "multipart form") == 0) {
        if (!ct_is(&rq->headers, "multipart/form-data")) {
            char ct[96];
            snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%llu",
                     ((unsigned long long)random() << 32) ^ (unsigned long long)random());
            hdrs_set_cstr(&rq->headers, "content-type", ct);
        }
        const struct hdr *ct = hdrs_get(&rq->headers, "Content-Type");
        struct form fm = {0};
        grid_form(g, &fm);
        struct buf body = BUF_INIT;
        int rc = form_write_multipart(&body, ct->value, ct->value_len, &fm, e);
        if (rc == 0)
            rc = enc_set_content(&rq->headers, &rq->content, buf_ptr(&body), body.len, e);
        buf_clear(&body);
        form_clear(&fm);
        return rc;
    } else if (strcmp(part, "cookies") == 0) {
        struct buf v = BUF_INIT;
        for (size_t i = 0; i < g->n; i++)
            if (console__grid_keep(g, i))
                cookies_append(&v, (const char *)buf_ptr(&g->rows[i].cell[0]),
                               g->rows[i].cell[0].len, (const char *)buf_ptr(&g->rows[i].cell[1]),
                               g->rows[i].cell[1].len);
        hdrs_set(&rq->headers, "cookie", buf_slice(&v));
        buf_clear(&v);
    } else if (strcmp(part, "set-cookies") == 0) {
        hdrs_remove(&rs->headers, "set-cookie");
        struct buf v = BUF_INIT;
        for (size_t i = 0; i < g->n; i++) {
            if (!console__grid_keep(g, i))
                continue;
            buf_reset(&v);
            format_set_cookie(&v, &g->rows[i]);
            hdrs_add(&rs->headers, SLICE_STR("set-cookie"), buf_slice(&v));
        }
        buf_clear(&v);
    } else if (strcmp(part, "path") == 0) {
        struct slice base, q;
        split_path(rq->path, &base, &q);
        struct buf p = BUF_INIT, query = BUF_INIT;
        buf_append(&query, q.p, q.len);
        for (size_t i = 0; i < g->n; i++) {
            if (!console__grid_keep(g, i))
                continue;
            buf_append_str(&p, "/");
            quote(&p, &g->rows[i].cell[0]);
        }
        if (p.len == 0)
            buf_append_str(&p, "/");
        set_path(rq, buf_slice(&p), &query);
        buf_clear(&p);
        buf_clear(&query);
    }
    return 0;
}

static const struct {
    const char *part, *title;
    int ncols;
    const char *headings[GRID_MAXCOLS];
    int sub_col;
} grids[] = {
    {"request-headers", "Edit Request Headers", 2, {"Key", "Value"}, -1},
    {"response-headers", "Edit Response Headers", 2, {"Key", "Value"}, -1},
    {"query", "Edit Query", 2, {"Key", "Value"}, -1},
    {"urlencoded form", "Edit UrlEncoded Form", 2, {"Key", "Value"}, -1},
    {"multipart form", "Edit Multipart Form", 2, {"Key", "Value"}, -1},
    {"cookies", "Edit Cookies", 2, {"Name", "Value"}, -1},
    {"set-cookies", "Edit SetCookie Header", 3, {"Name", "Value", "Attributes"}, 2},
    {"path", "Edit Path Components", 1, {"Component"}, -1},
};

static const char *const attr_headings[] = {"Name", "Value"};

/* enter on a Set-Cookie's attributes: a grid of its pairs, inside this one. */
static void
open_subgrid(struct console *c)
{
    struct grid *g = c->grid;
    struct grid *sub = console__grid_new("Editing Set-Cookie attributes", 2, attr_headings, -1);
    const struct buf *cell = &g->rows[g->focus].cell[g->sub_col];
    const char *a = (const char *)buf_ptr(cell);
    for (size_t i = 0; i < cell->len;) {
        const char *nl = memchr(a + i, '\n', cell->len - i);
        size_t end = nl ? (size_t)(nl - a) : cell->len;
        const char *eq = memchr(a + i, '=', end - i);
        if (eq)
            row2(sub, a + i, (size_t)(eq - a - i), eq + 1, (size_t)(a + end - eq - 1));
        else
            row2(sub, a + i, end - i, "", 0);
        i = end + 1;
    }
    sub->parent = g;
    sub->parent_row = g->focus;
    c->grid = sub;
    console__dirty(c);
}

/* OptionsEditor's callback: the rows become the sequence option named by
 * flow_id ("name" clears it, each "name=value" appends). */
static void
set_sequence(struct console *c, const struct grid *g)
{
    size_t n = 1;
    const char **set = xcalloc(g->n + 1, sizeof(*set));
    set[0] = xstrdup(g->flow_id);
    for (size_t i = 0; i < g->n; i++) {
        if (!console__grid_keep(g, i))
            continue;
        struct buf b = BUF_INIT;
        buf_printf(&b, "%s=", g->flow_id);
        buf_append(&b, buf_ptr(&g->rows[i].cell[0]), g->rows[i].cell[0].len);
        set[n++] = buf_strdup(&b);
        buf_clear(&b);
    }
    struct err e = {0};
    if (master_set(c->master, set, n, &e) < 0)
        console__message(c, 1, "%s", e.msg);
    for (size_t i = 0; i < n; i++)
        free((char *)set[i]);
    free(set);
}

int
console__grid_pop(struct console *c)
{
    struct grid *g = c->grid;
    if (g == NULL)
        return 1;
    struct err e = {0};
    if (g->editing && console__grid_stop_edit(g, &e) < 0)
        g->editing = 0; /* a bad cell is dropped with its row, as 8.1.1 drops it */
    if (g->parent) {
        /* The attributes go back into the parent's cell, one pair a line. */
        struct buf v = BUF_INIT;
        for (size_t i = 0; i < g->n; i++) {
            if (!console__grid_keep(g, i))
                continue;
            buf_append(&v, buf_ptr(&g->rows[i].cell[0]), g->rows[i].cell[0].len);
            if (g->rows[i].cell[1].len) {
                buf_append_str(&v, "=");
                buf_append(&v, buf_ptr(&g->rows[i].cell[1]), g->rows[i].cell[1].len);
            }
            buf_append_str(&v, "\n");
        }
        struct grid *parent = g->parent;
        if (g->parent_row >= 0 && (size_t)g->parent_row < parent->n)
            buf_move(&parent->rows[g->parent_row].cell[parent->sub_col], &v);
        buf_clear(&v);
        g->parent = NULL;
        console__grid_free(g);
        c->grid = parent;
        console__dirty(c);
        return 0;
    }
    if (g->part && strcmp(g->part, "option") == 0) {
        set_sequence(c, g);
        console__grid_free(g);
        c->grid = NULL;
        return 1;
    }
    struct flow *f = g->flow_id ? store_get(c->store, g->flow_id, NULL) : NULL;
    if (f && f->type == FLOW_HTTP && f->request) {
        if (store_part(f, g->part, g, &e) < 0)
            console__message(c, 1, "%s", e.msg);
        changed(c, f);
    }
    if (f)
        flow_unref(f);
    console__grid_free(g);
    c->grid = NULL;
    return 1;
}

/* ---- the commands ------------------------------------------------------------------ */

static const char *const http_parts[] = {
    "cookies",          "urlencoded form",
    "multipart form",   "path",
    "method",           "query",
    "reason",           "request-headers",
    "response-headers", "request-body",
    "response-body",    "status_code",
    "set-cookies",      "url",
};

static int
cmd_focus_options(void *arg, struct cmds_call *call, struct err *e)
{
    struct flow *f = focused(con(arg), e);
    if (f == NULL)
        return MP_ERR_NOTFOUND;
    struct strv sv = {0};
    int rc = 0;
    if (f->type == FLOW_TCP) {
        strv_push(&sv, "tcp-message");
    } else if (f->type == FLOW_HTTP) {
        for (size_t i = 0; i < sizeof(http_parts) / sizeof(http_parts[0]); i++)
            strv_push(&sv, http_parts[i]);
        /* Beyond 8.1.1 (#5432): the last message, the one held. */
        if (f->websocket && f->websocket->nmessages)
            strv_push(&sv, "websocket-message");
    } else if (f->type == FLOW_DNS) {
        rc = err_set(e, MP_ERR_UNSUPPORTED, "Cannot edit DNS flows yet, please submit a patch.");
    }
    flow_unref(f);
    if (rc < 0) {
        strv_clear(&sv);
        return rc;
    }
    cmds_return_strs(call, &sv);
    return 0;
}

/* Python's rstrip(b"\n"). */
static void
rstrip_newlines(struct buf *b)
{
    while (b->len && buf_ptr(b)[b->len - 1] == '\n')
        b->len--;
}

static int
edit_body(struct console *c, struct flow *f, int response, struct err *e)
{
    struct hdrs *h = response ? &f->response->headers : &f->request->headers;
    struct buf *content = response ? &f->response->content : &f->request->content;
    struct buf text = BUF_INIT;
    decoded(h, content, &text);
    int rc = console__spawn_editor(c, &text, e);
    if (rc == 0) {
        if (console__opt_bool(c, "console_strip_trailing_newlines", 0))
            rstrip_newlines(&text);
        rc = enc_set_content(h, content, buf_ptr(&text), text.len, e);
        if (response)
            f->response->content_none = 0;
        else
            f->request->content_none = 0;
    }
    buf_clear(&text);
    return rc;
}

static int
edit_url(struct console *c, struct flow *f, struct err *e)
{
    char *url = http_request_url(f->request);
    struct buf text = BUF_INIT;
    buf_append_str(&text, url);
    free(url);
    int rc = console__spawn_editor(c, &text, e);
    if (rc == 0) {
        rstrip_newlines(&text);
        struct buf line = BUF_INIT;
        buf_append_str(&line, "flow.set @focus url ");
        char *s = buf_strdup(&text);
        cmds_quote(s, &line);
        free(s);
        char *l = buf_strdup(&line);
        struct cmds_value ret = {0};
        rc = cmds_execute(master_commands(c->master), l, &ret, e);
        cmds_value_clear(&ret);
        free(l);
        buf_clear(&line);
    }
    buf_clear(&text);
    return rc;
}

static int
cmd_focus(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    const char *part = cmds_arg(call, 0)->s;
    struct flow *f = focused(c, e);
    if (f == NULL)
        return MP_ERR_NOTFOUND;
    int rc = 0;
    if (f->type == FLOW_DNS) {
        rc = err_set(e, MP_ERR_UNSUPPORTED, "Cannot edit DNS flows yet, please submit a patch.");
        goto out;
    }
    if (f->type == FLOW_TCP) {
        if (strcmp(part, "tcp-message") != 0) {
            rc = err_set(e, MP_ERR_INVAL, "Invalid flow part: %s", part);
            goto out;
        }
        if (f->nmessages == 0)
            goto out;
        flow_backup(f);
        struct tcp_message *m = &f->messages[f->nmessages - 1];
        rc = console__spawn_editor(c, &m->content, e);
        rstrip_newlines(&m->content);
        changed(c, f);
        goto out;
    }
    if (f->type != FLOW_HTTP || f->request == NULL) {
        rc = err_set(e, MP_ERR_INVAL, "Invalid flow part: %s", part);
        goto out;
    }
    if (strcmp(part, "websocket-message") == 0) {
        /* The last message: while the flow is held at it, a sends it on
         * as edited (the WebSocket layer forwards the flow's last one). */
        if (f->websocket == NULL || f->websocket->nmessages == 0) {
            rc = err_set(e, MP_ERR_INVAL, "This flow has no WebSocket message.");
            goto out;
        }
        flow_backup(f);
        struct ws_message *m = &f->websocket->messages[f->websocket->nmessages - 1];
        rc = console__spawn_editor(c, &m->content, e);
        rstrip_newlines(&m->content);
        changed(c, f);
        goto out;
    }
    if (strcmp(part, "method") == 0 || strcmp(part, "status_code") == 0 ||
        strcmp(part, "reason") == 0) {
        /* The prompt runs flow.set, which backs the flow up itself. */
        char line[64];
        snprintf(line, sizeof(line), "flow.set @focus %s ", part);
        console__prompt(c, line, SIZE_MAX);
        goto out;
    }
    size_t gi = 0;
    while (gi < sizeof(grids) / sizeof(grids[0]) && strcmp(grids[gi].part, part) != 0)
        gi++;
    int is_grid = gi < sizeof(grids) / sizeof(grids[0]);
    if (!is_grid && strcmp(part, "request-body") != 0 && strcmp(part, "response-body") != 0 &&
        strcmp(part, "url") != 0) {
        rc = err_set(e, MP_ERR_INVAL, "Invalid flow part: %s", part);
        goto out;
    }
    flow_backup(f);
    /* Response parts of a flow without one edit a new 200 (Response.make()). */
    if ((strcmp(part, "response-headers") == 0 || strcmp(part, "response-body") == 0 ||
         strcmp(part, "set-cookies") == 0) &&
        f->response == NULL) {
        f->response = http_response_new();
        f->response->status_code = 200;
        http_set_str(&f->response->reason, "OK");
        http_set_str(&f->response->http_version, "HTTP/1.1");
        enc_set_content(&f->response->headers, &f->response->content, NULL, 0, NULL);
        f->response->timestamp_start = f->response->timestamp_end = clock_now();
    }
    if (is_grid) {
        struct grid *g = console__grid_new(grids[gi].title, grids[gi].ncols, grids[gi].headings,
                                           grids[gi].sub_col);
        g->part = xstrdup(part);
        g->flow_id = xstrdup(f->id);
        rc = load(f, part, g, e);
        console__grid_free(c->grid);
        c->grid = g;
        console__push(c, VIEW_GRID);
    } else if (strcmp(part, "url") == 0) {
        rc = edit_url(c, f, e);
        changed(c, f);
    } else {
        rc = edit_body(c, f, part[2] == 's', e);
        changed(c, f);
    }
out:
    flow_unref(f);
    return rc;
}

static struct grid *
grid(struct console *c, struct err *e)
{
    if (c->grid == NULL || c->stack[c->depth - 1] != VIEW_GRID)
        err_set(e, MP_ERR_INVAL, "Not in a grideditor.");
    return c->stack[c->depth - 1] == VIEW_GRID ? c->grid : NULL;
}

#define GRID_CMD(fn, call)                                                                         \
    static int fn(void *arg, struct cmds_call *cl, struct err *e)                                  \
    {                                                                                              \
        struct grid *g = grid(con(arg), e);                                                        \
        if (g == NULL)                                                                             \
            return MP_ERR_INVAL;                                                                   \
        call(g);                                                                                   \
        console__dirty(con(arg));                                                                  \
        return 0;                                                                                  \
    }
GRID_CMD(cmd_add, console__grid_add)
GRID_CMD(cmd_insert, console__grid_insert)
GRID_CMD(cmd_delete, console__grid_delete)

/* The sub-grid column is edited with enter only (col_subgrid). */
static int
sub_col_refuses(struct console *c, struct grid *g)
{
    if (g->focus_col != g->sub_col)
        return 0;
    console__message(c, 0, "Press enter to edit this field.");
    return 1;
}

static int
load_cell(struct console *c, const char *path, int escaped, struct err *e)
{
    struct grid *g = grid(c, e);
    if (g == NULL)
        return MP_ERR_INVAL;
    if (sub_col_refuses(c, g) || console__grid_cell(g) == NULL)
        return 0;
    char *full = path_expand_home(path);
    struct buf data = BUF_INIT;
    int rc = read_file(full, &data, e);
    free(full);
    if (rc == 0 && escaped) {
        struct buf out = BUF_INIT;
        if (console__unescape((const char *)buf_ptr(&data), data.len, &out, NULL) < 0)
            rc = err_set(e, MP_ERR_SYNTAX, "Invalid Python-style string encoding.");
        else
            buf_move(&data, &out);
        buf_clear(&out);
    }
    if (rc == 0)
        console__grid_set(g, buf_ptr(&data), data.len);
    buf_clear(&data);
    console__dirty(c);
    return rc;
}

static int
cmd_load(void *arg, struct cmds_call *call, struct err *e)
{
    return load_cell(con(arg), cmds_arg(call, 0)->s, 0, e);
}

static int
cmd_load_escaped(void *arg, struct cmds_call *call, struct err *e)
{
    return load_cell(con(arg), cmds_arg(call, 0)->s, 1, e);
}

static int
cmd_editor(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    struct grid *g = grid(c, e);
    if (g == NULL)
        return MP_ERR_INVAL;
    if (sub_col_refuses(c, g) || console__grid_cell(g) == NULL)
        return 0;
    g->editing = 0;
    struct buf data = BUF_INIT;
    buf_append(&data, buf_ptr(console__grid_cell(g)), console__grid_cell(g)->len);
    int rc = console__spawn_editor(c, &data, e);
    if (rc == 0) {
        /* strutils.clean_hanging_newline: one trailing newline goes. */
        if (data.len && buf_ptr(&data)[data.len - 1] == '\n')
            data.len--;
        console__grid_set(g, buf_ptr(&data), data.len);
    }
    buf_clear(&data);
    return rc;
}

/* console.grideditor.save: the rows as CSV (csv.writer's quoting). */
static int
cmd_save(void *arg, struct cmds_call *call, struct err *e)
{
    struct grid *g = grid(con(arg), e);
    if (g == NULL)
        return MP_ERR_INVAL;
    struct buf out = BUF_INIT;
    for (size_t i = 0; i < g->n; i++) {
        for (int k = 0; k < g->ncols; k++) {
            const struct buf *cell = &g->rows[i].cell[k];
            const char *s = (const char *)buf_ptr(cell);
            int q = cell->len && (memchr(s, ',', cell->len) || memchr(s, '"', cell->len) ||
                                  memchr(s, '\n', cell->len) || memchr(s, '\r', cell->len));
            if (k)
                buf_append_str(&out, ",");
            if (q)
                buf_append_str(&out, "\"");
            for (size_t j = 0; j < cell->len; j++) {
                if (s[j] == '"')
                    buf_append_str(&out, "\"");
                buf_append(&out, s + j, 1);
            }
            if (q)
                buf_append_str(&out, "\"");
        }
        buf_append_str(&out, "\r\n");
    }
    char *full = path_expand_home(cmds_arg(call, 0)->s);
    int rc = write_file(full, buf_ptr(&out), out.len, e);
    free(full);
    buf_clear(&out);
    return rc;
}

#define P(name, type)                                                                              \
    {                                                                                              \
        name, CMDS_##type, 0, NULL                                                                 \
    }
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmds_param p_part[] = {
    {"flow_part", CMDS_CHOICE, 0, "console.edit.focus.options"}};
static const struct cmds_param p_path[] = {P("path", PATH)};
static const struct cmds_param p_bodyview[] = {
    P("flow", FLOW), {"part", CMDS_CHOICE, 0, "console.bodyview.options"}};

static const struct console__cmd commands[] = {
    {"console.edit.focus.options", "Possible components for console.edit.focus.", NULL, 0,
     CMDS_STRS, cmd_focus_options},
    {"console.edit.focus", "Edit a component of the currently focused flow.", p_part, N(p_part),
     CMDS_NONE, cmd_focus},
    {"console.bodyview",
     "Spawn an external viewer for a flow request or response body based on the detected MIME "
     "type. We use the mailcap system to find the correct viewer, and fall back to the programs "
     "in $PAGER or $EDITOR if necessary.",
     p_bodyview, N(p_bodyview), CMDS_NONE, cmd_bodyview},
    {"console.bodyview.options", "Possible parts for console.bodyview.", NULL, 0, CMDS_STRS,
     cmd_bodyview_options},
    {"console.grideditor.add", "Add a row after the cursor.", NULL, 0, CMDS_NONE, cmd_add},
    {"console.grideditor.insert", "Insert a row before the cursor.", NULL, 0, CMDS_NONE,
     cmd_insert},
    {"console.grideditor.delete", "Delete row", NULL, 0, CMDS_NONE, cmd_delete},
    {"console.grideditor.load", "Read a file into the currrent cell.", p_path, N(p_path), CMDS_NONE,
     cmd_load},
    {"console.grideditor.load_escaped",
     "Read a file containing a Python-style escaped string into the currrent cell.", p_path,
     N(p_path), CMDS_NONE, cmd_load_escaped},
    {"console.grideditor.save", "Save data to file as a CSV.", p_path, N(p_path), CMDS_NONE,
     cmd_save},
    {"console.grideditor.editor", "Spawn an external editor on the current cell.", NULL, 0,
     CMDS_NONE, cmd_editor},
};

int
console__edit_commands(struct console *c, struct cmds *cmds, struct err *e)
{
    return console__add_commands(c, cmds, commands, N(commands), e);
}

void
console__grid_select(struct console *c)
{
    struct grid *g = c->grid;
    if (g == NULL || g->n == 0)
        return;
    if (g->focus_col == g->sub_col)
        open_subgrid(c);
    else
        console__grid_start_edit(g);
    console__dirty(c);
}
