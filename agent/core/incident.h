/*
 * incident.h - the core's incidents: samples through the alarm rules (engine/alarm.h),
 * each transition written to the store and logged; record.h publishes it on
 * <prefix>/incident/<id> from the store's change log.
 * One lifecycle for roomwatchd and `roomwatch replay` (core.h).
 *
 * DESIGN: runs on the thread that owns the core, its store connection (borrowed) and this
 * object. At start the incidents still open in the store are
 * matched to the configured rules (rule id, device, point) and restored open; an open
 * incident no rule watches any more stays open (it is resolved by hand) and is logged once.
 * A transition goes to the store first, in its own fsync()ed transaction with its change-log
 * row, and is published (QoS 1, not retained) from that row by the record (rec_publish(),
 * which the core calls when inc_sample() or inc_tick() says a transition was stored): a
 * published incident is never lost to a power cut, and a stored one is published even if the
 * process dies right after. If the store refuses it, it waits in memory and is retried every second
 * (inc_tick), logged once per episode; an opening that never reached the store and whose
 * condition clears meanwhile is dropped with a notice, since nobody has seen it.
 *
 * Payload of <prefix>/incident/<id> (one document per transition, the whole incident):
 *   {"id":3,"event":"detected"|"resolved"|"acknowledged"|"noted","state":"open"|"resolved",
 *    "rule":"mains_voltage","name":"市电电压异常"|null,"severity":"major","category":"power",
 *    "device":"meter1","point":"v_l1"|null,"unit":"V"|null,
 *    "started":"2026-11-23T18:40:00+08:00","detected":"...","value":190.0|null,
 *    "label":"battery"|null,"acknowledged":"..."|null,"acknowledged_by":"张工"|null,
 *    "ack_note":"..."|null,"cleared":"..."|null,"resolved":"..."|null,
 *    "resolution":"auto"|"hand"|null,"resolved_by":"..."|null,"cause":"..."|null,
 *    "measure":"..."|null,"duration_s":75|null,"flags":["cleared_while_down"]}
 * Events: detected and resolved (automatically) come from the alarm rules; acknowledged,
 * resolved (by hand: "resolution":"hand") and noted (cause and measure added to an incident
 * resolved automatically) from commands (rcmd.h, control.h), published once each from the
 * store's change log.
 * Times are RFC 3339 in the site's zone: started = the condition first seen, detected = the
 * incident opened (started + the rule's hold, at a poll), cleared = the condition first seen
 * clear, resolved = the incident resolved (cleared + the clear hold, at a poll, or when it
 * was resolved by hand); duration_s = resolved - detected. A hand resolution while the
 * condition lasts ends the incident: the rule opens a new one only once the condition has
 * cleared (its clear hold passed) and comes back. "value" and "label" are the reading that opened
 * the incident (null for a device that did not answer).
 *
 * Errors: inc_open returns 0 or -1 with a message in err; the rest log their failures
 * themselves, once per change of state.
 */
#ifndef ROOMWATCH_INCIDENT_H
#define ROOMWATCH_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

struct core_sample;
struct inc;
struct rw_config;
struct store;
struct store_incident;

/* cfg and store are borrowed and must outlive the object. */
int inc_open(const struct rw_config *cfg, struct store *store, struct inc **out, char *err,
             size_t errlen);
/* One sample (core_io.h). 1 when a transition was stored (its change waits to be
 * published), else 0. */
int inc_sample(struct inc *c, const struct core_sample *s);
/*
 * The detector's state (alm_snapshot(): malloc()ed, the caller frees it), and taking one back
 * for a feed that goes on without a gap (a trace replayed in chunks): then the open incidents
 * restored at inc_open() go on as they were, not as after a restart. 0, or -1 with ENOMEM
 * (snapshot) or EINVAL (an image of other rules: the restart rule stands).
 */
int inc_snapshot(const struct inc *c, void **buf, size_t *len);
int inc_restore(struct inc *c, const void *buf, size_t len);
/*
 * The restart rule again, as at inc_open(): the detector forgets every run being timed and
 * takes the open incidents back from the store (a trace's @restart row: the daemon restarted
 * there). Transitions the store has not taken are dropped, as a restart drops them. 0, or -1
 * (logged).
 */
int inc_restart(struct inc *c);
/* Retries the transitions the store refused. Call about once a second. 1 when one was
 * stored, else 0. */
int inc_tick(struct inc *c);
/*
 * The document above for incident in as given (normally as stored), with event; the rule's
 * name and the point's unit and label from cfg if it still has them. malloc()ed (free() it),
 * NULL when out of memory.
 */
char *inc_json(const struct rw_config *cfg, const struct store_incident *in, const char *event);
/* Accepts NULL. Open incidents stay open in the store. */
void inc_free(struct inc *c);

#endif
