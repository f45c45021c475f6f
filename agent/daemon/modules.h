/*
 * modules.h - which of roomwatchd's modules (agent/rw_module.h) a config needs, decided and
 * loaded in one place: at start, on a reload, and by -t, which thus fails on a module (or
 * an MQTT library) that would fail at start.
 */
#ifndef ROOMWATCH_DAEMON_MODULES_H
#define ROOMWATCH_DAEMON_MODULES_H

#include <stddef.h>

#include "notify/notifier.h"
#include "source/probe.h"
#include "source/snmp_poller.h"

struct rw_config;

/* The modules a config uses; NULL for those it does not. Borrowed: never freed. */
struct modules {
    const struct sp_module *snmp;         /* with an SNMP device */
    const struct prb_module *probe;       /* with a probed service */
    const struct notifier_module *notify; /* with a notification channel */
};

/*
 * Loads the modules cfg needs into m, and checks that paho's library for cfg's broker
 * (pub_paho.h) loads. Returns 0, or -1 with the first failure in err (errlen bytes), naming
 * the file and dlerror().
 */
int modules_load(const struct rw_config *cfg, struct modules *m, char *err, size_t errlen);

#endif
