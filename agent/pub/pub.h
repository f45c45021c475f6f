/*
 * pub.h - the publisher: the only module that talks MQTT (paho.mqtt.c, MQTTAsync).
 *
 * DESIGN: paho runs its own threads. Its callbacks (connected, connection lost, delivery
 * complete, failure) copy what they got into the publisher's event queue and wake the main
 * loop through pub_fd(); they touch nothing else. The main thread calls pub_dispatch() when
 * pub_fd() is readable, which acts on those events (announces "online" on every connect, logs
 * state changes once, keeps counters). Every other function is called from the main thread.
 *
 * While the broker is away, publishing goes on into paho's bounded in-memory buffer
 * (cfg_mqtt.buffer messages, the oldest dropped first); paho reconnects on its own with
 * exponential backoff (1 s doubling to 60 s). A retained "offline" status is the last will.
 *
 * Topics: <prefix>/status (retained: {"state":"online"|"offline", ...}),
 *         <prefix>/telemetry/<device> (one JSON document per poll cycle, see pub_json.h).
 */
#ifndef ROOMWATCH_PUB_H
#define ROOMWATCH_PUB_H

#include <stdint.h>

#include "cfg/cfg.h"

struct pub;

struct pub_stats {
    int connected;      /* 1 while connected to the broker */
    uint64_t connects;  /* successful connections, including reconnects */
    uint64_t published; /* messages handed to paho */
    uint64_t delivered; /* messages the broker acknowledged (QoS 1) or paho sent (QoS 0) */
    uint64_t failed;    /* messages paho reported as failed or refused to take */
};

/*
 * Creates the publisher for cfg (borrowed: must outlive the publisher). Does not connect yet.
 * Returns NULL with errno set, after logging why.
 */
struct pub *pub_new(const struct rw_config *cfg);
/* Starts connecting in the background. Returns 0 or -1 (logged). */
int pub_start(struct pub *p);
/* The main loop polls this for POLLIN. */
int pub_fd(const struct pub *p);
/* Main thread: handles pending callback events. */
void pub_dispatch(struct pub *p);
/*
 * Publishes payload (borrowed; copied) on <prefix>/<subtopic>. Returns 0, or -1 when paho
 * refused it (counted in failed; the caller need not log, pub logs state changes).
 */
int pub_publish(struct pub *p, const char *subtopic, const char *payload, int qos, int retained);
void pub_get_stats(const struct pub *p, struct pub_stats *st);
/* Publishes "offline" (retained), waits up to timeout_ms for pending deliveries, disconnects. */
void pub_stop(struct pub *p, int timeout_ms);
/* Accepts NULL. Call pub_stop() first. */
void pub_free(struct pub *p);

#endif
