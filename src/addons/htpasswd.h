/*
 * Apache htpasswd files for the proxyauth addon ("@path"), read the way
 * passlib's HtpasswdFile (which mitmproxy 8.1.1 uses) reads them: one
 * "user:hash" per line, blank lines and "#" comments skipped, a line
 * without exactly one ":" is an error, and the first entry of a user wins.
 *
 * Hashes understood: bcrypt ($2y$, $2b$, $2a$) and the other "$id$" schemes
 * of the system's crypt (libxcrypt: $5$, $6$, $1$), Apache's MD5-crypt
 * ($apr1$, done here because libxcrypt does not know it) and {SHA} (base64
 * of the SHA-1). Plain-text and DES entries never match: passlib would
 * accept them, but a password stored in the clear is better refused than
 * silently honoured.
 */
#ifndef MP_ADDONS_HTPASSWD_H
#define MP_ADDONS_HTPASSWD_H

#include "util/err.h"

struct htpasswd;

/* Reads path. NULL with e naming the file and the problem on failure;
 * free the result with htpasswd_free(). */
struct htpasswd *htpasswd_load(const char *path, struct err *e);
void htpasswd_free(struct htpasswd *);
/* 1 if user is listed and pass matches the hash, else 0. Thread-safe. */
int htpasswd_check(const struct htpasswd *, const char *user, const char *pass);
/* 1 if pass matches the single hash, 0 if not (also for unsupported schemes). */
int htpasswd_verify(const char *hash, const char *pass);
/*
 * MD5-crypt of pass with the salt taken from setting ("$apr1$salt$..." or
 * "$1$salt$..."): writes "$apr1$salt$hash" into out (at least 64 bytes).
 * Returns 0, or MP_ERR_INVAL if setting has neither prefix.
 */
int htpasswd_md5crypt(const char *pass, const char *setting, char out[64]);

#endif
