/*
 * probe_dns.c - dns probes: one query of the probe's name, A or AAAA, sent to the probe's
 * server only, with c-ares (asynchronous; its sockets are waited on with the others).
 *
 * One c-ares channel per probe, configured with that server and port, one try within the
 * device's timeout, no search domains, no hosts file ("lookups" = "b": the server is what
 * is measured). The answer's rcode decides: NOERROR with records is up; NXDOMAIN, SERVFAIL,
 * REFUSED or NOERROR without a record of the type is exception (code: the rcode, 0 for no
 * record); a reply that does not parse is decode_error; no reply is timeout; a refused
 * socket is io_error.
 */
#include "source/probe_priv.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <string.h>

#include "rw_clock.h"
#include "rw_log.h"

/* DNS rcodes (RFC 1035 4.1.1) for the exception code. */
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3
#define RCODE_REFUSED 5

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

int
prb_dns_setup(struct prb_dev *d)
{
    const struct cfg_probe *p = d->probe;
    struct ares_options opt;
    struct ares_addr_port_node srv;
    int rc;

    memset(&opt, 0, sizeof(opt));
    opt.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    opt.timeout = (int)(d->cfg->timeout * 1000.0); /* ms with ARES_OPT_TIMEOUTMS */
    if (opt.timeout < 1)
        opt.timeout = 1;
    opt.tries = 1;
    opt.lookups = (char *)"b";
    rc = ares_init_options(&d->chan, &opt,
                           ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS);
    if (rc != ARES_SUCCESS) {
        log_err("%s: cannot set up c-ares: %s", d->desc, ares_strerror(rc));
        d->chan = NULL;
        return -1;
    }
    memset(&srv, 0, sizeof(srv));
    srv.udp_port = p->port;
    srv.tcp_port = p->port;
    if (inet_pton(AF_INET, p->server, &srv.addr.addr4) == 1)
        srv.family = AF_INET;
    else if (inet_pton(AF_INET6, p->server, &srv.addr.addr6) == 1)
        srv.family = AF_INET6;
    if (srv.family == 0 || (rc = ares_set_servers_ports(d->chan, &srv)) != ARES_SUCCESS) {
        log_err("%s: cannot use the server: %s", d->desc,
                srv.family == 0 ? "not an IP address" : ares_strerror(rc));
        return -1;
    }
    return 0;
}

void
prb_dns_free(struct prb_dev *d)
{
    if (d->chan != NULL)
        ares_destroy(d->chan);
    d->chan = NULL;
}

void
prb_dns_send(struct prb_dev *d)
{
    d->dns_pending = 1;
    ares_query(d->chan, d->probe->name, ns_c_in, d->probe->aaaa ? ns_t_aaaa : ns_t_a, on_answer, d);
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct prb_dev *d = arg;
    int n = 0;

    (void)timeouts;
    d->dns_pending = 0;
    if (!d->active || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED)
        return;
    if (status == ARES_SUCCESS) {
        struct ares_addrttl a4[64];
        struct ares_addr6ttl a6[64];
        int naddr = 64;

        prb_set(d, PRB_P_LATENCY, RW_Q_GOOD, prb_elapsed_ms(d), 0);
        status = d->probe->aaaa ? ares_parse_aaaa_reply(abuf, alen, NULL, a6, &naddr)
                                : ares_parse_a_reply(abuf, alen, NULL, a4, &naddr);
        if (status == ARES_SUCCESS)
            n = naddr;
    }
    switch (status) {
    case ARES_SUCCESS:
        if (n > 0) {
            prb_set(d, PRB_P_UP, RW_Q_GOOD, 1, 0);
            prb_set(d, PRB_P_STATUS, RW_Q_GOOD, n, 0);
        } else {
            prb_set(d, PRB_P_STATUS, RW_Q_GOOD, 0, 0);
            prb_fail(d, RW_Q_EXCEPTION, 0, "no %s record", d->probe->aaaa ? "AAAA" : "A");
        }
        break;
    case ARES_ENODATA:
        prb_set(d, PRB_P_LATENCY, RW_Q_GOOD, prb_elapsed_ms(d), 0);
        prb_set(d, PRB_P_STATUS, RW_Q_GOOD, 0, 0);
        prb_fail(d, RW_Q_EXCEPTION, 0, "no %s record", d->probe->aaaa ? "AAAA" : "A");
        break;
    case ARES_ENOTFOUND:
        prb_set(d, PRB_P_LATENCY, RW_Q_GOOD, prb_elapsed_ms(d), 0);
        prb_fail(d, RW_Q_EXCEPTION, RCODE_NXDOMAIN, "NXDOMAIN");
        break;
    case ARES_ESERVFAIL:
        prb_set(d, PRB_P_LATENCY, RW_Q_GOOD, prb_elapsed_ms(d), 0);
        prb_fail(d, RW_Q_EXCEPTION, RCODE_SERVFAIL, "SERVFAIL");
        break;
    case ARES_EREFUSED:
        prb_set(d, PRB_P_LATENCY, RW_Q_GOOD, prb_elapsed_ms(d), 0);
        prb_fail(d, RW_Q_EXCEPTION, RCODE_REFUSED, "REFUSED");
        break;
    case ARES_ETIMEOUT:
        prb_fail(d, RW_Q_TIMEOUT, 0, "no answer in time");
        break;
    case ARES_EBADRESP:
    case ARES_EFORMERR:
        prb_fail(d, RW_Q_DECODE_ERROR, 0, "%s", ares_strerror(status));
        break;
    default:
        prb_fail(d, RW_Q_IO_ERROR, 0, "%s", ares_strerror(status));
        break;
    }
    prb_finish(d);
}
