/*
 * core_io.h - what goes into the core (a sample, with its time) and how its messages leave it
 * (one function the owner of the core gives).
 *
 * A sample: device and point are indices into the config (the device, and the point in its
 * profile); t is engine time (ms since the epoch: the daemon's wall clock at start plus
 * monotonic time, or a trace's timestamp). valid says the value is one (good quality and
 * within the point's plausible range); q is what the sample says about the device for the
 * alarm rules (engine/alarm.h: a Modbus gateway's "target failed to respond" is no answer).
 * cycle, last and next_ms group samples into poll cycles for no_answer rules: the daemon's
 * bus workers number cycles and mark the last sample; a trace's rows of one device with one
 * timestamp are one cycle.
 *
 * roomwatchd gives the publisher (pub_publish() on <prefix>/<subtopic>), and for QoS 1
 * messages that are not retained its outbox (agent/daemon/outbox.h: taken means committed to
 * the store, sent until the broker's PUBACK); `roomwatch replay` gives nothing (a NULL struct, or a NULL publish): the record and the indicators are the
 * same either way, since what is published is always read from, or written to, the store
 * first.
 *
 * publish() takes payload for the call (it copies what it keeps) and returns 0 when the
 * message was taken, -1 when it was refused (the publisher's buffer or the outbox is full, or
 * the outbox cannot write; whoever refused counts and logs it). The core retries what must
 * not be lost (incident changes, events, alerts) and lets the next look republish what is
 * retained (indicators). A message made from a store row that waits to be published (an
 * incident's change, an event, an alert) comes with mark, naming the row: taking the message
 * means marking the row published, in the outbox's transaction (store_outbox_add()), so that
 * a power cut at any moment leaves the row unmarked with no message queued, or marked with
 * its message on disk; never one message queued twice under two msg_ids. mark is NULL for
 * the rest.
 */
#ifndef ROOMWATCH_CORE_IO_H
#define ROOMWATCH_CORE_IO_H

#include <stdint.h>

#include "engine/alarm.h"

struct core_sample {
    uint32_t device, point;
    int64_t t; /* ms */
    double value;
    int valid;
    enum alm_quality q;
    uint64_t cycle;  /* from 1 */
    int last;        /* the last sample of its cycle */
    int64_t next_ms; /* until the device is asked again; 0 if unknown */
};

struct store_cmd;
struct store_pubmark;

/*
 * The taken_* hooks are optional (NULL: nobody is told). They see every input the core takes,
 * as it takes it, so that the daemon can archive what it fed the core as a replay trace and
 * any period can be recomputed from it (the sample archive): a sample of engine point p (the
 * indset layout; the agent's delivery points included) with the value, validity and
 * quality it came with; each change to the record, as the command that made it, when it is
 * published (record.h: whoever made it, this process or the CLI beside it; a command that
 * changed nothing is not taken, nor is a refused one); a restart of the daemon on a resumed
 * state (now, and the checkpoint resumed from).
 */
struct core_out {
    void *ctx;
    int (*publish)(void *ctx, const char *subtopic, const char *payload, int qos, int retain,
                   const struct store_pubmark *mark);
    void (*taken_sample)(void *ctx, uint32_t p, int64_t t, double value, int valid,
                         enum alm_quality q);
    void (*taken_command)(void *ctx, int64_t t, const struct store_cmd *cmd);
    void (*taken_restart)(void *ctx, int64_t t, int64_t saved);
};

/* out's publish(), or -1 (nothing to take it) when out or its publish is NULL. A core given
 * no publish (replay) publishes nothing and keeps nothing to publish later. */
static inline int
core_out_publish(const struct core_out *out, const char *subtopic, const char *payload, int qos,
                 int retain, const struct store_pubmark *mark)
{
    if (out == NULL || out->publish == NULL)
        return -1;
    return out->publish(out->ctx, subtopic, payload, qos, retain, mark);
}

#endif
