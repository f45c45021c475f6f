/*
 * store.h - the durable store: one SQLite database in the state directory holding the agent's
 * run log, the engine's state (a snapshot per config fingerprint and period) and the
 * per-indicator per-day accumulators that reports read.
 *
 * Nothing but the store decides what survives a power cut (DESIGN.md, "Store"). Each
 * checkpoint is one transaction: the engine image, the changed days and the run log's
 * last_checkpoint go to disk together or not at all, so after a power cut the database holds
 * the previous checkpoint whole, and the time since then reads as unknown.
 *
 * Errors: 0 or -1 with errno (EIO for an SQLite error; store_errmsg() gives its text),
 * libmodbus-style. Nothing here logs: callers log once, where they handle the error.
 * Threads: a store and its sqlite3 connection belong to one thread (the daemon's main
 * thread); SQLite itself is used in its default serialized mode.
 */
#ifndef ROOMWATCH_STORE_H
#define ROOMWATCH_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_FILE "roomwatch.db" /* the database's name inside the state directory */
#define STORE_SCHEMA_VERSION 3    /* PRAGMA user_version after every migration */

struct store;

/* One run of the agent, from the run log. Times in ms since the epoch; 0 when not set. */
struct store_run {
    int64_t id;
    int64_t start, stop, last_checkpoint;
    int clean; /* 1: stopped cleanly (stop is set); 0: killed or lost power */
};

/* One indicator's accumulators for one local day, ms (for a delivery indicator good and bad
 * are counts of reports, on time and late: eng_day()). */
struct store_day {
    const char *indicator; /* the indicator's id; borrowed */
    char day[16];          /* "YYYY-MM-DD" */
    int64_t good_ms, bad_ms, unknown_ms, na_ms;
};

/*
 * Opens, creating it if needed, dir/STORE_FILE (store_open; the folder is created with mode
 * 0750 if missing) or the database file path (store_open_file), and migrates its schema to
 * STORE_SCHEMA_VERSION. A database from a newer roomwatch (a higher user_version) is refused
 * with EPROTO. *out is owned by the caller: store_close() it.
 */
int store_open(const char *dir, struct store **out);
int store_open_file(const char *path, struct store **out);
/* Checkpoints the WAL into the database and truncates it, then closes. Accepts NULL. */
void store_close(struct store *s);
/* The text of the last SQLite error on s ("not an error" if none). Valid until the next call. */
const char *store_errmsg(const struct store *s);

/*
 * Starts a run at now: inserts its run-log row. If prev is not NULL it receives the run
 * before it (0 if there was one, else prev->id = 0).
 */
int store_run_begin(struct store *s, int64_t now, struct store_run *prev);
/* Ends the current run cleanly at now (after the last checkpoint). */
int store_run_end(struct store *s, int64_t now);

/*
 * The saved engine image for (fingerprint, period_start): 0 and *blob (malloc()ed; the
 * caller frees it), *len and *saved_at; -1 with ENOENT when there is none.
 */
int store_state_load(struct store *s, uint64_t fingerprint, int64_t period_start, void **blob,
                     size_t *len, int64_t *saved_at);

/*
 * One checkpoint in one transaction (BEGIN IMMEDIATE): replaces the engine image for
 * (fingerprint, period_start), upserts the given days' accumulators and, if a run is going
 * on, sets its last_checkpoint to now. On error nothing of it is written.
 */
int store_checkpoint(struct store *s, int64_t now, uint64_t fingerprint, int64_t period_start,
                     const void *blob, size_t len, const struct store_day *days, size_t ndays);

/*
 * Opens the database file path read-only (`roomwatch incidents`): nothing is created or
 * migrated. -1 with ENOENT when there is no such file, EPROTO when its schema is not
 * STORE_SCHEMA_VERSION (the agent migrates it at its next start), EIO for SQLite. Closing it
 * with store_close() leaves the file alone.
 */
int store_open_file_ro(const char *path, struct store **out);

/*
 * Incidents (store_incident.c): the fault-handling record (故障处理记录). Each write is its
 * own transaction, fsync()ed before it returns (synchronous=FULL): the caller publishes an
 * incident only after it is on disk, so a published incident survives any power cut.
 */
#define STORE_INC_CLEARED_WHILE_DOWN 0x1u /* resolved at the first poll after a restart */

/* One incident. Times in ms since the epoch, 0 when not set; strings NULL when not set. */
struct store_incident {
    int64_t id;
    const char *rule, *device;
    const char *point; /* NULL for a device rule */
    const char *severity, *category;
    int64_t started;  /* the condition first seen */
    int64_t detected; /* opened, after the rule's hold */
    double value;     /* at detection; NaN when there is none */
    int64_t acked;
    const char *acked_by, *ack_note;
    int64_t cleared;  /* the condition first seen clear (automatic resolution) */
    int64_t resolved; /* 0 while open */
    const char *resolved_how; /* "auto" or "hand"; NULL while open */
    const char *resolved_by, *cause, *measure;
    unsigned flags; /* STORE_INC_* */
};

/* Records a new open incident (rule .. value of in; the rest is ignored) and sets *id. */
int store_incident_insert(struct store *s, const struct store_incident *in, int64_t *id);
/*
 * Resolves open incident id automatically: the condition was first seen clear at cleared
 * and the resolution decided at resolved; flags are added. -1 with ENOENT if there is no
 * such open incident (nothing changes).
 */
int store_incident_resolve_auto(struct store *s, int64_t id, int64_t cleared, int64_t resolved,
                                unsigned flags);
/*
 * Calls fn for every incident (only the open ones if open_only), in id order. The strings
 * are valid during the call only. Returns 0 or -1; a non-zero return of fn stops the walk
 * and is returned.
 */
int store_incident_each(struct store *s, int open_only,
                        int (*fn)(const struct store_incident *in, void *arg), void *arg);

#endif
