/*
 * layout.c and ui.c without a terminal: a master with the flow store and
 * the console, keys pressed by name, and the screen the layout computes,
 * line by line, as a user would read it in tmux.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/test.h"
#include "commands/commands.h"
#include "console/internal.h"
#include "flow/connection.h"
#include "http/headers.h"
#include "http/message.h"
#include "store/store.h"
#include "tcon.h"
#include "util/log.h"

static struct flow *
http_flow(const char *method, const char *path, int status, const char *ctype, const char *body)
{
    struct flow *f = tcon_flow(method, path, status);
    hdrs_add_cstr(&f->request->headers, "Host", "example.com");
    f->request->timestamp_start = 1796500718.5;
    f->request->timestamp_end = 1796500718.6;
    if (status) {
        http_set_str(&f->response->reason, "OK");
        if (ctype)
            hdrs_add_cstr(&f->response->headers, "Content-Type", ctype);
        buf_append_str(&f->response->content, body ? body : "");
        f->response->timestamp_start = 1796500718.7;
        f->response->timestamp_end = 1796500718.75;
    }
    return f;
}

static void
setup(struct tcon *fx)
{
    setenv("TZ", "UTC", 1);
    tzset();
    tcon_start(fx, "keepserving=true", NULL);
}

static void
add(struct tcon *fx, struct flow *f)
{
    store_add(fx->s, f);
    flow_unref(f);
}

static int
starts(struct tcon *fx, int i, const char *prefix)
{
    return strncmp(tcon_line(fx->c, i), prefix, strlen(prefix)) == 0;
}

static int
screen_has(struct tcon *fx, const char *text)
{
    return tcon_row_of(fx->c, text) >= 0;
}

#define ASSERT_SCREEN_HAS(fx, text)                                                                \
    do {                                                                                           \
        if (!screen_has(fx, text)) {                                                               \
            tcon_dump((fx)->c);                                                                    \
            test_fail(__FILE__, __LINE__, "screen lacks \"%s\"", text);                            \
        }                                                                                          \
    } while (0)

TEST(console_layout_flowlist)
{
    struct tcon fx;
    setup(&fx);
    console__layout(fx.c, 10, 120);
    ASSERT(starts(&fx, 0, "Flows"));
    ASSERT(starts(&fx, 8, "\xe2\x87\xa9  [0/0]"));
    add(&fx, http_flow("GET", "/one", 200, "text/html", "<p>one</p>"));
    add(&fx, http_flow("POST", "/two", 404, "application/json", "{\"a\": 1}"));
    add(&fx, http_flow("GET", "/three", 0, NULL, NULL));
    console__layout(fx.c, 10, 120);
    ASSERT(starts(&fx, 1, ">>19:58:38 HTTP  GET "));
    ASSERT(strstr(tcon_line(fx.c, 1), "example.com /one") != NULL);
    /* At 120 columns the content type gets 15, urwid's least for a
     * weighted column (8.1.1's Columns(min_width=15)), as 8.1.1 shows it. */
    ASSERT(strstr(tcon_line(fx.c, 1), " 200       text/html   10b 250ms ") != NULL);
    ASSERT(starts(&fx, 2, "  19:58:38 HTTP  POST "));
    ASSERT(starts(&fx, 3, "  19:58:38 HTTP  GET "));
    ASSERT(starts(&fx, 8, "\xe2\x87\xa9  [1/3]"));
    /* j, G, k, g move the focus. */
    tcon_keys(fx.c, "j", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(starts(&fx, 2, ">>"));
    tcon_keys(fx.c, "G", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(starts(&fx, 3, ">>"));
    ASSERT(starts(&fx, 8, "\xe2\x87\xa9  [3/3]"));
    tcon_keys(fx.c, "k", "up", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(starts(&fx, 1, ">>"));
    tcon_keys(fx.c, "end", "g", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(starts(&fx, 1, ">>"));
    /* Narrow: the two-line list layout. */
    console__layout(fx.c, 10, 80);
    ASSERT(starts(&fx, 1, ">> GET http://example.com/one"));
    ASSERT(strstr(tcon_line(fx.c, 2), "\xe2\x86\x90 200 text/html 10b") != NULL);
    ASSERT(starts(&fx, 3, "   POST http://example.com/two"));
    tcon_stop(&fx);
}

/* A TCP flow as the store keeps it for the list: 8.1.1's one line with
 * the client's address, the messages' size and the time to the last. */
static struct flow *
tcp_flow(void)
{
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    cc->peername.host = strdup("127.0.0.1");
    cc->peername.port = 44744;
    cc->timestamp_start = 1796500718.5;
    sc->address.host = strdup("10.0.0.1");
    sc->address.port = 22;
    struct flow *f = flow_new_tcp(cc, sc);
    connection_unref(cc);
    connection_unref(sc);
    f->live = 0;
    flow_tcp_add_message(f, 1, "hello", 5)->timestamp = 1796500718.6;
    flow_tcp_add_message(f, 0, "it's me", 7)->timestamp = 1796500719.75;
    return f;
}

TEST(console_layout_flowlist_tcp_rows)
{
    struct tcon fx;
    setup(&fx);
    add(&fx, http_flow("GET", "/one", 200, "text/html", "<p>one</p>"));
    add(&fx, tcp_flow());
    add(&fx, http_flow("GET", "/three", 0, NULL, NULL));
    /* The table: the row's fields, none read from the flow itself. */
    console__layout(fx.c, 10, 120);
    ASSERT(starts(&fx, 2, "  19:58:38 TCP   127.0.0.1:44744 <-> 10.0.0.1:22 "));
    ASSERT(strstr(tcon_line(fx.c, 2), "  12b 1.25s    ") != NULL);
    /* The list layout: two lines a flow, one for TCP; a click on the line
     * under the TCP one opens the flow after it. */
    tcon_stop(&fx);
    tcon_start(&fx, "keepserving=true", "console_flowlist_layout=list", NULL);
    add(&fx, http_flow("GET", "/one", 200, "text/html", "<p>one</p>"));
    add(&fx, tcp_flow());
    add(&fx, http_flow("GET", "/three", 0, NULL, NULL));
    console__layout(fx.c, 10, 80);
    ASSERT(starts(&fx, 1, ">> GET http://example.com/one"));
    ASSERT(starts(&fx, 3, "   TCP 127.0.0.1:44744 <-> 10.0.0.1:22 "));
    ASSERT(strstr(tcon_line(fx.c, 3), "  12b 1.25s") != NULL);
    ASSERT(starts(&fx, 4, "   GET http://example.com/three"));
    tcon_keys(fx.c, "mouse press 1 5 4", NULL);
    ASSERT_EQ(store_focus_index(fx.s), 2);
    tcon_stop(&fx);
}

TEST(console_layout_flowlist_keys)
{
    struct tcon fx;
    setup(&fx);
    add(&fx, http_flow("GET", "/one", 200, "text/html", "<p>one</p>"));
    add(&fx, http_flow("POST", "/two", 404, "application/json", "{\"a\": 1}"));
    add(&fx, http_flow("GET", "/three", 0, NULL, NULL));
    /* m marks the focused flow; M shows marked flows only; U unmarks all. */
    tcon_keys(fx.c, "m", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(strstr(tcon_line(fx.c, 1), "\xe2\x97\x8f") != NULL);
    tcon_keys(fx.c, "M", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(starts(&fx, 8, "\xe2\x87\xa9 M [1/1]"));
    tcon_keys(fx.c, "M", "U", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(strstr(tcon_line(fx.c, 1), "\xe2\x97\x8f") == NULL);
    /* v reverses the order. */
    tcon_keys(fx.c, "v", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(starts(&fx, 8, "\xe2\x87\xa7"));
    ASSERT(strstr(tcon_line(fx.c, 1), "/three") != NULL);
    tcon_keys(fx.c, "v", NULL);
    /* f opens the prompt with the filter; typing and enter set it. */
    tcon_keys(fx.c, "f", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT_STREQ(tcon_line(fx.c, 9), ": set view_filter ''");
    ASSERT_EQ(fx.c->scr.cursor_col, (int)strlen(": set view_filter '"));
    tcon_keys(fx.c, "~", "m", "space", "P", "O", "S", "T", "enter", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(strstr(tcon_line(fx.c, 8), "[1/1]") != NULL);
    ASSERT(strstr(tcon_line(fx.c, 8), "[f:~m POST]") != NULL);
    ASSERT(strstr(tcon_line(fx.c, 1), "/two") != NULL);
    /* A bad filter is an error message; the view stays. */
    tcon_keys(fx.c, ":", NULL);
    for (const char *p = "set view_filter=~x"; *p; p++) {
        char k[2] = {*p, 0};
        tcon_keys(fx.c, *p == ' ' ? "space" : k, NULL);
    }
    tcon_keys(fx.c, "enter", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(strstr(tcon_line(fx.c, 9), "~x") != NULL);
    ASSERT(strstr(tcon_line(fx.c, 8), "[f:~m POST]") != NULL);
    tcon_keys(fx.c, "x", ":", NULL);
    for (const char *p = "set view_filter="; *p; p++) {
        char k[2] = {*p, 0};
        tcon_keys(fx.c, k, NULL);
    }
    tcon_keys(fx.c, "enter", NULL);
    /* o offers the orders in a chooser; 2) is "size". */
    tcon_keys(fx.c, "o", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT_SCREEN_HAS(&fx, " Order ");
    ASSERT_SCREEN_HAS(&fx, "2) size");
    tcon_keys(fx.c, "2", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT_STREQ(store_order_name(store_get_order(fx.s)), "size");
    ASSERT(strstr(tcon_line(fx.c, 8), "[o:size]") != NULL);
    /* D duplicates, d deletes, z clears. */
    tcon_keys(fx.c, "D", NULL);
    ASSERT_EQ(store_view_len(fx.s), 4);
    tcon_keys(fx.c, "d", NULL);
    ASSERT_EQ(store_view_len(fx.s), 3);
    tcon_keys(fx.c, "z", NULL);
    ASSERT_EQ(store_view_len(fx.s), 0);
    console__layout(fx.c, 10, 120);
    ASSERT(strstr(tcon_line(fx.c, 8), "[0/0]") != NULL);
    tcon_stop(&fx);
}

TEST(console_layout_flowview)
{
    struct tcon fx;
    setup(&fx);
    add(&fx, http_flow("GET", "/one", 200, "application/json", "{\"hello\": \"world\"}"));
    tcon_keys(fx.c, "enter", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT(starts(&fx, 0, "Flow Details"));
    ASSERT(starts(&fx, 1, "2026-12-05 19:58:38 GET http://example.com/one"));
    ASSERT_SCREEN_HAS(&fx, "\xe2\x86\x90 200 OK application/json 18b 250ms");
    ASSERT_SCREEN_HAS(&fx, "Request");
    ASSERT_SCREEN_HAS(&fx, "Host:  example.com");
    ASSERT_SCREEN_HAS(&fx, "No request content");
    ASSERT_SCREEN_HAS(&fx, "[m:auto]");
    tcon_keys(fx.c, "tab", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT_SCREEN_HAS(&fx, "Content-Type:  application/json");
    ASSERT_SCREEN_HAS(&fx, "JSON");
    ASSERT_SCREEN_HAS(&fx, "    \"hello\": \"world\"");
    /* m chooses the view: hex. */
    tcon_keys(fx.c, "m", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT_SCREEN_HAS(&fx, " Mode ");
    ASSERT_SCREEN_HAS(&fx, "3) hex");
    tcon_keys(fx.c, "3", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT_SCREEN_HAS(&fx, "[m:hex]");
    ASSERT_SCREEN_HAS(&fx, "0000000000 7b 22 68 65");
    tcon_keys(fx.c, "tab", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT_SCREEN_HAS(&fx, "Timing:");
    ASSERT_SCREEN_HAS(&fx, "First request byte");
    /* q goes back to the list; q there asks; n says no; Q would exit. */
    tcon_keys(fx.c, "q", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT(starts(&fx, 0, "Flows"));
    tcon_keys(fx.c, "q", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT_STREQ(tcon_line(fx.c, 19), "Quit (yes,no)?");
    tcon_keys(fx.c, "n", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT_STREQ(tcon_line(fx.c, 19), "");
    ASSERT(!fx.c->exit_requested);
    tcon_keys(fx.c, "q", "y", NULL);
    ASSERT(fx.c->exit_requested);
    tcon_stop(&fx);
}

/* A long body stops at content_view_lines_cutoff until f asks for all of it. */
TEST(console_layout_flowview_cutoff)
{
    struct tcon fx;
    setup(&fx);
    struct buf body = BUF_INIT;
    for (int i = 0; i < 2000; i++)
        buf_printf(&body, "line %d\n", i);
    char *text = buf_strdup(&body);
    buf_clear(&body);
    add(&fx, http_flow("GET", "/long", 200, "text/plain", text));
    free(text);
    tcon_keys(fx.c, "enter", "tab", NULL);
    console__layout(fx.c, 20, 100);
    ASSERT_SCREEN_HAS(&fx, "line 0");
    tcon_keys(fx.c, "G", NULL);
    console__layout(fx.c, 20, 100);
    ASSERT_SCREEN_HAS(&fx, "line 511");
    ASSERT_SCREEN_HAS(&fx, "Stopped displaying data after 512 lines. Press f to load all data.");
    ASSERT(!screen_has(&fx, "line 512"));
    tcon_keys(fx.c, "f", "G", NULL);
    console__layout(fx.c, 20, 100);
    ASSERT_SCREEN_HAS(&fx, "line 1999");
    ASSERT(!screen_has(&fx, "Stopped displaying"));
    tcon_stop(&fx);
}

TEST(console_layout_help_and_eventlog)
{
    struct tcon fx;
    setup(&fx);
    tcon_keys(fx.c, "?", NULL);
    console__layout(fx.c, 40, 100);
    ASSERT(starts(&fx, 0, "Help"));
    ASSERT_SCREEN_HAS(&fx, "Key Bindings");
    ASSERT_SCREEN_HAS(&fx, "Common Keybindings");
    ASSERT_SCREEN_HAS(&fx, "Keybindings for this view");
    ASSERT_SCREEN_HAS(&fx, "A       Resume all intercepted flows");
    tcon_keys(fx.c, "?", NULL);
    console__layout(fx.c, 40, 100);
    ASSERT(starts(&fx, 0, "Flows"));
    log_msg(LOG_ERROR, "something to see");
    tcon_keys(fx.c, "E", NULL);
    console__layout(fx.c, 40, 100);
    ASSERT(starts(&fx, 0, "Events"));
    ASSERT_SCREEN_HAS(&fx, "error: something to see");
    tcon_keys(fx.c, "z", NULL);
    console__layout(fx.c, 40, 100);
    ASSERT(!screen_has(&fx, "something to see"));
    /* shift tab (console.panes.next) stays on the only pane of the single
     * layout, as 8.1.1's Window.switch; the split layouts are test_panes.c's. */
    tcon_keys(fx.c, "q", "shift tab", NULL);
    console__layout(fx.c, 40, 100);
    ASSERT(starts(&fx, 0, "Flows"));
    ASSERT(!screen_has(&fx, "Events"));
    tcon_stop(&fx);
}

TEST(console_layout_intercept)
{
    struct tcon fx;
    setup(&fx);
    tcon_keys(fx.c, "i", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT_STREQ(tcon_line(fx.c, 9), ": set intercept ''");
    tcon_keys(fx.c, "~", "q", "enter", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(strstr(tcon_line(fx.c, 8), "[i:~q]") != NULL);
    tcon_keys(fx.c, "I", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT(strstr(tcon_line(fx.c, 8), "[Xi:~q]") != NULL);
    struct flow *f = http_flow("GET", "/held", 0, NULL, NULL);
    f->intercepted = 1;
    add(&fx, f);
    console__layout(fx.c, 10, 120);
    /* The held flow's time is drawn in the intercept style. */
    ASSERT(strstr(tcon_line(fx.c, 1), "/held") != NULL);
    ASSERT_EQ(fx.c->scr.lines[1].spans[1].style, ST_INTERCEPT);
    tcon_keys(fx.c, "enter", NULL);
    console__layout(fx.c, 10, 120);
    ASSERT_SCREEN_HAS(&fx, "Request intercepted");
    tcon_stop(&fx);
}

/* Only the rows on the screen are formatted: 100,000 flows cost a screen. */
TEST(console_layout_many_flows)
{
    struct tcon fx;
    setup(&fx);
    for (int i = 0; i < 100000; i++) {
        char path[32];
        snprintf(path, sizeof(path), "/%d", i);
        add(&fx, http_flow("GET", path, 200, "text/plain", "x"));
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tcon_keys(fx.c, "G", NULL);
    console__layout(fx.c, 50, 200);
    tcon_keys(fx.c, "page up", "k", NULL);
    console__layout(fx.c, 50, 200);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    ASSERT_SCREEN_HAS(&fx, "/99952");
    ASSERT(strstr(tcon_line(fx.c, 48), "[99952/100000]") != NULL);
    /* Generous for a sanitizer build on a shared machine; about 1 ms optimized. */
    ASSERT(ms < 250);
    tcon_stop(&fx);
}

/* The flow view's own keys: space and p walk the flows, z encodes and
 * decodes a body, w offers to save this flow. */
TEST(console_layout_flowview_keys)
{
    struct tcon fx;
    setup(&fx);
    add(&fx, http_flow("GET", "/one", 200, "text/plain", "first body"));
    add(&fx, http_flow("GET", "/two", 200, "text/plain", "second body"));
    tcon_keys(fx.c, "enter", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT_SCREEN_HAS(&fx, "/one");
    tcon_keys(fx.c, "space", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT_SCREEN_HAS(&fx, "GET http://example.com/two");
    tcon_keys(fx.c, "p", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT_SCREEN_HAS(&fx, "GET http://example.com/one");
    /* z, 2) response: deflate on, then off again. */
    tcon_keys(fx.c, "z", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT_SCREEN_HAS(&fx, "2) response");
    tcon_keys(fx.c, "2", NULL);
    struct flow *f = store_view_flow(fx.s, 0);
    const struct hdr *ce = hdrs_get(&f->response->headers, "Content-Encoding");
    ASSERT(ce != NULL);
    ASSERT_STREQ(ce->value, "deflate");
    tcon_keys(fx.c, "z", "2", NULL);
    ASSERT(hdrs_get(&f->response->headers, "Content-Encoding") == NULL);
    ASSERT_EQ(f->response->content.len, 10);
    flow_unref(f);
    /* w: save.file with this flow, the path to type. */
    tcon_keys(fx.c, "w", NULL);
    console__layout(fx.c, 20, 120);
    ASSERT(strncmp(tcon_line(fx.c, 19), ": save.file @focus ", 19) == 0);
    tcon_stop(&fx);
}
