/*
 * format.c: flows as 8.1.1's flow list shows them, in its table layout
 * (column widths shared as urwid's Columns share them) and its list
 * layout, compared with what mitmproxy 8.1.1 draws for the same flows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/test.h"
#include "../store/tstore.h"
#include "console/internal.h"
#include "dns/dns.h"
#include "flow/flowfile.h"
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
    /* 8.1.1's steps: int(99 - 100 * min(log2(1 + n) / 20, 0.99)) for n
     * bytes, log2(1 + ms) / 12 for durations; small and fast come last,
     * big and slow first. 1 byte is step 94, 34 bytes 73, 1 ms 90. */
    ASSERT_EQ(console__size_style(0), ST_GRADIENT_96);
    ASSERT_EQ(console__size_style(1), ST_GRADIENT_90);
    ASSERT_EQ(console__size_style(34), ST_GRADIENT_73);
    ASSERT_EQ(console__size_style(1023), ST_GRADIENT_46);
    ASSERT_EQ(console__size_style(1ull << 30), ST_GRADIENT_00);
    ASSERT_EQ(console__duration_style(0), ST_GRADIENT_96);
    ASSERT_EQ(console__duration_style(0.001), ST_GRADIENT_90);
    ASSERT_EQ(console__duration_style(0.1), ST_GRADIENT_40);
    ASSERT_EQ(console__duration_style(60), ST_GRADIENT_00);
    /* Every step has the style of the run it falls in. */
    ASSERT_EQ(console__gradient_style(0), ST_GRADIENT_00);
    ASSERT_EQ(console__gradient_style(4), ST_GRADIENT_00);
    ASSERT_EQ(console__gradient_style(16), ST_GRADIENT_16);
    ASSERT_EQ(console__gradient_style(17), ST_GRADIENT_17);
    ASSERT_EQ(console__gradient_style(95), ST_GRADIENT_90);
    ASSERT_EQ(console__gradient_style(99), ST_GRADIENT_96);
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

/* The line's text without the blanks that tmux's capture drops at its end. */
static const char *
trimmed(struct sline *l)
{
    static char t[1024];
    snprintf(t, sizeof(t), "%s", console__line_text(l));
    size_t n = strlen(t);
    while (n > 0 && t[n - 1] == ' ')
        t[--n] = '\0';
    return t;
}

/* The TCP flow of the fixture tcp.mitm as the store's row gives it. */
/* A host and a path longer than the styles kept on the stack: the row is
 * cut as a short one is, in the same colours (ASan checks the heap copy). */
TEST(console_format_table_long_host_and_path)
{
    utc();
    struct screen s;
    console__screen_init(&s, 1, 200);
    char host[1201], path[4001];
    memset(host, 'h', sizeof(host) - 1);
    memcpy(host + sizeof(host) - 13, ".example.com", 13);
    path[0] = '/';
    memset(path + 1, 'p', sizeof(path) - 2);
    path[sizeof(path) - 1] = '\0';
    path[2000] = '?';
    struct store_info in = info();
    in.host = host;
    in.path = path;
    console__format_table(&s.lines[0], &in, NULL, 0);
    const char *t = console__line_text(&s.lines[0]);
    ASSERT_EQ(s.lines[0].used, 200);
    /* The host right-aligned and cut at its start, the path cut at its end. */
    ASSERT(strstr(t, "\xe2\x80\xa6hhh") != NULL);
    ASSERT(strstr(t, "hh.example.com /pppp") != NULL);
    ASSERT(strstr(t, "ppp\xe2\x80\xa6") != NULL);
    /* colorize_host: example in the extension colour, com the domain's. */
    int domain = 0, ext = 0, filename = 0;
    for (size_t i = 0; i < s.lines[0].nspans; i++) {
        domain += s.lines[0].spans[i].style == ST_URL_DOMAIN;
        ext += s.lines[0].spans[i].style == ST_URL_EXTENSION;
        filename += s.lines[0].spans[i].style == ST_URL_FILENAME;
    }
    ASSERT(domain == 1 && ext == 1 && filename == 1);
    /* A host that starts inside a code point (bytes off the network): its
     * stray bytes are plain text, every byte has a style (MSan/valgrind
     * would see one read unset before). */
    in.host = "\x80\x80" "example.com";
    in.path = "/";
    console__format_table(&s.lines[0], &in, NULL, 0);
    ASSERT_EQ(s.lines[0].used, 200);
    console__screen_clear(&s);
}

static struct store_info
tcp_info(void)
{
    struct store_info in = info();
    in.type = FLOW_TCP;
    in.has_request = 0;
    in.method = "TCP";
    in.scheme = "";
    in.path = "";
    in.http_version = "";
    in.port = 18083;
    in.client_host = "127.0.0.1";
    in.client_port = 44744;
    in.client_timestamp_start = 1795465268.9587827;
    in.last_message_timestamp = 1795465269.3659272;
    in.timestamp_created = 1795465268.9642103;
    in.size = 69;
    return in;
}

TEST(console_format_tcp_rows_as_8_1_1)
{
    utc();
    struct screen s;
    console__screen_init(&s, 4, 120);
    struct store_info in = tcp_info();
    /* 8.1.1 on tcp.mitm, 120 columns: the client's address, size and duration. */
    console__format_table(&s.lines[0], &in, NULL, 1);
    ASSERT_STREQ(trimmed(&s.lines[0]),
                 ">>20:21:08 TCP   127.0.0.1:44744 <-> 127.0.0.1:18083                     "
                 "                                  69b 407ms");
    ASSERT_EQ(s.lines[0].used, 120);
    console__screen_clear(&s);

    /* 80 columns, the list layout: one line, no time. */
    console__screen_init(&s, 2, 80);
    console__format_list(&s.lines[0], &in, NULL, 0, 0);
    ASSERT_STREQ(trimmed(&s.lines[0]),
                 "   TCP 127.0.0.1:44744 <-> 127.0.0.1:18083                         69b 407ms");
    ASSERT_EQ(s.lines[1].used, 0);
    console__screen_clear(&s);

    /* No client address, no message, an error: format_tcp_flow's columns,
     * address and error 28 each (80 - 18 fixed - 6 dividers, halved). */
    console__screen_init(&s, 1, 80);
    in.client_host = "";
    in.client_timestamp_start = 0;
    in.last_message_timestamp = 0;
    in.size = 0;
    in.host = "::";
    in.port = 80;
    console__format_list(&s.lines[0], &in, "refused", 0, 0);
    ASSERT_STREQ(trimmed(&s.lines[0]), "   TCP <no address> <-> *:80        refused");
    console__screen_clear(&s);
}

/* The flows of dns.mitm in a store, their messages read (as a live flow's). */
static struct store *
dns_store(struct flow ***flows, size_t *n)
{
    struct store *s = tstore_new(NULL);
    *n = tflows_load("dns.mitm", flows);
    ASSERT_EQ(*n, 3);
    for (size_t i = 0; i < *n; i++) {
        struct err e = {0};
        if ((*flows)[i]->dns_request == NULL)
            ASSERT_EQ(ffile_load_dns((*flows)[i]->extra, (*flows)[i], &e), 0);
        ASSERT_EQ(store_add(s, (*flows)[i]), 1);
    }
    return s;
}

/* Row i of the view drawn in the table (mode 0), the list (1) or above
 * the flow view (2), focused when i is 0. */
static const char *
dns_row(struct store *s, size_t i, int cols, int mode, const char *errmsg)
{
    static char t[1024];
    struct screen sc;
    struct store_info in;
    ASSERT_EQ(store_view_info(s, i, &in), 0);
    console__screen_init(&sc, 2, cols);
    if (mode == 0)
        console__format_table(&sc.lines[0], &in, errmsg, i == 0);
    else
        console__format_list(&sc.lines[0], &in, errmsg, i == 0, mode == 2);
    ASSERT_EQ(sc.lines[0].used, cols);
    ASSERT_EQ(sc.lines[1].used, 0);
    snprintf(t, sizeof(t), "%s", trimmed(&sc.lines[0]));
    console__screen_clear(&sc);
    return t;
}

TEST(console_format_dns_rows_as_8_1_1)
{
    utc();
    struct flow **flows;
    size_t n;
    struct store *s = dns_store(&flows, &n);
    /* 8.1.1 on dns.mitm at 120 columns: the op code, the name (right
     * aligned), its type, the answers, the response code, the duration. */
    ASSERT_STREQ(dns_row(s, 0, 120, 0, NULL),
                 ">>20:21:14 DNS QUERY              example.test (A) = 127.0.0.1              "
                 "                         NOERROR     3ms");
    ASSERT_STREQ(dns_row(s, 1, 120, 0, NULL),
                 "  20:21:14 DNS QUERY         www.example.test (AAAA) = ::1                  "
                 "                         NOERROR     3ms");
    ASSERT_STREQ(dns_row(s, 2, 120, 0, NULL),
                 "  20:21:14 DNS QUERY           missing.invalid (A) = ?                      "
                 "                         NXDOMAIN    2ms");
    /* At 80, the list layout: one line, no time, the op code as it is, a
     * name too long cut at its start. */
    ASSERT_STREQ(dns_row(s, 0, 80, 1, NULL),
                 ">> DNS QUERY    example.test (A) = 127.0.0.1                 NOERROR     3ms");
    ASSERT_STREQ(dns_row(s, 1, 80, 1, NULL),
                 "   DNS QUERY \xe2\x80\xa6w.example.test (AAAA) = ::1                    NOERROR"
                 "     3ms");
    ASSERT_STREQ(dns_row(s, 2, 80, 1, NULL),
                 "   DNS QUERY missing.invalid (A) = ?                         NXDOMAIN    2ms");
    /* Above the flow view: the time, the op code as it is. */
    ASSERT_STREQ(dns_row(s, 0, 120, 2, NULL),
                 ">>20:21:14 DNS QUERY             example.test (A) = 127.0.0.1               "
                 "                         NOERROR     3ms");

    /* No answer yet ("..."), an error instead of the answers, an op code
     * and a response code without names and two answers joined: 8.1.1's
     * rows of the same flows. */
    dns_message_free(flows[0]->dns_response);
    flows[0]->dns_response = NULL;
    store_update(s, flows[0]);
    dns_message_free(flows[2]->dns_response);
    flows[2]->dns_response = NULL;
    store_update(s, flows[2]);
    flows[1]->dns_request->op_code = 9;
    flows[1]->dns_response->response_code = 11;
    static const uint8_t lo[] = {127, 0, 0, 1};
    dns_add_rr(&flows[1]->dns_response->answers, "example.test", 1, 1, 60, lo, sizeof(lo));
    store_update(s, flows[1]);
    ASSERT_STREQ(dns_row(s, 0, 120, 0, NULL),
                 ">>20:21:14 DNS QUERY              example.test (A) = ...");
    ASSERT_STREQ(dns_row(s, 1, 120, 0, NULL),
                 "  20:21:14 DNS OPCOD\xe2\x80\xa6        www.example.test (AAAA) = ::1, 127.0.0.1"
                 "                                DSOTYPENI   3ms");
    ASSERT_STREQ(dns_row(s, 2, 120, 0, "timed out"),
                 "  20:21:14 DNS QUERY           missing.invalid (A) = timed out");
    ASSERT_STREQ(dns_row(s, 0, 80, 1, NULL), ">> DNS QUERY    example.test (A) = ...");
    ASSERT_STREQ(dns_row(s, 1, 80, 1, NULL),
                 "   DNS OPCODE(9) \xe2\x80\xa6w.example.test (AAAA) = ::1, 127.0.0.1     DSOTYPENI"
                 "   3ms");
    ASSERT_STREQ(dns_row(s, 2, 80, 1, "timed out"), "   DNS QUERY missing.invalid (A) = timed out");
    tflows_free(flows, n);
    store_free(s);
}

/* The WebSocket flow of websocket.mitm: a 101 with no body. */
static struct store_info
ws_info(void)
{
    struct store_info in = info();
    in.websocket = 1;
    in.port = 18082;
    in.path = "/chat?room=fixtures";
    in.request_timestamp_start = 1795465266.6172523;
    in.has_response = 1;
    in.status_code = 101;
    in.reason = "Switching Protocols";
    in.response_timestamp_end = 1795465266.6199734;
    return in;
}

TEST(console_format_websocket_rows_as_8_1_1)
{
    utc();
    struct screen s;
    console__screen_init(&s, 3, 120);
    /* 8.1.1 at 120 columns: the scheme is WS (WSS over https), the
     * content column at urwid's 15-column minimum. The row does not read
     * the messages: the same with and without them. */
    struct store_info in = ws_info();
    console__format_table(&s.lines[0], &in, NULL, 1);
    ASSERT_STREQ(trimmed(&s.lines[0]),
                 ">>20:21:06 WS    GET        127.0.0.1 /chat?room=fixtures                 "
                 "           101    [no content]         3ms");
    in.scheme = "https";
    console__format_table(&s.lines[1], &in, NULL, 1);
    ASSERT_STREQ(trimmed(&s.lines[1]),
                 ">>20:21:06 WSS   GET        127.0.0.1 /chat?room=fixtures                 "
                 "           101    [no content]         3ms");
    console__screen_clear(&s);

    /* The list layout shows the URL, as for any HTTP flow. */
    console__screen_init(&s, 2, 80);
    in = ws_info();
    console__format_list(&s.lines[0], &in, NULL, 0, 0);
    ASSERT_STREQ(trimmed(&s.lines[0]), "   GET http://127.0.0.1:18082/chat?room=fixtures");
    ASSERT_STREQ(trimmed(&s.lines[1]), "       \xe2\x86\x90 101 [no content] 3ms");
    console__screen_clear(&s);
}

TEST(console_format_content_missing_and_replay_as_8_1_1)
{
    utc();
    struct screen s;
    console__screen_init(&s, 2, 120);
    /* A response whose body was never read (raw_content None), from
     * all.mitm at 120 columns. */
    struct store_info in = info();
    in.path = "/truncated";
    in.has_response = 1;
    in.status_code = 200;
    in.response_content_none = 1;
    console__format_table(&s.lines[0], &in, NULL, 0);
    ASSERT_STREQ(trimmed(&s.lines[0]),
                 "  19:58:38 HTTP  GET        127.0.0.1 /truncated         "
                 "                            200 \xe2\x80\xa6ntent missing]");
    /* A replayed flow: 8.1.1's replay symbol, U+21BA. */
    in = info();
    in.is_replay = "request";
    console__format_table(&s.lines[1], &in, NULL, 0);
    const char *t = console__line_text(&s.lines[1]);
    ASSERT_STREQ(t + strlen(t) - 5, "\xe2\x86\xba  ");
    console__screen_clear(&s);
}
