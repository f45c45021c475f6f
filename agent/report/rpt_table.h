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

/* cfg's indicators as judged now (engine indicator i being cfg->indicators[i]), to fp, with
 * the header line. */
void rpt_table(FILE *fp, const struct rw_config *cfg, struct eng *e, const struct rpt_period *p);
/* Then the incident indicators (cfg->inc_indicators, results res[i]) as judged at now (ms). */
void rpt_table_inc(FILE *fp, const struct rw_config *cfg, const struct ist_result *res,
                   const struct rpt_period *p, int64_t now);

#endif
