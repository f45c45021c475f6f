/*
 * alarm.h - alarm detection: turns point samples into the open and clear transitions of
 * incidents, per alarm rule and target (DESIGN.md, "Indicators", last paragraph).
 *
 * Pure, like the indicator engine beside it: no I/O, no clock, no locks. Time comes in with
 * the samples (ms since the epoch, the daemon's engine time), and transitions go out as
 * return values; the caller stores, publishes and logs them.
 *
 * Model. A target is one point (value rules) or one device (no_answer rules) that a rule
 * watches. Each observation of a target is judged "active" (the rule's condition holds),
 * "clear", or "unknown":
 *  - value rules observe each sample of their point: a valid value is active or clear by the
 *    condition (outside a band, above, below, in a set of states); a sample without a valid
 *    value (no answer, exception, out of range) is unknown, since the value is not known;
 *  - no_answer rules observe each poll cycle of their device: a cycle is unanswered when none
 *    of its samples got an answer (ALM_Q_NO_ANSWER), and the condition is active from the
 *    polls-th unanswered cycle in a row until a cycle is answered.
 * A clear target opens when the condition has been active in every observation from the
 * first active one up to one at least hold_ms later; an open target resolves when it has
 * been clear in every observation for clear_ms. An unknown observation, or a gap between two
 * observations longer than the target's staleness limit (or than twice the delay the source
 * announced for its next poll, for a device being backed off), breaks the run being timed:
 * time not seen never counts towards opening or clearing. So a condition that flaps faster
 * than clear_ms gives one incident that stays open, not one per flap. Transitions are decided
 * at observations, so their times are poll times.
 *
 * Restart: the caller restores the targets whose incidents are still open in the store
 * (alm_restore_open). Such a target stays open; the first observation after the restart
 * that is not unknown decides at once: still active, and it goes on as any open target;
 * clear, and it resolves at that observation with ALM_F_CLEARED_WHILE_DOWN, since the
 * condition cleared at some moment the agent did not see (no clear hold can be timed over
 * time nobody watched). A target that was still being timed towards opening is not saved:
 * after a restart its hold starts again.
 *
 * Ownership: alm_new() copies the configs. Threads: one detector belongs to one thread.
 */
#ifndef ROOMWATCH_ALARM_H
#define ROOMWATCH_ALARM_H

#include <stddef.h>
#include <stdint.h>

#define ALM_MAX_SET 16          /* states of an "in" condition */
#define ALM_NO_POINT UINT32_MAX /* alm_target.point of a device (no_answer) target */

enum alm_status {
    ALM_OK = 0,
    ALM_ERR_INVALID, /* a config the detector cannot honour */
    ALM_ERR_NOMEM,
};

enum alm_cond {
    ALM_OUTSIDE = 0, /* value < lo or value > hi (band edges are in) */
    ALM_ABOVE,       /* value > lo */
    ALM_BELOW,       /* value < hi */
    ALM_IN_SET,      /* value is one of set[] */
    ALM_NO_ANSWER,   /* polls unanswered cycles in a row */
};

/* What a sample says about its device, as far as alarms care. */
enum alm_quality {
    ALM_Q_GOOD = 0,  /* a valid value */
    ALM_Q_BAD,       /* the device answered, but no valid value (exception, out of range) */
    ALM_Q_NO_ANSWER, /* the device did not answer (timeout, link down) */
};

/* Transition flags. CLEARED_WHILE_DOWN: resolved at the first observation after a restart;
 * the condition cleared while the agent was down. */
#define ALM_F_CLEARED_WHILE_DOWN 0x1u

struct alm_rule_cfg {
    enum alm_cond cond;
    double lo, hi;
    int nset;
    double set[ALM_MAX_SET];
    int polls;        /* ALM_NO_ANSWER: unanswered cycles in a row, >= 1 */
    int64_t hold_ms;  /* >= 0: how long the condition must be active before opening */
    int64_t clear_ms; /* >= 0: how long it must be clear before resolving */
};

struct alm_target {
    size_t rule;      /* index into the rules */
    uint32_t device;  /* the caller's device index */
    uint32_t point;   /* the caller's point index within the device; ALM_NO_POINT for a
                         no_answer rule, which watches the whole device */
    int64_t stale_ms; /* > 0: a longer gap between observations breaks a run being timed */
};

struct alm_sample {
    int64_t t; /* ms */
    uint32_t device;
    uint32_t point;
    uint64_t cycle;  /* the device's poll cycle, from 1 */
    int last;        /* 1: the last sample of its cycle */
    int64_t next_ms; /* ms until the source asks the device again (its interval, or the
                        backoff delay of a device that does not answer); 0 if unknown */
    double value;    /* meaningful for ALM_Q_GOOD */
    enum alm_quality q;
};

enum alm_kind {
    ALM_OPEN = 0,
    ALM_RESOLVE,
};

struct alm_event {
    enum alm_kind kind;
    size_t target;
    /* ALM_OPEN: since = first active observation of the run, at = the opening one (since +
     * at least hold), value = its value (NaN for no_answer: there is none).
     * ALM_RESOLVE: since = first clear observation of the run, at = the resolving one (since
     * + at least clear; since = at with ALM_F_CLEARED_WHILE_DOWN), value likewise. */
    int64_t since, at;
    double value;
    unsigned flags;
};

struct alm;

/*
 * A detector for ntargets targets of nrules rules, samples of devices 0 .. ndevices - 1.
 * ALM_ERR_INVALID for a target naming no rule or device, a value rule without a point, a
 * no_answer rule with one, a negative hold, a non-positive staleness limit or polls < 1.
 */
enum alm_status alm_new(size_t nrules, const struct alm_rule_cfg *rules, size_t ntargets,
                        const struct alm_target *targets, size_t ndevices, struct alm **out);
/* Accepts NULL. */
void alm_free(struct alm *a);

/* Every target as alm_new() left it: what a restart forgets (the caller then restores the
 * open ones, alm_restore_open()). */
void alm_reset(struct alm *a);
/* Target i is open (restored from the store after a restart): see the restart rule above. */
void alm_restore_open(struct alm *a, size_t target);
/* 1 if target i is open. */
int alm_is_open(const struct alm *a, size_t target);

/*
 * The detector's state as bytes, for a caller that stores it beside the engine's image so
 * that a feed continued later (a trace replayed in chunks) goes on exactly where it stopped:
 * open targets, runs being timed, the no_answer cycles being gathered. alm_snapshot() gives
 * a malloc()ed image (*buf, *len; the caller frees it) or ALM_ERR_NOMEM. alm_restore() takes
 * one back into a detector of the same rules and targets: ALM_ERR_INVALID, changing
 * nothing, when the image is damaged or of other rules (the caller then restores the open
 * targets alone, alm_restore_open()). Host byte order: the image stays on its machine.
 */
enum alm_status alm_snapshot(const struct alm *a, void **buf, size_t *len);
enum alm_status alm_restore(struct alm *a, const void *buf, size_t len);

/*
 * Feeds one sample (samples of one device in time order). Writes the transitions it causes
 * into out (room for max; one per target of the sample's device at most, so
 * alm_max_events() is enough) and returns how many. Samples of unknown devices are ignored.
 */
size_t alm_sample(struct alm *a, const struct alm_sample *s, struct alm_event *out, size_t max);
/* The most transitions one alm_sample() can give. */
size_t alm_max_events(const struct alm *a);

#endif
