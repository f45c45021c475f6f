/*
 * alarm.c - alarm detection (see alarm.h).
 *
 * Each target is a two-state machine (clear, open) with one run being timed towards the
 * other state. Samples find their targets through a per-device index, so a sample costs
 * the number of targets on its device, not of all targets.
 */
#include "engine/alarm.h"
#include "engine/fnv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum verdict {
    V_CLEAR = 0,
    V_ACTIVE,
    V_UNKNOWN,
};

struct tstate {
    int open;
    int restored;      /* open since before a restart, and not observed since */
    int64_t run_since; /* first observation of the run being timed; INT64_MIN: none */
    int64_t last_t;    /* last observation; INT64_MIN: none */
    int64_t gap_ms;    /* the longest gap after it that still continues a run */
    /* no_answer: the cycle being gathered */
    uint64_t cycle;     /* 0: none */
    int answered;       /* some sample of it got an answer */
    int64_t cycle_t;    /* its newest sample's time */
    int64_t cycle_next; /* and that sample's next_ms */
    int unanswered;     /* unanswered cycles in a row */
};

struct alm {
    size_t nrules;
    struct alm_rule_cfg *rules;
    size_t ntargets;
    struct alm_target *targets;
    struct tstate *st;
    size_t ndevices;
    size_t *dev_first; /* targets of device d: by_dev[dev_first[d] .. dev_first[d + 1]) */
    size_t *by_dev;
    size_t max_per_dev;
};

static int observe(struct alm *a, size_t ti, int64_t t, int64_t next_ms, enum verdict v,
                   double value, struct alm_event *ev);
static int end_cycle(struct alm *a, size_t ti, struct alm_event *ev);
static enum verdict judge(const struct alm_rule_cfg *r, const struct alm_sample *s);

enum alm_status
alm_new(size_t nrules, const struct alm_rule_cfg *rules, size_t ntargets,
        const struct alm_target *targets, size_t ndevices, struct alm **out)
{
    struct alm *a;
    size_t i, *fill = NULL;

    *out = NULL;
    for (i = 0; i < nrules; i++) {
        const struct alm_rule_cfg *r = &rules[i];

        if (r->hold_ms < 0 || r->clear_ms < 0 || (r->cond == ALM_NO_ANSWER && r->polls < 1) ||
            (r->cond == ALM_IN_SET && (r->nset < 1 || r->nset > ALM_MAX_SET)) ||
            (r->cond == ALM_OUTSIDE && !(r->lo <= r->hi)))
            return ALM_ERR_INVALID;
    }
    for (i = 0; i < ntargets; i++) {
        const struct alm_target *tg = &targets[i];

        if (tg->rule >= nrules || tg->device >= ndevices || tg->stale_ms <= 0 ||
            (rules[tg->rule].cond == ALM_NO_ANSWER) != (tg->point == ALM_NO_POINT))
            return ALM_ERR_INVALID;
    }
    if ((a = calloc(1, sizeof(*a))) == NULL)
        return ALM_ERR_NOMEM;
    a->nrules = nrules;
    a->ntargets = ntargets;
    a->ndevices = ndevices;
    a->rules = calloc(nrules + 1, sizeof(*a->rules));
    a->targets = calloc(ntargets + 1, sizeof(*a->targets));
    a->st = calloc(ntargets + 1, sizeof(*a->st));
    a->dev_first = calloc(ndevices + 1, sizeof(*a->dev_first));
    a->by_dev = calloc(ntargets + 1, sizeof(*a->by_dev));
    fill = calloc(ndevices + 1, sizeof(*fill));
    if (a->rules == NULL || a->targets == NULL || a->st == NULL || a->dev_first == NULL ||
        a->by_dev == NULL || fill == NULL) {
        free(fill);
        alm_free(a);
        return ALM_ERR_NOMEM;
    }
    if (nrules > 0)
        memcpy(a->rules, rules, nrules * sizeof(*rules));
    if (ntargets > 0)
        memcpy(a->targets, targets, ntargets * sizeof(*targets));
    alm_reset(a);
    for (i = 0; i < ntargets; i++)
        a->dev_first[targets[i].device + 1]++;
    for (i = 0; i < ndevices; i++) {
        size_t n = a->dev_first[i + 1];

        if (n > a->max_per_dev)
            a->max_per_dev = n;
        a->dev_first[i + 1] += a->dev_first[i];
    }
    for (i = 0; i < ntargets; i++) {
        uint32_t d = targets[i].device;
        a->by_dev[a->dev_first[d] + fill[d]++] = i;
    }
    free(fill);
    *out = a;
    return ALM_OK;
}

void
alm_free(struct alm *a)
{
    if (a == NULL)
        return;
    free(a->rules);
    free(a->targets);
    free(a->st);
    free(a->dev_first);
    free(a->by_dev);
    free(a);
}

void
alm_reset(struct alm *a)
{
    for (size_t i = 0; i < a->ntargets; i++) {
        memset(&a->st[i], 0, sizeof(a->st[i]));
        a->st[i].run_since = INT64_MIN;
        a->st[i].last_t = INT64_MIN;
    }
}

void
alm_restore_open(struct alm *a, size_t target)
{
    if (target >= a->ntargets)
        return;
    a->st[target].open = 1;
    a->st[target].restored = 1;
    a->st[target].run_since = INT64_MIN;
}

int
alm_is_open(const struct alm *a, size_t target)
{
    return target < a->ntargets && a->st[target].open;
}

#define ALM_SNAP_MAGIC 0x52574c41u /* "RWAL" */
#define ALM_SNAP_VERSION 1u
#define ALM_SNAP_FIELDS 10 /* int64 per target */

/* The rules and targets, field by field (structs have padding): an image is taken back only
 * by a detector that judges the same way. */
static uint64_t
config_hash(const struct alm *a)
{
    uint64_t h = FNV1A_INIT;

    for (size_t i = 0; i < a->nrules; i++) {
        const struct alm_rule_cfg *r = &a->rules[i];
        int64_t f[5] = {r->cond, r->nset, r->polls, r->hold_ms, r->clear_ms};

        h = fnv1a(h, f, sizeof(f));
        h = fnv1a(h, &r->lo, sizeof(r->lo));
        h = fnv1a(h, &r->hi, sizeof(r->hi));
        h = fnv1a(h, r->set, (size_t)r->nset * sizeof(r->set[0]));
    }
    for (size_t i = 0; i < a->ntargets; i++) {
        const struct alm_target *t = &a->targets[i];
        int64_t f[4] = {(int64_t)t->rule, t->device, t->point, t->stale_ms};

        h = fnv1a(h, f, sizeof(f));
    }
    return h;
}

enum alm_status
alm_snapshot(const struct alm *a, void **buf, size_t *len)
{
    uint64_t hdr[3] = {((uint64_t)ALM_SNAP_MAGIC << 32) | ALM_SNAP_VERSION, a->ntargets,
                       config_hash(a)};
    size_t n = sizeof(hdr) + a->ntargets * ALM_SNAP_FIELDS * sizeof(int64_t);
    int64_t *f;

    if ((*buf = malloc(n)) == NULL)
        return ALM_ERR_NOMEM;
    memcpy(*buf, hdr, sizeof(hdr));
    f = (int64_t *)((char *)*buf + sizeof(hdr));
    for (size_t i = 0; i < a->ntargets; i++, f += ALM_SNAP_FIELDS) {
        const struct tstate *st = &a->st[i];

        f[0] = st->open;
        f[1] = st->restored;
        f[2] = st->run_since;
        f[3] = st->last_t;
        f[4] = st->gap_ms;
        f[5] = (int64_t)st->cycle;
        f[6] = st->answered;
        f[7] = st->cycle_t;
        f[8] = st->cycle_next;
        f[9] = st->unanswered;
    }
    *len = n;
    return ALM_OK;
}

enum alm_status
alm_restore(struct alm *a, const void *buf, size_t len)
{
    uint64_t hdr[3];
    const char *f;

    if (buf == NULL || len != sizeof(hdr) + a->ntargets * ALM_SNAP_FIELDS * sizeof(int64_t))
        return ALM_ERR_INVALID;
    memcpy(hdr, buf, sizeof(hdr));
    if (hdr[0] != (((uint64_t)ALM_SNAP_MAGIC << 32) | ALM_SNAP_VERSION) || hdr[1] != a->ntargets ||
        hdr[2] != config_hash(a))
        return ALM_ERR_INVALID;
    f = (const char *)buf + sizeof(hdr);
    for (size_t i = 0; i < a->ntargets; i++) {
        struct tstate *st = &a->st[i];
        int64_t v[ALM_SNAP_FIELDS];

        memcpy(v, f + i * sizeof(v), sizeof(v)); /* buf need not be aligned */
        st->open = v[0] != 0;
        st->restored = v[1] != 0;
        st->run_since = v[2];
        st->last_t = v[3];
        st->gap_ms = v[4];
        st->cycle = (uint64_t)v[5];
        st->answered = v[6] != 0;
        st->cycle_t = v[7];
        st->cycle_next = v[8];
        st->unanswered = (int)v[9];
    }
    return ALM_OK;
}

size_t
alm_max_events(const struct alm *a)
{
    /* A no_answer target may end the previous cycle and the current one in one sample. */
    return 2 * a->max_per_dev;
}

size_t
alm_sample(struct alm *a, const struct alm_sample *s, struct alm_event *out, size_t max)
{
    size_t n = 0, k;

    if (s->device >= a->ndevices)
        return 0;
    for (k = a->dev_first[s->device]; k < a->dev_first[s->device + 1]; k++) {
        size_t ti = a->by_dev[k];
        const struct alm_target *tg = &a->targets[ti];
        const struct alm_rule_cfg *r = &a->rules[tg->rule];
        struct tstate *st = &a->st[ti];
        struct alm_event ev;

        if (r->cond != ALM_NO_ANSWER) {
            if (tg->point == s->point &&
                observe(a, ti, s->t, s->next_ms, judge(r, s), s->value, &ev) && n < max)
                out[n++] = ev;
            continue;
        }
        /* A sample of another cycle ends the one gathered (its last sample may have been
         * dropped by a full queue). */
        if (st->cycle != 0 && s->cycle != st->cycle && end_cycle(a, ti, &ev) && n < max)
            out[n++] = ev;
        if (st->cycle != s->cycle) {
            st->cycle = s->cycle;
            st->answered = 0;
        }
        st->answered |= s->q != ALM_Q_NO_ANSWER;
        st->cycle_t = s->t;
        st->cycle_next = s->next_ms;
        if (s->last && end_cycle(a, ti, &ev) && n < max)
            out[n++] = ev;
    }
    return n;
}

static enum verdict
judge(const struct alm_rule_cfg *r, const struct alm_sample *s)
{
    double v = s->value;
    int i;

    if (s->q != ALM_Q_GOOD || !isfinite(v))
        return V_UNKNOWN;
    switch (r->cond) {
    case ALM_OUTSIDE:
        return v < r->lo || v > r->hi ? V_ACTIVE : V_CLEAR;
    case ALM_ABOVE:
        return v > r->lo ? V_ACTIVE : V_CLEAR;
    case ALM_BELOW:
        return v < r->hi ? V_ACTIVE : V_CLEAR;
    case ALM_IN_SET:
        for (i = 0; i < r->nset; i++)
            if (v == r->set[i])
                return V_ACTIVE;
        return V_CLEAR;
    case ALM_NO_ANSWER:
        break;
    }
    return V_UNKNOWN;
}

/* The gathered cycle of no_answer target ti is complete: observe it. */
static int
end_cycle(struct alm *a, size_t ti, struct alm_event *ev)
{
    struct tstate *st = &a->st[ti];
    const struct alm_rule_cfg *r = &a->rules[a->targets[ti].rule];
    enum verdict v;

    st->cycle = 0;
    if (st->answered) {
        st->unanswered = 0;
        v = V_CLEAR;
    } else {
        if (st->unanswered < r->polls)
            st->unanswered++;
        /* Before the polls-th silent cycle the condition has not begun; an open target's
         * device that is still silent is active whatever the count (after a restart the
         * count starts again). */
        v = st->open || st->unanswered >= r->polls ? V_ACTIVE : V_CLEAR;
    }
    return observe(a, ti, st->cycle_t, st->cycle_next, v, NAN, ev);
}

/* One observation of target ti; 1 and *ev when it makes a transition. */
static int
observe(struct alm *a, size_t ti, int64_t t, int64_t next_ms, enum verdict v, double value,
        struct alm_event *ev)
{
    const struct alm_target *tg = &a->targets[ti];
    const struct alm_rule_cfg *r = &a->rules[tg->rule];
    struct tstate *st = &a->st[ti];
    enum verdict want;

    /* Time nobody watched never counts towards a hold. */
    if (st->last_t != INT64_MIN && t - st->last_t > st->gap_ms)
        st->run_since = INT64_MIN;
    st->last_t = t;
    /* A device being backed off is asked again only after next_ms (up to a minute). */
    st->gap_ms = next_ms > tg->stale_ms / 2 ? 2 * next_ms : tg->stale_ms;
    if (v == V_UNKNOWN) {
        st->run_since = INT64_MIN;
        return 0;
    }
    memset(ev, 0, sizeof(*ev));
    ev->target = ti;
    ev->value = value;
    if (st->restored) {
        st->restored = 0;
        if (v == V_ACTIVE)
            return 0;
        st->open = 0;
        st->run_since = INT64_MIN;
        ev->kind = ALM_RESOLVE;
        ev->since = ev->at = t;
        ev->flags = ALM_F_CLEARED_WHILE_DOWN;
        return 1;
    }
    want = st->open ? V_CLEAR : V_ACTIVE;
    if (v != want) {
        st->run_since = INT64_MIN;
        return 0;
    }
    if (st->run_since == INT64_MIN)
        st->run_since = t;
    if (t - st->run_since < (st->open ? r->clear_ms : r->hold_ms))
        return 0;
    ev->kind = st->open ? ALM_RESOLVE : ALM_OPEN;
    ev->since = st->run_since;
    ev->at = t;
    st->open = !st->open;
    st->run_since = INT64_MIN;
    return 1;
}
