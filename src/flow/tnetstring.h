/*
 * tnetstrings as mitmproxy's flow files use them: a value tree with byte and
 * text strings, integers, floats, booleans, null, lists and dicts whose keys
 * are text strings kept in file order (mitmproxy relies on that order, and we
 * write files byte-identical to the ones we read).
 *
 * Wire form: <decimal length>:<payload><tag>, the length counting payload
 * bytes only. Floats keep the text they were loaded with so that a value read
 * and written again comes out byte for byte the same.
 */
#ifndef MP_FLOW_TNETSTRING_H
#define MP_FLOW_TNETSTRING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

/* The tag characters are the enum values. */
enum tns_type {
    TNS_BYTES = ',',
    TNS_TEXT = ';',
    TNS_INT = '#',
    TNS_FLOAT = '^',
    TNS_BOOL = '!',
    TNS_NULL = '~',
    TNS_LIST = ']',
    TNS_DICT = '}',
};

/* Limits the decoder enforces on untrusted input. */
#define TNS_MAX_DEPTH 64
#define TNS_MAX_LEN_DIGITS 12

struct tns_pair {
    char *key; /* owned (in the arena if key_in_arena), NUL-terminated UTF-8 */
    size_t key_len;
    struct tns *val; /* owned */
    uint8_t key_in_arena;
};

/*
 * A value decoded by tns_decode_in() lives in its arena: in_arena says that
 * the node and its string or float text are arena memory, arr_in_arena
 * that a list's or dict's array is. tns_free() frees only what is not, so
 * the tree functions work on either kind; what an arena holds goes with
 * tns_arena_clear().
 */
struct tns {
    enum tns_type type;
    uint8_t in_arena, arr_in_arena;
    union {
        struct {
            char *p; /* owned; always NUL-terminated (p[len] == 0) */
            size_t len;
        } str; /* TNS_BYTES, TNS_TEXT */
        int64_t i;
        struct {
            double v;
            char *text; /* owned original text, or NULL to format v */
        } f;
        int b;
        struct {
            struct tns **v; /* owned items */
            size_t n, cap;
        } list;
        struct {
            struct tns_pair *v; /* in insertion order */
            size_t n, cap;
        } dict;
    } u;
};

/* Constructors: each returns a new value the caller owns (tns_free). */
struct tns *tns_bytes(const void *p, size_t len);
struct tns *tns_text(const char *s);
struct tns *tns_text_n(const char *s, size_t len);
struct tns *tns_int(int64_t);
struct tns *tns_float(double);
struct tns *tns_bool(int);
struct tns *tns_null(void);
struct tns *tns_list(void);
struct tns *tns_dict(void);
void tns_free(struct tns *);
struct tns *tns_copy(const struct tns *);
/* Structural equality (floats compare by value and, if both have one, text). */
int tns_equal(const struct tns *, const struct tns *);

/* Appends item (ownership passes to the list). */
void tns_list_append(struct tns *list, struct tns *item);
/*
 * Sets key to val (ownership passes to the dict): an existing key keeps its
 * position and its old value is freed, a new key goes to the end.
 */
void tns_dict_set(struct tns *dict, const char *key, struct tns *val);
/* The value under key, borrowed, or NULL (also when t is not a dict). */
struct tns *tns_dict_get(const struct tns *dict, const char *key);
/* Removes key and hands its value to the caller; NULL if absent. */
struct tns *tns_dict_take(struct tns *dict, const char *key);
/* Renames key in place, keeping its position; 0 if absent. */
int tns_dict_rename(struct tns *dict, const char *from, const char *to);

/*
 * Decodes one value from p[0..len). On success returns 0, the value in *out
 * and the bytes it took in *used. MP_ERR_INCOMPLETE means the input ends
 * before the value does; MP_ERR_CORRUPT (or MP_ERR_LIMIT past TNS_MAX_DEPTH)
 * means it cannot be a tnetstring, with e->msg saying why.
 */
int tns_decode(const uint8_t *p, size_t len, size_t *used, struct tns **out, struct err *e);

/*
 * An arena for decoding a record whose tree is read once and dropped (a
 * flow file's record): its nodes, keys, arrays and strings come out of a
 * few blocks instead of a malloc each, the first block usually the
 * caller's (a stack buffer), and all of it goes at once. A tree from an
 * arena must not outlive it: tns_keep() makes a part of it that must.
 */
struct tns_block;
struct tns_arena {
    uint8_t *cur, *end;       /* the free part of the current block */
    struct tns_block *blocks; /* owned: the blocks malloc'd */
};

/* space (borrowed, len bytes, may be NULL) is the first block. */
void tns_arena_init(struct tns_arena *, void *space, size_t len);
/* Frees every block: each tree decoded in the arena is gone. */
void tns_arena_clear(struct tns_arena *);
/* tns_decode() into a: *out and all under it are a's (see struct tns). */
int tns_decode_in(struct tns_arena *a, const uint8_t *p, size_t len, size_t *used, struct tns **out,
                  struct err *e);
/* A tree that may be an arena's as one the caller owns outright: t itself
 * when nothing in it is an arena's, else a heap copy (t is freed). */
struct tns *tns_keep(struct tns *t);
/* A byte or text string's bytes as a malloc'd NUL-terminated string the
 * caller owns; t turns into null. NULL if t is not a string. */
char *tns_take_str(struct tns *t);

/* Appends the wire form of t to out. */
void tns_encode(struct buf *out, const struct tns *t);

/*
 * Writing without a tree: values go straight into out, containers between
 * tns_w_open() and tns_w_close(). Their length prefixes are filled in by
 * tns_writer_finish(), so out holds the wire form only after it (see
 * tns_writer.c). Every opened container must be closed before then.
 *
 *     size_t d = tns_w_open(&w);
 *     tns_w_key(&w, "port");
 *     tns_w_int(&w, 8080);
 *     tns_w_close(&w, d, TNS_DICT);
 *     tns_writer_finish(&w);     // out: "13:4:port;4:8080#}"
 */
struct tns_hole {
    size_t pos;     /* of the gap in out */
    size_t len;     /* the payload's, once closed */
    size_t shrink0; /* the writer's shrink when opened */
};

struct tns_writer {
    struct buf *out; /* borrowed */
    struct tns_hole *holes;
    size_t nholes, cap;
    size_t shrink; /* bytes the closed gaps will give back */
};

void tns_writer_init(struct tns_writer *, struct buf *out);
/* Fills in the length prefixes; the writer can go on with the next record. */
void tns_writer_finish(struct tns_writer *);
void tns_writer_clear(struct tns_writer *);
/* Returns the handle tns_w_close() takes. */
size_t tns_w_open(struct tns_writer *);
void tns_w_close(struct tns_writer *, size_t handle, enum tns_type container);
void tns_w_str(struct tns_writer *, const void *p, size_t n, enum tns_type bytes_or_text);
/* A dict key: a text string. Inline, so that a literal's length is known
 * when compiling (a record has some sixty keys). */
static inline void
tns_w_key(struct tns_writer *w, const char *key)
{
    tns_w_str(w, key, strlen(key), TNS_TEXT);
}
void tns_w_int(struct tns_writer *, int64_t);
/* In Python's repr (tns_format_float). */
void tns_w_float(struct tns_writer *, double);
void tns_w_bool(struct tns_writer *, int);
void tns_w_null(struct tns_writer *);
void tns_w_tree(struct tns_writer *, const struct tns *);
/* Appends p[0..n), which must be one whole finished tnetstring. */
void tns_w_raw(struct tns_writer *, const void *p, size_t n);

/* Strict UTF-8 as Python's codec checks it (text strings must pass). */
int tns_utf8_valid(const void *p, size_t n);

/*
 * Formats a double the way Python's repr() does: the shortest text that reads
 * back as the same double, "1795465261.5772097", "0.0", "1e+16", "inf".
 * out needs 32 bytes.
 */
void tns_format_float(double v, char out[32]);

#endif
