/*
 * test_store_late.c - the late telemetry backlog (agent/store/store_late.c): one open span at
 * a time, closed at the broker's return, consumed from its start and deleted once empty,
 * kept across a reopen of the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/store.h"

#include "store_tmp.h"

static void
test_spans(void **state)
{
    struct store_late_span v[4];
    struct store *s = NULL;
    size_t n;

    (void)state;
    assert_int_equal(store_open(dir, &s), 0);
    assert_int_equal(store_late_list(s, v, 4, &n), 0);
    assert_int_equal(n, 0);

    /* The broker goes away: one span, open; a second open changes nothing. */
    assert_int_equal(store_late_open(s, 1000), 0);
    assert_int_equal(store_late_open(s, 5000), 0);
    assert_int_equal(store_late_list(s, v, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].start, 1000);
    assert_true(v[0].end == INT64_MAX);

    /* Back: closed; away again: a second span after it. */
    assert_int_equal(store_late_close(s, 9000), 1);
    assert_int_equal(store_late_close(s, 9500), 0); /* none open: nothing changes */
    assert_int_equal(store_late_open(s, 20000), 0);
    assert_int_equal(store_late_list(s, v, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].end, 9000);
    assert_int_equal(v[1].start, 20000);
    assert_true(v[1].end == INT64_MAX);

    /* The cursor moves forward only; at the end the span goes. */
    assert_int_equal(store_late_advance(s, v[0].id, 4000), 0);
    assert_int_equal(store_late_advance(s, v[0].id, 3000), 0);
    assert_int_equal(store_late_list(s, v, 4, &n), 0);
    assert_int_equal(v[0].start, 4000);
    assert_int_equal(store_late_advance(s, v[0].id, 9000), 0);
    assert_int_equal(store_late_list(s, v, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].start, 20000);

    /* An open span is not deleted by an advance past anything; it survives a reopen. */
    assert_int_equal(store_late_advance(s, v[0].id, 25000), 0);
    store_close(s);
    s = NULL;
    assert_int_equal(store_open(dir, &s), 0);
    assert_int_equal(store_late_list(s, v, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].start, 25000);
    assert_true(v[0].end == INT64_MAX);

    /* Closed at or before its start: nothing was owed, nothing stays. */
    assert_int_equal(store_late_close(s, 25000), 1);
    assert_int_equal(store_late_list(s, v, 4, &n), 0);
    assert_int_equal(n, 0);

    /* More spans than asked for: n tells. */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(store_late_open(s, 100000 + i * 1000), 0);
        assert_int_equal(store_late_close(s, 100500 + i * 1000), 1);
    }
    assert_int_equal(store_late_list(s, v, 4, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(v[3].start, 103000);
    store_close(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_spans, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
