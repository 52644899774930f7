/*
 * The few regular-expression operations of Python that the CSS and
 * JavaScript views are made of (re.sub, and strutils' escaping of
 * "special areas": strings, comments, regex literals). Text is valid
 * UTF-8 (the views make it so before).
 */
#ifndef MP_CONTENTVIEWS_PYRE_H
#define MP_CONTENTVIEWS_PYRE_H

#include <stdint.h>

#include "util/buf.h"

/* Python's \s in a str pattern: PCRE2's Unicode \s lacks \x1c-\x1f and U+0085. */
#define CV__S "\\s\\x{1c}-\\x{1f}\\x{85}"

#define CV__RE_MULTILINE 1

/* text = re.sub(pattern, repl, text); repl may hold $1. Returns 0, or -1
 * when the match gave up (text is then unchanged). */
int cv__re_sub(struct buf *text, const char *pattern, uint32_t flags, const char *repl);
/*
 * strutils.escape_special_areas: in every match of areas (one alternation,
 * MULTILINE), each byte of chars becomes chr(ord(c) + 0xE000). Returns 0
 * or -1 as cv__re_sub.
 */
int cv__re_escape_areas(struct buf *text, const char *areas, const char *chars);
/* strutils.unescape_special_areas: U+E000..U+E0FF back to U+0000..U+00FF. */
void cv__re_unescape_areas(struct buf *text);

#endif
