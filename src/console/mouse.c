/*
 * The mouse (console_mouse), as 8.1.1's widgets answer it: the wheel is
 * the up and down keys (Window.mouse_event); a press of the left button
 * on the pane not focused focuses it first (StackWidget), then acts on
 * what is under it: a flow of the list is focused and opened (urwid's
 * ListBox focuses the row, FlowItem opens it), a tab of the flow view is
 * shown (tabs.Tab), a row of the options, commands or key bindings list
 * is focused (their items are selectable). The event log's and the help's
 * lines are urwid Text, which takes no focus, so a click there does
 * nothing. Positions are those of the screen last laid out.
 */
#include <stdio.h>
#include <string.h>

#include "console/internal.h"

int
console__mouse_parse(const char *key, int *button, int *col, int *row)
{
    int n = 0;
    if (strncmp(key, "mouse press ", 12) != 0 ||
        sscanf(key + 12, "%d %d %d%n", button, col, row, &n) != 3 || key[12 + n] != '\0')
        return 0;
    return 1;
}

/* The tab under column x of the tab line of a flow view cols wide. */
static int
tab_at(struct console *c, int cols, int x)
{
    int tabs[FV__COUNT], widths[FV__COUNT];
    int n = console__flowview_tab_line(c->shown, cols, tabs, widths);
    for (int i = 0, at = 0; i < n; at += widths[i++] + FV_TAB_DIVIDER)
        if (x >= at && x < at + widths[i])
            return tabs[i];
    return -1;
}

/* Row y (from the top of the pane's view, below its title) of the list. */
static void
click_flowlist(struct console *c, const struct pane_rect *r, int y)
{
    const char *layout = console__opt_str(c, "console_flowlist_layout", "");
    int table = console__table_layout(layout, r->cols);
    long len = (long)store_view_len(c->store), i = c->top;
    y += c->top_skip;
    for (int h; i < len && y >= (h = console__list_row_lines(c, table, i)); i++)
        y -= h;
    if (i >= len)
        return;
    store_focus_go(c->store, i);
    console__execute(c, "console.view.flow @focus");
}

void
console__mouse(struct console *c, int button, int col, int row)
{
    if (button == 4 || button == 5) {
        console__press(c, button == 4 ? "up" : "down");
        return;
    }
    if (button != 1)
        return;
    int p = -1;
    for (int i = 0; i < c->npanes && i < 2; i++) {
        const struct pane_rect *r = &c->panes[i];
        if (row >= r->row && row < r->row + r->rows && col >= r->col && col < r->col + r->cols)
            p = i;
    }
    if (p < 0)
        return;
    if (p != c->pane) {
        console__panes_focus(c, p);
        if (p != c->pane)
            return;
    }
    const struct pane_rect *r = &c->panes[p];
    int y = row - r->row - (console__opt_bool(c, "console_layout_headers", 1) ? 1 : 0);
    if (y < 0)
        return;
    switch (c->stack[c->depth - 1]) {
    case VIEW_FLOWLIST:
        click_flowlist(c, r, y);
        break;
    case VIEW_FLOWVIEW: {
        /* The tab line is under the flow's header. */
        int t = y == console__flowview_tab_row(c->shown) ? tab_at(c, r->cols, col - r->col) : -1;
        if (t >= 0 && t != c->fv.tab) {
            c->fv.tab = t;
            c->fv.scroll = c->fv.at_end = 0;
        }
        break;
    }
    case VIEW_OPTIONS:
    case VIEW_COMMANDS:
    case VIEW_KEYBINDINGS: {
        int body = r->rows - (row - r->row - y);
        console__browse_click(c, c->stack[c->depth - 1], y, body);
        break;
    }
    default:
        break;
    }
    console__dirty(c);
}
