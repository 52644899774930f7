/*
 * The whole screen, as 8.1.1's window.py lays it out: a title line
 * (console_layout_headers), the view shown, the status bar and the action
 * bar (prompt, question or message), with the chooser drawn over the view.
 * Only what is on the screen is looked at: the flow list formats the rows
 * it shows, the flow view asks the render for the lines it shows.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "console/internal.h"
#include "core/server.h"
#include "flow/flow.h"
#include "master/master.h"
#include "options/opt.h"

/* The error message of a flow in the list: read from the flow itself,
 * which only the rows on the screen need. */
static char *
error_message(struct console *c, const struct store_info *in)
{
    if (!in->error)
        return NULL;
    struct flow *f = store_get(c->store, in->id, NULL);
    char *msg = f && f->error && f->error->msg ? strdup(f->error->msg) : NULL;
    if (f)
        flow_unref(f);
    return msg;
}

int
console__list_row_lines(struct console *c, int table, long i)
{
    struct store_info in;
    if (table || store_view_info(c->store, (size_t)i, &in) < 0)
        return 1;
    return in.type == FLOW_TCP || in.type == FLOW_DNS ? 1 : 2;
}

/* The top row and its lines hidden that show row last at the bottom of
 * rows lines, the rows above it as many as fit, the topmost in part (as
 * urwid fills a ListBox above its focus). */
static void
bottom_fit(struct console *c, int table, long last, int rows, long *top, int *skip)
{
    long t = last;
    int used = console__list_row_lines(c, table, last);
    while (t > 0 && used < rows)
        used += console__list_row_lines(c, table, --t);
    *top = t;
    *skip = used > rows && t < last ? used - rows : 0;
}

void
console__flowlist_settle(struct console *c, int table, int rows)
{
    long len = (long)store_view_len(c->store);
    long focus = store_focus_index(c->store);
    if (len == 0) {
        c->top = 0;
        c->top_skip = 0;
        return;
    }
    if (c->top >= len || c->top < 0) {
        c->top = 0;
        c->top_skip = 0;
    }
    int ht = console__list_row_lines(c, table, c->top);
    if (c->top_skip >= ht || c->top_skip < 0)
        c->top_skip = c->top_skip < 0 ? 0 : ht - 1;
    /* Keep the focus on the screen, whole, moving the list as little as
     * possible; the list layout's rows are two lines, a TCP or DNS flow's
     * one (8.1.1's). */
    if (focus >= 0) {
        if (focus < c->top || (focus == c->top && c->top_skip > 0)) {
            c->top = focus;
            c->top_skip = 0;
        }
        int used = -c->top_skip;
        for (long i = c->top; i <= focus && used <= rows; i++)
            used += console__list_row_lines(c, table, i);
        if (used > rows)
            bottom_fit(c, table, focus, rows, &c->top, &c->top_skip);
    }
    /* No blank rows at the bottom while rows are above the pane. */
    int used = -c->top_skip;
    for (long i = c->top; i < len && used < rows; i++)
        used += console__list_row_lines(c, table, i);
    if (used < rows && (c->top > 0 || c->top_skip > 0))
        bottom_fit(c, table, len - 1, rows, &c->top, &c->top_skip);
}

/* Line k of a two-line row drawn at row at of lines (rows of them). */
static void
put_row_line(struct sline *lines, int rows, int at, const struct sline *from)
{
    if (at < 0 || at >= rows)
        return;
    const char *p = (const char *)buf_ptr(&from->text);
    for (size_t k = 0; k < from->nspans; k++) {
        console__put(&lines[at], (enum console_style)from->spans[k].style, p, from->spans[k].len);
        p += from->spans[k].len;
    }
}

static void
flowlist(struct console *c, struct sline *lines, int rows)
{
    long len = (long)store_view_len(c->store);
    long focus = store_focus_index(c->store);
    int table = console__table_layout(console__opt_str(c, "console_flowlist_layout", ""), c->cols);
    if (len == 0)
        return;
    console__flowlist_settle(c, table, rows);
    for (long i = c->top, at = -c->top_skip; i < len && at < rows; i++) {
        struct store_info in;
        if (store_view_info(c->store, (size_t)i, &in) < 0)
            continue;
        char *err = error_message(c, &in);
        int focused = i == focus;
        int h = table || in.type == FLOW_TCP || in.type == FLOW_DNS ? 1 : 2;
        if (table) {
            if (at >= 0)
                console__format_table(&lines[at], &in, err, focused);
        } else if (at >= 0 && at + h <= rows) {
            console__format_list(&lines[at], &in, err, focused, 0);
        } else {
            /* A row cut by the top or the bottom of the pane: the lines of
             * it that are in. */
            struct sline part[2];
            memset(part, 0, sizeof(part));
            part[0].width = part[1].width = lines[0].width;
            console__format_list(part, &in, err, focused, 0);
            for (int k = 0; k < h; k++) {
                put_row_line(lines, rows, (int)at + k, &part[k]);
                buf_clear(&part[k].text);
                free(part[k].spans);
            }
        }
        at += h;
        free(err);
    }
}

/* The flow view: the flow in the list's detail form, the tabs, the tab's lines. */
static void
flowview(struct console *c, struct sline *lines, int rows)
{
    const char *id = store_focus_id(c->store);
    if (c->shown && (id == NULL || strcmp(c->shown->id, id) != 0)) {
        flow_unref(c->shown);
        c->shown = NULL;
        /* Its render may read the flow's body: not past this. */
        console__flowview_invalidate(&c->fv);
    }
    if (c->shown == NULL && id)
        c->shown = store_get(c->store, id, NULL);
    struct flow *f = c->shown;
    if (f == NULL) {
        console__put(&lines[0], ST_HIGHLIGHT, "No flow.", SIZE_MAX);
        return;
    }
    /* The flow as the list's detail form: two lines, or one for TCP and DNS. */
    int tab_row = console__flowview_tab_row(f);
    struct store_info in;
    if (rows >= tab_row + 1 && store_info(c->store, f->id, &in) == 0) {
        char *err = error_message(c, &in);
        if (f->type == FLOW_TCP)
            console__format_tcp(&lines[0], &in, f, err);
        else
            console__format_list(&lines[0], &in, err, 1, 1);
        free(err);
    }
    /* Tabs: each name centred in its part (urwid puts an odd blank on the
     * left), the active one in the heading style, a blank column between. */
    if (rows >= tab_row + 2) {
        struct sline *l = &lines[tab_row];
        int tabs[FV__COUNT], widths[FV__COUNT], at = 0;
        int ntabs = console__flowview_tab_line(f, c->cols, tabs, widths);
        int shown = 0;
        for (int i = 0; i < ntabs; i++)
            shown |= tabs[i] == c->fv.tab;
        if (!shown)
            c->fv.tab = tabs[0];
        for (int i = 0; i < ntabs; i++) {
            const char *name = console__flowview_tab_name(f, tabs[i]);
            enum console_style st = tabs[i] == c->fv.tab ? ST_HEADING : ST_HEADING_INACTIVE;
            int nw = (int)strlen(name);
            console__pad_to(l, st, at + (widths[i] - nw + 1) / 2);
            console__put(l, st, name, SIZE_MAX);
            at += widths[i];
            console__pad_to(l, st, at);
            if (i + 1 < ntabs) {
                at += FV_TAB_DIVIDER;
                console__pad_to(l, ST_TEXT, at);
            }
        }
    }
    int top = tab_row + 1, n = rows - top;
    /* content_view_lines_cutoff, unless f (fullcontents) asked for all. */
    const char *full = store_setting(c->store, f->id, "fullcontents");
    long cutoff = console__opts(c)->content_view_lines_cutoff;
    size_t limit = full && strcmp(full, "true") == 0 ? 0 : cutoff > 0 ? (size_t)cutoff : 0;
    console__flowview_build(&c->fv, f, c->fv.tab, console__flowview_mode(c, f->id), c->cols, limit);
    c->fv.want = c->fv.at_end ? 1 << 30 : c->fv.scroll + n;
    console__flowview_fill(&c->fv, c->fv.want, 256u << 10);
    int total = console__flowview_lines(&c->fv);
    if (c->fv.at_end || (c->fv.scroll > total - n && c->fv.body_done))
        c->fv.scroll = total - n;
    if (c->fv.scroll < 0)
        c->fv.scroll = 0;
    for (int i = 0; i < n && c->fv.scroll + i < total; i++) {
        struct sline *l = &lines[top + i];
        console__flowview_line(&c->fv, c->fv.scroll + i, l);
        if (c->fv.scroll + i == c->fv.highlight) {
            /* The line a search found, as searchable.Highlight shows it. */
            for (size_t k = 0; k < l->nspans; k++)
                l->spans[k].style = ST_FOCUSFIELD;
            console__pad_to(l, ST_FOCUSFIELD, l->width);
        }
    }
}

static const char *const level_style_names[] = {"error", "warn", "info", "alert", "debug"};

static void
eventlog(struct console *c, struct sline *lines, int rows)
{
    size_t n = c->log.n;
    if (c->log_follow || c->log_scroll > (int)n - rows)
        c->log_scroll = (int)n - rows;
    if (c->log_scroll < 0)
        c->log_scroll = 0;
    for (int i = 0; i < rows && (size_t)(c->log_scroll + i) < n; i++) {
        enum log_level lv;
        const char *msg = console__eventlog_get(&c->log, (size_t)(c->log_scroll + i), &lv);
        enum console_style st = lv == LOG_ERROR   ? ST_ERROR
                                : lv == LOG_WARN  ? ST_WARN
                                : lv == LOG_ALERT ? ST_ALERT
                                                  : ST_TEXT;
        char pre[16];
        snprintf(pre, sizeof(pre), "%s: ", level_style_names[lv]);
        console__put(&lines[i], st, pre, SIZE_MAX);
        console__put(&lines[i], st, msg, SIZE_MAX);
    }
}

/* help.py: the keys of the view below the help, the common keys, the global ones. */
struct help_out {
    struct sline *lines;
    int rows, row, skip;
};

static struct sline *
help_line(struct help_out *h)
{
    int r = h->row++ - h->skip;
    return r >= 0 && r < h->rows ? &h->lines[r] : NULL;
}

static void
help_section(struct console *c, struct help_out *h, const char *title, enum console_ctx ctx)
{
    const struct binding **v;
    size_t n = console__keymap_list(&c->keymap, ctx, &v);
    struct sline *l = help_line(h);
    if (l)
        console__put(l, ST_HEAD, title, SIZE_MAX);
    int kw = 0;
    for (size_t i = 0; i < n; i++) {
        int w = (int)strlen(v[i]->key);
        kw = w > kw ? w : kw;
    }
    for (size_t i = 0; i < n; i++) {
        if ((l = help_line(h)) == NULL)
            continue;
        console__put_fixed(l, ST_KEY, v[i]->key, kw, 0);
        console__put(l, ST_TEXT, "  ", 2);
        console__put(l, ST_TEXT, v[i]->help, SIZE_MAX);
    }
    free(v);
}

static void
help(struct console *c, const enum view_kind *stack, int depth, struct sline *lines, int rows)
{
    enum console_ctx below = CTX_FLOWLIST;
    if (depth >= 2) {
        switch (stack[depth - 2]) {
        case VIEW_FLOWVIEW:
            below = CTX_FLOWVIEW;
            break;
        case VIEW_EVENTLOG:
            below = CTX_EVENTLOG;
            break;
        case VIEW_GRID:
            below = CTX_GRIDEDITOR;
            break;
        case VIEW_OPTIONS:
            below = CTX_OPTIONS;
            break;
        case VIEW_COMMANDS:
            below = CTX_COMMANDS;
            break;
        case VIEW_KEYBINDINGS:
            below = CTX_KEYBINDINGS;
            break;
        default:
            break;
        }
    }
    struct help_out h = {lines, rows, 0, c->help_scroll};
    struct sline *l = help_line(&h);
    if (l) {
        console__pad_to(l, ST_TEXT, (c->cols - 12) / 2);
        console__put(l, ST_HEADING, "Key Bindings", SIZE_MAX);
    }
    help_section(c, &h, "Common Keybindings", CTX_COMMONKEY);
    help_section(c, &h, "Keybindings for this view", below);
    help_section(c, &h, "Global Keybindings", CTX_GLOBAL);
}

/* statusbar.py's get_status: what is set that changes what one sees. */
static void
status_items(struct console *c, struct sline *l)
{
    const struct options *o = console__opts(c);
    char tmp[512];
    const char *icept = console__opt_str(c, "intercept", "");
    if (*icept) {
        console__put(l, ST_HEADING, "[", 1);
        if (!console__opt_bool(c, "intercept_active", 0))
            console__put(l, ST_HEADING, "X", 1);
        console__put(l, ST_HEADING_KEY, "i", 1);
        snprintf(tmp, sizeof(tmp), ":%s]", icept);
        console__put(l, ST_HEADING, tmp, SIZE_MAX);
    }
    const char *vf = console__opt_str(c, "view_filter", "");
    if (*vf) {
        console__put(l, ST_HEADING, "[", 1);
        console__put(l, ST_HEADING_KEY, "f", 1);
        snprintf(tmp, sizeof(tmp), ":%s]", vf);
        console__put(l, ST_HEADING, tmp, SIZE_MAX);
    }
    const char *cv = console__opt_str(c, "console_default_contentview", "");
    if (*cv && strcmp(cv, "auto") != 0) {
        snprintf(tmp, sizeof(tmp), "[contentview:%s]", cv);
        console__put(l, ST_HEADING, tmp, SIZE_MAX);
    }
    const char *order = console__opt_str(c, "view_order", "");
    if (*order && strcmp(order, "time") != 0) {
        console__put(l, ST_HEADING, "[", 1);
        console__put(l, ST_HEADING_KEY, "o", 1);
        snprintf(tmp, sizeof(tmp), ":%s]", order);
        console__put(l, ST_HEADING, tmp, SIZE_MAX);
    }
    struct buf opts = BUF_INIT;
    const char *flags[] = {o->anticache ? "anticache" : NULL,
                           o->anticomp ? "anticomp" : NULL,
                           o->showhost ? "showhost" : NULL,
                           !o->server_replay_refresh ? "norefresh" : NULL,
                           o->server_replay_kill_extra ? "killextra" : NULL,
                           !o->upstream_cert ? "no-upstream-cert" : NULL,
                           console__opt_bool(c, "console_focus_follow", 0) ? "following" : NULL,
                           o->stream_large_bodies ? o->stream_large_bodies : NULL};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (flags[i] == NULL)
            continue;
        buf_append_str(&opts, opts.len ? ":" : "[");
        buf_append_str(&opts, flags[i]);
    }
    if (opts.len) {
        buf_append_str(&opts, "]");
        console__put(l, ST_HEADING, (const char *)buf_ptr(&opts), opts.len);
    }
    buf_clear(&opts);
    if (o->mode.n && (o->mode.n > 1 || strcmp(o->mode.v[0], "regular") != 0)) {
        for (size_t i = 0; i < o->mode.n; i++) {
            snprintf(tmp, sizeof(tmp), "[%s]", o->mode.v[i]);
            console__put(l, ST_HEADING, tmp, SIZE_MAX);
        }
    }
    if (o->scripts.n) {
        snprintf(tmp, sizeof(tmp), "[scripts:%zu]", o->scripts.n);
        console__put(l, ST_HEADING, tmp, SIZE_MAX);
    }
    if (o->save_stream_file && *o->save_stream_file) {
        snprintf(tmp, sizeof(tmp), "[W:%s]", o->save_stream_file);
        console__put(l, ST_HEADING, tmp, SIZE_MAX);
    }
}

static void
statusbar(struct console *c, struct sline *l)
{
    const struct options *o = console__opts(c);
    char head[64];
    long focus = store_focus_index(c->store);
    /* SYMBOL_UP when reversed, else SYMBOL_DOWN ("⇧" and "⇩"). */
    snprintf(head, sizeof(head), "%s %s [%ld/%zu]",
             store_reversed(c->store) ? "\xe2\x87\xa7" : "\xe2\x87\xa9",
             store_show_marked(c->store) ? "M" : "", focus < 0 ? 0 : focus + 1,
             store_view_len(c->store));
    console__put(l, ST_HEADING, head, SIZE_MAX);
    console__pad_to(l, ST_HEADING, 11);
    status_items(c, l);
    /* The address once the proxy listens (the first screen comes before). */
    char addr[300] = "";
    struct server *srv = master_server(c->master);
    if (o->server && srv && server_listeners(srv)) {
        const char *host = o->listen_host && *o->listen_host && strcmp(o->listen_host, "0.0.0.0")
                               ? o->listen_host
                               : "*";
        snprintf(addr, sizeof(addr), "[%s:%d]", host, server_listener_port(srv, 0));
    }
    int w = console__width(addr, strlen(addr));
    console__pad_to(l, ST_HEADING, c->cols - w);
    console__put(l, ST_HEADING, addr, SIZE_MAX);
}

static void
actionbar(struct console *c, struct sline *l, int row)
{
    switch (c->bar) {
    case BAR_PROMPT: {
        console__put(l, ST_TEXT, ": ", 2);
        /* A long command scrolls so the cursor stays on the screen. */
        const char *p = (const char *)buf_ptr(&c->prompt);
        int before = console__width(p, c->cursor), skip = 0;
        if (before + 2 >= c->cols)
            skip = before + 3 - c->cols;
        size_t off = 0;
        for (int k = 0; k < skip; k++) {
            off++;
            while (off < c->prompt.len && (p[off] & 0xc0) == 0x80)
                off++;
        }
        if (off == 0)
            console__prompt_draw(c, l, p, c->prompt.len);
        else
            console__put(l, ST_TEXT, p + off, c->prompt.len - off);
        c->scr.cursor_row = row;
        c->scr.cursor_col = 2 + before - skip;
        break;
    }
    case BAR_SEARCH: {
        /* status_prompt: "Search for: " and the text, the cursor in it. */
        console__put(l, ST_TEXT, "Search for: ", SIZE_MAX);
        int at = l->used;
        console__put(l, ST_TEXT, (const char *)buf_ptr(&c->prompt), c->prompt.len);
        c->scr.cursor_row = row;
        c->scr.cursor_col = at + console__width((const char *)buf_ptr(&c->prompt), c->cursor);
        break;
    }
    case BAR_QUIT:
        console__put(l, ST_TEXT, "Quit (", SIZE_MAX);
        console__put(l, ST_KEY, "y", 1);
        console__put(l, ST_TEXT, "es,", SIZE_MAX);
        console__put(l, ST_KEY, "n", 1);
        console__put(l, ST_TEXT, "o)?", SIZE_MAX);
        break;
    case BAR_MESSAGE:
        console__put(l, c->message_error ? ST_ERROR : ST_TEXT, c->message ? c->message : "",
                     SIZE_MAX);
        break;
    case BAR_NONE:
        break;
    }
}

/* overlay.Chooser: a box in the middle of the view, choices keyed 1-9, a-z. */
static void
chooser(struct console *c, struct sline *lines, int rows)
{
    struct chooser *ch = &c->chooser;
    int n = (int)ch->choices.n, w = (int)strlen(ch->title) + 6;
    for (int i = 0; i < n; i++) {
        int k = console__width(ch->choices.v[i], strlen(ch->choices.v[i])) + 6;
        w = k > w ? k : w;
    }
    w = w < 25 ? 25 : w > c->cols ? c->cols : w;
    int h = n + 2 > rows ? rows : n + 2;
    int left = (c->cols - w) / 2, top = (rows - h) / 2;
    /* The box replaces the middle of those lines: rebuild each with the view's
     * text cut at left (style kept), the box, then blanks. */
    for (int r = 0; r < h; r++) {
        struct sline *l = &lines[top + r];
        if (l->used > left) {
            /* Cut the line at column left. */
            const char *p = (const char *)buf_ptr(&l->text);
            size_t bytes = console__cut(p, l->text.len, left);
            size_t acc = 0, s = 0;
            for (; s < l->nspans && acc + l->spans[s].len <= bytes; s++)
                acc += l->spans[s].len;
            if (s < l->nspans) {
                l->spans[s].len = (uint32_t)(bytes - acc);
                l->nspans = l->spans[s].len ? s + 1 : s;
            }
            l->text.len = bytes;
            l->used = console__width(p, bytes);
        }
        console__pad_to(l, ST_TEXT, left);
        char item[512];
        if (r == 0 || r == h - 1) {
            struct buf b = BUF_INIT;
            buf_append_str(&b, r == 0 ? "\xe2\x94\x8c" : "\xe2\x94\x94");
            int inner = w - 2;
            const char *t = r == 0 ? ch->title : "";
            int tw = *t ? (int)strlen(t) + 2 : 0;
            int lpad = (inner - tw) / 2;
            for (int k = 0; k < lpad; k++)
                buf_append_str(&b, "\xe2\x94\x80");
            if (*t) {
                buf_append_str(&b, " ");
                buf_append_str(&b, t);
                buf_append_str(&b, " ");
            }
            for (int k = lpad + tw; k < inner; k++)
                buf_append_str(&b, "\xe2\x94\x80");
            buf_append_str(&b, r == 0 ? "\xe2\x94\x90" : "\xe2\x94\x98");
            console__put(l, ST_TEXT, (const char *)buf_ptr(&b), b.len);
            buf_clear(&b);
            continue;
        }
        int i = r - 1;
        char key = i < 9 ? (char)('1' + i) : (char)('a' + i - 9);
        snprintf(item, sizeof(item), "%c) %s", i < 35 ? key : ' ', ch->choices.v[i]);
        console__put(l, ST_TEXT, "\xe2\x94\x82", SIZE_MAX);
        int start = l->used;
        console__put(l, i == ch->focus ? ST_OPTION_SELECTED : ST_TEXT, item, SIZE_MAX);
        console__pad_to(l, i == ch->focus ? ST_OPTION_SELECTED : ST_TEXT, start + w - 2);
        console__put(l, ST_TEXT, "\xe2\x94\x82", SIZE_MAX);
    }
}

/* One pane: its title line (console_layout_headers; heading_inactive when
 * the pane is not focused, as 8.1.1's StackWidget) and the top view of its
 * stack, in rows lines from screen row row0. */
static void
pane(struct console *c, const enum view_kind *stack, int depth, int focused, struct sline *lines,
     int rows, int row0)
{
    static const char *const titles[] = {
        "Flows",   "Flow Details",      "Help",         "Events", "",
        "Options", "Command Reference", "Key Bindings", "Search", "Diff"};
    enum view_kind v = stack[depth - 1];
    if (rows > 0 && console__opt_bool(c, "console_layout_headers", 1)) {
        enum console_style st = focused ? ST_HEADING : ST_HEADING_INACTIVE;
        console__put(lines, st, v == VIEW_GRID && c->grid ? c->grid->title : titles[v], SIZE_MAX);
        console__pad_to(lines, st, c->cols);
        lines++;
        rows--;
        row0++;
    }
    if (rows <= 0)
        return;
    switch (v) {
    case VIEW_FLOWLIST:
        flowlist(c, lines, rows);
        break;
    case VIEW_FLOWVIEW:
        flowview(c, lines, rows);
        break;
    case VIEW_HELP:
        help(c, stack, depth, lines, rows);
        break;
    case VIEW_EVENTLOG:
        pthread_mutex_lock(&console__log_lock);
        eventlog(c, lines, rows);
        pthread_mutex_unlock(&console__log_lock);
        break;
    case VIEW_GRID:
        if (c->grid)
            console__grid_draw(c->grid, lines, rows, c->cols, &c->scr, row0);
        break;
    case VIEW_OPTIONS:
    case VIEW_COMMANDS:
    case VIEW_KEYBINDINGS:
        console__browse_draw(c, v, lines, rows, row0);
        break;
    case VIEW_SEARCH:
        console__search_all_draw(c, lines, rows);
        break;
    case VIEW_DIFF:
        console__diff_draw(c, lines, rows);
        break;
    }
    if (focused && c->chooser.active)
        chooser(c, lines, rows);
}

/* Appends src's spans to dst from column col (a pane drawn on its own). */
static void
append_line(struct sline *dst, const struct sline *src, int col)
{
    const char *p = (const char *)buf_ptr(&src->text);
    if (src->nspans)
        console__pad_to(dst, ST_TEXT, col);
    for (size_t k = 0; k < src->nspans; k++) {
        console__put(dst, src->spans[k].style, p, src->spans[k].len);
        p += src->spans[k].len;
    }
}

/* The two panes side by side: each drawn at its own width, then put next
 * to each other line by line (a typed cell's cursor moves with its pane). */
static void
side_by_side(struct console *c)
{
    for (int p = 0; p < 2; p++) {
        const struct pane_rect *r = &c->panes[p];
        struct screen tmp;
        console__screen_init(&tmp, r->rows, r->cols);
        c->cols = r->cols;
        int had_cursor = c->scr.cursor_row >= 0;
        if (p == c->pane)
            pane(c, c->stack, c->depth, 1, tmp.lines, r->rows, r->row);
        else
            pane(c, c->other_stack, c->other_depth, 0, tmp.lines, r->rows, r->row);
        if (!had_cursor && c->scr.cursor_row >= 0)
            c->scr.cursor_col += r->col;
        for (int i = 0; i < r->rows; i++)
            append_line(&c->scr.lines[r->row + i], &tmp.lines[i], r->col);
        console__screen_clear(&tmp);
    }
}

void
console__layout(struct console *c, int rows, int cols)
{
    if (rows != c->scr.rows || cols != c->scr.cols) {
        console__screen_clear(&c->scr);
        console__screen_init(&c->scr, rows, cols);
    } else {
        console__screen_reset(&c->scr);
    }
    c->rows = rows;
    c->cols = cols;
    if (rows < 3)
        return;
    const char *layout = console__opt_str(c, "console_layout", "single");
    c->npanes = console__panes_geometry(layout, rows - 2, cols, c->panes);
    if (c->npanes == 1) {
        pane(c, c->stack, c->depth, 1, c->scr.lines, rows - 2, 0);
    } else if (c->panes[1].col == 0) {
        /* One above the other: both as wide as the screen. */
        for (int p = 0; p < 2; p++) {
            const struct pane_rect *r = &c->panes[p];
            if (p == c->pane)
                pane(c, c->stack, c->depth, 1, &c->scr.lines[r->row], r->rows, r->row);
            else
                pane(c, c->other_stack, c->other_depth, 0, &c->scr.lines[r->row], r->rows, r->row);
        }
    } else {
        side_by_side(c);
        c->cols = cols;
    }
    statusbar(c, &c->scr.lines[rows - 2]);
    actionbar(c, &c->scr.lines[rows - 1], rows - 1);
}
