/*
 * probe.h - the service prober: one thread that probes every service device (a "probe"
 * group in the config: tcp, http(s), icmp, dns) and pushes each point's reading into the
 * sample queue as the Modbus bus workers and the SNMP poller do.
 *
 * DESIGN: nothing the thread does blocks on one service. http(s) runs on libcurl's multi
 * interface (no hand-written HTTP or TLS); tcp connects are non-blocking sockets; icmp uses
 * an unprivileged ICMP socket (SOCK_DGRAM, IPPROTO_ICMP, allowed by the sysctl
 * net.ipv4.ping_group_range) or, failing that, a raw socket (CAP_NET_RAW, which the unit
 * file grants); dns asks the probe's server with c-ares, and host names of tcp and icmp
 * probes are resolved with c-ares too (getaddrinfo would block the thread). The thread
 * waits in curl_multi_poll() on curl's sockets and all of its own at once.
 *
 * Each device is probed on its own interval, drift-free on the monotonic clock
 * (rw_clock_next_due), within its timeout. A probe's points (cfg_probe.h) are:
 *   up     1 when the service answered as it should; otherwise the sample has no value and
 *          the failure's quality, so that availability, downtime and fault_rate count the
 *          time as down with no condition to configure: timeout (no answer within the
 *          timeout), io_error (refused, reset, unreachable, TLS handshake or certificate
 *          refused, the host name does not resolve, the probe could not be sent),
 *          exception (an answer, but not the expected one: an HTTP status outside "expect"
 *          with code = the status, a body without the "body" string, a DNS answer of
 *          NXDOMAIN, SERVFAIL or REFUSED with code = its rcode, or no record), decode_error
 *          (an answer that does not parse as HTTP or DNS).
 *   latency_ms / rtt_ms, status, cert_days, answers: good whenever they were measured (a
 *          500 still has a status and a latency), else the failure's quality.
 *   loss   % of the echo requests unanswered; always measured.
 * A failing probe is asked again every interval: its recovery is what downtime measures.
 * With backoff = true in its group it is backed off like a silent device instead (the
 * delay doubles from twice its interval up to PRB_BACKOFF_MAX), and so is a probe that
 * cannot be sent at all (no ICMP permission, no socket). Each change of a device's state is
 * logged once (answering; down and why).
 *
 * The queue never blocks the thread: a full queue drops the sample and counts it.
 */
#ifndef ROOMWATCH_PROBE_H
#define ROOMWATCH_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "cfg/cfg.h"
#include "rw_module.h"
#include "rw_queue.h"

#define PRB_BACKOFF_MAX 60.0 /* s, longest delay between attempts at a backed-off probe */

struct prb;

struct prb_stats {
    uint64_t probes;  /* probe cycles completed */
    uint64_t down;    /* of which the service was not up */
    uint64_t dropped; /* samples the full queue refused */
};

/* Number of probed devices in cfg: no prober is needed when it is 0. */
size_t prb_device_count(const struct rw_config *cfg);

/*
 * Creates the prober for cfg's probed devices; cfg and samples are borrowed and must outlive
 * it. Sets up libcurl and c-ares (their global init), so call it from the main thread.
 * Returns NULL with errno set, after logging why.
 */
struct prb *prb_new(const struct rw_config *cfg, struct rw_queue *samples);
/* Starts the thread. Returns 0, or -1 with errno set. */
int prb_start(struct prb *p);
/* Asks the thread to stop and joins it (within about 100 ms). Safe if never started. */
void prb_stop(struct prb *p);
/* Accepts NULL. Stops the thread first if needed. */
void prb_free(struct prb *p);
/* Any thread. */
void prb_get_stats(struct prb *p, struct prb_stats *st);

/*
 * roomwatchd loads the prober as the module roomwatch-probe.so (rw_module.h) when its config
 * probes a service, so that libcurl, c-ares and what they pull in (TLS, Kerberos, LDAP) are
 * in memory only then. Its table, rw_module_probe, holds the functions above.
 */
struct prb_module {
    struct rw_module_head head;
    struct prb *(*new_prober)(const struct rw_config *cfg, struct rw_queue *samples);
    int (*start)(struct prb *p);
    void (*stop)(struct prb *p);
    void (*free_prober)(struct prb *p);
    void (*get_stats)(struct prb *p, struct prb_stats *st);
};

#endif
