/*
 * test_store_alert.c - the alert table (agent/store/store_alert.c): an alert and its
 * notify_event row are kept together, listed back with their numbers (NaN as NULL), filtered
 * by time and publication, and the last one of an indicator's period found; a bad "what" is
 * refused with nothing written.
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

#include "store_tmp.h"

struct seen {
    size_t n;
    int64_t id[4], at[4];
    char state[4][16], ind[4][16], doc[4][64];
    double left[4], cov[4];
    int published[4];
};

static int
take(const struct store_alert *a, void *arg)
{
    struct seen *s = arg;

    assert_true(s->n < 4);
    s->id[s->n] = a->id;
    s->at[s->n] = a->at;
    s->left[s->n] = a->budget_left;
    s->cov[s->n] = a->coverage;
    s->published[s->n] = a->published;
    snprintf(s->state[s->n], sizeof(s->state[0]), "%s", a->state);
    snprintf(s->ind[s->n], sizeof(s->ind[0]), "%s", a->indicator);
    snprintf(s->doc[s->n], sizeof(s->doc[0]), "%s", a->doc);
    s->n++;
    return 0;
}

static int
take_notify(const struct store_notify_event *ev, void *arg)
{
    struct seen *s = arg;

    assert_true(s->n < 4);
    assert_string_equal(ev->kind, "alert");
    s->id[s->n] = ev->ref;
    s->at[s->n] = ev->at;
    snprintf(s->state[s->n], sizeof(s->state[0]), "%s", ev->what);
    snprintf(s->doc[s->n], sizeof(s->doc[0]), "%s", ev->detail);
    s->n++;
    return 0;
}

static void
test_alerts_kept_with_their_notification(void **state)
{
    struct store *s = NULL;
    struct store_alert a = {
        .indicator = "voltage",
        .period = "2025",
        .at = 60000,
        .state = "at_risk",
        .previous = "ok",
        .what = "raised",
        .value = 96.5,
        .target = "≥97(%)",
        .budget_left = 3600.5,
        .budget_unit = "s",
        .burn_short = 2.5,
        .burn_long = 1.5,
        .projection = 96.9,
        .time_left = NAN,
        .coverage = NAN,
        .doc = "{\"id\":\"voltage@60000\"}",
    };
    struct seen all = {0}, unpub = {0}, from = {0}, told = {0};
    int64_t id1 = 0, id2 = 0, id3 = 0, at = 0;
    char st[16];

    (void)state;
    assert_int_equal(store_open_file(path, &s), 0);
    assert_int_equal(store_alert_last(s, "voltage", "2025", st, sizeof(st), &at), 0);
    assert_int_equal(store_alert_add(s, &a, &id1), 0);
    a.at = 120000;
    a.state = "lost";
    a.previous = "at_risk";
    a.what = "lost";
    a.budget_left = NAN;
    a.coverage = 0.95;
    a.doc = "{\"id\":\"voltage@120000\"}";
    assert_int_equal(store_alert_add(s, &a, &id2), 0);
    a.what = "escalated"; /* not an alert's */
    assert_int_equal(store_alert_add(s, &a, &id3), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(id3, 0);
    assert_true(id2 > id1 && id1 > 0);
    struct store_pubmark m1 = {STORE_PUB_ALERT, id1};
    assert_int_equal(store_mark_published(s, &m1), 0);

    assert_int_equal(store_alert_each(s, INT64_MIN, INT64_MAX, 0, take, &all), 0);
    assert_int_equal(all.n, 2);
    assert_string_equal(all.state[0], "at_risk");
    assert_string_equal(all.state[1], "lost");
    assert_true(all.left[0] == 3600.5 && isnan(all.left[1]));
    assert_true(isnan(all.cov[0]) && all.cov[1] == 0.95);
    assert_int_equal(all.published[0], 1);
    assert_int_equal(all.published[1], 0);
    assert_string_equal(all.doc[1], "{\"id\":\"voltage@120000\"}");
    assert_int_equal(store_alert_each(s, INT64_MIN, INT64_MAX, 1, take, &unpub), 0);
    assert_int_equal(unpub.n, 1);
    assert_int_equal(unpub.id[0], id2);
    assert_int_equal(store_alert_each(s, 100000, 200000, 0, take, &from), 0);
    assert_int_equal(from.n, 1);
    assert_int_equal(from.at[0], 120000);

    /* One notify_event row each, the document as its facts, and none for the refused one. */
    assert_int_equal(store_notify_each(s, 0, 10, take_notify, &told), 0);
    assert_int_equal(told.n, 2);
    assert_int_equal(told.id[0], id1);
    assert_string_equal(told.state[0], "raised");
    assert_int_equal(told.id[1], id2);
    assert_string_equal(told.state[1], "lost");
    assert_string_equal(told.doc[1], "{\"id\":\"voltage@120000\"}");

    assert_int_equal(store_alert_last(s, "voltage", "2025", st, sizeof(st), &at), 1);
    assert_string_equal(st, "lost");
    assert_int_equal(at, 120000);
    assert_int_equal(store_alert_last(s, "voltage", "2026", st, sizeof(st), &at), 0);
    store_close(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alerts_kept_with_their_notification, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
