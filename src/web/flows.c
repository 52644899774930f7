/*
 * The routes about flows (current mitmproxy's app.py: Flows, DumpFlows,
 * FlowHandler, ResumeFlow ... FlowContentView), plus our windowed list.
 * Flows come from the store (store_get() makes a stored flow a struct flow
 * again), changes go back with store_update(); actions that mitmproxy
 * does through a command (flow.resume, flow.kill, flow.revert,
 * replay.client, view.flows.remove) go through the same command, so they
 * behave as the console's keys and scripts' calls do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands/commands.h"
#include "contentviews/cv.h"
#include "export/har.h"
#include "flow/flowfile.h"
#include "http/encoding.h"
#include "master/master.h"
#include "store/store.h"
#include "util/json_parse.h"
#include "util/xmalloc.h"
#include "web/internal.h"

/* ---- the list ---------------------------------------------------------------- */

void
web__ids_collect(void *arg, size_t pos, const char *id)
{
    struct web_ids *ids = arg;
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? 2 * ids->cap : 64;
        ids->v = xrealloc(ids->v, ids->cap * sizeof(*ids->v));
    }
    snprintf(ids->v[ids->n++], UUID_STR_LEN, "%s", id);
}

static void
flows_array(struct web *w, struct json *j, const struct web_ids *ids, int rows)
{
    json_array_begin(j);
    for (size_t i = 0; i < ids->n; i++) {
        struct flow *f = store_get(w->store, ids->v[i], NULL);
        if (f == NULL)
            continue;
        if (rows)
            web__flow_row_json(j, f);
        else
            web__flow_json(j, f);
        flow_unref(f);
    }
    json_array_end(j);
}

static int
parse_size(const char *s, size_t *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end)
        return -1;
    *out = (size_t)v;
    return 0;
}

void
web__flows_get(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    char *offset_s = web__query(rq, "offset"), *limit_s = web__query(rq, "limit");
    char *filter = web__query(rq, "filter"), *order_s = web__query(rq, "order");
    char *reverse_s = web__query(rq, "reverse"), *id = web__query(rq, "id");
    /* Ours: list=1 sends the rows in the list-only shape (web__flow_row_json). */
    char *list_s = web__query(rq, "list");
    int rows = list_s && (strcmp(list_s, "1") == 0 || strcmp(list_s, "true") == 0);
    int windowed = offset_s || limit_s || filter || order_s || reverse_s || id;
    size_t offset = 0, limit = 0;
    enum store_order order = windowed ? STORE_ORDER_TIME : store_get_order(w->store);
    int reversed = windowed ? 0 : store_reversed(w->store);
    const char *view_filter = store_filter(w->store);
    struct web_ids ids = {0};
    struct err e = {0};
    long pos = -1;
    if (offset_s && parse_size(offset_s, &offset) < 0) {
        web__error(rs, 400, "offset: not a number");
        goto out;
    }
    if (limit_s && (parse_size(limit_s, &limit) < 0 || limit == 0)) {
        web__error(rs, 400, "limit: not a positive number");
        goto out;
    }
    if (windowed && (limit == 0 || limit > WEB_WINDOW_MAX))
        limit = WEB_WINDOW_MAX;
    if (order_s && store_order_parse(order_s, &order) < 0) {
        web__error(rs, 400, "Unknown flow order: %s", order_s);
        goto out;
    }
    if (reverse_s)
        reversed = strcmp(reverse_s, "1") == 0 || strcmp(reverse_s, "true") == 0;
    long total = store_select(w->store, windowed ? filter : view_filter, order, reversed, offset,
                              limit, web__ids_collect, &ids, id, &pos, &e);
    if (total < 0) {
        web__error(rs, 400, "%s", e.msg);
        goto out;
    }
    struct json j;
    web__json_init(&j, rs);
    if (windowed) {
        json_object_begin(&j);
        json_key(&j, "total");
        json_int(&j, total);
        json_key(&j, "offset");
        json_uint(&j, offset);
        if (id) {
            json_key(&j, "index");
            json_int(&j, pos);
        }
        json_key(&j, "flows");
        flows_array(w, &j, &ids, rows);
        json_object_end(&j);
    } else {
        flows_array(w, &j, &ids, rows);
    }
    json_clear(&j);
out:
    free(ids.v);
    free(offset_s);
    free(limit_s);
    free(filter);
    free(order_s);
    free(reverse_s);
    free(id);
    free(list_s);
}

/* ---- flow files ---------------------------------------------------------------- */

/* GET /flows/dump[?filter=F][&format=har]: a flow file, or (ours) a HAR file. */
void
web__dump_get(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    char *filter = web__query(rq, "filter");
    char *format = web__query(rq, "format");
    int har = format && strcmp(format, "har") == 0;
    struct web_ids ids = {0};
    struct err e = {0};
    long total = -1;
    if (format && !har)
        web__error(rs, 400, "Unknown format: %s (flows or har)", format);
    else if ((total = store_select(w->store, filter, STORE_ORDER_TIME, 0, 0, 0, web__ids_collect,
                                   &ids, NULL, NULL, &e)) < 0)
        web__error(rs, 400, "Invalid filter argument / regex");
    free(filter);
    free(format);
    if (total < 0) {
        free(ids.v);
        return;
    }
    struct buf b = BUF_INIT;
    struct flow **flows = xcalloc(ids.n ? ids.n : 1, sizeof(*flows));
    size_t n = 0;
    for (size_t i = 0; i < ids.n; i++) {
        struct flow *f = store_get(w->store, ids.v[i], NULL);
        if (f == NULL)
            continue;
        if (har) {
            flows[n++] = f;
        } else {
            ffile_serialize(&b, f);
            flow_unref(f);
        }
    }
    free(ids.v);
    if (har)
        har_write(&b, flows, n, NULL);
    for (size_t i = 0; i < n; i++)
        flow_unref(flows[i]);
    free(flows);
    rs->status = 200;
    buf_move(&rs->body, &b);
    hdrs_set_cstr(&rs->headers, "Content-Type",
                  har ? "application/json" : "application/octet-stream");
    hdrs_set_cstr(&rs->headers, "Content-Disposition",
                  har ? "attachment; filename=flows.har" : "attachment; filename=flows");
}

/* DumpFlows.filecontents: the first file of a multipart upload, or the body. */
static void
file_contents(const struct web_req *rq, struct buf *out)
{
    const struct hdr *ct = hdrs_get(rq->headers, "Content-Type");
    const uint8_t *file = buf_ptr(rq->body);
    size_t len = rq->body->len;
    if (ct && strncmp(ct->value, "multipart/form-data", 19) == 0)
        web__upload_file(ct->value, ct->value_len, file, len, &file, &len);
    buf_set(out, file, len);
}

static void
load_done(void *arg, int rc, size_t nflows, const struct err *e)
{
    if (rc < 0)
        log_msg(LOG_ERROR, "%s", e->msg);
}

void
web__dump_post(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct buf data = BUF_INIT;
    file_contents(rq, &data);
    /* The store's loader reads files (in the background, flow files and
     * HAR alike): the upload becomes an unlinked temporary file. */
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/mitmweb-upload-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        buf_clear(&data);
        web__error(rs, 500, "Cannot store the upload.");
        return;
    }
    size_t done = 0;
    while (done < data.len) {
        ssize_t n = write(fd, (const char *)buf_ptr(&data) + done, data.len - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    close(fd);
    int complete = done == data.len;
    buf_clear(&data);
    store_clear(w->store);
    struct err e = {0};
    int rc = complete ? store_load(w->store, path, load_done, w, &e) : MP_ERR_IO;
    unlink(path);
    if (rc < 0)
        web__error(rs, 400, "%s", *e.msg ? e.msg : "Cannot store the upload.");
}

/* ---- one flow -------------------------------------------------------------------- */

/* The flow or a 404. One reference. */
static struct flow *
get_flow(struct web *w, const char *id, struct web_resp *rs)
{
    struct flow *f = store_get(w->store, id, NULL);
    if (f == NULL)
        web__error(rs, 404, "Flow not found.");
    return f;
}

/* Runs a command on one flow ("@id") or several; errors are 400. */
static void
run(struct web *w, struct web_resp *rs, const char *cmd, const char *spec)
{
    struct err e = {0};
    const char *argv[] = {spec};
    if (cmds_call(master_commands(w->master), cmd, argv, 1, NULL, &e) < 0)
        web__error(rs, 400, "%s", e.msg);
}

static void
one(struct web *w, struct web_resp *rs, const char *cmd, const char *id)
{
    struct flow *f = get_flow(w, id, rs);
    if (f == NULL)
        return;
    flow_unref(f);
    struct buf spec = BUF_INIT;
    buf_printf(&spec, "@%s", id);
    run(w, rs, cmd, web__cstr(&spec));
    buf_clear(&spec);
}

void
web__flow_resume(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    one(w, rs, "flow.resume", args[0]);
}

void
web__flow_kill(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    one(w, rs, "flow.kill", args[0]);
}

void
web__flow_revert(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    one(w, rs, "flow.revert", args[0]);
}

void
web__flow_replay(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    one(w, rs, "replay.client", args[0]);
}

/* GET /flows/<id> (ours): one whole flow, for the detail of a row that
 * came in the list-only shape. */
void
web__flow_get(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct flow *f = get_flow(w, args[0], rs);
    if (f == NULL)
        return;
    struct json j;
    web__json_init(&j, rs);
    web__flow_json(&j, f);
    json_clear(&j);
    flow_unref(f);
}

void
web__flow_delete(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    one(w, rs, "view.flows.remove", args[0]);
}

void
web__flow_duplicate(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct flow *f = get_flow(w, args[0], rs);
    if (f == NULL)
        return;
    struct flow *copy = flow_copy(f);
    flow_unref(f);
    store_add(w->store, copy);
    web__body(rs, "text/html; charset=UTF-8", copy->id, strlen(copy->id));
    flow_unref(copy);
}

/* Every intercepted (live, for kill) flow's id as one "@id,id" spec, or NULL. */
static char *
live_spec(struct web *w, int intercepted)
{
    struct buf spec = BUF_INIT;
    size_t n = store_view_len(w->store);
    for (size_t i = 0; i < n; i++) {
        struct store_info info;
        if (store_view_info(w->store, i, &info) < 0)
            continue;
        if (intercepted ? info.intercepted : info.live) {
            buf_append_str(&spec, spec.len ? "," : "@");
            buf_append_str(&spec, info.id);
        }
    }
    char *s = spec.len ? buf_strdup(&spec) : NULL;
    buf_clear(&spec);
    return s;
}

void
web__resume_all(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    char *spec = live_spec(w, 1);
    if (spec)
        run(w, rs, "flow.resume", spec);
    free(spec);
}

void
web__kill_all(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    char *spec = live_spec(w, 0);
    if (spec)
        run(w, rs, "flow.kill", spec);
    free(spec);
}

/* ---- edits ------------------------------------------------------------------------- */

static int
set_headers(struct hdrs *h, const struct jv *v, const char *what, struct err *e)
{
    if (v->type != JV_ARRAY)
        return err_set(e, MP_ERR_INVAL, "%s: expected a list of [name, value]", what);
    for (size_t i = 0; i < v->u.arr.n; i++) {
        const struct jv *kv = &v->u.arr.v[i];
        if (kv->type != JV_ARRAY || kv->u.arr.n != 2 || kv->u.arr.v[0].type != JV_STRING ||
            kv->u.arr.v[1].type != JV_STRING)
            return err_set(e, MP_ERR_INVAL, "%s: expected a list of [name, value]", what);
    }
    hdrs_clear(h);
    hdrs_init(h);
    for (size_t i = 0; i < v->u.arr.n; i++) {
        const struct jv *kv = &v->u.arr.v[i];
        hdrs_add(h, slice_from(kv->u.arr.v[0].u.str.p, kv->u.arr.v[0].u.str.len),
                 slice_from(kv->u.arr.v[1].u.str.p, kv->u.arr.v[1].u.str.len));
    }
    return 0;
}

static int
set_trailers(struct hdrs **t, const struct jv *v, struct err *e)
{
    struct hdrs tmp = HDRS_INIT;
    int rc = set_headers(&tmp, v, "trailers", e);
    if (rc < 0) {
        hdrs_clear(&tmp);
        return rc;
    }
    if (*t == NULL) {
        *t = xcalloc(1, sizeof(**t));
        hdrs_init(*t);
    }
    hdrs_clear(*t);
    **t = tmp;
    return 0;
}

/* A string field or the JSON's text for a number (mitmproxy's str(v)). */
static const char *
text_of(const struct jv *v, char tmp[32])
{
    if (v->type == JV_STRING)
        return v->u.str.p;
    if (v->type == JV_NUMBER && v->u.num.is_int) {
        snprintf(tmp, 32, "%lld", (long long)v->u.num.i);
        return tmp;
    }
    return NULL;
}

static int
int_of(const struct jv *v, long *out)
{
    if (v->type == JV_NUMBER && v->u.num.is_int) {
        *out = (long)v->u.num.i;
        return 0;
    }
    if (v->type == JV_STRING) {
        char *end;
        *out = strtol(v->u.str.p, &end, 10);
        return *v->u.str.p && *end == '\0' ? 0 : -1;
    }
    return -1;
}

static int
set_content(struct hdrs *h, struct buf *content, int *none, const struct jv *v, struct err *e)
{
    if (v->type != JV_STRING)
        return err_set(e, MP_ERR_INVAL, "content: expected a string");
    *none = 0;
    return enc_set_content(h, content, (const uint8_t *)v->u.str.p, v->u.str.len, e);
}

int
web__edit_request(struct http_request *r, const struct jv *obj, struct err *e)
{
    if (obj->type != JV_OBJECT)
        return err_set(e, MP_ERR_INVAL, "request: expected an object");
    for (size_t i = 0; i < obj->u.obj.n; i++) {
        const char *k = obj->u.obj.v[i].key;
        const struct jv *v = &obj->u.obj.v[i].value;
        char tmp[32];
        const char *s = text_of(v, tmp);
        long n;
        int rc = 0;
        if (strcmp(k, "method") == 0 && s)
            http_set_str(&r->method, s);
        else if (strcmp(k, "scheme") == 0 && s)
            http_set_str(&r->scheme, s);
        else if (strcmp(k, "host") == 0 && s)
            http_set_str(&r->host, s);
        else if (strcmp(k, "path") == 0 && s)
            http_set_str(&r->path, s);
        else if (strcmp(k, "http_version") == 0 && s)
            http_set_str(&r->http_version, s);
        else if (strcmp(k, "port") == 0) {
            if (int_of(v, &n) < 0 || n < 0 || n > 65535)
                return err_set(e, MP_ERR_INVAL, "Unknown update request.port: not a port");
            r->port = (uint16_t)n;
        } else if (strcmp(k, "headers") == 0)
            rc = set_headers(&r->headers, v, "headers", e);
        else if (strcmp(k, "trailers") == 0)
            rc = set_trailers(&r->trailers, v, e);
        else if (strcmp(k, "content") == 0)
            rc = set_content(&r->headers, &r->content, &r->content_none, v, e);
        else
            return err_set(e, MP_ERR_INVAL, "Unknown update request.%s", k);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int
edit_response(struct http_response *r, const struct jv *obj, struct err *e)
{
    if (obj->type != JV_OBJECT)
        return err_set(e, MP_ERR_INVAL, "response: expected an object");
    for (size_t i = 0; i < obj->u.obj.n; i++) {
        const char *k = obj->u.obj.v[i].key;
        const struct jv *v = &obj->u.obj.v[i].value;
        char tmp[32];
        const char *s = text_of(v, tmp);
        long n;
        int rc = 0;
        if (strcmp(k, "reason") == 0 && s)
            http_set_str(&r->reason, s);
        else if (strcmp(k, "http_version") == 0 && s)
            http_set_str(&r->http_version, s);
        else if (strcmp(k, "code") == 0 || strcmp(k, "status_code") == 0) {
            if (int_of(v, &n) < 0 || n < 0 || n > 999)
                return err_set(e, MP_ERR_INVAL, "Unknown update response.code: not a status");
            r->status_code = (int)n;
        } else if (strcmp(k, "headers") == 0)
            rc = set_headers(&r->headers, v, "headers", e);
        else if (strcmp(k, "trailers") == 0)
            rc = set_trailers(&r->trailers, v, e);
        else if (strcmp(k, "content") == 0)
            rc = set_content(&r->headers, &r->content, &r->content_none, v, e);
        else
            return err_set(e, MP_ERR_INVAL, "Unknown update response.%s", k);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void
web__flow_put(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct jv *doc = NULL;
    if (web__json_body(rq, rs, &doc) < 0)
        return;
    struct flow *f = get_flow(w, args[0], rs);
    if (f == NULL) {
        jv_free(doc);
        return;
    }
    struct err e = {0};
    int rc = 0;
    if (doc->type != JV_OBJECT)
        rc = err_set(&e, MP_ERR_INVAL, "Expected a JSON object.");
    if (rc == 0)
        flow_backup(f);
    for (size_t i = 0; rc == 0 && i < doc->u.obj.n; i++) {
        const char *k = doc->u.obj.v[i].key;
        const struct jv *v = &doc->u.obj.v[i].value;
        if (strcmp(k, "request") == 0 && f->type == FLOW_HTTP && f->request)
            rc = web__edit_request(f->request, v, &e);
        else if (strcmp(k, "response") == 0 && f->type == FLOW_HTTP && f->response)
            rc = edit_response(f->response, v, &e);
        else if (strcmp(k, "marked") == 0 &&
                 (v->type == JV_STRING || v->type == JV_TRUE || v->type == JV_FALSE)) {
            const char *m = v->type == JV_STRING ? v->u.str.p
                            : v->type == JV_TRUE ? ":default:"
                                                 : "";
            rc = store_set_marked(w->store, f->id, m);
        } else if (strcmp(k, "comment") == 0 && v->type == JV_STRING)
            rc = store_set_comment(w->store, f->id, v->u.str.p);
        else
            rc = err_set(&e, MP_ERR_INVAL, "Unknown update %s", k);
    }
    if (rc < 0) {
        /* mitmproxy's flow.revert(): a refused edit changes nothing. */
        flow_revert(f);
        web__error(rs, 400, "%s", *e.msg ? e.msg : "Invalid update.");
    }
    store_update(w->store, f);
    flow_unref(f);
    jv_free(doc);
}

/* ---- bodies ---------------------------------------------------------------------------- */

/* The flow's message named msg ("request" or "response"); 400 if none. */
static int
message_of(struct flow *f, const char *msg, struct hdrs **h, struct buf **content, int **none,
           const char **path, struct web_resp *rs)
{
    if (f->type != FLOW_HTTP || f->request == NULL) {
        web__error(rs, 400, "This flow has no %s.", msg);
        return -1;
    }
    *path = f->request->path;
    if (strcmp(msg, "request") == 0) {
        *h = &f->request->headers;
        *content = &f->request->content;
        *none = &f->request->content_none;
        return 0;
    }
    if (strcmp(msg, "response") == 0 && f->response) {
        *h = &f->response->headers;
        *content = &f->response->content;
        *none = &f->response->content_none;
        return 0;
    }
    web__error(rs, 400, "This flow has no %s.", msg);
    return -1;
}

static int
filename_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '"' || c == ' ' || c == '.' || c == '(' || c == ')' ||
           (unsigned char)c >= 0x80;
}

/* FlowContent.get's file name: Content-Disposition's, else the path's last
 * segment; only [-\w" .()] kept. */
static void
download_name(const struct hdrs *h, const char *path, struct buf *out)
{
    const struct hdr *cd = hdrs_get(h, "Content-Disposition");
    const char *src = NULL;
    size_t n = 0;
    if (cd) {
        const char *p = strstr(cd->value, "filename=");
        if (p) {
            src = p + 9;
            while (src[n] && filename_char(src[n]))
                n++;
        }
    }
    if (n == 0) {
        size_t end = strcspn(path, "?");
        size_t start = end;
        while (start > 0 && path[start - 1] != '/')
            start--;
        src = path + start;
        n = end - start;
    }
    for (size_t i = 0; i < n; i++)
        if (filename_char(src[i]))
            buf_append(out, &src[i], 1);
}

void
web__content_get(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct flow *f = get_flow(w, args[0], rs);
    if (f == NULL)
        return;
    struct hdrs *h;
    struct buf *content;
    int *none;
    const char *path;
    if (message_of(f, args[1], &h, &content, &none, &path, rs) == 0) {
        struct buf body = BUF_INIT;
        struct err e = {0};
        if (enc_decoded_content(h, content, &body, &e) < 0)
            buf_set(&body, buf_ptr(content), content->len); /* strict=False */
        struct buf cd = BUF_INIT;
        buf_append_str(&cd, "attachment; filename=");
        download_name(h, path, &cd);
        rs->status = 200;
        buf_move(&rs->body, &body);
        hdrs_set_cstr(&rs->headers, "Content-Type", "application/text");
        hdrs_set_cstr(&rs->headers, "Content-Disposition", web__cstr(&cd));
        buf_clear(&cd);
    }
    flow_unref(f);
}

void
web__content_post(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct flow *f = get_flow(w, args[0], rs);
    if (f == NULL)
        return;
    struct hdrs *h;
    struct buf *content;
    int *none;
    const char *path;
    if (message_of(f, args[1], &h, &content, &none, &path, rs) == 0) {
        struct buf data = BUF_INIT;
        file_contents(rq, &data);
        flow_backup(f);
        /* message_of's pointers survive the backup: it copies, it does not move. */
        struct err e = {0};
        *none = 0;
        if (enc_set_content(h, content, buf_ptr(&data), data.len, &e) < 0)
            web__error(rs, 400, "%s", e.msg);
        buf_clear(&data);
        store_update(w->store, f);
    }
    flow_unref(f);
}

static const char *
syntax_of(enum cv_view v)
{
    switch (v) {
    case CV_VIEW_JSON:
    case CV_VIEW_GRAPHQL:
        return "json";
    case CV_VIEW_XML_HTML:
        return "xml";
    case CV_VIEW_JAVASCRIPT:
        return "javascript";
    case CV_VIEW_CSS:
        return "css";
    default:
        return "none";
    }
}

/* message_to_json: text, view_name, syntax_highlight, description, and
 * 8.1.1's lines of [style, text] tokens. Returns the lines written. */
static size_t
render_json(struct json *j, struct cv_render *r, size_t max_lines, const struct ws_message *wm,
            const struct tcp_message *tm)
{
    struct cv_lines lines = CV_LINES_INIT;
    cv_render_all(r, &lines, max_lines);
    json_object_begin(j);
    struct buf text = BUF_INIT;
    for (size_t i = 0; i < lines.n; i++) {
        struct cv_line ln;
        cv_lines_get(&lines, i, &ln);
        if (i)
            buf_append_str(&text, "\n");
        buf_append(&text, ln.text, ln.len);
    }
    json_key(j, "text");
    json_bytes(j, buf_ptr(&text), text.len, JSON_UTF8);
    buf_clear(&text);
    json_key(j, "view_name");
    json_string(j, cv_view_name(cv_render_view(r)));
    json_key(j, "syntax_highlight");
    json_string(j, syntax_of(cv_render_view(r)));
    json_key(j, "description");
    json_string(j, cv_render_description(r) ? cv_render_description(r) : "");
    json_key(j, "lines");
    json_array_begin(j);
    for (size_t i = 0; i < lines.n; i++) {
        struct cv_line ln;
        cv_lines_get(&lines, i, &ln);
        json_array_begin(j);
        const char *p = ln.text;
        for (size_t t = 0; t < ln.ntok; t++) {
            json_array_begin(j);
            json_string(j, cv_style_name((enum cv_style)ln.tok[t].style));
            json_bytes(j, p, ln.tok[t].len, JSON_UTF8);
            p += ln.tok[t].len;
            json_array_end(j);
        }
        json_array_end(j);
    }
    json_array_end(j);
    if (wm || tm) {
        json_key(j, "from_client");
        json_bool(j, wm ? wm->from_client : tm->from_client);
        json_key(j, "timestamp");
        json_double(j, wm ? wm->timestamp : tm->timestamp);
    }
    json_object_end(j);
    size_t n = lines.n;
    cv_lines_clear(&lines);
    return n;
}

void
web__content_view(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct flow *f = get_flow(w, args[0], rs);
    if (f == NULL)
        return;
    const char *view = args[2];
    char *lines_s = web__query(rq, "lines");
    size_t max_lines = 0;
    if (lines_s && (parse_size(lines_s, &max_lines) < 0)) {
        free(lines_s);
        flow_unref(f);
        web__error(rs, 400, "lines: not a number");
        return;
    }
    free(lines_s);
    int messages = strcmp(args[1], "messages") == 0;
    size_t n = 0;
    struct hdrs *h;
    struct buf *content;
    int *none;
    const char *path;
    if (messages) {
        if (f->type == FLOW_HTTP && f->websocket)
            n = f->websocket->nmessages;
        else if (f->type == FLOW_TCP)
            n = f->nmessages;
        else {
            web__error(rs, 400, "This flow has no messages.");
            flow_unref(f);
            return;
        }
    } else if (message_of(f, args[1], &h, &content, &none, &path, rs) < 0) {
        flow_unref(f);
        return;
    }
    struct json j;
    web__json_init(&j, rs);
    if (messages) {
        json_array_begin(&j);
        size_t left = max_lines;
        for (size_t i = 0; i < n; i++) {
            const struct ws_message *wm = f->type == FLOW_HTTP ? &f->websocket->messages[i] : NULL;
            const struct tcp_message *tm = f->type == FLOW_TCP ? &f->messages[i] : NULL;
            const struct buf *c = wm ? &wm->content : &tm->content;
            struct cv_render *r = cv_render_bytes(view, f, buf_ptr(c), c->len);
            size_t got = render_json(&j, r, left, wm, tm);
            cv_render_free(r);
            if (max_lines) {
                if (got >= left)
                    break;
                left -= got;
            }
        }
        json_array_end(&j);
    } else {
        int req = strcmp(args[1], "request") == 0;
        struct cv_render *r =
            cv_render_message(view, f, req ? f->request : NULL, req ? NULL : f->response);
        render_json(&j, r, max_lines, NULL, NULL);
        cv_render_free(r);
    }
    json_clear(&j);
    flow_unref(f);
}
