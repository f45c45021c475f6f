/*
 * replay_inc.h - incidents in `roomwatch replay`: the config's alarm rules run over the
 * trace's samples through the daemon's detector (engine/alarm.h) to open and resolve
 * incidents, the trace's event rows (@ack, @resolve, @event) applied to them, and the
 * incident indicators computed from the record (engine/incstat.h), as the daemon computes
 * them from its store.
 *
 * Incidents are numbered 1, 2, ... in the order they open, as a fresh store numbers them, so
 * that event rows can name them. Samples: rows of one device with the same ts are one poll
 * cycle, judged (for no_answer rules) when the device's next cycle begins; an empty or nan
 * value is a poll with no answer, a value outside the plausible range an answer without a
 * valid value.
 *
 * Errors: rinc_row() returns -1 with a message in err (the caller adds file and line). The
 * rest return -1 only when memory runs out.
 * Ownership: cfg is borrowed and must outlive the object; results are the caller's
 * (ist_result_clear()).
 */
#ifndef ROOMWATCH_REPLAY_INC_H
#define ROOMWATCH_REPLAY_INC_H

#include <stddef.h>
#include <stdint.h>

struct ist_result;
struct rinc;
struct rw_config;
struct trace_row;

int rinc_open(const struct rw_config *cfg, struct rinc **out);
void rinc_free(struct rinc *r);
/* One sample of point `point` of device dev: answered (a value came), valid (and in range). */
int rinc_sample(struct rinc *r, size_t dev, size_t point, int64_t t, double value, int answered,
                int valid);
/* One event row (row->directive). */
int rinc_row(struct rinc *r, const struct trace_row *row, char *err, size_t errlen);
/* The incident indicators over [start, end) as of now: res[i] for cfg->inc_indicators[i]. */
int rinc_results(struct rinc *r, int64_t start, int64_t end, int64_t now, struct ist_result *res);

#endif
