/*
 * cmd_notify.c - `roomwatch notify test CHANNEL [-c FILE]`: sends a test message over one of
 * the config's notification channels, as roomwatchd would send, so IT staff can check a
 * robot's key and signature, an Alertmanager or a mail server when they set it up. The
 * message says it is a test, from which site, gateway and channel. Nothing is written to
 * the store. Exit 0 when the channel took it, 1 when it did not (why on stderr), 2 for bad
 * usage or a config with errors.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cfg/cfg.h"
#include "cmd.h"
#include "notify/nt_msg.h"
#include "notify/nt_send.h"

#define DEFAULT_CONFIG "/etc/roomwatch/roomwatch.cfg"

static void
usage(FILE *fp)
{
    fputs("usage: roomwatch notify test CHANNEL [-c FILE]\n", fp);
}

int
cmd_notify(int argc, char **argv)
{
    const char *cfg_path = DEFAULT_CONFIG, *name = NULL;
    const struct cfg_notify *ch;
    struct rw_config *cfg;
    struct nt_request req;
    struct nt_site site;
    struct timespec ts;
    char err[256];
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            cfg_path = argv[++i];
        else if (i == 1 && strcmp(argv[i], "test") == 0)
            continue;
        else if (i == 2 && strcmp(argv[1], "test") == 0)
            name = argv[i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (name == NULL) {
        usage(stderr);
        return 2;
    }
    if ((cfg = cmd_config(cfg_path)) == NULL)
        return 2;
    if ((ch = cfg_notify_find(cfg, name)) == NULL) {
        fprintf(stderr, "roomwatch notify: %s has no channel \"%s\"", cfg_path, name);
        for (size_t i = 0; i < cfg->nnotify; i++)
            fprintf(stderr, "%s%s", i ? ", " : " (it has: ", cfg->notify[i].id);
        fprintf(stderr, "%s\n", cfg->nnotify ? ")" : "");
        cfg_free(cfg);
        return 2;
    }
    site = (struct nt_site){cfg->site.id, cfg->site.name, cfg->site.gateway, cfg->site.timezone,
                            cfg->mqtt.prefix};
    clock_gettime(CLOCK_REALTIME, &ts);
    if (nt_send_init() < 0 ||
        nt_build_test(ch, &site, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, &req) < 0) {
        fprintf(stderr, "roomwatch notify: cannot build the test message\n");
        cfg_free(cfg);
        return 1;
    }
    rc = nt_send(ch, &req, err, sizeof(err));
    if (rc == 0)
        printf("sent a test message over channel %s (%s): \"%s\"\n", ch->id,
               cfg_nt_type_name(ch->type), req.title);
    else
        fprintf(stderr, "roomwatch notify: channel %s (%s) did not take the test message: %s\n",
                ch->id, cfg_nt_type_name(ch->type), err);
    nt_request_free(&req);
    cfg_free(cfg);
    return rc == 0 ? 0 : 1;
}
