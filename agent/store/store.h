/*
 * store.h - the durable store: one SQLite database in the state directory holding the agent's
 * run log, the engine's state (a snapshot per config fingerprint and period, and the engine's
 * per-day accumulators as rows beside it) and the per-indicator per-day accumulators that
 * reports read.
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
/* The oldest schema store_open_readonly() reads: engine_day came with version 2. */
#define STORE_READ_MIN_VERSION 2

struct store;

/* One run of the agent, from the run log. Times in ms since the epoch; 0 when not set. */
struct store_run {
    int64_t id;
    int64_t start, stop, last_checkpoint;
    int clean; /* 1: stopped cleanly (stop is set); 0: killed or lost power */
};

/*
 * One indicator's accumulators for one local day, ms (for a delivery indicator good and bad
 * are counts of reports, on time and late: eng_day()). A checkpoint writes each twice: for
 * reports by indicator id and date (table indicator_day), and for the engine by its indices
 * under the state's fingerprint and period (table engine_day).
 */
struct store_day {
    const char *indicator; /* the indicator's id; borrowed (NULL in what is loaded) */
    char day[16];          /* "YYYY-MM-DD" (empty in what is loaded) */
    size_t ind;            /* the indicator's index in the engine */
    int dayno;             /* the day's index in the period, 0 = its first */
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
/*
 * Opens the database file path to read only, as `roomwatch status` and `roomwatch incidents`
 * do while the daemon writes it: never creates, migrates or writes it (nor checkpoints the
 * WAL at close). -1 with ENOENT when there is no such file, EIO when it is not a readable
 * SQLite database, EPROTO when its schema is older than STORE_READ_MIN_VERSION or newer than
 * STORE_SCHEMA_VERSION (tables a version older than the current one lacks give EIO when
 * read: the agent migrates the file at its next start). Only the reading functions
 * (store_state_load(), store_state_latest(), store_incident_each()) may be used on it.
 */
int store_open_readonly(const char *path, struct store **out);
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
 * The saved engine image for (fingerprint, period_start) and its day rows, read in one
 * transaction so that both are of the same checkpoint: 0 and *blob, *len, *saved_at (if not
 * NULL) and *days, *ndays (ind, dayno and the times set); *blob and *days are malloc()ed and
 * the caller frees them. -1 with ENOENT when there is no state, ENOMEM, or EIO.
 */
int store_state_load(struct store *s, uint64_t fingerprint, int64_t period_start, void **blob,
                     size_t *len, int64_t *saved_at, struct store_day **days, size_t *ndays);
/* The latest period_start with a saved state for fingerprint: 0, or -1 with ENOENT or EIO. */
int store_state_latest(struct store *s, uint64_t fingerprint, int64_t *period_start);

/*
 * One checkpoint in one transaction (BEGIN IMMEDIATE): replaces the engine image for
 * (fingerprint, period_start), upserts the given days' accumulators (the changed ones: both
 * tables keep the rows of days not given) and, if a run is going on, sets its
 * last_checkpoint to now. On error nothing of it is written.
 */
int store_checkpoint(struct store *s, int64_t now, uint64_t fingerprint, int64_t period_start,
                     const void *blob, size_t len, const struct store_day *days, size_t ndays);

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
