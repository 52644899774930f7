#include "../lib/test.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "util/clock.h"

static int
is_uuid4(const char *s)
{
    if (strlen(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
        return 0;
    return s[14] == '4';
}

TEST(flow_new_http_defaults)
{
    clock_pin(1700000000.25);
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    ASSERT(is_uuid4(cc->id));
    ASSERT_EQ(cc->state, CONN_CLOSED);
    struct flow *f = flow_new_http(cc, sc);
    ASSERT(is_uuid4(f->id));
    ASSERT(strcmp(f->id, cc->id) != 0);
    ASSERT_EQ(f->type, FLOW_HTTP);
    ASSERT(f->timestamp_created == 1700000000.25);
    ASSERT_STREQ(f->marked, "");
    ASSERT_STREQ(f->comment, "");
    ASSERT(f->is_replay == NULL);
    ASSERT(f->error == NULL);
    ASSERT_EQ(f->live, 1);
    /* The flow holds its own references to the connections. */
    ASSERT_EQ(atomic_load(&cc->refs), 2);
    connection_unref(cc);
    connection_unref(sc);
    ASSERT(f->client_conn == cc);
    ASSERT(flow_ref(f) == f);
    ASSERT_EQ(atomic_load(&f->refs), 2);
    flow_unref(f);
    flow_unref(f);
    clock_pin(0);
}

TEST(flow_kill_and_error)
{
    clock_pin(42.5);
    struct flow *f = flow_new_http(NULL, NULL);
    flow_set_error(f, "first");
    flow_set_error(f, "second");
    ASSERT_STREQ(f->error->msg, "second");
    ASSERT(f->error->timestamp == 42.5);
    f->intercepted = 1;
    flow_kill(f);
    ASSERT_STREQ(f->error->msg, "Connection killed.");
    ASSERT_EQ(f->killed, 1);
    ASSERT_EQ(f->intercepted, 0);
    flow_unref(f);
    clock_pin(0);
}

/* The offers the proxy saw are kept compact and written as the list of
 * bytes a loaded flow keeps in extra; a copy has its own. */
TEST(flow_conn_alpn_offers_written_as_loaded)
{
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    char long_name[300];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    const char *offers[] = {"h2", "", long_name, "http/1.1"};
    connection_set_alpn_offers(cc, offers, 4);
    size_t len = 0;
    const char *p = connection_alpn_offer(cc, 1, &len);
    ASSERT_MEMEQ(p, len, "http/1.1", 8);
    ASSERT(connection_alpn_offer(cc, 2, &len) == NULL);
    ASSERT(connection_alpn_offer(sc, 0, &len) == NULL);
    connection_set_alpn_offers(sc, offers, 1);
    connection_set_alpn_offers(sc, offers, 0); /* none: cleared */
    ASSERT(sc->alpn_offers == NULL);

    struct flow *f = flow_new_tcp(cc, sc);
    struct buf a = BUF_INIT, b = BUF_INIT;
    ffile_serialize(&a, f);
    struct flow *g = NULL;
    size_t used = 0;
    struct err e = {0};
    ASSERT_EQ(ffile_deserialize(buf_ptr(&a), a.len, &used, &g, &e), 0);
    ASSERT(g->client_conn->alpn_offers == NULL);
    const struct tns *l = tns_dict_get(g->client_conn->extra, "alpn_offers");
    ASSERT(l != NULL && l->type == TNS_LIST);
    ASSERT_EQ(l->u.list.n, 2);
    ASSERT_EQ(l->u.list.v[0]->type, TNS_BYTES);
    ASSERT_MEMEQ(l->u.list.v[0]->u.str.p, l->u.list.v[0]->u.str.len, "h2", 2);
    ASSERT_MEMEQ(l->u.list.v[1]->u.str.p, l->u.list.v[1]->u.str.len, "http/1.1", 8);
    l = tns_dict_get(g->server_conn->extra, "alpn_offers");
    ASSERT(l != NULL && l->type == TNS_LIST);
    ASSERT_EQ(l->u.list.n, 0);
    ffile_serialize(&b, g);
    ASSERT_MEMEQ(buf_ptr(&b), b.len, buf_ptr(&a), a.len);

    struct flow *h = flow_copy(f);
    ASSERT(h->client_conn->alpn_offers != cc->alpn_offers);
    ASSERT_STREQ(h->client_conn->alpn_offers, cc->alpn_offers);
    buf_clear(&a);
    buf_clear(&b);
    flow_unref(f);
    flow_unref(g);
    flow_unref(h);
    connection_unref(cc);
    connection_unref(sc);
}

TEST(flow_copy_is_deep)
{
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    addr_set(&cc->peername, "10.0.0.1", 1234);
    cc->sni = strdup("example.com");
    cc->extra = tns_dict();
    tns_dict_set(cc->extra, "alpn_offers", tns_list());
    struct flow *f = flow_new_http(cc, sc);
    f->request = http_request_new();
    http_set_str(&f->request->path, "/a");
    buf_set(&f->request->content, "body", 4);
    f->response = http_response_new();
    f->response->status_code = 204;
    f->metadata = tns_dict();
    tns_dict_set(f->metadata, "k", tns_int(1));
    flow_set_error(f, "err");
    free(f->comment);
    f->comment = strdup("note");

    struct flow *g = flow_copy(f);
    ASSERT(strcmp(g->id, f->id) != 0);
    ASSERT(is_uuid4(g->id));
    ASSERT_EQ(g->live, 0);
    ASSERT_EQ(atomic_load(&g->refs), 1);
    /* Connections are copies that keep their ids, like mitmproxy's copy. */
    ASSERT(g->client_conn != cc);
    ASSERT_STREQ(g->client_conn->id, cc->id);
    ASSERT_STREQ(g->client_conn->sni, "example.com");
    ASSERT(g->client_conn->sni != cc->sni);
    ASSERT(tns_equal(g->client_conn->extra, cc->extra));
    ASSERT(g->request != f->request);
    ASSERT_STREQ(g->request->path, "/a");
    ASSERT_BUF_STR(&g->request->content, "body");
    ASSERT_EQ(g->response->status_code, 204);
    ASSERT(tns_equal(g->metadata, f->metadata));
    ASSERT_STREQ(g->error->msg, "err");
    ASSERT_STREQ(g->comment, "note");

    /* Apart from the flow id, both serialize identically. */
    struct buf a = BUF_INIT, b = BUF_INIT;
    ffile_serialize(&a, f);
    memcpy(g->id, f->id, sizeof(g->id));
    ffile_serialize(&b, g);
    ASSERT_MEMEQ(buf_ptr(&a), a.len, buf_ptr(&b), b.len);
    buf_clear(&a);
    buf_clear(&b);

    flow_unref(f);
    flow_unref(g);
    connection_unref(cc);
    connection_unref(sc);
}

TEST(flow_new_tcp_and_messages)
{
    clock_pin(1700000000.5);
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    struct flow *f = flow_new_tcp(cc, sc);
    ASSERT(is_uuid4(f->id));
    ASSERT_EQ(f->type, FLOW_TCP);
    ASSERT(f->timestamp_created == 1700000000.5);
    ASSERT_EQ(f->live, 1);
    ASSERT_EQ(atomic_load(&cc->refs), 2);
    ASSERT_EQ(atomic_load(&sc->refs), 2);
    ASSERT_EQ(f->nmessages, 0);
    /* Enough messages to make the array grow a few times. */
    char text[16];
    for (int i = 0; i < 20; i++) {
        clock_pin(1700000001.0 + i);
        int n = snprintf(text, sizeof(text), "msg %d", i);
        struct tcp_message *m = flow_tcp_add_message(f, i % 2 == 0, text, (size_t)n);
        ASSERT(m == &f->messages[i]);
        m->content.data[0] = 'M'; /* the bytes were copied */
    }
    ASSERT_EQ(f->nmessages, 20);
    ASSERT(f->capmessages >= 20);
    ASSERT_EQ(f->messages[0].from_client, 1);
    ASSERT_EQ(f->messages[19].from_client, 0);
    ASSERT_BUF_STR(&f->messages[19].content, "Msg 19");
    ASSERT(f->messages[19].timestamp == 1700000020.0);
    ASSERT_EQ(f->messages[3].dropped, 0);
    ASSERT_STREQ(text, "msg 19");
    struct tcp_message *empty = flow_tcp_add_message(f, 1, NULL, 0);
    ASSERT_EQ(empty->content.len, 0);

    struct flow *g = flow_copy(f);
    ASSERT_EQ(g->nmessages, 21);
    ASSERT(g->messages != f->messages);
    ASSERT(g->messages[5].content.data != f->messages[5].content.data);
    ASSERT_BUF_STR(&g->messages[5].content, "Msg 5");
    ASSERT(g->messages[5].timestamp == f->messages[5].timestamp);
    ASSERT_EQ(g->messages[5].from_client, 0);
    ASSERT_EQ(g->live, 0);
    struct buf a = BUF_INIT, b = BUF_INIT;
    ffile_serialize(&a, f);
    memcpy(g->id, f->id, sizeof(g->id));
    ffile_serialize(&b, g);
    ASSERT_MEMEQ(buf_ptr(&a), a.len, buf_ptr(&b), b.len);
    buf_clear(&a);
    buf_clear(&b);

    flow_unref(f);
    flow_unref(g);
    connection_unref(cc);
    connection_unref(sc);
    clock_pin(0);
}

/* WebSocket data as the layer builds it: typed messages and the close. */
TEST(flow_ws_messages_and_close)
{
    clock_pin(1700000000.5);
    struct flow *f = flow_new_http(NULL, NULL);
    ASSERT(f->websocket == NULL);
    struct websocket_data *ws = flow_ws_data(f);
    ASSERT(ws == f->websocket && flow_ws_data(f) == ws);
    /* Everything None while it is open. */
    ASSERT_EQ(ws->nmessages, 0);
    ASSERT(sizeof(struct ws_message) <= 48); /* compact: a store holds millions */
    ASSERT_EQ(ws->closed_by_client, -1);
    ASSERT_EQ(ws->close_code, -1);
    ASSERT(ws->close_reason == NULL);
    ASSERT(ws->timestamp_end == 0);
    char text[16];
    for (int i = 0; i < 20; i++) {
        clock_pin(1700000001.0 + i);
        int n = snprintf(text, sizeof(text), "msg %d", i);
        struct ws_message *m = flow_ws_add_message(f, i % 2 ? 2 : 1, i % 2 == 0, text, (size_t)n);
        ASSERT(m == &ws->messages[i]);
        m->content.data[0] = 'M'; /* the bytes were copied */
    }
    ASSERT_EQ(ws->nmessages, 20);
    ASSERT_EQ(ws->messages[0].type, 1);
    ASSERT_EQ(ws->messages[0].from_client, 1);
    ASSERT_EQ(ws->messages[19].type, 2);
    ASSERT_EQ(ws->messages[19].from_client, 0);
    ASSERT_BUF_STR(&ws->messages[19].content, "Msg 19");
    ASSERT(ws->messages[19].timestamp == 1700000020.0);
    ASSERT_EQ(ws->messages[4].dropped, 0);
    ASSERT_EQ(ws->messages[4].injected, 0);
    /* An addon drops one (mitmproxy's message.drop()). */
    ws->messages[4].dropped = 1;
    clock_pin(1700000100.25);
    flow_ws_set_close(f, 1, 1000, "done!", 4);
    ASSERT_EQ(ws->closed_by_client, 1);
    ASSERT_EQ(ws->close_code, 1000);
    ASSERT_STREQ(ws->close_reason, "done");
    ASSERT(ws->timestamp_end == 1700000100.25);
    /* A second close (the other side's) replaces the first. */
    flow_ws_set_close(f, 0, 1006, "", 0);
    ASSERT_EQ(ws->closed_by_client, 0);
    ASSERT_STREQ(ws->close_reason, "");

    struct flow *g = flow_copy(f);
    ASSERT(g->websocket != ws && g->websocket->messages != ws->messages);
    ASSERT_EQ(g->websocket->nmessages, 20);
    ASSERT(g->websocket->messages[5].content.data != ws->messages[5].content.data);
    ASSERT_BUF_STR(&g->websocket->messages[5].content, "Msg 5");
    ASSERT_EQ(g->websocket->messages[4].dropped, 1);
    ASSERT(g->websocket->close_reason != ws->close_reason);
    ASSERT_EQ(g->websocket->close_code, 1006);
    struct buf a = BUF_INIT, b = BUF_INIT;
    ffile_serialize(&a, f);
    memcpy(g->id, f->id, sizeof(g->id));
    ffile_serialize(&b, g);
    ASSERT_MEMEQ(buf_ptr(&a), a.len, buf_ptr(&b), b.len);
    buf_clear(&a);
    buf_clear(&b);
    flow_unref(g);
    flow_unref(f);
    clock_pin(0);
}

TEST(flow_clear_error)
{
    struct flow *f = flow_new_http(NULL, NULL);
    flow_clear_error(f); /* none: nothing happens */
    ASSERT(f->error == NULL);
    flow_set_error(f, "refused");
    flow_clear_error(f);
    ASSERT(f->error == NULL);
    flow_unref(f);
}

/* A small HTTP flow with a request, a response and a backup-worthy past. */
static struct flow *
http_flow(struct connection *cc, struct connection *sc)
{
    struct flow *f = flow_new_http(cc, sc);
    f->request = http_request_new();
    http_set_str(&f->request->method, "GET");
    http_set_str(&f->request->host, "example.com");
    http_set_str(&f->request->path, "/a");
    f->request->port = 80;
    f->response = http_response_new();
    f->response->status_code = 200;
    buf_set(&f->response->content, "old", 3);
    return f;
}

/* Two flows store the same state: the flow-file bytes are equal. */
static int
same_bytes(const struct flow *a, const struct flow *b)
{
    struct buf x = BUF_INIT, y = BUF_INIT;
    ffile_serialize(&x, a);
    ffile_serialize(&y, b);
    int same = x.len == y.len && memcmp(buf_ptr(&x), buf_ptr(&y), x.len) == 0;
    buf_clear(&x);
    buf_clear(&y);
    return same;
}

/* A snapshot is the same flow, id included, that no longer moves with it. */
TEST(flow_snapshot_keeps_id)
{
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    struct flow *f = http_flow(cc, sc);
    flow_ws_add_message(f, 1, 1, "hi", 2);
    flow_backup(f);
    f->response->status_code = 500;
    struct flow *s = flow_snapshot(f);
    ASSERT_STREQ(s->id, f->id);
    ASSERT_EQ(s->live, 1); /* what the flow is now */
    ASSERT_EQ(atomic_load(&s->refs), 1);
    ASSERT(s->request != f->request && s->response != f->response);
    ASSERT(s->client_conn != cc);
    ASSERT_STREQ(s->client_conn->id, cc->id);
    ASSERT(s->backup != NULL && s->backup != f->backup);
    ASSERT(flow_modified(s));
    ASSERT(same_bytes(s, f));
    /* The live flow goes on; the snapshot does not follow. */
    flow_ws_add_message(f, 1, 0, "more", 4);
    buf_set(&f->response->content, "new", 3);
    ASSERT_EQ(s->websocket->nmessages, 1);
    ASSERT_BUF_STR(&s->response->content, "old");
    ASSERT(!same_bytes(s, f));
    /* A copy is another flow: new id, not live, its own backup. */
    struct flow *c = flow_copy(f);
    ASSERT(strcmp(c->id, f->id) != 0);
    ASSERT_EQ(c->live, 0);
    ASSERT(c->backup != NULL && c->backup != f->backup);
    ASSERT_STREQ(c->backup->id, f->id); /* mitmproxy's copy keeps the backup as it is */
    flow_unref(c);
    flow_unref(s);
    flow_unref(f);
    connection_unref(cc);
    connection_unref(sc);
}

/* mitmproxy's backup(), modified() and revert() on a flow a UI edits. */
TEST(flow_backup_revert_modified)
{
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    struct flow *f = http_flow(cc, sc);
    f->live = 0;
    struct flow *before = flow_snapshot(f);
    ASSERT(!flow_modified(f)); /* no backup */
    flow_revert(f);            /* no backup: nothing happens */
    ASSERT(same_bytes(f, before));

    flow_backup(f);
    ASSERT(f->backup != NULL);
    ASSERT_EQ(f->backup->live, 0);
    ASSERT(f->backup->backup == NULL);
    ASSERT(!flow_modified(f)); /* backed up, not changed yet */

    /* Edits of every kind. */
    struct http_request *req = f->request;
    struct http_response *resp = f->response;
    http_set_str(&f->request->path, "/edited");
    buf_set(&f->response->content, "new", 3);
    free(f->comment);
    f->comment = strdup("looked at");
    flow_set_error(f, "boom");
    f->is_replay = "request";
    ASSERT(flow_modified(f));
    /* The first backup wins: a second one keeps the original state. */
    struct flow *kept = f->backup;
    flow_backup(f);
    ASSERT(f->backup == kept);
    ASSERT_STREQ(f->backup->request->path, "/a");

    flow_revert(f);
    ASSERT(f->backup == NULL);
    ASSERT(!flow_modified(f));
    ASSERT(same_bytes(f, before));
    /* Layers that hold the request or response keep valid addresses. */
    ASSERT(f->request == req && f->response == resp);
    ASSERT_STREQ(f->request->path, "/a");
    ASSERT_BUF_STR(&f->response->content, "old");
    ASSERT(f->error == NULL);
    ASSERT(f->is_replay == NULL);
    ASSERT_STREQ(f->comment, "");
    /* Not live: the connections are the backed-up ones, ids kept. */
    ASSERT(f->client_conn != cc);
    ASSERT_STREQ(f->client_conn->id, cc->id);

    /* What the backup lacked goes: a response set after the backup. */
    http_response_free(f->response);
    f->response = NULL;
    flow_backup(f);
    f->response = http_response_new();
    ASSERT(flow_modified(f));
    flow_revert(f);
    ASSERT(f->response == NULL);
    flow_unref(before);
    flow_unref(f);
    connection_unref(cc);
    connection_unref(sc);
}

/* A live flow keeps the proxy's connections through a revert. */
TEST(flow_revert_live_keeps_connections)
{
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    struct flow *f = http_flow(cc, sc);
    flow_backup(f);
    cc->timestamp_end = 5; /* the client went away meanwhile */
    http_set_str(&f->request->path, "/edited");
    ASSERT(flow_modified(f));
    flow_revert(f);
    ASSERT(f->client_conn == cc && f->server_conn == sc);
    ASSERT_EQ(atomic_load(&cc->refs), 2);
    ASSERT_STREQ(f->request->path, "/a");
    ASSERT(f->live);
    flow_unref(f);
    ASSERT_EQ(atomic_load(&cc->refs), 1);
    connection_unref(cc);
    connection_unref(sc);
}

TEST(flow_type_names)
{
    ASSERT_STREQ(flow_type_name(FLOW_HTTP), "http");
    ASSERT_STREQ(flow_type_name(FLOW_TCP), "tcp");
    ASSERT_STREQ(flow_type_name(FLOW_DNS), "dns");
    struct flow *f = flow_new(FLOW_TCP);
    ASSERT_EQ(f->type, FLOW_TCP);
    ASSERT(f->timestamp_created == 0);
    flow_unref(f);
    flow_unref(NULL);
}

TEST(flow_addr_format)
{
    struct addr a = {NULL, 0};
    char out[64];
    addr_set(&a, "127.0.0.1", 8080);
    addr_format(&a, out, sizeof(out));
    ASSERT_STREQ(out, "127.0.0.1:8080");
    addr_set(&a, "::1", 443);
    addr_format(&a, out, sizeof(out));
    ASSERT_STREQ(out, "[::1]:443");
    addr_set(&a, a.host, 80); /* setting from its own host is safe */
    ASSERT_STREQ(a.host, "::1");
    addr_clear(&a);
    ASSERT(a.host == NULL);
    ASSERT_EQ(a.port, 0);
}

/* A DNS flow's messages are copied deep, backed up, compared and reverted
 * like an HTTP flow's request and response. */
TEST(flow_dns_copy_backup_revert)
{
    struct flow *f = flow_new_dns(NULL, NULL);
    ASSERT_EQ(f->type, FLOW_DNS);
    ASSERT(f->live && f->timestamp_created > 0);
    f->live = 0;
    f->dns_request = dns_message_new();
    dns_add_question(f->dns_request, "example.org", DNS_TYPE_A, DNS_CLASS_IN);
    struct flow *c = flow_copy(f);
    ASSERT(c->dns_request != f->dns_request);
    ASSERT(dns_message_equal(c->dns_request, f->dns_request));
    ASSERT(c->dns_response == NULL);
    flow_unref(c);

    flow_backup(f);
    ASSERT(!flow_modified(f));
    struct dns_message *q = f->dns_request;
    q->id = 99;
    f->dns_response = dns_message_copy(q);
    dns_add_rr(&f->dns_response->answers, "example.org", DNS_TYPE_A, DNS_CLASS_IN, 60, "\1\2\3\4",
               4);
    ASSERT(flow_modified(f));
    flow_revert(f);
    /* The request keeps its address, with the state it had. */
    ASSERT(f->dns_request == q);
    ASSERT_EQ(q->id, 0);
    ASSERT(f->dns_response == NULL);
    ASSERT(f->backup == NULL);
    flow_unref(f);
}
