#include "../lib/test.h"
#include "util/err.h"
#include "util/num.h"

TEST(num_parse_ranges_and_syntax)
{
    int64_t v = 7;
    ASSERT_EQ(num_parse_cstr("0", 0, 10, &v), 0);
    ASSERT_EQ(v, 0);
    ASSERT_EQ(num_parse_cstr("65535", 1, 65535, &v), 0);
    ASSERT_EQ(v, 65535);
    ASSERT_EQ(num_parse_cstr("65536", 1, 65535, &v), MP_ERR_LIMIT);
    ASSERT_EQ(num_parse_cstr("0", 1, 65535, &v), MP_ERR_LIMIT);
    /* What atoi() wraps: never a small or negative number. */
    ASSERT_EQ(num_parse_cstr("4294967295", 0, 99, &v), MP_ERR_LIMIT);
    ASSERT_EQ(num_parse_cstr("2147483648", 0, INT32_MAX, &v), MP_ERR_LIMIT);
    ASSERT_EQ(num_parse_cstr("99999999999999999999999999", 0, INT64_MAX, &v), MP_ERR_LIMIT);
    ASSERT_EQ(num_parse_cstr("9223372036854775807", 0, INT64_MAX, &v), 0);
    ASSERT_EQ(v, INT64_MAX);
    ASSERT_EQ(num_parse_cstr("9223372036854775808", 0, INT64_MAX, &v), MP_ERR_LIMIT);
    ASSERT_EQ(num_parse_cstr("-9223372036854775808", INT64_MIN, 0, &v), 0);
    ASSERT(v == INT64_MIN);
    ASSERT_EQ(num_parse_cstr("-1", -1, 1, &v), 0);
    ASSERT_EQ(v, -1);
    /* A sign only where negatives are allowed; nothing but digits. */
    ASSERT_EQ(num_parse_cstr("-1", 0, 10, &v), MP_ERR_SYNTAX);
    ASSERT_EQ(num_parse_cstr("+1", 0, 10, &v), MP_ERR_SYNTAX);
    ASSERT_EQ(num_parse_cstr("", 0, 10, &v), MP_ERR_SYNTAX);
    ASSERT_EQ(num_parse_cstr("-", -5, 10, &v), MP_ERR_SYNTAX);
    ASSERT_EQ(num_parse_cstr(" 1", 0, 10, &v), MP_ERR_SYNTAX);
    ASSERT_EQ(num_parse_cstr("1 ", 0, 10, &v), MP_ERR_SYNTAX);
    ASSERT_EQ(num_parse_cstr("0x10", 0, 100, &v), MP_ERR_SYNTAX);
    ASSERT_EQ(num_parse("123", 2, 0, 100, &v), 0);
    ASSERT_EQ(v, 12);
}

TEST(num_format_u_writes_what_printf_would)
{
    char out[NUM_DEC_LEN], want[32];
    const uint64_t cases[] = {0, 7, 10, 99, 100, 200, 65535, 1234567890, UINT64_MAX};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(want, sizeof(want), "%" PRIu64, cases[i]);
        ASSERT_EQ(num_format_u(out, cases[i]), strlen(want));
        ASSERT_STREQ(out, want);
    }
}

TEST(num_format_i_writes_what_printf_would)
{
    char out[NUM_DEC_LEN], want[32];
    const int64_t cases[] = {0, 1, -1, 443, -200, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(want, sizeof(want), "%" PRId64, cases[i]);
        ASSERT_EQ(num_format_i(out, cases[i]), strlen(want));
        ASSERT_STREQ(out, want);
    }
}

/* mitmproxy's human.pretty_size(), one case per branch. */
TEST(num_pretty_size_as_mitmproxy)
{
    static const struct {
        uint64_t n;
        const char *want;
    } cases[] = {
        {0, "0b"},           {1023, "1023b"},         {1024, "1.0k"},
        {1536, "1.5k"},      {102348, "99.9k"},       {102400, "100k"},
        {1048575, "1024k"},  {1048576, "1.0m"},       {5ULL << 40, "5.0t"},
        {2000ULL << 40, "2000t"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[NUM_SIZE_LEN];
        num_pretty_size(out, cases[i].n);
        ASSERT_STREQ(out, cases[i].want);
    }
}
