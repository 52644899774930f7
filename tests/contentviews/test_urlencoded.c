/*
 * The URL-encoded view: parse_qsl with blank values kept, keys padded by
 * characters (at most 30); a body that is not ASCII falls back to Raw.
 */
#include "cvtest.h"

TEST(cv_urlencoded_pairs)
{
    EXPECT_STYLED(CV_VIEW_AUTO, "application/x-www-form-urlencoded",
                  "a=1&b=%20x+y&&c&d=caf%C3%A9&e=%ff", "URLEncoded form",
                  "[header]a: [text]1\n"
                  "[header]b: [text] x y\n"
                  "[header]c: [text]\n"
                  "[header]d: [text]café\n"
                  "[header]e: [text]\xff\n");
}

TEST(cv_urlencoded_long_keys_stop_widening)
{
    EXPECT_VIEW(CV_VIEW_URLENCODED, NULL, "short=1&a_key_much_longer_than_thirty_chars=2",
                "URLEncoded form",
                "short:                          1\n"
                "a_key_much_longer_than_thirty_chars:2\n");
}

TEST(cv_urlencoded_non_ascii_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_URLENCODED, NULL, "café=1");
}
