/*
 * control.c - the daemon's commands (see control.h).
 */
#include "control.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "incident.h"
#include "pub/pub.h"
#include "rcmd.h"
#include "rw_calendar.h"
#include "rw_clock.h"
#include "rw_log.h"
#include "rw_lograte.h"
#include "store/store.h"

#define CTL_BATCH 64   /* changes published per look; the rest at the next one */
#define CTL_LOOK_S 1.0 /* s between looks at data_version */
#define CTL_WHAT_LEN 16

struct ctl {
    const struct rw_config *cfg;
    struct pub *pub;
    struct store *store; /* NULL: no store */
    int64_t data_version;
    int dirty;        /* a look is due: at start, after a failure */
    double next_look; /* mono, s */
    int failing;      /* a store error logged; cleared when a look succeeds */
    struct rw_lograte refusals; /* a flood of bad commands: logged once per burst */
};

/* One unpublished change, copied out of the walk (marking it inside would change the index
 * being walked). */
struct ctl_change {
    int64_t seq, incident;
    char what[CTL_WHAT_LEN];
};

struct batch {
    size_t n;
    struct ctl_change ch[CTL_BATCH];
};

/* Unpublished events, each document built inside the walk (the store's strings live only
 * there), published and marked after it. */
struct evbatch {
    const struct rw_config *cfg;
    size_t n;
    int64_t id[CTL_BATCH];
    char *txt[CTL_BATCH]; /* malloc()ed; NULL: out of memory */
};

static void on_command(void *ctx, const char *verb, const char *payload, size_t len);
static int publish_changes(struct ctl *c);
static int publish_events(struct ctl *c);

struct ctl *
ctl_new(const struct rw_config *cfg, struct pub *pub, struct store *store)
{
    struct ctl *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->cfg = cfg;
    c->pub = pub;
    c->store = store;
    c->dirty = store != NULL;
    c->data_version = -1;
    c->refusals = (struct rw_lograte)RW_LOGRATE_INIT("commands refused", 5.0, 60.0);
    pub_set_command_hook(pub, on_command, c);
    return c;
}

void
ctl_free(struct ctl *c)
{
    if (c == NULL)
        return;
    pub_set_command_hook(c->pub, NULL, NULL);
    free(c);
}

void
ctl_tick(struct ctl *c, double mono)
{
    int64_t v;

    (void)rw_lograte_tick(&c->refusals, mono);
    if (c->store == NULL || mono < c->next_look)
        return;
    c->next_look = mono + CTL_LOOK_S;
    if (store_data_version(c->store, &v) < 0) {
        if (!c->failing)
            log_err("store: cannot look for changes made by the CLI: %s; retrying every "
                    "second",
                    store_errmsg(c->store));
        c->failing = 1;
        return;
    }
    if (v != c->data_version) {
        c->data_version = v;
        c->dirty = 1;
    }
    if (c->dirty)
        (void)publish_changes(c);
}

static int
collect(const struct store_change *ch, void *arg)
{
    struct batch *b = arg;
    struct ctl_change *o = &b->ch[b->n++];

    o->seq = ch->seq;
    o->incident = ch->incident;
    snprintf(o->what, sizeof(o->what), "%s", ch->what != NULL ? ch->what : "changed");
    return b->n == CTL_BATCH ? 1 : 0;
}

struct doc_ctx {
    const struct rw_config *cfg;
    const char *what;
    char *txt;
};

static int
build_doc(const struct store_incident *in, void *arg)
{
    struct doc_ctx *d = arg;

    d->txt = inc_json(d->cfg, in, d->what);
    return 0;
}

/*
 * Publishes the change log's unmarked rows, in order, and marks each the publisher took.
 * Stops at the first failure, to go on from there at the next look (c->dirty stays set,
 * also when called for a command between looks).
 * Returns 0 when everything was published, else -1 (logged).
 */
static int
publish_changes(struct ctl *c)
{
    struct batch b;
    size_t i;
    int r;

    c->dirty = 1; /* until everything is out: a failure below is retried at the next look */
    do {
        b.n = 0;
        r = store_change_each(c->store, collect, &b);
        if (r < 0)
            goto store_failed;
        for (i = 0; i < b.n; i++) {
            struct doc_ctx d = {c->cfg, b.ch[i].what, NULL};
            char topic[48];

            if (store_incident_get(c->store, b.ch[i].incident, build_doc, &d) < 0) {
                if (errno != ENOENT)
                    goto store_failed;
                log_warn("incident %lld: changed, but no longer in the store; not published",
                         (long long)b.ch[i].incident);
            } else {
                if (d.txt == NULL) {
                    log_err("incident/%lld: cannot build its message: out of memory",
                            (long long)b.ch[i].incident);
                    return -1;
                }
                snprintf(topic, sizeof(topic), "incident/%lld", (long long)b.ch[i].incident);
                r = pub_publish(c->pub, topic, d.txt, 1, 0);
                free(d.txt);
                if (r < 0)
                    return -1; /* counted and logged by pub; tried again at the next look */
            }
            if (store_change_published(c->store, b.ch[i].seq) < 0)
                goto store_failed;
        }
    } while (b.n == CTL_BATCH);
    if (publish_events(c) < 0)
        return -1; /* logged; c->dirty stays set */
    if (c->failing)
        log_notice("store: incident changes published again");
    c->failing = 0;
    c->dirty = 0;
    return 0;
store_failed:
    if (!c->failing)
        log_err("store: cannot publish incident changes: %s; retrying every second",
                store_errmsg(c->store));
    c->failing = 1;
    c->dirty = 1;
    return -1;
}

static json_t *
time_or_null(const char *tz, int64_t t)
{
    char buf[RW_CAL_TIME_LEN];

    if (t == 0 || rw_calendar_rfc3339(tz, t, buf, sizeof(buf)) == NULL)
        return json_null();
    return json_string(buf);
}

static json_t *
text_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static int
collect_event(const struct store_event *ev, void *arg)
{
    struct evbatch *b = arg;
    const char *tz = b->cfg->site.timezone;
    json_t *o = json_object();

    json_object_set_new(o, "id", json_integer(ev->id));
    json_object_set_new(o, "kind", text_or_null(ev->kind));
    json_object_set_new(o, "at", time_or_null(tz, ev->at));
    json_object_set_new(o, "by", text_or_null(ev->by));
    json_object_set_new(o, "note", text_or_null(ev->note));
    json_object_set_new(o, "incident",
                        ev->incident != 0 ? json_integer(ev->incident) : json_null());
    json_object_set_new(o, "recorded", time_or_null(tz, ev->recorded_at));
    b->id[b->n] = ev->id;
    b->txt[b->n] = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    b->n++;
    return b->n == CTL_BATCH ? 1 : 0;
}

/*
 * Publishes the events not yet marked, in id order, on event/<id> (QoS 1, not retained), and
 * marks each the publisher took. 0 when all are out, else -1 (logged here or by pub).
 */
static int
publish_events(struct ctl *c)
{
    struct evbatch b;
    size_t i;
    int r = 0;

    do {
        memset(&b, 0, sizeof(b));
        b.cfg = c->cfg;
        if (store_event_unpublished(c->store, collect_event, &b) < 0) {
            r = -2;
            break;
        }
        for (i = 0; i < b.n && r == 0; i++) {
            char topic[48];

            if (b.txt[i] == NULL) {
                log_err("event/%lld: cannot build its message: out of memory", (long long)b.id[i]);
                r = -1;
                break;
            }
            snprintf(topic, sizeof(topic), "event/%lld", (long long)b.id[i]);
            if (pub_publish(c->pub, topic, b.txt[i], 1, 0) < 0)
                r = -1; /* counted and logged by pub; tried again at the next look */
            else if (store_event_published(c->store, b.id[i]) < 0)
                r = -2;
        }
        for (i = 0; i < b.n; i++)
            free(b.txt[i]);
    } while (r == 0 && b.n == CTL_BATCH);
    if (r == -2) {
        if (!c->failing)
            log_err("store: cannot publish recorded events: %s; retrying every second",
                    store_errmsg(c->store));
        c->failing = 1;
    }
    return r < 0 ? -1 : 0;
}

static void
answer(struct ctl *c, char *txt)
{
    if (txt == NULL) {
        log_err("cmd/result: cannot build the answer: out of memory");
        return;
    }
    /* A refused message is counted by pub, which logs the state change. */
    (void)pub_publish(c->pub, "cmd/result", txt, 1, 0);
    free(txt);
}

static void
refuse(struct ctl *c, const struct rcmd *cmd, const char *why)
{
    rw_lograte_log(&c->refusals, rw_clock_mono(), 1, RW_LOG_INFO, "command %s refused: %s",
                   cmd->verb[0] != '\0' ? cmd->verb : "(unknown)", why);
    answer(c, rcmd_answer_error(cmd, why));
}

/* pub's command hook: one command from <prefix>/cmd/<verb>. */
static void
on_command(void *ctx, const char *verb, const char *payload, size_t len)
{
    struct ctl *c = ctx;
    struct store_cmd_result r;
    struct rcmd cmd;
    char err[RCMD_ERR_LEN], why[RCMD_ERR_LEN + STORE_WHY_LEN];
    int64_t now = llround(rw_clock_wall() * 1000.0);

    if (verb == NULL) {
        memset(&cmd, 0, sizeof(cmd));
        snprintf(why, sizeof(why),
                 "%zu commands dropped: more than %d arrived at once; send them again", len,
                 PUB_CMD_QUEUE);
        answer(c, rcmd_answer_error(&cmd, why));
        return;
    }
    if (payload != NULL)
        log_debug("command %s: %s", verb, payload);
    if (rcmd_parse(verb, payload, len, now, &cmd, err, sizeof(err)) != RCMD_OK) {
        refuse(c, &cmd, err);
        rcmd_free(&cmd);
        return;
    }
    if (c->store == NULL) {
        refuse(c, &cmd, "this agent keeps no store (its config has no alarms and no indicators)");
        rcmd_free(&cmd);
        return;
    }
    if (store_cmd_apply(c->store, &cmd.cmd, now, "mqtt", &r) < 0) {
        if (errno == ENOENT)
            snprintf(why, sizeof(why), "incident %lld: no such incident",
                     (long long)cmd.cmd.incident);
        else if (errno == EALREADY)
            snprintf(why, sizeof(why), "incident %lld: %s", (long long)cmd.cmd.incident, r.why);
        else if (errno == EIO)
            snprintf(why, sizeof(why), "the store failed: %s", store_errmsg(c->store));
        else
            snprintf(why, sizeof(why), "not applied: %s", strerror(errno));
        if (errno == EIO || errno == ENOMEM)
            log_err("command %s: %s", cmd.verb, why);
        refuse(c, &cmd, why);
        rcmd_free(&cmd);
        return;
    }
    if (r.changed && cmd.cmd.kind == STORE_CMD_EVENT)
        log_notice("event %lld recorded: %s at %lld by %s", (long long)r.id, cmd.cmd.event_kind,
                   (long long)(cmd.cmd.at / 1000), cmd.cmd.by);
    else if (r.changed)
        log_notice("incident %lld %s by %s", (long long)r.id, r.what, cmd.cmd.by);
    else
        log_info("command %s: %s %lld: %s", cmd.verb,
                 cmd.cmd.kind == STORE_CMD_EVENT ? "event" : "incident", (long long)r.id, r.why);
    /* The changed incident or the recorded event first (the store has it), then the answer. */
    if (r.changed)
        (void)publish_changes(c);
    answer(c, rcmd_answer_ok(&cmd, &r));
    rcmd_free(&cmd);
}
