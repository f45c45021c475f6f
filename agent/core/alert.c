/*
 * alert.c - the core's alerts (see alert.h): one rpt_alert state per indicator with a target
 * (the engine's, then the incident indicators), their changes kept, told and published.
 */
#include "core/alert.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "engine/eng.h"
#include "engine/incstat.h"
#include "report/rpt_alert.h"
#include "report/rpt_inc.h"
#include "report/rpt_judge.h"
#include "report/rpt_json.h"
#include "rw_calendar.h"
#include "rw_log.h"
#include "store/store.h"

struct alerts {
    const struct rw_config *cfg;
    struct store *store;
    const struct core_out *out;
    struct indset_period per;
    char period[16];
    size_t n;              /* engine indicators, then incident indicators */
    struct rpt_alert **st; /* NULL: no target */
    int store_failing, pub_pending;
    struct rpt_judge_memo *memo; /* per engine indicator (rpt_judge_memo()) */
};

static const struct cfg_indicator *
ind_at(const struct alerts *a, size_t i)
{
    return i < a->cfg->nindicators ? &a->cfg->indicators[i]
                                   : &a->cfg->inc_indicators[i - a->cfg->nindicators];
}

/* The indicator's conf: the period's defaults, overridden by its alert group. */
static void
conf_of(const struct cfg_indicator *in, int64_t period_ms, struct rpt_alert_conf *c)
{
    rpt_alert_defaults(period_ms, c);
    if (in->alert_set & CFG_ALERT_TIERS) {
        c->ntiers = in->alert_ntiers;
        for (size_t k = 0; k < c->ntiers; k++) {
            c->tier[k].long_ms = llround(in->alert_tier[k][0] * 1000.0);
            c->tier[k].short_ms = llround(in->alert_tier[k][1] * 1000.0);
            c->tier[k].burn = in->alert_tier[k][2];
        }
    }
    if (in->alert_set & CFG_ALERT_HOLD)
        c->hold_ms = llround(in->alert_hold * 1000.0);
    if (in->alert_set & CFG_ALERT_MIN_INTERVAL)
        c->min_interval_ms = llround(in->alert_min_interval * 1000.0);
    if (in->alert_set & CFG_ALERT_LEFT_LOW)
        c->left_low_ms = llround(in->alert_left_low * 1000.0);
    if (in->alert_set & CFG_ALERT_CLEAR_RATIO)
        c->clear_ratio = in->alert_clear_ratio;
}

static enum rpt_alert_state
state_named(const char *s)
{
    for (enum rpt_alert_state k = RPT_ALERT_OK; k <= RPT_ALERT_LOST; k++)
        if (strcmp(s, rpt_alert_state_name(k)) == 0)
            return k;
    return RPT_ALERT_NONE;
}

struct alerts *
alerts_new(const struct rw_config *cfg, struct store *store, const struct core_out *out,
           const struct indset_period *per)
{
    struct alerts *a = calloc(1, sizeof(*a));
    int64_t period_ms = per->day_start[per->ndays] - per->day_start[0];

    if (a == NULL)
        return NULL;
    a->cfg = cfg;
    a->store = store;
    a->out = out;
    a->per = *per;
    indset_period_name(per, a->period, sizeof(a->period));
    a->n = cfg->nindicators + cfg->ninc_indicators;
    a->st = calloc(a->n + 1, sizeof(*a->st));
    a->memo = calloc(cfg->nindicators + 1, sizeof(*a->memo));
    if (a->st == NULL || a->memo == NULL) {
        free(a->st);
        free(a->memo);
        free(a);
        return NULL;
    }
    for (size_t i = 0; i < a->n; i++) {
        const struct cfg_indicator *in = ind_at(a, i);
        struct rpt_alert_conf c;
        char last[16];
        int64_t at;

        if (rpt_goal(in) == NULL)
            continue;
        conf_of(in, period_ms, &c);
        if ((a->st[i] = rpt_alert_new(&c)) == NULL) {
            alerts_free(a);
            return NULL;
        }
        if (store_alert_last(store, in->id, a->period, last, sizeof(last), &at) == 1)
            rpt_alert_resume(a->st[i], state_named(last), at);
    }
    a->pub_pending = 1; /* what an earlier run could not publish */
    return a;
}

/*
 * The image: ALERTS_MAGIC, version, count, then per state the indicator's id and its
 * rpt_alert image, each behind its length (uint32). By id, so that an indicator added or
 * removed in the config leaves the others' states alone.
 */
#define ALERTS_MAGIC 0x52574154u /* "RWAT" */
#define ALERTS_VERSION 1u

int
alerts_snapshot(const struct alerts *a, void **buf, size_t *len)
{
    uint32_t hdr[3] = {ALERTS_MAGIC, ALERTS_VERSION, 0};
    void **img = calloc(a->n + 1, sizeof(*img));
    size_t *ilen = calloc(a->n + 1, sizeof(*ilen));
    size_t total = sizeof(hdr), i;
    char *p = NULL, *q;
    int rc = -1;

    if (img == NULL || ilen == NULL)
        goto out;
    for (i = 0; i < a->n; i++) {
        if (a->st[i] == NULL)
            continue;
        if (rpt_alert_snapshot(a->st[i], &img[i], &ilen[i]) < 0)
            goto out;
        total += 2 * sizeof(uint32_t) + strlen(ind_at(a, i)->id) + ilen[i];
        hdr[2]++;
    }
    if ((p = q = malloc(total)) == NULL)
        goto out;
    memcpy(q, hdr, sizeof(hdr));
    q += sizeof(hdr);
    for (i = 0; i < a->n; i++) {
        const char *id = ind_at(a, i)->id;
        uint32_t l[2] = {(uint32_t)strlen(id), (uint32_t)ilen[i]};

        if (a->st[i] == NULL)
            continue;
        memcpy(q, &l[0], sizeof(l[0]));
        memcpy(q + sizeof(l[0]), id, l[0]);
        q += sizeof(l[0]) + l[0];
        memcpy(q, &l[1], sizeof(l[1]));
        memcpy(q + sizeof(l[1]), img[i], l[1]);
        q += sizeof(l[1]) + l[1];
    }
    *buf = p;
    *len = total;
    rc = 0;
out:
    for (i = 0; img != NULL && i < a->n; i++)
        free(img[i]);
    free(img);
    free(ilen);
    if (rc < 0)
        errno = ENOMEM;
    return rc;
}

/* The length-prefixed field at *off of an image of len bytes: 0 and *p, *n; -1 if cut. */
static int
field(const char *buf, size_t len, size_t *off, const char **p, uint32_t *n)
{
    if (len - *off < sizeof(*n))
        return -1;
    memcpy(n, buf + *off, sizeof(*n));
    *off += sizeof(*n);
    if (len - *off < *n)
        return -1;
    *p = buf + *off;
    *off += *n;
    return 0;
}

int
alerts_restore(struct alerts *a, const void *buf, size_t len)
{
    uint32_t hdr[3], n, ilen;
    size_t off = sizeof(hdr), taken = 0;
    const char *id, *img;

    if (len < sizeof(hdr))
        return -1;
    memcpy(hdr, buf, sizeof(hdr));
    if (hdr[0] != ALERTS_MAGIC || hdr[1] != ALERTS_VERSION)
        return -1;
    for (uint32_t k = 0; k < hdr[2]; k++) {
        if (field(buf, len, &off, &id, &n) < 0 || field(buf, len, &off, &img, &ilen) < 0)
            return -1;
        for (size_t i = 0; i < a->n; i++) {
            const struct cfg_indicator *in = ind_at(a, i);
            char last[16];
            int64_t at;

            if (a->st[i] == NULL || strlen(in->id) != n || memcmp(in->id, id, n) != 0)
                continue;
            if (rpt_alert_restore(a->st[i], img, ilen) < 0)
                break; /* another conf: resumed from its last alert alone (alerts_new()) */
            taken++;
            /* An alert raised after the checkpoint (the daemon was killed between the two)
             * is not announced again. */
            if (store_alert_last(a->store, in->id, a->period, last, sizeof(last), &at) == 1 &&
                at > rpt_alert_last(a->st[i]))
                rpt_alert_resume(a->st[i], state_named(last), at);
            break;
        }
    }
    return taken == hdr[2] ? 0 : 1;
}

void
alerts_free(struct alerts *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n; i++)
        rpt_alert_free(a->st[i]);
    free(a->st);
    free(a->memo);
    free(a);
}

/* A budget in its unit, for people: "3.2 天" / "3.2 days", hours or minutes when small. */
static void
amount(char *buf, size_t len, double v, const char *unit, int en)
{
    double s = strcmp(unit, "s") == 0 ? v : strcmp(unit, "h") == 0 ? v * 3600.0 : NAN;

    if (strcmp(unit, "day") == 0)
        snprintf(buf, len, en ? "%.0f days" : "%.0f 天", v);
    else if (isnan(s))
        snprintf(buf, len, "%.4g %s", v, unit);
    else if (fabs(s) >= 86400.0)
        snprintf(buf, len, en ? "%.1f days" : "%.1f 天", s / 86400.0);
    else if (fabs(s) >= 3600.0)
        snprintf(buf, len, en ? "%.1f hours" : "%.1f 小时", s / 3600.0);
    else
        snprintf(buf, len, en ? "%.0f minutes" : "%.0f 分钟", s / 60.0);
}

/*
 * The sentence a person on duty reads: what the indicator is, what its budget and course
 * say, and what that means for the period's target.
 */
static char *
explain(const struct alerts *a, const struct cfg_indicator *in, const struct rpt_judgement *j,
        enum rpt_alert_state to, double coverage, int64_t m)
{
    int en = a->cfg->site.english, month = a->per.month != 0;
    const char *tgt = in->target_text != NULL ? in->target_text : "";
    const char *pw = en ? (month ? "this month" : "this year") : (month ? "本月" : "本年");
    const char *tw = en ? (month ? "the month's target" : "the year's target")
                        : (month ? "月度目标" : "年度目标");
    char b[1024], left[64], course[256] = "";
    int64_t end = a->per.day_start[a->per.ndays], start = a->per.day_start[0];

    if (j->has_budget && !isnan(j->left) && j->left > 0) {
        amount(left, sizeof(left), j->left, j->budget_unit, en);
        /* Burn 1 spends the budget exactly by the period's end: at burn b, left lasts
         * left / (b x total / period). */
        if (j->burn_long > 0 && j->total > 0 && strcmp(j->budget_unit, "day") != 0) {
            double secs = strcmp(j->budget_unit, "h") == 0 ? j->left * 3600.0 : j->left;
            double tot = strcmp(j->budget_unit, "h") == 0 ? j->total * 3600.0 : j->total;
            double when = (double)m + secs * 1000.0 / (j->burn_long * tot / (double)(end - start));
            char d[RW_CAL_TIME_LEN];

            if (when < (double)end) {
                rw_calendar_rfc3339(a->cfg->site.timezone, (int64_t)when, d, sizeof(d));
                /* "2025-11-20T...": month and day */
                if (en)
                    snprintf(course, sizeof(course), ", at the last 7 days' pace spent by %.10s",
                             d);
                else
                    snprintf(course, sizeof(course), "，按近 7 天速度将于 %d 月 %d 日用尽",
                             atoi(d + 5), atoi(d + 8));
            }
        }
    } else {
        left[0] = '\0';
    }
    switch (to) {
    case RPT_ALERT_LOST:
        snprintf(b, sizeof(b), en ? "%s: %s %s can no longer be met" : "%s：%s %s 已无法达成",
                 in->name, tw, tgt);
        break;
    case RPT_ALERT_UNVERIFIED:
        snprintf(
            b, sizeof(b),
            en ? "%s: only %.0f%% of the time so far is known, below the %.0f%% floor: "
                 "the value cannot show that %s %s is met"
               : "%s：目前仅 %.0f%% 的时间有数据，低于 %.0f%% 的覆盖下限，不能据此认定%s %s 达成",
            in->name, coverage * 100.0, in->coverage_floor * 100.0, tw, tgt);
        break;
    case RPT_ALERT_OK:
        if (left[0] != '\0')
            snprintf(b, sizeof(b),
                     en ? "%s: back on course, %s left %s, %s %s within reach"
                        : "%s：已恢复，%s剩余预算 %s，%s %s 可达成",
                     in->name, en ? left : pw, en ? pw : left, tw, tgt);
        else
            snprintf(b, sizeof(b), en ? "%s: back on course for %s %s" : "%s：已恢复，%s %s 可达成",
                     in->name, tw, tgt);
        break;
    default:
        if (!isnan(j->left) && j->has_budget && strcmp(j->budget_unit, "s") == 0 &&
            in->kind >= CFG_IND_FIRST_INCIDENT)
            snprintf(b, sizeof(b),
                     en ? "%s: the open incident may last %.0f more minutes before %s %s is lost"
                        : "%s：当前故障还剩 %.0f 分钟，超出则%s %s 无法达成",
                     in->name, j->left / 60.0, tw, tgt);
        else if (left[0] != '\0')
            snprintf(b, sizeof(b),
                     en ? "%s: %s of budget left %s%s; %s %s is at risk%s"
                        : "%s %s剩余预算 %s%s，%s %s 有风险%s",
                     in->name, en ? left : pw, en ? pw : left, course, tw, tgt,
                     to == RPT_ALERT_FAST_BURN ? (en ? " (fast burn)" : "（预算快速消耗）") : "");
        else
            snprintf(b, sizeof(b), en ? "%s: %s %s is at risk" : "%s：%s %s 有风险", in->name, tw,
                     tgt);
        break;
    }
    return strdup(b);
}

static json_t *
ms_time(const struct alerts *a, int64_t t)
{
    char buf[RW_CAL_TIME_LEN];

    return json_string(rw_calendar_rfc3339(a->cfg->site.timezone, t, buf, sizeof(buf)));
}

/* The alert's document, as published and kept. */
static json_t *
alert_doc(const struct alerts *a, const struct cfg_indicator *in, const struct rpt_alert *st,
          const struct rpt_alert_change *ch, const struct rpt_judgement *j, double value,
          double coverage, double time_left_s)
{
    json_t *d = json_object(), *burn = json_object(), *tiers = json_array(), *bud;
    char id[CFG_ID_MAX + 32];
    char *why;
    const struct rpt_alert_conf *c = rpt_alert_conf(st);

    snprintf(id, sizeof(id), "%s@%lld", in->id, (long long)ch->t);
    json_object_set_new(d, "id", json_string(id));
    json_object_set_new(d, "indicator", json_string(in->id));
    json_object_set_new(d, "name", json_string(in->name));
    json_object_set_new(d, "category", in->category ? json_string(in->category) : json_null());
    json_object_set_new(d, "state", json_string(rpt_alert_state_name(ch->to)));
    json_object_set_new(d, "previous", json_string(rpt_alert_state_name(ch->from)));
    json_object_set_new(d, "what", json_string(ch->kind));
    json_object_set_new(d, "at", ms_time(a, ch->t));
    json_object_set_new(d, "period", json_string(a->period));
    json_object_set_new(d, "value", rpt_num(value));
    json_object_set_new(d, "unit", json_string(cfg_ind_kind_unit(in->kind)));
    json_object_set_new(d, "target", json_string(in->target_text));
    if (j->has_budget) {
        bud = json_object();
        json_object_set_new(bud, "total", rpt_num(j->total));
        json_object_set_new(bud, "left", rpt_num(j->left));
        json_object_set_new(bud, "unit", json_string(j->budget_unit));
        json_object_set_new(d, "budget", bud);
    } else {
        json_object_set_new(d, "budget", json_null());
    }
    json_object_set_new(burn, "short", rpt_num(j->burn_short));
    json_object_set_new(burn, "long", rpt_num(j->burn_long));
    for (size_t k = 0; k < ch->ntiers; k++) {
        json_t *t = json_object();

        json_object_set_new(t, "long_s", json_integer(c->tier[k].long_ms / 1000));
        json_object_set_new(t, "short_s", json_integer(c->tier[k].short_ms / 1000));
        json_object_set_new(t, "threshold", json_real(c->tier[k].burn));
        json_object_set_new(t, "long", rpt_num(ch->burn_long[k]));
        json_object_set_new(t, "short", rpt_num(ch->burn_short[k]));
        json_array_append_new(tiers, t);
    }
    /* The tiers only where they apply: a rate's or a downtime's budget. */
    if (in->kind == CFG_IND_BAND || in->kind == CFG_IND_AVAILABILITY ||
        in->kind == CFG_IND_FAULT_RATE || in->kind == CFG_IND_DOWNTIME)
        json_object_set_new(burn, "tiers", tiers);
    else
        json_decref(tiers);
    json_object_set_new(burn, "fired", ch->tier >= 0 ? json_integer(ch->tier) : json_null());
    json_object_set_new(d, "burn", burn);
    json_object_set_new(d, "projection", rpt_num(j->projection));
    json_object_set_new(d, "time_left_s", rpt_num(time_left_s));
    json_object_set_new(d, "coverage", rpt_num(coverage));
    why = explain(a, in, j, ch->to, coverage, ch->t);
    json_object_set_new(d, "explanation", why != NULL ? json_string(why) : json_null());
    free(why);
    return d;
}

static void
publish_one(struct alerts *a, const char *indicator, const char *doc, int64_t id)
{
    const struct store_pubmark mark = {STORE_PUB_ALERT, id};
    char topic[CFG_ID_MAX + 16];

    if (a->out == NULL || a->out->publish == NULL)
        return; /* replay: kept, nothing to publish to */
    snprintf(topic, sizeof(topic), "alert/%s", indicator);
    if (core_out_publish(a->out, topic, doc, 1, 0, &mark) != 0)
        a->pub_pending = 1; /* refused (counted and logged): again at the next tick */
}

/* Keeps and publishes one change. */
static void
record(struct alerts *a, const struct cfg_indicator *in, const struct rpt_alert *st,
       const struct rpt_alert_change *ch, const struct rpt_judgement *j, double value,
       double coverage, double time_left_s)
{
    json_t *d = alert_doc(a, in, st, ch, j, value, coverage, time_left_s);
    char *txt = d != NULL ? json_dumps(d, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    struct store_alert sa;
    int64_t id;

    json_decref(d);
    if (txt == NULL) {
        log_err("alerts: out of memory for the alert of %s", in->id);
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.indicator = in->id;
    sa.period = a->period;
    sa.at = ch->t;
    sa.state = rpt_alert_state_name(ch->to);
    sa.previous = rpt_alert_state_name(ch->from);
    sa.what = ch->kind;
    sa.value = value;
    sa.target = in->target_text;
    sa.budget_left = j->has_budget ? j->left : NAN;
    sa.budget_unit = j->has_budget ? j->budget_unit : NULL;
    sa.burn_short = j->burn_short;
    sa.burn_long = j->burn_long;
    sa.projection = j->projection;
    sa.time_left = time_left_s;
    sa.coverage = coverage;
    sa.doc = txt;
    if (store_alert_add(a->store, &sa, &id) < 0) {
        if (!a->store_failing)
            log_err("alerts: cannot keep the alert of %s (%s -> %s): %s", in->id, sa.previous,
                    sa.state, errno == EIO ? store_errmsg(a->store) : strerror(errno));
        a->store_failing = 1;
        free(txt);
        return;
    }
    a->store_failing = 0;
    log_notice("alerts: %s %s -> %s", in->id, sa.previous, sa.state);
    publish_one(a, in->id, txt, id);
    free(txt);
}

void
alerts_eval(struct alerts *a, struct eng *e, const struct ist_result *ires, int64_t m)
{
    struct rpt_period per = {a->cfg->site.timezone, a->per.ndays, a->per.day_start};
    struct rpt_alert_change ch;
    struct rpt_alert_obs o;
    struct rpt_judgement j;

    for (size_t i = 0; i < a->cfg->nindicators; i++) {
        const struct cfg_indicator *in = &a->cfg->indicators[i];
        const struct eng_result *r;

        if (a->st[i] == NULL)
            continue;
        r = eng_result(e, i);
        rpt_judge_memo(in, e, i, r, &per, &a->memo[i], &j);
        rpt_alert_observe(in, r, &j, m, &o);
        if (rpt_alert_step(a->st[i], &o, &ch))
            record(a, in, a->st[i], &ch, &j, r->value, r->coverage, NAN);
    }
    if (ires == NULL)
        return;
    for (size_t i = 0; i < a->cfg->ninc_indicators; i++) {
        const struct cfg_indicator *in = &a->cfg->inc_indicators[i];
        struct rpt_alert *st = a->st[a->cfg->nindicators + i];

        if (st == NULL)
            continue;
        rpt_inc_judge(in, &ires[i], &per, m, &j);
        rpt_alert_observe_inc(in, &j, m, &o);
        if (rpt_alert_step(st, &o, &ch))
            record(a, in, st, &ch, &j, ires[i].value, NAN,
                   isnan(o.left_ms) ? NAN : o.left_ms / 1000.0);
    }
}

struct repub {
    struct alerts *a;
    int64_t ids[64];
    char *docs[64], *inds[64];
    size_t n;
};

static int
collect(const struct store_alert *sa, void *arg)
{
    struct repub *r = arg;

    r->ids[r->n] = sa->id;
    r->docs[r->n] = strdup(sa->doc);
    r->inds[r->n] = strdup(sa->indicator);
    r->n++;
    return r->n == 64;
}

void
alerts_tick(struct alerts *a)
{
    struct repub r;

    if (!a->pub_pending || a->out == NULL || a->out->publish == NULL)
        return;
    a->pub_pending = 0;
    r.a = a;
    r.n = 0;
    if (store_alert_each(a->store, INT64_MIN, INT64_MAX, 1, collect, &r) < 0)
        a->pub_pending = 1;
    for (size_t i = 0; i < r.n; i++) {
        if (r.docs[i] != NULL && r.inds[i] != NULL)
            publish_one(a, r.inds[i], r.docs[i], r.ids[i]);
        free(r.docs[i]);
        free(r.inds[i]);
    }
    if (r.n == 64)
        a->pub_pending = 1;
}

static int
take_doc(const struct store_alert *sa, void *arg)
{
    json_t *d = json_loads(sa->doc, 0, NULL);

    if (d == NULL || json_array_append_new(arg, d) != 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

json_t *
alerts_list(struct store *s, int64_t from, int64_t to)
{
    json_t *l = json_array();

    if (l == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    if (store_alert_each(s, from, to, 0, take_doc, l) != 0) {
        json_decref(l);
        return NULL;
    }
    return l;
}
