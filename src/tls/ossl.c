/* OpenSSL's error queue as one line a person can read. See internal.h. */
#include <openssl/err.h>

#include "tls/internal.h"

const char *
tls__ossl_reason(void)
{
    unsigned long code = ERR_peek_last_error();
    const char *r = code ? ERR_reason_error_string(code) : NULL;
    ERR_clear_error();
    return r ? r : "unknown OpenSSL error";
}
