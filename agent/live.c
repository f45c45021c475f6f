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
    size_t npoints;
    int ndays;
    int64_t day_start[RW_CAL_MAX_DAYS + 1];
    double next_ckpt;   /* mono, s */
    double next_pub;    /* mono, s: publishing is looked at once a second */
    int ckpt_failing;   /* logged once per episode */
    uint64_t refused;   /* samples the engine refused (out of order) */
    struct pubstate *ps;
};


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
    for (i = 0; i < cfg->nindicators; i++) {
        const struct cfg_indicator *in = &cfg->indicators[i];
        struct eng_ind_cfg *c = &ic[i];

        cfg_indicator_engine(in, c);
        c->npoints = in->npoints;
        c->points = &refs[r];
        for (k = 0; k < in->npoints; k++)
            refs[r++] = (uint32_t)(l->dev_first[in->points[k].device] + in->points[k].point);
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

/* eng_restore() with the store's day rows. */
static enum eng_status
restore(struct eng *e, uint64_t fingerprint, const void *blob, size_t len,
        const struct store_day *days, size_t ndays)
{
    struct eng_day_acc *acc = calloc(ndays + 1, sizeof(*acc));
    enum eng_status st;
    size_t i;

    if (acc == NULL)
        return ENG_ERR_NOMEM;
    for (i = 0; i < ndays; i++) {
        acc[i].ind = days[i].ind;
        acc[i].day = days[i].dayno;
        acc[i].good = days[i].good_ms;
        acc[i].bad = days[i].bad_ms;
        acc[i].unknown = days[i].unknown_ms;
        acc[i].na = days[i].na_ms;
    }
    st = eng_restore(e, fingerprint, blob, len, acc, ndays);
    free(acc);
    return st;
}

static int
checkpoint(struct live *l, int64_t now)
{
    struct store_day *days = NULL;
    size_t n = 0, i;
    void *blob;
    size_t len;
    int d, first = 0, last = -1, rc;

    /* Only the days whose accumulators changed since the last checkpoint; the store keeps
     * the others. */
    (void)eng_days_changed(l->eng, &first, &last);
    days = calloc(l->cfg->nindicators * (size_t)(last - first + 1) + 1, sizeof(*days));
    if (days == NULL || eng_snapshot(l->eng, l->fingerprint, &blob, &len) != ENG_OK) {
        free(days);
        errno = ENOMEM;
        return -1;
    }
    for (i = 0; i < l->cfg->nindicators; i++) {
        for (d = first; d <= last; d++) {
            struct store_day *sd = &days[n++];
            eng_day(l->eng, i, d, &sd->good_ms, &sd->bad_ms, &sd->unknown_ms, &sd->na_ms);
            sd->indicator = l->cfg->indicators[i].id;
            sd->ind = i;
            sd->dayno = d;
            rw_calendar_date(l->cfg->site.timezone, l->day_start[d], sd->day, sizeof(sd->day));
        }
    }
    rc = store_checkpoint(l->store, now, l->fingerprint, l->day_start[0], blob, len, days, n);
    free(blob);
    free(days);
    if (rc == 0)
        eng_days_mark(l->eng);
    return rc;
}

int
live_open(const struct rw_config *cfg, struct pub *pub, double wall, double mono,
          struct live **out, char *err, size_t errlen)
{
    struct live *l;
    struct store_run prev;
    void *blob = NULL;
    struct store_day *days = NULL;
    size_t len, ndays = 0;
    int64_t now, floor = 0, newest, saved = 0;
    enum eng_status st;

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
    if (build(l, now, err, errlen) < 0)
        goto fail;
    l->ps = calloc(cfg->nindicators + 1, sizeof(*l->ps));
    if (l->ps == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (store_state_load(l->store, l->fingerprint, l->day_start[0], &blob, &len, &saved, &days,
                         &ndays) == 0) {
        st = restore(l->eng, l->fingerprint, blob, len, days, ndays);
        free(blob);
        free(days);
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

    if (s->device >= cfg->ndevices ||
        s->point >= cfg->profiles[cfg->devices[s->device].profile].npoints)
        return;
    p = l->dev_first[s->device] + s->point;
    if (eng_sample(l->eng, (uint32_t)p, rw_etime_at(&l->et, s->mono), s->value,
                   s->quality == RW_Q_GOOD) != ENG_OK) {
        if (l->refused++ == 0)
            log_warn("indicators: a sample came later than %d s after it was taken and was "
                     "left out (its time reads as unknown)",
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
        enum rpt_status st;
        int met;
        json_t *doc;
        char *txt;

        st = rpt_judge(in, r, &per, &met);
        if (ps->at != 0 && mono - ps->at < PUBLISH_MAX_S && st == ps->status &&
            met == ps->met && (r->value == ps->value || (isnan(r->value) && isnan(ps->value))))
            continue;
        doc = rpt_indicator(l->cfg, in, r, &per);
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
        ps->met = met;
        ps->status = st;
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
    }
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
    store_close(l->store);
    eng_free(l->eng);
    free(l->dev_first);
    free(l->ps);
    free(l);
}
