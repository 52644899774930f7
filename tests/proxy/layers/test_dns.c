/*
 * Playbooks for the DNS layer (a DNS mode's server): UDP clients (one
 * datagram per message, the exchange ends with the answer) and TCP clients
 * (length-prefixed messages, cut anywhere by the playbook runs), answered
 * by a hook, forwarded to an upstream server, timed out, killed.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/pb.h"
#include "../../lib/tdns.h"
#include "../../lib/test.h"
#include "dns/dns.h"
#include "flow/flow.h"
#include "proxy/layers/layers.h"

#define TIMEOUT_MS 5000

static struct layer *
make_udp(struct context *ctx)
{
    ctx->datagram = 1;
    return layer_dns_new(ctx);
}

static void
reverse_mode(struct options *o)
{
    opt_set(o, "mode", "reverse:dns://10.0.0.53:5353", NULL);
}

/* An answer to q with one A record 10.1.2.<last>. */
static struct dns_message *
answer(const struct dns_message *q, uint8_t last)
{
    struct dns_message *m = dns_message_answer(q, DNS_RCODE_NOERROR);
    uint8_t ip[4] = {10, 1, 2, last};
    dns_add_rr(&m->answers, q->questions[0].name, DNS_TYPE_A, DNS_CLASS_IN, 60, ip, 4);
    return m;
}

/* The reply to tdns_query(id, name, type) with rcode and no records. */
static struct dns_message *
reply_to(uint16_t id, const char *name, uint16_t type, unsigned rcode)
{
    struct dns_message *q = tdns_query(id, name, type);
    struct dns_message *m = dns_message_answer(q, rcode);
    dns_message_free(q);
    return m;
}

/* The answer to tdns_query(id, name, A) with one A record 10.1.2.<last>. */
static struct dns_message *
answer_to(uint16_t id, const char *name, uint8_t last)
{
    struct dns_message *q = tdns_query(id, name, DNS_TYPE_A);
    struct dns_message *m = answer(q, last);
    dns_message_free(q);
    return m;
}

static void
in_msg(struct pb *pb, struct connection *c, struct dns_message *m, int tcp)
{
    struct buf b = BUF_INIT;
    tdns_wire(&b, m, tcp);
    if (tcp)
        pb_in_datan(pb, c, buf_ptr(&b), b.len);
    else
        pb_in_datagram(pb, c, buf_ptr(&b), b.len);
    buf_clear(&b);
}

static void
out_msg(struct pb *pb, struct connection *c, struct dns_message *m, int tcp)
{
    struct buf want = BUF_INIT, got = BUF_INIT;
    tdns_wire(&want, m, tcp);
    pb_out_send_take(pb, c, &got);
    ASSERT_MEMEQ(buf_ptr(&got), got.len, buf_ptr(&want), want.len);
    buf_clear(&want);
    buf_clear(&got);
}

/* The client's first message, a query, up to its dns_request hook (f: the
 * flow, or NULL). */
static void
start_query(struct pb *pb, uint16_t id, const char *name, uint16_t type, int tcp, struct flow **f)
{
    pb_in_start(pb);
    in_msg(pb, pb_client(pb), tdns_query(id, name, type), tcp);
    pb_out_hook(pb, HOOK_DNS_REQUEST, f);
}

/* dns_request passes tdns_query(id, name, A) on: the upstream is opened, the
 * query sent over UDP and its timer set (wake: its id, or NULL). Returns
 * the upstream. */
static struct connection *
out_forwarded(struct pb *pb, uint16_t id, const char *name, uint64_t *wake)
{
    struct connection *server;
    pb_in_reply(pb);
    pb_out_open(pb, &server);
    ASSERT(server->udp);
    pb_in_reply(pb);
    out_msg(pb, server, tdns_query(id, name, DNS_TYPE_A), 0);
    pb_out_wakeup(pb, TIMEOUT_MS, wake);
    return server;
}

/* --- UDP, regular mode: an addon answers in dns_request --- */

static void
pb_udp_hook_answers(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    start_query(pb, 0x1234, "example.org", DNS_TYPE_A, 0, &f);
    ASSERT_EQ(f->type, FLOW_DNS);
    ASSERT(f->live);
    ASSERT_STREQ(f->dns_request->questions[0].name, "example.org");
    ASSERT(f->dns_request->timestamp > 0);
    ASSERT(f->server_conn != NULL && f->server_conn->address.host == NULL);
    f->dns_response = answer(f->dns_request, 7);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_DNS_RESPONSE, NULL);
    ASSERT(f->dns_response->timestamp > 0);
    struct dns_message *want = answer(f->dns_request, 7);
    pb_in_reply(pb);
    out_msg(pb, client, want, 0);
    pb_out_close(pb, client, 0);
    ASSERT(!f->live);
    pb_end(pb);
}
TEST(dns_layer_udp_hook_answers) { pb_run(pb_udp_hook_answers, make_udp, PB_HOOKS, NULL); }

/* dns_response may change the answer, or drop it (nothing is sent). */
static void
pb_udp_response_dropped(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    start_query(pb, 1, "example.org", DNS_TYPE_A, 0, &f);
    f->dns_response = answer(f->dns_request, 7);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_DNS_RESPONSE, NULL);
    dns_message_free(f->dns_response);
    f->dns_response = NULL;
    pb_in_reply(pb);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}
TEST(dns_layer_udp_response_dropped) { pb_run(pb_udp_response_dropped, make_udp, PB_HOOKS, NULL); }

/* Nobody answered and there is no upstream: dns_error, then SERVFAIL. */
static void
pb_udp_no_answer(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    start_query(pb, 9, "example.org", DNS_TYPE_AAAA, 0, &f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_DNS_ERROR, NULL);
    ASSERT(f->error != NULL);
    ASSERT_STREQ(f->error->msg, "No hook has set a response.");
    pb_in_reply(pb);
    out_msg(pb, client, reply_to(9, "example.org", DNS_TYPE_AAAA, DNS_RCODE_SERVFAIL), 0);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}
TEST(dns_layer_udp_no_answer) { pb_run(pb_udp_no_answer, make_udp, PB_HOOKS, NULL); }

/* A killed query: dns_error with the kill's error, no answer, the exchange ends. */
static void
pb_udp_killed(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    start_query(pb, 3, "ads.example", DNS_TYPE_A, 0, &f);
    flow_kill(f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_DNS_ERROR, NULL);
    ASSERT_STREQ(f->error->msg, "Connection killed.");
    pb_in_reply(pb);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}
TEST(dns_layer_udp_killed) { pb_run(pb_udp_killed, make_udp, PB_HOOKS, NULL); }

/* Bytes that are no DNS message: logged, no flow, the exchange ends. */
static void
pb_udp_garbage(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    pb_in_start(pb);
    pb_in_datagram(pb, client, "\x12\x34\x01\x00\x00\x05", 6);
    pb_out_log(pb, "client sent an invalid DNS message");
    pb_out_close(pb, client, 0);
    pb_end(pb);
}
TEST(dns_layer_udp_garbage) { pb_run(pb_udp_garbage, make_udp, PB_HOOKS | PB_LOGS, NULL); }

/* --- reverse mode: forwarded over UDP --- */

static void
pb_reverse_forwards(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    uint64_t wake;
    start_query(pb, 0x4242, "example.org", DNS_TYPE_A, 0, &f);
    ASSERT_STREQ(f->server_conn->address.host, "10.0.0.53");
    ASSERT_EQ(f->server_conn->address.port, 5353);
    struct connection *server = out_forwarded(pb, 0x4242, "example.org", &wake);
    /* An answer to something else is dropped; the right one goes through. */
    in_msg(pb, server, answer_to(0x9999, "other.org", 1), 0);
    in_msg(pb, server, answer_to(0x4242, "example.org", 9), 0);
    pb_out_hook(pb, HOOK_DNS_RESPONSE, NULL);
    ASSERT_EQ(f->dns_response->answers.n, 1);
    pb_in_reply(pb);
    out_msg(pb, client, answer_to(0x4242, "example.org", 9), 0);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    /* The timer fires after all: nothing waits for it. */
    pb_in_wakeup(pb, wake);
    pb_end(pb);
}
TEST(dns_layer_reverse_forwards) { pb_run(pb_reverse_forwards, make_udp, PB_HOOKS, reverse_mode); }

/* The upstream stays silent: dns_error when the timer fires, then SERVFAIL. */
static void
pb_reverse_timeout(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    uint64_t wake;
    start_query(pb, 5, "slow.org", DNS_TYPE_A, 0, &f);
    struct connection *server = out_forwarded(pb, 5, "slow.org", &wake);
    pb_in_wakeup(pb, wake);
    pb_out_hook(pb, HOOK_DNS_ERROR, NULL);
    ASSERT_STREQ(f->error->msg, "DNS server 10.0.0.53:5353 did not answer in time.");
    pb_in_reply(pb);
    out_msg(pb, client, reply_to(5, "slow.org", DNS_TYPE_A, DNS_RCODE_SERVFAIL), 0);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    pb_end(pb);
}
TEST(dns_layer_reverse_timeout) { pb_run(pb_reverse_timeout, make_udp, PB_HOOKS, reverse_mode); }

/* The upstream cannot be reached: dns_error with the reason, SERVFAIL. */
static void
pb_reverse_open_fails(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    start_query(pb, 6, "example.org", DNS_TYPE_A, 0, &f);
    pb_in_reply(pb);
    pb_out_open(pb, NULL);
    pb_in_reply_err(pb, "Connection refused");
    pb_out_hook(pb, HOOK_DNS_ERROR, NULL);
    ASSERT_STREQ(f->error->msg, "Connection refused");
    pb_in_reply(pb);
    out_msg(pb, client, reply_to(6, "example.org", DNS_TYPE_A, DNS_RCODE_SERVFAIL), 0);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}
TEST(dns_layer_reverse_open_fails)
{
    pb_run(pb_reverse_open_fails, make_udp, PB_HOOKS, reverse_mode);
}

/* The upstream's socket fails (ICMP port unreachable) while a query waits. */
static void
pb_reverse_server_gone(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    start_query(pb, 8, "example.org", DNS_TYPE_A, 0, &f);
    struct connection *server = out_forwarded(pb, 8, "example.org", NULL);
    server->error = strdup("Error receiving from 10.0.0.53:5353: connection refused");
    server->state = CONN_CLOSED;
    pb_in_closed(pb, server);
    pb_out_hook(pb, HOOK_DNS_ERROR, NULL);
    ASSERT_STREQ(f->error->msg, "Error receiving from 10.0.0.53:5353: connection refused");
    pb_in_reply(pb);
    out_msg(pb, client, reply_to(8, "example.org", DNS_TYPE_A, DNS_RCODE_SERVFAIL), 0);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}
TEST(dns_layer_reverse_server_gone)
{
    pb_run(pb_reverse_server_gone, make_udp, PB_HOOKS, reverse_mode);
}

/* --- TCP: length-prefixed messages, several per connection --- */

static void
pb_tcp_two_queries(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f1, *f2;
    struct buf both = BUF_INIT;
    tdns_wire(&both, tdns_query(1, "one.example", DNS_TYPE_A), 1);
    tdns_wire(&both, tdns_query(2, "two.example", DNS_TYPE_A), 1);
    pb_in_start(pb);
    pb_in_datan(pb, client, buf_ptr(&both), both.len);
    buf_clear(&both);
    pb_out_hook(pb, HOOK_DNS_REQUEST, &f1);
    ASSERT_STREQ(f1->dns_request->questions[0].name, "one.example");
    f1->dns_response = answer(f1->dns_request, 1);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_DNS_RESPONSE, NULL);
    pb_in_reply(pb);
    out_msg(pb, client, answer_to(1, "one.example", 1), 1);
    pb_out_hook(pb, HOOK_DNS_REQUEST, &f2);
    ASSERT_STREQ(f2->dns_request->questions[0].name, "two.example");
    ASSERT(f1 != f2);
    f2->dns_response = answer(f2->dns_request, 2);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_DNS_RESPONSE, NULL);
    pb_in_reply(pb);
    out_msg(pb, client, answer_to(2, "two.example", 2), 1);
    /* The client is through: the connection ends. */
    pb_in_closed(pb, client);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}
TEST(dns_layer_tcp_two_queries) { pb_run(pb_tcp_two_queries, layer_dns_new, PB_HOOKS, NULL); }

/* TCP in reverse mode: the upstream is still UDP; the answer gets its prefix. */
static void
pb_tcp_reverse(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    start_query(pb, 77, "example.org", DNS_TYPE_A, 1, NULL);
    struct connection *server = out_forwarded(pb, 77, "example.org", NULL);
    in_msg(pb, server, answer_to(77, "example.org", 3), 0);
    pb_out_hook(pb, HOOK_DNS_RESPONSE, NULL);
    pb_in_reply(pb);
    out_msg(pb, client, answer_to(77, "example.org", 3), 1);
    pb_end(pb);
}
TEST(dns_layer_tcp_reverse) { pb_run(pb_tcp_reverse, layer_dns_new, PB_HOOKS, reverse_mode); }

/* A killed query on TCP closes the connection (and what else it sent is not read). */
static void
pb_tcp_killed(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct flow *f;
    struct buf both = BUF_INIT;
    tdns_wire(&both, tdns_query(1, "ads.example", DNS_TYPE_A), 1);
    tdns_wire(&both, tdns_query(2, "two.example", DNS_TYPE_A), 1);
    pb_in_start(pb);
    pb_in_datan(pb, client, buf_ptr(&both), both.len);
    buf_clear(&both);
    pb_out_hook(pb, HOOK_DNS_REQUEST, &f);
    flow_kill(f);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_DNS_ERROR, NULL);
    pb_in_reply(pb);
    pb_out_close(pb, client, 0);
    pb_end(pb);
}
TEST(dns_layer_tcp_killed) { pb_run(pb_tcp_killed, layer_dns_new, PB_HOOKS, NULL); }

/* A TCP message that is no DNS message is logged and skipped; the next is read. */
static void
pb_tcp_garbage_then_query(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    struct buf b = BUF_INIT;
    buf_append(&b, "\x00\x03xyz", 5);
    tdns_wire(&b, tdns_query(4, "ok.example", DNS_TYPE_A), 1);
    pb_in_start(pb);
    pb_in_datan(pb, client, buf_ptr(&b), b.len);
    buf_clear(&b);
    pb_out_log(pb, "client sent an invalid DNS message");
    pb_out_hook(pb, HOOK_DNS_REQUEST, NULL);
    pb_in_reply(pb);
    pb_out_hook(pb, HOOK_DNS_ERROR, NULL);
    pb_in_reply(pb);
    out_msg(pb, client, reply_to(4, "ok.example", DNS_TYPE_A, DNS_RCODE_SERVFAIL), 1);
    pb_end(pb);
}
TEST(dns_layer_tcp_garbage_then_query)
{
    pb_run(pb_tcp_garbage_then_query, layer_dns_new, PB_HOOKS | PB_LOGS, NULL);
}

/* The client leaves while a query waits upstream: no hooks, both sides closed. */
static void
pb_tcp_client_leaves(struct pb *pb)
{
    struct connection *client = pb_client(pb);
    start_query(pb, 10, "example.org", DNS_TYPE_A, 1, NULL);
    struct connection *server = out_forwarded(pb, 10, "example.org", NULL);
    pb_in_closed(pb, client);
    pb_out_close(pb, client, 0);
    pb_out_close(pb, server, 0);
    pb_end(pb);
}
TEST(dns_layer_tcp_client_leaves)
{
    pb_run(pb_tcp_client_leaves, layer_dns_new, PB_HOOKS, reverse_mode);
}
