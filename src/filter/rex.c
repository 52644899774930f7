/*
 * The filter's regexes: Python's re syntax through util/pyre, with the
 * flags mitmproxy gives each operator and the filter's case rule (see
 * filter.h). Patterns and subjects are bytes, like Python's bytes patterns.
 */
#include <pthread.h>
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

/*
 * One match data per thread, kept: a store filters a million flows with a
 * search or two each, and a match data made and freed per search cost a
 * third of ~h's instructions (two mallocs and two frees a call). A thread
 * that ends frees its own (the key's destructor); the main thread's stays
 * reachable from its thread-local slot until the process ends.
 */
static pthread_key_t md_key;
static int md_key_ok;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static _Thread_local pcre2_match_data *md;

static void
md_free(void *p)
{
    pcre2_match_data_free(p);
}

static void
md_key_make(void)
{
    md_key_ok = pthread_key_create(&md_key, md_free) == 0;
}

static pcre2_match_data *
thread_md(void)
{
    if (md)
        return md;
    pthread_once(&md_once, md_key_make);
    if (!md_key_ok)
        return NULL;
    md = pcre2_match_data_create(1, NULL);
    if (md && pthread_setspecific(md_key, md) != 0) {
        pcre2_match_data_free(md);
        md = NULL;
    }
    return md;
}

int
filt__rex_search(const pcre2_code *re, const void *p, size_t n)
{
    pcre2_match_data *m = thread_md();
    if (m == NULL)
        return pyre_search(re, p, n);
    static const uint8_t empty[1];
    /* As pyre_search(): a match anywhere, Python's re.search(). */
    return pcre2_match(re, (PCRE2_SPTR)(p ? p : empty), n, 0, 0, m, NULL) >= 0;
}
