/*
 * Helpers for the options' tests: the `--options` text of a set of
 * options, to look for what it lists and what it leaves out.
 */
#ifndef MP_TESTS_OPTIONS_TOPT_H
#define MP_TESTS_OPTIONS_TOPT_H

#include <stddef.h>

#include "options/opt.h"

/* What opt_dump() writes for o, as one string; its length goes to *len
 * when len is not NULL. The caller frees the string. */
char *topt_dump(const struct options *o, size_t *len);

#endif
