/*
 * The hook table and the data of the hooks an addon answers: mitmproxy's
 * names, the counted payloads (leaks show under ASan), and the SOCKS5
 * credentials as text.
 */
#include <string.h>

#include "../lib/test.h"
#include "flow/connection.h"
#include "flow/flow.h"
#include "proxy/hook.h"

TEST(hook_names_are_mitmproxys)
{
    /* Every event hook of mitmproxy 8.1.1's proxy core, by its method name. */
    static const char *const names[] = {
        "client_connected",
        "client_disconnected",
        "server_connect",
        "server_connected",
        "server_disconnected",
        "http_connect",
        "http_connect_upstream",
        "requestheaders",
        "request",
        "responseheaders",
        "response",
        "error",
        "tcp_start",
        "tcp_message",
        "tcp_end",
        "tcp_error",
        "websocket_start",
        "websocket_message",
        "websocket_end",
        "dns_request",
        "dns_response",
        "dns_error",
        "next_layer",
        "tls_clienthello",
        "tls_start_client",
        "tls_start_server",
        "tls_established_client",
        "tls_established_server",
        "tls_failed_client",
        "tls_failed_server",
        "socks5_auth",
        "update",
    };
    ASSERT_EQ(sizeof(names) / sizeof(names[0]), HOOK__COUNT);
    for (size_t i = 0; i < HOOK__COUNT; i++) {
        int found = 0;
        for (int h = 0; h < HOOK__COUNT; h++)
            found += strcmp(hook_name((enum hook)h), names[i]) == 0;
        if (found != 1)
            test_fail(__FILE__, __LINE__, "hook %s found %d times", names[i], found);
    }
    ASSERT_STREQ(hook_name(HOOK_NEXT_LAYER), "next_layer");
    ASSERT_STREQ(hook_name(HOOK__COUNT), "?");
    ASSERT_STREQ(next_layer_name(NEXT_LAYER_IGNORE), "ignore");
    ASSERT_STREQ(next_layer_name(NEXT_LAYER_HTTP), "http");
}

TEST(hook_data_holds_and_drops_payloads)
{
    struct connection *client = connection_new(CONN_CLIENT);
    struct hook_data d;
    hook_data_init(&d, HOOK_NEXT_LAYER, NULL, client, NULL);
    ASSERT(d.next_layer == NULL && d.tls == NULL && d.flows == NULL);
    /* The layer keeps one reference, the hook another. */
    struct next_layer_data *nl = next_layer_data_new(NULL, NEXT_LAYER_TCP);
    buf_append_str(&nl->data_client, "abc");
    d.next_layer = next_layer_data_ref(nl);
    hook_data_clear(&d);
    ASSERT(d.next_layer == NULL);
    ASSERT_EQ(d.hook, HOOK_NEXT_LAYER);
    ASSERT_EQ(nl->refs, 1);
    ASSERT_BUF_STR(&nl->data_client, "abc");
    next_layer_data_unref(nl);
    next_layer_data_unref(NULL);

    struct tls_data *t = tls_data_new(NULL, client, NULL, NULL, NULL);
    hook_data_init(&d, HOOK_TLS_START_CLIENT, NULL, client, NULL);
    d.tls = tls_data_ref(t);
    tls_data_unref(t); /* the layer went away first: the hook's reference remains */
    ASSERT(tls_data_take_session(d.tls) == NULL);
    hook_data_clear(&d);
    connection_unref(client);
}

TEST(hook_update_holds_its_flows)
{
    struct flow *f[2] = {flow_new_http(NULL, NULL), flow_new_http(NULL, NULL)};
    struct hook_data d;
    hook_data_init_update(&d, f, 2);
    ASSERT_EQ(d.hook, HOOK_UPDATE);
    ASSERT_EQ(d.nflows, 2);
    ASSERT(d.flows[0] == f[0] && d.flows[1] == f[1]);
    flow_unref(f[0]);
    flow_unref(f[1]);
    hook_data_clear(&d); /* the last references */
    ASSERT_EQ(d.nflows, 0);
}

static void
credentials(const char *user, size_t ulen, const char *want_user)
{
    struct connection *client = connection_new(CONN_CLIENT);
    struct socks5_auth_data *a = socks5_auth_data_new(client, user, ulen, "pw", 2);
    ASSERT_STREQ(a->username, want_user);
    ASSERT_STREQ(a->password, "pw");
    ASSERT_EQ(a->valid, 0);
    ASSERT(a->client_conn == client);
    socks5_auth_data_unref(a);
    connection_unref(client);
}

TEST(hook_socks5_credentials_are_text)
{
    credentials("user", 4, "user");
    credentials("", 0, "");
    credentials("j\xc3\xb6rg", 5, "j\xc3\xb6rg"); /* UTF-8 as sent */
    /* Python's backslashreplace for what is not UTF-8; NUL too, so a name
     * cannot end early and pass for a shorter one. */
    credentials("ab\0cd", 5, "ab\\x00cd");
    credentials("\xff\xfe", 2, "\\xff\\xfe");
    credentials("\xc3", 1, "\\xc3");                            /* truncated sequence */
    credentials("\xc0\xaf", 2, "\\xc0\\xaf");                   /* overlong */
    credentials("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");          /* a surrogate */
    credentials("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
    credentials("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");
}
