/*
 * listbox.c, and the flow list's page keys through it: focus and screen
 * row after each key as 8.1.1's console (urwid 2.1.2's ListBox) put them,
 * read off 8.1.1 in tmux at 120x40 (table layout) and 80x40 (list layout,
 * two lines a flow) with 100 flows, the keys from the top, the middle and
 * the end of the list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "flow/flow.h"
#include "store/store.h"
#include "tcon.h"

/* A key, then the focused flow (1-based, as the status bar's [n/100]) and
 * the screen row of its first line (0-based). */
struct step {
    const char *key;
    long pos;
    int row;
};

static void
walk(int cols, const struct step *steps)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    for (int i = 0; i < 100; i++) {
        struct flow *f = tcon_flow("GET", "/", 200);
        store_add(t.s, f);
        flow_unref(f);
    }
    store_focus_go(t.s, 0);
    console__layout(c, 40, cols);
    for (const struct step *s = steps; s->key; s++) {
        tcon_keys(c, s->key, NULL);
        console__layout(c, 40, cols);
        long pos = store_focus_index(t.s) + 1;
        int row = tcon_row_of(c, ">>");
        if (pos != s->pos || row != s->row) {
            tcon_dump(c);
            fprintf(stderr, "after %s (step %d): [%ld/100] at row %d, 8.1.1: [%ld/100] at row %d\n",
                    s->key, (int)(s - steps), pos, row, s->pos, s->row);
        }
        ASSERT_EQ(pos, s->pos);
        ASSERT_EQ(row, s->row);
    }
    tcon_stop(&t);
}

TEST(console_flowlist_pages_as_881_table)
{
    static const struct step steps[] = {
        {"page down", 38, 37}, {"page down", 75, 37}, {"page down", 100, 37},
        {"page up", 63, 1},    {"page up", 26, 1},    {"page up", 1, 1},
        {"page up", 1, 1},     {"G", 100, 37},        {"page up", 63, 1},
        {"page up", 26, 1},    {"page up", 1, 1},     {"g", 1, 1},
        {"down", 2, 2},        {"down", 3, 3},        {"down", 4, 4},
        {"page down", 41, 37}, {"down", 42, 37},      {"down", 43, 37},
        {"page down", 80, 37}, {"page up", 43, 1},    {"up", 42, 1},
        {"page up", 5, 1},     {NULL, 0, 0}};
    walk(120, steps);
}

/* Two lines a flow in 37 rows: urwid snaps a flow cut by the pane's edge
 * in, so pages move by 18 or 19 flows and the focus's row changes. */
TEST(console_flowlist_pages_as_881_list)
{
    static const struct step steps[] = {
        {"page down", 20, 36}, {"page down", 38, 35}, {"page down", 57, 36}, {"page up", 38, 1},
        {"page up", 20, 2},    {"page up", 1, 1},     {"page up", 1, 1},     {"G", 100, 36},
        {"page up", 81, 1},    {"page up", 63, 2},    {"page up", 44, 1},    {"g", 1, 1},
        {"down", 2, 3},        {"down", 3, 5},        {"down", 4, 7},        {"page down", 23, 36},
        {"down", 24, 36},      {"down", 25, 36},      {"page down", 43, 35}, {"page up", 24, 1},
        {"up", 23, 1},         {"page up", 5, 2},     {NULL, 0, 0}};
    walk(80, steps);
}

static int
rows_from(void *arg, long i)
{
    return ((const char *)arg)[i] - '0';
}

/* The port on its own: items of one and two rows, a short list, a list of
 * one, a pane of one row: the focus stays in the list, and shown. */
TEST(console_listbox_pages_stay_in_bounds)
{
    const char *heights = "1211221112221212111122221";
    long n = (long)strlen(heights);
    for (int maxrow = 1; maxrow < 12; maxrow++)
        for (long len = 1; len <= n; len += 3)
            for (long f = 0; f < len; f++)
                for (int down = 0; down < 2; down++) {
                    struct console_lb lb = {len, maxrow, rows_from, (void *)heights};
                    struct console_lb_state st = {f, 0};
                    console__lb_page(&lb, down, &st);
                    ASSERT(st.focus >= 0 && st.focus < len);
                    if (len > 1 && maxrow >= 2 && f != (down ? len - 1 : 0))
                        ASSERT(down ? st.focus > f : st.focus < f);
                    int row = console__lb_visible(&lb, &st);
                    ASSERT(row < maxrow);
                }
}
