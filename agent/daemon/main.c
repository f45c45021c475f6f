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
 * Global state: the signal flags below, the log sink (rw_log_init before any thread), the
 * notification socket (rw_notify_init, likewise), and the modules loaded (modules.h; never
 * unloaded) with snmp_library, the one whose net-snmp was initialised.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll() */
#endif
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive/archive.h"
#include "cfg/cfg.h"
#include "control.h"
#include "core/core.h"
#include "delivery.h"
#include "late.h"
#include "modules.h"
#include "outbox.h"
#include "pub/pub.h"
#include "pub/pub_json.h"
#include "repub.h"
#include "rw_clock.h"
#include "rw_ctrust.h"
#include "rw_etime.h"
#include "rw_log.h"
#include "rw_notify.h"
#include "rw_queue.h"
#include "source/bus_modbus.h"
#include "source/sample.h"
#include "store/store.h"

#define DEFAULT_CONFIG "/etc/roomwatch/roomwatch.cfg"
#define SAMPLE_BATCH 256   /* samples taken from the queue per wake-up */
#define STOP_FLUSH_MS 3000 /* time the publisher gets to deliver what is pending at exit */
#define LOOP_TICK_MS 1000  /* longest sleep of the main loop */

static volatile sig_atomic_t sig_stop;
static volatile sig_atomic_t sig_reload;
/* The SNMP module once net-snmp is initialised: shut down at exit, whatever reloads did. */
static const struct sp_module *snmp_library;

/* The samples of one device's poll cycle, collected until its last sample arrives. */
struct cycle_buf {
    uint64_t cycle;
    size_t n;
    struct sample *s; /* one slot per point of the device's profile */
};

struct agent {
    struct rw_config *cfg;
    struct modules mod;       /* what cfg uses of the SNMP poller, the prober, the notifier */
    struct rw_queue *samples;
    struct pub *pub;
    size_t nbuses;
    struct mb_bus **buses;
    struct sp_poller *snmp;   /* NULL without SNMP devices */
    struct prb *probes;       /* NULL without probed devices */
    struct cycle_buf *cycles; /* per device */
    uint64_t dropped_seen;    /* queue drops already reported */
    struct store *store;      /* with indicators or alarm rules; NULL without */
    struct core *core;        /* indicators and incidents; NULL without either */
    struct core_out out;      /* the core's messages: to pub; what it takes: to arc */
    struct arc *arc;          /* the sample archive; NULL when off */
    struct rw_etime et;       /* engine time: the wall clock at start, then monotonic */
    uint64_t refused;         /* samples the core refused (too late) */
    struct dlv *dlv;          /* telemetry, tracked for the delivery indicators */
    struct outbox *ob;        /* the core's QoS 1 messages until acknowledged; with a store */
    struct late *late;        /* telemetry sent late from the archive; with the archive */
    struct ctl *ctl;          /* commands in over MQTT */
    struct repub *repub;      /* the retained <prefix>/report/<period>; with a store */
    struct notifier *notifier; /* channels told from the store's log; NULL without any */
    uint64_t notify_version;   /* of the channels' state last put in <prefix>/status */
    /* Waiting for a trusted wall clock (rw_ctrust.h): the store, the core, the archive,
     * commands and the notifier are not started yet; polling and telemetry go on. */
    int clock_wait;
    double clock_wait_since; /* monotonic s */
    uint64_t clock_held;     /* samples taken while waiting: not filed, their time unknown */
    int disk_state;          /* DISK_* bits as last put in <prefix>/status */
};

/* What fails to reach the disk (a full disk, an I/O error): in <prefix>/status. */
#define DISK_STORE 1   /* the store's checkpoints */
#define DISK_ARCHIVE 2 /* the sample archive's writes */

/* Modbus exceptions a TCP gateway sends for the device behind it: gateway path unavailable
 * (10) and gateway target device failed to respond (11), Modbus Application Protocol 1.1b3,
 * section 7. The device itself did not answer. */
#define MB_EX_GATEWAY_PATH 10
#define MB_EX_GATEWAY_TARGET 11

/* notifier_status_version(): 0 without a notifier. */
static uint64_t
notify_version(const struct agent *a)
{
    return a->notifier != NULL ? a->mod.notify->status_version(a->notifier) : 0;
}

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
                "           file:line: messages if not, 1 if a module it needs\n"
                "           does not load\n"
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
    double mono = rw_clock_mono(), first = cb->n > 0 ? cb->s[0].mono : 0.0;
    char *json;

    if (cb->n == 0)
        return;
    for (size_t i = 1; i < cb->n; i++)
        if (cb->s[i].mono < first)
            first = cb->s[i].mono;
    json = pub_json_telemetry(a->cfg, dev, cb->s, cb->n);
    cb->n = 0;
    if (json == NULL) {
        log_err("device %s: cannot build telemetry: out of memory", a->cfg->devices[dev].id);
        return;
    }
    snprintf(topic, sizeof(topic), "telemetry/%s", a->cfg->devices[dev].id);
    /* While the broker is away the cycle stays in the archive, and goes out late. */
    if (a->late != NULL &&
        late_owed(a->late, rw_etime_at(&a->et, first), rw_etime_at(&a->et, mono), mono)) {
        dlv_skip(a->dlv, dev, mono);
        free(json);
        return;
    }
    /* A refused message is counted by pub, which logs the state change; the reports a
     * delivery indicator counts are tracked. */
    if (a->dlv != NULL)
        (void)dlv_publish(a->dlv, dev, topic, json, mono);
    else /* waiting for the clock: no core counts the report yet */
        (void)pub_publish(a->pub, topic, json, a->cfg->mqtt.qos, 0);
    free(json);
}

/* What a sample says about its device, as the alarm rules see it. */
static enum alm_quality
alarm_quality(const struct rw_config *cfg, const struct sample *s)
{
    switch ((enum rw_quality)s->quality) {
    case RW_Q_GOOD:
        return ALM_Q_GOOD;
    case RW_Q_TIMEOUT:
    case RW_Q_IO_ERROR:
        return ALM_Q_NO_ANSWER;
    case RW_Q_EXCEPTION:
        if (cfg->devices[s->device].source == CFG_PROTO_MODBUS &&
            (s->code == MB_EX_GATEWAY_PATH || s->code == MB_EX_GATEWAY_TARGET))
            return ALM_Q_NO_ANSWER;
        return ALM_Q_BAD;
    case RW_Q_DECODE_ERROR:
    case RW_Q_OUT_OF_RANGE:
    case RW_Q_AUTH_ERROR:
        break;
    }
    return ALM_Q_BAD;
}

/* One sample into the core, at the engine time of its monotonic time. */
static void
feed_core(struct agent *a, const struct sample *s)
{
    struct core_sample cs;

    cs.device = s->device;
    cs.point = s->point;
    cs.t = rw_etime_at(&a->et, s->mono);
    cs.value = s->value;
    cs.valid = s->quality == RW_Q_GOOD;
    cs.q = alarm_quality(a->cfg, s);
    cs.cycle = s->cycle;
    cs.last = (s->flags & SAMPLE_F_LAST) != 0;
    cs.next_ms = s->hold > 0 ? llround(s->hold * 1000.0) : 0;
    if (core_sample(a->core, &cs) < 0 && a->refused++ == 0)
        log_warn("indicators: a sample came later than %d s after it was taken and was left "
                 "out (its time reads as unknown)",
                 CORE_LAG_MS / 1000);
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
    /* A sample taken before the core was anchored (while the clock was not trusted) is not
     * filed: its time is unknown. */
    if (a->core != NULL && s->mono >= a->et.mono0)
        feed_core(a, s);
    else if (a->clock_wait || a->core != NULL)
        a->clock_held++;
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
    if (a->snmp != NULL)
        a->mod.snmp->poller_free(a->snmp);
    a->snmp = NULL;
    if (a->probes != NULL)
        a->mod.probe->free_prober(a->probes);
    a->probes = NULL;
    if (a->samples != NULL) {
        drain_samples(a);
        if (a->cfg != NULL)
            for (i = 0; i < a->cfg->ndevices; i++)
                flush_cycle(a, i);
    }
    if (a->pub != NULL)
        pub_set_status_extra(a->pub, NULL, NULL);
    if (a->notifier != NULL)
        a->mod.notify->stop(a->notifier);
    a->notifier = NULL;
    /* Before the core goes. */
    ctl_free(a->ctl);
    a->ctl = NULL;
    dlv_free(a->dlv);
    a->dlv = NULL;
    if (a->pub != NULL)
        pub_set_ack_hook(a->pub, NULL, NULL);
    /* The cursor saved; before the archive it reads. */
    late_free(a->late);
    a->late = NULL;
    /* After the last samples are in: the final checkpoint and the run's clean end. */
    if (a->core != NULL) {
        int64_t now = rw_etime_at(&a->et, rw_clock_mono());

        core_stop(a->core, now);
        if (store_run_end(a->store, now) < 0)
            log_err("store: cannot record the run's clean end: %s; it will read as killed",
                    store_errmsg(a->store));
        repub_final(a->repub, now); /* after the final checkpoint, before pub_stop() */
        core_free(a->core);
        a->core = NULL;
    }
    repub_free(a->repub);
    a->repub = NULL;
    arc_close(a->arc); /* the open hours finished and fsync()ed */
    a->arc = NULL;
    /* Messages still awaiting their PUBACK stay in the outbox: out again at the next start,
     * with the same msg_id. */
    ob_free(a->ob);
    a->ob = NULL;
    store_close(a->store);
    a->store = NULL;
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

/* The core's messages go out through the publisher; QoS 1 ones that are not retained
 * (incident changes, events, alerts) through the outbox, which keeps them on disk until the
 * broker has them and marks the row they come from in the same commit (core_io.h). Retained
 * indicators need no outbox: the next one replaces them. */
static int
out_publish(void *ctx, const char *subtopic, const char *payload, int qos, int retain,
            const struct store_pubmark *mark)
{
    const struct agent *a = ctx;

    if (a->ob != NULL && qos == 1 && !retain)
        return ob_publish(a->ob, subtopic, payload, rw_etime_at(&a->et, rw_clock_mono()), mark);
    if (pub_publish(a->pub, subtopic, payload, qos, retain) < 0)
        return -1;
    if (mark != NULL && store_mark_published(a->store, mark) < 0) {
        log_err("store: cannot mark %s published: %s; it may go out again", subtopic,
                store_errmsg(a->store));
        return -1;
    }
    return 0;
}

/* pub's outcomes of acknowledged messages: late telemetry's ids carry LATE_ID_FLAG, the
 * outbox's are its rows' ids (below the flag: 2^31 messages even on a 32-bit gateway); 0
 * (nothing published before will have one) is for both. */
static void
on_ack(void *ctx, uint64_t id, int ok)
{
    const struct agent *a = ctx;

    if (id == 0 || (id & LATE_ID_FLAG))
        late_acked(a->late, id, ok);
    if (id == 0 || !(id & LATE_ID_FLAG))
        ob_acked(a->ob, id, ok);
}

/* What the core took goes into the sample archive (archive.h). */
static void
taken_sample(void *ctx, uint32_t p, int64_t t, double value, int valid, enum alm_quality q)
{
    const struct agent *a = ctx;

    (void)arc_sample(a->arc, t, p, value, valid, q); /* a failure is counted and logged there */
}

static void
taken_command(void *ctx, int64_t t, const struct store_cmd *cmd)
{
    const struct agent *a = ctx;

    (void)arc_command(a->arc, t, cmd);
}

static void
taken_restart(void *ctx, int64_t t, int64_t saved)
{
    const struct agent *a = ctx;

    (void)arc_restart(a->arc, t, saved);
}

/* Engine time now (control.h). */
static int64_t
engine_now(void *ctx)
{
    const struct agent *a = ctx;

    return rw_etime_at(&a->et, rw_clock_mono());
}

/*
 * Opens the store, records the run and starts the core, resumed from the store (core.h,
 * CORE_RESTART). Engine time never goes behind what the store already holds: neither the
 * previous run's end (or last checkpoint) nor the newest sample of the resumed state, so a
 * wall clock set back since cannot make samples older than the saved ones. Returns 0, or -1
 * after logging why.
 */
static int
core_start(struct agent *a)
{
    const struct rw_config *cfg = a->cfg;
    double wall = rw_clock_wall(), mono = rw_clock_mono();
    struct core_opts o = {0};
    struct store_run prev;
    int64_t saved, newest;
    char err[256];

    if (store_open(cfg->state_dir, &a->store) < 0) {
        log_err("indicators: store %s/%s: %s", cfg->state_dir, STORE_FILE,
                errno == EIO && a->store != NULL ? store_errmsg(a->store) : strerror(errno));
        return -1;
    }
    /* Before the core, which may publish as it opens. */
    if ((a->ob = ob_new(cfg, a->store, a->pub)) == NULL) {
        log_err("out of memory");
        return -1;
    }
    rw_etime_anchor(&a->et, wall, mono, 0);
    if (store_run_begin(a->store, rw_etime_at(&a->et, mono), &prev) < 0) {
        log_err("indicators: store: run log: %s", store_errmsg(a->store));
        return -1;
    }
    if (prev.id != 0)
        rw_etime_anchor(&a->et, wall, mono, prev.clean ? prev.stop : prev.last_checkpoint);
    o.now = rw_etime_at(&a->et, mono);
    /* Before the core: it tells of its restart as it opens. */
    if (arc_open_config(cfg, o.now, &a->arc, err, sizeof(err)) < 0) {
        log_err("archive: %s", err);
        return -1;
    }
    a->out.ctx = a;
    a->out.publish = out_publish;
    if (a->arc != NULL) {
        a->out.taken_sample = taken_sample;
        a->out.taken_command = taken_command;
        a->out.taken_restart = taken_restart;
    }
    o.resume = CORE_RESTART;
    o.out = &a->out;
    if (core_open(cfg, a->store, &o, &a->core, err, sizeof(err)) < 0) {
        log_err("indicators: %s", err);
        return -1;
    }
    /* Telemetry the broker misses goes out late from the archive; after a kill, what paho
     * held then is lost: from the last checkpoint on it goes out again. */
    if (a->arc != NULL &&
        (a->late = late_new(cfg, a->store, a->pub, a->arc, o.now,
                            prev.id != 0 && !prev.clean
                                ? (prev.last_checkpoint > 0 ? prev.last_checkpoint : prev.start)
                                : INT64_MIN,
                            mono)) == NULL) {
        log_err("late telemetry: cannot start");
        return -1;
    }
    pub_set_ack_hook(a->pub, on_ack, a);
    a->refused = 0;
    if (core_resumed(a->core, &saved, &newest)) {
        int64_t floor = prev.id != 0 ? (prev.clean ? prev.stop : prev.last_checkpoint) : 0;

        rw_etime_anchor(&a->et, wall, mono, newest > floor ? newest : floor);
        /* The agent was looking up to the checkpoint and may have stopped any time after. */
        log_notice("indicators: resumed from the store; %s run, %.0f s since its last "
                   "checkpoint are unknown time",
                   prev.clean ? "clean" : "killed",
                   (double)(rw_etime_at(&a->et, mono) - saved) / 1000.0);
    }
    return 0;
}

/* The agent keeps a store (and runs the core) with indicators or alarm rules. */
static int
keeps_store(const struct rw_config *cfg)
{
    return cfg->nindicators > 0 || cfg->ninc_indicators > 0 || cfg->nalarms > 0;
}

/* Whether the wall clock may date samples now (rw_ctrust.h); the kernel is asked only when
 * the mode needs it. */
static int
clock_trusted(const struct rw_config *cfg)
{
    int synced = cfg->clock.trust == RW_CTRUST_SYNC ? rw_clock_synced() : -1;

    return rw_ctrust_ok(cfg->clock.trust, cfg->clock.floor, rw_clock_wall(), synced);
}

/* The floor as YYYY-MM-DD into buf (len > 10 bytes); returns buf. */
static char *
floor_text(const struct rw_config *cfg, char *buf, size_t len)
{
    time_t t = (time_t)cfg->clock.floor;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d", &tm);
    return buf;
}

/* DISK_* bits of what fails to reach the disk now. */
static int
disk_state(const struct agent *a)
{
    struct arc_stats st;
    int bits = 0;

    if (a->core != NULL && core_store_failing(a->core))
        bits |= DISK_STORE;
    if (a->arc != NULL) {
        arc_get_stats(a->arc, &st);
        if (st.failing)
            bits |= DISK_ARCHIVE;
    }
    return bits;
}

/* extra with the members of the JSON object more merged in; frees extra. */
static char *
merge_extra(char *extra, const char *more)
{
    char *merged = pub_json_merge(extra != NULL ? extra : "{}", more);

    if (merged == NULL)
        return extra; /* out of memory: the status goes out without them */
    free(extra);
    return merged;
}

/* More for the "online" status (pub_set_status_extra()): the notifier's channels;
 * "clock":"untrusted" while samples wait for a trusted clock; with a store, "store" and
 * (with the archive) "archive": "ok" or "failing" (writes fail: a full disk, an I/O error). */
static char *
status_extra(void *ctx)
{
    const struct agent *a = ctx;
    char *extra = a->notifier != NULL ? a->mod.notify->status(a->notifier) : NULL;
    char more[64];
    int bits = disk_state(a);

    if (a->clock_wait)
        extra = merge_extra(extra, "{\"clock\":\"untrusted\"}");
    if (a->core != NULL) {
        snprintf(more, sizeof(more), "{\"store\":\"%s\"%s}",
                 bits & DISK_STORE ? "failing" : "ok",
                 a->arc == NULL           ? ""
                 : bits & DISK_ARCHIVE ? ",\"archive\":\"failing\""
                                       : ",\"archive\":\"ok\"");
        extra = merge_extra(extra, more);
    }
    if (a->ob != NULL) {
        char *ob = ob_status(a->ob);

        if (ob != NULL) {
            extra = merge_extra(extra, ob);
            free(ob);
        }
    }
    if (a->late != NULL) {
        char *late = late_status(a->late, rw_etime_at(&a->et, rw_clock_mono()));

        if (late != NULL) {
            extra = merge_extra(extra, late);
            free(late);
        }
    }
    return extra;
}

/*
 * What needs a trusted clock: the store, the core and the archive (core_start()), the
 * delivery tracking and commands (both at engine time), and the notifier (which reads the
 * migrated store). Returns 0, or -1 after logging why.
 */
static int
record_start(struct agent *a)
{
    struct rw_config *cfg = a->cfg;

    if (keeps_store(cfg) && core_start(a) < 0)
        return -1;
    if ((a->dlv = dlv_new(cfg, a->pub, a->core, &a->et)) == NULL ||
        (a->ctl = ctl_new(cfg, a->pub, a->core, a->ob, engine_now, a)) == NULL ||
        (a->store != NULL && (a->repub = repub_new(cfg, a->store, a->pub)) == NULL)) {
        log_err("out of memory");
        return -1;
    }
    /* After core_start(): the store is migrated. Reads the store's log on its own. */
    a->notifier = a->mod.notify != NULL ? a->mod.notify->start(cfg) : NULL;
    return 0;
}

/* Called each round of the main loop while waiting: starts what waits once the clock is
 * trusted. Returns 0, or -1 after logging why it could not start. */
static int
clock_check(struct agent *a)
{
    char now[40];

    if (!a->clock_wait || !clock_trusted(a->cfg))
        return 0;
    a->clock_wait = 0;
    log_notice("clock: the wall clock (%s) is trusted now, after %.0f s; filing samples from "
               "here (%llu taken before were not filed: that time reads as unknown)",
               rw_clock_rfc3339(rw_clock_wall(), now, sizeof(now)),
               rw_clock_mono() - a->clock_wait_since, (unsigned long long)a->clock_held);
    if (record_start(a) < 0)
        return -1;
    pub_status_refresh(a->pub);
    return 0;
}

/* Starts workers and publisher for a->cfg. Returns 0, or -1 after logging why. */
static int
agent_start(struct agent *a)
{
    struct rw_config *cfg = a->cfg;
    char err[512];
    size_t i;

    /* Only what the config uses is loaded (modules.h): at start-up, or on the reload that
     * adds the first SNMP device, probe or channel. */
    if (modules_load(cfg, &a->mod, err, sizeof(err)) < 0) {
        log_err("%s", err);
        return -1;
    }
    /* net-snmp's one-time set-up, only for a config with SNMP devices (with its SNMPv3 part,
     * which waits for a v3 device, it touches 3 MiB of libcrypto), before any thread starts
     * (libraries.md): at start-up, or on the reload that adds the first SNMP device, which
     * stopped every thread first. */
    if (a->mod.snmp != NULL) {
        if (a->mod.snmp->library_init() < 0) {
            log_err("snmp: cannot initialise net-snmp");
            return -1;
        }
        snmp_library = a->mod.snmp;
    }
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
    pub_set_status_extra(a->pub, status_extra, a);
    a->notify_version = 0;
    a->clock_held = 0;
    a->clock_wait = 0;
    a->disk_state = 0;
    if (!keeps_store(cfg) || clock_trusted(cfg)) {
        if (record_start(a) < 0)
            return -1;
    } else {
        char now[40], fl[16];

        a->clock_wait = 1;
        a->clock_wait_since = rw_clock_mono();
        log_warn("clock: the wall clock (%s) is not trusted (clock.trust \"%s\", floor %s): "
                 "polling and telemetry go on, but no sample is filed, and the store, the "
                 "archive and commands wait until it is",
                 rw_clock_rfc3339(rw_clock_wall(), now, sizeof(now)),
                 rw_ctrust_mode_name(cfg->clock.trust), floor_text(cfg, fl, sizeof(fl)));
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
    if (a->mod.snmp != NULL) {
        if ((a->snmp = a->mod.snmp->poller_new(cfg, a->samples)) == NULL) {
            log_err("snmp poller: cannot start: %s",
                    errno == EIO ? "net-snmp's SNMPv3 set-up failed" : strerror(errno));
            return -1;
        }
        if (a->mod.snmp->poller_start(a->snmp) < 0) {
            log_err("snmp poller: cannot start its thread: %s", strerror(errno));
            return -1;
        }
    }
    if (a->mod.probe != NULL &&
        ((a->probes = a->mod.probe->new_prober(cfg, a->samples)) == NULL ||
         a->mod.probe->start(a->probes) < 0)) {
        log_err("prober: cannot start: %s", strerror(errno));
        return -1;
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
    struct modules mod;
    char err[512];

    if (cfg_load(path, &ncfg, &diags) != CFG_OK) {
        log_diags(&diags);
        log_err("reload: %s has errors; keeping the running configuration", path);
        cfg_diags_free(&diags);
        return;
    }
    cfg_diags_free(&diags);
    /* What the new config uses must load before the running one is stopped. */
    if (modules_load(ncfg, &mod, err, sizeof(err)) < 0) {
        log_err("reload: %s; keeping the running configuration", err);
        cfg_free(ncfg);
        return;
    }
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
        struct modules mod;
        char err[512];
        size_t points = 0, i;

        /* What the config uses must load, as at start. */
        if (modules_load(a.cfg, &mod, err, sizeof(err)) < 0) {
            fprintf(stderr, "roomwatchd: %s\n", err);
            cfg_free(a.cfg);
            return 1;
        }
        for (i = 0; i < a.cfg->ndevices; i++)
            points += a.cfg->profiles[a.cfg->devices[i].profile].npoints;
        printf("%s: OK: %zu buses, %zu devices, %zu points\n", path, a.cfg->nbuses, a.cfg->ndevices,
               points);
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
        rw_clock_tz_changed();
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
        if (clock_check(&a) < 0) {
            rc = 1;
            break;
        }
        if (a.core != NULL) {
            int64_t now = rw_etime_at(&a.et, rw_clock_mono());

            /* Samples may wait in the queue: account behind now by their lag. */
            core_advance(a.core, now - CORE_LAG_MS);
            core_tick(a.core, now);
            if (a.arc != NULL)
                arc_tick(a.arc, now);
            if (disk_state(&a) != a.disk_state) {
                a.disk_state = disk_state(&a);
                pub_status_refresh(a.pub); /* the store or the archive failing, or again ok */
            }
        }
        pub_dispatch(a.pub);
        repub_tick(a.repub, rw_clock_mono(), engine_now(&a)); /* after pub_dispatch(): connects */
        ob_tick(a.ob, rw_clock_mono());
        late_tick(a.late, rw_etime_at(&a.et, rw_clock_mono()), rw_clock_mono());
        ctl_tick(a.ctl, rw_clock_mono());
        if (notify_version(&a) != a.notify_version) {
            a.notify_version = notify_version(&a);
            pub_status_refresh(a.pub); /* a channel started or stopped failing */
        }
        check_queue(&a);
    }
    log_notice("stopping");
    (void)rw_notify("STOPPING=1\nSTATUS=stopping");
    agent_stop(&a);
    if (snmp_library != NULL)
        snmp_library->library_shutdown();
    cfg_free(a.cfg);
    rw_notify_close();
    return rc;
}
