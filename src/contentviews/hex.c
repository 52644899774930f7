/*
 * Hex: strutils.hexdump, sixteen bytes a line: the offset in ten hex digits
 * and a space ("offset"), the bytes in hex padded to 47 characters and
 * three spaces, then the bytes as ASCII with "." for anything unprintable
 * (both "text"). Line i needs only bytes 16i.., so any page is cheap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contentviews/internal.h"

int
cv__hex_priority(struct cv_render *r)
{
    /* 0.2 * strutils.is_mostly_bin: over 30% of the first 100 bytes are
     * neither printable ASCII nor \t..\r. */
    size_t n = r->body.len < 100 ? r->body.len : 100, bin = 0;
    const uint8_t *p = cv__data(r);
    for (size_t i = 0; i < n; i++)
        if (p[i] < 9 || (p[i] > 13 && p[i] < 32) || p[i] > 126)
            bin++;
    return n > 0 && bin * 10 > n * 3 ? 2 : 0;
}

int
cv__hex_render(struct cv_render *r)
{
    static const char hexd[] = "0123456789abcdef";
    size_t *pos = r->state;
    if (pos == NULL) {
        if (!r->have_desc)
            cv__set_desc(r, "Hex");
        cv__set_state(r, pos = calloc(1, sizeof(*pos)), free);
    }
    const uint8_t *p = cv__data(r);
    size_t len = r->body.len;
    while (*pos < len) {
        if (!cv__room(r) || !cv__spend(r, 16))
            return CV__MORE;
        size_t off = *pos, n = len - off < 16 ? len - off : 16;
        char o[16], hx[50], asc[16];
        snprintf(o, sizeof(o), "%010zx ", off);
        size_t k = 0;
        for (size_t i = 0; i < 16; i++) {
            if (i)
                hx[k++] = ' ';
            hx[k++] = i < n ? hexd[p[off + i] >> 4] : ' ';
            hx[k++] = i < n ? hexd[p[off + i] & 15] : ' ';
        }
        hx[k++] = ' ', hx[k++] = ' ', hx[k++] = ' ';
        for (size_t i = 0; i < n; i++) {
            uint8_t c = p[off + i];
            asc[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
        }
        cv__line(r->out);
        cv__tok_plain(r->out, CV_STYLE_OFFSET, o, strlen(o));
        cv__tok_plain(r->out, CV_STYLE_TEXT, hx, k);
        cv__tok_plain(r->out, CV_STYLE_TEXT, asc, n);
        *pos = off + n;
    }
    return CV__DONE;
}
