#include "tdns.h"
#include "test.h"

struct dns_message *
tdns_query(uint16_t id, const char *name, uint16_t type)
{
    struct dns_message *m = dns_message_new();
    m->id = id;
    m->recursion_desired = 1;
    dns_add_question(m, name, type, DNS_CLASS_IN);
    return m;
}

void
tdns_wire(struct buf *out, struct dns_message *m, int tcp)
{
    struct buf b = BUF_INIT;
    ASSERT_EQ(dns_write(&b, m, 0, NULL), 0);
    if (tcp) {
        uint8_t len[2] = {(uint8_t)(b.len >> 8), (uint8_t)b.len};
        buf_append(out, len, 2);
    }
    buf_append(out, buf_ptr(&b), b.len);
    buf_clear(&b);
    dns_message_free(m);
}
