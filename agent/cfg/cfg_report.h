/*
 * cfg_report.h - checking the main config's "report" group (cfg_report.c), what the
 * self-evaluation workbook (`roomwatch report`) puts in its header block and the 分值 of
 * each form line; private to the cfg module. cfg_load() calls it once the indicators are
 * known, since the weights name them.
 */
#ifndef ROOMWATCH_CFG_REPORT_H
#define ROOMWATCH_CFG_REPORT_H

#include "cfg/cfg_check.h"

/* Checks root's "report" into cfg->report and the indicators' weights. */
void cfg_check_report(struct cfgc *ck, const struct cfgc_obj *root, struct rw_config *cfg);
/* Frees what cfg_check_report() put in cfg. */
void cfg_free_report(struct rw_config *cfg);

#endif
