/*
 * HAR files from anywhere (mitmdump -r x.har): every entry is read into a
 * flow or refused with an error, and what was read is written back as a
 * HAR and as a flow-file record without trouble.
 */
#include <stdlib.h>

#include "export/har.h"
#include "flow/flow.h"
#include "flow/flowfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err e;
    struct har_reader *r = har_reader_new(data, size, "fuzz.har", &e);
    if (r == NULL) {
        if (e.code != MP_ERR_SYNTAX && e.code != MP_ERR_LIMIT)
            abort();
        return 0;
    }
    struct flow *flows[64];
    size_t n = 0;
    struct flow *f;
    int rc;
    while (n < 64 && (rc = har_reader_next(r, &f, &e)) == 1)
        flows[n++] = f;
    if (n < 64 && rc < 0 && e.code != MP_ERR_SYNTAX)
        abort();
    struct buf out = BUF_INIT;
    har_write(&out, flows, n, NULL);
    for (size_t i = 0; i < n; i++) {
        ffile_serialize(&out, flows[i]);
        flow_unref(flows[i]);
    }
    buf_clear(&out);
    har_reader_free(r);
    return 0;
}
