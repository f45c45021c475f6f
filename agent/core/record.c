/*
 * record.c - the fault-handling record's commands and publishing (see record.h).
 */
#include "core/record.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "core/core_io.h"
#include "core/incident.h"
#include "rw_calendar.h"
#include "rw_log.h"
#include "store/store.h"

#define REC_BATCH 64     /* changes published per look; the rest at the next one */
#define REC_LOOK_MS 1000 /* between looks at data_version */
#define REC_WHAT_LEN 16

struct rec {
    const struct rw_config *cfg;
    const struct core_out *out;
    struct store *store;
    int64_t data_version;
    int dirty;         /* a look is due: at start, after a failure */
    int64_t next_look; /* engine time, ms */
    int failing;       /* a store error logged; cleared when a look succeeds */
};

/* One unpublished change, copied out of the walk (marking it inside would change the index
 * being walked). */
struct rec_change {
    int64_t seq, incident, at;
    char what[REC_WHAT_LEN];
};

struct batch {
    size_t n;
    struct rec_change ch[REC_BATCH];
};

/* Unpublished events, each document built inside the walk (the store's strings live only
 * there), published and marked after it. */
struct evbatch {
    const struct rw_config *cfg;
    const struct core_out *out;
    size_t n;
    int64_t id[REC_BATCH];
    char *txt[REC_BATCH]; /* malloc()ed; NULL: out of memory */
};

static int publish_changes(struct rec *c);
static int publish_events(struct rec *c);

struct rec *
rec_new(const struct rw_config *cfg, struct store *store, const struct core_out *out)
{
    struct rec *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->cfg = cfg;
    c->out = out;
    c->store = store;
    c->dirty = out != NULL && out->publish != NULL;
    c->data_version = -1;
    return c;
}

void
rec_free(struct rec *c)
{
    free(c);
}

void
rec_publish(struct rec *c)
{
    if (c->out != NULL && c->out->publish != NULL)
        (void)publish_changes(c); /* logged; again at the next look if it failed */
}

void
rec_tick(struct rec *c, int64_t now)
{
    int64_t v;

    if (c->out == NULL || c->out->publish == NULL || now < c->next_look)
        return;
    c->next_look = now + REC_LOOK_MS;
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
    struct rec_change *o = &b->ch[b->n++];

    o->seq = ch->seq;
    o->incident = ch->incident;
    o->at = ch->at;
    snprintf(o->what, sizeof(o->what), "%s", ch->what != NULL ? ch->what : "changed");
    return b->n == REC_BATCH ? 1 : 0;
}

struct doc_ctx {
    const struct rw_config *cfg;
    const struct core_out *out;
    const char *what;
    int64_t at;
    char *txt;
};

/* A change the alarm detector made (not a command): its document's event. */
static const char *
detector_event(const char *what)
{
    if (strcmp(what, "detected") == 0)
        return "detected";
    if (strcmp(what, "auto_resolved") == 0)
        return "resolved";
    return NULL;
}

/*
 * The command that made a change, as the store holds it now, told to the owner's
 * taken_command hook (the sample archive): whoever applied it (this process, or the CLI in
 * another), it is archived once it is published. A change offered twice (the outbox refused
 * it the first time) is archived twice: a repeated command changes nothing. The detector's
 * changes are not commands: the archive has the samples they follow from.
 */
static void
take_change(const struct doc_ctx *d, const struct store_incident *in)
{
    struct store_cmd cmd;

    if (d->out->taken_command == NULL || detector_event(d->what) != NULL)
        return;
    memset(&cmd, 0, sizeof(cmd));
    cmd.incident = in->id;
    if (strcmp(d->what, "acknowledged") == 0) {
        cmd.kind = STORE_CMD_ACK;
        cmd.by = in->acked_by;
        cmd.note = in->ack_note;
    } else {
        cmd.kind = STORE_CMD_RESOLVE; /* "resolved" by hand, or "noted" */
        cmd.by = in->resolved_by;
        cmd.cause = in->cause;
        cmd.measure = in->measure;
    }
    d->out->taken_command(d->out->ctx, d->at, &cmd);
}

static int
build_doc(const struct store_incident *in, void *arg)
{
    struct doc_ctx *d = arg;
    const char *event = detector_event(d->what);

    d->txt = inc_json(d->cfg, in, event != NULL ? event : d->what);
    take_change(d, in);
    return 0;
}

/*
 * Publishes the change log's unmarked rows, in order, and marks each the publisher took.
 * Stops at the first failure, to go on from there at the next look (c->dirty stays set,
 * also when called for a command between looks).
 * Returns 0 when everything was published, else -1 (logged).
 */
static int
publish_changes(struct rec *c)
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
            struct doc_ctx d = {c->cfg, c->out, b.ch[i].what, b.ch[i].at, NULL};
            const struct store_pubmark mark = {STORE_PUB_CHANGE, b.ch[i].seq};
            char topic[48];

            if (store_incident_get(c->store, b.ch[i].incident, build_doc, &d) < 0) {
                if (errno != ENOENT)
                    goto store_failed;
                log_warn("incident %lld: changed, but no longer in the store; not published",
                         (long long)b.ch[i].incident);
                if (store_mark_published(c->store, &mark) < 0)
                    goto store_failed;
            } else {
                if (d.txt == NULL) {
                    log_err("incident/%lld: cannot build its message: out of memory",
                            (long long)b.ch[i].incident);
                    return -1;
                }
                snprintf(topic, sizeof(topic), "incident/%lld", (long long)b.ch[i].incident);
                r = core_out_publish(c->out, topic, d.txt, 1, 0, &mark);
                free(d.txt);
                if (r < 0)
                    return -1; /* counted and logged by the publisher; again at the next look */
            }
        }
    } while (b.n == REC_BATCH);
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
    if (b->out->taken_command != NULL) {
        /* Archived as take_change() archives an incident's change. */
        struct store_cmd cmd;

        memset(&cmd, 0, sizeof(cmd));
        cmd.kind = STORE_CMD_EVENT;
        cmd.event_kind = ev->kind;
        cmd.at = ev->at;
        cmd.by = ev->by;
        cmd.note = ev->note;
        cmd.incident = ev->incident;
        b->out->taken_command(b->out->ctx, ev->recorded_at, &cmd);
    }
    return b->n == REC_BATCH ? 1 : 0;
}

/*
 * Publishes the events not yet marked, in id order, on event/<id> (QoS 1, not retained), and
 * marks each the publisher took. 0 when all are out, else -1 (logged here or by pub).
 */
static int
publish_events(struct rec *c)
{
    struct evbatch b;
    size_t i;
    int r = 0;

    do {
        memset(&b, 0, sizeof(b));
        b.cfg = c->cfg;
        b.out = c->out;
        if (store_event_unpublished(c->store, collect_event, &b) < 0) {
            r = -2;
            break;
        }
        for (i = 0; i < b.n && r == 0; i++) {
            const struct store_pubmark mark = {STORE_PUB_EVENT, b.id[i]};
            char topic[48];

            if (b.txt[i] == NULL) {
                log_err("event/%lld: cannot build its message: out of memory", (long long)b.id[i]);
                r = -1;
                break;
            }
            snprintf(topic, sizeof(topic), "event/%lld", (long long)b.id[i]);
            if (core_out_publish(c->out, topic, b.txt[i], 1, 0, &mark) < 0)
                r = -1; /* counted and logged by the publisher; again at the next look */
        }
        for (i = 0; i < b.n; i++)
            free(b.txt[i]);
    } while (r == 0 && b.n == REC_BATCH);
    if (r == -2) {
        if (!c->failing)
            log_err("store: cannot publish recorded events: %s; retrying every second",
                    store_errmsg(c->store));
        c->failing = 1;
    }
    return r < 0 ? -1 : 0;
}

int
rec_apply(struct rec *c, const struct store_cmd *cmd, int64_t now, const char *source,
          struct store_cmd_result *r, struct store_cmd_reply *reply)
{
    if (store_cmd_apply_answered(c->store, cmd, now, source, r, reply) < 0)
        return -1;
    if (r->changed && cmd->kind == STORE_CMD_SILENCE)
        log_notice("silence %lld recorded by %s", (long long)r->id, cmd->by);
    else if (r->changed && cmd->kind == STORE_CMD_EVENT)
        log_notice("event %lld recorded: %s at %lld by %s", (long long)r->id, cmd->event_kind,
                   (long long)(cmd->at / 1000), cmd->by);
    else if (r->changed)
        log_notice("incident %lld %s by %s", (long long)r->id, r->what, cmd->by);
    else
        log_info("command: %s %lld: %s",
                 cmd->kind == STORE_CMD_EVENT     ? "event"
                 : cmd->kind == STORE_CMD_SILENCE ? "silence"
                                                  : "incident",
                 (long long)r->id, r->why);
    /* The changed incident or the recorded event goes out now (the store has it), before
     * the caller answers the command. */
    if (r->changed && c->out != NULL && c->out->publish != NULL)
        (void)publish_changes(c);
    return 0;
}
