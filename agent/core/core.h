/*
 * core.h - the one core that roomwatchd and `roomwatch replay` both drive (DESIGN.md, "Data
 * flow"): samples and commands in, with their times; inside, the indicator engine (one per
 * period, rolling over at the period's end), the alarm rules and the incident lifecycle
 * (incident.h), the fault-handling record's commands (record.h) and the incident indicators
 * (incind.h); out, the store's writes and the messages given to core_out (core_io.h). A trace
 * replayed offline therefore gives exactly the values and incidents the daemon produced from
 * the same samples and commands: no rule of the record is written twice.
 *
 * DESIGN: no threads and no clock. Every time comes in (engine time, ms since the epoch):
 * roomwatchd feeds the core from its sample queue and gives the time from its monotonic clock
 * (rw_etime); replay gives a trace's timestamps. The owner advances the engine
 * (core_advance(): the daemon to now less the queue's lag, replay to its newest row less the
 * skew it allows) and, in the daemon, calls core_tick() about once a second for what is due:
 * the ended period's finish, a checkpoint every checkpoint_interval, the indicators'
 * publishing, the retry of incident writes the store refused, the changes the CLI made.
 *
 * State: the store (borrowed, opened by the owner: the daemon's state directory, or replay's
 * temporary or --db file) keeps the engine's state per config and period, with the alarm
 * detector's state beside it, and the record. core_open() resumes the state stored for the
 * config and period; how depends on whether the feed goes on without a gap:
 *  - CORE_RESTART (roomwatchd): the agent was looking up to the last checkpoint and may have
 *    stopped at any moment after it, so every hold is cut there (the time up to the first new
 *    sample reads as unknown), and the incidents still open in the store are restored open,
 *    each resolved at the first observation that finds its condition clear (alarm.h, restart);
 *  - CORE_CONTINUE (replay --db): the next rows continue the ones before, so holds go on and
 *    the detector resumes exactly (runs being timed, open incidents, poll cycles), and a
 *    trace replayed in chunks gives what one replay of the whole gives, incidents included.
 * Periods: with a fixed period (replay) the core stays in it; otherwise (the daemon) a sample
 * or tick past the period's end starts the next period's engine with every point's last
 * sample (a hold across midnight goes on) and keeps the ended one for CORE_LAG_MS more for
 * the samples from before its end still on their way, then finishes it at its end and
 * checkpoints its final state (its values stay readable: `roomwatch status --year`).
 *
 * Alerts (alert.h): judged at every whole minute of engine time from the first one after the
 * period's first sample, each on the engine with every sample up to it and none after: a
 * sample past the next minute to judge waits in the core (in arrival order, at most the
 * queue's lag in the daemon, a step of replay) until that minute is judged; a checkpoint
 * keeps the waiting ones for a continued feed (CORE_CONTINUE), a restart cuts them with the
 * rest. core_finish() takes them all in.
 *
 * Publishing (with a core_out): the engine's indicators and the incident indicators on the
 * retained <prefix>/indicator/<id> when they change and at least once a minute, naming their
 * period and as_of; incident transitions and changes on <prefix>/incident/<id> (incident.h);
 * events on <prefix>/event/<id> (record.h). Delivery: each telemetry report's outcome comes in
 * as core_report() and counts as a sample of the agent's point agent.delivery.<device>.
 *
 * Errors: core_open returns 0 or -1 with errno and a message in err. core_command() returns
 * rec_apply()'s result. The rest log their failures themselves, once per change of state.
 * Ownership: cfg and store are borrowed and must outlive the core; so must out.
 */
#ifndef ROOMWATCH_CORE_H
#define ROOMWATCH_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/core_io.h"
#include "core/indset.h"

struct core;
struct eng;
struct ist_result;
struct rw_config;
struct store;
struct store_cmd;
struct store_cmd_result;

#define CORE_LAG_MS 2000 /* the daemon's samples may wait this long in the queue */

enum core_resume {
    CORE_RESTART = 0,
    CORE_CONTINUE,
};

struct core_opts {
    int64_t now;                        /* engine time at open: its period, unless fixed */
    const struct indset_period *period; /* a fixed period, or NULL: now's, rolling over */
    enum core_resume resume;
    const struct core_out *out; /* NULL: nothing is published */
};

int core_open(const struct rw_config *cfg, struct store *store, const struct core_opts *o,
              struct core **out, char *err, size_t errlen);
/*
 * 1 when a stored state was resumed (*saved_at: the checkpoint's time; *newest: the newest
 * sample it holds, INT64_MIN if none), else 0. Either pointer may be NULL.
 */
int core_resumed(const struct core *c, int64_t *saved_at, int64_t *newest);
/* One sample. 0, or -1 when the engine refused it (older than what it has accounted). */
int core_sample(struct core *c, const struct core_sample *s);
/*
 * The outcome of one telemetry report of device dev, known at t: its latency in s (rounded
 * to the millisecond, as a trace keeps it), or NaN for a late or refused report. 0, or -1 as
 * core_sample().
 */
int core_report(struct core *c, size_t dev, int64_t t, double latency_s);
/*
 * The daemon restarted at t after a checkpoint at saved (a trace's @restart row): what a
 * restart does to a resumed state, done to this one (CORE_RESTART above): holds are cut at
 * saved, the alarm detector forgets its runs and takes the open incidents from the store.
 */
void core_restart(struct core *c, int64_t saved);
/* A command on the record applied at now (record.h: rec_apply()); reply (NULL: none) queues
 * its answer with it (store.h: store_cmd_apply_answered()). */
struct store_cmd_reply;
int core_command(struct core *c, const struct store_cmd *cmd, int64_t now, const char *source,
                 struct store_cmd_result *r, struct store_cmd_reply *reply);
/* The engine accounts for time up to t (eng_advance()). */
void core_advance(struct core *c, int64_t t);
/* What is due at now (see above). Call about once a second. */
void core_tick(struct core *c, int64_t now);
/*
 * A checkpoint at now: the engine's image and changed days, the detector's state beside it.
 * 0, or -1 with errno (EIO: core_errmsg()), not logged.
 */
int core_checkpoint(struct core *c, int64_t now);
/*
 * The end of the daemon's run at now: the ended period finished, time accounted up to now, a
 * final checkpoint (logged if it fails) and every indicator published. The owner then ends
 * the run log and frees the core.
 */
void core_stop(struct core *c, int64_t now);
/* The current period's engine finished at the period's end (replay's last step). */
void core_finish(struct core *c);
/*
 * The incident indicators as of now, res[i] for cfg->inc_indicators[i] (cleared first; the
 * caller clears each with ist_result_clear()). 0, or -1 with errno (EIO: core_errmsg()).
 */
int core_inc_results(struct core *c, int64_t now, struct ist_result *res);
/* The current period and its engine (valid until the next sample, tick or core_free()). */
const struct indset_period *core_period(const struct core *c);
struct eng *core_engine(struct core *c);
/* The text of the store's last error. */
const char *core_errmsg(const struct core *c);
/* 1 while checkpoints fail (a full disk, an I/O error), from the first failure to the next
 * success; else 0. For the daemon's status document: the failure is logged here, once. */
int core_store_failing(const struct core *c);
/* Accepts NULL. Writes nothing: core_stop() or core_checkpoint() first. */
void core_free(struct core *c);

/*
 * What every reader of a store (roomwatch status, roomwatch report) shows for period p at
 * wall time now (ms): e (new, for p) restored from the store's state as indset_load() does,
 * with the samples the checkpoint held back for the next minute's alerts taken in (a
 * replay --db stops with up to --max-skew of them), then finished if the period is over
 * (indset_view_at()). 0, or -1 with indset_load()'s errors.
 */
int core_view(const struct indset *is, const struct indset_period *p, struct store *st,
              struct eng *e, int64_t now, int64_t *as_of, int *final);

#endif
