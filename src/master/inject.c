/*
 * inject.websocket and inject.tcp (mitmproxy's proxyserver addon): an
 * addon puts a message of its own into a live WebSocket or TCP flow, and
 * the proxy sends it from the loop at the flow's layer (server_inject).
 * As in 8.1.1, a flow of the wrong kind or one no longer proxied is a
 * warning in the log, not an error of the command.
 */
#include <stddef.h>

#include "commands/commands.h"
#include "core/server.h"
#include "flow/flow.h"
#include "http/ws.h"
#include "master/internal.h"
#include "master/master.h"
#include "util/log.h"

static void
inject(struct master *m, struct flow *f, int to_client, int ws_type, const struct cmds_value *msg)
{
    struct server *srv = master_server(m);
    struct err e = {0};
    if (srv == NULL)
        err_set(&e, MP_ERR_NOTFOUND, "Flow is not from a live connection.");
    else
        server_inject(srv, f, !to_client, ws_type, msg->s, msg->len, &e);
    if (e.code)
        log_msg(LOG_WARN, "%s", e.msg);
}

static int
cmd_inject_websocket(void *arg, struct cmds_call *c, struct err *e)
{
    struct flow *f = cmds_arg(c, 0)->flow;
    (void)e;
    int is_text = cmds_nargs(c) < 4 || cmds_arg(c, 3)->b;
    if (f == NULL || f->type != FLOW_HTTP || f->websocket == NULL) {
        log_msg(LOG_WARN, "Cannot inject WebSocket messages into non-WebSocket flows.");
        return 0;
    }
    inject(arg, f, cmds_arg(c, 1)->b, is_text ? WS_TEXT : WS_BINARY, cmds_arg(c, 2));
    return 0;
}

static int
cmd_inject_tcp(void *arg, struct cmds_call *c, struct err *e)
{
    struct flow *f = cmds_arg(c, 0)->flow;
    (void)e;
    if (f == NULL || f->type != FLOW_TCP) {
        log_msg(LOG_WARN, "Cannot inject TCP messages into non-TCP flows.");
        return 0;
    }
    inject(arg, f, cmds_arg(c, 1)->b, 0, cmds_arg(c, 2));
    return 0;
}

/* is_text may be left out: 8.1.1's default is True. */
static const struct cmds_param ws_p[] = {
    {"flow", CMDS_FLOW, 0, NULL},
    {"to_client", CMDS_BOOL, 0, NULL},
    {"message", CMDS_BYTES, 0, NULL},
    {"is_text", CMDS_BOOL, 0, NULL},
};
static const struct cmds_param tcp_p[] = {
    {"flow", CMDS_FLOW, 0, NULL},
    {"to_client", CMDS_BOOL, 0, NULL},
    {"message", CMDS_BYTES, 0, NULL},
};

int
master__inject_commands(struct master *m, struct cmds *cmds, struct err *e)
{
    int rc =
        cmds_add(cmds, "inject.websocket", NULL, ws_p, 4, CMDS_NONE, cmd_inject_websocket, m, e);
    if (rc == 0)
        rc = cmds_set_optional(cmds, "inject.websocket", 3);
    if (rc == 0)
        rc = cmds_add(cmds, "inject.tcp", NULL, tcp_p, 3, CMDS_NONE, cmd_inject_tcp, m, e);
    return rc;
}
