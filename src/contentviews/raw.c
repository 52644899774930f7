/*
 * Raw: the bytes escaped as strutils.bytes_to_escaped_str(data, True) does
 * (Python's bytes repr, keeping tab, CR and LF) and split into lines where
 * CR, LF or CRLF was. Works a chunk at a time, so the first page of a huge
 * body comes at once.
 */
#include <stdlib.h>

#include "contentviews/internal.h"
#include "util/xmalloc.h"

struct raw {
    size_t pos;      /* next byte of the body */
    struct buf line; /* the escaped line being built */
    size_t run;      /* backslashes at its end (see cv__escape_bytes) */
};

static void
raw_free(void *p)
{
    struct raw *s = p;
    buf_clear(&s->line);
    free(s);
}

int
cv__raw_priority(struct cv_render *r)
{
    return r->body.len ? 1 : 0;
}

int
cv__raw_render(struct cv_render *r)
{
    struct raw *s = r->state;
    if (s == NULL) {
        if (!r->have_desc)
            cv__set_desc(r, "Raw");
        s = xcalloc(1, sizeof(*s));
        cv__set_state(r, s, raw_free);
    }
    const uint8_t *p = cv__data(r);
    size_t n = r->body.len;
    while (s->pos < n) {
        if (!cv__room(r) || !cv__spend(r, 0))
            return CV__MORE;
        size_t i = s->pos, j = i;
        while (j < n && p[j] != '\n' && p[j] != '\r' && j - i < 65536)
            j++;
        cv__escape_bytes(&s->line, p + i, j - i, 1, &s->run);
        cv__spend(r, j - i + 1);
        if (j == n || (p[j] != '\n' && p[j] != '\r')) {
            s->pos = j; /* a long line: continue it in the next round */
            if (j < n)
                continue;
        } else {
            cv__escape_unrun(&s->line, &s->run);
            s->pos = j + 1 + (p[j] == '\r' && j + 1 < n && p[j + 1] == '\n');
        }
        /* Escaping leaves no other control character, so the line is safe. */
        cv__line(r->out);
        cv__tok_plain(r->out, CV_STYLE_TEXT, buf_ptr(&s->line), s->line.len);
        buf_reset(&s->line);
        s->run = 0;
    }
    return CV__DONE;
}
