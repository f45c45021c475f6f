/*
 * cfg_report.c - the "report" group (config/README.md, "report"):
 *
 *   report = {
 *       project = "机房运维服务";        # 项目名称
 *       department = "某某局";           # 主管部门
 *       implementer = "某某局信息中心";  # 实施单位
 *       weights = { supply_days = 10; voltage_stability = 10.0; };   # 分值, by indicator id
 *       entered = ( { id = "satisfaction"; name = "管理人员满意度"; target = "90"; rule = ">=90";
 *                     value = 95.0; unit = "%"; by = "李科长"; basis = "2025 年问卷"; weight = 10;
 * } );
 *   };
 *
 * An entered line (a form line the agent cannot measure) needs id (unique among indicators
 * and entered lines), name, target (as the form writes it), by and basis, and a result:
 * value (a number in the target's unit) or text (words such as 健全, with met). A
 * qualitative target decided by a number needs a rule, as an indicator's does; met may be
 * given to decide the line by hand; score (at most the weight) to grade it by hand.
 * Every key is optional. A weight names an indicator of the config (engine or incident
 * indicator) and is a number above 0 and at most 100; an indicator may be weighted only if it
 * has a target (a line without a target cannot be scored).
 */
#include "cfg/cfg_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const report_keys[] = {"project", "department",      "implementer",
                                          "weights", "entered",         "publish_interval",
                                          NULL};
static const char *const entered_keys[] = {"id",    "name",   "category", "subcategory", "target",
                                           "rule",  "value",  "unit",     "text",        "met",
                                           "score", "weight", "by",       "basis",       NULL};

/* The indicator named id, engine ones first, or NULL. */
static struct cfg_indicator *
find_indicator(struct rw_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->nindicators; i++)
        if (strcmp(cfg->indicators[i].id, id) == 0)
            return &cfg->indicators[i];
    for (size_t i = 0; i < cfg->ninc_indicators; i++)
        if (strcmp(cfg->inc_indicators[i].id, id) == 0)
            return &cfg->inc_indicators[i];
    return NULL;
}

static void
check_weights(struct cfgc *ck, const struct cfgc_obj *o, struct rw_config *cfg)
{
    config_setting_t *w = cfgc_get_group(ck, o, "weights", 0);
    int n = w != NULL ? config_setting_length(w) : 0;

    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(w, (unsigned)i);
        const char *id = config_setting_name(e);
        struct cfg_indicator *in = find_indicator(cfg, id);
        double v;

        if (in == NULL) {
            cfgc_problem(ck, o, e, "weights: no indicator \"%s\" in this config", id);
        } else if (cfgc_setting_number(e, &v) < 0 || !(v > 0 && v <= 100)) {
            cfgc_problem(ck, o, e,
                         "weights: %s must be a number above 0 and at most 100 (its "
                         "分值 on the form)",
                         id);
        } else if (in->target_text == NULL) {
            cfgc_problem(ck, o, e,
                         "weights: indicator \"%s\" has no target, so its line "
                         "cannot be scored",
                         id);
        } else {
            in->weight = v;
        }
    }
}

/* One text key into *dst (strdup'ed); required ones reported when absent. */
static void
text_key(struct cfgc *ck, const struct cfgc_obj *o, const char *key, int required, char **dst)
{
    const char *v;
    int r = cfgc_get_text(ck, o, key, CFGC_TEXT_MAX * 4, &v);

    if (r > 0)
        *dst = cfgc_strdup(ck, v);
    else if (r == 0 && required)
        cfgc_missing(ck, o, key);
}

static int
parse_target(struct cfgc *ck, const struct cfgc_obj *o, const char *key, const char *text,
             const char *unit, struct tgt *t)
{
    char err[TGT_ERR_LEN];

    if (text == NULL)
        return 0;
    if (tgt_parse(text, unit, t, err, sizeof(err)) != TGT_OK) {
        cfgc_problem(ck, o, config_setting_get_member(o->s, key), "%s: %s", key, err);
        return -1;
    }
    return 0;
}

static void
check_entered_one(struct cfgc *ck, const config_setting_t *e, int index, struct rw_config *cfg,
                  struct cfg_entered *en)
{
    struct cfgc_obj o;
    const char *id = NULL;
    int met, has_value, has_met;

    en->value = NAN;
    en->score = NAN;
    en->met = -1;
    en->line = cfgc_src_line(e);
    cfgc_obj_init(&o, e, "entered line", NULL, index);
    if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
        cfgc_problem(ck, NULL, e, "report.entered: each line is a group { ... }");
        return;
    }
    cfgc_check_keys(ck, &o, entered_keys);
    if (cfgc_get_id(ck, &o, "id", CFGC_ID_ANY, 1, &id) > 0) {
        snprintf(en->id, sizeof(en->id), "%s", id);
        cfgc_obj_init(&o, e, "entered line", id, 0);
        if (find_indicator(cfg, id) != NULL)
            cfgc_problem(ck, &o, config_setting_get_member(e, "id"),
                         "id \"%s\" is also an indicator's", id);
        for (size_t k = 0; k < cfg->report.nentered; k++)
            if (&cfg->report.entered[k] != en && strcmp(cfg->report.entered[k].id, id) == 0)
                cfgc_problem(ck, &o, config_setting_get_member(e, "id"),
                             "duplicate entered line id \"%s\"", id);
    }
    text_key(ck, &o, "name", 1, &en->name);
    text_key(ck, &o, "category", 0, &en->category);
    text_key(ck, &o, "subcategory", 0, &en->subcategory);
    text_key(ck, &o, "target", 1, &en->target_text);
    text_key(ck, &o, "rule", 0, &en->rule_text);
    text_key(ck, &o, "unit", 0, &en->unit);
    text_key(ck, &o, "text", 0, &en->text);
    text_key(ck, &o, "by", 1, &en->by);
    text_key(ck, &o, "basis", 1, &en->basis);
    has_value = cfgc_get_number(ck, &o, "value", -1e15, 1e15, &en->value) > 0;
    has_met = cfgc_get_bool(ck, &o, "met", &met) > 0;
    if (has_met)
        en->met = met;
    (void)cfgc_get_number(ck, &o, "weight", 0, 100, &en->weight);
    (void)cfgc_get_number(ck, &o, "score", 0, 100, &en->score);
    if (parse_target(ck, &o, "target", en->target_text, en->unit, &en->target) < 0 ||
        parse_target(ck, &o, "rule", en->rule_text, NULL, &en->rule) < 0)
        return;
    if (has_value == (en->text != NULL))
        cfgc_problem(ck, &o, NULL,
                     "give the result as value (a number) or as text (words), "
                     "one of them");
    else if (en->text != NULL && !has_met)
        cfgc_problem(ck, &o, NULL, "a result in words (text) needs met = true or false");
    else if (en->target_text != NULL && en->target.qualitative && en->rule_text == NULL && !has_met)
        cfgc_problem(ck, &o, NULL,
                     "target \"%s\" is qualitative: give a rule (\">=90\") "
                     "or met = true or false",
                     en->target_text);
    if (isfinite(en->score) && !(en->weight > 0 && en->score <= en->weight))
        cfgc_problem(ck, &o, config_setting_get_member(e, "score"),
                     "score must come with a weight and be at most the weight");
}

static void
check_entered(struct cfgc *ck, const struct cfgc_obj *o, struct rw_config *cfg)
{
    config_setting_t *l = cfgc_get_list(ck, o, "entered", 0);
    int n = l != NULL ? config_setting_length(l) : 0;

    if (n == 0)
        return;
    if ((cfg->report.entered = calloc((size_t)n, sizeof(*cfg->report.entered))) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    for (int i = 0; i < n; i++) {
        cfg->report.nentered = (size_t)i + 1;
        check_entered_one(ck, config_setting_get_elem(l, (unsigned)i), i + 1, cfg,
                          &cfg->report.entered[i]);
    }
}

void
cfg_check_report(struct cfgc *ck, const struct cfgc_obj *root, struct rw_config *cfg)
{
    static const char *const texts[] = {"project", "department", "implementer"};
    char **dst[] = {&cfg->report.project, &cfg->report.department, &cfg->report.implementer};
    config_setting_t *g = cfgc_get_group(ck, root, "report", 0);
    struct cfgc_obj o;
    const char *v;

    cfg->report.publish_interval = 900;
    if (g == NULL)
        return;
    cfgc_obj_init(&o, g, "report", NULL, 0);
    cfgc_check_keys(ck, &o, report_keys);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (cfgc_get_text(ck, &o, texts[i], CFGC_TEXT_MAX, &v) > 0)
            *dst[i] = cfgc_strdup(ck, v);
    cfgc_get_int(ck, &o, "publish_interval", 60, 86400, &cfg->report.publish_interval);
    check_weights(ck, &o, cfg);
    check_entered(ck, &o, cfg);
}

void
cfg_free_report(struct rw_config *cfg)
{
    free(cfg->report.project);
    free(cfg->report.department);
    free(cfg->report.implementer);
    for (size_t i = 0; i < cfg->report.nentered; i++) {
        struct cfg_entered *en = &cfg->report.entered[i];
        char *strs[] = {en->name, en->category, en->subcategory, en->target_text, en->rule_text,
                        en->unit, en->text,     en->by,          en->basis};

        for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
            free(strs[k]);
    }
    free(cfg->report.entered);
}
