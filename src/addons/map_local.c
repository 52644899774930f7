/*
 * The map_local addon. Candidate paths are built the way maplocal.py
 * builds them (percent-decoded remainder, then a version with unusual
 * characters replaced by "_", each also with "/index.html"), and a path
 * with a ".." part or an absolute one yields no candidates at all, which
 * is what werkzeug's safe_join makes of it.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "addons/map_local.h"
#include "addons/spec.h"
#include "flow/flow.h"
#include "http/url.h"
#include "options/opt.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/path.h"
#include "util/xmalloc.h"

/* mitmproxy's version.MITMPROXY, sent as Server like maplocal.py does. */
#define SERVER_NAME "mitmproxy 8.1.1"

struct rule {
    struct spec spec;
    struct spec_re *re;
    char *local_path; /* owned; resolved at configure */
};

struct map_local {
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
    free(r->local_path);
}

static int
parse_rule(const char *option, void *p, struct err *e)
{
    struct rule *r = p;
    if (spec_parse(option, &r->spec, e) < 0)
        return MP_ERR_SYNTAX;
    r->re = spec_re_compile((const uint8_t *)r->spec.subject, strlen(r->spec.subject), 0, e);
    if (r->re == NULL) {
        spec_clear(&r->spec);
        return MP_ERR_SYNTAX;
    }
    /* Path.expanduser().resolve(strict=True): the path must exist now. */
    char *path = path_expand_home(r->spec.replacement);
    char *real = realpath(path, NULL);
    if (real == NULL) {
        int rc = err_set(e, MP_ERR_NOTFOUND, "Invalid file path: %s (%s)", r->spec.replacement,
                         strerror(errno));
        free(path);
        spec_clear(&r->spec);
        spec_re_free(r->re);
        r->re = NULL;
        return rc;
    }
    free(path);
    r->local_path = real;
    return 0;
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct map_local *ml = (struct map_local *)a;
    struct rule *rules;
    int rc = spec_rules_parse(&o->map_local, "map_local", sizeof(*rules), parse_rule, clear_rule,
                              (void **)&rules, e);
    if (rc < 0)
        return rc;
    spec_rules_free(ml->rules, ml->n, sizeof(*rules), clear_rule);
    ml->rules = rules;
    ml->n = o->map_local.n;
    return 0;
}

/* --- Content types, as Python's mimetypes: built-in table, then /etc/mime.types. --- */

struct mime {
    char *ext; /* without the dot */
    char *type;
};

static struct mime *mimes;
static size_t nmimes, capmimes;
static pthread_once_t mimes_once = PTHREAD_ONCE_INIT;

static const char *const builtin_types[][2] = {
    {"html", "text/html"},        {"htm", "text/html"},
    {"css", "text/css"},          {"js", "text/javascript"},
    {"mjs", "text/javascript"},   {"json", "application/json"},
    {"txt", "text/plain"},        {"xml", "text/xml"},
    {"png", "image/png"},         {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},       {"gif", "image/gif"},
    {"svg", "image/svg+xml"},     {"ico", "image/vnd.microsoft.icon"},
    {"webp", "image/webp"},       {"pdf", "application/pdf"},
    {"zip", "application/zip"},   {"wasm", "application/wasm"},
    {"woff", "font/woff"},        {"woff2", "font/woff2"},
    {"mp4", "video/mp4"},         {"mp3", "audio/mpeg"},
    {"tar", "application/x-tar"}, {"csv", "text/csv"},
    {"md", "text/markdown"},
};

static void
add_mime(const char *ext, size_t n, const char *type, size_t tn)
{
    for (size_t i = 0; i < nmimes; i++) {
        if (strlen(mimes[i].ext) == n && memcmp(mimes[i].ext, ext, n) == 0) {
            free(mimes[i].type);
            mimes[i].type = xstrndup(type, tn);
            return;
        }
    }
    if (nmimes == capmimes) {
        capmimes = capmimes ? capmimes * 2 : 256;
        mimes = xrealloc(mimes, capmimes * sizeof(*mimes));
    }
    mimes[nmimes].ext = xstrndup(ext, n);
    mimes[nmimes++].type = xstrndup(type, tn);
}

static void
load_mimes(void)
{
    for (size_t i = 0; i < sizeof(builtin_types) / sizeof(builtin_types[0]); i++)
        add_mime(builtin_types[i][0], strlen(builtin_types[i][0]), builtin_types[i][1],
                 strlen(builtin_types[i][1]));
    FILE *fp = fopen("/etc/mime.types", "r");
    if (fp == NULL)
        return;
    char line[1024];
    while (fgets(line, sizeof(line), fp)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        const char *ws = " \t\r\n";
        char *p = line + strspn(line, ws);
        size_t tn = strcspn(p, ws);
        if (tn == 0)
            continue;
        const char *type = p;
        p += tn;
        for (;;) {
            p += strspn(p, ws);
            size_t en = strcspn(p, ws);
            if (en == 0)
                break;
            add_mime(p, en, type, tn);
            p += en;
        }
    }
    fclose(fp);
}

static const char *
lookup_mime(const char *ext, size_t n)
{
    for (size_t i = 0; i < nmimes; i++)
        if (strlen(mimes[i].ext) == n && memcmp(mimes[i].ext, ext, n) == 0)
            return mimes[i].type;
    for (size_t i = 0; i < nmimes; i++)
        if (strlen(mimes[i].ext) == n && strncasecmp(mimes[i].ext, ext, n) == 0)
            return mimes[i].type;
    return NULL;
}

const char *
map_local_guess_type(const char *path)
{
    pthread_once(&mimes_once, load_mimes);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    /* An encoding suffix (".gz" and friends) is not the type: look one further. */
    static const char *const encodings[] = {"gz", "Z", "bz2", "xz", "br"};
    for (int round = 0; round < 2; round++) {
        const char *dot = NULL;
        for (size_t i = 0; i < len; i++)
            if (base[i] == '.')
                dot = base + i;
        if (dot == NULL || dot == base)
            return NULL;
        const char *ext = dot + 1;
        size_t en = len - (size_t)(ext - base);
        int is_enc = 0;
        for (size_t i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++)
            if (strlen(encodings[i]) == en && memcmp(encodings[i], ext, en) == 0)
                is_enc = 1;
        if (!is_enc || round == 1)
            return is_enc ? NULL : lookup_mime(ext, en);
        len = (size_t)(dot - base);
    }
    return NULL;
}

/* --- Candidates. --- */

struct paths {
    char **v;
    size_t n, cap;
};

static void
paths_push(struct paths *ps, char *p)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 8;
        ps->v = xrealloc(ps->v, ps->cap * sizeof(*ps->v));
    }
    ps->v[ps->n++] = p;
}

static void
paths_clear(struct paths *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->v[i]);
    free(ps->v);
    memset(ps, 0, sizeof(*ps));
}

/* re.sub(r"[^0-9a-zA-Z\-_.=(),/]", "_", s) over text: one "_" per character. */
static char *
escape_suffix(const char *s)
{
    size_t n = strlen(s);
    char *r = xmalloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 && c < 0xc0)
            continue; /* continuation byte of a character already replaced */
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            strchr("-_.=(),/", c) != NULL)
            r[j++] = (char)c;
        else
            r[j++] = '_';
    }
    r[j] = '\0';
    return r;
}

/* root joined with the parts of untrusted; NULL where safe_join would refuse. */
static char *
safe_join(const char *root, const char *untrusted)
{
    if (untrusted[0] == '/')
        return NULL;
    struct buf b = BUF_INIT;
    buf_append_str(&b, root);
    const char *p = untrusted;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            buf_clear(&b);
            return NULL;
        }
        if (n > 0 && !(n == 1 && p[0] == '.')) {
            if (b.len == 0 || buf_ptr(&b)[b.len - 1] != '/')
                buf_append(&b, "/", 1);
            buf_append(&b, p, n);
        }
        p += n;
        p += strspn(p, "/");
    }
    char *r = buf_strdup(&b);
    buf_clear(&b);
    return r;
}

/* maplocal.py's file_candidates(); url is known to match. */
static void
file_candidates(const struct rule *r, const char *url, struct paths *out)
{
    size_t ulen = strlen(url), start, end;
    char *suffix;
    if (spec_re_groups(r->re) > 0) {
        spec_re_first(r->re, (const uint8_t *)url, ulen, 1, &start, &end);
        suffix = xstrndup(url + start, end - start);
    } else {
        spec_re_first(r->re, (const uint8_t *)url, ulen, 0, &start, &end);
        const char *rest = url + end;
        size_t n = strcspn(rest, "?");
        while (n > 0 && rest[0] == '/')
            rest++, n--;
        while (n > 0 && rest[n - 1] == '/')
            n--;
        suffix = xstrndup(rest, n);
    }
    if (suffix[0] == '\0') {
        struct buf b = BUF_INIT;
        buf_printf(&b, "%s/index.html", r->local_path);
        paths_push(out, buf_strdup(&b));
        buf_clear(&b);
        free(suffix);
        return;
    }
    struct buf unq = BUF_INIT;
    http_unquote(&unq, suffix, strlen(suffix), 0);
    char *decoded = buf_strdup(&unq);
    buf_clear(&unq);
    char *escaped = escape_suffix(decoded);
    const char *bases[2] = {decoded, escaped};
    int nb = strcmp(decoded, escaped) != 0 ? 2 : 1;
    struct paths tmp = {0};
    int refused = 0;
    for (int i = 0; i < nb && !refused; i++) {
        struct buf idx = BUF_INIT;
        buf_printf(&idx, "%s/index.html", bases[i]);
        char *idxs = buf_strdup(&idx);
        char *a = safe_join(r->local_path, bases[i]);
        char *b = safe_join(r->local_path, idxs);
        if (a == NULL || b == NULL)
            refused = 1;
        if (a)
            paths_push(&tmp, a);
        if (b)
            paths_push(&tmp, b);
        free(idxs);
        buf_clear(&idx);
    }
    if (!refused) {
        for (size_t i = 0; i < tmp.n; i++)
            paths_push(out, tmp.v[i]);
        tmp.n = 0;
    }
    paths_clear(&tmp);
    free(decoded);
    free(escaped);
    free(suffix);
}

static int
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int
read_file(const char *path, struct buf *out)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return -errno;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        buf_append(out, chunk, n);
    int rc = ferror(fp) ? -EIO : 0;
    fclose(fp);
    return rc;
}

/* http.Response.make(status, content, headers). */
static struct http_response *
make_response(int status, const struct buf *content, const char *type)
{
    struct http_response *resp = http_response_new();
    http_set_str(&resp->http_version, "HTTP/1.1");
    resp->status_code = status;
    http_set_str(&resp->reason, http_status_reason(status));
    if (status == 200) {
        hdrs_add_cstr(&resp->headers, "Server", SERVER_NAME);
        if (type)
            hdrs_add_cstr(&resp->headers, "Content-Type", type);
    }
    char num[32];
    snprintf(num, sizeof(num), "%zu", content ? content->len : 0);
    hdrs_add_cstr(&resp->headers, "content-length", num);
    if (content)
        buf_set(&resp->content, buf_ptr(content), content->len);
    resp->timestamp_start = clock_now();
    resp->timestamp_end = resp->timestamp_start;
    return resp;
}

static enum addon_result
on_request(struct addon *a, struct hook_call *call)
{
    struct map_local *ml = (struct map_local *)a;
    struct flow *f = call->data->flow;
    if (f == NULL || f->type != FLOW_HTTP || f->request == NULL || f->response || f->error ||
        !f->live || ml->n == 0)
        return ADDON_CONTINUE;
    char *url = http_request_pretty_url(f->request);
    struct paths all = {0};
    for (size_t i = 0; i < ml->n && f->response == NULL; i++) {
        const struct rule *r = &ml->rules[i];
        if (!spec_matches(&r->spec, f) || !spec_re_search(r->re, (const uint8_t *)url, strlen(url)))
            continue;
        size_t first = all.n;
        if (is_file(r->local_path))
            paths_push(&all, xstrdup(r->local_path));
        else
            file_candidates(r, url, &all);
        for (size_t j = first; j < all.n; j++) {
            if (!is_file(all.v[j]))
                continue;
            struct buf data = BUF_INIT;
            int rc = read_file(all.v[j], &data);
            if (rc < 0) {
                log_msg(LOG_WARN, "Could not read file: %s: %s", all.v[j], strerror(-rc));
                buf_clear(&data);
                break;
            }
            f->response = make_response(200, &data, map_local_guess_type(all.v[j]));
            buf_clear(&data);
            break;
        }
    }
    if (f->response == NULL && all.n > 0) {
        f->response = make_response(404, NULL, NULL);
        struct buf msg = BUF_INIT;
        for (size_t j = 0; j < all.n; j++)
            buf_printf(&msg, "%s%s", j ? ", " : "", all.v[j]);
        char *s = buf_strdup(&msg);
        log_msg(LOG_INFO, "None of the local file candidates exist: %s", s);
        free(s);
        buf_clear(&msg);
    }
    paths_clear(&all);
    free(url);
    return ADDON_CONTINUE;
}

static void
map_local_free(struct addon *a)
{
    struct map_local *ml = (struct map_local *)a;
    spec_rules_free(ml->rules, ml->n, sizeof(*ml->rules), clear_rule);
    free(ml);
}

/* Any rule may answer a loaded request. */
static int
acts_on_loaded(struct addon *a)
{
    const struct map_local *x = (const struct map_local *)a;
    return x->n > 0;
}

static const struct addon_ops map_local_ops = {
    .name = "maplocal",
    .acts_on_loaded = acts_on_loaded,
    .configure = configure,
    .free = map_local_free,
    .hooks = {[HOOK_REQUEST] = on_request},
};

struct addon *
addon_map_local_new(void)
{
    struct map_local *ml = xcalloc(1, sizeof(*ml));
    ml->base.ops = &map_local_ops;
    return &ml->base;
}
