/*
 * HAR: the writer against what current mitmproxy's savehar makes of the
 * fixture flows (expected/all.har, gen_har_expected.py), its timings on a
 * flow built by hand, the reader on files as browsers write them, and the
 * round trip: our HAR read back gives the same requests and responses.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "expected.h"
#include "export/har.h"
#include "export/internal.h"
#include "flow/flow.h"
#include "http/ws.h"
#include "util/json_parse.h"
#include "util/version.h"

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        test_fail(__FILE__, __LINE__, "cannot open %s", path);
    struct buf b = BUF_INIT;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    *len = b.len;
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

TEST(har_write_as_mitmproxy)
{
    struct fixture_flows ff = fixture_flows_load();
    struct buf out = BUF_INIT;
    size_t skipped;
    har_write(&out, ff.v, ff.n, &skipped);
    ASSERT_EQ(skipped, 4); /* the TCP flow and the three DNS flows */
    size_t n;
    char *want = slurp("tests/export/expected/all.har", &n);
    /* The expected file names version 0.1.0 as its creator. */
    const char *v = "\"version\": \"0.1.0\",\n            \"comment\"";
    char *at = strstr(want, v);
    ASSERT(at != NULL);
    struct buf w = BUF_INIT;
    buf_append(&w, want, (size_t)(at - want));
    buf_printf(&w, "\"version\": \"%s\",\n            \"comment\"", MP_VERSION);
    buf_append_str(&w, at + strlen(v));
    ASSERT_MEMEQ(buf_ptr(&out), out.len, buf_ptr(&w), w.len);
    free(want);
    buf_clear(&w);
    buf_clear(&out);
    fixture_flows_free(&ff);
}

/* A flow with every timestamp set, through a TLS server connection. */
static struct flow *
timed_flow(struct connection *sc)
{
    struct flow *f = flow_new_http(NULL, sc);
    struct http_request *r = f->request = http_request_new();
    http_set_str(&r->method, "POST");
    http_set_str(&r->scheme, "https");
    http_set_str(&r->host, "example.com");
    r->port = 443;
    http_set_str(&r->path, "/p?a=1&b=%C3%A9&a");
    http_set_str(&r->http_version, "HTTP/2.0");
    hdrs_add_cstr(&r->headers, "cookie", "c1=v1; c2=\"q v\"");
    hdrs_add_cstr(&r->headers, "content-type", "application/x-www-form-urlencoded");
    buf_set(&r->content, "x=1&y=%2B", 9);
    r->timestamp_start = 1000.0;
    r->timestamp_end = 1000.25;
    struct http_response *s = f->response = http_response_new();
    http_set_str(&s->http_version, "HTTP/2.0");
    s->status_code = 302;
    hdrs_add_cstr(&s->headers, "set-cookie",
                  "id=7; Path=/x; Domain=example.com; Secure; "
                  "HttpOnly; SameSite=Lax");
    hdrs_add_cstr(&s->headers, "location", "/next");
    buf_set(&s->content, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    s->timestamp_start = 1000.5;
    s->timestamp_end = 1001.0;
    return f;
}

static const struct jv *
path(const struct jv *v, const char *dotted)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", dotted);
    for (char *k = strtok(buf, "."); k && v; k = strtok(NULL, ".")) {
        if (*k >= '0' && *k <= '9')
            v = (size_t)atoi(k) < v->u.arr.n ? &v->u.arr.v[atoi(k)] : NULL;
        else
            v = jv_get(v, k);
    }
    if (v == NULL)
        test_fail(__FILE__, __LINE__, "no %s", dotted);
    return v;
}

static double
num(const struct jv *v, const char *p)
{
    return path(v, p)->u.num.d;
}

static const char *
str(const struct jv *v, const char *p)
{
    return path(v, p)->u.str.p;
}

TEST(har_write_timings_and_fields)
{
    struct connection *sc = connection_new(CONN_SERVER);
    sc->timestamp_start = 999.0;
    sc->timestamp_tcp_setup = 999.5;
    sc->timestamp_tls_setup = 999.75;
    addr_set(&sc->peername, "192.0.2.1", 443);
    struct flow *fs[2] = {timed_flow(sc), timed_flow(sc)};
    connection_unref(sc);
    struct buf out = BUF_INIT;
    har_write(&out, fs, 2, NULL);
    struct jv *doc;
    struct err e = {0};
    ASSERT_EQ(json_parse(buf_ptr(&out), out.len, NULL, &doc, &e), 0);
    const struct jv *log = jv_get(doc, "log"), *en = path(log, "entries.0");
    ASSERT_STREQ(str(log, "version"), "1.2");
    ASSERT_STREQ(str(log, "creator.name"), "mitmproxy");
    ASSERT_STREQ(str(en, "startedDateTime"), "1970-01-01T00:16:40+00:00");
    /* connect 500 ms, ssl 250, send 250, wait 250, receive 500. */
    ASSERT(num(en, "timings.connect") == 500.0);
    ASSERT(num(en, "timings.ssl") == 250.0);
    ASSERT(num(en, "timings.send") == 250.0);
    ASSERT(num(en, "timings.wait") == 250.0);
    ASSERT(num(en, "timings.receive") == 500.0);
    ASSERT(num(en, "time") == 1750.0);
    /* The second entry reuses the connection: no connect, no ssl. */
    const struct jv *en2 = path(log, "entries.1");
    ASSERT(num(en2, "timings.connect") == -1.0);
    ASSERT(num(en2, "timings.ssl") == -1.0);
    ASSERT(num(en2, "time") == 1000.0);
    ASSERT_STREQ(str(en, "serverIPAddress"), "192.0.2.1");
    ASSERT_STREQ(str(en, "request.url"), "https://example.com/p?a=1&b=%C3%A9&a");
    ASSERT_STREQ(str(en, "request.cookies.1.name"), "c2");
    ASSERT_STREQ(str(en, "request.cookies.1.value"), "q v");
    ASSERT_STREQ(str(en, "request.queryString.1.value"), "\xc3\xa9");
    ASSERT_STREQ(str(en, "request.queryString.2.name"), "a");
    ASSERT_STREQ(str(en, "request.queryString.2.value"), "");
    ASSERT_STREQ(str(en, "request.postData.text"), "x=1&y=%2B");
    ASSERT_STREQ(str(en, "request.postData.params.1.value"), "+");
    ASSERT_EQ(num(en, "request.bodySize"), 9);
    ASSERT_EQ(num(en, "response.status"), 302);
    ASSERT_STREQ(str(en, "response.redirectURL"), "/next");
    const struct jv *c = path(en, "response.cookies.0");
    ASSERT_STREQ(str(c, "path"), "/x");
    ASSERT_STREQ(str(c, "domain"), "example.com");
    ASSERT_EQ(path(c, "httpOnly")->type, JV_TRUE);
    ASSERT_EQ(path(c, "secure")->type, JV_TRUE);
    ASSERT_STREQ(str(c, "sameSite"), "Lax");
    /* A PNG is binary: base64. */
    ASSERT_STREQ(str(en, "response.content.encoding"), "base64");
    ASSERT_STREQ(str(en, "response.content.text"), "iVBORw0KGgoAAAANSUhEUg==");
    ASSERT_EQ(num(en, "response.content.size"), 16);
    jv_free(doc);
    buf_clear(&out);
    flow_unref(fs[0]);
    flow_unref(fs[1]);
}

TEST(har_write_websocket_and_errors)
{
    struct flow *f = timed_flow(NULL);
    flow_ws_add_message(f, WS_TEXT, 1, "hi", 2)->timestamp = 1002.5;
    flow_ws_add_message(f, WS_BINARY, 0, "\x00\xff", 2)->timestamp = 1003.0;
    struct flow *g = timed_flow(NULL);
    http_response_free(g->response);
    g->response = NULL;
    flow_set_error(g, "Connection refused");
    struct flow *fs[2] = {f, g};
    struct buf out = BUF_INIT;
    har_write(&out, fs, 2, NULL);
    struct jv *doc;
    struct err e = {0};
    ASSERT_EQ(json_parse(buf_ptr(&out), out.len, NULL, &doc, &e), 0);
    const struct jv *en = path(doc, "log.entries.0");
    ASSERT_STREQ(str(en, "_resourceType"), "websocket");
    ASSERT_STREQ(str(en, "_webSocketMessages.0.type"), "send");
    ASSERT_STREQ(str(en, "_webSocketMessages.0.data"), "hi");
    ASSERT(num(en, "_webSocketMessages.0.time") == 1002.5);
    ASSERT_EQ(num(en, "_webSocketMessages.0.opcode"), 1);
    ASSERT_STREQ(str(en, "_webSocketMessages.1.type"), "receive");
    ASSERT_STREQ(str(en, "_webSocketMessages.1.data"), "AP8=");
    ASSERT_EQ(num(en, "_webSocketMessages.1.opcode"), 2);
    const struct jv *en2 = path(doc, "log.entries.1");
    ASSERT_EQ(num(en2, "response.status"), 0);
    ASSERT_STREQ(str(en2, "response._error"), "Connection refused");
    ASSERT(num(en2, "timings.wait") == 0);
    jv_free(doc);
    buf_clear(&out);
    flow_unref(f);
    flow_unref(g);
}

static struct har_reader *
reader(const char *text, struct err *e)
{
    return har_reader_new(text, strlen(text), "t.har", e);
}

TEST(har_read_browser_entries)
{
    /* As Chromium writes them: pseudo-headers, a gzip'd response whose
     * text is decoded, base64 for binary, a BOM in front. */
    const char *har =
        "\xef\xbb\xbf{\"log\": {\"version\": \"1.2\", \"entries\": [{"
        "\"startedDateTime\": \"2023-03-30T00:00:54.253Z\", \"time\": 14.5,"
        "\"request\": {\"method\": \"GET\", \"url\": \"https://Example.COM:8443/a;p?q=1#f\","
        " \"httpVersion\": \"http/2.0\", \"headers\": [{\"name\": \":authority\", \"value\": "
        "\"example.com\"}, [\"host\", \"wrong\"], {\"name\": \"accept\", \"value\": \"*/*\"}]},"
        "\"response\": {\"status\": 404, \"statusText\": \"Nope\", \"httpVersion\": \"http/2.0\","
        " \"headers\": [{\"name\": \"content-encoding\", \"value\": \"gzip\"}, {\"name\": "
        "\"content-length\", \"value\": \"99\"}, {\"name\": \"content-type\", \"value\": "
        "\"text/html\"}], \"content\": {\"size\": 3, \"text\": \"caf\\u00e9\"}},"
        "\"serverIPAddress\": \"192.0.2.7\"},"
        "{\"startedDateTime\": \"2023-03-30T02:00:54+02:00\", \"time\": 0,"
        "\"request\": {\"method\": \"POST\", \"url\": \"http://h/\", \"httpVersion\": "
        "\"HTTP/1.1\", \"headers\": [], \"postData\": {\"mimeType\": \"text/plain\", \"text\": "
        "\"\\u20ac\"}},"
        "\"response\": {\"status\": 200, \"httpVersion\": \"HTTP/1.1\", \"headers\": [], "
        "\"content\": {\"text\": \"AP8=\", \"encoding\": \"base64\"}}}]}}";
    struct err e = {0};
    struct har_reader *r = reader(har, &e);
    ASSERT(r != NULL);
    struct flow *f;
    ASSERT_EQ(har_reader_next(r, &f, &e), 1);
    struct http_request *rq = f->request;
    ASSERT_STREQ(rq->scheme, "https");
    ASSERT_STREQ(rq->host, "example.com");
    ASSERT_EQ(rq->port, 8443);
    ASSERT_STREQ(rq->path, "/a;p?q=1#f");
    ASSERT_STREQ(rq->http_version, "HTTP/2.0");
    ASSERT(fabs(rq->timestamp_start - 1680134454.253) < 1e-6);
    ASSERT(fabs(rq->timestamp_end - 1680134454.2675) < 1e-6);
    /* The Host header follows the URL; every request gets a length. */
    ASSERT_EQ(rq->headers.n, 4);
    ASSERT_STREQ(rq->headers.v[1].value, "example.com:8443");
    ASSERT_STREQ(rq->headers.v[3].name, "content-length");
    ASSERT_STREQ(rq->headers.v[3].value, "0");
    struct http_response *rs = f->response;
    ASSERT_EQ(rs->status_code, 404);
    ASSERT_STREQ(rs->reason, "Not Found");
    /* HTML is UTF-8 without a charset; the body is decoded. */
    ASSERT_BUF_STR(&rs->content, "caf\xc3\xa9");
    ASSERT_EQ(rs->headers.n, 2);
    ASSERT_STREQ(rs->headers.v[0].name, "content-length");
    ASSERT_STREQ(rs->headers.v[0].value, "5");
    ASSERT_STREQ(f->server_conn->address.host, "192.0.2.7");
    ASSERT_EQ(f->server_conn->address.port, 443);
    ASSERT_STREQ(f->client_conn->peername.host, "127.0.0.1");
    flow_unref(f);

    ASSERT_EQ(har_reader_next(r, &f, &e), 1);
    ASSERT(fabs(f->request->timestamp_start - 1680134454.0) < 1e-6);
    /* text/plain is latin-1, which has no euro: UTF-8, and the
     * Content-Type says so. */
    ASSERT_BUF_STR(&f->request->content, "\xe2\x82\xac");
    ASSERT_STREQ(f->request->headers.v[0].value, "text/plain; charset=utf-8");
    ASSERT_MEMEQ(buf_ptr(&f->response->content), f->response->content.len, "\x00\xff", 2);
    ASSERT(f->server_conn->address.host == NULL);
    flow_unref(f);
    ASSERT_EQ(har_reader_next(r, &f, &e), 0);
    har_reader_free(r);
}

static void
read_fails(const char *har, const char *msg)
{
    struct err e = {0};
    struct har_reader *r = reader(har, &e);
    struct flow *f;
    int rc = r ? har_reader_next(r, &f, &e) : e.code;
    if (rc >= 0 || strcmp(e.msg, msg) != 0)
        test_fail(__FILE__, __LINE__, "%s: rc %d, \"%s\"", har, rc, e.msg);
    if (r) {
        /* The same error again. */
        ASSERT(har_reader_next(r, &f, &e) < 0);
        ASSERT_STREQ(e.msg, msg);
    }
    har_reader_free(r);
}

#define ENTRY(date, url)                                                                           \
    "{\"log\": {\"entries\": [{\"startedDateTime\": \"" date "\", \"time\": 1, \"request\": "      \
    "{\"method\": \"GET\", \"url\": \"" url "\", \"httpVersion\": \"HTTP/1.1\", \"headers\": []}," \
    " \"response\": {\"status\": 200, \"httpVersion\": \"HTTP/1.1\", \"headers\": [], "            \
    "\"content\": {}}}]}}"

TEST(har_read_errors_name_the_entry)
{
    read_fails("{\"log\": {}}", "t.har: Unable to read HAR file: no log.entries list");
    read_fails("{\"log\": [", "t.har: Unable to read HAR file: JSON: unexpected end of input at "
                              "byte 9");
    read_fails("{\"log\": {\"entries\": [1]}}",
               "t.har: Unable to read HAR file: entry 0: entry: not an object");
    read_fails("{\"log\": {\"entries\": [{}]}}",
               "t.har: Unable to read HAR file: entry 0: startedDateTime: missing");
    read_fails(ENTRY("yesterday", "http://a/"),
               "t.har: Unable to read HAR file: entry 0: startedDateTime: not an ISO 8601 date: "
               "'yesterday'");
    read_fails(ENTRY("2023-02-29T00:00:00Z", "http://a/"),
               "t.har: Unable to read HAR file: entry 0: startedDateTime: not an ISO 8601 date: "
               "'2023-02-29T00:00:00Z'");
    read_fails(ENTRY("2023-03-30T00:00:00Z", "/relative"),
               "t.har: Unable to read HAR file: entry 0: request.url: No hostname given");
    read_fails(ENTRY("2023-03-30T00:00:00Z", "http://a:99999/"),
               "t.har: Unable to read HAR file: entry 0: request.url: Port out of range 0-65535");
    read_fails(ENTRY("2023-03-30T00:00:00Z", "http://a:x/"),
               "t.har: Unable to read HAR file: entry 0: request.url: Port could not be cast to "
               "integer value as 'x'");
    read_fails(ENTRY("2023-03-30T00:00:00Z", "http://a b/"),
               "t.har: Unable to read HAR file: entry 0: request.url: Invalid Host");
    read_fails(ENTRY("2023-03-30T00:00:00Z", "http://[::1/"),
               "t.har: Unable to read HAR file: entry 0: request.url: Invalid IPv6 URL");
}

TEST(har_sniff_and_open)
{
    ASSERT(har_sniff("{", 1));
    ASSERT(har_sniff("\xef\xbb\xbf{", 4));
    ASSERT(!har_sniff("123:", 4));
    ASSERT(!har_sniff("", 0));
    char path[] = "/tmp/mp-har-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    const char *flowfile = "0:~";
    ASSERT_EQ(write(fd, flowfile, 3), 3);
    close(fd);
    struct har_reader *r;
    struct err e = {0};
    ASSERT_EQ(har_reader_open(path, &r, &e), 0);
    ASSERT(r == NULL);
    FILE *f = fopen(path, "wb");
    fputs(ENTRY("2023-03-30T00:00:00Z", "http://a/"), f);
    fclose(f);
    ASSERT_EQ(har_reader_open(path, &r, &e), 1);
    struct flow *fl;
    ASSERT_EQ(har_reader_next(r, &fl, &e), 1);
    flow_unref(fl);
    har_reader_free(r);
    unlink(path);
    ASSERT_EQ(har_reader_open("/nonexistent/x.har", &r, &e), MP_ERR_IO);
    ASSERT(strstr(e.msg, "cannot read flows from '/nonexistent/x.har'") != NULL);
}

/* Fields a HAR keeps, compared after a write and a read. */
static void
same_request(const struct http_request *a, const struct http_request *b, size_t i)
{
    /* A HAR holds the pretty URL: the Host header's host, if any. */
    struct buf ua = BUF_INIT, ub = BUF_INIT;
    exp__pretty_url(a, &ua);
    exp__url(b, &ub);
    if (strcmp(a->method, b->method) || strcmp(a->http_version, b->http_version) ||
        !test_memeq(buf_ptr(&ua), ua.len, buf_ptr(&ub), ub.len))
        test_fail(__FILE__, __LINE__, "flow %zu: %s %.*s %s != %s %.*s %s", i, a->method,
                  (int)ua.len, (char *)buf_ptr(&ua), a->http_version, b->method, (int)ub.len,
                  (char *)buf_ptr(&ub), b->http_version);
    buf_clear(&ua);
    buf_clear(&ub);
    if (!test_memeq(buf_ptr(&a->content), a->content.len, buf_ptr(&b->content), b->content.len))
        test_fail(__FILE__, __LINE__, "flow %zu: request bodies differ", i);
    if (fabs(a->timestamp_start - b->timestamp_start) > 1e-6)
        test_fail(__FILE__, __LINE__, "flow %zu: start %f != %f", i, a->timestamp_start,
                  b->timestamp_start);
}

/* Headers equal but for Content-Length (set to the body's size) and
 * Content-Encoding (the body is decoded). */
static void
same_headers(const struct hdrs *a, const struct hdrs *b, size_t i)
{
    size_t ia = 0, ib = 0;
    for (;;) {
        while (ia < a->n && (!strcasecmp(a->v[ia].name, "content-length") ||
                             !strcasecmp(a->v[ia].name, "content-encoding")))
            ia++;
        while (ib < b->n && (!strcasecmp(b->v[ib].name, "content-length") ||
                             !strcasecmp(b->v[ib].name, "content-encoding")))
            ib++;
        if (ia == a->n || ib == b->n)
            break;
        if (strcmp(a->v[ia].name, b->v[ib].name) || a->v[ia].value_len != b->v[ib].value_len ||
            memcmp(a->v[ia].value, b->v[ib].value, a->v[ia].value_len))
            test_fail(__FILE__, __LINE__, "flow %zu: header %s: %s != %s: %s", i, a->v[ia].name,
                      a->v[ia].value, b->v[ib].name, b->v[ib].value);
        ia++, ib++;
    }
    if (ia != a->n || ib != b->n)
        test_fail(__FILE__, __LINE__, "flow %zu: headers differ in number", i);
}

TEST(har_round_trip_keeps_requests_and_responses)
{
    struct fixture_flows ff = fixture_flows_load();
    struct buf out = BUF_INIT;
    har_write(&out, ff.v, ff.n, NULL);
    struct err e = {0};
    struct har_reader *r = har_reader_new(buf_ptr(&out), out.len, "all.har", &e);
    ASSERT(r != NULL);
    size_t checked = 0;
    for (size_t i = 0; i < ff.n; i++) {
        const struct flow *a = ff.v[i];
        if (a->type != FLOW_HTTP)
            continue;
        struct flow *b;
        ASSERT_EQ(har_reader_next(r, &b, &e), 1);
        struct http_request *ra = exp__request_decoded(a->request);
        same_request(ra, b->request, i);
        same_headers(&ra->headers, &b->request->headers, i);
        http_request_free(ra);
        if (a->response) {
            struct http_response *sa = exp__response_decoded(a->response);
            const struct http_response *sb = b->response;
            if (sa->status_code != sb->status_code || strcmp(sa->http_version, sb->http_version) ||
                !test_memeq(buf_ptr(&sa->content), sa->content.len, buf_ptr(&sb->content),
                            sb->content.len))
                test_fail(__FILE__, __LINE__, "flow %zu: responses differ", i);
            same_headers(&sa->headers, &sb->headers, i);
            http_response_free(sa);
            checked++;
        }
        flow_unref(b);
    }
    struct flow *b;
    ASSERT_EQ(har_reader_next(r, &b, &e), 0);
    ASSERT(checked > 40);
    har_reader_free(r);
    buf_clear(&out);
    fixture_flows_free(&ff);
}
