/*
 * record.h - the fault-handling record's commands (acknowledge, resolve, record an event)
 * applied to the store, and every change to the record published: each incident a command
 * changed (this process's, or the CLI's beside the daemon) on <prefix>/incident/<id>, each
 * recorded event on <prefix>/event/<id>. Part of the core (core.h): roomwatchd applies MQTT
 * commands through it, `roomwatch replay` a trace's @ack, @resolve and @event rows.
 *
 * DESIGN: runs on the thread that owns the core and its store connection (borrowed). A
 * command is applied (store_cmd_apply(): its own fsync()ed transaction, the one place its
 * rules live), logged, and the incident it changed is published, in that order: the store
 * first, as for every incident transition.
 *
 * Publishing changes: store_cmd_apply() adds a row to the store's change log (incident_change)
 * for every incident it changes, whoever calls it, and the alarm detector's transitions add
 * theirs ("detected", "auto_resolved": incident.h) in their own transactions. rec publishes
 * the rows not yet marked, in order, each as the whole incident read back from the store
 * (event "detected", "acknowledged", "resolved" or "noted"), and the publisher marks each as it
 * takes the message (core_io.h: in the outbox's transaction). It looks right after applying a
 * command or a transition (rec_publish()), at start (changes the CLI made while the daemon was
 * stopped, and whatever a crash or a full outbox left), and once a second when PRAGMA
 * data_version says another connection (the CLI) has committed. So each change is published
 * once, whoever made it, in the order it was made, and none is missed: a CLI commit that
 * lands while rec reads is seen at the next look, since it is not marked; a power cut leaves
 * a change either unmarked with no message, or marked with its message in the outbox. A
 * repeated or refused command changes no row, so publishes nothing. Without a publisher
 * (core_out NULL: replay) nothing is published or marked.
 *
 * Publishing events: every recorded event (a maintenance visit, an inspection, a security
 * incident; by a command or by `roomwatch event add`) is published once on
 * <prefix>/event/<id> (QoS 1, not retained), the same way: the event rows not yet marked
 * published (store_event_unpublished()) go out in id order at each look, after the incident
 * changes, and each is marked once the publisher took it. Payload:
 *   {"id":12,"kind":"maintenance"|"inspection"|"security-incident",
 *    "at":"2026-03-01T09:30:00+08:00","by":"张工","note":"..."|null,"incident":3|null,
 *    "recorded":"2026-03-01T10:02:11.120+08:00"}
 * at is when it happened (as given), recorded when it was entered into the store; times are
 * RFC 3339 in the site's zone. A repeated event command records nothing, so publishes nothing.
 *
 * Errors: rec_new returns NULL (out of memory); rec_apply returns store_cmd_apply()'s result
 * (-1 with errno: ENOENT, EALREADY with r->why, EINVAL, EIO: store_errmsg()) and logs only
 * what it applied. The rest log their failures themselves, once per change of state.
 */
#ifndef ROOMWATCH_RECORD_H
#define ROOMWATCH_RECORD_H

#include <stdint.h>

#include "store/store.h"

struct core_out;
struct rec;
struct rw_config;

/* cfg, store and out (NULL: nothing is published) are borrowed and must outlive the object. */
struct rec *rec_new(const struct rw_config *cfg, struct store *store, const struct core_out *out);
/* Applies cmd at engine time now (source: "mqtt", "cli", "replay"), with its answer when
 * reply is not NULL (store_cmd_apply_answered()), then publishes. */
int rec_apply(struct rec *c, const struct store_cmd *cmd, int64_t now, const char *source,
              struct store_cmd_result *r, struct store_cmd_reply *reply);
/* Publishes what is not yet published (the detector's transition just stored). */
void rec_publish(struct rec *c);
/* Publishes changes other connections made; now is engine time. Call about once a second. */
void rec_tick(struct rec *c, int64_t now);
/* Accepts NULL. */
void rec_free(struct rec *c);

#endif
