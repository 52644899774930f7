/*
 * The Multipart Form view: fields of a body whose content type carries its
 * boundary, and 8.1.1's fall back to Raw when it does not (as always there).
 */
#include "cvtest.h"

TEST(cv_multipart_fields_with_a_boundary)
{
    EXPECT_STYLED(CV_VIEW_MULTIPART, "multipart/form-data; boundary=XYZ",
                  "--XYZ\r\n"
                  "Content-Disposition: form-data; name=\"field1\"\r\n"
                  "\r\n"
                  "value one\r\n"
                  "line two\r\n"
                  "--XYZ\r\n"
                  "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
                  "Content-Type: text/plain\r\n"
                  "\r\n"
                  "file \xff content\r\n"
                  "--XYZ\r\n"
                  "Content-Disposition: form-data; name=\"field1\"\r\n"
                  "\r\n"
                  "dup\r\n"
                  "--XYZ--\r\n",
                  "Multipart form",
                  "[highlight]Form data:\n"
                  "\n"
                  "[header]field1: [text]value oneline two\n"
                  "[header]file:   [text]file � content\n");
}

TEST(cv_multipart_without_boundary_falls_back_as_in_811)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_AUTO, "multipart/form-data",
                        "--XYZ\r\n"
                        "Content-Disposition: form-data; name=\"field1\"\r\n"
                        "\r\n"
                        "value one\r\n"
                        "line two\r\n"
                        "--XYZ\r\n"
                        "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
                        "Content-Type: text/plain\r\n"
                        "\r\n"
                        "file \xff content\r\n"
                        "--XYZ\r\n"
                        "Content-Disposition: form-data; name=\"field1\"\r\n"
                        "\r\n"
                        "dup\r\n"
                        "--XYZ--\r\n");
}

TEST(cv_multipart_part_without_blank_line_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_MULTIPART, "multipart/form-data; boundary=XYZ",
                        "--XYZ\r\n"
                        "Content-Disposition: form-data; name=\"f\"\r\n"
                        "no blank line\r\n"
                        "--XYZ--");
}

/* The fall back says which part could not be read, for a debug log. */
TEST(cv_multipart_fall_back_names_the_bad_part)
{
    static const char body[] = "--XYZ\r\n"
                               "Content-Disposition: form-data; name=\"f\"\r\n"
                               "no blank line\r\n"
                               "--XYZ--";
    struct cv_render *r =
        cvt_render(CV_VIEW_MULTIPART, "multipart/form-data; boundary=XYZ", body, sizeof(body) - 1);
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, 0);
    ASSERT_EQ(cv_render_view(r), CV_VIEW_RAW);
    ASSERT(strstr(cv_render_error(r), "\"f\"") != NULL);
    ASSERT(strstr(cv_render_error(r), "no empty line") != NULL);
    cv_lines_clear(&l);
    cv_render_free(r);
}
