/*
 * rw_calendar.c - local midnights and local time in the site's zone (see rw_calendar.h).
 *
 * mktime() with tm_isdst = -1 resolves 00:00 of a day to the instant the zone's rules give
 * it. Where a zone skips midnight itself (a DST change at 00:00, as some zones have had), the
 * C library normalises it to the first valid instant after it, which is where that day
 * begins.
 */
#include "rw_calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rw_clock.h"

static void use_zone(const char *tz);
static int64_t local_midnight(int year, int month, int day);

static void
use_zone(const char *tz)
{
    const char *cur = getenv("TZ");
    int changed = cur == NULL || strcmp(cur, tz) != 0;

    if (changed)
        setenv("TZ", tz, 1);
    tzset();
    if (changed)
        rw_clock_tz_changed();
}

/* month 1..12; day may run past the month's end (mktime normalises it). */
static int64_t
local_midnight(int year, int month, int day)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}

int
rw_calendar_period(const char *tz, int year, int month, int64_t *day_start)
{
    int first_month = month == 0 ? 1 : month;
    int64_t end;
    int n = 0;

    if (year < 1970 || year > 9999 || month < 0 || month > 12)
        return -1;
    use_zone(tz);
    end = month == 0 || month == 12 ? local_midnight(year + 1, 1, 1)
                                    : local_midnight(year, month + 1, 1);
    for (;;) {
        int64_t t = local_midnight(year, first_month, 1 + n);

        day_start[n] = t;
        if (t >= end || n == RW_CAL_MAX_DAYS)
            break;
        n++;
    }
    return n;
}

int
rw_calendar_year_of(const char *tz, int64_t t, int *month)
{
    time_t sec;
    struct tm tm;

    rw_clock_split_ms(t, &sec);
    use_zone(tz);
    localtime_r(&sec, &tm);
    if (month != NULL)
        *month = tm.tm_mon + 1;
    return tm.tm_year + 1900;
}

char *
rw_calendar_rfc3339(const char *tz, int64_t t, char *buf, size_t len)
{
    time_t sec;
    int ms = rw_clock_split_ms(t, &sec);
    struct tm tm;
    long off;
    char frac[8] = "";

    use_zone(tz);
    localtime_r(&sec, &tm);
    if (ms != 0)
        snprintf(frac, sizeof(frac), ".%03d", ms);
    off = tm.tm_gmtoff / 60;
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%s%c%02ld:%02ld", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac,
             off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
    return buf;
}

char *
rw_calendar_date(const char *tz, int64_t t, char *buf, size_t len)
{
    time_t sec;
    struct tm tm;

    rw_clock_split_ms(t, &sec);
    use_zone(tz);
    localtime_r(&sec, &tm);
    snprintf(buf, len, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return buf;
}
