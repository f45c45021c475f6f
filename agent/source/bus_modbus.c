/*
 * bus_modbus.c - the Modbus bus worker thread (see bus_modbus.h for the design).
 */
#include "source/bus_modbus.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <modbus.h>

#include "rw_clock.h"
#include "rw_beat.h"
#include "rw_log.h"
#include "rw_thread.h"
#include "source/mb_decode.h"
#include "source/mb_plan.h"
#include "source/sample.h"

#define MB_THREAD_STACK (256 * 1024) /* bytes; the worker's frames are small */

/* What the last poll of a device looked like, for logging on change only. */
enum mb_dev_state {
    MB_DEV_NEW = 0,
    MB_DEV_OK,      /* every read answered */
    MB_DEV_PARTIAL, /* some reads answered with exceptions or bad data */
    MB_DEV_FAILING, /* no read answered */
};

struct mb_dev {
    size_t index; /* into cfg->devices */
    const struct cfg_device *cfg;
    const struct cfg_profile *profile;
    struct mb_plan plan;
    uint16_t *regs; /* one read's worth: max count of the plan's reads */
    struct sample *out;
    double due;      /* monotonic time of the next poll */
    double delay;    /* current backoff delay; 0 while answering */
    uint64_t cycle;
    uint64_t failed_polls; /* consecutive polls without any answer */
    enum mb_dev_state state;
    int last_err; /* errno of the last failure, for the change-of-state log */
    double worst;  /* s a poll may take while the device keeps its timeouts (heartbeat) */
};

struct mb_bus {
    const struct rw_config *cfg;
    const struct cfg_bus *bcfg;
    struct rw_queue *samples;
    modbus_t *ctx;
    int connected;
    int was_connected; /* connected once: later reconnects are not news */
    int rs485_warned;
    double reconnect_at;    /* monotonic; 0 = now */
    double reconnect_delay; /* backoff for a refused connection */
    int connect_err;        /* last connect errno logged, 0 = none */
    size_t ndevs;
    struct mb_dev *devs;
    pthread_t thread;
    int started;
    /* The worker sleeps on wake until its next poll is due; mb_bus_stop() signals it, so a
     * stop is seen at once and an idle bus costs no wake-ups between polls. */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_int stop;
    int dropping; /* in an episode of queue overflow */
    struct rw_beat *beat;  /* the watchdog's view of this thread's progress */
    unsigned log_lines;    /* rw_log_thread_lines() at the last stack trim */
    double connect_worst;  /* s a connect may take */
    _Atomic uint64_t st_polls, st_requests, st_failures, st_reconnects, st_dropped;
};

static void *bus_main(void *arg);
static double poll_worst(const struct cfg_bus *bus, const struct mb_dev *d);
static double connect_worst(const struct mb_bus *b);
static void bus_poll_device(struct mb_bus *b, struct mb_dev *d);
static int bus_connect(struct mb_bus *b);
static void bus_disconnect(struct mb_bus *b);

/*
 * The longest a poll of d takes while the device keeps to its timeout: every read answered
 * just in time, plus the request gaps and, on a serial line, the longest frame at the line's
 * speed (request and answer of up to 256 bytes of 11 bits). Longer means the thread is stuck (a peer trickling bytes
 * within libmodbus's byte timeout, a driver that never returns): the heartbeat's deadline.
 */
static double
poll_worst(const struct cfg_bus *bus, const struct mb_dev *d)
{
    double frame = bus->type == CFG_BUS_RTU && bus->baud > 0 ? 2.0 * 256 * 11 / bus->baud : 0.0;

    return (double)d->plan.nreads *
           (d->cfg->timeout + frame + d->profile->request_gap_ms / 1000.0);
}

/* The longest a connect takes: the response timeout, and a host name's lookup by the system
 * resolver (its default 5 s timeout, 2 attempts, up to 3 servers). */
static double
connect_worst(const struct mb_bus *b)
{
    unsigned char addr[16];
    double t = 0.5;
    size_t i;

    for (i = 0; i < b->ndevs; i++)
        if (i == 0 || b->devs[i].cfg->timeout > t)
            t = b->devs[i].cfg->timeout;
    if (b->bcfg->type == CFG_BUS_TCP && inet_pton(AF_INET, b->bcfg->host, addr) != 1 &&
        inet_pton(AF_INET6, b->bcfg->host, addr) != 1)
        t += 30.0;
    return t;
}

struct mb_bus *
mb_bus_new(const struct rw_config *cfg, size_t bus, struct rw_queue *samples)
{
    struct mb_bus *b;
    size_t i;

    pthread_condattr_t ca;

    b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    pthread_mutex_init(&b->lock, NULL);
    pthread_condattr_init(&ca);
    /* Deadlines are on the monotonic clock, like every duration here. */
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->wake, &ca);
    pthread_condattr_destroy(&ca);
    b->cfg = cfg;
    b->bcfg = &cfg->buses[bus];
    b->samples = samples;
    for (i = 0; i < cfg->ndevices; i++)
        if (cfg->devices[i].bus == bus)
            b->ndevs++;
    b->devs = calloc(b->ndevs ? b->ndevs : 1, sizeof(*b->devs));
    if (b->devs == NULL)
        goto fail;
    b->ndevs = 0;
    for (i = 0; i < cfg->ndevices; i++) {
        struct mb_dev *d;
        int maxcount = 1;
        size_t r;

        if (cfg->devices[i].bus != bus)
            continue;
        d = &b->devs[b->ndevs++];
        d->index = i;
        d->cfg = &cfg->devices[i];
        d->profile = &cfg->profiles[d->cfg->profile];
        if (mb_plan_build(d->profile, &d->plan) < 0)
            goto fail;
        for (r = 0; r < d->plan.nreads; r++)
            if (d->plan.reads[r].count > maxcount)
                maxcount = d->plan.reads[r].count;
        /* Bit reads land one bit per byte; registers need two bytes each. */
        d->regs = calloc((size_t)maxcount, sizeof(uint16_t));
        d->out = calloc(d->profile->npoints ? d->profile->npoints : 1, sizeof(*d->out));
        if (d->regs == NULL || d->out == NULL)
            goto fail;
        d->worst = poll_worst(b->bcfg, d);
    }
    b->connect_worst = connect_worst(b);
    {
        char what[CFG_ID_MAX + 8];
        snprintf(what, sizeof(what), "bus %s", b->bcfg->id);
        if ((b->beat = rw_beat_new(what)) == NULL)
            goto fail;
    }
    return b;
fail:
    mb_bus_free(b);
    return NULL;
}

int
mb_bus_start(struct mb_bus *b)
{
    atomic_store(&b->stop, 0);
    if (rw_thread_start(&b->thread, MB_THREAD_STACK, bus_main, b) < 0)
        return -1;
    b->started = 1;
    return 0;
}

void
mb_bus_stop(struct mb_bus *b)
{
    if (!b->started)
        return;
    pthread_mutex_lock(&b->lock);
    atomic_store(&b->stop, 1);
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->thread, NULL);
    b->started = 0;
}

void
mb_bus_free(struct mb_bus *b)
{
    size_t i;

    if (b == NULL)
        return;
    mb_bus_stop(b);
    rw_beat_free(b->beat);
    bus_disconnect(b);
    if (b->ctx != NULL)
        modbus_free(b->ctx);
    for (i = 0; i < b->ndevs; i++) {
        mb_plan_clear(&b->devs[i].plan);
        free(b->devs[i].regs);
        free(b->devs[i].out);
    }
    free(b->devs);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

void
mb_bus_get_stats(struct mb_bus *b, struct mb_bus_stats *st)
{
    st->polls = atomic_load(&b->st_polls);
    st->requests = atomic_load(&b->st_requests);
    st->failures = atomic_load(&b->st_failures);
    st->reconnects = atomic_load(&b->st_reconnects);
    st->dropped = atomic_load(&b->st_dropped);
}

/* modbus_strerror() is not thread-safe (libmodbus #468): name our errors ourselves. */
static const char *
mb_errstr(int err, char *buf, size_t len)
{
    static const char *const exc[] = {
        NULL,
        "illegal function",
        "illegal data address",
        "illegal data value",
        "server device failure",
        "acknowledge",
        "server device busy",
        "negative acknowledge",
        "memory parity error",
        NULL,
        "gateway path unavailable",
        "gateway target device failed to respond",
    };

    if (err > MODBUS_ENOBASE && err <= MODBUS_ENOBASE + 11 && exc[err - MODBUS_ENOBASE]) {
        snprintf(buf, len, "exception %d (%s)", err - MODBUS_ENOBASE, exc[err - MODBUS_ENOBASE]);
        return buf;
    }
    switch (err) {
    case EMBBADCRC:
        return "invalid CRC";
    case EMBBADDATA:
        return "invalid data";
    case EMBBADEXC:
        return "invalid exception code";
    case EMBMDATA:
        return "too many data";
    case EMBBADSLAVE:
        return "response from the wrong unit";
    case ETIMEDOUT:
        return "timeout";
    }
    if (strerror_r(err, buf, len) != 0)
        snprintf(buf, len, "error %d", err);
    return buf;
}

static enum rw_quality
quality_of_errno(int err, uint16_t *code)
{
    *code = 0;
    if (err == ETIMEDOUT)
        return RW_Q_TIMEOUT;
    if (err > MODBUS_ENOBASE && err <= MODBUS_ENOBASE + 11) {
        *code = (uint16_t)(err - MODBUS_ENOBASE);
        return RW_Q_EXCEPTION;
    }
    if (err == EMBBADCRC || err == EMBBADDATA || err == EMBBADEXC || err == EMBMDATA ||
        err == EMBBADSLAVE || err == EMBXGTAR)
        return RW_Q_DECODE_ERROR;
    return RW_Q_IO_ERROR;
}

/* Errors after which the connection cannot be trusted and is re-opened. */
static int
is_link_error(int err)
{
    return err == ECONNRESET || err == EPIPE || err == EBADF || err == ECONNREFUSED ||
           err == ENOTCONN || err == EIO || err == ENXIO || err == ENODEV ||
           err == ECONNABORTED || err == EHOSTUNREACH || err == ENETUNREACH;
}

static const char *
bus_desc(const struct mb_bus *b, char *buf, size_t len)
{
    if (b->bcfg->type == CFG_BUS_TCP)
        snprintf(buf, len, "bus %s (%s:%d)", b->bcfg->id, b->bcfg->host, b->bcfg->port);
    else
        snprintf(buf, len, "bus %s (%s)", b->bcfg->id, b->bcfg->device);
    return buf;
}

static int
bus_connect(struct mb_bus *b)
{
    char desc[160], ebuf[96];

    if (b->ctx == NULL) {
        if (b->bcfg->type == CFG_BUS_TCP) {
            char port[8];
            snprintf(port, sizeof(port), "%d", b->bcfg->port);
            b->ctx = modbus_new_tcp_pi(b->bcfg->host, port);
        } else {
            b->ctx = modbus_new_rtu(b->bcfg->device, b->bcfg->baud, b->bcfg->parity,
                                    b->bcfg->data_bits, b->bcfg->stop_bits);
        }
        if (b->ctx == NULL) {
            log_err("%s: cannot create the Modbus context: %s", bus_desc(b, desc, sizeof(desc)),
                    mb_errstr(errno, ebuf, sizeof(ebuf)));
            return -1;
        }
    }
    /* The connect of a TCP bus waits at most the response timeout; use the longest of the
     * bus's devices so a slow gateway is not refused by a quick sensor's setting. */
    {
        double t = 0.5;
        size_t i;
        for (i = 0; i < b->ndevs; i++)
            if (i == 0 || b->devs[i].cfg->timeout > t)
                t = b->devs[i].cfg->timeout;
        modbus_set_response_timeout(b->ctx, (uint32_t)t, (uint32_t)((t - floor(t)) * 1e6));
    }
    if (modbus_connect(b->ctx) < 0) {
        int err = errno;
        /* libmodbus 3.1.6 leaves EINPROGRESS after a connect timeout (fixed in 3.1.11). */
        if (err == EINPROGRESS)
            err = ETIMEDOUT;
        if (err != b->connect_err)
            log_warn("%s: cannot connect: %s; retrying with backoff",
                     bus_desc(b, desc, sizeof(desc)), mb_errstr(err, ebuf, sizeof(ebuf)));
        b->connect_err = err;
        errno = err;
        return -1;
    }
    if (b->bcfg->type == CFG_BUS_RTU && b->bcfg->rs485) {
        /* An ioctl on the open port; a pty or a plain RS-232 port answers ENOTTY. */
        if (modbus_rtu_set_serial_mode(b->ctx, MODBUS_RTU_RS485) < 0 && !b->rs485_warned) {
            log_warn("%s: cannot switch the port to RS-485 mode: %s; going on in its current "
                     "mode", bus_desc(b, desc, sizeof(desc)), mb_errstr(errno, ebuf, sizeof(ebuf)));
            b->rs485_warned = 1;
        }
    }
    /*
     * A peer that resets every connection (a broken gateway, a hostile one) would otherwise
     * log a line per reconnect forever: after the first, a reconnect is news only when it
     * ends a logged connect failure; the device's own warning told of the reset, once.
     */
    if (b->connect_err != 0)
        log_notice("%s: connected", bus_desc(b, desc, sizeof(desc)));
    else if (!b->was_connected)
        log_info("%s: connected", bus_desc(b, desc, sizeof(desc)));
    else
        log_debug("%s: connected again", bus_desc(b, desc, sizeof(desc)));
    b->was_connected = 1;
    b->connect_err = 0;
    b->connected = 1;
    b->reconnect_delay = 0;
    atomic_fetch_add(&b->st_reconnects, 1);
    return 0;
}

static void
bus_disconnect(struct mb_bus *b)
{
    if (b->ctx != NULL && b->connected)
        modbus_close(b->ctx);
    b->connected = 0;
}

static void
emit(struct mb_bus *b, struct mb_dev *d, size_t n)
{
    size_t i;
    char desc[160];

    for (i = 0; i < n; i++) {
        if (rw_queue_push(b->samples, &d->out[i]) < 0) {
            atomic_fetch_add(&b->st_dropped, 1);
            if (!b->dropping)
                log_warn("%s: sample queue full (%zu); dropping samples, their time will "
                         "read as unknown", bus_desc(b, desc, sizeof(desc)),
                         rw_queue_capacity(b->samples));
            b->dropping = 1;
        } else {
            b->dropping = 0;
        }
    }
}

/* Marks the points that read r serves as bad. */
static void
fill_bad(struct mb_dev *d, const struct mb_read *r, enum rw_quality q, uint16_t code)
{
    size_t k;

    for (k = r->first; k < r->first + r->npoints; k++) {
        struct sample *s = &d->out[k];
        s->quality = (uint16_t)q;
        s->code = code;
        s->value = NAN;
    }
}

static void
log_device_change(struct mb_bus *b, struct mb_dev *d, enum mb_dev_state st, int err,
                  double next)
{
    char desc[160], ebuf[96];

    if (st == d->state && (st == MB_DEV_OK || err == d->last_err))
        return;
    bus_desc(b, desc, sizeof(desc));
    switch (st) {
    case MB_DEV_OK:
        if (d->state == MB_DEV_NEW)
            log_info("%s unit %d (%s): answering", desc, d->cfg->unit, d->cfg->id);
        else
            log_notice("%s unit %d (%s): answering again", desc, d->cfg->unit, d->cfg->id);
        break;
    case MB_DEV_PARTIAL:
        log_warn("%s unit %d (%s): some reads fail: %s", desc, d->cfg->unit, d->cfg->id,
                 mb_errstr(err, ebuf, sizeof(ebuf)));
        break;
    case MB_DEV_FAILING:
        log_warn("%s unit %d (%s): %s, retry in %.3g s", desc, d->cfg->unit, d->cfg->id,
                 mb_errstr(err, ebuf, sizeof(ebuf)), next);
        break;
    case MB_DEV_NEW:
        break;
    }
    d->state = st;
    d->last_err = err;
}

static void
bus_poll_device(struct mb_bus *b, struct mb_dev *d)
{
    const struct cfg_device *dc = d->cfg;
    size_t i, answered = 0;
    int first_err = 0, silent = 0;
    double wall, mono, next;

    d->cycle++;
    for (i = 0; i < d->profile->npoints; i++) {
        struct sample *s = &d->out[i];
        memset(s, 0, sizeof(*s));
        s->device = (uint32_t)d->index;
        s->point = (uint32_t)d->plan.order[i];
        s->cycle = d->cycle;
        s->value = NAN;
        s->quality = RW_Q_IO_ERROR;
    }

    if (!b->connected) {
        first_err = b->connect_err ? b->connect_err : ENOTCONN;
    } else {
        modbus_set_slave(b->ctx, dc->unit);
        modbus_set_response_timeout(b->ctx, (uint32_t)dc->timeout,
                                    (uint32_t)((dc->timeout - floor(dc->timeout)) * 1e6));
    }

    for (i = 0; b->connected && i < d->plan.nreads; i++) {
        const struct mb_read *r = &d->plan.reads[i];
        int rc, err;
        size_t k;

        if (i > 0 && d->profile->request_gap_ms > 0) {
            struct timespec ts = {d->profile->request_gap_ms / 1000,
                                  (long)(d->profile->request_gap_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (silent) {
            /* The device did not answer this cycle: do not wait a timeout per request. */
            fill_bad(d, r, RW_Q_TIMEOUT, 0);
            continue;
        }
        atomic_fetch_add(&b->st_requests, 1);
        switch (r->fc) {
        case 1:
        case 2: {
            /*
             * The bits land one a byte in the first half of d->regs (count uint16_t, so
             * room for count bytes) and are widened in place from the last: regs[k] takes
             * bytes 2k and 2k+1, never a byte still to be read. A 2000-byte array here
             * made this frame 2.2 KiB and each bus thread keep a third page of stack
             * resident (tests/bench: 800 KiB at 200 buses).
             */
            uint8_t *bits = (uint8_t *)d->regs;

            rc = r->fc == 1 ? modbus_read_bits(b->ctx, r->address, r->count, bits)
                            : modbus_read_input_bits(b->ctx, r->address, r->count, bits);
            for (k = rc > 0 ? (size_t)r->count : 0; k-- > 0;)
                d->regs[k] = bits[k];
            break;
        }
        case 3:
            rc = modbus_read_registers(b->ctx, r->address, r->count, d->regs);
            break;
        default:
            rc = modbus_read_input_registers(b->ctx, r->address, r->count, d->regs);
            break;
        }
        err = errno;
        if (rc != r->count) {
            uint16_t code = 0;
            enum rw_quality q = rc < 0 ? quality_of_errno(err, &code) : RW_Q_DECODE_ERROR;

            if (rc >= 0)
                err = EMBBADDATA;
            atomic_fetch_add(&b->st_failures, 1);
            fill_bad(d, r, q, code);
            if (first_err == 0)
                first_err = err;
            if (q == RW_Q_TIMEOUT || q == RW_Q_DECODE_ERROR) {
                /* A late or garbled answer must not be taken for the next request's. */
                modbus_flush(b->ctx);
            }
            if (q == RW_Q_TIMEOUT)
                silent = 1;
            if (q == RW_Q_IO_ERROR && is_link_error(err)) {
                bus_disconnect(b);
                /* The remaining reads of this cycle fail the same way. */
            }
            continue;
        }
        answered++;
        for (k = r->first; k < r->first + r->npoints; k++) {
            struct sample *s = &d->out[k];
            const struct cfg_point *p = &d->profile->points[s->point];
            int off = p->address - r->address;
            s->quality = (uint16_t)mb_decode(p, d->regs + off, &s->value);
        }
    }
    /* Reads skipped after a link failure keep RW_Q_IO_ERROR. */

    wall = rw_clock_wall();
    mono = rw_clock_mono();
    if (answered == 0) {
        d->failed_polls++;
        d->delay = d->delay == 0 ? dc->interval * 2 : d->delay * 2;
        if (d->delay > MB_BACKOFF_MAX)
            d->delay = dc->interval > MB_BACKOFF_MAX ? dc->interval : MB_BACKOFF_MAX;
        next = d->delay;
        log_device_change(b, d, MB_DEV_FAILING, first_err, next);
    } else {
        d->failed_polls = 0;
        d->delay = 0;
        next = dc->interval;
        log_device_change(b, d, first_err ? MB_DEV_PARTIAL : MB_DEV_OK, first_err, next);
    }
    for (i = 0; i < d->profile->npoints; i++) {
        d->out[i].wall = wall;
        d->out[i].mono = mono;
        d->out[i].hold = next;
    }
    if (d->profile->npoints > 0)
        d->out[d->profile->npoints - 1].flags |= SAMPLE_F_LAST;
    emit(b, d, d->profile->npoints);
    atomic_fetch_add(&b->st_polls, 1);

    d->due = rw_clock_next_due(d->due, mono, dc->interval, d->delay);
}

/* Sleeps until monotonic time t or a stop request. Returns 1 if stopped. */
static int
bus_sleep_until(struct mb_bus *b, double t)
{
    struct timespec ts;
    int stopped;

    ts.tv_sec = (time_t)floor(t);
    ts.tv_nsec = (long)((t - floor(t)) * 1e9);
    /* A logged line (a state change, a reconnect) took the stack deeper than a poll does. */
    if (rw_log_thread_lines() != b->log_lines) {
        b->log_lines = rw_log_thread_lines();
        rw_thread_trim_stack();
    }
    rw_beat_expect(b->beat, t);
    pthread_mutex_lock(&b->lock);
    while (!atomic_load(&b->stop) && rw_clock_mono() < t)
        if (pthread_cond_timedwait(&b->wake, &b->lock, &ts) == ETIMEDOUT)
            break;
    stopped = atomic_load(&b->stop);
    pthread_mutex_unlock(&b->lock);
    return stopped;
}

static void *
bus_main(void *arg)
{
    struct mb_bus *b = arg;
    double now = rw_clock_mono();
    size_t i;

    /* Spread the first polls of the bus's devices over a short while, so that devices
     * sharing an interval do not all fall due in the same instant forever. */
    for (i = 0; i < b->ndevs; i++)
        b->devs[i].due = now + (b->ndevs > 1 ? (double)i * 0.01 : 0.0);

    while (!atomic_load(&b->stop)) {
        struct mb_dev *next = NULL;

        if (!b->connected && rw_clock_mono() >= b->reconnect_at) {
            rw_beat_expect(b->beat, rw_clock_mono() + b->connect_worst);
            if (bus_connect(b) < 0) {
                b->reconnect_delay = b->reconnect_delay == 0 ? 1.0 : b->reconnect_delay * 2;
                if (b->reconnect_delay > MB_BACKOFF_MAX)
                    b->reconnect_delay = MB_BACKOFF_MAX;
                b->reconnect_at = rw_clock_mono() + b->reconnect_delay;
            }
        }
        for (i = 0; i < b->ndevs; i++)
            if (next == NULL || b->devs[i].due < next->due)
                next = &b->devs[i];
        if (next == NULL) {
            bus_sleep_until(b, rw_clock_mono() + 1.0);
            continue;
        }
        if (!b->connected && b->reconnect_at < next->due) {
            bus_sleep_until(b, b->reconnect_at);
            continue;
        }
        if (bus_sleep_until(b, next->due))
            break;
        rw_beat_expect(b->beat, rw_clock_mono() + next->worst);
        bus_poll_device(b, next);
    }
    return NULL;
}
