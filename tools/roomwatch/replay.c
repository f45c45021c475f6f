/*
 * replay.c - a trace or the sample archive through the core (see replay.h).
 */
#include "replay.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "core/core.h"
#include "core/indset.h"
#include "engine/eng.h"
#include "engine/incstat.h"
#include "rw_log.h"
#include "report/rpt_inc.h"
#include "report/rpt_json.h"
#include "report/rpt_table.h"
#include "rw_calendar.h"
#include "store/store.h"
#include "archive/tsrc.h"
#include "replay.h"
#include "trace_cmd.h"
#include "archive/trace_csv.h"

#define ADVANCE_STEP_MS (60 * 1000) /* advance the engine at most once a minute of trace time */
#define LATE_DAYS 31 /* an archive is read this far past the period for commands entered late */

struct rpoint {
    char name[2 * CFG_ID_MAX]; /* "device.point" */
    double min, max;           /* plausible range */
    int64_t last;              /* time of its last row, ms */
    size_t dev, pidx;          /* the device and its point's index in the profile */
    int agent;                 /* agent.delivery.<dev>: a report's outcome */
    long last_line;            /* 0: none yet; -1: in the state resumed from --db */
    unsigned long last_file;   /* the file of last_line (an archive is many files) */
};

/* The poll cycle of a device being gathered: its rows with one ts. */
struct rdev {
    uint64_t cycle; /* 0: none yet */
    int64_t t;
};

struct replay {
    const struct rw_config *cfg;
    const char *trace_path; /* --trace, or NULL */
    const char *archive;    /* --archive, or NULL */
    const char *cur;        /* the file being read, for messages */
    unsigned long file;     /* files begun so far */
    int year;               /* 0: from the first sample */
    int month;              /* 0: from the first sample (month periods) */
    int64_t max_skew_ms;
    int json;
    struct indset *is; /* the daemon's layout: engine point i is points[i] */
    size_t npoints;
    struct rpoint *points;
    uint32_t *hash; /* open addressing on the name: point index + 1, 0 for free */
    size_t hmask;   /* hash slots - 1 (a power of two at least twice npoints) */
    struct indset_period per;
    struct rdev *dev;    /* per device */
    const char *db_path; /* --db, or NULL */
    char tmp_path[64];   /* the temporary database without --db; "" if none */
    struct store *db;
    struct core *core;          /* from the first row on */
    int resumed;                /* the core continues a state from the db */
    struct ist_result *inc_res; /* per incident indicator, at the end */
    struct trace_cmd tcmd;      /* an event row's command */
    int64_t until;              /* replay_opts.until_ms */
    int64_t newest;             /* the newest sample row read; INT64_MIN: none */
};

static int build_points(struct replay *rp);
static uint32_t hash_name(const char *s, size_t n);
static long lookup_point(const struct replay *rp, const char *name, size_t n);
static int build_hash(struct replay *rp);
static int start_core(struct replay *rp, int64_t first);
static int open_store(struct replay *rp);
static int run_trace(struct replay *rp, struct tsrc *ts);
static int save(struct replay *rp);

/* Every point of every device, and with a delivery indicator the agent's point of each device
 * (agent.delivery.<device>), as the daemon lays them out (indset). */
static int
build_points(struct replay *rp)
{
    const struct rw_config *cfg = rp->cfg;

    if (indset_new(cfg, &rp->is) < 0)
        return -1;
    rp->npoints = rp->is->npoints;
    rp->points = calloc(rp->npoints + 1, sizeof(*rp->points));
    rp->dev = calloc(cfg->ndevices + 1, sizeof(*rp->dev));
    if (rp->points == NULL || rp->dev == NULL)
        return -1;
    for (size_t i = 0; i < cfg->ndevices; i++) {
        const struct cfg_device *d = &cfg->devices[i];
        const struct cfg_profile *p = &cfg->profiles[d->profile];

        for (size_t j = 0; j < p->npoints; j++) {
            struct rpoint *rpt = &rp->points[indset_point(rp->is, i, j)];

            rpt->dev = i;
            rpt->pidx = j;

            snprintf(rpt->name, sizeof(rpt->name), "%s.%s", d->id, p->points[j].name);
            rpt->min = p->points[j].min;
            rpt->max = p->points[j].max;
        }
        if (cfg_has_delivery(cfg)) {
            /* A report's latency, s; a negative one is no latency: a bad sample, late. */
            struct rpoint *rpt = &rp->points[indset_delivery_point(rp->is, i)];

            snprintf(rpt->name, sizeof(rpt->name), "%s.%s.%s", CFG_AGENT_ID, CFG_DELIVERY_POINT,
                     d->id);
            rpt->min = 0.0;
            rpt->max = INFINITY;
            rpt->dev = i;
            rpt->agent = 1; /* no alarm rule watches the agent's reports */
        }
    }
    return 0;
}

/* FNV-1a: the trace names a point on every row, and a binary search of strcmp()s was a tenth
 * of the replay's time. */
static uint32_t
hash_name(const char *s, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int
build_hash(struct replay *rp)
{
    size_t size = 16;

    while (size < 2 * rp->npoints)
        size *= 2;
    rp->hash = calloc(size, sizeof(*rp->hash));
    if (rp->hash == NULL)
        return -1;
    rp->hmask = size - 1;
    for (size_t i = 0; i < rp->npoints; i++) {
        size_t h = hash_name(rp->points[i].name, strlen(rp->points[i].name)) & rp->hmask;

        while (rp->hash[h] != 0)
            h = (h + 1) & rp->hmask;
        rp->hash[h] = (uint32_t)i + 1;
    }
    return 0;
}

/* The engine index of the point a trace row names (n bytes, NUL-terminated), -1 if none. */
static long
lookup_point(const struct replay *rp, const char *name, size_t n)
{
    size_t h = hash_name(name, n) & rp->hmask;

    for (; rp->hash[h] != 0; h = (h + 1) & rp->hmask) {
        const char *cand = rp->points[rp->hash[h] - 1].name;

        if (memcmp(cand, name, n + 1) == 0)
            return (long)rp->hash[h] - 1;
    }
    return -1;
}

/*
 * The store the core keeps its record in: --db (created if new), or a temporary database,
 * removed at the end, in TMPDIR.
 */
static int
open_store(struct replay *rp)
{
    const char *path = rp->db_path;

    if (path == NULL) {
        const char *dir = getenv("TMPDIR");
        int fd;

        snprintf(rp->tmp_path, sizeof(rp->tmp_path), "%s/roomwatch-replay-XXXXXX",
                 dir != NULL && dir[0] != '\0' && strlen(dir) < 32 ? dir : "/tmp");
        if ((fd = mkstemp(rp->tmp_path)) < 0) {
            fprintf(stderr, "roomwatch replay: cannot make a temporary database in %s: %s\n",
                    rp->tmp_path, strerror(errno));
            rp->tmp_path[0] = '\0';
            return -1;
        }
        close(fd);
        path = rp->tmp_path;
    }
    if (store_open_file(path, &rp->db) < 0) {
        fprintf(stderr, "%s: cannot open the database: %s\n", path,
                errno == EIO && rp->db != NULL ? store_errmsg(rp->db) : strerror(errno));
        return -1;
    }
    return 0;
}

/* The period from --year or the first sample, and the core for it, resumed from --db if it
 * holds a state for this config and period. */
static int
start_core(struct replay *rp, int64_t first)
{
    struct core_opts o = {0};
    int month = 0, year = rp->year;
    char err[256];

    if (year == 0)
        year = rw_calendar_year_of(rp->cfg->site.timezone, first, &month);
    else if (rp->cfg->site.period == CFG_PERIOD_MONTH && rp->month != 0)
        month = rp->month;
    else if (rp->cfg->site.period == CFG_PERIOD_MONTH)
        rw_calendar_year_of(rp->cfg->site.timezone, first, &month);
    if (indset_period_of(rp->cfg, year, month, &rp->per) < 0) {
        fprintf(stderr, "roomwatch replay: year %d is out of range\n", year);
        return -1;
    }
    if (open_store(rp) < 0)
        return -1;
    o.now = first;
    o.period = &rp->per;
    o.resume = CORE_CONTINUE;
    if (core_open(rp->cfg, rp->db, &o, &rp->core, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", rp->db_path != NULL ? rp->db_path : "roomwatch replay", err);
        return -1;
    }
    if (!core_resumed(rp->core, NULL, NULL))
        return 0; /* a first chunk, or no --db */
    for (size_t i = 0; i < rp->npoints; i++) {
        int64_t t = eng_point_last(core_engine(rp->core), (uint32_t)i);

        if (t != INT64_MIN) {
            rp->points[i].last = t;
            rp->points[i].last_line = -1; /* in an earlier chunk */
        }
    }
    rp->resumed = 1;
    return 0;
}

/* A file of the archive ended early (kill -9, power cut): its lost tail reads as unknown. */
static void
on_cut(void *arg, const char *name, const char *msg)
{
    (void)arg;
    fprintf(stderr, "%s: %s; the time after it reads as unknown\n", name, msg);
}

/*
 * The trace file, or the archive's files of the period (and of LATE_DAYS after it, for the
 * commands entered late). 0 and *ts, or -1 after saying why.
 */
static int
open_source(struct replay *rp, struct tsrc **ts)
{
    char err[TSRC_ERR_LEN];
    int rc;

    if (rp->archive != NULL) {
        struct indset_period p;

        if (indset_period_of(rp->cfg, rp->year, rp->month, &p) < 0) {
            fprintf(stderr, "roomwatch replay: year %d is out of range\n", rp->year);
            return -1;
        }
        rc = tsrc_open_archive(rp->archive, p.day_start[0],
                               p.day_start[p.ndays] + LATE_DAYS * 86400000LL, ts, err, sizeof(err));
    } else {
        rc = tsrc_open_file(rp->trace_path, ts, err, sizeof(err));
    }
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    tsrc_set_warn(*ts, on_cut, NULL);
    rp->cur = rp->archive != NULL ? rp->archive : rp->trace_path;
    return 0;
}

/* Saves the core's state and the days it changed, in one transaction. */
static int
save(struct replay *rp)
{
    int64_t newest, advanced;

    eng_position(core_engine(rp->core), &newest, &advanced);
    if (core_checkpoint(rp->core, newest) < 0) {
        fprintf(stderr, "%s: cannot save the engine state: %s\n", rp->db_path,
                errno == EIO ? store_errmsg(rp->db) : strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * One sample row of point pt into the core: a device's point (rows of one device with one
 * ts are one poll cycle, for no_answer rules; the cycle is named by its time, so that a
 * chunk goes on with the cycles of the one before), or a report's outcome. 0, or -1 when the
 * engine refused it.
 */
static int
sample(struct replay *rp, const struct rpoint *pt, const struct trace_row *row, int valid)
{
    struct rdev *d = &rp->dev[pt->dev];
    struct core_sample s;

    if (pt->agent)
        return core_report(rp->core, pt->dev, row->t, valid ? row->value : NAN);
    if (d->cycle == 0 || row->t != d->t) {
        d->cycle = (uint64_t)row->t + 1;
        d->t = row->t;
    }
    memset(&s, 0, sizeof(s));
    s.device = (uint32_t)pt->dev;
    s.point = (uint32_t)pt->pidx;
    s.t = row->t;
    s.value = row->value;
    s.valid = valid;
    s.q = !row->answered ? ALM_Q_NO_ANSWER : valid ? ALM_Q_GOOD : ALM_Q_BAD;
    s.cycle = d->cycle;
    s.last = 0; /* the next cycle's first row ends this one */
    s.next_ms = 0;
    return core_sample(rp->core, &s);
}

/*
 * An event row, applied by the core at the row's time, or a restart of the daemon; 0, or -1
 * after saying why.
 */
static int
command(struct replay *rp, const struct trace_row *row, long line)
{
    struct store_cmd_result r;
    char err[TRACE_ERR_LEN];
    int64_t saved;

    switch (trace_restart_parse(row, &saved, err, sizeof(err))) {
    case 1:
        core_restart(rp->core, saved);
        return 0;
    case -1:
        fprintf(stderr, "%s:%ld: %s\n", rp->cur, line, err);
        return -1;
    default:
        break;
    }
    if (trace_cmd_parse(row, &rp->tcmd, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s:%ld: %s\n", rp->cur, line, err);
        return -1;
    }
    if (core_command(rp->core, &rp->tcmd.cmd, row->t, "replay", &r, NULL) == 0)
        return 0;
    if (errno == ENOENT)
        fprintf(stderr,
                "%s:%ld: no incident %lld (incidents are numbered 1, 2, ... as they "
                "open)\n",
                rp->cur, line, (long long)rp->tcmd.cmd.incident);
    else if (errno == EALREADY)
        fprintf(stderr, "%s:%ld: incident %lld: %s\n", rp->cur, line,
                (long long)rp->tcmd.cmd.incident, r.why);
    else
        fprintf(stderr, "%s:%ld: %s\n", rp->cur, line,
                errno == EIO ? core_errmsg(rp->core) : strerror(errno));
    return -1;
}

static int
run_trace(struct replay *rp, struct tsrc *ts)
{
    struct trace_csv tc;
    struct trace_row row;
    const char *line;
    size_t len;
    char err[TRACE_ERR_LEN];
    int64_t newest = INT64_MIN, advanced = INT64_MIN, end_ms = INT64_MAX, judged;
    long p, lineno;
    int rc = -1;

    trace_csv_init(&tc);
    if (rp->archive != NULL) {
        if (start_core(rp, 0) != 0)
            return -1;
        end_ms = rp->per.day_start[rp->per.ndays];
        if (rp->resumed)
            eng_position(core_engine(rp->core), &newest, &advanced);
    }
    while ((rc = tsrc_next_line(ts, &line, &len, &rp->cur, &lineno)) == 1) {
        struct rpoint *pt;
        int valid;

        rc = -1;
        if (lineno == 1) {
            /* Each of an archive's files has its own header. */
            trace_csv_init(&tc);
            rp->file++;
        }
        switch (trace_csv_parse(&tc, line, len, &row, err, sizeof(err))) {
        case TRACE_SKIP:
            continue;
        case TRACE_ERROR:
            fprintf(stderr, "%s:%ld: %s\n", rp->cur, lineno, err);
            goto out;
        case TRACE_ROW:
            break;
        }
        if (row.directive) {
            if (rp->core == NULL && start_core(rp, row.t) != 0)
                goto out;
            if (command(rp, &row, lineno) != 0)
                goto out;
            continue;
        }
        /* The archive is read past the period's end for the commands entered late (an
         * acknowledgement on 2 January of a December incident); its samples are the next
         * period's. */
        if (row.t >= end_ms)
            continue;
        if ((p = lookup_point(rp, row.point, row.point_len)) < 0) {
            fprintf(stderr, "%s:%ld: unknown point \"%s\" (not a point of a configured device)\n",
                    rp->cur, lineno, row.point);
            goto out;
        }
        pt = &rp->points[p];
        if (rp->core == NULL) {
            if (start_core(rp, row.t) != 0)
                goto out;
            if (rp->resumed)
                eng_position(core_engine(rp->core), &newest, &advanced);
        }
        if (rp->resumed && row.t < advanced) {
            fprintf(stderr,
                    "%s:%ld: row is %.3f s older than the time the state resumed from "
                    "%s has accounted up to\n",
                    rp->cur, lineno, (double)(advanced - row.t) / 1000.0, rp->db_path);
            goto out;
        }
        if (pt->last_line < 0 && row.t < pt->last) {
            fprintf(stderr,
                    "%s:%ld: \"%s\" goes back in time (its previous row is in the state "
                    "resumed from %s)\n",
                    rp->cur, lineno, row.point, rp->db_path);
            goto out;
        }
        if (pt->last_line > 0 && row.t < pt->last) {
            fprintf(stderr, "%s:%ld: \"%s\" goes back in time (its previous row is line %ld%s)\n",
                    rp->cur, lineno, row.point, pt->last_line,
                    pt->last_file != rp->file ? " of an earlier file" : "");
            goto out;
        }
        if (newest != INT64_MIN && row.t < newest - rp->max_skew_ms) {
            fprintf(stderr,
                    "%s:%ld: row is %.3f s older than the newest row, more than --max-skew %lld "
                    "s\n",
                    rp->cur, lineno, (double)(newest - row.t) / 1000.0,
                    (long long)(rp->max_skew_ms / 1000));
            goto out;
        }
        pt->last = row.t;
        pt->last_line = lineno;
        pt->last_file = rp->file;
        valid = row.answered && row.value >= pt->min && row.value <= pt->max;
        if (sample(rp, pt, &row, valid) != 0) {
            fprintf(stderr, "%s:%ld: the engine refused the row (out of order)\n", rp->cur, lineno);
            goto out;
        }
        if (row.t > newest) {
            newest = row.t;
            if (newest - rp->max_skew_ms >= advanced + ADVANCE_STEP_MS || advanced == INT64_MIN) {
                advanced = newest - rp->max_skew_ms;
                core_advance(rp->core, advanced);
            }
        }
    }
    if (rc != 0) {
        rc = -1;
        fprintf(stderr, "%s\n", tsrc_error(ts));
        goto out;
    }
    rc = -1;
    if (rp->core == NULL) {
        if (rp->year == 0) {
            fprintf(stderr, "%s: no samples: give the period with --year\n", rp->trace_path);
            goto out;
        }
        if (start_core(rp, 0) != 0)
            goto out;
    }
    /* Every row is in: the engine is accounted (and the alerts evaluated) up to the last row
     * less --max-skew, not only to the last step of ADVANCE_STEP_MS, as the daemon evaluated
     * them up to its stop (core.h). No further: with --db the next chunk's first rows may be
     * that much older than this one's last, and chunks must give what the whole gives. */
    if (newest != INT64_MIN && rp->until == 0 && newest - rp->max_skew_ms > advanced &&
        newest - rp->max_skew_ms < rp->per.day_start[rp->per.ndays])
        core_advance(rp->core, newest - rp->max_skew_ms);
    if (rp->db_path != NULL && save(rp) != 0)
        goto out;
    rp->newest = newest;
    if (rp->until != 0 && rp->until < rp->per.day_start[rp->per.ndays]) {
        /* Accounted to a given time, as a store's state was at its checkpoint. */
        core_advance(rp->core, rp->until);
        judged = rp->until;
    } else {
        core_finish(rp->core);
        judged = rp->per.day_start[rp->per.ndays];
    }
    /* Judged at the period's end, as the engine's: an incident open then stays unresolved. */
    rp->inc_res = calloc(rp->cfg->ninc_indicators + 1, sizeof(*rp->inc_res));
    if (rp->inc_res == NULL || core_inc_results(rp->core, judged, rp->inc_res) != 0) {
        fprintf(stderr, "roomwatch replay: %s\n",
                rp->inc_res == NULL || errno == ENOMEM ? "out of memory" : core_errmsg(rp->core));
        goto out;
    }
    rc = 0;
out:
    return rc;
}

void
replay_free(struct replay *rp)
{
    if (rp == NULL)
        return;
    core_free(rp->core);
    for (size_t i = 0; rp->inc_res != NULL && i < rp->cfg->ninc_indicators; i++)
        ist_result_clear(&rp->inc_res[i]);
    free(rp->inc_res);
    store_close(rp->db);
    if (rp->tmp_path[0] != '\0') {
        static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
        char path[sizeof(rp->tmp_path) + 16];

        for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
            snprintf(path, sizeof(path), "%s%s", rp->tmp_path, sfx[i]);
            (void)unlink(path);
        }
    }
    free(rp->dev);
    free(rp->points);
    free(rp->hash);
    indset_free(rp->is);
    free(rp);
}

int
replay_run(const struct rw_config *cfg, const struct replay_opts *o, struct replay **out)
{
    struct replay *rp;
    struct tsrc *ts = NULL;

    *out = NULL;
    if ((rp = calloc(1, sizeof(*rp))) == NULL) {
        fprintf(stderr, "roomwatch replay: out of memory\n");
        return -1;
    }
    rp->cfg = cfg;
    rp->trace_path = o->trace_path;
    rp->archive = o->archive_dir;
    rp->db_path = o->db_path;
    rp->year = o->year;
    rp->month = o->month;
    rp->max_skew_ms = o->max_skew_ms;
    rp->until = o->until_ms;
    rp->newest = INT64_MIN;
    if (build_points(rp) != 0 || build_hash(rp) != 0) {
        fprintf(stderr, "roomwatch replay: out of memory\n");
        goto fail;
    }
    if (cfg->site.period == CFG_PERIOD_MONTH && rp->archive != NULL && rp->month == 0) {
        fprintf(stderr, "roomwatch replay: the config's period is a month: give --month\n");
        goto fail;
    }
    if (open_source(rp, &ts) != 0)
        goto fail;
    if (run_trace(rp, ts) != 0) {
        tsrc_close(ts);
        goto fail;
    }
    tsrc_close(ts);
    *out = rp;
    return 0;
fail:
    replay_free(rp);
    return -1;
}

struct core *
replay_core(struct replay *rp)
{
    return rp->core;
}

const struct ist_result *
replay_inc(const struct replay *rp)
{
    return rp->inc_res;
}

struct store *
replay_store(struct replay *rp)
{
    return rp->db;
}

int64_t
replay_newest(const struct replay *rp)
{
    return rp->newest;
}
