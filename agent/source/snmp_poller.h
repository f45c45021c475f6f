/*
 * snmp_poller.h - the SNMP poller: one thread that polls every SNMP device (UPS, PDU,
 * switch, sensor) concurrently over UDP with net-snmp's single-session API, and pushes each
 * point's reading into the sample queue as the Modbus bus workers do.
 *
 * DESIGN: one thread owns every net-snmp session (net-snmp's SNMPv3 code was never checked
 * for thread safety: README.thread), one session per device, opened by that thread. Each
 * device is polled on its own interval, drift-free on the monotonic clock, by asynchronous
 * GETs (snmp_sess_async_send) of at most SP_MAX_VARBINDS varbinds each; the thread sleeps in
 * poll() on the sockets of the sessions with requests in flight and drives net-snmp's
 * retransmissions and timeouts itself (snmp_sess_read2 / snmp_sess_timeout), so a device
 * that does not answer costs the others nothing: no call blocks on one agent.
 *
 * SNMPv3 engineID discovery: snmp_sess_open() would discover the agent's engineID with a
 * *synchronous* request (snmpusm.c), blocking the thread for timeout x (retries + 1) when the
 * agent is dead. Instead the poller discovers it asynchronously: it opens a noAuthNoPriv
 * probe session with SNMP_FLAGS_DONT_PROBE, sends the empty GET of RFC 3414 section 4, takes
 * the engineID from the agent's report, then opens the real session with that engineID and
 * DONT_PROBE (the keys are localized without network traffic). A dead v3 agent is thus only
 * a probe that times out like any request, backed off like any silent device. Time
 * synchronization (engineBoots/engineTime) is left to net-snmp, which resends a request
 * answered with notInTimeWindow; a report of unknownEngineIDs (the agent was replaced)
 * forgets the engineID and probes again.
 *
 * Tables: a profile's walk points (profile key "walk") name a table column, which is read
 * each cycle with GETBULK (v2c/v3; non-repeaters 0, max-repetitions SP_WALK_REPETITIONS),
 * asynchronously beside the GETs: one GETBULK in flight per column, the next one sent from
 * the main loop when the answer comes, starting from the last name received. The walk ends
 * when a name leaves the column or the agent says endOfMibView; it is bounded by
 * SP_WALK_MAX_ROWS rows and SP_WALK_MAX_PDUS PDUs per cycle (truncated: out_of_range), and a
 * name that does not follow the previous one ends it as a decode error (no loops). Each walk
 * point is one sample derived from the rows (sp_decode_walk: row count, or "the column holds
 * OID x"), so sparse tables such as upsAlarmTable, whose row ids keep growing, are never
 * indexed. A GETBULK that times out, is refused or errs gives its points that quality.
 *
 * Every point of every poll becomes a sample, the failed ones too (timeout, exception for
 * noSuchObject/noSuchInstance/endOfMibView/error-status, decode_error for a wrong type,
 * out_of_range, auth_error for a USM report, io_error when a session cannot be opened). A
 * device that gives no answer is backed off: the delay doubles from twice its interval up to
 * SP_BACKOFF_MAX and resets at the first answer. Each change of a device's state is logged
 * once (answering, timeout, credentials refused, some points failing). A timeticks point
 * (sysUpTime) that goes back means the agent restarted: its sample carries SAMPLE_F_RESET and
 * one notice is logged per restart. Communities and passphrases are never logged.
 *
 * The queue never blocks the thread: a full queue drops the sample and counts it.
 */
#ifndef ROOMWATCH_SNMP_POLLER_H
#define ROOMWATCH_SNMP_POLLER_H

#include <stddef.h>
#include <stdint.h>

#include "cfg/cfg.h"
#include "rw_module.h"
#include "rw_queue.h"

#define SP_BACKOFF_MAX 60.0 /* s, longest delay between attempts at a silent agent */
#define SP_MAX_VARBINDS 32  /* per GET; a point's ENTITY-SENSOR triple is never split */
#define SP_WALK_REPETITIONS 16 /* max-repetitions of a walk's GETBULK */
#define SP_WALK_MAX_PDUS 32    /* GETBULKs per walk per cycle (and SP_WALK_MAX_ROWS rows) */

struct sp_poller;

struct sp_poller_stats {
    uint64_t polls;      /* device poll cycles completed */
    uint64_t requests;   /* GET and GETBULK PDUs sent (not counting net-snmp's resends) */
    uint64_t timeouts;   /* GETs that timed out after every retry */
    uint64_t auth_fails; /* GETs answered with a USM report */
    uint64_t restarts;   /* agent restarts seen (sysUpTime went back) */
    uint64_t dropped;    /* samples the full queue refused */
};

/*
 * One-time library set-up, in the main thread before any thread starts (init_snmp reads
 * configuration and is not thread-safe): no MIB files are loaded (MIBS=""; numeric OIDs
 * only, so start-up stays fast), no snmp.conf is read, and no state is persisted. net-snmp's
 * persistent folder is SNMP_PERSISTENT_DIR if set, else $STATE_DIRECTORY/snmp (systemd's
 * StateDirectory=), else /var/lib/roomwatch/snmp; it is only created if writable. Returns 0.
 * Calling it again does nothing.
 */
int sp_library_init(void);
/*
 * SNMPv3's security set-up (USM's salts, the local engine's time), which initialises OpenSSL
 * (1.6 MiB of libcrypto pages): sp_library_init() leaves it out, and sp_poller_new() calls
 * this for a config with a v3 device, in the main thread while no poller runs. Once; then 0
 * at once. Returns 0, or -1 (errno EIO) when net-snmp's set-up fails.
 */
int sp_library_v3(void);
/* 1 while sp_library_v3() has something left to do (net-snmp 5.9's layout, for the tests). */
int sp_library_v3_pending(void);
/* At exit, after every poller is freed. */
void sp_library_shutdown(void);

/* Number of SNMP devices in cfg (cfg_device_count()): no poller is needed when it is 0. */
size_t sp_device_count(const struct rw_config *cfg);

/*
 * Creates the poller for cfg's SNMP devices; cfg and samples are borrowed and must outlive
 * it. Returns NULL with errno set: ENOMEM, or EIO when net-snmp's SNMPv3 set-up (run here for
 * the first v3 device, sp_library_v3()) failed.
 */
struct sp_poller *sp_poller_new(const struct rw_config *cfg, struct rw_queue *samples);
/* Starts the thread. Returns 0, or -1 with errno set. */
int sp_poller_start(struct sp_poller *sp);
/* Asks the thread to stop and joins it (within about 100 ms); the thread closes every
 * session. Safe on a poller never started. */
void sp_poller_stop(struct sp_poller *sp);
/* Accepts NULL. Stops the poller first if needed. */
void sp_poller_free(struct sp_poller *sp);
/* Any thread. */
void sp_poller_get_stats(struct sp_poller *sp, struct sp_poller_stats *st);

/*
 * roomwatchd loads the poller as the module roomwatch-snmp.so (rw_module.h) when its config
 * has an SNMP device, so that net-snmp (and the libcrypto it links) is in memory only then;
 * OpenSSL is initialised only for a v3 device (sp_library_v3()). Its table, rw_module_snmp,
 * holds the functions above.
 */
struct sp_module {
    struct rw_module_head head;
    int (*library_init)(void);
    void (*library_shutdown)(void);
    struct sp_poller *(*poller_new)(const struct rw_config *cfg, struct rw_queue *samples);
    int (*poller_start)(struct sp_poller *sp);
    void (*poller_stop)(struct sp_poller *sp);
    void (*poller_free)(struct sp_poller *sp);
    void (*poller_get_stats)(struct sp_poller *sp, struct sp_poller_stats *st);
};

#endif
