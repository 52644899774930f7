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
    console__layout(c, 20, 100);
    return tcon_row_of(c, text);
}

TEST(console_search_flowview)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;

    struct flow *f = tcon_flow("GET", "/", 200);
    hdrs_add_cstr(&f->response->headers, "Content-Type", "text/plain");
    for (int i = 0; i < 2000; i++)
        buf_printf(&f->response->content, i == 10 || i == 1500 ? "needle %d\n" : "line %d\n", i);
    store_add(t.s, f);
    flow_unref(f);
    tcon_keys(c, "enter", "tab", NULL);
    console__layout(c, 20, 100);

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
