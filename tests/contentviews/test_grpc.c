/*
 * The gRPC/Protocol Buffer view: the flattened table of fields with big
 * varints, gRPC framing with compressed messages, and malformed bodies.
 */
#include "cvtest.h"

TEST(cv_grpc_flattened_protobuf)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "application/x-protobuf",
                "\x08\x85\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01\x12\x15\n"
                "\x0bhello\n"
                "world\x10\x96\x01\x1a\x03\xff\xfe\x00\x19\x07\x00\x00\x00\x00\x00\x00\x80%"
                "90\x00\x00*\x00\x80\x80\x80\x80\x80\x80\x02\x01"
                "2\x08\n"
                "\x06\n"
                "\x04"
                "deep",
                "Protobuf (flattened)",
                "[uint64]     1              1180591620717411303429  \n"
                "[message]    2                                      \n"
                "[string]     2.1            hello\\nworld            \n"
                "[uint32]     2.2            150                     \n"
                "[bytes]      2.3            b'\\xff\\xfe\\x00'         \n"
                "[fixed64]    3              9223372036854775815     \n"
                "[fixed32]    4              12345                   \n"
                "[message]    5                                      \n"
                "[uint32]     1099511627776  1                       \n"
                "[message]    6                                      \n"
                "[message]    6.1                                    \n"
                "[string]     6.1.1          deep                    \n");
}

TEST(cv_grpc_messages_with_headlines)
{
    EXPECT_VIEW(
        CV_VIEW_AUTO, "application/grpc",
        "\x00\x00\x00\x00"
        "E\x08\x85\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01\x12\x15\n"
        "\x0bhello\n"
        "world\x10\x96\x01\x1a\x03\xff\xfe\x00\x19\x07\x00\x00\x00\x00\x00\x00\x80%90\x00\x00*"
        "\x00\x80\x80\x80\x80\x80\x80\x02\x01"
        "2\x08\n"
        "\x06\n"
        "\x04"
        "deep\x01\x00\x00\x00)"
        "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xe3\xe2\xceH\xcd\xc9\xc9\xe7*\xcf/"
        "\xcaI\x11\x98\xc6(\xc5\xfc\xff\x1f\x03\x00Yj\xa5\xa9\x15\x00\x00\x00\x00\x00\x00\x00\x00",
        "gRPC",
        "gRPC message 0 (compressed False)\n"
        "[uint64]     1              1180591620717411303429  \n"
        "[message]    2                                      \n"
        "[string]     2.1            hello\\nworld            \n"
        "[uint32]     2.2            150                     \n"
        "[bytes]      2.3            b'\\xff\\xfe\\x00'         \n"
        "[fixed64]    3              9223372036854775815     \n"
        "[fixed32]    4              12345                   \n"
        "[message]    5                                      \n"
        "[uint32]     1099511627776  1                       \n"
        "[message]    6                                      \n"
        "[message]    6.1                                    \n"
        "[string]     6.1.1          deep                    \n"
        "gRPC message 0 (compressed gzip)\n"
        "[string]    1  hello\\nworld     \n"
        "[uint32]    2  150              \n"
        "[bytes]     3  b'\\xff\\xfe\\x00'  \n"
        "gRPC message 0 (compressed False)\n");
}

TEST(cv_grpc_empty_message_has_no_rows)
{
    EXPECT_VIEW(CV_VIEW_GRPC, "application/grpc-proto",
                "\n"
                "\x00",
                "Protobuf (flattened)", "[message]    1    \n");
}

TEST(cv_grpc_truncated_frame_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_AUTO, "application/grpc",
                        "\x00\x00\x00\x00"
                        "E\x08\x85\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01\x12\x15\n"
                        "\x0bhello\n"
                        "world\x10\x96\x01\x1a\x03\xff\xfe\x00\x19\x07\x00\x00\x00\x00\x00\x00\x80%"
                        "90\x00\x00*\x00\x80\x80\x80\x80\x80\x80\x02\x01"
                        "2\x08\n"
                        "\x06\n"
                        "\x04"
                        "dee");
}

TEST(cv_grpc_negative_length_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_AUTO, "application/grpc", "\x00\xff\xff\xff\xff");
}

TEST(cv_grpc_groups_fall_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_AUTO, "application/x-protobuf", "\x0b");
}
