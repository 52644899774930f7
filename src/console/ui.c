/*
 * The console's state and its key handling (8.1.1's window.py, the
 * action bar of statusbar.py and overlay.py's chooser): a stack of views,
 * the prompt, the quit question and the chooser; keys go to whichever of
 * these has them, then through the key map to the command registry.
 *
 * Redraws are coalesced: anything that changes the screen marks the
 * console dirty, and one zero-delay timer draws once at the end of the
 * loop turn, however many flows, log lines or keys arrived in it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addons/addon.h"
#include "commands/commands.h"
#include "console/console.h"
#include "console/internal.h"
#include "core/server.h"
#include "master/master.h"
#include "options/opt.h"
#include "util/path.h"
#include "util/xmalloc.h"

/* How many log lines the event log keeps (8.1.1's eventstore keeps 10,000). */
#define EVENTLOG_SIZE 10000

/* Work per redraw for a body being rendered: enough for a screen of any
 * view, small enough that keys are read again within a few milliseconds. */
#define RENDER_BUDGET (256u << 10)

/* The log sink may be called from other threads (a worker logs): the ring
 * is guarded, and the loop notices new lines on its refresh timer. */
pthread_mutex_t console__log_lock = PTHREAD_MUTEX_INITIALIZER;

static void
log_sink(enum log_level level, const char *msg, void *arg)
{
    struct console *c = arg;
    pthread_mutex_lock(&console__log_lock);
    console__eventlog_add(&c->log, level, msg);
    pthread_mutex_unlock(&console__log_lock);
}

static void
store_event(void *arg, enum store_event ev, const char *id, size_t index)
{
    struct console *c = arg;
    if ((ev == STORE_REMOVE || ev == STORE_STORE_REMOVE) && c->shown &&
        strcmp(c->shown->id, id) == 0) {
        flow_unref(c->shown);
        c->shown = NULL;
    }
    if ((ev == STORE_UPDATE || ev == STORE_REMOVE || ev == STORE_STORE_REMOVE) && c->fv.flow_id &&
        strcmp(c->fv.flow_id, id) == 0)
        console__flowview_invalidate(&c->fv);
    if (ev == STORE_REFRESH || ev == STORE_STORE_REFRESH) {
        console__flowview_invalidate(&c->fv);
        if (ev == STORE_STORE_REFRESH && c->shown) {
            flow_unref(c->shown);
            c->shown = NULL;
        }
    }
    console__dirty(c);
}

void
console__init(struct console *c, struct master *m, struct store *s)
{
    memset(c, 0, sizeof(*c));
    c->master = m;
    c->store = s;
    console__keymap_defaults(&c->keymap);
    console__eventlog_init(&c->log, EVENTLOG_SIZE);
    console__flowview_init(&c->fv);
    buf_init(&c->prompt);
    c->stack[0] = VIEW_FLOWLIST;
    c->depth = 1;
    console__panes_init(c);
    c->log_follow = 1;
    c->log_sink = log_add_sink(log_sink, c, -1);
    c->store_sub = store_subscribe(s, store_event, c);
}

static void
chooser_clear(struct chooser *ch)
{
    free(ch->title);
    free(ch->command);
    strv_clear(&ch->choices);
    memset(ch, 0, sizeof(*ch));
}

void
console__clear(struct console *c)
{
    if (c->log_sink >= 0)
        log_remove_sink(c->log_sink);
    store_unsubscribe(c->store, c->store_sub);
    console__keymap_clear(&c->keymap);
    pthread_mutex_lock(&console__log_lock);
    console__eventlog_clear(&c->log);
    pthread_mutex_unlock(&console__log_lock);
    console__flowview_free(&c->fv);
    if (c->shown)
        flow_unref(c->shown);
    chooser_clear(&c->chooser);
    console__history_done(c);
    console__prompt_state_clear(&c->ps);
    free(c->last_search);
    console__search_stop(c);
    console__search_all_free(c->sa);
    console__diff_free(c->dv);
    console__grid_free(c->grid);
    for (int i = 0; i < 3; i++)
        buf_clear(&c->browse[i].edit);
    buf_clear(&c->prompt);
    free(c->message);
    console__screen_clear(&c->scr);
}

const struct options *
console__opts(const struct console *c)
{
    return master_options(c->master);
}

const char *
console__opt_str(const struct console *c, const char *name, const char *none)
{
    const struct opt_info *o = opt_find(name);
    const char *v = o && (o->type == OPT_STR || o->type == OPT_OPTSTR)
                        ? opt_get_str(console__opts(c), o)
                        : NULL;
    return v ? v : none;
}

int
console__opt_bool(const struct console *c, const char *name, int none)
{
    const struct opt_info *o = opt_find(name);
    return o && o->type == OPT_BOOL ? opt_get_bool(console__opts(c), o) : none;
}

char *
console__confdir_file(const struct console *c, const char *name)
{
    const char *dir = console__opts(c)->confdir;
    if (dir == NULL)
        return NULL;
    char *full = path_expand_home(dir);
    struct buf b = BUF_INIT;
    buf_printf(&b, "%s/%s", full, name);
    free(full);
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

enum console_ctx
console__context(const struct console *c)
{
    switch (c->stack[c->depth - 1]) {
    case VIEW_FLOWVIEW:
        return CTX_FLOWVIEW;
    case VIEW_HELP:
        return CTX_HELP;
    case VIEW_EVENTLOG:
        return CTX_EVENTLOG;
    case VIEW_GRID:
        return CTX_GRIDEDITOR;
    case VIEW_OPTIONS:
        return CTX_OPTIONS;
    case VIEW_COMMANDS:
        return CTX_COMMANDS;
    case VIEW_KEYBINDINGS:
        return CTX_KEYBINDINGS;
    case VIEW_SEARCH:
    case VIEW_DIFF:
        /* 8.1.1's dataviewer context: the global keys move and select. */
        return CTX_DATAVIEWER;
    default:
        return CTX_FLOWLIST;
    }
}

void
console__push(struct console *c, enum view_kind v)
{
    if (c->stack[c->depth - 1] == v)
        return;
    /* A view already on the stack comes to the top (8.1.1 keeps one of each). */
    for (int i = 1; i < c->depth; i++)
        if (c->stack[i] == v) {
            memmove(&c->stack[i], &c->stack[i + 1],
                    (size_t)(c->depth - i - 1) * sizeof(c->stack[0]));
            c->depth--;
            break;
        }
    if (c->depth < (int)(sizeof(c->stack) / sizeof(c->stack[0])))
        c->stack[c->depth++] = v;
    if (v == VIEW_HELP)
        c->help_scroll = 0;
    console__dirty(c);
}

void
console__pop(struct console *c)
{
    /* A grid goes back into its parent grid, or into the flow. */
    if (c->stack[c->depth - 1] == VIEW_GRID && !console__grid_pop(c)) {
        console__dirty(c);
        return;
    }
    if (c->depth == 1) {
        /* The flow list is the bottom: 8.1.1 asks first. */
        c->bar = BAR_QUIT;
    } else {
        /* Leaving a search's results stops the search. */
        if (c->stack[c->depth - 1] == VIEW_SEARCH)
            console__search_all_stop(c);
        c->depth--;
    }
    /* The flow view's flow is let go once no view shows it. */
    int showing = 0;
    for (int i = 0; i < c->depth; i++)
        showing |= c->stack[i] == VIEW_FLOWVIEW;
    for (int i = 0; i < c->other_depth; i++)
        showing |= c->other_stack[i] == VIEW_FLOWVIEW;
    if (!showing && c->shown) {
        flow_unref(c->shown);
        c->shown = NULL;
        console__flowview_clear(&c->fv);
    }
    console__dirty(c);
}

void
console__prompt(struct console *c, const char *text, size_t cursor)
{
    buf_reset(&c->prompt);
    buf_append_str(&c->prompt, text);
    c->cursor = cursor > c->prompt.len ? c->prompt.len : cursor;
    c->bar = BAR_PROMPT;
    console__dirty(c);
}

void
console__message(struct console *c, int error, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    free(c->message);
    c->message = xstrdup(msg);
    c->message_error = error;
    c->bar = BAR_MESSAGE;
    console__dirty(c);
}

int
console__execute(struct console *c, const char *line)
{
    struct err e = {0};
    struct cmds_value ret = {0};
    int rc = cmds_execute(master_commands(c->master), line, &ret, &e);
    if (rc < 0)
        console__message(c, 1, "%s", e.msg[0] ? e.msg : "command failed");
    else if (c->bar != BAR_PROMPT && c->bar != BAR_QUIT && ret.type == CMDS_STR && ret.s)
        console__message(c, 0, "%s", ret.s);
    cmds_value_clear(&ret);
    console__dirty(c);
    return rc;
}

const char *
console__flowview_mode(struct console *c, const char *flow_id)
{
    const char *v = flow_id ? store_setting(c->store, flow_id, "flowview_mode") : NULL;
    if (v)
        return v;
    return console__opt_str(c, "console_default_contentview", "auto");
}

/* ---- navigation ---------------------------------------------------------- */

/* Body lines of the view shown (its pane less its title; one pane: the
 * screen less title, status and action bar). */
static int
body_rows(const struct console *c)
{
    int rows = c->npanes == 2 ? c->panes[c->pane].rows : c->rows - 2;
    if (console__opt_bool(c, "console_layout_headers", 1))
        rows--;
    return rows < 1 ? 1 : rows;
}

/* The rows of the flow list's row i, for urwid's paging. */
struct list_rows {
    struct console *c;
    int table;
};

static int
list_rows(void *arg, long i)
{
    struct list_rows *lr = arg;
    return console__list_row_lines(lr->c, lr->table, i);
}

/* Page up and down move as 8.1.1's urwid ListBox moves them; the list is
 * then drawn from where urwid puts the new focus. */
static void
page_flowlist(struct console *c, int table, int rows, int down)
{
    console__flowlist_settle(c, table, rows);
    struct list_rows lr = {c, table};
    struct console_lb lb = {(long)store_view_len(c->store), rows, list_rows, &lr};
    struct console_lb_state st = {store_focus_index(c->store), -c->top_skip};
    for (long i = c->top; i < st.focus; i++)
        st.row += list_rows(&lr, i);
    console__lb_page(&lb, down, &st);
    int r = console__lb_visible(&lb, &st);
    long top = st.focus;
    while (r > 0 && top > 0)
        r -= list_rows(&lr, --top);
    c->top = top;
    c->top_skip = r < 0 ? -r : 0;
    store_focus_go(c->store, st.focus);
}

static void
nav_flowlist(struct console *c, enum nav n)
{
    long len = (long)store_view_len(c->store);
    const char *layout = console__opt_str(c, "console_flowlist_layout", NULL);
    int table = console__table_layout(layout, c->npanes == 2 ? c->panes[c->pane].cols : c->cols);
    if (len == 0)
        return;
    switch (n) {
    case NAV_UP:
        store_focus_prev(c->store);
        break;
    case NAV_DOWN:
        store_focus_next(c->store);
        break;
    case NAV_PAGEUP:
    case NAV_PAGEDOWN:
        page_flowlist(c, table, body_rows(c), n == NAV_PAGEDOWN);
        break;
    case NAV_START:
        store_focus_go(c->store, 0);
        break;
    case NAV_END:
        store_focus_go(c->store, -1);
        break;
    case NAV_SELECT:
        console__execute(c, "console.view.flow @focus");
        break;
    default:
        break;
    }
}

void
console__nav_focus(long *focus, enum nav n, long page, long len)
{
    switch (n) {
    case NAV_UP:
        (*focus)--;
        break;
    case NAV_DOWN:
        (*focus)++;
        break;
    case NAV_PAGEUP:
        *focus -= page;
        break;
    case NAV_PAGEDOWN:
        *focus += page;
        break;
    case NAV_START:
        *focus = 0;
        break;
    case NAV_END:
        *focus = len - 1;
        break;
    default:
        break;
    }
    if (*focus >= len)
        *focus = len - 1;
    if (*focus < 0)
        *focus = 0;
}

/* A scroll offset is a focus over the total - page + 1 first lines a page
 * can start at. */
void
console__nav_scroll(int *scroll, enum nav n, int page, int total)
{
    long at = *scroll;
    console__nav_focus(&at, n, page, (long)total - page + 1);
    *scroll = (int)at;
}

static void
nav_grid(struct console *c, enum nav n)
{
    struct grid *g = c->grid;
    if (g == NULL)
        return;
    int page = body_rows(c) - 1;
    switch (n) {
    case NAV_UP:
        console__grid_move(g, -1, 0);
        break;
    case NAV_DOWN:
        console__grid_move(g, 1, 0);
        break;
    case NAV_PAGEUP:
        console__grid_move(g, -page, 0);
        break;
    case NAV_PAGEDOWN:
        console__grid_move(g, page, 0);
        break;
    case NAV_START:
        console__grid_move(g, -(int)g->n, 0);
        break;
    case NAV_END:
        console__grid_move(g, (int)g->n, 0);
        break;
    case NAV_LEFT:
        console__grid_move(g, 0, -1);
        break;
    case NAV_RIGHT:
        console__grid_move(g, 0, 1);
        break;
    case NAV_NEXT:
        console__grid_tab(g);
        break;
    case NAV_SELECT:
        console__grid_select(c);
        break;
    }
}

void
console__nav(struct console *c, enum nav n)
{
    switch (c->stack[c->depth - 1]) {
    case VIEW_FLOWLIST:
        nav_flowlist(c, n);
        break;
    case VIEW_FLOWVIEW:
        if (n == NAV_NEXT || n == NAV_RIGHT || n == NAV_LEFT) {
            /* The flow shown, or the one to be (keys may come before a redraw). */
            const char *id = store_focus_id(c->store);
            struct flow *f = c->shown ? flow_ref(c->shown)
                             : id     ? store_get(c->store, id, NULL)
                                      : NULL;
            int tabs[FV__COUNT], nt = console__flowview_tabs(f, tabs), at = 0;
            if (f)
                flow_unref(f);
            for (int i = 0; i < nt; i++)
                at = tabs[i] == c->fv.tab ? i : at;
            c->fv.tab = tabs[(at + (n == NAV_LEFT ? nt - 1 : 1)) % nt];
            c->fv.scroll = c->fv.at_end = 0;
            break;
        }
        /* Scrolling down asks the render for the lines it will show; the end
         * is reached over as many redraws as the render needs (layout.c). */
        c->fv.at_end = n == NAV_END;
        if (n == NAV_PAGEDOWN || n == NAV_DOWN)
            console__flowview_fill(&c->fv, c->fv.scroll + 2 * body_rows(c), RENDER_BUDGET);
        console__nav_scroll(&c->fv.scroll, n, body_rows(c), console__flowview_lines(&c->fv));
        break;
    case VIEW_HELP:
        console__nav_scroll(&c->help_scroll, n, body_rows(c), 1 << 20);
        break;
    case VIEW_GRID:
        nav_grid(c, n);
        break;
    case VIEW_OPTIONS:
    case VIEW_COMMANDS:
    case VIEW_KEYBINDINGS:
        console__browse_nav(c, c->stack[c->depth - 1], n, body_rows(c) - 5);
        break;
    case VIEW_SEARCH:
        console__search_all_nav(c, n, body_rows(c) - 1);
        break;
    case VIEW_DIFF:
        console__diff_nav(c, n, body_rows(c));
        break;
    case VIEW_EVENTLOG: {
        pthread_mutex_lock(&console__log_lock);
        int total = (int)c->log.n;
        pthread_mutex_unlock(&console__log_lock);
        if (c->log_follow)
            c->log_scroll = total - body_rows(c);
        console__nav_scroll(&c->log_scroll, n, body_rows(c), total);
        c->log_follow = c->log_scroll >= total - body_rows(c);
        break;
    }
    }
    console__dirty(c);
}

/* ---- keys ----------------------------------------------------------------- */

static void
prompt_key(struct console *c, const char *key)
{
    if (strcmp(key, "esc") == 0 || strcmp(key, "ctrl c") == 0) {
        c->bar = BAR_NONE;
    } else if (strcmp(key, "enter") == 0) {
        char *line = buf_strdup(&c->prompt);
        c->bar = BAR_NONE;
        c->ps.active_filter = 0;
        c->ps.completing = 0;
        console__history_add(c, line);
        console__execute(c, line);
        free(line);
    } else {
        console__prompt_key(c, key);
    }
    console__dirty(c);
}

/* A grid cell being typed: esc (or enter) ends it, tab goes on in the
 * next cell; 8.1.1's cells are multi-line urwid Edits, where enter is a
 * newline that the end of typing strips again. */
static void
grid_key(struct console *c, const char *key)
{
    struct grid *g = c->grid;
    struct err e = {0};
    if (strcmp(key, "esc") == 0 || strcmp(key, "enter") == 0) {
        if (console__grid_stop_edit(g, &e) < 0)
            console__message(c, 1, "Invalid data.");
    } else if (strcmp(key, "tab") == 0) {
        int row = g->focus, col = g->focus_col;
        console__grid_tab(g);
        if (g->editing && g->focus == row && g->focus_col == col)
            console__message(c, 1, "Invalid data.");
    } else {
        console__line_key(&g->edit, &g->cursor, key);
    }
    console__dirty(c);
}

/* overlay.Chooser's shortcuts: 1-9, then a-z. */
static int
chooser_shortcut(const char *key)
{
    if (strlen(key) != 1)
        return -1;
    if (key[0] >= '1' && key[0] <= '9')
        return key[0] - '1';
    if (key[0] >= 'a' && key[0] <= 'z')
        return 9 + key[0] - 'a';
    return -1;
}

static void
chooser_pick(struct console *c, int i)
{
    struct chooser *ch = &c->chooser;
    /* {choice} in the command becomes the choice, quoted as an argument. */
    struct buf line = BUF_INIT, q = BUF_INIT;
    cmds_quote(ch->choices.v[i], &q);
    const char *cmd = ch->command, *at;
    while ((at = strstr(cmd, "{choice}")) != NULL) {
        buf_append(&line, cmd, (size_t)(at - cmd));
        buf_append(&line, buf_ptr(&q), q.len);
        cmd = at + 8;
    }
    buf_append_str(&line, cmd);
    char *s = buf_strdup(&line);
    buf_clear(&line);
    buf_clear(&q);
    chooser_clear(ch);
    console__execute(c, s);
    free(s);
}

static void
chooser_key(struct console *c, const char *key)
{
    struct chooser *ch = &c->chooser;
    int n = (int)ch->choices.n;
    int k;
    if (strcmp(key, "esc") == 0 || strcmp(key, "q") == 0)
        chooser_clear(ch);
    else if (strcmp(key, "enter") == 0)
        chooser_pick(c, ch->focus);
    else if (strcmp(key, "up") == 0 || strcmp(key, "k") == 0)
        ch->focus = ch->focus > 0 ? ch->focus - 1 : 0;
    else if (strcmp(key, "down") == 0 || strcmp(key, "j") == 0)
        ch->focus = ch->focus + 1 < n ? ch->focus + 1 : ch->focus;
    else if (strcmp(key, "g") == 0 || strcmp(key, "home") == 0)
        ch->focus = 0;
    else if (strcmp(key, "G") == 0 || strcmp(key, "end") == 0)
        ch->focus = n - 1;
    else if ((k = chooser_shortcut(key)) >= 0 && k < n)
        chooser_pick(c, k);
    console__dirty(c);
}

/* Keys the widgets handle themselves in 8.1.1 (urwid's ListBox). */
static int
widget_key(struct console *c, const char *key)
{
    static const struct {
        const char *key;
        enum nav nav;
    } t[] = {{"up", NAV_UP},          {"down", NAV_DOWN},
             {"page up", NAV_PAGEUP}, {"page down", NAV_PAGEDOWN},
             {"home", NAV_START},     {"end", NAV_END}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(key, t[i].key) == 0) {
            console__nav(c, t[i].nav);
            return 1;
        }
    enum view_kind v = c->stack[c->depth - 1];
    /* esc stops a search across flows under way. */
    if (v == VIEW_SEARCH && strcmp(key, "esc") == 0 && console__search_all_running(c)) {
        console__search_all_stop(c);
        return 1;
    }
    /* ... and so does it the flow view's search of a big body. */
    if (v == VIEW_FLOWVIEW && strcmp(key, "esc") == 0 && c->fs) {
        console__search_stop(c);
        console__message(c, 0, "Search stopped.");
        return 1;
    }
    /* Searchable: / asks what to find, n and N find it again. */
    if (v == VIEW_FLOWVIEW && strcmp(key, "/") == 0) {
        buf_reset(&c->prompt);
        c->cursor = 0;
        c->bar = BAR_SEARCH;
        return 1;
    }
    if (v == VIEW_FLOWVIEW && (strcmp(key, "n") == 0 || strcmp(key, "N") == 0)) {
        console__search_next(c, key[0] == 'N');
        return 1;
    }
    if ((v == VIEW_FLOWVIEW || v == VIEW_GRID) &&
        (strcmp(key, "left") == 0 || strcmp(key, "right") == 0)) {
        console__nav(c, strcmp(key, "left") == 0 ? NAV_LEFT : NAV_RIGHT);
        return 1;
    }
    return 0;
}

void
console__press(struct console *c, const char *key)
{
    console__dirty(c);
    int button, col, row;
    if (console__mouse_parse(key, &button, &col, &row)) {
        /* The prompt, a question and the chooser take keys only. */
        if (c->bar != BAR_PROMPT && c->bar != BAR_QUIT && c->bar != BAR_SEARCH &&
            !c->chooser.active)
            console__mouse(c, button, col, row);
        return;
    }
    if (c->bar == BAR_QUIT) {
        c->bar = BAR_NONE;
        if (strcmp(key, "y") == 0)
            console__execute(c, "console.exit");
        return;
    }
    if (c->bar == BAR_PROMPT) {
        prompt_key(c, key);
        return;
    }
    if (c->bar == BAR_SEARCH) {
        if (strcmp(key, "esc") == 0) {
            c->bar = BAR_NONE;
        } else if (strcmp(key, "enter") == 0) {
            char *text = buf_strdup(&c->prompt);
            c->bar = BAR_NONE;
            console__search_set(c, text);
            free(text);
        } else {
            console__line_key(&c->prompt, &c->cursor, key);
        }
        return;
    }
    if (c->chooser.active) {
        chooser_key(c, key);
        return;
    }
    if (c->stack[c->depth - 1] == VIEW_GRID && c->grid && c->grid->editing) {
        grid_key(c, key);
        return;
    }
    if (c->stack[c->depth - 1] == VIEW_OPTIONS && c->browse[0].editing) {
        console__browse_edit_key(c, key);
        return;
    }
    if (c->bar == BAR_MESSAGE) {
        c->bar = BAR_NONE;
        free(c->message);
        c->message = NULL;
    }
    if (widget_key(c, key))
        return;
    const struct binding *b = console__keymap_lookup(&c->keymap, console__context(c), key);
    if (b == NULL)
        return;
    /* The command may rebind keys: run a copy. */
    char *cmd = xstrdup(b->command);
    console__execute(c, cmd);
    /* "console.command cut.save @focus response.content " leaves its
     * trailing space on the prompt, where the next word goes (8.1.1 does). */
    size_t n = strlen(cmd);
    if (c->bar == BAR_PROMPT && strncmp(cmd, "console.command ", 16) == 0 && n &&
        cmd[n - 1] == ' ' && c->prompt.len && buf_ptr(&c->prompt)[c->prompt.len - 1] != ' ') {
        buf_append_str(&c->prompt, " ");
        c->cursor = c->prompt.len;
    }
    free(cmd);
}

/* ---- redraws --------------------------------------------------------------- */

static void
draw(struct console *c)
{
    int rows, cols;
    console__term_size(c->term, &rows, &cols);
    console__layout(c, rows, cols);
    console__term_mouse(c->term, console__opt_bool(c, "console_mouse", 1));
    console__term_paint(c->term, &c->scr, console__opt_str(c, "console_palette", NULL),
                        console__opt_bool(c, "console_palette_transparent", 1));
}

static void
on_redraw(void *arg)
{
    struct console *c = arg;
    c->redraw_pending = 0;
    if (c->exit_requested || c->term == NULL)
        return;
    c->dirty = 0;
    draw(c);
    /* A search across flows runs once its screen says what it searches, a
     * slice per turn. It and a body still rendering go on in the next
     * turn, after the keys: a timer of 1 ms, since libuv (before 1.45)
     * runs a timer re-armed with 0 in its own callback again at once, and
     * would never read a key. */
    int searching = console__search_all_poll(c) | console__search_poll(c);
    /* The lines of a view left are freed a slice per turn too. */
    searching |= console__flowview_reap(&c->fv, FV_REAP_SLICE_US);
    if (searching ||
        (c->stack[c->depth - 1] == VIEW_FLOWVIEW && console__flowview_pending(&c->fv) &&
         (c->fv.at_end || console__flowview_lines(&c->fv) < c->fv.want))) {
        c->dirty = 1;
        c->redraw_pending = 1;
        server_timer_start(c->redraw_timer, 1, 0);
    }
}

void
console__dirty(struct console *c)
{
    c->dirty = 1;
    if (c->redraw_timer && !c->redraw_pending) {
        c->redraw_pending = 1;
        server_timer_start(c->redraw_timer, 0, 0);
    }
}

/* ---- the public face ---------------------------------------------------------- */

struct console_full {
    struct console c;
    struct server_watch *input, *winch;
    struct server_timer *redraw, *refresh;
    uint64_t log_seen;
};

struct console *
console_new(struct master *m, struct store *s)
{
    struct console_full *cf = xcalloc(1, sizeof(*cf));
    console__init(&cf->c, m, s);
    return &cf->c;
}

static void
on_input(void *arg, int events)
{
    struct console *c = arg;
    char key[64];
    while (c->term && !c->exit_requested && console__term_key(c->term, key, sizeof(key)))
        console__press(c, key);
}

static void
on_winch(void *arg, int events)
{
    struct console *c = arg;
    console__term_resize(c->term);
    console__flowview_invalidate(&c->fv);
    console__dirty(c);
}

/* 8.1.1's status bar refreshes every half second; here it is the log lines
 * other threads added that are noticed this way. */
static void
on_refresh(void *arg)
{
    struct console_full *cf = arg;
    pthread_mutex_lock(&console__log_lock);
    uint64_t seen = cf->c.log.seen;
    pthread_mutex_unlock(&console__log_lock);
    if (seen != cf->log_seen) {
        cf->log_seen = seen;
        console__dirty(&cf->c);
    }
}

int
console_open(struct console *c, struct err *e)
{
    if (c->term == NULL && (c->term = console__term_new(e)) == NULL)
        return e && e->code ? e->code : MP_ERR_IO;
    draw(c);
    return 0;
}

int
console_start(struct console *c, struct err *e)
{
    struct console_full *cf = (struct console_full *)c;
    struct server *srv = master_server(c->master);
    if (srv == NULL)
        return err_set(e, MP_ERR_INVAL, "console: the master has no loop yet");
    int opened = c->term != NULL;
    if (!opened && (c->term = console__term_new(e)) == NULL)
        return e && e->code ? e->code : MP_ERR_IO;
    cf->input = server_watch_fd(srv, console__term_fd(c->term), SERVER_READABLE, on_input, c, e);
    cf->winch =
        server_watch_fd(srv, console__term_winch_fd(c->term), SERVER_READABLE, on_winch, c, e);
    if (cf->input == NULL || cf->winch == NULL)
        return e && e->code ? e->code : MP_ERR_IO;
    cf->redraw = server_timer_new(srv, on_redraw, c);
    c->redraw_timer = cf->redraw;
    cf->refresh = server_timer_new(srv, on_refresh, cf);
    server_timer_start(cf->refresh, 500, 500);
    /* keys.yaml of the conf dir (KeymapConfig.running): a bad file is
     * logged, the defaults stay. */
    char *keys = console__confdir_file(c, "keys.yaml");
    if (keys) {
        struct err ke = {0};
        if (console__keys_load(c, keys, &ke) < 0)
            log_msg(LOG_ERROR, "%s", ke.msg);
        free(keys);
    }
    /* The screen now, not a loop turn later (the listen address is known). */
    draw(c);
    return 0;
}

void
console_free(struct console *c)
{
    if (c == NULL)
        return;
    struct console_full *cf = (struct console_full *)c;
    if (cf->input)
        server_unwatch(cf->input);
    if (cf->winch)
        server_unwatch(cf->winch);
    if (cf->redraw)
        server_timer_free(cf->redraw);
    if (cf->refresh)
        server_timer_free(cf->refresh);
    console__term_free(c->term);
    console__clear(c);
    free(cf);
}

/* ---- the addon ------------------------------------------------------------------ */

struct console_addon {
    struct addon base;
    struct console *c; /* borrowed: the tool frees the console */
};

static int
addon_configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
                struct err *e)
{
    struct console *c = ((struct console_addon *)a)->c;
    if (updated == NULL || opt_changed_name(updated, "console_default_contentview"))
        console__flowview_invalidate(&c->fv);
    if (updated == NULL || opt_changed_name(updated, "console_layout")) {
        const struct opt_info *lo = opt_find("console_layout");
        console__panes_configure(c, lo ? opt_get_str(o, lo) : NULL);
    }
    if (updated == NULL || opt_changed_name(updated, "confdir") ||
        opt_changed_name(updated, "command_history"))
        console__history_load(c);
    if (updated == NULL || opt_changed_name(updated, "console_eventlog_verbosity")) {
        const struct opt_info *v = opt_find("console_eventlog_verbosity");
        int level = v ? log_level_parse(opt_get_str(o, v)) : -1;
        if (c->log_sink >= 0 && level >= 0)
            log_set_sink_level(c->log_sink, level);
    }
    console__dirty(c);
    return 0;
}

static int
addon_commands(struct addon *a, struct cmds *cmds, struct err *e)
{
    return console__commands(((struct console_addon *)a)->c, cmds, e);
}

static void
addon_free(struct addon *a)
{
    free(a);
}

static const struct addon_ops console_ops = {
    .name = "console",
    .configure = addon_configure,
    .commands = addon_commands,
    .free = addon_free,
};

struct addon *
console_addon(struct console *c)
{
    struct console_addon *a = xcalloc(1, sizeof(*a));
    a->base.ops = &console_ops;
    a->c = c;
    return &a->base;
}
