/*
 * Python's re syntax on PCRE2, for every place a user gives a regular
 * expression: filters, ignore_hosts/allow_hosts/tcp_hosts, modify_body,
 * modify_headers, map_remote, map_local and pathod anchors.
 *
 * PCRE2's syntax is nearly a superset of Python's. A pattern is walked once
 * before compiling, to translate what means something else in PCRE2 (\Z,
 * \v, {,n}, octal escapes, group references, the a/L/u inline flags,
 * verbose mode) and to refuse what Python refuses but PCRE2 would accept
 * (unknown escapes, (*VERBS), recursion, (?<name>...), references to groups
 * not yet closed, global flags not at the start), so a pattern mitmproxy
 * rejects is rejected here too, with Python's words.
 *
 * Every pattern is compiled with "\n" as the only line end, so "$" means
 * what it means in Python: the end of the subject or just before a final
 * "\n" (before every "\n" with PYRE_MULTILINE), and "." stops at "\n" only.
 * Patterns and subjects are bytes (no UTF mode): like Python's bytes
 * patterns, case folding and \w, \d, \s, \b are ASCII only, and \u, \U and
 * \N{...} (str patterns only in Python) are refused.
 */
#ifndef MP_UTIL_PYRE_H
#define MP_UTIL_PYRE_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Python's re.IGNORECASE, re.MULTILINE, re.DOTALL and re.VERBOSE. */
#define PYRE_IGNORECASE 1u
#define PYRE_MULTILINE 2u
#define PYRE_DOTALL 4u
#define PYRE_VERBOSE 8u

/*
 * Appends the PCRE2 form of the Python pattern p[0..n) to out. Returns 0, or
 * MP_ERR_SYNTAX with Python's reason in e ("bad escape \q") and its position
 * in p in *pos (may be NULL); out may then hold part of a translation.
 * PYRE_VERBOSE reads the pattern as re.VERBOSE does (white space and #
 * comments dropped); the other flags are not looked at.
 */
int pyre_translate(const char *p, size_t n, unsigned flags, struct buf *out, size_t *pos,
                   struct err *e);

/*
 * Compiles the Python pattern p[0..n) with PYRE_* flags (JIT where PCRE2 has
 * it). Returns the code (the caller frees it with pcre2_code_free()), or
 * NULL with MP_ERR_SYNTAX in e: Python's reason where the translation
 * refused the pattern, PCRE2's otherwise; *pos (may be NULL) is where in p.
 * Callers add the pattern and the position to the message as their users
 * expect.
 */
pcre2_code *pyre_compile(const char *p, size_t n, unsigned flags, size_t *pos, struct err *e);

/* 1 if re finds a match anywhere in s[0..n) (re.search); s may be NULL when n is 0. */
int pyre_search(const pcre2_code *re, const void *s, size_t n);
/* 1 if re matches at the start of s[0..n) (re.match). */
int pyre_match(const pcre2_code *re, const void *s, size_t n);

#endif
