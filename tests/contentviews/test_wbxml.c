/*
 * The WBXML view: ActiveSync code pages, minidom's toprettyxml layout, and
 * the bodies 8.1.1's decoder refuses.
 */
#include "cvtest.h"

TEST(cv_wbxml_activesync)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "application/vnd.ms-sync.wbxml",
                "\x03\x01j\x00"
                "E\\OK\x03"
                "0\x00\x01R\x03"
                "5<&>\"\xe9\x85x\x00\x01\x13W\xc3\x03"
                "abc\x03hi\x00\x01\x00\x01"
                "E\x01\x01\x01\x01",
                "WBXML",
                "<?xml version=\"1.0\" ?>\n"
                "<Sync>\n"
                "    <Collections>\n"
                "        <Collection>\n"
                "            <SyncKey>0</SyncKey>\n"
                "            <CollectionId>5&lt;&amp;&gt;&quot;é\n"
                "x</CollectionId>\n"
                "            <GetChanges/>\n"
                "            <Options>\n"
                "<![CDATA[abc]]>                hi\n"
                "            </Options>\n"
                "            <Anniversary/>\n"
                "        </Collection>\n"
                "    </Collections>\n"
                "</Sync>\n");
}

TEST(cv_wbxml_mixed_content)
{
    EXPECT_VIEW(CV_VIEW_WBXML, NULL,
                "\x03\x01j\x00"
                "EF\x03"
                "a\x00\xc3\x02xy\x03"
                "b\x00\x01\x01",
                "WBXML",
                "<?xml version=\"1.0\" ?>\n"
                "<Sync>\n"
                "    <Responses>\n"
                "        a\n"
                "<![CDATA[xy]]>        b\n"
                "    </Responses>\n"
                "</Sync>\n");
}

TEST(cv_wbxml_no_elements)
{
    EXPECT_VIEW(CV_VIEW_WBXML, NULL, "\x03\x01j\x00", "WBXML", "<?xml version=\"1.0\" ?>\n");
}

TEST(cv_wbxml_two_roots_fall_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_WBXML, NULL,
                        "\x03\x01j\x00"
                        "E\x01"
                        "E\x01");
}

TEST(cv_wbxml_end_at_the_top_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_WBXML, NULL, "\x03\x01j\x00\x01");
}

TEST(cv_wbxml_cdata_with_terminator_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_WBXML, NULL,
                        "\x03\x01j\x00"
                        "E\xc3\x03]]>\x01");
}

TEST(cv_wbxml_wrong_charset_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_WBXML, NULL,
                        "\x03\x01k\x00"
                        "E\x01");
}

TEST(cv_wbxml_unknown_page_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_WBXML, NULL,
                        "\x03\x01j\x00"
                        "E\x00\x19\x01");
}

TEST(cv_wbxml_attributes_fall_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_WBXML, NULL, "\x03\x01j\x00\x85\x01");
}

TEST(cv_wbxml_text_outside_elements_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_WBXML, NULL, "\x03\x01j\x00\x03x\x00");
}
