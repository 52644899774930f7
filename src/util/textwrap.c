/*
 * Python's textwrap.wrap(), which mitmproxy uses for option and command
 * help: greedy filling of chunks, where a chunk is a run of whitespace or a
 * word, and words also break after a hyphen between letters ("not-modified"
 * may wrap after "not-"). Whitespace at a line's start (except the first)
 * and end is dropped; inner runs are kept as they are.
 */
#include <ctype.h>
#include <stdlib.h>

#include "util/textwrap.h"
#include "util/xmalloc.h"

struct chunk {
    const char *p;
    size_t len;
    int space;
};

static int
isletter(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static size_t
split_chunks(const char *s, struct chunk **out)
{
    size_t n = 0, cap = 16;
    struct chunk *v = xmalloc(cap * sizeof(*v));
    const char *p = s;
    while (*p) {
        const char *q = p;
        int space = isspace((unsigned char)*p) != 0;
        if (space) {
            while (*q && isspace((unsigned char)*q))
                q++;
        } else {
            while (*q && !isspace((unsigned char)*q)) {
                /* textwrap: "-" ends a chunk when two letters precede it and a
                 * letter (maybe after one more "-") follows. */
                if (*q == '-' && q - p >= 2 && isletter(q[-1]) && isletter(q[-2]) &&
                    (isletter(q[1]) || (q[1] == '-' && isletter(q[2])))) {
                    q++;
                    break;
                }
                q++;
            }
        }
        if (n == cap) {
            cap *= 2;
            v = xrealloc(v, cap * sizeof(*v));
        }
        v[n++] = (struct chunk){p, (size_t)(q - p), space};
        p = q;
    }
    *out = v;
    return n;
}

void
textwrap(const char *text, size_t width, textwrap_line_cb line, void *arg)
{
    struct chunk *c;
    size_t n = split_chunks(text, &c);
    size_t i = 0;
    int first = 1;
    while (i < n) {
        if (!first && c[i].space)
            i++;
        if (i >= n)
            break;
        size_t start = i, len = 0;
        while (i < n && len + c[i].len <= width) {
            len += c[i].len;
            i++;
        }
        struct chunk cut = {NULL, 0, 0};
        if (i == start) {
            /* A word longer than the line: cut it (textwrap's break_long_words). */
            cut = (struct chunk){c[i].p, width, 0};
            c[i].p += width;
            c[i].len -= width;
        }
        size_t end = i;
        if (end > start && c[end - 1].space)
            end--;
        /* The chunks of a line are contiguous in text: one span. */
        if (cut.p)
            line(arg, cut.p, cut.len);
        else if (end > start)
            line(arg, c[start].p, (size_t)(c[end - 1].p + c[end - 1].len - c[start].p));
        else
            line(arg, "", 0);
        first = 0;
    }
    free(c);
}
