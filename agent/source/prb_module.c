/*
 * prb_module.c - the service prober as roomwatchd's module roomwatch-probe.so (rw_module.h,
 * probe.h).
 */
#include "source/probe.h"

RW_MODULE_EXPORT const struct prb_module rw_module_probe = {
    .head = {RW_MODULE_ABI, sizeof(struct prb_module)},
    .new_prober = prb_new,
    .start = prb_start,
    .stop = prb_stop,
    .free_prober = prb_free,
    .get_stats = prb_get_stats,
};
