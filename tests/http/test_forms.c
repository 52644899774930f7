/*
 * Query strings, urlencoded and multipart forms. Every expectation is what
 * mitmproxy 8.1.1's net/http/url.py and multipart.py give.
 */
#include <string.h>

#include "../lib/test.h"
#include "http/forms.h"

/* The fields as "name=value" joined with " | ". */
static void
dump(const struct form *f, struct buf *out)
{
    for (size_t i = 0; i < f->n; i++) {
        if (i)
            buf_append_str(out, " | ");
        buf_append(out, f->v[i].name, f->v[i].name_len);
        buf_append(out, "=", 1);
        buf_append(out, f->v[i].value, f->v[i].value_len);
    }
}

static void
urlencoded(const char *file, int line, const char *in, const char *want)
{
    struct form f = {0};
    form_parse_urlencoded(in, strlen(in), &f);
    struct buf b = BUF_INIT;
    dump(&f, &b);
    if (!test_memeq(buf_ptr(&b), b.len, want, strlen(want)))
        test_fail_mem(file, line, in, buf_ptr(&b), b.len, want, strlen(want));
    buf_clear(&b);
    form_clear(&f);
}
#define URLENCODED(in, want) urlencoded(__FILE__, __LINE__, in, want)

TEST(form_urlencoded_parse)
{
    URLENCODED("a=1&b=2", "a=1 | b=2");
    /* Empty items are skipped; a bare name has an empty value. */
    URLENCODED("a=1&&b", "a=1 | b=");
    URLENCODED("a=b=c&", "a=b=c");
    URLENCODED("", "");
    URLENCODED("&", "");
    /* "+" is a space, %XX any byte; a bad escape stays as it is. */
    URLENCODED("x=%41+%2B&y=%zz&=v&k=", "x=A + | y=%zz | =v | k=");
    /* ";" is not a separator (Python 3.10 on). */
    URLENCODED("a=1;b=2", "a=1;b=2");
    struct form f = {0};
    form_parse_urlencoded("na%00me=v%ff", 12, &f);
    ASSERT_MEMEQ(f.v[0].name, f.v[0].name_len, "na\0me", 5);
    ASSERT_MEMEQ(f.v[0].value, f.v[0].value_len, "v\xff", 2);
    form_clear(&f);
}

TEST(form_urlencoded_write)
{
    struct form f = {0};
    form_add(&f, "a b", 3, "c&d", 3);
    form_add(&f, "e", 1, "", 0);
    form_add(&f, "f~.-_", 5, "\xc3\xa9/", 3);
    struct buf b = BUF_INIT;
    form_write_urlencoded(&b, &f, NULL, 0);
    ASSERT_BUF_STR(&b, "a+b=c%26d&e=&f~.-_=%C3%A9%2F");
    form_clear(&f);
    /* A query written bare keeps bare names. */
    form_add(&f, "a", 1, "1", 1);
    form_add(&f, "b", 1, "", 0);
    buf_reset(&b);
    form_write_urlencoded(&b, &f, "x&y=1", 5);
    ASSERT_BUF_STR(&b, "a=1&b");
    buf_reset(&b);
    form_write_urlencoded(&b, &f, "x=1&y=1", 7);
    ASSERT_BUF_STR(&b, "a=1&b=");
    buf_clear(&b);
    form_clear(&f);
}

TEST(form_boundary_from_content_type)
{
    struct buf b = BUF_INIT;
    const char *ct = "multipart/form-data; charset=x; boundary= B1 ;boundary=B2";
    ASSERT_EQ(form_boundary(ct, strlen(ct), &b), 0);
    ASSERT_BUF_STR(&b, "B2");
    buf_reset(&b);
    ct = "multipart/form-data; boundary=\"q\"";
    ASSERT_EQ(form_boundary(ct, strlen(ct), &b), 0);
    ASSERT_BUF_STR(&b, "\"q\""); /* quotes are kept, as parse_content_type keeps them */
    ASSERT_EQ(form_boundary("multipart; boundary=x", 21, &b), MP_ERR_NOTFOUND);
    ASSERT_EQ(form_boundary("a/b; Boundary=x", 15, &b), MP_ERR_NOTFOUND);
    ASSERT_EQ(form_boundary("a/b; boundary=\xc3\xa9", 16, &b), MP_ERR_NOTFOUND);
    buf_clear(&b);
}

static const char body[] =
    "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nline1\r\nline2\r\n"
    "--B\r\nContent-Disposition: form-data; filename=\"x\"; name=\"b\"\r\n"
    "Content-Type: text/plain\r\n\r\nv\r\n--B--\r\n";

TEST(form_multipart_parse)
{
    const char *ct = "multipart/form-data; boundary=B";
    struct form f = {0};
    ASSERT_EQ(
        form_parse_multipart(ct, strlen(ct), (const uint8_t *)body, sizeof(body) - 1, &f, NULL), 0);
    struct buf b = BUF_INIT;
    dump(&f, &b);
    /* Lines of a value are joined without their line ends, as mitmproxy does. */
    ASSERT_BUF_STR(&b, "a=line1line2 | b=v");
    form_clear(&f);
    /* No boundary, or a quoted one that is not in the body: no fields. */
    ASSERT_EQ(
        form_parse_multipart("text/plain", 10, (const uint8_t *)body, sizeof(body) - 1, &f, NULL),
        0);
    ASSERT_EQ(f.n, 0);
    ct = "multipart/form-data; boundary=\"B\"";
    ASSERT_EQ(
        form_parse_multipart(ct, strlen(ct), (const uint8_t *)body, sizeof(body) - 1, &f, NULL), 0);
    ASSERT_EQ(f.n, 0);
    buf_clear(&b);
}

TEST(form_multipart_part_without_empty_line)
{
    static const char bad[] = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nok\r\n"
                              "--B\r\nContent-Disposition: form-data; name=\"c\"\r\nno blank\r\n"
                              "--B--";
    const char *ct = "multipart/form-data; boundary=B";
    struct form f = {0};
    struct err e = {0};
    ASSERT_EQ(form_parse_multipart(ct, strlen(ct), (const uint8_t *)bad, sizeof(bad) - 1, &f, &e),
              MP_ERR_SYNTAX);
    ASSERT_EQ(f.n, 0);
    ASSERT_STREQ(e.msg, "multipart: part 2 (\"c\") has no empty line after its headers");
}

TEST(form_multipart_write)
{
    struct form f = {0};
    form_add(&f, "a", 1, "1", 1);
    form_add(&f, "", 0, "z", 1);
    form_add(&f, "f.txt", 5, "v", 1);
    const char *ct = "multipart/form-data; boundary=x y";
    struct buf b = BUF_INIT;
    ASSERT_EQ(form_write_multipart(&b, ct, strlen(ct), &f, NULL), 0);
    ASSERT_BUF_STR(&b, "--x%20y\r\nContent-Disposition: form-data; name=\"a\"\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n\r\n1\r\n\r\n\r\n"
                       "--x%20y\r\nContent-Disposition: form-data; name=\"f.txt\"\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n\r\nv\r\n\r\n--x%20y--\r\n");
    /* What was written reads back. */
    struct form again = {0};
    ASSERT_EQ(form_parse_multipart("a/b; boundary=x%20y", 19, buf_ptr(&b), b.len, &again, NULL), 0);
    ASSERT_EQ(again.n, 2);
    form_clear(&again);
    /* A value that is the boundary line is refused; no boundary, no body. */
    form_add(&f, "c", 1, "--x%20y\n", 8);
    buf_reset(&b);
    struct err e = {0};
    ASSERT_EQ(form_write_multipart(&b, ct, strlen(ct), &f, &e), MP_ERR_INVAL);
    ASSERT_EQ(b.len, 0);
    ASSERT_EQ(form_write_multipart(&b, "text/plain", 10, &f, &e), MP_ERR_NOTFOUND);
    buf_clear(&b);
    form_clear(&f);
}
