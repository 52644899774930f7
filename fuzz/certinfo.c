/*
 * A server certificate as flows keep it (PEM from certificate_list, which
 * flow files supply): summarised for the web JSON and the Detail tab.
 */
#include <stdlib.h>
#include <string.h>

#include "tls/certinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_certinfo ci;
    struct err e;
    if (tls_certinfo_parse(&ci, data, size, &e) == 0) {
        char spaced[96];
        tls_certinfo_sha256_spaced(&ci, spaced, sizeof(spaced));
        /* What the JSON and the Detail tab read must be there. */
        if (strlen(ci.sha256) != 64 || ci.serial == NULL || strlen(spaced) != 95)
            abort();
        for (size_t i = 0; i < ci.nsubject; i++)
            if (ci.subject[i].name == NULL || ci.subject[i].value == NULL)
                abort();
        tls_certinfo_clear(&ci);
    } else if (e.msg[0] == 0) {
        abort();
    }
    return 0;
}
