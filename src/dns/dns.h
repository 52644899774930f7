/*
 * DNS message codec (RFC 1035): pure functions over byte buffers, no I/O.
 *
 * A message is parsed whole, as UDP delivers it and as TCP delivers it after
 * its two-byte length prefix, into the fields mitmproxy models (its
 * dns.Message, Question and ResourceRecord). Record data stays the bytes of
 * the wire, as mitmproxy keeps it, except that compressed names inside the
 * data of the RFC 1035 types that carry names are expanded, so the data
 * means the same outside the message. dns_rdata_parse() reads the data of
 * the types mitmproxy knows (A, AAAA, CNAME, NS, PTR, TXT, MX, SRV, SOA,
 * SVCB, HTTPS); dns_rr_str() prints a record as mitmproxy 8.1.1 does.
 *
 * Every limit and every malformation is an error whose message names the
 * part ("answer #2: name at offset 40: ..."), never a crash.
 */
#ifndef MP_DNS_DNS_H
#define MP_DNS_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* The numbers mitmproxy names (net/dns/types.py, classes.py, op_codes.py,
 * response_codes.py); any other value is kept as it is. */
enum {
    DNS_TYPE_A = 1,
    DNS_TYPE_NS = 2,
    DNS_TYPE_CNAME = 5,
    DNS_TYPE_SOA = 6,
    DNS_TYPE_PTR = 12,
    DNS_TYPE_MX = 15,
    DNS_TYPE_TXT = 16,
    DNS_TYPE_AAAA = 28,
    DNS_TYPE_SRV = 33,
    DNS_TYPE_OPT = 41,
    DNS_TYPE_SVCB = 64,
    DNS_TYPE_HTTPS = 65,
};
enum { DNS_CLASS_IN = 1 };
enum { DNS_OP_QUERY = 0 };
enum {
    DNS_RCODE_NOERROR = 0,
    DNS_RCODE_FORMERR = 1,
    DNS_RCODE_SERVFAIL = 2,
    DNS_RCODE_NXDOMAIN = 3,
    DNS_RCODE_NOTIMP = 4,
    DNS_RCODE_REFUSED = 5,
};
/* The TTL of the records mitmproxy makes itself (ResourceRecord.DEFAULT_TTL). */
#define DNS_DEFAULT_TTL 60

#define DNS_HEADER_LEN 12
#define DNS_MAX_NAME 255 /* wire bytes of a name, RFC 1035 2.3.4 */
#define DNS_MAX_LABEL 63
#define DNS_MAX_MESSAGE 65535
/* Longest "TYPE(65535)"-style fallback name, with its NUL. */
#define DNS_STR_MAX 16

struct dns_limits {
    size_t max_message;  /* bytes; at most DNS_MAX_MESSAGE */
    size_t max_records;  /* questions and records of all four sections together */
    size_t max_pointers; /* compression pointers followed for one name */
};

/* 65535 bytes, 4096 entries, 32 pointers per name. */
void dns_limits_default(struct dns_limits *);

/*
 * A name is its labels joined with '.', without the root's trailing dot;
 * the root is "". Labels hold printable ASCII and control characters but
 * never '.', NUL or bytes above 0x7f (mitmproxy 8.1.1 refuses those too).
 */
struct dns_question {
    char *name; /* owned */
    uint16_t type;
    uint16_t class_;
};

struct dns_rr {
    char *name; /* owned */
    uint16_t type;
    uint16_t class_;
    uint32_t ttl;
    struct buf data; /* owned: the RDATA */
};

struct dns_rrs {
    struct dns_rr *v; /* owned array */
    size_t n, cap;
};

struct dns_message {
    double timestamp; /* when it was sent or received; 0 = not set */
    uint16_t id;
    uint8_t op_code;       /* 4 bits */
    uint8_t reserved;      /* 3 bits, the Z field */
    uint8_t response_code; /* 4 bits */
    unsigned query : 1;    /* QR is 0 */
    unsigned authoritative_answer : 1;
    unsigned truncation : 1;
    unsigned recursion_desired : 1;
    unsigned recursion_available : 1;
    struct dns_question *questions; /* owned array */
    size_t nquestions, capquestions;
    struct dns_rrs answers, authorities, additionals;
};

/* An empty query (every field 0, query = 1); dns_message_free(NULL) is a no-op. */
struct dns_message *dns_message_new(void);
void dns_message_free(struct dns_message *);
/* A deep copy; the caller owns it. */
struct dns_message *dns_message_copy(const struct dns_message *);
/*
 * An answer to query q (mitmproxy's Message.succeed and Message.fail): q's
 * id, op code, questions and RD bit, no records, QR set, RA set only for
 * NOERROR, the given response code. The caller owns it and adds answers;
 * timestamp is 0 (the caller stamps it).
 */
struct dns_message *dns_message_answer(const struct dns_message *q, unsigned rcode);
/* 1 if a and b hold the same fields (timestamps included). */
int dns_message_equal(const struct dns_message *a, const struct dns_message *b);

/* Appends a question or a record (name copied, data of n bytes copied);
 * returns it, borrowed until the next append to the same list. */
struct dns_question *dns_add_question(struct dns_message *, const char *name, uint16_t type,
                                      uint16_t class_);
struct dns_rr *dns_add_rr(struct dns_rrs *, const char *name, uint16_t type, uint16_t class_,
                          uint32_t ttl, const void *data, size_t n);

/*
 * Parses the message at p[0..len), all of it: trailing bytes are an error,
 * as in mitmproxy's Message.unpack. Returns 0 with *out a new message the
 * caller owns (timestamp 0), or MP_ERR_PROTOCOL / MP_ERR_LIMIT with e->msg
 * naming the section, the entry and the offset. limits may be NULL
 * (dns_limits_default()).
 */
int dns_parse(const uint8_t *p, size_t len, const struct dns_limits *, struct dns_message **out,
              struct err *e);

/*
 * Appends the wire form of m to out. compress: owner names repeat earlier
 * names through pointers (RFC 1035 4.1.4); record data is written as it is.
 * Returns 0, or MP_ERR_INVAL (a name that cannot be encoded, a field out of
 * range) / MP_ERR_LIMIT (over 65535 bytes or entries) with out unchanged.
 */
int dns_write(struct buf *out, const struct dns_message *m, int compress, struct err *e);

/* A name in wire form without compression (mitmproxy's domain_names.pack). */
int dns_name_pack(struct buf *out, const char *name, struct err *e);
/* The name that is all of p[0..n), without pointers (domain_names.unpack);
 * a new string the caller frees, or NULL with e set. */
char *dns_name_unpack(const uint8_t *p, size_t n, struct err *e);

/* The names mitmproxy gives the numbers, or "TYPE(n)", "CLASS(n)",
 * "OPCODE(n)", "RCODE(n)" written into tmp. */
const char *dns_type_str(unsigned type, char tmp[DNS_STR_MAX]);
const char *dns_class_str(unsigned class_, char tmp[DNS_STR_MAX]);
const char *dns_opcode_str(unsigned op, char tmp[DNS_STR_MAX]);
const char *dns_rcode_str(unsigned rcode, char tmp[DNS_STR_MAX]);
/* The HTTP status mitmproxy shows for a response code (500 if unnamed). */
int dns_rcode_http_status(unsigned rcode);

/* One SvcParam of an SVCB or HTTPS record (RFC 9460 2.2). */
struct dns_svcparam {
    uint16_t key;
    struct slice value; /* borrowed from the record data */
};

/*
 * The data of a record, typed. Names are owned; slices (TXT strings, SVCB
 * params) point into the data given to dns_rdata_parse(), which must
 * outlive this.
 */
struct dns_rdata {
    uint16_t type;
    union {
        uint8_t a[4];
        uint8_t aaaa[16];
        char *name; /* CNAME, NS, PTR */
        struct {
            uint16_t preference;
            char *exchange;
        } mx;
        struct {
            uint16_t priority, weight, port;
            char *target;
        } srv;
        struct {
            char *mname, *rname;
            uint32_t serial, refresh, retry, expire, minimum;
        } soa;
        struct {
            struct slice *strings; /* owned array */
            size_t n;
        } txt;
        struct {
            uint16_t priority; /* 0: alias form */
            char *target;
            struct dns_svcparam *params; /* owned array, keys ascending */
            size_t nparams;
        } svcb; /* SVCB and HTTPS */
    } u;
};

/*
 * Reads the data of a record of the given type. Returns 0, MP_ERR_UNSUPPORTED
 * for a type not listed above (the data is then only bytes), or
 * MP_ERR_PROTOCOL with e->msg naming what is wrong. Clear with
 * dns_rdata_clear() after a 0.
 */
int dns_rdata_parse(uint16_t type, const uint8_t *p, size_t n, struct dns_rdata *out,
                    struct err *e);
void dns_rdata_clear(struct dns_rdata *);
/* RFC 9460's name of a SvcParamKey ("alpn", "ipv4hint", ...) or "key<n>". */
const char *dns_svcparam_key_str(unsigned key, char tmp[DNS_STR_MAX]);

/*
 * mitmproxy 8.1.1's str(ResourceRecord), appended to out: the address of A
 * and AAAA, the name of NS, CNAME and PTR, the data as UTF-8 for TXT, and
 * "0x<hex>" for every other type; data that does not fit its type gives
 * "0x<hex> (invalid <TYPE> data)".
 */
void dns_rr_str(struct buf *out, const struct dns_rr *);
/* Message.content: the questions' names and the records' str(), joined by
 * "\r\n". */
void dns_message_content(struct buf *out, const struct dns_message *);
/* Message.size: the bytes of record data in the three record sections. */
size_t dns_message_size(const struct dns_message *);

#endif
