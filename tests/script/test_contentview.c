/*
 * A script's content views (src/script/contentview.c): a View that
 * mitmproxy.contentviews.add() registers renders through our C renders,
 * with 8.1.1's keyword arguments, and our views render for a script.
 */
#include "tscript.h"

#include "../contentviews/cvtest.h"

TEST(script_contentview_added_view_renders_in_c)
{
    tscript_start();
    tscript_run(
        NULL,
        "from mitmproxy import contentviews\n"
        "class Swap(contentviews.View):\n"
        "    name = 'swapcase'\n"
        "    def __call__(self, data, *, content_type=None, flow=None, http_message=None, **kw):\n"
        "        who = http_message.path if http_message is not None else '-'\n"
        "        return 'case-swapped ' + who, contentviews.format_text(data.swapcase())\n"
        "    def render_priority(self, data, *, content_type=None, **kw):\n"
        "        return 1 if content_type == 'text/plain' else 0\n"
        "contentviews.add(Swap())\n");
    int id = cv_view_find("swapcase");
    ASSERT(id >= CV_VIEW__COUNT);

    /* A request's body, through Auto: the view sees the flow and its request. */
    struct flow *f = flow_new_http(NULL, NULL);
    struct http_request *rq = tscript_request("POST", "/p");
    hdrs_add_cstr(&rq->headers, "Content-Type", "text/plain; charset=utf-8");
    buf_append_str(&rq->content, "aB\x01\nc");
    f->request = rq;
    struct cv_render *r = cv_render_message("auto", f, rq, NULL);
    char *got = cvt_styled(r);
    ASSERT_STREQ(got, "[text]Ab.\n[text]C\n");
    ASSERT_STREQ(cv_render_description(r), "case-swapped /p");
    free(got);
    cv_render_free(r);
    flow_unref(f);

    /* Our views for a script; the added one among the names. */
    tscript_run(
        NULL,
        "from mitmproxy import contentviews\n"
        "d, lines = contentviews.get('json')(b'{\"a\": 1}', content_type='application/json')\n"
        "assert d == 'JSON', d\n"
        "lines = list(lines)\n"
        "assert ('json_string', '\"a\"') in lines[1] and ('json_number', '1') in lines[1], lines\n"
        "assert contentviews.get('Raw').render_priority(b'x') == 0.1\n"
        "assert contentviews.get('SWAPCASE').name == 'swapcase'\n"
        "d, lines, err = contentviews.get_content_view(contentviews.get('swapcase'), b'Hi')\n"
        "assert (d, list(lines), err) == ('case-swapped -', [[('text', 'hI')]], None)\n"
        "contentviews.remove(contentviews.get('swapcase'))\n"
        "assert contentviews.get('swapcase') is None\n");
    ASSERT_EQ(cv_view_find("swapcase"), -1);
}
