/*
 * clock.h - the daemon's notion of "now", which tests can move.
 *
 * now_us() (declared in daemon.h) is the wall clock, unless the
 * environment variable REPRINTD_NOW holds unix seconds when it is first
 * read: then the clock starts at that instant and advances in real time
 * from there, so that arrival order is kept. Every "now" that is stored
 * (first_seen, found_at, rejection time) or compared with stored times
 * (retention, report periods) goes through it. mono_ms() is never moved.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/*
 * Read REPRINTD_NOW once (later calls do nothing). Returns 0, or -EINVAL
 * if it is set but not a number of seconds (the real clock is used then).
 * now_us() calls it on first use; main() calls it early to report errors.
 */
int clock_init(void);

/* Monotonic clock in microseconds, for durations. */
int64_t clock_mono_us(void);

/* Offset of the moved clock from the real one, microseconds (0: real). */
int64_t clock_offset_us(void);

#endif
