/*
 * The three browsers of 8.1.1's console: options (options.py), commands
 * (commands.py) and key bindings (keybindings.py). Each is a list with a
 * focus over a help pane of five lines that shows the focused item's help.
 * The options list edits too: enter toggles a bool, offers the choices of
 * an option that has them, opens a sequence in a grid editor, and types
 * any other value in place (enter sets it, esc gives up).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "console/internal.h"
#include "master/master.h"
#include "options/opt.h"
#include "util/xmalloc.h"

/* 8.1.1's HELP_HEIGHT: the help pane, its heading included. */
#define HELP_HEIGHT 5

/* ---- the items of each list -------------------------------------------------- */

size_t
console__browse_len(struct console *c, enum view_kind v)
{
    const char **names;
    switch (v) {
    case VIEW_OPTIONS: {
        const struct opt_info **o;
        size_t n = opt_listed(&o);
        free(o);
        return n;
    }
    case VIEW_COMMANDS:
        return cmds_names(master_commands(c->master), &names);
    case VIEW_KEYBINDINGS: {
        const struct binding **b;
        size_t n = console__keymap_list(&c->keymap, CTX__COUNT, &b);
        free(b);
        return n;
    }
    default:
        return 0;
    }
}

struct browser *
console__browser(struct console *c, enum view_kind v)
{
    switch (v) {
    case VIEW_OPTIONS:
        return &c->browse[0];
    case VIEW_COMMANDS:
        return &c->browse[1];
    case VIEW_KEYBINDINGS:
        return &c->browse[2];
    default:
        return NULL;
    }
}

/* The focused option, or NULL. */
const struct opt_info *
console__focused_option(struct console *c)
{
    const struct opt_info **v;
    size_t n = opt_listed(&v);
    struct browser *b = &c->browse[0];
    const struct opt_info *o = n ? v[b->focus < (long)n ? b->focus : (long)n - 1] : NULL;
    free(v);
    return o;
}

/* The focused key binding (in the key map), or NULL. */
const struct binding *
console__focused_binding(struct console *c)
{
    const struct binding **v;
    size_t n = console__keymap_list(&c->keymap, CTX__COUNT, &v);
    struct browser *b = &c->browse[2];
    const struct binding *r = n ? v[b->focus < (long)n ? b->focus : (long)n - 1] : NULL;
    free(v);
    return r;
}

/* ---- drawing --------------------------------------------------------------------- */

/* textwrap.wrap(text, cols): lines of whole words where they fit. */
static void
help_pane(struct sline *lines, int cols, const char *title, const char *text)
{
    console__put(&lines[0], ST_HEADING_INACTIVE, title, SIZE_MAX);
    console__pad_to(&lines[0], ST_HEADING_INACTIVE, cols);
    const char *p = text ? text : "";
    for (int r = 1; r < HELP_HEIGHT && *p; r++) {
        while (*p == ' ' || *p == '\n')
            p++;
        size_t take = 0, last_space = 0;
        int w = 0;
        while (p[take] && w < cols) {
            if (p[take] == ' ' || p[take] == '\n')
                last_space = take;
            if (p[take] == '\n')
                break;
            take++;
            w++;
            while ((p[take] & 0xc0) == 0x80)
                take++;
        }
        if (p[take] && p[take] != ' ' && p[take] != '\n' && last_space)
            take = last_space;
        console__put(&lines[r], ST_TEXT, p, take);
        p += take;
    }
}

/* Keeps the focus inside the rows shown. */
static void
follow(struct browser *b, long n, int rows)
{
    if (b->focus >= n)
        b->focus = n - 1;
    if (b->focus < 0)
        b->focus = 0;
    if (b->focus < b->top)
        b->top = b->focus;
    if (b->focus >= b->top + rows)
        b->top = b->focus - rows + 1;
    if (b->top < 0)
        b->top = 0;
}

/* An option's value as 8.1.1's list shows it ("" for none or empty). */
static void
option_value(const struct options *o, const struct opt_info *info, struct buf *out)
{
    switch (info->type) {
    case OPT_BOOL:
        buf_append_str(out, opt_get_bool(o, info) ? "true" : "false");
        break;
    case OPT_INT: {
        long v = opt_get_int(o, info);
        if (v)
            buf_printf(out, "%ld", v);
        break;
    }
    case OPT_STR:
    case OPT_OPTSTR: {
        const char *s = opt_get_str(o, info);
        if (s)
            buf_append_str(out, s);
        break;
    }
    case OPT_SEQ: {
        /* pprint.pformat of a list of str. */
        const struct strv *sv = opt_get_seq(o, info);
        if (sv->n == 0)
            break;
        buf_append_str(out, "[");
        for (size_t i = 0; i < sv->n; i++) {
            buf_append_str(out, i ? ", '" : "'");
            buf_append_str(out, sv->v[i]);
            buf_append_str(out, "'");
        }
        buf_append_str(out, "]");
        break;
    }
    }
}

static int
option_changed(const struct options *o, const struct opt_info *info)
{
    static struct options *defaults;
    if (defaults == NULL)
        defaults = opt_new(); /* kept: the registry's defaults, for every console */
    char a[4096], b[4096];
    opt_format_value(o, info, a, sizeof(a));
    opt_format_value(defaults, info, b, sizeof(b));
    return strcmp(a, b) != 0;
}

static void
draw_options(struct console *c, struct sline *lines, int rows, int row0)
{
    struct browser *b = &c->browse[0];
    const struct opt_info **v;
    size_t n = opt_listed(&v);
    int list = rows - HELP_HEIGHT;
    follow(b, (long)n, list);
    int namew = 0;
    for (size_t i = 0; i < n; i++) {
        int w = (int)strlen(v[i]->name);
        namew = w > namew ? w : namew;
    }
    const struct options *o = console__opts(c);
    struct buf val = BUF_INIT;
    for (int r = 0; r < list && b->top + r < (long)n; r++) {
        const struct opt_info *info = v[b->top + r];
        struct sline *l = &lines[r];
        int focused = b->top + r == b->focus;
        console__put_fixed(l, ST_TITLE, info->name, namew, 0);
        console__put(l, ST_TEXT, "  ", 2);
        if (focused && b->editing) {
            int at = l->used;
            console__put(l, ST_TEXT, (const char *)buf_ptr(&b->edit), b->edit.len);
            c->scr.cursor_row = row0 + r;
            c->scr.cursor_col = at + console__width((const char *)buf_ptr(&b->edit), b->cursor);
            continue;
        }
        int changed = option_changed(o, info);
        enum console_style st = focused ? (changed ? ST_OPTION_ACTIVE_SELECTED : ST_OPTION_SELECTED)
                                        : (changed ? ST_OPTION_ACTIVE : ST_TEXT);
        buf_reset(&val);
        option_value(o, info, &val);
        console__put(l, st, (const char *)buf_ptr(&val), val.len);
        if (st != ST_TEXT)
            console__pad_to(l, st, l->width);
    }
    buf_clear(&val);
    help_pane(&lines[list], c->cols, "Option Help", n ? v[b->focus]->help : "");
    free(v);
}

static void
draw_commands(struct console *c, struct sline *lines, int rows)
{
    struct browser *b = &c->browse[1];
    struct cmds *cmds = master_commands(c->master);
    const char **names;
    size_t n = cmds_names(cmds, &names);
    int list = rows - HELP_HEIGHT;
    follow(b, (long)n, list);
    struct buf sig = BUF_INIT;
    for (int r = 0; r < list && b->top + r < (long)n; r++) {
        struct sline *l = &lines[r];
        const char *name = names[b->top + r];
        console__put(l, ST_FOCUS, b->top + r == b->focus ? ">> " : "   ", 3);
        console__put(l, ST_TITLE, name, SIZE_MAX);
        /* The signature after the name: parameters, then " -> " and the type. */
        buf_reset(&sig);
        cmds_signature(cmds, name, &sig);
        const char *s = (const char *)buf_ptr(&sig) + strlen(name);
        size_t len = sig.len - strlen(name);
        const char *arrow = NULL;
        for (size_t i = 0; i + 4 <= len; i++)
            if (memcmp(s + i, " -> ", 4) == 0)
                arrow = s + i;
        size_t before = arrow ? (size_t)(arrow - s) : len;
        /* " params" only when there are some (the signature pads). */
        const char *pp = s;
        size_t pn = before;
        while (pn && *pp == ' ') {
            pp++;
            pn--;
        }
        while (pn && pp[pn - 1] == ' ')
            pn--;
        if (pn) {
            console__put(l, ST_TEXT, " ", 1);
            console__put(l, ST_TEXT, pp, pn);
        }
        if (arrow) {
            console__put(l, ST_TITLE, " -> ", 4);
            console__put(l, ST_TEXT, arrow + 4, len - before - 4);
        }
    }
    buf_clear(&sig);
    help_pane(&lines[list], c->cols, "Command Help", n ? cmds_help(cmds, names[b->focus]) : "");
}

static int
popcount(unsigned x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

static void
draw_keybindings(struct console *c, struct sline *lines, int rows)
{
    struct browser *b = &c->browse[2];
    const struct binding **v;
    size_t n = console__keymap_list(&c->keymap, CTX__COUNT, &v);
    int list = rows - HELP_HEIGHT;
    /* A binding takes a line per context: the first shown stays unless
     * the focused binding's lines would leave the screen (as urwid's
     * ListBox keeps its rows still while the focus is on them). */
    if (b->focus >= (long)n)
        b->focus = (long)n - 1;
    if (b->focus < 0)
        b->focus = 0;
    if (b->focus < b->top)
        b->top = b->focus;
    for (;;) {
        int used = 0;
        for (long i = b->top; i <= b->focus && i < (long)n; i++)
            used += popcount(v[i]->contexts);
        if (used <= list || b->top >= b->focus)
            break;
        b->top++;
    }
    int r = 0;
    for (long i = b->top; i < (long)n && r < list; i++) {
        int first = 1;
        for (int k = 0; k < CTX__COUNT && r < list; k++) {
            if (!(v[i]->contexts & (1u << k)))
                continue;
            struct sline *l = &lines[r++];
            console__put(l, ST_FOCUS, first && i == b->focus ? ">>  " : "    ", 4);
            console__put_fixed(l, ST_TITLE, first ? v[i]->key : "", 10, 0);
            const char *ctx = console__ctx_name((enum console_ctx)k);
            if (first)
                console__put_fixed(l, ST_HIGHLIGHT, ctx, 12, 0);
            else
                console__put(l, ST_HIGHLIGHT, ctx, SIZE_MAX);
            if (first) {
                /* textwrap.dedent(command).strip() */
                const char *cmd = v[i]->command;
                size_t cn = strlen(cmd);
                while (cn && (*cmd == ' ' || *cmd == '\n')) {
                    cmd++;
                    cn--;
                }
                while (cn && (cmd[cn - 1] == ' ' || cmd[cn - 1] == '\n'))
                    cn--;
                console__put(l, ST_TEXT, cmd, cn);
            }
            first = 0;
        }
    }
    help_pane(&lines[list], c->cols, "Key Binding Help", n ? v[b->focus]->help : "");
    free(v);
}

void
console__browse_draw(struct console *c, enum view_kind v, struct sline *lines, int rows, int row0)
{
    if (rows <= HELP_HEIGHT)
        return;
    switch (v) {
    case VIEW_OPTIONS:
        draw_options(c, lines, rows, row0);
        break;
    case VIEW_COMMANDS:
        draw_commands(c, lines, rows);
        break;
    case VIEW_KEYBINDINGS:
        draw_keybindings(c, lines, rows);
        break;
    default:
        break;
    }
}

/*
 * A click on row y of the browser's pane (0: its first list row). As
 * urwid's ListBox does, a row of the list is focused; the help pane below
 * takes no clicks. The rows are those of the last draw (top is where it
 * left it); a key binding takes one row per context.
 */
void
console__browse_click(struct console *c, enum view_kind v, int y, int rows)
{
    struct browser *b = console__browser(c, v);
    if (b == NULL || y < 0 || y >= rows - HELP_HEIGHT || b->editing)
        return;
    long i = b->top + y;
    if (v == VIEW_KEYBINDINGS) {
        const struct binding **bv;
        size_t n = console__keymap_list(&c->keymap, CTX__COUNT, &bv);
        int r = 0;
        for (i = b->top; i < (long)n; i++) {
            r += popcount(bv[i]->contexts);
            if (r > y)
                break;
        }
        free(bv);
    }
    if (i < (long)console__browse_len(c, v))
        b->focus = i;
    console__dirty(c);
}

/* ---- keys -------------------------------------------------------------------------- */

/* enter on the options list. */
static void
select_option(struct console *c)
{
    const struct opt_info *o = console__focused_option(c);
    if (o == NULL)
        return;
    struct buf line = BUF_INIT;
    if (o->type == OPT_BOOL) {
        buf_printf(&line, "set %s toggle", o->name);
    } else if (o->choices && *o->choices) {
        /* The chooser, then set with the choice. */
        char *list = xstrdup(o->choices);
        for (char *p = list; *p; p++)
            if (*p == '|')
                *p = ',';
        buf_append_str(&line, "console.choose ");
        cmds_quote(o->name, &line);
        buf_append_str(&line, " ");
        cmds_quote(list, &line);
        buf_printf(&line, " set %s {choice}", o->name);
        free(list);
    } else if (o->type == OPT_SEQ) {
        /* OptionsEditor: one column, a row per value. */
        static const char *const heading[] = {""};
        struct grid *g = console__grid_new(o->name, 1, heading, -1);
        const struct strv *sv = opt_get_seq(console__opts(c), o);
        for (size_t i = 0; i < sv->n; i++) {
            struct slice cell = slice_cstr(sv->v[i]);
            console__grid_append(g, &cell);
        }
        g->part = xstrdup("option");
        g->flow_id = xstrdup(o->name);
        console__grid_free(c->grid);
        c->grid = g;
        console__push(c, VIEW_GRID);
    } else {
        struct browser *b = &c->browse[0];
        buf_reset(&b->edit);
        option_value(console__opts(c), o, &b->edit);
        b->cursor = b->edit.len;
        b->editing = 1;
    }
    if (line.len) {
        char *s = buf_strdup(&line);
        console__execute(c, s);
        free(s);
    }
    buf_clear(&line);
    console__dirty(c);
}

/* A key while an option's value is typed. */
void
console__browse_edit_key(struct console *c, const char *key)
{
    struct browser *b = &c->browse[0];
    if (strcmp(key, "esc") == 0) {
        b->editing = 0;
    } else if (strcmp(key, "enter") == 0) {
        const struct opt_info *o = console__focused_option(c);
        b->editing = 0;
        if (o) {
            struct buf arg = BUF_INIT;
            buf_printf(&arg, "%s=", o->name);
            buf_append(&arg, buf_ptr(&b->edit), b->edit.len);
            char *s = buf_strdup(&arg);
            struct err e = {0};
            const char *set[] = {s};
            if (master_set(c->master, set, 1, &e) < 0)
                console__message(c, 1, "%s", e.msg);
            free(s);
            buf_clear(&arg);
        }
    } else {
        console__line_key(&b->edit, &b->cursor, key);
    }
    console__dirty(c);
}

void
console__browse_nav(struct console *c, enum view_kind v, enum nav n, int page)
{
    struct browser *b = console__browser(c, v);
    if (b == NULL)
        return;
    if (n == NAV_SELECT) {
        if (v == VIEW_OPTIONS) {
            select_option(c);
        } else if (v == VIEW_COMMANDS) {
            const char **names;
            size_t nn = cmds_names(master_commands(c->master), &names);
            if (b->focus >= 0 && b->focus < (long)nn) {
                char line[256];
                snprintf(line, sizeof(line), "%s ", names[b->focus]);
                console__prompt(c, line, SIZE_MAX);
            }
        } else {
            console__execute(c, "console.key.edit.focus");
        }
    }
    console__nav_focus(&b->focus, n, page, (long)console__browse_len(c, v));
    console__dirty(c);
}
