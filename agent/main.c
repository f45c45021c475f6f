/*
 * main.c - roomwatchd: argument parsing, config check (-t), signals and the main loop.
 *
 * DESIGN: the main thread owns the config, the publisher's state and the per-device cycle
 * buffers. Bus workers (one thread per bus) push samples into the sample queue; paho's
 * threads push events into the publisher's queue. The main loop sleeps in ppoll() on both
 * queues' eventfds with the signals it handles unblocked only there, so a signal is never
 * lost between a flag check and the sleep. SIGINT/SIGTERM stop, SIGHUP reloads: the new
 * config is checked first, and a config with errors is refused while the running one stays.
 *
 * Under systemd (Type=notify) the loop reports READY/RELOADING/STOPPING and feeds the
 * watchdog itself (rw_notify): a hung main loop stops the pings and gets restarted.
 *
 * Global state: the signal flags below, the log sink (rw_log_init before any thread) and the
 * notification socket (rw_notify_init, likewise).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll() */
#endif
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "control.h"
#include "live.h"
#include "pub/pub.h"
#include "pub/pub_json.h"
#include "rw_clock.h"
#include "rw_log.h"
#include "rw_notify.h"
#include "rw_queue.h"
#include "source/bus_modbus.h"
#include "source/sample.h"
#include "source/snmp_poller.h"

#define DEFAULT_CONFIG "/etc/roomwatch/roomwatch.cfg"
#define SAMPLE_BATCH 256      /* samples taken from the queue per wake-up */
#define STOP_FLUSH_MS 3000    /* time the publisher gets to deliver what is pending at exit */
#define LOOP_TICK_MS 1000     /* longest sleep of the main loop */

static volatile sig_atomic_t sig_stop;
static volatile sig_atomic_t sig_reload;

/* The samples of one device's poll cycle, collected until its last sample arrives. */
struct cycle_buf {
    uint64_t cycle;
    size_t n;
    struct sample *s; /* one slot per point of the device's profile */
};

struct agent {
    struct rw_config *cfg;
    struct rw_queue *samples;
    struct pub *pub;
    size_t nbuses;
    struct mb_bus **buses;
    struct sp_poller *snmp;   /* NULL without SNMP devices */
    struct cycle_buf *cycles; /* per device */
    uint64_t dropped_seen;    /* queue drops already reported */
    struct live *live;        /* indicators and incidents; NULL without either */
    struct ctl *ctl;          /* commands in over MQTT */
};

static void
on_signal(int sig)
{
    if (sig == SIGHUP)
        sig_reload = 1;
    else
        sig_stop = 1;
}

static void
usage(FILE *fp)
{
    fprintf(fp, "usage: roomwatchd [-t] [-v] [-c FILE] [--allow-root]\n"
                "  -c FILE  configuration file (default " DEFAULT_CONFIG ")\n"
                "  -t       check the configuration and exit: 0 if valid, 2 with\n"
                "           file:line: messages if not\n"
                "  -v       verbose: log debug messages\n"
                "  -V       print the version and exit\n"
                "  --allow-root  run even as root (it needs no privileges: run it as\n"
                "           its own user, as the package's unit does)\n");
}

static void
log_diags(const struct cfg_diags *d)
{
    size_t i;

    for (i = 0; i < d->n; i++) {
        if (d->v[i].line > 0)
            log_err("%s:%d: %s", d->v[i].file, d->v[i].line, d->v[i].msg);
        else
            log_err("%s: %s", d->v[i].file, d->v[i].msg);
    }
}

static void
flush_cycle(struct agent *a, size_t dev)
{
    struct cycle_buf *cb = &a->cycles[dev];
    char topic[CFG_ID_MAX + 16];
    char *json;

    if (cb->n == 0)
        return;
    json = pub_json_telemetry(a->cfg, dev, cb->s, cb->n);
    cb->n = 0;
    if (json == NULL) {
        log_err("device %s: cannot build telemetry: out of memory", a->cfg->devices[dev].id);
        return;
    }
    snprintf(topic, sizeof(topic), "telemetry/%s", a->cfg->devices[dev].id);
    /* A refused message is counted by pub, which logs the state change; the indicators
     * track the reports a delivery indicator counts. */
    if (a->live != NULL)
        (void)live_publish_telemetry(a->live, dev, topic, json, rw_clock_mono());
    else
        (void)pub_publish(a->pub, topic, json, a->cfg->mqtt.qos, 0);
    free(json);
}

static void
take_sample(struct agent *a, const struct sample *s)
{
    struct cycle_buf *cb;
    const struct cfg_profile *prof;

    if (s->device >= a->cfg->ndevices)
        return;
    cb = &a->cycles[s->device];
    prof = &a->cfg->profiles[a->cfg->devices[s->device].profile];
    if (s->point >= prof->npoints)
        return;
    if (a->live != NULL)
        live_sample(a->live, s);
    /* A cycle whose last sample was dropped by a full queue is published when the next
     * cycle begins, with the points that did arrive. */
    if (cb->n > 0 && cb->cycle != s->cycle)
        flush_cycle(a, s->device);
    cb->cycle = s->cycle;
    if (cb->n < prof->npoints)
        cb->s[cb->n++] = *s;
    if (s->flags & SAMPLE_F_LAST)
        flush_cycle(a, s->device);
}

static void
drain_samples(struct agent *a)
{
    struct sample batch[SAMPLE_BATCH];
    size_t n, i;

    while ((n = rw_queue_pop(a->samples, batch, SAMPLE_BATCH)) > 0)
        for (i = 0; i < n; i++)
            take_sample(a, &batch[i]);
}

static void
check_queue(struct agent *a)
{
    uint64_t d = rw_queue_dropped(a->samples);

    /* The workers warn when an overflow starts; the total is reported here once it ends. */
    if (d > a->dropped_seen) {
        log_warn("sample queue: %llu samples dropped so far (capacity %zu); the time they "
                 "covered reads as unknown",
                 (unsigned long long)d, rw_queue_capacity(a->samples));
        a->dropped_seen = d;
    }
}

static void
agent_stop(struct agent *a)
{
    size_t i;

    for (i = 0; i < a->nbuses; i++)
        mb_bus_free(a->buses[i]);
    free(a->buses);
    a->buses = NULL;
    a->nbuses = 0;
    sp_poller_free(a->snmp);
    a->snmp = NULL;
    if (a->samples != NULL) {
        drain_samples(a);
        if (a->cfg != NULL)
            for (i = 0; i < a->cfg->ndevices; i++)
                flush_cycle(a, i);
    }
    /* Before the store closes with live. */
    ctl_free(a->ctl);
    a->ctl = NULL;
    /* After the last samples are in: the final checkpoint and the run's clean end. */
    live_close(a->live, rw_clock_mono());
    a->live = NULL;
    if (a->pub != NULL) {
        pub_stop(a->pub, STOP_FLUSH_MS);
        pub_free(a->pub);
        a->pub = NULL;
    }
    rw_queue_free(a->samples);
    a->samples = NULL;
    if (a->cycles != NULL && a->cfg != NULL)
        for (i = 0; i < a->cfg->ndevices; i++)
            free(a->cycles[i].s);
    free(a->cycles);
    a->cycles = NULL;
}

/* Starts workers and publisher for a->cfg. Returns 0, or -1 after logging why. */
static int
agent_start(struct agent *a)
{
    struct rw_config *cfg = a->cfg;
    size_t i;

    a->samples = rw_queue_new(cfg->queue_size, sizeof(struct sample));
    a->cycles = calloc(cfg->ndevices ? cfg->ndevices : 1, sizeof(*a->cycles));
    a->buses = calloc(cfg->nbuses ? cfg->nbuses : 1, sizeof(*a->buses));
    if (a->samples == NULL || a->cycles == NULL || a->buses == NULL) {
        log_err("cannot allocate the sample queue: %s", strerror(errno));
        return -1;
    }
    a->dropped_seen = 0;
    for (i = 0; i < cfg->ndevices; i++) {
        const struct cfg_profile *p = &cfg->profiles[cfg->devices[i].profile];
        a->cycles[i].s = calloc(p->npoints ? p->npoints : 1, sizeof(struct sample));
        if (a->cycles[i].s == NULL) {
            log_err("out of memory");
            return -1;
        }
    }
    a->pub = pub_new(cfg);
    if (a->pub == NULL || pub_start(a->pub) < 0)
        return -1;
    if (cfg->nindicators > 0 || cfg->ninc_indicators > 0 || cfg->nalarms > 0) {
        char err[256];

        if (live_open(cfg, a->pub, rw_clock_wall(), rw_clock_mono(), &a->live, err,
                      sizeof(err)) < 0) {
            log_err("indicators: %s", err);
            return -1;
        }
    }
    if ((a->ctl = ctl_new(cfg, a->pub, a->live != NULL ? live_store(a->live) : NULL)) == NULL) {
        log_err("commands: out of memory");
        return -1;
    }
    for (i = 0; i < cfg->nbuses; i++) {
        a->buses[i] = mb_bus_new(cfg, i, a->samples);
        if (a->buses[i] == NULL) {
            log_err("bus %s: cannot set up: %s", cfg->buses[i].id, strerror(errno));
            return -1;
        }
        a->nbuses = i + 1;
        if (mb_bus_start(a->buses[i]) < 0) {
            log_err("bus %s: cannot start its thread: %s", cfg->buses[i].id, strerror(errno));
            return -1;
        }
    }
    if (sp_device_count(cfg) > 0) {
        if ((a->snmp = sp_poller_new(cfg, a->samples)) == NULL ||
            sp_poller_start(a->snmp) < 0) {
            log_err("snmp poller: cannot start: %s", strerror(errno));
            return -1;
        }
    }
    log_notice("started: site %s gateway %s, %zu buses, %zu devices, publishing to %s",
               cfg->site.id, cfg->site.gateway, cfg->nbuses, cfg->ndevices, cfg->mqtt.prefix);
    return 0;
}

static void
reload(struct agent *a, const char *path)
{
    struct cfg_diags diags = {0};
    struct rw_config *ncfg = NULL;

    if (cfg_load(path, &ncfg, &diags) != CFG_OK) {
        log_diags(&diags);
        log_err("reload: %s has errors; keeping the running configuration", path);
        cfg_diags_free(&diags);
        return;
    }
    cfg_diags_free(&diags);
    log_notice("reload: %s is valid; restarting buses and publisher", path);
    agent_stop(a);
    cfg_free(a->cfg);
    a->cfg = ncfg;
    if (agent_start(a) < 0)
        sig_stop = 1;
}

/* Tells systemd the daemon is up: the config is loaded, the store is open (with indicators),
 * buses and publisher have started. */
static void
notify_ready(const struct agent *a)
{
    (void)rw_notify_fmt("READY=1\nSTATUS=polling %zu devices on %zu buses, publishing to %s",
                        a->cfg->ndevices, a->cfg->nbuses, a->cfg->mqtt.prefix);
}

int
main(int argc, char **argv)
{
    const char *path = DEFAULT_CONFIG;
    static const struct option longopts[] = {
        {"allow-root", no_argument, NULL, 'R'},
        {NULL, 0, NULL, 0},
    };
    int check_only = 0, verbose = 0, allow_root = 0, ch, rc = 0;
    struct cfg_diags diags = {0};
    struct agent a;
    struct sigaction sa;
    sigset_t block, orig;

    while ((ch = getopt_long(argc, argv, "c:thvV", longopts, NULL)) != -1) {
        switch (ch) {
        case 'R':
            allow_root = 1;
            break;
        case 'c':
            path = optarg;
            break;
        case 't':
            check_only = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'V':
            printf("roomwatchd %s\n", ROOMWATCH_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    rw_log_init("roomwatchd", verbose ? RW_LOG_DEBUG : RW_LOG_INFO);
    /*
     * Least privilege: the daemon talks to a broker anyone on the intranet may reach and
     * parses bytes from devices; it needs no root for that (serial ports: group dialout).
     * Checking a config (-t) is allowed, as the unit's ExecStartPre may run it as root.
     */
    if (!check_only && geteuid() == 0 && !allow_root) {
        log_err("refusing to run as root: roomwatchd needs no privileges; run it as its own "
                "user (the package's unit uses \"roomwatch\"), or pass --allow-root");
        return 1;
    }

    memset(&a, 0, sizeof(a));
    if (cfg_load(path, &a.cfg, &diags) != CFG_OK) {
        cfg_diags_print(&diags, stderr);
        cfg_diags_free(&diags);
        return 2;
    }
    cfg_diags_free(&diags);
    if (check_only) {
        size_t points = 0, i;
        for (i = 0; i < a.cfg->ndevices; i++)
            points += a.cfg->profiles[a.cfg->devices[i].profile].npoints;
        printf("%s: OK: %zu buses, %zu devices, %zu points\n", path, a.cfg->nbuses,
               a.cfg->ndevices, points);
        cfg_free(a.cfg);
        return 0;
    }

    /* One malloc arena per bus thread would cost each a heap of its own; the threads allocate
     * almost nothing after start-up, so two arenas serve them all (tests/bench: RSS). */
    mallopt(M_ARENA_MAX, 2);

    /* Timestamps in telemetry carry the site's offset. */
    if (a.cfg->site.timezone != NULL) {
        setenv("TZ", a.cfg->site.timezone, 1);
        tzset();
    }

    /* Block the handled signals in every thread; only ppoll() below lets them in. */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &orig);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* net-snmp's one-time set-up must precede every thread (libraries.md, net-snmp). */
    sp_library_init();
    if (rw_notify_init() < 0)
        log_warn("NOTIFY_SOCKET: cannot use it: %s; not reporting to systemd", strerror(errno));
    else if (rw_notify_watchdog_usec() > 0)
        log_info("systemd watchdog: %llu ms", rw_notify_watchdog_usec() / 1000ULL);
    if (agent_start(&a) < 0) {
        rc = 1;
        sig_stop = 1;
    } else {
        notify_ready(&a);
    }
    while (!sig_stop) {
        struct pollfd pfd[2];
        long tick = LOOP_TICK_MS, wd;
        struct timespec ts;
        int n;

        /* Fed here, by the loop itself: pings stop when the loop stops going round. The
         * sleep never outlasts the next ping's due time. */
        wd = rw_notify_watchdog_tick(rw_clock_mono());
        if (wd >= 0 && wd < tick)
            tick = wd;
        ts.tv_sec = tick / 1000;
        ts.tv_nsec = (tick % 1000) * 1000000L;

        pfd[0].fd = rw_queue_fd(a.samples);
        pfd[0].events = POLLIN;
        pfd[1].fd = pub_fd(a.pub);
        pfd[1].events = POLLIN;
        n = ppoll(pfd, 2, &ts, &orig);
        if (n < 0 && errno != EINTR) {
            log_err("ppoll: %s", strerror(errno));
            rc = 1;
            break;
        }
        if (sig_reload) {
            sig_reload = 0;
            (void)rw_notify_fmt("RELOADING=1\nMONOTONIC_USEC=%.0f\nSTATUS=reloading %s",
                                rw_clock_mono() * 1e6, path);
            reload(&a, path);
            if (!sig_stop)
                notify_ready(&a);
            continue;
        }
        drain_samples(&a);
        if (a.live != NULL)
            live_tick(a.live, rw_clock_mono());
        pub_dispatch(a.pub);
        ctl_tick(a.ctl, rw_clock_mono());
        check_queue(&a);
    }
    log_notice("stopping");
    (void)rw_notify("STOPPING=1\nSTATUS=stopping");
    agent_stop(&a);
    sp_library_shutdown();
    cfg_free(a.cfg);
    rw_notify_close();
    return rc;
}
