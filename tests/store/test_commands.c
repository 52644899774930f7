/*
 * commands.c: the view.* commands through the registry, and flow specs
 * (mitmproxy's view.flows.resolve) wherever a command takes flows.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "commands/commands.h"
#include "export/har.h"
#include "http/message.h"
#include "store/internal.h"
#include "tstore.h"
#include "util/xmalloc.h"

struct env {
    struct store *s;
    struct cmds *c;
    struct flow **flows;
    size_t n;
};

static void
env_new(struct env *v)
{
    v->s = tstore_new(NULL);
    v->c = cmds_new();
    struct err e = {0};
    ASSERT_EQ(store_register_commands(v->s, v->c, &e), 0);
    v->n = tflows_load("all.mitm", &v->flows);
    for (size_t i = 0; i < v->n; i++)
        store_add(v->s, v->flows[i]);
}

static void
env_free(struct env *v)
{
    tflows_free(v->flows, v->n);
    cmds_free(v->c);
    store_free(v->s);
}

/* Runs a command line; returns its rc, the result in ret (cleared by the caller). */
static int
run(struct env *v, const char *line, struct cmds_value *ret, struct err *e)
{
    memset(ret, 0, sizeof(*ret));
    memset(e, 0, sizeof(*e));
    return cmds_execute(v->c, line, ret, e);
}

/* The flows a spec resolves to, through view.flows.resolve. */
static size_t
resolve(struct env *v, const char *spec)
{
    struct cmds_value ret;
    struct err e;
    const char *args[] = {spec};
    memset(&ret, 0, sizeof(ret));
    int rc = cmds_call(v->c, "view.flows.resolve", args, 1, &ret, &e);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "%s: %s", spec, e.msg);
    ASSERT_EQ(ret.type, CMDS_FLOWS);
    size_t n = ret.flows.n;
    cmds_value_clear(&ret);
    return n;
}

TEST(store_commands_are_registered_with_mitmproxys_names)
{
    struct env v;
    env_new(&v);
    static const char *names[] = {
        "view.focus.go",       "view.focus.next",       "view.focus.prev",
        "view.order.options",  "view.order.reverse",    "view.order.set",
        "view.order",          "view.filter.set",       "view.clear",
        "view.clear_unmarked", "view.settings.getval",  "view.settings.setval.toggle",
        "view.settings.setval", "view.flows.duplicate", "view.flows.remove",
        "view.flows.resolve",  "view.flows.create",     "view.flows.load",
        "view.properties.length", "view.properties.marked", "view.properties.marked.toggle",
        "view.properties.inbounds",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        ASSERT(cmds_has(v.c, names[i]));
    struct buf b = BUF_INIT;
    cmds_signature(v.c, "view.settings.getval", &b);
    char *sig = buf_strdup(&b);
    ASSERT_STREQ(sig, "view.settings.getval flow key default -> str");
    free(sig);
    buf_clear(&b);
    cmds_signature(v.c, "view.flows.resolve", &b);
    sig = buf_strdup(&b);
    ASSERT_STREQ(sig, "view.flows.resolve flow_spec -> flow[]");
    free(sig);
    buf_clear(&b);
    ASSERT_STREQ(cmds_help(v.c, "view.clear"), "Clears both the store and view.");
    env_free(&v);
}

TEST(store_flow_specs_resolve_as_mitmproxy)
{
    struct env v;
    env_new(&v);
    size_t marked = 0;
    for (size_t i = 0; i < v.n; i++)
        marked += v.flows[i]->marked[0] != '\0';
    ASSERT_EQ(resolve(&v, "@all"), v.n);
    ASSERT_EQ(resolve(&v, "@shown"), v.n);
    ASSERT_EQ(resolve(&v, "@hidden"), 0);
    ASSERT_EQ(resolve(&v, "@focus"), 1);
    ASSERT_EQ(resolve(&v, "@marked"), marked);
    ASSERT_EQ(resolve(&v, "@unmarked"), v.n - marked);

    struct err e = {0};
    ASSERT_EQ(store_set_filter(v.s, "~m GET", &e), 0);
    size_t shown = store_view_len(v.s);
    ASSERT_EQ(resolve(&v, "@shown"), shown);
    ASSERT_EQ(resolve(&v, "@hidden"), v.n - shown);
    /* A filter expression looks at the whole store, not the view. */
    ASSERT_EQ(resolve(&v, "~m GET"), shown);
    ASSERT_EQ(resolve(&v, "!~m GET"), v.n - shown);

    /* "@id,id": those flows, in store order. */
    char spec[256];
    snprintf(spec, sizeof(spec), "@%s,%s", v.flows[7]->id, v.flows[2]->id);
    struct cmds_value ret;
    const char *args[] = {spec};
    memset(&ret, 0, sizeof(ret));
    ASSERT_EQ(cmds_call(v.c, "view.flows.resolve", args, 1, &ret, &e), 0);
    ASSERT_EQ(ret.flows.n, 2);
    ASSERT_STREQ(ret.flows.v[0]->id, v.flows[2]->id);
    ASSERT_STREQ(ret.flows.v[1]->id, v.flows[7]->id);
    cmds_value_clear(&ret);

    /* mitmproxy's errors. */
    struct cmds_flows out;
    ASSERT(store_resolve(v.s, "~x", &out, &e) < 0);
    ASSERT_STREQ(e.msg, "Invalid filter expression: '~x'");
    ASSERT(store_resolve(v.s, "", &out, &e) < 0);
    ASSERT_STREQ(e.msg, "Empty filter expression");
    /* Not an id list (too short): a bare word, ~u. */
    ASSERT_EQ(resolve(&v, "@nope"), 0);
    ASSERT(store_resolve(v.s, "~c", &out, &e) < 0);
    ASSERT_STREQ(e.msg, "Invalid filter expression: '~c'");

    /* A command taking one flow: exactly one. */
    struct cmds_value r2;
    ASSERT(run(&v, "view.settings.getval @all k d", &r2, &e) < 0);
    ASSERT(strstr(e.msg, "Command requires one flow") != NULL);
    cmds_value_clear(&r2);
    /* An empty view: no focus. */
    store_clear(v.s);
    ASSERT_EQ(resolve(&v, "@focus"), 0);
    ASSERT_EQ(resolve(&v, "@all"), 0);
    env_free(&v);
}

TEST(store_commands_order_filter_focus_properties)
{
    struct env v;
    env_new(&v);
    struct cmds_value r;
    struct err e;
    ASSERT_EQ(run(&v, "view.order.options", &r, &e), 0);
    ASSERT_EQ(r.strs.n, 4);
    ASSERT_STREQ(r.strs.v[0], "method");
    ASSERT_STREQ(r.strs.v[3], "url");
    cmds_value_clear(&r);
    ASSERT_EQ(run(&v, "view.order.set size", &r, &e), 0);
    ASSERT_EQ(run(&v, "view.order", &r, &e), 0);
    ASSERT_STREQ(r.s, "size");
    cmds_value_clear(&r);
    ASSERT(run(&v, "view.order.set nope", &r, &e) < 0);
    ASSERT_STREQ(e.msg, "Unknown flow order: nope");
    ASSERT_EQ(run(&v, "view.order.reverse true", &r, &e), 0);
    ASSERT_EQ(store_reversed(v.s), 1);

    ASSERT_EQ(run(&v, "view.filter.set '~m POST'", &r, &e), 0);
    size_t shown = store_view_len(v.s);
    ASSERT(shown > 0 && shown < v.n);
    ASSERT_EQ(run(&v, "view.properties.length", &r, &e), 0);
    ASSERT_EQ(r.i, (long)shown);
    ASSERT(run(&v, "view.filter.set ~zz", &r, &e) < 0);
    ASSERT_STREQ(e.msg, "Invalid filter expression: '~zz'");
    ASSERT_EQ(run(&v, "view.filter.set ''", &r, &e), 0);
    ASSERT_EQ(store_view_len(v.s), v.n);

    ASSERT_EQ(run(&v, "view.properties.inbounds 0", &r, &e), 0);
    ASSERT_EQ(r.b, 1);
    ASSERT_EQ(run(&v, "view.properties.inbounds -1", &r, &e), 0);
    ASSERT_EQ(r.b, 0);
    char line[64];
    snprintf(line, sizeof(line), "view.properties.inbounds %zu", v.n);
    ASSERT_EQ(run(&v, line, &r, &e), 0);
    ASSERT_EQ(r.b, 0);

    ASSERT_EQ(run(&v, "view.focus.go -1", &r, &e), 0);
    ASSERT_EQ(store_focus_index(v.s), (long)v.n - 1);
    ASSERT_EQ(run(&v, "view.focus.prev", &r, &e), 0);
    ASSERT_EQ(store_focus_index(v.s), (long)v.n - 2);
    ASSERT_EQ(run(&v, "view.focus.next", &r, &e), 0);
    ASSERT_EQ(store_focus_index(v.s), (long)v.n - 1);

    ASSERT_EQ(run(&v, "view.properties.marked", &r, &e), 0);
    ASSERT_EQ(r.b, 0);
    ASSERT_EQ(run(&v, "view.properties.marked.toggle", &r, &e), 0);
    ASSERT_EQ(run(&v, "view.properties.marked", &r, &e), 0);
    ASSERT_EQ(r.b, 1);
    env_free(&v);
}

TEST(store_commands_settings_duplicate_remove_create_clear)
{
    struct env v;
    env_new(&v);
    struct cmds_value r;
    struct err e;
    ASSERT_EQ(run(&v, "view.settings.setval @all color red", &r, &e), 0);
    ASSERT_EQ(run(&v, "view.settings.getval @focus color none", &r, &e), 0);
    ASSERT_STREQ(r.s, "red");
    cmds_value_clear(&r);
    ASSERT_EQ(run(&v, "view.settings.getval @focus other none", &r, &e), 0);
    ASSERT_STREQ(r.s, "none");
    cmds_value_clear(&r);
    ASSERT_EQ(run(&v, "view.settings.setval.toggle @focus flag", &r, &e), 0);
    ASSERT_STREQ(store_setting(v.s, store_focus_id(v.s), "flag"), "true");
    ASSERT_EQ(run(&v, "view.settings.setval.toggle @focus flag", &r, &e), 0);
    ASSERT_STREQ(store_setting(v.s, store_focus_id(v.s), "flag"), "false");

    /* Duplicates get new ids; the focus goes to the first. */
    ASSERT_EQ(run(&v, "view.flows.duplicate @marked", &r, &e), 0);
    size_t marked = 0;
    for (size_t i = 0; i < v.n; i++)
        marked += v.flows[i]->marked[0] != '\0';
    ASSERT_EQ(store_count(v.s), v.n + marked);
    const char *focus = store_focus_id(v.s);
    for (size_t i = 0; i < v.n; i++)
        ASSERT(strcmp(focus, v.flows[i]->id) != 0);

    ASSERT_EQ(run(&v, "view.flows.remove @marked", &r, &e), 0);
    ASSERT_EQ(store_count(v.s), v.n - marked);
    ASSERT_EQ(resolve(&v, "@marked"), 0);

    ASSERT_EQ(run(&v, "view.flows.create get http://example.com:8081/x?y=1", &r, &e), 0);
    ASSERT_EQ(store_count(v.s), v.n - marked + 1);
    struct cmds_flows all;
    ASSERT_EQ(store_resolve(v.s, "@all", &all, &e), 0);
    struct flow *c = all.v[all.n - 1];
    ASSERT_STREQ(c->request->method, "GET");
    ASSERT_STREQ(c->request->host, "example.com");
    ASSERT_EQ(c->request->port, 8081);
    ASSERT_STREQ(c->request->path, "/x?y=1");
    struct store_info info;
    ASSERT_EQ(store_info(v.s, c->id, &info), 0);
    ASSERT_STREQ(info.host, "example.com");
    ASSERT_STREQ(info.path, "/x?y=1");
    for (size_t i = 0; i < all.n; i++)
        flow_unref(all.v[i]);
    free(all.v);
    /* ~u reads pretty_url, which takes the Host header (no port) as 8.1.1 does. */
    ASSERT_EQ(resolve(&v, "~u example.com/x"), 1);
    ASSERT_EQ(resolve(&v, "~u example.com:8081/x"), 0);
    ASSERT_EQ(resolve(&v, "~m GET & ~d example.com"), 1);
    ASSERT(run(&v, "view.flows.create get nourl", &r, &e) < 0);
    ASSERT(strncmp(e.msg, "Invalid URL: ", 13) == 0);

    ASSERT_EQ(run(&v, "view.clear_unmarked", &r, &e), 0);
    ASSERT_EQ(store_count(v.s), 0);
    env_free(&v);
}

static void
load_done(void *arg, int rc, size_t n, const struct err *e)
{
    int *flag = arg;
    *flag = rc == 0 ? (int)n + 1 : rc;
}

TEST(store_load_reads_a_flow_file_with_new_ids)
{
    struct tloop *q = tloop_new();
    struct store_config cfg = {.threads = 2, .post = tloop_post, .post_ctx = q};
    struct store *s = tstore_new(&cfg);
    struct shadow_like {
        struct trec rec;
    } t = {0};
    store_subscribe(s, trec_cb, &t.rec);
    int done = 0;
    struct err e = {0};
    ASSERT_EQ(store_load(s, test_fixture("flows/all.mitm"), load_done, &done, &e), 0);
    tloop_run_until(q, &done);
    struct flow **flows;
    size_t n = tflows_load("all.mitm", &flows);
    ASSERT_EQ(done, (int)n + 1);
    ASSERT_EQ(store_count(s), n);
    ASSERT_EQ(t.rec.n[STORE_ADD], n);
    /* New ids; the same flows otherwise. */
    for (size_t i = 0; i < n; i++)
        ASSERT_EQ(store__find(s, flows[i]->id), -1);
    /* Loading again adds them again. */
    done = 0;
    ASSERT_EQ(store_load(s, test_fixture("flows/all.mitm"), load_done, &done, &e), 0);
    tloop_run_until(q, &done);
    ASSERT_EQ(store_count(s), 2 * n);
    /* A file that is not there. */
    ASSERT(store_load(s, "/nonexistent/x.mitm", load_done, &done, &e) < 0);
    /* mitmproxy logs e.strerror. */
    ASSERT_STREQ(e.msg, "No such file or directory");
    tflows_free(flows, n);
    trec_clear(&t.rec);
    store_free(s);
    tloop_free(q);
}

/* view.flows.load of a HAR file: the reader master_enable_store() sets. */
TEST(store_load_reads_a_har_file_through_its_reader)
{
    const char *path = "tests/export/expected/all.har";
    struct err e = {0};
    struct har_reader *r = NULL;
    ASSERT_EQ(har_reader_open(path, &r, &e), 1);
    struct flow *f;
    size_t want = 0;
    while (har_reader_next(r, &f, &e) == 1) {
        flow_unref(f);
        want++;
    }
    har_reader_free(r);
    ASSERT(want > 10);

    struct tloop *q = tloop_new();
    struct store_config cfg = {.threads = 2, .post = tloop_post, .post_ctx = q};
    struct store *s = tstore_new(&cfg);
    store_set_reader(s, '{', har_read_each);
    int done = 0;
    ASSERT_EQ(store_load(s, path, load_done, &done, &e), 0);
    tloop_run_until(q, &done);
    ASSERT_EQ(done, (int)want + 1);
    ASSERT_EQ(store_count(s), want);
    store_free(s);
    tloop_free(q);
}
