/*
 * keysyaml.c: 8.1.1's keys.yaml, as users write it (block and flow lists
 * for ctx, quoted scalars, block scalars for long commands, comments), and
 * each error keymap.py names.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"

static long
parse(const char *text, struct keyspec **out, struct err *e)
{
    return console__keys_parse(text, strlen(text), out, e);
}

TEST(console_keys_parse)
{
    const char *text = "# my keys\n"
                       "-\n"
                       "  key: ctrl x\n"
                       "  cmd: console.view.help   # a comment\n"
                       "  help: 'it''s help'\n"
                       "- key: \"#\"\n"
                       "  ctx: [flowlist, \"flowview\"]\n"
                       "  cmd: >\n"
                       "    console.choose Part\n"
                       "    request,response flow.encode.toggle @focus {choice}\n"
                       "- key: X\n"
                       "  ctx:\n"
                       "  - flowlist\n"
                       "  -   options\n"
                       "  cmd: flow.kill @focus\n";
    struct keyspec *k;
    struct err e = {0};
    long n = parse(text, &k, &e);
    if (n < 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    ASSERT_EQ(n, 3);
    ASSERT_STREQ(k[0].key, "ctrl x");
    ASSERT_STREQ(k[0].cmd, "console.view.help");
    ASSERT_STREQ(k[0].help, "it's help");
    ASSERT_EQ(k[0].ctx.n, 0);
    ASSERT_STREQ(k[1].key, "#");
    ASSERT_EQ(k[1].ctx.n, 2);
    ASSERT_STREQ(k[1].ctx.v[1], "flowview");
    ASSERT_STREQ(k[1].cmd,
                 "console.choose Part request,response flow.encode.toggle @focus {choice}");
    ASSERT(k[1].help == NULL);
    ASSERT_EQ(k[2].ctx.n, 2);
    ASSERT_STREQ(k[2].ctx.v[0], "flowlist");
    ASSERT_STREQ(k[2].ctx.v[1], "options");
    ASSERT_STREQ(k[2].cmd, "flow.kill @focus");
    console__keyspecs_free(k, (size_t)n);
    /* Empty files and empty lists bind nothing. */
    ASSERT_EQ(parse("", &k, &e), 0);
    ASSERT_EQ(parse("# nothing\n[]\n", &k, &e), 0);
}

TEST(console_keys_parse_errors)
{
    struct keyspec *k;
    struct err e = {0};
    ASSERT(parse("- key: a\n  cmd: b\n  colour: red\n", &k, &e) < 0);
    ASSERT(strstr(e.msg, "Unknown key attributes") && strstr(e.msg, "colour"));
    ASSERT(parse("- key: a\n", &k, &e) < 0);
    ASSERT(strstr(e.msg, "Missing required key attributes: cmd") != NULL);
    ASSERT(parse("- key: a\n  cmd: b\n  ctx: flowlist\n", &k, &e) < 0);
    ASSERT(strstr(e.msg, "Invalid type for ctx") != NULL);
    ASSERT(parse("key: a\ncmd: b\n", &k, &e) < 0);
    ASSERT(strstr(e.msg, "line 1") && strstr(e.msg, "expected a list of keys"));
    ASSERT(parse("- key: 'a\n  cmd: b\n", &k, &e) < 0);
    ASSERT(strstr(e.msg, "unterminated") != NULL);
    ASSERT(parse("- key: a\n  cmd: b\n  ctx: [a, \n", &k, &e) < 0);
    ASSERT(parse("- key: a\n  key: b\n  cmd: c\n", &k, &e) < 0);
    ASSERT(strstr(e.msg, "line 2") != NULL);
}
