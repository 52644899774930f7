/*
 * An ordered multidict of HTTP header fields, as mitmproxy's Headers:
 * names and values are byte strings, order, case and duplicates are kept
 * exactly as they arrived, and look-ups ignore the case of the name.
 */
#ifndef MP_HTTP_HEADERS_H
#define MP_HTTP_HEADERS_H

#include <stddef.h>

#include "util/buf.h"

struct hdr {
    char *name; /* owned, NUL-terminated; name_len excludes the NUL */
    size_t name_len;
    char *value; /* owned, NUL-terminated; may hold any byte but NUL */
    size_t value_len;
};

struct hdrs {
    struct hdr *v; /* owned array of n fields */
    size_t n;
    size_t cap;
};

#define HDRS_INIT {NULL, 0, 0}

void hdrs_init(struct hdrs *);
void hdrs_clear(struct hdrs *);
/* Replaces dst with a deep copy of src. */
void hdrs_copy(struct hdrs *dst, const struct hdrs *src);
/* Appends a field; the bytes are copied. */
void hdrs_add(struct hdrs *, struct slice name, struct slice value);
void hdrs_add_cstr(struct hdrs *, const char *name, const char *value);
/* Index of the first field named name at or after start, or -1. */
int hdrs_find(const struct hdrs *, const char *name, size_t start);
/* The first field's value, or NULL. Borrowed until the hdrs changes. */
const struct hdr *hdrs_get(const struct hdrs *, const char *name);
size_t hdrs_count(const struct hdrs *, const char *name);
/* Sets name to value: the first field keeps its position (and its name's
 * case), later duplicates go; appended when absent. */
void hdrs_set(struct hdrs *, const char *name, struct slice value);
void hdrs_set_cstr(struct hdrs *, const char *name, const char *value);
/* Removes every field named name; returns how many went. */
size_t hdrs_remove(struct hdrs *, const char *name);
/* True if a comma-separated field named name holds token (case-insensitive),
 * as for "Connection: keep-alive, Upgrade". */
int hdrs_has_token(const struct hdrs *, const char *name, const char *token);

#endif
