/*
 * devsim_config.c - reads roomwatch-devsim's config (libconfig): the devices to simulate, the
 * profiles they serve, their value models and the scenario of faults.
 *
 * Like cfg_load(), and through the same checking layer (cfg/cfg_check.h), it checks
 * everything in one pass and reports every problem as a
 * file:line diagnostic; unknown keys are errors, so a typo never silently falls back to a
 * default. The accepted format is drawn in README.md beside this file.
 */
#include "devsim.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "cfg/cfg_check.h"

#define DEFAULT_PROFILE_DIR "../profiles" /* relative to the config file: the repo's layout */
#define DEFAULT_HOST "127.0.0.1"

/* State of one load: where diagnostics go, and the profiles that failed to load (so that 200
 * devices using one broken profile give its diagnostics once). */
struct loader {
    struct devsim *sim;
    struct cfgc ck; /* reports into the caller's diags */
    char (*bad)[CFG_ID_MAX];
    size_t nbad;
    char (*failed)[CFG_ID_MAX]; /* ids of devices not added: steps naming them say nothing */
    size_t nfailed;
};

/* One entry of `devices`, before `count` expands it. */
struct dev_entry {
    const char *id;
    const char *profile;
    enum sim_transport transport;
    const char *host;
    int port;
    int unit;
    const char *path;
    int baud;
    char parity;
    int data_bits;
    int stop_bits;
    int count;
};

static int profile_get(struct loader *ld, const char *name, const config_setting_t *where,
                       size_t *out);
static int parse_entry(struct loader *ld, const config_setting_t *g, int index,
                       struct dev_entry *e);
static int parse_values(struct loader *ld, const config_setting_t *g,
                        const struct cfg_profile *prof, struct sim_value *values);
static int add_devices(struct loader *ld, const config_setting_t *g, const struct dev_entry *e,
                       size_t prof, const struct sim_value *values);
static int endpoint_for(struct loader *ld, const config_setting_t *g, const struct dev_entry *e,
                        int port, size_t *out);
static int parse_devices(struct loader *ld, const config_setting_t *list);
static void remember_failed(struct loader *ld, const char *id);
static int parse_step(struct loader *ld, const config_setting_t *g, int index, struct sim_step *st);
static int parse_scenario(struct loader *ld, const config_setting_t *list);

static const char *const top_keys[] = {"profile_dir", "seed", "devices", "scenario", NULL};
static const char *const device_keys[] = {
    "id",   "profile", "transport", "host",      "port",  "unit",   "device",
    "baud", "parity",  "data_bits", "stop_bits", "count", "values", NULL};
static const char *const value_keys[] = {"base", "noise", "rate", "period", "amplitude", NULL};
static const char *const step_keys[] = {"at",    "device", "action",   "point",
                                        "value", "code",   "duration", NULL};

/* Finds a loaded profile or loads profile_dir/NAME.cfg. */
static int
profile_get(struct loader *ld, const char *name, const config_setting_t *where, size_t *out)
{
    struct devsim *sim = ld->sim;
    struct cfg_profile *grown, prof;
    char *path;
    size_t n;
    enum cfg_status st;

    for (size_t i = 0; i < sim->nprofiles; i++) {
        if (strcmp(sim->profiles[i].name, name) == 0) {
            *out = i;
            return 0;
        }
    }
    for (size_t i = 0; i < ld->nbad; i++)
        if (strcmp(ld->bad[i], name) == 0)
            return -1;

    if (!cfgc_valid_id(name, CFGC_ID_ANY)) {
        cfgc_problem(&ld->ck, NULL, where, "bad profile name '%s'", name);
        return -1;
    }
    n = strlen(sim->profile_dir) + strlen(name) + 6;
    path = malloc(n);
    if (path == NULL)
        return -1;
    snprintf(path, n, "%s/%s.cfg", sim->profile_dir, name);
    if (access(path, R_OK) != 0) {
        cfgc_problem(&ld->ck, NULL, where, "unknown profile '%s' (%s: %s)", name, path,
                     strerror(errno));
        st = CFG_ERR_INVALID;
    } else {
        memset(&prof, 0, sizeof(prof));
        st = cfg_profile_load(path, name, &prof, cfgc_diags(&ld->ck));
    }
    free(path);
    if (st != CFG_OK) {
        char(*bad)[CFG_ID_MAX] = realloc(ld->bad, (ld->nbad + 1) * sizeof(*bad));
        if (bad != NULL) {
            ld->bad = bad;
            snprintf(ld->bad[ld->nbad++], CFG_ID_MAX, "%s", name);
        }
        return -1;
    }
    grown = realloc(sim->profiles, (sim->nprofiles + 1) * sizeof(*grown));
    if (grown == NULL) {
        cfg_profile_clear(&prof);
        return -1;
    }
    sim->profiles = grown;
    sim->profiles[sim->nprofiles] = prof;
    *out = sim->nprofiles++;
    return 0;
}

static int
parse_entry(struct loader *ld, const config_setting_t *g, int index, struct dev_entry *e)
{
    const char *transport = "tcp", *parity = "N";
    const char *id = NULL;
    struct cfgc_obj o;
    int bad = 0, r;

    memset(e, 0, sizeof(*e));
    e->host = DEFAULT_HOST;
    e->port = -1;
    e->unit = 1;
    e->baud = 9600;
    e->data_bits = 8;
    e->stop_bits = 1;
    e->count = 1;

    /* Named by its id in messages when the id is good; its problems are reported below. */
    if (config_setting_lookup_string(g, "id", &id) != CONFIG_TRUE ||
        !cfgc_valid_id(id, CFGC_ID_ANY))
        id = NULL;
    cfgc_obj_init(&o, g, "device", id, index);
    if (cfgc_check_keys(&ld->ck, &o, device_keys) > 0)
        bad = 1;
    if ((r = cfgc_get_string(&ld->ck, &o, "id", &e->id)) <= 0) {
        if (r == 0)
            cfgc_problem(&ld->ck, NULL, g, "device without 'id'");
        bad = 1;
    } else if (!cfgc_valid_id(e->id, CFGC_ID_ANY)) {
        cfgc_problem(&ld->ck, NULL, g,
                     "bad device id '%s' (letters, digits, '_' and '-', under %d characters)",
                     e->id, CFG_ID_MAX);
        bad = 1;
    }
    if ((r = cfgc_get_string(&ld->ck, &o, "profile", &e->profile)) <= 0) {
        if (r == 0)
            cfgc_problem(&ld->ck, NULL, g, "device without 'profile'");
        bad = 1;
    }
    if (cfgc_get_string(&ld->ck, &o, "transport", &transport) < 0)
        bad = 1;
    else if (strcmp(transport, "tcp") == 0)
        e->transport = SIM_TCP;
    else if (strcmp(transport, "rtu") == 0)
        e->transport = SIM_RTU;
    else {
        cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "transport"),
                     "transport must be \"tcp\" or \"rtu\", not \"%s\"", transport);
        bad = 1;
    }
    if (cfgc_get_int(&ld->ck, &o, "count", INT_MIN, INT_MAX, &e->count) < 0)
        bad = 1;
    else if (e->count < 1 || e->count > DEVSIM_MAX_COUNT) {
        cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "count"), "count must be 1..%d",
                     DEVSIM_MAX_COUNT);
        bad = 1;
    }
    if (cfgc_get_int(&ld->ck, &o, "unit", INT_MIN, INT_MAX, &e->unit) < 0)
        bad = 1;

    if (e->transport == SIM_TCP) {
        if (cfgc_get_string(&ld->ck, &o, "host", &e->host) < 0)
            bad = 1;
        if ((r = cfgc_get_int(&ld->ck, &o, "port", INT_MIN, INT_MAX, &e->port)) <= 0) {
            if (r == 0)
                cfgc_problem(&ld->ck, NULL, g, "tcp device without 'port'");
            bad = 1;
        } else if (e->port < 0 || e->port > 65535 ||
                   (e->port > 0 && e->port + e->count - 1 > 65535)) {
            cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "port"),
                         "port must be 0..65535");
            bad = 1;
        }
        /* The TCP unit id is a byte; 0 and 255 are what single devices often answer to. */
        if (e->unit < 0 || e->unit > 255) {
            cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "unit"),
                         "tcp unit must be 0..255");
            bad = 1;
        }
        for (const char *const *k =
                 (const char *const[]){"device", "baud", "parity", "data_bits", "stop_bits", NULL};
             *k != NULL; k++) {
            const config_setting_t *s = config_setting_get_member(g, *k);
            if (s != NULL) {
                cfgc_problem(&ld->ck, NULL, s, "'%s' is for rtu devices", *k);
                bad = 1;
            }
        }
    } else {
        if ((r = cfgc_get_string(&ld->ck, &o, "device", &e->path)) <= 0) {
            if (r == 0)
                cfgc_problem(&ld->ck, NULL, g,
                             "rtu device without 'device' (the pty or serial port path)");
            bad = 1;
        }
        if (cfgc_get_int(&ld->ck, &o, "baud", INT_MIN, INT_MAX, &e->baud) < 0)
            bad = 1;
        else if (e->baud <= 0) {
            cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "baud"),
                         "baud must be positive");
            bad = 1;
        }
        if (cfgc_get_string(&ld->ck, &o, "parity", &parity) < 0)
            bad = 1;
        else if (strlen(parity) != 1 || strchr("NEO", parity[0]) == NULL) {
            cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "parity"),
                         "parity must be \"N\", \"E\" or \"O\"");
            bad = 1;
        } else
            e->parity = parity[0];
        if (cfgc_get_int(&ld->ck, &o, "data_bits", INT_MIN, INT_MAX, &e->data_bits) < 0)
            bad = 1;
        else if (e->data_bits < 5 || e->data_bits > 8) {
            cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "data_bits"),
                         "data_bits must be 5..8");
            bad = 1;
        }
        if (cfgc_get_int(&ld->ck, &o, "stop_bits", INT_MIN, INT_MAX, &e->stop_bits) < 0)
            bad = 1;
        else if (e->stop_bits != 1 && e->stop_bits != 2) {
            cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "stop_bits"),
                         "stop_bits must be 1 or 2");
            bad = 1;
        }
        if (e->unit < 1 || e->unit > 247) {
            cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "unit"),
                         "rtu unit must be 1..247");
            bad = 1;
        }
        for (const char *const *k = (const char *const[]){"host", "port", NULL}; *k != NULL; k++) {
            const config_setting_t *s = config_setting_get_member(g, *k);
            if (s != NULL) {
                cfgc_problem(&ld->ck, NULL, s, "'%s' is for tcp devices", *k);
                bad = 1;
            }
        }
        if (e->count > 1) {
            /* libmodbus' RTU server answers one unit per line (see README.md). */
            cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "count"),
                         "count is for tcp devices (one rtu unit per line)");
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

static int
parse_values(struct loader *ld, const config_setting_t *g, const struct cfg_profile *prof,
             struct sim_value *values)
{
    int bad = 0;

    for (size_t i = 0; i < prof->npoints; i++) {
        memset(&values[i], 0, sizeof(values[i]));
        values[i].base = sim_value_default(&prof->points[i]);
    }
    if (g == NULL)
        return 0;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        cfgc_problem(&ld->ck, NULL, g, "'values' must be a group: { point = number; ... }");
        return -1;
    }
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned int)i);
        const char *name = config_setting_name(m);
        const struct cfg_point *p = cfg_profile_point(prof, name);
        struct sim_value *v;

        if (p == NULL) {
            cfgc_problem(&ld->ck, NULL, m, "profile %s has no point '%s'", prof->name, name);
            bad = 1;
            continue;
        }
        v = &values[p - prof->points];
        if (config_setting_type(m) == CONFIG_TYPE_GROUP) {
            struct cfgc_obj o;
            int r = 0;

            cfgc_obj_init(&o, m, "value", name, 0);

            if (cfgc_check_keys(&ld->ck, &o, value_keys) > 0)
                r = -1;
            if (cfgc_get_number(&ld->ck, &o, "base", -HUGE_VAL, HUGE_VAL, &v->base) < 0 ||
                cfgc_get_number(&ld->ck, &o, "noise", -HUGE_VAL, HUGE_VAL, &v->noise) < 0 ||
                cfgc_get_number(&ld->ck, &o, "rate", -HUGE_VAL, HUGE_VAL, &v->rate) < 0 ||
                cfgc_get_number(&ld->ck, &o, "period", -HUGE_VAL, HUGE_VAL, &v->period) < 0 ||
                cfgc_get_number(&ld->ck, &o, "amplitude", -HUGE_VAL, HUGE_VAL, &v->amplitude) < 0)
                r = -1;
            if (r == 0 && v->noise < 0) {
                cfgc_problem(&ld->ck, NULL, m, "%s: noise must be >= 0", name);
                r = -1;
            }
            if (r == 0 && v->amplitude != 0 && !(v->period > 0)) {
                cfgc_problem(&ld->ck, NULL, m, "%s: amplitude needs a period > 0 (s)", name);
                r = -1;
            }
            if (r == 0 && p->type == CFG_T_BIT &&
                (v->noise != 0 || v->rate != 0 || v->amplitude != 0)) {
                cfgc_problem(&ld->ck, NULL, m, "%s is a bit: give it 0 or 1", name);
                r = -1;
            }
            if (r < 0)
                bad = 1;
        } else if (cfgc_setting_number(m, &v->base) < 0) {
            cfgc_problem(&ld->ck, NULL, m,
                         "%s: a value is a number or { base, noise, rate, period, amplitude }",
                         name);
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

/* The endpoint a TCP device listens on: shared by every device with the same host and port
 * (a gateway in front of RS-485 units); port 0 always makes a new one. */
static int
endpoint_for(struct loader *ld, const config_setting_t *g, const struct dev_entry *e, int port,
             size_t *out)
{
    struct devsim *sim = ld->sim;
    struct sim_endpoint *grown, *ep;

    for (size_t i = 0; i < sim->nendpoints; i++) {
        ep = &sim->endpoints[i];
        if (e->transport == SIM_TCP && ep->transport == SIM_TCP && port != 0 && ep->port == port &&
            strcmp(ep->host, e->host) == 0) {
            *out = i;
            return 0;
        }
        if (e->transport == SIM_RTU && ep->transport == SIM_RTU && strcmp(ep->path, e->path) == 0) {
            cfgc_problem(&ld->ck, NULL, g,
                         "%s is already served by device %s (line %d): one rtu unit per line",
                         e->path, sim->devices[ep->devices[0]].id, ep->line);
            return -1;
        }
    }
    grown = realloc(sim->endpoints, (sim->nendpoints + 1) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    sim->endpoints = grown;
    ep = &sim->endpoints[sim->nendpoints];
    memset(ep, 0, sizeof(*ep));
    ep->transport = e->transport;
    ep->fd = -1;
    ep->line = (int)config_setting_source_line(g);
    if (e->transport == SIM_TCP) {
        ep->host = strdup(e->host);
        ep->port = port;
        if (ep->host == NULL)
            return -1;
    } else {
        ep->path = strdup(e->path);
        if (ep->path == NULL)
            return -1;
        ep->baud = e->baud;
        ep->parity = e->parity;
        ep->data_bits = e->data_bits;
        ep->stop_bits = e->stop_bits;
    }
    *out = sim->nendpoints++;
    return 0;
}

static int
add_devices(struct loader *ld, const config_setting_t *g, const struct dev_entry *e, size_t prof,
            const struct sim_value *values)
{
    struct devsim *sim = ld->sim;

    for (int k = 0; k < e->count; k++) {
        char id[CFG_ID_MAX];
        struct sim_device *grown, *d;
        struct sim_endpoint *ep;
        size_t epi, *devs;
        int port = e->port > 0 ? e->port + k : e->port;

        if (e->count > 1) {
            if (snprintf(id, sizeof(id), "%s%d", e->id, k) >= (int)sizeof(id)) {
                cfgc_problem(&ld->ck, NULL, g, "device id '%s%d' is too long", e->id, k);
                return -1;
            }
        } else
            snprintf(id, sizeof(id), "%s", e->id);
        for (size_t i = 0; i < sim->ndevices; i++) {
            if (strcmp(sim->devices[i].id, id) == 0 || strcmp(sim->devices[i].group, id) == 0 ||
                (e->count > 1 && strcmp(sim->devices[i].id, e->id) == 0)) {
                cfgc_problem(&ld->ck, NULL, g, "device id '%s' clashes with device %s (line %d)",
                             e->count > 1 ? e->id : id, sim->devices[i].id, sim->devices[i].line);
                return -1;
            }
        }
        if (endpoint_for(ld, g, e, port, &epi) < 0)
            return -1;
        ep = &sim->endpoints[epi];
        for (size_t i = 0; i < ep->ndevices; i++) {
            const struct sim_device *o = &sim->devices[ep->devices[i]];
            if (o->unit == e->unit) {
                cfgc_problem(&ld->ck, NULL, g, "%s:%d unit %d is already device %s (line %d)",
                             ep->host, ep->port, e->unit, o->id, o->line);
                return -1;
            }
        }

        grown = realloc(sim->devices, (sim->ndevices + 1) * sizeof(*grown));
        if (grown == NULL)
            return -1;
        sim->devices = grown;
        devs = realloc(ep->devices, (ep->ndevices + 1) * sizeof(*devs));
        if (devs == NULL)
            return -1;
        ep->devices = devs;

        d = &sim->devices[sim->ndevices];
        memset(d, 0, sizeof(*d));
        snprintf(d->id, sizeof(d->id), "%s", id);
        if (e->count > 1)
            snprintf(d->group, sizeof(d->group), "%s", e->id);
        d->profile = prof;
        d->transport = e->transport;
        d->unit = e->unit;
        d->endpoint = epi;
        d->line = (int)config_setting_source_line(g);
        d->values = calloc(sim->profiles[prof].npoints + 1, sizeof(*d->values));
        if (d->values == NULL)
            return -1;
        memcpy(d->values, values, sim->profiles[prof].npoints * sizeof(*d->values));
        ep->devices[ep->ndevices++] = sim->ndevices++;
    }
    return 0;
}

static int
parse_devices(struct loader *ld, const config_setting_t *list)
{
    int bad = 0;

    if (config_setting_type(list) != CONFIG_TYPE_LIST &&
        config_setting_type(list) != CONFIG_TYPE_ARRAY) {
        cfgc_problem(&ld->ck, NULL, list, "'devices' must be a list: ( { id = ...; }, ... )");
        return -1;
    }
    if (config_setting_length(list) == 0) {
        cfgc_problem(&ld->ck, NULL, list, "no devices");
        return -1;
    }
    for (int i = 0; i < config_setting_length(list); i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned int)i);
        struct dev_entry e;
        struct sim_value *values;
        size_t prof;
        int entry_bad;

        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            cfgc_problem(&ld->ck, NULL, g, "a device is a group: { id = ...; profile = ...; }");
            bad = 1;
            continue;
        }
        /* Values are checked even when the entry has problems, so one run shows them all. */
        entry_bad = parse_entry(ld, g, i + 1, &e) < 0;
        if (e.profile == NULL ||
            profile_get(ld, e.profile, config_setting_get_member(g, "profile"), &prof) < 0) {
            bad = 1;
            remember_failed(ld, e.id);
            continue;
        }
        values = calloc(ld->sim->profiles[prof].npoints + 1, sizeof(*values));
        if (values == NULL)
            return -1;
        if (parse_values(ld, config_setting_get_member(g, "values"), &ld->sim->profiles[prof],
                         values) < 0 ||
            entry_bad || add_devices(ld, g, &e, prof, values) < 0) {
            bad = 1;
            remember_failed(ld, e.id);
        }
        free(values);
    }
    return bad ? -1 : 0;
}

static void
remember_failed(struct loader *ld, const char *id)
{
    char(*grown)[CFG_ID_MAX];

    if (id == NULL)
        return;
    grown = realloc(ld->failed, (ld->nfailed + 1) * sizeof(*grown));
    if (grown == NULL)
        return;
    ld->failed = grown;
    snprintf(ld->failed[ld->nfailed++], CFG_ID_MAX, "%s", id);
}

static int
parse_step(struct loader *ld, const config_setting_t *g, int index, struct sim_step *st)
{
    struct devsim *sim = ld->sim;
    const char *dev = NULL, *action = NULL, *point = NULL;
    const struct cfg_profile *prof;
    struct cfgc_obj o;
    int bad = 0, r;

    memset(st, 0, sizeof(*st));
    st->duration = INFINITY;
    st->point = -1;
    st->code = MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE;
    st->line = (int)config_setting_source_line(g);

    cfgc_obj_init(&o, g, "scenario step", NULL, index);
    if (cfgc_check_keys(&ld->ck, &o, step_keys) > 0)
        bad = 1;
    if ((r = cfgc_get_number(&ld->ck, &o, "at", -HUGE_VAL, HUGE_VAL, &st->at)) <= 0) {
        if (r == 0)
            cfgc_problem(&ld->ck, NULL, g, "step without 'at' (s after start)");
        bad = 1;
    } else if (st->at < 0) {
        cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "at"), "'at' must be >= 0");
        bad = 1;
    }
    if ((r = cfgc_get_number(&ld->ck, &o, "duration", -HUGE_VAL, HUGE_VAL, &st->duration)) < 0)
        bad = 1;
    else if (r > 0 && !(st->duration > 0)) {
        cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "duration"),
                     "'duration' must be > 0");
        bad = 1;
    }
    if ((r = cfgc_get_string(&ld->ck, &o, "action", &action)) <= 0) {
        if (r == 0)
            cfgc_problem(&ld->ck, NULL, g,
                         "step without 'action' (set, silent, exception, glitch)");
        return -1;
    }
    if (strcmp(action, "set") == 0)
        st->action = SIM_SET;
    else if (strcmp(action, "silent") == 0)
        st->action = SIM_SILENT;
    else if (strcmp(action, "exception") == 0)
        st->action = SIM_EXCEPTION;
    else if (strcmp(action, "glitch") == 0)
        st->action = SIM_GLITCH;
    else {
        cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "action"),
                     "unknown action '%s' (set, silent, exception, glitch)", action);
        return -1;
    }

    if ((r = cfgc_get_string(&ld->ck, &o, "device", &dev)) <= 0) {
        if (r == 0)
            cfgc_problem(&ld->ck, NULL, g, "step without 'device'");
        return -1;
    }
    snprintf(st->target, sizeof(st->target), "%s", dev);
    /* A device id, or the id of a `count` entry meaning all of its devices. */
    for (size_t i = 0; i < sim->ndevices; i++) {
        if (strcmp(sim->devices[i].id, dev) == 0) {
            st->dev_first = i;
            st->dev_n = 1;
            break;
        }
        if (strcmp(sim->devices[i].group, dev) == 0) {
            if (st->dev_n == 0)
                st->dev_first = i;
            st->dev_n++;
        }
    }
    if (st->dev_n == 0) {
        for (size_t i = 0; i < ld->nfailed; i++)
            if (strcmp(ld->failed[i], dev) == 0)
                return -1; /* its own problem is reported already */
        cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "device"), "unknown device '%s'",
                     dev);
        return -1;
    }
    prof = &sim->profiles[sim->devices[st->dev_first].profile];

    if ((r = cfgc_get_string(&ld->ck, &o, "point", &point)) < 0)
        bad = 1;
    else if (r > 0) {
        const struct cfg_point *p = cfg_profile_point(prof, point);
        if (st->action == SIM_SILENT || st->action == SIM_EXCEPTION) {
            cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "point"),
                         "'%s' applies to the whole device: no 'point'", action);
            bad = 1;
        } else if (p == NULL) {
            cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "point"),
                         "profile %s has no point '%s'", prof->name, point);
            bad = 1;
        } else if (st->action == SIM_GLITCH && p->type == CFG_T_BIT) {
            cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "point"),
                         "glitch writes 0xFFFF registers: %s is a bit", point);
            bad = 1;
        } else
            st->point = (int)(p - prof->points);
    } else if (st->action == SIM_SET) {
        cfgc_problem(&ld->ck, NULL, g, "'set' needs a 'point'");
        bad = 1;
    }

    if ((r = cfgc_get_number(&ld->ck, &o, "value", -HUGE_VAL, HUGE_VAL, &st->value)) < 0)
        bad = 1;
    else if (r == 0 && st->action == SIM_SET) {
        cfgc_problem(&ld->ck, NULL, g, "'set' needs a 'value'");
        bad = 1;
    } else if (r > 0 && st->action != SIM_SET) {
        cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "value"), "'value' is for 'set'");
        bad = 1;
    }

    if ((r = cfgc_get_int(&ld->ck, &o, "code", INT_MIN, INT_MAX, &st->code)) < 0)
        bad = 1;
    else if (r > 0 && st->action != SIM_EXCEPTION) {
        cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "code"),
                     "'code' is for 'exception'");
        bad = 1;
    } else if (st->code < 1 || st->code >= MODBUS_EXCEPTION_MAX) {
        cfgc_problem(&ld->ck, NULL, config_setting_get_member(g, "code"),
                     "exception code must be 1..%d", MODBUS_EXCEPTION_MAX - 1);
        bad = 1;
    }
    return bad ? -1 : 0;
}

static int
parse_scenario(struct loader *ld, const config_setting_t *list)
{
    struct devsim *sim = ld->sim;
    int n, bad = 0;

    if (config_setting_type(list) != CONFIG_TYPE_LIST &&
        config_setting_type(list) != CONFIG_TYPE_ARRAY) {
        cfgc_problem(&ld->ck, NULL, list, "'scenario' must be a list: ( { at = ...; }, ... )");
        return -1;
    }
    n = config_setting_length(list);
    if (n == 0)
        return 0;
    sim->steps = calloc((size_t)n, sizeof(*sim->steps));
    if (sim->steps == NULL)
        return -1;
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned int)i);

        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            cfgc_problem(&ld->ck, NULL, g,
                         "a scenario step is a group: { at = ...; device = ...; }");
            bad = 1;
            continue;
        }
        if (parse_step(ld, g, i + 1, &sim->steps[sim->nsteps]) < 0)
            bad = 1;
        else
            sim->nsteps++;
    }
    return bad ? -1 : 0;
}

int
devsim_config_load(struct devsim *sim, const char *path, const char *profile_dir_override,
                   struct cfg_diags *diags)
{
    struct loader ld = {.sim = sim};
    struct cfgc_obj top;
    config_t cf;
    const config_setting_t *root, *s;
    const char *pdir = DEFAULT_PROFILE_DIR;
    char *dir = NULL;
    int bad = 0;

    memset(sim, 0, sizeof(*sim));
    cfgc_init(&ld.ck, diags, path);
    sim->seed = 1;
    sim->file = strdup(path);
    dir = cfgc_dir_of(path);
    if (sim->file == NULL || dir == NULL) {
        free(dir);
        return -1;
    }

    config_init(&cf);
    if (cfgc_read_file(&ld.ck, &cf, path) < 0) {
        config_destroy(&cf);
        free(dir);
        return -1;
    }
    root = config_root_setting(&cf);
    cfgc_obj_init(&top, root, "", NULL, 0);
    if (cfgc_check_keys(&ld.ck, &top, top_keys) > 0)
        bad = 1;

    if (cfgc_get_string(&ld.ck, &top, "profile_dir", &pdir) < 0)
        bad = 1;
    sim->profile_dir =
        profile_dir_override != NULL ? strdup(profile_dir_override) : cfgc_path_join(dir, pdir);
    if ((s = config_setting_get_member(root, "seed")) != NULL) {
        if (config_setting_type(s) == CONFIG_TYPE_INT)
            sim->seed = (uint64_t)(int64_t)config_setting_get_int(s);
        else if (config_setting_type(s) == CONFIG_TYPE_INT64)
            sim->seed = (uint64_t)config_setting_get_int64(s);
        else {
            cfgc_problem(&ld.ck, NULL, s, "'seed' must be an integer");
            bad = 1;
        }
    }
    if (sim->profile_dir == NULL) {
        bad = 1;
    } else if ((s = config_setting_get_member(root, "devices")) == NULL) {
        cfg_diag_add(diags, path, 0, "no 'devices'");
        bad = 1;
    } else {
        if (parse_devices(&ld, s) < 0)
            bad = 1;
        if ((s = config_setting_get_member(root, "scenario")) != NULL && parse_scenario(&ld, s) < 0)
            bad = 1;
    }

    config_destroy(&cf);
    free(ld.bad);
    free(ld.failed);
    free(dir);
    /* A failure with no diagnostic can only be memory. */
    if (bad && diags->n == 0)
        cfg_diag_add(diags, path, 0, "out of memory");
    return bad ? -1 : 0;
}

void
devsim_free(struct devsim *sim)
{
    sim_serve_close(sim);
    for (size_t i = 0; i < sim->ndevices; i++)
        free(sim->devices[i].values);
    free(sim->devices);
    for (size_t i = 0; i < sim->nendpoints; i++) {
        free(sim->endpoints[i].host);
        free(sim->endpoints[i].path);
        free(sim->endpoints[i].devices);
    }
    free(sim->endpoints);
    for (size_t i = 0; i < sim->nprofiles; i++)
        cfg_profile_clear(&sim->profiles[i]);
    free(sim->profiles);
    free(sim->steps);
    free(sim->profile_dir);
    free(sim->file);
    memset(sim, 0, sizeof(*sim));
}
