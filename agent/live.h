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
 * engine's image and the changed days go to the store in one transaction.
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

/* cfg and pub are borrowed and must outlive the object. */
int live_open(const struct rw_config *cfg, struct pub *pub, double wall, double mono,
              struct live **out, char *err, size_t errlen);
void live_sample(struct live *l, const struct sample *s);
/* Advances the engine to mono, checkpoints and publishes when due. */
void live_tick(struct live *l, double mono);
/* Final checkpoint at mono, the run's clean end, the final values published (retained), and
 * closes the store. Accepts NULL. */
void live_close(struct live *l, double mono);

#endif
