/*
 * The modify_body addon. Rules are rebuilt as a whole on every configure
 * and swapped in only when all of them parsed, so a bad option leaves the
 * running rules alone. "@file" replacements are read again for every flow,
 * as modifybody.py does, so editing the file takes effect at once.
 */
#include <stdlib.h>
#include <string.h>

#include "addons/modify_body.h"
#include "addons/spec.h"
#include "flow/flow.h"
#include "http/encoding.h"
#include "options/opt.h"
#include "util/log.h"
#include "util/pyre.h"
#include "util/xmalloc.h"

struct rule {
    struct spec spec;
    struct spec_re *re;
};

struct modify_body {
    struct addon base;
    struct rule *rules; /* owned array of n */
    size_t n;
};

static void
clear_rule(void *p)
{
    struct rule *r = p;
    spec_clear(&r->spec);
    spec_re_free(r->re);
}

static int
parse_rule(const char *option, void *p, struct err *e)
{
    struct rule *r = p;
    if (spec_parse(option, &r->spec, e) < 0)
        return MP_ERR_SYNTAX;
    struct buf subject = BUF_INIT, repl = BUF_INIT;
    int rc = spec_unescape(r->spec.subject, &subject, e);
    if (rc == 0) {
        r->re = spec_re_compile(buf_ptr(&subject), subject.len, PYRE_DOTALL, e);
        if (r->re == NULL)
            rc = MP_ERR_SYNTAX;
    }
    /* An unreadable "@file" is an error now, as parse_modify_spec makes it. */
    if (rc == 0)
        rc = spec_read_replacement(r->spec.replacement, &repl, e);
    /* A template re.sub would refuse (say, a group the regex lacks) is
     * refused now, not once per flow. */
    if (rc == 0)
        rc = spec_re_check_template(r->re, buf_ptr(&repl), repl.len, e);
    buf_clear(&subject);
    buf_clear(&repl);
    if (rc < 0) {
        spec_clear(&r->spec);
        spec_re_free(r->re);
        r->re = NULL;
    }
    return rc;
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct modify_body *mb = (struct modify_body *)a;
    struct rule *rules;
    int rc = spec_rules_parse(&o->modify_body, "modify_body", sizeof(*rules), parse_rule, clear_rule,
                              (void **)&rules, e);
    if (rc < 0)
        return rc;
    spec_rules_free(mb->rules, mb->n, sizeof(*rules), clear_rule);
    mb->rules = rules;
    mb->n = o->modify_body.n;
    return 0;
}

/* Applies one rule to a message's decoded body; the body is kept on any failure. */
static void
apply(const struct rule *r, const struct buf *repl, struct hdrs *headers, struct buf *content)
{
    struct buf decoded = BUF_INIT, out = BUF_INIT;
    struct err e = {0};
    size_t count = 0;
    if (enc_decoded_content(headers, content, &decoded, &e) < 0) {
        log_msg(LOG_WARN, "modify_body: cannot decode body, left unchanged: %s", e.msg);
    } else if (spec_re_sub(r->re, buf_ptr(repl), repl->len, buf_ptr(&decoded), decoded.len, &out,
                           &count, &e) < 0) {
        log_msg(LOG_WARN, "modify_body: bad replacement %s: %s", r->spec.replacement, e.msg);
    } else if (count > 0) {
        enc_set_content(headers, content, buf_ptr(&out), out.len, NULL);
    }
    buf_clear(&decoded);
    buf_clear(&out);
}

static void
run(struct modify_body *mb, struct flow *f)
{
    for (size_t i = 0; i < mb->n; i++) {
        const struct rule *r = &mb->rules[i];
        if (!spec_matches(&r->spec, f))
            continue;
        struct buf repl = BUF_INIT;
        struct err e = {0};
        if (spec_read_replacement(r->spec.replacement, &repl, &e) < 0) {
            log_msg(LOG_WARN, "Could not read replacement file: %s", e.msg);
            buf_clear(&repl);
            continue;
        }
        if (f->response) {
            if (!f->response->content_none)
                apply(r, &repl, &f->response->headers, &f->response->content);
        } else if (!f->request->content_none) {
            apply(r, &repl, &f->request->headers, &f->request->content);
        }
        buf_clear(&repl);
    }
}

static enum addon_result
on_request(struct addon *a, struct hook_call *call)
{
    struct flow *f = call->data->flow;
    if (f == NULL || f->type != FLOW_HTTP || f->request == NULL || f->response || f->error ||
        !f->live)
        return ADDON_CONTINUE;
    run((struct modify_body *)a, f);
    return ADDON_CONTINUE;
}

static enum addon_result
on_response(struct addon *a, struct hook_call *call)
{
    struct flow *f = call->data->flow;
    if (f == NULL || f->type != FLOW_HTTP || f->request == NULL || f->error || !f->live)
        return ADDON_CONTINUE;
    run((struct modify_body *)a, f);
    return ADDON_CONTINUE;
}

static void
modify_body_free(struct addon *a)
{
    struct modify_body *mb = (struct modify_body *)a;
    spec_rules_free(mb->rules, mb->n, sizeof(*mb->rules), clear_rule);
    free(mb);
}

/* Any rule may rewrite a loaded flow. */
static int
acts_on_loaded(struct addon *a)
{
    const struct modify_body *x = (const struct modify_body *)a;
    return x->n > 0;
}

static const struct addon_ops modify_body_ops = {
    .name = "modifybody",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = modify_body_free,
    .hooks = {[HOOK_REQUEST] = on_request, [HOOK_RESPONSE] = on_response},
};

struct addon *
addon_modify_body_new(void)
{
    struct modify_body *mb = xcalloc(1, sizeof(*mb));
    mb->base.ops = &modify_body_ops;
    return &mb->base;
}
