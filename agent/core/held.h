/*
 * held.h - the samples the core holds back until the minute before them is judged (core.h,
 * "Alerts"): each minute's alerts are judged on the engine with every sample up to that
 * minute and none after, whether the feed runs two seconds ahead of the judging (the
 * daemon's queue lag) or an hour (replay's --max-skew).
 *
 * Samples are kept per minute they belong to (t in (m - 1 min, m] belongs to m), each
 * minute's in arrival order, so that taking a minute's out costs what it holds, not what
 * the whole queue holds: replay holds --max-skew of samples (an hour by default) and takes
 * one minute's out at every minute judged. Memory: 24 bytes a sample held, kept for reuse
 * (the most held at once), and a bucket per minute spanned.
 *
 * Pure: no I/O, no clock. Owned by the core's thread.
 */
#ifndef ROOMWATCH_CORE_HELD_H
#define ROOMWATCH_CORE_HELD_H

#include <stddef.h>
#include <stdint.h>

#define HELD_MINUTE_MS 60000LL

struct held_sample {
    int64_t t; /* engine time, ms */
    double v;
    uint32_t p; /* engine point */
    int32_t valid;
};

struct held;

/* NULL when out of memory. */
struct held *held_new(void);
/* Accepts NULL. */
void held_free(struct held *h);
/* Keeps s. 0, or -1 when out of memory (nothing kept). */
int held_push(struct held *h, const struct held_sample *s);
size_t held_count(const struct held *h);
/*
 * Takes out every sample with t <= upto, a whole minute (INT64_MAX: all), minute by minute
 * and each minute's in arrival order, calling fn for each (fn must not push).
 */
void held_take(struct held *h, int64_t upto, void (*fn)(void *arg, const struct held_sample *s),
               void *arg);
/* A copy of every sample in the order held_take() gives them: *buf malloc()ed (NULL and 0
 * when none). 0, or -1 when out of memory. */
int held_export(const struct held *h, struct held_sample **buf, size_t *n);

#endif
