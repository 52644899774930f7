/*
 * The server playback addon. mitmproxy keys its flow map with a SHA-256 of
 * the repr() of a list; we build the same list as a byte string instead
 * (each item tagged and length-prefixed, so no two lists serialize alike)
 * and compare those. A replay file holds few enough flows that a linear
 * search over the groups costs nothing next to a request.
 *
 * Refreshing follows http.py's Response.refresh() and cookies.py's
 * refresh_set_cookie_header(), including their quirks (a Set-Cookie is
 * re-serialized, so a flag attribute like HttpOnly comes out as
 * "HttpOnly="), so a replayed response has the bytes mitmproxy sends.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addons/serverplayback.h"
#include "commands/commands.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "http/cookies.h"
#include "http/date.h"
#include "http/forms.h"
#include "http/url.h"
#include "options/opt.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* The recorded flows sharing one key, oldest first; v[head..n) are left. */
struct group {
    struct buf key;
    struct flow **v; /* one reference each */
    size_t head, n, cap;
};

struct serverplayback {
    struct addon base;
    int configured; /* server_replay files are loaded */
    /* The matching options of the last configure. */
    struct strv use_headers;
    struct strv ignore_params;
    struct strv ignore_payload_params;
    int ignore_content, ignore_host, ignore_port;
    int kill_extra, nopop, refresh;
    struct group *groups;
    size_t ngroups, capgroups;
    serverplayback_drained_cb drained;
    void *drained_arg;
    int drained_fired;
};

/* ---- URL and form parsing ---- */

/*
 * The path and query of urlparse(request.url): the fragment goes first,
 * then the query, then ";params" of the last path segment.
 */
static void
split_path(const char *full, struct slice *path, struct slice *query)
{
    size_t n = strcspn(full, "#");
    size_t q = strcspn(full, "?");
    *query = (struct slice){NULL, 0};
    if (q < n) {
        *query = slice_from(full + q + 1, n - q - 1);
        n = q;
    }
    const char *slash = NULL;
    for (size_t i = 0; i < n; i++)
        if (full[i] == '/')
            slash = full + i;
    const char *from = slash ? slash : full;
    const char *semi = memchr(from, ';', n - (size_t)(from - full));
    if (semi)
        n = (size_t)(semi - full);
    *path = slice_from(full, n);
}

/* ---- the key ---- */

static void
key_add(struct buf *k, char tag, const void *p, size_t n)
{
    buf_printf(k, "%c%zu:", tag, n);
    buf_append(k, p, n);
}

static void
key_add_str(struct buf *k, char tag, const char *s)
{
    key_add(k, tag, s, strlen(s));
}

static int
strv_has(const struct strv *v, struct slice s)
{
    for (size_t i = 0; i < v->n; i++)
        if (strlen(v->v[i]) == s.len && memcmp(v->v[i], s.p, s.len) == 0)
            return 1;
    return 0;
}

/* The fields of f not named in ignore, each name and value tagged. */
static void
add_fields(struct buf *k, const struct form *f, const struct strv *ignore, char tag)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct form_field *fl = &f->v[i];
        if (strv_has(ignore, slice_from(fl->name, fl->name_len)))
            continue;
        key_add(k, tag, fl->name, fl->name_len);
        key_add(k, tag, fl->value, fl->value_len);
    }
}

/* All values of a header joined with ", " (Headers.__getitem__); NULL if absent. */
static char *
header_joined(const struct hdrs *h, const char *name)
{
    int i = hdrs_find(h, name, 0);
    if (i < 0)
        return NULL;
    struct buf b = BUF_INIT;
    buf_append(&b, h->v[i].value, h->v[i].value_len);
    while ((i = hdrs_find(h, name, (size_t)i + 1)) >= 0) {
        buf_append_str(&b, ", ");
        buf_append(&b, h->v[i].value, h->v[i].value_len);
    }
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

/* Whether the Content-Type, lower-cased, contains what. */
static int
ctype_has(const struct http_request *r, const char *what)
{
    char *ct = header_joined(&r->headers, "content-type");
    if (ct == NULL)
        return 0;
    for (char *c = ct; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    int found = strstr(ct, what) != NULL;
    free(ct);
    return found;
}

/*
 * multipart.decode() of the request's body as serverplayback sees it: no
 * fields for a body that is None or a form mitmproxy refuses.
 */
static void
multipart_fields(const struct http_request *r, struct form *out)
{
    char *ct = header_joined(&r->headers, "content-type");
    if (ct && !r->content_none &&
        form_parse_multipart(ct, strlen(ct), buf_ptr(&r->content), r->content.len, out, NULL) < 0)
        form_clear(out);
    free(ct);
}

/* Request.pretty_host: the Host header's (or an HTTP/2 :authority's) host, else host. */
static char *
pretty_host(const struct http_request *r)
{
    char *auth = NULL;
    if (strcmp(r->http_version, "HTTP/2.0") == 0 && r->authority[0])
        auth = xstrdup(r->authority);
    else
        auth = header_joined(&r->headers, "host");
    if (auth == NULL || auth[0] == '\0') {
        free(auth);
        return xstrdup(r->host);
    }
    /* url.parse_authority(check=False): host[:port] or [v6][:port]; else all of it. */
    struct slice host;
    int port;
    if (http_hostport_parse(auth, strlen(auth), 0, &host, &port, NULL) < 0)
        return auth;
    char *h = slice_strdup(host);
    free(auth);
    return h;
}

/* ServerPlayback._hash as a comparable byte string. */
static void
make_key(const struct serverplayback *sp, const struct http_request *r, struct buf *k)
{
    struct slice path, query;
    split_path(r->path, &path, &query);
    key_add_str(k, 's', r->scheme);
    key_add_str(k, 'm', r->method);
    key_add(k, 'p', path.p, path.len);

    if (!sp->ignore_content) {
        int done = 0;
        if (sp->ignore_payload_params.n && ctype_has(r, "multipart/form-data")) {
            struct form f = {0};
            multipart_fields(r, &f);
            add_fields(k, &f, &sp->ignore_payload_params, 'M');
            done = f.n > 0;
            form_clear(&f);
        }
        if (!done && sp->ignore_payload_params.n && !r->content_none &&
            ctype_has(r, "application/x-www-form-urlencoded")) {
            struct form f = {0};
            form_parse_urlencoded((const char *)buf_ptr(&r->content), r->content.len, &f);
            add_fields(k, &f, &sp->ignore_payload_params, 'U');
            done = f.n > 0;
            form_clear(&f);
        }
        if (!done) {
            if (r->content_none)
                key_add(k, 'N', "", 0);
            else
                key_add(k, 'c', buf_ptr(&r->content), r->content.len);
        }
    }
    if (!sp->ignore_host) {
        char *h = pretty_host(r);
        key_add_str(k, 'h', h);
        free(h);
    }
    if (!sp->ignore_port)
        buf_printf(k, "P%u;", (unsigned)r->port);

    struct form q = {0};
    form_parse_urlencoded((const char *)query.p, query.len, &q);
    add_fields(k, &q, &sp->ignore_params, 'q');
    form_clear(&q);

    for (size_t i = 0; i < sp->use_headers.n; i++) {
        char *v = header_joined(&r->headers, sp->use_headers.v[i]);
        key_add_str(k, 'H', sp->use_headers.v[i]);
        if (v)
            key_add_str(k, 'v', v);
        else
            key_add(k, 'N', "", 0);
        free(v);
    }
}

/* ---- the flow map ---- */

static struct group *
find_group(struct serverplayback *sp, const struct buf *key)
{
    for (size_t i = 0; i < sp->ngroups; i++) {
        struct group *g = &sp->groups[i];
        if (g->head < g->n && g->key.len == key->len &&
            memcmp(buf_ptr(&g->key), buf_ptr(key), key->len) == 0)
            return g;
    }
    return NULL;
}

void
serverplayback_clear(struct addon *a)
{
    struct serverplayback *sp = (struct serverplayback *)a;
    for (size_t i = 0; i < sp->ngroups; i++) {
        struct group *g = &sp->groups[i];
        for (size_t j = g->head; j < g->n; j++)
            flow_unref(g->v[j]);
        free(g->v);
        buf_clear(&g->key);
    }
    free(sp->groups);
    sp->groups = NULL;
    sp->ngroups = sp->capgroups = 0;
}

void
serverplayback_load(struct addon *a, struct flow *const *flows, size_t n)
{
    struct serverplayback *sp = (struct serverplayback *)a;
    serverplayback_clear(a);
    for (size_t i = 0; i < n; i++) {
        struct flow *f = flows[i];
        if (f->type != FLOW_HTTP || f->request == NULL)
            continue;
        struct buf key = BUF_INIT;
        make_key(sp, f->request, &key);
        struct group *g = find_group(sp, &key);
        if (g == NULL) {
            if (sp->ngroups == sp->capgroups) {
                sp->capgroups = sp->capgroups ? sp->capgroups * 2 : 8;
                sp->groups = xrealloc(sp->groups, sp->capgroups * sizeof(*sp->groups));
            }
            g = &sp->groups[sp->ngroups++];
            *g = (struct group){.key = BUF_INIT};
            buf_move(&g->key, &key);
        }
        buf_clear(&key);
        if (g->n == g->cap) {
            g->cap = g->cap ? g->cap * 2 : 4;
            g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
        }
        g->v[g->n++] = flow_ref(f);
    }
}

size_t
serverplayback_count(const struct addon *a)
{
    const struct serverplayback *sp = (const struct serverplayback *)a;
    size_t n = 0;
    for (size_t i = 0; i < sp->ngroups; i++)
        n += sp->groups[i].n - sp->groups[i].head;
    return n;
}

/*
 * ServerPlayback.next_flow: with nopop the first recorded flow of the key
 * that has a response (borrowed, ref taken for symmetry); otherwise the
 * oldest one with a response, taken off the list together with any
 * response-less ones before it. Returns a reference, or NULL.
 */
static struct flow *
next_flow(struct serverplayback *sp, const struct http_request *r)
{
    struct buf key = BUF_INIT;
    make_key(sp, r, &key);
    struct group *g = find_group(sp, &key);
    buf_clear(&key);
    if (g == NULL)
        return NULL;
    if (sp->nopop) {
        for (size_t j = g->head; j < g->n; j++)
            if (g->v[j]->response)
                return flow_ref(g->v[j]);
        return NULL;
    }
    while (g->head < g->n) {
        struct flow *f = g->v[g->head++];
        if (f->response)
            return f;
        flow_unref(f);
    }
    return NULL;
}

/* ---- refreshing ---- */

/* The date t + delta as formatdate() writes it (malloc'd), or NULL when
 * the text is not a date or the result is past what Python can write. */
static char *
shift_date(const char *text, size_t n, double delta)
{
    double t;
    struct buf d = BUF_INIT;
    char *s = NULL;
    if (http_date_parse(text, n, &t, NULL) == 0 && http_date_format(t + delta, &d) == 0)
        s = buf_strdup(&d);
    buf_clear(&d);
    return s;
}

/*
 * refresh_set_cookie_header(): returns the new value (malloc'd), or NULL
 * when the header is left as it was (mitmproxy's ValueError: a cookie
 * without name or value, or an expiry it cannot write).
 */
static char *
refresh_cookie(const char *value, size_t len, double delta)
{
    struct cookies cs = {0};
    cookies_parse_set(value, len, &cs);
    char *res = NULL;
    for (size_t i = 0; i < cs.n; i++) {
        struct cookie *c = &cs.v[i];
        if (c->kv.name_len == 0 || c->kv.value_len == 0)
            goto out;
        const struct cookie_pair *exp = cookie_attr(c, "expires");
        if (exp == NULL)
            continue;
        double t;
        if (http_date_parse(exp->value, exp->value_len, &t, NULL) < 0) {
            /* An expiry that is not a date is dropped, as mitmproxy does. */
            cookie_attr_del(c, "expires");
            continue;
        }
        char *date = shift_date(exp->value, exp->value_len, delta);
        if (date == NULL)
            goto out;
        cookie_attr_set(c, "expires", date);
        free(date);
    }
    struct buf b = BUF_INIT;
    cookies_format_set(&b, &cs);
    res = buf_strdup(&b);
    buf_clear(&b);
out:
    cookies_clear(&cs);
    return res;
}

void
serverplayback_refresh(struct http_response *r, double now)
{
    static const char *const names[] = {"date", "expires", "last-modified"};
    double delta = now - r->timestamp_start;
    for (size_t i = 0; i < 3; i++) {
        char *v = header_joined(&r->headers, names[i]);
        char *date = v ? shift_date(v, strlen(v), delta) : NULL;
        if (date)
            hdrs_set_cstr(&r->headers, names[i], date);
        free(date);
        free(v);
    }
    for (size_t i = 0; i < r->headers.n; i++) {
        struct hdr *h = &r->headers.v[i];
        if (strcasecmp(h->name, "set-cookie") != 0)
            continue;
        char *nv = refresh_cookie(h->value, h->value_len, delta);
        if (nv == NULL)
            continue;
        free(h->value);
        h->value = nv;
        h->value_len = strlen(nv);
    }
}

/* ---- the addon ---- */

static void
copy_strv(struct strv *dst, const struct strv *src)
{
    strv_clear(dst);
    for (size_t i = 0; i < src->n; i++)
        strv_push(dst, src->v[i]);
}

/* Reads every flow of every file first, so a bad file changes nothing. */
static int
load_files(struct serverplayback *sp, const struct strv *paths, struct err *e)
{
    struct flow **flows = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < paths->n && rc == 0; i++) {
        struct ffile_reader *r = ffile_reader_open(paths->v[i], e);
        if (r == NULL) {
            rc = MP_ERR_IO;
            break;
        }
        struct flow *f;
        int got;
        while ((got = ffile_read(r, &f, e)) == 1) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                flows = xrealloc(flows, cap * sizeof(*flows));
            }
            flows[n++] = f;
        }
        if (got < 0)
            rc = got;
        ffile_reader_free(r);
    }
    if (rc == 0)
        serverplayback_load(&sp->base, flows, n);
    for (size_t i = 0; i < n; i++)
        flow_unref(flows[i]);
    free(flows);
    return rc;
}

/* The flows not yet served, filed again under keys made with the current
 * matching options. */
static void
rekey(struct serverplayback *sp)
{
    size_t n = 0;
    for (size_t i = 0; i < sp->ngroups; i++)
        n += sp->groups[i].n - sp->groups[i].head;
    struct flow **flows = xcalloc(n ? n : 1, sizeof(*flows));
    size_t k = 0;
    for (size_t i = 0; i < sp->ngroups; i++)
        for (size_t j = sp->groups[i].head; j < sp->groups[i].n; j++)
            flows[k++] = flow_ref(sp->groups[i].v[j]);
    serverplayback_load(&sp->base, flows, n);
    for (size_t i = 0; i < n; i++)
        flow_unref(flows[i]);
    free(flows);
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct serverplayback *sp = (struct serverplayback *)a;
    copy_strv(&sp->use_headers, &o->server_replay_use_headers);
    copy_strv(&sp->ignore_params, &o->server_replay_ignore_params);
    copy_strv(&sp->ignore_payload_params, &o->server_replay_ignore_payload_params);
    sp->ignore_content = o->server_replay_ignore_content;
    sp->ignore_host = o->server_replay_ignore_host;
    sp->ignore_port = o->server_replay_ignore_port;
    sp->kill_extra = o->server_replay_kill_extra;
    sp->nopop = o->server_replay_nopop;
    sp->refresh = o->server_replay_refresh;
    /* As serverplayback.py: a new server_replay replaces what was loaded
     * (an empty one clears it); other changes keep the recorded flows, filed
     * under keys that follow the new matching options. */
    if (!OPT_CHANGED(updated, server_replay)) {
        if (OPT_CHANGED(updated, server_replay_use_headers) ||
            OPT_CHANGED(updated, server_replay_ignore_params) ||
            OPT_CHANGED(updated, server_replay_ignore_payload_params) ||
            OPT_CHANGED(updated, server_replay_ignore_content) ||
            OPT_CHANGED(updated, server_replay_ignore_host) ||
            OPT_CHANGED(updated, server_replay_ignore_port))
            rekey(sp);
        return 0;
    }
    if (updated == NULL && o->server_replay.n == 0)
        return 0;
    if (o->server_replay.n == 0) {
        serverplayback_load(&sp->base, NULL, 0);
        sp->configured = 0;
        return 0;
    }
    int rc = load_files(sp, &o->server_replay, e);
    if (rc == 0)
        sp->configured = 1;
    return rc;
}

static void
fire_drained(struct serverplayback *sp)
{
    if (sp->drained == NULL || sp->drained_fired)
        return;
    sp->drained_fired = 1;
    sp->drained(sp->drained_arg);
}

void
serverplayback_wire(struct addon *a, serverplayback_drained_cb drained, void *arg)
{
    struct serverplayback *sp = (struct serverplayback *)a;
    sp->drained = drained;
    sp->drained_arg = arg;
}

static void
running(struct addon *a)
{
    struct serverplayback *sp = (struct serverplayback *)a;
    if (sp->configured && serverplayback_count(a) == 0)
        fire_drained(sp);
}

static enum addon_result
on_request(struct addon *a, struct hook_call *call)
{
    struct serverplayback *sp = (struct serverplayback *)a;
    struct flow *f = call->data->flow;
    /* mitmproxy acts only while its map holds something: once every
     * recorded flow is served, even kill_extra lets requests through. */
    if (f == NULL || f->type != FLOW_HTTP || f->request == NULL || serverplayback_count(a) == 0)
        return ADDON_CONTINUE;
    struct flow *rf = next_flow(sp, f->request);
    if (rf) {
        struct http_response *resp = http_response_copy(rf->response);
        flow_unref(rf);
        if (sp->refresh)
            serverplayback_refresh(resp, clock_now());
        if (f->response)
            http_response_free(f->response);
        f->response = resp;
        f->is_replay = "response";
        if (serverplayback_count(a) == 0)
            fire_drained(sp);
    } else if (sp->kill_extra) {
        char *url = http_request_url(f->request);
        log_msg(LOG_WARN, "server_playback: killed non-replay request %s", url);
        free(url);
        flow_kill(f);
    }
    return ADDON_CONTINUE;
}

static void
sp_free(struct addon *a)
{
    struct serverplayback *sp = (struct serverplayback *)a;
    serverplayback_clear(a);
    strv_clear(&sp->use_headers);
    strv_clear(&sp->ignore_params);
    strv_clear(&sp->ignore_payload_params);
    free(sp);
}

static int
cmd_replay(void *arg, struct cmds_call *c, struct err *e)
{
    (void)e;
    struct addon *a = arg;
    const struct cmds_flows *fl = &cmds_arg(c, 0)->flows;
    serverplayback_load(a, fl->v, fl->n);
    addon_trigger_update(a->chain, NULL, 0);
    return 0;
}

static int
cmd_replay_file(void *arg, struct cmds_call *c, struct err *e)
{
    struct serverplayback *sp = arg;
    struct strv one = {0};
    strv_push(&one, cmds_arg(c, 0)->s);
    int rc = load_files(sp, &one, e);
    strv_clear(&one);
    if (rc == 0)
        addon_trigger_update(sp->base.chain, NULL, 0);
    return rc;
}

static int
cmd_replay_stop(void *arg, struct cmds_call *c, struct err *e)
{
    (void)c;
    (void)e;
    struct addon *a = arg;
    serverplayback_clear(a);
    addon_trigger_update(a->chain, NULL, 0);
    return 0;
}

static int
cmd_replay_count(void *arg, struct cmds_call *c, struct err *e)
{
    (void)e;
    cmds_return_int(c, (long)serverplayback_count(arg));
    return 0;
}

static int
sp_commands(struct addon *a, struct cmds *cmds, struct err *e)
{
    static const struct cmds_param flows_p[] = {{"flows", CMDS_FLOWS, 0, NULL}};
    static const struct cmds_param path_p[] = {{"path", CMDS_PATH, 0, NULL}};
    int rc = cmds_add(cmds, "replay.server", "Replay server responses from flows.", flows_p, 1,
                      CMDS_NONE, cmd_replay, a, e);
    if (rc == 0)
        rc = cmds_add(cmds, "replay.server.count", NULL, NULL, 0, CMDS_INT, cmd_replay_count, a,
                      e);
    if (rc == 0)
        rc = cmds_add(cmds, "replay.server.file", NULL, path_p, 1, CMDS_NONE, cmd_replay_file, a,
                      e);
    if (rc == 0)
        rc = cmds_add(cmds, "replay.server.stop", "Stop server replay.", NULL, 0, CMDS_NONE,
                      cmd_replay_stop, a, e);
    return rc;
}

/* While recorded flows wait, a loaded request may be answered from them
 * (8.1.1 does that too). */
static int
acts_on_loaded(struct addon *a)
{
    return serverplayback_count(a) > 0;
}

static const struct addon_ops serverplayback_ops = {
    .name = "serverplayback",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .running = running,
    .free = sp_free,
    .commands = sp_commands,
    .hooks = {[HOOK_REQUEST] = on_request},
};

struct addon *
addon_serverplayback_new(void)
{
    struct serverplayback *sp = xcalloc(1, sizeof(*sp));
    sp->base.ops = &serverplayback_ops;
    /* server_replay_refresh defaults to true. */
    sp->refresh = 1;
    return &sp->base;
}
