/*
 * modules.c - the modules a config needs (see modules.h).
 */
#include "modules.h"

#include <string.h>

#include "cfg/cfg.h"
#include "pub/pub_paho.h"
#include "rw_module.h"

int
modules_load(const struct rw_config *cfg, struct modules *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    if (paho_load(cfg->mqtt.uri, err, errlen) == NULL)
        return -1;
    if (cfg_device_count(cfg, CFG_PROTO_SNMP) > 0 &&
        (m->snmp = rw_module_load("snmp", sizeof(*m->snmp), err, errlen)) == NULL)
        return -1;
    if (cfg_device_count(cfg, CFG_PROTO_PROBE) > 0 &&
        (m->probe = rw_module_load("probe", sizeof(*m->probe), err, errlen)) == NULL)
        return -1;
    if (cfg->nnotify > 0 &&
        (m->notify = rw_module_load("notify", sizeof(*m->notify), err, errlen)) == NULL)
        return -1;
    return 0;
}
