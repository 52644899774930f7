/*
 * search.c: / n N in the flow view, as 8.1.1's searchable.py finds lines,
 * and past content_view_lines_cutoff, which 8.1.1 cannot (mitmproxy #7326).
 */
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "http/headers.h"
#include "http/message.h"
#include "store/store.h"
#include "tcon.h"

/* The screen line that shows text, or -1. */
static int
row_of(struct console *c, const char *text)
{
    return tcon_row_at(c, 20, 100, text);
}

TEST(console_search_flowview)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;

    tcon_open_response(&t, tcon_lines_flow(2000, 10, 1500), 20, 100);

    /* / asks; enter finds the first line holding the text, highlighted. */
    tcon_keys(c, "/", NULL);
    console__layout(c, 20, 100);
    ASSERT_STREQ(tcon_line(c, 19), "Search for: ");
    tcon_type(c, "needle");
    tcon_keys(c, "enter", NULL);
    int r = row_of(c, "needle 10");
    ASSERT(r >= 0);
    ASSERT_EQ(c->scr.lines[r].spans[0].style, ST_FOCUSFIELD);
    /* n: the next one is past the 512-line cutoff, which is loaded. */
    tcon_keys(c, "n", NULL);
    ASSERT(row_of(c, "needle 1500") >= 0);
    ASSERT(row_of(c, "Stopped displaying") < 0);
    /* n wraps around; N goes back. */
    tcon_keys(c, "n", NULL);
    ASSERT(row_of(c, "needle 10") >= 0);
    tcon_keys(c, "N", NULL);
    ASSERT(row_of(c, "needle 1500") >= 0);
    /* Text that is nowhere says so. */
    tcon_keys(c, "/", "z", "z", "z", "enter", NULL);
    ASSERT(row_of(c, "Search not found.") >= 0);
    tcon_stop(&t);
}

/*
 * With a loop (a redraw timer), / n N look at a big body a slice at a time,
 * rendering it as they go: keys are answered between slices, the text is
 * found past the cutoff (#7326) and from the end back, and esc stops a
 * search. Here the timer is never started: the test runs the slices
 * (console__search_poll) itself.
 */
TEST(console_search_flowview_in_slices)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    tcon_open_response(&t, tcon_lines_flow(60000, 10, 55000), 20, 100);
    int timer;
    c->redraw_timer = &timer; /* a loop, as far as the search can tell */
    c->redraw_pending = 1;    /* ... whose redraw is always already due */

    /* The first needle is on the first screens, found at once. */
    tcon_keys(c, "/", NULL);
    tcon_type(c, "needle");
    tcon_keys(c, "enter", NULL);
    ASSERT(c->fs == NULL);
    ASSERT(row_of(c, "needle 10") >= 0);

    /* n: the next is 55,000 lines on, past the cutoff: slices, each of
     * which leaves the keys free; a key between two is answered. */
    tcon_keys(c, "n", NULL);
    ASSERT(c->fs != NULL);
    ASSERT(row_of(c, "Searching for needle") >= 0);
    int slices = 0, scrolled = 0;
    while (console__search_poll(c)) {
        slices++;
        if (scrolled == 1) {
            /* The key cleared the bar; the next slice says again that it runs. */
            ASSERT(row_of(c, "Searching for needle") >= 0);
            scrolled = 2;
        }
        if (!scrolled) {
            int before = c->fv.scroll;
            tcon_keys(c, "down", NULL);
            ASSERT_EQ(c->fv.scroll, before + 1);
            scrolled = 1;
        }
    }
    ASSERT(slices > 0);
    ASSERT(c->fs == NULL);
    int r = row_of(c, "needle 55000");
    ASSERT(r >= 0);
    ASSERT_EQ(c->scr.lines[r].spans[0].style, ST_FOCUSFIELD);
    ASSERT(row_of(c, "Stopped displaying") < 0);
    ASSERT(row_of(c, "Searching for") < 0);

    /* N: back to the first; N again wraps around from the end. */
    tcon_keys(c, "N", NULL);
    while (console__search_poll(c))
        ;
    ASSERT(row_of(c, "needle 10") >= 0);
    tcon_keys(c, "N", NULL);
    while (console__search_poll(c))
        ;
    ASSERT(row_of(c, "needle 55000") >= 0);

    /* The view built again under a search (the flow changed): the search
     * goes on over the new lines and still finds the text. */
    c->fv.highlight = -1;
    c->fv.scroll = 0;
    console__search_set(c, "needle 55000");
    ASSERT(c->fs != NULL);
    console__flowview_invalidate(&c->fv);
    while (console__search_poll(c))
        ;
    ASSERT(row_of(c, "needle 55000") >= 0);
    ASSERT(c->fv.highlight >= 0);

    /* esc stops a search under way; nothing is highlighted anew. */
    tcon_keys(c, "/", NULL);
    tcon_type(c, "line 59999x");
    tcon_keys(c, "enter", NULL);
    if (c->fs) {
        tcon_keys(c, "esc", NULL);
        ASSERT(c->fs == NULL);
        ASSERT(row_of(c, "Search stopped.") >= 0);
        ASSERT_EQ(console__search_poll(c), 0);
    }
    /* Leaving the flow view stops it too. */
    tcon_keys(c, "/", NULL);
    tcon_type(c, "zzz");
    tcon_keys(c, "enter", NULL);
    tcon_keys(c, "q", NULL);
    ASSERT_EQ(console__search_poll(c), 0);
    ASSERT(c->fs == NULL);
    c->redraw_timer = NULL;
    tcon_stop(&t);
}
