/*
 * rw_clock.h - the agent's only readers of the clocks.
 *
 * Durations are measured on CLOCK_MONOTONIC; wall time is for timestamps only. Both are
 * returned as seconds in a double (sub-microsecond resolution for the next few centuries).
 */
#ifndef ROOMWATCH_RW_CLOCK_H
#define ROOMWATCH_RW_CLOCK_H

double rw_clock_mono(void);
double rw_clock_wall(void);
/* Formats wall time t as RFC 3339 with milliseconds and the local UTC offset
 * ("2026-11-23T18:40:00.123+08:00") into buf; returns buf. */
char *rw_clock_rfc3339(double t, char *buf, unsigned long len);

#endif
