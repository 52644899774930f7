/*
 * DNS messages for the tests of the DNS mode: the queries a stub resolver
 * sends, and their bytes on the wire as a UDP datagram or on a TCP stream.
 */
#ifndef MP_TESTS_TDNS_H
#define MP_TESTS_TDNS_H

#include <stdint.h>

#include "dns/dns.h"
#include "util/buf.h"

/* A query with id, RD set, and one question (name, type, IN); caller
 * frees. */
struct dns_message *tdns_query(uint16_t id, const char *name, uint16_t type);
/* Appends m's wire form (uncompressed), after RFC 1035's two-byte length
 * if tcp (4.2.2); frees m. */
void tdns_wire(struct buf *out, struct dns_message *m, int tcp);

#endif
