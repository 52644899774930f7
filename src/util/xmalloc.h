/*
 * Allocation that never returns NULL. Running out of memory in a proxy is not
 * something a caller can handle better than a clear abort (redis zmalloc does
 * the same), and it keeps every append path free of error plumbing.
 */
#ifndef MP_UTIL_XMALLOC_H
#define MP_UTIL_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
void *xmemdup(const void *, size_t);

#endif
