/*
 * The layout panes (8.1.1's window.py Window, console_layout): "single"
 * shows one stack of views; "vertical" two stacked, sharing the rows as
 * urwid's Pile shares them; "horizontal" two side by side with a blank
 * column between, as urwid's Columns(dividechars=1). Each pane is a stack
 * of views of its own: the first starts on the flow list, the second on
 * the event log, as 8.1.1's two WindowStacks do. The console's stack is
 * always the focused pane's; the other one waits here, and switching
 * panes swaps the two, so the rest of the console never asks which pane
 * it is in.
 */
#include <stdio.h>
#include <string.h>

#include "commands/commands.h"
#include "console/internal.h"
#include "master/master.h"
#include "options/opt.h"

/* consoleaddons.py's console_layouts, sorted as console.layout.options returns them. */
static const char *const layouts[] = {"horizontal", "single", "vertical"};
#define NLAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

/* urwid's share of a weighted item: int(remaining * weight / total + 0.5). */
static int
share(int remaining, int weight, int total)
{
    return (int)((double)remaining * weight / total + 0.5);
}

int
console__panes_geometry(const char *layout, int rows, int cols, struct pane_rect out[2])
{
    if (rows < 0)
        rows = 0;
    if (cols < 0)
        cols = 0;
    out[0] = (struct pane_rect){0, 0, rows, cols};
    out[1] = (struct pane_rect){0, 0, 0, 0};
    if (layout == NULL)
        return 1;
    if (strcmp(layout, "vertical") == 0) {
        /* Pile: each of the two gets its share of the rows left. */
        out[0].rows = share(rows, 1, 2);
        out[1] = (struct pane_rect){out[0].rows, 0, rows - out[0].rows, cols};
        return 2;
    }
    if (strcmp(layout, "horizontal") == 0) {
        /* Columns: the widths share what the divider leaves (min_width 1). */
        int grow = cols - 1;
        if (grow < 2)
            return 1;
        out[0].cols = share(grow, 1, 2);
        out[1] = (struct pane_rect){0, out[0].cols + 1, rows, grow - out[0].cols};
        return 2;
    }
    return 1;
}

int
console__panes_count(const struct console *c)
{
    struct pane_rect r[2];
    return console__panes_geometry(console__opt_str(c, "console_layout", "single"), 10, 80, r);
}

void
console__panes_init(struct console *c)
{
    c->pane = 0;
    c->other_stack[0] = VIEW_EVENTLOG;
    c->other_depth = 1;
}

/* The focused pane's views and the other's trade places. */
static void
swap(struct console *c)
{
    enum view_kind tmp[sizeof(c->stack) / sizeof(c->stack[0])];
    int depth = c->depth;
    memcpy(tmp, c->stack, sizeof(tmp));
    memcpy(c->stack, c->other_stack, sizeof(tmp));
    c->depth = c->other_depth;
    memcpy(c->other_stack, tmp, sizeof(tmp));
    c->other_depth = depth;
    c->pane ^= 1;
}

void
console__panes_focus(struct console *c, int pane)
{
    if (pane != c->pane && (pane == 0 || console__panes_count(c) == 2)) {
        /* The chooser and a typed grid cell belong to the pane left. */
        if (!c->chooser.active && !(c->grid && c->grid->editing))
            swap(c);
    }
    console__dirty(c);
}

void
console__panes_configure(struct console *c, const char *layout)
{
    /* Window.refresh: a single layout shows the first pane only. */
    struct pane_rect r[2];
    if (c->pane == 1 && console__panes_geometry(layout, 10, 80, r) == 1)
        swap(c);
}

static struct console *
con(void *arg)
{
    return arg;
}

static int
cmd_options(void *arg, struct cmds_call *call, struct err *e)
{
    struct strv v = {0};
    for (size_t i = 0; i < NLAYOUTS; i++)
        strv_push(&v, layouts[i]);
    cmds_return_strs(call, &v);
    return 0;
}

static int
cmd_cycle(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    const char *cur = console__opt_str(c, "console_layout", "single");
    size_t at = 0;
    for (size_t i = 0; i < NLAYOUTS; i++)
        if (strcmp(cur, layouts[i]) == 0)
            at = i;
    char set[64];
    snprintf(set, sizeof(set), "console_layout=%s", layouts[(at + 1) % NLAYOUTS]);
    const char *settings[] = {set};
    return master_set(c->master, settings, 1, e);
}

static int
cmd_next(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    console__panes_focus(c, c->pane ^ 1);
    return 0;
}

static const struct console__cmd commands[] = {
    {"console.layout.options", "Returns the available options for the console_layout option.", NULL,
     0, CMDS_STRS, cmd_options},
    {"console.layout.cycle", "Cycle through the console layout options.", NULL, 0, CMDS_NONE,
     cmd_cycle},
    {"console.panes.next", "Go to the next layout pane.", NULL, 0, CMDS_NONE, cmd_next},
};

int
console__panes_commands(struct console *c, struct cmds *cmds, struct err *e)
{
    return console__add_commands(c, cmds, commands, sizeof(commands) / sizeof(commands[0]), e);
}
