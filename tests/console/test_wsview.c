/*
 * The WebSocket Messages tab of the flow view (flowview.c) and editing a
 * held message (edit.c's websocket-message), without a terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/test.h"
#include "commands/commands.h"
#include "console/internal.h"
#include "flow/flow.h"
#include "http/message.h"
#include "http/ws.h"
#include "master/master.h"
#include "store/store.h"
#include "tcon.h"

static struct flow *
ws_flow(void)
{
    struct flow *f = tcon_flow("GET", "/chat", 101);
    http_set_str(&f->response->reason, "Switching Protocols");
    flow_ws_add_message(f, WS_TEXT, 0, "welcome", 7);
    flow_ws_add_message(f, WS_BINARY, 1, "\x00\x01", 2);
    flow_ws_add_message(f, WS_TEXT, 1, "line1\nline2", 11);
    return f;
}

static int
row_of(struct tcon *fx, const char *text)
{
    return tcon_row_at(fx->c, 24, 120, text);
}

TEST(console_wsview_tab_and_edit)
{
    struct tcon fx;
    tcon_start(&fx, NULL);
    struct flow *f = ws_flow();
    store_add(fx.s, f);
    tcon_keys(fx.c, "enter", NULL);
    console__layout(fx.c, 24, 120);
    int tabs[FV__COUNT];
    ASSERT_EQ(console__flowview_tabs(f, tabs), 4);
    ASSERT_EQ(tabs[2], FV_WEBSOCKET);
    ASSERT(row_of(&fx, "WebSocket Messages") == 3);
    /* Tab: Response, then the messages. */
    tcon_keys(fx.c, "tab", "tab", NULL);
    ASSERT_EQ(fx.c->fv.tab, FV_WEBSOCKET);
    /* 8.1.1's status bar first, then each message through the mode's
     * content view: Auto shows text as Raw, binary as Hex. */
    int r = row_of(&fx, "\xe2\x87\x90 welcome");
    ASSERT(r == 5);
    ASSERT(strncmp(tcon_line(fx.c, 4), "Auto ", 5) == 0);
    ASSERT(strstr(tcon_line(fx.c, 4), "[m:auto]") != NULL);
    ASSERT(fx.c->scr.lines[4].spans[0].style == ST_HEADING);
    ASSERT_STREQ(tcon_line(fx.c, 6), "\xe2\x87\x92 0000000000 00 01"
                                     "                                             ..");
    ASSERT_STREQ(tcon_line(fx.c, 7), "\xe2\x87\x92 line1");
    ASSERT_STREQ(tcon_line(fx.c, 8), "\xe2\x87\x92 line2");
    ASSERT(fx.c->scr.lines[5].spans[0].style == ST_TO_CLIENT);
    ASSERT(fx.c->scr.lines[6].spans[0].style == ST_FROM_CLIENT);
    /* The close, and the held message's line in the intercept colour. */
    struct websocket_data *d = flow_ws_data(f);
    d->closed_by_client = 1;
    d->close_code = 1000;
    d->close_reason = strdup("done");
    store_update(fx.s, f);
    ASSERT(row_of(&fx, "\xe2\x87\x92 Connection closed: 1000 done") == 9);
    ASSERT(fx.c->scr.lines[9].spans[1].style == ST_ALERT);
    free(d->close_reason);
    d->close_reason = NULL;
    d->closed_by_client = -1;
    d->close_code = -1;
    f->intercepted = 1;
    store_update(fx.s, f);
    ASSERT(row_of(&fx, "Response intercepted") == 3);
    ASSERT(row_of(&fx, "Connection closed") < 0);
    for (size_t k = 0; k < fx.c->scr.lines[8].nspans; k++)
        ASSERT(fx.c->scr.lines[8].spans[k].style == ST_INTERCEPT);
    ASSERT(fx.c->scr.lines[7].spans[0].style == ST_FROM_CLIENT);
    /* e offers the held message; $EDITOR's text replaces it. */
    struct cmds_value ret = {0};
    struct err e = {0};
    ASSERT_EQ(cmds_execute(master_commands(fx.m), "console.edit.focus.options", &ret, &e), 0);
    ASSERT_STREQ(ret.strs.v[ret.strs.n - 1], "websocket-message");
    cmds_value_clear(&ret);
    char editor[] = "/tmp/mp-wseditor-XXXXXX";
    int fd = mkstemp(editor);
    ASSERT(fd >= 0);
    ASSERT(write(fd, "#!/bin/sh\nprintf 'edited\\n' >\"$1\"\n", 34) == 34);
    close(fd);
    chmod(editor, 0700);
    setenv("EDITOR", editor, 1);
    unsetenv("MITMPROXY_EDITOR");
    ASSERT_EQ(cmds_execute(master_commands(fx.m), "console.edit.focus websocket-message", NULL, &e),
              0);
    ASSERT_MEMEQ(buf_ptr(&d->messages[2].content), d->messages[2].content.len, "edited", 6);
    ASSERT(row_of(&fx, "\xe2\x87\x92 edited") == 7);
    /* Tab goes on to Detail and back round to Request. */
    tcon_keys(fx.c, "tab", NULL);
    ASSERT_EQ(fx.c->fv.tab, FV_DETAIL);
    tcon_keys(fx.c, "tab", NULL);
    ASSERT_EQ(fx.c->fv.tab, FV_REQUEST);
    tcon_keys(fx.c, "left", NULL);
    ASSERT_EQ(fx.c->fv.tab, FV_DETAIL);
    unlink(editor);
    flow_unref(f);
    tcon_stop(&fx);
}

TEST(console_wsview_plain_http_has_no_tab)
{
    struct tcon fx;
    tcon_start(&fx, NULL);
    struct flow *f = ws_flow();
    struct websocket_data *d = f->websocket;
    f->websocket = NULL;
    int tabs[FV__COUNT];
    ASSERT_EQ(console__flowview_tabs(f, tabs), 3);
    ASSERT_EQ(tabs[2], FV_DETAIL);
    ASSERT_EQ(console__flowview_tabs(NULL, tabs), 3);
    f->websocket = d;
    /* A WebSocket with no message yet: the tab says so; nothing to edit. */
    for (size_t i = 0; i < d->nmessages; i++)
        buf_clear(&d->messages[i].content);
    d->nmessages = 0;
    store_add(fx.s, f);
    tcon_keys(fx.c, "enter", "tab", "tab", NULL);
    ASSERT(row_of(&fx, "No messages.") == 4);
    struct err e = {0};
    ASSERT(cmds_execute(master_commands(fx.m), "console.edit.focus websocket-message", NULL, &e) <
           0);
    /* Not offered, so not a choice (the part's own check is behind it). */
    ASSERT_STREQ(e.msg, "Invalid choice.");
    flow_unref(f);
    tcon_stop(&fx);
}
