/*
 * The typed text options a script declares (float, Optional[int],
 * Optional[float], Optional[bool]): their type names, checked values in one
 * spelling, and how `--options`, config.yaml and a reset treat them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "options/opt.h"
#include "topt.h"

TEST(opt_typed_register_and_names)
{
    struct err e = {0};
    ASSERT(opt_register_typed("ty_oint", "optional int", NULL, NULL, "An int.", &e) >= OPT_COUNT);
    ASSERT(opt_register_typed("ty_float", "float", "1.5", NULL, "A float.", &e) >= OPT_COUNT);
    ASSERT(opt_register_typed("ty_ofloat", "optional float", NULL, NULL, "Maybe.", &e) >= 0);
    ASSERT(opt_register_typed("ty_obool", "optional bool", "true", NULL, "Maybe.", &e) >= 0);
    ASSERT(opt_register_typed("ty_ostr", "optional str", NULL, NULL, "Text.", &e) >= 0);
    ASSERT_STREQ(opt_info_type_name(opt_find("ty_oint")), "optional int");
    ASSERT_STREQ(opt_info_type_name(opt_find("ty_float")), "float");
    ASSERT_STREQ(opt_info_type_name(opt_find("ty_ofloat")), "optional float");
    ASSERT_STREQ(opt_info_type_name(opt_find("ty_obool")), "optional bool");
    ASSERT_STREQ(opt_info_type_name(opt_find("ty_ostr")), "optional str");
    ASSERT_STREQ(opt_info_type_name(opt_find("listen_port")), "int");

    /* Registered again (a reload): the same option; as another kind: refused. */
    int i = opt_register_typed("ty_oint", "optional int", NULL, NULL, "An int.", &e);
    ASSERT_EQ((size_t)i, opt_find("ty_oint")->index);
    ASSERT(opt_register_typed("ty_oint", "optional float", NULL, NULL, "x", &e) < 0);
    ASSERT(strstr(e.msg, "already exists") != NULL);
    ASSERT(opt_register_typed("ty_oint", "optional str", NULL, NULL, "x", &e) < 0);
    /* A type mitmproxy has no name for, and a default that is not one. */
    ASSERT(opt_register_typed("ty_dict", "dict", NULL, NULL, "x", &e) < 0);
    ASSERT(strstr(e.msg, "unsupported option type: dict") != NULL);
    ASSERT(opt_register_typed("ty_badint", "optional int", "seven", NULL, "x", &e) < 0);
    ASSERT(strstr(e.msg, "ty_badint: invalid integer 'seven'") != NULL);
    ASSERT(opt_find("ty_badint") == NULL);

    /* `--options` names the types as 8.1.1's typespec_to_str does and writes
     * the values as YAML numbers and booleans, not quoted strings. */
    struct options *o = opt_new();
    char *dump = topt_dump(o, NULL);
    ASSERT(strstr(dump, "\n# An int. Type optional int.\nty_oint:\n") != NULL);
    ASSERT(strstr(dump, "\n# A float. Type float.\nty_float: 1.5\n") != NULL);
    ASSERT(strstr(dump, "\n# Maybe. Type optional float.\nty_ofloat:\n") != NULL);
    ASSERT(strstr(dump, "\n# Maybe. Type optional bool.\nty_obool: true\n") != NULL);
    free(dump);
    ASSERT_EQ(opt_set_arg(o, "ty_oint=7", &e), 0);
    dump = topt_dump(o, NULL);
    ASSERT(strstr(dump, "\nty_oint: 7\n") != NULL);
    free(dump);
    opt_free(o);
}

TEST(opt_typed_values_are_checked)
{
    struct err e = {0};
    ASSERT(opt_register_typed("tv_oint", "optional int", NULL, NULL, "h", &e) >= 0);
    ASSERT(opt_register_typed("tv_float", "float", "2", NULL, "h", &e) >= 0);
    ASSERT(opt_register_typed("tv_ofloat", "optional float", NULL, NULL, "h", &e) >= 0);
    ASSERT(opt_register_typed("tv_obool", "optional bool", NULL, NULL, "h", &e) >= 0);
    const struct opt_info *oint = opt_find("tv_oint"), *flt = opt_find("tv_float"),
                          *oflt = opt_find("tv_ofloat"), *obool = opt_find("tv_obool");
    struct options *o = opt_new();
    ASSERT_STREQ(opt_get_str(o, flt), "2.0"); /* the default in Python's spelling */
    ASSERT(opt_get_str(o, oint) == NULL);

    /* An int option refuses "abc", naming the option and the value. */
    ASSERT_EQ(opt_set_arg(o, "tv_oint=abc", &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "tv_oint: invalid integer 'abc'");
    ASSERT_EQ(opt_set_arg(o, "tv_oint=2.5", &e), MP_ERR_INVAL);
    ASSERT_EQ(opt_set_arg(o, "tv_oint= 3", &e), MP_ERR_INVAL);
    ASSERT(opt_get_str(o, oint) == NULL); /* a refused value changes nothing */
    ASSERT_EQ(opt_set_arg(o, "tv_oint=007", &e), 0);
    ASSERT_STREQ(opt_get_str(o, oint), "7");
    ASSERT_EQ(opt_set_arg(o, "tv_oint=-12", &e), 0);
    ASSERT_STREQ(opt_get_str(o, oint), "-12");
    /* Empty, or no value, is None for an optional one. */
    ASSERT_EQ(opt_set_arg(o, "tv_oint=", &e), 0);
    ASSERT(opt_get_str(o, oint) == NULL);
    ASSERT_EQ(opt_set_arg(o, "tv_oint=99999999999999999999999", &e), MP_ERR_INVAL);

    ASSERT_EQ(opt_set_arg(o, "tv_float=abc", &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "tv_float: invalid float 'abc'");
    ASSERT_EQ(opt_set_arg(o, "tv_float=inf", &e), MP_ERR_INVAL);
    ASSERT_EQ(opt_set_arg(o, "tv_float=nan", &e), MP_ERR_INVAL);
    ASSERT_EQ(opt_set_arg(o, "tv_float=", &e), MP_ERR_INVAL); /* not optional */
    ASSERT_EQ(opt_set_arg(o, "tv_float", &e), MP_ERR_INVAL);
    static const char *const floats[][2] = {
        {"0.1", "0.1"},         {"3", "3.0"},          {"1e3", "1000.0"},
        {"1e20", "1e+20"},      {"-2.50", "-2.5"},     {"1e-05", "1e-05"},
        {"123456", "123456.0"}, {"1.5e16", "1.5e+16"}, {"0.0001", "0.0001"},
    };
    for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++) {
        char arg[64];
        snprintf(arg, sizeof(arg), "tv_ofloat=%s", floats[i][0]);
        ASSERT_EQ(opt_set_arg(o, arg, &e), 0);
        ASSERT_STREQ(opt_get_str(o, oflt), floats[i][1]);
    }

    ASSERT_EQ(opt_set_arg(o, "tv_obool=maybe", &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "tv_obool: invalid boolean 'maybe' (valid: true, false)");
    ASSERT_EQ(opt_set_arg(o, "tv_obool=false", &e), 0);
    ASSERT_STREQ(opt_get_str(o, obool), "false");
    ASSERT_EQ(opt_set_arg(o, "tv_obool", &e), 0);
    ASSERT(opt_get_str(o, obool) == NULL);

    /* Two spellings of one value are no change. */
    struct options *c = opt_copy(o);
    ASSERT_EQ(opt_set_arg(o, "tv_oint=5", &e), 0);
    ASSERT_EQ(opt_set_arg(c, "tv_oint=+5", &e), 0);
    struct opt_changes ch;
    ASSERT_EQ(opt_diff(o, c, &ch), 0);
    opt_reset_one(o, flt);
    ASSERT_STREQ(opt_get_str(o, flt), "2.0");
    opt_free(c);
    opt_free(o);
}

/* config.yaml gives numbers and booleans as YAML's own; they are checked
 * as text, and a wrong kind names the type. */
TEST(opt_typed_from_yaml)
{
    struct err e = {0};
    ASSERT(opt_register_typed("ty_yint", "optional int", NULL, NULL, "h", &e) >= 0);
    ASSERT(opt_register_typed("ty_yfloat", "float", "0.5", NULL, "h", &e) >= 0);
    ASSERT(opt_register_typed("ty_ybool", "optional bool", NULL, NULL, "h", &e) >= 0);
    struct options *o = opt_new();
    const char *yaml = "ty_yint: 12\nty_yfloat: 2.25\nty_ybool: true\n";
    ASSERT_EQ(opt_load_yaml(o, yaml, strlen(yaml), &e), 0);
    ASSERT_STREQ(opt_get_str(o, opt_find("ty_yint")), "12");
    ASSERT_STREQ(opt_get_str(o, opt_find("ty_yfloat")), "2.25");
    ASSERT_STREQ(opt_get_str(o, opt_find("ty_ybool")), "true");
    yaml = "ty_yfloat: 7\nty_yint: null\n";
    ASSERT_EQ(opt_load_yaml(o, yaml, strlen(yaml), &e), 0);
    ASSERT_STREQ(opt_get_str(o, opt_find("ty_yfloat")), "7.0");
    ASSERT(opt_get_str(o, opt_find("ty_yint")) == NULL);
    yaml = "ty_yint: [1, 2]\n";
    ASSERT(opt_load_yaml(o, yaml, strlen(yaml), &e) < 0);
    ASSERT(strstr(e.msg, "ty_yint expects a optional int, not a list") != NULL);
    yaml = "ty_yint: abc\n";
    ASSERT(opt_load_yaml(o, yaml, strlen(yaml), &e) < 0);
    ASSERT(strstr(e.msg, "invalid integer 'abc'") != NULL);
    opt_free(o);
}
