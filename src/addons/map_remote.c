/*
 * The map_remote addon. The regex runs over the pretty URL (the one built
 * from the Host header), as in mapremote.py, so a rule written against what
 * the client asked for matches in every proxy mode.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/map_remote.h"
#include "addons/spec.h"
#include "http/url.h"
#include "flow/flow.h"
#include "options/opt.h"
#include "util/log.h"
#include "util/xmalloc.h"

struct rule {
    struct spec spec;
    struct spec_re *re;
};

struct map_remote {
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
    r->re = spec_re_compile((const uint8_t *)r->spec.subject, strlen(r->spec.subject), 0, e);
    /* A template re.sub would refuse (say, a group the regex lacks) is
     * refused now, not once per request. */
    if (r->re == NULL ||
        spec_re_check_template(r->re, (const uint8_t *)r->spec.replacement,
                               strlen(r->spec.replacement), e) < 0) {
        spec_re_free(r->re);
        r->re = NULL;
        spec_clear(&r->spec);
        return MP_ERR_SYNTAX;
    }
    return 0;
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct map_remote *mr = (struct map_remote *)a;
    struct rule *rules;
    int rc = spec_rules_parse(&o->map_remote, "map_remote", sizeof(*rules), parse_rule, clear_rule,
                              (void **)&rules, e);
    if (rc < 0)
        return rc;
    spec_rules_free(mr->rules, mr->n, sizeof(*rules), clear_rule);
    mr->rules = rules;
    mr->n = o->map_remote.n;
    return 0;
}

int
map_remote_set_url(struct http_request *req, const char *url, struct err *e)
{
    /* urllib.parse.urlparse: scheme, then "//" netloc, then the rest. */
    size_t sl = strcspn(url, ":/?#");
    char *scheme = NULL;
    const char *p = url;
    if (url[sl] == ':' && sl > 0 && isalpha((unsigned char)url[0])) {
        scheme = xstrndup(url, sl);
        for (char *c = scheme; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        p = url + sl + 1;
    } else {
        scheme = xstrdup("");
    }
    if (strncmp(p, "//", 2) != 0) {
        free(scheme);
        return err_set(e, MP_ERR_SYNTAX, "No hostname given: %s", url);
    }
    p += 2;
    size_t nl = strcspn(p, "/?#");
    const char *rest = p + nl;
    /* Userinfo is not part of the host. */
    const char *at = NULL;
    for (const char *q = p; q < p + nl; q++)
        if (*q == '@')
            at = q;
    const char *h = at ? at + 1 : p;
    struct slice hs;
    int port;
    int rc = http_hostport_parse(h, (size_t)(p + nl - h), HTTP_HOSTPORT_EMPTY_PORT, &hs, &port,
                                 NULL);
    if (rc < 0) {
        free(scheme);
        if (rc == MP_ERR_SYNTAX)
            return err_set(e, MP_ERR_SYNTAX, "Invalid IPv6 URL: %s", url);
        if (rc == MP_ERR_NOTFOUND)
            return err_set(e, MP_ERR_SYNTAX, "No hostname given: %s", url);
        return err_set(e, MP_ERR_SYNTAX, "Port out of range or invalid in %s", url);
    }
    if (port <= 0)
        port = http_default_port(scheme);
    if (port == 0) {
        free(scheme);
        return err_set(e, MP_ERR_SYNTAX, "Invalid port in %s", url);
    }
    char *host = slice_strdup(hs);
    for (char *c = host; *c; c++)
        *c = (char)tolower((unsigned char)*c);

    http_set_str(&req->scheme, scheme);
    http_set_str(&req->host, host);
    req->port = (uint16_t)port;
    if (rest[0] == '/') {
        http_set_str(&req->path, rest);
    } else {
        char *path = xmalloc(strlen(rest) + 2);
        path[0] = '/';
        strcpy(path + 1, rest);
        http_set_str(&req->path, path);
        free(path);
    }
    /* Request.host's setter: the Host header gets the bare host. */
    if (hdrs_get(&req->headers, "Host") != NULL)
        hdrs_set_cstr(&req->headers, "Host", host);
    if (req->authority && req->authority[0]) {
        struct buf auth = BUF_INIT;
        http_hostport_write(&auth, scheme, host, port, 0);
        char *as = buf_strdup(&auth);
        http_set_str(&req->authority, as);
        free(as);
        buf_clear(&auth);
    }
    free(scheme);
    free(host);
    return 0;
}

static enum addon_result
on_request(struct addon *a, struct hook_call *call)
{
    struct map_remote *mr = (struct map_remote *)a;
    struct flow *f = call->data->flow;
    if (f == NULL || f->type != FLOW_HTTP || f->request == NULL || f->response || f->error ||
        !f->live)
        return ADDON_CONTINUE;
    for (size_t i = 0; i < mr->n; i++) {
        const struct rule *r = &mr->rules[i];
        if (!spec_matches(&r->spec, f))
            continue;
        char *url = http_request_pretty_url(f->request);
        struct buf out = BUF_INIT;
        struct err e = {0};
        if (spec_re_sub(r->re, (const uint8_t *)r->spec.replacement, strlen(r->spec.replacement),
                        (const uint8_t *)url, strlen(url), &out, NULL, &e) < 0) {
            log_msg(LOG_WARN, "map_remote: bad replacement %s: %s", r->spec.replacement, e.msg);
        } else {
            char *next = buf_strdup(&out);
            /* Setting the URL also rewrites Host, so only do it when something changed. */
            if (strcmp(next, url) != 0 && map_remote_set_url(f->request, next, &e) < 0)
                log_msg(LOG_WARN, "map_remote: cannot use %s: %s", next, e.msg);
            free(next);
        }
        buf_clear(&out);
        free(url);
    }
    return ADDON_CONTINUE;
}

static void
map_remote_free(struct addon *a)
{
    struct map_remote *mr = (struct map_remote *)a;
    spec_rules_free(mr->rules, mr->n, sizeof(*mr->rules), clear_rule);
    free(mr);
}

/* Any rule may rewrite a loaded request. */
static int
acts_on_loaded(struct addon *a)
{
    const struct map_remote *x = (const struct map_remote *)a;
    return x->n > 0;
}

static const struct addon_ops map_remote_ops = {
    .name = "mapremote",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = map_remote_free,
    .hooks = {[HOOK_REQUEST] = on_request},
};

struct addon *
addon_map_remote_new(void)
{
    struct map_remote *mr = xcalloc(1, sizeof(*mr));
    mr->base.ops = &map_remote_ops;
    return &mr->base;
}
