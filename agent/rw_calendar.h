/*
 * rw_calendar.h - the site's calendar: local midnights of a reporting period, and local
 * times for humans, in a named time zone.
 *
 * The engine is pure and takes the period's local midnights precomputed (eng.h, struct
 * eng_period); this module computes them with the C library's zone rules (setenv("TZ"),
 * tzset(), mktime()), so that days with a daylight-saving change are 23 or 25 hours long.
 *
 * Global state: each call sets the process's TZ environment variable to the zone it is given
 * and leaves it set (localtime() and mktime() read only that). Call from one thread, before
 * other threads read local time, or from a process that only ever uses the site's zone.
 */
#ifndef ROOMWATCH_RW_CALENDAR_H
#define ROOMWATCH_RW_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define RW_CAL_MAX_DAYS 366
#define RW_CAL_TIME_LEN 40 /* "2024-01-01T00:00:00.123+08:00" and its NUL, with room */

/*
 * Fills day_start (room for RW_CAL_MAX_DAYS + 1 values) with the local midnights, ms since
 * the epoch, of year (month 0) or of month 1..12 of year, the one after the last day
 * included. Returns the number of days (28..366), or -1 for a year outside 1970..9999 or a
 * bad month.
 */
int rw_calendar_period(const char *tz, int year, int month, int64_t *day_start);

/*
 * The local calendar year (and, if month is not NULL, month 1..12) of time t (ms) in zone tz.
 */
int rw_calendar_year_of(const char *tz, int64_t t, int *month);

/*
 * Writes t (ms) as RFC 3339 local time with the zone's UTC offset at that instant
 * ("2024-03-31T02:00:00+02:00"; milliseconds only when t has them) into buf. Returns buf.
 */
char *rw_calendar_rfc3339(const char *tz, int64_t t, char *buf, size_t len);

/* Writes the local date of t ("2024-02-29") into buf (>= 11 bytes). Returns buf. */
char *rw_calendar_date(const char *tz, int64_t t, char *buf, size_t len);

#endif
