/*
 * A line diff: the shortest edit script between two lists of lines, by
 * Myers' O(ND) greedy algorithm ("An O(ND) Difference Algorithm and Its
 * Variations", 1986), after the common first and last lines are set
 * aside. The console's diff of two flows is its user; lines are bytes,
 * compared exactly.
 *
 *   struct slice *a, *b;
 *   size_t na = diff_split(old, oldlen, &a), nb = diff_split(new, newlen, &b);
 *   struct diff_script d = DIFF_SCRIPT_INIT;
 *   diff_lines(a, na, b, nb, 0, &d);
 *   for (size_t i = 0; i < d.n; i++) ... d.v[i].op, d.v[i].a, d.v[i].b
 *   diff_script_clear(&d); free(a); free(b);
 */
#ifndef MP_UTIL_DIFF_H
#define MP_UTIL_DIFF_H

#include <stddef.h>

#include "util/buf.h"

/* The work the search may do when none is given: edit scripts of up to
 * this many lines added or deleted are the shortest; the memory it takes
 * grows with its square (about 16 MB at this bound). */
#define DIFF_DEFAULT_MAX_D 2000

enum diff_op { DIFF_SAME, DIFF_DEL, DIFF_ADD };

/* One line of the script: SAME (a[a] equals b[b]), DEL (a[a] goes), ADD (b[b] comes). */
struct diff_edit {
    enum diff_op op;
    size_t a, b; /* a is meaningful for SAME and DEL, b for SAME and ADD */
};

struct diff_script {
    struct diff_edit *v; /* owned array, in the order the lines are shown */
    size_t n, cap;
};

#define DIFF_SCRIPT_INIT                                                                           \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void diff_script_clear(struct diff_script *);

/*
 * Appends to out the edits that turn a[0..na) into b[0..nb) (the slices
 * are borrowed for the call), deletions before additions where both meet.
 * max_d bounds the search (0: DIFF_DEFAULT_MAX_D): when the two differ by
 * more, the lines between the common start and end are given as all of a
 * deleted, then all of b added, which is correct but not the shortest.
 * Returns the number of lines added and deleted.
 */
size_t diff_lines(const struct slice *a, size_t na, const struct slice *b, size_t nb, size_t max_d,
                  struct diff_script *out);

/*
 * Splits text at "\n" into lines without it (a "\r" before it stays); a
 * last line without "\n" counts, an empty text has none. *out gets a
 * malloc'd array pointing into text (caller frees); returns its length.
 */
size_t diff_split(const void *text, size_t n, struct slice **out);

#endif
