/* The client playback addon's queue across configure calls. */
#include <stdio.h>

#include "../lib/test.h"
#include "addons/addon.h"
#include "addons/clientplayback.h"
#include "flow/flow.h"
#include "options/opt.h"

static void
set_and_update(struct addon_chain *c, struct options *o, const char *setting)
{
    struct err e = {0};
    struct options *old = opt_copy(o);
    ASSERT_EQ(opt_set_arg(o, setting, &e), 0);
    struct opt_changes ch;
    opt_diff(old, o, &ch);
    opt_free(old);
    if (addon_chain_update(c, o, &ch, &e) != 0)
        test_fail(__FILE__, __LINE__, "update %s: %s", setting, e.msg);
}

TEST(clientplayback_second_configure_reads_files_only_when_they_change)
{
    char arg[4096];
    struct err e = {0};
    struct options *o = opt_new();
    snprintf(arg, sizeof(arg), "client_replay=%s", test_fixture("flows/methods.mitm"));
    ASSERT_EQ(opt_set_arg(o, arg, &e), 0);
    struct addon_chain *c = addon_chain_new();
    struct addon *p = addon_clientplayback_new();
    addon_chain_add(c, p);
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    ASSERT_EQ(clientplayback_count(p), 5);
    /* Before, every configure read the files again and queued them twice. */
    set_and_update(c, o, "anticache=true");
    ASSERT_EQ(clientplayback_count(p), 5);
    set_and_update(c, o, "client_replay_concurrency=-1");
    ASSERT_EQ(clientplayback_count(p), 5);
    /* Setting client_replay again queues its flows, as clientplayback.py does. */
    snprintf(arg, sizeof(arg), "client_replay=%s", test_fixture("flows/head.mitm"));
    set_and_update(c, o, arg);
    ASSERT_EQ(clientplayback_count(p), 5 + 5 + 1);
    opt_free(o);
    addon_chain_free(c);
}

/* What the replay is handed: flows prepared as ClientPlayback.start_replay. */
static struct flow *started;

static void
capture_start(void *ctx, struct flow *f, playback_done_cb done, void *done_arg)
{
    started = flow_ref(f);
    done(done_arg);
}

/*
 * The flow keeps its recorded state as the backup (so -w stores it and a
 * UI can revert), then loses its response and error and becomes a replay.
 */
TEST(clientplayback_backs_up_then_clears)
{
    char arg[4096];
    struct err e = {0};
    struct options *o = opt_new();
    snprintf(arg, sizeof(arg), "client_replay=%s", test_fixture("flows/error-truncated.mitm"));
    ASSERT_EQ(opt_set_arg(o, arg, &e), 0);
    struct addon_chain *c = addon_chain_new();
    struct addon *p = addon_clientplayback_new();
    addon_chain_add(c, p);
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    clientplayback_wire(p, capture_start, NULL, NULL, NULL);
    addon_chain_running(c);
    ASSERT(started != NULL);
    ASSERT_STREQ(started->is_replay, "request");
    ASSERT(started->response == NULL);
    ASSERT(started->error == NULL);
    ASSERT(started->backup != NULL);
    ASSERT(started->backup->is_replay == NULL);
    ASSERT(started->backup->response != NULL);
    ASSERT(started->backup->error != NULL);
    ASSERT(flow_modified(started));
    flow_revert(started);
    ASSERT(started->response != NULL && started->error != NULL);
    flow_unref(started);
    started = NULL;
    opt_free(o);
    addon_chain_free(c);
}
