/*
 * outbox.h - roomwatchd's QoS 1 messages (incident changes, events, alerts), kept on disk
 * from the moment they are made until the broker acknowledged them.
 *
 * ob_publish() writes the message into the store's outbox table (store_outbox_add(): its own
 * FULL-synced commit, which also marks the row the message publishes) and returns; 0 means
 * it survives a power cut. The rows go to the broker oldest first, at most OB_WINDOW awaiting
 * their PUBACK at a time, and each leaves the table only on its PUBACK. A message with no
 * outcome for a while (paho lost it with the connection, or dropped it), or one paho
 * failed, is sent again; after a restart the whole backlog is. Live telemetry does not wait
 * behind the backlog (it does not go through here), and the window bounds the backlog's
 * rate. At-least-once: each payload (a JSON object) carries "msg_id", the row's id, never
 * handed out twice by one store, so a subscriber drops repeats by (topic prefix, msg_id).
 *
 * Bounded by cfg->mqtt.outbox messages: a message that finds the outbox full (or the disk
 * failing) is refused, logged once per burst, and the caller keeps it: the record's change
 * log (the detector's transitions and the commands' changes), events and alerts stay
 * unpublished in the store and are offered again at the next look, so no incident change,
 * event or alert is lost.
 *
 * DESIGN: main thread only. pub's ack hook (set by the caller, who shares it with late
 * telemetry) hands outcomes to ob_acked(); ob_tick() (each round of the main loop, after
 * pub_dispatch()) deletes the acknowledged rows in one transaction and sends what the window
 * allows while connected.
 *
 * Ownership: cfg, store and pub are borrowed and must outlive the outbox. ob_new() returns
 * NULL when out of memory.
 */
#ifndef ROOMWATCH_OUTBOX_H
#define ROOMWATCH_OUTBOX_H

#include <stdint.h>

struct outbox;
struct pub;
struct rw_config;
struct store;
struct store_pubmark;

#define OB_WINDOW 32 /* messages awaiting their PUBACK at a time */

struct outbox *ob_new(const struct rw_config *cfg, struct store *store, struct pub *pub);
/* Queues a message for <prefix>/<subtopic> at engine time now (ms), marking the row mark
 * names (NULL: none) published in the same commit. 0 (kept on disk) or -1 (refused, logged:
 * ENOBUFS when full, EIO when the store cannot write; nothing marked). */
int ob_publish(struct outbox *ob, const char *subtopic, const char *payload, int64_t now,
               const struct store_pubmark *mark);
/* pub's outcome for message id (pub_set_ack_hook()): ok 1 for its PUBACK, 0 when it failed;
 * id 0: no outcome will come for any message published before. Accepts a NULL ob. */
void ob_acked(struct outbox *ob, uint64_t id, int ok);
/* Deletes what was acknowledged, resends what waited too long, sends what the window allows.
 * mono: now (monotonic s). */
void ob_tick(struct outbox *ob, double mono);
/* For <prefix>/status: {"outbox":{"messages":N,"max":M,"oldest":"<RFC 3339>"|null,
 * "refused":R,"resent":S}} (S: sent again for want of an outcome in time), malloc()ed; NULL
 * when out of memory or the store cannot be read. */
char *ob_status(struct outbox *ob);
/* Deletes what was acknowledged. Accepts NULL; the caller clears pub's ack hook first. */
void ob_free(struct outbox *ob);

#endif
