/*
 * The unit-test framework: TEST(name) registers a test; the runner
 * (tests/lib/runner.c) re-executes itself once per test in a child process
 * with a timeout, so a crash or a hang names the test (libuv's runner.c).
 * Assertions print both sides and abort the test.
 */
#ifndef MP_TESTS_TEST_H
#define MP_TESTS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);

void test_register(const char *name, test_fn fn, const char *file, int line);
_Noreturn void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints a byte string with escapes, for failure messages. */
void test_print_bytes(FILE *, const void *p, size_t n);
_Noreturn void test_fail_mem(const char *file, int line, const char *what, const void *a,
                             size_t alen, const void *b, size_t blen);
/* Out of line so the compiler cannot second-guess sizes of the operands. */
int test_memeq(const void *a, size_t alen, const void *b, size_t blen);
/* Absolute path of a file under ../shared/fixtures (found from the repo root). */
const char *test_fixture(const char *relpath);

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void test_reg_##name(void)                                 \
    {                                                                                              \
        test_register(#name, test_##name, __FILE__, __LINE__);                                     \
    }                                                                                              \
    static void test_##name(void)

#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond))                                                                               \
            test_fail(__FILE__, __LINE__, "assertion failed: %s", #cond);                          \
    } while (0)

#define ASSERT_EQ(a, b)                                                                            \
    do {                                                                                           \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                                           \
        if (a_ != b_)                                                                              \
            test_fail(__FILE__, __LINE__, "%s == %s: %jd != %jd", #a, #b, a_, b_);                 \
    } while (0)

#define ASSERT_NE(a, b)                                                                            \
    do {                                                                                           \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                                           \
        if (a_ == b_)                                                                              \
            test_fail(__FILE__, __LINE__, "%s != %s: both %jd", #a, #b, a_);                       \
    } while (0)

#define ASSERT_STREQ(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (a_ == NULL || b_ == NULL ? a_ != b_ : strcmp(a_, b_) != 0)                             \
            test_fail(__FILE__, __LINE__, "%s == %s:\n  \"%s\"\n  \"%s\"", #a, #b,                 \
                      a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                     \
    } while (0)

#define ASSERT_MEMEQ(a, alen, b, blen)                                                             \
    do {                                                                                           \
        const void *a_ = (a), *b_ = (b);                                                           \
        size_t al_ = (alen), bl_ = (blen);                                                         \
        if (!test_memeq(a_, al_, b_, bl_))                                                         \
            test_fail_mem(__FILE__, __LINE__, #a " == " #b, a_, al_, b_, bl_);                     \
    } while (0)

/* Compares a struct buf or slice-like (p/data, len) to a C string literal. */
#define ASSERT_BUF_STR(buf, str) ASSERT_MEMEQ(buf_ptr(buf), (buf)->len, (str), strlen(str))
#define ASSERT_SLICE_STR(sl, str) ASSERT_MEMEQ((sl).p, (sl).len, (str), strlen(str))

#endif
