/*
 * browse.c and keys.c through the keys: O (options: toggle, type, choose,
 * a sequence in the grid editor, reset), C (commands), K (key bindings:
 * unbind, bind, edit) and keys.yaml rebinding keys.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/intercept.h"
#include "console/console.h"
#include "console/internal.h"
#include "master/master.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/log.h"

struct fixture {
    struct master *m;
    struct console *c;
};

static void
setup(struct fixture *fx)
{
    struct err e = {0};
    ASSERT_EQ(console_register_options(&e), 0);
    log_set_level(LOG_ERROR);
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    fx->m = master_new(o);
    master_add_addon(fx->m, addon_intercept_new());
    struct store *s = master_enable_store(fx->m, &e);
    ASSERT(s != NULL);
    fx->c = console_new(fx->m, s);
    master_add_addon(fx->m, console_addon(fx->c));
    if (master_configure(fx->m, &e) < 0)
        test_fail(__FILE__, __LINE__, "configure: %s", e.msg);
}

static void
teardown(struct fixture *fx)
{
    console_free(fx->c);
    master_free(fx->m);
}

static void
keys(struct fixture *fx, ...)
{
    va_list ap;
    va_start(ap, fx);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;)
        console__press(fx->c, k);
    va_end(ap);
}

static void
type(struct fixture *fx, const char *text)
{
    for (const char *p = text; *p; p++) {
        char k[2] = {*p, 0};
        console__press(fx->c, *p == ' ' ? "space" : k);
    }
}

static const char *
line(struct fixture *fx, int i)
{
    return console__line_text(&fx->c->scr.lines[i]);
}

static int
screen_has(struct fixture *fx, const char *text)
{
    console__layout(fx->c, 30, 120);
    for (int i = 0; i < fx->c->scr.rows; i++)
        if (strstr(line(fx, i), text))
            return 1;
    for (int i = 0; i < fx->c->scr.rows; i++)
        fprintf(stderr, "|%s\n", line(fx, i));
    return 0;
}

/* Moves the options list's focus to the option called name. */
static void
focus_option(struct fixture *fx, const char *name)
{
    keys(fx, "g", NULL);
    for (int i = 0; i < 400; i++) {
        const struct opt_info *o = console__focused_option(fx->c);
        if (o && strcmp(o->name, name) == 0)
            return;
        keys(fx, "j", NULL);
    }
    test_fail(__FILE__, __LINE__, "no option %s", name);
}

static const char *
opt(struct fixture *fx, const char *name, char *out, size_t n)
{
    opt_format_value(master_options(fx->m), opt_find(name), out, n);
    return out;
}

TEST(console_browse_options)
{
    struct fixture fx;
    setup(&fx);
    char v[256];
    keys(&fx, "O", NULL);
    ASSERT(screen_has(&fx, "Options"));
    console__layout(fx.c, 30, 120);
    /* 8.1.1's list: names in a column as wide as the longest, the value. */
    ASSERT(strncmp(line(&fx, 1), "add_upstream_certs_to_client_chain", 34) == 0);
    ASSERT(strstr(line(&fx, 1), "  false") != NULL);
    ASSERT(strncmp(line(&fx, 23), "Option Help ", 12) == 0);
    ASSERT(strncmp(line(&fx, 24), "Add all certificates of the upstream server", 43) == 0);
    /* enter toggles a bool. */
    focus_option(&fx, "anticache");
    keys(&fx, "enter", NULL);
    ASSERT_STREQ(opt(&fx, "anticache", v, sizeof(v)), "true");
    ASSERT(screen_has(&fx, "[anticache]"));
    /* enter types a str or int in place; enter sets it, esc leaves it. */
    focus_option(&fx, "client_replay_concurrency");
    keys(&fx, "enter", "backspace", NULL);
    type(&fx, "-1");
    keys(&fx, "enter", NULL);
    ASSERT_STREQ(opt(&fx, "client_replay_concurrency", v, sizeof(v)), "-1");
    keys(&fx, "enter", "backspace", NULL);
    type(&fx, "x");
    keys(&fx, "enter", NULL);
    ASSERT(screen_has(&fx, "client_replay_concurrency"));
    ASSERT_STREQ(opt(&fx, "client_replay_concurrency", v, sizeof(v)), "-1");
    /* d resets the focused option. */
    keys(&fx, "d", NULL);
    ASSERT_STREQ(opt(&fx, "client_replay_concurrency", v, sizeof(v)), "1");
    /* An option with choices offers them. */
    focus_option(&fx, "console_eventlog_verbosity");
    keys(&fx, "enter", NULL);
    ASSERT(screen_has(&fx, " console_eventlog_verbosity "));
    ASSERT(screen_has(&fx, "5) debug"));
    keys(&fx, "5", NULL);
    ASSERT_STREQ(opt(&fx, "console_eventlog_verbosity", v, sizeof(v)), "debug");
    /* A sequence opens in the grid editor; q sets it. */
    focus_option(&fx, "ignore_hosts");
    keys(&fx, "enter", NULL);
    ASSERT(screen_has(&fx, "ignore_hosts"));
    keys(&fx, "a", NULL);
    type(&fx, "example.com");
    keys(&fx, "esc", "a", NULL);
    type(&fx, "example.org");
    keys(&fx, "esc", "q", NULL);
    ASSERT_EQ(fx.c->stack[fx.c->depth - 1], VIEW_OPTIONS);
    const struct strv *sv = opt_get_seq(master_options(fx.m), opt_find("ignore_hosts"));
    ASSERT_EQ(sv->n, 2);
    ASSERT_STREQ(sv->v[1], "example.org");
    ASSERT(screen_has(&fx, "['example.com', 'example.org']"));
    /* D resets every option. */
    keys(&fx, "D", NULL);
    ASSERT_STREQ(opt(&fx, "anticache", v, sizeof(v)), "false");
    ASSERT_EQ(opt_get_seq(master_options(fx.m), opt_find("ignore_hosts"))->n, 0);
    teardown(&fx);
}

TEST(console_browse_options_save_load)
{
    struct fixture fx;
    setup(&fx);
    char path[] = "/tmp/mp-config-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    keys(&fx, "O", NULL);
    focus_option(&fx, "anticomp");
    keys(&fx, "enter", "S", NULL);
    type(&fx, path);
    keys(&fx, "enter", "D", NULL);
    char v[64];
    ASSERT_STREQ(opt(&fx, "anticomp", v, sizeof(v)), "false");
    keys(&fx, "L", NULL);
    type(&fx, path);
    keys(&fx, "enter", NULL);
    ASSERT_STREQ(opt(&fx, "anticomp", v, sizeof(v)), "true");
    unlink(path);
    teardown(&fx);
}

TEST(console_browse_commands)
{
    struct fixture fx;
    setup(&fx);
    keys(&fx, "C", NULL);
    ASSERT(screen_has(&fx, "Command Reference"));
    ASSERT(screen_has(&fx, "Command Help"));
    console__layout(fx.c, 30, 120);
    ASSERT(strncmp(line(&fx, 1), ">> ", 3) == 0);
    /* The signatures as 8.1.1 shows them. */
    for (int i = 0; i < 300 && !screen_has(&fx, ">> console.edit.focus.options"); i++)
        keys(&fx, "j", NULL);
    ASSERT(screen_has(&fx, ">> console.edit.focus.options -> str[]"));
    ASSERT(screen_has(&fx, "   console.edit.focus flow_part"));
    ASSERT(screen_has(&fx, "Possible components for console.edit.focus."));
    /* enter puts the command on the prompt. */
    keys(&fx, "enter", NULL);
    console__layout(fx.c, 30, 120);
    ASSERT_STREQ(line(&fx, 29), ": console.edit.focus.options ");
    teardown(&fx);
}

TEST(console_browse_keybindings)
{
    struct fixture fx;
    setup(&fx);
    keys(&fx, "K", NULL);
    ASSERT(screen_has(&fx, "Key Bindings"));
    console__layout(fx.c, 30, 120);
    /* A binding of two contexts takes two lines, as in 8.1.1. */
    ASSERT_STREQ(line(&fx, 1), ">>  -         global      console.layout.cycle");
    ASSERT_STREQ(line(&fx, 2), "    :         commonkey   console.command");
    ASSERT_STREQ(line(&fx, 3), "              global");
    ASSERT(screen_has(&fx, "Key Binding Help"));
    ASSERT(screen_has(&fx, "Cycle to next layout"));
    /* d unbinds the focused one. */
    keys(&fx, "d", NULL);
    ASSERT(console__keymap_get(&fx.c->keymap, CTX_GLOBAL, "-") == NULL);
    /* enter: console.key.bind with the binding, on the prompt. */
    keys(&fx, "enter", NULL);
    console__layout(fx.c, 30, 120);
    ASSERT_STREQ(line(&fx, 29), ": console.key.bind commonkey,global : console.command *args ");
    keys(&fx, "esc", NULL);
    /* A binding made on the prompt works at once. */
    keys(&fx, ":", NULL);
    type(&fx, "console.key.bind flowlist,flowview Y console.view.eventlog");
    keys(&fx, "enter", "q", "Y", NULL);
    ASSERT_EQ(fx.c->stack[fx.c->depth - 1], VIEW_EVENTLOG);
    teardown(&fx);
}

TEST(console_keys_yaml_rebinds)
{
    struct fixture fx;
    setup(&fx);
    char path[] = "/tmp/mp-keys-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    const char *yaml = "- key: ctrl e\n"
                       "  cmd: console.view.eventlog\n"
                       "  help: the log\n"
                       "- key: j\n"
                       "  ctx: [flowlist]\n"
                       "  cmd: console.view.help\n";
    ASSERT_EQ(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    struct err e = {0};
    ASSERT_EQ(console__keys_load(fx.c, path, &e), 0);
    const struct binding *b = console__keymap_lookup(&fx.c->keymap, CTX_FLOWVIEW, "ctrl e");
    ASSERT(b != NULL);
    ASSERT_STREQ(b->command, "console.view.eventlog");
    ASSERT_STREQ(b->help, "the log");
    /* j in the list is rebound; elsewhere it still goes down. */
    keys(&fx, "j", NULL);
    ASSERT_EQ(fx.c->stack[fx.c->depth - 1], VIEW_HELP);
    ASSERT_STREQ(console__keymap_lookup(&fx.c->keymap, CTX_HELP, "j")->command, "console.nav.down");
    /* A bad file changes nothing and says where. */
    fd = open(path, O_WRONLY | O_TRUNC);
    ASSERT_EQ(write(fd, "- key: x\n  ctx: [nowhere]\n  cmd: a\n", 35), 35);
    close(fd);
    ASSERT(console__keys_load(fx.c, path, &e) < 0);
    ASSERT(strstr(e.msg, "Unsupported context: nowhere") && strstr(e.msg, path));
    /* The same through console.keymap.load, and a missing file is no error. */
    keys(&fx, "q", ":", NULL);
    type(&fx, "console.keymap.load ");
    type(&fx, path);
    keys(&fx, "enter", NULL);
    ASSERT(screen_has(&fx, "Could not load key bindings"));
    unlink(path);
    ASSERT_EQ(console__keys_load(fx.c, path, &e), 0);
    teardown(&fx);
}
