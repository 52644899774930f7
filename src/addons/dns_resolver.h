/*
 * The dns_resolver addon (mitmproxy/addons/dns_resolver.py of 8.1.1): in a
 * DNS mode without an upstream server, dns_request is answered from the
 * system resolver. A and AAAA questions go to getaddrinfo(), PTR questions
 * under in-addr.arpa and ip6.arpa to getnameinfo(); every other type, class
 * or op code is answered NOTIMP, a response REFUSED, as 8.1.1 answers them.
 *
 * The lookups block, so they run on another thread (the loop's thread
 * pool, through the queue given to dns_resolver_wire()) while the hook
 * waits; only their result comes back to the loop's thread.
 */
#ifndef MP_ADDONS_DNS_RESOLVER_H
#define MP_ADDONS_DNS_RESOLVER_H

#include "addons/tlsconfig.h"

struct addon;
struct dns_message;

/* A new addon the caller owns (addon_chain_add takes it). */
struct addon *addon_dns_resolver_new(void);
/* Lookups run with queue (server_queue_work); without it (no server:
 * tests, -n) they run on the calling thread. */
void dns_resolver_wire(struct addon *, tlsconfig_queue_cb queue, void *queue_arg);

/*
 * 8.1.1's resolve_message(): the answer to query q from the system
 * resolver, a new message the caller owns. Blocks; any thread.
 */
struct dns_message *dns_resolve_message(const struct dns_message *q);

#endif
