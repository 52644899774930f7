/*
 * Cut specifications against what mitmproxy 8.1.1's cut.extract() made of
 * the fixture flows (expected/cut.txt, gen_expected.py: each cell as "s "
 * or "b " for text or bytes, then the cell), and the CSV the cut commands
 * write.
 */
#include <string.h>

#include "../lib/test.h"
#include "expected.h"
#include "export/cut.h"
#include "flow/flow.h"

TEST(cut_extract_as_mitmproxy)
{
    struct expected *x = expected_load("cut.txt");
    struct fixture_flows ff = fixture_flows_load();
    ASSERT(x->n > 500);
    int bad = 0;
    for (size_t i = 0; i < x->n; i++) {
        const struct expected_rec *rec = &x->v[i];
        ASSERT(rec->index < ff.n && rec->spec != NULL);
        struct buf out = BUF_INIT;
        struct err e = {0};
        enum cut_kind kind;
        struct buf cell = BUF_INIT;
        int rc = cut_extract(rec->spec, ff.v[rec->index], &cell, &kind, &e);
        if (rc == 0) {
            buf_append_str(&out, kind == CUT_BYTES ? "b " : "s ");
            buf_append(&out, buf_ptr(&cell), cell.len);
        }
        if (expected_check(rec, ff.v[rec->index]->id, rc, &out, &e)) {
            fprintf(stderr, "  spec %s\n", rec->spec);
            bad++;
        }
        buf_clear(&cell);
        buf_clear(&out);
    }
    fixture_flows_free(&ff);
    expected_free(x);
    ASSERT_EQ(bad, 0);
}

/* extract_str: bytes as their repr, text as it is. */
TEST(cut_extract_str_reprs_bytes)
{
    struct flow *f = flow_new_http(NULL, NULL);
    f->request = http_request_new();
    http_set_str(&f->request->method, "POST");
    buf_set(&f->request->content, "a'\x00\xff", 4);
    struct buf out = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(cut_extract_str("request.content", f, &out, &e), 0);
    ASSERT_BUF_STR(&out, "b\"a'\\x00\\xff\"");
    buf_reset(&out);
    ASSERT_EQ(cut_extract_str("request.method", f, &out, &e), 0);
    ASSERT_BUF_STR(&out, "POST");
    buf_reset(&out);
    ASSERT_EQ(cut_extract_str("request._x", f, &out, &e), MP_ERR_INVAL);
    ASSERT_STREQ(e.msg, "Can't access internal attribute _x");
    ASSERT_EQ(out.len, 0);
    buf_clear(&out);
    flow_unref(f);
}

/* csv.writer's excel dialect. */
TEST(cut_csv_rows_as_python)
{
    struct buf cells[4] = {BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT};
    buf_set(&cells[0], "plain", 5);
    buf_set(&cells[1], "a,b", 3);
    buf_set(&cells[2], "say \"hi\"", 8);
    buf_set(&cells[3], "l1\nl2", 5);
    struct buf out = BUF_INIT;
    cut_csv_row(&out, cells, 4);
    ASSERT_BUF_STR(&out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"l1\nl2\"\r\n");
    buf_reset(&out);
    /* One empty cell is "" (an empty line would read as no row); among
     * others it is empty. */
    buf_reset(&cells[0]);
    cut_csv_row(&out, cells, 1);
    cut_csv_row(&out, cells, 2);
    ASSERT_BUF_STR(&out, "\"\"\r\n,\"a,b\"\r\n");
    buf_clear(&out);
    for (int i = 0; i < 4; i++)
        buf_clear(&cells[i]);
}

/* Flows built by hand, with nothing set: every spec gives a value or an
 * error, never a crash. */
TEST(cut_extract_empty_flows)
{
    static const char *const specs[] = {
        "id",
        "type",
        "error.msg",
        "request",
        "request.url",
        "request.pretty_url",
        "request.host_header",
        "request.text",
        "request.headers",
        "request.first_line_format",
        "request.header[Host]",
        "response",
        "response.text",
        "response.header[x]",
        "client_conn",
        "client_conn.peername.host",
        "server_conn",
        "server_conn.sockname.port",
        "client_conn.state",
        "server_conn.alpn",
        "",
        ".",
        "header[",
    };
    struct flow *v[4];
    v[0] = flow_new_http(NULL, NULL);
    v[1] = flow_new_http(connection_new(CONN_CLIENT), connection_new(CONN_SERVER));
    connection_unref(v[1]->client_conn);
    connection_unref(v[1]->server_conn);
    v[1]->request = http_request_new();
    v[1]->response = http_response_new();
    v[2] = flow_new_tcp(NULL, NULL);
    v[3] = flow_new(FLOW_DNS);
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < sizeof(specs) / sizeof(specs[0]); j++) {
            struct buf out = BUF_INIT;
            struct err e = {0};
            int rc = cut_extract(specs[j], v[i], &out, NULL, &e);
            ASSERT(rc == 0 || rc == MP_ERR_INVAL);
            buf_clear(&out);
        }
        flow_unref(v[i]);
    }
}
