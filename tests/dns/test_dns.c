/*
 * The DNS codec: real messages (the fixtures' dns.mitm as mitmproxy 8.1.1
 * packs it, a resolver's compressed answer), one test per rule the parser
 * enforces, writing with and without compression, typed record data, and
 * str(ResourceRecord) as mitmproxy 8.1.1 prints it.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "dns/dns.h"

/* Hex text to bytes in b (spaces ignored). */
static void
unhex(struct buf *b, const char *hex)
{
    buf_reset(b);
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        if (*p == ' ' || *p == '\n')
            continue;
        int v = *p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10;
        if (hi < 0) {
            hi = v;
        } else {
            uint8_t c = (uint8_t)(hi << 4 | v);
            buf_append(b, &c, 1);
            hi = -1;
        }
    }
}

static struct dns_message *
parse_hex(const char *hex)
{
    struct buf b = BUF_INIT;
    unhex(&b, hex);
    struct dns_message *m = NULL;
    struct err e = {0, ""};
    int rc = dns_parse(buf_ptr(&b), b.len, NULL, &m, &e);
    if (rc != 0)
        test_fail(__FILE__, __LINE__, "parse: %s", e.msg);
    buf_clear(&b);
    return m;
}

/* Parsing hex fails with code and a message containing want. */
#define PARSE_FAILS(hex, code, want)                                                               \
    do {                                                                                           \
        struct buf pb_ = BUF_INIT;                                                                 \
        unhex(&pb_, hex);                                                                          \
        struct dns_message *pm_ = NULL;                                                            \
        struct err pe_ = {0, ""};                                                                  \
        int prc_ = dns_parse(buf_ptr(&pb_), pb_.len, NULL, &pm_, &pe_);                            \
        buf_clear(&pb_);                                                                           \
        ASSERT_EQ(prc_, code);                                                                     \
        ASSERT(pm_ == NULL);                                                                       \
        if (strstr(pe_.msg, want) == NULL)                                                         \
            test_fail(__FILE__, __LINE__, "message '%s' lacks '%s'", pe_.msg, want);               \
    } while (0)

static void
assert_writes(const struct dns_message *m, int compress, const char *hex)
{
    struct buf want = BUF_INIT, got = BUF_INIT;
    unhex(&want, hex);
    struct err e = {0, ""};
    ASSERT_EQ(dns_write(&got, m, compress, &e), 0);
    ASSERT_MEMEQ(buf_ptr(&got), got.len, buf_ptr(&want), want.len);
    buf_clear(&want);
    buf_clear(&got);
}

/* dns.mitm's AAAA answer, as mitmproxy 8.1.1 packs it. */
#define AAAA_RESPONSE                                                                              \
    "23458580000100010000000003777777076578616d706c65047465737400001c0001"                         \
    "03777777076578616d706c65047465737400001c00010000012c0010"                                     \
    "00000000000000000000000000000001"

TEST(dns_parse_fixture_messages)
{
    struct dns_message *q =
        parse_hex("123401000001000000000000076578616d706c6504746573740000010001");
    ASSERT_EQ(q->id, 0x1234);
    ASSERT(q->query && q->recursion_desired && !q->recursion_available);
    ASSERT_EQ(q->op_code, 0);
    ASSERT_EQ(q->nquestions, 1);
    ASSERT_STREQ(q->questions[0].name, "example.test");
    ASSERT_EQ(q->questions[0].type, DNS_TYPE_A);
    ASSERT_EQ(q->questions[0].class_, DNS_CLASS_IN);
    ASSERT_EQ(q->answers.n + q->authorities.n + q->additionals.n, 0);
    assert_writes(q, 0, "123401000001000000000000076578616d706c6504746573740000010001");
    dns_message_free(q);

    struct dns_message *r = parse_hex(AAAA_RESPONSE);
    ASSERT(!r->query && r->authoritative_answer && r->recursion_available);
    ASSERT_EQ(r->answers.n, 1);
    ASSERT_EQ(r->answers.v[0].ttl, 300);
    ASSERT_EQ(r->answers.v[0].type, DNS_TYPE_AAAA);
    ASSERT_EQ(r->answers.v[0].data.len, 16);
    assert_writes(r, 0, AAAA_RESPONSE);
    /* Compressed, the answer's name is a pointer to the question's. */
    assert_writes(r, 1,
                  "23458580000100010000000003777777076578616d706c65047465737400001c0001"
                  "c00c001c00010000012c001000000000000000000000000000000001");
    struct buf b = BUF_INIT;
    dns_message_content(&b, r);
    ASSERT_BUF_STR(&b, "www.example.test\r\n::1");
    ASSERT_EQ(dns_message_size(r), 16);
    buf_clear(&b);
    dns_message_free(r);

    struct dns_message *nx =
        parse_hex("345685830001000000000000076d697373696e6707696e76616c69640000010001");
    ASSERT_EQ(nx->response_code, DNS_RCODE_NXDOMAIN);
    dns_message_free(nx);
}

/*
 * A resolver's answer for www.example.org (CNAME, then A), names compressed,
 * the CNAME's target too, with an EDNS OPT record in the additional section.
 */
#define CNAME_RESPONSE                                                                             \
    "abcd81800001000200000001"                   /* header */                                      \
    "03777777076578616d706c65036f72670000010001" /* q: www.example.org A */                        \
    "c00c000500010000003c00060363646ec010"       /* CNAME cdn.example.org */                       \
    "c02d000100010000003c00045db8d822"           /* cdn.example.org A */                           \
    "0000290200000000000000"                     /* OPT */

TEST(dns_parse_expands_compressed_names)
{
    struct dns_message *m = parse_hex(CNAME_RESPONSE);
    ASSERT_EQ(m->answers.n, 2);
    ASSERT_STREQ(m->answers.v[0].name, "www.example.org");
    ASSERT_EQ(m->answers.v[0].type, DNS_TYPE_CNAME);
    /* The CNAME's data now stands alone: cdn.example.org in full. */
    struct buf want = BUF_INIT;
    unhex(&want, "036364 6e076578616d706c65036f726700");
    ASSERT_MEMEQ(buf_ptr(&m->answers.v[0].data), m->answers.v[0].data.len, buf_ptr(&want),
                 want.len);
    ASSERT_STREQ(m->answers.v[1].name, "cdn.example.org");
    ASSERT_EQ(m->additionals.n, 1);
    ASSERT_EQ(m->additionals.v[0].type, DNS_TYPE_OPT);
    ASSERT_STREQ(m->additionals.v[0].name, "");
    ASSERT_EQ(m->additionals.v[0].class_, 512);
    struct buf b = BUF_INIT;
    dns_message_content(&b, m);
    ASSERT_BUF_STR(&b, "www.example.org\r\ncdn.example.org\r\n93.184.216.34\r\n0x");

    /* Written compressed and read back, the message is the same. */
    buf_reset(&b);
    ASSERT_EQ(dns_write(&b, m, 1, NULL), 0);
    struct dns_message *again = NULL;
    ASSERT_EQ(dns_parse(buf_ptr(&b), b.len, NULL, &again, NULL), 0);
    ASSERT(dns_message_equal(m, again));
    struct buf plain = BUF_INIT;
    ASSERT_EQ(dns_write(&plain, m, 0, NULL), 0);
    ASSERT(b.len < plain.len);
    struct dns_message *copy = dns_message_copy(m);
    ASSERT(dns_message_equal(copy, m));
    copy->answers.v[1].ttl = 1;
    ASSERT(!dns_message_equal(copy, m));
    dns_message_free(copy);
    dns_message_free(again);
    dns_message_free(m);
    buf_clear(&b);
    buf_clear(&plain);
    buf_clear(&want);
}

TEST(dns_parse_header_rules)
{
    PARSE_FAILS("1234010000010000", MP_ERR_PROTOCOL, "header: message of 8 bytes");
    /* 3 questions announced, room for none. */
    PARSE_FAILS("123401000003000000000000", MP_ERR_PROTOCOL, "3 questions and 0 records");
    /* 65535 answers are over the entry limit before any is read. */
    PARSE_FAILS("123401000001ffff00000000", MP_ERR_LIMIT, "exceed the limit");
    PARSE_FAILS("123401000001000000000000076578616d706c6504746573740000010001ff", MP_ERR_PROTOCOL,
                "1 bytes after the last record");
    struct dns_limits lim;
    dns_limits_default(&lim);
    lim.max_message = 20;
    struct buf b = BUF_INIT;
    unhex(&b, "123401000001000000000000076578616d706c6504746573740000010001");
    struct dns_message *m = NULL;
    struct err e = {0, ""};
    ASSERT_EQ(dns_parse(buf_ptr(&b), b.len, &lim, &m, &e), MP_ERR_LIMIT);
    ASSERT(strstr(e.msg, "exceeds the limit of 20") != NULL);
    buf_clear(&b);
}

TEST(dns_parse_name_rules)
{
    /* The question's name points at itself. */
    PARSE_FAILS("123401000001000000000000c00c00010001", MP_ERR_PROTOCOL,
                "question #0: name at offset 12: compression pointer to 12 does not point");
    /* A pointer forward, past the name. */
    PARSE_FAILS("123401000001000000000000c01000010001000000", MP_ERR_PROTOCOL,
                "does not point backwards");
    /* Two names pointing at each other: the second must point before itself,
     * the first then may not point forward to it. */
    PARSE_FAILS("123401000002000000000000c01200010001c00c00010001", MP_ERR_PROTOCOL, "question #0");
    PARSE_FAILS("123401000001000000000000 4161 00 00010001", MP_ERR_PROTOCOL,
                "label type 0x40 unsupported");
    PARSE_FAILS("123401000001000000000000 09616263 00010001", MP_ERR_PROTOCOL,
                "question #0: name at offset 12: label of 9 bytes runs past the end");
    PARSE_FAILS("12340100000100000000000003a1626300 00010001", MP_ERR_PROTOCOL,
                "label holds the byte 0xa1");
    PARSE_FAILS("123401000001000000000000036162 2e00 00010001", MP_ERR_PROTOCOL,
                "label holds the byte 0x2e");
    PARSE_FAILS("123401000001000000000000016100 0001", MP_ERR_PROTOCOL,
                "question #0: type and class at offset 15 cut short");

    /* A name of 256 wire bytes: 4 labels of 63 and one of 3. */
    struct buf b = BUF_INIT;
    unhex(&b, "123401000001000000000000");
    for (int i = 0; i < 4; i++) {
        uint8_t l = 63;
        buf_append(&b, &l, 1);
        for (int k = 0; k < 63; k++)
            buf_append(&b, "a", 1);
    }
    buf_append(&b,
               "\x03"
               "abc"
               "\x00"
               "\x00\x01\x00\x01",
               9);
    struct dns_message *m = NULL;
    struct err e = {0, ""};
    ASSERT_EQ(dns_parse(buf_ptr(&b), b.len, NULL, &m, &e), MP_ERR_PROTOCOL);
    ASSERT(strstr(e.msg, "longer than 255 bytes") != NULL);
    buf_clear(&b);

    /* A chain of pointers, each further back, is followed up to the limit. */
    struct dns_limits lim;
    dns_limits_default(&lim);
    lim.max_pointers = 1;
    unhex(&b, "123401000003000000000000 016100 00010001 0162c00c 00010001 0163c013 00010001");
    ASSERT_EQ(dns_parse(buf_ptr(&b), b.len, NULL, &m, NULL), 0);
    ASSERT_STREQ(m->questions[2].name, "c.b.a");
    dns_message_free(m);
    ASSERT_EQ(dns_parse(buf_ptr(&b), b.len, &lim, &m, &e), MP_ERR_LIMIT);
    ASSERT(strstr(e.msg, "question #2") && strstr(e.msg, "more than 1 pointers"));
    buf_clear(&b);
}

TEST(dns_parse_record_rules)
{
    PARSE_FAILS("123481800000000100000000 0361626300 000100010000", MP_ERR_PROTOCOL,
                "answer #0: record at offset 17 needs 10 bytes, 6 are left");
    PARSE_FAILS("123481800000000000010000 00 00010001 0000003c 0005 7f000001", MP_ERR_PROTOCOL,
                "authority #0: data of 5 bytes at offset 23 runs past the end");
    /* A CNAME whose data is no name stays as it came. */
    struct dns_message *m = parse_hex("123481800000000100000000 00 00050001 0000003c 0002 c0ff");
    ASSERT_EQ(m->answers.v[0].data.len, 2);
    struct buf b = BUF_INIT;
    dns_rr_str(&b, &m->answers.v[0]);
    ASSERT_BUF_STR(&b, "0xc0ff (invalid CNAME data)");
    buf_clear(&b);
    dns_message_free(m);
}

TEST(dns_write_rules)
{
    struct dns_message *m = dns_message_new();
    m->id = 7;
    dns_add_question(m, "a..b", DNS_TYPE_A, DNS_CLASS_IN);
    struct buf b = BUF_INIT;
    struct err e = {0, ""};
    ASSERT_EQ(dns_write(&b, m, 0, &e), MP_ERR_INVAL);
    ASSERT(strstr(e.msg, "question #0: domain name 'a..b' has a label of 0 bytes") != NULL);
    ASSERT_EQ(b.len, 0);
    free(m->questions[0].name);
    m->questions[0].name = strdup("example.");
    ASSERT_EQ(dns_write(&b, m, 1, &e), MP_ERR_INVAL);
    free(m->questions[0].name);
    m->questions[0].name = strdup("ex\xc3\xa4mple");
    ASSERT_EQ(dns_write(&b, m, 0, &e), MP_ERR_INVAL);
    ASSERT(strstr(e.msg, "byte 0xc3") != NULL);
    free(m->questions[0].name);
    m->questions[0].name = strdup("");
    struct dns_rr *rr = dns_add_rr(&m->answers, "", DNS_TYPE_A, DNS_CLASS_IN, 1, "\1\2\3\4", 4);
    buf_reserve(&rr->data, 70000);
    rr->data.len = 70000;
    memset(buf_ptr(&rr->data), 0, 70000);
    ASSERT_EQ(dns_write(&b, m, 0, &e), MP_ERR_LIMIT);
    ASSERT(strstr(e.msg, "answer #0: 70000 bytes of data exceed 65535") != NULL);
    buf_set(&rr->data, "\1\2\3\4", 4);
    m->op_code = 16;
    ASSERT_EQ(dns_write(&b, m, 0, &e), MP_ERR_INVAL);
    m->op_code = 0;
    ASSERT_EQ(dns_write(&b, m, 0, &e), 0);
    ASSERT_MEMEQ(buf_ptr(&b), b.len,
                 "\0\7\0\0\0\1\0\1\0\0\0\0"
                 "\0\0\1\0\1"
                 "\0\0\1\0\1\0\0\0\1\0\4\1\2\3\4",
                 32);
    buf_clear(&b);
    dns_message_free(m);

    /* A label of 64 bytes cannot be written. */
    char name[70];
    memset(name, 'a', 64);
    name[64] = '\0';
    ASSERT_EQ(dns_name_pack(&b, name, &e), MP_ERR_INVAL);
    ASSERT(strstr(e.msg, "label of 64 bytes") != NULL);
    ASSERT_EQ(b.len, 0);
    buf_clear(&b);
}

static void
str_is(uint16_t type, const void *data, size_t n, const char *want)
{
    struct dns_rr rr = {(char *)"x", type, DNS_CLASS_IN, 60, BUF_INIT};
    buf_append(&rr.data, data, n);
    struct buf b = BUF_INIT;
    dns_rr_str(&b, &rr);
    ASSERT_BUF_STR(&b, want);
    buf_clear(&b);
    buf_clear(&rr.data);
}

/* The text mitmproxy 8.1.1 gives each record (checked with its dns.py). */
TEST(dns_rr_str_as_mitmproxy)
{
    str_is(DNS_TYPE_A, "\x7f\0\0\x01", 4, "127.0.0.1");
    str_is(DNS_TYPE_A, "\x7f\0\0", 3, "0x7f0000 (invalid A data)");
    str_is(DNS_TYPE_AAAA, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16, "::1");
    str_is(DNS_TYPE_AAAA, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\1", 16, "::ffff:7f00:1");
    str_is(DNS_TYPE_AAAA, "\0\1\0\0\0\0\0\2\0\0\0\0\0\3\0\4", 16, "1::2:0:0:3:4");
    str_is(DNS_TYPE_AAAA, "\0\1\0\0\0\2\0\3\0\4\0\5\0\6\0\7", 16, "1:0:2:3:4:5:6:7");
    str_is(DNS_TYPE_AAAA, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16, "2001:db8::");
    str_is(DNS_TYPE_AAAA, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, "::");
    str_is(DNS_TYPE_AAAA, "\1\2", 2, "0x0102 (invalid AAAA data)");
    str_is(DNS_TYPE_CNAME, "\3www\7example\3org\0", 17, "www.example.org");
    str_is(DNS_TYPE_PTR, "\0", 1, "");
    str_is(DNS_TYPE_NS, "\3www", 4, "0x03777777 (invalid NS data)");
    /* TXT: the whole data as UTF-8, its length bytes too. */
    str_is(DNS_TYPE_TXT, "\5hello", 6, "\5hello");
    str_is(DNS_TYPE_TXT, "\2\xc3\xa4", 3, "\2\xc3\xa4");
    str_is(DNS_TYPE_TXT, "\1\xff", 2, "0x01ff (invalid TXT data)");
    str_is(DNS_TYPE_MX, "\0\12\4mail\0", 8, "0x000a046d61696c00");
    str_is(4242, "", 0, "0x");
}

TEST(dns_rdata_typed)
{
    struct dns_rdata r;
    struct err e = {0, ""};
    ASSERT_EQ(dns_rdata_parse(DNS_TYPE_MX, (const uint8_t *)"\0\12\4mail\0", 8, &r, &e), 0);
    ASSERT_EQ(r.u.mx.preference, 10);
    ASSERT_STREQ(r.u.mx.exchange, "mail");
    dns_rdata_clear(&r);
    ASSERT_EQ(dns_rdata_parse(DNS_TYPE_SRV, (const uint8_t *)"\0\1\0\2\1\273\3sip\0", 11, &r, &e),
              0);
    ASSERT_EQ(r.u.srv.priority, 1);
    ASSERT_EQ(r.u.srv.weight, 2);
    ASSERT_EQ(r.u.srv.port, 443);
    ASSERT_STREQ(r.u.srv.target, "sip");
    dns_rdata_clear(&r);
    const uint8_t soa[] = "\2ns\0\4host\0\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5";
    ASSERT_EQ(dns_rdata_parse(DNS_TYPE_SOA, soa, sizeof(soa) - 1, &r, &e), 0);
    ASSERT_STREQ(r.u.soa.mname, "ns");
    ASSERT_STREQ(r.u.soa.rname, "host");
    ASSERT_EQ(r.u.soa.serial, 1);
    ASSERT_EQ(r.u.soa.minimum, 5);
    dns_rdata_clear(&r);
    ASSERT_EQ(dns_rdata_parse(DNS_TYPE_SOA, soa, sizeof(soa) - 2, &r, &e), MP_ERR_PROTOCOL);
    ASSERT(strstr(e.msg, "SOA counters take 19 bytes") != NULL);
    ASSERT_EQ(dns_rdata_parse(DNS_TYPE_TXT, (const uint8_t *)"\2hi\0\3abc", 8, &r, &e), 0);
    ASSERT_EQ(r.u.txt.n, 3);
    ASSERT_MEMEQ(r.u.txt.strings[2].p, r.u.txt.strings[2].len, "abc", 3);
    ASSERT_EQ(r.u.txt.strings[1].len, 0);
    dns_rdata_clear(&r);
    ASSERT_EQ(dns_rdata_parse(DNS_TYPE_TXT, (const uint8_t *)"\5hi", 3, &r, &e), MP_ERR_PROTOCOL);
    ASSERT(strstr(e.msg, "5 bytes run past") != NULL);
    /* HTTPS 1 . alpn=h2,h3 ipv4hint=1.2.3.4 */
    const uint8_t https[] = "\0\1\0"
                            "\0\1\0\6\2h2\2h3"
                            "\0\4\0\4\1\2\3\4";
    ASSERT_EQ(dns_rdata_parse(DNS_TYPE_HTTPS, https, sizeof(https) - 1, &r, &e), 0);
    ASSERT_EQ(r.u.svcb.priority, 1);
    ASSERT_STREQ(r.u.svcb.target, "");
    ASSERT_EQ(r.u.svcb.nparams, 2);
    char tmp[DNS_STR_MAX];
    ASSERT_STREQ(dns_svcparam_key_str(r.u.svcb.params[0].key, tmp), "alpn");
    ASSERT_MEMEQ(r.u.svcb.params[0].value.p, r.u.svcb.params[0].value.len, "\2h2\2h3", 6);
    ASSERT_STREQ(dns_svcparam_key_str(r.u.svcb.params[1].key, tmp), "ipv4hint");
    ASSERT_STREQ(dns_svcparam_key_str(9000, tmp), "key9000");
    dns_rdata_clear(&r);
    const uint8_t unordered[] = "\0\1\0\0\4\0\4\1\2\3\4\0\1\0\0";
    ASSERT_EQ(dns_rdata_parse(DNS_TYPE_SVCB, unordered, sizeof(unordered) - 1, &r, &e),
              MP_ERR_PROTOCOL);
    ASSERT(strstr(e.msg, "not ascending") != NULL);
    ASSERT_EQ(dns_rdata_parse(DNS_TYPE_A, (const uint8_t *)"\1\2\3\4", 4, &r, &e), 0);
    ASSERT_EQ(r.u.a[3], 4);
    dns_rdata_clear(&r);
    ASSERT_EQ(dns_rdata_parse(DNS_TYPE_CNAME, (const uint8_t *)"\1a\0x", 4, &r, &e),
              MP_ERR_PROTOCOL);
    ASSERT(strstr(e.msg, "1 bytes after the name") != NULL);
    ASSERT_EQ(dns_rdata_parse(99, (const uint8_t *)"", 0, &r, &e), MP_ERR_UNSUPPORTED);
}

TEST(dns_names_of_numbers)
{
    char tmp[DNS_STR_MAX];
    ASSERT_STREQ(dns_type_str(1, tmp), "A");
    ASSERT_STREQ(dns_type_str(28, tmp), "AAAA");
    ASSERT_STREQ(dns_type_str(65, tmp), "HTTPS");
    ASSERT_STREQ(dns_type_str(23, tmp), "NSAP_PTR");
    ASSERT_STREQ(dns_type_str(32769, tmp), "DLV");
    ASSERT_STREQ(dns_type_str(54, tmp), "TYPE(54)");
    ASSERT_STREQ(dns_class_str(1, tmp), "IN");
    ASSERT_STREQ(dns_class_str(2, tmp), "CLASS(2)");
    ASSERT_STREQ(dns_opcode_str(0, tmp), "QUERY");
    ASSERT_STREQ(dns_opcode_str(3, tmp), "OPCODE(3)");
    ASSERT_STREQ(dns_rcode_str(3, tmp), "NXDOMAIN");
    ASSERT_STREQ(dns_rcode_str(15, tmp), "RCODE(15)");
    ASSERT_EQ(dns_rcode_http_status(3), 404);
    ASSERT_EQ(dns_rcode_http_status(12), 500);
}
