/*
 * test_alert.c - alert states and their changes (agent/report/rpt_alert.c), driven as the core
 * drives them: one observation per whole minute, against hand-computed minutes.
 *
 * The year is 2025 (365 days, UTC midnights). Minutes are counted from 2025-01-01T00:00Z.
 * Default tiers for the year (rpt_alert_defaults(), scale 365/28 = 13.0357):
 *   tier 0: long 60 min x 13.0357 = 782 min, short 782 / 12 = 65 min, burn 14;
 *   tier 1: long 360 min x 13.0357 = 4693 min, short 4693 / 12 = 391 min, burn 7.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg/cfg.h"
#include "engine/eng.h"
#include "engine/incstat.h"
#include "engine/target.h"
#include "report/rpt_alert.h"
#include "report/rpt_inc.h"
#include "report/rpt_judge.h"
#include "report/rpt_table.h"

#define S 1000LL
#define MIN (60 * S)
#define HOUR (3600 * S)
#define DAY (86400 * S)
#define Y2025 (1735689600LL * S) /* 2025-01-01T00:00:00Z */
#define YEAR_MS (365 * DAY)

static int64_t days[366];
static const uint32_t P0[] = {0};

static void
year_days(void)
{
    for (int d = 0; d <= 365; d++)
        days[d] = Y2025 + d * DAY;
}

static void
test_default_tiers_year_and_month(void **state)
{
    struct rpt_alert_conf c;

    (void)state;
    rpt_alert_defaults(YEAR_MS, &c);
    assert_int_equal(c.ntiers, 2);
    assert_int_equal(c.tier[0].long_ms, 782 * MIN);
    assert_int_equal(c.tier[0].short_ms, 65 * MIN);
    assert_true(c.tier[0].burn == 14.0);
    assert_int_equal(c.tier[1].long_ms, 4693 * MIN);
    assert_int_equal(c.tier[1].short_ms, 391 * MIN);
    assert_true(c.tier[1].burn == 7.0);
    /* 31 days: scale 1.1071: 66.4 -> 66 min, 66 / 12 = 5.5 -> 6 min; 398.6 -> 399 min,
     * 399 / 12 = 33.25 -> 33 min. */
    rpt_alert_defaults(31 * DAY, &c);
    assert_int_equal(c.tier[0].long_ms, 66 * MIN);
    assert_int_equal(c.tier[0].short_ms, 6 * MIN);
    assert_int_equal(c.tier[1].long_ms, 399 * MIN);
    assert_int_equal(c.tier[1].short_ms, 33 * MIN);
}

/* Engine fixture: one availability point over 2025, sampled every hour, held 2 h. */
struct fx {
    struct eng *e;
    struct cfg_indicator in;
    struct rpt_period p;
};

static void
setup_avail(struct fx *f, double floor)
{
    struct eng_period ep;
    struct eng_point_cfg pc = {2 * HOUR};
    struct eng_ind_cfg ic;
    char err[TGT_ERR_LEN];

    year_days();
    ep.ndays = 365;
    ep.day_start = days;
    memset(&ic, 0, sizeof(ic));
    ic.npoints = 1;
    ic.points = P0;
    ic.kind = ENG_AVAILABILITY;
    f->e = NULL;
    assert_int_equal(eng_new(&ep, 1, &pc, 1, &ic, &f->e, err, sizeof(err)), ENG_OK);
    memset(&f->in, 0, sizeof(f->in));
    strcpy(f->in.id, "x");
    f->in.name = "x";
    f->in.kind = CFG_IND_AVAILABILITY;
    f->in.npoints = 1;
    f->in.target_text = "≥97(%)";
    f->in.coverage_floor = floor;
    assert_int_equal(tgt_parse(f->in.target_text, NULL, &f->in.target, err, sizeof(err)), TGT_OK);
    f->p.tz = "UTC";
    f->p.ndays = 365;
    f->p.day_start = days;
}

/* Advances to t, judges, and steps the alert state: 1 and *ch on an alert. */
static int
eval_at(struct fx *f, struct rpt_alert *a, int64_t t, struct rpt_judgement *j,
        struct rpt_alert_change *ch)
{
    const struct eng_result *r;
    struct rpt_alert_obs o;

    eng_advance(f->e, t);
    r = eng_result(f->e, 0);
    rpt_judge(&f->in, f->e, 0, r, &f->p, j);
    rpt_alert_observe(&f->in, r, j, t, &o);
    return rpt_alert_step(a, &o, ch);
}

/*
 * A slow drift: up all of January and February, then down from 00:00 to 01:00 every day from
 * March 1 (day 59): 4.17 % of the time, above the 3 % a ≥97 % target allows. The year's
 * budget is 3 % of 8760 h = 262.8 h.
 * at_risk: on 2025-03-06 (day 64) at 00:m, the long window (days 58..64) holds 5 h + m min
 * down of 144 h + m min, 7224 h - m min are still to come, and the projection's down time is
 * b + (7224 - m/60) x b / (144 + m/60) with b = 5 + m/60 h: 262.41 h at m = 8, 263.23 h at
 * m = 9 > 262.8 h. It only gets worse from then on.
 * lost: the 263rd drift day is day 59 + 262 = day 321 (2025-11-18); the budget is spent at
 * 00:48 (262 h + 48 min), so 00:49 is the first minute the rate cannot end at 97 %.
 * Between the two: no alert; after lost: none, to the end of the year.
 */
static void
test_slow_drift_at_risk_months_before_lost(void **state)
{
    struct fx f;
    struct rpt_alert_conf c;
    struct rpt_alert *a;
    struct rpt_judgement j;
    struct rpt_alert_change ch, seen[4];
    int64_t when[4];
    int n = 0;

    (void)state;
    setup_avail(&f, 0.9);
    rpt_alert_defaults(YEAR_MS, &c);
    a = rpt_alert_new(&c);
    assert_non_null(a);
    for (int64_t h = 0; h < 365 * 24; h++) {
        int64_t t0 = Y2025 + h * HOUR;
        int down = h >= 59 * 24 && h % 24 == 0;

        assert_int_equal(eng_sample(f.e, 0, t0, down ? 0 : 1, !down), ENG_OK);
        for (int64_t m = 1; m <= 60; m++)
            if (eval_at(&f, a, t0 + m * MIN, &j, &ch)) {
                assert_true(n < 4);
                seen[n] = ch;
                when[n++] = t0 + m * MIN;
            }
    }
    assert_int_equal(n, 2);
    assert_int_equal(seen[0].from, RPT_ALERT_OK);
    assert_int_equal(seen[0].to, RPT_ALERT_AT_RISK);
    assert_string_equal(seen[0].kind, "raised");
    assert_int_equal(when[0], Y2025 + 64 * DAY + 9 * MIN);
    assert_int_equal(seen[1].from, RPT_ALERT_AT_RISK);
    assert_int_equal(seen[1].to, RPT_ALERT_LOST);
    assert_string_equal(seen[1].kind, "lost");
    assert_int_equal(when[1], Y2025 + 321 * DAY + 49 * MIN);
    assert_int_equal(rpt_alert_current(a), RPT_ALERT_LOST);
    rpt_alert_free(a);
    eng_free(f.e);
}

/* Synthetic observations of a rate with status ok: bad(m) the down minutes so far. */
static int
step_rate(struct rpt_alert *a, int64_t m, double bad_min, enum rpt_status st,
          struct rpt_alert_change *ch)
{
    struct rpt_alert_obs o = {
        .t = Y2025 + m * MIN,
        .status = st,
        .coverage = 1,
        .bad_ms = bad_min * MIN,
        .known_ms = (double)(m * MIN),
        .share = 0.03,
        .left_ms = NAN,
    };

    return rpt_alert_step(a, &o, ch);
}

/*
 * A short severe burst: down for 8 h (480 min) from minute B. Tier 0 fires when its long
 * window (782 min) holds at least 14 x 0.03 x 782 = 328.44 min down (its short window is all
 * down, burn 33): at B + 329. Tier 1 never does (480 / 4693 / 0.03 = 3.4 < 7).
 * After the burst ends at E = B + 480, tier 0's short window holds 65 - x min down at E + x:
 * burn (65 - x) / 65 / 0.03 falls below 0.5 x 14 = 7 at x = 52 (13 min, 6.67); the long
 * window still burns 20.5, but the pair no longer reaches the clear ratio. ok is then asked
 * for without a break, so it is taken after the hold (60 min): recovered at E + 112. Once.
 */
static void
test_short_severe_burst_fast_burn_once(void **state)
{
    struct rpt_alert_conf c;
    struct rpt_alert *a;
    struct rpt_alert_change ch, seen[4];
    int64_t when[4];
    const int64_t B = 10000, E = B + 480;
    int n = 0;

    (void)state;
    rpt_alert_defaults(YEAR_MS, &c);
    a = rpt_alert_new(&c);
    assert_non_null(a);
    for (int64_t m = 1; m <= 20000; m++) {
        double bad = m <= B ? 0 : m <= E ? (double)(m - B) : 480;

        if (step_rate(a, m, bad, RPT_OK, &ch)) {
            assert_true(n < 4);
            seen[n] = ch;
            when[n++] = m;
        }
    }
    assert_int_equal(n, 2);
    assert_int_equal(when[0], B + 329);
    assert_int_equal(seen[0].to, RPT_ALERT_FAST_BURN);
    assert_string_equal(seen[0].kind, "raised");
    assert_int_equal(seen[0].tier, 0);
    assert_true(fabs(seen[0].burn_long[0] - 329.0 / 782 / 0.03) < 1e-9);
    assert_true(fabs(seen[0].burn_short[0] - 1 / 0.03) < 1e-9);
    assert_int_equal(when[1], E + 112);
    assert_int_equal(seen[1].from, RPT_ALERT_FAST_BURN);
    assert_int_equal(seen[1].to, RPT_ALERT_OK);
    assert_string_equal(seen[1].kind, "recovered");
    rpt_alert_free(a);
}

/*
 * The image across the burst above: a state restored at any of several minutes (mid-burst,
 * in the hold before recovery) and the one that never stopped give the same changes at the
 * same minutes with the same burns; the steady minutes before the burst take a few dozen
 * bytes. An image cut short, or made under another conf, is refused and changes nothing.
 */
static void
test_image_goes_on_exactly(void **state)
{
    static const int64_t at[] = {700, 10100, 10400, 10500, 10550};
    const int64_t B = 10000, E = B + 480;
    struct rpt_alert_conf c, other;
    struct rpt_alert_change ch, ch2;

    (void)state;
    rpt_alert_defaults(YEAR_MS, &c);
    for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
        struct rpt_alert *a = rpt_alert_new(&c), *b = NULL;
        void *img = NULL;
        size_t len = 0;
        int changes = 0;

        assert_non_null(a);
        for (int64_t m = 1; m <= 20000; m++) {
            double bad = m <= B ? 0 : m <= E ? (double)(m - B) : 480;
            int r1 = step_rate(a, m, bad, RPT_OK, &ch);

            if (m == at[k]) {
                assert_int_equal(rpt_alert_snapshot(a, &img, &len), 0);
                if (m < B)
                    assert_true(len < 200); /* header and two runs */
                /* Every cut is refused, and leaves a fresh state as it was. */
                b = rpt_alert_new(&c);
                assert_non_null(b);
                for (size_t cut = 0; cut < len; cut++)
                    assert_int_equal(rpt_alert_restore(b, img, cut), -1);
                assert_int_equal(rpt_alert_current(b), RPT_ALERT_NONE);
                other = c;
                other.hold_ms += MIN;
                {
                    struct rpt_alert *o = rpt_alert_new(&other);

                    assert_non_null(o);
                    assert_int_equal(rpt_alert_restore(o, img, len), -1);
                    rpt_alert_free(o);
                }
                assert_int_equal(rpt_alert_restore(b, img, len), 0);
                assert_int_equal(rpt_alert_last(b), rpt_alert_last(a));
                free(img);
                continue;
            }
            if (b != NULL) {
                int r2 = step_rate(b, m, bad, RPT_OK, &ch2);
                double l1, s1, l2, s2;

                assert_int_equal(r1, r2);
                for (size_t t = 0; t < c.ntiers; t++) {
                    rpt_alert_burn(a, t, &l1, &s1);
                    rpt_alert_burn(b, t, &l2, &s2);
                    assert_memory_equal(&l1, &l2, sizeof(l1));
                    assert_memory_equal(&s1, &s2, sizeof(s1));
                }
                if (r1) {
                    assert_int_equal(ch.t, ch2.t);
                    assert_int_equal(ch.to, ch2.to);
                    changes++;
                }
            }
        }
        /* Before the burst both changes come after the restore; later, fewer. */
        assert_int_equal(changes, at[k] < B + 329 ? 2 : 1);
        rpt_alert_free(a);
        rpt_alert_free(b);
    }
}

/*
 * Hysteresis and the minimum interval on a status that flaps: at_risk at minute 100, ok from
 * 101 to 130, at_risk again 131..140, then ok for good from 141. The flap back to ok at 101
 * is never held for an hour, so nothing is sent until ok has lasted 60 min: recovered at 201.
 */
static void
test_flapping_status_alerts_once_each_way(void **state)
{
    struct rpt_alert_conf c;
    struct rpt_alert *a;
    struct rpt_alert_change ch;
    int64_t when[4];
    const char *kind[4];
    int n = 0;

    (void)state;
    rpt_alert_defaults(YEAR_MS, &c);
    a = rpt_alert_new(&c);
    for (int64_t m = 1; m <= 400; m++) {
        enum rpt_status st = (m == 100 || (m >= 131 && m <= 140)) ? RPT_AT_RISK : RPT_OK;

        if (step_rate(a, m, 0, st, &ch)) {
            assert_true(n < 4);
            kind[n] = ch.kind;
            when[n++] = m;
        }
    }
    assert_int_equal(n, 2);
    assert_int_equal(when[0], 100);
    assert_string_equal(kind[0], "raised");
    assert_int_equal(when[1], 201);
    assert_string_equal(kind[1], "recovered");
    rpt_alert_free(a);
}

/* Lost is lost: whatever comes after (ok, at_risk, a burst) sends nothing. */
static void
test_lost_never_alerts_again(void **state)
{
    struct rpt_alert_conf c;
    struct rpt_alert *a;
    struct rpt_alert_change ch;
    int n = 0;

    (void)state;
    rpt_alert_defaults(YEAR_MS, &c);
    a = rpt_alert_new(&c);
    assert_int_equal(step_rate(a, 1, 0, RPT_OK, &ch), 0);
    assert_int_equal(step_rate(a, 2, 0, RPT_LOST, &ch), 1);
    assert_string_equal(ch.kind, "lost");
    assert_int_equal(ch.from, RPT_ALERT_OK);
    for (int64_t m = 3; m <= 5000; m++) {
        enum rpt_status st = m % 3 == 0 ? RPT_OK : m % 3 == 1 ? RPT_AT_RISK : RPT_UNVERIFIED;

        n += step_rate(a, m, m > 2000 ? (double)(m - 2000) : 0, st, &ch);
    }
    assert_int_equal(n, 0);
    assert_int_equal(rpt_alert_current(a), RPT_ALERT_LOST);
    /* An observation off the minute, or not after the last, is ignored. */
    assert_int_equal(step_rate(a, 4000, 0, RPT_OK, &ch), 0);
    rpt_alert_free(a);
}

/*
 * A month of no data: nothing known in January, up from 2025-02-01 on. At 2025-02-01T12:00
 * the value (100 %) rests on 12 h of the 31.5 days so far, coverage 0.0159 < 0.9: met null,
 * unverified, raised once. It stays unverified while coverage < 0.9: known x / (31 d + x) >=
 * 0.9 needs x >= 279 days, past the year's end. With the floor 0 the same value is met, ok.
 */
static void
test_month_without_data_is_unverified(void **state)
{
    struct fx f;
    struct rpt_alert_conf c;
    struct rpt_alert *a;
    struct rpt_judgement j;
    struct rpt_alert_change ch;
    int n = 0;

    (void)state;
    setup_avail(&f, 0.9);
    rpt_alert_defaults(YEAR_MS, &c);
    a = rpt_alert_new(&c);
    for (int64_t h = 31 * 24; h < 31 * 24 + 12; h++)
        assert_int_equal(eng_sample(f.e, 0, Y2025 + h * HOUR, 1, 1), ENG_OK);
    for (int64_t t = Y2025 + 31 * DAY + MIN; t <= Y2025 + 31 * DAY + 12 * HOUR; t += MIN)
        if (eval_at(&f, a, t, &j, &ch)) {
            n++;
            assert_int_equal(ch.to, RPT_ALERT_UNVERIFIED);
            assert_string_equal(ch.kind, "raised");
        }
    assert_int_equal(n, 1);
    assert_int_equal(j.status, RPT_UNVERIFIED);
    assert_int_equal(j.met, -1);
    assert_string_equal(rpt_status_name(j.status), "unverified");
    f.in.coverage_floor = 0;
    rpt_judge(&f.in, f.e, 0, eng_result(f.e, 0), &f.p, &j);
    assert_int_equal(j.met, 1);
    assert_int_equal(j.status, RPT_OK);
    rpt_alert_free(a);
    eng_free(f.e);
}

/*
 * MTTR ≤ 2 h with one incident repaired in 1 h, and one open since T0: the budget is
 * 2 h x 2 = 4 h, used 1 h + the open time, so the open one has 3 h - its time left. at_risk
 * (raised) when 30 min are left: T0 + 150 min; lost when nothing is: left < 0 at T0 + 181.
 */
static void
test_open_incident_counts_down_to_mttr_lost(void **state)
{
    struct cfg_indicator in;
    struct rpt_period p;
    struct rpt_alert_conf c;
    struct rpt_alert *a;
    struct rpt_judgement j;
    struct rpt_alert_change ch;
    struct ist_result r;
    char err[TGT_ERR_LEN];
    const int64_t T0 = Y2025 + 40 * DAY;
    int n = 0;
    double left_at_raise = NAN;

    (void)state;
    year_days();
    memset(&in, 0, sizeof(in));
    strcpy(in.id, "mttr");
    in.name = "故障修复时间";
    in.kind = CFG_IND_MTTR;
    in.target_text = "≤2(小时)";
    assert_int_equal(tgt_parse(in.target_text, NULL, &in.target, err, sizeof(err)), TGT_OK);
    p.tz = "UTC";
    p.ndays = 365;
    p.day_start = days;
    rpt_alert_defaults(YEAR_MS, &c);
    a = rpt_alert_new(&c);
    for (int64_t m = 0; m <= 240; m++) {
        struct rpt_alert_obs o;
        int64_t t = T0 + m * MIN;

        memset(&r, 0, sizeof(r));
        r.n = 1;
        r.sum_ms = HOUR;
        r.max_ms = HOUR;
        r.nopen = 1;
        r.open_sum_ms = r.open_max_ms = m * MIN;
        r.value = 1.0;
        rpt_inc_judge(&in, &r, &p, t, &j);
        rpt_alert_observe_inc(&in, &j, t, &o);
        if (rpt_alert_step(a, &o, &ch)) {
            n++;
            if (n == 1) {
                assert_int_equal(m, 150);
                assert_int_equal(ch.to, RPT_ALERT_AT_RISK);
                left_at_raise = j.left;
            } else {
                assert_int_equal(m, 181);
                assert_int_equal(ch.to, RPT_ALERT_LOST);
            }
        }
    }
    assert_int_equal(n, 2);
    assert_true(fabs(left_at_raise - 1800) < 1e-9);
    rpt_alert_free(a);
}

/* The display column where needle (after its leading space) starts in line: Chinese takes
 * two columns (lead bytes 0xE3..0xE9 here), any other character one. -1 if absent. */
static int
col_at(const char *line, const char *needle)
{
    const char *at = strstr(line, needle);
    int cols = 0;

    if (at == NULL)
        return -1;
    for (const unsigned char *p = (const unsigned char *)line; p <= (const unsigned char *)at; p++)
        if ((*p & 0xC0) != 0x80)
            cols += (*p >= 0xE3 && *p <= 0xE9) ? 2 : 1;
    return cols;
}

/*
 * The table: the most urgent first, and columns aligned by display width whatever the
 * targets hold (≥ is 3 bytes and one column; 分钟 is 6 bytes and four columns).
 * Three count targets on 2025-07-02T12:00 (half the year gone): "=0" with 1 event is lost;
 * "≥ 12" with 2 is behind its pace (projection 4.0): at_risk; "<=5分钟"-style text on a
 * count with 0 is met: ok.
 */
static void
test_table_urgent_first_aligned_by_width(void **state)
{
    struct rw_config cfg;
    struct cfg_indicator in[3];
    struct ist_result res[3];
    struct rpt_period p;
    const char *tg[3] = {"<=5", "≥ 12", "=0"};
    const char *ids[3] = {"quiet", "visits", "security"};
    const double val[3] = {0, 2, 1};
    char err[TGT_ERR_LEN], *buf = NULL, *line[4];
    size_t len = 0;
    FILE *fp;
    int n = 0;

    (void)state;
    year_days();
    memset(&cfg, 0, sizeof(cfg));
    cfg.site.timezone = "UTC";
    cfg.ninc_indicators = 3;
    cfg.inc_indicators = in;
    for (int i = 0; i < 3; i++) {
        memset(&in[i], 0, sizeof(in[i]));
        strcpy(in[i].id, ids[i]);
        in[i].name = "运维";
        in[i].kind = CFG_IND_COUNT;
        in[i].event = "maintenance";
        in[i].target_text = (char *)tg[i];
        assert_int_equal(tgt_parse(tg[i], NULL, &in[i].target, err, sizeof(err)), TGT_OK);
        memset(&res[i], 0, sizeof(res[i]));
        res[i].value = val[i];
        res[i].events = (uint64_t)val[i];
    }
    in[0].target_text = "<=5分钟"; /* the text shown; the parsed bound is 5 */
    p.tz = "UTC";
    p.ndays = 365;
    p.day_start = days;
    assert_non_null(fp = open_memstream(&buf, &len));
    rpt_table(fp, &cfg, NULL, res, &p, Y2025 + 182 * DAY + 12 * HOUR);
    fclose(fp);
    for (char *t = strtok(buf, "\n"); t != NULL && n < 4; t = strtok(NULL, "\n"))
        line[n++] = t;
    assert_int_equal(n, 4);
    assert_true(strncmp(line[1], "security ", 9) == 0); /* lost */
    assert_true(strncmp(line[2], "visits ", 7) == 0);   /* at_risk */
    assert_true(strncmp(line[3], "quiet ", 6) == 0);    /* ok */
    assert_non_null(strstr(line[1], " lost "));
    assert_non_null(strstr(line[2], " at_risk "));
    /* The columns after the targets start where their headers do, on every line. */
    {
        const char *met[4] = {" met ", " no ", " no ", " yes "};
        const char *st[4] = {" status ", " lost ", " at_risk ", " ok "};

        for (int i = 1; i < 4; i++) {
            if (col_at(line[i], met[i]) != col_at(line[0], met[0]) ||
                col_at(line[i], st[i]) != col_at(line[0], st[0]))
                fail_msg("line %d misaligned:\n%s\n%s", i, line[0], line[i]);
        }
    }
    free(buf);
}

/* hist: begin (tests/fixtures/alert/README.md builds this part into the old code's program) */
/*
 * A random history of a rate's observations (xorshift64 from a seed): most steps one minute
 * on, some skip a few minutes or up to 100, one in a thousand skips more than the span; one
 * in twenty has no data (bad or share NaN) and now and then a dry run of 50..300 steps has
 * none at all (more than a small span). Known time grows by the minutes passed (some not
 * known), bad by all of it in a burst and by a quarter now and then; one step in fifty adds
 * hours x 3600000 as downtime does (no integer: a RAW run in the image). The status turns
 * at_risk for a thousand minutes out of three.
 */
struct hist {
    uint64_t x;
    int64_t span; /* the state's: how long the longest gaps are */
    int64_t m;    /* the last step's minute since 2025-01-01 */
    double bad, known;
    int64_t burst, dry; /* minutes of burst, steps without data still to come */
};

static uint64_t
hist_rnd(struct hist *h, uint64_t n)
{
    h->x ^= h->x << 13;
    h->x ^= h->x >> 7;
    h->x ^= h->x << 17;
    return h->x % n;
}

static void
hist_init(struct hist *h, uint64_t seed, int64_t span)
{
    memset(h, 0, sizeof(*h));
    h->x = seed;
    h->span = span;
}

/* The next observation; 1 when it has data. */
static int
hist_next(struct hist *h, struct rpt_alert_obs *o)
{
    uint64_t r = hist_rnd(h, 1000);
    int64_t adv = r < 900   ? 1
                  : r < 970 ? 2 + (int64_t)hist_rnd(h, 5)
                  : r < 999 ? 10 + (int64_t)hist_rnd(h, 100)
                            : h->span + 1 + (int64_t)hist_rnd(h, (uint64_t)h->span);
    double known = (double)(adv * MIN);
    int data = 1;

    h->m += adv;
    if (hist_rnd(h, 4) == 0)
        known -= (double)(hist_rnd(h, (uint64_t)(adv * MIN)));
    if (h->burst == 0 && hist_rnd(h, 400) == 0)
        h->burst = 20 + (int64_t)hist_rnd(h, 600);
    h->known += known;
    if (h->burst > 0) {
        h->bad += known;
        h->burst = h->burst > adv ? h->burst - adv : 0;
    } else if (hist_rnd(h, 10) == 0) {
        h->bad += known / 4;
    }
    if (hist_rnd(h, 50) == 0)
        h->bad += (double)hist_rnd(h, 1000) / 7.0 * 3600000.0;
    if (h->dry == 0 && hist_rnd(h, 2000) == 0)
        h->dry = 50 + (int64_t)hist_rnd(h, 250);
    if (h->dry > 0) {
        h->dry--;
        data = 0;
    } else if (hist_rnd(h, 20) == 0) {
        data = 0;
    }
    memset(o, 0, sizeof(*o));
    o->t = Y2025 + h->m * MIN;
    o->status = (h->m / 1000) % 3 == 2 ? RPT_AT_RISK : RPT_OK;
    o->coverage = 1;
    o->bad_ms = h->bad;
    o->known_ms = h->known;
    o->share = 0.03;
    o->left_ms = NAN;
    if (!data) {
        if (hist_rnd(h, 2) == 0)
            o->bad_ms = NAN;
        else
            o->share = NAN;
    }
    return data;
}

/* A small conf: span 101 minutes (two bitmap words, the second partly used). */
static void
small_conf(struct rpt_alert_conf *c)
{
    rpt_alert_defaults(31 * DAY, c);
    c->tier[0].long_ms = 37 * MIN;
    c->tier[0].short_ms = 3 * MIN;
    c->tier[1].long_ms = 100 * MIN;
    c->tier[1].short_ms = 7 * MIN;
}
/* hist: end */

/* The history as a reference reads it: every minute's sums, if it was stepped with data. */
struct ref {
    int64_t n;
    unsigned char *has;
    double *bad, *known;
};

static void
ref_put(struct ref *f, int64_t m, double bad, double known)
{
    if (m >= f->n) {
        int64_t n = m * 2 + 1024;

        f->has = realloc(f->has, (size_t)n);
        f->bad = realloc(f->bad, (size_t)n * sizeof(double));
        f->known = realloc(f->known, (size_t)n * sizeof(double));
        assert_true(f->has != NULL && f->bad != NULL && f->known != NULL);
        memset(f->has + f->n, 0, (size_t)(n - f->n));
        f->n = n;
    }
    f->has[m] = 1;
    f->bad[m] = bad;
    f->known[m] = known;
}

/* The burn over [m - w, m]: both ends stepped with data and known time between, else NaN. */
static double
ref_burn(const struct ref *f, int64_t m, int64_t w, double share)
{
    int64_t m0 = m - w / MIN;
    double known;

    if (m0 < 0 || m >= f->n || !f->has[m] || !f->has[m0])
        return NAN;
    known = f->known[m] - f->known[m0];
    if (!(known > 0))
        return NAN;
    return (f->bad[m] - f->bad[m0]) / known / share;
}

static void
same_double(double x, double y, int64_t m)
{
    if (!(isnan(x) && isnan(y)) && memcmp(&x, &y, sizeof(x)) != 0)
        fail_msg("minute %lld: %.17g != %.17g", (long long)m, x, y);
}

/* a and b took the same step: the same answer, change and burns. */
static void
same_step(const struct rpt_alert *a, int r1, const struct rpt_alert_change *c1,
          const struct rpt_alert *b, int r2, const struct rpt_alert_change *c2, int64_t m)
{
    assert_int_equal(r1, r2);
    if (r1) {
        assert_int_equal(c1->t, c2->t);
        assert_int_equal(c1->from, c2->from);
        assert_int_equal(c1->to, c2->to);
        assert_string_equal(c1->kind, c2->kind);
        assert_int_equal(c1->tier, c2->tier);
        assert_memory_equal(c1->burn_long, c2->burn_long, sizeof(c1->burn_long));
        assert_memory_equal(c1->burn_short, c2->burn_short, sizeof(c1->burn_short));
    }
    for (size_t k = 0; k < rpt_alert_conf(a)->ntiers; k++) {
        double l1, s1, l2, s2;

        rpt_alert_burn(a, k, &l1, &s1);
        rpt_alert_burn(b, k, &l2, &s2);
        same_double(l1, l2, m);
        same_double(s1, s2, m);
    }
    assert_int_equal(rpt_alert_current(a), rpt_alert_current(b));
}

/*
 * The ring (span slots, a validity bitmap cleared over skipped minutes) over a long random
 * history with gaps of every length: minute by minute the burns are the reference's from the
 * full list of observations. Every 997 steps the state is saved and restored into a fresh
 * one that goes on beside it: the same burns and changes as never stopping, and the same
 * image bytes when both are saved again.
 */
static void
test_ring_matches_reference_and_restores(void **state)
{
    struct rpt_alert_conf conf[2];

    (void)state;
    rpt_alert_defaults(YEAR_MS, &conf[0]); /* span 4694 */
    small_conf(&conf[1]);
    for (int ci = 0; ci < 2; ci++) {
        const struct rpt_alert_conf *c = &conf[ci];
        struct rpt_alert *a = rpt_alert_new(c), *b = NULL;
        int64_t span = c->tier[1].long_ms / MIN + 1, numbers = 0, nans = 0, restored = 0;
        int changes = 0;
        struct ref f = {0};
        struct hist h;

        assert_non_null(a);
        hist_init(&h, 0x9e3779b97f4a7c15ULL + (uint64_t)ci, span);
        for (int step = 1; step <= (ci == 0 ? 40000 : 60000); step++) {
            struct rpt_alert_obs o;
            struct rpt_alert_change ch, ch2;
            int r1;

            if (hist_next(&h, &o))
                ref_put(&f, h.m, o.bad_ms, o.known_ms);
            r1 = rpt_alert_step(a, &o, &ch);
            changes += r1;
            for (size_t k = 0; k < c->ntiers; k++) {
                double lw, sw;

                rpt_alert_burn(a, k, &lw, &sw);
                same_double(lw, ref_burn(&f, h.m, c->tier[k].long_ms, 0.03), h.m);
                same_double(sw, ref_burn(&f, h.m, c->tier[k].short_ms, 0.03), h.m);
                if (isnan(lw))
                    nans++;
                else
                    numbers++;
            }
            if (b != NULL) {
                int r2 = rpt_alert_step(b, &o, &ch2);

                same_step(a, r1, &ch, b, r2, &ch2, h.m);
            }
            if (step % 997 == 0) {
                void *img = NULL, *img2 = NULL;
                size_t len = 0, len2 = 0;

                assert_int_equal(rpt_alert_snapshot(a, &img, &len), 0);
                if (b != NULL) {
                    assert_int_equal(rpt_alert_snapshot(b, &img2, &len2), 0);
                    assert_int_equal(len, len2);
                    assert_memory_equal(img, img2, len);
                    free(img2);
                    restored++;
                }
                rpt_alert_free(b);
                b = rpt_alert_new(c);
                assert_non_null(b);
                assert_int_equal(rpt_alert_restore(b, img, len), 0);
                free(img);
            }
        }
        /* Both answers were met often, and the state changed: the test can tell. */
        assert_true(numbers > 10000);
        assert_true(nans > 1000);
        assert_true(changes >= 4);
        assert_true(restored >= 30);
        rpt_alert_free(a);
        rpt_alert_free(b);
        free(f.has);
        free(f.bad);
        free(f.known);
    }
}

/*
 * Images written by the ring before it had a bitmap (24-byte slots tagged with their minute,
 * main at 586665a): the .img files in tests/fixtures/alert, made as tests/fixtures/alert/README.md
 * says from the hist_* functions above. Run to the same step, the new code writes the very same
 * bytes; the image restored goes on exactly as the state that never stopped.
 * v1-small-dry.img is taken in a dry run longer than the span: its newest minute with data
 * is more than a span before the last step.
 */
static void
test_old_image_restores(void **state)
{
    static const struct {
        const char *file;
        int small;
        uint64_t seed;
        int steps;
    } fx[] = {
        {"v1-year.img", 0, 42, 18000},
        {"v1-small-dry.img", 1, 7, 6549},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
        struct rpt_alert_conf c;
        struct rpt_alert *a, *b;
        struct hist h;
        struct rpt_alert_obs o;
        struct rpt_alert_change ch, ch2;
        char path[512];
        unsigned char old[65536];
        void *img = NULL;
        size_t len = 0, olen;
        FILE *fp;

        snprintf(path, sizeof(path), "%s/tests/fixtures/alert/%s", RW_SRC_DIR, fx[i].file);
        fp = fopen(path, "rb");
        if (fp == NULL)
            fail_msg("cannot open %s", path);
        olen = fread(old, 1, sizeof(old), fp);
        fclose(fp);
        assert_true(olen > 100 && olen < sizeof(old));
        if (fx[i].small)
            small_conf(&c);
        else
            rpt_alert_defaults(YEAR_MS, &c);
        a = rpt_alert_new(&c);
        b = rpt_alert_new(&c);
        assert_true(a != NULL && b != NULL);
        hist_init(&h, fx[i].seed, c.tier[1].long_ms / MIN + 1);
        for (int s = 0; s < fx[i].steps; s++) {
            hist_next(&h, &o);
            rpt_alert_step(a, &o, &ch);
        }
        assert_int_equal(rpt_alert_snapshot(a, &img, &len), 0);
        assert_int_equal(len, olen);
        assert_memory_equal(img, old, len);
        free(img);
        assert_int_equal(rpt_alert_restore(b, old, olen), 0);
        for (int s = 0; s < 20000; s++) {
            int r1, r2;

            hist_next(&h, &o);
            r1 = rpt_alert_step(a, &o, &ch);
            r2 = rpt_alert_step(b, &o, &ch2);
            same_step(a, r1, &ch, b, r2, &ch2, h.m);
        }
        rpt_alert_free(a);
        rpt_alert_free(b);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_tiers_year_and_month),
        cmocka_unit_test(test_slow_drift_at_risk_months_before_lost),
        cmocka_unit_test(test_short_severe_burst_fast_burn_once),
        cmocka_unit_test(test_image_goes_on_exactly),
        cmocka_unit_test(test_flapping_status_alerts_once_each_way),
        cmocka_unit_test(test_lost_never_alerts_again),
        cmocka_unit_test(test_month_without_data_is_unverified),
        cmocka_unit_test(test_open_incident_counts_down_to_mttr_lost),
        cmocka_unit_test(test_table_urgent_first_aligned_by_width),
        cmocka_unit_test(test_ring_matches_reference_and_restores),
        cmocka_unit_test(test_old_image_restores),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
