#include <string.h>

#include "flow/connection.h"
#include "flow/flow.h"
#include "proxy/hook.h"

const char *
hook_name(enum hook h)
{
    switch (h) {
#define X(name, str)                                                                               \
    case HOOK_##name:                                                                              \
        return str;
        HOOK_MAP(X)
#undef X
    case HOOK__COUNT:
        break;
    }
    return "?";
}

void
hook_data_init(struct hook_data *d, enum hook h, struct flow *f, struct connection *client,
               struct connection *server)
{
    d->hook = h;
    d->flow = f ? flow_ref(f) : NULL;
    d->client = client ? connection_ref(client) : NULL;
    d->server = server ? connection_ref(server) : NULL;
}

void
hook_data_clear(struct hook_data *d)
{
    if (d->flow)
        flow_unref(d->flow);
    if (d->client)
        connection_unref(d->client);
    if (d->server)
        connection_unref(d->server);
    d->flow = NULL;
    d->client = NULL;
    d->server = NULL;
}
