/*
 * keys.yaml (src/console/keysyaml.c): any bytes give entries or an error,
 * and every entry has a key and a command.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../src/console/keysyaml.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct keyspec *k = NULL;
    struct err e = {0};
    long n = console__keys_parse((const char *)data, size, &k, &e);
    for (long i = 0; i < n; i++)
        if (k[i].key == NULL || k[i].cmd == NULL)
            abort();
    if (n > 0)
        console__keyspecs_free(k, (size_t)n);
    return 0;
}
