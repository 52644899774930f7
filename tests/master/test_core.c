/*
 * The core commands and the commands of the built-in addons (core.py,
 * comment.py, clientplayback.py, serverplayback.py, save.py): called
 * through the registry as the console's ':' prompt calls them, on a master
 * that serves nothing (-n), with a resolver over a small list of flows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "../lib/tflow.h"
#include "addons/addon.h"
#include "commands/commands.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "http/encoding.h"
#include "http/headers.h"
#include "http/message.h"
#include "master/master.h"
#include "options/opt.h"
#include "util/log.h"

#define NFLOWS 3
static struct flow *flows[NFLOWS];
static int updates;        /* update hooks seen */
static size_t last_update; /* flows in the last one */

/* "@all" is every flow, "@0".."@2" one of them. */
static int
resolve(void *arg, const char *spec, struct cmds_flows *out, struct err *e)
{
    (void)arg;
    size_t from = 0, to = NFLOWS;
    if (spec[0] == '@' && spec[1] >= '0' && spec[1] < '0' + NFLOWS && spec[2] == '\0')
        from = (size_t)(spec[1] - '0'), to = from + 1;
    else if (strcmp(spec, "@all") != 0)
        return err_set(e, MP_ERR_SYNTAX, "Invalid flow filter: %s", spec);
    out->n = to - from;
    out->v = calloc(out->n, sizeof(*out->v));
    for (size_t i = from; i < to; i++)
        out->v[i - from] = flow_ref(flows[i]);
    return 0;
}

static enum addon_result
on_update(struct addon *a, struct hook_call *call)
{
    (void)a;
    updates++;
    last_update = call->data->nflows;
    return ADDON_CONTINUE;
}

static const struct addon_ops watch_ops = {.name = "watch", .hooks = {[HOOK_UPDATE] = on_update}};

/* tflow_http()'s flow with what the commands here work on: a Host header,
 * and a reason and a body on the response. */
static struct flow *
http_flow(const char *method, const char *path, int status)
{
    struct flow *f = tflow_http(method, path, status);
    hdrs_add_cstr(&f->request->headers, "Host", "example.com");
    if (status) {
        http_set_str(&f->response->reason, "OK");
        buf_append_str(&f->response->content, "hello hello hello hello");
    }
    return f;
}

static struct addon watch = {.ops = &watch_ops};

static struct master *
setup(void)
{
    struct err e = {0};
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    log_set_level(LOG_ERROR);
    struct master *m = master_new(o);
    watch.chain = NULL;
    master_add_addon(m, &watch);
    if (master_configure(m, &e) < 0)
        test_fail(__FILE__, __LINE__, "configure: %s", e.msg);
    cmds_set_resolver(master_commands(m), resolve, NULL);
    flows[0] = http_flow("GET", "/a", 200);
    flows[1] = http_flow("POST", "/b", 404);
    flows[2] = http_flow("GET", "/c", 0);
    updates = 0;
    return m;
}

/* The master frees its addons; watch is static, so it leaves the chain first. */
static void
teardown(struct master *m)
{
    for (size_t i = 0; i < NFLOWS; i++)
        flow_unref(flows[i]);
    struct addon_chain *c = master_chain(m);
    size_t n = addon_chain_len(c);
    ASSERT(addon_chain_get(c, n - 1) == &watch);
    static const struct addon_ops none = {.name = "watch"};
    watch.ops = &none;
    master_free(m);
    watch.ops = &watch_ops;
}

static int
run(struct master *m, const char *line, struct cmds_value *ret, struct err *e)
{
    return cmds_execute(master_commands(m), line, ret, e);
}

#define RUN_OK(m, line)                                                                            \
    do {                                                                                           \
        struct err e_ = {0};                                                                       \
        if (run((m), (line), NULL, &e_) < 0)                                                       \
            test_fail(__FILE__, __LINE__, "%s: %s", (line), e_.msg);                               \
    } while (0)

TEST(core_mark_toggle_and_comment_raise_update)
{
    struct master *m = setup();
    RUN_OK(m, "flow.mark @1 :grapes:");
    ASSERT_STREQ(flows[1]->marked, ":grapes:");
    ASSERT_EQ(updates, 1);
    ASSERT_EQ(last_update, 1);
    RUN_OK(m, "flow.mark.toggle @all");
    ASSERT_STREQ(flows[0]->marked, ":default:");
    ASSERT_STREQ(flows[1]->marked, "");
    ASSERT_EQ(last_update, 3);
    RUN_OK(m, "flow.mark @0 false");
    ASSERT_STREQ(flows[0]->marked, "");
    struct err e = {0};
    ASSERT(run(m, "flow.mark @0 :no-such-marker:", NULL, &e) < 0);
    ASSERT(strstr(e.msg, "Invalid choice") != NULL);
    RUN_OK(m, "flow.comment @2 \"looks odd\"");
    ASSERT_STREQ(flows[2]->comment, "looks odd");
    teardown(m);
}

static int resumed;

static void
on_resume(struct flow *f, void *arg)
{
    (void)f;
    (void)arg;
    resumed++;
}

TEST(core_resume_and_kill_only_what_they_may)
{
    struct master *m = setup();
    flows[0]->live = 1;
    flow_intercept(flows[0]);
    flows[0]->resume = on_resume;
    resumed = 0;
    RUN_OK(m, "flow.resume @all");
    ASSERT_EQ(resumed, 1);
    ASSERT_EQ(flows[0]->intercepted, 0);
    ASSERT_EQ(last_update, 1); /* only the intercepted one */
    /* Only live flows are killable; a killed one is not again. */
    RUN_OK(m, "flow.kill @all");
    ASSERT_EQ(flows[0]->killed, 1);
    ASSERT_STREQ(flows[0]->error->msg, "Connection killed.");
    ASSERT_EQ(flows[1]->killed, 0);
    ASSERT_EQ(last_update, 1);
    RUN_OK(m, "flow.kill @0");
    ASSERT_EQ(last_update, 0);
    teardown(m);
}

TEST(core_flow_set_each_attribute_and_revert)
{
    struct master *m = setup();
    RUN_OK(m, "flow.set @0 method put");
    ASSERT_STREQ(flows[0]->request->method, "PUT");
    RUN_OK(m, "flow.set @0 path /new?q=1");
    ASSERT_STREQ(flows[0]->request->path, "/new?q=1");
    RUN_OK(m, "flow.set @0 host other.example");
    ASSERT_STREQ(flows[0]->request->host, "other.example");
    ASSERT_STREQ(hdrs_get(&flows[0]->request->headers, "Host")->value, "other.example");
    RUN_OK(m, "flow.set @0 url https://third.example:8443/x");
    ASSERT_STREQ(flows[0]->request->scheme, "https");
    ASSERT_STREQ(flows[0]->request->host, "third.example");
    ASSERT_EQ(flows[0]->request->port, 8443);
    ASSERT_STREQ(flows[0]->request->path, "/x");
    RUN_OK(m, "flow.set @1 status_code 418");
    ASSERT_EQ(flows[1]->response->status_code, 418);
    ASSERT_STREQ(flows[1]->response->reason, "I'm a teapot");
    RUN_OK(m, "flow.set @1 reason Nope");
    ASSERT_STREQ(flows[1]->response->reason, "Nope");
    struct err e = {0};
    ASSERT(run(m, "flow.set @1 status_code abc", NULL, &e) < 0);
    ASSERT_STREQ(e.msg, "Status code is not an integer: abc");
    e = (struct err){0};
    ASSERT(run(m, "flow.set @1 colour red", NULL, &e) < 0); /* not a choice */
    /* flow.set does not keep a backup (as 8.1.1); decode does, and revert
     * puts the state before it back. */
    hdrs_set_cstr(&flows[0]->response->headers, "content-encoding", "gzip");
    struct buf gz = BUF_INIT;
    ASSERT_EQ(enc_encode("gzip", (const uint8_t *)"plain body", 10, &gz, &e), 0);
    buf_reset(&flows[0]->response->content);
    buf_append(&flows[0]->response->content, buf_ptr(&gz), gz.len);
    RUN_OK(m, "flow.decode @0 response");
    ASSERT_BUF_STR(&flows[0]->response->content, "plain body");
    ASSERT(hdrs_get(&flows[0]->response->headers, "content-encoding") == NULL);
    ASSERT_EQ(flow_modified(flows[0]), 1);
    RUN_OK(m, "flow.revert @all");
    ASSERT_MEMEQ(buf_ptr(&flows[0]->response->content), flows[0]->response->content.len,
                 buf_ptr(&gz), gz.len);
    ASSERT_EQ(last_update, 1);
    buf_clear(&gz);
    teardown(m);
}

TEST(core_encode_and_toggle)
{
    struct master *m = setup();
    RUN_OK(m, "flow.encode @0 response br");
    ASSERT_STREQ(hdrs_get(&flows[0]->response->headers, "content-encoding")->value, "br");
    struct buf plain = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(
        enc_decoded_content(&flows[0]->response->headers, &flows[0]->response->content, &plain, &e),
        0);
    ASSERT_BUF_STR(&plain, "hello hello hello hello");
    buf_clear(&plain);
    /* Encoding an encoded body is skipped; toggle decodes it, then deflates. */
    RUN_OK(m, "flow.encode @0 response gzip");
    ASSERT_STREQ(hdrs_get(&flows[0]->response->headers, "content-encoding")->value, "br");
    RUN_OK(m, "flow.encode.toggle @0 response");
    ASSERT(hdrs_get(&flows[0]->response->headers, "content-encoding") == NULL);
    ASSERT_BUF_STR(&flows[0]->response->content, "hello hello hello hello");
    RUN_OK(m, "flow.encode.toggle @0 response");
    ASSERT_STREQ(hdrs_get(&flows[0]->response->headers, "content-encoding")->value, "deflate");
    /* Flows without the part are left alone. */
    RUN_OK(m, "flow.decode @2 response");
    ASSERT_EQ(last_update, 0);
    ASSERT(run(m, "flow.encode @0 request compress", NULL, &e) < 0);
    teardown(m);
}

TEST(core_set_and_options_commands)
{
    struct master *m = setup();
    RUN_OK(m, "set anticache");
    ASSERT_EQ(master_options(m)->anticache, 1);
    RUN_OK(m, "set anticache false");
    ASSERT_EQ(master_options(m)->anticache, 0);
    RUN_OK(m, "set ignore_hosts a.example b.example");
    ASSERT_EQ(master_options(m)->ignore_hosts.n, 2);
    ASSERT_STREQ(master_options(m)->ignore_hosts.v[1], "b.example");
    struct err e = {0};
    ASSERT(run(m, "set listen_port abc", NULL, &e) < 0);
    ASSERT(strstr(e.msg, "listen_port") != NULL);

    char path[64];
    snprintf(path, sizeof(path), "/tmp/mp-test-core-%d.yaml", (int)getpid());
    char line[128];
    snprintf(line, sizeof(line), "options.save %s", path);
    RUN_OK(m, "set stickycookie \"~d example\"");
    RUN_OK(m, line);
    RUN_OK(m, "options.reset.one ignore_hosts");
    ASSERT_EQ(master_options(m)->ignore_hosts.n, 0);
    RUN_OK(m, "options.reset");
    ASSERT(master_options(m)->stickycookie == NULL);
    snprintf(line, sizeof(line), "options.load %s", path);
    RUN_OK(m, line);
    ASSERT_STREQ(master_options(m)->stickycookie, "~d example");
    ASSERT_EQ(master_options(m)->ignore_hosts.n, 2);
    unlink(path);
    e = (struct err){0};
    ASSERT(run(m, "options.reset.one nosuch", NULL, &e) < 0);
    ASSERT_STREQ(e.msg, "No such option: nosuch");
    teardown(m);
}

TEST(core_replay_queues_and_save_file)
{
    struct master *m = setup();
    struct cmds_value v = {0};
    struct err e = {0};
    /* Only flows with a request and content replay; they lose their response. */
    RUN_OK(m, "replay.client @all");
    ASSERT_EQ(run(m, "replay.client.count", &v, &e), 0);
    ASSERT_EQ(v.i, 3);
    ASSERT(flows[0]->response == NULL);
    ASSERT_STREQ(flows[0]->is_replay, "request");
    RUN_OK(m, "replay.client.stop");
    ASSERT_EQ(run(m, "replay.client.count", &v, &e), 0);
    ASSERT_EQ(v.i, 0);
    ASSERT(flows[0]->response != NULL); /* reverted */
    ASSERT_EQ(last_update, 3);

    RUN_OK(m, "replay.server @all");
    ASSERT_EQ(run(m, "replay.server.count", &v, &e), 0);
    ASSERT_EQ(v.i, 3);
    RUN_OK(m, "replay.server.stop");
    ASSERT_EQ(run(m, "replay.server.count", &v, &e), 0);
    ASSERT_EQ(v.i, 0);

    char path[64], line[128];
    snprintf(path, sizeof(path), "/tmp/mp-test-core-%d.flows", (int)getpid());
    snprintf(line, sizeof(line), "save.file @0 %s", path);
    RUN_OK(m, line);
    snprintf(line, sizeof(line), "save.file @all +%s", path);
    RUN_OK(m, line);
    struct ffile_reader *r = ffile_reader_open(path, &e);
    ASSERT(r != NULL);
    struct flow *f;
    int n = 0;
    while (ffile_read(r, &f, &e) == 1) {
        ASSERT_STREQ(f->id, flows[n == 0 ? 0 : n - 1]->id);
        flow_unref(f);
        n++;
    }
    ffile_reader_free(r);
    ASSERT_EQ(n, 4);
    unlink(path);
    e = (struct err){0};
    ASSERT(run(m, "save.file @0 /nonexistent-dir/x", NULL, &e) < 0);
    ASSERT(strstr(e.msg, "No such file or directory") != NULL);

    ASSERT_EQ(run(m, "readfile.reading", &v, &e), 0);
    ASSERT_EQ(v.b, 0);
    cmds_value_clear(&v);
    teardown(m);
}
