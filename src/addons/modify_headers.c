/*
 * The modify_headers addon. As in modifyheaders.py, every filter is
 * evaluated against the unmodified message first, then all matching names
 * are removed, then the non-empty values added, so two rules for one name
 * both end up in the message.
 */
#include <stdlib.h>
#include <string.h>

#include "addons/modify_headers.h"
#include "addons/spec.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "util/log.h"
#include "util/xmalloc.h"

struct rule {
    struct spec spec;
    char *name; /* owned: the unescaped header name */
};

struct modify_headers {
    struct addon base;
    struct rule *rules; /* owned array of n */
    size_t n;
};

static void
clear_rule(void *p)
{
    struct rule *r = p;
    spec_clear(&r->spec);
    free(r->name);
}

static int
parse_rule(const char *option, void *p, struct err *e)
{
    struct rule *r = p;
    if (spec_parse(option, &r->spec, e) < 0)
        return MP_ERR_SYNTAX;
    struct buf name = BUF_INIT, repl = BUF_INIT;
    int rc = spec_unescape(r->spec.subject, &name, e);
    if (rc == 0)
        rc = spec_read_replacement(r->spec.replacement, &repl, e);
    if (rc == 0)
        r->name = buf_strdup(&name);
    else
        spec_clear(&r->spec);
    buf_clear(&name);
    buf_clear(&repl);
    return rc;
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct modify_headers *mh = (struct modify_headers *)a;
    struct rule *rules;
    int rc = spec_rules_parse(&o->modify_headers, "modify_headers", sizeof(*rules), parse_rule, clear_rule,
                              (void **)&rules, e);
    if (rc < 0)
        return rc;
    spec_rules_free(mh->rules, mh->n, sizeof(*rules), clear_rule);
    mh->rules = rules;
    mh->n = o->modify_headers.n;
    return 0;
}

static void
run(struct modify_headers *mh, struct flow *f, struct hdrs *h)
{
    if (mh->n == 0)
        return;
    char *matches = xcalloc(mh->n, 1);
    for (size_t i = 0; i < mh->n; i++)
        matches[i] = (char)spec_matches(&mh->rules[i].spec, f);
    for (size_t i = 0; i < mh->n; i++)
        if (matches[i])
            hdrs_remove(h, mh->rules[i].name);
    for (size_t i = 0; i < mh->n; i++) {
        if (!matches[i])
            continue;
        struct buf v = BUF_INIT;
        struct err e = {0};
        if (spec_read_replacement(mh->rules[i].spec.replacement, &v, &e) < 0) {
            log_msg(LOG_WARN, "Could not read replacement file: %s", e.msg);
        } else if (v.len > 0) {
            /* A header value cannot hold NUL (message.h); keep what precedes one. */
            const uint8_t *nul = memchr(buf_ptr(&v), 0, v.len);
            size_t n = nul ? (size_t)(nul - buf_ptr(&v)) : v.len;
            hdrs_add(h, slice_cstr(mh->rules[i].name), slice_from(buf_ptr(&v), n));
        }
        buf_clear(&v);
    }
    free(matches);
}

static enum addon_result
on_request(struct addon *a, struct hook_call *call)
{
    struct flow *f = call->data->flow;
    if (f == NULL || f->type != FLOW_HTTP || f->request == NULL || f->response || f->error ||
        !f->live)
        return ADDON_CONTINUE;
    run((struct modify_headers *)a, f, &f->request->headers);
    return ADDON_CONTINUE;
}

static enum addon_result
on_response(struct addon *a, struct hook_call *call)
{
    struct flow *f = call->data->flow;
    if (f == NULL || f->type != FLOW_HTTP || f->response == NULL || f->error || !f->live)
        return ADDON_CONTINUE;
    run((struct modify_headers *)a, f, &f->response->headers);
    return ADDON_CONTINUE;
}

static void
modify_headers_free(struct addon *a)
{
    struct modify_headers *mh = (struct modify_headers *)a;
    spec_rules_free(mh->rules, mh->n, sizeof(*mh->rules), clear_rule);
    free(mh);
}

/* Any rule may rewrite a loaded flow. */
static int
acts_on_loaded(struct addon *a)
{
    const struct modify_headers *x = (const struct modify_headers *)a;
    return x->n > 0;
}

static const struct addon_ops modify_headers_ops = {
    .name = "modifyheaders",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = modify_headers_free,
    .hooks = {[HOOK_REQUEST] = on_request, [HOOK_RESPONSE] = on_response},
};

struct addon *
addon_modify_headers_new(void)
{
    struct modify_headers *mh = xcalloc(1, sizeof(*mh));
    mh->base.ops = &modify_headers_ops;
    return &mh->base;
}
