/*
 * rpt_inc.c - the incident indicators' judgement and JSON (see rpt_inc.h).
 */
#include "report/rpt_inc.h"

#include <math.h>
#include <string.h>

#include "report/rpt_json.h"
#include "rw_calendar.h"

#define LIST_MAX 1000 /* items listed in the evidence (all are counted) */

static json_t *when(const char *tz, int64_t t);
static int upper_ms(const struct cfg_indicator *in, const struct tgt *t, double *out);
static void judge_mean(const struct cfg_indicator *in, const struct tgt *t,
                       const struct ist_result *r, struct rpt_judgement *j);
static void judge_count(const struct cfg_indicator *in, const struct tgt *t,
                        const struct ist_result *r, const struct rpt_period *p, int64_t now,
                        struct rpt_judgement *j);

static json_t *
when(const char *tz, int64_t t)
{
    char buf[RW_CAL_TIME_LEN];

    return t != 0 ? json_string(rw_calendar_rfc3339(tz, t, buf, sizeof(buf))) : json_null();
}

/* The target's upper bound as a time, ms: 0 and *out, or -1 if it has none. */
static int
upper_ms(const struct cfg_indicator *in, const struct tgt *t, double *out)
{
    double h;

    if (!t->has_upper)
        return -1;
    if (tgt_convert(t->upper, t->unit[0] != '\0' ? t->unit : cfg_ind_kind_unit(in->kind), "h",
                    &h) != TGT_OK)
        return -1;
    *out = h * 3600000.0;
    return 0;
}

/* mttr, mtta: a mean (or a longest) under an upper bound, with the open incidents' time. */
static void
judge_mean(const struct cfg_indicator *in, const struct tgt *t, const struct ist_result *r,
           struct rpt_judgement *j)
{
    double u;
    int is_max = in->kind == CFG_IND_MTTA && in->max;

    if (upper_ms(in, t, &u) != 0) {
        j->status = j->met == 0 ? RPT_LOST : RPT_OK;
        return;
    }
    j->has_budget = 1;
    j->budget_unit = "s";
    if (is_max) {
        j->total = u / 1000.0;
        j->used = (double)(r->max_ms > r->open_max_ms ? r->max_ms : r->open_max_ms) / 1000.0;
    } else {
        j->total = u * (double)(r->n + r->nopen) / 1000.0;
        j->used = (double)(r->sum_ms + r->open_sum_ms) / 1000.0;
    }
    j->left = j->total - j->used;
    if (j->met == 0 && r->nopen == 0)
        j->status = RPT_LOST; /* nothing open: the mean (or longest) stays as it is */
    else if (j->left < 0 || (is_max && j->met == 0))
        j->status = RPT_LOST;
    else if (r->nopen > 0)
        j->status = RPT_AT_RISK;
    else
        j->status = RPT_OK;
}

/* count: events and incidents only grow; an inventory is what the register says. */
static void
judge_count(const struct cfg_indicator *in, const struct tgt *t, const struct ist_result *r,
            const struct rpt_period *p, int64_t now, struct rpt_judgement *j)
{
    int64_t start = p->day_start[0], end = p->day_start[p->ndays];

    if (in->has_inventory) {
        j->status = j->met == 1 ? RPT_OK : RPT_AT_RISK;
        return;
    }
    if (t->has_upper && rpt_meets(in, t, r->value) == 0 &&
        (!t->has_lower || r->value > t->lower)) {
        j->status = RPT_LOST; /* above the bound, and a count never falls */
        return;
    }
    if (now > start) {
        j->projection = r->value * (double)(end - start) / (double)(now - start);
        j->method = "pace";
        /* "=12" with 6 by mid-year is on course; the projection is compared with the lower
         * bound only, since an exact target is reached, not passed, by a count on course. */
        if (t->has_lower && j->projection < t->lower - 1e-9 * fabs(t->lower)) {
            j->status = RPT_AT_RISK;
            return;
        }
    }
    j->status = j->met == 0 && !t->has_lower ? RPT_AT_RISK : RPT_OK;
}

void
rpt_inc_judge(const struct cfg_indicator *in, const struct ist_result *r,
              const struct rpt_period *p, int64_t now, struct rpt_judgement *j)
{
    const struct tgt *t = rpt_goal(in);
    int over = now >= p->day_start[p->ndays];
    double best;

    memset(j, 0, sizeof(*j));
    j->met = -1;
    j->status = RPT_NONE;
    j->total = j->used = j->left = NAN;
    j->burn_short = j->burn_long = j->projection = NAN;
    if (t == NULL)
        return;
    j->met = rpt_meets(in, t, r->value);
    switch (in->kind) {
    case CFG_IND_MTTR:
    case CFG_IND_MTTA:
        judge_mean(in, t, r, j);
        break;
    case CFG_IND_WITHIN:
        /* Every undecided incident answered now: on time. */
        best = r->on_time + r->late + r->pending > 0
                   ? (double)(r->on_time + r->pending) /
                         (double)(r->on_time + r->late + r->pending) * 100.0
                   : NAN;
        if (rpt_meets(in, t, best) == 0)
            j->status = RPT_LOST;
        else
            j->status = j->met == 0 ? RPT_AT_RISK : RPT_OK;
        break;
    case CFG_IND_RESOLUTION_RATE:
        j->status = j->met == 0 ? RPT_AT_RISK : RPT_OK;
        break;
    case CFG_IND_COUNT:
        judge_count(in, t, r, p, now, j);
        break;
    default:
        break;
    }
    if (over) {
        if (j->met >= 0)
            j->status = j->met ? RPT_OK : RPT_LOST;
        if (j->method != NULL) {
            j->projection = r->value;
            j->method = "final";
        }
    }
}

static json_t *
items(const struct cfg_indicator *in, const struct ist_result *r, const char *tz, int events)
{
    json_t *a = json_array();
    size_t listed = 0;

    for (size_t i = 0; i < r->nitems && listed < LIST_MAX; i++) {
        const struct ist_item *it = &r->items[i];
        json_t *o;
        const char *st;

        if (it->is_event != events)
            continue;
        o = json_object();
        json_object_set_new(o, "id", json_integer((json_int_t)it->id));
        listed++;
        if (events) {
            json_object_set_new(o, "at", when(tz, it->detected));
            json_array_append_new(a, o);
            continue;
        }
        st = ist_state_name(it->state);
        if (in->kind == CFG_IND_WITHIN && it->state == IST_S_COUNTED)
            st = "on_time";
        else if (in->kind == CFG_IND_RESOLUTION_RATE && it->state == IST_S_COUNTED)
            st = "resolved";
        json_object_set_new(o, "detected", when(tz, it->detected));
        json_object_set_new(o, "acknowledged", when(tz, it->acked));
        json_object_set_new(o, "resolved", when(tz, it->resolved));
        json_object_set_new(o, "duration_s", rpt_secs(it->duration_ms));
        json_object_set_new(o, "state", json_string(st));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *
evidence(const struct cfg_indicator *in, const struct ist_result *r, const struct rpt_period *p,
         const struct rpt_judgement *j)
{
    json_t *ev = json_object();
    size_t noresp = 0;

    for (size_t i = 0; i < r->nitems; i++)
        noresp += r->items[i].state == IST_S_NO_RESPONSE;
    switch (in->kind) {
    case CFG_IND_MTTR:
    case CFG_IND_MTTA:
        if (in->kind == CFG_IND_MTTA)
            json_object_set_new(ev, "aggregate", json_string(in->max ? "max" : "mean"));
        json_object_set_new(ev, in->kind == CFG_IND_MTTR ? "resolved" : "responded",
                            json_integer((json_int_t)r->n));
        json_object_set_new(ev, "open", json_integer((json_int_t)r->nopen));
        if (in->kind == CFG_IND_MTTA)
            json_object_set_new(ev, "no_response", json_integer((json_int_t)noresp));
        json_object_set_new(ev, "total_s", rpt_secs(r->sum_ms));
        json_object_set_new(ev, "longest_s", r->n > 0 ? rpt_secs(r->max_ms) : json_null());
        json_object_set_new(ev, "open_s", rpt_secs(r->open_sum_ms));
        /* How long the open incidents may still last before the target is lost. */
        json_object_set_new(ev, "left_s", r->nopen > 0 && j->has_budget ? rpt_num(j->left)
                                                                         : json_null());
        break;
    case CFG_IND_WITHIN:
        json_object_set_new(ev, "limit_s", rpt_num(in->limit));
        json_object_set_new(ev, "of", json_string(in->on_resolve ? "resolve" : "ack"));
        json_object_set_new(ev, "on_time", json_integer((json_int_t)r->on_time));
        json_object_set_new(ev, "late", json_integer((json_int_t)r->late));
        json_object_set_new(ev, "open", json_integer((json_int_t)r->pending));
        json_object_set_new(ev, "no_response", json_integer((json_int_t)noresp));
        break;
    case CFG_IND_RESOLUTION_RATE:
        json_object_set_new(ev, "detected", json_integer((json_int_t)r->detected));
        json_object_set_new(ev, "resolved", json_integer((json_int_t)r->resolved));
        json_object_set_new(ev, "unresolved",
                            json_integer((json_int_t)(r->detected - r->resolved)));
        break;
    case CFG_IND_COUNT:
        if (in->has_inventory) {
            json_object_set_new(ev, "inventory", rpt_num(in->inventory));
            json_object_set_new(ev, "source", json_string(in->source ? in->source : ""));
            return ev;
        }
        json_object_set_new(ev, "event", in->event ? json_string(in->event) : json_null());
        json_object_set_new(ev, "events", json_integer((json_int_t)r->events));
        json_object_set_new(ev, "event_list", items(in, r, p->tz, 1));
        json_object_set_new(ev, "incident_count", json_integer((json_int_t)r->incidents));
        break;
    default:
        break;
    }
    json_object_set_new(ev, "incidents", items(in, r, p->tz, 0));
    return ev;
}

json_t *
rpt_inc_indicator(const struct cfg_indicator *in, const struct ist_result *r,
                  const struct rpt_period *p, int64_t now)
{
    struct rpt_judgement j;
    json_t *o;

    rpt_inc_judge(in, r, p, now, &j);
    o = rpt_head(in, r->value, &j);
    json_object_set_new(o, "burn", json_null()); /* faults come when they come: no pace */
    json_object_set_new(o, "evidence", evidence(in, r, p, &j));
    return o;
}

void
rpt_inc_append(json_t *doc, const struct rw_config *cfg, const struct ist_result *res,
               const struct rpt_period *p, int64_t now)
{
    json_t *inds = json_object_get(doc, "indicators");

    for (size_t i = 0; i < cfg->ninc_indicators; i++)
        json_array_append_new(inds, rpt_inc_indicator(&cfg->inc_indicators[i], &res[i], p, now));
}
