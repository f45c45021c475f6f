/*
 * cfg_indicator.h - checking the main config's "indicators" list (cfg_indicator.c); private
 * to the cfg module. cfg_load() calls it once the devices and their profiles are known.
 */
#ifndef ROOMWATCH_CFG_INDICATOR_H
#define ROOMWATCH_CFG_INDICATOR_H

#include "cfg/cfg_check.h"

/*
 * Checks root's "indicators" into cfg->indicators. profile_ok[i] says whether device i's
 * profile loaded: references to the points of a device whose profile did not are not
 * reported again.
 */
void cfg_check_indicators(struct cfgc *ck, const struct cfgc_obj *root, struct rw_config *cfg,
                          const int *profile_ok);
/*
 * The "device.point" name of list element e (of object o), for indicators and alarm rules:
 * 0 and *ref, or -1 after reporting why at e's line (not "device.point", an unknown device,
 * no such point in its profile); -1 silently for a device whose profile did not load (its
 * problem is reported already).
 */
int cfg_check_pointref(struct cfgc *ck, const struct cfgc_obj *o, const config_setting_t *e,
                       const struct rw_config *cfg, const int *profile_ok, const char *name,
                       struct cfg_pointref *ref);
/* Frees what cfg_check_indicators() put in cfg. */
void cfg_free_indicators(struct rw_config *cfg);

#endif
