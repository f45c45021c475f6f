/*
 * rep_score.c - the 得分 of a self-evaluation line (see rep_score.h).
 */
#include "rep_score.h"

#include <math.h>
#include <string.h>

#include "engine/target.h"
#include "report/rpt_judge.h"

/* How far value v (in the goal's unit) is from meeting bounds t, as a ratio 0..1. */
static double
ratio(const struct tgt *t, double v)
{
    double r = 1.0;

    if (t->has_lower && v < t->lower)
        r = t->lower > 0 ? v / t->lower : 0.0;
    else if (t->has_upper && v > t->upper)
        r = t->upper > 0 && v > 0 ? t->upper / v : 0.0;
    return r < 0 ? 0.0 : r > 1 ? 1.0 : r;
}

double
rep_score(const struct cfg_indicator *in, double weight, int met, double value,
          const char *value_unit, int ndays)
{
    const struct tgt *t = rpt_goal(in);
    double v = value, r;

    if (!(weight > 0) || t == NULL || met < 0)
        return NAN;
    if (met == 1)
        return weight;
    if (!isfinite(value))
        return 0.0;
    if (t->unit[0] != '\0' && value_unit != NULL && value_unit[0] != '\0' &&
        tgt_convert(value, value_unit, t->unit, &v) != TGT_OK)
        v = value;
    r = ratio(t, v);
    /* "=365(天)" over a 366-day year means every day: the period's days are the bound. */
    if (strcmp(t->unit, "day") == 0 && t->has_lower && t->lower >= 365 && ndays > 0)
        r = fmin(r, v / ndays);
    /* Words (稳定, 健全) are graded; a bare number (满意度 "90", read by its rule) is not. */
    if (in->target.qualitative && strpbrk(in->target_text, "0123456789") == NULL)
        return weight * REP_QUAL_GRADE * r;
    return weight * r;
}
