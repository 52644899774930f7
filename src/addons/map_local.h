/*
 * The map_local addon (mitmproxy/addons/maplocal.py of 8.1.1):
 * "[/flow-filter]/url-regex/file-or-directory" rules answer matching
 * requests from local files in the request hook. A directory is searched
 * for the URL's remainder after the match (or the regex's first group),
 * then that plus "/index.html"; no path may leave the directory. When a
 * rule matched but no file exists, the answer is an empty 404.
 */
#ifndef MP_ADDONS_MAP_LOCAL_H
#define MP_ADDONS_MAP_LOCAL_H

#include "addons/addon.h"

/* A new map_local addon; it reads the map_local option in configure. */
struct addon *addon_map_local_new(void);

/* The Content-Type Python's mimetypes.guess_type gives for path, or NULL. */
const char *map_local_guess_type(const char *path);

#endif
