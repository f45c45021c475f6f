/*
 * cfg_indicator.c - the "indicators" list of the main config: each line of a
 * performance-target form that roomwatch measures, checked in the same pass as the rest of
 * the file, with every problem at its file and line.
 *
 * Accepted shape (config/README.md, "indicators", has every key):
 *
 *   indicators = (
 *     { id = "voltage_stability"; name = "电流、电压稳定"; category = "产出指标";
 *       subcategory = "质量指标"; kind = "band";
 *       points = ["meter1.v_l1", "meter1.v_l2", "meter1.v_l3"];
 *       band = { nominal = 220.0; minus_pct = 10.0; plus_pct = 7.0; };
 *       window = 60; combine = "any"; target = "≥97(%)"; },
 *     { id = "supply_days"; kind = "supply_days"; points = ["ups1.output_source"];
 *       condition = { in = [3, 4, 5, 6, 7]; }; target = "=365(天)"; ... },
 *     { id = "data_timely"; name = "数据传输及时率"; kind = "delivery"; deadline = 60;
 *       devices = ["meter1"]; target = "≥99"; target_unit = "%"; }
 *   );
 *
 * A delivery indicator has no "points": its inputs are the agent's own reports, the
 * telemetry of every device or of those "devices" lists (cfg.h, CFG_AGENT_ID).
 *
 * Incident indicators (mttr, mtta, within, resolution_rate, count) have no points either: they
 * read the fault-handling record, selected by "rules" (alarm ids of this config),
 * "categories" and "severities"; they go to cfg->inc_indicators:
 *
 *     { id = "mttr"; name = "系统故障修复平均时间"; kind = "mttr"; target = "≥0&&≤2";
 *       target_unit = "h"; },
 *     { id = "response_timely"; name = "故障响应及时率"; kind = "within"; limit = 300; ... },
 *     { id = "visits"; name = "机房环境监测运维"; kind = "count"; event = "maintenance"; ... },
 *     { id = "hw"; name = "硬件采购（维护）数量"; kind = "count"; inventory = 115;
 *       source = "固定资产台账 2021-01"; target = "=115"; }
 *
 * Targets are parsed with the forms' target parser (engine/target.h): an unparseable one is a
 * config error, and so is a qualitative one (稳定) without a "rule" saying how the measured
 * value decides it. Keys that do not apply to an indicator's kind are errors, not ignored.
 */
#include "cfg/cfg_indicator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "engine/eng.h"
#include "engine/incstat.h"
#include "engine/target.h"

#define DUTY_SHARE_DEFAULT 0.99 /* DESIGN.md: 99 % of a day, 85536 s */
#define BAND_WINDOW_DEFAULT 60  /* s: the averaging of 电压合格率 statistics */
/* A report acknowledged after an hour is not timely in any sense; and the publisher tracks
 * each report until its deadline, so the deadline bounds that set. */
#define DELIVERY_DEADLINE_MIN 1.0
#define DELIVERY_DEADLINE_MAX 3600.0

static void check_indicator(struct cfgc *ck, struct rw_config *cfg, const int *profile_ok,
                            const config_setting_t *s, int index);
static int parse_kind(const char *v, enum cfg_ind_kind *out);
static void check_points(struct cfgc *ck, const struct cfgc_obj *o, struct rw_config *cfg,
                         const int *profile_ok, struct cfg_indicator *in);
static int all_points(struct cfgc *ck, struct rw_config *cfg, const int *profile_ok,
                      struct cfg_indicator *in);
static int check_band(struct cfgc *ck, const struct cfgc_obj *io, const char *key, double *lo,
                      double *hi);
static void check_cond(struct cfgc *ck, const struct cfgc_obj *io, struct cfg_cond *c);
static int get_numbers(struct cfgc *ck, const struct cfgc_obj *o, const char *key, double *v,
                       int max);
static void check_target(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_indicator *in);
static int unit_fits(enum cfg_ind_kind k, const struct tgt *t);
static int is_array(const config_setting_t *s);
static void check_devices(struct cfgc *ck, const struct cfgc_obj *o, struct rw_config *cfg,
                          struct cfg_indicator *in);
static void check_incident(struct cfgc *ck, const struct cfgc_obj *o,
                           const struct rw_config *cfg, struct cfg_indicator *in);
static int get_names(struct cfgc *ck, const struct cfgc_obj *o, const char *key,
                     const char *const *known, size_t nknown, char ***out, size_t *n);
static void free_names(char **v, size_t n);
static void free_indicator(struct cfg_indicator *in);
static const struct cfg_indicator *find_id(const struct rw_config *cfg, const char *id);
static void check_alert(struct cfgc *ck, const struct cfgc_obj *io, struct cfg_indicator *in);

static const char *const ind_keys[] = {
    "id",     "name",      "category",  "subcategory", "kind",       "points",      "band",
    "assess", "window",    "combine",   "condition",   "duty_share", "target",      "target_unit",
    "rule",   "deadline",  "devices",   "rules",       "categories", "severities",  "aggregate",
    "limit",  "of",        "event",     "inventory",   "source",     "alert",       NULL,
};
static const char *const alert_keys[] = {"coverage_floor", "tiers", "hold", "min_interval",
                                         "left_low", "clear_ratio", NULL};
static const char *const tier_keys[] = {"long", "short", "burn", NULL};
#define ALERT_WINDOW_MAX (366.0 * 86400.0) /* s */
/* Event kinds, as the commands record them (`roomwatch event add --kind`). */
static const char *const event_kinds[] = {"maintenance", "inspection", "security-incident"};
#define INC_KINDS                                                                                  \
    ((1u << CFG_IND_MTTR) | (1u << CFG_IND_MTTA) | (1u << CFG_IND_WITHIN) |                        \
     (1u << CFG_IND_RESOLUTION_RATE) | (1u << CFG_IND_COUNT))
#define WITHIN_LIMIT_MAX (366.0 * 86400.0) /* s: a limit beyond a year decides nothing */
#define INVENTORY_MAX 1e9
static const char *const band_keys[] = {"lo", "hi", "nominal", "minus_pct", "plus_pct", NULL};
static const char *const cond_keys[] = {"in", "above", "at_least", "below", "range", NULL};

/* Which keys a kind takes beyond the common ones: band, condition, duty_share. */
static const struct {
    const char *key;
    unsigned kinds; /* bit per enum cfg_ind_kind */
} kind_only[] = {
    {"band", 1u << CFG_IND_BAND},
    {"assess", 1u << CFG_IND_BAND},
    {"window", 1u << CFG_IND_BAND},
    {"combine", 1u << CFG_IND_BAND},
    {"condition", (1u << CFG_IND_SUPPLY_DAYS) | (1u << CFG_IND_AVAILABILITY) |
                      (1u << CFG_IND_DOWNTIME) | (1u << CFG_IND_FAULT_RATE)},
    {"duty_share", 1u << CFG_IND_DUTY_DAYS},
    {"points", ~((1u << CFG_IND_DELIVERY) | INC_KINDS)},
    {"deadline", 1u << CFG_IND_DELIVERY},
    {"devices", 1u << CFG_IND_DELIVERY},
    {"rules", INC_KINDS},
    {"categories", INC_KINDS},
    {"severities", INC_KINDS},
    {"aggregate", 1u << CFG_IND_MTTA},
    {"limit", 1u << CFG_IND_WITHIN},
    {"of", 1u << CFG_IND_WITHIN},
    {"event", 1u << CFG_IND_COUNT},
    {"inventory", 1u << CFG_IND_COUNT},
    {"source", 1u << CFG_IND_COUNT},
};

const char *
cfg_ind_kind_name(enum cfg_ind_kind k)
{
    switch (k) {
    case CFG_IND_BAND:
        return "band";
    case CFG_IND_SUPPLY_DAYS:
        return "supply_days";
    case CFG_IND_AVAILABILITY:
        return "availability";
    case CFG_IND_DOWNTIME:
        return "downtime";
    case CFG_IND_FAULT_RATE:
        return "fault_rate";
    case CFG_IND_DUTY_DAYS:
        return "duty_days";
    case CFG_IND_ENERGY:
        return "energy";
    case CFG_IND_DELIVERY:
        return "delivery";
    case CFG_IND_MTTR:
        return "mttr";
    case CFG_IND_MTTA:
        return "mtta";
    case CFG_IND_WITHIN:
        return "within";
    case CFG_IND_RESOLUTION_RATE:
        return "resolution_rate";
    case CFG_IND_COUNT:
        return "count";
    }
    return "?";
}

int
cfg_ind_is_incident(enum cfg_ind_kind k)
{
    return k >= CFG_IND_FIRST_INCIDENT;
}

const char *
cfg_ind_kind_unit(enum cfg_ind_kind k)
{
    switch (k) {
    case CFG_IND_BAND:
    case CFG_IND_AVAILABILITY:
    case CFG_IND_FAULT_RATE:
    case CFG_IND_DELIVERY:
    case CFG_IND_WITHIN:
    case CFG_IND_RESOLUTION_RATE:
        return "%";
    case CFG_IND_SUPPLY_DAYS:
    case CFG_IND_DUTY_DAYS:
        return "day";
    case CFG_IND_DOWNTIME:
    case CFG_IND_MTTR:
    case CFG_IND_MTTA:
        return "h";
    case CFG_IND_ENERGY:
        return "kWh";
    case CFG_IND_COUNT:
        return "";
    }
    return "";
}

int
cfg_find_point(const struct rw_config *cfg, const char *name, struct cfg_pointref *out)
{
    const char *dot = strchr(name, '.');
    size_t dlen;

    if (dot == NULL)
        return -1;
    dlen = (size_t)(dot - name);
    for (size_t i = 0; i < cfg->ndevices; i++) {
        const struct cfg_device *d = &cfg->devices[i];
        const struct cfg_profile *p;

        if (strlen(d->id) != dlen || strncmp(d->id, name, dlen) != 0)
            continue;
        if (d->profile >= cfg->nprofiles)
            return -1;
        p = &cfg->profiles[d->profile];
        for (size_t k = 0; k < p->npoints; k++) {
            if (strcmp(p->points[k].name, dot + 1) == 0) {
                out->device = i;
                out->point = k;
                return 0;
            }
        }
        return -1;
    }
    return -1;
}

int
cfg_check_pointref(struct cfgc *ck, const struct cfgc_obj *o, const config_setting_t *e,
                   const struct rw_config *cfg, const int *profile_ok, const char *name,
                   struct cfg_pointref *ref)
{
    const char *dot = strchr(name, '.');
    char q[CFGC_QBUF];
    size_t dev;

    if (dot == NULL) {
        cfgc_problem(ck, o, e, "point %s must be written \"device.point\"",
                     cfgc_quote(q, sizeof(q), name));
        return -1;
    }
    for (dev = 0; dev < cfg->ndevices; dev++)
        if (strlen(cfg->devices[dev].id) == (size_t)(dot - name) &&
            strncmp(cfg->devices[dev].id, name, (size_t)(dot - name)) == 0)
            break;
    if (dev == cfg->ndevices) {
        cfgc_problem(ck, o, e, "unknown device \"%.*s\" in point %s", (int)(dot - name), name,
                     cfgc_quote(q, sizeof(q), name));
        return -1;
    }
    if (!profile_ok[dev])
        return -1; /* its profile's problem is reported already */
    if (cfg_find_point(cfg, name, ref) != 0) {
        cfgc_problem(ck, o, e, "device \"%s\" has no point %s (profile \"%s\")",
                     cfg->devices[dev].id, cfgc_quote(q, sizeof(q), dot + 1),
                     cfg->profiles[cfg->devices[dev].profile].name);
        return -1;
    }
    return 0;
}

void
cfg_check_indicators(struct cfgc *ck, const struct cfgc_obj *root, struct rw_config *cfg,
                     const int *profile_ok)
{
    const config_setting_t *list = cfgc_get_list(ck, root, "indicators", 0);
    int n = list != NULL ? config_setting_length(list) : 0;

    if (n == 0)
        return;
    cfg->indicators = calloc((size_t)n, sizeof(*cfg->indicators));
    cfg->inc_indicators = calloc((size_t)n, sizeof(*cfg->inc_indicators));
    if (cfg->indicators == NULL || cfg->inc_indicators == NULL) {
        cfgc_nomem(ck);
        return;
    }
    for (int i = 0; i < n; i++) {
        check_indicator(ck, cfg, profile_ok, config_setting_get_elem(list, (unsigned)i), i + 1);
        /* Incident indicators have no engine index: they move to their own list, so that
         * engine indicator i stays cfg->indicators[i]. */
        if (cfg->nindicators > 0 &&
            cfg_ind_is_incident(cfg->indicators[cfg->nindicators - 1].kind)) {
            cfg->inc_indicators[cfg->ninc_indicators++] = cfg->indicators[cfg->nindicators - 1];
            memset(&cfg->indicators[--cfg->nindicators], 0, sizeof(*cfg->indicators));
        }
    }
}

static void
free_indicator(struct cfg_indicator *in)
{
    free(in->name);
    free(in->category);
    free(in->subcategory);
    free(in->points);
    free(in->target_text);
    free(in->target_unit);
    free(in->rule_text);
    free_names(in->sel_rules, in->nsel_rules);
    free_names(in->sel_categories, in->nsel_categories);
    free_names(in->sel_severities, in->nsel_severities);
    free(in->event);
    free(in->source);
}

void
cfg_free_indicators(struct rw_config *cfg)
{
    for (size_t i = 0; i < cfg->nindicators; i++)
        free_indicator(&cfg->indicators[i]);
    for (size_t i = 0; i < cfg->ninc_indicators; i++)
        free_indicator(&cfg->inc_indicators[i]);
    free(cfg->indicators);
    free(cfg->inc_indicators);
    cfg->indicators = NULL;
    cfg->inc_indicators = NULL;
    cfg->nindicators = 0;
    cfg->ninc_indicators = 0;
}

/* An indicator already checked with this id, in either list. */
static const struct cfg_indicator *
find_id(const struct rw_config *cfg, const char *id)
{
    for (size_t j = 0; j < cfg->nindicators; j++)
        if (strcmp(cfg->indicators[j].id, id) == 0)
            return &cfg->indicators[j];
    for (size_t j = 0; j < cfg->ninc_indicators; j++)
        if (strcmp(cfg->inc_indicators[j].id, id) == 0)
            return &cfg->inc_indicators[j];
    return NULL;
}

/* Appends the indicator at s, even with problems (its id may then be empty). */
static void
check_indicator(struct cfgc *ck, struct rw_config *cfg, const int *profile_ok,
                const config_setting_t *s, int index)
{
    struct cfg_indicator *in = &cfg->indicators[cfg->nindicators];
    const config_setting_t *at;
    struct cfgc_obj o;
    const char *v;
    char q[CFGC_QBUF];
    int kind_ok = 0, r;

    cfgc_obj_init(&o, s, "indicator", NULL, index);
    if (!config_setting_is_group(s)) {
        cfgc_problem(ck, &o, s, "must be a group { ... }");
        return;
    }
    in->line = cfgc_src_line(s);
    in->duty_share = DUTY_SHARE_DEFAULT;
    in->deadline = CFG_DELIVERY_DEADLINE_DEFAULT;
    in->coverage_floor = CFG_COVERAGE_FLOOR_DEFAULT;
    if (cfgc_get_id(ck, &o, "id", CFGC_ID_ANY, 1, &v) > 0) {
        const struct cfg_indicator *first = find_id(cfg, v);

        if (first != NULL)
            cfgc_problem(ck, &o, config_setting_get_member(s, "id"),
                         "duplicate indicator id \"%s\" (first at line %d)", v, first->line);
        memcpy(in->id, v, strlen(v) + 1);
        cfgc_obj_init(&o, s, "indicator", v, 0);
    }
    cfg->nindicators++;
    cfgc_check_keys(ck, &o, ind_keys);

    r = cfgc_get_text(ck, &o, "name", CFGC_TEXT_MAX, &v);
    if (r == 0)
        cfgc_missing(ck, &o, "name");
    else if (r > 0)
        in->name = cfgc_strdup(ck, v);
    if (cfgc_get_text(ck, &o, "category", CFGC_TEXT_MAX, &v) > 0)
        in->category = cfgc_strdup(ck, v);
    if (cfgc_get_text(ck, &o, "subcategory", CFGC_TEXT_MAX, &v) > 0)
        in->subcategory = cfgc_strdup(ck, v);

    r = cfgc_get_string(ck, &o, "kind", &v);
    at = config_setting_get_member(s, "kind");
    if (r == 0) {
        cfgc_missing(ck, &o, "kind");
    } else if (r > 0 && !parse_kind(v, &in->kind)) {
        cfgc_problem(ck, &o, at,
                     "\"kind\" must be one of band, supply_days, availability, downtime, "
                     "fault_rate, duty_days, energy, delivery, mttr, mtta, within, "
                     "resolution_rate, count (is %s)",
                     cfgc_quote(q, sizeof(q), v));
    } else if (r > 0) {
        kind_ok = 1;
    }

    check_target(ck, &o, in);
    check_alert(ck, &o, in);
    if (!kind_ok)
        return; /* which keys belong cannot be told */

    for (size_t k = 0; k < sizeof(kind_only) / sizeof(kind_only[0]); k++)
        if ((at = config_setting_get_member(s, kind_only[k].key)) != NULL &&
            !(kind_only[k].kinds & (1u << in->kind)))
            cfgc_problem(ck, &o, at, "\"%s\" does not apply to a %s indicator", kind_only[k].key,
                         cfg_ind_kind_name(in->kind));

    if (in->kind == CFG_IND_DELIVERY)
        check_devices(ck, &o, cfg, in);
    else if (cfg_ind_is_incident(in->kind))
        check_incident(ck, &o, cfg, in);
    else
        check_points(ck, &o, cfg, profile_ok, in);

    switch (in->kind) {
    case CFG_IND_BAND: {
        double w = BAND_WINDOW_DEFAULT;

        r = check_band(ck, &o, "band", &in->lo, &in->hi);
        if (r == 0)
            cfgc_missing(ck, &o, "band");
        if (check_band(ck, &o, "assess", &in->assess_lo, &in->assess_hi) > 0) {
            in->has_assess = 1;
            if (r > 0 && !(in->assess_lo <= in->lo && in->hi <= in->assess_hi))
                cfgc_problem(ck, &o, config_setting_get_member(s, "assess"),
                             "\"assess\" [%.10g, %.10g] must contain \"band\" [%.10g, %.10g]",
                             in->assess_lo, in->assess_hi, in->lo, in->hi);
        }
        /* Windows are aligned to local midnight, so they must divide the day. */
        if (cfgc_get_number(ck, &o, "window", 0, 86400, &w) > 0 &&
            (w != floor(w) || (w > 0 && fmod(86400.0, w) != 0)))
            cfgc_problem(ck, &o, config_setting_get_member(s, "window"),
                         "\"window\" must be 0 or a whole number of seconds that divides the "
                         "day (is %.10g)",
                         w);
        in->window = w;
        if (cfgc_get_string(ck, &o, "combine", &v) > 0) {
            if (strcmp(v, "each") == 0)
                in->each = 1;
            else if (strcmp(v, "any") != 0)
                cfgc_problem(ck, &o, config_setting_get_member(s, "combine"),
                             "\"combine\" must be \"any\" or \"each\" (is %s)",
                             cfgc_quote(q, sizeof(q), v));
        }
        break;
    }
    case CFG_IND_SUPPLY_DAYS:
    case CFG_IND_AVAILABILITY:
    case CFG_IND_DOWNTIME:
    case CFG_IND_FAULT_RATE:
        check_cond(ck, &o, &in->cond);
        break;
    case CFG_IND_DUTY_DAYS:
        if (cfgc_get_number(ck, &o, "duty_share", 0, 1, &in->duty_share) > 0 &&
            in->duty_share <= 0)
            cfgc_problem(ck, &o, config_setting_get_member(s, "duty_share"),
                         "\"duty_share\" must be above 0");
        break;
    case CFG_IND_ENERGY:
        break;
    case CFG_IND_DELIVERY:
        cfgc_get_number(ck, &o, "deadline", DELIVERY_DEADLINE_MIN, DELIVERY_DEADLINE_MAX,
                        &in->deadline);
        break;
    case CFG_IND_MTTR:
    case CFG_IND_MTTA:
    case CFG_IND_WITHIN:
    case CFG_IND_RESOLUTION_RATE:
    case CFG_IND_COUNT:
        break; /* check_incident() */
    }
    if (in->target_text != NULL &&
        (!unit_fits(in->kind, &in->target) || (in->rule_text && !unit_fits(in->kind, &in->rule))))
        cfgc_problem(ck, &o, config_setting_get_member(s, in->rule_text ? "rule" : "target"),
                     "the unit of %s \"%s\" does not fit a %s value (%s)",
                     in->rule_text ? "rule" : "target",
                     in->rule_text ? in->rule.unit : in->target.unit, cfg_ind_kind_name(in->kind),
                     cfg_ind_kind_unit(in->kind));
}

static int
parse_kind(const char *v, enum cfg_ind_kind *out)
{
    for (enum cfg_ind_kind k = CFG_IND_BAND; k <= CFG_IND_COUNT; k++) {
        if (strcmp(v, cfg_ind_kind_name(k)) == 0) {
            *out = k;
            return 1;
        }
    }
    return 0;
}

static int
is_array(const config_setting_t *s)
{
    return config_setting_is_array(s) || config_setting_is_list(s);
}

/*
 * "points": device.point names. duty_days may leave them out: then every point of every
 * device counts, since any fresh sample shows the agent at work.
 */
static void
check_points(struct cfgc *ck, const struct cfgc_obj *o, struct rw_config *cfg,
             const int *profile_ok, struct cfg_indicator *in)
{
    const config_setting_t *list = config_setting_get_member(o->s, "points");
    char q[CFGC_QBUF];
    int n;

    if (list == NULL) {
        if (in->kind == CFG_IND_DUTY_DAYS)
            all_points(ck, cfg, profile_ok, in);
        else
            cfgc_missing(ck, o, "points");
        return;
    }
    if (!is_array(list) || (n = config_setting_length(list)) == 0) {
        cfgc_problem(ck, o, list, "\"points\" must be a list of \"device.point\" names, "
                                  "like [\"meter1.v_l1\"]");
        return;
    }
    if ((in->kind == CFG_IND_SUPPLY_DAYS || in->kind == CFG_IND_ENERGY) && n != 1) {
        cfgc_problem(ck, o, list, "kind %s takes exactly one point (has %d)",
                     cfg_ind_kind_name(in->kind), n);
        return;
    }
    if ((in->points = calloc((size_t)n, sizeof(*in->points))) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        const char *name;
        struct cfg_pointref ref;

        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            cfgc_problem(ck, o, e, "\"points\" must hold \"device.point\" strings");
            continue;
        }
        name = config_setting_get_string(e);
        if (cfg_check_pointref(ck, o, e, cfg, profile_ok, name, &ref) < 0)
            continue;
        for (size_t j = 0; j < in->npoints; j++) {
            if (in->points[j].device == ref.device && in->points[j].point == ref.point) {
                cfgc_problem(ck, o, e, "point %s is listed twice", cfgc_quote(q, sizeof(q), name));
                break;
            }
        }
        in->points[in->npoints++] = ref;
    }
}

/*
 * "devices" of a delivery indicator: the devices whose telemetry reports count, each once;
 * without it, every device's. Each becomes the point agent.delivery.<device>. A device
 * whose profile did not load still sends telemetry, so it counts.
 */
static void
check_devices(struct cfgc *ck, const struct cfgc_obj *o, struct rw_config *cfg,
              struct cfg_indicator *in)
{
    const config_setting_t *list = config_setting_get_member(o->s, "devices");
    char q[CFGC_QBUF];
    int n = list != NULL && is_array(list) ? config_setting_length(list) : -1;

    if (list == NULL) {
        if (cfg->ndevices == 0) {
            cfgc_problem(ck, o, o->s, "a delivery indicator needs devices whose telemetry it "
                                      "counts (there are none)");
            return;
        }
        if ((in->points = calloc(cfg->ndevices, sizeof(*in->points))) == NULL) {
            cfgc_nomem(ck);
            return;
        }
        for (size_t i = 0; i < cfg->ndevices; i++) {
            in->points[i].device = i;
            in->points[i].point = CFG_POINT_DELIVERY;
        }
        in->npoints = cfg->ndevices;
        return;
    }
    if (n < 1) {
        cfgc_problem(ck, o, list, "\"devices\" must be a list of device ids, like [\"meter1\"]");
        return;
    }
    if ((in->points = calloc((size_t)n, sizeof(*in->points))) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        const char *id;
        size_t dev;

        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            cfgc_problem(ck, o, e, "\"devices\" must hold device ids (strings)");
            continue;
        }
        id = config_setting_get_string(e);
        for (dev = 0; dev < cfg->ndevices; dev++)
            if (strcmp(cfg->devices[dev].id, id) == 0)
                break;
        if (dev == cfg->ndevices) {
            cfgc_problem(ck, o, e, "unknown device %s in \"devices\"",
                         cfgc_quote(q, sizeof(q), id));
            continue;
        }
        for (size_t j = 0; j < in->npoints; j++) {
            if (in->points[j].device == dev) {
                cfgc_problem(ck, o, e, "device %s is listed twice",
                             cfgc_quote(q, sizeof(q), id));
                break;
            }
        }
        in->points[in->npoints].device = dev;
        in->points[in->npoints++].point = CFG_POINT_DELIVERY;
    }
}

int
cfg_has_delivery(const struct rw_config *cfg)
{
    for (size_t i = 0; i < cfg->nindicators; i++)
        if (cfg->indicators[i].kind == CFG_IND_DELIVERY)
            return 1;
    return 0;
}

size_t
cfg_device_count(const struct rw_config *cfg, enum cfg_proto source)
{
    size_t n = 0;

    for (size_t i = 0; i < cfg->ndevices; i++)
        if (cfg->devices[i].source == source)
            n++;
    return n;
}

/* Devices whose profile did not load have no known points (and a problem reported). */
static int
all_points(struct cfgc *ck, struct rw_config *cfg, const int *profile_ok,
           struct cfg_indicator *in)
{
    size_t n = 0;

    for (size_t i = 0; i < cfg->ndevices; i++)
        if (profile_ok[i])
            n += cfg->profiles[cfg->devices[i].profile].npoints;
    if (n == 0)
        return 0;
    if ((in->points = calloc(n, sizeof(*in->points))) == NULL) {
        cfgc_nomem(ck);
        return -1;
    }
    for (size_t i = 0; i < cfg->ndevices; i++) {
        if (!profile_ok[i])
            continue;
        for (size_t k = 0; k < cfg->profiles[cfg->devices[i].profile].npoints; k++) {
            in->points[in->npoints].device = i;
            in->points[in->npoints++].point = k;
        }
    }
    return 0;
}

/*
 * A band group: { lo; hi; } or { nominal; minus_pct; plus_pct; } (GB/T 12325: 220 V
 * -10 % / +7 %). Returns 1 with the limits, 0 if absent, -1 after reporting.
 */
static int
check_band(struct cfgc *ck, const struct cfgc_obj *io, const char *key, double *lo, double *hi)
{
    const config_setting_t *g = cfgc_get_group(ck, io, key, 0);
    int nerr0 = ck->nerr, has_abs, has_pct;
    double nominal = 0, minus = 0, plus = 0;
    struct cfgc_obj o;

    if (g == NULL)
        return config_setting_get_member(io->s, key) ? -1 : 0;
    o = *io;
    o.s = g;
    cfgc_check_keys(ck, &o, band_keys);
    has_abs = config_setting_get_member(g, "lo") || config_setting_get_member(g, "hi");
    has_pct = config_setting_get_member(g, "nominal") ||
              config_setting_get_member(g, "minus_pct") || config_setting_get_member(g, "plus_pct");
    if (has_abs && has_pct) {
        cfgc_problem(ck, io, g, "\"%s\" takes either lo and hi, or nominal, minus_pct and "
                                "plus_pct, not both",
                     key);
        return -1;
    }
    if (has_pct) {
        const char *const need[] = {"nominal", "minus_pct", "plus_pct"};

        for (size_t k = 0; k < 3; k++)
            if (config_setting_get_member(g, need[k]) == NULL)
                cfgc_problem(ck, io, g, "\"%s\" needs \"%s\"", key, need[k]);
        cfgc_get_number(ck, &o, "nominal", -1e12, 1e12, &nominal);
        cfgc_get_number(ck, &o, "minus_pct", 0, 100, &minus);
        cfgc_get_number(ck, &o, "plus_pct", 0, 1000, &plus);
        if (ck->nerr != nerr0)
            return -1;
        *lo = nominal * (1 - minus / 100.0);
        *hi = nominal * (1 + plus / 100.0);
        if (*lo > *hi) { /* a negative nominal */
            double t = *lo;
            *lo = *hi;
            *hi = t;
        }
        return 1;
    }
    if (config_setting_get_member(g, "lo") == NULL)
        cfgc_problem(ck, io, g, "\"%s\" needs \"lo\" and \"hi\" (or nominal, minus_pct and "
                                "plus_pct)",
                     key);
    else if (config_setting_get_member(g, "hi") == NULL)
        cfgc_problem(ck, io, g, "\"%s\" needs \"hi\"", key);
    cfgc_get_number(ck, &o, "lo", -1e12, 1e12, lo);
    cfgc_get_number(ck, &o, "hi", -1e12, 1e12, hi);
    if (ck->nerr != nerr0)
        return -1;
    if (*lo > *hi) {
        cfgc_problem(ck, io, g, "\"%s\": lo (%.10g) is above hi (%.10g)", key, *lo, *hi);
        return -1;
    }
    return 1;
}

/* condition = { in = [...]; } | { above = x; } | { at_least = x; } | { below = x; } |
 * { range = [lo, hi]; }: exactly one. */
static void
check_cond(struct cfgc *ck, const struct cfgc_obj *io, struct cfg_cond *c)
{
    const config_setting_t *g = cfgc_get_group(ck, io, "condition", 0);
    struct cfgc_obj o;
    double r[2];
    int n;

    c->op = CFG_COND_NONE;
    if (g == NULL)
        return;
    o = *io;
    o.s = g;
    if (cfgc_check_keys(ck, &o, cond_keys) > 0)
        return;
    if (config_setting_length(g) != 1) {
        cfgc_problem(ck, io, g, "\"condition\" takes exactly one of in, above, at_least, below, "
                                "range");
        return;
    }
    if (config_setting_get_member(g, "in") != NULL) {
        n = get_numbers(ck, &o, "in", c->set, CFG_COND_MAX_SET);
        if (n > 0) {
            c->op = CFG_COND_IN;
            c->nset = n;
        }
    } else if (config_setting_get_member(g, "range") != NULL) {
        n = get_numbers(ck, &o, "range", r, 2);
        if (n > 0 && n != 2) {
            cfgc_problem(ck, io, config_setting_get_member(g, "range"),
                         "\"range\" must be [lo, hi]");
        } else if (n == 2 && r[0] > r[1]) {
            cfgc_problem(ck, io, config_setting_get_member(g, "range"),
                         "\"range\": lo (%.10g) is above hi (%.10g)", r[0], r[1]);
        } else if (n == 2) {
            c->op = CFG_COND_RANGE;
            c->lo = r[0];
            c->hi = r[1];
        }
    } else if (cfgc_get_number(ck, &o, "above", -1e12, 1e12, &c->lo) > 0) {
        c->op = CFG_COND_ABOVE;
    } else if (cfgc_get_number(ck, &o, "at_least", -1e12, 1e12, &c->lo) > 0) {
        c->op = CFG_COND_AT_LEAST;
    } else if (cfgc_get_number(ck, &o, "below", -1e12, 1e12, &c->hi) > 0) {
        c->op = CFG_COND_BELOW;
    }
}

/* A list of 1..max numbers; returns how many, or -1 after reporting. */
static int
get_numbers(struct cfgc *ck, const struct cfgc_obj *o, const char *key, double *v, int max)
{
    const config_setting_t *s = config_setting_get_member(o->s, key);
    int n = s != NULL && is_array(s) ? config_setting_length(s) : -1;

    if (n < 1 || n > max) {
        cfgc_problem(ck, o, s, "\"%s\" must be a list of 1 to %d numbers", key, max);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (cfgc_setting_number(config_setting_get_elem(s, (unsigned)i), &v[i]) != 0) {
            cfgc_problem(ck, o, s, "\"%s\" must be a list of numbers", key);
            return -1;
        }
    }
    return n;
}

/*
 * "target" (the form's string), "target_unit" (its separate unit column) and "rule" (how
 * the value decides a qualitative target, e.g. ">=97").
 */
static void
check_target(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_indicator *in)
{
    const config_setting_t *tat = config_setting_get_member(o->s, "target");
    const config_setting_t *uat = config_setting_get_member(o->s, "target_unit");
    const config_setting_t *rat = config_setting_get_member(o->s, "rule");
    const char *text = NULL, *unit = NULL, *rule = NULL;
    char q[CFGC_QBUF], err[TGT_ERR_LEN];
    int has_t = cfgc_get_text(ck, o, "target", CFGC_TEXT_MAX, &text) > 0;
    int has_u = cfgc_get_text(ck, o, "target_unit", TGT_UNIT_MAX, &unit) > 0;
    int has_r = cfgc_get_text(ck, o, "rule", CFGC_TEXT_MAX, &rule) > 0;

    if (!has_t) {
        if (tat == NULL && uat != NULL)
            cfgc_problem(ck, o, uat, "\"target_unit\" needs \"target\"");
        if (tat == NULL && rat != NULL)
            cfgc_problem(ck, o, rat, "\"rule\" needs \"target\"");
        return;
    }
    if (tgt_parse(text, has_u ? unit : NULL, &in->target, err, sizeof(err)) != TGT_OK) {
        cfgc_problem(ck, o, tat, "cannot parse target %s (%s)", cfgc_quote(q, sizeof(q), text),
                     err);
        return;
    }
    in->target_text = cfgc_strdup(ck, text);
    if (has_u)
        in->target_unit = cfgc_strdup(ck, unit);
    if (!in->target.qualitative) {
        if (rat != NULL)
            cfgc_problem(ck, o, rat, "\"rule\" is only for a qualitative target (%s is not)",
                         cfgc_quote(q, sizeof(q), text));
        return;
    }
    if (!has_r) {
        if (rat == NULL)
            cfgc_problem(ck, o, tat,
                         "target %s is qualitative: give a \"rule\" such as \">=97\" saying "
                         "how the measured value decides it",
                         cfgc_quote(q, sizeof(q), text));
        return;
    }
    if (tgt_parse(rule, has_u ? unit : NULL, &in->rule, err, sizeof(err)) != TGT_OK) {
        cfgc_problem(ck, o, rat, "cannot parse rule %s (%s)", cfgc_quote(q, sizeof(q), rule), err);
        return;
    }
    if (in->rule.qualitative) {
        cfgc_problem(ck, o, rat, "rule %s must be a comparison such as \">=97\"",
                     cfgc_quote(q, sizeof(q), rule));
        return;
    }
    in->rule_text = cfgc_strdup(ck, rule);
}

/* A target with no unit takes the value's; one with a unit must convert to it. */
static int
unit_fits(enum cfg_ind_kind k, const struct tgt *t)
{
    double x;

    if (t->qualitative || t->unit[0] == '\0')
        return 1;
    if (k == CFG_IND_COUNT)
        return 1; /* a number of things: 次, 台, 个 are the form's own words for it */
    return tgt_convert(1.0, cfg_ind_kind_unit(k), t->unit, &x) == TGT_OK;
}

void
cfg_indicator_engine(const struct cfg_indicator *in, struct eng_ind_cfg *c)
{
    static const enum eng_kind kinds[] = {
        [CFG_IND_BAND] = ENG_BAND,
        [CFG_IND_SUPPLY_DAYS] = ENG_SUPPLY_DAYS,
        [CFG_IND_AVAILABILITY] = ENG_AVAILABILITY,
        [CFG_IND_DOWNTIME] = ENG_DOWNTIME,
        [CFG_IND_FAULT_RATE] = ENG_FAULT_RATE,
        [CFG_IND_DUTY_DAYS] = ENG_DUTY_DAYS,
        [CFG_IND_ENERGY] = ENG_ENERGY,
        [CFG_IND_DELIVERY] = ENG_DELIVERY,
    };

    memset(c, 0, sizeof(*c));
    c->kind = kinds[in->kind];
    c->lo = in->lo;
    c->hi = in->hi;
    c->has_assess = in->has_assess;
    c->assess_lo = in->assess_lo;
    c->assess_hi = in->assess_hi;
    c->window_ms = llround(in->window * 1000.0);
    c->each = in->each;
    c->cond.op = (enum eng_cond_op)in->cond.op; /* the same order, by design */
    c->cond.lo = in->cond.lo;
    c->cond.hi = in->cond.hi;
    c->cond.nset = in->cond.nset;
    memcpy(c->cond.set, in->cond.set, sizeof(c->cond.set));
    c->duty_share = in->duty_share;
    c->deadline_ms = llround(in->deadline * 1000.0);
}

/*
 * The keys of an incident indicator: the selection, and per kind aggregate (mtta), limit and
 * of (within), event or inventory with its source (count).
 */
static void
check_incident(struct cfgc *ck, const struct cfgc_obj *o, const struct rw_config *cfg,
               struct cfg_indicator *in)
{
    const char *rule_ids[256];
    size_t nrules = 0;
    const char *v;
    char q[CFGC_QBUF];
    const config_setting_t *s = o->s;
    const char *cats[] = {cfg_category_name(CFG_CAT_POWER), cfg_category_name(CFG_CAT_ENVIRONMENT),
                          cfg_category_name(CFG_CAT_NETWORK), cfg_category_name(CFG_CAT_DEVICE),
                          cfg_category_name(CFG_CAT_SECURITY)};
    const char *sevs[] = {cfg_severity_name(CFG_SEV_CRITICAL), cfg_severity_name(CFG_SEV_MAJOR),
                          cfg_severity_name(CFG_SEV_MINOR), cfg_severity_name(CFG_SEV_WARNING)};
    int has_sel, has_event, has_inv;

    for (size_t i = 0; i < cfg->nalarms && nrules < sizeof(rule_ids) / sizeof(rule_ids[0]); i++)
        rule_ids[nrules++] = cfg->alarms[i].id;
    get_names(ck, o, "rules", rule_ids, nrules, &in->sel_rules, &in->nsel_rules);
    get_names(ck, o, "categories", cats, sizeof(cats) / sizeof(cats[0]), &in->sel_categories,
              &in->nsel_categories);
    get_names(ck, o, "severities", sevs, sizeof(sevs) / sizeof(sevs[0]), &in->sel_severities,
              &in->nsel_severities);
    has_sel = config_setting_get_member(s, "rules") || config_setting_get_member(s, "categories") ||
              config_setting_get_member(s, "severities");

    switch (in->kind) {
    case CFG_IND_MTTA:
        if (cfgc_get_string(ck, o, "aggregate", &v) > 0) {
            if (strcmp(v, "max") == 0)
                in->max = 1;
            else if (strcmp(v, "mean") != 0)
                cfgc_problem(ck, o, config_setting_get_member(s, "aggregate"),
                             "\"aggregate\" must be \"mean\" or \"max\" (is %s)",
                             cfgc_quote(q, sizeof(q), v));
        }
        break;
    case CFG_IND_WITHIN:
        if (config_setting_get_member(s, "limit") == NULL)
            cfgc_missing(ck, o, "limit");
        else if (cfgc_get_number(ck, o, "limit", 0, WITHIN_LIMIT_MAX, &in->limit) > 0 &&
                 in->limit <= 0)
            cfgc_problem(ck, o, config_setting_get_member(s, "limit"),
                         "\"limit\" must be above 0 seconds");
        if (cfgc_get_string(ck, o, "of", &v) > 0) {
            if (strcmp(v, "resolve") == 0)
                in->on_resolve = 1;
            else if (strcmp(v, "ack") != 0)
                cfgc_problem(ck, o, config_setting_get_member(s, "of"),
                             "\"of\" must be \"ack\" or \"resolve\" (is %s)",
                             cfgc_quote(q, sizeof(q), v));
        }
        break;
    case CFG_IND_COUNT:
        has_event = config_setting_get_member(s, "event") != NULL;
        has_inv = config_setting_get_member(s, "inventory") != NULL;
        if (has_inv && (has_event || has_sel)) {
            cfgc_problem(ck, o, config_setting_get_member(s, "inventory"),
                         "\"inventory\" is a number given, not counted: it takes no \"event\", "
                         "\"rules\", \"categories\" or \"severities\"");
            break;
        }
        if (!has_inv && !has_event && !has_sel) {
            cfgc_problem(ck, o, s,
                         "a count indicator needs \"event\" (an event kind to count), a "
                         "selection of incidents (\"rules\", \"categories\", \"severities\"), or "
                         "\"inventory\" with its \"source\"");
            break;
        }
        if (has_inv) {
            if (cfgc_get_number(ck, o, "inventory", 0, INVENTORY_MAX, &in->inventory) > 0)
                in->has_inventory = 1;
            if (cfgc_get_text(ck, o, "source", CFGC_TEXT_MAX, &v) > 0)
                in->source = cfgc_strdup(ck, v);
            else if (config_setting_get_member(s, "source") == NULL)
                cfgc_problem(ck, o, config_setting_get_member(s, "inventory"),
                             "\"inventory\" needs a \"source\" saying where the number comes "
                             "from (an asset register, a contract)");
        } else if (config_setting_get_member(s, "source") != NULL) {
            cfgc_problem(ck, o, config_setting_get_member(s, "source"),
                         "\"source\" is only for \"inventory\"");
        }
        if (has_event && cfgc_get_string(ck, o, "event", &v) > 0) {
            size_t k;

            for (k = 0; k < sizeof(event_kinds) / sizeof(event_kinds[0]); k++)
                if (strcmp(v, event_kinds[k]) == 0)
                    break;
            if (k == sizeof(event_kinds) / sizeof(event_kinds[0]))
                cfgc_problem(ck, o, config_setting_get_member(s, "event"),
                             "\"event\" must be one of maintenance, inspection, "
                             "security-incident (is %s)",
                             cfgc_quote(q, sizeof(q), v));
            else
                in->event = cfgc_strdup(ck, v);
        }
        break;
    default:
        break;
    }
}

/*
 * A list of names, each one of known (or, with nknown 0, of nothing: every name is unknown),
 * each once. Returns how many, 0 if absent, -1 after reporting.
 */
static int
get_names(struct cfgc *ck, const struct cfgc_obj *o, const char *key, const char *const *known,
          size_t nknown, char ***out, size_t *n)
{
    const config_setting_t *list = config_setting_get_member(o->s, key);
    char q[CFGC_QBUF];
    int len;

    if (list == NULL)
        return 0;
    if (!is_array(list) || (len = config_setting_length(list)) == 0) {
        cfgc_problem(ck, o, list, "\"%s\" must be a list of names, like [\"%s\"]", key,
                     nknown > 0 ? known[0] : "name");
        return -1;
    }
    if ((*out = calloc((size_t)len, sizeof(**out))) == NULL) {
        cfgc_nomem(ck);
        return -1;
    }
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        const char *name, *near;
        size_t k;

        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            cfgc_problem(ck, o, e, "\"%s\" must hold names (strings)", key);
            return -1;
        }
        name = config_setting_get_string(e);
        for (k = 0; k < nknown; k++)
            if (strcmp(name, known[k]) == 0)
                break;
        if (k == nknown) {
            near = cfgc_closest(name, known, nknown);
            if (strcmp(key, "rules") == 0)
                cfgc_problem(ck, o, e, "\"rules\": no alarm rule %s in this config%s%s%s",
                             cfgc_quote(q, sizeof(q), name), near ? " (did you mean \"" : "",
                             near ? near : "", near ? "\"?)" : "");
            else
                cfgc_problem(ck, o, e, "\"%s\": unknown name %s%s%s%s", key,
                             cfgc_quote(q, sizeof(q), name), near ? " (did you mean \"" : "",
                             near ? near : "", near ? "\"?)" : "");
            continue;
        }
        for (k = 0; k < *n; k++) {
            if (strcmp((*out)[k], name) == 0) {
                cfgc_problem(ck, o, e, "\"%s\": %s is listed twice", key,
                             cfgc_quote(q, sizeof(q), name));
                break;
            }
        }
        if (k < *n)
            continue;
        if (((*out)[*n] = cfgc_strdup(ck, name)) == NULL)
            return -1;
        (*n)++;
    }
    return (int)*n;
}

static void
free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void
cfg_indicator_incstat(const struct cfg_indicator *in, struct ist_cfg *c)
{
    static const enum ist_kind kinds[] = {
        [CFG_IND_MTTR] = IST_MTTR,
        [CFG_IND_MTTA] = IST_MTTA,
        [CFG_IND_WITHIN] = IST_WITHIN,
        [CFG_IND_RESOLUTION_RATE] = IST_RESOLUTION_RATE,
        [CFG_IND_COUNT] = IST_COUNT,
    };
    int has_sel = in->nsel_rules + in->nsel_categories + in->nsel_severities > 0;

    memset(c, 0, sizeof(*c));
    c->kind = kinds[in->kind];
    c->nrules = in->nsel_rules;
    c->rules = (const char *const *)in->sel_rules;
    c->ncategories = in->nsel_categories;
    c->categories = (const char *const *)in->sel_categories;
    c->nseverities = in->nsel_severities;
    c->severities = (const char *const *)in->sel_severities;
    c->max = in->max;
    c->on_resolve = in->on_resolve;
    c->limit_ms = llround(in->limit * 1000.0);
    c->event = in->event;
    c->count_incidents = in->kind == CFG_IND_COUNT && has_sel;
    c->has_inventory = in->has_inventory;
    c->inventory = in->inventory;
}

/* A window of a tier: whole minutes, since alerts are evaluated once a minute. */
static int
tier_window(struct cfgc *ck, const struct cfgc_obj *to, const char *key, double *out)
{
    int r = cfgc_get_number(ck, to, key, 60, ALERT_WINDOW_MAX, out);

    if (r == 0)
        cfgc_missing(ck, to, key);
    if (r > 0 && fmod(*out, 60.0) != 0) {
        cfgc_problem(ck, to, config_setting_get_member(to->s, key),
                     "\"%s\" must be a whole number of minutes, in s (is %.10g)", key, *out);
        return -1;
    }
    return r;
}

/*
 * alert { coverage_floor, tiers ( { long, short, burn }, ... ), hold, min_interval, left_low,
 * clear_ratio }: what is not given defaults by the period's length (report/rpt_alert.h).
 */
static void
check_alert(struct cfgc *ck, const struct cfgc_obj *io, struct cfg_indicator *in)
{
    config_setting_t *g = cfgc_get_group(ck, io, "alert", 0), *tl;
    struct cfgc_obj o;
    char what[CFG_ID_MAX + 16];

    if (g == NULL)
        return;
    snprintf(what, sizeof(what), "%s alert", in->id);
    cfgc_obj_init(&o, g, "indicator", what, 0);
    cfgc_check_keys(ck, &o, alert_keys);
    cfgc_get_number(ck, &o, "coverage_floor", 0, 1, &in->coverage_floor);
    if (cfgc_get_number(ck, &o, "hold", 0, ALERT_WINDOW_MAX, &in->alert_hold) > 0)
        in->alert_set |= CFG_ALERT_HOLD;
    if (cfgc_get_number(ck, &o, "min_interval", 0, ALERT_WINDOW_MAX, &in->alert_min_interval) >
        0)
        in->alert_set |= CFG_ALERT_MIN_INTERVAL;
    if (cfgc_get_number(ck, &o, "left_low", 0, ALERT_WINDOW_MAX, &in->alert_left_low) > 0)
        in->alert_set |= CFG_ALERT_LEFT_LOW;
    if (cfgc_get_number(ck, &o, "clear_ratio", 0, 1, &in->alert_clear_ratio) > 0)
        in->alert_set |= CFG_ALERT_CLEAR_RATIO;
    tl = cfgc_get_list(ck, &o, "tiers", 0);
    if (tl == NULL)
        return;
    in->alert_set |= CFG_ALERT_TIERS;
    if (config_setting_length(tl) > 4) {
        cfgc_problem(ck, &o, tl, "\"tiers\" takes at most 4 tiers (has %d)",
                     config_setting_length(tl));
        return;
    }
    for (int k = 0; k < config_setting_length(tl); k++) {
        config_setting_t *t = config_setting_get_elem(tl, (unsigned)k);
        struct cfgc_obj to;
        double *v = in->alert_tier[in->alert_ntiers];
        int rl, rs, rb;

        cfgc_obj_init(&to, t, "alert tier", NULL, k + 1);
        if (!config_setting_is_group(t)) {
            cfgc_problem(ck, &to, t, "must be a group { long, short, burn }");
            continue;
        }
        cfgc_check_keys(ck, &to, tier_keys);
        rl = tier_window(ck, &to, "long", &v[0]);
        rs = tier_window(ck, &to, "short", &v[1]);
        rb = cfgc_get_number(ck, &to, "burn", 0, 1e6, &v[2]);
        if (rb == 0)
            cfgc_missing(ck, &to, "burn");
        else if (rb > 0 && !(v[2] > 0))
            cfgc_problem(ck, &to, config_setting_get_member(t, "burn"),
                         "\"burn\" must be above 0");
        if (rl > 0 && rs > 0 && !(v[1] < v[0]))
            cfgc_problem(ck, &to, config_setting_get_member(t, "short"),
                         "\"short\" (%.10g s) must be shorter than \"long\" (%.10g s)", v[1],
                         v[0]);
        in->alert_ntiers++;
    }
}
