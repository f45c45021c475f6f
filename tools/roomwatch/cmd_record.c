/*
 * cmd_record.c - `roomwatch ack`, `roomwatch resolve` and `roomwatch event add`: the
 * fault-handling record's commands on the gateway, writing the daemon's store directly.
 *
 * The three share everything but their arguments: the command is checked by the rules of
 * the MQTT commands (rcmd_check()) and applied by the same store function the daemon uses
 * (store_cmd_apply()), so idempotence and the state rules are the daemon's. The store is
 * opened read-write without creating or migrating it; SQLite's WAL and busy timeout let
 * this run beside roomwatchd, which publishes the change within about a second (control.h).
 * Times: an acknowledgement or resolution is stamped with this machine's clock now.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg/cfg.h"
#include "cmd.h"
#include "rcmd.h"
#include "store/store.h"

#define DEFAULT_CONFIG "/etc/roomwatch/roomwatch.cfg"

static const char *const usages[] = {
    [STORE_CMD_ACK] = "usage: roomwatch ack ID --by NAME [--note TEXT] [-c FILE]\n",
    [STORE_CMD_RESOLVE] =
        "usage: roomwatch resolve ID --by NAME --cause TEXT --measure TEXT [-c FILE]\n",
    [STORE_CMD_EVENT] = "usage: roomwatch event add --kind maintenance|inspection|"
                        "security-incident --at TIME\n"
                        "                          --by NAME --note TEXT [--incident ID] "
                        "[-c FILE]\n",
};

static void
record_usage(enum store_cmd_kind kind, FILE *fp)
{
    fputs(usages[kind], fp);
    fputs("  -c FILE  the agent's configuration (default " DEFAULT_CONFIG "): its\n"
          "           state_dir holds the store\n",
          fp);
    if (kind == STORE_CMD_EVENT)
        fputs("  --at     RFC 3339 with an offset: 2026-03-01T09:30:00+08:00\n", fp);
}

/* A positive decimal id, or 0. */
static int64_t
parse_id(const char *s)
{
    char *end;
    long long v;

    if (*s < '1' || *s > '9')
        return 0;
    errno = 0;
    v = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0' && v > 0 ? (int64_t)v : 0;
}

const char *
cmd_as_options(const char *err, char *out, size_t len)
{
    size_t o = 0;

    for (const char *p = err; *p != '\0' && o + 3 < len; p++) {
        size_t n = 0;

        if (*p == '"') {
            while ((p[1 + n] >= 'a' && p[1 + n] <= 'z') || p[1 + n] == '_')
                n++;
            if (n > 0 && p[1 + n] == '"' && o + n + 3 < len) {
                memcpy(out + o, "--", 2);
                memcpy(out + o + 2, p + 1, n);
                o += n + 2;
                p += n + 1;
                continue;
            }
        }
        out[o++] = *p;
    }
    out[o] = '\0';
    return out;
}

static int
run(enum store_cmd_kind kind, const char *name, int argc, char **argv, int first)
{
    const char *cfg_path = DEFAULT_CONFIG, *at = NULL;
    struct store_cmd c = {.kind = kind};
    struct store_cmd_result r;
    struct rw_config *cfg = NULL;
    struct store *s = NULL;
    char path[4096], err[RCMD_ERR_LEN];
    struct timespec ts;
    int64_t now;
    int rc = 1;

    for (int i = first; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            record_usage(kind, stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            record_usage(kind, stderr);
            return 2;
        }
        if (strcmp(a, "-c") == 0)
            cfg_path = argv[++i];
        else if (strcmp(a, "--by") == 0)
            c.by = argv[++i];
        else if (strcmp(a, "--note") == 0 && kind != STORE_CMD_RESOLVE)
            c.note = argv[++i];
        else if (strcmp(a, "--cause") == 0 && kind == STORE_CMD_RESOLVE)
            c.cause = argv[++i];
        else if (strcmp(a, "--measure") == 0 && kind == STORE_CMD_RESOLVE)
            c.measure = argv[++i];
        else if (strcmp(a, "--kind") == 0 && kind == STORE_CMD_EVENT)
            c.event_kind = argv[++i];
        else if (strcmp(a, "--at") == 0 && kind == STORE_CMD_EVENT)
            at = argv[++i];
        else if (strcmp(a, "--incident") == 0 && kind == STORE_CMD_EVENT) {
            if ((c.incident = parse_id(argv[++i])) == 0) {
                fprintf(stderr, "roomwatch %s: --incident must be a number >= 1\n", name);
                return 2;
            }
        } else {
            record_usage(kind, stderr);
            return 2;
        }
    }
    if (kind != STORE_CMD_EVENT && (first != 2 || (c.incident = parse_id(argv[1])) == 0)) {
        fprintf(stderr, "roomwatch %s: the incident's id (a number >= 1) comes first\n", name);
        record_usage(kind, stderr);
        return 2;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (kind == STORE_CMD_EVENT) {
        if (at == NULL) {
            fprintf(stderr, "roomwatch %s: --at is missing\n", name);
            return 2;
        }
        if (rcmd_parse_time(at, &c.at) < 0) {
            fprintf(stderr,
                    "roomwatch %s: --at \"%s\": not an RFC 3339 time with an offset "
                    "(2026-03-01T09:30:00+08:00)\n",
                    name, at);
            return 2;
        }
    }
    if (rcmd_check(&c, now, err, sizeof(err)) != RCMD_OK) {
        char opt[RCMD_ERR_LEN + 16];

        fprintf(stderr, "roomwatch %s: %s\n", name, cmd_as_options(err, opt, sizeof(opt)));
        return 2;
    }
    if ((cfg = cmd_config(cfg_path)) == NULL)
        return 2;
    snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, STORE_FILE);
    if (store_open_file_rw(path, &s) < 0) {
        if (errno == ENOENT)
            fprintf(stderr,
                    "roomwatch %s: %s: no store yet (roomwatchd has not run with this "
                    "state_dir)\n",
                    name, path);
        else if (errno == EPROTO)
            fprintf(stderr,
                    "roomwatch %s: %s: the store has another schema version than %d "
                    "(roomwatchd upgrades it when it starts)\n",
                    name, path, STORE_SCHEMA_VERSION);
        else
            fprintf(stderr, "roomwatch %s: %s: %s\n", name, path, strerror(errno));
        goto out;
    }
    if (store_cmd_apply(s, &c, now, "cli", &r) < 0) {
        if (errno == ENOENT) {
            fprintf(stderr, "roomwatch %s: incident %lld: no such incident\n", name,
                    (long long)c.incident);
            rc = 2;
        } else if (errno == EALREADY) {
            fprintf(stderr, "roomwatch %s: incident %lld: %s\n", name, (long long)c.incident,
                    r.why);
            rc = 2;
        } else {
            fprintf(stderr, "roomwatch %s: %s: %s\n", name, path,
                    errno == EIO ? store_errmsg(s) : strerror(errno));
        }
        goto out;
    }
    if (kind == STORE_CMD_EVENT)
        printf("event %lld: %s\n", (long long)r.id, r.changed ? r.what : r.why);
    else
        printf("incident %lld: %s\n", (long long)r.id, r.changed ? r.what : r.why);
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    store_close(s);
    cfg_free(cfg);
    return rc;
}

int
cmd_ack(int argc, char **argv)
{
    return run(STORE_CMD_ACK, "ack", argc, argv, argc > 1 && argv[1][0] != '-' ? 2 : 1);
}

int
cmd_resolve(int argc, char **argv)
{
    return run(STORE_CMD_RESOLVE, "resolve", argc, argv, argc > 1 && argv[1][0] != '-' ? 2 : 1);
}

int
cmd_event(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        record_usage(STORE_CMD_EVENT, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "add") != 0) {
        record_usage(STORE_CMD_EVENT, stderr);
        return 2;
    }
    return run(STORE_CMD_EVENT, "event add", argc, argv, 2);
}
