/*
 * search_all.c: s on the flow list searches every flow, for plain text or
 * a filter; the result screen lists one hit per flow with the matched text
 * in its context, and enter opens the flow at the hit.
 */
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "http/headers.h"
#include "http/message.h"
#include "store/store.h"
#include "tcon.h"

static struct flow *
add_flow(struct store *s, const char *method, const char *path, const char *req_header,
         const char *req_body, const char *resp_body)
{
    struct flow *f = tcon_flow(method, path, 200);
    if (req_header)
        hdrs_add_cstr(&f->request->headers, "X-Token", req_header);
    if (req_body)
        buf_append_str(&f->request->content, req_body);
    hdrs_add_cstr(&f->response->headers, "Content-Type", "text/plain");
    buf_append_str(&f->response->content, resp_body);
    store_add(s, f);
    flow_unref(f);
    return f;
}

/* Types a search on the flow list's prompt. */
static void
search(struct console *c, const char *text)
{
    tcon_keys(c, "s", NULL);
    ASSERT_EQ(c->bar, BAR_PROMPT);
    tcon_type(c, text);
    tcon_keys(c, "enter", NULL);
}

TEST(console_search_all_text_and_filter)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    add_flow(t.s, "GET", "/a", NULL, NULL,
             "first line\nthere is a Needle in a haystack, said the log\nlast line\n");
    add_flow(t.s, "POST", "/b", "needle42", "a=1", "ok");
    add_flow(t.s, "GET", "/c", NULL, NULL, "axb");
    console__layout(c, 20, 140);

    /* Plain text: URL, headers and bodies, any case; one line per flow. */
    search(c, "needle");
    ASSERT_EQ(c->stack[c->depth - 1], VIEW_SEARCH);
    ASSERT_EQ(console__search_all_count(c), 2);
    ASSERT(tcon_screen_has(c, 20, 140, "2 of 3 flows match: needle"));
    int r = tcon_row_of(c, "response body: there is a Needle in a haystack, said the log");
    ASSERT(r >= 0);
    ASSERT(strstr(tcon_line(c, r), ">> GET http://example.com/a") != NULL);
    /* The matched text stands out. */
    const struct sline *l = &c->scr.lines[r];
    size_t at = 0, k = 0;
    const char *text = console__line_text(&c->scr.lines[r]);
    size_t want = (size_t)(strstr(text, "Needle") - text);
    while (k < l->nspans && at + l->spans[k].len <= want)
        at += l->spans[k++].len;
    ASSERT_EQ(at, want);
    ASSERT_EQ(l->spans[k].style, ST_HIGHLIGHT);
    ASSERT_EQ(l->spans[k].len, 6);
    ASSERT(tcon_row_of(c, "POST http://example.com/b") >= 0);
    ASSERT(tcon_row_of(c, "request header: X-Token: needle42") >= 0);

    /* Regex characters in plain text are themselves. */
    search(c, "a.b");
    ASSERT_EQ(console__search_all_count(c), 0);
    ASSERT(tcon_screen_has(c, 20, 140, "0 of 3 flows match: a.b"));

    /* A filter: the operator's regex is what is shown in context. */
    search(c, "~bs haystack & ~m get");
    ASSERT_EQ(console__search_all_count(c), 1);
    ASSERT(tcon_screen_has(c, 20, 140, "response body: there is a Needle in a haystack"));
    search(c, "~d example & !(~b needle | ~h needle)");
    ASSERT_EQ(console__search_all_count(c), 1);
    ASSERT(tcon_screen_has(c, 20, 140, "url: http://example.com/c"));
    search(c, "~c 200");
    ASSERT_EQ(console__search_all_count(c), 3);
    ASSERT(tcon_screen_has(c, 20, 140, "(matched by the filter)"));

    /* A filter that does not parse says so, and the last results stay. */
    search(c, "~x");
    ASSERT_EQ(c->bar, BAR_MESSAGE);
    ASSERT(strstr(c->message, "~x") != NULL);
    ASSERT_EQ(console__search_all_count(c), 3);
    tcon_stop(&t);
}

TEST(console_search_all_opens_the_hit)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    add_flow(t.s, "GET", "/x", NULL, NULL, "nothing here");
    struct buf body = BUF_INIT;
    for (int i = 0; i < 300; i++)
        buf_printf(&body, i == 250 ? "the needle %d\n" : "hay %d\n", i);
    add_flow(t.s, "GET", "/long", NULL, NULL, (const char *)buf_ptr(&body));
    buf_clear(&body);
    struct flow *gone = add_flow(t.s, "GET", "/gone", "needle", NULL, "");
    char gone_id[64];
    snprintf(gone_id, sizeof(gone_id), "%s", gone->id);
    console__layout(c, 20, 140);

    search(c, "needle");
    ASSERT_EQ(console__search_all_count(c), 2);
    /* A flow deleted since the search shows as gone. */
    ASSERT_EQ(store_remove(t.s, gone_id), 0);
    tcon_keys(c, "j", NULL);
    ASSERT(tcon_screen_has(c, 20, 140, "(this flow is gone)"));
    tcon_keys(c, "enter", NULL);
    ASSERT_EQ(c->stack[c->depth - 1], VIEW_SEARCH);
    /* Enter on the body hit: the flow view, its Response tab, the line found. */
    tcon_keys(c, "k", "enter", NULL);
    ASSERT_EQ(c->stack[c->depth - 1], VIEW_FLOWVIEW);
    ASSERT_EQ(c->fv.tab, FV_RESPONSE);
    console__layout(c, 20, 140);
    int r = tcon_row_of(c, "the needle 250");
    ASSERT(r >= 0);
    ASSERT_EQ(c->scr.lines[r].spans[0].style, ST_FOCUSFIELD);
    /* q goes back to the results. */
    tcon_keys(c, "q", NULL);
    ASSERT_EQ(c->stack[c->depth - 1], VIEW_SEARCH);
    tcon_stop(&t);
}

/*
 * With a loop (a redraw timer), the search runs a slice per redraw: keys
 * are answered between slices, the screen says how far it got, and esc
 * stops it with the hits found so far. Here the timer is never started:
 * the test runs the slices (console__search_all_poll) itself.
 */
TEST(console_search_all_runs_in_slices)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    char path[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(path, sizeof(path), i % 10 == 0 ? "/needle/%d" : "/hay/%d", i);
        add_flow(t.s, "GET", path, NULL, NULL, "body");
    }
    int timer;
    c->redraw_timer = &timer; /* a loop, as far as the search can tell */
    c->redraw_pending = 1;    /* ... whose redraw is always already due */
    search(c, "needle");
    ASSERT_EQ(c->stack[c->depth - 1], VIEW_SEARCH);
    ASSERT(console__search_all_running(c));
    ASSERT_EQ(console__search_all_count(c), 0);
    ASSERT(tcon_screen_has(c, 20, 120, "Searching 3000 flows (0%), 0 match so far: needle"));
    /* Slices until the end; a key between two of them is answered. */
    int moved = 0;
    while (console__search_all_poll(c)) {
        ASSERT(console__search_all_running(c));
        if (!moved && console__search_all_count(c) >= 2) {
            tcon_keys(c, "down", NULL);
            console__layout(c, 20, 120);
            ASSERT(strncmp(tcon_line(c, 3), ">>", 2) == 0);
            moved = 1;
        }
    }
    ASSERT(!console__search_all_running(c));
    ASSERT_EQ(console__search_all_count(c), 300);
    ASSERT(tcon_screen_has(c, 20, 120, "300 of 3000 flows match: needle"));
    /* A new search, stopped by esc after its first slice: what it found
     * stays, and the screen says how many flows it searched. */
    tcon_keys(c, "q", NULL);
    search(c, "needle");
    int more = console__search_all_poll(c);
    size_t found = console__search_all_count(c);
    tcon_keys(c, "esc", NULL);
    ASSERT(!console__search_all_running(c));
    ASSERT_EQ(console__search_all_count(c), found);
    ASSERT_EQ(c->stack[c->depth - 1], VIEW_SEARCH);
    if (more)
        ASSERT(tcon_screen_has(c, 20, 120, "flows searched match: needle"));
    ASSERT_EQ(console__search_all_poll(c), 0);
    /* Leaving the screen stops a search too. */
    search(c, "hay");
    ASSERT(console__search_all_running(c));
    tcon_keys(c, "q", NULL);
    ASSERT(!console__search_all_running(c));
    ASSERT_EQ(c->stack[c->depth - 1], VIEW_FLOWLIST);
    c->redraw_timer = NULL;
    tcon_stop(&t);
}
