/*
 * rpt_table.c - the indicators as a plain-text table (see rpt_table.h).
 */
#include "report/rpt_table.h"

#include <math.h>

void
rpt_table(FILE *fp, const struct rw_config *cfg, struct eng *e, const struct rpt_period *p)
{
    fprintf(fp, "%-20s %-15s %14s %-6s %-14s %-5s %-8s %s\n", "id", "kind", "value", "unit",
            "target", "met", "status", "projected");
    for (size_t i = 0; i < cfg->nindicators; i++) {
        const struct cfg_indicator *in = &cfg->indicators[i];
        const struct eng_result *r = eng_result(e, i);
        struct rpt_judgement j;
        const char *st;

        rpt_judge(in, e, i, r, p, &j);
        st = rpt_status_name(j.status);
        fprintf(fp, "%-20s %-15s %14.4f %-6s %-14s %-5s %-8s ", in->id,
                cfg_ind_kind_name(in->kind), r->value, cfg_ind_kind_unit(in->kind),
                in->target_text != NULL ? in->target_text : "-",
                j.met < 0 ? "-" : j.met ? "yes" : "no", st != NULL ? st : "-");
        if (isnan(j.projection))
            fprintf(fp, "-\n");
        else
            fprintf(fp, "%.4f\n", j.projection);
    }
}
