/*
 * Flow markers (mitmproxy's utils/emoji.py): the names a user may mark a
 * flow with (":grapes:", ":default:", "x"), each with the glyph the flow
 * lists show for it.
 */
#ifndef MP_UTIL_EMOJI_H
#define MP_UTIL_EMOJI_H

#include <stddef.h>

/* The glyph of a marker name (static UTF-8), or NULL when it is none. */
const char *emoji_glyph(const char *name);
/* Markers in byte order of their names, for completion: index < emoji_count(). */
size_t emoji_count(void);
const char *emoji_name(size_t index);

#endif
