/*
 * flowjson.c's server_conn.cert: the leaf's summary as 8.1.1's
 * cert_to_json gives it, the same text whether it was just read or kept
 * from an earlier flow, in either writer style; null for a leaf that does
 * not read.
 */
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
