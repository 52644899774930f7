/*
 * Python regexes as users type them (filters, ignore_hosts, modify_body,
 * map_remote, pathod anchors): the first byte picks the PYRE_* flags, the
 * rest is the pattern. A pattern that compiles is searched and matched in
 * a few subjects; one that does not must say why.
 */
#include <stdlib.h>
#include <string.h>

#include "util/pyre.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned flags = data[0] & 0x0f;
    struct err e = {0};
    size_t pos = (size_t)-1;
    pcre2_code *re = pyre_compile((const char *)data + 1, size - 1, flags, &pos, &e);
    if (re == NULL) {
        if (e.code != MP_ERR_SYNTAX || e.msg[0] == '\0' || pos > size - 1)
            abort();
        return 0;
    }
    static const char *const subjects[] = {"", "a\n", "example.com:443", "GET /a/b?c=d\r\n",
                                           "\x00\xff\n\n"};
    for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
        size_t n = i == 4 ? 4 : strlen(subjects[i]);
        pyre_search(re, subjects[i], n);
        pyre_match(re, subjects[i], n);
    }
    pcre2_code_free(re);
    return 0;
}
