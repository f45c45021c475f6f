/*
 * bus_modbus.h - a Modbus bus worker: one thread per bus (an RS-485 line or one Modbus TCP
 * endpoint) that owns the bus's modbus_t and polls the devices on it one after another.
 *
 * DESIGN: the worker thread owns its modbus_t, its devices' read plans and schedules; nothing
 * else touches them. Each device is polled on its own interval, scheduled on the monotonic
 * clock without drift (the next poll is due one interval after the previous one was due, not
 * after it finished; slots missed while the bus was busy are skipped, not bunched up). Every
 * point of every poll becomes a struct sample pushed to the sample queue, the failed ones
 * too. The queue never blocks the worker: a full queue drops the sample and counts it.
 *
 * A device that does not answer is backed off: the delay before the next attempt doubles
 * from its interval up to MB_BACKOFF_MAX, and resets at the first answer. A TCP connection
 * that is refused or reset is closed and re-opened before the next poll. Each change of a
 * device's state (answering, timing out, answering with exceptions, ...) is logged once.
 */
#ifndef ROOMWATCH_BUS_MODBUS_H
#define ROOMWATCH_BUS_MODBUS_H

#include <stddef.h>
#include <stdint.h>

#include "cfg/cfg.h"
#include "rw_queue.h"

#define MB_BACKOFF_MAX 60.0 /* s, longest delay between attempts at a silent device */

struct mb_bus;

struct mb_bus_stats {
    uint64_t polls;      /* device poll cycles completed */
    uint64_t requests;   /* Modbus read requests sent */
    uint64_t failures;   /* requests without a valid answer */
    uint64_t reconnects; /* connections (re)opened */
    uint64_t dropped;    /* samples the full queue refused */
};

/*
 * Creates the worker for cfg->buses[bus]; cfg and samples are borrowed and must outlive it.
 * Returns NULL with errno set (EINVAL: a device's profile cannot be read within the limits).
 */
struct mb_bus *mb_bus_new(const struct rw_config *cfg, size_t bus, struct rw_queue *samples);
/* Starts the thread. Returns 0, or -1 with errno set. */
int mb_bus_start(struct mb_bus *b);
/* Asks the thread to stop and joins it; it finishes the request in flight (at most the
 * response timeout). Safe to call on a bus that was never started. */
void mb_bus_stop(struct mb_bus *b);
/* Accepts NULL. Stops the bus first if needed. */
void mb_bus_free(struct mb_bus *b);
/* Any thread. */
void mb_bus_get_stats(struct mb_bus *b, struct mb_bus_stats *st);

#endif
