/*
 * scan_snmp.h - roomwatch scan, SNMP: what an agent is (sysDescr, sysObjectID) and which
 * shipped SNMP profiles it answers. GET and GETNEXT only (SNMP v2c).
 */
#ifndef ROOMWATCH_SCAN_SNMP_H
#define ROOMWATCH_SCAN_SNMP_H

#include <stddef.h>

#include "cfg/cfg.h"

#define SCAN_SNMP_TEXT 256
#define SCAN_SNMP_ROWS 256 /* table rows kept per profile, the config's "index" limit */

struct scan_snmp_match {
    const struct cfg_profile *profile;
    size_t nindex; /* rows of its "{index}" columns, 0 for a profile without */
    int index[SCAN_SNMP_ROWS];
};

struct scan_snmp_host {
    char descr[SCAN_SNMP_TEXT]; /* sysDescr.0, printable characters only */
    char object_id[SCAN_SNMP_TEXT]; /* sysObjectID.0, dotted */
    size_t nmatch;
    struct scan_snmp_match *match; /* malloc()ed; scan_snmp_host_clear() */
};

/*
 * Asks the agent at host:port (community: borrowed; never printed) for sysDescr and
 * sysObjectID, then, for each SNMP profile of profiles[0 .. n), whether it answers it: every
 * plain OID present with a value within the point's min/max, every "{index}" column with at
 * least one row (the rows of the first are kept as the index list). Walked columns (alarm
 * tables) may be empty. Returns 0, -1 if the agent does not answer (err says why).
 * sp_library_init() must have run.
 */
int scan_snmp_host(const char *host, int port, const char *community, double timeout,
                   const struct cfg_profile *profiles, size_t n, struct scan_snmp_host *out,
                   char *err, size_t errlen);

void scan_snmp_host_clear(struct scan_snmp_host *h);

#endif
