/*
 * A streaming JSON writer into a struct buf: the filter's tree, pathod's
 * /api/log and the web UI's flows all go out through it.
 *
 * Output is what Python's json.dumps() writes by default (ensure_ascii):
 * separators ", " and ": " (or "," and ":" with JSON_COMPACT), "\n" "\r"
 * "\t" "\b" "\f" "\"" "\\" as short escapes, every other byte below 0x20
 * and every character from 0x7f on as \uXXXX (lowercase, surrogate pairs
 * past the BMP), floats as Python's repr() (NaN and Infinity included).
 *
 * Strings are bytes. JSON_UTF8 reads them as UTF-8 the way mitmproxy
 * decodes text (errors="surrogateescape"), so a byte that is not part of
 * valid UTF-8 comes out as \udcXX, just as json.dumps() shows such a str;
 * JSON_LATIN1 takes each byte as one character (\u00XX from 0x7f on).
 *
 * Writing a value where none may go (a value in an object without a key,
 * an end that does not match) is a programmer error and asserts. Nesting
 * has no limit: the first JSON_INLINE_DEPTH levels live in the writer,
 * deeper ones on the heap until json_clear().
 */
#ifndef MP_UTIL_JSON_H
#define MP_UTIL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define JSON_INLINE_DEPTH 32

/* json_init() flags. */
#define JSON_COMPACT 1u /* "," and ":" without spaces */

enum json_text {
    JSON_UTF8,   /* UTF-8; other bytes as \udcXX (surrogateescape) */
    JSON_LATIN1, /* every byte a character */
};

struct json {
    struct buf *out; /* borrowed; outlives the writer */
    unsigned flags;
    int after_key; /* a key was written; its value comes next */
    size_t depth;  /* open objects and arrays */
    /* Per open level: whether it is an object, whether it holds something. */
    uint8_t inline_levels[JSON_INLINE_DEPTH];
    uint8_t *deep_levels; /* owned; levels past JSON_INLINE_DEPTH */
    size_t deep_cap;
};

/* Starts a writer appending to out. */
void json_init(struct json *, struct buf *out, unsigned flags);
/* Frees what deep nesting allocated; the writer may be initialised again. */
void json_clear(struct json *);

void json_object_begin(struct json *);
void json_object_end(struct json *);
void json_array_begin(struct json *);
void json_array_end(struct json *);
/* The key of the next member of the current object (UTF-8). */
void json_key(struct json *, const char *key);

/* A string value; NULL writes null. */
void json_string(struct json *, const char *s);
/* The bytes p[0..n) as a string read as text says; p == NULL writes null. */
void json_bytes(struct json *, const void *p, size_t n, enum json_text text);
void json_int(struct json *, int64_t);
void json_uint(struct json *, uint64_t);
/* Python's repr(): 1.0, 1e+16, 1.5e-05, NaN, Infinity, -0.0. */
void json_double(struct json *, double);
void json_bool(struct json *, int);
void json_null(struct json *);
/* A value already encoded as JSON text (a number kept as text, say). */
void json_raw(struct json *, const char *text);

/* Appends p[0..n) as a quoted JSON string, without a writer. */
void json_quote(struct buf *out, const void *p, size_t n, enum json_text text);

#endif
