/*
 * flowjson.c's server_conn.cert: the leaf's summary as 8.1.1's
 * cert_to_json gives it, the same text whether it was just read or kept
 * from an earlier flow, in either writer style; null for a leaf that does
 * not read. And both shapes of every fixture flow, pinned by digest.
 */
#include <openssl/sha.h>
#include <string.h>

#include "../lib/test.h"
#include "flow/connection.h"
#include "flow/flow.h"
#include "flow/flowfile.h"
#include "flow/tnetstring.h"
#include "util/json.h"
#include "web/internal.h"

static struct flow *
fixture_flow(void)
{
    struct err e = {0};
    struct ffile_reader *r = ffile_reader_open(test_fixture("flows/https-connect.mitm"), &e);
    ASSERT(r != NULL);
    struct flow *f;
    ASSERT_EQ(ffile_read(r, &f, &e), 1);
    ffile_reader_free(r);
    return f;
}

/* The flow's JSON with writer flags, as a new string. */
static char *
flow_text(const struct flow *f, unsigned flags)
{
    struct buf b = BUF_INIT;
    struct json j;
    json_init(&j, &b, flags);
    web__flow_json(&j, f);
    json_clear(&j);
    buf_append(&b, "", 1);
    char *s = strdup((const char *)buf_ptr(&b));
    buf_clear(&b);
    return s;
}

/* The server_conn's "cert" value: from its key to the "sni" key after it. */
static char *
server_cert(const char *text)
{
    const char *sc = strstr(text, "\"server_conn\"");
    ASSERT(sc != NULL);
    const char *c = strstr(sc, "\"cert\":");
    const char *end = strstr(sc, "\"sni\"");
    ASSERT(c && end && c < end);
    return strndup(c, (size_t)(end - c));
}

TEST(web_flowjson_server_cert)
{
    struct flow *f = fixture_flow();
    static const char want[] =
        "\"cert\":{\"keyinfo\":[\"RSA\",2048],"
        "\"sha256\":\"0ebf5d83a08a4053ca629de6e3c7577aed54c496dc921e12e6fb222524217e4b\","
        "\"notbefore\":1795465151,\"notafter\":2110825151,"
        "\"serial\":\"220729961779662935669251190046790574067154290351\","
        "\"subject\":[[\"CN\",\"localhost\"]],\"issuer\":[[\"CN\",\"localhost\"]],"
        "\"altnames\":[\"localhost\",\"127.0.0.1\"]},";
    /* Twice: read, then kept; the same bytes each time. */
    for (int i = 0; i < 2; i++) {
        char *t = flow_text(f, JSON_COMPACT);
        char *c = server_cert(t);
        ASSERT_STREQ(c, want);
        free(c);
        free(t);
    }
    /* The other writer style is written in its own style, not the kept one. */
    char *t = flow_text(f, 0);
    char *c = server_cert(t);
    ASSERT(strstr(c, "\"keyinfo\": [\"RSA\", 2048], ") != NULL);
    free(c);
    free(t);
    /* The client has no chain. */
    t = flow_text(f, JSON_COMPACT);
    ASSERT(strstr(t, "\"client_conn\"") && strstr(strstr(t, "\"client_conn\""), "\"cert\":null"));
    free(t);
    flow_unref(f);
}

TEST(web_flowjson_server_cert_unreadable)
{
    struct flow *f = fixture_flow();
    struct tns *l = tns_dict_get(f->server_conn->extra, "certificate_list");
    tns_free(l->u.list.v[0]);
    static const char bad[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    l->u.list.v[0] = tns_bytes(bad, strlen(bad));
    for (int i = 0; i < 2; i++) {
        char *t = flow_text(f, JSON_COMPACT);
        char *c = server_cert(t);
        ASSERT_STREQ(c, "\"cert\":null,");
        free(c);
        free(t);
    }
    /* An empty chain: null too. */
    tns_free(tns_dict_take(f->server_conn->extra, "certificate_list"));
    tns_dict_set(f->server_conn->extra, "certificate_list", tns_list());
    char *t = flow_text(f, JSON_COMPACT);
    char *c = server_cert(t);
    ASSERT_STREQ(c, "\"cert\":null,");
    free(c);
    free(t);
    flow_unref(f);
}

/*
 * Both shapes (the whole flow and the list row), in both writer styles, of
 * every flow of the reference fixtures, hashed: the digests are of the text
 * as it was before the shapes shared their head, so any byte that moves
 * fails here. On a deliberate change of the JSON, print the new digests.
 */
static void
shapes_digest(const char *fixture, char hex[2 * SHA256_DIGEST_LENGTH + 1])
{
    struct err e = {0};
    struct ffile_reader *r = ffile_reader_open(test_fixture(fixture), &e);
    ASSERT(r != NULL);
    struct buf b = BUF_INIT;
    struct flow *f;
    size_t n = 0;
    while (ffile_read(r, &f, &e) == 1) {
        for (unsigned flags = 0; flags <= JSON_COMPACT; flags += JSON_COMPACT)
            for (int row = 0; row < 2; row++) {
                struct json j;
                json_init(&j, &b, flags);
                (row ? web__flow_row_json : web__flow_json)(&j, f);
                json_clear(&j);
                buf_append(&b, "\n", 1);
            }
        flow_unref(f);
        n++;
    }
    ffile_reader_free(r);
    ASSERT(n > 0);
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256(buf_ptr(&b), b.len, md);
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    buf_clear(&b);
}

TEST(web_flowjson_shapes_unchanged)
{
    static const struct {
        const char *fixture, *digest;
    } want[] = {
        {"flows/all.mitm", "caa972a70c456ac5079780e4e02db841f86f20e0ec5faaf8dc610c00282eb342"},
        {"flows/https-connect.mitm", "bb6845c270c399b9b56f40a9335e6187a494aef92850b8111e1bfeba5c3f788e"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
        char hex[2 * SHA256_DIGEST_LENGTH + 1];
        shapes_digest(want[i].fixture, hex);
        if (strcmp(hex, want[i].digest) != 0)
            test_fail(__FILE__, __LINE__, "%s: the JSON changed: %s", want[i].fixture, hex);
    }
}
