/*
 * Flows for the tests of the modules above flow/ (the console, the core
 * commands): built as a flow file read back holds them, not live and with
 * no connections, so that no proxy is needed to make one.
 */
#ifndef MP_TESTS_TFLOW_H
#define MP_TESTS_TFLOW_H

#include "flow/flow.h"

/*
 * A finished HTTP flow: method http://example.com:80 path, HTTP/1.1, and a
 * response with status when status is not 0; no headers, no reason, no
 * bodies (a test adds what it looks at). The caller owns the reference.
 */
struct flow *tflow_http(const char *method, const char *path, int status);

#endif
