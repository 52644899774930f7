/*
 * The Query view: a request's query string as pairs (as 8.1.1 shows a GET
 * with a query), chosen by Auto only when the request has no body.
 */
#include "cvtest.h"
#include "http/message.h"

static void
expect_query(const char *path, const char *body, const char *desc, const char *want)
{
    struct http_request *rq = http_request_new();
    http_set_str(&rq->path, path);
    buf_append_str(&rq->content, body);
    struct cv_render *r = cv_render_message("auto", NULL, rq, NULL);
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, 0);
    struct buf got = BUF_INIT;
    cvt_text(&got, &l, 1);
    ASSERT_STREQ(cv_render_description(r), desc);
    ASSERT_BUF_STR(&got, want);
    buf_clear(&got);
    cv_lines_clear(&l);
    cv_render_free(r);
    http_request_free(rq);
}

TEST(cv_query_pairs_of_an_empty_request)
{
    expect_query("/search?q=mitm+proxy&lang=en&empty=&flag&q=%2Fslash#frag", "", "Query",
                 "[header]q:     [text]mitm proxy\n"
                 "[header]lang:  [text]en\n"
                 "[header]empty: [text]\n"
                 "[header]flag:  [text]\n"
                 "[header]q:     [text]/slash\n");
}

TEST(cv_query_keys_padded_by_characters_up_to_thirty)
{
    expect_query("/?caf%C3%A9=%E2%9C%93&bad=%ff%fe&long_key_name_over_thirty_characters=1", "",
                 "Query",
                 "[header]caf\xc3\xa9:                           [text]\xe2\x9c\x93\n"
                 "[header]bad:                            [text]\xff\xfe\n"
                 "[header]long_key_name_over_thirty_characters:[text]1\n");
}

TEST(cv_query_not_chosen_with_a_body_or_without_pairs)
{
    expect_query("/?a=1", "body", "Raw", "[text]body\n");
    expect_query("/only?&", "", "No content", "");
    expect_query("/frag#?a=1", "", "No content", "");
}

TEST(cv_query_of_a_response_shows_nothing)
{
    struct http_response *rs = http_response_new();
    struct cv_render *r = cv_render_message("query", NULL, NULL, rs);
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, 0);
    ASSERT_STREQ(cv_render_description(r), "Query");
    ASSERT_EQ(l.n, 0);
    cv_lines_clear(&l);
    cv_render_free(r);
    http_response_free(rs);
}
