/*
 * rw_etime.c - engine time (see rw_etime.h).
 */
#include "rw_etime.h"

#include <math.h>

void
rw_etime_anchor(struct rw_etime *et, double wall, double mono, int64_t floor)
{
    int64_t w = (int64_t)llround(wall * 1000.0);

    et->wall0 = w > floor ? w : floor;
    et->mono0 = mono;
}

int64_t
rw_etime_at(const struct rw_etime *et, double mono)
{
    return et->wall0 + (int64_t)llround((mono - et->mono0) * 1000.0);
}
