/*
 * test_engine.c - the indicator engine against hand-computed expectations.
 *
 * Periods are built at UTC+08:00 (Asia/Shanghai): local midnight is 16:00 UTC the day before.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/eng.h"

#define S 1000LL          /* ms per second */
#define MIN (60 * S)
#define HOUR (3600 * S)
#define DAY (86400 * S)
/* 2024-01-01T00:00:00+08:00 */
#define Y2024 (1704038400LL * S)

static int64_t days[400];

static struct eng_period
period(int64_t start, int ndays)
{
    struct eng_period p;
    int d;

    for (d = 0; d <= ndays; d++)
        days[d] = start + d * DAY;
    p.ndays = ndays;
    p.day_start = days;
    return p;
}

static struct eng *
make(int ndays, size_t npoints, int64_t stale, size_t nind, const struct eng_ind_cfg *inds)
{
    struct eng_period p = period(Y2024, ndays);
    struct eng_point_cfg pc[8];
    struct eng *e = NULL;
    char err[128] = "";
    size_t i;

    for (i = 0; i < npoints; i++)
        pc[i].stale_ms = stale;
    assert_int_equal(eng_new(&p, npoints, pc, nind, inds, &e, err, sizeof(err)), ENG_OK);
    return e;
}

static const uint32_t P0[] = {0}, P012[] = {0, 1, 2};

static struct eng_ind_cfg
supply_cfg(void)
{
    struct eng_ind_cfg c;

    memset(&c, 0, sizeof(c));
    c.kind = ENG_SUPPLY_DAYS;
    c.npoints = 1;
    c.points = P0;
    c.cond.op = ENG_COND_IN_SET;
    c.cond.nset = 5;
    c.cond.set[0] = 3; /* normal, bypass, battery, booster, reducer */
    c.cond.set[1] = 4;
    c.cond.set[2] = 5;
    c.cond.set[3] = 6;
    c.cond.set[4] = 7;
    return c;
}

static struct eng_ind_cfg
band_cfg(const uint32_t *pts, size_t n, int each)
{
    struct eng_ind_cfg c;

    memset(&c, 0, sizeof(c));
    c.kind = ENG_BAND;
    c.npoints = n;
    c.points = pts;
    c.lo = 198.0; /* 220 V -10 % */
    c.hi = 235.4; /* 220 V +7 % */
    c.window_ms = 60 * S;
    c.each = each;
    return c;
}

/* UPS output source every minute; value 2 (none) over [from, to). */
static void
feed_supply(struct eng *e, int64_t start, int64_t end, int64_t from, int64_t to)
{
    int64_t t;

    for (t = start; t < end; t += MIN)
        assert_int_equal(eng_sample(e, 0, t, (t >= from && t < to) ? 2.0 : 3.0, 1), ENG_OK);
}

static void
test_supply_outage_across_midnight_loses_two_days(void **state)
{
    struct eng_ind_cfg c = supply_cfg();
    struct eng *e = make(3, 1, 180 * S, 1, &c);
    const struct eng_result *r;

    (void)state;
    /* 23:55 on day 0 to 00:05 on day 1, local time. */
    feed_supply(e, Y2024, Y2024 + 3 * DAY, Y2024 + DAY - 5 * MIN, Y2024 + DAY + 5 * MIN);
    eng_finish(e, Y2024 + 3 * DAY);
    r = eng_result(e, 0);
    assert_true(r->value == 1.0);
    assert_int_equal(r->nlost, 2);
    assert_int_equal(r->lost[0], 0);
    assert_int_equal(r->lost[1], 1);
    assert_int_equal(r->nunverified, 0);
    assert_int_equal(r->ninterruptions, 1);
    assert_int_equal(r->interrupted_ms, 10 * MIN);
    assert_int_equal(r->longest_ms, 10 * MIN);
    assert_int_equal(r->nlist, 1);
    assert_int_equal(r->list[0].start, Y2024 + DAY - 5 * MIN);
    assert_int_equal(r->list[0].end, Y2024 + DAY + 5 * MIN);
    assert_int_equal(r->unknown_ms, 0);
    eng_free(e);
}

static void assert_same_results(struct eng *a, struct eng *b, size_t nind);

/*
 * The evidence list grows with the interruptions, keeps the first ENG_MAX_LIST in order and
 * counts every one; an open interruption is listed after them while there is room; a
 * snapshot and restore keep the list, and the restored engine goes on growing it.
 */
static void
test_supply_interruption_list_grows_to_its_cap(void **state)
{
    struct eng_ind_cfg c = supply_cfg();
    struct eng_point_cfg pc = {180 * S};
    struct eng *e = make(3, 1, 180 * S, 1, &c), *b;
    const struct eng_result *r;
    uint64_t fp = eng_fingerprint(1, &pc, 1, &c);
    struct eng_day_acc rows[3];
    void *img;
    size_t len, k, n = ENG_MAX_LIST + 200;
    int64_t t = Y2024;
    int d;

    (void)state;
    /* Interruptions of one minute, every other minute; the last one left open. */
    for (k = 0; k < n; k++, t += 2 * MIN) {
        assert_int_equal(eng_sample(e, 0, t, 3.0, 1), ENG_OK);
        assert_int_equal(eng_sample(e, 0, t + MIN, 2.0, 1), ENG_OK);
        /* Few so far: listed, the open one after them, also where it needs the list to
         * grow (8 and 16 closed ones fill it). */
        if (k == 5 || k == 8 || k == 16) {
            eng_advance(e, t + MIN + 30 * S);
            r = eng_result(e, 0);
            assert_int_equal(r->ninterruptions, k + 1);
            assert_int_equal(r->nlist, k + 1);
            assert_int_equal(r->list[0].start, Y2024 + MIN);
            assert_int_equal(r->list[k].start, t + MIN);
            assert_int_equal(r->list[k].end, t + MIN + 30 * S);
        }
    }
    eng_advance(e, t);
    r = eng_result(e, 0);
    assert_int_equal(r->ninterruptions, n);
    assert_int_equal(r->nlist, ENG_MAX_LIST);
    for (k = 0; k < ENG_MAX_LIST; k++) {
        assert_int_equal(r->list[k].start, Y2024 + (int64_t)k * 2 * MIN + MIN);
        assert_int_equal(r->list[k].end, Y2024 + (int64_t)(k + 1) * 2 * MIN);
    }
    assert_int_equal(r->interrupted_ms, (int64_t)n * MIN);

    /* Snapshot mid-way through a list that is not full, restore, go on. */
    eng_free(e);
    e = make(3, 1, 180 * S, 1, &c);
    for (k = 0, t = Y2024; k < 300; k++, t += 2 * MIN) {
        assert_int_equal(eng_sample(e, 0, t, 3.0, 1), ENG_OK);
        assert_int_equal(eng_sample(e, 0, t + MIN, 2.0, 1), ENG_OK);
    }
    assert_int_equal(eng_sample(e, 0, t, 3.0, 1), ENG_OK);
    for (d = 0; d < 3; d++) {
        rows[d].ind = 0;
        rows[d].day = d;
        assert_int_equal(eng_day(e, 0, d, &rows[d].good, &rows[d].bad, &rows[d].unknown,
                                 &rows[d].na),
                         0);
    }
    assert_int_equal(eng_snapshot(e, fp, &img, &len), ENG_OK);
    b = make(3, 1, 180 * S, 1, &c);
    assert_int_equal(eng_restore(b, fp, img, len, rows, 3), ENG_OK);
    free(img);
    for (k = 0; k < 900; k++, t += 2 * MIN) {
        assert_int_equal(eng_sample(e, 0, t + MIN, 2.0, 1), ENG_OK);
        assert_int_equal(eng_sample(e, 0, t + 2 * MIN, 3.0, 1), ENG_OK);
        assert_int_equal(eng_sample(b, 0, t + MIN, 2.0, 1), ENG_OK);
        assert_int_equal(eng_sample(b, 0, t + 2 * MIN, 3.0, 1), ENG_OK);
    }
    eng_advance(e, t);
    eng_advance(b, t);
    assert_int_equal(eng_result(b, 0)->ninterruptions, 1200);
    assert_int_equal(eng_result(b, 0)->nlist, ENG_MAX_LIST);
    assert_same_results(e, b, 1);
    eng_free(b);
    eng_free(e);
}

static void
test_supply_leap_year_every_day(void **state)
{
    struct eng_ind_cfg c = supply_cfg();
    struct eng *e = make(366, 1, 180 * S, 1, &c);
    const struct eng_result *r;

    (void)state;
    feed_supply(e, Y2024, Y2024 + 366 * DAY, 0, 0);
    eng_finish(e, Y2024 + 366 * DAY);
    r = eng_result(e, 0);
    assert_int_equal(r->days, 366);
    assert_true(r->value == 366.0);
    assert_int_equal(r->nlost, 0);
    assert_int_equal(r->nunverified, 0);
    assert_true(r->coverage == 1.0);
    eng_free(e);
}

static void
test_supply_gap_is_unknown_and_day_unverified(void **state)
{
    struct eng_ind_cfg c = supply_cfg();
    struct eng *e = make(3, 1, 180 * S, 1, &c);
    const struct eng_result *r;
    int64_t t;

    (void)state;
    /* No samples from 12:00 to 12:09 on day 1: the 11:59 sample holds to 12:02, then the
     * time is unknown until the 12:10 sample. */
    for (t = Y2024; t < Y2024 + 3 * DAY; t += MIN) {
        if (t >= Y2024 + DAY + 12 * HOUR && t < Y2024 + DAY + 12 * HOUR + 10 * MIN)
            continue;
        assert_int_equal(eng_sample(e, 0, t, 3.0, 1), ENG_OK);
    }
    eng_finish(e, Y2024 + 3 * DAY);
    r = eng_result(e, 0);
    assert_true(r->value == 3.0);
    assert_int_equal(r->nlost, 0);
    assert_int_equal(r->nunverified, 1);
    assert_int_equal(r->unverified[0], 1);
    assert_int_equal(r->unknown_ms, 8 * MIN);
    assert_int_equal(r->ninterruptions, 0);
    eng_free(e);
}

/* The same interruption at two times of the UTC day: only local midnight cuts days. */
static void
test_period_cut_at_local_midnight(void **state)
{
    struct eng_ind_cfg c = supply_cfg();
    struct eng *e;
    const struct eng_result *r;

    (void)state;
    /* 15:50-16:10 UTC is 23:50-00:10 in Shanghai: two local days. */
    e = make(3, 1, 180 * S, 1, &c);
    feed_supply(e, Y2024, Y2024 + 3 * DAY, Y2024 + DAY - 10 * MIN, Y2024 + DAY + 10 * MIN);
    eng_finish(e, Y2024 + 3 * DAY);
    r = eng_result(e, 0);
    assert_int_equal(r->nlost, 2);
    eng_free(e);
    /* 23:50-00:10 UTC is 07:50-08:10 in Shanghai: one local day, though it spans a UTC
     * midnight. */
    e = make(3, 1, 180 * S, 1, &c);
    feed_supply(e, Y2024, Y2024 + 3 * DAY, Y2024 + DAY + 8 * HOUR - 10 * MIN,
                Y2024 + DAY + 8 * HOUR + 10 * MIN);
    eng_finish(e, Y2024 + 3 * DAY);
    r = eng_result(e, 0);
    assert_int_equal(r->nlost, 1);
    assert_int_equal(r->lost[0], 1);
    eng_free(e);
}

/* A meter sampled every 10 s; v over [from, to), 220 V elsewhere. */
static void
feed_volts(struct eng *e, uint32_t p, int64_t end, int64_t from, int64_t to, double v)
{
    int64_t t;

    for (t = Y2024; t < end; t += 10 * S)
        assert_int_equal(eng_sample(e, p, t, (t >= from && t < to) ? v : 220.0, 1), ENG_OK);
}

static void
test_band_dip_shorter_than_window(void **state)
{
    struct eng_ind_cfg c = band_cfg(P0, 1, 0);
    struct eng *e;
    const struct eng_result *r;

    (void)state;
    /* 10 s at 150 V inside one minute: mean (50 x 220 + 10 x 150) / 60 = 208.3 V, in band. */
    e = make(1, 1, 30 * S, 1, &c);
    feed_volts(e, 0, Y2024 + DAY, Y2024 + HOUR + 20 * S, Y2024 + HOUR + 30 * S, 150.0);
    eng_finish(e, Y2024 + DAY);
    r = eng_result(e, 0);
    assert_int_equal(r->band.in_ms, DAY);
    assert_int_equal(r->band.out_ms, 0);
    assert_true(r->value == 100.0);
    assert_true(fabs(r->band.lowest - (50 * 220.0 + 10 * 150.0) / 60.0) < 1e-9);
    eng_free(e);
    /* 20 s at 150 V: mean 196.7 V, that minute is out; 60 s, not 20 s, as meters count. */
    e = make(1, 1, 30 * S, 1, &c);
    feed_volts(e, 0, Y2024 + DAY, Y2024 + HOUR + 20 * S, Y2024 + HOUR + 40 * S, 150.0);
    eng_finish(e, Y2024 + DAY);
    r = eng_result(e, 0);
    assert_int_equal(r->band.out_ms, 60 * S);
    assert_int_equal(r->band.in_ms, DAY - 60 * S);
    assert_true(fabs(r->value - 1439.0 / 1440.0 * 100.0) < 1e-12);
    eng_free(e);
}

static void
test_band_invalid_sample_is_unknown_not_a_value(void **state)
{
    struct eng_ind_cfg c = band_cfg(P0, 1, 0);
    struct eng *e = make(1, 1, 30 * S, 1, &c);
    const struct eng_result *r;
    int64_t t;

    (void)state;
    /* 6553.5 V (0xFFFF) is outside the plausible range: the caller passes it as invalid.
     * The minute keeps 50 s of known 220 V and stays in; nothing reads 6553.5. */
    for (t = Y2024; t < Y2024 + DAY; t += 10 * S) {
        int bad = t == Y2024 + 2 * HOUR;
        assert_int_equal(eng_sample(e, 0, t, bad ? 6553.5 : 220.0, !bad), ENG_OK);
    }
    eng_finish(e, Y2024 + DAY);
    r = eng_result(e, 0);
    assert_int_equal(r->band.in_ms, DAY);
    assert_true(r->band.highest == 220.0);
    eng_free(e);
}

static void
test_window_half_known_is_unknown(void **state)
{
    struct eng_ind_cfg c = band_cfg(P0, 1, 0);
    struct eng *e;
    const struct eng_result *r;

    (void)state;
    /* L = 10 s. Samples at 0, 10, 19 s: known [0, 29 s) = 29 s of 60: unknown window. */
    e = make(1, 1, 10 * S, 1, &c);
    assert_int_equal(eng_sample(e, 0, Y2024, 220.0, 1), ENG_OK);
    assert_int_equal(eng_sample(e, 0, Y2024 + 10 * S, 220.0, 1), ENG_OK);
    assert_int_equal(eng_sample(e, 0, Y2024 + 19 * S, 220.0, 1), ENG_OK);
    eng_finish(e, Y2024 + DAY);
    r = eng_result(e, 0);
    assert_int_equal(r->band.in_ms, 0);
    assert_int_equal(r->band.unknown_ms, DAY);
    assert_true(isnan(r->value));
    eng_free(e);
    /* Samples at 0, 10, 20 s: known 30 s: the window counts, whole. */
    e = make(1, 1, 10 * S, 1, &c);
    assert_int_equal(eng_sample(e, 0, Y2024, 220.0, 1), ENG_OK);
    assert_int_equal(eng_sample(e, 0, Y2024 + 10 * S, 220.0, 1), ENG_OK);
    assert_int_equal(eng_sample(e, 0, Y2024 + 20 * S, 220.0, 1), ENG_OK);
    eng_finish(e, Y2024 + DAY);
    r = eng_result(e, 0);
    assert_int_equal(r->band.in_ms, 60 * S);
    assert_int_equal(r->band.unknown_ms, DAY - 60 * S);
    assert_true(r->value == 100.0);
    eng_free(e);
}

static void
test_band_any_vs_each(void **state)
{
    struct eng_ind_cfg c[2];
    struct eng *e;
    const struct eng_result *any, *each;

    (void)state;
    c[0] = band_cfg(P012, 3, 0);
    c[1] = band_cfg(P012, 3, 1);
    e = make(1, 3, 30 * S, 2, c);
    /* L2 at 240 V for two minutes at 01:00, L3 at 190 V for three minutes at 02:00; points
     * interleaved as a meter's three phases arrive. */
    {
        int64_t t;
        for (t = Y2024; t < Y2024 + DAY; t += 10 * S) {
            int l2 = t >= Y2024 + HOUR && t < Y2024 + HOUR + 2 * MIN;
            int l3 = t >= Y2024 + 2 * HOUR && t < Y2024 + 2 * HOUR + 3 * MIN;
            assert_int_equal(eng_sample(e, 0, t, 220.0, 1), ENG_OK);
            assert_int_equal(eng_sample(e, 1, t, l2 ? 240.0 : 221.0, 1), ENG_OK);
            assert_int_equal(eng_sample(e, 2, t, l3 ? 190.0 : 219.0, 1), ENG_OK);
        }
    }
    eng_finish(e, Y2024 + DAY);
    any = eng_result(e, 0);
    assert_int_equal(any->band.out_ms, 5 * MIN);
    assert_int_equal(any->band.in_ms, DAY - 5 * MIN);
    assert_true(fabs(any->value - 1435.0 / 1440.0 * 100.0) < 1e-12);
    assert_int_equal(any->nper_point, 3);
    assert_int_equal(any->per_point[1].out_ms, 2 * MIN);
    assert_int_equal(any->per_point[2].out_ms, 3 * MIN);
    each = eng_result(e, 1);
    assert_true(fabs(each->value - 1437.0 / 1440.0 * 100.0) < 1e-12);
    assert_int_equal(each->band.out_ms, 5 * MIN);
    assert_int_equal(each->band.in_ms, 3 * DAY - 5 * MIN);
    eng_free(e);
}

static void
test_band_assessment_band_excludes_outage(void **state)
{
    struct eng_ind_cfg c = band_cfg(P0, 1, 0);
    struct eng *e;
    const struct eng_result *r;

    (void)state;
    c.has_assess = 1;
    c.assess_lo = 154.0; /* 220 V -30 % */
    c.assess_hi = 286.0;
    e = make(1, 1, 30 * S, 1, &c);
    /* Ten minutes at 0 V (no supply): not assessed, the rate stays 100 %. */
    feed_volts(e, 0, Y2024 + DAY, Y2024 + HOUR, Y2024 + HOUR + 10 * MIN, 0.0);
    eng_finish(e, Y2024 + DAY);
    r = eng_result(e, 0);
    assert_int_equal(r->band.not_assessed_ms, 10 * MIN);
    assert_int_equal(r->band.out_ms, 0);
    assert_true(r->value == 100.0);
    eng_free(e);
}

static void
test_energy_wrap_and_meter_replacement(void **state)
{
    struct eng_ind_cfg c;
    struct eng *e;
    const struct eng_result *r;
    const double readings[] = {100, 150, 160, 20, 30, 65530, 5, 7};
    size_t i;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.kind = ENG_ENERGY;
    c.npoints = 1;
    c.points = P0;
    e = make(2, 1, 180 * S, 1, &c);
    /* A reading before the period is no base: nothing is extrapolated to the edge. */
    assert_int_equal(eng_sample(e, 0, Y2024 - HOUR, 50.0, 1), ENG_OK);
    for (i = 0; i < sizeof(readings) / sizeof(readings[0]); i++)
        assert_int_equal(eng_sample(e, 0, Y2024 + (int64_t)i * HOUR, readings[i], 1), ENG_OK);
    /* An invalid reading is skipped, not taken as a reset. */
    assert_int_equal(eng_sample(e, 0, Y2024 + 10 * HOUR, 0.0, 0), ENG_OK);
    assert_int_equal(eng_sample(e, 0, Y2024 + 11 * HOUR, 9.0, 1), ENG_OK);
    eng_finish(e, Y2024 + 2 * DAY);
    r = eng_result(e, 0);
    /* 100->160: 60; replaced, 20 counts in full: 20; 20->30: 10; 30->65530: 65500;
     * wrapped, 5 in full: 5; 5->7: 2; 7->9: 2. */
    assert_true(r->kwh == 60 + 20 + 10 + 65500 + 5 + 2 + 2);
    assert_int_equal(r->resets, 2);
    eng_free(e);
}

static void
test_availability_bad_answer_is_down_silence_unknown(void **state)
{
    struct eng_ind_cfg c[3];
    struct eng *e;
    const struct eng_result *r;
    int64_t t;
    int k;

    (void)state;
    for (k = 0; k < 3; k++) {
        memset(&c[k], 0, sizeof(c[k]));
        c[k].npoints = 1;
        c[k].points = P0;
    }
    c[0].kind = ENG_AVAILABILITY;
    c[1].kind = ENG_DOWNTIME;
    c[2].kind = ENG_FAULT_RATE;
    e = make(1, 1, 180 * S, 3, c);
    /* Polled every minute; no answer 01:00-01:30 (asked: down); not asked 02:00-03:00. */
    for (t = Y2024; t < Y2024 + DAY; t += MIN) {
        int down = t >= Y2024 + HOUR && t < Y2024 + HOUR + 30 * MIN;
        if (t >= Y2024 + 2 * HOUR && t < Y2024 + 3 * HOUR)
            continue;
        assert_int_equal(eng_sample(e, 0, t, 23.5, !down), ENG_OK);
    }
    eng_finish(e, Y2024 + DAY);
    r = eng_result(e, 0);
    assert_int_equal(r->down_ms, 30 * MIN);
    /* The 01:59 sample holds to 02:02; unknown until 03:00. */
    assert_int_equal(r->unknown_ms, 58 * MIN);
    assert_int_equal(r->up_ms, DAY - 30 * MIN - 58 * MIN);
    assert_true(fabs(r->value - (double)r->up_ms * 100.0 / (double)(DAY - 58 * MIN)) < 1e-12);
    r = eng_result(e, 1);
    assert_true(r->value == 0.5);
    r = eng_result(e, 2);
    assert_true(fabs(r->value - 30.0 * 100.0 / (1440.0 - 58.0)) < 1e-12);
    eng_free(e);
}

static void
test_availability_status_condition(void **state)
{
    struct eng_ind_cfg c;
    struct eng *e;
    const struct eng_result *r;
    int64_t t;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.kind = ENG_AVAILABILITY;
    c.npoints = 1;
    c.points = P0;
    c.cond.op = ENG_COND_IN_SET; /* ifOperStatus = up(1) */
    c.cond.nset = 1;
    c.cond.set[0] = 1;
    e = make(1, 1, 180 * S, 1, &c);
    for (t = Y2024; t < Y2024 + DAY; t += MIN)
        assert_int_equal(eng_sample(e, 0, t, t < Y2024 + 6 * HOUR ? 2.0 : 1.0, 1), ENG_OK);
    eng_finish(e, Y2024 + DAY);
    r = eng_result(e, 0);
    assert_int_equal(r->down_ms, 6 * HOUR);
    assert_true(r->value == 75.0);
    eng_free(e);
}

static void
test_duty_days_share(void **state)
{
    struct eng_ind_cfg c;
    struct eng *e;
    const struct eng_result *r;
    int64_t t;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.kind = ENG_DUTY_DAYS;
    c.npoints = 2;
    c.points = P012;
    c.duty_share = 0.99; /* 85536 s of 86400 */
    e = make(3, 2, 60 * S, 1, &c);
    /* Point 0 sampled every 20 s, point 1 every 30 s (L = 60 s). Day 1: both silent for 15 min
     * + 60 s of hold: 14 min unknown after the hold: 840 s < 864 s, on duty. Day 2: silent for
     * 16 min: 900 s unknown, off duty. A poll without an answer still counts as monitored. */
    for (t = Y2024; t < Y2024 + 3 * DAY; t += 10 * S) {
        int gap1 = t > Y2024 + DAY + 6 * HOUR && t < Y2024 + DAY + 6 * HOUR + 15 * MIN;
        int gap2 = t > Y2024 + 2 * DAY + 6 * HOUR && t < Y2024 + 2 * DAY + 6 * HOUR + 16 * MIN;
        if (gap1 || gap2)
            continue;
        if (t % (20 * S) == 0)
            assert_int_equal(eng_sample(e, 0, t, 1.0, t % HOUR != 0), ENG_OK);
        if (t % (30 * S) == 0)
            assert_int_equal(eng_sample(e, 1, t, 1.0, 1), ENG_OK);
    }
    eng_finish(e, Y2024 + 3 * DAY);
    r = eng_result(e, 0);
    assert_true(r->value == 2.0);
    assert_int_equal(r->nlost, 1);
    assert_int_equal(r->lost[0], 2);
    assert_int_equal(r->unknown_ms, 14 * MIN + 15 * MIN);
    eng_free(e);
}

static void
test_sample_out_of_order_is_refused(void **state)
{
    struct eng_ind_cfg c = supply_cfg();
    struct eng *e = make(1, 1, 180 * S, 1, &c);

    (void)state;
    assert_int_equal(eng_sample(e, 0, Y2024 + HOUR, 3.0, 1), ENG_OK);
    assert_int_equal(eng_sample(e, 0, Y2024 + HOUR - 1, 3.0, 1), ENG_ERR_ORDER);
    eng_advance(e, Y2024 + 2 * HOUR);
    assert_int_equal(eng_sample(e, 0, Y2024 + 2 * HOUR - 1, 3.0, 1), ENG_ERR_ORDER);
    assert_int_equal(eng_sample(e, 0, Y2024 + 2 * HOUR, 3.0, 1), ENG_OK);
    eng_free(e);
}

static void
test_new_rejects_bad_configs(void **state)
{
    struct eng_period p = period(Y2024, 1);
    struct eng_point_cfg pc = {60 * S};
    struct eng_ind_cfg c = band_cfg(P0, 1, 0);
    struct eng *e = NULL;
    char err[128];

    (void)state;
    c.window_ms = 7 * S; /* does not divide the day */
    assert_int_equal(eng_new(&p, 1, &pc, 1, &c, &e, err, sizeof(err)), ENG_ERR_INVALID);
    assert_null(e);
    assert_non_null(strstr(err, "indicator 0"));
    c = supply_cfg();
    c.npoints = 3;
    c.points = P012;
    assert_int_equal(eng_new(&p, 3, (struct eng_point_cfg[3]){{1}, {1}, {1}}, 1, &c, &e, err,
                             sizeof(err)),
                     ENG_ERR_INVALID);
}

/* --- snapshots --- */

static const uint32_t P3[] = {3}, P4[] = {4}, P01[] = {0, 1};

static void
snap_cfgs(struct eng_ind_cfg *c)
{
    c[0] = band_cfg(P012, 3, 0);
    c[1] = band_cfg(P012, 3, 1);
    c[1].window_ms = 0;
    c[2] = supply_cfg();
    c[2].points = P3;
    memset(&c[3], 0, sizeof(c[3]));
    c[3].kind = ENG_AVAILABILITY;
    c[3].npoints = 2;
    c[3].points = P01;
    memset(&c[4], 0, sizeof(c[4]));
    c[4].kind = ENG_DUTY_DAYS;
    c[4].npoints = 3;
    c[4].points = P012;
    c[4].duty_share = 0.99;
    memset(&c[5], 0, sizeof(c[5]));
    c[5].kind = ENG_ENERGY;
    c[5].npoints = 1;
    c[5].points = P4;
}

/* A deterministic 3-day trace of 5 points with jitter, gaps, bad answers, outages and a
 * counter reset; samples of point p at minute m come in order of (minute, p), advancing
 * the engine 90 s behind like replay does. Feeds rows [from, to) of it. */
static void
snap_feed(struct eng *e, int from, int to)
{
    uint32_t x = 12345;
    int row = 0, m, p;

    for (m = 0; m < 3 * 1440; m++) {
        for (p = 0; p < 5; p++, row++) {
            int64_t t = Y2024 + m * MIN + (int64_t)(p * 7 % 13) * S + (m % 7) * 131;
            double v;
            int valid;

            x = x * 1103515245u + 12345u;
            if (row < from || row >= to)
                continue;
            if ((x >> 16) % 97 == 0)
                continue; /* a missed poll: the hold runs on, maybe into unknown */
            valid = (x >> 8) % 53 != 0;
            if (p < 3)
                v = 215.0 + (double)((x >> 4) % 400) / 10.0; /* 215 .. 254.9 V */
            else if (p == 3)
                v = (m / 60) % 17 == 3 ? 2.0 : 3.0;
            else
                v = m < 2000 ? 1000.0 + m * 0.25 : (m - 2000) * 0.25;
            if (m >= 2500 && m < 2700 && p < 3)
                continue; /* the agent was away */
            assert_int_equal(eng_sample(e, (uint32_t)p, t, v, valid), ENG_OK);
            if (p == 4)
                eng_advance(e, t - 90 * S);
        }
    }
}

static void
assert_same_results(struct eng *a, struct eng *b, size_t nind)
{
    size_t i;

    for (i = 0; i < nind; i++) {
        struct eng_result ra = *eng_result(a, i);
        const struct eng_result *rb = eng_result(b, i);
        struct eng_result ca = ra, cb = *rb;
        int d;

        /* The arrays first, then everything else with the pointers blanked. */
        assert_int_equal(ra.nper_point, rb->nper_point);
        assert_memory_equal(ra.per_point ? (const void *)ra.per_point : "",
                            rb->per_point ? (const void *)rb->per_point : "",
                            ra.per_point ? ra.nper_point * sizeof(*ra.per_point) : 1);
        assert_int_equal(ra.nlost, rb->nlost);
        if (ra.nlost)
            assert_memory_equal(ra.lost, rb->lost, ra.nlost * sizeof(int));
        assert_int_equal(ra.nunverified, rb->nunverified);
        if (ra.nunverified)
            assert_memory_equal(ra.unverified, rb->unverified, ra.nunverified * sizeof(int));
        assert_int_equal(ra.nlist, rb->nlist);
        if (ra.nlist)
            assert_memory_equal(ra.list, rb->list, ra.nlist * sizeof(*ra.list));
        ca.per_point = cb.per_point = NULL;
        ca.lost = cb.lost = ca.unverified = cb.unverified = NULL;
        ca.list = cb.list = NULL;
        assert_memory_equal(&ca, &cb, sizeof(ca));
        for (d = 0; d < 3; d++) {
            int64_t g1, b1, u1, n1, g2, b2, u2, n2;
            assert_int_equal(eng_day(a, i, d, &g1, &b1, &u1, &n1), 0);
            assert_int_equal(eng_day(b, i, d, &g2, &b2, &u2, &n2), 0);
            assert_true(g1 == g2 && b1 == b2 && u1 == u2 && n1 == n2);
        }
    }
}

/*
 * What a store keeps of the per-day accumulators: rows[i][d] for indicator i, day d, written
 * as a checkpoint does, for the days eng_days_changed() names and no others; then marked.
 */
struct day_store {
    struct eng_day_acc rows[6][3];
    int have[6][3];
    int written; /* rows written over all checkpoints */
};

static void
store_days(struct day_store *ds, struct eng *e, size_t nind)
{
    int first, last, d;
    size_t i;

    if (eng_days_changed(e, &first, &last) < 0)
        return;
    assert_true(first >= 0 && last < 3 && first <= last);
    for (i = 0; i < nind; i++) {
        for (d = first; d <= last; d++) {
            struct eng_day_acc *a = &ds->rows[i][d];
            a->ind = i;
            a->day = d;
            assert_int_equal(eng_day(e, i, d, &a->good, &a->bad, &a->unknown, &a->na), 0);
            ds->have[i][d] = 1;
            ds->written++;
        }
    }
    eng_days_mark(e);
}

/* The stored rows as one array; returns how many. */
static size_t
stored_rows(const struct day_store *ds, struct eng_day_acc *out)
{
    size_t i, n = 0;
    int d;

    for (i = 0; i < 6; i++)
        for (d = 0; d < 3; d++)
            if (ds->have[i][d])
                out[n++] = ds->rows[i][d];
    return n;
}

static void
test_snapshot_restore_continues_bit_for_bit(void **state)
{
    struct eng_ind_cfg c[6];
    struct eng_point_cfg pc[5];
    struct eng *whole, *first, *second;
    struct eng_day_acc rows[18];
    void *img;
    size_t len, i, nrows;
    uint64_t fp;
    int64_t n1, a1, n2, a2;
    int cut, step, f, l;

    (void)state;
    snap_cfgs(c);
    for (i = 0; i < 5; i++)
        pc[i].stale_ms = 180 * S;
    fp = eng_fingerprint(5, pc, 6, c);
    whole = make(3, 5, 180 * S, 6, c);
    snap_feed(whole, 0, 1 << 30);
    eng_finish(whole, Y2024 + 3 * DAY);

    for (cut = 1; cut < 3 * 1440 * 5; cut += 2371) {
        struct day_store ds;

        /* Checkpoints every 300 rows (an hour of the trace) before the cut, each storing
         * only the days that changed since the one before. */
        memset(&ds, 0, sizeof(ds));
        first = make(3, 5, 180 * S, 6, c);
        for (step = 0; step < cut; step += 300) {
            snap_feed(first, step, step + 300 < cut ? step + 300 : cut);
            store_days(&ds, first, 6);
        }
        assert_int_equal(eng_snapshot(first, fp, &img, &len), ENG_OK);
        assert_true(len < 4096); /* no per-day accumulators in the image */
        /* A day-by-day store writes far fewer rows than all days at every checkpoint. */
        assert_true(ds.written <= 6 * ((cut + 299) / 300 + 2));
        nrows = stored_rows(&ds, rows);
        second = make(3, 5, 180 * S, 6, c);
        assert_int_equal(eng_restore(second, fp, img, len, rows, nrows), ENG_OK);
        assert_int_equal(eng_days_changed(second, &f, &l), -1);
        eng_position(first, &n1, &a1);
        eng_position(second, &n2, &a2);
        assert_true(n1 == n2 && a1 == a2);
        eng_free(first);
        snap_feed(second, cut, 1 << 30);
        eng_finish(second, Y2024 + 3 * DAY);
        assert_same_results(whole, second, 6);
        free(img);
        eng_free(second);
    }
    eng_free(whole);
}

/* The day tracking: no change, then exactly the days time was accumulated into. */
static void
test_days_changed_tracks_accumulated_days(void **state)
{
    struct eng_ind_cfg c;
    struct eng *e;
    int f = -7, l = -7;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.kind = ENG_AVAILABILITY;
    c.npoints = 1;
    c.points = P0;
    e = make(3, 1, 180 * S, 1, &c);
    assert_int_equal(eng_days_changed(e, &f, &l), -1);
    /* The first sample, on day 1, makes the time before it unknown: days 0 and 1. */
    assert_int_equal(eng_sample(e, 0, Y2024 + DAY + HOUR, 1.0, 1), ENG_OK);
    assert_int_equal(eng_days_changed(e, &f, &l), 0);
    assert_int_equal(f, 0);
    assert_int_equal(l, 1);
    eng_days_mark(e);
    assert_int_equal(eng_days_changed(e, &f, &l), -1);
    /* Its hold is emitted as time moves on: day 1 only. */
    eng_advance(e, Y2024 + DAY + 2 * HOUR);
    assert_int_equal(eng_days_changed(e, &f, &l), 0);
    assert_int_equal(f, 1);
    assert_int_equal(l, 1);
    eng_days_mark(e);
    /* Advancing to where it already is moves no time: no day changed. */
    eng_advance(e, Y2024 + DAY + 2 * HOUR);
    assert_int_equal(eng_days_changed(e, &f, &l), -1);
    /* Across midnight into day 2. */
    assert_int_equal(eng_sample(e, 0, Y2024 + 2 * DAY - MIN, 1.0, 1), ENG_OK);
    eng_advance(e, Y2024 + 2 * DAY + MIN);
    assert_int_equal(eng_days_changed(e, &f, &l), 0);
    assert_int_equal(f, 1);
    assert_int_equal(l, 2);
    eng_free(e);
}

static void
test_restore_refuses_other_config_or_damage(void **state)
{
    struct eng_ind_cfg c[6];
    struct eng_point_cfg pc[5];
    struct eng *a, *b;
    struct day_store ds;
    struct eng_day_acc rows[18], later_rows[18];
    void *img;
    size_t len, i, nrows, later;
    uint64_t fp, fp2;

    (void)state;
    snap_cfgs(c);
    for (i = 0; i < 5; i++)
        pc[i].stale_ms = 180 * S;
    fp = eng_fingerprint(5, pc, 6, c);
    a = make(3, 5, 180 * S, 6, c);
    snap_feed(a, 0, 5000);
    memset(&ds, 0, sizeof(ds));
    store_days(&ds, a, 6);
    nrows = stored_rows(&ds, rows);
    assert_int_equal(eng_snapshot(a, fp, &img, &len), ENG_OK);
    b = make(3, 5, 180 * S, 6, c);
    /* Another config: a changed band limit changes the fingerprint. */
    c[0].hi = 236.0;
    fp2 = eng_fingerprint(5, pc, 6, c);
    assert_true(fp2 != fp);
    assert_int_equal(eng_restore(b, fp2, img, len, rows, nrows), ENG_ERR_INVALID);
    /* Truncated images. */
    assert_int_equal(eng_restore(b, fp, img, len - 1, rows, nrows), ENG_ERR_INVALID);
    assert_int_equal(eng_restore(b, fp, img, 16, rows, nrows), ENG_ERR_INVALID);
    /* Rows that are not the image's: one missing, one changed, of a later state, out of
     * range. Nothing changes: b still restores from the right rows afterwards. */
    assert_true(nrows >= 2);
    assert_int_equal(eng_restore(b, fp, img, len, rows + 1, nrows - 1), ENG_ERR_INVALID);
    rows[0].good += 1000;
    assert_int_equal(eng_restore(b, fp, img, len, rows, nrows), ENG_ERR_INVALID);
    rows[0].good -= 1000;
    snap_feed(a, 5000, 9000);
    store_days(&ds, a, 6);
    later = stored_rows(&ds, later_rows);
    assert_int_equal(eng_restore(b, fp, img, len, later_rows, later), ENG_ERR_INVALID);
    rows[0].day = 3;
    assert_int_equal(eng_restore(b, fp, img, len, rows, nrows), ENG_ERR_INVALID);
    rows[0].day = 0;
    rows[0].ind = 6;
    assert_int_equal(eng_restore(b, fp, img, len, rows, nrows), ENG_ERR_INVALID);
    rows[0].ind = 0;
    assert_int_equal(eng_result(b, 3)->up_ms, 0);
    assert_int_equal(eng_restore(b, fp, img, len, rows, nrows), ENG_OK);
    assert_true(eng_result(b, 3)->up_ms > 0);
    eng_free(b);
    /* Another period. */
    b = make(2, 5, 180 * S, 6, c);
    assert_int_equal(eng_restore(b, fp, img, len, rows, nrows), ENG_ERR_INVALID);
    eng_free(b);
    free(img);
    eng_free(a);
}

/* A restart: the hold of the last sample before the cut ends at the cut; the time to the
 * next sample is unknown, not held. */
static void
test_cut_makes_the_gap_unknown(void **state)
{
    struct eng_ind_cfg c;
    struct eng *e;
    const struct eng_result *r;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.kind = ENG_AVAILABILITY;
    c.npoints = 1;
    c.points = P0;
    e = make(1, 1, 180 * S, 1, &c);
    assert_int_equal(eng_sample(e, 0, Y2024, 1.0, 1), ENG_OK);
    eng_cut(e, Y2024 + 30 * S);
    assert_int_equal(eng_sample(e, 0, Y2024 + 300 * S, 1.0, 1), ENG_OK);
    eng_advance(e, Y2024 + 360 * S);
    r = eng_result(e, 0);
    assert_int_equal(r->up_ms, 90 * S);
    assert_int_equal(r->unknown_ms, 270 * S);
    assert_int_equal(r->down_ms, 0);
    eng_free(e);
}

/* --- delivery: the agent's own reports, counted per day --- */

static const uint32_t P1[] = {1};

static struct eng_ind_cfg
delivery_cfg(const uint32_t *pts, size_t n, int64_t deadline_ms)
{
    struct eng_ind_cfg c;

    memset(&c, 0, sizeof(c));
    c.kind = ENG_DELIVERY;
    c.npoints = n;
    c.points = pts;
    c.deadline_ms = deadline_ms;
    return c;
}

/* 0.25 s, exactly the deadline, 1 ms over it, and no acknowledgement at all. */
static void
test_delivery_on_time_late_and_no_ack(void **state)
{
    struct eng_ind_cfg c = delivery_cfg(P0, 1, 60 * S);
    struct eng *e = make(1, 1, 1 * S, 1, &c);
    const struct eng_result *r;

    (void)state;
    r = eng_result(e, 0);
    assert_true(isnan(r->value)); /* no report yet */
    assert_int_equal(r->due, 0);
    assert_int_equal(eng_sample(e, 0, Y2024 + 10 * S, 0.25, 1), ENG_OK);
    assert_int_equal(eng_sample(e, 0, Y2024 + 70 * S, 60.0, 1), ENG_OK);
    assert_int_equal(eng_sample(e, 0, Y2024 + 130 * S, 60.001, 1), ENG_OK);
    assert_int_equal(eng_sample(e, 0, Y2024 + 190 * S, 0.0, 0), ENG_OK);
    eng_advance(e, Y2024 + 200 * S);
    r = eng_result(e, 0);
    assert_int_equal(r->due, 4);
    assert_int_equal(r->on_time, 2);
    assert_int_equal(r->late, 2);
    assert_int_equal(r->acked, 3);
    assert_true(r->value == 50.0);
    assert_true(r->latency_min == 0.25);
    assert_true(r->latency_max == 60.001);
    assert_true(fabs(r->latency_mean - (0.25 + 60.0 + 60.001) / 3) < 1e-12);
    assert_true(isnan(r->coverage));
    assert_int_equal(r->elapsed_ms, 200 * S);
    eng_free(e);
}

/* A report counts in the local day its outcome became known; outside the period it does
 * not count at all. */
static void
test_delivery_counts_per_day(void **state)
{
    struct eng_ind_cfg c = delivery_cfg(P0, 1, 5 * S);
    struct eng *e = make(2, 1, 1 * S, 1, &c);
    const struct eng_result *r;
    int64_t good, bad, unk, na;

    (void)state;
    assert_int_equal(eng_sample(e, 0, Y2024 - 1, 0.1, 1), ENG_OK);         /* 2023 */
    assert_int_equal(eng_sample(e, 0, Y2024, 0.1, 1), ENG_OK);             /* day 0 */
    assert_int_equal(eng_sample(e, 0, Y2024 + DAY - 1, 6.0, 1), ENG_OK);   /* day 0, late */
    assert_int_equal(eng_sample(e, 0, Y2024 + DAY, 0.0, 0), ENG_OK);       /* day 1, late */
    assert_int_equal(eng_sample(e, 0, Y2024 + DAY + 1, 4.5, 1), ENG_OK);   /* day 1 */
    assert_int_equal(eng_sample(e, 0, Y2024 + DAY + 2, 5.0, 1), ENG_OK);   /* day 1 */
    assert_int_equal(eng_sample(e, 0, Y2024 + 2 * DAY, 0.1, 1), ENG_OK);   /* next period */
    eng_finish(e, Y2024 + 2 * DAY);
    assert_int_equal(eng_day(e, 0, 0, &good, &bad, &unk, &na), 0);
    assert_true(good == 1 && bad == 1 && unk == 0 && na == 0);
    assert_int_equal(eng_day(e, 0, 1, &good, &bad, &unk, &na), 0);
    assert_true(good == 2 && bad == 1 && unk == 0 && na == 0);
    r = eng_result(e, 0);
    assert_int_equal(r->due, 5);
    assert_int_equal(r->on_time, 3);
    assert_true(r->value == 60.0);
    assert_int_equal(r->elapsed_ms, 2 * DAY);
    eng_free(e);
}

/* Each point is one device's reports: an indicator over some devices counts only theirs. */
static void
test_delivery_restricted_to_some_points(void **state)
{
    struct eng_ind_cfg c[2];
    struct eng *e;
    const struct eng_result *r;

    (void)state;
    c[0] = delivery_cfg(P01, 2, 60 * S);
    c[1] = delivery_cfg(P1, 1, 1 * S);
    e = make(1, 2, 1 * S, 2, c);
    assert_int_equal(eng_sample(e, 0, Y2024 + 1 * S, 0.5, 1), ENG_OK);
    assert_int_equal(eng_sample(e, 1, Y2024 + 1 * S, 2.0, 1), ENG_OK);
    assert_int_equal(eng_sample(e, 1, Y2024 + 2 * S, 0.5, 1), ENG_OK);
    assert_int_equal(eng_sample(e, 0, Y2024 + 3 * S, 0.0, 0), ENG_OK);
    r = eng_result(e, 0);
    assert_int_equal(r->due, 4);
    assert_int_equal(r->on_time, 3);
    assert_true(r->value == 75.0);
    r = eng_result(e, 1); /* point 1 only, a 1 s deadline: 2.0 s is late */
    assert_int_equal(r->due, 2);
    assert_int_equal(r->on_time, 1);
    assert_true(r->value == 50.0);
    eng_free(e);
}

/* A snapshot carries the counts and the latencies; the fingerprint covers the deadline. */
static void
test_delivery_snapshot_restore(void **state)
{
    struct eng_ind_cfg c = delivery_cfg(P0, 1, 60 * S), c2;
    struct eng_point_cfg pc = {1 * S};
    struct eng *a, *b;
    const struct eng_result *r;
    struct eng_day_acc rows[2];
    void *img;
    size_t len, nrows = 0;
    int d, f, l;
    uint64_t fp = eng_fingerprint(1, &pc, 1, &c);

    (void)state;
    a = make(2, 1, 1 * S, 1, &c);
    assert_int_equal(eng_sample(a, 0, Y2024 + 10 * S, 0.5, 1), ENG_OK);
    assert_int_equal(eng_sample(a, 0, Y2024 + 20 * S, 0.0, 0), ENG_OK);
    assert_int_equal(eng_sample(a, 0, Y2024 + 30 * S, 1.5, 1), ENG_OK);
    eng_advance(a, Y2024 + 40 * S);
    /* Counting a report changes its day: the next checkpoint must store that day's row. */
    assert_int_equal(eng_days_changed(a, &f, &l), 0);
    assert_true(f == 0 && l == 0);
    assert_int_equal(eng_snapshot(a, fp, &img, &len), ENG_OK);
    /* The per-day counts travel beside the image, as the store keeps them. */
    for (d = 0; d < 2; d++) {
        struct eng_day_acc *row = &rows[nrows];

        row->ind = 0;
        row->day = d;
        assert_int_equal(eng_day(a, 0, d, &row->good, &row->bad, &row->unknown, &row->na), 0);
        if (row->good + row->bad + row->unknown + row->na != 0)
            nrows++;
    }
    assert_int_equal(nrows, 1);
    eng_free(a);
    c2 = c;
    c2.deadline_ms = 30 * S;
    assert_true(eng_fingerprint(1, &pc, 1, &c2) != fp);
    b = make(2, 1, 1 * S, 1, &c);
    assert_int_equal(eng_restore(b, fp, img, len, rows, nrows - 1), ENG_ERR_INVALID);
    assert_int_equal(eng_restore(b, fp, img, len, rows, nrows), ENG_OK);
    free(img);
    /* The restored engine refuses what the first one would have refused... */
    assert_int_equal(eng_sample(b, 0, Y2024 + 30 * S - 1, 0.1, 1), ENG_ERR_ORDER);
    /* ...and goes on from where it was: a kill (cut) does not touch the counts. */
    eng_cut(b, Y2024 + 50 * S);
    assert_int_equal(eng_sample(b, 0, Y2024 + DAY + 5 * S, 0.5, 1), ENG_OK);
    r = eng_result(b, 0);
    assert_int_equal(r->due, 4);
    assert_int_equal(r->on_time, 3);
    assert_int_equal(r->acked, 3);
    assert_true(r->value == 75.0);
    assert_true(r->latency_min == 0.5 && r->latency_max == 1.5);
    assert_true(r->latency_mean == 2.5 / 3);
    eng_free(b);
}

static void
test_delivery_needs_a_deadline(void **state)
{
    struct eng_ind_cfg c = delivery_cfg(P0, 1, 0);
    struct eng_period p = period(Y2024, 1);
    struct eng_point_cfg pc = {1 * S};
    struct eng *e = NULL;
    char err[128] = "";

    (void)state;
    assert_int_equal(eng_new(&p, 1, &pc, 1, &c, &e, err, sizeof(err)), ENG_ERR_INVALID);
    assert_string_equal(err, "indicator 0: delivery deadline must be positive");
    assert_null(e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_supply_outage_across_midnight_loses_two_days),
        cmocka_unit_test(test_supply_interruption_list_grows_to_its_cap),
        cmocka_unit_test(test_supply_leap_year_every_day),
        cmocka_unit_test(test_supply_gap_is_unknown_and_day_unverified),
        cmocka_unit_test(test_period_cut_at_local_midnight),
        cmocka_unit_test(test_band_dip_shorter_than_window),
        cmocka_unit_test(test_band_invalid_sample_is_unknown_not_a_value),
        cmocka_unit_test(test_window_half_known_is_unknown),
        cmocka_unit_test(test_band_any_vs_each),
        cmocka_unit_test(test_band_assessment_band_excludes_outage),
        cmocka_unit_test(test_energy_wrap_and_meter_replacement),
        cmocka_unit_test(test_availability_bad_answer_is_down_silence_unknown),
        cmocka_unit_test(test_availability_status_condition),
        cmocka_unit_test(test_duty_days_share),
        cmocka_unit_test(test_sample_out_of_order_is_refused),
        cmocka_unit_test(test_new_rejects_bad_configs),
        cmocka_unit_test(test_snapshot_restore_continues_bit_for_bit),
        cmocka_unit_test(test_restore_refuses_other_config_or_damage),
        cmocka_unit_test(test_days_changed_tracks_accumulated_days),
        cmocka_unit_test(test_cut_makes_the_gap_unknown),
        cmocka_unit_test(test_delivery_on_time_late_and_no_ack),
        cmocka_unit_test(test_delivery_counts_per_day),
        cmocka_unit_test(test_delivery_restricted_to_some_points),
        cmocka_unit_test(test_delivery_snapshot_restore),
        cmocka_unit_test(test_delivery_needs_a_deadline),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
