/*
 * The filter's regexes: Python's re syntax through util/pyre, with the
 * flags mitmproxy gives each operator and the filter's case rule (see
 * filter.h). Patterns and subjects are bytes, like Python's bytes patterns.
 */
#include <stdio.h>

#include "filter/internal.h"
#include "util/pyre.h"

pcre2_code *
filt__rex_compile(const char *pattern, size_t len, int rexflags, int icase, char *errbuf,
                  size_t errlen)
{
    unsigned flags = 0;
    if (icase)
        flags |= PYRE_IGNORECASE;
    if (rexflags & FREX_MULTILINE)
        flags |= PYRE_MULTILINE;
    if (rexflags & FREX_DOTALL)
        flags |= PYRE_DOTALL;
    /* Python's refusals say where, as Python's re.error does; PCRE2's own
     * messages have always been given bare here. */
    struct err e = {0};
    struct buf t = BUF_INIT;
    size_t pos = 0;
    int rc = pyre_translate(pattern, len, flags, &t, &pos, &e);
    buf_clear(&t);
    if (rc < 0) {
        snprintf(errbuf, errlen, "%s at position %zu", e.msg, pos);
        return NULL;
    }
    pcre2_code *re = pyre_compile(pattern, len, flags, NULL, &e);
    if (re == NULL)
        snprintf(errbuf, errlen, "%s", e.msg);
    return re;
}

int
filt__rex_search(const pcre2_code *re, const void *p, size_t n)
{
    return pyre_search(re, p, n);
}
