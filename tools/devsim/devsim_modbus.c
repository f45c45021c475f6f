/*
 * devsim_modbus.c - the Modbus side of roomwatch-devsim: each device's modbus_mapping, the
 * TCP endpoints (listening sockets and their clients) and the RTU lines, and the dispatch of
 * one request to the device it is for.
 *
 * DESIGN: called only from the main poll() loop (devsim.c); nothing here blocks on the
 * network. TCP requests are framed here, by the MBAP length, in a buffer per client; a whole
 * frame whose length agrees with its function code is handed to modbus_reply() through one
 * shared TCP context pointed at the client with modbus_set_socket(), the trick of libmodbus'
 * tests/bandwidth-server-many-up.c. The unit id (the MBAP's last byte) picks the device, so
 * several devices may share one endpoint, as units behind a TCP gateway do. An RTU line has
 * its own context; libmodbus frames RTU requests itself (modbus_receive(), which waits at
 * most the 100 ms byte timeout for the rest of a frame) and filters on one slave id.
 */
#include "devsim.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rw_clock.h"
#include "rw_log.h"

#define MBAP_LEN 7 /* transaction id, protocol id, length, unit id */
#define LISTEN_BACKLOG 128
#define RTU_BYTE_TIMEOUT_US 100000 /* wait for the rest of an RTU frame; a pty delivers at once */

static int map_device(struct devsim *sim, struct sim_device *dev);
static int set_nonblock(int fd);
static int tcp_open(struct sim_endpoint *ep);
static int rtu_open(struct devsim *sim, struct sim_endpoint *ep);
static void rtu_close(struct sim_endpoint *ep);
static void client_close(struct devsim *sim, size_t i);
static void tcp_accept(struct devsim *sim, size_t e);
static long frame_len(const uint8_t *adu, size_t have);
static int serve(struct devsim *sim, modbus_t *ctx, size_t d, const uint8_t *req, int len,
                 double t);
static int tcp_request(struct devsim *sim, struct sim_client *c, const uint8_t *adu, size_t len,
                       double t);
static void tcp_read(struct devsim *sim, size_t i, double t);
static void rtu_read(struct devsim *sim, size_t e, double t);

/* Covers every point of the device's profile, per function code. Read spans start and end on
 * multiples of the profile's register_multiple (an SDM630 refuses anything else), so the
 * mapping is widened to those multiples: an aligned read over the last point stays inside. */
static int
map_device(struct devsim *sim, struct sim_device *dev)
{
    const struct cfg_profile *prof = &sim->profiles[dev->profile];
    long lo[5] = {0}, hi[5] = {0}; /* [lo, hi) per fc 1..4; hi == 0: no point */
    int mult = prof->register_multiple > 1 ? prof->register_multiple : 1;

    for (size_t i = 0; i < prof->npoints; i++) {
        const struct cfg_point *p = &prof->points[i];
        long a = p->address, end = a + cfg_point_width(p);

        if (p->fc < 1 || p->fc > 4)
            continue;
        if (hi[p->fc] == 0 || a < lo[p->fc])
            lo[p->fc] = a;
        if (end > hi[p->fc])
            hi[p->fc] = end;
    }
    for (int fc = 3; fc <= 4; fc++) {
        if (hi[fc] == 0)
            continue;
        lo[fc] -= lo[fc] % mult;
        if (hi[fc] % mult != 0)
            hi[fc] += mult - hi[fc] % mult;
    }
    for (int fc = 1; fc <= 4; fc++)
        if (hi[fc] > 65536)
            hi[fc] = 65536;

    dev->map = modbus_mapping_new_start_address((unsigned int)lo[1], (unsigned int)(hi[1] - lo[1]),
                                                (unsigned int)lo[2], (unsigned int)(hi[2] - lo[2]),
                                                (unsigned int)lo[3], (unsigned int)(hi[3] - lo[3]),
                                                (unsigned int)lo[4], (unsigned int)(hi[4] - lo[4]));
    if (dev->map == NULL) {
        log_err("device %s: cannot allocate its register map: %s", dev->id, modbus_strerror(errno));
        return -1;
    }
    sim_refresh(sim, (size_t)(dev - sim->devices), 0.0);
    return 0;
}

static int
set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return 0;
}

static int
tcp_open(struct sim_endpoint *ep)
{
    struct addrinfo hints, *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char port[8];
    int fd, one = 1, r;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", ep->port);
    if ((r = getaddrinfo(ep->host, port, &hints, &ai)) != 0) {
        log_err("tcp %s:%d: %s", ep->host, ep->port, gai_strerror(r));
        return -1;
    }
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || set_nonblock(fd) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
        log_err("tcp %s:%d: cannot listen: %s", ep->host, ep->port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    if (ss.ss_family == AF_INET6)
        ep->bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    else
        ep->bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    ep->fd = fd;
    return 0;
}

static int
rtu_open(struct devsim *sim, struct sim_endpoint *ep)
{
    const struct sim_device *dev = &sim->devices[ep->devices[0]];
    modbus_t *ctx = modbus_new_rtu(ep->path, ep->baud, ep->parity, ep->data_bits, ep->stop_bits);

    if (ctx == NULL)
        return -1;
    /* The response timeout of a server context is only the pause libmodbus takes before
     * flushing after a malformed request: keep it short, the loop serves others. */
    if (modbus_set_slave(ctx, dev->unit) < 0 ||
        modbus_set_byte_timeout(ctx, 0, RTU_BYTE_TIMEOUT_US) < 0 ||
        modbus_set_response_timeout(ctx, 0, 1000) < 0 || modbus_connect(ctx) < 0) {
        int err = errno;
        modbus_free(ctx);
        errno = err;
        return -1;
    }
    /* libmodbus select()s on the line: its fd must fit an fd_set. */
    if (modbus_get_socket(ctx) >= FD_SETSIZE) {
        modbus_close(ctx);
        modbus_free(ctx);
        errno = EMFILE;
        return -1;
    }
    /* No RS-485 ioctl: it fails with ENOTTY on a pty, and a simulator has no driver enable. */
    ep->rtu = ctx;
    ep->fd = modbus_get_socket(ctx);
    return 0;
}

static void
rtu_close(struct sim_endpoint *ep)
{
    if (ep->rtu != NULL) {
        modbus_close(ep->rtu);
        modbus_free(ep->rtu);
    }
    ep->rtu = NULL;
    ep->fd = -1;
}

int
sim_serve_open(struct devsim *sim)
{
    size_t ntcp = 0, nrtu = 0;

    for (size_t d = 0; d < sim->ndevices; d++)
        if (map_device(sim, &sim->devices[d]) < 0)
            return -1;

    sim->clients = calloc(DEVSIM_MAX_CLIENTS, sizeof(*sim->clients));
    sim->tcp = modbus_new_tcp("127.0.0.1", MODBUS_TCP_DEFAULT_PORT);
    if (sim->clients == NULL || sim->tcp == NULL ||
        modbus_set_response_timeout(sim->tcp, 0, 1000) < 0) {
        log_err("cannot set up: %s", strerror(errno));
        return -1;
    }

    /* RTU lines first, so that their fds are low: libmodbus select()s on them. */
    for (size_t e = 0; e < sim->nendpoints; e++) {
        struct sim_endpoint *ep = &sim->endpoints[e];

        if (ep->transport != SIM_RTU)
            continue;
        if (rtu_open(sim, ep) < 0) {
            log_err("rtu %s: cannot open: %s", ep->path, modbus_strerror(errno));
            return -1;
        }
        log_debug("rtu %s: %d %c%d%d, unit %d (%s)", ep->path, ep->baud, ep->parity, ep->data_bits,
                  ep->stop_bits, sim->devices[ep->devices[0]].unit,
                  sim->devices[ep->devices[0]].id);
        nrtu++;
    }
    for (size_t e = 0; e < sim->nendpoints; e++) {
        struct sim_endpoint *ep = &sim->endpoints[e];

        if (ep->transport != SIM_TCP)
            continue;
        if (tcp_open(ep) < 0)
            return -1;
        for (size_t i = 0; i < ep->ndevices; i++)
            log_debug("tcp %s:%d unit %d: %s (%s)", ep->host, ep->bound_port,
                      sim->devices[ep->devices[i]].unit, sim->devices[ep->devices[i]].id,
                      sim->profiles[sim->devices[ep->devices[i]].profile].name);
        ntcp++;
    }
    log_info("serving %zu devices: %zu tcp endpoints, %zu rtu lines", sim->ndevices, ntcp, nrtu);
    return 0;
}

static void
client_close(struct devsim *sim, size_t i)
{
    close(sim->clients[i].fd);
    /* Order does not matter: move the last one into the hole. */
    sim->clients[i] = sim->clients[--sim->nclients];
}

void
sim_serve_close(struct devsim *sim)
{
    while (sim->nclients > 0)
        client_close(sim, sim->nclients - 1);
    free(sim->clients);
    sim->clients = NULL;
    for (size_t e = 0; e < sim->nendpoints; e++) {
        struct sim_endpoint *ep = &sim->endpoints[e];

        if (ep->transport == SIM_RTU)
            rtu_close(ep);
        else if (ep->fd >= 0)
            close(ep->fd);
        ep->fd = -1;
    }
    if (sim->tcp != NULL)
        modbus_free(sim->tcp); /* never connected: its socket was always a client's, closed above */
    sim->tcp = NULL;
    for (size_t d = 0; d < sim->ndevices; d++) {
        modbus_mapping_free(sim->devices[d].map);
        sim->devices[d].map = NULL;
    }
}

size_t
sim_poll_max(const struct devsim *sim)
{
    return sim->nendpoints + DEVSIM_MAX_CLIENTS;
}

/* fds[e] is endpoint e (fd -1, ignored by poll, while an RTU line is closed);
 * fds[nendpoints + i] is client i. */
size_t
sim_poll_fill(struct devsim *sim, struct pollfd *fds)
{
    size_t n = 0;

    for (size_t e = 0; e < sim->nendpoints; e++) {
        fds[n].fd = sim->endpoints[e].fd;
        fds[n].events = POLLIN;
        fds[n++].revents = 0;
    }
    for (size_t i = 0; i < sim->nclients; i++) {
        fds[n].fd = sim->clients[i].fd;
        fds[n].events = POLLIN;
        fds[n++].revents = 0;
    }
    return n;
}

static void
tcp_accept(struct devsim *sim, size_t e)
{
    struct sim_endpoint *ep = &sim->endpoints[e];

    for (;;) {
        int fd = accept(ep->fd, NULL, NULL), one = 1;

        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                log_warn("tcp %s:%d: accept: %s", ep->host, ep->bound_port, strerror(errno));
            return;
        }
        if (sim->nclients >= DEVSIM_MAX_CLIENTS) {
            log_warn("tcp %s:%d: %d connections open, refusing one more", ep->host, ep->bound_port,
                     DEVSIM_MAX_CLIENTS);
            close(fd);
            continue;
        }
        if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || set_nonblock(fd) < 0) {
            close(fd);
            continue;
        }
        /* Replies are single small writes: send each at once. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        sim->clients[sim->nclients].fd = fd;
        sim->clients[sim->nclients].endpoint = e;
        sim->clients[sim->nclients].len = 0;
        sim->nclients++;
        log_debug("tcp %s:%d: client connected (fd %d)", ep->host, ep->bound_port, fd);
    }
}

/*
 * The length a TCP ADU must have, given its function code, as libmodbus computes it when it
 * reads a request (compute_meta_length_after_function and compute_data_length_after_meta):
 * 0 for a function libmodbus does not serve (it answers ILLEGAL FUNCTION whatever follows),
 * -1 if the byte count disagrees with the quantity. adu holds have >= MBAP_LEN + 1 bytes.
 */
static long
frame_len(const uint8_t *adu, size_t have)
{
    const uint8_t *pdu = adu + MBAP_LEN;
    unsigned nb;

    switch (pdu[0]) {
    case MODBUS_FC_READ_COILS:
    case MODBUS_FC_READ_DISCRETE_INPUTS:
    case MODBUS_FC_READ_HOLDING_REGISTERS:
    case MODBUS_FC_READ_INPUT_REGISTERS:
    case MODBUS_FC_WRITE_SINGLE_COIL:
    case MODBUS_FC_WRITE_SINGLE_REGISTER:
        return MBAP_LEN + 5;
    case MODBUS_FC_READ_EXCEPTION_STATUS:
    case MODBUS_FC_REPORT_SLAVE_ID:
    case 0x0B: /* get comm event counter */
    case 0x0C: /* get comm event log */
        return MBAP_LEN + 1;
    case MODBUS_FC_MASK_WRITE_REGISTER:
        return MBAP_LEN + 7;
    case MODBUS_FC_WRITE_MULTIPLE_COILS:
    case MODBUS_FC_WRITE_MULTIPLE_REGISTERS:
        if (have < MBAP_LEN + 6)
            return -1;
        nb = (unsigned)pdu[3] << 8 | pdu[4];
        if (pdu[0] == MODBUS_FC_WRITE_MULTIPLE_COILS ? pdu[5] != (nb + 7) / 8 : pdu[5] != nb * 2)
            return -1;
        return MBAP_LEN + 6 + pdu[5];
    case MODBUS_FC_WRITE_AND_READ_REGISTERS:
        if (have < MBAP_LEN + 10)
            return -1;
        nb = (unsigned)pdu[7] << 8 | pdu[8];
        if (pdu[9] != nb * 2)
            return -1;
        return MBAP_LEN + 10 + pdu[9];
    default:
        return 0;
    }
}

/* Answers one request for device d as the scenario says. Returns modbus_reply()'s result: -1
 * when the answer could not be sent. */
static int
serve(struct devsim *sim, modbus_t *ctx, size_t d, const uint8_t *req, int len, double t)
{
    struct sim_device *dev = &sim->devices[d];
    int code = 0, rc;

    switch (sim_device_mode(sim, d, t, &code)) {
    case SIM_SILENT:
        return 0;
    case SIM_EXCEPTION:
        return modbus_reply_exception(ctx, req, (unsigned int)code);
    default:
        sim_refresh(sim, d, t);
        dev->requests++;
        rc = modbus_reply(ctx, req, len, dev->map);
        /* libmodbus 3.1.6 sends nothing for the functions it leaves unimplemented (0x07
         * read exception status, ...) and says ENOPROTOOPT; a device answers those. */
        if (rc < 0 && errno == ENOPROTOOPT)
            rc = modbus_reply_exception(ctx, req, MODBUS_EXCEPTION_ILLEGAL_FUNCTION);
        return rc;
    }
}

static int
tcp_request(struct devsim *sim, struct sim_client *c, const uint8_t *adu, size_t len, double t)
{
    const struct sim_endpoint *ep = &sim->endpoints[c->endpoint];
    /* modbus_reply() reads the fields of the request's function without knowing its length
     * (the address of a 0x07 request, say): give it a full-size, zero-padded buffer. */
    uint8_t req[MODBUS_TCP_MAX_ADU_LENGTH] = {0};
    long want = frame_len(adu, len);

    if (want < 0 || (want > 0 && (size_t)want != len)) {
        log_debug("tcp %s:%d: dropped a malformed request (function 0x%02x, %zu bytes)", ep->host,
                  ep->bound_port, adu[MBAP_LEN], len);
        sim->dropped++;
        return 0;
    }
    memcpy(req, adu, len);
    modbus_set_socket(sim->tcp, c->fd);
    for (size_t i = 0; i < ep->ndevices; i++)
        if (sim->devices[ep->devices[i]].unit == adu[MBAP_LEN - 1])
            return serve(sim, sim->tcp, ep->devices[i], req, (int)len, t);
    /* No such unit behind this "gateway": say so, as a Modbus TCP gateway does. */
    sim->unknown_unit++;
    return modbus_reply_exception(sim->tcp, req, MODBUS_EXCEPTION_GATEWAY_TARGET);
}

static void
tcp_read(struct devsim *sim, size_t i, double t)
{
    struct sim_client *c = &sim->clients[i];
    const struct sim_endpoint *ep = &sim->endpoints[c->endpoint];
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    size_t off = 0;

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        log_debug("tcp %s:%d: client gone (fd %d): %s", ep->host, ep->bound_port, c->fd,
                  n == 0 ? "closed" : strerror(errno));
        client_close(sim, i);
        return;
    }
    c->len += (size_t)n;

    while (c->len - off >= MBAP_LEN + 1) {
        const uint8_t *adu = c->buf + off;
        unsigned proto = (unsigned)adu[2] << 8 | adu[3];
        unsigned mlen = (unsigned)adu[4] << 8 | adu[5]; /* unit id + PDU */
        size_t flen = 6 + (size_t)mlen;

        /* A bad MBAP header loses the framing of everything after it: hang up, as a
         * device would. */
        if (proto != 0 || mlen < 2 || flen > MODBUS_TCP_MAX_ADU_LENGTH) {
            log_debug("tcp %s:%d: bad MBAP header (protocol %u, length %u), closing fd %d",
                      ep->host, ep->bound_port, proto, mlen, c->fd);
            sim->dropped++;
            client_close(sim, i);
            return;
        }
        if (c->len - off < flen)
            break;
        if (tcp_request(sim, c, adu, flen, t) < 0) {
            log_debug("tcp %s:%d: cannot answer fd %d: %s", ep->host, ep->bound_port, c->fd,
                      strerror(errno));
            client_close(sim, i);
            return;
        }
        off += flen;
    }
    if (off > 0) {
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
    }
}

static void
rtu_read(struct devsim *sim, size_t e, double t)
{
    struct sim_endpoint *ep = &sim->endpoints[e];
    uint8_t req[MODBUS_MAX_ADU_LENGTH] = {0};
    int rc = modbus_receive(ep->rtu, req);

    if (rc > 0) {
        if (serve(sim, ep->rtu, ep->devices[0], req, rc, t) < 0)
            log_debug("rtu %s: cannot answer: %s", ep->path, modbus_strerror(errno));
        return;
    }
    if (rc == 0)
        return; /* a request for another unit on the line */
    switch (errno) {
    case EMBBADCRC:
    case EMBBADDATA:
    case EMBMDATA:
    case ETIMEDOUT: /* a frame cut short */
        log_debug("rtu %s: dropped a request: %s", ep->path, modbus_strerror(errno));
        sim->dropped++;
        modbus_flush(ep->rtu);
        return;
    default:
        log_warn("rtu %s: line lost: %s; reopening every %g s", ep->path, modbus_strerror(errno),
                 DEVSIM_RTU_RETRY);
        rtu_close(ep);
        ep->rtu_retry = rw_clock_mono() + DEVSIM_RTU_RETRY;
        return;
    }
}

void
sim_poll_handle(struct devsim *sim, const struct pollfd *fds, size_t n, double t)
{
    size_t ne = sim->nendpoints;

    /* Clients first, from the last: closing one moves the last client into its slot, and
     * that one has been handled already. */
    for (size_t k = n; k > ne; k--) {
        size_t i = k - 1 - ne;
        if (fds[k - 1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
            tcp_read(sim, i, t);
    }
    for (size_t e = 0; e < ne && e < n; e++) {
        struct sim_endpoint *ep = &sim->endpoints[e];
        short rev = fds[e].revents;

        if (rev == 0 || ep->fd < 0)
            continue;
        if (ep->transport == SIM_TCP) {
            tcp_accept(sim, e);
        } else if (rev & POLLIN) {
            rtu_read(sim, e, t);
        } else {
            /* POLLHUP without data: the other side of the pty is gone (socat exited). */
            log_warn("rtu %s: line hung up; reopening every %g s", ep->path, DEVSIM_RTU_RETRY);
            rtu_close(ep);
            ep->rtu_retry = rw_clock_mono() + DEVSIM_RTU_RETRY;
        }
    }
}

void
sim_rtu_retry(struct devsim *sim, double now)
{
    for (size_t e = 0; e < sim->nendpoints; e++) {
        struct sim_endpoint *ep = &sim->endpoints[e];

        if (ep->transport != SIM_RTU || ep->rtu != NULL || now < ep->rtu_retry)
            continue;
        if (rtu_open(sim, ep) == 0)
            log_info("rtu %s: reopened", ep->path);
        else
            ep->rtu_retry = now + DEVSIM_RTU_RETRY;
    }
}
