/*
 * bench_archive.c - what the sample archive (agent/archive/archive.h) costs on disk and in
 * CPU: the archive writer driven with synthetic days of realistic readings, as roomwatchd
 * would drive it, into a scratch folder.
 *
 *   bench_archive [--room demo|20x60|all] [--days N] [--level L] [--dir DIR] [--keep]
 *                 [--quick]
 *
 * Rooms:
 *   demo   config/demo.cfg: meter1 (Eastron SDM630, 13 float32 points), th1 (R444A01) and
 *          th2 (XY-MD02) (2 int16/uint16 x 0.1 points each), every 2 s: 17 points, 734,400
 *          rows a day.
 *   20x60  20 points at 60 s: two meters of 6 float32 points and four T/H sensors of 2
 *          scaled int16 points: 28,800 rows a day.
 *
 * Values are what the decoders give: a float32 reading widened to double (so up to 17
 * digits in the trace, which must give the engine the very same double), a raw register
 * times 0.1. They wander as a room's do: mains voltage a few volts around 225 V with noise in
 * the last float bits, currents and power with load, frequency 50 +- 0.05 Hz, energy
 * counters rising, temperature and humidity moving by 0.1 steps every few minutes. Answer
 * times jitter by a few ms past the schedule, one time per device cycle (bus_modbus.c).
 *
 * Prints rows, bytes on disk, bytes per row and per day, the year's projection, the CPU
 * time per row, and the longest single call (wall time: the hour's fsync() is in it); then
 * the CPU the trace source takes to read it all back (what replay pays before parsing). Exit 0, or
 * 1 when the archive cannot be written or read back.
 */
#define _XOPEN_SOURCE 700    /* nftw() */
#define _FILE_OFFSET_BITS 64 /* readdir() on 32-bit targets, as rw_archive */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive/archive.h"
#include "archive/tsrc.h"
#include "rw_log.h"

#define DAY_MS (86400 * 1000LL)
#define T0 1704038400000LL /* 2024-01-01T00:00:00+08:00, the demo's year */
#define MAX_POINTS 32

/* One device: its points, poll interval and how its values move. */
struct dev {
    const char *id;
    int interval_ms;
    int jitter_ms; /* answer time past the schedule: base .. base + jitter */
    int base_ms;
    int kind; /* 0: SDM630-like meter (float32), 1: T/H sensor (int x 0.1) */
    int npoints;
    const char *names[16];
    size_t first; /* index of its first point in the archive's table */
    /* state */
    double v[3], i[3], f, e;
    int t_raw, h_raw;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double
urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static double
f32(double x)
{
    return (double)(float)x;
}

static const char *const meter_points[] = {
    "v_l1", "v_l2", "v_l3",    "i_l1",      "i_l2",          "i_l3",         "p_l1",
    "p_l2", "p_l3", "p_total", "frequency", "energy_import", "energy_total",
};
static const char *const meter6_points[] = {"v_l1", "v_l2", "v_l3", "i_l1", "i_l2", "i_l3"};
static const char *const th_points[] = {"temperature", "humidity"};

static void
dev_init(struct dev *d, const char *id, int kind, int interval_ms, int npoints)
{
    memset(d, 0, sizeof(*d));
    d->id = id;
    d->kind = kind;
    d->interval_ms = interval_ms;
    d->npoints = npoints;
    d->base_ms = kind == 0 ? 8 : 25;
    d->jitter_ms = kind == 0 ? 12 : 30;
    for (int k = 0; k < npoints; k++)
        d->names[k] =
            kind == 0 ? (npoints == 13 ? meter_points[k] : meter6_points[k]) : th_points[k];
    for (int k = 0; k < 3; k++) {
        d->v[k] = 224.0 + 2.0 * urand();
        d->i[k] = 8.0 + 4.0 * urand();
    }
    d->f = 50.0;
    d->e = 12345.6;
    d->t_raw = 228 + (int)(20 * urand());
    d->h_raw = 450 + (int)(50 * urand());
}

/* One poll cycle's values into out[0..npoints). */
static void
dev_cycle(struct dev *d, double *out)
{
    if (d->kind == 0) {
        double p[3], pt = 0.0;

        for (int k = 0; k < 3; k++) {
            /* Slow drift back towards 225 V, and measurement noise. */
            d->v[k] += 0.05 * (225.0 - d->v[k]) + 0.3 * (urand() - 0.5);
            d->i[k] += 0.02 * (10.0 - d->i[k]) + 0.2 * (urand() - 0.5);
            p[k] = d->v[k] * d->i[k] * 0.95;
            pt += p[k];
        }
        d->f += 0.1 * (50.0 - d->f) + 0.01 * (urand() - 0.5);
        d->e += pt * d->interval_ms / 3.6e9;
        for (int k = 0; k < 3; k++) {
            out[k] = f32(d->v[k]);
            out[3 + k] = f32(d->i[k]);
        }
        if (d->npoints == 13) {
            for (int k = 0; k < 3; k++)
                out[6 + k] = f32(p[k]);
            out[9] = f32(pt);
            out[10] = f32(d->f);
            out[11] = f32(d->e);
            out[12] = f32(d->e + 0.4);
        }
    } else {
        /* A step of 0.1 now and then: sensors are steady for minutes. */
        if (urand() < 0.01)
            d->t_raw += urand() < 0.5 ? -1 : 1;
        if (urand() < 0.02)
            d->h_raw += urand() < 0.5 ? -1 : 1;
        out[0] = d->t_raw * 0.1; /* mb_decode: raw * scale + offset */
        out[1] = d->h_raw * 0.1 + 0.0;
    }
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static double
mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one room for days; prints its line. 0, or -1. */
static int
run(const char *room, struct dev *devs, int ndev, double days, int level, const char *base,
    int keep)
{
    const char *names[MAX_POINTS];
    char buf[MAX_POINTS][64], dir[512], err[TSRC_ERR_LEN];
    struct arc_opts o = {.level = level};
    struct arc_stats st;
    struct tsrc_stats ts_st;
    struct arc *a;
    struct tsrc *ts;
    const char *line, *name;
    size_t len, npoints = 0;
    long lineno;
    int64_t end = T0 + (int64_t)(days * DAY_MS), *next;
    double c0, c1, r0, r1, values[16], worst = 0.0;
    uint64_t lines = 0, text = 0;
    int rc;

    snprintf(dir, sizeof(dir), "%s/%s", base, room);
    for (int d = 0; d < ndev; d++) {
        devs[d].first = npoints;
        for (int k = 0; k < devs[d].npoints; k++, npoints++) {
            snprintf(buf[npoints], sizeof(buf[npoints]), "%s.%s", devs[d].id, devs[d].names[k]);
            names[npoints] = buf[npoints];
        }
    }
    if (arc_open(dir, names, npoints, &o, T0, &a, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_archive: %s\n", err);
        return -1;
    }
    next = calloc((size_t)ndev, sizeof(*next));
    if (next == NULL)
        return -1;
    for (int d = 0; d < ndev; d++)
        next[d] = T0 + d * 3;
    c0 = cpu_s();
    for (;;) {
        int d = 0;
        int64_t t;

        /* The device due first, as the bus threads would deliver them. */
        for (int k = 1; k < ndev; k++)
            if (next[k] < next[d])
                d = k;
        if (next[d] >= end)
            break;
        t = next[d] + devs[d].base_ms + (int64_t)(urand() * devs[d].jitter_ms);
        dev_cycle(&devs[d], values);
        for (int k = 0; k < devs[d].npoints; k++) {
            double w0 = mono_s(), w;

            if (arc_sample(a, t, devs[d].first + (size_t)k, values[k], 1, ALM_Q_GOOD) != 0) {
                fprintf(stderr, "bench_archive: a row was not taken\n");
                return -1;
            }
            /* The longest the main loop waits on the archive: an hour's fsync(). */
            if ((w = mono_s() - w0) > worst)
                worst = w;
        }
        next[d] += devs[d].interval_ms;
    }
    arc_tick(a, end + 20000);
    c1 = cpu_s();
    arc_get_stats(a, &st);
    arc_close(a);
    free(next);

    /* Read back: the archive must replay whole. */
    r0 = cpu_s();
    if (tsrc_open_archive(dir, INT64_MIN, INT64_MAX, &ts, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_archive: %s\n", err);
        return -1;
    }
    while ((rc = tsrc_next_line(ts, &line, &len, &name, &lineno)) == 1) {
        lines++;
        text += len;
    }
    tsrc_get_stats(ts, &ts_st);
    tsrc_close(ts);
    r1 = cpu_s();
    if (rc != 0 || ts_st.cut != 0 || lines != st.rows + ts_st.files) {
        fprintf(stderr, "bench_archive: %s: read back %llu lines of %llu rows, %zu cut\n", room,
                (unsigned long long)lines, (unsigned long long)st.rows, ts_st.cut);
        return -1;
    }
    printf("%-6s %3zu points %9.0f rows/day %11.0f bytes/day %6.2f bytes/row %8.1f MB/year "
           "%5.2f us/row, longest call %.1f ms (level %d, %g days, %llu files)\n",
           room, npoints, (double)st.rows / days, (double)st.bytes / days,
           (double)st.bytes / (double)st.rows, (double)st.bytes / days * 365.0 / 1e6,
           (c1 - c0) * 1e6 / (double)st.rows, worst * 1e3, level ? level : ARC_LEVEL, days,
           (unsigned long long)st.files_done);
    printf("%-6s read back: %llu lines, %.1f MB of text in %.2f s CPU (%.0f MB/s, %.2f us/line)\n",
           room, (unsigned long long)lines, (double)text / 1e6, r1 - r0,
           (double)text / 1e6 / (r1 - r0), (r1 - r0) * 1e6 / (double)lines);
    if (!keep)
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *room = "all", *base = NULL;
    char tmp[] = "/tmp/rw-bench-archive-XXXXXX";
    double days = 1.0;
    int level = 0, keep = 0, rc = 0;
    struct dev demo[3], r20[6];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--room") == 0 && i + 1 < argc) {
            room = argv[++i];
        } else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc) {
            days = atof(argv[++i]);
        } else if (strcmp(argv[i], "--level") == 0 && i + 1 < argc) {
            level = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            base = argv[++i];
        } else if (strcmp(argv[i], "--keep") == 0) {
            keep = 1;
        } else if (strcmp(argv[i], "--quick") == 0) {
            days = 1.0 / 24.0;
        } else {
            fprintf(stderr, "usage: bench_archive [--room demo|20x60|all] [--days N] "
                            "[--level 1-9] [--dir DIR] [--keep] [--quick]\n");
            return 2;
        }
    }
    if (days <= 0 || days > 3660) {
        fprintf(stderr, "bench_archive: --days must be above 0 and at most 3660\n");
        return 2;
    }
    rw_log_init("bench_archive", RW_LOG_WARNING);
    if (base == NULL) {
        if (mkdtemp(tmp) == NULL) {
            fprintf(stderr, "bench_archive: %s: %s\n", tmp, strerror(errno));
            return 1;
        }
        base = tmp;
    }
    dev_init(&demo[0], "meter1", 0, 2000, 13);
    dev_init(&demo[1], "th1", 1, 2000, 2);
    dev_init(&demo[2], "th2", 1, 2000, 2);
    dev_init(&r20[0], "meter1", 0, 60000, 6);
    dev_init(&r20[1], "meter2", 0, 60000, 6);
    dev_init(&r20[2], "th1", 1, 60000, 2);
    dev_init(&r20[3], "th2", 1, 60000, 2);
    dev_init(&r20[4], "th3", 1, 60000, 2);
    dev_init(&r20[5], "th4", 1, 60000, 2);
    if (strcmp(room, "demo") == 0 || strcmp(room, "all") == 0)
        rc |= run("demo", demo, 3, days, level, base, keep);
    if (strcmp(room, "20x60") == 0 || strcmp(room, "all") == 0)
        rc |= run("20x60", r20, 6, days, level, base, keep);
    if (base == tmp && !keep)
        rmdir(tmp);
    else
        printf("archive kept in %s\n", base);
    return rc != 0;
}
