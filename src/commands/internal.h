/* Shared between the files of commands/ only. */
#ifndef MP_COMMANDS_INTERNAL_H
#define MP_COMMANDS_INTERNAL_H

#include "commands/commands.h"

struct command_def {
    char *name;
    char *help; /* NULL: none */
    struct cmds_param *params; /* owned, names copied */
    size_t nparams;
    size_t required; /* parameters a call must give: nparams but a variadic or optional ones */
    enum cmds_type ret;
    cmds_fn fn;
    void *arg;
};

struct cmds {
    struct command_def *v; /* sorted by name */
    size_t n, cap;
    const char **names; /* the names, for cmds_names() */
    cmds_resolve_cb resolve;
    void *resolve_arg;
};

struct cmds_call {
    struct cmds *cmds;
    struct cmds_value *args;
    size_t nargs;
    struct cmds_value *ret; /* where the result goes; never NULL inside */
};

/* Parses s as p's type into v (zeroed first). */
int cmds__parse(struct cmds *, const struct cmds_param *p, const char *s, struct cmds_value *v,
                struct err *e);
void cmds__flows_clear(struct cmds_flows *);

#endif
