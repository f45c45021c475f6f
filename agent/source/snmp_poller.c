/*
 * snmp_poller.c - the SNMP poller thread (see snmp_poller.h for the design).
 *
 * Global state: net-snmp's library state, set up once by sp_library_init() before threads
 * start. Everything else hangs off struct sp_poller and is touched by its thread only, apart
 * from the atomic statistics.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* explicit_bzero() under -std=c11 */
#endif
#include "source/snmp_poller.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include "rw_beat.h"
#include "rw_clock.h"
#include "rw_log.h"
#include "rw_thread.h"
#include "source/sample.h"
#include "source/sp_decode.h"

#define SP_THREAD_STACK (256 * 1024) /* bytes */
#define SP_IDLE_MAX 60.0             /* s, longest sleep when nothing is due (a stop wakes it) */
#define SP_ERROR_PAUSE 0.1           /* s, after a failed poll(): no spinning on an error */
/* s one turn of the loop may take: its work is non-blocking (net-snmp's sends and reads on
 * UDP), so this is hundreds of devices' decoding and logging with room to spare. A host name
 * adds the system resolver's lookup (5 s timeout, 2 attempts, up to 3 servers) per open. */
#define SP_TURN_WORST 2.0
#define SP_RESOLVE_WORST 30.0
#define SP_ENGINE_ID_MAX 32          /* octets of an snmpEngineID (RFC 3411: 5..32) */
#define SP_DEFAULT_STATE_DIR "/var/lib/roomwatch/snmp"

/* What the last poll of a device came to, for logging on change only. */
enum sp_state {
    SP_NEW = 0,
    SP_OK,      /* every point good */
    SP_PARTIAL, /* answered, but some points failed (exception, type, range) */
    SP_TIMEOUT, /* no answer */
    SP_AUTH,    /* a USM report refused our credentials */
    SP_IOERR,   /* the session could not be opened or a send failed */
};

/* What a varbind of a request is for. */
enum sp_role {
    SP_R_VALUE = 0,
    SP_R_SENSOR_SCALE,     /* entPhySensorScale of an ENTITY_SENSOR point */
    SP_R_SENSOR_PRECISION, /* entPhySensorPrecision */
};

struct sp_vb {
    size_t point; /* index into the profile's points */
    enum sp_role role;
    oid name[CFG_OID_MAX];
    size_t name_len;
};

struct sp_dev;
struct sp_walk;

/* One GET of a device's poll cycle: varbinds vbs[first .. first + n); or a walk's GETBULK. */
struct sp_req {
    struct sp_dev *dev;
    struct sp_walk *walk; /* the walk this GETBULK continues, or NULL for a GET */
    size_t first, n;
    long reqid; /* 0 when not in flight */
};

/*
 * A table column walked with GETBULK each cycle, for the walk points naming it. One GETBULK
 * in flight at a time, each from the last name received, until a name leaves the column,
 * endOfMibView, SP_WALK_MAX_ROWS rows or SP_WALK_MAX_PDUS PDUs.
 */
struct sp_walk {
    struct sp_req req;
    oid root[CFG_OID_MAX];
    size_t root_len;
    oid last[MAX_OID_LEN]; /* where the next GETBULK starts */
    size_t last_len;
    struct sp_cell *cells; /* this cycle's rows */
    size_t nrows, cap;
    size_t npdus;
    int truncated, broken;
    int want_next; /* answered, not at the end: send the next GETBULK (from the main loop) */
    unsigned fail; /* SP_TAG_NULL before any answer, a no-answer tag, or 0 once answered */
};

struct sp_poller;

struct sp_dev {
    struct sp_poller *sp;
    size_t index; /* into cfg->devices */
    const struct cfg_device *cfg;
    const struct cfg_profile *profile;
    char desc[CFG_ID_MAX + 300]; /* "snmp device ups1 (127.0.0.1:161)" */

    size_t nvb;
    struct sp_vb *vbs;
    struct sp_value *vals; /* per varbind, this cycle's answers */
    size_t nreq;
    struct sp_req *reqs;
    size_t nwalk;
    struct sp_walk *walks;
    size_t *walk_of; /* per point: index into walks, or SIZE_MAX for a GET point */
    struct sample *out; /* per point */
    uint64_t *prev_ticks; /* per point: last good raw timeticks; valid where have_ticks */
    double *prev_mono;
    unsigned char *have_ticks;

    void *sess;  /* net-snmp single session, NULL when closed */
    int probing; /* sess is the v3 engineID probe session */
    int reopen;  /* the probe found the engineID: open the real session */
    u_char engine_id[SP_ENGINE_ID_MAX];
    size_t engine_id_len;

    int active;           /* a poll cycle is under way */
    size_t in_flight;     /* its requests not yet answered or timed out */
    double timeout_check; /* monotonic time to call snmp_sess_timeout() next */
    double deadline;      /* the cycle is given up by then, whatever net-snmp did */
    double due;           /* monotonic time of the next poll */
    double delay;         /* backoff delay; 0 while answering */
    uint64_t cycle;
    /* This cycle's outcome. */
    size_t answered, timed_out, refused;
    int report;     /* usmStats n of a USM report (RFC 3414 section 5), or 0 */
    int open_error; /* net-snmp error of a failed open or send, or 0 */

    enum sp_state state;
    long state_detail; /* what the last state-change log said: report, error or bad point */
};

struct sp_poller {
    const struct rw_config *cfg;
    struct rw_queue *samples;
    size_t ndevs;
    struct sp_dev *devs;
    struct pollfd *pfd;     /* per device, rebuilt each turn; then wakefd */
    struct sp_dev **pfddev; /* the device of each pfd */
    netsnmp_large_fd_set fds;
    int fds_init;
    pthread_t thread;
    int started;
    atomic_int stop;
    /* Written by sp_poller_stop(): the thread sleeps until a request's answer, its timeout or
     * the next cycle is due, not in short ticks to look at stop (ten wake-ups a second for
     * nothing, a seventh of a small room's CPU). */
    int wakefd;
    int dropping;
    struct rw_beat *beat; /* the watchdog's view of the thread's progress */
    double turn_worst;    /* s, the heartbeat's bound for one turn */
    _Atomic uint64_t st_polls, st_requests, st_timeouts, st_auth, st_restarts, st_dropped;
};

static void *sp_main(void *arg);
static int sp_cb(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic);
static int dev_open(struct sp_dev *d, int probe);
static void dev_close(struct sp_dev *d);
static void dev_start_cycle(struct sp_dev *d, double now);
static void dev_send(struct sp_dev *d, double now);
static void dev_finish_cycle(struct sp_dev *d);
static void dev_log_change(struct sp_dev *d, enum sp_state st, long detail, double next);
static void req_fail(struct sp_dev *d, struct sp_req *r, unsigned tag);
static int walk_send(struct sp_dev *d, struct sp_walk *w, double now);
static void walk_take(struct sp_walk *w, const netsnmp_pdu *pdu);
static const char *usm_report_name(int n);

static int lib_initialized;
static SNMPCallback *usm_setup; /* USM's set-up callback while it waits for a v3 device */
static int engine_setup;        /* 1 while init_snmpv3_post_config() waits for one */

/* ------------------------------------------------------------------------------------- */
/* Library                                                                                */

/*
 * SNMPv3's security set-up, kept for the first v3 device.
 *
 * init_snmp() ends with two callbacks that only SNMPv3 needs: USM's (salts for the privacy
 * IVs from sc_random()) and the local engine's (its engine time, keyed by an MD5 hash of
 * its engineID). Both go through OpenSSL, and its first use initialises its providers: 1.6
 * MiB of libcrypto pages and 150 KiB of heap that a room whose agents all speak v2c never
 * uses. net-snmp has no switch for this, so this callback, which init_snmp() runs after it
 * has registered both and before it calls them, takes them out of their lists;
 * sp_library_v3() runs them, once, before the first v3 session.
 *
 * The local engine's callback is exported (init_snmpv3_post_config); USM's is not. It is the
 * one init_secmod() registers right after the exported init_snmpv3_post_premib_config(), the
 * order init_snmpv3() relies on (net-snmp 5.9, snmplib/snmpv3.c). Only when the lists look
 * exactly like that is anything taken out; otherwise (another net-snmp) both run at
 * init_snmp() as they always did.
 */
static int
defer_v3(int major, int minor, void *server, void *client)
{
    struct snmp_gen_callback *c, *usm = NULL;
    SNMPCallback *fn;

    (void)major;
    (void)minor;
    (void)server;
    (void)client;
    for (c = snmp_callback_list(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_PREMIB_READ_CONFIG);
         c != NULL; c = c->next)
        if (c->sc_callback == init_snmpv3_post_premib_config)
            usm = c->next;
    if (usm == NULL || usm->next != NULL || usm->sc_client_arg != NULL ||
        usm->sc_callback == NULL) {
        log_debug("snmp: SNMPv3 set up at start (net-snmp's callbacks are not as expected)");
        return SNMPERR_SUCCESS;
    }
    fn = usm->sc_callback;
    if (snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG,
                                 init_snmpv3_post_config, NULL, 1) != 1) {
        log_debug("snmp: SNMPv3 set up at start (no engine set-up callback)");
        return SNMPERR_SUCCESS;
    }
    (void)snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_PREMIB_READ_CONFIG,
                                   fn, NULL, 1);
    usm_setup = fn;
    engine_setup = 1;
    return SNMPERR_SUCCESS;
}

int
sp_library_v3(void)
{
    SNMPCallback *fn = usm_setup;

    /* In init_snmp()'s order: USM's after the premib configs, the engine's after the rest.
     * USM's runs once whatever it returns (again would leak its template user); the
     * engine's is tried again at the next poller when it fails. */
    if (fn != NULL) {
        usm_setup = NULL;
        if (fn(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_PREMIB_READ_CONFIG, NULL, NULL) !=
            SNMPERR_SUCCESS) {
            errno = EIO;
            return -1;
        }
    }
    if (engine_setup) {
        if (init_snmpv3_post_config(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG, NULL,
                                    NULL) != SNMPERR_SUCCESS) {
            errno = EIO;
            return -1;
        }
        engine_setup = 0;
    }
    return 0;
}

int
sp_library_v3_pending(void)
{
    return usm_setup != NULL || engine_setup;
}

int
sp_library_init(void)
{
    const char *dir = getenv("SNMP_PERSISTENT_DIR");
    char buf[4096];

    if (lib_initialized)
        return 0;
    /*
     * No MIB files: OIDs in profiles are numeric, and parsing MIBs costs start-up time on a
     * small gateway (and "Cannot find module" noise where Debian ships none).
     */
    setenv("MIBS", "", 1);
    /* The poller's behaviour comes from roomwatch's config, not from snmp.conf files. */
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    /*
     * A manager needs no persistent state (engineBoots is the agent's). net-snmp still
     * creates <dir>/cert_indexes at init: point it at a folder the daemon may write, not at
     * Debian's /var/lib/snmp, which a non-root roomwatchd cannot.
     */
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    if (dir == NULL || dir[0] == '\0') {
        const char *state = getenv("STATE_DIRECTORY");

        if (state != NULL && state[0] != '\0' && strchr(state, ':') == NULL) {
            snprintf(buf, sizeof(buf), "%s/snmp", state);
            dir = buf;
        } else {
            dir = SP_DEFAULT_STATE_DIR;
        }
        netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, dir);
    }
    /* net-snmp's own messages (rare with the above) go to roomwatch's log sink: stderr. */
    snmp_disable_log();
    snmp_enable_stderrlog();
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_PRE_PREMIB_READ_CONFIG, defer_v3,
                           NULL);
    init_snmp("roomwatchd");
    lib_initialized = 1;
    return 0;
}

void
sp_library_shutdown(void)
{
    if (lib_initialized)
        snmp_shutdown("roomwatchd");
    lib_initialized = 0;
    usm_setup = NULL;
    engine_setup = 0;
}

size_t
sp_device_count(const struct rw_config *cfg)
{
    return cfg_device_count(cfg, CFG_PROTO_SNMP);
}

/* ------------------------------------------------------------------------------------- */
/* Set-up                                                                                 */

static void
copy_oid(struct sp_vb *vb, const struct cfg_point *pt, int column)
{
    for (int k = 0; k < pt->oid_len; k++)
        vb->name[k] = pt->oid[k];
    vb->name_len = (size_t)pt->oid_len;
    /* entPhySensorEntry.<column>.<index>: the column is the second-last sub-identifier. */
    if (column > 0)
        vb->name[pt->oid_len - 2] = (oid)column;
}

/* Lays out dev's varbinds and requests. Returns 0, or -1 with errno ENOMEM. */
static int
dev_setup(struct sp_dev *d)
{
    const struct cfg_profile *p = d->profile;
    const struct cfg_snmp *sn = &d->cfg->snmp;
    size_t nvb = 0, k = 0, np = p->npoints ? p->npoints : 1;

    snprintf(d->desc, sizeof(d->desc), strchr(sn->host, ':') ? "snmp device %s ([%s]:%d)"
                                                             : "snmp device %s (%s:%d)",
             d->cfg->id, sn->host, sn->port);
    for (size_t i = 0; i < p->npoints; i++)
        nvb += p->points[i].walk ? 0 : p->points[i].stype == CFG_ST_ENTITY_SENSOR ? 3 : 1;
    d->vbs = calloc(nvb ? nvb : 1, sizeof(*d->vbs));
    d->vals = calloc(nvb ? nvb : 1, sizeof(*d->vals));
    d->reqs = calloc(nvb ? nvb : 1, sizeof(*d->reqs));
    d->out = calloc(np, sizeof(*d->out));
    d->prev_ticks = calloc(np, sizeof(*d->prev_ticks));
    d->prev_mono = calloc(np, sizeof(*d->prev_mono));
    d->have_ticks = calloc(np, 1);
    d->walks = calloc(np, sizeof(*d->walks));
    d->walk_of = calloc(np, sizeof(*d->walk_of));
    if (d->vbs == NULL || d->vals == NULL || d->reqs == NULL || d->out == NULL ||
        d->prev_ticks == NULL || d->prev_mono == NULL || d->have_ticks == NULL ||
        d->walks == NULL || d->walk_of == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < p->npoints; i++) {
        const struct cfg_point *pt = &p->points[i];
        size_t first = k;

        d->walk_of[i] = SIZE_MAX;
        if (pt->walk) {
            /* Points on the same column share its walk. */
            size_t w;

            for (w = 0; w < d->nwalk; w++) {
                const struct sp_walk *o = &d->walks[w];
                int same = o->root_len == (size_t)pt->oid_len;

                for (size_t j = 0; same && j < o->root_len; j++)
                    same = o->root[j] == pt->oid[j];
                if (same)
                    break;
            }
            if (w == d->nwalk) {
                struct sp_walk *nw = &d->walks[d->nwalk++];

                for (int j = 0; j < pt->oid_len; j++)
                    nw->root[j] = pt->oid[j];
                nw->root_len = (size_t)pt->oid_len;
                nw->req.dev = d;
                nw->req.walk = nw;
            }
            d->walk_of[i] = w;
            continue;
        }

        d->vbs[k].point = i;
        d->vbs[k].role = SP_R_VALUE;
        copy_oid(&d->vbs[k++], pt, 0);
        if (pt->stype == CFG_ST_ENTITY_SENSOR) {
            /* The sibling columns, in the same PDU as the value (RFC 3433 3: Scale .2,
             * Precision .3), so that the three belong to one reading. */
            d->vbs[k].point = i;
            d->vbs[k].role = SP_R_SENSOR_SCALE;
            copy_oid(&d->vbs[k++], pt, 2);
            d->vbs[k].point = i;
            d->vbs[k].role = SP_R_SENSOR_PRECISION;
            copy_oid(&d->vbs[k++], pt, 3);
        }
        /* Requests of up to SP_MAX_VARBINDS, never splitting one point's varbinds. */
        if (d->nreq == 0 || d->reqs[d->nreq - 1].n + (k - first) > SP_MAX_VARBINDS) {
            d->reqs[d->nreq].first = first;
            d->reqs[d->nreq].n = 0;
            d->nreq++;
        }
        d->reqs[d->nreq - 1].n += k - first;
    }
    d->nvb = nvb;
    return 0;
}

struct sp_poller *
sp_poller_new(const struct rw_config *cfg, struct rw_queue *samples)
{
    struct sp_poller *sp = calloc(1, sizeof(*sp));
    size_t n = sp_device_count(cfg);

    if (sp == NULL)
        return NULL;
    sp->cfg = cfg;
    sp->samples = samples;
    sp->devs = calloc(n ? n : 1, sizeof(*sp->devs));
    sp->pfd = calloc(n + 1, sizeof(*sp->pfd));
    sp->pfddev = calloc(n ? n : 1, sizeof(*sp->pfddev));
    if (sp->devs == NULL || sp->pfd == NULL || sp->pfddev == NULL)
        goto fail;
    for (size_t i = 0; i < cfg->ndevices; i++) {
        struct sp_dev *d;

        if (cfg->devices[i].source != CFG_PROTO_SNMP)
            continue;
        if (cfg->devices[i].snmp.version == 3 && sp_library_v3() < 0) {
            /* Logged by the caller (snmp_poller.h: EIO). */
            sp_poller_free(sp);
            errno = EIO;
            return NULL;
        }
        d = &sp->devs[sp->ndevs++];
        d->sp = sp;
        d->index = i;
        d->cfg = &cfg->devices[i];
        d->profile = &cfg->profiles[d->cfg->profile];
        if (dev_setup(d) < 0)
            goto fail;
    }
    sp->turn_worst = SP_TURN_WORST;
    for (size_t i = 0; i < sp->ndevs; i++) {
        unsigned char addr[16];
        const char *h = sp->devs[i].cfg->snmp.host;

        if (h != NULL && inet_pton(AF_INET, h, addr) != 1 && inet_pton(AF_INET6, h, addr) != 1)
            sp->turn_worst = SP_TURN_WORST + SP_RESOLVE_WORST;
    }
    if ((sp->beat = rw_beat_new("snmp poller")) == NULL)
        goto fail;
    return sp;
fail:
    sp_poller_free(sp);
    errno = ENOMEM;
    return NULL;
}

int
sp_poller_start(struct sp_poller *sp)
{
    atomic_store(&sp->stop, 0);
    if ((sp->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
        return -1;
    if (rw_thread_start(&sp->thread, SP_THREAD_STACK, sp_main, sp) < 0) {
        int e = errno;

        close(sp->wakefd);
        errno = e;
        return -1;
    }
    sp->started = 1;
    return 0;
}

void
sp_poller_stop(struct sp_poller *sp)
{
    uint64_t one = 1;

    if (!sp->started)
        return;
    atomic_store(&sp->stop, 1);
    /* Cannot fail short of a bad descriptor: the counter is far from overflowing. */
    (void)!write(sp->wakefd, &one, sizeof(one));
    pthread_join(sp->thread, NULL);
    close(sp->wakefd);
    sp->started = 0;
}

void
sp_poller_free(struct sp_poller *sp)
{
    if (sp == NULL)
        return;
    sp_poller_stop(sp);
    rw_beat_free(sp->beat);
    for (size_t i = 0; i < sp->ndevs; i++) {
        struct sp_dev *d = &sp->devs[i];

        dev_close(d);
        free(d->vbs);
        free(d->vals);
        free(d->reqs);
        free(d->out);
        free(d->prev_ticks);
        free(d->prev_mono);
        free(d->have_ticks);
        for (size_t w = 0; w < d->nwalk; w++)
            free(d->walks[w].cells);
        free(d->walks);
        free(d->walk_of);
    }
    if (sp->fds_init)
        netsnmp_large_fd_set_cleanup(&sp->fds);
    free(sp->devs);
    free(sp->pfd);
    free(sp->pfddev);
    free(sp);
}

void
sp_poller_get_stats(struct sp_poller *sp, struct sp_poller_stats *st)
{
    st->polls = atomic_load(&sp->st_polls);
    st->requests = atomic_load(&sp->st_requests);
    st->timeouts = atomic_load(&sp->st_timeouts);
    st->auth_fails = atomic_load(&sp->st_auth);
    st->restarts = atomic_load(&sp->st_restarts);
    st->dropped = atomic_load(&sp->st_dropped);
}

/* ------------------------------------------------------------------------------------- */
/* Sessions                                                                               */

/*
 * Opens d's session: the v2c or v3 session, or (probe) the v3 engineID probe session.
 * Never blocks on the network. Returns 0, or -1 with d->open_error set.
 */
static int
dev_open(struct sp_dev *d, int probe)
{
    const struct cfg_snmp *sn = &d->cfg->snmp;
    netsnmp_session ss;
    char peer[320];
    int rc = 0;

    snmp_sess_init(&ss);
    snprintf(peer, sizeof(peer), strchr(sn->host, ':') ? "udp6:[%s]:%d" : "udp:%s:%d", sn->host,
             sn->port);
    ss.peername = peer;
    ss.timeout = (long)(d->cfg->timeout * 1e6);
    ss.retries = sn->retries;
    if (sn->version == 2) {
        ss.version = SNMP_VERSION_2c;
        ss.community = (u_char *)sn->community; /* copied by snmp_sess_open() */
        ss.community_len = strlen(sn->community);
    } else {
        ss.version = SNMP_VERSION_3;
        ss.securityModel = SNMP_SEC_MODEL_USM;
        ss.flags |= SNMP_FLAGS_DONT_PROBE; /* see snmp_poller.h: never a synchronous probe */
        if (probe) {
            ss.securityName = (char *)"";
            ss.securityNameLen = 0;
            ss.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
        } else {
            ss.securityName = sn->user;
            ss.securityNameLen = strlen(sn->user);
            ss.securityEngineID = d->engine_id;
            ss.securityEngineIDLen = d->engine_id_len;
            ss.securityLevel = sn->level == CFG_SL_AUTHPRIV      ? SNMP_SEC_LEVEL_AUTHPRIV
                               : sn->level == CFG_SL_AUTHNOPRIV ? SNMP_SEC_LEVEL_AUTHNOPRIV
                                                                : SNMP_SEC_LEVEL_NOAUTH;
            if (sn->level != CFG_SL_NOAUTH) {
                if (sn->auth_protocol == CFG_SA_SHA256) {
                    ss.securityAuthProto = usmHMAC192SHA256AuthProtocol;
                    ss.securityAuthProtoLen = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
                } else {
                    ss.securityAuthProto = usmHMACSHA1AuthProtocol;
                    ss.securityAuthProtoLen = USM_AUTH_PROTO_SHA_LEN;
                }
                ss.securityAuthKeyLen = USM_AUTH_KU_LEN;
                if (generate_Ku(ss.securityAuthProto, (u_int)ss.securityAuthProtoLen,
                                (const u_char *)sn->auth_passphrase, strlen(sn->auth_passphrase),
                                ss.securityAuthKey, &ss.securityAuthKeyLen) != SNMPERR_SUCCESS)
                    rc = SNMPERR_GENERR;
            }
            if (sn->level == CFG_SL_AUTHPRIV) {
                ss.securityPrivProto = usmAESPrivProtocol;
                ss.securityPrivProtoLen = USM_PRIV_PROTO_AES_LEN;
                ss.securityPrivKeyLen = USM_PRIV_KU_LEN;
                /* The privacy key is hashed with the authentication protocol (RFC 3826). */
                if (generate_Ku(ss.securityAuthProto, (u_int)ss.securityAuthProtoLen,
                                (const u_char *)sn->priv_passphrase, strlen(sn->priv_passphrase),
                                ss.securityPrivKey, &ss.securityPrivKeyLen) != SNMPERR_SUCCESS)
                    rc = SNMPERR_GENERR;
            }
        }
    }
    if (rc == 0) {
        d->sess = snmp_sess_open(&ss);
        if (d->sess == NULL)
            rc = ss.s_snmp_errno != 0 ? ss.s_snmp_errno : SNMPERR_GENERR;
    }
    /* The session holds its own copy of the keys: do not leave ours on the stack. */
    explicit_bzero(ss.securityAuthKey, sizeof(ss.securityAuthKey));
    explicit_bzero(ss.securityPrivKey, sizeof(ss.securityPrivKey));
    if (rc != 0) {
        d->open_error = rc;
        d->sess = NULL;
        return -1;
    }
    /*
     * snmp_sess_open() clears DONT_PROBE once the session is open, and the send path then
     * probes synchronously (snmpv3_build) for a session without an engineID: exactly the
     * probe session. Set it again so that every send stays asynchronous.
     */
    if (ss.version == SNMP_VERSION_3)
        snmp_sess_session(d->sess)->flags |= SNMP_FLAGS_DONT_PROBE;
    d->probing = probe;
    return 0;
}

static void
dev_close(struct sp_dev *d)
{
    void *s = d->sess;

    if (s == NULL)
        return;
    /* snmp_sess_close() calls the callbacks of pending requests with TIMED_OUT: they see
     * d->sess NULL and ignore it. */
    d->sess = NULL;
    d->probing = 0;
    snmp_sess_close(s);
}

/* ------------------------------------------------------------------------------------- */
/* Poll cycles                                                                            */

static void
dev_start_cycle(struct sp_dev *d, double now)
{
    d->cycle++;
    d->active = 1;
    d->answered = d->timed_out = d->refused = 0;
    d->report = 0;
    d->open_error = 0;
    for (size_t i = 0; i < d->nvb; i++) {
        d->vals[i].tag = SP_TAG_NULL; /* no answer yet */
        d->vals[i].i = 0;
        d->vals[i].u = 0;
    }
    for (size_t i = 0; i < d->nreq; i++)
        d->reqs[i].reqid = 0;
    for (size_t i = 0; i < d->nwalk; i++) {
        struct sp_walk *w = &d->walks[i];

        w->req.reqid = 0;
        memcpy(w->last, w->root, w->root_len * sizeof(oid));
        w->last_len = w->root_len;
        w->nrows = w->npdus = 0;
        w->truncated = w->broken = w->want_next = 0;
        w->fail = SP_TAG_NULL;
    }
    if (d->sess == NULL) {
        int v3 = d->cfg->snmp.version == 3;

        /* v3 without an engineID: discover it first (dev_send continues after the probe). */
        if (dev_open(d, v3 && d->engine_id_len == 0) < 0) {
            d->in_flight = 0;
            return; /* finished as io_error by the main loop */
        }
    }
    dev_send(d, now);
}

/* Sends the probe, or the cycle's GETs. */
static void
dev_send(struct sp_dev *d, double now)
{
    size_t nsend = d->probing ? 1 : d->nreq;

    d->in_flight = 0;
    for (size_t i = 0; i < nsend; i++) {
        struct sp_req *r = &d->reqs[i];
        netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
        int reqid;

        if (pdu == NULL) {
            d->open_error = SNMPERR_MALLOC;
            break;
        }
        if (d->probing) {
            /* RFC 3414 4: an empty noAuthNoPriv GET from user "" is answered with a report
             * that carries the agent's engineID. */
            pdu->version = SNMP_VERSION_3;
            pdu->securityModel = SNMP_SEC_MODEL_USM;
            pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
            pdu->securityName = strdup("");
            pdu->securityNameLen = 0;
        } else {
            for (size_t k = r->first; k < r->first + r->n; k++)
                snmp_add_null_var(pdu, d->vbs[k].name, d->vbs[k].name_len);
        }
        r->dev = d;
        reqid = snmp_sess_async_send(d->sess, pdu, sp_cb, r);
        if (reqid == 0) {
            snmp_free_pdu(pdu);
            d->open_error = snmp_sess_session(d->sess) ? snmp_sess_session(d->sess)->s_snmp_errno
                                                       : SNMPERR_GENERR;
            if (d->open_error == 0)
                d->open_error = SNMPERR_GENERR;
            break;
        }
        r->reqid = reqid;
        d->in_flight++;
        atomic_fetch_add(&d->sp->st_requests, 1);
    }
    /* Resends fall due every timeout; snmp_sess_timeout() is called then (see sp_main). */
    d->timeout_check = now + d->cfg->timeout + 0.002;
    d->deadline = now + d->cfg->timeout * (d->cfg->snmp.retries + 1) + 1.0;
    /* The walks' first GETBULKs, beside the GETs. */
    for (size_t i = 0; !d->probing && d->open_error == 0 && i < d->nwalk; i++)
        if (walk_send(d, &d->walks[i], now) < 0)
            break;
}

/*
 * Sends w's next GETBULK, from the last name it received. Returns 0, or -1 with
 * d->open_error set (the walk's points then read io_error).
 */
static int
walk_send(struct sp_dev *d, struct sp_walk *w, double now)
{
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
    double deadline;
    int reqid;

    if (pdu == NULL) {
        d->open_error = SNMPERR_MALLOC;
        return -1;
    }
    pdu->non_repeaters = 0;
    pdu->max_repetitions = SP_WALK_REPETITIONS;
    snmp_add_null_var(pdu, w->last, w->last_len);
    reqid = snmp_sess_async_send(d->sess, pdu, sp_cb, &w->req);
    if (reqid == 0) {
        snmp_free_pdu(pdu);
        d->open_error = snmp_sess_session(d->sess) ? snmp_sess_session(d->sess)->s_snmp_errno
                                                   : SNMPERR_GENERR;
        if (d->open_error == 0)
            d->open_error = SNMPERR_GENERR;
        w->fail = SP_TAG_NULL;
        return -1;
    }
    w->req.reqid = reqid;
    w->npdus++;
    d->in_flight++;
    atomic_fetch_add(&d->sp->st_requests, 1);
    /* A walk's later PDUs get their own time: the cycle's deadline moves with them. */
    deadline = now + d->cfg->timeout * (d->cfg->snmp.retries + 1) + 1.0;
    if (deadline > d->deadline)
        d->deadline = deadline;
    if (d->timeout_check > now + d->cfg->timeout + 0.002)
        d->timeout_check = now + d->cfg->timeout + 0.002;
    return 0;
}

/*
 * Takes the rows of a GETBULK answer to walk w, and says whether to go on (w->want_next).
 * Called from sp_cb: copies what it needs, as the PDU is freed after.
 */
static void
walk_take(struct sp_walk *w, const netsnmp_pdu *pdu)
{
    const netsnmp_variable_list *v = pdu->variables;

    if (w->fail == SP_TAG_NULL)
        w->fail = 0;
    if (v == NULL)
        return; /* an empty answer: nothing more to ask */
    for (; v != NULL; v = v->next_variable) {
        struct sp_cell *c;

        /* The end of the column: a name outside it, or the end of the agent's MIB view. */
        if (v->type == SNMP_ENDOFMIBVIEW || v->name_length <= w->root_len ||
            snmp_oid_ncompare(v->name, v->name_length, w->root, w->root_len, w->root_len) != 0)
            return;
        /* Each name must follow the last, or an agent could keep us walking in a loop. */
        if (v->name_length > MAX_OID_LEN ||
            snmp_oid_compare(v->name, v->name_length, w->last, w->last_len) <= 0) {
            w->broken = 1;
            return;
        }
        if (w->nrows == SP_WALK_MAX_ROWS) {
            w->truncated = 1;
            return;
        }
        if (w->nrows == w->cap) {
            size_t cap = w->cap ? w->cap * 2 : 8;
            struct sp_cell *grown = realloc(w->cells, cap * sizeof(*grown));

            if (grown == NULL) {
                w->truncated = 1;
                return;
            }
            w->cells = grown;
            w->cap = cap;
        }
        c = &w->cells[w->nrows++];
        c->tag = v->type;
        c->oid_len = 0;
        if (v->type == ASN_OBJECT_ID && v->val.objid != NULL) {
            size_t n = v->val_len / sizeof(oid);

            c->oid_len = n > CFG_OID_MAX ? -1 : (int)n;
            for (size_t k = 0; c->oid_len > 0 && k < n; k++) {
                if (v->val.objid[k] > UINT32_MAX)
                    c->oid_len = -1;
                else
                    c->oid[k] = (uint32_t)v->val.objid[k];
            }
        }
        memcpy(w->last, v->name, v->name_length * sizeof(oid));
        w->last_len = v->name_length;
    }
    if (w->npdus >= SP_WALK_MAX_PDUS) {
        w->truncated = 1;
        return;
    }
    w->want_next = 1;
}

/* Sends the next GETBULK of every walk of d that asks for one. */
static void
dev_walk_continue(struct sp_dev *d, double now)
{
    for (size_t i = 0; i < d->nwalk; i++) {
        struct sp_walk *w = &d->walks[i];

        if (!w->want_next)
            continue;
        w->want_next = 0;
        if (d->sess == NULL || walk_send(d, w, now) < 0) {
            if (d->open_error == 0)
                d->open_error = SNMPERR_GENERR;
            w->fail = SP_TAG_NULL;
        }
    }
}

/* Marks the points of request r with the no-answer tag tag (timeout, report). */
static void
req_fail(struct sp_dev *d, struct sp_req *r, unsigned tag)
{
    for (size_t k = r->first; k < r->first + r->n; k++)
        d->vals[k].tag = tag;
}

/* The usmStats object of a report: 1.3.6.1.6.3.15.1.1.<n>.0; 0 if it is not one. */
static int
usm_report_of(const netsnmp_pdu *pdu)
{
    static const oid usm_stats[] = {1, 3, 6, 1, 6, 3, 15, 1, 1};
    const netsnmp_variable_list *v = pdu->variables;

    if (v == NULL || v->name_length != OID_LENGTH(usm_stats) + 2 ||
        snmp_oid_ncompare(v->name, v->name_length, usm_stats, OID_LENGTH(usm_stats),
                          OID_LENGTH(usm_stats)) != 0)
        return 0;
    return (int)v->name[OID_LENGTH(usm_stats)];
}

static const char *
usm_report_name(int n)
{
    switch (n) {
    case 1:
        return "unsupported security level (usmStatsUnsupportedSecLevels)";
    case 2:
        return "not in time window (usmStatsNotInTimeWindows)";
    case 3:
        return "unknown user name (usmStatsUnknownUserNames)";
    case 4:
        return "unknown engine ID (usmStatsUnknownEngineIDs)";
    case 5:
        return "wrong digest: wrong authentication passphrase or protocol "
               "(usmStatsWrongDigests)";
    case 6:
        return "decryption error: wrong privacy passphrase or protocol "
               "(usmStatsDecryptionErrors)";
    }
    return "report";
}

/* Internal pseudo-tags for vals[].tag: no answer, and refused by a report. */
#define SP_TAG_TIMEOUT 0x1000
#define SP_TAG_REFUSED 0x1001
#define SP_TAG_ERRSTAT 0x2000 /* + error-status */

/*
 * net-snmp's callback, on the poller thread inside snmp_sess_read2() or snmp_sess_timeout().
 * Copies the answer out (the library frees the PDU) and marks the request done; the main
 * loop finishes the cycle. Returns 1 (handled), as net-snmp expects.
 */
static int
sp_cb(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
    struct sp_req *r = magic;
    struct sp_dev *d = r->dev;

    (void)s;
    (void)reqid; /* a report's may differ from the request's: the magic says which it was */
    if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && op != NETSNMP_CALLBACK_OP_TIMED_OUT)
        return 1; /* SEC_ERROR and RESEND are followed by one of the two */
    if (d->sess == NULL || !d->active || r->reqid == 0)
        return 1; /* closing, or already done */
    r->reqid = 0;
    d->in_flight--;

    if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
        if (r->walk != NULL)
            r->walk->fail = SP_TAG_TIMEOUT;
        req_fail(d, r, SP_TAG_TIMEOUT);
        d->timed_out++;
        atomic_fetch_add(&d->sp->st_timeouts, 1);
        return 1;
    }
    if (d->probing) {
        if (pdu->securityEngineIDLen > 0 && pdu->securityEngineIDLen <= SP_ENGINE_ID_MAX) {
            memcpy(d->engine_id, pdu->securityEngineID, pdu->securityEngineIDLen);
            d->engine_id_len = pdu->securityEngineIDLen;
            d->reopen = 1;
        } else {
            req_fail(d, r, SP_TAG_TIMEOUT);
            d->timed_out++;
        }
        return 1;
    }
    if (pdu->command == SNMP_MSG_REPORT) {
        d->report = usm_report_of(pdu);
        if (d->report == 4)
            d->engine_id_len = 0; /* a new agent behind the address: discover it again */
        if (r->walk != NULL)
            r->walk->fail = SP_TAG_REFUSED;
        req_fail(d, r, SP_TAG_REFUSED);
        d->refused++;
        atomic_fetch_add(&d->sp->st_auth, 1);
        return 1;
    }
    d->answered++;
    if (pdu->errstat != SNMP_ERR_NOERROR) {
        /* v2c/v3 GET errors (tooBig, genErr, ...) apply to the whole request. */
        if (r->walk != NULL)
            r->walk->fail = SP_TAG_ERRSTAT + (unsigned)(pdu->errstat & 0xff);
        req_fail(d, r, SP_TAG_ERRSTAT + (unsigned)(pdu->errstat & 0xff));
        return 1;
    }
    if (r->walk != NULL) {
        walk_take(r->walk, pdu);
        return 1;
    }
    {
        const netsnmp_variable_list *v = pdu->variables;

        for (size_t k = r->first; k < r->first + r->n; k++, v = v ? v->next_variable : NULL) {
            struct sp_value *val = &d->vals[k];

            /* An answer must name what was asked, in order (RFC 3416 4.2.1). */
            if (v == NULL || snmp_oid_compare(v->name, v->name_length, d->vbs[k].name,
                                              d->vbs[k].name_len) != 0) {
                val->tag = SP_TAG_OCTET_STR; /* a decode error */
                continue;
            }
            val->tag = v->type;
            switch (v->type) {
            case ASN_INTEGER:
                val->i = *v->val.integer;
                break;
            case ASN_COUNTER:
            case ASN_GAUGE:
            case ASN_TIMETICKS:
                val->u = (uint64_t)(unsigned long)*v->val.integer;
                break;
            case ASN_COUNTER64:
                val->u = ((uint64_t)v->val.counter64->high << 32) | v->val.counter64->low;
                break;
            default:
                break; /* exceptions and other types: the tag says it */
            }
        }
    }
    return 1;
}

static void
emit(struct sp_dev *d)
{
    struct sp_poller *sp = d->sp;

    for (size_t i = 0; i < d->profile->npoints; i++) {
        if (rw_queue_push(sp->samples, &d->out[i]) < 0) {
            atomic_fetch_add(&sp->st_dropped, 1);
            if (!sp->dropping)
                log_warn("snmp poller: sample queue full (%zu); dropping samples, their time "
                         "will read as unknown",
                         rw_queue_capacity(sp->samples));
            sp->dropping = 1;
        } else {
            sp->dropping = 0;
        }
    }
}

/* Decodes the cycle's answers into samples, logs state changes, pushes, and reschedules. */

/*
 * The quality of a request or walk that got no value, from the tag that says why (no answer
 * yet, timeout, a USM report, an error-status). Returns 1 and sets *q (and *code for an
 * error-status), or 0 when tag holds an answer to decode.
 */
static int
no_answer_quality(const struct sp_dev *d, unsigned tag, enum rw_quality *q, uint16_t *code)
{
    if (tag == SP_TAG_NULL) {
        *q = d->open_error ? RW_Q_IO_ERROR : RW_Q_TIMEOUT;
    } else if (tag == SP_TAG_TIMEOUT) {
        *q = RW_Q_TIMEOUT;
    } else if (tag == SP_TAG_REFUSED) {
        *q = RW_Q_AUTH_ERROR;
    } else if (tag >= SP_TAG_ERRSTAT) {
        *q = RW_Q_EXCEPTION;
        *code = (uint16_t)(tag - SP_TAG_ERRSTAT);
    } else {
        return 0;
    }
    return 1;
}

static void
dev_finish_cycle(struct sp_dev *d)
{
    const struct cfg_device *dc = d->cfg;
    const struct cfg_profile *p = d->profile;
    double wall = rw_clock_wall(), mono = rw_clock_mono(), next;
    size_t nbad = 0;
    const struct sample *first_bad = NULL;
    enum sp_state st;
    long detail = 0;

    for (size_t i = 0; i < p->npoints; i++) {
        struct sample *s = &d->out[i];

        memset(s, 0, sizeof(*s));
        s->device = (uint32_t)d->index;
        s->point = (uint32_t)i;
        s->cycle = d->cycle;
        s->value = NAN;
        s->quality = RW_Q_IO_ERROR; /* not asked: the session could not be opened */
    }
    for (size_t k = 0; k < d->nvb; k++) {
        const struct sp_vb *vb = &d->vbs[k];
        const struct sp_value *val = &d->vals[k];
        const struct cfg_point *pt = &p->points[vb->point];
        struct sample *s = &d->out[vb->point];
        uint16_t code = 0;
        enum rw_quality q;

        if (vb->role != SP_R_VALUE)
            continue; /* taken with their value */
        if (no_answer_quality(d, val->tag, &q, &code)) {
            /* q and code say why */
        } else if (pt->stype == CFG_ST_ENTITY_SENSOR) {
            q = sp_decode_sensor(pt, val, &d->vals[k + 1], &d->vals[k + 2], &s->value, &code);
        } else {
            q = sp_decode(pt, val, &s->value, &code);
        }
        s->quality = (uint16_t)q;
        s->code = code;
        if (q != RW_Q_GOOD && q != RW_Q_OUT_OF_RANGE)
            s->value = NAN;
        if (q == RW_Q_GOOD && pt->stype == CFG_ST_TIMETICKS) {
            size_t i = vb->point;

            if (d->have_ticks[i] &&
                sp_uptime_restarted(d->prev_ticks[i], val->u, mono - d->prev_mono[i])) {
                s->flags |= SAMPLE_F_RESET;
                atomic_fetch_add(&d->sp->st_restarts, 1);
                log_notice("%s: %s went back from %.2f s to %.2f s: the agent restarted",
                           d->desc, pt->name, (double)d->prev_ticks[i] / 100.0,
                           (double)val->u / 100.0);
            }
            d->prev_ticks[i] = val->u;
            d->prev_mono[i] = mono;
            d->have_ticks[i] = 1;
        }
        if (q != RW_Q_GOOD && q != RW_Q_TIMEOUT && q != RW_Q_AUTH_ERROR && q != RW_Q_IO_ERROR) {
            if (first_bad == NULL)
                first_bad = s;
            nbad++;
        }
    }
    for (size_t i = 0; d->nwalk > 0 && i < p->npoints; i++) {
        const struct sp_walk *w;
        struct sample *s = &d->out[i];
        uint16_t code = 0;
        enum rw_quality q;

        if (d->walk_of[i] == SIZE_MAX)
            continue;
        w = &d->walks[d->walk_of[i]];
        if (!no_answer_quality(d, w->fail, &q, &code)) {
            struct sp_column col = {w->cells, w->nrows, w->truncated, w->broken};

            q = sp_decode_walk(&p->points[i], &col, &s->value, &code);
        }
        s->quality = (uint16_t)q;
        s->code = code;
        if (q != RW_Q_GOOD && q != RW_Q_OUT_OF_RANGE)
            s->value = NAN;
        if (q != RW_Q_GOOD && q != RW_Q_TIMEOUT && q != RW_Q_AUTH_ERROR && q != RW_Q_IO_ERROR) {
            if (first_bad == NULL || first_bad->point > i)
                first_bad = s;
            nbad++;
        }
    }

    if (d->answered == 0 && d->refused > 0)
        st = SP_AUTH, detail = d->report;
    else if (d->answered == 0 && d->open_error != 0)
        st = SP_IOERR, detail = d->open_error;
    else if (d->answered == 0)
        st = SP_TIMEOUT;
    else if (nbad > 0)
        st = SP_PARTIAL, detail = (long)first_bad->point << 16 | first_bad->quality << 8 |
                                  (first_bad->code & 0xff);
    else
        st = SP_OK;

    if (d->answered == 0) {
        d->delay = d->delay == 0 ? dc->interval * 2 : d->delay * 2;
        if (d->delay > SP_BACKOFF_MAX)
            d->delay = dc->interval > SP_BACKOFF_MAX ? dc->interval : SP_BACKOFF_MAX;
        next = d->delay;
    } else {
        d->delay = 0;
        next = dc->interval;
    }
    /* One line per change of state; a partly failing device names its first bad point. */
    dev_log_change(d, st, detail, next);
    for (size_t i = 0; i < p->npoints; i++) {
        d->out[i].wall = wall;
        d->out[i].mono = mono;
        d->out[i].hold = next;
    }
    if (p->npoints > 0)
        d->out[p->npoints - 1].flags |= SAMPLE_F_LAST;
    emit(d);
    atomic_fetch_add(&d->sp->st_polls, 1);
    d->active = 0;
    if (st == SP_AUTH && d->engine_id_len == 0)
        dev_close(d); /* reopened after a new discovery */
    if (st == SP_IOERR)
        dev_close(d);

    d->due = rw_clock_next_due(d->due, mono, dc->interval, d->delay);
}

static void
dev_log_change(struct sp_dev *d, enum sp_state st, long detail, double next)
{
    const struct cfg_snmp *sn = &d->cfg->snmp;

    if (st == d->state && detail == d->state_detail)
        return;
    switch (st) {
    case SP_OK:
        if (d->state == SP_NEW)
            log_info("%s: answering", d->desc);
        else
            log_notice("%s: answering again", d->desc);
        break;
    case SP_PARTIAL: {
        const struct cfg_point *pt = &d->profile->points[detail >> 16];
        unsigned q = (unsigned)(detail >> 8) & 0xff, code = (unsigned)detail & 0xff;
        const char *exc = sp_exception_name(code);
        char oidbuf[CFG_OID_MAX * 11];
        char what[96];

        if (q == RW_Q_EXCEPTION && exc != NULL)
            snprintf(what, sizeof(what), "%s", exc);
        else if (q == RW_Q_EXCEPTION)
            snprintf(what, sizeof(what), "error-status %u (%s)", code,
                     snmp_errstring((int)code));
        else if (q == RW_Q_DECODE_ERROR)
            snprintf(what, sizeof(what), "not the %s the profile says",
                     cfg_snmp_type_name(pt->stype));
        else
            snprintf(what, sizeof(what), "%s", rw_quality_name((enum rw_quality)q));
        log_warn("%s: point %s (%s): %s", d->desc, pt->name,
                 cfg_point_oid_text(pt, oidbuf, sizeof(oidbuf)), what);
        break;
    }
    case SP_TIMEOUT:
        log_warn("%s: timeout (no answer in %.3g s x %d tries%s), retry in %.3g s", d->desc,
                 d->cfg->timeout, sn->retries + 1,
                 sn->version == 2 ? "; an agent also stays silent to a wrong community" : "",
                 next);
        break;
    case SP_AUTH:
        log_err("%s: SNMPv3 user \"%s\" refused: %s; retry in %.3g s", d->desc,
                sn->user ? sn->user : "", usm_report_name((int)detail), next);
        break;
    case SP_IOERR:
        log_err("%s: cannot poll: %s; retry in %.3g s", d->desc,
                snmp_api_errstring((int)detail), next);
        break;
    case SP_NEW:
        break;
    }
    d->state = st;
    d->state_detail = detail;
}

/* ------------------------------------------------------------------------------------- */
/* The thread                                                                             */

static void *
sp_main(void *arg)
{
    struct sp_poller *sp = arg;
    double now = rw_clock_mono();

    netsnmp_large_fd_set_init(&sp->fds, FD_SETSIZE);
    sp->fds_init = 1;
    /*
     * Spread the first polls over a short while (at most one interval), so that 200 agents
     * on one interval do not fall due in the same instant forever.
     */
    for (size_t i = 0; i < sp->ndevs; i++) {
        struct sp_dev *d = &sp->devs[i];
        double spread = d->cfg->interval < 1.0 ? d->cfg->interval : 1.0;

        d->due = now + spread * (double)i / (double)(sp->ndevs ? sp->ndevs : 1);
    }

    while (!atomic_load(&sp->stop)) {
        double wake;
        int npfd = 0, n, ms;

        now = rw_clock_mono();
        wake = now + SP_IDLE_MAX;
        rw_beat_expect(sp->beat, now + sp->turn_worst);
        for (size_t i = 0; i < sp->ndevs; i++) {
            struct sp_dev *d = &sp->devs[i];

            if (d->reopen) {
                /* The probe found the engineID: the real session, and this cycle's GETs. */
                d->reopen = 0;
                dev_close(d);
                if (dev_open(d, 0) == 0)
                    dev_send(d, now);
            }
            if (d->active && !d->reopen)
                dev_walk_continue(d, now); /* before the cycle can look finished */
            if (d->active && d->in_flight > 0 && now >= d->timeout_check && d->sess != NULL) {
                /* Resends and final timeouts; callbacks may finish requests. */
                snmp_sess_timeout(d->sess);
                d->timeout_check = now + d->cfg->timeout;
            }
            if (d->active && d->in_flight > 0 && now >= d->deadline) {
                /* net-snmp dropped a request without calling back: never wait forever. */
                for (size_t k = 0; k < d->nreq; k++) {
                    if (d->reqs[k].reqid != 0) {
                        d->reqs[k].reqid = 0;
                        req_fail(d, &d->reqs[k], SP_TAG_TIMEOUT);
                        d->timed_out++;
                    }
                }
                for (size_t k = 0; k < d->nwalk; k++) {
                    if (d->walks[k].req.reqid != 0) {
                        d->walks[k].req.reqid = 0;
                        d->walks[k].fail = SP_TAG_TIMEOUT;
                        d->timed_out++;
                    }
                }
                d->in_flight = 0;
                d->reopen = 0;
                dev_close(d);
            }
            if (d->active && d->in_flight == 0 && !d->reopen)
                dev_finish_cycle(d);
            if (!d->active && now >= d->due)
                dev_start_cycle(d, now);
            if (d->active && d->in_flight == 0 && !d->reopen)
                dev_finish_cycle(d); /* nothing could be sent */
            if (d->active && d->in_flight > 0 && d->sess != NULL) {
                netsnmp_transport *t = snmp_sess_transport(d->sess);

                if (t != NULL && t->sock >= 0) {
                    sp->pfd[npfd].fd = t->sock;
                    sp->pfd[npfd].events = POLLIN;
                    sp->pfd[npfd].revents = 0;
                    sp->pfddev[npfd++] = d;
                }
                if (d->timeout_check < wake)
                    wake = d->timeout_check;
            }
            if (!d->active && d->due < wake)
                wake = d->due;
            if (d->reopen)
                wake = now;
        }
        ms = (int)ceil((wake - rw_clock_mono()) * 1000.0);
        if (ms < 0)
            ms = 0;
        rw_beat_expect(sp->beat, rw_clock_mono() + ms / 1000.0 + sp->turn_worst);
        sp->pfd[npfd].fd = sp->wakefd;
        sp->pfd[npfd].events = POLLIN;
        sp->pfd[npfd].revents = 0;
        n = poll(sp->pfd, (nfds_t)npfd + 1, ms);
        if (n < 0 && errno != EINTR) {
            log_err("snmp poller: poll: %s", strerror(errno));
            /* Do not spin on a persistent error. */
            nanosleep(&(struct timespec){0, (long)(SP_ERROR_PAUSE * 1e9)}, NULL);
            continue;
        }
        for (int k = 0; n > 0 && k < npfd; k++) {
            struct sp_dev *d = sp->pfddev[k];

            if (sp->pfd[k].revents == 0 || d->sess == NULL)
                continue;
            NETSNMP_LARGE_FD_SET(sp->pfd[k].fd, &sp->fds);
            snmp_sess_read2(d->sess, &sp->fds);
            NETSNMP_LARGE_FD_CLR(sp->pfd[k].fd, &sp->fds);
        }
    }
    for (size_t i = 0; i < sp->ndevs; i++)
        dev_close(&sp->devs[i]);
    return NULL;
}
