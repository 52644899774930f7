/*
 * flowview.c: a finished flow's body is rendered where it is, not copied;
 * a body replaced without a store event is not read again, the view is
 * built anew from the flow as it is. A body's lines, kept a chunk at a
 * time, are the whole render's. The TCP and WebSocket tabs, the header and
 * the tab line are 8.1.1's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/tca.h"
#include "../lib/test.h"
#include "console/internal.h"
#include "flow/connection.h"
#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "http/headers.h"
#include "http/message.h"
#include "http/ws.h"
#include "store/store.h"
#include "tcon.h"

TEST(console_flowview_body_replaced_under_the_view)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct flow *f = tcon_flow("GET", "/", 200);
    hdrs_add_cstr(&f->response->headers, "Content-Type", "text/plain");
    for (int i = 0; i < 400; i++)
        buf_printf(&f->response->content, "old %d\n", i);
    store_add(t.s, f);
    flow_unref(f);
    tcon_keys(c, "enter", "tab", NULL);
    ASSERT(tcon_screen_has(c, 20, 100, "old 0"));
    ASSERT(c->fv.lent != NULL);
    /* The body goes and comes back elsewhere, with no store event: the next
     * step does not read the old bytes (ASan would say), and the view shows
     * the new body. The new bytes are written before the old are freed, so
     * they cannot land at the old address; glibc's malloc would otherwise
     * hand the freed block straight back, same place and same length, which
     * a check of address and length cannot tell from the old body. */
    struct flow *g = c->shown;
    struct buf fresh = BUF_INIT;
    for (int i = 0; i < 400; i++)
        buf_printf(&fresh, "new %d\n", i);
    buf_move(&g->response->content, &fresh);
    tcon_keys(c, "page down", NULL);
    ASSERT(tcon_screen_has(c, 20, 100, "new 0"));
    tcon_keys(c, "page down", NULL);
    ASSERT(tcon_screen_has(c, 20, 100, "new 1"));
    tcon_stop(&t);
}

/* view_tcp_stream: TCP Stream and Detail; messages sent one way in a row
 * are one; each is shown through the view mode, a marker on every line. */
TEST(console_flowview_tcp_stream)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct flow *f = flow_new_tcp(NULL, NULL);
    f->live = 0;
    int tabs[FV__COUNT];
    ASSERT_EQ(console__flowview_tabs(f, tabs), 2);
    ASSERT_EQ(tabs[0], FV_TCP);
    ASSERT_EQ(tabs[1], FV_DETAIL);
    store_add(t.s, f);
    /* No messages yet. */
    tcon_keys(c, "enter", NULL);
    ASSERT(tcon_screen_has(c, 20, 120, "No messages."));
    ASSERT(tcon_screen_has(c, 20, 120, "TCP Stream"));
    ASSERT_EQ(c->fv.tab, FV_TCP);
    flow_tcp_add_message(f, 1, "hello server\nsecond line", 24);
    flow_tcp_add_message(f, 1, " more", 5);
    flow_tcp_add_message(f, 0, "hi client", 9);
    flow_tcp_add_message(f, 1,
                         "\x00\x01\x02"
                         "binary\xff",
                         10);
    store_update(t.s, f);
    console__layout(c, 20, 120);
    int r = tcon_row_of(c, "Auto");
    ASSERT(r > 0);
    ASSERT(strstr(tcon_line(c, r), "[m:auto]") != NULL);
    ASSERT_STREQ(tcon_line(c, r + 1), "\xe2\x87\x92 hello server");
    ASSERT_STREQ(tcon_line(c, r + 2), "\xe2\x87\x92 second line more");
    ASSERT_STREQ(tcon_line(c, r + 3), "\xe2\x87\x90 hi client");
    /* Binary bytes: Auto picks Hex, as 8.1.1 does. */
    ASSERT_STREQ(tcon_line(c, r + 4), "\xe2\x87\x92 0000000000 00 01 02 62 69 6e 61 72 79 ff"
                                      "                     ...binary.");
    ASSERT(c->scr.lines[r + 1].spans[0].style == ST_FROM_CLIENT);
    ASSERT(c->scr.lines[r + 3].spans[0].style == ST_TO_CLIENT);
    ASSERT(c->scr.lines[r].spans[0].style == ST_HEADING);
    /* A held flow's last line in the intercept colour. */
    f->intercepted = 1;
    store_update(t.s, f);
    console__layout(c, 20, 120);
    ASSERT(c->scr.lines[r + 4].spans[0].style == ST_INTERCEPT);
    ASSERT(c->scr.lines[r + 3].spans[0].style == ST_TO_CLIENT);
    f->intercepted = 0;
    /* Another mode: Raw shows the bytes escaped, the status bar names it. */
    tcon_keys(c, ":", NULL);
    tcon_type(c, "console.flowview.mode.set raw");
    tcon_keys(c, "enter", NULL);
    console__layout(c, 20, 120);
    r = tcon_row_of(c, "Raw ");
    ASSERT(r > 0);
    ASSERT(strstr(tcon_line(c, r), "[m:raw]") != NULL);
    ASSERT_STREQ(tcon_line(c, r + 4), "\xe2\x87\x92 \\x00\\x01\\x02binary\\xff");
    /* Tab: Detail, then back to the stream. */
    tcon_keys(c, "tab", NULL);
    ASSERT_EQ(c->fv.tab, FV_DETAIL);
    tcon_keys(c, "tab", NULL);
    ASSERT_EQ(c->fv.tab, FV_TCP);
    flow_unref(f);
    tcon_stop(&t);
}

/* Body line i of fv and line i of a whole render are the same tokens. */
static void
assert_same_line(const struct flowview *fv, const struct cv_lines *all, size_t i)
{
    struct cv_line a, b;
    cv_lines_get(&fv->chunk[i / FV_CHUNK], i % FV_CHUNK, &a);
    cv_lines_get(all, i, &b);
    ASSERT_EQ(a.ntok, b.ntok);
    ASSERT_EQ(a.len, b.len);
    ASSERT(memcmp(a.text, b.text, a.len) == 0);
    for (size_t k = 0; k < a.ntok; k++) {
        ASSERT_EQ(a.tok[k].style, b.tok[k].style);
        ASSERT_EQ(a.tok[k].len, b.tok[k].len);
    }
}

/* The response of f in mode, filled a small budget at a time as redraws
 * fill it, has the lines the whole render has, across several chunks. */
static void
assert_chunks_same_lines(struct flow *f, const char *mode)
{
    struct flowview fv;
    console__flowview_init(&fv);
    console__flowview_build(&fv, f, FV_RESPONSE, mode, 100, 0);
    int steps = 0;
    while (console__flowview_fill(&fv, console__flowview_lines(&fv) + 700, 4096))
        steps++;
    ASSERT(fv.body_done);
    ASSERT(steps > 1);
    ASSERT(fv.nchunk > 1);

    struct cv_render *r = cv_render_message(mode, f, NULL, f->response);
    struct cv_lines all = CV_LINES_INIT;
    cv_render_all(r, &all, 0);
    ASSERT_STREQ(cv_render_description(r), cv_render_description(fv.render));
    ASSERT_EQ(fv.nbody, all.n);
    for (size_t i = 0; i < all.n; i++)
        assert_same_line(&fv, &all, i);
    cv_lines_clear(&all);
    cv_render_free(r);
    console__flowview_free(&fv);
}

/*
 * A body's lines are kept a chunk of FV_CHUNK at a time (a million lines
 * never move as one array): whatever the chunks and the steps, the lines
 * are those of the whole render, for each view a big body meets.
 */
TEST(console_flowview_body_in_chunks_same_lines)
{
    struct flow *f = tcon_flow("GET", "/", 200);
    hdrs_add_cstr(&f->response->headers, "Content-Type", "text/plain");
    for (int i = 0; i < 3000; i++)
        buf_printf(&f->response->content, i % 7 ? "line %d\r\n" : "tab\t%d \\ \x01\n", i);
    assert_chunks_same_lines(f, "raw");
    assert_chunks_same_lines(f, "auto");

    buf_reset(&f->response->content);
    for (int i = 0; i < 40000; i++) {
        uint8_t b = (uint8_t)(i * 7);
        buf_append(&f->response->content, &b, 1);
    }
    assert_chunks_same_lines(f, "hex");
    assert_chunks_same_lines(f, "auto");

    buf_reset(&f->response->content);
    hdrs_set_cstr(&f->response->headers, "Content-Type", "application/json");
    buf_append_str(&f->response->content, "[");
    for (int i = 0; i < 700; i++)
        buf_printf(&f->response->content, "%s{\"n\": %d, \"s\": \"x\"}", i ? ", " : "", i);
    buf_append_str(&f->response->content, "]");
    assert_chunks_same_lines(f, "json");
    assert_chunks_same_lines(f, "auto");
    flow_unref(f);
}

/* One step's budget is shared by the chunks it fills: asked for every
 * line, a step of 20,000 bytes of Hex (16 a line) stops near 1,250 lines. */
TEST(console_flowview_fill_budget_spans_chunks)
{
    struct flow *f = tcon_flow("GET", "/", 200);
    for (int i = 0; i < 200000; i++) {
        uint8_t b = (uint8_t)i;
        buf_append(&f->response->content, &b, 1);
    }
    struct flowview fv;
    console__flowview_init(&fv);
    console__flowview_build(&fv, f, FV_RESPONSE, "hex", 100, 0);
    ASSERT_EQ(console__flowview_fill(&fv, 1 << 30, 20000), 1);
    ASSERT(fv.nbody > FV_CHUNK);
    ASSERT(fv.nbody <= 1300);
    ASSERT_EQ(fv.nchunk, 2);
    console__flowview_free(&fv);
    flow_unref(f);
}

/* Line i of the screen is ref followed by nothing but blanks (tmux's
 * capture of 8.1.1 drops them). */
static int
line_is(struct console *c, int i, const char *ref)
{
    const char *l = tcon_line(c, i);
    size_t n = strlen(ref);
    if (strncmp(l, ref, n) != 0)
        return 0;
    for (l += n; *l == ' '; l++)
        ;
    return *l == '\0';
}

/*
 * 8.1.1's flow view of a TCP flow at 120 columns (mitmproxy -r, captured in
 * tmux): the flow in one line (format_tcp_flow: client <-> server, the
 * messages' size, the time to the last message) and the tab line of
 * urwid's Columns, a blank column between two tabs, each name centred with
 * the odd blank on its left.
 */
TEST(console_flowview_tcp_header_and_tabs_as_811)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct connection *cc = connection_new(CONN_CLIENT), *sc = connection_new(CONN_SERVER);
    cc->peername.host = strdup("127.0.0.1");
    cc->peername.port = 22;
    cc->timestamp_start = 946681200;
    sc->address.host = strdup("address");
    sc->address.port = 22;
    struct flow *f = flow_new_tcp(cc, sc);
    connection_unref(cc);
    connection_unref(sc);
    f->live = 0;
    flow_tcp_add_message(f, 1, "hello", 5)->timestamp = 946681201;
    flow_tcp_add_message(f, 0, "it's me", 7)->timestamp = 946681204.5;
    store_add(t.s, f);
    tcon_keys(c, "enter", NULL);
    console__layout(c, 30, 120);
    ASSERT(line_is(c, 0, "Flow Details"));
    const char *h = tcon_line(c, 1);
    ASSERT(strncmp(h, ">>", 2) == 0);
    ASSERT(strncmp(h + 10, " TCP 127.0.0.1:22 <-> address:22 ", 33) == 0);
    ASSERT(strlen(h) == 120);
    ASSERT_STREQ(h + 120 - 15, "  12b 4.50s    ");
    ASSERT(line_is(c, 2,
                   "                         TCP Stream                       "
                   "                              Detail"));
    ASSERT(strncmp(tcon_line(c, 3), "Auto ", 5) == 0);
    ASSERT_STREQ(tcon_line(c, 4), "\xe2\x87\x92 hello");
    /* A click on the tab line (its row under the one-line header) picks
     * Detail. */
    tcon_keys(c, "mouse press 1 100 2", NULL);
    ASSERT_EQ(c->fv.tab, FV_DETAIL);
    flow_unref(f);

    /* An HTTP flow with a WebSocket: four tabs under the two-line header. */
    f = tcon_flow("GET", "/ws", 101);
    flow_ws_add_message(f, WS_TEXT, 0, "welcome h\xc3\xa9", 11);
    store_add(t.s, f);
    flow_unref(f);
    tcon_keys(c, "q", "G", "enter", NULL);
    console__layout(c, 30, 120);
    ASSERT(line_is(c, 3,
                   "           Request                       Response                 "
                   "WebSocket Messages                   Detail"));
    tcon_keys(c, "tab", "tab", NULL);
    console__layout(c, 30, 120);
    ASSERT_EQ(c->fv.tab, FV_WEBSOCKET);
    /* Text goes through Raw as bytes: what is not ASCII is escaped (as
     * 8.1.1 shows "welcome h\xc3\xa9"). */
    ASSERT_STREQ(tcon_line(c, 5), "\xe2\x87\x90 welcome h\\xc3\\xa9");
    tcon_stop(&t);
}

/* The Detail tab's "Server Certificate:" section as 8.1.1's
 * flowdetailview: same labels and order, the digest in spaced hex, the
 * validity as str() of a UTC datetime, subject and issuer nested. The
 * flow is the fixture's, whose chain 8.1.1 summarises the same way. */
TEST(console_flowview_detail_server_certificate)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct err e = {0};
    struct ffile_reader *r = ffile_reader_open(test_fixture("flows/https-connect.mitm"), &e);
    ASSERT(r != NULL);
    struct flow *f;
    ASSERT_EQ(ffile_read(r, &f, &e), 1);
    ffile_reader_free(r);
    store_add(t.s, f);
    tcon_keys(c, "enter", "tab", "tab", NULL);
    ASSERT_EQ(c->fv.tab, FV_DETAIL);
    console__layout(c, 40, 120);
    int row = tcon_row_of(c, "Server Certificate:");
    ASSERT(row > 0);
    /* Right after the Server Connection's lines. */
    ASSERT(strncmp(tcon_line(c, row - 1), "    ", 4) == 0);
    ASSERT(line_is(c, row, "Server Certificate:"));
    static const char *const want[] = {
        "    Type           RSA, 2048 bits",
        "    SHA256 digest  0e bf 5d 83 a0 8a 40 53 ca 62 9d e6 e3 c7 57 7a ed 54 c4 96 dc 92 "
        "1e 12 e6 fb 22 25 24 21 7e 4b",
        "    Valid from     2026-11-23 20:19:11+00:00",
        "    Valid to       2036-11-20 20:19:11+00:00",
        "    Serial         220729961779662935669251190046790574067154290351",
        "    Subject        CN  localhost",
        "    Issuer         CN  localhost",
        "    Alt names      localhost, 127.0.0.1",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!line_is(c, row + 1 + (int)i, want[i]))
            test_fail(__FILE__, __LINE__, "line %zu: \"%s\"", i, tcon_line(c, row + 1 + (int)i));
    ASSERT(line_is(c, row + 9, "Client Connection:"));
    ASSERT(c->scr.lines[row].spans[0].style == ST_HEAD);
    /* Subject's own key in the highlight style, after the outer key. */
    const struct sline *sub = &c->scr.lines[row + 6];
    int hl = 0;
    for (size_t k = 0; k < sub->nspans; k++)
        hl |= sub->spans[k].style == ST_HIGHLIGHT;
    ASSERT(hl);

    /* A name of several parts is a list of its own beside the key, its keys
     * as wide as its longest; an OID without a short name is dotted. */
    struct tns *l = tns_dict_get(f->server_conn->extra, "certificate_list");
    tns_free(l->u.list.v[0]);
    l->u.list.v[0] = tns_bytes(tca_ec_pem, strlen(tca_ec_pem));
    store_update(t.s, f);
    console__layout(c, 40, 120);
    row = tcon_row_of(c, "Server Certificate:");
    ASSERT(row > 0);
    static const char *const ec[] = {
        "    Type           EC (secp384r1), 384 bits",
        NULL,
        "    Valid from     2026-12-06 10:44:57+00:00",
        "    Valid to       2036-12-03 10:44:57+00:00",
        "    Serial         519354213568899775994472453106917629439929234122",
        "    Subject        C                     DE",
        "                   O                     Ex\xc3\x83\xc2\xa4mple GmbH",
        "                   OU                    Lab",
        "                   CN                    ec.example.org",
        "                   1.2.840.113549.1.9.1  a@example.org",
        "    Issuer         C                     DE",
    };
    for (size_t i = 0; i < sizeof(ec) / sizeof(ec[0]); i++)
        if (ec[i] && !line_is(c, row + 1 + (int)i, ec[i]))
            test_fail(__FILE__, __LINE__, "line %zu: \"%s\"", i, tcon_line(c, row + 1 + (int)i));
    ASSERT(line_is(c, row + 16,
                   "    Alt names      ec.example.org, *.example.org, 2001:db8::1, ::ffff:102:304, "
                   "10.0.0.1"));
    flow_unref(f);
    tcon_stop(&t);
}

/* Line i of fv as text with each span's style before it. */
static char *
styled(const struct flowview *fv, int i)
{
    struct sline l = {0};
    buf_init(&l.text);
    l.width = 4096;
    console__flowview_line(fv, i, &l);
    struct buf out = BUF_INIT;
    const char *p = (const char *)buf_ptr(&l.text);
    for (size_t k = 0; k < l.nspans; k++) {
        char st[16];
        snprintf(st, sizeof(st), "<%d>", l.spans[k].style);
        buf_append_str(&out, st);
        buf_append(&out, p, l.spans[k].len);
        p += l.spans[k].len;
    }
    buf_append(&out, "", 1);
    char *s = strdup((const char *)buf_ptr(&out));
    buf_clear(&out);
    buf_clear(&l.text);
    free(l.spans);
    return s;
}

/* Renders the tab of f whole, then in steps of budget bytes of work, and
 * checks that both show the same lines; returns the steps taken. */
static int
stepped_as_whole(struct flow *f, int tab, size_t budget)
{
    struct flowview whole, step;
    console__flowview_init(&whole);
    console__flowview_init(&step);
    console__flowview_build(&whole, f, tab, "auto", 120, 0);
    console__flowview_fill(&whole, 1 << 30, SIZE_MAX);
    ASSERT(!console__flowview_pending(&whole));
    console__flowview_build(&step, f, tab, "auto", 120, 0);
    int steps = 0;
    while (console__flowview_pending(&step)) {
        console__flowview_fill(&step, 1 << 30, budget);
        steps++;
    }
    ASSERT_EQ(console__flowview_lines(&step), console__flowview_lines(&whole));
    for (int i = 0; i < console__flowview_lines(&whole); i++) {
        char *a = styled(&whole, i), *b = styled(&step, i);
        ASSERT_STREQ(b, a);
        free(a);
        free(b);
    }
    console__flowview_free(&whole);
    console__flowview_free(&step);
    return steps;
}

/* The TCP Stream and WebSocket tabs render their messages a budget at a
 * time, as the screen asks for them, and show what one whole render shows:
 * runs of one direction joined across steps, multi-line and binary
 * messages, the close, a held flow's last line. */
TEST(console_flowview_messages_in_steps)
{
    struct flow *f = flow_new_tcp(NULL, NULL);
    f->live = 0;
    char big[5000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i % 97 == 96 ? '\n' : 'a' + i % 26);
    for (int i = 0; i < 300; i++) {
        char m[64];
        int n = snprintf(m, sizeof(m), "message %d\nsecond half %d", i, i);
        flow_tcp_add_message(f, i % 7 < 3, m, (size_t)n);
        if (i % 50 == 0)
            flow_tcp_add_message(f, i % 7 < 3, big, sizeof(big));
        if (i % 60 == 0)
            flow_tcp_add_message(f, 1, "\x00\x01\xff binary", 10);
    }
    f->intercepted = 1;
    ASSERT(stepped_as_whole(f, FV_TCP, 700) > 10);
    ASSERT(stepped_as_whole(f, FV_TCP, 1) > 300);

    /* Only what the screen asks for is rendered. */
    struct flowview fv;
    console__flowview_init(&fv);
    console__flowview_build(&fv, f, FV_TCP, "auto", 120, 0);
    ASSERT_EQ(console__flowview_fill(&fv, 30, 256u << 10), 0);
    ASSERT(console__flowview_lines(&fv) >= 30 && console__flowview_lines(&fv) < 200);
    ASSERT(console__flowview_pending(&fv));
    console__flowview_free(&fv);
    flow_unref(f);

    f = tcon_flow("GET", "/chat", 101);
    f->live = 0;
    for (int i = 0; i < 500; i++) {
        char m[64];
        int n = snprintf(m, sizeof(m), "{\"n\": %d}\nline two h\xc3\xa9", i);
        flow_ws_add_message(f, i % 3 ? WS_TEXT : WS_BINARY, i % 2, m, (size_t)n);
    }
    f->websocket->closed_by_client = 1;
    f->websocket->close_code = 1000;
    ASSERT(stepped_as_whole(f, FV_WEBSOCKET, 2000) > 10);
    flow_unref(f);
}

/* The Detail tab of flow index of a fixture, from its fourth line (under
 * the header and the tab line) against 8.1.1's lines there (mitmproxy -n
 * -r in a 120-column tmux, TZ=UTC). */
static void
detail_as_811(const char *fixture, int index, const char *const *want, size_t n)
{
    setenv("TZ", "UTC", 1);
    tzset();
    struct tcon t;
    tcon_start(&t, NULL);
    struct err e = {0};
    struct ffile_reader *r = ffile_reader_open(test_fixture(fixture), &e);
    ASSERT(r != NULL);
    struct flow *f = NULL;
    for (int i = 0; i <= index; i++) {
        if (f)
            flow_unref(f);
        ASSERT_EQ(ffile_read(r, &f, &e), 1);
    }
    ffile_reader_free(r);
    store_add(t.s, f);
    flow_unref(f);
    tcon_keys(t.c, "enter", "tab", "tab", NULL);
    ASSERT_EQ(t.c->fv.tab, FV_DETAIL);
    console__layout(t.c, 50, 120);
    for (size_t i = 0; i < n; i++)
        if (!line_is(t.c, 4 + (int)i, want[i]))
            test_fail(__FILE__, __LINE__, "%s line %zu: \"%s\", 8.1.1: \"%s\"", fixture, i,
                      tcon_line(t.c, 4 + (int)i), want[i]);
    ASSERT(line_is(t.c, 4 + (int)n, ""));
    tcon_stop(&t);
}

#define DASH "\xe2\x80\x93"

/* Every section of 8.1.1's Detail tab, field for field: a TLS flow (the
 * server's ALPN, the client's TLS version, SNI, cipher and ALPN; no TLS
 * version for the server), a comment of two lines, metadata as repr(), a
 * flow whose server was never reached (no server section), and the
 * timings sorted as text, a dash for each one still to come. */
TEST(console_flowview_detail_as_811)
{
    static const char *const tls[] = {
        "Server Connection:",
        "    Address           localhost:18443",
        "    Resolved Address  127.0.0.1:18443",
        "    HTTP Version      HTTP/1.1",
        "    ALPN              http/1.1",
        "Server Certificate:",
        "    Type           RSA, 2048 bits",
        "    SHA256 digest  0e bf 5d 83 a0 8a 40 53 ca 62 9d e6 e3 c7 57 7a ed 54 c4 96 dc 92 1e "
        "12 e6 fb 22 25 24 21 7e 4b",
        "    Valid from     2026-11-23 20:19:11+00:00",
        "    Valid to       2036-11-20 20:19:11+00:00",
        "    Serial         220729961779662935669251190046790574067154290351",
        "    Subject        CN  localhost",
        "    Issuer         CN  localhost",
        "    Alt names      localhost, 127.0.0.1",
        "Client Connection:",
        "    Address                 127.0.0.1:46282",
        "    HTTP Version            HTTP/1.1",
        "    TLS Version             TLSv1.3",
        "    Server Name Indication  localhost",
        "    Cipher Name             TLS_AES_256_GCM_SHA384",
        "    ALPN                    http/1.1",
        "Timing:",
        "    Client conn. established    2026-11-23 20:21:45.458",
        "    Server conn. initiated      2026-11-23 20:21:45.462",
        "    Server conn. TCP handshake  2026-11-23 20:21:45.464",
        "    Server conn. TLS handshake  2026-11-23 20:21:45.507",
        "    Client conn. TLS handshake  2026-11-23 20:21:45.514",
        "    First request byte          2026-11-23 20:21:45.515",
        "    Request complete            2026-11-23 20:21:45.515",
        "    First response byte         2026-11-23 20:21:45.516",
        "    Response complete           2026-11-23 20:21:45.516",
        "    Client conn. closed         " DASH,
        "    Server conn. closed         " DASH,
    };
    detail_as_811("flows/https-connect.mitm", 0, tls, sizeof(tls) / sizeof(tls[0]));
    static const char *const comment[] = {
        "Comment: Needs review",
        "second line of comment",
        "Server Connection:",
        "    Address           127.0.0.1:18080",
        "    Resolved Address  127.0.0.1:18080",
        "    HTTP Version      HTTP/1.1",
        "Client Connection:",
        "    Address       127.0.0.1:44510",
        "    HTTP Version  HTTP/1.1",
        "Timing:",
        "    Client conn. established    2026-11-23 20:22:03.157",
        "    First request byte          2026-11-23 20:22:03.158",
        "    Request complete            2026-11-23 20:22:03.159",
        "    Server conn. initiated      2026-11-23 20:22:03.160",
        "    Server conn. TCP handshake  2026-11-23 20:22:03.160",
        "    First response byte         2026-11-23 20:22:03.161",
        "    Response complete           2026-11-23 20:22:03.162",
        "    Client conn. closed         " DASH,
        "    Server conn. closed         " DASH,
    };
    detail_as_811("flows/annotated.mitm", 1, comment, sizeof(comment) / sizeof(comment[0]));
    static const char *const meta[] = {
        "Comment: javascript asset",
        "Metadata:",
        "    priority  3",
        "    note      'tagged by addon'",
        "Server Connection:",
        "    Address           127.0.0.1:18080",
        "    Resolved Address  127.0.0.1:18080",
        "    HTTP Version      HTTP/1.1",
        "Client Connection:",
        "    Address       127.0.0.1:44526",
        "    HTTP Version  HTTP/1.1",
        "Timing:",
        "    Client conn. established    2026-11-23 20:22:03.476",
        "    First request byte          2026-11-23 20:22:03.478",
        "    Request complete            2026-11-23 20:22:03.478",
        "    Server conn. initiated      2026-11-23 20:22:03.479",
        "    Server conn. TCP handshake  2026-11-23 20:22:03.479",
        "    First response byte         2026-11-23 20:22:03.480",
        "    Response complete           2026-11-23 20:22:03.480",
        "    Client conn. closed         " DASH,
        "    Server conn. closed         " DASH,
    };
    detail_as_811("flows/annotated.mitm", 2, meta, sizeof(meta) / sizeof(meta[0]));
    static const char *const refused[] = {
        "Client Connection:",
        "    Address       127.0.0.1:51960",
        "    HTTP Version  HTTP/1.1",
        "Timing:",
        "    Client conn. established  2026-11-23 20:21:11.980",
        "    First request byte        2026-11-23 20:21:11.982",
        "    Request complete          2026-11-23 20:21:11.982",
        "    Client conn. closed       " DASH,
    };
    detail_as_811("flows/error-refused.mitm", 0, refused, sizeof(refused) / sizeof(refused[0]));
}

/* Leaving a TCP Stream tab of many lines does not free them in the key:
 * they are freed over the redraws after it, a slice each, and a view of a
 * screen or two frees its lines at once. */
TEST(console_flowview_leaving_frees_lines_in_slices)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct flow *f = flow_new_tcp(NULL, NULL);
    f->live = 0;
    struct buf m = BUF_INIT;
    for (int i = 0; i < 10000; i++)
        buf_printf(&m, "line %d\n", i);
    flow_tcp_add_message(f, 1, buf_ptr(&m), m.len);
    buf_clear(&m);
    store_add(t.s, f);
    flow_unref(f);
    tcon_keys(c, "enter", NULL);
    console__layout(c, 40, 120);
    tcon_keys(c, "G", NULL);
    for (int i = 0; i < 1000 && console__flowview_pending(&c->fv); i++)
        console__layout(c, 40, 120);
    ASSERT(!console__flowview_pending(&c->fv));
    size_t blocks = c->fv.nheadblk;
    ASSERT(blocks > FV_REAP_MIN);
    tcon_keys(c, "q", NULL);
    ASSERT_EQ(c->fv.nhead, 0);
    ASSERT_EQ(c->fv.ndead, blocks);
    /* No time at all still frees a block a call. */
    size_t calls = 0;
    while (console__flowview_reap(&c->fv, 0))
        calls++;
    ASSERT_EQ(calls + 1, blocks);
    ASSERT_EQ(c->fv.ndead, 0);
    ASSERT(c->fv.dead == NULL);

    /* A short view: gone with the key. */
    tcon_keys(c, "enter", NULL);
    console__layout(c, 40, 120);
    ASSERT(c->fv.nheadblk <= FV_REAP_MIN);
    tcon_keys(c, "q", NULL);
    ASSERT_EQ(c->fv.ndead, 0);

    /* Lines left when the console goes are freed with it (LSan checks). */
    tcon_keys(c, "enter", NULL);
    console__layout(c, 40, 120);
    tcon_keys(c, "G", NULL);
    for (int i = 0; i < 1000 && console__flowview_pending(&c->fv); i++)
        console__layout(c, 40, 120);
    tcon_keys(c, "q", NULL);
    ASSERT(c->fv.ndead > 0);
    tcon_stop(&t);
}
