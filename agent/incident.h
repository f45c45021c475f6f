/*
 * incident.h - the daemon's incidents: samples through the alarm rules (engine/alarm.h),
 * each transition written to the store, then published on <prefix>/incident/<id> and logged.
 *
 * DESIGN: runs on the main thread, which owns the store connection (borrowed from live.c),
 * the publisher's state and this object. At start the incidents still open in the store are
 * matched to the configured rules (rule id, device, point) and restored open; an open
 * incident no rule watches any more stays open (it is resolved by hand) and is logged once.
 * A transition goes to the store first, in its own fsync()ed transaction, and is published
 * (QoS 1, not retained) only once it is there: a published incident is never lost to a
 * power cut. If the store refuses it, it waits in memory and is retried every second
 * (inc_tick), logged once per episode; an opening that never reached the store and whose
 * condition clears meanwhile is dropped with a notice, since nobody has seen it.
 *
 * Payload of <prefix>/incident/<id> (one document per transition, the whole incident):
 *   {"id":3,"event":"detected"|"resolved","state":"open"|"resolved",
 *    "rule":"mains_voltage","name":"市电电压异常"|null,"severity":"major","category":"power",
 *    "device":"meter1","point":"v_l1"|null,"unit":"V"|null,
 *    "started":"2026-11-23T18:40:00+08:00","detected":"...","value":190.0|null,
 *    "label":"battery"|null,"cleared":"..."|null,"resolved":"..."|null,
 *    "resolution":"auto"|null,"duration_s":75|null,"flags":["cleared_while_down"]}
 * Times are RFC 3339 in the site's zone: started = the condition first seen, detected = the
 * incident opened (started + the rule's hold, at a poll), cleared = the condition first seen
 * clear, resolved = the incident resolved (cleared + the clear hold, at a poll); duration_s
 * = resolved - detected. "value" and "label" are the reading that opened the incident (null
 * for a device that did not answer).
 *
 * Errors: inc_open returns 0 or -1 with a message in err; the rest log their failures
 * themselves, once per change of state.
 */
#ifndef ROOMWATCH_INCIDENT_H
#define ROOMWATCH_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

struct inc;
struct pub;
struct rw_config;
struct sample;
struct store;

/* cfg, store and pub are borrowed and must outlive the object. */
int inc_open(const struct rw_config *cfg, struct store *store, struct pub *pub, struct inc **out,
             char *err, size_t errlen);
/* One sample, taken at engine time t (ms). */
void inc_sample(struct inc *c, const struct sample *s, int64_t t);
/* Retries the transitions the store refused. Call about once a second. */
void inc_tick(struct inc *c);
/* Accepts NULL. Open incidents stay open in the store. */
void inc_free(struct inc *c);

#endif
