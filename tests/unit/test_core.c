/*
 * test_core.c - the core's indicators across a period's end, driven as roomwatchd drives it
 * (core.h: samples at engine time, core_advance() behind now by the queue's lag, core_tick()
 * every second), with the times passed in, so New Year need not be waited for. What the core
 * publishes goes to a recorder given as its core_out.
 *
 * One temperature transmitter, polled every 10 s (staleness 30 s), answers 22.5 at :05, :15,
 * ... from 23:58:05 to 00:01:55 local (Asia/Shanghai), the daemon stopping at 00:02:00.
 * Hand-computed: the ended period holds 115 s up (23:58:05 to midnight) and two whole 60 s
 * band windows in; the new one 120 s up and no unknown time at all (the 23:59:55 sample
 * holds across midnight to 00:00:05), two windows in.
 */
#define _XOPEN_SOURCE 700 /* nftw(), mkdtemp() */

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cfg/cfg.h"
#include "core/core.h"
#include "core/indset.h"
#include "store/store.h"

#define MAXPUB 256

static struct {
    char topic[64];
    char *payload;
    double mono; /* when it was published */
} pubs[MAXPUB];
static size_t npubs;
static double mono_now;
static int pubs_ignored; /* a long run: the indicators' documents are not kept */

static int
record(void *ctx, const char *subtopic, const char *payload, int qos, int retained,
       const struct store_pubmark *mark)
{
    (void)ctx;
    (void)mark; /* the alerts' rows stay unmarked: nothing here reads them back */
    if (strncmp(subtopic, "alert/", 6) == 0) {
        /* Alerts are events (QoS 1, not retained); this test follows the indicators. */
        assert_int_equal(qos, 1);
        assert_false(retained);
        return 0;
    }
    assert_true(retained);
    if (pubs_ignored)
        return 0;
    assert_true(npubs < MAXPUB);
    snprintf(pubs[npubs].topic, sizeof(pubs[npubs].topic), "%s", subtopic);
    pubs[npubs].payload = strdup(payload);
    pubs[npubs].mono = mono_now;
    npubs++;
    return 0;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static struct rw_config *
load_alert(const char *dir, const char *period, const char *alert)
{
    char path[512], text[2048];
    struct cfg_diags diags = {0};
    struct rw_config *cfg = NULL;
    FILE *fp;

    snprintf(text, sizeof(text),
             "site = { id = \"t\"; gateway = \"gw\"; timezone = \"Asia/Shanghai\"; "
             "period = \"%s\"; };\n"
             "profile_dir = \"" RW_SRC_DIR "/config/profiles\";\n"
             "state_dir = \"%s/state\";\n"
             "checkpoint_interval = 30;\n"
             "mqtt = { uri = \"tcp://127.0.0.1:1883\"; };\n"
             "buses = ( { id = \"b\"; type = \"tcp\"; host = \"127.0.0.1\"; port = 1502; } );\n"
             "devices = ( { id = \"th1\"; kind = \"th_sensor\"; bus = \"b\"; unit = 1; "
             "interval = 10.0; profile = \"r444a01\"; } );\n"
             "indicators = (\n"
             "  { id = \"avail\"; name = \"a\"; kind = \"availability\"; "
             "points = [\"th1.temperature\"]; target = \"≥97(%%)\"; },\n"
             "  { id = \"env\"; name = \"e\"; kind = \"band\"; points = [\"th1.temperature\"]; "
             "band = { lo = 18.0; hi = 27.0; }; window = 60; target = \"≥97(%%)\"; %s }\n"
             ");\n",
             period, dir, alert);
    snprintf(path, sizeof(path), "%s/t.cfg", dir);
    assert_non_null(fp = fopen(path, "w"));
    fputs(text, fp);
    fclose(fp);
    if (cfg_load(path, &cfg, &diags) != CFG_OK)
        cfg_diags_print(&diags, stderr);
    cfg_diags_free(&diags);
    assert_non_null(cfg);
    return cfg;
}

/* The stored state of one period: the engine restored from it. */
static struct eng *
stored(const struct rw_config *cfg, const struct indset *is, int year, int month,
       struct indset_period *p)
{
    char path[512];
    struct store *st;
    struct eng *e;
    char err[128];

    snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, STORE_FILE);
    assert_int_equal(store_open_readonly(path, &st), 0);
    assert_int_equal(indset_period_of(cfg, year, month, p), 0);
    assert_int_equal(indset_engine(is, p, &e, err, sizeof(err)), 0);
    assert_int_equal(indset_load(is, p, st, e, NULL, NULL, NULL), 0);
    store_close(st);
    return e;
}

/* The last indicator/<id> document published, or NULL. */
static json_t *
last_doc(const char *id)
{
    char topic[64];
    size_t i;

    snprintf(topic, sizeof(topic), "indicator/%s", id);
    for (i = npubs; i-- > 0;)
        if (strcmp(pubs[i].topic, topic) == 0)
            return json_loads(pubs[i].payload, 0, NULL);
    return NULL;
}

/*
 * The daemon's core over a fresh state folder: dir (a buffer of at least LIVE_DIR_LEN bytes)
 * gets the folder, *cfg its config for period, *st its store; opened at now (ms) as
 * roomwatchd opens it, publishing to record().
 */
#define LIVE_DIR_LEN 32
static struct core *
reopen_live(const struct rw_config *cfg, struct store *st, int64_t now)
{
    static struct core_out out = {.publish = record};
    struct core_opts o = {0};
    struct core *c;
    char err[256];

    o.now = now;
    o.resume = CORE_RESTART;
    o.out = &out;
    assert_int_equal(core_open(cfg, st, &o, &c, err, sizeof(err)), 0);
    return c;
}

static struct core *
open_live_alert(char *dir, const char *period, const char *alert, int64_t now,
                struct rw_config **cfg, struct store **st)
{
    snprintf(dir, LIVE_DIR_LEN, "/tmp/rw-test-live-XXXXXX"); /* mkdtemp()'s template */
    assert_non_null(mkdtemp(dir));
    *cfg = load_alert(dir, period, alert);
    npubs = 0;
    assert_int_equal(store_open((*cfg)->state_dir, st), 0);
    return reopen_live(*cfg, *st, now);
}

static struct core *
open_live(char *dir, const char *period, int64_t now, struct rw_config **cfg, struct store **st)
{
    return open_live_alert(dir, period, "", now, cfg, st);
}

/* Ends what open_live() began, once its cores are freed: the store, the published documents,
 * the config and the folder. */
static void
close_live(const char *dir, struct rw_config *cfg, struct store *st)
{
    store_close(st);
    for (size_t i = 0; i < npubs; i++)
        free(pubs[i].payload);
    npubs = 0;
    pubs_ignored = 0;
    cfg_free(cfg);
    assert_int_equal(nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

/* A reading v of point p of device 0 at now (ms), the last of its cycle. */
static void
feed_value(struct core *c, uint32_t p, int64_t now, int cycle, double v)
{
    struct core_sample s;

    memset(&s, 0, sizeof(s));
    s.point = p;
    s.t = now;
    s.value = v;
    s.valid = 1;
    s.q = ALM_Q_GOOD;
    s.cycle = (uint64_t)cycle;
    s.last = 1;
    assert_int_equal(core_sample(c, &s), 0);
}

/* A good 22.5 of point p of device 0 at now (ms), the last of its cycle. */
static void
feed_temp(struct core *c, uint32_t p, int64_t now, int cycle)
{
    feed_value(c, p, now, cycle, 22.5);
}

/*
 * Runs the daemon's indicators from 23:58:00 before midnight (Unix time) to 00:02:00 and
 * checks both periods' stores and what was published.
 */
static void
across(const char *period, int64_t midnight, int y0, int m0, int y1, int m1, int ndays0)
{
    char dir[LIVE_DIR_LEN];
    struct rw_config *cfg;
    struct indset *is;
    struct indset_period p;
    struct store *st;
    struct core *c;
    struct eng *e;
    const struct eng_result *r;
    double mono0 = 1000.0, wall0 = (double)(midnight - 120);
    uint32_t temp;
    json_t *doc;
    size_t i;
    int sec;

    mono_now = mono0;
    c = open_live(dir, period, (int64_t)wall0 * 1000, &cfg, &st);
    assert_int_equal(indset_new(cfg, &is), 0);
    temp = 0; /* th1.temperature: the profile's first point */
    assert_string_equal(cfg->profiles[cfg->devices[0].profile].points[temp].name, "temperature");
    for (sec = 0; sec <= 240; sec++) {
        int64_t now = ((int64_t)wall0 + sec) * 1000;

        mono_now = mono0 + sec;
        if (sec % 10 == 5 && sec < 240)
            feed_temp(c, temp, now, sec);
        if (sec < 240) {
            core_advance(c, now - CORE_LAG_MS);
            core_tick(c, now);
        }
        if (sec == 125) {
            /* The new period is in the store at once, not at the next interval (150 s). */
            e = stored(cfg, is, y1, m1, &p);
            eng_free(e);
        }
        if (sec == 119) {
            /* Just before midnight the old period is published. */
            assert_non_null(doc = last_doc("avail"));
            assert_int_equal(json_integer_value(json_object_get(doc, "value")), 100);
            json_decref(doc);
        }
    }
    core_stop(c, ((int64_t)wall0 + 240) * 1000);
    core_free(c);
    store_close(st);

    /* The ended period: finished at its end, 115 s up, the rest of it unknown. */
    e = stored(cfg, is, y0, m0, &p);
    assert_int_equal(p.ndays, ndays0);
    r = eng_result(e, 0);
    assert_int_equal(r->up_ms, 115000);
    assert_int_equal(r->down_ms, 0);
    assert_int_equal(r->unknown_ms, (int64_t)ndays0 * 86400000 - 115000);
    r = eng_result(e, 1);
    assert_int_equal(r->band.in_ms, 120000);
    assert_int_equal(r->band.out_ms, 0);
    eng_free(e);

    /* The new period: the 23:59:55 sample held across midnight, so no unknown second. */
    e = stored(cfg, is, y1, m1, &p);
    assert_int_equal(p.day_start[0], midnight * 1000);
    r = eng_result(e, 0);
    assert_int_equal(r->up_ms, 120000);
    assert_int_equal(r->unknown_ms, 0);
    assert_int_equal(r->down_ms, 0);
    r = eng_result(e, 1);
    assert_int_equal(r->band.in_ms, 120000);
    assert_int_equal(r->band.unknown_ms, 0);
    eng_free(e);

    /* Published after midnight: the new period's values (a few seconds of it, not the old
     * period's 115 s and more); the last ones are the final 120 s. */
    for (i = 0; i < npubs; i++) {
        json_t *ev;
        if (pubs[i].mono < mono0 + 121 || strcmp(pubs[i].topic, "indicator/avail") != 0)
            continue;
        assert_non_null(doc = json_loads(pubs[i].payload, 0, NULL));
        ev = json_object_get(doc, "evidence");
        assert_true(json_number_value(json_object_get(ev, "up_s")) <= 120.0);
        assert_true(json_number_value(json_object_get(ev, "unknown_s")) == 0.0);
        json_decref(doc);
        break;
    }
    assert_true(i < npubs);
    assert_non_null(doc = last_doc("avail"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "evidence"), "up_s")),
                     120);
    json_decref(doc);

    for (i = 0; i < npubs; i++)
        free(pubs[i].payload);
    indset_free(is);
    cfg_free(cfg);
    assert_int_equal(nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

/* 2025-12-31 -> 2026-01-01, Asia/Shanghai: midnight is 2025-12-31T16:00:00Z. */
static void
test_new_year(void **state)
{
    (void)state;
    across("year", 1767196800LL, 2025, 0, 2026, 0, 365);
}

/* site.period = "month": 2026-01-31 -> 2026-02-01 (2026-01-31T16:00:00Z). */
static void
test_month_end(void **state)
{
    (void)state;
    across("month", 1769875200LL, 2026, 1, 2026, 2, 31);
}

static int
count_alert(const struct store_alert *a, void *arg)
{
    const char *period = ((const char **)arg)[0];

    if (strcmp(a->period, period) == 0)
        (*(int *)((const char **)arg)[1])++;
    return 0;
}

/*
 * The period's last minute is judged by its own alerts before the next period begins: with
 * its first sample at 23:59:05 the only minute to judge is its end, 00:00:00, and the
 * month's figures (a minute's worth of data, coverage far below the floor) make its first
 * judgement "unverified", an alert of period 2026-01. Before the fix, the roll to February
 * came first and that minute was never judged.
 */
static void
test_last_minute_judged(void **state)
{
    char dir[LIVE_DIR_LEN];
    const int64_t midnight = 1769875200LL; /* 2026-02-01T00:00:00+08:00 */
    struct rw_config *cfg;
    struct store *st;
    struct core *c;
    int n = 0;
    const char *arg[2] = {"2026-01", (const char *)&n};
    int sec;

    (void)state;
    c = open_live(dir, "month", (midnight - 60) * 1000, &cfg, &st);
    for (sec = 0; sec <= 120; sec++) {
        int64_t now = (midnight - 60 + sec) * 1000;

        mono_now = 1000.0 + sec;
        if (sec % 10 == 5)
            feed_temp(c, 0, now, sec);
        core_advance(c, now - CORE_LAG_MS);
        core_tick(c, now);
    }
    core_stop(c, (midnight + 60) * 1000);
    core_free(c);
    assert_int_equal(store_alert_each(st, INT64_MIN, INT64_MAX, 0, count_alert, arg), 0);
    assert_true(n >= 1);
    close_live(dir, cfg, st);
}

/* The alerts kept, as "state@minute" lines, each followed by its document. */
static int
list_alert(const struct store_alert *a, void *arg)
{
    char **out = arg;
    size_t n = *out != NULL ? strlen(*out) : 0, m = strlen(a->doc) + 128;

    assert_non_null(*out = realloc(*out, n + m));
    snprintf(*out + n, m, "%s %s %lld\n%s\n", a->indicator, a->state, (long long)(a->at / 60000),
             a->doc);
    return 0;
}

/*
 * The env band (18..27 degrees, >= 97 %) of a year, with one burn-rate tier of a 60 min long
 * and a 5 min short window at burn 14 (out of band at least 42 % of the known time of both).
 * Samples every 10 s at :05, :15, ... from 2026-01-01 00:00 local: 22.5 for 40 minutes, then
 * 30.0 (out) until 01:40, then 22.5 again; the daemon stops at 00:50:30 and starts again at
 * 00:50:50, or (restart 0) a replay of the same samples applies the restart row there.
 *
 * Hand-computed: the first minute judged is 00:01; the windows ending at minute m (minutes
 * since midnight) reach back to m - 60, so the long window exists from 01:01. Out-of-band
 * windows from 00:40 on, the restart's 20 s (00:50:30 to 00:50:50) leaving the 00:50 window
 * 40 s known (whole: more than 29 s), so the long window ending at minute m (60 known
 * minutes) holds m - 40 out: 25/60 = 0.417 at 01:05, 26/60 = 0.433 >= 0.42 first at 01:06,
 * the short one all out. (At 00:42 the projection turns it at_risk first; fast_burn, more
 * urgent, is taken at once, 24 minutes later, past the 15 min interval.) A restarted daemon
 * whose windows began empty at 00:50 has no long window before 01:51, when the short one is
 * back in band: it never raised fast_burn. Returns the alerts kept.
 */
static char *
burst(int restart)
{
    static const char alert[] =
        "alert = { tiers = ( { long = 3600; short = 300; burn = 14.0; } ); };";
    const int64_t midnight = 1767196800LL; /* 2026-01-01T00:00:00+08:00 */
    const int stop = 50 * 60 + 30, start = 50 * 60 + 50, end = 130 * 60;
    char dir[LIVE_DIR_LEN], *got = NULL;
    struct rw_config *cfg;
    struct store *st;
    struct core *c;
    int sec;

    pubs_ignored = 1;
    c = open_live_alert(dir, "year", alert, midnight * 1000, &cfg, &st);
    for (sec = 0; sec <= end; sec++) {
        int64_t now = (midnight + sec) * 1000;

        mono_now = 1000.0 + sec;
        if (sec > stop && sec < start)
            continue; /* the daemon is down */
        if (sec == start) {
            int64_t saved = (midnight + stop) * 1000;

            if (restart) {
                core_free(c);
                c = reopen_live(cfg, st, now);
            } else {
                core_restart(c, saved);
            }
        }
        if (sec % 10 == 5)
            feed_value(c, 0, now, sec, sec >= 40 * 60 && sec < 100 * 60 ? 30.0 : 22.5);
        if (sec == stop) {
            if (restart)
                core_stop(c, now);
            else
                core_advance(c, now); /* as far as the daemon's stop accounted */
            continue;
        }
        core_advance(c, now - CORE_LAG_MS);
        core_tick(c, now);
    }
    core_stop(c, (midnight + end) * 1000);
    core_free(c);
    assert_int_equal(store_alert_each(st, INT64_MIN, INT64_MAX, 0, list_alert, &got), 0);
    close_live(dir, cfg, st);
    assert_non_null(got);
    return got;
}

/*
 * A burst across a restart raises fast_burn at the minute a run that never stopped does,
 * with the same numbers: the burn-rate windows survive the restart in the checkpoint.
 */
static void
test_burst_across_restart(void **state)
{
    char *cont, *daemon;

    (void)state;
    cont = burst(0);
    daemon = burst(1);
    /* 01:06 is minute 66 of the year: 1767196800 / 60 + 66. */
    assert_non_null(strstr(cont, "env fast_burn 29453346\n"));
    assert_string_equal(daemon, cont);
    free(cont);
    free(daemon);
}

/*
 * A store written before the alerts were saved: its state holds the engine's image alone, or
 * with the alarm detector's bare image beside it (no section header). Both still resume, and
 * the alerts then go on from their last alert, windows empty; a later checkpoint writes the
 * sections.
 */
static void
test_old_state_resumes(void **state)
{
    static const char *const aux[] = {NULL, "an alarm detector's image"};
    const int64_t midnight = 1767196800LL; /* 2026-01-01T00:00:00+08:00 */

    (void)state;
    for (size_t k = 0; k < sizeof(aux) / sizeof(aux[0]); k++) {
        char dir[LIVE_DIR_LEN], err[128];
        struct rw_config *cfg;
        struct store *st;
        struct core *c;
        struct indset *is;
        struct indset_period p;
        struct eng *e;
        int64_t saved;
        int sec;

        pubs_ignored = 1;
        c = open_live(dir, "year", midnight * 1000, &cfg, &st);
        for (sec = 0; sec <= 300; sec++) {
            int64_t now = (midnight + sec) * 1000;

            if (sec % 10 == 5)
                feed_temp(c, 0, now, sec);
            core_advance(c, now - CORE_LAG_MS);
            core_tick(c, now);
        }
        core_stop(c, (midnight + 300) * 1000);
        core_free(c);
        /* The state written again as the older versions wrote it. */
        assert_int_equal(indset_new(cfg, &is), 0);
        assert_int_equal(indset_period_at(cfg, midnight * 1000, &p), 0);
        assert_int_equal(indset_engine(is, &p, &e, err, sizeof(err)), 0);
        assert_int_equal(indset_load(is, &p, st, e, &saved, NULL, NULL), 0);
        assert_int_equal(indset_save(is, &p, st, e, saved, aux[k], aux[k] ? strlen(aux[k]) : 0), 0);
        eng_free(e);
        c = reopen_live(cfg, st, (midnight + 320) * 1000);
        assert_int_equal(core_resumed(c, &saved, NULL), 1);
        assert_int_equal(saved, (midnight + 300) * 1000);
        for (sec = 320; sec <= 400; sec++) {
            int64_t now = (midnight + sec) * 1000;

            if (sec % 10 == 5)
                feed_temp(c, 0, now, sec);
            core_advance(c, now - CORE_LAG_MS);
            core_tick(c, now);
        }
        core_stop(c, (midnight + 400) * 1000);
        core_free(c);
        indset_free(is);
        close_live(dir, cfg, st);
    }
}

/* When the period's engine state was last written to st, or INT64_MIN when it never was. */
static int64_t
saved_at(const struct rw_config *cfg, struct store *st, int64_t now)
{
    struct indset *is;
    struct indset_period p;
    struct eng *e;
    char err[128];
    int64_t saved = INT64_MIN;

    assert_int_equal(indset_new(cfg, &is), 0);
    assert_int_equal(indset_period_at(cfg, now, &p), 0);
    assert_int_equal(indset_engine(is, &p, &e, err, sizeof(err)), 0);
    if (indset_load(is, &p, st, e, &saved, NULL, NULL) < 0) {
        assert_int_equal(errno, ENOENT);
        saved = INT64_MIN;
    }
    eng_free(e);
    indset_free(is);
    return saved;
}

/*
 * A period without a saved state is checkpointed at the first tick (its days so far on disk,
 * the report document buildable from the start), then every checkpoint_interval (30 s); a
 * resumed one waits its interval.
 */
static void
test_first_checkpoint(void **state)
{
    const int64_t t0 = 1780300800LL * 1000; /* 2026-06-01T16:00:00+08:00: 152 days so far */
    char dir[LIVE_DIR_LEN];
    struct rw_config *cfg;
    struct store *st;
    struct core *c;
    int sec;

    (void)state;
    pubs_ignored = 1;
    c = open_live(dir, "year", t0, &cfg, &st);
    assert_int_equal(core_resumed(c, NULL, NULL), 0);
    assert_true(saved_at(cfg, st, t0) == INT64_MIN);
    for (sec = 0; sec < 30; sec++) {
        int64_t now = t0 + sec * 1000;

        core_advance(c, now - CORE_LAG_MS);
        core_tick(c, now);
        assert_true(saved_at(cfg, st, t0) == t0);
        if (sec == 0) {
            /* What it holds: the year so far, up to where the engine had accounted, unknown. */
            struct indset *is;
            struct indset_period p;
            struct eng *e;

            assert_int_equal(indset_new(cfg, &is), 0);
            e = stored(cfg, is, 2026, 0, &p);
            assert_int_equal(eng_result(e, 0)->unknown_ms, t0 - CORE_LAG_MS - p.day_start[0]);
            assert_int_equal(eng_result(e, 0)->up_ms, 0);
            eng_free(e);
            indset_free(is);
        }
    }
    core_tick(c, t0 + 30000);
    assert_true(saved_at(cfg, st, t0) == t0 + 30000);
    core_stop(c, t0 + 35000);
    core_free(c);
    assert_true(saved_at(cfg, st, t0) == t0 + 35000);

    /* Restarted: resumed from that state, the next checkpoint an interval on. */
    c = reopen_live(cfg, st, t0 + 40000);
    assert_int_equal(core_resumed(c, NULL, NULL), 1);
    for (sec = 40; sec < 70; sec++) {
        core_tick(c, t0 + sec * 1000);
        assert_true(saved_at(cfg, st, t0) == t0 + 35000);
    }
    core_tick(c, t0 + 70000);
    assert_true(saved_at(cfg, st, t0) == t0 + 70000);
    core_free(c);
    close_live(dir, cfg, st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_year),
        cmocka_unit_test(test_month_end),
        cmocka_unit_test(test_last_minute_judged),
        cmocka_unit_test(test_burst_across_restart),
        cmocka_unit_test(test_old_state_resumes),
        cmocka_unit_test(test_first_checkpoint),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
