#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "proxy/event.h"
#include "util/xmalloc.h"

const char *
ev_type_name(enum ev_type t)
{
    switch (t) {
#define X(name, str)                                                                               \
    case EV_##name:                                                                                \
        return str;
        EV_TYPE_MAP(X)
#undef X
    }
    return "?";
}

/* The copy's data and err live in the same allocation as the event. */
struct event *
event_dup(const struct event *ev)
{
    size_t errlen = ev->err ? strlen(ev->err) + 1 : 0;
    size_t datalen = ev->type == EV_DATA || ev->type == EV_INJECT ? ev->data.len : 0;
    struct event *c = xmalloc(sizeof(*c) + datalen + errlen);
    uint8_t *tail = (uint8_t *)(c + 1);
    *c = *ev;
    if (datalen) {
        memcpy(tail, ev->data.p, datalen);
        c->data = (struct slice){tail, datalen};
    } else {
        c->data = (struct slice){NULL, 0};
    }
    if (errlen) {
        memcpy(tail + datalen, ev->err, errlen);
        c->err = (const char *)(tail + datalen);
    }
    if (c->flow)
        flow_ref(c->flow);
    return c;
}

void
event_free(struct event *ev)
{
    if (ev && ev->flow)
        flow_unref(ev->flow);
    free(ev);
}
