/*
 * cfg_notify.h - checking the main config's "notify" list and "escalation" group
 * (cfg_notify.c); private to the cfg module.
 */
#ifndef ROOMWATCH_CFG_NOTIFY_H
#define ROOMWATCH_CFG_NOTIFY_H

#include "cfg/cfg_check.h"

/* Checks root's "notify" into cfg->notify and "escalation" into cfg->escalate; relative
 * file names are joined to dir (the config file's folder). */
void cfg_check_notify(struct cfgc *ck, const struct cfgc_obj *root, struct rw_config *cfg,
                      const char *dir);
/* Frees what cfg_check_notify() put in cfg, wiping the secrets. */
void cfg_free_notify(struct rw_config *cfg);

/*
 * cfg_load.c: reads the secret in file path (mode 0600 or stricter, its first line, at least
 * min_len characters) into *out (malloc()ed), reporting problems at setting at under key.
 * Returns 0 or -1. The secret never appears in a message.
 */
int cfg_read_secret(struct cfgc *ck, const struct cfgc_obj *o, const config_setting_t *at,
                    const char *key, const char *path, size_t min_len, char **out);

#endif
