/*
 * The proxyauth addon and its htpasswd reader. The hashes below were made
 * with Apache's htpasswd (apache2-utils: -B bcrypt, -m apr1, -s SHA),
 * `openssl passwd` (-apr1, -1, -6) and Python's crypt module ($2b$); the
 * $2a$ one is the $2b$ hash with its prefix changed, which is the same
 * hash for a short ASCII password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/test.h"
#include "addons/htpasswd.h"
#include "addons/traffic.h"
#include "flow/flow.h"
#include "flow/tnetstring.h"
#include "http/headers.h"
#include "http/message.h"
#include "options/opt.h"

static const char htpasswd_text[] =
    "# users for the tests\n"
    "\n"
    "alice:$2y$05$Du1PfidSoEVHioemsoQIu.J0l1MnlJMtR.Zy.VwTv1UQfJ15VMKZu\n"
    "bob:$apr1$oiLZUtqB$7ArzifMrBULH6x657Sy/60\r\n"
    "   # an indented comment\n"
    "carol:{SHA}O/MvdjOwOQpt8I9HBSVZugThPMw=\n"
    "dave:plain\n"
    "erin:$2b$04$hOCAN.FB4i60wOLH8/JuieB3tf4DfZXCXF5gLJpzn3yk.K2KHO1ym\n"
    "fred:$2a$04$hOCAN.FB4i60wOLH8/JuieB3tf4DfZXCXF5gLJpzn3yk.K2KHO1ym\n"
    "gina:$6$sixsalt$kB9lCK6VtE/s42GdY7PecoS0EKBCxXTLsnkIPPSh52Wjo2zWJXBWhqL5sVj2JWGdt76gct6Kp1"
    "ZP8PZVrR7zO/\n"
    "hank:$1$onesalt$WCt6xcidR/XYXDiYU646f1\n"
    "bob:$apr1$saltsalt$YktrjD6QH468kATIU1Cop.\n"
    "ivy:$apr1$tX0aEgfP$AHyQl6yq91vib1/uefc8P.";

static char tmpdir[64];
static char path[128];

static void
write_htpasswd(const char *text)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/mp-proxyauth-XXXXXX");
    ASSERT(mkdtemp(tmpdir) != NULL);
    snprintf(path, sizeof(path), "%s/htpasswd", tmpdir);
    FILE *fp = fopen(path, "wb");
    ASSERT(fp != NULL);
    fputs(text, fp);
    fclose(fp);
}

static void
remove_htpasswd(void)
{
    unlink(path);
    rmdir(tmpdir);
}

TEST(proxyauth_md5crypt_known_answers)
{
    static const struct {
        const char *pw, *hash;
    } v[] = {
        {"open-pw", "$apr1$saltsalt$YktrjD6QH468kATIU1Cop."},
        {"a-very-long-password-over-sixteen-chars", "$apr1$abcdefgh$O7lMyPAWIxk9wvUScm/HK."},
        {"short", "$apr1$ab$OYF20qNOmvQIb0ASG0j5H/"},
        {"", "$apr1$tX0aEgfP$AHyQl6yq91vib1/uefc8P."},
        {"one-pw", "$1$onesalt$WCt6xcidR/XYXDiYU646f1"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char out[64];
        ASSERT_EQ(htpasswd_md5crypt(v[i].pw, v[i].hash, out), 0);
        ASSERT_STREQ(out, v[i].hash);
    }
    char out[64];
    ASSERT_EQ(htpasswd_md5crypt("x", "$2y$05$abc", out), MP_ERR_INVAL);
}

TEST(proxyauth_htpasswd_each_scheme)
{
    write_htpasswd(htpasswd_text);
    struct err e = {0};
    struct htpasswd *h = htpasswd_load(path, &e);
    ASSERT(h != NULL);
    ASSERT(htpasswd_check(h, "alice", "bcrypt-pw"));
    ASSERT(!htpasswd_check(h, "alice", "bcrypt-pX"));
    ASSERT(htpasswd_check(h, "bob", "apr1-pw")); /* the first bob wins */
    ASSERT(!htpasswd_check(h, "bob", "open-pw"));
    ASSERT(htpasswd_check(h, "carol", "sha-pw"));
    ASSERT(!htpasswd_check(h, "carol", "sha-pX"));
    ASSERT(!htpasswd_check(h, "dave", "plain")); /* plain text is refused */
    ASSERT(htpasswd_check(h, "erin", "py-pw"));
    ASSERT(htpasswd_check(h, "fred", "py-pw"));
    ASSERT(!htpasswd_check(h, "fred", "py-pX"));
    ASSERT(htpasswd_check(h, "gina", "six-pw"));
    ASSERT(htpasswd_check(h, "hank", "one-pw"));
    ASSERT(htpasswd_check(h, "ivy", "")); /* last line without newline */
    ASSERT(!htpasswd_check(h, "nobody", "x"));
    ASSERT(!htpasswd_check(h, "Alice", "bcrypt-pw"));
    htpasswd_free(h);
    remove_htpasswd();
}

TEST(proxyauth_htpasswd_errors_name_the_file)
{
    struct err e = {0};
    ASSERT(htpasswd_load("/nonexistent/htpasswd", &e) == NULL);
    ASSERT(strstr(e.msg, "/nonexistent/htpasswd") != NULL);
    ASSERT(strstr(e.msg, "No such file") != NULL);

    write_htpasswd("ok:{SHA}x\nno colon here\n");
    err_clear(&e);
    ASSERT(htpasswd_load(path, &e) == NULL);
    ASSERT(strstr(e.msg, path) != NULL);
    ASSERT(strstr(e.msg, "line 2") != NULL);
    remove_htpasswd();

    write_htpasswd("a:b:c\n");
    err_clear(&e);
    ASSERT(htpasswd_load(path, &e) == NULL);
    ASSERT(strstr(e.msg, "line 1") != NULL);
    remove_htpasswd();
}

/* --- The addon ------------------------------------------------------------- */

static struct addon_chain *
chain_with(const char *spec, const char *mode)
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "proxyauth", spec, &e), 0);
    if (mode)
        ASSERT_EQ(opt_set(o, "mode", mode, &e), 0);
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_proxyauth_new());
    if (addon_chain_configure(c, o, &e) != 0)
        test_fail(__FILE__, __LINE__, "configure: %s", e.msg);
    opt_free(o);
    return c;
}

static int
config_error(const char *spec, const char *mode, char msg[256])
{
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(opt_set(o, "proxyauth", spec, &e), 0);
    if (mode)
        ASSERT_EQ(opt_set(o, "mode", mode, &e), 0);
    struct addon *a = addon_proxyauth_new();
    int rc = a->ops->configure(a, o, NULL, &e);
    snprintf(msg, 256, "%s", e.msg);
    a->ops->free(a);
    opt_free(o);
    return rc;
}

static struct flow *
make_flow(struct connection *client, const char *method, const char *auth_name, const char *auth)
{
    struct flow *f = flow_new_http(client, NULL);
    struct http_request *r = http_request_new();
    http_set_str(&r->method, method);
    http_set_str(&r->scheme, "http");
    http_set_str(&r->host, "example.com");
    r->port = 80;
    http_set_str(&r->path, strcmp(method, "CONNECT") == 0 ? "" : "/");
    http_set_str(&r->http_version, "HTTP/1.1");
    hdrs_add_cstr(&r->headers, "Host", "example.com");
    if (auth)
        hdrs_add_cstr(&r->headers, auth_name, auth);
    hdrs_add_cstr(&r->headers, "Accept", "*/*");
    f->request = r;
    return f;
}

static void
run(struct addon_chain *c, enum hook h, struct flow *f, struct connection *client)
{
    struct hook_data d;
    struct hook_call call;
    hook_data_init(&d, h, f, client, NULL);
    addon_dispatch(c, &call, &d, NULL, NULL);
    hook_data_clear(&d);
}

/* base64 of "user:pass" etc. */
#define B64_USER_PASS "dXNlcjpwYXNz"
#define B64_USER_WRONG "dXNlcjp3cm9uZw=="
#define B64_ALICE "YWxpY2U6YmNyeXB0LXB3"  /* alice:bcrypt-pw */
#define B64_BOB "Ym9iOmFwcjEtcHc="        /* bob:apr1-pw */
#define B64_CAROL "Y2Fyb2w6c2hhLXB3"      /* carol:sha-pw */
#define B64_COLONS "dXNlcjpwYXNzOmV4dHJh" /* user:pass:extra */

static void
assert_challenge(const struct flow *f, int status)
{
    const struct http_response *r = f->response;
    ASSERT(r != NULL);
    ASSERT_EQ(r->status_code, status);
    ASSERT_STREQ(r->http_version, "HTTP/1.1");
    const char *reason = status == 407 ? "Proxy Authentication Required" : "Unauthorized";
    ASSERT_STREQ(r->reason, reason);
    const char *hname = status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate";
    ASSERT_EQ(r->headers.n, 2);
    ASSERT_STREQ(r->headers.v[0].name, hname);
    ASSERT_STREQ(r->headers.v[0].value, "Basic realm=\"mitmproxy\"");
    char body[256];
    snprintf(body, sizeof(body),
             "<html><head><title>%d %s</title></head><body><h1>%d %s</h1></body></html>", status,
             reason, status, reason);
    ASSERT_BUF_STR(&r->content, body);
    char len[16];
    snprintf(len, sizeof(len), "%zu", strlen(body));
    ASSERT_STREQ(r->headers.v[1].name, "content-length");
    ASSERT_STREQ(r->headers.v[1].value, len);
    ASSERT(f->metadata == NULL || tns_dict_get(f->metadata, "proxyauth") == NULL);
}

static void
assert_passed(const struct flow *f, const char *auth_name, const char *user, const char *pass)
{
    ASSERT(f->response == NULL);
    ASSERT_EQ(hdrs_count(&f->request->headers, auth_name), 0);
    ASSERT_EQ(f->request->headers.n, 2); /* Host and Accept stay */
    struct tns *m = tns_dict_get(f->metadata, "proxyauth");
    ASSERT(m != NULL && m->type == TNS_LIST && m->u.list.n == 2);
    ASSERT_STREQ(m->u.list.v[0]->u.str.p, user);
    ASSERT_STREQ(m->u.list.v[1]->u.str.p, pass);
}

/* One request through requestheaders with the given credentials; checks the verdict. */
static void
check(struct addon_chain *c, const char *auth, int ok, const char *user, const char *pass)
{
    struct flow *f = make_flow(NULL, "GET", "Proxy-Authorization", auth);
    run(c, HOOK_REQUESTHEADERS, f, NULL);
    if (ok)
        assert_passed(f, "Proxy-Authorization", user, pass);
    else
        assert_challenge(f, 407);
    flow_unref(f);
}

TEST(proxyauth_off_does_nothing)
{
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_proxyauth_new());
    struct options *o = opt_new();
    struct err e = {0};
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    struct flow *f = make_flow(NULL, "GET", "Proxy-Authorization", "Basic " B64_USER_PASS);
    run(c, HOOK_REQUESTHEADERS, f, NULL);
    ASSERT(f->response == NULL);
    ASSERT_EQ(hdrs_count(&f->request->headers, "Proxy-Authorization"), 1);
    flow_unref(f);
    opt_free(o);
    addon_chain_free(c);
}

TEST(proxyauth_single_user)
{
    struct addon_chain *c = chain_with("user:pass", NULL);
    check(c, NULL, 0, NULL, NULL);
    check(c, "Basic " B64_USER_PASS, 1, "user", "pass");
    check(c, "basic   " B64_USER_PASS "  ", 1, "user", "pass"); /* scheme case, spaces */
    check(c, "Basic " B64_USER_WRONG, 0, NULL, NULL);
    check(c, "Bearer " B64_USER_PASS, 0, NULL, NULL);
    check(c, "Basic", 0, NULL, NULL);
    check(c, "Basic " B64_USER_PASS " extra", 0, NULL, NULL);
    check(c, "Basic dXNlcjpwYXN", 0, NULL, NULL); /* bad padding */
    check(c, "Basic " B64_COLONS, 0, NULL, NULL);
    addon_chain_free(c);
}

TEST(proxyauth_any_needs_some_credentials)
{
    struct addon_chain *c = chain_with("any", NULL);
    check(c, NULL, 0, NULL, NULL);
    check(c, "Basic " B64_USER_WRONG, 1, "user", "wrong");
    check(c, "Basic Og==", 1, "", "");     /* ":" */
    check(c, "Basic eA==", 0, NULL, NULL); /* "x": no colon */
    addon_chain_free(c);
}

TEST(proxyauth_htpasswd_file)
{
    write_htpasswd(htpasswd_text);
    char spec[160];
    snprintf(spec, sizeof(spec), "@%s", path);
    struct addon_chain *c = chain_with(spec, NULL);
    check(c, "Basic " B64_ALICE, 1, "alice", "bcrypt-pw");
    check(c, "Basic " B64_BOB, 1, "bob", "apr1-pw");
    check(c, "Basic " B64_CAROL, 1, "carol", "sha-pw");
    check(c, "Basic " B64_USER_PASS, 0, NULL, NULL);
    addon_chain_free(c);
    remove_htpasswd();
}

TEST(proxyauth_bad_specifications)
{
    char msg[256];
    ASSERT(config_error("nocolon", NULL, msg) < 0);
    ASSERT_STREQ(msg, "Invalid proxyauth specification.");
    ASSERT(config_error("a:b:c", NULL, msg) < 0);
    ASSERT_STREQ(msg, "Invalid single-user auth specification.");
    ASSERT(config_error("ldap:localhost:cn=x:pw:dc=y", NULL, msg) < 0);
    ASSERT(strstr(msg, "not supported") != NULL);
    ASSERT(config_error("user:pass", "transparent", msg) < 0);
    ASSERT_STREQ(msg, "Proxy Authentication not supported in transparent mode.");
    ASSERT(config_error("@/nonexistent/file", NULL, msg) < 0);
    ASSERT(strstr(msg, "/nonexistent/file") != NULL);
}

TEST(proxyauth_connect_remembers_client)
{
    struct addon_chain *c = chain_with("user:pass", NULL);
    struct connection *client = connection_new(CONN_CLIENT);

    /* A failed CONNECT gets the challenge and remembers nothing. */
    struct flow *f = make_flow(client, "CONNECT", "Proxy-Authorization", NULL);
    run(c, HOOK_HTTP_CONNECT, f, NULL);
    assert_challenge(f, 407);
    flow_unref(f);
    f = make_flow(client, "GET", "Proxy-Authorization", NULL);
    run(c, HOOK_REQUESTHEADERS, f, NULL);
    assert_challenge(f, 407);
    flow_unref(f);

    f = make_flow(client, "CONNECT", "Proxy-Authorization", "Basic " B64_USER_PASS);
    run(c, HOOK_HTTP_CONNECT, f, NULL);
    assert_passed(f, "Proxy-Authorization", "user", "pass");
    flow_unref(f);

    /* Requests in the tunnel pass without credentials and carry the user. */
    f = make_flow(client, "GET", "Proxy-Authorization", NULL);
    run(c, HOOK_REQUESTHEADERS, f, NULL);
    assert_passed(f, "Proxy-Authorization", "user", "pass");
    flow_unref(f);

    /* Another client is not let in. */
    struct connection *other = connection_new(CONN_CLIENT);
    f = make_flow(other, "GET", "Proxy-Authorization", NULL);
    run(c, HOOK_REQUESTHEADERS, f, NULL);
    assert_challenge(f, 407);
    flow_unref(f);

    /* Once the client is gone, its mark goes. */
    struct hook_data d;
    struct hook_call call;
    hook_data_init(&d, HOOK_CLIENT_DISCONNECTED, NULL, client, NULL);
    addon_dispatch(c, &call, &d, NULL, NULL);
    hook_data_clear(&d);
    f = make_flow(client, "GET", "Proxy-Authorization", NULL);
    run(c, HOOK_REQUESTHEADERS, f, NULL);
    assert_challenge(f, 407);
    flow_unref(f);

    connection_unref(other);
    connection_unref(client);
    addon_chain_free(c);
}

TEST(proxyauth_reverse_mode_uses_401)
{
    struct addon_chain *c = chain_with("user:pass", "reverse:http://127.0.0.1:1");
    struct flow *f = make_flow(NULL, "GET", "Proxy-Authorization", "Basic " B64_USER_PASS);
    run(c, HOOK_REQUESTHEADERS, f, NULL);
    assert_challenge(f, 401);
    flow_unref(f);

    f = make_flow(NULL, "GET", "Authorization", "Basic " B64_USER_PASS);
    run(c, HOOK_REQUESTHEADERS, f, NULL);
    assert_passed(f, "Authorization", "user", "pass");
    flow_unref(f);
    addon_chain_free(c);

    /* Upstream mode is a proxy mode. */
    c = chain_with("user:pass", "upstream:http://127.0.0.1:1");
    check(c, NULL, 0, NULL, NULL);
    check(c, "Basic " B64_USER_PASS, 1, "user", "pass");
    addon_chain_free(c);
}

/* socks5_auth with the credentials as the SOCKS5 layer hands them over. */
static int
socks5(struct addon_chain *c, struct connection *client, const char *user, const char *pass)
{
    struct hook_data d;
    struct hook_call call;
    hook_data_init(&d, HOOK_SOCKS5_AUTH, NULL, client, NULL);
    d.socks5_auth = socks5_auth_data_new(client, user, strlen(user), pass, strlen(pass));
    addon_dispatch(c, &call, &d, NULL, NULL);
    int valid = d.socks5_auth->valid;
    hook_data_clear(&d);
    return valid;
}

TEST(proxyauth_socks5_credentials)
{
    struct addon_chain *c = chain_with("user:pass", "socks5");
    struct connection *client = connection_new(CONN_CLIENT);
    ASSERT(!socks5(c, client, "user", "wrong"));
    ASSERT(!socks5(c, client, "", ""));
    /* A failed attempt lets nothing through the tunnel (401: not an HTTP proxy). */
    struct flow *f = make_flow(client, "GET", "Authorization", NULL);
    run(c, HOOK_REQUESTHEADERS, f, NULL);
    assert_challenge(f, 401);
    flow_unref(f);

    ASSERT(socks5(c, client, "user", "pass"));
    /* Requests in the SOCKS5 tunnel pass and carry the user, as after a CONNECT. */
    f = make_flow(client, "GET", "Authorization", NULL);
    run(c, HOOK_REQUESTHEADERS, f, NULL);
    assert_passed(f, "Authorization", "user", "pass");
    flow_unref(f);
    connection_unref(client);
    addon_chain_free(c);

    c = chain_with("any", "socks5");
    client = connection_new(CONN_CLIENT);
    ASSERT(socks5(c, client, "anyone", "at all"));
    connection_unref(client);
    addon_chain_free(c);

    /* Without proxyauth the addon says nothing (the layer asks for no credentials then). */
    c = chain_with(NULL, "socks5");
    client = connection_new(CONN_CLIENT);
    ASSERT(!socks5(c, client, "user", "pass"));
    connection_unref(client);
    addon_chain_free(c);
}

TEST(proxyauth_socks5_htpasswd)
{
    write_htpasswd(htpasswd_text);
    char spec[160];
    snprintf(spec, sizeof(spec), "@%s", path);
    struct addon_chain *c = chain_with(spec, "socks5");
    struct connection *client = connection_new(CONN_CLIENT);
    ASSERT(socks5(c, client, "alice", "bcrypt-pw"));
    ASSERT(socks5(c, client, "bob", "apr1-pw"));
    ASSERT(socks5(c, client, "carol", "sha-pw"));
    ASSERT(!socks5(c, client, "carol", "bcrypt-pw"));
    ASSERT(!socks5(c, client, "mallory", "sha-pw"));
    connection_unref(client);
    addon_chain_free(c);
    remove_htpasswd();
}
