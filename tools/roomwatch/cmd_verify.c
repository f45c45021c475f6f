/*
 * cmd_verify.c - `roomwatch verify -c FILE --year Y [--month M] [--archive DIR] [--db FILE]`:
 * what an auditor runs. The period is recomputed from roomwatchd's sample archive by the same
 * replay (replay.h) through the same core the daemon ran, and compared with the daemon's
 * store: every indicator's per-day accumulators and value, every incident and every event.
 * The differences are printed, one line each, naming the indicator and the day, or the
 * incident or event and the field; exit 0 only when there are none.
 *
 * The common horizon: the store's state is as of its last checkpoint (the engine accounted
 * to a time H); the replay is accounted to the same H (replay_opts.until_ms), so that a
 * period in progress compares exactly. Incidents and events are compared as far as the
 * archive reaches: one detected (or a change made) after the archive's newest row is not
 * in it yet (the archive flushes every minute) and is left out, with a note. A daemon killed
 * between a checkpoint and its next flush saw samples its store did not keep, or the other
 * way round: the day of such a restart may differ by those seconds, and is named.
 *
 * Defaults: the archive <state_dir>/archive and the store <state_dir>/roomwatch.db of the
 * config. The store is opened read-only (works while the daemon runs).
 *
 * Exit status: 0 no difference, 1 differences (or no state to compare), 2 bad usage or
 * an error.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/arc_name.h"
#include "cfg/cfg.h"
#include "cmd.h"
#include "core/core.h"
#include "core/indset.h"
#include "engine/eng.h"
#include "replay.h"
#include "rw_calendar.h"
#include "rw_log.h"
#include "store/store.h"

#define VERIFY_PATH_MAX 4096
#define MAX_ITEMS 100000 /* incidents or events of a period compared: more is an error */

static void
verify_usage(FILE *fp)
{
    fprintf(fp, "usage: roomwatch verify -c FILE --year Y [--month M] [--archive DIR] "
                "[--db FILE]\n"
                "  -c FILE        the daemon's config\n"
                "  --year Y       the period to recompute (--month M with a month period)\n"
                "  --archive DIR  the sample archive (default <state_dir>/archive)\n"
                "  --db FILE      the daemon's store (default <state_dir>/roomwatch.db)\n"
                "exit status: 0 no difference, 1 differences, 2 error\n");
}

/* One incident or event, as compared: its fields as text, its time for the horizon. */
struct item {
    int64_t id;
    int64_t first; /* detected (incident) or recorded (event) */
    char *text;    /* "field=value\n..." */
};

struct items {
    const char *tz;
    size_t n, cap;
    struct item *v;
    int oom;
};

static void
add_field(char *buf, size_t len, size_t *off, const char *name, const char *value)
{
    int n = snprintf(buf + *off, len - *off, "%s=%s\n", name, value != NULL ? value : "-");

    if (n > 0)
        *off = *off + (size_t)n < len ? *off + (size_t)n : len - 1;
}

static void
add_time(const char *tz, char *buf, size_t len, size_t *off, const char *name, int64_t t)
{
    char when[RW_CAL_TIME_LEN];

    add_field(buf, len, off, name, t != 0 ? rw_calendar_rfc3339(tz, t, when, sizeof(when)) : NULL);
}

static int
push(struct items *it, int64_t id, int64_t first, const char *text)
{
    if (it->n == it->cap) {
        size_t cap = it->cap ? it->cap * 2 : 64;
        struct item *v = cap <= MAX_ITEMS ? realloc(it->v, cap * sizeof(*v)) : NULL;

        if (v == NULL) {
            it->oom = 1;
            return 1;
        }
        it->v = v;
        it->cap = cap;
    }
    if ((it->v[it->n].text = strdup(text)) == NULL) {
        it->oom = 1;
        return 1;
    }
    it->v[it->n].id = id;
    it->v[it->n].first = first;
    it->n++;
    return 0;
}

static int
take_incident(const struct store_incident *in, void *arg)
{
    struct items *it = arg;
    char buf[16384], num[64];
    size_t off = 0;

    add_field(buf, sizeof(buf), &off, "rule", in->rule);
    add_field(buf, sizeof(buf), &off, "device", in->device);
    add_field(buf, sizeof(buf), &off, "point", in->point);
    add_field(buf, sizeof(buf), &off, "severity", in->severity);
    add_field(buf, sizeof(buf), &off, "category", in->category);
    add_time(it->tz, buf, sizeof(buf), &off, "started", in->started);
    add_time(it->tz, buf, sizeof(buf), &off, "detected", in->detected);
    snprintf(num, sizeof(num), "%.17g", in->value);
    add_field(buf, sizeof(buf), &off, "value", isnan(in->value) ? NULL : num);
    add_time(it->tz, buf, sizeof(buf), &off, "acknowledged", in->acked);
    add_field(buf, sizeof(buf), &off, "acknowledged_by", in->acked_by);
    add_field(buf, sizeof(buf), &off, "ack_note", in->ack_note);
    add_time(it->tz, buf, sizeof(buf), &off, "cleared", in->cleared);
    add_time(it->tz, buf, sizeof(buf), &off, "resolved", in->resolved);
    add_field(buf, sizeof(buf), &off, "resolution", in->resolved_how);
    add_field(buf, sizeof(buf), &off, "resolved_by", in->resolved_by);
    add_field(buf, sizeof(buf), &off, "cause", in->cause);
    add_field(buf, sizeof(buf), &off, "measure", in->measure);
    snprintf(num, sizeof(num), "%u", in->flags);
    add_field(buf, sizeof(buf), &off, "flags", num);
    return push(it, in->id, in->detected, buf);
}

static int
take_event(const struct store_event *ev, void *arg)
{
    struct items *it = arg;
    char buf[8192], num[32];
    size_t off = 0;

    add_field(buf, sizeof(buf), &off, "kind", ev->kind);
    add_time(it->tz, buf, sizeof(buf), &off, "at", ev->at);
    add_field(buf, sizeof(buf), &off, "by", ev->by);
    add_field(buf, sizeof(buf), &off, "note", ev->note);
    snprintf(num, sizeof(num), "%lld", (long long)ev->incident);
    add_field(buf, sizeof(buf), &off, "incident", ev->incident != 0 ? num : NULL);
    add_time(it->tz, buf, sizeof(buf), &off, "recorded", ev->recorded_at);
    return push(it, ev->id, ev->recorded_at, buf);
}

static void
items_free(struct items *it)
{
    for (size_t i = 0; i < it->n; i++)
        free(it->v[i].text);
    free(it->v);
}

/* The first line where a and b differ, into out: "field: a here, b there". */
static void
first_diff(const char *a, const char *b, char *out, size_t len)
{
    while (*a != '\0' || *b != '\0') {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);

        if (la != lb || memcmp(a, b, la) != 0) {
            snprintf(out, len, "recomputed %.*s, in the store %.*s", (int)la, a, (int)lb, b);
            return;
        }
        a += la + (ea != NULL);
        b += lb + (eb != NULL);
    }
    snprintf(out, len, "equal");
}

/*
 * Compares the record's items (incidents or events) by id; those first seen after horizon
 * are not in the archive yet and are counted in *later. The number of differences.
 */
static size_t
compare_items(const char *what, const struct items *re, const struct items *st, int64_t horizon,
              size_t *later)
{
    size_t nd = 0, i = 0, j = 0;
    char why[1024];

    while (i < re->n || j < st->n) {
        const struct item *a = i < re->n ? &re->v[i] : NULL, *b = j < st->n ? &st->v[j] : NULL;

        if (b != NULL && (a == NULL || b->id < a->id)) {
            if (b->first > horizon)
                (*later)++;
            else {
                printf("%s %lld: in the store, not recomputed from the archive\n", what,
                       (long long)b->id);
                nd++;
            }
            j++;
        } else if (a != NULL && (b == NULL || a->id < b->id)) {
            printf("%s %lld: recomputed from the archive, not in the store\n", what,
                   (long long)a->id);
            nd++;
            i++;
        } else {
            if (strcmp(a->text, b->text) != 0) {
                first_diff(a->text, b->text, why, sizeof(why));
                printf("%s %lld: %s\n", what, (long long)a->id, why);
                nd++;
            }
            i++;
            j++;
        }
    }
    return nd;
}

/* The record of the period in s: incidents and events. -1 on a store error (said). */
static int
read_record(struct store *s, const char *name, const struct indset_period *p, const char *tz,
            struct items *inc, struct items *ev)
{
    inc->tz = ev->tz = tz;
    if (store_incident_period(s, p->day_start[0], p->day_start[p->ndays], take_incident, inc) < 0 ||
        store_event_period(s, p->day_start[0], p->day_start[p->ndays], take_event, ev) < 0 ||
        inc->oom || ev->oom) {
        fprintf(stderr, "roomwatch verify: %s: the record: %s\n", name,
                inc->oom || ev->oom ? "out of memory" : store_errmsg(s));
        return -1;
    }
    return 0;
}

/* The engine indicators' days before horizon and values. The number of differences. */
static size_t
compare_engines(const struct rw_config *cfg, const struct indset_period *p, struct eng *re,
                struct eng *st, int64_t horizon)
{
    size_t nd = 0;

    for (size_t i = 0; i < cfg->nindicators; i++) {
        const struct cfg_indicator *in = &cfg->indicators[i];
        const struct eng_result *a = eng_result(re, i), *b = eng_result(st, i);
        int counts = a->kind == ENG_DELIVERY;

        for (int d = 0; d < p->ndays && p->day_start[d] < horizon; d++) {
            int64_t ga, ba, ua, na, gb, bb, ub, nb;
            char day[16];

            eng_day(re, i, d, &ga, &ba, &ua, &na);
            eng_day(st, i, d, &gb, &bb, &ub, &nb);
            if (ga == gb && ba == bb && ua == ub && na == nb)
                continue;
            rw_calendar_date(cfg->site.timezone, p->day_start[d], day, sizeof(day));
            if (counts)
                printf("indicator %s (%s), %s: recomputed %lld on time, %lld late; in the "
                       "store %lld on time, %lld late\n",
                       in->id, in->name, day, (long long)ga, (long long)ba, (long long)gb,
                       (long long)bb);
            else
                printf("indicator %s (%s), %s: recomputed good %.3f s, bad %.3f s, unknown "
                       "%.3f s, not assessed %.3f s; in the store good %.3f s, bad %.3f s, "
                       "unknown %.3f s, not assessed %.3f s\n",
                       in->id, in->name, day, ga / 1000.0, ba / 1000.0, ua / 1000.0, na / 1000.0,
                       gb / 1000.0, bb / 1000.0, ub / 1000.0, nb / 1000.0);
            nd++;
        }
        if (!(a->value == b->value || (isnan(a->value) && isnan(b->value)))) {
            printf("indicator %s (%s): value recomputed %.10g, in the store %.10g\n", in->id,
                   in->name, a->value, b->value);
            nd++;
        }
    }
    return nd;
}

int
cmd_verify(int argc, char **argv)
{
    struct replay_opts o = {0};
    struct replay *rp = NULL;
    struct rw_config *cfg = NULL;
    struct indset *is = NULL;
    struct indset_period p;
    struct store *st = NULL;
    struct eng *e = NULL;
    struct items ri = {0}, re = {0}, si = {0}, se = {0};
    const char *cfg_path = NULL, *archive = NULL, *db = NULL;
    char apath[VERIFY_PATH_MAX], dpath[VERIFY_PATH_MAX], err[256];
    int64_t saved = 0, newest, horizon, reach;
    size_t nd = 0, later = 0;
    int rc = 2;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            verify_usage(stdout);
            return 0;
        } else if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
            cfg_path = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--archive") == 0) {
            archive = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--db") == 0) {
            db = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--year") == 0) {
            if (cmd_parse_year(argv[++i], &o.year) < 0)
                return 2;
        } else if (i + 1 < argc && strcmp(argv[i], "--month") == 0) {
            if (cmd_parse_month(argv[++i], &o.month) < 0)
                return 2;
        } else {
            verify_usage(stderr);
            return 2;
        }
    }
    if (cfg_path == NULL || o.year == 0) {
        verify_usage(stderr);
        return 2;
    }
    if ((cfg = cmd_config(cfg_path)) == NULL)
        return 2;
    rw_log_init("roomwatch verify", RW_LOG_WARNING);
    if (archive == NULL) {
        snprintf(apath, sizeof(apath), "%s/%s", cfg->state_dir, ARC_SUBDIR);
        archive = apath;
    }
    if (db == NULL) {
        snprintf(dpath, sizeof(dpath), "%s/%s", cfg->state_dir, STORE_FILE);
        db = dpath;
    }
    if (cfg->site.period == CFG_PERIOD_MONTH && o.month == 0) {
        fprintf(stderr, "roomwatch verify: the config's period is a month: give --month\n");
        goto out;
    }
    if (indset_period_of(cfg, o.year, cfg->site.period == CFG_PERIOD_MONTH ? o.month : 0, &p) < 0 ||
        indset_new(cfg, &is) < 0 || indset_engine(is, &p, &e, err, sizeof(err)) < 0) {
        fprintf(stderr, "roomwatch verify: cannot set up the period: %s\n",
                is == NULL ? strerror(errno) : err);
        goto out;
    }
    if (store_open_readonly(db, &st) < 0) {
        fprintf(stderr, "roomwatch verify: %s: %s\n", db,
                errno == ENOENT ? "no such store"
                : errno == EIO  ? "not a roomwatch database"
                                : strerror(errno));
        goto out;
    }
    /* The store's state: what the daemon had accounted at its last checkpoint. */
    horizon = p.day_start[p.ndays];
    if (cfg->nindicators > 0) {
        if (indset_load(is, &p, st, e, &saved, NULL, NULL) < 0) {
            fprintf(stderr, "roomwatch verify: %s: %s\n", db,
                    errno == ENOENT ? "no state of this config for this period: nothing to "
                                      "compare"
                    : errno == EIO  ? store_errmsg(st)
                                    : "the saved state is damaged");
            rc = errno == ENOENT ? 1 : 2;
            goto out;
        }
        eng_position(e, &newest, &horizon);
        if (horizon == INT64_MIN)
            horizon = p.day_start[0];
    }
    o.archive_dir = archive;
    o.max_skew_ms = REPLAY_MAX_SKEW_DEFAULT * 1000LL;
    o.until_ms = horizon < p.day_start[p.ndays] ? horizon : 0;
    if (replay_run(cfg, &o, &rp) != 0)
        goto out;
    reach = replay_newest(rp);
    if (cfg->nindicators > 0) {
        if (o.until_ms == 0)
            eng_finish(e, p.day_start[p.ndays]); /* a finished period, as the replay's */
        nd += compare_engines(cfg, &p, core_engine(replay_core(rp)), e, horizon);
    }
    if (read_record(replay_store(rp), "the replay", &p, cfg->site.timezone, &ri, &re) < 0 ||
        read_record(st, db, &p, cfg->site.timezone, &si, &se) < 0)
        goto out;
    nd += compare_items("incident", &ri, &si, reach, &later);
    nd += compare_items("event", &re, &se, reach, &later);
    if (later > 0)
        printf("note: %zu incidents or events of the store came after the archive's last row; "
               "not compared\n",
               later);
    if (nd == 0)
        printf("verify: no difference: %zu indicators, %zu incidents and %zu events of %d "
               "recomputed from %s agree with %s\n",
               cfg->nindicators, ri.n, re.n, o.year, archive, db);
    else
        printf("verify: %zu differences\n", nd);
    rc = nd == 0 ? 0 : 1;
out:
    items_free(&ri);
    items_free(&re);
    items_free(&si);
    items_free(&se);
    replay_free(rp);
    eng_free(e);
    indset_free(is);
    store_close(st);
    cfg_free(cfg);
    return rc;
}
