/*
 * The names mitmproxy shows for DNS numbers: record types (the IANA
 * mnemonics, with NSAP_PTR spelled as mitmproxy spells it), classes, op
 * codes and response codes, and the HTTP status mitmweb pairs with a
 * response code.
 */
#include <stdio.h>

#include "dns/dns.h"

struct name {
    unsigned v;
    const char *s;
};

/* IANA's DNS RR TYPEs, ascending. */
static const struct name types[] = {
    {1, "A"},           {2, "NS"},         {3, "MD"},        {4, "MF"},       {5, "CNAME"},
    {6, "SOA"},         {7, "MB"},         {8, "MG"},        {9, "MR"},       {10, "NULL"},
    {11, "WKS"},        {12, "PTR"},       {13, "HINFO"},    {14, "MINFO"},   {15, "MX"},
    {16, "TXT"},        {17, "RP"},        {18, "AFSDB"},    {19, "X25"},     {20, "ISDN"},
    {21, "RT"},         {22, "NSAP"},      {23, "NSAP_PTR"}, {24, "SIG"},     {25, "KEY"},
    {26, "PX"},         {27, "GPOS"},      {28, "AAAA"},     {29, "LOC"},     {30, "NXT"},
    {31, "EID"},        {32, "NIMLOC"},    {33, "SRV"},      {34, "ATMA"},    {35, "NAPTR"},
    {36, "KX"},         {37, "CERT"},      {38, "A6"},       {39, "DNAME"},   {40, "SINK"},
    {41, "OPT"},        {42, "APL"},       {43, "DS"},       {44, "SSHFP"},   {45, "IPSECKEY"},
    {46, "RRSIG"},      {47, "NSEC"},      {48, "DNSKEY"},   {49, "DHCID"},   {50, "NSEC3"},
    {51, "NSEC3PARAM"}, {52, "TLSA"},      {53, "SMIMEA"},   {55, "HIP"},     {56, "NINFO"},
    {57, "RKEY"},       {58, "TALINK"},    {59, "CDS"},      {60, "CDNSKEY"}, {61, "OPENPGPKEY"},
    {62, "CSYNC"},      {63, "ZONEMD"},    {64, "SVCB"},     {65, "HTTPS"},   {99, "SPF"},
    {100, "UINFO"},     {101, "UID"},      {102, "GID"},     {103, "UNSPEC"}, {104, "NID"},
    {105, "L32"},       {106, "L64"},      {107, "LP"},      {108, "EUI48"},  {109, "EUI64"},
    {249, "TKEY"},      {250, "TSIG"},     {251, "IXFR"},    {252, "AXFR"},   {253, "MAILB"},
    {254, "MAILA"},     {255, "ANY"},      {256, "URI"},     {257, "CAA"},    {258, "AVC"},
    {259, "DOA"},       {260, "AMTRELAY"}, {32768, "TA"},    {32769, "DLV"},
};

static const char *
lookup(const struct name *t, size_t n, unsigned v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].v == v)
            return t[mid].s;
        if (t[mid].v < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static const char *
name_or(const struct name *t, size_t n, unsigned v, const char *fallback, char tmp[DNS_STR_MAX])
{
    const char *s = lookup(t, n, v);
    if (s)
        return s;
    snprintf(tmp, DNS_STR_MAX, "%s(%u)", fallback, v & 0xffff);
    return tmp;
}

#define N(t) (sizeof(t) / sizeof((t)[0]))

const char *
dns_type_str(unsigned type, char tmp[DNS_STR_MAX])
{
    return name_or(types, N(types), type, "TYPE", tmp);
}

const char *
dns_class_str(unsigned class_, char tmp[DNS_STR_MAX])
{
    static const struct name classes[] = {
        {1, "IN"}, {3, "CH"}, {4, "HS"}, {254, "NONE"}, {255, "ANY"}};
    return name_or(classes, N(classes), class_, "CLASS", tmp);
}

const char *
dns_opcode_str(unsigned op, char tmp[DNS_STR_MAX])
{
    static const struct name ops[] = {{0, "QUERY"},  {1, "IQUERY"}, {2, "STATUS"},
                                      {4, "NOTIFY"}, {5, "UPDATE"}, {6, "DSO"}};
    return name_or(ops, N(ops), op, "OPCODE", tmp);
}

/* RFC 1035, 2136, 8490 response codes and the HTTP status for each. */
static const struct {
    const char *s;
    int status;
} rcodes[] = {
    {"NOERROR", 200}, {"FORMERR", 400}, {"SERVFAIL", 500}, {"NXDOMAIN", 404},
    {"NOTIMP", 501},  {"REFUSED", 403}, {"YXDOMAIN", 409}, {"YXRRSET", 409},
    {"NXRRSET", 410}, {"NOTAUTH", 401}, {"NOTZONE", 404},  {"DSOTYPENI", 501},
};

const char *
dns_rcode_str(unsigned rcode, char tmp[DNS_STR_MAX])
{
    if (rcode < N(rcodes))
        return rcodes[rcode].s;
    snprintf(tmp, DNS_STR_MAX, "RCODE(%u)", rcode & 0xffff);
    return tmp;
}

int
dns_rcode_http_status(unsigned rcode)
{
    return rcode < N(rcodes) ? rcodes[rcode].status : 500;
}
