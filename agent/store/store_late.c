/*
 * store_late.c - the late telemetry backlog (schema version 9; see store.h): the spans of
 * engine time whose telemetry roomwatchd still owes the broker. Each write is one statement,
 * its own FULL-synced commit: a span opened when the broker went away survives a power cut,
 * and a cursor moved forward survives it too (one lost costs repeats, never a gap).
 */
#include "store/store.h"
#include "store/store_priv.h"

#include <errno.h>

#include <sqlite3.h>

/* Runs sql with up to two integer parameters (?1, ?2). 0 or -1 (EIO). */
static int
run(struct store *s, const char *sql, int64_t a, int64_t b)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, a);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, b);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return 0;
}

int
store_late_open(struct store *s, int64_t start)
{
    return run(s,
               "INSERT INTO late (start, end) SELECT ?1, NULL "
               "WHERE NOT EXISTS (SELECT 1 FROM late WHERE end IS NULL)",
               start, 0);
}

int
store_late_close(struct store *s, int64_t end)
{
    int closed;

    /* One statement each, so a cut between them leaves a closed span that is empty: the
     * next close deletes it. */
    if (run(s, "UPDATE late SET end = ?1 WHERE end IS NULL", end, 0) < 0)
        return -1;
    closed = sqlite3_changes(store_db(s)) > 0;
    if (run(s, "DELETE FROM late WHERE end IS NOT NULL AND end <= start", 0, 0) < 0)
        return -1;
    return closed;
}

int
store_late_advance(struct store *s, int64_t id, int64_t start)
{
    if (run(s, "DELETE FROM late WHERE id = ?1 AND end IS NOT NULL AND end <= ?2", id, start) <
        0)
        return -1;
    return run(s, "UPDATE late SET start = ?2 WHERE id = ?1 AND start < ?2", id, start);
}

int
store_late_list(struct store *s, struct store_late_span *v, size_t max, size_t *n)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int rc;

    *n = 0;
    if (sqlite3_prepare_v2(db, "SELECT id, start, end FROM late ORDER BY start, id", -1, &st,
                           NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n < max) {
            v[*n].id = sqlite3_column_int64(st, 0);
            v[*n].start = sqlite3_column_int64(st, 1);
            v[*n].end = sqlite3_column_type(st, 2) == SQLITE_NULL ? INT64_MAX
                                                                  : sqlite3_column_int64(st, 2);
        }
        (*n)++;
    }
    if (rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return 0;
}
