/*
 * The dumper's text compared with what mitmdump 8.1.1 printed for the same
 * flows: tests/addons/expected/<fixture>-<detail>.txt was captured with
 * `mitmdump -n -r ../shared/fixtures/flows/<fixture>.mitm --flow-detail N`
 * (stdout not a terminal, so 80 columns and no colours).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/builtin.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "options/opt.h"
#include "util/log.h"

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        test_fail(__FILE__, __LINE__, "cannot open %s", path);
    char *p = NULL;
    FILE *m = open_memstream(&p, len);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        fwrite(tmp, 1, n, m);
    fclose(f);
    fclose(m);
    return p;
}

static void
expect_file(const char *got, size_t gotlen, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/addons/expected/%s.txt", name);
    size_t n;
    char *want = slurp(path, &n);
    if (gotlen != n || memcmp(got, want, n) != 0) {
        fprintf(stderr, "--- %s: expected\n%s--- got\n%s---\n", name, want, got);
        test_fail_mem(__FILE__, __LINE__, name, got, gotlen, want, n);
    }
    free(want);
}

/* A chain with just a dumper writing into *out; free with the chain. */
static struct addon_chain *
dumper_chain(FILE *out, long detail, int showhost)
{
    struct options *o = opt_new();
    o->flow_detail = detail;
    o->showhost = showhost;
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_dumper_new(out));
    struct err e = {0};
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    opt_free(o);
    return c;
}

static void
send_hook(struct addon_chain *c, enum hook h, struct flow *f)
{
    struct hook_data d;
    struct hook_call call;
    hook_data_init(&d, h, f, NULL, NULL);
    addon_dispatch(c, &call, &d, NULL, NULL);
    hook_data_clear(&d);
}

/* The flow of get-query.mitm, built by hand. */
static struct flow *
get_query_flow(void)
{
    struct connection *client = connection_new(CONN_CLIENT);
    struct connection *server = connection_new(CONN_SERVER);
    addr_set(&client->peername, "127.0.0.1", 43104);
    addr_set(&server->address, "127.0.0.1", 18080);
    struct flow *f = flow_new_http(client, server);
    connection_unref(client);
    connection_unref(server);

    struct http_request *rq = http_request_new();
    http_set_str(&rq->method, "GET");
    http_set_str(&rq->scheme, "http");
    http_set_str(&rq->host, "127.0.0.1");
    rq->port = 18080;
    http_set_str(&rq->path, "/search?q=hello%20world&lang=en&lang=de&empty=&flag");
    http_set_str(&rq->http_version, "HTTP/1.1");
    hdrs_add_cstr(&rq->headers, "Host", "127.0.0.1:18080");
    hdrs_add_cstr(&rq->headers, "User-Agent", "curl/7.88.1");
    hdrs_add_cstr(&rq->headers, "Accept", "*/*");
    hdrs_add_cstr(&rq->headers, "Proxy-Connection", "Keep-Alive");
    f->request = rq;

    struct http_response *rs = http_response_new();
    http_set_str(&rs->http_version, "HTTP/1.1");
    rs->status_code = 200;
    http_set_str(&rs->reason, "OK");
    hdrs_add_cstr(&rs->headers, "Server", "nginx");
    hdrs_add_cstr(&rs->headers, "Date", "Mon, 23 Nov 2026 20:21:01 GMT");
    hdrs_add_cstr(&rs->headers, "Content-Type", "text/plain");
    hdrs_add_cstr(&rs->headers, "Content-Length", "72");
    hdrs_add_cstr(&rs->headers, "Connection", "keep-alive");
    const char *body = "results for hello%20world (q=hello%20world&lang=en&lang=de&empty=&flag)\n";
    buf_set(&rs->content, body, strlen(body));
    f->response = rs;
    return f;
}

/* The flow of error-refused.mitm, built by hand. */
static struct flow *
refused_flow(void)
{
    struct connection *client = connection_new(CONN_CLIENT);
    addr_set(&client->peername, "127.0.0.1", 51960);
    struct flow *f = flow_new_http(client, NULL);
    connection_unref(client);
    struct http_request *rq = http_request_new();
    http_set_str(&rq->method, "GET");
    http_set_str(&rq->scheme, "http");
    http_set_str(&rq->host, "127.0.0.1");
    rq->port = 18099;
    http_set_str(&rq->path, "/nothing-listens-here");
    http_set_str(&rq->http_version, "HTTP/1.1");
    hdrs_add_cstr(&rq->headers, "Host", "127.0.0.1:18099");
    hdrs_add_cstr(&rq->headers, "User-Agent", "curl/7.88.1");
    hdrs_add_cstr(&rq->headers, "Accept", "*/*");
    hdrs_add_cstr(&rq->headers, "Proxy-Connection", "Keep-Alive");
    f->request = rq;
    flow_set_error(f, "[Errno 111] Connect call failed ('127.0.0.1', 18099)");
    return f;
}

static void
check_hand_built(struct flow *(*make)(void), enum hook h, const char *name, long detail)
{
    setenv("COLUMNS", "80", 1);
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    struct addon_chain *c = dumper_chain(mem, detail, 0);
    struct flow *f = make();
    /* Only response and error print. */
    send_hook(c, HOOK_REQUEST, f);
    send_hook(c, h, f);
    flow_unref(f);
    addon_chain_free(c);
    fclose(mem);
    char exp[64];
    snprintf(exp, sizeof(exp), "%s-%ld", name, detail);
    expect_file(out, len, exp);
    free(out);
}

TEST(dumper_hand_built_response)
{
    for (long d = 1; d <= 4; d++)
        check_hand_built(get_query_flow, HOOK_RESPONSE, "get-query", d);
}

TEST(dumper_hand_built_error)
{
    for (long d = 1; d <= 4; d++)
        check_hand_built(refused_flow, HOOK_ERROR, "error-refused", d);
}

TEST(dumper_detail_zero_is_quiet)
{
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    struct addon_chain *c = dumper_chain(mem, 0, 0);
    struct flow *f = get_query_flow();
    send_hook(c, HOOK_RESPONSE, f);
    flow_unref(f);
    addon_chain_free(c);
    fclose(mem);
    ASSERT_EQ(len, 0);
    free(out);
}

/* Quiet at detail 0, so it says it leaves loaded flows alone; at 1 it prints them. */
TEST(dumper_acts_on_loaded_flows_unless_quiet)
{
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    struct addon_chain *c = dumper_chain(mem, 0, 0);
    ASSERT(addon_chain_loaded_observer(c, NULL) == NULL);
    addon_chain_free(c);
    c = dumper_chain(mem, 1, 0);
    ASSERT(addon_chain_loaded_observer(c, NULL) == addon_chain_get(c, 0));
    addon_chain_free(c);
    fclose(mem);
    free(out);
}

/* Long URLs are cut at detail 1 to the terminal width minus 25 (at least 50). */
TEST(dumper_truncates_url_to_columns)
{
    setenv("COLUMNS", "100", 1);
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    struct addon_chain *c = dumper_chain(mem, 1, 0);
    struct flow *f = get_query_flow();
    send_hook(c, HOOK_RESPONSE, f);
    flow_unref(f);
    addon_chain_free(c);
    fclose(mem);
    /* The URL is 74 characters: it fits in 75. */
    ASSERT(strstr(out, "&empty=&flag\n") != NULL);
    free(out);
}

/* Every non-printable byte escaped, lines split on CR/LF, joined by CRLF. */
TEST(dumper_binary_body)
{
    setenv("COLUMNS", "80", 1);
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    struct addon_chain *c = dumper_chain(mem, 3, 0);
    struct flow *f = get_query_flow();
    buf_set(&f->response->content, "a\tb\x01\\'\"\r\nc\xff\n\nd", 14);
    send_hook(c, HOOK_RESPONSE, f);
    flow_unref(f);
    addon_chain_free(c);
    fclose(mem);
    ASSERT(strstr(out, "\n\n    a\tb\\x01\\\\'\"\r\n    c\\xff\r\n    \r\n    d\n\n") != NULL);
    free(out);
}

TEST(dumper_log_sink_writes_lines)
{
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    dumper_log_sink(LOG_INFO, "Proxy server listening at http://*:8080", mem);
    dumper_log_sink(LOG_WARN, "second", mem);
    fclose(mem);
    ASSERT_STREQ(out, "Proxy server listening at http://*:8080\nsecond\n");
    free(out);
}

/* Reads a fixture with readfile_run through a dumper and compares. */
static void
check_fixture(const char *fixture, long detail, int showhost)
{
    setenv("COLUMNS", "80", 1);
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    struct addon_chain *c = dumper_chain(mem, detail, showhost);
    char rel[128];
    snprintf(rel, sizeof(rel), "flows/%s.mitm", fixture);
    struct err e = {0};
    int n = readfile_run(c, test_fixture(rel), &e);
    if (n < 0)
        test_fail(__FILE__, __LINE__, "%s: %s", fixture, e.msg);
    addon_chain_free(c);
    fclose(mem);
    char exp[128];
    snprintf(exp, sizeof(exp), "%s-%ld%s", fixture, detail, showhost ? "-showhost" : "");
    expect_file(out, len, exp);
    free(out);
}

/* Detail 1 and 2 (no bodies) for every HTTP fixture. */
static const char *const fixtures_12[] = {
    "get-query",    "post-form",     "post-json",       "chunked",        "gzip",
    "not-found",    "head",          "headers-cookies", "latin1-headers", "methods",
    "status-codes", "assets",        "annotated",       "https-connect",  "http2",
    "reverse",      "error-refused", "error-truncated", "error-reset",    "killed",
    "blocked",      "intercepted",   "modified",        "replay-client",  "replay-server",
};

TEST(dumper_fixtures_detail_1)
{
    for (size_t i = 0; i < sizeof(fixtures_12) / sizeof(fixtures_12[0]); i++)
        check_fixture(fixtures_12[i], 1, 0);
}

TEST(dumper_fixtures_detail_1_showhost)
{
    for (size_t i = 0; i < sizeof(fixtures_12) / sizeof(fixtures_12[0]); i++)
        check_fixture(fixtures_12[i], 1, 1);
}

TEST(dumper_fixtures_detail_2)
{
    for (size_t i = 0; i < sizeof(fixtures_12) / sizeof(fixtures_12[0]); i++)
        check_fixture(fixtures_12[i], 2, 0);
}

/* Detail 3 and 4 where mitmproxy's view is the raw (or query) one. */
static const char *const fixtures_34[] = {
    "get-query",     "chunked",         "head",        "latin1-headers", "status-codes",
    "error-refused", "error-truncated", "error-reset", "blocked",
};

TEST(dumper_fixtures_detail_3)
{
    for (size_t i = 0; i < sizeof(fixtures_34) / sizeof(fixtures_34[0]); i++)
        check_fixture(fixtures_34[i], 3, 0);
}

TEST(dumper_fixtures_detail_4)
{
    for (size_t i = 0; i < sizeof(fixtures_34) / sizeof(fixtures_34[0]); i++)
        check_fixture(fixtures_34[i], 4, 0);
}

/*
 * On a terminal the dumper colours like mitmdump. The expected text was
 * captured through a pty (`script -q -c "mitmdump ..."`), so its newlines
 * went through the terminal's ONLCR, as ours do here.
 */
static void
check_fixture_tty(const char *fixture, long detail)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    ASSERT(master >= 0);
    ASSERT_EQ(grantpt(master), 0);
    ASSERT_EQ(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    ASSERT(slave >= 0);
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    ioctl(slave, TIOCSWINSZ, &ws);
    FILE *out = fdopen(slave, "w");
    setenv("COLUMNS", "80", 1);
    struct addon_chain *c = dumper_chain(out, detail, 0);
    char rel[128];
    snprintf(rel, sizeof(rel), "flows/%s.mitm", fixture);
    struct err e = {0};
    ASSERT(readfile_run(c, test_fixture(rel), &e) >= 0);
    addon_chain_free(c);
    fclose(out);

    struct buf got = BUF_INIT;
    char tmp[4096];
    ssize_t n;
    while ((n = read(master, tmp, sizeof(tmp))) > 0)
        buf_append(&got, tmp, (size_t)n);
    close(master);
    char exp[128];
    snprintf(exp, sizeof(exp), "%s-%ld-tty", fixture, detail);
    expect_file((const char *)buf_ptr(&got), got.len, exp);
    buf_clear(&got);
}

TEST(dumper_colours_on_terminal)
{
    check_fixture_tty("status-codes", 2);
    check_fixture_tty("get-query", 3);
}

/* TCP: one line per message, its content from detail 3 on. */
TEST(dumper_tcp_fixture)
{
    for (long detail = 1; detail <= 4; detail++)
        check_fixture("tcp", detail, 0);
    check_fixture_tty("tcp", 3);
}

/* WebSocket: the handshake, one line per message and the close line. */
TEST(dumper_websocket_fixture)
{
    for (long detail = 1; detail <= 4; detail++)
        check_fixture("websocket", detail, 0);
}

/* The first flow of a fixture, as loaded. */
static struct flow *
load_first(const char *fixture)
{
    FILE *fp = fopen(test_fixture(fixture), "rb");
    ASSERT(fp != NULL);
    struct ffile_reader *r = ffile_reader_new(fp, fixture);
    struct flow *f = NULL;
    struct err e = {0};
    ASSERT_EQ(ffile_read(r, &f, &e), 1);
    ffile_reader_free(r);
    fclose(fp);
    return f;
}

/*
 * A live flow gets one websocket_message per message, each seeing the list
 * up to it, and only the close line at the end: the same text as a loaded
 * flow, which readfile sends through the same hooks.
 */
TEST(dumper_websocket_live_matches_loaded)
{
    setenv("COLUMNS", "80", 1);
    struct flow *f = load_first("flows/websocket.mitm");
    ASSERT(f->websocket != NULL);
    struct flow *loaded = flow_copy(f);
    struct websocket_data *msgs = loaded->websocket;
    ASSERT(msgs != NULL && msgs->nmessages == 11);
    for (size_t i = 0; i < f->websocket->nmessages; i++)
        buf_clear(&f->websocket->messages[i].content);
    f->websocket->nmessages = 0;
    f->live = 1;
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    struct addon_chain *c = dumper_chain(mem, 3, 0);
    send_hook(c, HOOK_RESPONSE, f);
    send_hook(c, HOOK_WEBSOCKET_START, f);
    for (size_t i = 0; i < msgs->nmessages; i++) {
        const struct ws_message *m = &msgs->messages[i];
        struct ws_message *n =
            flow_ws_add_message(f, m->type, m->from_client, buf_ptr(&m->content), m->content.len);
        n->timestamp = m->timestamp;
        send_hook(c, HOOK_WEBSOCKET_MESSAGE, f);
    }
    send_hook(c, HOOK_WEBSOCKET_END, f);
    addon_chain_free(c);
    fclose(mem);
    expect_file(out, len, "websocket-3");
    free(out);
    flow_unref(loaded);
    flow_unref(f);
}

/* Abnormal close codes: the red error line, checked against mitmdump. */
TEST(dumper_websocket_close_errors_match_mitmdump)
{
    static const struct {
        int64_t code;
        const char *reason;
    } cases[] = {{1006, ""}, {1011, "boom"}, {4000, "app"}, {1001, "away"}};
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct flow *f = load_first("flows/websocket.mitm");
        double end = f->websocket->timestamp_end;
        flow_ws_set_close(f, 0, (int)cases[k].code, cases[k].reason, strlen(cases[k].reason));
        f->websocket->timestamp_end = end;
        char path[] = "/tmp/mp-dumper-ws-XXXXXX";
        int fd = mkstemp(path);
        ASSERT(fd >= 0);
        struct buf rec = BUF_INIT;
        ffile_serialize(&rec, f);
        ASSERT_EQ(write(fd, buf_ptr(&rec), rec.len), (ssize_t)rec.len);
        close(fd);
        buf_clear(&rec);
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "/usr/bin/mitmdump -n -r %s --flow-detail 1 2>/dev/null", path);
        FILE *p = popen(cmd, "r");
        ASSERT(p != NULL);
        struct buf want = BUF_INIT;
        char tmp[4096];
        size_t n;
        while ((n = fread(tmp, 1, sizeof(tmp), p)) > 0)
            buf_append(&want, tmp, n);
        ASSERT_EQ(pclose(p), 0);

        char *out = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&out, &len);
        struct addon_chain *c = dumper_chain(mem, 1, 0);
        struct err e = {0};
        ASSERT_EQ(readfile_run(c, path, &e), 1);
        addon_chain_free(c);
        fclose(mem);
        ASSERT_MEMEQ(out, len, buf_ptr(&want), want.len);
        free(out);
        buf_clear(&want);
        unlink(path);
        flow_unref(f);
    }
}

/* Sees what each hook of a replayed TCP flow is shown. */
struct spy {
    struct addon base;
    struct buf log;
};

static enum addon_result
spy_hook(struct addon *a, struct hook_call *call)
{
    struct spy *s = (struct spy *)a;
    const struct flow *f = call->data->flow;
    buf_printf(&s->log, "%s:%zu ", hook_name(call->data->hook), f->nmessages);
    return ADDON_CONTINUE;
}

static void
spy_free(struct addon *a)
{
    buf_clear(&((struct spy *)a)->log);
    free(a);
}

static const struct addon_ops spy_ops = {
    .name = "spy",
    .free = spy_free,
    .hooks = {[HOOK_TCP_START] = spy_hook,
              [HOOK_TCP_MESSAGE] = spy_hook,
              [HOOK_TCP_END] = spy_hook,
              [HOOK_TCP_ERROR] = spy_hook},
};

/* mitmproxy's eventsequence: the message list grows as it is replayed. */
TEST(dumper_tcp_readfile_hook_sequence)
{
    struct spy *s = calloc(1, sizeof(*s));
    s->base.ops = &spy_ops;
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, &s->base);
    struct err e = {0};
    ASSERT_EQ(readfile_run(c, test_fixture("flows/tcp.mitm"), &e), 1);
    ASSERT_BUF_STR(&s->log, "tcp_start:6 tcp_message:1 tcp_message:2 tcp_message:3 "
                            "tcp_message:4 tcp_message:5 tcp_message:6 tcp_end:6 ");
    addon_chain_free(c);
}

/*
 * Binary content (the hex view), empty messages and tcp_error, checked
 * against mitmdump itself: the flow is written to a file that both read.
 */
TEST(dumper_tcp_hex_and_error_match_mitmdump)
{
    setenv("COLUMNS", "80", 1);
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    addr_set(&cc->peername, "127.0.0.1", 40000);
    addr_set(&cc->address, "127.0.0.1", 40000);
    addr_set(&sc->address, "example.com", 7);
    struct flow *f = flow_new_tcp(cc, sc);
    uint8_t bin[40];
    for (size_t i = 0; i < sizeof(bin); i++)
        bin[i] = (uint8_t)(i * 7 + (i > 30 ? 0x61 : 0));
    flow_tcp_add_message(f, 1, bin, sizeof(bin));
    flow_tcp_add_message(f, 0, "", 0);
    flow_tcp_add_message(f, 0, "text \x00 reply\r\nsecond\n", 21);
    flow_tcp_add_message(f, 1,
                         "\x80\x81\x82"
                         "abc\x7f\x01\x02\x03",
                         10);
    flow_set_error(f, "Connection reset by peer\x01");
    f->live = 0;
    char path[] = "/tmp/mp-dumper-tcp-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    struct buf rec = BUF_INIT;
    ffile_serialize(&rec, f);
    ASSERT_EQ(write(fd, buf_ptr(&rec), rec.len), (ssize_t)rec.len);
    close(fd);
    buf_clear(&rec);
    for (long detail = 1; detail <= 4; detail++) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "/usr/bin/mitmdump -n -r %s --flow-detail %ld 2>/dev/null", path,
                 detail);
        FILE *p = popen(cmd, "r");
        ASSERT(p != NULL);
        struct buf want = BUF_INIT;
        char tmp[4096];
        size_t n;
        while ((n = fread(tmp, 1, sizeof(tmp), p)) > 0)
            buf_append(&want, tmp, n);
        ASSERT_EQ(pclose(p), 0);

        char *out = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&out, &len);
        struct addon_chain *c = dumper_chain(mem, detail, 0);
        struct err e = {0};
        ASSERT_EQ(readfile_run(c, path, &e), 1);
        addon_chain_free(c);
        fclose(mem);
        ASSERT_MEMEQ(out, len, buf_ptr(&want), want.len);
        free(out);
        buf_clear(&want);
    }
    unlink(path);
    flow_unref(f);
    connection_unref(cc);
    connection_unref(sc);
}

TEST(dumper_filter_invalid_is_a_configure_error)
{
    struct options *o = opt_new();
    opt_set(o, "dumper_filter", "~x nope", NULL);
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_dumper_new(stdout));
    struct err e = {0};
    ASSERT(addon_chain_configure(c, o, &e) < 0);
    ASSERT(strstr(e.msg, "dumper_filter") && strstr(e.msg, "~x"));
    addon_chain_free(c);
    opt_free(o);
}

/* A DNS flow from client port `port` asking for name (type, no question
 * when name is NULL), answered with no records yet when answered. */
static struct flow *
dns_flow(int port, const char *name, uint16_t type, int answered)
{
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    addr_set(&cc->peername, "127.0.0.1", (uint16_t)port);
    addr_set(&cc->address, "127.0.0.1", (uint16_t)port);
    addr_set(&sc->address, "127.0.0.1", 53);
    cc->timestamp_start = 1700000000.125;
    struct flow *f = flow_new_dns(cc, sc);
    connection_unref(cc);
    connection_unref(sc);
    f->live = 0;
    f->dns_request = dns_message_new();
    f->dns_request->recursion_desired = 1;
    if (name)
        dns_add_question(f->dns_request, name, type, DNS_CLASS_IN);
    if (answered) {
        f->dns_response = dns_message_copy(f->dns_request);
        f->dns_response->query = 0;
    }
    return f;
}

static void
answer(struct flow *f, uint16_t type, const void *data, size_t n)
{
    dns_add_rr(&f->dns_response->answers, "x.test", type, DNS_CLASS_IN, 60, data, n);
}

/* DNS flows printed at every detail as mitmdump 8.1.1 prints the same file:
 * every kind of record text, errors, a replayed query, an op code and a
 * type without names, and a query without questions (8.1.1 prints
 * nothing for it). */
TEST(dumper_dns_flows_match_mitmdump)
{
    struct flow *v[7];
    v[0] = dns_flow(40000, "x.test", DNS_TYPE_A, 1);
    answer(v[0], DNS_TYPE_A, "\x0a\0\0\x01", 4);
    answer(v[0], DNS_TYPE_AAAA, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\1", 16);
    answer(v[0], DNS_TYPE_CNAME, "\3www\4test\0", 10);
    answer(v[0], DNS_TYPE_TXT, "\5h\x01llo", 6);
    answer(v[0], DNS_TYPE_MX, "\0\12\4mail\0", 8);
    answer(v[0], DNS_TYPE_A, "\1\2", 2);
    answer(v[0], DNS_TYPE_PTR, "\0", 1);
    v[1] = dns_flow(40001, "gone.test", DNS_TYPE_HTTPS, 0);
    flow_set_error(v[1], "timed out\x02");
    v[2] = dns_flow(40002, "both.test", DNS_TYPE_AAAA, 1);
    v[2]->dns_response->response_code = DNS_RCODE_SERVFAIL;
    flow_set_error(v[2], "upstream failed");
    v[3] = dns_flow(40003, "again.test", DNS_TYPE_A, 1);
    v[3]->is_replay = "request";
    v[4] = dns_flow(40004, "odd.test", 54, 1);
    v[4]->dns_request->op_code = 3;
    v[5] = dns_flow(40005, NULL, 0, 1);
    v[6] = dns_flow(40006, "after.test", DNS_TYPE_SRV, 1);
    char path[] = "/tmp/mp-dumper-dns-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    struct buf rec = BUF_INIT;
    for (size_t i = 0; i < 7; i++)
        ffile_serialize(&rec, v[i]);
    ASSERT_EQ(write(fd, buf_ptr(&rec), rec.len), (ssize_t)rec.len);
    close(fd);
    buf_clear(&rec);
    for (long detail = 0; detail <= 4; detail++) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "/usr/bin/mitmdump -n -r %s --flow-detail %ld 2>/dev/null", path,
                 detail);
        FILE *p = popen(cmd, "r");
        ASSERT(p != NULL);
        struct buf want = BUF_INIT;
        char tmp[4096];
        size_t n;
        while ((n = fread(tmp, 1, sizeof(tmp), p)) > 0)
            buf_append(&want, tmp, n);
        ASSERT_EQ(pclose(p), 0);
        /* The flows after the one without questions are printed too. */
        if (detail > 0)
            ASSERT(memmem(buf_ptr(&want), want.len, "after.test", 10) != NULL);

        char *out = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&out, &len);
        struct addon_chain *c = dumper_chain(mem, detail, 0);
        struct err e = {0};
        ASSERT_EQ(readfile_run(c, path, &e), 7);
        addon_chain_free(c);
        fclose(mem);
        ASSERT_MEMEQ(out, len, buf_ptr(&want), want.len);
        free(out);
        buf_clear(&want);
    }
    unlink(path);
    for (size_t i = 0; i < 7; i++)
        flow_unref(v[i]);
}
