/*
 * The block addon: the address classification checked against Python's
 * ipaddress (the verdicts below were printed by Debian 12's
 * /usr/bin/python3, 3.11, with block.py's own mapping of scope and
 * IPv4-mapped addresses), then the hook as mitmdump runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "addons/block.h"
#include "flow/connection.h"
#include "options/opt.h"
#include "util/log.h"

/* ip, is_loopback, is_private, is_global: the edges of every listed network. */
static const struct {
    const char *ip;
    int loopback, private, global;
} verdicts[] = {
    {"0.0.0.0", 0, 1, 0},
    {"0.255.255.255", 0, 1, 0},
    {"1.0.0.0", 0, 0, 1},
    {"9.255.255.255", 0, 0, 1},
    {"10.0.0.0", 0, 1, 0},
    {"10.255.255.255", 0, 1, 0},
    {"11.0.0.0", 0, 0, 1},
    {"8.8.8.8", 0, 0, 1},
    {"100.63.255.255", 0, 0, 1},
    {"100.64.0.0", 0, 0, 0},
    {"100.127.255.255", 0, 0, 0},
    {"100.128.0.0", 0, 0, 1},
    {"126.255.255.255", 0, 0, 1},
    {"127.0.0.1", 1, 1, 0},
    {"127.255.255.255", 1, 1, 0},
    {"128.0.0.0", 0, 0, 1},
    {"169.253.255.255", 0, 0, 1},
    {"169.254.0.0", 0, 1, 0},
    {"169.254.255.255", 0, 1, 0},
    {"169.255.0.0", 0, 0, 1},
    {"172.15.255.255", 0, 0, 1},
    {"172.16.0.0", 0, 1, 0},
    {"172.31.255.255", 0, 1, 0},
    {"172.32.0.0", 0, 0, 1},
    {"191.255.255.255", 0, 0, 1},
    {"192.0.0.0", 0, 1, 0},
    {"192.0.0.8", 0, 1, 0},
    {"192.0.0.9", 0, 0, 1},
    {"192.0.0.10", 0, 0, 1},
    {"192.0.0.11", 0, 1, 0},
    {"192.0.0.169", 0, 1, 0},
    {"192.0.0.170", 0, 1, 0},
    {"192.0.0.171", 0, 1, 0},
    {"192.0.0.172", 0, 1, 0},
    {"192.0.0.255", 0, 1, 0},
    {"192.0.1.0", 0, 0, 1},
    {"192.0.2.0", 0, 1, 0},
    {"192.0.2.255", 0, 1, 0},
    {"192.0.3.0", 0, 0, 1},
    {"192.167.255.255", 0, 0, 1},
    {"192.168.0.0", 0, 1, 0},
    {"192.168.255.255", 0, 1, 0},
    {"192.169.0.0", 0, 0, 1},
    {"198.17.255.255", 0, 0, 1},
    {"198.18.0.0", 0, 1, 0},
    {"198.19.255.255", 0, 1, 0},
    {"198.20.0.0", 0, 0, 1},
    {"198.51.99.255", 0, 0, 1},
    {"198.51.100.0", 0, 1, 0},
    {"198.51.100.255", 0, 1, 0},
    {"198.51.101.0", 0, 0, 1},
    {"203.0.112.255", 0, 0, 1},
    {"203.0.113.0", 0, 1, 0},
    {"203.0.113.255", 0, 1, 0},
    {"203.0.114.0", 0, 0, 1},
    {"224.0.0.1", 0, 0, 1},
    {"239.255.255.255", 0, 0, 1},
    {"240.0.0.0", 0, 1, 0},
    {"255.255.255.254", 0, 1, 0},
    {"255.255.255.255", 0, 1, 0},
    {"::", 0, 1, 0},
    {"::1", 1, 1, 0},
    {"::2", 0, 0, 1},
    {"::ffff:0:0", 0, 1, 0},
    {"::ffff:1.2.3.4", 0, 0, 1},
    {"::ffff:10.0.0.1", 0, 1, 0},
    {"::ffff:127.0.0.1", 1, 1, 0},
    {"::ffff:100.64.0.1", 0, 0, 0},
    {"::ffff:192.0.0.9", 0, 0, 1},
    {"::ffff:0:1.2.3.4", 0, 0, 1},
    {"64:ff9b::1.2.3.4", 0, 0, 1},
    {"64:ff9b:1::", 0, 1, 0},
    {"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", 0, 1, 0},
    {"64:ff9b:2::", 0, 0, 1},
    {"100::", 0, 1, 0},
    {"100::ffff:ffff:ffff:ffff", 0, 1, 0},
    {"100:0:0:1::", 0, 0, 1},
    {"2001::", 0, 1, 0},
    {"2001:1::1", 0, 0, 1},
    {"2001:1::2", 0, 0, 1},
    {"2001:1::3", 0, 1, 0},
    {"2001:2::", 0, 1, 0},
    {"2001:3::", 0, 0, 1},
    {"2001:3:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 1},
    {"2001:4:112::", 0, 0, 1},
    {"2001:4:113::", 0, 1, 0},
    {"2001:10::", 0, 1, 0},
    {"2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", 0, 1, 0},
    {"2001:20::", 0, 0, 1},
    {"2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 1},
    {"2001:30::", 0, 0, 1},
    {"2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 1},
    {"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 1, 0},
    {"2001:200::", 0, 0, 1},
    {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 1},
    {"2001:db8::", 0, 1, 0},
    {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 0, 1, 0},
    {"2001:db9::", 0, 0, 1},
    {"2002::", 0, 1, 0},
    {"2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 1, 0},
    {"2003::", 0, 0, 1},
    {"2606:4700::1111", 0, 0, 1},
    {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 1},
    {"fc00::", 0, 1, 0},
    {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 1, 0},
    {"fe00::", 0, 0, 1},
    {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 1},
    {"fe80::", 0, 1, 0},
    {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 1, 0},
    {"fec0::1", 0, 0, 1},
    {"ff02::1", 0, 0, 1},
    {"fe80::1%eth0", 0, 1, 0},
    {"fe80::1%25", 0, 1, 0},
    {"2606:4700::1111%1", 0, 0, 1},
    {"10.1.2.3%x", 0, 1, 0},
    {"::ffff:8.8.8.8%lo", 0, 0, 1},
};

TEST(block_classify_matches_python)
{
    for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
        int c = block_classify(verdicts[i].ip);
        int want = (verdicts[i].loopback ? BLOCK_LOOPBACK : 0) |
                   (verdicts[i].private ? BLOCK_PRIVATE : 0) |
                   (verdicts[i].global ? BLOCK_GLOBAL : 0);
        if (c != want)
            test_fail(__FILE__, __LINE__, "%s: got %d, want %d", verdicts[i].ip, c, want);
    }
}

/* Python's ip_address() refuses these too; the addon then does nothing. */
TEST(block_classify_rejects_non_addresses)
{
    static const char *const bad[] = {"",          "1.2.3", "01.2.3.4", "hello",
                                      "1.2.3.4.5", "::g",   "%eth0",    "example.com"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (block_classify(bad[i]) != -1)
            test_fail(__FILE__, __LINE__, "%s accepted", bad[i]);
    /* An empty scope is still split off, as rsplit("%", 1) does. */
    ASSERT_EQ(block_classify("fe80::1%"), BLOCK_PRIVATE);
}

static char logged[256];
static int nlogged;

static void
capture_log(enum log_level level, const char *msg, void *arg)
{
    (void)arg;
    if (level == LOG_WARN)
        snprintf(logged, sizeof(logged), "%s", msg);
    nlogged++;
}

/*
 * Raises client_connected for a client at ip through a chain holding just
 * the block addon configured with the two options; returns the client's
 * error (caller frees), or NULL if the connection was let in.
 */
static char *
connect_from(const char *ip, int block_global, int block_private)
{
    struct options *o = opt_new();
    o->block_global = block_global;
    o->block_private = block_private;
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_block_new());
    struct err e = {0};
    ASSERT_EQ(addon_chain_configure(c, o, &e), 0);
    opt_free(o);

    struct connection *client = connection_new(CONN_CLIENT);
    addr_set(&client->peername, ip, 51234);
    logged[0] = '\0';
    nlogged = 0;
    log_set_sink(capture_log, NULL);
    struct hook_data d;
    struct hook_call call;
    hook_data_init(&d, HOOK_CLIENT_CONNECTED, NULL, client, NULL);
    addon_dispatch(c, &call, &d, NULL, NULL);
    hook_data_clear(&d);
    log_set_sink(NULL, NULL);

    char *error = client->error;
    client->error = NULL;
    connection_unref(client);
    addon_chain_free(c);
    return error;
}

TEST(block_global_kills_public_client)
{
    char *error = connect_from("8.8.8.8", 1, 0);
    ASSERT(error != NULL);
    ASSERT_STREQ(error, "Connection killed by block_global.");
    ASSERT_STREQ(logged, "Client connection from 8.8.8.8 killed by block_global option.");
    free(error);
}

/* The log line names the address as it came, scope and mapping included. */
TEST(block_global_logs_address_as_given)
{
    char *error = connect_from("::ffff:1.2.3.4", 1, 0);
    ASSERT(error != NULL);
    ASSERT_STREQ(logged, "Client connection from ::ffff:1.2.3.4 killed by block_global option.");
    free(error);
    error = connect_from("2606:4700::1111%3", 1, 0);
    ASSERT(error != NULL);
    ASSERT_STREQ(logged, "Client connection from 2606:4700::1111%3 killed by block_global option.");
    free(error);
}

TEST(block_global_off_lets_public_client_in)
{
    ASSERT(connect_from("8.8.8.8", 0, 0) == NULL);
    ASSERT(connect_from("8.8.8.8", 0, 1) == NULL);
    ASSERT_EQ(nlogged, 0);
}

TEST(block_private_kills_private_client)
{
    char *error = connect_from("192.168.1.10", 1, 1);
    ASSERT(error != NULL);
    ASSERT_STREQ(error, "Connection killed by block_private.");
    ASSERT_STREQ(logged, "Client connection from 192.168.1.10 killed by block_private option.");
    free(error);
    error = connect_from("fe80::1%eth0", 0, 1);
    ASSERT(error != NULL);
    ASSERT_STREQ(error, "Connection killed by block_private.");
    free(error);
}

/* The defaults: private clients are let in, with nothing logged. */
TEST(block_private_off_lets_private_client_in)
{
    ASSERT(connect_from("192.168.1.10", 1, 0) == NULL);
    ASSERT(connect_from("::ffff:10.0.0.1", 1, 0) == NULL);
    ASSERT_EQ(nlogged, 0);
}

/* Loopback is private too, but never blocked. */
TEST(block_loopback_never_blocked)
{
    static const char *const lo[] = {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "::1%lo"};
    for (size_t i = 0; i < sizeof(lo) / sizeof(lo[0]); i++) {
        if (connect_from(lo[i], 1, 1) != NULL)
            test_fail(__FILE__, __LINE__, "%s blocked", lo[i]);
    }
    ASSERT_EQ(nlogged, 0);
}

/* Shared address space is neither private nor global: nothing blocks it. */
TEST(block_shared_space_never_blocked)
{
    ASSERT(connect_from("100.64.0.1", 1, 1) == NULL);
    ASSERT(connect_from("::ffff:100.127.255.255", 1, 1) == NULL);
}

TEST(block_unparsable_address_left_alone)
{
    ASSERT(connect_from("not-an-ip", 1, 1) == NULL);
    ASSERT_EQ(nlogged, 0);
}

/* An unconfigured addon has the option defaults: block_global on. */
TEST(block_defaults_without_configure)
{
    struct addon_chain *c = addon_chain_new();
    addon_chain_add(c, addon_block_new());
    struct connection *client = connection_new(CONN_CLIENT);
    addr_set(&client->peername, "1.1.1.1", 1);
    struct hook_data d;
    struct hook_call call;
    log_set_sink(capture_log, NULL);
    hook_data_init(&d, HOOK_CLIENT_CONNECTED, NULL, client, NULL);
    addon_dispatch(c, &call, &d, NULL, NULL);
    hook_data_clear(&d);
    log_set_sink(NULL, NULL);
    ASSERT(client->error != NULL);
    ASSERT_STREQ(client->error, "Connection killed by block_global.");
    connection_unref(client);
    addon_chain_free(c);
}
