/*
 * cmd_incidents.c - `roomwatch incidents`: lists the incidents in the daemon's store, all or
 * the open ones, as a table or as JSON; with --year, the year's fault-handling record
 * (故障处理记录) as CSV or JSON. Read-only: it opens the database without creating
 * or migrating it, so it may run beside roomwatchd (WAL lets a reader in while the agent
 * writes).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "cmd.h"
#include "report/increc.h"
#include "rw_calendar.h"
#include "store/store.h"

#define DEFAULT_CONFIG "/etc/roomwatch/roomwatch.cfg"

enum format {
    F_TABLE = 0,
    F_JSON,        /* --json: {"incidents": [...]} */
    F_RECORD_JSON, /* --format json: the fault-handling record */
    F_RECORD_CSV,  /* --format csv */
};

struct listing {
    const struct rw_config *cfg;
    const char *tz;
    enum format fmt;
    json_t *list; /* the JSON formats */
    size_t n;
    int64_t from, to; /* --year: detected in [from, to), ms; to = 0: no filter */
};

static void
incidents_usage(FILE *fp)
{
    fprintf(fp, "usage: roomwatch incidents [--open] [--json] [-c FILE]\n"
                "       roomwatch incidents --year Y --format csv|json [--bom] [-c FILE]\n"
                "  -c FILE   the agent's configuration (default " DEFAULT_CONFIG "): its\n"
                "            state_dir holds the store\n"
                "  --open    only the incidents not resolved yet\n"
                "  --json    {\"incidents\": [...]} instead of a table\n"
                "  --year Y  the fault-handling record: the incidents detected in year Y\n"
                "  --format  csv (a header and one row per incident) or json\n"
                "  --bom     start the CSV with a UTF-8 byte order mark (for Excel)\n");
}

/*
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF. NULL is empty.
 * text: a person's words (names, notes, cause, measure); one that begins as a spreadsheet
 * formula would (=, +, -, @, tab, CR) gets a leading apostrophe, so that opening the record
 * in a spreadsheet shows the words and never runs them (CSV injection).
 */
static void
csv_field(const char *v, int last, int text)
{
    int guard = text && v != NULL && v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL;

    if (v != NULL && (strpbrk(v, ",\"\r\n") != NULL || guard)) {
        putchar('"');
        if (guard)
            putchar('\'');
        for (const char *p = v; *p != '\0'; p++) {
            if (*p == '"')
                putchar('"');
            putchar(*p);
        }
        putchar('"');
    } else if (v != NULL) {
        fputs(v, stdout);
    }
    fputs(last ? "\r\n" : ",", stdout);
}

/*
 * One incident as a CSV row: the record's object (increc.h), column by column. Numbers as the
 * JSON has them (%.15g: 75, 75.5), flags joined by ";", null empty. -1 when memory runs out.
 */
static int
add_csv(const struct store_incident *in, const struct listing *ls)
{
    json_t *o = increc_object(ls->cfg, in);

    if (o == NULL)
        return -1;
    for (size_t i = 0; i < INCREC_NCOLUMNS; i++) {
        char buf[512];

        csv_field(increc_text(json_object_get(o, increc_columns[i].key), buf, sizeof(buf)),
                  i + 1 == INCREC_NCOLUMNS, increc_columns[i].text);
    }
    json_decref(o);
    return 0;
}

/* The record's object (increc.h: one code path with `roomwatch report`). */
static int
add_json(const struct store_incident *in, const struct listing *ls)
{
    json_t *o = increc_object(ls->cfg, in);

    return o != NULL ? json_array_append_new(ls->list, o) : -1;
}

static int
each(const struct store_incident *in, void *arg)
{
    struct listing *ls = arg;
    char det[RW_CAL_TIME_LEN], res[RW_CAL_TIME_LEN], target[160];

    if (ls->to != 0 && (in->detected < ls->from || in->detected >= ls->to))
        return 0;
    ls->n++;
    if (ls->fmt == F_RECORD_CSV)
        return add_csv(in, ls) == 0 ? 0 : 1; /* 1: out of memory */
    if (ls->fmt != F_TABLE)
        return add_json(in, ls) == 0 ? 0 : 1;
    snprintf(target, sizeof(target), "%s%s%s", in->device, in->point ? "." : "",
             in->point ? in->point : "");
    printf("%-6lld %-8s %-8s %-11s %-20s %-24s %-25s %s%s\n", (long long)in->id,
           in->resolved != 0 ? "resolved" : "open", in->severity, in->category, in->rule, target,
           rw_calendar_rfc3339(ls->tz, in->detected, det, sizeof(det)),
           in->resolved != 0 ? rw_calendar_rfc3339(ls->tz, in->resolved, res, sizeof(res)) : "-",
           (in->flags & STORE_INC_CLEARED_WHILE_DOWN) ? " (cleared while the agent was down)" : "");
    return 0;
}

int
cmd_incidents(int argc, char **argv)
{
    const char *cfg_path = DEFAULT_CONFIG;
    struct rw_config *cfg = NULL;
    struct listing ls = {0};
    struct store *s = NULL;
    char path[4096];
    int open_only = 0, rc = 1, r, year = 0, bom = 0;
    const char *format = NULL;
    int64_t day_start[RW_CAL_MAX_DAYS + 1];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            incidents_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            ls.fmt = F_JSON;
        } else if (strcmp(argv[i], "--bom") == 0) {
            bom = 1;
        } else if (i + 1 < argc && strcmp(argv[i], "--format") == 0) {
            format = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--year") == 0) {
            char *end;
            long y = strtol(argv[++i], &end, 10);

            if (*end != '\0' || y < 1970 || y > 9999) {
                fprintf(stderr, "roomwatch incidents: --year %s: not a year\n", argv[i]);
                return 2;
            }
            year = (int)y;
        } else if (strcmp(argv[i], "--open") == 0) {
            open_only = 1;
        } else if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
            cfg_path = argv[++i];
        } else {
            incidents_usage(stderr);
            return 2;
        }
    }
    /* The record is the whole year: --year and --format go together, without --open. */
    if ((year != 0) != (format != NULL) || (format != NULL && (open_only || ls.fmt != F_TABLE)) ||
        (bom && format == NULL)) {
        incidents_usage(stderr);
        return 2;
    }
    if (format != NULL && strcmp(format, "csv") == 0) {
        ls.fmt = F_RECORD_CSV;
    } else if (format != NULL && strcmp(format, "json") == 0 && !bom) {
        ls.fmt = F_RECORD_JSON;
    } else if (format != NULL) {
        fprintf(stderr, "roomwatch incidents: --format %s%s: csv or json (--bom: csv only)\n",
                format, bom ? " --bom" : "");
        return 2;
    }
    if ((cfg = cmd_config(cfg_path)) == NULL)
        return 2;
    ls.tz = cfg->site.timezone;
    ls.cfg = cfg;
    if (year != 0) {
        int nd = rw_calendar_period(ls.tz, year, 0, day_start);

        ls.from = day_start[0];
        ls.to = day_start[nd];
    }
    snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, STORE_FILE);
    if (store_open_readonly(path, &s) < 0) {
        if (errno == ENOENT)
            fprintf(stderr,
                    "roomwatch incidents: %s: no store yet (roomwatchd has not run with "
                    "this state_dir)\n",
                    path);
        else if (errno == EPROTO)
            fprintf(stderr,
                    "roomwatch incidents: %s: the store has another schema version "
                    "than %d (roomwatchd upgrades it when it starts)\n",
                    path, STORE_SCHEMA_VERSION);
        else
            fprintf(stderr, "roomwatch incidents: %s: %s\n", path, strerror(errno));
        goto out;
    }
    if ((ls.fmt == F_JSON || ls.fmt == F_RECORD_JSON) && (ls.list = json_array()) == NULL)
        goto out;
    if (ls.fmt == F_RECORD_CSV) {
        if (bom)
            fputs("\xef\xbb\xbf", stdout);
        for (size_t i = 0; i < INCREC_NCOLUMNS; i++)
            csv_field(increc_columns[i].csv, i + 1 == INCREC_NCOLUMNS, 0);
    }
    if (ls.fmt == F_TABLE)
        printf("%-6s %-8s %-8s %-11s %-20s %-24s %-25s %s\n", "ID", "STATE", "SEVERITY", "CATEGORY",
               "RULE", "TARGET", "DETECTED", "RESOLVED");
    r = store_incident_each(s, open_only, each, &ls);
    if (r != 0) {
        fprintf(stderr, "roomwatch incidents: %s: %s\n", path,
                r < 0 ? store_errmsg(s) : "out of memory");
        goto out;
    }
    if (ls.fmt == F_JSON || ls.fmt == F_RECORD_JSON) {
        char a[RW_CAL_TIME_LEN], b[RW_CAL_TIME_LEN];
        json_t *doc =
            ls.fmt == F_JSON
                ? json_pack("{s:o}", "incidents", ls.list)
                : json_pack("{s:i,s:{s:s,s:s},s:o}", "year", year, "period", "start",
                            rw_calendar_rfc3339(ls.tz, ls.from, a, sizeof(a)), "end",
                            rw_calendar_rfc3339(ls.tz, ls.to, b, sizeof(b)), "incidents", ls.list);

        ls.list = NULL;
        if (doc == NULL || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0) {
            fprintf(stderr, "roomwatch incidents: cannot write the JSON\n");
            json_decref(doc);
            goto out;
        }
        putchar('\n');
        json_decref(doc);
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    json_decref(ls.list);
    store_close(s);
    cfg_free(cfg);
    return rc;
}
