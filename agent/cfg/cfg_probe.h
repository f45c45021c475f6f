/*
 * cfg_probe.h - checking a device's "probe" group (cfg_probe.c) and the built-in profiles
 * of service probes; private to the cfg module.
 *
 * A probe's points are ordinary points of an ordinary profile, built here rather than read
 * from a file, so that indicators, alarm rules, telemetry and replayed traces take
 * "app1.up" or "app1.latency_ms" like any meter's point. The profiles, by probe type:
 *   tcp:   up, latency_ms (connect time)
 *   http:  up, latency_ms (whole transfer), status (HTTP status code)
 *   https: as http, and cert_days (days until the server certificate expires)
 *   icmp:  up, rtt_ms (mean round trip of the echoes answered), loss (% of echoes lost)
 *   dns:   up, latency_ms, answers (records in the answer)
 */
#ifndef ROOMWATCH_CFG_PROBE_H
#define ROOMWATCH_CFG_PROBE_H

#include "cfg/cfg_check.h"

/*
 * Checks the probe group g of device dev into pr (whose strings the config owns: free with
 * cfg_probe_clear()). dir is the config's folder, for a relative ca_file.
 */
void cfg_check_probe(struct cfgc *ck, const char *dir, const struct cfgc_obj *dev,
                     const config_setting_t *g, struct cfg_probe *pr);
void cfg_probe_clear(struct cfg_probe *pr);

/* The built-in profile's name for pr: "probe-tcp", "probe-https", ... */
const char *cfg_probe_profile_name(const struct cfg_probe *pr);
/* Builds that profile into out (free with cfg_profile_clear()). Returns CFG_OK or
 * CFG_ERR_NOMEM. */
enum cfg_status cfg_probe_profile(const struct cfg_probe *pr, struct cfg_profile *out);

#endif
