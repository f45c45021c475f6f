/*
 * rep_doc.h - the year-end self-evaluation (绩效自评) of one store as one JSON document: what
 * `roomwatch report --format json` prints, what roomwatchd publishes retained on
 * <prefix>/report/<period> (daemon/repub.h) and what the workbook, CSV and HTML writers lay
 * out. Every number in it is the one `roomwatch status --json` gives for the same store and
 * period (the "status" member is that very document), so the writers only arrange.
 *
 *   {"schema": REP_DOC_SCHEMA, "title", "lang",
 *    "header": {"project", "department", "implementer", "year", "month", "site", "gateway",
 *               "site_name", "timezone"},
 *    "period": {...}, "as_of", "final",
 *    "status": {the status --json document},
 *    "lines": [{"id", "level1", "level2", "level3", "target", "value", "unit",
 *               "unit_label", "completion": "met" | "unmet" | "unknown" | "none",
 *               "completion_label", "coverage", "weight", "score", "deviation", "entered"
 *               [, "by", "basis", "text": a line entered by hand (config report.entered)]}],
 *    "total": {"weight", "score"},
 *    "months": ["2024-01", ...],
 *    "monthly": [{"id", "name", "unit", "target", "values": [v or null per month],
 *                 "targets": [per month]}],
 *    "incidents": [the fault-handling record, increc.h],
 *    "interruptions": [{"indicator", "start", "end", "seconds"}],
 *    "events": [{"id", "kind", "at", "by", "note", "incident", "recorded"}],
 *    "unknown": [{"indicator", "name", "date", "to", "days", "unknown_s", "reason"}],
 *               (days date..to, local dates; a run of days with nothing known is one entry),
 *    "notes": [{"id", "name", "method", "numerator", "denominator", "numerator_label",
 *               "denominator_label", "value", "unit"}]}
 *
 * Completion: met/unmet as status judges it (its "met"); unknown when the value cannot be
 * judged (no value, or no data); none for a line without a target (energy). Coverage: the
 * share of the period's time the value rests on (engine indicators), else null.
 *
 * Score: rep_score.h (分值 from the config's report.weights).
 *
 * Ownership: the json_t returned is new. Uses rw_calendar (sets TZ): one thread.
 */
#ifndef ROOMWATCH_REP_DOC_H
#define ROOMWATCH_REP_DOC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "engine/eng.h"
#include "engine/incstat.h"
#include "core/indset.h"
#include "report/rpt_judge.h"
#include "store/store.h"

/*
 * The document's version, its "schema" member. A reader (roomwatch report --from mqtt) takes
 * documents of this version only: raise it when a member is removed or changes meaning, so
 * that a central roomwatch older than a gateway says so instead of laying out wrong numbers.
 */
#define REP_DOC_SCHEMA 1

enum rep_lang { REP_ZH = 0, REP_EN };

/*
 * The document `roomwatch status --json` prints: the indicators of e (may be NULL without
 * engine indicators) and the incident indicators ires, with "as_of", and with a store st
 * (NULL: none) the period's "alerts" kept in it (null when the store cannot give them: an
 * older schema). NULL when memory runs out.
 */
json_t *rep_status_json(const struct rw_config *cfg, struct eng *e, const struct rpt_period *per,
                        int64_t as_of, const struct ist_result *ires, int64_t now,
                        struct store *st);

/*
 * The report of period p of cfg's store st as of wall time now (ms): 0 and *out; -1 with a
 * message in err: errno ENOENT when the store holds no state of this config and period,
 * else another errno.
 */
int rep_doc_build(const struct rw_config *cfg, struct store *st, const struct indset_period *p,
                  int64_t now, enum rep_lang lang, json_t **out, char *err, size_t errlen);

#endif
