/*
 * cmd_scan.c - roomwatch scan: finds what is on a Modbus line, behind a Modbus TCP gateway,
 * or at an SNMP agent, and prints the "buses" and "devices" of a config for it.
 *
 * Only reads (Modbus function codes 1 to 4, SNMP GET and GETNEXT): a scan never writes to a
 * device. Progress goes to stderr, the config snippet to stdout, so that
 * `roomwatch scan ... > found.cfg` keeps only what is to be pasted.
 *
 * An RS-485 line: every device on it shares one speed and framing, so the combinations are
 * tried in the order devices ship with (9600 first, no parity first) and the first at which
 * any unit answers is the line's; the others are not tried. The unit ids are asked for one
 * holding register with a short timeout; an answer, even an exception, means a device.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <modbus.h>

#include "cfg/cfg.h"
#include "cmd.h"
#include "scan_mb.h"
#include "scan_snmp.h"
#include "source/snmp_poller.h"

#define SCAN_TARGETS_MAX 16
#define SNMP_TIMEOUT_MIN 0.5 /* s per SNMP request: UDP agents on a busy switch are slow */
#define IDENTIFY_TIMEOUT_MIN 0.3 /* s per read while matching profiles: multi-register reads */

static const int BAUDS[] = {9600, 19200, 4800, 2400, 38400, 57600, 115200, 1200};
static const char PARITIES[] = {'N', 'E', 'O'};

enum target_type { T_RTU, T_TCP, T_SNMP };

struct target {
    enum target_type type;
    char *where; /* device path, or host */
    int port;
    const char *community; /* SNMP; argv's */
    /* results */
    int baud;
    char parity;
    struct scan_mb_result mb;
    struct scan_snmp_host snmp;
    int ok;
};

struct scan {
    struct target t[SCAN_TARGETS_MAX];
    size_t nt;
    int first_unit, last_unit;
    double timeout;
    int baud;    /* 0: try all */
    char parity; /* 0: try all */
    struct cfg_profile *profiles;
    size_t nprofiles;
    int ids[8]; /* device numbers handed out per kind prefix */
};

static void
usage(FILE *fp)
{
    fprintf(fp,
            "usage: roomwatch scan [--rtu DEVICE]... [--tcp HOST[:PORT]]...\n"
            "                      [--community NAME] [--snmp HOST[:PORT]]...\n"
            "                      [--baud B] [--parity N|E|O] [--units FIRST-LAST]\n"
            "                      [--timeout S] [-P PROFILE_DIR]\n"
            "Finds the devices on RS-485 lines, behind Modbus TCP gateways and at SNMP agents,\n"
            "matches them to the shipped profiles, and prints the \"buses\" and \"devices\"\n"
            "of a config. Reads only: never writes to a device.\n");
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(((const struct cfg_profile *)a)->name, ((const struct cfg_profile *)b)->name);
}

/* Every *.cfg of dir; one that does not load is reported and left out. */
static int
load_profiles(struct scan *sc, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL) {
        fprintf(stderr, "roomwatch scan: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        struct cfg_diags diags = {0};
        struct cfg_profile *p;
        char path[4096], name[CFG_ID_MAX];

        if (len < 5 || strcmp(e->d_name + len - 4, ".cfg") != 0 || len - 4 >= sizeof(name))
            continue;
        memcpy(name, e->d_name, len - 4);
        name[len - 4] = '\0';
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        p = realloc(sc->profiles, (sc->nprofiles + 1) * sizeof(*p));
        if (p == NULL) {
            closedir(d);
            return -1;
        }
        sc->profiles = p;
        if (cfg_profile_load_as(path, name, CFG_PROTO_ANY, &p[sc->nprofiles], &diags) != CFG_OK) {
            cfg_diags_print(&diags, stderr);
            fprintf(stderr, "roomwatch scan: %s left out\n", path);
        } else {
            sc->nprofiles++;
        }
        cfg_diags_free(&diags);
    }
    closedir(d);
    if (sc->nprofiles > 0)
        qsort(sc->profiles, sc->nprofiles, sizeof(*sc->profiles), by_name);
    return 0;
}

/* HOST[:PORT] (an IPv6 address in brackets: [::1]:502). */
static int
parse_hostport(const char *arg, int def_port, char **host, int *port)
{
    const char *colon = arg[0] == '[' ? strstr(arg, "]:") : strrchr(arg, ':');
    size_t hlen;
    char *end;

    *port = def_port;
    if (colon != NULL && arg[0] == '[')
        colon++;
    if (colon != NULL && strchr(arg, ':') != colon && arg[0] != '[')
        colon = NULL; /* a bare IPv6 address */
    if (colon != NULL) {
        long v = strtol(colon + 1, &end, 10);
        if (*end != '\0' || v < 1 || v > 65535)
            return -1;
        *port = (int)v;
    }
    hlen = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
    if (arg[0] == '[') {
        arg++;
        hlen -= hlen >= 2 ? 2 : hlen;
    }
    if (hlen == 0 || (*host = strndup(arg, hlen)) == NULL)
        return -1;
    return 0;
}

static void
identify_all(struct scan *sc, modbus_t *ctx, struct target *t)
{
    double it = sc->timeout > IDENTIFY_TIMEOUT_MIN ? sc->timeout : IDENTIFY_TIMEOUT_MIN;

    for (size_t i = 0; i < t->mb.nfound; i++) {
        struct scan_mb_found *f = &t->mb.found[i];

        scan_mb_identify(ctx, f, sc->profiles, sc->nprofiles, it);
        fprintf(stderr, "  unit %d: %s%s%s\n", f->unit,
                f->profile != NULL ? f->profile->name : "answers, no shipped profile fits",
                f->also[0] ? "; also plausible: " : "", f->also);
    }
}

static void
scan_rtu(struct scan *sc, struct target *t)
{
    for (size_t b = 0; b < sizeof(BAUDS) / sizeof(BAUDS[0]) && !t->ok; b++) {
        if (sc->baud != 0 && BAUDS[b] != sc->baud)
            continue;
        for (size_t p = 0; p < sizeof(PARITIES) && !t->ok; p++) {
            modbus_t *ctx;

            if (sc->parity != 0 && PARITIES[p] != sc->parity)
                continue;
            ctx = modbus_new_rtu(t->where, BAUDS[b], PARITIES[p], 8, 1);
            if (ctx == NULL || modbus_connect(ctx) < 0) {
                fprintf(stderr, "roomwatch scan: %s: %s\n", t->where, modbus_strerror(errno));
                if (ctx != NULL)
                    modbus_free(ctx);
                return;
            }
            fprintf(stderr, "rtu %s at %d 8%c1: units %d-%d...\n", t->where, BAUDS[b],
                    PARITIES[p], sc->first_unit, sc->last_unit);
            if (scan_mb_units(ctx, sc->first_unit, sc->last_unit, sc->timeout, &t->mb) < 0) {
                fprintf(stderr, "roomwatch scan: %s: %s\n", t->where, modbus_strerror(errno));
            } else if (t->mb.nfound > 0) {
                t->ok = 1;
                t->baud = BAUDS[b];
                t->parity = PARITIES[p];
                fprintf(stderr, "  %zu units answered\n", t->mb.nfound);
                identify_all(sc, ctx, t);
            } else if (t->mb.garbled > 0) {
                fprintf(stderr, "  %d garbled answers: something is there at another speed\n",
                        t->mb.garbled);
                t->mb.garbled = 0;
            }
            modbus_close(ctx);
            modbus_free(ctx);
        }
    }
    if (!t->ok)
        fprintf(stderr, "rtu %s: no unit answered at any speed and parity tried\n", t->where);
}

static void
scan_tcp(struct scan *sc, struct target *t)
{
    char port[8];
    modbus_t *ctx;

    snprintf(port, sizeof(port), "%d", t->port);
    fprintf(stderr, "tcp %s:%d: units %d-%d...\n", t->where, t->port, sc->first_unit,
            sc->last_unit);
    ctx = modbus_new_tcp_pi(t->where, port);
    if (ctx == NULL) {
        fprintf(stderr, "roomwatch scan: %s: %s\n", t->where, modbus_strerror(errno));
        return;
    }
    modbus_set_response_timeout(ctx, 2, 0); /* the connect */
    if (modbus_connect(ctx) < 0) {
        fprintf(stderr, "roomwatch scan: %s:%d: cannot connect: %s\n", t->where, t->port,
                modbus_strerror(errno));
    } else if (scan_mb_units(ctx, sc->first_unit, sc->last_unit, sc->timeout, &t->mb) < 0) {
        fprintf(stderr, "roomwatch scan: %s:%d: %s\n", t->where, t->port, modbus_strerror(errno));
    } else {
        t->ok = t->mb.nfound > 0;
        fprintf(stderr, "  %zu units answered\n", t->mb.nfound);
        identify_all(sc, ctx, t);
    }
    modbus_close(ctx);
    modbus_free(ctx);
}

static void
scan_snmp(struct scan *sc, struct target *t)
{
    double timeout = sc->timeout > SNMP_TIMEOUT_MIN ? sc->timeout : SNMP_TIMEOUT_MIN;
    char err[160];

    fprintf(stderr, "snmp %s:%d...\n", t->where, t->port);
    if (scan_snmp_host(t->where, t->port, t->community, timeout, sc->profiles, sc->nprofiles,
                       &t->snmp, err, sizeof(err)) < 0) {
        fprintf(stderr, "roomwatch scan: snmp %s:%d: %s\n", t->where, t->port, err);
        return;
    }
    t->ok = 1;
    fprintf(stderr, "  sysDescr \"%s\", sysObjectID %s\n", t->snmp.descr,
            t->snmp.object_id[0] ? t->snmp.object_id : "(none)");
    for (size_t i = 0; i < t->snmp.nmatch; i++)
        fprintf(stderr, "  answers %s (%zu rows)\n", t->snmp.match[i].profile->name,
                t->snmp.match[i].nindex);
    if (t->snmp.nmatch == 0)
        fprintf(stderr, "  answers none of the shipped SNMP profiles\n");
}

static int
has_quantity(const struct cfg_profile *p, const char *q)
{
    for (size_t i = 0; i < p->npoints; i++)
        if (strcmp(p->points[i].quantity, q) == 0)
            return 1;
    return 0;
}

/* The device kind a profile suggests (the config's "kind", free text: a guess to edit). */
static const char *
kind_of(const struct cfg_profile *p, const char **prefix, int *slot)
{
    static const struct {
        const char *quantity, *kind, *prefix;
    } kinds[] = {
        {"charge", "ups", "ups"},           {"energy", "meter", "meter"},
        {"temperature", "th_sensor", "th"}, {"humidity", "th_sensor", "th"},
        {"sensor", "sensor", "sensor"},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (has_quantity(p, kinds[i].quantity)) {
            *prefix = kinds[i].prefix;
            *slot = (int)i;
            return kinds[i].kind;
        }
    if (cfg_profile_point(p, "oper_status") != NULL) {
        *prefix = "switch";
        *slot = 5;
        return "switch";
    }
    *prefix = "dev";
    *slot = 6;
    return "device";
}

/* Opens a device entry: the separator, comment (if any) on a line of its own, id and kind. */
static void
print_device_head(struct scan *sc, const struct cfg_profile *p, int *first, const char *comment)
{
    const char *prefix;
    int slot;
    const char *kind = kind_of(p, &prefix, &slot);

    printf("%s\n", *first ? "" : ",");
    if (comment != NULL && comment[0] != '\0')
        printf("    # %s\n", comment);
    printf("    { id = \"%s%d\"; kind = \"%s\"; ", prefix, ++sc->ids[slot], kind);
    *first = 0;
}

static void
print_config(struct scan *sc)
{
    int first = 1, nbus = 0, nrtu = 0, ntcp = 0;
    char bus_ids[SCAN_TARGETS_MAX][16];

    printf("# roomwatch scan: the buses and devices found; add site and mqtt, check with\n"
           "# roomwatchd -t. Device ids and kinds are suggestions; set interval as needed.\n");
    printf("buses = (");
    for (size_t i = 0; i < sc->nt; i++) {
        struct target *t = &sc->t[i];

        if (t->type == T_SNMP || !t->ok)
            continue;
        if (t->type == T_RTU) {
            snprintf(bus_ids[i], sizeof(bus_ids[i]), "rtu%d", ++nrtu);
            printf("%s\n    { id = \"%s\"; type = \"rtu\"; device = \"%s\"; baud = %d; "
                   "parity = \"%c\"; data_bits = 8; stop_bits = 1; }",
                   nbus ? "," : "", bus_ids[i], t->where, t->baud, t->parity);
        } else {
            snprintf(bus_ids[i], sizeof(bus_ids[i]), "tcp%d", ++ntcp);
            printf("%s\n    { id = \"%s\"; type = \"tcp\"; host = \"%s\"; port = %d; }",
                   nbus ? "," : "", bus_ids[i], t->where, t->port);
        }
        nbus++;
    }
    printf("\n);\ndevices = (");
    for (size_t i = 0; i < sc->nt; i++) {
        struct target *t = &sc->t[i];

        if (!t->ok)
            continue;
        for (size_t k = 0; t->type != T_SNMP && k < t->mb.nfound; k++) {
            const struct scan_mb_found *f = &t->mb.found[k];
            char comment[SCAN_ALSO_MAX + 32];

            if (f->profile == NULL) {
                printf("\n    # unit %d on %s answers, but no shipped profile fits: write one "
                       "(config/README.md, \"Profiles\")",
                       f->unit, bus_ids[i]);
                continue;
            }
            snprintf(comment, sizeof(comment), "%s%s", f->also[0] ? "also plausible: " : "",
                     f->also);
            print_device_head(sc, f->profile, &first, comment);
            printf("bus = \"%s\"; unit = %d; profile = \"%s\"; }", bus_ids[i], f->unit,
                   f->profile->name);
        }
        for (size_t k = 0; t->type == T_SNMP && k < t->snmp.nmatch; k++) {
            const struct scan_snmp_match *m = &t->snmp.match[k];
            char comment[SCAN_SNMP_TEXT * 2 + 64];

            snprintf(comment, sizeof(comment), "%s:%d: \"%s\"%s%s", t->where, t->port,
                     t->snmp.descr, t->snmp.object_id[0] ? ", sysObjectID " : "",
                     t->snmp.object_id);
            print_device_head(sc, m->profile, &first, comment);
            printf("profile = \"%s\";", m->profile->name);
            if (m->nindex > 0) {
                printf(" index = [");
                for (size_t r = 0; r < m->nindex; r++)
                    printf("%s%d", r ? ", " : "", m->index[r]);
                printf("];");
            }
            printf("\n      snmp = { host = \"%s\"; port = %d; version = \"2c\"; ", t->where,
                   t->port);
            /* A community other than "public" is a secret: it goes in a file (0600). */
            if (strcmp(t->community, "public") == 0)
                printf("community = \"public\"; }; }");
            else
                printf("community_file = \"/etc/roomwatch/%s%d.community\"; }; }",
                       m->profile->name, (int)k + 1);
        }
    }
    printf("\n);\n");
}

/* Removes the folder net-snmp was given and what it made there (a tree of folders). */
static void
remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL) {
        char sub[4096];

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        if (unlink(sub) != 0)
            remove_tree(sub);
    }
    if (d != NULL)
        closedir(d);
    rmdir(path);
}

int
cmd_scan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rtu", required_argument, NULL, 'r'},     {"tcp", required_argument, NULL, 't'},
        {"snmp", required_argument, NULL, 's'},    {"community", required_argument, NULL, 'C'},
        {"baud", required_argument, NULL, 'b'},    {"parity", required_argument, NULL, 'p'},
        {"units", required_argument, NULL, 'u'},   {"timeout", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    struct scan sc = {.first_unit = 1, .last_unit = 247, .timeout = 0.1};
    const char *community = "public", *dir_arg = NULL;
    char *dir = NULL, *end, snmp_dir[4096] = "";
    int ch, rc = 0, found = 0;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "P:h", opts, NULL)) != -1) {
        struct target *t = &sc.t[sc.nt];

        if ((ch == 'r' || ch == 't' || ch == 's') && sc.nt == SCAN_TARGETS_MAX) {
            fprintf(stderr, "roomwatch scan: at most %d targets\n", SCAN_TARGETS_MAX);
            rc = 2;
            goto out;
        }
        switch (ch) {
        case 'r':
            t->type = T_RTU;
            if ((t->where = strdup(optarg)) == NULL)
                goto nomem;
            sc.nt++;
            break;
        case 't':
        case 's':
            t->type = ch == 't' ? T_TCP : T_SNMP;
            t->community = community;
            if (parse_hostport(optarg, ch == 't' ? 502 : 161, &t->where, &t->port) < 0) {
                fprintf(stderr, "roomwatch scan: %s: not HOST or HOST:PORT\n", optarg);
                rc = 2;
                goto out;
            }
            sc.nt++;
            break;
        case 'C':
            community = optarg;
            break;
        case 'b':
            sc.baud = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || sc.baud < 300 || sc.baud > 921600) {
                fprintf(stderr, "roomwatch scan: --baud %s: not a baud rate\n", optarg);
                rc = 2;
                goto out;
            }
            break;
        case 'p':
            if (strlen(optarg) != 1 || strchr("NEO", optarg[0]) == NULL) {
                fprintf(stderr, "roomwatch scan: --parity is N, E or O\n");
                rc = 2;
                goto out;
            }
            sc.parity = optarg[0];
            break;
        case 'u':
            if (sscanf(optarg, "%d-%d", &sc.first_unit, &sc.last_unit) != 2 ||
                sc.first_unit < 1 || sc.last_unit > 247 || sc.first_unit > sc.last_unit) {
                fprintf(stderr, "roomwatch scan: --units FIRST-LAST, within 1-247\n");
                rc = 2;
                goto out;
            }
            break;
        case 'T':
            sc.timeout = strtod(optarg, &end);
            if (*end != '\0' || !(sc.timeout >= 0.01 && sc.timeout <= 10.0)) {
                fprintf(stderr, "roomwatch scan: --timeout is 0.01 to 10 seconds\n");
                rc = 2;
                goto out;
            }
            break;
        case 'P':
            dir_arg = optarg;
            break;
        case 'h':
            usage(stdout);
            goto out;
        default:
            usage(stderr);
            rc = 2;
            goto out;
        }
    }
    if (optind != argc || sc.nt == 0) {
        usage(stderr);
        rc = 2;
        goto out;
    }
    if ((dir = dir_arg != NULL ? strdup(dir_arg) : cfg_default_profile_dir()) == NULL)
        goto nomem;
    if (load_profiles(&sc, dir) < 0) {
        rc = 2;
        goto out;
    }
    /* net-snmp creates a state folder at init (the daemon's is /var/lib/roomwatch/snmp): a
     * scan keeps nothing, so it gets a private one that goes at the end. */
    if (getenv("SNMP_PERSISTENT_DIR") == NULL) {
        const char *tmp = getenv("TMPDIR");

        snprintf(snmp_dir, sizeof(snmp_dir), "%s/roomwatch-scan-XXXXXX",
                 tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
        if (mkdtemp(snmp_dir) == NULL) {
            fprintf(stderr, "roomwatch scan: %s: %s\n", snmp_dir, strerror(errno));
            snmp_dir[0] = '\0';
            rc = 1;
            goto out;
        }
        setenv("SNMP_PERSISTENT_DIR", snmp_dir, 1);
    }
    if (sp_library_init() < 0) {
        fprintf(stderr, "roomwatch scan: cannot initialise net-snmp\n");
        rc = 1;
        goto out;
    }
    for (size_t i = 0; i < sc.nt; i++) {
        if (sc.t[i].type == T_RTU)
            scan_rtu(&sc, &sc.t[i]);
        else if (sc.t[i].type == T_TCP)
            scan_tcp(&sc, &sc.t[i]);
        else
            scan_snmp(&sc, &sc.t[i]);
        found |= sc.t[i].ok;
    }
    sp_library_shutdown();
    print_config(&sc);
    rc = found ? 0 : 1;
    goto out;
nomem:
    fprintf(stderr, "roomwatch scan: out of memory\n");
    rc = 1;
out:
    for (size_t i = 0; i < sc.nt; i++) {
        free(sc.t[i].where);
        scan_mb_result_clear(&sc.t[i].mb);
        scan_snmp_host_clear(&sc.t[i].snmp);
    }
    for (size_t i = 0; i < sc.nprofiles; i++)
        cfg_profile_clear(&sc.profiles[i]);
    free(sc.profiles);
    free(dir);
    if (snmp_dir[0] != '\0')
        remove_tree(snmp_dir);
    return rc;
}
