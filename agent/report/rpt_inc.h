/*
 * rpt_inc.h - the incident indicators (mttr, mtta, within, resolution_rate, count) judged
 * against their targets and written as the same indicator JSON as the engine's (rpt_json.h),
 * from the values and items engine/incstat.h computed.
 *
 * Judgement. "Everything goes right from now on" means, for incidents, that no further fault
 * happens and the incidents still open are acknowledged and resolved at once; hoping for more
 * faults handled quickly to pull a mean or a share back is not a course anyone plans on. So:
 *  - mttr, and mtta as a mean, against an upper bound U (≤2 h): the budget is the repair (or
 *    response) time the counted and the open incidents may take together, U x (counted +
 *    open), in seconds; used = their times (the open ones' so far); left = what the open
 *    incidents may still last, together, before the mean passes U ("38 minutes left to
 *    repair this fault"). lost when left < 0; at_risk while an incident is open (on its
 *    current course, still open, it spends the rest); ok otherwise. With nothing open the
 *    mean cannot change without a new fault: met is ok, not met is lost;
 *  - mtta as the longest response (≤5分钟): the budget is U itself, used the longest
 *    response or open wait so far; lost once one passed U, at_risk while one is open;
 *  - within (≥95 %): lost when the share misses even with every undecided incident answered
 *    now; at_risk when the share so far misses; ok otherwise;
 *  - resolution_rate: the open incidents may still be resolved, so it is lost only at the
 *    period's end (then an incident still open counts as unresolved); at_risk while the
 *    share so far misses;
 *  - count of events or incidents: an upper bound (=0 security incidents) is lost once
 *    passed, since a count only grows; under a lower bound (≥12 visits) the projection is the
 *    count at the period's pace so far (method "pace"), at_risk when that misses; an
 *    inventory is at_risk while it does not meet the target (the register may still change).
 * A value with nothing to rest on (no incident in the period) is null, met null; the status is
 * still judged from what is open: no fault is no failure. Once the period is over, met decides:
 * ok or lost.
 *
 * Ownership: the json_t returned is new (the caller json_decref()s it). Uses rw_calendar (sets
 * TZ): call from the thread that owns the engine.
 */
#ifndef ROOMWATCH_RPT_INC_H
#define ROOMWATCH_RPT_INC_H

#include <stdint.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "engine/incstat.h"
#include "report/rpt_judge.h"

/* Judges incident indicator in, r its result over period p as of now (ms). */
void rpt_inc_judge(const struct cfg_indicator *in, const struct ist_result *r,
                   const struct rpt_period *p, int64_t now, struct rpt_judgement *j);

/* One incident indicator's object, as rpt_indicator() writes the engine's. */
json_t *rpt_inc_indicator(const struct cfg_indicator *in, const struct ist_result *r,
                          const struct rpt_period *p, int64_t now);

/* Appends cfg's incident indicators (res[i] the result of cfg->inc_indicators[i]) to the
 * "indicators" array of doc (rpt_report()'s document). */
void rpt_inc_append(json_t *doc, const struct rw_config *cfg, const struct ist_result *res,
                    const struct rpt_period *p, int64_t now);

#endif
