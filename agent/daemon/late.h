/*
 * late.h - roomwatchd's store-and-forward telemetry: what could not go out live while the
 * broker was away goes out afterwards, marked late, from the sample archive.
 *
 * The archive (agent/archive/archive.h) already holds every sample the core took, on disk,
 * so the backlog is a cursor into it, not a second copy: while telemetry cannot go out live
 * the card is written nothing more than the archive writes anyway. What the backlog is, is
 * a list of spans of engine time in the store (store.h, "late"), each opened by the first
 * document that could not go out (reaching back a margin for what a dying connection may
 * have swallowed), closed when the broker is back, and consumed from its start as the
 * broker acknowledges the documents rebuilt from it. The margin is 1.5 x keepalive (a link
 * that dies silently is noticed that late, and QoS 0 documents written into it are lost),
 * and at least LATE_FIRST_S and the archive's skew (what a kill takes from paho's buffer at
 * start).
 *
 * Sending: while connected, each round reads the archive rows of the oldest span in order,
 * gathers each device's rows into one document per poll cycle (a point seen again starts the
 * next cycle), and publishes it at QoS 1 on <prefix>/telemetry/<device> with "late":true and
 * its original time (pub_json.h, pub_json_late()). At most cfg->mqtt.late_rate documents a
 * second and LATE_WINDOW awaiting their PUBACK, so live telemetry and the outbox are not
 * starved. The span's start (the cursor) moves only past what the broker acknowledged and
 * is saved every LATE_SAVE_S: a restart, a failed message or a lost connection reads again
 * from there, so a document may come twice, never not at all. A subscriber drops repeats by
 * (device, ts).
 *
 * Bounded (cfg->mqtt.late_max_hours, late_max_mb): the part of the backlog older than the
 * age bound, and the oldest whole hours while the archive files it spans take more than the
 * size bound, are given up: counted in seconds, logged once per episode, in <prefix>/status.
 * What the archive itself no longer holds (its own bounds, its write errors) cannot be sent.
 *
 * DESIGN: main thread only, as the publisher, the store and the archive it borrows.
 * Ownership: cfg, store, pub and arc are borrowed and must outlive the object.
 */
#ifndef ROOMWATCH_LATE_H
#define ROOMWATCH_LATE_H

#include <stdint.h>

struct arc;
struct late;
struct pub;
struct rw_config;
struct store;

#define LATE_WINDOW 64                  /* late documents awaiting their PUBACK at a time */
/* pub_publish_acked() ids of late documents: the top bit of a pointer-sized id (pub keeps
 * an id where paho keeps a pointer: 32 bits on armhf); the outbox's row ids stay below it. */
#define LATE_ID_FLAG (((uint64_t)UINTPTR_MAX >> 1) + 1)
#define LATE_SAVE_S 10.0                /* between saves of the cursor */
#define LATE_FIRST_S 10.0               /* at start, telemetry waits in paho's buffer this
                                           long for the first connection before it is late */

/*
 * A backlog over the archive arc (in <state_dir>/archive) for cfg. run_start is this run's
 * engine start (ms): no span reaches back before it, unless resend_from is not INT64_MIN:
 * then the previous run ended without a clean stop (resend_from: its last checkpoint) and a
 * span is opened from there less the margin, since what paho held when it died is lost. Returns NULL
 * when out of memory (or the store cannot be written: logged).
 */
struct late *late_new(const struct rw_config *cfg, struct store *store, struct pub *pub,
                      struct arc *arc, int64_t run_start, int64_t resend_from, double mono);

/*
 * Whether a telemetry document whose first row is of engine time t (ms) is owed late, at
 * engine time now and monotonic mono (s): 1 while the broker is away (the caller does not
 * publish it: its rows are in the archive and go out late); 0 when it goes out live: while
 * connected; at start, for LATE_FIRST_S while the first connection is still coming (into
 * paho's buffer); and when the span could not be saved (logged). Whenever not connected the
 * archive is flushed to the kernel first, so that a kill -9 cannot take the rows owed.
 */
int late_owed(struct late *l, int64_t t, int64_t now, double mono);

/* pub's outcome for a late document (id with LATE_ID_FLAG), or id 0: none will come for
 * any message published before. */
void late_acked(struct late *l, uint64_t id, int ok);

/* Each round of the main loop, after pub_dispatch(): closes the span when the broker is
 * back, applies the bounds, sends what the rate and the window allow. */
void late_tick(struct late *l, int64_t now, double mono);

/*
 * For <prefix>/status: {"late":{"pending_s":P,"oldest":"<RFC 3339>"|null,"sent":S,
 * "dropped_s":D,"max_hours":H,"max_mb":M}}: P seconds of telemetry wait (an open span counted
 * to now), S late documents acknowledged and D seconds given up by the bounds in this run;
 * malloc()ed, NULL when out of memory or the store cannot be read.
 */
char *late_status(struct late *l, int64_t now);

/* Saves the cursor and frees l. Accepts NULL. */
void late_free(struct late *l);

#endif
