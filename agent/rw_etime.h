/*
 * rw_etime.h - engine time: the daemon's clock for the indicator engine.
 *
 * Engine time is milliseconds since the Unix epoch, read as the wall clock at the agent's
 * start plus the monotonic time elapsed since: a step of the wall clock while the agent runs
 * (NTP, an operator's date -s) neither creates nor destroys measured time (DESIGN.md,
 * "Time"). It is also kept from going back behind a floor (the store's last checkpoint), so
 * that a wall clock set back between two runs cannot make the resumed engine refuse samples.
 * Pure: the clock readings come in as arguments (rw_clock.h reads them).
 */
#ifndef ROOMWATCH_RW_ETIME_H
#define ROOMWATCH_RW_ETIME_H

#include <stdint.h>

struct rw_etime {
    int64_t wall0; /* engine time at the anchor, ms */
    double mono0;  /* monotonic clock at the anchor, s */
};

/* Anchors at the readings wall and mono (s), taken together; not earlier than floor (ms). */
void rw_etime_anchor(struct rw_etime *et, double wall, double mono, int64_t floor);
/* Engine time (ms) of the monotonic instant mono (s). */
int64_t rw_etime_at(const struct rw_etime *et, double mono);

#endif
