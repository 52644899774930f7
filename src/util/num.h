/*
 * Decimal integers from text a user or a peer wrote: flags, options, rule
 * templates, header values. atoi() and strtol() without checks wrap or
 * saturate silently (atoi("4294967295") is -1), so every such parse goes
 * through here and gets a range.
 */
#ifndef MP_UTIL_NUM_H
#define MP_UTIL_NUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses all of s[0..n) as a decimal integer in [min, max]: digits only,
 * a leading '-' only when min < 0, no sign otherwise, no white space.
 * Returns 0 with *out set, MP_ERR_SYNTAX for anything but digits,
 * MP_ERR_LIMIT for a number outside [min, max] (however many digits).
 */
int num_parse(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);
/* The same for a NUL-terminated string. */
int num_parse_cstr(const char *s, int64_t min, int64_t max, int64_t *out);

/* Room for any 64-bit integer in decimal, a sign included, and the NUL. */
#define NUM_DEC_LEN 21
/*
 * Write v in decimal and a NUL into out (NUM_DEC_LEN bytes), as "%" PRIu64
 * and "%" PRId64 would; return the number of characters. For the lengths,
 * ports and status codes of every message, where printf costs more than
 * the rest of the work around it.
 */
size_t num_format_u(char *out, uint64_t v);
size_t num_format_i(char *out, int64_t v);

/* mitmproxy's human.pretty_size(): "512b", "1.5k", "100k", "3.2m" (at most
 * five characters and the NUL). */
#define NUM_SIZE_LEN 16
void num_pretty_size(char out[NUM_SIZE_LEN], uint64_t n);

#endif
