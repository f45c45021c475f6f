/*
 * cmd_replay.c - `roomwatch replay -c FILE (--trace TRACE.csv | --archive DIR --year Y
 * [--month M]) [--year Y] [--max-skew S] [--db OUT.db] [--json]`: the trace or archive run
 * through the core (replay.h), and the indicators printed as a table or JSON.
 *
 * Exit status: 0, or 2 for bad usage, a bad config or a bad trace (one message, naming the
 * file and line).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "cmd.h"
#include "core/core.h"
#include "replay.h"
#include "report/rpt_inc.h"
#include "core/alert.h"
#include "report/rpt_json.h"
#include "report/rpt_table.h"
#include "rw_log.h"

static void
replay_usage(FILE *fp)
{
    fprintf(fp,
            "usage: roomwatch replay -c FILE (--trace TRACE.csv | --archive DIR --year Y "
            "[--month M]) [--year Y] [--max-skew S] [--db OUT.db] [--json]\n"
            "  -c FILE         the config: devices, profiles and indicators\n"
            "  --trace FILE    the trace CSV (ts,point,value), plain or gzip; - for standard "
            "input\n"
            "  --archive DIR   roomwatchd's sample archive (<state_dir>/archive): the period's "
            "hour files\n"
            "  --year Y        the period's year (default: the year of the first sample)\n"
            "  --month M       with a month period (site.period), the month\n"
            "  --max-skew S    seconds rows of different points may be out of order "
            "(default %d)\n"
            "  --db OUT.db     resume from and save the state (and the record) in OUT.db\n"
            "  --json          print the indicators as JSON, and the alerts raised (\"alerts\")\n",
            REPLAY_MAX_SKEW_DEFAULT);
}

int
cmd_replay(int argc, char **argv)
{
    struct replay_opts o = {0};
    struct replay *rp = NULL;
    struct rw_config *cfg;
    const char *cfg_path = NULL;
    const struct indset_period *p;
    struct rpt_period per;
    int json = 0, rc = 2;

    o.max_skew_ms = REPLAY_MAX_SKEW_DEFAULT * 1000LL;
    for (int i = 1; i < argc; i++) {
        char *end;

        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            replay_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
            cfg_path = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--db") == 0) {
            o.db_path = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--trace") == 0) {
            o.trace_path = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--archive") == 0) {
            o.archive_dir = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--month") == 0) {
            if (cmd_parse_month(argv[++i], &o.month) < 0)
                return 2;
        } else if (i + 1 < argc && strcmp(argv[i], "--year") == 0) {
            if (cmd_parse_year(argv[++i], &o.year) < 0)
                return 2;
        } else if (i + 1 < argc && strcmp(argv[i], "--max-skew") == 0) {
            double s = strtod(argv[++i], &end);

            if (*end != '\0' || !(s >= 0 && s <= 86400 * 31)) {
                fprintf(stderr, "roomwatch replay: --max-skew must be 0 to 2678400 seconds\n");
                return 2;
            }
            o.max_skew_ms = llround(s * 1000.0);
        } else {
            replay_usage(stderr);
            return 2;
        }
    }
    if (cfg_path == NULL || (o.trace_path == NULL) == (o.archive_dir == NULL)) {
        replay_usage(stderr);
        return 2;
    }
    if (o.archive_dir != NULL && o.year == 0) {
        fprintf(stderr, "roomwatch replay: --archive needs --year (the period to read)\n");
        return 2;
    }
    if ((cfg = cmd_config(cfg_path)) == NULL)
        return 2;
    /* The core logs as the daemon does; here only what is wrong matters. */
    rw_log_init("roomwatch replay", RW_LOG_WARNING);
    if (replay_run(cfg, &o, &rp) != 0)
        goto out;
    p = core_period(replay_core(rp));
    per.tz = cfg->site.timezone;
    per.ndays = p->ndays;
    per.day_start = p->day_start;
    if (json) {
        json_t *doc = rpt_report(cfg, core_engine(replay_core(rp)), &per);

        if (doc != NULL) {
            json_t *al = alerts_list(replay_store(rp), per.day_start[0], per.day_start[per.ndays]);

            rpt_inc_append(doc, cfg, replay_inc(rp), &per, per.day_start[per.ndays]);
            /* The alerts the core raised, as the daemon keeps and publishes them. */
            if (al == NULL) {
                json_decref(doc);
                doc = NULL;
            } else {
                json_object_set_new(doc, "alerts", al);
            }
        }
        if (doc == NULL || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0) {
            fprintf(stderr, "roomwatch replay: cannot write the JSON\n");
            json_decref(doc);
            goto out;
        }
        putchar('\n');
        json_decref(doc);
    } else {
        rpt_table(stdout, cfg, core_engine(replay_core(rp)), replay_inc(rp), &per,
                  per.day_start[per.ndays]);
    }
    rc = fflush(stdout) == 0 ? 0 : 2;
out:
    replay_free(rp);
    cfg_free(cfg);
    return rc;
}
