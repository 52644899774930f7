/*
 * ignore_hosts / allow_hosts / tcp_hosts patterns: Python regexes searched
 * in "host:port", ignoring case.
 */
#include <string.h>

#include "../lib/test.h"
#include "options/opt.h"
#include "proxy/hostmatch.h"

static struct hostmatch *
compile1(const char *pattern, struct err *e)
{
    struct strv v = {0};
    strv_push(&v, pattern);
    struct hostmatch *m = NULL;
    int rc = hostmatch_compile(&m, &v, "ignore_hosts", e);
    strv_clear(&v);
    return rc == 0 ? m : NULL;
}

TEST(hostmatch_search_ignores_case)
{
    struct err e = {0};
    struct hostmatch *m = compile1("^(.+\\.)?example\\.com:443", &e);
    ASSERT(m != NULL);
    ASSERT_EQ(hostmatch_search(m, "www.EXAMPLE.com:443"), 1);
    ASSERT_EQ(hostmatch_search(m, "example.org:443"), 0);
    ASSERT_EQ(hostmatch_search(NULL, "example.com:443"), 0);
    hostmatch_free(m);
}

/* "$" may stand before a final newline and "\Z" may not, as in Python;
 * {,n} and (?P=name) are Python's syntax. */
TEST(hostmatch_python_dollar_and_syntax)
{
    struct err e = {0};
    struct hostmatch *m = compile1("com:443$", &e);
    ASSERT_EQ(hostmatch_search(m, "example.com:443"), 1);
    ASSERT_EQ(hostmatch_search(m, "example.com:443\n"), 1);
    ASSERT_EQ(hostmatch_search(m, "example.com:4430"), 0);
    hostmatch_free(m);
    m = compile1("com:443\\Z", &e);
    ASSERT_EQ(hostmatch_search(m, "example.com:443"), 1);
    ASSERT_EQ(hostmatch_search(m, "example.com:443\n"), 0);
    hostmatch_free(m);
    m = compile1("^(?P<l>[a-z])(?P=l)x{,1}\\.", &e);
    ASSERT_EQ(hostmatch_search(m, "aa.test:80"), 1);
    ASSERT_EQ(hostmatch_search(m, "aax.test:80"), 1);
    ASSERT_EQ(hostmatch_search(m, "ab.test:80"), 0);
    hostmatch_free(m);
}

TEST(hostmatch_errors_name_option_and_pattern)
{
    struct err e = {0};
    ASSERT(compile1("(", &e) == NULL);
    ASSERT_STREQ(e.msg, "ignore_hosts: invalid regular expression '(': missing closing "
                        "parenthesis at offset 1");
    ASSERT(compile1("a\\q", &e) == NULL);
    ASSERT_STREQ(e.msg, "ignore_hosts: invalid regular expression 'a\\q': bad escape \\q at "
                        "offset 1");
}
