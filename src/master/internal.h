/* Shared between the master's files; not for other modules. */
#ifndef MP_MASTER_INTERNAL_H
#define MP_MASTER_INTERNAL_H

#include "master/master.h"
#include "util/err.h"

struct cmds;
struct master;

/* Adds the core commands (set, flow.*, options.*; core.c) to cmds. */
int master__core_commands(struct master *, struct cmds *, struct err *e);
/* Adds inject.websocket and inject.tcp (inject.c). */
int master__inject_commands(struct master *, struct cmds *, struct err *e);

/* master_read_flows(); sliced: between the loop's events, a slice at a
 * time (the interactive tools), so that done runs from the loop. */
int master__read_flows(struct master *, master_read_cb done, void *arg, int sliced, struct err *e);

/* Whether -r is still being read (readfile.reading). */
int master__reading(const struct master *);
/* How the last -r reads (master.c): 0 every flow through the hooks; 1
 * the store's own load is to take it over after the first slice, no addon
 * but the store seeing its flows; 2 it did. */
int master__read_by_store(const struct master *);

/*
 * The script loader's constructor in the plugin (script/script.h):
 * script_loader_new(master, pydir, e).
 */
struct addon;
typedef struct addon *(*master__script_new_cb)(struct master *, const char *pydir, struct err *e);
/* Finds the script plugin and our Python package from the tool's own
 * location (the build tree, or an installation's lib/mitmproxy-c/): 0 with
 * both paths filled, or MP_ERR_NOTFOUND naming where it looked. */
int master__script_find(char *so, size_t solen, char *pydir, size_t pydirlen, struct err *e);
/* Opens the script plugin master__script_find() names and returns its
 * constructor, with our Python package's directory in pydir; NULL with e if none. */
master__script_new_cb master__script_plugin(char *pydir, size_t pydirlen, struct err *e);

#endif
