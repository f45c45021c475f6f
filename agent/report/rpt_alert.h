/*
 * rpt_alert.h - the alert state of one indicator with a target, and when it changes (DESIGN.md,
 * "Targets and risk"): ok, at_risk, fast_burn, lost, unverified; one alert per change.
 *
 * The owner evaluates at whole minutes of its time (engine time in the daemon, trace time in
 * replay: the same minutes from the same samples, so the same alerts) and gives each
 * evaluation an observation: rpt_judge()'s (or rpt_inc_judge()'s) status, the coverage, and for
 * a rate or downtime indicator the period's out-of-target and known time so far. The state
 * keeps a minute-by-minute history of those two sums to read the burn-rate windows from.
 *
 * The state an observation asks for, most urgent first:
 *  - lost: the judgement says lost. Absorbing: a lost target stays lost for the rest of the
 *    period and never alerts again;
 *  - fast_burn: some tier's long AND short window both burn at least its threshold (the SRE
 *    workbook's multiwindow, multi-burn-rate rule). Burn = the window's bad share of its
 *    known time / the share the target allows (1 spends the budget exactly by the period's
 *    end). Tiers are scaled to the period as Pyrra scales them (rpt_alert_defaults());
 *  - unverified: the judgement says unverified (the coverage, known time / elapsed time of
 *    the period, is below the indicator's floor: rpt_judge.h);
 *  - at_risk: the judgement says at_risk; for a mean target (MTTR, response time) only once
 *    the open incidents' time left is at most left_low;
 *  - ok.
 * Hysteresis: a more urgent state is taken at once; a less urgent one only when the value is
 * clearly back: fast_burn is kept while some tier's long and short windows both still burn at
 * least clear_ratio x its threshold, and any state is left for a less urgent one only after the
 * observations asked for it without a break for `hold`. Minimum interval: two alerts of one
 * indicator are at least min_interval apart (a change due earlier waits, and is dropped if the
 * state it asked for is gone by then); lost is never held back.
 * An alert is "raised" (to at_risk, fast_burn or unverified), "recovered" (back to ok, once)
 * or "lost". The first observation sets the state without an alert when it is ok.
 *
 * Pure: no I/O, no clock. Ownership: the caller owns the state (rpt_alert_free()).
 */
#ifndef ROOMWATCH_RPT_ALERT_H
#define ROOMWATCH_RPT_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "report/rpt_judge.h"

#define RPT_ALERT_MAX_TIERS 4
#define RPT_ALERT_STEP_MS 60000LL /* evaluations at whole minutes */

enum rpt_alert_state {
    RPT_ALERT_NONE = 0, /* not judged yet */
    RPT_ALERT_OK,
    RPT_ALERT_UNVERIFIED,
    RPT_ALERT_AT_RISK,
    RPT_ALERT_FAST_BURN,
    RPT_ALERT_LOST,
};

struct rpt_alert_tier {
    int64_t long_ms, short_ms; /* the windows */
    double burn;               /* the threshold both windows must reach */
};

struct rpt_alert_conf {
    size_t ntiers;
    struct rpt_alert_tier tier[RPT_ALERT_MAX_TIERS];
    double clear_ratio; /* fast_burn is kept while a tier's windows reach this x burn */
    int64_t hold_ms;    /* a less urgent state must be asked for this long first */
    int64_t min_interval_ms;
    int64_t left_low_ms; /* mean targets: at_risk when the time left is at most this */
};

struct rpt_alert_obs {
    int64_t t;              /* a whole minute, ms */
    enum rpt_status status; /* the judgement's */
    double coverage;        /* known / elapsed time of the period, 0..1; NaN: not applicable
                             * (carried for the alert's document; the judgement applied the
                             * floor) */
    /* Rates and downtime: the period's out-of-target and known time so far, ms (cumulative,
     * never decreasing) and the share of the known time the target lets go wrong; share NaN
     * (or <= 0): no burn-rate tiers (day counts, incident indicators, no budget). */
    double bad_ms, known_ms, share;
    /* Mean targets: the time the open incidents may still last, ms; NaN: not such a target. */
    double left_ms;
};

/* One change of state, with the numbers it was decided on. */
struct rpt_alert_change {
    int64_t t;
    enum rpt_alert_state from, to;
    const char *kind; /* "raised", "recovered" or "lost" */
    int tier;         /* the tier that fired (fast_burn), else -1 */
    size_t ntiers;
    double burn_long[RPT_ALERT_MAX_TIERS], burn_short[RPT_ALERT_MAX_TIERS]; /* NaN: none */
};

struct rpt_alert;

/*
 * The default tiers and settings for a period of period_ms (see config/README.md, "Alerts"):
 * Pyrra's 28-day tiers (1 h/5 min at 14, 6 h/30 min at 7) with the windows scaled by
 * period / 28 days, so each tier spends the same share of the period's budget in its long
 * window (1/48 and 1/16 of it); hold 1 h, minimum interval 15 min, clear ratio 0.5,
 * left_low 30 min.
 */
void rpt_alert_defaults(int64_t period_ms, struct rpt_alert_conf *c);

/* A new state under conf c (copied). NULL on allocation failure. */
struct rpt_alert *rpt_alert_new(const struct rpt_alert_conf *c);
/* Accepts NULL. */
void rpt_alert_free(struct rpt_alert *a);

/*
 * Takes one observation (o->t after the previous one's). 1 and *ch filled when the state
 * changes and that is an alert; 0 otherwise. An observation that is not at a whole minute, or
 * not after the previous one, is ignored (0).
 */
int rpt_alert_step(struct rpt_alert *a, const struct rpt_alert_obs *o, struct rpt_alert_change *ch);
enum rpt_alert_state rpt_alert_current(const struct rpt_alert *a);
/* The conf the state runs under. */
const struct rpt_alert_conf *rpt_alert_conf(const struct rpt_alert *a);
/*
 * Resumes a fresh state at the last alert kept (state st at t): the state and the minimum
 * interval go on from it (a restarted owner does not announce it again); the burn-rate
 * windows begin empty. The fallback when there is no image (rpt_alert_restore()), and on
 * top of one older than the alert.
 */
void rpt_alert_resume(struct rpt_alert *a, enum rpt_alert_state st, int64_t t);
/*
 * The whole state as an image, for the owner's checkpoint: the state, the hysteresis being
 * timed, and the burn-rate windows' history, so that a restarted owner goes on exactly as
 * one that never stopped (a burst across a restart raises fast_burn at the same minute).
 * Compact (rpt_alert.c): steady time costs a few dozen bytes, the worst case about 7 bytes
 * a minute of the longest window. *buf is malloc()ed (the caller frees it); 0, or -1 when
 * out of memory. Host byte order: read back where it was written.
 */
int rpt_alert_snapshot(const struct rpt_alert *a, void **buf, size_t *len);
/*
 * Takes an image of rpt_alert_snapshot() into a (fresh or not): 0; -1 and nothing changed
 * when it is damaged, of another version, or made under another conf (changed tiers or
 * hysteresis: the state then begins afresh, as rpt_alert_new() leaves it).
 */
int rpt_alert_restore(struct rpt_alert *a, const void *buf, size_t len);
/* The time of the last observation taken (or resumed at); INT64_MIN: none. */
int64_t rpt_alert_last(const struct rpt_alert *a);
/* The burn of tier k's long or short window as of the last observation; NaN: none. */
void rpt_alert_burn(const struct rpt_alert *a, size_t k, double *lw, double *sw);

/*
 * The observation at t of engine indicator in (r its eng_result(), j its rpt_judge()):
 * status, coverage (eng_result's), and for rates and downtime the sums the burn rates are
 * read from. Pure; in, r and j are borrowed for the call.
 */
void rpt_alert_observe(const struct cfg_indicator *in, const struct eng_result *r,
                       const struct rpt_judgement *j, int64_t t, struct rpt_alert_obs *o);
/* The observation at t of incident indicator judgement j (rpt_inc_judge()): status, and the
 * time left of a mean target (MTTR, mean response) while an incident is open. */
void rpt_alert_observe_inc(const struct cfg_indicator *in, const struct rpt_judgement *j, int64_t t,
                           struct rpt_alert_obs *o);

/* "ok", "unverified", "at_risk", "fast_burn", "lost"; NULL for NONE. */
const char *rpt_alert_state_name(enum rpt_alert_state s);
/* How urgent a state is, for sorting: lost 4 .. ok 0, none -1. */
int rpt_alert_urgency(enum rpt_alert_state s);

#endif
