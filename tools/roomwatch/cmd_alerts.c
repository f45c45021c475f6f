/*
 * cmd_alerts.c - `roomwatch alerts [-c FILE] [--year Y] [--json]`: the alerts kept in the
 * agent's store (agent/core/alert.h), oldest first: when, indicator, previous -> state, and
 * the explanation; --json prints {"alerts": [...]}, each the document published on
 * <prefix>/alert/<id>, as `roomwatch replay --json` lists them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "cmd.h"
#include "core/alert.h"
#include "rw_calendar.h"
#include "store/store.h"

#define DEFAULT_CONFIG "/etc/roomwatch/roomwatch.cfg"

static void
alerts_usage(FILE *fp)
{
    fprintf(fp, "usage: roomwatch alerts [-c FILE] [--year Y] [--json]\n"
                "  -c FILE   the agent's configuration (default " DEFAULT_CONFIG "): its\n"
                "            state_dir holds the store\n"
                "  --year Y  only the alerts raised in year Y\n"
                "  --json    {\"alerts\": [...]}, each as published on <prefix>/alert/<id>\n");
}

static const char *
str(json_t *d, const char *k)
{
    const char *v = json_string_value(json_object_get(d, k));

    return v != NULL ? v : "-";
}

int
cmd_alerts(int argc, char **argv)
{
    const char *cfg_path = DEFAULT_CONFIG;
    struct rw_config *cfg = NULL;
    struct store *s = NULL;
    int year = 0, json = 0, rc = 2;
    int64_t from = INT64_MIN, to = INT64_MAX;
    char path[4096];
    json_t *l = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            cfg_path = argv[++i];
        } else if (strcmp(argv[i], "--year") == 0 && i + 1 < argc) {
            if (cmd_parse_year(argv[++i], &year) != 0)
                return 2;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            alerts_usage(stdout);
            return 0;
        } else {
            alerts_usage(stderr);
            return 2;
        }
    }
    if ((cfg = cmd_config(cfg_path)) == NULL)
        return 2;
    if (year != 0) {
        int64_t day_start[RW_CAL_MAX_DAYS + 1];
        int nd = rw_calendar_period(cfg->site.timezone, year, 0, day_start);

        from = day_start[0];
        to = day_start[nd];
    }
    snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, STORE_FILE);
    if (store_open_readonly(path, &s) < 0) {
        if (errno == ENOENT)
            fprintf(stderr,
                    "roomwatch alerts: %s: no store yet (roomwatchd has not run with "
                    "this state_dir)\n",
                    path);
        else if (errno == EPROTO)
            fprintf(stderr,
                    "roomwatch alerts: %s: the store has another schema version than %d "
                    "(roomwatchd upgrades it when it starts)\n",
                    path, STORE_SCHEMA_VERSION);
        else
            fprintf(stderr, "roomwatch alerts: %s: %s\n", path, strerror(errno));
        goto out;
    }
    if ((l = alerts_list(s, from, to)) == NULL) {
        fprintf(stderr, "roomwatch alerts: %s: %s\n", path,
                errno == EIO ? store_errmsg(s) : strerror(errno));
        goto out;
    }
    if (json) {
        json_t *doc = json_pack("{s:O}", "alerts", l);

        if (doc == NULL || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0) {
            json_decref(doc);
            fprintf(stderr, "roomwatch alerts: cannot write the JSON\n");
            goto out;
        }
        putchar('\n');
        json_decref(doc);
    } else {
        size_t i;
        json_t *d;

        if (json_array_size(l) == 0)
            printf("no alerts\n");
        json_array_foreach(l, i, d)
        {
            printf("%s  %s  %s -> %s\n    %s\n", str(d, "at"), str(d, "indicator"),
                   str(d, "previous"), str(d, "state"), str(d, "explanation"));
        }
    }
    rc = fflush(stdout) == 0 ? 0 : 2;
out:
    json_decref(l);
    store_close(s);
    cfg_free(cfg);
    return rc;
}
