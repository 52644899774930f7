#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "addons/addon.h"
#include "flow/flow.h"
#include "util/xmalloc.h"

/*
 * Toy addons: each appends its letter to a shared log when a hook reaches
 * it, and may defer, kill the flow or fail configure.
 */
struct toy {
    struct addon base;
    char letter;
    char *log; /* shared, 64 bytes */
    int defer;
    int kill;
    int fail_configure;
    int configured;
    int freed_check;
    struct hook_call *deferred;
};

static void
logc(struct toy *t, char c)
{
    size_t n = strlen(t->log);
    if (n < 63) {
        t->log[n] = c;
        t->log[n + 1] = '\0';
    }
}

static enum addon_result
toy_hook(struct addon *a, struct hook_call *call)
{
    struct toy *t = (struct toy *)a;
    logc(t, t->letter);
    if (t->kill)
        call->data->flow->killed = 1;
    if (t->defer) {
        t->deferred = call;
        return ADDON_DEFER;
    }
    return ADDON_CONTINUE;
}

static int
toy_configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
              struct err *e)
{
    struct toy *t = (struct toy *)a;
    t->configured = 1;
    if (t->fail_configure)
        return err_set(e, MP_ERR_INVAL, "toy %c: bad", t->letter);
    return 0;
}

static void
toy_running(struct addon *a)
{
    logc((struct toy *)a, 'R');
}

static void
toy_done(struct addon *a)
{
    logc((struct toy *)a, 'D');
}

static void
toy_free(struct addon *a)
{
    free(a);
}

static const struct addon_ops toy_ops = {
    .name = "toy",
    .configure = toy_configure,
    .running = toy_running,
    .done = toy_done,
    .free = toy_free,
    .hooks = {[HOOK_REQUEST] = toy_hook, [HOOK_RESPONSE] = toy_hook, [HOOK_ERROR] = toy_hook},
};

static const struct addon_ops quiet_ops = {
    .name = "quiet",
    .free = toy_free,
};

static struct toy *
toy_new(struct addon_chain *c, char letter, char *log)
{
    struct toy *t = xcalloc(1, sizeof(*t));
    t->base.ops = &toy_ops;
    t->letter = letter;
    t->log = log;
    addon_chain_add(c, &t->base);
    return t;
}

static void
on_done(struct hook_call *call, void *arg)
{
    (*(int *)arg)++;
}

static void
dispatch(struct addon_chain *c, struct hook_call *call, struct hook_data *d, enum hook h,
         struct flow *f, int *ndone)
{
    memset(d, 0, sizeof(*d));
    d->hook = h;
    d->flow = f;
    addon_dispatch(c, call, d, on_done, ndone);
}

TEST(addon_chain_order)
{
    char log[64] = "";
    struct addon_chain *c = addon_chain_new();
    toy_new(c, 'a', log);
    struct addon *q = xcalloc(1, sizeof(*q));
    q->ops = &quiet_ops;
    addon_chain_add(c, q);
    toy_new(c, 'b', log);
    toy_new(c, 'c', log);
    ASSERT_EQ(addon_chain_len(c), 4);
    ASSERT(addon_chain_get(c, 1) == q);
    ASSERT(addon_chain_get(c, 4) == NULL);
    ASSERT(addon_chain_find(c, "quiet") == q);
    ASSERT(addon_chain_find(c, "toy") == addon_chain_get(c, 0));
    ASSERT(addon_chain_find(c, "nope") == NULL);

    struct flow f = {0};
    struct hook_data d;
    struct hook_call call;
    int ndone = 0;
    dispatch(c, &call, &d, HOOK_REQUEST, &f, &ndone);
    ASSERT_STREQ(log, "abc");
    ASSERT_EQ(ndone, 1);
    /* Nobody listens to requestheaders: done runs at once. */
    dispatch(c, &call, &d, HOOK_REQUESTHEADERS, &f, &ndone);
    ASSERT_STREQ(log, "abc");
    ASSERT_EQ(ndone, 2);

    addon_chain_running(c);
    ASSERT_STREQ(log, "abcRRR");
    addon_chain_done(c);
    ASSERT_STREQ(log, "abcRRRDDD");
    addon_chain_free(c);
}

TEST(addon_empty_chain)
{
    struct addon_chain *c = addon_chain_new();
    struct hook_data d;
    struct hook_call call;
    int ndone = 0;
    dispatch(c, &call, &d, HOOK_RESPONSE, NULL, &ndone);
    ASSERT_EQ(ndone, 1);
    ASSERT_EQ(addon_chain_configure(c, NULL, NULL), 0);
    addon_chain_free(c);
    addon_chain_free(NULL);
}

TEST(addon_defer_resume)
{
    char log[64] = "";
    struct addon_chain *c = addon_chain_new();
    toy_new(c, 'a', log);
    struct toy *b = toy_new(c, 'b', log);
    struct toy *cc = toy_new(c, 'c', log);
    b->defer = 1;
    cc->defer = 1;

    struct flow f = {0};
    struct hook_data d;
    struct hook_call call;
    int ndone = 0;
    dispatch(c, &call, &d, HOOK_RESPONSE, &f, &ndone);
    ASSERT_STREQ(log, "ab");
    ASSERT_EQ(ndone, 0);
    ASSERT(b->deferred == &call);
    addon_resume(b->deferred);
    ASSERT_STREQ(log, "abc");
    ASSERT_EQ(ndone, 0);
    addon_resume(cc->deferred);
    ASSERT_STREQ(log, "abc");
    ASSERT_EQ(ndone, 1);
    addon_chain_free(c);
}

TEST(addon_kill_skips_rest)
{
    char log[64] = "";
    struct addon_chain *c = addon_chain_new();
    toy_new(c, 'a', log);
    struct toy *b = toy_new(c, 'b', log);
    toy_new(c, 'c', log);
    b->kill = 1;

    struct flow f = {0};
    struct hook_data d;
    struct hook_call call;
    int ndone = 0;
    dispatch(c, &call, &d, HOOK_REQUEST, &f, &ndone);
    ASSERT_STREQ(log, "ab");
    ASSERT_EQ(ndone, 1);
    ASSERT_EQ(f.killed, 1);

    /* A kill while deferred is honoured on resume. */
    log[0] = '\0';
    f.killed = 0;
    b->kill = 0;
    b->defer = 1;
    dispatch(c, &call, &d, HOOK_REQUEST, &f, &ndone);
    ASSERT_STREQ(log, "ab");
    f.killed = 1;
    addon_resume(&call);
    ASSERT_STREQ(log, "ab");
    ASSERT_EQ(ndone, 2);

    /* The error hook reports the kill to everyone. */
    log[0] = '\0';
    b->defer = 0;
    dispatch(c, &call, &d, HOOK_ERROR, &f, &ndone);
    ASSERT_STREQ(log, "abc");
    ASSERT_EQ(ndone, 3);
    addon_chain_free(c);
}

/* Thousands of synchronous addons must not grow the stack per addon. */
TEST(addon_long_chain)
{
    char log[64] = "";
    struct addon_chain *c = addon_chain_new();
    for (int i = 0; i < 100000; i++)
        toy_new(c, 'x', log);
    struct flow f = {0};
    struct hook_data d;
    struct hook_call call;
    int ndone = 0;
    dispatch(c, &call, &d, HOOK_REQUEST, &f, &ndone);
    ASSERT_EQ(ndone, 1);
    ASSERT_EQ(strlen(log), 63);
    addon_chain_free(c);
}

TEST(addon_configure_error_stops)
{
    char log[64] = "";
    struct addon_chain *c = addon_chain_new();
    struct toy *a = toy_new(c, 'a', log);
    struct toy *b = toy_new(c, 'b', log);
    struct toy *cc = toy_new(c, 'c', log);
    b->fail_configure = 1;
    struct err e = {0};
    ASSERT_EQ(addon_chain_configure(c, NULL, &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "toy b: bad");
    ASSERT_EQ(a->configured, 1);
    ASSERT_EQ(b->configured, 1);
    ASSERT_EQ(cc->configured, 0);
    addon_chain_free(c);
}

/* A toy that says whether it acts on loaded flows: its `kill` is the answer. */
static int
toy_acts(struct addon *a)
{
    return ((struct toy *)a)->kill;
}

static const struct addon_ops telling_ops = {
    .name = "telling",
    .acts_on_loaded = toy_acts,
    .free = toy_free,
    .hooks = {[HOOK_RESPONSE] = toy_hook},
};

/* Hooks of connections and TLS only: a loaded flow never reaches them. */
static const struct addon_ops tls_only_ops = {
    .name = "tlsonly",
    .free = toy_free,
    .hooks = {[HOOK_CLIENT_CONNECTED] = toy_hook, [HOOK_TLS_START_CLIENT] = toy_hook},
};

static struct toy *
add_with(struct addon_chain *c, const struct addon_ops *ops, char *log)
{
    struct toy *t = toy_new(c, 'x', log);
    t->base.ops = ops;
    return t;
}

TEST(addon_loaded_observer_errs_towards_the_hooks)
{
    char log[64] = "";
    struct addon_chain *c = addon_chain_new();
    add_with(c, &quiet_ops, log);
    add_with(c, &tls_only_ops, log);
    struct toy *telling = add_with(c, &telling_ops, log);
    /* No flow hooks, or flow hooks that say they are no-ops now. */
    ASSERT(addon_chain_loaded_observer(c, NULL) == NULL);
    telling->kill = 1;
    ASSERT(addon_chain_loaded_observer(c, NULL) == &telling->base);
    /* The one the caller stands in for does not count. */
    ASSERT(addon_chain_loaded_observer(c, &telling->base) == NULL);
    telling->kill = 0;
    /* A flow hook and nothing said: it may act. */
    struct toy *silent = toy_new(c, 's', log);
    ASSERT(addon_chain_loaded_observer(c, NULL) == &silent->base);
    ASSERT(addon_chain_loaded_observer(c, &silent->base) == NULL);
    addon_chain_free(c);
}
