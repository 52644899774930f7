/*
 * script.run (mitmproxy's ScriptLoader command, which | in the flow list
 * and the flow view prompts for): the script at a path runs once over
 * the flows, through the script plugin, which opens when first needed
 * (master_script_run). The flows it changed are updated, so the list,
 * the view and the other addons see the changes.
 */
#include "addons/addon.h"
#include "commands/commands.h"
#include "console/internal.h"
#include "master/master.h"

static int
cmd_script_run(void *arg, struct cmds_call *call, struct err *e)
{
    struct console *c = arg;
    const struct cmds_flows *fl = &cmds_arg(call, 0)->flows;
    const char *path = cmds_arg(call, 1)->s;
    int rc = master_script_run(c->master, path, fl->v, fl->n, e);
    if (rc == 0 && fl->n)
        addon_trigger_update(master_chain(c->master), fl->v, fl->n);
    console__flowview_invalidate(&c->fv);
    console__dirty(c);
    return rc;
}

static const struct cmds_param p_run[] = {{"flows", CMDS_FLOWS, 0, NULL},
                                          {"path", CMDS_PATH, 0, NULL}};

static const struct console__cmd commands[] = {
    {"script.run",
     "Run a script on the specified flows. The script is configured with the current options and "
     "all lifecycle events for each flow are simulated. Note that the load event is not invoked.",
     p_run, 2, CMDS_NONE, cmd_script_run},
};

int
console__scriptrun_commands(struct console *c, struct cmds *cmds, struct err *e)
{
    return console__add_commands(c, cmds, commands, 1, e);
}
