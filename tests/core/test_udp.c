/*
 * The DNS mode's driver end to end: a real server with a DNS listener on
 * 127.0.0.1:0 running in a thread, a test addon in its chain, and the
 * test's own thread sending queries over UDP and TCP with blocking sockets
 * (every read has a timeout, so a broken driver fails a test instead of
 * hanging it).
 *
 * The addon answers in dns_request (answer.test), kills (kill.test), and
 * holds one query (hold.test) until another (release.test) comes: a query
 * whose hook is answered later waits alone, every other client goes on.
 */
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../lib/tdns.h"
#include "../lib/test.h"
#include "../lib/tnet.h"
#include "../lib/tproxy.h"
#include "dns/dns.h"
#include "flow/flow.h"

#define READ_TIMEOUT_MS 5000
#define QUIET_MS 200

/* ---- The test addon (runs on the loop's thread). ---- */

static struct hook_call *held; /* the deferred hold.test call; loop thread only */

static void
answer_a(struct flow *f, uint8_t last)
{
    uint8_t ip[4] = {10, last, last, last};
    f->dns_response = dns_message_answer(f->dns_request, DNS_RCODE_NOERROR);
    dns_add_rr(&f->dns_response->answers, f->dns_request->questions[0].name, DNS_TYPE_A,
               DNS_CLASS_IN, 60, ip, 4);
}

static enum addon_result
t_dns_request(struct addon *a, struct hook_call *call)
{
    (void)a;
    struct flow *f = call->data->flow;
    const char *name = f->dns_request->nquestions ? f->dns_request->questions[0].name : "";
    if (strcmp(name, "answer.test") == 0) {
        answer_a(f, 9);
    } else if (strcmp(name, "kill.test") == 0) {
        flow_kill(f);
    } else if (strcmp(name, "hold.test") == 0) {
        held = call;
        return ADDON_DEFER;
    } else if (strcmp(name, "release.test") == 0) {
        answer_a(f, 8);
        struct hook_call *h = held;
        held = NULL;
        if (h) {
            answer_a(h->data->flow, 7);
            addon_resume(h);
        }
    }
    return ADDON_CONTINUE;
}

static const struct addon_ops t_ops = {
    .name = "test_dns",
    .hooks = {[HOOK_DNS_REQUEST] = t_dns_request},
};

static struct addon t_addon = {.ops = &t_ops};

/* ---- Clients. ---- */

/* A query for name's A record, as a datagram or on a TCP stream. */
static void
wire_query(struct buf *out, uint16_t id, const char *name, int tcp)
{
    tdns_wire(out, tdns_query(id, name, DNS_TYPE_A), tcp);
}

static struct sockaddr_in
server_addr(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

static int
udp_client(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT(fd >= 0);
    return fd;
}

static void
udp_query(int fd, int port, uint16_t id, const char *name)
{
    struct buf b = BUF_INIT;
    wire_query(&b, id, name, 0);
    struct sockaddr_in sa = server_addr(port);
    ASSERT_EQ(sendto(fd, buf_ptr(&b), b.len, 0, (struct sockaddr *)&sa, sizeof(sa)),
              (ssize_t)b.len);
    buf_clear(&b);
}

/* The next datagram within ms, parsed; NULL if none came. */
static struct dns_message *
udp_answer(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
        return NULL;
    uint8_t buf[65536];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    ASSERT(n > 0);
    struct dns_message *m;
    struct err e = {0};
    ASSERT_EQ(dns_parse(buf, (size_t)n, NULL, &m, &e), 0);
    return m;
}

/* Asserts m answers id with one A record 10.x.x.x (x = last), and frees it. */
static void
expect_a(struct dns_message *m, uint16_t id, uint8_t last)
{
    ASSERT(m != NULL);
    ASSERT_EQ(m->id, id);
    ASSERT(!m->query);
    ASSERT_EQ(m->response_code, DNS_RCODE_NOERROR);
    ASSERT_EQ(m->answers.n, 1);
    uint8_t ip[4] = {10, last, last, last};
    ASSERT_MEMEQ(buf_ptr(&m->answers.v[0].data), m->answers.v[0].data.len, ip, 4);
    dns_message_free(m);
}

TEST(udp_dns_answer_servfail_kill)
{
    struct tproxy p;
    tproxy_start(&p, "dns", &t_addon);
    int fd = udp_client();
    udp_query(fd, p.port, 0x1111, "answer.test");
    expect_a(udp_answer(fd, READ_TIMEOUT_MS), 0x1111, 9);
    /* Nobody answers other.test (no resolver here): SERVFAIL, not silence. */
    udp_query(fd, p.port, 0x2222, "other.test");
    struct dns_message *m = udp_answer(fd, READ_TIMEOUT_MS);
    ASSERT(m != NULL);
    ASSERT_EQ(m->id, 0x2222);
    ASSERT_EQ(m->response_code, DNS_RCODE_SERVFAIL);
    dns_message_free(m);
    /* A killed query gets nothing; the server goes on. */
    udp_query(fd, p.port, 0x3333, "kill.test");
    ASSERT(udp_answer(fd, QUIET_MS) == NULL);
    udp_query(fd, p.port, 0x4444, "answer.test");
    expect_a(udp_answer(fd, READ_TIMEOUT_MS), 0x4444, 9);
    /* Datagrams too short for a DNS id are dropped. */
    struct sockaddr_in sa = server_addr(p.port);
    ASSERT_EQ(sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)), 1);
    ASSERT(udp_answer(fd, QUIET_MS) == NULL);
    close(fd);
    tproxy_stop(&p);
}

TEST(udp_dns_held_query_others_go_on)
{
    struct tproxy p;
    tproxy_start(&p, "dns", &t_addon);
    int a = udp_client(), b = udp_client();
    udp_query(b, p.port, 1, "answer.test");
    expect_a(udp_answer(b, READ_TIMEOUT_MS), 1, 9); /* the loop runs */
    udp_query(a, p.port, 0xaaaa, "hold.test");
    ASSERT(udp_answer(a, QUIET_MS) == NULL);
    /* Another client, and the same client with another id, go on meanwhile. */
    udp_query(b, p.port, 2, "answer.test");
    expect_a(udp_answer(b, READ_TIMEOUT_MS), 2, 9);
    udp_query(a, p.port, 0xbbbb, "answer.test");
    expect_a(udp_answer(a, READ_TIMEOUT_MS), 0xbbbb, 9);
    /* release.test answers the held query too. */
    udp_query(b, p.port, 3, "release.test");
    expect_a(udp_answer(b, READ_TIMEOUT_MS), 3, 8);
    expect_a(udp_answer(a, READ_TIMEOUT_MS), 0xaaaa, 7);
    close(a);
    close(b);
    tproxy_stop(&p);
}

/* Reads exactly n bytes or fails. */
static void
read_full(int fd, uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        ASSERT(poll(&pf, 1, READ_TIMEOUT_MS) == 1);
        ssize_t r = recv(fd, p + got, n - got, 0);
        ASSERT(r > 0);
        got += (size_t)r;
    }
}

static struct dns_message *
tcp_answer(int fd)
{
    uint8_t len[2], buf[65536];
    read_full(fd, len, 2);
    size_t n = (size_t)len[0] << 8 | len[1];
    read_full(fd, buf, n);
    struct dns_message *m;
    struct err e = {0};
    ASSERT_EQ(dns_parse(buf, n, NULL, &m, &e), 0);
    return m;
}

TEST(udp_dns_tcp_on_the_same_port)
{
    struct tproxy p;
    tproxy_start(&p, "dns", &t_addon);
    int fd = tnet_connect(p.port);
    struct buf b = BUF_INIT;
    wire_query(&b, 5, "answer.test", 1);
    wire_query(&b, 6, "other.test", 1);
    ASSERT_EQ(send(fd, buf_ptr(&b), b.len, 0), (ssize_t)b.len);
    buf_clear(&b);
    expect_a(tcp_answer(fd), 5, 9);
    struct dns_message *m = tcp_answer(fd);
    ASSERT_EQ(m->id, 6);
    ASSERT_EQ(m->response_code, DNS_RCODE_SERVFAIL);
    dns_message_free(m);
    close(fd);
    tproxy_stop(&p);
}
