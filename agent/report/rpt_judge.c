/*
 * rpt_judge.c - met, budget, burn rate, projection and status of an indicator (see
 * rpt_judge.h).
 *
 * Each kind with a course (rates, downtime, day counts) has one function that fills the
 * budget, burn rates and projection and returns the best value the period can still end
 * with, from which rpt_judge() tells "lost". A new kind adds a case to rpt_judge()'s switch.
 */
#include "report/rpt_judge.h"

#include <math.h>
#include <string.h>

#include "engine/target.h"

/* A delivery rate as close to 100 % as further on-time reports can bring it after a late one,
 * yet below 100 % by more than tgt_met()'s tolerance at a bound (1e-9 relative). */
#define DELIVERY_BELOW_ALL 1e-6

enum { W_GOOD = 0, W_BAD, W_UNKNOWN, W_NA, W_N };

/* "Now" and the two windows, read from the engine's per-day accumulators. */
struct course {
    int64_t start, end, asof;   /* ms; start <= asof <= end */
    int over;                   /* asof is the period's end */
    int today;                  /* the day asof is in (the last day once the period is over) */
    int first;                  /* the long window's first day */
    int64_t sw_start, lw_start; /* where the short and long windows begin, ms */
    int64_t sw[W_N], lw[W_N];   /* short and long window: good, bad, unknown, not assessed, ms */
};

static int every_day(const struct cfg_indicator *in, const struct tgt *t,
                     const struct rpt_period *p);
static int meets_goal(const struct cfg_indicator *in, const struct tgt *t,
                      const struct rpt_period *p, double v);
static void read_course(const struct eng *e, size_t ind, const struct rpt_period *p,
                        struct rpt_judge_memo *m, struct course *c);
static double best_rate(int64_t good, int64_t bad, int64_t rest);
static double projected_rate(int64_t good, int64_t bad, int64_t rest, const struct course *c);
static double rate_burn(const int64_t *w, double share);
static double course_rate(const struct cfg_indicator *in, const struct tgt *t,
                          const struct eng_result *r, const struct course *c,
                          struct rpt_judgement *j);
static double course_downtime(const struct tgt *t, const struct eng_result *r,
                              const struct course *c, struct rpt_judgement *j);
static double course_days(const struct cfg_indicator *in, const struct tgt *t,
                          const struct eng_result *r, const struct rpt_period *p,
                          const struct course *c, struct rpt_judgement *j);

const struct tgt *
rpt_goal(const struct cfg_indicator *in)
{
    if (in->target_text == NULL)
        return NULL;
    return in->rule_text != NULL ? &in->rule : &in->target;
}

/* "=365(天)" against a day count over a year: every day of the period, 365 or 366. */
static int
every_day(const struct cfg_indicator *in, const struct tgt *t, const struct rpt_period *p)
{
    if (in->kind != CFG_IND_SUPPLY_DAYS && in->kind != CFG_IND_DUTY_DAYS)
        return 0;
    if (!(t->has_lower && t->has_upper && t->lower == t->upper))
        return 0;
    if (t->unit[0] != '\0' && strcmp(t->unit, "day") != 0)
        return 0;
    return p->ndays >= 365 && (t->lower == 365 || t->lower == 366);
}

int
rpt_meets(const struct cfg_indicator *in, const struct tgt *t, double v)
{
    double x = v;
    const char *unit = cfg_ind_kind_unit(in->kind);

    if (isnan(v))
        return -1;
    /* A kind without a unit (a count) is compared as it is. */
    if (t->unit[0] != '\0' && unit[0] != '\0' && tgt_convert(v, unit, t->unit, &x) != TGT_OK)
        return -1;
    switch (tgt_met(t, x)) {
    case TGT_MET_YES:
        return 1;
    case TGT_MET_NO:
        return 0;
    default:
        return -1;
    }
}

/* As meets(), with "every day" read as the period's days (a projection may be fractional). */
static int
meets_goal(const struct cfg_indicator *in, const struct tgt *t, const struct rpt_period *p,
           double v)
{
    if (isnan(v))
        return -1;
    if (every_day(in, t, p))
        return v >= (double)p->ndays - 1e-9;
    return rpt_meets(in, t, v);
}

static void
read_course(const struct eng *e, size_t ind, const struct rpt_period *p, struct rpt_judge_memo *m,
            struct course *c)
{
    uint64_t past = eng_past_changes(e) + 1; /* + 1: a zeroed memo matches no engine */
    int64_t w[W_N];
    int64_t newest, advanced;

    /* Every field is set below (no memset: a rep stos per indicator and minute showed). */
    for (int k = 0; k < W_N; k++)
        c->sw[k] = c->lw[k] = 0;
    c->start = p->day_start[0];
    c->end = p->day_start[p->ndays];
    eng_position(e, &newest, &advanced);
    c->asof = advanced < c->start ? c->start : advanced > c->end ? c->end : advanced;
    c->over = c->asof >= c->end;
    if (m->today >= 0 && m->today < p->ndays && p->day_start[m->today] <= c->asof &&
        (m->today == p->ndays - 1 || p->day_start[m->today + 1] > c->asof)) {
        c->today = m->today; /* the guess holds: the day of the last judgement */
    } else {
        /* The day holding asof: a binary search (asked every minute, over a year's days). */
        int lo = 0, hi = p->ndays - 1;

        while (lo < hi) {
            int mid = lo + (hi - lo + 1) / 2;

            if (p->day_start[mid] <= c->asof)
                lo = mid;
            else
                hi = mid - 1;
        }
        c->today = lo;
        m->today = lo;
    }
    c->first = c->today >= RPT_LONG_DAYS - 1 ? c->today - (RPT_LONG_DAYS - 1) : 0;
    c->sw_start = p->day_start[c->today];
    c->lw_start = p->day_start[c->first];
    /* The long window's days before today, summed again only when one of them changed:
     * integers, so the sum is the same in any order. */
    if (m->first != c->first || m->last != c->today - 1 || m->past != past) {
        m->first = c->first;
        m->last = c->today - 1;
        m->past = past;
        for (int k = 0; k < W_N; k++)
            m->sum[k] = 0;
        for (int d = c->first; d < c->today; d++) {
            if (eng_day(e, ind, d, &w[W_GOOD], &w[W_BAD], &w[W_UNKNOWN], &w[W_NA]) != 0)
                continue;
            for (int k = 0; k < W_N; k++)
                m->sum[k] += w[k];
        }
    }
    for (int k = 0; k < W_N; k++)
        c->lw[k] = m->sum[k];
    if (eng_day(e, ind, c->today, &w[W_GOOD], &w[W_BAD], &w[W_UNKNOWN], &w[W_NA]) == 0) {
        for (int k = 0; k < W_N; k++) {
            c->lw[k] += w[k];
            c->sw[k] += w[k];
        }
    }
}

/* The good rate at the end of the period if all of rest is good. */
static double
best_rate(int64_t good, int64_t bad, int64_t rest)
{
    if (rest < 0)
        rest = 0;
    if (good + bad + rest == 0)
        return NAN;
    return (double)(good + rest) * 100.0 / (double)(good + bad + rest);
}

/* The good rate at the end of the period if rest splits as the long window did. */
static double
projected_rate(int64_t good, int64_t bad, int64_t rest, const struct course *c)
{
    int64_t cls = c->lw[W_GOOD] + c->lw[W_BAD] + c->lw[W_UNKNOWN] + c->lw[W_NA];
    double g = (double)good, b = (double)bad;

    if (rest > 0 && cls > 0) {
        g += (double)rest * (double)c->lw[W_GOOD] / (double)cls;
        b += (double)rest * (double)c->lw[W_BAD] / (double)cls;
    }
    return g + b > 0 ? g * 100.0 / (g + b) : NAN;
}

/*
 * The share of the known time a rate target lets go wrong: 0.03 for ≥97 % (band,
 * availability) or ≤3 % (fault_rate); NaN when the target has no such bound.
 */
double
rpt_allowed_share(const struct cfg_indicator *in, const struct tgt *t)
{
    double s;

    if (t == NULL || (t->unit[0] != '\0' && strcmp(t->unit, "%") != 0))
        return NAN;
    if (in->kind == CFG_IND_FAULT_RATE) {
        if (!t->has_upper)
            return NAN;
        s = t->upper / 100.0;
    } else {
        if (!t->has_lower)
            return NAN;
        s = (100.0 - t->lower) / 100.0;
    }
    return s < 0 ? 0 : s > 1 ? 1 : s;
}

/* The window's bad share of its known time, per allowed share. */
static double
rate_burn(const int64_t *w, double share)
{
    int64_t known = w[W_GOOD] + w[W_BAD];

    if (known == 0 || !(share > 0))
        return NAN;
    return (double)w[W_BAD] / (double)known / share;
}

/* band, availability, fault_rate */
static double
course_rate(const struct cfg_indicator *in, const struct tgt *t, const struct eng_result *r,
            const struct course *c, struct rpt_judgement *j)
{
    double share = rpt_allowed_share(in, t);
    double best = NAN, proj = NAN, total_ms = NAN;
    int64_t used_ms = 0;

    j->share = share;
    if (in->kind == CFG_IND_BAND && in->each) {
        /* The value is the lowest point's rate: so are its best and its projection, and
         * the budget that binds is the point's with the least left. */
        for (size_t k = 0; k < r->nper_point; k++) {
            const struct eng_band_ev *pp = &r->per_point[k];
            int64_t rest =
                r->period_ms - pp->in_ms - pp->out_ms - pp->unknown_ms - pp->not_assessed_ms;
            double b = best_rate(pp->in_ms, pp->out_ms, rest);
            double pr = projected_rate(pp->in_ms, pp->out_ms, rest, c);
            double tot = share * (double)(r->period_ms - pp->unknown_ms - pp->not_assessed_ms);

            if (!isnan(b) && (isnan(best) || b < best))
                best = b;
            if (!isnan(pr) && (isnan(proj) || pr < proj))
                proj = pr;
            if (!isnan(tot) &&
                (isnan(total_ms) || tot - (double)pp->out_ms < total_ms - (double)used_ms)) {
                total_ms = tot;
                used_ms = pp->out_ms;
            }
        }
    } else {
        int64_t n = in->kind == CFG_IND_BAND ? 1 : (int64_t)in->npoints;
        int64_t good, bad, unknown, na, rest;

        if (in->kind == CFG_IND_BAND) {
            good = r->band.in_ms;
            bad = r->band.out_ms;
            unknown = r->band.unknown_ms;
            na = r->band.not_assessed_ms;
        } else { /* availability, fault_rate: device-time summed over the group */
            good = r->up_ms;
            bad = r->down_ms;
            unknown = r->unknown_ms;
            na = 0;
        }
        rest = r->period_ms * n - good - bad - unknown - na; /* not yet classified */
        best = best_rate(good, bad, rest);
        proj = projected_rate(good, bad, rest, c);
        total_ms = share * (double)(r->period_ms * n - unknown - na);
        used_ms = bad;
    }
    if (in->kind == CFG_IND_FAULT_RATE) {
        best = 100.0 - best; /* the lowest fault rate still possible */
        proj = 100.0 - proj;
    }
    j->projection = proj;
    if (!isnan(total_ms)) {
        j->has_budget = 1;
        j->budget_unit = "s";
        j->total = (double)llround(total_ms) / 1000.0;
        j->used = (double)used_ms / 1000.0;
        j->left = (double)(llround(total_ms) - used_ms) / 1000.0;
        j->burn_short = rate_burn(c->sw, share);
        j->burn_long = rate_burn(c->lw, share);
    }
    return best;
}

/* downtime: hours down, against an upper bound */
static double
course_downtime(const struct tgt *t, const struct eng_result *r, const struct course *c,
                struct rpt_judgement *j)
{
    int64_t wl = c->asof - c->lw_start, ws = c->asof - c->sw_start;
    double hmax = NAN, per_ms;

    /* Down time goes on at the long window's pace (down time per wall-clock time). */
    j->projection = r->value;
    if (wl > 0)
        j->projection += (double)c->lw[W_BAD] / (double)wl * (double)(c->end - c->asof) / 3600000.0;
    if (t != NULL && t->has_upper &&
        tgt_convert(t->upper, t->unit[0] != '\0' ? t->unit : "h", "h", &hmax) == TGT_OK) {
        j->has_budget = 1;
        j->budget_unit = "h";
        j->total = hmax;
        j->used = r->value;
        j->left = hmax - r->value;
        /* The pace that spends the budget exactly by the period's end, per ms. */
        per_ms = hmax * 3600000.0 / (double)(c->end - c->start);
        if (per_ms > 0 && ws > 0)
            j->burn_short = (double)c->sw[W_BAD] / (double)ws / per_ms;
        if (per_ms > 0 && wl > 0)
            j->burn_long = (double)c->lw[W_BAD] / (double)wl / per_ms;
    }
    return r->value; /* down time only grows */
}

/* supply_days, duty_days */
static double
course_days(const struct cfg_indicator *in, const struct tgt *t, const struct eng_result *r,
            const struct rpt_period *p, const struct course *c, struct rpt_judgement *j)
{
    int duty = in->kind == CFG_IND_DUTY_DAYS;
    int lost_today = 0, lost_w = 0, days_w = 0, days_s, open = 0;
    double required = NAN, allowed;

    for (size_t k = 0; k < r->nlost; k++) {
        if (r->lost[k] == c->today)
            lost_today = 1;
        if (r->lost[k] >= c->first && r->lost[k] <= c->today)
            lost_w++;
    }
    /* Judged days: a supply day is lost from its first interrupted second, so today counts;
     * a duty day is judged only when it is over. */
    for (int d = c->first; d <= c->today; d++)
        if (!duty || p->day_start[d + 1] <= c->asof)
            days_w++;
    days_s = !duty || p->day_start[c->today + 1] <= c->asof;
    /* The days not over yet, today's unless lost already: today and the ones after it
     * (day_start[today] <= asof < day_start[today + 1]), none once the period is over.
     * Counted, not looped: this runs every minute over a year's days. */
    if (p->day_start[c->today + 1] > c->asof)
        open = p->ndays - c->today - (lost_today ? 1 : 0);
    j->projection =
        (double)(r->days - (int)r->nlost) - (days_w > 0 ? (double)open * lost_w / days_w : 0.0);

    if (t == NULL)
        return (double)(r->days - (int)r->nlost);
    if (every_day(in, t, p))
        required = p->ndays;
    else if (t->has_lower && (t->unit[0] == '\0' || strcmp(t->unit, "day") == 0))
        required = t->lower_inclusive ? ceil(t->lower) : floor(t->lower) + 1;
    if (!isnan(required)) {
        allowed = (double)p->ndays - required;
        j->has_budget = 1;
        j->budget_unit = "day";
        j->total = allowed;
        j->used = (double)r->nlost;
        j->left = allowed - (double)r->nlost;
        if (allowed > 0 && days_s > 0)
            j->burn_short = (double)lost_today / allowed * p->ndays;
        if (allowed > 0 && days_w > 0)
            j->burn_long = (double)lost_w / days_w / allowed * p->ndays;
    }
    return (double)(r->days - (int)r->nlost); /* no further day lost */
}

/* The kinds whose value is a share or a count of known time, for the coverage floor. */
static int
rests_on_time(enum cfg_ind_kind k)
{
    return k == CFG_IND_BAND || k == CFG_IND_AVAILABILITY || k == CFG_IND_DOWNTIME ||
           k == CFG_IND_FAULT_RATE || k == CFG_IND_SUPPLY_DAYS || k == CFG_IND_DUTY_DAYS;
}

void
rpt_judge(const struct cfg_indicator *in, const struct eng *e, size_t ind,
          const struct eng_result *r, const struct rpt_period *p, struct rpt_judgement *j)
{
    struct rpt_judge_memo m;

    memset(&m, 0, sizeof(m)); /* nothing kept: summed afresh */
    rpt_judge_memo(in, e, ind, r, p, &m, j);
}

void
rpt_judge_memo(const struct cfg_indicator *in, const struct eng *e, size_t ind,
               const struct eng_result *r, const struct rpt_period *p, struct rpt_judge_memo *memo,
               struct rpt_judgement *j)
{
    const struct tgt *t = rpt_goal(in);
    struct course c;
    double best = NAN;
    int m;

    j->met = -1;
    j->status = RPT_NONE;
    j->has_budget = 0;
    j->budget_unit = NULL;
    j->method = NULL;
    j->total = j->used = j->left = NAN;
    j->burn_short = j->burn_long = j->projection = j->share = NAN;
    read_course(e, ind, p, memo, &c);

    switch (in->kind) {
    case CFG_IND_BAND:
    case CFG_IND_AVAILABILITY:
    case CFG_IND_FAULT_RATE:
        best = course_rate(in, t, r, &c, j);
        break;
    case CFG_IND_DOWNTIME:
        best = course_downtime(t, r, &c, j);
        break;
    case CFG_IND_SUPPLY_DAYS:
    case CFG_IND_DUTY_DAYS:
        best = course_days(in, t, r, p, &c, j);
        break;
    case CFG_IND_ENERGY:
        best = NAN; /* a counter says nothing about what is still to come */
        break;
    case CFG_IND_MTTR:
    case CFG_IND_MTTA:
    case CFG_IND_WITHIN:
    case CFG_IND_RESOLUTION_RATE:
    case CFG_IND_COUNT:
        break; /* not the engine's: rpt_inc_judge() */
    case CFG_IND_DELIVERY:
        /*
         * How many reports are still due this period is not known (devices come and go,
         * polls fail, the agent stops), so there is no budget and no projection. With enough
         * of them on time the rate comes as close to 100 % as one likes, but never reaches
         * it once a report was late: a target such as ">=99" is never lost before the period
         * ends, and "=100%" is lost by the first late report. At the period's end no report
         * is still due.
         */
        if (c.over)
            best = r->value;
        else
            best = r->late > 0 ? 100.0 - DELIVERY_BELOW_ALL : 100.0;
        break;
    }
    if (isnan(r->value))
        j->projection = NAN; /* nothing to project from */
    if (!isnan(j->projection))
        j->method = c.over ? "final" : RPT_LONG_WINDOW;

    if (t == NULL)
        return;
    if (every_day(in, t, p))
        j->met = isnan(r->value) ? -1 : r->value == p->ndays;
    else
        j->met = rpt_meets(in, t, r->value);
    if (isnan(r->value) && c.asof - c.start < RPT_GRACE_MS)
        return; /* not judged yet */
    if (meets_goal(in, t, p, best) == 0)
        j->status = RPT_LOST;
    else if ((m = meets_goal(in, t, p, j->projection)) >= 0)
        j->status = m ? RPT_OK : RPT_AT_RISK;
    else
        j->status = j->met == 1 ? RPT_OK : RPT_AT_RISK;
    /* Not in the period's first hour: the first samples' minute would read as thin. */
    if (j->status != RPT_LOST && in->coverage_floor > 0 && rests_on_time(in->kind) &&
        c.asof - c.start >= RPT_GRACE_MS && !(r->coverage >= in->coverage_floor)) {
        j->met = -1;
        j->status = RPT_UNVERIFIED;
    }
}

const char *
rpt_status_name(enum rpt_status st)
{
    switch (st) {
    case RPT_OK:
        return "ok";
    case RPT_AT_RISK:
        return "at_risk";
    case RPT_LOST:
        return "lost";
    case RPT_UNVERIFIED:
        return "unverified";
    case RPT_NONE:
        break;
    }
    return NULL;
}
