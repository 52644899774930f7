/*
 * The key map (mitmproxy 8.1.1's tools/console/keymap.py and
 * defaultkeys.py): per context, a key names a command line that the
 * command registry runs. A key is looked up in the context of the view
 * shown, then in "global". The table below is 8.1.1's defaults, in its
 * order, with its help texts; its multi-line commands are one line here
 * (the command lexer reads newlines as white space).
 */
#include <stdlib.h>
#include <string.h>

#include "console/internal.h"
#include "util/xmalloc.h"

static const char *const ctx_names[] = {
#define X(id, name) name,
    CONSOLE_CTX_MAP(X)
#undef X
};

const char *
console__ctx_name(enum console_ctx c)
{
    return (unsigned)c < CTX__COUNT ? ctx_names[c] : "?";
}

int
console__ctx_find(const char *name)
{
    for (int i = 0; i < CTX__COUNT; i++)
        if (strcmp(ctx_names[i], name) == 0)
            return i;
    return -1;
}

#define C(x) (1u << CTX_##x)

static const struct {
    const char *key, *command;
    unsigned contexts;
    const char *help;
} defaults[] = {
    {":", "console.command ", C(COMMONKEY) | C(GLOBAL), "Command prompt"},
    {";", "console.command flow.comment @focus ''", C(FLOWLIST) | C(FLOWVIEW),
     "Add comment to flow"},
    {"?", "console.view.help", C(GLOBAL), "View help"},
    {"B", "browser.start", C(GLOBAL), "Start an attached browser"},
    {"C", "console.view.commands", C(GLOBAL), "View commands"},
    {"K", "console.view.keybindings", C(GLOBAL), "View key bindings"},
    {"O", "console.view.options", C(COMMONKEY) | C(GLOBAL), "View options"},
    {"E", "console.view.eventlog", C(COMMONKEY) | C(GLOBAL), "View event log"},
    {"Q", "console.exit", C(GLOBAL), "Exit immediately"},
    {"q", "console.view.pop", C(COMMONKEY) | C(GLOBAL), "Exit the current view"},
    {"-", "console.layout.cycle", C(GLOBAL), "Cycle to next layout"},
    {"shift tab", "console.panes.next", C(GLOBAL), "Focus next layout pane"},
    {"ctrl right", "console.panes.next", C(GLOBAL), "Focus next layout pane"},
    {"P", "console.view.flow @focus", C(GLOBAL), "View flow details"},
    {"?", "console.view.pop", C(HELP), "Exit help"},
    {"g", "console.nav.start", C(GLOBAL), "Go to start"},
    {"G", "console.nav.end", C(GLOBAL), "Go to end"},
    {"k", "console.nav.up", C(GLOBAL), "Up"},
    {"j", "console.nav.down", C(GLOBAL), "Down"},
    {"l", "console.nav.right", C(GLOBAL), "Right"},
    {"h", "console.nav.left", C(GLOBAL), "Left"},
    {"tab", "console.nav.next", C(COMMONKEY) | C(GLOBAL), "Next"},
    {"enter", "console.nav.select", C(COMMONKEY) | C(GLOBAL), "Select"},
    {"space", "console.nav.pagedown", C(GLOBAL), "Page down"},
    {"ctrl f", "console.nav.pagedown", C(GLOBAL), "Page down"},
    {"ctrl b", "console.nav.pageup", C(GLOBAL), "Page up"},
    {"I", "set intercept_active toggle", C(GLOBAL),
     "Toggle whether the filtering via the intercept option is enabled"},
    {"i", "console.command.set intercept", C(GLOBAL), "Set intercept"},
    {"W", "console.command.set save_stream_file", C(GLOBAL), "Stream to file"},
    {"A", "flow.resume @all", C(FLOWLIST) | C(FLOWVIEW), "Resume all intercepted flows"},
    {"a", "flow.resume @focus", C(FLOWLIST) | C(FLOWVIEW), "Resume this intercepted flow"},
    {"b", "console.command cut.save @focus response.content ", C(FLOWLIST) | C(FLOWVIEW),
     "Save response body to file"},
    {"d", "view.flows.remove @focus", C(FLOWLIST) | C(FLOWVIEW), "Delete flow from view"},
    {"D", "view.flows.duplicate @focus", C(FLOWLIST) | C(FLOWVIEW), "Duplicate flow"},
    {"e", "console.choose.cmd Format export.formats console.command export.file {choice} @focus",
     C(FLOWLIST) | C(FLOWVIEW), "Export this flow to file"},
    {"f", "console.command.set view_filter", C(FLOWLIST), "Set view filter"},
    {"F", "set console_focus_follow toggle", C(FLOWLIST), "Set focus follow"},
    {"ctrl l", "console.command cut.clip ", C(FLOWLIST) | C(FLOWVIEW), "Send cuts to clipboard"},
    {"L", "console.command view.flows.load ", C(FLOWLIST), "Load flows from file"},
    {"m", "flow.mark.toggle @focus", C(FLOWLIST), "Toggle mark on this flow"},
    {"M", "view.properties.marked.toggle", C(FLOWLIST), "Toggle viewing marked flows"},
    {"n", "console.command view.flows.create get https://example.com/", C(FLOWLIST),
     "Create a new flow"},
    {"o", "console.choose.cmd Order view.order.options set view_order {choice}", C(FLOWLIST),
     "Set flow list order"},
    {"r", "replay.client @focus", C(FLOWLIST) | C(FLOWVIEW), "Replay this flow"},
    {"S", "console.command replay.server ", C(FLOWLIST), "Start server replay"},
    {"v", "set view_order_reversed toggle", C(FLOWLIST), "Reverse flow list order"},
    {"U", "flow.mark @all false", C(FLOWLIST), "Un-set all marks"},
    {"w", "console.command save.file @shown ", C(FLOWLIST), "Save listed flows to file"},
    {"V", "flow.revert @focus", C(FLOWLIST) | C(FLOWVIEW), "Revert changes to this flow"},
    {"X", "flow.kill @focus", C(FLOWLIST), "Kill this flow"},
    {"z", "view.flows.remove @all", C(FLOWLIST), "Clear flow list"},
    {"Z", "view.flows.remove @hidden", C(FLOWLIST), "Purge all flows not showing"},
    {"|", "console.command script.run @focus ", C(FLOWLIST) | C(FLOWVIEW),
     "Run a script on this flow"},
    /* Ours, on keys 8.1.1 leaves free. */
    {"s", "console.command console.search.all ", C(FLOWLIST) | C(DATAVIEWER), "Search every flow"},
    {"=", "console.view.diff @marked", C(FLOWLIST), "Diff the two marked flows"},
    {"e", "console.choose.cmd Part console.edit.focus.options console.edit.focus {choice}",
     C(FLOWVIEW), "Edit a flow component"},
    {"f", "view.settings.setval.toggle @focus fullcontents", C(FLOWVIEW),
     "Toggle viewing full contents on this flow"},
    {"w", "console.command save.file @focus ", C(FLOWVIEW), "Save flow to file"},
    {"space", "view.focus.next", C(FLOWVIEW), "Go to next flow"},
    {"v", "console.choose \"View Part\" request,response console.bodyview @focus {choice}",
     C(FLOWVIEW), "View flow body in an external viewer"},
    {"p", "view.focus.prev", C(FLOWVIEW), "Go to previous flow"},
    {"m",
     "console.choose.cmd Mode console.flowview.mode.options console.flowview.mode.set {choice}",
     C(FLOWVIEW), "Set flow view mode"},
    {"z", "console.choose \"Part\" request,response flow.encode.toggle @focus {choice}",
     C(FLOWVIEW), "Encode/decode flow body"},
    {"L", "console.command options.load ", C(OPTIONS), "Load from file"},
    {"S", "console.command options.save ", C(OPTIONS), "Save to file"},
    {"D", "options.reset", C(OPTIONS), "Reset all options"},
    {"d", "console.options.reset.focus", C(OPTIONS), "Reset this option"},
    {"a", "console.grideditor.add", C(GRIDEDITOR), "Add a row after cursor"},
    {"A", "console.grideditor.insert", C(GRIDEDITOR), "Insert a row before cursor"},
    {"d", "console.grideditor.delete", C(GRIDEDITOR), "Delete this row"},
    {"r", "console.command console.grideditor.load", C(GRIDEDITOR),
     "Read unescaped data into the current cell from file"},
    {"R", "console.command console.grideditor.load_escaped", C(GRIDEDITOR),
     "Load a Python-style escaped string into the current cell from file"},
    {"e", "console.grideditor.editor", C(GRIDEDITOR), "Edit in external editor"},
    {"w", "console.command console.grideditor.save ", C(GRIDEDITOR), "Save data to file as CSV"},
    {"z", "eventstore.clear", C(EVENTLOG), "Clear"},
    {"a",
     "console.choose.cmd \"Context\" console.key.contexts console.command console.key.bind "
     "{choice}",
     C(KEYBINDINGS), "Add a key binding"},
    {"d", "console.key.unbind.focus", C(KEYBINDINGS), "Unbind the currently focused key binding"},
    {"x", "console.key.execute.focus", C(KEYBINDINGS), "Execute the currently focused key binding"},
    {"enter", "console.key.edit.focus", C(KEYBINDINGS), "Edit the currently focused key binding"},
};

void
console__keymap_defaults(struct keymap *km)
{
    memset(km, 0, sizeof(*km));
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        console__keymap_add(km, defaults[i].key, defaults[i].command, defaults[i].contexts,
                            defaults[i].help);
}

static void
binding_free(struct binding *b)
{
    free(b->key);
    free(b->command);
    free(b->help);
}

void
console__keymap_clear(struct keymap *km)
{
    for (size_t i = 0; i < km->n; i++)
        binding_free(&km->v[i]);
    free(km->v);
    memset(km, 0, sizeof(*km));
}

/* Compares command lines as 8.1.1 does (command.strip()). */
static int
same_command(const char *a, const char *b)
{
    while (*a == ' ')
        a++;
    while (*b == ' ')
        b++;
    size_t la = strlen(a), lb = strlen(b);
    while (la && a[la - 1] == ' ')
        la--;
    while (lb && b[lb - 1] == ' ')
        lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

/* keymap.remove: key leaves these contexts; a binding left without any goes. */
static void
unbind(struct keymap *km, const char *key, unsigned contexts)
{
    for (size_t i = 0; i < km->n;) {
        struct binding *b = &km->v[i];
        if (strcmp(b->key, key) == 0 && (b->contexts & contexts)) {
            b->contexts &= ~contexts;
            if (b->contexts == 0) {
                binding_free(b);
                memmove(b, b + 1, (km->n - i - 1) * sizeof(*b));
                km->n--;
                continue;
            }
        }
        i++;
    }
}

void
console__keymap_remove(struct keymap *km, const char *key, unsigned contexts)
{
    unbind(km, key, contexts);
}

void
console__keymap_add(struct keymap *km, const char *key, const char *command, unsigned contexts,
                    const char *help)
{
    for (size_t i = 0; i < km->n; i++) {
        struct binding *b = &km->v[i];
        if (strcmp(b->key, key) == 0 && same_command(b->command, command)) {
            /* Other bindings of key in the new contexts give way. */
            unsigned mine = b->contexts;
            b->contexts = 0;
            unbind(km, key, contexts & ~mine);
            /* unbind may have moved the array: find it again. */
            for (size_t j = 0; j < km->n; j++) {
                b = &km->v[j];
                if (strcmp(b->key, key) == 0 && same_command(b->command, command) &&
                    b->contexts == 0)
                    break;
            }
            b->contexts = mine | contexts;
            if (help && *help) {
                free(b->help);
                b->help = xstrdup(help);
            }
            return;
        }
    }
    unbind(km, key, contexts);
    if (km->n == km->cap) {
        km->cap = km->cap ? 2 * km->cap : 64;
        km->v = xrealloc(km->v, km->cap * sizeof(*km->v));
    }
    km->v[km->n++] =
        (struct binding){xstrdup(key), xstrdup(command), xstrdup(help ? help : ""), contexts};
}

const struct binding *
console__keymap_get(const struct keymap *km, enum console_ctx ctx, const char *key)
{
    for (size_t i = 0; i < km->n; i++)
        if ((km->v[i].contexts & (1u << ctx)) && strcmp(km->v[i].key, key) == 0)
            return &km->v[i];
    return NULL;
}

const struct binding *
console__keymap_lookup(const struct keymap *km, enum console_ctx ctx, const char *key)
{
    const struct binding *b = console__keymap_get(km, ctx, key);
    return b ? b : console__keymap_get(km, CTX_GLOBAL, key);
}

/* keymap.list's order: single keys before "ctrl f" and the like, each by
 * key, then by the contexts' names joined. */
static int
cmp_binding(const void *pa, const void *pb)
{
    const struct binding *a = *(const struct binding *const *)pa,
                         *b = *(const struct binding *const *)pb;
    int ma = strchr(a->key, ' ') != NULL, mb = strchr(b->key, ' ') != NULL;
    if (ma != mb)
        return ma - mb;
    int c = strcmp(a->key, b->key);
    if (c)
        return c;
    for (int i = 0; i < CTX__COUNT; i++) {
        unsigned bit = 1u << i;
        if ((a->contexts & bit) != (b->contexts & bit))
            return (a->contexts & bit) ? -1 : 1;
    }
    return 0;
}

size_t
console__keymap_list(const struct keymap *km, enum console_ctx ctx, const struct binding ***out)
{
    const struct binding **v = xcalloc(km->n ? km->n : 1, sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < km->n; i++)
        if (ctx == CTX__COUNT || (km->v[i].contexts & (1u << ctx)))
            v[n++] = &km->v[i];
    qsort(v, n, sizeof(*v), cmp_binding);
    *out = v;
    return n;
}
