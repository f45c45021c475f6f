/*
 * core.c - the core (see core.h).
 *
 * The engine's points, indicator configs, fingerprint and periods are indset's, the same as
 * `roomwatch status` uses.
 *
 * The incident indicators are published here too, beside the engine's, because they share
 * everything that decides when and as what: the period (and its rollover: after 1 January
 * they are the new period's), engine time, the publishing look once a second, the at least
 * once a minute refresh and the retained topic. Only their source differs: the store's
 * record, read through incind.h (the code `roomwatch status` uses) at each look. Reading at
 * each look, rather than being told of changes, publishes a change within a second whoever
 * made it (an alarm rule, an MQTT command, the CLI in another process) without any of
 * them knowing of this file; the look costs one indexed query of the period's incidents.
 */
#include "core/core.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "engine/eng.h"
#include "engine/fnv.h"
#include "engine/incstat.h"
#include "core/alert.h"
#include "core/held.h"
#include "core/incident.h"
#include "core/incind.h"
#include "core/record.h"
#include "report/rpt_inc.h"
#include "report/rpt_json.h"
#include "report/rpt_judge.h"
#include "rw_calendar.h"
#include "rw_log.h"
#include "store/store.h"

#define PUBLISH_MAX_MS 60000 /* republish an unchanged indicator at least this often */
#define PUBLISH_LOOK_MS 1000 /* publishing is looked at once a second */

struct pubstate {
    double value;
    int met;
    enum rpt_status status;
    int64_t at; /* engine time, ms; INT64_MIN: never */
};

/* What an incident indicator's last publication said, minus the open incidents' ageing (that
 * goes out with the minute's refresh): its value, judgement and what it counted. */
struct incstate {
    uint64_t sig;
    int64_t at; /* engine time, ms; INT64_MIN: never */
};

/* The incident indicators' results as last read, kept while the store is unchanged and
 * nothing is open (inc_cached()). */
struct inc_cache {
    struct ist_result *res; /* per incident indicator */
    int ok;                 /* res holds a reading */
    int64_t version;        /* store_write_version() when res was read */
};

struct core {
    const struct rw_config *cfg;
    const struct core_out *out;   /* NULL: nothing is published */
    const struct core_out *taken; /* its taken_* hooks, or NULL */
    struct store *store;
    int fixed; /* the period is fixed: no rollover */
    struct indset *is;
    struct indset_period per; /* the current period: the engine's */
    struct eng *eng;
    /* The period that just ended and its engine, kept for CORE_LAG_MS after its end for
     * the samples from before it that are still on their way; NULL otherwise. */
    struct indset_period prev_per;
    struct eng *prev;
    int roll_failing;         /* logged once per episode */
    int64_t next_ckpt;        /* engine time, ms; INT64_MIN: set at the first tick */
    int64_t next_pub;         /* engine time, ms */
    int ckpt_failing;         /* logged once per episode */
    int resumed;              /* a stored state was resumed */
    int64_t saved_at, newest; /* of the resumed state */
    struct pubstate *ps;
    struct inc *inc;         /* the incidents; NULL without alarm rules */
    struct rec *rec;         /* the record's commands and their publishing */
    struct incstate *is_inc; /* per incident indicator */
    struct inc_cache ipub;   /* the incident indicators' results last published */
    int inc_failing;         /* reading the record failed: logged once per episode */
    /* Alerts (alert.h): evaluated at every whole minute of engine time from the first one
     * at or after the period's first sample; next_eval INT64_MIN until that is known. */
    struct alerts *al;
    int64_t first_t;   /* the current period's earliest sample; INT64_MAX: none yet */
    int64_t next_eval; /* the next whole minute to evaluate */
    struct inc_cache ialert; /* the incident indicators' results the alerts last judged */
    /* Samples after next_eval, held back in arrival order until that minute is judged, so
     * that each minute is judged on the engine with every sample up to it and none after
     * (the daemon's queue lag and replay's steps feed different amounts past a minute before
     * it is judged: the values, coverage above all, differed in their last digits). */
    struct held *held;
    int64_t *held_last; /* per engine point, its newest held sample; INT64_MIN: none */
};

#define EVAL_MS 60000LL /* alerts are evaluated once a minute of engine time */

static int feed(struct core *c, uint32_t p, int64_t t, double v, int valid);
static int feed_now(struct core *c, uint32_t p, int64_t t, double v, int valid);
static void eval_alerts(struct core *c, int64_t t);

/*
 * The state saved beside the engine's image (indset_save()'s aux): AUX_MAGIC, the number of
 * sections, then each section's tag and length (uint32) and its bytes: the alarm detector's
 * image when there are rules (AUX_ALARMS), the alerts' when the period's alerts are saved
 * (AUX_ALERTS). A store from before the alerts were saved holds the detector's image alone,
 * with no header: it begins with the detector's own magic and version (alarm.c), never this
 * one, and is read as that. Unknown tags are skipped.
 */
#define AUX_MAGIC 0x52574158u /* "RWAX" */
#define AUX_ALARMS 1u
#define AUX_ALERTS 2u
#define AUX_HELD 3u /* the held samples (struct held_sample), as held_export() gives them */

struct aux_part {
    uint32_t tag;
    void *buf;
    size_t len;
};

static int
save_state(struct core *c, const struct indset_period *p, struct eng *e, int64_t now)
{
    struct aux_part part[3] = {{AUX_ALARMS, NULL, 0}, {AUX_ALERTS, NULL, 0}, {AUX_HELD, NULL, 0}};
    uint32_t hdr[2] = {AUX_MAGIC, 0};
    char *aux = NULL, *q;
    size_t auxlen = sizeof(hdr);
    int rc = -1;

    if (c->inc != NULL && inc_snapshot(c->inc, &part[0].buf, &part[0].len) < 0)
        goto out;
    /* The alerts are the current period's: an ended period's final save has none. */
    if (e == c->eng && c->al != NULL && alerts_snapshot(c->al, &part[1].buf, &part[1].len) < 0)
        goto out;
    if (e == c->eng && held_count(c->held) > 0) {
        struct held_sample *hs;
        size_t n;

        if (held_export(c->held, &hs, &n) < 0) {
            errno = ENOMEM;
            goto out;
        }
        part[2].buf = hs;
        part[2].len = n * sizeof(*hs);
    }
    for (size_t i = 0; i < 3; i++)
        if (part[i].buf != NULL) {
            auxlen += 2 * sizeof(uint32_t) + part[i].len;
            hdr[1]++;
        }
    if (hdr[1] > 0) {
        if ((aux = q = malloc(auxlen)) == NULL) {
            errno = ENOMEM;
            goto out;
        }
        memcpy(q, hdr, sizeof(hdr));
        q += sizeof(hdr);
        for (size_t i = 0; i < 3; i++) {
            uint32_t l[2] = {part[i].tag, (uint32_t)part[i].len};

            if (part[i].buf == NULL)
                continue;
            memcpy(q, l, sizeof(l));
            memcpy(q + sizeof(l), part[i].buf, part[i].len);
            q += sizeof(l) + part[i].len;
        }
    }
    rc = indset_save(c->is, p, c->store, e, now, aux, aux != NULL ? auxlen : 0);
out:
    for (size_t i = 0; i < 3; i++)
        free(part[i].buf);
    free(aux);
    return rc;
}

/* Section tag of a saved aux (see save_state()): 0 and *p, *n, or -1 when there is none. An
 * aux without the header is the alarm detector's image alone. */
static int
aux_section(const void *aux, size_t len, uint32_t tag, const void **p, size_t *n)
{
    uint32_t hdr[2], l[2];
    size_t off = sizeof(hdr);

    if (aux == NULL || len == 0)
        return -1;
    if (len < sizeof(hdr) || (memcpy(hdr, aux, sizeof(hdr)), hdr[0] != AUX_MAGIC)) {
        if (tag != AUX_ALARMS)
            return -1;
        *p = aux;
        *n = len;
        return 0;
    }
    for (uint32_t k = 0; k < hdr[1] && len - off >= sizeof(l); k++) {
        memcpy(l, (const char *)aux + off, sizeof(l));
        off += sizeof(l);
        if (len - off < l[1])
            return -1;
        if (l[0] == tag) {
            *p = (const char *)aux + off;
            *n = l[1];
            return 0;
        }
        off += l[1];
    }
    return -1;
}

int
core_checkpoint(struct core *c, int64_t now)
{
    return save_state(c, &c->per, c->eng, now);
}

/*
 * The ended period's engine has all its samples: finished at the period's end (the holds
 * run on to it) and checkpointed at engine time now, its final state. Then it goes.
 */
static void
finish_prev(struct core *c, int64_t now)
{
    char name[16];

    indset_period_name(&c->prev_per, name, sizeof(name));
    eng_finish(c->prev, c->prev_per.day_start[c->prev_per.ndays]);
    if (save_state(c, &c->prev_per, c->prev, now) < 0)
        log_err("store: the final checkpoint of period %s failed: %s; its values stay as of "
                "its last checkpoint",
                name, errno == EIO ? store_errmsg(c->store) : strerror(errno));
    else
        log_notice("indicators: period %s finished; its final values are in the store", name);
    eng_free(c->prev);
    c->prev = NULL;
}

/*
 * The current period ended: a new engine for the next one, given every point's last sample
 * so that a hold across the boundary goes on (a sample holds into the period after it). The
 * old engine stays as prev, taking the samples from before its end still on their way,
 * until core_tick() finishes it. On error (logged once) the old engine goes on, the time
 * past its end clipped, and the next sample or tick tries again.
 */
static void
roll(struct core *c, int64_t now)
{
    struct indset_period next;
    struct eng *e = NULL;
    char err[256] = "", name[16], nname[16];
    size_t i;

    if (c->prev != NULL)
        finish_prev(c, now); /* a period shorter than the lag: not one of ours */
    if (indset_period_next(c->cfg, &c->per, &next) < 0 ||
        indset_engine(c->is, &next, &e, err, sizeof(err)) < 0) {
        if (!c->roll_failing)
            log_err("indicators: cannot start the next period: %s; retrying",
                    err[0] != '\0' ? err : strerror(errno));
        c->roll_failing = 1;
        return;
    }
    c->roll_failing = 0;
    for (i = 0; i < c->is->npoints; i++) {
        int64_t t;
        double v;
        int valid;

        if (eng_point_sample(c->eng, (uint32_t)i, &t, &v, &valid) == 0)
            (void)eng_sample(e, (uint32_t)i, t, v, valid);
    }
    indset_period_name(&c->per, name, sizeof(name));
    indset_period_name(&next, nname, sizeof(nname));
    log_notice("indicators: period %s ended; %s begins", name, nname);
    c->prev = c->eng;
    c->prev_per = c->per;
    c->eng = e;
    c->per = next;
    /* The new period's alerts start afresh, from its first sample. */
    alerts_free(c->al);
    c->al = alerts_new(c->cfg, c->store, c->out, &c->per);
    if (c->al == NULL)
        log_err("alerts: out of memory: no alerts for period %s", nname);
    c->first_t = INT64_MAX;
    c->next_eval = INT64_MIN;
    c->next_ckpt = now; /* a period without saved state: written at the next tick */
    c->ialert.ok = c->ipub.ok = 0;
    /* The new period's values go out at the next look, changed or not. */
    for (i = 0; i < c->cfg->nindicators; i++)
        c->ps[i].at = INT64_MIN;
    for (i = 0; i < c->cfg->ninc_indicators; i++)
        c->is_inc[i].at = INT64_MIN;
}

static int64_t
period_end(const struct indset_period *p)
{
    return p->day_start[p->ndays];
}

/*
 * Resumes the state stored for this config and period, as o->resume says (core.h), at now. 0
 * when resumed or when there is none, else -1 with a message.
 */
static int
resume(struct core *c, enum core_resume how, int64_t now, char *err, size_t errlen)
{
    void *aux = NULL;
    const void *part;
    size_t auxlen = 0, partlen;
    int64_t advanced;

    if (indset_load(c->is, &c->per, c->store, c->eng, &c->saved_at, &aux, &auxlen) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "store: %s",
                 errno == EIO      ? store_errmsg(c->store)
                 : errno == ENOMEM ? "the saved engine state is too large for memory"
                                   : "the saved engine state is damaged");
        return -1;
    }
    c->resumed = 1;
    if (how == CORE_RESTART) {
        eng_cut(c->eng, c->saved_at);
        if (c->taken != NULL && c->taken->taken_restart != NULL)
            c->taken->taken_restart(c->taken->ctx, now > c->saved_at ? now : c->saved_at,
                                    c->saved_at);
    }
    eng_position(c->eng, &c->newest, &advanced);
    /* The detector goes on exactly only when the feed does; otherwise the open incidents
     * restored by inc_open() follow the restart rule. An image of other rules (the config
     * changed) is not taken: the restart rule then stands. */
    if (how == CORE_CONTINUE && c->inc != NULL &&
        aux_section(aux, auxlen, AUX_ALARMS, &part, &partlen) == 0 &&
        inc_restore(c->inc, part, partlen) < 0)
        log_notice("incidents: the alarm rules changed since the state was saved; open "
                   "incidents are judged again from their next observation");
    /* The alerts go on either way: the minutes before the checkpoint were judged on what
     * the agent saw, and the burn-rate windows over them stand after a restart (alert.h). */
    if (c->al != NULL && aux_section(aux, auxlen, AUX_ALERTS, &part, &partlen) == 0 &&
        alerts_restore(c->al, part, partlen) != 0)
        log_notice("alerts: the alert settings changed since the state was saved; the "
                   "changed indicators' burn-rate windows begin empty");
    /* The samples held back for the next minute go on with the feed; after a restart they
     * are of the seconds after a whole minute that the checkpoint had not yet accounted,
     * cut with the rest. */
    if (how == CORE_CONTINUE && aux_section(aux, auxlen, AUX_HELD, &part, &partlen) == 0 &&
        partlen % sizeof(struct held_sample) == 0) {
        for (size_t i = 0; i < partlen / sizeof(struct held_sample); i++) {
            struct held_sample hs;

            memcpy(&hs, (const char *)part + i * sizeof(hs), sizeof(hs));
            if (hs.p >= c->is->npoints)
                continue;
            if (held_push(c->held, &hs) < 0) {
                free(aux);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            if (hs.t > c->held_last[hs.p])
                c->held_last[hs.p] = hs.t;
        }
    }
    free(aux);
    return 0;
}

int
core_view(const struct indset *is, const struct indset_period *p, struct store *st,
          struct eng *e, int64_t now, int64_t *as_of, int *final)
{
    void *aux = NULL;
    const void *part;
    size_t auxlen = 0, partlen;
    int64_t saved;

    if (indset_load(is, p, st, e, &saved, &aux, &auxlen) < 0)
        return -1;
    /* The samples a checkpoint held back for the next minute's alerts (a replay --db leaves
     * up to --max-skew of them) are the period's too: in, in the order they would have gone. */
    if (aux_section(aux, auxlen, AUX_HELD, &part, &partlen) == 0 &&
        partlen % sizeof(struct held_sample) == 0) {
        for (size_t i = 0; i < partlen / sizeof(struct held_sample); i++) {
            struct held_sample hs;

            memcpy(&hs, (const char *)part + i * sizeof(hs), sizeof(hs));
            if (hs.p < is->npoints)
                (void)eng_sample(e, hs.p, hs.t, hs.v, hs.valid); /* as core_finish() would */
        }
    }
    free(aux);
    indset_view_at(p, e, saved, now, as_of, final);
    return 0;
}

int
core_open(const struct rw_config *cfg, struct store *store, const struct core_opts *o,
          struct core **out, char *err, size_t errlen)
{
    struct core *c;

    *out = NULL;
    if ((c = calloc(1, sizeof(*c))) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->cfg = cfg;
    c->out = o->out != NULL && o->out->publish != NULL ? o->out : NULL;
    c->taken = o->out;
    c->store = store;
    c->newest = INT64_MIN;
    c->next_ckpt = INT64_MIN;
    c->next_pub = INT64_MIN;
    c->first_t = INT64_MAX;
    c->next_eval = INT64_MIN;
    if (indset_new(cfg, &c->is) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (o->period != NULL) {
        c->per = *o->period;
        c->fixed = 1;
    } else if (indset_period_at(cfg, o->now, &c->per) < 0) {
        snprintf(err, errlen, "the clock is outside the years 1970 to 9999");
        goto fail;
    }
    if (indset_engine(c->is, &c->per, &c->eng, err, errlen) < 0)
        goto fail;
    c->ps = calloc(cfg->nindicators + 1, sizeof(*c->ps));
    c->is_inc = calloc(cfg->ninc_indicators + 1, sizeof(*c->is_inc));
    c->ipub.res = calloc(cfg->ninc_indicators + 1, sizeof(*c->ipub.res));
    c->ialert.res = calloc(cfg->ninc_indicators + 1, sizeof(*c->ialert.res));
    c->held_last = malloc((c->is->npoints + 1) * sizeof(*c->held_last));
    c->held = held_new();
    if (c->ps == NULL || c->is_inc == NULL || c->ipub.res == NULL || c->ialert.res == NULL ||
        c->held_last == NULL || c->held == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < c->is->npoints; i++)
        c->held_last[i] = INT64_MIN;
    for (size_t i = 0; i < cfg->nindicators; i++)
        c->ps[i].at = INT64_MIN;
    for (size_t i = 0; i < cfg->ninc_indicators; i++)
        c->is_inc[i].at = INT64_MIN;
    if (cfg->nalarms > 0 && inc_open(cfg, store, &c->inc, err, errlen) < 0)
        goto fail;
    if ((c->rec = rec_new(cfg, store, c->out)) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    /* Before resume(): the alerts take their saved state from the same checkpoint. */
    if ((c->al = alerts_new(cfg, store, c->out, &c->per)) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (resume(c, o->resume, o->now, err, errlen) < 0)
        goto fail;
    if (c->resumed) {
        int64_t newest, advanced;

        /* Resumed: the minutes before where the state was accounted are not evaluated again. */
        eng_position(c->eng, &newest, &advanced);
        c->first_t = newest != INT64_MIN ? newest : INT64_MAX;
        if (advanced != INT64_MIN)
            c->next_eval = (advanced / EVAL_MS + 1) * EVAL_MS;
    }
    *out = c;
    return 0;
fail:
    core_free(c);
    return -1;
}

int
core_resumed(const struct core *c, int64_t *saved_at, int64_t *newest)
{
    if (saved_at != NULL)
        *saved_at = c->saved_at;
    if (newest != NULL)
        *newest = c->newest;
    return c->resumed;
}

int
core_sample(struct core *c, const struct core_sample *s)
{
    const struct rw_config *cfg = c->cfg;

    if (s->device >= cfg->ndevices ||
        s->point >= cfg->profiles[cfg->devices[s->device].profile].npoints)
        return 0;
    uint32_t p = indset_point(c->is, s->device, s->point);

    if (c->taken != NULL && c->taken->taken_sample != NULL)
        c->taken->taken_sample(c->taken->ctx, p, s->t, s->value, s->valid, s->q);
    if (c->inc != NULL && inc_sample(c->inc, s))
        rec_publish(c->rec); /* the transition's change, from the store's change log */
    return feed(c, p, s->t, s->value, s->valid);
}

/* Whether a sample at t waits for the next minute to be judged first (struct core). */
static int
held_back(const struct core *c, int64_t t)
{
    return t > c->next_eval && c->next_eval != INT64_MIN && c->al != NULL &&
           c->next_eval <= period_end(&c->per);
}

/*
 * One sample of engine point p at engine time t: held back while it is past the next minute
 * to judge, else fed. 0, or -1 if it was refused (older than what the engine accounted, or
 * than the point's last sample).
 */
static int
feed(struct core *c, uint32_t p, int64_t t, double v, int valid)
{
    struct held_sample s;

    if (!held_back(c, t))
        return feed_now(c, p, t, v, valid);
    if (t < c->held_last[p])
        return -1; /* as the engine would refuse it */
    s.t = t;
    s.v = v;
    s.p = p;
    s.valid = valid;
    if (held_push(c->held, &s) < 0)
        return feed_now(c, p, t, v, valid); /* judged a little off rather than lost */
    c->held_last[p] = t;
    return 0;
}

static void
release_one(void *arg, const struct held_sample *s)
{
    (void)feed_now(arg, s->p, s->t, s->v, s->valid);
}

/* Feeds the held samples that need no longer wait: up to the next minute to judge, or all
 * when nothing is judged any more. */
static void
release(struct core *c)
{
    int judging = c->next_eval != INT64_MIN && c->al != NULL && c->next_eval <= period_end(&c->per);

    held_take(c->held, judging ? c->next_eval : INT64_MAX, release_one, c);
}

/*
 * One sample into the period it belongs to: the period rolls over first if t is past its
 * end, and a sample from before the ended period's end counts there too, and holds into
 * this one. The period's first sample fixes its first minute to judge. 0, or -1 if the
 * current engine refused it (too old: it came later than CORE_LAG_MS).
 */
static int
feed_now(struct core *c, uint32_t p, int64_t t, double v, int valid)
{
    if (!c->fixed && t >= period_end(&c->per))
        roll(c, t);
    if (c->prev != NULL && t < period_end(&c->prev_per))
        (void)eng_sample(c->prev, p, t, v, valid);
    if (t < c->first_t && t >= c->per.day_start[0]) {
        if (c->first_t == INT64_MAX && c->next_eval == INT64_MIN)
            c->next_eval = (t / EVAL_MS + 1) * EVAL_MS;
        c->first_t = t;
    }
    return eng_sample(c->eng, p, t, v, valid) == ENG_OK ? 0 : -1;
}

/* Point p's last sample, held back or in the engine. */
static int64_t
point_last(const struct core *c, uint32_t p)
{
    int64_t t = eng_point_last(c->eng, p);

    return c->held_last[p] > t ? c->held_last[p] : t;
}

int
core_report(struct core *c, size_t dev, int64_t t, double latency_s)
{
    int delivered = !isnan(latency_s);
    double v = delivered ? (double)llround(latency_s * 1000.0) / 1000.0 : 0.0;
    uint32_t p;

    if (dev >= c->cfg->ndevices || !cfg_has_delivery(c->cfg))
        return 0;
    p = indset_delivery_point(c->is, dev);
    /* A refusal is stamped with the caller's time, which may precede an outcome the
     * publisher handed over during the same publish (the oldest report given up): keep the
     * point in order. */
    if (t < point_last(c, p))
        t = point_last(c, p);
    if (c->taken != NULL && c->taken->taken_sample != NULL)
        c->taken->taken_sample(c->taken->ctx, p, t, v, delivered,
                               delivered ? ALM_Q_GOOD : ALM_Q_NO_ANSWER);
    return feed(c, p, t, v, delivered);
}

void
core_restart(struct core *c, int64_t saved)
{
    /* The minutes up to the checkpoint judged, and the samples before it in, as the daemon's
     * core_stop() left them. A replayed restart is not taken again: only core_open() tells
     * of the daemon's own. */
    eval_alerts(c, saved);
    if (c->prev != NULL)
        eng_cut(c->prev, saved);
    eng_cut(c->eng, saved);
    if (c->inc != NULL)
        (void)inc_restart(c->inc); /* logged */
}

int
core_command(struct core *c, const struct store_cmd *cmd, int64_t now, const char *source,
             struct store_cmd_result *r, struct store_cmd_reply *reply)
{
    /* Taken (archived) as the record publishes the change: record.c. */
    return rec_apply(c->rec, cmd, now, source, r, reply);
}

/* The value, the judgement and each item's id, state and times, but not the durations
 * (open incidents age every second). */
static uint64_t
inc_signature(const struct ist_result *r, const struct rpt_judgement *j)
{
    uint64_t h = FNV1A_INIT;
    double v = isnan(r->value) ? NAN : r->value; /* one NaN */
    int st = (int)j->status;

    h = fnv1a(h, &v, sizeof(v));
    h = fnv1a(h, &j->met, sizeof(j->met));
    h = fnv1a(h, &st, sizeof(st));
    h = fnv1a(h, &r->nitems, sizeof(r->nitems));
    for (size_t i = 0; i < r->nitems; i++) {
        const struct ist_item *it = &r->items[i];
        int64_t f[4] = {it->id, it->is_event, it->acked, it->resolved};
        int s = (int)it->state;

        h = fnv1a(h, f, sizeof(f));
        h = fnv1a(h, &s, sizeof(s));
    }
    return h;
}

/*
 * Publishes indicator in's document doc (taken; NULL is an allocation failure) retained on
 * <prefix>/indicator/<id>. Standing alone, a retained document says which period it is of
 * and as of when (DESIGN.md, "MQTT"): after a rollover both periods' values may be about.
 * 0, or -1 if the document could not be made (a refused message is counted by the
 * publisher, which logs the state change, and is not retried here).
 */
static int
publish_doc(struct core *c, const struct cfg_indicator *in, json_t *doc,
            const struct rpt_period *per, int64_t asof)
{
    char topic[CFG_ID_MAX + 16], when[RW_CAL_TIME_LEN];
    char *txt;

    if (doc == NULL)
        return -1;
    json_object_set_new(doc, "period", rpt_period_json(per));
    json_object_set_new(
        doc, "as_of",
        json_string(rw_calendar_rfc3339(c->cfg->site.timezone, asof, when, sizeof(when))));
    txt = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(doc);
    if (txt == NULL)
        return -1;
    snprintf(topic, sizeof(topic), "indicator/%s", in->id);
    (void)core_out_publish(c->out, topic, txt, c->cfg->mqtt.qos, 1, NULL);
    free(txt);
    return 0;
}

int
core_inc_results(struct core *c, int64_t now, struct ist_result *res)
{
    for (size_t i = 0; i < c->cfg->ninc_indicators; i++)
        ist_result_clear(&res[i]);
    return incind_compute(c->cfg, c->store, c->per.day_start[0], period_end(&c->per), now, res);
}

/* Whether a result changes with time alone: an incident or a response still open. */
static int
ageing(const struct ist_result *r)
{
    return r->nopen > 0 || r->pending > 0 || r->detected > r->resolved;
}

/*
 * The incident indicators as of t from k, read from the store again only when it changed or
 * something is open: otherwise only the time moves, not the results, and reading the record
 * every second (publishing) and every minute (alerts) was most of the main loop's work. NULL
 * (errno) when the store cannot be read.
 */
static const struct ist_result *
inc_cached(struct core *c, struct inc_cache *k, int64_t t)
{
    int64_t v = INT64_MIN;
    int fresh = k->ok;

    /* Only the daemon's store has other writers (the CLI); replay's is its own. */
    if (store_write_version(c->store, c->out != NULL, &v) < 0 || v != k->version)
        fresh = 0;
    for (size_t i = 0; fresh && i < c->cfg->ninc_indicators; i++)
        if (ageing(&k->res[i]))
            fresh = 0;
    if (fresh)
        return k->res;
    for (size_t i = 0; i < c->cfg->ninc_indicators; i++)
        ist_result_clear(&k->res[i]);
    k->ok = incind_compute(c->cfg, c->store, c->per.day_start[0], period_end(&c->per), t,
                           k->res) == 0;
    k->version = v;
    return k->ok ? k->res : NULL;
}

static void
inc_cache_free(struct inc_cache *k, size_t n)
{
    if (k->res != NULL)
        for (size_t i = 0; i < n; i++)
            ist_result_clear(&k->res[i]);
    free(k->res);
}

/* Whether a publication at now is due after the last one at `at`. */
static int
stale(int64_t at, int64_t now)
{
    return at == INT64_MIN || now - at >= PUBLISH_MAX_MS;
}

/*
 * The incident indicators from the store's record as of now, published when what they say
 * changed, or PUBLISH_MAX_MS after the last time; all of them with force. A store that
 * cannot be read is logged once per episode and the last documents stand (retained).
 */
static void
publish_inc(struct core *c, int64_t now, int force)
{
    struct rpt_period per = {c->cfg->site.timezone, c->per.ndays, c->per.day_start};
    const struct ist_result *res;
    size_t i, n = c->cfg->ninc_indicators;

    if (n == 0)
        return;
    if ((res = inc_cached(c, &c->ipub, now)) == NULL) {
        if (!c->inc_failing)
            log_err("indicators: cannot read the incidents and events for the incident "
                    "indicators: %s; their last values stand, retrying every second",
                    errno == EIO ? store_errmsg(c->store) : strerror(errno));
        c->inc_failing = 1;
        return;
    }
    if (c->inc_failing)
        log_notice("indicators: the incident indicators are computed again");
    c->inc_failing = 0;
    for (i = 0; i < n; i++) {
        const struct cfg_indicator *in = &c->cfg->inc_indicators[i];
        struct incstate *st = &c->is_inc[i];
        struct rpt_judgement j;
        uint64_t sig;

        rpt_inc_judge(in, &res[i], &per, now, &j);
        sig = inc_signature(&res[i], &j);
        if (!force && !stale(st->at, now) && sig == st->sig)
            continue;
        if (publish_doc(c, in, rpt_inc_indicator(in, &res[i], &per, now), &per, now) < 0)
            continue;
        st->at = now;
        st->sig = sig;
    }
}

/* Publishes the indicators that changed or were last published PUBLISH_MAX_MS ago; all of
 * them with force. */
static void
publish(struct core *c, int64_t now, int force)
{
    struct rpt_period per = {c->cfg->site.timezone, c->per.ndays, c->per.day_start};
    int64_t newest, asof;
    size_t i;

    if (c->out == NULL)
        return;
    /* The values are as of where the engine has accounted time (behind the clock by the
     * queue's lag), which is also the "now" rpt_judge() judges at. */
    eng_position(c->eng, &newest, &asof);
    if (asof == INT64_MIN)
        asof = now;
    for (i = 0; i < c->cfg->nindicators; i++) {
        const struct cfg_indicator *in = &c->cfg->indicators[i];
        const struct eng_result *r = eng_result(c->eng, i);
        struct pubstate *ps = &c->ps[i];
        struct rpt_judgement j;

        rpt_judge(in, c->eng, i, r, &per, &j);
        if (!force && !stale(ps->at, now) && j.status == ps->status && j.met == ps->met &&
            (r->value == ps->value || (isnan(r->value) && isnan(ps->value))))
            continue;
        if (publish_doc(c, in, rpt_indicator(c->cfg, in, r, &j, &per), &per, asof) < 0)
            continue;
        ps->at = now;
        ps->value = r->value;
        ps->met = j.met;
        ps->status = j.status;
    }
    publish_inc(c, now, force);
}

/*
 * The alerts at every whole minute of engine time up to t: the engine accounted up to the
 * minute, then judged there. The daemon and replay advance differently (every loop; every
 * ADVANCE_STEP_MS of the trace), but both reach each minute with every sample up to it fed,
 * so both evaluate the same minutes on the same accounts. Minutes begin at the first one at
 * or after the period's first sample (before it there is nothing to judge) and end at the
 * period's end.
 */
static void
eval_alerts(struct core *c, int64_t t)
{
    int64_t end = period_end(&c->per), newest, advanced;

    if (c->al == NULL || c->first_t == INT64_MAX) {
        if (held_count(c->held) > 0)
            release(c); /* nothing to judge (no alerts, out of memory): all of them */
        return;
    }
    if (c->next_eval == INT64_MIN)
        c->next_eval = (c->first_t + EVAL_MS - 1) / EVAL_MS * EVAL_MS;
    eng_position(c->eng, &newest, &advanced);
    while (c->next_eval <= t && c->next_eval <= end) {
        int64_t m = c->next_eval;
        const struct ist_result *ires = NULL;

        if (held_count(c->held) > 0) {
            release(c); /* every sample up to m, none after it */
            if (period_end(&c->per) != end)
                return; /* a sample at the very end began the next period */
        }
        c->next_eval += EVAL_MS;
        if (advanced != INT64_MIN && m < advanced)
            continue; /* accounted past it already (a resumed state) */
        eng_advance(c->eng, m);
        if (c->cfg->ninc_indicators > 0)
            ires = inc_cached(c, &c->ialert, m);
        alerts_eval(c->al, c->eng, ires, m);
    }
    if (held_count(c->held) > 0)
        release(c); /* up to the next minute to judge */
}

void
core_advance(struct core *c, int64_t t)
{
    if (!c->fixed && t >= period_end(&c->per)) {
        /* The period's last minutes are judged on its own engine before it hands over:
         * every sample up to its end is in once t has passed it. */
        eval_alerts(c, period_end(&c->per));
        if (t >= period_end(&c->per)) /* unless a released sample began it */
            roll(c, t);
    }
    if (c->prev != NULL && t >= period_end(&c->prev_per))
        finish_prev(c, t + CORE_LAG_MS);
    eval_alerts(c, t);
    eng_advance(c->eng, t);
}

void
core_tick(struct core *c, int64_t now)
{
    /*
     * A period with no saved state (a new store; devices, points or indicators changed; a
     * period begun while the agent was down) is checkpointed at the first tick, and so is
     * the next period at a roll-over (roll()): `roomwatch status` and the report document,
     * both read from the store, have its numbers at once rather than an interval later. A
     * resumed period waits its interval.
     */
    if (c->next_ckpt == INT64_MIN)
        c->next_ckpt = c->resumed ? now + llround(c->cfg->checkpoint_interval * 1000.0) : now;
    if (now >= c->next_ckpt) {
        c->next_ckpt = now + llround(c->cfg->checkpoint_interval * 1000.0);
        if (core_checkpoint(c, now) < 0) {
            if (!c->ckpt_failing)
                log_err("store: checkpoint failed: %s; retrying every %.0f s",
                        errno == EIO ? store_errmsg(c->store) : strerror(errno),
                        c->cfg->checkpoint_interval);
            c->ckpt_failing = 1;
        } else if (c->ckpt_failing) {
            log_notice("store: checkpoints written again");
            c->ckpt_failing = 0;
        }
    }
    if (c->next_pub == INT64_MIN || now >= c->next_pub) {
        c->next_pub = now + PUBLISH_LOOK_MS;
        publish(c, now, 0);
        if (c->inc != NULL && inc_tick(c->inc))
            rec_publish(c->rec);
    }
    rec_tick(c->rec, now);
    if (c->al != NULL)
        alerts_tick(c->al);
}

void
core_stop(struct core *c, int64_t now)
{
    /* The samples drained before this are in; account up to now and stop cleanly. */
    if (c->prev != NULL)
        finish_prev(c, now);
    eval_alerts(c, now);
    eng_advance(c->eng, now);
    if (core_checkpoint(c, now) < 0)
        log_err("store: final checkpoint failed: %s; the time since the last one will read "
                "as unknown",
                errno == EIO ? store_errmsg(c->store) : strerror(errno));
    /* The retained documents end as the store does: what `roomwatch status` shows. */
    publish(c, now, 1);
}

void
core_finish(struct core *c)
{
    /* Every sample in, held back or not: the engine's values are the period's. */
    held_take(c->held, INT64_MAX, release_one, c);
    eng_finish(c->eng, period_end(&c->per));
}

const struct indset_period *
core_period(const struct core *c)
{
    return &c->per;
}

struct eng *
core_engine(struct core *c)
{
    return c->eng;
}

/* A read-only hook for roomwatchd's <prefix>/status (core.h); nothing else changes. */
int
core_store_failing(const struct core *c)
{
    return c->ckpt_failing;
}

const char *
core_errmsg(const struct core *c)
{
    return store_errmsg(c->store);
}

void
core_free(struct core *c)
{
    if (c == NULL)
        return;
    alerts_free(c->al);
    rec_free(c->rec);
    inc_free(c->inc);
    eng_free(c->prev);
    eng_free(c->eng);
    indset_free(c->is);
    free(c->ps);
    inc_cache_free(&c->ipub, c->cfg->ninc_indicators);
    inc_cache_free(&c->ialert, c->cfg->ninc_indicators);
    free(c->is_inc);
    held_free(c->held);
    free(c->held_last);
    free(c);
}
