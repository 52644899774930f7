/*
 * ignore_hosts / allow_hosts / tcp_hosts: lists of Python regular
 * expressions (util/pyre, compiled once) searched, case-insensitively, in
 * "host:port" strings, as mitmproxy's re.search(pattern, subject, re.I).
 */
#ifndef MP_PROXY_HOSTMATCH_H
#define MP_PROXY_HOSTMATCH_H

#include "options/opt.h"
#include "util/err.h"

struct hostmatch;

/* Compiles every pattern; *out is NULL for an empty list. Errors name the
 * option, the pattern and the position ("ignore_hosts: invalid regular
 * expression '(': missing closing parenthesis at offset 1"). */
int hostmatch_compile(struct hostmatch **out, const struct strv *patterns, const char *option,
                      struct err *e);
/* 1 if any pattern is found in subject; 0 otherwise (and for a NULL list). */
int hostmatch_search(const struct hostmatch *, const char *subject);
void hostmatch_free(struct hostmatch *);

#endif
