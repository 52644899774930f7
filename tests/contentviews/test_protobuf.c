/*
 * The Protocol Buffer view (8.1.1's Kaitai-based one): nesting, groups,
 * and the bodies on which it gives up.
 */
#include "cvtest.h"

TEST(cv_protobuf_nested_messages)
{
    EXPECT_VIEW(CV_VIEW_PROTOBUF, NULL,
                "\x08\x85\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01\x12\x15\n"
                "\x0bhello\n"
                "world\x10\x96\x01\x1a\x03\xff\xfe\x00\x19\x07\x00\x00\x00\x00\x00\x00\x80%"
                "90\x00\x00*\x00\x80\x80\x80\x80\x80\x80\x02\x01"
                "2\x08\n"
                "\x06\n"
                "\x04"
                "deep",
                "Couldn't parse: falling back to Raw",
                "\\x08\\x85\\x80\\x80\\x80\\x80\\x80\\x80\\x80\\x80\\x80\\x01\\x12\\x15\n"
                "\\x0bhello\n"
                "world\\x10\\x96\\x01\\x1a\\x03\\xff\\xfe\\x00\\x19\\x07\\x00\\x00\\x00\\x00\\x00\\"
                "x00\\x80%90\\x00\\x00*\\x00\\x80\\x80\\x80\\x80\\x80\\x80\\x02\\x012\\x08\n"
                "\\x06\n"
                "\\x04deep\n");
}

TEST(cv_protobuf_groups)
{
    EXPECT_VIEW(CV_VIEW_PROTOBUF, NULL, "\x0b\x10\x05\x0c", "Protobuf",
                "1 {\n"
                "2: 5\n"
                "}\n");
}

TEST(cv_protobuf_truncated_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_PROTOBUF, NULL,
                        "\x08\x85\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01\x12\x15\n"
                        "\x0bhello\n"
                        "world\x10\x96\x01\x1a\x03\xff\xfe\x00\x19\x07\x00\x00\x00\x00\x00\x00\x80%"
                        "90\x00\x00*\x00\x80\x80\x80\x80\x80\x80\x02\x01"
                        "2\x08\n"
                        "\x06\n"
                        "\x04"
                        "d");
}

TEST(cv_protobuf_wire_type_6_falls_back) { EXPECT_RAW_FALLBACK(CV_VIEW_PROTOBUF, NULL, "\x0e"); }

TEST(cv_protobuf_non_utf8_value_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_PROTOBUF, NULL,
                        "\n"
                        "\x02\xff\xff");
}
