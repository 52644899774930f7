/*
 * keymap.c: 8.1.1's default bindings per context, the context-then-global
 * look-up of keymap.handle, rebinding as keymap.add does, and keymap.list's
 * order (what the help screen shows).
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"

static const char *
cmd(const struct keymap *km, enum console_ctx ctx, const char *key)
{
    const struct binding *b = console__keymap_lookup(km, ctx, key);
    return b ? b->command : NULL;
}

TEST(console_keymap_defaults)
{
    struct keymap km;
    console__keymap_defaults(&km);
    /* The flow list's keys of the brief, as defaultkeys.py binds them. */
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "j"), "console.nav.down");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "k"), "console.nav.up");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "g"), "console.nav.start");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "G"), "console.nav.end");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "enter"), "console.nav.select");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "f"), "console.command.set view_filter");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "o"),
                 "console.choose.cmd Order view.order.options set view_order {choice}");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "v"), "set view_order_reversed toggle");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "m"), "flow.mark.toggle @focus");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "M"), "view.properties.marked.toggle");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "U"), "flow.mark @all false");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "d"), "view.flows.remove @focus");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "D"), "view.flows.duplicate @focus");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "z"), "view.flows.remove @all");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "r"), "replay.client @focus");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "A"), "flow.resume @all");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "a"), "flow.resume @focus");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "X"), "flow.kill @focus");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "i"), "console.command.set intercept");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "F"), "set console_focus_follow toggle");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "q"), "console.view.pop");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "Q"), "console.exit");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "?"), "console.view.help");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "E"), "console.view.eventlog");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, ":"), "console.command ");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "ctrl f"), "console.nav.pagedown");
    /* The same keys mean other things in the flow view. */
    ASSERT_STREQ(cmd(&km, CTX_FLOWVIEW, "space"), "view.focus.next");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "space"), "console.nav.pagedown");
    ASSERT_STREQ(cmd(&km, CTX_FLOWVIEW, "p"), "view.focus.prev");
    ASSERT_STREQ(cmd(&km, CTX_FLOWVIEW, "tab"), "console.nav.next");
    ASSERT_STREQ(cmd(&km, CTX_FLOWVIEW, "f"), "view.settings.setval.toggle @focus fullcontents");
    ASSERT(strncmp(cmd(&km, CTX_FLOWVIEW, "m"), "console.choose.cmd Mode ", 24) == 0);
    ASSERT(strncmp(cmd(&km, CTX_FLOWVIEW, "e"), "console.choose.cmd Part ", 24) == 0);
    ASSERT(strncmp(cmd(&km, CTX_FLOWLIST, "e"), "console.choose.cmd Format ", 26) == 0);
    ASSERT_STREQ(cmd(&km, CTX_HELP, "?"), "console.view.pop");
    ASSERT_STREQ(cmd(&km, CTX_EVENTLOG, "z"), "eventstore.clear");
    /* Keys of the flow list only are not in the flow view. */
    ASSERT(console__keymap_get(&km, CTX_FLOWVIEW, "X") == NULL);
    ASSERT(cmd(&km, CTX_FLOWVIEW, "X") == NULL);
    ASSERT(cmd(&km, CTX_FLOWLIST, "ctrl x") == NULL);
    console__keymap_clear(&km);
}

TEST(console_keymap_add_rebinds)
{
    struct keymap km;
    console__keymap_defaults(&km);
    size_t n = km.n;
    /* A new command for a key in one context leaves its other contexts alone. */
    console__keymap_add(&km, "d", "view.flows.remove @marked", 1u << CTX_FLOWLIST, "Delete marked");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "d"), "view.flows.remove @marked");
    ASSERT_STREQ(cmd(&km, CTX_FLOWVIEW, "d"), "view.flows.remove @focus");
    ASSERT_EQ(km.n, n + 1);
    /* The same key and command gains contexts; the help follows. */
    console__keymap_add(&km, "d", " view.flows.remove @marked ", 1u << CTX_EVENTLOG, "");
    ASSERT_STREQ(cmd(&km, CTX_EVENTLOG, "d"), "view.flows.remove @marked");
    ASSERT_EQ(km.n, n + 1);
    ASSERT_STREQ(console__keymap_get(&km, CTX_EVENTLOG, "d")->help, "Delete marked");
    /* Rebinding a key everywhere it was drops the old binding. */
    console__keymap_add(&km, "X", "flow.kill @marked", 1u << CTX_FLOWLIST, "Kill marked");
    ASSERT_STREQ(cmd(&km, CTX_FLOWLIST, "X"), "flow.kill @marked");
    ASSERT_EQ(km.n, n + 1);
    console__keymap_clear(&km);
    ASSERT_EQ(console__ctx_find("flowview"), CTX_FLOWVIEW);
    ASSERT_EQ(console__ctx_find("nope"), -1);
    ASSERT_STREQ(console__ctx_name(CTX_GRIDEDITOR), "grideditor");
}

TEST(console_keymap_list_order)
{
    struct keymap km;
    console__keymap_defaults(&km);
    const struct binding **v;
    size_t n = console__keymap_list(&km, CTX_COMMONKEY, &v);
    /* 8.1.1's help: ":", "E", "O", "enter", "q", "tab". */
    static const char *const want[] = {":", "E", "O", "enter", "q", "tab"};
    ASSERT_EQ(n, 6);
    for (size_t i = 0; i < n; i++)
        ASSERT_STREQ(v[i]->key, want[i]);
    free(v);
    n = console__keymap_list(&km, CTX_FLOWLIST, &v);
    /* Single keys first, "ctrl l" last. */
    ASSERT_STREQ(v[0]->key, ";");
    ASSERT_STREQ(v[n - 1]->key, "ctrl l");
    free(v);
    console__keymap_clear(&km);
}
