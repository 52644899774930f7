/*
 * Shared between the lang_*.c files of the spec language; not part of the
 * module's public face (see lang.h).
 *
 * A message is what pathod called a list of tokens: one struct ptok per
 * feature, in spec order, so printing a message back is walking its
 * tokens. Resolve appends the automatic tokens (headers, mask, key) the
 * way pathod did, which is why they print at the end of the spec.
 */
#ifndef MP_PATHOD_INTERNAL_H
#define MP_PATHOD_INTERNAL_H

#include <stdint.h>

#include "pathod/lang.h"
#include "util/buf.h"
#include "util/err.h"

/* The ten data types of generated values, in table order (see lang_value.c). */
enum {
    GEN_ASCII_LETTERS,
    GEN_ASCII_LOWERCASE,
    GEN_ASCII_UPPERCASE,
    GEN_DIGITS,
    GEN_HEXDIGITS,
    GEN_OCTDIGITS,
    GEN_PUNCTUATION,
    GEN_WHITESPACE,
    GEN_ASCII,
    GEN_BYTES,
    GEN_NTYPES
};

struct pgen_type {
    const char *name;
    const char *alpha; /* NULL for bytes: all 256 values */
    unsigned n;        /* alphabet size */
};

extern const struct pgen_type pathod_gen_types[GEN_NTYPES];

enum pval_kind { PV_NONE, PV_LIT, PV_GEN, PV_FILE };

struct pval {
    enum pval_kind kind;
    int naked;      /* PV_LIT: was a bare word; printed bare when still safe */
    struct buf lit; /* owned. PV_LIT: the bytes; PV_FILE: the path (escapes applied) */
    uint64_t usize; /* PV_GEN: the number before the unit */
    char unit;      /* PV_GEN: 'b' 'k' 'm' 'g' 't' */
    int dtype;      /* PV_GEN: GEN_* */
    int seeded;     /* PV_GEN: seed is fixed (resolved, or given as ,s<hex>) */
    uint64_t seed;
    int fd;        /* PV_FILE: open after resolve, -1 before */
    uint64_t flen; /* PV_FILE: size after resolve */
};

/* Reads a value's bytes in order; generators are computed as they are read. */
struct preader {
    const struct pval *v;
    uint64_t pos;
    uint64_t state;  /* PV_GEN: generator state */
    uint8_t pend[8]; /* PV_GEN: unused random bytes of the last draw */
    unsigned npend;
};

void pval_init(struct pval *);
void pval_free(struct pval *);
void pval_set_lit(struct pval *, const void *p, size_t n);
/* Length in bytes: literal, generated size, or file size (0 before resolve). */
uint64_t pval_len(const struct pval *);
void preader_init(struct preader *, const struct pval *);
/* Reads up to n bytes; returns the count (0 at the end) or MP_ERR_IO. */
ssize_t preader_read(struct preader *, uint8_t *dst, size_t n);
/* Appends up to max bytes of the value to out. */
void pval_append(const struct pval *, struct buf *out, size_t max);
/*
 * Resolve one value: seeds generators (and freezes them into literals when
 * small), opens files under settings->staticdir. 0 or negative with e set.
 */
int pval_resolve(struct pval *, const struct pathod_settings *, struct err *e);
/* Appends the value's spec form. */
void pval_spec(const struct pval *, struct buf *out);

/* Randomness from getrandom, pooled; never fails (falls back to the clock). */
uint64_t pathod_rand64(void);
uint64_t pathod_rand_below(uint64_t n);

/* Tokens. */
enum ptok_type {
    T_WS,      /* `ws` (request and response) */
    T_WF,      /* `wf` (frame) */
    T_CODE,    /* response status code: num */
    T_METHOD,  /* request method: method >= 0 standard, else val */
    T_PATH,    /* request path: val */
    T_HEADER,  /* hkind 'h' key=val, 'c' Content-Type, 'l' Location, 'u' User-Agent */
    T_RAW,     /* `r` */
    T_REASON,  /* `m` val */
    T_BODY,    /* `b` val */
    T_RAWBODY, /* frame `r` val */
    T_NESTED,  /* request `s` val: the response spec; nested parsed */
    T_TIMES,   /* `x` num */
    T_PAUSE,   /* `p` off,secs */
    T_DISC,    /* `d` off */
    T_INJECT,  /* `i` off,val */
    T_OPCODE,  /* frame `c`: num, name index or -1 */
    T_LENGTH,  /* frame `l` num */
    T_FIN,     /* frame [-]fin: on */
    T_RSV1,
    T_RSV2,
    T_RSV3,
    T_MASK,
    T_KEY,   /* frame `k` val */
    T_KNONE, /* frame `knone` */
    T_NTYPES
};

struct pmsg;

struct ptok {
    enum ptok_type type;
    char hkind;      /* T_HEADER */
    int ua;          /* T_HEADER 'u': shortcut index, -1 = val */
    int method;      /* T_METHOD: standard method index, -1 = val */
    int name;        /* T_OPCODE: opcode name index, -1 = number */
    struct pval key; /* T_HEADER 'h' */
    struct pval val;
    uint64_t num;
    int on;        /* booleans */
    char off_kind; /* actions: 'n' number, 'r' random, 'a' end */
    uint64_t off;
    int64_t secs;        /* T_PAUSE: -1 = forever */
    struct pmsg *nested; /* T_NESTED: owned parsed response */
};

struct pmsg {
    enum pathod_kind kind;
    struct ptok *t; /* owned array */
    size_t n, cap;
};

/* The public types are the same object; these casts are the only link. */
struct pathod_response {
    struct pmsg m;
};
struct pathod_request {
    struct pmsg m;
};
struct pathod_frame {
    struct pmsg m;
};

/* lang_msg.c */
struct pmsg *pmsg_new(enum pathod_kind);
void pmsg_free(struct pmsg *);
/* Appends (or inserts at index at) a zeroed token of the type; returns it. */
struct ptok *pmsg_add(struct pmsg *, enum ptok_type);
struct ptok *pmsg_insert(struct pmsg *, size_t at, enum ptok_type);
/* First token of the type, or NULL. */
const struct ptok *pmsg_find(const struct pmsg *, enum ptok_type);
/* The header token whose name equals name (ASCII case-insensitively), or NULL. */
const struct ptok *pmsg_header(const struct pmsg *, const char *name);
/* Name and value of a header token, cut at max bytes. */
void ptok_header_name(const struct ptok *, struct buf *out, size_t max);
void ptok_header_value(const struct ptok *, struct buf *out, size_t max);
/* The value sent for a header token (the UA string for shortcuts). */
const char *ptok_ua_string(const struct ptok *);
/* The literal value to send for a `u` shortcut, the standard method names, opcode names. */
extern const char *const pathod_ua_names[10];
extern const char *const pathod_ua_strings[10];
extern const char *const pathod_methods[8];
extern const char *const pathod_opcode_names[6];
extern const int pathod_opcode_values[6];

/* The reason phrase pathod sends for a code without `m`. */
const char *pathod_reason(int code);

/* lang_parse.c */
struct pmsg *pathod_parse_msg(enum pathod_kind, const char *s, size_t len, struct err *e);

/* lang_resolve.c */
int pmsg_resolve(struct pmsg *, const struct pathod_settings *, int nested, struct err *e);

/* lang_spec.c */
void pmsg_spec(const struct pmsg *, struct buf *out);

/* lang_render.c */
struct pathod_render *pmsg_render(const struct pmsg *);
/* Bytes of the message without injections. */
uint64_t pmsg_length(const struct pmsg *);
/* Writes a frame's header bytes into out (at most 14); returns the count. */
size_t pframe_header(const struct pmsg *, uint8_t out[14]);

#endif
