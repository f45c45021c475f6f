/*
 * pub_json.h - JSON payloads the publisher sends, built with jansson.
 *
 * Telemetry, one document per poll cycle of a device:
 *   {"device":"meter1","kind":"meter","cycle":42,
 *    "time":"2026-11-23T18:40:00.123+08:00","ts":1795430400.123,
 *    "points":{"v_l1":{"value":230.1,"unit":"V","quality":"good"},
 *              "i_l1":{"value":null,"unit":"A","quality":"timeout"}, ...}}
 * "value" is null unless the quality is good; an out-of-range reading keeps its value under
 * "raw" for diagnosis. Reals are written with 15 significant digits after rounding, so 230.1
 * reads 230.1, not 230.09999999999999.
 */
#ifndef ROOMWATCH_PUB_JSON_H
#define ROOMWATCH_PUB_JSON_H

#include <stddef.h>

#include "cfg/cfg.h"
#include "source/sample.h"

/*
 * Builds the telemetry document of one poll cycle of device dev from its samples (n of them,
 * any order, one per point at most). Returns a string the caller frees with free(), or NULL
 * on allocation failure.
 */
char *pub_json_telemetry(const struct rw_config *cfg, size_t dev, const struct sample *s,
                         size_t n);

/* {"state":"online"|"offline","site":...,"gateway":...,"version":...,"time":...}; free(). */
char *pub_json_status(const struct rw_config *cfg, const char *state, double wall);

#endif
