/*
 * incident.c - the daemon's incidents (see incident.h).
 *
 * Each point (or device) a rule watches is one detector target; every target gets its own
 * detector rule, since the states of an "in" rule are resolved per point (cfg_alarm.c).
 */
#include "core/incident.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "engine/alarm.h"
#include "core/core_io.h"
#include "rw_calendar.h"
#include "rw_log.h"
#include "store/store.h"

/* Bytes kept for an acknowledgement's by and note read back for a resolution's document:
 * rcmd.h allows 64 + 1000 characters of up to 4 bytes. */
#define INC_NOTES_MAX 4400

enum pending {
    P_NONE = 0,
    P_OPEN,    /* an opening the store has not taken yet */
    P_RESOLVE, /* a resolution the store has not taken yet */
};

/* One target: a rule watching one point or device. */
struct itgt {
    const struct cfg_alarm *al;
    const struct cfg_alarm_target *t;
    int64_t id; /* the open incident's id; 0 when none is stored */
    enum pending pending;
    struct alm_event ev;       /* the transition waiting for the store */
    int64_t started, detected; /* of the open incident (for the resolution's document) */
    double value;
};

struct inc {
    const struct rw_config *cfg;
    struct store *store;
    struct alm *alm;
    size_t ntargets;
    struct itgt *tg;
    struct alm_event *evs; /* alm_max_events() */
    int store_failing;     /* logged once per episode */
};

static int transition(struct inc *c, const struct alm_event *ev);
static int save(struct inc *c, struct itgt *g);
static void announce(struct inc *c, struct itgt *g, const struct alm_event *ev);

static const char *
point_name(const struct rw_config *cfg, const struct cfg_alarm_target *t)
{
    if (t->point == CFG_NO_POINT)
        return NULL;
    return cfg->profiles[cfg->devices[t->device].profile].points[t->point].name;
}

/* "meter1.v_l1" or "meter1" into buf. */
static const char *
target_text(const struct rw_config *cfg, const struct cfg_alarm_target *t, char *buf, size_t len)
{
    const char *p = point_name(cfg, t);

    snprintf(buf, len, "%s%s%s", cfg->devices[t->device].id, p ? "." : "", p ? p : "");
    return buf;
}

struct restore_ctx {
    struct inc *c;
    size_t restored, orphans;
};

/* An incident open in the store: back on its target, or left open if no rule watches it. */
static int
restore_one(const struct store_incident *in, void *arg)
{
    struct restore_ctx *rc = arg;
    struct inc *c = rc->c;

    for (size_t i = 0; i < c->ntargets; i++) {
        struct itgt *g = &c->tg[i];
        const char *p = point_name(c->cfg, g->t);

        if (g->id != 0 || strcmp(g->al->id, in->rule) != 0 ||
            strcmp(c->cfg->devices[g->t->device].id, in->device) != 0 ||
            (p == NULL) != (in->point == NULL) || (p != NULL && strcmp(p, in->point) != 0))
            continue;
        g->id = in->id;
        g->started = in->started;
        g->detected = in->detected;
        g->value = in->value;
        alm_restore_open(c->alm, i);
        rc->restored++;
        return 0;
    }
    log_warn("incident %lld: rule %s no longer watches %s%s%s; it stays open until resolved "
             "by hand",
             (long long)in->id, in->rule, in->device, in->point ? "." : "",
             in->point ? in->point : "");
    rc->orphans++;
    return 0;
}

/*
 * The restart rule (alarm.h): a fresh detector with the targets whose incidents are open in
 * the store restored open. 0, or -1 (EIO: store_errmsg()).
 */
static int
restore(struct inc *c)
{
    struct restore_ctx rc = {0};

    alm_reset(c->alm);
    for (size_t i = 0; i < c->ntargets; i++) {
        c->tg[i].id = 0;
        c->tg[i].pending = P_NONE;
    }
    rc.c = c;
    if (store_incident_each(c->store, 1, restore_one, &rc) < 0)
        return -1;
    if (rc.restored > 0)
        log_notice("incidents: %zu still open from before the restart", rc.restored);
    return 0;
}

int
inc_restart(struct inc *c)
{
    if (restore(c) < 0) {
        log_err("store: cannot read the open incidents at a restart: %s",
                store_errmsg(c->store));
        return -1;
    }
    return 0;
}

int
inc_open(const struct rw_config *cfg, struct store *store, struct inc **out, char *err,
         size_t errlen)
{
    struct alm_rule_cfg *rules = NULL;
    struct alm_target *targets = NULL;
    struct inc *c;
    size_t n = 0, i, k;
    enum alm_status st;

    *out = NULL;
    if ((c = calloc(1, sizeof(*c))) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->cfg = cfg;
    c->store = store;
    if (cfg_alarm_detector(cfg, &rules, &targets, &n) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    c->ntargets = n;
    if ((c->tg = calloc(n + 1, sizeof(*c->tg))) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    /* Target n is the k-th of alarm i, in the order cfg_alarm_detector() lays them out. */
    n = 0;
    for (i = 0; i < cfg->nalarms; i++) {
        for (k = 0; k < cfg->alarms[i].ntargets; k++, n++) {
            c->tg[n].al = &cfg->alarms[i];
            c->tg[n].t = &cfg->alarms[i].targets[k];
        }
    }
    st = alm_new(n, rules, n, targets, cfg->ndevices, &c->alm);
    if (st != ALM_OK) {
        snprintf(err, errlen, "alarm rules: %s",
                 st == ALM_ERR_NOMEM ? "out of memory" : "a rule the detector cannot honour");
        goto fail;
    }
    if ((c->evs = calloc(alm_max_events(c->alm) + 1, sizeof(*c->evs))) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (restore(c) < 0) {
        snprintf(err, errlen, "store: open incidents: %s", store_errmsg(store));
        goto fail;
    }
    free(rules);
    free(targets);
    *out = c;
    return 0;
fail:
    free(rules);
    free(targets);
    inc_free(c);
    return -1;
}

void
inc_free(struct inc *c)
{
    if (c == NULL)
        return;
    alm_free(c->alm);
    free(c->tg);
    free(c->evs);
    free(c);
}

int
inc_sample(struct inc *c, const struct core_sample *s)
{
    struct alm_sample as;
    size_t n, i;
    int stored = 0;

    if (s->device >= c->cfg->ndevices)
        return 0;
    as.t = s->t;
    as.device = s->device;
    as.point = s->point;
    as.cycle = s->cycle;
    as.last = s->last;
    as.next_ms = s->next_ms;
    as.value = s->value;
    as.q = s->q;
    n = alm_sample(c->alm, &as, c->evs, alm_max_events(c->alm));
    for (i = 0; i < n; i++)
        stored |= transition(c, &c->evs[i]);
    return stored;
}

int
inc_snapshot(const struct inc *c, void **buf, size_t *len)
{
    if (alm_snapshot(c->alm, buf, len) != ALM_OK) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int
inc_restore(struct inc *c, const void *buf, size_t len)
{
    if (alm_restore(c->alm, buf, len) != ALM_OK) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* 1 when the transition is in the store now, else 0. */
static int
transition(struct inc *c, const struct alm_event *ev)
{
    struct itgt *g = &c->tg[ev->target];
    char what[2 * CFG_ID_MAX];

    if (ev->kind == ALM_RESOLVE && g->pending == P_OPEN) {
        /* Never stored, so never published: nobody has seen it. */
        log_notice("alarm %s on %s: cleared before the store took its incident; dropped", g->al->id,
                   target_text(c->cfg, g->t, what, sizeof(what)));
        g->pending = P_NONE;
        return 0;
    }
    if (ev->kind == ALM_OPEN && g->pending == P_RESOLVE) {
        /* The store never took the resolution: for it the incident is still open, and so it
         * is again. */
        log_notice("incident %lld: active again before the store took its resolution; it "
                   "stays open",
                   (long long)g->id);
        g->pending = P_NONE;
        return 0;
    }
    g->ev = *ev;
    g->pending = ev->kind == ALM_OPEN ? P_OPEN : P_RESOLVE;
    if (save(c, g) != 0)
        return 0;
    announce(c, g, ev);
    return 1;
}

int
inc_tick(struct inc *c)
{
    int stored = 0;

    for (size_t i = 0; i < c->ntargets; i++) {
        struct itgt *g = &c->tg[i];
        struct alm_event ev = g->ev;

        if (g->pending != P_NONE && save(c, g) == 0) {
            announce(c, g, &ev);
            stored = 1;
        }
    }
    return stored;
}

/*
 * Writes g's pending transition; 0 when it is on disk (or needs no write), 1 when there is
 * nothing to announce (the incident was resolved by hand already), else -1.
 */
static int
save(struct inc *c, struct itgt *g)
{
    const struct alm_event *ev = &g->ev;
    int rc;

    if (g->pending == P_OPEN) {
        struct store_incident in;

        memset(&in, 0, sizeof(in));
        in.rule = g->al->id;
        in.device = c->cfg->devices[g->t->device].id;
        in.point = point_name(c->cfg, g->t);
        in.severity = cfg_severity_name(g->al->severity);
        in.category = cfg_category_name(g->al->category);
        in.started = ev->since;
        in.detected = ev->at;
        in.value = ev->value;
        rc = store_incident_insert(c->store, &in, &g->id);
        if (rc == 0) {
            g->started = ev->since;
            g->detected = ev->at;
            g->value = ev->value;
        }
    } else if (g->pending == P_RESOLVE) {
        rc = store_incident_resolve_auto(
            c->store, g->id, ev->since, ev->at,
            ev->flags & ALM_F_CLEARED_WHILE_DOWN ? STORE_INC_CLEARED_WHILE_DOWN : 0);
        if (rc < 0 && errno == ENOENT) {
            /* Resolved by hand while the condition lasted: that resolution stands, and was
             * published when it was made. */
            log_info("incident %lld: condition clear; it was resolved by hand already",
                     (long long)g->id);
            if (c->store_failing)
                log_notice("store: incidents recorded again");
            c->store_failing = 0;
            g->pending = P_NONE;
            g->id = 0;
            return 1;
        }
    } else {
        return 0;
    }
    if (rc < 0) {
        if (!c->store_failing)
            log_err("store: cannot record an incident: %s; retrying every second",
                    errno == EIO ? store_errmsg(c->store) : strerror(errno));
        c->store_failing = 1;
        return -1;
    }
    if (c->store_failing)
        log_notice("store: incidents recorded again");
    c->store_failing = 0;
    g->pending = P_NONE;
    return 0;
}

static json_t *
time_or_null(const char *tz, int64_t t)
{
    char buf[RW_CAL_TIME_LEN];

    return t != 0 ? json_string(rw_calendar_rfc3339(tz, t, buf, sizeof(buf))) : json_null();
}

static json_t *
real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/*
 * Logs a transition that is in the store. Its message goes out from the store's change log,
 * where the transition put its row (record.h), so that every change of an incident is
 * published one way, in order, and marked in the outbox's transaction.
 */
static void
announce(struct inc *c, struct itgt *g, const struct alm_event *ev)
{
    const struct rw_config *cfg = c->cfg;
    const char *tz = cfg->site.timezone, *pname = point_name(cfg, g->t), *label = NULL;
    const struct cfg_profile *prof = &cfg->profiles[cfg->devices[g->t->device].profile];
    const struct cfg_point *pt = pname ? &prof->points[g->t->point] : NULL;
    char what[2 * CFG_ID_MAX], tbuf[RW_CAL_TIME_LEN], vbuf[64 + CFG_LABEL_MAX];

    if (pt != NULL && isfinite(g->value))
        label = cfg_point_label(prof, pt, g->value);
    target_text(cfg, g->t, what, sizeof(what));
    if (pname == NULL)
        snprintf(vbuf, sizeof(vbuf), "no answer");
    else if (label != NULL)
        snprintf(vbuf, sizeof(vbuf), "%.10g (%s)", g->value, label);
    else
        snprintf(vbuf, sizeof(vbuf), "%.10g%s%s", g->value, pt->unit[0] ? " " : "", pt->unit);
    if (ev->kind != ALM_RESOLVE)
        log_notice("incident %lld opened: alarm %s (%s, %s) on %s: %s, since %s", (long long)g->id,
                   g->al->id, cfg_severity_name(g->al->severity),
                   cfg_category_name(g->al->category), what, vbuf,
                   rw_calendar_rfc3339(tz, g->started, tbuf, sizeof(tbuf)));
    else
        log_notice("incident %lld resolved: alarm %s on %s, clear since %s%s; open %.0f s",
                   (long long)g->id, g->al->id, what,
                   rw_calendar_rfc3339(tz, ev->since, tbuf, sizeof(tbuf)),
                   (ev->flags & ALM_F_CLEARED_WHILE_DOWN) ? " (cleared while the agent was down)"
                                                          : "",
                   (double)(ev->at - g->detected) / 1000.0);
    if (ev->kind == ALM_RESOLVE)
        g->id = 0;
}

static json_t *
text_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

char *
inc_json(const struct rw_config *cfg, const struct store_incident *in, const char *event)
{
    const char *tz = cfg->site.timezone, *label = NULL;
    const struct cfg_alarm *al = NULL;
    const struct cfg_profile *prof = NULL;
    const struct cfg_point *pt = NULL;
    json_t *doc, *flags;
    char *txt;
    size_t i;

    /* The rule's name and the point's unit and label come from the config, if it still has
     * them (a rule may have been removed since the incident opened). */
    for (i = 0; i < cfg->nalarms && al == NULL; i++)
        if (in->rule != NULL && strcmp(cfg->alarms[i].id, in->rule) == 0)
            al = &cfg->alarms[i];
    for (i = 0; i < cfg->ndevices && prof == NULL; i++)
        if (in->device != NULL && strcmp(cfg->devices[i].id, in->device) == 0)
            prof = &cfg->profiles[cfg->devices[i].profile];
    for (i = 0; prof != NULL && in->point != NULL && i < prof->npoints && pt == NULL; i++)
        if (strcmp(prof->points[i].name, in->point) == 0)
            pt = &prof->points[i];
    if (pt != NULL && isfinite(in->value))
        label = cfg_point_label(prof, pt, in->value);

    flags = json_array();
    if (in->flags & STORE_INC_CLEARED_WHILE_DOWN)
        json_array_append_new(flags, json_string("cleared_while_down"));
    doc = json_object();
    json_object_set_new(doc, "id", json_integer(in->id));
    json_object_set_new(doc, "event", json_string(event));
    json_object_set_new(doc, "state", json_string(in->resolved != 0 ? "resolved" : "open"));
    json_object_set_new(doc, "rule", text_or_null(in->rule));
    json_object_set_new(doc, "name", al != NULL && al->name ? json_string(al->name) : json_null());
    json_object_set_new(doc, "severity", text_or_null(in->severity));
    json_object_set_new(doc, "category", text_or_null(in->category));
    json_object_set_new(doc, "device", text_or_null(in->device));
    json_object_set_new(doc, "point", text_or_null(in->point));
    json_object_set_new(doc, "unit", pt && pt->unit[0] ? json_string(pt->unit) : json_null());
    json_object_set_new(doc, "started", time_or_null(tz, in->started));
    json_object_set_new(doc, "detected", time_or_null(tz, in->detected));
    json_object_set_new(doc, "value", real_or_null(in->value));
    json_object_set_new(doc, "label", label ? json_string(label) : json_null());
    json_object_set_new(doc, "acknowledged", time_or_null(tz, in->acked));
    json_object_set_new(doc, "acknowledged_by", text_or_null(in->acked_by));
    json_object_set_new(doc, "ack_note", text_or_null(in->ack_note));
    json_object_set_new(doc, "cleared", time_or_null(tz, in->cleared));
    json_object_set_new(doc, "resolved", time_or_null(tz, in->resolved));
    json_object_set_new(doc, "resolution", text_or_null(in->resolved_how));
    json_object_set_new(doc, "resolved_by", text_or_null(in->resolved_by));
    json_object_set_new(doc, "cause", text_or_null(in->cause));
    json_object_set_new(doc, "measure", text_or_null(in->measure));
    json_object_set_new(doc, "duration_s",
                        in->resolved != 0
                            ? json_real((double)(in->resolved - in->detected) / 1000.0)
                            : json_null());
    json_object_set_new(doc, "flags", flags);
    txt = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(doc);
    return txt;
}
