/*
 * mb_plan.h - coalescing a device's points into the fewest Modbus read requests.
 *
 * Points of one function code whose registers lie close together are read in one request,
 * within the protocol's limit (125 registers, 2000 bits) and the device profile's own
 * (max_read_registers, register_multiple: the SDM630 takes at most 80 registers, in even
 * counts from even addresses). A gap between two points is read through when that still
 * fits in the request, since one request costs far more than a few unused registers; it is
 * never read through when max_gap is exceeded, so that a device with holes in its map (which
 * answers "illegal data address" for them) is not asked for them.
 *
 * Pure: no I/O, no allocation after mb_plan_build().
 */
#ifndef ROOMWATCH_MB_PLAN_H
#define ROOMWATCH_MB_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "cfg/cfg.h"

struct mb_read {
    int fc;          /* 1..4 */
    int address;     /* first register or bit */
    int count;       /* registers or bits */
    size_t first;    /* index into mb_plan.order of the first point this read serves */
    size_t npoints;  /* points it serves: order[first .. first + npoints) */
};

struct mb_plan {
    size_t nreads;
    struct mb_read *reads;
    size_t npoints;
    size_t *order; /* point indices (into the profile) sorted by fc, then address */
};

/* Registers of unused space a read may span between two points. */
#define MB_PLAN_MAX_GAP 16

/*
 * Builds the plan for profile p. Returns 0, or -1 with errno ENOMEM, or EINVAL if a point
 * does not fit in one request under the profile's limits. Free with mb_plan_clear().
 */
int mb_plan_build(const struct cfg_profile *p, struct mb_plan *plan);
void mb_plan_clear(struct mb_plan *plan);

#endif
