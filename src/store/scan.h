/*
 * A filter run over every stored flow a part at a time, for a UI that
 * must answer keys while it runs (the console's search across flows):
 * each step matches the next rows, in parallel on the store's workers
 * (store__keep_matching, as store_select() does), and returns. The flows
 * searched are those in the store when the scan began, in store order;
 * flows removed meanwhile are skipped, flows added are not searched. A
 * step keeps its place by the rows' store order, not by slot, so the
 * table may be compacted between steps.
 *
 * Apart from store.h because it is the console's: one caller, and the
 * other store work goes on in store.h's files.
 */
#ifndef MP_STORE_SCAN_H
#define MP_STORE_SCAN_H

#include <stddef.h>

#include "store/store.h"
#include "util/err.h"

struct store_scan;

/* A scan of filter (mitmproxy's syntax) over s, which must outlive it.
 * NULL with e (MP_ERR_SYNTAX, mitmproxy's message) for a filter that does
 * not parse. Free with store_scan_free(). */
struct store_scan *store_scan_new(struct store *s, const char *filter, struct err *e);
/* Matches about rows more rows; each(arg, pos, id) for every hit, pos
 * counting the hits from 0, id borrowed for the call. Returns 1 while
 * rows remain, 0 once every flow is searched. */
int store_scan_step(struct store_scan *, size_t rows, store_select_cb each, void *arg);
/* Rows searched so far and the rows there were to search. */
void store_scan_progress(const struct store_scan *, size_t *done, size_t *total);
void store_scan_free(struct store_scan *);

#endif
