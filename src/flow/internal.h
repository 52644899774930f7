/*
 * Helpers shared by the files of src/flow/ and nothing else: flow_copy()
 * needs to copy connections, which the public API has no use for.
 */
#ifndef MP_FLOW_INTERNAL_H
#define MP_FLOW_INTERNAL_H

#include "flow/connection.h"

/* A deep copy keeping the id (mitmproxy's Flow.copy keeps connection ids);
 * one reference. driver_data is not copied. */
struct connection *connection_copy(const struct connection *);

#endif
