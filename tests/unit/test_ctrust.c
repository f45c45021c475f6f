/*
 * test_ctrust.c - when the wall clock is trusted to date samples (rw_ctrust.h), and the
 * "clock" config group that sets the rule.
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

#include "cfg/cfg.h"
#include "rw_ctrust.h"

#define FLOOR_2026 1767225600LL /* 2026-01-01T00:00:00Z */
#define BOOT_1970 5.0           /* a gateway without a battery-backed clock, just booted */

static void
test_ctrust_parse_date(void **state)
{
    int64_t t = -1;

    (void)state;
    assert_int_equal(rw_ctrust_parse_date("2026-01-01", &t), 0);
    assert_int_equal(t, FLOOR_2026);
    assert_int_equal(rw_ctrust_parse_date("1970-01-01", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(rw_ctrust_parse_date("2024-02-29", &t), 0);
    assert_int_equal(t, 1709164800LL);
    assert_int_equal(rw_ctrust_parse_date("2025-02-29", &t), -1);
    assert_int_equal(rw_ctrust_parse_date("2100-02-29", &t), -1);
    assert_int_equal(rw_ctrust_parse_date("2026-13-01", &t), -1);
    assert_int_equal(rw_ctrust_parse_date("2026-04-31", &t), -1);
    assert_int_equal(rw_ctrust_parse_date("1969-12-31", &t), -1);
    assert_int_equal(rw_ctrust_parse_date("2026-1-01", &t), -1);
    assert_int_equal(rw_ctrust_parse_date("2026-01-01T00", &t), -1);
    assert_int_equal(rw_ctrust_parse_date("+026-01-01", &t), -1);
    assert_int_equal(rw_ctrust_parse_date("", &t), -1);
    assert_int_equal(rw_ctrust_parse_date(NULL, &t), -1);
}

/* floor: the wall clock alone, whatever the kernel says (CI machines, containers). */
static void
test_ctrust_floor(void **state)
{
    (void)state;
    assert_false(rw_ctrust_ok(RW_CTRUST_FLOOR, FLOOR_2026, BOOT_1970, 0));
    assert_false(rw_ctrust_ok(RW_CTRUST_FLOOR, FLOOR_2026, BOOT_1970, 1));
    assert_false(rw_ctrust_ok(RW_CTRUST_FLOOR, FLOOR_2026, FLOOR_2026 - 0.001, -1));
    assert_true(rw_ctrust_ok(RW_CTRUST_FLOOR, FLOOR_2026, FLOOR_2026, 0));
    assert_true(rw_ctrust_ok(RW_CTRUST_FLOOR, FLOOR_2026, FLOOR_2026 + 86400.0 * 300, -1));
}

/* sync: the kernel's synchronized flag and the floor; the floor alone where the kernel
 * cannot be asked. */
static void
test_ctrust_sync(void **state)
{
    double dec = FLOOR_2026 + 86400.0 * 338; /* 2026-12-05 */

    (void)state;
    /* fake-hwclock: a plausible date from the last shutdown, not yet synchronized */
    assert_false(rw_ctrust_ok(RW_CTRUST_SYNC, FLOOR_2026, dec, 0));
    assert_true(rw_ctrust_ok(RW_CTRUST_SYNC, FLOOR_2026, dec, 1));
    assert_true(rw_ctrust_ok(RW_CTRUST_SYNC, FLOOR_2026, dec, -1));
    /* synchronized to a server that says 1970: still not */
    assert_false(rw_ctrust_ok(RW_CTRUST_SYNC, FLOOR_2026, BOOT_1970, 1));
    assert_false(rw_ctrust_ok(RW_CTRUST_SYNC, FLOOR_2026, BOOT_1970, -1));
}

static void
test_ctrust_always(void **state)
{
    (void)state;
    assert_true(rw_ctrust_ok(RW_CTRUST_ALWAYS, FLOOR_2026, BOOT_1970, 0));
    assert_true(rw_ctrust_ok(RW_CTRUST_ALWAYS, FLOOR_2026, BOOT_1970, -1));
}

/* Loads the config text into a file and returns the diagnostics' count (0: loaded). */
static int
load(const char *text, struct rw_config **cfg, struct cfg_diags *d)
{
    char path[] = "/tmp/test_ctrust_XXXXXX";
    int fd = mkstemp(path);
    FILE *fp;
    enum cfg_status st;

    assert_true(fd >= 0);
    fp = fdopen(fd, "w");
    assert_non_null(fp);
    fprintf(fp,
            "site = { id = \"s\"; gateway = \"g\"; };\n"
            "mqtt = { uri = \"tcp://127.0.0.1:1883\"; };\n"
            "state_dir = \"/tmp\";\n"
            "%s\n",
            text);
    fclose(fp);
    memset(d, 0, sizeof(*d));
    st = cfg_load(path, cfg, d);
    unlink(path);
    return st == CFG_OK ? 0 : (int)d->n;
}

static void
test_ctrust_config(void **state)
{
    struct rw_config *cfg = NULL;
    struct cfg_diags d;

    (void)state;
    assert_int_equal(load("", &cfg, &d), 0);
    assert_int_equal(cfg->clock.trust, RW_CTRUST_FLOOR);
    assert_true(cfg->clock.floor >= FLOOR_2026); /* the build's date */
    cfg_free(cfg);
    cfg_diags_free(&d);

    assert_int_equal(load("clock = { trust = \"sync\"; floor = \"2020-03-01\"; };", &cfg, &d), 0);
    assert_int_equal(cfg->clock.trust, RW_CTRUST_SYNC);
    assert_int_equal(cfg->clock.floor, 1583020800LL);
    cfg_free(cfg);
    cfg_diags_free(&d);

    cfg = NULL;
    assert_int_equal(
        load("clock = { trust = \"ntp\";\n floor = \"2020-02-30\"; when = 1; };", &cfg, &d), 3);
    assert_null(cfg);
    /* one file:line: message each, on the line of the setting */
    for (size_t i = 0; i < d.n; i++) {
        if (strstr(d.v[i].msg, "\"trust\" must be") != NULL)
            assert_int_equal(d.v[i].line, 4);
        else if (strstr(d.v[i].msg, "\"floor\" must be a date") != NULL)
            assert_int_equal(d.v[i].line, 5);
        else
            assert_non_null(strstr(d.v[i].msg, "when"));
    }
    cfg_diags_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctrust_parse_date), cmocka_unit_test(test_ctrust_floor),
        cmocka_unit_test(test_ctrust_sync),       cmocka_unit_test(test_ctrust_always),
        cmocka_unit_test(test_ctrust_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
