/*
 * rw_clock.c - monotonic and wall clocks, RFC 3339 formatting.
 */
#include "rw_clock.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>

double
rw_clock_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
rw_clock_wall(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
rw_clock_synced(void)
{
    struct timex tx;

    memset(&tx, 0, sizeof(tx)); /* modes 0: read only, no privilege needed */
    if (ntp_adjtime(&tx) < 0)
        return -1;
    return (tx.status & STA_UNSYNC) == 0;
}

/*
 * The local UTC offset of the minute last formatted, per thread. glibc's localtime_r() is slow
 * for a time past its zone file's last transition, which for a zone without daylight saving
 * (Asia/Shanghai) is every time now: it parses the file's POSIX rule string again at each
 * call (sscanf). Every zone's offset since 1972 changes only at a whole minute of UTC, so one
 * localtime_r() a minute gives the offset, and gmtime_r() of the shifted time the fields.
 * A change of TZ (rw_clock_tz_changed()) starts again.
 */
#define CACHE_FROM 63072000 /* 1972-01-01T00:00:00Z: before, every call asks localtime_r() */

static _Thread_local struct {
    long long minute; /* sec / 60 of the offset below */
    long gmtoff;      /* s east of UTC */
    unsigned gen;     /* tz_gen it was found under */
    int have;
} tzc;
static atomic_uint tz_gen;

void
rw_clock_tz_changed(void)
{
    atomic_fetch_add(&tz_gen, 1);
}

/* The broken-down local time of sec, and its offset (s east of UTC). */
static void
local_time(time_t sec, struct tm *tm, long *gmtoff)
{
    unsigned gen = atomic_load(&tz_gen);
    long long minute = (long long)(sec >= 0 ? sec / 60 : (sec - 59) / 60);
    time_t shifted;

    if (sec < CACHE_FROM || !tzc.have || tzc.minute != minute || tzc.gen != gen) {
        localtime_r(&sec, tm);
        *gmtoff = tm->tm_gmtoff;
        if (sec >= CACHE_FROM) {
            tzc.minute = minute;
            tzc.gmtoff = tm->tm_gmtoff;
            tzc.gen = gen;
            tzc.have = 1;
        }
        return;
    }
    *gmtoff = tzc.gmtoff;
    shifted = sec + (time_t)tzc.gmtoff;
    gmtime_r(&shifted, tm);
}

char *
rw_clock_rfc3339(double t, char *buf, unsigned long len)
{
    time_t sec;
    long ms = rw_clock_split_ms(llround(t * 1000.0), &sec);
    struct tm tm;
    long off;

    local_time(sec, &tm, &off);
    off /= 60;
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ld%c%02ld:%02ld", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms, off < 0 ? '-' : '+',
             labs(off) / 60, labs(off) % 60);
    return buf;
}

int
rw_clock_split_ms(int64_t t, time_t *sec)
{
    int64_t r = t % 1000;

    if (r < 0)
        r += 1000;
    *sec = (time_t)((t - r) / 1000);
    return (int)r;
}

double
rw_clock_next_due(double due, double mono, double interval, double delay)
{
    if (delay > 0)
        return mono + delay;
    due += interval;
    if (due <= mono)
        due += ceil((mono - due) / interval) * interval;
    if (due <= mono)
        due += interval; /* rounding left it on mono */
    return due;
}
