/*
 * rw_clock.h - the agent's only readers of the clocks.
 *
 * Durations are measured on CLOCK_MONOTONIC; wall time is for timestamps only. Both are
 * returned as seconds in a double (sub-microsecond resolution for the next few centuries).
 */
#ifndef ROOMWATCH_RW_CLOCK_H
#define ROOMWATCH_RW_CLOCK_H

#include <stdint.h>
#include <time.h>

double rw_clock_mono(void);
double rw_clock_wall(void);
/* The kernel's word on the wall clock (adjtimex(2) without changing anything): 1 when it is
 * synchronized (STA_UNSYNC clear, set by chrony, ntpd, systemd-timesyncd), 0 when not, -1
 * when the kernel cannot be asked. rw_ctrust.h decides what follows. */
int rw_clock_synced(void);
/* Formats wall time t as RFC 3339 with milliseconds and the local UTC offset
 * ("2026-11-23T18:40:00.123+08:00") into buf; returns buf. */
char *rw_clock_rfc3339(double t, char *buf, unsigned long len);
/* Whole milliseconds t since the epoch as *sec and the millisecond of that second (0-999),
 * returned: floored, so that before 1970 -500 ms is second -1 and 500 ms, not second 0 and
 * -500 (C's division truncates toward zero). */
int rw_clock_split_ms(int64_t t, time_t *sec);
/* After TZ changes (setenv() and tzset()): rw_clock_rfc3339() keeps the local offset of the
 * minute it last formatted, per thread, and asks localtime_r() again after this. */
void rw_clock_tz_changed(void);

/*
 * The next poll of a device polled every interval s, whose last poll was due at due and
 * ended at mono (monotonic s). Drift-free: counted from the slot that was due, skipping the
 * slots missed while busy rather than polling twice in a row to catch up. A device being
 * backed off (delay > 0) is asked again delay s after mono.
 */
double rw_clock_next_due(double due, double mono, double interval, double delay);

#endif
