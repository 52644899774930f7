/*
 * Interception for the interactive tools: see intercept.c. The constructor
 * registers the options intercept (a filter) and intercept_active; when a
 * change sets intercept, the master switches intercept_active to match, as
 * mitmproxy's addon does.
 */
#ifndef MP_ADDONS_INTERCEPT_H
#define MP_ADDONS_INTERCEPT_H

#include "addons/addon.h"

/* A new intercept addon (the caller owns it; addon_chain_add takes it). */
struct addon *addon_intercept_new(void);

#endif
