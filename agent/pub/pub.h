/*
 * pub.h - the publisher: the only module that talks MQTT (paho.mqtt.c, MQTTAsync, MQTT 3.1.1).
 *
 * DESIGN: paho runs its own threads. Its callbacks (connected, connection lost, connect
 * failure, delivery complete or failed, TLS error) copy what they got into the publisher's
 * event queue and wake the main loop through pub_fd(); they touch nothing else. The main
 * thread calls pub_dispatch() when pub_fd() is readable, which acts on those events
 * (announces "online" on every connect, logs state changes once, keeps counters). Every
 * other function is called from the main thread. No timer is needed: all work is driven by
 * pub_fd().
 *
 * While the broker is away, publishing goes on into paho's bounded in-memory buffer
 * (cfg_mqtt.buffer messages, the oldest dropped first, each drop counted as failed), also
 * before the first connect. paho reconnects on its own with exponential backoff (1 s
 * doubling to 60 s, +-20 % jitter), and in paho 1.3.12 that includes a first connect that
 * fails because the broker is not up yet. A retained "offline" status is the last will.
 * Should the broker close three connections in a row within 2 s of accepting each, the
 * publisher gives up what paho holds (counted as failed, logged) and starts over on a new
 * paho client with a clean session (pub_mqtt.c, renew_client()).
 *
 * Topics: <prefix>/status (retained, QoS 1: {"state":"online"|"offline", ...}; the will's
 *         "time" is null, the broker sends it at a moment the agent cannot know),
 *         <prefix>/telemetry/<device> (one JSON document per poll cycle, see pub_json.h),
 *         <prefix>/incident/<id> (QoS 1, one document per transition, see incident.h),
 *         <prefix>/cmd/result (QoS 1, the answer to each command, see rcmd.h).
 * In: <prefix>/cmd/+ (QoS 1) once a command hook is set: pub_set_command_hook().
 * URIs: tcp://, mqtt://, ssl://, mqtts:// (TLS: ca_file, cert_file, key_file; the server's
 * certificate must name the host of the URI).
 */
#ifndef ROOMWATCH_PUB_H
#define ROOMWATCH_PUB_H

#include <stddef.h>
#include <stdint.h>

#include "cfg/cfg.h"

struct pub;

/*
 * Every message paho took ends as delivered or failed (by pub_stop() at the latest), so
 * after pub_stop() published == delivered + failed - (refused ones).
 */
struct pub_stats {
    int connected;      /* 1 while connected to the broker */
    uint64_t connects;  /* successful connections, including reconnects */
    uint64_t published; /* messages handed to paho (not those it refused) */
    /*
     * QoS 1: the broker acknowledged (PUBACK). QoS 0: paho wrote the whole PUBLISH packet to
     * the socket (its onSuccess for QoS 0), i.e. handed to the kernel, not proof of receipt.
     */
    uint64_t delivered;
    /*
     * paho refused to take it; or failed it (QoS 1 in flight when the connection broke:
     * cleansession=1 leaves nothing to resend it in); or it was dropped as the oldest from
     * the full buffer; or it was still buffered at pub_stop().
     */
    uint64_t failed;
};

/*
 * Creates the publisher for cfg (borrowed: must outlive the publisher). Does not connect yet.
 * Returns NULL with errno set (EINVAL: incomplete mqtt config or a URI paho rejects; ENOMEM),
 * after logging why.
 */
struct pub *pub_new(const struct rw_config *cfg);
/* Starts connecting in the background; a broker that is not up yet is retried. Returns 0 or
 * -1 (logged) if paho rejects the connect options. */
int pub_start(struct pub *p);
/* The main loop polls this (an eventfd) for POLLIN. */
int pub_fd(const struct pub *p);
/* Main thread: handles pending callback events. Cheap when there are none. */
void pub_dispatch(struct pub *p);
/*
 * Publishes payload (borrowed; copied) on <prefix>/<subtopic>. Returns 0, or -1 when paho
 * refused it (counted in failed; the caller need not log, pub logs the first refusal of a
 * run), with errno ENOBUFS, EINVAL (a + or # in the topic, a bad qos), ENOTCONN (after
 * pub_stop()) or EIO. 0 means taken, not delivered: see struct pub_stats.
 */
int pub_publish(struct pub *p, const char *subtopic, const char *payload, int qos, int retained);
/*
 * Tracked publishing, for the delivery indicators. The outcome of every message taken by
 * pub_publish_tracked() is handed to the hook exactly once, on the main thread, from
 * pub_dispatch(), pub_publish_tracked() or pub_stop():
 *   tag        the caller's, as given;
 *   latency_s  monotonic seconds from pub_publish_tracked() to paho's onSuccess for it
 *              (QoS 1: the broker's PUBACK; QoS 0: the PUBLISH written to the socket, not
 *              proof of receipt), or NaN when it was not delivered: onFailure; or no
 *              onSuccess within keep_s (reported on the first pub_dispatch() after that);
 *              or more than cfg->mqtt.buffer tracked messages awaited their outcome and
 *              this was the oldest; or pub_stop() came first. A later onSuccess is ignored;
 *   mono       when the outcome is handed over (monotonic s; never decreasing).
 * The hook must not publish. With no hook (NULL, the default) outcomes are discarded.
 * ctx is borrowed until the hook is changed.
 */
void pub_set_outcome_hook(struct pub *p, void (*hook)(void *ctx, uint64_t tag, double latency_s,
                                                      double mono),
                          void *ctx);
/*
 * pub_publish(), tracked: returns 0 (the outcome will reach the hook) or -1 as pub_publish()
 * (refused: no outcome will come; ENOMEM if no tracking memory could be had). Memory: one
 * entry per message awaiting its outcome, at most cfg->mqtt.buffer.
 */
int pub_publish_tracked(struct pub *p, const char *subtopic, const char *payload, int qos,
                        int retained, uint64_t tag, double keep_s);
/*
 * Acknowledged publishing, for the outbox (agent/daemon/outbox.h): a QoS 1, not retained
 * message whose outcome goes to the ack hook, on the main thread from pub_dispatch() or
 * pub_stop(), at most once per message: id (the caller's, 1 to UINTPTR_MAX) and ok, 1 for
 * the broker's PUBACK, 0 when paho failed it. Some messages get no outcome at all: those
 * paho dropped from its full buffer without a callback, and those lost to a lost
 * connection that paho resends itself; the caller must resend what has had no outcome for
 * a while. When everything outstanding is given up at once (pub_stop(), or the publisher
 * starting over on a new client), the hook is called once with id 0: no outcome will come
 * for any message published before. The hook must not publish. pub_publish_acked()
 * returns 0 (taken) or -1 as pub_publish() (EINVAL also for id 0).
 */
void pub_set_ack_hook(struct pub *p, void (*hook)(void *ctx, uint64_t id, int ok), void *ctx);
int pub_publish_acked(struct pub *p, const char *subtopic, const char *payload, uint64_t id);
/*
 * Commands in. Once a hook is set the publisher subscribes to <prefix>/cmd/+ at QoS 1 on
 * every connect (the first and each reconnect: the session is persistent, cleansession=0,
 * so the broker also keeps commands sent while the agent was away, but a broker that lost
 * the session must be told again). paho's receive thread copies each message into a bounded
 * queue (PUB_CMD_QUEUE messages) and wakes the main loop; pub_dispatch() then hands each one
 * to the hook on the main thread, in arrival order:
 *   verb     the topic's last level ("ack"; cut to PUB_VERB_MAX - 1 bytes), NUL-terminated;
 *   payload  a NUL-terminated copy of len bytes, or NULL when it was longer than
 *            PUB_CMD_COPY_MAX bytes (not copied; len is its size);
 * and, when the queue was full, once with verb NULL, payload NULL and len the number of
 * messages dropped since (pub logs it too). Messages on <prefix>/cmd/result (our answers)
 * are ignored. The borrowed strings are valid during the call; the hook may publish. ctx is
 * borrowed until the hook is changed; NULL stops handing over (and drops what arrives).
 */
#define PUB_CMD_QUEUE 32         /* commands waiting for the main thread */
#define PUB_CMD_COPY_MAX 65536   /* bytes of a command copied; longer ones are not */
#define PUB_VERB_MAX 32
void pub_set_command_hook(struct pub *p, void (*hook)(void *ctx, const char *verb,
                                                      const char *payload, size_t len),
                          void *ctx);
/*
 * More for the "online" status: fn(ctx) returns a malloc()ed JSON object whose members are
 * added to the status document (the notifier's channels); NULL adds nothing. Called on the
 * main thread whenever "online" is published. ctx is borrowed until the hook is changed
 * (NULL removes it). pub_status_refresh() publishes "online" again now, if connected.
 */
void pub_set_status_extra(struct pub *p, char *(*fn)(void *ctx), void *ctx);
void pub_status_refresh(struct pub *p);
/* The counters as of the last pub_dispatch() or pub_publish(). */
void pub_get_stats(const struct pub *p, struct pub_stats *st);
/*
 * Publishes "offline" (retained) if connected, waits for buffered and in-flight messages to
 * go out while the connection lasts, and disconnects; all within timeout_ms, plus at most 1 s
 * for paho's threads to confirm. What did not go out counts as failed and is logged. Safe if
 * pub_start() was never called or never connected.
 */
void pub_stop(struct pub *p, int timeout_ms);
/* Accepts NULL. Call pub_stop() first. */
void pub_free(struct pub *p);

#endif
