/* Python's textwrap.wrap(): how mitmproxy lays out option and command help. */
#ifndef MP_UTIL_TEXTWRAP_H
#define MP_UTIL_TEXTWRAP_H

#include <stddef.h>

/* The width mitmproxy wraps help at (textwrap's default). */
#define TEXTWRAP_WIDTH 70

/* Receives one line (p is borrowed for the call; no newline). */
typedef void (*textwrap_line_cb)(void *arg, const char *p, size_t n);

/* Splits text into lines of at most width characters, as textwrap.wrap(text,
 * width) with its defaults does, and hands each to line. */
void textwrap(const char *text, size_t width, textwrap_line_cb line, void *arg);

#endif
