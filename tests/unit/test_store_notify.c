/*
 * test_store_notify.c - the notification log and the channels' state (schema version 6):
 * transitions write their rows in their own transaction, escalations are logged once per
 * level, a new channel starts at the end of the log, a channel's state survives a reopen,
 * silences cover what they should and list what they held back.
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

struct log {
    size_t n;
    int64_t seq[8], ref[8], at[8];
    char what[8][16], detail[8][16];
};

static int
collect(const struct store_notify_event *ev, void *arg)
{
    struct log *l = arg;

    assert_true(l->n < 8);
    assert_string_equal(ev->kind, "incident");
    l->seq[l->n] = ev->seq;
    l->ref[l->n] = ev->ref;
    l->at[l->n] = ev->at;
    snprintf(l->what[l->n], sizeof(l->what[0]), "%s", ev->what);
    snprintf(l->detail[l->n], sizeof(l->detail[0]), "%s", ev->detail ? ev->detail : "-");
    l->n++;
    return 0;
}

static void
test_transitions_are_logged(void **state)
{
    struct store_incident a = {.rule = "mains",
                               .device = "meter1",
                               .point = "v_l1",
                               .severity = "major",
                               .category = "power",
                               .started = 1000,
                               .detected = 11000,
                               .value = 190.0};
    struct store_cmd c = {.kind = STORE_CMD_RESOLVE, .by = "li", .cause = "x", .measure = "y"};
    struct store_cmd ack = {.kind = STORE_CMD_ACK, .by = "li"};
    struct store_cmd_result r;
    struct store *s = NULL;
    struct log l = {0};
    int64_t ia, ib, seq, last;

    (void)state;
    assert_int_equal(store_open_file(path, &s), 0);
    assert_int_equal(store_notify_last(s, &last), 0);
    assert_int_equal(last, 0);
    assert_int_equal(store_incident_insert(s, &a, &ia), 0);
    assert_int_equal(store_incident_insert(s, &a, &ib), 0);
    ack.incident = ia;
    assert_int_equal(store_cmd_apply(s, &ack, 12000, "cli", &r), 0); /* not told */
    assert_int_equal(store_incident_resolve_auto(s, ia, 20000, 80000, 0), 0);
    assert_int_equal(store_incident_resolve_auto(s, ia, 20000, 90000, 0), -1); /* once */
    c.incident = ib;
    assert_int_equal(store_cmd_apply(s, &c, 95000, "cli", &r), 0);
    /* An escalation is logged once per level. */
    assert_int_equal(store_notify_add(s, "incident", ib, "escalated", 50000, "1", &seq), 0);
    assert_true(seq > 0);
    assert_int_equal(store_notify_add(s, "incident", ib, "escalated", 60000, "1", &seq), 0);
    assert_int_equal(seq, 0);
    assert_int_equal(store_notify_add(s, "incident", ib, "closed", 1, NULL, &seq), -1);
    assert_int_equal(errno, EINVAL);

    assert_int_equal(store_notify_each(s, 0, 100, collect, &l), 0);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.what[0], "opened");
    assert_int_equal(l.ref[0], ia);
    assert_int_equal(l.at[0], 11000);
    assert_string_equal(l.what[1], "opened");
    assert_int_equal(l.ref[1], ib);
    assert_string_equal(l.what[2], "resolved");
    assert_int_equal(l.ref[2], ia);
    assert_int_equal(l.at[2], 80000);
    assert_string_equal(l.what[3], "resolved");
    assert_int_equal(l.ref[3], ib);
    assert_int_equal(l.at[3], 95000);
    assert_string_equal(l.what[4], "escalated");
    assert_string_equal(l.detail[4], "1");
    for (size_t i = 1; i < l.n; i++)
        assert_true(l.seq[i] > l.seq[i - 1]);

    /* Paged: after a seq, at most max. */
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_notify_each(s, 2, 2, collect, &l), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.seq[0], 3);
    store_close(s);
}

/* Without a transaction open (an alert's row, until alerts have theirs), the row commits
 * on its own and survives a reopen. */
static void
test_own_transaction(void **state)
{
    struct store *s = NULL;
    int64_t seq;

    (void)state;
    assert_int_equal(store_open_file(path, &s), 0);
    /* No transaction open: its own. */
    assert_int_equal(store_notify_add(s, "alert", 7, "raised", 1000, "{}", &seq), 0);
    assert_int_equal(seq, 1);
    store_close(s);
    assert_int_equal(store_open_file(path, &s), 0);
    assert_int_equal(store_notify_last(s, &seq), 0);
    assert_int_equal(seq, 1);
    store_close(s);
}

static int
count_channels(const struct store_notify_channel *c, void *arg)
{
    int *n = arg;

    assert_string_equal(c->name, *n == 0 ? "duty" : "mail");
    (*n)++;
    return 0;
}

static void
test_channel_state(void **state)
{
    struct store_incident a = {
        .rule = "r", .device = "d", .severity = "minor", .category = "device", .value = NAN};
    struct store_notify_channel c;
    struct store *s = NULL;
    char buf[256];
    int64_t id;
    int n = 0;

    (void)state;
    assert_int_equal(store_open_file(path, &s), 0);
    assert_int_equal(store_incident_insert(s, &a, &id), 0);
    assert_int_equal(store_incident_insert(s, &a, &id), 0);
    /* New: at the end of the log. */
    assert_int_equal(store_notify_channel_get(s, "duty", &c, buf, sizeof(buf)), 0);
    assert_string_equal(c.name, "duty");
    assert_int_equal(c.cursor, 2);
    assert_int_equal(c.failing_since, 0);
    assert_null(c.last_error);
    c.cursor = 1;
    c.failing_since = 5000;
    c.attempts = 3;
    c.last_error = "HTTP 502";
    assert_int_equal(store_notify_channel_set(s, &c), 0);
    assert_int_equal(store_incident_insert(s, &a, &id), 0);
    assert_int_equal(store_notify_channel_get(s, "mail", &c, buf, sizeof(buf)), 0);
    assert_int_equal(c.cursor, 3);
    store_close(s);

    assert_int_equal(store_open_readonly(path, &s), 0);
    assert_int_equal(store_notify_channel_each(s, count_channels, &n), 0);
    assert_int_equal(n, 2);
    store_close(s);
    assert_int_equal(store_open_file(path, &s), 0);
    assert_int_equal(store_notify_channel_get(s, "duty", &c, buf, sizeof(buf)), 0);
    assert_int_equal(c.cursor, 1);
    assert_int_equal(c.failing_since, 5000);
    assert_int_equal(c.attempts, 3);
    assert_string_equal(c.last_error, "HTTP 502");
    store_close(s);
}

static int
count_held(const struct store_notify_event *ev, void *arg)
{
    struct log *l = arg;

    l->ref[l->n] = ev->ref;
    snprintf(l->what[l->n], sizeof(l->what[0]), "%s", ev->what);
    l->n++;
    return 0;
}

static int
count_silences(const struct store_silence *sl, void *arg)
{
    (void)sl;
    (*(int *)arg)++;
    return 0;
}

/* A silence covers its rule/device in [starts, ends); a resolution with its opening; it is
 * recorded once; it lists what it held back. */
static void
test_silences(void **state)
{
    struct store_silence dev = {
        .starts = 10000, .ends = 20000, .device = "meter1", .by = "li", .note = "检修"};
    struct store_silence all = {.starts = 50000, .ends = 60000, .by = "li", .note = "all"};
    struct store_incident in = {.rule = "mains",
                                .device = "meter1",
                                .severity = "major",
                                .category = "power",
                                .value = NAN};
    struct store *s = NULL;
    struct log l = {0};
    int64_t id, id2, sid, inc;
    int n = 0;

    (void)state;
    assert_int_equal(store_open_file(path, &s), 0);
    assert_int_equal(store_silence_add(s, &dev, 5000, &id), 0);
    assert_int_equal(store_silence_add(s, &dev, 6000, &id2), 0); /* again: once */
    assert_int_equal(id2, id);
    assert_int_equal(store_silence_add(s, &all, 5000, &id2), 0);
    assert_true(id2 > id);
    dev.ends = dev.starts;
    assert_int_equal(store_silence_add(s, &dev, 5000, &sid), -1);
    assert_int_equal(errno, EINVAL);

    assert_int_equal(store_silence_covers(s, "mains", "meter1", 15000, &sid), 1);
    assert_int_equal(sid, id);
    assert_int_equal(store_silence_covers(s, "mains", "meter1", 20000, &sid), 0); /* ends: out */
    assert_int_equal(store_silence_covers(s, "mains", "th1", 15000, &sid), 0);
    assert_int_equal(store_silence_covers(s, NULL, NULL, 15000, &sid), 0); /* an alert */
    assert_int_equal(store_silence_covers(s, NULL, NULL, 55000, &sid), 1);
    assert_int_equal(sid, id2);

    /* Opened inside, resolved after: both held back by the device's silence. */
    in.started = 11000;
    in.detected = 12000;
    assert_int_equal(store_incident_insert(s, &in, &inc), 0);
    assert_int_equal(store_incident_resolve_auto(s, inc, 25000, 30000, 0), 0);
    in.detected = 40000;
    assert_int_equal(store_incident_insert(s, &in, &inc), 0); /* outside every silence */
    assert_int_equal(store_silence_held(s, id, count_held, &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.what[0], "opened");
    assert_string_equal(l.what[1], "resolved");
    assert_int_equal(l.ref[0], 1);
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_silence_held(s, id2, count_held, &l), 0);
    assert_int_equal(l.n, 0);
    /* Recorded late: it does not reach back before it was recorded. */
    all.starts = 70000;
    all.ends = 90000;
    assert_int_equal(store_silence_add(s, &all, 80000, &sid), 0);
    assert_int_equal(store_silence_covers(s, "mains", "th1", 75000, &sid), 0);
    assert_int_equal(store_silence_covers(s, "mains", "th1", 80000, &sid), 1);
    assert_int_equal(store_silence_each(s, 0, count_silences, &n), 0);
    assert_int_equal(n, 3);
    n = 0;
    assert_int_equal(store_silence_each(s, 30000, count_silences, &n), 0); /* ended before */
    assert_int_equal(n, 2);
    store_close(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_transitions_are_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_channel_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silences, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
