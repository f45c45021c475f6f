/*
 * test_trace_csv.c - the trace CSV line parser of `roomwatch replay`.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "archive/trace_csv.h"

static enum trace_line
parse(struct trace_csv *tc, const char *line, struct trace_row *row, char *err)
{
    return trace_csv_parse(tc, line, strlen(line), row, err, TRACE_ERR_LEN);
}

static void
test_trace_csv_parse_header_comments_and_rows(void **state)
{
    struct trace_csv tc;
    struct trace_row row;
    char err[TRACE_ERR_LEN];

    (void)state;
    trace_csv_init(&tc);
    assert_int_equal(parse(&tc, "# comment\n", &row, err), TRACE_SKIP);
    assert_int_equal(parse(&tc, "\r\n", &row, err), TRACE_SKIP);
    assert_int_equal(parse(&tc, "ts,point,value\r\n", &row, err), TRACE_SKIP);
    assert_int_equal(parse(&tc, "1704038400,meter1.v_l1,229.75\n", &row, err), TRACE_ROW);
    assert_int_equal(tc.line, 4);
    assert_int_equal(row.t, 1704038400000LL);
    assert_string_equal(row.point, "meter1.v_l1");
    assert_true(row.answered && row.value == 229.75);
    assert_int_equal(parse(&tc, "1704038400.1234,ups1.output_source,", &row, err), TRACE_ROW);
    assert_int_equal(row.t, 1704038400123LL);
    assert_false(row.answered);
    assert_int_equal(parse(&tc, "1704038400.9996,ups1.output_source,NaN", &row, err), TRACE_ROW);
    assert_int_equal(row.t, 1704038401000LL);
    assert_false(row.answered);
    assert_int_equal(parse(&tc, "1704038400,th1.temp,-1.5e1", &row, err), TRACE_ROW);
    assert_true(row.answered && row.value == -15.0);
    /* An answer without a valid value: answered, no number. */
    assert_int_equal(parse(&tc, "1704038400,th1.temp,bad", &row, err), TRACE_ROW);
    assert_true(row.answered && isnan(row.value));
    assert_int_equal(parse(&tc, "1704038400,th1.temp,BAD", &row, err), TRACE_ERROR);
}

static void
test_trace_csv_parse_rfc3339_offsets(void **state)
{
    int64_t ms;

    (void)state;
    assert_int_equal(trace_parse_ts("2024-01-01T00:00:00+08:00", 25, &ms), 0);
    assert_int_equal(ms, 1704038400000LL);
    assert_int_equal(trace_parse_ts("2023-12-31T16:00:00Z", 20, &ms), 0);
    assert_int_equal(ms, 1704038400000LL);
    assert_int_equal(trace_parse_ts("2024-03-31T03:00:00.5+02:00", 27, &ms), 0);
    assert_int_equal(ms, 1711846800500LL);
    assert_int_equal(trace_parse_ts("2024-02-29T00:00:00-05:30", 25, &ms), 0);
    assert_int_equal(ms, 1709184600000LL);
    assert_int_equal(trace_parse_ts("2023-02-29T00:00:00Z", 20, &ms), -1);
    assert_int_equal(trace_parse_ts("2024-01-01T00:00:00", 19, &ms), -1); /* no offset */
    assert_int_equal(trace_parse_ts("2024-01-01T24:00:00Z", 20, &ms), -1);
    assert_int_equal(trace_parse_ts("2024-01-01T00:00:00+8:00", 24, &ms), -1);
}

static void
test_trace_csv_parse_errors_say_why(void **state)
{
    static const struct {
        const char *line, *why;
    } bad[] = {
        {"1704038400,meter1.v_l1", "expected three fields"},
        {"1704038400,meter1.v_l1,1,2", "more than three fields"},
        {"yesterday,meter1.v_l1,1", "bad time \"yesterday\""},
        {"1704038400,v_l1,1", "bad point \"v_l1\""},
        {"1704038400,meter 1.v,1", "bad point"},
        {"1704038400,meter1.v_l1,inf", "bad value \"inf\""},
        {"1704038400,meter1.v_l1,0x1F", "bad value"},
        {"1704038400,meter1.v_l1, 5", "bad value"},
        {"1704038400,meter1.v_l1,1e999", "bad value"},
        {"1704038400,meter1.v_l1,5V", "bad value"},
    };
    struct trace_csv tc;
    struct trace_row row;
    char err[TRACE_ERR_LEN];

    (void)state;
    trace_csv_init(&tc);
    assert_int_equal(parse(&tc, "1704038400,meter1.v_l1,1", &row, err), TRACE_ERROR);
    assert_string_equal(err, "expected the header \"ts,point,value\"");
    trace_csv_init(&tc);
    assert_int_equal(parse(&tc, "ts,point,value", &row, err), TRACE_SKIP);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(parse(&tc, bad[i].line, &row, err), TRACE_ERROR);
        if (strstr(err, bad[i].why) == NULL)
            fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].line, err, bad[i].why);
    }
}

/* Not NUL-terminated: the parser must stay inside len. */
static void
test_trace_csv_parse_respects_len(void **state)
{
    struct trace_csv tc;
    struct trace_row row;
    char err[TRACE_ERR_LEN];
    const char buf[] = "1704038400,meter1.v_l1,12345XXXX";

    (void)state;
    trace_csv_init(&tc);
    tc.header_seen = 1;
    assert_int_equal(trace_csv_parse(&tc, buf, 26, &row, err, sizeof(err)), TRACE_ROW);
    assert_true(row.value == 123.0);
}

/* Values read by the hand-written fast path must be the very doubles strtod() gives. */
static void
test_trace_csv_parse_values_match_strtod(void **state)
{
    static const char *const vals[] = {
        "229.8",
        "0.1",
        "-0",
        "-0.0",
        "+3",
        ".5",
        "-.5",
        "1.",
        "0.30000000000000004",
        "999999999999999",
        "9999999999999999",
        "9007199254740993",
        "123456789012345.6",
        "0.0000000000000000000001",
        "0.00000000000000000000001",
        "1e5",
        "2.5E-3",
        "1000.25",
        "4.35",
        "0000000000000000000000000001.5",
        "17.000000000000001",
    };
    struct trace_csv tc;
    struct trace_row row;
    char err[TRACE_ERR_LEN], line[128];
    unsigned seed = 1;

    (void)state;
    trace_csv_init(&tc);
    assert_int_equal(parse(&tc, "ts,point,value\n", &row, err), TRACE_SKIP);
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        double want = strtod(vals[i], NULL);

        snprintf(line, sizeof(line), "1704038400,meter1.v_l1,%s\n", vals[i]);
        assert_int_equal(parse(&tc, line, &row, err), TRACE_ROW);
        assert_true(row.answered);
        assert_memory_equal(&row.value, &want, sizeof(want));
    }
    /* Random decimals of 1 to 17 digits with the point anywhere. */
    for (int i = 0; i < 200000; i++) {
        char v[32];
        int n = 0, nd, pp;
        double want;

        seed = seed * 1103515245u + 12345u;
        nd = 1 + (int)(seed >> 16) % 17;
        pp = (int)(seed >> 8) % (nd + 1);
        if (seed & 1)
            v[n++] = '-';
        for (int j = 0; j < nd; j++) {
            seed = seed * 1103515245u + 12345u;
            if (j == pp)
                v[n++] = '.';
            v[n++] = (char)('0' + (seed >> 16) % 10);
        }
        v[n] = '\0';
        want = strtod(v, NULL);
        snprintf(line, sizeof(line), "1704038400,meter1.v_l1,%s", v);
        assert_int_equal(parse(&tc, line, &row, err), TRACE_ROW);
        assert_memory_equal(&row.value, &want, sizeof(want));
    }
    assert_int_equal(parse(&tc, "1704038400,meter1.v_l1,1.2.3", &row, err), TRACE_ERROR);
    assert_int_equal(parse(&tc, "1704038400,meter1.v_l1,-", &row, err), TRACE_ERROR);
    assert_int_equal(parse(&tc, "1704038400,meter1.v_l1,.", &row, err), TRACE_ERROR);
    assert_int_equal(parse(&tc, "1704038400,meter1.v_l1,1,2", &row, err), TRACE_ERROR);
    assert_non_null(strstr(err, "more than three fields"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_csv_parse_header_comments_and_rows),
        cmocka_unit_test(test_trace_csv_parse_rfc3339_offsets),
        cmocka_unit_test(test_trace_csv_parse_errors_say_why),
        cmocka_unit_test(test_trace_csv_parse_respects_len),
        cmocka_unit_test(test_trace_csv_parse_values_match_strtod),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
