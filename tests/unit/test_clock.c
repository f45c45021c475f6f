/*
 * test_clock.c - rw_clock_rfc3339(), which keeps the local UTC offset of the minute it last
 * formatted: against localtime_r() itself over two years of zones with and without daylight
 * saving (the second either side of every change included), a zone with half-hour changes,
 * one with a 45-minute offset, times before 1972 (not cached: offsets then had seconds),
 * times before 1970 (the millisecond counted from the earlier second), and a change of TZ
 * within a minute.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "rw_clock.h"

static void
use_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
    rw_clock_tz_changed();
}

/* What rw_clock_rfc3339() must print for t (whole ms), straight from localtime_r(). */
static void
reference(double t, char *buf, size_t len)
{
    long long total_ms = llround(t * 1000.0);
    time_t sec = (time_t)(total_ms / 1000);
    int ms = (int)(total_ms % 1000);
    struct tm tm;
    long off;

    if (ms < 0) { /* before 1970: counted from the earlier second */
        ms += 1000;
        sec -= 1;
    }
    localtime_r(&sec, &tm);
    off = tm.tm_gmtoff / 60;
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             ms, off < 0 ? '-' : '+', (int)(labs(off) / 60 % 100),
             (int)(labs(off) % 60));
}

static void
same(double t)
{
    char got[96], want[96];

    reference(t, want, sizeof(want));
    rw_clock_rfc3339(t, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("t = %.3f (TZ %s): %s, localtime_r() says %s", t, getenv("TZ"), got, want);
}

/* 2025-01-01T00:00:00Z */
#define T2025 1735689600.0

static void
test_rfc3339_matches_localtime(void **state)
{
    static const char *const zones[] = {"Asia/Shanghai",      "UTC",
                                        "Europe/Berlin",      "America/New_York",
                                        "Australia/Lord_Howe", "Asia/Kathmandu",
                                        "America/St_Johns"};
    (void)state;
    for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
        use_tz(zones[z]);
        /* Two years, in steps that are not whole minutes, each followed by its neighbours
         * in the same minute (the cached offset). */
        for (double t = T2025; t < T2025 + 2 * 365 * 86400.0; t += 1237.25) {
            same(t);
            same(t + 0.999);
            same(t + 31.5);
        }
        /* Either side of every change of offset in the two years, to the second. */
        for (time_t s = (time_t)T2025; s < (time_t)T2025 + 2 * 365 * 86400; s += 900) {
            struct tm a, b;
            time_t e = s + 900;

            localtime_r(&s, &a);
            localtime_r(&e, &b);
            if (a.tm_gmtoff == b.tm_gmtoff)
                continue;
            for (time_t u = s; u <= e; u++)
                same((double)u + 0.5);
            for (time_t u = e; u >= s; u--) /* and walking back into the old offset */
                same((double)u);
        }
    }
}

static void
test_rfc3339_before_1972(void **state)
{
    (void)state;
    use_tz("Africa/Monrovia"); /* UTC-0:44:30 until 1972-01-07 */
    same(0.0);
    same(63072000.0 - 1.0);
    same(63072000.0 + 7 * 86400.0);
    use_tz("Asia/Shanghai");
    same(63072000.0);
    use_tz("UTC");
    same(-0.25); /* the reference floors as rw_clock_rfc3339() must */
}

/* Before 1970 the millisecond counts forward from the earlier second, as after it. */
static void
test_rfc3339_before_1970(void **state)
{
    char buf[48];

    (void)state;
    use_tz("UTC");
    assert_string_equal(rw_clock_rfc3339(-0.5, buf, sizeof(buf)),
                        "1969-12-31T23:59:59.500+00:00");
    assert_string_equal(rw_clock_rfc3339(-0.001, buf, sizeof(buf)),
                        "1969-12-31T23:59:59.999+00:00");
    assert_string_equal(rw_clock_rfc3339(-1.0, buf, sizeof(buf)),
                        "1969-12-31T23:59:59.000+00:00");
    assert_string_equal(rw_clock_rfc3339(-86400.25, buf, sizeof(buf)),
                        "1969-12-30T23:59:59.750+00:00");
    use_tz("Asia/Shanghai");
    assert_string_equal(rw_clock_rfc3339(-1.25, buf, sizeof(buf)),
                        "1970-01-01T07:59:58.750+08:00");
}

static void
test_rfc3339_follows_a_change_of_tz(void **state)
{
    char buf[48];
    double t = T2025 + 10.0;

    (void)state;
    use_tz("Asia/Shanghai");
    assert_string_equal(rw_clock_rfc3339(t, buf, sizeof(buf)), "2025-01-01T08:00:10.000+08:00");
    use_tz("Europe/Berlin");
    assert_string_equal(rw_clock_rfc3339(t + 1.0, buf, sizeof(buf)),
                        "2025-01-01T01:00:11.000+01:00");
    use_tz("America/New_York");
    assert_string_equal(rw_clock_rfc3339(t + 2.0, buf, sizeof(buf)),
                        "2024-12-31T19:00:12.000-05:00");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339_matches_localtime),
        cmocka_unit_test(test_rfc3339_before_1972),
        cmocka_unit_test(test_rfc3339_before_1970),
        cmocka_unit_test(test_rfc3339_follows_a_change_of_tz),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
