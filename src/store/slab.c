/*
 * Memory of the store's own, made present at once.
 *
 * On this kind of VM a page fault costs about 12 us per 4 KiB page: more
 * than reading, checking and compressing what fills the page. A load of a
 * million flows touched some 240,000 fresh pages one fault at a time, half
 * of them for the records kept in RAM (a malloc each), a fifth for the row
 * table. MADV_POPULATE_WRITE makes a whole range present in one call, for
 * about a tenth of the cost; where the kernel lacks it (before 5.14) the
 * pages fault in as before.
 *
 * The records a row keeps in RAM (row.rest, at most a few hundred bytes
 * each) go back to back into slabs of SLAB_SIZE bytes, mapped aligned to
 * their size, so a record's slab is found from its address, and made
 * present a step at a time as they fill. A slab counts
 * its live records and is unmapped when the last one goes; until then a
 * removed record's bytes stay dead in it, as a removed body's do in the
 * log. Records are never moved: filters read them from worker threads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#include "store/internal.h"

#define SLAB_SIZE (4u << 20)
/* A slab is made present this much at a time as it fills: a small store
 * pays for what it uses, not for a whole slab. */
#define SLAB_STEP (256u << 10)
#define PAGE 4096u

struct slab {
    uint32_t live;    /* records in it not yet freed */
    uint32_t used;    /* bytes given out, the header included */
    uint32_t present; /* bytes made present, from the start */
};

_Static_assert(STORE_REST_RAM_MAX + STORE_PLAIN_RAM_MAX + sizeof(struct slab) < SLAB_STEP,
               "a record kept in RAM fits a slab's first step");
_Static_assert(SLAB_SIZE % SLAB_STEP == 0, "a slab is whole steps");

void
store__populate(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
    /* Whole pages inside the range: madvise() wants an aligned start, and
     * a page the range only shares with its neighbour is theirs to touch. */
    uintptr_t a = ((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
    uintptr_t b = ((uintptr_t)p + n) & ~(uintptr_t)(PAGE - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)n;
#endif
}

static _Noreturn void
map_failed(void)
{
    fprintf(stderr, "fatal: out of memory mapping a record slab\n");
    abort();
}

static struct slab *
slab_new(struct slabs *sl)
{
    /* Twice the size, then the ends trimmed: aligned to SLAB_SIZE. */
    size_t span = 2 * (size_t)SLAB_SIZE;
    uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        map_failed();
    uint8_t *a = (uint8_t *)(((uintptr_t)p + SLAB_SIZE - 1) & ~(uintptr_t)(SLAB_SIZE - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    if (p + span > a + SLAB_SIZE)
        munmap(a + SLAB_SIZE, (size_t)(p + span - (a + SLAB_SIZE)));
    store__populate(a, SLAB_STEP);
    struct slab *s = (struct slab *)a;
    s->live = 0;
    s->used = sizeof(*s);
    s->present = SLAB_STEP;
    sl->bytes += SLAB_STEP;
    return s;
}

static void
slab_unmap(struct slabs *sl, struct slab *s)
{
    sl->bytes -= s->present;
    munmap(s, SLAB_SIZE);
}

uint8_t *
store__slab_put(struct slabs *sl, const void *p, size_t n)
{
    /* An empty record takes a byte: its address must stay inside its slab. */
    size_t take = n ? n : 1;
    if (take > SLAB_SIZE - sizeof(struct slab))
        return NULL;
    if (sl->cur == NULL || SLAB_SIZE - sl->cur->used < take) {
        if (sl->cur && sl->cur->live == 0)
            slab_unmap(sl, sl->cur);
        sl->cur = slab_new(sl);
    }
    struct slab *s = sl->cur;
    while (s->used + take > s->present) {
        store__populate((uint8_t *)s + s->present, SLAB_STEP);
        s->present += SLAB_STEP;
        sl->bytes += SLAB_STEP;
    }
    uint8_t *out = (uint8_t *)s + s->used;
    if (n)
        memcpy(out, p, n);
    s->used += (uint32_t)take;
    s->live++;
    return out;
}

void
store__slab_free(struct slabs *sl, uint8_t *p)
{
    if (p == NULL)
        return;
    struct slab *s = (struct slab *)((uintptr_t)p & ~(uintptr_t)(SLAB_SIZE - 1));
    if (--s->live > 0)
        return;
    if (s == sl->cur)
        s->used = sizeof(*s); /* filled again from the start: its pages stay */
    else
        slab_unmap(sl, s);
}

void
store__slabs_clear(struct slabs *sl)
{
    /* Every record is freed by now; only the current slab can be left. */
    if (sl->cur)
        slab_unmap(sl, sl->cur);
    sl->cur = NULL;
}

size_t
store__slabs_bytes(const struct slabs *sl)
{
    return sl->bytes;
}
