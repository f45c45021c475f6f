/*
 * rep_mqtt.h - the rooms' report documents collected from a broker, for `roomwatch report
 * --from mqtt://BROKER`: each roomwatchd keeps its room's document retained on
 * <root>/<site>/<gateway>/report/<period> (agent/daemon/repub.h); a central broker, fed by
 * bridges from the gateways' brokers or shared by them, holds them all.
 *
 * One synchronous paho client (MQTTClient, MQTT 3.1.1, clean session, QoS 1 subscriptions)
 * connects, subscribes to the rooms asked for and takes the retained burst: it ends when no
 * message has come for REP_MQTT_QUIET_MS after the SUBACK (or after the last message), or at
 * the overall timeout. A room's newest message wins; an empty retained message (a deleted
 * document) is no room.
 *
 * Ownership: the options are borrowed for the call; the documents returned are new (each
 * json_decref(), the array free()). Nothing here prints: errors come back in err, and the
 * password is never part of one.
 */
#ifndef ROOMWATCH_REP_MQTT_H
#define ROOMWATCH_REP_MQTT_H

#include <stddef.h>

#include <jansson.h>

struct cfg_mqtt;

#define REP_MQTT_QUIET_MS 1000 /* no message this long after the SUBACK: the burst is over */
#define REP_MQTT_MAX_ROOMS 256 /* documents taken in one collection */
#define REP_MQTT_MAX_SITES 64  /* --sites entries */

struct rep_mqtt_opts {
    const char *uri;  /* tcp://, mqtt://, ssl://, mqtts:// HOST:PORT */
    const char *root; /* the topic root before <site>/<gateway>, e.g. "roomwatch/v1" */
    /* "SITE" (every gateway of the site) or "SITE/GATEWAY"; nsites 0: every room */
    const char *const *sites;
    size_t nsites;
    /* username, password, ca_file, cert_file, key_file of a roomwatch config's mqtt group;
     * NULL: anonymous, and the system's trust anchors for TLS */
    const struct cfg_mqtt *auth;
    double timeout_s; /* the whole collection, connect included */
};

/*
 * Collects the documents of period (its name: "2026", or "2026-03" for a month) in the
 * order of o->sites (each site's gateways in name order), or of their topics without sites:
 * 0 and *docs, *n. Otherwise the exit status for `roomwatch report` with a message in err:
 *   1  a site asked for has no document (err names every such site), or there is none at all;
 *   2  bad options (a site with + or #), the broker unreachable or refusing us, a document
 *      that is not JSON, or of another schema than REP_DOC_SCHEMA (err names its topic).
 */
int rep_mqtt_collect(const struct rep_mqtt_opts *o, const char *period, json_t ***docs, size_t *n,
                     char *err, size_t errlen);

#endif
