/*
 * rpt_json.h - the indicators as JSON (DESIGN.md, "Interfaces"): what `roomwatch replay
 * --json` prints, and the body of the daemon's <prefix>/indicator/<id> topic.
 *
 *   {"period": {"start", "end", "days"},
 *    "indicators": [{"id", "name", "category", "subcategory", "kind", "value", "unit",
 *                    "target", ["rule",] "met", "status", "budget", "burn", "projection",
 *                    "evidence": {...}}]}
 *
 * Times are RFC 3339 in the site's zone with its offset; durations are seconds (an integer
 * when whole); day lists are local dates "YYYY-MM-DD".
 *
 * met, status, budget, burn and projection are rpt_judge()'s (rpt_judge.h), as:
 *
 *   "budget": {"total", "used", "left", "unit"} or null,
 *   "burn": {"short", "long", "short_window": "today", "long_window": "last_7_days"} or null
 *           (null exactly when budget is),
 *   "projection": {"value", "method": "last_7_days" | "final"} or null.
 *
 * Ownership: the json_t returned is new (the caller json_decref()s it).
 * Uses rw_calendar (sets TZ): call from the thread that owns the engine.
 */
#ifndef ROOMWATCH_RPT_JSON_H
#define ROOMWATCH_RPT_JSON_H

#include <stdint.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "engine/eng.h"
#include "report/rpt_judge.h"

/* Integral values as integers ("366", not "366.0"); NaN as null. New reference. */
json_t *rpt_num(double v);
/* Milliseconds as seconds: an integer when whole. New reference. */
json_t *rpt_secs(int64_t ms);

/* An indicator's object without its evidence: id, names, kind, value, unit, target, rule,
 * met, status, budget, burn, projection (j's). The caller adds "evidence". */
json_t *rpt_head(const struct cfg_indicator *in, double value, const struct rpt_judgement *j);

/* One indicator's object, r its result and j its judgement (both borrowed). */
json_t *rpt_indicator(const struct rw_config *cfg, const struct cfg_indicator *in,
                      const struct eng_result *r, const struct rpt_judgement *j,
                      const struct rpt_period *p);

/* The period as {"start", "end", "days"}. New reference. */
json_t *rpt_period_json(const struct rpt_period *p);

/* The whole document: cfg's indicators, engine indicator i being cfg->indicators[i]. */
json_t *rpt_report(const struct rw_config *cfg, struct eng *e, const struct rpt_period *p);

#endif
