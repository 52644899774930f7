/* Shared between the files of options/ only. */
#ifndef MP_OPTIONS_INTERNAL_H
#define MP_OPTIONS_INTERNAL_H

#include "options/opt.h"
#include "util/buf.h"

/* Where an option's value lives in o: a field of OPT_MAP's, or a registered
 * option's slot (its default when o has not stored one: read only). */
const void *opt__cfield(const struct options *o, const struct opt_info *info);
void *opt__field(struct options *o, const struct opt_info *info);
#define CFIELD(o, info, T) ((const T *)opt__cfield(o, info))
#define FIELD(o, info, T) ((T *)opt__field(o, info))

/* Writes "a|b|c" as "<a><sep><b>..." with each choice wrapped in quote. */
void opt__list_choices(struct buf *b, const char *choices, const char *quote, const char *sep);

/*
 * Checks value (not NULL) against a typed text option's kind and sets *out
 * to its canonical spelling (owned): an integer as %ld, a float as the
 * shortest text that reads back the same with ".0" when it looks like an
 * integer (Python's repr), a boolean as true/false. Errors name the option.
 */
int opt__typed_text(const struct opt_info *info, const char *value, char **out, struct err *e);

#endif
