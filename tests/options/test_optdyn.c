/*
 * Options registered at run time (a script's loader.add_option), settings
 * of options that do not exist yet, and the set of changed options.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "options/opt.h"
#include "topt.h"

TEST(opt_register_and_use)
{
    struct err e = {0};
    int i = opt_register("custom_flag", OPT_BOOL, NULL, NULL, "A script's flag.", &e);
    ASSERT(i >= OPT_COUNT);
    int j = opt_register("custom_names", OPT_SEQ, "first", NULL, "Names.", &e);
    ASSERT_EQ(j, i + 1);
    ASSERT_EQ(opt_count(), (size_t)OPT_COUNT + 2);
    /* The same again (a script reloaded) is the same option. */
    ASSERT_EQ(opt_register("custom_flag", OPT_BOOL, NULL, NULL, "A script's flag.", &e), i);
    /* Another type, or one of OPT_MAP's names, is refused. */
    ASSERT(opt_register("custom_flag", OPT_INT, NULL, NULL, "x", &e) < 0);
    ASSERT(strstr(e.msg, "already exists") != NULL);
    ASSERT(opt_register("anticache", OPT_BOOL, NULL, NULL, "x", &e) < 0);
    ASSERT(opt_register("not a name", OPT_BOOL, NULL, NULL, "x", &e) < 0);

    struct options *o = opt_new();
    const struct opt_info *flag = opt_find("custom_flag");
    ASSERT(flag != NULL && flag->index == (size_t)i);
    char v[64];
    opt_format_value(o, flag, v, sizeof(v));
    ASSERT_STREQ(v, "false");
    opt_format_value(o, opt_find("custom_names"), v, sizeof(v));
    ASSERT_STREQ(v, "[first]");
    ASSERT_EQ(opt_set_arg(o, "custom_flag", &e), 0);
    ASSERT_EQ(opt_set_arg(o, "custom_names=a", &e), 0);
    ASSERT_EQ(opt_set_arg(o, "custom_names=b", &e), 0);
    opt_format_value(o, opt_find("custom_names"), v, sizeof(v));
    ASSERT_STREQ(v, "[a, b]");

    /* Copies are deep and the difference names the registered options. */
    struct options *c = opt_copy(o);
    ASSERT_EQ(opt_set_arg(c, "custom_flag=false", &e), 0);
    opt_format_value(o, flag, v, sizeof(v));
    ASSERT_STREQ(v, "true");
    struct opt_changes ch;
    ASSERT_EQ(opt_diff(o, c, &ch), 1);
    ASSERT(opt_changed(&ch, (size_t)i));
    ASSERT(opt_changed_name(&ch, "custom_flag"));
    ASSERT(!opt_changed_name(&ch, "custom_names"));
    ASSERT(!OPT_CHANGED(&ch, anticache));
    ASSERT(opt_changed_name(NULL, "custom_names")); /* NULL: every option */
    ASSERT(!opt_changed_name(NULL, "no_such_option"));

    /* --options lists them in name order with the rest. */
    char *dump = topt_dump(o, NULL);
    const char *cf = strstr(dump, "\ncustom_flag: true\n");
    ASSERT(cf != NULL);
    ASSERT(strstr(dump, "# A script's flag. Type bool.\n") != NULL);
    ASSERT(cf < strstr(dump, "\ncustom_names:\n- a\n- b\n"));
    ASSERT(cf > strstr(dump, "\ncontent_view_lines_cutoff:"));
    free(dump);
    opt_free(c);
    opt_free(o);
}

/* An option of ours (opt_register_ours) works like any other but stays out
 * of --options, whose list is mitmproxy's. */
TEST(opt_register_ours_is_unlisted)
{
    struct err e = {0};
    int i = opt_register_ours("our_knob", OPT_STR, "a", "a|b", "Ours.", &e);
    ASSERT(i >= OPT_COUNT);
    const struct opt_info *info = opt_find("our_knob");
    ASSERT(info != NULL && info->unlisted && !opt_find("anticache")->unlisted);
    ASSERT_EQ(opt_register_ours("our_knob", OPT_STR, "a", "a|b", "Ours.", &e), i);
    struct options *o = opt_new();
    ASSERT_STREQ(opt_get_str(o, info), "a");
    ASSERT_EQ(opt_set_arg(o, "our_knob=b", &e), 0);
    ASSERT_STREQ(opt_get_str(o, info), "b");
    ASSERT(opt_set_arg(o, "our_knob=c", &e) < 0);
    char *dump = topt_dump(o, NULL);
    ASSERT(strstr(dump, "our_knob") == NULL);
    ASSERT(strstr(dump, "\nanticache: false\n") != NULL);
    free(dump);
    opt_free(o);
}

/* What a tool's UIs list: every option by name, ours included, but not
 * those the tool's mitmproxy lacks (opt_unlist). */
TEST(opt_listed_leaves_out_what_the_tool_lacks)
{
    struct err e = {0};
    ASSERT(opt_register_ours("our_knob", OPT_STR, "a", "a|b", "Ours.", &e) >= 0);
    ASSERT(opt_register("a_script_flag", OPT_BOOL, NULL, NULL, "A script's.", &e) >= 0);
    ASSERT_EQ(opt_unlist("flow_detail"), 0);
    ASSERT_EQ(opt_unlist("keepserving"), 0);
    const struct opt_info **v;
    size_t n = opt_listed(&v);
    ASSERT_EQ(n, opt_count() - 2);
    int knob = 0, flag = 0;
    for (size_t i = 0; i < n; i++) {
        ASSERT(strcmp(v[i]->name, "flow_detail") != 0 && strcmp(v[i]->name, "keepserving") != 0);
        if (i)
            ASSERT(strcmp(v[i - 1]->name, v[i]->name) < 0);
        knob |= strcmp(v[i]->name, "our_knob") == 0;
        flag |= strcmp(v[i]->name, "a_script_flag") == 0;
    }
    ASSERT(knob && flag);
    ASSERT_STREQ(v[0]->name, "a_script_flag");
    free(v);
    /* Out of the lists, not out of reach. */
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "flow_detail=3", &e), 0);
    ASSERT_EQ(o->flow_detail, 3);
    opt_free(o);
}

TEST(opt_set_deferred_until_registered)
{
    struct err e = {0};
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_deferred(o, "later_option=42", &e), 0);
    ASSERT_EQ(opt_set_deferred(o, "never_option=1", &e), 0);
    ASSERT_EQ(opt_set_deferred(o, "anticache=true", &e), 0); /* known: set now */
    ASSERT_EQ(o->anticache, 1);
    ASSERT_EQ(o->deferred.n, 2);
    ASSERT(opt_register("later_option", OPT_INT, "7", NULL, "Later.", &e) >= 0);
    ASSERT_EQ(opt_apply_deferred(o, &e), 0);
    char v[32];
    opt_format_value(o, opt_find("later_option"), v, sizeof(v));
    ASSERT_STREQ(v, "42");
    /* What is still unknown stays listed for the caller to report. */
    ASSERT_EQ(o->deferred.n, 1);
    ASSERT_STREQ(o->deferred.v[0], "never_option=1");
    /* A bad value is reported when its option appears. */
    ASSERT_EQ(opt_set_deferred(o, "bad_later=abc", &e), 0);
    ASSERT(opt_register("bad_later", OPT_INT, NULL, NULL, "x", &e) >= 0);
    ASSERT(opt_apply_deferred(o, &e) < 0);
    ASSERT(strstr(e.msg, "bad_later: invalid integer 'abc'") != NULL);
    opt_free(o);
}

/* A tool takes a shared option out of its --options (mitmweb lacks
 * mitmdump's flow_detail); the option is still set and read. */
TEST(opt_unlist_hides_a_table_option)
{
    struct err e = {0};
    ASSERT_EQ(opt_unlist("flow_detail"), 0);
    ASSERT_EQ(opt_unlist("no_such_option"), MP_ERR_NOTFOUND);
    ASSERT(opt_find("flow_detail")->unlisted && !opt_find("anticache")->unlisted);
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "flow_detail=3", &e), 0);
    ASSERT_EQ(o->flow_detail, 3);
    char *dump = topt_dump(o, NULL);
    ASSERT(strstr(dump, "flow_detail") == NULL);
    ASSERT(strstr(dump, "\nanticache: false\n") != NULL);
    free(dump);
    opt_free(o);
}
