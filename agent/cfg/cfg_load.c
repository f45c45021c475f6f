/*
 * cfg_load.c - reading and checking roomwatch's main config (cfg_load), and loading the
 * device profiles its devices reference (through cfg_profile_load, in cfg_profile.c).
 *
 * Every check runs even after one has failed, so that one `roomwatchd -t` lists every
 * problem, each at the file and line libconfig recorded for the setting (for a part pulled
 * in with @include, the included file). Types are strict, libconfig's auto-conversion is
 * off: an integer is accepted where a number is expected, never the reverse, and a key the
 * schema does not know is an error, since a misspelt key silently left at its default is
 * the worst kind of config bug. The schema is drawn in config/README.md; the checking
 * layer (typed getters, unknown keys, messages) is cfg_check.c, shared with the profiles.
 *
 * Nothing here logs: problems go to the caller's cfg_diags, sorted by file and line.
 */
#include "cfg/cfg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "cfg/cfg_alarm.h"
#include "cfg/cfg_check.h"
#include "cfg/cfg_indicator.h"
#include "cfg/cfg_probe.h"
#include "cfg/cfg_report.h"
#include "cfg/cfg_notify.h"
#include "rw_prefix.h"

#ifndef ROOMWATCH_PROFILE_DIR
#error "ROOMWATCH_PROFILE_DIR (where installed profiles live) comes from CMake"
#endif

#define PASSWORD_MAX 4096 /* bytes of password_file read; the password is its first line */
#define USM_PASSPHRASE_MIN 8 /* characters; net-snmp refuses shorter (RFC 3414, 11.2) */

/* What cfg_load() keeps beside the config it builds, per bus and per device. */
struct busref {
    const config_setting_t *s; /* the bus's group */
    int kind;                  /* CFG_BUS_TCP, CFG_BUS_RTU, or -1 if "type" was bad */
};

struct devref {
    const config_setting_t *s;          /* the device's group */
    int index;                          /* 1-based, in the devices list */
    const char *profile;                /* the name, if it was valid; libconfig's string */
    const config_setting_t *profile_at; /* where it was given */
    int source;                         /* enum cfg_proto, or -1 when it cannot be told */
    int profile_ok;                     /* its profile loaded and is of its protocol */
    const config_setting_t *index_at;   /* "index", if given */
};

/* A profile name devices use, and what came of loading it. */
struct seen_profile {
    const char *name;
    int index; /* into cfg->profiles; -1 if it failed to load, -2 if there is no such file */
};

/* One cfg_load(). libconfig's strings stay valid until it returns. */
struct cl {
    struct cfgc ck;
    struct rw_config *cfg;
    char *dir;             /* the config file's folder: relative paths start here */
    int profile_dir_ok;    /* 0 when profile_dir had a problem: no "unknown profile" cascade */
    struct busref *busref; /* parallel to cfg->buses */
    struct devref *devref; /* parallel to cfg->devices */
};

static void check_config(struct cl *c, const config_setting_t *root);
static void check_site(struct cl *c, const struct cfgc_obj *root);
static void check_timezone(struct cl *c, const struct cfgc_obj *o);
static void check_mqtt(struct cl *c, const struct cfgc_obj *root);
static const char *check_uri(const char *uri, int *tls);
static int read_password(struct cfgc *ck, const struct cfgc_obj *o, const config_setting_t *at,
                         const char *key, const char *path, size_t min_len, char **out);
static int check_readable(struct cfgc *ck, const struct cfgc_obj *o, const char *key,
                          const char *path);
static void check_buses(struct cl *c, const struct cfgc_obj *root);
static void check_bus(struct cl *c, const config_setting_t *s, int index);
static void check_devices(struct cl *c, const struct cfgc_obj *root);
static void check_device(struct cl *c, const config_setting_t *s, int index);
static void check_snmp(struct cl *c, const struct cfgc_obj *dev, const config_setting_t *g,
                       struct cfg_snmp *sn);
static int check_host(struct cl *c, const struct cfgc_obj *o, char **out);
static void check_probe(struct cl *c, const struct cfgc_obj *dev, const config_setting_t *g,
                        struct cfg_probe *pr);
static void check_secret_file(struct cl *c, const struct cfgc_obj *o, const char *key,
                              size_t min_len, char **path_out, char **out);
static void check_index(struct cl *c, const struct cfgc_obj *o, struct cfg_device *d);
static void expand_profiles(struct cl *c);
static int find_bus(struct cl *c, const struct cfgc_obj *o, const char *id);
static void check_profile_dir(struct cl *c, const struct cfgc_obj *root);
static int add_profile_dir(struct cl *c, const struct cfgc_obj *root, const config_setting_t *at,
                           const char *v);
static char *profile_dirs_text(struct cl *c);
static void load_profiles(struct cl *c);
static void add_probe_profiles(struct cl *c);
static void check_indicators(struct cl *c, const struct cfgc_obj *root);
static void check_alarms(struct cl *c, const struct cfgc_obj *root);
static void check_state(struct cl *c, const struct cfgc_obj *root);
static void check_archive(struct cl *c, const struct cfgc_obj *root);
static void check_clock(struct cl *c, const struct cfgc_obj *root);

static const char *const top_keys[] = {
    "site", "profile_dir", "queue_size", "state_dir", "checkpoint_interval", "archive", "clock", "mqtt", "buses", "devices", "indicators", "alarms", "report", "notify", "escalation", NULL,
};
static const char *const archive_keys[] = {"enabled", "max_mb", "max_days", NULL};
static const char *const clock_keys[] = {"trust", "floor", NULL};
static const char *const site_keys[] = {"id",     "name",     "timezone", "gateway",
                                        "period", "language", NULL};
static const char *const mqtt_keys[] = {
    "uri",      "client_id",     "prefix",  "qos",       "keepalive", "buffer",
    "outbox",   "late_max_hours", "late_max_mb", "late_rate", "username", "password_file",
    "ca_file",  "cert_file",     "key_file", NULL,
};
static const char *const bus_keys[] = {
    "id",     "type",      "host",      "port",  "device", "baud",
    "parity", "data_bits", "stop_bits", "rs485", NULL,
};
static const char *const tcp_only_keys[] = {"host", "port", NULL};
static const char *const rtu_only_keys[] = {
    "device", "baud", "parity", "data_bits", "stop_bits", "rs485", NULL,
};
static const char *const device_keys[] = {
    "id", "kind", "bus", "unit", "interval", "timeout", "stale", "profile", "snmp", "retries", "index",
    "probe", NULL,
};
static const char *const modbus_only_device_keys[] = {"bus", "unit", NULL};
static const char *const snmp_only_device_keys[] = {"retries", "index", NULL};
static const char *const snmp_keys[] = {
    "host",
    "port",
    "version",
    "community",
    "community_file",
    "user",
    "level",
    "auth_protocol",
    "auth_passphrase_file",
    "priv_protocol",
    "priv_passphrase_file",
    NULL,
};
static const char *const v2c_only_keys[] = {"community", "community_file", NULL};
static const char *const v3_only_keys[] = {
    "user", "level", "auth_protocol", "auth_passphrase_file", "priv_protocol",
    "priv_passphrase_file", NULL,
};

/* Serial rates termios offers that RS-485 adapters and meters commonly use. */
static const int standard_bauds[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};

enum cfg_status
cfg_load(const char *path, struct rw_config **out, struct cfg_diags *diags)
{
    struct cl c;
    size_t n0 = diags->n;
    enum cfg_status st;
    config_t lc;

    *out = NULL;
    memset(&c, 0, sizeof(c));
    cfgc_init(&c.ck, diags, path);
    c.cfg = calloc(1, sizeof(*c.cfg));
    c.dir = cfgc_dir_of(path);
    if (c.cfg == NULL || c.dir == NULL || (c.cfg->file = strdup(path)) == NULL) {
        cfgc_nomem(&c.ck);
    } else {
        config_init(&lc);
        if (cfgc_read_file(&c.ck, &lc, path) == 0)
            check_config(&c, config_root_setting(&lc));
        config_destroy(&lc);
    }

    cfgc_sort_diags(diags, n0);
    st = cfgc_status(&c.ck);
    free(c.dir);
    free(c.busref);
    free(c.devref);
    if (st != CFG_OK) {
        cfg_free(c.cfg);
        return st;
    }
    *out = c.cfg;
    return CFG_OK;
}

void
cfg_free(struct rw_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->file);
    for (size_t i = 0; i < cfg->nprofile_dirs; i++)
        free(cfg->profile_dirs[i]);
    free(cfg->profile_dirs);
    free(cfg->state_dir);
    free(cfg->site.name);
    free(cfg->site.timezone);
    free(cfg->mqtt.uri);
    free(cfg->mqtt.client_id);
    free(cfg->mqtt.prefix);
    free(cfg->mqtt.username);
    if (cfg->mqtt.password != NULL) {
        /* Do not leave the secret in freed heap, where a core dump would show it. */
        explicit_bzero(cfg->mqtt.password, strlen(cfg->mqtt.password));
        free(cfg->mqtt.password);
    }
    free(cfg->mqtt.password_file);
    free(cfg->mqtt.ca_file);
    free(cfg->mqtt.cert_file);
    free(cfg->mqtt.key_file);
    for (size_t i = 0; i < cfg->nbuses; i++) {
        free(cfg->buses[i].host);
        free(cfg->buses[i].device);
    }
    free(cfg->buses);
    for (size_t i = 0; i < cfg->ndevices; i++) {
        struct cfg_snmp *sn = &cfg->devices[i].snmp;
        char *secrets[] = {sn->community, sn->auth_passphrase, sn->priv_passphrase};

        /* As the MQTT password: no secret left in freed heap. */
        for (size_t k = 0; k < sizeof(secrets) / sizeof(secrets[0]); k++) {
            if (secrets[k] != NULL)
                explicit_bzero(secrets[k], strlen(secrets[k]));
            free(secrets[k]);
        }
        free(sn->host);
        free(sn->community_file);
        free(sn->user);
        free(sn->auth_passphrase_file);
        free(sn->priv_passphrase_file);
        free(cfg->devices[i].index);
        cfg_probe_clear(&cfg->devices[i].probe);
    }
    free(cfg->devices);
    for (size_t i = 0; i < cfg->nprofiles; i++)
        cfg_profile_clear(&cfg->profiles[i]);
    free(cfg->profiles);
    cfg_free_indicators(cfg);
    cfg_free_alarms(cfg);
    cfg_free_report(cfg);
    cfg_free_notify(cfg);
    free(cfg);
}

/*
 * queue_size when the config does not give it: QUEUE_SECONDS of the samples its devices
 * make (a point each per poll, and one for the poll itself), between QUEUE_MIN and QUEUE_MAX.
 * The queue only has to hold what the bus threads poll while the main thread is busy (the
 * longest measured: an fsync of 290 ms); every slot is touched as the ring turns, so 4096 of
 * them for a room of a few devices was 200 KiB resident for nothing.
 */
#define QUEUE_SECONDS 10.0
#define QUEUE_MIN 512
#define QUEUE_MAX 4096

static size_t
default_queue_size(const struct rw_config *cfg)
{
    double per_s = 0.0;
    size_t n;

    for (size_t d = 0; d < cfg->ndevices; d++) {
        const struct cfg_device *dev = &cfg->devices[d];
        size_t np = dev->profile < cfg->nprofiles ? cfg->profiles[dev->profile].npoints : 0;

        per_s += (double)(np + 1) / (dev->interval > 0.01 ? dev->interval : 0.01);
    }
    n = (size_t)ceil(per_s * QUEUE_SECONDS);
    return n < QUEUE_MIN ? QUEUE_MIN : n > QUEUE_MAX ? QUEUE_MAX : n;
}

static void
check_config(struct cl *c, const config_setting_t *root)
{
    struct cfgc_obj top = {.s = root};
    int qs = 0;

    cfgc_check_keys(&c->ck, &top, top_keys);
    check_site(c, &top);
    if (cfgc_get_int(&c->ck, &top, "queue_size", 16, 1048576, &qs) >= 0)
        c->cfg->queue_size = (size_t)qs;
    check_state(c, &top);
    check_archive(c, &top);
    check_clock(c, &top);
    check_mqtt(c, &top);
    check_buses(c, &top);
    check_profile_dir(c, &top);
    check_devices(c, &top);
    load_profiles(c);
    add_probe_profiles(c);
    expand_profiles(c);
    if (qs == 0)
        c->cfg->queue_size = default_queue_size(c->cfg);
    /* Incident indicators name alarm rules: the rules first (diagnostics are sorted). */
    check_alarms(c, &top);
    check_indicators(c, &top);
    cfg_check_report(&c->ck, &top, c->cfg);
    cfg_check_notify(&c->ck, &top, c->cfg, c->dir);
}

/* Indicators name device.point, so they are checked once the profiles are in. */
static void
check_indicators(struct cl *c, const struct cfgc_obj *root)
{
    int *profile_ok = calloc(c->cfg->ndevices + 1, sizeof(*profile_ok));

    if (profile_ok == NULL) {
        cfgc_nomem(&c->ck);
        return;
    }
    for (size_t i = 0; i < c->cfg->ndevices; i++)
        profile_ok[i] = c->devref[i].profile_ok;
    cfg_check_indicators(&c->ck, root, c->cfg, profile_ok);
    free(profile_ok);
}

/* Alarm rules name points and states of the profiles too. */
static void
check_alarms(struct cl *c, const struct cfgc_obj *root)
{
    int *profile_ok = calloc(c->cfg->ndevices + 1, sizeof(*profile_ok));

    if (profile_ok == NULL) {
        cfgc_nomem(&c->ck);
        return;
    }
    for (size_t i = 0; i < c->cfg->ndevices; i++)
        profile_ok[i] = c->devref[i].profile_ok;
    cfg_check_alarms(&c->ck, root, c->cfg, profile_ok);
    free(profile_ok);
}

static void
check_site(struct cl *c, const struct cfgc_obj *root)
{
    struct cfg_site *site = &c->cfg->site;
    const config_setting_t *g;
    struct cfgc_obj o;
    const char *v;

    if ((g = cfgc_get_group(&c->ck, root, "site", 1)) == NULL)
        return;
    cfgc_obj_init(&o, g, "site", NULL, 0);
    cfgc_check_keys(&c->ck, &o, site_keys);
    if (cfgc_get_id(&c->ck, &o, "id", CFGC_ID_ANY, 1, &v) > 0)
        memcpy(site->id, v, strlen(v) + 1);
    if (cfgc_get_id(&c->ck, &o, "gateway", CFGC_ID_ANY, 1, &v) > 0)
        memcpy(site->gateway, v, strlen(v) + 1);
    if (cfgc_get_text(&c->ck, &o, "name", CFGC_TEXT_MAX, &v) > 0)
        site->name = cfgc_strdup(&c->ck, v);
    check_timezone(c, &o);
    /* The language of the sentences the agent writes for people (an alert's explanation). */
    if (cfgc_get_string(&c->ck, &o, "language", &v) > 0) {
        if (strcmp(v, "en") == 0) {
            site->english = 1;
        } else if (strcmp(v, "zh") != 0) {
            char q[CFGC_QBUF];

            cfgc_problem(&c->ck, &o, config_setting_get_member(g, "language"),
                         "\"language\" must be \"zh\" or \"en\" (is %s)",
                         cfgc_quote(q, sizeof(q), v));
        }
    }
    site->period = CFG_PERIOD_YEAR;
    if (cfgc_get_string(&c->ck, &o, "period", &v) > 0) {
        if (strcmp(v, "month") == 0) {
            site->period = CFG_PERIOD_MONTH;
        } else if (strcmp(v, "year") != 0) {
            char q[CFGC_QBUF];

            cfgc_problem(&c->ck, &o, config_setting_get_member(g, "period"),
                         "\"period\" must be \"year\" or \"month\" (is %s)",
                         cfgc_quote(q, sizeof(q), v));
        }
    }
}

/*
 * An IANA zone name ("Asia/Shanghai"). Where the zone database is installed, the zone must
 * be in it: a misspelt zone would otherwise turn into UTC without a word, and cut every
 * day at the wrong midnight.
 */
static void
check_timezone(struct cl *c, const struct cfgc_obj *o)
{
    const config_setting_t *at = config_setting_get_member(o->s, "timezone");
    const char *v = "Asia/Shanghai";
    const char *tzdir;
    char q[CFGC_QBUF];
    int ok = 1;

    if (cfgc_get_string(&c->ck, o, "timezone", &v) < 0)
        return;
    if (at != NULL) {
        ok = v[0] != '\0' && v[0] != '/' && strlen(v) < 128 && strstr(v, "..") == NULL;
        for (const char *p = v; ok && *p != '\0'; p++)
            ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                 strchr("_+-/", *p) != NULL;
        if (!ok) {
            cfgc_problem(&c->ck, o, at,
                         "\"timezone\" %s is not a time zone name like \"Asia/Shanghai\"",
                         cfgc_quote(q, sizeof(q), v));
            return;
        }
        tzdir = getenv("TZDIR");
        if (tzdir == NULL || tzdir[0] == '\0')
            tzdir = "/usr/share/zoneinfo";
        if (cfgc_is_dir(tzdir)) {
            char *f = cfgc_path_join(tzdir, v);
            struct stat st;

            if (f == NULL) {
                cfgc_nomem(&c->ck);
                return;
            }
            if (stat(f, &st) != 0 || !S_ISREG(st.st_mode))
                cfgc_problem(&c->ck, o, at, "unknown time zone %s (not in %s)",
                             cfgc_quote(q, sizeof(q), v), tzdir);
            free(f);
        }
    }
    c->cfg->site.timezone = cfgc_strdup(&c->ck, v);
}

static void
check_mqtt(struct cl *c, const struct cfgc_obj *root)
{
    static const char *const tls_keys[] = {"ca_file", "cert_file", "key_file"};
    struct cfg_mqtt *m = &c->cfg->mqtt;
    const struct cfg_site *site = &c->cfg->site;
    int site_ok = site->id[0] != '\0' && site->gateway[0] != '\0';
    char **tls_out[] = {&m->ca_file, &m->cert_file, &m->key_file};
    const config_setting_t *g, *at;
    struct cfgc_obj o;
    const char *v, *why;
    char q[CFGC_QBUF];
    int tls = -1; /* unknown until the uri checks out */
    int r;

    m->qos = 1;
    m->keepalive = 30;
    m->buffer = 10000;
    m->outbox = 100000;
    m->late_max_hours = 72;
    m->late_max_mb = 200;
    m->late_rate = 50;
    if ((g = cfgc_get_group(&c->ck, root, "mqtt", 1)) == NULL)
        return;
    cfgc_obj_init(&o, g, "mqtt", NULL, 0);
    cfgc_check_keys(&c->ck, &o, mqtt_keys);

    r = cfgc_get_string(&c->ck, &o, "uri", &v);
    if (r == 0)
        cfgc_missing(&c->ck, &o, "uri");
    else if (r > 0 && (why = check_uri(v, &tls)) != NULL)
        cfgc_problem(&c->ck, &o, config_setting_get_member(g, "uri"), "\"uri\" %s %s",
                     cfgc_quote(q, sizeof(q), v), why);
    else if (r > 0)
        m->uri = cfgc_strdup(&c->ck, v);

    /* MQTT strings hold at most 65535 bytes (MQTT 3.1.1, 1.5.3). */
    r = cfgc_get_text(&c->ck, &o, "client_id", 65536, &v);
    if (r > 0 && v[0] == '\0')
        cfgc_problem(&c->ck, &o, config_setting_get_member(g, "client_id"),
                     "\"client_id\" must not be empty");
    else if (r > 0)
        m->client_id = cfgc_strdup(&c->ck, v);
    else if (r == 0 && site_ok)
        m->client_id = cfgc_asprintf(&c->ck, "roomwatch-%s-%s", site->id, site->gateway);

    r = cfgc_get_text(&c->ck, &o, "prefix", 65536, &v);
    if (r > 0) {
        at = config_setting_get_member(g, "prefix");
        if (v[0] == '\0')
            cfgc_problem(&c->ck, &o, at, "\"prefix\" must not be empty");
        else if (strpbrk(v, "+#") != NULL)
            cfgc_problem(&c->ck, &o, at, "\"prefix\" %s must not contain the wildcards + or #",
                         cfgc_quote(q, sizeof(q), v));
        else if (v[strlen(v) - 1] == '/')
            cfgc_problem(&c->ck, &o, at, "\"prefix\" %s must not end with /",
                         cfgc_quote(q, sizeof(q), v));
        else
            m->prefix = cfgc_strdup(&c->ck, v);
    } else if (r == 0 && site_ok) {
        m->prefix = cfgc_asprintf(&c->ck, "roomwatch/v1/%s/%s", site->id, site->gateway);
    }

    cfgc_get_int(&c->ck, &o, "qos", 0, 1, &m->qos);
    cfgc_get_int(&c->ck, &o, "keepalive", 5, 3600, &m->keepalive);
    cfgc_get_int(&c->ck, &o, "buffer", 10, 1000000, &m->buffer);
    cfgc_get_int(&c->ck, &o, "outbox", 100, 10000000, &m->outbox);
    cfgc_get_int(&c->ck, &o, "late_max_hours", 1, 8784, &m->late_max_hours);
    cfgc_get_int(&c->ck, &o, "late_max_mb", 1, 1000000, &m->late_max_mb);
    cfgc_get_int(&c->ck, &o, "late_rate", 1, 10000, &m->late_rate);

    r = cfgc_get_text(&c->ck, &o, "username", 65536, &v);
    if (r > 0 && v[0] == '\0')
        cfgc_problem(&c->ck, &o, config_setting_get_member(g, "username"),
                     "\"username\" must not be empty");
    else if (r > 0)
        m->username = cfgc_strdup(&c->ck, v);

    if (cfgc_get_string(&c->ck, &o, "password_file", &v) > 0) {
        at = config_setting_get_member(g, "password_file");
        if (config_setting_get_member(g, "username") == NULL)
            cfgc_problem(&c->ck, &o, at, "\"password_file\" needs \"username\"");
        if (v[0] == '\0') {
            cfgc_problem(&c->ck, &o, at, "\"password_file\" must not be empty");
        } else if ((m->password_file = cfgc_path_join(c->dir, v)) == NULL) {
            cfgc_nomem(&c->ck);
        } else {
            read_password(&c->ck, &o, at, "password_file", m->password_file, 1, &m->password);
        }
    }

    for (size_t k = 0; k < sizeof(tls_keys) / sizeof(tls_keys[0]); k++) {
        if (cfgc_get_string(&c->ck, &o, tls_keys[k], &v) <= 0)
            continue;
        at = config_setting_get_member(g, tls_keys[k]);
        if (tls == 0)
            cfgc_problem(&c->ck, &o, at, "\"%s\" needs an ssl:// or mqtts:// uri", tls_keys[k]);
        if (v[0] == '\0') {
            cfgc_problem(&c->ck, &o, at, "\"%s\" must not be empty", tls_keys[k]);
            continue;
        }
        if ((*tls_out[k] = cfgc_path_join(c->dir, v)) == NULL) {
            cfgc_nomem(&c->ck);
            continue;
        }
        check_readable(&c->ck, &o, tls_keys[k], *tls_out[k]);
    }
    /* A client certificate is useless without its key, and the other way round. */
    if ((at = config_setting_get_member(g, "cert_file")) != NULL &&
        config_setting_get_member(g, "key_file") == NULL)
        cfgc_problem(&c->ck, &o, at, "\"cert_file\" needs \"key_file\"");
    if ((at = config_setting_get_member(g, "key_file")) != NULL &&
        config_setting_get_member(g, "cert_file") == NULL)
        cfgc_problem(&c->ck, &o, at, "\"key_file\" needs \"cert_file\"");
}

/*
 * Checks an MQTT server URI as paho takes it: scheme://host[:port], the host a name, an
 * IPv4 address or a bracketed IPv6 address. Returns NULL and sets *tls if it is one, else
 * what is wrong with it.
 */
static const char *
check_uri(const char *uri, int *tls)
{
    static const struct {
        const char *scheme;
        int tls;
    } schemes[] = {{"tcp://", 0}, {"mqtt://", 0}, {"ssl://", 1}, {"mqtts://", 1}};
    const char *p = NULL;
    size_t hlen;
    int is_tls = 0;

    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i].scheme);

        if (strncmp(uri, schemes[i].scheme, n) == 0) {
            p = uri + n;
            is_tls = schemes[i].tls;
            break;
        }
    }
    if (p == NULL)
        return "must start with tcp://, mqtt://, ssl:// or mqtts://";
    if (*p == '[') {
        hlen = strspn(++p, "0123456789abcdefABCDEF:.");
        if (p[hlen] != ']')
            return "must be scheme://host[:port] (bad IPv6 address)";
        p += hlen + 1;
    } else {
        hlen = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");
        p += hlen;
    }
    if (hlen == 0)
        return "must be scheme://host[:port] (no host)";
    if (*p == ':') {
        size_t digits = strspn(++p, "0123456789");
        long port = digits > 0 && digits <= 5 ? strtol(p, NULL, 10) : 0;

        if (port < 1 || port > 65535)
            return "must be scheme://host[:port] (port 1 to 65535)";
        p += digits;
    }
    if (*p != '\0')
        return "must be scheme://host[:port] with nothing else";
    *tls = is_tls;
    return NULL;
}

/*
 * Reads a secret (the MQTT password, an SNMP community or passphrase): the first line of
 * path, without its line end. Anyone who can read the file can publish as the agent or talk
 * to its devices, so the file must be mode 0600 or 0640 (a group such as the service's own
 * may read it, nobody else, and only the owner may write it) and owned by the user reading
 * it or by root: a file another user owns can be rewritten or opened up by that user. The
 * checks are made on the open descriptor, so the file checked is the file read. The secret
 * itself never goes into a message.
 */
static int
read_password(struct cfgc *ck, const struct cfgc_obj *o, const config_setting_t *at,
              const char *key, const char *path, size_t min_len, char **out)
{
    char buf[PASSWORD_MAX];
    char q[CFGC_QBUF];
    struct stat st;
    size_t len = 0, line = 0;
    int fd, rc = -1;

    cfgc_quote(q, sizeof(q), path);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
        cfgc_problem(ck, o, at, "\"%s\" %s: %s", key, q, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        cfgc_problem(ck, o, at, "\"%s\" %s: %s", key, q, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        cfgc_problem(ck, o, at, "\"%s\" %s is not a regular file", key, q);
        goto out;
    }
    if ((st.st_mode & 07777 & ~(mode_t)0640) != 0) {
        cfgc_problem(ck, o, at,
                     "\"%s\" %s has mode %04o: a secrets file must be 0600 or 0640 (group may "
                     "read, others nothing); chmod 600 it",
                     key, q, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    if (st.st_uid != geteuid() && st.st_uid != 0) {
        cfgc_problem(ck, o, at,
                     "\"%s\" %s is owned by uid %u, neither this user (uid %u) nor root: "
                     "that user could change it; chown it",
                     key, q, (unsigned)st.st_uid, (unsigned)geteuid());
        goto out;
    }
    while (len < sizeof(buf)) {
        ssize_t got = read(fd, buf + len, sizeof(buf) - len);

        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            cfgc_problem(ck, o, at, "\"%s\" %s: %s", key, q, strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    while (line < len && buf[line] != '\n')
        line++;
    if (line == sizeof(buf)) {
        cfgc_problem(ck, o, at, "\"%s\" %s: first line is longer than %d bytes", key, q,
                     PASSWORD_MAX - 1);
        goto out;
    }
    if (line > 0 && buf[line - 1] == '\r')
        line--;
    if (line == 0) {
        cfgc_problem(ck, o, at, "\"%s\" %s %s", key, q,
                     len == 0 ? "is empty" : "has an empty first line");
        goto out;
    }
    if (line < min_len) {
        cfgc_problem(ck, o, at, "\"%s\" %s: the secret must be at least %zu characters", key, q,
                     min_len);
        goto out;
    }
    if (memchr(buf, '\0', line) != NULL) {
        cfgc_problem(ck, o, at, "\"%s\" %s holds a NUL byte", key, q);
        goto out;
    }
    if ((*out = malloc(line + 1)) == NULL) {
        cfgc_nomem(ck);
        goto out;
    }
    memcpy(*out, buf, line);
    (*out)[line] = '\0';
    rc = 0;
out:
    explicit_bzero(buf, sizeof(buf));
    close(fd);
    return rc;
}

int
cfg_read_secret(struct cfgc *ck, const struct cfgc_obj *o, const config_setting_t *at,
                const char *key, const char *path, size_t min_len, char **out)
{
    return read_password(ck, o, at, key, path, min_len, out);
}

/* TLS files are read by paho at connect time; a missing one should stop -t, not connect. */
static int
check_readable(struct cfgc *ck, const struct cfgc_obj *o, const char *key, const char *path)
{
    const config_setting_t *at = config_setting_get_member(o->s, key);
    char q[CFGC_QBUF];
    struct stat st;
    int fd, rc = 0;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
        cfgc_problem(ck, o, at, "\"%s\" %s: %s", key, cfgc_quote(q, sizeof(q), path),
                     strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        cfgc_problem(ck, o, at, "\"%s\" %s is not a regular file", key,
                     cfgc_quote(q, sizeof(q), path));
        rc = -1;
    }
    close(fd);
    return rc;
}

static void
check_buses(struct cl *c, const struct cfgc_obj *root)
{
    const config_setting_t *list = cfgc_get_list(&c->ck, root, "buses", 0);
    int n = list != NULL ? config_setting_length(list) : 0;

    if (n == 0)
        return;
    c->cfg->buses = calloc((size_t)n, sizeof(*c->cfg->buses));
    c->busref = calloc((size_t)n, sizeof(*c->busref));
    if (c->cfg->buses == NULL || c->busref == NULL) {
        cfgc_nomem(&c->ck);
        return;
    }
    for (int i = 0; i < n; i++)
        check_bus(c, config_setting_get_elem(list, (unsigned)i), i + 1);
}

/* Appends the bus at s to the config, even if it has problems (its id may be empty). */
static void
check_bus(struct cl *c, const config_setting_t *s, int index)
{
    struct rw_config *cfg = c->cfg;
    struct cfg_bus *b = &cfg->buses[cfg->nbuses];
    struct busref *ref = &c->busref[cfg->nbuses];
    struct cfgc_obj o;
    const config_setting_t *at;
    const char *v;
    char q[CFGC_QBUF], w[CFGC_QBUF];
    int r;

    cfgc_obj_init(&o, s, "bus", NULL, index);
    if (!config_setting_is_group(s)) {
        cfgc_problem(&c->ck, &o, s, "must be a group { ... }");
        return;
    }
    cfg->nbuses++;
    b->line = cfgc_src_line(s);
    ref->s = s;
    ref->kind = -1;
    if (cfgc_get_id(&c->ck, &o, "id", CFGC_ID_ANY, 1, &v) > 0) {
        for (size_t j = 0; j + 1 < cfg->nbuses; j++) {
            if (strcmp(cfg->buses[j].id, v) == 0) {
                cfgc_problem(&c->ck, &o, config_setting_get_member(s, "id"),
                             "duplicate bus id \"%s\" (first at %s)", v,
                             cfgc_where(w, sizeof(w), c->busref[j].s, s));
                break;
            }
        }
        memcpy(b->id, v, strlen(v) + 1);
        cfgc_obj_init(&o, s, "bus", v, 0);
    }
    cfgc_check_keys(&c->ck, &o, bus_keys);

    r = cfgc_get_string(&c->ck, &o, "type", &v);
    if (r == 0)
        cfgc_missing(&c->ck, &o, "type");
    else if (r > 0 && strcmp(v, "tcp") == 0)
        ref->kind = CFG_BUS_TCP;
    else if (r > 0 && strcmp(v, "rtu") == 0)
        ref->kind = CFG_BUS_RTU;
    else if (r > 0)
        cfgc_problem(&c->ck, &o, config_setting_get_member(s, "type"),
                     "\"type\" must be \"tcp\" or \"rtu\" (is %s)", cfgc_quote(q, sizeof(q), v));
    if (ref->kind < 0)
        return; /* which keys belong cannot be told */
    b->type = (enum cfg_bus_type)ref->kind;

    for (const char *const *k = b->type == CFG_BUS_TCP ? rtu_only_keys : tcp_only_keys; *k; k++)
        if ((at = config_setting_get_member(s, *k)) != NULL)
            cfgc_problem(&c->ck, &o, at, "\"%s\" is only for %s buses", *k,
                         b->type == CFG_BUS_TCP ? "rtu" : "tcp");

    if (b->type == CFG_BUS_TCP) {
        r = cfgc_get_string(&c->ck, &o, "host", &v);
        if (r == 0)
            cfgc_missing(&c->ck, &o, "host");
        else if (r > 0 && (v[0] == '\0' || strlen(v) >= 256 ||
                           v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789.-_:%")] != '\0'))
            cfgc_problem(&c->ck, &o, config_setting_get_member(s, "host"),
                         "\"host\" must be a host name or IP address (is %s)",
                         cfgc_quote(q, sizeof(q), v));
        else if (r > 0)
            b->host = cfgc_strdup(&c->ck, v);
        b->port = 502;
        cfgc_get_int(&c->ck, &o, "port", 1, 65535, &b->port);
        return;
    }

    r = cfgc_get_text(&c->ck, &o, "device", 4096, &v);
    if (r == 0) {
        cfgc_missing(&c->ck, &o, "device");
    } else if (r > 0 && v[0] != '/') {
        cfgc_problem(&c->ck, &o, config_setting_get_member(s, "device"),
                     "\"device\" must be an absolute path like /dev/ttyUSB0 (is %s)",
                     cfgc_quote(q, sizeof(q), v));
    } else if (r > 0) {
        /* Two workers on one serial port would garble each other's frames. */
        for (size_t j = 0; j + 1 < cfg->nbuses; j++) {
            if (cfg->buses[j].device != NULL && strcmp(cfg->buses[j].device, v) == 0) {
                cfgc_problem(&c->ck, &o, config_setting_get_member(s, "device"),
                             "device %s is already used by bus \"%s\" (%s)",
                             cfgc_quote(q, sizeof(q), v), cfg->buses[j].id,
                             cfgc_where(w, sizeof(w), c->busref[j].s, s));
                break;
            }
        }
        b->device = cfgc_strdup(&c->ck, v);
    }

    b->baud = 9600;
    if (cfgc_get_int(&c->ck, &o, "baud", INT_MIN, INT_MAX, &b->baud) > 0) {
        size_t k, nb = sizeof(standard_bauds) / sizeof(standard_bauds[0]);

        for (k = 0; k < nb; k++)
            if (standard_bauds[k] == b->baud)
                break;
        if (k == nb)
            cfgc_problem(&c->ck, &o, config_setting_get_member(s, "baud"),
                         "\"baud\" must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, "
                         "115200 (is %d)",
                         b->baud);
    }
    b->parity = 'N';
    if (cfgc_get_string(&c->ck, &o, "parity", &v) > 0) {
        if (strcmp(v, "N") == 0 || strcmp(v, "E") == 0 || strcmp(v, "O") == 0)
            b->parity = v[0];
        else
            cfgc_problem(&c->ck, &o, config_setting_get_member(s, "parity"),
                         "\"parity\" must be \"N\", \"E\" or \"O\" (is %s)",
                         cfgc_quote(q, sizeof(q), v));
    }
    b->data_bits = 8;
    cfgc_get_int(&c->ck, &o, "data_bits", 7, 8, &b->data_bits);
    b->stop_bits = 1;
    cfgc_get_int(&c->ck, &o, "stop_bits", 1, 2, &b->stop_bits);
    b->rs485 = 0;
    cfgc_get_bool(&c->ck, &o, "rs485", &b->rs485);
}

/*
 * One folder of "profile_dir" (a string, or an element of the list; at is where it is
 * written): joined to the config's folder, it must exist and be a folder. Returns 0, or -1
 * after reporting why.
 */
static int
add_profile_dir(struct cl *c, const struct cfgc_obj *root, const config_setting_t *at,
                const char *v)
{
    struct rw_config *cfg = c->cfg;
    char q[CFGC_QBUF];
    struct stat st;
    char *dir;

    if (v[0] == '\0') {
        cfgc_problem(&c->ck, root, at, "\"profile_dir\" must not be empty");
        return -1;
    }
    if ((dir = cfgc_path_join(c->dir, v)) == NULL) {
        cfgc_nomem(&c->ck);
        return -1;
    }
    if (stat(dir, &st) != 0) {
        cfgc_problem(&c->ck, root, at, "\"profile_dir\" %s: %s", cfgc_quote(q, sizeof(q), dir),
                     strerror(errno));
        free(dir);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        cfgc_problem(&c->ck, root, at, "\"profile_dir\" %s is not a directory",
                     cfgc_quote(q, sizeof(q), dir));
        free(dir);
        return -1;
    }
    cfg->profile_dirs[cfg->nprofile_dirs++] = dir;
    return 0;
}

char *
cfg_default_profile_dir(void)
{
    /* The profiles installed beside the running binary (rw_prefix.h), else the build's. */
    char *dir = rw_prefix_dir("share/roomwatch/profiles");

    return dir != NULL ? dir : strdup(ROOMWATCH_PROFILE_DIR);
}

/*
 * "profile_dir": one folder, or a list of folders searched in order, so that a config can
 * take the shipped profiles from one folder and its own from another. Every folder is
 * checked, and each problem named at its own line.
 */
static void
check_profile_dir(struct cl *c, const struct cfgc_obj *root)
{
    const config_setting_t *at = config_setting_get_member(root->s, "profile_dir");
    struct rw_config *cfg = c->cfg;
    int n = 1, bad = 0;
    char *dir;

    c->profile_dir_ok = 0;
    if (at != NULL && config_setting_type(at) != CONFIG_TYPE_STRING) {
        n = config_setting_is_aggregate(at) && !config_setting_is_group(at)
                ? config_setting_length(at)
                : -1;
        if (n < 1 || n > CFG_PROFILE_DIRS_MAX) {
            cfgc_problem(&c->ck, root, at,
                         "\"profile_dir\" must be a folder or a list of 1 to %d folders, like "
                         "[\"profiles\", \"/usr/share/roomwatch/profiles\"]",
                         CFG_PROFILE_DIRS_MAX);
            return;
        }
    }
    if ((cfg->profile_dirs = calloc((size_t)n, sizeof(*cfg->profile_dirs))) == NULL) {
        cfgc_nomem(&c->ck);
        return;
    }
    if (at != NULL && config_setting_type(at) == CONFIG_TYPE_STRING) {
        c->profile_dir_ok = add_profile_dir(c, root, at, config_setting_get_string(at)) == 0;
        return;
    }
    if (at != NULL) {
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(at, (unsigned)i);

            if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                cfgc_problem(&c->ck, root, e, "\"profile_dir\" must hold folder names (strings)");
                bad = 1;
            } else if (add_profile_dir(c, root, e, config_setting_get_string(e)) != 0) {
                bad = 1;
            }
        }
        c->profile_dir_ok = !bad;
        return;
    }
    /* A "profiles" folder beside the config wins, so a config and its maps travel together. */
    if ((dir = cfgc_path_join(c->dir, "profiles")) == NULL) {
        cfgc_nomem(&c->ck);
        return;
    }
    if (!cfgc_is_dir(dir)) {
        free(dir);
        if ((dir = cfg_default_profile_dir()) == NULL) {
            cfgc_nomem(&c->ck);
            return;
        }
    }
    cfg->profile_dirs[cfg->nprofile_dirs++] = dir;
    c->profile_dir_ok = 1;
}

/* The folders searched, for a message: "profiles" or "profiles, ../profiles". */
static char *
profile_dirs_text(struct cl *c)
{
    const struct rw_config *cfg = c->cfg;
    size_t len = 1;
    char *t;

    for (size_t i = 0; i < cfg->nprofile_dirs; i++)
        len += strlen(cfg->profile_dirs[i]) + 2;
    if ((t = malloc(len)) == NULL) {
        cfgc_nomem(&c->ck);
        return NULL;
    }
    t[0] = '\0';
    for (size_t i = 0; i < cfg->nprofile_dirs; i++) {
        if (i > 0)
            strcat(t, ", ");
        strcat(t, cfg->profile_dirs[i]);
    }
    return t;
}

static void
check_devices(struct cl *c, const struct cfgc_obj *root)
{
    const config_setting_t *list = cfgc_get_list(&c->ck, root, "devices", 0);
    int n = list != NULL ? config_setting_length(list) : 0;

    if (n == 0)
        return;
    c->cfg->devices = calloc((size_t)n, sizeof(*c->cfg->devices));
    c->devref = calloc((size_t)n, sizeof(*c->devref));
    if (c->cfg->devices == NULL || c->devref == NULL) {
        cfgc_nomem(&c->ck);
        return;
    }
    for (int i = 0; i < n; i++)
        check_device(c, config_setting_get_elem(list, (unsigned)i), i + 1);
}

/*
 * The kind of the bus a device names, after setting the device's bus index; -1 if the
 * bus's type is bad, or after reporting that no bus has that id.
 */
static int
find_bus(struct cl *c, const struct cfgc_obj *o, const char *id)
{
    struct rw_config *cfg = c->cfg;
    const char **ids;
    const char *hint;
    char q[CFGC_QBUF];

    for (size_t j = 0; j < cfg->nbuses; j++) {
        if (cfg->buses[j].id[0] != '\0' && strcmp(cfg->buses[j].id, id) == 0) {
            cfg->devices[cfg->ndevices - 1].bus = j;
            return c->busref[j].kind;
        }
    }
    if ((ids = malloc((cfg->nbuses + 1) * sizeof(*ids))) == NULL) {
        cfgc_nomem(&c->ck);
        return -1;
    }
    for (size_t j = 0; j < cfg->nbuses; j++)
        ids[j] = cfg->buses[j].id;
    hint = cfgc_closest(id, ids, cfg->nbuses);
    cfgc_problem(&c->ck, o, config_setting_get_member(o->s, "bus"), "unknown bus %s%s%s%s",
                 cfgc_quote(q, sizeof(q), id), hint ? " (did you mean \"" : "", hint ? hint : "",
                 hint ? "\"?)" : "");
    free(ids);
    return -1;
}

/* Appends the device at s to the config, even if it has problems (its id may be empty). */
static void
check_device(struct cl *c, const config_setting_t *s, int index)
{
    struct rw_config *cfg = c->cfg;
    struct cfg_device *d = &cfg->devices[cfg->ndevices];
    struct devref *ref = &c->devref[cfg->ndevices];
    const config_setting_t *snmp, *probe;
    int bus_kind = -1;
    int have_interval;
    struct cfgc_obj o;
    const char *v;
    char w[CFGC_QBUF];
    int r;

    cfgc_obj_init(&o, s, "device", NULL, index);
    if (!config_setting_is_group(s)) {
        cfgc_problem(&c->ck, &o, s, "must be a group { ... }");
        return;
    }
    cfg->ndevices++;
    d->line = cfgc_src_line(s);
    ref->s = s;
    ref->index = index;
    if (cfgc_get_id(&c->ck, &o, "id", CFGC_ID_ANY, 1, &v) > 0) {
        for (size_t j = 0; j + 1 < cfg->ndevices; j++) {
            if (strcmp(cfg->devices[j].id, v) == 0) {
                cfgc_problem(&c->ck, &o, config_setting_get_member(s, "id"),
                             "duplicate device id \"%s\" (first at %s)", v,
                             cfgc_where(w, sizeof(w), c->devref[j].s, s));
                break;
            }
        }
        memcpy(d->id, v, strlen(v) + 1);
        cfgc_obj_init(&o, s, "device", v, 0);
        if (strcmp(v, CFG_AGENT_ID) == 0)
            cfgc_problem(&c->ck, &o, config_setting_get_member(s, "id"),
                         "the id \"%s\" is reserved for the agent itself (its delivery "
                         "reports are the points %s.%s.<device>)",
                         v, CFG_AGENT_ID, CFG_DELIVERY_POINT);
    }
    cfgc_check_keys(&c->ck, &o, device_keys);

    if (cfgc_get_id(&c->ck, &o, "kind", CFGC_ID_KIND, 1, &v) > 0) {
        memcpy(d->kind, v, strlen(v) + 1);
        if (strcmp(v, "service") == 0 && config_setting_get_member(s, "probe") == NULL)
            cfgc_problem(&c->ck, &o, config_setting_get_member(s, "kind"),
                         "a device of kind \"service\" needs a \"probe\" group");
    }

    /*
     * A device is probed when it has a "probe" group, polled over SNMP when it has an "snmp"
     * group, else over Modbus.
     */
    ref->source = CFG_PROTO_MODBUS;
    snmp = config_setting_get_member(s, "snmp");
    probe = config_setting_get_member(s, "probe");
    if (probe != NULL && snmp != NULL) {
        cfgc_problem(&c->ck, &o, probe, "a device has \"probe\" or \"snmp\", not both");
        ref->source = -1;
        d->source = CFG_PROTO_PROBE;
        d->bus = SIZE_MAX;
    } else if (probe != NULL) {
        static const char *const not_probe[] = {"bus", "unit", "retries", "index", "profile", NULL};
        const config_setting_t *at;

        ref->source = CFG_PROTO_PROBE;
        d->source = CFG_PROTO_PROBE;
        d->bus = SIZE_MAX;
        for (const char *const *k = not_probe; *k != NULL; k++)
            if ((at = config_setting_get_member(s, *k)) != NULL)
                cfgc_problem(&c->ck, &o, at,
                             "\"%s\" does not apply to a probed device (its points are the "
                             "probe's)",
                             *k);
        if ((probe = cfgc_get_group(&c->ck, &o, "probe", 1)) != NULL)
            check_probe(c, &o, probe, &d->probe);
        else
            ref->source = -1;
    } else if (snmp != NULL) {
        const config_setting_t *at;

        ref->source = CFG_PROTO_SNMP;
        d->source = CFG_PROTO_SNMP;
        d->bus = SIZE_MAX;
        for (const char *const *k = modbus_only_device_keys; *k != NULL; k++)
            if ((at = config_setting_get_member(s, *k)) != NULL)
                cfgc_problem(&c->ck, &o, at, "\"%s\" is only for Modbus devices (this one has \"snmp\")",
                             *k);
        if ((snmp = cfgc_get_group(&c->ck, &o, "snmp", 1)) != NULL)
            check_snmp(c, &o, snmp, &d->snmp);
        else
            ref->source = -1;
    } else {
        const config_setting_t *at;

        d->source = CFG_PROTO_MODBUS;
        for (const char *const *k = snmp_only_device_keys; *k != NULL; k++)
            if ((at = config_setting_get_member(s, *k)) != NULL)
                cfgc_problem(&c->ck, &o, at, "\"%s\" is only for SNMP devices", *k);
        r = cfgc_get_string(&c->ck, &o, "bus", &v);
        if (r == 0)
            cfgc_missing(&c->ck, &o, "bus");
        else if (r > 0)
            bus_kind = find_bus(c, &o, v);
    }

    /*
     * Unit 0 is the RTU broadcast address, which no device answers; on TCP it and 255 are
     * what gateways and plain TCP devices expect (Modbus Messaging on TCP/IP Implementation
     * Guide V1.0b, 4.4.2).
     */
    d->unit = 1;
    if (d->source == CFG_PROTO_MODBUS &&
        cfgc_get_int(&c->ck, &o, "unit", 0, 255, &d->unit) > 0) {
        if (bus_kind == CFG_BUS_RTU && (d->unit < 1 || d->unit > 247))
            cfgc_problem(&c->ck, &o, config_setting_get_member(s, "unit"),
                         "\"unit\" must be between 1 and 247 on an rtu bus (is %d)", d->unit);
        else if (bus_kind == CFG_BUS_TCP && d->unit > 247 && d->unit != 255)
            cfgc_problem(&c->ck, &o, config_setting_get_member(s, "unit"),
                         "\"unit\" must be between 0 and 247, or 255, on a tcp bus (is %d)",
                         d->unit);
    }

    d->snmp.retries = 1;
    if (d->source == CFG_PROTO_SNMP) {
        cfgc_get_int(&c->ck, &o, "retries", 0, 10, &d->snmp.retries);
        check_index(c, &o, d);
        ref->index_at = config_setting_get_member(s, "index");
    }

    d->interval = 5.0;
    have_interval = cfgc_get_number(&c->ck, &o, "interval", 0.05, 86400, &d->interval) >= 0;
    if (d->source == CFG_PROTO_PROBE) {
        /* A service across a WAN may take a while; the answer must still fit the interval. */
        d->timeout = d->interval / 2 < 2.0 ? d->interval / 2 : 2.0;
        r = cfgc_get_number(&c->ck, &o, "timeout", 0.01, 60, &d->timeout);
        if (r > 0 && have_interval && d->timeout >= d->interval)
            cfgc_problem(&c->ck, &o, config_setting_get_member(s, "timeout"),
                         "\"timeout\" (%.10g s) must be shorter than \"interval\" (%.10g s)",
                         d->timeout, d->interval);
    } else if (d->source == CFG_PROTO_SNMP) {
        /*
         * net-snmp waits timeout for each of the 1 + retries sends; all of them must fit in
         * the interval, with room to spare.
         */
        int tries = d->snmp.retries + 1;

        d->timeout = d->interval / (2.0 * tries) < 0.5 ? d->interval / (2.0 * tries) : 0.5;
        r = cfgc_get_number(&c->ck, &o, "timeout", 0.01, 60, &d->timeout);
        if (r > 0 && have_interval && d->timeout * tries >= d->interval)
            cfgc_problem(&c->ck, &o, config_setting_get_member(s, "timeout"),
                         "\"timeout\" (%.10g s) times %d tries (1 + \"retries\") must be shorter "
                         "than \"interval\" (%.10g s)",
                         d->timeout, tries, d->interval);
    } else {
        /* An answer slower than half the interval would eat into the next poll. */
        d->timeout = d->interval / 2 < 0.5 ? d->interval / 2 : 0.5;
        r = cfgc_get_number(&c->ck, &o, "timeout", 0.01, 60, &d->timeout);
        if (r > 0 && have_interval && d->timeout >= d->interval)
            cfgc_problem(&c->ck, &o, config_setting_get_member(s, "timeout"),
                         "\"timeout\" (%.10g s) must be shorter than \"interval\" (%.10g s)",
                         d->timeout, d->interval);
    }

    /* DESIGN.md, "Time": a sample holds for 3 polls unless the config says otherwise. */
    d->stale = 3 * d->interval;
    r = cfgc_get_number(&c->ck, &o, "stale", 0.05, 7 * 86400, &d->stale);
    if (r > 0 && have_interval && d->stale < d->interval)
        cfgc_problem(&c->ck, &o, config_setting_get_member(s, "stale"),
                     "\"stale\" (%.10g s) must not be shorter than \"interval\" (%.10g s)",
                     d->stale, d->interval);
    else if (r < 0 || (r == 0 && !have_interval))
        d->stale = 3 * d->interval;

    if (d->source != CFG_PROTO_PROBE &&
        cfgc_get_id(&c->ck, &o, "profile", CFGC_ID_ANY, 1, &v) > 0) {
        ref->profile = v;
        ref->profile_at = config_setting_get_member(s, "profile");
    }
}

/* The probe group of a device (cfg_probe.c). */
static void
check_probe(struct cl *c, const struct cfgc_obj *dev, const config_setting_t *g,
            struct cfg_probe *pr)
{
    cfg_check_probe(&c->ck, c->dir, dev, g, pr);
}

/* A host name or an IP address (without brackets). Returns as the getters do. */
static int
check_host(struct cl *c, const struct cfgc_obj *o, char **out)
{
    const char *v;
    char q[CFGC_QBUF];
    int r = cfgc_get_string(&c->ck, o, "host", &v);

    if (r == 0)
        cfgc_missing(&c->ck, o, "host");
    if (r <= 0)
        return r;
    if (v[0] == '\0' || strlen(v) >= 256 ||
        v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%")] != '\0') {
        cfgc_problem(&c->ck, o, config_setting_get_member(o->s, "host"),
                     "\"host\" must be a host name or IP address (is %s)",
                     cfgc_quote(q, sizeof(q), v));
        return -1;
    }
    *out = cfgc_strdup(&c->ck, v);
    return 1;
}

/* A secret in a file (mode 0600 or stricter) named by key, if given. */
static void
check_secret_file(struct cl *c, const struct cfgc_obj *o, const char *key, size_t min_len,
                  char **path_out, char **out)
{
    const config_setting_t *at = config_setting_get_member(o->s, key);
    const char *v;

    if (cfgc_get_string(&c->ck, o, key, &v) <= 0)
        return;
    if (v[0] == '\0')
        cfgc_problem(&c->ck, o, at, "\"%s\" must not be empty", key);
    else if ((*path_out = cfgc_path_join(c->dir, v)) == NULL)
        cfgc_nomem(&c->ck);
    else
        read_password(&c->ck, o, at, key, *path_out, min_len, out);
}

/*
 * snmp = { host; port; version = "2c" | "3"; community | community_file (2c); user, level,
 * auth_protocol, auth_passphrase_file, priv_protocol, priv_passphrase_file (3) }.
 */
static void
check_snmp(struct cl *c, const struct cfgc_obj *dev, const config_setting_t *g,
           struct cfg_snmp *sn)
{
    const config_setting_t *at;
    struct cfgc_obj o;
    const char *v;
    char q[CFGC_QBUF];
    int r;

    cfgc_obj_init(&o, g, "snmp", NULL, 0);
    snprintf(o.what, sizeof(o.what), "%.80s: snmp", dev->what); /* what is <= 74 */
    cfgc_check_keys(&c->ck, &o, snmp_keys);
    check_host(c, &o, &sn->host);
    sn->port = 161;
    cfgc_get_int(&c->ck, &o, "port", 1, 65535, &sn->port);

    sn->version = 2;
    r = cfgc_get_string(&c->ck, &o, "version", &v);
    if (r > 0 && strcmp(v, "3") == 0) {
        sn->version = 3;
    } else if (r > 0 && strcmp(v, "2c") != 0) {
        cfgc_problem(&c->ck, &o, config_setting_get_member(g, "version"),
                     "\"version\" must be \"2c\" or \"3\" (is %s)", cfgc_quote(q, sizeof(q), v));
        return; /* which keys belong cannot be told */
    }
    for (const char *const *k = sn->version == 3 ? v2c_only_keys : v3_only_keys; *k; k++)
        if ((at = config_setting_get_member(g, *k)) != NULL)
            cfgc_problem(&c->ck, &o, at, "\"%s\" is only for version \"%s\"", *k,
                         sn->version == 3 ? "2c" : "3");

    if (sn->version == 2) {
        const config_setting_t *inl = config_setting_get_member(g, "community");
        const config_setting_t *file = config_setting_get_member(g, "community_file");

        if (inl != NULL && file != NULL) {
            cfgc_problem(&c->ck, &o, file, "give \"community\" or \"community_file\", not both");
        } else if (inl == NULL && file == NULL) {
            cfgc_problem(&c->ck, &o, g, "missing required key \"community\" or \"community_file\"");
        } else if (inl != NULL) {
            r = cfgc_get_text(&c->ck, &o, "community", 256, &v);
            if (r > 0 && v[0] == '\0')
                cfgc_problem(&c->ck, &o, inl, "\"community\" must not be empty");
            else if (r > 0)
                sn->community = cfgc_strdup(&c->ck, v);
        } else {
            check_secret_file(c, &o, "community_file", 1, &sn->community_file, &sn->community);
        }
        return;
    }

    /* SNMPv3 USM (RFC 3414). */
    r = cfgc_get_text(&c->ck, &o, "user", 33, &v); /* SnmpAdminString (SIZE(1..32)) */
    if (r == 0)
        cfgc_missing(&c->ck, &o, "user");
    else if (r > 0 && v[0] == '\0')
        cfgc_problem(&c->ck, &o, config_setting_get_member(g, "user"), "\"user\" must not be empty");
    else if (r > 0)
        sn->user = cfgc_strdup(&c->ck, v);

    sn->level = CFG_SL_AUTHPRIV;
    if (cfgc_get_string(&c->ck, &o, "level", &v) > 0) {
        if (strcmp(v, "noAuthNoPriv") == 0)
            sn->level = CFG_SL_NOAUTH;
        else if (strcmp(v, "authNoPriv") == 0)
            sn->level = CFG_SL_AUTHNOPRIV;
        else if (strcmp(v, "authPriv") != 0)
            cfgc_problem(&c->ck, &o, config_setting_get_member(g, "level"),
                         "\"level\" must be \"noAuthNoPriv\", \"authNoPriv\" or \"authPriv\" (is %s)",
                         cfgc_quote(q, sizeof(q), v));
    }
    sn->auth_protocol = CFG_SA_SHA;
    if (cfgc_get_string(&c->ck, &o, "auth_protocol", &v) > 0) {
        if (strcmp(v, "SHA-256") == 0)
            sn->auth_protocol = CFG_SA_SHA256;
        else if (strcmp(v, "SHA") != 0)
            cfgc_problem(&c->ck, &o, config_setting_get_member(g, "auth_protocol"),
                         "\"auth_protocol\" must be \"SHA\" or \"SHA-256\" (is %s)",
                         cfgc_quote(q, sizeof(q), v));
    }
    sn->priv_protocol = CFG_SP_AES;
    if (cfgc_get_string(&c->ck, &o, "priv_protocol", &v) > 0 && strcmp(v, "AES") != 0)
        cfgc_problem(&c->ck, &o, config_setting_get_member(g, "priv_protocol"),
                     "\"priv_protocol\" must be \"AES\" (is %s)", cfgc_quote(q, sizeof(q), v));

    /* What the level needs must be there; what it does not use must not be. */
    {
        static const char *const auth_keys[] = {"auth_protocol", "auth_passphrase_file"};
        static const char *const priv_keys[] = {"priv_protocol", "priv_passphrase_file"};
        static const char *const levels[] = {"noAuthNoPriv", "authNoPriv", "authPriv"};

        for (size_t k = 0; k < 2; k++) {
            at = config_setting_get_member(g, auth_keys[k]);
            if (sn->level == CFG_SL_NOAUTH && at != NULL)
                cfgc_problem(&c->ck, &o, at, "\"%s\" is not used at level \"noAuthNoPriv\"",
                             auth_keys[k]);
            at = config_setting_get_member(g, priv_keys[k]);
            if (sn->level != CFG_SL_AUTHPRIV && at != NULL)
                cfgc_problem(&c->ck, &o, at, "\"%s\" is not used at level \"%s\"", priv_keys[k],
                             levels[sn->level]);
        }
        if (sn->level != CFG_SL_NOAUTH && config_setting_get_member(g, "auth_passphrase_file") == NULL)
            cfgc_problem(&c->ck, &o, g, "missing required key \"auth_passphrase_file\" (level \"%s\")",
                         levels[sn->level]);
        if (sn->level == CFG_SL_AUTHPRIV && config_setting_get_member(g, "priv_passphrase_file") == NULL)
            cfgc_problem(&c->ck, &o, g, "missing required key \"priv_passphrase_file\" (level \"%s\")",
                         levels[sn->level]);
    }
    if (sn->level != CFG_SL_NOAUTH)
        check_secret_file(c, &o, "auth_passphrase_file", USM_PASSPHRASE_MIN,
                          &sn->auth_passphrase_file, &sn->auth_passphrase);
    if (sn->level == CFG_SL_AUTHPRIV)
        check_secret_file(c, &o, "priv_passphrase_file", USM_PASSPHRASE_MIN,
                          &sn->priv_passphrase_file, &sn->priv_passphrase);
}

/* index = 3; or index = [1, 2, 24]: the table rows "{index}" OIDs are polled for. */
static void
check_index(struct cl *c, const struct cfgc_obj *o, struct cfg_device *d)
{
    const config_setting_t *at = config_setting_get_member(o->s, "index");
    int n, one;

    if (at == NULL)
        return;
    if (config_setting_type(at) == CONFIG_TYPE_INT || config_setting_type(at) == CONFIG_TYPE_INT64) {
        if (cfgc_get_int(&c->ck, o, "index", 0, INT_MAX, &one) <= 0)
            return;
        if ((d->index = malloc(sizeof(*d->index))) == NULL) {
            cfgc_nomem(&c->ck);
            return;
        }
        d->index[0] = one;
        d->nindex = 1;
        return;
    }
    n = config_setting_is_array(at) ? config_setting_length(at) : -1;
    if (n < 1 || n > CFG_INDEX_MAX) {
        cfgc_problem(&c->ck, o, at, "\"index\" must be an integer or an array [1, 2, ...] of 1 to %d "
                     "integers", CFG_INDEX_MAX);
        return;
    }
    if ((d->index = calloc((size_t)n, sizeof(*d->index))) == NULL) {
        cfgc_nomem(&c->ck);
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(at, (unsigned)i);
        long long v = -1;

        if (config_setting_type(e) == CONFIG_TYPE_INT || config_setting_type(e) == CONFIG_TYPE_INT64)
            v = config_setting_get_int64(e);
        if (v < 0 || v > INT_MAX) {
            cfgc_problem(&c->ck, o, at, "\"index\" values must be integers from 0 to %d", INT_MAX);
            free(d->index);
            d->index = NULL;
            d->nindex = 0;
            return;
        }
        for (size_t k = 0; k < d->nindex; k++) {
            if (d->index[k] == (int)v) {
                cfgc_problem(&c->ck, o, at, "\"index\" %lld is given twice", v);
                break;
            }
        }
        d->index[d->nindex++] = (int)v;
    }
}

/*
 * Loads each profile the devices name, once however many devices share it. profiles[]
 * ends up holding the ones in use, in the order devices first name them.
 */
static void
load_profiles(struct cl *c)
{
    struct rw_config *cfg = c->cfg;
    struct seen_profile *seen;
    size_t nseen = 0;

    if (cfg->ndevices == 0 || !c->profile_dir_ok)
        return;
    /* Room for each device's own expanded copy too (expand_profiles). */
    cfg->profiles = calloc(2 * cfg->ndevices, sizeof(*cfg->profiles));
    seen = calloc(cfg->ndevices, sizeof(*seen));
    if (cfg->profiles == NULL || seen == NULL) {
        free(seen);
        cfgc_nomem(&c->ck);
        return;
    }
    for (size_t i = 0; i < cfg->ndevices; i++) {
        const struct devref *ref = &c->devref[i];
        size_t k;

        if (ref->profile == NULL)
            continue;
        for (k = 0; k < nseen; k++)
            if (strcmp(seen[k].name, ref->profile) == 0)
                break;
        if (k == nseen) {
            char *path = NULL;
            struct stat st;
            int found = 0;

            /* The first folder that has the file wins; a file there that cannot be read is
             * reported by the load, not skipped for the next folder. */
            for (size_t f = 0; f < cfg->nprofile_dirs && !found; f++) {
                free(path);
                path = cfgc_asprintf(&c->ck, "%s/%s.cfg", cfg->profile_dirs[f], ref->profile);
                if (path == NULL)
                    break;
                found = stat(path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
            }
            if (path == NULL)
                break;
            seen[nseen].name = ref->profile;
            if (!found) {
                seen[nseen].index = -2;
            } else {
                enum cfg_proto expect = ref->source < 0 ? CFG_PROTO_ANY
                                                        : (enum cfg_proto)ref->source;

                switch (cfg_profile_load_as(path, ref->profile, expect,
                                            &cfg->profiles[cfg->nprofiles], cfgc_diags(&c->ck))) {
                case CFG_OK:
                    seen[nseen].index = (int)cfg->nprofiles++;
                    break;
                case CFG_ERR_INVALID:
                    seen[nseen].index = -1;
                    cfgc_fail(&c->ck);
                    break;
                case CFG_ERR_NOMEM:
                    seen[nseen].index = -1;
                    cfgc_nomem(&c->ck);
                    break;
                }
            }
            free(path);
            nseen++;
        }
        if (seen[k].index >= 0) {
            const struct cfg_profile *pr = &cfg->profiles[seen[k].index];

            cfg->devices[i].profile = (size_t)seen[k].index;
            c->devref[i].profile_ok = (int)pr->protocol == ref->source;
            if (ref->source >= 0 && (int)pr->protocol != ref->source) {
                struct cfgc_obj o;

                cfgc_obj_init(&o, ref->s, "device",
                              cfg->devices[i].id[0] ? cfg->devices[i].id : NULL, ref->index);
                cfgc_problem(&c->ck, &o, ref->profile_at,
                             "profile \"%s\" is %s profile, but the device is polled over %s",
                             ref->profile,
                             pr->protocol == CFG_PROTO_SNMP ? "an SNMP" : "a Modbus",
                             ref->source == CFG_PROTO_SNMP ? "SNMP" : "Modbus");
            }
        } else if (seen[k].index == -2) {
            struct cfgc_obj o;
            char *dirs = profile_dirs_text(c);

            cfgc_obj_init(&o, ref->s, "device", cfg->devices[i].id[0] ? cfg->devices[i].id : NULL,
                          ref->index);
            cfgc_problem(&c->ck, &o, ref->profile_at, "unknown profile \"%s\" (no %s.cfg in %s)",
                         ref->profile, ref->profile, dirs != NULL ? dirs : "the profile folders");
            free(dirs);
        }
    }
    free(seen);
}

/*
 * Gives each probed device the built-in profile of its probe type (cfg_probe.h), one copy
 * per type however many devices share it. profiles[] has room: at most one loaded and one
 * expanded or built-in profile per device.
 */
static void
add_probe_profiles(struct cl *c)
{
    struct rw_config *cfg = c->cfg;

    if (cfgc_status(&c->ck) == CFG_ERR_NOMEM || cfg->ndevices == 0)
        return;
    if (cfg->profiles == NULL &&
        (cfg->profiles = calloc(2 * cfg->ndevices, sizeof(*cfg->profiles))) == NULL) {
        cfgc_nomem(&c->ck);
        return;
    }
    for (size_t i = 0; i < cfg->ndevices; i++) {
        struct cfg_device *d = &cfg->devices[i];
        const char *name;
        size_t k;

        if (c->devref[i].source != CFG_PROTO_PROBE || d->probe.type > CFG_PROBE_DNS)
            continue;
        name = cfg_probe_profile_name(&d->probe);
        for (k = 0; k < cfg->nprofiles; k++)
            if (cfg->profiles[k].protocol == CFG_PROTO_PROBE &&
                strcmp(cfg->profiles[k].name, name) == 0)
                break;
        if (k == cfg->nprofiles) {
            if (cfg_probe_profile(&d->probe, &cfg->profiles[k]) != CFG_OK) {
                cfgc_nomem(&c->ck);
                return;
            }
            cfg->nprofiles++;
        }
        d->profile = k;
        c->devref[i].profile_ok = 1;
    }
}

/*
 * Gives each SNMP device with "index" its own copy of its profile, with the "{index}" points
 * repeated per index, so that the rest of roomwatch sees an ordinary profile. A device whose
 * profile has "{index}" points but no "index", or the other way round, is refused.
 */
static void
expand_profiles(struct cl *c)
{
    struct rw_config *cfg = c->cfg;

    if (cfgc_status(&c->ck) == CFG_ERR_NOMEM)
        return;
    for (size_t i = 0; i < cfg->ndevices; i++) {
        struct cfg_device *d = &cfg->devices[i];
        const struct devref *ref = &c->devref[i];
        const struct cfg_profile *src;
        const struct cfg_point *bad;
        struct cfgc_obj o;
        int indexed;

        /* A profile that failed, or a bad "index", is reported already. */
        if (d->source != CFG_PROTO_SNMP || !ref->profile_ok ||
            (ref->index_at != NULL && d->nindex == 0))
            continue;
        src = &cfg->profiles[d->profile];
        indexed = cfg_profile_indexed(src);
        cfgc_obj_init(&o, ref->s, "device", d->id, 0);
        if (indexed && d->nindex == 0) {
            cfgc_problem(&c->ck, &o, ref->profile_at,
                         "profile \"%s\" has {index} OIDs: give the table rows in \"index\"",
                         src->name);
            continue;
        }
        if (!indexed && d->nindex > 0) {
            cfgc_problem(&c->ck, &o, ref->index_at,
                         "\"index\" is given, but profile \"%s\" has no {index} OID", src->name);
            continue;
        }
        if (!indexed)
            continue;
        switch (cfg_profile_expand(src, d->index, d->nindex, &cfg->profiles[cfg->nprofiles],
                                   &bad)) {
        case CFG_OK:
            d->profile = cfg->nprofiles++;
            break;
        case CFG_ERR_INVALID:
            cfgc_problem(&c->ck, &o, ref->index_at,
                         "point \"%s\" of profile \"%s\" with an index is a name longer than %d "
                         "characters",
                         bad->name, src->name, CFG_ID_MAX - 1);
            break;
        case CFG_ERR_NOMEM:
            cfgc_nomem(&c->ck);
            break;
        }
    }
}

/* The store's folder and how often the engine's state is written to it. */
static void
check_state(struct cl *c, const struct cfgc_obj *root)
{
    const config_setting_t *at = config_setting_get_member(root->s, "state_dir");
    const char *v = CFG_STATE_DIR_DEFAULT;
    double iv = CFG_CHECKPOINT_DEFAULT;

    if (cfgc_get_string(&c->ck, root, "state_dir", &v) > 0 && v[0] == '\0') {
        cfgc_problem(&c->ck, root, at, "\"state_dir\" must not be empty");
        v = CFG_STATE_DIR_DEFAULT;
    }
    if ((c->cfg->state_dir = cfgc_path_join(c->dir, v)) == NULL)
        cfgc_nomem(&c->ck);
    if (cfgc_get_number(&c->ck, root, "checkpoint_interval", 1, 3600, &iv) >= 0)
        c->cfg->checkpoint_interval = iv;
}

/* The sample archive: on by default, always bounded in size and age. */
static void
check_archive(struct cl *c, const struct cfgc_obj *root)
{
    struct cfg_archive *ar = &c->cfg->archive;
    const config_setting_t *g;
    struct cfgc_obj o;

    ar->enabled = 1;
    ar->max_mb = CFG_ARCHIVE_MAX_MB_DEFAULT;
    ar->max_days = CFG_ARCHIVE_MAX_DAYS_DEFAULT;
    if ((g = cfgc_get_group(&c->ck, root, "archive", 0)) == NULL)
        return;
    cfgc_obj_init(&o, g, "archive", NULL, 0);
    cfgc_check_keys(&c->ck, &o, archive_keys);
    (void)cfgc_get_bool(&c->ck, &o, "enabled", &ar->enabled);
    (void)cfgc_get_number(&c->ck, &o, "max_mb", 1, 1000000, &ar->max_mb);
    (void)cfgc_get_int(&c->ck, &o, "max_days", 1, 36600, &ar->max_days);
}

/*
 * When the wall clock is trusted to date samples (rw_ctrust.h). The default floor is the date
 * the build was configured (ROOMWATCH_BUILD_DATE, from SOURCE_DATE_EPOCH when set): no clock
 * reading before the software existed can be right.
 */
static void
check_clock(struct cl *c, const struct cfgc_obj *root)
{
    struct cfg_clock *ck = &c->cfg->clock;
    const config_setting_t *g;
    const char *v;
    struct cfgc_obj o;

    ck->trust = RW_CTRUST_FLOOR;
    if (rw_ctrust_parse_date(ROOMWATCH_BUILD_DATE, &ck->floor) < 0)
        ck->floor = 0;
    if ((g = cfgc_get_group(&c->ck, root, "clock", 0)) == NULL)
        return;
    cfgc_obj_init(&o, g, "clock", NULL, 0);
    cfgc_check_keys(&c->ck, &o, clock_keys);
    if (cfgc_get_string(&c->ck, &o, "trust", &v) > 0) {
        if (strcmp(v, "floor") == 0)
            ck->trust = RW_CTRUST_FLOOR;
        else if (strcmp(v, "sync") == 0)
            ck->trust = RW_CTRUST_SYNC;
        else if (strcmp(v, "always") == 0)
            ck->trust = RW_CTRUST_ALWAYS;
        else
            cfgc_problem(&c->ck, &o, config_setting_get_member(g, "trust"),
                         "\"trust\" must be \"floor\", \"sync\" or \"always\", not \"%s\"", v);
    }
    if (cfgc_get_string(&c->ck, &o, "floor", &v) > 0 && rw_ctrust_parse_date(v, &ck->floor) < 0)
        cfgc_problem(&c->ck, &o, config_setting_get_member(g, "floor"),
                     "\"floor\" must be a date YYYY-MM-DD from 1970 on, not \"%s\"", v);
}
