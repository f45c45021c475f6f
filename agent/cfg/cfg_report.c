/*
 * cfg_report.c - the "report" group (config/README.md, "report"):
 *
 *   report = {
 *       project = "机房运维服务";        # 项目名称
 *       department = "某某局";           # 主管部门
 *       implementer = "某某局信息中心";  # 实施单位
 *       weights = { supply_days = 10; voltage_stability = 10.0; };   # 分值, by indicator id
 *   };
 *
 * Every key is optional. A weight names an indicator of the config (engine or incident
 * indicator) and is a number above 0 and at most 100; an indicator may be weighted only if it
 * has a target (a line without a target cannot be scored).
 */
#include "cfg/cfg_report.h"

#include <stdlib.h>
#include <string.h>

static const char *const report_keys[] = {"project", "department", "implementer", "weights",
                                          NULL};

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
            cfgc_problem(ck, o, e, "weights: %s must be a number above 0 and at most 100 (its "
                                   "分值 on the form)",
                         id);
        } else if (in->target_text == NULL) {
            cfgc_problem(ck, o, e, "weights: indicator \"%s\" has no target, so its line "
                                   "cannot be scored",
                         id);
        } else {
            in->weight = v;
        }
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

    if (g == NULL)
        return;
    cfgc_obj_init(&o, g, "report", NULL, 0);
    cfgc_check_keys(ck, &o, report_keys);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (cfgc_get_text(ck, &o, texts[i], CFGC_TEXT_MAX, &v) > 0)
            *dst[i] = cfgc_strdup(ck, v);
    check_weights(ck, &o, cfg);
}

void
cfg_free_report(struct rw_config *cfg)
{
    free(cfg->report.project);
    free(cfg->report.department);
    free(cfg->report.implementer);
}
