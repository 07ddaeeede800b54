/*
 * Timing helpers for the benchmarks: a monotonic clock and a loop that
 * repeats a call until enough time has passed to trust the average.
 */
#ifndef DMS_BENCHUTIL_H
#define DMS_BENCHUTIL_H

#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Calls fn(arg) repeatedly for at least min_seconds (at least once, at most
 * max_calls); returns microseconds per call. */
static inline double bench_us_per_call(void (*fn)(void *), void *arg, double min_seconds,
                                       long max_calls)
{
    fn(arg); /* warm caches and page in */
    long calls = 0;
    double start = bench_now(), elapsed;
    do {
        fn(arg);
        calls++;
        elapsed = bench_now() - start;
    } while (elapsed < min_seconds && calls < max_calls);
    return 1e6 * elapsed / (double)calls;
}

#endif
