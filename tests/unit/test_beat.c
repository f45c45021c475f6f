/*
 * test_beat.c - heartbeats: late only past their own deadline plus the slack, idle never,
 * the one late the longest named, and a freed one forgotten.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rw_beat.h"

static void
test_beat_deadlines(void **state)
{
    struct rw_beat *bus = rw_beat_new("bus rs485-0");
    struct rw_beat *snmp = rw_beat_new("snmp poller");
    char what[128] = "";

    (void)state;
    assert_non_null(bus);
    assert_non_null(snmp);
    rw_beat_expect(bus, 100.0);
    rw_beat_expect(snmp, 200.0);
    assert_int_equal(rw_beat_late(100.0 + RW_BEAT_SLACK, what, sizeof(what)), 0);
    assert_string_equal(what, "");
    assert_int_equal(rw_beat_late(100.5 + RW_BEAT_SLACK, what, sizeof(what)), 1);
    assert_string_equal(what, "bus rs485-0: no progress for 0.5 s past its deadline");

    /* Both late: the earlier deadline is named. */
    assert_int_equal(rw_beat_late(203.0 + RW_BEAT_SLACK, what, sizeof(what)), 2);
    assert_string_equal(what, "bus rs485-0: no progress for 103.0 s past its deadline");

    /* Progress moves the deadline; idle is never late. */
    rw_beat_expect(bus, 300.0);
    rw_beat_idle(snmp);
    assert_int_equal(rw_beat_late(250.0, what, sizeof(what)), 0);
    assert_int_equal(rw_beat_late(1e9, what, sizeof(what)), 1);
    assert_true(strncmp(what, "bus rs485-0:", 12) == 0);

    /* Freed: forgotten. */
    rw_beat_free(bus);
    assert_int_equal(rw_beat_late(1e9, what, sizeof(what)), 0);
    rw_beat_free(snmp);
    rw_beat_free(NULL);
    rw_beat_expect(NULL, 1.0);
    rw_beat_idle(NULL);
}

/* A new heartbeat gives its owner RW_BEAT_START s to set its first deadline. */
static void
test_beat_start_grace(void **state)
{
    struct rw_beat *b = rw_beat_new("publisher");
    char what[128];

    (void)state;
    assert_non_null(b);
    assert_int_equal(rw_beat_late(0.0, what, sizeof(what)), 0);
    assert_int_equal(rw_beat_late(1e12, what, sizeof(what)), 1);
    rw_beat_free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beat_deadlines),
        cmocka_unit_test(test_beat_start_grace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
