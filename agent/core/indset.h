/*
 * indset.h - the config's indicators set up on the engine, one way for roomwatchd and the
 * roomwatch CLI (replay, status), so that the CLI opens the daemon's store with exactly the
 * daemon's point layout, fingerprint and period calendar.
 *
 * DESIGN:
 *  - Layout: engine point i is a point of a device, every point of every device, device by
 *    device in config order, each device's points in its profile's order; then, only when a
 *    delivery indicator is configured, the agent's point of each device
 *    (agent.delivery.<device>: one sample per telemetry report, its latency), in device
 *    order. Staleness limits are the device's (CFG_DELIVERY_STALE for the agent's points);
 *    indicator configs come from cfg_indicator_engine().
 *  - Fingerprint: eng_fingerprint() of that engine config, with the devices' ids and the
 *    points' names hashed in, since the engine sees indices only: a store's state is resumed
 *    only by a config that means the same points by the same indices.
 *  - Periods: the calendar year, or month (site.period), cut at local midnight in the site's
 *    zone (rw_calendar).
 *  - Store: a state is the engine image plus its per-day rows, keyed by fingerprint and the
 *    period's start (store.h); indset_save() writes the days changed since the last save.
 *
 * Ownership: indset_new() borrows cfg, which must outlive the set. Periods are plain values.
 * Errors: 0 or -1 with errno; nothing here logs (callers log once, where they handle it).
 * Uses rw_calendar (sets TZ): call from the thread that owns the engine.
 */
#ifndef ROOMWATCH_INDSET_H
#define ROOMWATCH_INDSET_H

#include <stddef.h>
#include <stdint.h>

#include "engine/eng.h"
#include "rw_calendar.h"

struct rw_config;
struct store;

struct indset {
    const struct rw_config *cfg;
    size_t npoints;
    size_t *dev_first;            /* ndevices + 1: engine index of each device's first point */
    size_t agent_first;           /* agent.delivery.<device i> is agent_first + i (delivery) */
    struct eng_point_cfg *points; /* npoints */
    struct eng_ind_cfg *inds;     /* cfg->nindicators, engine indicator i = cfg indicator i */
    uint32_t *refs;               /* the indicators' point indices, back to back */
    uint64_t fingerprint;
};

struct indset_period {
    int year;
    int month; /* 1..12 for a month period, 0 for a year */
    int ndays;
    int64_t day_start[RW_CAL_MAX_DAYS + 1]; /* ndays + 1 local midnights, ms */
};

/* The layout and engine configs of cfg: 0 and *out (indset_free() it), or -1 with ENOMEM. */
int indset_new(const struct rw_config *cfg, struct indset **out);
/* Accepts NULL. */
void indset_free(struct indset *is);
/* The engine index of point `point` of device `device` (both in range). */
uint32_t indset_point(const struct indset *is, size_t device, size_t point);
/* The engine index of agent.delivery.<device> (only with a delivery indicator). */
uint32_t indset_delivery_point(const struct indset *is, size_t device);

/*
 * The period of cfg's kind (site.period) that contains time t (ms), or that is year (and
 * month 1..12, ignored for year periods), or that follows p. 0, or -1 with EDOM for a time
 * outside the years 1970..9999 or a bad month.
 */
int indset_period_at(const struct rw_config *cfg, int64_t t, struct indset_period *p);
int indset_period_of(const struct rw_config *cfg, int year, int month, struct indset_period *p);
int indset_period_next(const struct rw_config *cfg, const struct indset_period *p,
                       struct indset_period *next);

/* The period's name for people: "2026", or "2026-03" for a month. */
void indset_period_name(const struct indset_period *p, char *buf, size_t len);

/* A new engine for the period: 0 and *out, or -1 with EINVAL or ENOMEM and a message. */
int indset_engine(const struct indset *is, const struct indset_period *p, struct eng **out,
                  char *err, size_t errlen);

/*
 * Restores e (new, for period p) from the state st holds for this config and period: 0 and
 * *saved_at (the checkpoint's time, ms; may be NULL); -1 with ENOENT when there is none,
 * EINVAL when it does not restore (damaged, of another version, or its days do not add up
 * to its image; e is unchanged), EIO for a store error (store_errmsg()), ENOMEM.
 * aux (may be NULL) receives the bytes the saver put beside the engine's image (the core's
 * alarm detector), malloc()ed, or NULL and *auxlen 0 when there are none.
 */
int indset_load(const struct indset *is, const struct indset_period *p, struct store *st,
                struct eng *e, int64_t *saved_at, void **aux, size_t *auxlen);

/*
 * A period that is over is final: for e restored (indset_load(), checkpointed at saved) for
 * period p, what every reader of a store shows at wall time now (ms): if the period's end
 * has passed by now, e is finished at that end (eng_finish(): each point's last sample holds
 * up to its staleness limit, the time after is unknown), as `roomwatch replay` and the
 * daemon's rollover finish a period, so that a year replayed with --db, or left by a daemon
 * stopped before its end, reads the replay's final values. *as_of: the period's end for a
 * finished period, else saved. *final: 1 when finished. The readers go through core_view()
 * (core.h), which also takes in the samples the checkpoint held back.
 */
void indset_view_at(const struct indset_period *p, struct eng *e, int64_t saved, int64_t now,
                    int64_t *as_of, int *final);
/* The time a reader's values of period p are as of without an engine: now, or the period's
 * end once it is over. */
int64_t indset_as_of(const struct indset_period *p, int64_t now);

/*
 * One checkpoint of e at engine time now: its image and the days changed since the last
 * successful save, in one transaction (store_checkpoint()); then no day counts as changed.
 * aux (auxlen bytes; NULL for none) is kept beside the image, for indset_load().
 * 0, or -1 with ENOMEM, or EIO (store_errmsg()); on error the changed days stay marked.
 */
int indset_save(const struct indset *is, const struct indset_period *p, struct store *st,
                struct eng *e, int64_t now, const void *aux, size_t auxlen);

#endif
