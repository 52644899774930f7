/*
 * Addons: the ordered chain every hook goes through (mitmproxy's
 * AddonManager). Built-in addons (dumper, save, ...) and, later, the Python
 * bridge and the UIs implement struct addon_ops.
 *
 * A hook function either finishes at once (returns ADDON_CONTINUE) or keeps
 * the call for later (returns ADDON_DEFER, e.g. interception or a UI edit)
 * and calls addon_resume() when done, from the thread that owns the chain.
 * While a call is deferred its flow stays paused; nothing else waits.
 */
#ifndef MP_ADDONS_ADDON_H
#define MP_ADDONS_ADDON_H

#include <stddef.h>

#include "proxy/hook.h"
#include "util/err.h"

struct addon;
struct addon_chain;
struct cmds;
struct hook_call;
struct options;
struct opt_changes;
struct flow;

enum addon_result { ADDON_CONTINUE, ADDON_DEFER };

typedef enum addon_result (*addon_hook_cb)(struct addon *, struct hook_call *);
typedef void (*hook_done_cb)(struct hook_call *, void *arg);

struct addon_ops {
    const char *name;
    /*
     * Called at start-up with updated NULL (every option), and again with
     * the options that changed whenever some do. On an error the addon
     * keeps its previous state; the caller then configures every addon
     * again with the previous options (mitmproxy's rollback).
     */
    int (*configure)(struct addon *, const struct options *, const struct opt_changes *updated,
                     struct err *e);
    /* The proxy is up (or, with -n, flows are about to be read). */
    void (*running)(struct addon *);
    /* Shutting down: flush and close files. */
    void (*done)(struct addon *);
    void (*free)(struct addon *);
    /* Adds the addon's commands (mitmproxy's @command.command methods) to
     * the registry; their functions get the addon as arg. NULL: none. */
    int (*commands)(struct addon *, struct cmds *, struct err *e);
    addon_hook_cb hooks[HOOK__COUNT]; /* NULL: not interested */
    /*
     * Whether the flow hooks above, as the addon is configured now, may
     * read or change a flow read from a file (-r: not live, no
     * connection behind it). 0 only where they are sure no-ops for it;
     * -r then may skip the hooks (addon_chain_loaded_observer()). NULL:
     * they may, whenever the addon has a flow hook at all.
     */
    int (*acts_on_loaded)(struct addon *);
};

struct addon {
    const struct addon_ops *ops;
    struct addon_chain *chain; /* the chain it is in (set by addon_chain_add); borrowed */
};

/* One dispatch of one hook through the chain. Owned by whoever started it. */
struct hook_call {
    struct hook_data *data; /* borrowed until done runs */
    struct addon_chain *chain;
    size_t next; /* index of the next addon to run */
    hook_done_cb done;
    void *arg;
};

/* An empty chain; addon_chain_free() frees the addons too. */
struct addon_chain *addon_chain_new(void);
void addon_chain_free(struct addon_chain *);
/* Appends a (the chain takes ownership). */
void addon_chain_add(struct addon_chain *, struct addon *a);
/* Inserts a before the addon at index i (at the end if i is past it); the
 * chain takes ownership. Only before any hook runs: a call in flight holds
 * an index. */
void addon_chain_insert(struct addon_chain *, size_t i, struct addon *a);
size_t addon_chain_len(const struct addon_chain *);
struct addon *addon_chain_get(const struct addon_chain *, size_t i);
struct addon *addon_chain_find(const struct addon_chain *, const char *name);
/* configure() on each addon in order with every option; stops at the
 * first error. */
int addon_chain_configure(struct addon_chain *, const struct options *, struct err *e);
/* configure() on each addon in order with the options in updated, which
 * opts already hold. Stops at the first error. */
int addon_chain_update(struct addon_chain *, const struct options *opts,
                       const struct opt_changes *updated, struct err *e);
void addon_chain_running(struct addon_chain *);
/*
 * The first addon but skip that may read or change a flow -r loads: one
 * with a hook of the flow sequences (requestheaders ... dns_error) whose
 * acts_on_loaded is NULL or says it may. NULL when the hooks of a loaded
 * flow are no-ops for every addon but skip (the flow store, which -r can
 * fill without them).
 */
struct addon *addon_chain_loaded_observer(const struct addon_chain *, const struct addon *skip);
/* commands() of each addon in order; stops at the first error. */
int addon_chain_commands(struct addon_chain *, struct cmds *, struct err *e);
/*
 * Raises the update hook for flows a command or a UI changed (mitmproxy's
 * addons.trigger(UpdateHook(flows))), so that the flow store and the UIs
 * show them again. A reference is taken on each while the hook runs.
 */
void addon_trigger_update(struct addon_chain *, struct flow *const *flows, size_t n);
void addon_chain_done(struct addon_chain *);

/*
 * Runs call->data through the chain from the first addon. done(call, arg)
 * runs when the last addon is through: before this returns if none
 * deferred, otherwise from the addon_resume() that finishes it. A killed
 * flow skips the remaining addons.
 */
void addon_dispatch(struct addon_chain *, struct hook_call *call, struct hook_data *data,
                    hook_done_cb done, void *arg);
/* Continues a deferred call with the addon after the one that deferred.
 * Call it only after the hook function that returned ADDON_DEFER has
 * returned (from a later callback, a timer, a UI action). */
void addon_resume(struct hook_call *);

#endif
