/*
 * indset.c - the config's indicators set up on the engine (see indset.h).
 */
#include "core/indset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "engine/fnv.h"
#include "store/store.h"

static uint64_t
hash_str(uint64_t h, const char *s)
{
    return fnv1a(h, s, strlen(s)); /* as eng_fingerprint() */
}

int
indset_new(const struct rw_config *cfg, struct indset **out)
{
    struct indset *is;
    size_t i, k, n = 0, nrefs = 0, r = 0;

    *out = NULL;
    if ((is = calloc(1, sizeof(*is))) == NULL)
        return -1;
    is->cfg = cfg;
    is->dev_first = calloc(cfg->ndevices + 1, sizeof(*is->dev_first));
    if (is->dev_first == NULL)
        goto nomem;
    for (i = 0; i < cfg->ndevices; i++) {
        is->dev_first[i] = n;
        n += cfg->profiles[cfg->devices[i].profile].npoints;
    }
    is->dev_first[cfg->ndevices] = n;
    is->agent_first = n;
    if (cfg_has_delivery(cfg))
        n += cfg->ndevices;
    for (i = 0; i < cfg->nindicators; i++)
        nrefs += cfg->indicators[i].npoints;
    is->npoints = n;
    is->points = calloc(n + 1, sizeof(*is->points));
    is->inds = calloc(cfg->nindicators + 1, sizeof(*is->inds));
    is->refs = calloc(nrefs + 1, sizeof(*is->refs));
    if (is->points == NULL || is->inds == NULL || is->refs == NULL)
        goto nomem;
    for (i = 0; i < cfg->ndevices; i++)
        for (k = 0; k < cfg->profiles[cfg->devices[i].profile].npoints; k++)
            is->points[is->dev_first[i] + k].stale_ms = llround(cfg->devices[i].stale * 1000.0);
    for (i = is->agent_first; i < n; i++)
        is->points[i].stale_ms = llround(CFG_DELIVERY_STALE * 1000.0);
    for (i = 0; i < cfg->nindicators; i++) {
        const struct cfg_indicator *in = &cfg->indicators[i];
        struct eng_ind_cfg *c = &is->inds[i];

        cfg_indicator_engine(in, c);
        c->npoints = in->npoints;
        c->points = &is->refs[r];
        for (k = 0; k < in->npoints; k++)
            is->refs[r++] = in->points[k].point == CFG_POINT_DELIVERY
                                ? indset_delivery_point(is, in->points[k].device)
                                : indset_point(is, in->points[k].device, in->points[k].point);
    }
    /* The engine's config, and which device and point each index stands for. */
    is->fingerprint = eng_fingerprint(n, is->points, cfg->nindicators, is->inds);
    for (i = 0; i < cfg->ndevices; i++) {
        const struct cfg_profile *p = &cfg->profiles[cfg->devices[i].profile];

        is->fingerprint = hash_str(is->fingerprint, cfg->devices[i].id);
        for (k = 0; k < p->npoints; k++)
            is->fingerprint = hash_str(is->fingerprint, p->points[k].name);
    }
    *out = is;
    return 0;
nomem:
    indset_free(is);
    errno = ENOMEM;
    return -1;
}

void
indset_free(struct indset *is)
{
    if (is == NULL)
        return;
    free(is->dev_first);
    free(is->points);
    free(is->inds);
    free(is->refs);
    free(is);
}

uint32_t
indset_point(const struct indset *is, size_t device, size_t point)
{
    return (uint32_t)(is->dev_first[device] + point);
}

uint32_t
indset_delivery_point(const struct indset *is, size_t device)
{
    return (uint32_t)(is->agent_first + device);
}

int
indset_period_of(const struct rw_config *cfg, int year, int month, struct indset_period *p)
{
    if (cfg->site.period == CFG_PERIOD_YEAR)
        month = 0;
    else if (month < 1 || month > 12) {
        errno = EDOM;
        return -1;
    }
    p->year = year;
    p->month = month;
    p->ndays = rw_calendar_period(cfg->site.timezone, year, month, p->day_start);
    if (p->ndays < 1) {
        errno = EDOM;
        return -1;
    }
    return 0;
}

int
indset_period_at(const struct rw_config *cfg, int64_t t, struct indset_period *p)
{
    int month = 0;
    int year = rw_calendar_year_of(cfg->site.timezone, t, &month);

    return indset_period_of(cfg, year, month, p);
}

int
indset_period_next(const struct rw_config *cfg, const struct indset_period *p,
                   struct indset_period *next)
{
    if (p->month == 0 || p->month == 12)
        return indset_period_of(cfg, p->year + 1, p->month == 0 ? 0 : 1, next);
    return indset_period_of(cfg, p->year, p->month + 1, next);
}

void
indset_period_name(const struct indset_period *p, char *buf, size_t len)
{
    if (p->month == 0)
        snprintf(buf, len, "%d", p->year);
    else
        snprintf(buf, len, "%d-%02d", p->year, p->month);
}

int
indset_engine(const struct indset *is, const struct indset_period *p, struct eng **out, char *err,
              size_t errlen)
{
    struct eng_period per = {p->ndays, p->day_start};

    switch (
        eng_new(&per, is->npoints, is->points, is->cfg->nindicators, is->inds, out, err, errlen)) {
    case ENG_OK:
        return 0;
    case ENG_ERR_NOMEM:
        errno = ENOMEM;
        return -1;
    default:
        errno = EINVAL;
        return -1;
    }
}

/*
 * A state's blob is the engine's image alone (as written before the core kept its detector
 * beside it), or CORE_MAGIC, the engine image's length (uint32), the image, and the core's
 * own bytes after it. The engine's image begins with its own magic, never this one.
 */
#define STATE_MAGIC 0x52574331u /* "RWC1" */

static int
split_blob(const void *blob, size_t len, const void **eng, size_t *englen, const void **aux,
           size_t *auxlen)
{
    uint32_t hdr[2];

    *eng = blob;
    *englen = len;
    *aux = NULL;
    *auxlen = 0;
    if (len < sizeof(hdr))
        return 0;
    memcpy(hdr, blob, sizeof(hdr));
    if (hdr[0] != STATE_MAGIC)
        return 0;
    if (hdr[1] > len - sizeof(hdr))
        return -1;
    *eng = (const char *)blob + sizeof(hdr);
    *englen = hdr[1];
    *aux = (const char *)*eng + hdr[1];
    *auxlen = len - sizeof(hdr) - hdr[1];
    return 0;
}

/* The day rows straight into the engine's form (store_day_sink). */
struct acc_sink {
    struct eng_day_acc *acc;
    size_t n;
};

static int
acc_start(void *arg, size_t n)
{
    struct acc_sink *a = arg;

    a->n = n;
    a->acc = calloc(n + 1, sizeof(*a->acc));
    return a->acc == NULL ? -1 : 0;
}

static void
acc_row(void *arg, size_t i, const struct store_day *d)
{
    struct eng_day_acc *r = &((struct acc_sink *)arg)->acc[i];

    r->ind = d->ind;
    r->day = d->dayno;
    r->good = d->good_ms;
    r->bad = d->bad_ms;
    r->unknown = d->unknown_ms;
    r->na = d->na_ms;
}

int
indset_load(const struct indset *is, const struct indset_period *p, struct store *st, struct eng *e,
            int64_t *saved_at, void **aux, size_t *auxlen)
{
    const void *eimg, *aimg;
    size_t elen, alen;
    struct acc_sink a = {0};
    struct store_day_sink sink = {.start = acc_start, .row = acc_row, .arg = &a};
    void *blob;
    size_t len;
    enum eng_status rc;

    if (aux != NULL) {
        *aux = NULL;
        *auxlen = 0;
    }
    if (store_state_load(st, is->fingerprint, p->day_start[0], &blob, &len, saved_at, &sink) < 0) {
        free(a.acc);
        return -1;
    }
    if (split_blob(blob, len, &eimg, &elen, &aimg, &alen) < 0)
        rc = ENG_ERR_INVALID;
    else
        rc = eng_restore(e, is->fingerprint, eimg, elen, a.acc, a.n);
    if (rc == ENG_OK && aux != NULL && alen > 0) {
        if ((*aux = malloc(alen)) == NULL)
            rc = ENG_ERR_NOMEM;
        else {
            memcpy(*aux, aimg, alen);
            *auxlen = alen;
        }
    }
    free(a.acc);
    free(blob);
    if (rc != ENG_OK) {
        errno = rc == ENG_ERR_NOMEM ? ENOMEM : EINVAL;
        return -1;
    }
    return 0;
}

void
indset_view_at(const struct indset_period *p, struct eng *e, int64_t saved, int64_t now,
               int64_t *as_of, int *final)
{
    int64_t end = p->day_start[p->ndays];

    *final = now >= end;
    if (*final)
        eng_finish(e, end); /* idempotent: a state the rollover finished stays as it is */
    *as_of = *final ? end : saved;
}

int64_t
indset_as_of(const struct indset_period *p, int64_t now)
{
    return now < p->day_start[p->ndays] ? now : p->day_start[p->ndays];
}

int
indset_save(const struct indset *is, const struct indset_period *p, struct store *st, struct eng *e,
            int64_t now, const void *aux, size_t auxlen)
{
    const struct rw_config *cfg = is->cfg;
    struct store_day *days;
    size_t n = 0, i;
    void *blob;
    size_t len;
    int d, first = 0, last = -1, rc;

    /* Only the days whose accumulators changed since the last save; the store keeps the
     * others. */
    (void)eng_days_changed(e, &first, &last);
    days = calloc(cfg->nindicators * (size_t)(last - first + 1) + 1, sizeof(*days));
    if (days == NULL || eng_snapshot(e, is->fingerprint, &blob, &len) != ENG_OK) {
        free(days);
        errno = ENOMEM;
        return -1;
    }
    for (i = 0; i < cfg->nindicators; i++) {
        for (d = first; d <= last; d++) {
            struct store_day *sd = &days[n++];

            eng_day(e, i, d, &sd->good_ms, &sd->bad_ms, &sd->unknown_ms, &sd->na_ms);
            sd->indicator = cfg->indicators[i].id;
            sd->ind = i;
            sd->dayno = d;
            /* A day's date once, not once per indicator: the first save of a period writes
             * every day so far, and each date is a localtime_r(). */
            if (i == 0)
                rw_calendar_date(cfg->site.timezone, p->day_start[d], sd->day, sizeof(sd->day));
            else
                memcpy(sd->day, days[d - first].day, sizeof(sd->day));
        }
    }
    if (aux != NULL && auxlen > 0) {
        /* The engine's image, then the caller's bytes (split_blob()). */
        uint32_t hdr[2] = {STATE_MAGIC, (uint32_t)len};
        char *both = len <= UINT32_MAX ? malloc(sizeof(hdr) + len + auxlen) : NULL;

        if (both == NULL) {
            free(blob);
            free(days);
            errno = ENOMEM;
            return -1;
        }
        memcpy(both, hdr, sizeof(hdr));
        memcpy(both + sizeof(hdr), blob, len);
        memcpy(both + sizeof(hdr) + len, aux, auxlen);
        free(blob);
        blob = both;
        len += sizeof(hdr) + auxlen;
    }
    rc = store_checkpoint(st, now, is->fingerprint, p->day_start[0], blob, len, days, n);
    free(blob);
    free(days);
    if (rc == 0)
        eng_days_mark(e);
    return rc;
}
