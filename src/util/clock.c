#include <time.h>

#include "util/clock.h"

static double pinned;

double
clock_now(void)
{
    if (pinned != 0)
        return pinned;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
clock_pin(double t)
{
    pinned = t;
}

double
clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
