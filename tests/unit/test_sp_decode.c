/*
 * test_sp_decode.c - SNMP varbind values -> point values: every type, the exceptions, type
 * mismatches, scale and range, the ENTITY-SENSOR-MIB arithmetic, restarts of sysUpTime, and
 * the points derived from a walked table column (row count, well-known alarm present).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "source/sp_decode.h"

static struct cfg_point
pt(enum cfg_snmp_type t, double scale, double min, double max)
{
    struct cfg_point p;

    memset(&p, 0, sizeof(p));
    p.stype = t;
    p.scale = scale;
    p.min = min;
    p.max = max;
    p.oid_index_at = -1;
    return p;
}

static struct sp_value
integer(int64_t i)
{
    struct sp_value v = {SP_TAG_INTEGER, i, 0};
    return v;
}

static struct sp_value
unsig(unsigned tag, uint64_t u)
{
    struct sp_value v = {tag, 0, u};
    return v;
}

static void
test_sp_decode_each_type(void **state)
{
    static const struct {
        enum cfg_snmp_type type;
        struct sp_value v;
        double want;
    } cases[] = {
        {CFG_ST_INTEGER, {SP_TAG_INTEGER, -17, 0}, -17.0},
        {CFG_ST_INTEGER, {SP_TAG_INTEGER, 2147483647, 0}, 2147483647.0},
        {CFG_ST_GAUGE, {SP_TAG_GAUGE32, 0, 4294967295u}, 4294967295.0},
        {CFG_ST_COUNTER32, {SP_TAG_COUNTER32, 0, 12345}, 12345.0},
        {CFG_ST_COUNTER64, {SP_TAG_COUNTER64, 0, 1ull << 40}, 1099511627776.0},
        {CFG_ST_TIMETICKS, {SP_TAG_TIMETICKS, 0, 123456}, 123456.0},
    };
    uint16_t code;
    double v;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cfg_point p = pt(cases[i].type, 1.0, -INFINITY, INFINITY);

        assert_int_equal(sp_decode(&p, &cases[i].v, &v, &code), RW_Q_GOOD);
        assert_true(v == cases[i].want);
        assert_int_equal(code, 0);
    }
}

/* noSuchObject / noSuchInstance / endOfMibView: an exception, with the tag as its code. */
static void
test_sp_decode_exceptions_are_exceptions(void **state)
{
    static const unsigned tags[] = {SP_TAG_NOSUCHOBJECT, SP_TAG_NOSUCHINSTANCE,
                                    SP_TAG_ENDOFMIBVIEW};
    struct cfg_point p = pt(CFG_ST_INTEGER, 1.0, -INFINITY, INFINITY);
    uint16_t code;
    double v;

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        struct sp_value x = unsig(tags[i], 0);

        assert_int_equal(sp_decode(&p, &x, &v, &code), RW_Q_EXCEPTION);
        assert_int_equal(code, tags[i]);
        assert_true(isnan(v));
    }
    assert_string_equal(sp_exception_name(SP_TAG_NOSUCHINSTANCE), "noSuchInstance");
    assert_string_equal(sp_exception_name(SP_TAG_NOSUCHOBJECT), "noSuchObject");
    assert_string_equal(sp_exception_name(SP_TAG_ENDOFMIBVIEW), "endOfMibView");
    assert_null(sp_exception_name(SP_TAG_INTEGER));
}

/* A value of another type than the profile says is about something else: decode_error. */
static void
test_sp_decode_wrong_type_is_decode_error(void **state)
{
    struct cfg_point p = pt(CFG_ST_INTEGER, 1.0, -INFINITY, INFINITY);
    struct sp_value gauge = unsig(SP_TAG_GAUGE32, 5), str = unsig(SP_TAG_OCTET_STR, 0);
    struct sp_value i = integer(5), big = unsig(SP_TAG_GAUGE32, 1ull << 33);
    uint16_t code;
    double v;

    (void)state;
    assert_int_equal(sp_decode(&p, &gauge, &v, &code), RW_Q_DECODE_ERROR);
    assert_int_equal(sp_decode(&p, &str, &v, &code), RW_Q_DECODE_ERROR);
    p = pt(CFG_ST_TIMETICKS, 1.0, -INFINITY, INFINITY);
    assert_int_equal(sp_decode(&p, &i, &v, &code), RW_Q_DECODE_ERROR);
    p = pt(CFG_ST_COUNTER32, 1.0, -INFINITY, INFINITY);
    assert_int_equal(sp_decode(&p, &gauge, &v, &code), RW_Q_DECODE_ERROR);
    p = pt(CFG_ST_GAUGE, 1.0, -INFINITY, INFINITY);
    assert_int_equal(sp_decode(&p, &big, &v, &code), RW_Q_DECODE_ERROR);
    /* entity_sensor points go through sp_decode_sensor(). */
    p = pt(CFG_ST_ENTITY_SENSOR, 1.0, -INFINITY, INFINITY);
    assert_int_equal(sp_decode(&p, &i, &v, &code), RW_Q_DECODE_ERROR);
}

static void
test_sp_decode_scale_offset_and_range(void **state)
{
    struct cfg_point p = pt(CFG_ST_TIMETICKS, 0.01, 0.0, 42949672.96);
    struct sp_value ticks = unsig(SP_TAG_TIMETICKS, 123456);
    struct sp_value volts = integer(230), huge = integer(65535);
    uint16_t code;
    double v;

    (void)state;
    assert_int_equal(sp_decode(&p, &ticks, &v, &code), RW_Q_GOOD);
    assert_true(fabs(v - 1234.56) < 1e-9);
    p = pt(CFG_ST_INTEGER, 1.0, 0.0, 500.0);
    p.offset = -0.5;
    assert_int_equal(sp_decode(&p, &volts, &v, &code), RW_Q_GOOD);
    assert_true(v == 229.5);
    assert_int_equal(sp_decode(&p, &huge, &v, &code), RW_Q_OUT_OF_RANGE);
    assert_true(v == 65534.5); /* kept for the log and the "raw" field */
    p.min = 0.0;
    p.max = 229.5; /* inclusive */
    assert_int_equal(sp_decode(&p, &volts, &v, &code), RW_Q_GOOD);
}

/* RFC 3433: value x 10^exponent(scale) x 10^-precision. */
static void
test_sp_decode_sensor_math(void **state)
{
    static const struct {
        int64_t value, scale, precision;
        double want;
    } cases[] = {
        {235, 9, 1, 23.5},        /* celsius, units, 1 decimal (domain.md 4.2) */
        {41, 9, 0, 41.0},         /* percentRH */
        {-125, 9, 2, -1.25},      /* a negative value */
        {2301, 8, 1, 0.2301},     /* milli, 1 decimal: 230.1 mV */
        {12, 10, 0, 12000.0},     /* kilo */
        {5, 10, -2, 500000.0},    /* a negative precision: 5 x 10^3 x 10^2 */
        {1, 14, 0, 1e18},         /* exa is 14 ... */
        {1, 15, 0, 1e15},         /* ... and peta 15, out of SI order */
        {7, 1, 0, 7e-24},         /* yocto */
        {3, 17, 0, 3e24},         /* yotta */
    };
    struct cfg_point p = pt(CFG_ST_ENTITY_SENSOR, 1.0, -INFINITY, INFINITY);
    uint16_t code;
    double v;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sp_value val = integer(cases[i].value), sc = integer(cases[i].scale),
                        pr = integer(cases[i].precision);

        assert_int_equal(sp_decode_sensor(&p, &val, &sc, &pr, &v, &code), RW_Q_GOOD);
        if (fabs(v - cases[i].want) > fabs(cases[i].want) * 1e-12)
            fail_msg("case %zu: %g, want %g", i, v, cases[i].want);
    }
}

static void
test_sp_decode_sensor_bad_columns(void **state)
{
    struct cfg_point p = pt(CFG_ST_ENTITY_SENSOR, 1.0, -40.0, 80.0);
    struct sp_value val = integer(235), sc = integer(9), pr = integer(1);
    struct sp_value bad_scale = integer(18), zero_scale = integer(0), bad_prec = integer(10);
    struct sp_value gauge = unsig(SP_TAG_GAUGE32, 235), nsi = unsig(SP_TAG_NOSUCHINSTANCE, 0);
    struct sp_value hot = integer(995);
    uint16_t code;
    double v;
    int e;

    (void)state;
    assert_int_equal(sp_decode_sensor(&p, &val, &bad_scale, &pr, &v, &code), RW_Q_DECODE_ERROR);
    assert_int_equal(sp_decode_sensor(&p, &val, &zero_scale, &pr, &v, &code), RW_Q_DECODE_ERROR);
    assert_int_equal(sp_decode_sensor(&p, &val, &sc, &bad_prec, &v, &code), RW_Q_DECODE_ERROR);
    assert_int_equal(sp_decode_sensor(&p, &gauge, &sc, &pr, &v, &code), RW_Q_DECODE_ERROR);
    assert_int_equal(sp_decode_sensor(&p, &val, &nsi, &pr, &v, &code), RW_Q_EXCEPTION);
    assert_int_equal(code, SP_TAG_NOSUCHINSTANCE);
    assert_int_equal(sp_decode_sensor(&p, &nsi, &sc, &pr, &v, &code), RW_Q_EXCEPTION);
    assert_int_equal(sp_decode_sensor(&p, &hot, &sc, &pr, &v, &code), RW_Q_OUT_OF_RANGE);
    assert_true(v == 99.5);
    assert_int_equal(sp_sensor_exponent(9, &e), 0);
    assert_int_equal(e, 0);
    assert_int_equal(sp_sensor_exponent(0, &e), -1);
}

/* sysUpTime going back is a restart; wrapping at 2^32 after ~497 days is not. */
static void
test_sp_uptime_restarted(void **state)
{
    (void)state;
    assert_false(sp_uptime_restarted(1000, 1100, 1.0));
    assert_false(sp_uptime_restarted(1000, 1000, 1.0));
    assert_true(sp_uptime_restarted(123456, 100, 1.0));
    assert_true(sp_uptime_restarted(1000, 999, 1.0));
    assert_false(sp_uptime_restarted(4294967200u, 50, 1.0));       /* wrapped */
    assert_true(sp_uptime_restarted(4294967200u, 2000000000u, 1.0)); /* not a wrap */
    /* Fuzzing: an interval too long for the slack to be converted is a restart, without
     * undefined behaviour; a NaN one counts as no time at all. */
    assert_true(sp_uptime_restarted(1000, 999, 1e300));
    assert_true(sp_uptime_restarted(4294967200u, 50, 3e7));
    assert_false(sp_uptime_restarted(4294967200u, 50, NAN));
    assert_false(sp_uptime_restarted(1000, 1000, 1e300));
}

/* A row of a walked column holding OID 1.3.6.1.2.1.33.1.6.3.<alarm> (upsWellKnownAlarms). */
static struct sp_cell
alarm_cell(uint32_t alarm)
{
    static const uint32_t base[] = {1, 3, 6, 1, 2, 1, 33, 1, 6, 3};
    struct sp_cell c;

    memset(&c, 0, sizeof(c));
    c.tag = SP_TAG_OBJECT_ID;
    memcpy(c.oid, base, sizeof(base));
    c.oid[10] = alarm;
    c.oid_len = 11;
    return c;
}

static struct cfg_point
has_alarm(uint32_t alarm)
{
    struct cfg_point p = pt(CFG_ST_HAS_OID, 1.0, 0.0, 1.0);
    struct sp_cell c = alarm_cell(alarm);

    p.walk = 1;
    memcpy(p.match, c.oid, sizeof(c.oid));
    p.match_len = c.oid_len;
    return p;
}

static void
test_sp_decode_walk_alarm_table(void **state)
{
    /* upsAlarmTable with sparse rows 7 and 12: OnBattery (.2) and InputBad (.6). */
    struct sp_cell rows[2] = {alarm_cell(2), alarm_cell(6)};
    struct sp_column col = {rows, 2, 0, 0};
    struct cfg_point count = pt(CFG_ST_ROWS, 1.0, 0.0, 256.0);
    static const uint32_t absent[] = {1, 3, 8, 14, 20};
    double v;
    uint16_t code = 7;

    (void)state;
    assert_int_equal(sp_decode_walk(&count, &col, &v, &code), RW_Q_GOOD);
    assert_true(v == 2.0 && code == 0);
    {
        struct cfg_point p = has_alarm(2);

        assert_int_equal(sp_decode_walk(&p, &col, &v, &code), RW_Q_GOOD);
        assert_true(v == 1.0);
        p = has_alarm(6);
        assert_int_equal(sp_decode_walk(&p, &col, &v, &code), RW_Q_GOOD);
        assert_true(v == 1.0);
    }
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        struct cfg_point p = has_alarm(absent[i]);

        assert_int_equal(sp_decode_walk(&p, &col, &v, &code), RW_Q_GOOD);
        assert_true(v == 0.0);
    }
    /* A longer or shorter OID with the same start is another alarm. */
    {
        struct cfg_point p = has_alarm(2);

        p.match_len = 10;
        assert_int_equal(sp_decode_walk(&p, &col, &v, &code), RW_Q_GOOD);
        assert_true(v == 0.0);
        rows[0].oid[11] = 1;
        rows[0].oid_len = 12;
        p = has_alarm(2);
        assert_int_equal(sp_decode_walk(&p, &col, &v, &code), RW_Q_GOOD);
        assert_true(v == 0.0);
        rows[0].oid_len = -1; /* longer than CFG_OID_MAX: matches nothing */
        assert_int_equal(sp_decode_walk(&p, &col, &v, &code), RW_Q_GOOD);
        assert_true(v == 0.0);
    }
}

static void
test_sp_decode_walk_empty_and_bad(void **state)
{
    struct sp_cell rows[2] = {alarm_cell(2), alarm_cell(6)};
    struct sp_column empty = {NULL, 0, 0, 0};
    struct cfg_point count = pt(CFG_ST_ROWS, 1.0, 0.0, 256.0);
    struct cfg_point on_battery = has_alarm(2), input_bad = has_alarm(6);
    double v;
    uint16_t code;

    (void)state;
    /* No alarms: an empty column. */
    assert_int_equal(sp_decode_walk(&count, &empty, &v, &code), RW_Q_GOOD);
    assert_true(v == 0.0);
    assert_int_equal(sp_decode_walk(&on_battery, &empty, &v, &code), RW_Q_GOOD);
    assert_true(v == 0.0);

    /* Truncated at a bound: the count is a lower bound, an absence uncertain, a presence
     * certain. */
    {
        struct sp_column col = {rows, 1, 1, 0};

        assert_int_equal(sp_decode_walk(&count, &col, &v, &code), RW_Q_OUT_OF_RANGE);
        assert_true(v == 1.0);
        assert_int_equal(sp_decode_walk(&on_battery, &col, &v, &code), RW_Q_GOOD);
        assert_true(v == 1.0);
        assert_int_equal(sp_decode_walk(&input_bad, &col, &v, &code), RW_Q_OUT_OF_RANGE);
        assert_true(v == 0.0);
    }
    /* An agent that answered out of order. */
    {
        struct sp_column col = {rows, 2, 0, 1};

        assert_int_equal(sp_decode_walk(&count, &col, &v, &code), RW_Q_DECODE_ERROR);
        assert_true(isnan(v));
        assert_int_equal(sp_decode_walk(&on_battery, &col, &v, &code), RW_Q_DECODE_ERROR);
    }
    /* A column of INTEGERs (the profile names upsAlarmId, say): rows count, has_oid cannot. */
    {
        struct sp_column col = {rows, 2, 0, 0};

        rows[1].tag = SP_TAG_INTEGER;
        assert_int_equal(sp_decode_walk(&count, &col, &v, &code), RW_Q_GOOD);
        assert_true(v == 2.0);
        assert_int_equal(sp_decode_walk(&on_battery, &col, &v, &code), RW_Q_DECODE_ERROR);
        assert_true(isnan(v));
    }
    /* The point's range applies: more rows than max. */
    {
        struct sp_column col = {rows, 2, 0, 0};
        struct cfg_point small = pt(CFG_ST_ROWS, 1.0, 0.0, 1.0);

        assert_int_equal(sp_decode_walk(&small, &col, &v, &code), RW_Q_OUT_OF_RANGE);
        assert_true(v == 2.0);
    }
    /* A GET point is not derived from a walk, and a walk point is not a GET. */
    {
        struct sp_column col = {rows, 2, 0, 0};
        struct cfg_point get = pt(CFG_ST_INTEGER, 1.0, 0.0, 10.0);
        struct sp_value one = integer(1);

        assert_int_equal(sp_decode_walk(&get, &col, &v, &code), RW_Q_DECODE_ERROR);
        assert_int_equal(sp_decode(&count, &one, &v, &code), RW_Q_DECODE_ERROR);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sp_decode_each_type),
        cmocka_unit_test(test_sp_decode_exceptions_are_exceptions),
        cmocka_unit_test(test_sp_decode_wrong_type_is_decode_error),
        cmocka_unit_test(test_sp_decode_scale_offset_and_range),
        cmocka_unit_test(test_sp_decode_sensor_math),
        cmocka_unit_test(test_sp_decode_sensor_bad_columns),
        cmocka_unit_test(test_sp_uptime_restarted),
        cmocka_unit_test(test_sp_decode_walk_alarm_table),
        cmocka_unit_test(test_sp_decode_walk_empty_and_bad),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
