/*
 * Reading a flow file ahead of its consumer, on a thread of its own: the
 * file's bytes are read and each record decoded into a struct flow there,
 * so that the loop, which sends the flows through the addon chain
 * (readfile.c), spends its one core on the hooks alone.
 *
 * The flows come out in file order, as ffile_read() gives them, and the
 * error that ends a damaged file comes after the flows before it. At most
 * a bounded number of decoded flows wait: an addon that holds a hook
 * holds back the reading too, once that many are ready.
 */
#ifndef MP_ADDONS_READAHEAD_H
#define MP_ADDONS_READAHEAD_H

#include "util/err.h"

struct flow;
struct ffile_reader;
struct readahead;

/* Starts reading r (taken; freed with the readahead) on a new thread. */
struct readahead *readahead_new(struct ffile_reader *r);
/*
 * The next flow (*out, one reference): 1; 0 at the end of the file; or
 * the negative MP_ERR_* ffile_read() ended with, and e. Waits for the
 * thread when no flow is ready yet.
 */
int readahead_next(struct readahead *, struct flow **out, struct err *e);
/* Stops the thread (a record being read is finished first) and frees the
 * flows nobody took, the reader and the readahead. NULL is ignored. */
void readahead_free(struct readahead *);

#endif
