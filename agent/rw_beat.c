/*
 * rw_beat.c - heartbeats of the worker threads, checked by the watchdog.
 *
 * A deadline is a monotonic time in microseconds in one atomic, so a worker never takes a
 * lock to beat and the main thread never waits on a worker (a stuck one holds nothing).
 */
#include "rw_beat.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rw_clock.h"

#define IDLE INT64_MAX

struct rw_beat {
    struct rw_beat *next;
    _Atomic int64_t due_us; /* monotonic; IDLE: nothing due */
    char what[];
};

static struct rw_beat *beats; /* main thread only */

static int64_t
to_us(double t)
{
    return (int64_t)(t * 1e6);
}

struct rw_beat *
rw_beat_new(const char *what)
{
    size_t len = strlen(what);
    struct rw_beat *b = malloc(sizeof(*b) + len + 1);

    if (b == NULL)
        return NULL;
    memcpy(b->what, what, len + 1);
    atomic_init(&b->due_us, to_us(rw_clock_mono() + RW_BEAT_START));
    b->next = beats;
    beats = b;
    return b;
}

void
rw_beat_free(struct rw_beat *b)
{
    struct rw_beat **pp;

    if (b == NULL)
        return;
    for (pp = &beats; *pp != NULL; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    free(b);
}

void
rw_beat_expect(struct rw_beat *b, double by)
{
    if (b != NULL)
        atomic_store_explicit(&b->due_us, to_us(by + RW_BEAT_SLACK), memory_order_relaxed);
}

void
rw_beat_idle(struct rw_beat *b)
{
    if (b != NULL)
        atomic_store_explicit(&b->due_us, IDLE, memory_order_relaxed);
}

int
rw_beat_late(double now, char *what, size_t len)
{
    const struct rw_beat *worst = NULL;
    int64_t now_us = to_us(now), worst_due = 0;
    int n = 0;

    for (const struct rw_beat *b = beats; b != NULL; b = b->next) {
        int64_t due = atomic_load_explicit(&b->due_us, memory_order_relaxed);

        if (due == IDLE || due >= now_us)
            continue;
        n++;
        if (worst == NULL || due < worst_due) {
            worst = b;
            worst_due = due;
        }
    }
    if (worst != NULL && len > 0)
        snprintf(what, len, "%s: no progress for %.1f s past its deadline", worst->what,
                 (double)(now_us - worst_due) / 1e6);
    return n;
}
