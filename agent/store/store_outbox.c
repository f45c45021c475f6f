/*
 * store_outbox.c - the outbox table (schema version 8; see store.h): roomwatchd's QoS 1
 * messages from the moment they are made until the broker acknowledged them. Each add is its
 * own FULL-synced commit, so a message the daemon counted as taken survives a power cut, and
 * it marks the row it publishes (store_pubmark) in that commit; acknowledgements are deleted
 * in batches.
 */
#include "store/store.h"
#include "store/store_priv.h"

#include <errno.h>

#include <sqlite3.h>


/* Sets the published flag of the row m names, inside the caller's transaction if one is open. */
static int
mark(sqlite3 *db, const struct store_pubmark *m)
{
    static const char *const sql[] = {
        [STORE_PUB_CHANGE] = "UPDATE incident_change SET published = 1 WHERE seq = ?",
        [STORE_PUB_EVENT] = "UPDATE event SET published = 1 WHERE id = ?",
        [STORE_PUB_ALERT] = "UPDATE alert SET published = 1 WHERE id = ?",
    };
    sqlite3_stmt *st = NULL;

    if (m->table < STORE_PUB_CHANGE || m->table > STORE_PUB_ALERT) {
        errno = EINVAL;
        return -1;
    }
    if (sqlite3_prepare_v2(db, sql[m->table], -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_int64(st, 1, m->id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return 0;
}

int
store_mark_published(struct store *s, const struct store_pubmark *m)
{
    return mark(store_db(s), m);
}

int
store_outbox_insert(sqlite3 *db, const char *topic, const char *payload, int64_t at, int64_t max,
                    int64_t *id)
{
    sqlite3_stmt *st = NULL;
    int64_t n;

    *id = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        return store_fail(db, st, 0);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (n >= max) {
        errno = ENOSPC;
        return -1;
    }
    if (sqlite3_prepare_v2(db, "INSERT INTO outbox (topic, payload, queued_at) VALUES (?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_text(st, 1, topic, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, payload, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(db);
    return 0;
}

int
store_outbox_add(struct store *s, const char *topic, const char *payload, int64_t at,
                 int64_t max, const struct store_pubmark *m, int64_t *id)
{
    sqlite3 *db = store_db(s);

    *id = 0;
    if (m != NULL && (m->table < STORE_PUB_CHANGE || m->table > STORE_PUB_ALERT)) {
        errno = EINVAL;
        return -1;
    }
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 0);
    if (store_outbox_insert(db, topic, payload, at, max, id) < 0) {
        int e = errno;

        store_rollback(db);
        errno = e;
        return -1;
    }
    if ((m != NULL && mark(db, m) < 0) ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        *id = 0;
        return store_fail(db, NULL, 1);
    }
    return 0;
}

int
store_outbox_done(struct store *s, const int64_t *ids, size_t n)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    size_t i;

    if (n == 0)
        return 0;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 0);
    if (sqlite3_prepare_v2(db, "DELETE FROM outbox WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 1);
    for (i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            return store_fail(db, st, 1);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 1);
    return 0;
}

int
store_outbox_each(struct store *s, int64_t after, size_t max,
                  int (*fn)(const struct store_outbox_msg *m, void *arg), void *arg)
{
    sqlite3_stmt *st;
    struct store_outbox_msg m;
    int rc, r = 0;

    /* Asked every second of the main loop: a cached statement. */
    if ((st = store_stmt(s, "SELECT id, topic, payload, queued_at FROM outbox WHERE id > ? "
                            "ORDER BY id LIMIT ?")) == NULL)
        return store_stmt_fail(s, st);
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        m.id = sqlite3_column_int64(st, 0);
        m.topic = (const char *)sqlite3_column_text(st, 1);
        m.payload = (const char *)sqlite3_column_text(st, 2);
        m.queued_at = sqlite3_column_int64(st, 3);
        r = fn(&m, arg);
    }
    if (r == 0 && rc != SQLITE_DONE)
        return store_stmt_fail(s, st);
    store_stmt_done(s, st);
    return r;
}

int
store_outbox_stats(struct store *s, int64_t *count, int64_t *oldest)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, "SELECT count(*), min(queued_at) FROM outbox", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        return store_fail(db, st, 0);
    *count = sqlite3_column_int64(st, 0);
    *oldest = sqlite3_column_type(st, 1) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    return 0;
}
