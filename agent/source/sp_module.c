/*
 * sp_module.c - the SNMP poller as roomwatchd's module roomwatch-snmp.so (rw_module.h,
 * snmp_poller.h).
 */
#include "source/snmp_poller.h"

RW_MODULE_EXPORT const struct sp_module rw_module_snmp = {
    .head = {RW_MODULE_ABI, sizeof(struct sp_module)},
    .library_init = sp_library_init,
    .library_shutdown = sp_library_shutdown,
    .poller_new = sp_poller_new,
    .poller_start = sp_poller_start,
    .poller_stop = sp_poller_stop,
    .poller_free = sp_poller_free,
    .poller_get_stats = sp_poller_get_stats,
};
