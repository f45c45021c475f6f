/*
 * pub_json.h - JSON payloads the publisher sends, built with jansson.
 *
 * Telemetry, one document per poll cycle of a device:
 *   {"device":"meter1","kind":"meter","cycle":42,
 *    "time":"2026-11-23T18:40:00.123+08:00","ts":1795430400.123,
 *    "points":{"v_l1":{"value":230.1,"unit":"V","quality":"good"},
 *              "i_l1":{"value":null,"unit":"A","quality":"timeout"}, ...}}
 * "time" (RFC 3339, local offset) and "ts" (Unix s) are the latest answer of the cycle, to
 * the millisecond. Points appear in profile order, only those with a sample. "value" is null
 * unless the quality is good, and for NaN or infinities; an out-of-range reading keeps its
 * value under "raw" for diagnosis; a Modbus exception adds its "code". A cycle without
 * samples has "cycle", "time" and "ts" null and "points" {}.
 *
 * SNMP points add: "label" beside a good value of an enumerated point whose value has one
 * ("output_source":{"value":5,"label":"battery","unit":"","quality":"good"}); "code" is the
 * SNMP error-status or exception tag (128 noSuchObject, 129 noSuchInstance, 130 endOfMibView)
 * of an "exception"; "reset":true marks a timeticks point (sysUpTime) that went back since
 * the previous poll: the device restarted.
 *
 * Reals are written with 15 significant digits after rounding, so 230.1 reads 230.1, not
 * 230.09999999999999: a float32 point (scale 1, offset 0) becomes the shortest decimal that
 * reads back as the same float (230.1f, not 230.100006103516), any other value is rounded to
 * 9 decimals (305 * 0.1 reads 30.5, and 27315 * 0.01 - 273.15 reads 0.0, not 5.68e-14).
 */
#ifndef ROOMWATCH_PUB_JSON_H
#define ROOMWATCH_PUB_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "cfg/cfg.h"
#include "source/sample.h"

/*
 * Builds the telemetry document of one poll cycle of device dev from its samples (n of them,
 * any order, one per point at most; samples of other devices or of no point of the profile
 * are skipped). Returns a string the caller frees with free(), or NULL with errno ENOMEM, or
 * EINVAL for a dev that is not in cfg.
 */
char *pub_json_telemetry(const struct rw_config *cfg, size_t dev, const struct sample *s,
                         size_t n);

/*
 * A telemetry document sent late (agent/daemon/late.h), rebuilt from the sample archive,
 * which keeps of each sample its time, its value and whether the device answered with a
 * valid value:
 *   {"device":"meter1","kind":"meter","cycle":null,"time":"2026-11-23T18:40:00.123+08:00",
 *    "ts":1795430400.123,"late":true,
 *    "points":{"v_l1":{"value":230.1,"unit":"V","quality":"good"},
 *              "i_l1":{"value":null,"unit":"A","quality":"no_answer"}, ...}}
 * t is the cycle's time (ms, engine time: the archive's clock, within milliseconds of the
 * live document's "ts"). "quality" is "good", "no_answer" (timeouts and link errors) or
 * "bad" (an answer without a valid value: exceptions, decode errors, out of range); there is
 * no "raw", "code" or "reset". Points in profile order; p[i].point indexes the device's
 * profile points, one entry per point at most. Returns a string to free(), or NULL with errno
 * ENOMEM, or EINVAL for a dev that is not in cfg.
 */
struct pub_late_point {
    uint32_t point;
    double value; /* when answered with a valid value */
    int answered; /* 0: the poll got no answer */
    int valid;    /* answered with a valid value */
};
char *pub_json_late(const struct rw_config *cfg, size_t dev, int64_t t,
                    const struct pub_late_point *p, size_t n);

/*
 * {"state":"online"|"offline","site":...,"gateway":...,"version":...,"time":...}; free().
 * "time" is null when wall is NaN (the last will). NULL with errno ENOMEM.
 */
char *pub_json_status(const struct rw_config *cfg, const char *state, double wall);
/* The object doc with the members of the object extra added (both JSON text): a new malloc()ed
 * text, or NULL when either is not an object or memory runs out. */
char *pub_json_merge(const char *doc, const char *extra);

#endif
