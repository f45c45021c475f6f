/*
 * store_incident.c - incidents in the store (see store.h, "Incidents").
 *
 * Durability: a transition is written in its own transaction (BEGIN IMMEDIATE ... COMMIT,
 * fsync()ed by synchronous=FULL) rather than with the next checkpoint, because it is
 * published right after: a checkpoint may be a minute away, and an incident the broker has
 * seen must not vanish with a power cut in that minute. Transitions are rare (a few a day),
 * so the fsync each costs nothing next to the checkpoints.
 */
#include "store/store.h"
#include "store/store_priv.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>

#include <sqlite3.h>

#define COLUMNS                                                                                    \
    "id, rule, device, point, severity, category, started_at, detected_at, detected_value, "       \
    "acked_at, acked_by, ack_note, cleared_at, resolved_at, resolved_how, resolved_by, cause, "    \
    "measure, flags"

static int
fail(sqlite3 *db, sqlite3_stmt *st, int in_tx)
{
    sqlite3_finalize(st);
    if (in_tx)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    errno = EIO;
    return -1;
}

int
store_incident_insert(struct store *s, const struct store_incident *in, int64_t *id)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;

    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, NULL, 0);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO incident (rule, device, point, severity, category, "
                           "started_at, detected_at, detected_value) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(db, st, 1);
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
        return fail(db, st, 1);
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(db);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, NULL, 1);
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
        return fail(db, NULL, 0);
    if (sqlite3_prepare_v2(db,
                           "UPDATE incident SET cleared_at = ?, resolved_at = ?, "
                           "resolved_how = 'auto', flags = flags | ? "
                           "WHERE id = ? AND resolved_at IS NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(db, st, 1);
    sqlite3_bind_int64(st, 1, cleared);
    sqlite3_bind_int64(st, 2, resolved);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)flags);
    sqlite3_bind_int64(st, 4, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return fail(db, st, 1);
    sqlite3_finalize(st);
    changed = sqlite3_changes(db);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, NULL, 1);
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
        return fail(db, st, 0);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_incident in;

        in.id = sqlite3_column_int64(st, 0);
        in.rule = col_text(st, 1);
        in.device = col_text(st, 2);
        in.point = col_text(st, 3);
        in.severity = col_text(st, 4);
        in.category = col_text(st, 5);
        in.started = col_time(st, 6);
        in.detected = col_time(st, 7);
        in.value = sqlite3_column_type(st, 8) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 8);
        in.acked = col_time(st, 9);
        in.acked_by = col_text(st, 10);
        in.ack_note = col_text(st, 11);
        in.cleared = col_time(st, 12);
        in.resolved = col_time(st, 13);
        in.resolved_how = col_text(st, 14);
        in.resolved_by = col_text(st, 15);
        in.cause = col_text(st, 16);
        in.measure = col_text(st, 17);
        in.flags = (unsigned)sqlite3_column_int64(st, 18);
        if ((r = fn(&in, arg)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        return fail(db, st, 0);
    sqlite3_finalize(st);
    return r;
}
