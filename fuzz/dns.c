/*
 * libFuzzer target for the DNS codec: any input either parses into a
 * message that writes back (with and without compression) into bytes that
 * parse to the same message, or fails cleanly. Every record's data also
 * goes through the typed reader and the printer.
 */
#include <stdlib.h>

#include "dns/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Reads every record's data; returns 1 if a record of a type whose names
 * the parser expands kept its data raw (it did not read as its type): such
 * data may hold pointers that mean something else in the rewritten
 * message, so the round trip is not required to give the same message.
 */
static int
records(const struct dns_rrs *l)
{
    int raw = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct dns_rdata r;
        const struct dns_rr *rr = &l->v[i];
        int rc = dns_rdata_parse(rr->type, buf_ptr(&rr->data), rr->data.len, &r, NULL);
        if (rc == 0)
            dns_rdata_clear(&r);
        else if (rr->type == DNS_TYPE_NS || rr->type == DNS_TYPE_CNAME ||
                 rr->type == DNS_TYPE_PTR || rr->type == DNS_TYPE_MX || rr->type == DNS_TYPE_SOA)
            raw = 1;
    }
    return raw;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_message *m = NULL;
    if (dns_parse(data, size, NULL, &m, NULL) != 0)
        return 0;
    int raw = records(&m->answers) | records(&m->authorities) | records(&m->additionals);
    struct buf text = BUF_INIT;
    dns_message_content(&text, m);
    buf_clear(&text);
    for (int compress = 0; compress < 2; compress++) {
        struct buf b = BUF_INIT;
        struct dns_message *again = NULL;
        struct err e = {0, ""};
        /* Expanded names may grow a message past 65535 bytes. */
        int rc = dns_write(&b, m, compress, &e);
        if (rc != 0 && rc != MP_ERR_LIMIT)
            abort();
        if (rc == 0 && (dns_parse(buf_ptr(&b), b.len, NULL, &again, NULL) != 0 ||
                        (!raw && !dns_message_equal(m, again))))
            abort();
        dns_message_free(again);
        buf_clear(&b);
    }
    dns_message_free(m);
    return 0;
}
