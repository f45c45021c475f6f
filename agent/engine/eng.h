/*
 * eng.h - the indicator engine: turns point samples into the indicators the performance-target
 * forms commit to, with the evidence each value was computed from.
 *
 * The engine is pure: no I/O, no clock, no environment, no locks. Time comes in as an argument
 * (milliseconds since the Unix epoch, int64), and the calendar comes in precomputed as the
 * local midnights of the period (the caller reads the time zone). The same code runs live in
 * roomwatchd and offline in `roomwatch replay`, so a replayed trace gives exactly the values
 * the daemon computed.
 *
 * Model (DESIGN.md, "Time"):
 *  - A sample at t holds its value over [t, min(next sample, t + L)), L being the point's
 *    staleness limit; time covered by no fresh sample is unknown. Holds are clipped to the
 *    period. A sample that is not valid (no answer, or outside the plausible range) holds too,
 *    as "bad": the device was asked and gave no valid answer.
 *  - Each indicator classifies the held timeline of each of its points (in band / out, supplied
 *    / interrupted, up / down, monitored / not, unknown), combines points where the kind says so,
 *    and adds the classified time to per-day accumulators. Memory is fixed by the period's
 *    length and the number of points and indicators, not by the number of samples; updating an
 *    indicator with a sample is O(1) apart from multi-point combination queues, bounded by how
 *    far points run ahead of each other (eng_advance()).
 *
 * Delivery (the agent's own reports, ENG_DELIVERY) is counted, not timed: each sample of a
 * delivery indicator's points is the outcome of one report, known at the sample's time t:
 * value = the report's delivery latency in seconds, valid, or not valid when it was not
 * delivered (refused, failed, or no acknowledgement by the deadline). The report counts in
 * the day of t: on time when valid with latency <= deadline, late otherwise. Holds play no
 * part: the points' staleness limit is not used.
 *
 * Ownership: eng_new() copies what it needs from the configs; results returned by
 * eng_result() are valid until the next call into the engine.
 * Threads: one engine belongs to one thread.
 */
#ifndef ROOMWATCH_ENG_H
#define ROOMWATCH_ENG_H

#include <stddef.h>
#include <stdint.h>

#define ENG_MAX_SET 16      /* values of an "in set" condition */
#define ENG_MAX_LIST 1000   /* interruptions kept in the evidence list (all are counted) */

enum eng_status {
    ENG_OK = 0,
    ENG_ERR_INVALID, /* a config the engine cannot honour; the message says why */
    ENG_ERR_ORDER,   /* a sample older than the point's last one, or than eng_advance() */
    ENG_ERR_NOMEM,
};

enum eng_kind {
    ENG_BAND = 0,      /* in-band time / (in + out) x 100 % */
    ENG_SUPPLY_DAYS,   /* days in the period - days with an interrupted second */
    ENG_AVAILABILITY,  /* up / (up + down) x 100 % */
    ENG_DOWNTIME,      /* down time, hours */
    ENG_FAULT_RATE,    /* down / (up + down) x 100 % */
    ENG_DUTY_DAYS,     /* days monitored at least duty_share of the day */
    ENG_ENERGY,        /* kWh from counter differences */
    ENG_DELIVERY,      /* reports delivered within the deadline / reports due x 100 % */
};

/* A condition on a held value: "output source in {3,4,5}", "voltage above 150". */
enum eng_cond_op {
    ENG_COND_NONE = 0, /* any valid value satisfies it */
    ENG_COND_IN_SET,
    ENG_COND_ABOVE,    /* value > lo */
    ENG_COND_AT_LEAST, /* value >= lo */
    ENG_COND_BELOW,    /* value < hi */
    ENG_COND_RANGE,    /* lo <= value <= hi */
};

struct eng_cond {
    enum eng_cond_op op;
    double lo, hi;
    int nset;
    double set[ENG_MAX_SET];
};

/* The period and its calendar: day d is [day_start[d], day_start[d + 1]). */
struct eng_period {
    int ndays;
    const int64_t *day_start; /* ndays + 1 local midnights, ms; borrowed for eng_new() only */
};

struct eng_point_cfg {
    int64_t stale_ms; /* L: how long a sample holds at most, > 0 */
};

struct eng_ind_cfg {
    enum eng_kind kind;
    size_t npoints;
    const uint32_t *points; /* indices into the engine's points; borrowed for eng_new() only */
    /* band: lo <= mean <= hi is in; an optional wider assessment band outside which a window
     * is "not assessed" (no supply, meter invalid). window_ms 0 classifies held samples
     * directly; otherwise windows are aligned to local midnight and must divide the day. */
    double lo, hi;
    int has_assess;
    double assess_lo, assess_hi;
    int64_t window_ms;
    int each; /* 1: one rate per point, the lowest is the value; 0: "any" */
    /* supply_days, availability, downtime, fault_rate: the condition a held value must meet */
    struct eng_cond cond;
    /* duty_days: share of a day that must be monitored, 0..1 */
    double duty_share;
    /* delivery: a report whose latency is at most this is on time, > 0 */
    int64_t deadline_ms;
};

/* Per point of a band indicator (each), and the totals. Times in ms. */
struct eng_band_ev {
    int64_t in_ms, out_ms, unknown_ms, not_assessed_ms;
    double lowest, highest; /* extremes of the classified means (NaN if none) */
};

struct eng_interruption {
    int64_t start, end; /* ms */
};

/*
 * The value of one indicator now, with its evidence. Arrays point into the engine and are
 * valid until the next call into it.
 */
struct eng_result {
    enum eng_kind kind;
    double value;     /* NaN when nothing is known yet */
    int64_t known_ms; /* time the value rests on (band: in + out + not assessed) */
    int64_t period_ms;
    double coverage;  /* known / period time so far */
    /* band */
    struct eng_band_ev band;
    size_t nper_point;
    const struct eng_band_ev *per_point;
    /* availability, downtime, fault_rate */
    int64_t up_ms, down_ms, unknown_ms;
    /* supply_days, duty_days: day indices (0 = first day of the period) */
    int days;            /* days in the period */
    size_t nlost;        /* supply: days with an interruption; duty: days not on duty */
    const int *lost;
    size_t nunverified;  /* supply: days with unknown time and no interruption */
    const int *unverified;
    uint64_t ninterruptions;
    int64_t interrupted_ms, longest_ms;
    size_t nlist; /* <= ENG_MAX_LIST, the first ones */
    const struct eng_interruption *list;
    /* energy */
    double kwh;
    uint64_t resets; /* readings lower than the one before */
    /* delivery: counts of reports whose outcome is known in the period */
    uint64_t due, on_time, late;
    uint64_t acked; /* reports with a latency (acknowledged), on time or late */
    double latency_min, latency_max, latency_mean; /* s, over the acked; NaN if none */
    int64_t elapsed_ms; /* period time accounted so far (the period's end: all of it) */
};

struct eng;

/*
 * Creates an engine for one period. Returns ENG_OK and *out, or an error with a message in
 * err (errlen bytes) naming the indicator by index.
 */
enum eng_status eng_new(const struct eng_period *period, size_t npoints,
                        const struct eng_point_cfg *points, size_t nind,
                        const struct eng_ind_cfg *inds, struct eng **out, char *err,
                        size_t errlen);
/* Accepts NULL. */
void eng_free(struct eng *e);

/*
 * One sample of point p at time t (ms). valid: the device answered with a value inside the
 * plausible range; otherwise value is ignored and the time reads as "bad". Samples must come
 * in time order per point, and not before the last eng_advance(); ENG_ERR_ORDER otherwise
 * (the sample is ignored, nothing changes).
 */
enum eng_status eng_sample(struct eng *e, uint32_t p, int64_t t, double value, int valid);

/*
 * Promises that no sample older than t will come for any point, so that time before t can be
 * combined across points. The daemon calls it as time passes; replay calls it as the trace
 * advances. Does not end any hold.
 */
void eng_advance(struct eng *e, int64_t t);

/*
 * The agent stopped looking at t (it was killed, lost power or stopped): every point's hold
 * ends at t (or where it already reached), and the time from there to the point's next
 * sample is unknown. The daemon calls it on the state it resumes from. Energy counters keep
 * their last reading: a counter integrates across the gap.
 */
void eng_cut(struct eng *e, int64_t t);

/*
 * Ends every point's timeline at t: holds run on up to L, then unknown until t (clipped to
 * the period). Call once, at the end of a trace or when computing a report "as of" t.
 */
void eng_finish(struct eng *e, int64_t t);

/* The indicator's value and evidence so far. */
const struct eng_result *eng_result(struct eng *e, size_t ind);

const char *eng_kind_name(enum eng_kind k);

/*
 * Per-day accumulators of indicator ind, day d (0 = the period's first), ms: good (in, up,
 * supplied, monitored), bad (out, down, interrupted), unknown, and not assessed (band). For
 * several points that are not combined into one stream (band "each", availability groups)
 * the points' times are summed. For delivery they are counts of reports, not ms: good = on
 * time, bad = late, unknown and not assessed 0. Returns 0, or -1 for an index out of range.
 */
int eng_day(const struct eng *e, size_t ind, int day, int64_t *good, int64_t *bad,
            int64_t *unknown, int64_t *na);

/* The newest sample seen for any point and the last eng_advance() time (INT64_MIN: none). */
void eng_position(const struct eng *e, int64_t *newest, int64_t *advanced);
/* The time of point p's last sample, INT64_MIN if it has none. */
int64_t eng_point_last(const struct eng *e, uint32_t p);
/*
 * Point p's last sample, if it still holds (not ended by eng_cut()): 0 and *t, *value,
 * *valid as eng_sample() got them; -1 otherwise. A caller starting the engine of the next
 * period gives it each point's last sample, so that a hold across the periods' boundary
 * goes on in the new period (samples from before a period hold into it).
 */
int eng_point_sample(const struct eng *e, uint32_t p, int64_t *t, double *value, int *valid);

/*
 * Which days' accumulators changed: since the last eng_days_mark() (or eng_new(), or
 * eng_restore()), every day whose accumulators changed lies in [*first, *last]; returns 0, or
 * -1 when none changed. A caller that stores the days (eng_day()) of that range and then
 * calls eng_days_mark() once they are stored keeps a copy of every day, writing only the
 * changed ones. O(1); tracked as time is accumulated, not guessed from the clock.
 */
int eng_days_changed(const struct eng *e, int *first, int *last);
/*
 * A count that changes whenever the accumulators of a day that was over by the last
 * eng_advance() change (a late sample, a restore), of any indicator: a caller that summed
 * such days (eng_day()) may keep the sum while the count stays. O(1).
 */
uint64_t eng_past_changes(const struct eng *e);
void eng_days_mark(struct eng *e);

/*
 * Snapshots: a versioned binary image of the engine's mutable state (points' last samples,
 * the windows being filled, combination queues, interruption runs, energy readings, and
 * each indicator's totals) without the per-day accumulators, which the caller keeps as rows
 * (eng_day(), eng_days_changed()) and gives back to eng_restore(): an engine restored from
 * the image and the rows continues bit for bit as the one that made them would have. The
 * configuration is not in the image: the caller creates the engine with the same
 * configuration and period, and passes a fingerprint of it (eng_fingerprint(), or its own
 * hash that also covers what the engine does not see); an image made with another
 * fingerprint, period, version or shape is refused.
 *
 * The image is in the host's byte order: it is read back where it was written.
 */
uint64_t eng_fingerprint(size_t npoints, const struct eng_point_cfg *points, size_t nind,
                         const struct eng_ind_cfg *inds);
/* *buf is new (the caller free()s it). ENG_OK, or ENG_ERR_NOMEM. */
enum eng_status eng_snapshot(const struct eng *e, uint64_t fingerprint, void **buf,
                             size_t *len);
/* One indicator's accumulators of one day, ms, as eng_day() gives them. */
struct eng_day_acc {
    size_t ind;
    int day; /* 0 = the period's first */
    int64_t good, bad, unknown, na;
};
/*
 * Restores the image and the day rows (days not given are zero; a later row for the same
 * indicator and day replaces an earlier one). ENG_OK; ENG_ERR_INVALID for an image of another
 * config, period or version, a damaged one, or rows that are out of range or do not add up
 * to the totals in the image (missing, or of another state); nothing changes then;
 * ENG_ERR_NOMEM. Afterwards no day counts as changed (eng_days_changed()).
 */
enum eng_status eng_restore(struct eng *e, uint64_t fingerprint, const void *buf, size_t len,
                            const struct eng_day_acc *days, size_t ndays);

#endif
