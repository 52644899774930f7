/* The project's version, and the mitmproxy behaviour and flow format it follows. */
#ifndef MP_UTIL_VERSION_H
#define MP_UTIL_VERSION_H

#define MP_VERSION "0.1.0"
#define MP_SERVER_HEADER "mitmproxy-c/" MP_VERSION
#define MP_COMPAT_MITMPROXY "8.1.1"

#endif
