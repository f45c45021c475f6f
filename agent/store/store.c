/*
 * store.c - the durable store (see store.h).
 *
 * SQLite settings, chosen for a gateway writing to an SD card that may lose power at any
 * moment (libraries.md §5):
 *  - journal_mode=WAL: a commit appends to the -wal file instead of rewriting pages in place
 *    twice, and readers (roomwatch status) do not block the writer. The mode persists in the
 *    file.
 *  - synchronous=FULL: every commit is fsync()ed before it returns. With NORMAL a WAL commit
 *    may roll back after a power loss; FULL makes a finished checkpoint durable. The cost is
 *    one or two fsyncs per checkpoint (one a minute by default), which an SD card takes well.
 *    What a power cut loses is the batch since the last checkpoint: on restart the engine
 *    resumes from that checkpoint and the time since reads as unknown, never as good or bad.
 *  - busy_timeout 5 s: a reader (the CLI) holding a lock delays a write instead of failing it;
 *    writes start with BEGIN IMMEDIATE so that a busy database shows at BEGIN, where waiting
 *    is safe, not at COMMIT.
 *  - journal_size_limit 4 MiB: the WAL is truncated to this after checkpoints instead of
 *    staying at its largest size; wal_autocheckpoint stays at its default (1000 pages,
 *    PASSIVE). At close, wal_checkpoint(TRUNCATE) folds the WAL into the database and
 *    empties it, so a cleanly stopped agent leaves one self-contained file.
 *  - Migrations: step i runs in its own transaction that also sets user_version = i + 1, so a
 *    power cut mid-migration leaves the previous version whole and the step runs again.
 */
#include "store/store.h"
#include "store/store_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#define BUSY_TIMEOUT_MS 5000
#define JOURNAL_SIZE_LIMIT (4 * 1024 * 1024) /* bytes */
/* The page cache of a store_open() connection, KiB. SQLite's default lets it grow to 2 MiB:
 * over days the daemon's pages (the checkpoint image, the day rows, the outbox) fill it, and
 * on a gateway that is resident memory for pages the OS caches anyway. */
#define CACHE_KIB 512

#define STMT_CACHE 16 /* the statements the daemon runs every second or every message */

struct store {
    sqlite3 *db;
    int64_t run_id; /* the current run's row, 0 if none */
    int readonly;   /* store_open_readonly(): never write, not even the WAL at close */
    struct {
        const char *sql; /* the literal's address: the key */
        sqlite3_stmt *st;
        int busy; /* handed out by store_stmt() and not given back yet */
    } cache[STMT_CACHE];
    size_t ncache;
};

/* Each step moves the schema from version i to i + 1. Append, never edit a shipped step. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE run_log ("
    "  id INTEGER PRIMARY KEY,"
    "  start INTEGER NOT NULL,"           /* ms since the epoch */
    "  stop INTEGER,"                     /* ms; NULL while running or after a kill */
    "  last_checkpoint INTEGER,"          /* ms; the end of what the store holds */
    "  clean INTEGER NOT NULL DEFAULT 0"  /* 1: stopped cleanly */
    ");"
    "CREATE TABLE engine_state ("
    "  fingerprint INTEGER NOT NULL,"     /* the config's hash, as a signed 64-bit integer */
    "  period_start INTEGER NOT NULL,"    /* ms */
    "  blob BLOB NOT NULL,"               /* eng_snapshot() */
    "  saved_at INTEGER NOT NULL,"        /* ms */
    "  PRIMARY KEY (fingerprint, period_start)"
    ");"
    "CREATE TABLE indicator_day ("
    "  indicator TEXT NOT NULL,"
    "  day TEXT NOT NULL,"                /* local date YYYY-MM-DD */
    "  good_ms INTEGER NOT NULL,"
    "  bad_ms INTEGER NOT NULL,"
    "  unknown_ms INTEGER NOT NULL,"
    "  na_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (indicator, day)"
    ");",
    /* 1 -> 2: the per-day accumulators leave the engine image (eng.h, snapshot version 2)
     * and become the engine's own rows, written for the changed days only. They are keyed
     * like the image (config fingerprint and period), not by indicator id as indicator_day
     * is for reports, so that a state is restored with its own days: config A, then B, then
     * A again must not restore A's image with B's days. Version 1 images can no longer be
     * read by any roomwatch (their fingerprints never match again): drop them, as the state
     * of a changed config; indicator_day keeps what they had accumulated for reports.
     * Both day tables are WITHOUT ROWID and keyed day first, so that a checkpoint's rows
     * (every indicator, today) sit side by side in one page: keyed indicator first, with a
     * rowid, each checkpoint rewrote a page per indicator, and the table's tail page besides.
     * indicator_day is rebuilt for that, its rows kept. */
    "DELETE FROM engine_state;"
    "CREATE TABLE indicator_day_2 ("
    "  indicator TEXT NOT NULL,"
    "  day TEXT NOT NULL,"                /* local date YYYY-MM-DD */
    "  good_ms INTEGER NOT NULL,"
    "  bad_ms INTEGER NOT NULL,"
    "  unknown_ms INTEGER NOT NULL,"
    "  na_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (day, indicator)"
    ") WITHOUT ROWID;"
    "INSERT INTO indicator_day_2 SELECT indicator, day, good_ms, bad_ms, unknown_ms, na_ms "
    "  FROM indicator_day;"
    "DROP TABLE indicator_day;"
    "ALTER TABLE indicator_day_2 RENAME TO indicator_day;"
    "CREATE TABLE engine_day ("
    "  fingerprint INTEGER NOT NULL,"
    "  period_start INTEGER NOT NULL,"    /* ms */
    "  day INTEGER NOT NULL,"             /* 0 = the period's first day */
    "  ind INTEGER NOT NULL,"             /* the indicator's index in the engine */
    "  good_ms INTEGER NOT NULL,"
    "  bad_ms INTEGER NOT NULL,"
    "  unknown_ms INTEGER NOT NULL,"
    "  na_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (fingerprint, period_start, day, ind)"
    ") WITHOUT ROWID;",
    /* 2 -> 3: incidents and events (store_incident.c). AUTOINCREMENT: an incident id is
     * published on <prefix>/incident/<id> and must never be handed out twice. */
    "CREATE TABLE incident ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  rule TEXT NOT NULL,"               /* the alarm rule's id */
    "  device TEXT NOT NULL,"
    "  point TEXT,"                       /* NULL for a device rule (no_answer) */
    "  severity TEXT NOT NULL,"
    "  category TEXT NOT NULL,"
    "  started_at INTEGER NOT NULL,"      /* ms: the condition first seen */
    "  detected_at INTEGER NOT NULL,"     /* ms: opened, after the hold */
    "  detected_value REAL,"              /* NULL when there is none (no answer) */
    "  acked_at INTEGER,"                 /* ms; NULL until acknowledged */
    "  acked_by TEXT,"
    "  ack_note TEXT,"
    "  cleared_at INTEGER,"               /* ms: the condition first seen clear (auto) */
    "  resolved_at INTEGER,"              /* ms; NULL while open */
    "  resolved_how TEXT CHECK (resolved_how IN ('auto', 'hand')),"
    "  resolved_by TEXT,"
    "  cause TEXT,"
    "  measure TEXT,"
    "  flags INTEGER NOT NULL DEFAULT 0"  /* STORE_INC_* bits */
    ");"
    "CREATE INDEX incident_open ON incident (id) WHERE resolved_at IS NULL;"
    "CREATE INDEX incident_detected ON incident (detected_at);"
    "CREATE TABLE event ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL,"               /* maintenance, inspection, security-incident */
    "  at INTEGER NOT NULL,"              /* ms: when it happened */
    "  by TEXT NOT NULL,"
    "  note TEXT,"
    "  incident INTEGER REFERENCES incident (id),"
    "  recorded_at INTEGER NOT NULL"      /* ms: when it was entered */
    ");"
    "CREATE INDEX event_at ON event (at);",
    /* 3 -> 4: the change log of incidents changed by a command (store_cmd_apply()), by the
     * daemon or by the CLI beside it. The daemon publishes each row once and marks it, so a
     * change the CLI made while the daemon ran, or while it was stopped, is published too. */
    "CREATE TABLE incident_change ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  incident INTEGER NOT NULL REFERENCES incident (id),"
    "  what TEXT NOT NULL CHECK (what IN ('acknowledged', 'resolved', 'noted')),"
    "  at INTEGER NOT NULL,"              /* ms: when the command was applied */
    "  source TEXT NOT NULL,"             /* mqtt, cli, replay */
    "  published INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX incident_change_unpublished ON incident_change (seq) WHERE published = 0;",
    /* 4 -> 5: events are published once each on <prefix>/event/<id> (control.c). An event is
     * never changed after it is recorded, so a flag on its row is its whole change log. The
     * events recorded before are not published after the fact: nobody waits for them. */
    "ALTER TABLE event ADD COLUMN published INTEGER NOT NULL DEFAULT 0;"
    "UPDATE event SET published = 1;"
    "CREATE INDEX event_unpublished ON event (id) WHERE published = 0;",
    /* 5 -> 6: notifications (store_notify.c). notify_event is the log of what a person on
     * duty is told about: a row is added in the same transaction as the incident transition
     * (or, later, the alert) that causes it, so no transition is left untold by a crash and
     * none is told that did not happen. notify_channel keeps, per configured channel, how far
     * into that log it has delivered (cursor) and its failure episode, so a restart resumes
     * each channel where it stopped. Incidents before this version are not notified. */
    "CREATE TABLE notify_event ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL CHECK (kind IN ('incident', 'alert')),"
    "  ref INTEGER NOT NULL,"             /* the incident's id, or the alert's */
    "  what TEXT NOT NULL CHECK (what IN ('opened', 'escalated', 'resolved', 'raised', "
    "    'recovered', 'lost')),"
    "  at INTEGER NOT NULL,"              /* ms: when it happened */
    "  detail TEXT"                       /* escalated: the level; alert: its facts (JSON) */
    ");"
    "CREATE UNIQUE INDEX notify_event_once ON notify_event (kind, ref, what, detail) "
    "  WHERE what = 'escalated';"
    "CREATE TABLE notify_channel ("
    "  name TEXT PRIMARY KEY,"
    "  cursor INTEGER NOT NULL,"          /* the last notify_event.seq done with */
    "  failing_since INTEGER,"            /* ms; NULL while it delivers */
    "  attempts INTEGER NOT NULL DEFAULT 0," /* failed sends in this episode */
    "  last_error TEXT,"
    "  last_ok INTEGER"                   /* ms: the last delivery */
    ");"
    /* Maintenance windows: notifications of what happens inside one are not sent (the
     * incidents are recorded as always). rule and device NULL: any. */
    "CREATE TABLE notify_silence ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  starts INTEGER NOT NULL,"          /* ms */
    "  ends INTEGER NOT NULL CHECK (ends > starts)," /* ms, excluded */
    "  rule TEXT,"
    "  device TEXT,"
    "  by TEXT NOT NULL,"
    "  note TEXT NOT NULL,"
    "  created INTEGER NOT NULL"          /* ms */
    ");",
    /* 6 -> 7: alerts (store_alert.c): one row per change of a target's alert state, with the
     * numbers it was decided on and the document published on <prefix>/alert/<id>; written
     * in the transaction that adds its notify_event row. published: taken by the publisher. */
    "CREATE TABLE alert ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  indicator TEXT NOT NULL,"
    "  period TEXT NOT NULL,"             /* "2025", "2025-03" */
    "  at INTEGER NOT NULL,"              /* ms, a whole minute of engine time */
    "  state TEXT NOT NULL,"
    "  previous TEXT NOT NULL,"
    "  what TEXT NOT NULL CHECK (what IN ('raised', 'recovered', 'lost')),"
    "  value REAL,"
    "  target TEXT,"
    "  budget_left REAL,"
    "  budget_unit TEXT,"
    "  burn_short REAL,"
    "  burn_long REAL,"
    "  projection REAL,"
    "  time_left REAL,"                   /* s: an open incident's, for mean targets */
    "  coverage REAL,"
    "  doc TEXT NOT NULL,"
    "  published INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX alert_at ON alert (at);"
    "CREATE INDEX alert_indicator ON alert (indicator, period, id);",
    /* 7 -> 8: the outbox (store_outbox.c): each QoS 1 message roomwatchd publishes, kept
     * until the broker acknowledged it. AUTOINCREMENT: the id is the message's msg_id, which
     * subscribers use to drop repeats, and must never be handed out twice. */
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  topic TEXT NOT NULL,"              /* under <prefix>/ */
    "  payload TEXT NOT NULL,"            /* a JSON object, without its msg_id */
    "  queued_at INTEGER NOT NULL"        /* ms */
    ");",
    /* 8 -> 9: the late telemetry backlog (store_late.c): spans of engine time whose
     * telemetry did not go out live and is still to be sent, marked late, from the sample
     * archive. */
    "CREATE TABLE late ("
    "  id INTEGER PRIMARY KEY,"
    "  start INTEGER NOT NULL,"           /* ms: sent up to here (the cursor) */
    "  end INTEGER"                       /* ms, exclusive; NULL while the span is open */
    ");",
    /* 9 -> 10: the change log also holds the alarm detector's transitions ('detected',
     * 'auto_resolved', source 'detector'), written in the transaction of the transition, so
     * that every change of an incident is published the same way: from an unmarked row, marked
     * in the transaction that puts its message in the outbox. SQLite cannot change a CHECK:
     * the table is made again. The index goes with the old table and is made again. */
    "CREATE TABLE incident_change_10 ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  incident INTEGER NOT NULL REFERENCES incident (id),"
    "  what TEXT NOT NULL CHECK (what IN ('detected', 'acknowledged', 'resolved', 'noted',"
    "                                     'auto_resolved')),"
    "  at INTEGER NOT NULL,"              /* ms: when the change was made */
    "  source TEXT NOT NULL,"             /* mqtt, cli, replay, detector */
    "  published INTEGER NOT NULL DEFAULT 0"
    ");"
    "INSERT INTO incident_change_10 (seq, incident, what, at, source, published) "
    "  SELECT seq, incident, what, at, source, published FROM incident_change;"
    "DROP TABLE incident_change;"
    "ALTER TABLE incident_change_10 RENAME TO incident_change;"
    "CREATE INDEX incident_change_unpublished ON incident_change (seq) WHERE published = 0;",
};

static int
fail(struct store *s)
{
    (void)s;
    errno = EIO;
    return -1;
}

static int
exec(struct store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(s);
}

static int
user_version(struct store *s, int *v)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return fail(s);
    rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : fail(s);
}

static int
migrate(struct store *s)
{
    int v, n = (int)(sizeof(migrations) / sizeof(migrations[0]));
    char sql[64];

    if (user_version(s, &v) < 0)
        return -1;
    if (v > n) {
        errno = EPROTO; /* written by a newer roomwatch: do not touch it */
        return -1;
    }
    for (; v < n; v++) {
        if (exec(s, "BEGIN IMMEDIATE") < 0)
            return -1;
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
        if (exec(s, migrations[v]) < 0 || exec(s, sql) < 0 || exec(s, "COMMIT") < 0) {
            int e = errno;
            store_rollback(s->db);
            errno = e;
            return -1;
        }
    }
    return 0;
}

int
store_open_file(const char *path, struct store **out)
{
    struct store *s;
    char sql[96], cache[48];

    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return -1;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        store_close(s);
        errno = EIO;
        return -1;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %d", JOURNAL_SIZE_LIMIT);
    snprintf(cache, sizeof(cache), "PRAGMA cache_size = -%d", CACHE_KIB);
    if (exec(s, "PRAGMA journal_mode = WAL") < 0 || exec(s, "PRAGMA synchronous = FULL") < 0 ||
        exec(s, sql) < 0 || exec(s, cache) < 0 || migrate(s) < 0) {
        int e = errno;
        store_close(s);
        errno = e;
        return -1;
    }
    *out = s;
    return 0;
}

int
store_open(const char *dir, struct store **out)
{
    char path[4096];
    int n;

    *out = NULL;
    if (mkdir(dir, 0750) < 0 && errno != EEXIST)
        return -1;
    n = snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return store_open_file(path, out);
}

/*
 * Opens an existing database without creating or migrating it: read-only (nothing written,
 * not even a WAL checkpoint at close) for a schema from min_version to the current one, or
 * read-write for exactly the current one, committing as durably as the daemon does.
 */
static int
open_existing(const char *path, int readonly, int min_version, struct store **out)
{
    struct store *s;
    struct stat sb;
    int v = -1, rc;

    *out = NULL;
    /* SQLite would report a missing file as a generic "unable to open": say ENOENT. */
    if (stat(path, &sb) < 0)
        return -1;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return -1;
    s->readonly = readonly;
    if (sqlite3_open_v2(path, &s->db, readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE,
                        NULL) != SQLITE_OK) {
        sqlite3_close(s->db);
        free(s);
        errno = EIO;
        return -1;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    rc = user_version(s, &v);
    /* journal_mode=WAL is in the file; synchronous is per connection. */
    if (rc == 0 && !readonly && exec(s, "PRAGMA synchronous = FULL") < 0)
        rc = -1;
    if (rc < 0 || v < min_version || v > STORE_SCHEMA_VERSION) {
        sqlite3_close(s->db);
        free(s);
        errno = rc < 0 ? EIO : EPROTO;
        return -1;
    }
    *out = s;
    return 0;
}

int
store_open_readonly(const char *path, struct store **out)
{
    return open_existing(path, 1, STORE_READ_MIN_VERSION, out);
}

void
store_close(struct store *s)
{
    if (s == NULL)
        return;
    /* sqlite3_close() refuses a connection with statements left (SQLITE_BUSY). */
    for (size_t i = 0; i < s->ncache; i++)
        sqlite3_finalize(s->cache[i].st);
    if (s->db != NULL) {
        if (!s->readonly)
            sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        sqlite3_close(s->db);
    }
    free(s);
}

sqlite3_stmt *
store_stmt(struct store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    size_t i;

    for (i = 0; i < s->ncache; i++) {
        if (s->cache[i].sql != sql)
            continue;
        if (!s->cache[i].busy) {
            s->cache[i].busy = 1;
            return s->cache[i].st;
        }
        break; /* in use further up the stack (a walk's callback walks again): a fresh one */
    }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    if (i == s->ncache && s->ncache < STMT_CACHE) {
        s->cache[s->ncache].sql = sql;
        s->cache[s->ncache].st = st;
        s->cache[s->ncache].busy = 1;
        s->ncache++;
    }
    return st;
}

void
store_stmt_done(struct store *s, sqlite3_stmt *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < s->ncache; i++) {
        if (s->cache[i].st == st) {
            /* Reset, a statement holds no read snapshot: in WAL mode one kept open would pin
             * the log against checkpoints. After a failed step reset returns that error again
             * and leaves its message for store_errmsg(). */
            (void)sqlite3_reset(st);
            s->cache[i].busy = 0;
            return;
        }
    }
    sqlite3_finalize(st);
}

int
store_stmt_fail(struct store *s, sqlite3_stmt *st)
{
    store_stmt_done(s, st);
    errno = EIO;
    return -1;
}

/* The message of the last failure store_rollback() ended, per thread: each connection is
 * used by one thread (the main loop's, the notifier's, the CLI's). */
static _Thread_local char rollback_why[256];

void
store_rollback(sqlite3 *db)
{
    snprintf(rollback_why, sizeof(rollback_why), "%s", sqlite3_errmsg(db));
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_fail(sqlite3 *db, sqlite3_stmt *st, int in_tx)
{
    sqlite3_finalize(st);
    if (in_tx)
        store_rollback(db);
    errno = EIO;
    return -1;
}

const char *
store_errmsg(const struct store *s)
{
    if (s == NULL || s->db == NULL)
        return "no database";
    /* A ROLLBACK that succeeded reset the connection's error: the failure's message is
     * the one store_rollback() kept. */
    if (sqlite3_errcode(s->db) == SQLITE_OK && rollback_why[0] != '\0')
        return rollback_why;
    return sqlite3_errmsg(s->db);
}

static int64_t
col_i64(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

int
store_run_begin(struct store *s, int64_t now, struct store_run *prev)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (prev != NULL) {
        memset(prev, 0, sizeof(*prev));
        if (sqlite3_prepare_v2(s->db,
                               "SELECT id, start, stop, last_checkpoint, clean FROM run_log "
                               "ORDER BY id DESC LIMIT 1",
                               -1, &st, NULL) != SQLITE_OK)
            return fail(s);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            prev->id = col_i64(st, 0);
            prev->start = col_i64(st, 1);
            prev->stop = col_i64(st, 2);
            prev->last_checkpoint = col_i64(st, 3);
            prev->clean = (int)col_i64(st, 4);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return fail(s);
    }
    if (sqlite3_prepare_v2(s->db, "INSERT INTO run_log (start, clean) VALUES (?, 0)", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(s);
    sqlite3_bind_int64(st, 1, now);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s);
    s->run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int
store_run_end(struct store *s, int64_t now)
{
    sqlite3_stmt *st;
    int rc;

    if (s->run_id == 0)
        return 0;
    if (sqlite3_prepare_v2(s->db, "UPDATE run_log SET stop = ?, clean = 1 WHERE id = ?", -1,
                           &st, NULL) != SQLITE_OK)
        return fail(s);
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, s->run_id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s);
    s->run_id = 0;
    return 0;
}

/* The state's day rows, read inside the caller's read transaction. */
static int
load_days(struct store *s, uint64_t fingerprint, int64_t period_start,
          const struct store_day_sink *sink)
{
    sqlite3_stmt *st;
    size_t n = 0, cap;
    int rc = SQLITE_DONE;

    /* Counted first, in the same read transaction, so that the sink allocates once. */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT count(*) FROM engine_day WHERE fingerprint = ? AND "
                           "period_start = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(s);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)fingerprint);
    sqlite3_bind_int64(st, 2, period_start);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return fail(s);
    }
    cap = (size_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (sink->start(sink->arg, cap) != 0) {
        errno = ENOMEM;
        return -1;
    }
    if (sqlite3_prepare_v2(s->db,
                           "SELECT day, ind, good_ms, bad_ms, unknown_ms, na_ms FROM engine_day "
                           "WHERE fingerprint = ? AND period_start = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(s);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)fingerprint);
    sqlite3_bind_int64(st, 2, period_start);
    while (n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_day d = {0};

        d.dayno = sqlite3_column_int(st, 0);
        d.ind = (size_t)sqlite3_column_int64(st, 1);
        d.good_ms = sqlite3_column_int64(st, 2);
        d.bad_ms = sqlite3_column_int64(st, 3);
        d.unknown_ms = sqlite3_column_int64(st, 4);
        d.na_ms = sqlite3_column_int64(st, 5);
        sink->row(sink->arg, n++, &d);
    }
    /* The transaction sees one snapshot: the count holds, and the step after the last row
     * says so. Fewer rows than counted would leave the sink's last ones blank: an error. */
    if (n == cap)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s);
    if (n != cap) {
        errno = EIO;
        return -1;
    }
    return 0;
}

int
store_state_load(struct store *s, uint64_t fingerprint, int64_t period_start, void **blob,
                 size_t *len, int64_t *saved_at, const struct store_day_sink *sink)
{
    sqlite3_stmt *st = NULL;
    int rc, n, e;

    *blob = NULL;
    *len = 0;
    /* One read transaction: the image and its days from the same checkpoint, even while the
     * daemon writes the next one (WAL readers see one snapshot). */
    if (exec(s, "BEGIN") < 0)
        return -1;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT blob, saved_at FROM engine_state WHERE fingerprint = ? AND "
                           "period_start = ?",
                           -1, &st, NULL) != SQLITE_OK)
        goto err;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)fingerprint);
    sqlite3_bind_int64(st, 2, period_start);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        errno = ENOENT;
        return -1;
    }
    if (rc != SQLITE_ROW)
        goto err;
    n = sqlite3_column_bytes(st, 0);
    if ((*blob = malloc(n > 0 ? (size_t)n : 1)) == NULL) {
        errno = ENOMEM;
        goto out;
    }
    if (n > 0)
        memcpy(*blob, sqlite3_column_blob(st, 0), (size_t)n);
    *len = (size_t)n;
    if (saved_at != NULL)
        *saved_at = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    st = NULL;
    if (load_days(s, fingerprint, period_start, sink) < 0)
        goto out;
    if (exec(s, "COMMIT") < 0)
        goto out;
    return 0;
err:
    errno = EIO;
out:
    e = errno;
    sqlite3_finalize(st);
    store_rollback(s->db);
    free(*blob);
    *blob = NULL;
    *len = 0;
    errno = e;
    return -1;
}

int
store_state_latest(struct store *s, uint64_t fingerprint, int64_t *period_start)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT max(period_start) FROM engine_state WHERE fingerprint = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(s);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)fingerprint);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return fail(s);
    }
    if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
        sqlite3_finalize(st);
        errno = ENOENT;
        return -1;
    }
    *period_start = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

int
store_checkpoint(struct store *s, int64_t now, uint64_t fingerprint, int64_t period_start,
                 const void *blob, size_t len, const struct store_day *days, size_t ndays)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    int e;

    if (exec(s, "BEGIN IMMEDIATE") < 0)
        return -1;
    if (sqlite3_prepare_v2(s->db,
                           /* An upsert updates the row where it is (a replace would
                            * delete it and insert it again at a new rowid) */
                           "INSERT INTO engine_state (fingerprint, period_start, blob, "
                           "saved_at) VALUES (?, ?, ?, ?) ON CONFLICT (fingerprint, "
                           "period_start) DO UPDATE SET blob = excluded.blob, "
                           "saved_at = excluded.saved_at",
                           -1, &st, NULL) != SQLITE_OK)
        goto err;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)fingerprint);
    sqlite3_bind_int64(st, 2, period_start);
    sqlite3_bind_blob64(st, 3, blob, len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto err;
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO indicator_day (indicator, day, good_ms, "
                           "bad_ms, unknown_ms, na_ms) VALUES (?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        goto err;
    for (i = 0; i < ndays; i++) {
        sqlite3_bind_text(st, 1, days[i].indicator, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, days[i].day, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, days[i].good_ms);
        sqlite3_bind_int64(st, 4, days[i].bad_ms);
        sqlite3_bind_int64(st, 5, days[i].unknown_ms);
        sqlite3_bind_int64(st, 6, days[i].na_ms);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto err;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT OR REPLACE INTO engine_day (fingerprint, period_start, day, "
                           "ind, good_ms, bad_ms, unknown_ms, na_ms) VALUES (?, ?, ?, ?, ?, ?, "
                           "?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        goto err;
    for (i = 0; i < ndays; i++) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)fingerprint);
        sqlite3_bind_int64(st, 2, period_start);
        sqlite3_bind_int(st, 3, days[i].dayno);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)days[i].ind);
        sqlite3_bind_int64(st, 5, days[i].good_ms);
        sqlite3_bind_int64(st, 6, days[i].bad_ms);
        sqlite3_bind_int64(st, 7, days[i].unknown_ms);
        sqlite3_bind_int64(st, 8, days[i].na_ms);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto err;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (s->run_id != 0) {
        if (sqlite3_prepare_v2(s->db, "UPDATE run_log SET last_checkpoint = ? WHERE id = ?", -1,
                               &st, NULL) != SQLITE_OK)
            goto err;
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, s->run_id);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto err;
        sqlite3_finalize(st);
        st = NULL;
    }
    if (exec(s, "COMMIT") < 0)
        goto err;
    return 0;
err:
    sqlite3_finalize(st);
    e = EIO;
    store_rollback(s->db);
    errno = e;
    return -1;
}

int
store_open_file_rw(const char *path, struct store **out)
{
    return open_existing(path, 0, STORE_SCHEMA_VERSION, out);
}

sqlite3 *
store_db(struct store *s)
{
    return s->db;
}
