/*
 * screen.c: lines are cut at their width, padded and aligned as 8.1.1's
 * fixlen and fixlen_r do, and keep the styles of their spans.
 */
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"

TEST(console_screen_put_cuts_at_width)
{
    struct screen s;
    console__screen_init(&s, 2, 10);
    struct sline *l = &s.lines[0];
    ASSERT_EQ(console__put(l, ST_TEXT, "hello ", SIZE_MAX), 6);
    ASSERT_EQ(console__put(l, ST_KEY, "world!", SIZE_MAX), 4);
    ASSERT_STREQ(console__line_text(l), "hello worl");
    ASSERT_EQ(l->used, 10);
    ASSERT_EQ(l->nspans, 2);
    ASSERT_EQ(l->spans[0].style, ST_TEXT);
    ASSERT_EQ(l->spans[1].style, ST_KEY);
    ASSERT_EQ(l->spans[1].len, 4);
    /* A full line takes nothing more. */
    ASSERT_EQ(console__put(l, ST_TEXT, "x", 1), 0);
    console__screen_clear(&s);
}

TEST(console_screen_counts_code_points_and_hides_controls)
{
    struct screen s;
    console__screen_init(&s, 1, 5);
    struct sline *l = &s.lines[0];
    console__put(l, ST_TEXT, "\xe2\x86\x90\x1b[x\xc3\xa9!", SIZE_MAX);
    /* "←", ESC shown as '.', "[", "x", "é": five columns, "!" cut. */
    ASSERT_STREQ(console__line_text(l), "\xe2\x86\x90.[x\xc3\xa9");
    ASSERT_EQ(console__width("\xe2\x86\x90\xc3\xa9", 5), 2);
    console__screen_clear(&s);
}

TEST(console_screen_fixed_columns)
{
    struct screen s;
    console__screen_init(&s, 4, 40);
    console__put_fixed(&s.lines[0], ST_TEXT, "GET", 4, 0);
    console__put(&s.lines[0], ST_TEXT, "|", 1);
    ASSERT_STREQ(console__line_text(&s.lines[0]), "GET |");
    console__put_fixed(&s.lines[1], ST_TEXT, "34b", 5, 1);
    ASSERT_STREQ(console__line_text(&s.lines[1]), "  34b");
    /* Too long: fixlen keeps the start, fixlen_r the end, an ellipsis between. */
    console__put_fixed(&s.lines[2], ST_TEXT, "OPTIONS", 4, 0);
    ASSERT_STREQ(console__line_text(&s.lines[2]), "OPT\xe2\x80\xa6");
    console__put_fixed(&s.lines[3], ST_TEXT, "123456", 4, 1);
    ASSERT_STREQ(console__line_text(&s.lines[3]), "\xe2\x80\xa6"
                                                  "456");
    console__screen_reset(&s);
    ASSERT_STREQ(console__line_text(&s.lines[0]), "");
    ASSERT_EQ(s.lines[0].nspans, 0);
    console__pad_to(&s.lines[0], ST_HEADING, 3);
    ASSERT_STREQ(console__line_text(&s.lines[0]), "   ");
    console__screen_clear(&s);
}

/* Wide glyphs take two columns, combining marks none, as a terminal
 * draws them; fixed columns and cuts count so. */
TEST(console_screen_wide_glyphs)
{
    /* "日本語" is six columns; "e" + U+0301 is one; an emoji is two. */
    ASSERT_EQ(console__width("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9), 6);
    ASSERT_EQ(console__width("e\xcc\x81", 3), 1);
    ASSERT_EQ(console__width("\xf0\x9f\x98\x80", 4), 2);
    struct screen s;
    console__screen_init(&s, 3, 5);
    /* The third wide glyph does not fit in five columns. */
    ASSERT_EQ(console__put(&s.lines[0], ST_TEXT, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", SIZE_MAX),
              4);
    ASSERT_STREQ(console__line_text(&s.lines[0]), "\xe6\x97\xa5\xe6\x9c\xac");
    ASSERT_EQ(s.lines[0].used, 4);
    /* fixlen and fixlen_r cut by columns, then pad to exactly cols. */
    console__put_fixed(&s.lines[1], ST_TEXT, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4, 0);
    ASSERT_STREQ(console__line_text(&s.lines[1]), "\xe6\x97\xa5\xe2\x80\xa6 ");
    ASSERT_EQ(s.lines[1].used, 4);
    console__put_fixed(&s.lines[2], ST_TEXT, "a\xe6\x97\xa5\xe6\x9c\xac", 4, 1);
    ASSERT_STREQ(console__line_text(&s.lines[2]), "\xe2\x80\xa6\xe6\x9c\xac ");
    ASSERT_EQ(console__cut("\xe6\x97\xa5\xe6\x9c\xac", 6, 3), 3);
    console__screen_clear(&s);
}
