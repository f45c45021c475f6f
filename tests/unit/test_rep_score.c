/*
 * test_rep_score.c - the 得分 of a self-evaluation line (tools/roomwatch/rep_score.c) against
 * hand-computed scores for each kind of target (domain.md 6.3/6.4).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cfg/cfg.h"
#include "engine/target.h"
#include "report/rep_score.h"

/* An indicator with target text (and rule text for a qualitative one), parsed. */
static struct cfg_indicator
ind(enum cfg_ind_kind kind, const char *target, const char *unit, const char *rule)
{
    struct cfg_indicator in;

    memset(&in, 0, sizeof(in));
    in.kind = kind;
    in.target_text = (char *)target;
    assert_int_equal(tgt_parse(target, unit, &in.target, NULL, 0), TGT_OK);
    if (rule != NULL) {
        in.rule_text = (char *)rule;
        assert_int_equal(tgt_parse(rule, NULL, &in.rule, NULL, 0), TGT_OK);
    }
    return in;
}

static void
lower_bound(void **state)
{
    struct cfg_indicator in = ind(CFG_IND_AVAILABILITY, "≥97(%)", NULL, NULL);

    (void)state;
    assert_float_equal(rep_score(&in, 10, 1, 99.5, "%", 365), 10, 1e-12);
    assert_float_equal(rep_score(&in, 10, 0, 95.0, "%", 365), 10 * 95.0 / 97.0, 1e-12);
    assert_true(isnan(rep_score(&in, 10, -1, NAN, "%", 365))); /* cannot be judged */
    assert_true(isnan(rep_score(&in, 0, 0, 95.0, "%", 365)));  /* no weight */
}

static void
upper_bound_and_units(void **state)
{
    /* ≤2 h missed with 3 h: 2/3; a value in hours against a target in minutes. */
    struct cfg_indicator h = ind(CFG_IND_MTTR, "≥0&&≤2", "h", NULL);
    struct cfg_indicator m = ind(CFG_IND_MTTA, "<=5分钟", NULL, NULL);
    struct cfg_indicator zero = ind(CFG_IND_COUNT, "=0", NULL, NULL);

    (void)state;
    assert_float_equal(rep_score(&h, 10, 0, 3.0, "h", 365), 10 * 2.0 / 3.0, 1e-12);
    /* 10 minutes (1/6 h) against ≤5 min: 5/10 of the weight. */
    assert_float_equal(rep_score(&m, 6, 0, 10.0 / 60.0, "h", 365), 3.0, 1e-12);
    assert_float_equal(rep_score(&zero, 5, 0, 1.0, "", 365), 0.0, 1e-12);
}

static void
every_day(void **state)
{
    struct cfg_indicator in = ind(CFG_IND_SUPPLY_DAYS, "=365(天)", NULL, NULL);

    (void)state;
    /* 2024: 366 days; 364 supplied: 20 × 364/366, not 20 × 364/365. */
    assert_float_equal(rep_score(&in, 20, 0, 364, "day", 366), 20 * 364.0 / 366.0, 1e-12);
    /* 365 of 366 misses "every day" although 365 ≥ 365. */
    assert_float_equal(rep_score(&in, 20, 0, 365, "day", 366), 20 * 365.0 / 366.0, 1e-12);
    assert_float_equal(rep_score(&in, 20, 0, 363, "day", 365), 20 * 363.0 / 365.0, 1e-12);
}

static void
qualitative(void **state)
{
    struct cfg_indicator in = ind(CFG_IND_BAND, "稳定", NULL, ">=97");

    (void)state;
    assert_float_equal(rep_score(&in, 5, 1, 99.0, "%", 365), 5, 1e-12);
    /* Missed: the lowest grade, 60 % of the weight times 90/97. */
    assert_float_equal(rep_score(&in, 5, 0, 90.0, "%", 365), 5 * 0.6 * 90.0 / 97.0, 1e-12);
}

static void
bare_number(void **state)
{
    /* 满意度 "90" read by its rule ">=90": 86 scores 10 × 86/90, not a qualitative grade. */
    struct cfg_indicator in = ind(CFG_IND_COUNT, "90", NULL, ">=90");

    (void)state;
    assert_float_equal(rep_score(&in, 10, 0, 86.0, NULL, 365), 10 * 86.0 / 90.0, 1e-12);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lower_bound), cmocka_unit_test(upper_bound_and_units),
        cmocka_unit_test(every_day),   cmocka_unit_test(qualitative),
        cmocka_unit_test(bare_number),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
