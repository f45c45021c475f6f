/*
 * cfg_alarm.h - checking the main config's "alarms" list (cfg_alarm.c); private to the cfg
 * module. cfg_load() calls it once the devices and their profiles are known.
 */
#ifndef ROOMWATCH_CFG_ALARM_H
#define ROOMWATCH_CFG_ALARM_H

#include "cfg/cfg_check.h"

/*
 * Checks root's "alarms" into cfg->alarms. profile_ok[i] says whether device i's profile
 * loaded: references to the points of a device whose profile did not are not reported
 * again.
 */
void cfg_check_alarms(struct cfgc *ck, const struct cfgc_obj *root, struct rw_config *cfg,
                      const int *profile_ok);
/* Frees what cfg_check_alarms() put in cfg. */
void cfg_free_alarms(struct rw_config *cfg);

#endif
