/*
 * cfg_alarm.c - the "alarms" list of the main config: the rules that open incidents,
 * checked in the same pass as the rest of the file, with every problem at its file and line.
 *
 * Accepted shape (config/README.md, "alarms", has every key):
 *
 *   alarms = (
 *     { id = "mains_voltage"; severity = "major"; category = "power";
 *       points = ["meter1.v_l1"]; outside = [198.0, 235.4]; hold = 10; clear_hold = 60; },
 *     { id = "ups_on_battery"; severity = "critical"; category = "power";
 *       points = ["ups1.output_source"]; in = ["battery"]; },
 *     { id = "meter_silent"; severity = "major"; category = "device";
 *       devices = ["meter1"]; no_answer = 3; }
 *   );
 *
 * Exactly one condition per rule. States given as labels ("battery") are looked up in each
 * point's own enumeration, so one rule may watch points of different profiles; a label a
 * point does not have is an error naming the labels it has.
 */
#include "cfg/cfg_alarm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "cfg/cfg_indicator.h"
#include "engine/alarm.h"

#define HOLD_MAX 86400.0        /* s: a day */
#define CLEAR_HOLD_DEFAULT 60.0 /* s: a minute clear before an incident is over */
#define POLLS_MAX 1000

static void check_alarm(struct cfgc *ck, struct rw_config *cfg, const int *profile_ok,
                        const config_setting_t *s, int index);
static int check_condition(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_alarm *al,
                           const config_setting_t **in_at);
static void check_points(struct cfgc *ck, const struct cfgc_obj *o, struct rw_config *cfg,
                         const int *profile_ok, struct cfg_alarm *al,
                         const config_setting_t *in_at);
static void check_devices(struct cfgc *ck, const struct cfgc_obj *o, struct rw_config *cfg,
                          struct cfg_alarm *al);
static int resolve_states(struct cfgc *ck, const struct cfgc_obj *o, const struct cfg_profile *p,
                          const struct cfg_point *pt, const char *pname,
                          const config_setting_t *in_at, struct cfg_alarm_target *tg);
static const config_setting_t *string_list(struct cfgc *ck, const struct cfgc_obj *o,
                                           const char *key, const char *what);

static const char *const alarm_keys[] = {
    "id",    "name",  "severity", "category",  "points", "devices",    "outside",
    "above", "below", "in",       "no_answer", "hold",   "clear_hold", NULL,
};
static const char *const conditions[] = {"outside", "above", "below", "in", "no_answer"};
static const char *const severities[] = {
    [CFG_SEV_CRITICAL] = "critical",
    [CFG_SEV_MAJOR] = "major",
    [CFG_SEV_MINOR] = "minor",
    [CFG_SEV_WARNING] = "warning",
};
static const char *const categories[] = {
    [CFG_CAT_POWER] = "power",       [CFG_CAT_ENVIRONMENT] = "environment",
    [CFG_CAT_NETWORK] = "network",   [CFG_CAT_DEVICE] = "device",
    [CFG_CAT_SECURITY] = "security",
};

const char *
cfg_severity_name(enum cfg_severity s)
{
    return (size_t)s < sizeof(severities) / sizeof(severities[0]) ? severities[s] : "?";
}

const char *
cfg_category_name(enum cfg_category c)
{
    return (size_t)c < sizeof(categories) / sizeof(categories[0]) ? categories[c] : "?";
}

void
cfg_check_alarms(struct cfgc *ck, const struct cfgc_obj *root, struct rw_config *cfg,
                 const int *profile_ok)
{
    const config_setting_t *list = cfgc_get_list(ck, root, "alarms", 0);
    int n = list != NULL ? config_setting_length(list) : 0;

    if (n == 0)
        return;
    if ((cfg->alarms = calloc((size_t)n, sizeof(*cfg->alarms))) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    for (int i = 0; i < n; i++)
        check_alarm(ck, cfg, profile_ok, config_setting_get_elem(list, (unsigned)i), i + 1);
}

void
cfg_free_alarms(struct rw_config *cfg)
{
    for (size_t i = 0; i < cfg->nalarms; i++) {
        free(cfg->alarms[i].name);
        free(cfg->alarms[i].targets);
    }
    free(cfg->alarms);
    cfg->alarms = NULL;
    cfg->nalarms = 0;
}

/* Picks v out of names (n of them) into *out; 0 if it is none of them. */
static int
pick(const char *v, const char *const *names, size_t n, int *out)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = (int)i;
            return 1;
        }
    }
    return 0;
}

/* Appends the rule at s, even with problems (its id may then be empty). */
static void
check_alarm(struct cfgc *ck, struct rw_config *cfg, const int *profile_ok,
            const config_setting_t *s, int index)
{
    struct cfg_alarm *al = &cfg->alarms[cfg->nalarms];
    const config_setting_t *in_at = NULL;
    struct cfgc_obj o;
    const char *v;
    char q[CFGC_QBUF];
    int r, k;

    cfgc_obj_init(&o, s, "alarm", NULL, index);
    if (!config_setting_is_group(s)) {
        cfgc_problem(ck, &o, s, "must be a group { ... }");
        return;
    }
    cfg->nalarms++;
    al->line = cfgc_src_line(s);
    al->clear_hold = CLEAR_HOLD_DEFAULT;
    if (cfgc_get_id(ck, &o, "id", CFGC_ID_ANY, 1, &v) > 0) {
        for (size_t j = 0; j + 1 < cfg->nalarms; j++) {
            if (strcmp(cfg->alarms[j].id, v) == 0) {
                cfgc_problem(ck, &o, config_setting_get_member(s, "id"),
                             "duplicate alarm id \"%s\" (first at line %d)", v,
                             cfg->alarms[j].line);
                break;
            }
        }
        memcpy(al->id, v, strlen(v) + 1);
        cfgc_obj_init(&o, s, "alarm", v, 0);
    }
    cfgc_check_keys(ck, &o, alarm_keys);
    if (cfgc_get_text(ck, &o, "name", CFGC_TEXT_MAX, &v) > 0)
        al->name = cfgc_strdup(ck, v);

    r = cfgc_get_string(ck, &o, "severity", &v);
    if (r == 0)
        cfgc_missing(ck, &o, "severity");
    else if (r > 0 && pick(v, severities, sizeof(severities) / sizeof(severities[0]), &k))
        al->severity = (enum cfg_severity)k;
    else if (r > 0)
        cfgc_problem(ck, &o, config_setting_get_member(s, "severity"),
                     "\"severity\" must be one of critical, major, minor, warning (is %s)",
                     cfgc_quote(q, sizeof(q), v));
    r = cfgc_get_string(ck, &o, "category", &v);
    if (r == 0)
        cfgc_missing(ck, &o, "category");
    else if (r > 0 && pick(v, categories, sizeof(categories) / sizeof(categories[0]), &k))
        al->category = (enum cfg_category)k;
    else if (r > 0)
        cfgc_problem(ck, &o, config_setting_get_member(s, "category"),
                     "\"category\" must be one of power, environment, network, device, "
                     "security (is %s)",
                     cfgc_quote(q, sizeof(q), v));
    cfgc_get_number(ck, &o, "hold", 0, HOLD_MAX, &al->hold);
    cfgc_get_number(ck, &o, "clear_hold", 0, HOLD_MAX, &al->clear_hold);

    if (check_condition(ck, &o, al, &in_at) < 0)
        return; /* which targets belong cannot be told */
    if (al->cond == CFG_ALARM_NO_ANSWER)
        check_devices(ck, &o, cfg, al);
    else
        check_points(ck, &o, cfg, profile_ok, al, in_at);
}

/* Exactly one of outside, above, below, in, no_answer. Returns 0, or -1 when the kind of
 * rule cannot be told. *in_at is the "in" list, resolved per point later. */
static int
check_condition(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_alarm *al,
                const config_setting_t **in_at)
{
    const config_setting_t *at = NULL, *second = NULL;
    size_t which = 0;
    double r[2];

    for (size_t k = 0; k < sizeof(conditions) / sizeof(conditions[0]); k++) {
        const config_setting_t *c = config_setting_get_member(o->s, conditions[k]);

        if (c == NULL)
            continue;
        if (at == NULL) {
            at = c;
            which = k;
        } else if (second == NULL) {
            second = c;
        }
    }
    if (at == NULL) {
        cfgc_problem(ck, o, NULL,
                     "missing a condition: give one of outside, above, below, in, "
                     "no_answer");
        return -1;
    }
    if (second != NULL) {
        cfgc_problem(ck, o, second,
                     "give one condition of outside, above, below, in, "
                     "no_answer, not several");
        return -1;
    }
    al->cond = (enum cfg_alarm_cond)which; /* conditions[] is in enum order */
    switch (al->cond) {
    case CFG_ALARM_OUTSIDE: {
        int n = (config_setting_is_array(at) || config_setting_is_list(at))
                    ? config_setting_length(at)
                    : -1;

        if (n != 2 || cfgc_setting_number(config_setting_get_elem(at, 0), &r[0]) != 0 ||
            cfgc_setting_number(config_setting_get_elem(at, 1), &r[1]) != 0) {
            cfgc_problem(ck, o, at, "\"outside\" must be [lo, hi], the band that is fine");
        } else if (r[0] > r[1]) {
            cfgc_problem(ck, o, at, "\"outside\": lo (%.10g) is above hi (%.10g)", r[0], r[1]);
        } else {
            al->lo = r[0];
            al->hi = r[1];
        }
        break;
    }
    case CFG_ALARM_ABOVE:
        cfgc_get_number(ck, o, "above", -1e12, 1e12, &al->lo);
        break;
    case CFG_ALARM_BELOW:
        cfgc_get_number(ck, o, "below", -1e12, 1e12, &al->hi);
        break;
    case CFG_ALARM_IN: {
        int n = (config_setting_is_array(at) || config_setting_is_list(at))
                    ? config_setting_length(at)
                    : -1;

        if (n < 1 || n > CFG_ALARM_MAX_SET) {
            cfgc_problem(ck, o, at,
                         "\"in\" must be a list of 1 to %d states, values or labels "
                         "like [\"battery\"] or [5]",
                         CFG_ALARM_MAX_SET);
            break;
        }
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(at, (unsigned)i);
            double x;

            if (config_setting_type(e) != CONFIG_TYPE_STRING && cfgc_setting_number(e, &x) != 0) {
                cfgc_problem(ck, o, at, "\"in\" must hold numbers or labels");
                return 0;
            }
        }
        *in_at = at;
        break;
    }
    case CFG_ALARM_NO_ANSWER:
        al->polls = 1;
        cfgc_get_int(ck, o, "no_answer", 1, POLLS_MAX, &al->polls);
        break;
    }
    return 0;
}

/* A non-empty list of strings at key; NULL after reporting, or if absent and not reported. */
static const config_setting_t *
string_list(struct cfgc *ck, const struct cfgc_obj *o, const char *key, const char *what)
{
    const config_setting_t *list = config_setting_get_member(o->s, key);

    if (list == NULL) {
        cfgc_missing(ck, o, key);
        return NULL;
    }
    if (!(config_setting_is_array(list) || config_setting_is_list(list)) ||
        config_setting_length(list) == 0) {
        cfgc_problem(ck, o, list, "\"%s\" must be a list of %s", key, what);
        return NULL;
    }
    for (int i = 0; i < config_setting_length(list); i++) {
        if (config_setting_type(config_setting_get_elem(list, (unsigned)i)) != CONFIG_TYPE_STRING) {
            cfgc_problem(ck, o, list, "\"%s\" must be a list of %s", key, what);
            return NULL;
        }
    }
    return list;
}

/* "devices" of a no_answer rule; "points" does not belong. */
static void
check_devices(struct cfgc *ck, const struct cfgc_obj *o, struct rw_config *cfg,
              struct cfg_alarm *al)
{
    const config_setting_t *at = config_setting_get_member(o->s, "points");
    const config_setting_t *list;
    char q[CFGC_QBUF];
    int n;

    if (at != NULL)
        cfgc_problem(ck, o, at,
                     "\"points\" does not apply to a no_answer rule: give "
                     "\"devices\"");
    if ((list = string_list(ck, o, "devices", "device ids, like [\"meter1\"]")) == NULL)
        return;
    n = config_setting_length(list);
    if ((al->targets = calloc((size_t)n, sizeof(*al->targets))) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        const char *id = config_setting_get_string(e);
        size_t d, j;

        for (d = 0; d < cfg->ndevices; d++)
            if (strcmp(cfg->devices[d].id, id) == 0)
                break;
        if (d == cfg->ndevices) {
            cfgc_problem(ck, o, e, "unknown device %s", cfgc_quote(q, sizeof(q), id));
            continue;
        }
        for (j = 0; j < al->ntargets; j++)
            if (al->targets[j].device == d)
                break;
        if (j < al->ntargets) {
            cfgc_problem(ck, o, e, "device %s is listed twice", cfgc_quote(q, sizeof(q), id));
            continue;
        }
        al->targets[al->ntargets].device = d;
        al->targets[al->ntargets++].point = CFG_NO_POINT;
    }
}

/* "points" of a value rule, each with the states of "in" resolved; "devices" does not
 * belong. */
static void
check_points(struct cfgc *ck, const struct cfgc_obj *o, struct rw_config *cfg,
             const int *profile_ok, struct cfg_alarm *al, const config_setting_t *in_at)
{
    const config_setting_t *at = config_setting_get_member(o->s, "devices");
    const config_setting_t *list;
    char q[CFGC_QBUF];
    int n;

    if (at != NULL)
        cfgc_problem(ck, o, at, "\"devices\" is only for a no_answer rule: give \"points\"");
    if ((list = string_list(ck, o, "points",
                            "\"device.point\" names, like "
                            "[\"meter1.v_l1\"]")) == NULL)
        return;
    n = config_setting_length(list);
    if ((al->targets = calloc((size_t)n, sizeof(*al->targets))) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        const char *name = config_setting_get_string(e);
        struct cfg_alarm_target *tg = &al->targets[al->ntargets];
        struct cfg_pointref ref;
        const struct cfg_profile *p;
        size_t j;

        if (cfg_check_pointref(ck, o, e, cfg, profile_ok, name, &ref) < 0)
            continue;
        p = &cfg->profiles[cfg->devices[ref.device].profile];
        for (j = 0; j < al->ntargets; j++)
            if (al->targets[j].device == ref.device && al->targets[j].point == ref.point)
                break;
        if (j < al->ntargets) {
            cfgc_problem(ck, o, e, "point %s is listed twice", cfgc_quote(q, sizeof(q), name));
            continue;
        }
        tg->device = ref.device;
        tg->point = ref.point;
        if (in_at != NULL && resolve_states(ck, o, p, &p->points[ref.point], name, in_at, tg) < 0)
            continue;
        al->ntargets++;
    }
}

/* The states of "in" as point pt's values: numbers as given, labels from its enumeration. */
static int
resolve_states(struct cfgc *ck, const struct cfgc_obj *o, const struct cfg_profile *p,
               const struct cfg_point *pt, const char *pname, const config_setting_t *in_at,
               struct cfg_alarm_target *tg)
{
    char q[CFGC_QBUF], q2[CFGC_QBUF];

    for (int i = 0; i < config_setting_length(in_at); i++) {
        const config_setting_t *e = config_setting_get_elem(in_at, (unsigned)i);
        const char *label;
        size_t k;

        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            cfgc_setting_number(e, &tg->set[tg->nset++]);
            continue;
        }
        label = config_setting_get_string(e);
        for (k = 0; k < pt->nenum; k++) {
            if (strcmp(p->enums[pt->enum_first + k].label, label) == 0) {
                tg->set[tg->nset++] = (double)p->enums[pt->enum_first + k].value;
                break;
            }
        }
        if (k == pt->nenum) {
            char known[256] = "";
            size_t len = 0;

            for (k = 0; k < pt->nenum && len + CFG_LABEL_MAX + 3 < sizeof(known); k++)
                len += (size_t)snprintf(known + len, sizeof(known) - len, "%s%s", k > 0 ? ", " : "",
                                        p->enums[pt->enum_first + k].label);
            if (pt->nenum == 0)
                cfgc_problem(ck, o, e, "state %s: point %s has no labels (give its values)",
                             cfgc_quote(q, sizeof(q), label), cfgc_quote(q2, sizeof(q2), pname));
            else
                cfgc_problem(ck, o, e, "point %s has no state %s (it has %s)",
                             cfgc_quote(q2, sizeof(q2), pname), cfgc_quote(q, sizeof(q), label),
                             known);
            return -1;
        }
    }
    return 0;
}

int
cfg_alarm_detector(const struct rw_config *cfg, struct alm_rule_cfg **rules,
                   struct alm_target **targets, size_t *n)
{
    static const enum alm_cond conds[] = {
        [CFG_ALARM_OUTSIDE] = ALM_OUTSIDE, [CFG_ALARM_ABOVE] = ALM_ABOVE,
        [CFG_ALARM_BELOW] = ALM_BELOW,     [CFG_ALARM_IN] = ALM_IN_SET,
        [CFG_ALARM_NO_ANSWER] = ALM_NO_ANSWER,
    };
    size_t total = 0, k = 0;

    for (size_t i = 0; i < cfg->nalarms; i++)
        total += cfg->alarms[i].ntargets;
    *rules = calloc(total + 1, sizeof(**rules));
    *targets = calloc(total + 1, sizeof(**targets));
    if (*rules == NULL || *targets == NULL) {
        free(*rules);
        free(*targets);
        *rules = NULL;
        *targets = NULL;
        return -1;
    }
    for (size_t i = 0; i < cfg->nalarms; i++) {
        const struct cfg_alarm *al = &cfg->alarms[i];

        for (size_t j = 0; j < al->ntargets; j++, k++) {
            const struct cfg_alarm_target *t = &al->targets[j];
            struct alm_rule_cfg *r = &(*rules)[k];
            struct alm_target *g = &(*targets)[k];

            /* Each target its own rule: the states of an "in" rule are per point. */
            r->cond = conds[al->cond];
            r->lo = al->lo;
            r->hi = al->hi;
            r->nset = t->nset;
            memcpy(r->set, t->set, sizeof(r->set));
            r->polls = al->polls;
            r->hold_ms = llround(al->hold * 1000.0);
            r->clear_ms = llround(al->clear_hold * 1000.0);
            g->rule = k;
            g->device = (uint32_t)t->device;
            g->point = t->point == CFG_NO_POINT ? ALM_NO_POINT : (uint32_t)t->point;
            g->stale_ms = llround(cfg->devices[t->device].stale * 1000.0);
        }
    }
    *n = total;
    return 0;
}
