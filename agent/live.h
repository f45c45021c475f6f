/*
 * live.h - the daemon's indicators: samples from the queue into the engine, the engine's
 * state checkpointed to the store, and <prefix>/indicator/<id> published.
 *
 * DESIGN: runs on the main thread, which owns the engine, the store connection and this
 * object. At start it opens the store (state_dir), records the run in the run log and
 * resumes the engine from the last checkpoint for the same config and period, cutting every
 * hold there: the time from the last checkpoint to the first new sample reads as unknown,
 * since the agent may have died at any moment after it. Engine time is rw_etime: the wall
 * clock at start plus monotonic time. Every checkpoint_interval, and at a clean stop, the
 * engine's image and the changed days go to the store in one transaction. With alarm rules
 * it also owns the incidents (incident.h), which share its store connection and its
 * engine time.
 *
 * With a delivery indicator, telemetry goes out through live_publish_telemetry(): the reports
 * a delivery indicator counts are published tracked (pub_publish_tracked(), kept for the
 * longest deadline among the indicators counting the device), and each outcome is fed to the
 * engine as a sample of agent.delivery.<device> at the moment it is handed over: the latency
 * rounded to the millisecond (as a trace keeps it, so a replay gives the same values), or
 * not valid. A report pub refuses is fed at once, not valid. Reports still awaiting their
 * outcome at live_close() are not fed: they count neither way.
 *
 * The incident indicators (cfg->inc_indicators) are computed from the store's record
 * (incind.h) at each look, once a second, and published on the same retained topic with the
 * document rpt_inc_indicator() gives, when their value, judgement or counted incidents and
 * events changed, whoever changed the record, and at least every minute (open incidents age).
 *
 * Periods roll: when engine time reaches the period's end (31 Dec -> 1 Jan, or a month's end
 * with site.period = "month"), a new engine starts for the next period with every point's
 * last sample, so a hold across midnight goes on (no unknown time at 00:00), and its
 * indicators are published from then on. The ended period's engine takes the samples from
 * before its end that are still queued for ADVANCE_LAG_MS more, is then finished at its end
 * and checkpointed: its final values stay in the store (`roomwatch status --year`).
 *
 * Errors: live_open returns 0 or -1 with errno and a message in err; the rest log their
 * failures themselves, once per change of state (the main loop handles them by going on).
 */
#ifndef ROOMWATCH_LIVE_H
#define ROOMWATCH_LIVE_H

#include <stddef.h>

struct live;
struct pub;
struct rw_config;
struct sample;
struct store;

/* cfg and pub are borrowed and must outlive the object. */
int live_open(const struct rw_config *cfg, struct pub *pub, double wall, double mono,
              struct live **out, char *err, size_t errlen);
void live_sample(struct live *l, const struct sample *s);
/*
 * Publishes device dev's telemetry document payload on <prefix>/<subtopic> at the config's
 * QoS, tracked if a delivery indicator counts it; mono is now. Returns pub_publish()'s result
 * (a refusal is counted and logged by pub, and is a late report).
 */
int live_publish_telemetry(struct live *l, size_t dev, const char *subtopic, const char *payload,
                           double mono);
/* Advances the engine to mono, checkpoints and publishes when due. */
void live_tick(struct live *l, double mono);
/* The store live opened (commands write to it: control.h); valid until live_close(). */
struct store *live_store(struct live *l);
/* Final checkpoint at mono, the run's clean end, the final values published (retained), and
 * closes the store. Accepts NULL. */
void live_close(struct live *l, double mono);

#endif
