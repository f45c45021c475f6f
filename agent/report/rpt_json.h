/*
 * rpt_json.h - the indicators as JSON (DESIGN.md, "Interfaces"): what `roomwatch replay
 * --json` prints, and the body of the daemon's <prefix>/indicator/<id> topic.
 *
 *   {"period": {"start", "end", "days"},
 *    "indicators": [{"id", "name", "category", "subcategory", "kind", "value", "unit",
 *                    "target", "met", "status", "evidence": {...}}]}
 *
 * Times are RFC 3339 in the site's zone with its offset; durations are seconds (an integer
 * when whole); day lists are local dates "YYYY-MM-DD".
 *
 * met and status (rpt_judge):
 *  - met: the value meets the target (or, for a qualitative target, the config's rule), in
 *    the target's unit. A day count against "=365(天)" or "=366(天)" over a year means every
 *    day of the period (DESIGN.md, "Leap years"): met when value = the period's days.
 *    null when there is no target, or no value yet.
 *  - status: "ok" when met so far; else "lost" when the target can no longer be met this
 *    period even if everything goes right from now on (the best final value: for a rate, all
 *    of the remaining period time counted good; for a day count, no further day lost; for
 *    downtime, no further down time; for delivery, any number of further reports on time,
 *    since how many are still due is not known: "=100%" is lost by one late report, ">=99"
 *    not before the period ends); else "at_risk". null without a target. Once the period is
 *    over, lost = not met.
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

struct rpt_period {
    const char *tz;
    int ndays;
    const int64_t *day_start; /* ndays + 1 local midnights, ms */
};

enum rpt_status {
    RPT_NONE = 0, /* no target */
    RPT_OK,
    RPT_AT_RISK,
    RPT_LOST,
};

/* met: 1, 0, or -1 for unknown (null); returns the status. */
enum rpt_status rpt_judge(const struct cfg_indicator *in, const struct eng_result *r,
                          const struct rpt_period *p, int *met);
const char *rpt_status_name(enum rpt_status st);

/* One indicator's object. r is borrowed. */
json_t *rpt_indicator(const struct rw_config *cfg, const struct cfg_indicator *in,
                      const struct eng_result *r, const struct rpt_period *p);

/* The whole document: cfg's indicators, engine indicator i being cfg->indicators[i]. */
json_t *rpt_report(const struct rw_config *cfg, struct eng *e, const struct rpt_period *p);

#endif
