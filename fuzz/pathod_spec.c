/*
 * libFuzzer target for the pathod spec language. The input is parsed as a
 * response, a request and a frame. Whatever parses is resolved, printed
 * back, and the printed spec must parse again, resolve to the same spec
 * (resolve is idempotent) and render the same bytes. Rendering stops after
 * a bounded number of bytes, since "@1t" bodies are legal.
 */
#include <stdlib.h>
#include <string.h>

#include "pathod/lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RENDER_MAX (64 * 1024)

static void *
parse(int kind, const char *s, struct err *e)
{
    if (kind == 0)
        return pathod_response_parse(s, e);
    if (kind == 1)
        return pathod_request_parse(s, e);
    return pathod_frame_parse(s, e);
}

static int
resolve(int kind, void *m, const struct pathod_settings *st, struct err *e)
{
    if (kind == 0)
        return pathod_response_resolve(m, st, e);
    if (kind == 1)
        return pathod_request_resolve(m, st, e);
    return pathod_frame_resolve(m, st, e);
}

static void
spec(int kind, const void *m, struct buf *out)
{
    if (kind == 0)
        pathod_response_spec(m, out);
    else if (kind == 1)
        pathod_request_spec(m, out);
    else
        pathod_frame_spec(m, out);
}

static void
release(int kind, void *m)
{
    if (kind == 0)
        pathod_response_free(m);
    else if (kind == 1)
        pathod_request_free(m);
    else
        pathod_frame_free(m);
}

/* Renders at most RENDER_MAX bytes into out, pauses skipped. */
static void
render(int kind, const void *m, struct buf *out)
{
    struct pathod_render *r = kind == 0   ? pathod_response_render(m)
                              : kind == 1 ? pathod_request_render(m)
                                          : pathod_frame_render(m);
    uint8_t tmp[4096];
    while (out->len < RENDER_MAX) {
        struct pathod_action act;
        ssize_t n = pathod_render_next(r, tmp, sizeof(tmp), &act);
        if (n < 0)
            abort(); /* no files here, so nothing can fail to read */
        buf_append(out, tmp, (size_t)n);
        if (act.kind == PATHOD_ACT_DONE || act.kind == PATHOD_ACT_DISCONNECT)
            break;
    }
    pathod_render_free(r);
}

static void
check(int kind, const char *s, const struct pathod_settings *st)
{
    struct err e;
    void *m = parse(kind, s, &e);
    if (!m) {
        if (e.code != MP_ERR_SYNTAX || strncmp(e.msg, "parse error at offset ", 22) != 0)
            abort();
        return;
    }
    if (resolve(kind, m, st, &e) < 0) {
        release(kind, m);
        return;
    }
    struct buf s1 = BUF_INIT, s2 = BUF_INIT, b1 = BUF_INIT, b2 = BUF_INIT;
    spec(kind, m, &s1);
    char *text = buf_strdup(&s1);
    void *m2 = parse(kind, text, &e);
    if (!m2)
        abort(); /* a printed spec must read back */
    if (resolve(kind, m2, st, &e) < 0)
        abort();
    spec(kind, m2, &s2);
    if (s1.len != s2.len || memcmp(buf_ptr(&s1), buf_ptr(&s2), s1.len) != 0)
        abort();
    render(kind, m, &b1);
    render(kind, m2, &b2);
    if (b1.len != b2.len || memcmp(buf_ptr(&b1), buf_ptr(&b2), b1.len) != 0)
        abort();
    free(text);
    buf_clear(&s1);
    buf_clear(&s2);
    buf_clear(&b1);
    buf_clear(&b2);
    release(kind, m);
    release(kind, m2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct pathod_settings st = {
        .host = "example.com",
        .ws_key = "dGhlIHNhbXBsZSBub25jZQ==",
        .is_client = size & 1,
    };
    for (int kind = 0; kind < 3; kind++)
        check(kind, s, &st);

    struct pathod_list l;
    struct err e;
    if (pathod_pathoc_parse(s, &l, &e) == 0)
        pathod_list_free(&l);
    if (pathod_pathod_parse(s, &l, &e) == 0)
        pathod_list_free(&l);
    free(s);
    return 0;
}
