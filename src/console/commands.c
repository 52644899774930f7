/*
 * The console.* commands (8.1.1's tools/console/consoleaddons.py), which
 * the key bindings name: views, navigation, the prompt, the chooser and
 * the flow view's mode (editing is edit.c's, key bindings keys.c's,
 * the layout panes panes.c's).
 */
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "console/internal.h"
#include "flow/flow.h"
#include "master/master.h"
#include "options/opt.h"
#include "util/xmalloc.h"

static struct console *
con(void *arg)
{
    return arg;
}

char *
console__joined_args(struct cmds_call *call, size_t from)
{
    struct buf b = BUF_INIT;
    for (size_t i = from; i < cmds_nargs(call); i++) {
        const struct cmds_value *v = cmds_arg(call, i);
        if (v->type == CMDS_STRS || v->type == CMDS_CUTSPEC) {
            for (size_t k = 0; k < v->strs.n; k++) {
                if (b.len)
                    buf_append_str(&b, " ");
                buf_append_str(&b, v->strs.v[k]);
            }
        } else if (v->s) {
            if (b.len)
                buf_append_str(&b, " ");
            buf_append_str(&b, v->s);
        }
    }
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

void
console__strs_arg(const struct cmds_value *v, struct strv *out)
{
    if (v->type == CMDS_STRS) {
        for (size_t i = 0; i < v->strs.n; i++)
            strv_push(out, v->strs.v[i]);
        return;
    }
    char *list = xstrdup(v->s ? v->s : "");
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
        strv_push(out, t);
    free(list);
}

static int
cmd_command(void *arg, struct cmds_call *call, struct err *e)
{
    char *s = console__joined_args(call, 0);
    console__prompt(con(arg), s, SIZE_MAX);
    free(s);
    return 0;
}

/* console.command.set: "set name 'value'" with the cursor inside the quotes. */
static int
cmd_command_set(void *arg, struct cmds_call *call, struct err *e)
{
    const char *name = cmds_arg(call, 0)->s;
    const struct opt_info *o = opt_find(name);
    if (o == NULL)
        return err_set(e, MP_ERR_NOTFOUND, "No such option: %s", name);
    char value[4096];
    opt_format_value(console__opts(con(arg)), o, value, sizeof(value));
    if (o->type == OPT_OPTSTR && strcmp(value, "null") == 0)
        value[0] = '\0';
    struct buf b = BUF_INIT;
    buf_append_str(&b, "set ");
    buf_append_str(&b, name);
    buf_append_str(&b, " '");
    buf_append_str(&b, value);
    buf_append_str(&b, "'");
    char *s = buf_strdup(&b);
    console__prompt(con(arg), s, b.len - 1);
    free(s);
    buf_clear(&b);
    return 0;
}

static int
cmd_view_flow(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    struct flow *f = cmds_arg(call, 0)->flow;
    if (f == NULL)
        return 0;
    store_set_focus(c->store, f->id);
    console__push(c, VIEW_FLOWVIEW);
    return 0;
}

static int
cmd_view_pop(void *arg, struct cmds_call *call, struct err *e)
{
    console__pop(con(arg));
    return 0;
}

static int
cmd_view_help(void *arg, struct cmds_call *call, struct err *e)
{
    console__push(con(arg), VIEW_HELP);
    return 0;
}

static int
cmd_view_eventlog(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    c->log_follow = 1;
    console__push(c, VIEW_EVENTLOG);
    return 0;
}

static int
cmd_view_options(void *arg, struct cmds_call *call, struct err *e)
{
    console__push(con(arg), VIEW_OPTIONS);
    return 0;
}

static int
cmd_view_commands(void *arg, struct cmds_call *call, struct err *e)
{
    console__push(con(arg), VIEW_COMMANDS);
    return 0;
}

static int
cmd_view_keybindings(void *arg, struct cmds_call *call, struct err *e)
{
    console__push(con(arg), VIEW_KEYBINDINGS);
    return 0;
}

static int
cmd_options_reset_focus(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    if (c->stack[c->depth - 1] != VIEW_OPTIONS)
        return err_set(e, MP_ERR_INVAL, "Not viewing options.");
    const struct opt_info *o = console__focused_option(c);
    if (o == NULL)
        return 0;
    struct buf line = BUF_INIT;
    buf_append_str(&line, "options.reset.one ");
    buf_append_str(&line, o->name);
    char *s = buf_strdup(&line);
    buf_clear(&line);
    struct cmds_value ret = {0};
    int rc = cmds_execute(master_commands(c->master), s, &ret, e);
    cmds_value_clear(&ret);
    free(s);
    console__dirty(c);
    return rc;
}

static int
cmd_exit(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    c->exit_requested = 1;
    master_shutdown(c->master);
    return 0;
}

#define NAV(fn, which)                                                                             \
    static int fn(void *arg, struct cmds_call *call, struct err *e)                                \
    {                                                                                              \
        console__nav(con(arg), which);                                                             \
        return 0;                                                                                  \
    }
NAV(nav_start, NAV_START)
NAV(nav_end, NAV_END)
NAV(nav_up, NAV_UP)
NAV(nav_down, NAV_DOWN)
NAV(nav_pageup, NAV_PAGEUP)
NAV(nav_pagedown, NAV_PAGEDOWN)
NAV(nav_next, NAV_NEXT)
NAV(nav_select, NAV_SELECT)
NAV(nav_left, NAV_LEFT)
NAV(nav_right, NAV_RIGHT)

static void
choose(struct console *c, const char *title, struct strv *choices, char *command)
{
    struct chooser *ch = &c->chooser;
    free(ch->title);
    free(ch->command);
    strv_clear(&ch->choices);
    ch->title = xstrdup(title);
    ch->choices = *choices;
    memset(choices, 0, sizeof(*choices));
    ch->command = command;
    ch->focus = 0;
    ch->active = 1;
    console__dirty(c);
}

/* console.choose prompt choices *cmd: choices is "a,b,c" on the command line. */
static int
cmd_choose(void *arg, struct cmds_call *call, struct err *e)
{
    struct strv choices = {0};
    console__strs_arg(cmds_arg(call, 1), &choices);
    choose(con(arg), cmds_arg(call, 0)->s, &choices, console__joined_args(call, 2));
    return 0;
}

/* console.choose.cmd prompt choicecmd *cmd: the choices are what choicecmd returns. */
static int
cmd_choose_cmd(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    struct cmds_value ret = {0};
    int rc = cmds_execute(master_commands(c->master), cmds_arg(call, 1)->s, &ret, e);
    if (rc < 0)
        return rc;
    if (ret.type != CMDS_STRS) {
        cmds_value_clear(&ret);
        return err_set(e, MP_ERR_INVAL, "Command must return a list of strings");
    }
    choose(c, cmds_arg(call, 0)->s, &ret.strs, console__joined_args(call, 2));
    cmds_value_clear(&ret);
    return 0;
}

/* The modes the m key offers: every content view, by the option's lower-case names. */
static int
cmd_mode_options(void *arg, struct cmds_call *call, struct err *e)
{
    struct strv sv = {0};
    for (int i = 0; i < cv_view_count(); i++) {
        char name[64];
        if (cv_view_name((enum cv_view)i) == NULL)
            continue; /* a script's view, removed */
        snprintf(name, sizeof(name), "%s", cv_view_name((enum cv_view)i));
        for (char *p = name; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        strv_push(&sv, name);
    }
    cmds_return_strs(call, &sv);
    return 0;
}

static int
cmd_mode_set(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    const char *mode = cmds_arg(call, 0)->s;
    if (cv_view_find(mode) < 0)
        return err_set(e, MP_ERR_INVAL, "Invalid flowview mode.");
    const char *id = store_focus_id(c->store);
    if (id == NULL)
        return 0;
    store_set_setting(c->store, id, "flowview_mode", mode);
    console__flowview_invalidate(&c->fv);
    console__dirty(c);
    return 0;
}

static int
cmd_mode_get(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    cmds_return_str(call, console__flowview_mode(c, store_focus_id(c->store)));
    return 0;
}

static int
cmd_eventstore_clear(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = con(arg);
    size_t cap = c->log.cap;
    console__eventlog_clear(&c->log);
    console__eventlog_init(&c->log, cap);
    console__dirty(c);
    return 0;
}

#define P(name, type)                                                                              \
    {                                                                                              \
        name, CMDS_##type, 0, NULL                                                                 \
    }
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmds_param p_command[] = {{"command_str", CMDS_STR, 1, NULL}};
static const struct cmds_param p_option[] = {P("option_name", STR)};
static const struct cmds_param p_flow[] = {P("flow", FLOW)};
/* 8.1.1's signatures: the command, then its arguments (*args). */
static const struct cmds_param p_choose[] = {
    P("prompt", STR), P("choices", STRS), P("cmd", CMD), {"args", CMDS_ARG, 1, NULL}};
static const struct cmds_param p_choose_cmd[] = {
    P("prompt", STR), P("choicecmd", CMD), P("subcmd", CMD), {"args", CMDS_ARG, 1, NULL}};
static const struct cmds_param p_mode[] = {P("mode", STR)};

static const struct console__cmd commands[] = {
    {"console.command", "Prompt the user to edit a command with a (possibly empty) starting value.",
     p_command, N(p_command), CMDS_NONE, cmd_command},
    {"console.command.set", "Prompt the user to set an option.", p_option, N(p_option), CMDS_NONE,
     cmd_command_set},
    {"console.view.flow", "View a flow.", p_flow, N(p_flow), CMDS_NONE, cmd_view_flow},
    {"console.view.pop", "Pop a view off the console stack.", NULL, 0, CMDS_NONE, cmd_view_pop},
    {"console.view.help", "View help.", NULL, 0, CMDS_NONE, cmd_view_help},
    {"console.view.eventlog", "View event log.", NULL, 0, CMDS_NONE, cmd_view_eventlog},
    {"console.view.options", "View options.", NULL, 0, CMDS_NONE, cmd_view_options},
    {"console.view.commands", "View available commands.", NULL, 0, CMDS_NONE, cmd_view_commands},
    {"console.view.keybindings", "View the commands list.", NULL, 0, CMDS_NONE,
     cmd_view_keybindings},
    {"console.options.reset.focus", "Reset the current option in the options editor.", NULL, 0,
     CMDS_NONE, cmd_options_reset_focus},
    {"console.exit", "Exit mitmproxy.", NULL, 0, CMDS_NONE, cmd_exit},
    {"console.nav.start", "Go to the start of a list or scrollable.", NULL, 0, CMDS_NONE,
     nav_start},
    {"console.nav.end", "Go to the end of a list or scrollable.", NULL, 0, CMDS_NONE, nav_end},
    {"console.nav.next", "Go to the next navigatable item.", NULL, 0, CMDS_NONE, nav_next},
    {"console.nav.select", "Select a navigable item for viewing or editing.", NULL, 0, CMDS_NONE,
     nav_select},
    {"console.nav.up", "Go up.", NULL, 0, CMDS_NONE, nav_up},
    {"console.nav.down", "Go down.", NULL, 0, CMDS_NONE, nav_down},
    {"console.nav.pageup", "Go up.", NULL, 0, CMDS_NONE, nav_pageup},
    {"console.nav.pagedown", "Go down.", NULL, 0, CMDS_NONE, nav_pagedown},
    {"console.nav.left", "Go left.", NULL, 0, CMDS_NONE, nav_left},
    {"console.nav.right", "Go right.", NULL, 0, CMDS_NONE, nav_right},
    {"console.choose",
     "Prompt the user to choose from a specified list of strings, then invoke another command "
     "with all occurrences of {choice} replaced by the choice the user made.",
     p_choose, N(p_choose), CMDS_NONE, cmd_choose},
    {"console.choose.cmd",
     "Prompt the user to choose from a list of strings returned by a command, then invoke "
     "another command with all occurrences of {choice} replaced by the choice the user made.",
     p_choose_cmd, N(p_choose_cmd), CMDS_NONE, cmd_choose_cmd},
    {"console.flowview.mode.options", "Returns the valid options for the flowview mode.", NULL, 0,
     CMDS_STRS, cmd_mode_options},
    {"console.flowview.mode.set", "Set the display mode for the current flow view.", p_mode,
     N(p_mode), CMDS_NONE, cmd_mode_set},
    {"console.flowview.mode", "Get the display mode for the current flow view.", NULL, 0, CMDS_STR,
     cmd_mode_get},
    {"eventstore.clear", "Clear the event log.", NULL, 0, CMDS_NONE, cmd_eventstore_clear},
};

int
console__add_commands(struct console *c, struct cmds *cmds, const struct console__cmd *table,
                      size_t n, struct err *e)
{
    for (size_t i = 0; i < n; i++) {
        int rc = cmds_add(cmds, table[i].name, table[i].help, table[i].params, table[i].nparams,
                          table[i].ret, table[i].fn, c, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int
console__commands(struct console *c, struct cmds *cmds, struct err *e)
{
    int rc = console__add_commands(c, cmds, commands, N(commands), e);
    if (rc == 0)
        rc = console__edit_commands(c, cmds, e);
    if (rc == 0)
        rc = console__key_commands(c, cmds, e);
    if (rc == 0)
        rc = console__prompt_commands(c, cmds, e);
    if (rc == 0)
        rc = console__panes_commands(c, cmds, e);
    if (rc == 0)
        rc = console__scriptrun_commands(c, cmds, e);
    if (rc == 0)
        rc = console__search_all_commands(c, cmds, e);
    if (rc == 0)
        rc = console__diff_commands(c, cmds, e);
    return rc;
}
