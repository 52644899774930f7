/*
 * diff.c: the script turns a into b, it is the shortest one (checked
 * against the longest common subsequence by dynamic programming on many
 * random inputs), deletions come before additions, and past max_d the
 * middle is replaced whole.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/test.h"
#include "util/diff.h"

/* The script as " x" / "-x" / "+x" lines, for lines of a and b. */
static void
show(const struct diff_script *d, const struct slice *a, const struct slice *b, struct buf *out)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct diff_edit *e = &d->v[i];
        struct slice s = e->op == DIFF_ADD ? b[e->b] : a[e->a];
        buf_append_str(out, e->op == DIFF_SAME ? " " : e->op == DIFF_DEL ? "-" : "+");
        buf_append(out, s.p, s.len);
        buf_append_str(out, "\n");
    }
}

static void
check(const char *old, const char *new, size_t max_d, const char *want, size_t want_edits)
{
    struct slice *a, *b;
    size_t na = diff_split(old, strlen(old), &a), nb = diff_split(new, strlen(new), &b);
    struct diff_script d = DIFF_SCRIPT_INIT;
    struct buf got = BUF_INIT;
    size_t edits = diff_lines(a, na, b, nb, max_d, &d);
    show(&d, a, b, &got);
    ASSERT_BUF_STR(&got, want);
    ASSERT_EQ(edits, want_edits);
    buf_clear(&got);
    diff_script_clear(&d);
    free(a);
    free(b);
}

TEST(diff_lines_scripts)
{
    check("", "", 0, "", 0);
    check("a\nb\n", "a\nb\n", 0, " a\n b\n", 0);
    check("", "x\n", 0, "+x\n", 1);
    check("x\n", "", 0, "-x\n", 1);
    /* Myers' paper's example: ABCABBA to CBABAC takes five edits. */
    check("A\nB\nC\nA\nB\nB\nA\n", "C\nB\nA\nB\nA\nC\n", 0, "-A\n-B\n C\n+B\n A\n B\n-B\n A\n+C\n",
          5);
    /* A changed line is its deletion, then its addition. */
    check("h: 1\nbody\nend\n", "h: 2\nbody\nend\n", 0, "-h: 1\n+h: 2\n body\n end\n", 2);
    check("a\nb\nc\nd\n", "a\nx\ny\nd\n", 0, " a\n-b\n-c\n+x\n+y\n d\n", 4);
    /* Past max_d: the middle goes and comes whole, the common ends stay. */
    check("s\n1\n2\n3\ne\n", "s\n2\n9\n3\n8\ne\n", 2, " s\n-1\n-2\n-3\n+2\n+9\n+3\n+8\n e\n", 7);
    check("s\n1\n2\n3\ne\n", "s\n2\n9\n3\n8\ne\n", 0, " s\n-1\n 2\n+9\n 3\n+8\n e\n", 3);
}

TEST(diff_split_lines)
{
    struct slice *v;
    ASSERT_EQ(diff_split("", 0, &v), 0);
    free(v);
    ASSERT_EQ(diff_split("a\r\n\nb", 5, &v), 3);
    ASSERT_SLICE_STR(v[0], "a\r");
    ASSERT_SLICE_STR(v[1], "");
    ASSERT_SLICE_STR(v[2], "b");
    free(v);
    ASSERT_EQ(diff_split("a\n", 2, &v), 1);
    free(v);
}

/* The length of the longest common subsequence, by the table. */
static size_t
lcs(const char *a, size_t na, const char *b, size_t nb)
{
    size_t *t = calloc((na + 1) * (nb + 1), sizeof(*t));
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t *c = &t[i * (nb + 1) + j];
            if (a[i - 1] == b[j - 1])
                *c = t[(i - 1) * (nb + 1) + j - 1] + 1;
            else
                *c = t[(i - 1) * (nb + 1) + j] > t[i * (nb + 1) + j - 1] ? t[(i - 1) * (nb + 1) + j]
                                                                         : t[i * (nb + 1) + j - 1];
        }
    size_t r = t[na * (nb + 1) + nb];
    free(t);
    return r;
}

TEST(diff_lines_shortest_on_random_input)
{
    unsigned seed = 14;
    for (int round = 0; round < 2000; round++) {
        char a[40], b[40];
        size_t na = (size_t)(rand_r(&seed) % 30), nb = (size_t)(rand_r(&seed) % 30);
        int alphabet = 2 + rand_r(&seed) % 5;
        for (size_t i = 0; i < na; i++)
            a[i] = (char)('a' + rand_r(&seed) % alphabet);
        for (size_t j = 0; j < nb; j++)
            b[j] = (char)('a' + rand_r(&seed) % alphabet);
        struct slice la[40], lb[40];
        for (size_t i = 0; i < na; i++)
            la[i] = (struct slice){(const uint8_t *)&a[i], 1};
        for (size_t j = 0; j < nb; j++)
            lb[j] = (struct slice){(const uint8_t *)&b[j], 1};
        struct diff_script d = DIFF_SCRIPT_INIT;
        size_t edits = diff_lines(la, na, lb, nb, 0, &d);
        ASSERT_EQ(edits, na + nb - 2 * lcs(a, na, b, nb));
        /* Read as a walk: a's lines in order, b's lines in order, equal where SAME. */
        size_t ia = 0, ib = 0, changes = 0;
        for (size_t k = 0; k < d.n; k++) {
            const struct diff_edit *e = &d.v[k];
            if (e->op != DIFF_ADD) {
                ASSERT_EQ(e->a, ia);
                ia++;
            }
            if (e->op != DIFF_DEL) {
                ASSERT_EQ(e->b, ib);
                ib++;
            }
            if (e->op == DIFF_SAME)
                ASSERT_EQ(a[e->a], b[e->b]);
            else
                changes++;
            /* No addition right before a deletion. */
            if (k + 1 < d.n && e->op == DIFF_ADD)
                ASSERT(d.v[k + 1].op != DIFF_DEL);
        }
        ASSERT_EQ(ia, na);
        ASSERT_EQ(ib, nb);
        ASSERT_EQ(changes, edits);
        diff_script_clear(&d);
    }
}
