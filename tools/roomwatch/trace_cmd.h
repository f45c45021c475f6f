/*
 * trace_cmd.h - a trace's event rows (@ack, @resolve, @event) read as the commands they
 * replay (store.h, struct store_cmd), which `roomwatch replay` hands to the core: the same
 * commands, applied by the same rules, as roomwatchd applies from MQTT and the CLI from the
 * command line.
 *
 *   2024-03-01T23:55:00+08:00,@ack,incident=1;by=wang;note=on site
 *   2024-06-10T10:31:00+08:00,@resolve,incident=2;by=li;cause=CRAC filter clogged;measure=cleaned
 *   2024-01-15T10:00:00+08:00,@event,kind=maintenance;by=zhao;at=2024-01-14T16:00:00+08:00
 *
 * The value column is key=value pairs separated by ';'. A value may carry any byte as %XX
 * (two hex digits): ',', ';', '%' and line breaks must be written so. Keys: @ack incident, by,
 * note; @resolve incident, by, cause, measure; @event kind (maintenance, inspection,
 * security-incident), by, note, incident, at (when it happened, as the ts column is written;
 * default: the row's ts). by is required; so is incident for @ack and @resolve.
 *
 * Pure: no I/O. Errors: -1 with a message in err (without the file and line).
 */
#ifndef ROOMWATCH_TRACE_CMD_H
#define ROOMWATCH_TRACE_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct trace_row;

#define TRACE_CMD_TEXT 4096 /* bytes of one value, decoded, NUL included */

struct trace_cmd {
    struct store_cmd cmd; /* its strings point into the buffers below */
    char by[TRACE_CMD_TEXT], note[TRACE_CMD_TEXT], cause[TRACE_CMD_TEXT], measure[TRACE_CMD_TEXT];
};

int trace_cmd_parse(const struct trace_row *row, struct trace_cmd *out, char *err, size_t errlen);

/*
 * A @restart row (the daemon's archive writes one when roomwatchd starts on a store it
 * resumes: core.h, core_restart()): `ts,@restart,saved=TIME`, TIME the checkpoint it resumed
 * from, written as ts is. 1 and *saved for a @restart row, 0 for another directive, -1 with
 * a message for a bad one.
 */
int trace_restart_parse(const struct trace_row *row, int64_t *saved, char *err, size_t errlen);

#endif
