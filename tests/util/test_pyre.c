/*
 * Python re syntax on PCRE2, rule by rule. Every expectation here is what
 * CPython 3.11's re gives for the same bytes pattern and subject.
 */
#include <string.h>

#include "../lib/test.h"
#include "util/pyre.h"

/* re.search(pattern, subject, flags) is not None; -1 if the pattern is refused. */
static int
search(const char *pattern, unsigned flags, const char *subject)
{
    struct err e = {0};
    pcre2_code *re = pyre_compile(pattern, strlen(pattern), flags, NULL, &e);
    if (re == NULL)
        return -1;
    int m = pyre_search(re, subject, strlen(subject));
    pcre2_code_free(re);
    return m;
}

#define FOUND(p, s) ASSERT_EQ(search(p, 0, s), 1)
#define NOT_FOUND(p, s) ASSERT_EQ(search(p, 0, s), 0)

/* The pattern is refused with a message containing why, at position pos. */
static void
refused(const char *file, int line, const char *pattern, const char *why, size_t pos)
{
    struct err e = {0};
    size_t at = 12345;
    pcre2_code *re = pyre_compile(pattern, strlen(pattern), 0, &at, &e);
    if (re != NULL) {
        pcre2_code_free(re);
        test_fail(file, line, "'%s' compiled; Python refuses it (%s)", pattern, why);
    }
    if (e.code != MP_ERR_SYNTAX || strstr(e.msg, why) == NULL)
        test_fail(file, line, "'%s': \"%s\", want \"%s\"", pattern, e.msg, why);
    if (pos != (size_t)-1 && at != pos)
        test_fail(file, line, "'%s': position %zu, want %zu", pattern, at, pos);
}
#define REFUSED(p, why, pos) refused(__FILE__, __LINE__, p, why, pos)

/* The PCRE2 text a pattern becomes. */
static void
translates(const char *file, int line, const char *pattern, const char *want)
{
    struct buf out = BUF_INIT;
    struct err e = {0};
    if (pyre_translate(pattern, strlen(pattern), 0, &out, NULL, &e) < 0)
        test_fail(file, line, "'%s': %s", pattern, e.msg);
    if (!test_memeq(buf_ptr(&out), out.len, want, strlen(want)))
        test_fail_mem(file, line, pattern, buf_ptr(&out), out.len, want, strlen(want));
    buf_clear(&out);
}
#define TRANSLATES(p, want) translates(__FILE__, __LINE__, p, want)

TEST(pyre_dollar_is_end_or_before_final_newline)
{
    FOUND("a$", "a");
    FOUND("a$", "a\n");
    NOT_FOUND("a$", "a\n\n");
    NOT_FOUND("a$", "a\r\n"); /* only "\n" ends a line, whatever PCRE2 was built with */
    NOT_FOUND("a$", "a\nb");
    ASSERT_EQ(search("a$", PYRE_MULTILINE, "a\nb"), 1);
    ASSERT_EQ(search("a$", PYRE_MULTILINE, "a\r\nb"), 0);
    /* Multiline "^" also matches after a final newline, as Python's does. */
    ASSERT_EQ(search("^\\s*$", PYRE_MULTILINE, "a\n"), 1);
    ASSERT_EQ(search("^b", PYRE_MULTILINE, "a\nb"), 1);
    NOT_FOUND("^b", "a\nb");
}

TEST(pyre_dot_stops_at_newline_only)
{
    NOT_FOUND("a.b", "a\nb");
    FOUND("a.b", "a\rb");
    ASSERT_EQ(search("a.b", PYRE_DOTALL, "a\nb"), 1);
}

TEST(pyre_backslash_Z_is_the_very_end)
{
    FOUND("a\\Z", "a");
    NOT_FOUND("a\\Z", "a\n");
    TRANSLATES("a\\Z", "a\\z");
    REFUSED("[\\Z]", "bad escape \\Z", 1);
}

TEST(pyre_backslash_A)
{
    FOUND("\\Aa", "ab");
    NOT_FOUND("\\Ab", "ab");
    ASSERT_EQ(search("\\Ab", PYRE_MULTILINE, "a\nb"), 0);
    REFUSED("[\\A]", "bad escape \\A", 1);
}

TEST(pyre_digit_word_space_are_ascii)
{
    FOUND("^\\d+$", "0123456789");
    NOT_FOUND("\\d", "\xd9\xa3"); /* ARABIC-INDIC DIGIT THREE: bytes, not digits */
    FOUND("\\w", "_");
    NOT_FOUND("\\w", "\xc3\xa9");
    FOUND("\\s", "\x0b");
    NOT_FOUND("\\S", " \t\n\r\f\x0b");
    FOUND("[\\d]", "7");
    FOUND("\\D\\W", "a!");
}

TEST(pyre_word_boundary)
{
    FOUND("\\bfoo\\b", "a foo.");
    NOT_FOUND("\\bfoo\\b", "afoo");
    FOUND("o\\B", "foo");
    NOT_FOUND("\\B", ""); /* Python 3.11: \B never matches an empty subject */
    FOUND("\\B", "-");
    /* In a class \b is a backspace. */
    FOUND("[\\b]", "\b");
    NOT_FOUND("[\\b]", "b");
}

TEST(pyre_named_groups)
{
    FOUND("(?P<q>a)(?P=q)", "aa");
    NOT_FOUND("(?P<q>a)(?P=q)", "ab");
    REFUSED("(?P<q>a)(?P=r)", "unknown group name 'r'", 12);
    REFUSED("(?P<q>a(?P=q))", "cannot refer to an open group", 11);
    /* PCRE2's own syntax for names and recursion is Python's error. */
    REFUSED("(?<q>a)", "unknown extension ?<q", 1);
    REFUSED("(?'q'a)", "unknown extension ?'", 1);
    REFUSED("(?P>q)", "unknown extension ?P>", 1);
    REFUSED("(?&q)", "unknown extension ?&", 1);
    REFUSED("(?R)", "unknown extension ?R", 1);
    REFUSED("(?1)", "unknown extension ?1", 1);
    REFUSED("(?|a)", "unknown extension ?|", 1);
}

TEST(pyre_numbered_references_and_octal)
{
    FOUND("(a)\\1", "aa");
    REFUSED("\\1(a)", "invalid group reference 1", 0);
    REFUSED("(a\\1)", "cannot refer to an open group", 2);
    FOUND("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10", "abcdefghijj");
    /* Three octal digits are a character, not a reference. */
    FOUND("\\101", "A");
    ASSERT_EQ(search("\\07", 0, "\a"), 1);
    REFUSED("\\400", "octal escape value \\400 outside of range 0-0o377", 0);
    TRANSLATES("(a)\\1", "(a)\\g{1}");
}

TEST(pyre_inline_flags)
{
    FOUND("(?i)abc", "xABCx");
    FOUND("(?i)(?s)a.b", "A\nB");
    FOUND("(?m)a$", "a\nb");
    /* a, L and u pick Python's character model: accepted, nothing to do. */
    FOUND("(?a)x", "x");
    FOUND("(?L:x)", "x");
    FOUND("(?i:a)b", "Ab");
    NOT_FOUND("(?i:a)b", "AB");
    FOUND("(?i)a(?-i:b)", "Ab");
    NOT_FOUND("(?i)a(?-i:b)", "AB");
    REFUSED("a(?i)", "global flags not at the start of the expression", 1);
    REFUSED("a|(?i)b", "global flags not at the start", 2);
    REFUSED("(?i-i:x)", "flag turned on and off", (size_t)-1);
    REFUSED("(?au)x", "flags 'a', 'u' and 'L' are incompatible", (size_t)-1);
    REFUSED("(?-a:x)", "cannot turn off flags 'a', 'u' and 'L'", (size_t)-1);
    REFUSED("(?-1)", "missing flag", (size_t)-1);
    REFUSED("(?-i)x", "missing :", (size_t)-1);
    REFUSED("(?z)", "unknown extension ?z", 1);
    TRANSLATES("(?imL)x", "(?im)x");
    TRANSLATES("(?a:x)", "(?:x)");
}

TEST(pyre_verbose)
{
    FOUND("(?x) a b # a comment with \\q and (", "ab");
    NOT_FOUND("(?x) a b", "a b");
    FOUND("(?x)a\\ b", "a b");
    FOUND("(?x)a[ ]b", "a b");
    ASSERT_EQ(search(" a b ", PYRE_VERBOSE, "ab"), 1);
    FOUND("(?x:a b)c d", "abc d");
    NOT_FOUND("(?x:a b)c d", "abcd");
    /* Outside verbose mode "#" and spaces are characters. */
    FOUND("a #b", "a #b");
}

TEST(pyre_character_classes)
{
    FOUND("[]a]", "]");
    FOUND("[^]a]", "b");
    NOT_FOUND("[^]a]", "]");
    /* No POSIX classes in Python: "[" is a character. */
    FOUND("[[:alpha:]]", ":]");
    NOT_FOUND("[[:alpha:]]", "b");
    FOUND("x[[:alpha:]]", "x[]");
    FOUND("[a-c]+$", "abc");
    FOUND("[\\v]", "\x0b");
    NOT_FOUND("[\\v]", "\n");
    FOUND("[\\101]", "A");
    REFUSED("[\\8]", "bad escape \\8", 1);
    REFUSED("[\\q]", "bad escape \\q", 1);
}

TEST(pyre_escapes_python_accepts)
{
    FOUND("\\x41\\t\\n\\r\\f\\a", "A\t\n\r\f\a");
    FOUND("\\v", "\x0b");
    NOT_FOUND("\\v", "\n"); /* PCRE2's \v would take any vertical space */
    FOUND("\\.\\$\\(\\{", ".$({");
    FOUND("\\\\", "\\");
    FOUND("\\-\\#\\ ", "-# ");
    TRANSLATES("\\v", "\\x0b");
}

TEST(pyre_escapes_python_refuses)
{
    REFUSED("\\q", "bad escape \\q", 0);
    REFUSED("a\\Qb\\E", "bad escape \\Q", 1);
    REFUSED("\\K", "bad escape \\K", 0);
    REFUSED("\\R", "bad escape \\R", 0);
    REFUSED("\\h", "bad escape \\h", 0);
    REFUSED("\\e", "bad escape \\e", 0);
    REFUSED("\\p{L}", "bad escape \\p", 0);
    REFUSED("\\g{1}", "bad escape \\g", 0);
    REFUSED("\\c", "bad escape \\c", 0);
    REFUSED("\\u0041", "bad escape \\u", 0); /* str patterns only */
    REFUSED("\\x4", "incomplete escape \\x4", 0);
    REFUSED("\\x{41}", "incomplete escape \\x", 0);
    REFUSED("\\8", "invalid group reference 8", 0);
    REFUSED("a\\", "bad escape (end of pattern)", 1);
    REFUSED("(*ACCEPT)", "nothing to repeat", 1);
    REFUSED("(?(R)a)", "unknown group name 'R'", 3);
    REFUSED("(?(1)a|b)", "", (size_t)-1); /* no group 1: PCRE2 says so */
    FOUND("(a)?(?(1)b|c)", "c");
}

TEST(pyre_repeats)
{
    FOUND("^x{,2}y$", "xxy");
    NOT_FOUND("^x{,2}y$", "xxxy");
    FOUND("^x{,}y$", "xxxxy");
    FOUND("^x{}$", "x{}");
    FOUND("^x{a}$", "x{a}");
    FOUND("^a{2}$", "aa");
    FOUND("^a++$", "aa");
    FOUND("(?>a+)b", "aab");
    TRANSLATES("x{,2}", "x{0,2}");
    TRANSLATES("x{,}", "x{0,}");
    TRANSLATES("x{}", "x\\{}");
    REFUSED("*", "", 0);
    REFUSED("{,2}", "", (size_t)-1);
}

TEST(pyre_lookaround_and_comments)
{
    FOUND("(?=a)a", "a");
    FOUND("(?<=a)b", "ab");
    NOT_FOUND("(?<!a)b", "ab");
    FOUND("(?#\\q comment)x", "x");
    FOUND("(?#c)(?i)X", "x"); /* a comment keeps global flags at the start */
    REFUSED("(?#x", "missing ), unterminated comment", 0);
}

TEST(pyre_errors_from_pcre2_point_into_the_pattern)
{
    struct err e = {0};
    size_t pos = 0;
    /* PCRE2 sees "\x0b(" (more bytes than given): the position is still the user's. */
    ASSERT(pyre_compile("\\v\\v(", 5, 0, &pos, &e) == NULL);
    ASSERT_EQ(pos, 5);
    ASSERT(strstr(e.msg, "missing closing parenthesis") != NULL);
    ASSERT(pyre_compile("[a", 2, 0, &pos, &e) == NULL);
    ASSERT(strstr(e.msg, "missing terminating ]") != NULL);
}

TEST(pyre_match_is_anchored_at_the_start)
{
    struct err e = {0};
    pcre2_code *re = pyre_compile("/foo", 4, 0, NULL, &e);
    ASSERT(re != NULL);
    ASSERT_EQ(pyre_match(re, "/foo/bar", 8), 1);
    ASSERT_EQ(pyre_match(re, "/x/foo", 6), 0);
    ASSERT_EQ(pyre_search(re, "/x/foo", 6), 1);
    pcre2_code_free(re);
    /* Bytes, NUL included; NULL with no bytes. */
    re = pyre_compile("a\0b", 3, 0, NULL, &e);
    ASSERT(re != NULL);
    ASSERT_EQ(pyre_search(re, "xa\0b", 4), 1);
    ASSERT_EQ(pyre_search(re, NULL, 0), 0);
    pcre2_code_free(re);
}
