/*
 * nt_module.c - the notifier as roomwatchd's module roomwatch-notify.so (rw_module.h,
 * notifier.h).
 */
#include "notify/notifier.h"

RW_MODULE_EXPORT const struct notifier_module rw_module_notify = {
    .head = {RW_MODULE_ABI, sizeof(struct notifier_module)},
    .start = notifier_start,
    .stop = notifier_stop,
    .status = notifier_status,
    .status_version = notifier_status_version,
};
