/*
 * Helpers for the store's tests: the fixture flows, a "loop" that runs
 * what the store's workers post (a queue drained on the test's thread),
 * and an event recorder.
 */
#ifndef MP_TESTS_STORE_TSTORE_H
#define MP_TESTS_STORE_TSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "store/store.h"
#include "util/buf.h"

/* The raw records of fixtures/flows/NAME: *data (malloc'd) holds the file,
 * record i is data[offs[i] .. offs[i + 1]). Returns the count. */
size_t trecords(const char *name, uint8_t **data, size_t **offs);
/* Every flow of fixtures/flows/NAME, one reference each (free with tflows_free). */
size_t tflows_load(const char *name, struct flow ***out);
void tflows_free(struct flow **v, size_t n);

/* A queue standing in for the loop: store_config.post. */
struct tloop;
struct tloop *tloop_new(void);
void tloop_free(struct tloop *);
void tloop_post(void *ctx, void (*fn)(void *), void *arg);
/* Runs what was posted until *flag is set (or 20 s pass: the test fails). */
void tloop_run_until(struct tloop *, const int *flag);
/* Runs whatever is queued now. */
void tloop_drain(struct tloop *);

/* Records events as lines "add 3 <id>" into a buffer. */
struct trec {
    struct buf log;
    size_t n[8];
};
void trec_cb(void *arg, enum store_event ev, const char *id, size_t index);
void trec_clear(struct trec *);

/* The ids a store_select() or store_scan_step() hands out, in order:
 * tids_collect is their callback (it checks positions come 0, 1, 2, ...
 * across calls); v is the caller's to free. */
struct tids {
    char (*v)[UUID_STR_LEN];
    size_t n;
};
void tids_collect(void *arg, size_t pos, const char *id);

/* A store with cfg (NULL: defaults, no threads). */
struct store *tstore_new(const struct store_config *cfg);
/* The id of the flow at view index i (static buffer). */
const char *tstore_view_id(struct store *, size_t i);
/* n bytes of noise that zstd cannot shrink, the same for the same seed. */
void tstore_fill(uint8_t *p, size_t n, uint32_t seed);

#endif
