/*
 * The XML/HTML view: 8.1.1's tokenizer and indenter, textwrap's dedent and
 * indent, the 17-level limit and the quirks of its element stack.
 */
#include "cvtest.h"

TEST(cv_xml_html_document)
{
    EXPECT_VIEW(CV_VIEW_XML_HTML, "text/html",
                "<!DOCTYPE html>\n"
                "<html>\n"
                "<head><title>404 Not Found</title>\n"
                "<meta charset=\"utf-8\"><link rel=stylesheet href=a.css>\n"
                "</head>\n"
                "<body>\n"
                "<div class=\"a\"><p>Hello <b>world</b>, how\n"
                "   are you?</p><br/><img src=x>\n"
                "<!-- a comment > with gt -->\n"
                "<![CDATA[ x < y ]]>\n"
                "<ul><li>one</li><li>two</li>\n"
                "<li>\n"
                "   multi\n"
                "     line\n"
                "   text\n"
                "</li></ul>\n"
                "<div></div><span a=b></span>\n"
                "</div>\n"
                "</body>\n"
                "</html>\n",
                "HTML",
                "<!DOCTYPE html>\n"
                "<html>\n"
                "<head>\n"
                "  <title>404 Not Found</title>\n"
                "  <meta charset=\"utf-8\">\n"
                "  <link rel=stylesheet href=a.css>\n"
                "</head>\n"
                "<body>\n"
                "  <div class=\"a\">\n"
                "    <p>\n"
                "      Hello\n"
                "      <b>world</b>\n"
                "      , how\n"
                "      are you?\n"
                "    </p>\n"
                "    <br/>\n"
                "    <img src=x>\n"
                "    <!-- a comment > with gt -->\n"
                "    <![CDATA[ x < y ]]>\n"
                "    <ul>\n"
                "      <li>one</li>\n"
                "      <li>two</li>\n"
                "      <li>\n"
                "        multi\n"
                "          line\n"
                "        text\n"
                "      </li>\n"
                "    </ul>\n"
                "    <div></div>\n"
                "    <span a=b></span>\n"
                "  </div>\n"
                "</body>\n"
                "</html>\n");
}

TEST(cv_xml_document)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "text/xml",
                "<?xml version=\"1.0\"?>\n"
                "<a><b x=\"1\"/><c>text</c><d>\n"
                "  <e/>\n"
                "</d></a>",
                "XML",
                "<?xml version=\"1.0\"?>\n"
                "<a>\n"
                "  <b x=\"1\"/>\n"
                "  <c>text</c>\n"
                "  <d>\n"
                "    <e/>\n"
                "  </d>\n"
                "</a>\n");
}

TEST(cv_xml_sniffed_without_content_type)
{
    EXPECT_VIEW(CV_VIEW_AUTO, NULL,
                "  \n"
                "<a><b>c</b></a>",
                "XML",
                "<a>\n"
                "  <b>c</b>\n"
                "</a>\n");
}

TEST(cv_xml_indents_at_most_seventeen_levels)
{
    EXPECT_VIEW(CV_VIEW_XML_HTML, NULL,
                "<a><b><c><d><e><f><g><h><i><j><k><l><m><n><o><p><q><r><s><t>deep</t></s></r></q></"
                "p></o></n></m></l></k></j></i></h></g></f></e></d></c></b></a>",
                "XML",
                "<a>\n"
                "  <b>\n"
                "    <c>\n"
                "      <d>\n"
                "        <e>\n"
                "          <f>\n"
                "            <g>\n"
                "              <h>\n"
                "                <i>\n"
                "                  <j>\n"
                "                    <k>\n"
                "                      <l>\n"
                "                        <m>\n"
                "                          <n>\n"
                "                            <o>\n"
                "                              <p>\n"
                "                                <q>\n"
                "                                <r>\n"
                "                                <s>\n"
                "                                <t>deep</t>\n"
                "                                </s>\n"
                "                                </r>\n"
                "                                </q>\n"
                "                              </p>\n"
                "                            </o>\n"
                "                          </n>\n"
                "                        </m>\n"
                "                      </l>\n"
                "                    </k>\n"
                "                  </j>\n"
                "                </i>\n"
                "              </h>\n"
                "            </g>\n"
                "          </f>\n"
                "        </e>\n"
                "      </d>\n"
                "    </c>\n"
                "  </b>\n"
                "</a>\n");
}

TEST(cv_xml_unclosed_tag_at_the_end)
{
    EXPECT_VIEW(CV_VIEW_XML_HTML, NULL, "<a>unclosed <b attr=\"x", "XML",
                "<a>\n"
                "  unclosed\n"
                "  <b attr=\"x\n");
}

TEST(cv_xml_closing_html_drops_all_indentation)
{
    EXPECT_VIEW(CV_VIEW_XML_HTML, NULL, "<div><html><body></html>after<p>x</p></div>", "HTML",
                "<div>\n"
                "  <html>\n"
                "  <body>\n"
                "  </html>\n"
                "  after\n"
                "  <p>x</p>\n"
                "</div>\n");
}

TEST(cv_xml_tags_spanning_lines_are_dedented)
{
    EXPECT_VIEW(CV_VIEW_XML_HTML, NULL,
                "<a\n"
                "  href=\"x\"\n"
                "    class=\"y\">\n"
                "\t<b>\n"
                "  \t t\n"
                "</b></a>",
                "XML",
                "<a\n"
                "href=\"x\"\n"
                "  class=\"y\">\n"
                "  <b>\n"
                "    t\n"
                "  </b>\n"
                "</a>\n");
}

TEST(cv_xml_text_only) { EXPECT_VIEW(CV_VIEW_XML_HTML, NULL, "just text\n", "XML", "just text\n"); }

TEST(cv_xml_not_utf8_falls_back)
{
    EXPECT_RAW_FALLBACK(CV_VIEW_XML_HTML, "text/html", "<p>caf\xe9</p>");
}
