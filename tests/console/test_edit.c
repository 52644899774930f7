/*
 * edit.c through the keys a user presses: e in the flow view, a part from
 * the chooser, the grid editor or $EDITOR (a small script that rewrites
 * the file), q to write the grid back; the flow changes, is backed up
 * first, and V reverts it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/test.h"
#include "commands/commands.h"
#include "console/internal.h"
#include "http/headers.h"
#include "http/message.h"
#include "master/master.h"
#include "store/store.h"
#include "tcon.h"

struct fixture {
    struct tcon t;
    char editor[64]; /* the $EDITOR script, once written */
};

static void
setup(struct fixture *fx)
{
    tcon_start(&fx->t, NULL);
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
    tcon_stop(&fx->t);
}

static int
screen_has(struct fixture *fx, const char *text)
{
    return tcon_screen_has(fx->t.c, 24, 100, text);
}

/* A flow in the store (one reference kept for the test), its view open. */
static struct flow *
open_flow(struct fixture *fx, const char *path, const char *set_cookie)
{
    struct flow *f = tcon_flow("POST", path, set_cookie ? 200 : 0);
    hdrs_add_cstr(&f->request->headers, "Host", "example.com");
    hdrs_add_cstr(&f->request->headers, "Content-Length", "3");
    buf_append_str(&f->request->content, "abc");
    f->request->timestamp_start = 1796500718.5;
    if (set_cookie) {
        http_set_str(&f->response->reason, "OK");
        hdrs_add_cstr(&f->response->headers, "Set-Cookie", set_cookie);
    }
    store_add(fx->t.s, f);
    tcon_keys(fx->t.c, "enter", NULL);
    ASSERT_EQ(fx->t.c->stack[fx->t.c->depth - 1], VIEW_FLOWVIEW);
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
    tcon_keys(fx.t.c, "e", NULL);
    ASSERT(screen_has(&fx, " Part "));
    ASSERT(screen_has(&fx, "8) request-headers"));
    tcon_keys(fx.t.c, "8", NULL);
    ASSERT(screen_has(&fx, "Edit Request Headers"));
    ASSERT(screen_has(&fx, "Key                     Value"));
    ASSERT(screen_has(&fx, "Host                    example.com"));
    /* a adds a row and types it; tab to the value; esc ends typing. */
    tcon_keys(fx.t.c, "a", NULL);
    tcon_type(fx.t.c, "X-Edited");
    tcon_keys(fx.t.c, "tab", NULL);
    tcon_type(fx.t.c, "yes please");
    tcon_keys(fx.t.c, "esc", NULL);
    ASSERT(screen_has(&fx, "X-Edited                yes please"));
    /* ? shows the grid editor's keys. */
    tcon_keys(fx.t.c, "?", NULL);
    ASSERT(screen_has(&fx, "Add a row after cursor"));
    tcon_keys(fx.t.c, "q", NULL);
    /* q writes the rows back into the flow and shows the flow again. */
    tcon_keys(fx.t.c, "q", NULL);
    ASSERT_EQ(fx.t.c->stack[fx.t.c->depth - 1], VIEW_FLOWVIEW);
    ASSERT_STREQ(header(f, "X-Edited"), "yes please");
    ASSERT(flow_modified(f));
    struct store_info in;
    ASSERT_EQ(store_info(fx.t.s, f->id, &in), 0);
    ASSERT(in.modified);
    ASSERT(screen_has(&fx, "X-Edited:"));
    /* d on the Host row, then V: the backup comes back. */
    tcon_keys(fx.t.c, "e", "8", "d", "q", NULL);
    ASSERT(header(f, "Host") == NULL);
    tcon_keys(fx.t.c, "V", NULL);
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
    tcon_keys(fx.t.c, "e", "a", NULL);
    ASSERT_EQ(f->request->content.len, 12);
    ASSERT(memcmp(buf_ptr(&f->request->content), "edited body\n", 12) == 0);
    ASSERT_STREQ(header(f, "Content-Length"), "12");
    /* console_strip_trailing_newlines strips what editors add. */
    struct err e = {0};
    const char *set[] = {"console_strip_trailing_newlines=true"};
    ASSERT_EQ(master_set(fx.t.m, set, 1, &e), 0);
    tcon_keys(fx.t.c, "e", "a", NULL);
    ASSERT_EQ(f->request->content.len, 11);
    ASSERT_STREQ(header(f, "Content-Length"), "11");
    /* A response part of a flow without a response edits a new 200. */
    tcon_keys(fx.t.c, "e", "b", NULL);
    ASSERT(f->response != NULL);
    ASSERT_EQ(f->response->status_code, 200);
    ASSERT_EQ(f->response->content.len, 11);
    /* The URL goes to the editor too, and through flow.set. */
    editor_writes(&fx, "https://other.example:8443/new?q=1\n");
    tcon_keys(fx.t.c, "e", "e", NULL);
    ASSERT_STREQ(f->request->host, "other.example");
    ASSERT_EQ(f->request->port, 8443);
    ASSERT_STREQ(f->request->path, "/new?q=1");
    ASSERT_STREQ(f->request->scheme, "https");
    tcon_keys(fx.t.c, "V", NULL);
    ASSERT_EQ(f->request->content.len, 3);
    ASSERT_STREQ(f->request->host, "example.com");
    ASSERT(f->response == NULL);
    /* An editor that cannot start is a message, not a change. */
    setenv("EDITOR", "/nonexistent/editor", 1);
    tcon_keys(fx.t.c, "e", "a", NULL);
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
    tcon_keys(fx.t.c, "e", "6", NULL);
    ASSERT(screen_has(&fx, "Edit Query"));
    ASSERT(screen_has(&fx, "y                       two words"));
    tcon_keys(fx.t.c, "d", "q", NULL);
    ASSERT_STREQ(f->request->path, "/a%20b/c?y=two+words");
    /* path components (4): unquoted in the grid, quoted back. */
    tcon_keys(fx.t.c, "e", "4", NULL);
    ASSERT(screen_has(&fx, "Edit Path Components"));
    ASSERT(screen_has(&fx, "a b"));
    tcon_keys(fx.t.c, "G", "a", NULL);
    tcon_type(fx.t.c, "d/e");
    tcon_keys(fx.t.c, "esc", "q", NULL);
    ASSERT_STREQ(f->request->path, "/a%20b/c/d%2Fe?y=two+words");
    /* urlencoded form (2): a form body and its Content-Type. */
    tcon_keys(fx.t.c, "e", "2", NULL);
    ASSERT(screen_has(&fx, "Edit UrlEncoded Form"));
    tcon_keys(fx.t.c, "a", NULL);
    tcon_type(fx.t.c, "k");
    tcon_keys(fx.t.c, "tab", NULL);
    tcon_type(fx.t.c, "v w");
    tcon_keys(fx.t.c, "enter", "q", NULL);
    ASSERT_EQ(f->request->content.len, 5);
    ASSERT(memcmp(buf_ptr(&f->request->content), "k=v+w", 5) == 0);
    ASSERT_STREQ(header(f, "Content-Type"), "application/x-www-form-urlencoded");
    ASSERT_STREQ(header(f, "Content-Length"), "5");
    /* cookies (1) */
    tcon_keys(fx.t.c, "e", "1", "a", NULL);
    tcon_type(fx.t.c, "sid");
    tcon_keys(fx.t.c, "tab", NULL);
    tcon_type(fx.t.c, "42");
    tcon_keys(fx.t.c, "esc", "q", NULL);
    ASSERT_STREQ(header(f, "cookie"), "sid=42");
    /* method (5) goes to the prompt with flow.set. */
    tcon_keys(fx.t.c, "e", "5", NULL);
    console__layout(fx.t.c, 24, 100);
    /* the parameter still to come is a hint after the cursor */
    ASSERT_STREQ(console__line_text(&fx.t.c->scr.lines[23]), ": flow.set @focus method value ");
    tcon_type(fx.t.c, "put");
    tcon_keys(fx.t.c, "enter", NULL);
    ASSERT_STREQ(f->request->method, "PUT");
    flow_unref(f);
    teardown(&fx);
}

TEST(console_edit_set_cookie_attributes)
{
    struct fixture fx;
    setup(&fx);
    struct flow *f = open_flow(&fx, "/", "a=b; Path=/; HttpOnly");
    tcon_keys(fx.t.c, "e", "d", NULL);
    ASSERT(screen_has(&fx, "Edit SetCookie Header"));
    ASSERT(screen_has(&fx, "Path=/; HttpOnly"));
    /* r and e do not apply to the attributes column; enter opens its grid. */
    tcon_keys(fx.t.c, "right", "right", "e", NULL);
    ASSERT(screen_has(&fx, "Press enter to edit this field."));
    tcon_keys(fx.t.c, "enter", NULL);
    ASSERT(screen_has(&fx, "Editing Set-Cookie attributes"));
    ASSERT(screen_has(&fx, "HttpOnly"));
    /* d drops Path; q goes back to the cookie, q again writes the header. */
    tcon_keys(fx.t.c, "d", "q", NULL);
    ASSERT(screen_has(&fx, "Edit SetCookie Header"));
    tcon_keys(fx.t.c, "q", NULL);
    const struct hdr *h = hdrs_get(&f->response->headers, "Set-Cookie");
    ASSERT(h != NULL);
    ASSERT_STREQ(h->value, "a=b; HttpOnly");
    ASSERT_EQ(fx.t.c->stack[fx.t.c->depth - 1], VIEW_FLOWVIEW);
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
    tcon_keys(fx.t.c, "v", NULL);
    ASSERT(screen_has(&fx, "View Part"));
    tcon_keys(fx.t.c, "2", NULL);
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
