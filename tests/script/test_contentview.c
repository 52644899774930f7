/*
 * A script's content views (src/script/contentview.c): a View that
 * mitmproxy.contentviews.add() registers renders through our C renders,
 * with 8.1.1's keyword arguments, and our views render for a script.
 */
#include "script/internal.h"

#include <limits.h>
#include <stdlib.h>

#include "contentviews/cv.h"
#include "flow/flow.h"
#include "http/message.h"
#include "script/script.h"
#include "../lib/test.h"

static void
start(void)
{
    static char pydir[PATH_MAX];
    ASSERT(realpath("python", pydir) != NULL);
    struct err e = {0};
    if (script_py_start(pydir, &e) < 0)
        test_fail(__FILE__, __LINE__, "%s", e.msg);
}

static void
run(const char *code)
{
    PyObject *g = PyDict_New();
    PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins());
    PyObject *r = PyRun_String(code, Py_file_input, g, g);
    if (r == NULL) {
        PyErr_Print();
        test_fail(__FILE__, __LINE__, "Python raised in: %s", code);
    }
    Py_DECREF(r);
    Py_DECREF(g);
}

static char *
render_text(struct cv_render *r)
{
    struct cv_lines l = CV_LINES_INIT;
    cv_render_all(r, &l, 0);
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < l.n; i++) {
        struct cv_line ln;
        cv_lines_get(&l, i, &ln);
        size_t off = 0;
        for (size_t k = 0; k < ln.ntok; k++) {
            buf_printf(&b, "[%s]", cv_style_name(ln.tok[k].style));
            buf_append(&b, ln.text + off, ln.tok[k].len);
            off += ln.tok[k].len;
        }
        buf_append(&b, "\n", 1);
    }
    cv_lines_clear(&l);
    char *s = buf_strdup(&b);
    buf_clear(&b);
    return s;
}

TEST(script_contentview_added_view_renders_in_c)
{
    start();
    run("from mitmproxy import contentviews\n"
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
    struct http_request *rq = http_request_new();
    http_set_str(&rq->host, "example.com");
    http_set_str(&rq->method, "POST");
    http_set_str(&rq->scheme, "http");
    http_set_str(&rq->path, "/p");
    http_set_str(&rq->http_version, "HTTP/1.1");
    hdrs_add_cstr(&rq->headers, "Content-Type", "text/plain; charset=utf-8");
    buf_append_str(&rq->content, "aB\x01\nc");
    f->request = rq;
    struct cv_render *r = cv_render_message("auto", f, rq, NULL);
    char *got = render_text(r);
    ASSERT_STREQ(got, "[text]Ab.\n[text]C\n");
    ASSERT_STREQ(cv_render_description(r), "case-swapped /p");
    free(got);
    cv_render_free(r);
    flow_unref(f);

    /* Our views for a script; the added one among the names. */
    run("from mitmproxy import contentviews\n"
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
