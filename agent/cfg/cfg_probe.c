/*
 * cfg_probe.c - a service device's "probe" group, and the built-in profiles that give each
 * probe type its points (see cfg_probe.h for the points).
 *
 * probe = { type = "tcp"; host = "db1"; port = 5432; }
 * probe = { type = "http"; url = "https://app1/health"; method = "GET"; expect = [200];
 *           body = "ok"; ca_file = "ca.pem"; verify = true; }
 * probe = { type = "icmp"; host = "192.0.2.1"; count = 3; }
 * probe = { type = "dns"; name = "www.example.gov.cn"; server = "192.0.2.53"; port = 53;
 *           record = "A"; }
 * Every type also takes backoff (bool). Keys of another type are errors naming the type
 * they belong to, as the SNMP and Modbus keys of devices are.
 */
#include "cfg/cfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/cfg_probe.h"

#define URL_MAX 2048     /* bytes of a probe URL */
#define BODY_MAX 256     /* bytes of the body substring */
#define NAME_MAX_DNS 253 /* a DNS name's text form (RFC 1035 2.3.4), without the final dot */

static const char *const probe_keys[] = {
    "type",   "host",  "port", "url",    "method", "expect",  "body", "ca_file",
    "verify", "count", "name", "server", "record", "backoff", NULL,
};

/* Which type each type-specific key belongs to (bit per enum cfg_probe_type). */
static const struct {
    const char *key;
    unsigned types;
} type_only[] = {
    {"host", (1u << CFG_PROBE_TCP) | (1u << CFG_PROBE_ICMP)},
    {"port", (1u << CFG_PROBE_TCP) | (1u << CFG_PROBE_DNS)},
    {"url", 1u << CFG_PROBE_HTTP},
    {"method", 1u << CFG_PROBE_HTTP},
    {"expect", 1u << CFG_PROBE_HTTP},
    {"body", 1u << CFG_PROBE_HTTP},
    {"ca_file", 1u << CFG_PROBE_HTTP},
    {"verify", 1u << CFG_PROBE_HTTP},
    {"count", 1u << CFG_PROBE_ICMP},
    {"name", 1u << CFG_PROBE_DNS},
    {"server", 1u << CFG_PROBE_DNS},
    {"record", 1u << CFG_PROBE_DNS},
};

static const char *const type_names[] = {"tcp", "http", "icmp", "dns"};

static void check_host(struct cfgc *ck, const struct cfgc_obj *o, const char *key, char **out);
static void check_url(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_probe *pr);
static void check_expect(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_probe *pr);
static void check_ca_file(struct cfgc *ck, const char *dir, const struct cfgc_obj *o,
                          struct cfg_probe *pr);
static void check_dns(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_probe *pr);

const char *
cfg_probe_type_name(enum cfg_probe_type t)
{
    return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "?";
}

void
cfg_check_probe(struct cfgc *ck, const char *dir, const struct cfgc_obj *dev,
                const config_setting_t *g, struct cfg_probe *pr)
{
    struct cfgc_obj o;
    const char *v;
    char q[CFGC_QBUF];
    int type = -1, r;

    cfgc_obj_init(&o, g, "probe", NULL, 0);
    snprintf(o.what, sizeof(o.what), "%.80s: probe", dev->what);
    cfgc_check_keys(ck, &o, probe_keys);
    pr->verify = 1;
    pr->count = 3;
    r = cfgc_get_string(ck, &o, "type", &v);
    if (r == 0)
        cfgc_missing(ck, &o, "type");
    if (r > 0) {
        for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
            if (strcmp(v, type_names[i]) == 0)
                type = (int)i;
        if (type < 0)
            cfgc_problem(ck, &o, config_setting_get_member(g, "type"),
                         "\"type\" must be one of tcp, http, icmp, dns (is %s)",
                         cfgc_quote(q, sizeof(q), v));
    }
    cfgc_get_bool(ck, &o, "backoff", &pr->backoff);
    if (type < 0)
        return; /* which keys belong cannot be told */
    pr->type = (enum cfg_probe_type)type;
    for (size_t i = 0; i < sizeof(type_only) / sizeof(type_only[0]); i++) {
        const config_setting_t *at = config_setting_get_member(g, type_only[i].key);

        if (at != NULL && !(type_only[i].types & (1u << type)))
            cfgc_problem(ck, &o, at, "\"%s\" does not apply to a %s probe", type_only[i].key,
                         type_names[type]);
    }
    switch (pr->type) {
    case CFG_PROBE_TCP:
        check_host(ck, &o, "host", &pr->host);
        if (cfgc_get_int(ck, &o, "port", 1, 65535, &pr->port) == 0)
            cfgc_missing(ck, &o, "port");
        break;
    case CFG_PROBE_HTTP:
        check_url(ck, &o, pr);
        if (cfgc_get_string(ck, &o, "method", &v) > 0) {
            if (strcmp(v, "HEAD") == 0)
                pr->head = 1;
            else if (strcmp(v, "GET") != 0)
                cfgc_problem(ck, &o, config_setting_get_member(g, "method"),
                             "\"method\" must be GET or HEAD (is %s)", cfgc_quote(q, sizeof(q), v));
        }
        check_expect(ck, &o, pr);
        if (cfgc_get_text(ck, &o, "body", BODY_MAX, &v) > 0) {
            if (v[0] == '\0')
                cfgc_problem(ck, &o, config_setting_get_member(g, "body"),
                             "\"body\" must not be empty");
            else if (pr->head)
                cfgc_problem(ck, &o, config_setting_get_member(g, "body"),
                             "\"body\" needs method GET: a HEAD answer has no body");
            else
                pr->body = cfgc_strdup(ck, v);
        }
        check_ca_file(ck, dir, &o, pr);
        break;
    case CFG_PROBE_ICMP:
        check_host(ck, &o, "host", &pr->host);
        cfgc_get_int(ck, &o, "count", 1, 10, &pr->count);
        break;
    case CFG_PROBE_DNS:
        check_dns(ck, &o, pr);
        break;
    }
}

void
cfg_probe_clear(struct cfg_probe *pr)
{
    free(pr->host);
    free(pr->url);
    free(pr->body);
    free(pr->ca_file);
    free(pr->name);
    free(pr->server);
    memset(pr, 0, sizeof(*pr));
}

/* A host name or an IP address (without brackets), required. */
static void
check_host(struct cfgc *ck, const struct cfgc_obj *o, const char *key, char **out)
{
    const char *v;
    char q[CFGC_QBUF];
    int r = cfgc_get_string(ck, o, key, &v);

    if (r == 0)
        cfgc_missing(ck, o, key);
    if (r <= 0)
        return;
    if (v[0] == '\0' || strlen(v) >= 256 ||
        v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%")] != '\0')
        cfgc_problem(ck, o, config_setting_get_member(o->s, key),
                     "\"%s\" must be a host name or IP address (is %s)", key,
                     cfgc_quote(q, sizeof(q), v));
    else
        *out = cfgc_strdup(ck, v);
}

/*
 * http://host[:port][/path] or https://...: the scheme and a host are checked here; the
 * rest is libcurl's to parse. No spaces or control characters (they would have to be
 * percent-encoded), no user:password@ (a secret in the config and in logs).
 */
static void
check_url(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_probe *pr)
{
    const config_setting_t *at = config_setting_get_member(o->s, "url");
    const char *v, *host, *end;
    char q[CFGC_QBUF];
    int r = cfgc_get_string(ck, o, "url", &v);

    if (r == 0)
        cfgc_missing(ck, o, "url");
    if (r <= 0)
        return;
    if (strncmp(v, "http://", 7) == 0) {
        host = v + 7;
    } else if (strncmp(v, "https://", 8) == 0) {
        host = v + 8;
        pr->tls = 1;
    } else {
        cfgc_problem(ck, o, at, "\"url\" must start with http:// or https:// (is %s)",
                     cfgc_quote(q, sizeof(q), v));
        return;
    }
    end = host + strcspn(host, "/?#");
    for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            cfgc_problem(ck, o, at,
                         "\"url\" must not hold spaces or control characters "
                         "(percent-encode them)");
            return;
        }
    }
    if (strlen(v) >= URL_MAX) {
        cfgc_problem(ck, o, at, "\"url\" is longer than %d bytes", URL_MAX - 1);
    } else if (end == host || *host == ':') {
        cfgc_problem(ck, o, at, "\"url\" has no host (is %s)", cfgc_quote(q, sizeof(q), v));
    } else if (memchr(host, '@', (size_t)(end - host)) != NULL) {
        cfgc_problem(ck, o, at, "\"url\" must not hold a user or password");
    } else {
        pr->url = cfgc_strdup(ck, v);
    }
}

/* expect = [200, 204]: the statuses that mean up. */
static void
check_expect(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_probe *pr)
{
    const config_setting_t *s = config_setting_get_member(o->s, "expect");
    int n;

    if (s == NULL)
        return;
    n = config_setting_length(s);
    if (!(config_setting_is_array(s) || config_setting_is_list(s)) || n == 0 ||
        n > CFG_PROBE_EXPECT_MAX) {
        cfgc_problem(ck, o, s, "\"expect\" must be a list of 1 to %d HTTP statuses, like [200]",
                     CFG_PROBE_EXPECT_MAX);
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        long long v;

        if (config_setting_type(e) != CONFIG_TYPE_INT &&
            config_setting_type(e) != CONFIG_TYPE_INT64) {
            cfgc_problem(ck, o, s, "\"expect\" must be a list of integers (HTTP statuses)");
            return;
        }
        v = config_setting_get_int64(e);
        if (v < 100 || v > 599) {
            cfgc_problem(ck, o, s, "\"expect\": %lld is not an HTTP status (100 .. 599)", v);
            return;
        }
        pr->expect[i] = (int)v;
    }
    pr->nexpect = n;
}

/* ca_file and verify, which only an https URL uses. */
static void
check_ca_file(struct cfgc *ck, const char *dir, const struct cfgc_obj *o, struct cfg_probe *pr)
{
    const config_setting_t *at = config_setting_get_member(o->s, "ca_file");
    const config_setting_t *vat = config_setting_get_member(o->s, "verify");
    const char *v;
    char q[CFGC_QBUF];
    int fd;

    if (cfgc_get_bool(ck, o, "verify", &pr->verify) > 0 && pr->url != NULL && !pr->tls)
        cfgc_problem(ck, o, vat, "\"verify\" needs an https URL");
    if (cfgc_get_string(ck, o, "ca_file", &v) <= 0)
        return;
    if (pr->url != NULL && !pr->tls) {
        cfgc_problem(ck, o, at, "\"ca_file\" needs an https URL");
        return;
    }
    if (!pr->verify) {
        cfgc_problem(ck, o, at, "\"ca_file\" is of no use with verify = false");
        return;
    }
    if (v[0] == '\0') {
        cfgc_problem(ck, o, at, "\"ca_file\" must not be empty");
        return;
    }
    if ((pr->ca_file = cfgc_path_join(dir, v)) == NULL) {
        cfgc_nomem(ck);
        return;
    }
    if ((fd = open(pr->ca_file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
        cfgc_problem(ck, o, at, "\"ca_file\" %s: %s", cfgc_quote(q, sizeof(q), pr->ca_file),
                     strerror(errno));
    else
        close(fd);
}

/* name, server (an IP address: the resolver is asked directly), port, record. */
static void
check_dns(struct cfgc *ck, const struct cfgc_obj *o, struct cfg_probe *pr)
{
    const config_setting_t *g = o->s;
    unsigned char addr[16];
    const char *v;
    char q[CFGC_QBUF];
    int r = cfgc_get_string(ck, o, "name", &v);

    if (r == 0)
        cfgc_missing(ck, o, "name");
    if (r > 0) {
        size_t len = strlen(v);

        if (len == 0 || len > NAME_MAX_DNS + 1 || (len == NAME_MAX_DNS + 1 && v[len - 1] != '.') ||
            v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")] !=
                '\0' ||
            v[0] == '.' || strstr(v, "..") != NULL)
            cfgc_problem(ck, o, config_setting_get_member(g, "name"),
                         "\"name\" must be a DNS name (is %s)", cfgc_quote(q, sizeof(q), v));
        else
            pr->name = cfgc_strdup(ck, v);
    }
    r = cfgc_get_string(ck, o, "server", &v);
    if (r == 0)
        cfgc_missing(ck, o, "server");
    if (r > 0) {
        if (inet_pton(AF_INET, v, addr) != 1 && inet_pton(AF_INET6, v, addr) != 1)
            cfgc_problem(ck, o, config_setting_get_member(g, "server"),
                         "\"server\" must be an IPv4 or IPv6 address (is %s)",
                         cfgc_quote(q, sizeof(q), v));
        else
            pr->server = cfgc_strdup(ck, v);
    }
    pr->port = 53;
    cfgc_get_int(ck, o, "port", 1, 65535, &pr->port);
    if (cfgc_get_string(ck, o, "record", &v) > 0) {
        if (strcmp(v, "AAAA") == 0)
            pr->aaaa = 1;
        else if (strcmp(v, "A") != 0)
            cfgc_problem(ck, o, config_setting_get_member(g, "record"),
                         "\"record\" must be A or AAAA (is %s)", cfgc_quote(q, sizeof(q), v));
    }
}

/* ------------------------------------------------------------------------------------- */
/* Built-in profiles                                                                      */

struct bpoint {
    const char *name, *quantity, *unit;
    double min, max;
};

static const struct bpoint up_pt = {"up", "state", "", 0, 1};
static const struct bpoint tcp_pts[] = {{"latency_ms", "latency", "ms", 0, HUGE_VAL}};
static const struct bpoint http_pts[] = {
    {"latency_ms", "latency", "ms", 0, HUGE_VAL},
    {"status", "http_status", "", 100, 599},
    {"cert_days", "cert_validity", "d", -HUGE_VAL, HUGE_VAL},
};
static const struct bpoint icmp_pts[] = {
    {"rtt_ms", "latency", "ms", 0, HUGE_VAL},
    {"loss", "loss", "%", 0, 100},
};
static const struct bpoint dns_pts[] = {
    {"latency_ms", "latency", "ms", 0, HUGE_VAL},
    {"answers", "count", "", 0, HUGE_VAL},
};

const char *
cfg_probe_profile_name(const struct cfg_probe *pr)
{
    switch (pr->type) {
    case CFG_PROBE_TCP:
        return CFG_PROBE_PROFILE_PREFIX "tcp";
    case CFG_PROBE_HTTP:
        return pr->tls ? CFG_PROBE_PROFILE_PREFIX "https" : CFG_PROBE_PROFILE_PREFIX "http";
    case CFG_PROBE_ICMP:
        return CFG_PROBE_PROFILE_PREFIX "icmp";
    case CFG_PROBE_DNS:
        return CFG_PROBE_PROFILE_PREFIX "dns";
    }
    return "?";
}

static void
set_point(struct cfg_point *pt, const struct bpoint *b)
{
    memset(pt, 0, sizeof(*pt));
    snprintf(pt->name, sizeof(pt->name), "%s", b->name);
    snprintf(pt->quantity, sizeof(pt->quantity), "%s", b->quantity);
    snprintf(pt->unit, sizeof(pt->unit), "%s", b->unit);
    pt->scale = 1.0;
    pt->min = b->min;
    pt->max = b->max;
    pt->oid_index_at = -1;
}

enum cfg_status
cfg_probe_profile(const struct cfg_probe *pr, struct cfg_profile *out)
{
    const struct bpoint *pts = tcp_pts;
    size_t n = 1;

    memset(out, 0, sizeof(*out));
    switch (pr->type) {
    case CFG_PROBE_TCP:
        break;
    case CFG_PROBE_HTTP:
        pts = http_pts;
        n = pr->tls ? 3 : 2;
        break;
    case CFG_PROBE_ICMP:
        pts = icmp_pts;
        n = 2;
        break;
    case CFG_PROBE_DNS:
        pts = dns_pts;
        n = 2;
        break;
    }
    snprintf(out->name, sizeof(out->name), "%s", cfg_probe_profile_name(pr));
    out->protocol = CFG_PROTO_PROBE;
    out->model = strdup("service probe");
    out->file = strdup("(built in)");
    out->points = calloc(n + 1, sizeof(*out->points));
    if (out->model == NULL || out->file == NULL || out->points == NULL) {
        cfg_profile_clear(out);
        return CFG_ERR_NOMEM;
    }
    set_point(&out->points[0], &up_pt);
    for (size_t i = 0; i < n; i++)
        set_point(&out->points[i + 1], &pts[i]);
    out->npoints = n + 1;
    return CFG_OK;
}
