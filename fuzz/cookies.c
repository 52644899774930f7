/*
 * Cookie and Set-Cookie values from the wire: read both ways, write back,
 * and look at every attribute and expiry the way stickycookie and server
 * replay do.
 */
#include <stdlib.h>

#include "http/cookies.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct cookies cs = {0}, set = {0};
    cookies_parse(p, size, &cs);
    cookies_parse_set(p, size, &set);
    struct buf b = BUF_INIT;
    cookies_format(&b, &cs);
    cookies_format_set(&b, &set);
    for (size_t i = 0; i < set.n; i++) {
        struct cookie *c = &set.v[i];
        double when;
        cookie_expiry(c, 1700000000.0, &when);
        cookie_attr(c, "domain");
        cookie_attr_set(c, "expires", "Thu, 01 Jan 1970 00:00:00 GMT");
        cookie_attr_del(c, "path");
    }
    cookies_format_set(&b, &set);
    /* What was written reads back without trouble. */
    struct cookies again = {0};
    cookies_parse_set((const char *)buf_ptr(&b), b.len, &again);
    cookies_clear(&again);
    buf_clear(&b);
    cookies_clear(&cs);
    cookies_clear(&set);
    return 0;
}
