/*
 * The modify_headers addon (mitmproxy/addons/modifyheaders.py of 8.1.1):
 * "[/flow-filter]/name/[@]value" rules. For requests (request hook) and
 * responses (response hook) every matching rule first removes all headers
 * of its name, then adds name: value unless the value is empty. The seeds'
 * --setheader is the same option.
 */
#ifndef MP_ADDONS_MODIFY_HEADERS_H
#define MP_ADDONS_MODIFY_HEADERS_H

#include "addons/addon.h"

/* A new modify_headers addon; it reads the modify_headers option in configure. */
struct addon *addon_modify_headers_new(void);

#endif
