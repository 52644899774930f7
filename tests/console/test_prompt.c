/*
 * prompt.c: the ':' prompt as 8.1.1's commander edits it: tab completion
 * of commands, options, flow specs, filter operators and paths; colours
 * for a command that exists and an argument that does not parse, hints
 * for the parameters to come; the history in command_history in the conf
 * dir, walked with up and down and filtered by what was typed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    char dir[64];
};

static void
start(struct fixture *fx)
{
    struct err e = {0};
    ASSERT_EQ(console_register_options(&e), 0);
    log_set_level(LOG_ERROR);
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    char conf[128];
    snprintf(conf, sizeof(conf), "confdir=%s", fx->dir);
    ASSERT_EQ(opt_set_arg(o, conf, &e), 0);
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
stop(struct fixture *fx)
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
bar(struct fixture *fx)
{
    console__layout(fx->c, 10, 120);
    return console__line_text(&fx->c->scr.lines[9]);
}

static char *
prompt(struct fixture *fx)
{
    return buf_strdup(&fx->c->prompt);
}

#define ASSERT_PROMPT(fx, want)                                                                    \
    do {                                                                                           \
        char *p_ = prompt(fx);                                                                     \
        ASSERT_STREQ(p_, want);                                                                    \
        free(p_);                                                                                  \
    } while (0)

TEST(console_prompt_completion)
{
    struct fixture fx;
    snprintf(fx.dir, sizeof(fx.dir), "/tmp/mp-conf-XXXXXX");
    ASSERT(mkdtemp(fx.dir) != NULL);
    start(&fx);
    /* Commands: tab cycles through those starting with what is typed. */
    keys(&fx, ":", NULL);
    type(&fx, "view.order");
    keys(&fx, "tab", NULL);
    ASSERT_PROMPT(&fx, "view.order");
    keys(&fx, "tab", NULL);
    ASSERT_PROMPT(&fx, "view.order.options");
    keys(&fx, "shift tab", NULL);
    ASSERT_PROMPT(&fx, "view.order");
    /* Options after set. */
    keys(&fx, "esc", ":", NULL);
    type(&fx, "set anticom");
    keys(&fx, "tab", NULL);
    ASSERT_PROMPT(&fx, "set anticomp");
    /* Flow specifications, then a marker (true, false). */
    keys(&fx, "esc", ":", NULL);
    type(&fx, "flow.mark @ma");
    keys(&fx, "tab", NULL);
    ASSERT_PROMPT(&fx, "flow.mark @marked");
    keys(&fx, "space", "tab", NULL);
    ASSERT_PROMPT(&fx, "flow.mark @marked false");
    /* Filter operators inside an expression. */
    keys(&fx, "esc", ":", NULL);
    type(&fx, "view.filter.set ~ht");
    keys(&fx, "tab", NULL);
    ASSERT_PROMPT(&fx, "view.filter.set ~http");
    /* Choices from the command's .options. */
    keys(&fx, "esc", ":", NULL);
    type(&fx, "flow.set @focus me");
    keys(&fx, "tab", NULL);
    ASSERT_PROMPT(&fx, "flow.set @focus method");
    /* Paths. */
    char file[128];
    snprintf(file, sizeof(file), "%s/flows.mitm", fx.dir);
    FILE *fp = fopen(file, "w");
    fclose(fp);
    keys(&fx, "esc", ":", NULL);
    type(&fx, "save.file @all ");
    type(&fx, fx.dir);
    type(&fx, "/fl");
    keys(&fx, "tab", NULL);
    char want[256];
    snprintf(want, sizeof(want), "save.file @all %s", file);
    ASSERT_PROMPT(&fx, want);
    unlink(file);
    stop(&fx);
    char hist[128];
    snprintf(hist, sizeof(hist), "%s/command_history", fx.dir);
    unlink(hist);
    rmdir(fx.dir);
}

TEST(console_prompt_colours_and_hints)
{
    struct fixture fx;
    snprintf(fx.dir, sizeof(fx.dir), "/tmp/mp-conf-XXXXXX");
    ASSERT(mkdtemp(fx.dir) != NULL);
    start(&fx);
    keys(&fx, ":", NULL);
    type(&fx, "flow.mark");
    ASSERT_STREQ(bar(&fx), ": flow.mark flows marker ");
    struct sline *l = &fx.c->scr.lines[9];
    ASSERT_EQ(l->spans[1].style, ST_COMMANDER_COMMAND);
    ASSERT_EQ(l->spans[l->nspans - 1].style, ST_COMMANDER_HINT);
    keys(&fx, "esc", ":", NULL);
    type(&fx, "view.properties.inbounds x");
    ASSERT_STREQ(bar(&fx), ": view.properties.inbounds x");
    ASSERT_EQ(fx.c->scr.lines[9].spans[3].style, ST_COMMANDER_INVALID);
    keys(&fx, "esc", ":", NULL);
    type(&fx, "no.such.command");
    ASSERT_STREQ(bar(&fx), ": no.such.command");
    ASSERT_EQ(fx.c->scr.lines[9].spans[1].style, ST_COMMANDER_INVALID);
    keys(&fx, "esc", NULL);
    stop(&fx);
    rmdir(fx.dir);
}

TEST(console_prompt_history)
{
    struct fixture fx;
    snprintf(fx.dir, sizeof(fx.dir), "/tmp/mp-conf-XXXXXX");
    ASSERT(mkdtemp(fx.dir) != NULL);
    start(&fx);
    const char *cmds[] = {"set anticache true", "view.order.set size", "set anticomp true"};
    for (size_t i = 0; i < 3; i++) {
        keys(&fx, ":", NULL);
        type(&fx, cmds[i]);
        keys(&fx, "enter", NULL);
    }
    /* up walks back; down comes forward to what was typed. */
    keys(&fx, ":", "up", NULL);
    ASSERT_PROMPT(&fx, "set anticomp true");
    keys(&fx, "up", "up", "up", NULL);
    ASSERT_PROMPT(&fx, "set anticache true");
    keys(&fx, "down", NULL);
    ASSERT_PROMPT(&fx, "view.order.set size");
    keys(&fx, "down", "down", NULL);
    ASSERT_PROMPT(&fx, "");
    /* What is typed first filters the walk. */
    keys(&fx, "esc", ":", NULL);
    type(&fx, "set");
    keys(&fx, "up", NULL);
    ASSERT_PROMPT(&fx, "set anticomp true");
    keys(&fx, "up", NULL);
    ASSERT_PROMPT(&fx, "set anticache true");
    keys(&fx, "down", "down", NULL);
    ASSERT_PROMPT(&fx, "set");
    keys(&fx, "esc", NULL);
    stop(&fx);
    /* The conf dir keeps it for the next start. */
    start(&fx);
    keys(&fx, ":", "up", NULL);
    ASSERT_PROMPT(&fx, "set anticomp true");
    keys(&fx, "esc", ":", NULL);
    type(&fx, "commands.history.clear");
    keys(&fx, "enter", ":", "up", NULL);
    ASSERT_PROMPT(&fx, "");
    keys(&fx, "esc", NULL);
    stop(&fx);
    char hist[128];
    snprintf(hist, sizeof(hist), "%s/command_history", fx.dir);
    unlink(hist);
    ASSERT_EQ(rmdir(fx.dir), 0);
}
