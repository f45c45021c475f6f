/*
 * rpt_alert.c - alert states and their changes (see rpt_alert.h).
 *
 * The burn-rate windows are read from a ring of the cumulative bad and known time, one slot
 * per evaluated minute, as long as the longest window: burn over [t - w, t] is the
 * difference of the sums at its ends. A window the history does not reach back to (the
 * period's first hours, or after the state was created mid-period) has no burn: a tier
 * never fires on less than its whole long window.
 *
 * The ring is small because it is resident memory on a gateway, one per indicator with a
 * target (a year's longest window is 4693 minutes): exactly `span` slots of two doubles
 * (16 bytes; minute x in slot x % span), and a bitmap of which slots hold their minute,
 * instead of a minute tag in every slot. The slots of a ring of 16 KiB or more (a year's) are a
 * private anonymous mapping of their own (smaller ones, and all under ASan: malloc()), never
 * cleared: a slot is only read once its bit says it was written, so the pages of a ring stay
 * untouched (and not resident) until the history reaches them. A minute-tagged ring
 * had to be filled with "empty" marks from the start. malloc() would not do either (a year's
 * ring, 73 KiB, is under glibc's 128 KiB mmap threshold): it carves the ring from heap memory
 * that start-up has already made resident, and calloc() clears such a chunk, touching every
 * page. In the full room of tests/bench/bench.py (eight rings) the mapping took 0.18 MiB off
 * roomwatchd's peak RSS.
 * Invariant: for every minute x in (newest - span, newest] (newest: the last minute stepped
 * with data), x's bit is set iff the step at x stored data; a step clears the bits of the
 * minutes it skipped. This reads exactly as the old tagged ring did, and writes the same
 * images (rpt_alert_snapshot()).
 */
#include "report/rpt_alert.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "engine/fnv.h"

#define MIN_MS RPT_ALERT_STEP_MS

struct slot {
    double bad, known; /* the sums at the slot's minute */
};

struct rpt_alert {
    struct rpt_alert_conf c;
    enum rpt_alert_state state;
    int64_t last_t;            /* the last observation; INT64_MIN: none */
    int64_t last_alert_t;      /* INT64_MIN: none */
    enum rpt_alert_state want; /* the less urgent state being asked for */
    int64_t want_since;
    size_t span;       /* minutes the windows reach back, the newest included: the ring's slots */
    int64_t newest;    /* the last minute (>= 0) stepped with data; -1: none */
    struct slot *ring; /* minute x in slot x % span */
    uint64_t *valid;   /* bit x % span: minute x in (newest - span, newest] has its slot */
    double lw[RPT_ALERT_MAX_TIERS], sw[RPT_ALERT_MAX_TIERS];
};

void
rpt_alert_defaults(int64_t period_ms, struct rpt_alert_conf *c)
{
    /* Pyrra's 28-day page tiers, scaled by period / 28 days. */
    static const int64_t base_long[] = {3600000LL, 6 * 3600000LL};
    static const double burn[] = {14.0, 7.0};
    const double scale = (double)period_ms / (28.0 * 86400000.0);

    memset(c, 0, sizeof(*c));
    c->ntiers = 2;
    for (size_t k = 0; k < c->ntiers; k++) {
        int64_t lw = (int64_t)llround((double)base_long[k] * scale / (double)MIN_MS) * MIN_MS;
        int64_t sw = (int64_t)llround((double)lw / 12.0 / (double)MIN_MS) * MIN_MS;

        c->tier[k].long_ms = lw < MIN_MS ? MIN_MS : lw;
        c->tier[k].short_ms = sw < MIN_MS ? MIN_MS : sw;
        c->tier[k].burn = burn[k];
    }
    c->clear_ratio = 0.5;
    c->hold_ms = 3600000LL;
    c->min_interval_ms = 15 * MIN_MS;
    c->left_low_ms = 30 * MIN_MS;
}

/* Words of a validity bitmap of span bits. */
static size_t
nwords(size_t span)
{
    return (span + 63) / 64;
}

/* Under AddressSanitizer the slots come from malloc(), whose redzones catch a slot index
 * out of range; a mapping has none. */
#if defined(__SANITIZE_ADDRESS__)
#define RING_MAPPED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RING_MAPPED 0
#endif
#endif
#ifndef RING_MAPPED
#define RING_MAPPED 1
#endif
/* A ring smaller than this (a day's or a month's period) stays on the heap: a mapping would
 * hold a whole page and a kernel mapping for it. */
#define RING_MAP_MIN (16 * 1024)

static int
ring_mapped(size_t span)
{
    return RING_MAPPED && span * sizeof(struct slot) >= RING_MAP_MIN;
}

/* The slots, never cleared: a mapping's fresh zero pages become resident only as minutes are
 * written (see the top). */
static struct slot *
ring_alloc(size_t span)
{
    void *p;

    if (!ring_mapped(span))
        return malloc(span * sizeof(struct slot));
    p = mmap(NULL, span * sizeof(struct slot), PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void
ring_free(struct slot *r, size_t span)
{
    if (r == NULL)
        return;
    if (ring_mapped(span))
        munmap(r, span * sizeof(struct slot));
    else
        free(r);
}

struct rpt_alert *
rpt_alert_new(const struct rpt_alert_conf *c)
{
    struct rpt_alert *a = calloc(1, sizeof(*a));
    int64_t longest = 0;

    if (a == NULL)
        return NULL;
    a->c = *c;
    if (a->c.ntiers > RPT_ALERT_MAX_TIERS)
        a->c.ntiers = RPT_ALERT_MAX_TIERS;
    /* The short windows too: a conf that is not the config's (short < long) still reads
     * them from the history. */
    for (size_t k = 0; k < a->c.ntiers; k++) {
        if (a->c.tier[k].long_ms > longest)
            longest = a->c.tier[k].long_ms;
        if (a->c.tier[k].short_ms > longest)
            longest = a->c.tier[k].short_ms;
    }
    a->span = (size_t)(longest / MIN_MS) + 1;
    a->newest = -1;
    /* Not cleared (see the top): pages are only made resident by the minutes written. */
    a->ring = ring_alloc(a->span);
    a->valid = calloc(nwords(a->span), sizeof(*a->valid));
    if (a->ring == NULL || a->valid == NULL) {
        rpt_alert_free(a);
        return NULL;
    }
    a->state = RPT_ALERT_NONE;
    a->last_t = a->last_alert_t = INT64_MIN;
    a->want = RPT_ALERT_NONE;
    for (size_t k = 0; k < RPT_ALERT_MAX_TIERS; k++)
        a->lw[k] = a->sw[k] = NAN;
    return a;
}

void
rpt_alert_free(struct rpt_alert *a)
{
    if (a == NULL)
        return;
    ring_free(a->ring, a->span);
    free(a->valid);
    free(a);
}

static int
bit_get(const uint64_t *v, size_t i)
{
    return (int)(v[i / 64] >> (i % 64)) & 1;
}

/* Clears bits [lo, hi), a word at a time where whole words are covered. */
static void
bits_clear(uint64_t *v, size_t lo, size_t hi)
{
    for (; lo < hi && lo % 64 != 0; lo++)
        v[lo / 64] &= ~((uint64_t)1 << (lo % 64));
    for (; hi - lo >= 64; lo += 64)
        v[lo / 64] = 0;
    for (; lo < hi; lo++)
        v[lo / 64] &= ~((uint64_t)1 << (lo % 64));
}

/* The slot index d minutes before the one at index i (0 <= d < span): no division. */
static size_t
back(const struct rpt_alert *a, size_t i, int64_t d)
{
    return i >= (size_t)d ? i - (size_t)d : i + a->span - (size_t)d;
}

/*
 * Stores the sums of minute m (>= 0, its slot index im), with data. The minutes since the
 * newest one with data had none: their bits are cleared (what they hold is a span older).
 * A minute not after the newest (only when rpt_alert_resume() went back before the history)
 * begins the history afresh.
 */
static void
record(struct rpt_alert *a, int64_t m, size_t im, double bad, double known)
{
    if (a->newest < 0 || m <= a->newest || m - a->newest > (int64_t)a->span) {
        if (a->newest >= 0)
            memset(a->valid, 0, nwords(a->span) * sizeof(*a->valid));
    } else if (m - a->newest > 1) {
        size_t n = (size_t)(m - a->newest - 1), lo = back(a, im, (int64_t)n);

        if (lo + n <= a->span) {
            bits_clear(a->valid, lo, lo + n);
        } else {
            bits_clear(a->valid, lo, a->span);
            bits_clear(a->valid, 0, lo + n - a->span);
        }
    }
    a->valid[im / 64] |= (uint64_t)1 << (im % 64);
    a->ring[im].bad = bad;
    a->ring[im].known = known;
    a->newest = m;
}

/* The burn over the window of w ms ending at minute m (slot index im), whose slot is now. */
static double
window_burn(const struct rpt_alert *a, const struct slot *now, int64_t m, size_t im, int64_t w,
            double share)
{
    const struct slot *then;
    int64_t d = w / MIN_MS;
    size_t i;
    double known;

    if (now == NULL || d < 0 || d >= (int64_t)a->span || m - d < 0)
        return NAN; /* no data now, or a window from the future or past the history */
    i = back(a, im, d);
    if (!bit_get(a->valid, i))
        return NAN;
    then = &a->ring[i];
    known = now->known - then->known;
    if (!(known > 0))
        return NAN;
    return (now->bad - then->bad) / known / share;
}

/* The state o asks for, given the current state (for fast_burn's hysteresis). */
static enum rpt_alert_state
asked(struct rpt_alert *a, const struct rpt_alert_obs *o)
{
    int fast = 0, still = 0;

    for (size_t k = 0; k < a->c.ntiers; k++) {
        const struct rpt_alert_tier *tr = &a->c.tier[k];

        if (!isnan(a->lw[k]) && !isnan(a->sw[k]) && a->lw[k] >= tr->burn && a->sw[k] >= tr->burn)
            fast = 1;
        if (!isnan(a->lw[k]) && !isnan(a->sw[k]) && a->lw[k] >= a->c.clear_ratio * tr->burn &&
            a->sw[k] >= a->c.clear_ratio * tr->burn)
            still = 1;
    }
    if (o->status == RPT_LOST)
        return RPT_ALERT_LOST;
    if (fast || (a->state == RPT_ALERT_FAST_BURN && still))
        return RPT_ALERT_FAST_BURN;
    if (o->status == RPT_NONE)
        return RPT_ALERT_NONE;
    if (o->status == RPT_UNVERIFIED)
        return RPT_ALERT_UNVERIFIED;
    if (o->status == RPT_AT_RISK) {
        if (isnan(o->left_ms) || o->left_ms <= (double)a->c.left_low_ms)
            return RPT_ALERT_AT_RISK;
    }
    return RPT_ALERT_OK;
}

/* The tier that fires now, or -1. */
static int
firing_tier(const struct rpt_alert *a)
{
    for (size_t k = 0; k < a->c.ntiers; k++)
        if (!isnan(a->lw[k]) && !isnan(a->sw[k]) && a->lw[k] >= a->c.tier[k].burn &&
            a->sw[k] >= a->c.tier[k].burn)
            return (int)k;
    return -1;
}

int
rpt_alert_step(struct rpt_alert *a, const struct rpt_alert_obs *o, struct rpt_alert_change *ch)
{
    int64_t m;
    size_t im = 0;
    const struct slot *now = NULL;
    enum rpt_alert_state want, from;

    if (o->t % MIN_MS != 0 || (a->last_t != INT64_MIN && o->t <= a->last_t))
        return 0;
    a->last_t = o->t;
    m = o->t / MIN_MS;
    /* A minute before 1970 is never read back (a window needs both ends >= 0): not stored.
     * Without data nothing is written: the minute is after the newest, so it reads as none. */
    if (m >= 0 && o->share > 0 && !isnan(o->bad_ms) && !isnan(o->known_ms)) {
        im = (size_t)(m % (int64_t)a->span); /* the one division of the step */
        record(a, m, im, o->bad_ms, o->known_ms);
        now = &a->ring[im];
    }
    for (size_t k = 0; k < a->c.ntiers; k++) {
        a->lw[k] = window_burn(a, now, m, im, a->c.tier[k].long_ms, o->share);
        a->sw[k] = window_burn(a, now, m, im, a->c.tier[k].short_ms, o->share);
#if defined(__GNUC__)
        /* The slots the next minute's windows begin at were written hours or days ago and
         * are out of the cache by now: fetched while the minute's samples are fed. */
        if (now != NULL) {
            size_t next = im + 1 == a->span ? 0 : im + 1;
            int64_t dl = a->c.tier[k].long_ms / MIN_MS, ds = a->c.tier[k].short_ms / MIN_MS;

            if (dl >= 0 && dl < (int64_t)a->span)
                __builtin_prefetch(&a->ring[back(a, next, dl)]);
            if (ds >= 0 && ds < (int64_t)a->span)
                __builtin_prefetch(&a->ring[back(a, next, ds)]);
        }
#endif
    }
    if (a->state == RPT_ALERT_LOST)
        return 0; /* lost stays lost */
    want = asked(a, o);
    if (want == RPT_ALERT_NONE || want == a->state) {
        a->want = RPT_ALERT_NONE;
        return 0;
    }
    if (a->state == RPT_ALERT_NONE && want == RPT_ALERT_OK) {
        a->state = RPT_ALERT_OK; /* the first judgement: nothing to announce */
        return 0;
    }
    if (want < a->state && a->state != RPT_ALERT_NONE) {
        /* Less urgent: only once asked for without a break for hold. */
        if (a->want != want) {
            a->want = want;
            a->want_since = o->t;
        }
        if (o->t - a->want_since < a->c.hold_ms)
            return 0;
    }
    if (want != RPT_ALERT_LOST && a->last_alert_t != INT64_MIN &&
        o->t - a->last_alert_t < a->c.min_interval_ms)
        return 0;
    from = a->state == RPT_ALERT_NONE ? RPT_ALERT_OK : a->state;
    a->state = want;
    a->want = RPT_ALERT_NONE;
    a->last_alert_t = o->t;
    memset(ch, 0, sizeof(*ch));
    ch->t = o->t;
    ch->from = from;
    ch->to = want;
    ch->kind = want == RPT_ALERT_LOST ? "lost" : want == RPT_ALERT_OK ? "recovered" : "raised";
    ch->tier = want == RPT_ALERT_FAST_BURN ? firing_tier(a) : -1;
    ch->ntiers = a->c.ntiers;
    for (size_t k = 0; k < a->c.ntiers; k++) {
        ch->burn_long[k] = a->lw[k];
        ch->burn_short[k] = a->sw[k];
    }
    return 1;
}

void
rpt_alert_observe(const struct cfg_indicator *in, const struct eng_result *r,
                  const struct rpt_judgement *j, int64_t t, struct rpt_alert_obs *o)
{
    memset(o, 0, sizeof(*o));
    o->t = t;
    o->status = j->status;
    o->coverage = r->coverage;
    o->bad_ms = o->known_ms = o->share = o->left_ms = NAN;
    switch (in->kind) {
    case CFG_IND_BAND:
        o->bad_ms = (double)r->band.out_ms;
        o->known_ms = (double)(r->band.in_ms + r->band.out_ms);
        o->share = j->share; /* rpt_allowed_share(), as rpt_judge() found it */
        break;
    case CFG_IND_AVAILABILITY:
    case CFG_IND_FAULT_RATE:
        o->bad_ms = (double)r->down_ms;
        o->known_ms = (double)(r->up_ms + r->down_ms);
        o->share = j->share; /* rpt_allowed_share(), as rpt_judge() found it */
        break;
    case CFG_IND_DOWNTIME:
        /* Down time per wall-clock time, against the budget per period time. */
        if (j->has_budget && r->period_ms > 0) {
            o->bad_ms = j->used * 3600000.0;
            o->known_ms = (double)r->elapsed_ms;
            o->share = j->total * 3600000.0 / (double)r->period_ms;
        }
        break;
    default:
        break; /* day counts, energy, delivery: no burn-rate tiers */
    }
}

void
rpt_alert_observe_inc(const struct cfg_indicator *in, const struct rpt_judgement *j, int64_t t,
                      struct rpt_alert_obs *o)
{
    memset(o, 0, sizeof(*o));
    o->t = t;
    o->status = j->status;
    o->coverage = o->bad_ms = o->known_ms = o->share = o->left_ms = NAN;
    /* rpt_inc.h: a mean's budget is in s, left what the open incidents may still last. */
    if ((in->kind == CFG_IND_MTTR || in->kind == CFG_IND_MTTA) && j->has_budget &&
        j->status == RPT_AT_RISK)
        o->left_ms = j->left * 1000.0;
}

enum rpt_alert_state
rpt_alert_current(const struct rpt_alert *a)
{
    return a->state;
}

const struct rpt_alert_conf *
rpt_alert_conf(const struct rpt_alert *a)
{
    return &a->c;
}

void
rpt_alert_resume(struct rpt_alert *a, enum rpt_alert_state st, int64_t t)
{
    if (st == RPT_ALERT_NONE)
        return;
    a->state = st;
    a->last_alert_t = t;
    a->last_t = t;
}

void
rpt_alert_burn(const struct rpt_alert *a, size_t k, double *lw, double *sw)
{
    *lw = k < a->c.ntiers ? a->lw[k] : NAN;
    *sw = k < a->c.ntiers ? a->sw[k] : NAN;
}

const char *
rpt_alert_state_name(enum rpt_alert_state s)
{
    switch (s) {
    case RPT_ALERT_OK:
        return "ok";
    case RPT_ALERT_UNVERIFIED:
        return "unverified";
    case RPT_ALERT_AT_RISK:
        return "at_risk";
    case RPT_ALERT_FAST_BURN:
        return "fast_burn";
    case RPT_ALERT_LOST:
        return "lost";
    case RPT_ALERT_NONE:
        break;
    }
    return NULL;
}

int
rpt_alert_urgency(enum rpt_alert_state s)
{
    return s == RPT_ALERT_NONE ? -1 : (int)s - (int)RPT_ALERT_OK;
}

/*
 * The image (rpt_alert_snapshot()): a header, the state's scalars, then the ring from its
 * oldest minute to its newest as runs, since a checkpoint rewrites it every minute on an SD
 * card and a year's windows reach 4694 minutes of two doubles back (16 bytes each in memory;
 * the image predates the ring's bitmap and keeps its format: "newest" is the last minute
 * stepped with data, the history the span up to it). A run is a tag and a count:
 *  - GAP: count minutes without a slot;
 *  - STEP: count slots, each the one before plus (dbad, dknown), integers as zigzag varints.
 *    Taken only where the sum reads back to the very same double, so a restored ring is
 *    the saved one bit for bit;
 *  - RAW: one slot, its two doubles as they are (the first one, or a step that is no
 *    integer: downtime's sums are hours x 3600000).
 * Steady time (every minute known, nothing out or a constant share) is one RAW and one STEP
 * run, a few dozen bytes; the worst case, a state that changes every minute, about 7 bytes a
 * minute of the longest window. Host byte order: the image stays on its machine.
 */
#define SNAP_MAGIC 0x52574153u /* "RWAS" */
#define SNAP_VERSION 1u

enum { RUN_GAP = 0, RUN_STEP, RUN_RAW };

struct wbuf {
    unsigned char *p;
    size_t len, cap;
    int fail;
};

static void
put(struct wbuf *w, const void *v, size_t n)
{
    if (w->fail)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap > 0 ? w->cap * 2 : 256;
        unsigned char *p;

        while (cap < w->len + n)
            cap *= 2;
        if ((p = realloc(w->p, cap)) == NULL) {
            w->fail = 1;
            return;
        }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, v, n);
    w->len += n;
}

static void
put_var(struct wbuf *w, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;

    do {
        b[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v != 0)
            b[n] |= 0x80;
        n++;
    } while (v != 0);
    put(w, b, n);
}

struct rbuf {
    const unsigned char *p;
    size_t len, off;
    int fail;
};

static void
get(struct rbuf *r, void *v, size_t n)
{
    if (r->fail || r->len - r->off < n) {
        r->fail = 1;
        memset(v, 0, n);
        return;
    }
    memcpy(v, r->p + r->off, n);
    r->off += n;
}

static uint64_t
get_var(struct rbuf *r)
{
    uint64_t v = 0;

    for (unsigned shift = 0; shift < 64; shift += 7) {
        unsigned char b;

        get(r, &b, 1);
        if (r->fail)
            return 0;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->fail = 1;
    return 0;
}

static uint64_t
zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t
unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* The conf, hashed field by field (no padding): an image of another conf is not taken. */
static uint64_t
conf_hash(const struct rpt_alert_conf *c)
{
    uint64_t h = FNV1A_INIT, n = c->ntiers;

    h = fnv1a(h, &n, sizeof(n));
    for (size_t k = 0; k < c->ntiers; k++) {
        h = fnv1a(h, &c->tier[k].long_ms, sizeof(c->tier[k].long_ms));
        h = fnv1a(h, &c->tier[k].short_ms, sizeof(c->tier[k].short_ms));
        h = fnv1a(h, &c->tier[k].burn, sizeof(c->tier[k].burn));
    }
    h = fnv1a(h, &c->clear_ratio, sizeof(c->clear_ratio));
    h = fnv1a(h, &c->hold_ms, sizeof(c->hold_ms));
    h = fnv1a(h, &c->min_interval_ms, sizeof(c->min_interval_ms));
    return fnv1a(h, &c->left_low_ms, sizeof(c->left_low_ms));
}

/* An integer step from a to b that reads back exactly: 1 and *d, else 0. */
static int
int_step(double a, double b, int64_t *d)
{
    double x = b - a;

    if (!(fabs(x) < 9007199254740992.0) || x != floor(x))
        return 0;
    *d = (int64_t)x;
    return a + (double)*d == b;
}

static void
put_run(struct wbuf *w, int tag, uint64_t count, int64_t db, int64_t dk)
{
    unsigned char t = (unsigned char)tag;

    if (count == 0)
        return;
    put(w, &t, 1);
    put_var(w, count);
    if (tag == RUN_STEP) {
        put_var(w, zigzag(db));
        put_var(w, zigzag(dk));
    }
}

int
rpt_alert_snapshot(const struct rpt_alert *a, void **buf, size_t *len)
{
    struct wbuf w = {0};
    uint32_t hdr[2] = {SNAP_MAGIC, SNAP_VERSION};
    uint64_t h = conf_hash(&a->c), span = a->span, count = 0;
    int32_t st[2] = {(int32_t)a->state, (int32_t)a->want};
    int64_t times[3] = {a->last_t, a->last_alert_t, a->want_since};
    int64_t newest = a->newest, db = 0, dk = 0;
    const struct slot *prev = NULL;
    int tag = RUN_GAP;
    size_t i = newest >= 0 ? (size_t)((newest + 1) % (int64_t)a->span) : 0; /* the oldest's */

    put(&w, hdr, sizeof(hdr));
    put(&w, &h, sizeof(h));
    put(&w, st, sizeof(st));
    put(&w, times, sizeof(times));
    put(&w, a->lw, sizeof(a->lw));
    put(&w, a->sw, sizeof(a->sw));
    put(&w, &span, sizeof(span));
    put(&w, &newest, sizeof(newest));
    for (int64_t m = newest - (int64_t)a->span + 1; newest >= 0 && m <= newest;
         m++, i = i + 1 == a->span ? 0 : i + 1) {
        const struct slot *s = m >= 0 && bit_get(a->valid, i) ? &a->ring[i] : NULL;
        int64_t b, k;

        if (s == NULL) {
            if (tag != RUN_GAP) {
                put_run(&w, tag, count, db, dk);
                tag = RUN_GAP;
                count = 0;
            }
            count++;
            prev = NULL;
            continue;
        }
        if (prev != NULL && int_step(prev->bad, s->bad, &b) &&
            int_step(prev->known, s->known, &k)) {
            if (tag == RUN_STEP && b == db && k == dk) {
                count++;
            } else {
                put_run(&w, tag, count, db, dk);
                tag = RUN_STEP;
                count = 1;
                db = b;
                dk = k;
            }
        } else {
            unsigned char t = RUN_RAW;

            put_run(&w, tag, count, db, dk);
            tag = RUN_GAP;
            count = 0;
            put(&w, &t, 1);
            put(&w, &s->bad, sizeof(s->bad));
            put(&w, &s->known, sizeof(s->known));
        }
        prev = s;
    }
    put_run(&w, tag, count, db, dk);
    if (w.fail) {
        free(w.p);
        return -1;
    }
    *buf = w.p;
    *len = w.len;
    return 0;
}

int
rpt_alert_restore(struct rpt_alert *a, const void *buf, size_t len)
{
    struct rbuf r = {buf, len, 0, 0};
    uint32_t hdr[2];
    uint64_t h, span;
    int32_t st[2];
    int64_t times[3], newest, m, last_m = -1;
    double lw[RPT_ALERT_MAX_TIERS], sw[RPT_ALERT_MAX_TIERS];
    struct slot *ring, last = {0, 0};
    uint64_t *valid;

    get(&r, hdr, sizeof(hdr));
    get(&r, &h, sizeof(h));
    get(&r, st, sizeof(st));
    get(&r, times, sizeof(times));
    get(&r, lw, sizeof(lw));
    get(&r, sw, sizeof(sw));
    get(&r, &span, sizeof(span));
    get(&r, &newest, sizeof(newest));
    if (r.fail || hdr[0] != SNAP_MAGIC || hdr[1] != SNAP_VERSION || h != conf_hash(&a->c) ||
        span != a->span || st[0] < RPT_ALERT_NONE || st[0] > RPT_ALERT_LOST ||
        st[1] < RPT_ALERT_NONE || st[1] > RPT_ALERT_LOST || newest < -1 ||
        newest > INT64_MAX / MIN_MS) /* no time's minute: a damaged image */
        return -1;
    ring = ring_alloc(a->span);
    valid = calloc(nwords(a->span), sizeof(*valid));
    if (ring == NULL || valid == NULL) {
        ring_free(ring, a->span);
        free(valid);
        return -1;
    }
    m = newest - (int64_t)a->span + 1;
    while (newest >= 0 && !r.fail && m <= newest) {
        unsigned char tag;
        uint64_t count = 0;
        int64_t db = 0, dk = 0;

        get(&r, &tag, 1);
        if (tag == RUN_RAW) {
            count = 1;
        } else {
            count = get_var(&r);
            if (tag == RUN_STEP) {
                db = unzigzag(get_var(&r));
                dk = unzigzag(get_var(&r));
            }
        }
        if (r.fail || tag > RUN_RAW || count == 0 || count > (uint64_t)(newest - m + 1) ||
            (tag == RUN_STEP && last_m != m - 1))
            break;
        for (uint64_t i = 0; i < count; i++, m++) {
            struct slot *s;
            size_t im;

            if (tag == RUN_GAP) {
                last_m = -1;
                continue;
            }
            if (m < 0) {
                r.fail = 1;
                break;
            }
            im = (size_t)(m % (int64_t)a->span);
            s = &ring[im];
            valid[im / 64] |= (uint64_t)1 << (im % 64);
            if (tag == RUN_RAW) {
                get(&r, &s->bad, sizeof(s->bad));
                get(&r, &s->known, sizeof(s->known));
            } else {
                s->bad = last.bad + (double)db;
                s->known = last.known + (double)dk;
            }
            last = *s;
            last_m = m;
        }
    }
    if (r.fail || r.off != r.len || (newest >= 0 && m != newest + 1)) {
        ring_free(ring, a->span);
        free(valid);
        return -1;
    }
    ring_free(a->ring, a->span);
    free(a->valid);
    a->ring = ring;
    a->valid = valid;
    /* The minutes between this and the next step are cleared by that step (record()). */
    a->newest = newest;
    a->state = (enum rpt_alert_state)st[0];
    a->want = (enum rpt_alert_state)st[1];
    a->last_t = times[0];
    a->last_alert_t = times[1];
    a->want_since = times[2];
    memcpy(a->lw, lw, sizeof(lw));
    memcpy(a->sw, sw, sizeof(sw));
    return 0;
}

int64_t
rpt_alert_last(const struct rpt_alert *a)
{
    return a->last_t;
}
