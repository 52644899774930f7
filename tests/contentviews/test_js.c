/*
 * The JavaScript view: 8.1.1's regex beautifier with its special areas
 * (strings, comments, regex literals) left alone.
 */
#include "cvtest.h"

TEST(cv_js_beautified)
{
    EXPECT_VIEW(
        CV_VIEW_AUTO, "application/javascript",
        "function f(a, b) { if (a < b) { return \"a{b};c\"; } else { return /re{1}/g.test(b); } }\n"
        "var x = {a: 1, b: [1, 2, 3]}; for (var i = 0; i < 10; i++) { x.a += i; }\n"
        "// a comment { with braces }\n"
        "/* block { comment } */ let t = `template ${x} {`;",
        "JavaScript",
        "function f(a, b) {\n"
        "  if (a < b) {\n"
        "    return \"a{b};c\";\n"
        "  }\n"
        "  else {\n"
        "    return /re {\n"
        "      1\n"
        "    }\n"
        "    /g.test(b);\n"
        "  }\n"
        "  \n"
        "}\n"
        "var x = {\n"
        "  a: 1, b: [1, 2, 3]\n"
        "};\n"
        "for (var i = 0;\n"
        "i < 10;\n"
        "i++) {\n"
        "  x.a += i;\n"
        "}\n"
        "// a comment { with braces }\n"
        "/* block { comment } */ let t = `template ${x} {`;\n");
}

TEST(cv_js_unbalanced_braces)
{
    EXPECT_VIEW(CV_VIEW_JAVASCRIPT, NULL, "a();b();{c()}}}}x();{y()}", "JavaScript",
                "a();\n"
                "b();\n"
                "{\n"
                "  c()\n"
                "}\n"
                "\n"
                "}\n"
                "\n"
                "}\n"
                "\n"
                "}\n"
                "x();\n"
                "{\n"
                "y()\n"
                "}\n");
}

TEST(cv_js_invalid_utf8_replaced)
{
    EXPECT_VIEW(CV_VIEW_JAVASCRIPT, NULL, "var s = '\xff';", "JavaScript", "var s = '�';\n");
}

TEST(cv_js_private_use_characters_come_down)
{
    EXPECT_VIEW(CV_VIEW_JAVASCRIPT, NULL, "x = '\xee\x81\x81';", "JavaScript", "x = 'A';\n");
}
