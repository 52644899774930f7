/*
 * The export formats. curl, httpie, raw, raw_request and raw_response are
 * compared byte for byte with what mitmproxy 8.1.1's export functions made
 * of every flow of the fixture file all.mitm (tests/export/expected/,
 * written by gen_expected.py); fetch and python_requests with texts of
 * ours, and run by e2e/test_export.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "export/export.h"
#include "export/internal.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "expected.h"

TEST(export_formats_sorted_and_found)
{
    ASSERT_EQ(EXPORT__COUNT, 7);
    for (int i = 1; i < EXPORT__COUNT; i++)
        ASSERT(strcmp(export_format_name(i - 1), export_format_name(i)) < 0);
    ASSERT_EQ(export_format_find("curl"), EXPORT_CURL);
    ASSERT_EQ(export_format_find("raw_response"), EXPORT_RAW_RESPONSE);
    ASSERT_EQ(export_format_find("python_requests"), EXPORT_PYTHON_REQUESTS);
    ASSERT_EQ(export_format_find("nope"), -1);
}

/* Every flow of all.mitm in format fmt against the expected file. */
static void
check_format(enum export_format fmt, const struct export_opts *o, const char *file)
{
    struct expected *x = expected_load(file);
    struct fixture_flows ff = fixture_flows_load();
    ASSERT_EQ(x->n, ff.n);
    int bad = 0;
    for (size_t i = 0; i < ff.n; i++) {
        struct buf out = BUF_INIT;
        struct err e = {0};
        int rc = export_flow(fmt, ff.v[i], o, &out, &e);
        bad += expected_check(&x->v[i], ff.v[i]->id, rc, &out, &e);
        buf_clear(&out);
    }
    fixture_flows_free(&ff);
    expected_free(x);
    ASSERT_EQ(bad, 0);
}

TEST(export_curl_as_mitmproxy) { check_format(EXPORT_CURL, NULL, "curl.txt"); }

TEST(export_curl_preserve_ip_as_mitmproxy)
{
    struct export_opts o = {.preserve_original_ip = 1};
    check_format(EXPORT_CURL, &o, "curl-preserve-ip.txt");
}

TEST(export_httpie_as_mitmproxy) { check_format(EXPORT_HTTPIE, NULL, "httpie.txt"); }

TEST(export_raw_as_mitmproxy) { check_format(EXPORT_RAW, NULL, "raw.txt"); }

TEST(export_raw_request_as_mitmproxy) { check_format(EXPORT_RAW_REQUEST, NULL, "raw_request.txt"); }

TEST(export_raw_response_as_mitmproxy)
{
    check_format(EXPORT_RAW_RESPONSE, NULL, "raw_response.txt");
}

/* One flow of all.mitm in format fmt. */
static char *
export_one(enum export_format fmt, size_t index)
{
    struct fixture_flows ff = fixture_flows_load();
    ASSERT(index < ff.n);
    struct buf out = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(export_flow(fmt, ff.v[index], NULL, &out, &e), 0);
    fixture_flows_free(&ff);
    char *s = buf_strdup(&out);
    buf_clear(&out);
    return s;
}

TEST(export_fetch_text_and_bytes)
{
    /* post-json.mitm: a UTF-8 body goes as a string. */
    char *s = export_one(EXPORT_FETCH, 3);
    ASSERT_STREQ(
        s, "fetch(\"http://127.0.0.1:18081/api/items?dry_run=1\", {\n"
           "  \"method\": \"POST\",\n"
           "  \"headers\": {\n"
           "    \"Host\": \"127.0.0.1:18081\",\n"
           "    \"User-Agent\": \"curl/7.88.1\",\n"
           "    \"Proxy-Connection\": \"Keep-Alive\",\n"
           "    \"Content-Type\": \"application/json\",\n"
           "    \"Accept\": \"application/json\"\n"
           "  },\n"
           "  \"body\": \"{\\\"user\\\":\\\"bob\\\",\\\"roles\\\":[\\\"admin\\\",\\\"dev\\\"],"
           "\\\"active\\\":true,\\\"score\\\":9.5,\\\"note\\\":\\\"caf\\u00e9\\\"}\"\n"
           "});\n");
    free(s);
    /* post-multipart.mitm: a PNG inside, so the body goes as bytes. */
    s = export_one(EXPORT_FETCH, 2);
    ASSERT(strstr(s, "\"body\": new Uint8Array([45, 45, 45,") != NULL);
    ASSERT(strstr(s, "\n  \"headers\": {\n    \"Host\": \"127.0.0.1:18081\",") != NULL);
    ASSERT(strstr(s, "])\n});\n") != NULL);
    free(s);
    /* head.mitm: no body, no "body". */
    s = export_one(EXPORT_FETCH, 18);
    ASSERT(strstr(s, "\"body\"") == NULL);
    ASSERT(strstr(s, "\"method\": \"GET\",") != NULL);
    free(s);
}

TEST(export_python_requests_str_and_bytes)
{
    char *s = export_one(EXPORT_PYTHON_REQUESTS, 1);
    ASSERT_STREQ(s, "import requests\n\n"
                    "url = 'http://127.0.0.1:18080/echo'\n"
                    "headers = {\n"
                    "    'Host': '127.0.0.1:18080',\n"
                    "    'User-Agent': 'curl/7.88.1',\n"
                    "    'Accept': '*/*',\n"
                    "    'Proxy-Connection': 'Keep-Alive',\n"
                    "    'Content-Type': 'application/x-www-form-urlencoded',\n"
                    "}\n"
                    "data = 'name=alice&age=30&tags=a&tags=b&note=hello+world%21'\n\n"
                    "response = requests.request('POST', url, headers=headers, data=data)\n"
                    "print(response.text)\n");
    free(s);
    /* Not ASCII: a bytes literal, sent as it is. */
    s = export_one(EXPORT_PYTHON_REQUESTS, 3);
    ASSERT(strstr(s, "data = b'{\"user\":\"bob\",\"roles\":[\"admin\",\"dev\"],\"active\":true,"
                     "\"score\":9.5,\"note\":\"caf\\xc3\\xa9\"}'\n") != NULL);
    free(s);
}

/* Repeated headers merge into the first (Cookie with "; "); pseudo-headers,
 * Content-Length and a Host equal to the host go. */
TEST(export_fetch_and_requests_merge_headers)
{
    struct flow *f = flow_new_http(NULL, NULL);
    struct http_request *r = f->request = http_request_new();
    http_set_str(&r->method, "put");
    http_set_str(&r->scheme, "https");
    http_set_str(&r->host, "example.com");
    r->port = 443;
    http_set_str(&r->path, "/x");
    http_set_str(&r->http_version, "HTTP/1.1");
    hdrs_add_cstr(&r->headers, ":authority", "example.com");
    hdrs_add_cstr(&r->headers, "Host", "example.com");
    hdrs_add_cstr(&r->headers, "Cookie", "a=1");
    hdrs_add_cstr(&r->headers, "X-A", "1");
    hdrs_add_cstr(&r->headers, "cookie", "b=2");
    hdrs_add_cstr(&r->headers, "x-a", "2");
    hdrs_add_cstr(&r->headers, "X-Latin", "caf\xe9");
    hdrs_add_cstr(&r->headers, "Content-Length", "3");
    buf_set(&r->content, "\x01\xff\x00", 3);
    struct buf out = BUF_INIT;
    struct err e = {0};
    ASSERT_EQ(export_flow(EXPORT_FETCH, f, NULL, &out, &e), 0);
    ASSERT_BUF_STR(&out, "fetch(\"https://example.com/x\", {\n"
                         "  \"method\": \"PUT\",\n"
                         "  \"headers\": {\n"
                         "    \"Cookie\": \"a=1; b=2\",\n"
                         "    \"X-A\": \"1, 2\",\n"
                         "    \"X-Latin\": \"caf\\u00e9\"\n"
                         "  },\n"
                         "  \"body\": new Uint8Array([1, 255, 0])\n"
                         "});\n");
    buf_reset(&out);
    ASSERT_EQ(export_flow(EXPORT_PYTHON_REQUESTS, f, NULL, &out, &e), 0);
    ASSERT_BUF_STR(&out, "import requests\n\n"
                         "url = 'https://example.com/x'\n"
                         "headers = {\n"
                         "    'Cookie': 'a=1; b=2',\n"
                         "    'X-A': '1, 2',\n"
                         "    'X-Latin': b'caf\\xe9',\n"
                         "}\n"
                         "data = b'\\x01\\xff\\x00'\n\n"
                         "response = requests.request('PUT', url, headers=headers, data=data)\n"
                         "print(response.text)\n");
    buf_clear(&out);
    flow_unref(f);
}

TEST(export_errors_for_other_flows)
{
    struct flow *f = flow_new_tcp(NULL, NULL);
    struct buf out = BUF_INIT;
    struct err e = {0};
    for (int fmt = 0; fmt < EXPORT__COUNT; fmt++) {
        ASSERT_EQ(export_flow(fmt, f, NULL, &out, &e), MP_ERR_INVAL);
        ASSERT_EQ(out.len, 0);
    }
    ASSERT_STREQ(e.msg, "Can't export flow with no response.");
    flow_unref(f);
}

TEST(export_as_text_escapes_what_is_not_utf8)
{
    struct buf out = BUF_INIT;
    export_as_text("a\xc3\xa9\xff\x00z\xe2\x82", 8, &out);
    ASSERT_MEMEQ(buf_ptr(&out), out.len, "a\xc3\xa9\\xff\0z\\xe2\\x82", 17);
    buf_clear(&out);
}

TEST(export_shlex_quote_as_python)
{
    const char *in[] = {"", "abc", "a b", "it's", "x=1,2:3/4@5%6+7.8-9_", "caf\xc3\xa9", "$HOME"};
    const char *want[] = {
        "''", "abc", "'a b'", "'it'\"'\"'s'", "x=1,2:3/4@5%6+7.8-9_", "'caf\xc3\xa9'", "'$HOME'"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        struct buf out = BUF_INIT;
        exp__shlex_quote(&out, in[i], strlen(in[i]));
        ASSERT_BUF_STR(&out, want[i]);
        buf_clear(&out);
    }
}

TEST(export_charsets_as_python)
{
    struct buf out = BUF_INIT;
    ASSERT_EQ(exp__decode_charset("latin-1", (const uint8_t *)"caf\xe9", 4, &out), 0);
    ASSERT_BUF_STR(&out, "caf\xc3\xa9");
    buf_reset(&out);
    ASSERT_EQ(exp__decode_charset("UTF-8", (const uint8_t *)"caf\xe9", 4, &out), MP_ERR_CORRUPT);
    ASSERT_EQ(exp__decode_charset("ascii", (const uint8_t *)"caf\xe9", 4, &out), MP_ERR_CORRUPT);
    ASSERT_EQ(exp__decode_charset("utf-8-sig", (const uint8_t *)"\xef\xbb\xbfok", 5, &out), 0);
    ASSERT_BUF_STR(&out, "ok");
    buf_reset(&out);
    /* Through iconv: Shift JIS, and a name nobody knows. */
    ASSERT_EQ(exp__decode_charset("shift_jis", (const uint8_t *)"\x82\xa0", 2, &out), 0);
    ASSERT_BUF_STR(&out, "\xe3\x81\x82");
    ASSERT_EQ(exp__decode_charset("no-such-charset", (const uint8_t *)"a", 1, &out),
              MP_ERR_NOTFOUND);
    buf_clear(&out);
    /* The guess: charset parameter, JSON, HTML's meta, CSS's @charset. */
    struct hdrs h = HDRS_INIT;
    struct buf tmp = BUF_INIT;
    hdrs_add_cstr(&h, "Content-Type", "text/html");
    const uint8_t *html = (const uint8_t *)"<html><meta http-equiv=x charset=\"koi8-r\">";
    ASSERT_STREQ(exp__guess_charset(&h, html, strlen((const char *)html), EXP_CHARSET_811, &tmp),
                 "koi8-r");
    ASSERT_STREQ(exp__guess_charset(&h, (const uint8_t *)"<p>", 3, EXP_CHARSET_811, &tmp),
                 "latin-1");
    ASSERT_STREQ(exp__guess_charset(&h, (const uint8_t *)"<p>", 3, EXP_CHARSET_CURRENT, &tmp),
                 "utf8");
    hdrs_set_cstr(&h, "Content-Type", "text/plain; charset=GBK");
    ASSERT_STREQ(exp__guess_charset(&h, NULL, 0, EXP_CHARSET_811, &tmp), "gb18030");
    hdrs_set_cstr(&h, "Content-Type", "application/json");
    ASSERT_STREQ(exp__guess_charset(&h, NULL, 0, EXP_CHARSET_811, &tmp), "utf8");
    hdrs_set_cstr(&h, "Content-Type", "text/css");
    ASSERT_STREQ(
        exp__guess_charset(&h, (const uint8_t *)"@charset \"x\";", 13, EXP_CHARSET_811, &tmp), "x");
    hdrs_clear(&h);
    buf_clear(&tmp);
}
