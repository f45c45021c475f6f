/*
 * test_alarm.c - alarm detection (engine/alarm.h) against hand-made sample sequences: hold,
 * clear hold, flapping, unknown samples and gaps, a device silent for N polls, restart.
 *
 * Times are seconds from an arbitrary origin T0; samples of a point come once a second
 * unless a test says otherwise.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/alarm.h"

#define S 1000LL
#define T0 (1704038400LL * S) /* 2024-01-01T00:00:00+08:00 */
#define STALE (3 * S)

/* Every transition one test saw, in order. */
static struct alm_event evs[256];
static size_t nevs;

static struct alm_rule_cfg
band_rule(int64_t hold_s, int64_t clear_s)
{
    struct alm_rule_cfg r;

    memset(&r, 0, sizeof(r));
    r.cond = ALM_OUTSIDE;
    r.lo = 198.0; /* 220 V -10 % ... +7 % */
    r.hi = 235.4;
    r.hold_ms = hold_s * S;
    r.clear_ms = clear_s * S;
    return r;
}

static struct alm *
make(size_t nrules, const struct alm_rule_cfg *rules, size_t ntargets,
     const struct alm_target *targets, size_t ndevices)
{
    struct alm *a = NULL;

    nevs = 0;
    assert_int_equal(alm_new(nrules, rules, ntargets, targets, ndevices, &a), ALM_OK);
    return a;
}

/* One sample; returns the number of transitions it caused (also kept in evs). */
static size_t
feed(struct alm *a, uint32_t dev, uint32_t pt, uint64_t cycle, int last, double t_s, double value,
     enum alm_quality q)
{
    struct alm_sample s = {.t = T0 + (int64_t)llround(t_s * S),
                           .device = dev,
                           .point = pt,
                           .cycle = cycle,
                           .last = last,
                           .value = value,
                           .q = q};
    struct alm_event out[8];
    size_t n = alm_sample(a, &s, out, 8), i;

    assert_true(n <= alm_max_events(a));
    for (i = 0; i < n; i++)
        evs[nevs++] = out[i];
    return n;
}

/* Point 0 of device 0, one sample a second from t0 to t1 inclusive, all of one value. */
static void
steady(struct alm *a, int t0, int t1, double v)
{
    for (int t = t0; t <= t1; t++)
        feed(a, 0, 0, (uint64_t)t + 1, 1, t, v, ALM_Q_GOOD);
}

static size_t
count(enum alm_kind k)
{
    size_t n = 0;

    for (size_t i = 0; i < nevs; i++)
        n += evs[i].kind == k;
    return n;
}

/*
 * 230 V, then 190 V from t = 5 to 20, then 230 V: with a 10 s hold the incident opens at the
 * sample at t = 15 (15 - 5 = 10), value 190; with a 30 s clear hold it resolves at t = 51
 * (first clear sample t = 21, 51 - 21 = 30).
 */
static void
test_band_opens_after_hold_and_resolves_after_clear_hold(void **state)
{
    struct alm_rule_cfg r = band_rule(10, 30);
    struct alm_target tg = {.rule = 0, .device = 0, .point = 0, .stale_ms = STALE};
    struct alm *a = make(1, &r, 1, &tg, 1);

    (void)state;
    steady(a, 0, 4, 230.0);
    steady(a, 5, 14, 190.0);
    assert_int_equal(nevs, 0);
    steady(a, 15, 15, 190.0);
    assert_int_equal(nevs, 1);
    assert_int_equal(evs[0].kind, ALM_OPEN);
    assert_int_equal(evs[0].since, T0 + 5 * S);
    assert_int_equal(evs[0].at, T0 + 15 * S);
    assert_true(evs[0].value == 190.0);
    assert_int_equal(evs[0].flags, 0);
    assert_true(alm_is_open(a, 0));
    steady(a, 16, 20, 190.0);
    steady(a, 21, 50, 230.0);
    assert_int_equal(nevs, 1);
    steady(a, 51, 70, 230.0);
    assert_int_equal(nevs, 2);
    assert_int_equal(evs[1].kind, ALM_RESOLVE);
    assert_int_equal(evs[1].since, T0 + 21 * S);
    assert_int_equal(evs[1].at, T0 + 51 * S);
    assert_true(evs[1].value == 230.0);
    assert_false(alm_is_open(a, 0));
    alm_free(a);
}

/* A dip of 9 s (samples 5..13) under a 10 s hold is no incident; band edges are in band. */
static void
test_band_short_dip_and_edges_open_nothing(void **state)
{
    struct alm_rule_cfg r = band_rule(10, 30);
    struct alm_target tg = {.rule = 0, .device = 0, .point = 0, .stale_ms = STALE};
    struct alm *a = make(1, &r, 1, &tg, 1);

    (void)state;
    steady(a, 0, 4, 230.0);
    steady(a, 5, 13, 190.0);
    steady(a, 14, 40, 198.0); /* the lower edge */
    steady(a, 41, 80, 235.4); /* the upper edge */
    assert_int_equal(nevs, 0);
    alm_free(a);
}

/*
 * A condition flapping every second for 100 s (hold 0, clear hold 30 s) gives one incident,
 * opened at the first bad sample and resolved 30 s after the flapping stops.
 */
static void
test_flapping_gives_one_incident(void **state)
{
    struct alm_rule_cfg r = band_rule(0, 30);
    struct alm_target tg = {.rule = 0, .device = 0, .point = 0, .stale_ms = STALE};
    struct alm *a = make(1, &r, 1, &tg, 1);

    (void)state;
    for (int t = 0; t < 100; t++)
        steady(a, t, t, t % 2 == 0 ? 190.0 : 230.0);
    assert_int_equal(count(ALM_OPEN), 1);
    assert_int_equal(count(ALM_RESOLVE), 0);
    assert_int_equal(evs[0].at, T0);
    /* Last bad sample at t = 98; clear from 99: resolves at 129. */
    steady(a, 100, 140, 230.0);
    assert_int_equal(count(ALM_OPEN), 1);
    assert_int_equal(count(ALM_RESOLVE), 1);
    assert_int_equal(evs[1].since, T0 + 99 * S);
    assert_int_equal(evs[1].at, T0 + 129 * S);
    alm_free(a);
}

/*
 * An unknown sample (no valid value) breaks the run being timed: 190 V at 5..12, a timeout
 * at 13, 190 V again from 14: the 10 s hold starts again at 14 and opens at 24. So does a
 * gap longer than the staleness limit (3 s): samples at 40 and 45 are not 5 s of a run.
 */
static void
test_unknown_sample_or_gap_restarts_the_hold(void **state)
{
    struct alm_rule_cfg r = band_rule(10, 0);
    struct alm_target tg = {.rule = 0, .device = 0, .point = 0, .stale_ms = STALE};
    struct alm *a = make(1, &r, 1, &tg, 1);

    (void)state;
    steady(a, 5, 12, 190.0);
    feed(a, 0, 0, 100, 1, 13, NAN, ALM_Q_NO_ANSWER);
    steady(a, 14, 23, 190.0);
    assert_int_equal(nevs, 0);
    steady(a, 24, 24, 190.0);
    assert_int_equal(nevs, 1);
    assert_int_equal(evs[0].since, T0 + 14 * S);
    steady(a, 25, 30, 230.0); /* clear hold 0: resolves at 25 */
    assert_int_equal(count(ALM_RESOLVE), 1);
    assert_int_equal(evs[1].at, T0 + 25 * S);
    /* 4 s apart (> 3 s staleness), then every second: the run starts at 50, opens at 60. */
    steady(a, 46, 46, 190.0);
    steady(a, 50, 59, 190.0);
    assert_int_equal(count(ALM_OPEN), 1);
    steady(a, 60, 60, 190.0);
    assert_int_equal(count(ALM_OPEN), 2);
    assert_int_equal(evs[2].since, T0 + 50 * S);
    /* While open, an unknown sample decides nothing: it stays open; 230 V at 71 resolves
     * (clear hold 0). */
    steady(a, 61, 69, 190.0);
    feed(a, 0, 0, 200, 1, 70, NAN, ALM_Q_BAD);
    assert_int_equal(count(ALM_RESOLVE), 1);
    assert_true(alm_is_open(a, 0));
    steady(a, 71, 71, 230.0);
    assert_int_equal(count(ALM_RESOLVE), 2);
    assert_int_equal(evs[3].at, T0 + 71 * S);
    alm_free(a);
}

/* above 0 (an alarm counter), below a limit, and an enumerated state (UPS on battery = 5). */
static void
test_above_below_and_states(void **state)
{
    struct alm_rule_cfg r[3];
    struct alm_target tg[3] = {
        {.rule = 0, .device = 0, .point = 0, .stale_ms = STALE},
        {.rule = 1, .device = 0, .point = 1, .stale_ms = STALE},
        {.rule = 2, .device = 1, .point = 0, .stale_ms = STALE},
    };
    struct alm *a;

    (void)state;
    memset(r, 0, sizeof(r));
    r[0].cond = ALM_ABOVE;
    r[0].lo = 0;
    r[1].cond = ALM_BELOW;
    r[1].hi = 20.0;
    r[2].cond = ALM_IN_SET;
    r[2].nset = 2;
    r[2].set[0] = 5; /* battery */
    r[2].set[1] = 2; /* none */
    a = make(3, r, 3, tg, 2);
    assert_int_equal(feed(a, 0, 0, 1, 0, 0, 0.0, ALM_Q_GOOD), 0);
    assert_int_equal(feed(a, 0, 1, 1, 1, 0, 20.0, ALM_Q_GOOD), 0); /* not below 20 */
    assert_int_equal(feed(a, 1, 0, 1, 1, 0, 3.0, ALM_Q_GOOD), 0);  /* normal */
    assert_int_equal(feed(a, 0, 0, 2, 0, 1, 1.0, ALM_Q_GOOD), 1);
    assert_int_equal(evs[0].target, 0);
    assert_int_equal(feed(a, 0, 1, 2, 1, 1, 19.5, ALM_Q_GOOD), 1);
    assert_int_equal(evs[1].target, 1);
    assert_int_equal(feed(a, 1, 0, 2, 1, 1, 4.0, ALM_Q_GOOD), 0); /* bypass: fine */
    assert_int_equal(feed(a, 1, 0, 3, 1, 2, 5.0, ALM_Q_GOOD), 1);
    assert_int_equal(evs[2].target, 2);
    assert_true(evs[2].value == 5.0);
    alm_free(a);
}

/*
 * A device of two points polled once a second, silent from cycle 3: with polls = 3 the
 * third unanswered cycle in a row (cycle 5, t = 4) opens the incident; an exception is an
 * answer; the first answered cycle (t = 9) starts the 2 s clear hold, resolved at t = 11.
 */
static void
test_device_silent_for_n_polls(void **state)
{
    struct alm_rule_cfg r;
    struct alm_target tg = {.rule = 0, .device = 0, .point = ALM_NO_POINT, .stale_ms = STALE};
    struct alm *a;
    int t;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.cond = ALM_NO_ANSWER;
    r.polls = 3;
    r.clear_ms = 2 * S;
    a = make(1, &r, 1, &tg, 1);
    for (t = 0; t < 2; t++) {
        feed(a, 0, 0, (uint64_t)t + 1, 0, t, 1.0, ALM_Q_GOOD);
        feed(a, 0, 1, (uint64_t)t + 1, 1, t + 0.1, 1.0, ALM_Q_BAD);
    }
    for (; t < 9; t++) {
        feed(a, 0, 0, (uint64_t)t + 1, 0, t, NAN, ALM_Q_NO_ANSWER);
        feed(a, 0, 1, (uint64_t)t + 1, 1, t + 0.1, NAN, ALM_Q_NO_ANSWER);
        if (t < 4)
            assert_int_equal(nevs, 0);
    }
    assert_int_equal(nevs, 1);
    assert_int_equal(evs[0].kind, ALM_OPEN);
    assert_int_equal(evs[0].since, T0 + 4100);
    assert_int_equal(evs[0].at, T0 + 4100);
    assert_true(isnan(evs[0].value));
    /* Answers again with an exception on one point: answered. */
    for (; t < 12; t++) {
        feed(a, 0, 0, (uint64_t)t + 1, 0, t, NAN, ALM_Q_BAD);
        feed(a, 0, 1, (uint64_t)t + 1, 1, t + 0.1, 2.0, ALM_Q_GOOD);
    }
    assert_int_equal(nevs, 2);
    assert_int_equal(evs[1].kind, ALM_RESOLVE);
    assert_int_equal(evs[1].since, T0 + 9100);
    assert_int_equal(evs[1].at, T0 + 11100);
    alm_free(a);
}

/*
 * A silent device is backed off: its polls come 1, 1, 2, 4, ... 60 s apart, each announcing
 * the delay to the next. Gaps up to twice that delay continue the run, so a 90 s hold
 * started at the third silent poll (t = 2) opens at the first poll 90 s later, t = 124.
 */
static void
test_device_backed_off_keeps_its_run(void **state)
{
    static const int ts[] = {0, 1, 2, 4, 8, 16, 32, 64, 124, 184};
    struct alm_rule_cfg r;
    struct alm_target tg = {.rule = 0, .device = 0, .point = ALM_NO_POINT, .stale_ms = STALE};
    struct alm *a;
    size_t i;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.cond = ALM_NO_ANSWER;
    r.polls = 3;
    r.hold_ms = 90 * S;
    a = make(1, &r, 1, &tg, 1);
    for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        struct alm_sample s = {.t = T0 + ts[i] * S,
                               .device = 0,
                               .point = 0,
                               .cycle = i + 1,
                               .last = 1,
                               .value = NAN,
                               .q = ALM_Q_NO_ANSWER};
        struct alm_event out[2];

        s.next_ms = i + 1 < sizeof(ts) / sizeof(ts[0]) ? (ts[i + 1] - ts[i]) * S : 60 * S;
        if (alm_sample(a, &s, out, 2) == 1)
            evs[nevs++] = out[0];
    }
    assert_int_equal(nevs, 1);
    assert_int_equal(evs[0].since, T0 + 2 * S);
    assert_int_equal(evs[0].at, T0 + 124 * S);
    alm_free(a);
}

/* A cycle whose last sample was lost ends when the next cycle's first sample comes. */
static void
test_device_cycle_without_last_sample(void **state)
{
    struct alm_rule_cfg r;
    struct alm_target tg = {.rule = 0, .device = 0, .point = ALM_NO_POINT, .stale_ms = STALE};
    struct alm *a;

    (void)state;
    memset(&r, 0, sizeof(r));
    r.cond = ALM_NO_ANSWER;
    r.polls = 1;
    a = make(1, &r, 1, &tg, 1);
    assert_int_equal(feed(a, 0, 0, 1, 0, 0, NAN, ALM_Q_NO_ANSWER), 0);
    assert_int_equal(feed(a, 0, 0, 2, 0, 1, NAN, ALM_Q_NO_ANSWER), 1);
    assert_int_equal(evs[0].at, T0);
    alm_free(a);
}

/*
 * Restart: an incident open in the store is restored open. Unknown samples decide nothing;
 * a first valid sample still active keeps it open, and it then resolves after the normal
 * clear hold.
 */
static void
test_restart_still_active_stays_open(void **state)
{
    struct alm_rule_cfg r = band_rule(10, 5);
    struct alm_target tg = {.rule = 0, .device = 0, .point = 0, .stale_ms = STALE};
    struct alm *a = make(1, &r, 1, &tg, 1);

    (void)state;
    alm_restore_open(a, 0);
    assert_true(alm_is_open(a, 0));
    feed(a, 0, 0, 1, 1, 0, NAN, ALM_Q_NO_ANSWER);
    steady(a, 1, 3, 190.0);
    assert_int_equal(nevs, 0);
    assert_true(alm_is_open(a, 0));
    steady(a, 4, 8, 230.0);
    assert_int_equal(nevs, 0);
    steady(a, 9, 9, 230.0);
    assert_int_equal(nevs, 1);
    assert_int_equal(evs[0].kind, ALM_RESOLVE);
    assert_int_equal(evs[0].since, T0 + 4 * S);
    assert_int_equal(evs[0].flags, 0);
    alm_free(a);
}

/* Restart: the first valid sample after it sees the condition clear: resolved at once, with
 * the flag saying it cleared while the agent was down. A silent device likewise. */
static void
test_restart_cleared_while_down(void **state)
{
    struct alm_rule_cfg r[2];
    struct alm_target tg[2] = {
        {.rule = 0, .device = 0, .point = 0, .stale_ms = STALE},
        {.rule = 1, .device = 1, .point = ALM_NO_POINT, .stale_ms = STALE},
    };
    struct alm *a;

    (void)state;
    r[0] = band_rule(10, 30);
    memset(&r[1], 0, sizeof(r[1]));
    r[1].cond = ALM_NO_ANSWER;
    r[1].polls = 3;
    r[1].clear_ms = 60 * S;
    a = make(2, r, 2, tg, 2);
    alm_restore_open(a, 0);
    alm_restore_open(a, 1);
    feed(a, 0, 0, 1, 1, 0, NAN, ALM_Q_BAD);
    assert_int_equal(feed(a, 0, 0, 2, 1, 1, 231.0, ALM_Q_GOOD), 1);
    assert_int_equal(evs[0].kind, ALM_RESOLVE);
    assert_int_equal(evs[0].since, T0 + S);
    assert_int_equal(evs[0].at, T0 + S);
    assert_int_equal(evs[0].flags, ALM_F_CLEARED_WHILE_DOWN);
    assert_false(alm_is_open(a, 0));
    /* The silent device: its first cycle after the restart is unanswered, so it is still
     * active (open, it need not count to 3 again) and stays open; an answer then only starts
     * the normal 60 s clear hold. */
    assert_int_equal(feed(a, 1, 0, 1, 1, 0, NAN, ALM_Q_NO_ANSWER), 0);
    assert_true(alm_is_open(a, 1));
    assert_int_equal(feed(a, 1, 0, 2, 1, 1, 1.0, ALM_Q_GOOD), 0);
    assert_true(alm_is_open(a, 1));
    alm_free(a);
}

static void
test_new_rejects_bad_configs(void **state)
{
    struct alm_rule_cfg r = band_rule(10, 30), na;
    struct alm_target tg = {.rule = 0, .device = 0, .point = 0, .stale_ms = STALE};
    struct alm_target bad;
    struct alm *a = NULL;

    (void)state;
    memset(&na, 0, sizeof(na));
    na.cond = ALM_NO_ANSWER;
    na.polls = 0;
    assert_int_equal(alm_new(1, &na, 0, NULL, 1, &a), ALM_ERR_INVALID);
    bad = tg;
    bad.rule = 1;
    assert_int_equal(alm_new(1, &r, 1, &bad, 1, &a), ALM_ERR_INVALID);
    bad = tg;
    bad.device = 1;
    assert_int_equal(alm_new(1, &r, 1, &bad, 1, &a), ALM_ERR_INVALID);
    bad = tg;
    bad.point = ALM_NO_POINT; /* a value rule needs a point */
    assert_int_equal(alm_new(1, &r, 1, &bad, 1, &a), ALM_ERR_INVALID);
    bad = tg;
    bad.stale_ms = 0;
    assert_int_equal(alm_new(1, &r, 1, &bad, 1, &a), ALM_ERR_INVALID);
    r.hold_ms = -1;
    assert_int_equal(alm_new(1, &r, 1, &tg, 1, &a), ALM_ERR_INVALID);
    assert_null(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_band_opens_after_hold_and_resolves_after_clear_hold),
        cmocka_unit_test(test_band_short_dip_and_edges_open_nothing),
        cmocka_unit_test(test_flapping_gives_one_incident),
        cmocka_unit_test(test_unknown_sample_or_gap_restarts_the_hold),
        cmocka_unit_test(test_above_below_and_states),
        cmocka_unit_test(test_device_silent_for_n_polls),
        cmocka_unit_test(test_device_backed_off_keeps_its_run),
        cmocka_unit_test(test_device_cycle_without_last_sample),
        cmocka_unit_test(test_restart_still_active_stays_open),
        cmocka_unit_test(test_restart_cleared_while_down),
        cmocka_unit_test(test_new_rejects_bad_configs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
