/*
 * rep_doc.c - the self-evaluation document (see rep_doc.h).
 */
#include "rep_doc.h"
#include "rep_score.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/target.h"
#include "core/alert.h"
#include "core/core.h"
#include "core/incind.h"
#include "increc.h"
#include "report/rpt_inc.h"
#include "report/rpt_json.h"
#include "rw_calendar.h"

#define TOP_DAYS 3    /* days named in a deviation text */
#define TEXT_MAX 2048 /* a deviation text, bytes */

/* Everything one build needs. */
struct build {
    const struct rw_config *cfg;
    struct store *st;
    const struct indset_period *p;
    struct rpt_period per;
    enum rep_lang lang;
    int64_t now, as_of;
    int final; /* the period is over: its values are final */
    struct eng *e;
    struct ist_result *ires;
    json_t *status; /* borrowed from doc */
};

/* A short text in the report's language. */
#define L(b, zh, en) ((b)->lang == REP_ZH ? (zh) : (en))

/* Appends formatted text to buf (size TEXT_MAX), truncating. */
static void cat(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
cat(char *buf, const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;

    if (n + 1 >= TEXT_MAX)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + n, TEXT_MAX - n, fmt, ap);
    va_end(ap);
}

/* "3月10日 23:50" / "03-10 23:50" from an RFC 3339 local time; with_time 0: the date only. */
static const char *
when(const struct build *b, const char *rfc, int with_time, char *buf, size_t len)
{
    int y, mo, d, h, mi;

    if (rfc == NULL || sscanf(rfc, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi) < 3) {
        snprintf(buf, len, "?");
        return buf;
    }
    if (strlen(rfc) <= 10)
        h = mi = 0;
    if (b->lang == REP_ZH)
        snprintf(buf, len, with_time ? "%d月%d日 %02d:%02d" : "%d月%d日", mo, d, h, mi);
    else
        snprintf(buf, len, with_time ? "%02d-%02d %02d:%02d" : "%02d-%02d", mo, d, h, mi);
    return buf;
}

static const char *
unit_label(const struct build *b, const char *unit)
{
    if (unit == NULL)
        return "";
    if (strcmp(unit, "day") == 0)
        return L(b, "天", "days");
    if (strcmp(unit, "h") == 0)
        return L(b, "小时", "h");
    if (strcmp(unit, "min") == 0)
        return L(b, "分钟", "min");
    if (strcmp(unit, "") == 0)
        return L(b, "次", "");
    return unit;
}

static double
num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_number(v) ? json_number_value(v) : NAN;
}

json_t *
rep_status_json(const struct rw_config *cfg, struct eng *e, const struct rpt_period *per,
                int64_t as_of, const struct ist_result *ires, int64_t now, struct store *st)
{
    json_t *doc = rpt_report(cfg, e, per), *al;
    char buf[RW_CAL_TIME_LEN];

    if (doc == NULL)
        return NULL;
    rpt_inc_append(doc, cfg, ires, per, now);
    if (st != NULL) {
        /* The period's alerts, as `roomwatch replay --json` lists them; null when the store
         * cannot give them (a store the daemon has not upgraded to schema 7 yet). */
        al = alerts_list(st, per->day_start[0], per->day_start[per->ndays]);
        if (al == NULL && errno == ENOMEM) {
            json_decref(doc);
            return NULL;
        }
        json_object_set_new(doc, "alerts", al != NULL ? al : json_null());
    }
    json_object_set_new(
        doc, "as_of",
        json_string(rw_calendar_rfc3339(cfg->site.timezone, as_of, buf, sizeof(buf))));
    return doc;
}

/* The TOP_DAYS days of engine indicator i with the most bad time, as "3月10日 20 分钟". */
static void
top_days(const struct build *b, size_t i, char *text)
{
    int best[TOP_DAYS];
    int64_t bad_of[TOP_DAYS];
    int n = 0;

    for (int d = 0; d < b->p->ndays; d++) {
        int64_t good, bad, unk, na;
        int k;

        if (eng_day(b->e, i, d, &good, &bad, &unk, &na) < 0 || bad <= 0)
            continue;
        if (n < TOP_DAYS)
            k = n++;
        else if (bad > bad_of[TOP_DAYS - 1])
            k = TOP_DAYS - 1;
        else
            continue;
        best[k] = d, bad_of[k] = bad;
        for (; k > 0 && bad_of[k] > bad_of[k - 1]; k--) {
            int td = best[k];
            int64_t tb = bad_of[k];

            best[k] = best[k - 1], bad_of[k] = bad_of[k - 1];
            best[k - 1] = td, bad_of[k - 1] = tb;
        }
    }
    for (int k = 0; k < n; k++) {
        char date[16], w[48];

        rw_calendar_date(b->cfg->site.timezone, b->p->day_start[best[k]], date, sizeof(date));
        cat(text, "%s%s %.0f %s", k == 0 ? L(b, "，主要在", "; mostly on ") : L(b, "、", ", "),
            when(b, date, 0, w, sizeof(w)), (double)bad_of[k] / 60000.0, L(b, "分钟", "min"));
    }
}

/* The day list of an evidence member as "3月10日、3月11日". */
static void
day_list(const struct build *b, const json_t *days, char *text)
{
    size_t k;
    json_t *d;

    json_array_foreach(days, k, d)
    {
        char w[48];

        if (k == 10) {
            cat(text, L(b, "等", " ..."));
            break;
        }
        cat(text, "%s%s", k == 0 ? "" : L(b, "、", ", "),
            when(b, json_string_value(d), 0, w, sizeof(w)));
    }
}

/* What went wrong, from the evidence, with dates and minutes; and what to do if missed. */
static void
deviation(const struct build *b, const struct cfg_indicator *in, size_t eng_i, const json_t *ind,
          int met, char *text)
{
    const json_t *ev = json_object_get(ind, "evidence");
    const char *kind = json_string_value(json_object_get(ind, "kind"));
    double unknown = num(ev, "unknown_s");
    char w1[48], w2[48];

    text[0] = '\0';
    if (kind == NULL || ev == NULL)
        return;
    if (strcmp(kind, "supply_days") == 0) {
        const json_t *ints = json_object_get(ev, "interruptions");
        const json_t *list = json_object_get(ints, "list"), *it;
        size_t k;

        if (num(ints, "count") > 0)
            cat(text,
                L(b, "供电中断 %.0f 次，共 %.0f 分钟：",
                  "%.0f supply interruptions, %.0f "
                  "min in all: "),
                num(ints, "count"), num(ints, "total_s") / 60.0);
        json_array_foreach(list, k, it)
        {
            if (k == 5) {
                cat(text, L(b, "等；", " ...; "));
                break;
            }
            cat(text, "%s–%s（%.0f %s）%s",
                when(b, json_string_value(json_object_get(it, "start")), 1, w1, sizeof(w1)),
                when(b, json_string_value(json_object_get(it, "end")), 1, w2, sizeof(w2)),
                num(it, "seconds") / 60.0, L(b, "分钟", "min"),
                k + 1 == json_array_size(list) ? L(b, "；", "; ") : L(b, "，", ", "));
        }
        if (json_array_size(json_object_get(ev, "lost_days")) > 0) {
            cat(text, L(b, "损失供电天数 %zu 天（", "%zu supply days lost ("),
                json_array_size(json_object_get(ev, "lost_days")));
            day_list(b, json_object_get(ev, "lost_days"), text);
            cat(text, L(b, "）；", "); "));
        }
        if (json_array_size(json_object_get(ev, "unverified_days")) > 0) {
            cat(text, L(b, "无法核实 %zu 天（", "%zu days unverified ("),
                json_array_size(json_object_get(ev, "unverified_days")));
            day_list(b, json_object_get(ev, "unverified_days"), text);
            cat(text, L(b, "，监测数据缺失）；", ", no monitoring data); "));
        }
    } else if (strcmp(kind, "duty_days") == 0) {
        if (json_array_size(json_object_get(ev, "not_on_duty_days")) > 0) {
            size_t nd = json_array_size(json_object_get(ev, "not_on_duty_days"));

            if (b->lang == REP_ZH)
                cat(text, "监测不足 %g%% 的天数 %zu 天（", num(ev, "duty_share") * 100, nd);
            else
                cat(text, "%zu days monitored under %g%% (", nd, num(ev, "duty_share") * 100);
            day_list(b, json_object_get(ev, "not_on_duty_days"), text);
            cat(text, L(b, "）；", "); "));
        }
    } else if (strcmp(kind, "band") == 0) {
        if (num(ev, "out_s") > 0) {
            cat(text,
                L(b, "超出范围共 %.0f 分钟（最低 %g，最高 %g）",
                  "out of band %.0f min "
                  "(lowest %g, highest %g)"),
                num(ev, "out_s") / 60.0, num(ev, "lowest"), num(ev, "highest"));
            top_days(b, eng_i, text);
            cat(text, L(b, "；", "; "));
        }
    } else if (strcmp(kind, "availability") == 0 || strcmp(kind, "fault_rate") == 0 ||
               strcmp(kind, "downtime") == 0) {
        if (num(ev, "down_s") > 0) {
            cat(text, L(b, "设备无有效应答共 %.0f 分钟", "no valid answer for %.0f min"),
                num(ev, "down_s") / 60.0);
            top_days(b, eng_i, text);
            cat(text, L(b, "；", "; "));
        }
    } else if (strcmp(kind, "delivery") == 0) {
        if (num(ev, "late") > 0)
            cat(text, L(b, "应报 %.0f 次，超时 %.0f 次；", "%.0f reports due, %.0f late; "),
                num(ev, "due"), num(ev, "late"));
    } else if (strcmp(kind, "energy") == 0) {
        cat(text, L(b, "全年用电 %.1f kWh", "%.1f kWh used"), num(ev, "kwh"));
        if (num(ev, "resets") > 0)
            cat(text, L(b, "（电表更换或回绕 %.0f 次）", " (meter replaced or wrapped %.0f times)"),
                num(ev, "resets"));
        cat(text, L(b, "；", "; "));
    } else if (strcmp(kind, "mttr") == 0 || strcmp(kind, "mtta") == 0 ||
               strcmp(kind, "within") == 0 || strcmp(kind, "resolution_rate") == 0) {
        const json_t *list = json_object_get(ev, "incidents"), *it;
        size_t k;

        if (json_array_size(list) > 0)
            cat(text, L(b, "故障 %zu 起：", "%zu incidents: "), json_array_size(list));
        else
            cat(text, "%s", L(b, "期间内无故障；", "no incident in the period; "));
        json_array_foreach(list, k, it)
        {
            const char *st = json_string_value(json_object_get(it, "state"));

            if (k == 5) {
                cat(text, L(b, "等；", " ...; "));
                break;
            }
            cat(text, L(b, "%s 发现", "detected %s"),
                when(b, json_string_value(json_object_get(it, "detected")), 1, w1, sizeof(w1)));
            if (json_is_number(json_object_get(it, "duration_s")))
                cat(text, L(b, "，用时 %.0f 分钟", ", %.0f min"), num(it, "duration_s") / 60.0);
            if (st != NULL && strcmp(st, "counted") != 0 && strcmp(st, "resolved") != 0 &&
                strcmp(st, "on_time") != 0)
                cat(text, "（%s）", st);
            cat(text, "%s", k + 1 == json_array_size(list) ? L(b, "；", "; ") : L(b, "，", ", "));
        }
    } else if (strcmp(kind, "count") == 0) {
        if (json_is_number(json_object_get(ev, "events")))
            cat(text, L(b, "记录 %.0f 次；", "%.0f recorded; "), num(ev, "events"));
        else if (json_object_get(ev, "source") != NULL)
            cat(text, L(b, "依据：%s；", "source: %s; "),
                json_string_value(json_object_get(ev, "source")));
    }
    if (unknown > 0)
        cat(text,
            L(b, "未能监测 %.0f 分钟（见“未知时段”）；",
              "%.0f min not monitored (see "
              "\"Unknown time\"); "),
            unknown / 60.0);
    if (met == 0) {
        static const struct {
            const char *kind, *zh, *en;
        } measures[] = {
            {"supply_days", "改进措施：检查 UPS 及电池、市电切换与配电回路，完善应急供电预案。",
             "Measure: check the UPS and batteries, the mains transfer and the circuits; "
             "update the emergency supply plan."},
            {"duty_days", "改进措施：保障监测设备与采集程序持续运行，缩短停机维护时间。",
             "Measure: keep the monitoring devices and the agent running; shorten "
             "maintenance stops."},
            {"band", "改进措施：检查空调与配电设置，缩短超限处置时间。",
             "Measure: check the cooling and power settings; act faster on excursions."},
            {"availability", "改进措施：排查设备通信与供电，及时维修或更换故障设备。",
             "Measure: check the devices' links and power; repair or replace faulty ones."},
            {"mttr", "改进措施：完善故障处置流程与备件储备，缩短修复时间。",
             "Measure: improve the repair procedure and spare parts; repair faster."},
            {"mtta", "改进措施：落实值班与告警通知，缩短响应时间。",
             "Measure: staff the duty roster and alert notifications; respond faster."},
            {"within", "改进措施：落实值班与告警通知，缩短响应时间。",
             "Measure: staff the duty roster and alert notifications; respond faster."},
            {"resolution_rate", "改进措施：跟踪未关闭故障，限期处理并记录原因与措施。",
             "Measure: follow up open incidents; resolve them and record cause and measure."},
            {"count", "改进措施：按计划开展并记录运维、巡检工作。",
             "Measure: carry out and record the planned maintenance and inspections."},
        };
        const char *m = NULL;

        for (size_t k = 0; k < sizeof(measures) / sizeof(measures[0]); k++)
            if (strcmp(kind, measures[k].kind) == 0)
                m = b->lang == REP_ZH ? measures[k].zh : measures[k].en;
        cat(text, "%s",
            m != NULL
                ? m
                : L(b, "改进措施：查明原因并整改。", "Measure: find the cause and correct it."));
    } else if (text[0] == '\0') {
        cat(text, "%s", met == 1 ? L(b, "无偏差。", "No deviation.") : "");
    }
    (void)in;
}

/* One form line of indicator in, its status object ind; eng_i its engine index or SIZE_MAX. */
static json_t *
line(const struct build *b, const struct cfg_indicator *in, size_t eng_i, const json_t *ind)
{
    const json_t *jmet = json_object_get(ind, "met");
    int met = json_is_true(jmet) ? 1 : json_is_false(jmet) ? 0 : -1;
    const char *unit = json_string_value(json_object_get(ind, "unit"));
    double value = num(ind, "value"), cov = num(json_object_get(ind, "evidence"), "coverage");
    const char *completion, *label;
    char text[TEXT_MAX], covtxt[96] = "";
    double score;
    json_t *o;

    if (in->target_text == NULL)
        completion = "none", label = L(b, "无目标值", "no target");
    else if (met == 1)
        completion = "met", label = L(b, "达成", "met");
    else if (met == 0)
        completion = "unmet", label = L(b, "未达成", "not met");
    else
        completion = "unknown", label = L(b, "无法判定", "cannot be judged");
    if (isfinite(cov))
        snprintf(covtxt, sizeof(covtxt), L(b, "（覆盖率 %.2f%%）", " (coverage %.2f %%)"),
                 cov * 100.0);
    /* A period still running is judged so far, not finally. */
    if (!b->final && in->target_text != NULL)
        snprintf(covtxt + strlen(covtxt), sizeof(covtxt) - strlen(covtxt), "%s",
                 L(b, "（期间未结束）", " (period running)"));
    deviation(b, in, eng_i, ind, in->target_text != NULL ? met : -1, text);
    score = rep_score(in, in->weight, met, value, unit, b->p->ndays);
    o = json_pack("{s:s,s:s?,s:s?,s:s,s:s?,s:O,s:s?,s:s,s:s,s:s+,s:o,s:o,s:o,s:s,s:b}", "id",
                  in->id, "level1", in->category, "level2", in->subcategory, "level3", in->name,
                  "target", in->target_text, "value", json_object_get(ind, "value"), "unit", unit,
                  "unit_label", unit_label(b, unit), "completion", completion, "completion_label",
                  label, covtxt, "coverage", rpt_num(cov), "weight",
                  in->weight > 0 ? rpt_num(in->weight) : json_null(), "score", rpt_num(score),
                  "deviation", text, "entered", 0);
    return o;
}

/* A line entered by hand (config report.entered): its result as given, marked entered. */
static json_t *
entered_line(const struct build *b, const struct cfg_entered *en)
{
    const struct tgt *goal = en->rule_text != NULL ? &en->rule : &en->target;
    int met = en->met;
    double score = en->score;
    const char *completion, *label;
    char text[TEXT_MAX] = "";

    if (met < 0 && isfinite(en->value)) {
        enum tgt_met m = tgt_met(goal, en->value);

        met = m == TGT_MET_YES ? 1 : m == TGT_MET_NO ? 0 : -1;
    }
    if (!isfinite(score) && en->weight > 0 && (met == 1 || isfinite(en->value))) {
        struct cfg_indicator in;

        memset(&in, 0, sizeof(in));
        in.target_text = en->target_text;
        in.target = en->target;
        in.rule_text = en->rule_text;
        in.rule = en->rule;
        in.kind = CFG_IND_COUNT; /* no day-count rule for a number entered by hand */
        score = rep_score(&in, en->weight, met, en->value, NULL, b->p->ndays);
    }
    if (met == 1)
        completion = "met", label = L(b, "达成（人工录入）", "met (entered)");
    else if (met == 0)
        completion = "unmet", label = L(b, "未达成（人工录入）", "not met (entered)");
    else
        completion = "unknown", label = L(b, "无法判定（人工录入）", "cannot be judged (entered)");
    cat(text, L(b, "人工录入：%s；依据：%s。", "Entered by %s; basis: %s. "), en->by, en->basis);
    if (met == 0 && !isfinite(score) && en->weight > 0)
        cat(text, "%s",
            L(b, "未达成的定性指标请在配置中按档次给出得分（score）。",
              "A qualitative line not met: give its grade as score in the config."));
    return json_pack("{s:s,s:s?,s:s?,s:s,s:s,s:o,s:s?,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:b,s:s,"
                     "s:s,s:s?}",
                     "id", en->id, "level1", en->category, "level2", en->subcategory, "level3",
                     en->name, "target", en->target_text, "value", rpt_num(en->value), "unit",
                     en->unit, "unit_label", en->unit != NULL ? en->unit : "", "completion",
                     completion, "completion_label", label, "coverage", json_null(), "weight",
                     en->weight > 0 ? rpt_num(en->weight) : json_null(), "score", rpt_num(score),
                     "deviation", text, "entered", 1, "by", en->by, "basis", en->basis, "text",
                     en->text);
}

/* Bad, good, unknown ms of engine indicator i over days [d0, d1). */
static void
sum_days(const struct build *b, size_t i, int d0, int d1, int64_t *good, int64_t *bad, int64_t *unk,
         int64_t *na)
{
    *good = *bad = *unk = *na = 0;
    for (int d = d0; d < d1; d++) {
        int64_t g, x, u, n;

        if (eng_day(b->e, i, d, &g, &x, &u, &n) == 0)
            *good += g, *bad += x, *unk += u, *na += n;
    }
}

/* The number of days of list (YYYY-MM-DD strings) that fall in month prefix "YYYY-MM". */
static int
days_in(const json_t *list, const char *ym)
{
    size_t k;
    json_t *d;
    int n = 0;

    json_array_foreach(list, k,
                       d) if (json_is_string(d) && strncmp(json_string_value(d), ym, 7) == 0) n++;
    return n;
}

/* The months of the period: first day index of each, and "YYYY-MM". */
static int
months(const struct build *b, int *first, char (*name)[8])
{
    int n = 0;
    char date[16];

    for (int d = 0; d < b->p->ndays; d++) {
        rw_calendar_date(b->cfg->site.timezone, b->p->day_start[d], date, sizeof(date));
        if (n == 0 || strncmp(date, name[n - 1], 7) != 0) {
            first[n] = d;
            snprintf(name[n], 8, "%.7s", date);
            n++;
        }
    }
    first[n] = b->p->ndays;
    return n;
}

/* The target's bound a chart draws, in the value's unit; NaN without one. */
static double
target_bound(const struct cfg_indicator *in, const char *unit, int mdays, int ndays)
{
    const struct tgt *t = rpt_goal(in);
    double v, out;

    if (t == NULL || (!t->has_lower && !t->has_upper))
        return NAN;
    v = t->has_lower ? t->lower : t->upper;
    if (strcmp(t->unit, "day") == 0)
        return v >= 365 ? mdays : v * mdays / ndays; /* every day, or its share */
    if (t->unit[0] != '\0' && unit != NULL && unit[0] != '\0' &&
        tgt_convert(v, t->unit, unit, &out) == TGT_OK)
        return out;
    return v;
}

static json_t *
monthly(const struct build *b, char err[], size_t errlen)
{
    int first[14];
    char name[13][8];
    int nm = months(b, first, name);
    json_t *list = json_array(), *ms = json_array();
    const json_t *inds = json_object_get(b->status, "indicators");

    for (int m = 0; m < nm; m++)
        json_array_append_new(ms, json_string(name[m]));
    for (size_t i = 0; i < json_array_size(inds); i++) {
        const json_t *ind = json_array_get(inds, i);
        int is_eng = i < b->cfg->nindicators;
        const struct cfg_indicator *in =
            is_eng ? &b->cfg->indicators[i] : &b->cfg->inc_indicators[i - b->cfg->nindicators];
        const char *unit = json_string_value(json_object_get(ind, "unit"));
        const char *kind = json_string_value(json_object_get(ind, "kind"));
        json_t *vals = json_array(), *tg = json_array();

        for (int m = 0; m < nm; m++) {
            int64_t g, x, u, n, start = b->p->day_start[first[m]];
            int64_t end = b->p->day_start[first[m + 1]];
            int mdays = first[m + 1] - first[m], past = 0;
            double v = NAN;

            /* Whole days of the month the values reach. */
            for (int d = first[m]; d < first[m + 1]; d++)
                past += b->p->day_start[d + 1] <= b->as_of;
            json_array_append_new(tg, rpt_num(target_bound(in, unit, mdays, b->p->ndays)));
            if (start >= b->as_of) {
                json_array_append_new(vals, json_null());
                continue;
            }
            if (is_eng) {
                const json_t *ev = json_object_get(ind, "evidence");

                sum_days(b, i, first[m], first[m + 1], &g, &x, &u, &n);
                if (strcmp(kind, "band") == 0 || strcmp(kind, "availability") == 0 ||
                    strcmp(kind, "delivery") == 0)
                    v = g + x > 0 ? 100.0 * (double)g / (double)(g + x) : NAN;
                else if (strcmp(kind, "fault_rate") == 0)
                    v = g + x > 0 ? 100.0 * (double)x / (double)(g + x) : NAN;
                else if (strcmp(kind, "downtime") == 0)
                    v = (double)x / 3600000.0;
                else if (strcmp(kind, "supply_days") == 0)
                    v = past - days_in(json_object_get(ev, "lost_days"), name[m]);
                else if (strcmp(kind, "duty_days") == 0)
                    v = past - days_in(json_object_get(ev, "not_on_duty_days"), name[m]);
                /* energy: the engine keeps no per-day energy; the year's total only */
            } else {
                struct ist_result r;
                int64_t at = b->now < end ? b->now : end;
                struct rw_config one = *b->cfg;

                memset(&r, 0, sizeof(r));
                one.inc_indicators = (struct cfg_indicator *)in;
                one.ninc_indicators = 1;
                if (incind_compute(&one, b->st, start, end, at, &r) < 0) {
                    snprintf(err, errlen, "incidents and events: %s",
                             errno == EIO ? store_errmsg(b->st) : strerror(errno));
                    ist_result_clear(&r);
                    json_decref(vals), json_decref(tg), json_decref(list), json_decref(ms);
                    return NULL;
                }
                v = r.value;
                ist_result_clear(&r);
            }
            json_array_append_new(vals, rpt_num(v));
        }
        json_array_append_new(list, json_pack("{s:s,s:s,s:s?,s:s?,s:o,s:o}", "id", in->id, "name",
                                              in->name, "unit", unit, "target", in->target_text,
                                              "values", vals, "targets", tg));
    }
    return json_pack("{s:o,s:o}", "months", ms, "monthly", list);
}

static json_t *
interruptions(const struct build *b)
{
    json_t *list = json_array();
    const json_t *inds = json_object_get(b->status, "indicators"), *ind;
    size_t i, k;

    json_array_foreach(inds, i, ind)
    {
        const json_t *l = json_object_get(
                         json_object_get(json_object_get(ind, "evidence"), "interruptions"),
                         "list"),
                     *it;

        json_array_foreach(l, k, it) json_array_append_new(
            list, json_pack("{s:O,s:s,s:O,s:O,s:O}", "indicator", json_object_get(ind, "id"),
                            "name", json_string_value(json_object_get(ind, "name")), "start",
                            json_object_get(it, "start"), "end", json_object_get(it, "end"),
                            "seconds", json_object_get(it, "seconds")));
    }
    return list;
}

static int
add_event(const struct store_event *ev, void *arg)
{
    json_t *list = ((void **)arg)[0];
    const char *tz = ((const char **)arg)[1];
    char at[RW_CAL_TIME_LEN], rec[RW_CAL_TIME_LEN];

    return json_array_append_new(
               list,
               json_pack("{s:I,s:s,s:s,s:s?,s:s?,s:o,s:s}", "id", (json_int_t)ev->id, "kind",
                         ev->kind, "at", rw_calendar_rfc3339(tz, ev->at, at, sizeof(at)), "by",
                         ev->by, "note", ev->note, "incident",
                         ev->incident != 0 ? json_integer(ev->incident) : json_null(), "recorded",
                         rw_calendar_rfc3339(tz, ev->recorded_at, rec, sizeof(rec)))) == 0
               ? 0
               : 1;
}

/* One entry of the unknown list: indicator in's days [d0, d1], u ms unknown in all. */
static void
unknown_entry(const struct build *b, json_t *list, const struct cfg_indicator *in, int d0, int d1,
              int64_t u)
{
    char from[16], to[16];

    rw_calendar_date(b->cfg->site.timezone, b->p->day_start[d0], from, sizeof(from));
    rw_calendar_date(b->cfg->site.timezone, b->p->day_start[d1], to, sizeof(to));
    json_array_append_new(
        list, json_pack("{s:s,s:s,s:s,s:s,s:i,s:o,s:s}", "indicator", in->id, "name", in->name,
                        "date", from, "to", to, "days", d1 - d0 + 1, "unknown_s", rpt_secs(u),
                        "reason",
                        L(b, "无有效样本：设备未应答超过保持时限，或采集程序未运行",
                          "no fresh sample: the devices did not answer within their "
                          "staleness limit, or the agent was not running")));
}

/*
 * Days with unknown time, per engine indicator that measures time. A run of days with
 * nothing known (no good, bad or not-assessed time: before the agent was installed, a month
 * switched off) is one entry from "date" to "to": a room watched since December would
 * otherwise list every day of the year before: 705 KB of the demo room's document, 4 KB now.
 */
static json_t *
unknown_days(const struct build *b)
{
    json_t *list = json_array();

    for (size_t i = 0; i < b->cfg->nindicators; i++) {
        const struct cfg_indicator *in = &b->cfg->indicators[i];
        int run = -1; /* first day of the run of wholly unknown days, or -1 */
        int64_t run_u = 0;
        int d;

        if (in->kind == CFG_IND_ENERGY || in->kind == CFG_IND_DELIVERY)
            continue;
        for (d = 0; d < b->p->ndays && b->p->day_start[d] < b->as_of; d++) {
            int64_t g, x, u, n;
            int whole;

            if (eng_day(b->e, i, d, &g, &x, &u, &n) < 0)
                g = x = u = n = 0;
            whole = u > 0 && g == 0 && x == 0 && n == 0;
            if (run >= 0 && !whole) {
                unknown_entry(b, list, in, run, d - 1, run_u);
                run = -1;
            }
            if (whole) {
                if (run < 0)
                    run = d, run_u = 0;
                run_u += u;
            } else if (u > 0) {
                unknown_entry(b, list, in, d, d, u);
            }
        }
        if (run >= 0)
            unknown_entry(b, list, in, run, d - 1, run_u);
    }
    return list;
}

/* How one value is computed, with its raw numerator and denominator. */
static json_t *
note(const struct build *b, const json_t *ind)
{
    const json_t *ev = json_object_get(ind, "evidence");
    const char *kind = json_string_value(json_object_get(ind, "kind"));
    const char *method = "", *nl = "", *dl = "";
    double n = NAN, d = NAN;

    if (strcmp(kind, "band") == 0) {
        method = L(b, "在范围内时间 ÷（在范围内时间 + 超出范围时间）× 100%；未知时间不计入",
                   "in-band time / (in + out of band) x 100 %; unknown time excluded");
        n = num(ev, "in_s"), d = num(ev, "in_s") + num(ev, "out_s");
        nl = L(b, "在范围内（秒）", "in band (s)"), dl = L(b, "已判定（秒）", "judged (s)");
    } else if (strcmp(kind, "availability") == 0 || strcmp(kind, "fault_rate") == 0) {
        int fr = strcmp(kind, "fault_rate") == 0;

        method = fr ? L(b, "故障时间 ÷（正常 + 故障时间）× 100%", "down / (up + down) x 100 %")
                    : L(b, "正常运行时间 ÷（正常 + 故障时间）× 100%；未知时间不计入",
                        "up / (up + down) x 100 %; unknown time excluded");
        n = fr ? num(ev, "down_s") : num(ev, "up_s"), d = num(ev, "up_s") + num(ev, "down_s");
        nl = fr ? L(b, "故障（秒）", "down (s)") : L(b, "正常（秒）", "up (s)");
        dl = L(b, "已判定（秒）", "judged (s)");
    } else if (strcmp(kind, "downtime") == 0) {
        method = L(b, "故障时间 ÷ 3600", "down time / 3600");
        n = num(ev, "down_s"), d = 3600, nl = L(b, "故障（秒）", "down (s)"), dl = "s/h";
    } else if (strcmp(kind, "supply_days") == 0 || strcmp(kind, "duty_days") == 0) {
        const json_t *lost = json_object_get(
            ev, strcmp(kind, "supply_days") == 0 ? "lost_days" : "not_on_duty_days");

        method = strcmp(kind, "supply_days") == 0
                     ? L(b, "期间天数 − 有供电中断的天数", "days - days with an interruption")
                     : L(b, "期间天数 − 监测不足的天数", "days - days not on duty");
        d = b->p->ndays, n = d - (double)json_array_size(lost);
        nl = L(b, "达标天数", "days counted"), dl = L(b, "期间天数", "days in the period");
    } else if (strcmp(kind, "delivery") == 0) {
        method = L(b, "按时送达次数 ÷ 应报次数 × 100%", "on time / due x 100 %");
        n = num(ev, "on_time"), d = num(ev, "due");
        nl = L(b, "按时（次）", "on time"), dl = L(b, "应报（次）", "due");
    } else if (strcmp(kind, "energy") == 0) {
        method = L(b, "电能表读数差之和（kWh）", "sum of meter reading differences (kWh)");
        n = num(ev, "kwh"), nl = "kWh";
    } else if (strcmp(kind, "mttr") == 0 || strcmp(kind, "mtta") == 0) {
        int mx = json_is_string(json_object_get(ev, "aggregate")) &&
                 strcmp(json_string_value(json_object_get(ev, "aggregate")), "max") == 0;

        method = strcmp(kind, "mttr") == 0
                     ? L(b, "已解决故障（发现至解决）时长之和 ÷ 故障数 ÷ 3600",
                         "sum of repair times (detected to resolved) / incidents / 3600")
                 : mx ? L(b, "最长响应时间（发现至确认）÷ 3600",
                          "longest response (detected to acknowledged) / 3600")
                      : L(b, "响应时间（发现至确认）之和 ÷ 故障数 ÷ 3600",
                          "sum of response times / incidents / 3600");
        n = mx ? num(ev, "longest_s") : num(ev, "total_s");
        d = mx ? 3600
               : 3600 * (strcmp(kind, "mttr") == 0 ? num(ev, "resolved") : num(ev, "responded"));
        nl = L(b, "时长（秒）", "time (s)"), dl = L(b, "故障数 × 3600", "incidents x 3600");
    } else if (strcmp(kind, "within") == 0) {
        method = L(b, "时限内响应数 ÷ 已判定故障数 × 100%", "on time / decided x 100 %");
        n = num(ev, "on_time"), d = num(ev, "on_time") + num(ev, "late");
        nl = L(b, "时限内", "on time"), dl = L(b, "已判定", "decided");
    } else if (strcmp(kind, "resolution_rate") == 0) {
        method = L(b, "已解决故障数 ÷ 发现故障数 × 100%", "resolved / detected x 100 %");
        n = num(ev, "resolved"), d = num(ev, "detected");
        nl = L(b, "已解决", "resolved"), dl = L(b, "已发现", "detected");
    } else if (strcmp(kind, "count") == 0) {
        method = json_object_get(ev, "inventory") != NULL
                     ? L(b, "台账数量（人工录入）", "inventory from the register (entered)")
                     : L(b, "期间内记录的事件数", "events recorded in the period");
        n = json_object_get(ev, "inventory") != NULL ? num(ev, "inventory") : num(ev, "events");
        nl = L(b, "次数", "count");
    }
    return json_pack("{s:O,s:O,s:s,s:o,s:o,s:s,s:s,s:O,s:O}", "id", json_object_get(ind, "id"),
                     "name", json_object_get(ind, "name"), "method", method, "numerator",
                     rpt_num(n), "denominator", rpt_num(d), "numerator_label", nl,
                     "denominator_label", dl, "value", json_object_get(ind, "value"), "unit",
                     json_object_get(ind, "unit"));
}

static int
assemble(struct build *b, json_t *doc, char *err, size_t errlen)
{
    const json_t *inds = json_object_get(b->status, "indicators");
    json_t *lines = json_array(), *notes = json_array(), *m, *inc = NULL, *events = json_array();
    double tw = 0, ts = 0;
    int scored = 0, r;
    void *ea[2] = {events, (void *)b->cfg->site.timezone};

    for (size_t i = 0; i < json_array_size(inds); i++) {
        const json_t *ind = json_array_get(inds, i);
        int is_eng = i < b->cfg->nindicators;
        const struct cfg_indicator *in =
            is_eng ? &b->cfg->indicators[i] : &b->cfg->inc_indicators[i - b->cfg->nindicators];
        json_t *l = line(b, in, is_eng ? i : SIZE_MAX, ind);
        double s = num(l, "score");

        if (in->weight > 0) {
            tw += in->weight;
            if (isfinite(s))
                ts += s, scored = 1;
        }
        json_array_append_new(lines, l);
        json_array_append_new(notes, note(b, ind));
    }
    for (size_t i = 0; i < b->cfg->report.nentered; i++) {
        const struct cfg_entered *en = &b->cfg->report.entered[i];
        json_t *l = entered_line(b, en);
        double s = num(l, "score");

        if (en->weight > 0) {
            tw += en->weight;
            if (isfinite(s))
                ts += s, scored = 1;
        }
        json_array_append_new(lines, l);
        json_array_append_new(notes, json_pack("{s:s,s:s,s:s+++,s:o,s:o,s:s,s:s,s:o,s:s?}", "id",
                                               en->id, "name", en->name, "method",
                                               L(b, "人工录入，依据：", "entered by hand; basis: "),
                                               en->basis, L(b, "；录入人：", "; by "), en->by,
                                               "numerator", json_null(), "denominator", json_null(),
                                               "numerator_label", "", "denominator_label", "",
                                               "value", rpt_num(en->value), "unit", en->unit));
    }
    json_object_set_new(doc, "lines", lines);
    json_object_set_new(doc, "total",
                        json_pack("{s:o,s:o}", "weight", tw > 0 ? rpt_num(tw) : json_null(),
                                  "score", scored ? rpt_num(ts) : json_null()));
    if ((m = monthly(b, err, errlen)) == NULL) {
        json_decref(notes), json_decref(events);
        return -1;
    }
    json_object_update(doc, m);
    json_decref(m);
    r = increc_list(b->cfg, b->st, b->p->day_start[0], b->p->day_start[b->p->ndays], &inc);
    if (r == 0)
        json_object_set_new(doc, "incidents", inc);
    json_object_set_new(doc, "interruptions", interruptions(b));
    if (r == 0)
        r = store_event_period(b->st, b->p->day_start[0], b->p->day_start[b->p->ndays], add_event,
                               ea);
    json_object_set_new(doc, "events", events);
    json_object_set_new(doc, "unknown", unknown_days(b));
    json_object_set_new(doc, "notes", notes);
    if (r != 0) {
        snprintf(err, errlen, "incidents and events: %s",
                 r < 0 ? store_errmsg(b->st) : "out of memory");
        errno = r < 0 ? EIO : ENOMEM;
        return -1;
    }
    return 0;
}

int
rep_doc_build(const struct rw_config *cfg, struct store *st, const struct indset_period *p,
              int64_t now, enum rep_lang lang, json_t **out, char *err, size_t errlen)
{
    struct build b = {.cfg = cfg, .st = st, .p = p, .lang = lang, .now = now};
    struct indset *is = NULL;
    char name[16], title[128];
    int final = 0, rc = -1;
    json_t *doc = NULL;

    *out = NULL;
    b.per.tz = cfg->site.timezone;
    b.per.ndays = p->ndays;
    b.per.day_start = p->day_start;
    if (indset_new(cfg, &is) < 0 || indset_engine(is, p, &b.e, err, errlen) < 0) {
        if (is == NULL)
            snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (cfg->nindicators == 0) {
        b.as_of = indset_as_of(p, now);
        final = now >= p->day_start[p->ndays];
    } else if (core_view(is, p, st, b.e, now, &b.as_of, &final) < 0) {
        int e = errno;

        snprintf(err, errlen, "%s",
                 e == ENOENT   ? "no state of this config for this period"
                 : e == EIO    ? store_errmsg(st)
                 : e == ENOMEM ? "the saved state is too large for memory"
                               : "the saved state is damaged");
        errno = e;
        goto out;
    }
    b.ires = calloc(cfg->ninc_indicators + 1, sizeof(*b.ires));
    if (b.ires == NULL ||
        incind_compute(cfg, st, p->day_start[0], p->day_start[p->ndays], now, b.ires) < 0) {
        snprintf(err, errlen, "incidents and events: %s",
                 errno == EIO ? store_errmsg(st) : strerror(errno));
        goto out;
    }
    b.final = final;
    indset_period_name(p, name, sizeof(name));
    if (p->month == 0)
        snprintf(title, sizeof(title),
                 L(&b, "项目支出绩效自评表（%d年度）",
                   "Project expenditure performance self-evaluation "
                   "(%d)"),
                 p->year);
    else
        snprintf(title, sizeof(title),
                 L(&b, "项目支出绩效自评表（%d年%d月）",
                   "Project expenditure performance self-evaluation "
                   "(%d-%02d)"),
                 p->year, p->month);
    doc = json_pack("{s:i,s:s,s:s,s:{s:s?,s:s?,s:s?,s:i,s:i,s:s,s:s,s:s?,s:s},s:b}", "schema",
                    REP_DOC_SCHEMA, "title", title, "lang", lang == REP_ZH ? "zh" : "en", "header",
                    "project", cfg->report.project, "department", cfg->report.department,
                    "implementer", cfg->report.implementer, "year", p->year, "month", p->month,
                    "site", cfg->site.id, "gateway", cfg->site.gateway, "site_name", cfg->site.name,
                    "timezone", cfg->site.timezone, "final", final);
    b.status = rep_status_json(cfg, b.e, &b.per, b.as_of, b.ires, now, st);
    if (doc == NULL || b.status == NULL) {
        json_decref(b.status);
        snprintf(err, errlen, "out of memory");
        errno = ENOMEM;
        goto out;
    }
    json_object_set(doc, "period", json_object_get(b.status, "period"));
    json_object_set(doc, "as_of", json_object_get(b.status, "as_of"));
    json_object_set_new(doc, "status", b.status);
    if (assemble(&b, doc, err, errlen) < 0)
        goto out;
    *out = doc;
    doc = NULL;
    rc = 0;
out:
    json_decref(doc);
    for (size_t i = 0; b.ires != NULL && i < cfg->ninc_indicators; i++)
        ist_result_clear(&b.ires[i]);
    free(b.ires);
    eng_free(b.e);
    indset_free(is);
    return rc;
}
