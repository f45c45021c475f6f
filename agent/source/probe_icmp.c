/*
 * probe_icmp.c - icmp probes: "count" echo requests per cycle, sent at once, answered
 * within the device's timeout.
 *
 * The socket is an unprivileged ICMP socket (SOCK_DGRAM, IPPROTO_ICMP / IPPROTO_ICMPV6),
 * which Linux allows to the groups in the sysctl net.ipv4.ping_group_range (it also covers
 * ICMPv6); the kernel then picks the echo identifier and hands this socket only its own
 * replies. Where that is not allowed, a raw socket is tried, which needs CAP_NET_RAW (the
 * unit file grants it as an ambient capability); a raw socket sees every ICMP message of
 * the host, so replies are matched by identifier and sequence. When neither is allowed the
 * error says how to allow one, once, and the probe is backed off.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "source/probe_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>

#include "rw_clock.h"
#include "rw_log.h"

#define ECHO_LEN 16 /* ICMP header (8) and 8 bytes of payload */

static uint16_t
checksum(const unsigned char *b, size_t n)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(b[i] << 8 | b[i + 1]);
    if (n & 1)
        sum += (uint32_t)(b[n - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Opens d's socket, unprivileged first. Returns 0, or -1 after failing the cycle. */
static int
open_socket(struct prb_dev *d)
{
    int v6 = d->addr.ss_family == AF_INET6;
    int proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    int e1, e2;

    d->raw = 0;
    d->fd = socket(d->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (d->fd >= 0)
        return 0;
    e1 = errno;
    d->fd = socket(d->addr.ss_family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (d->fd >= 0) {
        d->raw = 1;
        return 0;
    }
    e2 = errno;
    d->local_error = 1;
    if ((e1 == EACCES || e1 == EPERM) && (e2 == EACCES || e2 == EPERM))
        prb_fail(d, RW_Q_IO_ERROR, 0,
                 "ICMP not permitted: allow the agent's group in the sysctl "
                 "net.ipv4.ping_group_range (e.g. \"0 2147483647\"), or grant it CAP_NET_RAW");
    else
        prb_fail(d, RW_Q_IO_ERROR, 0, "ICMP socket: %s; raw socket: %s", strerror(e1),
                 strerror(e2));
    prb_finish(d);
    return -1;
}

void
prb_icmp_send(struct prb_dev *d)
{
    int v6 = d->addr.ss_family == AF_INET6;
    int n = d->probe->count;

    if (open_socket(d) < 0)
        return;
    d->ident = (uint16_t)(getpid() ^ (d->index * 7919));
    d->seq0 = (uint16_t)(d->cycle * PRB_ICMP_MAX);
    d->nsent = d->nrecv = 0;
    d->rtt_sum = 0;
    memset(d->got, 0, sizeof(d->got));
    for (int i = 0; i < n && i < PRB_ICMP_MAX; i++) {
        unsigned char pkt[ECHO_LEN];
        uint16_t seq = (uint16_t)(d->seq0 + i), ck;

        memset(pkt, 0, sizeof(pkt));
        pkt[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
        pkt[4] = (unsigned char)(d->ident >> 8);
        pkt[5] = (unsigned char)d->ident;
        pkt[6] = (unsigned char)(seq >> 8);
        pkt[7] = (unsigned char)seq;
        memcpy(pkt + 8, "roomwtch", 8);
        /* ICMPv6 checksums cover a pseudo-header: the kernel computes them. */
        if (!v6) {
            ck = checksum(pkt, sizeof(pkt));
            pkt[2] = (unsigned char)(ck >> 8);
            pkt[3] = (unsigned char)ck;
        }
        d->sent_at[i] = rw_clock_mono();
        if (sendto(d->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&d->addr, d->addrlen) < 0) {
            prb_fail(d, RW_Q_IO_ERROR, 0, "sendto: %s", strerror(errno));
            prb_set(d, PRB_P_STATUS, RW_Q_GOOD, 100.0, 0);
            prb_finish(d);
            return;
        }
        d->nsent++;
    }
}

void
prb_icmp_ready(struct prb_dev *d)
{
    unsigned char buf[1500];
    int v6 = d->addr.ss_family == AF_INET6;
    ssize_t r;

    while ((r = recv(d->fd, buf, sizeof(buf), 0)) > 0) {
        const unsigned char *p = buf;
        size_t len = (size_t)r;
        uint16_t seq, id;
        int i;

        /* A raw IPv4 socket gets the IP header too. */
        if (d->raw && !v6) {
            size_t hl = (size_t)(buf[0] & 0x0f) * 4;

            if (len < hl + 8)
                continue;
            p += hl;
            len -= hl;
        }
        if (len < 8 || p[0] != (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY))
            continue;
        id = (uint16_t)(p[4] << 8 | p[5]);
        seq = (uint16_t)(p[6] << 8 | p[7]);
        if (d->raw && id != d->ident)
            continue;
        i = (uint16_t)(seq - d->seq0);
        if (i < 0 || i >= d->nsent || d->got[i])
            continue;
        d->got[i] = 1;
        d->nrecv++;
        d->rtt_sum += (rw_clock_mono() - d->sent_at[i]) * 1000.0;
    }
    if (d->nrecv == d->nsent)
        prb_icmp_expire(d);
}

void
prb_icmp_expire(struct prb_dev *d)
{
    double loss = d->nsent > 0 ? 100.0 * (d->nsent - d->nrecv) / d->nsent : 100.0;

    prb_set(d, PRB_P_STATUS, RW_Q_GOOD, loss, 0);
    if (d->nrecv > 0) {
        prb_set(d, PRB_P_UP, RW_Q_GOOD, 1, 0);
        prb_set(d, PRB_P_LATENCY, RW_Q_GOOD, d->rtt_sum / d->nrecv, 0);
    } else {
        prb_fail(d, RW_Q_TIMEOUT, 0, "no echo reply to %d requests in time", d->nsent);
    }
    prb_finish(d);
}
