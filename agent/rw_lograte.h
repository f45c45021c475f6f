/*
 * rw_lograte.h - logging a fault once per burst, with a count.
 *
 * Anyone who reaches the broker can send 10,000 bad commands a second; a line per refusal
 * would flood the journal (and wear a gateway's SD card) while telling nothing new. A burst
 * is a run of events with less than `quiet` seconds between them: its first event is logged
 * in full, the rest are counted, and rw_lograte_tick() writes one line with the count when
 * the burst ends, or every `period` seconds while it lasts, so a flood that never stops is
 * still reported.
 *
 *   struct rw_lograte refusals = RW_LOGRATE_INIT("commands refused", 5.0, 60.0);
 *   rw_lograte_log(&refusals, rw_clock_mono(), 1, RW_LOG_INFO, "command %s refused: %s", ...);
 *   ...
 *   rw_lograte_tick(&refusals, rw_clock_mono()); // from the main loop
 *
 * Logs (rw_log.h) at the level of the burst's first event:
 *   ... command ack refused: not valid JSON: ... (byte 0)
 *   ... commands refused: 19999 more in 2.0 s (the first one is logged above)
 *
 * Not thread-safe: one rw_lograte belongs to one thread (the daemon's main loop).
 * Pure bookkeeping over the times passed in (no clock of its own), so it is unit-tested with
 * made-up times.
 */
#ifndef ROOMWATCH_RW_LOGRATE_H
#define ROOMWATCH_RW_LOGRATE_H

struct rw_lograte {
    const char *what; /* names the events in a count line: "commands refused"; static */
    double quiet;     /* s without an event that end a burst */
    double period;    /* s: during a long burst, a count line at least this often */
    /* State: zero at start (RW_LOGRATE_INIT). */
    int in_burst;
    int level;               /* of the burst's first event */
    double last;             /* mono s of the burst's latest event */
    double since;            /* mono s since which events were held back */
    unsigned long long held; /* events counted and not yet reported */
};

#define RW_LOGRATE_INIT(what, quiet_s, period_s)                                                   \
    {                                                                                              \
        (what), (quiet_s), (period_s), 0, 0, 0.0, 0.0, 0ULL                                        \
    }

/*
 * An event (n of them, n >= 1, as one message says, e.g. "12 commands dropped") at mono time
 * now. Logs the message if it starts a burst and returns 1; else counts n and returns 0.
 */
int rw_lograte_log(struct rw_lograte *r, double now, unsigned long long n, int level,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Call regularly (each turn of the main loop). Once the burst has been quiet for r->quiet s,
 * or r->period s after the last count line, writes "<what>: N more in S s (the first one is
 * logged above)" for the N events held back, if any; a quiet burst then ends, so the next
 * event is logged in full again. Returns the number reported (0 if no line was written).
 * rw_lograte_log() calls it too, so a count is never lost for want of a tick.
 */
unsigned long long rw_lograte_tick(struct rw_lograte *r, double now);

#endif
