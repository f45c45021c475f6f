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

/*
 * The record's columns, in order: the member of increc_object() each shows, its header in
 * `roomwatch incidents --format csv` (tools/roomwatch/README.md), its heading in the
 * workbook's 故障处理记录 sheet (English: the member's name), whether people write it (text:
 * quoted in CSV) and whether it is a time. One list for every tabular form of the record.
 */
struct increc_column {
    const char *key, *csv, *zh;
    unsigned text : 1, time : 1;
};
#define INCREC_NCOLUMNS 23
extern const struct increc_column increc_columns[INCREC_NCOLUMNS];

/*
 * A member of the record's object as one cell's text: a string as it is, a number as the JSON
 * has it (%.15g: 75, 75.5), the flags joined by ";" (in buf, len bytes), NULL for null or
 * no flags.
 */
const char *increc_text(const json_t *v, char *buf, size_t len);

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
