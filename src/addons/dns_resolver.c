/*
 * The dns_resolver addon: answers the queries of a regular DNS mode from
 * the system resolver, as mitmproxy 8.1.1's DnsResolver (see the header).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "addons/addon.h"
#include "addons/dns_resolver.h"
#include "dns/dns.h"
#include "flow/flow.h"
#include "util/clock.h"
#include "util/xmalloc.h"

struct dns_resolver {
    struct addon base;
    tlsconfig_queue_cb queue;
    void *queue_arg;
};

/* One lookup: the query is a copy, so the worker thread touches no flow. */
struct job {
    struct hook_call *call;
    struct flow *flow;          /* one reference; loop thread only */
    struct dns_message *query;  /* owned */
    struct dns_message *answer; /* owned; made by the worker */
};

#define IP4_PTR_SUFFIX ".in-addr.arpa"
#define IP6_PTR_SUFFIX ".ip6.arpa"

static int
ends_with_nocase(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* resolve_question_by_name(): every address getaddrinfo() gives, as 8.1.1
 * asks for them (port 0, any socket type: an address may come once per
 * type, and 8.1.1 answers each). */
static unsigned
by_name(const struct dns_question *q, int family, struct dns_message *out)
{
    struct addrinfo hints = {0}, *res, *ai;
    hints.ai_family = family;
    int r = getaddrinfo(q->name, "0", &hints, &res);
    if (r != 0)
        return r == EAI_NONAME ? DNS_RCODE_NXDOMAIN : DNS_RCODE_SERVFAIL;
    for (ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET && family == AF_INET) {
            const struct sockaddr_in *in = (const void *)ai->ai_addr;
            dns_add_rr(&out->answers, q->name, q->type, q->class_, DNS_DEFAULT_TTL, &in->sin_addr,
                       4);
        } else if (ai->ai_family == AF_INET6 && family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const void *)ai->ai_addr;
            dns_add_rr(&out->answers, q->name, q->type, q->class_, DNS_DEFAULT_TTL, &in6->sin6_addr,
                       16);
        }
    }
    freeaddrinfo(res);
    return DNS_RCODE_NOERROR;
}

/* The address a PTR name stands for ("4.3.2.1.in-addr.arpa" is 1.2.3.4),
 * or -1 when it names none (FORMERR in 8.1.1). */
static int
ptr_addr(const char *name, struct sockaddr_storage *ss)
{
    size_t n = strlen(name);
    int v6 = ends_with_nocase(name, IP6_PTR_SUFFIX);
    size_t stem = n - strlen(v6 ? IP6_PTR_SUFFIX : IP4_PTR_SUFFIX);
    char labels[DNS_MAX_NAME + 1];
    const char *parts[DNS_MAX_NAME];
    size_t nparts = 0;

    if (stem > DNS_MAX_NAME)
        return -1;
    memcpy(labels, name, stem);
    labels[stem] = '\0';
    /* split(".") keeps empty labels, as Python's does. */
    char *p = labels;
    for (;;) {
        parts[nparts++] = p;
        char *dot = strchr(p, '.');
        if (dot == NULL)
            break;
        *dot = '\0';
        p = dot + 1;
    }
    char joined[DNS_MAX_NAME + 1] = "";
    size_t len = 0;
    for (size_t i = nparts; i-- > 0;) {
        size_t k = strlen(parts[i]);
        if (len + k + 1 >= sizeof(joined))
            return -1;
        memcpy(joined + len, parts[i], k);
        len += k;
        if (!v6 && i > 0)
            joined[len++] = '.';
        joined[len] = '\0';
    }
    memset(ss, 0, sizeof(*ss));
    if (!v6) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        return inet_pton(AF_INET, joined, &in->sin_addr) == 1 ? 0 : -1;
    }
    /* bytes.fromhex("".join(labels)) must be the 16 bytes of an address. */
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    if (len != 32)
        return -1;
    for (size_t i = 0; i < 16; i++) {
        char hex[3] = {joined[2 * i], joined[2 * i + 1], '\0'};
        if (!isxdigit((unsigned char)hex[0]) || !isxdigit((unsigned char)hex[1]))
            return -1;
        in6->sin6_addr.s6_addr[i] = (uint8_t)strtoul(hex, NULL, 16);
    }
    return 0;
}

/* resolve_question_by_addr(): the name getnameinfo() finds. */
static unsigned
by_addr(const struct dns_question *q, struct dns_message *out)
{
    struct sockaddr_storage ss;
    if (ptr_addr(q->name, &ss) < 0)
        return DNS_RCODE_FORMERR;
    char host[NI_MAXHOST];
    socklen_t sl =
        ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    int r = getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), NULL, 0, NI_NAMEREQD);
    if (r != 0)
        return r == EAI_NONAME ? DNS_RCODE_NXDOMAIN : DNS_RCODE_SERVFAIL;
    struct buf b = BUF_INIT;
    struct err e = {0};
    /* A name that cannot be a DNS name cannot be answered. */
    if (dns_name_pack(&b, host, &e) < 0) {
        buf_clear(&b);
        return DNS_RCODE_SERVFAIL;
    }
    dns_add_rr(&out->answers, q->name, q->type, q->class_, DNS_DEFAULT_TTL, buf_ptr(&b), b.len);
    buf_clear(&b);
    return DNS_RCODE_NOERROR;
}

static unsigned
resolve_question(const struct dns_question *q, struct dns_message *out)
{
    if (q->class_ != DNS_CLASS_IN)
        return DNS_RCODE_NOTIMP;
    if (q->type == DNS_TYPE_A)
        return by_name(q, AF_INET, out);
    if (q->type == DNS_TYPE_AAAA)
        return by_name(q, AF_INET6, out);
    if (q->type == DNS_TYPE_PTR) {
        if (ends_with_nocase(q->name, IP4_PTR_SUFFIX) || ends_with_nocase(q->name, IP6_PTR_SUFFIX))
            return by_addr(q, out);
        return DNS_RCODE_FORMERR;
    }
    return DNS_RCODE_NOTIMP;
}

struct dns_message *
dns_resolve_message(const struct dns_message *q)
{
    unsigned rcode = DNS_RCODE_NOERROR;
    struct dns_message *ok = dns_message_answer(q, DNS_RCODE_NOERROR);
    if (!q->query)
        rcode = DNS_RCODE_REFUSED; /* an answer cannot be resolved */
    else if (q->op_code != DNS_OP_QUERY)
        rcode = DNS_RCODE_NOTIMP; /* inverse queries and others */
    for (size_t i = 0; rcode == DNS_RCODE_NOERROR && i < q->nquestions; i++)
        rcode = resolve_question(&q->questions[i], ok);
    if (rcode == DNS_RCODE_NOERROR)
        return ok;
    dns_message_free(ok);
    return dns_message_answer(q, rcode);
}

static void
resolve_work(void *arg)
{
    struct job *j = arg;
    j->answer = dns_resolve_message(j->query);
}

static void
resolve_done(void *arg)
{
    struct job *j = arg;
    struct flow *f = j->flow;
    /* Another addon, a kill or the client's leaving may have come first. */
    if (f->dns_response == NULL && f->error == NULL && !f->killed) {
        j->answer->timestamp = clock_now();
        f->dns_response = j->answer;
        j->answer = NULL;
    }
    struct hook_call *call = j->call;
    dns_message_free(j->answer);
    dns_message_free(j->query);
    flow_unref(f);
    free(j);
    addon_resume(call);
}

static enum addon_result
on_dns_request(struct addon *a, struct hook_call *call)
{
    struct dns_resolver *r = (struct dns_resolver *)a;
    struct flow *f = call->data->flow;
    /* 8.1.1 resolves in dns_mode "regular": here, a DNS mode without an
     * upstream server, whose flows have a server without an address. */
    if (f == NULL || f->type != FLOW_DNS || !f->live || f->dns_request == NULL || f->dns_response ||
        f->error || f->server_conn == NULL || f->server_conn->address.host)
        return ADDON_CONTINUE;
    if (r->queue == NULL) {
        f->dns_response = dns_resolve_message(f->dns_request);
        f->dns_response->timestamp = clock_now();
        return ADDON_CONTINUE;
    }
    struct job *j = xcalloc(1, sizeof(*j));
    j->call = call;
    j->flow = flow_ref(f);
    j->query = dns_message_copy(f->dns_request);
    r->queue(r->queue_arg, resolve_work, resolve_done, j);
    return ADDON_DEFER;
}

void
dns_resolver_wire(struct addon *a, tlsconfig_queue_cb queue, void *queue_arg)
{
    struct dns_resolver *r = (struct dns_resolver *)a;
    r->queue = queue;
    r->queue_arg = queue_arg;
}

static void
dns_resolver_free(struct addon *a)
{
    free(a);
}

/* Only live queries are resolved: a loaded flow's never is. */
static int
acts_on_loaded(struct addon *a)
{
    (void)a;
    return 0;
}

static const struct addon_ops dns_resolver_ops = {
    .name = "dns_resolver",
    .acts_on_loaded = acts_on_loaded,
    .free = dns_resolver_free,
    .hooks = {[HOOK_DNS_REQUEST] = on_dns_request},
};

struct addon *
addon_dns_resolver_new(void)
{
    struct dns_resolver *r = xcalloc(1, sizeof(*r));
    r->base.ops = &dns_resolver_ops;
    return &r->base;
}
