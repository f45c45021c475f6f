/*
 * pub_mqtt.c - the publisher's MQTT side: one paho MQTTAsync client, its connection state and
 * the counters `status` shows.
 *
 * DESIGN: paho runs a send thread and a receive thread, and every callback registered here
 * (connected, connection lost, connect failure, delivery success and failure, disconnect
 * done, TLS error) runs on one of them. A callback takes p->lock, appends a fixed-size
 * struct pub_event to a small ring or bumps a delivery counter, writes the eventfd on the
 * idle -> pending edge and returns: it never logs, publishes or calls paho (bar freeing what
 * paho hands to on_message()). pub_dispatch() on the main thread drains the ring and acts on
 * it: logs each change of state once, publishes "online", keeps the stats. Everything else
 * runs on the main thread, and never holds p->lock while it calls paho.
 *
 * Delivery results are counted in place rather than queued one by one: after a reconnect
 * paho reports up to cfg->mqtt.buffer of them in a burst, and a counter cannot overflow.
 * State events are few (a handful per connect attempt, attempts >= 1 s apart); should the
 * ring fill up anyway its oldest event is dropped, since the latest state is what counts.
 *
 * Reconnecting is paho's: automaticReconnect, 1 s doubling to 60 s, each wait jittered by
 * +-20 %. In paho 1.3.12 this covers a first connect that fails as well, since
 * MQTTAsync_startConnectRetry() runs after any failed connect while automaticReconnect is
 * set. Checked with Debian's libpaho-mqtt1.3 1.3.12: broker absent at start, up 20 s later,
 * connected at paho's next retry with no second MQTTAsync_connect(); the same after a refused
 * CONNACK and an unknown host name. Older releases (1.3.9 in eclipse/paho.mqtt.c#1288) gave
 * up instead. Calling MQTTAsync_connect() again here would race paho's own retry, so we
 * don't, and no timer is needed. Only the first failure is reported (onFailure); later
 * attempts fail silently, except that TLS hands its errors to ssl_error_cb: so outages are
 * reported by their length, not by a count of attempts.
 *
 * Commands in (pub_set_command_hook()): on_message() runs on paho's receive thread; it
 * copies the verb and payload of a message on <prefix>/cmd/<verb> into p->cmdq (at most
 * PUB_CMD_QUEUE, under p->lock; a full queue drops the new message and counts it) and wakes
 * the main loop. drain() takes the whole queue under the lock and calls the hook for each
 * with the lock released, so the hook may publish its answer. paho acknowledges a QoS 1
 * command when on_message() returns 1, i.e. once it is queued: a command dropped from a full
 * queue is answered as dropped (without its correlation id, which is not parsed on paho's
 * thread), never lost silently. The subscription is made again on every connect.
 *
 * Buffering: paho keeps up to cfg->mqtt.buffer publishes that are not yet sent (while the
 * broker is away: everything published), and when that is full it frees the oldest
 * *without any callback*. pub_publish() therefore counts those drops itself
 * (count_buffer_drop()). QoS 1 messages in flight when the connection breaks are failed by
 * kept: the session is not clean (cleansession=0), so paho resends them after the reconnect
 * (a broker that lost our session still takes them; a consumer may see one twice, with the
 * same cycle number). So every message handed to paho ends as delivered or failed, and
 * pub_stop() counts what is still buffered at the end as failed too.
 *
 * Tracked messages (pub_publish_tracked(): the telemetry a delivery indicator counts) need
 * their own outcome, not a count. paho gives a QoS 0 message no token, so each tracked
 * message gets a sequence number as its callback context instead of p. The callbacks mark
 * the message's entry in p->track (publication order, consecutive sequence numbers, under
 * p->lock) acknowledged or failed, with the time; drain() reports each entry's outcome once
 * to the hook, and gives up on those whose keep time has passed. An entry leaves the ring
 * once reported, so a callback that comes later (a message delivered after its deadline, or
 * after the ring was full) finds no entry and is ignored: a sequence number is never reused.
 * The ring holds at most cfg->mqtt.buffer entries (paho's own bound on unsent messages); a
 * newer tracked message beyond that reports the oldest at once, as paho has most likely
 * dropped it. The ring grows from PUB_TRACK_MIN as needed.
 *
 * Acknowledged messages (pub_publish_acked(), the outbox's): the callbacks append (id,
 * outcome) to p->acks under p->lock; drain() hands them to the ack hook on the main thread.
 * When paho's state is thrown away (renew_client(), pub_stop()) the hook hears id 0: no
 * outcome will come for what was outstanding, and the outbox sends it again.
 *
 * Global state: track_pub, the publisher whose tracked and acknowledged callbacks carry a
 * sequence number or an id instead of p (roomwatchd has one publisher at a time: set in
 * client_create(), cleared in pub_free() after paho's threads are gone); and paho's own: its
 * two threads, and SIGPIPE set to SIG_IGN for the whole process by
 * MQTTAsync_createWithOptions() (checked), so a dead socket gives EPIPE; and paho, the
 * library in use, set by pub_new(): libpaho-mqtt3a, or 3as for a TLS broker (pub_paho.h).
 */
#include "pub/pub.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <MQTTAsync.h>

#include "pub/pub_json.h"
#include "pub/pub_paho.h"
#include "rw_beat.h"
#include "rw_clock.h"
#include "rw_log.h"
#include "rw_lograte.h"

/* paho's reconnect backoff, s: first wait, and the cap the doubling stops at. */
#define PUB_RETRY_MIN 1
#define PUB_RETRY_MAX 60

#define PUB_EVQ_CAP 16  /* state events waiting for pub_dispatch() */
#define PUB_EV_TEXT 160 /* copied cause or TLS message, truncated */
#define PUB_TOPIC_STACK 256
#define PUB_TRACK_MIN 64    /* first size of the tracked-message ring */
#define PUB_BEAT_SLACK 5.0   /* s beyond 2 x keepalive: paho's own timers are coarse */
#define PUB_TRACK_BATCH 64  /* outcomes handed to the hook per pass, the lock released between */
/* A session the broker keeps closing: PUB_SHORT_RUN connections in a row, each closed within
 * PUB_SHORT_S of its CONNACK, and the client is made anew (renew_client()). */
#define PUB_SHORT_S 2.0
#define PUB_SHORT_RUN 3

enum pub_ev_type {
    PUB_EV_CONNECTED = 1, /* every successful connect, the first and each reconnect */
    PUB_EV_LOST,          /* an established connection broke */
    PUB_EV_CONNECT_FAILED,
    PUB_EV_TLS_ERROR,
    PUB_EV_DISCONNECTED, /* pub_stop()'s disconnect finished (code 0) or failed */
    PUB_EV_SUBSCRIBED,   /* code: the granted QoS, 0x80 for a refusal */
    PUB_EV_SUBSCRIBE_FAILED,
};

/* A command that arrived, waiting for the main thread. */
struct pub_cmd {
    char verb[PUB_VERB_MAX];
    char *payload; /* malloc()ed, NUL-terminated; NULL: too long or out of memory */
    size_t len;
};

struct pub_event {
    int type; /* enum pub_ev_type */
    int code; /* paho return code or CONNACK code */
    char text[PUB_EV_TEXT];
};

enum pub_track_state {
    PUB_T_PENDING = 0,
    PUB_T_ACKED,    /* onSuccess: PUBACK (QoS 1) or written to the socket (QoS 0) */
    PUB_T_FAILED,   /* onFailure */
    PUB_T_REPORTED, /* handed to the hook; leaves the ring when it reaches its head */
};

/* One tracked message. Times are monotonic, s. */
struct pub_track {
    uint64_t tag;
    double sent;
    double expires; /* sent + keep: not acknowledged by then is not delivered */
    double at;      /* when the callback came */
    int state;      /* enum pub_track_state */
};

/* An outcome on its way to the hook. */
struct pub_ack {
    uint64_t id;
    int ok;
};

struct pub_outcome {
    uint64_t tag;
    double latency; /* s, NaN: not delivered */
};

enum pub_state {
    PUB_S_NEW = 0,    /* created, pub_start() not called */
    PUB_S_CONNECTING, /* first connect under way, or paho retrying it */
    PUB_S_UP,
    PUB_S_DOWN, /* was up, paho reconnects */
    PUB_S_STOPPING,
    PUB_S_STOPPED,
};

struct pub {
    const struct rw_config *cfg;
    MQTTAsync client;
    char *uri_log;      /* cfg->mqtt.uri with any user:password@ masked */
    char *status_topic; /* <prefix>/status */
    char *will;         /* the "offline" document */
    int efd;
    struct rw_lograte cmd_drops; /* main thread: a command flood's drops, once per burst */

    /* Shared with paho's threads, under lock. */
    pthread_mutex_t lock;
    struct pub_event evq[PUB_EVQ_CAP];
    size_t evq_head;
    size_t evq_count;
    uint64_t evq_dropped;
    uint64_t cb_delivered;
    uint64_t cb_failed;
    int cb_fail_code; /* the latest delivery failure's code */
    int woken;        /* efd written since the last drain */
    int wake_all;     /* every outcome wakes the main loop (pub_stop() waits for them) */
    struct pub_track *track; /* ring of tracked messages, publication order */
    size_t track_cap, track_first, track_n;
    uint64_t track_head; /* sequence number of track[track_first] */
    struct pub_ack *acks; /* outcomes of pub_publish_acked() messages, in arrival order */
    size_t nacks, acks_cap;
    struct pub_cmd cmdq[PUB_CMD_QUEUE]; /* commands in, arrival order */
    size_t cmdq_head, cmdq_count;
    uint64_t cmdq_dropped; /* dropped from a full queue since the last drain */

    /* Main thread only. */
    enum pub_state state;
    struct pub_stats st;
    uint64_t seen_delivered; /* cb_delivered, cb_failed as of the last drain */
    uint64_t seen_failed;
    uint64_t dropped;        /* silent buffer drops counted by count_buffer_drop() */
    uint64_t refused_run;    /* consecutive messages paho refused */
    uint64_t failed_run;     /* delivery failures while up, since the last success */
    uint64_t outage_failed;  /* in flight when the connection broke */
    uint64_t outage_dropped; /* buffer drops during the current outage */
    int connect_fail_logged;
    int tls_logged;
    int disconnect_done;
    double down_since; /* monotonic, s: when the outage (or the first connect) began */
    double up_since;   /* monotonic, s: the latest CONNACK */
    int short_run;     /* connections in a row closed soon after their CONNACK */
    int renew_due;     /* short_run reached PUB_SHORT_RUN: drain() renews the client */
    void (*hook)(void *ctx, uint64_t tag, double latency_s, double mono);
    void *hook_ctx;
    uint64_t given_up; /* tracked messages reported early because the ring was full */
    void (*cmd_hook)(void *ctx, const char *verb, const char *payload, size_t len);
    void *cmd_ctx;
    void (*ack_hook)(void *ctx, uint64_t id, int ok); /* pub_set_ack_hook() */
    void *ack_ctx;
    char *(*status_extra)(void *ctx); /* pub_set_status_extra() */
    void *status_ctx;
    char *cmd_topic; /* <prefix>/cmd/+ */
    int cmd_announced; /* the subscription logged once at info */
    /* The watchdog's view (main thread): while connected with messages in paho's hands,
     * paho's threads must report an outcome (PUBACK, failure, lost connection) in time. */
    struct rw_beat *beat;
    uint64_t beat_done;  /* outcomes seen at the last drain */
    double beat_since;   /* monotonic: last progress, or when the wait began */
    int beat_waiting;
};

static struct pub *track_pub;
static const struct paho_api *paho;

static char *mask_uri(const char *uri);
static char *make_topic(const struct pub *p, const char *subtopic, char *stack, size_t len);
static const char *code_name(int code);
static const char *connect_error(const struct pub_event *ev, char *buf, size_t len);
static void push_event(struct pub *p, int type, int code, const char *text, size_t len);
static void wake(struct pub *p);
static void on_connected(void *ctx, char *cause);
static void on_lost(void *ctx, char *cause);
static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *msg);
static void on_connect_failed(void *ctx, MQTTAsync_failureData *resp);
static void on_sent(void *ctx, MQTTAsync_successData *resp);
static void on_send_failed(void *ctx, MQTTAsync_failureData *resp);
static void on_disconnected(void *ctx, MQTTAsync_successData *resp);
static void on_disconnect_failed(void *ctx, MQTTAsync_failureData *resp);
static int on_tls_error(const char *str, size_t len, void *ctx);
static void drain(struct pub *p);
static void renew_client(struct pub *p);
static int client_create(struct pub *p);
static int client_connect(struct pub *p, int clean);
static void handle_event(struct pub *p, const struct pub_event *ev);
static void handle_counts(struct pub *p, uint64_t delivered, uint64_t failed, int code);
static void publish_status(struct pub *p, const char *state);
static void count_buffer_drop(struct pub *p);
static uint64_t outstanding(struct pub *p);
static void wait_events(struct pub *p, double deadline);
static void on_tracked_sent(void *ctx, MQTTAsync_successData *resp);
static void on_tracked_failed(void *ctx, MQTTAsync_failureData *resp);
static void on_subscribed(void *ctx, MQTTAsync_successData *resp);
static void on_subscribe_failed(void *ctx, MQTTAsync_failureData *resp);
static void subscribe_commands(struct pub *p);
static void hand_commands(struct pub *p);
static void beat(struct pub *p, uint64_t done, int events);
static void track_mark(struct pub *p, void *ctx, int state, int failed, int code);
static struct pub_track *track_at(struct pub *p, size_t i);
static int track_append(struct pub *p, uint64_t tag, double keep_s, double now);
static void track_report(struct pub *p, double now, int all);
/* How send_one() learns a message's outcome. */
enum pub_how {
    PUB_PLAIN,   /* counted */
    PUB_TRACKED, /* counted and marked in p->track; ref is its sequence number */
    PUB_ACKED,   /* counted and handed to the ack hook; ref is the caller's id */
};
static int send_one(struct pub *p, const char *subtopic, const char *payload, int qos,
                    int retained, enum pub_how how, uint64_t ref);
static void on_acked_sent(void *ctx, MQTTAsync_successData *resp);
static void on_acked_failed(void *ctx, MQTTAsync_failureData *resp);
static void hand_acks(struct pub *p);

/* A URI with "user:secret@" before the host gets "***@" instead; others are copied. */
static char *
mask_uri(const char *uri)
{
    const char *host = strstr(uri, "://");
    const char *at, *slash;
    char *out;
    size_t scheme;

    if (host == NULL)
        return strdup(uri);
    host += 3;
    at = strchr(host, '@');
    slash = strchr(host, '/');
    if (at == NULL || (slash != NULL && slash < at))
        return strdup(uri);
    scheme = (size_t)(host - uri);
    out = malloc(scheme + 3 + strlen(at) + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, uri, scheme);
    memcpy(out + scheme, "***", 3);
    strcpy(out + scheme + 3, at);
    return out;
}

/*
 * <prefix>/<subtopic> in stack (len bytes) or, if longer, in a malloc()ed buffer. NULL with
 * errno EINVAL for a wildcard, which a broker answers by closing the connection, or ENOMEM.
 */
static char *
make_topic(const struct pub *p, const char *subtopic, char *stack, size_t len)
{
    size_t need = strlen(p->cfg->mqtt.prefix) + 1 + strlen(subtopic) + 1;
    char *t = stack;

    if (strpbrk(subtopic, "+#") != NULL || strpbrk(p->cfg->mqtt.prefix, "+#") != NULL) {
        errno = EINVAL;
        return NULL;
    }
    if (need > len && (t = malloc(need)) == NULL)
        return NULL;
    snprintf(t, need, "%s/%s", p->cfg->mqtt.prefix, subtopic);
    return t;
}


/* Text for a paho return code, or for a CONNACK code (MQTT 3.1.1 3.2.2.3) of a refusal. */
static const char *
code_name(int code)
{
    const char *s;

    switch (code) {
    case 1:
        return "broker refused: unacceptable protocol version";
    case 2:
        return "broker refused: client identifier rejected";
    case 3:
        return "broker refused: server unavailable";
    case 4:
        return "broker refused: bad user name or password";
    case 5:
        return "broker refused: not authorized";
    default:
        break;
    }
    s = paho->strerror(code);
    return s != NULL ? s : "unknown error";
}

/* Why a connect failed: the broker's refusal, paho's message, or what its code means. */
static const char *
connect_error(const struct pub_event *ev, char *buf, size_t len)
{
    if (ev->code >= 1 && ev->code <= 5) /* paho's text would only say "CONNACK return code" */
        snprintf(buf, len, "%s (CONNACK %d)", code_name(ev->code), ev->code);
    else if (ev->text[0] != '\0')
        snprintf(buf, len, "%s", ev->text);
    else if (ev->code == MQTTASYNC_FAILURE)
        /* What paho reports for a host name that does not resolve, among others. */
        snprintf(buf, len, "host unknown or unreachable");
    else
        snprintf(buf, len, "%s", code_name(ev->code));
    return buf;
}

/*
 * Callbacks: paho's threads. Copy, wake, return.
 */

static void
wake(struct pub *p)
{
    uint64_t one = 1;

    if (write(p->efd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is already non-zero, the main loop will wake. */
    }
}

static void
push_event(struct pub *p, int type, int code, const char *text, size_t len)
{
    struct pub_event *ev;
    int need_wake;

    pthread_mutex_lock(&p->lock);
    if (p->evq_count == PUB_EVQ_CAP) {
        p->evq_head = (p->evq_head + 1) % PUB_EVQ_CAP;
        p->evq_count--;
        p->evq_dropped++;
    }
    ev = &p->evq[(p->evq_head + p->evq_count) % PUB_EVQ_CAP];
    p->evq_count++;
    ev->type = type;
    ev->code = code;
    ev->text[0] = '\0';
    if (text != NULL) {
        if (len >= sizeof(ev->text))
            len = sizeof(ev->text) - 1;
        /* OpenSSL's lines end in ": \n"; the log adds its own end of line. */
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' || text[len - 1] == ':'))
            len--;
        memcpy(ev->text, text, len);
        ev->text[len] = '\0';
    }
    need_wake = !p->woken;
    p->woken = 1;
    pthread_mutex_unlock(&p->lock);
    if (need_wake)
        wake(p);
}

static void
on_connected(void *ctx, char *cause)
{
    (void)cause; /* "connect onSuccess called" or "automatic reconnect" */
    push_event(ctx, PUB_EV_CONNECTED, 0, NULL, 0);
}

static void
on_lost(void *ctx, char *cause)
{
    /* paho 1.3 passes NULL; should a cause come, it is paho's to free. */
    push_event(ctx, PUB_EV_LOST, 0, cause, cause != NULL ? strlen(cause) : 0);
}

/*
 * A message on a subscribed topic: a command on <prefix>/cmd/<verb>. Copied into the queue
 * (or counted as dropped); anything else (our own answers on cmd/result) is discarded.
 */
static int
on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *msg)
{
    struct pub *p = ctx;
    const char *prefix = p->cfg->mqtt.prefix, *verb;
    size_t tl = topic_len > 0 ? (size_t)topic_len : strlen(topic), pl = strlen(prefix), vl;
    struct pub_cmd *c;
    int need_wake;

    if (tl <= pl + 5 || memcmp(topic, prefix, pl) != 0 || memcmp(topic + pl, "/cmd/", 5) != 0)
        goto out;
    verb = topic + pl + 5;
    vl = tl - pl - 5;
    if (vl == 6 && memcmp(verb, "result", 6) == 0)
        goto out;
    pthread_mutex_lock(&p->lock);
    if (p->cmdq_count == PUB_CMD_QUEUE) {
        p->cmdq_dropped++;
    } else {
        c = &p->cmdq[(p->cmdq_head + p->cmdq_count) % PUB_CMD_QUEUE];
        p->cmdq_count++;
        if (vl >= sizeof(c->verb))
            vl = sizeof(c->verb) - 1;
        memcpy(c->verb, verb, vl);
        c->verb[vl] = '\0';
        c->len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
        c->payload = NULL;
        /* An allocation failure passes as "not copied": the command is refused, not lost. */
        if (c->len <= PUB_CMD_COPY_MAX && (c->payload = malloc(c->len + 1)) != NULL) {
            if (c->len > 0)
                memcpy(c->payload, msg->payload, c->len);
            c->payload[c->len] = '\0';
        }
    }
    need_wake = !p->woken;
    p->woken = 1;
    pthread_mutex_unlock(&p->lock);
    if (need_wake)
        wake(p);
out:
    paho->freeMessage(&msg);
    paho->free(topic);
    return 1;
}

static void
on_subscribed(void *ctx, MQTTAsync_successData *resp)
{
    push_event(ctx, PUB_EV_SUBSCRIBED, resp != NULL ? resp->alt.qos : 0, NULL, 0);
}

static void
on_subscribe_failed(void *ctx, MQTTAsync_failureData *resp)
{
    const char *msg = resp != NULL ? resp->message : NULL;

    push_event(ctx, PUB_EV_SUBSCRIBE_FAILED, resp != NULL ? resp->code : MQTTASYNC_FAILURE, msg,
               msg != NULL ? strlen(msg) : 0);
}

static void
on_connect_failed(void *ctx, MQTTAsync_failureData *resp)
{
    int code = resp != NULL ? resp->code : MQTTASYNC_FAILURE;
    const char *msg = resp != NULL ? resp->message : NULL;

    push_event(ctx, PUB_EV_CONNECT_FAILED, code, msg, msg != NULL ? strlen(msg) : 0);
}

/*
 * Under p->lock: counts a delivery outcome (ok, or failed with code) and arms the wake-up.
 * Returns whether the caller must wake() the main loop once the lock is released.
 *
 * A message delivered that nobody waits for (urgent 0: telemetry, plain or tracked, whose
 * delivery time is taken here) does not wake the main loop: it is counted at the loop's next
 * round (a sample, or its tick of at most a second), so that one poll a second wakes the main
 * thread once rather than twice (tests/bench: the CPU of a one-device room). Failures, the
 * outbox's acknowledgements (urgent 1: it sends its next window on them) and everything
 * during pub_stop() wake it at once.
 */
static int
count_outcome(struct pub *p, int ok, int code, int urgent)
{
    int need_wake = !p->woken && (!ok || urgent || p->wake_all);

    if (ok) {
        p->cb_delivered++;
    } else {
        p->cb_failed++;
        p->cb_fail_code = code;
    }
    if (need_wake)
        p->woken = 1;
    return need_wake;
}

static void
on_sent(void *ctx, MQTTAsync_successData *resp)
{
    struct pub *p = ctx;
    int need_wake;

    (void)resp;
    pthread_mutex_lock(&p->lock);
    need_wake = count_outcome(p, 1, 0, 0);
    pthread_mutex_unlock(&p->lock);
    if (need_wake)
        wake(p);
}

static void
on_send_failed(void *ctx, MQTTAsync_failureData *resp)
{
    struct pub *p = ctx;
    int need_wake;

    pthread_mutex_lock(&p->lock);
    need_wake = count_outcome(p, 0, resp != NULL ? resp->code : MQTTASYNC_FAILURE, 1);
    pthread_mutex_unlock(&p->lock);
    if (need_wake)
        wake(p);
}

/*
 * A tracked message's callbacks: ctx is its sequence number. Counted as on_sent() and
 * on_send_failed() count, and the message's entry marked, if it is still in the ring.
 */
static void
on_tracked_sent(void *ctx, MQTTAsync_successData *resp)
{
    (void)resp;
    track_mark(track_pub, ctx, PUB_T_ACKED, 0, 0);
}

static void
on_tracked_failed(void *ctx, MQTTAsync_failureData *resp)
{
    track_mark(track_pub, ctx, PUB_T_FAILED, 1, resp != NULL ? resp->code : MQTTASYNC_FAILURE);
}

/*
 * The outcome of a pub_publish_acked() message (context: its id) joins p->acks for the main
 * thread. The array grows as needed: its length is bounded by the messages the caller has
 * outstanding (the outbox keeps a small window). Out of memory, the outcome is lost: the
 * caller resends what has no outcome after a while, so that costs a duplicate, not a loss.
 */
static void
ack_push(struct pub *p, void *ctx, int ok, int code)
{
    int need_wake;

    pthread_mutex_lock(&p->lock);
    need_wake = count_outcome(p, ok, code, 1);
    if (p->nacks == p->acks_cap) {
        size_t cap = p->acks_cap ? 2 * p->acks_cap : 16;
        struct pub_ack *a = realloc(p->acks, cap * sizeof(*a));

        if (a != NULL) {
            p->acks = a;
            p->acks_cap = cap;
        }
    }
    if (p->nacks < p->acks_cap) {
        p->acks[p->nacks].id = (uint64_t)(uintptr_t)ctx;
        p->acks[p->nacks].ok = ok;
        p->nacks++;
    }
    pthread_mutex_unlock(&p->lock);
    if (need_wake)
        wake(p);
}

static void
on_acked_sent(void *ctx, MQTTAsync_successData *resp)
{
    (void)resp;
    ack_push(track_pub, ctx, 1, 0);
}

static void
on_acked_failed(void *ctx, MQTTAsync_failureData *resp)
{
    ack_push(track_pub, ctx, 0, resp != NULL ? resp->code : MQTTASYNC_FAILURE);
}

/* Main thread: hands the outcomes that came to the ack hook, the lock released meanwhile. */
static void
hand_acks(struct pub *p)
{
    struct pub_ack batch[PUB_TRACK_BATCH];
    size_t n, i;

    do {
        pthread_mutex_lock(&p->lock);
        n = p->nacks < PUB_TRACK_BATCH ? p->nacks : PUB_TRACK_BATCH;
        if (n > 0) { /* p->acks is NULL until the first outcome */
            memcpy(batch, p->acks, n * sizeof(*batch));
            memmove(p->acks, p->acks + n, (p->nacks - n) * sizeof(*batch));
            p->nacks -= n;
        }
        pthread_mutex_unlock(&p->lock);
        for (i = 0; i < n && p->ack_hook != NULL; i++)
            p->ack_hook(p->ack_ctx, batch[i].id, batch[i].ok);
    } while (n == PUB_TRACK_BATCH);
}

void
pub_set_ack_hook(struct pub *p, void (*hook)(void *ctx, uint64_t id, int ok), void *ctx)
{
    p->ack_hook = hook;
    p->ack_ctx = ctx;
}

int
pub_publish_acked(struct pub *p, const char *subtopic, const char *payload, uint64_t id)
{
    if (id == 0 || id > UINTPTR_MAX) {
        p->st.failed++;
        errno = EINVAL;
        return -1;
    }
    return send_one(p, subtopic, payload, 1, 0, PUB_ACKED, id);
}

static void
track_mark(struct pub *p, void *ctx, int state, int failed, int code)
{
    double now = rw_clock_mono();
    uintptr_t d;
    int need_wake;

    pthread_mutex_lock(&p->lock);
    need_wake = count_outcome(p, !failed, code, 0);
    /* Sequence numbers are consecutive: the entry's offset from the head, modulo the width
     * of a pointer (32-bit gateways wrap after 2^32 messages, long after an entry is gone). */
    d = (uintptr_t)ctx - (uintptr_t)p->track_head;
    if (d < p->track_n) {
        struct pub_track *t = track_at(p, d);
        if (t->state == PUB_T_PENDING) {
            t->state = state;
            t->at = now;
        }
    }
    pthread_mutex_unlock(&p->lock);
    if (need_wake)
        wake(p);
}

static void
on_disconnected(void *ctx, MQTTAsync_successData *resp)
{
    (void)resp;
    push_event(ctx, PUB_EV_DISCONNECTED, 0, NULL, 0);
}

static void
on_disconnect_failed(void *ctx, MQTTAsync_failureData *resp)
{
    push_event(ctx, PUB_EV_DISCONNECTED, resp != NULL ? resp->code : MQTTASYNC_FAILURE, NULL, 0);
}

/* OpenSSL's error queue, one line per call, during a TLS handshake or session. */
static int
on_tls_error(const char *str, size_t len, void *ctx)
{
    push_event(ctx, PUB_EV_TLS_ERROR, 0, str, str != NULL ? len : 0);
    return 0;
}

/*
 * Main thread.
 */

/*
 * A paho client for p->cfg with our callbacks, in p->client. Returns 0, or -1 (logged) with
 * p->client NULL or still to be destroyed by pub_free().
 */
static int
client_create(struct pub *p)
{
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
    const struct cfg_mqtt *m = &p->cfg->mqtt;
    int rc;

    co.MQTTVersion = MQTTVERSION_3_1_1;
    co.sendWhileDisconnected = 1;
    /* Also before the first connect, or a broker down at start would refuse all telemetry. */
    co.allowDisconnectedSendAtAnyTime = 1;
    co.maxBufferedMessages = m->buffer;
    co.deleteOldestMessages = 1;
    co.restoreMessages = 0; /* nothing to restore: memory only */
    co.persistQoS0 = 0;
    rc = paho->createWithOptions(&p->client, m->uri, m->client_id, MQTTCLIENT_PERSISTENCE_NONE,
                                     NULL, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        log_err("mqtt: cannot create a client for %s: %s", p->uri_log, code_name(rc));
        p->client = NULL;
        return -1;
    }
    track_pub = p;
    if (paho->setCallbacks(p->client, p, on_lost, on_message, NULL) != MQTTASYNC_SUCCESS ||
        paho->setConnected(p->client, p, on_connected) != MQTTASYNC_SUCCESS) {
        log_err("mqtt: cannot set paho callbacks");
        return -1;
    }
    return 0;
}

struct pub *
pub_new(const struct rw_config *cfg)
{
    const struct cfg_mqtt *m;
    struct pub *p;
    char err[512];
    int e;

    if (cfg == NULL || cfg->mqtt.uri == NULL || cfg->mqtt.client_id == NULL ||
        cfg->mqtt.prefix == NULL || cfg->mqtt.buffer <= 0) {
        log_err("mqtt: incomplete configuration (uri, client_id, prefix, buffer > 0)");
        errno = EINVAL;
        return NULL;
    }
    /* The client of the last publisher is gone (pub_free()): the library may change. */
    if ((paho = paho_load(cfg->mqtt.uri, err, sizeof(err))) == NULL) {
        log_err("%s", err);
        errno = ENOENT;
        return NULL;
    }
    m = &cfg->mqtt;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        goto nomem;
    p->cfg = cfg;
    p->efd = -1;
    p->cmd_drops = (struct rw_lograte)RW_LOGRATE_INIT("mqtt: commands dropped", 5.0, 60.0);
    pthread_mutex_init(&p->lock, NULL);
    p->uri_log = mask_uri(m->uri);
    p->status_topic = malloc(strlen(m->prefix) + sizeof("/status"));
    p->cmd_topic = malloc(strlen(m->prefix) + sizeof("/cmd/+"));
    /* The broker sends the will whenever we vanish, so it cannot carry a meaningful time. */
    p->will = pub_json_status(cfg, "offline", NAN);
    if (p->uri_log == NULL || p->status_topic == NULL || p->cmd_topic == NULL || p->will == NULL)
        goto nomem;
    strcpy(p->status_topic, m->prefix);
    strcat(p->status_topic, "/status");
    strcpy(p->cmd_topic, m->prefix);
    strcat(p->cmd_topic, "/cmd/+");

    if ((p->beat = rw_beat_new("publisher")) == NULL)
        goto nomem;
    rw_beat_idle(p->beat);
    p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->efd < 0) {
        e = errno;
        log_err("mqtt: eventfd: %s", strerror(e));
        pub_free(p);
        errno = e;
        return NULL;
    }

    if (client_create(p) < 0) {
        pub_free(p);
        errno = EINVAL;
        return NULL;
    }
    return p;

nomem:
    log_err("mqtt: out of memory");
    pub_free(p);
    errno = ENOMEM;
    return NULL;
}

/*
 * Starts p->client connecting, retrying on its own; clean: a clean session (renew_client()).
 * Returns 0, or -1 (logged, errno EINVAL).
 */
static int
client_connect(struct pub *p, int clean)
{
    const struct cfg_mqtt *m = &p->cfg->mqtt;
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
    MQTTAsync_willOptions wo = MQTTAsync_willOptions_initializer;
    MQTTAsync_SSLOptions so = MQTTAsync_SSLOptions_initializer;
    int rc;

    co.MQTTVersion = MQTTVERSION_3_1_1;
    co.keepAliveInterval = m->keepalive;
    /* A session that survives the connection lets paho resend the QoS 1 messages that were in
     * flight when the link broke, instead of failing them: telemetry of an outage arrives
     * whole. The broker also keeps the commands subscription (pub_set_command_hook()) and
     * queues QoS 1 commands sent while we are away: they are applied when we are back. */
    co.cleansession = clean;
    co.automaticReconnect = 1;
    co.minRetryInterval = PUB_RETRY_MIN;
    co.maxRetryInterval = PUB_RETRY_MAX;
    co.username = m->username;
    co.password = m->password; /* copied by paho; never logged */
    co.onFailure = on_connect_failed;
    co.context = p;
    /* Every connect, first or automatic, is reported by on_connected(): no onSuccess. */

    wo.topicName = p->status_topic;
    wo.message = p->will;
    wo.retained = 1;
    wo.qos = 1;
    co.will = &wo;

    if (paho_uri_is_tls(m->uri)) {
        so.trustStore = m->ca_file; /* NULL: OpenSSL's default paths */
        so.keyStore = m->cert_file;
        so.privateKey = m->key_file;
        so.enableServerCertAuth = 1;
        so.verify = 1; /* the certificate must name the host we dialled */
        so.sslVersion = MQTT_SSL_VERSION_DEFAULT;
        so.ssl_error_cb = on_tls_error;
        so.ssl_error_context = p;
        co.ssl = &so;
    }

    rc = paho->connect(p->client, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        log_err("mqtt: cannot start connecting to %s: %s", p->uri_log, code_name(rc));
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int
pub_start(struct pub *p)
{
    const struct cfg_mqtt *m = &p->cfg->mqtt;

    if (p->state != PUB_S_NEW) {
        errno = EALREADY;
        return -1;
    }
    if (client_connect(p, 0) < 0)
        return -1;
    p->state = PUB_S_CONNECTING;
    p->down_since = rw_clock_mono();
    log_info("mqtt: connecting to %s as %s%s%s", p->uri_log, m->client_id,
             m->username != NULL ? ", user " : "", m->username != NULL ? m->username : "");
    return 0;
}

int
pub_fd(const struct pub *p)
{
    return p->efd;
}

void
pub_dispatch(struct pub *p)
{
    drain(p);
}

/* Takes what the callbacks left, then acts on it. */
static void
drain(struct pub *p)
{
    struct pub_event ev[PUB_EVQ_CAP];
    uint64_t v, delivered, failed, evq_dropped;
    size_t n, i;
    int code;

    /* Clear the wake-up before looking: a callback racing with us re-arms it. */
    if (read(p->efd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing signalled; look anyway. */
    }
    pthread_mutex_lock(&p->lock);
    n = p->evq_count;
    for (i = 0; i < n; i++)
        ev[i] = p->evq[(p->evq_head + i) % PUB_EVQ_CAP];
    p->evq_head = 0;
    p->evq_count = 0;
    evq_dropped = p->evq_dropped;
    p->evq_dropped = 0;
    delivered = p->cb_delivered;
    failed = p->cb_failed;
    code = p->cb_fail_code;
    p->woken = 0;
    pthread_mutex_unlock(&p->lock);

    if (evq_dropped > 0)
        log_debug("mqtt: %llu state events overwritten before they were handled",
                  (unsigned long long)evq_dropped);
    /* Events first: failures that come with a lost connection then count to the outage. */
    for (i = 0; i < n; i++)
        handle_event(p, &ev[i]);
    handle_counts(p, delivered, failed, code);
    if (p->renew_due && p->state == PUB_S_DOWN)
        renew_client(p);
    track_report(p, rw_clock_mono(), 0);
    hand_acks(p);
    hand_commands(p);
    (void)rw_lograte_tick(&p->cmd_drops, rw_clock_mono());
    beat(p, delivered + failed, n > 0);
}

/*
 * A broker that closes every connection moments after accepting it is refusing something
 * that paho sends at once on every reconnect, or the session it resumes. Seen once in CI:
 * mosquitto 2.0.11 closed paho 1.3.12's reconnects "due to malformed packet" in a loop after
 * a broker restart while telemetry piled up in memory (not reproduced since; the cause is
 * not known). What paho holds (its buffer, the
 * session's messages in flight) cannot be inspected or repaired, so both sides start over:
 * the client is made anew and connects with a clean session, which the broker answers by
 * dropping the one it kept. The messages paho held are given up, counted as failed (tracked
 * ones reported undelivered) and logged. The session stays clean from then on (paho reuses
 * the connect options): QoS 1 commands sent while the agent is away are no longer queued by
 * the broker until roomwatchd restarts. A second client with our client_id makes the broker
 * close connections the same way; the log says to check for that.
 */
static void
renew_client(struct pub *p)
{
    uint64_t left;

    p->renew_due = 0;
    p->short_run = 0;
    /* Our only client: paho's threads end here (MQTTAsync_terminate()), no callback follows. */
    paho->destroy(&p->client);
    p->client = NULL;
    track_report(p, rw_clock_mono(), 1);
    hand_acks(p);
    if (p->ack_hook != NULL)
        p->ack_hook(p->ack_ctx, 0, 0); /* the rest will never come */
    left = outstanding(p);
    p->st.failed += left;
    p->dropped += left;
    p->outage_dropped += left;
    log_err("mqtt: %s closed %d connections in a row within %.0f s of accepting them; giving up "
            "the %llu messages paho held and starting a new, clean session (is another client "
            "using client_id %s?)",
            p->uri_log, PUB_SHORT_RUN, PUB_SHORT_S, (unsigned long long)left,
            p->cfg->mqtt.client_id);
    if (client_create(p) < 0 || client_connect(p, 1) < 0) {
        /* Only memory can fail here: the same options worked before. */
        log_err("mqtt: cannot make a new client for %s: publishing stops", p->uri_log);
        p->state = PUB_S_STOPPED;
    }
}

/*
 * The publisher's heartbeat. Connected with messages outstanding, paho owes an outcome: a
 * PUBACK, a failure, or at worst the lost connection its keepalive detects (no PINGRESP
 * within the keepalive after a PINGREQ sent after a keepalive of silence: 2 x keepalive).
 * No outcome by then means its threads are stuck. Idle otherwise: while disconnected paho
 * retries on its own schedule, and with nothing outstanding it owes nothing.
 */
static void
beat(struct pub *p, uint64_t done, int events)
{
    double now = rw_clock_mono();
    int progress = events || done != p->beat_done;

    p->beat_done = done;
    if (p->state != PUB_S_UP || outstanding(p) == 0) {
        p->beat_waiting = 0;
        rw_beat_idle(p->beat);
        return;
    }
    if (!p->beat_waiting || progress)
        p->beat_since = now;
    p->beat_waiting = 1;
    rw_beat_expect(p->beat, p->beat_since + 2.0 * p->cfg->mqtt.keepalive + PUB_BEAT_SLACK);
}

/* Main thread: hands the queued commands to the hook, the lock released while it runs. */
static void
hand_commands(struct pub *p)
{
    struct pub_cmd cmds[PUB_CMD_QUEUE];
    size_t n, i;
    uint64_t dropped;

    pthread_mutex_lock(&p->lock);
    n = p->cmdq_count;
    for (i = 0; i < n; i++)
        cmds[i] = p->cmdq[(p->cmdq_head + i) % PUB_CMD_QUEUE];
    p->cmdq_head = 0;
    p->cmdq_count = 0;
    dropped = p->cmdq_dropped;
    p->cmdq_dropped = 0;
    pthread_mutex_unlock(&p->lock);

    for (i = 0; i < n; i++) {
        if (p->cmd_hook != NULL)
            p->cmd_hook(p->cmd_ctx, cmds[i].verb, cmds[i].payload, cmds[i].len);
        else
            log_debug("mqtt: a command on cmd/%s came with nobody to take it", cmds[i].verb);
        free(cmds[i].payload);
    }
    if (dropped > 0) {
        rw_lograte_log(&p->cmd_drops, rw_clock_mono(), dropped, RW_LOG_WARNING,
                       "mqtt: %llu commands dropped: more than %d arrived before the main loop "
                       "took them",
                       (unsigned long long)dropped, PUB_CMD_QUEUE);
        if (p->cmd_hook != NULL)
            p->cmd_hook(p->cmd_ctx, NULL, NULL, (size_t)dropped);
    }
}

static void
subscribe_commands(struct pub *p)
{
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    int rc;

    ro.onSuccess = on_subscribed;
    ro.onFailure = on_subscribe_failed;
    ro.context = p;
    rc = paho->subscribe(p->client, p->cmd_topic, 1, &ro);
    if (rc != MQTTASYNC_SUCCESS)
        log_warn("mqtt: cannot subscribe to %s: %s; commands will not arrive until the next "
                 "connect",
                 p->cmd_topic, code_name(rc));
}

void
pub_set_command_hook(struct pub *p, void (*hook)(void *ctx, const char *verb,
                                                 const char *payload, size_t len),
                     void *ctx)
{
    int was = p->cmd_hook != NULL;

    p->cmd_hook = hook;
    p->cmd_ctx = ctx;
    /* Set while connected: subscribe now; otherwise the next connect does. */
    if (hook != NULL && !was && p->state == PUB_S_UP)
        subscribe_commands(p);
}

static void
handle_event(struct pub *p, const struct pub_event *ev)
{
    char buf[PUB_EV_TEXT + 64];

    switch (ev->type) {
    case PUB_EV_CONNECTED:
        if (p->state == PUB_S_STOPPING || p->state == PUB_S_STOPPED || p->state == PUB_S_UP)
            break;
        p->st.connected = 1;
        p->st.connects++;
        if (p->state == PUB_S_DOWN && p->outage_failed + p->outage_dropped == 0) {
            log_notice("mqtt: connected to %s again after %.0f s away, nothing lost", p->uri_log,
                       rw_clock_mono() - p->down_since);
        } else if (p->state == PUB_S_DOWN) {
            log_notice("mqtt: connected to %s again after %.0f s away; lost %llu messages in "
                       "flight and dropped %llu from the full buffer",
                       p->uri_log, rw_clock_mono() - p->down_since,
                       (unsigned long long)p->outage_failed, (unsigned long long)p->outage_dropped);
        } else if (p->connect_fail_logged) {
            log_notice("mqtt: connected to %s after %.0f s of retrying; dropped %llu messages "
                       "from the full buffer",
                       p->uri_log, rw_clock_mono() - p->down_since,
                       (unsigned long long)p->outage_dropped);
        } else {
            log_notice("mqtt: connected to %s", p->uri_log);
        }
        p->state = PUB_S_UP;
        p->up_since = rw_clock_mono();
        p->outage_failed = 0;
        p->outage_dropped = 0;
        p->connect_fail_logged = 0;
        p->tls_logged = 0;
        publish_status(p, "online");
        if (p->cmd_hook != NULL)
            subscribe_commands(p);
        break;
    case PUB_EV_SUBSCRIBED:
        if (ev->code == 0x80) {
            log_warn("mqtt: %s refused the subscription to %s: commands will not arrive",
                     p->uri_log, p->cmd_topic);
        } else if (!p->cmd_announced) {
            log_info("mqtt: taking commands on %s", p->cmd_topic);
            p->cmd_announced = 1;
        }
        break;
    case PUB_EV_SUBSCRIBE_FAILED:
        log_warn("mqtt: cannot subscribe to %s: %s; commands will not arrive until the next "
                 "connect",
                 p->cmd_topic, ev->text[0] != '\0' ? ev->text : code_name(ev->code));
        break;
    case PUB_EV_LOST:
        if (p->state != PUB_S_UP)
            break;
        p->st.connected = 0;
        p->state = PUB_S_DOWN;
        p->down_since = rw_clock_mono();
        log_warn("mqtt: connection to %s lost: %s; reconnecting, messages are buffered", p->uri_log,
                 ev->text[0] != '\0' ? ev->text : "closed by the broker or network");
        if (p->down_since - p->up_since < PUB_SHORT_S) {
            if (++p->short_run >= PUB_SHORT_RUN)
                p->renew_due = 1;
        } else {
            p->short_run = 0;
        }
        break;
    case PUB_EV_CONNECT_FAILED:
        /* Once per outage: paho retries on its own, and says nothing more about it. */
        if (p->state == PUB_S_CONNECTING && !p->connect_fail_logged) {
            log_warn("mqtt: cannot connect to %s: %s; retrying every %d s doubling to %d s, "
                     "messages are buffered",
                     p->uri_log, connect_error(ev, buf, sizeof(buf)), PUB_RETRY_MIN, PUB_RETRY_MAX);
            p->connect_fail_logged = 1;
        } else {
            log_debug("mqtt: connect to %s failed: %s", p->uri_log,
                      connect_error(ev, buf, sizeof(buf)));
        }
        break;
    case PUB_EV_TLS_ERROR:
        if (!p->tls_logged && p->state != PUB_S_UP) {
            log_warn("mqtt: TLS with %s: %s", p->uri_log, ev->text);
            p->tls_logged = 1;
        } else {
            log_debug("mqtt: TLS with %s: %s", p->uri_log, ev->text);
        }
        break;
    case PUB_EV_DISCONNECTED:
        p->disconnect_done = 1;
        if (ev->code != 0)
            log_debug("mqtt: disconnect from %s: %s", p->uri_log, code_name(ev->code));
        break;
    default:
        break;
    }
}

/* Folds the callbacks' counters into the stats; logs the first failure of a run. */
static void
handle_counts(struct pub *p, uint64_t delivered, uint64_t failed, int code)
{
    uint64_t nd = delivered - p->seen_delivered;
    uint64_t nf = failed - p->seen_failed;

    p->seen_delivered = delivered;
    p->seen_failed = failed;
    p->st.delivered += nd;
    p->st.failed += nf;
    if (nf > 0) {
        if (p->state == PUB_S_UP) {
            if (p->failed_run == 0)
                log_warn("mqtt: a message to %s was not delivered: %s; further failures are "
                         "counted",
                         p->uri_log, code_name(code));
            p->failed_run += nf;
        } else {
            /* Reported with the outage when the connection is back. */
            p->outage_failed += nf;
        }
    }
    if (nd > 0 && nf == 0 && p->failed_run > 0) {
        log_info("mqtt: deliveries to %s succeed again after %llu failed", p->uri_log,
                 (unsigned long long)p->failed_run);
        p->failed_run = 0;
    }
}

static void
publish_status(struct pub *p, const char *state)
{
    char *doc = pub_json_status(p->cfg, state, rw_clock_wall());
    char *extra = p->status_extra != NULL && strcmp(state, "online") == 0
                      ? p->status_extra(p->status_ctx)
                      : NULL;

    if (doc == NULL) {
        log_err("mqtt: cannot build the %s status: out of memory", state);
        free(extra);
        return;
    }
    if (extra != NULL) {
        char *merged = pub_json_merge(doc, extra);

        if (merged != NULL) {
            free(doc);
            doc = merged;
        }
        free(extra);
    }
    pub_publish(p, "status", doc, 1, 1);
    free(doc);
}

void
pub_set_status_extra(struct pub *p, char *(*fn)(void *ctx), void *ctx)
{
    p->status_extra = fn;
    p->status_ctx = ctx;
}

void
pub_status_refresh(struct pub *p)
{
    if (p->state == PUB_S_UP)
        publish_status(p, "online");
}

/*
 * paho frees the oldest buffered message without a callback when a new one finds its buffer
 * full. While disconnected every message not yet delivered or failed is in that buffer
 * (those in flight were failed when the connection broke, and the callbacks that counted
 * them ran before paho reported itself disconnected), so the buffer overflowed if more than
 * cfg->mqtt.buffer are outstanding. While connected the buffer drains as fast as the socket
 * takes it and the outstanding count mixes in messages awaiting PUBACK, so no drop is
 * assumed there: the count is exact for outages, which is when the buffer fills.
 */
static void
count_buffer_drop(struct pub *p)
{
    if (paho->isConnected(p->client))
        return;
    if (outstanding(p) <= (uint64_t)p->cfg->mqtt.buffer)
        return;
    p->dropped++;
    p->st.failed++;
    if (p->outage_dropped++ == 0)
        log_warn("mqtt: buffer of %d messages for %s is full; dropping the oldest",
                 p->cfg->mqtt.buffer, p->uri_log);
}

/* Messages handed to paho and not yet delivered, failed or dropped, as of now. */
static uint64_t
outstanding(struct pub *p)
{
    uint64_t done;

    pthread_mutex_lock(&p->lock);
    done = p->cb_delivered + p->cb_failed;
    pthread_mutex_unlock(&p->lock);
    done += p->dropped;
    return p->st.published > done ? p->st.published - done : 0;
}

int
pub_publish(struct pub *p, const char *subtopic, const char *payload, int qos, int retained)
{
    return send_one(p, subtopic, payload, qos, retained, PUB_PLAIN, 0);
}

void
pub_set_outcome_hook(struct pub *p, void (*hook)(void *ctx, uint64_t tag, double latency_s,
                                                 double mono),
                     void *ctx)
{
    p->hook = hook;
    p->hook_ctx = ctx;
}

int
pub_publish_tracked(struct pub *p, const char *subtopic, const char *payload, int qos,
                    int retained, uint64_t tag, double keep_s)
{
    uint64_t seq;
    int rc;

    if (p->state == PUB_S_STOPPED || p->client == NULL || subtopic == NULL || payload == NULL)
        return send_one(p, subtopic, payload, qos, retained, PUB_PLAIN, 0); /* refuses, counts */
    /* The entry goes in before paho has the message: its callback may come at once. */
    if (track_append(p, tag, keep_s, rw_clock_mono()) < 0) {
        p->st.failed++;
        errno = ENOMEM;
        return -1;
    }
    seq = p->track_head + p->track_n - 1; /* only this thread moves either */
    rc = send_one(p, subtopic, payload, qos, retained, PUB_TRACKED, seq);
    if (rc < 0) {
        /* Refused: no callback will come for it, and it is still the newest entry. */
        pthread_mutex_lock(&p->lock);
        p->track_n--;
        pthread_mutex_unlock(&p->lock);
    }
    return rc;
}

/* Entry i of the ring, counted from its head. Under p->lock, or on the main thread for the
 * fields only it writes (tag, sent, expires). */
static struct pub_track *
track_at(struct pub *p, size_t i)
{
    return &p->track[(p->track_first + i) % p->track_cap];
}

/*
 * Main thread: appends an entry for a message about to be published. A full ring grows up to
 * cfg->mqtt.buffer entries; beyond that the oldest entry's outcome is reported now (its
 * acknowledgement if it came, else not delivered). Returns 0, or -1 if no ring could be
 * allocated at all.
 */
static int
track_append(struct pub *p, uint64_t tag, double keep_s, double now)
{
    size_t max = (size_t)p->cfg->mqtt.buffer;
    struct pub_outcome gone = {0, NAN};
    struct pub_track *t;
    int have_gone = 0;

    pthread_mutex_lock(&p->lock);
    if (p->track_n == p->track_cap && p->track_cap < max) {
        size_t ncap = p->track_cap > 0 ? p->track_cap * 2 : PUB_TRACK_MIN;
        struct pub_track *nt;

        if (ncap > max)
            ncap = max;
        if ((nt = malloc(ncap * sizeof(*nt))) != NULL) {
            for (size_t i = 0; i < p->track_n; i++)
                nt[i] = *track_at(p, i);
            free(p->track);
            p->track = nt;
            p->track_cap = ncap;
            p->track_first = 0;
        }
    }
    if (p->track_cap == 0) {
        pthread_mutex_unlock(&p->lock);
        return -1;
    }
    if (p->track_n == p->track_cap) {
        t = track_at(p, 0);
        if (t->state != PUB_T_REPORTED) {
            gone.tag = t->tag;
            gone.latency = t->state == PUB_T_ACKED ? t->at - t->sent : NAN;
            have_gone = 1;
        }
        p->track_first = (p->track_first + 1) % p->track_cap;
        p->track_head++;
        p->track_n--;
    }
    t = track_at(p, p->track_n);
    t->tag = tag;
    t->sent = now;
    t->expires = now + keep_s;
    t->at = 0;
    t->state = PUB_T_PENDING;
    p->track_n++;
    pthread_mutex_unlock(&p->lock);
    if (have_gone) {
        if (isnan(gone.latency) && p->given_up++ == 0)
            log_warn("mqtt: more than %zu tracked reports await their outcome; the oldest "
                     "count as not delivered (further ones are counted)",
                     max);
        if (p->hook != NULL)
            p->hook(p->hook_ctx, gone.tag, gone.latency, now);
    }
    return 0;
}

/*
 * Main thread: hands every tracked message whose outcome is known by now (acknowledged,
 * failed, or its keep time passed; with all, every one left) to the hook, once, and drops
 * reported entries from the ring's head. The lock is released while the hook runs.
 */
static void
track_report(struct pub *p, double now, int all)
{
    struct pub_outcome out[PUB_TRACK_BATCH];
    size_t i = 0, n, k;
    int more = 1;

    while (more) {
        n = 0;
        pthread_mutex_lock(&p->lock);
        for (; i < p->track_n && n < PUB_TRACK_BATCH; i++) {
            struct pub_track *t = track_at(p, i);

            if (t->state == PUB_T_PENDING && (all || now >= t->expires))
                t->state = PUB_T_FAILED; /* a callback after this is ignored */
            if (t->state == PUB_T_ACKED)
                out[n].latency = t->at - t->sent;
            else if (t->state == PUB_T_FAILED)
                out[n].latency = NAN;
            else
                continue;
            out[n++].tag = t->tag;
            t->state = PUB_T_REPORTED;
        }
        more = i < p->track_n;
        while (!more && p->track_n > 0 && track_at(p, 0)->state == PUB_T_REPORTED) {
            p->track_first = (p->track_first + 1) % p->track_cap;
            p->track_head++;
            p->track_n--;
        }
        pthread_mutex_unlock(&p->lock);
        for (k = 0; k < n && p->hook != NULL; k++)
            p->hook(p->hook_ctx, out[k].tag, out[k].latency, now);
    }
}

/* Publishes one message, its outcome learnt as how says. */
static int
send_one(struct pub *p, const char *subtopic, const char *payload, int qos, int retained,
         enum pub_how how, uint64_t ref)
{
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    char stack[PUB_TOPIC_STACK];
    char *topic;
    size_t len;
    int rc, e;

    if (p->state == PUB_S_STOPPED || p->client == NULL) {
        p->st.failed++;
        errno = ENOTCONN;
        return -1;
    }
    if (subtopic == NULL || payload == NULL) {
        /* A document that could not be built (ENOMEM): count it, the caller logged it. */
        p->st.failed++;
        errno = EINVAL;
        return -1;
    }
    len = strlen(payload);
    topic = make_topic(p, subtopic, stack, sizeof(stack));
    if (topic == NULL) {
        e = errno;
        p->st.failed++;
        log_err("mqtt: cannot publish on %s/%s: %s", p->cfg->mqtt.prefix, subtopic,
                e == EINVAL ? "wildcard in topic" : strerror(e));
        errno = e;
        return -1;
    }
    if (len > INT_MAX) {
        rc = MQTTASYNC_FAILURE;
    } else {
        msg.payload = (void *)payload; /* paho copies it */
        msg.payloadlen = (int)len;
        msg.qos = qos;
        msg.retained = retained != 0;
        if (how == PUB_TRACKED) {
            ro.onSuccess = on_tracked_sent;
            ro.onFailure = on_tracked_failed;
            ro.context = (void *)(uintptr_t)ref;
        } else if (how == PUB_ACKED) {
            ro.onSuccess = on_acked_sent;
            ro.onFailure = on_acked_failed;
            ro.context = (void *)(uintptr_t)ref;
        } else {
            ro.onSuccess = on_sent;
            ro.onFailure = on_send_failed;
            ro.context = p;
        }
        rc = paho->sendMessage(p->client, topic, &msg, &ro);
    }
    if (rc != MQTTASYNC_SUCCESS) {
        p->st.failed++;
        if (p->refused_run++ == 0)
            log_warn("mqtt: paho refused a message for %s: %s; further refusals are counted", topic,
                     code_name(rc));
        switch (rc) {
        case MQTTASYNC_MAX_BUFFERED_MESSAGES:
            e = ENOBUFS;
            break;
        case MQTTASYNC_DISCONNECTED:
            e = ENOTCONN;
            break;
        case MQTTASYNC_BAD_QOS:
        case MQTTASYNC_BAD_UTF8_STRING:
        case MQTTASYNC_NULL_PARAMETER:
            e = EINVAL;
            break;
        default:
            e = len > INT_MAX ? EMSGSIZE : EIO;
            break;
        }
        if (topic != stack)
            free(topic);
        errno = e;
        return -1;
    }
    p->st.published++;
    if (p->refused_run > 0) {
        log_info("mqtt: paho takes messages again, after refusing %llu",
                 (unsigned long long)p->refused_run);
        p->refused_run = 0;
    }
    log_debug("mqtt: %s (qos %d%s): %s", topic, qos, retained ? ", retained" : "", payload);
    if (topic != stack)
        free(topic);
    count_buffer_drop(p);
    return 0;
}

void
pub_get_stats(const struct pub *p, struct pub_stats *st)
{
    *st = p->st;
}

/* Waits for a callback (or the deadline, monotonic s) and handles what came. */
static void
wait_events(struct pub *p, double deadline)
{
    struct pollfd pfd = {.fd = p->efd, .events = POLLIN};
    double left = deadline - rw_clock_mono();

    if (left > 0) {
        /* EINTR (a signal for main's loop) just ends this wait early. */
        (void)poll(&pfd, 1, (int)ceil(left * 1000.0));
    }
    drain(p);
}

void
pub_stop(struct pub *p, int timeout_ms)
{
    MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
    double deadline;
    uint64_t left, failed_before;
    int rc;

    if (p == NULL || p->state == PUB_S_STOPPED)
        return;
    if (p->state == PUB_S_NEW) {
        p->state = PUB_S_STOPPED;
        return;
    }
    if (timeout_ms < 0)
        timeout_ms = 0;
    deadline = rw_clock_mono() + timeout_ms / 1000.0;
    /* From here every outcome wakes wait_events(); those counted quietly before are taken
     * by the drain. */
    pthread_mutex_lock(&p->lock);
    p->wake_all = 1;
    pthread_mutex_unlock(&p->lock);
    drain(p);
    failed_before = p->st.failed;

    /* A graceful disconnect sends no will: say "offline" ourselves, and let it go out. */
    if (p->state == PUB_S_UP)
        publish_status(p, "offline");
    p->state = PUB_S_STOPPING;

    /*
     * paho's disconnect timeout covers QoS 1 flows already in flight, not messages still in
     * its buffer: wait for those while the connection lasts.
     */
    while (outstanding(p) > 0 && paho->isConnected(p->client) && rw_clock_mono() < deadline)
        wait_events(p, deadline);

    dopts.timeout = (int)fmax(0.0, (deadline - rw_clock_mono()) * 1000.0);
    dopts.onSuccess = on_disconnected;
    dopts.onFailure = on_disconnect_failed;
    dopts.context = p;
    /* Also ends paho's reconnect attempts when the broker is away (MQTTASYNC_DISCONNECTED). */
    rc = paho->disconnect(p->client, &dopts);
    if (rc == MQTTASYNC_SUCCESS) {
        /* paho gives up at dopts.timeout itself; one more second for its threads to say so. */
        double hard = fmax(deadline, rw_clock_mono()) + 1.0;

        while (!p->disconnect_done && rw_clock_mono() < hard)
            wait_events(p, hard);
    }
    drain(p);

    /* Tracked messages without an outcome by now will not get one here. */
    track_report(p, rw_clock_mono(), 1);
    hand_acks(p);
    if (p->ack_hook != NULL)
        p->ack_hook(p->ack_ctx, 0, 0);
    /* Whatever paho still holds is freed by MQTTAsync_destroy() without a callback. */
    left = outstanding(p);
    p->st.failed += left;
    p->dropped += left;
    if (p->st.failed > failed_before)
        log_warn("mqtt: %llu messages for %s not delivered at stop",
                 (unsigned long long)(p->st.failed - failed_before), p->uri_log);
    p->st.connected = 0;
    p->state = PUB_S_STOPPED;
    log_info("mqtt: stopped: %llu messages published, %llu delivered, %llu failed",
             (unsigned long long)p->st.published, (unsigned long long)p->st.delivered,
             (unsigned long long)p->st.failed);
}

void
pub_free(struct pub *p)
{
    if (p == NULL)
        return;
    /*
     * With roomwatchd's one client, destroying it also stops paho's threads
     * (MQTTAsync_terminate() waits for them), so no callback can touch p after this.
     */
    if (p->client != NULL)
        paho->destroy(&p->client);
    if (track_pub == p)
        track_pub = NULL;
    rw_beat_free(p->beat);
    free(p->track);
    free(p->acks);
    if (p->efd >= 0)
        close(p->efd);
    pthread_mutex_destroy(&p->lock);
    free(p->uri_log);
    free(p->status_topic);
    free(p->cmd_topic);
    for (size_t i = 0; i < p->cmdq_count; i++)
        free(p->cmdq[(p->cmdq_head + i) % PUB_CMD_QUEUE].payload);
    free(p->will);
    free(p);
}
