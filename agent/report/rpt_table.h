/*
 * rpt_table.h - the indicators as a plain-text table, one line each, for people at a
 * terminal (`roomwatch replay` and `roomwatch status` without --json). The JSON of
 * rpt_json.h is the interface for programs; this table is not meant to be parsed.
 *
 * Uses rw_calendar through rpt_judge (sets TZ): call from the thread that owns the engine.
 */
#ifndef ROOMWATCH_RPT_TABLE_H
#define ROOMWATCH_RPT_TABLE_H

#include <stdint.h>
#include <stdio.h>

#include "cfg/cfg.h"
#include "engine/eng.h"
#include "engine/incstat.h"
#include "report/rpt_judge.h"

/*
 * cfg's indicators (engine indicator i being cfg->indicators[i]; e may be NULL) and then its
 * incident indicators (results res[i], judged at now, ms; res NULL: none) to fp, with the
 * header line: the most urgent first (lost, at_risk, unverified, ok, not judged; config order
 * within each), each with its key number (coverage when unverified, minutes left on an open
 * incident, budget left), columns aligned by display width.
 */
void rpt_table(FILE *fp, const struct rw_config *cfg, struct eng *e, const struct ist_result *res,
               const struct rpt_period *p, int64_t now);

#endif
