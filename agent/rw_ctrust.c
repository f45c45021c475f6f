/*
 * rw_ctrust.c - whether the wall clock may be trusted (see rw_ctrust.h).
 */
#include "rw_ctrust.h"

#include <stdio.h>
#include <string.h>

int
rw_ctrust_ok(enum rw_ctrust_mode mode, int64_t floor_s, double wall, int synced)
{
    int above = wall >= (double)floor_s;

    switch (mode) {
    case RW_CTRUST_ALWAYS:
        return 1;
    case RW_CTRUST_SYNC:
        /* A synchronized clock below the floor is a misconfigured time server or floor:
         * still not trusted, so that nothing is filed under that date. */
        return above && synced != 0;
    case RW_CTRUST_FLOOR:
        break;
    }
    return above;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int
rw_ctrust_parse_date(const char *s, int64_t *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, n = 0, leap;

    if (s == NULL || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
        n != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    *out = days_from_civil(y, m, d) * 86400;
    return 0;
}

const char *
rw_ctrust_mode_name(enum rw_ctrust_mode mode)
{
    switch (mode) {
    case RW_CTRUST_SYNC:
        return "sync";
    case RW_CTRUST_ALWAYS:
        return "always";
    case RW_CTRUST_FLOOR:
        break;
    }
    return "floor";
}
