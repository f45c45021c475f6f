/*
 * rep_mqtt.c - the rooms' report documents from a broker (see rep_mqtt.h).
 */
#include "rep_mqtt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <MQTTClient.h>

#include "cfg/cfg.h"
#include "report/rep_doc.h"
#include "rw_clock.h"

#define TOPIC_MAX 512 /* bytes of a subscription filter */

struct room {
    char *topic;
    json_t *doc; /* NULL: an empty retained message, the document deleted */
    size_t site; /* the index of the --sites entry it answers; 0 without */
};

struct collect {
    const struct rep_mqtt_opts *o;
    char filter[REP_MQTT_MAX_SITES][TOPIC_MAX]; /* the subscriptions */
    size_t nfilters;
    struct room rooms[REP_MQTT_MAX_ROOMS];
    size_t n;
};

static int
is_tls(const char *uri)
{
    return strncmp(uri, "ssl://", 6) == 0 || strncmp(uri, "mqtts://", 8) == 0;
}

/* Whether topic's <site>/<gateway> (after root/) answers sites entry want ("S" or "S/G"). */
static int
answers(const char *root, const char *topic, const char *want)
{
    size_t rl = strlen(root), wl = strlen(want);
    const char *rest, *slash;

    if (strncmp(topic, root, rl) != 0 || topic[rl] != '/')
        return 0;
    rest = topic + rl + 1;
    if (strncmp(rest, want, wl) != 0 || rest[wl] != '/')
        return 0;
    if (strchr(want, '/') != NULL) /* S/G: the gateway is matched too */
        return 1;
    slash = strchr(rest + wl + 1, '/'); /* S: any one gateway level after it */
    return slash != NULL && strncmp(slash, "/report/", 8) == 0;
}

/* A message on topic: kept (replacing an older one of the same topic), or 2 with err. */
static int
take(struct collect *c, const char *topic, const void *payload, size_t len, char *err,
     size_t errlen)
{
    struct room *r = NULL;
    json_error_t jerr;
    json_t *doc = NULL;
    size_t site = 0;

    for (size_t i = 0; i < c->o->nsites; i++)
        if (answers(c->o->root, topic, c->o->sites[i])) {
            site = i;
            break;
        }
    if (len > 0 && (doc = json_loadb(payload, len, 0, &jerr)) == NULL) {
        snprintf(err, errlen, "%s: not a JSON document: %s (line %d)", topic, jerr.text, jerr.line);
        return 2;
    }
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->rooms[i].topic, topic) == 0)
            r = &c->rooms[i];
    if (r == NULL) {
        if (c->n == REP_MQTT_MAX_ROOMS) {
            json_decref(doc);
            snprintf(err, errlen, "more than %d rooms answered: name them with --sites",
                     REP_MQTT_MAX_ROOMS);
            return 2;
        }
        r = &c->rooms[c->n];
        if ((r->topic = strdup(topic)) == NULL) {
            json_decref(doc);
            snprintf(err, errlen, "out of memory");
            return 2;
        }
        c->n++;
    }
    json_decref(r->doc);
    r->doc = doc;
    r->site = site;
    return 0;
}

/* Each room's document is one this roomwatch reads: 0, or 2 with err naming its topic. */
static int
check_schema(const struct room *r, char *err, size_t errlen)
{
    const json_t *v = json_object_get(r->doc, "schema");

    if (!json_is_object(r->doc) || !json_is_integer(v)) {
        snprintf(err, errlen, "%s: not a roomwatch report document (no \"schema\" member)",
                 r->topic);
        return 2;
    }
    if (json_integer_value(v) != REP_DOC_SCHEMA) {
        snprintf(err, errlen,
                 "%s: a report document of schema %lld; this roomwatch reads schema %d: %s",
                 r->topic, (long long)json_integer_value(v), REP_DOC_SCHEMA,
                 json_integer_value(v) > REP_DOC_SCHEMA
                     ? "upgrade this roomwatch to the gateways' version"
                     : "upgrade roomwatchd on that gateway");
        return 2;
    }
    return 0;
}

static int
by_site_then_topic(const void *a, const void *b)
{
    const struct room *x = a, *y = b;

    if (x->site != y->site)
        return x->site < y->site ? -1 : 1;
    return strcmp(x->topic, y->topic);
}

/* The subscription filters: one per site, or one for every room. 0, or 2 with err. */
static int
filters(const struct rep_mqtt_opts *o, const char *period, char (*f)[TOPIC_MAX], size_t *nf,
        char *err, size_t errlen)
{
    size_t n = o->nsites > 0 ? o->nsites : 1;
    int len;

    for (size_t i = 0; i < n; i++) {
        const char *s = o->nsites > 0 ? o->sites[i] : NULL;
        const char *slash = s != NULL ? strchr(s, '/') : NULL;

        if (s != NULL &&
            (s[0] == '\0' || strpbrk(s, "+#") != NULL || s[0] == '/' ||
             (slash != NULL && (slash[1] == '\0' || strchr(slash + 1, '/') != NULL)))) {
            snprintf(err, errlen, "--sites: \"%s\" is not SITE or SITE/GATEWAY", s);
            return 2;
        }
        if (s == NULL)
            len = snprintf(f[i], TOPIC_MAX, "%s/+/+/report/%s", o->root, period);
        else if (slash != NULL)
            len = snprintf(f[i], TOPIC_MAX, "%s/%s/report/%s", o->root, s, period);
        else
            len = snprintf(f[i], TOPIC_MAX, "%s/%s/+/report/%s", o->root, s, period);
        if (len < 0 || len >= TOPIC_MAX) {
            snprintf(err, errlen, "--sites or --prefix-root: a topic longer than %d bytes",
                     TOPIC_MAX - 1);
            return 2;
        }
    }
    *nf = n;
    return 0;
}

/* Connects, subscribes and takes the retained burst into c: 0, or 2 with err. */
static int
receive(struct collect *c, char *err, size_t errlen)
{
    const struct rep_mqtt_opts *o = c->o;
    MQTTClient client = NULL;
    MQTTClient_connectOptions co = MQTTClient_connectOptions_initializer;
    MQTTClient_SSLOptions so = MQTTClient_SSLOptions_initializer;
    char id[64], *topics[REP_MQTT_MAX_SITES];
    int qos[REP_MQTT_MAX_SITES], rc = 2, prc;
    double deadline = rw_clock_mono() + o->timeout_s;

    snprintf(id, sizeof(id), "roomwatch-report-%ld", (long)getpid());
    if ((prc = MQTTClient_create(&client, o->uri, id, MQTTCLIENT_PERSISTENCE_NONE, NULL)) !=
        MQTTCLIENT_SUCCESS) {
        snprintf(err, errlen,
                 "%s: not a broker address paho takes (tcp://, mqtt://, ssl://, "
                 "mqtts:// HOST:PORT): %s",
                 o->uri, MQTTClient_strerror(prc));
        return 2;
    }
    co.MQTTVersion = MQTTVERSION_3_1_1;
    co.keepAliveInterval = 30;
    co.cleansession = 1; /* nothing to keep: the retained documents come on every subscribe */
    co.connectTimeout = (int)ceil(o->timeout_s);
    if (o->auth != NULL) {
        co.username = o->auth->username;
        co.password = o->auth->password; /* copied by paho; never in a message */
    }
    if (is_tls(o->uri)) {
        so.trustStore = o->auth != NULL ? o->auth->ca_file : NULL; /* NULL: system's */
        so.keyStore = o->auth != NULL ? o->auth->cert_file : NULL;
        so.privateKey = o->auth != NULL ? o->auth->key_file : NULL;
        so.enableServerCertAuth = 1;
        so.verify = 1; /* the certificate must name the host dialled */
        so.sslVersion = MQTT_SSL_VERSION_DEFAULT;
        co.ssl = &so;
    }
    if ((prc = MQTTClient_connect(client, &co)) != MQTTCLIENT_SUCCESS) {
        /* CONNACK return codes 4 and 5 (MQTT 3.1.1 3.2.2.3); paho's own failure is a
         * connection that did not come up at all, plain TCP or TLS. */
        snprintf(err, errlen, "%s: cannot connect: %s", o->uri,
                 prc == 4   ? "bad user name or password"
                 : prc == 5 ? "not authorised"
                 : prc > 0  ? "refused by the broker"
                 : prc == MQTTCLIENT_FAILURE
                     ? "no broker answered (wrong host or port, or TLS failed: ca_file, the "
                       "certificate's host name)"
                     : MQTTClient_strerror(prc));
        goto out;
    }
    for (size_t i = 0; i < c->nfilters; i++) {
        topics[i] = c->filter[i];
        qos[i] = 1;
    }
    /* Synchronous: returns with the SUBACK, after which the broker sends what it retains. */
    if ((prc = MQTTClient_subscribeMany(client, (int)c->nfilters, topics, qos)) !=
        MQTTCLIENT_SUCCESS) {
        snprintf(err, errlen, "%s: cannot subscribe: %s", o->uri, MQTTClient_strerror(prc));
        goto out;
    }
    for (size_t i = 0; i < c->nfilters; i++)
        if (qos[i] == 0x80) { /* MQTT 3.1.1 3.9.3: failure, an ACL that denies it */
            snprintf(err, errlen, "%s: the broker refused the subscription to %s", o->uri,
                     c->filter[i]);
            goto out;
        }
    for (;;) {
        double left = deadline - rw_clock_mono();
        long wait = (long)(left * 1000.0);
        MQTTClient_message *m = NULL;
        char *t = NULL;
        int tlen = 0, r;

        if (wait <= 0)
            break; /* the overall timeout: what came is taken, rooms missing are named */
        if (wait > REP_MQTT_QUIET_MS)
            wait = REP_MQTT_QUIET_MS;
        prc = MQTTClient_receive(client, &t, &tlen, &m, (unsigned long)wait);
        if (prc != MQTTCLIENT_SUCCESS && prc != MQTTCLIENT_TOPICNAME_TRUNCATED) {
            snprintf(err, errlen, "%s: connection lost: %s", o->uri, MQTTClient_strerror(prc));
            goto out;
        }
        if (m == NULL) {
            if (wait == REP_MQTT_QUIET_MS)
                break; /* quiet: the retained burst is over */
            continue;
        }
        r = take(c, t, m->payload, (size_t)m->payloadlen, err, errlen);
        MQTTClient_freeMessage(&m);
        MQTTClient_free(t);
        if (r != 0)
            goto out;
    }
    rc = 0;
out:
    if (MQTTClient_isConnected(client))
        MQTTClient_disconnect(client, 1000);
    MQTTClient_destroy(&client);
    return rc;
}

int
rep_mqtt_collect(const struct rep_mqtt_opts *o, const char *period, json_t ***docs, size_t *n,
                 char *err, size_t errlen)
{
    struct collect *c;
    size_t k = 0;
    int rc;

    *docs = NULL;
    *n = 0;
    if (o->nsites > REP_MQTT_MAX_SITES) {
        snprintf(err, errlen, "--sites: at most %d entries", REP_MQTT_MAX_SITES);
        return 2;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL) {
        snprintf(err, errlen, "out of memory");
        return 2;
    }
    c->o = o;
    if ((rc = filters(o, period, c->filter, &c->nfilters, err, errlen)) != 0 ||
        (rc = receive(c, err, errlen)) != 0)
        goto out;
    /* Deleted documents are no rooms. */
    for (size_t i = 0; i < c->n; i++) {
        if (c->rooms[i].doc == NULL) {
            free(c->rooms[i].topic);
            continue;
        }
        c->rooms[k++] = c->rooms[i];
    }
    c->n = k;
    for (size_t i = 0; i < o->nsites; i++) {
        int found = 0;

        for (size_t j = 0; j < c->n && !found; j++)
            found = answers(o->root, c->rooms[j].topic, o->sites[i]);
        if (!found) {
            size_t len = strlen(err);

            if (rc == 0)
                len = (size_t)snprintf(err, errlen, "no report document for %s of site", period);
            snprintf(err + len, errlen > len ? errlen - len : 0, "%s %s", rc == 0 ? "" : ",",
                     o->sites[i]);
            rc = 1;
        }
    }
    if (rc == 0 && c->n == 0) {
        snprintf(err, errlen, "no report document for %s under %s/ at %s", period, o->root, o->uri);
        rc = 1;
    }
    if (rc != 0)
        goto out;
    qsort(c->rooms, c->n, sizeof(c->rooms[0]), by_site_then_topic);
    for (size_t i = 0; i < c->n; i++)
        if ((rc = check_schema(&c->rooms[i], err, errlen)) != 0)
            goto out;
    if ((*docs = calloc(c->n, sizeof(**docs))) == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = 2;
        goto out;
    }
    for (size_t i = 0; i < c->n; i++) {
        (*docs)[i] = c->rooms[i].doc;
        c->rooms[i].doc = NULL;
    }
    *n = c->n;
out:
    for (size_t i = 0; i < c->n; i++) {
        free(c->rooms[i].topic);
        json_decref(c->rooms[i].doc);
    }
    free(c);
    return rc;
}
