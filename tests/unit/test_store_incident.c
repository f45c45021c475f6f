/*
 * test_store_incident.c - incidents in the store: schema version, insert, automatic
 * resolution (once only), listing all or the open ones, and the read-only open the CLI uses.
 * Each test works on a fresh database in a temporary folder.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

static char dir[64];
static char path[128];

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/rw-store-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
    return 0;
}

static int
teardown(void **state)
{
    char f[160];
    const char *const sfx[] = {"", "-wal", "-shm"};

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        snprintf(f, sizeof(f), "%s%s", path, sfx[i]);
        unlink(f);
    }
    rmdir(dir);
    return 0;
}

struct seen {
    size_t n;
    struct store_incident v[8];
    char point[8][16];
    char how[8][8];
};

static int
collect(const struct store_incident *in, void *arg)
{
    struct seen *s = arg;

    s->v[s->n] = *in; /* strings are valid only here: keep copies of those checked later */
    snprintf(s->point[s->n], sizeof(s->point[0]), "%s", in->point ? in->point : "(null)");
    snprintf(s->how[s->n], sizeof(s->how[0]), "%s", in->resolved_how ? in->resolved_how : "-");
    s->v[s->n].rule = s->v[s->n].device = s->v[s->n].severity = s->v[s->n].category = NULL;
    s->n++;
    return 0;
}

static void
test_incident_insert_resolve_list(void **state)
{
    struct store *s = NULL;
    struct store_incident a = {.rule = "mains",
                               .device = "meter1",
                               .point = "v_l1",
                               .severity = "major",
                               .category = "power",
                               .started = 1000,
                               .detected = 11000,
                               .value = 190.5};
    struct store_incident b = {.rule = "silent",
                               .device = "th1",
                               .point = NULL,
                               .severity = "minor",
                               .category = "device",
                               .started = 5000,
                               .detected = 5000,
                               .value = NAN};
    struct seen all = {0}, open = {0};
    int64_t ia = 0, ib = 0;

    (void)state;
    assert_int_equal(store_open(dir, &s), 0);
    assert_int_equal(store_incident_insert(s, &a, &ia), 0);
    assert_int_equal(store_incident_insert(s, &b, &ib), 0);
    assert_int_equal(ia, 1);
    assert_int_equal(ib, 2);
    assert_int_equal(store_incident_resolve_auto(s, ia, 30000, 90000, STORE_INC_CLEARED_WHILE_DOWN),
                     0);
    /* Resolved once: a second resolution changes nothing and says so. */
    assert_int_equal(store_incident_resolve_auto(s, ia, 1, 2, 0), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(store_incident_resolve_auto(s, 99, 1, 2, 0), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(store_incident_each(s, 0, collect, &all), 0);
    assert_int_equal(store_incident_each(s, 1, collect, &open), 0);
    store_close(s);

    assert_int_equal(all.n, 2);
    assert_int_equal(all.v[0].id, 1);
    assert_string_equal(all.point[0], "v_l1");
    assert_int_equal(all.v[0].started, 1000);
    assert_int_equal(all.v[0].detected, 11000);
    assert_true(all.v[0].value == 190.5);
    assert_int_equal(all.v[0].cleared, 30000);
    assert_int_equal(all.v[0].resolved, 90000);
    assert_string_equal(all.how[0], "auto");
    assert_int_equal(all.v[0].flags, STORE_INC_CLEARED_WHILE_DOWN);
    assert_int_equal(all.v[0].acked, 0);
    assert_string_equal(all.point[1], "(null)");
    assert_true(isnan(all.v[1].value));
    assert_int_equal(all.v[1].resolved, 0);
    assert_string_equal(all.how[1], "-");
    assert_int_equal(open.n, 1);
    assert_int_equal(open.v[0].id, 2);
}

/* The schema is version 3 after migration; reopening keeps the incidents; ids are never
 * reused. The read-only open refuses a missing file and one of another version. */
static void
test_incident_schema_and_read_only_open(void **state)
{
    struct store_incident a = {
        .rule = "r", .device = "d", .severity = "minor", .category = "device", .value = NAN};
    struct seen all = {0};
    struct store *s = NULL;
    char missing[160];
    int64_t id = 0;

    (void)state;
    assert_int_equal(STORE_SCHEMA_VERSION, 3);
    snprintf(missing, sizeof(missing), "%s/none.db", dir);
    assert_int_equal(store_open_readonly(missing, &s), -1);
    assert_int_equal(errno, ENOENT);
    assert_null(s);

    assert_int_equal(store_open_file(path, &s), 0);
    assert_int_equal(store_incident_insert(s, &a, &id), 0);
    store_close(s);
    assert_int_equal(store_open_readonly(path, &s), 0);
    assert_int_equal(store_incident_each(s, 0, collect, &all), 0);
    assert_int_equal(store_incident_insert(s, &a, &id), -1); /* read-only */
    store_close(s);
    assert_int_equal(all.n, 1);

    assert_int_equal(store_open_file(path, &s), 0);
    assert_int_equal(store_incident_insert(s, &a, &id), 0);
    assert_int_equal(id, 2);
    store_close(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_incident_insert_resolve_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incident_schema_and_read_only_open, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
