/*
 * mitmweb's server without sockets: requests are fed to its connection
 * layer as bytes (as the driver would), and what it sends back is read
 * from the commands it emits. The master behind it has no proxy (server
 * false), a flow store, and the web addon, as build/mitmweb has them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/addon.h"
#include "flow/flow.h"
#include "http/ws.h"
#include "master/master.h"
#include "options/opt.h"
#include "proxy/context.h"
#include "proxy/layer.h"
#include "store/store.h"
#include "util/json_parse.h"
#include "util/log.h"
#include "web/internal.h"
#include "web/web.h"

struct tweb {
    struct master *m;
    struct store *s;
    struct web *w;
    struct connection *client;
    struct context *ctx;
    struct layer *l;
    struct buf sent; /* every byte the layer sent */
    uint64_t wakeup; /* the pending wakeup's id, 0 for none */
    int closed;
};

static void
tweb_start(struct tweb *t)
{
    struct err e = {0};
    memset(t, 0, sizeof(*t));
    log_set_level(LOG_ERROR);
    ASSERT_EQ(store_register_options(&e), 0);
    ASSERT_EQ(web_register_options(&e), 0);
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    ASSERT_EQ(opt_set_arg(o, "keepserving=true", &e), 0);
    t->m = master_new(o);
    t->s = master_enable_store(t->m, &e);
    ASSERT(t->s != NULL);
    t->w = web_new(t->m, t->s);
    master_add_addon(t->m, web_addon(t->w));
    if (master_configure(t->m, &e) < 0)
        test_fail(__FILE__, __LINE__, "configure: %s", e.msg);
    snprintf(t->w->cookie_name, sizeof(t->w->cookie_name), "mitmproxy-auth-8081");
    t->w->loopback = 1;
    buf_init(&t->sent);
}

static void
tweb_connect(struct tweb *t)
{
    t->client = connection_new(CONN_CLIENT);
    t->client->state = CONN_OPEN;
    t->ctx = context_new(t->client, NULL);
    t->l = web__conn_new(t->ctx, t->w);
    t->closed = 0;
    t->wakeup = 0;
}

static void
run(struct tweb *t, struct cmdq *q)
{
    struct command *c;
    while ((c = cmdq_pop(q))) {
        if (c->type == CMD_SEND)
            buf_append(&t->sent, buf_ptr(&c->data), c->data.len);
        else if (c->type == CMD_CLOSE)
            t->closed = 1;
        else if (c->type == CMD_WAKEUP)
            t->wakeup = c->id;
        cmd_free(c);
    }
}

static void
feed(struct tweb *t, const char *bytes, size_t n)
{
    struct cmdq q;
    cmdq_init(&q);
    struct event ev = {.type = EV_DATA, .conn = t->client, .data = slice_from(bytes, n)};
    layer_feed(t->l, &ev, &q);
    run(t, &q);
}

static void
tick(struct tweb *t)
{
    ASSERT(t->wakeup != 0);
    struct cmdq q;
    cmdq_init(&q);
    struct event ev = {.type = EV_WAKEUP, .cmd_id = t->wakeup};
    t->wakeup = 0;
    layer_feed(t->l, &ev, &q);
    run(t, &q);
}

static void
tweb_disconnect(struct tweb *t)
{
    if (t->l) {
        layer_free(t->l);
        context_free(t->ctx);
        connection_unref(t->client);
        t->l = NULL;
    }
}

static void
tweb_stop(struct tweb *t)
{
    tweb_disconnect(t);
    addon_chain_done(master_chain(t->m));
    master_free(t->m);
    web_free(t->w);
    buf_clear(&t->sent);
}

/* One request on a new connection; the whole answer as a string (malloc'd). */
static char *
request(struct tweb *t, const char *raw)
{
    tweb_disconnect(t);
    tweb_connect(t);
    buf_reset(&t->sent);
    feed(t, raw, strlen(raw));
    return buf_strdup(&t->sent);
}

static int
status_of(const char *resp)
{
    int s = 0;
    sscanf(resp, "HTTP/1.1 %d", &s);
    return s;
}

static const char *
body_of(const char *resp)
{
    const char *p = strstr(resp, "\r\n\r\n");
    return p ? p + 4 : "";
}

/* GET path with the token in the Authorization header. */
static char *
get(struct tweb *t, const char *path)
{
    char raw[4096];
    snprintf(raw, sizeof(raw),
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nAuthorization: Bearer %s\r\n\r\n", path,
             t->w->token);
    return request(t, raw);
}

/* method path with a JSON body and the token as Bearer; the whole answer. */
static char *
send_json(struct tweb *t, const char *method, const char *path, const char *json)
{
    char raw[4096];
    snprintf(raw, sizeof(raw),
             "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
             method, path, t->w->token, strlen(json), json);
    return request(t, raw);
}

/* The status of an answer, which it takes and frees: for a check of the
 * status alone, as in take_status(get(t, path)). */
static int
take_status(char *resp)
{
    int status = status_of(resp);
    free(resp);
    return status;
}

static struct flow *
tflow(const char *method, const char *host, const char *path, int status)
{
    struct flow *f = flow_new_http(NULL, NULL);
    f->request = http_request_new();
    http_set_str(&f->request->method, method);
    http_set_str(&f->request->scheme, "http");
    http_set_str(&f->request->host, host);
    f->request->port = 80;
    http_set_str(&f->request->path, path);
    http_set_str(&f->request->http_version, "HTTP/1.1");
    hdrs_add_cstr(&f->request->headers, "Host", host);
    buf_append_str(&f->request->content, "hello");
    if (status) {
        f->response = http_response_new();
        http_set_str(&f->response->http_version, "HTTP/1.1");
        f->response->status_code = status;
        http_set_str(&f->response->reason, "OK");
        hdrs_add_cstr(&f->response->headers, "Content-Type", "application/json");
        buf_append_str(&f->response->content, "{\"a\": [1, 2]}");
    }
    f->live = 0;
    return f;
}

TEST(web_auth_needs_a_token)
{
    struct tweb t;
    tweb_start(&t);
    ASSERT_EQ(take_status(request(&t, "GET /flows HTTP/1.1\r\nHost: 127.0.0.1:8081\r\n\r\n")), 403);
    ASSERT_EQ(
        take_status(request(&t, "GET /flows?token=00000000000000000000000000000000 HTTP/1.1\r\n"
                                "Host: 127.0.0.1:8081\r\n\r\n")),
        403);
    ASSERT_EQ(
        take_status(request(
            &t, "GET /flows HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nAuthorization: Bearer x\r\n\r\n")),
        403);
    /* The page without a token is a login form, still 403. */
    char *r = request(&t, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8081\r\n\r\n");
    ASSERT_EQ(status_of(r), 403);
    ASSERT(strstr(r, "<form") != NULL);
    free(r);

    char raw[512];
    snprintf(raw, sizeof(raw), "GET /flows?token=%s HTTP/1.1\r\nHost: 127.0.0.1:8081\r\n\r\n",
             t.w->token);
    r = request(&t, raw);
    ASSERT_EQ(status_of(r), 200);
    ASSERT_STREQ(body_of(r), "[]");
    /* The cookie it set lets the next request in without the token. */
    const char *sc = strstr(r, "Set-Cookie: mitmproxy-auth-8081=");
    ASSERT(sc != NULL);
    char cookie[128];
    ASSERT_EQ(sscanf(sc + 12, "%127[^;]", cookie), 1);
    ASSERT(strstr(sc, "HttpOnly; SameSite=Strict") != NULL);
    free(r);
    snprintf(raw, sizeof(raw), "GET /flows HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nCookie: %s\r\n\r\n",
             cookie);
    ASSERT_EQ(take_status(request(&t, raw)), 200);
    /* A forged cookie is not. */
    ASSERT_EQ(take_status(request(&t, "GET /flows HTTP/1.1\r\nHost: 127.0.0.1:8081\r\n"
                                      "Cookie: mitmproxy-auth-8081=y\r\n\r\n")),
              403);
    tweb_stop(&t);
}

TEST(web_auth_password)
{
    struct tweb t;
    tweb_start(&t);
    struct err e = {0};
    const char *set = "web_password=s3cret";
    ASSERT_EQ(master_set(t.m, &set, 1, &e), 0);
    ASSERT_EQ(take_status(request(&t, "GET /flows HTTP/1.1\r\nHost: localhost:8081\r\n"
                                      "Authorization: Bearer s3cret\r\n\r\n")),
              200);
    char raw[512];
    snprintf(raw, sizeof(raw), "GET /flows?token=%s HTTP/1.1\r\nHost: 127.0.0.1:8081\r\n\r\n",
             t.w->token);
    char *r = request(&t, raw);
    ASSERT_EQ(status_of(r), 403); /* the random token is no longer it */
    free(r);
    tweb_stop(&t);
}

TEST(web_auth_refuses_foreign_hosts)
{
    struct tweb t;
    tweb_start(&t);
    char raw[512];
    /* DNS rebinding: the token does not help a foreign Host. */
    snprintf(raw, sizeof(raw),
             "POST /clear HTTP/1.1\r\nHost: evil.example:8081\r\nAuthorization: Bearer %s\r\n"
             "Content-Length: 0\r\n\r\n",
             t.w->token);
    struct flow *f = tflow("GET", "example.com", "/", 200);
    store_add(t.s, f);
    char *r = request(&t, raw);
    ASSERT_EQ(status_of(r), 403);
    ASSERT_EQ(store_count(t.s), 1);
    free(r);
    r = request(&t, "GET /flows HTTP/1.1\r\n\r\n"); /* no Host at all */
    ASSERT_EQ(status_of(r), 403);
    free(r);
    flow_unref(f);
    tweb_stop(&t);
}

TEST(web_writes_need_xsrf_or_bearer)
{
    struct tweb t;
    tweb_start(&t);
    char cookie[65], xsrf_cookie[128], raw[1024];
    web__auth_cookie(t.w, cookie);
    /* A GET sets the XSRF cookie. */
    snprintf(
        raw, sizeof(raw),
        "GET /state HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nCookie: mitmproxy-auth-8081=%s\r\n\r\n",
        cookie);
    char *r = request(&t, raw);
    ASSERT_EQ(status_of(r), 200);
    const char *sc = strstr(r, "Set-Cookie: _mitmproxy_xsrf=");
    ASSERT(sc != NULL);
    ASSERT_EQ(sscanf(sc + 28, "%127[^;]", xsrf_cookie), 1);
    free(r);

    struct flow *f = tflow("GET", "example.com", "/", 200);
    store_add(t.s, f);
    /* Cookie auth alone may not write. */
    snprintf(raw, sizeof(raw),
             "POST /clear HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nCookie: mitmproxy-auth-8081=%s\r\n"
             "Content-Length: 0\r\n\r\n",
             cookie);
    r = request(&t, raw);
    ASSERT_EQ(status_of(r), 403);
    ASSERT_EQ(store_count(t.s), 1);
    free(r);
    /* A header that does not match the cookie: refused. */
    snprintf(raw, sizeof(raw),
             "POST /clear HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nCookie: mitmproxy-auth-8081=%s; "
             "_mitmproxy_xsrf=%s\r\nX-XSRFToken: nope\r\nContent-Length: 0\r\n\r\n",
             cookie, xsrf_cookie);
    ASSERT_EQ(take_status(request(&t, raw)), 403);
    /* Cross-site, even with the token right. */
    snprintf(raw, sizeof(raw),
             "POST /clear HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nCookie: mitmproxy-auth-8081=%s; "
             "_mitmproxy_xsrf=%s\r\nX-XSRFToken: %s\r\nSec-Fetch-Site: cross-site\r\n"
             "Content-Length: 0\r\n\r\n",
             cookie, xsrf_cookie, xsrf_cookie);
    r = request(&t, raw);
    ASSERT_EQ(status_of(r), 403);
    ASSERT_EQ(store_count(t.s), 1);
    free(r);
    /* Same origin with the token: it clears. */
    snprintf(raw, sizeof(raw),
             "POST /clear HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nCookie: mitmproxy-auth-8081=%s; "
             "_mitmproxy_xsrf=%s\r\nX-XSRFToken: %s\r\nSec-Fetch-Site: same-origin\r\n"
             "Content-Length: 0\r\n\r\n",
             cookie, xsrf_cookie, xsrf_cookie);
    r = request(&t, raw);
    ASSERT_EQ(status_of(r), 200);
    ASSERT_EQ(store_count(t.s), 0);
    free(r);
    flow_unref(f);
    tweb_stop(&t);
}

TEST(web_routes_not_found_and_wrong_method)
{
    struct tweb t;
    tweb_start(&t);
    ASSERT_EQ(take_status(get(&t, "/nothing/here")), 404);
    ASSERT_EQ(take_status(get(&t, "/clear")), 405);
    ASSERT_EQ(take_status(get(&t, "/flows/0123/resume")), 405);
    char *r = get(&t, "/filter-help.json");
    ASSERT_EQ(status_of(r), 200);
    ASSERT(strstr(body_of(r), "[\"~b regex\", \"Body\"]") != NULL);
    free(r);
    r = get(&t, "/");
    ASSERT_EQ(status_of(r), 200);
    ASSERT(strstr(r, "text/html") != NULL);
    free(r);
    /* Bad requests are answered and the connection closed. */
    r = request(&t, "GET /a b c\r\n\r\n");
    ASSERT_EQ(status_of(r), 400);
    ASSERT(t.closed);
    free(r);
    ASSERT_EQ(
        take_status(request(&t, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")),
        400);
    tweb_stop(&t);
}

TEST(web_flows_json_and_window)
{
    struct tweb t;
    tweb_start(&t);
    struct flow *a = tflow("GET", "a.example", "/one", 200);
    struct flow *b = tflow("POST", "b.example", "/two", 0);
    struct flow *c = tflow("GET", "c.example", "/three", 404);
    store_add(t.s, a);
    store_add(t.s, b);
    store_add(t.s, c);
    char *r = get(&t, "/flows");
    ASSERT_EQ(status_of(r), 200);
    struct jv *doc = NULL;
    struct err e = {0};
    ASSERT_EQ(json_parse(body_of(r), strlen(body_of(r)), NULL, &doc, &e), 0);
    ASSERT_EQ(doc->type, JV_ARRAY);
    ASSERT_EQ(doc->u.arr.n, 3);
    const struct jv *f0 = &doc->u.arr.v[0];
    ASSERT_STREQ(jv_get_str(f0, "id", NULL), a->id);
    ASSERT_STREQ(jv_get_str(f0, "type", NULL), "http");
    const struct jv *rq = jv_get(f0, "request");
    ASSERT_STREQ(jv_get_str(rq, "method", NULL), "GET");
    ASSERT_STREQ(jv_get_str(rq, "pretty_host", NULL), "a.example");
    ASSERT_EQ(jv_get(rq, "contentLength")->u.num.i, 5);
    /* sha256("hello") */
    ASSERT_STREQ(jv_get_str(rq, "contentHash", NULL),
                 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    ASSERT_EQ(jv_get(jv_get(f0, "response"), "status_code")->u.num.i, 200);
    ASSERT(jv_get(&doc->u.arr.v[1], "response") == NULL);
    jv_free(doc);
    free(r);

    /* The window: a filter, an order, reversed, and where a flow is. */
    char path[256];
    snprintf(path, sizeof(path), "/flows?limit=1&offset=1&filter=~m%%20GET&reverse=1&id=%s", a->id);
    r = get(&t, path);
    ASSERT_EQ(status_of(r), 200);
    ASSERT_EQ(json_parse(body_of(r), strlen(body_of(r)), NULL, &doc, &e), 0);
    ASSERT_EQ(jv_get(doc, "total")->u.num.i, 2);
    ASSERT_EQ(jv_get(doc, "offset")->u.num.i, 1);
    ASSERT_EQ(jv_get(doc, "index")->u.num.i, 1);
    const struct jv *fl = jv_get(doc, "flows");
    ASSERT_EQ(fl->u.arr.n, 1);
    ASSERT_STREQ(jv_get_str(&fl->u.arr.v[0], "id", NULL), a->id);
    jv_free(doc);
    free(r);
    r = get(&t, "/flows?limit=10&order=url&reverse=1");
    ASSERT_EQ(json_parse(body_of(r), strlen(body_of(r)), NULL, &doc, &e), 0);
    fl = jv_get(doc, "flows");
    ASSERT_EQ(fl->u.arr.n, 3);
    ASSERT_STREQ(jv_get_str(&fl->u.arr.v[0], "id", NULL), c->id);
    jv_free(doc);
    free(r);
    /* The same list again comes from store_select's cache; a change to the
     * store (a new flow, a mark) makes it anew. */
    r = get(&t, path);
    ASSERT(strstr(body_of(r), "\"total\": 2") != NULL);
    free(r);
    struct flow *d = tflow("GET", "d.example", "/four", 200);
    store_add(t.s, d);
    r = get(&t, path);
    ASSERT(strstr(body_of(r), "\"total\": 3") != NULL);
    free(r);
    ASSERT_EQ(store_remove(t.s, d->id), 0);
    flow_unref(d);
    r = get(&t, "/flows?limit=5&filter=~marked");
    ASSERT(strstr(body_of(r), "\"total\": 0") != NULL);
    free(r);
    ASSERT_EQ(store_set_marked(t.s, b->id, ":default:"), 0);
    r = get(&t, "/flows?limit=5&filter=~marked");
    ASSERT(strstr(body_of(r), "\"total\": 1") != NULL);
    free(r);

    /* The view's order, the other way round: read from the view backwards. */
    snprintf(path, sizeof(path), "/flows?limit=2&reverse=1&id=%s", a->id);
    r = get(&t, path);
    ASSERT_EQ(json_parse(body_of(r), strlen(body_of(r)), NULL, &doc, &e), 0);
    ASSERT_EQ(jv_get(doc, "total")->u.num.i, 3);
    ASSERT_EQ(jv_get(doc, "index")->u.num.i, 2);
    fl = jv_get(doc, "flows");
    ASSERT_EQ(fl->u.arr.n, 2);
    ASSERT_STREQ(jv_get_str(&fl->u.arr.v[0], "id", NULL), c->id);
    ASSERT_STREQ(jv_get_str(&fl->u.arr.v[1], "id", NULL), b->id);
    jv_free(doc);
    free(r);
    ASSERT_EQ(take_status(get(&t, "/flows?filter=~x")), 400);
    ASSERT_EQ(take_status(get(&t, "/flows?order=nope")), 400);
    flow_unref(a);
    flow_unref(b);
    flow_unref(c);
    tweb_stop(&t);
}

TEST(web_flow_edit_revert_and_content)
{
    struct tweb t;
    tweb_start(&t);
    struct flow *a = tflow("GET", "a.example", "/one", 200);
    store_add(t.s, a);
    char raw[2048];
    snprintf(raw, sizeof(raw), "/flows/%s", a->id);
    const char *edit = "{\"request\": {\"method\": \"PUT\", \"port\": 8080, "
                       "\"headers\": [[\"X-A\", \"1\"]]}, \"response\": {\"code\": 201}, "
                       "\"comment\": \"hi\"}";
    ASSERT_EQ(take_status(send_json(&t, "PUT", raw, edit)), 200);
    struct flow *f = store_get(t.s, a->id, NULL);
    ASSERT_STREQ(f->request->method, "PUT");
    ASSERT_EQ(f->request->port, 8080);
    ASSERT_EQ(f->request->headers.n, 1);
    ASSERT_EQ(f->response->status_code, 201);
    ASSERT(flow_modified(f));
    flow_unref(f);
    /* An unknown field: 400, and nothing changes. */
    const char *bad = "{\"request\": {\"method\": \"DELETE\", \"nope\": 1}}";
    ASSERT_EQ(take_status(send_json(&t, "PUT", raw, bad)), 400);
    f = store_get(t.s, a->id, NULL);
    ASSERT_STREQ(f->request->method, "GET"); /* revert goes back to before the edits */
    flow_unref(f);

    snprintf(raw, sizeof(raw), "/flows/%s/response/content.data", a->id);
    char *r = get(&t, raw);
    ASSERT_EQ(status_of(r), 200);
    ASSERT_STREQ(body_of(r), "{\"a\": [1, 2]}");
    ASSERT(strstr(r, "Content-Disposition: attachment; filename=one") != NULL);
    free(r);
    snprintf(raw, sizeof(raw), "/flows/%s/response/content/auto.json", a->id);
    r = get(&t, raw);
    ASSERT_EQ(status_of(r), 200);
    ASSERT(strstr(body_of(r), "\"view_name\": \"JSON\"") != NULL);
    ASSERT(strstr(body_of(r), "[\"json_number\", \"        1\"], [\"text\", \",\"]") != NULL);
    free(r);
    /* A view whose name holds a "/", encoded in its segment. */
    snprintf(raw, sizeof(raw), "/flows/%s/response/content/XML%%2FHTML.json", a->id);
    r = get(&t, raw);
    ASSERT_EQ(status_of(r), 200);
    ASSERT(strstr(body_of(r), "\"view_name\": \"XML/HTML\"") != NULL ||
           strstr(body_of(r), "\"view_name\": \"Raw\"") != NULL);
    free(r);
    ASSERT_EQ(
        take_status(get(&t, "/flows/00000000-0000-0000-0000-000000000000/request/content.data")),
        404);
    flow_unref(a);
    tweb_stop(&t);
}

TEST(web_resend_makes_an_edited_copy)
{
    struct tweb t;
    tweb_start(&t);
    struct flow *a = tflow("GET", "a.example", "/one", 200);
    store_add(t.s, a);
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"flow\": \"%s\", \"request\": {\"method\": \"POST\", \"path\": \"/two\", "
             "\"headers\": [[\"Host\", \"a.example\"], [\"X-R\", \"1\"]], \"content\": \"abc\"}}",
             a->id);
    char *r = send_json(&t, "POST", "/flows/resend", json);
    ASSERT_EQ(status_of(r), 200);
    ASSERT_EQ(strlen(body_of(r)), UUID_STR_LEN - 1);
    ASSERT(strcmp(body_of(r), a->id) != 0);
    struct flow *f = store_get(t.s, body_of(r), NULL);
    free(r);
    ASSERT(f != NULL);
    ASSERT_STREQ(f->request->method, "POST");
    ASSERT_STREQ(f->request->host, "a.example");
    ASSERT_STREQ(f->request->path, "/two");
    ASSERT_EQ(f->request->content.len, 3);
    ASSERT_STREQ(hdrs_get(&f->request->headers, "X-R")->value, "1");
    flow_unref(f);
    /* The flow it came from is as it was. */
    ASSERT_EQ(store_count(t.s), 2);
    f = store_get(t.s, a->id, NULL);
    ASSERT_STREQ(f->request->method, "GET");
    ASSERT_STREQ(f->request->path, "/one");
    ASSERT(f->response != NULL && !flow_modified(f));
    flow_unref(f);

    /* From nothing: the fields make the whole request. */
    r = send_json(&t, "POST", "/flows/resend",
                  "{\"request\": {\"host\": \"b.example\", \"port\": 8080, \"path\": \"/new\"}}");
    ASSERT_EQ(status_of(r), 200);
    f = store_get(t.s, body_of(r), NULL);
    free(r);
    ASSERT(f != NULL);
    ASSERT_STREQ(f->request->method, "GET");
    ASSERT_STREQ(f->request->scheme, "http");
    ASSERT_STREQ(f->request->host, "b.example");
    ASSERT_EQ(f->request->port, 8080);
    ASSERT(f->response == NULL);
    flow_unref(f);
    ASSERT_EQ(store_count(t.s), 3);

    /* Refused, and nothing is added. */
    r = send_json(&t, "POST", "/flows/resend", "{\"request\": {\"nope\": 1}}");
    ASSERT_EQ(status_of(r), 400);
    ASSERT(strstr(body_of(r), "nope") != NULL);
    free(r);
    r = send_json(&t, "POST", "/flows/resend", "{\"request\": {\"path\": \"/no-host\"}}");
    ASSERT_EQ(status_of(r), 400);
    ASSERT(strstr(body_of(r), "request.host") != NULL);
    free(r);
    ASSERT_EQ(take_status(send_json(&t, "POST", "/flows/resend", "{\"flow\": \"0000\"}")), 404);
    ASSERT_EQ(take_status(send_json(&t, "POST", "/flows/resend", "{\"flow\": 7}")), 400);
    ASSERT_EQ(take_status(send_json(&t, "POST", "/flows/resend", "{\"other\": 1}")), 400);
    ASSERT_EQ(take_status(send_json(&t, "POST", "/flows/resend", "[1]")), 400);
    struct flow *tcp = flow_new_tcp(NULL, NULL);
    tcp->live = 0;
    store_add(t.s, tcp);
    snprintf(json, sizeof(json), "{\"flow\": \"%s\"}", tcp->id);
    ASSERT_EQ(take_status(send_json(&t, "POST", "/flows/resend", json)), 400);
    ASSERT_EQ(store_count(t.s), 4);
    flow_unref(tcp);
    flow_unref(a);
    tweb_stop(&t);
}

/* The frames the server sent after the 101, as text messages. */
static size_t
frames(struct tweb *t, char **out, size_t max)
{
    const uint8_t *p = buf_ptr(&t->sent);
    size_t n = t->sent.len, k = 0;
    const uint8_t *end = (const uint8_t *)strstr(web__cstr(&t->sent), "\r\n\r\n");
    if (end && memcmp(p, "HTTP/1.1 101", 12) == 0) {
        n -= (size_t)(end + 4 - p);
        p = end + 4;
    }
    while (n && k < max) {
        struct ws_frame fr;
        struct buf payload = BUF_INIT;
        struct err e = {0};
        ssize_t used = ws_frame_parse(p, n, 0, 0, 1 << 30, &fr, &payload, &e);
        ASSERT(used > 0);
        out[k++] = buf_strdup(&payload);
        buf_clear(&payload);
        p += used;
        n -= (size_t)used;
    }
    buf_reset(&t->sent);
    return k;
}

static void
ws_open(struct tweb *t, const char *query, const char *origin)
{
    char raw[1024];
    snprintf(raw, sizeof(raw),
             "GET /updates%s HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n%s\r\n",
             query, t->w->token, origin);
    char *r = request(t, raw);
    free(r);
}

TEST(web_websocket_handshake_rules)
{
    struct tweb t;
    tweb_start(&t);
    ws_open(&t, "", "Origin: http://evil.example\r\n");
    ASSERT(strncmp(web__cstr(&t.sent), "HTTP/1.1 403", 12) == 0);
    ASSERT_EQ(take_status(request(
                  &t, "GET /updates HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n")),
              403);
    ws_open(&t, "", "Origin: http://127.0.0.1:8081\r\n");
    ASSERT(strstr(web__cstr(&t.sent), "HTTP/1.1 101") != NULL);
    /* RFC 6455's example key and accept value. */
    ASSERT(strstr(web__cstr(&t.sent), "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") !=
           NULL);
    tweb_stop(&t);
}

TEST(web_websocket_updates_and_filters)
{
    struct tweb t;
    tweb_start(&t);
    ws_open(&t, "", "");
    char *msgs[16];
    ASSERT_EQ(frames(&t, msgs, 16), 0);
    struct flow *a = tflow("GET", "a.example", "/one", 200);
    store_add(t.s, a);
    store_update(t.s, a);
    store_update(t.s, a);
    tick(&t);
    size_t n = frames(&t, msgs, 16);
    ASSERT_EQ(n, 1); /* three events, one flow: one message */
    ASSERT(strstr(msgs[0], "\"type\": \"flows/add\"") != NULL);
    ASSERT(strstr(msgs[0], a->id) != NULL);
    free(msgs[0]);

    /* A filter of this connection: answered at once, then in every update. */
    const char *m = "{\"type\": \"flows/updateFilter\", \"payload\": {\"name\": \"search\", "
                    "\"expr\": \"~bs a\"}}";
    struct buf fr = BUF_INIT;
    uint8_t key[4] = {1, 2, 3, 4};
    ws_frame_write(&fr, 1, 0, WS_TEXT, key, m, strlen(m));
    feed(&t, (const char *)buf_ptr(&fr), fr.len);
    buf_clear(&fr);
    n = frames(&t, msgs, 16);
    ASSERT_EQ(n, 1);
    ASSERT(strstr(msgs[0], "\"type\": \"flows/filterUpdate\"") != NULL);
    ASSERT(strstr(msgs[0], a->id) != NULL);
    free(msgs[0]);
    store_update(t.s, a);
    tick(&t);
    n = frames(&t, msgs, 16);
    ASSERT_EQ(n, 1);
    ASSERT(strstr(msgs[0], "\"matching_filters\": {\"search\": true}") != NULL);
    free(msgs[0]);
    ASSERT_EQ(store_remove(t.s, a->id), 0);
    tick(&t);
    n = frames(&t, msgs, 16);
    ASSERT_EQ(n, 1);
    ASSERT(strstr(msgs[0], "flows/remove") != NULL);
    free(msgs[0]);

    /* A bad filter closes the socket with 1011, as mitmproxy does. */
    m = "{\"type\": \"flows/updateFilter\", \"payload\": {\"name\": \"x\", \"expr\": \"~nope\"}}";
    ws_frame_write(&fr, 1, 0, WS_TEXT, key, m, strlen(m));
    feed(&t, (const char *)buf_ptr(&fr), fr.len);
    buf_clear(&fr);
    ASSERT(t.closed);
    flow_unref(a);
    tweb_stop(&t);
}

TEST(web_websocket_batches)
{
    struct tweb t;
    tweb_start(&t);
    ws_open(&t, "?batch=1", "");
    char *msgs[16];
    struct flow *fl[600];
    for (int i = 0; i < 10; i++) {
        fl[i] = tflow("GET", "a.example", "/x", 200);
        store_add(t.s, fl[i]);
        store_update(t.s, fl[i]);
    }
    ASSERT_EQ(store_remove(t.s, fl[9]->id), 0); /* added and gone within the tick */
    log_msg(LOG_ERROR, "an event");
    tick(&t);
    size_t n = frames(&t, msgs, 16);
    ASSERT_EQ(n, 2);
    struct jv *doc = NULL;
    struct err e = {0};
    ASSERT_EQ(json_parse(msgs[0], strlen(msgs[0]), NULL, &doc, &e), 0);
    ASSERT_STREQ(jv_get_str(doc, "type", NULL), "flows/batch");
    const struct jv *p = jv_get(doc, "payload");
    ASSERT_EQ(jv_get(p, "total")->u.num.i, 9);
    ASSERT_EQ(jv_get(p, "add")->u.arr.n, 9);
    ASSERT_EQ(jv_get(p, "update")->u.arr.n, 0);
    ASSERT_EQ(jv_get(p, "remove")->u.arr.n, 0);
    ASSERT_EQ(jv_get(p, "overflow")->type, JV_FALSE);
    jv_free(doc);
    ASSERT(strstr(msgs[1], "\"type\": \"events/batch\"") != NULL);
    ASSERT(strstr(msgs[1], "an event") != NULL);
    free(msgs[0]);
    free(msgs[1]);
    /* Past WEB_BATCH_MAX flows in a tick: overflow, and the client re-reads. */
    for (int i = 10; i < 600; i++) {
        fl[i] = tflow("GET", "a.example", "/x", 200);
        store_add(t.s, fl[i]);
    }
    tick(&t);
    n = frames(&t, msgs, 16);
    ASSERT_EQ(n, 1);
    ASSERT(strstr(msgs[0], "\"overflow\": true") != NULL);
    ASSERT(strstr(msgs[0], "\"add\": []") != NULL);
    free(msgs[0]);
    for (int i = 0; i < 600; i++)
        flow_unref(fl[i]);
    tweb_stop(&t);
}

/* f as one writer of flowjson.c writes it for a message (flags 0). */
static char *
shape_text(void (*write)(struct json *, const struct flow *), const struct flow *f)
{
    struct buf b = BUF_INIT;
    struct json j;
    json_init(&j, &b, 0);
    write(&j, f);
    json_clear(&j);
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

/*
 * ?list=1 (ours): flows come in the list-only shape, batched or one
 * message per flow; without it a socket gets the whole flow, byte for byte
 * as GET /flows/<id> writes it, as 8.1.1's clients expect.
 */
TEST(web_websocket_list_shape)
{
    static const char *const queries[] = {"", "?batch=1", "?list=1", "?batch=1&list=1", "?list=0"};
    struct tweb t;
    tweb_start(&t);
    struct flow *a = tflow("GET", "a.example", "/one", 200);
    char *whole = shape_text(web__flow_json, a);
    char *row = shape_text(web__flow_row_json, a);
    ASSERT(strlen(row) < strlen(whole));
    for (size_t q = 0; q < sizeof(queries) / sizeof(*queries); q++) {
        int list = strstr(queries[q], "list=1") != NULL;
        int batch = strstr(queries[q], "batch=1") != NULL;
        tweb_connect(&t);
        ws_open(&t, queries[q], "");
        char *msgs[16];
        size_t n = frames(&t, msgs, 16);
        ASSERT_EQ(n, 0);
        if (q == 0)
            store_add(t.s, a);
        store_update(t.s, a);
        store_update(t.s, a);
        tick(&t);
        n = frames(&t, msgs, 16);
        ASSERT(n >= 1);
        /* One copy of the flow, in the socket's shape, whatever the events. */
        const char *want = list ? row : whole;
        const char *at = strstr(msgs[0], want);
        ASSERT(at != NULL);
        ASSERT(strstr(at + strlen(want), want) == NULL);
        ASSERT(strstr(msgs[0], batch ? "\"type\": \"flows/batch\"" : "\"type\": \"flows/") != NULL);
        if (list)
            ASSERT(strstr(msgs[0], "contentHash") == NULL);
        for (size_t i = 0; i < n; i++)
            free(msgs[i]);
        tweb_disconnect(&t);
        buf_reset(&t.sent);
    }
    free(whole);
    free(row);
    flow_unref(a);
    tweb_stop(&t);
}

/* Sends one text message from the client (masked, as a browser does). */
static void
ws_say(struct tweb *t, const char *m)
{
    struct buf fr = BUF_INIT;
    uint8_t key[4] = {1, 2, 3, 4};
    ws_frame_write(&fr, 1, 0, WS_TEXT, key, m, strlen(m));
    feed(t, (const char *)buf_ptr(&fr), fr.len);
    buf_clear(&fr);
}

/* The next tick's flows/batch, parsed (jv_free() it); NULL when none came. */
static struct jv *
next_batch(struct tweb *t)
{
    char *msgs[16];
    tick(t);
    size_t n = frames(t, msgs, 16);
    struct jv *doc = NULL;
    for (size_t i = 0; i < n; i++) {
        struct err e = {0};
        if (doc == NULL && strstr(msgs[i], "\"type\": \"flows/batch\"")) {
            ASSERT_EQ(json_parse(msgs[i], strlen(msgs[i]), NULL, &doc, &e), 0);
        }
        free(msgs[i]);
    }
    return doc;
}

/* The ids in the batch's list key, comma-separated (static buffer). */
static const char *
batch_ids(const struct jv *doc, const char *key)
{
    static char out[4096];
    const struct jv *a = jv_get(jv_get(doc, "payload"), key);
    ASSERT(a != NULL && a->type == JV_ARRAY);
    out[0] = '\0';
    for (size_t i = 0; i < a->u.arr.n; i++) {
        const struct jv *v = &a->u.arr.v[i];
        const char *id = v->type == JV_STRING ? v->u.str.p : jv_get_str(v, "id", NULL);
        ASSERT(id != NULL);
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "," : "", id);
    }
    return out;
}

static int
batch_stale(const struct jv *doc)
{
    const struct jv *v = jv_get(jv_get(doc, "payload"), "stale");
    ASSERT(v != NULL);
    return v->type == JV_TRUE;
}

static void
say_window(struct tweb *t, int offset, int limit, const char *filter, const char *selected, int seq)
{
    char m[512];
    snprintf(m, sizeof(m),
             "{\"type\": \"flows/window\", \"payload\": {\"offset\": %d, \"limit\": %d, "
             "\"filter\": \"%s\", \"order\": \"time\", \"reverse\": false, \"selected\": %s%s%s, "
             "\"seq\": %d}}",
             offset, limit, filter, selected ? "\"" : "", selected ? selected : "null",
             selected ? "\"" : "", seq);
    ws_say(t, m);
}

/* A new flow, added to the store. */
static struct flow *
add_flow(struct tweb *t)
{
    struct flow *f = tflow("GET", "a.example", "/x", 200);
    store_add(t->s, f);
    return f;
}

/* Drops the frames the server has sent so far, unread. */
static void
discard_frames(struct tweb *t)
{
    char *msgs[16];
    for (size_t i = 0, n = frames(t, msgs, 16); i < n; i++)
        free(msgs[i]);
}

/*
 * flows/window (ours): a list=1 batch socket that says which rows it shows
 * gets the rows of flows that land there (and of its selected flow) and only
 * the count of the others; "stale" says whether its rows may have changed.
 */
TEST(web_websocket_window)
{
    struct tweb t;
    tweb_start(&t);
    ws_open(&t, "?batch=1&list=1", "");
    struct flow *fl[20];
    for (int i = 0; i < 10; i++) {
        fl[i] = add_flow(&t);
    }
    /* No window yet: every flow, as before, and no "stale". */
    struct jv *doc = next_batch(&t);
    ASSERT(doc != NULL);
    ASSERT_EQ(jv_get(jv_get(doc, "payload"), "add")->u.arr.n, 10);
    ASSERT(jv_get(jv_get(doc, "payload"), "stale") == NULL);
    jv_free(doc);

    /* The top five rows on screen; new flows land at the end. The first
     * batch after a new window says stale: what the app read before may
     * be for other rows. */
    say_window(&t, 0, 5, "", NULL, 1);
    fl[10] = add_flow(&t);
    doc = next_batch(&t);
    ASSERT_STREQ(batch_ids(doc, "add"), "");
    ASSERT(batch_stale(doc));
    jv_free(doc);
    for (int i = 11; i < 13; i++) {
        fl[i] = add_flow(&t);
    }
    doc = next_batch(&t);
    ASSERT(doc != NULL);
    ASSERT_EQ(jv_get(jv_get(doc, "payload"), "total")->u.num.i, 13);
    ASSERT_STREQ(batch_ids(doc, "add"), "");
    ASSERT(!batch_stale(doc));
    ASSERT_EQ(jv_get(jv_get(doc, "payload"), "window")->u.num.i, 1);
    jv_free(doc);

    /* A flow on screen changes: its row, and stale. One off screen: counted. */
    store_update(t.s, fl[2]);
    store_update(t.s, fl[8]);
    doc = next_batch(&t);
    ASSERT_STREQ(batch_ids(doc, "update"), fl[2]->id);
    ASSERT(batch_stale(doc));
    jv_free(doc);
    store_update(t.s, fl[8]);
    doc = next_batch(&t);
    ASSERT(doc != NULL); /* pages cached off screen are stale now */
    ASSERT_STREQ(batch_ids(doc, "update"), "");
    ASSERT(!batch_stale(doc));
    jv_free(doc);

    /* The selected flow's changes come wherever it is. */
    say_window(&t, 0, 5, "", fl[8]->id, 2);
    store_update(t.s, fl[8]);
    doc = next_batch(&t);
    ASSERT_STREQ(batch_ids(doc, "update"), fl[8]->id);
    /* The window changed since the last batch: stale once. */
    ASSERT(batch_stale(doc));
    ASSERT_EQ(jv_get(jv_get(doc, "payload"), "window")->u.num.i, 2);
    jv_free(doc);
    store_update(t.s, fl[8]);
    doc = next_batch(&t);
    ASSERT_STREQ(batch_ids(doc, "update"), fl[8]->id);
    ASSERT(!batch_stale(doc));
    jv_free(doc);

    /* A flow removed before the window's end moves its rows. */
    ASSERT_EQ(store_remove(t.s, fl[0]->id), 0);
    doc = next_batch(&t);
    ASSERT_STREQ(batch_ids(doc, "remove"), fl[0]->id);
    ASSERT(batch_stale(doc));
    jv_free(doc);
    /* And one removed past it, only counted (its id still comes). */
    ASSERT_EQ(store_remove(t.s, fl[12]->id), 0);
    doc = next_batch(&t);
    ASSERT_STREQ(batch_ids(doc, "remove"), fl[12]->id);
    ASSERT(!batch_stale(doc));
    ASSERT_EQ(jv_get(jv_get(doc, "payload"), "total")->u.num.i, 11);
    jv_free(doc);

    /* Following the end: the last page (rows 0..49 of 11) gets new rows. */
    say_window(&t, 0, 50, "", NULL, 3);
    fl[13] = add_flow(&t);
    doc = next_batch(&t);
    ASSERT_STREQ(batch_ids(doc, "add"), fl[13]->id);
    ASSERT(batch_stale(doc));
    jv_free(doc);

    /* A list that is not the view (a filter): every row, always stale. */
    say_window(&t, 0, 5, "~m GET", NULL, 4);
    tick(&t);
    discard_frames(&t);
    fl[14] = add_flow(&t);
    doc = next_batch(&t);
    ASSERT_STREQ(batch_ids(doc, "add"), fl[14]->id);
    ASSERT(batch_stale(doc));
    jv_free(doc);

    /* A highlight filter hears about every flow, rows or not. */
    say_window(&t, 0, 5, "", NULL, 5);
    ws_say(&t, "{\"type\": \"flows/updateFilter\", \"payload\": {\"name\": \"highlight\", "
               "\"expr\": \"~m GET\"}}");
    discard_frames(&t);
    fl[15] = add_flow(&t);
    doc = next_batch(&t);
    ASSERT_STREQ(batch_ids(doc, "add"), "");
    const struct jv *mf = jv_get(jv_get(jv_get(doc, "payload"), "matching_filters"), fl[15]->id);
    ASSERT(mf != NULL && jv_get(mf, "highlight")->type == JV_TRUE);
    jv_free(doc);

    /* A bad window closes the socket, as any bad message does. */
    ws_say(&t, "{\"type\": \"flows/window\", \"payload\": {\"offset\": -1, \"limit\": 5}}");
    ASSERT(t.closed);
    for (int i = 0; i < 16; i++)
        flow_unref(fl[i]);
    tweb_stop(&t);
}

/* A bad flows/window closes the socket (1011) and changes nothing; a huge
 * offset is only a window past the end. */
TEST(web_websocket_window_bad_messages)
{
    static const char *const bad[] = {
        "{\"type\": \"flows/window\"}",
        "{\"type\": \"flows/window\", \"payload\": [0, 5]}",
        "{\"type\": \"flows/window\", \"payload\": {\"offset\": \"0\", \"limit\": 5}}",
        "{\"type\": \"flows/window\", \"payload\": {\"offset\": 0.5, \"limit\": 5}}",
        "{\"type\": \"flows/window\", \"payload\": {\"offset\": 0, \"limit\": 5, \"order\": "
        "\"x\"}}",
        "{\"type\": \"flows/window\", \"payload\": {\"offset\": 0, \"limit\": 5, \"filter\": 1}}",
        "{\"type\": \"flows/window\", \"payload\": {\"offset\": 0, \"limit\": 5, \"seq\": -2}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct tweb t;
        tweb_start(&t);
        ws_open(&t, "?batch=1&list=1", "");
        ws_say(&t, bad[i]);
        ASSERT(t.closed);
        tweb_stop(&t);
    }
    struct tweb t;
    tweb_start(&t);
    ws_open(&t, "?batch=1&list=1", "");
    ws_say(&t, "{\"type\": \"flows/window\", \"payload\": {\"offset\": 9223372036854775807, "
               "\"limit\": 9223372036854775807, \"selected\": \""
               "0123456789012345678901234567890123456789012345678901234567890123456789\"}}");
    ASSERT(!t.closed);
    struct flow *f = tflow("GET", "a.example", "/x", 200);
    store_add(t.s, f);
    struct jv *doc = next_batch(&t);
    ASSERT_STREQ(batch_ids(doc, "add"), "");
    ASSERT(batch_stale(doc)); /* the first batch after a new window */
    jv_free(doc);
    flow_unref(f);
    tweb_stop(&t);
}

/* flows/window is for list=1 batch sockets; others keep mitmproxy's messages
 * (an unknown one closes the socket) and get every flow. */
TEST(web_websocket_window_needs_list_batch)
{
    static const char *const queries[] = {"", "?batch=1", "?list=1"};
    for (size_t q = 0; q < sizeof(queries) / sizeof(*queries); q++) {
        struct tweb t;
        tweb_start(&t);
        ws_open(&t, queries[q], "");
        say_window(&t, 0, 5, "", NULL, 1);
        ASSERT(t.closed);
        tweb_stop(&t);
    }
}

TEST(web_websocket_event_log)
{
    struct tweb t;
    tweb_start(&t);
    ws_open(&t, "", "");
    char *msgs[16];
    log_msg(LOG_ERROR, "first");
    log_msg(LOG_ERROR, "second");
    tick(&t);
    ASSERT_EQ(frames(&t, msgs, 16), 2); /* mitmproxy's one message per line */
    ASSERT(strstr(msgs[0], "\"type\": \"events/add\"") != NULL);
    ASSERT(strstr(msgs[0], "first") != NULL);
    ASSERT(strstr(msgs[1], "second") != NULL);
    free(msgs[0]);
    free(msgs[1]);
    /* A cleared log: events/reset, then what came after it. */
    web__events_clear(t.w);
    log_msg(LOG_ERROR, "third");
    tick(&t);
    ASSERT_EQ(frames(&t, msgs, 16), 2);
    ASSERT(strstr(msgs[0], "\"type\": \"events/reset\"") != NULL);
    ASSERT(strstr(msgs[1], "\"type\": \"events/add\"") != NULL);
    ASSERT(strstr(msgs[1], "third") != NULL);
    free(msgs[0]);
    free(msgs[1]);
    tweb_stop(&t);
}

TEST(web_options_and_commands)
{
    struct tweb t;
    tweb_start(&t);
    char *r = get(&t, "/options");
    ASSERT_EQ(status_of(r), 200);
    ASSERT(strstr(body_of(r), "\"web_port\": {\"type\": \"int\", \"default\": 8081, \"value\": "
                              "8081, \"help\": \"Web UI port.\", \"choices\": null}") != NULL);
    free(r);
    char raw[1024];
    ASSERT_EQ(take_status(send_json(&t, "PUT", "/options",
                                    "{\"anticache\": true, \"web_columns\": [\"tls\", \"path\"]}")),
              200);
    ASSERT(master_options(t.m)->anticache);
    ASSERT_EQ(take_status(send_json(&t, "PUT", "/options", "{\"no_such_option\": 1}")), 400);
    /* As 8.1.1: the options it knows are set, then the others are named. */
    r = send_json(&t, "PUT", "/options", "{\"nope\": 1, \"anticache\": false, \"nah\": [2]}");
    ASSERT_EQ(status_of(r), 400);
    ASSERT_STREQ(body_of(r), "'Unknown options: nope, nah'");
    free(r);
    ASSERT(!master_options(t.m)->anticache);
    /* A bad value changes nothing, and is what the answer names. */
    r = send_json(&t, "PUT", "/options", "{\"anticache\": true, \"nope\": 1, \"listen_port\": \"x\"}");
    ASSERT_EQ(status_of(r), 400);
    ASSERT(strstr(body_of(r), "listen_port") != NULL);
    free(r);
    ASSERT(!master_options(t.m)->anticache);
    r = get(&t, "/commands");
    ASSERT(strstr(body_of(r), "\"view.flows.remove\": {\"help\": ") != NULL);
    ASSERT(strstr(body_of(r), "{\"name\": \"flows\", \"type\": \"flow[]\", \"kind\": "
                              "\"POSITIONAL_OR_KEYWORD\"}") != NULL);
    free(r);
    r = send_json(&t, "POST", "/commands/view.order.set", "{\"arguments\": [\"time\"]}");
    ASSERT_STREQ(body_of(r), "{\"value\": null}");
    free(r);
    snprintf(raw, sizeof(raw),
             "POST /commands/no.such HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
             "%s\r\nContent-Length: 0\r\n\r\n",
             t.w->token);
    r = request(&t, raw);
    ASSERT_STREQ(body_of(r), "{\"error\": \"Unknown command: no.such\"}");
    free(r);
    tweb_stop(&t);
}
