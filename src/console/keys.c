/*
 * Rebinding keys (8.1.1's keymap.py KeymapConfig and the console.key.*
 * commands of consoleaddons.py): keys.yaml in the conf dir is read when
 * the console starts, console.keymap.load reads another file, and the key
 * binding browser binds, unbinds, edits and runs bindings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "console/internal.h"
#include "util/path.h"
#include "util/xmalloc.h"

/* The contexts' bits; an unknown name is an error naming it. */
static int
contexts_of(const struct strv *names, unsigned *out, struct err *e)
{
    *out = 0;
    for (size_t i = 0; i < names->n; i++) {
        int c = console__ctx_find(names->v[i]);
        if (c < 0)
            return err_set(e, MP_ERR_INVAL, "Unsupported context: %s", names->v[i]);
        *out |= 1u << c;
    }
    return 0;
}

int
console__keys_load(struct console *c, const char *path, struct err *e)
{
    char *full = path_expand_home(path);
    FILE *fp = fopen(full, "rb");
    if (fp == NULL) {
        int rc = errno == ENOENT ? 0 : err_set(e, MP_ERR_IO, "%s: %s", full, strerror(errno));
        free(full);
        return rc;
    }
    struct buf text = BUF_INIT;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0 && text.len < (1u << 20))
        buf_append(&text, chunk, n);
    fclose(fp);
    struct keyspec *specs = NULL;
    struct err sub = {0};
    long count = console__keys_parse((const char *)buf_ptr(&text), text.len, &specs, &sub);
    buf_clear(&text);
    int rc = 0;
    if (count < 0)
        rc = err_set(e, MP_ERR_SYNTAX, "Error reading %s: %s", full, sub.msg);
    for (long i = 0; i < count && rc == 0; i++) {
        unsigned ctx = 1u << CTX_GLOBAL;
        if (specs[i].ctx.n && contexts_of(&specs[i].ctx, &ctx, &sub) < 0) {
            rc = err_set(e, MP_ERR_INVAL, "Error reading %s: %s", full, sub.msg);
            break;
        }
        console__keymap_remove(&c->keymap, specs[i].key, ctx);
        console__keymap_add(&c->keymap, specs[i].key, specs[i].cmd, ctx, specs[i].help);
    }
    if (count > 0)
        console__keyspecs_free(specs, (size_t)count);
    free(full);
    console__dirty(c);
    return rc;
}

static struct console *
con(void *arg)
{
    return arg;
}

static int
cmd_contexts(void *arg, struct cmds_call *call, struct err *e)
{
    struct strv sv = {0};
    for (int i = 0; i < CTX__COUNT; i++)
        strv_push(&sv, console__ctx_name((enum console_ctx)i));
    cmds_return_strs(call, &sv);
    return 0;
}

/* The contexts argument: a list, or "a,b" typed as one string. */
static int
contexts_arg(const struct cmds_value *v, unsigned *out, struct err *e)
{
    struct strv names = {0};
    console__strs_arg(v, &names);
    int rc = contexts_of(&names, out, e);
    strv_clear(&names);
    return rc;
}

/* console.key.bind contexts key cmd *args */
static int
cmd_bind(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    unsigned ctx;
    if (contexts_arg(cmds_arg(call, 0), &ctx, e) < 0)
        return MP_ERR_INVAL;
    /* The command and its arguments, one line (the command is never empty). */
    char *s = console__joined_args(call, 2);
    console__keymap_add(&c->keymap, cmds_arg(call, 1)->s, s, ctx, "");
    free(s);
    console__dirty(c);
    return 0;
}

static int
cmd_unbind(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    unsigned ctx;
    if (contexts_arg(cmds_arg(call, 0), &ctx, e) < 0)
        return MP_ERR_INVAL;
    console__keymap_remove(&c->keymap, cmds_arg(call, 1)->s, ctx);
    console__dirty(c);
    return 0;
}

static const struct binding *
keyfocus(struct console *c, struct err *e)
{
    if (c->stack[c->depth - 1] != VIEW_KEYBINDINGS) {
        err_set(e, MP_ERR_INVAL, "Not viewing key bindings.");
        return NULL;
    }
    const struct binding *b = console__focused_binding(c);
    if (b == NULL)
        err_set(e, MP_ERR_NOTFOUND, "No key binding focused");
    return b;
}

static int
cmd_unbind_focus(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    const struct binding *b = keyfocus(c, e);
    if (b == NULL)
        return MP_ERR_INVAL;
    char *key = xstrdup(b->key);
    console__keymap_remove(&c->keymap, key, b->contexts);
    free(key);
    console__dirty(c);
    return 0;
}

static int
cmd_execute_focus(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    const struct binding *b = keyfocus(c, e);
    if (b == NULL)
        return MP_ERR_INVAL;
    console__prompt(c, b->command, SIZE_MAX);
    return 0;
}

/* The prompt with console.key.bind and the binding as it is. */
static int
cmd_edit_focus(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    const struct binding *b = keyfocus(c, e);
    if (b == NULL)
        return MP_ERR_INVAL;
    struct buf line = BUF_INIT, ctx = BUF_INIT;
    for (int i = 0; i < CTX__COUNT; i++)
        if (b->contexts & (1u << i)) {
            if (ctx.len)
                buf_append_str(&ctx, ",");
            buf_append_str(&ctx, console__ctx_name((enum console_ctx)i));
        }
    char *cs = buf_strdup(&ctx);
    buf_append_str(&line, "console.key.bind ");
    cmds_quote(cs, &line);
    buf_append_str(&line, " ");
    cmds_quote(b->key, &line);
    buf_append_str(&line, " ");
    buf_append_str(&line, b->command);
    char *s = buf_strdup(&line);
    console__prompt(c, s, SIZE_MAX);
    free(s);
    free(cs);
    buf_clear(&line);
    buf_clear(&ctx);
    return 0;
}

static int
cmd_keymap_load(void *arg, struct cmds_call *call, struct err *e)
{
    struct err sub = {0};
    if (console__keys_load(con(arg), cmds_arg(call, 0)->s, &sub) < 0)
        return err_set(e, MP_ERR_INVAL, "Could not load key bindings - %s", sub.msg);
    return 0;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmds_param p_bind[] = {{"contexts", CMDS_STRS, 0, NULL},
                                           {"key", CMDS_STR, 0, NULL},
                                           {"cmd", CMDS_CMD, 0, NULL},
                                           {"args", CMDS_ARG, 1, NULL}};
static const struct cmds_param p_unbind[] = {{"contexts", CMDS_STRS, 0, NULL},
                                             {"key", CMDS_STR, 0, NULL}};
static const struct cmds_param p_path[] = {{"path", CMDS_PATH, 0, NULL}};

static const struct console__cmd commands[] = {
    {"console.key.contexts", "The available contexts for key binding.", NULL, 0, CMDS_STRS,
     cmd_contexts},
    {"console.key.bind", "Bind a shortcut key.", p_bind, N(p_bind), CMDS_NONE, cmd_bind},
    {"console.key.unbind", "Un-bind a shortcut key.", p_unbind, N(p_unbind), CMDS_NONE, cmd_unbind},
    {"console.key.unbind.focus",
     "Un-bind the shortcut key currently focused in the key binding viewer.", NULL, 0, CMDS_NONE,
     cmd_unbind_focus},
    {"console.key.execute.focus", "Execute the currently focused key binding.", NULL, 0, CMDS_NONE,
     cmd_execute_focus},
    {"console.key.edit.focus", "Execute the currently focused key binding.", NULL, 0, CMDS_NONE,
     cmd_edit_focus},
    {"console.keymap.load", NULL, p_path, N(p_path), CMDS_NONE, cmd_keymap_load},
};

int
console__key_commands(struct console *c, struct cmds *cmds, struct err *e)
{
    return console__add_commands(c, cmds, commands, N(commands), e);
}
