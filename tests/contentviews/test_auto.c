/*
 * Auto: which view 8.1.1's priorities choose, by content type first and by
 * sniffing the bytes when the type says nothing. Every row is what
 * contentviews.get_content_view(get("Auto"), body, content_type=...) gave
 * in 8.1.1 (the description), and the view that then rendered (Raw when
 * the chosen view could not parse the body).
 */
#include "cvtest.h"

struct auto_case {
    const char *ctype;
    const char *body;
    size_t len;
    const char *desc;
    enum cv_view view;
};

#define B(s) s, sizeof(s) - 1

static const char png_1x1[] =
    "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00"
    "\x3a\x7e\x9b\x55\x00\x00\x00\x0aIDAT\x78\x9c\x63\x60\x00\x00\x00\x02\x00\x01\x48\xaf\xa4\x71"
    "\x00\x00\x00\x00IEND\xae\x42\x60\x82";

static const struct auto_case cases[] = {
    /* By content type. */
    {"application/json", B("[1, {\"a\": \"b\"}]"), "JSON", CV_VIEW_JSON},
    {"application/json", B("nope"), "Couldn't parse: falling back to Raw", CV_VIEW_RAW},
    {"application/json", B("{\"query\": \"query { a }\", \"variables\": {}}"), "JSON",
     CV_VIEW_JSON},
    {"application/json", B("[{\"query\": \"{ a }\"}]"), "GraphQL", CV_VIEW_GRAPHQL},
    {"text/html", B("<p>x</p>"), "XML", CV_VIEW_XML_HTML},
    {"text/xml", B("<a><b/></a>"), "XML", CV_VIEW_XML_HTML},
    {"image/svg+xml", B("<svg/>"), "XML", CV_VIEW_XML_HTML},
    {"application/javascript", B("var a=1;"), "JavaScript", CV_VIEW_JAVASCRIPT},
    {"text/javascript", B("f()"), "JavaScript", CV_VIEW_JAVASCRIPT},
    {"text/css", B("a{b:c}"), "CSS", CV_VIEW_CSS},
    {"application/x-www-form-urlencoded", B("a=1&b=2"), "URLEncoded form", CV_VIEW_URLENCODED},
    /* 8.1.1 never passes the boundary: a form always falls back. */
    {"multipart/form-data", B("--x\r\n"), "Couldn't parse: falling back to Raw", CV_VIEW_RAW},
    {"image/png", png_1x1, sizeof(png_1x1) - 1, "PNG Image", CV_VIEW_IMAGE},
    {"image/png", B("\x89PNG\r\n\x1a\n"), "Couldn't parse: falling back to Raw", CV_VIEW_RAW},
    {"application/msgpack", B("\x81\xa1\x61\x01"), "MsgPack", CV_VIEW_MSGPACK},
    {"application/x-msgpack", B("\x93\x01\x02\x03"), "MsgPack", CV_VIEW_MSGPACK},
    {"application/vnd.ms-sync.wbxml", B("\x03\x01j\x00"), "WBXML", CV_VIEW_WBXML},
    {"application/grpc", B("\x00\x00\x00\x00\x02\x08\x01"), "gRPC", CV_VIEW_GRPC},
    /* gRPC/Protocol Buffer rates protobuf types 1.5, Protocol Buffer 1. */
    {"application/x-protobuf", B("\x08\x01"), "Protobuf (flattened)", CV_VIEW_GRPC},
    {"application/x-protobuffer", B("\x08\x01"), "Protobuf (flattened)", CV_VIEW_GRPC},
    {"text/plain", B("hello"), "Raw", CV_VIEW_RAW},
    {"application/octet-stream", B("hello"), "Raw", CV_VIEW_RAW},
    /* By sniffing: XML/HTML looks at the start, Hex at how binary it is. */
    {NULL, B("<?xml version=\"1.0\"?><a/>"), "XML", CV_VIEW_XML_HTML},
    {NULL, B("  <html><body>x</body></html>"), "HTML", CV_VIEW_XML_HTML},
    {NULL, B("\x00\x01\x02\x03\x62inary\xff\xfe"), "Hex", CV_VIEW_HEX},
    {"application/octet-stream", B("\x00\x01\x02\x03\x04\x05"), "Hex", CV_VIEW_HEX},
    {NULL, B("hello"), "Raw", CV_VIEW_RAW},
    /* Image sniffs nothing: without an image type a PNG is binary. */
    {NULL, png_1x1, sizeof(png_1x1) - 1, "Hex", CV_VIEW_HEX},
    {NULL, B("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "Hex", CV_VIEW_HEX},
};

TEST(cv_auto_chooses_as_811_by_type_and_sniffing)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct auto_case *c = &cases[i];
        struct cv_render *r = cvt_render(CV_VIEW_AUTO, c->ctype, c->body, c->len);
        struct cv_lines l = CV_LINES_INIT;
        cv_render_all(r, &l, 0);
        if (strcmp(cv_render_description(r), c->desc) != 0 || cv_render_view(r) != c->view)
            test_fail(__FILE__, __LINE__, "case %zu (%s): \"%s\" by %s, expected \"%s\" by %s", i,
                      c->ctype ? c->ctype : "no type", cv_render_description(r),
                      cv_view_name(cv_render_view(r)), c->desc, cv_view_name(c->view));
        cv_lines_clear(&l);
        cv_render_free(r);
    }
}

/* Auto's lines are those of the view it chose, a step at a time too. */
TEST(cv_auto_renders_the_chosen_view)
{
    EXPECT_STYLED(CV_VIEW_AUTO, "text/css", "a{b:c}", "CSS",
                  "[text]a {\n[text]    b: c\n[text]}\n");
    EXPECT_STYLED(CV_VIEW_AUTO, NULL, "\x00\x01", "Hex",
                  "[offset]0000000000 [text]00 01                                             "
                  "[text]..\n");
}
