/*
 * pathoc in-process against an in-process pathod; the log goes to a memory stream.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "pathod/client.h"
#include "pathod/server.h"

/* The server logs a request after its response is written, so a client that has read the
 * response may look before the entry is there: wait a little for want entries. */
static size_t
log_wait(struct pathod_server *s, struct pathod_log_entry **l, size_t want)
{
    size_t n = 0;
    for (int i = 0; i < 200; i++) {
        n = pathod_server_log(s, l);
        if (n >= want)
            return n;
        pathod_log_free(*l, n);
        usleep(10 * 1000);
    }
    return pathod_server_log(s, l);
}

struct run {
    char *text;
    size_t len;
    char *errtext;
    size_t errlen;
    int rc;
    struct err e;
};

static void
run_pathoc(struct pathoc_config *cfg, const char *const *specs, size_t n, struct run *r)
{
    memset(r, 0, sizeof(*r));
    FILE *f = open_memstream(&r->text, &r->len);
    FILE *ef = open_memstream(&r->errtext, &r->errlen);
    cfg->out = f;
    cfg->errout = ef;
    r->rc = pathoc_run(cfg, specs, n, &r->e);
    fclose(f);
    fclose(ef);
}

static void
run_free(struct run *r)
{
    free(r->text);
    free(r->errtext);
}

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static struct pathod_server *
start(void)
{
    struct pathod_config cfg = {.plain_connect = 1};
    struct err e = {0};
    struct pathod_server *s = pathod_server_start(&cfg, &e);
    ASSERT(s != NULL);
    return s;
}

TEST(pathoc_simple)
{
    struct pathod_server *s = start();
    struct pathoc_config cfg = {.host = "127.0.0.1", .port = pathod_server_port(s), .repeat = 1};
    /* Quoted, the response spec is part of the path; bare, b@5 is the request's body. */
    const char *specs[] = {"get:'/p/200:b@100'", "get:/p/200:b@5"};
    struct run r;
    run_pathoc(&cfg, specs, 2, &r);
    ASSERT_EQ(r.rc, 0);
    ASSERT(strstr(r.text, ": >> 'GET':'/p/200:b@100'\n<< 200 OK: 100 bytes\n") != NULL);
    ASSERT(strstr(r.text, ": >> 'GET':/p/200:b@5\n<< 200 OK: 0 bytes\n") != NULL);
    run_free(&r);
    pathod_server_stop(s);
}

TEST(pathoc_same_connection_and_repeat)
{
    struct pathod_server *s = start();
    struct pathoc_config cfg = {.host = "127.0.0.1", .port = pathod_server_port(s), .repeat = 2};
    const char *specs[] = {"get:/p/200", "get:/p/201"};
    struct run r;
    run_pathoc(&cfg, specs, 2, &r);
    ASSERT_EQ(r.rc, 0);
    ASSERT_EQ(count(r.text, "<< 200 OK: 0 bytes"), 2);
    ASSERT_EQ(count(r.text, "<< 201 Created: 0 bytes"), 2);
    run_free(&r);
    struct pathod_log_entry *l;
    size_t n = log_wait(s, &l, 4);
    ASSERT_EQ(n, 4);
    /* Two requests per connection, two connections. */
    ASSERT_STREQ(l[0].remote_address, l[1].remote_address);
    ASSERT_STREQ(l[2].remote_address, l[3].remote_address);
    ASSERT(strcmp(l[0].remote_address, l[2].remote_address) != 0);
    pathod_log_free(l, n);
    pathod_server_stop(s);
}

TEST(pathoc_explain_and_ignore)
{
    struct pathod_server *s = start();
    int ign[] = {200};
    struct pathoc_config cfg = {.host = "127.0.0.1",
                                .port = pathod_server_port(s),
                                .repeat = 1,
                                .explain = 1,
                                .ignorecodes = ign,
                                .nignore = 1,
                                .timeout = 2};
    const char *specs[] = {"get:/p/200", "get:/p/:s'401:h\"X\"=\"y\":ir,@1'"};
    struct run r;
    run_pathoc(&cfg, specs, 2, &r);
    ASSERT_EQ(r.rc, 0);
    /* The 200 is ignored entirely; the 401 shows its resolved spec with the Host header.
     * The random byte may land in the response head and break it: that is the point. */
    ASSERT(strstr(r.text, "<< 200") == NULL);
    ASSERT(strstr(r.text, "<< 401 ") != NULL || strstr(r.text, "Invalid server response") ||
           strstr(r.text, "Timeout"));
    ASSERT(strstr(r.text, ">> 'GET':/p/:s'401:") != NULL);
    ASSERT(strstr(r.text, "h'Host'='127.0.0.1'") != NULL);
    run_free(&r);
    pathod_server_stop(s);
}

TEST(pathoc_bad_spec)
{
    struct pathoc_config cfg = {.host = "127.0.0.1", .port = 1, .repeat = 1};
    const char *specs[] = {"get:/:b"};
    struct run r;
    run_pathoc(&cfg, specs, 1, &r);
    ASSERT_EQ(r.rc, MP_ERR_SYNTAX);
    ASSERT(strncmp(r.e.msg, "Error parsing request spec: ", 28) == 0);
    ASSERT(strchr(r.e.msg, '^') != NULL);
    ASSERT_EQ(r.len, 0);
    run_free(&r);
}

TEST(pathoc_connection_refused)
{
    struct pathod_server *s = start();
    int port = pathod_server_port(s);
    pathod_server_stop(s); /* now nothing listens there */
    struct pathoc_config cfg = {.host = "127.0.0.1", .port = port, .repeat = 1};
    const char *specs[] = {"get:/"};
    struct run r;
    run_pathoc(&cfg, specs, 1, &r);
    ASSERT_EQ(r.rc, MP_ERR_IO);
    ASSERT(strstr(r.errtext, "Error connecting to \"127.0.0.1\"") != NULL);
    run_free(&r);
}

TEST(pathoc_timeout)
{
    struct pathod_server *s = start();
    struct pathoc_config cfg = {
        .host = "127.0.0.1", .port = pathod_server_port(s), .repeat = 1, .timeout = 1};
    const char *specs[] = {"get:'/p/200:b@10:p0,f'"};
    struct run r;
    run_pathoc(&cfg, specs, 1, &r);
    ASSERT_EQ(r.rc, 0);
    ASSERT(strstr(r.text, "Timeout\n") != NULL);
    run_free(&r);
    pathod_server_stop(s);
}

TEST(pathoc_connect_through_pathod)
{
    struct pathod_server *s = start();
    struct pathoc_config cfg = {.host = "127.0.0.1",
                                .port = pathod_server_port(s),
                                .repeat = 1,
                                .connect_to = "example.com:80"};
    const char *specs[] = {"get:/p/202"};
    struct run r;
    run_pathoc(&cfg, specs, 1, &r);
    ASSERT_EQ(r.rc, 0);
    ASSERT(strstr(r.text, "<< 202 Accepted: 0 bytes") != NULL);
    run_free(&r);
    struct pathod_log_entry *l;
    size_t n = log_wait(s, &l, 1);
    ASSERT_EQ(n, 1);
    ASSERT_STREQ(hdrs_get(&l[0].headers, "Host")->value, "example.com");
    pathod_log_free(l, n);
    pathod_server_stop(s);
}

TEST(pathoc_head_no_body)
{
    struct pathod_server *s = start();
    struct pathoc_config cfg = {.host = "127.0.0.1", .port = pathod_server_port(s), .repeat = 1};
    const char *specs[] = {"head:/p/200:b@100"};
    struct run r;
    run_pathoc(&cfg, specs, 1, &r);
    ASSERT_EQ(r.rc, 0);
    /* A response to HEAD has no body whatever its Content-Length says. */
    ASSERT(strstr(r.text, "<< 200 OK: 0 bytes") != NULL);
    run_free(&r);
    pathod_server_stop(s);
}

TEST(pathoc_websocket)
{
    struct pathod_server *s = start();
    struct pathoc_config cfg = {
        .host = "127.0.0.1", .port = pathod_server_port(s), .repeat = 1, .timeout = 1};
    const char *specs[] = {"ws:/", "wf:b'pathod!wf:b\"echoed\"'"};
    struct run r;
    run_pathoc(&cfg, specs, 2, &r);
    ASSERT_EQ(r.rc, 0);
    ASSERT(strstr(r.text, "<< 101 Switching Protocols: 0 bytes") != NULL);
    ASSERT(strstr(r.text, "<< frame: fin=1 opcode=text length=6 payload='echoed'") != NULL);
    run_free(&r);
    pathod_server_stop(s);
}

TEST(pathoc_split_hostport)
{
    char *h = NULL;
    int p = 0;
    ASSERT_EQ(pathoc_split_hostport("example.com:8080", &h, &p), 0);
    ASSERT_STREQ(h, "example.com");
    ASSERT_EQ(p, 8080);
    free(h);
    p = 5;
    ASSERT_EQ(pathoc_split_hostport("localhost", &h, &p), 0);
    ASSERT_EQ(p, 5);
    free(h);
    ASSERT_EQ(pathoc_split_hostport("[::1]:99", &h, &p), 0);
    ASSERT_STREQ(h, "::1");
    ASSERT_EQ(p, 99);
    free(h);
    ASSERT_EQ(pathoc_split_hostport("host:x", &h, &p), MP_ERR_INVAL);
}

TEST(pathoc_tls_against_pathod_tls)
{
    char dir[] = "/tmp/pathod-conf-XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    struct pathod_config scfg = {.ssl = 1, .confdir = dir};
    struct err e = {0};
    struct pathod_server *s = pathod_server_start(&scfg, &e);
    ASSERT(s != NULL);
    struct pathoc_config cfg = {.host = "127.0.0.1",
                                .port = pathod_server_port(s),
                                .repeat = 1,
                                .ssl = 1,
                                .sni = "tls.example",
                                .showssl = 1};
    const char *specs[] = {"get:'/p/200:b@7'"};
    struct run r;
    run_pathoc(&cfg, specs, 1, &r);
    ASSERT_EQ(r.rc, 0);
    ASSERT(strstr(r.text, "<< 200 OK: 7 bytes") != NULL);
    ASSERT(strstr(r.text, "Subject: /CN=pathod.net") != NULL);
    run_free(&r);
    struct pathod_log_entry *l;
    size_t n = log_wait(s, &l, 1);
    ASSERT_EQ(n, 1);
    ASSERT_STREQ(l[0].sni, "tls.example");
    ASSERT(l[0].cipher != NULL);
    pathod_log_free(l, n);
    pathod_server_stop(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ASSERT_EQ(system(cmd), 0);
}
