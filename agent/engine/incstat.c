/*
 * incstat.c - the incident indicators (see incstat.h).
 *
 * Every call recomputes from the records: a year holds a few hundred incidents at most, and a
 * fresh computation cannot drift from what the store says, as an accumulator could when an
 * incident is acknowledged or resolved by hand long after it opened.
 */
#include "engine/incstat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_H 3600000.0

static int in_list(const char *s, const char *const *list, size_t n);
static int selected(const struct ist_cfg *c, const struct ist_incident *in);
static int64_t at_now(int64_t t, int64_t now);
static int64_t response(const struct ist_incident *in, int64_t now);
static void add(struct ist_result *r, const struct ist_incident *in, int64_t now,
                int64_t duration, enum ist_state st);

const char *
ist_state_name(enum ist_state s)
{
    switch (s) {
    case IST_S_COUNTED:
        return "counted";
    case IST_S_LATE:
        return "late";
    case IST_S_OPEN:
        return "open";
    case IST_S_UNRESOLVED:
        return "unresolved";
    case IST_S_NO_RESPONSE:
        return "no_response";
    }
    return "?";
}

static int
in_list(const char *s, const char *const *list, size_t n)
{
    if (n == 0)
        return 1;
    if (s == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int
selected(const struct ist_cfg *c, const struct ist_incident *in)
{
    return in_list(in->rule, c->rules, c->nrules) &&
           in_list(in->category, c->categories, c->ncategories) &&
           in_list(in->severity, c->severities, c->nseverities);
}

/* A time that has come by now, else 0 ("not yet"). */
static int64_t
at_now(int64_t t, int64_t now)
{
    return t != 0 && t <= now ? t : 0;
}

/* The response by now: the acknowledgement, or a hand resolution before it; 0 if none. */
static int64_t
response(const struct ist_incident *in, int64_t now)
{
    int64_t a = at_now(in->acked, now), r = in->by_hand ? at_now(in->resolved, now) : 0;

    if (a != 0 && (r == 0 || a <= r))
        return a;
    return r;
}

/* The items array has room for every input (allocated up front). */
static void
add(struct ist_result *r, const struct ist_incident *in, int64_t now, int64_t duration,
    enum ist_state st)
{
    struct ist_item *it = &r->items[r->nitems++];

    it->id = in->id;
    it->is_event = 0;
    it->detected = in->detected;
    it->acked = at_now(in->acked, now);
    it->resolved = at_now(in->resolved, now);
    it->duration_ms = duration;
    it->state = st;
}

/* A duration for a mean (mttr, mtta): counted (done) or open (still running), and listed. */
static void
tally(struct ist_result *r, const struct ist_incident *in, int64_t now, int64_t d,
      enum ist_state st)
{
    if (st == IST_S_COUNTED) {
        r->n++;
        r->sum_ms += d;
        if (d > r->max_ms)
            r->max_ms = d;
    } else {
        r->nopen++;
        r->open_sum_ms += d;
        if (d > r->open_max_ms)
            r->open_max_ms = d;
    }
    add(r, in, now, d, st);
}

enum ist_status
ist_compute(const struct ist_cfg *c, int64_t start, int64_t end, int64_t now,
            const struct ist_incident *inc, size_t ninc, const struct ist_event *ev, size_t nev,
            struct ist_result *out)
{
    struct ist_result *r = out;

    memset(r, 0, sizeof(*r));
    r->value = NAN;
    if (now > end)
        now = end;
    if ((r->items = calloc(ninc + nev + 1, sizeof(*r->items))) == NULL)
        return IST_ERR_NOMEM;
    if (c->kind == IST_COUNT && c->has_inventory) {
        r->value = c->inventory;
        return IST_OK;
    }
    for (size_t i = 0; i < ninc; i++) {
        const struct ist_incident *in = &inc[i];
        int64_t det = in->detected, res = at_now(in->resolved, now), resp, d;
        int detected_in = det >= start && det < now;

        if (det == 0 || det >= now || !selected(c, in))
            continue;
        switch (c->kind) {
        case IST_MTTR:
            if (res != 0 && res >= start)
                tally(r, in, now, res - det, IST_S_COUNTED);
            else if (res == 0)
                tally(r, in, now, now - det, IST_S_OPEN);
            break;
        case IST_MTTA:
            resp = response(in, now);
            if (resp != 0 && resp >= start)
                tally(r, in, now, resp - det, IST_S_COUNTED);
            else if (resp == 0 && res == 0)
                tally(r, in, now, now - det, IST_S_OPEN);
            else if (resp == 0 && res >= start)
                add(r, in, now, res - det, IST_S_NO_RESPONSE);
            break;
        case IST_WITHIN:
            if (!detected_in)
                break;
            resp = c->on_resolve ? res : response(in, now);
            if (resp != 0) {
                d = resp - det;
                if (d <= c->limit_ms)
                    r->on_time++;
                else
                    r->late++;
                add(r, in, now, d, d <= c->limit_ms ? IST_S_COUNTED : IST_S_LATE);
            } else if (res != 0 && res - det <= c->limit_ms) {
                /* Cleared by itself before anyone had to respond. */
                add(r, in, now, res - det, IST_S_NO_RESPONSE);
            } else if ((res != 0 ? res : now) - det > c->limit_ms) {
                /* Open past the limit with no response: late whatever comes now. */
                r->late++;
                add(r, in, now, (res != 0 ? res : now) - det, IST_S_LATE);
            } else {
                r->pending++;
                add(r, in, now, now - det, IST_S_OPEN);
            }
            break;
        case IST_RESOLUTION_RATE:
            if (!detected_in)
                break;
            r->detected++;
            if (res != 0)
                r->resolved++;
            add(r, in, now, (res != 0 ? res : now) - det,
                res != 0 ? IST_S_COUNTED : IST_S_UNRESOLVED);
            break;
        case IST_COUNT:
            if (!c->count_incidents || !detected_in)
                break;
            r->incidents++;
            add(r, in, now, (res != 0 ? res : now) - det, IST_S_COUNTED);
            break;
        }
    }
    if (c->kind == IST_COUNT && c->event != NULL) {
        for (size_t i = 0; i < nev; i++) {
            struct ist_item *it;

            if (ev[i].at < start || ev[i].at >= now || ev[i].kind == NULL ||
                strcmp(ev[i].kind, c->event) != 0)
                continue;
            r->events++;
            it = &r->items[r->nitems++];
            it->id = ev[i].id;
            it->is_event = 1;
            it->detected = ev[i].at;
            it->state = IST_S_COUNTED;
        }
    }
    switch (c->kind) {
    case IST_MTTR:
        if (r->n > 0)
            r->value = (double)r->sum_ms / (double)r->n / MS_PER_H;
        break;
    case IST_MTTA:
        if (r->n > 0)
            r->value = c->max ? (double)r->max_ms / MS_PER_H
                              : (double)r->sum_ms / (double)r->n / MS_PER_H;
        break;
    case IST_WITHIN:
        if (r->on_time + r->late > 0)
            r->value = (double)r->on_time / (double)(r->on_time + r->late) * 100.0;
        break;
    case IST_RESOLUTION_RATE:
        if (r->detected > 0)
            r->value = (double)r->resolved / (double)r->detected * 100.0;
        break;
    case IST_COUNT:
        r->value = (double)(r->events + r->incidents);
        break;
    }
    return IST_OK;
}

void
ist_result_clear(struct ist_result *r)
{
    free(r->items);
    memset(r, 0, sizeof(*r));
    r->value = NAN;
}
