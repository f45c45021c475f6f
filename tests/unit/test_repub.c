/*
 * test_repub.c - when roomwatchd builds and publishes its retained report document
 * (agent/daemon/repub.c, struct repub_sched), with made-up monotonic times and connect
 * counts: at most one build a minute, published only when it changed, again on every
 * (re)connect, nothing while the broker is away.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/repub.h"

/* Runs the schedule as repub_tick() does, for one tick at now: the build (if asked) yields
 * a document that changed or not. Returns 1 when something was published. */
static int
tick(struct repub_sched *s, double now, int connected, uint64_t connects, int changed)
{
    switch (repub_next(s, now, connected, connects)) {
    case REPUB_WAIT:
        return 0;
    case REPUB_RESEND:
        repub_sent(s, connects);
        return 1;
    case REPUB_BUILD:
        break;
    }
    if (!repub_built(s, now, 1, 0, changed, connects, NULL))
        return 0;
    repub_sent(s, connects);
    return 1;
}

static void
test_repub_first_connect_builds_and_publishes(void **state)
{
    struct repub_sched s;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(repub_next(&s, 100.0, 0, 0), REPUB_WAIT); /* no broker yet */
    assert_int_equal(repub_next(&s, 100.0, 1, 1), REPUB_BUILD);
    assert_int_equal(tick(&s, 100.0, 1, 1, 0), 1); /* nothing published before: out it goes */
    assert_int_equal(repub_next(&s, 100.5, 1, 1), REPUB_WAIT);
}

static void
test_repub_at_most_once_a_minute(void **state)
{
    struct repub_sched s;
    int published = 0, builds = 0;

    (void)state;
    memset(&s, 0, sizeof(s));
    /* A document that changes all the time, ticked every second for ten minutes. */
    for (double t = 1000.0; t < 1600.0; t += 1.0) {
        builds += repub_next(&s, t, 1, 1) == REPUB_BUILD;
        published += tick(&s, t, 1, 1, 1);
    }
    assert_int_equal(builds, 10);
    assert_int_equal(published, 10);
    /* 59.9 s after the last build: still waiting; at 60 s: the next. */
    assert_int_equal(repub_next(&s, s.built_at + 59.9, 1, 1), REPUB_WAIT);
    assert_int_equal(repub_next(&s, s.built_at + REPUB_INTERVAL_S, 1, 1), REPUB_BUILD);
}

static void
test_repub_unchanged_is_not_published(void **state)
{
    struct repub_sched s;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(tick(&s, 0.0, 1, 1, 1), 1);
    assert_int_equal(tick(&s, 60.0, 1, 1, 0), 0);  /* built, the same: kept */
    assert_int_equal(s.built_at, 60.0);            /* but the minute counts from this build */
    assert_int_equal(tick(&s, 119.0, 1, 1, 1), 0); /* not due yet */
    assert_int_equal(tick(&s, 120.0, 1, 1, 1), 1);
}

static void
test_repub_reconnect_resends_without_a_build(void **state)
{
    struct repub_sched s;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(tick(&s, 0.0, 1, 1, 1), 1);
    /* The broker restarts 10 s later (lost its retained messages): away, then back. */
    assert_int_equal(repub_next(&s, 10.0, 0, 1), REPUB_WAIT);
    assert_int_equal(repub_next(&s, 12.0, 1, 2), REPUB_RESEND);
    assert_int_equal(tick(&s, 12.0, 1, 2, 0), 1);
    assert_int_equal(repub_next(&s, 13.0, 1, 2), REPUB_WAIT); /* once per connect */
    assert_int_equal(s.built_at, 0.0);                        /* no build for it */
    /* A reconnect when a build is due anyway: built, and published though unchanged. */
    assert_int_equal(repub_next(&s, 61.0, 1, 3), REPUB_BUILD);
    assert_int_equal(tick(&s, 61.0, 1, 3, 0), 1);
}

static void
test_repub_away_builds_nothing(void **state)
{
    struct repub_sched s;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(tick(&s, 0.0, 1, 1, 1), 1);
    for (double t = 1.0; t < 600.0; t += 1.0)
        assert_int_equal(repub_next(&s, t, 0, 1), REPUB_WAIT);
    /* Back after ten minutes: the document is stale, so a build rather than a resend. */
    assert_int_equal(repub_next(&s, 600.0, 1, 2), REPUB_BUILD);
}

static void
test_repub_no_state_yet_retried_soon(void **state)
{
    struct repub_sched s;

    (void)state;
    memset(&s, 0, sizeof(s));
    /* Before the store's first checkpoint: nothing to publish; asked again in 5 s. */
    assert_int_equal(repub_next(&s, 0.0, 1, 1), REPUB_BUILD);
    assert_int_equal(repub_built(&s, 0.0, 0, 1, 0, 1, NULL), 0);
    assert_int_equal(repub_next(&s, REPUB_RETRY_S - 0.1, 1, 1), REPUB_WAIT);
    assert_int_equal(repub_next(&s, REPUB_RETRY_S, 1, 1), REPUB_BUILD);
    /* A store error is a costly failure: once a minute. */
    assert_int_equal(repub_built(&s, REPUB_RETRY_S, 0, 0, 0, 1, NULL), 0);
    assert_int_equal(repub_next(&s, REPUB_RETRY_S + 30.0, 1, 1), REPUB_WAIT);
    assert_int_equal(repub_next(&s, REPUB_RETRY_S + REPUB_INTERVAL_S, 1, 1), REPUB_BUILD);
    /* Nothing was published: a reconnect meanwhile has nothing to resend. */
    memset(&s, 0, sizeof(s));
    (void)repub_built(&s, 0.0, 0, 0, 0, 1, NULL);
    assert_int_equal(repub_next(&s, 1.0, 1, 2), REPUB_WAIT);
}

/* Until the store is written, a retry after "no state yet" needs no build. */
static void
test_repub_no_state_yet_waits_for_a_write(void **state)
{
    struct repub_sched s;
    const int64_t v7 = 7;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_true(repub_store_moved(&s, 7)); /* nothing tried yet */
    assert_int_equal(repub_built(&s, 0.0, 0, 1, 0, 1, &v7), 0);
    assert_false(repub_store_moved(&s, 7));
    assert_true(repub_store_moved(&s, 8)); /* the first checkpoint */
    /* The version could not be read: the next retry builds, still after REPUB_RETRY_S. */
    assert_int_equal(repub_built(&s, 5.0, 0, 1, 0, 1, NULL), 0);
    assert_true(repub_store_moved(&s, 7));
    assert_int_equal(repub_next(&s, 5.0 + REPUB_RETRY_S, 1, 1), REPUB_BUILD);
    /* A store error is tried again whatever the version. */
    assert_int_equal(repub_built(&s, 10.0, 0, 0, 0, 1, &v7), 0);
    assert_true(repub_store_moved(&s, 7));
    /* So is a build after a document was built: its retries are the interval's. */
    assert_int_equal(repub_built(&s, 70.0, 1, 0, 1, 1, &v7), 1);
    assert_true(repub_store_moved(&s, 7));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repub_first_connect_builds_and_publishes),
        cmocka_unit_test(test_repub_at_most_once_a_minute),
        cmocka_unit_test(test_repub_unchanged_is_not_published),
        cmocka_unit_test(test_repub_reconnect_resends_without_a_build),
        cmocka_unit_test(test_repub_away_builds_nothing),
        cmocka_unit_test(test_repub_no_state_yet_retried_soon),
        cmocka_unit_test(test_repub_no_state_yet_waits_for_a_write),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
