/*
 * incind.h - the incident indicators (cfg->inc_indicators: mttr, mtta, within,
 * resolution_rate, count) computed from the store's fault-handling record, one way for
 * roomwatchd (live.c publishes them) and `roomwatch status`.
 *
 * The period's incidents and events are read from the store (store_incident_period(),
 * store_event_period()) and handed to engine/incstat.h, the code `roomwatch replay` runs over
 * its own replayed record: the same record gives the same values, whoever computes them.
 * Every call reads and computes afresh: a year holds a few hundred incidents at most, and
 * an acknowledgement or resolution by hand (possibly by the CLI, in another process) changes
 * an old incident, which an accumulator would have to be told about.
 *
 * Ownership: cfg and s are borrowed for the call. res has cfg->ninc_indicators elements,
 * overwritten (clear previous results first); the caller frees each with ist_result_clear().
 * Errors: 0, or -1 with errno (EIO: the store failed, store_errmsg() says why; ENOMEM), with
 * every res[i] cleared. Nothing here logs.
 */
#ifndef ROOMWATCH_INCIND_H
#define ROOMWATCH_INCIND_H

#include <stdint.h>

struct ist_result;
struct rw_config;
struct store;

/* cfg's incident indicators over the period [start, end) as of now (ms). */
int incind_compute(const struct rw_config *cfg, struct store *s, int64_t start, int64_t end,
                   int64_t now, struct ist_result *res);

#endif
