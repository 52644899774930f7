#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "util/uuid.h"

/*
 * Random bytes are fetched 4 KiB at a time: one getrandom() per 256 ids
 * instead of one per flow, which showed up in the per-request syscall count.
 */
static _Thread_local uint8_t pool[4096];
static _Thread_local size_t pool_left;

static int
random16(uint8_t b[16])
{
    if (pool_left < 16) {
        if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool))
            return -1;
        pool_left = sizeof(pool);
    }
    pool_left -= 16;
    memcpy(b, pool + pool_left, 16);
    return 0;
}

void
uuid_new(char out[UUID_STR_LEN])
{
    uint8_t b[16];
    if (random16(b) < 0) {
        /* Ids need to be unique, not secret: fall back to a clock-seeded counter. */
        static uint64_t ctr;
        uint64_t x = (uint64_t)time(NULL) ^ (++ctr * 0x9E3779B97F4A7C15ull);
        for (int i = 0; i < 16; i++)
            b[i] = (uint8_t)(x >> ((i % 8) * 8)) ^ (uint8_t)i;
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    /* 8-4-4-4-12 hex digits, as "%02x" would give them: every flow gets an
     * id, and snprintf with sixteen conversions cost more than the rest of
     * making the flow. */
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 0x0f];
    }
    *p = '\0';
}
