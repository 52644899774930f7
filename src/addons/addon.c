/*
 * The addon chain: an ordered array of addons, and the loop that walks one
 * hook through it. The loop is iterative so that a long chain of
 * synchronous addons costs no stack; a deferring addon simply leaves the
 * loop, and addon_resume() re-enters it where it stopped.
 */
#include <stdlib.h>
#include <string.h>

#include "addons/addon.h"
#include "flow/flow.h"
#include "util/xmalloc.h"

struct addon_chain {
    struct addon **v; /* owned addons, in call order */
    size_t n;
    size_t cap;
};

struct addon_chain *
addon_chain_new(void)
{
    return xcalloc(1, sizeof(struct addon_chain));
}

void
addon_chain_free(struct addon_chain *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i]->ops->free)
            c->v[i]->ops->free(c->v[i]);
    free(c->v);
    free(c);
}

void
addon_chain_add(struct addon_chain *c, struct addon *a)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    a->chain = c;
    c->v[c->n++] = a;
}

void
addon_chain_insert(struct addon_chain *c, size_t i, struct addon *a)
{
    if (i > c->n)
        i = c->n;
    addon_chain_add(c, a);
    memmove(&c->v[i + 1], &c->v[i], (c->n - 1 - i) * sizeof(*c->v));
    c->v[i] = a;
}

size_t
addon_chain_len(const struct addon_chain *c)
{
    return c->n;
}

struct addon *
addon_chain_get(const struct addon_chain *c, size_t i)
{
    return i < c->n ? c->v[i] : NULL;
}

struct addon *
addon_chain_find(const struct addon_chain *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i]->ops->name && strcmp(c->v[i]->ops->name, name) == 0)
            return c->v[i];
    return NULL;
}

int
addon_chain_configure(struct addon_chain *c, const struct options *o, struct err *e)
{
    return addon_chain_update(c, o, NULL, e);
}

int
addon_chain_update(struct addon_chain *c, const struct options *o,
                   const struct opt_changes *updated, struct err *e)
{
    for (size_t i = 0; i < c->n; i++) {
        struct addon *a = c->v[i];
        if (a->ops->configure == NULL)
            continue;
        int rc = a->ops->configure(a, o, updated, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void
addon_chain_running(struct addon_chain *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i]->ops->running)
            c->v[i]->ops->running(c->v[i]);
}

/* The hooks readfile.c sends for a loaded flow (eventsequence.iterate). */
static const enum hook flow_hooks[] = {
    HOOK_REQUESTHEADERS, HOOK_REQUEST,         HOOK_RESPONSEHEADERS,   HOOK_RESPONSE,
    HOOK_ERROR,          HOOK_WEBSOCKET_START, HOOK_WEBSOCKET_MESSAGE, HOOK_WEBSOCKET_END,
    HOOK_TCP_START,      HOOK_TCP_MESSAGE,     HOOK_TCP_END,           HOOK_TCP_ERROR,
    HOOK_DNS_REQUEST,    HOOK_DNS_RESPONSE,    HOOK_DNS_ERROR,
};

static int
has_flow_hook(const struct addon_ops *ops)
{
    for (size_t i = 0; i < sizeof(flow_hooks) / sizeof(flow_hooks[0]); i++)
        if (ops->hooks[flow_hooks[i]])
            return 1;
    return 0;
}

struct addon *
addon_chain_loaded_observer(const struct addon_chain *c, const struct addon *skip)
{
    for (size_t i = 0; i < c->n; i++) {
        struct addon *a = c->v[i];
        if (a == skip || !has_flow_hook(a->ops))
            continue;
        /* An addon that says nothing may act: the hooks must run. */
        if (a->ops->acts_on_loaded == NULL || a->ops->acts_on_loaded(a))
            return a;
    }
    return NULL;
}

int
addon_chain_commands(struct addon_chain *c, struct cmds *cmds, struct err *e)
{
    for (size_t i = 0; i < c->n; i++) {
        int rc = c->v[i]->ops->commands ? c->v[i]->ops->commands(c->v[i], cmds, e) : 0;
        if (rc < 0)
            return rc;
    }
    return 0;
}

void
addon_chain_done(struct addon_chain *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i]->ops->done)
            c->v[i]->ops->done(c->v[i]);
}

/*
 * A killed flow stops at the addon that killed it, so later addons do not
 * act on a connection that is going away. The error hook is the exception:
 * it is how a kill ("Connection killed.") is reported, and every addon
 * (the dumper, the flow-file writer) must see it.
 */
static int
stopped(const struct hook_data *d)
{
    return d->hook != HOOK_ERROR && d->flow && d->flow->killed;
}

/*
 * An addon that returns ADDON_DEFER owns the call until it calls
 * addon_resume(), and must not resume it before returning: the loop
 * below would then run the rest of the chain twice. A NULL done callback
 * is allowed for callers that need no completion (tests, fire-and-forget).
 */
static void
run(struct hook_call *call)
{
    struct addon_chain *c = call->chain;
    struct hook_data *d = call->data;
    while (call->next < c->n && !stopped(d)) {
        struct addon *a = c->v[call->next++];
        addon_hook_cb cb = a->ops->hooks[d->hook];
        if (cb && cb(a, call) == ADDON_DEFER)
            return;
    }
    if (call->done)
        call->done(call, call->arg);
}

void
addon_dispatch(struct addon_chain *c, struct hook_call *call, struct hook_data *data,
               hook_done_cb done, void *arg)
{
    call->data = data;
    call->chain = c;
    call->next = 0;
    call->done = done;
    call->arg = arg;
    run(call);
}

void
addon_resume(struct hook_call *call)
{
    run(call);
}

/* An update hook in flight: the call and its data live until the last
 * addon is through (one may defer). */
struct update_call {
    struct hook_call call;
    struct hook_data data;
};

static void
update_done(struct hook_call *call, void *arg)
{
    (void)call;
    struct update_call *u = arg;
    hook_data_clear(&u->data);
    free(u);
}

void
addon_trigger_update(struct addon_chain *c, struct flow *const *flows, size_t n)
{
    if (c == NULL)
        return;
    struct update_call *u = xcalloc(1, sizeof(*u));
    hook_data_init_update(&u->data, flows, n);
    addon_dispatch(c, &u->call, &u->data, update_done, u);
}
