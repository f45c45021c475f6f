/*
 * live.c - the daemon's indicators (see live.h).
 *
 * The engine's points, indicator configs, fingerprint and periods are indset's, the same as
 * `roomwatch status` and `roomwatch replay` use.
 *
 * The incident indicators are published here too, beside the engine's, because they share
 * everything that decides when and as what: the period (and its rollover: after 1 January
 * they are the new period's), engine time, the publishing look once a second, the at least
 * once a minute refresh and the retained topic. Only their source differs: the store's
 * record, read through incind.h (the code `roomwatch status` uses) at each look. Reading at
 * each look, rather than being told of changes, publishes a change within a second whoever
 * made it (an alarm rule, an MQTT command, the CLI in another process) without any of
 * them knowing of this file; the look costs one indexed query of the period's incidents.
 */
#include "live.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "engine/eng.h"
#include "engine/incstat.h"
#include "incident.h"
#include "incind.h"
#include "indset.h"
#include "pub/pub.h"
#include "report/rpt_inc.h"
#include "report/rpt_json.h"
#include "report/rpt_judge.h"
#include "rw_calendar.h"
#include "rw_etime.h"
#include "rw_log.h"
#include "source/sample.h"
#include "store/store.h"

#define ADVANCE_LAG_MS 2000 /* samples may wait this long in the queue: advance behind now */
#define PUBLISH_MAX_S 60.0   /* republish an unchanged indicator at least this often */

struct pubstate {
    double value;
    int met;
    enum rpt_status status;
    double at; /* mono, s; 0: never */
};

/* What an incident indicator's last publication said, minus the open incidents' ageing (that
 * goes out with the minute's refresh): its value, judgement and what it counted. */
struct incstate {
    uint64_t sig;
    double at; /* mono, s; 0: never */
};

struct live {
    const struct rw_config *cfg;
    struct pub *pub;
    struct store *store;
    struct indset *is;
    struct indset_period per; /* the current period: the engine's */
    struct eng *eng;
    /* The period that just ended and its engine, kept for ADVANCE_LAG_MS after its end for
     * the samples from before it that are still on their way; NULL otherwise. */
    struct indset_period prev_per;
    struct eng *prev;
    int roll_failing;   /* logged once per episode */
    struct rw_etime et;
    double next_ckpt;   /* mono, s */
    double next_pub;    /* mono, s: publishing is looked at once a second */
    int ckpt_failing;   /* logged once per episode */
    uint64_t refused;   /* samples the engine refused (out of order) */
    struct pubstate *ps;
    double *keep; /* per device: s a report is tracked (0: no delivery indicator counts it) */
    struct inc *inc; /* the incidents; NULL without alarm rules */
    struct incstate *is_inc; /* per incident indicator */
    struct ist_result *ires; /* per incident indicator: the last look's results */
    int inc_failing;         /* reading the record failed: logged once per episode */
};

static void on_outcome(void *ctx, uint64_t dev, double latency_s, double mono);
static void feed_report(struct live *l, size_t dev, double latency_s, double mono);
static int delivery_open(struct live *l);
static int feed(struct live *l, uint32_t p, int64_t t, double v, int valid);


static int
checkpoint(struct live *l, int64_t now)
{
    return indset_save(l->is, &l->per, l->store, l->eng, now);
}

/*
 * The ended period's engine has all its samples: finished at the period's end (the holds
 * run on to it) and checkpointed at engine time now, its final state. Then it goes.
 */
static void
finish_prev(struct live *l, int64_t now)
{
    char name[16];

    indset_period_name(&l->prev_per, name, sizeof(name));
    eng_finish(l->prev, l->prev_per.day_start[l->prev_per.ndays]);
    if (indset_save(l->is, &l->prev_per, l->store, l->prev, now) < 0)
        log_err("store: the final checkpoint of period %s failed: %s; its values stay as of "
                "its last checkpoint",
                name, errno == EIO ? store_errmsg(l->store) : strerror(errno));
    else
        log_notice("indicators: period %s finished; its final values are in the store", name);
    eng_free(l->prev);
    l->prev = NULL;
}

/*
 * The current period ended: a new engine for the next one, given every point's last sample
 * so that a hold across the boundary goes on (a sample holds into the period after it). The
 * old engine stays as prev, taking the samples from before its end still on their way,
 * until live_tick() finishes it. On error (logged once) the old engine goes on, the time
 * past its end clipped, and the next sample or tick tries again.
 */
static void
roll(struct live *l, int64_t now)
{
    struct indset_period next;
    struct eng *e = NULL;
    char err[256] = "", name[16], nname[16];
    size_t i;

    if (l->prev != NULL)
        finish_prev(l, now); /* a period shorter than the lag: not one of ours */
    if (indset_period_next(l->cfg, &l->per, &next) < 0 ||
        indset_engine(l->is, &next, &e, err, sizeof(err)) < 0) {
        if (!l->roll_failing)
            log_err("indicators: cannot start the next period: %s; retrying",
                    err[0] != '\0' ? err : strerror(errno));
        l->roll_failing = 1;
        return;
    }
    l->roll_failing = 0;
    for (i = 0; i < l->is->npoints; i++) {
        int64_t t;
        double v;
        int valid;

        if (eng_point_sample(l->eng, (uint32_t)i, &t, &v, &valid) == 0)
            (void)eng_sample(e, (uint32_t)i, t, v, valid);
    }
    indset_period_name(&l->per, name, sizeof(name));
    indset_period_name(&next, nname, sizeof(nname));
    log_notice("indicators: period %s ended; %s begins", name, nname);
    l->prev = l->eng;
    l->prev_per = l->per;
    l->eng = e;
    l->per = next;
    /* The new period's values go out at the next look, changed or not. */
    for (i = 0; i < l->cfg->nindicators; i++)
        l->ps[i].at = 0;
    for (i = 0; i < l->cfg->ninc_indicators; i++)
        l->is_inc[i].at = 0;
}

static int64_t
period_end(const struct indset_period *p)
{
    return p->day_start[p->ndays];
}

int
live_open(const struct rw_config *cfg, struct pub *pub, double wall, double mono,
          struct live **out, char *err, size_t errlen)
{
    struct live *l;
    struct store_run prev;
    int64_t now, floor = 0, newest, saved = 0;

    *out = NULL;
    if ((l = calloc(1, sizeof(*l))) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    l->cfg = cfg;
    l->pub = pub;
    if (store_open(cfg->state_dir, &l->store) < 0) {
        snprintf(err, errlen, "store %s/%s: %s", cfg->state_dir, STORE_FILE,
                 errno == EIO && l->store != NULL ? store_errmsg(l->store) : strerror(errno));
        goto fail;
    }
    rw_etime_anchor(&l->et, wall, mono, 0);
    now = rw_etime_at(&l->et, mono);
    if (store_run_begin(l->store, now, &prev) < 0) {
        snprintf(err, errlen, "store: run log: %s", store_errmsg(l->store));
        goto fail;
    }
    /* Engine time never goes behind what the store already holds. */
    if (prev.id != 0) {
        floor = prev.clean ? prev.stop : prev.last_checkpoint;
        rw_etime_anchor(&l->et, wall, mono, floor);
        now = rw_etime_at(&l->et, mono);
    }
    if (indset_new(cfg, &l->is) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (indset_period_at(cfg, now, &l->per) < 0) {
        snprintf(err, errlen, "the clock is outside the years 1970 to 9999");
        goto fail;
    }
    if (indset_engine(l->is, &l->per, &l->eng, err, errlen) < 0)
        goto fail;
    l->ps = calloc(cfg->nindicators + 1, sizeof(*l->ps));
    l->is_inc = calloc(cfg->ninc_indicators + 1, sizeof(*l->is_inc));
    l->ires = calloc(cfg->ninc_indicators + 1, sizeof(*l->ires));
    if (l->ps == NULL || l->is_inc == NULL || l->ires == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (indset_load(l->is, &l->per, l->store, l->eng, &saved) == 0) {
        /* The agent was looking up to the checkpoint and may have stopped any time after:
         * holds end there, and the time to the first new sample is unknown. */
        eng_cut(l->eng, saved);
        eng_position(l->eng, &newest, &floor);
        /* Nor may a wall clock set back since make samples older than the saved ones. */
        if (newest > floor)
            floor = newest;
        rw_etime_anchor(&l->et, wall, mono, floor);
        now = rw_etime_at(&l->et, mono);
        log_notice("indicators: resumed from the store; %s run, %.0f s since its last "
                   "checkpoint are unknown time",
                   prev.clean ? "clean" : "killed", (double)(now - saved) / 1000.0);
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "store: %s",
                 errno == EIO       ? store_errmsg(l->store)
                 : errno == ENOMEM ? "the saved engine state is too large for memory"
                                   : "the saved engine state is damaged");
        goto fail;
    }
    if (delivery_open(l) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (cfg->nalarms > 0 && inc_open(cfg, l->store, pub, &l->inc, err, errlen) < 0)
        goto fail;
    l->next_ckpt = mono + cfg->checkpoint_interval;
    *out = l;
    return 0;
fail:
    live_close(l, -1);
    return -1;
}

void
live_sample(struct live *l, const struct sample *s)
{
    const struct rw_config *cfg = l->cfg;
    int64_t t = rw_etime_at(&l->et, s->mono);
    size_t p;

    if (s->device >= cfg->ndevices ||
        s->point >= cfg->profiles[cfg->devices[s->device].profile].npoints)
        return;
    p = indset_point(l->is, s->device, s->point);
    if (l->inc != NULL)
        inc_sample(l->inc, s, t);
    if (feed(l, (uint32_t)p, t, s->value, s->quality == RW_Q_GOOD) < 0 && l->refused++ == 0)
        log_warn("indicators: a sample came later than %d s after it was taken and was left "
                 "out (its time reads as unknown)",
                 ADVANCE_LAG_MS / 1000);
}

/*
 * One sample of engine point p at engine time t, into the period it belongs to: the period
 * rolls over first if t is past its end, and a sample from before the ended period's end
 * counts there too, and holds into this one. 0, or -1 if the current engine refused it (too
 * old: it came later than ADVANCE_LAG_MS).
 */
static int
feed(struct live *l, uint32_t p, int64_t t, double v, int valid)
{
    if (t >= period_end(&l->per))
        roll(l, t);
    if (l->prev != NULL && t < period_end(&l->prev_per))
        (void)eng_sample(l->prev, p, t, v, valid);
    return eng_sample(l->eng, p, t, v, valid) == ENG_OK ? 0 : -1;
}

/* The delivery indicators' devices and deadlines; the publisher's outcomes come to us. */
static int
delivery_open(struct live *l)
{
    const struct rw_config *cfg = l->cfg;

    if (!cfg_has_delivery(cfg))
        return 0;
    if ((l->keep = calloc(cfg->ndevices + 1, sizeof(*l->keep))) == NULL)
        return -1;
    for (size_t i = 0; i < cfg->nindicators; i++) {
        const struct cfg_indicator *in = &cfg->indicators[i];

        if (in->kind != CFG_IND_DELIVERY)
            continue;
        /* A report is judged by each indicator against its own deadline; it is tracked
         * until the longest, after which it is late for all of them. */
        for (size_t k = 0; k < in->npoints; k++)
            if (in->deadline > l->keep[in->points[k].device])
                l->keep[in->points[k].device] = in->deadline;
    }
    pub_set_outcome_hook(l->pub, on_outcome, l);
    return 0;
}

int
live_publish_telemetry(struct live *l, size_t dev, const char *subtopic, const char *payload,
                       double mono)
{
    int qos = l->cfg->mqtt.qos;

    if (l->keep == NULL || dev >= l->cfg->ndevices || l->keep[dev] <= 0)
        return pub_publish(l->pub, subtopic, payload, qos, 0);
    if (pub_publish_tracked(l->pub, subtopic, payload, qos, 0, dev, l->keep[dev]) == 0)
        return 0;
    feed_report(l, dev, NAN, mono); /* refused: due now, and late */
    return -1;
}

/* pub's hook: the tag is the device. */
static void
on_outcome(void *ctx, uint64_t dev, double latency_s, double mono)
{
    feed_report(ctx, (size_t)dev, latency_s, mono);
}

static void
feed_report(struct live *l, size_t dev, double latency_s, double mono)
{
    int delivered = !isnan(latency_s);
    double v = delivered ? (double)llround(latency_s * 1000.0) / 1000.0 : 0.0;
    uint32_t p;
    int64_t t;

    if (dev >= l->cfg->ndevices)
        return;
    p = indset_delivery_point(l->is, dev);
    /* A refusal is stamped with the caller's time, which may precede an outcome pub handed
     * over during the same publish (the oldest report given up): keep the point in order. */
    t = rw_etime_at(&l->et, mono);
    if (t < eng_point_last(l->eng, p))
        t = eng_point_last(l->eng, p);
    if (feed(l, p, t, v, delivered) < 0 && l->refused++ == 0)
        log_warn("indicators: a report's outcome came later than %d s after it was known and "
                 "was left out",
                 ADVANCE_LAG_MS / 1000);
}

/* FNV-1a over n bytes, continuing from h. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The value, the judgement and each item's id, state and times, but not the durations
 * (open incidents age every second). */
static uint64_t
inc_signature(const struct ist_result *r, const struct rpt_judgement *j)
{
    uint64_t h = 14695981039346656037ULL;
    double v = isnan(r->value) ? NAN : r->value; /* one NaN */
    int st = (int)j->status;

    h = fnv(h, &v, sizeof(v));
    h = fnv(h, &j->met, sizeof(j->met));
    h = fnv(h, &st, sizeof(st));
    h = fnv(h, &r->nitems, sizeof(r->nitems));
    for (size_t i = 0; i < r->nitems; i++) {
        const struct ist_item *it = &r->items[i];
        int64_t f[4] = {it->id, it->is_event, it->acked, it->resolved};
        int s = (int)it->state;

        h = fnv(h, f, sizeof(f));
        h = fnv(h, &s, sizeof(s));
    }
    return h;
}

/*
 * Publishes indicator in's document doc (taken; NULL is an allocation failure) retained on
 * <prefix>/indicator/<id>. Standing alone, a retained document says which period it is of
 * and as of when (DESIGN.md, "MQTT"): after a rollover both periods' values may be about.
 * 0, or -1 if the document could not be made (a refused message is counted by pub, which
 * logs the state change, and is not retried here).
 */
static int
publish_doc(struct live *l, const struct cfg_indicator *in, json_t *doc,
            const struct rpt_period *per, int64_t asof)
{
    char topic[CFG_ID_MAX + 16], when[RW_CAL_TIME_LEN];
    char *txt;

    if (doc == NULL)
        return -1;
    json_object_set_new(doc, "period", rpt_period_json(per));
    json_object_set_new(doc, "as_of", json_string(rw_calendar_rfc3339(l->cfg->site.timezone,
                                                                      asof, when, sizeof(when))));
    txt = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(doc);
    if (txt == NULL)
        return -1;
    snprintf(topic, sizeof(topic), "indicator/%s", in->id);
    (void)pub_publish(l->pub, topic, txt, l->cfg->mqtt.qos, 1);
    free(txt);
    return 0;
}

/*
 * The incident indicators from the store's record as of now, published when what they say
 * changed, or PUBLISH_MAX_S after the last time; all of them with force. A store that
 * cannot be read is logged once per episode and the last documents stand (retained).
 */
static void
publish_inc(struct live *l, double mono, int64_t now, int force)
{
    struct rpt_period per = {l->cfg->site.timezone, l->per.ndays, l->per.day_start};
    size_t i, n = l->cfg->ninc_indicators;

    if (n == 0)
        return;
    for (i = 0; i < n; i++)
        ist_result_clear(&l->ires[i]);
    if (incind_compute(l->cfg, l->store, l->per.day_start[0], period_end(&l->per), now,
                       l->ires) < 0) {
        if (!l->inc_failing)
            log_err("indicators: cannot read the incidents and events for the incident "
                    "indicators: %s; their last values stand, retrying every second",
                    errno == EIO ? store_errmsg(l->store) : strerror(errno));
        l->inc_failing = 1;
        return;
    }
    if (l->inc_failing)
        log_notice("indicators: the incident indicators are computed again");
    l->inc_failing = 0;
    for (i = 0; i < n; i++) {
        const struct cfg_indicator *in = &l->cfg->inc_indicators[i];
        struct incstate *st = &l->is_inc[i];
        struct rpt_judgement j;
        uint64_t sig;

        rpt_inc_judge(in, &l->ires[i], &per, now, &j);
        sig = inc_signature(&l->ires[i], &j);
        if (!force && st->at != 0 && mono - st->at < PUBLISH_MAX_S && sig == st->sig)
            continue;
        if (publish_doc(l, in, rpt_inc_indicator(in, &l->ires[i], &per, now), &per, now) < 0)
            continue;
        st->at = mono;
        st->sig = sig;
    }
}

/* Publishes the indicators that changed or were last published PUBLISH_MAX_S ago; all of
 * them with force. */
static void
publish(struct live *l, double mono, int force)
{
    struct rpt_period per = {l->cfg->site.timezone, l->per.ndays, l->per.day_start};
    int64_t newest, asof;
    size_t i;

    /* The values are as of where the engine has accounted time (behind the clock by the
     * queue's lag), which is also the "now" rpt_judge() judges at. */
    eng_position(l->eng, &newest, &asof);
    if (asof == INT64_MIN)
        asof = rw_etime_at(&l->et, mono);
    for (i = 0; i < l->cfg->nindicators; i++) {
        const struct cfg_indicator *in = &l->cfg->indicators[i];
        const struct eng_result *r = eng_result(l->eng, i);
        struct pubstate *ps = &l->ps[i];
        struct rpt_judgement j;

        rpt_judge(in, l->eng, i, r, &per, &j);
        if (!force && ps->at != 0 && mono - ps->at < PUBLISH_MAX_S && j.status == ps->status &&
            j.met == ps->met && (r->value == ps->value || (isnan(r->value) && isnan(ps->value))))
            continue;
        if (publish_doc(l, in, rpt_indicator(l->cfg, in, r, &j, &per), &per, asof) < 0)
            continue;
        ps->at = mono;
        ps->value = r->value;
        ps->met = j.met;
        ps->status = j.status;
    }
    publish_inc(l, mono, rw_etime_at(&l->et, mono), force);
}

void
live_tick(struct live *l, double mono)
{
    int64_t now = rw_etime_at(&l->et, mono);

    if (now >= period_end(&l->per))
        roll(l, now);
    if (l->prev != NULL && now - ADVANCE_LAG_MS >= period_end(&l->prev_per))
        finish_prev(l, now);
    eng_advance(l->eng, now - ADVANCE_LAG_MS);
    if (mono >= l->next_ckpt) {
        l->next_ckpt = mono + l->cfg->checkpoint_interval;
        if (checkpoint(l, now) < 0) {
            if (!l->ckpt_failing)
                log_err("store: checkpoint failed: %s; retrying every %.0f s",
                        errno == EIO ? store_errmsg(l->store) : strerror(errno),
                        l->cfg->checkpoint_interval);
            l->ckpt_failing = 1;
        } else if (l->ckpt_failing) {
            log_notice("store: checkpoints written again");
            l->ckpt_failing = 0;
        }
    }
    if (mono >= l->next_pub) {
        l->next_pub = mono + 1.0;
        publish(l, mono, 0);
        if (l->inc != NULL)
            inc_tick(l->inc);
    }
}

struct store *
live_store(struct live *l)
{
    return l->store;
}

void
live_close(struct live *l, double mono)
{
    if (l == NULL)
        return;
    if (l->eng != NULL && l->store != NULL && mono >= 0) {
        int64_t now = rw_etime_at(&l->et, mono);

        /* The samples drained before this are in; account up to now and stop cleanly. */
        if (l->prev != NULL)
            finish_prev(l, now);
        eng_advance(l->eng, now);
        if (checkpoint(l, now) < 0 || store_run_end(l->store, now) < 0)
            log_err("store: final checkpoint failed: %s; the time since the last one will "
                    "read as unknown",
                    store_errmsg(l->store));
        /* The retained documents end as the store does: what `roomwatch status` shows. */
        publish(l, mono, 1);
    }
    if (l->keep != NULL)
        pub_set_outcome_hook(l->pub, NULL, NULL); /* reports still in flight count neither way */
    inc_free(l->inc);
    store_close(l->store);
    eng_free(l->prev);
    eng_free(l->eng);
    indset_free(l->is);
    free(l->ps);
    if (l->ires != NULL)
        for (size_t i = 0; i < l->cfg->ninc_indicators; i++)
            ist_result_clear(&l->ires[i]);
    free(l->ires);
    free(l->is_inc);
    free(l->keep);
    free(l);
}
