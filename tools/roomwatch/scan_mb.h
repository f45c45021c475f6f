/*
 * scan_mb.h - roomwatch scan, Modbus: which unit ids answer on an open line or gateway, and
 * which shipped profile each answers plausibly. Reads only (function codes 1 to 4): a scan
 * never writes to a device.
 */
#ifndef ROOMWATCH_SCAN_MB_H
#define ROOMWATCH_SCAN_MB_H

#include <stddef.h>

#include <modbus.h>

#include "cfg/cfg.h"

#define SCAN_ALSO_MAX 256

struct scan_mb_found {
    int unit;
    const struct cfg_profile *profile; /* the best plausible profile; NULL: none fits */
    char also[SCAN_ALSO_MAX];          /* other plausible profiles, ", "-separated */
};

struct scan_mb_result {
    size_t nfound;
    struct scan_mb_found *found; /* malloc()ed; scan_mb_result_clear() */
    int garbled;                 /* answers with a bad CRC or frame: a wrong speed or framing */
};

/*
 * Asks every unit id in [first, last] for one holding register on ctx (connected; borrowed)
 * with a response timeout of timeout s. A unit is there if it answers, with data or with an
 * exception, except a gateway's "path unavailable" / "target failed to respond" (0x0A, 0x0B).
 * Appends what answered to res. Returns 0, or -1 with errno when the link itself failed
 * (connection reset, port gone).
 */
int scan_mb_units(modbus_t *ctx, int first, int last, double timeout, struct scan_mb_result *res);

/*
 * Reads, for unit f->unit, every point of each Modbus profile of profiles[0 .. n) as the
 * agent would, and keeps in f the profile the device answers most plausibly: every read
 * answered and every point within its profile's min/max, and the most points not zero (a
 * register map a device does not have reads as exceptions or as zeros; a model's
 * float32 volts read as another's int32 land outside its range). timeout: per request, s.
 */
void scan_mb_identify(modbus_t *ctx, struct scan_mb_found *f, const struct cfg_profile *profiles,
                      size_t n, double timeout);

void scan_mb_result_clear(struct scan_mb_result *res);

#endif
