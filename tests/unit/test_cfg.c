/*
 * test_cfg.c - unit tests of the configuration module (agent/cfg).
 *
 * The error classes are pinned down by golden files, as in OpenBSD's bgpd config regress:
 * tests/fixtures/config/NN-name.cfg is loaded and the diagnostics it prints must equal
 * NN-name.ok byte for byte (an empty .ok means the config is valid). The tests run inside
 * that folder and load fixtures by relative name, so the .ok files show paths as a user sees
 * them after `cd /etc/roomwatch; roomwatchd -t -c roomwatch.cfg`. TZDIR points at the
 * fixture zone database, so results do not depend on the machine's tzdata.
 *
 * To regenerate the .ok files after a deliberate change of wording, run the test with
 * RW_UPDATE_GOLDEN=1 and review the diff before committing it.
 *
 * Everything that cannot live in a fixture is built here in a temporary folder: password
 * files (git does not keep mode 0600), and variations over one value (modes, uris).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg/cfg.h"
#include "engine/eng.h"

#define FIXTURES RW_FIXTURES "/config"
#define PROFILES RW_SRC_DIR "/config/profiles"

static char old_cwd[PATH_MAX];

/* Helpers. */
static char *slurp(const char *path);
static void spit(const char *path, const char *text, mode_t mode);
static char *diags_text(const struct cfg_diags *d);
static int has_suffix(const char *s, const char *suffix);
static int is_ok_file(const struct dirent *e);
static int is_cfg_file(const struct dirent *e);
static char *make_tmpdir(void);
static void remove_tmpdir(char *dir);
static enum cfg_status load_text(const char *dir, const char *text, struct rw_config **out,
                                 char **diag_text);
static void load_profile(const char *path, const char *name, struct cfg_profile *p);
static void load_profile_as(const char *path, const char *name, enum cfg_proto proto,
                            struct cfg_profile *p);
static void check_point(const struct cfg_profile *p, const char *name, int fc, int address,
                        enum cfg_dtype type, enum cfg_order order, double scale);

static char *
slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem;
    int ch;

    if (fp == NULL)
        return NULL;
    mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    while ((ch = getc(fp)) != EOF)
        putc(ch, mem);
    fclose(fp);
    fclose(mem);
    return buf;
}

/* Writes text to path with exactly mode, whatever the umask. */
static void
spit(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}

static char *
diags_text(const struct cfg_diags *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);

    assert_non_null(mem);
    cfg_diags_print(d, mem);
    fclose(mem);
    return buf;
}

static int
has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n > m && strcmp(s + n - m, suffix) == 0;
}

static int
is_ok_file(const struct dirent *e)
{
    return has_suffix(e->d_name, ".ok");
}

/* Fixture configs are named NN-name.cfg. */
static int
is_cfg_file(const struct dirent *e)
{
    return e->d_name[0] >= '0' && e->d_name[0] <= '9' && has_suffix(e->d_name, ".cfg");
}

static char *
make_tmpdir(void)
{
    char *dir = strdup("/tmp/rw-test-cfg-XXXXXX");

    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

/* Removes dir and the files (one level of folders) the tests put in it. */
static void
remove_tmpdir(char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX];

    assert_non_null(dp);
    while ((e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) != 0)
            assert_int_equal(rmdir(path), 0);
    }
    closedir(dp);
    assert_int_equal(rmdir(dir), 0);
    free(dir);
}

/* Writes text as dir/rw.cfg and loads it; *diag_text gets what -t would print. */
static enum cfg_status
load_text(const char *dir, const char *text, struct rw_config **out, char **diag_text)
{
    struct cfg_diags d = {0};
    char path[PATH_MAX];
    enum cfg_status st;

    snprintf(path, sizeof(path), "%s/rw.cfg", dir);
    spit(path, text, 0644);
    st = cfg_load(path, out, &d);
    *diag_text = diags_text(&d);
    cfg_diags_free(&d);
    return st;
}

static void
load_profile(const char *path, const char *name, struct cfg_profile *p)
{
    load_profile_as(path, name, CFG_PROTO_MODBUS, p);
}

static void
load_profile_as(const char *path, const char *name, enum cfg_proto proto, struct cfg_profile *p)
{
    struct cfg_diags d = {0};
    enum cfg_status st = cfg_profile_load_as(path, name, proto, p, &d);

    if (st != CFG_OK) {
        char *text = diags_text(&d);

        print_error("%s", text);
        free(text);
    }
    assert_int_equal(st, CFG_OK);
    assert_int_equal(d.n, 0);
    cfg_diags_free(&d);
}

static void
check_point(const struct cfg_profile *p, const char *name, int fc, int address, enum cfg_dtype type,
            enum cfg_order order, double scale)
{
    const struct cfg_point *pt = cfg_profile_point(p, name);

    if (pt == NULL)
        fail_msg("%s: no point %s", p->name, name);
    assert_int_equal(pt->fc, fc);
    assert_int_equal(pt->address, address);
    assert_string_equal(cfg_dtype_name(pt->type), cfg_dtype_name(type));
    assert_string_equal(cfg_order_name(pt->order), cfg_order_name(order));
    assert_true(fabs(pt->scale - scale) < 1e-12);
}

/* ------------------------------------------------------------------------------------- */

static int
group_setup(void **state)
{
    (void)state;
    if (getcwd(old_cwd, sizeof(old_cwd)) == NULL || chdir(FIXTURES) != 0)
        return -1;
    return setenv("TZDIR", "zoneinfo", 1);
}

static int
group_teardown(void **state)
{
    (void)state;
    return chdir(old_cwd);
}

/* Probes: their settings and defaults, and the built-in profiles shared per type. */
static void
test_cfg_load_probe_values(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;
    const struct cfg_device *dev;
    const struct cfg_profile *p;
    struct cfg_pointref ref;

    (void)state;
    assert_int_equal(cfg_load("140-probes.cfg", &cfg, &d), CFG_OK);
    assert_int_equal(d.n, 0);
    assert_int_equal(cfg->ndevices, 7);

    dev = &cfg->devices[1]; /* db1: tcp */
    assert_int_equal(dev->source, CFG_PROTO_PROBE);
    assert_true(dev->bus == SIZE_MAX);
    assert_int_equal(dev->probe.type, CFG_PROBE_TCP);
    assert_string_equal(dev->probe.host, "10.1.2.3");
    assert_int_equal(dev->probe.port, 5432);
    assert_int_equal(dev->probe.backoff, 0);
    assert_true(fabs(dev->timeout - 2.0) < 1e-9); /* min(2 s, interval / 2) */
    p = &cfg->profiles[dev->profile];
    assert_string_equal(p->name, "probe-tcp");
    assert_int_equal(p->protocol, CFG_PROTO_PROBE);
    assert_int_equal(p->npoints, 2);
    assert_string_equal(p->points[0].name, "up");
    assert_string_equal(p->points[1].name, "latency_ms");
    assert_string_equal(p->points[1].unit, "ms");

    dev = &cfg->devices[2]; /* app1: https */
    assert_int_equal(dev->probe.type, CFG_PROBE_HTTP);
    assert_int_equal(dev->probe.tls, 1);
    assert_int_equal(dev->probe.head, 0);
    assert_int_equal(dev->probe.nexpect, 2);
    assert_int_equal(dev->probe.expect[1], 204);
    assert_string_equal(dev->probe.body, "ok");
    assert_string_equal(dev->probe.ca_file, "tls/ca.pem");
    assert_int_equal(dev->probe.verify, 1);
    assert_int_equal(dev->probe.backoff, 1);
    assert_true(fabs(dev->timeout - 5.0) < 1e-9);
    p = &cfg->profiles[dev->profile];
    assert_string_equal(p->name, "probe-https");
    assert_non_null(cfg_profile_point(p, "cert_days"));
    assert_non_null(cfg_profile_point(p, "status"));

    dev = &cfg->devices[3]; /* app2: http, HEAD, no certificate */
    assert_int_equal(dev->probe.tls, 0);
    assert_int_equal(dev->probe.head, 1);
    assert_int_equal(dev->probe.nexpect, 0);
    assert_true(fabs(dev->timeout - 2.0) < 1e-9); /* interval 5 s: 2 s */
    p = &cfg->profiles[dev->profile];
    assert_string_equal(p->name, "probe-http");
    assert_null(cfg_profile_point(p, "cert_days"));

    /* app3 shares app1's profile; verify off. */
    assert_int_equal(cfg->devices[4].profile, cfg->devices[2].profile);
    assert_int_equal(cfg->devices[4].probe.verify, 0);

    dev = &cfg->devices[5]; /* line1: icmp, any kind */
    assert_string_equal(dev->kind, "switch");
    assert_int_equal(dev->probe.type, CFG_PROBE_ICMP);
    assert_int_equal(dev->probe.count, 5);
    p = &cfg->profiles[dev->profile];
    assert_string_equal(p->name, "probe-icmp");
    assert_non_null(cfg_profile_point(p, "rtt_ms"));
    assert_string_equal(cfg_profile_point(p, "loss")->unit, "%");

    dev = &cfg->devices[6]; /* dns1 */
    assert_int_equal(dev->probe.type, CFG_PROBE_DNS);
    assert_string_equal(dev->probe.name, "www.example.gov.cn.");
    assert_string_equal(dev->probe.server, "192.0.2.53");
    assert_int_equal(dev->probe.port, 5353);
    assert_int_equal(dev->probe.aaaa, 1);
    assert_string_equal(cfg->profiles[dev->profile].name, "probe-dns");

    /* The points are ordinary points: found by name, used by indicators. */
    assert_int_equal(cfg_find_point(cfg, "app1.latency_ms", &ref), 0);
    assert_int_equal(ref.device, 2);
    assert_int_equal(cfg->nindicators, 4);
    assert_int_equal(cfg->nalarms, 3);
    assert_string_equal(cfg_probe_type_name(CFG_PROBE_DNS), "dns");
    cfg_free(cfg);
}

/* Every NN-name.cfg prints exactly NN-name.ok; valid ones (empty .ok) load. */
static void
test_cfg_load_golden_fixtures(void **state)
{
    struct dirent **names;
    int n = scandir(".", &names, is_ok_file, alphasort);
    int failures = 0;

    (void)state;
    assert_true(n >= 20);
    for (int i = 0; i < n; i++) {
        struct cfg_diags d = {0};
        struct rw_config *cfg = (struct rw_config *)1;
        char cfgname[NAME_MAX + 1];
        char *want, *got;
        enum cfg_status st;

        snprintf(cfgname, sizeof(cfgname), "%.*s.cfg", (int)strlen(names[i]->d_name) - 3,
                 names[i]->d_name);
        want = slurp(names[i]->d_name);
        assert_non_null(want);
        st = cfg_load(cfgname, &cfg, &d);
        got = diags_text(&d);
        if (getenv("RW_UPDATE_GOLDEN") != NULL) {
            spit(names[i]->d_name, got, 0644);
        } else if (strcmp(want, got) != 0) {
            /* stderr: cmocka's print_error() cuts long messages short. */
            fprintf(stderr, "%s: diagnostics differ\n--- expected\n%s--- got\n%s", cfgname, want,
                    got);
            failures++;
        }
        if (want[0] == '\0' && (st != CFG_OK || cfg == NULL)) {
            print_error("%s: valid config refused\n", cfgname);
            failures++;
        } else if (want[0] != '\0' && (st != CFG_ERR_INVALID || cfg != NULL)) {
            print_error("%s: invalid config accepted (status %d)\n", cfgname, (int)st);
            failures++;
        }
        cfg_free(cfg);
        cfg_diags_free(&d);
        free(want);
        free(got);
        free(names[i]);
    }
    free(names);
    assert_int_equal(failures, 0);
}

/* A fixture without its .ok would never be checked. */
static void
test_cfg_fixtures_all_have_ok_files(void **state)
{
    struct dirent **names;
    int n = scandir(".", &names, is_cfg_file, alphasort);

    (void)state;
    assert_true(n >= 20);
    for (int i = 0; i < n; i++) {
        char ok[NAME_MAX + 1];

        snprintf(ok, sizeof(ok), "%.*s.ok", (int)strlen(names[i]->d_name) - 4, names[i]->d_name);
        if (access(ok, R_OK) != 0)
            fail_msg("%s has no %s", names[i]->d_name, ok);
        free(names[i]);
    }
    free(names);
}

static void
test_cfg_load_full_config_values(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;
    const struct cfg_bus *b;
    const struct cfg_device *dev;

    (void)state;
    assert_int_equal(cfg_load("01-full.cfg", &cfg, &d), CFG_OK);
    assert_int_equal(d.n, 0);
    assert_non_null(cfg);

    assert_string_equal(cfg->file, "01-full.cfg");
    assert_int_equal(cfg->nprofile_dirs, 1);
    assert_string_equal(cfg->profile_dirs[0], "../../../config/profiles");
    assert_int_equal(cfg->queue_size, 8192);

    assert_string_equal(cfg->site.id, "hq");
    assert_string_equal(cfg->site.name, "郑州市房产信息中心 机房");
    assert_string_equal(cfg->site.timezone, "Asia/Shanghai");
    assert_string_equal(cfg->site.gateway, "gw1");

    assert_string_equal(cfg->mqtt.uri, "ssl://broker.example.net:8883");
    assert_string_equal(cfg->mqtt.client_id, "rw-hq-gw1");
    assert_string_equal(cfg->mqtt.prefix, "site/hq/gw1");
    assert_int_equal(cfg->mqtt.qos, 0);
    assert_int_equal(cfg->mqtt.keepalive, 60);
    assert_int_equal(cfg->mqtt.buffer, 50000);
    assert_string_equal(cfg->mqtt.username, "roomwatch");
    assert_null(cfg->mqtt.password);
    assert_null(cfg->mqtt.password_file);
    assert_string_equal(cfg->mqtt.ca_file, "tls/ca.pem");
    assert_string_equal(cfg->mqtt.cert_file, "tls/client.pem");
    assert_string_equal(cfg->mqtt.key_file, "tls/client.key");

    assert_int_equal(cfg->nbuses, 2);
    b = &cfg->buses[0];
    assert_string_equal(b->id, "rs485-1");
    assert_int_equal(b->type, CFG_BUS_RTU);
    assert_string_equal(b->device, "/dev/ttyUSB0");
    assert_null(b->host);
    assert_int_equal(b->baud, 19200);
    assert_int_equal(b->parity, 'E');
    assert_int_equal(b->data_bits, 7);
    assert_int_equal(b->stop_bits, 2);
    assert_int_equal(b->rs485, 1);
    assert_int_equal(b->line, 23);
    b = &cfg->buses[1];
    assert_string_equal(b->id, "lan");
    assert_int_equal(b->type, CFG_BUS_TCP);
    assert_string_equal(b->host, "192.168.10.20");
    assert_null(b->device);
    assert_int_equal(b->port, 5020);
    assert_int_equal(b->line, 25);

    /* Profiles in the order devices first name them, each loaded once. */
    assert_int_equal(cfg->nprofiles, 3);
    assert_string_equal(cfg->profiles[0].name, "eastron-sdm630");
    assert_string_equal(cfg->profiles[0].file, "../../../config/profiles/eastron-sdm630.cfg");
    assert_string_equal(cfg->profiles[1].name, "carlo-gavazzi-em340");
    assert_string_equal(cfg->profiles[2].name, "r444a01");

    assert_int_equal(cfg->ndevices, 4);
    dev = &cfg->devices[0];
    assert_string_equal(dev->id, "meter1");
    assert_string_equal(dev->kind, "meter");
    assert_int_equal(dev->bus, 1);
    assert_int_equal(dev->unit, 1);
    assert_true(dev->interval == 5.0);
    assert_true(dev->timeout == 0.5);
    assert_int_equal(dev->profile, 0);
    assert_int_equal(dev->line, 28);
    dev = &cfg->devices[1];
    assert_string_equal(dev->id, "meter2");
    assert_int_equal(dev->bus, 0);
    assert_int_equal(dev->unit, 2);
    assert_true(dev->interval == 10.0); /* written as an integer */
    assert_true(dev->timeout == 1.5);
    assert_int_equal(dev->profile, 1);
    dev = &cfg->devices[2];
    assert_string_equal(dev->id, "th1");
    assert_string_equal(dev->kind, "th_sensor");
    assert_int_equal(dev->unit, 3);
    assert_true(dev->interval == 30.0);
    assert_true(dev->timeout == 0.5);
    assert_int_equal(dev->profile, 2);
    dev = &cfg->devices[3];
    assert_string_equal(dev->id, "meter3");
    assert_int_equal(dev->unit, 0); /* allowed on tcp */
    assert_int_equal(dev->profile, 0);

    cfg_free(cfg);
    cfg_diags_free(&d);
}

static void
test_cfg_load_minimal_config_defaults(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;
    const struct cfg_bus *b;
    const struct cfg_device *dev;

    (void)state;
    assert_int_equal(cfg_load("02-minimal.cfg", &cfg, &d), CFG_OK);
    assert_int_equal(d.n, 0);

    assert_string_equal(cfg->profile_dirs[0], "profiles"); /* the folder beside the config */
    /* Not given: ten seconds of the devices' samples, at least 512 (two devices: far less). */
    assert_int_equal(cfg->queue_size, 512);
    assert_string_equal(cfg->site.id, "lab");
    assert_null(cfg->site.name);
    assert_string_equal(cfg->site.timezone, "Asia/Shanghai");
    assert_string_equal(cfg->site.gateway, "gw-2");

    assert_string_equal(cfg->mqtt.uri, "tcp://127.0.0.1");
    assert_string_equal(cfg->mqtt.client_id, "roomwatch-lab-gw-2");
    assert_string_equal(cfg->mqtt.prefix, "roomwatch/v1/lab/gw-2");
    assert_int_equal(cfg->mqtt.qos, 1);
    assert_int_equal(cfg->mqtt.keepalive, 30);
    assert_int_equal(cfg->mqtt.buffer, 10000);
    assert_null(cfg->mqtt.username);
    assert_null(cfg->mqtt.password);
    assert_null(cfg->mqtt.password_file);
    assert_null(cfg->mqtt.ca_file);
    assert_null(cfg->mqtt.cert_file);
    assert_null(cfg->mqtt.key_file);

    assert_int_equal(cfg->nbuses, 2);
    b = &cfg->buses[0];
    assert_int_equal(b->type, CFG_BUS_RTU);
    assert_int_equal(b->baud, 9600);
    assert_int_equal(b->parity, 'N');
    assert_int_equal(b->data_bits, 8);
    assert_int_equal(b->stop_bits, 1);
    assert_int_equal(b->rs485, 0);
    b = &cfg->buses[1];
    assert_int_equal(b->type, CFG_BUS_TCP);
    assert_string_equal(b->host, "plc.local");
    assert_int_equal(b->port, 502);

    assert_int_equal(cfg->ndevices, 2);
    dev = &cfg->devices[0];
    assert_int_equal(dev->unit, 1);
    assert_true(dev->interval == 5.0);
    assert_true(dev->timeout == 0.5); /* min(0.5, interval / 2) */
    dev = &cfg->devices[1];
    assert_true(dev->interval == 0.6);
    assert_true(fabs(dev->timeout - 0.3) < 1e-12);

    assert_int_equal(cfg->nprofiles, 1);
    assert_int_equal(cfg->devices[0].profile, 0);
    assert_int_equal(cfg->devices[1].profile, 0);
    assert_string_equal(cfg->profiles[0].file, "profiles/fixture-all.cfg");

    cfg_free(cfg);
    cfg_diags_free(&d);
}

static void
test_cfg_load_missing_file(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = (struct rw_config *)1;
    char *text;

    (void)state;
    assert_int_equal(cfg_load("no-such.cfg", &cfg, &d), CFG_ERR_INVALID);
    assert_null(cfg);
    text = diags_text(&d);
    assert_string_equal(text, "no-such.cfg: No such file or directory\n");
    free(text);
    cfg_diags_free(&d);

    assert_int_equal(cfg_load("profiles", &cfg, &d), CFG_ERR_INVALID);
    text = diags_text(&d);
    assert_string_equal(text, "profiles: Is a directory\n");
    free(text);
    cfg_diags_free(&d);
}

/* Diagnostics already in the list stay first and untouched. */
static void
test_cfg_load_appends_to_diags(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg;
    char *text;

    (void)state;
    cfg_diag_add(&d, "earlier.cfg", 99, "kept");
    assert_int_equal(cfg_load("03-syntax.cfg", &cfg, &d), CFG_ERR_INVALID);
    text = diags_text(&d);
    assert_string_equal(text, "earlier.cfg:99: kept\n03-syntax.cfg:5: syntax error\n");
    free(text);
    cfg_diags_free(&d);
}

static const char password_config[] = "site = { id = \"hq\"; gateway = \"gw1\"; };\n"
                                      "mqtt = {\n"
                                      "    uri = \"tcp://127.0.0.1:1883\";\n"
                                      "    username = \"roomwatch\";\n"
                                      "    password_file = \"mqtt.pass\";\n"
                                      "};\n";

static void
test_cfg_load_password_open_to_others_refused(void **state)
{
    static const mode_t modes[] = {0644, 0604,        0620, 0602, 0660, 0606,
                                   0666, 0700 | 0004, 0700, 0650, 0641, 02600};
    static const char secret[] = "Zh3ngzhou-s3cret";
    char *dir = make_tmpdir();
    char pass[PATH_MAX], want[2 * PATH_MAX];

    (void)state;
    snprintf(pass, sizeof(pass), "%s/mqtt.pass", dir);
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        struct rw_config *cfg = (struct rw_config *)1;
        char *text;

        spit(pass, "Zh3ngzhou-s3cret\n", modes[i]);
        assert_int_equal(load_text(dir, password_config, &cfg, &text), CFG_ERR_INVALID);
        assert_null(cfg);
        snprintf(want, sizeof(want),
                 "%s/rw.cfg:5: mqtt: \"password_file\" \"%s\" has mode %04o: a secrets file "
                 "must be 0600 or 0640 (group may read, others nothing); chmod 600 it\n",
                 dir, pass, (unsigned)modes[i]);
        assert_string_equal(text, want);
        assert_null(strstr(text, secret));
        free(text);
    }
    unlink(pass);
    remove_tmpdir(dir);
}

static void
test_cfg_load_password_private_accepted(void **state)
{
    static const struct {
        const char *content;
        mode_t mode;
        const char *password;
    } cases[] = {
        {"Zh3ngzhou-s3cret\n", 0600, "Zh3ngzhou-s3cret"},
        {"read-only\n", 0400, "read-only"},
        {"group-readable\n", 0640, "group-readable"}, /* root:roomwatch 0640 */
        {"group-read-only\n", 0440, "group-read-only"},
        {"no newline", 0600, "no newline"},
        {"crlf\r\nsecond line is ignored\n", 0600, "crlf"},
        {" spaces kept \n", 0600, " spaces kept "},
    };
    char *dir = make_tmpdir();
    char pass[PATH_MAX];

    (void)state;
    snprintf(pass, sizeof(pass), "%s/mqtt.pass", dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rw_config *cfg = NULL;
        char *text;

        spit(pass, cases[i].content, cases[i].mode);
        assert_int_equal(load_text(dir, password_config, &cfg, &text), CFG_OK);
        assert_string_equal(text, "");
        assert_string_equal(cfg->mqtt.username, "roomwatch");
        assert_string_equal(cfg->mqtt.password, cases[i].password);
        assert_string_equal(cfg->mqtt.password_file, pass);
        cfg_free(cfg);
        free(text);
    }
    unlink(pass);
    remove_tmpdir(dir);
}

static void
test_cfg_load_password_empty_refused(void **state)
{
    static const struct {
        const char *content;
        const char *why;
    } cases[] = {
        {"", "is empty"},
        {"\nsecret on the second line\n", "has an empty first line"},
        {"\r\n", "has an empty first line"},
    };
    char *dir = make_tmpdir();
    char pass[PATH_MAX], want[2 * PATH_MAX];

    (void)state;
    snprintf(pass, sizeof(pass), "%s/mqtt.pass", dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rw_config *cfg;
        char *text;

        spit(pass, cases[i].content, 0600);
        assert_int_equal(load_text(dir, password_config, &cfg, &text), CFG_ERR_INVALID);
        snprintf(want, sizeof(want), "%s/rw.cfg:5: mqtt: \"password_file\" \"%s\" %s\n", dir, pass,
                 cases[i].why);
        assert_string_equal(text, want);
        assert_null(strstr(text, "second"));
        free(text);
    }
    unlink(pass);
    remove_tmpdir(dir);
}

/* The password file is found relative to the config's folder, not the current one. */
static void
test_cfg_load_password_missing_refused(void **state)
{
    char *dir = make_tmpdir();
    struct rw_config *cfg;
    char want[2 * PATH_MAX];
    char *text;

    (void)state;
    assert_int_equal(load_text(dir, password_config, &cfg, &text), CFG_ERR_INVALID);
    snprintf(want, sizeof(want),
             "%s/rw.cfg:5: mqtt: \"password_file\" \"%s/mqtt.pass\": No such file or "
             "directory\n",
             dir, dir);
    assert_string_equal(text, want);
    free(text);
    remove_tmpdir(dir);
}

/* ------------------------------------------------------------------------------------- */
/* SNMP devices                                                                           */

/* Modbus and SNMP side by side: sources, defaults, and the per-device {index} expansion. */
static void
test_cfg_load_snmp_values(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;
    const struct cfg_device *dev;
    const struct cfg_profile *p;
    const struct cfg_point *pt;
    char oid[256];

    (void)state;
    assert_int_equal(cfg_load("35-snmp-ok.cfg", &cfg, &d), CFG_OK);
    assert_int_equal(d.n, 0);
    assert_int_equal(cfg->ndevices, 4);

    dev = &cfg->devices[0];
    assert_int_equal(dev->source, CFG_PROTO_MODBUS);
    assert_int_equal(dev->bus, 0);

    dev = &cfg->devices[1];
    assert_int_equal(dev->source, CFG_PROTO_SNMP);
    assert_true(dev->bus == SIZE_MAX); /* no Modbus worker takes it */
    assert_string_equal(dev->snmp.host, "127.0.0.1");
    assert_int_equal(dev->snmp.port, 16161);
    assert_int_equal(dev->snmp.version, 2);
    assert_string_equal(dev->snmp.community, "public");
    assert_int_equal(dev->snmp.retries, 2);
    /* Default timeout: all tries within half the interval. */
    assert_true(fabs(dev->timeout - 1.0 / 6.0) < 1e-9);
    p = &cfg->profiles[dev->profile];
    assert_int_equal(p->protocol, CFG_PROTO_SNMP);
    pt = cfg_profile_point(p, "source");
    assert_non_null(pt);
    assert_string_equal(cfg_point_oid_text(pt, oid, sizeof(oid)), "1.3.6.1.2.1.33.1.4.1.0");
    assert_int_equal(pt->stype, CFG_ST_INTEGER);
    assert_string_equal(cfg_point_label(p, pt, 5.0), "battery");
    assert_string_equal(cfg_point_label(p, pt, 3.0), "normal");
    assert_null(cfg_point_label(p, pt, 4.0));
    assert_int_equal(cfg_profile_point(p, "sensor")->stype, CFG_ST_ENTITY_SENSOR);

    /* sw1: index [1, 2, 48] repeats "oper" per row; port and version default. */
    dev = &cfg->devices[2];
    assert_int_equal(dev->snmp.port, 161);
    assert_int_equal(dev->snmp.retries, 1);
    p = &cfg->profiles[dev->profile];
    assert_int_equal(p->npoints, 4);
    assert_string_equal(p->points[0].name, "uptime");
    assert_string_equal(p->points[1].name, "oper_1");
    assert_string_equal(p->points[3].name, "oper_48");
    assert_string_equal(cfg_point_oid_text(&p->points[3], oid, sizeof(oid)),
                        "1.3.6.1.2.1.2.2.1.8.48");
    assert_string_equal(cfg_point_label(p, &p->points[2], 2.0), "down");
    assert_false(cfg_profile_indexed(p));

    /* sw2: one index as a plain integer; its own copy, not sw1's. */
    dev = &cfg->devices[3];
    p = &cfg->profiles[dev->profile];
    assert_true(dev->profile != cfg->devices[2].profile);
    assert_int_equal(p->npoints, 2);
    assert_string_equal(p->points[1].name, "oper_7");
    cfg_free(cfg);
    cfg_diags_free(&d);
}

static const char v3_config[] =
    "site = { id = \"hq\"; gateway = \"gw1\"; };\n"
    "profile_dir = \"" RW_FIXTURES "/config/profiles\";\n"
    "mqtt = { uri = \"tcp://127.0.0.1:1883\"; };\n"
    "devices = ( { id = \"ups1\"; kind = \"ups\"; profile = \"snmp-scalar\";\n"
    "    snmp = { host = \"127.0.0.1\"; version = \"3\"; user = \"rw\";\n"
    "             auth_protocol = \"SHA-256\"; auth_passphrase_file = \"auth.pass\";\n"
    "             priv_passphrase_file = \"priv.pass\"; }; },\n"
    "  { id = \"ups2\"; kind = \"ups\"; profile = \"snmp-scalar\";\n"
    "    snmp = { host = \"127.0.0.1\"; community_file = \"community\"; }; } );\n";

/*
 * A secrets file owned by another user (not the one loading it, not root) is refused, for
 * each kind of secret: that user could rewrite it or open it up. Needs root to give a file
 * away; skipped otherwise (CI runs as root).
 */
static void
test_cfg_load_secret_foreign_owner_refused(void **state)
{
    static const struct {
        const char *file;
        int line;
        const char *key;
        const char *what;
    } cases[] = {
        {"auth.pass", 6, "auth_passphrase_file", "device \"ups1\": snmp: "},
        {"priv.pass", 7, "priv_passphrase_file", "device \"ups1\": snmp: "},
        {"community", 9, "community_file", "device \"ups2\": snmp: "},
    };
    const uid_t other = 54321;
    char *dir;
    char path[PATH_MAX], want[4 * PATH_MAX];
    char *text;
    struct rw_config *cfg = NULL;

    (void)state;
    if (geteuid() != 0)
        skip();
    dir = make_tmpdir();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
            snprintf(path, sizeof(path), "%s/%s", dir, cases[k].file);
            (void)unlink(path); /* new files, owned by root again */
        }
        snprintf(path, sizeof(path), "%s/auth.pass", dir);
        spit(path, "auth-s3cret-1\n", 0600);
        snprintf(path, sizeof(path), "%s/priv.pass", dir);
        spit(path, "priv-s3cret-2\n", 0640);
        snprintf(path, sizeof(path), "%s/community", dir);
        spit(path, "c0mmunity\n", 0600);
        snprintf(path, sizeof(path), "%s/%s", dir, cases[i].file);
        assert_int_equal(chown(path, other, (gid_t)-1), 0);
        cfg = (struct rw_config *)1;
        assert_int_equal(load_text(dir, v3_config, &cfg, &text), CFG_ERR_INVALID);
        assert_null(cfg);
        snprintf(want, sizeof(want),
                 "%s/rw.cfg:%d: %s\"%s\" \"%s\" is owned by uid %u, neither this user (uid 0) "
                 "nor root: that user could change it; chown it\n",
                 dir, cases[i].line, cases[i].what, cases[i].key, path, (unsigned)other);
        assert_string_equal(text, want);
        assert_null(strstr(text, "s3cret"));
        assert_null(strstr(text, "c0mmunity\n"));
        free(text);
    }
    /* The MQTT password too. */
    snprintf(path, sizeof(path), "%s/mqtt.pass", dir);
    spit(path, "Zh3ngzhou-s3cret\n", 0600);
    assert_int_equal(chown(path, other, (gid_t)-1), 0);
    cfg = (struct rw_config *)1;
    assert_int_equal(load_text(dir, password_config, &cfg, &text), CFG_ERR_INVALID);
    assert_null(cfg);
    snprintf(want, sizeof(want),
             "%s/rw.cfg:5: mqtt: \"password_file\" \"%s\" is owned by uid %u, neither this "
             "user (uid 0) nor root: that user could change it; chown it\n",
             dir, path, (unsigned)other);
    assert_string_equal(text, want);
    free(text);
    remove_tmpdir(dir);
}

/* Secrets come from private files; open ones and short passphrases are refused, unnamed. */
static void
test_cfg_load_snmp_secret_files(void **state)
{
    char *dir = make_tmpdir();
    char path[PATH_MAX], want[4 * PATH_MAX];
    struct rw_config *cfg = NULL;
    char *text;

    (void)state;
    snprintf(path, sizeof(path), "%s/auth.pass", dir);
    spit(path, "auth-s3cret-1\n", 0600);
    snprintf(path, sizeof(path), "%s/priv.pass", dir);
    spit(path, "priv-s3cret-2\n", 0600);
    snprintf(path, sizeof(path), "%s/community", dir);
    spit(path, "c0mmunity\n", 0600);
    assert_int_equal(load_text(dir, v3_config, &cfg, &text), CFG_OK);
    assert_string_equal(text, "");
    free(text);
    assert_int_equal(cfg->devices[0].snmp.version, 3);
    assert_string_equal(cfg->devices[0].snmp.user, "rw");
    assert_int_equal(cfg->devices[0].snmp.level, CFG_SL_AUTHPRIV);
    assert_int_equal(cfg->devices[0].snmp.auth_protocol, CFG_SA_SHA256);
    assert_int_equal(cfg->devices[0].snmp.priv_protocol, CFG_SP_AES);
    assert_string_equal(cfg->devices[0].snmp.auth_passphrase, "auth-s3cret-1");
    assert_string_equal(cfg->devices[0].snmp.priv_passphrase, "priv-s3cret-2");
    assert_string_equal(cfg->devices[1].snmp.community, "c0mmunity");
    cfg_free(cfg);

    /* Open to others: refused. Too short for USM (< 8): refused. Neither shows the secret. */
    snprintf(path, sizeof(path), "%s/community", dir);
    spit(path, "c0mmunity\n", 0644);
    snprintf(path, sizeof(path), "%s/priv.pass", dir);
    spit(path, "short\n", 0600);
    cfg = (struct rw_config *)1;
    assert_int_equal(load_text(dir, v3_config, &cfg, &text), CFG_ERR_INVALID);
    assert_null(cfg);
    snprintf(want, sizeof(want),
             "%s/rw.cfg:7: device \"ups1\": snmp: \"priv_passphrase_file\" \"%s/priv.pass\": the "
             "secret must be at least 8 characters\n"
             "%s/rw.cfg:9: device \"ups2\": snmp: \"community_file\" \"%s/community\" has mode "
             "0644: a secrets file must be 0600 or 0640 (group may read, others nothing); chmod "
             "600 it\n",
             dir, dir, dir, dir);
    assert_string_equal(text, want);
    assert_null(strstr(text, "c0mmunity\n"));
    assert_null(strstr(text, "short\n"));
    free(text);
    remove_tmpdir(dir);
}

static void
test_cfg_load_uri_forms(void **state)
{
    static const struct {
        const char *uri;
        const char *why; /* NULL if valid */
    } cases[] = {
        {"tcp://127.0.0.1:1883", NULL},
        {"mqtt://broker", NULL},
        {"ssl://[::1]:8883", NULL},
        {"mqtts://broker.example.net:8883", NULL},
        {"tcp://my_host-1.local:1", NULL},
        {"tcp://host:65535", NULL},
        {"tcp://", "must be scheme://host[:port] (no host)"},
        {"tcp://:1883", "must be scheme://host[:port] (no host)"},
        {"tcp://host:0", "must be scheme://host[:port] (port 1 to 65535)"},
        {"tcp://host:65536", "must be scheme://host[:port] (port 1 to 65535)"},
        {"tcp://host:", "must be scheme://host[:port] (port 1 to 65535)"},
        {"tcp://host:018830", "must be scheme://host[:port] (port 1 to 65535)"},
        {"tcp://host:12a", "must be scheme://host[:port] with nothing else"},
        {"tcp://user@host", "must be scheme://host[:port] with nothing else"},
        {"tcp://host/path", "must be scheme://host[:port] with nothing else"},
        {"tcp://host:1883 ", "must be scheme://host[:port] with nothing else"},
        {"ssl://[::1", "must be scheme://host[:port] (bad IPv6 address)"},
        {"ws://host", "must start with tcp://, mqtt://, ssl:// or mqtts://"},
        {"TCP://host", "must start with tcp://, mqtt://, ssl:// or mqtts://"},
        {"127.0.0.1:1883", "must start with tcp://, mqtt://, ssl:// or mqtts://"},
    };
    char *dir = make_tmpdir();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rw_config *cfg = NULL;
        char config[512], want[2 * PATH_MAX];
        char *text;
        enum cfg_status st;

        snprintf(config, sizeof(config),
                 "site = { id = \"hq\"; gateway = \"gw1\"; };\nmqtt = { uri = \"%s\"; };\n",
                 cases[i].uri);
        st = load_text(dir, config, &cfg, &text);
        if (cases[i].why == NULL) {
            assert_string_equal(text, "");
            assert_int_equal(st, CFG_OK);
            assert_string_equal(cfg->mqtt.uri, cases[i].uri);
        } else {
            snprintf(want, sizeof(want), "%s/rw.cfg:2: mqtt: \"uri\" \"%s\" %s\n", dir,
                     cases[i].uri, cases[i].why);
            assert_string_equal(text, want);
            assert_int_equal(st, CFG_ERR_INVALID);
        }
        cfg_free(cfg);
        free(text);
    }
    remove_tmpdir(dir);
}

/* queue_size not given: ten seconds of the devices' samples (a point each per poll and one
 * for the poll: fixture-all has 7 points), between 512 and 4096; given: kept. */
static void
test_cfg_load_queue_size_default(void **state)
{
    static const struct {
        int ndev;
        double interval;
        int given; /* 0: not in the config */
        size_t want;
    } cases[] = {
        {1, 1.0, 0, 512},     /* 8 samples a second: the minimum */
        {3, 0.25, 0, 960},    /* 3 x 8 / 0.25 = 96 a second */
        {10, 0.1, 0, 4096},   /* 800 a second: the maximum */
        {10, 0.1, 100, 100},  /* given: as it is */
        {1, 1.0, 20000, 20000},
    };
    char *dir = make_tmpdir();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rw_config *cfg = NULL;
        char config[4096], *text;
        int n;

        n = snprintf(config, sizeof(config),
                     "site = { id = \"hq\"; gateway = \"gw1\"; };\n"
                     "mqtt = { uri = \"tcp://127.0.0.1\"; };\n"
                     "profile_dir = \"%s/profiles\";\n"
                     "buses = ({ id = \"b\"; type = \"tcp\"; host = \"127.0.0.1\"; });\n",
                     FIXTURES);
        if (cases[i].given > 0)
            n += snprintf(config + n, sizeof(config) - (size_t)n, "queue_size = %d;\n",
                          cases[i].given);
        n += snprintf(config + n, sizeof(config) - (size_t)n, "devices = (");
        for (int d = 0; d < cases[i].ndev; d++)
            n += snprintf(config + n, sizeof(config) - (size_t)n,
                          "%s{ id = \"d%d\"; kind = \"pdu\"; bus = \"b\"; unit = %d; "
                          "interval = %g; profile = \"fixture-all\"; }",
                          d > 0 ? ", " : "", d, d + 1, cases[i].interval);
        snprintf(config + n, sizeof(config) - (size_t)n, ");\n");
        assert_int_equal(load_text(dir, config, &cfg, &text), CFG_OK);
        assert_string_equal(text, "");
        assert_int_equal(cfg->queue_size, cases[i].want);
        cfg_free(cfg);
        free(text);
    }
    remove_tmpdir(dir);
}

/* Free text goes into JSON, which must be UTF-8: malformed sequences are refused. */
static void
test_cfg_load_text_must_be_utf8(void **state)
{
    static const struct {
        const char *name;
        int ok;
    } cases[] = {
        {"caf\xc3\xa9 \xe6\x9c\xba\xe6\x88\xbf", 1}, /* café 机房 */
        {"\xf0\x9d\x84\x9e", 1},                     /* U+1D11E, four bytes */
        {"\xc3", 0},                                 /* cut short at the end */
        {"\xe2\x82", 0},                             /* cut short */
        {"\xc0\xaf", 0},                             /* overlong "/" */
        {"\xe0\x80\xaf", 0},                         /* overlong, three bytes */
        {"\xf0\x80\x80\xaf", 0},                     /* overlong, four bytes */
        {"\xed\xa0\x80", 0},                         /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 0},                     /* past U+10FFFF */
        {"\xff", 0},
        {"bell\x07", 0},
    };
    char *dir = make_tmpdir();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct rw_config *cfg = NULL;
        char config[512];
        char *text;

        snprintf(config, sizeof(config),
                 "site = { id = \"hq\"; gateway = \"gw1\"; name = \"%s\"; };\n"
                 "mqtt = { uri = \"tcp://127.0.0.1\"; };\n",
                 cases[i].name);
        if (cases[i].ok) {
            assert_int_equal(load_text(dir, config, &cfg, &text), CFG_OK);
            assert_string_equal(cfg->site.name, cases[i].name);
        } else {
            assert_int_equal(load_text(dir, config, &cfg, &text), CFG_ERR_INVALID);
            assert_non_null(strstr(text, "\"name\" must be UTF-8 text"));
        }
        cfg_free(cfg);
        free(text);
    }
    remove_tmpdir(dir);
}

/* A profile_dir list is searched in order: the first folder holding NAME.cfg wins. */
static void
test_cfg_load_profile_dirs_first_match_wins(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;

    (void)state;
    assert_int_equal(cfg_load("80-profile-dirs.cfg", &cfg, &d), CFG_OK);
    assert_int_equal(cfg->nprofile_dirs, 2);
    assert_string_equal(cfg->profile_dirs[0], "profiles-local");
    assert_string_equal(cfg->profile_dirs[1], "profiles");
    assert_int_equal(cfg->nprofiles, 2);
    /* "aligned" is in both folders: the local copy, listed first, is the one read. */
    assert_string_equal(cfg->profiles[cfg->devices[0].profile].file,
                        "profiles-local/aligned.cfg");
    assert_string_equal(cfg->profiles[cfg->devices[0].profile].model,
                        "aligned reads, local copy");
    assert_string_equal(cfg->profiles[cfg->devices[1].profile].file, "profiles/fixture-all.cfg");
    cfg_free(cfg);
    cfg_diags_free(&d);
}

/* No "profiles" beside the config: the installed folder, ROOMWATCH_PROFILE_DIR. */
static void
test_cfg_load_profile_dir_default(void **state)
{
    static const char config[] = "site = { id = \"hq\"; gateway = \"gw1\"; };\n"
                                 "mqtt = { uri = \"tcp://127.0.0.1:1883\"; };\n";
    char *dir = make_tmpdir();
    struct rw_config *cfg = NULL;
    char beside[PATH_MAX];
    char *text;

    (void)state;
    assert_int_equal(load_text(dir, config, &cfg, &text), CFG_OK);
    assert_true(cfg->profile_dirs[0][0] == '/');
    assert_true(has_suffix(cfg->profile_dirs[0], "/profiles"));
    cfg_free(cfg);
    free(text);

    snprintf(beside, sizeof(beside), "%s/profiles", dir);
    assert_int_equal(mkdir(beside, 0755), 0);
    assert_int_equal(load_text(dir, config, &cfg, &text), CFG_OK);
    assert_string_equal(cfg->profile_dirs[0], beside);
    cfg_free(cfg);
    free(text);
    remove_tmpdir(dir);
}

/* Without a zone database to look in, any well-formed zone name passes. */
static void
test_cfg_load_timezone_without_zoneinfo(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;

    (void)state;
    assert_int_equal(setenv("TZDIR", "no-such-zoneinfo", 1), 0);
    assert_int_equal(cfg_load("22-timezone.cfg", &cfg, &d), CFG_OK);
    assert_string_equal(cfg->site.timezone, "Asia/Shanghia");
    assert_int_equal(setenv("TZDIR", "zoneinfo", 1), 0);
    cfg_free(cfg);
    cfg_diags_free(&d);
}

static void
test_cfg_point_width_by_type(void **state)
{
    struct cfg_point p;

    (void)state;
    memset(&p, 0, sizeof(p));
    p.type = CFG_T_BIT;
    assert_int_equal(cfg_point_width(&p), 1);
    p.type = CFG_T_INT16;
    assert_int_equal(cfg_point_width(&p), 1);
    p.type = CFG_T_UINT16;
    assert_int_equal(cfg_point_width(&p), 1);
    p.type = CFG_T_INT32;
    assert_int_equal(cfg_point_width(&p), 2);
    p.type = CFG_T_UINT32;
    assert_int_equal(cfg_point_width(&p), 2);
    p.type = CFG_T_FLOAT32;
    assert_int_equal(cfg_point_width(&p), 2);
}

static void
test_cfg_names_of_types_and_orders(void **state)
{
    (void)state;
    assert_string_equal(cfg_dtype_name(CFG_T_BIT), "bit");
    assert_string_equal(cfg_dtype_name(CFG_T_INT16), "int16");
    assert_string_equal(cfg_dtype_name(CFG_T_UINT16), "uint16");
    assert_string_equal(cfg_dtype_name(CFG_T_INT32), "int32");
    assert_string_equal(cfg_dtype_name(CFG_T_UINT32), "uint32");
    assert_string_equal(cfg_dtype_name(CFG_T_FLOAT32), "float32");
    assert_string_equal(cfg_dtype_name((enum cfg_dtype)99), "?");
    assert_string_equal(cfg_order_name(CFG_O_ABCD), "ABCD");
    assert_string_equal(cfg_order_name(CFG_O_BADC), "BADC");
    assert_string_equal(cfg_order_name(CFG_O_CDAB), "CDAB");
    assert_string_equal(cfg_order_name(CFG_O_DCBA), "DCBA");
    assert_string_equal(cfg_order_name((enum cfg_order)99), "?");
}

static void
test_cfg_profile_point_lookup_and_defaults(void **state)
{
    struct cfg_profile p;
    const struct cfg_point *pt;

    (void)state;
    load_profile("profiles/fixture-all.cfg", "fixture-all", &p);
    assert_string_equal(p.name, "fixture-all");
    assert_string_equal(p.file, "profiles/fixture-all.cfg");
    assert_string_equal(p.model, "roomwatch test device");
    assert_int_equal(p.max_read_registers, 100);
    assert_int_equal(p.max_read_bits, 64);
    assert_int_equal(p.register_multiple, 1);
    assert_int_equal(p.request_gap_ms, 20);
    assert_int_equal(p.npoints, 7);

    pt = cfg_profile_point(&p, "temp");
    assert_non_null(pt);
    assert_ptr_equal(pt, &p.points[2]);
    assert_string_equal(pt->quantity, "temperature");
    assert_string_equal(pt->unit, "°C");
    assert_int_equal(pt->fc, 3);
    assert_int_equal(pt->address, 0x10);
    assert_int_equal(pt->type, CFG_T_INT16);
    assert_int_equal(pt->order, CFG_O_BADC);
    assert_true(pt->scale == 0.1);
    assert_true(pt->offset == 0.0);
    assert_true(pt->min == -40.0); /* integers accepted where numbers are expected */
    assert_true(pt->max == 80.0);
    assert_int_equal(pt->line, 13);

    /* Defaults: ABCD, scale 1, offset 0, open range, no unit. */
    pt = cfg_profile_point(&p, "door_open");
    assert_non_null(pt);
    assert_int_equal(pt->type, CFG_T_BIT);
    assert_int_equal(pt->fc, 1);
    assert_int_equal(pt->order, CFG_O_ABCD);
    assert_true(pt->scale == 1.0);
    assert_true(pt->offset == 0.0);
    assert_true(isinf(pt->min) && pt->min < 0);
    assert_true(isinf(pt->max) && pt->max > 0);
    assert_string_equal(pt->unit, "");

    pt = cfg_profile_point(&p, "balance");
    assert_non_null(pt);
    assert_true(pt->offset == -5.0);
    assert_int_equal(cfg_point_width(pt), 2);

    assert_null(cfg_profile_point(&p, "nope"));
    assert_null(cfg_profile_point(&p, "TEMP"));
    assert_null(cfg_profile_point(&p, ""));

    cfg_profile_clear(&p);
    assert_null(p.points);
    assert_int_equal(p.npoints, 0);
    cfg_profile_clear(&p); /* twice is harmless */
    cfg_profile_clear(NULL);
}

/* A point whose aligned read runs past register 65535 is refused at its line, so that every
 * profile the loader accepts can be planned (fuzz_profile found one that could not). */
static void
test_cfg_profile_aligned_read_past_end(void **state)
{
    struct cfg_diags d = {0};
    struct cfg_profile p;
    char *text;

    (void)state;
    assert_int_equal(cfg_profile_load("profiles/bad-align-end.cfg", "bad-align-end", &p, &d),
                     CFG_ERR_INVALID);
    text = diags_text(&d);
    assert_string_equal(text, "profiles/bad-align-end.cfg:9: point \"last\": reading it with "
                              "register_multiple 3 runs past register 65535\n");
    free(text);
    cfg_diags_free(&d);
}

/* roomwatch-devsim loads profiles on their own: problems come back the same way. */
static void
test_cfg_profile_load_reports_problems(void **state)
{
    struct cfg_diags d = {0};
    struct cfg_profile p;
    char *text;

    (void)state;
    memset(&p, 0xa5, sizeof(p));
    assert_int_equal(cfg_profile_load("profiles/bad-point-key.cfg", "bad-point-key", &p, &d),
                     CFG_ERR_INVALID);
    assert_null(p.points);
    assert_null(p.model);
    assert_int_equal(p.npoints, 0);
    text = diags_text(&d);
    assert_string_equal(text, "profiles/bad-point-key.cfg:6: unknown key \"scael\" in point "
                              "\"t\" (did you mean \"scale\"?)\n");
    free(text);
    cfg_diags_free(&d);

    assert_int_equal(cfg_profile_load("profiles/none.cfg", "none", &p, &d), CFG_ERR_INVALID);
    text = diags_text(&d);
    assert_string_equal(text, "profiles/none.cfg: No such file or directory\n");
    free(text);
    cfg_diags_free(&d);

    assert_int_equal(
        cfg_profile_load("profiles/fixture-all.cfg",
                         "a-name-of-sixty-four-characters-is-one-too-long-for-cfg-id-max-x", &p,
                         &d),
        CFG_ERR_INVALID);
    text = diags_text(&d);
    assert_string_equal(text,
                        "profiles/fixture-all.cfg: profile name is longer than 63 characters\n");
    free(text);
    cfg_diags_free(&d);
}

static void
test_cfg_real_profiles_load_clean(void **state)
{
    struct dirent **names;
    int n = scandir(PROFILES, &names, NULL, alphasort);
    int loaded = 0;

    (void)state;
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX], name[CFG_ID_MAX];
        struct cfg_profile p;

        if (has_suffix(names[i]->d_name, ".cfg")) {
            snprintf(path, sizeof(path), "%s/%s", PROFILES, names[i]->d_name);
            snprintf(name, sizeof(name), "%.*s", (int)strlen(names[i]->d_name) - 4,
                     names[i]->d_name);
            load_profile_as(path, name, CFG_PROTO_ANY, &p);
            assert_true(p.npoints > 0);
            assert_true(strlen(p.model) > 0);
            /* Real maps give every point a plausible range: garbage must not pass. Only
             * states (with their labels), counts and ENTITY-SENSOR values, whose unit the
             * agent tells, go without a unit. */
            for (size_t k = 0; k < p.npoints; k++) {
                const struct cfg_point *pt = &p.points[k];

                assert_true(isfinite(pt->min));
                assert_true(isfinite(pt->max));
                assert_true(pt->unit[0] != '\0' || pt->nenum > 0 ||
                            strcmp(pt->quantity, "count") == 0 ||
                            pt->stype == CFG_ST_ENTITY_SENSOR);
            }
            if (strcmp(name, "ups-mib") == 0) {
                /* The alarm table is walked, never indexed: rows and one point per alarm. */
                const struct cfg_point *rows = cfg_profile_point(&p, "alarm_rows");
                const struct cfg_point *onb = cfg_profile_point(&p, "alarm_on_battery");
                char oid[CFG_OID_MAX * 11];

                assert_non_null(rows);
                assert_non_null(onb);
                assert_true(rows->walk && rows->stype == CFG_ST_ROWS);
                assert_true(onb->walk && onb->stype == CFG_ST_HAS_OID);
                assert_string_equal(cfg_point_oid_text(onb, oid, sizeof(oid)),
                                    "1.3.6.1.2.1.33.1.6.2.1.2");
                assert_int_equal(onb->match_len, 11);
                assert_int_equal(onb->match[10], 2);
                assert_int_equal(cfg_profile_point(&p, "alarm_input_bad")->match[10], 6);
                assert_int_equal(cfg_profile_point(&p, "alarm_communications_lost")->match[10],
                                 20);
                assert_string_equal(cfg_point_label(&p, onb, 1.0), "active");
            }
            cfg_profile_clear(&p);
            loaded++;
        }
        free(names[i]);
    }
    free(names);
    assert_true(loaded >= 3);
}

static void
test_cfg_real_profile_eastron_sdm630(void **state)
{
    struct cfg_profile p;
    const struct cfg_point *pt;

    (void)state;
    load_profile(PROFILES "/eastron-sdm630.cfg", "eastron-sdm630", &p);
    assert_string_equal(p.model, "Eastron SDM630");
    assert_int_equal(p.max_read_registers, 80);
    assert_int_equal(p.register_multiple, 2);
    check_point(&p, "v_l1", 4, 0x0000, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "v_l2", 4, 0x0002, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "v_l3", 4, 0x0004, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "i_l1", 4, 0x0006, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "i_l2", 4, 0x0008, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "i_l3", 4, 0x000A, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "p_l1", 4, 0x000C, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "p_l2", 4, 0x000E, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "p_l3", 4, 0x0010, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "p_total", 4, 0x0034, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "frequency", 4, 0x0046, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "energy_import", 4, 0x0048, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    check_point(&p, "energy_total", 4, 0x0156, CFG_T_FLOAT32, CFG_O_ABCD, 1.0);
    assert_int_equal(p.npoints, 13);

    pt = cfg_profile_point(&p, "v_l1");
    assert_string_equal(pt->unit, "V");
    assert_true(6553.5 > pt->max); /* a 0xFFFF glitch read as tenths of a volt */
    pt = cfg_profile_point(&p, "frequency");
    assert_true(pt->min == 45.0 && pt->max == 65.0);
    pt = cfg_profile_point(&p, "energy_total");
    assert_string_equal(pt->unit, "kWh");
    assert_true(pt->min == 0.0 && pt->max == 1.0e9);
    cfg_profile_clear(&p);
}

static void
test_cfg_real_profile_carlo_gavazzi_em340(void **state)
{
    struct cfg_profile p;
    const struct cfg_point *pt;

    (void)state;
    load_profile(PROFILES "/carlo-gavazzi-em340.cfg", "carlo-gavazzi-em340", &p);
    assert_int_equal(p.register_multiple, 1);
    check_point(&p, "v_l1", 4, 0x0000, CFG_T_INT32, CFG_O_CDAB, 0.1);
    check_point(&p, "v_l2", 4, 0x0002, CFG_T_INT32, CFG_O_CDAB, 0.1);
    check_point(&p, "v_l3", 4, 0x0004, CFG_T_INT32, CFG_O_CDAB, 0.1);
    check_point(&p, "i_l1", 4, 0x000C, CFG_T_INT32, CFG_O_CDAB, 0.001);
    check_point(&p, "i_l2", 4, 0x000E, CFG_T_INT32, CFG_O_CDAB, 0.001);
    check_point(&p, "i_l3", 4, 0x0010, CFG_T_INT32, CFG_O_CDAB, 0.001);
    check_point(&p, "p_l1", 4, 0x0012, CFG_T_INT32, CFG_O_CDAB, 0.1);
    check_point(&p, "p_l2", 4, 0x0014, CFG_T_INT32, CFG_O_CDAB, 0.1);
    check_point(&p, "p_l3", 4, 0x0016, CFG_T_INT32, CFG_O_CDAB, 0.1);
    check_point(&p, "p_total", 4, 0x0028, CFG_T_INT32, CFG_O_CDAB, 0.1);
    check_point(&p, "frequency", 4, 0x0033, CFG_T_INT16, CFG_O_ABCD, 0.1);
    check_point(&p, "energy_import", 4, 0x0034, CFG_T_INT32, CFG_O_CDAB, 0.1);
    pt = cfg_profile_point(&p, "frequency");
    assert_int_equal(cfg_point_width(pt), 1);
    assert_string_equal(pt->unit, "Hz");
    cfg_profile_clear(&p);
}

static void
test_cfg_real_profile_r444a01(void **state)
{
    struct cfg_profile p;
    const struct cfg_point *pt;

    (void)state;
    load_profile(PROFILES "/r444a01.cfg", "r444a01", &p);
    assert_int_equal(p.npoints, 2);
    check_point(&p, "temperature", 3, 0x0000, CFG_T_INT16, CFG_O_ABCD, 0.1);
    check_point(&p, "humidity", 3, 0x0001, CFG_T_UINT16, CFG_O_ABCD, 0.1);
    pt = cfg_profile_point(&p, "temperature");
    assert_string_equal(pt->unit, "°C");
    assert_true(pt->min == -40.0 && pt->max == 80.0);
    pt = cfg_profile_point(&p, "humidity");
    assert_string_equal(pt->unit, "%RH");
    assert_true(pt->min == 0.0 && pt->max == 100.0);
    assert_true(0xFFFF * pt->scale > pt->max); /* a failed probe's 0xFFFF is out of range */
    cfg_profile_clear(&p);
}

/* Every data type, function code and byte order is exercised by some profile. */
static void
test_cfg_profiles_cover_every_type_fc_and_order(void **state)
{
    static const char *const files[][2] = {
        {PROFILES "/eastron-sdm630.cfg", "eastron-sdm630"},
        {PROFILES "/carlo-gavazzi-em340.cfg", "carlo-gavazzi-em340"},
        {PROFILES "/r444a01.cfg", "r444a01"},
        {"profiles/fixture-all.cfg", "fixture-all"},
    };
    unsigned types = 0, fcs = 0, orders = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct cfg_profile p;

        load_profile(files[i][0], files[i][1], &p);
        for (size_t k = 0; k < p.npoints; k++) {
            types |= 1u << p.points[k].type;
            fcs |= 1u << p.points[k].fc;
            if (cfg_point_width(&p.points[k]) == 2)
                orders |= 1u << p.points[k].order;
        }
        cfg_profile_clear(&p);
    }
    assert_int_equal(types, (1u << (CFG_T_FLOAT32 + 1)) - 1);
    assert_int_equal(fcs, 0x1e); /* 1, 2, 3, 4 */
    assert_int_equal(orders, (1u << (CFG_O_DCBA + 1)) - 1);
}

static void
test_cfg_diags_print_and_free(void **state)
{
    struct cfg_diags d = {0};
    char *text;

    (void)state;
    cfg_diag_add(&d, "a.cfg", 3, "bad %s at %d", "thing", 7);
    cfg_diag_add(&d, "a.cfg", 0, "whole file");
    cfg_diag_add(&d, NULL, 0, "no file");
    for (int i = 0; i < 40; i++) /* past the first allocation */
        cfg_diag_add(&d, "b.cfg", i + 1, "n%d", i);
    assert_int_equal(d.n, 43);
    assert_int_equal(d.v[0].line, 3);
    assert_string_equal(d.v[0].msg, "bad thing at 7");
    text = diags_text(&d);
    assert_true(strncmp(text, "a.cfg:3: bad thing at 7\na.cfg: whole file\nno file\nb.cfg:1: n0\n",
                        62) == 0);
    assert_true(has_suffix(text, "b.cfg:40: n39\n"));
    free(text);
    cfg_diags_free(&d);
    assert_int_equal(d.n, 0);
    assert_null(d.v);
    cfg_diags_free(&d);
    cfg_diags_free(NULL);
    cfg_free(NULL);
}

/* 60-delivery.cfg: the agent's reports of every device, or of those listed. */
static void
test_cfg_load_delivery_values(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;
    const struct cfg_indicator *in;
    struct eng_ind_cfg ec;

    (void)state;
    assert_int_equal(cfg_load("60-delivery.cfg", &cfg, &d), CFG_OK);
    assert_int_equal(cfg->nindicators, 2);
    assert_true(cfg_has_delivery(cfg));

    in = &cfg->indicators[0];
    assert_int_equal(in->kind, CFG_IND_DELIVERY);
    assert_string_equal(cfg_ind_kind_name(in->kind), "delivery");
    assert_string_equal(cfg_ind_kind_unit(in->kind), "%");
    assert_true(in->deadline == 60.0); /* the default */
    /* No "devices": every device's telemetry, as the agent's point of each. */
    assert_int_equal(in->npoints, 2);
    assert_int_equal(in->points[0].device, 0);
    assert_int_equal(in->points[1].device, 1);
    assert_true(in->points[0].point == CFG_POINT_DELIVERY);
    assert_true(in->points[1].point == CFG_POINT_DELIVERY);
    assert_true(in->target.has_lower && in->target.lower == 99.0);
    assert_string_equal(in->target.unit, "%");
    cfg_indicator_engine(in, &ec);
    assert_int_equal(ec.kind, ENG_DELIVERY);
    assert_int_equal(ec.deadline_ms, 60000);

    in = &cfg->indicators[1];
    assert_true(in->deadline == 2.5);
    assert_int_equal(in->npoints, 1);
    assert_int_equal(in->points[0].device, 1);
    assert_true(in->target.has_lower && in->target.has_upper && in->target.lower == 100.0);
    cfg_indicator_engine(in, &ec);
    assert_int_equal(ec.deadline_ms, 2500);
    cfg_free(cfg);
    cfg_diags_free(&d);

    /* Without a delivery indicator the engine has no agent points. */
    assert_int_equal(cfg_load("26-indicators.cfg", &cfg, &d), CFG_OK);
    assert_false(cfg_has_delivery(cfg));
    cfg_free(cfg);
    cfg_diags_free(&d);
}

/* 26-indicators.cfg: every kind, with defaults and the parsed targets. */
static void
test_cfg_load_indicators_values(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;
    const struct cfg_indicator *in;

    (void)state;
    assert_int_equal(cfg_load("26-indicators.cfg", &cfg, &d), CFG_OK);
    assert_int_equal(cfg->site.period, CFG_PERIOD_YEAR);
    assert_true(cfg->devices[0].stale == 180.0);
    assert_true(cfg->devices[1].stale == 30.0); /* 3 x interval */
    assert_int_equal(cfg->nindicators, 8);

    in = &cfg->indicators[0];
    assert_string_equal(in->id, "temp_band");
    assert_string_equal(in->name, "机房环境稳定运行");
    assert_string_equal(in->category, "产出指标");
    assert_string_equal(in->subcategory, "质量指标");
    assert_int_equal(in->kind, CFG_IND_BAND);
    assert_int_equal(in->npoints, 2);
    assert_int_equal(in->points[1].device, 1);
    assert_string_equal(cfg->profiles[0].points[in->points[1].point].name, "temp");
    assert_true(in->lo == 18.0 && in->hi == 27.0);
    assert_true(in->has_assess && in->assess_lo == -40.0 && in->assess_hi == 80.0);
    assert_true(in->window == 0.0);
    assert_int_equal(in->each, 1);
    assert_string_equal(in->target_text, "≥97(%)");
    assert_true(in->target.has_lower && in->target.lower == 97.0);
    assert_string_equal(in->target.unit, "%");

    in = &cfg->indicators[1];
    assert_true(fabs(in->lo - 198.0) < 1e-9 && fabs(in->hi - 235.4) < 1e-9);
    assert_true(in->window == 60.0);
    assert_int_equal(in->each, 0);
    assert_true(in->target.qualitative);
    assert_string_equal(in->rule_text, ">=97");
    assert_true(in->rule.has_lower && in->rule.lower == 97.0);

    in = &cfg->indicators[2];
    assert_int_equal(in->kind, CFG_IND_SUPPLY_DAYS);
    assert_int_equal(in->cond.op, CFG_COND_IN);
    assert_int_equal(in->cond.nset, 5);
    assert_true(in->cond.set[4] == 7.0);
    assert_string_equal(in->target.unit, "day");

    in = &cfg->indicators[3];
    assert_int_equal(in->cond.op, CFG_COND_NONE);
    assert_string_equal(in->target_unit, "%");
    assert_string_equal(in->target.unit, "%");

    in = &cfg->indicators[4];
    assert_int_equal(in->cond.op, CFG_COND_RANGE);
    assert_true(in->cond.lo == 1.0 && in->cond.hi == 2.0);
    assert_string_equal(in->target.unit, "h");

    in = &cfg->indicators[5];
    assert_int_equal(in->cond.op, CFG_COND_ABOVE);
    assert_true(in->cond.lo == 150.0);

    in = &cfg->indicators[6];
    assert_int_equal(in->kind, CFG_IND_DUTY_DAYS);
    assert_true(in->duty_share == 0.98);
    /* No points: every point of every device. */
    assert_int_equal(in->npoints, 2 * cfg->profiles[0].npoints);

    in = &cfg->indicators[7];
    assert_int_equal(in->kind, CFG_IND_ENERGY);
    assert_null(in->target_text);
    assert_string_equal(cfg_ind_kind_unit(in->kind), "kWh");
    cfg_free(cfg);
    cfg_diags_free(&d);
}

/* 86-notify-valid.cfg: routes, quiet hours, limits, e-mail and escalation values. */
static void
test_cfg_load_notify_values(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;
    const struct cfg_notify *n;

    (void)state;
    assert_int_equal(cfg_load("86-notify-valid.cfg", &cfg, &d), CFG_OK);
    assert_int_equal(cfg->nnotify, 3);
    n = cfg_notify_find(cfg, "am");
    assert_non_null(n);
    assert_int_equal(n->type, CFG_NT_ALERTMANAGER);
    assert_string_equal(n->url, "http://127.0.0.1:9093");
    assert_true(n->resend == 120.0 && n->timeout == 10.0);
    assert_int_equal(n->nroutes, 2);
    assert_int_equal(n->routes[0].events, CFG_NT_EV_OPENED | CFG_NT_EV_RESOLVED);
    assert_int_equal(n->routes[0].severities, (1u << CFG_SEV_CRITICAL) | (1u << CFG_SEV_MAJOR));
    assert_int_equal(n->routes[0].categories, 1u << CFG_CAT_POWER);
    assert_int_equal(n->routes[1].events, CFG_NT_EV_ESCALATED);
    assert_int_equal(n->routes[1].severities, ~0u);
    assert_int_equal(n->quiet_from, -1);
    assert_int_equal(n->rate_limit, 0);
    assert_int_equal(n->english, 0);
    n = &cfg->notify[1];
    assert_string_equal(cfg_nt_type_name(n->type), "webhook");
    assert_int_equal(n->english, 1);
    assert_int_equal(n->quiet_from, 22 * 60 + 30);
    assert_int_equal(n->quiet_to, 7 * 60);
    assert_int_equal(n->rate_limit, 30);
    assert_true(n->timeout == 5.0);
    assert_int_equal(n->nroutes, 1);
    assert_int_equal(n->routes[0].events, CFG_NT_EV_ALL);
    n = &cfg->notify[2];
    assert_int_equal(n->type, CFG_NT_EMAIL);
    assert_string_equal(n->from, "rw@example.org");
    assert_int_equal(n->nto, 2);
    assert_string_equal(n->to[1], "boss@example.org");
    assert_int_equal(n->starttls, 0);
    assert_null(n->username);
    assert_null(cfg_notify_find(cfg, "none"));
    assert_true(cfg->escalate[CFG_SEV_CRITICAL] == 900.0);
    assert_true(cfg->escalate[CFG_SEV_MAJOR] == 3600.5);
    assert_true(cfg->escalate[CFG_SEV_MINOR] == 0.0);
    cfg_free(cfg);
    cfg_diags_free(&d);
}

/* The robots' keys and secrets come from 0600 files; the endpoints have defaults; the rate
 * limit defaults to the robots' documented one. */
static void
test_cfg_load_notify_secret_files(void **state)
{
    static const char text[] =
        "site = { id = \"hq\"; gateway = \"gw1\"; };\n"
        "mqtt = { uri = \"tcp://127.0.0.1:1883\"; };\n"
        "notify = (\n"
        "  { id = \"dt\"; type = \"dingtalk\"; key_file = \"dt.key\"; secret_file = \"dt.sec\"; },\n"
        "  { id = \"wc\"; type = \"wecom\"; key_file = \"dt.key\"; rate_limit = 10; },\n"
        "  { id = \"fs\"; type = \"feishu\"; url = \"http://127.0.0.1:1/hook\";\n"
        "    key_file = \"dt.key\"; secret_file = \"dt.sec\"; }\n"
        ");\n";
    char *dir = make_tmpdir();
    char path[PATH_MAX], want[2 * PATH_MAX];
    struct rw_config *cfg = NULL;
    char *diag;

    (void)state;
    snprintf(path, sizeof(path), "%s/dt.key", dir);
    spit(path, "t0ken\n", 0600);
    snprintf(path, sizeof(path), "%s/dt.sec", dir);
    spit(path, "SECabc123\n", 0600);
    assert_int_equal(load_text(dir, text, &cfg, &diag), CFG_OK);
    assert_string_equal(diag, "");
    free(diag);
    assert_string_equal(cfg->notify[0].url, "https://oapi.dingtalk.com/robot/send");
    assert_string_equal(cfg->notify[0].key, "t0ken");
    assert_string_equal(cfg->notify[0].secret, "SECabc123");
    assert_int_equal(cfg->notify[0].rate_limit, 20);
    assert_string_equal(cfg->notify[1].url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send");
    assert_null(cfg->notify[1].secret);
    assert_int_equal(cfg->notify[1].rate_limit, 10);
    assert_string_equal(cfg->notify[2].url, "http://127.0.0.1:1/hook");
    assert_int_equal(cfg->notify[2].rate_limit, 100);
    cfg_free(cfg);

    /* Open to others: refused, and the secret is not in the message (0640 is fine: a group
     * such as the service's may read it). */
    snprintf(path, sizeof(path), "%s/dt.sec", dir);
    spit(path, "SECabc123\n", 0644);
    assert_int_equal(load_text(dir, text, &cfg, &diag), CFG_ERR_INVALID);
    snprintf(want, sizeof(want),
             "%s/rw.cfg:4: channel \"dt\": \"secret_file\" \"%s/dt.sec\" has mode 0644: a "
             "secrets file must be 0600 or 0640 (group may read, others nothing); chmod 600 it\n",
             dir, dir);
    assert_non_null(strstr(diag, want));
    assert_null(strstr(diag, "SECabc123"));
    free(diag);
    remove_tmpdir(dir);
}

/* 100-alarms.cfg: every kind of alarm rule, with defaults and states resolved per point. */
static void
test_cfg_load_alarms_values(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;
    const struct cfg_alarm *al;

    (void)state;
    assert_int_equal(cfg_load("100-alarms.cfg", &cfg, &d), CFG_OK);
    assert_int_equal(cfg->nalarms, 5);

    al = &cfg->alarms[0];
    assert_string_equal(al->id, "hot");
    assert_string_equal(al->name, "机房温度超限");
    assert_int_equal(al->severity, CFG_SEV_MAJOR);
    assert_int_equal(al->category, CFG_CAT_ENVIRONMENT);
    assert_int_equal(al->cond, CFG_ALARM_OUTSIDE);
    assert_true(al->lo == 18.0 && al->hi == 27.5);
    assert_true(al->hold == 30.0 && al->clear_hold == 120.0);
    assert_int_equal(al->ntargets, 1);
    assert_int_equal(al->targets[0].device, 0);
    assert_ptr_equal(cfg_profile_point(&cfg->profiles[cfg->devices[0].profile], "temp"),
                     &cfg->profiles[cfg->devices[0].profile].points[al->targets[0].point]);

    al = &cfg->alarms[1];
    assert_int_equal(al->cond, CFG_ALARM_IN);
    assert_string_equal(cfg_severity_name(al->severity), "critical");
    assert_string_equal(cfg_category_name(al->category), "power");
    assert_null(al->name);
    assert_true(al->hold == 0.0 && al->clear_hold == 60.0); /* the defaults */
    assert_int_equal(al->targets[0].device, 1);
    assert_int_equal(al->targets[0].nset, 2);
    assert_true(al->targets[0].set[0] == 5.0); /* "battery" in snmp-scalar's labels */
    assert_true(al->targets[0].set[1] == 2.0);

    al = &cfg->alarms[2];
    assert_int_equal(al->cond, CFG_ALARM_NO_ANSWER);
    assert_int_equal(al->polls, 3);
    assert_true(al->clear_hold == 0.0);
    assert_int_equal(al->ntargets, 2);
    assert_int_equal(al->targets[0].device, 0);
    assert_true(al->targets[0].point == CFG_NO_POINT);
    assert_int_equal(al->targets[1].device, 1);

    al = &cfg->alarms[3];
    assert_int_equal(al->cond, CFG_ALARM_ABOVE);
    assert_true(al->lo == 0.0);
    assert_string_equal(cfg_category_name(al->category), "security");
    al = &cfg->alarms[4];
    assert_int_equal(al->cond, CFG_ALARM_BELOW);
    assert_true(al->hi == 10.5);
    assert_string_equal(cfg_severity_name(al->severity), "minor");
    cfg_free(cfg);
    cfg_diags_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfg_load_golden_fixtures),
        cmocka_unit_test(test_cfg_fixtures_all_have_ok_files),
        cmocka_unit_test(test_cfg_load_full_config_values),
        cmocka_unit_test(test_cfg_load_minimal_config_defaults),
        cmocka_unit_test(test_cfg_load_missing_file),
        cmocka_unit_test(test_cfg_load_appends_to_diags),
        cmocka_unit_test(test_cfg_load_password_open_to_others_refused),
        cmocka_unit_test(test_cfg_load_password_private_accepted),
        cmocka_unit_test(test_cfg_load_password_empty_refused),
        cmocka_unit_test(test_cfg_load_password_missing_refused),
        cmocka_unit_test(test_cfg_load_uri_forms),
        cmocka_unit_test(test_cfg_load_queue_size_default),
        cmocka_unit_test(test_cfg_load_snmp_values),
        cmocka_unit_test(test_cfg_load_probe_values),
        cmocka_unit_test(test_cfg_load_snmp_secret_files),
        cmocka_unit_test(test_cfg_load_secret_foreign_owner_refused),
        cmocka_unit_test(test_cfg_load_text_must_be_utf8),
        cmocka_unit_test(test_cfg_load_profile_dir_default),
        cmocka_unit_test(test_cfg_load_profile_dirs_first_match_wins),
        cmocka_unit_test(test_cfg_load_timezone_without_zoneinfo),
        cmocka_unit_test(test_cfg_point_width_by_type),
        cmocka_unit_test(test_cfg_names_of_types_and_orders),
        cmocka_unit_test(test_cfg_profile_point_lookup_and_defaults),
        cmocka_unit_test(test_cfg_profile_load_reports_problems),
        cmocka_unit_test(test_cfg_profile_aligned_read_past_end),
        cmocka_unit_test(test_cfg_real_profiles_load_clean),
        cmocka_unit_test(test_cfg_real_profile_eastron_sdm630),
        cmocka_unit_test(test_cfg_real_profile_carlo_gavazzi_em340),
        cmocka_unit_test(test_cfg_real_profile_r444a01),
        cmocka_unit_test(test_cfg_profiles_cover_every_type_fc_and_order),
        cmocka_unit_test(test_cfg_diags_print_and_free),
        cmocka_unit_test(test_cfg_load_indicators_values),
        cmocka_unit_test(test_cfg_load_delivery_values),
        cmocka_unit_test(test_cfg_load_alarms_values),
        cmocka_unit_test(test_cfg_load_notify_values),
        cmocka_unit_test(test_cfg_load_notify_secret_files),
    };

    return cmocka_run_group_tests_name("cfg", tests, group_setup, group_teardown);
}
