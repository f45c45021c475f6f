/*
 * eng.c - the indicator engine (see eng.h for the model).
 *
 * The pipeline, per point and indicator:
 *
 *   samples --hold--> raw segments [a, b) of {value v, bad, unknown}, contiguous from the
 *   period's start (every millisecond of the period lands in exactly one segment)
 *     --classify (per indicator and point)--> classified segments {good, bad, unknown,
 *       not assessed}: band windows averaged and judged, supply condition, up/down, monitored
 *     --combine (band "any", duty over several points)--> one classified stream
 *       --accumulate--> per-day milliseconds per class, interruption runs
 *
 * Results are computed from the accumulators on demand. Because raw segments are contiguous,
 * classified streams are contiguous too, and combining several points only needs each point's
 * queue of classified segments up to the slowest point (eng_advance() bounds that).
 */
#include "engine/eng.h"
#include "engine/fnv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Raw states of a held timeline. */
enum raw {
    RAW_UNKNOWN = 0,
    RAW_VALUE,
    RAW_BAD,
};

/* Classes of classified time; the meaning of good/bad depends on the kind (in/out, supplied/
 * interrupted, up/down, monitored/-). */
enum cls {
    CLS_UNKNOWN = 0,
    CLS_GOOD,
    CLS_BAD,
    CLS_NA, /* band: outside the assessment band */
    NCLS,
};

struct seg {
    int64_t a, b;
    int cls;
};

/* A growable FIFO of classified segments (only for points combined with others). */
struct segq {
    struct seg *v;
    size_t head, n, cap;
};

/* One point as an indicator sees it. */
struct slot {
    size_t ind;
    size_t k; /* index of the point within the indicator */
    /* band window being filled */
    int64_t ws, we;
    double sum;        /* integral of value over the known part, value x ms */
    int64_t known;     /* ms */
    struct segq q;     /* classified segments waiting for the other points */
    int64_t acc[NCLS]; /* per-point totals, for band evidence */
    double lowest, highest;
    int dhint; /* day of the last window start: day_at()'s first guess */
};

struct point {
    int64_t stale;
    int has;   /* a sample has been seen */
    int64_t t; /* last sample */
    int valid;
    double v;
    int64_t done; /* the raw timeline is emitted up to here */
    size_t nslots;
    size_t *slots; /* indices into eng.slots */
};

struct ind {
    struct eng_ind_cfg cfg;
    uint32_t *points;
    size_t first_slot;    /* the indicator's slots are first_slot .. first_slot + npoints */
    int combine;          /* several points reduced to one stream (band any, duty) */
    int64_t (*acc)[NCLS]; /* per day */
    int64_t tot[NCLS];    /* acc summed over the days, kept as acc grows: eng_result() is
                             asked every minute (alerts) and must not add up a year each time */
    int64_t cursor;       /* combined stream emitted up to here */
    size_t nempty;        /* combine: slots whose queue is empty (nothing to combine while > 0) */
    int dhint;            /* day of the last accumulated time: day_at()'s first guess */
    /* supply interruptions */
    int in_run;
    int64_t run_start, run_end;
    uint64_t nruns;
    int64_t run_total, run_longest;
    struct eng_interruption *list; /* grown as interruptions come, up to ENG_MAX_LIST */
    size_t nlist, list_cap;
    /* energy */
    int have_reading;
    double last_reading, kwh;
    uint64_t resets;
    /* delivery: latencies of the acknowledged reports, s (the counts are in acc) */
    uint64_t lat_n;
    double lat_sum, lat_min, lat_max;
    /* result scratch */
    struct eng_result res;
    struct eng_band_ev *per_point;
    int *lost, *unverified;
    /* supply_days, duty_days: lost and unverified as eng_result() last listed them (res_nlost
     * and res_nunv entries), valid for the days before res_from (no day since accumulated
     * there) and, for duty, before res_upto (judged). Kept, since eng_result() is asked every
     * minute (alerts) and must not go through a year's days each time. */
    int res_from, res_upto;
    size_t res_nlost, res_nunv;
};

struct eng {
    int ndays;
    int64_t *day; /* ndays + 1 */
    int64_t start, end;
    size_t npoints;
    struct point *points;
    size_t nind;
    struct ind *inds;
    size_t nslots;
    struct slot *slots;
    int64_t advanced; /* the last eng_advance(), INT64_MIN before the first */
    int64_t newest;   /* the newest sample of any point, INT64_MIN before the first */
    int dlo, dhi;     /* days accumulated since eng_days_mark(); dlo > dhi: none */
    int dtop;         /* no day after it has ever accumulated anything (-1: none has) */
    uint64_t past;    /* eng_past_changes() */
};

static void emit_raw(struct eng *e, struct point *pt, int64_t a, int64_t b, int raw, double v);
static void snap_scratch_free(const struct eng *e, struct eng *t);
static void count_report(struct eng *e, struct ind *in, int64_t t, double latency, int delivered);

const char *
eng_kind_name(enum eng_kind k)
{
    switch (k) {
    case ENG_BAND:
        return "band";
    case ENG_SUPPLY_DAYS:
        return "supply_days";
    case ENG_AVAILABILITY:
        return "availability";
    case ENG_DOWNTIME:
        return "downtime";
    case ENG_FAULT_RATE:
        return "fault_rate";
    case ENG_DUTY_DAYS:
        return "duty_days";
    case ENG_ENERGY:
        return "energy";
    case ENG_DELIVERY:
        return "delivery";
    }
    return "?";
}

static int
day_of(const struct eng *e, int64_t t)
{
    int lo = 0, hi = e->ndays - 1;

    /* Largest d with day[d] <= t; t is inside the period. */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (e->day[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/*
 * day_of() with a guess: time moves forward, so the day is nearly always the guessed one or
 * the next; the binary search is only for jumps.
 */
static int
day_at(const struct eng *e, int *hint, int64_t t)
{
    int d = *hint;

    if (d >= 0 && d < e->ndays && e->day[d] <= t) {
        if (t < e->day[d + 1] || d == e->ndays - 1)
            return d;
        if (d + 1 < e->ndays && t < e->day[d + 2]) {
            *hint = d + 1;
            return d + 1;
        }
    }
    d = day_of(e, t);
    *hint = d;
    return d;
}

static int
cond_holds(const struct eng_cond *c, double v)
{
    int i;

    switch (c->op) {
    case ENG_COND_NONE:
        return 1;
    case ENG_COND_IN_SET:
        for (i = 0; i < c->nset; i++)
            if (v == c->set[i])
                return 1;
        return 0;
    case ENG_COND_ABOVE:
        return v > c->lo;
    case ENG_COND_AT_LEAST:
        return v >= c->lo;
    case ENG_COND_BELOW:
        return v < c->hi;
    case ENG_COND_RANGE:
        return v >= c->lo && v <= c->hi;
    }
    return 0;
}

/* --- accumulation of one indicator's final classified stream --- */

/* Day d's accumulators changed: the next checkpoint stores its row (eng_days_changed()). */
static void
day_changed(struct eng *e, int d)
{
    /* A day over by the last advance changed: for eng_past_changes(). Counted per engine,
     * not per indicator, as day_changed() is told of the day only. */
    if (e->day[d + 1] <= e->advanced)
        e->past++;
    if (d < e->dlo)
        e->dlo = d;
    if (d > e->dhi)
        e->dhi = d;
    if (d > e->dtop)
        e->dtop = d;
}

/*
 * Room in in's evidence list for n interruptions. Most indicators see none in a year, so the
 * list starts empty rather than at ENG_MAX_LIST (16 KB an indicator, per engine). -1 when n is
 * past ENG_MAX_LIST or memory runs out: the interruption is still counted (nruns, totals),
 * as those past the cap are.
 */
static int
list_room(struct ind *in, size_t n)
{
    struct eng_interruption *nl;
    size_t ncap;

    if (n <= in->list_cap)
        return 0;
    if (n > ENG_MAX_LIST)
        return -1;
    ncap = in->list_cap > 0 ? in->list_cap * 2 : 8;
    if (ncap < n)
        ncap = n;
    if (ncap > ENG_MAX_LIST)
        ncap = ENG_MAX_LIST;
    if ((nl = realloc(in->list, ncap * sizeof(*nl))) == NULL)
        return -1;
    in->list = nl;
    in->list_cap = ncap;
    return 0;
}

static void
close_run(struct ind *in)
{
    int64_t len = in->run_end - in->run_start;

    in->nruns++;
    in->run_total += len;
    if (len > in->run_longest)
        in->run_longest = len;
    if (list_room(in, in->nlist + 1) == 0) {
        in->list[in->nlist].start = in->run_start;
        in->list[in->nlist].end = in->run_end;
        in->nlist++;
    }
    in->in_run = 0;
}

static void
accumulate(struct eng *e, struct ind *in, int64_t a, int64_t b, int cls)
{
    if (b <= a)
        return;
    in->cursor = b;
    if (in->cfg.kind == ENG_SUPPLY_DAYS) {
        /* An interruption is a maximal run of interrupted time; anything else ends it. */
        if (cls == CLS_BAD) {
            if (!in->in_run) {
                in->in_run = 1;
                in->run_start = a;
            }
            in->run_end = b;
        } else if (in->in_run) {
            close_run(in);
        }
    }
    while (a < b) {
        int d = day_at(e, &in->dhint, a);
        int64_t end = b < e->day[d + 1] ? b : e->day[d + 1];
        in->acc[d][cls] += end - a;
        in->tot[cls] += end - a;
        day_changed(e, d);
        if (d < in->res_from)
            in->res_from = d;
        a = end;
    }
}

/* Reduces the combined points' queues as far as every point has got. */
static void
combine(struct eng *e, struct ind *in)
{
    size_t k, n = in->cfg.npoints;

    while (in->nempty == 0) {
        int64_t a = 0, m = INT64_MAX;
        int any_na = 0, any_bad = 0, any_unk = 0, any_good = 0, cls;

        for (k = 0; k < n; k++) {
            struct segq *q = &e->slots[in->first_slot + k].q;
            struct seg *s;
            if (q->n == 0)
                return;
            s = &q->v[q->head];
            a = s->a; /* the same for every point: all streams are contiguous */
            if (s->b < m)
                m = s->b;
            any_na |= s->cls == CLS_NA;
            any_bad |= s->cls == CLS_BAD;
            any_unk |= s->cls == CLS_UNKNOWN;
            any_good |= s->cls == CLS_GOOD;
        }
        if (in->cfg.kind == ENG_DUTY_DAYS) {
            /* A second is monitored when any point holds a fresh sample. */
            cls = any_good ? CLS_GOOD : CLS_UNKNOWN;
        } else {
            /* band "any": a window outside any point's assessment band is not assessed (as
             * meters count the all-phase minute only when every phase is inside it); else
             * out if any point is out, unknown if one is unknown, in otherwise. */
            cls = any_na ? CLS_NA : any_bad ? CLS_BAD : any_unk ? CLS_UNKNOWN : CLS_GOOD;
        }
        accumulate(e, in, a, m, cls);
        for (k = 0; k < n; k++) {
            struct segq *q = &e->slots[in->first_slot + k].q;
            struct seg *s = &q->v[q->head];
            s->a = m;
            if (s->a >= s->b) {
                q->head = (q->head + 1) % q->cap;
                if (--q->n == 0)
                    in->nempty++;
            }
        }
    }
}

static int
segq_push(struct segq *q, int64_t a, int64_t b, int cls)
{
    if (q->n > 0) {
        struct seg *last = &q->v[(q->head + q->n - 1) % q->cap];
        if (last->cls == cls && last->b == a) {
            last->b = b; /* merge: queues stay short while points keep their class */
            return 0;
        }
    }
    if (q->n == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 8, i;
        struct seg *nv = malloc(ncap * sizeof(*nv));
        if (nv == NULL)
            return -1;
        for (i = 0; i < q->n; i++)
            nv[i] = q->v[(q->head + i) % q->cap];
        free(q->v);
        q->v = nv;
        q->head = 0;
        q->cap = ncap;
    }
    q->v[(q->head + q->n) % q->cap] = (struct seg){a, b, cls};
    q->n++;
    return 0;
}

/* One classified segment of one point of an indicator. */
static void
classified(struct eng *e, struct slot *sl, int64_t a, int64_t b, int cls)
{
    struct ind *in = &e->inds[sl->ind];

    if (b <= a)
        return;
    sl->acc[cls] += b - a;
    if (in->combine) {
        size_t was = sl->q.n;

        if (segq_push(&sl->q, a, b, cls) < 0)
            return; /* out of memory: that time will be missing from the combined stream */
        if (was == 0 && --in->nempty > 0)
            return; /* another point has not got this far yet */
        if (in->nempty == 0)
            combine(e, in);
    } else {
        accumulate(e, in, a, b, cls);
    }
}

static int
band_class(const struct eng_ind_cfg *c, double mean)
{
    if (c->has_assess && (mean < c->assess_lo || mean > c->assess_hi))
        return CLS_NA;
    return (mean >= c->lo && mean <= c->hi) ? CLS_GOOD : CLS_BAD;
}

static void
note_extreme(struct slot *sl, double v)
{
    if (isnan(sl->lowest) || v < sl->lowest)
        sl->lowest = v;
    if (isnan(sl->highest) || v > sl->highest)
        sl->highest = v;
}

static void
close_window(struct eng *e, struct slot *sl)
{
    const struct eng_ind_cfg *c = &e->inds[sl->ind].cfg;
    int cls = CLS_UNKNOWN;

    /* A window known for under half its length is unknown as a whole (29 s of 60 is). */
    if (sl->known * 2 >= sl->we - sl->ws) {
        double mean = sl->sum / (double)sl->known;
        cls = band_class(c, mean);
        if (cls != CLS_NA)
            note_extreme(sl, mean);
    }
    classified(e, sl, sl->ws, sl->we, cls);
    sl->sum = 0;
    sl->known = 0;
}

/*
 * Unknown time [a, b) from a window boundary on: the whole windows in it are unknown (none
 * is known for half its length), so they go out as one classified segment instead of one per
 * window, which is the same time in the same class. Returns where the remaining partial
 * window starts (b when none is left).
 */
static int64_t
skip_unknown_windows(struct eng *e, struct slot *sl, int64_t a, int64_t b)
{
    int64_t w = e->inds[sl->ind].cfg.window_ms, ws, we;
    int d = day_at(e, &sl->dhint, a);

    if ((a - e->day[d]) % w != 0)
        return a; /* not on a window boundary: take the slow path */
    d = day_of(e, b - 1);
    ws = e->day[d] + (b - 1 - e->day[d]) / w * w;
    we = ws + w < e->day[d + 1] ? ws + w : e->day[d + 1];
    if (we == b)
        ws = b; /* b ends a window: every window is whole */
    if (ws <= a)
        return a;
    classified(e, sl, a, ws, CLS_UNKNOWN);
    sl->ws = sl->we = ws;
    return ws;
}

/* Raw segment [a, b) of a point, as one indicator's classifier sees it. */
static void
slot_raw(struct eng *e, struct slot *sl, int64_t a, int64_t b, int raw, double v)
{
    const struct eng_ind_cfg *c = &e->inds[sl->ind].cfg;
    int cls;

    switch (c->kind) {
    case ENG_BAND:
        if (c->window_ms == 0) {
            if (raw != RAW_VALUE) {
                cls = CLS_UNKNOWN;
            } else {
                cls = band_class(c, v);
                if (cls != CLS_NA)
                    note_extreme(sl, v);
            }
            classified(e, sl, a, b, cls);
            return;
        }
        if (raw == RAW_UNKNOWN && a >= sl->we)
            a = skip_unknown_windows(e, sl, a, b);
        while (a < b) {
            int64_t end;
            if (a >= sl->we) {
                int d = day_at(e, &sl->dhint, a);
                sl->ws = e->day[d] + (a - e->day[d]) / c->window_ms * c->window_ms;
                sl->we = sl->ws + c->window_ms;
                if (sl->we > e->day[d + 1])
                    sl->we = e->day[d + 1];
            }
            end = b < sl->we ? b : sl->we;
            if (raw == RAW_VALUE) {
                sl->sum += v * (double)(end - a);
                sl->known += end - a;
            }
            a = end;
            if (a == sl->we)
                close_window(e, sl);
        }
        return;
    case ENG_SUPPLY_DAYS:
        /* Value-based: a poll without a valid answer says nothing about the supply. */
        cls = raw != RAW_VALUE ? CLS_UNKNOWN : cond_holds(&c->cond, v) ? CLS_GOOD : CLS_BAD;
        break;
    case ENG_AVAILABILITY:
    case ENG_DOWNTIME:
    case ENG_FAULT_RATE:
        /* Asked and no valid answer is down; not asked is unknown. */
        if (raw == RAW_UNKNOWN)
            cls = CLS_UNKNOWN;
        else if (raw == RAW_BAD)
            cls = CLS_BAD;
        else
            cls = cond_holds(&c->cond, v) ? CLS_GOOD : CLS_BAD;
        break;
    case ENG_DUTY_DAYS:
        cls = raw == RAW_UNKNOWN ? CLS_UNKNOWN : CLS_GOOD;
        break;
    default:
        return; /* energy works on readings, delivery on reports, not on held time */
    }
    classified(e, sl, a, b, cls);
}

static void
emit_raw(struct eng *e, struct point *pt, int64_t a, int64_t b, int raw, double v)
{
    size_t i;

    if (a < e->start)
        a = e->start;
    if (b > e->end)
        b = e->end;
    if (b <= a)
        return;
    for (i = 0; i < pt->nslots; i++)
        slot_raw(e, &e->slots[pt->slots[i]], a, b, raw, v);
}

/* Emits the point's timeline from pt->done up to t (t >= done). */
static void
extend(struct eng *e, struct point *pt, int64_t t)
{
    if (t <= pt->done)
        return;
    if (pt->has) {
        int64_t hold_end = pt->t + pt->stale;
        if (hold_end > t)
            hold_end = t;
        if (hold_end > pt->done) {
            emit_raw(e, pt, pt->done, hold_end, pt->valid ? RAW_VALUE : RAW_BAD, pt->v);
            pt->done = hold_end;
        }
    }
    emit_raw(e, pt, pt->done, t, RAW_UNKNOWN, 0.0);
    pt->done = t;
}

/*
 * One report of a delivery indicator, its outcome known at t: on time when delivered with a
 * latency of at most the deadline (edges inclusive, as band edges are), late otherwise.
 */
static void
count_report(struct eng *e, struct ind *in, int64_t t, double latency, int delivered)
{
    int d = day_at(e, &in->dhint, t);
    int on_time = delivered && latency <= (double)in->cfg.deadline_ms / 1000.0;

    in->acc[d][on_time ? CLS_GOOD : CLS_BAD]++;
    in->tot[on_time ? CLS_GOOD : CLS_BAD]++;
    day_changed(e, d);
    if (!delivered)
        return;
    in->lat_n++;
    in->lat_sum += latency;
    if (isnan(in->lat_min) || latency < in->lat_min)
        in->lat_min = latency;
    if (isnan(in->lat_max) || latency > in->lat_max)
        in->lat_max = latency;
}

enum eng_status
eng_sample(struct eng *e, uint32_t p, int64_t t, double value, int valid)
{
    struct point *pt;
    size_t i;

    if (p >= e->npoints)
        return ENG_ERR_INVALID;
    pt = &e->points[p];
    if (t < pt->done || (pt->has && t < pt->t))
        return ENG_ERR_ORDER;
    if (valid && !isfinite(value))
        valid = 0;
    extend(e, pt, t);
    if (t > e->newest)
        e->newest = t;
    pt->has = 1;
    pt->t = t;
    pt->valid = valid;
    pt->v = valid ? value : 0.0;

    /* Energy counts readings, not held time: consecutive valid readings inside the period. */
    if (valid && t >= e->start && t < e->end) {
        for (i = 0; i < pt->nslots; i++) {
            struct ind *in = &e->inds[e->slots[pt->slots[i]].ind];
            if (in->cfg.kind != ENG_ENERGY)
                continue;
            if (in->have_reading) {
                if (value >= in->last_reading) {
                    in->kwh += value - in->last_reading;
                } else {
                    /* A wrap or a new meter: the new counter started from zero. */
                    in->kwh += value;
                    in->resets++;
                }
            }
            in->have_reading = 1;
            in->last_reading = value;
        }
    }
    /* Delivery counts reports: the sample is one report's outcome, known at t. */
    if (t >= e->start && t < e->end)
        for (i = 0; i < pt->nslots; i++)
            if (e->inds[e->slots[pt->slots[i]].ind].cfg.kind == ENG_DELIVERY)
                count_report(e, &e->inds[e->slots[pt->slots[i]].ind], t, value, valid);
    return ENG_OK;
}

void
eng_advance(struct eng *e, int64_t t)
{
    size_t i;

    if (t > e->advanced)
        e->advanced = t;
    for (i = 0; i < e->npoints; i++)
        extend(e, &e->points[i], t);
}

void
eng_cut(struct eng *e, int64_t t)
{
    size_t i;

    for (i = 0; i < e->npoints; i++) {
        struct point *pt = &e->points[i];
        extend(e, pt, t);
        pt->has = 0; /* from here on unknown until the next sample */
    }
    if (t > e->advanced)
        e->advanced = t;
}

void
eng_finish(struct eng *e, int64_t t)
{
    eng_advance(e, t);
}

static enum eng_status
invalid(size_t ind, const char *msg, char *err, size_t errlen)
{
    snprintf(err, errlen, "indicator %zu: %s", ind, msg);
    return ENG_ERR_INVALID;
}

static enum eng_status
check_ind(struct eng *e, size_t i, const struct eng_ind_cfg *c, char *err, size_t errlen)
{
    size_t k;

    if (c->npoints == 0)
        return invalid(i, "no input points", err, errlen);
    for (k = 0; k < c->npoints; k++)
        if (c->points[k] >= e->npoints)
            return invalid(i, "input point out of range", err, errlen);
    switch (c->kind) {
    case ENG_BAND:
        if (!(c->lo <= c->hi))
            return invalid(i, "band lower limit above upper limit", err, errlen);
        if (c->has_assess && !(c->assess_lo <= c->lo && c->hi <= c->assess_hi))
            return invalid(i, "assessment band must contain the band", err, errlen);
        if (c->window_ms < 0 || (c->window_ms > 0 && 86400000 % c->window_ms != 0))
            return invalid(i, "window must divide the day", err, errlen);
        break;
    case ENG_SUPPLY_DAYS:
        if (c->npoints != 1)
            return invalid(i, "supply_days takes exactly one point", err, errlen);
        break;
    case ENG_DUTY_DAYS:
        if (!(c->duty_share > 0 && c->duty_share <= 1))
            return invalid(i, "duty share must be in (0, 1]", err, errlen);
        break;
    case ENG_ENERGY:
        if (c->npoints != 1)
            return invalid(i, "energy takes exactly one counter point", err, errlen);
        break;
    case ENG_DELIVERY:
        if (c->deadline_ms <= 0)
            return invalid(i, "delivery deadline must be positive", err, errlen);
        break;
    default:
        break;
    }
    if (c->cond.op == ENG_COND_IN_SET && (c->cond.nset < 1 || c->cond.nset > ENG_MAX_SET))
        return invalid(i, "condition set is empty or too large", err, errlen);
    return ENG_OK;
}

enum eng_status
eng_new(const struct eng_period *period, size_t npoints, const struct eng_point_cfg *points,
        size_t nind, const struct eng_ind_cfg *inds, struct eng **out, char *err, size_t errlen)
{
    struct eng *e;
    size_t i, k, s;
    enum eng_status st;

    *out = NULL;
    if (period->ndays < 1) {
        snprintf(err, errlen, "the period has no days");
        return ENG_ERR_INVALID;
    }
    for (i = 0; i < (size_t)period->ndays; i++) {
        if (period->day_start[i + 1] <= period->day_start[i]) {
            snprintf(err, errlen, "period days are not increasing");
            return ENG_ERR_INVALID;
        }
    }
    for (i = 0; i < npoints; i++) {
        if (points[i].stale_ms <= 0) {
            snprintf(err, errlen, "point %zu: staleness limit must be positive", i);
            return ENG_ERR_INVALID;
        }
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return ENG_ERR_NOMEM;
    e->ndays = period->ndays;
    e->npoints = npoints;
    e->nind = nind;
    e->day = malloc(((size_t)period->ndays + 1) * sizeof(*e->day));
    e->points = calloc(npoints ? npoints : 1, sizeof(*e->points));
    e->inds = calloc(nind ? nind : 1, sizeof(*e->inds));
    if (e->day == NULL || e->points == NULL || e->inds == NULL)
        goto nomem;
    memcpy(e->day, period->day_start, ((size_t)period->ndays + 1) * sizeof(*e->day));
    e->start = e->day[0];
    e->dtop = -1;
    e->end = e->day[e->ndays];
    e->advanced = e->newest = INT64_MIN;
    eng_days_mark(e);

    for (i = 0; i < nind; i++) {
        st = check_ind(e, i, &inds[i], err, errlen);
        if (st != ENG_OK) {
            eng_free(e);
            return st;
        }
        e->nslots += inds[i].npoints;
    }
    e->slots = calloc(e->nslots ? e->nslots : 1, sizeof(*e->slots));
    if (e->slots == NULL)
        goto nomem;
    for (i = 0; i < npoints; i++) {
        e->points[i].stale = points[i].stale_ms;
        /* Samples from before the period may come: they hold into it. */
        e->points[i].done = INT64_MIN;
    }
    /* Slots, and each point's list of them. */
    s = 0;
    for (i = 0; i < nind; i++) {
        struct ind *in = &e->inds[i];
        in->cfg = inds[i];
        in->points = malloc(inds[i].npoints * sizeof(*in->points));
        in->acc = calloc((size_t)e->ndays, sizeof(*in->acc));
        in->per_point = calloc(inds[i].npoints, sizeof(*in->per_point));
        in->lost = malloc((size_t)e->ndays * sizeof(*in->lost));
        in->unverified = malloc((size_t)e->ndays * sizeof(*in->unverified));
        if (in->points == NULL || in->acc == NULL || in->per_point == NULL ||
            in->lost == NULL || in->unverified == NULL)
            goto nomem;
        memcpy(in->points, inds[i].points, inds[i].npoints * sizeof(*in->points));
        in->cfg.points = in->points;
        in->first_slot = s;
        in->cursor = e->start;
        in->nempty = inds[i].npoints;
        in->combine = inds[i].npoints > 1 && ((inds[i].kind == ENG_BAND && !inds[i].each) ||
                                              inds[i].kind == ENG_DUTY_DAYS);
        for (k = 0; k < inds[i].npoints; k++, s++) {
            e->slots[s].ind = i;
            e->slots[s].k = k;
            e->slots[s].ws = e->slots[s].we = e->start;
            e->slots[s].lowest = e->slots[s].highest = NAN;
            e->points[inds[i].points[k]].nslots++;
        }
        in->lat_min = in->lat_max = NAN;
    }
    for (i = 0; i < npoints; i++) {
        e->points[i].slots = calloc(e->points[i].nslots ? e->points[i].nslots : 1, sizeof(size_t));
        if (e->points[i].slots == NULL)
            goto nomem;
        e->points[i].nslots = 0;
    }
    for (s = 0; s < e->nslots; s++) {
        struct point *pt = &e->points[e->inds[e->slots[s].ind].points[e->slots[s].k]];
        pt->slots[pt->nslots++] = s;
    }
    *out = e;
    return ENG_OK;
nomem:
    eng_free(e);
    snprintf(err, errlen, "out of memory");
    return ENG_ERR_NOMEM;
}

void
eng_free(struct eng *e)
{
    size_t i;

    if (e == NULL)
        return;
    for (i = 0; i < e->npoints && e->points != NULL; i++)
        free(e->points[i].slots);
    for (i = 0; i < e->nslots && e->slots != NULL; i++)
        free(e->slots[i].q.v);
    for (i = 0; i < e->nind && e->inds != NULL; i++) {
        free(e->inds[i].points);
        free(e->inds[i].acc);
        free(e->inds[i].list);
        free(e->inds[i].per_point);
        free(e->inds[i].lost);
        free(e->inds[i].unverified);
    }
    free(e->slots);
    free(e->inds);
    free(e->points);
    free(e->day);
    free(e);
}

static double
rate(int64_t good, int64_t bad)
{
    return good + bad > 0 ? (double)good * 100.0 / (double)(good + bad) : NAN;
}

/* How far the indicator's inputs are known: the slowest of its points. */
static int64_t
horizon(const struct eng *e, const struct ind *in)
{
    int64_t h = e->end;
    size_t k;

    for (k = 0; k < in->cfg.npoints; k++)
        if (e->points[in->points[k]].done < h)
            h = e->points[in->points[k]].done;
    return h < e->start ? e->start : h;
}

const struct eng_result *
eng_result(struct eng *e, size_t i)
{
    struct ind *in = &e->inds[i];
    struct eng_result *r = &in->res;
    const int64_t *tot = in->tot;
    int64_t h = horizon(e, in), elapsed;
    size_t k;
    int d;

    memset(r, 0, sizeof(*r));
    r->kind = in->cfg.kind;
    r->days = e->ndays;
    r->period_ms = e->end - e->start;
    elapsed = h - e->start;

    switch (in->cfg.kind) {
    case ENG_BAND: {
        double lowest_rate = NAN;
        r->band.lowest = r->band.highest = NAN;
        for (k = 0; k < in->cfg.npoints; k++) {
            const struct slot *sl = &e->slots[in->first_slot + k];
            struct eng_band_ev *pp = &in->per_point[k];
            double pr;
            pp->in_ms = sl->acc[CLS_GOOD];
            pp->out_ms = sl->acc[CLS_BAD];
            pp->unknown_ms = sl->acc[CLS_UNKNOWN];
            pp->not_assessed_ms = sl->acc[CLS_NA];
            pp->lowest = sl->lowest;
            pp->highest = sl->highest;
            if (!isnan(sl->lowest) && (isnan(r->band.lowest) || sl->lowest < r->band.lowest))
                r->band.lowest = sl->lowest;
            if (!isnan(sl->highest) && (isnan(r->band.highest) || sl->highest > r->band.highest))
                r->band.highest = sl->highest;
            pr = rate(pp->in_ms, pp->out_ms);
            if (!isnan(pr) && (isnan(lowest_rate) || pr < lowest_rate))
                lowest_rate = pr;
        }
        r->per_point = in->per_point;
        r->nper_point = in->cfg.npoints;
        if (in->cfg.each || in->cfg.npoints == 1) {
            for (k = 0; k < in->cfg.npoints; k++) {
                r->band.in_ms += in->per_point[k].in_ms;
                r->band.out_ms += in->per_point[k].out_ms;
                r->band.unknown_ms += in->per_point[k].unknown_ms;
                r->band.not_assessed_ms += in->per_point[k].not_assessed_ms;
            }
            r->value = lowest_rate;
            /* Each point's timeline counts once towards coverage. */
            elapsed *= (int64_t)in->cfg.npoints;
        } else {
            r->band.in_ms = tot[CLS_GOOD];
            r->band.out_ms = tot[CLS_BAD];
            r->band.unknown_ms = tot[CLS_UNKNOWN];
            r->band.not_assessed_ms = tot[CLS_NA];
            r->value = rate(tot[CLS_GOOD], tot[CLS_BAD]);
        }
        r->known_ms = r->band.in_ms + r->band.out_ms + r->band.not_assessed_ms;
        break;
    }
    case ENG_AVAILABILITY:
    case ENG_DOWNTIME:
    case ENG_FAULT_RATE:
        r->up_ms = tot[CLS_GOOD];
        r->down_ms = tot[CLS_BAD];
        r->unknown_ms = tot[CLS_UNKNOWN];
        r->known_ms = r->up_ms + r->down_ms;
        elapsed *= (int64_t)in->cfg.npoints; /* device-time, summed over the group */
        if (in->cfg.kind == ENG_AVAILABILITY)
            r->value = rate(r->up_ms, r->down_ms);
        else if (in->cfg.kind == ENG_FAULT_RATE)
            r->value = rate(r->down_ms, r->up_ms);
        else
            r->value = (double)r->down_ms / 3600000.0;
        break;
    case ENG_SUPPLY_DAYS: {
        uint64_t runs = in->nruns;
        int64_t total = in->run_total, longest = in->run_longest;
        r->lost = in->lost;
        r->unverified = in->unverified;
        /* The lists as last made, up to the first day accumulated since; days after dtop
         * hold nothing. */
        r->nlost = in->res_nlost;
        r->nunverified = in->res_nunv;
        while (r->nlost > 0 && in->lost[r->nlost - 1] >= in->res_from)
            r->nlost--;
        while (r->nunverified > 0 && in->unverified[r->nunverified - 1] >= in->res_from)
            r->nunverified--;
        for (d = in->res_from; d <= e->dtop && d < e->ndays; d++) {
            if (in->acc[d][CLS_BAD] > 0)
                in->lost[r->nlost++] = d;
            else if (in->acc[d][CLS_UNKNOWN] > 0)
                in->unverified[r->nunverified++] = d;
        }
        in->res_from = d > in->res_from ? d : in->res_from;
        in->res_nlost = r->nlost;
        in->res_nunv = r->nunverified;
        /* An interruption still going on counts as it stands. */
        if (in->in_run) {
            int64_t len = in->run_end - in->run_start;
            runs++;
            total += len;
            if (len > longest)
                longest = len;
        }
        r->ninterruptions = runs;
        r->interrupted_ms = total;
        r->longest_ms = longest;
        r->nlist = in->nlist;
        if (in->in_run && list_room(in, in->nlist + 1) == 0) {
            in->list[in->nlist].start = in->run_start;
            in->list[in->nlist].end = in->run_end;
            r->nlist = in->nlist + 1;
        }
        r->list = in->list; /* after list_room(), which may move it */
        r->up_ms = tot[CLS_GOOD];
        r->down_ms = tot[CLS_BAD];
        r->unknown_ms = tot[CLS_UNKNOWN];
        r->known_ms = tot[CLS_GOOD] + tot[CLS_BAD];
        r->value = (double)(e->ndays - (int)r->nlost);
        break;
    }
    case ENG_DUTY_DAYS: {
        int on;
        r->lost = in->lost;
        /* The days judged last time, up to the first one accumulated since: each of those
         * is either on duty or in the list. The horizon only grows. */
        d = in->res_from < in->res_upto ? in->res_from : in->res_upto;
        r->nlost = in->res_nlost;
        while (r->nlost > 0 && in->lost[r->nlost - 1] >= d)
            r->nlost--;
        on = d - (int)r->nlost;
        for (; d < e->ndays; d++) {
            int64_t len = e->day[d + 1] - e->day[d];
            if (e->day[d + 1] > h)
                break; /* a day not over yet is neither on nor off duty */
            if ((double)in->acc[d][CLS_GOOD] >= in->cfg.duty_share * (double)len)
                on++;
            else
                in->lost[r->nlost++] = d;
        }
        in->res_upto = d;
        in->res_from = e->ndays;
        in->res_nlost = r->nlost;
        r->up_ms = tot[CLS_GOOD];
        r->unknown_ms = tot[CLS_UNKNOWN];
        r->known_ms = tot[CLS_GOOD];
        r->value = on;
        break;
    }
    case ENG_ENERGY:
        r->kwh = in->kwh;
        r->resets = in->resets;
        r->value = in->have_reading ? in->kwh : NAN;
        r->known_ms = 0;
        break;
    case ENG_DELIVERY:
        r->on_time = (uint64_t)tot[CLS_GOOD];
        r->late = (uint64_t)tot[CLS_BAD];
        r->due = r->on_time + r->late;
        r->value = r->due > 0 ? (double)r->on_time * 100.0 / (double)r->due : NAN;
        r->acked = in->lat_n;
        r->latency_min = in->lat_min;
        r->latency_max = in->lat_max;
        r->latency_mean = in->lat_n > 0 ? in->lat_sum / (double)in->lat_n : NAN;
        r->known_ms = 0;
        break;
    }
    r->elapsed_ms = h - e->start;
    r->coverage = elapsed > 0 ? (double)r->known_ms / (double)elapsed : 0.0;
    if (in->cfg.kind == ENG_ENERGY || in->cfg.kind == ENG_DELIVERY)
        r->coverage = NAN; /* readings and reports, not time */
    return r;
}

/* --- snapshot and restore --- */

/*
 * The image is a flat little-endian-agnostic dump in the host's byte order (it is read back on
 * the machine that wrote it): a header, then every point, slot and indicator's mutable state in
 * index order. Doubles are copied as their bits, so a restored engine continues bit for bit.
 * Bump ENG_SNAP_VERSION whenever the layout or the meaning of a field changes; an image of
 * another version is refused, never guessed at.
 *
 * Version 2 leaves the per-day accumulators out (they were nine tenths of a year's image,
 * rewritten every checkpoint): the caller stores them as rows, the changed days only, and
 * hands them back to eng_restore(). The image keeps each indicator's totals per class, so
 * that rows missing, of another state or of another period are noticed, not restored. The
 * period is named by a hash of its midnights instead of the midnights themselves, which
 * keeps the image of a small config under one SQLite page.
 */
#define ENG_SNAP_MAGIC 0x52574e47u /* "RWNG" */
#define ENG_SNAP_VERSION 2u

struct wbuf {
    unsigned char *p;
    size_t n, cap;
    int oom;
};

struct rbuf {
    const unsigned char *p;
    size_t n, off;
    int bad;
};

static void
put(struct wbuf *w, const void *v, size_t len)
{
    if (len == 0 || w->oom) /* v may be NULL: an empty list */
        return;
    if (w->n + len > w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 4096;
        unsigned char *np;
        while (ncap < w->n + len)
            ncap *= 2;
        if ((np = realloc(w->p, ncap)) == NULL) {
            w->oom = 1;
            return;
        }
        w->p = np;
        w->cap = ncap;
    }
    memcpy(w->p + w->n, v, len);
    w->n += len;
}

static void
put_i64(struct wbuf *w, int64_t v)
{
    put(w, &v, sizeof(v));
}

static void
put_u64(struct wbuf *w, uint64_t v)
{
    put(w, &v, sizeof(v));
}

static void
put_dbl(struct wbuf *w, double v)
{
    put(w, &v, sizeof(v));
}

static void
get(struct rbuf *r, void *v, size_t len)
{
    if (len == 0) /* v may be NULL: an empty list */
        return;
    if (r->bad || r->n - r->off < len) {
        r->bad = 1;
        memset(v, 0, len);
        return;
    }
    memcpy(v, r->p + r->off, len);
    r->off += len;
}

static int64_t
get_i64(struct rbuf *r)
{
    int64_t v;
    get(r, &v, sizeof(v));
    return v;
}

static uint64_t
get_u64(struct rbuf *r)
{
    uint64_t v;
    get(r, &v, sizeof(v));
    return v;
}

static double
get_dbl(struct rbuf *r)
{
    double v;
    get(r, &v, sizeof(v));
    return v;
}

static uint64_t
fnv_i64(uint64_t h, int64_t v)
{
    return fnv1a(h, &v, sizeof(v));
}

static uint64_t
fnv_dbl(uint64_t h, double v)
{
    return fnv1a(h, &v, sizeof(v));
}

/* The period's midnights, as a hash: the image names its period in 8 bytes, not 2.9 KB. */
static uint64_t
period_hash(const struct eng *e)
{
    uint64_t h = FNV1A_INIT;
    int d;

    for (d = 0; d <= e->ndays; d++)
        h = fnv_i64(h, e->day[d]);
    return h;
}

uint64_t
eng_fingerprint(size_t npoints, const struct eng_point_cfg *points, size_t nind,
                const struct eng_ind_cfg *inds)
{
    uint64_t h = FNV1A_INIT;
    size_t i, k;
    int j;

    /* Field by field: struct padding is not part of the configuration. */
    h = fnv_i64(h, (int64_t)ENG_SNAP_VERSION);
    h = fnv_i64(h, (int64_t)npoints);
    for (i = 0; i < npoints; i++)
        h = fnv_i64(h, points[i].stale_ms);
    h = fnv_i64(h, (int64_t)nind);
    for (i = 0; i < nind; i++) {
        const struct eng_ind_cfg *c = &inds[i];
        h = fnv_i64(h, c->kind);
        h = fnv_i64(h, (int64_t)c->npoints);
        for (k = 0; k < c->npoints; k++)
            h = fnv_i64(h, c->points[k]);
        h = fnv_dbl(h, c->lo);
        h = fnv_dbl(h, c->hi);
        h = fnv_i64(h, c->has_assess);
        h = fnv_dbl(h, c->assess_lo);
        h = fnv_dbl(h, c->assess_hi);
        h = fnv_i64(h, c->window_ms);
        h = fnv_i64(h, c->each);
        h = fnv_i64(h, c->cond.op);
        h = fnv_dbl(h, c->cond.lo);
        h = fnv_dbl(h, c->cond.hi);
        h = fnv_i64(h, c->cond.nset);
        for (j = 0; j < c->cond.nset && j < ENG_MAX_SET; j++)
            h = fnv_dbl(h, c->cond.set[j]);
        h = fnv_dbl(h, c->duty_share);
        /* Only for delivery: the fingerprints of other configs stay what they were. */
        if (c->kind == ENG_DELIVERY)
            h = fnv_i64(h, c->deadline_ms);
    }
    return h;
}

enum eng_status
eng_snapshot(const struct eng *e, uint64_t fingerprint, void **buf, size_t *len)
{
    struct wbuf w = {0};
    uint32_t hdr[2] = {ENG_SNAP_MAGIC, ENG_SNAP_VERSION};
    size_t i, k;
    int d;

    *buf = NULL;
    *len = 0;
    put(&w, hdr, sizeof(hdr));
    put_u64(&w, fingerprint);
    put_i64(&w, e->ndays);
    put_u64(&w, e->npoints);
    put_u64(&w, e->nslots);
    put_u64(&w, e->nind);
    put_u64(&w, period_hash(e));
    put_i64(&w, e->advanced);
    put_i64(&w, e->newest);
    for (i = 0; i < e->npoints; i++) {
        const struct point *pt = &e->points[i];
        put_i64(&w, pt->has);
        put_i64(&w, pt->t);
        put_i64(&w, pt->valid);
        put_dbl(&w, pt->v);
        put_i64(&w, pt->done);
    }
    for (i = 0; i < e->nslots; i++) {
        const struct slot *sl = &e->slots[i];
        put_i64(&w, sl->ws);
        put_i64(&w, sl->we);
        put_dbl(&w, sl->sum);
        put_i64(&w, sl->known);
        for (d = 0; d < NCLS; d++)
            put_i64(&w, sl->acc[d]);
        put_dbl(&w, sl->lowest);
        put_dbl(&w, sl->highest);
        put_u64(&w, sl->q.n);
        for (k = 0; k < sl->q.n; k++) {
            const struct seg *s = &sl->q.v[(sl->q.head + k) % sl->q.cap];
            put_i64(&w, s->a);
            put_i64(&w, s->b);
            put_i64(&w, s->cls);
        }
    }
    for (i = 0; i < e->nind; i++) {
        const struct ind *in = &e->inds[i];
        int64_t tot[NCLS] = {0};
        int c;

        for (d = 0; d < e->ndays; d++)
            for (c = 0; c < NCLS; c++)
                tot[c] += in->acc[d][c];
        for (c = 0; c < NCLS; c++)
            put_i64(&w, tot[c]);
        put_i64(&w, in->cursor);
        put_i64(&w, in->in_run);
        put_i64(&w, in->run_start);
        put_i64(&w, in->run_end);
        put_u64(&w, in->nruns);
        put_i64(&w, in->run_total);
        put_i64(&w, in->run_longest);
        put_u64(&w, in->nlist);
        put(&w, in->list, in->nlist * sizeof(*in->list));
        put_i64(&w, in->have_reading);
        put_dbl(&w, in->last_reading);
        put_dbl(&w, in->kwh);
        put_u64(&w, in->resets);
        /* Only delivery indicators carry latencies: images of configs without one keep the
         * layout of ENG_SNAP_VERSION 1, and a config with one never had an older image (the
         * fingerprint covers the kind). */
        if (in->cfg.kind == ENG_DELIVERY) {
            put_u64(&w, in->lat_n);
            put_dbl(&w, in->lat_sum);
            put_dbl(&w, in->lat_min);
            put_dbl(&w, in->lat_max);
        }
    }
    if (w.oom) {
        free(w.p);
        return ENG_ERR_NOMEM;
    }
    *buf = w.p;
    *len = w.n;
    return ENG_OK;
}

enum eng_status
eng_restore(struct eng *e, uint64_t fingerprint, const void *buf, size_t len,
            const struct eng_day_acc *days, size_t ndays)
{
    struct rbuf r = {buf, len, 0, 0};
    struct eng *t = NULL;
    int64_t(*tot)[NCLS] = NULL; /* each indicator's totals, from the image */
    uint32_t hdr[2];
    size_t i, k;
    int d, c;

    get(&r, hdr, sizeof(hdr));
    if (r.bad || hdr[0] != ENG_SNAP_MAGIC || hdr[1] != ENG_SNAP_VERSION)
        return ENG_ERR_INVALID;
    if (get_u64(&r) != fingerprint || get_i64(&r) != e->ndays || get_u64(&r) != e->npoints ||
        get_u64(&r) != e->nslots || get_u64(&r) != e->nind)
        return ENG_ERR_INVALID;
    if (get_u64(&r) != period_hash(e))
        return ENG_ERR_INVALID; /* another period */
    if (r.bad)
        return ENG_ERR_INVALID;

    /* Read into a scratch copy of the state first, so that a truncated image changes
     * nothing: the queues are the only allocations. */
    t = calloc(1, sizeof(*t));
    tot = calloc(e->nind + 1, sizeof(*tot));
    if (t == NULL || tot == NULL) {
        free(t);
        free(tot);
        return ENG_ERR_NOMEM;
    }
    t->points = calloc(e->npoints + 1, sizeof(*t->points));
    t->slots = calloc(e->nslots + 1, sizeof(*t->slots));
    t->inds = calloc(e->nind + 1, sizeof(*t->inds));
    if (t->points == NULL || t->slots == NULL || t->inds == NULL)
        goto nomem;
    for (i = 0; i < e->nind; i++) {
        t->inds[i].acc = calloc((size_t)e->ndays, sizeof(*t->inds[i].acc));
        if (t->inds[i].acc == NULL)
            goto nomem;
    }
    t->advanced = get_i64(&r);
    t->newest = get_i64(&r);
    for (i = 0; i < e->npoints; i++) {
        struct point *pt = &t->points[i];
        pt->has = (int)get_i64(&r);
        pt->t = get_i64(&r);
        pt->valid = (int)get_i64(&r);
        pt->v = get_dbl(&r);
        pt->done = get_i64(&r);
    }
    for (i = 0; i < e->nslots && !r.bad; i++) {
        struct slot *sl = &t->slots[i];
        uint64_t n;
        sl->ws = get_i64(&r);
        sl->we = get_i64(&r);
        sl->sum = get_dbl(&r);
        sl->known = get_i64(&r);
        for (d = 0; d < NCLS; d++)
            sl->acc[d] = get_i64(&r);
        sl->lowest = get_dbl(&r);
        sl->highest = get_dbl(&r);
        n = get_u64(&r);
        if (r.bad || n > (r.n - r.off) / (3 * sizeof(int64_t))) {
            r.bad = 1;
            break;
        }
        if (n > 0) {
            sl->q.v = malloc((size_t)n * sizeof(*sl->q.v));
            if (sl->q.v == NULL)
                goto nomem;
            sl->q.cap = sl->q.n = (size_t)n;
            for (k = 0; k < n; k++) {
                sl->q.v[k].a = get_i64(&r);
                sl->q.v[k].b = get_i64(&r);
                sl->q.v[k].cls = (int)get_i64(&r);
            }
        }
    }
    for (i = 0; i < e->nind && !r.bad; i++) {
        struct ind *in = &t->inds[i];
        for (c = 0; c < NCLS; c++)
            tot[i][c] = get_i64(&r);
        in->cursor = get_i64(&r);
        in->in_run = (int)get_i64(&r);
        in->run_start = get_i64(&r);
        in->run_end = get_i64(&r);
        in->nruns = get_u64(&r);
        in->run_total = get_i64(&r);
        in->run_longest = get_i64(&r);
        in->nlist = get_u64(&r);
        if (in->nlist > ENG_MAX_LIST || in->nlist > (r.n - r.off) / sizeof(*in->list)) {
            r.bad = 1;
            break;
        }
        if (list_room(in, in->nlist) < 0)
            goto nomem;
        get(&r, in->list, in->nlist * sizeof(*in->list));
        in->have_reading = (int)get_i64(&r);
        in->last_reading = get_dbl(&r);
        in->kwh = get_dbl(&r);
        in->resets = get_u64(&r);
        if (e->inds[i].cfg.kind == ENG_DELIVERY) {
            in->lat_n = get_u64(&r);
            in->lat_sum = get_dbl(&r);
            in->lat_min = get_dbl(&r);
            in->lat_max = get_dbl(&r);
        }
    }
    if (r.bad || r.off != r.n)
        goto invalid;
    /* The day rows: each in range, and together the totals the image was made with. */
    for (i = 0; i < ndays; i++) {
        const struct eng_day_acc *a = &days[i];
        if (a->ind >= e->nind || a->day < 0 || a->day >= e->ndays || a->good < 0 || a->bad < 0 ||
            a->unknown < 0 || a->na < 0)
            goto invalid;
        t->inds[a->ind].acc[a->day][CLS_GOOD] = a->good;
        t->inds[a->ind].acc[a->day][CLS_BAD] = a->bad;
        t->inds[a->ind].acc[a->day][CLS_UNKNOWN] = a->unknown;
        t->inds[a->ind].acc[a->day][CLS_NA] = a->na;
    }
    for (i = 0; i < e->nind; i++) {
        for (c = 0; c < NCLS; c++) {
            int64_t sum = 0;
            for (d = 0; d < e->ndays; d++)
                sum += t->inds[i].acc[d][c];
            if (sum != tot[i][c])
                goto invalid;
        }
    }

    /* Commit: swap the mutable state in, keep the configuration. */
    e->advanced = t->advanced;
    e->newest = t->newest;
    for (i = 0; i < e->npoints; i++) {
        struct point *pt = &e->points[i];
        pt->has = t->points[i].has;
        pt->t = t->points[i].t;
        pt->valid = t->points[i].valid;
        pt->v = t->points[i].v;
        pt->done = t->points[i].done;
    }
    for (i = 0; i < e->nslots; i++) {
        struct slot *sl = &e->slots[i], *ts = &t->slots[i];
        struct segq q = sl->q;
        sl->ws = ts->ws;
        sl->we = ts->we;
        sl->sum = ts->sum;
        sl->known = ts->known;
        memcpy(sl->acc, ts->acc, sizeof(sl->acc));
        sl->lowest = ts->lowest;
        sl->highest = ts->highest;
        sl->q = ts->q;
        ts->q = q; /* the old queue is freed with the scratch copy */
    }
    e->dtop = -1;
    for (i = 0; i < e->nind; i++) {
        struct ind *in = &e->inds[i], *ti = &t->inds[i];
        int64_t(*acc)[NCLS] = in->acc;
        struct eng_interruption *list = in->list;
        size_t list_cap = in->list_cap;

        /* The scratch copy's days and list become the engine's; the old ones are freed with
         * the scratch copy. */
        in->acc = ti->acc;
        ti->acc = acc;
        in->res_from = in->res_upto = 0; /* listed again at the next eng_result() */
        in->res_nlost = in->res_nunv = 0;
        memset(in->tot, 0, sizeof(in->tot));
        for (int dd = 0; dd < e->ndays; dd++)
            for (int cc = 0; cc < NCLS; cc++) {
                in->tot[cc] += in->acc[dd][cc];
                if (in->acc[dd][cc] != 0 && dd > e->dtop)
                    e->dtop = dd;
            }
        in->cursor = ti->cursor;
        in->in_run = ti->in_run;
        in->run_start = ti->run_start;
        in->run_end = ti->run_end;
        in->nruns = ti->nruns;
        in->run_total = ti->run_total;
        in->run_longest = ti->run_longest;
        in->nlist = ti->nlist;
        in->list = ti->list;
        in->list_cap = ti->list_cap;
        ti->list = list;
        ti->list_cap = list_cap;
        in->have_reading = ti->have_reading;
        in->last_reading = ti->last_reading;
        in->kwh = ti->kwh;
        in->resets = ti->resets;
        if (in->cfg.kind == ENG_DELIVERY) {
            in->lat_n = ti->lat_n;
            in->lat_sum = ti->lat_sum;
            in->lat_min = ti->lat_min;
            in->lat_max = ti->lat_max;
        }
        /* Derived, not stored: how many of the combined points' queues are empty. */
        if (in->combine) {
            in->nempty = 0;
            for (k = 0; k < in->cfg.npoints; k++)
                if (e->slots[in->first_slot + k].q.n == 0)
                    in->nempty++;
        }
    }
    /* Every day may be another now. */
    e->past++;
    eng_days_mark(e); /* the days are as the caller has them stored */
    snap_scratch_free(e, t);
    free(tot);
    return ENG_OK;
invalid:
    snap_scratch_free(e, t);
    free(tot);
    return ENG_ERR_INVALID;
nomem:
    snap_scratch_free(e, t);
    free(tot);
    return ENG_ERR_NOMEM;
}

static void
snap_scratch_free(const struct eng *e, struct eng *t)
{
    size_t i;

    for (i = 0; i < e->nslots && t->slots != NULL; i++)
        free(t->slots[i].q.v);
    for (i = 0; i < e->nind && t->inds != NULL; i++) {
        free(t->inds[i].acc);
        free(t->inds[i].list);
    }
    free(t->points);
    free(t->slots);
    free(t->inds);
    free(t);
}

void
eng_position(const struct eng *e, int64_t *newest, int64_t *advanced)
{
    *newest = e->newest;
    *advanced = e->advanced;
}

int64_t
eng_point_last(const struct eng *e, uint32_t p)
{
    if (p >= e->npoints || !e->points[p].has)
        return INT64_MIN;
    return e->points[p].t;
}

int
eng_point_sample(const struct eng *e, uint32_t p, int64_t *t, double *value, int *valid)
{
    const struct point *pt;

    if (p >= e->npoints || !e->points[p].has)
        return -1;
    pt = &e->points[p];
    *t = pt->t;
    *value = pt->v;
    *valid = pt->valid;
    return 0;
}

int
eng_day(const struct eng *e, size_t ind, int day, int64_t *good, int64_t *bad, int64_t *unknown,
        int64_t *na)
{
    if (ind >= e->nind || day < 0 || day >= e->ndays)
        return -1;
    *good = e->inds[ind].acc[day][CLS_GOOD];
    *bad = e->inds[ind].acc[day][CLS_BAD];
    *unknown = e->inds[ind].acc[day][CLS_UNKNOWN];
    *na = e->inds[ind].acc[day][CLS_NA];
    return 0;
}

uint64_t
eng_past_changes(const struct eng *e)
{
    return e->past;
}

int
eng_days_changed(const struct eng *e, int *first, int *last)
{
    if (e->dlo > e->dhi)
        return -1;
    *first = e->dlo;
    *last = e->dhi;
    return 0;
}

void
eng_days_mark(struct eng *e)
{
    e->dlo = e->ndays;
    e->dhi = -1;
}
