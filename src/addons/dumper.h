/*
 * The dumper: mitmdump's flow printer (mitmproxy/addons/dumper.py of 8.1.1).
 * One request line and one response line per flow at flow_detail 1,
 * headers at 2, bodies at 3 (70 lines) and 4 (all), as the reference does.
 * Colours only when the output is a terminal.
 *
 * Bodies are shown the way mitmproxy's "raw" content view shows them
 * (escaped bytes, split into lines), and an empty request body with a
 * query string as the "query" view; the other content views (JSON, XML,
 * images, ...) and Content-Encoding decoding come later.
 */
#ifndef MP_ADDONS_DUMPER_H
#define MP_ADDONS_DUMPER_H

#include <stdio.h>

#include "addons/addon.h"
#include "util/log.h"

/* A new dumper writing to out (borrowed; must outlive the addon). */
struct addon *addon_dumper_new(FILE *out);

/*
 * A log_set_sink() callback: writes msg and a newline to the FILE * in arg
 * and flushes, so proxy log lines and flow lines interleave in order.
 */
void dumper_log_sink(enum log_level level, const char *msg, void *arg);

#endif
