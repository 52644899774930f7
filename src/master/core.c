/*
 * The core commands (mitmproxy's addons/core.py and addons/comment.py):
 * set, the flow.* edits and the options.* commands, with 8.1.1's names,
 * parameters, help and messages. A command that changes flows raises the
 * update hook with them, so the flow store and the UIs show them again.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/addon.h"
#include "addons/map_remote.h"
#include "commands/commands.h"
#include "flow/flow.h"
#include "http/encoding.h"
#include "http/headers.h"
#include "http/message.h"
#include "master/internal.h"
#include "master/master.h"
#include "options/opt.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xmalloc.h"

/* The flows a command changed, one reference each, for the update hook. */
struct changed {
    struct flow **v;
    size_t n;
};

static void
changed_add(struct changed *c, struct flow *f, size_t cap)
{
    if (c->v == NULL)
        c->v = xcalloc(cap ? cap : 1, sizeof(*c->v));
    c->v[c->n++] = f;
}

/* Raises update for what changed (mitmproxy raises it even when empty). */
static void
changed_done(struct master *m, struct changed *c)
{
    addon_trigger_update(master_chain(m), c->v, c->n);
    free(c->v);
}

static const struct cmds_flows *
flows_arg(struct cmds_call *c, size_t i)
{
    return &cmds_arg(c, i)->flows;
}

static int
cmd_set(void *arg, struct cmds_call *c, struct err *e)
{
    struct master *m = arg;
    const char *option = cmds_arg(c, 0)->s;
    size_t nvalues = cmds_nargs(c) - 1;
    if (nvalues == 0)
        return master_set(m, &option, 1, e);
    const char **specs = xcalloc(nvalues, sizeof(*specs));
    for (size_t i = 0; i < nvalues; i++) {
        const char *v = cmds_arg(c, i + 1)->s;
        size_t len = strlen(option) + 1 + strlen(v) + 1;
        char *s = xmalloc(len);
        snprintf(s, len, "%s=%s", option, v);
        specs[i] = s;
    }
    int rc = master_set(m, specs, nvalues, e);
    for (size_t i = 0; i < nvalues; i++)
        free((char *)specs[i]);
    free(specs);
    return rc;
}

static int
cmd_resume(void *arg, struct cmds_call *c, struct err *e)
{
    (void)e;
    const struct cmds_flows *fl = flows_arg(c, 0);
    struct changed ch = {0};
    for (size_t i = 0; i < fl->n; i++) {
        if (!fl->v[i]->intercepted)
            continue;
        flow_resume(fl->v[i]);
        changed_add(&ch, fl->v[i], fl->n);
    }
    changed_done(arg, &ch);
    return 0;
}

static void
set_mark(struct flow *f, const char *marker)
{
    free(f->marked);
    f->marked = xstrdup(marker);
}

static int
cmd_mark(void *arg, struct cmds_call *c, struct err *e)
{
    (void)e;
    const struct cmds_flows *fl = flows_arg(c, 0);
    const char *marker = cmds_arg(c, 1)->s;
    struct changed ch = {0};
    for (size_t i = 0; i < fl->n; i++) {
        set_mark(fl->v[i], marker);
        changed_add(&ch, fl->v[i], fl->n);
    }
    changed_done(arg, &ch);
    return 0;
}

static int
cmd_mark_toggle(void *arg, struct cmds_call *c, struct err *e)
{
    (void)e;
    const struct cmds_flows *fl = flows_arg(c, 0);
    struct changed ch = {0};
    for (size_t i = 0; i < fl->n; i++) {
        set_mark(fl->v[i], fl->v[i]->marked && *fl->v[i]->marked ? "" : ":default:");
        changed_add(&ch, fl->v[i], fl->n);
    }
    changed_done(arg, &ch);
    return 0;
}

static int
cmd_comment(void *arg, struct cmds_call *c, struct err *e)
{
    (void)e;
    const struct cmds_flows *fl = flows_arg(c, 0);
    struct changed ch = {0};
    for (size_t i = 0; i < fl->n; i++) {
        free(fl->v[i]->comment);
        fl->v[i]->comment = xstrdup(cmds_arg(c, 1)->s);
        changed_add(&ch, fl->v[i], fl->n);
    }
    changed_done(arg, &ch);
    return 0;
}

/* mitmproxy's Flow.killable: live and not killed already. */
static int
killable(const struct flow *f)
{
    return f->live && !f->killed;
}

static int
cmd_kill(void *arg, struct cmds_call *c, struct err *e)
{
    (void)e;
    const struct cmds_flows *fl = flows_arg(c, 0);
    struct changed ch = {0};
    for (size_t i = 0; i < fl->n; i++) {
        if (!killable(fl->v[i]))
            continue;
        flow_kill(fl->v[i]);
        changed_add(&ch, fl->v[i], fl->n);
    }
    log_msg(LOG_ALERT, "Killed %zu flows.", ch.n);
    changed_done(arg, &ch);
    return 0;
}

static int
cmd_revert(void *arg, struct cmds_call *c, struct err *e)
{
    (void)e;
    const struct cmds_flows *fl = flows_arg(c, 0);
    struct changed ch = {0};
    for (size_t i = 0; i < fl->n; i++) {
        if (!flow_modified(fl->v[i]))
            continue;
        flow_revert(fl->v[i]);
        changed_add(&ch, fl->v[i], fl->n);
    }
    log_msg(LOG_ALERT, "Reverted %zu flows.", ch.n);
    changed_done(arg, &ch);
    return 0;
}

static const char *const set_attrs[] = {"host", "status_code", "method", "path", "url", "reason"};
static const char *const encodings[] = {"gzip", "deflate", "br", "zstd"};

static void
return_list(struct cmds_call *c, const char *const *v, size_t n)
{
    struct strv sv = {0};
    for (size_t i = 0; i < n; i++)
        strv_push(&sv, v[i]);
    cmds_return_strs(c, &sv);
}

static int
cmd_set_options(void *arg, struct cmds_call *c, struct err *e)
{
    (void)arg;
    (void)e;
    return_list(c, set_attrs, sizeof(set_attrs) / sizeof(set_attrs[0]));
    return 0;
}

static int
cmd_encode_options(void *arg, struct cmds_call *c, struct err *e)
{
    (void)arg;
    (void)e;
    return_list(c, encodings, sizeof(encodings) / sizeof(encodings[0]));
    return 0;
}

/* Sets attr on the request; returns whether the request has it. */
static int
set_request(struct http_request *req, const char *attr, const char *value, struct err *e)
{
    if (strcmp(attr, "method") == 0) {
        char *up = xstrdup(value);
        for (char *p = up; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        free(req->method);
        req->method = up;
    } else if (strcmp(attr, "host") == 0) {
        /* Request.host's setter also changes a Host header that is there. */
        http_set_str(&req->host, value);
        if (hdrs_get(&req->headers, "Host"))
            hdrs_set_cstr(&req->headers, "Host", value);
    } else if (strcmp(attr, "path") == 0) {
        http_set_str(&req->path, value);
    } else if (strcmp(attr, "url") == 0) {
        struct err sub = {0};
        if (map_remote_set_url(req, value, &sub) < 0)
            return err_set(e, MP_ERR_INVAL, "URL '%s' is invalid: %s", value, sub.msg);
    } else {
        return 0;
    }
    return 1;
}

static int
set_response(struct http_response *resp, const char *attr, const char *value, int code)
{
    if (strcmp(attr, "status_code") == 0) {
        resp->status_code = code;
        const char *reason = http_status_reason(code);
        if (reason && *reason)
            http_set_str(&resp->reason, reason);
    } else if (strcmp(attr, "reason") == 0) {
        http_set_str(&resp->reason, value);
    } else {
        return 0;
    }
    return 1;
}

/*
 * As 8.1.1 but counting only flows that had the attribute: 8.1.1 counts
 * every flow with a request, and says "on  N" with two spaces.
 */
static int
cmd_flow_set(void *arg, struct cmds_call *c, struct err *e)
{
    const struct cmds_flows *fl = flows_arg(c, 0);
    const char *attr = cmds_arg(c, 1)->s, *value = cmds_arg(c, 2)->s;
    int code = 0;
    if (strcmp(attr, "status_code") == 0) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (*value == '\0' || *end || errno || v < 0 || v > 999)
            return err_set(e, MP_ERR_INVAL, "Status code is not an integer: %s", value);
        code = (int)v;
    }
    struct changed ch = {0};
    for (size_t i = 0; i < fl->n; i++) {
        struct flow *f = fl->v[i];
        int did = 0;
        if (f->request) {
            int rc = set_request(f->request, attr, value, e);
            if (rc < 0) {
                changed_done(arg, &ch);
                return rc;
            }
            did |= rc;
        }
        if (f->response)
            did |= set_response(f->response, attr, value, code);
        if (did)
            changed_add(&ch, f, fl->n);
    }
    log_msg(LOG_ALERT, "Set %s on %zu flows.", attr, ch.n);
    changed_done(arg, &ch);
    return 0;
}

/* The message a part names ("request", "response"), or NULL. */
static int
message_of(struct flow *f, const char *part, struct hdrs **headers, struct buf **content)
{
    if (strcmp(part, "request") == 0 && f->request) {
        *headers = &f->request->headers;
        *content = &f->request->content;
        return 1;
    }
    if (strcmp(part, "response") == 0 && f->response) {
        *headers = &f->response->headers;
        *content = &f->response->content;
        return 1;
    }
    return 0;
}

/* Message.decode(): the body without its Content-Encoding. */
static int
decode(struct hdrs *h, struct buf *content, struct err *e)
{
    struct buf out = BUF_INIT;
    int rc = enc_decoded_content(h, content, &out, e);
    if (rc == 0) {
        hdrs_remove(h, "content-encoding");
        rc = enc_set_content(h, content, buf_ptr(&out), out.len, e);
    }
    buf_clear(&out);
    return rc;
}

/* Message.encode(enc): Content-Encoding set, the body encoded with it. */
static int
encode(struct hdrs *h, struct buf *content, const char *enc, struct err *e)
{
    struct buf plain = BUF_INIT;
    buf_append(&plain, buf_ptr(content), content->len);
    hdrs_set_cstr(h, "content-encoding", enc);
    int rc = enc_set_content(h, content, buf_ptr(&plain), plain.len, e);
    buf_clear(&plain);
    return rc;
}

/* Whether the message's Content-Encoding is none or "identity". */
static int
identity(const struct hdrs *h)
{
    const struct hdr *ce = hdrs_get(h, "content-encoding");
    return ce == NULL || strcmp(ce->value, "identity") == 0;
}

enum recode { RECODE_DECODE, RECODE_ENCODE, RECODE_TOGGLE };

static int
recode(struct master *m, struct cmds_call *c, enum recode how, struct err *e)
{
    const struct cmds_flows *fl = flows_arg(c, 0);
    const char *part = cmds_arg(c, 1)->s;
    const char *enc = how == RECODE_ENCODE ? cmds_arg(c, 2)->s : "deflate";
    struct changed ch = {0};
    int rc = 0;
    for (size_t i = 0; i < fl->n && rc == 0; i++) {
        struct flow *f = fl->v[i];
        struct hdrs *h;
        struct buf *content;
        if (!message_of(f, part, &h, &content))
            continue;
        int plain = identity(h);
        if (how == RECODE_ENCODE && !plain)
            continue;
        flow_backup(f);
        if (how == RECODE_DECODE || (how == RECODE_TOGGLE && !plain))
            rc = decode(h, content, e);
        else
            rc = encode(h, content, enc, e);
        changed_add(&ch, f, fl->n);
    }
    changed_done(m, &ch);
    if (rc < 0)
        return rc;
    log_msg(LOG_ALERT, "%s %zu flows.",
            how == RECODE_DECODE   ? "Decoded"
            : how == RECODE_ENCODE ? "Encoded"
                                   : "Toggled encoding on",
            ch.n);
    return 0;
}

static int
cmd_decode(void *arg, struct cmds_call *c, struct err *e)
{
    return recode(arg, c, RECODE_DECODE, e);
}

static int
cmd_encode(void *arg, struct cmds_call *c, struct err *e)
{
    const char *enc = cmds_arg(c, 2)->s;
    size_t i;
    for (i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++)
        if (strcmp(enc, encodings[i]) == 0)
            break;
    if (i == sizeof(encodings) / sizeof(encodings[0]))
        return err_set(e, MP_ERR_INVAL, "Invalid content encoding '%s'", enc);
    return recode(arg, c, RECODE_ENCODE, e);
}

static int
cmd_encode_toggle(void *arg, struct cmds_call *c, struct err *e)
{
    return recode(arg, c, RECODE_TOGGLE, e);
}

static int
cmd_options_load(void *arg, struct cmds_call *c, struct err *e)
{
    struct master *m = arg;
    struct options *next = opt_copy(master_options(m));
    struct err sub = {0};
    int rc = opt_load_file(next, cmds_arg(c, 0)->s, &sub);
    if (rc == 0)
        rc = master_update(m, next, &sub);
    else
        opt_free(next);
    if (rc < 0)
        return err_set(e, rc, "Could not load options - %s", sub.msg);
    return 0;
}

static int
cmd_options_save(void *arg, struct cmds_call *c, struct err *e)
{
    struct master *m = arg;
    const char *path = cmds_arg(c, 0)->s;
    char *full = path_expand_home(path);
    FILE *f = fopen(full, "w");
    free(full);
    if (f == NULL)
        return err_set(e, MP_ERR_IO, "Could not save options - %s: %s", path, strerror(errno));
    opt_save_yaml(master_options(m), 0, f);
    if (fclose(f) != 0)
        return err_set(e, MP_ERR_IO, "Could not save options - %s: %s", path, strerror(errno));
    return 0;
}

static int
cmd_options_reset(void *arg, struct cmds_call *c, struct err *e)
{
    (void)c;
    return master_update(arg, opt_new(), e);
}

static int
cmd_options_reset_one(void *arg, struct cmds_call *c, struct err *e)
{
    struct master *m = arg;
    const char *name = cmds_arg(c, 0)->s;
    const struct opt_info *info = opt_find(name);
    if (info == NULL)
        return err_set(e, MP_ERR_INVAL, "No such option: %s", name);
    struct options *next = opt_copy(master_options(m));
    opt_reset_one(next, info);
    return master_update(m, next, e);
}

static int
cmd_reading(void *arg, struct cmds_call *c, struct err *e)
{
    (void)e;
    cmds_return_bool(c, master__reading(arg));
    return 0;
}

#define P(name, type)                                                                              \
    {                                                                                              \
        name, CMDS_##type, 0, NULL                                                                 \
    }
static const struct cmds_param set_p[] = {P("option", STR), {"value", CMDS_STR, 1, NULL}};
static const struct cmds_param flows_p[] = {P("flows", FLOWS)};
static const struct cmds_param mark_p[] = {P("flows", FLOWS), P("marker", MARKER)};
static const struct cmds_param comment_p[] = {P("flow", FLOWS), P("comment", STR)};
static const struct cmds_param flow_set_p[] = {
    P("flows", FLOWS), {"attr", CMDS_CHOICE, 0, "flow.set.options"}, P("value", STR)};
static const struct cmds_param part_p[] = {P("flows", FLOWS), P("part", STR)};
static const struct cmds_param encode_p[] = {
    P("flows", FLOWS), P("part", STR), {"encoding", CMDS_CHOICE, 0, "flow.encode.options"}};
static const struct cmds_param path_p[] = {P("path", PATH)};
static const struct cmds_param name_p[] = {P("name", STR)};
#undef P

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const struct {
    const char *name;
    const char *help;
    const struct cmds_param *params;
    size_t nparams;
    enum cmds_type ret;
    cmds_fn fn;
} core_commands[] = {
    {"set",
     /* The docstring's own line breaks and indent: 8.1.1 wraps it as it is. */
     "Set an option. When the value is omitted, booleans are set to true,\n        strings and "
     "integers are set to None (if permitted), and sequences\n        are emptied. Boolean "
     "values can be true, false or toggle.\n        Multiple values are concatenated with a "
     "single space.",
     set_p, N(set_p), CMDS_NONE, cmd_set},
    {"flow.resume", "Resume flows if they are intercepted.", flows_p, N(flows_p), CMDS_NONE,
     cmd_resume},
    {"flow.mark", "Mark flows.", mark_p, N(mark_p), CMDS_NONE, cmd_mark},
    {"flow.mark.toggle", "Toggle mark for flows.", flows_p, N(flows_p), CMDS_NONE, cmd_mark_toggle},
    {"flow.comment", "Add a comment to a flow", comment_p, N(comment_p), CMDS_NONE, cmd_comment},
    {"flow.kill", "Kill running flows.", flows_p, N(flows_p), CMDS_NONE, cmd_kill},
    {"flow.revert", "Revert flow changes.", flows_p, N(flows_p), CMDS_NONE, cmd_revert},
    {"flow.set.options", NULL, NULL, 0, CMDS_STRS, cmd_set_options},
    {"flow.set", "Quickly set a number of common values on flows.", flow_set_p, N(flow_set_p),
     CMDS_NONE, cmd_flow_set},
    {"flow.decode", "Decode flows.", part_p, N(part_p), CMDS_NONE, cmd_decode},
    {"flow.encode.toggle", "Toggle flow encoding on and off, using deflate for encoding.", part_p,
     N(part_p), CMDS_NONE, cmd_encode_toggle},
    {"flow.encode", "Encode flows with a specified encoding.", encode_p, N(encode_p), CMDS_NONE,
     cmd_encode},
    {"flow.encode.options", "The possible values for an encoding specification.", NULL, 0,
     CMDS_STRS, cmd_encode_options},
    {"options.load", "Load options from a file.", path_p, N(path_p), CMDS_NONE, cmd_options_load},
    {"options.save", "Save options to a file.", path_p, N(path_p), CMDS_NONE, cmd_options_save},
    {"options.reset", "Reset all options to defaults.", NULL, 0, CMDS_NONE, cmd_options_reset},
    {"options.reset.one", "Reset one option to its default value.", name_p, N(name_p), CMDS_NONE,
     cmd_options_reset_one},
    {"readfile.reading", NULL, NULL, 0, CMDS_BOOL, cmd_reading},
};

int
master__core_commands(struct master *m, struct cmds *cmds, struct err *e)
{
    for (size_t i = 0; i < N(core_commands); i++) {
        int rc =
            cmds_add(cmds, core_commands[i].name, core_commands[i].help, core_commands[i].params,
                     core_commands[i].nparams, core_commands[i].ret, core_commands[i].fn, m, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}
