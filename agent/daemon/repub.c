/*
 * repub.c - the retained self-evaluation document (see repub.h).
 */
#include "repub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "core/indset.h"
#include "pub/pub.h"
#include "report/rep_doc.h"
#include "rw_clock.h"
#include "rw_log.h"
#include "store/store.h"

#define TOPIC_LEN 32 /* "report/" and a period's name */

struct repub {
    const struct rw_config *cfg;
    struct store *st;
    struct pub *pub;
    struct repub_sched s;
    enum rep_lang lang;
    char *last;               /* the document last published, or NULL */
    struct indset_period per; /* its period */
    char topic[TOPIC_LEN];    /* its subtopic */
    int pending;              /* fin ended and its final document is still due */
    struct indset_period fin;
    int failing; /* builds fail: logged once, at the first */
};

enum repub_step
repub_next(const struct repub_sched *s, double now, int connected, uint64_t connects)
{
    if (!connected)
        return REPUB_WAIT;
    if (!s->built || now - s->built_at >= s->retry_s)
        return REPUB_BUILD;
    if (s->have && connects != s->connects)
        return REPUB_RESEND;
    return REPUB_WAIT;
}

int
repub_built(struct repub_sched *s, double now, int ok, int missing, int changed, uint64_t connects,
            const int64_t *version)
{
    s->built = 1;
    s->built_at = now;
    s->missing = !ok && missing && version != NULL;
    s->version = version != NULL ? *version : 0;
    s->retry_s = !ok && missing ? REPUB_RETRY_S
                 : s->interval_s > 0 ? s->interval_s
                                     : REPUB_INTERVAL_S;
    if (!ok)
        return 0;
    return changed || !s->have || connects != s->connects;
}

int
repub_store_moved(const struct repub_sched *s, int64_t v)
{
    return !s->missing || v != s->version;
}

void
repub_sent(struct repub_sched *s, uint64_t connects)
{
    s->have = 1;
    s->connects = connects;
}

struct repub *
repub_new(const struct rw_config *cfg, struct store *st, struct pub *pub)
{
    struct repub *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->cfg = cfg;
    r->st = st;
    r->pub = pub;
    r->lang = cfg->site.english ? REP_EN : REP_ZH;
    r->s.interval_s = cfg->report.publish_interval;
    return r;
}

static void
subtopic(const struct indset_period *p, char *buf, size_t len)
{
    char name[16];

    indset_period_name(p, name, sizeof(name));
    snprintf(buf, len, "report/%s", name);
}

/*
 * The document of period p at engine time now, serialised as `roomwatch report --format json`
 * writes its numbers (15 significant digits), compact: 0 and *out (malloc()ed); -1 after
 * logging (once per failing spell), *missing 1 when the store holds no state of p yet.
 */
static int
build(struct repub *r, const struct indset_period *p, int64_t now, char **out, int *missing)
{
    double t0 = rw_clock_mono();
    char err[256], topic[TOPIC_LEN];
    json_t *doc;
    int e;

    *out = NULL;
    *missing = 0;
    subtopic(p, topic, sizeof(topic));
    if (rep_doc_build(r->cfg, r->st, p, now, r->lang, &doc, err, sizeof(err)) == 0) {
        *out = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
        json_decref(doc);
        if (*out != NULL) {
            log_debug("%s: document built in %.1f ms, %zu bytes", topic,
                      (rw_clock_mono() - t0) * 1000.0, strlen(*out));
            if (r->failing)
                log_notice("%s: the report document is built again", topic);
            r->failing = 0;
            return 0;
        }
        snprintf(err, sizeof(err), "out of memory");
        errno = ENOMEM;
    }
    e = errno;
    /* No state of the period yet (before the first checkpoint, or just after midnight on
     * New Year): not a fault, it comes with the next checkpoint. */
    if (e == ENOENT) {
        *missing = 1;
        log_debug("%s: no state of the period in the store yet", topic);
        return -1;
    }
    if (!r->failing)
        log_warn("%s: cannot build the report document: %s; trying again every %.0f s", topic, err,
                 r->s.interval_s > 0 ? r->s.interval_s : REPUB_INTERVAL_S);
    r->failing = 1;
    return -1;
}

/* The final document of the period that ended, once (repub.h). */
static void
publish_final(struct repub *r, int64_t now)
{
    char topic[TOPIC_LEN], *json;
    int missing;

    r->pending = 0;
    subtopic(&r->fin, topic, sizeof(topic));
    if (build(r, &r->fin, now, &json, &missing) < 0)
        return;
    if (pub_publish(r->pub, topic, json, 1, 1) == 0)
        log_info("%s: the period's final report document published", topic);
    free(json);
}

void
repub_tick(struct repub *r, double mono, int64_t now)
{
    struct indset_period p;
    struct pub_stats ps;
    char topic[TOPIC_LEN], *json = NULL;
    int ok, missing = 0, same, changed, have_v;
    int64_t v = 0;

    if (r == NULL)
        return;
    pub_get_stats(r->pub, &ps);
    if (!ps.connected)
        return;
    if (r->pending && now >= r->fin.day_start[r->fin.ndays] + REPUB_FINAL_DELAY_S * 1000)
        publish_final(r, now);
    switch (repub_next(&r->s, mono, ps.connected, ps.connects)) {
    case REPUB_WAIT:
        return;
    case REPUB_RESEND:
        if (pub_publish(r->pub, r->topic, r->last, 1, 1) == 0)
            repub_sent(&r->s, ps.connects);
        return;
    case REPUB_BUILD:
        break;
    }
    /* Before the first checkpoint a build would make an engine to learn there is no state
     * yet, every REPUB_RETRY_S: only a write to the store can change that. */
    have_v = store_write_version(r->st, 1, &v) == 0;
    if (have_v && !repub_store_moved(&r->s, v)) {
        (void)repub_built(&r->s, mono, 0, 1, 0, ps.connects, &v);
        return;
    }
    if (indset_period_at(r->cfg, now, &p) < 0) {
        (void)repub_built(&r->s, mono, 0, 0, 0, ps.connects, NULL);
        return;
    }
    subtopic(&p, topic, sizeof(topic));
    ok = build(r, &p, now, &json, &missing) == 0;
    same = r->last != NULL && p.year == r->per.year && p.month == r->per.month;
    changed = !same || (ok && strcmp(json, r->last) != 0);
    if (!repub_built(&r->s, mono, ok, missing, changed, ps.connects, have_v ? &v : NULL) ||
        pub_publish(r->pub, topic, json, 1, 1) != 0) {
        free(json); /* a refusal is counted and logged by pub; tried again next interval */
        return;
    }
    repub_sent(&r->s, ps.connects);
    if (r->last != NULL && !same) { /* a new period: the one before is still to be finished */
        r->fin = r->per;
        r->pending = 1;
    }
    free(r->last);
    r->last = json;
    r->per = p;
    memcpy(r->topic, topic, sizeof(topic));
}

void
repub_final(struct repub *r, int64_t now)
{
    struct indset_period p;
    struct pub_stats ps;
    char *json;
    int missing;

    if (r == NULL)
        return;
    pub_get_stats(r->pub, &ps);
    if (!ps.connected || indset_period_at(r->cfg, now, &p) < 0 ||
        build(r, &p, now, &json, &missing) < 0)
        return;
    if (r->last == NULL || p.year != r->per.year || p.month != r->per.month ||
        strcmp(json, r->last) != 0) {
        char topic[TOPIC_LEN];

        subtopic(&p, topic, sizeof(topic));
        (void)pub_publish(r->pub, topic, json, 1, 1);
    }
    free(json);
}

void
repub_free(struct repub *r)
{
    if (r == NULL)
        return;
    free(r->last);
    free(r);
}
