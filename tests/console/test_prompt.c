/*
 * prompt.c: the ':' prompt as 8.1.1's commander edits it: tab completion
 * of commands, options, flow specs, filter operators and paths; colours
 * for a command that exists and an argument that does not parse, hints
 * for the parameters to come; the history in command_history in the conf
 * dir, walked with up and down and filtered by what was typed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "tcon.h"

struct fixture {
    struct tcon t;
    char dir[64]; /* the conf dir */
};

static void
start(struct fixture *fx)
{
    char conf[128];
    snprintf(conf, sizeof(conf), "confdir=%s", fx->dir);
    tcon_start(&fx->t, conf, NULL);
}

static const char *
bar(struct fixture *fx)
{
    console__layout(fx->t.c, 10, 120);
    return tcon_line(fx->t.c, 9);
}

static char *
prompt(struct fixture *fx)
{
    return buf_strdup(&fx->t.c->prompt);
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
    tcon_keys(fx.t.c, ":", NULL);
    tcon_type(fx.t.c, "view.order");
    tcon_keys(fx.t.c, "tab", NULL);
    ASSERT_PROMPT(&fx, "view.order");
    tcon_keys(fx.t.c, "tab", NULL);
    ASSERT_PROMPT(&fx, "view.order.options");
    tcon_keys(fx.t.c, "shift tab", NULL);
    ASSERT_PROMPT(&fx, "view.order");
    /* Options after set. */
    tcon_keys(fx.t.c, "esc", ":", NULL);
    tcon_type(fx.t.c, "set anticom");
    tcon_keys(fx.t.c, "tab", NULL);
    ASSERT_PROMPT(&fx, "set anticomp");
    /* Flow specifications, then a marker (true, false). */
    tcon_keys(fx.t.c, "esc", ":", NULL);
    tcon_type(fx.t.c, "flow.mark @ma");
    tcon_keys(fx.t.c, "tab", NULL);
    ASSERT_PROMPT(&fx, "flow.mark @marked");
    tcon_keys(fx.t.c, "space", "tab", NULL);
    ASSERT_PROMPT(&fx, "flow.mark @marked false");
    /* Filter operators inside an expression. */
    tcon_keys(fx.t.c, "esc", ":", NULL);
    tcon_type(fx.t.c, "view.filter.set ~ht");
    tcon_keys(fx.t.c, "tab", NULL);
    ASSERT_PROMPT(&fx, "view.filter.set ~http");
    /* Choices from the command's .options. */
    tcon_keys(fx.t.c, "esc", ":", NULL);
    tcon_type(fx.t.c, "flow.set @focus me");
    tcon_keys(fx.t.c, "tab", NULL);
    ASSERT_PROMPT(&fx, "flow.set @focus method");
    /* Paths. */
    char file[128];
    snprintf(file, sizeof(file), "%s/flows.mitm", fx.dir);
    FILE *fp = fopen(file, "w");
    fclose(fp);
    tcon_keys(fx.t.c, "esc", ":", NULL);
    tcon_type(fx.t.c, "save.file @all ");
    tcon_type(fx.t.c, fx.dir);
    tcon_type(fx.t.c, "/fl");
    tcon_keys(fx.t.c, "tab", NULL);
    char want[256];
    snprintf(want, sizeof(want), "save.file @all %s", file);
    ASSERT_PROMPT(&fx, want);
    unlink(file);
    tcon_stop(&fx.t);
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
    tcon_keys(fx.t.c, ":", NULL);
    tcon_type(fx.t.c, "flow.mark");
    ASSERT_STREQ(bar(&fx), ": flow.mark flows marker ");
    struct sline *l = &fx.t.c->scr.lines[9];
    ASSERT_EQ(l->spans[1].style, ST_COMMANDER_COMMAND);
    ASSERT_EQ(l->spans[l->nspans - 1].style, ST_COMMANDER_HINT);
    tcon_keys(fx.t.c, "esc", ":", NULL);
    tcon_type(fx.t.c, "view.properties.inbounds x");
    ASSERT_STREQ(bar(&fx), ": view.properties.inbounds x");
    ASSERT_EQ(fx.t.c->scr.lines[9].spans[3].style, ST_COMMANDER_INVALID);
    tcon_keys(fx.t.c, "esc", ":", NULL);
    tcon_type(fx.t.c, "no.such.command");
    ASSERT_STREQ(bar(&fx), ": no.such.command");
    ASSERT_EQ(fx.t.c->scr.lines[9].spans[1].style, ST_COMMANDER_INVALID);
    tcon_keys(fx.t.c, "esc", NULL);
    tcon_stop(&fx.t);
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
        tcon_keys(fx.t.c, ":", NULL);
        tcon_type(fx.t.c, cmds[i]);
        tcon_keys(fx.t.c, "enter", NULL);
    }
    /* up walks back; down comes forward to what was typed. */
    tcon_keys(fx.t.c, ":", "up", NULL);
    ASSERT_PROMPT(&fx, "set anticomp true");
    tcon_keys(fx.t.c, "up", "up", "up", NULL);
    ASSERT_PROMPT(&fx, "set anticache true");
    tcon_keys(fx.t.c, "down", NULL);
    ASSERT_PROMPT(&fx, "view.order.set size");
    tcon_keys(fx.t.c, "down", "down", NULL);
    ASSERT_PROMPT(&fx, "");
    /* What is typed first filters the walk. */
    tcon_keys(fx.t.c, "esc", ":", NULL);
    tcon_type(fx.t.c, "set");
    tcon_keys(fx.t.c, "up", NULL);
    ASSERT_PROMPT(&fx, "set anticomp true");
    tcon_keys(fx.t.c, "up", NULL);
    ASSERT_PROMPT(&fx, "set anticache true");
    tcon_keys(fx.t.c, "down", "down", NULL);
    ASSERT_PROMPT(&fx, "set");
    tcon_keys(fx.t.c, "esc", NULL);
    tcon_stop(&fx.t);
    /* The conf dir keeps it for the next start. */
    start(&fx);
    tcon_keys(fx.t.c, ":", "up", NULL);
    ASSERT_PROMPT(&fx, "set anticomp true");
    tcon_keys(fx.t.c, "esc", ":", NULL);
    tcon_type(fx.t.c, "commands.history.clear");
    tcon_keys(fx.t.c, "enter", ":", "up", NULL);
    ASSERT_PROMPT(&fx, "");
    tcon_keys(fx.t.c, "esc", NULL);
    tcon_stop(&fx.t);
    char hist[128];
    snprintf(hist, sizeof(hist), "%s/command_history", fx.dir);
    unlink(hist);
    ASSERT_EQ(rmdir(fx.dir), 0);
}
