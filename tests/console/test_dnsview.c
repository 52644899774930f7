/*
 * dnsview.c and wrap.c: a DNS flow's tabs as 8.1.1 draws them
 * (dns_message_text), and text cut into lines where urwid's Text cuts it.
 * The expected lines of the wrap tests are what urwid 2.1.2's
 * StandardTextLayout made of the same text and width.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "console/internal.h"
#include "dns/dns.h"
#include "flow/flow.h"
#include "store/store.h"
#include "tcon.h"

/* The lines console__wrap makes of text, each followed by '|'. */
static char *
wrapped(const char *text, int cols)
{
    struct console_wrap *w;
    size_t n = console__wrap(text, strlen(text), cols, &w);
    struct buf out = BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        buf_append(&out, text + w[i].start, w[i].len);
        buf_append(&out, "|", 1);
    }
    free(w);
    char *s = buf_strdup(&out);
    buf_clear(&out);
    return s;
}

#define ASSERT_WRAP(text, cols, want)                                                              \
    do {                                                                                           \
        char *got_ = wrapped(text, cols);                                                          \
        ASSERT_STREQ(got_, want);                                                                  \
        free(got_);                                                                                \
    } while (0)

TEST(console_wrap_as_urwid)
{
    ASSERT_WRAP("  example.test TXT IN 300 abcdefghij abcdefghij abcdefghij "
                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx tail",
                30,
                "  example.test TXT IN 300|abcdefghij abcdefghij|abcdefghij "
                "xxxxxxxxxxxxxxxxxxx|xxxxxxxxxxxxxxxxxxxxx tail|");
    /* A word too long for any line takes back the blank before it. */
    ASSERT_WRAP(
        "  a TXT IN 300 yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", 30,
        "  a TXT IN 300 yyyyyyyyyyyyyyy|yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy|"
        "yyyyyyyyyyyyyyyyyyyyyyyyy|");
    ASSERT_WRAP("  a TXT IN 300 ab     cd                                        e", 30,
                "  a TXT IN 300 ab     cd      |                              |  e|");
    ASSERT_WRAP("one\ntwo three four five six seven", 10, "one|two three|four five|six seven|");
    ASSERT_WRAP("aaaa bbbbbbbbbbbbbbbbbbbbbbbb", 10, "aaaa bbbbb|bbbbbbbbbb|bbbbbbbbb|");
    ASSERT_WRAP("ab \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
                "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e x",
                8,
                "ab \xe6\x97\xa5\xe6\x9c\xac|\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e|"
                "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e x|");
    ASSERT_WRAP("", 10, "|");
    ASSERT_WRAP("trailing\n", 10, "trailing||");
    ASSERT_WRAP("xxxxxxxxxxxxxxxxxxxxxxxxx", 10, "xxxxxxxxxx|xxxxxxxxxx|xxxxx|");
    /* A record's hex past the screen: 8.1.1 cuts it inside the word. */
    char hex[200] = "  0x";
    for (int i = 0; i < 70; i++)
        strcat(hex, "ab");
    char *got = wrapped(hex, 120);
    ASSERT_EQ(strlen(got), strlen(hex) + 2);
    ASSERT(strncmp(got, hex, 120) == 0 && got[120] == '|');
    free(got);
    /* Bad UTF-8 and a width too small for a wide glyph come to an end
     * (ASan watches the reads). */
    const char *const odd[] = {"\xff\xfe\xe6\x97 \xe6\x97\xa5\xe6\x97\xa5", "\xe6",
                               " \xe6\x97\xa5 ", "\xcc\x81\xcc\x81 a", "\n\n \n"};
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        for (int cols = 0; cols < 4; cols++)
            free(wrapped(odd[i], cols));
}

/* dns.mitm's first flow, as the fixture holds it. */
static struct flow *
dns_flow(int with_response)
{
    struct flow *f = flow_new_dns(NULL, NULL);
    f->live = 0;
    struct dns_message *q = dns_message_new();
    q->id = 4660;
    q->recursion_desired = 1;
    dns_add_question(q, "example.test", DNS_TYPE_A, DNS_CLASS_IN);
    /* dig's EDNS record: the root's name, the payload size as its class. */
    dns_add_rr(&q->additionals, "", DNS_TYPE_OPT, 1232, 0, "\x00\x0a\x00\x02\xab\xcd", 6);
    f->dns_request = q;
    if (with_response) {
        struct dns_message *r = dns_message_answer(q, DNS_RCODE_NOERROR);
        r->authoritative_answer = 1;
        dns_add_rr(&r->answers, "example.test", DNS_TYPE_A, DNS_CLASS_IN, 300, "\x7f\x00\x00\x01",
                   4);
        dns_add_rr(&r->answers, "example.test", DNS_TYPE_TXT, DNS_CLASS_IN, 300, "\x02hi", 3);
        dns_add_rr(&r->authorities, "test", 999, 3, 7, "\x01\x02", 2);
        f->dns_response = r;
    }
    return f;
}

static void
assert_rows(struct console *c, int from, const char *const *want)
{
    for (int i = 0; want[i]; i++) {
        const char *got = tcon_line(c, from + i);
        if (strcmp(got, want[i]) != 0)
            tcon_dump(c);
        ASSERT_STREQ(got, want[i]);
    }
}

TEST(console_dnsview_tabs_as_881)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct flow *f = dns_flow(1);
    int tabs[FV__COUNT];
    ASSERT_EQ(console__flowview_tabs(f, tabs), 3);
    ASSERT_EQ(tabs[0], FV_REQUEST);
    ASSERT_EQ(tabs[1], FV_RESPONSE);
    ASSERT_EQ(tabs[2], FV_DETAIL);
    store_add(t.s, f);
    flow_unref(f);
    tcon_keys(c, "enter", NULL);
    console__layout(c, 40, 120);
    ASSERT(strstr(tcon_line(c, 2), "Request") != NULL);
    static const char *const request[] = {"Recursive Question",
                                          "  example.test A IN",
                                          "",
                                          "Answer",
                                          "",
                                          "Authority",
                                          "",
                                          "Addition",
                                          "   OPT CLASS(1232) 0 0x000a0002abcd",
                                          "",
                                          NULL};
    assert_rows(c, 3, request);
    /* Plain urwid Text: no attribute, the terminal's colours. */
    ASSERT_EQ(c->scr.lines[3].spans[0].style, ST_DEFAULT);
    tcon_keys(c, "tab", NULL);
    console__layout(c, 40, 120);
    static const char *const response[] = {"Recursive Question",
                                           "  example.test A IN",
                                           "",
                                           "Authoritative Recursive Answer",
                                           "  example.test A IN 300 127.0.0.1",
                                           "  example.test TXT IN 300 .hi",
                                           "",
                                           "Authority",
                                           "  test TYPE(999) CH 7 0x0102",
                                           "",
                                           "Addition",
                                           "",
                                           NULL};
    assert_rows(c, 3, response);
    tcon_keys(c, "tab", NULL);
    ASSERT(tcon_screen_has(c, 40, 120, "Detail"));
    ASSERT_EQ(c->fv.tab, FV_DETAIL);
    tcon_stop(&t);
}

TEST(console_dnsview_no_response_and_intercepted)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct flow *f = dns_flow(0);
    f->intercepted = 1;
    store_add(t.s, f);
    flow_unref(f);
    tcon_keys(c, "enter", NULL);
    ASSERT(tcon_screen_has(c, 40, 120, "Request intercepted"));
    tcon_keys(c, "tab", NULL);
    console__layout(c, 40, 120);
    ASSERT_STREQ(tcon_line(c, 3), "No response.");
    ASSERT_EQ(c->scr.lines[3].spans[0].style, ST_HIGHLIGHT);
    tcon_stop(&t);
}

/* A record longer than the screen goes on over the next lines. */
TEST(console_dnsview_long_record_wraps)
{
    struct tcon t;
    tcon_start(&t, NULL);
    struct console *c = t.c;
    struct flow *f = dns_flow(1);
    /* Seven strings of 30 bytes, each after its length byte. */
    char txt[7 * 31];
    for (int i = 0; i < 7; i++) {
        txt[31 * i] = 30;
        memset(txt + 31 * i + 1, 'z', 30);
    }
    dns_add_rr(&f->dns_response->answers, "example.test", DNS_TYPE_TXT, DNS_CLASS_IN, 300, txt,
               sizeof(txt));
    store_add(t.s, f);
    flow_unref(f);
    tcon_keys(c, "enter", "tab", NULL);
    console__layout(c, 40, 120);
    /* "  example.test TXT IN 300 " is 26 columns, then a word of 217: the
     * blank before it comes back to the first line, as urwid does it. */
    const char *l1 = tcon_line(c, 9);
    ASSERT_EQ(strlen(l1), 120);
    ASSERT(strncmp(l1, "  example.test TXT IN 300 .zzz", 30) == 0);
    ASSERT_EQ(strlen(tcon_line(c, 10)), 120);
    ASSERT_STREQ(tcon_line(c, 11), "zzz");
    ASSERT_STREQ(tcon_line(c, 12), "");
    ASSERT_STREQ(tcon_line(c, 13), "Authority");
    tcon_stop(&t);
}
