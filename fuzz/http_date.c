/*
 * Dates from Date, Expires, Last-Modified and cookie expires fields: read,
 * shifted and written back as server replay's refresh does.
 */
#include <stdlib.h>

#include "http/date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    double t;
    struct err e;
    if (http_date_parse((const char *)data, size, &t, &e) == 0) {
        struct buf b = BUF_INIT;
        if (http_date_format(t + 86400.5, &b) == 0) {
            double back;
            /* What was written must read back. */
            if (http_date_parse((const char *)buf_ptr(&b), b.len, &back, NULL) != 0)
                abort();
        }
        buf_clear(&b);
    } else if (e.code != MP_ERR_SYNTAX) {
        abort();
    }
    return 0;
}
