/* block_list: answer or kill matching requests (mitmproxy's BlockList). */
#ifndef MP_ADDONS_BLOCKLIST_H
#define MP_ADDONS_BLOCKLIST_H

struct addon;

struct addon *addon_blocklist_new(void);

#endif
