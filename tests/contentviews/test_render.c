/*
 * The registry, Auto's choice, the message helpers (decoding, content type,
 * content missing, the description's prefix) and the incremental contract:
 * pages of a huge body come at once, a JSON body is read a budget at a time.
 */
#include <time.h>

#include "cvtest.h"
#include "http/encoding.h"
#include "http/message.h"
#include "options/opt.h"

TEST(cv_registry_names_in_811_order)
{
    const char *want[] = {"Auto",
                          "Raw",
                          "Hex",
                          "GraphQL",
                          "JSON",
                          "XML/HTML",
                          "WBXML",
                          "JavaScript",
                          "CSS",
                          "URL-encoded",
                          "Multipart Form",
                          "Image",
                          "Query",
                          "Protocol Buffer",
                          "MsgPack",
                          "gRPC/Protocol Buffer"};
    ASSERT_EQ(CV_VIEW__COUNT, 16);
    for (int i = 0; i < CV_VIEW__COUNT; i++) {
        ASSERT_STREQ(cv_view_name((enum cv_view)i), want[i]);
        ASSERT_EQ(cv_view_find(want[i]), i);
    }
    ASSERT_EQ(cv_view_find("xml/HTML"), CV_VIEW_XML_HTML);
    ASSERT_EQ(cv_view_find("grpc/protocol buffer"), CV_VIEW_GRPC);
    ASSERT_EQ(cv_view_find("nope"), -1);
    ASSERT_EQ(cv_view_find(NULL), -1);
    ASSERT_STREQ(cv_style_name(CV_STYLE_JSON_NUMBER), "json_number");
    ASSERT_STREQ(cv_style_name(CV_STYLE_CONTENT_NONE), "content_none");
}

/* The option's choices are the registry's names, lower-cased, in order. */
TEST(cv_registry_is_the_options_choices)
{
    struct buf want = BUF_INIT;
    for (int i = 0; i < CV_VIEW__COUNT; i++) {
        if (i)
            buf_append(&want, "|", 1);
        for (const char *c = cv_view_name((enum cv_view)i); *c; c++) {
            char l = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
            buf_append(&want, &l, 1);
        }
    }
    const struct opt_info *o = opt_find("dumper_default_contentview");
    ASSERT(o != NULL);
    char *names = buf_strdup(&want);
    ASSERT_STREQ(o->choices, names);
    free(names);
    buf_clear(&want);
}

TEST(cv_content_type_is_type_and_subtype_lower_cased)
{
    char *ct = cv_content_type("Text/HTML; charset=UTF-8", 24);
    ASSERT_STREQ(ct, "text/html");
    free(ct);
    ASSERT(cv_content_type("nodash", 6) == NULL);
    ASSERT(cv_content_type("text;/html", 10) == NULL);
    ct = cv_content_type(" text/html ", 11); /* 8.1.1 strips nothing */
    ASSERT_STREQ(ct, " text/html ");
    free(ct);
}

TEST(cv_auto_no_content_and_ties)
{
    EXPECT_VIEW(CV_VIEW_AUTO, "text/plain", "", "No content", "");
    /* Protobuf types: gRPC/Protocol Buffer (1.5) wins over Protocol Buffer (1). */
    struct cv_render *r = cvt_render(CV_VIEW_AUTO, "application/x-protobuf", "\x08\x01", 2);
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, 0);
    ASSERT_EQ(cv_render_view(r), CV_VIEW_GRPC);
    ASSERT_STREQ(cv_render_description(r), "Protobuf (flattened)");
    cv_lines_clear(&l);
    cv_render_free(r);
}

static struct cv_render *
response_render(const char *view, const char *encoding, const char *ctype, const void *body,
                size_t n)
{
    struct http_response *rs = http_response_new();
    if (ctype)
        hdrs_add_cstr(&rs->headers, "Content-Type", ctype);
    if (encoding) {
        hdrs_add_cstr(&rs->headers, "Content-Encoding", encoding);
        struct err e;
        if (strcmp(encoding, "bogus") == 0 || enc_encode(encoding, body, n, &rs->content, &e) < 0)
            buf_append(&rs->content, body, n);
    } else {
        buf_append(&rs->content, body, n);
    }
    struct cv_render *r = cv_render_message(view, NULL, NULL, rs);
    http_response_free(rs); /* nothing of it is needed after cv_render_message */
    return r;
}

static void
expect_message(const char *view, const char *encoding, const char *ctype, const char *body,
               const char *desc, const char *want)
{
    struct cv_render *r = response_render(view, encoding, ctype, body, strlen(body));
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, 0);
    struct buf got = BUF_INIT;
    cvt_text(&got, &l, 1);
    ASSERT_STREQ(cv_render_description(r), desc);
    ASSERT_BUF_STR(&got, want);
    buf_clear(&got);
    cv_lines_clear(&l);
    cv_render_free(r);
}

TEST(cv_message_decoded_and_described_as_811)
{
    expect_message("auto", "gzip", "application/json; charset=utf-8", "[1]", "[decoded gzip] JSON",
                   "[text][\n[json_number]    1[text]\n[text][text]]\n");
    expect_message("auto", "identity", "text/plain", "x", "Raw", "[text]x\n");
    expect_message("auto", "bogus", "text/plain", "x", "[cannot decode] Raw", "[text]x\n");
    /* 8.1.1 undoes one coding, never a list of them. */
    expect_message("auto", "gzip, identity", "text/plain", "x", "[cannot decode] Raw", "[text]x\n");
    expect_message("json", NULL, NULL, "nope", "Couldn't parse: falling back to Raw",
                   "[text]nope\n");
    expect_message("no such view", NULL, NULL, "x", "Raw", "[text]x\n");
}

/* Borrowed: the same lines as the copy; the message's own bytes are read
 * when there is nothing to decode, a coded body is still decoded. */
TEST(cv_message_borrowed_reads_the_body_in_place)
{
    struct http_response *rs = http_response_new();
    hdrs_add_cstr(&rs->headers, "Content-Type", "application/json");
    buf_append_str(&rs->content, "{\"a\": [1, 2]}");
    struct cv_lines a = CV_LINES_INIT, b = CV_LINES_INIT;
    struct cv_render *copy = cv_render_message("auto", NULL, NULL, rs);
    struct cv_render *lent = cv_render_message_borrowed("auto", NULL, NULL, rs);
    cv_render_all(copy, &a, 0);
    cv_render_all(lent, &b, 0);
    ASSERT_STREQ(cv_render_description(lent), "JSON");
    ASSERT_MEMEQ(buf_ptr(&a.text), a.text.len, buf_ptr(&b.text), b.text.len);
    ASSERT_EQ(a.n, b.n);
    cv_render_free(copy);
    cv_render_free(lent);
    /* The flow's body is still there (freeing the render left it alone). */
    ASSERT_BUF_STR(&rs->content, "{\"a\": [1, 2]}");
    cv_lines_clear(&a);
    cv_lines_clear(&b);

    struct buf gz = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(enc_encode("gzip", (const uint8_t *)"[1]", 3, &gz, &e), 0);
    buf_reset(&rs->content);
    buf_append(&rs->content, buf_ptr(&gz), gz.len);
    hdrs_add_cstr(&rs->headers, "Content-Encoding", "gzip");
    lent = cv_render_message_borrowed("auto", NULL, NULL, rs);
    cv_render_all(lent, &b, 0);
    ASSERT_STREQ(cv_render_description(lent), "[decoded gzip] JSON");
    cv_render_free(lent);
    cv_lines_clear(&b);
    buf_clear(&gz);
    http_response_free(rs);
}

TEST(cv_message_content_missing)
{
    struct http_response *rs = http_response_new();
    rs->content_none = 1;
    struct cv_render *r = cv_render_message("auto", NULL, NULL, rs);
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, 0);
    struct buf got = BUF_INIT;
    cvt_text(&got, &l, 1);
    ASSERT_STREQ(cv_render_description(r), "");
    ASSERT_BUF_STR(&got, "[error]content missing\n");
    buf_clear(&got);
    cv_lines_clear(&l);
    cv_render_free(r);
    http_response_free(rs);
}

TEST(cv_bytes_without_content_type)
{
    struct cv_render *r = cv_render_bytes("auto", NULL, (const uint8_t *)"\0\1\2binary", 9);
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, 0);
    ASSERT_STREQ(cv_render_description(r), "Hex");
    ASSERT_EQ(l.n, 1);
    cv_lines_clear(&l);
    cv_render_free(r);
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A big binary body: the first page comes without reading the rest. */
TEST(cv_first_page_of_a_huge_body_at_once)
{
    size_t n = 64u << 20;
    struct buf body = BUF_INIT;
    buf_reserve(&body, n);
    memset(body.data, 0xab, n);
    body.len = n;
    struct cv_meta m = {.content_type = "video/mp4"};
    struct cv_render *r = cv_render_new(CV_VIEW_AUTO, &body, &m);
    struct cv_lines l = CV_LINES_INIT;
    double t = now();
    ASSERT_EQ(cv_render_step(r, &l, 40, 65536), 1);
    t = now() - t;
    ASSERT_EQ(l.n, 40);
    ASSERT_EQ(cv_render_view(r), CV_VIEW_HEX);
    /* Not a timing assertion: a page must not cost a pass over 64 MB,
     * which takes far longer than a second even under ASan. */
    ASSERT(t < 1.0);
    cv_lines_clear(&l);
    cv_render_free(r);
}

/* A JSON body is read a budget at a time: no lines, no description yet. */
TEST(cv_json_is_read_a_budget_at_a_time)
{
    struct buf body = BUF_INIT;
    buf_append(&body, "[", 1);
    for (int i = 0; i < 20000; i++)
        buf_printf(&body, "%s{\"k\": %d}", i ? "," : "", i);
    buf_append(&body, "]", 1);
    size_t len = body.len;
    struct cv_meta m = {.content_type = "application/json"};
    struct cv_render *r = cv_render_new(CV_VIEW_AUTO, &body, &m);
    struct cv_lines l = CV_LINES_INIT;
    int steps = 0;
    while (cv_render_step(r, &l, 10, 4096) && l.n == 0)
        steps++;
    ASSERT(steps >= (int)(len / 4096) - 1);
    ASSERT_STREQ(cv_render_description(r), "JSON");
    ASSERT_EQ(l.n, 10);
    cv_render_all(r, &l, 0);
    ASSERT_EQ(l.n, 20000 * 3 + 2);
    cv_lines_clear(&l);
    cv_render_free(r);
}

/* CSS and JavaScript run their passes a budget at a time; XML/HTML checks
 * the whole body is UTF-8 before its first line, a budget at a time too. */
TEST(cv_text_views_work_a_budget_at_a_time)
{
    const struct {
        enum cv_view view;
        const char *unit;
    } cases[] = {{CV_VIEW_CSS, "a{b:c;d:e}"},
                 {CV_VIEW_JAVASCRIPT, "f(){g();}"},
                 {CV_VIEW_XML_HTML, "<a><b>c</b></a>"}};
    for (size_t c = 0; c < 3; c++) {
        struct buf body = BUF_INIT;
        while (body.len < (256u << 10))
            buf_append_str(&body, cases[c].unit);
        struct cv_render *r = cv_render_new(cases[c].view, &body, NULL);
        struct cv_lines l = CV_LINES_INIT;
        int steps = 0;
        while (cv_render_step(r, &l, 5, 4096) && l.n == 0)
            steps++;
        ASSERT(steps >= 16); /* over 64 KB of work before the first line */
        ASSERT(l.n > 0 && l.n <= 5);
        ASSERT(cv_render_view(r) == cases[c].view);
        cv_lines_clear(&l);
        cv_render_free(r);
    }
    /* A byte that is not UTF-8 at the very end still makes XML fall back. */
    struct buf body = BUF_INIT;
    while (body.len < (256u << 10))
        buf_append_str(&body, "<a><b>c</b></a>");
    buf_append(&body, "\xff", 1);
    struct cv_render *r = cv_render_new(CV_VIEW_XML_HTML, &body, NULL);
    struct cv_lines l = CV_LINES_INIT;
    while (cv_render_step(r, &l, 5, 4096) && l.n == 0)
        ;
    ASSERT_EQ(cv_render_view(r), CV_VIEW_RAW);
    cv_lines_clear(&l);
    cv_render_free(r);
}
