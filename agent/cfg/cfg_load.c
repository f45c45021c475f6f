/*
 * cfg_load.c - reading and checking roomwatch's libconfig files: the main config
 * (cfg_load) and the device profiles its devices reference (cfg_profile_load).
 *
 * Every check runs even after one has failed, so that one `roomwatchd -t` lists every
 * problem, each at the file and line libconfig recorded for the setting (for a part pulled
 * in with @include, the included file). Types are strict, libconfig's auto-conversion is
 * off: an integer is accepted where a number is expected, never the reverse, and a key the
 * schema does not know is an error, since a misspelt key silently left at its default is
 * the worst kind of config bug. The schema is drawn in config/README.md.
 *
 * Both file kinds share the checking layer below (typed getters, unknown keys, messages),
 * which is why cfg_profile_load() lives here rather than in cfg_profile.c.
 *
 * Nothing here logs: problems go to the caller's cfg_diags, sorted by file and line.
 */
#include "cfg/cfg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#ifndef ROOMWATCH_PROFILE_DIR
#error "ROOMWATCH_PROFILE_DIR (where installed profiles live) comes from CMake"
#endif

#define QBUF 256          /* a value quoted into a message, at most */
#define PASSWORD_MAX 4096 /* bytes of password_file read; the password is its first line */
#define TEXT_MAX 256      /* bytes of free text (site name, model), including the NUL */

/* Limits of the Modbus application protocol (V1.1b3, 6.1-6.4): per read request. */
#define PDU_MAX_READ_REGISTERS 125
#define PDU_MAX_READ_BITS 2000

/* One file being checked: where its problems go, and whether there were any. */
struct ld {
    struct cfg_diags *diags;
    const char *path; /* as given: names the file when libconfig has no name for it */
    int nerr;
    int nomem;
};

/* The group being checked, as messages name it ("device \"meter1\""); "" at top level. */
struct obj {
    const config_setting_t *s;
    char what[CFG_ID_MAX + 32];
};

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
};

/* A profile name devices use, and what came of loading it. */
struct seen_profile {
    const char *name;
    int index; /* into cfg->profiles; -1 if it failed to load, -2 if there is no such file */
};

/* One cfg_load(). libconfig's strings stay valid until it returns. */
struct cl {
    struct ld ld;
    struct rw_config *cfg;
    char *dir;             /* the config file's folder: relative paths start here */
    int profile_dir_ok;    /* 0 when profile_dir had a problem: no "unknown profile" cascade */
    struct busref *busref; /* parallel to cfg->buses */
    struct devref *devref; /* parallel to cfg->devices */
};

enum idset {
    ID_ANY,   /* ids: A-Z a-z 0-9 _ - */
    ID_LOWER, /* point names and quantities: a-z 0-9 _ */
    ID_KIND,  /* device kinds: a-z _ */
};

/* Checking layer. */
static const char *src_file(const struct ld *ld, const config_setting_t *s);
static int src_line(const config_setting_t *s);
static void problem(struct ld *ld, const struct obj *o, const config_setting_t *at, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));
static void file_problem(struct ld *ld, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *sdup(struct ld *ld, const char *s);
static char *fmt_dup(struct ld *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *quote(char *buf, size_t size, const char *s);
static const char *where(char *buf, size_t size, const config_setting_t *first,
                         const config_setting_t *here);
static void obj_init(struct obj *o, const config_setting_t *s, const char *kind, const char *id,
                     int index);
static int edit_distance(const char *a, const char *b);
static const char *closest(const char *name, const char *const *cands, size_t n);
static void check_keys(struct ld *ld, const struct obj *o, const char *const *known);
static void missing(struct ld *ld, const struct obj *o, const char *key);
static int get_string(struct ld *ld, const struct obj *o, const char *key, const char **out);
static int get_int(struct ld *ld, const struct obj *o, const char *key, long long lo, long long hi,
                   int *out);
static int get_number(struct ld *ld, const struct obj *o, const char *key, double lo, double hi,
                      double *out);
static int get_bool(struct ld *ld, const struct obj *o, const char *key, int *out);
static config_setting_t *get_group(struct ld *ld, const struct obj *o, const char *key,
                                   int required);
static config_setting_t *get_list(struct ld *ld, const struct obj *o, const char *key,
                                  int required);
static int valid_id(const char *s, enum idset set);
static int get_id(struct ld *ld, const struct obj *o, const char *key, enum idset set, int required,
                  const char **out);
static int valid_text(const char *s, size_t max);
static int get_text(struct ld *ld, const struct obj *o, const char *key, size_t max,
                    const char **out);
static int read_file(struct ld *ld, config_t *lc, const char *path);
static void sort_diags(struct cfg_diags *d, size_t from);
static enum cfg_status status_of(const struct ld *ld);

/* Paths. */
static char *dir_of(const char *path);
static char *path_join(const char *dir, const char *rel);
static int is_dir(const char *path);

/* Profiles. */
static void check_profile(struct ld *ld, const config_setting_t *root, struct cfg_profile *p);
static void check_point(struct ld *ld, const struct cfg_profile *p, const config_setting_t *s,
                        int index, struct cfg_point *pt);
static int parse_enum_dtype(const char *s, enum cfg_dtype *out);
static int parse_enum_order(const char *s, enum cfg_order *out);

/* The main config. */
static void check_config(struct cl *c, const config_setting_t *root);
static void check_site(struct cl *c, const struct obj *root);
static void check_timezone(struct cl *c, const struct obj *o);
static void check_mqtt(struct cl *c, const struct obj *root);
static const char *check_uri(const char *uri, int *tls);
static int read_password(struct ld *ld, const struct obj *o, const config_setting_t *at,
                         const char *path, char **out);
static int check_readable(struct ld *ld, const struct obj *o, const char *key, const char *path);
static void check_buses(struct cl *c, const struct obj *root);
static void check_bus(struct cl *c, const config_setting_t *s, int index);
static void check_devices(struct cl *c, const struct obj *root);
static void check_device(struct cl *c, const config_setting_t *s, int index);
static int find_bus(struct cl *c, const struct obj *o, const char *id);
static void check_profile_dir(struct cl *c, const struct obj *root);
static void load_profiles(struct cl *c);

static const char *const top_keys[] = {
    "site", "profile_dir", "queue_size", "mqtt", "buses", "devices", NULL,
};
static const char *const site_keys[] = {"id", "name", "timezone", "gateway", NULL};
static const char *const mqtt_keys[] = {
    "uri",      "client_id",     "prefix",  "qos",       "keepalive", "buffer",
    "username", "password_file", "ca_file", "cert_file", "key_file",  NULL,
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
    "id", "kind", "bus", "unit", "interval", "timeout", "profile", NULL,
};
static const char *const profile_file_keys[] = {"profile", NULL};
static const char *const profile_keys[] = {
    "model",
    "protocol",
    "max_read_registers",
    "max_read_bits",
    "register_multiple",
    "request_gap_ms",
    "points",
    NULL,
};
static const char *const point_keys[] = {
    "name",  "quantity", "unit",   "fc",  "address", "type",
    "order", "scale",    "offset", "min", "max",     NULL,
};

/* Serial rates termios offers that RS-485 adapters and meters commonly use. */
static const int standard_bauds[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};

/* ------------------------------------------------------------------------------------- */
/* Checking layer                                                                         */

static const char *
src_file(const struct ld *ld, const config_setting_t *s)
{
    const char *f = s != NULL ? config_setting_source_file(s) : NULL;

    return f != NULL ? f : ld->path;
}

static int
src_line(const config_setting_t *s)
{
    return s != NULL ? (int)config_setting_source_line(s) : 0;
}

/*
 * Reports a problem at setting at (or at o's group if at is NULL), prefixed with the name
 * of the object o it belongs to.
 */
static void
problem(struct ld *ld, const struct obj *o, const config_setting_t *at, const char *fmt, ...)
{
    size_t n0 = ld->diags->n;
    char msg[1024];
    va_list ap;

    if (at == NULL && o != NULL)
        at = o->s;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (o != NULL && o->what[0] != '\0')
        cfg_diag_add(ld->diags, src_file(ld, at), src_line(at), "%s: %s", o->what, msg);
    else
        cfg_diag_add(ld->diags, src_file(ld, at), src_line(at), "%s", msg);
    ld->nerr++;
    if (ld->diags->n == n0)
        ld->nomem = 1;
}

/* Reports a problem with a file as a whole ("path: message"). */
static void
file_problem(struct ld *ld, const char *file, const char *fmt, ...)
{
    size_t n0 = ld->diags->n;
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cfg_diag_add(ld->diags, file, 0, "%s", msg);
    ld->nerr++;
    if (ld->diags->n == n0)
        ld->nomem = 1;
}

static char *
sdup(struct ld *ld, const char *s)
{
    char *d = strdup(s);

    if (d == NULL)
        ld->nomem = 1;
    return d;
}

static char *
fmt_dup(struct ld *ld, const char *fmt, ...)
{
    va_list ap;
    int len;
    char *s;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0 || (s = malloc((size_t)len + 1)) == NULL) {
        ld->nomem = 1;
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return s;
}

/*
 * Writes s into buf in double quotes, escaping quotes, backslashes and control bytes and
 * shortening it with "...", so that a value taken from a file cannot break a diagnostic
 * line or flood it. Returns buf.
 */
static const char *
quote(char *buf, size_t size, const char *s)
{
    size_t lim = size - 5; /* room for "...", the closing quote and the NUL */
    size_t n = 0;

    buf[n++] = '"';
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\') {
            if (n + 2 > lim)
                break;
            buf[n++] = '\\';
            buf[n++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            if (n + 4 > lim)
                break;
            snprintf(buf + n, 5, "\\x%02x", ch);
            n += 4;
        } else {
            if (n + 1 > lim)
                break;
            buf[n++] = (char)ch;
        }
    }
    if (*s != '\0') {
        /* Do not end inside a UTF-8 sequence: drop its continuation and lead bytes. */
        while (n > 1 && ((unsigned char)buf[n - 1] & 0xc0) == 0x80)
            n--;
        if (n > 1 && (unsigned char)buf[n - 1] >= 0xc0)
            n--;
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

/* "line 12", or "inc.cfg:12" when first lies in another file than here. */
static const char *
where(char *buf, size_t size, const config_setting_t *first, const config_setting_t *here)
{
    const char *ff = config_setting_source_file(first);
    const char *hf = config_setting_source_file(here);

    if (ff != NULL && (hf == NULL || strcmp(ff, hf) != 0))
        snprintf(buf, size, "%s:%d", ff, src_line(first));
    else
        snprintf(buf, size, "line %d", src_line(first));
    return buf;
}

/* Names o as kind "id" if its id is known, else as kind #index (1-based), else as kind. */
static void
obj_init(struct obj *o, const config_setting_t *s, const char *kind, const char *id, int index)
{
    o->s = s;
    if (id != NULL)
        snprintf(o->what, sizeof(o->what), "%s \"%s\"", kind, id);
    else if (index > 0)
        snprintf(o->what, sizeof(o->what), "%s #%d", kind, index);
    else
        snprintf(o->what, sizeof(o->what), "%s", kind);
}

/* Levenshtein distance; names longer than CFG_ID_MAX are "far" from everything. */
static int
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int row[CFG_ID_MAX + 1];

    if (la > CFG_ID_MAX || lb > CFG_ID_MAX)
        return CFG_ID_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];

        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);

            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/*
 * The candidate name is most likely a misspelling of, or NULL if none is close: the same
 * name in other case ("QoS"), else the nearest within one edit for short names, two from
 * five characters, three from nine ("intervall" finds "interval", "foo" does not find
 * "bus"), else one the name begins ("password" finds "password_file").
 */
static const char *
closest(const char *name, const char *const *cands, size_t n)
{
    size_t len = strlen(name);
    int limit = len >= 9 ? 3 : len >= 5 ? 2 : 1;
    const char *best = NULL;
    int bestd = limit + 1;

    for (size_t i = 0; i < n; i++)
        if (strcasecmp(name, cands[i]) == 0)
            return cands[i];
    for (size_t i = 0; i < n; i++) {
        int d = edit_distance(name, cands[i]);

        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    for (size_t i = 0; best == NULL && len >= 3 && i < n; i++)
        if (strncmp(name, cands[i], len) == 0)
            best = cands[i];
    return best;
}

static void
check_keys(struct ld *ld, const struct obj *o, const char *const *known)
{
    size_t nknown = 0;
    int n = config_setting_length(o->s);

    while (known[nknown] != NULL)
        nknown++;
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(o->s, (unsigned)i);
        const char *name = config_setting_name(m);
        const char *hint;
        size_t k;

        if (name == NULL)
            continue;
        for (k = 0; k < nknown; k++)
            if (strcmp(name, known[k]) == 0)
                break;
        if (k < nknown)
            continue;
        /* libconfig names are [A-Za-z*][-A-Za-z0-9_*]*: safe to print unquoted. */
        hint = closest(name, known, nknown);
        problem(ld, NULL, m, "unknown key \"%s\"%s%s%s%s%s", name, o->what[0] ? " in " : "",
                o->what, hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
    }
}

static void
missing(struct ld *ld, const struct obj *o, const char *key)
{
    problem(ld, o, o->s, "missing required key \"%s\"", key);
}

/*
 * The getters read one member of o. Each returns 1 and sets *out when the key is there and
 * valid; 0, leaving *out alone (it holds the default), when it is absent; and -1 after
 * reporting why when it is there but wrong.
 */
static int
get_string(struct ld *ld, const struct obj *o, const char *key, const char **out)
{
    const config_setting_t *s = config_setting_get_member(o->s, key);

    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        problem(ld, o, s, "\"%s\" must be a string", key);
        return -1;
    }
    *out = config_setting_get_string(s);
    return 1;
}

static int
get_int(struct ld *ld, const struct obj *o, const char *key, long long lo, long long hi, int *out)
{
    const config_setting_t *s = config_setting_get_member(o->s, key);
    long long v;

    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
        problem(ld, o, s, "\"%s\" must be an integer", key);
        return -1;
    }
    v = config_setting_get_int64(s);
    if (v < lo || v > hi) {
        problem(ld, o, s, "\"%s\" must be between %lld and %lld (is %lld)", key, lo, hi, v);
        return -1;
    }
    *out = (int)v;
    return 1;
}

static int
get_number(struct ld *ld, const struct obj *o, const char *key, double lo, double hi, double *out)
{
    const config_setting_t *s = config_setting_get_member(o->s, key);
    double v;

    if (s == NULL)
        return 0;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        v = (double)config_setting_get_int64(s);
        break;
    case CONFIG_TYPE_FLOAT:
        v = config_setting_get_float(s);
        break;
    default:
        problem(ld, o, s, "\"%s\" must be a number", key);
        return -1;
    }
    if (!isfinite(v)) {
        problem(ld, o, s, "\"%s\" must be a finite number", key);
        return -1;
    }
    if (v < lo || v > hi) {
        problem(ld, o, s, "\"%s\" must be between %.10g and %.10g (is %.10g)", key, lo, hi, v);
        return -1;
    }
    *out = v;
    return 1;
}

static int
get_bool(struct ld *ld, const struct obj *o, const char *key, int *out)
{
    const config_setting_t *s = config_setting_get_member(o->s, key);

    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        problem(ld, o, s, "\"%s\" must be true or false", key);
        return -1;
    }
    *out = config_setting_get_bool(s);
    return 1;
}

static config_setting_t *
get_group(struct ld *ld, const struct obj *o, const char *key, int required)
{
    config_setting_t *s = config_setting_get_member(o->s, key);

    if (s == NULL) {
        if (required)
            missing(ld, o, key);
        return NULL;
    }
    if (!config_setting_is_group(s)) {
        problem(ld, o, s, "\"%s\" must be a group { ... }", key);
        return NULL;
    }
    return s;
}

static config_setting_t *
get_list(struct ld *ld, const struct obj *o, const char *key, int required)
{
    config_setting_t *s = config_setting_get_member(o->s, key);

    if (s == NULL) {
        if (required)
            missing(ld, o, key);
        return NULL;
    }
    if (!config_setting_is_list(s)) {
        problem(ld, o, s, "\"%s\" must be a list ( ... )", key);
        return NULL;
    }
    return s;
}

static int
valid_id(const char *s, enum idset set)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        char ch = s[n];
        int ok;

        if (ch >= 'a' && ch <= 'z')
            ok = 1;
        else if (ch == '_')
            ok = 1;
        else if (ch >= '0' && ch <= '9')
            ok = set != ID_KIND;
        else if ((ch >= 'A' && ch <= 'Z') || ch == '-')
            ok = set == ID_ANY;
        else
            ok = 0;
        if (!ok)
            return 0;
    }
    return n > 0 && n < CFG_ID_MAX;
}

/* An id-like string: ids, point names, kinds. Returns as the getters do. */
static int
get_id(struct ld *ld, const struct obj *o, const char *key, enum idset set, int required,
       const char **out)
{
    static const char *const charset[] = {
        [ID_ANY] = "A-Z a-z 0-9 _ -",
        [ID_LOWER] = "a-z 0-9 _",
        [ID_KIND] = "a-z _",
    };
    const char *v;
    char q[QBUF];
    int r = get_string(ld, o, key, &v);

    if (r == 0 && required)
        missing(ld, o, key);
    if (r <= 0)
        return r;
    if (!valid_id(v, set)) {
        problem(ld, o, config_setting_get_member(o->s, key),
                "\"%s\" must be 1 to %d characters of %s (is %s)", key, CFG_ID_MAX - 1,
                charset[set], quote(q, sizeof(q), v));
        return -1;
    }
    *out = v;
    return 1;
}

/* Valid UTF-8 without control characters, shorter than max bytes. */
static int
valid_text(const char *s, size_t max)
{
    /* The smallest code point each sequence length may encode: shorter ones are overlong. */
    static const unsigned least[4] = {0, 0x80, 0x800, 0x10000};
    const unsigned char *p = (const unsigned char *)s;

    if (strlen(s) >= max)
        return 0;
    while (*p != '\0') {
        unsigned cp;
        int more;

        if (*p < 0x20 || *p == 0x7f)
            return 0;
        if (*p < 0x80) {
            p++;
            continue;
        }
        if (*p >= 0xc2 && *p <= 0xdf) {
            cp = *p & 0x1fu;
            more = 1;
        } else if (*p >= 0xe0 && *p <= 0xef) {
            cp = *p & 0x0fu;
            more = 2;
        } else if (*p >= 0xf0 && *p <= 0xf4) {
            cp = *p & 0x07u;
            more = 3;
        } else {
            return 0;
        }
        p++;
        for (int k = 0; k < more; k++, p++) {
            if ((*p & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (*p & 0x3fu);
        }
        /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
        if (cp < least[more] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return 0;
    }
    return 1;
}

/* Free text (names, units, models) that ends up in JSON and logs. */
static int
get_text(struct ld *ld, const struct obj *o, const char *key, size_t max, const char **out)
{
    const char *v;
    int r = get_string(ld, o, key, &v);

    if (r <= 0)
        return r;
    if (!valid_text(v, max)) {
        problem(ld, o, config_setting_get_member(o->s, key),
                "\"%s\" must be UTF-8 text of at most %zu bytes without control characters", key,
                max - 1);
        return -1;
    }
    *out = v;
    return 1;
}

/*
 * Parses path into lc (which the caller has config_init()ed and destroys), with @include
 * relative to the file's folder. Returns 0, or -1 after reporting why.
 */
static int
read_file(struct ld *ld, config_t *lc, const char *path)
{
    struct stat st;
    char *dir;

    /* libconfig reports I/O errors without a file or errno: look first. */
    if (stat(path, &st) != 0) {
        file_problem(ld, path, "%s", strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        file_problem(ld, path, "%s", strerror(EISDIR));
        return -1;
    }
    if ((dir = dir_of(path)) == NULL) {
        ld->nomem = 1;
        return -1;
    }
    config_set_include_dir(lc, dir); /* libconfig keeps a copy */
    free(dir);
    errno = 0;
    if (config_read_file(lc, path) == CONFIG_TRUE)
        return 0;
    if (config_error_type(lc) == CONFIG_ERR_FILE_IO) {
        file_problem(ld, path, "%s", strerror(errno != 0 ? errno : EIO));
        return -1;
    }
    cfg_diag_add(ld->diags, config_error_file(lc) ? config_error_file(lc) : path,
                 config_error_line(lc), "%s", config_error_text(lc));
    ld->nerr++;
    return -1;
}

/*
 * Orders the diagnostics added since from by file (in the order the files first appear)
 * and line, keeping the order of those on one line: checks run in schema order, readers
 * expect file order.
 */
static void
sort_diags(struct cfg_diags *d, size_t from)
{
    size_t n = d->n - from;
    struct cfg_diag *v = d->v + from;
    size_t *rank;

    if (n < 2 || (rank = malloc(n * sizeof(*rank))) == NULL)
        return; /* unsorted is still complete */
    for (size_t i = 0; i < n; i++) {
        rank[i] = i;
        for (size_t j = 0; j < i; j++) {
            if ((v[i].file == NULL && v[j].file == NULL) ||
                (v[i].file != NULL && v[j].file != NULL && strcmp(v[i].file, v[j].file) == 0)) {
                rank[i] = rank[j];
                break;
            }
        }
    }
    /* Insertion sort: stable, and n is small. */
    for (size_t i = 1; i < n; i++) {
        struct cfg_diag dg = v[i];
        size_t r = rank[i];
        size_t j = i;

        while (j > 0 && (rank[j - 1] > r || (rank[j - 1] == r && v[j - 1].line > dg.line))) {
            v[j] = v[j - 1];
            rank[j] = rank[j - 1];
            j--;
        }
        v[j] = dg;
        rank[j] = r;
    }
    free(rank);
}

static enum cfg_status
status_of(const struct ld *ld)
{
    if (ld->nomem)
        return CFG_ERR_NOMEM;
    return ld->nerr != 0 ? CFG_ERR_INVALID : CFG_OK;
}

/* ------------------------------------------------------------------------------------- */
/* Paths                                                                                  */

/* The folder of path: "." for a bare file name. */
static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d;

    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    if ((d = malloc((size_t)(slash - path) + 1)) == NULL)
        return NULL;
    memcpy(d, path, (size_t)(slash - path));
    d[slash - path] = '\0';
    return d;
}

/* rel as seen from dir; kept as written when absolute or when dir is ".". */
static char *
path_join(const char *dir, const char *rel)
{
    size_t ld, lr;
    char *p;

    if (rel[0] == '/' || strcmp(dir, ".") == 0)
        return strdup(rel);
    ld = strlen(dir);
    lr = strlen(rel);
    if ((p = malloc(ld + lr + 2)) == NULL)
        return NULL;
    memcpy(p, dir, ld);
    if (ld > 0 && dir[ld - 1] != '/')
        p[ld++] = '/';
    memcpy(p + ld, rel, lr + 1);
    return p;
}

static int
is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ------------------------------------------------------------------------------------- */
/* Profiles                                                                               */

enum cfg_status
cfg_profile_load(const char *path, const char *name, struct cfg_profile *out,
                 struct cfg_diags *diags)
{
    struct ld ld = {.diags = diags, .path = path};
    size_t n0 = diags->n;
    enum cfg_status st;
    config_t lc;

    memset(out, 0, sizeof(*out));
    if (strlen(name) >= sizeof(out->name)) {
        file_problem(&ld, path, "profile name is longer than %d characters", CFG_ID_MAX - 1);
        return status_of(&ld);
    }
    memcpy(out->name, name, strlen(name) + 1);
    if ((out->file = sdup(&ld, path)) == NULL)
        return status_of(&ld);

    config_init(&lc);
    if (read_file(&ld, &lc, path) == 0)
        check_profile(&ld, config_root_setting(&lc), out);
    config_destroy(&lc);

    sort_diags(diags, n0);
    st = status_of(&ld);
    if (st != CFG_OK)
        cfg_profile_clear(out);
    return st;
}

static void
check_profile(struct ld *ld, const config_setting_t *root, struct cfg_profile *p)
{
    struct obj top = {.s = root};
    struct obj o;
    const config_setting_t *g, *points;
    const char *v;
    int n, r, rm;

    check_keys(ld, &top, profile_file_keys);
    if ((g = get_group(ld, &top, "profile", 1)) == NULL)
        return;
    obj_init(&o, g, "profile", NULL, 0);
    check_keys(ld, &o, profile_keys);

    r = get_text(ld, &o, "model", TEXT_MAX, &v);
    if (r == 0)
        missing(ld, &o, "model");
    else if (r > 0 && v[0] == '\0')
        problem(ld, &o, config_setting_get_member(g, "model"), "\"model\" must not be empty");
    else if (r > 0)
        p->model = sdup(ld, v);
    /* Only Modbus register maps so far; the key is there so SNMP maps can be told apart. */
    if (get_string(ld, &o, "protocol", &v) > 0 && strcmp(v, "modbus") != 0) {
        char q[QBUF];

        problem(ld, &o, config_setting_get_member(g, "protocol"),
                "\"protocol\" must be \"modbus\" (is %s)", quote(q, sizeof(q), v));
    }

    p->max_read_registers = PDU_MAX_READ_REGISTERS;
    p->max_read_bits = PDU_MAX_READ_BITS;
    p->register_multiple = 1;
    p->request_gap_ms = 0;
    r = get_int(ld, &o, "max_read_registers", 1, PDU_MAX_READ_REGISTERS, &p->max_read_registers);
    get_int(ld, &o, "max_read_bits", 1, PDU_MAX_READ_BITS, &p->max_read_bits);
    rm = get_int(ld, &o, "register_multiple", 1, PDU_MAX_READ_REGISTERS, &p->register_multiple);
    if (rm > 0 && r >= 0 && p->register_multiple > p->max_read_registers) {
        problem(ld, &o, config_setting_get_member(g, "register_multiple"),
                "\"register_multiple\" (%d) must not exceed \"max_read_registers\" (%d)",
                p->register_multiple, p->max_read_registers);
        p->register_multiple = 1; /* not a second time for every point */
    }
    get_int(ld, &o, "request_gap_ms", 0, 10000, &p->request_gap_ms);

    if ((points = get_list(ld, &o, "points", 1)) == NULL)
        return;
    n = config_setting_length(points);
    if (n == 0) {
        problem(ld, &o, points, "\"points\" must not be empty");
        return;
    }
    if ((p->points = calloc((size_t)n, sizeof(*p->points))) == NULL) {
        ld->nomem = 1;
        return;
    }
    for (int i = 0; i < n; i++) {
        check_point(ld, p, config_setting_get_elem(points, (unsigned)i), i + 1, &p->points[i]);
        p->npoints++; /* all of them, even bad ones: duplicate names are checked against them */
    }
}

/*
 * Checks one point of p, whose earlier points are p->points[0 .. index - 2]. Leaves
 * pt->name empty if the name itself was bad.
 */
static void
check_point(struct ld *ld, const struct cfg_profile *p, const config_setting_t *s, int index,
            struct cfg_point *pt)
{
    int have_fc = 0, have_addr = 0, have_type = 0;
    int have_min = 0, have_max = 0;
    const config_setting_t *at;
    struct obj o;
    const char *v;
    char q[QBUF];
    int r;

    pt->line = src_line(s);
    if (!config_setting_is_group(s)) {
        obj_init(&o, s, "point", NULL, index);
        problem(ld, &o, s, "must be a group { ... }");
        return;
    }
    obj_init(&o, s, "point", NULL, index);
    if (get_id(ld, &o, "name", ID_LOWER, 1, &v) > 0) {
        memcpy(pt->name, v, strlen(v) + 1);
        obj_init(&o, s, "point", v, 0);
        for (size_t i = 0; i + 1 < (size_t)index; i++) {
            if (strcmp(p->points[i].name, v) == 0) {
                problem(ld, &o, config_setting_get_member(s, "name"),
                        "duplicate point name (first at line %d)", p->points[i].line);
                break;
            }
        }
    }
    check_keys(ld, &o, point_keys);

    if (get_id(ld, &o, "quantity", ID_LOWER, 1, &v) > 0)
        memcpy(pt->quantity, v, strlen(v) + 1);
    if (get_text(ld, &o, "unit", sizeof(pt->unit), &v) > 0)
        memcpy(pt->unit, v, strlen(v) + 1);

    if ((r = get_int(ld, &o, "fc", 1, 4, &pt->fc)) == 0)
        missing(ld, &o, "fc");
    have_fc = r > 0;
    if ((r = get_int(ld, &o, "address", 0, 65535, &pt->address)) == 0)
        missing(ld, &o, "address");
    have_addr = r > 0;

    r = get_string(ld, &o, "type", &v);
    if (r == 0) {
        missing(ld, &o, "type");
    } else if (r > 0 && !parse_enum_dtype(v, &pt->type)) {
        problem(ld, &o, config_setting_get_member(s, "type"),
                "\"type\" must be one of bit, int16, uint16, int32, uint32, float32 (is %s)",
                quote(q, sizeof(q), v));
    } else if (r > 0) {
        have_type = 1;
    }

    pt->order = CFG_O_ABCD;
    if (get_string(ld, &o, "order", &v) > 0) {
        at = config_setting_get_member(s, "order");
        if (!parse_enum_order(v, &pt->order))
            problem(ld, &o, at, "\"order\" must be one of ABCD, BADC, CDAB, DCBA (is %s)",
                    quote(q, sizeof(q), v));
        else if (have_type && pt->type == CFG_T_BIT)
            problem(ld, &o, at, "\"order\" does not apply to a bit");
    }

    pt->scale = 1.0;
    pt->offset = 0.0;
    pt->min = -HUGE_VAL;
    pt->max = HUGE_VAL;
    if (get_number(ld, &o, "scale", -HUGE_VAL, HUGE_VAL, &pt->scale) > 0 && pt->scale == 0.0)
        problem(ld, &o, config_setting_get_member(s, "scale"), "\"scale\" must not be 0");
    get_number(ld, &o, "offset", -HUGE_VAL, HUGE_VAL, &pt->offset);
    have_min = get_number(ld, &o, "min", -HUGE_VAL, HUGE_VAL, &pt->min) >= 0;
    have_max = get_number(ld, &o, "max", -HUGE_VAL, HUGE_VAL, &pt->max) >= 0;
    if (have_min && have_max && pt->min > pt->max)
        problem(ld, &o, config_setting_get_member(s, "max"),
                "\"min\" (%.10g) must not be greater than \"max\" (%.10g)", pt->min, pt->max);

    if (have_fc && have_type) {
        int bits = pt->fc == 1 || pt->fc == 2;

        if (bits && pt->type != CFG_T_BIT)
            problem(ld, &o, config_setting_get_member(s, "type"),
                    "fc %d reads %s: \"type\" must be \"bit\"", pt->fc,
                    pt->fc == 1 ? "coils" : "discrete inputs");
        else if (!bits && pt->type == CFG_T_BIT)
            problem(ld, &o, config_setting_get_member(s, "type"),
                    "fc %d reads registers: \"type\" must not be \"bit\"", pt->fc);
    }
    if (have_addr && have_type && pt->type != CFG_T_BIT) {
        /*
         * The read that fetches the point starts and ends on multiples of
         * register_multiple, so that is the span that must fit in one request.
         */
        int w = cfg_point_width(pt);
        int m = p->register_multiple;
        long first = (long)pt->address / m * m;
        long end = ((long)pt->address + w + m - 1) / m * m;

        if ((long)pt->address + w > 65536)
            problem(ld, &o, config_setting_get_member(s, "address"),
                    "a %d-register value at address %d runs past register 65535", w, pt->address);
        else if (end - first > p->max_read_registers)
            problem(ld, &o, config_setting_get_member(s, "address"),
                    "reading it takes %ld registers (register_multiple %d) but "
                    "\"max_read_registers\" is %d",
                    end - first, m, p->max_read_registers);
    }
}

static int
parse_enum_dtype(const char *s, enum cfg_dtype *out)
{
    for (enum cfg_dtype t = CFG_T_BIT; t <= CFG_T_FLOAT32; t++) {
        if (strcmp(s, cfg_dtype_name(t)) == 0) {
            *out = t;
            return 1;
        }
    }
    return 0;
}

static int
parse_enum_order(const char *s, enum cfg_order *out)
{
    for (enum cfg_order o = CFG_O_ABCD; o <= CFG_O_DCBA; o++) {
        if (strcmp(s, cfg_order_name(o)) == 0) {
            *out = o;
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* The main config                                                                        */

enum cfg_status
cfg_load(const char *path, struct rw_config **out, struct cfg_diags *diags)
{
    struct cl c;
    size_t n0 = diags->n;
    enum cfg_status st;
    config_t lc;

    *out = NULL;
    memset(&c, 0, sizeof(c));
    c.ld.diags = diags;
    c.ld.path = path;
    c.cfg = calloc(1, sizeof(*c.cfg));
    c.dir = dir_of(path);
    if (c.cfg == NULL || c.dir == NULL || (c.cfg->file = strdup(path)) == NULL) {
        c.ld.nomem = 1;
    } else {
        config_init(&lc);
        if (read_file(&c.ld, &lc, path) == 0)
            check_config(&c, config_root_setting(&lc));
        config_destroy(&lc);
    }

    sort_diags(diags, n0);
    st = status_of(&c.ld);
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
    free(cfg->profile_dir);
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
    free(cfg->devices);
    for (size_t i = 0; i < cfg->nprofiles; i++)
        cfg_profile_clear(&cfg->profiles[i]);
    free(cfg->profiles);
    free(cfg);
}

static void
check_config(struct cl *c, const config_setting_t *root)
{
    struct obj top = {.s = root};
    int qs = 4096;

    check_keys(&c->ld, &top, top_keys);
    check_site(c, &top);
    if (get_int(&c->ld, &top, "queue_size", 16, 1048576, &qs) >= 0)
        c->cfg->queue_size = (size_t)qs;
    check_mqtt(c, &top);
    check_buses(c, &top);
    check_profile_dir(c, &top);
    check_devices(c, &top);
    load_profiles(c);
}

static void
check_site(struct cl *c, const struct obj *root)
{
    struct cfg_site *site = &c->cfg->site;
    const config_setting_t *g;
    struct obj o;
    const char *v;

    if ((g = get_group(&c->ld, root, "site", 1)) == NULL)
        return;
    obj_init(&o, g, "site", NULL, 0);
    check_keys(&c->ld, &o, site_keys);
    if (get_id(&c->ld, &o, "id", ID_ANY, 1, &v) > 0)
        memcpy(site->id, v, strlen(v) + 1);
    if (get_id(&c->ld, &o, "gateway", ID_ANY, 1, &v) > 0)
        memcpy(site->gateway, v, strlen(v) + 1);
    if (get_text(&c->ld, &o, "name", TEXT_MAX, &v) > 0)
        site->name = sdup(&c->ld, v);
    check_timezone(c, &o);
}

/*
 * An IANA zone name ("Asia/Shanghai"). Where the zone database is installed, the zone must
 * be in it: a misspelt zone would otherwise turn into UTC without a word, and cut every
 * day at the wrong midnight.
 */
static void
check_timezone(struct cl *c, const struct obj *o)
{
    const config_setting_t *at = config_setting_get_member(o->s, "timezone");
    const char *v = "Asia/Shanghai";
    const char *tzdir;
    char q[QBUF];
    int ok = 1;

    if (get_string(&c->ld, o, "timezone", &v) < 0)
        return;
    if (at != NULL) {
        ok = v[0] != '\0' && v[0] != '/' && strlen(v) < 128 && strstr(v, "..") == NULL;
        for (const char *p = v; ok && *p != '\0'; p++)
            ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                 strchr("_+-/", *p) != NULL;
        if (!ok) {
            problem(&c->ld, o, at, "\"timezone\" %s is not a time zone name like \"Asia/Shanghai\"",
                    quote(q, sizeof(q), v));
            return;
        }
        tzdir = getenv("TZDIR");
        if (tzdir == NULL || tzdir[0] == '\0')
            tzdir = "/usr/share/zoneinfo";
        if (is_dir(tzdir)) {
            char *f = path_join(tzdir, v);
            struct stat st;

            if (f == NULL) {
                c->ld.nomem = 1;
                return;
            }
            if (stat(f, &st) != 0 || !S_ISREG(st.st_mode))
                problem(&c->ld, o, at, "unknown time zone %s (not in %s)", quote(q, sizeof(q), v),
                        tzdir);
            free(f);
        }
    }
    c->cfg->site.timezone = sdup(&c->ld, v);
}

static void
check_mqtt(struct cl *c, const struct obj *root)
{
    static const char *const tls_keys[] = {"ca_file", "cert_file", "key_file"};
    struct cfg_mqtt *m = &c->cfg->mqtt;
    const struct cfg_site *site = &c->cfg->site;
    int site_ok = site->id[0] != '\0' && site->gateway[0] != '\0';
    char **tls_out[] = {&m->ca_file, &m->cert_file, &m->key_file};
    const config_setting_t *g, *at;
    struct obj o;
    const char *v, *why;
    char q[QBUF];
    int tls = -1; /* unknown until the uri checks out */
    int r;

    m->qos = 1;
    m->keepalive = 30;
    m->buffer = 10000;
    if ((g = get_group(&c->ld, root, "mqtt", 1)) == NULL)
        return;
    obj_init(&o, g, "mqtt", NULL, 0);
    check_keys(&c->ld, &o, mqtt_keys);

    r = get_string(&c->ld, &o, "uri", &v);
    if (r == 0)
        missing(&c->ld, &o, "uri");
    else if (r > 0 && (why = check_uri(v, &tls)) != NULL)
        problem(&c->ld, &o, config_setting_get_member(g, "uri"), "\"uri\" %s %s",
                quote(q, sizeof(q), v), why);
    else if (r > 0)
        m->uri = sdup(&c->ld, v);

    /* MQTT strings hold at most 65535 bytes (MQTT 3.1.1, 1.5.3). */
    r = get_text(&c->ld, &o, "client_id", 65536, &v);
    if (r > 0 && v[0] == '\0')
        problem(&c->ld, &o, config_setting_get_member(g, "client_id"),
                "\"client_id\" must not be empty");
    else if (r > 0)
        m->client_id = sdup(&c->ld, v);
    else if (r == 0 && site_ok)
        m->client_id = fmt_dup(&c->ld, "roomwatch-%s-%s", site->id, site->gateway);

    r = get_text(&c->ld, &o, "prefix", 65536, &v);
    if (r > 0) {
        at = config_setting_get_member(g, "prefix");
        if (v[0] == '\0')
            problem(&c->ld, &o, at, "\"prefix\" must not be empty");
        else if (strpbrk(v, "+#") != NULL)
            problem(&c->ld, &o, at, "\"prefix\" %s must not contain the wildcards + or #",
                    quote(q, sizeof(q), v));
        else if (v[strlen(v) - 1] == '/')
            problem(&c->ld, &o, at, "\"prefix\" %s must not end with /", quote(q, sizeof(q), v));
        else
            m->prefix = sdup(&c->ld, v);
    } else if (r == 0 && site_ok) {
        m->prefix = fmt_dup(&c->ld, "roomwatch/v1/%s/%s", site->id, site->gateway);
    }

    get_int(&c->ld, &o, "qos", 0, 1, &m->qos);
    get_int(&c->ld, &o, "keepalive", 5, 3600, &m->keepalive);
    get_int(&c->ld, &o, "buffer", 10, 1000000, &m->buffer);

    r = get_text(&c->ld, &o, "username", 65536, &v);
    if (r > 0 && v[0] == '\0')
        problem(&c->ld, &o, config_setting_get_member(g, "username"),
                "\"username\" must not be empty");
    else if (r > 0)
        m->username = sdup(&c->ld, v);

    if (get_string(&c->ld, &o, "password_file", &v) > 0) {
        at = config_setting_get_member(g, "password_file");
        if (config_setting_get_member(g, "username") == NULL)
            problem(&c->ld, &o, at, "\"password_file\" needs \"username\"");
        if (v[0] == '\0') {
            problem(&c->ld, &o, at, "\"password_file\" must not be empty");
        } else if ((m->password_file = path_join(c->dir, v)) == NULL) {
            c->ld.nomem = 1;
        } else {
            read_password(&c->ld, &o, at, m->password_file, &m->password);
        }
    }

    for (size_t k = 0; k < sizeof(tls_keys) / sizeof(tls_keys[0]); k++) {
        if (get_string(&c->ld, &o, tls_keys[k], &v) <= 0)
            continue;
        at = config_setting_get_member(g, tls_keys[k]);
        if (tls == 0)
            problem(&c->ld, &o, at, "\"%s\" needs an ssl:// or mqtts:// uri", tls_keys[k]);
        if (v[0] == '\0') {
            problem(&c->ld, &o, at, "\"%s\" must not be empty", tls_keys[k]);
            continue;
        }
        if ((*tls_out[k] = path_join(c->dir, v)) == NULL) {
            c->ld.nomem = 1;
            continue;
        }
        check_readable(&c->ld, &o, tls_keys[k], *tls_out[k]);
    }
    /* A client certificate is useless without its key, and the other way round. */
    if ((at = config_setting_get_member(g, "cert_file")) != NULL &&
        config_setting_get_member(g, "key_file") == NULL)
        problem(&c->ld, &o, at, "\"cert_file\" needs \"key_file\"");
    if ((at = config_setting_get_member(g, "key_file")) != NULL &&
        config_setting_get_member(g, "cert_file") == NULL)
        problem(&c->ld, &o, at, "\"key_file\" needs \"cert_file\"");
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
 * Reads the MQTT password: the first line of path, without its line end. Anyone who can
 * read the file can publish as the agent, so a file open to group or others is refused;
 * the check is made on the open descriptor, so the file checked is the file read. The
 * password itself never goes into a message.
 */
static int
read_password(struct ld *ld, const struct obj *o, const config_setting_t *at, const char *path,
              char **out)
{
    char buf[PASSWORD_MAX];
    char q[QBUF];
    struct stat st;
    size_t len = 0, line = 0;
    int fd, rc = -1;

    quote(q, sizeof(q), path);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
        problem(ld, o, at, "\"password_file\" %s: %s", q, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        problem(ld, o, at, "\"password_file\" %s: %s", q, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        problem(ld, o, at, "\"password_file\" %s is not a regular file", q);
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        problem(ld, o, at,
                "\"password_file\" %s can be read or written by group or others (mode %04o); "
                "chmod 600 it",
                q, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    while (len < sizeof(buf)) {
        ssize_t got = read(fd, buf + len, sizeof(buf) - len);

        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            problem(ld, o, at, "\"password_file\" %s: %s", q, strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    while (line < len && buf[line] != '\n')
        line++;
    if (line == sizeof(buf)) {
        problem(ld, o, at, "\"password_file\" %s: first line is longer than %d bytes", q,
                PASSWORD_MAX - 1);
        goto out;
    }
    if (line > 0 && buf[line - 1] == '\r')
        line--;
    if (line == 0) {
        problem(ld, o, at, "\"password_file\" %s %s", q,
                len == 0 ? "is empty" : "has an empty first line");
        goto out;
    }
    if (memchr(buf, '\0', line) != NULL) {
        problem(ld, o, at, "\"password_file\" %s holds a NUL byte", q);
        goto out;
    }
    if ((*out = malloc(line + 1)) == NULL) {
        ld->nomem = 1;
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

/* TLS files are read by paho at connect time; a missing one should stop -t, not connect. */
static int
check_readable(struct ld *ld, const struct obj *o, const char *key, const char *path)
{
    const config_setting_t *at = config_setting_get_member(o->s, key);
    char q[QBUF];
    struct stat st;
    int fd, rc = 0;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
        problem(ld, o, at, "\"%s\" %s: %s", key, quote(q, sizeof(q), path), strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        problem(ld, o, at, "\"%s\" %s is not a regular file", key, quote(q, sizeof(q), path));
        rc = -1;
    }
    close(fd);
    return rc;
}

static void
check_buses(struct cl *c, const struct obj *root)
{
    const config_setting_t *list = get_list(&c->ld, root, "buses", 0);
    int n = list != NULL ? config_setting_length(list) : 0;

    if (n == 0)
        return;
    c->cfg->buses = calloc((size_t)n, sizeof(*c->cfg->buses));
    c->busref = calloc((size_t)n, sizeof(*c->busref));
    if (c->cfg->buses == NULL || c->busref == NULL) {
        c->ld.nomem = 1;
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
    struct obj o;
    const config_setting_t *at;
    const char *v;
    char q[QBUF], w[QBUF];
    int r;

    obj_init(&o, s, "bus", NULL, index);
    if (!config_setting_is_group(s)) {
        problem(&c->ld, &o, s, "must be a group { ... }");
        return;
    }
    cfg->nbuses++;
    b->line = src_line(s);
    ref->s = s;
    ref->kind = -1;
    if (get_id(&c->ld, &o, "id", ID_ANY, 1, &v) > 0) {
        for (size_t j = 0; j + 1 < cfg->nbuses; j++) {
            if (strcmp(cfg->buses[j].id, v) == 0) {
                problem(&c->ld, &o, config_setting_get_member(s, "id"),
                        "duplicate bus id \"%s\" (first at %s)", v,
                        where(w, sizeof(w), c->busref[j].s, s));
                break;
            }
        }
        memcpy(b->id, v, strlen(v) + 1);
        obj_init(&o, s, "bus", v, 0);
    }
    check_keys(&c->ld, &o, bus_keys);

    r = get_string(&c->ld, &o, "type", &v);
    if (r == 0)
        missing(&c->ld, &o, "type");
    else if (r > 0 && strcmp(v, "tcp") == 0)
        ref->kind = CFG_BUS_TCP;
    else if (r > 0 && strcmp(v, "rtu") == 0)
        ref->kind = CFG_BUS_RTU;
    else if (r > 0)
        problem(&c->ld, &o, config_setting_get_member(s, "type"),
                "\"type\" must be \"tcp\" or \"rtu\" (is %s)", quote(q, sizeof(q), v));
    if (ref->kind < 0)
        return; /* which keys belong cannot be told */
    b->type = (enum cfg_bus_type)ref->kind;

    for (const char *const *k = b->type == CFG_BUS_TCP ? rtu_only_keys : tcp_only_keys; *k; k++)
        if ((at = config_setting_get_member(s, *k)) != NULL)
            problem(&c->ld, &o, at, "\"%s\" is only for %s buses", *k,
                    b->type == CFG_BUS_TCP ? "rtu" : "tcp");

    if (b->type == CFG_BUS_TCP) {
        r = get_string(&c->ld, &o, "host", &v);
        if (r == 0)
            missing(&c->ld, &o, "host");
        else if (r > 0 && (v[0] == '\0' || strlen(v) >= 256 ||
                           v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789.-_:%")] != '\0'))
            problem(&c->ld, &o, config_setting_get_member(s, "host"),
                    "\"host\" must be a host name or IP address (is %s)", quote(q, sizeof(q), v));
        else if (r > 0)
            b->host = sdup(&c->ld, v);
        b->port = 502;
        get_int(&c->ld, &o, "port", 1, 65535, &b->port);
        return;
    }

    r = get_text(&c->ld, &o, "device", 4096, &v);
    if (r == 0) {
        missing(&c->ld, &o, "device");
    } else if (r > 0 && v[0] != '/') {
        problem(&c->ld, &o, config_setting_get_member(s, "device"),
                "\"device\" must be an absolute path like /dev/ttyUSB0 (is %s)",
                quote(q, sizeof(q), v));
    } else if (r > 0) {
        /* Two workers on one serial port would garble each other's frames. */
        for (size_t j = 0; j + 1 < cfg->nbuses; j++) {
            if (cfg->buses[j].device != NULL && strcmp(cfg->buses[j].device, v) == 0) {
                problem(&c->ld, &o, config_setting_get_member(s, "device"),
                        "device %s is already used by bus \"%s\" (%s)", quote(q, sizeof(q), v),
                        cfg->buses[j].id, where(w, sizeof(w), c->busref[j].s, s));
                break;
            }
        }
        b->device = sdup(&c->ld, v);
    }

    b->baud = 9600;
    if (get_int(&c->ld, &o, "baud", INT_MIN, INT_MAX, &b->baud) > 0) {
        size_t k, nb = sizeof(standard_bauds) / sizeof(standard_bauds[0]);

        for (k = 0; k < nb; k++)
            if (standard_bauds[k] == b->baud)
                break;
        if (k == nb)
            problem(&c->ld, &o, config_setting_get_member(s, "baud"),
                    "\"baud\" must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, "
                    "115200 (is %d)",
                    b->baud);
    }
    b->parity = 'N';
    if (get_string(&c->ld, &o, "parity", &v) > 0) {
        if (strcmp(v, "N") == 0 || strcmp(v, "E") == 0 || strcmp(v, "O") == 0)
            b->parity = v[0];
        else
            problem(&c->ld, &o, config_setting_get_member(s, "parity"),
                    "\"parity\" must be \"N\", \"E\" or \"O\" (is %s)", quote(q, sizeof(q), v));
    }
    b->data_bits = 8;
    get_int(&c->ld, &o, "data_bits", 7, 8, &b->data_bits);
    b->stop_bits = 1;
    get_int(&c->ld, &o, "stop_bits", 1, 2, &b->stop_bits);
    b->rs485 = 0;
    get_bool(&c->ld, &o, "rs485", &b->rs485);
}

static void
check_profile_dir(struct cl *c, const struct obj *root)
{
    const config_setting_t *at = config_setting_get_member(root->s, "profile_dir");
    struct rw_config *cfg = c->cfg;
    const char *v;
    char q[QBUF];
    struct stat st;
    int r = get_string(&c->ld, root, "profile_dir", &v);

    c->profile_dir_ok = 0;
    if (r < 0)
        return;
    if (r > 0) {
        if (v[0] == '\0') {
            problem(&c->ld, root, at, "\"profile_dir\" must not be empty");
            return;
        }
        if ((cfg->profile_dir = path_join(c->dir, v)) == NULL) {
            c->ld.nomem = 1;
            return;
        }
        if (stat(cfg->profile_dir, &st) != 0) {
            problem(&c->ld, root, at, "\"profile_dir\" %s: %s",
                    quote(q, sizeof(q), cfg->profile_dir), strerror(errno));
            return;
        }
        if (!S_ISDIR(st.st_mode)) {
            problem(&c->ld, root, at, "\"profile_dir\" %s is not a directory",
                    quote(q, sizeof(q), cfg->profile_dir));
            return;
        }
        c->profile_dir_ok = 1;
        return;
    }
    /* A "profiles" folder beside the config wins, so a config and its maps travel together. */
    if ((cfg->profile_dir = path_join(c->dir, "profiles")) == NULL) {
        c->ld.nomem = 1;
        return;
    }
    if (!is_dir(cfg->profile_dir)) {
        free(cfg->profile_dir);
        if ((cfg->profile_dir = sdup(&c->ld, ROOMWATCH_PROFILE_DIR)) == NULL)
            return;
    }
    c->profile_dir_ok = 1;
}

static void
check_devices(struct cl *c, const struct obj *root)
{
    const config_setting_t *list = get_list(&c->ld, root, "devices", 0);
    int n = list != NULL ? config_setting_length(list) : 0;

    if (n == 0)
        return;
    c->cfg->devices = calloc((size_t)n, sizeof(*c->cfg->devices));
    c->devref = calloc((size_t)n, sizeof(*c->devref));
    if (c->cfg->devices == NULL || c->devref == NULL) {
        c->ld.nomem = 1;
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
find_bus(struct cl *c, const struct obj *o, const char *id)
{
    struct rw_config *cfg = c->cfg;
    const char **ids;
    const char *hint;
    char q[QBUF];

    for (size_t j = 0; j < cfg->nbuses; j++) {
        if (cfg->buses[j].id[0] != '\0' && strcmp(cfg->buses[j].id, id) == 0) {
            cfg->devices[cfg->ndevices - 1].bus = j;
            return c->busref[j].kind;
        }
    }
    if ((ids = malloc((cfg->nbuses + 1) * sizeof(*ids))) == NULL) {
        c->ld.nomem = 1;
        return -1;
    }
    for (size_t j = 0; j < cfg->nbuses; j++)
        ids[j] = cfg->buses[j].id;
    hint = closest(id, ids, cfg->nbuses);
    problem(&c->ld, o, config_setting_get_member(o->s, "bus"), "unknown bus %s%s%s%s",
            quote(q, sizeof(q), id), hint ? " (did you mean \"" : "", hint ? hint : "",
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
    int bus_kind = -1;
    int have_interval;
    struct obj o;
    const char *v;
    char w[QBUF];
    int r;

    obj_init(&o, s, "device", NULL, index);
    if (!config_setting_is_group(s)) {
        problem(&c->ld, &o, s, "must be a group { ... }");
        return;
    }
    cfg->ndevices++;
    d->line = src_line(s);
    ref->s = s;
    ref->index = index;
    if (get_id(&c->ld, &o, "id", ID_ANY, 1, &v) > 0) {
        for (size_t j = 0; j + 1 < cfg->ndevices; j++) {
            if (strcmp(cfg->devices[j].id, v) == 0) {
                problem(&c->ld, &o, config_setting_get_member(s, "id"),
                        "duplicate device id \"%s\" (first at %s)", v,
                        where(w, sizeof(w), c->devref[j].s, s));
                break;
            }
        }
        memcpy(d->id, v, strlen(v) + 1);
        obj_init(&o, s, "device", v, 0);
    }
    check_keys(&c->ld, &o, device_keys);

    if (get_id(&c->ld, &o, "kind", ID_KIND, 1, &v) > 0)
        memcpy(d->kind, v, strlen(v) + 1);

    r = get_string(&c->ld, &o, "bus", &v);
    if (r == 0)
        missing(&c->ld, &o, "bus");
    else if (r > 0)
        bus_kind = find_bus(c, &o, v);

    /*
     * Unit 0 is the RTU broadcast address, which no device answers; on TCP it and 255 are
     * what gateways and plain TCP devices expect (Modbus Messaging on TCP/IP Implementation
     * Guide V1.0b, 4.4.2).
     */
    d->unit = 1;
    if (get_int(&c->ld, &o, "unit", 0, 255, &d->unit) > 0) {
        if (bus_kind == CFG_BUS_RTU && (d->unit < 1 || d->unit > 247))
            problem(&c->ld, &o, config_setting_get_member(s, "unit"),
                    "\"unit\" must be between 1 and 247 on an rtu bus (is %d)", d->unit);
        else if (bus_kind == CFG_BUS_TCP && d->unit > 247 && d->unit != 255)
            problem(&c->ld, &o, config_setting_get_member(s, "unit"),
                    "\"unit\" must be between 0 and 247, or 255, on a tcp bus (is %d)", d->unit);
    }

    d->interval = 5.0;
    have_interval = get_number(&c->ld, &o, "interval", 0.05, 86400, &d->interval) >= 0;
    /* An answer slower than half the interval would eat into the next poll. */
    d->timeout = d->interval / 2 < 0.5 ? d->interval / 2 : 0.5;
    r = get_number(&c->ld, &o, "timeout", 0.01, 60, &d->timeout);
    if (r > 0 && have_interval && d->timeout >= d->interval)
        problem(&c->ld, &o, config_setting_get_member(s, "timeout"),
                "\"timeout\" (%.10g s) must be shorter than \"interval\" (%.10g s)", d->timeout,
                d->interval);

    if (get_id(&c->ld, &o, "profile", ID_ANY, 1, &v) > 0) {
        ref->profile = v;
        ref->profile_at = config_setting_get_member(s, "profile");
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
    cfg->profiles = calloc(cfg->ndevices, sizeof(*cfg->profiles));
    seen = calloc(cfg->ndevices, sizeof(*seen));
    if (cfg->profiles == NULL || seen == NULL) {
        free(seen);
        c->ld.nomem = 1;
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
            char *path = fmt_dup(&c->ld, "%s/%s.cfg", cfg->profile_dir, ref->profile);
            struct stat st;

            if (path == NULL)
                break;
            seen[nseen].name = ref->profile;
            if (stat(path, &st) != 0 && errno == ENOENT) {
                seen[nseen].index = -2;
            } else {
                switch (cfg_profile_load(path, ref->profile, &cfg->profiles[cfg->nprofiles],
                                         c->ld.diags)) {
                case CFG_OK:
                    seen[nseen].index = (int)cfg->nprofiles++;
                    break;
                case CFG_ERR_INVALID:
                    seen[nseen].index = -1;
                    c->ld.nerr++;
                    break;
                case CFG_ERR_NOMEM:
                    seen[nseen].index = -1;
                    c->ld.nomem = 1;
                    break;
                }
            }
            free(path);
            nseen++;
        }
        if (seen[k].index >= 0) {
            cfg->devices[i].profile = (size_t)seen[k].index;
        } else if (seen[k].index == -2) {
            struct obj o;

            obj_init(&o, ref->s, "device", cfg->devices[i].id[0] ? cfg->devices[i].id : NULL,
                     ref->index);
            problem(&c->ld, &o, ref->profile_at, "unknown profile \"%s\" (no %s.cfg in %s)",
                    ref->profile, ref->profile, cfg->profile_dir);
        }
    }
    free(seen);
}
