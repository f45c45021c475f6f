/*
 * test_calendar.c - the period's local midnights and local time formatting, against dates
 * worked out by hand (and checked with `TZ=... date -d @...`).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "rw_calendar.h"

#define S 1000LL
#define HOUR (3600 * S)
#define DAY (86400 * S)

static int64_t days[RW_CAL_MAX_DAYS + 1];

/* 2024 is a leap year: 366 days, from 2024-01-01T00:00+08:00 = 1704038400 s. */
static void
test_calendar_period_shanghai_2024_has_366_days(void **state)
{
    (void)state;
    assert_int_equal(rw_calendar_period("Asia/Shanghai", 2024, 0, days), 366);
    assert_int_equal(days[0], 1704038400LL * S);
    for (int d = 0; d < 366; d++)
        assert_int_equal(days[d + 1] - days[d], DAY);
    /* 2025-01-01T00:00+08:00 */
    assert_int_equal(days[366], 1735660800LL * S);
    assert_int_equal(rw_calendar_period("Asia/Shanghai", 2023, 0, days), 365);
}

/* Berlin: 2024-03-31 has 23 hours, 2024-10-27 has 25. */
static void
test_calendar_period_berlin_dst_days(void **state)
{
    int n23 = 0, n25 = 0;

    (void)state;
    assert_int_equal(rw_calendar_period("Europe/Berlin", 2024, 0, days), 366);
    /* 2024-01-01T00:00+01:00 */
    assert_int_equal(days[0], 1704063600LL * S);
    for (int d = 0; d < 366; d++) {
        int64_t len = days[d + 1] - days[d];

        if (len == 23 * HOUR) {
            n23++;
            assert_int_equal(d, 90); /* 31 + 29 + 30: March 31 */
        } else if (len == 25 * HOUR) {
            n25++;
            assert_int_equal(d, 300); /* October 27 */
        } else {
            assert_int_equal(len, DAY);
        }
    }
    assert_int_equal(n23, 1);
    assert_int_equal(n25, 1);
}

static void
test_calendar_period_month(void **state)
{
    (void)state;
    assert_int_equal(rw_calendar_period("Asia/Shanghai", 2024, 2, days), 29);
    /* 2024-02-01T00:00+08:00 */
    assert_int_equal(days[0], 1706716800LL * S);
    assert_int_equal(rw_calendar_period("Europe/Berlin", 2024, 3, days), 31);
    assert_int_equal(days[31] - days[0], 31 * DAY - HOUR);
    assert_int_equal(rw_calendar_period("Asia/Shanghai", 2024, 13, days), -1);
    assert_int_equal(rw_calendar_period("Asia/Shanghai", 1969, 0, days), -1);
}

static void
test_calendar_year_of_local_midnight(void **state)
{
    int month = 0;

    (void)state;
    /* 2023-12-31T23:59:59+08:00 and one second later */
    assert_int_equal(rw_calendar_year_of("Asia/Shanghai", 1704038399LL * S, &month), 2023);
    assert_int_equal(month, 12);
    assert_int_equal(rw_calendar_year_of("Asia/Shanghai", 1704038400LL * S, &month), 2024);
    assert_int_equal(month, 1);
    assert_int_equal(rw_calendar_year_of("UTC", 1704038400LL * S, NULL), 2023);
}

static void
test_calendar_rfc3339_with_offset(void **state)
{
    char buf[RW_CAL_TIME_LEN];

    (void)state;
    assert_string_equal(rw_calendar_rfc3339("Asia/Shanghai", 1704038400LL * S, buf, sizeof(buf)),
                        "2024-01-01T00:00:00+08:00");
    assert_string_equal(
        rw_calendar_rfc3339("Asia/Shanghai", 1704038400LL * S + 250, buf, sizeof(buf)),
        "2024-01-01T00:00:00.250+08:00");
    /* 2024-03-31T01:00:00Z is 03:00 CEST */
    assert_string_equal(rw_calendar_rfc3339("Europe/Berlin", 1711846800LL * S, buf, sizeof(buf)),
                        "2024-03-31T03:00:00+02:00");
    assert_string_equal(rw_calendar_rfc3339("America/New_York", 0, buf, sizeof(buf)),
                        "1969-12-31T19:00:00-05:00");
    assert_string_equal(rw_calendar_date("Asia/Shanghai", 1709136000LL * S, buf, sizeof(buf)),
                        "2024-02-29");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar_period_shanghai_2024_has_366_days),
        cmocka_unit_test(test_calendar_period_berlin_dst_days),
        cmocka_unit_test(test_calendar_period_month),
        cmocka_unit_test(test_calendar_year_of_local_midnight),
        cmocka_unit_test(test_calendar_rfc3339_with_offset),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
