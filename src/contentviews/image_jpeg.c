/*
 * JPEG metadata as 8.1.1 reads it: the baseline frame size (SOF0), the
 * JFIF header (APP0), comments, and the text fields of EXIF's first IFD
 * (APP1). Segments are read until the scan, whose data runs to the end.
 * Markers, component ids, density units, EXIF tags and field types must be
 * ones the Kaitai parser knows; anything else is an error, as there.
 */
#include <string.h>

#include "contentviews/image.h"
#include "contentviews/internal.h"
#include "contentviews/tables.h"

static int
known_marker(uint8_t m)
{
    return m == 1 || (m >= 0xc0 && m <= 0xc7) || (m >= 0xd8 && m <= 0xef) || m == 0xfe;
}

static const char *
exif_tag(uint16_t tag)
{
    size_t lo = 0, hi = cv__exif_tags_n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (tag < cv__exif_tags[mid].value)
            hi = mid;
        else if (tag > cv__exif_tags[mid].value)
            lo = mid + 1;
        else
            return cv__exif_tags[mid].name;
    }
    return NULL;
}

/*
 * The text fields of IFD0 in a TIFF structure (offsets from its start):
 * a field whose data is over four bytes long (counting every type but
 * word and dword as one byte per item, as the parser does) is read and
 * shown as UTF-8 without its NULs.
 */
static int
exif(const uint8_t *p, size_t n, struct cv__meta *m)
{
    struct cv__rd r = cv__rd_new(p, n);
    uint16_t order = cv__rd_u2(&r, 0);
    if (r.err || (order != 0x4949 && order != 0x4d4d))
        return -1; /* no body: 8.1.1 fails looking for one */
    int be = order == 0x4d4d;
    cv__rd_u2(&r, be);
    uint32_t ifd0 = cv__rd_u4(&r, be);
    if (r.err)
        return -1;
    struct cv__rd ifd = cv__rd_new(p, n);
    ifd.pos = ifd0;
    uint16_t count = cv__rd_u2(&ifd, be);
    struct field {
        uint16_t tag, type;
        uint32_t len, ofs;
    } f;
    size_t first = ifd.pos;
    /* The whole IFD is read before any field is used. */
    cv__rd_bytes(&ifd, (uint64_t)count * 12 + 4);
    if (ifd.err)
        return -1;
    for (uint16_t i = 0; i < count; i++) {
        struct cv__rd fr = cv__rd_new(p, n);
        fr.pos = first + (size_t)i * 12;
        f.tag = cv__rd_u2(&fr, be);
        f.type = cv__rd_u2(&fr, be);
        f.len = cv__rd_u4(&fr, be);
        f.ofs = cv__rd_u4(&fr, be);
        if (exif_tag(f.tag) == NULL || !(f.type == 1 || f.type == 2 || f.type == 3 || f.type == 4 ||
                                         f.type == 5 || f.type == 7 || f.type == 9 || f.type == 10))
            return -1;
    }
    for (uint16_t i = 0; i < count; i++) {
        struct cv__rd fr = cv__rd_new(p, n);
        fr.pos = first + (size_t)i * 12;
        f.tag = cv__rd_u2(&fr, be);
        f.type = cv__rd_u2(&fr, be);
        f.len = cv__rd_u4(&fr, be);
        f.ofs = cv__rd_u4(&fr, be);
        uint64_t size = (uint64_t)f.len * (f.type == 3 ? 2 : f.type == 4 ? 4 : 1);
        if (size <= 4)
            continue;
        struct cv__rd d = cv__rd_new(p, n);
        d.pos = f.ofs;
        const uint8_t *data = cv__rd_bytes(&d, size);
        if (d.err || !cv__utf8_valid(data, (size_t)size))
            return -1;
        size_t a = 0, b = (size_t)size;
        while (a < b && data[a] == 0)
            a++;
        while (b > a && data[b - 1] == 0)
            b--;
        const char *name = exif_tag(f.tag);
        cv__meta_add(m, name, strlen(name), (const char *)data + a, b - a);
    }
    return 0;
}

/* One segment's data parsed as the parser does for its marker. */
static int
segment(uint8_t marker, const uint8_t *d, size_t len, struct cv__meta *m)
{
    struct cv__rd r = cv__rd_new(d, len);
    if (marker == 0xda) { /* SOS */
        uint8_t nc = cv__rd_u1(&r);
        for (int i = 0; i < nc; i++) {
            uint8_t id = cv__rd_u1(&r);
            cv__rd_u1(&r);
            if (id < 1 || id > 5)
                return -1;
        }
        cv__rd_bytes(&r, 3);
    } else if (marker == 0xe1) { /* APP1 */
        size_t ml;
        const uint8_t *magic = cv__rd_term(&r, &ml);
        if (r.err)
            return -1;
        for (size_t i = 0; i < ml; i++)
            if (magic[i] >= 0x80)
                return -1;
        if (ml == 4 && memcmp(magic, "Exif", 4) == 0) {
            cv__rd_expect(&r, "", 1);
            if (r.err || exif(d + r.pos, len - r.pos, m) < 0)
                return -1;
        }
    } else if (marker == 0xc0) { /* SOF0 */
        cv__rd_u1(&r);
        uint16_t h = cv__rd_u2(&r, 1), w = cv__rd_u2(&r, 1);
        uint8_t nc = cv__rd_u1(&r);
        for (int i = 0; i < nc; i++) {
            uint8_t id = cv__rd_u1(&r);
            cv__rd_bytes(&r, 2);
            if (id < 1 || id > 5)
                return -1;
        }
        if (r.err)
            return -1;
        cv__meta_addf(m, "Size", "%u x %u px", w, h);
    } else if (marker == 0xe0) { /* APP0 */
        const uint8_t *magic = cv__rd_bytes(&r, 5);
        uint8_t major = cv__rd_u1(&r), minor = cv__rd_u1(&r), units = cv__rd_u1(&r);
        uint16_t dx = cv__rd_u2(&r, 1), dy = cv__rd_u2(&r, 1);
        uint8_t tx = cv__rd_u1(&r), ty = cv__rd_u1(&r);
        cv__rd_bytes(&r, (uint64_t)tx * ty * 3);
        if (r.err || units > 2)
            return -1;
        for (int i = 0; i < 5; i++)
            if (magic[i] >= 0x80)
                return -1;
        cv__meta_addf(m, "jfif_version", "(%u, %u)", major, minor);
        cv__meta_addf(m, "jfif_density", "(%u, %u)", dx, dy);
        cv__meta_addf(m, "jfif_unit", "%u", units);
    } else if (marker == 0xfe) { /* COM */
        struct buf v = BUF_INIT;
        cv__repr_bytes(&v, d, len);
        cv__meta_add(m, "comment", 7, (const char *)buf_ptr(&v), v.len);
        buf_clear(&v);
    }
    return r.err ? -1 : 0;
}

int
cv__image_jpeg(const uint8_t *p, size_t n, struct cv__meta *m)
{
    struct cv__rd r = cv__rd_new(p, n);
    cv__meta_addf(m, "Format", "JPEG (ISO 10918)");
    /* All segments are parsed before the metadata is read; an error in a
     * later one discards what came before, so collect it aside. */
    struct cv__meta seg = {0};
    int rc = 0;
    while (!cv__rd_eof(&r)) {
        cv__rd_expect(&r, "\xff", 1);
        uint8_t marker = cv__rd_u1(&r);
        if (r.err || !known_marker(marker)) {
            rc = -1;
            break;
        }
        if (marker == 0xd8 || marker == 0xd9)
            continue;
        uint16_t length = cv__rd_u2(&r, 1);
        const uint8_t *d = length >= 2 ? cv__rd_bytes(&r, length - 2u) : NULL;
        if (r.err || d == NULL || segment(marker, d, length - 2u, &seg) < 0) {
            rc = -1;
            break;
        }
        if (marker == 0xda)
            break; /* the image data runs to the end */
    }
    if (rc == 0) {
        const uint8_t *t = buf_ptr(&seg.text);
        for (size_t i = 0; i < seg.n; i++)
            cv__meta_add(m, (const char *)t + seg.off[4 * i], seg.off[4 * i + 1],
                         (const char *)t + seg.off[4 * i + 2], seg.off[4 * i + 3]);
    }
    cv__meta_clear(&seg);
    return rc;
}
