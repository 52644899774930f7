/*
 * JSON from untrusted files (HAR) and requests: the reader must refuse or
 * accept without crashing, and what it accepts must come back the same
 * through the writer and the reader again.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/json_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
write_value(struct json *w, const struct jv *v)
{
    switch (v->type) {
    case JV_NULL:
        json_null(w);
        break;
    case JV_FALSE:
    case JV_TRUE:
        json_bool(w, v->type == JV_TRUE);
        break;
    case JV_NUMBER:
        if (v->u.num.is_int)
            json_int(w, v->u.num.i);
        else
            json_double(w, v->u.num.d);
        break;
    case JV_STRING:
        json_bytes(w, v->u.str.p, v->u.str.len, JSON_UTF8);
        break;
    case JV_ARRAY:
        json_array_begin(w);
        for (size_t i = 0; i < v->u.arr.n; i++)
            write_value(w, &v->u.arr.v[i]);
        json_array_end(w);
        break;
    case JV_OBJECT:
        json_object_begin(w);
        for (size_t i = 0; i < v->u.obj.n; i++) {
            json_key(w, v->u.obj.v[i].key);
            write_value(w, &v->u.obj.v[i].value);
        }
        json_object_end(w);
        break;
    }
}

/* Structural equality, NaN equal to NaN. */
static int
same(const struct jv *a, const struct jv *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case JV_NUMBER:
        return a->u.num.d == b->u.num.d || (isnan(a->u.num.d) && isnan(b->u.num.d));
    case JV_STRING:
        return a->u.str.len == b->u.str.len && !memcmp(a->u.str.p, b->u.str.p, a->u.str.len);
    case JV_ARRAY:
        if (a->u.arr.n != b->u.arr.n)
            return 0;
        for (size_t i = 0; i < a->u.arr.n; i++)
            if (!same(&a->u.arr.v[i], &b->u.arr.v[i]))
                return 0;
        return 1;
    case JV_OBJECT:
        if (a->u.obj.n != b->u.obj.n)
            return 0;
        for (size_t i = 0; i < a->u.obj.n; i++)
            if (strcmp(a->u.obj.v[i].key, b->u.obj.v[i].key) != 0 ||
                !same(&a->u.obj.v[i].value, &b->u.obj.v[i].value))
                return 0;
        return 1;
    default:
        return 1;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_limits lim = {.max_size = 1 << 20, .max_depth = 64};
    struct jv *v;
    struct err e;
    if (json_parse(data, size, &lim, &v, &e) < 0) {
        if (e.code != MP_ERR_SYNTAX && e.code != MP_ERR_LIMIT)
            abort();
        return 0;
    }
    /* Keys with a NUL byte cannot go through json_key(); skip those. */
    struct buf b = BUF_INIT;
    struct json w;
    json_init(&w, &b, JSON_COMPACT);
    if (memchr(data, 0, size) == NULL && !memmem(data, size, "\\u0000", 6)) {
        write_value(&w, v);
        struct jv *again;
        lim.max_size = 0;
        if (json_parse(buf_ptr(&b), b.len, &lim, &again, &e) < 0 || !same(v, again))
            abort();
        jv_free(again);
    }
    json_clear(&w);
    buf_clear(&b);
    jv_free(v);
    return 0;
}
