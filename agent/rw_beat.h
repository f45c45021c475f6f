/*
 * rw_beat.h - heartbeats: each worker (a bus thread, the SNMP poller, the publisher) says by
 * when it will next have made progress, and the watchdog (rw_notify_watchdog_tick) stops
 * feeding systemd while any of them is late.
 *
 * DESIGN: a worker sets its deadline before each step that waits or may block, derived from
 * what bounds that step (a poll: its reads' response timeouts and frame times; a sleep: its
 * wake-up time), plus RW_BEAT_SLACK. A worker that keeps its promises is never late however
 * long its intervals; one stuck in a read or a deadlock misses its deadline by the slack, and
 * rw_beat_late() names it.
 *
 * Global state: the list of heartbeats. rw_beat_new(), rw_beat_free() and rw_beat_late() are
 * for the main thread only; rw_beat_expect() and rw_beat_idle() for the heartbeat's owner
 * (any thread: the deadline is one atomic).
 */
#ifndef ROOMWATCH_RW_BEAT_H
#define ROOMWATCH_RW_BEAT_H

#include <stddef.h>

#define RW_BEAT_SLACK 1.0 /* s added to every deadline: scheduling, logging, a slow disk */
#define RW_BEAT_START 10.0 /* s a new heartbeat's owner has to set its first deadline */

struct rw_beat;

/* A heartbeat for what (e.g. "bus rs485-0", copied), registered; its first deadline is
 * RW_BEAT_START s from now. Returns NULL with errno set. The caller owns it: rw_beat_free(). */
struct rw_beat *rw_beat_new(const char *what);
/* Unregisters and frees. Accepts NULL. */
void rw_beat_free(struct rw_beat *b);

/* The owner will have made progress by monotonic time `by` (s); RW_BEAT_SLACK is added.
 * Accepts NULL (no-op), so code that runs without a registry (unit tests) need not care. */
void rw_beat_expect(struct rw_beat *b, double by);
/* The owner waits for nothing that can hang (e.g. it has nothing to send): never late. */
void rw_beat_idle(struct rw_beat *b);

/* How many heartbeats are late at monotonic time now; when any is, the one late the longest
 * is described in what ("bus rs485-0: no progress for 3.2 s past its deadline"). */
int rw_beat_late(double now, char *what, size_t len);

#endif
