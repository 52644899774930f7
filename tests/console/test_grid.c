/*
 * grid.c: the grid editor's rows and typing (GridWalker's add, insert,
 * delete, tab), the escapes cells are shown and typed with (8.1.1's
 * bytes_to_escaped_str / escaped_str_to_bytes), and what a grid draws.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"

static const char *const kv[] = {"Key", "Value"};

static void
type(struct grid *g, const char *text)
{
    for (const char *p = text; *p; p++) {
        char k[2] = {*p, 0};
        console__line_key(&g->edit, &g->cursor, *p == ' ' ? "space" : k);
    }
}

static char *
cell(struct grid *g, size_t row, int col)
{
    return buf_strdup(&g->rows[row].cell[col]);
}

#define ASSERT_CELL(g, row, col, want)                                                             \
    do {                                                                                           \
        char *s_ = cell(g, row, col);                                                              \
        ASSERT_STREQ(s_, want);                                                                    \
        free(s_);                                                                                  \
    } while (0)

TEST(console_grid_escape)
{
    struct buf b = BUF_INIT;
    console__escape("a\\b\n\t\r\x01\xff \"'", 11, &b);
    char *s = buf_strdup(&b);
    ASSERT_STREQ(s, "a\\\\b\\n\\t\\r\\x01\\xff \"'");
    /* And back, byte for byte. */
    struct buf out = BUF_INIT;
    ASSERT_EQ(console__unescape(s, strlen(s), &out, NULL), 0);
    ASSERT_EQ(out.len, 11);
    ASSERT(memcmp(buf_ptr(&out), "a\\b\n\t\r\x01\xff \"'", 11) == 0);
    free(s);
    /* Python's other escapes: octal, quotes; unknown ones stay as typed. */
    buf_reset(&out);
    ASSERT_EQ(console__unescape("\\101\\'\\q", 8, &out, NULL), 0);
    s = buf_strdup(&out);
    ASSERT_STREQ(s, "A'\\q");
    free(s);
    /* A trailing backslash and a short \x are errors that say so. */
    struct err e = {0};
    buf_reset(&out);
    ASSERT(console__unescape("ab\\", 3, &out, &e) < 0);
    ASSERT(strstr(e.msg, "trailing") != NULL);
    ASSERT(console__unescape("\\x4", 3, &out, &e) < 0);
    ASSERT(strstr(e.msg, "\\x") != NULL);
    buf_clear(&out);
    buf_clear(&b);
}

TEST(console_grid_rows)
{
    struct grid *g = console__grid_new("Edit", 2, kv, -1);
    struct slice r1[2] = {SLICE_STR("Host"), SLICE_STR("example.com")};
    struct slice r2[2] = {SLICE_STR("Accept"), SLICE_STR("*/*")};
    console__grid_append(g, r1);
    console__grid_append(g, r2);
    ASSERT_EQ(g->n, 2);
    /* a: a row after the focus, its first cell typed at once; tab goes on
     * typing the next cell of the row; esc (stop_edit) keeps it. */
    console__grid_add(g);
    ASSERT_EQ(g->focus, 1);
    ASSERT(g->editing);
    type(g, "X-New");
    console__grid_tab(g);
    ASSERT(g->editing);
    ASSERT_EQ(g->focus_col, 1);
    type(g, "yes\\x21");
    ASSERT_EQ(console__grid_stop_edit(g, NULL), 0);
    ASSERT_CELL(g, 1, 0, "X-New");
    ASSERT_CELL(g, 1, 1, "yes!");
    ASSERT_CELL(g, 2, 0, "Accept");
    /* A: before the focus. */
    console__grid_insert(g);
    ASSERT_EQ(g->focus, 1);
    ASSERT(console__grid_stop_edit(g, NULL) == 0);
    ASSERT_EQ(g->n, 4);
    /* A blank row is not written back; the others are. */
    ASSERT(!console__grid_keep(g, 1));
    ASSERT(console__grid_keep(g, 2));
    /* d deletes the focused row; the focus stays in range. */
    console__grid_delete(g);
    ASSERT_EQ(g->n, 3);
    console__grid_move(g, 10, 10);
    ASSERT_EQ(g->focus, 2);
    ASSERT_EQ(g->focus_col, 1);
    console__grid_delete(g);
    ASSERT_EQ(g->focus, 1);
    /* A bad escape keeps the cell being typed. */
    ASSERT(console__grid_start_edit(g));
    type(g, "\\x9");
    struct err e = {0};
    ASSERT(console__grid_stop_edit(g, &e) < 0);
    ASSERT(g->editing);
    console__line_key(&g->edit, &g->cursor, "backspace");
    console__line_key(&g->edit, &g->cursor, "backspace");
    console__line_key(&g->edit, &g->cursor, "backspace");
    ASSERT_EQ(console__grid_stop_edit(g, &e), 0);
    ASSERT_CELL(g, 1, 1, "yes!");
    console__grid_free(g);
}

TEST(console_grid_draw)
{
    struct grid *g = console__grid_new("Edit Query", 2, kv, -1);
    struct screen scr;
    console__screen_init(&scr, 6, 60);
    console__grid_draw(g, scr.lines, 6, 60, &scr, 0);
    ASSERT(strncmp(console__line_text(&scr.lines[0]), "Key                     Value", 29) == 0);
    ASSERT_STREQ(console__line_text(&scr.lines[5]),
                 "No values - you should add some. Press ? for help.");
    struct slice r[2] = {SLICE_STR("a"), SLICE_STR("tab\there")};
    console__grid_append(g, r);
    console__screen_reset(&scr);
    console__grid_move(g, 0, 1);
    console__grid_draw(g, scr.lines, 6, 60, &scr, 0);
    /* The first column is 22 wide, then 2 between; bytes shown escaped. */
    ASSERT_STREQ(console__line_text(&scr.lines[1]), "a                       tab\\there");
    ASSERT_EQ(scr.lines[1].spans[scr.lines[1].nspans - 1].style, ST_FOCUSFIELD);
    /* Typing shows the escaped text and puts the cursor after it. */
    console__grid_start_edit(g);
    console__screen_reset(&scr);
    console__grid_draw(g, scr.lines, 6, 60, &scr, 3);
    ASSERT_EQ(scr.cursor_row, 4);
    ASSERT_EQ(scr.cursor_col, 24 + 9);
    console__screen_clear(&scr);
    console__grid_free(g);
}
