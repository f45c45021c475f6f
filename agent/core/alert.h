/*
 * alert.h - the core's alerts (DESIGN.md, "Targets and risk"): each indicator with a target
 * has an alert state (report/rpt_alert.h), evaluated by the core at every whole minute of
 * engine time (core.c: core_advance() steps the engine minute by minute), so that roomwatchd
 * and `roomwatch replay` evaluate at the same minutes from the same samples and give the same
 * alerts, to the last digit: each minute is judged on the engine with every sample up to it
 * and none after (the core holds back the samples past the next minute until it is judged;
 * the daemon's queue lag and replay's steps would otherwise feed different seconds past it).
 * A change is one alert: kept in the store's alert table with its notify_event row in one
 * transaction (store_alert_add()), then published on <prefix>/alert/<indicator> (QoS 1, not
 * retained); one the publisher refused is published again at the next tick.
 *
 * The states are per period: a new period starts every indicator afresh. A state opened on a
 * store that holds alerts of this period resumes from the last one (a restarted daemon does
 * not announce again what it already announced; a lost target stays lost).
 *
 * Restart: the states, their hysteresis timers and their burn-rate windows (a year's longest
 * window is 3.26 days of minutes) are saved in the core's checkpoint beside the engine's
 * image (alerts_snapshot(), core.c), so that the windows of a restarted daemon hold what
 * they held at its last checkpoint and a burst across a restart raises fast_burn at the
 * minute a run that never stopped raises it (and a replay of the archive, whose @restart row
 * keeps the windows). Rebuilding them instead was rejected: the store keeps per-day rows,
 * too coarse for windows of minutes, and the sample archive is optional, bounded, and would
 * cost a replay of up to 3.26 days of samples at every start on the gateway. The image is
 * compact (rpt_alert.h): a few dozen bytes per indicator in steady time, rewritten with the
 * engine's at each checkpoint in the same row. A store from before it has none: the states
 * then resume from their last alerts and the windows begin empty, as before.
 *
 * Ownership: cfg, store and out are borrowed and must outlive the alerts.
 */
#ifndef ROOMWATCH_CORE_ALERT_H
#define ROOMWATCH_CORE_ALERT_H

#include <stdint.h>

#include <jansson.h>

#include "core/core_io.h"
#include "core/indset.h"

struct alerts;
struct eng;
struct ist_result;
struct rw_config;
struct store;

/* The alerts of period per (copied). NULL when out of memory. */
struct alerts *alerts_new(const struct rw_config *cfg, struct store *store,
                          const struct core_out *out, const struct indset_period *per);
/*
 * Evaluates every indicator at whole minute m: e accounted up to m, ires the incident
 * indicators' results as of m (NULL when they could not be read: they are not evaluated).
 */
void alerts_eval(struct alerts *a, struct eng *e, const struct ist_result *ires, int64_t m);
/*
 * The states' image for the checkpoint (see above): *buf malloc()ed, the caller frees it. 0,
 * or -1 with errno ENOMEM.
 */
int alerts_snapshot(const struct alerts *a, void **buf, size_t *len);
/*
 * Takes the image of alerts_snapshot() into alerts just made by alerts_new() for the same
 * period; a store's alert newer than the image (kept after the checkpoint) still stands. 0;
 * 1 when some indicator's state was not taken (its conf changed: it goes on from its last
 * alert, windows empty); -1 for an image that is not one (nothing taken).
 */
int alerts_restore(struct alerts *a, const void *buf, size_t len);
/* Publishes what the publisher refused before. */
void alerts_tick(struct alerts *a);
/* Accepts NULL. */
void alerts_free(struct alerts *a);
/*
 * The alerts kept in s with from <= at < to, in the order they were raised, each its
 * published document: a new JSON array (the caller json_decref()s it), or NULL (errno: EIO,
 * ENOMEM). `roomwatch replay --json` and `roomwatch alerts --json` list them alike.
 */
json_t *alerts_list(struct store *s, int64_t from, int64_t to);

#endif
