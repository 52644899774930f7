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
    struct flow *f = flow_new_http(NULL, NULL);
    f->live = 0;
    f->request = http_request_new();
    http_set_str(&f->request->method, "GET");
    http_set_str(&f->request->scheme, "http");
    http_set_str(&f->request->host, "example.com");
    f->request->port = 80;
    http_set_str(&f->request->path, "/");
    http_set_str(&f->request->http_version, "HTTP/1.1");
    f->response = http_response_new();
    f->response->status_code = 200;
    http_set_str(&f->response->http_version, "HTTP/1.1");
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
