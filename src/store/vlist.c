/*
 * The view's row slots as a sequence in blocks (view.c keeps it sorted).
 *
 * A flat array moves every slot after the place of an insert or an erase:
 * half the view per flow when a file's flows land all over it (copies of
 * a capture share its times), so loading a large file was quadratic.
 * Blocks of at most VL_BLOCK slots bound what one change moves. A Fenwick
 * tree over the blocks' lengths turns an index into its block and a block
 * into its first index in log2(blocks) steps. A full block splits in two
 * (a full last block that grows at its end gets a new block instead, so a
 * view filled in order stays packed); the table of blocks and the tree are
 * rebuilt then, at most once per VL_BLOCK / 2 inserts into one block. An
 * emptied block goes at once, so every block holds a slot.
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/xmalloc.h"

/* Prefix sum of the lengths of blocks 0..k-1. */
static size_t
fen_sum(const struct vlist *v, size_t k)
{
    size_t sum = 0;
    for (; k > 0; k &= k - 1)
        sum += v->fen[k];
    return sum;
}

static void
fen_add(struct vlist *v, size_t k, long delta)
{
    for (k++; k <= v->nblk; k += k & -k)
        v->fen[k] += (size_t)delta;
}

static void
fen_build(struct vlist *v)
{
    v->fen = xrealloc(v->fen, (v->capblk + 1) * sizeof(*v->fen));
    v->fen[0] = 0;
    for (size_t k = 1; k <= v->nblk; k++)
        v->fen[k] = v->cnt[k - 1];
    for (size_t k = 1; k <= v->nblk; k++) {
        size_t up = k + (k & -k);
        if (up <= v->nblk)
            v->fen[up] += v->fen[k];
    }
}

/* The block holding index i (< len), and i's offset in it. */
static size_t
locate(const struct vlist *v, size_t i, size_t *off)
{
    size_t pos = 0, step = 1;
    while (step * 2 <= v->nblk)
        step *= 2;
    for (; step; step /= 2) {
        if (pos + step <= v->nblk && v->fen[pos + step] <= i) {
            pos += step;
            i -= v->fen[pos];
        }
    }
    *off = i;
    return pos;
}

/* Room for a block at k (the ones from k on move up one); the tree is the
 * caller's to rebuild. */
static void
open_block(struct vlist *v, size_t k)
{
    if (v->nblk == v->capblk) {
        v->capblk = v->capblk ? v->capblk * 2 : 16;
        v->blk = xrealloc(v->blk, v->capblk * sizeof(*v->blk));
        v->cnt = xrealloc(v->cnt, v->capblk * sizeof(*v->cnt));
    }
    memmove(&v->blk[k + 1], &v->blk[k], (v->nblk - k) * sizeof(*v->blk));
    memmove(&v->cnt[k + 1], &v->cnt[k], (v->nblk - k) * sizeof(*v->cnt));
    v->blk[k] = xmalloc(VL_BLOCK * sizeof(**v->blk));
    v->cnt[k] = 0;
    v->nblk++;
}

void
store__vl_clear(struct vlist *v)
{
    for (size_t k = 0; k < v->nblk; k++)
        free(v->blk[k]);
    free(v->blk);
    free(v->cnt);
    free(v->fen);
    size_t moved = v->moved;
    memset(v, 0, sizeof(*v));
    v->moved = moved;
}

uint32_t
store__vl_at(const struct vlist *v, size_t i)
{
    size_t off, k = locate(v, i, &off);
    return v->blk[k][off];
}

void
store__vl_insert(struct vlist *v, size_t i, uint32_t slot)
{
    size_t k, off;
    if (v->nblk == 0) {
        open_block(v, 0);
        fen_build(v);
        k = off = 0;
    } else if (i == v->len) {
        k = v->nblk - 1;
        off = v->cnt[k];
    } else {
        k = locate(v, i, &off);
    }
    if (v->cnt[k] == VL_BLOCK) {
        if (k == v->nblk - 1 && off == VL_BLOCK) {
            k++;
            off = 0;
            open_block(v, k);
        } else {
            /* The upper half to a new block after it. */
            size_t half = VL_BLOCK / 2;
            open_block(v, k + 1);
            memcpy(v->blk[k + 1], v->blk[k] + half, (VL_BLOCK - half) * sizeof(**v->blk));
            v->cnt[k + 1] = VL_BLOCK - half;
            v->cnt[k] = (uint32_t)half;
            v->moved += VL_BLOCK - half;
            if (off > half) {
                off -= half;
                k++;
            }
        }
        fen_build(v);
    }
    uint32_t *b = v->blk[k];
    memmove(&b[off + 1], &b[off], (v->cnt[k] - off) * sizeof(*b));
    v->moved += v->cnt[k] - off;
    b[off] = slot;
    v->cnt[k]++;
    v->len++;
    fen_add(v, k, 1);
}

void
store__vl_erase(struct vlist *v, size_t i)
{
    size_t off, k = locate(v, i, &off);
    uint32_t *b = v->blk[k];
    memmove(&b[off], &b[off + 1], (v->cnt[k] - off - 1) * sizeof(*b));
    v->moved += v->cnt[k] - off - 1;
    v->cnt[k]--;
    v->len--;
    if (v->cnt[k] > 0) {
        fen_add(v, k, -1);
        return;
    }
    free(b);
    memmove(&v->blk[k], &v->blk[k + 1], (v->nblk - k - 1) * sizeof(*v->blk));
    memmove(&v->cnt[k], &v->cnt[k + 1], (v->nblk - k - 1) * sizeof(*v->cnt));
    v->nblk--;
    fen_build(v);
}

void
store__vl_assign(struct vlist *v, const uint32_t *slots, size_t n)
{
    store__vl_clear(v);
    /* Three quarters full: inserts after a refilter split no block at once. */
    size_t per = VL_BLOCK * 3 / 4;
    for (size_t at = 0; at < n; at += per) {
        size_t m = n - at < per ? n - at : per;
        open_block(v, v->nblk);
        memcpy(v->blk[v->nblk - 1], slots + at, m * sizeof(*slots));
        v->cnt[v->nblk - 1] = (uint32_t)m;
    }
    v->len = n;
    fen_build(v);
}

void
store__vl_copy(const struct vlist *v, uint32_t *out)
{
    for (size_t k = 0; k < v->nblk; k++) {
        memcpy(out, v->blk[k], v->cnt[k] * sizeof(*out));
        out += v->cnt[k];
    }
}

void
store__vl_remap(struct vlist *v, const uint32_t *map)
{
    for (size_t k = 0; k < v->nblk; k++)
        for (size_t j = 0; j < v->cnt[k]; j++)
            v->blk[k][j] = map[v->blk[k][j]];
}

size_t
store__vl_search(const struct vlist *v, store__vl_cmp cmp, const void *ctx)
{
    if (v->len == 0)
        return 0;
    /* The last block whose first slot comes before the target (block 0
     * if none does: its first slot is then never looked at by itself). */
    size_t lo = 1, hi = v->nblk;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp(ctx, v->blk[mid][0]);
        if (c == 0)
            return fen_sum(v, mid);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t k = lo - 1;
    const uint32_t *b = v->blk[k];
    size_t l = k > 0, h = v->cnt[k];
    while (l < h) {
        size_t mid = l + (h - l) / 2;
        int c = cmp(ctx, b[mid]);
        if (c == 0)
            return fen_sum(v, k) + mid;
        if (c < 0)
            l = mid + 1;
        else
            h = mid;
    }
    return fen_sum(v, k) + l;
}

long
store__vl_find(const struct vlist *v, uint32_t slot)
{
    size_t base = 0;
    for (size_t k = 0; k < v->nblk; k++) {
        for (size_t j = 0; j < v->cnt[k]; j++)
            if (v->blk[k][j] == slot)
                return (long)(base + j);
        base += v->cnt[k];
    }
    return -1;
}
