/*
 * Shared by the files of src/dns/: reading a name out of a message, with or
 * without compression pointers.
 */
#ifndef MP_DNS_INTERNAL_H
#define MP_DNS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/*
 * Reads the name at msg[*off] into out (text, without NUL). max_pointers 0
 * refuses compression (names inside record data read on their own); else
 * at most that many pointers are followed, each to a place before the part
 * of the name that holds it, so no loop can form. *off moves past the name
 * as it sits at *off. Returns 0 or MP_ERR_PROTOCOL with e->msg naming the
 * fault (the caller says which entry it was reading).
 */
int dns__read_name(const uint8_t *msg, size_t len, size_t *off, size_t max_pointers,
                   struct buf *out, struct err *e);

#endif
