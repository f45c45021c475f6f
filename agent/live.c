/*
 * live.c - the daemon's indicators (see live.h).
 *
 * Engine points are every point of every device, device by device in config order; the
 * indicator configs are built from cfg as `roomwatch replay` builds them.
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
#include "incident.h"
#include "pub/pub.h"
#include "report/rpt_json.h"
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

struct live {
    const struct rw_config *cfg;
    struct pub *pub;
    struct store *store;
    struct eng *eng;
    struct rw_etime et;
    uint64_t fingerprint;
    size_t *dev_first; /* engine index of each device's first point */
    size_t agent_first; /* with a delivery indicator: agent.delivery.<device i> is + i */
    size_t npoints;
    int ndays;
    int64_t day_start[RW_CAL_MAX_DAYS + 1];
    double next_ckpt;   /* mono, s */
    double next_pub;    /* mono, s: publishing is looked at once a second */
    int64_t last_ckpt;  /* engine time of the last checkpoint's advance, INT64_MIN: none */
    int ckpt_failing;   /* logged once per episode */
    uint64_t refused;   /* samples the engine refused (out of order) */
    struct pubstate *ps;
    double *keep; /* per device: s a report is tracked (0: no delivery indicator counts it) */
    struct inc *inc; /* the incidents; NULL without alarm rules */
};

static void on_outcome(void *ctx, uint64_t dev, double latency_s, double mono);
static void feed_report(struct live *l, size_t dev, double latency_s, double mono);
static int delivery_open(struct live *l);


/* Builds the engine for the period containing engine time now. */
static int
build(struct live *l, int64_t now, char *err, size_t errlen)
{
    const struct rw_config *cfg = l->cfg;
    struct eng_point_cfg *pc = NULL;
    struct eng_ind_cfg *ic = NULL;
    uint32_t *refs = NULL;
    struct eng_period per;
    size_t i, k, n = 0, nrefs = 0, r = 0;
    int month = 0, year, rc = -1;
    uint64_t h;

    l->dev_first = calloc(cfg->ndevices + 1, sizeof(*l->dev_first));
    for (i = 0; i < cfg->ndevices; i++) {
        l->dev_first[i] = n;
        n += cfg->profiles[cfg->devices[i].profile].npoints;
    }
    l->agent_first = n;
    if (cfg_has_delivery(cfg))
        n += cfg->ndevices;
    for (i = 0; i < cfg->nindicators; i++)
        nrefs += cfg->indicators[i].npoints;
    pc = calloc(n + 1, sizeof(*pc));
    ic = calloc(cfg->nindicators + 1, sizeof(*ic));
    refs = calloc(nrefs + 1, sizeof(*refs));
    if (l->dev_first == NULL || pc == NULL || ic == NULL || refs == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    l->npoints = n;
    for (i = 0; i < cfg->ndevices; i++)
        for (k = 0; k < cfg->profiles[cfg->devices[i].profile].npoints; k++)
            pc[l->dev_first[i] + k].stale_ms = llround(cfg->devices[i].stale * 1000.0);
    for (i = l->agent_first; i < n; i++)
        pc[i].stale_ms = llround(CFG_DELIVERY_STALE * 1000.0);
    for (i = 0; i < cfg->nindicators; i++) {
        const struct cfg_indicator *in = &cfg->indicators[i];
        struct eng_ind_cfg *c = &ic[i];

        cfg_indicator_engine(in, c);
        c->npoints = in->npoints;
        c->points = &refs[r];
        for (k = 0; k < in->npoints; k++)
            refs[r++] = (uint32_t)(in->points[k].point == CFG_POINT_DELIVERY
                                       ? l->agent_first + in->points[k].device
                                       : l->dev_first[in->points[k].device] +
                                             in->points[k].point);
    }
    year = rw_calendar_year_of(cfg->site.timezone, now, &month);
    if (cfg->site.period == CFG_PERIOD_YEAR)
        month = 0;
    l->ndays = rw_calendar_period(cfg->site.timezone, year, month, l->day_start);
    if (l->ndays < 1) {
        snprintf(err, errlen, "no calendar period for year %d", year);
        goto out;
    }
    per.ndays = l->ndays;
    per.day_start = l->day_start;
    if (eng_new(&per, n, pc, cfg->nindicators, ic, &l->eng, err, errlen) != ENG_OK)
        goto out;
    /* The engine's config, and which device and point each index stands for. */
    h = eng_fingerprint(n, pc, cfg->nindicators, ic);
    for (i = 0; i < cfg->ndevices; i++) {
        const struct cfg_profile *p = &cfg->profiles[cfg->devices[i].profile];
        for (const char *c = cfg->devices[i].id; *c != '\0'; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ull;
        for (k = 0; k < p->npoints; k++)
            for (const char *c = p->points[k].name; *c != '\0'; c++)
                h = (h ^ (unsigned char)*c) * 1099511628211ull;
    }
    l->fingerprint = h;
    rc = 0;
out:
    free(pc);
    free(ic);
    free(refs);
    return rc;
}

static int
checkpoint(struct live *l, int64_t now)
{
    struct store_day *days;
    size_t n = 0, i;
    void *blob;
    size_t len;
    int d, d0 = 0, rc;

    if (l->last_ckpt != INT64_MIN) {
        /* Only days the engine can have touched since the last checkpoint. */
        while (d0 + 1 < l->ndays && l->day_start[d0 + 1] <= l->last_ckpt - ADVANCE_LAG_MS)
            d0++;
    }
    days = calloc(l->cfg->nindicators * (size_t)(l->ndays - d0) + 1, sizeof(*days));
    if (days == NULL || eng_snapshot(l->eng, l->fingerprint, &blob, &len) != ENG_OK) {
        free(days);
        errno = ENOMEM;
        return -1;
    }
    for (i = 0; i < l->cfg->nindicators; i++) {
        for (d = d0; d < l->ndays && l->day_start[d] < now; d++) {
            struct store_day *sd = &days[n];
            eng_day(l->eng, i, d, &sd->good_ms, &sd->bad_ms, &sd->unknown_ms, &sd->na_ms);
            if (sd->good_ms + sd->bad_ms + sd->unknown_ms + sd->na_ms == 0)
                continue;
            sd->indicator = l->cfg->indicators[i].id;
            rw_calendar_date(l->cfg->site.timezone, l->day_start[d], sd->day, sizeof(sd->day));
            n++;
        }
    }
    rc = store_checkpoint(l->store, now, l->fingerprint, l->day_start[0], blob, len, days, n);
    free(blob);
    free(days);
    if (rc == 0)
        l->last_ckpt = now;
    return rc;
}

int
live_open(const struct rw_config *cfg, struct pub *pub, double wall, double mono,
          struct live **out, char *err, size_t errlen)
{
    struct live *l;
    struct store_run prev;
    void *blob = NULL;
    size_t len;
    int64_t now, floor = 0, newest, saved = 0;
    enum eng_status st;

    *out = NULL;
    if ((l = calloc(1, sizeof(*l))) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    l->cfg = cfg;
    l->pub = pub;
    l->last_ckpt = INT64_MIN;
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
    if (build(l, now, err, errlen) < 0)
        goto fail;
    l->ps = calloc(cfg->nindicators + 1, sizeof(*l->ps));
    if (l->ps == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (store_state_load(l->store, l->fingerprint, l->day_start[0], &blob, &len, &saved) == 0) {
        st = eng_restore(l->eng, l->fingerprint, blob, len);
        free(blob);
        if (st != ENG_OK) {
            snprintf(err, errlen, "store: the saved engine state is %s",
                     st == ENG_ERR_NOMEM ? "too large for memory" : "damaged");
            goto fail;
        }
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
        snprintf(err, errlen, "store: %s", store_errmsg(l->store));
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
    size_t p;
    int64_t t;

    if (s->device >= cfg->ndevices ||
        s->point >= cfg->profiles[cfg->devices[s->device].profile].npoints)
        return;
    p = l->dev_first[s->device] + s->point;
    t = rw_etime_at(&l->et, s->mono);
    if (l->inc != NULL)
        inc_sample(l->inc, s, t);
    if (eng_sample(l->eng, (uint32_t)p, t, s->value,
                   s->quality == RW_Q_GOOD) != ENG_OK) {
        if (l->refused++ == 0)
            log_warn("indicators: a sample came later than %d s after it was taken and was "
                     "left out (its time reads as unknown)",
                     ADVANCE_LAG_MS / 1000);
    }
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
    uint32_t p = (uint32_t)(l->agent_first + dev);
    int64_t t;

    if (dev >= l->cfg->ndevices)
        return;
    /* A refusal is stamped with the caller's time, which may precede an outcome pub handed
     * over during the same publish (the oldest report given up): keep the point in order. */
    t = rw_etime_at(&l->et, mono);
    if (t < eng_point_last(l->eng, p))
        t = eng_point_last(l->eng, p);
    if (eng_sample(l->eng, p, t, v, delivered) != ENG_OK) {
        if (l->refused++ == 0)
            log_warn("indicators: a report's outcome came later than %d s after it was known "
                     "and was left out",
                     ADVANCE_LAG_MS / 1000);
    }
}

static void
publish(struct live *l, double mono)
{
    struct rpt_period per = {l->cfg->site.timezone, l->ndays, l->day_start};
    size_t i;

    for (i = 0; i < l->cfg->nindicators; i++) {
        const struct cfg_indicator *in = &l->cfg->indicators[i];
        const struct eng_result *r = eng_result(l->eng, i);
        struct pubstate *ps = &l->ps[i];
        char topic[CFG_ID_MAX + 16];
        struct rpt_judgement j;
        json_t *doc;
        char *txt;

        rpt_judge(in, l->eng, i, r, &per, &j);
        if (ps->at != 0 && mono - ps->at < PUBLISH_MAX_S && j.status == ps->status &&
            j.met == ps->met && (r->value == ps->value || (isnan(r->value) && isnan(ps->value))))
            continue;
        doc = rpt_indicator(l->cfg, in, r, &j, &per);
        txt = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
        json_decref(doc);
        if (txt == NULL)
            continue;
        snprintf(topic, sizeof(topic), "indicator/%s", in->id);
        /* A refused message is counted by pub, which logs the state change. */
        (void)pub_publish(l->pub, topic, txt, l->cfg->mqtt.qos, 1);
        free(txt);
        ps->at = mono;
        ps->value = r->value;
        ps->met = j.met;
        ps->status = j.status;
    }
}

void
live_tick(struct live *l, double mono)
{
    int64_t now = rw_etime_at(&l->et, mono);

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
        publish(l, mono);
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
        eng_advance(l->eng, now);
        if (checkpoint(l, now) < 0 || store_run_end(l->store, now) < 0)
            log_err("store: final checkpoint failed: %s; the time since the last one will "
                    "read as unknown",
                    store_errmsg(l->store));
    }
    if (l->keep != NULL)
        pub_set_outcome_hook(l->pub, NULL, NULL); /* reports still in flight count neither way */
    inc_free(l->inc);
    store_close(l->store);
    eng_free(l->eng);
    free(l->dev_first);
    free(l->ps);
    free(l->keep);
    free(l);
}
