/*
 * late.c - store-and-forward telemetry from the sample archive (see late.h).
 */
#define _GNU_SOURCE /* asprintf() */
#include "late.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "archive/arc_name.h"
#include "archive/archive.h"
#include "archive/trace_csv.h"
#include "archive/tsrc.h"
#include "cfg/cfg.h"
#include "core/core.h"
#include "pub/pub.h"
#include "pub/pub_json.h"
#include "rw_calendar.h"
#include "rw_log.h"
#include "store/store.h"

/*
 * The archive's rows are in the order the core took them: the samples' order up to the
 * queue's lag, and a row may sit in the next hour's file for the grace. A cursor is taken
 * this far behind the last row read, so that no row before it is still unread.
 */
#define LATE_SKEW_MS (CORE_LAG_MS + ARC_GRACE_MS)
#define LATE_BOUNDS_S 600.0 /* between checks of the size bound */
#define LATE_RESEND_SLACK 15.0 /* s beyond 2 x keepalive without an outcome: read again */
#define LATE_SPANS_MAX 64      /* spans looked at by one bounds check or status */

struct late_name {
    char *name; /* "meter1.v_l1" */
    uint32_t dev, point;
};

/* One device's rows gathered into the cycle being rebuilt. */
struct late_dev {
    struct pub_late_point *p; /* one slot per point of the profile */
    size_t n;
    int64_t first, last; /* ms: its first and last row */
};

struct late_flight {
    uint64_t id;
    int64_t first; /* ms: the document's first row */
    double sent;   /* monotonic s */
};

struct late {
    const struct rw_config *cfg;
    struct store *store;
    struct pub *pub;
    struct arc *arc;
    char *dir;           /* the archive's folder */
    int64_t floor;       /* ms: no span starts before this run, unless resent */
    int64_t margin;      /* ms: a span reaches back this far */
    double start_mono;   /* the run's start, for LATE_FIRST_S */
    double resend_s;     /* no outcome for this long: read again */
    int open;            /* a span may be open in the store */
    int pending;         /* the store may hold spans: 0 once a look found none */
    double age_mono;     /* the age bound's last check */
    struct late_name *names;
    size_t nnames;
    struct late_dev *devs; /* per device */

    /* Sending the oldest span. */
    int have_span;
    struct store_late_span span; /* span.start: where the reader started */
    int64_t saved;               /* the span's start as last saved */
    double saved_mono;
    struct tsrc *ts;
    struct trace_csv tc;
    int read_done;  /* every row of the span was read and gathered */
    int64_t read_t; /* ms: the latest row of the span read so far */
    struct late_flight *flight; /* awaiting their outcome */
    size_t nflight, flight_cap;
    uint64_t next_id;
    double tokens, token_mono; /* the rate */

    uint64_t sent;    /* acknowledged in this run */
    double dropped_s; /* given up by the bounds in this run */
    int dropping;     /* in a bounds episode: logged at its start */
    double bounds_mono;
    int failing; /* the store refuses: logged once */
};

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(((const struct late_name *)a)->name, ((const struct late_name *)b)->name);
}

static void
store_failed(struct late *l, const char *what)
{
    if (!l->failing)
        log_err("late telemetry: cannot %s: %s; retrying every round", what,
                store_errmsg(l->store));
    l->failing = 1;
}

static void
store_ok(struct late *l)
{
    if (l->failing)
        log_notice("late telemetry: the store answers again");
    l->failing = 0;
}

/* The trace point names of every device's points, sorted for bsearch(). */
static int
make_names(struct late *l)
{
    const struct rw_config *cfg = l->cfg;
    size_t n = 0, k = 0;

    for (size_t d = 0; d < cfg->ndevices; d++)
        n += cfg->profiles[cfg->devices[d].profile].npoints;
    if ((l->names = calloc(n ? n : 1, sizeof(*l->names))) == NULL ||
        (l->devs = calloc(cfg->ndevices ? cfg->ndevices : 1, sizeof(*l->devs))) == NULL)
        return -1;
    for (size_t d = 0; d < cfg->ndevices; d++) {
        const struct cfg_profile *p = &cfg->profiles[cfg->devices[d].profile];

        if ((l->devs[d].p = calloc(p->npoints ? p->npoints : 1, sizeof(*l->devs[d].p))) == NULL)
            return -1;
        for (size_t i = 0; i < p->npoints; i++, k++) {
            if (asprintf(&l->names[k].name, "%s.%s", cfg->devices[d].id, p->points[i].name) < 0) {
                l->names[k].name = NULL;
                l->nnames = k;
                return -1;
            }
            l->names[k].dev = (uint32_t)d;
            l->names[k].point = (uint32_t)i;
        }
    }
    l->nnames = k;
    qsort(l->names, l->nnames, sizeof(*l->names), name_cmp);
    return 0;
}

void late_free(struct late *l);

struct late *
late_new(const struct rw_config *cfg, struct store *store, struct pub *pub, struct arc *arc,
         int64_t run_start, int64_t resend_from, double mono)
{
    struct late *l = calloc(1, sizeof(*l));

    if (l == NULL)
        return NULL;
    l->cfg = cfg;
    l->store = store;
    l->pub = pub;
    l->arc = arc;
    l->floor = run_start;
    /* A silent link is noticed after up to 1.5 x keepalive; and a kill in the first
     * LATE_FIRST_S takes what waited in paho's buffer. */
    l->margin = (int64_t)cfg->mqtt.keepalive * 1500;
    if (l->margin < (int64_t)(LATE_FIRST_S * 1000.0) + LATE_SKEW_MS)
        l->margin = (int64_t)(LATE_FIRST_S * 1000.0) + LATE_SKEW_MS;
    l->start_mono = mono;
    l->resend_s = 2.0 * cfg->mqtt.keepalive + LATE_RESEND_SLACK;
    l->flight_cap = LATE_WINDOW + cfg->ndevices;
    l->tokens = cfg->mqtt.late_rate;
    l->token_mono = mono;
    l->bounds_mono = mono - LATE_BOUNDS_S;
    if (asprintf(&l->dir, "%s/%s", cfg->state_dir, ARC_SUBDIR) < 0) {
        l->dir = NULL;
        late_free(l);
        return NULL;
    }
    if ((l->flight = calloc(l->flight_cap, sizeof(*l->flight))) == NULL || make_names(l) < 0) {
        late_free(l);
        return NULL;
    }
    if (resend_from != INT64_MIN && store_late_open(store, resend_from - l->margin) < 0) {
        log_err("late telemetry: cannot save the span to send again: %s",
                store_errmsg(store));
        late_free(l);
        return NULL;
    }
    /* A span the last run left open (it stopped during an outage, or was killed) is closed
     * at the first connection; the store knows whether there is one. */
    l->open = 1;
    l->pending = 1;
    return l;
}

int
late_owed(struct late *l, int64_t t, int64_t now, double mono)
{
    int64_t start = (t < now ? t : now) - l->margin;
    char when[RW_CAL_TIME_LEN];
    struct pub_stats st;

    pub_get_stats(l->pub, &st);
    if (st.connected)
        return 0;
    /* Not live: the document's rows reach the kernel now, not at the archive's minute
     * flush, so that a kill -9 loses none of what may have to go out late. */
    (void)arc_flush(l->arc);
    if (st.connects == 0 && mono - l->start_mono < LATE_FIRST_S)
        return 0; /* paho's buffer; a kill now is covered by the next start (late_new()) */
    if (l->open)
        return 1;
    if (start < l->floor)
        start = l->floor < t ? l->floor : t;
    if (store_late_open(l->store, start) < 0) {
        store_failed(l, "save where late telemetry starts (telemetry goes to the publisher's "
                        "memory instead)");
        return 0;
    }
    store_ok(l);
    l->open = 1;
    l->pending = 1;
    log_notice("late telemetry: the broker is away; telemetry from %s on is kept in the "
               "archive and goes out marked late once it is back",
               rw_calendar_rfc3339(l->cfg->site.timezone, start, when, sizeof(when)) ? when
                                                                                      : "?");
    return 1;
}

/* Where the span can be read again from: no row before it awaits an outcome or is unread. */
static int64_t
cursor(const struct late *l)
{
    int64_t c;

    if (!l->have_span)
        return l->saved;
    if (l->read_done && l->nflight == 0)
        return l->span.end;
    c = l->ts != NULL || l->read_done ? l->read_t - LATE_SKEW_MS : l->span.start;
    for (size_t i = 0; i < l->nflight; i++)
        if (l->flight[i].first < c)
            c = l->flight[i].first;
    for (size_t d = 0; d < l->cfg->ndevices; d++)
        if (l->devs[d].n > 0 && l->devs[d].first < c)
            c = l->devs[d].first;
    return c > l->span.start ? c : l->span.start;
}

/* Saves the cursor if it moved. */
static void
save(struct late *l, double mono)
{
    int64_t c = cursor(l);

    l->saved_mono = mono;
    if (!l->have_span || c <= l->saved)
        return;
    if (store_late_advance(l->store, l->span.id, c) < 0) {
        store_failed(l, "save the cursor");
        return;
    }
    store_ok(l);
    l->saved = c;
}

/* Stops reading: what was gathered or in flight is read again from the saved cursor. */
static void
rewind_reader(struct late *l, double mono)
{
    save(l, mono);
    tsrc_close(l->ts);
    l->ts = NULL;
    l->read_done = 0;
    l->nflight = 0;
    for (size_t d = 0; d < l->cfg->ndevices; d++)
        l->devs[d].n = 0;
    l->have_span = 0; /* reloaded from the store: its start is the saved cursor */
}

void
late_acked(struct late *l, uint64_t id, int ok)
{
    size_t i;

    if (l == NULL)
        return;
    if (id == 0) {
        if (l->nflight > 0)
            rewind_reader(l, l->saved_mono);
        return;
    }
    for (i = 0; i < l->nflight && l->flight[i].id != id; i++)
        ;
    if (i == l->nflight)
        return; /* given up already: its rows are read again */
    if (!ok) {
        rewind_reader(l, l->saved_mono);
        return;
    }
    l->flight[i] = l->flight[--l->nflight];
    l->sent++;
}

/* Publishes device d's gathered rows as one late document. 0, or -1 (rewound). */
static int
send_dev(struct late *l, size_t d, double mono)
{
    struct late_dev *ld = &l->devs[d];
    char topic[CFG_ID_MAX + 16];
    char *json;
    uint64_t id;
    int rc;

    if (ld->n == 0)
        return 0;
    if ((json = pub_json_late(l->cfg, d, ld->last, ld->p, ld->n)) == NULL) {
        log_err("late telemetry: cannot build a document: out of memory");
        rewind_reader(l, mono);
        return -1;
    }
    snprintf(topic, sizeof(topic), "telemetry/%s", l->cfg->devices[d].id);
    id = LATE_ID_FLAG | (++l->next_id & (LATE_ID_FLAG - 1));
    rc = pub_publish_acked(l->pub, topic, json, id);
    free(json);
    if (rc < 0) { /* counted and logged by pub */
        rewind_reader(l, mono);
        return -1;
    }
    l->flight[l->nflight].id = id;
    l->flight[l->nflight].first = ld->first;
    l->flight[l->nflight].sent = mono;
    l->nflight++;
    l->tokens -= 1.0;
    ld->n = 0;
    return 0;
}

/* A row of point p of device d at t joins the device's cycle; a point already in it, or a
 * row half a poll interval after the cycle's first, sends the cycle first. */
static int
gather(struct late *l, const struct late_name *nm, const struct trace_row *row, double mono)
{
    struct late_dev *ld = &l->devs[nm->dev];
    int64_t half = (int64_t)(l->cfg->devices[nm->dev].interval * 500.0);
    struct pub_late_point *lp;
    size_t i;

    for (i = 0; i < ld->n && ld->p[i].point != nm->point; i++)
        ;
    if (ld->n > 0 && (i < ld->n || row->t - ld->first >= half) && send_dev(l, nm->dev, mono) < 0)
        return -1;
    if (ld->n == 0)
        ld->first = row->t;
    ld->last = row->t > ld->last || ld->n == 0 ? row->t : ld->last;
    lp = &ld->p[ld->n++];
    lp->point = nm->point;
    lp->answered = row->answered;
    lp->valid = row->answered && !isnan(row->value); /* "bad" reads NaN */
    lp->value = row->value;
    return 0;
}

/* Every gathered cycle goes out: the span's rows are all read. */
static int
send_all(struct late *l, double mono)
{
    for (size_t d = 0; d < l->cfg->ndevices; d++)
        if (send_dev(l, d, mono) < 0)
            return -1;
    return 0;
}

/* Gives up the backlog before limit (ms): counted, logged once per episode. */
static int
give_up(struct late *l, int64_t limit, const char *why, double mono)
{
    struct store_late_span v[LATE_SPANS_MAX];
    size_t n;
    double lost = 0.0;

    if (store_late_list(l->store, v, LATE_SPANS_MAX, &n) < 0)
        return -1;
    if (n == 0 || v[0].start >= limit)
        return 0;
    /* The span being read stops first: its saved cursor is where the loss starts. */
    if (l->have_span && v[0].id == l->span.id) {
        rewind_reader(l, mono);
        if (store_late_list(l->store, v, LATE_SPANS_MAX, &n) < 0)
            return -1;
    }
    for (size_t i = 0; i < n && i < LATE_SPANS_MAX && v[i].start < limit; i++) {
        int64_t to = v[i].end < limit ? v[i].end : limit;

        if (store_late_advance(l->store, v[i].id, to) < 0)
            return -1;
        lost += (double)(to - v[i].start) / 1000.0;
    }
    if (lost > 0.0) {
        l->dropped_s += lost;
        if (!l->dropping)
            log_warn("late telemetry: %.0f s of the oldest telemetry given up: %s (%.0f s in "
                     "this run so far)",
                     lost, why, l->dropped_s);
        l->dropping = 1;
    }
    return lost > 0.0;
}

struct late_size {
    int64_t from, to; /* the backlog's hours */
    int64_t *hour;
    uint64_t *size;
    size_t n, cap;
};

static int
size_one(void *arg, const char *path, int64_t hour, unsigned seq, uint64_t size)
{
    struct late_size *z = arg;

    (void)path;
    (void)seq;
    if (hour < z->from || hour >= z->to)
        return 0;
    if (z->n == z->cap) {
        size_t cap = z->cap ? 2 * z->cap : 64;
        int64_t *h = realloc(z->hour, cap * sizeof(*h));

        if (h == NULL)
            return -1;
        z->hour = h;
        uint64_t *s = realloc(z->size, cap * sizeof(*s));
        if (s == NULL)
            return -1;
        z->size = s;
        z->cap = cap;
    }
    z->hour[z->n] = hour;
    z->size[z->n++] = size;
    return 0;
}

/* The oldest hour whose files, with those of every later hour of the backlog, take more
 * than the size bound; INT64_MIN when within it (or it cannot be told). */
static int64_t
size_limit(struct late *l, int64_t from, int64_t to)
{
    struct late_size z = {arc_hour_of(from), to, NULL, NULL, 0, 0};
    uint64_t max = (uint64_t)l->cfg->mqtt.late_max_mb * 1000000u, total = 0;
    int64_t limit = INT64_MIN;

    if (arc_walk(l->dir, size_one, &z) != 0) {
        free(z.hour);
        free(z.size);
        return INT64_MIN;
    }
    /* Newest first: the hours that fit are kept, the first that does not is the limit. */
    for (;;) {
        size_t best = z.n;

        for (size_t i = 0; i < z.n; i++)
            if (z.size[i] != UINT64_MAX && (best == z.n || z.hour[i] > z.hour[best]))
                best = i;
        if (best == z.n)
            break;
        total += z.size[best];
        if (total > max) {
            limit = z.hour[best] + ARC_HOUR_MS;
            break;
        }
        z.size[best] = UINT64_MAX; /* counted */
    }
    free(z.hour);
    free(z.size);
    return limit;
}

/* The age bound every round; the size bound every LATE_BOUNDS_S. */
static void
bounds(struct late *l, int64_t now, double mono)
{
    struct store_late_span v[LATE_SPANS_MAX];
    int64_t age = now - (int64_t)l->cfg->mqtt.late_max_hours * ARC_HOUR_MS, limit;
    size_t n;
    int r;

    if ((r = give_up(l, age, "older than mqtt.late_max_hours", mono)) < 0) {
        store_failed(l, "give up telemetry past the age bound");
        return;
    }
    if (r == 0 && mono - l->bounds_mono >= LATE_BOUNDS_S) {
        l->bounds_mono = mono;
        if (store_late_list(l->store, v, LATE_SPANS_MAX, &n) < 0) {
            store_failed(l, "read the backlog");
            return;
        }
        if (n == 0) {
            l->dropping = 0;
            return;
        }
        limit = size_limit(l, v[0].start, now);
        if (limit != INT64_MIN &&
            (r = give_up(l, limit, "its archive files take more than mqtt.late_max_mb", mono)) <
                0) {
            store_failed(l, "give up telemetry past the size bound");
            return;
        }
        if (r == 0)
            l->dropping = 0;
    }
}

/* Loads the oldest closed span and opens the archive over it. 1 with a span, 0 without. */
static int
load_span(struct late *l)
{
    struct store_late_span v[1];
    char err[TSRC_ERR_LEN];
    size_t n;

    if (store_late_list(l->store, v, 1, &n) < 0) {
        store_failed(l, "read the backlog");
        return 0;
    }
    if (n == 0)
        l->pending = 0;
    if (n == 0 || v[0].end == INT64_MAX)
        return 0;
    if (tsrc_open_archive(l->dir, v[0].start, v[0].end + ARC_GRACE_MS, &l->ts, err,
                          sizeof(err)) < 0) {
        log_err("late telemetry: %s", err);
        l->ts = NULL;
        return 0;
    }
    l->span = v[0];
    l->saved = v[0].start;
    l->read_t = v[0].start;
    l->read_done = 0;
    l->have_span = 1;
    return 1;
}

/* Reads rows while the rate and the window allow. */
static void
read_rows(struct late *l, double mono)
{
    const char *line, *name;
    char err[TRACE_ERR_LEN];
    struct trace_row row;
    struct late_name key, *nm;
    size_t len;
    long lineno;
    int rc;

    while (!l->read_done && l->tokens >= 1.0 && l->nflight < LATE_WINDOW) {
        if ((rc = tsrc_next_line(l->ts, &line, &len, &name, &lineno)) <= 0) {
            if (rc < 0)
                log_warn("late telemetry: %s; the rest of that file is not sent",
                         tsrc_error(l->ts));
            tsrc_close(l->ts);
            l->ts = NULL;
            l->read_done = 1;
            (void)send_all(l, mono);
            return;
        }
        if (lineno == 1)
            trace_csv_init(&l->tc);
        if (trace_csv_parse(&l->tc, line, len, &row, err, sizeof(err)) != TRACE_ROW ||
            row.directive || row.t < l->span.start || row.t >= l->span.end)
            continue;
        if (row.t > l->read_t)
            l->read_t = row.t;
        key.name = row.point;
        nm = bsearch(&key, l->names, l->nnames, sizeof(*l->names), name_cmp);
        if (nm != NULL && gather(l, nm, &row, mono) < 0)
            return;
    }
}

void
late_tick(struct late *l, int64_t now, double mono)
{
    struct pub_stats st;
    double rate;

    if (l == NULL)
        return;
    pub_get_stats(l->pub, &st);
    if (!st.connected) {
        if (l->ts != NULL || l->nflight > 0)
            rewind_reader(l, mono);
        return;
    }
    if (l->open) {
        int r;

        /* Every row of the span must be decodable before it is read. */
        (void)arc_flush(l->arc);
        if ((r = store_late_close(l->store, now)) < 0) {
            store_failed(l, "close the span of late telemetry");
            return;
        }
        store_ok(l);
        l->open = 0;
        if (r > 0) {
            l->bounds_mono = mono - LATE_BOUNDS_S; /* the size bound now */
            log_notice("late telemetry: the broker is back; the archive's telemetry from the "
                       "time it was away goes out marked late");
        }
    }
    if (!l->pending)
        return;
    if (mono - l->age_mono >= 1.0) {
        l->age_mono = mono;
        bounds(l, now, mono);
    }
    for (size_t i = 0; i < l->nflight; i++)
        if (mono - l->flight[i].sent >= l->resend_s) {
            rewind_reader(l, mono);
            break;
        }
    rate = l->cfg->mqtt.late_rate;
    l->tokens += (mono - l->token_mono) * rate;
    if (l->tokens > rate)
        l->tokens = rate;
    l->token_mono = mono;
    if (!l->have_span && !load_span(l))
        return;
    if (l->ts != NULL)
        read_rows(l, mono);
    if (l->have_span && l->read_done && l->nflight == 0) {
        if (store_late_advance(l->store, l->span.id, l->span.end) < 0) {
            store_failed(l, "finish a span");
            return;
        }
        l->have_span = 0;
        l->read_done = 0;
        return;
    }
    if (mono - l->saved_mono >= LATE_SAVE_S)
        save(l, mono);
}

char *
late_status(struct late *l, int64_t now)
{
    struct store_late_span v[LATE_SPANS_MAX];
    char when[RW_CAL_TIME_LEN];
    json_t *doc, *o;
    double pending = 0.0;
    size_t n;
    char *out;

    if (store_late_list(l->store, v, LATE_SPANS_MAX, &n) < 0)
        return NULL;
    for (size_t i = 0; i < n && i < LATE_SPANS_MAX; i++) {
        int64_t start = l->have_span && v[i].id == l->span.id ? l->saved : v[i].start;
        int64_t end = v[i].end < now ? v[i].end : now;

        if (end > start)
            pending += (double)(end - start) / 1000.0;
    }
    o = json_pack("{s:f,s:o,s:I,s:f,s:i,s:i}", "pending_s", pending, "oldest",
                  n > 0 && rw_calendar_rfc3339(l->cfg->site.timezone, v[0].start, when,
                                               sizeof(when)) != NULL
                      ? json_string(when)
                      : json_null(),
                  "sent", (json_int_t)l->sent, "dropped_s", l->dropped_s, "max_hours",
                  l->cfg->mqtt.late_max_hours, "max_mb", l->cfg->mqtt.late_max_mb);
    doc = o != NULL ? json_pack("{s:o}", "late", o) : NULL;
    out = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return out;
}

void
late_free(struct late *l)
{
    if (l == NULL)
        return;
    if (l->have_span)
        save(l, l->saved_mono);
    tsrc_close(l->ts);
    if (l->names != NULL)
        for (size_t i = 0; i < l->nnames; i++)
            free(l->names[i].name);
    if (l->devs != NULL)
        for (size_t d = 0; d < l->cfg->ndevices; d++)
            free(l->devs[d].p);
    free(l->names);
    free(l->devs);
    free(l->flight);
    free(l->dir);
    free(l);
}
