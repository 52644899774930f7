/*
 * Helpers shared by the files of src/flow/ and nothing else: flow_copy()
 * needs to copy connections, which the public API has no use for, and
 * flow_modified() compares states in the one place that knows what a
 * flow's state is, the flow-file writer.
 */
#ifndef MP_FLOW_INTERNAL_H
#define MP_FLOW_INTERNAL_H

#include "flow/connection.h"

struct flow;

/* A deep copy keeping the id (mitmproxy's Flow.copy keeps connection ids);
 * one reference. driver_data is not copied. */
struct connection *connection_copy(const struct connection *);

/* 1 if a and b store the same state (what a flow file holds of them, the
 * backup aside), as mitmproxy compares get_state() dicts. */
int flow__same_state(const struct flow *a, const struct flow *b);

struct tns;
struct tns_writer;
struct err;

/* DNSFlow's request and response (flowfile_dns.c). flow__load_dns() reads
 * them from the version-17 flow dict d, which it leaves as it is; 0 or
 * MP_ERR_CORRUPT with e naming the field. flow__write_dns() writes both
 * keys in mitmproxy 8.1.1's order. */
int flow__load_dns(const struct tns *d, struct flow *f, struct err *e);
void flow__write_dns(struct tns_writer *w, const struct flow *f);

#endif
