/*
 * GIF metadata as 8.1.1 reads it: version, screen size, background colour
 * index and comments. Every block is walked; a block or extension type the
 * Kaitai parser does not know is an error, as there.
 */
#include <string.h>

#include "contentviews/image.h"
#include "contentviews/internal.h"

/* Sub-blocks up to the empty one; comments go to m when given. */
static void
subblocks(struct cv__rd *r, struct cv__meta *comments)
{
    for (;;) {
        uint8_t k = cv__rd_u1(r);
        const uint8_t *b = cv__rd_bytes(r, k);
        if (r->err || k == 0)
            return;
        if (comments) {
            struct buf v = BUF_INIT;
            cv__repr_bytes(&v, b, k);
            cv__meta_add(comments, "comment", 7, (const char *)buf_ptr(&v), v.len);
            buf_clear(&v);
        }
    }
}

int
cv__image_gif(const uint8_t *p, size_t n, struct cv__meta *m)
{
    struct cv__rd r = cv__rd_new(p, n);
    cv__rd_expect(&r, "GIF", 3);
    const uint8_t *version = cv__rd_bytes(&r, 3);
    uint16_t w = cv__rd_u2(&r, 0), h = cv__rd_u2(&r, 0);
    uint8_t flags = cv__rd_u1(&r), bg = cv__rd_u1(&r);
    cv__rd_u1(&r);
    if (flags & 0x80)
        cv__rd_bytes(&r, (2u << (flags & 7)) * 3);
    if (r.err || version[0] >= 0x80 || version[1] >= 0x80 || version[2] >= 0x80)
        return -1;
    cv__meta_addf(m, "Format", "Compuserve GIF");
    cv__meta_addf(m, "Version", "GIF%.3s", (const char *)version);
    cv__meta_addf(m, "Size", "%u x %u px", w, h);
    cv__meta_addf(m, "background", "%u", bg);
    /* Comments come after every block is read, as 8.1.1 lists them. */
    struct cv__meta comments = {0};
    for (;;) {
        uint8_t type = cv__rd_u1(&r);
        if (r.err)
            break;
        if (type == 0x21) {
            uint8_t label = cv__rd_u1(&r);
            if (label == 0xff) {
                cv__rd_bytes(&r, cv__rd_u1(&r)); /* the application id: one sub-block */
                subblocks(&r, NULL);
            } else if (label == 0xfe) {
                subblocks(&r, &comments);
            } else if (label == 0xf9) {
                cv__rd_expect(&r, "\x04", 1);
                cv__rd_bytes(&r, 4);
                cv__rd_expect(&r, "", 1);
            } else {
                r.err = 1;
            }
        } else if (type == 0x2c) {
            cv__rd_bytes(&r, 8);
            uint8_t f = cv__rd_u1(&r);
            if (f & 0x80)
                cv__rd_bytes(&r, (2u << (f & 7)) * 3);
            cv__rd_u1(&r);
            subblocks(&r, NULL);
        } else if (type != 0x3b) {
            r.err = 1;
        }
        if (r.err || cv__rd_eof(&r) || type == 0x3b)
            break;
    }
    if (r.err) {
        cv__meta_clear(&comments);
        return -1;
    }
    const uint8_t *t = buf_ptr(&comments.text);
    for (size_t i = 0; i < comments.n; i++)
        cv__meta_add(m, "comment", 7, (const char *)t + comments.off[4 * i + 2],
                     comments.off[4 * i + 3]);
    cv__meta_clear(&comments);
    return 0;
}
