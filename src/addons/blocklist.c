/*
 * block_list: "/flow-filter/status" rules (any separator character) that
 * answer matching requests with an empty response of that status, or kill
 * the connection for the non-standard 444, as mitmproxy's BlockList. The
 * flow's metadata gets blocklisted = true.
 */
#include <stdlib.h>
#include <string.h>

#include "addons/addon.h"
#include "addons/blocklist.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "flow/tnetstring.h"
#include "http/message.h"
#include "options/opt.h"
#include "util/num.h"
#include "util/clock.h"
#include "util/xmalloc.h"

#define NO_RESPONSE 444

struct rule {
    struct filt *filter;
    int status;
};

struct blocklist {
    struct addon base;
    struct rule *rules;
    size_t n;
};

static void
clear_rules(struct blocklist *b)
{
    for (size_t i = 0; i < b->n; i++)
        filt_free(b->rules[i].filter);
    free(b->rules);
    b->rules = NULL;
    b->n = 0;
}

/* Parses one rule; errors say which option value and why, as mitmproxy. */
static int
parse_rule(const char *spec, struct rule *r, struct err *e)
{
    if (spec[0] == '\0')
        return err_set(e, MP_ERR_INVAL, "Cannot parse block_list option %s: empty", spec);
    char sep = spec[0];
    const char *rest = spec + 1;
    const char *mid = strchr(rest, sep);
    if (mid == NULL || strchr(mid + 1, sep))
        return err_set(e, MP_ERR_INVAL,
                       "Cannot parse block_list option %s: Invalid number of parameters (2 are "
                       "expected)",
                       spec);
    char *status_s = xstrdup(mid + 1);
    int64_t status = 0;
    int bad = num_parse_cstr(status_s, 0, 999, &status) < 0 ||
              (status != NO_RESPONSE && *http_status_reason((int)status) == '\0');
    if (bad) {
        err_set(e, MP_ERR_INVAL, "Cannot parse block_list option %s: Invalid HTTP status code: %s",
                spec, status_s);
        free(status_s);
        return MP_ERR_INVAL;
    }
    free(status_s);
    /* mitmproxy lower-cases the whole rule before parsing it. */
    char *expr = xstrndup(rest, (size_t)(mid - rest));
    for (char *p = expr; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p += 32;
    struct err fe = {0};
    r->filter = filt_compile(expr, &fe);
    free(expr);
    if (r->filter == NULL)
        return err_set(e, MP_ERR_INVAL, "Cannot parse block_list option %s: %s", spec, fe.msg);
    r->status = (int)status;
    return 0;
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct blocklist *b = (struct blocklist *)a;
    clear_rules(b);
    b->rules = xcalloc(o->block_list.n ? o->block_list.n : 1, sizeof(*b->rules));
    for (size_t i = 0; i < o->block_list.n; i++) {
        int rc = parse_rule(o->block_list.v[i], &b->rules[b->n], e);
        if (rc < 0)
            return rc;
        b->n++;
    }
    return 0;
}

static enum addon_result
on_request(struct addon *a, struct hook_call *call)
{
    struct blocklist *b = (struct blocklist *)a;
    struct flow *f = call->data->flow;
    if (f == NULL || f->response || f->error || !f->live)
        return ADDON_CONTINUE;
    for (size_t i = 0; i < b->n; i++) {
        if (!filt_match(b->rules[i].filter, f))
            continue;
        if (f->metadata == NULL)
            f->metadata = tns_dict();
        tns_dict_set(f->metadata, "blocklisted", tns_bool(1));
        if (b->rules[i].status == NO_RESPONSE) {
            flow_kill(f);
        } else {
            struct http_response *r = http_response_new();
            http_set_str(&r->http_version, "HTTP/1.1");
            r->status_code = b->rules[i].status;
            http_set_str(&r->reason, http_status_reason(r->status_code));
            hdrs_add_cstr(&r->headers, "content-length", "0");
            r->timestamp_start = r->timestamp_end = clock_now();
            f->response = r;
        }
        break;
    }
    return ADDON_CONTINUE;
}

static void
blocklist_free(struct addon *a)
{
    struct blocklist *b = (struct blocklist *)a;
    clear_rules(b);
    free(b);
}

/* Only live flows are blocked (on_request): a loaded one never is. */
static int
acts_on_loaded(struct addon *a)
{
    (void)a;
    return 0;
}

static const struct addon_ops blocklist_ops = {
    .name = "blocklist",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = blocklist_free,
    .hooks = {[HOOK_REQUEST] = on_request},
};

struct addon *
addon_blocklist_new(void)
{
    struct blocklist *b = xcalloc(1, sizeof(*b));
    b->base.ops = &blocklist_ops;
    return &b->base;
}
