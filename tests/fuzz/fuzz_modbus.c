/*
 * fuzz_modbus.c - Modbus read planning and register decoding (agent/source/mb_plan.c,
 * mb_decode.c) on profiles built from the input, within what the profile loader lets through
 * (fc 1..4, a value that ends by register 65535, limits 1..125 registers and 1..2000 bits, a
 * register multiple not above the register limit), then every point decoded from registers
 * the input gives, as a device might answer.
 *
 * The plan's invariants are checked, since a wrong plan asks a device for registers it does
 * not have or hands a point registers outside the read: every read within the protocol's and
 * the profile's limits and inside 0..65535, aligned to the multiple, and every point inside
 * the one read that serves it, each point served once.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_bytes.h"
#include "source/mb_decode.h"
#include "source/mb_plan.h"

#define MAXP 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_plan(const struct cfg_profile *p, const struct mb_plan *plan)
{
    size_t served = 0;

    if (plan->npoints != p->npoints)
        abort();
    for (size_t k = 0; k < plan->nreads; k++) {
        const struct mb_read *r = &plan->reads[k];
        int bits = r->fc == 1 || r->fc == 2;
        int limit = bits ? p->max_read_bits : p->max_read_registers;
        int mult = bits ? 1 : p->register_multiple;

        if (r->count < 1 || r->count > limit || r->count > (bits ? 2000 : 125))
            abort();
        if (r->address < 0 || r->address + r->count > 65536)
            abort();
        if (r->address % mult != 0 || r->count % mult != 0)
            abort();
        if (r->first != served || r->npoints == 0 || r->first + r->npoints > plan->npoints)
            abort();
        for (size_t j = r->first; j < r->first + r->npoints; j++) {
            const struct cfg_point *pt = &p->points[plan->order[j]];

            if (pt->fc != r->fc || pt->address < r->address ||
                pt->address + cfg_point_width(pt) > r->address + r->count)
                abort();
        }
        served += r->npoints;
    }
    if (served != p->npoints)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    struct cfg_point points[MAXP];
    struct cfg_profile p;
    struct mb_plan plan;
    size_t n;

    memset(&p, 0, sizeof(p));
    memset(points, 0, sizeof(points));
    p.max_read_registers = fz_range(&f, 1, 125);
    p.max_read_bits = fz_range(&f, 1, 2000);
    p.register_multiple = fz_range(&f, 1, p.max_read_registers);
    n = (size_t)fz_range(&f, 1, MAXP);
    for (size_t i = 0; i < n; i++) {
        struct cfg_point *pt = &points[i];
        int m = p.register_multiple, w;
        long first, end;

        pt->fc = fz_range(&f, 1, 4);
        pt->type = pt->fc <= 2 ? CFG_T_BIT : (enum cfg_dtype)fz_range(&f, 1, 5);
        pt->order = (enum cfg_order)fz_range(&f, 0, 3);
        pt->address = fz_range(&f, 0, 65536 - cfg_point_width(pt));
        pt->scale = fz_u8(&f) & 1 ? fz_double(&f) : 1.0;
        pt->offset = fz_u8(&f) & 1 ? fz_double(&f) : 0.0;
        pt->min = fz_u8(&f) & 1 ? fz_double(&f) : -INFINITY;
        pt->max = fz_u8(&f) & 1 ? fz_double(&f) : INFINITY;
        /* As the loader checks (cfg_profile.c): the aligned read of a register point fits
         * in one request and ends by register 65535; other points become one register at
         * 0, which always fits (register_multiple <= max_read_registers). */
        w = cfg_point_width(pt);
        first = (long)pt->address / m * m;
        end = ((long)pt->address + w + m - 1) / m * m;
        if (pt->type != CFG_T_BIT && (end > 65536 || end - first > p.max_read_registers)) {
            pt->address = 0;
            pt->type = CFG_T_UINT16;
        }
    }
    p.npoints = n;
    p.points = points;

    /* Every profile the loader accepts can be planned. */
    if (mb_plan_build(&p, &plan) != 0)
        abort();
    check_plan(&p, &plan);
    mb_plan_clear(&plan);
    /* Every point decoded from the rest of the input, as a device answers it. */
    for (size_t i = 0; i < n; i++) {
        uint16_t regs[2] = {fz_u16(&f), 0}, enc[2];
        double v;

        regs[1] = fz_u16(&f);
        if (points[i].type == CFG_T_BIT)
            regs[0] &= 1; /* libmodbus hands over bits as 0 or 1 */
        (void)mb_decode(&points[i], regs, &v);
        (void)mb_encode(&points[i], v, enc);
    }
    return 0;
}
