/*
 * test_etime.c - engine time follows the monotonic clock from one wall-clock anchor, so a
 * wall-clock step while the agent runs neither creates nor destroys measured time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rw_etime.h"

#define WALL0 1732380000.0 /* s, the wall clock at start */
#define MONO0 5000.25      /* s, the monotonic clock at start */

/* The wall clock steps by step_s at 10 min; samples carry (wall, mono) as the sources read
 * them. An hour of monotonic time must be an hour of engine time whatever the wall says. */
static void
check_step(double step_s)
{
    struct rw_etime et;
    double mono, wall;
    int64_t a, b;

    rw_etime_anchor(&et, WALL0, MONO0, 0);
    assert_int_equal(rw_etime_at(&et, MONO0), (int64_t)(WALL0 * 1000));
    mono = MONO0 + 600;           /* just before the step */
    a = rw_etime_at(&et, mono);
    mono += 1;                    /* one second later the wall has jumped */
    wall = WALL0 + 601 + step_s;  /* what the wall clock now reads */
    (void)wall;                   /* ... and it is ignored */
    b = rw_etime_at(&et, mono);
    assert_int_equal(b - a, 1000);
    assert_int_equal(rw_etime_at(&et, MONO0 + 3600) - rw_etime_at(&et, MONO0), 3600000);
}

static void
test_etime_wall_step_forward_one_hour(void **state)
{
    (void)state;
    check_step(3600);
}

static void
test_etime_wall_step_back_one_hour(void **state)
{
    (void)state;
    check_step(-3600);
}

/* A restart after the wall clock was set back an hour: engine time does not go behind the
 * last checkpoint. */
static void
test_etime_anchor_floor_after_restart(void **state)
{
    struct rw_etime et;
    int64_t ckpt = (int64_t)(WALL0 * 1000) + 3600000;

    (void)state;
    rw_etime_anchor(&et, WALL0, MONO0, ckpt);
    assert_int_equal(rw_etime_at(&et, MONO0 + 2), ckpt + 2000);
    rw_etime_anchor(&et, WALL0 + 7200, MONO0, ckpt);
    assert_int_equal(rw_etime_at(&et, MONO0), (int64_t)(WALL0 * 1000) + 7200000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_etime_wall_step_forward_one_hour),
        cmocka_unit_test(test_etime_wall_step_back_one_hour),
        cmocka_unit_test(test_etime_anchor_floor_after_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
