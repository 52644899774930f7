/*
 * search.c: / n N in the flow view, as 8.1.1's searchable.py finds lines,
 * and past content_view_lines_cutoff, which 8.1.1 cannot (mitmproxy #7326).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "addons/intercept.h"
#include "console/console.h"
#include "console/internal.h"
#include "http/headers.h"
#include "http/message.h"
#include "master/master.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/log.h"

static void
keys(struct console *c, ...)
{
    va_list ap;
    va_start(ap, c);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;)
        console__press(c, k);
    va_end(ap);
}

/* The screen line that shows text, or -1. */
static int
row_of(struct console *c, const char *text)
{
    console__layout(c, 20, 100);
    for (int i = 0; i < c->scr.rows; i++)
        if (strstr(console__line_text(&c->scr.lines[i]), text))
            return i;
    return -1;
}

TEST(console_search_flowview)
{
    struct err e = {0};
    ASSERT_EQ(console_register_options(&e), 0);
    log_set_level(LOG_ERROR);
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    struct master *m = master_new(o);
    master_add_addon(m, addon_intercept_new());
    struct store *s = master_enable_store(m, &e);
    struct console *c = console_new(m, s);
    master_add_addon(m, console_addon(c));
    ASSERT_EQ(master_configure(m, &e), 0);

    struct flow *f = flow_new_http(NULL, NULL);
    f->live = 0;
    f->request = http_request_new();
    http_set_str(&f->request->method, "GET");
    http_set_str(&f->request->scheme, "http");
    http_set_str(&f->request->host, "example.com");
    http_set_str(&f->request->path, "/");
    http_set_str(&f->request->http_version, "HTTP/1.1");
    f->response = http_response_new();
    f->response->status_code = 200;
    http_set_str(&f->response->http_version, "HTTP/1.1");
    hdrs_add_cstr(&f->response->headers, "Content-Type", "text/plain");
    for (int i = 0; i < 2000; i++)
        buf_printf(&f->response->content, i == 10 || i == 1500 ? "needle %d\n" : "line %d\n", i);
    store_add(s, f);
    flow_unref(f);
    keys(c, "enter", "tab", NULL);
    console__layout(c, 20, 100);

    /* / asks; enter finds the first line holding the text, highlighted. */
    keys(c, "/", NULL);
    console__layout(c, 20, 100);
    ASSERT_STREQ(console__line_text(&c->scr.lines[19]), "Search for: ");
    for (const char *p = "needle"; *p; p++) {
        char k[2] = {*p, 0};
        keys(c, k, NULL);
    }
    keys(c, "enter", NULL);
    int r = row_of(c, "needle 10");
    ASSERT(r >= 0);
    ASSERT_EQ(c->scr.lines[r].spans[0].style, ST_FOCUSFIELD);
    /* n: the next one is past the 512-line cutoff, which is loaded. */
    keys(c, "n", NULL);
    ASSERT(row_of(c, "needle 1500") >= 0);
    ASSERT(row_of(c, "Stopped displaying") < 0);
    /* n wraps around; N goes back. */
    keys(c, "n", NULL);
    ASSERT(row_of(c, "needle 10") >= 0);
    keys(c, "N", NULL);
    ASSERT(row_of(c, "needle 1500") >= 0);
    /* Text that is nowhere says so. */
    keys(c, "/", "z", "z", "z", "enter", NULL);
    ASSERT(row_of(c, "Search not found.") >= 0);
    console_free(c);
    master_free(m);
}
