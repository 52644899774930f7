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

/* Every other hook: mitmproxy._wrap.hook_args picks the classes. */
static PyObject *
other(const struct hook_data *d)
{
    return script__hook_args(d);
}

/*
 * The flow hooks of HTTP (WebSocket hooks are about the HTTP flow) take
 * the fast path above; the rest build their arguments in Python. add_log
 * has no row: it is no hook of the chain, the loader calls it from a log
 * sink.
 */
const struct script__hook script__hooks[] = {
    {HOOK_REQUESTHEADERS, http_flow},
    {HOOK_REQUEST, http_flow},
    {HOOK_RESPONSEHEADERS, http_flow},
    {HOOK_RESPONSE, http_flow},
    {HOOK_ERROR, http_flow},
    {HOOK_HTTP_CONNECT, http_flow},
    {HOOK_HTTP_CONNECT_UPSTREAM, http_flow},
    {HOOK_WEBSOCKET_START, http_flow},
    {HOOK_WEBSOCKET_MESSAGE, http_flow},
    {HOOK_WEBSOCKET_END, http_flow},
    {HOOK_CLIENT_CONNECTED, other},
    {HOOK_CLIENT_DISCONNECTED, other},
    {HOOK_SERVER_CONNECT, other},
    {HOOK_SERVER_CONNECTED, other},
    {HOOK_SERVER_DISCONNECTED, other},
    {HOOK_TCP_START, other},
    {HOOK_TCP_MESSAGE, other},
    {HOOK_TCP_END, other},
    {HOOK_TCP_ERROR, other},
    {HOOK_DNS_REQUEST, other},
    {HOOK_DNS_RESPONSE, other},
    {HOOK_DNS_ERROR, other},
    {HOOK_NEXT_LAYER, other},
    {HOOK_TLS_CLIENTHELLO, other},
    {HOOK_TLS_START_CLIENT, other},
    {HOOK_TLS_START_SERVER, other},
    {HOOK_TLS_ESTABLISHED_CLIENT, other},
    {HOOK_TLS_ESTABLISHED_SERVER, other},
    {HOOK_TLS_FAILED_CLIENT, other},
    {HOOK_TLS_FAILED_SERVER, other},
    {HOOK_SOCKS5_AUTH, other},
    {HOOK_UPDATE, other},
};

const size_t script__nhooks = sizeof(script__hooks) / sizeof(script__hooks[0]);

const struct script__hook *
script__hook_find(enum hook h)
{
    for (size_t k = 0; k < script__nhooks; k++)
        if (script__hooks[k].hook == h)
            return &script__hooks[k];
    return NULL;
}
