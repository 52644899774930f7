/* The intercept addon and the intercept_active rule of the master. */
#include <string.h>

#include "../lib/test.h"
#include "addons/intercept.h"
#include "flow/flow.h"
#include "master/master.h"
#include "options/opt.h"

static struct flow *
flow_to(const char *path)
{
    struct flow *f = flow_new_http(NULL, NULL);
    struct http_request *r = http_request_new();
    http_set_str(&r->method, "GET");
    http_set_str(&r->scheme, "http");
    http_set_str(&r->host, "example.com");
    r->port = 80;
    http_set_str(&r->path, path);
    http_set_str(&r->http_version, "HTTP/1.1");
    f->request = r;
    f->live = 1;
    return f;
}

static void
dispatch(struct addon_chain *c, struct flow *f, enum hook h)
{
    struct hook_data d;
    struct hook_call call;
    hook_data_init(&d, h, f, NULL, NULL);
    addon_dispatch(c, &call, &d, NULL, NULL);
    hook_data_clear(&d);
}

TEST(intercept_matching_flows_when_active)
{
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_intercept_new());
    struct options *o = opt_new();
    struct err e = {0};
    /* Registered by the addon, so --set works for them now. */
    ASSERT_EQ(opt_set_arg(o, "intercept=~u /hold", &e), 0);
    ASSERT_EQ(opt_set_arg(o, "intercept_active=true", &e), 0);
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    struct flow *held = flow_to("/hold"), *free_ = flow_to("/free"), *replay = flow_to("/hold");
    replay->is_replay = "request";
    dispatch(c, held, HOOK_REQUEST);
    dispatch(c, free_, HOOK_REQUEST);
    dispatch(c, replay, HOOK_REQUEST);
    ASSERT(held->intercepted);
    ASSERT(!free_->intercepted);
    ASSERT(!replay->intercepted);
    flow_resume(held);
    ASSERT(!held->intercepted);
    /* Off: nothing is intercepted, whatever the filter says. */
    struct options *off = opt_copy(o);
    ASSERT_EQ(opt_set_arg(off, "intercept_active=false", &e), 0);
    struct opt_changes ch;
    opt_diff(o, off, &ch);
    ASSERT_EQ(addon_chain_update(c, off, &ch, &e), 0);
    dispatch(c, held, HOOK_RESPONSE);
    ASSERT(!held->intercepted);
    /* A bad filter is refused with the filter's message. */
    ASSERT_EQ(opt_set_arg(off, "intercept=~zz", &e), 0);
    ASSERT(addon_chain_configure(c, off, &e) < 0);
    ASSERT(strstr(e.msg, "~zz") != NULL);
    flow_unref(held);
    flow_unref(free_);
    flow_unref(replay);
    opt_free(o);
    opt_free(off);
    addon_chain_free(c);
}

TEST(intercept_filter_switches_intercept_active)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    struct master *m = master_new(o);
    master_add_addon(m, addon_intercept_new());
    ASSERT_EQ(master_configure(m, &e), 0);
    const struct opt_info *active = opt_find("intercept_active");
    ASSERT(!opt_get_bool(master_options(m), active));
    const char *on[] = {"intercept=~q"};
    ASSERT_EQ(master_set(m, on, 1, &e), 0);
    ASSERT(opt_get_bool(master_options(m), active));
    const char *toggle[] = {"intercept_active=false"};
    ASSERT_EQ(master_set(m, toggle, 1, &e), 0);
    ASSERT(!opt_get_bool(master_options(m), active));
    const char *clear[] = {"intercept="};
    ASSERT_EQ(master_set(m, on, 1, &e), 0); /* unchanged filter: active stays off */
    ASSERT(!opt_get_bool(master_options(m), active));
    ASSERT_EQ(master_set(m, clear, 1, &e), 0);
    ASSERT(!opt_get_bool(master_options(m), active));
    master_free(m);
}
