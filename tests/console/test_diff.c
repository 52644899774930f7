/*
 * diff.c: = on the flow list with two flows marked shows their requests
 * and responses as a line diff, "-" and "+" lines coloured.
 */
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "http/headers.h"
#include "http/message.h"
#include "store/store.h"
#include "tcon.h"

static void
add_flow(struct store *s, const char *path, const char *agent, const char *body)
{
    struct flow *f = tcon_flow("GET", path, 200);
    hdrs_add_cstr(&f->request->headers, "User-Agent", agent);
    http_set_str(&f->response->reason, "OK");
    hdrs_add_cstr(&f->response->headers, "Content-Type", "application/json");
    buf_append_str(&f->response->content, body);
    store_add(s, f);
    flow_unref(f);
}

/* The style of the first span of the screen line holding text. */
static int
style_of(struct console *c, const char *text)
{
    int r = tcon_row_of(c, text);
    ASSERT(r >= 0);
    return c->scr.lines[r].spans[0].style;
}

TEST(console_diff_two_marked_flows)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    add_flow(t.s, "/one", "curl/7", "{\"a\": 1, \"b\": [1, 2], \"c\": \"same\"}");
    add_flow(t.s, "/two", "curl/8", "{\"a\": 1, \"b\": [1, 3], \"c\": \"same\"}");
    add_flow(t.s, "/three", "curl/8", "{}");
    console__layout(c, 40, 120);

    /* One flow marked is not enough. */
    tcon_keys(c, "m", "=", NULL);
    ASSERT_EQ(c->bar, BAR_MESSAGE);
    ASSERT(strstr(c->message, "exactly two flows, not 1") != NULL);
    tcon_keys(c, "j", "m", "=", NULL);
    ASSERT_EQ(c->stack[c->depth - 1], VIEW_DIFF);
    ASSERT(tcon_screen_has(c, 40, 120, "--- GET http://example.com/one"));
    ASSERT(tcon_screen_has(c, 40, 120, "+++ GET http://example.com/two"));
    /* The request line and the header that changed; the rest is the same. */
    ASSERT_EQ(style_of(c, "- GET http://example.com/one HTTP/1.1"), ST_ERROR);
    ASSERT_EQ(style_of(c, "+ GET http://example.com/two HTTP/1.1"), ST_CODE_200);
    ASSERT_EQ(style_of(c, "- User-Agent: curl/7"), ST_ERROR);
    ASSERT_EQ(style_of(c, "+ User-Agent: curl/8"), ST_CODE_200);
    ASSERT_EQ(style_of(c, "  HTTP/1.1 200 OK"), ST_TEXT);
    /* The bodies through the JSON view: only the changed line differs. */
    int del = tcon_row_of(c, "-         2");
    int plus = tcon_row_of(c, "+         3");
    ASSERT(del >= 0 && plus == del + 1);
    ASSERT_EQ(style_of(c, "      \"c\": \"same\""), ST_TEXT);
    ASSERT(tcon_row_of(c, "(3 lines removed, 3 added)") >= 0);
    /* q goes back to the list. */
    tcon_keys(c, "q", NULL);
    ASSERT_EQ(c->stack[c->depth - 1], VIEW_FLOWLIST);
    tcon_stop(&t);
}

TEST(console_diff_scrolls_and_finds_changes)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct buf a = BUF_INIT, b = BUF_INIT;
    for (int i = 0; i < 100; i++) {
        buf_printf(&a, "\"line %d%s\",\n", i, i == 60 ? " old" : "");
        buf_printf(&b, "\"line %d%s\",\n", i, i == 60 ? " new" : "");
    }
    add_flow(t.s, "/same", "curl/7", (const char *)buf_ptr(&a));
    add_flow(t.s, "/same", "curl/7", (const char *)buf_ptr(&b));
    buf_clear(&a);
    buf_clear(&b);
    tcon_keys(c, "m", "j", "m", "=", NULL);
    ASSERT_EQ(c->stack[c->depth - 1], VIEW_DIFF);
    /* 20 rows: the title, "---" and "+++", then 15 lines of the diff. */
    ASSERT(tcon_screen_has(c, 20, 120, "(1 lines removed, 1 added)"));
    ASSERT_EQ(tcon_row_of(c, "Request"), 3);
    ASSERT_EQ(tcon_row_of(c, "\"line 6\","), 17);
    /* tab: the next change at the top. */
    tcon_keys(c, "tab", NULL);
    console__layout(c, 20, 120);
    ASSERT_STREQ(tcon_line(c, 3), "- \"line 60 old\",");
    ASSERT_STREQ(tcon_line(c, 4), "+ \"line 60 new\",");
    /* G: the last line on the last row, and no further down. */
    tcon_keys(c, "G", NULL);
    console__layout(c, 20, 120);
    ASSERT_STREQ(tcon_line(c, 17), "  \"line 99\",");
    tcon_keys(c, "j", "page down", NULL);
    console__layout(c, 20, 120);
    ASSERT_STREQ(tcon_line(c, 17), "  \"line 99\",");
    /* g, then a page: 15 lines on, the first below the last shown. */
    tcon_keys(c, "g", "page down", NULL);
    console__layout(c, 20, 120);
    ASSERT_STREQ(tcon_line(c, 3), "  \"line 7\",");
    tcon_keys(c, "k", NULL);
    console__layout(c, 20, 120);
    ASSERT_STREQ(tcon_line(c, 3), "  \"line 6\",");
    tcon_stop(&t);
}
