/*
 * cfg_notify.c - the "notify" list of the main config: the channels a person on duty reads,
 * and the "escalation" limits. Checked in the same pass as the rest of the file, with every
 * problem at its file and line.
 *
 * Accepted shape (config/README.md, "notify", has every key):
 *
 *   notify = (
 *     { id = "duty"; type = "dingtalk"; key_file = "dingtalk.token"; secret_file = "dingtalk.sec";
 *       routes = ( { events = ["incident_opened", "incident_resolved"];
 *                    severities = ["critical", "major"]; } );
 *       quiet_hours = ["22:00", "07:00"]; rate_limit = 20; language = "zh"; },
 *     { id = "am"; type = "alertmanager"; url = "http://127.0.0.1:9093"; },
 *     { id = "mail"; type = "email"; url = "smtp://mail.example:587"; from = "rw@example";
 *       to = ["duty@example"]; username = "rw"; password_file = "smtp.pass"; }
 *   );
 *   escalation = { critical = 900; major = 3600; };
 *
 * Decisions where the issue is silent: the robots' endpoints have their public defaults and
 * only their key (and signing secret) come from 0600 files, so no secret sits in the config
 * itself; a channel without routes takes every event; the robots' rate limit defaults to
 * their documented 20 a minute; the language is per channel, Chinese unless "en".
 */
#include "cfg/cfg_notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#define RATE_MAX 6000        /* messages a minute */
#define TIMEOUT_DEFAULT 10.0 /* s */
#define RESEND_DEFAULT 60.0  /* s: well inside Alertmanager's resolve_timeout of 5 min */
#define ESCALATE_MAX (7 * 86400.0)
#define ROBOT_RATE 20 /* WeCom and DingTalk: 20 a minute (libraries.md §10) */

static const char *const types[] = {
    [CFG_NT_WECOM] = "wecom",     [CFG_NT_DINGTALK] = "dingtalk",
    [CFG_NT_FEISHU] = "feishu",   [CFG_NT_ALERTMANAGER] = "alertmanager",
    [CFG_NT_WEBHOOK] = "webhook", [CFG_NT_EMAIL] = "email",
};
static const char *const default_urls[] = {
    [CFG_NT_WECOM] = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
    [CFG_NT_DINGTALK] = "https://oapi.dingtalk.com/robot/send",
    [CFG_NT_FEISHU] = "https://open.feishu.cn/open-apis/bot/v2/hook",
    [CFG_NT_ALERTMANAGER] = NULL,
    [CFG_NT_WEBHOOK] = NULL,
    [CFG_NT_EMAIL] = NULL,
};
static const char *const event_names[] = {
    "incident_opened", "incident_escalated", "incident_resolved",
    "alert_raised",    "alert_recovered",    "alert_lost",
};
static const char *const sev_names[] = {"critical", "major", "minor", "warning"};
static const char *const cat_names[] = {"power", "environment", "network", "device", "security"};

static const char *const channel_keys[] = {
    "id",     "type",        "url",           "key_file", "secret_file", "language",
    "routes", "quiet_hours", "rate_limit",    "timeout",  "resend",      "from",
    "to",     "username",    "password_file", "starttls", "ca_file",     NULL,
};
static const char *const route_keys[] = {"events", "severities", "categories", NULL};
static const char *const escalation_keys[] = {"critical", "major", "minor", "warning", NULL};

const char *
cfg_nt_type_name(enum cfg_nt_type t)
{
    return (size_t)t < sizeof(types) / sizeof(types[0]) ? types[t] : "?";
}

const struct cfg_notify *
cfg_notify_find(const struct rw_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->nnotify; i++)
        if (strcmp(cfg->notify[i].id, id) == 0)
            return &cfg->notify[i];
    return NULL;
}

static void
wipe(char *s)
{
    if (s != NULL)
        explicit_bzero(s, strlen(s));
    free(s);
}

void
cfg_free_notify(struct rw_config *cfg)
{
    for (size_t i = 0; i < cfg->nnotify; i++) {
        struct cfg_notify *n = &cfg->notify[i];

        free(n->url);
        free(n->ca_file);
        wipe(n->key);
        free(n->key_file);
        wipe(n->secret);
        free(n->secret_file);
        free(n->routes);
        free(n->from);
        for (size_t k = 0; k < n->nto; k++)
            free(n->to[k]);
        free(n->to);
        free(n->username);
        wipe(n->password);
        free(n->password_file);
    }
    free(cfg->notify);
    cfg->notify = NULL;
    cfg->nnotify = 0;
}

/* A list of names out of names[] as a bit mask into *mask; reports what is not one. */
static void
name_mask(struct cfgc *ck, const struct cfgc_obj *o, const char *key, const char *const *names,
          size_t nnames, unsigned *mask)
{
    const config_setting_t *l = config_setting_get_member(o->s, key);
    char q[CFGC_QBUF], all[256];
    size_t off = 0;
    unsigned m = 0;
    int n;

    if (l == NULL)
        return;
    for (size_t k = 0; k < nnames && off < sizeof(all); k++)
        off += (size_t)snprintf(all + off, sizeof(all) - off, "%s%s", k ? ", " : "", names[k]);
    if (!config_setting_is_array(l) && !config_setting_is_list(l)) {
        cfgc_problem(ck, o, l, "\"%s\" must be a list of names: %s", key, all);
        return;
    }
    n = config_setting_length(l);
    if (n == 0) {
        cfgc_problem(ck, o, l, "\"%s\" must not be empty (leave it out to take all)", key);
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
        const char *v = config_setting_get_string(e);
        size_t k;

        for (k = 0; v != NULL && k < nnames; k++)
            if (strcmp(v, names[k]) == 0)
                break;
        if (v == NULL || k == nnames) {
            cfgc_problem(ck, o, e, "\"%s\": %s is not one of %s", key,
                         v ? cfgc_quote(q, sizeof(q), v) : "a non-string", all);
            continue;
        }
        m |= 1u << k;
    }
    *mask = m;
}

static void
check_routes(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_notify *n)
{
    const config_setting_t *l = cfgc_get_list(ck, o, "routes", 0);
    int len = l != NULL ? config_setting_length(l) : 0;

    if (l != NULL && len == 0)
        cfgc_problem(ck, o, l, "\"routes\" must not be empty (leave it out to send everything)");
    if ((n->routes = calloc(len > 0 ? (size_t)len : 1, sizeof(*n->routes))) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    if (len <= 0) {
        n->routes[0] = (struct cfg_nt_route){CFG_NT_EV_ALL, ~0u, ~0u};
        n->nroutes = 1;
        return;
    }
    for (int i = 0; i < len; i++) {
        const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        struct cfg_nt_route *r = &n->routes[n->nroutes++];
        struct cfgc_obj ro;

        *r = (struct cfg_nt_route){CFG_NT_EV_ALL, ~0u, ~0u};
        cfgc_obj_init(&ro, g, "route", NULL, i + 1);
        snprintf(ro.what, sizeof(ro.what), "channel \"%s\" route #%d", n->id, i + 1);
        if (!config_setting_is_group(g)) {
            cfgc_problem(ck, &ro, g, "must be a group { events = [...]; ... }");
            continue;
        }
        cfgc_check_keys(ck, &ro, route_keys);
        name_mask(ck, &ro, "events", event_names, 6, &r->events);
        name_mask(ck, &ro, "severities", sev_names, 4, &r->severities);
        name_mask(ck, &ro, "categories", cat_names, 5, &r->categories);
    }
}

/* "HH:MM" into minutes of the day; -1 if it is not one. */
static int
parse_hhmm(const char *v)
{
    int h, m;
    char end;

    if (v == NULL || strlen(v) != 5 || sscanf(v, "%2d:%2d%c", &h, &m, &end) != 2 || h < 0 ||
        h > 23 || m < 0 || m > 59 || v[2] != ':')
        return -1;
    return h * 60 + m;
}

static void
check_quiet(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_notify *n)
{
    const config_setting_t *l = config_setting_get_member(o->s, "quiet_hours");
    int a, b;

    n->quiet_from = n->quiet_to = -1;
    if (l == NULL)
        return;
    if ((!config_setting_is_array(l) && !config_setting_is_list(l)) ||
        config_setting_length(l) != 2 ||
        (a = parse_hhmm(config_setting_get_string_elem(l, 0))) < 0 ||
        (b = parse_hhmm(config_setting_get_string_elem(l, 1))) < 0) {
        cfgc_problem(ck, o, l,
                     "\"quiet_hours\" must be [\"HH:MM\", \"HH:MM\"], from and to in the site's "
                     "time zone");
        return;
    }
    if (a == b) {
        cfgc_problem(ck, o, l, "\"quiet_hours\" must not start and end at the same time");
        return;
    }
    n->quiet_from = a;
    n->quiet_to = b;
}

/* A secret file named by key into *path and *out; required says whether it must be there. */
static void
secret_file(struct cfgc *ck, const struct cfgc_obj *o, const char *dir, const char *key,
            int required, char **path, char **out)
{
    const config_setting_t *at = config_setting_get_member(o->s, key);
    const char *v;
    int r = cfgc_get_string(ck, o, key, &v);

    if (r == 0 && required)
        cfgc_missing(ck, o, key);
    if (r <= 0)
        return;
    if (v[0] == '\0')
        cfgc_problem(ck, o, at, "\"%s\" must not be empty", key);
    else if ((*path = cfgc_path_join(dir, v)) == NULL)
        cfgc_nomem(ck);
    else
        cfg_read_secret(ck, o, at, key, *path, 1, out);
}

/* Keys that only some types take: each one given to another type is reported. */
static void
only_for(struct cfgc *ck, const struct cfgc_obj *o, const char *key, enum cfg_nt_type t,
         unsigned types_mask)
{
    const config_setting_t *at = config_setting_get_member(o->s, key);

    if (at != NULL && !(types_mask & (1u << t)))
        cfgc_problem(ck, o, at, "\"%s\" does not apply to type %s", key, cfg_nt_type_name(t));
}

#define T(x) (1u << (x))
#define ROBOTS (T(CFG_NT_WECOM) | T(CFG_NT_DINGTALK) | T(CFG_NT_FEISHU))

static void
check_url(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_notify *n)
{
    const config_setting_t *at = config_setting_get_member(o->s, "url");
    const char *v = NULL;
    char q[CFGC_QBUF];
    int r = cfgc_get_string(ck, o, "url", &v);

    if (r < 0)
        return;
    if (r == 0) {
        if (default_urls[n->type] == NULL)
            cfgc_missing(ck, o, "url");
        else
            n->url = cfgc_strdup(ck, default_urls[n->type]);
        return;
    }
    if (n->type == CFG_NT_EMAIL ? strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0
                                : strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
        cfgc_problem(ck, o, at, "\"url\" %s must start with %s", cfgc_quote(q, sizeof(q), v),
                     n->type == CFG_NT_EMAIL ? "smtp:// or smtps://" : "http:// or https://");
        return;
    }
    if (strchr(v, '?') != NULL && (ROBOTS & T(n->type))) {
        cfgc_problem(ck, o, at,
                     "\"url\" must not carry the robot's key; put it in \"key_file\" (mode 0600)");
        return;
    }
    n->url = cfgc_strdup(ck, v);
}

static void
check_email(struct cfgc *ck, const struct cfgc_obj *o, const char *dir, struct cfg_notify *n)
{
    const config_setting_t *l;
    const char *v;
    int len;

    if (cfgc_get_text(ck, o, "from", CFGC_TEXT_MAX, &v) > 0)
        n->from = cfgc_strdup(ck, v);
    else if (config_setting_get_member(o->s, "from") == NULL)
        cfgc_missing(ck, o, "from");
    l = config_setting_get_member(o->s, "to");
    if (l == NULL) {
        cfgc_missing(ck, o, "to");
    } else if (!config_setting_is_array(l) && !config_setting_is_list(l)) {
        cfgc_problem(ck, o, l, "\"to\" must be a list of addresses [\"...\"]");
        l = NULL;
    }
    len = l != NULL ? config_setting_length(l) : 0;
    if (l != NULL && len == 0)
        cfgc_problem(ck, o, l, "\"to\" must name at least one address");
    if (len > 0 && (n->to = calloc((size_t)len, sizeof(*n->to))) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    for (int i = 0; i < len; i++) {
        const config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
        const char *a = config_setting_get_string(e);

        if (a == NULL || strchr(a, '@') == NULL || !cfgc_valid_text(a, CFGC_TEXT_MAX)) {
            cfgc_problem(ck, o, e, "\"to\": each must be an address like \"duty@example.org\"");
            continue;
        }
        n->to[n->nto++] = cfgc_strdup(ck, a);
    }
    n->starttls = 1;
    cfgc_get_bool(ck, o, "starttls", &n->starttls);
    if (cfgc_get_text(ck, o, "username", CFGC_TEXT_MAX, &v) > 0)
        n->username = cfgc_strdup(ck, v);
    secret_file(ck, o, dir, "password_file", 0, &n->password_file, &n->password);
    if (n->password_file != NULL && n->username == NULL)
        cfgc_problem(ck, o, config_setting_get_member(o->s, "password_file"),
                     "\"password_file\" needs \"username\"");
}

/* libcurl reads it at each send: a missing one should stop -t, not the first notification. */
static void
check_ca_file(struct cfgc *ck, const struct cfgc_obj *o, const char *dir, struct cfg_notify *n)
{
    const config_setting_t *at = config_setting_get_member(o->s, "ca_file");
    char q[CFGC_QBUF];
    const char *v;
    FILE *fp;

    if (cfgc_get_string(ck, o, "ca_file", &v) <= 0)
        return;
    if ((n->ca_file = cfgc_path_join(dir, v)) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    if (v[0] == '\0' || (fp = fopen(n->ca_file, "re")) == NULL) {
        cfgc_problem(ck, o, at, "\"ca_file\" %s: %s", cfgc_quote(q, sizeof(q), n->ca_file),
                     v[0] == '\0' ? "must not be empty" : strerror(errno));
        return;
    }
    fclose(fp);
}

static void
check_channel(struct cfgc *ck, struct rw_config *cfg, const char *dir, const config_setting_t *s,
              int index)
{
    struct cfg_notify *n = &cfg->notify[cfg->nnotify];
    struct cfgc_obj o;
    const char *v;
    char q[CFGC_QBUF];
    int r, typed = 0;

    cfgc_obj_init(&o, s, "channel", NULL, index);
    if (!config_setting_is_group(s)) {
        cfgc_problem(ck, &o, s, "must be a group { id = ...; type = ...; }");
        return;
    }
    cfg->nnotify++;
    n->line = cfgc_src_line(s);
    n->quiet_from = n->quiet_to = -1;
    n->timeout = TIMEOUT_DEFAULT;
    n->resend = RESEND_DEFAULT;
    if (cfgc_get_id(ck, &o, "id", CFGC_ID_ANY, 1, &v) > 0) {
        for (size_t j = 0; j + 1 < cfg->nnotify; j++) {
            if (strcmp(cfg->notify[j].id, v) == 0) {
                cfgc_problem(ck, &o, config_setting_get_member(s, "id"),
                             "duplicate channel id \"%s\" (first at line %d)", v,
                             cfg->notify[j].line);
                break;
            }
        }
        memcpy(n->id, v, strlen(v) + 1);
        cfgc_obj_init(&o, s, "channel", v, 0);
    }
    cfgc_check_keys(ck, &o, channel_keys);
    r = cfgc_get_string(ck, &o, "type", &v);
    if (r == 0)
        cfgc_missing(ck, &o, "type");
    for (size_t k = 0; r > 0 && k < sizeof(types) / sizeof(types[0]); k++) {
        if (strcmp(v, types[k]) == 0) {
            n->type = (enum cfg_nt_type)k;
            typed = 1;
        }
    }
    if (r > 0 && !typed)
        cfgc_problem(ck, &o, config_setting_get_member(s, "type"),
                     "\"type\" must be one of wecom, dingtalk, feishu, alertmanager, webhook, "
                     "email (is %s)",
                     cfgc_quote(q, sizeof(q), v));
    if (cfgc_get_string(ck, &o, "language", &v) > 0) {
        if (strcmp(v, "en") == 0)
            n->english = 1;
        else if (strcmp(v, "zh") != 0)
            cfgc_problem(ck, &o, config_setting_get_member(s, "language"),
                         "\"language\" must be \"zh\" or \"en\" (is %s)",
                         cfgc_quote(q, sizeof(q), v));
    }
    check_routes(ck, &o, n);
    check_quiet(ck, &o, n);
    if (typed && (ROBOTS & T(n->type)))
        n->rate_limit = n->type == CFG_NT_FEISHU ? 100 : ROBOT_RATE;
    cfgc_get_int(ck, &o, "rate_limit", 0, RATE_MAX, &n->rate_limit);
    cfgc_get_number(ck, &o, "timeout", 0.5, 300, &n->timeout);
    check_ca_file(ck, &o, dir, n);
    if (!typed)
        return; /* which keys belong cannot be told */
    check_url(ck, &o, n);
    only_for(ck, &o, "key_file", n->type, ROBOTS);
    only_for(ck, &o, "secret_file", n->type, T(CFG_NT_DINGTALK) | T(CFG_NT_FEISHU));
    only_for(ck, &o, "resend", n->type, T(CFG_NT_ALERTMANAGER));
    for (const char *const *k =
             (const char *const[]){"from", "to", "username", "password_file", "starttls", NULL};
         *k != NULL; k++)
        only_for(ck, &o, *k, n->type, T(CFG_NT_EMAIL));
    if (ROBOTS & T(n->type))
        secret_file(ck, &o, dir, "key_file", 1, &n->key_file, &n->key);
    if (n->type == CFG_NT_DINGTALK || n->type == CFG_NT_FEISHU)
        secret_file(ck, &o, dir, "secret_file", 0, &n->secret_file, &n->secret);
    if (n->type == CFG_NT_ALERTMANAGER)
        cfgc_get_number(ck, &o, "resend", 10, 3600, &n->resend);
    if (n->type == CFG_NT_EMAIL)
        check_email(ck, &o, dir, n);
}

static void
check_escalation(struct cfgc *ck, const struct cfgc_obj *root, struct rw_config *cfg)
{
    const config_setting_t *g = cfgc_get_group(ck, root, "escalation", 0);
    struct cfgc_obj o;

    if (g == NULL)
        return;
    cfgc_obj_init(&o, g, "escalation", NULL, 0);
    cfgc_check_keys(ck, &o, escalation_keys);
    for (size_t k = 0; k < 4; k++)
        cfgc_get_number(ck, &o, sev_names[k], 0, ESCALATE_MAX, &cfg->escalate[k]);
}

void
cfg_check_notify(struct cfgc *ck, const struct cfgc_obj *root, struct rw_config *cfg,
                 const char *dir)
{
    const config_setting_t *list = cfgc_get_list(ck, root, "notify", 0);
    int n = list != NULL ? config_setting_length(list) : 0;

    check_escalation(ck, root, cfg);
    if (n == 0)
        return;
    if ((cfg->notify = calloc((size_t)n, sizeof(*cfg->notify))) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    for (int i = 0; i < n; i++)
        check_channel(ck, cfg, dir, config_setting_get_elem(list, (unsigned)i), i + 1);
}
