/*
 * "host:port" as a request target, a Host header, a server spec or a URL
 * carries it: read with every combination of flags, written back, and
 * read again to the same host and port.
 */
#include <stdlib.h>
#include <string.h>

#include "http/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    for (unsigned flags = 0; flags < 8; flags++) {
        struct slice host;
        int port;
        struct err e = {0};
        if (http_hostport_parse(p, size, flags, &host, &port, &e) < 0) {
            if (e.msg[0] == '\0')
                abort();
            continue;
        }
        if (host.len == 0 || port > 65535 || port < -1 || memchr(host.p, '\0', host.len))
            continue;
        char *h = slice_strdup(host);
        struct buf b = BUF_INIT;
        http_hostport_write(&b, "", h, port < 0 ? 1 : port, 1);
        struct slice again;
        int port2;
        /* What was written reads back, unless the host itself holds "]". */
        if (!strchr(h, ']') && !strchr(h, '[') &&
            http_hostport_parse((const char *)buf_ptr(&b), b.len, 0, &again, &port2, NULL) == 0 &&
            (again.len != host.len || memcmp(again.p, h, host.len) != 0))
            abort();
        buf_clear(&b);
        free(h);
    }
    return 0;
}
