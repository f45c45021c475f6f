/*
 * test_mb_plan.c - coalescing points into the fewest read requests within every limit.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "source/mb_plan.h"

#define MAXP 256

static struct cfg_point points[MAXP];

static struct cfg_profile
profile(int max_regs, int multiple)
{
    struct cfg_profile p;

    memset(&p, 0, sizeof(p));
    memset(points, 0, sizeof(points));
    p.max_read_registers = max_regs;
    p.max_read_bits = 2000;
    p.register_multiple = multiple;
    p.points = points;
    return p;
}

static void
add(struct cfg_profile *p, int fc, int address, enum cfg_dtype t)
{
    struct cfg_point *pt = &points[p->npoints++];

    pt->fc = fc;
    pt->address = address;
    pt->type = t;
    pt->scale = 1.0;
}

static void
test_plan_adjacent_points_one_read(void **state)
{
    struct cfg_profile p = profile(125, 1);
    struct mb_plan plan;
    int i;

    (void)state;
    for (i = 0; i < 6; i++)
        add(&p, 4, i * 2, CFG_T_FLOAT32);
    assert_int_equal(mb_plan_build(&p, &plan), 0);
    assert_int_equal(plan.nreads, 1);
    assert_int_equal(plan.reads[0].fc, 4);
    assert_int_equal(plan.reads[0].address, 0);
    assert_int_equal(plan.reads[0].count, 12);
    assert_int_equal(plan.reads[0].npoints, 6);
    mb_plan_clear(&plan);
}

static void
test_plan_splits_by_function_code_and_sorts(void **state)
{
    struct cfg_profile p = profile(125, 1);
    struct mb_plan plan;

    (void)state;
    add(&p, 4, 10, CFG_T_UINT16); /* profile order is not address order */
    add(&p, 3, 0, CFG_T_INT16);
    add(&p, 4, 2, CFG_T_UINT16);
    add(&p, 3, 1, CFG_T_UINT16);
    assert_int_equal(mb_plan_build(&p, &plan), 0);
    assert_int_equal(plan.nreads, 2);
    assert_int_equal(plan.reads[0].fc, 3);
    assert_int_equal(plan.reads[0].address, 0);
    assert_int_equal(plan.reads[0].count, 2);
    assert_int_equal(plan.reads[1].fc, 4);
    assert_int_equal(plan.reads[1].address, 2);
    assert_int_equal(plan.reads[1].count, 9);
    /* order lists the profile indices read by read 1: points 2 then 0 */
    assert_int_equal(plan.order[plan.reads[1].first], 2);
    assert_int_equal(plan.order[plan.reads[1].first + 1], 0);
    mb_plan_clear(&plan);
}

static void
test_plan_large_gap_starts_new_read(void **state)
{
    struct cfg_profile p = profile(125, 1);
    struct mb_plan plan;

    (void)state;
    add(&p, 4, 0x0000, CFG_T_FLOAT32);
    add(&p, 4, 0x0002 + MB_PLAN_MAX_GAP, CFG_T_FLOAT32);       /* gap == max: merged */
    add(&p, 4, 0x0004 + 2 * MB_PLAN_MAX_GAP + 1, CFG_T_FLOAT32); /* gap > max: new read */
    assert_int_equal(mb_plan_build(&p, &plan), 0);
    assert_int_equal(plan.nreads, 2);
    assert_int_equal(plan.reads[0].npoints, 2);
    assert_int_equal(plan.reads[0].count, 4 + MB_PLAN_MAX_GAP);
    assert_int_equal(plan.reads[1].address, 0x0004 + 2 * MB_PLAN_MAX_GAP + 1);
    mb_plan_clear(&plan);
}

/* SDM630: at most 80 registers a read, even counts from even addresses. */
static void
test_plan_respects_device_limit_and_multiple(void **state)
{
    struct cfg_profile p = profile(80, 2);
    struct mb_plan plan;
    size_t i;
    int a;

    (void)state;
    for (a = 0; a < 0x0050 + 0x10; a += 2)
        add(&p, 4, a, CFG_T_FLOAT32); /* 96 registers of floats */
    add(&p, 4, 0x0101, CFG_T_UINT16); /* odd address, odd width */
    assert_int_equal(mb_plan_build(&p, &plan), 0);
    assert_int_equal(plan.nreads, 3);
    for (i = 0; i < plan.nreads; i++) {
        assert_true(plan.reads[i].count <= 80);
        assert_int_equal(plan.reads[i].count % 2, 0);
        assert_int_equal(plan.reads[i].address % 2, 0);
    }
    assert_int_equal(plan.reads[0].count, 80);
    assert_int_equal(plan.reads[1].address, 80);
    assert_int_equal(plan.reads[1].count, 16);
    assert_int_equal(plan.reads[2].address, 0x0100);
    assert_int_equal(plan.reads[2].count, 2);
    mb_plan_clear(&plan);
}

static void
test_plan_protocol_limit_125(void **state)
{
    struct cfg_profile p = profile(0 /* unset: protocol limit */, 1);
    struct mb_plan plan;
    int a;

    (void)state;
    for (a = 0; a < 130; a++)
        add(&p, 3, a, CFG_T_UINT16);
    assert_int_equal(mb_plan_build(&p, &plan), 0);
    assert_int_equal(plan.nreads, 2);
    assert_int_equal(plan.reads[0].count, 125);
    assert_int_equal(plan.reads[1].count, 5);
    mb_plan_clear(&plan);
}

static void
test_plan_bits(void **state)
{
    struct cfg_profile p = profile(125, 2);
    struct mb_plan plan;

    (void)state;
    add(&p, 1, 3, CFG_T_BIT);
    add(&p, 1, 4, CFG_T_BIT);
    add(&p, 2, 0, CFG_T_BIT);
    assert_int_equal(mb_plan_build(&p, &plan), 0);
    assert_int_equal(plan.nreads, 2);
    /* register_multiple applies to registers, not to bits */
    assert_int_equal(plan.reads[0].address, 3);
    assert_int_equal(plan.reads[0].count, 2);
    assert_int_equal(plan.reads[1].fc, 2);
    mb_plan_clear(&plan);
}

static void
test_plan_point_wider_than_limit_is_einval(void **state)
{
    struct cfg_profile p = profile(1, 1);
    struct mb_plan plan;

    (void)state;
    add(&p, 3, 0, CFG_T_UINT32);
    errno = 0;
    assert_int_equal(mb_plan_build(&p, &plan), -1);
    assert_int_equal(errno, EINVAL);
}

static void
test_plan_empty_profile(void **state)
{
    struct cfg_profile p = profile(125, 1);
    struct mb_plan plan;

    (void)state;
    assert_int_equal(mb_plan_build(&p, &plan), 0);
    assert_int_equal(plan.nreads, 0);
    mb_plan_clear(&plan);
}

/* Found by fuzzing: with register_multiple 3, merging the point at 65535 into the read at
 * 65532 rounded it up to 65538; the plan must refuse (EINVAL), never ask past 65535. */
static void
test_plan_never_past_last_register(void **state)
{
    struct cfg_profile p = profile(125, 3);
    struct mb_plan plan;

    (void)state;
    add(&p, 3, 65532, CFG_T_INT16);
    add(&p, 3, 65535, CFG_T_INT16);
    errno = 0;
    assert_int_equal(mb_plan_build(&p, &plan), -1);
    assert_int_equal(errno, EINVAL);

    /* The same end with a multiple that divides 65536 is one read up to the last register. */
    p = profile(125, 2);
    add(&p, 3, 65532, CFG_T_INT16);
    add(&p, 3, 65535, CFG_T_INT16);
    assert_int_equal(mb_plan_build(&p, &plan), 0);
    assert_int_equal(plan.nreads, 1);
    assert_int_equal(plan.reads[0].address, 65532);
    assert_int_equal(plan.reads[0].count, 4);
    mb_plan_clear(&plan);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_adjacent_points_one_read),
        cmocka_unit_test(test_plan_splits_by_function_code_and_sorts),
        cmocka_unit_test(test_plan_large_gap_starts_new_read),
        cmocka_unit_test(test_plan_respects_device_limit_and_multiple),
        cmocka_unit_test(test_plan_protocol_limit_125),
        cmocka_unit_test(test_plan_bits),
        cmocka_unit_test(test_plan_point_wider_than_limit_is_einval),
        cmocka_unit_test(test_plan_empty_profile),
        cmocka_unit_test(test_plan_never_past_last_register),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
