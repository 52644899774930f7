/*
 * The block addon (mitmproxy/addons/block.py of 8.1.1): refuses client
 * connections by where they come from. With block_global (the default) a
 * client with a globally reachable address is cut off; with block_private
 * a client with a private one is. Loopback clients are always let in.
 *
 * "Private" and "global" are what Python's ipaddress module says they are
 * (is_private, is_global) in the Python that mitmproxy 8.1.1 runs on here
 * (Debian 12's 3.11, which carries the IANA special-registry lists with
 * their exceptions), so the two programs let in the same clients.
 */
#ifndef MP_ADDONS_BLOCK_H
#define MP_ADDONS_BLOCK_H

#include "addons/addon.h"

/* A new block addon; it reads block_global and block_private in configure. */
struct addon *addon_block_new(void);

/* What block_classify() finds; an address may be loopback and private at once. */
enum {
    BLOCK_LOOPBACK = 1,
    BLOCK_PRIVATE = 2,
    BLOCK_GLOBAL = 4,
};

/*
 * Classifies a numeric IP text ("10.0.0.1", "fe80::1%eth0",
 * "::ffff:1.2.3.4") the way block.py does: a "%scope" suffix is dropped and
 * an IPv4-mapped IPv6 address counts as its IPv4 address. Returns a set of
 * BLOCK_* bits, or -1 if ip is not an address.
 */
int block_classify(const char *ip);

#endif
