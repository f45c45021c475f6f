/*
 * mb_plan.c - greedy coalescing of a profile's points into read requests.
 *
 * Points are sorted by function code and address, then swept once: a read grows to take the
 * next point while the gap to it is at most MB_PLAN_MAX_GAP and the aligned span stays within
 * the request limit. For points sorted by address this greedy sweep gives the fewest reads
 * under those two rules (a read can only end where the next point no longer fits).
 */
#include "source/mb_plan.h"

#include <errno.h>
#include <stdlib.h>

#define MB_MAX_READ_REGISTERS 125 /* Modbus Application Protocol v1.1b3, 6.3 */
#define MB_MAX_READ_BITS 2000     /* ibid., 6.1 */

static const struct cfg_point *sort_points; /* qsort has no context argument */

static int
cmp_point(const void *a, const void *b)
{
    const struct cfg_point *pa = &sort_points[*(const size_t *)a];
    const struct cfg_point *pb = &sort_points[*(const size_t *)b];

    if (pa->fc != pb->fc)
        return pa->fc - pb->fc;
    if (pa->address != pb->address)
        return pa->address < pb->address ? -1 : 1;
    /* Stable for equal addresses: keep profile order. */
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int
is_bits(int fc)
{
    return fc == 1 || fc == 2;
}

static int
align_down(int v, int m)
{
    return v - v % m;
}

static int
align_up(int v, int m)
{
    return (v + m - 1) / m * m;
}

int
mb_plan_build(const struct cfg_profile *p, struct mb_plan *plan)
{
    size_t i;
    struct mb_read *r = NULL;

    plan->nreads = 0;
    plan->npoints = p->npoints;
    plan->order = calloc(p->npoints ? p->npoints : 1, sizeof(*plan->order));
    plan->reads = calloc(p->npoints ? p->npoints : 1, sizeof(*plan->reads));
    if (plan->order == NULL || plan->reads == NULL) {
        mb_plan_clear(plan);
        errno = ENOMEM;
        return -1;
    }
    for (i = 0; i < p->npoints; i++)
        plan->order[i] = i;
    /* The profile is read-only and plans are built at start-up on one thread. */
    sort_points = p->points;
    qsort(plan->order, p->npoints, sizeof(*plan->order), cmp_point);
    sort_points = NULL;

    for (i = 0; i < p->npoints; i++) {
        const struct cfg_point *pt = &p->points[plan->order[i]];
        int bits = is_bits(pt->fc);
        int mult = bits ? 1 : (p->register_multiple > 0 ? p->register_multiple : 1);
        int limit = bits ? p->max_read_bits : p->max_read_registers;
        int pend = pt->address + cfg_point_width(pt);

        if (bits && (limit <= 0 || limit > MB_MAX_READ_BITS))
            limit = MB_MAX_READ_BITS;
        if (!bits && (limit <= 0 || limit > MB_MAX_READ_REGISTERS))
            limit = MB_MAX_READ_REGISTERS;

        if (r != NULL && r->fc == pt->fc) {
            int end = r->address + r->count;
            int gap = pt->address - end;
            int nend = pend > end ? pend : end;
            int ncount = align_up(nend - r->address, mult);

            /* Not past register 65535 either: aligning up may reach it (found by fuzzing). */
            if (gap <= MB_PLAN_MAX_GAP && ncount <= limit && r->address + ncount <= 65536) {
                r->count = ncount;
                r->npoints++;
                continue;
            }
        }
        r = &plan->reads[plan->nreads++];
        r->fc = pt->fc;
        r->address = align_down(pt->address, mult);
        r->count = align_up(pend - r->address, mult);
        r->first = i;
        r->npoints = 1;
        if (r->count > limit || r->address + r->count > 65536) {
            mb_plan_clear(plan);
            errno = EINVAL;
            return -1;
        }
    }
    return 0;
}

void
mb_plan_clear(struct mb_plan *plan)
{
    free(plan->order);
    free(plan->reads);
    plan->order = NULL;
    plan->reads = NULL;
    plan->nreads = 0;
    plan->npoints = 0;
}
