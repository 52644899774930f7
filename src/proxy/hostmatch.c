#include <stdlib.h>
#include <string.h>

#include "proxy/hostmatch.h"
#include "util/pyre.h"
#include "util/xmalloc.h"

struct hostmatch {
    pcre2_code **re;
    size_t n;
    pcre2_match_data *md;
};

int
hostmatch_compile(struct hostmatch **out, const struct strv *patterns, const char *option,
                  struct err *e)
{
    *out = NULL;
    if (patterns->n == 0)
        return 0;
    struct hostmatch *m = xcalloc(1, sizeof(*m));
    m->re = xcalloc(patterns->n, sizeof(*m->re));
    for (size_t i = 0; i < patterns->n; i++) {
        struct err re = {0};
        size_t off = 0;
        m->re[i] = pyre_compile(patterns->v[i], strlen(patterns->v[i]), PYRE_IGNORECASE, &off, &re);
        if (m->re[i] == NULL) {
            err_set(e, MP_ERR_INVAL, "%s: invalid regular expression '%s': %s at offset %zu",
                    option, patterns->v[i], re.msg, off);
            m->n = i;
            hostmatch_free(m);
            return MP_ERR_INVAL;
        }
        m->n = i + 1;
    }
    m->md = pcre2_match_data_create(4, NULL);
    *out = m;
    return 0;
}

int
hostmatch_search(const struct hostmatch *m, const char *subject)
{
    if (m == NULL || subject == NULL)
        return 0;
    for (size_t i = 0; i < m->n; i++)
        if (pcre2_match(m->re[i], (PCRE2_SPTR)subject, strlen(subject), 0, 0, m->md, NULL) >= 0)
            return 1;
    return 0;
}

void
hostmatch_free(struct hostmatch *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++)
        pcre2_code_free(m->re[i]);
    free(m->re);
    pcre2_match_data_free(m->md);
    free(m);
}
