/*
 * Bytes from the wire into JSON strings: in both text modes the result must
 * be one quoted string of printable ASCII, whatever the input.
 */
#include <stdlib.h>

#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const uint8_t *data, size_t size, enum json_text text)
{
    struct buf b = BUF_INIT;
    json_quote(&b, data, size, text);
    const uint8_t *p = buf_ptr(&b);
    if (b.len < 2 || p[0] != '"' || p[b.len - 1] != '"')
        abort();
    for (size_t i = 1; i + 1 < b.len; i++) {
        if (p[i] < 0x20 || p[i] > 0x7e)
            abort();
        if (p[i] == '\\')
            i++; /* the escaped character, '"' included */
        else if (p[i] == '"')
            abort();
    }
    buf_clear(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size, JSON_UTF8);
    check(data, size, JSON_LATIN1);
    return 0;
}
