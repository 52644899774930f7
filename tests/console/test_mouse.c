/*
 * mouse.c without a terminal: mouse events as term.c names them, pressed
 * like keys on a screen the layout computed.
 */
#include <stdio.h>
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "http/message.h"
#include "store/store.h"
#include "tcon.h"
#include "util/log.h"

static void
add(struct tcon *fx, const char *path)
{
    struct flow *f = tcon_flow("GET", path, 0);
    f->request->timestamp_start = 1796500718.5;
    store_add(fx->s, f);
    flow_unref(f);
}

static void
click(struct console *c, int button, int col, int row)
{
    char key[64];
    snprintf(key, sizeof(key), "mouse press %d %d %d", button, col, row);
    console__press(c, key);
}

TEST(console_mouse_parse)
{
    int b, x, y;
    ASSERT(console__mouse_parse("mouse press 1 10 20", &b, &x, &y));
    ASSERT_EQ(b, 1);
    ASSERT_EQ(x, 10);
    ASSERT_EQ(y, 20);
    ASSERT(!console__mouse_parse("mouse press 1 10", &b, &x, &y));
    ASSERT(!console__mouse_parse("mouse press 1 10 20 30", &b, &x, &y));
    ASSERT(!console__mouse_parse("mouse release 1 10 20", &b, &x, &y));
    ASSERT(!console__mouse_parse("m", &b, &x, &y));
}

TEST(console_mouse_list_tabs_wheel)
{
    struct tcon fx;
    tcon_start(&fx, NULL);
    add(&fx, "/one");
    add(&fx, "/two");
    add(&fx, "/three");
    console__layout(fx.c, 12, 120);
    /* The wheel is down and up in the list. */
    click(fx.c, 5, 3, 1);
    ASSERT_EQ(store_focus_index(fx.s), 1);
    click(fx.c, 4, 3, 1);
    ASSERT_EQ(store_focus_index(fx.s), 0);
    /* A click on the title or the status bar does nothing. */
    click(fx.c, 1, 3, 0);
    click(fx.c, 1, 3, 10);
    ASSERT_EQ(console__context(fx.c), CTX_FLOWLIST);
    /* A click on the third row focuses that flow and opens it. */
    click(fx.c, 1, 30, 3);
    ASSERT_EQ(store_focus_index(fx.s), 2);
    ASSERT_EQ(console__context(fx.c), CTX_FLOWVIEW);
    console__layout(fx.c, 12, 120);
    ASSERT(strstr(tcon_line(fx.c, 1), "/three") != NULL);
    /* Row 3 holds the tabs, 40 columns each: Response, then Detail. */
    ASSERT(strstr(tcon_line(fx.c, 3), "Response") != NULL);
    click(fx.c, 1, 60, 3);
    ASSERT_EQ(fx.c->fv.tab, FV_RESPONSE);
    click(fx.c, 1, 119, 3);
    ASSERT_EQ(fx.c->fv.tab, FV_DETAIL);
    click(fx.c, 1, 0, 3);
    ASSERT_EQ(fx.c->fv.tab, FV_REQUEST);
    /* With the prompt open the mouse does nothing. */
    tcon_keys(fx.c, ":", NULL);
    click(fx.c, 1, 60, 3);
    ASSERT_EQ(fx.c->fv.tab, FV_REQUEST);
    tcon_keys(fx.c, "esc", NULL);
    /* Far off the screen, or a button of no use: nothing. */
    click(fx.c, 1, 100000, -5);
    click(fx.c, 2, 60, 3);
    click(fx.c, 3, 60, 3);
    ASSERT_EQ(fx.c->fv.tab, FV_REQUEST);
    tcon_stop(&fx);
}

TEST(console_mouse_panes)
{
    struct tcon fx;
    tcon_start(&fx, "console_layout=horizontal", NULL);
    add(&fx, "/one");
    add(&fx, "/two");
    console__layout(fx.c, 12, 120);
    ASSERT_EQ(fx.c->pane, 0);
    /* A click in the event log's pane (columns 61 on) focuses it. */
    click(fx.c, 1, 80, 4);
    ASSERT_EQ(fx.c->pane, 1);
    ASSERT_EQ(console__context(fx.c), CTX_EVENTLOG);
    /* The divider belongs to no pane. */
    click(fx.c, 1, 60, 4);
    ASSERT_EQ(fx.c->pane, 1);
    /* A click on the list's second flow (two rows each at 60 columns)
     * focuses the list's pane and opens that flow there. */
    console__layout(fx.c, 12, 120);
    click(fx.c, 1, 10, 3);
    ASSERT_EQ(fx.c->pane, 0);
    ASSERT_EQ(store_focus_index(fx.s), 1);
    ASSERT_EQ(console__context(fx.c), CTX_FLOWVIEW);
    tcon_stop(&fx);
}

TEST(console_mouse_browsers)
{
    struct tcon fx;
    tcon_start(&fx, NULL);
    /* The options list: a click on its third row focuses that option;
     * the help pane under the list and the title take no clicks. */
    tcon_keys(fx.c, "O", NULL);
    ASSERT_EQ(console__context(fx.c), CTX_OPTIONS);
    console__layout(fx.c, 20, 120);
    click(fx.c, 1, 5, 3);
    ASSERT_EQ(fx.c->browse[0].focus, 2);
    console__layout(fx.c, 20, 120);
    const struct opt_info *o = console__focused_option(fx.c);
    ASSERT(o != NULL);
    ASSERT(strstr(tcon_line(fx.c, 3), o->name) != NULL);
    click(fx.c, 1, 5, 0);
    click(fx.c, 1, 5, 17);
    ASSERT_EQ(fx.c->browse[0].focus, 2);
    /* Scrolled down, a row counts from the first row shown. */
    tcon_keys(fx.c, "page down", "page down", NULL);
    console__layout(fx.c, 20, 120);
    long top = fx.c->browse[0].top;
    ASSERT(top > 0);
    click(fx.c, 1, 5, 1);
    ASSERT_EQ(fx.c->browse[0].focus, top);
    tcon_keys(fx.c, "q", NULL);

    /* The command list: the clicked row gets the ">>" marker. */
    tcon_keys(fx.c, "C", NULL);
    console__layout(fx.c, 20, 120);
    click(fx.c, 1, 40, 5);
    ASSERT_EQ(fx.c->browse[1].focus, 4);
    console__layout(fx.c, 20, 120);
    ASSERT(strncmp(tcon_line(fx.c, 5), ">> ", 3) == 0);
    tcon_keys(fx.c, "q", NULL);

    /* Key bindings take a row per context: a click on any row of one
     * focuses it. */
    tcon_keys(fx.c, "K", NULL);
    console__layout(fx.c, 20, 120);
    const struct binding **v;
    size_t n = console__keymap_list(&fx.c->keymap, CTX__COUNT, &v);
    int r = 0, multi = -1, row_of_next = -1;
    for (size_t i = 0; i < n && r < 12; i++) {
        int k = __builtin_popcount(v[i]->contexts);
        if (k > 1 && multi < 0) {
            multi = (int)i;
            row_of_next = r + k;
            click(fx.c, 1, 2, 1 + r + k - 1); /* its last row */
        }
        r += k;
    }
    free(v);
    ASSERT(multi >= 0);
    ASSERT_EQ(fx.c->browse[2].focus, multi);
    click(fx.c, 1, 2, 1 + row_of_next);
    ASSERT_EQ(fx.c->browse[2].focus, multi + 1);
    console__layout(fx.c, 20, 120);
    if (strncmp(tcon_line(fx.c, 1 + row_of_next), ">>", 2) != 0)
        tcon_dump(fx.c);
    ASSERT(strncmp(tcon_line(fx.c, 1 + row_of_next), ">>", 2) == 0);
    tcon_keys(fx.c, "q", NULL);

    /* The event log's lines take no focus: a click changes nothing. */
    tcon_keys(fx.c, "E", NULL);
    ASSERT_EQ(console__context(fx.c), CTX_EVENTLOG);
    console__layout(fx.c, 20, 120);
    click(fx.c, 1, 5, 3);
    ASSERT_EQ(console__context(fx.c), CTX_EVENTLOG);
    tcon_stop(&fx);
}
