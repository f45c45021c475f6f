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
#define STORE_SCHEMA_VERSION 10   /* PRAGMA user_version after every migration */
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
 * Where store_state_load() hands the day rows: start(arg, n) once with their number (nonzero:
 * out of memory, the load fails with ENOMEM), then row(arg, i, d) for i = 0 .. n-1 with ind,
 * dayno and the times set (d is the store's, valid during the call). Handed over one by one so
 * that a year's rows (200 KiB for 8 indicators) are not held twice on the way into an engine.
 */
struct store_day_sink {
    int (*start)(void *arg, size_t n);
    void (*row)(void *arg, size_t i, const struct store_day *d);
    void *arg;
};

/*
 * The saved engine image for (fingerprint, period_start) and its day rows, read in one
 * transaction so that both are of the same checkpoint: 0 and *blob, *len, *saved_at (if not
 * NULL), the rows through sink; *blob is malloc()ed and the caller frees it. -1 with ENOENT
 * when there is no state, ENOMEM, or EIO (the sink may have taken rows: the caller drops them).
 */
int store_state_load(struct store *s, uint64_t fingerprint, int64_t period_start, void **blob,
                     size_t *len, int64_t *saved_at, const struct store_day_sink *sink);
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
 * Opens the existing database file path read-write, for the CLI's commands (roomwatch ack,
 * resolve, event) beside a running roomwatchd: nothing is created or migrated, writes are
 * synchronous=FULL and wait up to 5 s for the daemon's transaction (busy timeout). -1 with
 * ENOENT when there is no such file, EPROTO when its schema is not STORE_SCHEMA_VERSION (the
 * agent migrates it at its next start), EIO for SQLite.
 */
int store_open_file_rw(const char *path, struct store **out);

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

/* Records a new open incident (rule .. value of in; the rest is ignored) and sets *id; its
 * change-log row ("detected", source "detector") and notification row in the same commit. */
int store_incident_insert(struct store *s, const struct store_incident *in, int64_t *id);
/*
 * Resolves open incident id automatically: the condition was first seen clear at cleared
 * and the resolution decided at resolved; flags are added, and the change-log row
 * ("auto_resolved", source "detector") and notification row in the same commit. -1 with
 * ENOENT if there is no such open incident (nothing changes).
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

/*
 * One incident by id: calls fn once (as store_incident_each() does) and returns its result,
 * or -1 with ENOENT when there is no such incident.
 */
int store_incident_get(struct store *s, int64_t id,
                       int (*fn)(const struct store_incident *in, void *arg), void *arg);

/*
 * Commands on the fault-handling record: acknowledge, resolve by hand, record an event. The
 * one place that applies them, for roomwatchd (MQTT commands), the CLI and replay: the
 * caller checks the command's fields first (rcmd.h: rcmd_parse(), rcmd_check()); this checks
 * the incident and its state, writes, and keeps commands idempotent, inside one BEGIN
 * IMMEDIATE transaction, so that the daemon and the CLI writing at the same moment cannot
 * both apply the same change. A refused or repeated command writes nothing.
 *
 * Rules (times in ms; now is when the command is applied):
 *  - ack: an open incident not yet acknowledged gets acked_at = max(now, detected), by and
 *    note. One acknowledged already (by anyone) is left as it is: 0, changed = 0. A resolved
 *    incident that nobody acknowledged is refused (EALREADY): an acknowledgement after the
 *    fact would not be a response, and would count as one in mtta.
 *  - resolve: an open incident is resolved by hand: resolved_at = max(now, detected,
 *    acked_at), resolved_how "hand", by, cause, measure. An incident resolved automatically
 *    without notes gets by, cause and measure (its resolution time and "auto" stay): that is
 *    how the record of an automatic resolution is completed. One with notes already: the same
 *    by, cause and measure again is changed = 0; other ones are refused (EALREADY): the
 *    record is not rewritten.
 *  - event: inserted (at, kind, by, note, the incident it concerns if any, recorded_at =
 *    now), unless an event with the same kind, at, by, note and incident exists (changed = 0,
 *    id = that event's): a command delivered twice records one maintenance visit, not two.
 *    An incident named that does not exist is refused (ENOENT).
 *  - silence: recorded as store_silence_add() records it (from at to until, rule, device, by,
 *    note; created = now): the same silence again is changed = 0, id = the first's.
 * Every change to an incident also adds a row to the change log (what: "acknowledged",
 * "resolved" or "noted"; source as given: "mqtt", "cli", "replay"), which roomwatchd
 * publishes (store_change_each()).
 *
 * Returns 0 (r filled), or -1 with errno: ENOENT no such incident, EALREADY the incident's
 * state refuses the command (r->why says why, for the reply), EINVAL a field missing, EIO
 * SQLite. Strings are borrowed for the call.
 */
enum store_cmd_kind {
    STORE_CMD_ACK = 1,
    STORE_CMD_RESOLVE,
    STORE_CMD_EVENT,
    STORE_CMD_SILENCE, /* a maintenance window for notifications (store_silence_add()) */
};

struct store_cmd {
    enum store_cmd_kind kind;
    int64_t incident;       /* ack, resolve: the incident; event: the one it concerns, or 0 */
    const char *by;         /* who: every kind */
    const char *note;       /* or NULL (an MQTT or CLI event requires one: rcmd.h) */
    const char *cause;      /* resolve */
    const char *measure;    /* resolve */
    const char *event_kind; /* event: "maintenance", "inspection", "security-incident" */
    int64_t at;             /* event: when it happened; silence: its start */
    int64_t until;          /* silence: its end (excluded) */
    const char *rule;       /* silence: the alarm rule it covers, or NULL for any */
    const char *device;     /* silence: the device it covers, or NULL for any */
    int all;                /* silence: every incident and alert (rule, device NULL) */
};

#define STORE_WHY_LEN 384

struct store_cmd_result {
    int changed;      /* 1: written; 0: it was so already, nothing written */
    const char *what; /* changed: "acknowledged", "resolved", "noted", "recorded", "silenced";
                       * else NULL */
    int64_t id;       /* the incident (ack, resolve), the event (event), the silence (silence) */
    char why[STORE_WHY_LEN]; /* unchanged or refused: why, as a sentence without the id */
};

int store_cmd_apply(struct store *s, const struct store_cmd *c, int64_t now, const char *source,
                    struct store_cmd_result *r);

/*
 * The answer to a command, for store_cmd_apply_answered(): when the command changes the
 * record, build() makes the answer from the result and it is queued in the outbox (topic under
 * the prefix; ENOSPC beyond max messages) in the command's own transaction, so that a command
 * applied is a command answered, whatever happens next. build() returns a malloc()ed payload,
 * or NULL when memory runs out. queued (out) is 1 when the answer is in the outbox; 0 when the
 * command changed nothing or failed, the outbox was full or build() failed: the caller
 * answers another way.
 */
struct store_cmd_reply {
    const char *topic;
    int64_t max;
    char *(*build)(const struct store_cmd_result *r, void *arg);
    void *arg;
    int queued;
};
/* store_cmd_apply(), answered through the outbox (reply NULL: as store_cmd_apply()). */
int store_cmd_apply_answered(struct store *s, const struct store_cmd *c, int64_t now,
                             const char *source, struct store_cmd_result *r,
                             struct store_cmd_reply *reply);

/*
 * One row of the change log, not yet published: an incident changed by a command, or by the
 * alarm detector (schema version 10: store_incident_insert() and store_incident_resolve_auto()
 * add their row in the transition's transaction).
 */
struct store_change {
    int64_t seq;
    int64_t incident;
    const char *what; /* "detected", "acknowledged", "resolved", "noted", "auto_resolved";
                       * valid during the call */
    int64_t at;
};

/*
 * Calls fn for every change not yet marked published, in seq order; a non-zero return of fn
 * stops the walk and is returned. Returns 0 or -1 (EIO).
 */
int store_change_each(struct store *s, int (*fn)(const struct store_change *ch, void *arg),
                      void *arg);

/*
 * A row that waits to be published (a change, an event, an alert) and is marked published by
 * the write that hands its message on: store_outbox_add() sets the flag in the transaction
 * that adds the message, so a power cut leaves both or neither, never a message queued twice
 * under two msg_ids; store_mark_published() sets it alone, for a message that did not go
 * through the outbox.
 */
enum store_pubtable { STORE_PUB_CHANGE = 1, STORE_PUB_EVENT, STORE_PUB_ALERT };
struct store_pubmark {
    enum store_pubtable table;
    int64_t id; /* the change's seq, the event's or the alert's id */
};
/* 0 or -1 (EINVAL: table; EIO). */
int store_mark_published(struct store *s, const struct store_pubmark *m);
/*
 * The record of one period [start, end) (ms), as the incident indicators read it
 * (incind.h): store_incident_period() calls fn for every incident detected before end and
 * not resolved before start (open during the period, or resolved in it), in id order, as
 * store_incident_each() does; store_event_period() for every event with start <= at < end,
 * in id order. Both only read (a read-only store will do). Returns 0 or -1 (EIO); a non-zero
 * return of fn stops the walk and is returned.
 */
int store_incident_period(struct store *s, int64_t start, int64_t end,
                          int (*fn)(const struct store_incident *in, void *arg), void *arg);

/* One recorded event. Times in ms; strings valid during the call only. */
struct store_event {
    int64_t id;
    const char *kind; /* "maintenance", "inspection", "security-incident" */
    int64_t at;       /* when it happened */
    const char *by;
    const char *note;    /* NULL when none */
    int64_t incident;    /* the incident it concerns, 0 when none */
    int64_t recorded_at; /* when it was entered */
};

int store_event_period(struct store *s, int64_t start, int64_t end,
                       int (*fn)(const struct store_event *ev, void *arg), void *arg);
/*
 * Events not yet published (schema version 5), in id order, like store_change_each(); they
 * are marked with store_pubmark STORE_PUB_EVENT. An event is published once, whoever recorded
 * it (the daemon or the CLI): record.h.
 */
int store_event_unpublished(struct store *s, int (*fn)(const struct store_event *ev, void *arg),
                            void *arg);

/*
 * PRAGMA data_version into *v: it changes when another connection (the CLI) has committed
 * since the last call, not with this connection's own writes.
 */
int store_data_version(struct store *s, int64_t *v);

/*
 * Notifications (store_notify.c, schema version 6). The notification log (notify_event)
 * holds one row per thing a person on duty is told about, in seq order. The store writes the
 * incident rows itself, inside the transaction of the transition: store_incident_insert()
 * adds "opened", store_incident_resolve_auto() and a resolution by hand (store_cmd_apply())
 * add "resolved". An alert's transition adds its row with store_notify_add() inside its own
 * transaction. The notifier (agent/notify/) reads the log with a cursor per channel.
 */
#define STORE_NOTIFY_DETAIL_MAX 4096 /* bytes of detail kept */

struct store_notify_event {
    int64_t seq;
    const char *kind;   /* "incident" or "alert" */
    int64_t ref;        /* the incident's id (or the alert's) */
    const char *what;   /* incident: "opened", "escalated", "resolved"; alert: "raised",
                         * "recovered", "lost" */
    int64_t at;         /* ms */
    const char *detail; /* NULL, the escalation level ("1"), or an alert's facts (JSON) */
};

/*
 * Adds a row to the notification log: inside the caller's transaction when one is open on
 * s (that is the point: the row commits or rolls back with the transition), else in its
 * own. *seq (if not NULL) gets its seq. A second "escalated" row for the same incident and
 * level is not added: 0 with *seq = 0. -1 with EINVAL (bad kind or what) or EIO.
 */
int store_notify_add(struct store *s, const char *kind, int64_t ref, const char *what, int64_t at,
                     const char *detail, int64_t *seq);
/* Calls fn for the rows with seq > after, in seq order, at most max of them. 0 or -1 (EIO);
 * a non-zero return of fn stops the walk and is returned. Strings valid during the call. */
int store_notify_each(struct store *s, int64_t after, size_t max,
                      int (*fn)(const struct store_notify_event *ev, void *arg), void *arg);
/* The highest seq in the log, 0 when it is empty. */
int store_notify_last(struct store *s, int64_t *seq);

/*
 * Alerts (store_alert.c, schema version 7): one row per change of a target's alert state
 * (report/rpt_alert.h). NaN numbers are NULL. Strings are borrowed (for the call, or valid
 * during a callback).
 */
struct store_alert {
    int64_t id;
    const char *indicator, *period;
    int64_t at; /* ms */
    const char *state, *previous, *what; /* what: "raised", "recovered" or "lost" */
    double value;
    const char *target; /* NULL if none */
    double budget_left;
    const char *budget_unit; /* NULL if none */
    double burn_short, burn_long, projection, time_left, coverage;
    const char *doc; /* the published JSON */
    int published;
};

/*
 * Adds alert a and its notify_event row ("alert", its id, a->what, a->at, the doc as detail)
 * in one transaction. *id gets the alert's id. 0 or -1 (EINVAL: a->what; EIO).
 */
int store_alert_add(struct store *s, const struct store_alert *a, int64_t *id);
/*
 * Calls fn for the alerts with from <= at < to (all: INT64_MIN, INT64_MAX) in id order, or
 * only the unpublished ones. 0 or -1 (EIO); a non-zero return of fn stops the walk and is
 * returned.
 */
int store_alert_each(struct store *s, int64_t from, int64_t to, int unpublished_only,
                     int (*fn)(const struct store_alert *a, void *arg), void *arg);
/*
 * The last alert of indicator in period: its state into state (len bytes) and *at. 1 when
 * there is one, 0 when none, -1 (EIO).
 */
int store_alert_last(struct store *s, const char *indicator, const char *period, char *state,
                     size_t len, int64_t *at);
/*
 * The outbox (schema version 8): roomwatchd's QoS 1 messages until the broker acknowledged
 * them (agent/daemon/outbox.h). Strings are borrowed (valid during a callback).
 */
struct store_outbox_msg {
    int64_t id; /* the msg_id */
    const char *topic, *payload;
    int64_t queued_at; /* ms */
};
/*
 * Adds a message and, in the same transaction, marks the row it publishes (mark; NULL: none),
 * committed (synchronous=FULL) before it returns; *id gets its id. 0 or -1 (EIO; EINVAL: mark;
 * ENOSPC when the outbox holds max messages already: nothing added, nothing marked).
 */
int store_outbox_add(struct store *s, const char *topic, const char *payload, int64_t at,
                     int64_t max, const struct store_pubmark *mark, int64_t *id);
/* Deletes the n messages ids (acknowledged) in one transaction; ids not there are fine. 0 or
 * -1 (EIO). */
int store_outbox_done(struct store *s, const int64_t *ids, size_t n);
/*
 * Calls fn for at most max messages with an id above after, in id order. 0 or -1 (EIO); a
 * non-zero return of fn stops the walk and is returned.
 */
int store_outbox_each(struct store *s, int64_t after, size_t max,
                      int (*fn)(const struct store_outbox_msg *m, void *arg), void *arg);
/* How many messages wait and when the oldest was queued (ms; 0 when none). 0 or -1 (EIO). */
int store_outbox_stats(struct store *s, int64_t *count, int64_t *oldest);

/*
 * The late telemetry backlog (schema version 9; agent/daemon/late.h): spans [start, end) of
 * engine time (ms) whose telemetry did not go out live, oldest first. At most one span is
 * open (end unknown: the broker is still away). Every write is its own FULL-synced commit.
 */
struct store_late_span {
    int64_t id;
    int64_t start; /* sent up to here */
    int64_t end;   /* exclusive; INT64_MAX while open */
};
/* Opens a span from start, unless one is open already (then nothing changes). 0 or -1 (EIO). */
int store_late_open(struct store *s, int64_t start);
/* Closes the open span at end; a span that ends at or before its start is deleted. 1 when a
 * span was open, 0 when none was, -1 (EIO). */
int store_late_close(struct store *s, int64_t end);
/* Moves span id's start to start (what is before it was sent or given up); a closed span
 * whose start reaches its end is deleted. 0 or -1 (EIO). */
int store_late_advance(struct store *s, int64_t id, int64_t start);
/* The spans, oldest first, into v[0..max); *n gets how many there are (may exceed max). 0 or
 * -1 (EIO). */
int store_late_list(struct store *s, struct store_late_span *v, size_t max, size_t *n);

/*
 * A number that changes whenever anything is written to the database by this connection,
 * and with others, by another process too (store_data_version()): a reader of the record can
 * keep what it computed while it stays the same. Without others it costs no query. 0 or -1
 * (EIO).
 */
int store_write_version(struct store *s, int others, int64_t *v);

/* A channel's delivery state. */
struct store_notify_channel {
    const char *name;
    int64_t cursor;        /* the last seq done with: sent, or not for this channel */
    int64_t failing_since; /* ms, 0 while it delivers */
    int attempts;          /* failed sends in this episode */
    const char *last_error; /* NULL when none; never holds a secret */
    int64_t last_ok;       /* ms, 0 when never */
};

/*
 * The state of channel name into *out (strings copied into buf of len bytes, cut to fit).
 * A channel the store does not know yet starts at the end of the log (cursor = the last
 * seq): a channel added to the config is told what happens from then on, not the history.
 * 0 or -1 (EIO).
 */
int store_notify_channel_get(struct store *s, const char *name, struct store_notify_channel *out,
                             char *buf, size_t len);
/* Writes the state of channel st->name (insert or update), in its own transaction. */
int store_notify_channel_set(struct store *s, const struct store_notify_channel *st);
/* Calls fn for every channel's state, by name (a read-only store will do). 0, -1 (EIO), or
 * what fn returned when non-zero. */
int store_notify_channel_each(struct store *s,
                              int (*fn)(const struct store_notify_channel *st, void *arg),
                              void *arg);

/*
 * Silences (maintenance windows): while one holds, the notifications of the incidents it
 * covers are not sent on any channel; the incidents themselves are recorded and published
 * as always. A silence covers the incidents of rule (if not NULL) on device (if not NULL):
 * both NULL is every incident and alert. A transition at time t is covered when
 * max(starts, created) <= t < ends: a silence does not reach back before it was recorded,
 * when what was going on had been told already. A resolution is covered when its incident's
 * opening was (the caller passes the detection time): the story is told whole or not at all.
 */
struct store_silence {
    int64_t id;
    int64_t starts, ends; /* ms, [starts, ends) */
    const char *rule, *device; /* NULL: any */
    const char *by, *note;
    int64_t created; /* ms */
};

/*
 * Records a silence (id and created are set here; created = now) and sets *id. The same
 * window, rule, device, by and note again records nothing: 0 and *id of the first (a
 * command delivered twice). -1 with EINVAL (ends <= starts, by or note missing) or EIO.
 */
int store_silence_add(struct store *s, const struct store_silence *in, int64_t now, int64_t *id);
/* Calls fn for each silence with ends > after (0: all), in id order. 0, -1 (EIO), or fn's. */
int store_silence_each(struct store *s, int64_t after,
                       int (*fn)(const struct store_silence *sl, void *arg), void *arg);
/* Whether a transition of an incident of rule on device (NULL for an alert) at time at is
 * covered: 1 and *id the silence's, 0 when not, -1 (EIO). */
int store_silence_covers(struct store *s, const char *rule, const char *device, int64_t at,
                         int64_t *id);
/* The notification-log rows silence id held back, in seq order (as store_notify_each()).
 * 0, -1 (EIO), or fn's. */
int store_silence_held(struct store *s, int64_t id,
                       int (*fn)(const struct store_notify_event *ev, void *arg), void *arg);

#endif
