/* Shared between the master's files; not for other modules. */
#ifndef MP_MASTER_INTERNAL_H
#define MP_MASTER_INTERNAL_H

#include "util/err.h"

struct cmds;
struct master;

/* Adds the core commands (set, flow.*, options.*; core.c) to cmds. */
int master__core_commands(struct master *, struct cmds *, struct err *e);

/* Whether -r is still being read (readfile.reading). */
int master__reading(const struct master *);

#endif
