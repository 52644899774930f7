/*
 * The hooks scripts receive, and how each one's data becomes the Python
 * arguments of mitmproxy's hook signature. The loader (loader.c) looks up
 * each row's name on every script addon once, when the script loads; a
 * hook no script defines costs nothing per flow.
 *
 * To add a hook of issue 13 (tcp_*, websocket_*, tls_*, next_layer, ...):
 * a row here, and a converter when its data is not a flow the package
 * already wraps (for TCP flows, a mitmproxy.tcp.TCPFlow like
 * script__http_flow).
 */
/* Python.h first, as the C API asks. */
#include "script/internal.h"

#include "flow/flow.h"

/* (flow,) for the HTTP hooks; NULL with no exception skips the call (a
 * hook raised for a flow of another kind). */
static PyObject *
http_flow(const struct hook_data *d)
{
    if (d->flow == NULL || d->flow->type != FLOW_HTTP || d->flow->request == NULL)
        return NULL;
    PyObject *f = script__http_flow(d->flow);
    PyObject *args = f ? PyTuple_Pack(1, f) : NULL;
    Py_XDECREF(f);
    return args;
}

const struct script__hook script__hooks[] = {
    {HOOK_REQUESTHEADERS, http_flow}, {HOOK_REQUEST, http_flow}, {HOOK_RESPONSEHEADERS, http_flow},
    {HOOK_RESPONSE, http_flow},       {HOOK_ERROR, http_flow},
};

const size_t script__nhooks = sizeof(script__hooks) / sizeof(script__hooks[0]);
