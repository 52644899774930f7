/*
 * The replacement-rule parser of modify_body / modify_headers / map_remote /
 * map_local ("[/filter]/regex/replacement"): split, escape-decode, compile
 * the regex and substitute into a fixed subject, with arbitrary bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "addons/spec.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct spec sp;
    struct err e = {0};
    if (spec_parse(s, &sp, &e) == 0) {
        struct buf pat = BUF_INIT, repl = BUF_INIT, out = BUF_INIT;
        if (spec_unescape(sp.subject, &pat, &e) == 0 && sp.replacement[0] != '@' &&
            spec_unescape(sp.replacement, &repl, &e) == 0) {
            struct spec_re *re = spec_re_compile(buf_ptr(&pat), pat.len, 0, &e);
            if (re) {
                static const char subject[] = "GET /path?q=1 HTTP/1.1 hello world \x00\xff";
                size_t count = 0;
                spec_re_sub(re, buf_ptr(&repl), repl.len, (const uint8_t *)subject,
                            sizeof(subject) - 1, &out, &count, &e);
                spec_re_free(re);
            }
        }
        buf_clear(&pat);
        buf_clear(&repl);
        buf_clear(&out);
        spec_clear(&sp);
    }
    free(s);
    return 0;
}
