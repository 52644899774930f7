/*
 * edit.c through the keys a user presses: e in the flow view, a part from
 * the chooser, the grid editor or $EDITOR (a small script that rewrites
 * the file), q to write the grid back; the flow changes, is backed up
 * first, and V reverts it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/intercept.h"
#include "commands/commands.h"
#include "console/console.h"
#include "console/internal.h"
#include "http/headers.h"
#include "http/message.h"
#include "master/master.h"
#include "options/opt.h"
#include "store/store.h"
#include "util/log.h"

struct fixture {
    struct master *m;
    struct store *s;
    struct console *c;
    char editor[64];
};

static void
setup(struct fixture *fx)
{
    struct err e = {0};
    ASSERT_EQ(console_register_options(&e), 0);
    log_set_level(LOG_ERROR);
    struct options *o = opt_new();
    ASSERT_EQ(opt_set_arg(o, "server=false", &e), 0);
    fx->m = master_new(o);
    master_add_addon(fx->m, addon_intercept_new());
    fx->s = master_enable_store(fx->m, &e);
    ASSERT(fx->s != NULL);
    fx->c = console_new(fx->m, fx->s);
    master_add_addon(fx->m, console_addon(fx->c));
    if (master_configure(fx->m, &e) < 0)
        test_fail(__FILE__, __LINE__, "configure: %s", e.msg);
    fx->editor[0] = '\0';
}

/* $EDITOR: a script that replaces the file it is given with text. */
static void
editor_writes(struct fixture *fx, const char *text)
{
    if (!fx->editor[0]) {
        snprintf(fx->editor, sizeof(fx->editor), "/tmp/mp-editor-XXXXXX");
        int fd = mkstemp(fx->editor);
        ASSERT(fd >= 0);
        close(fd);
    }
    FILE *fp = fopen(fx->editor, "w");
    fprintf(fp, "#!/bin/sh\nprintf '%%s' '%s' >\"$1\"\n", text);
    fclose(fp);
    chmod(fx->editor, 0700);
    setenv("EDITOR", fx->editor, 1);
    unsetenv("MITMPROXY_EDITOR");
}

static void
teardown(struct fixture *fx)
{
    if (fx->editor[0])
        unlink(fx->editor);
    console_free(fx->c);
    master_free(fx->m);
}

static void
keys(struct fixture *fx, ...)
{
    va_list ap;
    va_start(ap, fx);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;)
        console__press(fx->c, k);
    va_end(ap);
}

static void
type(struct fixture *fx, const char *text)
{
    for (const char *p = text; *p; p++) {
        char k[2] = {*p, 0};
        console__press(fx->c, *p == ' ' ? "space" : k);
    }
}

static int
screen_has(struct fixture *fx, const char *text)
{
    console__layout(fx->c, 24, 100);
    for (int i = 0; i < fx->c->scr.rows; i++)
        if (strstr(console__line_text(&fx->c->scr.lines[i]), text))
            return 1;
    for (int i = 0; i < fx->c->scr.rows; i++)
        fprintf(stderr, "|%s\n", console__line_text(&fx->c->scr.lines[i]));
    return 0;
}

/* A flow in the store (one reference kept for the test), its view open. */
static struct flow *
open_flow(struct fixture *fx, const char *path, const char *set_cookie)
{
    struct flow *f = flow_new_http(NULL, NULL);
    f->live = 0;
    f->request = http_request_new();
    http_set_str(&f->request->method, "POST");
    http_set_str(&f->request->scheme, "http");
    http_set_str(&f->request->host, "example.com");
    f->request->port = 80;
    http_set_str(&f->request->path, path);
    http_set_str(&f->request->http_version, "HTTP/1.1");
    hdrs_add_cstr(&f->request->headers, "Host", "example.com");
    hdrs_add_cstr(&f->request->headers, "Content-Length", "3");
    buf_append_str(&f->request->content, "abc");
    f->request->timestamp_start = 1796500718.5;
    if (set_cookie) {
        f->response = http_response_new();
        f->response->status_code = 200;
        http_set_str(&f->response->reason, "OK");
        http_set_str(&f->response->http_version, "HTTP/1.1");
        hdrs_add_cstr(&f->response->headers, "Set-Cookie", set_cookie);
    }
    store_add(fx->s, f);
    keys(fx, "enter", NULL);
    ASSERT_EQ(fx->c->stack[fx->c->depth - 1], VIEW_FLOWVIEW);
    return f;
}

static const char *
header(struct flow *f, const char *name)
{
    const struct hdr *h = hdrs_get(&f->request->headers, name);
    return h ? h->value : NULL;
}

TEST(console_edit_headers_and_revert)
{
    struct fixture fx;
    setup(&fx);
    struct flow *f = open_flow(&fx, "/p", NULL);
    /* e offers the parts, request-headers is 8). */
    keys(&fx, "e", NULL);
    ASSERT(screen_has(&fx, " Part "));
    ASSERT(screen_has(&fx, "8) request-headers"));
    keys(&fx, "8", NULL);
    ASSERT(screen_has(&fx, "Edit Request Headers"));
    ASSERT(screen_has(&fx, "Key                     Value"));
    ASSERT(screen_has(&fx, "Host                    example.com"));
    /* a adds a row and types it; tab to the value; esc ends typing. */
    keys(&fx, "a", NULL);
    type(&fx, "X-Edited");
    keys(&fx, "tab", NULL);
    type(&fx, "yes please");
    keys(&fx, "esc", NULL);
    ASSERT(screen_has(&fx, "X-Edited                yes please"));
    /* ? shows the grid editor's keys. */
    keys(&fx, "?", NULL);
    ASSERT(screen_has(&fx, "Add a row after cursor"));
    keys(&fx, "q", NULL);
    /* q writes the rows back into the flow and shows the flow again. */
    keys(&fx, "q", NULL);
    ASSERT_EQ(fx.c->stack[fx.c->depth - 1], VIEW_FLOWVIEW);
    ASSERT_STREQ(header(f, "X-Edited"), "yes please");
    ASSERT(flow_modified(f));
    struct store_info in;
    ASSERT_EQ(store_info(fx.s, f->id, &in), 0);
    ASSERT(in.modified);
    ASSERT(screen_has(&fx, "X-Edited:"));
    /* d on the Host row, then V: the backup comes back. */
    keys(&fx, "e", "8", "d", "q", NULL);
    ASSERT(header(f, "Host") == NULL);
    keys(&fx, "V", NULL);
    ASSERT_STREQ(header(f, "Host"), "example.com");
    ASSERT(header(f, "X-Edited") == NULL);
    ASSERT(!flow_modified(f));
    flow_unref(f);
    teardown(&fx);
}

TEST(console_edit_body_in_editor)
{
    struct fixture fx;
    setup(&fx);
    struct flow *f = open_flow(&fx, "/p", NULL);
    editor_writes(&fx, "edited body\n");
    /* request-body is a); the body takes the file, Content-Length follows. */
    keys(&fx, "e", "a", NULL);
    ASSERT_EQ(f->request->content.len, 12);
    ASSERT(memcmp(buf_ptr(&f->request->content), "edited body\n", 12) == 0);
    ASSERT_STREQ(header(f, "Content-Length"), "12");
    /* console_strip_trailing_newlines strips what editors add. */
    struct err e = {0};
    const char *set[] = {"console_strip_trailing_newlines=true"};
    ASSERT_EQ(master_set(fx.m, set, 1, &e), 0);
    keys(&fx, "e", "a", NULL);
    ASSERT_EQ(f->request->content.len, 11);
    ASSERT_STREQ(header(f, "Content-Length"), "11");
    /* A response part of a flow without a response edits a new 200. */
    keys(&fx, "e", "b", NULL);
    ASSERT(f->response != NULL);
    ASSERT_EQ(f->response->status_code, 200);
    ASSERT_EQ(f->response->content.len, 11);
    /* The URL goes to the editor too, and through flow.set. */
    editor_writes(&fx, "https://other.example:8443/new?q=1\n");
    keys(&fx, "e", "e", NULL);
    ASSERT_STREQ(f->request->host, "other.example");
    ASSERT_EQ(f->request->port, 8443);
    ASSERT_STREQ(f->request->path, "/new?q=1");
    ASSERT_STREQ(f->request->scheme, "https");
    keys(&fx, "V", NULL);
    ASSERT_EQ(f->request->content.len, 3);
    ASSERT_STREQ(f->request->host, "example.com");
    ASSERT(f->response == NULL);
    /* An editor that cannot start is a message, not a change. */
    setenv("EDITOR", "/nonexistent/editor", 1);
    keys(&fx, "e", "a", NULL);
    ASSERT(screen_has(&fx, "Can't start editor"));
    ASSERT_EQ(f->request->content.len, 3);
    flow_unref(f);
    teardown(&fx);
}

TEST(console_edit_query_path_form)
{
    struct fixture fx;
    setup(&fx);
    struct flow *f = open_flow(&fx, "/a%20b/c?x=1&y=two+words", NULL);
    /* query (6): x and y; d deletes x. */
    keys(&fx, "e", "6", NULL);
    ASSERT(screen_has(&fx, "Edit Query"));
    ASSERT(screen_has(&fx, "y                       two words"));
    keys(&fx, "d", "q", NULL);
    ASSERT_STREQ(f->request->path, "/a%20b/c?y=two+words");
    /* path components (4): unquoted in the grid, quoted back. */
    keys(&fx, "e", "4", NULL);
    ASSERT(screen_has(&fx, "Edit Path Components"));
    ASSERT(screen_has(&fx, "a b"));
    keys(&fx, "G", "a", NULL);
    type(&fx, "d/e");
    keys(&fx, "esc", "q", NULL);
    ASSERT_STREQ(f->request->path, "/a%20b/c/d%2Fe?y=two+words");
    /* urlencoded form (2): a form body and its Content-Type. */
    keys(&fx, "e", "2", NULL);
    ASSERT(screen_has(&fx, "Edit UrlEncoded Form"));
    keys(&fx, "a", NULL);
    type(&fx, "k");
    keys(&fx, "tab", NULL);
    type(&fx, "v w");
    keys(&fx, "enter", "q", NULL);
    ASSERT_EQ(f->request->content.len, 5);
    ASSERT(memcmp(buf_ptr(&f->request->content), "k=v+w", 5) == 0);
    ASSERT_STREQ(header(f, "Content-Type"), "application/x-www-form-urlencoded");
    ASSERT_STREQ(header(f, "Content-Length"), "5");
    /* cookies (1) */
    keys(&fx, "e", "1", "a", NULL);
    type(&fx, "sid");
    keys(&fx, "tab", NULL);
    type(&fx, "42");
    keys(&fx, "esc", "q", NULL);
    ASSERT_STREQ(header(f, "cookie"), "sid=42");
    /* method (5) goes to the prompt with flow.set. */
    keys(&fx, "e", "5", NULL);
    console__layout(fx.c, 24, 100);
    /* the parameter still to come is a hint after the cursor */
    ASSERT_STREQ(console__line_text(&fx.c->scr.lines[23]), ": flow.set @focus method value ");
    type(&fx, "put");
    keys(&fx, "enter", NULL);
    ASSERT_STREQ(f->request->method, "PUT");
    flow_unref(f);
    teardown(&fx);
}

TEST(console_edit_set_cookie_attributes)
{
    struct fixture fx;
    setup(&fx);
    struct flow *f = open_flow(&fx, "/", "a=b; Path=/; HttpOnly");
    keys(&fx, "e", "d", NULL);
    ASSERT(screen_has(&fx, "Edit SetCookie Header"));
    ASSERT(screen_has(&fx, "Path=/; HttpOnly"));
    /* r and e do not apply to the attributes column; enter opens its grid. */
    keys(&fx, "right", "right", "e", NULL);
    ASSERT(screen_has(&fx, "Press enter to edit this field."));
    keys(&fx, "enter", NULL);
    ASSERT(screen_has(&fx, "Editing Set-Cookie attributes"));
    ASSERT(screen_has(&fx, "HttpOnly"));
    /* d drops Path; q goes back to the cookie, q again writes the header. */
    keys(&fx, "d", "q", NULL);
    ASSERT(screen_has(&fx, "Edit SetCookie Header"));
    keys(&fx, "q", NULL);
    const struct hdr *h = hdrs_get(&f->response->headers, "Set-Cookie");
    ASSERT(h != NULL);
    ASSERT_STREQ(h->value, "a=b; HttpOnly");
    ASSERT_EQ(fx.c->stack[fx.c->depth - 1], VIEW_FLOWVIEW);
    flow_unref(f);
    teardown(&fx);
}

/* v: the body in $PAGER (here a script that copies the file it is given). */
TEST(console_edit_bodyview)
{
    struct fixture fx;
    setup(&fx);
    struct flow *f = open_flow(&fx, "/p", "a=b");
    hdrs_add_cstr(&f->response->headers, "Content-Type", "application/json; charset=utf-8");
    buf_append_str(&f->response->content, "{\"a\": 1}");
    char out[] = "/tmp/mp-viewed-XXXXXX";
    int fd = mkstemp(out);
    ASSERT(fd >= 0);
    close(fd);
    editor_writes(&fx, "unused");
    FILE *fp = fopen(fx.editor, "w");
    fprintf(fp, "#!/bin/sh\ncase \"$1\" in *.json) cp \"$1\" %s;; esac\n", out);
    fclose(fp);
    setenv("PAGER", fx.editor, 1);
    unsetenv("EDITOR");
    keys(&fx, "v", NULL);
    ASSERT(screen_has(&fx, "View Part"));
    keys(&fx, "2", NULL);
    char got[64] = "";
    fp = fopen(out, "r");
    ASSERT(fp != NULL);
    ASSERT(fgets(got, sizeof(got), fp) != NULL);
    fclose(fp);
    ASSERT_STREQ(got, "{\"a\": 1}");
    unlink(out);
    unsetenv("PAGER");
    flow_unref(f);
    teardown(&fx);
}
