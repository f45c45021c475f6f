/*
 * rpt_judge.h - how an indicator stands against its target (DESIGN.md, "Targets and risk"):
 * met so far, its budget, how fast it is spent, where the value is heading, and the status
 * that follows (ok / at_risk / lost). Computed from the engine's result and its per-day
 * accumulators (eng_day()); the engine itself knows nothing of targets.
 *
 * "Now" is how far the engine has accounted time (eng_position()'s advance, clipped to the
 * period): live, a few seconds behind the clock; in replay, the period's end.
 *
 * met: the value meets the target (or, for a qualitative target, the config's rule), in the
 * target's unit. A day count against "=365(天)" or "=366(天)" over a year means every day of
 * the period (DESIGN.md, "Leap years"): met when value = the period's days. -1 (null) when
 * there is no target, or no value yet.
 *
 * Budget: what the target allows to go wrong over the whole period, what of it is spent and
 * what is left (negative once overspent, which means the target is lost):
 *  - rates (band, availability: a lower bound such as ≥97 %; fault_rate: an upper bound such
 *    as ≤3 %): out-of-target time, in seconds. The allowed share (3 %) of the time the rate
 *    will rest on at the period's end if all the time still to come is known: the period's
 *    time (point-time: times the points of a group or of band "each") less the unknown and
 *    not-assessed time so far. 97 % over a 365-day year with nothing unknown: 946080 s
 *    (10.95 days). used = out-of-band / down time. Band "each": the budget of the point with
 *    the least left, since the lowest point's rate is the value;
 *  - day counts (supply_days, duty_days, with "=N" or "≥N" days): days that may be lost,
 *    the period's days less the days required (0 for "every day"); used = days lost;
 *  - downtime (≤ N h, any time unit): hours; used = the down time so far.
 *  No budget for energy, for a target of another shape (an upper bound on a good rate), or
 *  without a target.
 *
 * Burn rate: how fast the budget is being spent, relative to the pace that spends it
 * exactly by the period's end (1). Over two windows read from the per-day accumulators:
 * short = "today" (the local day so far), long = "last_7_days" (today and the six days
 * before it, as far as the period reaches back). For a rate: the window's bad share of its
 * known time / the allowed share; for downtime: down time per wall-clock time in the
 * window / the budget per period time; for day counts: the share of the window's days lost
 * (supply: today counts from its first interruption; duty: only finished days are judged)
 * / the allowed share of the period's days. NaN (null) when the window has nothing to go
 * on (no known time, no judged day) or the budget is zero (any spending loses the target).
 *
 * Projection: the value at the period's end if the rest of the period goes as the last 7
 * days went (method "last_7_days"): for a rate, the time still to come is split into good,
 * bad and unknown in the long window's proportions; for downtime, down time goes on at the
 * long window's pace; for a day count, the days still open are lost at the long window's
 * share (a window with no judged day yet, as on the period's first day for duty_days, counts
 * as losing none). Once the period is over the projection is the value (method "final").
 * NaN (none) for energy, and when there is no value to project from.
 *
 * Status (none without a target or rule):
 *  - lost: the target cannot be met this period even if everything goes right from now on
 *    (for a rate, all the remaining time good; for a day count, no further day lost; for
 *    downtime, no further down time; energy is never lost);
 *  - at_risk: on the current course the target will be missed: the projection misses it,
 *    or there is no projection and the value does not meet it so far (or there is no value
 *    yet: an unmeasured value cannot be signed);
 *  - ok: otherwise (the projection meets the target, or it is met so far and there is no
 *    projection).
 *  - unverified: not lost, but the value rests on less than the indicator's coverage floor
 *    (coverage_floor: eng_result's coverage, the known share of the period's time so far) of
 *    the time: met is then null, whatever the value (it cannot be signed). Kinds whose value
 *    rests on time (band, availability, downtime, fault_rate, supply_days, duty_days) only,
 *    and not within the period's first RPT_GRACE_MS;
 *  An indicator with no value within the first RPT_GRACE_MS of the period is not judged
 *  yet (none), so that a new period does not begin with every indicator at risk for the
 *  minute its first samples and windows take. Once the period is over, lost = not met.
 *
 * Pure: no I/O, no clock. Threads: call from the thread that owns the engine.
 */
#ifndef ROOMWATCH_RPT_JUDGE_H
#define ROOMWATCH_RPT_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "cfg/cfg.h"
#include "engine/eng.h"

#define RPT_GRACE_MS (3600 * 1000LL) /* no value yet in the period's first hour: not judged */
#define RPT_LONG_DAYS 7              /* the long burn-rate window and the projection's course */

struct rpt_period {
    const char *tz;
    int ndays;
    const int64_t *day_start; /* ndays + 1 local midnights, ms */
};

enum rpt_status {
    RPT_NONE = 0, /* no target, or no value yet within the grace time */
    RPT_OK,
    RPT_AT_RISK,
    RPT_LOST,
    RPT_UNVERIFIED, /* the value rests on less known time than the coverage floor */
};

struct rpt_judgement {
    int met; /* 1, 0, or -1: unknown */
    enum rpt_status status;
    int has_budget;
    double total, used, left;     /* in budget_unit */
    const char *budget_unit;      /* "s", "day" or "h" */
    double burn_short, burn_long; /* NaN: nothing to go on */
    double projection;            /* in the value's unit; NaN: none */
    const char *method;           /* "last_7_days" or "final"; NULL without a projection */
    double share; /* rates: the share of the known time the target lets go wrong; else NaN */
};

/*
 * Judges indicator ind of engine e (in its config, r its eng_result()) over period p into
 * *j. e, in, r and p are borrowed for the call only.
 */
void rpt_judge(const struct cfg_indicator *in, const struct eng *e, size_t ind,
               const struct eng_result *r, const struct rpt_period *p, struct rpt_judgement *j);
/*
 * What rpt_judge_memo() keeps of one indicator between its judgements: the day holding the
 * engine's "now" (a guess, checked before use) and the long window's days before today,
 * summed, with the engine's eng_past_changes() they were summed at. Zeroed: nothing kept.
 */
struct rpt_judge_memo {
    int today;
    int first, last; /* the days summed (none when last < first) */
    uint64_t past;   /* eng_past_changes() + 1 when they were summed; 0: never */
    int64_t sum[4];  /* good, bad, unknown, not assessed, ms */
};
/*
 * As rpt_judge(), for a caller that judges indicator ind of engine e every minute: *memo (one
 * per indicator, zeroed at first) saves the search for today and the summing of the days
 * before it while they stay as they were. The judgement is the same as rpt_judge()'s.
 */
void rpt_judge_memo(const struct cfg_indicator *in, const struct eng *e, size_t ind,
                    const struct eng_result *r, const struct rpt_period *p,
                    struct rpt_judge_memo *memo, struct rpt_judgement *j);

/* "ok", "at_risk", "lost", "unverified"; NULL for RPT_NONE. */
const char *rpt_status_name(enum rpt_status st);

/* The comparison an indicator is judged by: its rule if it has one (a qualitative target),
 * else its target; NULL without a target. */
const struct tgt *rpt_goal(const struct cfg_indicator *in);
/* 1, 0 or -1 (unknown: NaN, or units that do not convert): v, in the kind's unit, converted
 * to t's and compared. */
int rpt_meets(const struct cfg_indicator *in, const struct tgt *t, double v);

/* The share of the known time a rate target (band, availability, fault_rate) lets go wrong:
 * 0.03 for ≥97 % or ≤3 %; NaN when t has no such bound. */
double rpt_allowed_share(const struct cfg_indicator *in, const struct tgt *t);

/* The burn-rate windows' names, as the JSON gives them. */
#define RPT_SHORT_WINDOW "today"
#define RPT_LONG_WINDOW "last_7_days"

#endif
