/*
 * store_notify.c - the notification log and the channels' delivery state (see store.h,
 * "Notifications").
 *
 * Why a log with cursors rather than a queue per channel: the transition that causes a
 * notification must not need to know which channels exist (the config may change between
 * the transition and the send), and each channel must be able to fail alone. One log, written
 * in the transition's own transaction, and one cursor per channel give both: a channel that
 * is down keeps its place while the others go on, and a restart resumes each where it was.
 */
#include "store/store.h"
#include "store/store_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>


static int
one_of(const char *v, const char *const *names)
{
    for (; v != NULL && *names != NULL; names++)
        if (strcmp(v, *names) == 0)
            return 1;
    return 0;
}

int
store_notify_log(sqlite3 *db, const char *kind, int64_t ref, const char *what, int64_t at,
                 const char *detail, int64_t *seq)
{
    static const char *const kinds[] = {"incident", "alert", NULL};
    static const char *const whats[] = {"opened",    "escalated", "resolved", "raised",
                                        "recovered", "lost",      NULL};
    sqlite3_stmt *st = NULL;

    if (seq != NULL)
        *seq = 0;
    if (!one_of(kind, kinds) || !one_of(what, whats) ||
        (detail != NULL && strlen(detail) >= STORE_NOTIFY_DETAIL_MAX)) {
        errno = EINVAL;
        return -1;
    }
    /* OR IGNORE: the unique index keeps one row per escalation level of an incident. */
    if (sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO notify_event (kind, ref, what, at, detail) "
                           "VALUES (?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ref);
    sqlite3_bind_text(st, 3, what, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, at);
    if (detail != NULL)
        sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    if (seq != NULL && sqlite3_changes(db) > 0)
        *seq = sqlite3_last_insert_rowid(db);
    return 0;
}

int
store_notify_add(struct store *s, const char *kind, int64_t ref, const char *what, int64_t at,
                 const char *detail, int64_t *seq)
{
    sqlite3 *db = store_db(s);
    int own = sqlite3_get_autocommit(db) != 0; /* no transaction open: make one */
    int e;

    if (own && sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 0);
    if (store_notify_log(db, kind, ref, what, at, detail, seq) < 0) {
        e = errno;
        if (own)
            store_rollback(db);
        errno = e;
        return -1;
    }
    if (own && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 1);
    return 0;
}

int
store_notify_each(struct store *s, int64_t after, size_t max,
                  int (*fn)(const struct store_notify_event *ev, void *arg), void *arg)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int rc, r = 0;

    if (sqlite3_prepare_v2(db,
                           "SELECT seq, kind, ref, what, at, detail FROM notify_event "
                           "WHERE seq > ? ORDER BY seq LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_notify_event ev;

        ev.seq = sqlite3_column_int64(st, 0);
        ev.kind = (const char *)sqlite3_column_text(st, 1);
        ev.ref = sqlite3_column_int64(st, 2);
        ev.what = (const char *)sqlite3_column_text(st, 3);
        ev.at = sqlite3_column_int64(st, 4);
        ev.detail = (const char *)sqlite3_column_text(st, 5);
        if ((r = fn(&ev, arg)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return r;
}

int
store_notify_last(struct store *s, int64_t *seq)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(seq), 0) FROM notify_event", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        return store_fail(db, st, 0);
    *seq = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

static int64_t
col_i64(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

/* Copies the row's columns into *out, its strings into buf. */
static void
read_channel(sqlite3_stmt *st, struct store_notify_channel *out, char *buf, size_t len)
{
    const char *name = (const char *)sqlite3_column_text(st, 0);
    const char *err = (const char *)sqlite3_column_text(st, 4);
    int n;

    memset(out, 0, sizeof(*out));
    n = snprintf(buf, len, "%s", name != NULL ? name : "");
    out->name = buf;
    if (err != NULL && n >= 0 && (size_t)n + 1 < len) {
        snprintf(buf + n + 1, len - (size_t)n - 1, "%s", err);
        out->last_error = buf + n + 1;
    }
    out->cursor = col_i64(st, 1);
    out->failing_since = col_i64(st, 2);
    out->attempts = (int)col_i64(st, 3);
    out->last_ok = col_i64(st, 5);
}

#define CHANNEL_COLUMNS "name, cursor, failing_since, attempts, last_error, last_ok"

int
store_notify_channel_get(struct store *s, const char *name, struct store_notify_channel *out,
                         char *buf, size_t len)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(db, "SELECT " CHANNEL_COLUMNS " FROM notify_channel WHERE name = ?", -1,
                           &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_channel(st, out, buf, len);
        sqlite3_finalize(st);
        return 0;
    }
    if (rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    memset(out, 0, sizeof(*out));
    snprintf(buf, len, "%s", name);
    out->name = buf;
    if (store_notify_last(s, &out->cursor) < 0)
        return -1;
    return store_notify_channel_set(s, out);
}

int
store_notify_channel_set(struct store *s, const struct store_notify_channel *c)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db,
                           "INSERT INTO notify_channel (" CHANNEL_COLUMNS ") "
                           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                           "cursor = excluded.cursor, failing_since = excluded.failing_since, "
                           "attempts = excluded.attempts, last_error = excluded.last_error, "
                           "last_ok = excluded.last_ok",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, c->cursor);
    if (c->failing_since != 0)
        sqlite3_bind_int64(st, 3, c->failing_since);
    sqlite3_bind_int(st, 4, c->attempts);
    if (c->last_error != NULL)
        sqlite3_bind_text(st, 5, c->last_error, -1, SQLITE_STATIC);
    if (c->last_ok != 0)
        sqlite3_bind_int64(st, 6, c->last_ok);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return 0;
}

int
store_notify_channel_each(struct store *s,
                          int (*fn)(const struct store_notify_channel *st, void *arg), void *arg)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int rc, r = 0;

    if (sqlite3_prepare_v2(db, "SELECT " CHANNEL_COLUMNS " FROM notify_channel ORDER BY name", -1,
                           &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_notify_channel c;
        char buf[1024];

        read_channel(st, &c, buf, sizeof(buf));
        if ((r = fn(&c, arg)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return r;
}

/* ---- silences ------------------------------------------------------------------------- */

int
store_silence_insert(sqlite3 *db, const struct store_silence *in, int64_t now, int64_t *id,
                     int *added)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *id = 0;
    *added = 0;
    if (in->ends <= in->starts || in->by == NULL || in->note == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT id FROM notify_silence WHERE starts = ? AND ends = ? AND "
                           "rule IS ? AND device IS ? AND by = ? AND note = ? ORDER BY id LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_int64(st, 1, in->starts);
    sqlite3_bind_int64(st, 2, in->ends);
    sqlite3_bind_text(st, 3, in->rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, in->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, in->by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, in->note, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return 0;
    }
    if (rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO notify_silence (starts, ends, rule, device, by, note, "
                           "created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_int64(st, 1, in->starts);
    sqlite3_bind_int64(st, 2, in->ends);
    sqlite3_bind_text(st, 3, in->rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, in->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, in->by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, in->note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    *id = sqlite3_last_insert_rowid(db);
    *added = 1;
    return 0;
}

int
store_silence_add(struct store *s, const struct store_silence *in, int64_t now, int64_t *id)
{
    sqlite3 *db = store_db(s);
    int added, e;

    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 0);
    if (store_silence_insert(db, in, now, id, &added) < 0) {
        e = errno;
        store_rollback(db);
        errno = e;
        return -1;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, NULL, 1);
    return 0;
}

int
store_silence_each(struct store *s, int64_t after,
                   int (*fn)(const struct store_silence *sl, void *arg), void *arg)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int rc, r = 0;

    if (sqlite3_prepare_v2(db,
                           "SELECT id, starts, ends, rule, device, by, note, created "
                           "FROM notify_silence WHERE ends > ? ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_int64(st, 1, after);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_silence sl;

        sl.id = sqlite3_column_int64(st, 0);
        sl.starts = sqlite3_column_int64(st, 1);
        sl.ends = sqlite3_column_int64(st, 2);
        sl.rule = (const char *)sqlite3_column_text(st, 3);
        sl.device = (const char *)sqlite3_column_text(st, 4);
        sl.by = (const char *)sqlite3_column_text(st, 5);
        sl.note = (const char *)sqlite3_column_text(st, 6);
        sl.created = sqlite3_column_int64(st, 7);
        if ((r = fn(&sl, arg)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return r;
}

int
store_silence_covers(struct store *s, const char *rule, const char *device, int64_t at, int64_t *id)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int rc;

    *id = 0;
    /* An alert (no rule, no device) is covered by a silence of everything only. */
    if (sqlite3_prepare_v2(db,
                           "SELECT id FROM notify_silence WHERE max(starts, created) <= ?1 AND "
                           "ends > ?1 AND "
                           "(rule IS NULL OR rule = ?2) AND (device IS NULL OR device = ?3) "
                           "ORDER BY id LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_int64(st, 1, at);
    sqlite3_bind_text(st, 2, rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, device, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return *id != 0;
}

int
store_silence_held(struct store *s, int64_t id,
                   int (*fn)(const struct store_notify_event *ev, void *arg), void *arg)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st = NULL;
    int rc, r = 0;

    /* As store_silence_covers() decides, from the other side: the rows whose transition (for
     * a resolution: its incident's detection) lies in the window, from when it was recorded. */
    if (sqlite3_prepare_v2(
            db,
            "SELECT e.seq, e.kind, e.ref, e.what, e.at, e.detail FROM notify_event e "
            "JOIN notify_silence s ON s.id = ?1 "
            "LEFT JOIN incident i ON e.kind = 'incident' AND i.id = e.ref "
            "WHERE (CASE WHEN e.what = 'resolved' THEN i.detected_at ELSE e.at END) "
            "  BETWEEN max(s.starts, s.created) AND s.ends - 1 AND "
            "(s.rule IS NULL OR s.rule = i.rule) AND (s.device IS NULL OR s.device = i.device) "
            "ORDER BY e.seq",
            -1, &st, NULL) != SQLITE_OK)
        return store_fail(db, st, 0);
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_notify_event ev;

        ev.seq = sqlite3_column_int64(st, 0);
        ev.kind = (const char *)sqlite3_column_text(st, 1);
        ev.ref = sqlite3_column_int64(st, 2);
        ev.what = (const char *)sqlite3_column_text(st, 3);
        ev.at = sqlite3_column_int64(st, 4);
        ev.detail = (const char *)sqlite3_column_text(st, 5);
        if ((r = fn(&ev, arg)) != 0)
            break;
    }
    if (r == 0 && rc != SQLITE_DONE)
        return store_fail(db, st, 0);
    sqlite3_finalize(st);
    return r;
}
