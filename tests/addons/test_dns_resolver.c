/*
 * The dns_resolver addon: 8.1.1's resolve_message() answers (localhost from
 * the system resolver, the response codes of what it does not resolve), and
 * the hook, which answers only live queries of a mode without an upstream.
 */
#include <string.h>

#include "../lib/test.h"
#include "addons/addon.h"
#include "addons/dns_resolver.h"
#include "dns/dns.h"
#include "flow/flow.h"

static struct dns_message *
query(const char *name, uint16_t type)
{
    struct dns_message *m = dns_message_new();
    m->id = 0x2a;
    m->recursion_desired = 1;
    dns_add_question(m, name, type, DNS_CLASS_IN);
    return m;
}

static unsigned
rcode_of(struct dns_message *q)
{
    struct dns_message *a = dns_resolve_message(q);
    unsigned rc = a->response_code;
    ASSERT_EQ(a->id, 0x2a);
    ASSERT(!a->query);
    ASSERT_EQ(a->recursion_available, rc == DNS_RCODE_NOERROR);
    dns_message_free(a);
    dns_message_free(q);
    return rc;
}

TEST(dns_resolver_localhost_a)
{
    struct dns_message *q = query("localhost", DNS_TYPE_A);
    struct dns_message *a = dns_resolve_message(q);
    ASSERT_EQ(a->response_code, DNS_RCODE_NOERROR);
    ASSERT(a->answers.n >= 1);
    for (size_t i = 0; i < a->answers.n; i++) {
        const struct dns_rr *rr = &a->answers.v[i];
        ASSERT_STREQ(rr->name, "localhost");
        ASSERT_EQ(rr->type, DNS_TYPE_A);
        ASSERT_EQ(rr->ttl, 60);
        ASSERT_MEMEQ(buf_ptr(&rr->data), rr->data.len, "\x7f\x00\x00\x01", 4);
    }
    ASSERT_EQ(a->nquestions, 1);
    ASSERT(a->recursion_desired);
    dns_message_free(a);
    dns_message_free(q);
}

TEST(dns_resolver_ptr_localhost)
{
    struct dns_message *q = query("1.0.0.127.in-addr.arpa", DNS_TYPE_PTR);
    struct dns_message *a = dns_resolve_message(q);
    ASSERT_EQ(a->response_code, DNS_RCODE_NOERROR);
    ASSERT_EQ(a->answers.n, 1);
    ASSERT_EQ(a->answers.v[0].type, DNS_TYPE_PTR);
    dns_message_free(a);
    dns_message_free(q);
}

TEST(dns_resolver_codes_of_what_it_does_not_resolve)
{
    ASSERT_EQ(rcode_of(query("localhost", DNS_TYPE_MX)), DNS_RCODE_NOTIMP);
    ASSERT_EQ(rcode_of(query("localhost", DNS_TYPE_TXT)), DNS_RCODE_NOTIMP);
    ASSERT_EQ(rcode_of(query("example.org", DNS_TYPE_PTR)), DNS_RCODE_FORMERR);
    ASSERT_EQ(rcode_of(query("1.2.3.999.in-addr.arpa", DNS_TYPE_PTR)), DNS_RCODE_FORMERR);
    ASSERT_EQ(rcode_of(query("1.2.ip6.arpa", DNS_TYPE_PTR)), DNS_RCODE_FORMERR);
    ASSERT_EQ(rcode_of(query("no-such-host.invalid", DNS_TYPE_A)), DNS_RCODE_NXDOMAIN);

    struct dns_message *q = query("localhost", DNS_TYPE_A);
    q->questions[0].class_ = 3; /* CH */
    ASSERT_EQ(rcode_of(q), DNS_RCODE_NOTIMP);
    q = query("localhost", DNS_TYPE_A);
    q->query = 0;
    ASSERT_EQ(rcode_of(q), DNS_RCODE_REFUSED);
    q = query("localhost", DNS_TYPE_A);
    q->op_code = 1; /* IQUERY */
    ASSERT_EQ(rcode_of(q), DNS_RCODE_NOTIMP);
}

static void
done_now(struct hook_call *call, void *arg)
{
    (void)call;
    *(int *)arg = 1;
}

/* Runs dns_request through a chain of the resolver alone (no queue: at once). */
static void
run_hook(struct flow *f)
{
    struct addon_chain *chain = addon_chain_new();
    addon_chain_add(chain, addon_dns_resolver_new());
    struct hook_data d;
    struct hook_call call;
    int done = 0;
    hook_data_init(&d, HOOK_DNS_REQUEST, f, NULL, NULL);
    addon_dispatch(chain, &call, &d, done_now, &done);
    ASSERT(done);
    hook_data_clear(&d);
    addon_chain_free(chain);
}

TEST(dns_resolver_hook_answers_only_without_upstream)
{
    struct connection *server = connection_new(CONN_SERVER);
    struct flow *f = flow_new_dns(NULL, server);
    f->dns_request = query("localhost", DNS_TYPE_A);
    run_hook(f);
    ASSERT(f->dns_response != NULL);
    ASSERT(f->dns_response->timestamp > 0);
    ASSERT(f->dns_response->answers.n >= 1);
    flow_unref(f);

    /* Reverse mode: the upstream answers, not the resolver. */
    addr_set(&server->address, "10.0.0.53", 53);
    f = flow_new_dns(NULL, server);
    f->dns_request = query("localhost", DNS_TYPE_A);
    run_hook(f);
    ASSERT(f->dns_response == NULL);
    flow_unref(f);

    /* A flow from a file (not live) is left alone, as in 8.1.1. */
    addr_clear(&server->address);
    f = flow_new_dns(NULL, server);
    f->live = 0;
    f->dns_request = query("localhost", DNS_TYPE_A);
    run_hook(f);
    ASSERT(f->dns_response == NULL);
    flow_unref(f);
    connection_unref(server);
}
