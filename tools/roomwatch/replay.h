/*
 * replay.h - a recorded or synthetic trace, or roomwatchd's sample archive, run through the
 * core (core.h) as the daemon ran the same samples and commands live: the driver behind
 * `roomwatch replay` and `roomwatch verify`.
 *
 * The config gives the devices, their profiles' points (with the plausible ranges: a value
 * outside one goes to the engine as a bad sample) and staleness limits, and the indicators;
 * no device is contacted. The engine is set up as the daemon's (indset.h: the same points,
 * indicator configs and fingerprint), so a --db state is the daemon's kind of state. The
 * period is the calendar year (or month, per site.period) of the trace's first sample in the
 * site's zone, or year (and month). The trace may interleave points out of order by up to
 * max_skew_ms (default 3600 s): the engine is advanced to the newest sample minus the skew,
 * and a row older than that, or older than its point's previous row, is an error naming the
 * line. At the end the engine is finished at the period's end, so time after the trace's
 * last samples (beyond their staleness limit) is unknown.
 *
 * db_path keeps the state between replays, so that a trace replayed in chunks, one process
 * each, gives the JSON of one replay of the whole: the state stored for the same config
 * (fingerprint) and period is resumed, as if the rows before had come in this run; a row
 * older than what the resumed state has already accounted (the engine's advance, or its
 * point's last sample) is an error naming the line, as it would have been in one run, rather
 * than skipped: a chunk that overlaps the one before is a mistake to report. At the end the
 * state is saved before the engine is finished at the period's end (the next chunk continues
 * the trace, not the finished period), together with the per-day accumulators (table
 * indicator_day) for reports.
 *
 * Incidents: the core runs the config's alarm rules over the samples and keeps the record in
 * a store, as the daemon does: db_path, or a temporary database removed at the end. The
 * trace's event rows (@ack, @resolve, @event; trace_cmd.h) are the commands the daemon
 * applies, applied by the core at the row's time; one the record refuses (an unknown
 * incident, an acknowledgement after an unacknowledged resolution) is an error naming the
 * line. A @restart row restarts the core as the daemon restarted (core_restart()). With
 * db_path the record and the alarm detector's state are kept too (CORE_CONTINUE), so a chunk
 * goes on with the incidents the chunks before it opened, and a replayed database is what
 * the daemon's store would be.
 *
 * The archive (archive_dir, with year): the period's hour files, and those of LATE_DAYS after
 * it for the commands entered late (their samples are the next period's and are skipped).
 *
 * Errors go to stderr, one message naming the file and line. Ownership: cfg is borrowed and
 * must outlive the replay.
 */
#ifndef ROOMWATCH_REPLAY_H
#define ROOMWATCH_REPLAY_H

#include <stdint.h>

#define REPLAY_MAX_SKEW_DEFAULT 3600 /* s */

struct core;
struct indset_period;
struct ist_result;
struct replay;
struct rw_config;
struct store;

struct replay_opts {
    const char *trace_path;  /* a trace file (plain or gzip), "-" for standard input; or */
    const char *archive_dir; /* roomwatchd's archive (<state_dir>/archive), with year */
    const char *db_path;     /* resume from and save to; NULL: a temporary store */
    int year;                /* 0: the first sample's */
    int month;               /* month periods: 0 the first sample's */
    int64_t max_skew_ms;
    int64_t until_ms; /* 0: finished at the period's end; else accounted to here (verify) */
};

/* Runs the whole source: 0 and *out (replay_free() it), or -1 after saying why. */
int replay_run(const struct rw_config *cfg, const struct replay_opts *o, struct replay **out);
/* The core, finished at the period's end (or accounted to until_ms). */
struct core *replay_core(struct replay *rp);
/* The incident indicators as of the period's end (or until_ms): cfg->ninc_indicators. */
const struct ist_result *replay_inc(const struct replay *rp);
/* The store holding the replayed record (a temporary one unless db_path). */
struct store *replay_store(struct replay *rp);
/* The newest sample row read (ms), INT64_MIN if none. */
int64_t replay_newest(const struct replay *rp);
/* Accepts NULL. */
void replay_free(struct replay *rp);

#endif
