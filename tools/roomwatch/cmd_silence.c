/*
 * cmd_silence.c - maintenance windows for notifications:
 *   roomwatch silence add --from TIME --to TIME (--rule ID | --device ID | --all)
 *                         --by NAME --note TEXT [-c FILE]
 *   roomwatch silence list [--json] [-c FILE]
 * While a silence holds, the notifications of the incidents it covers (of that alarm rule,
 * on that device, or all) are not sent on any channel; the incidents are recorded and
 * published as always, and `list` shows what each silence held back. A silence is written
 * to the store beside the running roomwatchd (store_silence_add(): the same silence twice is
 * recorded once), whose notifier honours it at its next look.
 * Exit 0; 1 when the store cannot be opened or written; 2 for bad usage or input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "cmd.h"
#include "rcmd.h"
#include "rw_calendar.h"
#include "store/store.h"

#define DEFAULT_CONFIG "/etc/roomwatch/roomwatch.cfg"

static void
usage(FILE *fp)
{
    fputs("usage: roomwatch silence add --from TIME --to TIME (--rule ID | --device ID | --all)\n"
          "                             --by NAME --note TEXT [-c FILE]\n"
          "       roomwatch silence list [--json] [-c FILE]\n"
          "  TIME     RFC 3339 with an offset: 2026-03-01T09:30:00+08:00\n"
          "  --rule   an alarm rule of the config; --device a device of it (both: that rule\n"
          "           on that device); --all every incident and alert\n",
          fp);
}

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The store of cfg, read-write or read-only; NULL after saying why. */
static struct store *
open_store(const struct rw_config *cfg, int rw)
{
    struct store *s = NULL;
    char path[4096];

    snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, STORE_FILE);
    if ((rw ? store_open_file_rw(path, &s) : store_open_readonly(path, &s)) == 0)
        return s;
    if (errno == ENOENT)
        fprintf(stderr,
                "roomwatch silence: %s: no store yet (roomwatchd has not run with this "
                "state_dir)\n",
                path);
    else if (errno == EPROTO)
        fprintf(stderr,
                "roomwatch silence: %s: the store has another schema version than %d "
                "(roomwatchd upgrades it when it starts)\n",
                path, STORE_SCHEMA_VERSION);
    else
        fprintf(stderr, "roomwatch silence: %s: %s\n", path, strerror(errno));
    return NULL;
}

/* Checked by the rules of <prefix>/cmd/silence (rcmd_check()) and applied by the same
 * store_cmd_apply(); the rule and device must also be in the config. */
static int
add(const struct rw_config *cfg, const char *from, const char *to, const char *rule,
    const char *device, int all, const char *by, const char *note)
{
    struct store_cmd c = {.kind = STORE_CMD_SILENCE,
                          .rule = rule,
                          .device = device,
                          .all = all,
                          .by = by,
                          .note = note};
    struct store_cmd_result r;
    char err[RCMD_ERR_LEN];
    struct store *s;
    int found = 0;

    if (rcmd_parse_time(from, &c.at) < 0 || rcmd_parse_time(to, &c.until) < 0) {
        fprintf(stderr, "roomwatch silence: --from and --to must be RFC 3339 times with an "
                        "offset (2026-03-01T09:30:00+08:00)\n");
        return 2;
    }
    if (rcmd_check(&c, now_ms(), err, sizeof(err)) != RCMD_OK) {
        char opt[RCMD_ERR_LEN + 32];

        fprintf(stderr, "roomwatch silence: %s\n", cmd_as_options(err, opt, sizeof(opt)));
        return 2;
    }
    for (size_t i = 0; rule != NULL && i < cfg->nalarms; i++)
        found |= strcmp(cfg->alarms[i].id, rule) == 0;
    if (rule != NULL && !found) {
        fprintf(stderr, "roomwatch silence: --rule %s: the config has no such alarm rule\n", rule);
        return 2;
    }
    found = 0;
    for (size_t i = 0; device != NULL && i < cfg->ndevices; i++)
        found |= strcmp(cfg->devices[i].id, device) == 0;
    if (device != NULL && !found) {
        fprintf(stderr, "roomwatch silence: --device %s: the config has no such device\n", device);
        return 2;
    }
    if ((s = open_store(cfg, 1)) == NULL)
        return 1;
    if (store_cmd_apply(s, &c, now_ms(), "cli", &r) < 0) {
        fprintf(stderr, "roomwatch silence: cannot record it: %s\n",
                errno == EIO ? store_errmsg(s) : strerror(errno));
        store_close(s);
        return 1;
    }
    store_close(s);
    printf("silence %lld: %s: notifications of %s%s%s%s held back from %s to %s\n", (long long)r.id,
           r.changed ? r.what : r.why,
           all    ? "every incident"
           : rule ? "rule "
                  : "",
           rule ? rule : "", device ? (rule ? " on device " : "device ") : "", device ? device : "",
           from, to);
    return fflush(stdout) == 0 ? 0 : 1;
}

struct lister {
    const struct rw_config *cfg;
    struct store *s;
    json_t *out; /* NULL: a table */
    int failed;
};

static int
held_row(const struct store_notify_event *ev, void *arg)
{
    json_t *a = arg;

    json_array_append_new(a, json_pack("{s:I, s:s, s:I, s:s}", "seq", (json_int_t)ev->seq, "kind",
                                       ev->kind, "ref", (json_int_t)ev->ref, "what", ev->what));
    return 0;
}

static int
list_one(const struct store_silence *sl, void *arg)
{
    struct lister *l = arg;
    const char *tz = l->cfg->site.timezone;
    char a[RW_CAL_TIME_LEN], b[RW_CAL_TIME_LEN];
    json_t *held = json_array(), *o;

    /* The walk's statement is still open: a second one on the same connection may read. */
    if (store_silence_held(l->s, sl->id, held_row, held) < 0)
        l->failed = 1;
    rw_calendar_rfc3339(tz, sl->starts, a, sizeof(a));
    rw_calendar_rfc3339(tz, sl->ends, b, sizeof(b));
    if (l->out != NULL) {
        o = json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:s, s:o}", "id", (json_int_t)sl->id, "from",
                      a, "to", b, "rule", sl->rule ? json_string(sl->rule) : json_null(), "device",
                      sl->device ? json_string(sl->device) : json_null(), "by", sl->by, "note",
                      sl->note, "held", held);
        json_array_append_new(l->out, o);
        return 0;
    }
    printf("%-4lld %s .. %s  %s%s%s%s  by %s: %s\n", (long long)sl->id, a, b,
           sl->rule || sl->device ? "" : "all", sl->rule ? sl->rule : "",
           sl->rule && sl->device ? " on " : "", sl->device ? sl->device : "", sl->by, sl->note);
    for (size_t i = 0; i < json_array_size(held); i++) {
        json_t *h = json_array_get(held, i);

        printf("     held back: %s %lld %s\n", json_string_value(json_object_get(h, "kind")),
               (long long)json_integer_value(json_object_get(h, "ref")),
               json_string_value(json_object_get(h, "what")));
    }
    json_decref(held);
    return 0;
}

static int
list(const struct rw_config *cfg, int json)
{
    struct lister l = {cfg, NULL, json ? json_array() : NULL, 0};
    int rc;

    if ((l.s = open_store(cfg, 0)) == NULL) {
        json_decref(l.out);
        return 1;
    }
    rc = store_silence_each(l.s, 0, list_one, &l);
    if (rc < 0 || l.failed) {
        fprintf(stderr, "roomwatch silence: cannot read the store: %s\n", store_errmsg(l.s));
        json_decref(l.out);
        store_close(l.s);
        return 1;
    }
    if (l.out != NULL) {
        json_t *doc = json_pack("{s:o}", "silences", l.out);

        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(doc);
    }
    store_close(l.s);
    return fflush(stdout) == 0 ? 0 : 1;
}

int
cmd_silence(int argc, char **argv)
{
    const char *cfg_path = DEFAULT_CONFIG, *from = NULL, *to = NULL, *rule = NULL, *device = NULL,
               *by = NULL, *note = NULL;
    int all = 0, json = 0, rc, adding;
    struct rw_config *cfg;

    if (argc < 2 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "list") != 0)) {
        if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
            usage(stdout);
            return 0;
        }
        usage(stderr);
        return 2;
    }
    adding = strcmp(argv[1], "add") == 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-c") == 0 && has)
            cfg_path = argv[++i];
        else if (!adding && strcmp(a, "--json") == 0)
            json = 1;
        else if (adding && strcmp(a, "--all") == 0)
            all = 1;
        else if (adding && has && strcmp(a, "--from") == 0)
            from = argv[++i];
        else if (adding && has && strcmp(a, "--to") == 0)
            to = argv[++i];
        else if (adding && has && strcmp(a, "--rule") == 0)
            rule = argv[++i];
        else if (adding && has && strcmp(a, "--device") == 0)
            device = argv[++i];
        else if (adding && has && strcmp(a, "--by") == 0)
            by = argv[++i];
        else if (adding && has && strcmp(a, "--note") == 0)
            note = argv[++i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (adding && (from == NULL || to == NULL)) {
        usage(stderr);
        return 2;
    }
    if ((cfg = cmd_config(cfg_path)) == NULL)
        return 2;
    rc = adding ? add(cfg, from, to, rule, device, all, by, note) : list(cfg, json);
    cfg_free(cfg);
    return rc;
}
