/*
 * store_incident.c - incidents in the store (see store.h, "Incidents").
 *
 * Durability: a transition is written in its own transaction (BEGIN IMMEDIATE ... COMMIT,
 * fsync()ed by synchronous=FULL) rather than with the next checkpoint, because it is
 * published right after: a checkpoint may be a minute away, and an incident the broker has
 * seen must not vanish with a power cut in that minute. Transitions are rare (a few a day),
 * so the fsync each costs nothing next to the checkpoints. Each transition, the detector's
 * and a command's, adds its row to the change log (incident_change) in its transaction: the
 * publisher's to-do list, marked when the message is in the outbox (store_outbox_add()).
 */
#include "store/store.h"
#include "store/store_priv.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

static int cmd_log(sqlite3 *db, int64_t incident, const char *what, int64_t now,
                   const char *source);

#define COLUMNS                                                                                    \
    "id, rule, device, point, severity, category, started_at, detected_at, detected_value, "       \
    "acked_at, acked_by, ack_note, cleared_at, resolved_at, resolved_how, resolved_by, cause, "    \
    "measure, flags"


int
store_incident_insert(struct store *s, const struct store_incident *in, int64_t *id)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;

    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 0);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO incident (rule, device, point, severity, category, "
                           "started_at, detected_at, detected_value) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 1);
    sqlite3_bind_text(st, 1, in->rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, in->device, -1, SQLITE_STATIC);
    if (in->point != NULL)
        sqlite3_bind_text(st, 3, in->point, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, in->severity, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, in->category, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, in->started);
    sqlite3_bind_int64(st, 7, in->detected);
    if (isfinite(in->value))
        sqlite3_bind_double(st, 8, in->value);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(db, st, 1);
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(db);
    /* Told and logged for the publisher in the same transaction: an incident on disk is an
     * incident notified and published. */
    if (store_notify_log(db, "incident", *id, "opened", in->detected, NULL, NULL) < 0 ||
        cmd_log(db, *id, "detected", in->detected, "detector") < 0)
        return store_fail(db, NULL, 1);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 1);
    return 0;
}

int
store_incident_resolve_auto(struct store *s, int64_t id, int64_t cleared, int64_t resolved,
                            unsigned flags)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int changed;

    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 0);
    if (sqlite3_prepare_v2(db,
                           "UPDATE incident SET cleared_at = ?, resolved_at = ?, "
                           "resolved_how = 'auto', flags = flags | ? "
                           "WHERE id = ? AND resolved_at IS NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 1);
    sqlite3_bind_int64(st, 1, cleared);
    sqlite3_bind_int64(st, 2, resolved);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)flags);
    sqlite3_bind_int64(st, 4, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(db, st, 1);
    sqlite3_finalize(st);
    changed = sqlite3_changes(db);
    if (changed > 0 &&
        (store_notify_log(db, "incident", id, "resolved", resolved, NULL, NULL) < 0 ||
         cmd_log(db, id, "auto_resolved", resolved, "detector") < 0))
        return store_fail(db, NULL, 1);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 1);
    if (changed == 0) {
        errno = ENOENT;
        return -1;
    }
    return 0;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i); /* NULL for SQL NULL */
}

static int64_t
col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

static void
read_row(sqlite3_stmt *st, struct store_incident *in)
{
    in->id = sqlite3_column_int64(st, 0);
    in->rule = col_text(st, 1);
    in->device = col_text(st, 2);
    in->point = col_text(st, 3);
    in->severity = col_text(st, 4);
    in->category = col_text(st, 5);
    in->started = col_time(st, 6);
    in->detected = col_time(st, 7);
    in->value = sqlite3_column_type(st, 8) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 8);
    in->acked = col_time(st, 9);
    in->acked_by = col_text(st, 10);
    in->ack_note = col_text(st, 11);
    in->cleared = col_time(st, 12);
    in->resolved = col_time(st, 13);
    in->resolved_how = col_text(st, 14);
    in->resolved_by = col_text(st, 15);
    in->cause = col_text(st, 16);
    in->measure = col_text(st, 17);
    in->flags = (unsigned)sqlite3_column_int64(st, 18);
}

int
store_incident_each(struct store *s, int open_only,
                    int (*fn)(const struct store_incident *in, void *arg), void *arg)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int rc, r = 0;

    if (sqlite3_prepare_v2(db,
                           open_only ? "SELECT " COLUMNS " FROM incident "
                                       "WHERE resolved_at IS NULL ORDER BY id"
                                     : "SELECT " COLUMNS " FROM incident ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_incident in;

        read_row(st, &in);
        if ((r = fn(&in, arg)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return r;
}

int
store_incident_period(struct store *s, int64_t start, int64_t end,
                      int (*fn)(const struct store_incident *in, void *arg), void *arg)
{
    sqlite3_stmt *st;
    int rc, r = 0;

    /* resolved_at >= acked_at always (store_cmd_apply()), so an incident resolved before
     * start was acknowledged before it too and counts in no indicator of the period. Asked
     * for the incident indicators and their alerts: a cached statement. */
    if ((st = store_stmt(s, "SELECT " COLUMNS " FROM incident WHERE detected_at < ?1 AND "
                            "(resolved_at IS NULL OR resolved_at >= ?2) ORDER BY id")) == NULL)
        return store_stmt_fail(s, st);
    sqlite3_bind_int64(st, 1, end);
    sqlite3_bind_int64(st, 2, start);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_incident in;

        read_row(st, &in);
        if ((r = fn(&in, arg)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        return store_stmt_fail(s, st);
    store_stmt_done(s, st);
    return r;
}

#define EVENT_COLUMNS "id, kind, at, by, note, incident, recorded_at"

/* Walks the events sql (a literal: store_stmt()) selects (EVENT_COLUMNS, nnums int64
 * parameters). */
static int
event_walk(struct store *s, const char *sql, const int64_t *nums, size_t nnums,
           int (*fn)(const struct store_event *ev, void *arg), void *arg)
{
    sqlite3_stmt *st;
    int rc, r = 0;

    if ((st = store_stmt(s, sql)) == NULL)
        return store_stmt_fail(s, st);
    for (size_t i = 0; i < nnums; i++)
        sqlite3_bind_int64(st, (int)(i + 1), nums[i]);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_event ev;

        ev.id = sqlite3_column_int64(st, 0);
        ev.kind = col_text(st, 1);
        ev.at = sqlite3_column_int64(st, 2);
        ev.by = col_text(st, 3);
        ev.note = col_text(st, 4);
        ev.incident = col_time(st, 5);
        ev.recorded_at = sqlite3_column_int64(st, 6);
        if ((r = fn(&ev, arg)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        return store_stmt_fail(s, st);
    store_stmt_done(s, st);
    return r;
}

int
store_event_period(struct store *s, int64_t start, int64_t end,
                   int (*fn)(const struct store_event *ev, void *arg), void *arg)
{
    const int64_t nums[] = {start, end};

    return event_walk(s, "SELECT " EVENT_COLUMNS " FROM event WHERE at >= ? AND at < ? ORDER BY id",
                      nums, 2, fn, arg);
}

int
store_event_unpublished(struct store *s, int (*fn)(const struct store_event *ev, void *arg),
                        void *arg)
{
    return event_walk(s, "SELECT " EVENT_COLUMNS " FROM event WHERE published = 0 ORDER BY id",
                      NULL, 0, fn, arg);
}

int
store_incident_get(struct store *s, int64_t id,
                   int (*fn)(const struct store_incident *in, void *arg), void *arg)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    struct store_incident in;
    int rc;

    if (sqlite3_prepare_v2(db, "SELECT " COLUMNS " FROM incident WHERE id = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        errno = ENOENT;
        return -1;
    }
    if (rc != SQLITE_ROW)
        return store_fail(db, st, 0);
    read_row(st, &in);
    rc = fn(&in, arg);
    sqlite3_finalize(st);
    return rc;
}

/*
 * Commands (store_cmd_apply). Each runs inside the caller's BEGIN IMMEDIATE: the row is read
 * and written under the write lock, so a state seen here is still the state written over.
 */

/* The state of one incident a command looks at. */
struct cmd_row {
    int64_t detected, acked, resolved;
    char how[8];           /* "auto", "hand", "" */
    int has_by, has_cause; /* resolved_by, cause not NULL */
    int same_notes;        /* resolved_by, cause, measure equal the command's */
    char acked_by[260];    /* for the reply: rcmd.h keeps "by" within 64 characters, 256 bytes */
};

/* 0 and *row, -1 with ENOENT (no such incident) or EIO. */
static int
cmd_load(sqlite3 *db, const struct store_cmd *c, struct cmd_row *row)
{
    sqlite3_stmt *st = NULL;
    const char *how;
    int rc;

    if (sqlite3_prepare_v2(db,
                           "SELECT detected_at, acked_at, resolved_at, resolved_how, "
                           "resolved_by IS NOT NULL, cause IS NOT NULL, "
                           "resolved_by IS ? AND cause IS ? AND measure IS ?, acked_by "
                           "FROM incident WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_text(st, 1, c->by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->cause, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->measure, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, c->incident);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        errno = ENOENT;
        return -1;
    }
    if (rc != SQLITE_ROW)
        return store_fail(db, st, 0);
    row->detected = col_time(st, 0);
    row->acked = col_time(st, 1);
    row->resolved = col_time(st, 2);
    how = col_text(st, 3);
    snprintf(row->how, sizeof(row->how), "%s", how != NULL ? how : "");
    row->has_by = sqlite3_column_int(st, 4);
    row->has_cause = sqlite3_column_int(st, 5);
    row->same_notes = sqlite3_column_int(st, 6);
    how = col_text(st, 7);
    snprintf(row->acked_by, sizeof(row->acked_by), "%s", how != NULL ? how : "");
    sqlite3_finalize(st);
    return 0;
}

/* Runs sql with the int64 and text parameters given (NULL texts bind NULL). */
static int
cmd_exec(sqlite3 *db, const char *sql, const int64_t *nums, size_t nnums, const char *const *texts,
         size_t ntexts)
{
    sqlite3_stmt *st = NULL;
    size_t i;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    for (i = 0; i < nnums; i++)
        sqlite3_bind_int64(st, (int)(i + 1), nums[i]);
    for (i = 0; i < ntexts; i++)
        if (texts[i] != NULL)
            sqlite3_bind_text(st, (int)(nnums + i + 1), texts[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return 0;
}

static int
cmd_log(sqlite3 *db, int64_t incident, const char *what, int64_t now, const char *source)
{
    const int64_t nums[] = {incident, now};
    const char *const texts[] = {what, source};

    return cmd_exec(db,
                    "INSERT INTO incident_change (incident, at, what, source) "
                    "VALUES (?, ?, ?, ?)",
                    nums, 2, texts, 2);
}

static int64_t
max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int
cmd_ack(sqlite3 *db, const struct store_cmd *c, int64_t now, const char *source,
        struct store_cmd_result *r)
{
    struct cmd_row row;

    if (cmd_load(db, c, &row) < 0)
        return -1;
    if (row.acked != 0) {
        snprintf(r->why, sizeof(r->why), "already acknowledged by %s; nothing changed",
                 row.acked_by);
        return 0;
    }
    if (row.resolved != 0) {
        snprintf(r->why, sizeof(r->why),
                 "resolved before anyone acknowledged it; an acknowledgement after the "
                 "resolution is not recorded");
        errno = EALREADY;
        return -1;
    }
    {
        /* A CLI on a clock behind the daemon's must not acknowledge before the detection. */
        const int64_t nums[] = {max64(now, row.detected), c->incident};
        const char *const texts[] = {c->by, c->note};

        if (cmd_exec(db,
                     "UPDATE incident SET acked_at = ?1, acked_by = ?3, ack_note = ?4 "
                     "WHERE id = ?2",
                     nums, 2, texts, 2) < 0 ||
            cmd_log(db, c->incident, "acknowledged", now, source) < 0)
            return -1;
    }
    r->changed = 1;
    r->what = "acknowledged";
    return 0;
}

static int
cmd_resolve(sqlite3 *db, const struct store_cmd *c, int64_t now, const char *source,
            struct store_cmd_result *r)
{
    const char *const texts[] = {c->by, c->cause, c->measure};
    struct cmd_row row;

    if (cmd_load(db, c, &row) < 0)
        return -1;
    if (row.resolved == 0) {
        const int64_t nums[] = {max64(now, max64(row.detected, row.acked)), c->incident};

        if (cmd_exec(db,
                     "UPDATE incident SET resolved_at = ?1, resolved_how = 'hand', "
                     "resolved_by = ?3, cause = ?4, measure = ?5 WHERE id = ?2",
                     nums, 2, texts, 3) < 0 ||
            cmd_log(db, c->incident, "resolved", now, source) < 0 ||
            store_notify_log(db, "incident", c->incident, "resolved", nums[0], NULL, NULL) < 0)
            return -1;
        r->changed = 1;
        r->what = "resolved";
        return 0;
    }
    if (row.same_notes) {
        snprintf(r->why, sizeof(r->why),
                 "already resolved with this cause and measure; nothing "
                 "changed");
        return 0;
    }
    if (row.has_by || row.has_cause) {
        snprintf(r->why, sizeof(r->why),
                 "already resolved with another cause and measure; the record is not rewritten");
        errno = EALREADY;
        return -1;
    }
    {
        /* Resolved automatically, without notes: complete its record. */
        const int64_t nums[] = {c->incident};

        if (cmd_exec(db,
                     "UPDATE incident SET resolved_by = ?2, cause = ?3, measure = ?4 "
                     "WHERE id = ?1",
                     nums, 1, texts, 3) < 0 ||
            cmd_log(db, c->incident, "noted", now, source) < 0)
            return -1;
    }
    r->changed = 1;
    r->what = "noted";
    return 0;
}

static int
cmd_event(sqlite3 *db, const struct store_cmd *c, int64_t now, struct store_cmd_result *r)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (c->event_kind == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (c->incident != 0) {
        struct cmd_row row;

        if (cmd_load(db, c, &row) < 0)
            return -1;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT id FROM event WHERE kind = ? AND at = ? AND by = ? AND "
                           "note IS ? AND incident IS ? ORDER BY id LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_text(st, 1, c->event_kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, c->at);
    sqlite3_bind_text(st, 3, c->by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c->note, -1, SQLITE_STATIC);
    if (c->incident != 0)
        sqlite3_bind_int64(st, 5, c->incident);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r->id = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        snprintf(r->why, sizeof(r->why), "the same event is recorded already; nothing changed");
        return 0;
    }
    if (rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO event (kind, at, by, note, incident, recorded_at) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_text(st, 1, c->event_kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, c->at);
    sqlite3_bind_text(st, 3, c->by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c->note, -1, SQLITE_STATIC);
    if (c->incident != 0)
        sqlite3_bind_int64(st, 5, c->incident);
    sqlite3_bind_int64(st, 6, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    r->id = sqlite3_last_insert_rowid(db);
    r->changed = 1;
    r->what = "recorded";
    return 0;
}

static int
cmd_silence(sqlite3 *db, const struct store_cmd *c, int64_t now, struct store_cmd_result *r)
{
    struct store_silence in = {.starts = c->at,
                               .ends = c->until,
                               .rule = c->rule,
                               .device = c->device,
                               .by = c->by,
                               .note = c->note};
    int added;

    if (store_silence_insert(db, &in, now, &r->id, &added) < 0)
        return -1;
    if (!added) {
        snprintf(r->why, sizeof(r->why), "the same silence is recorded already; nothing changed");
        return 0;
    }
    r->changed = 1;
    r->what = "silenced";
    return 0;
}

/*
 * The answer of a command that changed the record, into the outbox inside its transaction.
 * 0 (queued, or left to the caller: the outbox full, out of memory) or -1 (EIO: the command
 * is not kept either).
 */
static int
queue_answer(sqlite3 *db, const struct store_cmd_result *r, int64_t now,
             struct store_cmd_reply *reply)
{
    char *payload = reply->build(r, reply->arg);
    int64_t id;
    int rc = 0;

    if (payload == NULL)
        return 0;
    if (store_outbox_insert(db, reply->topic, payload, now, reply->max, &id) == 0)
        reply->queued = 1;
    else if (errno != ENOSPC)
        rc = -1;
    free(payload);
    return rc;
}

int
store_cmd_apply(struct store *s, const struct store_cmd *c, int64_t now, const char *source,
                struct store_cmd_result *r)
{
    return store_cmd_apply_answered(s, c, now, source, r, NULL);
}

int
store_cmd_apply_answered(struct store *s, const struct store_cmd *c, int64_t now,
                         const char *source, struct store_cmd_result *r,
                         struct store_cmd_reply *reply)
{
    sqlite3 *db = store_db(s);
    int rc, e;

    memset(r, 0, sizeof(*r));
    if (reply != NULL)
        reply->queued = 0;
    r->id = c->incident;
    if (c->by == NULL || source == NULL ||
        (c->kind == STORE_CMD_RESOLVE && (c->cause == NULL || c->measure == NULL)) ||
        (c->kind != STORE_CMD_EVENT && c->kind != STORE_CMD_SILENCE && c->incident <= 0)) {
        errno = EINVAL;
        return -1;
    }
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 0);
    switch (c->kind) {
    case STORE_CMD_ACK:
        rc = cmd_ack(db, c, now, source, r);
        break;
    case STORE_CMD_RESOLVE:
        rc = cmd_resolve(db, c, now, source, r);
        break;
    case STORE_CMD_EVENT:
        rc = cmd_event(db, c, now, r);
        break;
    case STORE_CMD_SILENCE:
        rc = cmd_silence(db, c, now, r);
        break;
    default:
        errno = EINVAL;
        rc = -1;
        break;
    }
    if (rc == 0 && r->changed && reply != NULL && queue_answer(db, r, now, reply) < 0)
        rc = -1; /* errno EIO */
    if (rc == 0 && r->changed && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        errno = EIO;
        rc = -1;
    }
    if (rc < 0 && reply != NULL)
        reply->queued = 0;
    if (rc < 0 || !r->changed) {
        /* Nothing to keep: a refusal, a repeat, or a failed commit. */
        e = errno;
        store_rollback(db);
        errno = e;
        if (rc < 0) {
            r->changed = 0;
            r->what = NULL;
            if (errno == ENOENT)
                snprintf(r->why, sizeof(r->why), "no such incident");
        }
    }
    return rc;
}

int
store_change_each(struct store *s, int (*fn)(const struct store_change *ch, void *arg), void *arg)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int rc, r = 0;

    if (sqlite3_prepare_v2(db,
                           "SELECT seq, incident, what, at FROM incident_change "
                           "WHERE published = 0 ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_change ch;

        ch.seq = sqlite3_column_int64(st, 0);
        ch.incident = sqlite3_column_int64(st, 1);
        ch.what = col_text(st, 2);
        ch.at = sqlite3_column_int64(st, 3);
        if ((r = fn(&ch, arg)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return r;
}

int
store_data_version(struct store *s, int64_t *v)
{
    sqlite3_stmt *st;

    /* Asked every second (the record's commands from the CLI): a cached statement. */
    if ((st = store_stmt(s, "PRAGMA data_version")) == NULL || sqlite3_step(st) != SQLITE_ROW)
        return store_stmt_fail(s, st);
    *v = sqlite3_column_int64(st, 0);
    store_stmt_done(s, st);
    return 0;
}
