/*
 * The Hex view (strutils.hexdump) and Auto's choice between Hex and Raw;
 * expected lines are 8.1.1's for the same bytes.
 */
#include "cvtest.h"

TEST(cv_hex_sixteen_bytes_a_line)
{
    EXPECT_STYLED(CV_VIEW_HEX, NULL, "\x1e\x1f !\"#$%&'()*+,-./0123456789\x7f\x80\xff", "Hex",
                  "[offset]0000000000 [text]1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d   "
                  "[text].. !\"#$%&'()*+,-\n"
                  "[offset]0000000010 [text]2e 2f 30 31 32 33 34 35 36 37 38 39 7f 80 ff      "
                  "[text]./0123456789...\n");
}

TEST(cv_hex_exact_multiple_of_sixteen)
{
    EXPECT_VIEW(CV_VIEW_HEX, NULL, "0123456789abcdef0123456789abcdef", "Hex",
                "0000000000 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66   0123456789abcdef\n"
                "0000000010 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66   0123456789abcdef\n");
}

TEST(cv_auto_picks_hex_for_mostly_binary)
{
    EXPECT_VIEW(CV_VIEW_AUTO, NULL,
                "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n"
                "\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"
                "abc",
                "Hex",
                "0000000000 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f   ................\n"
                "0000000010 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f   ................\n"
                "0000000020 61 62 63                                          abc\n");
}

TEST(cv_auto_picks_raw_for_text)
{
    EXPECT_VIEW(CV_VIEW_AUTO, NULL, "text\x00with one binary byte", "Raw",
                "text\\x00with one binary byte\n");
}
