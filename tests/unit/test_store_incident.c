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

#include "store_tmp.h"

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

/* The schema is version 5 after migration; reopening keeps the incidents; ids are never
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
    assert_int_equal(STORE_SCHEMA_VERSION, 10);
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

/* One incident's fields a command may change, copied out of the walk. */
struct row {
    int64_t acked, resolved;
    char acked_by[16], ack_note[16], how[8], resolved_by[16], cause[16], measure[16];
};

static int
get_row(const struct store_incident *in, void *arg)
{
    struct row *r = arg;

    r->acked = in->acked;
    r->resolved = in->resolved;
    snprintf(r->acked_by, sizeof(r->acked_by), "%s", in->acked_by ? in->acked_by : "-");
    snprintf(r->ack_note, sizeof(r->ack_note), "%s", in->ack_note ? in->ack_note : "-");
    snprintf(r->how, sizeof(r->how), "%s", in->resolved_how ? in->resolved_how : "-");
    snprintf(r->resolved_by, sizeof(r->resolved_by), "%s", in->resolved_by ? in->resolved_by : "-");
    snprintf(r->cause, sizeof(r->cause), "%s", in->cause ? in->cause : "-");
    snprintf(r->measure, sizeof(r->measure), "%s", in->measure ? in->measure : "-");
    return 0;
}

static struct row
row_of(struct store *s, int64_t id)
{
    struct row r;

    memset(&r, 0, sizeof(r));
    assert_int_equal(store_incident_get(s, id, get_row, &r), 0);
    return r;
}

struct changes {
    size_t n;
    int64_t seq[16], incident[16];
    char what[16][16];
};

static int
get_change(const struct store_change *ch, void *arg)
{
    struct changes *c = arg;

    c->seq[c->n] = ch->seq;
    c->incident[c->n] = ch->incident;
    snprintf(c->what[c->n], sizeof(c->what[0]), "%s", ch->what);
    c->n++;
    return 0;
}

static size_t
nchanges(struct store *s)
{
    struct changes c = {0};

    assert_int_equal(store_change_each(s, get_change, &c), 0);
    return c.n;
}

static void
insert(struct store *s, int64_t detected, int64_t *id)
{
    struct store_incident in = {.rule = "mains",
                                .device = "meter1",
                                .point = "v_l1",
                                .severity = "major",
                                .category = "power",
                                .started = detected - 2000,
                                .detected = detected,
                                .value = 190.0};

    assert_int_equal(store_incident_insert(s, &in, id), 0);
}

/* Acknowledgement: once, by the first to ack; never before the detection; not after an
 * unacknowledged resolution; an unknown incident is refused. Nothing refused or repeated
 * is written, nor logged as a change. */
static void
test_cmd_ack(void **state)
{
    struct store_cmd ack = {.kind = STORE_CMD_ACK, .by = "alice", .note = "on it"};
    struct store_cmd_result r;
    struct store *s = NULL;
    struct row row;
    int64_t a, b, c;

    (void)state;
    assert_int_equal(store_open(dir, &s), 0);
    insert(s, 11000, &a);
    insert(s, 40000, &b);
    insert(s, 50000, &c);

    ack.incident = a;
    assert_int_equal(store_cmd_apply(s, &ack, 20000, "mqtt", &r), 0);
    assert_int_equal(r.changed, 1);
    assert_string_equal(r.what, "acknowledged");
    assert_int_equal(r.id, a);
    row = row_of(s, a);
    assert_int_equal(row.acked, 20000);
    assert_string_equal(row.acked_by, "alice");
    assert_string_equal(row.ack_note, "on it");
    assert_int_equal(nchanges(s), 4); /* the three detections, the acknowledgement */

    /* A repeat, even by someone else, changes nothing and says so. */
    ack.by = "bob";
    ack.note = NULL;
    assert_int_equal(store_cmd_apply(s, &ack, 30000, "cli", &r), 0);
    assert_int_equal(r.changed, 0);
    assert_null(r.what);
    assert_string_equal(r.why, "already acknowledged by alice; nothing changed");
    row = row_of(s, a);
    assert_int_equal(row.acked, 20000);
    assert_string_equal(row.acked_by, "alice");
    assert_string_equal(row.ack_note, "on it");
    assert_int_equal(nchanges(s), 4); /* the three detections, the acknowledgement */

    /* A clock behind the detection: the acknowledgement is at the detection, not before. */
    ack.incident = b;
    assert_int_equal(store_cmd_apply(s, &ack, 39000, "cli", &r), 0);
    assert_int_equal(row_of(s, b).acked, 40000);

    /* Resolved before anyone acknowledged it: refused, nothing written. */
    assert_int_equal(store_incident_resolve_auto(s, c, 52000, 55000, 0), 0);
    ack.incident = c;
    assert_int_equal(store_cmd_apply(s, &ack, 60000, "mqtt", &r), -1);
    assert_int_equal(errno, EALREADY);
    assert_string_equal(r.why, "resolved before anyone acknowledged it; an acknowledgement "
                               "after the resolution is not recorded");
    assert_int_equal(row_of(s, c).acked, 0);

    ack.incident = 99;
    assert_int_equal(store_cmd_apply(s, &ack, 60000, "mqtt", &r), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(r.why, "no such incident");
    assert_int_equal(nchanges(s), 6); /* and c's automatic resolution, b's acknowledgement */

    /* A field missing is the caller's error, not a state. */
    ack.incident = a;
    ack.by = NULL;
    assert_int_equal(store_cmd_apply(s, &ack, 60000, "mqtt", &r), -1);
    assert_int_equal(errno, EINVAL);
    store_close(s);
}

static char *
answer_of(const struct store_cmd_result *r, void *arg)
{
    char *t = malloc(64);

    (void)arg;
    snprintf(t, 64, "{\"incident\":%lld,\"message\":\"%s\"}", (long long)r->id, r->what);
    return t;
}

struct msgs {
    size_t n;
    char payload[4][64];
};

static int
get_msg(const struct store_outbox_msg *m, void *arg)
{
    struct msgs *o = arg;

    assert_string_equal(m->topic, "cmd/result");
    snprintf(o->payload[o->n++], sizeof(o->payload[0]), "%s", m->payload);
    return 0;
}

/* A command that changes the record is answered in its own transaction: the answer is in the
 * outbox with the change; a repeat queues nothing; a full outbox keeps the change and leaves
 * the answer to the caller. */
static void
test_cmd_answered(void **state)
{
    struct store_cmd ack = {.kind = STORE_CMD_ACK, .by = "alice"};
    struct store_cmd_reply reply = {"cmd/result", 10, answer_of, NULL, 0};
    struct store_cmd_result r;
    struct store *s = NULL;
    struct msgs m = {0};
    int64_t a, b;

    (void)state;
    assert_int_equal(store_open(dir, &s), 0);
    insert(s, 11000, &a);
    insert(s, 12000, &b);
    ack.incident = a;
    assert_int_equal(store_cmd_apply_answered(s, &ack, 20000, "mqtt", &r, &reply), 0);
    assert_int_equal(reply.queued, 1);
    assert_int_equal(store_outbox_each(s, 0, 4, get_msg, &m), 0);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.payload[0], "{\"incident\":1,\"message\":\"acknowledged\"}");

    assert_int_equal(store_cmd_apply_answered(s, &ack, 21000, "mqtt", &r, &reply), 0);
    assert_int_equal(r.changed, 0);
    assert_int_equal(reply.queued, 0);

    reply.max = 1; /* full */
    ack.incident = b;
    assert_int_equal(store_cmd_apply_answered(s, &ack, 22000, "mqtt", &r, &reply), 0);
    assert_int_equal(r.changed, 1);
    assert_int_equal(reply.queued, 0);
    assert_int_equal(row_of(s, b).acked, 22000);
    memset(&m, 0, sizeof(m));
    assert_int_equal(store_outbox_each(s, 0, 4, get_msg, &m), 0);
    assert_int_equal(m.n, 1);
    store_close(s);
}

/* Resolution by hand: an open incident is resolved (not before its ack); the same notes
 * again change nothing, other notes are refused; an automatic resolution gets its notes
 * once, keeping its time and "auto". */
static void
test_cmd_resolve(void **state)
{
    struct store_cmd res = {
        .kind = STORE_CMD_RESOLVE, .by = "bob", .cause = "fuse", .measure = "replaced"};
    struct store_cmd ack = {.kind = STORE_CMD_ACK, .by = "alice"};
    struct store_cmd_result r;
    struct store *s = NULL;
    struct changes ch = {0};
    struct row row;
    int64_t a, b;

    (void)state;
    assert_int_equal(store_open(dir, &s), 0);
    insert(s, 11000, &a);
    insert(s, 12000, &b);
    ack.incident = a;
    assert_int_equal(store_cmd_apply(s, &ack, 30000, "mqtt", &r), 0);

    /* A resolution stamped before the ack (clocks differ) lands at the ack. */
    res.incident = a;
    assert_int_equal(store_cmd_apply(s, &res, 25000, "cli", &r), 0);
    assert_int_equal(r.changed, 1);
    assert_string_equal(r.what, "resolved");
    row = row_of(s, a);
    assert_int_equal(row.resolved, 30000);
    assert_string_equal(row.how, "hand");
    assert_string_equal(row.resolved_by, "bob");
    assert_string_equal(row.cause, "fuse");
    assert_string_equal(row.measure, "replaced");

    assert_int_equal(store_cmd_apply(s, &res, 90000, "mqtt", &r), 0);
    assert_int_equal(r.changed, 0);
    assert_string_equal(r.why, "already resolved with this cause and measure; nothing changed");
    res.cause = "mains";
    assert_int_equal(store_cmd_apply(s, &res, 90000, "mqtt", &r), -1);
    assert_int_equal(errno, EALREADY);
    assert_string_equal(r.why,
                        "already resolved with another cause and measure; the record is not "
                        "rewritten");
    row = row_of(s, a);
    assert_int_equal(row.resolved, 30000);
    assert_string_equal(row.cause, "fuse");

    /* The condition of a hand-resolved incident clears later: nothing to resolve. */
    assert_int_equal(store_incident_resolve_auto(s, a, 95000, 98000, 0), -1);
    assert_int_equal(errno, ENOENT);

    /* Resolved automatically: the notes complete it; time and "auto" stay. */
    assert_int_equal(store_incident_resolve_auto(s, b, 14000, 17000, 0), 0);
    res.incident = b;
    assert_int_equal(store_cmd_apply(s, &res, 70000, "cli", &r), 0);
    assert_int_equal(r.changed, 1);
    assert_string_equal(r.what, "noted");
    row = row_of(s, b);
    assert_int_equal(row.resolved, 17000);
    assert_string_equal(row.how, "auto");
    assert_string_equal(row.cause, "mains");

    res.incident = 99;
    assert_int_equal(store_cmd_apply(s, &res, 70000, "cli", &r), -1);
    assert_int_equal(errno, ENOENT);

    /* The change log: every change in the order it was made, the detector's (written with
     * the transition) and the commands', then published one by one. */
    assert_int_equal(store_change_each(s, get_change, &ch), 0);
    assert_int_equal(ch.n, 6);
    const char *const what[] = {"detected", "detected", "acknowledged",
                                "resolved", "auto_resolved", "noted"};
    const int64_t inc[] = {a, b, a, a, b, b};
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(ch.what[i], what[i]);
        assert_int_equal(ch.incident[i], inc[i]);
        assert_true(i == 0 || ch.seq[i - 1] < ch.seq[i]);
    }

    /* Marked with the message that publishes it, in one commit: a full outbox takes neither. */
    struct store_pubmark m0 = {STORE_PUB_CHANGE, ch.seq[0]}, bad = {(enum store_pubtable)9, 1};
    int64_t id, n, oldest;

    assert_int_equal(store_outbox_add(s, "incident/1", "{}", 1000, 0, &m0, &id), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(nchanges(s), 6);
    assert_int_equal(store_outbox_add(s, "incident/1", "{}", 1000, 10, &bad, &id), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(store_outbox_stats(s, &n, &oldest), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_outbox_add(s, "incident/1", "{}", 1000, 10, &m0, &id), 0);
    assert_true(id > 0);
    assert_int_equal(store_outbox_stats(s, &n, &oldest), 0);
    assert_int_equal(n, 1);
    memset(&ch, 0, sizeof(ch));
    assert_int_equal(store_change_each(s, get_change, &ch), 0);
    assert_int_equal(ch.n, 5);
    assert_string_equal(ch.what[0], "detected");
    assert_int_equal(ch.incident[0], b);
    /* Marked alone (a message that did not go through the outbox). */
    m0.id = ch.seq[0];
    assert_int_equal(store_mark_published(s, &m0), 0);
    assert_int_equal(nchanges(s), 4);
    store_close(s);
}

/* Events: recorded once (a repeat names the same event), linked to an existing incident
 * only. */
static void
test_cmd_event(void **state)
{
    struct store_cmd ev = {.kind = STORE_CMD_EVENT,
                           .by = "li",
                           .note = "quarterly check",
                           .event_kind = "maintenance",
                           .at = 1772328600000LL};
    struct store_cmd_result r;
    struct store *s = NULL;
    int64_t a;

    (void)state;
    assert_int_equal(store_open(dir, &s), 0);
    assert_int_equal(store_cmd_apply(s, &ev, 1772330000000LL, "mqtt", &r), 0);
    assert_int_equal(r.changed, 1);
    assert_string_equal(r.what, "recorded");
    assert_int_equal(r.id, 1);
    assert_int_equal(store_cmd_apply(s, &ev, 1772330000500LL, "cli", &r), 0);
    assert_int_equal(r.changed, 0);
    assert_int_equal(r.id, 1);
    assert_string_equal(r.why, "the same event is recorded already; nothing changed");
    ev.note = "quarterly check, UPS too";
    assert_int_equal(store_cmd_apply(s, &ev, 1772330001000LL, "cli", &r), 0);
    assert_int_equal(r.id, 2);

    ev.incident = 5;
    assert_int_equal(store_cmd_apply(s, &ev, 1772330001000LL, "cli", &r), -1);
    assert_int_equal(errno, ENOENT);
    insert(s, 11000, &a);
    ev.incident = a;
    assert_int_equal(store_cmd_apply(s, &ev, 1772330001000LL, "cli", &r), 0);
    assert_int_equal(r.changed, 1);
    assert_int_equal(r.id, 3);
    /* Events are not incident changes: nothing to publish on incident/<id> but the detection. */
    assert_int_equal(nchanges(s), 1);
    store_close(s);
}

/* The daemon sees another connection's commit (the CLI's) in data_version, not its own. */
struct evseen {
    size_t n;
    int64_t id[8], at[8], incident[8];
};

static int
collect_event(const struct store_event *ev, void *arg)
{
    struct evseen *e = arg;

    e->id[e->n] = ev->id;
    e->at[e->n] = ev->at;
    e->incident[e->n] = ev->incident;
    e->n++;
    return 0;
}

/* A period's record: incidents detected before its end and not resolved before its start;
 * events with start <= at < end. Each event is unpublished until marked, once. */
static void
test_period_and_event_publishing(void **state)
{
    struct store_incident a = {
        .rule = "r", .device = "d", .severity = "minor", .category = "device", .value = NAN};
    struct store_cmd ev = {
        .kind = STORE_CMD_EVENT, .by = "li", .note = "n", .event_kind = "maintenance"};
    struct store_cmd_result r;
    struct seen got = {0};
    struct evseen evs = {0}, unpub = {0};
    struct store *s = NULL;
    int64_t id;

    (void)state;
    assert_int_equal(store_open(dir, &s), 0);
    /* 1: resolved before the period; 2: open across its start; 3: detected in it and
     * resolved; 4: detected at its end (the next period's). Period: [1000, 2000). */
    a.detected = 100;
    assert_int_equal(store_incident_insert(s, &a, &id), 0);
    assert_int_equal(store_incident_resolve_auto(s, id, 900, 999, 0), 0);
    a.detected = 500;
    assert_int_equal(store_incident_insert(s, &a, &id), 0);
    a.detected = 1500;
    assert_int_equal(store_incident_insert(s, &a, &id), 0);
    assert_int_equal(store_incident_resolve_auto(s, id, 1600, 1700, 0), 0);
    a.detected = 2000;
    assert_int_equal(store_incident_insert(s, &a, &id), 0);
    assert_int_equal(store_incident_period(s, 1000, 2000, collect, &got), 0);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.v[0].id, 2);
    assert_int_equal(got.v[1].id, 3);

    ev.at = 999;
    assert_int_equal(store_cmd_apply(s, &ev, 3000, "cli", &r), 0);
    ev.at = 1000;
    ev.incident = 3;
    assert_int_equal(store_cmd_apply(s, &ev, 3000, "mqtt", &r), 0);
    ev.at = 2000;
    ev.incident = 0;
    assert_int_equal(store_cmd_apply(s, &ev, 3000, "mqtt", &r), 0);
    assert_int_equal(store_event_period(s, 1000, 2000, collect_event, &evs), 0);
    assert_int_equal(evs.n, 1);
    assert_int_equal(evs.at[0], 1000);
    assert_int_equal(evs.incident[0], 3);

    assert_int_equal(store_event_unpublished(s, collect_event, &unpub), 0);
    assert_int_equal(unpub.n, 3);
    struct store_pubmark e0 = {STORE_PUB_EVENT, unpub.id[0]}, e2 = {STORE_PUB_EVENT, unpub.id[2]};
    assert_int_equal(store_mark_published(s, &e0), 0);
    assert_int_equal(store_mark_published(s, &e2), 0);
    memset(&unpub, 0, sizeof(unpub));
    assert_int_equal(store_event_unpublished(s, collect_event, &unpub), 0);
    assert_int_equal(unpub.n, 1);
    assert_int_equal(unpub.at[0], 1000);
    store_close(s);
}

/* A walk of the period's incidents whose callback walks the same query again: the cached
 * statement is in use, so the inner walk must get one of its own (store_stmt()). */
struct nested {
    struct store *s;
    size_t outer, inner;
};

static int
count_inner(const struct store_incident *in, void *arg)
{
    (void)in;
    ((struct nested *)arg)->inner++;
    return 0;
}

static int
walk_again(const struct store_incident *in, void *arg)
{
    struct nested *n = arg;

    (void)in;
    n->outer++;
    return store_incident_period(n->s, 1000, 2000, count_inner, n);
}

/* The daemon's cached statements: nested walks, another connection's commits seen by the
 * next walk (a kept statement must not keep an old read snapshot), every walk repeatable. */
static void
test_cached_statements(void **state)
{
    struct store_incident a = {
        .rule = "r", .device = "d", .severity = "minor", .category = "device", .value = NAN};
    struct store *s = NULL, *cli = NULL;
    struct nested n = {0};
    struct seen got = {0};
    int64_t id;

    (void)state;
    assert_int_equal(store_open(dir, &s), 0);
    a.detected = 1100;
    assert_int_equal(store_incident_insert(s, &a, &id), 0);
    a.detected = 1200;
    assert_int_equal(store_incident_insert(s, &a, &id), 0);
    n.s = s;
    assert_int_equal(store_incident_period(s, 1000, 2000, walk_again, &n), 0);
    assert_int_equal(n.outer, 2);
    assert_int_equal(n.inner, 4);
    /* Another connection (the CLI) adds one: the daemon's next walk sees it. */
    assert_int_equal(store_open_file_rw(path, &cli), 0);
    a.detected = 1300;
    assert_int_equal(store_incident_insert(cli, &a, &id), 0);
    store_close(cli);
    assert_int_equal(store_incident_period(s, 1000, 2000, collect, &got), 0);
    assert_int_equal(got.n, 3);
    assert_int_equal(got.v[2].detected, 1300);
    memset(&got, 0, sizeof(got));
    assert_int_equal(store_incident_period(s, 1250, 2000, collect, &got), 0);
    assert_int_equal(got.n, 3); /* none resolved: all still open in [1250, 2000) */
    store_close(s);
}

static void
test_data_version(void **state)
{
    struct store_cmd ack = {.kind = STORE_CMD_ACK, .by = "alice"};
    struct store_cmd_result r;
    struct store *d = NULL, *cli = NULL;
    int64_t v0, v1, v2, a;

    (void)state;
    assert_int_equal(store_open(dir, &d), 0);
    insert(d, 11000, &a);
    assert_int_equal(store_data_version(d, &v0), 0);
    insert(d, 12000, &a);
    assert_int_equal(store_data_version(d, &v1), 0);
    assert_int_equal(v1, v0);
    assert_int_equal(store_open_file_rw(path, &cli), 0);
    ack.incident = a;
    assert_int_equal(store_cmd_apply(cli, &ack, 20000, "cli", &r), 0);
    store_close(cli);
    assert_int_equal(store_data_version(d, &v2), 0);
    assert_true(v2 != v1);
    assert_int_equal(nchanges(d), 3); /* two detections, the CLI's acknowledgement */
    store_close(d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_incident_insert_resolve_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incident_schema_and_read_only_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmd_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmd_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmd_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cmd_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_period_and_event_publishing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cached_statements, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
