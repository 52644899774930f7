/*
 * ICO metadata as 8.1.1 reads it: the number of images and, for each,
 * its size (0 meaning 256), bits per pixel and whether it is a PNG (whose
 * first eight bytes must be in the file).
 */
#include <stdio.h>
#include <string.h>

#include "contentviews/image.h"
#include "contentviews/internal.h"

int
cv__image_ico(const uint8_t *p, size_t n, struct cv__meta *m)
{
    struct cv__rd r = cv__rd_new(p, n);
    cv__rd_expect(&r, "\0\0\1\0", 4);
    uint16_t count = cv__rd_u2(&r, 0);
    size_t first = r.pos;
    for (uint16_t i = 0; i < count; i++) {
        cv__rd_bytes(&r, 3);
        cv__rd_expect(&r, "", 1);
        cv__rd_bytes(&r, 12);
    }
    if (r.err)
        return -1;
    cv__meta_addf(m, "Format", "ICO");
    cv__meta_addf(m, "Number of images", "%u", count);
    for (uint16_t i = 0; i < count; i++) {
        struct cv__rd e = cv__rd_new(p, n);
        e.pos = first + (size_t)i * 16;
        uint8_t w = cv__rd_u1(&e), h = cv__rd_u1(&e);
        cv__rd_bytes(&e, 4);
        uint16_t bpp = cv__rd_u2(&e, 0);
        cv__rd_u4(&e, 0);
        uint32_t ofs = cv__rd_u4(&e, 0);
        struct cv__rd img = cv__rd_new(p, n);
        img.pos = ofs;
        const uint8_t *head = cv__rd_bytes(&img, 8);
        if (img.err)
            return -1;
        char key[32];
        snprintf(key, sizeof(key), "Image %u", i + 1u);
        cv__meta_addf(m, key, "Size: %u x %u\n%18sBits per pixel: %u\n%18sPNG: %s", w ? w : 256u,
                      h ? h : 256u, "", bpp, "",
                      memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0 ? "True" : "False");
    }
    return 0;
}
