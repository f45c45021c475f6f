/*
 * increc.h - the fault-handling record (故障处理记录) of the store as JSON objects, one per
 * incident: what `roomwatch incidents --json` and `--year Y --format json` print and what
 * `roomwatch report` writes in its 故障处理记录 sheet, from one code path.
 *
 *   {"id", "state", "rule", "name", "severity", "category", "device", "point", "started",
 *    "detected", "value", "acknowledged", "acknowledged_by", "ack_note", "time_to_ack_s",
 *    "cleared", "resolved", "resolution", "resolved_by", "cause", "measure", "duration_s",
 *    "flags"}
 *
 * Times are RFC 3339 in the site's zone, or null. Ownership: the json_t returned is new.
 */
#ifndef ROOMWATCH_INCREC_H
#define ROOMWATCH_INCREC_H

#include <stdint.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "store/store.h"

/* The config's name of alarm rule id, or NULL (none, or the rule was removed since). */
const char *increc_rule_name(const struct rw_config *cfg, const char *id);

/* One incident's object; NULL when memory runs out. */
json_t *increc_object(const struct rw_config *cfg, const struct store_incident *in);

/*
 * The incidents detected in [from, to) (to 0: all), in id order, as a new array in *out:
 * 0; -1 for a store error (store_errmsg()); 1 when memory runs out.
 */
int increc_list(const struct rw_config *cfg, struct store *st, int64_t from, int64_t to,
                json_t **out);

#endif
