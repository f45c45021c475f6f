/*
 * rw_notify.h - systemd service notifications (sd_notify(3) protocol) without libsystemd.
 *
 * Under systemd with Type=notify, $NOTIFY_SOCKET names an AF_UNIX datagram socket ('@' first:
 * abstract namespace); each notification is one datagram of "KEY=VALUE" lines. With
 * WatchdogSec= set, systemd passes $WATCHDOG_USEC (and $WATCHDOG_PID, the process it is
 * meant for) and restarts the service when no WATCHDOG=1 arrives within that time.
 * Without $NOTIFY_SOCKET every call here does nothing, so the daemon runs the same outside
 * systemd.
 *
 * Global state: the socket and watchdog settings, set by rw_notify_init() before any thread
 * starts. The functions are called from the main thread only.
 */
#ifndef ROOMWATCH_RW_NOTIFY_H
#define ROOMWATCH_RW_NOTIFY_H

/* Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID and opens the socket. Returns 0, or -1
 * with errno if NOTIFY_SOCKET is set but unusable (notifications are then off; the caller
 * logs it). */
int rw_notify_init(void);

/* Sends state (one or more "KEY=VALUE" lines, e.g. "READY=1\nSTATUS=polling"). Returns 0 if
 * sent or notifications are off, -1 with errno if the send failed. A STATUS= line is kept,
 * to be restored after a stuck worker recovers. */
int rw_notify(const char *state);

/* Like rw_notify() with a printf format. */
int rw_notify_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog timeout systemd set for this process, in microseconds; 0 if none. */
unsigned long long rw_notify_watchdog_usec(void);

/* Called by the main loop on every pass, with the monotonic time in seconds: sends
 * WATCHDOG=1 when half the watchdog timeout has passed since the last one, if every worker's
 * heartbeat is on time (rw_beat_late()). While one is late there are no pings, and STATUS=
 * (and the log) name it; once all are on time again the daemon's last STATUS= is restored.
 * Returns the longest time in milliseconds the loop may sleep before it must call again, or
 * -1 if the watchdog is off. */
long rw_notify_watchdog_tick(double now);

/* Closes the socket. Further calls send nothing. */
void rw_notify_close(void);

#endif
