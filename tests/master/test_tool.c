/*
 * The start the proxy tools share (master/tool.c): options registered in
 * the tool's order, the tool's defaults under the command line, the flags
 * that print and exit, and the exit status of each way out; and -r as the
 * interactive tools read it, its errors in the event log. What is
 * printed goes to stdout and stderr as the tools print it, so the tests
 * catch it in a file; the words themselves are tests/e2e/test_cli.py's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "master/master.h"
#include "options/cmdline.h"
#include "options/opt.h"
#include "util/log.h"

/* A conf dir without config.yaml, so the user's never counts here. */
#define NO_CONF "--set", "confdir=/nonexistent/mitmproxy-c-test-tool"

static int
register_color(struct err *e)
{
    int rc = opt_register("tool_color", OPT_STR, "red", NULL, "A colour.", e);
    return rc < 0 ? rc : 0;
}

static int
register_fails(struct err *e)
{
    return err_set(e, MP_ERR_EXISTS, "option 'tool_color' already exists");
}

/* The tool's default port, under whatever the command line says. */
static void
port_default(struct options *o)
{
    opt_set(o, "listen_port", "1234", NULL);
}

static int (*const ours[])(struct err *) = {register_color, NULL};

/* Runs master_parse_cmdline() with fd (1 or 2) caught; the text is the caller's. */
static struct options *
parse(const struct master_tool *t, char **argv, struct cmdline *cl, int *status, int fd,
      char **text)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    char path[] = "/tmp/mp-test-tool-XXXXXX";
    int tmp = mkstemp(path);
    ASSERT(tmp >= 0);
    unlink(path);
    fflush(NULL);
    int saved = dup(fd);
    dup2(tmp, fd);
    struct options *o = master_parse_cmdline(t, argc, argv, cl, status);
    fflush(NULL);
    dup2(saved, fd);
    close(saved);
    off_t len = lseek(tmp, 0, SEEK_END);
    *text = calloc(1, (size_t)len + 1);
    ASSERT_EQ(pread(tmp, *text, (size_t)len, 0), (ssize_t)len);
    close(tmp);
    return o;
}

/* Parses argv, on which the tool stops (no options) with status want;
 * returns what it printed to fd (1 or 2), which the caller frees. */
static char *
stopped(const struct master_tool *t, char **argv, int fd, int want)
{
    struct cmdline cl = {0};
    char *text;
    int status = -1;
    ASSERT(parse(t, argv, &cl, &status, fd, &text) == NULL);
    ASSERT_EQ(status, want);
    cmdline_clear(&cl);
    return text;
}

TEST(tool_registers_then_reads_over_its_defaults)
{
    struct master_tool t = {.name = "tool", .register_options = ours, .defaults = port_default};
    char *argv[] = {"tool", NO_CONF, "--set", "tool_color=blue", NULL};
    struct cmdline cl = {0};
    char *out;
    int status = -1;
    struct options *o = parse(&t, argv, &cl, &status, 1, &out);
    ASSERT(o != NULL);
    ASSERT_EQ(status, 0);
    ASSERT_STREQ(out, "");
    ASSERT_STREQ(opt_get_str(o, opt_find("tool_color")), "blue");
    ASSERT_EQ(o->listen_port, 1234);
    opt_free(o);
    cmdline_clear(&cl);
    free(out);

    /* The command line wins over the tool's default. */
    char *argv2[] = {"tool", NO_CONF, "--listen-port", "8081", NULL};
    o = parse(&t, argv2, &cl, &status, 1, &out);
    ASSERT(o != NULL);
    ASSERT_EQ(o->listen_port, 8081);
    opt_free(o);
    cmdline_clear(&cl);
    free(out);
}

TEST(tool_options_shows_the_tools_defaults)
{
    struct master_tool t = {.name = "tool", .register_options = ours, .defaults = port_default};
    char *argv[] = {"tool", NO_CONF, "--listen-port", "8081", "--options", NULL};
    char *out = stopped(&t, argv, 1, 0);
    ASSERT(strstr(out, "listen_port: 1234\n") != NULL);
    ASSERT(strstr(out, "tool_color: red\n") != NULL);
    free(out);
}

TEST(tool_options_leaves_out_what_the_tool_lacks)
{
    /* mitmweb's --options as 8.1.1's: no dumper options, which it still reads. */
    struct master_tool t = {.name = "tool", .unlisted = master_dump_only_options};
    char *argv[] = {"tool", NO_CONF, "--options", NULL};
    char *out = stopped(&t, argv, 1, 0);
    ASSERT(strstr(out, "\nflow_detail:") == NULL);
    ASSERT(strstr(out, "\nkeepserving:") == NULL);
    ASSERT(strstr(out, "\ndumper_filter:") == NULL);
    ASSERT(strstr(out, "\ndumper_default_contentview:") == NULL);
    ASSERT(strstr(out, "\ntermlog_verbosity: info\n") != NULL);
    ASSERT(strstr(out, "\nlisten_port: 8080\n") != NULL);
    free(out);

    char *set[] = {"tool", NO_CONF, "--set", "flow_detail=3", NULL};
    struct cmdline cl = {0};
    int status = -1;
    struct options *o = parse(&t, set, &cl, &status, 1, &out);
    ASSERT(o != NULL);
    ASSERT_EQ(o->flow_detail, 3);
    opt_free(o);
    cmdline_clear(&cl);
    free(out);

    /* mitmproxy's console has its own log: termlog_verbosity goes too. */
    struct master_tool con = {.name = "tool", .unlisted = master_dump_only_options_console};
    memset(&cl, 0, sizeof(cl));
    ASSERT(parse(&con, argv, &cl, &status, 1, &out) == NULL);
    ASSERT(strstr(out, "\ntermlog_verbosity:") == NULL);
    ASSERT(strstr(out, "\nflow_detail:") == NULL);
    cmdline_clear(&cl);
    free(out);
}

TEST(tool_help_and_version_print_and_stop)
{
    struct master_tool t = {.name = "tool"};
    char *help[] = {"tool", "--help", NULL};
    char *out = stopped(&t, help, 1, 0);
    ASSERT(strncmp(out, "usage: tool ", 12) == 0);
    free(out);

    char *version[] = {"tool", "--version", NULL};
    out = stopped(&t, version, 1, 0);
    ASSERT(strncmp(out, "Mitmproxy: ", 11) == 0);
    free(out);
}

TEST(tool_filters_are_only_the_filter_tools)
{
    struct master_tool dump = {.name = "tool", .filters = 1};
    char *argv[] = {"tool", NO_CONF, "~q", NULL};
    struct cmdline cl = {0};
    char *err;
    int status = -1;
    struct options *o = parse(&dump, argv, &cl, &status, 2, &err);
    ASSERT(o != NULL);
    ASSERT_EQ(cl.filters.n, 1);
    ASSERT_STREQ(cl.filters.v[0], "~q");
    opt_free(o);
    cmdline_clear(&cl);
    free(err);

    struct master_tool ui = {.name = "tool"};
    err = stopped(&ui, argv, 2, 2);
    ASSERT_STREQ(err, "usage: tool [options]\ntool: error: unrecognized arguments\n");
    free(err);
}

TEST(tool_bad_command_line_is_a_usage_error)
{
    struct master_tool t = {.name = "tool", .filters = 1};
    char *argv[] = {"tool", NO_CONF, "--no-such-flag", NULL};
    char *err = stopped(&t, argv, 2, 2);
    ASSERT(strncmp(err, "usage: tool [options] [filter]\ntool: error: ", 44) == 0);
    ASSERT(strstr(err, "--no-such-flag") != NULL);
    free(err);
}

TEST(tool_registration_failure_stops_with_1)
{
    static int (*const failing[])(struct err *) = {register_fails, NULL};
    struct master_tool t = {.name = "tool", .register_options = failing};
    char *argv[] = {"tool", NULL};
    char *err = stopped(&t, argv, 2, 1);
    ASSERT_STREQ(err, "tool: error: option 'tool_color' already exists\n");
    free(err);
}

static char logged[512];

static void
catch_log(enum log_level level, const char *msg, void *arg)
{
    (void)arg;
    if (level == LOG_ERROR)
        snprintf(logged, sizeof(logged), "%s", msg);
}

/* A master that serves nothing and reads rfile (a path, or NULL for none). */
static struct master *
reader(const char *rfile)
{
    struct err e = {0};
    char set[4096];
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    snprintf(set, sizeof(set), "rfile=%s", rfile);
    ASSERT_EQ(opt_set_arg(o, set, &e), 0);
    struct master *m = master_new(o);
    ASSERT_EQ(master_configure(m, &e), 0);
    return m;
}

TEST(tool_read_errors_go_to_the_event_log)
{
    log_set_level(LOG_INFO);
    log_set_sink(catch_log, NULL);

    /* A file that cannot be opened. */
    struct master *m = reader("/nonexistent/mp-test-tool.mitm");
    master_read_flows_logged(m);
    ASSERT(strstr(logged, "/nonexistent/mp-test-tool.mitm") != NULL);
    master_free(m);

    /* A damaged one: found while reading. */
    char path[] = "/tmp/mp-test-tool-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, "12:not a flow", 13), 13);
    close(fd);
    logged[0] = '\0';
    m = reader(path);
    master_read_flows_logged(m);
    ASSERT_EQ(master_run(m), 0);
    unlink(path);
    ASSERT(strstr(logged, path) != NULL);
    master_free(m);
    log_set_sink(NULL, NULL);
}
