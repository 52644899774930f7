/*
 * ClientHello parser over raw bytes (RFC 8446 sections 4.1.2 and 5.1,
 * RFC 5246 section 6.2.1, RFC 6066 section 3, RFC 7301 section 3.1).
 *
 * The handshake message may be fragmented over several records, so the
 * parser first walks the record layer to find the bytes of the message and
 * only then decodes it. Until the whole message has arrived the answer is
 * MP_ERR_INCOMPLETE, except that anything already visibly wrong (a record
 * header, the handshake type, the message length) is refused at once so the
 * proxy need not wait for bytes that cannot make the input valid.
 *
 * Every length field is checked against its container: a field that runs
 * past its container, or a container with bytes left over, is an error.
 */
#include <stdlib.h>
#include <string.h>

#include "tls/clienthello.h"
#include "util/xmalloc.h"

#define REC_HDR 5
/* RFC 5246 6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes. */
#define REC_MAX (16384 + 2048)
#define HS_HDR 4
#define HS_MAX (64 * 1024)

enum {
    CT_HANDSHAKE = 0x16,
    HT_CLIENT_HELLO = 1,
    EXT_SERVER_NAME = 0,
    EXT_ALPN = 16,
    EXT_SUPPORTED_VERSIONS = 43,
};

/* What the parser fills in, at the limits' sizes; ch_parse() packs it into
 * the caller's hello once the whole message is known to be good. */
struct scratch {
    char sni[CH_MAX_SNI + 1];
    char alpn[CH_MAX_ALPN][CH_MAX_ALPN_LEN + 1];
    size_t nalpn;
    uint16_t legacy_version;
    int has_supported_versions;
};

/* A read position in a byte range; every read checks the bytes remain. */
struct cur {
    const uint8_t *p;
    size_t len;
};

int
ch_is_tls(const uint8_t *p, size_t len)
{
    if (len < 3)
        return MP_ERR_INCOMPLETE;
    return p[0] == CT_HANDSHAKE && p[1] == 0x03 && (p[2] & 0xf0) == 0;
}

/*
 * Walks the records at p[0..len) and copies the first `want` handshake
 * bytes into dst (when dst is not NULL), or as many as have arrived. *got
 * says how many handshake bytes are there, counting partial records. The
 * return value is the offset just past the complete record holding byte
 * want - 1, MP_ERR_INCOMPLETE, or MP_ERR_PROTOCOL. With `last` set, that
 * record must end exactly at the end of the message.
 */
static ssize_t
records(const uint8_t *p, size_t len, size_t want, uint8_t *dst, size_t *got, int last,
        struct err *e)
{
    size_t off = 0;
    *got = 0;
    while (*got < want) {
        size_t avail = len - off;
        if (avail >= 1 && p[off] != CT_HANDSHAKE)
            return err_set(e, MP_ERR_PROTOCOL, "not a TLS handshake record (content type %u)",
                           p[off]);
        if (avail >= 2 && p[off + 1] != 0x03)
            return err_set(e, MP_ERR_PROTOCOL, "not a TLS handshake record (version %u.%u)",
                           p[off + 1], avail >= 3 ? p[off + 2] : 0);
        if (avail >= 3 && (p[off + 2] & 0xf0) != 0)
            return err_set(e, MP_ERR_PROTOCOL, "not a TLS handshake record (version 3.%u)",
                           p[off + 2]);
        if (avail < REC_HDR)
            return MP_ERR_INCOMPLETE;
        size_t rlen = (size_t)p[off + 3] << 8 | p[off + 4];
        if (rlen > REC_MAX)
            return err_set(e, MP_ERR_PROTOCOL, "record too long (%zu bytes)", rlen);
        /* RFC 8446 5.1 forbids empty handshake fragments. */
        if (rlen == 0)
            return err_set(e, MP_ERR_PROTOCOL, "empty handshake record");
        size_t need = want - *got;
        if (last && rlen > need)
            return err_set(e, MP_ERR_PROTOCOL, "%zu bytes after the ClientHello in its record",
                           rlen - need);
        size_t have = avail - REC_HDR < rlen ? avail - REC_HDR : rlen;
        size_t n = have < need ? have : need;
        if (dst)
            memcpy(dst + *got, p + off + REC_HDR, n);
        *got += n;
        if (have < rlen)
            return MP_ERR_INCOMPLETE;
        off += REC_HDR + rlen;
    }
    return (ssize_t)off;
}

static int
take(struct cur *c, size_t n, const uint8_t **out)
{
    if (c->len < n)
        return -1;
    *out = c->p;
    c->p += n;
    c->len -= n;
    return 0;
}

static int
u8(struct cur *c, size_t *v)
{
    const uint8_t *b;
    if (take(c, 1, &b) < 0)
        return -1;
    *v = b[0];
    return 0;
}

static int
u16(struct cur *c, size_t *v)
{
    const uint8_t *b;
    if (take(c, 2, &b) < 0)
        return -1;
    *v = (size_t)b[0] << 8 | b[1];
    return 0;
}

/*
 * Reads a vector with a 1- or 2-byte length prefix into sub. Fails when the
 * prefix or the body runs past c.
 */
static int
vec(struct cur *c, int prefix, struct cur *sub)
{
    size_t n;
    if ((prefix == 1 ? u8(c, &n) : u16(c, &n)) < 0)
        return -1;
    sub->len = n;
    return take(c, n, &sub->p);
}

/* RFC 6066 3: a ServerNameList; the first host_name entry is kept. */
static int
sni(struct cur c, struct scratch *out, struct err *e)
{
    struct cur list;
    if (vec(&c, 2, &list) < 0)
        return err_set(e, MP_ERR_PROTOCOL, "truncated extension 0 (server_name list)");
    if (c.len)
        return err_set(e, MP_ERR_PROTOCOL, "%zu bytes after the server_name list", c.len);
    if (list.len == 0)
        return err_set(e, MP_ERR_PROTOCOL, "empty server_name list");
    int found = 0;
    while (list.len) {
        size_t type;
        struct cur name;
        if (u8(&list, &type) < 0 || vec(&list, 2, &name) < 0)
            return err_set(e, MP_ERR_PROTOCOL, "truncated server_name entry");
        if (type != 0 || found)
            continue;
        if (name.len == 0)
            return err_set(e, MP_ERR_PROTOCOL, "empty server name");
        if (name.len > sizeof(out->sni) - 1)
            return err_set(e, MP_ERR_PROTOCOL, "server name too long (%zu bytes)", name.len);
        if (memchr(name.p, '\0', name.len))
            return err_set(e, MP_ERR_PROTOCOL, "server name contains NUL");
        memcpy(out->sni, name.p, name.len);
        out->sni[name.len] = '\0';
        found = 1;
    }
    return 0;
}

/* RFC 7301 3.1: a ProtocolNameList of non-empty names. */
static int
alpn(struct cur c, struct scratch *out, struct err *e)
{
    struct cur list;
    if (vec(&c, 2, &list) < 0)
        return err_set(e, MP_ERR_PROTOCOL, "truncated extension 16 (protocol list)");
    if (c.len)
        return err_set(e, MP_ERR_PROTOCOL, "%zu bytes after the ALPN protocol list", c.len);
    if (list.len == 0)
        return err_set(e, MP_ERR_PROTOCOL, "empty ALPN protocol list");
    while (list.len) {
        struct cur name;
        if (vec(&list, 1, &name) < 0)
            return err_set(e, MP_ERR_PROTOCOL, "truncated ALPN protocol");
        if (name.len == 0)
            return err_set(e, MP_ERR_PROTOCOL, "empty ALPN protocol");
        if (name.len > sizeof(out->alpn[0]) - 1)
            return err_set(e, MP_ERR_PROTOCOL, "ALPN protocol too long (%zu bytes)", name.len);
        /* Kept as text, so a NUL would silently shorten the name. */
        if (memchr(name.p, '\0', name.len))
            return err_set(e, MP_ERR_PROTOCOL, "ALPN protocol contains NUL");
        /* Names past the limit are dropped, not refused: clients may offer many. */
        if (out->nalpn == CH_MAX_ALPN)
            continue;
        memcpy(out->alpn[out->nalpn], name.p, name.len);
        out->alpn[out->nalpn][name.len] = '\0';
        out->nalpn++;
    }
    return 0;
}

/* RFC 8446 4.2.1: in a ClientHello, a list of 2-byte versions. */
static int
versions(struct cur c, struct scratch *out, struct err *e)
{
    struct cur list;
    if (vec(&c, 1, &list) < 0)
        return err_set(e, MP_ERR_PROTOCOL, "truncated extension 43 (version list)");
    if (c.len)
        return err_set(e, MP_ERR_PROTOCOL, "%zu bytes after the supported_versions list", c.len);
    if (list.len < 2 || list.len % 2)
        return err_set(e, MP_ERR_PROTOCOL, "bad supported_versions length %zu", list.len);
    out->has_supported_versions = 1;
    return 0;
}

static int
extensions(struct cur c, struct scratch *out, struct err *e)
{
    /* One bit per extension type: duplicates are refused (RFC 8446 4.2). */
    uint8_t seen[65536 / 8];
    memset(seen, 0, sizeof(seen));
    while (c.len) {
        size_t type;
        struct cur body;
        if (u16(&c, &type) < 0 || c.len < 2)
            return err_set(e, MP_ERR_PROTOCOL, "truncated extension header");
        if (vec(&c, 2, &body) < 0)
            return err_set(e, MP_ERR_PROTOCOL, "truncated extension %zu", type);
        if (seen[type / 8] & (1u << (type % 8)))
            return err_set(e, MP_ERR_PROTOCOL, "duplicate extension %zu", type);
        seen[type / 8] |= (uint8_t)(1u << (type % 8));
        int rc = 0;
        if (type == EXT_SERVER_NAME)
            rc = sni(body, out, e);
        else if (type == EXT_ALPN)
            rc = alpn(body, out, e);
        else if (type == EXT_SUPPORTED_VERSIONS)
            rc = versions(body, out, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Decodes the ClientHello body (after the 4-byte handshake header). */
static int
body(struct cur c, struct scratch *out, struct err *e)
{
    const uint8_t *random;
    struct cur v;
    if (u16(&c, &v.len) < 0)
        return err_set(e, MP_ERR_PROTOCOL, "truncated legacy_version");
    out->legacy_version = (uint16_t)v.len;
    if (take(&c, 32, &random) < 0)
        return err_set(e, MP_ERR_PROTOCOL, "truncated random");
    if (vec(&c, 1, &v) < 0)
        return err_set(e, MP_ERR_PROTOCOL, "truncated session_id");
    if (v.len > 32)
        return err_set(e, MP_ERR_PROTOCOL, "session_id too long (%zu bytes)", v.len);
    if (vec(&c, 2, &v) < 0)
        return err_set(e, MP_ERR_PROTOCOL, "truncated cipher_suites");
    if (v.len == 0 || v.len % 2)
        return err_set(e, MP_ERR_PROTOCOL, "bad cipher_suites length %zu", v.len);
    if (vec(&c, 1, &v) < 0)
        return err_set(e, MP_ERR_PROTOCOL, "truncated compression_methods");
    if (v.len == 0)
        return err_set(e, MP_ERR_PROTOCOL, "empty compression_methods");
    /* RFC 5246 7.4.1.2: a ClientHello without extensions simply ends here. */
    if (c.len == 0)
        return 0;
    if (vec(&c, 2, &v) < 0)
        return err_set(e, MP_ERR_PROTOCOL, "truncated extensions");
    if (c.len)
        return err_set(e, MP_ERR_PROTOCOL, "%zu bytes after the extensions", c.len);
    return extensions(v, out, e);
}

/* Copies the strings of s into one block that out owns: the protocols'
 * pointers first, then the server name and the protocols as text. */
static void
pack(const struct scratch *s, struct clienthello *out)
{
    size_t lens[CH_MAX_ALPN];
    size_t snilen = strlen(s->sni) + 1;
    size_t size = s->nalpn * sizeof(char *) + snilen;
    for (size_t i = 0; i < s->nalpn; i++)
        size += lens[i] = strlen(s->alpn[i]) + 1;
    char **block = xmalloc(size);
    char *text = (char *)(block + s->nalpn);
    out->sni = memcpy(text, s->sni, snilen);
    text += snilen;
    for (size_t i = 0; i < s->nalpn; i++) {
        block[i] = memcpy(text, s->alpn[i], lens[i]);
        text += lens[i];
    }
    out->alpn = block;
    out->nalpn = s->nalpn;
    out->legacy_version = s->legacy_version;
    out->has_supported_versions = s->has_supported_versions;
}

void
ch_free(struct clienthello *ch)
{
    free(ch->alpn);
    memset(ch, 0, sizeof(*ch));
}

ssize_t
ch_parse(const uint8_t *p, size_t len, struct clienthello *out, struct err *e)
{
    memset(out, 0, sizeof(*out));
    uint8_t hdr[HS_HDR];
    size_t got;
    ssize_t rc = records(p, len, HS_HDR, hdr, &got, 0, e);
    if (rc < 0 && rc != MP_ERR_INCOMPLETE)
        return rc;
    if (got >= 1 && hdr[0] != HT_CLIENT_HELLO)
        return err_set(e, MP_ERR_PROTOCOL, "not a ClientHello (handshake type %u)", hdr[0]);
    if (got < HS_HDR)
        return MP_ERR_INCOMPLETE;
    size_t mlen = (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
    size_t total = HS_HDR + mlen;
    if (total > HS_MAX)
        return err_set(e, MP_ERR_PROTOCOL, "ClientHello too long (%zu bytes)", total);

    rc = records(p, len, total, NULL, &got, 1, e);
    if (rc < 0)
        return rc;
    /* The usual case, one record, is decoded in place; fragments are joined. */
    uint8_t *joined = NULL;
    const uint8_t *msg = p + REC_HDR;
    if ((size_t)rc != REC_HDR + total) {
        joined = xmalloc(total);
        records(p, len, total, joined, &got, 1, e);
        msg = joined;
    }
    struct scratch sc;
    memset(&sc, 0, sizeof(sc));
    int brc = body((struct cur){msg + HS_HDR, mlen}, &sc, e);
    free(joined);
    if (brc < 0)
        return brc;
    pack(&sc, out);
    out->length = (size_t)rc;
    return rc;
}
