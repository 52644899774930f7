/*
 * The route table of mitmweb's API (current mitmproxy's app.py handlers,
 * README.md lists them) and the handlers that are not about one flow
 * (flows.c has those). A route is a method and a path pattern whose
 * segments are literals or placeholders: ":id" a flow id, ":msg" request,
 * response or messages, ":any" one segment. A trailing ".json" is
 * optional, as in mitmproxy's patterns. Each segment is percent-decoded
 * on its own, so a content view named "XML/HTML" can be asked for as
 * "XML%2FHTML".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "contentviews/cv.h"
#include "http/url.h"
#include "master/master.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/json_parse.h"
#include "util/version.h"
#include "util/xmalloc.h"
#include "web/assets.h"
#include "web/internal.h"

#define MAX_SEGMENTS 8

/* mitmproxy 8.1.1's flowfilter.help, which our filter language is. */
static const char *const filter_help[][2] = {
    {"~a", "Match asset in response: CSS, JavaScript, images, fonts."},
    {"~all", "Match all flows"},
    {"~b regex", "Body"},
    {"~bq regex", "Request body"},
    {"~bs regex", "Response body"},
    {"~c int", "HTTP response code"},
    {"~comment regex", "Flow comment"},
    {"~d regex", "Domain"},
    {"~dns", "Match DNS flows"},
    {"~dst regex", "Match destination address"},
    {"~e", "Match error"},
    {"~h regex", "Header"},
    {"~hq regex", "Request header"},
    {"~hs regex", "Response header"},
    {"~http", "Match HTTP flows"},
    {"~m regex", "Method"},
    {"~marked", "Match marked flows"},
    {"~marker regex", "Match marked flows with specified marker"},
    {"~meta regex", "Flow metadata"},
    {"~q", "Match request with no response"},
    {"~replay", "Match replayed flows"},
    {"~replayq", "Match replayed client request"},
    {"~replays", "Match replayed server response"},
    {"~s", "Match response"},
    {"~src regex", "Match source address"},
    {"~t regex", "Content-type header"},
    {"~tcp", "Match TCP flows"},
    {"~tq regex", "Request Content-Type header"},
    {"~ts regex", "Response Content-Type header"},
    {"~u regex", "URL"},
    {"~websocket", "Match WebSocket flows"},
    {"!", "unary not"},
    {"&", "and"},
    {"|", "or"},
    {"(...)", "grouping"},
};

static void
filter_help_get(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct json j;
    web__json_init(&j, rs);
    json_object_begin(&j);
    json_key(&j, "commands");
    json_array_begin(&j);
    for (size_t i = 0; i < sizeof(filter_help) / sizeof(filter_help[0]); i++) {
        json_array_begin(&j);
        json_string(&j, filter_help[i][0]);
        json_string(&j, filter_help[i][1]);
        json_array_end(&j);
    }
    json_array_end(&j);
    json_object_end(&j);
    json_clear(&j);
}

/* ---- commands ------------------------------------------------------------- */

/* A command's parameters: names from its signature, types from how the
 * registry types each position of a command line (cmds_parse_partial). */
static void
command_json(struct json *j, struct cmds *c, const char *name)
{
    struct buf sig = BUF_INIT;
    cmds_signature(c, name, &sig);
    char *s = buf_strdup(&sig);
    buf_clear(&sig);
    char *arrow = strstr(s, " -> ");
    const char *ret = NULL;
    if (arrow) {
        *arrow = '\0';
        ret = arrow + 4;
    }
    /* The parameter names follow the command's name. */
    char *params[32];
    size_t np = 0;
    char *save = NULL;
    strtok_r(s, " ", &save);
    for (char *t = strtok_r(NULL, " ", &save); t && np < 32; t = strtok_r(NULL, " ", &save))
        params[np++] = t;
    struct buf line = BUF_INIT;
    buf_append_str(&line, name);
    for (size_t i = 0; i < np; i++)
        buf_append_str(&line, " x");
    struct cmds_part *parts = NULL;
    size_t nparts = cmds_parse_partial(c, web__cstr(&line), &parts, NULL);
    buf_clear(&line);

    json_object_begin(j);
    json_key(j, "help");
    json_string(j, cmds_help(c, name));
    json_key(j, "parameters");
    json_array_begin(j);
    size_t argi = 0;
    for (size_t i = 0; i < np; i++) {
        enum cmds_type type = CMDS_STR;
        /* Pieces: name, space, arg, space, arg ... */
        for (size_t k = 1, seen = 0; k < nparts; k++) {
            if (parts[k].type == CMDS_NONE)
                continue;
            if (seen++ == argi) {
                type = parts[k].type;
                break;
            }
        }
        argi++;
        int variadic = params[i][0] == '*';
        json_object_begin(j);
        json_key(j, "name");
        json_string(j, params[i] + variadic);
        json_key(j, "type");
        json_string(j, cmds_type_name(type));
        json_key(j, "kind");
        json_string(j, variadic ? "VAR_POSITIONAL" : "POSITIONAL_OR_KEYWORD");
        json_object_end(j);
    }
    json_array_end(j);
    json_key(j, "return_type");
    json_string(j, ret);
    struct buf full = BUF_INIT;
    cmds_signature(c, name, &full);
    json_key(j, "signature_help");
    json_bytes(j, buf_ptr(&full), full.len, JSON_UTF8);
    buf_clear(&full);
    json_object_end(j);
    free(parts);
    free(s);
}

static void
commands_get(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct cmds *c = master_commands(w->master);
    const char **names;
    size_t n = cmds_names(c, &names);
    struct json j;
    web__json_init(&j, rs);
    json_object_begin(&j);
    for (size_t i = 0; i < n; i++) {
        json_key(&j, names[i]);
        command_json(&j, c, names[i]);
    }
    json_object_end(&j);
    json_clear(&j);
}

/* A command's result as JSON (the types mitmproxy's json.dumps can take). */
static void
value_json(struct json *j, const struct cmds_value *v)
{
    switch (v->type) {
    case CMDS_NONE:
        json_null(j);
        return;
    case CMDS_INT:
        json_int(j, v->i);
        return;
    case CMDS_BOOL:
        json_bool(j, v->b);
        return;
    case CMDS_BYTES:
        json_bytes(j, v->s, v->len, JSON_UTF8);
        return;
    case CMDS_STRS:
    case CMDS_CUTSPEC:
        json_array_begin(j);
        for (size_t i = 0; i < v->strs.n; i++)
            json_string(j, v->strs.v[i]);
        json_array_end(j);
        return;
    case CMDS_FLOW:
        if (v->flow)
            web__flow_json(j, v->flow);
        else
            json_null(j);
        return;
    case CMDS_FLOWS:
        json_array_begin(j);
        for (size_t i = 0; i < v->flows.n; i++)
            web__flow_json(j, v->flows.v[i]);
        json_array_end(j);
        return;
    case CMDS_DATA:
        json_array_begin(j);
        for (size_t r = 0; r < v->data.rows; r++) {
            json_array_begin(j);
            for (size_t c = 0; c < v->data.cols; c++) {
                const struct buf *cell = &v->data.cells[r * v->data.cols + c];
                json_bytes(j, buf_ptr(cell), cell->len, JSON_UTF8);
            }
            json_array_end(j);
        }
        json_array_end(j);
        return;
    default:
        json_string(j, v->s);
        return;
    }
}

static void
command_post(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct jv *doc = NULL;
    struct err e = {0};
    const char **argv = NULL;
    size_t argc = 0;
    if (rq->body->len && json_parse(buf_ptr(rq->body), rq->body->len, NULL, &doc, &e) == 0) {
        const struct jv *a = jv_get(doc, "arguments");
        if (a && a->type == JV_ARRAY) {
            argv = xcalloc(a->u.arr.n ? a->u.arr.n : 1, sizeof(*argv));
            for (size_t i = 0; i < a->u.arr.n; i++)
                argv[argc++] = a->u.arr.v[i].type == JV_STRING ? a->u.arr.v[i].u.str.p : "";
        }
    }
    struct cmds_value ret = {0};
    struct json j;
    web__json_init(&j, rs);
    json_object_begin(&j);
    if (cmds_call(master_commands(w->master), args[0], argv, argc, &ret, &e) < 0) {
        json_key(&j, "error");
        json_string(&j, e.msg);
    } else {
        json_key(&j, "value");
        value_json(&j, &ret);
    }
    json_object_end(&j);
    json_clear(&j);
    cmds_value_clear(&ret);
    free(argv);
    jv_free(doc);
}

/* ---- events, options, state ---------------------------------------------------- */

static void
events_get(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct json j;
    web__json_init(&j, rs);
    json_array_begin(&j);
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < w->nevents; i++) {
        const struct web_event *ev = &w->events[(w->first + i) % WEB_EVENTS_SIZE];
        web__event_json(&j, ev->id, ev->level, ev->msg);
    }
    pthread_mutex_unlock(&w->lock);
    json_array_end(&j);
    json_clear(&j);
}

static void
options_get(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct json j;
    web__json_init(&j, rs);
    web__options_json(&j, master_options(w->master), NULL);
    json_clear(&j);
}

/* A JSON value as --set writes it ("true", "5", "a", "a" "b" for a list). */
static int
setting(struct buf *out, const char *name, const struct jv *v, struct err *e)
{
    buf_printf(out, "%s", name);
    switch (v->type) {
    case JV_NULL:
        return 0; /* "name" alone: None, or the flag's true */
    case JV_TRUE:
        buf_append_str(out, "=true");
        return 0;
    case JV_FALSE:
        buf_append_str(out, "=false");
        return 0;
    case JV_NUMBER:
        if (!v->u.num.is_int)
            return err_set(e, MP_ERR_INVAL, "%s: not an integer", name);
        buf_printf(out, "=%lld", (long long)v->u.num.i);
        return 0;
    case JV_STRING:
        buf_append_str(out, "=");
        buf_append(out, v->u.str.p, v->u.str.len);
        return 0;
    default:
        return err_set(e, MP_ERR_INVAL, "%s: unsupported value type %s", name,
                       jv_type_name(v->type));
    }
}

/*
 * PUT /options as 8.1.1's mitmweb answers it (optmanager.update): a bad
 * value changes nothing and says why; otherwise every option it knows is
 * set, and then names it does not know, an option of ours that this tool's
 * mitmproxy lacks (flow_detail, opt_unlist) among them, are a 400
 * "'Unknown options: a, b'" (str() of its KeyError, quotes and all).
 */
static void
options_put(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct jv *doc = NULL;
    struct err e = {0};
    if (web__json_body(rq, rs, &doc) < 0)
        return;
    if (doc->type != JV_OBJECT) {
        web__error(rs, 400, "Expected a JSON object of options.");
        jv_free(doc);
        return;
    }
    /* Sequences are set in two steps: reset, then each value added. */
    struct strv settings = {0};
    struct buf unknown = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < doc->u.obj.n; i++) {
        const struct jv_member *m = &doc->u.obj.v[i];
        const struct opt_info *info = opt_find(m->key);
        if (info == NULL || info->absent) {
            buf_printf(&unknown, "%s%s", unknown.len ? ", " : "", m->key);
            continue;
        }
        if (info->type == OPT_SEQ) {
            if (m->value.type != JV_ARRAY) {
                rc = err_set(&e, MP_ERR_INVAL, "%s: expected a list", m->key);
                break;
            }
            /* "name" unsets a sequence (--set name); values follow. */
            strv_push(&settings, m->key);
            for (size_t k = 0; rc == 0 && k < m->value.u.arr.n; k++) {
                struct buf s = BUF_INIT;
                rc = setting(&s, m->key, &m->value.u.arr.v[k], &e);
                if (rc == 0)
                    strv_push(&settings, web__cstr(&s));
                buf_clear(&s);
            }
            continue;
        }
        struct buf s = BUF_INIT;
        if (info->type == OPT_BOOL && m->value.type == JV_NULL)
            rc = err_set(&e, MP_ERR_INVAL, "%s: expected true or false", m->key);
        else
            rc = setting(&s, m->key, &m->value, &e);
        if (rc == 0)
            strv_push(&settings, web__cstr(&s));
        buf_clear(&s);
    }
    if (rc == 0 && settings.n)
        rc = master_set(w->master, (const char *const *)settings.v, settings.n, &e);
    if (rc < 0)
        web__error(rs, 400, "%s", e.msg);
    else if (unknown.len)
        web__error(rs, 400, "'Unknown options: %s'", web__cstr(&unknown));
    buf_clear(&unknown);
    strv_clear(&settings);
    jv_free(doc);
}

static void
nothing(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
}

static void
state_get(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct json j;
    web__json_init(&j, rs);
    json_object_begin(&j);
    /* Ours, as `--version` prints it first ("Mitmproxy: 0.1.0"): the
     * footer shows it as mitmweb shows its own. */
    json_key(&j, "version");
    json_string(&j, MP_VERSION);
    json_key(&j, "contentViews");
    json_array_begin(&j);
    for (int v = 0; v < cv_view_count(); v++)
        if (v != CV_VIEW_QUERY && cv_view_name((enum cv_view)v))
            json_string(&j, cv_view_name((enum cv_view)v));
    json_array_end(&j);
    json_key(&j, "servers");
    web__servers_json(&j, w, master_options(w->master));
    json_key(&j, "platform");
    json_string(&j, "linux");
    json_key(&j, "localModeUnavailable");
    json_string(&j, "Local mode is not supported by mitmproxy-c.");
    json_object_end(&j);
    json_clear(&j);
}

static void
clear_post(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    store_clear(w->store);
    web__events_clear(w);
}

/* ---- the app ------------------------------------------------------------- */

static int
serve_asset(struct web_req *rq, struct web_resp *rs)
{
    const struct web_asset *a = web_asset_find(rq->path);
    if (a == NULL)
        return 0;
    web__body(rs, a->content_type, a->data, a->len);
    return 1;
}

/* ---- routing -------------------------------------------------------------- */

static const struct web_route routes[] = {
    {"GET", "/filter-help", filter_help_get},
    {"GET", "/commands", commands_get},
    {"POST", "/commands/:any", command_post},
    {"GET", "/events", events_get},
    {"GET", "/flows", web__flows_get},
    {"GET", "/flows/dump", web__dump_get},
    {"POST", "/flows/dump", web__dump_post},
    {"POST", "/flows/resume", web__resume_all},
    {"POST", "/flows/kill", web__kill_all},
    {"POST", "/flows/resend", web__flows_resend},
    {"PUT", "/flows/:id", web__flow_put},
    {"GET", "/flows/:id", web__flow_get},
    {"DELETE", "/flows/:id", web__flow_delete},
    {"POST", "/flows/:id/resume", web__flow_resume},
    {"POST", "/flows/:id/kill", web__flow_kill},
    {"POST", "/flows/:id/duplicate", web__flow_duplicate},
    {"POST", "/flows/:id/replay", web__flow_replay},
    {"POST", "/flows/:id/revert", web__flow_revert},
    {"GET", "/flows/:id/:msg/content.data", web__content_get},
    {"POST", "/flows/:id/:msg/content.data", web__content_post},
    {"GET", "/flows/:id/:msg/content/:any", web__content_view},
    {"POST", "/clear", clear_post},
    {"GET", "/options", options_get},
    {"PUT", "/options", options_put},
    {"POST", "/options/save", nothing},
    {"GET", "/state", state_get},
};

static int
flow_id_chars(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || *s == '-'))
            return 0;
    return 1;
}

/* Whether segs match the pattern; placeholders' values go to args. */
static int
match(const char *pattern, char **segs, size_t nsegs, char **args, size_t *nargs)
{
    size_t i = 0;
    *nargs = 0;
    const char *p = pattern + 1;
    while (*p || i < nsegs) {
        if (*p == '\0' || i == nsegs)
            return 0;
        size_t len = strcspn(p, "/");
        const char *seg = segs[i];
        if (len == 3 && memcmp(p, ":id", 3) == 0) {
            if (!flow_id_chars(seg))
                return 0;
            args[(*nargs)++] = (char *)seg;
        } else if (len == 4 && memcmp(p, ":msg", 4) == 0) {
            if (strcmp(seg, "request") != 0 && strcmp(seg, "response") != 0 &&
                strcmp(seg, "messages") != 0)
                return 0;
            args[(*nargs)++] = (char *)seg;
        } else if (len == 4 && memcmp(p, ":any", 4) == 0) {
            if (*seg == '\0')
                return 0;
            args[(*nargs)++] = (char *)seg;
        } else if (strlen(seg) != len || memcmp(p, seg, len) != 0) {
            return 0;
        }
        p += len;
        if (*p == '/')
            p++;
        i++;
    }
    return 1;
}

void
web__route(struct web *w, struct web_req *rq, struct web_resp *rs)
{
    int get = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
    if (get && serve_asset(rq, rs))
        return;
    /* Split into decoded segments; a trailing ".json" is optional. */
    char *segs[MAX_SEGMENTS];
    size_t nsegs = 0;
    const char *p = rq->path + 1;
    int too_many = 0;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (nsegs == MAX_SEGMENTS) {
            too_many = 1;
            break;
        }
        struct buf b = BUF_INIT;
        http_unquote(&b, p, len, 0);
        segs[nsegs++] = buf_strdup(&b);
        buf_clear(&b);
        p += len;
        if (*p == '/')
            p++;
    }
    if (nsegs) {
        char *last = segs[nsegs - 1];
        size_t n = strlen(last);
        if (n > 5 && strcmp(last + n - 5, ".json") == 0)
            last[n - 5] = '\0';
    }
    int path_found = 0;
    for (size_t i = 0; !too_many && i < sizeof(routes) / sizeof(routes[0]); i++) {
        char *args[4];
        size_t nargs;
        if (!match(routes[i].pattern, segs, nsegs, args, &nargs))
            continue;
        path_found = 1;
        const char *m = strcmp(rq->method, "HEAD") == 0 ? "GET" : rq->method;
        if (strcmp(routes[i].method, m) != 0)
            continue;
        routes[i].fn(w, rq, rs, args);
        path_found = 2;
        break;
    }
    for (size_t i = 0; i < nsegs; i++)
        free(segs[i]);
    if (path_found == 1)
        web__error(rs, 405, NULL);
    else if (path_found == 0)
        web__error(rs, 404, NULL);
}

int
web__json_body(struct web_req *rq, struct web_resp *rs, struct jv **out)
{
    const struct hdr *ct = hdrs_get(rq->headers, "Content-Type");
    if (ct == NULL || strncmp(ct->value, "application/json", 16) != 0)
        return -web__error(rs, 400, "Invalid Content-Type, expected application/json.");
    struct err e = {0};
    struct json_limits lim = {.max_size = 64u << 20, .max_depth = 64};
    if (json_parse(buf_ptr(rq->body), rq->body->len, &lim, out, &e) < 0)
        return -web__error(rs, 400, "Malformed JSON: %s", e.msg);
    return 0;
}
