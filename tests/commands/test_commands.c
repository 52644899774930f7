/* The command registry, lexer and types (mitmproxy's command.py, types.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "commands/commands.h"
#include "flow/flow.h"

static int
echo(void *arg, struct cmds_call *c, struct err *e)
{
    (void)arg;
    (void)e;
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < cmds_nargs(c); i++)
        buf_printf(&b, "%s[%s]", i ? " " : "", cmds_arg(c, i)->s);
    buf_append(&b, "", 1);
    cmds_return_str(c, (const char *)buf_ptr(&b));
    buf_clear(&b);
    return 0;
}

static int
add(void *arg, struct cmds_call *c, struct err *e)
{
    (void)arg;
    (void)e;
    cmds_return_int(c, cmds_arg(c, 0)->i + cmds_arg(c, 1)->i);
    return 0;
}

static int
formats(void *arg, struct cmds_call *c, struct err *e)
{
    (void)arg;
    (void)e;
    struct strv sv = {0};
    strv_push(&sv, "curl");
    strv_push(&sv, "raw");
    cmds_return_strs(c, &sv);
    return 0;
}

static int
count_flows(void *arg, struct cmds_call *c, struct err *e)
{
    (void)arg;
    (void)e;
    const struct cmds_value *v = cmds_arg(c, cmds_nargs(c) - 1);
    cmds_return_int(c, v->type == CMDS_FLOW ? 1 : (long)v->flows.n);
    return 0;
}

/* A store of three flows: "@all" is all, "@marked" the second, "~none" nothing. */
static struct flow *flows3[3];

static int
resolve(void *arg, const char *spec, struct cmds_flows *out, struct err *e)
{
    (void)arg;
    size_t from = 0, to = 0;
    if (strcmp(spec, "@all") == 0)
        to = 3;
    else if (strcmp(spec, "@marked") == 0)
        from = 1, to = 2;
    else if (strcmp(spec, "~none") != 0)
        return err_set(e, MP_ERR_SYNTAX, "Invalid flow filter: %s", spec);
    out->n = to - from;
    out->v = calloc(out->n ? out->n : 1, sizeof(*out->v));
    for (size_t i = from; i < to; i++)
        out->v[i - from] = flow_ref(flows3[i]);
    return 0;
}

static struct cmds *
registry(void)
{
    struct cmds *c = cmds_new();
    struct err e = {0};
    static const struct cmds_param echo_p[] = {{"first", CMDS_STR, 0, NULL},
                                               {"rest", CMDS_STR, 1, NULL}};
    static const struct cmds_param add_p[] = {{"a", CMDS_INT, 0, NULL}, {"b", CMDS_INT, 0, NULL}};
    static const struct cmds_param export_p[] = {{"format", CMDS_CHOICE, 0, "export.formats"},
                                                 {"flows", CMDS_FLOWS, 0, NULL}};
    static const struct cmds_param one_p[] = {{"flow", CMDS_FLOW, 0, NULL}};
    ASSERT_EQ(cmds_add(c, "echo", "Echo the arguments back.", echo_p, 2, CMDS_STR, echo, NULL,
                       &e), 0);
    ASSERT_EQ(cmds_add(c, "math.add", NULL, add_p, 2, CMDS_INT, add, NULL, &e), 0);
    ASSERT_EQ(cmds_add(c, "export.formats", "Return a list of the supported export formats.",
                       NULL, 0, CMDS_STRS, formats, NULL, &e), 0);
    ASSERT_EQ(cmds_add(c, "export.count", NULL, export_p, 2, CMDS_INT, count_flows, NULL, &e), 0);
    ASSERT_EQ(cmds_add(c, "flow.one", NULL, one_p, 1, CMDS_NONE, count_flows, NULL, &e), 0);
    cmds_set_resolver(c, resolve, NULL);
    return c;
}

TEST(cmds_lex_and_quote_as_mitmproxy)
{
    struct cmds_part *p;
    size_t n = cmds_lex("set  anticache=true \"a b\" 'c \"d' \"open", &p);
    const char *want[] = {"set", "  ", "anticache=true", " ", "\"a b\"", " ", "'c \"d'", " ",
                          "\"open"};
    ASSERT_EQ(n, 9);
    for (size_t i = 0; i < n; i++)
        ASSERT_MEMEQ(p[i].p, p[i].len, want[i], strlen(want[i]));
    free(p);
    char *u = cmds_unquote("'c \"d'", 6);
    ASSERT_STREQ(u, "c \"d");
    free(u);
    u = cmds_unquote("\"open", 5); /* unterminated: kept as typed */
    ASSERT_STREQ(u, "\"open");
    free(u);
    struct buf b = BUF_INIT;
    const char *in[] = {"plain", "", "a b", "say \"hi\"", "it's", "both ' and \""};
    const char *out[] = {"plain", "\"\"", "\"a b\"", "'say \"hi\"'", "\"it's\"",
                         "\"both ' and \\x22\""};
    for (size_t i = 0; i < 6; i++) {
        buf_reset(&b);
        cmds_quote(in[i], &b);
        ASSERT_BUF_STR(&b, out[i]);
    }
    buf_clear(&b);
}

TEST(cmds_execute_types_and_errors)
{
    struct cmds *c = registry();
    struct cmds_value r = {0};
    struct err e = {0};
    ASSERT_EQ(cmds_execute(c, "echo one 'two three' \"x\\ty\"", &r, &e), 0);
    ASSERT_STREQ(r.s, "[one] [two three] [x\ty]");
    ASSERT_EQ(cmds_execute(c, "math.add 2 -5", &r, &e), 0);
    ASSERT_EQ(r.type, CMDS_INT);
    ASSERT_EQ(r.i, -3);
    /* Errors say what mitmproxy says. */
    ASSERT(cmds_execute(c, "math.add 2 x", &r, &e) < 0);
    ASSERT_STREQ(e.msg, "invalid literal for int() with base 10: 'x'");
    ASSERT(cmds_execute(c, "math.add 2", &r, &e) < 0);
    ASSERT(strstr(e.msg, "Command argument mismatch") != NULL);
    ASSERT(cmds_execute(c, "nope 1", &r, &e) < 0);
    ASSERT_STREQ(e.msg, "Unknown command: nope");
    ASSERT(cmds_execute(c, "   ", &r, &e) < 0);
    ASSERT(strstr(e.msg, "Invalid command") != NULL);
    /* Choices come from another command; flows from the store. */
    ASSERT_EQ(cmds_execute(c, "export.count curl @all", &r, &e), 0);
    ASSERT_EQ(r.i, 3);
    ASSERT(cmds_execute(c, "export.count har @all", &r, &e) < 0);
    ASSERT_STREQ(e.msg, "Invalid choice.");
    ASSERT(cmds_execute(c, "export.count raw ~bad(", &r, &e) < 0);
    ASSERT(strstr(e.msg, "Invalid flow filter") != NULL);
    ASSERT_EQ(cmds_execute(c, "flow.one @marked", &r, &e), 0);
    ASSERT(cmds_execute(c, "flow.one @all", &r, &e) < 0);
    ASSERT_STREQ(e.msg, "Command requires one flow, specification matched 3.");
    cmds_value_clear(&r);
    cmds_free(c);
}

/* A script's arguments as values: a flow is passed as it is (a list of one
 * for flow[]), and whatever is not of its parameter's type is parsed from
 * its text, as a string argument is. */
TEST(cmds_call_values_takes_typed_arguments)
{
    struct cmds *c = registry();
    struct cmds_value r = {0};
    struct err e = {0};
    struct flow *f = flow_new(FLOW_HTTP);
    struct cmds_value flow_v = {.type = CMDS_FLOW, .flow = f, .s = "not a spec"};
    ASSERT_EQ(cmds_call_values(c, "flow.one", &flow_v, 1, &r, &e), 0);
    struct cmds_value args[2] = {{.type = CMDS_STR, .s = "curl"}, flow_v};
    ASSERT_EQ(cmds_call_values(c, "export.count", args, 2, &r, &e), 0);
    ASSERT_EQ(r.i, 1);
    struct cmds_value nums[2] = {{.type = CMDS_STR, .s = "2"},
                                 {.type = CMDS_BOOL, .b = 1, .s = "40"}};
    ASSERT_EQ(cmds_call_values(c, "math.add", nums, 2, &r, &e), 0);
    ASSERT_EQ(r.i, 42);
    nums[1].s = "x";
    ASSERT(cmds_call_values(c, "math.add", nums, 2, &r, &e) < 0);
    ASSERT_STREQ(e.msg, "invalid literal for int() with base 10: 'x'");
    ASSERT(cmds_call_values(c, "math.add", nums, 1, &r, &e) < 0);
    ASSERT(strstr(e.msg, "Command argument mismatch") != NULL);
    /* A parameter with a default may be left out; the signature shows it plain. */
    static const struct cmds_param opt_p[] = {{"a", CMDS_INT, 0, NULL},
                                              {"b", CMDS_INT, CMDS_OPTIONAL, NULL}};
    ASSERT_EQ(cmds_add(c, "math.opt", NULL, opt_p, 2, CMDS_INT, count_flows, NULL, &e), 0);
    ASSERT_EQ(cmds_call_values(c, "math.opt", nums, 1, &r, &e), 0);
    ASSERT_EQ(cmds_execute(c, "math.opt 1 2", &r, &e), 0);
    ASSERT(cmds_execute(c, "math.opt 1 2 3", &r, &e) < 0);
    ASSERT(cmds_execute(c, "math.opt", &r, &e) < 0);
    ASSERT_STREQ(e.msg, "Command argument mismatch: math.opt expects at least 1 argument, got 0");
    struct buf sig = BUF_INIT;
    cmds_signature(c, "math.opt", &sig);
    ASSERT_BUF_STR(&sig, "math.opt a b -> int");
    buf_clear(&sig);
    ASSERT_EQ(f->refs, 1); /* the caller's reference is all that is left */
    flow_unref(f);
    cmds_value_clear(&r);
    cmds_free(c);
}

TEST(cmds_parse_partial_types_each_piece)
{
    struct cmds *c = registry();
    struct cmds_part *p;
    enum cmds_type next;
    size_t n = cmds_parse_partial(c, "math.add 1 x", &p, &next);
    ASSERT_EQ(n, 5);
    ASSERT_EQ(p[0].type, CMDS_CMD);
    ASSERT(p[0].valid);
    ASSERT_EQ(p[2].type, CMDS_INT);
    ASSERT(p[2].valid);
    ASSERT_EQ(p[4].type, CMDS_INT);
    ASSERT(!p[4].valid);
    ASSERT_EQ(next, CMDS_NONE);
    free(p);
    n = cmds_parse_partial(c, "export.count ", &p, &next);
    ASSERT_EQ(next, CMDS_CHOICE);
    free(p);
    n = cmds_parse_partial(c, "nosuch", &p, &next);
    ASSERT_EQ(n, 1);
    ASSERT(!p[0].valid);
    free(p);
    cmds_free(c);
}

TEST(cmds_dump_as_mitmdump_commands)
{
    struct cmds *c = registry();
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    cmds_dump(c, f);
    fclose(f);
    ASSERT_STREQ(out, "# Echo the arguments back.\n"
                      "echo first *rest -> str\n\n"
                      "export.count format flows -> int\n\n"
                      "# Return a list of the supported export formats.\n"
                      "export.formats  -> str[]\n\n"
                      "flow.one flow\n\n"
                      "math.add a b -> int\n\n");
    free(out);
    cmds_free(c);
}

/* Set up the flows once per process (each test runs in its own). */
__attribute__((constructor)) static void
make_flows(void)
{
    for (int i = 0; i < 3; i++)
        flows3[i] = flow_new_http(NULL, NULL);
}
