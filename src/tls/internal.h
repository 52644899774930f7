/*
 * Shared by the files of src/tls/ and nothing else.
 */
#ifndef MP_TLS_INTERNAL_H
#define MP_TLS_INTERNAL_H

/* The text of OpenSSL's most recent error (a static string, or "unknown
 * OpenSSL error"), then its error queue emptied. */
const char *tls__ossl_reason(void);

#endif
