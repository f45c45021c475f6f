/*
 * probe_priv.h - what the prober's parts share (probe.c: the thread, the schedule, tcp and
 * host names; probe_icmp.c; probe_http.c; probe_dns.c). Private to agent/source/probe*.c.
 *
 * A device's cycle: probe.c starts it (prb_dev.active), the type's part sends the probe and
 * later fills the samples of its points with prb_set() / prb_fail(), then calls
 * prb_finish(), which stamps, logs, pushes and reschedules. Everything runs on the
 * prober's thread.
 */
#ifndef ROOMWATCH_PROBE_PRIV_H
#define ROOMWATCH_PROBE_PRIV_H

#include <stdatomic.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/socket.h>

#include <ares.h>
#include <curl/curl.h>

#include "source/probe.h"
#include "source/sample.h"

#define PRB_WHY_MAX 200
#define PRB_ICMP_MAX 10 /* echo requests per cycle (cfg "count" <= 10) */

/* Points by position in the built-in profiles (cfg_probe.c): up is always 0. */
enum {
    PRB_P_UP = 0,
    PRB_P_LATENCY = 1, /* latency_ms, rtt_ms */
    PRB_P_STATUS = 2,  /* http: status; icmp: loss; dns: answers */
    PRB_P_CERT = 3,    /* https: cert_days */
};

enum prb_state {
    PRB_NEW = 0,
    PRB_UP,
    PRB_DOWN,
};

struct prb;

struct prb_dev {
    struct prb *pr;
    size_t index; /* into cfg->devices */
    const struct cfg_device *cfg;
    const struct cfg_probe *probe;
    size_t npoints;
    char desc[CFG_ID_MAX + 300]; /* "probe app1 (https://...)" */

    int active;      /* a cycle is under way */
    double started;  /* monotonic s the cycle started */
    double deadline; /* the cycle gives up by then (tcp, icmp, name lookups) */
    double due;      /* next cycle */
    double delay;    /* backoff delay; 0 while up (or without backoff) */
    int local_error; /* the probe could not be sent at all: backed off whatever the config */
    uint64_t cycle;
    struct sample *out;    /* per point */
    char why[PRB_WHY_MAX]; /* why this cycle is down */

    enum prb_state state;
    uint32_t last_detail; /* quality << 16 | code of the last down logged */

    /* tcp and icmp */
    int fd;        /* -1 when closed */
    int resolving; /* a c-ares lookup of probe->host is under way */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    /* icmp */
    int raw;        /* a raw socket (CAP_NET_RAW), not an unprivileged one */
    uint16_t ident; /* echo identifier (raw sockets; the kernel picks it for datagram ones) */
    uint16_t seq0;  /* sequence number of this cycle's first echo */
    int nsent, nrecv;
    double sent_at[PRB_ICMP_MAX];
    unsigned char got[PRB_ICMP_MAX];
    double rtt_sum;
    /* http */
    CURL *easy;
    char errbuf[CURL_ERROR_SIZE];
    size_t body_read;
    int body_found;
    char *tail; /* the last strlen(body) - 1 bytes read, for a match across two chunks */
    size_t tail_len;
    /* dns */
    ares_channel chan;
    int dns_pending;
};

/* One fd the thread waits on, and whose it is. */
enum prb_fd_kind {
    PRB_FD_DEV = 0, /* a tcp or icmp device's socket */
    PRB_FD_ARES,    /* a socket of a c-ares channel (chan) */
};

struct prb {
    const struct rw_config *cfg;
    struct rw_queue *samples;
    size_t ndevs;
    struct prb_dev *devs;
    CURLM *multi;
    ares_channel resolver; /* host names of tcp and icmp probes (the system's resolvers) */
    int curl_init, ares_init;
    struct curl_waitfd *wfd;
    struct prb_dev **wdev; /* per wfd: its device (NULL for the resolver) */
    ares_channel *wchan;   /* per wfd: its channel, for PRB_FD_ARES */
    unsigned char *wkind;  /* per wfd: enum prb_fd_kind */
    size_t nwfd, capwfd;
    pthread_t thread;
    int started;
    volatile int stop;
    int dropping;
    _Atomic uint64_t st_probes, st_down, st_dropped;
};

/* Sets point k's sample (if the profile has it): quality q, value v, code. */
void prb_set(struct prb_dev *d, size_t k, enum rw_quality q, double v, uint16_t code);
/* Marks every point not yet set this cycle with q / code, and says why (printf-like). */
void prb_fail(struct prb_dev *d, enum rw_quality q, uint16_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Ends d's cycle: stamps, logs a change of state, pushes the samples, reschedules. */
void prb_finish(struct prb_dev *d);
/* The lookup of d's host gave addr (or failed: prb_fail already called, d finished). */
void prb_resolved(struct prb_dev *d);

/* tcp (probe.c) */
void prb_tcp_send(struct prb_dev *d);
void prb_tcp_ready(struct prb_dev *d, short revents);

/* icmp (probe_icmp.c) */
void prb_icmp_send(struct prb_dev *d);
void prb_icmp_ready(struct prb_dev *d);
/* The deadline passed: what came back is the answer. */
void prb_icmp_expire(struct prb_dev *d);

/* http (probe_http.c) */
int prb_http_setup(struct prb_dev *d); /* 0, or -1 (ENOMEM) */
void prb_http_send(struct prb_dev *d);
/* curl finished d's transfer with result rc. */
void prb_http_done(struct prb_dev *d, CURLcode rc);
void prb_http_free(struct prb_dev *d);

/* dns (probe_dns.c) */
int prb_dns_setup(struct prb_dev *d); /* 0, or -1 after logging why */
void prb_dns_send(struct prb_dev *d);
void prb_dns_free(struct prb_dev *d);

/* Elapsed ms since the cycle started, to the microsecond. */
double prb_elapsed_ms(const struct prb_dev *d);

#endif
