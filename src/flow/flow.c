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

struct flow *
flow_new_dns(struct connection *client, struct connection *server)
{
    struct flow *f = flow_new(FLOW_DNS);
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

static struct websocket_data *
ws_new(void)
{
    struct websocket_data *d = xcalloc(1, sizeof(*d));
    d->closed_by_client = -1;
    d->close_code = -1;
    return d;
}

static void
ws_free(struct websocket_data *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->nmessages; i++)
        buf_clear(&d->messages[i].content);
    free(d->messages);
    free(d->close_reason);
    free(d);
}

static struct ws_message *
ws_append(struct websocket_data *d)
{
    if (d->nmessages == d->capmessages) {
        d->capmessages = d->capmessages ? d->capmessages * 2 : 8;
        d->messages = xrealloc(d->messages, d->capmessages * sizeof(*d->messages));
    }
    struct ws_message *m = &d->messages[d->nmessages++];
    memset(m, 0, sizeof(*m));
    return m;
}

static struct websocket_data *
ws_copy(const struct websocket_data *s)
{
    if (s == NULL)
        return NULL;
    struct websocket_data *d = ws_new();
    for (size_t i = 0; i < s->nmessages; i++) {
        struct ws_message *m = ws_append(d);
        *m = s->messages[i];
        buf_init(&m->content);
        buf_append(&m->content, buf_ptr(&s->messages[i].content), s->messages[i].content.len);
    }
    d->closed_by_client = s->closed_by_client;
    d->close_code = s->close_code;
    d->close_reason = s->close_reason ? xstrdup(s->close_reason) : NULL;
    d->timestamp_end = s->timestamp_end;
    return d;
}

struct websocket_data *
flow_ws_data(struct flow *f)
{
    if (f->websocket == NULL)
        f->websocket = ws_new();
    return f->websocket;
}

struct ws_message *
flow_ws_add_message(struct flow *f, int type, int from_client, const void *p, size_t n)
{
    struct ws_message *m = ws_append(flow_ws_data(f));
    m->type = type;
    m->from_client = from_client ? 1 : 0;
    buf_append(&m->content, p, n);
    m->timestamp = clock_now();
    return m;
}

void
flow_ws_set_close(struct flow *f, int by_client, int code, const void *reason, size_t n)
{
    struct websocket_data *d = flow_ws_data(f);
    d->closed_by_client = by_client ? 1 : 0;
    d->close_code = code;
    free(d->close_reason);
    d->close_reason = xstrndup(reason, n);
    d->timestamp_end = clock_now();
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
    flow_unref(f->backup);
    if (f->request)
        http_request_free(f->request);
    if (f->response)
        http_response_free(f->response);
    ws_free(f->websocket);
    for (size_t i = 0; i < f->nmessages; i++)
        buf_clear(&f->messages[i].content);
    free(f->messages);
    dns_message_free(f->dns_request);
    dns_message_free(f->dns_response);
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
flow_clear_error(struct flow *f)
{
    error_free(f->error);
    f->error = NULL;
}

void
flow_kill(struct flow *f)
{
    flow_set_error(f, "Connection killed.");
    f->killed = 1;
    flow_resume(f);
}

void
flow_intercept(struct flow *f)
{
    f->intercepted = 1;
}

void
flow_resume(struct flow *f)
{
    f->intercepted = 0;
    void (*cb)(struct flow *, void *) = f->resume;
    if (cb) {
        f->resume = NULL;
        cb(f, f->resume_arg);
    }
}

/* Everything of src, deep; the backup too when with_backup. */
static struct flow *
dup_flow(const struct flow *src, int with_backup)
{
    struct flow *f = xmalloc(sizeof(*f));
    *f = *src;
    atomic_init(&f->refs, 1);
    /* Only the flow itself is resumed, never a copy of it. */
    f->resume = NULL;
    f->resume_arg = NULL;
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
    f->backup = with_backup && src->backup ? dup_flow(src->backup, 0) : NULL;
    f->request = src->request ? http_request_copy(src->request) : NULL;
    f->response = src->response ? http_response_copy(src->response) : NULL;
    f->websocket = ws_copy(src->websocket);
    f->messages = NULL;
    f->nmessages = f->capmessages = 0;
    for (size_t i = 0; i < src->nmessages; i++) {
        const struct tcp_message *m = &src->messages[i];
        struct tcp_message *c =
            flow_tcp_add_message(f, m->from_client, buf_ptr(&m->content), m->content.len);
        c->timestamp = m->timestamp;
        c->dropped = m->dropped;
    }
    f->dns_request = src->dns_request ? dns_message_copy(src->dns_request) : NULL;
    f->dns_response = src->dns_response ? dns_message_copy(src->dns_response) : NULL;
    f->extra = tns_copy(src->extra);
    return f;
}

struct flow *
flow_copy(const struct flow *src)
{
    struct flow *f = dup_flow(src, 1);
    uuid_new(f->id);
    /* A copy is never live (mitmproxy's Flow.copy), so nothing kills it. */
    f->live = 0;
    f->killed = 0;
    f->intercepted = 0;
    return f;
}

struct flow *
flow_snapshot(const struct flow *src)
{
    return dup_flow(src, 1);
}

void
flow_backup(struct flow *f)
{
    if (f->backup)
        return;
    struct flow *b = dup_flow(f, 0);
    b->live = 0;
    b->killed = 0;
    f->backup = b;
}

#define SWAP(T, a, b)                                                                              \
    do {                                                                                           \
        T swap_tmp_ = (a);                                                                         \
        (a) = (b);                                                                                 \
        (b) = swap_tmp_;                                                                           \
    } while (0)

/*
 * Swaps the objects a and b point to when both exist, so that an address
 * a layer holds (h->flow->request) stays valid; otherwise the pointers.
 */
#define SWAP_OBJECTS(T, a, b)                                                                      \
    do {                                                                                           \
        if ((a) && (b))                                                                            \
            SWAP(T, *(a), *(b));                                                                   \
        else                                                                                       \
            SWAP(T *, a, b);                                                                       \
    } while (0)

/* mitmproxy's set_state(backup): every stored field; live and killed stay. */
void
flow_revert(struct flow *f)
{
    struct flow *b = f->backup;
    if (b == NULL)
        return;
    f->backup = NULL;
    /* f takes what b kept and b what f has now; then b goes. */
    memcpy(f->id, b->id, sizeof(f->id));
    if (!f->live) {
        SWAP(struct connection *, f->client_conn, b->client_conn);
        SWAP(struct connection *, f->server_conn, b->server_conn);
    }
    SWAP(struct flow_error *, f->error, b->error);
    /* A flow waiting in interception stays intercepted until resumed. */
    if (f->resume == NULL)
        f->intercepted = b->intercepted;
    f->is_replay = b->is_replay;
    SWAP(char *, f->marked, b->marked);
    SWAP(char *, f->comment, b->comment);
    SWAP(struct tns *, f->metadata, b->metadata);
    f->timestamp_created = b->timestamp_created;
    SWAP_OBJECTS(struct http_request, f->request, b->request);
    SWAP_OBJECTS(struct http_response, f->response, b->response);
    SWAP_OBJECTS(struct websocket_data, f->websocket, b->websocket);
    SWAP(struct tcp_message *, f->messages, b->messages);
    SWAP(size_t, f->nmessages, b->nmessages);
    SWAP(size_t, f->capmessages, b->capmessages);
    SWAP_OBJECTS(struct dns_message, f->dns_request, b->dns_request);
    SWAP_OBJECTS(struct dns_message, f->dns_response, b->dns_response);
    SWAP(struct tns *, f->extra, b->extra);
    flow_unref(b);
}

int
flow_modified(const struct flow *f)
{
    return f->backup && !flow__same_state(f, f->backup);
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
