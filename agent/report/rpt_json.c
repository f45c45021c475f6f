/*
 * rpt_json.c - the indicators, their targets and evidence as JSON (see rpt_json.h).
 */
#include "report/rpt_json.h"

#include <math.h>
#include <string.h>

#include "rw_calendar.h"

#define EXACT_INT_MAX 9007199254740992.0 /* 2^53 */

static json_t *ms_round(double s);
static json_t *day_list(const struct rpt_period *p, const int *days, size_t n);
static json_t *evidence(const struct rw_config *cfg, const struct cfg_indicator *in,
                        const struct eng_result *r, const struct rpt_period *p);
static void course(json_t *o, const struct rpt_judgement *j);

json_t *
rpt_num(double v)
{
    if (isnan(v))
        return json_null();
    if (v == floor(v) && fabs(v) < EXACT_INT_MAX)
        return json_integer((json_int_t)v);
    return json_real(v);
}

json_t *
rpt_secs(int64_t ms)
{
    if (ms % 1000 == 0)
        return json_integer((json_int_t)(ms / 1000));
    return json_real((double)ms / 1000.0);
}

/* Seconds measured to the millisecond (latencies), rounded there; NaN as null. */
static json_t *
ms_round(double s)
{
    return rpt_num(round(s * 1000.0) / 1000.0);
}

static json_t *
day_list(const struct rpt_period *p, const int *days, size_t n)
{
    json_t *a = json_array();
    char buf[16];

    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(rw_calendar_date(p->tz, p->day_start[days[i]], buf,
                                                              sizeof(buf))));
    return a;
}

/* budget, burn and projection: null where rpt_judge() found none. */
static void
course(json_t *o, const struct rpt_judgement *j)
{
    json_t *b = json_null(), *burn = json_null(), *pr = json_null();

    if (j->has_budget) {
        b = json_object();
        json_object_set_new(b, "total", rpt_num(j->total));
        json_object_set_new(b, "used", rpt_num(j->used));
        json_object_set_new(b, "left", rpt_num(j->left));
        json_object_set_new(b, "unit", json_string(j->budget_unit));
        burn = json_object();
        json_object_set_new(burn, "short", rpt_num(j->burn_short));
        json_object_set_new(burn, "long", rpt_num(j->burn_long));
        json_object_set_new(burn, "short_window", json_string(RPT_SHORT_WINDOW));
        json_object_set_new(burn, "long_window", json_string(RPT_LONG_WINDOW));
    }
    if (j->method != NULL) {
        pr = json_object();
        json_object_set_new(pr, "value", rpt_num(j->projection));
        json_object_set_new(pr, "method", json_string(j->method));
    }
    json_object_set_new(o, "budget", b);
    json_object_set_new(o, "burn", burn);
    json_object_set_new(o, "projection", pr);
}

static json_t *
evidence(const struct rw_config *cfg, const struct cfg_indicator *in, const struct eng_result *r,
         const struct rpt_period *p)
{
    json_t *ev = json_object();
    char a[RW_CAL_TIME_LEN], b[RW_CAL_TIME_LEN];

    switch (in->kind) {
    case CFG_IND_BAND: {
        json_t *pp = json_object();

        json_object_set_new(ev, "in_s", rpt_secs(r->band.in_ms));
        json_object_set_new(ev, "out_s", rpt_secs(r->band.out_ms));
        json_object_set_new(ev, "unknown_s", rpt_secs(r->band.unknown_ms));
        json_object_set_new(ev, "not_assessed_s", rpt_secs(r->band.not_assessed_ms));
        json_object_set_new(ev, "coverage", rpt_num(r->coverage));
        json_object_set_new(ev, "lowest", rpt_num(r->band.lowest));
        json_object_set_new(ev, "highest", rpt_num(r->band.highest));
        for (size_t k = 0; k < r->nper_point && k < in->npoints; k++) {
            const struct eng_band_ev *e = &r->per_point[k];
            const struct cfg_device *d = &cfg->devices[in->points[k].device];
            const struct cfg_point *pt =
                &cfg->profiles[d->profile].points[in->points[k].point];
            json_t *o = json_object();
            char name[2 * CFG_ID_MAX];

            snprintf(name, sizeof(name), "%s.%s", d->id, pt->name);
            json_object_set_new(o, "in_s", rpt_secs(e->in_ms));
            json_object_set_new(o, "out_s", rpt_secs(e->out_ms));
            json_object_set_new(o, "unknown_s", rpt_secs(e->unknown_ms));
            json_object_set_new(o, "not_assessed_s", rpt_secs(e->not_assessed_ms));
            json_object_set_new(o, "lowest", rpt_num(e->lowest));
            json_object_set_new(o, "highest", rpt_num(e->highest));
            json_object_set_new(pp, name, o);
        }
        json_object_set_new(ev, "per_point", pp);
        break;
    }
    case CFG_IND_SUPPLY_DAYS: {
        json_t *it = json_object(), *list = json_array();

        json_object_set_new(ev, "lost_days", day_list(p, r->lost, r->nlost));
        json_object_set_new(ev, "unverified_days", day_list(p, r->unverified, r->nunverified));
        json_object_set_new(it, "count", json_integer((json_int_t)r->ninterruptions));
        json_object_set_new(it, "total_s", rpt_secs(r->interrupted_ms));
        json_object_set_new(it, "total_min", rpt_num((double)r->interrupted_ms / 60000.0));
        json_object_set_new(it, "longest_s", rpt_secs(r->longest_ms));
        for (size_t k = 0; k < r->nlist; k++) {
            json_t *o = json_object();

            json_object_set_new(o, "start",
                                json_string(rw_calendar_rfc3339(p->tz, r->list[k].start, a,
                                                                sizeof(a))));
            json_object_set_new(o, "end", json_string(rw_calendar_rfc3339(p->tz, r->list[k].end,
                                                                          b, sizeof(b))));
            json_object_set_new(o, "seconds", rpt_secs(r->list[k].end - r->list[k].start));
            json_array_append_new(list, o);
        }
        json_object_set_new(it, "list", list);
        json_object_set_new(ev, "interruptions", it);
        json_object_set_new(ev, "supplied_s", rpt_secs(r->up_ms));
        json_object_set_new(ev, "interrupted_s", rpt_secs(r->down_ms));
        json_object_set_new(ev, "unknown_s", rpt_secs(r->unknown_ms));
        json_object_set_new(ev, "coverage", rpt_num(r->coverage));
        break;
    }
    case CFG_IND_AVAILABILITY:
    case CFG_IND_DOWNTIME:
    case CFG_IND_FAULT_RATE:
        json_object_set_new(ev, "up_s", rpt_secs(r->up_ms));
        json_object_set_new(ev, "down_s", rpt_secs(r->down_ms));
        json_object_set_new(ev, "unknown_s", rpt_secs(r->unknown_ms));
        json_object_set_new(ev, "coverage", rpt_num(r->coverage));
        break;
    case CFG_IND_DUTY_DAYS:
        json_object_set_new(ev, "not_on_duty_days", day_list(p, r->lost, r->nlost));
        json_object_set_new(ev, "monitored_s", rpt_secs(r->up_ms));
        json_object_set_new(ev, "unknown_s", rpt_secs(r->unknown_ms));
        json_object_set_new(ev, "duty_share", rpt_num(in->duty_share));
        json_object_set_new(ev, "coverage", rpt_num(r->coverage));
        break;
    case CFG_IND_ENERGY:
        json_object_set_new(ev, "kwh", rpt_num(r->kwh));
        json_object_set_new(ev, "resets", json_integer((json_int_t)r->resets));
        break;
    case CFG_IND_DELIVERY:
        json_object_set_new(ev, "due", json_integer((json_int_t)r->due));
        json_object_set_new(ev, "on_time", json_integer((json_int_t)r->on_time));
        json_object_set_new(ev, "late", json_integer((json_int_t)r->late));
        json_object_set_new(ev, "deadline_s", rpt_num(in->deadline));
        json_object_set_new(ev, "acked", json_integer((json_int_t)r->acked));
        json_object_set_new(ev, "latency_min_s", ms_round(r->latency_min));
        json_object_set_new(ev, "latency_mean_s", ms_round(r->latency_mean));
        json_object_set_new(ev, "latency_max_s", ms_round(r->latency_max));
        break;
    case CFG_IND_MTTR:
    case CFG_IND_MTTA:
    case CFG_IND_WITHIN:
    case CFG_IND_RESOLUTION_RATE:
    case CFG_IND_COUNT:
        break; /* not the engine's: rpt_inc.c */
    }
    return ev;
}

json_t *
rpt_indicator(const struct rw_config *cfg, const struct cfg_indicator *in,
              const struct eng_result *r, const struct rpt_judgement *j,
              const struct rpt_period *p)
{
    json_t *o = rpt_head(in, r->value, j);

    json_object_set_new(o, "evidence", evidence(cfg, in, r, p));
    return o;
}

json_t *
rpt_head(const struct cfg_indicator *in, double value, const struct rpt_judgement *j)
{
    json_t *o = json_object();
    const char *sn = rpt_status_name(j->status);

    json_object_set_new(o, "id", json_string(in->id));
    json_object_set_new(o, "name", json_string(in->name));
    json_object_set_new(o, "category", in->category ? json_string(in->category) : json_null());
    json_object_set_new(o, "subcategory",
                        in->subcategory ? json_string(in->subcategory) : json_null());
    json_object_set_new(o, "kind", json_string(cfg_ind_kind_name(in->kind)));
    json_object_set_new(o, "value", rpt_num(value));
    json_object_set_new(o, "unit", json_string(cfg_ind_kind_unit(in->kind)));
    json_object_set_new(o, "target", in->target_text ? json_string(in->target_text) : json_null());
    if (in->rule_text != NULL)
        json_object_set_new(o, "rule", json_string(in->rule_text));
    json_object_set_new(o, "met", j->met < 0 ? json_null() : json_boolean(j->met));
    json_object_set_new(o, "status", sn ? json_string(sn) : json_null());
    course(o, j);
    return o;
}

json_t *
rpt_period_json(const struct rpt_period *p)
{
    json_t *period = json_object();
    char a[RW_CAL_TIME_LEN], b[RW_CAL_TIME_LEN];

    json_object_set_new(period, "start",
                        json_string(rw_calendar_rfc3339(p->tz, p->day_start[0], a, sizeof(a))));
    json_object_set_new(period, "end", json_string(rw_calendar_rfc3339(
                                           p->tz, p->day_start[p->ndays], b, sizeof(b))));
    json_object_set_new(period, "days", json_integer(p->ndays));
    return period;
}

json_t *
rpt_report(const struct rw_config *cfg, struct eng *e, const struct rpt_period *p)
{
    json_t *doc = json_object(), *inds = json_array();

    json_object_set_new(doc, "period", rpt_period_json(p));
    for (size_t i = 0; i < cfg->nindicators; i++) {
        const struct eng_result *r = eng_result(e, i);
        struct rpt_judgement j;

        rpt_judge(&cfg->indicators[i], e, i, r, p, &j);
        json_array_append_new(inds, rpt_indicator(cfg, &cfg->indicators[i], r, &j, p));
    }
    json_object_set_new(doc, "indicators", inds);
    return doc;
}
