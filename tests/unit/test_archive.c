/*
 * test_archive.c - the sample archive's writer (agent/archive/archive.c), its file names
 * (arc_name.c) and its config group: rows written are read back through the trace source
 * and the replay's own parser (tools/roomwatch/trace_csv.c) bit for bit; hours roll over
 * into finished files; the size and age bounds remove whole hours; disk errors make one
 * episode each; a writer killed with SIGKILL leaves every row it had flushed readable.
 *
 * Each test works in a fresh folder under /tmp, removed afterwards. Times are made up: the
 * archive reads no clock.
 */
#define _XOPEN_SOURCE 700    /* nftw() */
#define _FILE_OFFSET_BITS 64 /* readdir() on 32-bit targets, as rw_archive */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "archive/arc_gz.h"
#include "archive/arc_name.h"
#include "archive/archive.h"
#include "archive/tsrc.h"
#include "cfg/cfg.h"
#include "store/store.h"
#include "core/indset.h"
#include "trace_cmd.h"
#include "archive/trace_csv.h"

#define H (3600 * 1000LL)
/* 2024-03-01T00:00:00Z */
#define T0 1709251200000LL
#define MAX_RECS 200000

struct rec {
    int64_t t;
    char point[TRACE_POINT_MAX];
    double value;
    int answered;
    char text[1024];
    char file[256]; /* base name of the file it came from */
};

static struct rec *recs;
static char dir[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/rw-test-archive-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    recs = calloc(MAX_RECS, sizeof(*recs));
    return recs == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    (void)state;
    free(recs);
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
path_of(const char *rel)
{
    static char p[512];

    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    return p;
}

static int
exists(const char *rel)
{
    struct stat st;

    return stat(path_of(rel), &st) == 0;
}

/*
 * Every row of a source through the replay's parser, each file with its own header;
 * returns the number of rows (fails the test on any parse or read error). cut, if not
 * NULL, gets the number of files that ended short.
 */
static size_t
read_source(struct tsrc *ts, size_t *cut)
{
    struct trace_csv tc;
    struct trace_row row;
    struct tsrc_stats st;
    const char *line, *name;
    size_t len, n = 0;
    long lineno;
    char err[TRACE_ERR_LEN];
    int rc;

    trace_csv_init(&tc);
    while ((rc = tsrc_next_line(ts, &line, &len, &name, &lineno)) == 1) {
        if (lineno == 1)
            trace_csv_init(&tc);
        switch (trace_csv_parse(&tc, line, len, &row, err, sizeof(err))) {
        case TRACE_SKIP:
            continue;
        case TRACE_ERROR:
            fail_msg("%s:%ld: %s", name, lineno, err);
            break;
        case TRACE_ROW:
            break;
        }
        assert_true(n < MAX_RECS);
        recs[n].t = row.t;
        memcpy(recs[n].point, row.point, row.point_len + 1);
        recs[n].value = row.value;
        recs[n].answered = row.answered;
        recs[n].text[0] = '\0';
        if (row.directive) {
            assert_true(row.text_len < sizeof(recs[n].text));
            memcpy(recs[n].text, row.text, row.text_len);
            recs[n].text[row.text_len] = '\0';
        }
        snprintf(recs[n].file, sizeof(recs[n].file), "%s", strrchr(name, '/') + 1);
        n++;
    }
    if (rc < 0)
        fail_msg("%s", tsrc_error(ts));
    tsrc_get_stats(ts, &st);
    if (cut != NULL)
        *cut = st.cut;
    tsrc_close(ts);
    return n;
}

static size_t
read_archive(int64_t from, int64_t to, size_t *cut)
{
    struct tsrc *ts;
    char err[TSRC_ERR_LEN];

    if (tsrc_open_archive(dir, from, to, &ts, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return read_source(ts, cut);
}

static size_t
read_file(const char *rel, size_t *cut)
{
    struct tsrc *ts;
    char err[TSRC_ERR_LEN];

    if (tsrc_open_file(path_of(rel), &ts, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return read_source(ts, cut);
}

static struct arc *
open_arc(const struct arc_opts *o, int64_t now)
{
    static const char *const points[] = {"meter1.v_l1", "th1.temperature", "ups-1.alarm_x"};
    struct arc *a;
    char err[128];

    if (arc_open(dir, points, 3, o, now, &a, err, sizeof(err)) != 0)
        fail_msg("arc_open: %s", err);
    return a;
}

/* ------------------------------------------------------------------------------------- */

static void
test_arc_name_round_trip(void **state)
{
    char buf[ARC_NAME_MAX];
    int64_t hour;
    unsigned seq;

    (void)state;
    assert_int_equal(arc_name_format(T0 + 16 * H, 0, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2024/03/01/20240301T16Z.csv.gz");
    assert_int_equal(arc_name_parse("20240301T16Z.csv.gz", &hour, &seq), 0);
    assert_int_equal(hour, T0 + 16 * H);
    assert_int_equal(seq, 0);
    assert_int_equal(arc_name_format(T0 - H, 12, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "2024/02/29/20240229T23Z-12.csv.gz");
    assert_int_equal(arc_name_parse("20240229T23Z-12.csv.gz", &hour, &seq), 0);
    assert_int_equal(hour, T0 - H);
    assert_int_equal(seq, 12);
    assert_int_equal(arc_name_format(T0 + 1, 0, buf, sizeof(buf)), -1); /* not an hour */
    assert_int_equal(arc_name_format(T0, 0, buf, 20), -1);              /* no room */
    assert_int_equal(arc_hour_of(T0 + H - 1), T0);
    assert_int_equal(arc_hour_of(T0 + H), T0 + H);
    /* Not the archive's. */
    assert_int_equal(arc_name_parse("20230229T00Z.csv.gz", &hour, &seq), -1); /* no Feb 29 */
    assert_int_equal(arc_name_parse("20240301T24Z.csv.gz", &hour, &seq), -1);
    assert_int_equal(arc_name_parse("20240301T16Z-01.csv.gz", &hour, &seq), -1);
    assert_int_equal(arc_name_parse("20240301T16Z-.csv.gz", &hour, &seq), -1);
    assert_int_equal(arc_name_parse("20240301T16Z.csv", &hour, &seq), -1);
    assert_int_equal(arc_name_parse("20240301T16Z.csv.gz.tmp", &hour, &seq), -1);
    assert_int_equal(arc_name_parse("2024030xT16Z.csv.gz", &hour, &seq), -1);
}

/* The command of a row, through the replay's own reader (trace_cmd.h). */
static struct store_cmd *
cmd_of(const struct rec *r)
{
    static struct trace_cmd tcmd;
    struct trace_row row;
    char err[TRACE_ERR_LEN];

    memset(&row, 0, sizeof(row));
    row.t = r->t;
    snprintf(row.point, sizeof(row.point), "%s", r->point);
    row.point_len = strlen(row.point);
    row.directive = 1;
    row.text = r->text;
    row.text_len = strlen(r->text);
    if (trace_cmd_parse(&row, &tcmd, err, sizeof(err)) != 0)
        fail_msg("%s: %s", r->text, err);
    return &tcmd.cmd;
}

/* Values, qualities and times come back bit for bit through the replay's parser; commands
 * with every byte of their texts. */
static void
test_arc_rows_round_trip(void **state)
{
    static const double values[] = {
        229.8,     229.8000030517578,
        0.1 + 0.2, -0.0,
        1e9,       123456.789,
        2.5e-300,  -40.0,
        1.0 / 3.0, 65535,
        0.0001,    99999999999999.98,
        4.9e-324,  1.7976931348623157e308,
    };
    static const char note[] = "on site, fixed; 100% ok\nnext\tline \"张工\" a=b";
    size_t nv = sizeof(values) / sizeof(values[0]);
    struct store_cmd ack = {.kind = STORE_CMD_ACK, .incident = 3, .by = "张工", .note = note};
    struct store_cmd res = {.kind = STORE_CMD_RESOLVE,
                            .incident = 3,
                            .by = "li",
                            .cause = "CRAC filter clogged",
                            .measure = ""};
    struct store_cmd ev = {.kind = STORE_CMD_EVENT,
                           .by = "zhao",
                           .event_kind = "maintenance",
                           .incident = 3,
                           .at = T0 + 5 * 60000 + 7};
    struct store_cmd ev_now = {
        .kind = STORE_CMD_EVENT, .by = "zhao", .event_kind = "security-incident"};
    struct store_cmd *c;
    struct arc_stats st;
    struct arc *a = open_arc(NULL, T0);
    int64_t t = T0 + 1000, saved;
    size_t n, i;
    char err[TRACE_ERR_LEN];
    struct trace_row row;

    (void)state;
    for (i = 0; i < nv; i++) {
        float f = (float)values[i];

        assert_int_equal(arc_sample(a, t + (int64_t)i * 7, 0, values[i], 1, ALM_Q_GOOD), 0);
        /* A float32 reading as the decoder gives it: the double of a float. */
        if (isfinite(f))
            assert_int_equal(arc_sample(a, t + (int64_t)i * 7, 1, (double)f, 1, ALM_Q_GOOD), 0);
    }
    assert_int_equal(arc_sample(a, T0 + 600000, 2, 1.0, 0, ALM_Q_NO_ANSWER), 0);
    assert_int_equal(arc_sample(a, T0 + 600050, 2, 6553.5, 0, ALM_Q_BAD), 0);    /* out of range */
    assert_int_equal(arc_sample(a, T0 + 600500, 2, INFINITY, 1, ALM_Q_GOOD), 0); /* no value */
    assert_int_equal(arc_sample(a, T0 + 600550, 2, 5.0, 0, ALM_Q_GOOD), 0);      /* not valid */
    assert_int_equal(arc_sample_name(a, T0 + 600600, "agent.delivery.meter1", 0.25, 1, ALM_Q_GOOD),
                     0);
    assert_int_equal(arc_sample_name(a, T0 + 600600, "bad point", 1, 1, ALM_Q_GOOD), -1);
    assert_int_equal(arc_sample_name(a, T0 + 600600, "@ack", 1, 1, ALM_Q_GOOD), -1);
    assert_int_equal(arc_sample(a, T0 + 600600, 3, 1, 1, ALM_Q_GOOD), -1); /* no such index */
    assert_int_equal(arc_sample(a, -5, 0, 1, 1, ALM_Q_GOOD), -1);          /* before 1970 */
    assert_int_equal(arc_command(a, T0 + 610000, &ack), 0);
    assert_int_equal(arc_command(a, T0 + 620000, &res), 0);
    assert_int_equal(arc_command(a, T0 + 630000, &ev), 0);
    assert_int_equal(arc_command(a, T0 + 640000, &ev_now), 0);
    assert_int_equal(arc_restart(a, T0 + 650000, T0 + 590000), 0);
    arc_get_stats(a, &st);
    assert_int_equal(st.refused, 4);
    assert_int_equal(st.dropped, 0);
    arc_close(a);

    n = read_archive(INT64_MIN, INT64_MAX, NULL);
    i = 0;
    for (size_t k = 0; k < nv; k++) {
        float f = (float)values[k];

        assert_int_equal(recs[i].t, t + (int64_t)k * 7);
        assert_string_equal(recs[i].point, "meter1.v_l1");
        assert_true(recs[i].answered);
        assert_memory_equal(&recs[i].value, &values[k], sizeof(double));
        i++;
        if (isfinite(f)) {
            double d = (double)f;

            assert_string_equal(recs[i].point, "th1.temperature");
            assert_memory_equal(&recs[i].value, &d, sizeof(double));
            i++;
        }
    }
    /* No answer: empty; an answer without a valid value: "bad", read as answered, NaN. */
    assert_false(recs[i].answered);
    for (int k = 0; k < 3; k++) {
        i++;
        assert_string_equal(recs[i].point, "ups-1.alarm_x");
        assert_true(recs[i].answered);
        assert_true(isnan(recs[i].value));
    }
    i++;
    assert_string_equal(recs[i].point, "agent.delivery.meter1");
    assert_true(recs[i].value == 0.25);
    i++;
    assert_string_equal(recs[i].point, "@ack");
    assert_int_equal(recs[i].t, T0 + 610000);
    assert_string_equal(recs[i].text,
                        "incident=3;by=张工;note=on site%2C fixed%3B 100%25 ok%0Anext%09line "
                        "\"张工\" a=b");
    c = cmd_of(&recs[i]);
    assert_int_equal(c->kind, STORE_CMD_ACK);
    assert_int_equal(c->incident, 3);
    assert_string_equal(c->by, "张工");
    assert_string_equal(c->note, note);
    i++;
    assert_string_equal(recs[i].point, "@resolve");
    assert_string_equal(recs[i].text, "incident=3;by=li;cause=CRAC filter clogged");
    c = cmd_of(&recs[i]);
    assert_string_equal(c->cause, "CRAC filter clogged");
    assert_null(c->measure);
    i++;
    /* Recorded at 630 s, happened at 300.007 s. */
    assert_string_equal(recs[i].point, "@event");
    assert_int_equal(recs[i].t, T0 + 630000);
    assert_string_equal(recs[i].text, "kind=maintenance;by=zhao;incident=3;at=1709251500.007");
    c = cmd_of(&recs[i]);
    assert_int_equal(c->at, T0 + 5 * 60000 + 7);
    assert_string_equal(c->event_kind, "maintenance");
    assert_int_equal(c->incident, 3);
    i++;
    assert_string_equal(recs[i].text, "kind=security-incident;by=zhao");
    assert_int_equal(cmd_of(&recs[i])->at, T0 + 640000);
    i++;
    assert_string_equal(recs[i].point, "@restart");
    memset(&row, 0, sizeof(row));
    row.t = recs[i].t;
    strcpy(row.point, "@restart");
    row.point_len = 8;
    row.directive = 1;
    row.text = recs[i].text;
    row.text_len = strlen(recs[i].text);
    assert_int_equal(trace_restart_parse(&row, &saved, err, sizeof(err)), 1);
    assert_int_equal(saved, T0 + 590000);
    assert_int_equal(recs[i].t, T0 + 650000);
    i++;
    assert_int_equal(n, i);
}

/* The compact time form: "1709251201", ".5", ".25", ".125". */
static void
test_arc_time_text(void **state)
{
    struct arc *a = open_arc(NULL, T0);
    gzFile gz;
    char buf[4096];
    int n;

    (void)state;
    assert_int_equal(arc_sample(a, T0 + 1000, 0, 1, 1, ALM_Q_GOOD), 0);
    assert_int_equal(arc_sample(a, T0 + 1500, 0, 1, 1, ALM_Q_GOOD), 0);
    assert_int_equal(arc_sample(a, T0 + 1250, 1, 22.5, 1, ALM_Q_GOOD), 0);
    assert_int_equal(arc_sample(a, T0 + 1125, 2, 0, 0, ALM_Q_NO_ANSWER), 0);
    arc_close(a);
    gz = gzopen(path_of("2024/03/01/20240301T00Z.csv.gz"), "rb");
    assert_non_null(gz);
    n = gzread(gz, buf, sizeof(buf) - 1);
    gzclose(gz);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, "ts,point,value\n"
                             "1709251201,meter1.v_l1,1\n"
                             "1709251201.5,meter1.v_l1,1\n"
                             "1709251201.25,th1.temperature,22.5\n"
                             "1709251201.125,ups-1.alarm_x,\n");
}

/* An hour's file is finished (complete gzip, fsync()ed) once the next hour is 10 s old;
 * late rows go into their own hour's file while it is open. */
static void
test_arc_hour_rollover(void **state)
{
    struct arc_stats st;
    struct arc *a = open_arc(NULL, T0);
    size_t n, cut;

    (void)state;
    assert_int_equal(arc_sample(a, T0 + H - 500, 0, 230, 1, ALM_Q_GOOD), 0);
    assert_int_equal(arc_sample(a, T0 + H + 5000, 0, 231, 1, ALM_Q_GOOD), 0);
    arc_get_stats(a, &st);
    assert_int_equal(st.open_files, 2);
    assert_int_equal(st.files_done, 0);
    /* Late: taken before the hour ended, arriving after. */
    assert_int_equal(arc_sample(a, T0 + H - 100, 1, 22, 1, ALM_Q_GOOD), 0);
    arc_tick(a, T0 + H + 10000);
    arc_get_stats(a, &st);
    assert_int_equal(st.open_files, 1);
    assert_int_equal(st.files_done, 1);
    assert_int_equal(st.rows_flushed, 2);
    /* Later than the grace: into the oldest file still open. */
    assert_int_equal(arc_sample(a, T0 + H - 50, 2, 1, 1, ALM_Q_GOOD), 0);

    /* The finished file reads whole while the next is still open. */
    n = read_file("2024/03/01/20240301T00Z.csv.gz", &cut);
    assert_int_equal(n, 2);
    assert_int_equal(cut, 0);
    assert_int_equal(recs[0].t, T0 + H - 500);
    assert_int_equal(recs[1].t, T0 + H - 100);

    /* An hour with no rows: the open file is finished by the tick alone. */
    arc_tick(a, T0 + 2 * H + 10000);
    arc_get_stats(a, &st);
    assert_int_equal(st.open_files, 0);
    assert_int_equal(st.files_done, 2);
    assert_int_equal(st.rows_flushed, 4);
    assert_true(st.bytes > 0);
    n = read_file("2024/03/01/20240301T01Z.csv.gz", &cut);
    assert_int_equal(n, 2);
    assert_int_equal(cut, 0);
    assert_int_equal(recs[1].t, T0 + H - 50);

    /* A jump over hours: each row in its hour's file, none for the hours between. */
    assert_int_equal(arc_sample(a, T0 + 5 * H, 0, 1, 1, ALM_Q_GOOD), 0);
    assert_int_equal(arc_sample(a, T0 + 7 * H, 0, 1, 1, ALM_Q_GOOD), 0);
    assert_int_equal(arc_sample(a, T0 + 7 * H + 1, 0, 1, 1, ALM_Q_GOOD), 0);
    arc_close(a);
    assert_true(exists("2024/03/01/20240301T05Z.csv.gz"));
    assert_true(exists("2024/03/01/20240301T07Z.csv.gz"));
    assert_false(exists("2024/03/01/20240301T06Z.csv.gz"));
    n = read_archive(INT64_MIN, INT64_MAX, &cut);
    assert_int_equal(n, 7);
    assert_int_equal(cut, 0);
}

/* A restart within an hour starts the next sequence number; the reader follows it. */
static void
test_arc_restart_same_hour(void **state)
{
    struct arc *a = open_arc(NULL, T0);
    size_t n;

    (void)state;
    assert_int_equal(arc_sample(a, T0 + 1000, 0, 1, 1, ALM_Q_GOOD), 0);
    arc_close(a);
    a = open_arc(NULL, T0 + 2000);
    assert_int_equal(arc_sample(a, T0 + 3000, 0, 2, 1, ALM_Q_GOOD), 0);
    arc_close(a);
    a = open_arc(NULL, T0 + 4000);
    assert_int_equal(arc_sample(a, T0 + 5000, 0, 3, 1, ALM_Q_GOOD), 0);
    arc_close(a);
    assert_true(exists("2024/03/01/20240301T00Z-1.csv.gz"));
    assert_true(exists("2024/03/01/20240301T00Z-2.csv.gz"));
    n = read_archive(INT64_MIN, INT64_MAX, NULL);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_true(recs[i].value == (double)(i + 1));
    assert_string_equal(recs[2].file, "20240301T00Z-2.csv.gz");
}

/* Hours of rows, one every 10 s. */
static void
fill_hours(struct arc *a, int64_t from, int hours)
{
    for (int h = 0; h < hours; h++)
        for (int s = 0; s < 3600; s += 10)
            assert_int_equal(arc_sample(a, from + h * H + s * 1000LL, 0,
                                        220.0 + (double)((h * 7 + s) % 97) / 10.0, 1, ALM_Q_GOOD),
                             0);
}

/* Over the size bound, the oldest whole hours go, and their emptied folders. */
static void
test_arc_rotation_by_size(void **state)
{
    struct arc_opts o = {0};
    struct arc_stats st;
    struct arc *a;
    uint64_t one;
    size_t n;

    (void)state;
    a = open_arc(&o, T0 - 3 * H);
    fill_hours(a, T0 - 3 * H, 1);
    arc_tick(a, T0 - 2 * H + 20000);
    arc_get_stats(a, &st);
    one = st.bytes;
    assert_true(one > 100);
    arc_close(a);

    /* Room for three and a half such hours. */
    o.max_bytes = one * 7 / 2;
    a = open_arc(&o, T0);
    fill_hours(a, T0, 5);
    arc_tick(a, T0 + 5 * H + 20000);
    arc_get_stats(a, &st);
    assert_true(st.bytes <= o.max_bytes);
    assert_true(st.files_removed >= 2);
    assert_false(exists("2024/02/29/20240229T21Z.csv.gz"));
    assert_false(exists("2024/02/29")); /* the emptied day's folder went too */
    assert_false(exists("2024/03/01/20240301T00Z.csv.gz"));
    assert_true(exists("2024/03/01/20240301T04Z.csv.gz"));
    arc_close(a);
    n = read_archive(INT64_MIN, INT64_MAX, NULL);
    assert_int_equal(n, (5 + 1 - st.files_removed) * 360);
    assert_int_equal(recs[n - 1].t, T0 + 4 * H + 3590 * 1000LL);
}

/* Hours older than the age bound go, at the next finished hour and at arc_open(). */
static void
test_arc_rotation_by_age(void **state)
{
    struct arc_opts o = {.max_age_ms = 2 * 24 * H};
    struct arc_stats st;
    struct arc *a;

    (void)state;
    a = open_arc(&o, T0);
    fill_hours(a, T0, 2);             /* 2024-03-01 00 and 01 */
    fill_hours(a, T0 + 24 * H, 1);    /* 2024-03-02 00 */
    fill_hours(a, T0 + 49 * H, 1);    /* 2024-03-03 01: the 1st's 00 hour ended 2 d ago */
    arc_tick(a, T0 + 50 * H + 20000); /* and now the 01 hour too */
    arc_get_stats(a, &st);
    assert_int_equal(st.files_removed, 2);
    assert_false(exists("2024/03/01"));
    assert_true(exists("2024/03/02/20240302T00Z.csv.gz"));
    arc_close(a);

    /* Reopened long after: the bound applies at once. */
    a = open_arc(&o, T0 + 24 * H + 49 * H);
    arc_get_stats(a, &st);
    assert_int_equal(st.files_removed, 1);
    assert_false(exists("2024/03/02"));
    assert_true(exists("2024/03/03/20240303T01Z.csv.gz"));
    arc_close(a);
}

/* A size bound beyond the disk is lowered to half of what the archive could grow into. */
static void
test_arc_bound_fits_disk(void **state)
{
    struct arc_opts o = {.max_bytes = 1ull << 62};
    struct arc_stats st;
    struct statvfs vfs;
    struct arc *a;
    uint64_t half;

    (void)state;
    assert_int_equal(statvfs(dir, &vfs), 0);
    half = (uint64_t)vfs.f_bavail * vfs.f_frsize / 2;
    a = open_arc(&o, T0);
    arc_get_stats(a, &st);
    assert_true(st.bound_bytes < o.max_bytes);
    assert_true(st.bound_bytes > half - half / 10 && st.bound_bytes < half + half / 10);
    arc_close(a);
    o.max_bytes = 1000000;
    a = open_arc(&o, T0);
    arc_get_stats(a, &st);
    assert_int_equal(st.bound_bytes, 1000000);
    arc_close(a);
}

/* A folder that cannot be made: one episode however many rows fail, retried, and over. */
static void
test_arc_error_episode(void **state)
{
    struct arc_opts o = {.retry_ms = 5000};
    struct arc_stats st;
    struct arc *a;
    int fd;

    (void)state;
    assert_int_equal(mkdir(path_of("2024"), 0755), 0);
    assert_int_equal(mkdir(path_of("2024/03"), 0755), 0);
    fd = open(path_of("2024/03/01"), O_WRONLY | O_CREAT, 0644); /* where a folder must go */
    assert_true(fd >= 0);
    close(fd);
    a = open_arc(&o, T0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(arc_sample(a, T0 + i * 100, 0, 1, 1, ALM_Q_GOOD), -1);
    arc_get_stats(a, &st);
    assert_int_equal(st.episodes, 1);
    assert_int_equal(st.dropped, 100);
    /* Still failing at the retry. */
    assert_int_equal(arc_sample(a, T0 + 20000, 0, 1, 1, ALM_Q_GOOD), -1);
    arc_get_stats(a, &st);
    assert_int_equal(st.episodes, 1);
    /* Fixed: taken at the next retry, and the episode ends at the first flush. */
    assert_int_equal(unlink(path_of("2024/03/01")), 0);
    assert_int_equal(arc_sample(a, T0 + 21000, 0, 1, 1, ALM_Q_GOOD),
                     -1); /* before the retry time */
    assert_int_equal(arc_sample(a, T0 + 26000, 0, 2, 1, ALM_Q_GOOD), 0);
    arc_tick(a, T0 + 90000);
    arc_get_stats(a, &st);
    assert_int_equal(st.rows_flushed, 1);
    assert_int_equal(st.dropped, 102);
    /* A new failure is a new episode: the next hour's folder is blocked. */
    fd = open(path_of("2024/03/02"), O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(arc_sample(a, T0 + 24 * H, 0, 3, 1, ALM_Q_GOOD), -1);
    arc_get_stats(a, &st);
    assert_int_equal(st.episodes, 2);
    arc_close(a);
    assert_int_equal(read_archive(INT64_MIN, INT64_MAX, NULL), 1);
}

/* A full disk (here a file size limit, which root obeys too): one episode, the rows lost are
 * counted, and what reached the file before reads back without error. */
static void
test_arc_disk_full(void **state)
{
    struct arc_opts o = {.flush_ms = 1000, .retry_ms = 10 * H}; /* no retry in the test */
    struct arc_stats st;
    struct rlimit old, lim;
    struct arc *a;
    size_t n, cut;
    uint32_t x = 12345;
    int i, failed = -1;

    (void)state;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 20000;
    a = open_arc(&o, T0);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    for (i = 0; i < 20000; i++) {
        x = x * 1103515245u + 12345u; /* values that do not compress away */
        if (arc_sample(a, T0 + i * 100LL, 0, (double)x / 7.0, 1, ALM_Q_GOOD) != 0 && failed < 0)
            failed = i;
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    arc_get_stats(a, &st);
    assert_true(failed > 0);
    assert_int_equal(st.episodes, 1);
    assert_true(st.dropped > 0);
    assert_true(st.rows_flushed > 0);
    arc_close(a);
    n = read_archive(INT64_MIN, INT64_MAX, &cut);
    assert_true(n >= st.rows_flushed);
    assert_true(n < 20000);
    assert_int_equal(cut, 1);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(recs[k].t, T0 + (int64_t)k * 100);
}

/*
 * kill -9: a child writes rows and reports, through a pipe, how many were flushed; after a
 * few flushes (and rows past the last one) it is killed. Every flushed row must read back,
 * in order and exactly, without an error; the file ends short.
 */
static void
test_arc_kill9(void **state)
{
    int fds[2];
    pid_t pid;
    uint64_t flushed = 0, got;
    int reports = 0, status;
    size_t n, cut;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct arc_opts o = {.flush_ms = 2000};
        struct arc_stats st;
        struct arc *a;
        uint64_t seen = 0;

        close(fds[0]);
        a = open_arc(&o, T0);
        /* Starts 5 s before an hour ends: the kill finds the second file open. */
        for (int64_t i = 0;; i++) {
            arc_sample(a, T0 + H - 5000 + i * 7, (size_t)(i % 3), (double)i * 0.1, 1, ALM_Q_GOOD);
            arc_get_stats(a, &st);
            if (st.rows_flushed != seen) {
                seen = st.rows_flushed;
                if (write(fds[1], &seen, sizeof(seen)) != sizeof(seen))
                    _exit(1);
            }
        }
    }
    close(fds[1]);
    while (reports < 8 && read(fds[0], &got, sizeof(got)) == sizeof(got)) {
        flushed = got;
        reports++;
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(fds[0]);
    assert_int_equal(reports, 8);

    n = read_archive(INT64_MIN, INT64_MAX, &cut);
    if (getenv("RW_TEST_VERBOSE") != NULL)
        fprintf(stderr, "kill -9: %llu rows flushed before the kill, %zu read, %zu cut\n",
                (unsigned long long)flushed, n, cut);
    assert_true(n >= flushed);
    assert_true(cut <= 1);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(recs[i].t, T0 + H - 5000 + (int64_t)i * 7);
        assert_true(recs[i].value == (double)i * 0.1);
    }
    assert_true(exists("2024/03/01/20240301T00Z.csv.gz"));
    assert_true(exists("2024/03/01/20240301T01Z.csv.gz"));
}

/*
 * A point's value text and the row time are kept from the row before: whatever repeats or
 * alternates, every row reads back as written (-0.0 keeps its sign, a point's cached text is
 * never another point's, a repeated value after a change is formatted again).
 */
static void
test_arc_repeated_values(void **state)
{
    static const double v[] = {27.5, 27.5, 0.0, -0.0, 0.0, 0.1, 0.1 + 1e-15, 27.5,
                               (double)230.4446f, (double)230.4446f, 1e300, 1e300};
    enum { NV = sizeof(v) / sizeof(v[0]) };
    struct arc *a;
    size_t n, k = 0;

    (void)state;
    a = open_arc(NULL, T0);
    for (size_t i = 0; i < NV; i++) {
        /* Two points in turn, the second with the values backwards; the time repeats in
         * pairs, as a cycle's rows share one. */
        int64_t t = T0 + (int64_t)(i / 2) * 1000 + 7;

        assert_int_equal(arc_sample(a, t, 0, v[i], 1, ALM_Q_GOOD), 0);
        assert_int_equal(arc_sample(a, t, 1, v[NV - 1 - i], 1, ALM_Q_GOOD), 0);
    }
    assert_int_equal(arc_sample(a, T0 + 9000, 0, 27.5, 0, ALM_Q_BAD), 0);
    assert_int_equal(arc_sample(a, T0 + 9000, 0, 27.5, 1, ALM_Q_GOOD), 0);
    arc_close(a);
    n = read_archive(INT64_MIN, INT64_MAX, NULL);
    assert_int_equal(n, 2 * NV + 2);
    for (size_t i = 0; i < NV; i++) {
        for (int p = 0; p < 2; p++, k++) {
            double want = p == 0 ? v[i] : v[NV - 1 - i];

            assert_int_equal(recs[k].t, T0 + (int64_t)(i / 2) * 1000 + 7);
            assert_string_equal(recs[k].point, p == 0 ? "meter1.v_l1" : "th1.temperature");
            assert_true(recs[k].answered);
            assert_memory_equal(&recs[k].value, &want, sizeof(want)); /* bit for bit */
        }
    }
    assert_true(isnan(recs[k].value) && recs[k].answered); /* "bad" */
    assert_true(recs[k + 1].value == 27.5);
}

/*
 * Reads the gzip file at path with zlib's reader: the bytes decoded, -1 on an error. whole:
 * the stream must also end properly (its trailer read and checked), not just be cut off.
 */
static long
gunzip(const char *path, char *buf, size_t cap, int whole)
{
    gzFile g = gzopen(path, "rb");
    long n;
    int rc;

    assert_non_null(g);
    n = gzread(g, buf, (unsigned)cap);
    if (whole)
        assert_int_equal(gzread(g, buf, 1), 0); /* the end, not an error */
    rc = gzclose(g);
    if (whole)
        assert_int_equal(rc, Z_OK);
    return n;
}

/*
 * The archive's gzip writer: what agz_flush() wrote decodes before the stream is closed (the
 * file a kill -9 leaves), the closed file is one standard gzip member holding every byte in
 * order, whatever the sizes of the writes (one larger than its output buffer); a write that
 * cannot reach the disk is an error with errno, not a silent loss.
 */
static void
test_arc_gz_stream(void **state)
{
    enum { N = 200000 };
    char path[128], *in, *out;
    struct agz *z;
    size_t n = 0;
    int fd;

    (void)state;
    in = malloc(N);
    out = malloc(N + 1);
    assert_non_null(in);
    assert_non_null(out);
    for (size_t i = 0; i < N; i++) /* rows that repeat a little, like the archive's */
        in[i] = (char)(i % 97 == 96 ? '\n' : "0123456789.,abcdefgh"[(i * 7 + i / 131) % 20]);
    snprintf(path, sizeof(path), "%s/gz.csv.gz", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_null(agz_open(fd, 0));
    assert_int_equal(errno, EINVAL);
    z = agz_open(fd, 6);
    assert_non_null(z);
    for (size_t len = 1; n + len <= N / 2; len = len * 3 + 1) {
        assert_int_equal(agz_write(z, in + n, len), 0);
        n += len;
    }
    assert_int_equal(agz_flush(z), 0);
    assert_int_equal(agz_flush(z), 0); /* nothing new: still fine */
    /* Not closed: the file holds a stream without its end, decodable up to the flush. */
    assert_int_equal(gunzip(path, out, N, 0), (long)n);
    assert_memory_equal(out, in, n);
    assert_int_equal(agz_write(z, in + n, N - n), 0); /* 100 KB in one call */
    assert_int_equal(agz_close(z), 0);
    assert_int_equal(agz_close(NULL), 0);
    assert_int_equal(close(fd), 0); /* still the caller's */
    assert_int_equal(gunzip(path, out, N + 1, 1), N);
    assert_memory_equal(out, in, N);

    /* /dev/full refuses every write: at the latest the flush says so. */
    fd = open("/dev/full", O_WRONLY);
    if (fd >= 0) {
        z = agz_open(fd, 6);
        assert_non_null(z);
        assert_int_equal(agz_write(z, in, 100), 0); /* kept in the buffer */
        errno = 0;
        assert_int_equal(agz_flush(z), -1);
        assert_int_equal(errno, ENOSPC);
        errno = 0; /* and from then on, without trying again */
        assert_int_equal(agz_write(z, in, 100), -1);
        assert_int_equal(errno, ENOSPC);
        errno = 0;
        assert_int_equal(agz_close(z), -1);
        assert_int_equal(errno, ENOSPC);
        close(fd);
    }
    free(in);
    free(out);
}

/* Loads a config fixture, its state_dir the test's folder. */
static struct rw_config *
load_fixture(const char *name)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;
    char old[4096];

    assert_non_null(getcwd(old, sizeof(old)));
    assert_int_equal(chdir(RW_FIXTURES "/config"), 0);
    assert_int_equal(setenv("TZDIR", "zoneinfo", 1), 0);
    assert_int_equal(cfg_load(name, &cfg, &d), CFG_OK);
    assert_int_equal(chdir(old), 0);
    cfg_diags_free(&d);
    free(cfg->state_dir);
    cfg->state_dir = strdup(dir);
    return cfg;
}

/*
 * The archive a config describes: under its state_dir, its names in the core's layout, so
 * that the core's point index (indset_point(), indset_delivery_point()) names the point.
 */
static void
test_arc_open_config(void **state)
{
    static const char *const fixtures[] = {"02-minimal.cfg", "60-delivery.cfg"};
    char err[128], want[160];

    (void)state;
    for (size_t f = 0; f < 2; f++) {
        struct rw_config *cfg = load_fixture(fixtures[f]);
        struct indset *is;
        struct arc_stats st;
        struct arc *a = NULL;
        size_t n = 0, got;

        assert_int_equal(indset_new(cfg, &is), 0);
        assert_int_equal(arc_open_config(cfg, T0, &a, err, sizeof(err)), 0);
        arc_get_stats(a, &st);
        assert_int_equal(st.bound_bytes, 3000000000ull);
        for (size_t d = 0; d < cfg->ndevices; d++) {
            const struct cfg_profile *p = &cfg->profiles[cfg->devices[d].profile];

            for (size_t k = 0; k < p->npoints; k++, n++)
                assert_int_equal(
                    arc_sample(a, T0 + 1000, indset_point(is, d, k), (double)n, 1, ALM_Q_GOOD), 0);
            if (cfg_has_delivery(cfg)) {
                assert_int_equal(
                    arc_sample(a, T0 + 2000, indset_delivery_point(is, d), 0.5, 1, ALM_Q_GOOD), 0);
                n++;
            }
        }
        /* One past the layout: refused. */
        assert_int_equal(arc_sample(a, T0 + 3000, n, 1, 1, ALM_Q_GOOD), -1);
        arc_close(a);
        snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/archive");
        got = read_archive(INT64_MIN, INT64_MAX, NULL);
        *strrchr(dir, '/') = '\0';
        assert_int_equal(got, n);
        n = 0;
        for (size_t d = 0; d < cfg->ndevices; d++) {
            const struct cfg_profile *p = &cfg->profiles[cfg->devices[d].profile];

            for (size_t k = 0; k < p->npoints; k++, n++) {
                snprintf(want, sizeof(want), "%s.%s", cfg->devices[d].id, p->points[k].name);
                assert_string_equal(recs[n].point, want);
                assert_true(recs[n].value == (double)n);
            }
            if (cfg_has_delivery(cfg)) {
                snprintf(want, sizeof(want), "agent.delivery.%s", cfg->devices[d].id);
                assert_string_equal(recs[n++].point, want);
            }
        }
        assert_true(f == 0 || cfg_has_delivery(cfg));
        indset_free(is);
        /* Off: nothing opened. */
        cfg->archive.enabled = 0;
        a = (struct arc *)1;
        assert_int_equal(arc_open_config(cfg, T0, &a, err, sizeof(err)), 1);
        assert_null(a);
        cfg_free(cfg);
        assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
        assert_int_equal(mkdir(dir, 0700), 0);
    }
}

/* The "archive" group: values, and the defaults without it. */
static void
test_arc_config(void **state)
{
    struct cfg_diags d = {0};
    struct rw_config *cfg = NULL;
    char old[4096];

    (void)state;
    assert_non_null(getcwd(old, sizeof(old)));
    assert_int_equal(chdir(RW_FIXTURES "/config"), 0);
    assert_int_equal(setenv("TZDIR", "zoneinfo", 1), 0);
    assert_int_equal(cfg_load("140-archive.cfg", &cfg, &d), CFG_OK);
    assert_int_equal(cfg->archive.enabled, 0);
    assert_true(cfg->archive.max_mb == 512.5);
    assert_int_equal(cfg->archive.max_days, 30);
    cfg_free(cfg);
    assert_int_equal(cfg_load("02-minimal.cfg", &cfg, &d), CFG_OK);
    assert_int_equal(cfg->archive.enabled, 1);
    assert_true(cfg->archive.max_mb == CFG_ARCHIVE_MAX_MB_DEFAULT);
    assert_int_equal(cfg->archive.max_days, CFG_ARCHIVE_MAX_DAYS_DEFAULT);
    cfg_free(cfg);
    cfg_diags_free(&d);
    assert_int_equal(chdir(old), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arc_name_round_trip),
        cmocka_unit_test_setup_teardown(test_arc_rows_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arc_time_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arc_hour_rollover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arc_restart_same_hour, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arc_rotation_by_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arc_rotation_by_age, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arc_bound_fits_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arc_error_episode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arc_disk_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arc_kill9, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arc_gz_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arc_repeated_values, setup, teardown),
        cmocka_unit_test(test_arc_config),
        cmocka_unit_test_setup_teardown(test_arc_open_config, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
