/* Reading the expected files of tests/export. See expected.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "expected.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "util/xmalloc.h"

static char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        test_fail(__FILE__, __LINE__, "cannot open %s", path);
    struct buf b = BUF_INIT;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    *len = b.len;
    char *s = xmalloc(b.len + 1);
    memcpy(s, buf_ptr(&b), b.len);
    s[b.len] = '\0';
    buf_clear(&b);
    return s;
}

struct expected *
expected_load(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/export/expected/%s", name);
    size_t len;
    char *data = slurp(path, &len);
    struct expected *x = xcalloc(1, sizeof(*x));
    size_t cap = 0, pos = 0;
    while (pos < len) {
        char *nl = memchr(data + pos, '\n', len - pos);
        if (nl == NULL || strncmp(data + pos, "flow ", 5) != 0)
            test_fail(__FILE__, __LINE__, "%s: bad record at byte %zu", path, pos);
        *nl = '\0';
        if (x->n == cap) {
            cap = cap ? cap * 2 : 64;
            x->v = xrealloc(x->v, cap * sizeof(*x->v));
        }
        struct expected_rec *r = &x->v[x->n++];
        memset(r, 0, sizeof(*r));
        char *head = data + pos + 5;
        r->index = strtoul(head, &head, 10);
        head++;
        char *sp = strchr(head, ' ');
        r->id = sp ? xstrndup(head, (size_t)(sp - head)) : xstrdup(head);
        r->spec = sp ? xstrdup(sp + 1) : NULL;
        pos = (size_t)(nl - data) + 1;
        nl = memchr(data + pos, '\n', len - pos);
        if (nl == NULL)
            test_fail(__FILE__, __LINE__, "%s: truncated record at byte %zu", path, pos);
        *nl = '\0';
        if (strncmp(data + pos, "ok ", 3) == 0) {
            r->ok = 1;
            r->len = strtoul(data + pos + 3, NULL, 10);
            pos = (size_t)(nl - data) + 1;
            if (pos + r->len + 1 > len)
                test_fail(__FILE__, __LINE__, "%s: truncated bytes at %zu", path, pos);
            r->bytes = xmemdup(data + pos, r->len + 1);
            r->bytes[r->len] = '\0';
            pos += r->len + 1;
        } else {
            r->bytes = xstrdup(data + pos + 6); /* "error " */
            r->len = strlen(r->bytes);
            pos = (size_t)(nl - data) + 1;
        }
    }
    free(data);
    return x;
}

void
expected_free(struct expected *x)
{
    for (size_t i = 0; i < x->n; i++) {
        free(x->v[i].id);
        free(x->v[i].spec);
        free(x->v[i].bytes);
    }
    free(x->v);
    free(x);
}

int
expected_check(const struct expected_rec *rec, const char *id, int rc, const struct buf *out,
               const struct err *e)
{
    const char *what = rec->spec ? rec->spec : "";
    if (strcmp(rec->id, id) != 0) {
        fprintf(stderr, "flow %zu: id %s, expected %s\n", rec->index, id, rec->id);
        return 1;
    }
    if (rec->ok && rc == 0 && test_memeq(buf_ptr(out), out->len, rec->bytes, rec->len))
        return 0;
    if (!rec->ok && rc < 0 && strcmp(e->msg, rec->bytes) == 0)
        return 0;
    fprintf(stderr, "--- flow %zu %s: expected %s\n", rec->index, what, rec->ok ? "" : "error");
    test_print_bytes(stderr, rec->bytes, rec->len);
    fprintf(stderr, "\n--- got %s\n", rc < 0 ? "error" : "");
    if (rc < 0)
        fprintf(stderr, "%s", e->msg);
    else
        test_print_bytes(stderr, buf_ptr(out), out->len);
    fprintf(stderr, "\n");
    return 1;
}

struct fixture_flows
fixture_flows_load(void)
{
    struct fixture_flows ff = {0};
    struct err e = {0};
    struct ffile_reader *r = ffile_reader_open(test_fixture("flows/all.mitm"), &e);
    if (r == NULL)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    struct flow *f;
    size_t cap = 0;
    int rc;
    while ((rc = ffile_read(r, &f, &e)) == 1) {
        if (ff.n == cap) {
            cap = cap ? cap * 2 : 64;
            ff.v = xrealloc(ff.v, cap * sizeof(*ff.v));
        }
        ff.v[ff.n++] = f;
    }
    ffile_reader_free(r);
    if (rc < 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    return ff;
}

void
fixture_flows_free(struct fixture_flows *ff)
{
    for (size_t i = 0; i < ff->n; i++)
        flow_unref(ff->v[i]);
    free(ff->v);
    ff->v = NULL;
    ff->n = 0;
}
