/*
 * The stickyauth addon (stickyauth = filter expression): the Authorization
 * header last seen for a host is added to later requests to that host that
 * match the filter and carry none. Like mitmproxy it remembers headers from
 * every request, matching or not, and keys them by request host alone.
 */
#include <stdlib.h>
#include <string.h>

#include "addons/traffic.h"
#include "filter/filter.h"
#include "flow/flow.h"
#include "http/headers.h"
#include "options/opt.h"
#include "util/buf.h"
#include "util/xmalloc.h"

struct host_auth {
    char *host;  /* owned */
    char *value; /* owned */
};

struct stickyauth {
    struct addon base;
    struct filt *flt;     /* owned; NULL: off */
    struct host_auth *hosts;
    size_t nhosts;
};

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct stickyauth *s = (struct stickyauth *)a;
    struct filt *flt = NULL;
    if (o->stickyauth && o->stickyauth[0]) {
        flt = filt_compile(o->stickyauth, e);
        if (flt == NULL)
            return e && e->code ? e->code : MP_ERR_SYNTAX;
    }
    filt_free(s->flt);
    s->flt = flt;
    return 0;
}

/* All Authorization fields joined with ", ", as mitmproxy's Headers reads one. */
static char *
joined(const struct hdrs *h, const char *name)
{
    struct buf b = BUF_INIT;
    int first = 1;
    for (int i = hdrs_find(h, name, 0); i >= 0; i = hdrs_find(h, name, (size_t)i + 1)) {
        if (!first)
            buf_append_str(&b, ", ");
        buf_append(&b, h->v[i].value, h->v[i].value_len);
        first = 0;
    }
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

static enum addon_result
on_request(struct addon *a, struct hook_call *call)
{
    struct stickyauth *s = (struct stickyauth *)a;
    struct flow *f = call->data->flow;
    if (s->flt == NULL || f == NULL || f->request == NULL)
        return ADDON_CONTINUE;
    struct http_request *req = f->request;
    size_t i;
    for (i = 0; i < s->nhosts; i++)
        if (strcmp(s->hosts[i].host, req->host) == 0)
            break;
    if (hdrs_find(&req->headers, "authorization", 0) >= 0) {
        char *v = joined(&req->headers, "authorization");
        if (i == s->nhosts) {
            s->hosts = xrealloc(s->hosts, (s->nhosts + 1) * sizeof(*s->hosts));
            s->hosts[i].host = xstrdup(req->host);
            s->hosts[i].value = v;
            s->nhosts++;
        } else {
            free(s->hosts[i].value);
            s->hosts[i].value = v;
        }
    } else if (i < s->nhosts && filt_match(s->flt, f)) {
        hdrs_set_cstr(&req->headers, "authorization", s->hosts[i].value);
    }
    return ADDON_CONTINUE;
}

static void
stickyauth_free(struct addon *a)
{
    struct stickyauth *s = (struct stickyauth *)a;
    filt_free(s->flt);
    for (size_t i = 0; i < s->nhosts; i++) {
        free(s->hosts[i].host);
        free(s->hosts[i].value);
    }
    free(s->hosts);
    free(s);
}

/* With a filter, loaded requests are read (their credentials kept) and
 * changed. */
static int
acts_on_loaded(struct addon *a)
{
    const struct stickyauth *x = (const struct stickyauth *)a;
    return x->flt != NULL;
}

static const struct addon_ops stickyauth_ops = {
    .name = "stickyauth",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = stickyauth_free,
    .hooks = {[HOOK_REQUEST] = on_request},
};

struct addon *
addon_stickyauth_new(void)
{
    struct stickyauth *s = xcalloc(1, sizeof(*s));
    s->base.ops = &stickyauth_ops;
    return &s->base;
}
