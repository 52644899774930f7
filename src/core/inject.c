/*
 * Messages addons inject into live flows (server_inject). The flow names
 * its client connection, which names the pconn that proxies it; the event
 * goes in through that pconn's feed like any other, so a layer that waits
 * on a hook keeps it queued and sees it in order.
 */
#include <stdlib.h>

#include "core/internal.h"
#include "flow/flow.h"
#include "util/xmalloc.h"

struct injection {
    struct server *srv;
    struct flow *flow; /* one reference */
    int from_client;
    int ws_type;
    struct buf data; /* owned */
};

/* The pconn proxying f now, or NULL. A walk: injections are rare. */
static struct pconn *
proxying(struct server *srv, const struct flow *f)
{
    if (!f->live || f->client_conn == NULL || srv->stopping)
        return NULL;
    for (struct pconn *pc = srv->pconns; pc; pc = pc->next)
        if (pc->client == f->client_conn && !pc->dead && pc->root)
            return pc;
    return NULL;
}

static void
deliver(void *arg)
{
    struct injection *j = arg;
    struct pconn *pc = proxying(j->srv, j->flow);
    if (pc) {
        struct event ev = {
            .type = EV_INJECT,
            .flow = j->flow,
            .from_client = j->from_client,
            .msg_type = j->ws_type,
            .data = buf_slice(&j->data),
        };
        core__hold(pc);
        core__feed(pc, &ev);
        core__release(pc);
    }
    flow_unref(j->flow);
    buf_clear(&j->data);
    free(j);
}

int
server_inject(struct server *srv, struct flow *f, int from_client, int ws_type, const void *p,
              size_t n, struct err *e)
{
    if (proxying(srv, f) == NULL)
        return err_set(e, MP_ERR_NOTFOUND, "Flow is not from a live connection.");
    struct injection *j = xcalloc(1, sizeof(*j));
    j->srv = srv;
    j->flow = flow_ref(f);
    j->from_client = from_client;
    j->ws_type = ws_type;
    buf_append(&j->data, p, n);
    server_post(srv, deliver, j);
    return 0;
}
