/*
 * test_lograte.c - a fault logged once per burst with a count (agent/rw_lograte.c), with
 * made-up times; the log lines are read back from stderr, redirected to a file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rw_log.h"
#include "rw_lograte.h"

static FILE *capture;
static int saved_stderr = -1;

static int
setup(void **state)
{
    (void)state;
    rw_log_init("test", RW_LOG_DEBUG);
    fflush(stderr);
    capture = tmpfile();
    saved_stderr = dup(STDERR_FILENO);
    if (capture == NULL || saved_stderr < 0 || dup2(fileno(capture), STDERR_FILENO) < 0)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    fclose(capture);
    return 0;
}

/* The lines logged since the last call, joined; each without its timestamp prefix. */
static char *
lines(void)
{
    static char out[8192];
    char line[1024];
    size_t n = 0;

    out[0] = '\0';
    fflush(capture);
    rewind(capture);
    while (fgets(line, sizeof(line), capture) != NULL) {
        const char *msg = strstr(line, "test ");

        msg = msg != NULL ? strchr(msg, ':') + 2 : line;
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", msg);
    }
    assert_int_equal(ftruncate(fileno(capture), 0), 0);
    rewind(capture);
    return out;
}

/* 20,000 refusals in 2 s: the first in full, then one count line when the burst is over. */
static void
test_lograte_burst_is_two_lines(void **state)
{
    struct rw_lograte r = RW_LOGRATE_INIT("commands refused", 5.0, 60.0);
    int logged = 0;

    (void)state;
    for (int i = 0; i < 20000; i++)
        logged += rw_lograte_log(&r, 100.0 + i * 1e-4, 1, RW_LOG_INFO,
                                 "command ack refused: reason %d", i);
    assert_int_equal(logged, 1);
    /* Still inside the burst (less than 5 s quiet): nothing more yet. */
    assert_int_equal(rw_lograte_tick(&r, 103.0), 0);
    assert_string_equal(lines(), "command ack refused: reason 0\n");
    /* Quiet for 5 s: the count. */
    assert_int_equal(rw_lograte_tick(&r, 107.0), 19999);
    assert_string_equal(lines(), "commands refused: 19999 more in 2.0 s (the first one is "
                                 "logged above)\n");
    /* Nothing further to say, and the next event starts a new burst, logged in full. */
    assert_int_equal(rw_lograte_tick(&r, 200.0), 0);
    assert_int_equal(rw_lograte_log(&r, 300.0, 1, RW_LOG_INFO, "again"), 1);
    assert_string_equal(lines(), "again\n");
}

/* A single event is one line and no count line. */
static void
test_lograte_single_event(void **state)
{
    struct rw_lograte r = RW_LOGRATE_INIT("x", 5.0, 60.0);

    (void)state;
    assert_int_equal(rw_lograte_log(&r, 1.0, 1, RW_LOG_WARNING, "one"), 1);
    assert_int_equal(rw_lograte_tick(&r, 10.0), 0);
    assert_int_equal(rw_lograte_log(&r, 11.0, 1, RW_LOG_WARNING, "two"), 1);
    assert_string_equal(lines(), "one\ntwo\n");
}

/* A flood that never stops is reported every period, with the events of that period. */
static void
test_lograte_endless_flood_reported_each_period(void **state)
{
    struct rw_lograte r = RW_LOGRATE_INIT("commands refused", 5.0, 60.0);
    unsigned long long reported = 0;

    (void)state;
    for (int t = 0; t < 150; t++) { /* 8 a second for 150 s (times exact in binary) */
        for (int k = 0; k < 8; k++)
            (void)rw_lograte_log(&r, t + k * 0.125, 1, RW_LOG_INFO, "refused");
        reported += rw_lograte_tick(&r, t + 0.9375);
    }
    /* Count lines after 60 s and 120 s; the rest when it is over. */
    assert_int_equal(reported, 487 + 480);
    reported += rw_lograte_tick(&r, 200.0);
    assert_int_equal(reported, 150 * 8 - 1);
    assert_string_equal(lines(), "refused\n"
                                 "commands refused: 487 more in 60.9 s (the first one is "
                                 "logged above)\n"
                                 "commands refused: 480 more in 60.0 s (the first one is "
                                 "logged above)\n"
                                 "commands refused: 232 more in 28.9 s (the first one is "
                                 "logged above)\n");
}

/* An event standing for several (12 commands dropped) counts as that many. */
static void
test_lograte_counts_n(void **state)
{
    struct rw_lograte r = RW_LOGRATE_INIT("commands dropped", 5.0, 60.0);

    (void)state;
    (void)rw_lograte_log(&r, 0.0, 12, RW_LOG_WARNING, "12 commands dropped");
    (void)rw_lograte_log(&r, 1.0, 30, RW_LOG_WARNING, "30 commands dropped");
    (void)rw_lograte_log(&r, 2.0, 5, RW_LOG_WARNING, "5 commands dropped");
    /* A new burst without a tick in between: the old count comes first. */
    (void)rw_lograte_log(&r, 20.0, 1, RW_LOG_WARNING, "1 commands dropped");
    assert_string_equal(lines(), "12 commands dropped\n"
                                 "commands dropped: 35 more in 2.0 s (the first one is "
                                 "logged above)\n"
                                 "1 commands dropped\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lograte_burst_is_two_lines),
        cmocka_unit_test(test_lograte_single_event),
        cmocka_unit_test(test_lograte_endless_flood_reported_each_period),
        cmocka_unit_test(test_lograte_counts_n),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
