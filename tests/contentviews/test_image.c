/*
 * The Image view: imghdr's detection and the PNG, GIF, JPEG/EXIF and ICO
 * metadata 8.1.1 prints; files its parsers reject fall back to Raw.
 */
#include "cvtest.h"

TEST(cv_image_png_text_chunks)
{
    EXPECT_STYLED(CV_VIEW_AUTO, "image/png",
                  "\x89PNG\r\n"
                  "\x1a\n"
                  "\x00\x00\x00\rIHDR\x00\x00\x00\x03\x00\x00\x00\x02\x08\x02\x00\x00\x00\x12\x16"
                  "\xf1M\x00\x00\x00\x04gAMA\x00\x00\xb1\x8f\x0b\xfc"
                  "a\x05\x00\x00\x00\tpHYs\x00\x00\x0b\x13\x00\x00\x0b\x13\x01\x00\x9a\x9c\x18\x00"
                  "\x00\x00\x12tEXtTitle\x00"
                  "caf\xe9 au lait'\xc9\x16\xc5\x00\x00\x00\x14tEXtTitle\x00"
                  "a second "
                  "titlecej\xe4\x00\x00\x00\x1czTXtComment\x00\x00x\x9c\xab\xca,(HMQ(I\xad("
                  "\x01\x00\x1a\xf1\x04r=SL\xe4\x00\x00\x00\x18iTXtAuthor\x00\x00\x00"
                  "en\x00"
                  "Auteur\x00JörgP\xe8\xda"
                  "C\x00\x00\x00\x0bIDATx\x9c"
                  "c`\xc0\x04\x00\x00\x14\x00\x01}\xfe\x1e\xee\x00\x00\x00\x00IEND\xae"
                  "B`\x82",
                  "PNG Image",
                  "[header]Format:  [text]Portable network graphics\n"
                  "[header]Size:    [text]3 x 2 px\n"
                  "[header]gamma:   [text]0.45455\n"
                  "[header]aspect:  [text]2835 x 2835\n"
                  "[header]Title:   [text]café au lait\n"
                  "[header]Comment: [text]zipped text\n"
                  "[header]Author:  [text]Jörg\n");
}

TEST(cv_image_gif)
{
    EXPECT_VIEW(CV_VIEW_IMAGE, NULL,
                "GIF89a\n"
                "\x00\x14\x00\x80\x03\x00\x00\x00\x00\x00\x00\x00!\xfe\x05hello\x03"
                "abc\x00!\xf9\x04\x00\x00\x00\x00\x00!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00,"
                "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x02L\x01\x00;",
                "GIF Image",
                "Format:     Compuserve GIF\n"
                "Version:    GIF89a\n"
                "Size:       10 x 20 px\n"
                "background: 3\n"
                "comment:    b'hello'\n");
}

TEST(cv_image_jpeg_with_exif)
{
    EXPECT_VIEW(
        CV_VIEW_IMAGE, NULL,
        "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x02\x01\x00H\x00H\x00\x00\xff\xe1\x00>Exif\x00\x00II*"
        "\x00\x08\x00\x00\x00\x02\x00\x0f\x01\x02\x00\x06\x00\x00\x00&\x00\x00\x00"
        "1\x01\x02\x00\n"
        "\x00\x00\x00,\x00\x00\x00\x00\x00\x00\x00"
        "Canon\x00GIMP 2.10\x00\xff\xfe\x00\x0b"
        "a comment\xff\xdb\x00"
        "C\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
        "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
        "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff"
        "\xc0\x00\x11\x08\x00\x10\x00 "
        "\x03\x01\"\x00\x02\x11\x01\x03\x11\x01\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00?"
        "\x00\x12"
        "4\xff\xd9",
        "JPEG Image",
        "Format:       JPEG (ISO 10918)\n"
        "jfif_version: (1, 2)\n"
        "jfif_density: (72, 72)\n"
        "jfif_unit:    1\n"
        "make:         Canon\n"
        "software:     GIMP 2.10\n"
        "comment:      b'a comment'\n"
        "Size:         32 x 16 px\n");
}

TEST(cv_image_ico)
{
    EXPECT_VIEW(CV_VIEW_IMAGE, NULL,
                "\x00\x00\x01\x00\x02\x00\x10\x10\x00\x00\x01\x00 \x00\n"
                "\x00\x00\x00&\x00\x00\x00\x00\x00\x00\x00\x01\x00 \x00\x08\x00\x00\x00"
                "0\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x89PNG\r\n"
                "\x1a\n",
                "ICO Image",
                "Format:           ICO\n"
                "Number of images: 2\n"
                "Image 1:          Size: 16 x 16\n"
                "                  Bits per pixel: 32\n"
                "                  PNG: False\n"
                "Image 2:          Size: 256 x 256\n"
                "                  Bits per pixel: 32\n"
                "                  PNG: True\n");
}

TEST(cv_image_webp_named_only)
{
    EXPECT_VIEW(CV_VIEW_IMAGE, NULL, "RIFF\x00\x00\x00\x00WEBPVP8 ", "WEBP Image",
                "Image Format: webp\n");
}

TEST(cv_image_empty_is_unknown)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "image/png", "", "Unknown Image", "Image Format: unknown\n");
}

TEST(cv_image_truncated_png_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_IMAGE, NULL,
                        "\x89PNG\r\n"
                        "\x1a\n"
                        "\x00\x00\x00\rIHDR\x00\x00\x00\x03\x00\x00\x00\x02\x08\x02\x00\x00\x00\x12"
                        "\x16\xf1M\x00\x00\x00\x04gAMA\x00\x00\xb1\x8f\x0b\xfc"
                        "a\x05\x00");
}

TEST(cv_image_jpeg_magic_without_jpeg_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_IMAGE, NULL, "123456JFIF");
}

TEST(cv_image_gif_unknown_extension_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_IMAGE, NULL,
                        "GIF89a\n"
                        "\x00\x14\x00\x80\x03\x00\x00\x00\x00\x00\x00\x00!\x01\x00");
}

TEST(cv_auto_shows_svg_as_xml)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "image/svg+xml", "<svg><circle r=\"1\"/></svg>", "XML",
                "<svg>\n"
                "  <circle r=\"1\"/>\n"
                "</svg>\n");
}
