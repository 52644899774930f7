/*
 * The MsgPack view: msgpack.unpackb(raw=False) and 8.1.1's pretty(), with
 * Python's repr of every scalar type msgpack has.
 */
#include "cvtest.h"

TEST(cv_msgpack_pretty)
{
    EXPECT_VIEW(
        CV_VIEW_AUTO, "application/msgpack",
        "\x84\xa1"
        "a\x01\xa1"
        "b\x97\x01\xcb@\x04\x00\x00\x00\x00\x00\x00\xc0\xc3§x\xe2\x80\xa8y'\"\xc4\x03\x00\xff'\xa1"
        "c\x80\xa1"
        "d\x90",
        "MsgPack",
        "{\n"
        "    'a': 1,\n"
        "    'b': [\n"
        "        1,\n"
        "        2.5,\n"
        "        None,\n"
        "        True,\n"
        "        False,\n"
        "        'x\\u2028y\\'\"',\n"
        "        b\"\\x00\\xff'\"\n"
        "    ],\n"
        "    'c': {\n"
        "    },\n"
        "    'd': [\n"
        "    ]\n"
        "}\n");
}

TEST(cv_msgpack_scalars)
{
    EXPECT_VIEW(CV_VIEW_MSGPACK, NULL,
                "\x99\x01\xff\xcf\xff\xff\xff\xff\xff\xff\xff\xffӀ\x00\x00\x00\x00\x00\x00\x00\xcb?"
                "\xb9\x99\x99\x99\x99\x99\x9a\xcbT\xb2I\xad%\x94\xc3}"
                "\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00\xc7\x03\x05"
                "abc\xd7\xff\x00\x00\x00\x14\x00\x00\x00\x01",
                "MsgPack",
                "[\n"
                "    1,\n"
                "    -1,\n"
                "    18446744073709551615,\n"
                "    -9223372036854775808,\n"
                "    0.1,\n"
                "    1e+100,\n"
                "    inf,\n"
                "    ExtType(code=5, data=b'abc'),\n"
                "    Timestamp(seconds=1, nanoseconds=5)\n"
                "]\n");
}

TEST(cv_msgpack_float32_and_timestamps)
{
    EXPECT_VIEW(CV_VIEW_MSGPACK, NULL,
                "\x93\xca=\xcc\xcc\xcd\xd7\xff\x00\x00\x0f\x9c\x00\x00"
                "09\xc7\x0c\xff\x00\x00\x00\x07\xff\xff\xff\xff\xff\xff\xff\xfb",
                "MsgPack",
                "[\n"
                "    0.10000000149011612,\n"
                "    Timestamp(seconds=12345, nanoseconds=999),\n"
                "    Timestamp(seconds=-5, nanoseconds=7)\n"
                "]\n");
}

TEST(cv_msgpack_duplicate_keys)
{
    EXPECT_VIEW(CV_VIEW_MSGPACK, NULL,
                "\x83\xa1"
                "a\x01\xa1"
                "b\x02\xa1"
                "a\x03",
                "MsgPack",
                "{\n"
                "    'a': 3,\n"
                "    'b': 2\n"
                "}\n");
}

TEST(cv_msgpack_int_key_falls_back) { EXPECT_RAW_FALLBACK(CV_VIEW_MSGPACK, NULL, "\x81\x01\x02"); }

TEST(cv_msgpack_extra_data_falls_back) { EXPECT_RAW_FALLBACK(CV_VIEW_MSGPACK, NULL, "\x01\x02"); }

TEST(cv_msgpack_bad_utf8_falls_back) { EXPECT_RAW_FALLBACK(CV_VIEW_MSGPACK, NULL, "\xa2\xff\xfe"); }

TEST(cv_msgpack_reserved_byte_falls_back) { EXPECT_RAW_FALLBACK(CV_VIEW_MSGPACK, NULL, "\xc1"); }

TEST(cv_msgpack_truncated_falls_back) { EXPECT_RAW_FALLBACK(CV_VIEW_MSGPACK, NULL, "\x92\x01"); }

/* ExtType codes are 0..127; -1 is a timestamp, any other negative raises. */
TEST(cv_msgpack_negative_ext_code_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_MSGPACK, NULL, "\xd4\xe4\x01");
}
