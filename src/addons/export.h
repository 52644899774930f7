/*
 * The export, cut and savehar addons (mitmproxy's addons/export.py,
 * cut.py and, from mitmproxy 10, savehar.py): their commands, added to a
 * registry by addon_chain_commands(), with mitmproxy's names, parameters
 * and help.
 *
 *   export FORMAT FLOW -> str       export.file FORMAT FLOW PATH
 *   export.clip FORMAT FLOW         export.formats -> str[]
 *   cut FLOWS CUTS -> data[][]      cut.save FLOWS CUTS PATH ("+PATH" appends)
 *   cut.clip FLOWS CUTS             save.har FLOWS PATH (".zhar": zlib)
 *
 * The savehar addon also writes every HTTP flow that finished (response,
 * error, or websocket_end for a WebSocket), those matching
 * save_stream_filter, as HAR to the `hardump` path when mitmproxy is done
 * ("-": standard output). mitmproxy 8.1.1 has no hardump, so the addon
 * registers the option itself (opt_register), and a tool that must list
 * exactly 8.1.1's options and commands (mitmdump) does not load it.
 *
 * A failed copy to the clipboard is the command's error (mitmproxy logs
 * it); a file that cannot be written is logged at error level, as
 * mitmproxy does, except by save.har, whose error it is.
 */
#ifndef MP_ADDONS_EXPORT_H
#define MP_ADDONS_EXPORT_H

#include "addons/addon.h"

/* Reads export_preserve_original_ip. */
struct addon *addon_export_new(void);
struct addon *addon_cut_new(void);
/* Registers the hardump option (fatal if another option has the name). */
struct addon *addon_savehar_new(void);

#endif
