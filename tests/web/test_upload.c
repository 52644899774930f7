/* The file of a multipart upload (src/web/upload.c). */
#include <string.h>

#include "../lib/test.h"
#include "web/internal.h"

static int
upload(const char *ct, const char *body, size_t n, const char **file, size_t *len)
{
    const uint8_t *f = NULL;
    int rc = web__upload_file(ct, strlen(ct), (const uint8_t *)body, n, &f, len);
    *file = (const char *)f;
    return rc;
}

TEST(web_upload_keeps_the_file_byte_for_byte)
{
    /* Line breaks, a lone CR and the boundary's text without its dashes
     * inside the file: all of it is content. */
    static const char body[] = "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n"
                               "Content-Type: application/octet-stream\r\n"
                               "\r\n"
                               "12:line one\r\nXyZ\n\r\x00end\r\n"
                               "--XyZ--\r\n";
    const char *file;
    size_t len;
    ASSERT_EQ(upload("multipart/form-data; boundary=XyZ", body, sizeof(body) - 1, &file, &len), 0);
    static const char want[] = "12:line one\r\nXyZ\n\r\x00end";
    ASSERT_EQ(len, sizeof(want) - 1);
    ASSERT(memcmp(file, want, len) == 0);
    /* A quoted boundary, a preamble, and a part without headers. */
    static const char quoted[] = "preamble\r\n--a b\r\n\r\n\r\n\r\n--a b--";
    ASSERT_EQ(
        upload("multipart/form-data; boundary=\"a b\"", quoted, sizeof(quoted) - 1, &file, &len),
        0);
    ASSERT_EQ(len, 2);
    ASSERT(memcmp(file, "\r\n", 2) == 0);
}

TEST(web_upload_refuses_what_is_not_a_whole_part)
{
    const char *file;
    size_t len;
    static const char open_only[] = "--b\r\nContent-Type: x\r\n\r\nno closing delimiter";
    ASSERT_EQ(
        upload("multipart/form-data; boundary=b", open_only, sizeof(open_only) - 1, &file, &len),
        -1);
    static const char no_blank[] = "--b\r\nContent-Type: x\r\n";
    ASSERT_EQ(
        upload("multipart/form-data; boundary=b", no_blank, sizeof(no_blank) - 1, &file, &len), -1);
    const char *whole = "--b\r\n\r\nx\r\n--b";
    ASSERT_EQ(upload("multipart/form-data; boundary=b", whole, strlen(whole), &file, &len), 0);
    ASSERT_EQ(len, 1);
    /* No boundary, an empty one, no body, a delimiter alone. */
    ASSERT_EQ(upload("multipart/form-data", whole, strlen(whole), &file, &len), -1);
    ASSERT_EQ(upload("multipart/form-data; boundary=\"\"", "--\r\n\r\nx\r\n--", 11, &file, &len),
              -1);
    ASSERT_EQ(upload("multipart/form-data; boundary=b", "", 0, &file, &len), -1);
    ASSERT_EQ(upload("multipart/form-data; boundary=b", "--b", 3, &file, &len), -1);
    /* What is refused leaves the caller's file and length as they were
     * (file_contents() keeps the whole body so). */
    const uint8_t *p = (const uint8_t *)whole;
    size_t n = 3;
    ASSERT_EQ(web__upload_file("multipart/form-data", 19, p, n, &p, &n), -1);
    ASSERT(p == (const uint8_t *)whole);
    ASSERT_EQ(n, 3);
}
