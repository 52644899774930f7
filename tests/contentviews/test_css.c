/*
 * The CSS view: 8.1.1's regex beautifier; bytes that are not UTF-8 survive
 * as 8.1.1's surrogateescape decoding lets them.
 */
#include "cvtest.h"

TEST(cv_css_beautified)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "text/css",
                "body{margin:0;padding:0}a:hover,a:focus{color:red;background:url(\"x{y}.png\")}\n"
                "/* comment { } */ @media screen{.a{display:none}}",
                "CSS",
                "body {\n"
                "    margin: 0;\n"
                "    padding: 0\n"
                "}\n"
                "\n"
                "a:hover, a:focus {\n"
                "    color: red;\n"
                "    background: url(\"x{y}.png\")\n"
                "}\n"
                "\n"
                "/* comment { } */ @media screen {\n"
                ".a {\n"
                "    display: none\n"
                "}\n"
                "\n"
                "\n"
                "}\n");
}

TEST(cv_css_undecodable_bytes_survive)
{
    EXPECT_VIEW(CV_VIEW_CSS, NULL, "a { b: \xff }", "CSS",
                "a {\n"
                "    b: \xff\n"
                "}\n");
}

TEST(cv_css_strings_keep_their_special_characters)
{
    EXPECT_VIEW(CV_VIEW_CSS, NULL, "a{content:'x;y{z}:w'}", "CSS",
                "a {\n"
                "    content: 'x;y{z}:w'\n"
                "}\n");
}
