/*
 * format.c: flows as 8.1.1's flow list shows them, in its table layout
 * (column widths shared as urwid's Columns share them) and its list
 * layout, compared with what mitmproxy 8.1.1 draws for the same flows.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "util/num.h"

static struct store_info
info(void)
{
    struct store_info in = {0};
    in.id = "id";
    in.type = FLOW_HTTP;
    in.has_request = 1;
    in.method = "GET";
    in.scheme = "http";
    in.host = "127.0.0.1";
    in.port = 18431;
    in.path = "/a.json";
    in.http_version = "HTTP/1.1";
    in.reason = "";
    in.response_http_version = "";
    in.content_type = "";
    in.marked = "";
    in.comment = "";
    /* 19:58:38 UTC */
    in.request_timestamp_start = 1796500718.5;
    in.timestamp_created = in.request_timestamp_start;
    return in;
}

static void
utc(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
}

TEST(console_format_sizes_and_durations)
{
    char b[16];
    num_pretty_size(b, 34);
    ASSERT_STREQ(b, "34b");
    num_pretty_size(b, 1024);
    ASSERT_STREQ(b, "1.0k");
    num_pretty_size(b, 102400);
    ASSERT_STREQ(b, "100k");
    num_pretty_size(b, 5u << 20);
    ASSERT_STREQ(b, "5.0m");
    console__pretty_duration(0.019, b, sizeof(b));
    ASSERT_STREQ(b, "19ms");
    console__pretty_duration(3.094, b, sizeof(b));
    ASSERT_STREQ(b, "3.09s");
    console__pretty_duration(12.34, b, sizeof(b));
    ASSERT_STREQ(b, "12.3s");
    console__pretty_duration(150, b, sizeof(b));
    ASSERT_STREQ(b, "150s");
    size_t n;
    ASSERT_EQ(console__content_type_style("application/json; charset=utf-8", &n), ST_CONTENT_DATA);
    ASSERT_EQ(n, strlen("application/json"));
    ASSERT_EQ(console__content_type_style("text/html", &n), ST_CONTENT_TEXT);
    ASSERT_EQ(console__content_type_style("application/javascript", &n), ST_CONTENT_SCRIPT);
    ASSERT_EQ(console__content_type_style("image/png", &n), ST_CONTENT_MEDIA);
    ASSERT_EQ(console__content_type_style("application/octet-stream", &n), ST_CONTENT_RAW);
    /* Small and fast is the last gradient step, big and slow the first. */
    ASSERT_EQ(console__size_style(1), ST_GRADIENT_3);
    ASSERT_EQ(console__size_style(34), ST_GRADIENT_2);
    ASSERT_EQ(console__size_style(1ull << 30), ST_GRADIENT_0);
    ASSERT_EQ(console__duration_style(0.001), ST_GRADIENT_3);
    ASSERT_EQ(console__duration_style(60), ST_GRADIENT_0);
}

TEST(console_format_table_as_8_1_1)
{
    utc();
    struct screen s;
    console__screen_init(&s, 3, 200);
    struct store_info in = info();
    in.has_response = 1;
    in.status_code = 200;
    in.reason = "OK";
    in.content_type = "application/json";
    in.response_size = 34;
    in.response_timestamp_end = in.request_timestamp_start + 0.019;
    console__format_table(&s.lines[0], &in, NULL, 1);
    /* mitmproxy 8.1.1 in a 200-column tmux, the same flow. */
    const char *want = ">>19:58:38 HTTP  GET                     127.0.0.1 /a.json"
                       "                                                                  "
                       "                                       200  application/json   34b  19ms"
                       "    ";
    ASSERT_STREQ(console__line_text(&s.lines[0]), want);
    ASSERT_EQ(s.lines[0].used, 200);

    /* Intercepted before its response: the time, scheme and method in orange. */
    in = info();
    in.intercepted = 1;
    in.path = "/held";
    console__format_table(&s.lines[1], &in, NULL, 0);
    ASSERT(strncmp(console__line_text(&s.lines[1]), "  19:58:38 HTTP  GET ", 21) == 0);
    int intercept_spans = 0;
    for (size_t i = 0; i < s.lines[1].nspans; i++)
        intercept_spans += s.lines[1].spans[i].style == ST_INTERCEPT;
    ASSERT(intercept_spans >= 1);
    ASSERT_EQ(s.lines[1].spans[1].style, ST_INTERCEPT);

    /* An error: "err" and the message where the content type goes, cut at
     * its start to the column's 17 as 8.1.1 cuts it; a mark. */
    in = info();
    in.error = 1;
    in.marked = ":default:";
    console__format_table(&s.lines[2], &in, "Connection refused", 0);
    const char *t = console__line_text(&s.lines[2]);
    ASSERT(strstr(t, " err \xe2\x80\xa6nnection refused ") != NULL);
    ASSERT(strstr(t, "\xe2\x97\x8f") != NULL); /* the default marker, ● */
    console__screen_clear(&s);
}

TEST(console_format_list_as_8_1_1)
{
    utc();
    struct screen s;
    console__screen_init(&s, 4, 90);
    struct store_info in = info();
    in.path = "/held";
    in.has_response = 1;
    in.status_code = 200;
    in.reason = "OK";
    in.content_type = "text/html";
    in.response_size = 34;
    in.response_timestamp_end = in.request_timestamp_start + 0.96;
    in.marked = ":default:";
    console__format_list(&s.lines[0], &in, NULL, 1, 0);
    /* 8.1.1 at 90 columns. */
    ASSERT_STREQ(
        console__line_text(&s.lines[0]),
        ">> GET http://127.0.0.1:18431/held                                                      "
        "\xe2\x97\x8f ");
    ASSERT_STREQ(console__line_text(&s.lines[1]), "       \xe2\x86\x90 200 text/html 34b 960ms");
    /* The flow view's header: the date, and the reason. */
    console__format_list(&s.lines[2], &in, NULL, 1, 1);
    ASSERT(strncmp(console__line_text(&s.lines[2]),
                   "2026-12-05 19:58:38 GET http://127.0.0.1:18431/held", 51) == 0);
    ASSERT_STREQ(console__line_text(&s.lines[3]),
                 "                        \xe2\x86\x90 200 OK text/html 34b 960ms");
    ASSERT(console__table_layout("default", 100));
    ASSERT(!console__table_layout("default", 99));
    ASSERT(console__table_layout("table", 40));
    ASSERT(!console__table_layout("list", 200));
    console__screen_clear(&s);
}
