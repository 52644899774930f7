/*
 * panes.c without a terminal: the geometry of 8.1.1's three layouts as
 * urwid shares rows and columns, `-` cycling them, shift tab moving the
 * focus between the two stacks, and the screen a split layout draws.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "http/headers.h"
#include "http/message.h"
#include "store/store.h"
#include "tcon.h"
#include "util/log.h"

TEST(console_panes_geometry)
{
    struct pane_rect r[2];
    ASSERT_EQ(console__panes_geometry("single", 48, 200, r), 1);
    ASSERT_EQ(r[0].row, 0);
    ASSERT_EQ(r[0].rows, 48);
    ASSERT_EQ(r[0].cols, 200);
    /* Pile: int(48 / 2 + 0.5) rows, then the rest; an odd count gives the
     * first pane the extra row, as urwid rounds. */
    ASSERT_EQ(console__panes_geometry("vertical", 48, 200, r), 2);
    ASSERT_EQ(r[0].rows, 24);
    ASSERT_EQ(r[1].row, 24);
    ASSERT_EQ(r[1].rows, 24);
    ASSERT_EQ(r[1].cols, 200);
    console__panes_geometry("vertical", 47, 80, r);
    ASSERT_EQ(r[0].rows, 24);
    ASSERT_EQ(r[1].rows, 23);
    /* Columns with one divider: 200 columns are 100 + 1 + 99. */
    ASSERT_EQ(console__panes_geometry("horizontal", 48, 200, r), 2);
    ASSERT_EQ(r[0].col, 0);
    ASSERT_EQ(r[0].cols, 100);
    ASSERT_EQ(r[1].col, 101);
    ASSERT_EQ(r[1].cols, 99);
    ASSERT_EQ(r[1].rows, 48);
    console__panes_geometry("horizontal", 10, 81, r);
    ASSERT_EQ(r[0].cols, 40);
    ASSERT_EQ(r[1].cols, 40);
    /* Too narrow to split, an unknown name, none: one pane. */
    ASSERT_EQ(console__panes_geometry("horizontal", 10, 2, r), 1);
    ASSERT_EQ(console__panes_geometry("diagonal", 10, 80, r), 1);
    ASSERT_EQ(console__panes_geometry(NULL, 10, 80, r), 1);
    ASSERT_EQ(console__panes_geometry("vertical", -1, -1, r), 2);
    ASSERT_EQ(r[0].rows + r[1].rows, 0);
}

static struct flow *
get_flow(const char *path)
{
    struct flow *f = tcon_flow("GET", path, 0);
    f->request->timestamp_start = 1796500718.5;
    return f;
}

static int
starts(struct tcon *fx, int i, const char *prefix)
{
    return strncmp(tcon_line(fx->c, i), prefix, strlen(prefix)) == 0;
}

static const char *
opt(struct tcon *fx)
{
    return console__opt_str(fx->c, "console_layout", "?");
}

TEST(console_panes_cycle_and_switch)
{
    struct tcon fx;
    setenv("TZ", "UTC", 1);
    tzset();
    tcon_start(&fx, NULL);
    struct flow *f = get_flow("/left");
    store_add(fx.s, f);
    flow_unref(f);
    log_msg(LOG_WARN, "a line for the second pane");
    ASSERT_STREQ(opt(&fx), "single");
    /* consoleaddons.py's cycle: the sorted choices, from the current one. */
    tcon_keys(fx.c, "-", NULL);
    ASSERT_STREQ(opt(&fx), "vertical");
    console__layout(fx.c, 12, 120);
    /* Rows 0-4 the flow list (focused), 5-9 the event log; then the bars. */
    ASSERT(starts(&fx, 0, "Flows"));
    ASSERT(strstr(tcon_line(fx.c, 1), "/left") != NULL);
    ASSERT(starts(&fx, 5, "Events"));
    ASSERT(starts(&fx, 6, "warn: a line for the second pane"));
    ASSERT(fx.c->scr.lines[0].spans[0].style == ST_HEADING);
    ASSERT(fx.c->scr.lines[5].spans[0].style == ST_HEADING_INACTIVE);
    /* shift tab: the event log's pane has the focus and the keys; z clears it. */
    tcon_keys(fx.c, "shift tab", NULL);
    console__layout(fx.c, 12, 120);
    ASSERT(fx.c->scr.lines[0].spans[0].style == ST_HEADING_INACTIVE);
    ASSERT(fx.c->scr.lines[5].spans[0].style == ST_HEADING);
    ASSERT_EQ(console__context(fx.c), CTX_EVENTLOG);
    tcon_keys(fx.c, "z", NULL);
    console__layout(fx.c, 12, 120);
    ASSERT(strstr(tcon_line(fx.c, 6), "second pane") == NULL);
    ASSERT(strstr(tcon_line(fx.c, 1), "/left") != NULL);
    /* The flow view opened from the second pane stays in it. */
    tcon_keys(fx.c, ":", NULL);
    tcon_type(fx.c, "console.view.flow @focus");
    tcon_keys(fx.c, "enter", NULL);
    console__layout(fx.c, 12, 120);
    ASSERT(starts(&fx, 0, "Flows"));
    ASSERT(starts(&fx, 5, "Flow Details"));
    /* Side by side: 60 + 1 + 59 columns, the flow list on the left. */
    tcon_keys(fx.c, "-", NULL);
    ASSERT_STREQ(opt(&fx), "horizontal");
    console__layout(fx.c, 12, 120);
    ASSERT(starts(&fx, 0, "Flows"));
    ASSERT_EQ(strncmp(tcon_line(fx.c, 0) + 60, " Flow Details", 13), 0);
    /* 60 columns: the two-line list layout, its path within the pane. */
    const char *l1 = tcon_line(fx.c, 1);
    const char *path = strstr(l1, "/left");
    ASSERT(path != NULL && path - l1 < 60);
    ASSERT(strstr(tcon_line(fx.c, 3), "Request") != NULL);
    /* q pops the focused pane's flow view: the event log again. */
    tcon_keys(fx.c, "q", NULL);
    console__layout(fx.c, 12, 120);
    ASSERT_EQ(strncmp(tcon_line(fx.c, 0) + 60, " Events", 7), 0);
    /* Back to single: the first pane, with the focus, as 8.1.1's refresh. */
    tcon_keys(fx.c, "-", NULL);
    ASSERT_STREQ(opt(&fx), "single");
    console__layout(fx.c, 12, 120);
    ASSERT_EQ(fx.c->pane, 0);
    ASSERT_EQ(console__context(fx.c), CTX_FLOWLIST);
    ASSERT(starts(&fx, 0, "Flows"));
    ASSERT(strstr(tcon_line(fx.c, 0), "Events") == NULL);
    /* shift tab does nothing with one pane. */
    tcon_keys(fx.c, "shift tab", NULL);
    ASSERT_EQ(fx.c->pane, 0);
    /* console.layout.options lists 8.1.1's choices. */
    struct cmds_value ret = {0};
    struct err e = {0};
    ASSERT_EQ(cmds_execute(master_commands(fx.m), "console.layout.options", &ret, &e), 0);
    ASSERT_EQ(ret.type, CMDS_STRS);
    ASSERT_EQ(ret.strs.n, 3);
    ASSERT_STREQ(ret.strs.v[0], "horizontal");
    ASSERT_STREQ(ret.strs.v[2], "vertical");
    cmds_value_clear(&ret);
    tcon_stop(&fx);
}

TEST(console_panes_no_headers_tiny)
{
    struct tcon fx;
    tcon_start(&fx, "console_layout=vertical", "console_layout_headers=false", NULL);
    log_msg(LOG_WARN, "one");
    console__layout(fx.c, 8, 40);
    /* Without titles the event log starts on the second pane's first row. */
    ASSERT(tcon_row_of(fx.c, "warn: one") >= 3);
    /* Sizes too small for anything still lay out. */
    for (int rows = 0; rows < 6; rows++)
        for (int cols = 0; cols < 6; cols++)
            console__layout(fx.c, rows, cols);
    tcon_keys(fx.c, "-", NULL);
    for (int rows = 0; rows < 6; rows++)
        for (int cols = 0; cols < 6; cols++)
            console__layout(fx.c, rows, cols);
    tcon_stop(&fx);
}
