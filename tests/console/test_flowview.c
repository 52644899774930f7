/*
 * flowview.c: a finished flow's body is rendered where it is, not copied;
 * a body replaced without a store event is not read again, the view is
 * built anew from the flow as it is.
 */
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "http/headers.h"
#include "http/message.h"
#include "store/store.h"
#include "tcon.h"

TEST(console_flowview_body_replaced_under_the_view)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct flow *f = tcon_flow("GET", "/", 200);
    hdrs_add_cstr(&f->response->headers, "Content-Type", "text/plain");
    for (int i = 0; i < 400; i++)
        buf_printf(&f->response->content, "old %d\n", i);
    store_add(t.s, f);
    flow_unref(f);
    tcon_keys(c, "enter", "tab", NULL);
    ASSERT(tcon_screen_has(c, 20, 100, "old 0"));
    ASSERT(c->fv.lent != NULL);
    /* The body goes and comes back elsewhere, with no store event: the next
     * step does not read the old bytes (ASan would say), and the view shows
     * the new body. */
    struct flow *g = c->shown;
    buf_clear(&g->response->content);
    for (int i = 0; i < 400; i++)
        buf_printf(&g->response->content, "new %d\n", i);
    tcon_keys(c, "page down", NULL);
    ASSERT(tcon_screen_has(c, 20, 100, "new 0"));
    tcon_keys(c, "page down", NULL);
    ASSERT(tcon_screen_has(c, 20, 100, "new 1"));
    tcon_stop(&t);
}

/* view_tcp_stream: TCP Stream and Detail; messages sent one way in a row
 * are one; each is shown through the view mode, a marker on every line. */
TEST(console_flowview_tcp_stream)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct flow *f = flow_new_tcp(NULL, NULL);
    f->live = 0;
    int tabs[FV__COUNT];
    ASSERT_EQ(console__flowview_tabs(f, tabs), 2);
    ASSERT_EQ(tabs[0], FV_TCP);
    ASSERT_EQ(tabs[1], FV_DETAIL);
    store_add(t.s, f);
    /* No messages yet. */
    tcon_keys(c, "enter", NULL);
    ASSERT(tcon_screen_has(c, 20, 120, "No messages."));
    ASSERT(tcon_screen_has(c, 20, 120, "TCP Stream"));
    ASSERT_EQ(c->fv.tab, FV_TCP);
    flow_tcp_add_message(f, 1, "hello server\nsecond line", 24);
    flow_tcp_add_message(f, 1, " more", 5);
    flow_tcp_add_message(f, 0, "hi client", 9);
    flow_tcp_add_message(f, 1,
                         "\x00\x01\x02"
                         "binary\xff",
                         10);
    store_update(t.s, f);
    console__layout(c, 20, 120);
    int r = tcon_row_of(c, "Auto");
    ASSERT(r > 0);
    ASSERT(strstr(tcon_line(c, r), "[m:auto]") != NULL);
    ASSERT_STREQ(tcon_line(c, r + 1), "\xe2\x87\x92 hello server");
    ASSERT_STREQ(tcon_line(c, r + 2), "\xe2\x87\x92 second line more");
    ASSERT_STREQ(tcon_line(c, r + 3), "\xe2\x87\x90 hi client");
    /* Binary bytes: Auto picks Hex, as 8.1.1 does. */
    ASSERT_STREQ(tcon_line(c, r + 4), "\xe2\x87\x92 0000000000 00 01 02 62 69 6e 61 72 79 ff"
                                      "                     ...binary.");
    ASSERT(c->scr.lines[r + 1].spans[0].style == ST_FROM_CLIENT);
    ASSERT(c->scr.lines[r + 3].spans[0].style == ST_TO_CLIENT);
    ASSERT(c->scr.lines[r].spans[0].style == ST_HEADING);
    /* A held flow's last line in the intercept colour. */
    f->intercepted = 1;
    store_update(t.s, f);
    console__layout(c, 20, 120);
    ASSERT(c->scr.lines[r + 4].spans[0].style == ST_INTERCEPT);
    ASSERT(c->scr.lines[r + 3].spans[0].style == ST_TO_CLIENT);
    f->intercepted = 0;
    /* Another mode: Raw shows the bytes escaped, the status bar names it. */
    tcon_keys(c, ":", NULL);
    tcon_type(c, "console.flowview.mode.set raw");
    tcon_keys(c, "enter", NULL);
    console__layout(c, 20, 120);
    r = tcon_row_of(c, "Raw ");
    ASSERT(r > 0);
    ASSERT(strstr(tcon_line(c, r), "[m:raw]") != NULL);
    ASSERT_STREQ(tcon_line(c, r + 4), "\xe2\x87\x92 \\x00\\x01\\x02binary\\xff");
    /* Tab: Detail, then back to the stream. */
    tcon_keys(c, "tab", NULL);
    ASSERT_EQ(c->fv.tab, FV_DETAIL);
    tcon_keys(c, "tab", NULL);
    ASSERT_EQ(c->fv.tab, FV_TCP);
    flow_unref(f);
    tcon_stop(&t);
}
