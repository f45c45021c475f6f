/*
 * cmd_incidents.c - `roomwatch incidents`: lists the incidents in the daemon's store, all or
 * the open ones, as a table or as JSON. Read-only: it opens the database without creating
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
#include "rw_calendar.h"
#include "store/store.h"

#define DEFAULT_CONFIG "/etc/roomwatch/roomwatch.cfg"

struct listing {
    const char *tz;
    int json;
    json_t *list; /* --json */
    size_t n;
};

static void
incidents_usage(FILE *fp)
{
    fprintf(fp, "usage: roomwatch incidents [--open] [--json] [-c FILE]\n"
                "  -c FILE  the agent's configuration (default " DEFAULT_CONFIG "): its\n"
                "           state_dir holds the store\n"
                "  --open   only the incidents not resolved yet\n"
                "  --json   {\"incidents\": [...]} instead of a table\n");
}

static json_t *
time_or_null(const char *tz, int64_t t)
{
    char buf[RW_CAL_TIME_LEN];

    return t != 0 ? json_string(rw_calendar_rfc3339(tz, t, buf, sizeof(buf))) : json_null();
}

static json_t *
text_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static int
add_json(const struct store_incident *in, const struct listing *ls)
{
    json_t *o = json_object(), *flags = json_array();

    if (o == NULL || flags == NULL) {
        json_decref(o);
        json_decref(flags);
        return -1;
    }
    if (in->flags & STORE_INC_CLEARED_WHILE_DOWN)
        json_array_append_new(flags, json_string("cleared_while_down"));
    json_object_set_new(o, "id", json_integer(in->id));
    json_object_set_new(o, "state", json_string(in->resolved != 0 ? "resolved" : "open"));
    json_object_set_new(o, "rule", text_or_null(in->rule));
    json_object_set_new(o, "severity", text_or_null(in->severity));
    json_object_set_new(o, "category", text_or_null(in->category));
    json_object_set_new(o, "device", text_or_null(in->device));
    json_object_set_new(o, "point", text_or_null(in->point));
    json_object_set_new(o, "started", time_or_null(ls->tz, in->started));
    json_object_set_new(o, "detected", time_or_null(ls->tz, in->detected));
    json_object_set_new(o, "value", isfinite(in->value) ? json_real(in->value) : json_null());
    json_object_set_new(o, "acknowledged", time_or_null(ls->tz, in->acked));
    json_object_set_new(o, "acknowledged_by", text_or_null(in->acked_by));
    json_object_set_new(o, "ack_note", text_or_null(in->ack_note));
    json_object_set_new(o, "cleared", time_or_null(ls->tz, in->cleared));
    json_object_set_new(o, "resolved", time_or_null(ls->tz, in->resolved));
    json_object_set_new(o, "resolution", text_or_null(in->resolved_how));
    json_object_set_new(o, "resolved_by", text_or_null(in->resolved_by));
    json_object_set_new(o, "cause", text_or_null(in->cause));
    json_object_set_new(o, "measure", text_or_null(in->measure));
    json_object_set_new(o, "duration_s",
                        in->resolved != 0
                            ? json_real((double)(in->resolved - in->detected) / 1000.0)
                            : json_null());
    json_object_set_new(o, "flags", flags);
    return json_array_append_new(ls->list, o);
}

static int
each(const struct store_incident *in, void *arg)
{
    struct listing *ls = arg;
    char det[RW_CAL_TIME_LEN], res[RW_CAL_TIME_LEN], target[160];

    ls->n++;
    if (ls->json)
        return add_json(in, ls) == 0 ? 0 : -1;
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
    struct cfg_diags diags = {0};
    struct rw_config *cfg = NULL;
    struct listing ls = {0};
    struct store *s = NULL;
    char path[4096];
    int open_only = 0, rc = 1, r;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            incidents_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            ls.json = 1;
        } else if (strcmp(argv[i], "--open") == 0) {
            open_only = 1;
        } else if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
            cfg_path = argv[++i];
        } else {
            incidents_usage(stderr);
            return 2;
        }
    }
    if (cfg_load(cfg_path, &cfg, &diags) != CFG_OK) {
        cfg_diags_print(&diags, stderr);
        cfg_diags_free(&diags);
        return 2;
    }
    cfg_diags_free(&diags);
    ls.tz = cfg->site.timezone;
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
    if (ls.json && (ls.list = json_array()) == NULL)
        goto out;
    if (!ls.json)
        printf("%-6s %-8s %-8s %-11s %-20s %-24s %-25s %s\n", "ID", "STATE", "SEVERITY", "CATEGORY",
               "RULE", "TARGET", "DETECTED", "RESOLVED");
    r = store_incident_each(s, open_only, each, &ls);
    if (r != 0) {
        fprintf(stderr, "roomwatch incidents: %s: %s\n", path,
                r < 0 ? store_errmsg(s) : "out of memory");
        goto out;
    }
    if (ls.json) {
        json_t *doc = json_pack("{s:o}", "incidents", ls.list);

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
