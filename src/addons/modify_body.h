/*
 * The modify_body addon (mitmproxy/addons/modifybody.py of 8.1.1): each
 * "[/flow-filter]/regex/[@]replacement" rule runs re.sub over the decoded
 * body of matching requests (request hook) and responses (response hook);
 * the body is encoded again with its Content-Encoding afterwards. The
 * seeds' --replace is the same option.
 */
#ifndef MP_ADDONS_MODIFY_BODY_H
#define MP_ADDONS_MODIFY_BODY_H

#include "addons/addon.h"

/* A new modify_body addon; it reads the modify_body option in configure. */
struct addon *addon_modify_body_new(void);

#endif
