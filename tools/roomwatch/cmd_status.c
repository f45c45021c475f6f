/*
 * cmd_status.c - `roomwatch status -c FILE [--year Y [--month M]] [--json]`: the indicators of
 * the current period (or of the one asked for) as the daemon last checkpointed them to its
 * store, <state_dir>/roomwatch.db, with the time they are as of.
 *
 * The engine is set up as roomwatchd sets it up from the same config (indset.h: the same
 * points, fingerprint and period calendar), restored from the state the daemon saved for
 * that config and period, and reported as `roomwatch replay` reports (rpt_json.h). For the
 * current period it is not moved on: the values are those the daemon had at that
 * checkpoint, at most checkpoint_interval old while it runs. A period whose end has passed
 * is final (core_view(), shared with `roomwatch report`): finished at its end, the time
 * after its last samples unknown, as_of its end; a year replayed with --db reads exactly
 * the replay's --json.
 *
 * The incident indicators (mttr, mtta, within, resolution_rate, count) are computed from the
 * store's incidents and events as of this run's time (incind.h, the daemon's code), clipped
 * to the period's end: they follow the record at once, while the engine's values are as of
 * the last checkpoint. Without engine indicators only they are shown.
 *
 * The database is opened read-only (store_open_readonly()): status never creates, migrates
 * or writes it, and reads one checkpoint whole while the daemon writes the next.
 *
 * Exit status: 0; 1 when there is nothing to show (no store, no state for this config and
 * period: the message says what to do); 2 for bad usage, a bad config, or a store that
 * cannot be read.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "cmd.h"
#include "engine/eng.h"
#include "engine/incstat.h"
#include "core/alert.h"
#include "core/core.h"
#include "core/incind.h"
#include "core/indset.h"
#include "notify/nt_status.h"
#include "report/rep_doc.h"
#include "report/rpt_inc.h"
#include "report/rpt_json.h"
#include "report/rpt_table.h"
#include "rw_calendar.h"
#include "rw_clock.h"
#include "store/store.h"

static void status_usage(FILE *fp);
static int pick_period(const struct rw_config *cfg, int year, int month,
                       struct indset_period *p);
static void no_state(const struct rw_config *cfg, const struct indset *is, struct store *st,
                     const struct indset_period *p, const char *path);
static int print_json(const struct rw_config *cfg, struct eng *e, const struct rpt_period *per,
                      int64_t as_of, const struct ist_result *ires, int64_t now,
                      struct store *st);
static void print_table(const struct rw_config *cfg, struct eng *e,
                        const struct rpt_period *per, int64_t as_of, int final,
                        const struct ist_result *ires, int64_t now);

static void
status_usage(FILE *fp)
{
    fprintf(fp, "usage: roomwatch status -c FILE [--year Y [--month M]] [--json]\n"
                "  -c FILE     the daemon's config: its state_dir holds the store\n"
                "  --year Y    a past period's final values (default: the current period)\n"
                "  --month M   with site.period = \"month\": the month 1..12 of year Y\n"
                "  --json      print the indicators and the period's alerts as JSON (as "
                "`roomwatch replay --json`, with \"as_of\")\n"
                "exit status: 0; 1 no store or no state for this config and period; 2 bad "
                "usage, config or store\n");
}

/* The period asked for, or the one containing now. */
static int
pick_period(const struct rw_config *cfg, int year, int month, struct indset_period *p)
{
    int64_t now = llround(rw_clock_wall() * 1000.0);
    int cur_month = 0, cur_year = rw_calendar_year_of(cfg->site.timezone, now, &cur_month);

    if (year == 0 && month == 0)
        return indset_period_at(cfg, now, p);
    if (cfg->site.period == CFG_PERIOD_YEAR && month != 0) {
        fprintf(stderr, "roomwatch status: --month needs site.period = \"month\"; this config's "
                        "period is the year\n");
        return -1;
    }
    if (cfg->site.period == CFG_PERIOD_MONTH && month == 0) {
        fprintf(stderr, "roomwatch status: site.period is \"month\": give --month M with "
                        "--year\n");
        return -1;
    }
    if (indset_period_of(cfg, year != 0 ? year : cur_year, month != 0 ? month : cur_month,
                         p) < 0) {
        fprintf(stderr, "roomwatch status: no such period\n");
        return -1;
    }
    return 0;
}

/* Why there is no state, and what to do about it. */
static void
no_state(const struct rw_config *cfg, const struct indset *is, struct store *st,
         const struct indset_period *p, const char *path)
{
    struct indset_period latest;
    int64_t start;
    char name[16], lname[16];

    indset_period_name(p, name, sizeof(name));
    if (store_state_latest(st, is->fingerprint, &start) == 0 &&
        indset_period_at(cfg, start, &latest) == 0 && start != p->day_start[0]) {
        indset_period_name(&latest, lname, sizeof(lname));
        fprintf(stderr,
                "roomwatch status: %s holds no state of this config for %s; its latest is "
                "for %s: roomwatch status -c FILE --year %d%s%.0d\n",
                path, name, lname, latest.year, latest.month ? " --month " : "",
                latest.month);
        return;
    }
    fprintf(stderr,
            "roomwatch status: %s holds no state of this config for %s. roomwatchd writes "
            "it as soon as it runs with this config and trusts the clock, then every "
            "checkpoint_interval (%.0f s): if it has just started, wait; if its devices, "
            "points or indicators were changed since it started, restart (or reload) "
            "roomwatchd with this config\n",
            path, name, cfg->checkpoint_interval);
}

/*
 * The outbox's fill (daemon/outbox.h): messages awaiting the broker's PUBACK. NULL when the
 * store cannot say (a store older than the outbox: nothing to show). In the table only: the
 * JSON is the period's figures, the document report and replay --json carry too; the live
 * fill is also in <prefix>/status.
 */
static json_t *
outbox_json(const struct rw_config *cfg, struct store *st)
{
    char when[RW_CAL_TIME_LEN];
    int64_t n, oldest;

    if (store_outbox_stats(st, &n, &oldest) < 0)
        return NULL;
    return json_pack("{s:I, s:i, s:o}", "messages", (json_int_t)n, "max", cfg->mqtt.outbox,
                     "oldest",
                     oldest != 0 && rw_calendar_rfc3339(cfg->site.timezone, oldest, when,
                                                        sizeof(when)) != NULL
                         ? json_string(when)
                         : json_null());
}

static void
print_outbox(const struct rw_config *cfg, struct store *st)
{
    json_t *o = outbox_json(cfg, st);

    if (o == NULL)
        return;
    printf("\noutbox: %lld of at most %d messages await the broker's acknowledgement",
           (long long)json_integer_value(json_object_get(o, "messages")), cfg->mqtt.outbox);
    if (json_is_string(json_object_get(o, "oldest")))
        printf(", the oldest queued %s", json_string_value(json_object_get(o, "oldest")));
    printf("\n");
    json_decref(o);
}

/*
 * The late telemetry backlog (daemon/late.h): how much telemetry the broker missed and still
 * gets, marked late, from the archive. Nothing when none is owed or the store cannot say.
 */
static void
print_late(const struct rw_config *cfg, struct store *st, int64_t now)
{
    struct store_late_span v[64];
    char when[RW_CAL_TIME_LEN];
    double owed = 0.0;
    size_t n;
    int open = 0;

    if (store_late_list(st, v, 64, &n) < 0 || n == 0)
        return;
    for (size_t i = 0; i < n && i < 64; i++) {
        int64_t end = v[i].end < now ? v[i].end : now;

        open |= v[i].end == INT64_MAX;
        if (end > v[i].start)
            owed += (double)(end - v[i].start) / 1000.0;
    }
    printf("late telemetry: %.0f s of telemetry from %s on %s (at most %d h, %d MB of the "
           "archive)\n",
           owed,
           rw_calendar_rfc3339(cfg->site.timezone, v[0].start, when, sizeof(when)) != NULL
               ? when
               : "?",
           open ? "wait for the broker, and go out marked late once it is back"
                : "go out marked late now",
           cfg->mqtt.late_max_hours, cfg->mqtt.late_max_mb);
}

static int
print_json(const struct rw_config *cfg, struct eng *e, const struct rpt_period *per,
           int64_t as_of, const struct ist_result *ires, int64_t now, struct store *st)
{
    /* The document roomwatch report carries as its "status" (rep_doc.h). */
    /* With the period's alerts, as `roomwatch replay --json` lists them. */
    json_t *doc = rep_status_json(cfg, e, per, as_of, ires, now, st);
    int rc;

    if (doc == NULL)
        return -1;
    if (cfg->nnotify > 0)
        json_object_set_new(doc, "notify", nt_status_json(cfg, st));
    rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    json_decref(doc);
    if (rc != 0)
        return -1;
    putchar('\n');
    return 0;
}

static void
print_table(const struct rw_config *cfg, struct eng *e, const struct rpt_period *per,
            int64_t as_of, int final, const struct ist_result *ires, int64_t now)
{
    char a[RW_CAL_TIME_LEN], b[RW_CAL_TIME_LEN], w[RW_CAL_TIME_LEN];

    printf("period %s .. %s (%d days), as of %s%s\n",
           rw_calendar_rfc3339(per->tz, per->day_start[0], a, sizeof(a)),
           rw_calendar_rfc3339(per->tz, per->day_start[per->ndays], b, sizeof(b)), per->ndays,
           rw_calendar_rfc3339(per->tz, as_of, w, sizeof(w)), final ? " (final)" : "");
    rpt_table(stdout, cfg, e, cfg->ninc_indicators > 0 ? ires : NULL, per, now);
}

int
cmd_status(int argc, char **argv)
{
    struct rw_config *cfg = NULL;
    struct indset *is = NULL;
    struct indset_period p;
    struct store *st = NULL;
    struct eng *e = NULL;
    struct rpt_period per;
    struct ist_result *ires = NULL;
    const char *cfg_path = NULL;
    char path[4096], err[256];
    int json = 0, year = 0, month = 0, rc = 2, n, final = 0;
    int64_t as_of = 0, now = llround(rw_clock_wall() * 1000.0);

    for (int i = 1; i < argc; i++) {
        char *end;

        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            status_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
            cfg_path = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--year") == 0) {
            long y = strtol(argv[++i], &end, 10);

            if (*end != '\0' || y < 1970 || y > 9999) {
                fprintf(stderr, "roomwatch status: --year must be 1970 to 9999\n");
                return 2;
            }
            year = (int)y;
        } else if (i + 1 < argc && strcmp(argv[i], "--month") == 0) {
            long m = strtol(argv[++i], &end, 10);

            if (*end != '\0' || m < 1 || m > 12) {
                fprintf(stderr, "roomwatch status: --month must be 1 to 12\n");
                return 2;
            }
            month = (int)m;
        } else {
            status_usage(stderr);
            return 2;
        }
    }
    if (cfg_path == NULL) {
        status_usage(stderr);
        return 2;
    }
    if ((cfg = cmd_config(cfg_path)) == NULL)
        return 2;
    if (cfg->nindicators == 0 && cfg->ninc_indicators == 0) {
        fprintf(stderr, "roomwatch status: %s configures no indicators, so roomwatchd keeps "
                        "no indicator state: add an indicators list\n",
                cfg_path);
        rc = 1;
        goto out;
    }
    n = snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, STORE_FILE);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        fprintf(stderr, "roomwatch status: state_dir is too long\n");
        goto out;
    }
    if (pick_period(cfg, year, month, &p) < 0)
        goto out;
    if (indset_new(cfg, &is) < 0 || indset_engine(is, &p, &e, err, sizeof(err)) < 0) {
        fprintf(stderr, "roomwatch status: %s\n", is == NULL ? strerror(errno) : err);
        goto out;
    }
    if (store_open_readonly(path, &st) < 0) {
        if (errno == ENOENT) {
            fprintf(stderr, "roomwatch status: no store at %s: roomwatchd has not run with "
                            "this config's state_dir yet (start it with -c %s), or it runs "
                            "with another config\n",
                    path, cfg_path);
            rc = 1;
        } else if (errno == EPROTO) {
            fprintf(stderr, "roomwatch status: %s was written by a roomwatchd of another "
                            "version (its schema is not one this roomwatch reads): use the "
                            "roomwatch that came with the running roomwatchd\n",
                    path);
        } else {
            fprintf(stderr, "roomwatch status: %s: %s\n", path,
                    errno == EIO ? "not a readable roomwatch database" : strerror(errno));
        }
        goto out;
    }
    /* Only incident indicators: the engine has nothing, and its state may never be saved. */
    if (cfg->nindicators == 0)
        as_of = indset_as_of(&p, now), final = now >= p.day_start[p.ndays];
    else if (core_view(is, &p, st, e, now, &as_of, &final) < 0) {
        if (errno == ENOENT) {
            no_state(cfg, is, st, &p, path);
            rc = 1;
        } else {
            fprintf(stderr, "roomwatch status: %s: %s\n", path,
                    errno == EIO      ? store_errmsg(st)
                    : errno == ENOMEM ? "the saved state is too large for memory"
                                      : "the saved state is damaged");
        }
        goto out;
    }
    if ((ires = calloc(cfg->ninc_indicators + 1, sizeof(*ires))) == NULL ||
        incind_compute(cfg, st, p.day_start[0], p.day_start[p.ndays], now, ires) < 0) {
        fprintf(stderr, "roomwatch status: %s: incidents and events: %s\n", path,
                errno == EIO ? store_errmsg(st) : strerror(errno));
        goto out;
    }
    per.tz = cfg->site.timezone;
    per.ndays = p.ndays;
    per.day_start = p.day_start;
    if (json) {
        if (print_json(cfg, e, &per, as_of, ires, now, st) < 0) {
            fprintf(stderr, "roomwatch status: cannot write the JSON\n");
            goto out;
        }
    } else {
        print_table(cfg, e, &per, as_of, final, ires, now);
        if (nt_status_table(stdout, cfg, st) < 0)
            fprintf(stderr, "roomwatch status: %s: notification channels: %s\n", path,
                    store_errmsg(st));
        print_outbox(cfg, st);
        print_late(cfg, st, now);
    }
    rc = fflush(stdout) == 0 ? 0 : 2;
out:
    if (ires != NULL)
        for (size_t i = 0; i < cfg->ninc_indicators; i++)
            ist_result_clear(&ires[i]);
    free(ires);
    eng_free(e);
    store_close(st);
    indset_free(is);
    cfg_free(cfg);
    return rc;
}
