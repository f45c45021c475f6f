/*
 * rw_ctrust.h - whether the wall clock may be trusted to date samples.
 *
 * A gateway without a battery-backed clock boots in 1970 (or at its last shutdown, with
 * fake-hwclock) and steps to the right time when NTP answers. Engine time (rw_etime.h) is
 * anchored on the wall clock once, so the daemon anchors it only once the clock is trusted:
 * until then no sample is fed to the core, no day is filed and the store and the archive
 * stay closed (agent/daemon/main.c). The rule (config: clock.trust, clock.floor):
 *   RW_CTRUST_FLOOR   the wall clock reads at least the floor (default: the build date);
 *   RW_CTRUST_SYNC    the kernel says it is synchronized (adjtimex: STA_UNSYNC clear, set
 *                     by chrony, ntpd and systemd-timesyncd) and it reads at least the floor;
 *                     where the kernel cannot be asked, the floor alone decides;
 *   RW_CTRUST_ALWAYS  always (the behaviour before this rule existed).
 * Pure: the readings come in as arguments (rw_clock.h reads them).
 */
#ifndef ROOMWATCH_RW_CTRUST_H
#define ROOMWATCH_RW_CTRUST_H

#include <stdint.h>

enum rw_ctrust_mode {
    RW_CTRUST_FLOOR = 0, /* the default: works where adjtimex reports unsynchronized (CI,
                          * containers) and still refuses 1970 */
    RW_CTRUST_SYNC,
    RW_CTRUST_ALWAYS,
};

/* 1 if a wall clock reading wall (s since the epoch) is trusted under mode with the floor
 * floor_s (s since the epoch, UTC); synced is the kernel's answer: 1 synchronized,
 * 0 not, -1 unknown. Else 0. */
int rw_ctrust_ok(enum rw_ctrust_mode mode, int64_t floor_s, double wall, int synced);

/* Parses "YYYY-MM-DD" (a valid Gregorian date, years 1970..9999) as its midnight UTC in s
 * since the epoch into *out. Returns 0, or -1 when s is not such a date. */
int rw_ctrust_parse_date(const char *s, int64_t *out);

/* The mode's config name ("floor", "sync", "always"). */
const char *rw_ctrust_mode_name(enum rw_ctrust_mode mode);

#endif
