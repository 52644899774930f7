#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "flow/internal.h"
#include "flow/tnetstring.h"
#include "util/clock.h"
#include "util/xmalloc.h"

struct flow *
flow_new(enum flow_type type)
{
    struct flow *f = xcalloc(1, sizeof(*f));
    atomic_init(&f->refs, 1);
    f->type = type;
    uuid_new(f->id);
    f->marked = xstrdup("");
    f->comment = xstrdup("");
    return f;
}

struct flow *
flow_new_http(struct connection *client, struct connection *server)
{
    struct flow *f = flow_new(FLOW_HTTP);
    f->client_conn = client ? connection_ref(client) : NULL;
    f->server_conn = server ? connection_ref(server) : NULL;
    f->timestamp_created = clock_now();
    f->live = 1;
    return f;
}

struct flow *
flow_new_tcp(struct connection *client, struct connection *server)
{
    struct flow *f = flow_new(FLOW_TCP);
    f->client_conn = client ? connection_ref(client) : NULL;
    f->server_conn = server ? connection_ref(server) : NULL;
    f->timestamp_created = clock_now();
    f->live = 1;
    return f;
}

struct tcp_message *
flow_tcp_add_message(struct flow *f, int from_client, const void *p, size_t n)
{
    if (f->nmessages == f->capmessages) {
        f->capmessages = f->capmessages ? f->capmessages * 2 : 8;
        f->messages = xrealloc(f->messages, f->capmessages * sizeof(*f->messages));
    }
    struct tcp_message *m = &f->messages[f->nmessages++];
    m->from_client = from_client ? 1 : 0;
    buf_init(&m->content);
    buf_append(&m->content, p, n);
    m->timestamp = clock_now();
    m->dropped = 0;
    return m;
}

struct flow *
flow_ref(struct flow *f)
{
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

static void
error_free(struct flow_error *err)
{
    if (err) {
        free(err->msg);
        free(err);
    }
}

int
flow_shared(const struct flow *f)
{
    return atomic_load_explicit(&f->refs, memory_order_acquire) > 1;
}

void
flow_unref(struct flow *f)
{
    if (f == NULL)
        return;
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
        return;
    connection_unref(f->client_conn);
    connection_unref(f->server_conn);
    error_free(f->error);
    free(f->marked);
    free(f->comment);
    tns_free(f->metadata);
    if (f->request)
        http_request_free(f->request);
    if (f->response)
        http_response_free(f->response);
    tns_free(f->websocket);
    for (size_t i = 0; i < f->nmessages; i++)
        buf_clear(&f->messages[i].content);
    free(f->messages);
    tns_free(f->extra);
    free(f);
}

void
flow_set_error(struct flow *f, const char *msg)
{
    struct flow_error *err = xmalloc(sizeof(*err));
    err->msg = xstrdup(msg);
    err->timestamp = clock_now();
    error_free(f->error);
    f->error = err;
}

void
flow_kill(struct flow *f)
{
    flow_set_error(f, "Connection killed.");
    f->killed = 1;
    f->intercepted = 0;
}

struct flow *
flow_copy(const struct flow *src)
{
    struct flow *f = xmalloc(sizeof(*f));
    *f = *src;
    atomic_init(&f->refs, 1);
    uuid_new(f->id);
    f->client_conn = src->client_conn ? connection_copy(src->client_conn) : NULL;
    f->server_conn = src->server_conn ? connection_copy(src->server_conn) : NULL;
    if (src->error) {
        f->error = xmalloc(sizeof(*f->error));
        f->error->msg = xstrdup(src->error->msg);
        f->error->timestamp = src->error->timestamp;
    }
    f->marked = xstrdup(src->marked);
    f->comment = xstrdup(src->comment);
    f->metadata = tns_copy(src->metadata);
    f->request = src->request ? http_request_copy(src->request) : NULL;
    f->response = src->response ? http_response_copy(src->response) : NULL;
    f->websocket = tns_copy(src->websocket);
    f->messages = NULL;
    f->nmessages = f->capmessages = 0;
    for (size_t i = 0; i < src->nmessages; i++) {
        const struct tcp_message *m = &src->messages[i];
        struct tcp_message *c =
            flow_tcp_add_message(f, m->from_client, buf_ptr(&m->content), m->content.len);
        c->timestamp = m->timestamp;
        c->dropped = m->dropped;
    }
    f->extra = tns_copy(src->extra);
    /* A copy is never live (mitmproxy's Flow.copy), so nothing kills it. */
    f->live = 0;
    f->killed = 0;
    return f;
}

const char *
flow_type_name(enum flow_type type)
{
    switch (type) {
    case FLOW_HTTP:
        return "http";
    case FLOW_TCP:
        return "tcp";
    case FLOW_DNS:
        return "dns";
    }
    return "unknown";
}
