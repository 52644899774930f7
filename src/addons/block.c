/*
 * The block addon. The network lists below are copied from the tables in
 * Python 3.11's ipaddress.py (as Debian 12 ships it), which is what
 * block.py's is_private / is_global consult; they are kept as text, in the
 * same order, so they can be checked against that file line by line.
 * Parsing them per connection costs a few dozen inet_pton() calls, which
 * is nothing next to accepting the connection.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addons/block.h"
#include "flow/connection.h"
#include "options/opt.h"
#include "util/log.h"
#include "util/xmalloc.h"

struct block {
    struct addon base;
    int block_global;
    int block_private;
};

/* _IPv4Constants._private_networks. */
static const char *const v4_private[] = {
    "0.0.0.0/8",       "10.0.0.0/8",     "127.0.0.0/8",  "169.254.0.0/16",     "172.16.0.0/12",
    "192.0.0.0/24",    "192.0.0.170/31", "192.0.2.0/24", "192.168.0.0/16",     "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",  "255.255.255.255/32",
};

/* _IPv4Constants._private_networks_exceptions: globally reachable after all. */
static const char *const v4_private_except[] = {"192.0.0.9/32", "192.0.0.10/32"};

/* _IPv4Constants._public_network: shared address space, neither private nor global. */
static const char *const v4_shared[] = {"100.64.0.0/10"};

/* _IPv6Constants._private_networks. */
static const char *const v6_private[] = {
    "::1/128",   "::/128",        "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64",
    "2001::/23", "2001:db8::/32", "2002::/16",     "fc00::/7",       "fe80::/10",
};

/* _IPv6Constants._private_networks_exceptions. */
static const char *const v6_private_except[] = {
    "2001:1::1/128",   "2001:1::2/128", "2001:3::/32",
    "2001:4:112::/48", "2001:20::/28",  "2001:30::/28",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Whether the len-byte address ip lies in the network written as "addr/prefix". */
static int
in_net(const unsigned char *ip, size_t len, const char *net)
{
    char text[INET6_ADDRSTRLEN];
    const char *slash = strchr(net, '/');
    size_t n = (size_t)(slash - net);
    memcpy(text, net, n);
    text[n] = '\0';
    unsigned char base[16];
    if (inet_pton(len == 4 ? AF_INET : AF_INET6, text, base) != 1)
        return 0;
    int prefix = atoi(slash + 1);
    size_t whole = (size_t)prefix / 8;
    if (memcmp(ip, base, whole) != 0)
        return 0;
    int rest = prefix % 8;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (ip[whole] & mask) == (base[whole] & mask);
}

static int
in_any(const unsigned char *ip, size_t len, const char *const *nets, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (in_net(ip, len, nets[i]))
            return 1;
    return 0;
}

static int
classify_v4(const unsigned char ip[4])
{
    int r = 0;
    if (ip[0] == 127)
        r |= BLOCK_LOOPBACK;
    if (in_any(ip, 4, v4_private, NELEM(v4_private)) &&
        !in_any(ip, 4, v4_private_except, NELEM(v4_private_except)))
        r |= BLOCK_PRIVATE;
    else if (!in_any(ip, 4, v4_shared, NELEM(v4_shared)))
        r |= BLOCK_GLOBAL;
    return r;
}

static int
classify_v6(const unsigned char ip[16])
{
    static const unsigned char loopback[16] = {[15] = 1};
    int r = 0;
    if (memcmp(ip, loopback, 16) == 0)
        r |= BLOCK_LOOPBACK;
    /* IPv6 has no shared space: global is simply not private. */
    if (in_any(ip, 16, v6_private, NELEM(v6_private)) &&
        !in_any(ip, 16, v6_private_except, NELEM(v6_private_except)))
        r |= BLOCK_PRIVATE;
    else
        r |= BLOCK_GLOBAL;
    return r;
}

int
block_classify(const char *ip)
{
    /* block.py splits at the last "%", for IPv4 text too. */
    char text[INET6_ADDRSTRLEN];
    const char *pct = strrchr(ip, '%');
    size_t n = pct ? (size_t)(pct - ip) : strlen(ip);
    if (n >= sizeof(text))
        return -1;
    memcpy(text, ip, n);
    text[n] = '\0';

    unsigned char a[16];
    if (inet_pton(AF_INET, text, a) == 1)
        return classify_v4(a);
    if (inet_pton(AF_INET6, text, a) != 1)
        return -1;
    static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
    if (memcmp(a, mapped, sizeof(mapped)) == 0)
        return classify_v4(a + 12);
    return classify_v6(a);
}

static int
configure(struct addon *a, const struct options *o, const struct opt_changes *updated,
          struct err *e)
{
    struct block *b = (struct block *)a;
    (void)e;
    b->block_global = o->block_global;
    b->block_private = o->block_private;
    return 0;
}

/* Refuses the connection by giving it an error, as block.py does. */
static void
refuse(struct connection *client, const char *option)
{
    char msg[64];
    log_msg(LOG_WARN, "Client connection from %s killed by %s option.", client->peername.host,
            option);
    snprintf(msg, sizeof(msg), "Connection killed by %s.", option);
    free(client->error);
    client->error = xstrdup(msg);
}

static enum addon_result
on_client_connected(struct addon *a, struct hook_call *call)
{
    struct block *b = (struct block *)a;
    struct connection *client = call->data->client;
    if (client == NULL || client->peername.host == NULL)
        return ADDON_CONTINUE;
    int c = block_classify(client->peername.host);
    /* block.py would raise on an unparsable address; leave it alone instead. */
    if (c < 0 || (c & BLOCK_LOOPBACK))
        return ADDON_CONTINUE;
    if (b->block_private && (c & BLOCK_PRIVATE))
        refuse(client, "block_private");
    if (b->block_global && (c & BLOCK_GLOBAL))
        refuse(client, "block_global");
    return ADDON_CONTINUE;
}

static void
block_free(struct addon *a)
{
    free(a);
}

static const struct addon_ops block_ops = {
    .name = "block",
    .configure = configure,
    .free = block_free,
    .hooks = {[HOOK_CLIENT_CONNECTED] = on_client_connected},
};

struct addon *
addon_block_new(void)
{
    struct block *b = xcalloc(1, sizeof(*b));
    b->base.ops = &block_ops;
    /* The option defaults, for a chain that is never configured. */
    b->block_global = 1;
    return &b->base;
}
