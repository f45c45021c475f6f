/*
 * incstat.h - the incident indicators (DESIGN.md, "Indicators": mttr, mtta, within,
 * resolution_rate, count): values computed from the fault-handling record, the incidents and
 * the recorded events, over a period, with the incidents and events each value rests on.
 *
 * Pure, like the engine beside it: no I/O, no clock, no locks. The caller reads the records
 * (the daemon from the store, `roomwatch replay` from its own replayed incidents) and passes
 * them in with "now", so both compute the same values from the same records. A record's times
 * are what the store says: an incident open across midnight or across a restart of the agent
 * is one incident whose detected time is when it opened, however many days or runs it spans.
 *
 * Definitions, for the period [start, end) judged at now (clipped to end; a time after now is
 * "not yet"), over the incidents the selection matches (rule ids, categories, severities; an
 * empty list matches all):
 *  - response: the acknowledgement, or a resolution by hand if that came first (someone acted
 *    on the incident without acknowledging it). An incident resolved automatically before
 *    anyone responded was never responded to.
 *  - mttr: mean of (resolved - detected) over incidents resolved in the period, hours. An
 *    incident still open at now is not in the mean; it is listed ("open") with its time so far.
 *  - mtta: mean, or with max the longest, of (response - detected) over incidents responded to
 *    in the period, hours. One not responded to yet is listed ("open"); one resolved
 *    automatically in the period without a response is listed ("no_response") and left out.
 *  - within: over incidents detected in the period, the share decided on time, %: on time when
 *    the response (or with on_resolve the resolution) came at most limit after detection;
 *    late when it came later, or when the incident was open longer than limit without one.
 *    Undecided ("open": no response yet, limit not passed) and resolved automatically within
 *    the limit without a response ("no_response") are left out.
 *  - resolution_rate: incidents detected in the period and resolved by now / incidents
 *    detected in the period x 100 %. One still open at now counts as unresolved.
 *  - count: recorded events of one kind in the period, plus (count_incidents) the selected
 *    incidents detected in it; or a configured inventory number (nothing to count: the value
 *    is the number given).
 * A value with nothing to rest on (no incident resolved, none detected...) is NaN.
 *
 * Ownership: the strings of the inputs are borrowed for the call. ist_compute() fills a
 * result whose items it allocates: free them with ist_result_clear().
 */
#ifndef ROOMWATCH_INCSTAT_H
#define ROOMWATCH_INCSTAT_H

#include <stddef.h>
#include <stdint.h>

enum ist_status {
    IST_OK = 0,
    IST_ERR_NOMEM,
};

enum ist_kind {
    IST_MTTR = 0,
    IST_MTTA,
    IST_WITHIN,
    IST_RESOLUTION_RATE,
    IST_COUNT,
};

/* One incident of the fault-handling record. Times in ms since the epoch, 0 when not set. */
struct ist_incident {
    int64_t id;
    const char *rule, *severity, *category;
    int64_t detected, acked, resolved;
    int by_hand; /* resolved by hand (not by its condition clearing) */
};

/* One recorded event (maintenance visit, inspection, security incident). */
struct ist_event {
    int64_t id;
    const char *kind; /* "maintenance", "inspection", "security-incident" */
    int64_t at;       /* ms */
};

struct ist_cfg {
    enum ist_kind kind;
    size_t nrules, ncategories, nseverities; /* selection; 0: any */
    const char *const *rules;
    const char *const *categories;
    const char *const *severities;
    int max;          /* mtta: the longest response instead of the mean */
    int on_resolve;   /* within: the resolution must come within the limit, not the response */
    int64_t limit_ms; /* within: > 0 */
    const char *event;   /* count: the event kind counted; NULL for none */
    int count_incidents; /* count: the selected incidents detected in the period count too */
    int has_inventory;   /* count: the value is inventory, not a count of records */
    double inventory;
};

/* How an item stands in its indicator. */
enum ist_state {
    IST_S_COUNTED = 0, /* in the value (within: on time; resolution_rate: resolved) */
    IST_S_LATE,        /* within: decided late (in the value as such) */
    IST_S_OPEN,        /* not in the value yet: still open / not responded / undecided */
    IST_S_UNRESOLVED,  /* resolution_rate: detected, not resolved by now (in the value) */
    IST_S_NO_RESPONSE, /* mtta, within: resolved automatically without a response; left out */
};

struct ist_item {
    int64_t id;
    int is_event;     /* an event (count): at is in detected */
    int64_t detected; /* incident: detected; event: at */
    int64_t acked, resolved; /* 0 when not (yet, at now) */
    int64_t duration_ms; /* what was measured (mttr: resolved - detected; mtta, within: response
                            or resolution - detected), or for an open one the time so far */
    enum ist_state state;
};

struct ist_result {
    double value; /* hours (mttr, mtta), % (within, resolution_rate), a number (count); NaN */
    /* mttr, mtta: the counted durations, and the open incidents' times so far */
    uint64_t n;
    int64_t sum_ms, max_ms;
    uint64_t nopen;
    int64_t open_sum_ms, open_max_ms;
    /* within: decided on time, late, undecided; resolution_rate: detected, resolved */
    uint64_t on_time, late, pending;
    uint64_t detected, resolved;
    /* count */
    uint64_t events, incidents;
    size_t nitems;
    struct ist_item *items; /* in the order of the inputs: incidents, then events */
};

/*
 * Computes indicator c over [start, end) as of now from the incidents and events given (any
 * order). *out is overwritten (clear a previous result first). IST_OK, or IST_ERR_NOMEM with
 * *out empty.
 */
enum ist_status ist_compute(const struct ist_cfg *c, int64_t start, int64_t end, int64_t now,
                            const struct ist_incident *inc, size_t ninc,
                            const struct ist_event *ev, size_t nev, struct ist_result *out);
/* Frees the items; the result reads as empty afterwards. Accepts a zeroed result. */
void ist_result_clear(struct ist_result *r);

/* "counted", "late", "open", "unresolved", "no_response". */
const char *ist_state_name(enum ist_state s);

#endif
