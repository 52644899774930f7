/*
 * browse.c and keys.c through the keys: O (options: toggle, type, choose,
 * a sequence in the grid editor, reset), C (commands), K (key bindings:
 * unbind, bind, edit) and keys.yaml rebinding keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "master/master.h"
#include "options/opt.h"
#include "tcon.h"

static int
screen_has(struct tcon *fx, const char *text)
{
    return tcon_screen_has(fx->c, 30, 120, text);
}

/* Moves the options list's focus to the option called name. */
static void
focus_option(struct tcon *fx, const char *name)
{
    tcon_keys(fx->c, "g", NULL);
    for (int i = 0; i < 400; i++) {
        const struct opt_info *o = console__focused_option(fx->c);
        if (o && strcmp(o->name, name) == 0)
            return;
        tcon_keys(fx->c, "j", NULL);
    }
    test_fail(__FILE__, __LINE__, "no option %s", name);
}

static const char *
opt(struct tcon *fx, const char *name, char *out, size_t n)
{
    opt_format_value(master_options(fx->m), opt_find(name), out, n);
    return out;
}

TEST(console_browse_options)
{
    struct tcon fx;
    tcon_start(&fx, NULL);
    char v[256];
    tcon_keys(fx.c, "O", NULL);
    ASSERT(screen_has(&fx, "Options"));
    console__layout(fx.c, 30, 120);
    /* 8.1.1's list: names in a column as wide as the longest, the value. */
    ASSERT(strncmp(tcon_line(fx.c, 1), "add_upstream_certs_to_client_chain", 34) == 0);
    ASSERT(strstr(tcon_line(fx.c, 1), "  false") != NULL);
    ASSERT(strncmp(tcon_line(fx.c, 23), "Option Help ", 12) == 0);
    ASSERT(strncmp(tcon_line(fx.c, 24), "Add all certificates of the upstream server", 43) == 0);
    /* enter toggles a bool. */
    focus_option(&fx, "anticache");
    tcon_keys(fx.c, "enter", NULL);
    ASSERT_STREQ(opt(&fx, "anticache", v, sizeof(v)), "true");
    ASSERT(screen_has(&fx, "[anticache]"));
    /* enter types a str or int in place; enter sets it, esc leaves it. */
    focus_option(&fx, "client_replay_concurrency");
    tcon_keys(fx.c, "enter", "backspace", NULL);
    tcon_type(fx.c, "-1");
    tcon_keys(fx.c, "enter", NULL);
    ASSERT_STREQ(opt(&fx, "client_replay_concurrency", v, sizeof(v)), "-1");
    tcon_keys(fx.c, "enter", "backspace", NULL);
    tcon_type(fx.c, "x");
    tcon_keys(fx.c, "enter", NULL);
    ASSERT(screen_has(&fx, "client_replay_concurrency"));
    ASSERT_STREQ(opt(&fx, "client_replay_concurrency", v, sizeof(v)), "-1");
    /* d resets the focused option. */
    tcon_keys(fx.c, "d", NULL);
    ASSERT_STREQ(opt(&fx, "client_replay_concurrency", v, sizeof(v)), "1");
    /* An option with choices offers them. */
    focus_option(&fx, "console_eventlog_verbosity");
    tcon_keys(fx.c, "enter", NULL);
    ASSERT(screen_has(&fx, " console_eventlog_verbosity "));
    ASSERT(screen_has(&fx, "5) debug"));
    tcon_keys(fx.c, "5", NULL);
    ASSERT_STREQ(opt(&fx, "console_eventlog_verbosity", v, sizeof(v)), "debug");
    /* A sequence opens in the grid editor; q sets it. */
    focus_option(&fx, "ignore_hosts");
    tcon_keys(fx.c, "enter", NULL);
    ASSERT(screen_has(&fx, "ignore_hosts"));
    tcon_keys(fx.c, "a", NULL);
    tcon_type(fx.c, "example.com");
    tcon_keys(fx.c, "esc", "a", NULL);
    tcon_type(fx.c, "example.org");
    tcon_keys(fx.c, "esc", "q", NULL);
    ASSERT_EQ(fx.c->stack[fx.c->depth - 1], VIEW_OPTIONS);
    const struct strv *sv = opt_get_seq(master_options(fx.m), opt_find("ignore_hosts"));
    ASSERT_EQ(sv->n, 2);
    ASSERT_STREQ(sv->v[1], "example.org");
    ASSERT(screen_has(&fx, "['example.com', 'example.org']"));
    /* D resets every option. */
    tcon_keys(fx.c, "D", NULL);
    ASSERT_STREQ(opt(&fx, "anticache", v, sizeof(v)), "false");
    ASSERT_EQ(opt_get_seq(master_options(fx.m), opt_find("ignore_hosts"))->n, 0);
    tcon_stop(&fx);
}

/* A script's Optional[int] or float is typed in place and checked as 8.1.1
 * checks an int: "abc" is refused with a message and changes nothing. */
TEST(console_browse_options_typed)
{
    struct err e = {0};
    ASSERT(opt_register_typed("browse_oint", "optional int", NULL, NULL, "Maybe a number.", &e) >=
           0);
    ASSERT(opt_register_typed("browse_float", "float", "0.5", NULL, "A ratio.", &e) >= 0);
    struct tcon fx;
    tcon_start(&fx, NULL);
    char v[256];
    tcon_keys(fx.c, "O", NULL);
    focus_option(&fx, "browse_oint");
    tcon_keys(fx.c, "enter", NULL);
    tcon_type(fx.c, "abc");
    tcon_keys(fx.c, "enter", NULL);
    ASSERT(screen_has(&fx, "browse_oint: invalid integer 'abc'"));
    ASSERT_STREQ(opt(&fx, "browse_oint", v, sizeof(v)), "");
    tcon_keys(fx.c, "enter", NULL);
    tcon_type(fx.c, "42");
    tcon_keys(fx.c, "enter", NULL);
    ASSERT_STREQ(opt(&fx, "browse_oint", v, sizeof(v)), "42");
    focus_option(&fx, "browse_float");
    tcon_keys(fx.c, "enter", "backspace", "backspace", "backspace", NULL);
    tcon_type(fx.c, "x");
    tcon_keys(fx.c, "enter", NULL);
    ASSERT(screen_has(&fx, "browse_float: invalid float 'x'"));
    ASSERT_STREQ(opt(&fx, "browse_float", v, sizeof(v)), "0.5");
    tcon_keys(fx.c, "enter", "backspace", "backspace", "backspace", NULL);
    tcon_type(fx.c, "2");
    tcon_keys(fx.c, "enter", NULL);
    ASSERT_STREQ(opt(&fx, "browse_float", v, sizeof(v)), "2.0");
    tcon_stop(&fx);
}

TEST(console_browse_options_save_load)
{
    struct tcon fx;
    tcon_start(&fx, NULL);
    char path[] = "/tmp/mp-config-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    tcon_keys(fx.c, "O", NULL);
    focus_option(&fx, "anticomp");
    tcon_keys(fx.c, "enter", "S", NULL);
    tcon_type(fx.c, path);
    tcon_keys(fx.c, "enter", "D", NULL);
    char v[64];
    ASSERT_STREQ(opt(&fx, "anticomp", v, sizeof(v)), "false");
    tcon_keys(fx.c, "L", NULL);
    tcon_type(fx.c, path);
    tcon_keys(fx.c, "enter", NULL);
    ASSERT_STREQ(opt(&fx, "anticomp", v, sizeof(v)), "true");
    unlink(path);
    tcon_stop(&fx);
}

/* The options screen lists what 8.1.1's console has: the options of the
 * addons it loads, so not mitmdump's dumper_*, flow_detail, keepserving or
 * termlog_verbosity, which mitmproxy still reads (opt_unlist). */
TEST(console_browse_options_lists_what_the_tool_has)
{
    size_t hidden = 0;
    for (const char *const *n = master_dump_only_options_console; *n; n++, hidden++)
        ASSERT_EQ(opt_unlist(*n), 0);
    struct tcon fx;
    tcon_start(&fx, NULL);
    tcon_keys(fx.c, "O", "g", NULL);
    size_t n = console__browse_len(fx.c, VIEW_OPTIONS);
    ASSERT_EQ(n, opt_count() - hidden);
    int seen_console = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = console__focused_option(fx.c)->name;
        for (const char *const *h = master_dump_only_options_console; *h; h++)
            ASSERT(strcmp(name, *h) != 0);
        seen_console |= strcmp(name, "console_layout") == 0;
        tcon_keys(fx.c, "j", NULL);
    }
    ASSERT(seen_console);
    ASSERT(!screen_has(&fx, "termlog_verbosity"));
    tcon_stop(&fx);
}

TEST(console_browse_commands)
{
    struct tcon fx;
    tcon_start(&fx, NULL);
    tcon_keys(fx.c, "C", NULL);
    ASSERT(screen_has(&fx, "Command Reference"));
    ASSERT(screen_has(&fx, "Command Help"));
    console__layout(fx.c, 30, 120);
    ASSERT(strncmp(tcon_line(fx.c, 1), ">> ", 3) == 0);
    /* The signatures as 8.1.1 shows them. */
    for (int i = 0; i < 300 && !screen_has(&fx, ">> console.edit.focus.options"); i++)
        tcon_keys(fx.c, "j", NULL);
    ASSERT(screen_has(&fx, ">> console.edit.focus.options -> str[]"));
    ASSERT(screen_has(&fx, "   console.edit.focus flow_part"));
    ASSERT(screen_has(&fx, "Possible components for console.edit.focus."));
    /* enter puts the command on the prompt. */
    tcon_keys(fx.c, "enter", NULL);
    console__layout(fx.c, 30, 120);
    ASSERT_STREQ(tcon_line(fx.c, 29), ": console.edit.focus.options ");
    tcon_stop(&fx);
}

TEST(console_browse_keybindings)
{
    struct tcon fx;
    tcon_start(&fx, NULL);
    tcon_keys(fx.c, "K", NULL);
    ASSERT(screen_has(&fx, "Key Bindings"));
    console__layout(fx.c, 30, 120);
    /* A binding of two contexts takes two lines, as in 8.1.1. */
    ASSERT_STREQ(tcon_line(fx.c, 1), ">>  -         global      console.layout.cycle");
    ASSERT_STREQ(tcon_line(fx.c, 2), "    :         commonkey   console.command");
    ASSERT_STREQ(tcon_line(fx.c, 3), "              global");
    ASSERT(screen_has(&fx, "Key Binding Help"));
    ASSERT(screen_has(&fx, "Cycle to next layout"));
    /* d unbinds the focused one. */
    tcon_keys(fx.c, "d", NULL);
    ASSERT(console__keymap_get(&fx.c->keymap, CTX_GLOBAL, "-") == NULL);
    /* enter: console.key.bind with the binding, on the prompt. */
    tcon_keys(fx.c, "enter", NULL);
    console__layout(fx.c, 30, 120);
    ASSERT_STREQ(tcon_line(fx.c, 29),
                 ": console.key.bind commonkey,global : console.command *args ");
    tcon_keys(fx.c, "esc", NULL);
    /* A binding made on the prompt works at once. */
    tcon_keys(fx.c, ":", NULL);
    tcon_type(fx.c, "console.key.bind flowlist,flowview Y console.view.eventlog");
    tcon_keys(fx.c, "enter", "q", "Y", NULL);
    ASSERT_EQ(fx.c->stack[fx.c->depth - 1], VIEW_EVENTLOG);
    tcon_stop(&fx);
}

TEST(console_keys_yaml_rebinds)
{
    struct tcon fx;
    tcon_start(&fx, NULL);
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
    tcon_keys(fx.c, "j", NULL);
    ASSERT_EQ(fx.c->stack[fx.c->depth - 1], VIEW_HELP);
    ASSERT_STREQ(console__keymap_lookup(&fx.c->keymap, CTX_HELP, "j")->command, "console.nav.down");
    /* A bad file changes nothing and says where. */
    fd = open(path, O_WRONLY | O_TRUNC);
    ASSERT_EQ(write(fd, "- key: x\n  ctx: [nowhere]\n  cmd: a\n", 35), 35);
    close(fd);
    ASSERT(console__keys_load(fx.c, path, &e) < 0);
    ASSERT(strstr(e.msg, "Unsupported context: nowhere") && strstr(e.msg, path));
    /* The same through console.keymap.load, and a missing file is no error. */
    tcon_keys(fx.c, "q", ":", NULL);
    tcon_type(fx.c, "console.keymap.load ");
    tcon_type(fx.c, path);
    tcon_keys(fx.c, "enter", NULL);
    ASSERT(screen_has(&fx, "Could not load key bindings"));
    unlink(path);
    ASSERT_EQ(console__keys_load(fx.c, path, &e), 0);
    tcon_stop(&fx);
}
