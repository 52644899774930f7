/*
 * The save addon: option save_stream_file (mitmdump -w PATH, "+PATH"
 * appends). Each finished flow is written as one version-17 record at the
 * response and error hooks (tcp_end / tcp_error for TCP flows), and flows
 * that were still open at shutdown are written by done(), as mitmproxy's
 * save.py does.
 *
 * A record is written whole or not at all: if a write fails, the file is
 * cut back to where the record began and the failure is logged at error
 * level (the flows before it stay intact). A plain path is truncated only
 * by a successful open, so a bad path never costs the old file.
 * Not yet: strftime() patterns in the path, missing directory creation,
 * save_stream_filter (needs the filter language).
 */
#ifndef MP_ADDONS_SAVE_H
#define MP_ADDONS_SAVE_H

#include "addons/addon.h"

/* A new save addon; it writes nothing until save_stream_file is set. */
struct addon *addon_save_new(void);

#endif
