/*
 * outbox.c - QoS 1 messages on disk until acknowledged (see outbox.h).
 */
#define _GNU_SOURCE /* asprintf() */
#include "outbox.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"
#include "pub/pub.h"
#include "pub/pub_json.h"
#include "rw_calendar.h"
#include "rw_clock.h"
#include "rw_log.h"
#include "rw_lograte.h"
#include "store/store.h"

/* s without an outcome after which a message is sent again: beyond paho's own detection of
 * a dead connection (2 x keepalive), so that a live connection's late PUBACK is not raced. */
#define OB_RESEND_SLACK 15.0

struct ob_flight {
    int64_t id;
    double sent; /* monotonic s */
};

struct outbox {
    const struct rw_config *cfg;
    struct store *store;
    struct pub *pub;
    struct ob_flight flight[OB_WINDOW]; /* awaiting their outcome */
    size_t nflight;
    int64_t *done; /* acknowledged, to delete */
    size_t ndone, done_cap;
    int64_t cursor;    /* rows up to this id were handed to pub in this run (or are done) */
    /* The last scan sent every row after the cursor, and the store's own writes were at
     * version `version` then: until either changes there is nothing new to send. Only this
     * process writes the outbox (ob_publish(), and the command answers store_cmd_apply_answered()
     * adds on the same connection), so the store's write version of this connection, which
     * costs no query, says when a row may have come; the scan itself costs a read
     * transaction, several times a second. */
    int caught_up;
    int64_t version;
    double resend_s;   /* no outcome for this long: send again */
    uint64_t refused;  /* messages refused: full, or the store failing */
    uint64_t resent;   /* messages sent again after no outcome came in time */
    int failing;       /* the store's outbox cannot be read or written: logged once */
    struct rw_lograte full;
};

struct outbox *
ob_new(const struct rw_config *cfg, struct store *store, struct pub *pub)
{
    struct outbox *ob = calloc(1, sizeof(*ob));

    if (ob == NULL)
        return NULL;
    ob->cfg = cfg;
    ob->store = store;
    ob->pub = pub;
    ob->resend_s = 2.0 * cfg->mqtt.keepalive + OB_RESEND_SLACK;
    ob->full = (struct rw_lograte)RW_LOGRATE_INIT("outbox: messages refused", 10.0, 600.0);
    return ob;
}

/* Forgets flight entry i: its outcome came, or will not. */
static void
unfly(struct outbox *ob, size_t i)
{
    ob->flight[i] = ob->flight[--ob->nflight];
}

/* Message id goes out again: the cursor moves back to just before it. */
static void
again(struct outbox *ob, int64_t id)
{
    if (id - 1 < ob->cursor)
        ob->cursor = id - 1;
    ob->caught_up = 0;
}

void
ob_acked(struct outbox *ob, uint64_t id, int ok)
{
    size_t i;

    if (ob == NULL)
        return;
    if (id == 0) {
        /* Every outcome still due is given up: send them all again. */
        for (i = 0; i < ob->nflight; i++)
            again(ob, ob->flight[i].id);
        ob->nflight = 0;
        return;
    }
    for (i = 0; i < ob->nflight && (uint64_t)ob->flight[i].id != id; i++)
        ;
    if (i < ob->nflight)
        unfly(ob, i);
    if (!ok) {
        again(ob, (int64_t)id);
        return;
    }
    /* Acknowledged, also when it came after it was given up and sent again: done. */
    if (ob->ndone == ob->done_cap) {
        size_t cap = ob->done_cap ? 2 * ob->done_cap : 64;
        int64_t *d = realloc(ob->done, cap * sizeof(*d));

        if (d == NULL)
            return; /* not deleted: sent again after a restart, a repeat by msg_id */
        ob->done = d;
        ob->done_cap = cap;
    }
    ob->done[ob->ndone++] = (int64_t)id;
}

static int
in_flight(const struct outbox *ob, int64_t id)
{
    for (size_t i = 0; i < ob->nflight; i++)
        if (ob->flight[i].id == id)
            return 1;
    return 0;
}

struct walk {
    struct outbox *ob;
    double mono;
    size_t rows; /* rows the scan read */
};

static int
send_row(const struct store_outbox_msg *m, void *arg)
{
    struct walk *w = arg;
    struct outbox *ob = w->ob;
    char extra[48];
    char *doc;
    int rc;

    w->rows++;
    if (in_flight(ob, m->id)) {
        ob->cursor = m->id;
        return 0;
    }
    if (ob->nflight == OB_WINDOW)
        return 1;
    snprintf(extra, sizeof(extra), "{\"msg_id\":%" PRId64 "}", m->id);
    doc = pub_json_merge(m->payload, extra);
    rc = pub_publish_acked(ob->pub, m->topic, doc != NULL ? doc : m->payload, (uint64_t)m->id);
    free(doc);
    if (rc < 0)
        return 1; /* counted and logged by pub; again at the next round */
    ob->flight[ob->nflight].id = m->id;
    ob->flight[ob->nflight].sent = w->mono;
    ob->nflight++;
    ob->cursor = m->id;
    return 0;
}

static void
store_failed(struct outbox *ob, const char *what)
{
    if (!ob->failing)
        log_err("outbox: cannot %s: %s; retrying every round", what, store_errmsg(ob->store));
    ob->failing = 1;
}

void
ob_tick(struct outbox *ob, double mono)
{
    struct pub_stats st;
    struct walk w = {ob, mono, 0};
    int64_t v;
    size_t i;
    int r;

    if (ob == NULL)
        return;
    if (ob->ndone > 0) {
        if (store_outbox_done(ob->store, ob->done, ob->ndone) < 0) {
            store_failed(ob, "delete acknowledged messages");
            return;
        }
        ob->ndone = 0;
    }
    for (i = 0; i < ob->nflight;) {
        if (mono - ob->flight[i].sent >= ob->resend_s) {
            again(ob, ob->flight[i].id);
            ob->resent++;
            unfly(ob, i);
        } else {
            i++;
        }
    }
    pub_get_stats(ob->pub, &st);
    if (!st.connected) {
        ob->caught_up = 0; /* what was in flight is sent again: ob_acked(ob, 0, 0) */
        return;
    }
    if (ob->nflight == OB_WINDOW)
        return;
    (void)store_write_version(ob->store, 0, &v); /* without others: no query, cannot fail */
    if (ob->caught_up && v == ob->version)
        return;
    r = store_outbox_each(ob->store, ob->cursor, OB_WINDOW, send_row, &w);
    if (r < 0) {
        ob->caught_up = 0;
        store_failed(ob, "read the messages to send");
        return;
    }
    /* Every row after the cursor went out: fewer than asked for, none held back. */
    ob->caught_up = r == 0 && w.rows < OB_WINDOW;
    ob->version = v;
    if (ob->failing)
        log_notice("outbox: the store answers again");
    ob->failing = 0;
    (void)rw_lograte_tick(&ob->full, mono);
}

int
ob_publish(struct outbox *ob, const char *subtopic, const char *payload, int64_t now,
           const struct store_pubmark *mark)
{
    int64_t id;
    int e;

    if (store_outbox_add(ob->store, subtopic, payload, now, ob->cfg->mqtt.outbox, mark, &id) < 0) {
        e = errno;
        ob->refused++;
        if (e == ENOSPC)
            rw_lograte_log(&ob->full, rw_clock_mono(), 1, RW_LOG_ERR,
                           "outbox: full (%d messages awaiting the broker): %s refused; the "
                           "store keeps what it records and offers it again",
                           ob->cfg->mqtt.outbox, subtopic);
        else
            rw_lograte_log(&ob->full, rw_clock_mono(), 1, RW_LOG_ERR,
                           "outbox: cannot keep %s: %s; the store offers what it records again",
                           subtopic, store_errmsg(ob->store));
        errno = e == ENOSPC ? ENOBUFS : EIO;
        return -1;
    }
    /* Out at once when the window allows: a live incident does not wait for the next round. */
    ob_tick(ob, rw_clock_mono());
    return 0;
}

char *
ob_status(struct outbox *ob)
{
    char when[RW_CAL_TIME_LEN + 2], *out;
    int64_t n, oldest;

    if (store_outbox_stats(ob->store, &n, &oldest) < 0)
        return NULL;
    if (oldest == 0 ||
        rw_calendar_rfc3339(ob->cfg->site.timezone, oldest, when + 1, sizeof(when) - 2) == NULL) {
        strcpy(when, "null");
    } else {
        when[0] = '"';
        strcat(when, "\"");
    }
    if (asprintf(&out,
                 "{\"outbox\":{\"messages\":%" PRId64 ",\"max\":%d,\"oldest\":%s,"
                 "\"refused\":%llu,\"resent\":%llu}}",
                 n, ob->cfg->mqtt.outbox, when, (unsigned long long)ob->refused,
                 (unsigned long long)ob->resent) < 0)
        return NULL;
    return out;
}

void
ob_free(struct outbox *ob)
{
    if (ob == NULL)
        return;
    if (ob->ndone > 0 && store_outbox_done(ob->store, ob->done, ob->ndone) < 0)
        log_warn("outbox: cannot delete %zu acknowledged messages: %s; they go out again at "
                 "the next start",
                 ob->ndone, store_errmsg(ob->store));
    free(ob->done);
    free(ob);
}
