/*
 * POST /flows/resend (ours, mitmproxy #6227): a request edited in one form
 * and sent as a new flow. The new flow starts as a copy of the named flow's
 * request (or, with no flow named, as view.flows.create's GET /), takes the
 * form's fields as PUT /flows/<id> takes a "request" object, and is sent by
 * replay.client. The flow it started from is never touched: the form edits
 * a new flow, made before any edit, which replays as any other.
 */
#include <string.h>

#include "commands/commands.h"
#include "flow/connection.h"
#include "flow/flow.h"
#include "http/message.h"
#include "master/master.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/json_parse.h"
#include "web/internal.h"

/* The request to start from: a copy of flow id's, or a blank GET. */
static struct http_request *
start_from(struct web *w, const struct jv *id, struct web_resp *rs)
{
    if (id == NULL || id->type == JV_NULL) {
        struct http_request *r = http_request_new();
        http_set_str(&r->method, "GET");
        http_set_str(&r->scheme, "http");
        http_set_str(&r->path, "/");
        http_set_str(&r->http_version, "HTTP/1.1");
        r->port = 80;
        return r;
    }
    if (id->type != JV_STRING) {
        web__error(rs, 400, "flow: expected a flow id");
        return NULL;
    }
    struct flow *f = store_get(w->store, id->u.str.p, NULL);
    if (f == NULL) {
        web__error(rs, 404, "Flow not found.");
        return NULL;
    }
    struct http_request *r = NULL;
    if (f->type == FLOW_HTTP && f->request)
        r = http_request_copy(f->request);
    else
        web__error(rs, 400, "Only HTTP flows can be resent.");
    flow_unref(f);
    return r;
}

/*
 * A stored, never-live flow for r (taken): a client that is nobody, as
 * view.flows.create has it, and a server at the request's destination,
 * which replay.client connects to.
 */
static struct flow *
new_flow(struct http_request *r)
{
    r->timestamp_start = r->timestamp_end = clock_now();
    struct connection *cl = connection_new(CONN_CLIENT);
    cl->timestamp_start = r->timestamp_start;
    addr_set(&cl->address, "", 0);
    addr_set(&cl->peername, "", 0);
    addr_set(&cl->sockname, "", 0);
    struct connection *sv = connection_new(CONN_SERVER);
    addr_set(&sv->address, r->host, r->port);
    struct flow *f = flow_new_http(cl, sv);
    connection_unref(cl);
    connection_unref(sv);
    f->live = 0;
    f->request = r;
    return f;
}

void
web__flows_resend(struct web *w, struct web_req *rq, struct web_resp *rs, char **args)
{
    struct jv *doc = NULL;
    if (web__json_body(rq, rs, &doc) < 0)
        return;
    const struct jv *from = NULL, *edit = NULL;
    struct err e = {0};
    int rc = 0;
    if (doc->type != JV_OBJECT)
        rc = err_set(&e, MP_ERR_INVAL, "Expected a JSON object.");
    for (size_t i = 0; rc == 0 && i < doc->u.obj.n; i++) {
        const char *k = doc->u.obj.v[i].key;
        if (strcmp(k, "flow") == 0)
            from = &doc->u.obj.v[i].value;
        else if (strcmp(k, "request") == 0)
            edit = &doc->u.obj.v[i].value;
        else
            rc = err_set(&e, MP_ERR_INVAL, "Unknown field %s", k);
    }
    if (rc < 0) {
        web__error(rs, 400, "%s", e.msg);
        jv_free(doc);
        return;
    }
    struct http_request *r = start_from(w, from, rs);
    if (r == NULL) {
        jv_free(doc);
        return;
    }
    if (edit)
        rc = web__edit_request(r, edit, &e);
    jv_free(doc);
    if (rc == 0 && (r->host == NULL || *r->host == '\0'))
        rc = err_set(&e, MP_ERR_INVAL, "request.host: empty");
    if (rc < 0) {
        http_request_free(r);
        web__error(rs, 400, "%s", e.msg);
        return;
    }
    struct flow *f = new_flow(r);
    store_add(w->store, f);
    char spec[UUID_STR_LEN + 1] = "@";
    strcat(spec, f->id);
    const char *argv[] = {spec};
    /* The flow stays when the replay is refused, so the form's work is
     * not lost: the answer names it with the reason. */
    if (cmds_call(master_commands(w->master), "replay.client", argv, 1, NULL, &e) < 0)
        web__error(rs, 400, "%s: %s", f->id, e.msg);
    else
        web__body(rs, "text/html; charset=UTF-8", f->id, strlen(f->id));
    flow_unref(f);
}
