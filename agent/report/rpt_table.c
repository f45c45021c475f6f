/*
 * rpt_table.c - the indicators as a plain-text table (see rpt_table.h).
 */
#include "report/rpt_table.h"

#include <math.h>

#include "report/rpt_inc.h"

static void
line(FILE *fp, const struct cfg_indicator *in, double value, const struct rpt_judgement *j)
{
    const char *st = rpt_status_name(j->status);

    fprintf(fp, "%-20s %-15s %14.4f %-6s %-14s %-5s %-8s ", in->id, cfg_ind_kind_name(in->kind),
            value, cfg_ind_kind_unit(in->kind), in->target_text != NULL ? in->target_text : "-",
            j->met < 0 ? "-" : j->met ? "yes" : "no", st != NULL ? st : "-");
    if (isnan(j->projection))
        fprintf(fp, "-\n");
    else
        fprintf(fp, "%.4f\n", j->projection);
}

void
rpt_table(FILE *fp, const struct rw_config *cfg, struct eng *e, const struct rpt_period *p)
{
    fprintf(fp, "%-20s %-15s %14s %-6s %-14s %-5s %-8s %s\n", "id", "kind", "value", "unit",
            "target", "met", "status", "projected");
    for (size_t i = 0; i < cfg->nindicators; i++) {
        const struct cfg_indicator *in = &cfg->indicators[i];
        const struct eng_result *r = eng_result(e, i);
        struct rpt_judgement j;

        rpt_judge(in, e, i, r, p, &j);
        line(fp, in, r->value, &j);
    }
}

void
rpt_table_inc(FILE *fp, const struct rw_config *cfg, const struct ist_result *res,
              const struct rpt_period *p, int64_t now)
{
    for (size_t i = 0; i < cfg->ninc_indicators; i++) {
        const struct cfg_indicator *in = &cfg->inc_indicators[i];
        struct rpt_judgement j;

        rpt_inc_judge(in, &res[i], p, now, &j);
        line(fp, in, res[i].value, &j);
    }
}
