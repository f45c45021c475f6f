/*
 * scan_mb.c - roomwatch scan over Modbus: probing unit ids, and matching profiles by reading
 * their registers.
 */
#include "scan_mb.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source/mb_decode.h"
#include "source/mb_plan.h"

/*
 * The register the probe reads. Any answer will do (an exception too), but the request's
 * shape matters on RS-485: a slave built on libmodbus that sees a request for another unit
 * reads the next frame as that unit's answer and drops it, taking its length from the third
 * byte as an answer's byte count. With 0x03 there (address 0x03xx) the whole 8-byte request
 * is taken, and the line is in step again for the retry; with 0x00 it would take 5 bytes and
 * choke on the other 3, deaf for its byte timeout.
 */
#define PROBE_ADDRESS 0x0300

static void
set_timeout(modbus_t *ctx, double t)
{
    modbus_set_response_timeout(ctx, (uint32_t)t, (uint32_t)((t - floor(t)) * 1e6));
}

/* An errno of libmodbus that is a link failure, not a device's (non-)answer. */
static int
link_failed(int err)
{
    return err == ECONNRESET || err == EPIPE || err == EBADF || err == ENOTCONN || err == EIO ||
           err == ENXIO || err == ENODEV;
}

int
scan_mb_units(modbus_t *ctx, int first, int last, double timeout, struct scan_mb_result *res)
{
    uint16_t reg;
    int quiet_before = 0; /* the previous request got no answer */

    set_timeout(ctx, timeout);
    for (int unit = first; unit <= last; unit++) {
        int rc, err;

        modbus_set_slave(ctx, unit);
        rc = modbus_read_registers(ctx, PROBE_ADDRESS, 1, &reg);
        err = errno;
        if (rc < 0 && err == ETIMEDOUT && quiet_before) {
            /* After a request to a unit that did not answer, a device built on libmodbus
             * takes the next frame on the line for that unit's answer and drops it (see
             * PROBE_ADDRESS); ask once more. */
            modbus_flush(ctx);
            rc = modbus_read_registers(ctx, PROBE_ADDRESS, 1, &reg);
            err = errno;
        }
        quiet_before = rc < 0 && (err < EMBXILFUN || err > EMBXGTAR);
        if (rc < 0 && link_failed(err)) {
            errno = err;
            return -1;
        }
        if (rc < 0 && (err == EMBXGPATH || err == EMBXGTAR))
            continue; /* the gateway says: nothing there */
        if (rc < 0 && (err < EMBXILFUN || err > EMBXGTAR)) {
            /* A timeout, or an answer that does not parse (bad CRC, another unit's, short):
             * nothing usable; a late answer must not meet the next request. */
            if (err != ETIMEDOUT)
                res->garbled++;
            modbus_flush(ctx);
            continue;
        }
        /* Data, or an exception (illegal address, function...): a device is there. */
        struct scan_mb_found *f = realloc(res->found, (res->nfound + 1) * sizeof(*f));
        if (f == NULL)
            return -1;
        res->found = f;
        memset(&f[res->nfound], 0, sizeof(*f));
        f[res->nfound++].unit = unit;
    }
    return 0;
}

/* Reads profile p's points from the device. Returns the number of points not zero if every
 * read answered and every point is within range, else -1. */
static int
plausible(modbus_t *ctx, const struct cfg_profile *p, double timeout)
{
    struct mb_plan plan;
    uint16_t regs[MODBUS_MAX_READ_BITS];
    int nonzero = 0;

    if (p->protocol != CFG_PROTO_MODBUS || p->npoints == 0 || mb_plan_build(p, &plan) < 0)
        return -1;
    set_timeout(ctx, timeout);
    for (size_t i = 0; i < plan.nreads && nonzero >= 0; i++) {
        const struct mb_read *r = &plan.reads[i];
        uint8_t bits[MODBUS_MAX_READ_BITS];
        int rc;

        if (i > 0 && p->request_gap_ms > 0) {
            struct timespec ts = {p->request_gap_ms / 1000,
                                  (long)(p->request_gap_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        switch (r->fc) {
        case 1:
        case 2:
            rc = r->fc == 1 ? modbus_read_bits(ctx, r->address, r->count, bits)
                            : modbus_read_input_bits(ctx, r->address, r->count, bits);
            for (int k = 0; rc > 0 && k < r->count; k++)
                regs[k] = bits[k];
            break;
        case 3:
            rc = modbus_read_registers(ctx, r->address, r->count, regs);
            break;
        default:
            rc = modbus_read_input_registers(ctx, r->address, r->count, regs);
            break;
        }
        if (rc != r->count) {
            modbus_flush(ctx);
            nonzero = -1;
            break;
        }
        for (size_t k = r->first; k < r->first + r->npoints; k++) {
            const struct cfg_point *pt = &p->points[plan.order[k]];
            double v;

            if (mb_decode(pt, regs + (pt->address - r->address), &v) != RW_Q_GOOD) {
                nonzero = -1;
                break;
            }
            if (v != 0.0)
                nonzero++;
        }
    }
    mb_plan_clear(&plan);
    return nonzero;
}

void
scan_mb_identify(modbus_t *ctx, struct scan_mb_found *f, const struct cfg_profile *profiles,
                 size_t n, double timeout)
{
    int best = 0; /* a map read as all zeros tells nothing */
    int *score = calloc(n > 0 ? n : 1, sizeof(*score));

    uint16_t reg;

    f->profile = NULL;
    f->also[0] = '\0';
    if (score == NULL)
        return;
    modbus_set_slave(ctx, f->unit);
    /* The unit's attention first: the line's last request may have been to an absent unit
     * (PROBE_ADDRESS), and the first read of a profile must not be the one dropped. */
    set_timeout(ctx, timeout);
    for (int i = 0; i < 2 && modbus_read_registers(ctx, PROBE_ADDRESS, 1, &reg) < 0 &&
                    errno == ETIMEDOUT;
         i++)
        modbus_flush(ctx);
    for (size_t i = 0; i < n; i++) {
        score[i] = plausible(ctx, &profiles[i], timeout);
        if (score[i] > best) {
            best = score[i];
            f->profile = &profiles[i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(f->also);

        if (score[i] <= 0 || &profiles[i] == f->profile)
            continue;
        snprintf(f->also + len, sizeof(f->also) - len, "%s%s", len > 0 ? ", " : "",
                 profiles[i].name);
    }
    free(score);
}

void
scan_mb_result_clear(struct scan_mb_result *res)
{
    free(res->found);
    memset(res, 0, sizeof(*res));
}
