/*
 * probe.c - the service prober's thread (see probe.h for the design): the schedule, the
 * outcome of each cycle as samples, tcp connects and host-name lookups.
 *
 * Global state: libcurl's and c-ares' library state, set up by prb_new() in the main
 * thread (curl_global_init and ares_library_init are not thread-safe). Everything else hangs
 * off struct prb and is touched by its thread only, apart from the atomic statistics.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* struct addrinfo under -std=c11 */
#endif
#include "source/probe_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "rw_clock.h"
#include "rw_log.h"
#include "rw_thread.h"

#define PRB_THREAD_STACK (256 * 1024) /* bytes */
#define PRB_TICK 0.1                  /* s, longest sleep: how soon a stop request is seen */
/* s past its timeout after which an http or dns probe that libcurl or c-ares never finished
 * is given up: they time out by themselves, but the thread must never wait forever. */
#define PRB_GRACE 1.0
/* In the flags of a sample of the cycle under way: it has been set (never pushed). */
#define PRB_F_SET 0x80000000u

/* A lookup in flight: the device, and the cycle it is for (a late answer is dropped). */
struct lookup {
    struct prb_dev *d;
    uint64_t cycle;
};

static void *prb_main(void *arg);
static void dev_start(struct prb_dev *d, double now);
static void dev_close(struct prb_dev *d);
static int want_fd(struct prb *pr, int fd, short events, enum prb_fd_kind kind, struct prb_dev *d,
                   ares_channel chan);
static void add_ares_fds(struct prb *pr, ares_channel chan, struct prb_dev *d);
static void lookup_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res);

size_t
prb_device_count(const struct rw_config *cfg)
{
    return cfg_device_count(cfg, CFG_PROTO_PROBE);
}

struct prb *
prb_new(const struct rw_config *cfg, struct rw_queue *samples)
{
    struct prb *pr = calloc(1, sizeof(*pr));
    size_t n = prb_device_count(cfg);
    struct ares_options opt;
    int rc;

    if (pr == NULL)
        goto nomem;
    pr->cfg = cfg;
    pr->samples = samples;
    pr->devs = calloc(n ? n : 1, sizeof(*pr->devs));
    if (pr->devs == NULL)
        goto nomem;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_err("prober: libcurl cannot be set up");
        goto fail;
    }
    pr->curl_init = 1;
    if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
        log_err("prober: c-ares cannot be set up: %s", ares_strerror(rc));
        goto fail;
    }
    pr->ares_init = 1;
    if ((pr->multi = curl_multi_init()) == NULL)
        goto nomem;
    /* The system's resolvers, for host names; lookups are bounded by each probe's deadline. */
    memset(&opt, 0, sizeof(opt));
    opt.flags = ARES_FLAG_NOSEARCH;
    opt.timeout = 1000; /* ms per try, two tries: a dead resolver does not pile up lookups */
    opt.tries = 2;
    if ((rc = ares_init_options(&pr->resolver, &opt,
                                ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES)) !=
        ARES_SUCCESS) {
        log_err("prober: cannot set up the name resolver: %s", ares_strerror(rc));
        pr->resolver = NULL;
        goto fail;
    }
    for (size_t i = 0; i < cfg->ndevices; i++) {
        const struct cfg_device *dc = &cfg->devices[i];
        struct prb_dev *d;

        if (dc->source != CFG_PROTO_PROBE)
            continue;
        d = &pr->devs[pr->ndevs++];
        d->pr = pr;
        d->index = i;
        d->cfg = dc;
        d->probe = &dc->probe;
        d->fd = -1;
        d->npoints = cfg->profiles[dc->profile].npoints;
        d->out = calloc(d->npoints, sizeof(*d->out));
        if (d->out == NULL)
            goto nomem;
        switch (d->probe->type) {
        case CFG_PROBE_TCP: {
            int v6 = strchr(d->probe->host, ':') != NULL; /* [fd00::1]:5432 */

            snprintf(d->desc, sizeof(d->desc), "probe %s (tcp %s%.256s%s:%d)", dc->id,
                     v6 ? "[" : "", d->probe->host, v6 ? "]" : "", d->probe->port);
            break;
        }
        case CFG_PROBE_ICMP:
            snprintf(d->desc, sizeof(d->desc), "probe %s (icmp %.256s)", dc->id, d->probe->host);
            break;
        case CFG_PROBE_HTTP:
            snprintf(d->desc, sizeof(d->desc), "probe %s (%.256s)", dc->id, d->probe->url);
            if (prb_http_setup(d) < 0)
                goto nomem;
            break;
        case CFG_PROBE_DNS:
            snprintf(d->desc, sizeof(d->desc), "probe %s (dns %.200s at %s port %d)", dc->id,
                     d->probe->name, d->probe->server, d->probe->port);
            if (prb_dns_setup(d) < 0)
                goto fail;
            break;
        }
    }
    return pr;
nomem:
    log_err("prober: out of memory");
    prb_free(pr);
    errno = ENOMEM;
    return NULL;
fail:
    prb_free(pr);
    errno = EINVAL; /* logged already */
    return NULL;
}

int
prb_start(struct prb *pr)
{
    pr->stop = 0;
    if (rw_thread_start(&pr->thread, PRB_THREAD_STACK, prb_main, pr) < 0)
        return -1;
    pr->started = 1;
    return 0;
}

void
prb_stop(struct prb *pr)
{
    if (!pr->started)
        return;
    pr->stop = 1;
    pthread_join(pr->thread, NULL);
    pr->started = 0;
}

void
prb_free(struct prb *pr)
{
    if (pr == NULL)
        return;
    prb_stop(pr);
    for (size_t i = 0; i < pr->ndevs; i++) {
        struct prb_dev *d = &pr->devs[i];

        dev_close(d);
        prb_http_free(d);
        prb_dns_free(d);
        free(d->out);
    }
    /* Pending lookups are called back with ARES_EDESTRUCTION and free their struct lookup. */
    if (pr->resolver != NULL)
        ares_destroy(pr->resolver);
    if (pr->multi != NULL)
        curl_multi_cleanup(pr->multi);
    if (pr->ares_init)
        ares_library_cleanup();
    if (pr->curl_init)
        curl_global_cleanup();
    free(pr->devs);
    free(pr->wfd);
    free(pr->wdev);
    free(pr->wchan);
    free(pr->wkind);
    free(pr);
}

void
prb_get_stats(struct prb *pr, struct prb_stats *st)
{
    st->probes = atomic_load(&pr->st_probes);
    st->down = atomic_load(&pr->st_down);
    st->dropped = atomic_load(&pr->st_dropped);
}

/* ------------------------------------------------------------------------------------- */
/* Outcomes                                                                               */

double
prb_elapsed_ms(const struct prb_dev *d)
{
    return (rw_clock_mono() - d->started) * 1000.0;
}

void
prb_set(struct prb_dev *d, size_t k, enum rw_quality q, double v, uint16_t code)
{
    struct sample *s;

    if (k >= d->npoints)
        return;
    s = &d->out[k];
    s->quality = (uint16_t)q;
    s->value = q == RW_Q_GOOD ? v : 0.0;
    s->code = code;
    s->flags = PRB_F_SET; /* cleared before the push */
}

/* Sets every point not yet set this cycle to q / code. */
static void
set_unset(struct prb_dev *d, enum rw_quality q, uint16_t code)
{
    for (size_t k = 0; k < d->npoints; k++)
        if (!(d->out[k].flags & PRB_F_SET))
            prb_set(d, k, q, 0.0, code);
}

void
prb_fail(struct prb_dev *d, enum rw_quality q, uint16_t code, const char *fmt, ...)
{
    va_list ap;

    set_unset(d, q, code);
    va_start(ap, fmt);
    vsnprintf(d->why, sizeof(d->why), fmt, ap);
    va_end(ap);
}

/*
 * The state change of d this cycle, logged once. Down is down for the same reason while the
 * quality and code stay (libcurl's messages differ by the milliseconds they name).
 */
static void
log_change(struct prb_dev *d, enum prb_state st, double next)
{
    uint32_t detail = (uint32_t)d->out[PRB_P_UP].quality << 16 | d->out[PRB_P_UP].code;

    if (st == d->state && (st != PRB_DOWN || detail == d->last_detail))
        return;
    if (st == PRB_UP && d->state == PRB_NEW)
        log_info("%s: up", d->desc);
    else if (st == PRB_UP)
        log_notice("%s: up again", d->desc);
    else
        log_warn("%s: down: %s (%s); next probe in %.3g s", d->desc, d->why,
                 rw_quality_name((enum rw_quality)d->out[PRB_P_UP].quality), next);
    d->state = st;
    d->last_detail = detail;
}

void
prb_finish(struct prb_dev *d)
{
    struct prb *pr = d->pr;
    const struct cfg_device *dc = d->cfg;
    double mono = rw_clock_mono(), wall = rw_clock_wall();
    enum prb_state st;
    double next;

    if (!d->active)
        return;
    dev_close(d);
    d->resolving = 0;
    /* A part that set nothing has failed to say why: never push stale samples. */
    if (d->out[PRB_P_UP].flags == 0)
        snprintf(d->why, sizeof(d->why), "no outcome");
    set_unset(d, RW_Q_IO_ERROR, 0);
    st = d->out[PRB_P_UP].quality == RW_Q_GOOD ? PRB_UP : PRB_DOWN;
    if (st == PRB_DOWN && (dc->probe.backoff || d->local_error)) {
        d->delay = d->delay == 0 ? 2 * dc->interval : 2 * d->delay;
        if (d->delay > PRB_BACKOFF_MAX)
            d->delay = PRB_BACKOFF_MAX > dc->interval ? PRB_BACKOFF_MAX : dc->interval;
        next = d->delay;
    } else {
        d->delay = 0;
        next = dc->interval;
    }
    log_change(d, st, next);
    for (size_t k = 0; k < d->npoints; k++) {
        struct sample *s = &d->out[k];

        s->device = (uint32_t)d->index;
        s->point = (uint32_t)k;
        s->cycle = d->cycle;
        s->wall = wall;
        s->mono = mono;
        s->hold = next;
        s->flags = k + 1 == d->npoints ? SAMPLE_F_LAST : 0;
        if (rw_queue_push(pr->samples, s) < 0) {
            atomic_fetch_add(&pr->st_dropped, 1);
            if (!pr->dropping)
                log_warn("prober: sample queue full (%zu); dropping samples, their time will "
                         "read as unknown",
                         rw_queue_capacity(pr->samples));
            pr->dropping = 1;
        } else {
            pr->dropping = 0;
        }
    }
    atomic_fetch_add(&pr->st_probes, 1);
    if (st == PRB_DOWN)
        atomic_fetch_add(&pr->st_down, 1);
    d->active = 0;
    d->due = rw_clock_next_due(d->due, mono, dc->interval, d->delay);
}

/* ------------------------------------------------------------------------------------- */
/* Cycles, host names, tcp                                                                */

static void
dev_close(struct prb_dev *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}

static void
dev_start(struct prb_dev *d, double now)
{
    const struct cfg_probe *p = d->probe;
    struct addrinfo hints, *ai = NULL;

    d->cycle++;
    d->active = 1;
    d->started = now;
    d->deadline = now + d->cfg->timeout;
    d->local_error = 0;
    d->why[0] = '\0';
    for (size_t k = 0; k < d->npoints; k++)
        d->out[k].flags = 0;
    switch (p->type) {
    case CFG_PROBE_HTTP:
        prb_http_send(d);
        return;
    case CFG_PROBE_DNS:
        prb_dns_send(d);
        return;
    case CFG_PROBE_TCP:
    case CFG_PROBE_ICMP:
        break;
    }
    /* A numeric address needs no lookup (AI_NUMERICHOST never touches the network). */
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST;
    hints.ai_socktype = p->type == CFG_PROBE_TCP ? SOCK_STREAM : SOCK_DGRAM;
    if (getaddrinfo(p->host, NULL, &hints, &ai) == 0 && ai != NULL) {
        memcpy(&d->addr, ai->ai_addr, ai->ai_addrlen);
        d->addrlen = ai->ai_addrlen;
        freeaddrinfo(ai);
        prb_resolved(d);
    } else {
        struct ares_addrinfo_hints ah;
        struct lookup *lk = malloc(sizeof(*lk));

        if (ai != NULL)
            freeaddrinfo(ai);
        if (lk == NULL) {
            d->local_error = 1;
            prb_fail(d, RW_Q_IO_ERROR, 0, "out of memory");
            prb_finish(d);
            return;
        }
        lk->d = d;
        lk->cycle = d->cycle;
        memset(&ah, 0, sizeof(ah));
        /* ICMPv4 first: an echo to an IPv6 address needs the network to route it too. */
        ah.ai_family = p->type == CFG_PROBE_ICMP ? AF_INET : AF_UNSPEC;
        ah.ai_socktype = hints.ai_socktype;
        d->resolving = 1;
        ares_getaddrinfo(d->pr->resolver, p->host, NULL, &ah, lookup_cb, lk);
    }
}

static void
lookup_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    struct lookup *lk = arg;
    struct prb_dev *d = lk->d;
    int mine = d->active && d->resolving && d->cycle == lk->cycle;

    (void)timeouts;
    free(lk);
    if (!mine || status == ARES_EDESTRUCTION) {
        if (res != NULL)
            ares_freeaddrinfo(res);
        return;
    }
    d->resolving = 0;
    if (status != ARES_SUCCESS || res == NULL || res->nodes == NULL) {
        prb_fail(d, RW_Q_IO_ERROR, 0, "cannot resolve %s: %s", d->probe->host,
                 ares_strerror(status));
        prb_finish(d);
    } else {
        memcpy(&d->addr, res->nodes->ai_addr, res->nodes->ai_addrlen);
        d->addrlen = res->nodes->ai_addrlen;
        prb_resolved(d);
    }
    if (res != NULL)
        ares_freeaddrinfo(res);
}

void
prb_resolved(struct prb_dev *d)
{
    if (d->probe->type == CFG_PROBE_TCP)
        prb_tcp_send(d);
    else
        prb_icmp_send(d);
}

void
prb_tcp_send(struct prb_dev *d)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&d->addr;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&d->addr;

    if (d->addr.ss_family == AF_INET)
        sin->sin_port = htons((uint16_t)d->probe->port);
    else
        sin6->sin6_port = htons((uint16_t)d->probe->port);
    d->fd = socket(d->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d->fd < 0) {
        d->local_error = 1;
        prb_fail(d, RW_Q_IO_ERROR, 0, "socket: %s", strerror(errno));
        prb_finish(d);
        return;
    }
    if (connect(d->fd, (struct sockaddr *)&d->addr, d->addrlen) == 0) {
        prb_set(d, PRB_P_UP, RW_Q_GOOD, 1, 0);
        prb_set(d, PRB_P_LATENCY, RW_Q_GOOD, prb_elapsed_ms(d), 0);
        prb_finish(d);
    } else if (errno != EINPROGRESS) {
        prb_fail(d, RW_Q_IO_ERROR, 0, "connect: %s", strerror(errno));
        prb_finish(d);
    }
}

void
prb_tcp_ready(struct prb_dev *d, short revents)
{
    int err = 0;
    socklen_t len = sizeof(err);

    (void)revents;
    if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == 0) {
        prb_set(d, PRB_P_UP, RW_Q_GOOD, 1, 0);
        prb_set(d, PRB_P_LATENCY, RW_Q_GOOD, prb_elapsed_ms(d), 0);
    } else {
        prb_fail(d, RW_Q_IO_ERROR, 0, "connect: %s", strerror(err));
    }
    prb_finish(d);
}

/* ------------------------------------------------------------------------------------- */
/* The thread                                                                             */

/* Adds fd to the wait set. Returns 0, or -1 when memory runs out (the fd is not waited on). */
static int
want_fd(struct prb *pr, int fd, short events, enum prb_fd_kind kind, struct prb_dev *d,
        ares_channel chan)
{
    if (pr->nwfd == pr->capwfd) {
        size_t cap = pr->capwfd ? 2 * pr->capwfd : 64;
        struct curl_waitfd *w = realloc(pr->wfd, cap * sizeof(*w));
        struct prb_dev **wd;
        ares_channel *wc;
        unsigned char *wk;

        if (w == NULL)
            return -1;
        pr->wfd = w;
        if ((wd = realloc(pr->wdev, cap * sizeof(*wd))) == NULL)
            return -1;
        pr->wdev = wd;
        if ((wc = realloc(pr->wchan, cap * sizeof(*wc))) == NULL)
            return -1;
        pr->wchan = wc;
        if ((wk = realloc(pr->wkind, cap)) == NULL)
            return -1;
        pr->wkind = wk;
        pr->capwfd = cap;
    }
    pr->wfd[pr->nwfd].fd = fd;
    pr->wfd[pr->nwfd].events = events;
    pr->wfd[pr->nwfd].revents = 0;
    pr->wdev[pr->nwfd] = d;
    pr->wchan[pr->nwfd] = chan;
    pr->wkind[pr->nwfd] = (unsigned char)kind;
    pr->nwfd++;
    return 0;
}

static void
add_ares_fds(struct prb *pr, ares_channel chan, struct prb_dev *d)
{
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    /* Unsigned: c-ares' own ARES_GETSOCK_WRITABLE shifts a signed 1 into the sign bit. */
    unsigned bits = (unsigned)ares_getsock(chan, socks, ARES_GETSOCK_MAXNUM);

    for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
        short ev = 0;

        if (bits & (1u << i))
            ev |= CURL_WAIT_POLLIN;
        if (bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
            ev |= CURL_WAIT_POLLOUT;
        if (ev != 0 && want_fd(pr, socks[i], ev, PRB_FD_ARES, d, chan) < 0)
            log_err("prober: out of memory");
    }
}

/* The earlier of wake and chan's next timeout. */
static double
ares_wake(ares_channel chan, double now, double wake)
{
    struct timeval max, tv, *t;

    max.tv_sec = (time_t)(wake - now);
    max.tv_usec = (suseconds_t)((wake - now - (double)max.tv_sec) * 1e6);
    if (max.tv_sec < 0 || max.tv_usec < 0)
        return now;
    t = ares_timeout(chan, &max, &tv);
    return now + (double)t->tv_sec + (double)t->tv_usec / 1e6;
}

static void
drain_curl(struct prb *pr)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(pr->multi, &left)) != NULL) {
        struct prb_dev *d = NULL;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&d);
        curl_multi_remove_handle(pr->multi, m->easy_handle);
        if (d != NULL)
            prb_http_done(d, m->data.result);
    }
}

static void *
prb_main(void *arg)
{
    struct prb *pr = arg;
    double now = rw_clock_mono();
    int running;

    /* Spread the first probes over at most a second, as the SNMP poller does. */
    for (size_t i = 0; i < pr->ndevs; i++) {
        struct prb_dev *d = &pr->devs[i];
        double spread = d->cfg->interval < 1.0 ? d->cfg->interval : 1.0;

        d->due = now + spread * (double)i / (double)(pr->ndevs ? pr->ndevs : 1);
    }

    while (!pr->stop) {
        double wake;
        int ms;
        CURLMcode mc;

        now = rw_clock_mono();
        wake = now + PRB_TICK;
        pr->nwfd = 0;
        for (size_t i = 0; i < pr->ndevs; i++) {
            struct prb_dev *d = &pr->devs[i];

            if (!d->active && now >= d->due)
                dev_start(d, now);
            if (d->active && d->probe->type != CFG_PROBE_HTTP && d->probe->type != CFG_PROBE_DNS &&
                now >= d->deadline) {
                if (d->probe->type == CFG_PROBE_ICMP && d->fd >= 0) {
                    prb_icmp_expire(d);
                } else {
                    prb_fail(d, RW_Q_TIMEOUT, 0, "%s",
                             d->resolving ? "no address for the host in time"
                                          : "no answer in time");
                    prb_finish(d);
                }
            }
            if (d->active &&
                (d->probe->type == CFG_PROBE_HTTP || d->probe->type == CFG_PROBE_DNS) &&
                now >= d->deadline + PRB_GRACE) {
                if (d->probe->type == CFG_PROBE_HTTP) {
                    curl_multi_remove_handle(pr->multi, d->easy);
                } else {
                    d->active = 0; /* the cancelled query's callback must not finish it */
                    ares_cancel(d->chan);
                    d->active = 1;
                }
                prb_fail(d, RW_Q_TIMEOUT, 0, "no outcome %.3g s after the timeout", PRB_GRACE);
                prb_finish(d);
            }
            if (!d->active) {
                if (d->due < wake)
                    wake = d->due;
                continue;
            }
            if (d->fd >= 0) {
                short ev = d->probe->type == CFG_PROBE_TCP ? CURL_WAIT_POLLOUT : CURL_WAIT_POLLIN;

                if (want_fd(pr, d->fd, ev, PRB_FD_DEV, d, NULL) < 0)
                    log_err("prober: out of memory");
            }
            if (d->probe->type != CFG_PROBE_HTTP && d->probe->type != CFG_PROBE_DNS &&
                d->deadline < wake)
                wake = d->deadline;
            if (d->chan != NULL && d->dns_pending) {
                add_ares_fds(pr, d->chan, d);
                wake = ares_wake(d->chan, now, wake);
            }
        }
        add_ares_fds(pr, pr->resolver, NULL);
        wake = ares_wake(pr->resolver, now, wake);

        ms = (int)ceil((wake - rw_clock_mono()) * 1000.0);
        if (ms < 0)
            ms = 0;
        mc = curl_multi_poll(pr->multi, pr->wfd, (unsigned)pr->nwfd, ms, NULL);
        if (mc != CURLM_OK) {
            log_err("prober: curl_multi_poll: %s", curl_multi_strerror(mc));
            nanosleep(&(struct timespec){0, (long)(PRB_TICK * 1e9)}, NULL);
        }
        curl_multi_perform(pr->multi, &running);
        drain_curl(pr);
        for (size_t k = 0; k < pr->nwfd; k++) {
            struct curl_waitfd *w = &pr->wfd[k];
            struct prb_dev *d = pr->wdev[k];

            if (pr->wkind[k] == PRB_FD_ARES) {
                ares_socket_t r = (w->revents & CURL_WAIT_POLLIN) ? w->fd : ARES_SOCKET_BAD;
                ares_socket_t wr = (w->revents & CURL_WAIT_POLLOUT) ? w->fd : ARES_SOCKET_BAD;

                if (r != ARES_SOCKET_BAD || wr != ARES_SOCKET_BAD)
                    ares_process_fd(pr->wchan[k], r, wr);
                continue;
            }
            if (w->revents == 0 || !d->active || d->fd != w->fd)
                continue;
            if (d->probe->type == CFG_PROBE_TCP)
                prb_tcp_ready(d, w->revents);
            else
                prb_icmp_ready(d);
        }
        /* Timeouts of lookups and DNS probes (and their callbacks). */
        ares_process_fd(pr->resolver, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        for (size_t i = 0; i < pr->ndevs; i++)
            if (pr->devs[i].chan != NULL && pr->devs[i].dns_pending)
                ares_process_fd(pr->devs[i].chan, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
    for (size_t i = 0; i < pr->ndevs; i++) {
        struct prb_dev *d = &pr->devs[i];

        /* Inactive first: the callbacks of what is cancelled then push nothing. */
        if (d->easy != NULL && d->active)
            curl_multi_remove_handle(pr->multi, d->easy);
        d->active = 0;
        if (d->chan != NULL)
            ares_cancel(d->chan);
        dev_close(d);
    }
    ares_cancel(pr->resolver);
    return NULL;
}
