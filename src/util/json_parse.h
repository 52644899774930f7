/*
 * A JSON reader for untrusted text (HAR files, later the web API's
 * requests): the whole document into a tree of struct jv, as Python's
 * json.loads() reads it, within limits on input size and nesting.
 *
 * What it accepts is RFC 8259 plus what json.loads() also takes: NaN,
 * Infinity and -Infinity, and duplicate keys (jv_get() finds the last, as
 * a dict keeps it). What it refuses, with a message naming the byte
 * offset: anything after the value but white space, control characters
 * inside strings, bytes that are not UTF-8, numbers outside the grammar
 * ("01", "1.", ".5", "+1"), and input or nesting past the limits.
 *
 * Strings come out as UTF-8 with their length (a \u0000 escape is a NUL
 * byte inside). A lone surrogate escape \udc80..\udcff becomes the byte
 * 0x80..0xff: that is how json_bytes(JSON_UTF8) writes a byte that is not
 * UTF-8 (Python's surrogateescape), so bytes written by us come back the
 * same. Other lone surrogates are encoded as three bytes (WTF-8).
 */
#ifndef MP_UTIL_JSON_PARSE_H
#define MP_UTIL_JSON_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum jv_type { JV_NULL, JV_FALSE, JV_TRUE, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

struct jv_member;

struct jv {
    enum jv_type type;
    union {
        struct {
            double d;   /* the value (NaN and infinities included) */
            int64_t i;  /* the value when is_int */
            int is_int; /* an integer literal (no fraction or exponent) that fits int64 */
        } num;
        struct {
            char *p; /* owned, NUL-terminated UTF-8 */
            size_t len;
        } str;
        struct {
            struct jv *v; /* owned array */
            size_t n;
        } arr;
        struct {
            struct jv_member *v; /* owned array, in document order */
            size_t n;
        } obj;
    } u;
};

struct jv_member {
    char *key; /* owned, NUL-terminated UTF-8 */
    size_t key_len;
    struct jv value;
};

struct json_limits {
    size_t max_size;  /* bytes of input; 0: 1 GiB */
    size_t max_depth; /* nested arrays and objects; 0: 512 */
};

/*
 * Parses the document p[0..n) into *out (one tree, freed with jv_free()).
 * lim may be NULL for the defaults. Returns 0, or MP_ERR_SYNTAX, or
 * MP_ERR_LIMIT, with e->msg naming the problem and its byte offset.
 */
int json_parse(const void *p, size_t n, const struct json_limits *lim, struct jv **out,
               struct err *e);
void jv_free(struct jv *);

/* An object's member called key (the last if there are several), or NULL;
 * NULL too when obj is not an object. Borrowed from obj. */
const struct jv *jv_get(const struct jv *obj, const char *key);
/* The string member key of obj, or NULL when absent or not a string. */
const char *jv_get_str(const struct jv *obj, const char *key, size_t *len);
/* The name of a type, for messages: "null", "string", "object", ... */
const char *jv_type_name(enum jv_type);

#endif
