/*
 * replay_inc.c - incidents in `roomwatch replay` (see replay_inc.h).
 *
 * The record is kept in memory: a replay is one process and its incidents die with it. What
 * an event row changes is applied in one place, apply(), with the meaning the commands give it
 * (a repeated acknowledgement changes nothing; a resolution of a resolved incident changes
 * nothing; an unknown incident is refused), so that it can be pointed at the store's command
 * functions without touching the parsing around it.
 */
#include "replay_inc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "engine/alarm.h"
#include "engine/incstat.h"
#include "trace_csv.h"

#define FIELD_MAX 256 /* bytes of one key=value's value */

struct rdev {
    uint64_t cycle; /* the poll cycle being gathered, from 1 */
    int64_t cycle_t;
};

struct rinc {
    const struct rw_config *cfg;
    struct alm *alm;
    size_t ntargets;
    const struct cfg_alarm **tal; /* per target: its alarm */
    size_t *open;                 /* per target: index + 1 of its open incident, 0: none */
    struct alm_event *evs;
    struct rdev *dev;
    struct ist_incident *inc;
    size_t ninc, capinc;
    struct ist_event *ev;
    size_t nev, capev;
};

/* What an event row asks for, parsed. */
enum verb {
    V_ACK = 0,
    V_RESOLVE,
    V_EVENT,
};

struct request {
    enum verb verb;
    int64_t t;
    int64_t incident; /* 0: none given */
    const char *kind; /* V_EVENT: one of the event kinds (a constant) */
};

static const char *const event_kinds[] = {"maintenance", "inspection", "security-incident"};

int
rinc_open(const struct rw_config *cfg, struct rinc **out)
{
    struct alm_rule_cfg *rules = NULL;
    struct alm_target *targets = NULL;
    struct rinc *r;
    size_t n = 0, k = 0;

    *out = NULL;
    if ((r = calloc(1, sizeof(*r))) == NULL)
        return -1;
    r->cfg = cfg;
    r->dev = calloc(cfg->ndevices + 1, sizeof(*r->dev));
    if (r->dev == NULL || cfg_alarm_detector(cfg, &rules, &targets, &n) < 0)
        goto fail;
    r->ntargets = n;
    r->tal = calloc(n + 1, sizeof(*r->tal));
    r->open = calloc(n + 1, sizeof(*r->open));
    if (r->tal == NULL || r->open == NULL)
        goto fail;
    for (size_t i = 0; i < cfg->nalarms; i++)
        for (size_t j = 0; j < cfg->alarms[i].ntargets; j++)
            r->tal[k++] = &cfg->alarms[i];
    if (n > 0) {
        if (alm_new(n, rules, n, targets, cfg->ndevices, &r->alm) != ALM_OK)
            goto fail;
        if ((r->evs = calloc(alm_max_events(r->alm) + 1, sizeof(*r->evs))) == NULL)
            goto fail;
    }
    free(rules);
    free(targets);
    *out = r;
    return 0;
fail:
    free(rules);
    free(targets);
    rinc_free(r);
    return -1;
}

void
rinc_free(struct rinc *r)
{
    if (r == NULL)
        return;
    alm_free(r->alm);
    free(r->tal);
    free(r->open);
    free(r->evs);
    free(r->dev);
    free(r->inc);
    free(r->ev);
    free(r);
}

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
    void *nv;

    if (n < *cap)
        return 0;
    if ((nv = realloc(*v, (*cap ? *cap * 2 : 16) * size)) == NULL)
        return -1;
    *v = nv;
    *cap = *cap ? *cap * 2 : 16;
    return 0;
}

int
rinc_sample(struct rinc *r, size_t dev, size_t point, int64_t t, double value, int answered,
            int valid)
{
    struct rdev *d = &r->dev[dev];
    struct alm_sample s;
    size_t n;

    if (r->alm == NULL)
        return 0;
    if (d->cycle == 0 || t != d->cycle_t) {
        d->cycle++;
        d->cycle_t = t;
    }
    memset(&s, 0, sizeof(s));
    s.t = t;
    s.device = (uint32_t)dev;
    s.point = (uint32_t)point;
    s.cycle = d->cycle;
    s.last = 0; /* the next cycle's first row ends this one */
    s.next_ms = 0;
    s.value = value;
    s.q = !answered ? ALM_Q_NO_ANSWER : valid ? ALM_Q_GOOD : ALM_Q_BAD;
    n = alm_sample(r->alm, &s, r->evs, alm_max_events(r->alm));
    for (size_t i = 0; i < n; i++) {
        const struct alm_event *ev = &r->evs[i];
        const struct cfg_alarm *al = r->tal[ev->target];

        if (ev->kind == ALM_OPEN) {
            struct ist_incident *in;

            if (grow((void **)&r->inc, &r->capinc, r->ninc, sizeof(*r->inc)) < 0)
                return -1;
            in = &r->inc[r->ninc++];
            memset(in, 0, sizeof(*in));
            in->id = (int64_t)r->ninc;
            in->rule = al->id;
            in->severity = cfg_severity_name(al->severity);
            in->category = cfg_category_name(al->category);
            in->detected = ev->at;
            r->open[ev->target] = r->ninc;
        } else if (r->open[ev->target] != 0) {
            struct ist_incident *in = &r->inc[r->open[ev->target] - 1];

            if (in->resolved == 0) /* not resolved by hand meanwhile */
                in->resolved = ev->at;
            r->open[ev->target] = 0;
        }
    }
    return 0;
}

/*
 * Applies a parsed request to the record. The one place that changes incidents and events on
 * behalf of an event row (see the file's comment).
 */
static int
apply(struct rinc *r, const struct request *q, char *err, size_t errlen)
{
    struct ist_incident *in = NULL;

    if (q->incident != 0) {
        if (q->incident < 1 || (size_t)q->incident > r->ninc) {
            snprintf(err, errlen, "no incident %lld (incidents open in replay are numbered 1, "
                                  "2, ... as they open; %zu so far)",
                     (long long)q->incident, r->ninc);
            return -1;
        }
        in = &r->inc[q->incident - 1];
        if (q->t < in->detected) {
            snprintf(err, errlen, "incident %lld was detected only later", (long long)q->incident);
            return -1;
        }
    }
    switch (q->verb) {
    case V_ACK:
        /* As store_cmd_apply() rules: a repeated acknowledgement changes nothing, and one
         * after a resolution nobody acknowledged is refused (it would count as a response). */
        if (in->acked == 0 && in->resolved != 0 && q->t >= in->resolved) {
            snprintf(err, errlen, "incident %lld was resolved before anyone acknowledged it; "
                                  "the agent refuses an acknowledgement after the resolution",
                     (long long)q->incident);
            return -1;
        }
        if (in->acked == 0)
            in->acked = q->t;
        break;
    case V_RESOLVE:
        if (in->resolved == 0) {
            in->resolved = q->t;
            in->by_hand = 1;
        }
        break;
    case V_EVENT:
        if (grow((void **)&r->ev, &r->capev, r->nev, sizeof(*r->ev)) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        r->ev[r->nev].id = (int64_t)r->nev + 1;
        r->ev[r->nev].kind = q->kind;
        r->ev[r->nev].at = q->t;
        r->nev++;
        break;
    }
    return 0;
}

int
rinc_row(struct rinc *r, const struct trace_row *row, char *err, size_t errlen)
{
    static const char *const keys[][5] = {
        [V_ACK] = {"incident", "by", "note", NULL},
        [V_RESOLVE] = {"incident", "by", "cause", "measure", NULL},
        [V_EVENT] = {"kind", "by", "note", "incident", NULL},
    };
    struct request q;
    const char *p = row->text, *end = row->text + row->text_len;
    int has_by = 0;

    memset(&q, 0, sizeof(q));
    q.t = row->t;
    if (strcmp(row->point, "@ack") == 0) {
        q.verb = V_ACK;
    } else if (strcmp(row->point, "@resolve") == 0) {
        q.verb = V_RESOLVE;
    } else if (strcmp(row->point, "@event") == 0) {
        q.verb = V_EVENT;
    } else {
        snprintf(err, errlen, "unknown directive \"%s\" (@ack, @resolve or @event)", row->point);
        return -1;
    }
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p)), *eq;
        size_t flen = (size_t)((semi ? semi : end) - p), klen, vlen, k;
        char val[FIELD_MAX];

        if ((eq = memchr(p, '=', flen)) == NULL) {
            snprintf(err, errlen, "%s: expected key=value, not \"%.*s\"", row->point,
                     (int)(flen > 40 ? 40 : flen), p);
            return -1;
        }
        klen = (size_t)(eq - p);
        vlen = flen - klen - 1;
        for (k = 0; keys[q.verb][k] != NULL; k++)
            if (strlen(keys[q.verb][k]) == klen && memcmp(keys[q.verb][k], p, klen) == 0)
                break;
        if (keys[q.verb][k] == NULL) {
            snprintf(err, errlen, "%s takes no key \"%.*s\"", row->point,
                     (int)(klen > 40 ? 40 : klen), p);
            return -1;
        }
        if (vlen == 0 || vlen >= sizeof(val)) {
            snprintf(err, errlen, "%s: \"%.*s\" must be 1 to %d bytes", row->point, (int)klen, p,
                     FIELD_MAX - 1);
            return -1;
        }
        memcpy(val, eq + 1, vlen);
        val[vlen] = '\0';
        if (strcmp(keys[q.verb][k], "incident") == 0) {
            char *e;
            long long id = strtoll(val, &e, 10);

            if (*e != '\0' || id < 1) {
                snprintf(err, errlen, "%s: incident must be a number from 1 (is \"%s\")",
                         row->point, val);
                return -1;
            }
            q.incident = id;
        } else if (strcmp(keys[q.verb][k], "kind") == 0) {
            for (size_t i = 0; i < sizeof(event_kinds) / sizeof(event_kinds[0]); i++)
                if (strcmp(val, event_kinds[i]) == 0)
                    q.kind = event_kinds[i];
            if (q.kind == NULL) {
                snprintf(err, errlen, "@event: kind must be maintenance, inspection or "
                                      "security-incident (is \"%s\")",
                         val);
                return -1;
            }
        } else if (strcmp(keys[q.verb][k], "by") == 0) {
            has_by = 1;
        }
        /* note, cause, measure: the record's text; the indicators do not read it. */
        p = semi ? semi + 1 : end;
    }
    if (!has_by) {
        snprintf(err, errlen, "%s needs by=NAME", row->point);
        return -1;
    }
    if (q.verb != V_EVENT && q.incident == 0) {
        snprintf(err, errlen, "%s needs incident=ID", row->point);
        return -1;
    }
    if (q.verb == V_EVENT && q.kind == NULL) {
        snprintf(err, errlen, "@event needs kind=maintenance|inspection|security-incident");
        return -1;
    }
    return apply(r, &q, err, errlen);
}

int
rinc_results(struct rinc *r, int64_t start, int64_t end, int64_t now, struct ist_result *res)
{
    for (size_t i = 0; i < r->cfg->ninc_indicators; i++) {
        struct ist_cfg c;

        cfg_indicator_incstat(&r->cfg->inc_indicators[i], &c);
        if (ist_compute(&c, start, end, now, r->inc, r->ninc, r->ev, r->nev, &res[i]) != IST_OK)
            return -1;
    }
    return 0;
}
