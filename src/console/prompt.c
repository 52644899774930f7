/*
 * The ':' prompt's command buffer (8.1.1's commander.py and the
 * command_history addon): the command coloured as it is typed (a known
 * command, an argument its type refuses, hints for the parameters still
 * to come), tab and shift tab cycling through completions of the piece at
 * the cursor, and a history kept in command_history in the conf dir,
 * which up and down walk, filtered by what was typed first.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "console/internal.h"
#include "master/master.h"
#include "options/opt.h"
#include "util/path.h"
#include "util/xmalloc.h"

/* CommandHistory.VACUUM_SIZE: the file is cut to half of this at exit. */
#define HISTORY_VACUUM 1024

/* _BaseFlowType.valid_prefixes, and the filter language's operators. */
static const char *const flow_specs[] = {
    "@all", "@focus", "@shown", "@hidden", "@marked", "@unmarked", "~q", "~s", "~a", "~hq",
    "~hs",  "~b",     "~bq",    "~bs",     "~t",      "~d",        "~m", "~u", "~c"};
static const char *const filter_ops[] = {
    "~a",      "~all",    "~b",    "~bq", "~bs",     "~c",       "~comment",  "~d",
    "~dns",    "~dst",    "~e",    "~h",  "~hq",     "~hs",      "~http",     "~m",
    "~marked", "~marker", "~meta", "~q",  "~replay", "~replayq", "~replays",  "~s",
    "~src",    "~t",      "~tcp",  "~tq", "~ts",     "~u",       "~websocket"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- history -------------------------------------------------------------------- */

static char *
history_path(struct console *c)
{
    return console__confdir_file(c, "command_history");
}

static int
history_enabled(struct console *c)
{
    return console__opts(c)->command_history;
}

/* commands.history.filter: the entries that start with prefix, then prefix. */
void
console__history_filter(struct console *c, const char *prefix)
{
    struct prompt_state *ps = &c->ps;
    strv_clear(&ps->filtered);
    for (size_t i = 0; i < ps->history.n; i++)
        if (strncmp(ps->history.v[i], prefix, strlen(prefix)) == 0)
            strv_push(&ps->filtered, ps->history.v[i]);
    strv_push(&ps->filtered, prefix);
    ps->index = ps->filtered.n - 1;
}

void
console__history_load(struct console *c)
{
    struct prompt_state *ps = &c->ps;
    strv_clear(&ps->history);
    char *path = history_enabled(c) ? history_path(c) : NULL;
    FILE *fp = path ? fopen(path, "r") : NULL;
    if (fp) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, fp)) > 0) {
            while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            strv_push(&ps->history, line);
        }
        free(line);
        fclose(fp);
    }
    free(path);
    console__history_filter(c, "");
}

void
console__history_add(struct console *c, const char *cmd)
{
    const char *p = cmd;
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return;
    strv_push(&c->ps.history, cmd);
    char *path = history_enabled(c) ? history_path(c) : NULL;
    if (path) {
        FILE *fp = fopen(path, "a");
        if (fp == NULL || fprintf(fp, "%s\n", cmd) < 0)
            log_msg(LOG_ALERT, "Failed writing to %s: %s", path, strerror(errno));
        if (fp)
            fclose(fp);
        free(path);
    }
    console__history_filter(c, "");
}

/* CommandHistory.done: a long file keeps its newer half. */
void
console__history_done(struct console *c)
{
    struct prompt_state *ps = &c->ps;
    char *path = history_enabled(c) && ps->history.n >= HISTORY_VACUUM ? history_path(c) : NULL;
    if (path == NULL)
        return;
    FILE *fp = fopen(path, "w");
    for (size_t i = ps->history.n - HISTORY_VACUUM / 2; fp && i < ps->history.n; i++)
        fprintf(fp, "%s\n", ps->history.v[i]);
    if (fp == NULL || fclose(fp) != 0)
        log_msg(LOG_ALERT, "Failed writing to %s", path);
    free(path);
}

static void
set_text(struct console *c, const char *text)
{
    buf_reset(&c->prompt);
    buf_append_str(&c->prompt, text);
    c->cursor = c->prompt.len;
}

/* up: the previous entry that starts with what was typed before. */
static void
history_prev(struct console *c)
{
    struct prompt_state *ps = &c->ps;
    if (!ps->active_filter) {
        ps->active_filter = 1;
        free(ps->filter_str);
        ps->filter_str = buf_strdup(&c->prompt);
        console__history_filter(c, ps->filter_str);
    }
    if (ps->index > 0)
        ps->index--;
    set_text(c, ps->filtered.v[ps->index]);
}

static void
history_next(struct console *c)
{
    struct prompt_state *ps = &c->ps;
    char *prev = buf_strdup(&c->prompt);
    if (ps->index + 1 < ps->filtered.n)
        ps->index++;
    const char *cmd = ps->filtered.v[ps->index];
    if (*cmd == '\0') {
        if (ps->filter_str && strcmp(prev, ps->filter_str) == 0) {
            set_text(c, prev);
        } else {
            ps->active_filter = 0;
            console__history_filter(c, "");
            free(ps->filter_str);
            ps->filter_str = NULL;
            set_text(c, "");
        }
    } else {
        set_text(c, cmd);
    }
    free(prev);
}

/* ---- completion ------------------------------------------------------------------ */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
push_if(struct strv *sv, const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) == 0)
        strv_push(sv, s);
}

/* The names of a command's parameters (its signature, after the name). */
static size_t
param_names(struct cmds *cmds, const char *cmd, struct strv *out)
{
    struct buf sig = BUF_INIT;
    cmds_signature(cmds, cmd, &sig);
    char *s = buf_strdup(&sig);
    buf_clear(&sig);
    char *arrow = strstr(s, " -> ");
    if (arrow)
        *arrow = '\0';
    char *save = NULL;
    strtok_r(s, " ", &save); /* the name */
    for (char *t = strtok_r(NULL, " ", &save); t; t = strtok_r(NULL, " ", &save))
        strv_push(out, t);
    free(s);
    return out->n;
}

/* PathType.completion: the entries of the directory the prefix names. */
static void
complete_path(const char *prefix, struct strv *out)
{
    const char *start = *prefix ? prefix : "./";
    char *full = path_expand_home(start);
    const char *slash = strrchr(start, '/');
    size_t dirlen = slash ? (size_t)(slash - start) + 1 : 0;
    char *dir = xstrdup(full);
    char *fs = strrchr(dir, '/');
    const char *base = "";
    if (fs) {
        base = start + dirlen;
        fs[1] = '\0';
    } else {
        free(dir);
        dir = xstrdup("./");
        base = start;
    }
    DIR *d = opendir(dir);
    struct buf b = BUF_INIT;
    for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (strncmp(de->d_name, base, strlen(base)) != 0)
            continue;
        buf_reset(&b);
        buf_append(&b, start, dirlen);
        buf_append_str(&b, de->d_name);
        if (de->d_type == DT_DIR)
            buf_append_str(&b, "/");
        char *s = buf_strdup(&b);
        strv_push(out, s);
        free(s);
    }
    if (d)
        closedir(d);
    buf_clear(&b);
    free(dir);
    free(full);
}

/* A choice parameter's options: the command named like it with .options. */
static void
complete_choice(struct cmds *cmds, const char *cmd, struct strv *out)
{
    char name[256];
    snprintf(name, sizeof(name), "%s.options", cmd);
    char *dot = NULL;
    if (!cmds_has(cmds, name) && (dot = strrchr(cmd, '.')) != NULL)
        snprintf(name, sizeof(name), "%.*s.options", (int)(dot - cmd), cmd);
    struct cmds_value ret = {0};
    if (cmds_has(cmds, name) && cmds_execute(cmds, name, &ret, NULL) == 0 && ret.type == CMDS_STRS)
        for (size_t i = 0; i < ret.strs.n; i++)
            strv_push(out, ret.strs.v[i]);
    cmds_value_clear(&ret);
}

/* The completions of a piece of type t at argument argi of cmd. */
static void
completions(struct console *c, const char *cmd, size_t argi, enum cmds_type t, const char *prefix,
            struct strv *out)
{
    struct cmds *cmds = master_commands(c->master);
    struct strv all = {0};
    /* A filter expression being typed: its last word's operator. */
    const char *tilde = strrchr(prefix, '~');
    if (tilde && strchr(tilde, ' ') == NULL &&
        (t == CMDS_STR || t == CMDS_FLOW || t == CMDS_FLOWS || t == CMDS_ARG)) {
        for (size_t i = 0; i < N(filter_ops); i++) {
            struct buf b = BUF_INIT;
            buf_append(&b, prefix, (size_t)(tilde - prefix));
            buf_append_str(&b, filter_ops[i]);
            char *s = buf_strdup(&b);
            strv_push(&all, s);
            free(s);
            buf_clear(&b);
        }
    } else if (t == CMDS_CMD) {
        const char **names;
        size_t n = cmds_names(cmds, &names);
        for (size_t i = 0; i < n; i++)
            strv_push(&all, names[i]);
    } else if (t == CMDS_BOOL || t == CMDS_MARKER) {
        strv_push(&all, "false");
        strv_push(&all, "true");
    } else if (t == CMDS_FLOW || t == CMDS_FLOWS) {
        for (size_t i = 0; i < N(flow_specs); i++)
            strv_push(&all, flow_specs[i]);
    } else if (t == CMDS_PATH) {
        complete_path(prefix, &all);
    } else if (t == CMDS_CHOICE) {
        complete_choice(cmds, cmd, &all);
    } else if (cmd && argi == 1) {
        /* The option argument of set and its kin: every option's name. */
        struct strv names = {0};
        param_names(cmds, cmd, &names);
        const char *p = names.n ? names.v[0] : "";
        if (strcmp(p, "option") == 0 || strcmp(p, "option_name") == 0 ||
            (strcmp(p, "name") == 0 && strncmp(cmd, "options.", 8) == 0))
            for (size_t i = 0; i < opt_count(); i++)
                strv_push(&all, opt_at(i)->name);
        strv_clear(&names);
    }
    for (size_t i = 0; i < all.n; i++)
        push_if(out, all.v[i], prefix);
    strv_clear(&all);
    if (out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), cmp_str);
}

/* CommandBuffer.cycle_completion */
static void
cycle(struct console *c, int forward)
{
    struct prompt_state *ps = &c->ps;
    if (!ps->completing) {
        struct cmds *cmds = master_commands(c->master);
        char *head = xmalloc(c->cursor + 1);
        memcpy(head, buf_ptr(&c->prompt), c->cursor);
        head[c->cursor] = '\0';
        struct cmds_part *parts;
        enum cmds_type next = CMDS_NONE;
        size_t n = cmds_parse_partial(cmds, head, &parts, &next);
        size_t words = 0;
        for (size_t i = 0; i < n; i++)
            words += parts[i].type != CMDS_NONE;
        char *cmd = NULL;
        for (size_t i = 0; i < n && cmd == NULL; i++)
            if (parts[i].type != CMDS_NONE)
                cmd = cmds_unquote(parts[i].p, parts[i].len);
        char *prefix;
        enum cmds_type t;
        size_t keep, argi;
        if (n && parts[n - 1].type != CMDS_NONE) {
            t = parts[n - 1].type;
            prefix = cmds_unquote(parts[n - 1].p, parts[n - 1].len);
            keep = (size_t)(parts[n - 1].p - head);
            argi = words - 1;
        } else if (next != CMDS_NONE || n == 0) {
            t = n == 0 ? CMDS_CMD : next;
            prefix = xstrdup("");
            keep = c->cursor;
            argi = words;
        } else {
            free(parts);
            free(head);
            free(cmd);
            return;
        }
        strv_clear(&ps->options);
        completions(c, argi == 0 ? NULL : cmd, argi, argi == 0 ? CMDS_CMD : t, prefix,
                    &ps->options);
        free(ps->start);
        ps->start = prefix;
        free(ps->parsed);
        ps->parsed = xmalloc(keep + 1);
        memcpy(ps->parsed, head, keep);
        ps->parsed[keep] = '\0';
        ps->pos = -1;
        ps->completing = 1;
        free(parts);
        free(head);
        free(cmd);
    }
    const char *nxt = ps->start;
    if (ps->options.n) {
        if (ps->pos == -1)
            ps->pos = forward ? 0 : (long)ps->options.n - 1;
        else
            ps->pos = (ps->pos + (forward ? 1 : -1) + (long)ps->options.n) % (long)ps->options.n;
        nxt = ps->options.v[ps->pos];
    }
    buf_reset(&c->prompt);
    buf_append_str(&c->prompt, ps->parsed);
    /* A completion with a blank is quoted, as the lexer will read it. */
    if (strpbrk(nxt, " \t'\""))
        cmds_quote(nxt, &c->prompt);
    else
        buf_append_str(&c->prompt, nxt);
    c->cursor = c->prompt.len;
}

/* ---- keys ------------------------------------------------------------------------ */

int
console__prompt_key(struct console *c, const char *key)
{
    struct prompt_state *ps = &c->ps;
    if (strcmp(key, "tab") == 0 || strcmp(key, "shift tab") == 0) {
        cycle(c, key[0] == 't');
        return 1;
    }
    ps->completing = 0;
    if (strcmp(key, "up") == 0 || strcmp(key, "ctrl p") == 0) {
        history_prev(c);
    } else if (strcmp(key, "down") == 0 || strcmp(key, "ctrl n") == 0) {
        history_next(c);
    } else if (strcmp(key, "ctrl b") == 0) {
        console__line_key(&c->prompt, &c->cursor, "left");
    } else if (strcmp(key, "ctrl f") == 0) {
        console__line_key(&c->prompt, &c->cursor, "right");
    } else if (strcmp(key, "space") == 0 && c->cursor == 0) {
        /* No blank before the command. */
    } else {
        int r = console__line_key(&c->prompt, &c->cursor, key);
        if (strcmp(key, "backspace") == 0 && c->prompt.len == 0) {
            ps->active_filter = 0;
            console__history_filter(c, "");
        }
        return r;
    }
    return 1;
}

void
console__prompt_state_clear(struct prompt_state *ps)
{
    strv_clear(&ps->history);
    strv_clear(&ps->filtered);
    strv_clear(&ps->options);
    free(ps->filter_str);
    free(ps->start);
    free(ps->parsed);
    memset(ps, 0, sizeof(*ps));
}

/* ---- drawing --------------------------------------------------------------------- */

void
console__prompt_draw(struct console *c, struct sline *l, const char *text, size_t len)
{
    struct cmds *cmds = master_commands(c->master);
    char *s = xmalloc(len + 1);
    memcpy(s, text, len);
    s[len] = '\0';
    struct cmds_part *parts;
    enum cmds_type next = CMDS_NONE;
    size_t n = cmds_parse_partial(cmds, s, &parts, &next);
    size_t words = 0;
    char *cmd = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct cmds_part *p = &parts[i];
        if (p->type != CMDS_NONE && words++ == 0)
            cmd = cmds_unquote(p->p, p->len);
        enum console_style st = !p->valid             ? ST_COMMANDER_INVALID
                                : p->type == CMDS_CMD ? ST_COMMANDER_COMMAND
                                                      : ST_TEXT;
        console__put(l, st, p->p, p->len);
    }
    /* The parameters still to come, as hints. */
    if (cmd && cmds_has(cmds, cmd)) {
        struct strv names = {0};
        param_names(cmds, cmd, &names);
        size_t given = words - 1;
        if (given < names.n) {
            if (n && parts[n - 1].type != CMDS_NONE)
                console__put(l, ST_TEXT, " ", 1);
            for (size_t i = given; i < names.n; i++) {
                console__put(l, ST_COMMANDER_HINT, names.v[i], SIZE_MAX);
                console__put(l, ST_COMMANDER_HINT, " ", 1);
            }
        }
        strv_clear(&names);
    }
    free(cmd);
    free(parts);
    free(s);
}

/* ---- commands.history.* ------------------------------------------------------------ */

static struct console *
con(void *arg)
{
    return arg;
}

static int
cmd_add(void *arg, struct cmds_call *call, struct err *e)
{
    console__history_add(con(arg), cmds_arg(call, 0)->s);
    return 0;
}

static int
cmd_get(void *arg, struct cmds_call *call, struct err *e)
{
    struct strv sv = {0};
    for (size_t i = 0; i < con(arg)->ps.history.n; i++)
        strv_push(&sv, con(arg)->ps.history.v[i]);
    cmds_return_strs(call, &sv);
    return 0;
}

static int
cmd_clear(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    char *path = history_path(c);
    if (path && remove(path) < 0 && errno != ENOENT)
        log_msg(LOG_ALERT, "Failed deleting %s: %s", path, strerror(errno));
    free(path);
    strv_clear(&c->ps.history);
    console__history_filter(c, "");
    return 0;
}

static int
cmd_filter(void *arg, struct cmds_call *call, struct err *e)
{
    console__history_filter(con(arg), cmds_arg(call, 0)->s);
    return 0;
}

static int
cmd_next(void *arg, struct cmds_call *call, struct err *e)
{
    struct prompt_state *ps = &con(arg)->ps;
    if (ps->index + 1 < ps->filtered.n)
        ps->index++;
    cmds_return_str(call, ps->filtered.v[ps->index]);
    return 0;
}

static int
cmd_prev(void *arg, struct cmds_call *call, struct err *e)
{
    struct prompt_state *ps = &con(arg)->ps;
    if (ps->index > 0)
        ps->index--;
    cmds_return_str(call, ps->filtered.v[ps->index]);
    return 0;
}

static const struct cmds_param p_command[] = {{"command", CMDS_STR, 0, NULL}};
static const struct cmds_param p_prefix[] = {{"prefix", CMDS_STR, 0, NULL}};

static const struct console__cmd commands[] = {
    {"commands.history.add", NULL, p_command, N(p_command), CMDS_NONE, cmd_add},
    {"commands.history.get", "Get the entire command history.", NULL, 0, CMDS_STRS, cmd_get},
    {"commands.history.clear", NULL, NULL, 0, CMDS_NONE, cmd_clear},
    {"commands.history.filter", NULL, p_prefix, N(p_prefix), CMDS_NONE, cmd_filter},
    {"commands.history.next", NULL, NULL, 0, CMDS_STR, cmd_next},
    {"commands.history.prev", NULL, NULL, 0, CMDS_STR, cmd_prev},
};

int
console__prompt_commands(struct console *c, struct cmds *cmds, struct err *e)
{
    return console__add_commands(c, cmds, commands, N(commands), e);
}
