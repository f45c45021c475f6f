/*
 * test_report.c - budget, burn rate, projection and status (agent/report/rpt_judge.c), and
 * how the indicator JSON carries them (rpt_json.c), against hand-computed expectations.
 *
 * The period is the year 2025 (365 days) with UTC midnights: the zone does not matter to the
 * judgement, only the day boundaries. One point, sampled every hour and held up to 2 h, so
 * that the timeline is known without a gap; "now" is where the engine was advanced to.
 * Most cases look at 2025-01-08 12:00: 7.5 days (648000 s) into the year, today (day 7) has
 * run 12 h, and the long window (days 1..7) holds 6.5 days (561600 s). The year is
 * 31536000 s, so after now 30888000 s are still to come, 55 times the long window.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cfg/cfg.h"
#include "engine/eng.h"
#include "engine/target.h"
#include "report/rpt_json.h"
#include "report/rpt_judge.h"

#define S 1000LL /* ms per second */
#define HOUR (3600 * S)
#define DAY (86400 * S)
#define Y2025 (1735689600LL * S) /* 2025-01-01T00:00:00Z */
#define NOW (Y2025 + 7 * DAY + 12 * HOUR)

static int64_t days[366];
static const uint32_t P0[] = {0};

struct fx {
    struct eng *e;
    struct cfg_indicator in;
    struct rpt_period p;
};

/* An engine over 2025 with one indicator of kind k on one point, and its config. */
static void
setup(struct fx *f, enum cfg_ind_kind k, const char *target)
{
    struct eng_period ep;
    struct eng_point_cfg pc = {2 * HOUR};
    struct eng_ind_cfg ic;
    char err[TGT_ERR_LEN];

    for (int d = 0; d <= 365; d++)
        days[d] = Y2025 + d * DAY;
    ep.ndays = 365;
    ep.day_start = days;
    memset(&ic, 0, sizeof(ic));
    ic.npoints = 1;
    ic.points = P0;
    switch (k) {
    case CFG_IND_AVAILABILITY:
        ic.kind = ENG_AVAILABILITY;
        break;
    case CFG_IND_FAULT_RATE:
        ic.kind = ENG_FAULT_RATE;
        break;
    case CFG_IND_DOWNTIME:
        ic.kind = ENG_DOWNTIME;
        break;
    case CFG_IND_SUPPLY_DAYS:
        ic.kind = ENG_SUPPLY_DAYS;
        ic.cond.op = ENG_COND_ABOVE; /* 1 supplied, 0 interrupted */
        ic.cond.lo = 0.5;
        break;
    default:
        fail_msg("kind %d not set up here", (int)k);
    }
    f->e = NULL;
    assert_int_equal(eng_new(&ep, 1, &pc, 1, &ic, &f->e, err, sizeof(err)), ENG_OK);
    memset(&f->in, 0, sizeof(f->in));
    strcpy(f->in.id, "x");
    f->in.name = "x";
    f->in.kind = k;
    f->in.npoints = 1;
    f->in.target_text = (char *)target;
    if (target != NULL)
        assert_int_equal(tgt_parse(target, NULL, &f->in.target, err, sizeof(err)), TGT_OK);
    f->p.tz = "UTC";
    f->p.ndays = 365;
    f->p.day_start = days;
}

/* Hourly samples over [from, to): value 1 valid (up, supplied), or as given. */
static void
feed(struct fx *f, int64_t from, int64_t to, double value, int valid)
{
    for (int64_t t = from; t < to; t += HOUR)
        assert_int_equal(eng_sample(f->e, 0, t, value, valid), ENG_OK);
}

static void
judge_at(struct fx *f, int64_t now, struct rpt_judgement *j)
{
    eng_advance(f->e, now);
    rpt_judge(&f->in, f->e, 0, eng_result(f->e, 0), &f->p, j);
}

static void
near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want))))
        fail_msg("got %.15g, want %.15g", got, want);
}

/* ≥97 % over 365 days: 3 % of 31536000 s = 946080 s (10.95 days). A 2 h outage today
 * spends 7200 s of it. */
static void
test_judge_rate_budget_after_two_hour_dip(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_AVAILABILITY, "≥97(%)");
    feed(&f, Y2025, Y2025 + 7 * DAY + 2 * HOUR, 1, 1);
    feed(&f, Y2025 + 7 * DAY + 2 * HOUR, Y2025 + 7 * DAY + 4 * HOUR, 0, 0);
    feed(&f, Y2025 + 7 * DAY + 4 * HOUR, NOW, 1, 1);
    judge_at(&f, NOW, &j);

    assert_int_equal(j.has_budget, 1);
    assert_string_equal(j.budget_unit, "s");
    near(j.total, 946080);
    near(j.used, 7200);
    near(j.left, 938880);
    /* today: 7200 of 43200 s down = 1/6, per 0.03 allowed; long: 7200 of 561600 s. */
    near(j.burn_short, (7200.0 / 43200) / 0.03);
    near(j.burn_long, (7200.0 / 561600) / 0.03);
    /* The rest (55 long windows) goes as the long window did: 7200 + 55 x 7200 s down. */
    near(j.projection, (1 - 403200.0 / 31536000) * 100);
    assert_string_equal(j.method, "last_7_days");
    assert_int_equal(j.met, 1);
    assert_int_equal(j.status, RPT_OK);
    eng_free(f.e);
}

/* The same course judged as a fault rate ≤3 %: the same budget, the projection mirrored. */
static void
test_judge_fault_rate_mirrors_availability(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_FAULT_RATE, "≤3(%)");
    feed(&f, Y2025, Y2025 + 7 * DAY + 2 * HOUR, 1, 1);
    feed(&f, Y2025 + 7 * DAY + 2 * HOUR, Y2025 + 7 * DAY + 4 * HOUR, 0, 0);
    feed(&f, Y2025 + 7 * DAY + 4 * HOUR, NOW, 1, 1);
    judge_at(&f, NOW, &j);
    near(j.total, 946080);
    near(j.used, 7200);
    near(j.burn_short, (7200.0 / 43200) / 0.03);
    near(j.projection, 403200.0 / 31536000 * 100);
    assert_int_equal(j.status, RPT_OK);
    eng_free(f.e);
}

/* Down all of today (12 h): 93.3 % so far. On the course of the long window (1/13 of it
 * down) the year ends at 92.3 % -> at_risk; with no more down time it would end at 99.86 %,
 * so it is not lost. */
static void
test_judge_rate_at_risk_on_course(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_AVAILABILITY, "≥97(%)");
    feed(&f, Y2025, Y2025 + 7 * DAY, 1, 1);
    feed(&f, Y2025 + 7 * DAY, NOW, 0, 0);
    judge_at(&f, NOW, &j);
    near(j.used, 43200);
    near(j.burn_short, 1 / 0.03);
    near(j.burn_long, (43200.0 / 561600) / 0.03);
    near(j.projection, (1 - 56 * 43200.0 / 31536000) * 100);
    assert_int_equal(j.met, 0); /* 604800 of 648000 s up: 93.3 % */
    assert_int_equal(j.status, RPT_AT_RISK);
    eng_free(f.e);
}

/* Not met so far (12 h down on the first day: 93.3 % after 7.5 days), but the last 7 days
 * were clean: on that course the year ends at 99.86 % -> ok. */
static void
test_judge_rate_recovering_is_ok(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_AVAILABILITY, "≥97(%)");
    feed(&f, Y2025, Y2025 + 12 * HOUR, 0, 0);
    feed(&f, Y2025 + 12 * HOUR, NOW, 1, 1);
    judge_at(&f, NOW, &j);
    assert_int_equal(j.met, 0);
    near(j.burn_long, 0);
    near(j.projection, (1 - 43200.0 / 31536000) * 100);
    assert_int_equal(j.status, RPT_OK);
    eng_free(f.e);
}

/* 11 days down (950400 s) overspend 946080 s: lost, even if the rest of the year is up. */
static void
test_judge_rate_lost_when_budget_overspent(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_AVAILABILITY, "≥97(%)");
    feed(&f, Y2025, Y2025 + 11 * DAY - HOUR, 0, 0);
    judge_at(&f, Y2025 + 10 * DAY + 23 * HOUR, &j);
    /* 10 days and 23 h down: 946800 s, 720 s more than the budget: lost already. */
    near(j.used, 946800);
    near(j.left, -720);
    assert_int_equal(j.status, RPT_LOST);
    eng_free(f.e);

    /* 10 days and 22 h (943200 s) leave 2880 s: at risk, not lost. */
    setup(&f, CFG_IND_AVAILABILITY, "≥97(%)");
    feed(&f, Y2025, Y2025 + 10 * DAY + 22 * HOUR, 0, 0);
    judge_at(&f, Y2025 + 10 * DAY + 22 * HOUR, &j);
    near(j.left, 2880);
    assert_int_equal(j.status, RPT_AT_RISK);
    eng_free(f.e);
}

/* Unknown time shrinks the budget: the rate rests on known time only. */
static void
test_judge_rate_budget_shrinks_with_unknown_time(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_AVAILABILITY, "≥97(%)");
    /* Nothing for the first day (86400 s unknown), then up. */
    feed(&f, Y2025 + DAY, NOW, 1, 1);
    judge_at(&f, NOW, &j);
    near(j.total, 0.03 * (31536000 - 86400));
    near(j.used, 0);
    /* The long window (days 1..7) was all known and up: no unknown projected. */
    near(j.projection, 100);
    eng_free(f.e);
}

/* No value yet: not judged for the first hour of the period (no storm at 00:00 on
 * 1 January), at risk after it. */
static void
test_judge_no_value_grace_then_at_risk(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_AVAILABILITY, "≥97(%)");
    judge_at(&f, Y2025 + 59 * 60 * S, &j);
    assert_int_equal(j.met, -1);
    assert_int_equal(j.status, RPT_NONE);
    assert_true(isnan(j.projection));
    assert_null(j.method);
    judge_at(&f, Y2025 + HOUR, &j);
    assert_int_equal(j.status, RPT_AT_RISK);
    eng_free(f.e);

    /* A first sample in the grace time gives a value, and the value decides. */
    setup(&f, CFG_IND_AVAILABILITY, "≥97(%)");
    feed(&f, Y2025 + 30 * S, Y2025 + 31 * S, 1, 1);
    judge_at(&f, Y2025 + 60 * S, &j);
    assert_int_equal(j.met, 1);
    assert_int_equal(j.status, RPT_OK);
    near(j.projection, 100);
    eng_free(f.e);
}

/* Once the period is over the projection is the value, and lost = not met. */
static void
test_judge_period_over_is_final(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_AVAILABILITY, "≥97(%)");
    feed(&f, Y2025, Y2025 + 365 * DAY, 1, 1);
    eng_finish(f.e, Y2025 + 365 * DAY);
    judge_at(&f, Y2025 + 365 * DAY, &j);
    near(j.projection, 100);
    assert_string_equal(j.method, "final");
    near(j.burn_short, 0);
    assert_int_equal(j.status, RPT_OK);
    eng_free(f.e);
}

/* "≥360(天)": 5 days may be lost. Today lost: 4 left; 1 of the 7 window days lost. */
static void
test_judge_days_budget_burn_projection(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_SUPPLY_DAYS, "≥360(天)");
    feed(&f, Y2025, Y2025 + 7 * DAY + 3 * HOUR, 1, 1);
    feed(&f, Y2025 + 7 * DAY + 3 * HOUR, Y2025 + 7 * DAY + 4 * HOUR, 0, 1);
    feed(&f, Y2025 + 7 * DAY + 4 * HOUR, NOW, 1, 1);
    judge_at(&f, NOW, &j);
    assert_string_equal(j.budget_unit, "day");
    near(j.total, 5);
    near(j.used, 1);
    near(j.left, 4);
    near(j.burn_short, 1.0 / (5.0 / 365));
    near(j.burn_long, (1.0 / 7) / (5.0 / 365));
    /* Open days: 8..364 (357; today is lost already), lost at 1 in 7: 51 more. */
    near(j.projection, 364 - 51);
    assert_int_equal(j.met, 1); /* 364 >= 360 so far */
    assert_int_equal(j.status, RPT_AT_RISK);
    eng_free(f.e);
}

/* "=365(天)": every day. No budget to burn; one lost day loses the target. */
static void
test_judge_every_day_lost_on_first_lost_day(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_SUPPLY_DAYS, "=365(天)");
    feed(&f, Y2025, NOW, 1, 1);
    judge_at(&f, NOW, &j);
    near(j.total, 0);
    near(j.left, 0);
    assert_true(isnan(j.burn_short) && isnan(j.burn_long));
    near(j.projection, 365);
    assert_int_equal(j.status, RPT_OK);
    feed(&f, NOW, NOW + HOUR, 0, 1);
    judge_at(&f, NOW + HOUR, &j);
    near(j.left, -1);
    assert_int_equal(j.met, 0);
    assert_int_equal(j.status, RPT_LOST);
    eng_free(f.e);
}

/* "≤48(小时)": 2 h down today leave 46 h; on the 7 days' pace the year ends at 112 h. */
static void
test_judge_downtime_hours_left(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_DOWNTIME, "≤48(小时)");
    feed(&f, Y2025, Y2025 + 7 * DAY + 2 * HOUR, 1, 1);
    feed(&f, Y2025 + 7 * DAY + 2 * HOUR, Y2025 + 7 * DAY + 4 * HOUR, 0, 0);
    feed(&f, Y2025 + 7 * DAY + 4 * HOUR, NOW, 1, 1);
    judge_at(&f, NOW, &j);
    assert_string_equal(j.budget_unit, "h");
    near(j.total, 48);
    near(j.used, 2);
    near(j.left, 46);
    /* 2 h in 12 h today, 2 h in 156 h of the window, against 48 h per 8760 h. */
    near(j.burn_short, (2.0 / 12) / (48.0 / 8760));
    near(j.burn_long, (2.0 / 156) / (48.0 / 8760));
    /* 8580 h to go at 2 h per 156 h: 110 h more. */
    near(j.projection, 112);
    assert_int_equal(j.met, 1);
    assert_int_equal(j.status, RPT_AT_RISK);
    eng_free(f.e);
}

/* Without a target: a projection, but no budget, burn or status. */
static void
test_judge_no_target_no_status(void **state)
{
    struct fx f;
    struct rpt_judgement j;

    (void)state;
    setup(&f, CFG_IND_AVAILABILITY, NULL);
    feed(&f, Y2025, NOW, 1, 1);
    judge_at(&f, NOW, &j);
    assert_int_equal(j.has_budget, 0);
    assert_int_equal(j.met, -1);
    assert_int_equal(j.status, RPT_NONE);
    near(j.projection, 100);
    eng_free(f.e);
}

/* The JSON carries what the judgement says, under stable names. */
static void
test_indicator_json_budget_burn_projection(void **state)
{
    struct fx f;
    struct rpt_judgement j;
    struct rw_config cfg;
    json_t *o, *b, *burn, *pr;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    setup(&f, CFG_IND_AVAILABILITY, "≥97(%)");
    feed(&f, Y2025, Y2025 + 7 * DAY + 2 * HOUR, 1, 1);
    feed(&f, Y2025 + 7 * DAY + 2 * HOUR, Y2025 + 7 * DAY + 4 * HOUR, 0, 0);
    feed(&f, Y2025 + 7 * DAY + 4 * HOUR, NOW, 1, 1);
    judge_at(&f, NOW, &j);
    o = rpt_indicator(&cfg, &f.in, eng_result(f.e, 0), &j, &f.p);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "ok");
    b = json_object_get(o, "budget");
    assert_int_equal(json_integer_value(json_object_get(b, "total")), 946080);
    assert_int_equal(json_integer_value(json_object_get(b, "used")), 7200);
    assert_int_equal(json_integer_value(json_object_get(b, "left")), 938880);
    assert_string_equal(json_string_value(json_object_get(b, "unit")), "s");
    burn = json_object_get(o, "burn");
    near(json_real_value(json_object_get(burn, "short")), (7200.0 / 43200) / 0.03);
    assert_string_equal(json_string_value(json_object_get(burn, "short_window")), "today");
    assert_string_equal(json_string_value(json_object_get(burn, "long_window")), "last_7_days");
    pr = json_object_get(o, "projection");
    near(json_real_value(json_object_get(pr, "value")), (1 - 403200.0 / 31536000) * 100);
    assert_string_equal(json_string_value(json_object_get(pr, "method")), "last_7_days");
    json_decref(o);

    /* No target: budget and burn are null, not absent. */
    f.in.target_text = NULL;
    rpt_judge(&f.in, f.e, 0, eng_result(f.e, 0), &f.p, &j);
    o = rpt_indicator(&cfg, &f.in, eng_result(f.e, 0), &j, &f.p);
    assert_true(json_is_null(json_object_get(o, "budget")));
    assert_true(json_is_null(json_object_get(o, "burn")));
    assert_true(json_is_null(json_object_get(o, "status")));
    assert_true(json_is_object(json_object_get(o, "projection")));
    json_decref(o);
    eng_free(f.e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge_rate_budget_after_two_hour_dip),
        cmocka_unit_test(test_judge_fault_rate_mirrors_availability),
        cmocka_unit_test(test_judge_rate_at_risk_on_course),
        cmocka_unit_test(test_judge_rate_recovering_is_ok),
        cmocka_unit_test(test_judge_rate_lost_when_budget_overspent),
        cmocka_unit_test(test_judge_rate_budget_shrinks_with_unknown_time),
        cmocka_unit_test(test_judge_no_value_grace_then_at_risk),
        cmocka_unit_test(test_judge_period_over_is_final),
        cmocka_unit_test(test_judge_days_budget_burn_projection),
        cmocka_unit_test(test_judge_every_day_lost_on_first_lost_day),
        cmocka_unit_test(test_judge_downtime_hours_left),
        cmocka_unit_test(test_judge_no_target_no_status),
        cmocka_unit_test(test_indicator_json_budget_burn_projection),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
