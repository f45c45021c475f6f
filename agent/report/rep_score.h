/*
 * rep_score.h - the 得分 of a self-evaluation line (domain.md 6.3/6.4), with its 分值 from the
 * config's report.weights:
 *  - met: the weight;
 *  - a lower bound L missed (≥97 %): weight x value / L;
 *  - an upper bound U missed (≤2 h): weight x U / value, 0 when U is 0 (a "=0" missed);
 *  - a range (≥0&&≤2): by the bound it is outside of;
 *  - a day count "=365(天)" judged as every day of the period: against the period's days
 *    (364 of 366: weight x 364/366);
 *  - a qualitative target in words (稳定) decided by its rule: met is the full weight (the top
 *    grade, 100-80 %); missed is 60 % of the weight times the rule's own ratio (the lowest
 *    grade, 60-0 %). The middle grade is a judgement the agent cannot make. A bare number
 *    the form gives without a comparison (满意度 "90", read by its rule ">=90") is scored as
 *    the number it is: weight x value / 90.
 * The value is converted to the target's unit first (hours to minutes). Pure.
 */
#ifndef ROOMWATCH_REP_SCORE_H
#define ROOMWATCH_REP_SCORE_H

#include "cfg/cfg.h"

#define REP_QUAL_GRADE 0.6 /* a missed qualitative line: at most the top of the lowest grade */

/* The score of indicator in with weight, met (1, 0, -1 unknown) and value in value_unit over
 * a period of ndays; NaN when not scored (no weight or target, met unknown). */
double rep_score(const struct cfg_indicator *in, double weight, int met, double value,
                 const char *value_unit, int ndays);

#endif
