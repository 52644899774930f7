/*
 * The C side of mitmproxy.dns (src/script/io.c): a script's DNS messages
 * are packed into the C flow as they change, so the DNS layer sends what
 * the script left there, and bad values are refused with the flow intact.
 */
#include "tscript.h"

#include <string.h>

/* A DNS flow asking for example.com A with id 42 and RD set. */
static struct flow *
query_flow(void)
{
    struct flow *f = flow_new_dns(NULL, NULL);
    f->live = 0;
    f->dns_request = dns_message_new();
    f->dns_request->id = 42;
    f->dns_request->recursion_desired = 1;
    ASSERT(dns_add_question(f->dns_request, "example.com", 1, 1) != NULL);
    return f;
}

TEST(script_dns_succeed_and_fail_become_the_c_answer)
{
    tscript_start();
    struct flow *f = query_flow();
    tscript_run(f, "import ipaddress\n"
               "from mitmproxy import dns\n"
               "f.response = f.request.succeed([dns.ResourceRecord.A(\n"
               "    'example.com', ipaddress.IPv4Address('10.0.0.7'), ttl=5)])\n");
    struct dns_message *m = f->dns_response;
    ASSERT(m != NULL);
    ASSERT_EQ(m->id, 42);
    ASSERT(!m->query && m->recursion_desired && m->recursion_available);
    ASSERT_EQ(m->response_code, 0);
    ASSERT_EQ(m->nquestions, 1);
    ASSERT_STREQ(m->questions[0].name, "example.com");
    ASSERT_EQ(m->answers.n, 1);
    ASSERT_EQ(m->answers.v[0].ttl, 5);
    ASSERT_EQ(m->answers.v[0].data.len, 4);
    ASSERT(memcmp(buf_ptr(&m->answers.v[0].data), "\x0a\x00\x00\x07", 4) == 0);
    ASSERT(m->timestamp > 0);

    tscript_run(f, "from mitmproxy import dns\n"
               "f.response = f.request.fail(dns.response_codes.NXDOMAIN)\n"
               "assert f.response.response_code == 3 and f.response.answers == []\n");
    ASSERT_EQ(f->dns_response->response_code, 3);
    ASSERT_EQ(f->dns_response->answers.n, 0);
    ASSERT(!f->dns_response->recursion_available);
    tscript_run(f, "f.response = None\nassert f.response is None\n");
    ASSERT(f->dns_response == NULL);
    flow_unref(f);
}

TEST(script_dns_in_place_edits_reach_the_c_flow)
{
    tscript_start();
    struct flow *f = query_flow();
    tscript_run(f, "from mitmproxy import dns\n"
               "f.request.questions[0].name = 'other.test'\n"
               "f.request.questions.append(dns.Question('x.test', dns.types.AAAA, 1))\n"
               "f.request.id = 7\n"
               "r = f.request.succeed([])\n"
               "f.response = r\n"
               "r.answers.append(dns.ResourceRecord.TXT('other.test', 'hi'))\n"
               "r.answers[0].ttl = 9\n"
               "f.response.answers[0].text = 'hello'\n");
    ASSERT_EQ(f->dns_request->id, 7);
    ASSERT_EQ(f->dns_request->nquestions, 2);
    ASSERT_STREQ(f->dns_request->questions[0].name, "other.test");
    ASSERT_EQ(f->dns_request->questions[1].type, 28);
    ASSERT_EQ(f->dns_response->answers.n, 1);
    ASSERT_EQ(f->dns_response->answers.v[0].ttl, 9);
    ASSERT_EQ(f->dns_response->answers.v[0].data.len, 5);
    ASSERT(memcmp(buf_ptr(&f->dns_response->answers.v[0].data), "hello", 5) == 0);
    flow_unref(f);
}

TEST(script_dns_bad_values_raise_and_keep_the_message)
{
    tscript_start();
    struct flow *f = query_flow();
    tscript_run(f, "from mitmproxy import dns\n"
               "m = f.request\n"
               "for field, value in (('id', 70000), ('op_code', 16), ('reserved', -1)):\n"
               "    try:\n"
               "        setattr(m, field, value)\n"
               "    except ValueError as e:\n"
               "        assert field in str(e), e\n"
               "    else:\n"
               "        raise AssertionError(field)\n"
               "try:\n"
               "    m.questions[0].name = 'a' * 64 + '.test'\n"
               "except ValueError:\n"
               "    pass\n"
               "else:\n"
               "    raise AssertionError('long label')\n"
               "try:\n"
               "    f.request = None\n"
               "except ValueError:\n"
               "    pass\n"
               "else:\n"
               "    raise AssertionError('None request')\n"
               "assert m.id == 42\n");
    ASSERT_EQ(f->dns_request->id, 42);
    ASSERT_EQ(f->dns_request->op_code, 0);
    ASSERT_STREQ(f->dns_request->questions[0].name, "example.com");
    flow_unref(f);
}

TEST(script_dns_packed_round_trips_through_unpack)
{
    tscript_start();
    struct flow *f = query_flow();
    tscript_run(f, "from mitmproxy import dns\n"
               "m = f.request\n"
               "b = m.packed\n"
               "assert b[:2] == b'\\x00\\x2a' and len(b) == 12 + 13 + 4, b\n"
               "u = dns.Message.unpack(b)\n"
               "assert u.questions == m.questions and u.id == 42\n"
               "c = m.copy()\n"
               "assert c.questions == m.questions and c._bound is None\n"
               "assert dns.types.to_str(65) == 'HTTPS' and dns.types.AAAA == 28\n"
               "assert dns.response_codes.to_str(3) == 'NXDOMAIN'\n"
               "assert dns.op_codes.QUERY == 0 and dns.classes.IN == 1\n"
               "try:\n"
               "    dns.Message.unpack(b + b'x')\n"
               "except ValueError:\n"
               "    pass\n"
               "else:\n"
               "    raise AssertionError('trailing byte')\n");
    flow_unref(f);
}
