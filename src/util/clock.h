/* Wall-clock time as mitmproxy stores it: float seconds since the epoch. */
#ifndef MP_UTIL_CLOCK_H
#define MP_UTIL_CLOCK_H

double clock_now(void);
/* Tests pin the clock so transcripts and flow files are reproducible; 0 unpins. */
void clock_pin(double t);
/* Milliseconds on a clock that never goes back, for timing a span of work
 * (slices of the loop, start-up); never pinned. */
double clock_mono_ms(void);

#endif
