/*
 * rw_clock.c - monotonic and wall clocks, RFC 3339 formatting.
 */
#include "rw_clock.h"

#include <math.h>
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

char *
rw_clock_rfc3339(double t, char *buf, unsigned long len)
{
    long long total_ms = llround(t * 1000.0);
    time_t sec = (time_t)(total_ms / 1000);
    long ms = (long)(total_ms % 1000);
    struct tm tm;
    long off;

    localtime_r(&sec, &tm);
    off = tm.tm_gmtoff / 60;
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ld%c%02ld:%02ld", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms, off < 0 ? '-' : '+',
             labs(off) / 60, labs(off) % 60);
    return buf;
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
