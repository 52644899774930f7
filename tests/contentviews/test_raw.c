/*
 * The Raw view: strutils.bytes_to_escaped_str(data, keep_spacing=True) split
 * at CR, LF and CRLF; expected lines are 8.1.1's for the same bytes.
 */
#include "cvtest.h"

TEST(cv_raw_escapes_bytes_and_splits_at_cr_lf)
{
    EXPECT_VIEW(CV_VIEW_RAW, NULL,
                "line1\r\n"
                "line2\rline3\n"
                "\x00\x01\xff\\ '\"\tend\n",
                "Raw",
                "line1\n"
                "line2\n"
                "line3\n"
                "\\x00\\x01\\xff\\\\ '\"\tend\n");
}

TEST(cv_raw_keeps_vt_ff_on_the_line)
{
    EXPECT_VIEW(CV_VIEW_RAW, NULL,
                "a\x0b"
                "b\x0c"
                "c\xe2\x80\xa8"
                "d\n"
                "\n"
                "last",
                "Raw",
                "a\\x0bb\\x0cc\\xe2\\x80\\xa8d\n"
                "\n"
                "last\n");
}

TEST(cv_raw_is_text_styled)
{
    EXPECT_STYLED(CV_VIEW_RAW, NULL,
                  "one\n"
                  "two",
                  "Raw",
                  "[text]one\n"
                  "[text]two\n");
}

TEST(cv_raw_empty_body_has_no_lines) { EXPECT_VIEW(CV_VIEW_RAW, NULL, "", "Raw", ""); }

/* 8.1.1's unescaping regex keeps one of the escaped backslashes before a
 * quote, tab, CR or LF; a line break counts too. */
TEST(cv_raw_loses_backslashes_before_quotes_and_kept_whitespace)
{
    EXPECT_VIEW(CV_VIEW_RAW, NULL,
                "a\\\\\\\n"
                "b\\\\\\\\'c\\\\\\\\\td\\\\\r\n"
                "e\\' \\\\' \\\\\\'\\",
                "Raw",
                "a\\\\\n"
                "b\\\\'c\\\\\td\\\\\n"
                "e\\\\' \\\\' \\\\'\\\\\n");
}
