#include <inttypes.h>
#include <math.h>

#include "../lib/test.h"
#include "flow/tnetstring.h"

/* Decodes s completely (asserting success) and returns the tree. */
static struct tns *
dec(const char *s)
{
    struct tns *t = NULL;
    struct err e = {0, ""};
    size_t used = 0;
    int rc = tns_decode((const uint8_t *)s, strlen(s), &used, &t, &e);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "decode '%s': %s", s, e.msg);
    ASSERT_EQ(used, strlen(s));
    return t;
}

static int
dec_err(const char *s, size_t len, struct err *e)
{
    struct tns *t = NULL;
    size_t used = 0;
    int rc = tns_decode((const uint8_t *)s, len, &used, &t, e);
    ASSERT(t == NULL || rc == 0);
    tns_free(t);
    return rc;
}

/* Decoding then encoding gives back the same bytes. */
static void
roundtrip(const char *s)
{
    struct tns *t = dec(s);
    struct buf b = BUF_INIT;
    tns_encode(&b, t);
    ASSERT_BUF_STR(&b, s);
    buf_clear(&b);
    tns_free(t);
}

TEST(tns_scalars)
{
    struct tns *t = dec("5:hello,");
    ASSERT_EQ(t->type, TNS_BYTES);
    ASSERT_MEMEQ(t->u.str.p, t->u.str.len, "hello", 5);
    tns_free(t);
    t = dec("3:\xc3\xa9x;");
    ASSERT_EQ(t->type, TNS_TEXT);
    ASSERT_EQ(t->u.str.len, 3);
    tns_free(t);
    t = dec("3:-42#");
    ASSERT_EQ(t->u.i, -42);
    tns_free(t);
    t = dec("19:9223372036854775807#");
    ASSERT(t->u.i == INT64_MAX);
    tns_free(t);
    t = dec("4:true!");
    ASSERT_EQ(t->u.b, 1);
    tns_free(t);
    t = dec("5:false!");
    ASSERT_EQ(t->u.b, 0);
    tns_free(t);
    t = dec("0:~");
    ASSERT_EQ(t->type, TNS_NULL);
    tns_free(t);
    t = dec("18:1795465261.5772097^");
    ASSERT(t->u.f.v == 1795465261.5772097);
    tns_free(t);
    /* Bytes may hold anything, NUL included. */
    struct tns *nul = NULL;
    size_t used;
    ASSERT_EQ(tns_decode((const uint8_t *)"3:a\0b,", 6, &used, &nul, NULL), 0);
    ASSERT_EQ(nul->u.str.len, 3);
    tns_free(nul);
}

TEST(tns_containers_keep_order)
{
    const char *s = "35:1:b;1:1#1:a;7:1:x,0:~]1:c;6:0:}0:]]}";
    struct tns *t = dec(s);
    ASSERT_EQ(t->type, TNS_DICT);
    ASSERT_EQ(t->u.dict.n, 3);
    ASSERT_STREQ(t->u.dict.v[0].key, "b");
    ASSERT_STREQ(t->u.dict.v[1].key, "a");
    ASSERT_STREQ(t->u.dict.v[2].key, "c");
    ASSERT_EQ(tns_dict_get(t, "a")->u.list.n, 2);
    tns_free(t);
    roundtrip(s);
    roundtrip("0:}");
    roundtrip("0:]");
    roundtrip("29:5:hello,3:abc;2:17#4:true!0:~]");
}

TEST(tns_every_type_roundtrips)
{
    roundtrip("5:hello,");
    roundtrip("0:,");
    roundtrip("4:text;");
    roundtrip("1:0#");
    roundtrip("2:-1#");
    roundtrip("3:0.0^");
    roundtrip("5:1e+16^");
    roundtrip("4:true!");
    roundtrip("5:false!");
    roundtrip("0:~");
    /* A float keeps its loaded text even where repr would differ. */
    roundtrip("3:1.5^");
    roundtrip("5:1.500^");
}

TEST(tns_build_and_encode)
{
    struct tns *d = tns_dict();
    tns_dict_set(d, "z", tns_int(1));
    tns_dict_set(d, "a", tns_float(0.5));
    struct tns *l = tns_list();
    tns_list_append(l, tns_bool(1));
    tns_list_append(l, tns_null());
    tns_list_append(l, tns_bytes("x\0y", 3));
    tns_dict_set(d, "l", l);
    tns_dict_set(d, "z", tns_text("replaced"));
    struct buf b = BUF_INIT;
    tns_encode(&b, d);
    const char exp[] = "49:1:z;8:replaced;1:a;3:0.5^1:l;16:4:true!0:~3:x\0y,]}";
    ASSERT_MEMEQ(buf_ptr(&b), b.len, exp, sizeof(exp) - 1);
    struct tns *c = tns_copy(d);
    ASSERT(tns_equal(c, d));
    struct tns *taken = tns_dict_take(c, "a");
    ASSERT(taken && taken->u.f.v == 0.5);
    ASSERT(!tns_equal(c, d));
    ASSERT(tns_dict_get(c, "a") == NULL);
    ASSERT(tns_dict_rename(c, "l", "m"));
    ASSERT_STREQ(c->u.dict.v[1].key, "m");
    tns_free(taken);
    tns_free(c);
    buf_clear(&b);
    tns_free(d);
}

TEST(tns_float_repr)
{
    static const struct {
        double v;
        const char *s;
    } cases[] = {
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1.0, "1.0"},
        {0.1, "0.1"},
        {1e16, "1e+16"},
        {1e15, "1000000000000000.0"},
        {123456.0, "123456.0"},
        {100000.0, "100000.0"},
        {1e-5, "1e-05"},
        {0.0001, "0.0001"},
        {1795465261.5772097, "1795465261.5772097"},
        {1.5e300, "1.5e+300"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {2.5, "2.5"},
        {1e22, "1e+22"},
        {0.3, "0.3"},
        {-1.25e-07, "-1.25e-07"},
        {12345678901234567.0, "1.2345678901234568e+16"},
        {9007199254740993.0, "9007199254740992.0"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {NAN, "nan"},
        {1670000000.123456, "1670000000.123456"},
        {1670000000.0, "1670000000.0"},
        {5.0, "5.0"},
        {-5.0, "-5.0"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"}, /* smallest normal */
        {2.225073858507201e-308, "2.225073858507201e-308"},   /* largest subnormal */
        {1e23, "1e+23"},
        {0.1 + 0.2, "0.30000000000000004"},
        /* A power of two: the double below is half as far as the one above, so
         * 16 digits do here where the nearest 16-digit decimal (below) does not. */
        {0x1p-1017, "7.120236347223045e-307"},
        {0x1p-1007, "7.291122019556398e-304"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[32];
        tns_format_float(cases[i].v, out);
        ASSERT_STREQ(out, cases[i].s);
    }
    struct buf b = BUF_INIT;
    struct tns *t = tns_float(1795465261.5772097);
    tns_encode(&b, t);
    ASSERT_BUF_STR(&b, "18:1795465261.5772097^");
    tns_free(t);
    buf_clear(&b);
}

/*
 * 108,000 doubles against Python's repr() (tests/flow/gen_float_repr.py:
 * timestamps, integers, powers of two and ten and their neighbours,
 * subnormals, random bit patterns), so a flow file we write has the floats
 * mitmproxy writes.
 */
TEST(tns_float_repr_matches_python)
{
    FILE *py = popen("/usr/bin/python3 tests/flow/gen_float_repr.py", "r");
    ASSERT(py != NULL);
    char line[128];
    size_t checked = 0, bad = 0;
    while (fgets(line, sizeof(line), py)) {
        char *sp = strchr(line, ' ');
        ASSERT(sp != NULL);
        *sp = '\0';
        char *want = sp + 1;
        want[strcspn(want, "\n")] = '\0';
        uint64_t bits = strtoull(line, NULL, 16);
        double v;
        memcpy(&v, &bits, sizeof(v));
        char out[32];
        tns_format_float(v, out);
        if (strcmp(out, want) != 0 && bad++ < 10)
            fprintf(stderr, "%s: want %s, got %s\n", line, want, out);
        checked++;
    }
    if (pclose(py) != 0)
        test_fail(__FILE__, __LINE__, "gen_float_repr.py failed (is /usr/bin/python3 installed?)");
    ASSERT_EQ(bad, 0);
    ASSERT(checked > 100000);
}

/* The obvious encoder: each container's payload encoded first, then prefixed. */
static void
ref_encode(struct buf *out, const struct tns *t)
{
    struct buf p = BUF_INIT;
    char num[32];
    switch (t->type) {
    case TNS_BYTES:
    case TNS_TEXT:
        buf_append(&p, t->u.str.p, t->u.str.len);
        break;
    case TNS_INT:
        buf_printf(&p, "%" PRId64, t->u.i);
        break;
    case TNS_FLOAT:
        tns_format_float(t->u.f.v, num);
        buf_append_str(&p, t->u.f.text ? t->u.f.text : num);
        break;
    case TNS_BOOL:
        buf_append_str(&p, t->u.b ? "true" : "false");
        break;
    case TNS_NULL:
        break;
    case TNS_LIST:
        for (size_t i = 0; i < t->u.list.n; i++)
            ref_encode(&p, t->u.list.v[i]);
        break;
    case TNS_DICT:
        for (size_t i = 0; i < t->u.dict.n; i++) {
            buf_printf(&p, "%zu:%s;", t->u.dict.v[i].key_len, t->u.dict.v[i].key);
            ref_encode(&p, t->u.dict.v[i].val);
        }
        break;
    }
    buf_printf(out, "%zu:", p.len);
    buf_append(out, buf_ptr(&p), p.len);
    buf_append(out, &(char){(char)t->type}, 1);
    buf_clear(&p);
}

/* A random tree; string lengths around the points where a length gains a digit. */
static struct tns *
random_tree(unsigned *seed, int depth)
{
    static const size_t lens[] = {0, 1, 8, 9, 10, 11, 88, 89, 90, 99, 100, 101, 997, 1000, 10001};
    *seed = *seed * 1103515245u + 12345u;
    unsigned r = *seed >> 8;
    int kind = depth >= 5 ? (int)(r % 6) : (int)(r % 8);
    size_t n = lens[(r >> 4) % (sizeof(lens) / sizeof(lens[0]))];
    switch (kind) {
    case 0: {
        char *s = malloc(n + 1);
        memset(s, 'a' + (int)(r % 26), n);
        struct tns *t = tns_bytes(s, n);
        free(s);
        return t;
    }
    case 1:
        return tns_int((int64_t)(r % 2000) - 1000);
    case 2:
        return tns_float((double)r / 7.0 + 1.6e9);
    case 3:
        return tns_bool((int)(r & 1));
    case 4:
        return tns_null();
    case 5:
        return tns_text("t\xc3\xa9xt");
    case 6: {
        struct tns *l = tns_list();
        for (size_t i = 0; i < r % 5; i++)
            tns_list_append(l, random_tree(seed, depth + 1));
        return l;
    }
    default: {
        struct tns *d = tns_dict();
        for (size_t i = 0; i < r % 5; i++) {
            char key[16];
            snprintf(key, sizeof(key), "key%zu", i * (r % 1000));
            tns_dict_set(d, key, random_tree(seed, depth + 1));
        }
        return d;
    }
    }
}

/*
 * tns_encode() writes in one pass and fills the length prefixes afterwards
 * (tns_writer.c): it must agree with the obvious encoder on nested trees
 * whose lengths cross 10, 100, 1000 and 10000 at every level, and what it
 * writes must decode to the same tree.
 */
TEST(tns_writer_matches_obvious_encoder)
{
    unsigned seed = 7;
    for (int i = 0; i < 3000; i++) {
        struct tns *t = random_tree(&seed, 0);
        struct buf got = BUF_INIT, want = BUF_INIT;
        tns_encode(&got, t);
        ref_encode(&want, t);
        ASSERT_MEMEQ(buf_ptr(&got), got.len, buf_ptr(&want), want.len);
        struct tns *back = NULL;
        size_t used = 0;
        struct err e = {0};
        ASSERT_EQ(tns_decode(buf_ptr(&got), got.len, &used, &back, &e), 0);
        ASSERT_EQ(used, got.len);
        ASSERT(tns_equal(back, t));
        tns_free(back);
        tns_free(t);
        buf_clear(&got);
        buf_clear(&want);
    }
}

/* The writer used directly: two records in one buffer, after bytes already there. */
TEST(tns_writer_api)
{
    struct buf out = BUF_INIT;
    buf_append_str(&out, "head|");
    struct tns_writer w;
    tns_writer_init(&w, &out);
    size_t d = tns_w_open(&w);
    tns_w_key(&w, "port");
    tns_w_int(&w, 8080);
    tns_w_key(&w, "l");
    size_t l = tns_w_open(&w);
    tns_w_float(&w, 5.0);
    tns_w_bool(&w, 0);
    tns_w_null(&w);
    tns_w_int(&w, -12);
    tns_w_close(&w, l, TNS_LIST);
    tns_w_key(&w, "e");
    size_t e = tns_w_open(&w);
    tns_w_close(&w, e, TNS_DICT);
    tns_w_close(&w, d, TNS_DICT);
    tns_writer_finish(&w);
    tns_w_str(&w, "ab", 2, TNS_BYTES);
    l = tns_w_open(&w);
    tns_w_close(&w, l, TNS_LIST);
    tns_writer_finish(&w);
    tns_writer_clear(&w);
    ASSERT_BUF_STR(&out, "head|52:4:port;4:8080#1:l;23:3:5.0^5:false!0:~3:-12#]1:e;0:}}2:ab,0:]");
    buf_clear(&out);
}

TEST(tns_truncated_is_incomplete)
{
    const char *s = "35:1:b;1:1#1:a;7:1:x,0:~]1:c;6:0:}0:]]}";
    struct err e;
    for (size_t n = 0; n < strlen(s); n++)
        ASSERT_EQ(dec_err(s, n, &e), MP_ERR_INCOMPLETE);
}

TEST(tns_bad_input_is_corrupt)
{
    struct err e = {0, ""};
    ASSERT_EQ(dec_err(":0~", 3, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(dec_err("x:", 2, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(dec_err("1x0:~", 5, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(dec_err("1234567890123:", 14, &e), MP_ERR_CORRUPT);
    ASSERT(strstr(e.msg, "12 digits"));
    ASSERT_EQ(dec_err("3:abc?", 6, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(dec_err("3:abc#", 6, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(dec_err("0:#", 3, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(dec_err("20:99999999999999999999#", 24, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(dec_err("3:1.x^", 6, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(dec_err("3:yes!", 6, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(dec_err("1:x~", 4, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(dec_err("2:\xc3(;", 5, &e), MP_ERR_CORRUPT);
    ASSERT(strstr(e.msg, "UTF-8"));
    ASSERT_EQ(dec_err("3:\xed\xa0\x80;", 6, &e), MP_ERR_CORRUPT); /* surrogate */
    /* A dict key must be text, and must have a value. */
    ASSERT_EQ(dec_err("8:1:a,1:b;}", 11, &e), MP_ERR_CORRUPT);
    ASSERT_EQ(dec_err("4:1:a;}", 7, &e), MP_ERR_CORRUPT);
    /* An item may not run past its container's declared length. */
    ASSERT_EQ(dec_err("3:5:hello,]", 11, &e), MP_ERR_CORRUPT);
}

TEST(tns_nesting_limit)
{
    struct buf in = BUF_INIT, tmp = BUF_INIT;
    buf_append_str(&in, "0:]");
    for (int depth = 1; depth <= TNS_MAX_DEPTH + 1; depth++) {
        buf_reset(&tmp);
        buf_printf(&tmp, "%zu:", in.len);
        buf_append(&tmp, buf_ptr(&in), in.len);
        buf_append_str(&tmp, "]");
        buf_set(&in, buf_ptr(&tmp), tmp.len);
        struct tns *t = NULL;
        struct err e;
        size_t used;
        int rc = tns_decode(buf_ptr(&in), in.len, &used, &t, &e);
        /* depth counts the lists around the innermost one. */
        if (depth < TNS_MAX_DEPTH) {
            ASSERT_EQ(rc, 0);
        } else {
            ASSERT_EQ(rc, MP_ERR_LIMIT);
            ASSERT(t == NULL);
        }
        tns_free(t);
    }
    buf_clear(&in);
    buf_clear(&tmp);
}

/* Dict keys are bytes: a copy keeps a key with a NUL in it whole (a DNS
 * flow's record data read from a file had one; its snapshot lost it). */
TEST(tns_copy_keeps_keys_with_nul)
{
    static const char s[] = "21:4:\0\0\0\003;1:1#3:a\0b;1:2#}";
    struct tns *t = NULL;
    size_t used = 0;
    struct err e = {0};
    ASSERT_EQ(tns_decode((const uint8_t *)s, sizeof(s) - 1, &used, &t, &e), 0);
    struct tns *c = tns_copy(t);
    struct buf a = BUF_INIT, b = BUF_INIT;
    tns_encode(&a, t);
    tns_encode(&b, c);
    ASSERT_MEMEQ(buf_ptr(&b), b.len, s, sizeof(s) - 1);
    ASSERT_MEMEQ(buf_ptr(&a), a.len, buf_ptr(&b), b.len);
    ASSERT_EQ(c->u.dict.v[0].key_len, 4);
    buf_clear(&a);
    buf_clear(&b);
    tns_free(t);
    tns_free(c);
}

/* Trees built in memory live as long as their connection or flow: their
 * arrays start small and grow, and a copy holds exactly what it holds. */
TEST(tns_heap_arrays_are_sized_to_what_they_hold)
{
    struct tns *d = tns_dict();
    struct tns *l = tns_list();
    tns_list_append(l, tns_bytes("h2", 2));
    tns_dict_set(d, "alpn_offers", l);
    ASSERT_EQ(l->u.list.cap, 2);
    ASSERT_EQ(d->u.dict.cap, 2);
    for (int i = 0; i < 5; i++)
        tns_list_append(l, tns_int(i));
    ASSERT_EQ(l->u.list.n, 6);
    ASSERT_EQ(l->u.list.cap, 8);
    ASSERT_EQ(l->u.list.v[5]->u.i, 4);
    tns_dict_set(d, "empty", tns_list());
    tns_dict_set(d, "third", tns_null());
    ASSERT_EQ(d->u.dict.cap, 4);

    struct tns *c = tns_copy(d);
    ASSERT(tns_equal(c, d));
    ASSERT_EQ(c->u.dict.cap, 3);
    ASSERT_EQ(tns_dict_get(c, "alpn_offers")->u.list.cap, 6);
    ASSERT_EQ(tns_dict_get(c, "empty")->u.list.cap, 0);
    tns_list_append(tns_dict_get(c, "empty"), tns_int(1)); /* and grows from nothing */
    tns_dict_set(c, "fourth", tns_bool(1));
    ASSERT_EQ(c->u.dict.n, 4);
    ASSERT_EQ(tns_dict_get(c, "fourth")->u.b, 1);
    tns_free(c);
    tns_free(d);
}

/* Decodes s into a (asserting success): the tree is a's. */
static struct tns *
dec_in(struct tns_arena *a, const char *s, size_t len)
{
    struct tns *t = NULL;
    struct err e = {0, ""};
    size_t used = 0;
    if (tns_decode_in(a, (const uint8_t *)s, len, &used, &t, &e) != 0)
        test_fail(__FILE__, __LINE__, "decode '%s': %s", s, e.msg);
    ASSERT_EQ(used, len);
    return t;
}

/* A tree decoded into an arena equals the heap's, on a stack block alone
 * and on blocks of the arena's own (a 64-byte first block, a 20,000-byte
 * string past a quarter of a block), and errors are the same. */
TEST(tns_arena_decodes_as_the_heap_does)
{
    struct buf big = BUF_INIT;
    buf_printf(&big, "20000:");
    for (int i = 0; i < 20000; i++)
        buf_append(&big, "x", 1);
    buf_append_str(&big, ",");
    buf_append_str(&big, "29:1:a;3:1.5^1:b;4:true!1:a;1:2#}0:~3:-12#");
    struct buf list = BUF_INIT;
    buf_printf(&list, "%zu:", big.len);
    buf_append(&list, buf_ptr(&big), big.len);
    buf_append_str(&list, "]");
    const char *srcs[] = {"0:}", "0:]", "35:1:b;1:1#1:a;7:1:x,0:~]1:c;6:0:}0:]]}",
                          (const char *)buf_ptr(&list)};
    size_t lens[] = {3, 3, 39, list.len};
    for (size_t k = 0; k < 4; k++) {
        for (size_t first = 0; first <= 16384; first += 16384 - 64) {
            max_align_t space[16384 / sizeof(max_align_t)];
            struct tns_arena a;
            tns_arena_init(&a, first ? space : NULL, first ? first : 0);
            struct tns *t = dec_in(&a, srcs[k], lens[k]);
            struct tns *h = NULL;
            size_t used;
            struct err e;
            ASSERT_EQ(tns_decode((const uint8_t *)srcs[k], lens[k], &used, &h, &e), 0);
            ASSERT(tns_equal(t, h));
            ASSERT(t->in_arena);
            tns_free(t); /* frees nothing of the arena's */
            tns_free(h);
            tns_arena_clear(&a);
        }
    }
    /* A key that repeats replaces its value in place, as on the heap. */
    struct tns_arena a;
    tns_arena_init(&a, NULL, 0);
    struct tns *t = dec_in(&a, "24:1:a;1:1#1:b;1:2#1:a;1:3#}", 28);
    ASSERT_EQ(t->u.dict.n, 2);
    ASSERT_EQ(tns_dict_get(t, "a")->u.i, 3);
    ASSERT_STREQ(t->u.dict.v[0].key, "a");
    struct err e = {0, ""}, he = {0, ""};
    const char *bad[] = {"8:1:a,1:b;}", "4:1:a;}",         "3:5:hello,]",
                         "2:\xc3(;",    "9:2:\xc3(;1:1#}", "7:0:]1:1#}"};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        struct tns *x = NULL, *y = NULL;
        size_t used;
        int rc = tns_decode_in(&a, (const uint8_t *)bad[k], strlen(bad[k]), &used, &x, &e);
        ASSERT(rc < 0);
        ASSERT_EQ(rc, tns_decode((const uint8_t *)bad[k], strlen(bad[k]), &used, &y, &he));
        ASSERT_STREQ(e.msg, he.msg);
        ASSERT(x == NULL && y == NULL);
    }
    tns_arena_clear(&a);
    buf_clear(&big);
    buf_clear(&list);
}

/* The tree functions change an arena's tree as they change the heap's,
 * and what tns_keep() and tns_take_str() hand out outlives the arena
 * (ASan says if anything is freed twice, leaked, or read after the arena). */
TEST(tns_arena_tree_changes_and_outlives_its_arena)
{
    static const char s[] = "48:1:a;1:1#4:list;8:1:x,1:y,]3:sub;12:1:k;5:value,}}";
    struct tns_arena a;
    max_align_t space[256 / sizeof(max_align_t)];
    tns_arena_init(&a, space, sizeof(space));
    struct tns *t = dec_in(&a, s, sizeof(s) - 1);
    /* Grown past the arena's arrays: onto the heap. */
    for (int i = 0; i < 20; i++) {
        char key[16];
        snprintf(key, sizeof(key), "new%d", i);
        tns_dict_set(t, key, tns_int(i));
        tns_list_append(tns_dict_get(t, "list"), tns_text(key));
    }
    tns_dict_set(t, "a", tns_text("replaced"));
    ASSERT(tns_dict_rename(t, "sub", "renamed"));
    tns_free(tns_dict_take(t, "new3"));
    char *str = tns_take_str(tns_dict_get(tns_dict_get(t, "renamed"), "k"));
    ASSERT_STREQ(str, "value");
    struct tns *kept = tns_keep(tns_dict_take(t, "renamed"));
    struct tns *list = tns_keep(tns_dict_take(t, "list"));
    tns_free(t);
    tns_arena_clear(&a);
    ASSERT_STREQ(str, "value");
    free(str);
    ASSERT_EQ(kept->type, TNS_DICT);
    ASSERT_EQ(tns_dict_get(kept, "k")->type, TNS_NULL);
    ASSERT_EQ(list->u.list.n, 22);
    ASSERT_STREQ(list->u.list.v[1]->u.str.p, "y");
    ASSERT_STREQ(list->u.list.v[21]->u.str.p, "new19");
    /* A heap tree is kept as it is. */
    struct tns *h = tns_dict();
    ASSERT(tns_keep(h) == h);
    tns_free(h);
    tns_free(kept);
    tns_free(list);
}
