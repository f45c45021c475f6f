/*
 * archive.c - the sample archive's writer (see archive.h).
 */
#include "archive/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "archive/arc_gz.h"
#include "archive/arc_name.h"
#include "cfg/cfg.h"
#include "rw_log.h"
#include "store/store.h"

#define ROW_MAX 256       /* a sample row: ts, a point of < 128 bytes, a value */
#define CMD_ROW_MAX 16384 /* a command row: the texts of a 16 KiB command at most */
#define POINT_MAX 128     /* bytes of a point name, NUL included (TRACE_POINT_MAX) */
#define SEQ_TRIES 1000    /* sequence numbers tried for one hour before giving up */

/* A file being written. */
struct ofile {
    int64_t hour;
    unsigned seq;
    struct agz *gz;         /* the gzip stream written to fd */
    int fd;
    uint64_t pending;       /* rows handed to zlib since the last successful flush */
    char rel[ARC_NAME_MAX]; /* path under the archive folder */
};

/* A finished (or abandoned) hour file on disk, counted against the bounds. */
struct done {
    int64_t hour;
    unsigned seq;
    uint64_t size;
};

/*
 * A point's last value and its text: a reading that repeats (a temperature in tenths, a state,
 * a counter between changes) is not formatted again. Finding the shortest text that reads back
 * exactly takes up to three snprintf() and strtod() a row, the archive's largest cost per row.
 */
struct vtext {
    double v;      /* compared bit for bit: -0.0 and 0.0 print differently */
    int len;       /* 0: nothing cached yet */
    char text[32]; /* "%.17g" of a double is at most 24 bytes */
};

struct arc {
    char *dir;
    char **points;
    struct vtext *vt; /* per point */
    size_t npoints;
    int64_t ts_t;      /* the last row's time and its text (a cycle's rows share one) */
    int ts_len;        /* 0: none yet */
    char ts_text[24];
    struct arc_opts o;
    struct ofile f[2]; /* open files, f[0] the older hour */
    size_t nf;
    struct done *done; /* sorted by (hour, seq) */
    size_t ndone, capdone;
    int64_t clock;      /* the newest time seen, ms */
    int64_t last_flush; /* when the open files were last flushed */
    int64_t retry_at;   /* no new file before this after an error */
    int failing;        /* in an error episode (logged once) */
    int scanned;        /* the files already on disk are in done */
    uint64_t lost_in_episode;
    struct arc_stats st;
};

static int valid_point(const char *s);
static int format_ts(int64_t t, char *buf, size_t len);
static int format_value(double v, char *buf, size_t len);
static int sample_row(struct arc *a, int64_t t, const char *point, struct vtext *vt, double value,
                      int valid, enum alm_quality q);
static int write_row(struct arc *a, int64_t t, const char *row, size_t len);
static void advance(struct arc *a, int64_t now);
static struct ofile *file_for(struct arc *a, int64_t t);
static int open_file(struct arc *a, int64_t hour, struct ofile *f);
static int finish_file(struct arc *a, struct ofile *f);
static void abandon_files(struct arc *a);
static int flush_files(struct arc *a);
static void fail(struct arc *a, const char *what, const char *rel, int err);
static void recovered(struct arc *a, const char *rel);
static int make_dirs(const char *dir, const char *rel);
static int sync_dir(const char *path);
static char *join(const char *dir, const char *rel);
static int add_done(struct arc *a, int64_t hour, unsigned seq, uint64_t size);
static int scan_one(void *arg, const char *path, int64_t hour, unsigned seq, uint64_t size);
static void scan(struct arc *a);
static void apply_bounds(struct arc *a);
static void fit_to_disk(struct arc *a);
static size_t put_text(char *out, size_t cap, const char *s);
static char *join_point(const char *a, const char *b);

int
arc_open(const char *dir, const char *const *points, size_t npoints, const struct arc_opts *opts,
         int64_t now, struct arc **out, char *err, size_t errlen)
{
    struct arc *a;

    *out = NULL;
    for (size_t i = 0; i < npoints; i++) {
        if (!valid_point(points[i])) {
            snprintf(err, errlen, "\"%.64s\" is not a trace point name (device.point)", points[i]);
            errno = EINVAL;
            return -1;
        }
    }
    if ((a = calloc(1, sizeof(*a))) == NULL || (a->dir = strdup(dir)) == NULL ||
        (a->points = calloc(npoints ? npoints : 1, sizeof(*a->points))) == NULL ||
        (a->vt = calloc(npoints ? npoints : 1, sizeof(*a->vt))) == NULL)
        goto nomem;
    for (a->npoints = 0; a->npoints < npoints; a->npoints++)
        if ((a->points[a->npoints] = strdup(points[a->npoints])) == NULL)
            goto nomem;
    if (opts != NULL)
        a->o = *opts;
    if (a->o.level < 1 || a->o.level > 9)
        a->o.level = ARC_LEVEL;
    if (a->o.flush_ms <= 0)
        a->o.flush_ms = ARC_FLUSH_MS;
    if (a->o.grace_ms <= 0)
        a->o.grace_ms = ARC_GRACE_MS;
    if (a->o.retry_ms <= 0)
        a->o.retry_ms = ARC_RETRY_MS;
    a->clock = now;
    a->last_flush = now;
    a->retry_at = INT64_MIN;
    if (make_dirs(a->dir, NULL) != 0) {
        fail(a, "create the folder", "", errno);
    } else {
        scan(a);
        fit_to_disk(a);
        apply_bounds(a);
    }
    *out = a;
    return 0;
nomem:
    arc_close(a);
    snprintf(err, errlen, "out of memory");
    errno = ENOMEM;
    return -1;
}

void
arc_close(struct arc *a)
{
    if (a == NULL)
        return;
    while (a->nf > 0) {
        if (finish_file(a, &a->f[0]) != 0) {
            abandon_files(a);
            break;
        }
        a->f[0] = a->f[1];
        a->nf--;
    }
    if (a->st.dropped > 0)
        log_notice("archive: %" PRIu64 " rows were not archived in this run (write errors)",
                   a->st.dropped);
    for (size_t i = 0; i < a->npoints; i++)
        free(a->points[i]);
    free(a->points);
    free(a->vt);
    free(a->done);
    free(a->dir);
    free(a);
}

int
arc_open_config(const struct rw_config *cfg, int64_t now, struct arc **out, char *err,
                size_t errlen)
{
    struct arc_opts o = {0};
    char **names = NULL, *dir = NULL;
    size_t n = 0, k = 0;
    int delivery = cfg_has_delivery(cfg), rc = -1;

    *out = NULL;
    if (!cfg->archive.enabled)
        return 1;
    /* indset.h's layout: every device's points, device by device; then, with a delivery
     * indicator, agent.delivery.<device> for each device. */
    for (size_t d = 0; d < cfg->ndevices; d++)
        n += cfg->profiles[cfg->devices[d].profile].npoints + (delivery ? 1 : 0);
    names = calloc(n ? n : 1, sizeof(*names));
    dir = join(cfg->state_dir, ARC_SUBDIR);
    if (names == NULL || dir == NULL)
        goto nomem;
    for (size_t d = 0; d < cfg->ndevices; d++) {
        const struct cfg_profile *p = &cfg->profiles[cfg->devices[d].profile];

        for (size_t i = 0; i < p->npoints; i++, k++)
            if ((names[k] = join_point(cfg->devices[d].id, p->points[i].name)) == NULL)
                goto nomem;
    }
    for (size_t d = 0; delivery && d < cfg->ndevices; d++, k++)
        if ((names[k] = join_point("agent." CFG_DELIVERY_POINT, cfg->devices[d].id)) == NULL)
            goto nomem;
    o.max_bytes = (uint64_t)llround(cfg->archive.max_mb * 1e6);
    o.max_age_ms = (int64_t)cfg->archive.max_days * 86400000;
    rc = arc_open(dir, (const char *const *)names, n, &o, now, out, err, errlen);
    goto out;
nomem:
    snprintf(err, errlen, "out of memory");
    errno = ENOMEM;
out:
    for (size_t i = 0; i < k; i++)
        free(names[i]);
    free(names);
    free(dir);
    return rc;
}

int
arc_sample(struct arc *a, int64_t t, size_t p, double value, int valid, enum alm_quality q)
{
    if (p >= a->npoints) {
        a->st.refused++;
        return -1;
    }
    return sample_row(a, t, a->points[p], &a->vt[p], value, valid, q); /* names checked at open */
}

int
arc_sample_name(struct arc *a, int64_t t, const char *point, double value, int valid,
                enum alm_quality q)
{
    if (!valid_point(point)) {
        a->st.refused++;
        return -1;
    }
    return sample_row(a, t, point, NULL, value, valid, q);
}

/* A sample's row; vt, when not NULL, the point's cached value text. */
static int
sample_row(struct arc *a, int64_t t, const char *point, struct vtext *vt, double value, int valid,
           enum alm_quality q)
{
    char row[ROW_MAX];
    int n;

    if (a->ts_len == 0 || t != a->ts_t) {
        if ((n = format_ts(t, a->ts_text, sizeof(a->ts_text))) < 0) {
            a->st.refused++;
            return -1;
        }
        a->ts_t = t;
        a->ts_len = n;
    }
    n = snprintf(row, sizeof(row), "%.*s,%s,", a->ts_len, a->ts_text, point);
    /* As replay reads them back (cmd_replay.c): empty, no answer; "bad", an answer without a
     * valid value; a number, a valid value. */
    if (q == ALM_Q_GOOD && valid && isfinite(value)) {
        if (vt == NULL)
            n += format_value(value, row + n, sizeof(row) - (size_t)n);
        else {
            if (vt->len == 0 || memcmp(&vt->v, &value, sizeof(value)) != 0) {
                vt->len = format_value(value, vt->text, sizeof(vt->text));
                vt->v = value;
            }
            memcpy(row + n, vt->text, (size_t)vt->len);
            n += vt->len;
        }
    } else if (q != ALM_Q_NO_ANSWER)
        n += snprintf(row + n, sizeof(row) - (size_t)n, "bad");
    row[n++] = '\n';
    return write_row(a, t, row, (size_t)n);
}

int
arc_restart(struct arc *a, int64_t t, int64_t saved)
{
    char row[ROW_MAX];
    int n, m;

    if ((n = format_ts(t, row, sizeof(row))) < 0) {
        a->st.refused++;
        return -1;
    }
    n += snprintf(row + n, sizeof(row) - (size_t)n, ",@restart,saved=");
    if ((m = format_ts(saved, row + n, sizeof(row) - (size_t)n)) < 0) {
        a->st.refused++;
        return -1;
    }
    n += m;
    row[n++] = '\n';
    return write_row(a, t, row, (size_t)n);
}

int
arc_command(struct arc *a, int64_t t, const struct store_cmd *c)
{
    static const char *const names[] = {
        [STORE_CMD_ACK] = "ack", [STORE_CMD_RESOLVE] = "resolve", [STORE_CMD_EVENT] = "event"};
    const char *keys[5], *vals[5];
    char row[CMD_ROW_MAX], id[24], at[32];
    size_t n, nkv = 0;
    int k;

    if (c->kind != STORE_CMD_ACK && c->kind != STORE_CMD_RESOLVE && c->kind != STORE_CMD_EVENT) {
        a->st.refused++;
        return -1;
    }
    snprintf(id, sizeof(id), "%" PRId64, c->incident);
    /* The keys in the order tools/roomwatch/README.md lists them. */
    if (c->kind == STORE_CMD_EVENT) {
        keys[nkv] = "kind", vals[nkv++] = c->event_kind;
        keys[nkv] = "by", vals[nkv++] = c->by;
        keys[nkv] = "note", vals[nkv++] = c->note;
        keys[nkv] = "incident", vals[nkv++] = c->incident > 0 ? id : NULL;
        /* When it happened, if not when it was recorded (the row's ts, the default). */
        keys[nkv] = "at",
        vals[nkv++] = c->at != 0 && c->at != t && format_ts(c->at, at, sizeof(at)) > 0 ? at : NULL;
    } else {
        keys[nkv] = "incident", vals[nkv++] = id;
        keys[nkv] = "by", vals[nkv++] = c->by;
        if (c->kind == STORE_CMD_ACK) {
            keys[nkv] = "note", vals[nkv++] = c->note;
        } else {
            keys[nkv] = "cause", vals[nkv++] = c->cause;
            keys[nkv] = "measure", vals[nkv++] = c->measure;
        }
    }
    if ((k = format_ts(t, row, sizeof(row))) < 0) {
        a->st.refused++;
        return -1;
    }
    n = (size_t)k;
    n += (size_t)snprintf(row + n, sizeof(row) - n, ",@%s,", names[c->kind]);
    for (size_t i = 0, first = 1; i < nkv; i++) {
        size_t klen = strlen(keys[i]);

        if (vals[i] == NULL || vals[i][0] == '\0')
            continue;
        /* Room for ";key=", one escaped byte at least, and the newline. */
        if (n + klen + 6 > sizeof(row))
            break;
        if (!first)
            row[n++] = ';';
        first = 0;
        memcpy(row + n, keys[i], klen);
        n += klen;
        row[n++] = '=';
        n += put_text(row + n, sizeof(row) - n - 1, vals[i]);
    }
    row[n++] = '\n';
    return write_row(a, t, row, n);
}

void
arc_tick(struct arc *a, int64_t now)
{
    advance(a, now);
}

int
arc_flush(struct arc *a)
{
    if (a->nf == 0)
        return 0;
    a->last_flush = a->clock;
    return flush_files(a);
}

void
arc_get_stats(const struct arc *a, struct arc_stats *st)
{
    *st = a->st;
    st->bytes = 0;
    for (size_t i = 0; i < a->ndone; i++)
        st->bytes += a->done[i].size;
    st->open_files = a->nf;
    st->failing = a->failing;
    st->bound_bytes = a->o.max_bytes;
}

/* ------------------------------------------------------------------------------------- */

/* A trace point: letters, digits, '_', '-', '.', with a '.' neither first nor last. */
static int
valid_point(const char *s)
{
    size_t n = strlen(s);
    const char *dot = strchr(s, '.');

    if (n == 0 || n >= POINT_MAX || dot == NULL || dot == s || s[n - 1] == '.')
        return 0;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

/* Unix seconds, and the milliseconds without trailing zeros: "1709308800.25". */
static int
format_ts(int64_t t, char *buf, size_t len)
{
    int ms = (int)(t % 1000), n;

    if (t < 0)
        return -1;
    if (ms == 0)
        n = snprintf(buf, len, "%" PRId64, t / 1000);
    else if (ms % 100 == 0)
        n = snprintf(buf, len, "%" PRId64 ".%d", t / 1000, ms / 100);
    else if (ms % 10 == 0)
        n = snprintf(buf, len, "%" PRId64 ".%02d", t / 1000, ms / 10);
    else
        n = snprintf(buf, len, "%" PRId64 ".%03d", t / 1000, ms);
    return n > 0 && (size_t)n < len ? n : -1;
}

/*
 * The shortest "%.Ng" that strtod() reads back to v exactly (the trace parser reads values
 * as strtod does): 15 digits for most sensor values, up to 17 for a float32 reading.
 */
static int
format_value(double v, char *buf, size_t len)
{
    int n = 0;

    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return n;
}

/* Into the file of t's hour (see archive.h for late rows); 0, or -1 when dropped. */
static int
write_row(struct arc *a, int64_t t, const char *row, size_t len)
{
    struct ofile *f;

    advance(a, t);
    if ((f = file_for(a, t)) == NULL) {
        a->st.dropped++;
        a->lost_in_episode++;
        return -1;
    }
    if (agz_write(f->gz, row, len) != 0) {
        fail(a, "write", f->rel, errno);
        abandon_files(a);
        a->st.dropped++;
        a->lost_in_episode++;
        return -1;
    }
    f->pending++;
    a->st.rows++;
    return 0;
}

/* Time passes to now: hours that ended (and their grace) are finished, the minute flush. */
static void
advance(struct arc *a, int64_t now)
{
    int finished = 0;

    if (now > a->clock)
        a->clock = now;
    while (a->nf > 0 && a->f[0].hour + ARC_HOUR_MS + a->o.grace_ms <= a->clock) {
        if (finish_file(a, &a->f[0]) != 0) {
            abandon_files(a);
            break;
        }
        a->f[0] = a->f[1];
        a->nf--;
        finished = 1;
    }
    if (a->clock - a->last_flush >= a->o.flush_ms) {
        a->last_flush = a->clock;
        (void)flush_files(a);
    }
    if (finished)
        apply_bounds(a);
}

/* The open file a row at t goes into, opening its hour's file if needed; NULL if none. */
static struct ofile *
file_for(struct arc *a, int64_t t)
{
    int64_t h = arc_hour_of(t);

    for (size_t i = 0; i < a->nf; i++)
        if (a->f[i].hour == h)
            return &a->f[i];
    if (a->nf > 0 && h < a->f[a->nf - 1].hour)
        return &a->f[0]; /* late: the oldest file still open */
    if (a->nf == 0 && a->clock < a->retry_at)
        return NULL; /* after an error, until the next attempt */
    if (!a->scanned) {
        /* The folder could not be read at arc_open(): its files count from now on. */
        if (make_dirs(a->dir, NULL) != 0) {
            fail(a, "create the folder", "", errno);
            return NULL;
        }
        scan(a);
        apply_bounds(a);
        if (!a->scanned)
            return NULL;
    }
    if (a->nf == 2) {
        /* A third hour: the oldest is over whatever its grace says. */
        if (finish_file(a, &a->f[0]) != 0) {
            abandon_files(a);
            return NULL;
        }
        a->f[0] = a->f[1];
        a->nf = 1;
        apply_bounds(a);
    }
    if (open_file(a, h, &a->f[a->nf]) != 0)
        return NULL;
    return &a->f[a->nf++];
}

static int
open_file(struct arc *a, int64_t hour, struct ofile *f)
{
    static const char header[] = "ts,point,value\n";
    char *path = NULL;
    int fd = -1, e;

    memset(f, 0, sizeof(*f));
    f->hour = hour;
    f->fd = -1;
    for (f->seq = 0; f->seq < SEQ_TRIES; f->seq++) {
        if (arc_name_format(hour, f->seq, f->rel, sizeof(f->rel)) != 0) {
            fail(a, "name", "", EINVAL);
            return -1;
        }
        if (f->seq == 0 && make_dirs(a->dir, f->rel) != 0) {
            fail(a, "create the folder of", f->rel, errno);
            return -1;
        }
        free(path);
        if ((path = join(a->dir, f->rel)) == NULL) {
            fail(a, "open", f->rel, ENOMEM);
            return -1;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    e = errno;
    free(path);
    if (fd < 0) {
        fail(a, "create", f->rel, f->seq == SEQ_TRIES ? EEXIST : e);
        return -1;
    }
    f->fd = fd;
    if ((f->gz = agz_open(fd, a->o.level)) == NULL) {
        e = errno;
        close(f->fd);
        fail(a, "open", f->rel, e);
        return -1;
    }
    if (agz_write(f->gz, header, sizeof(header) - 1) != 0) {
        e = errno;
        (void)agz_close(f->gz);
        close(f->fd);
        fail(a, "write", f->rel, e);
        return -1;
    }
    log_debug("archive: started %s", f->rel);
    return 0;
}

/* Ends f's gzip stream, fsync()s it and its folder, and counts it. 0, or -1 (reported). */
static int
finish_file(struct arc *a, struct ofile *f)
{
    struct stat st;
    char *path, *slash;
    int rc, e = 0;

    rc = agz_close(f->gz);
    f->gz = NULL;
    if (rc != 0)
        e = errno;
    else if (fsync(f->fd) != 0)
        e = errno;
    if (fstat(f->fd, &st) != 0)
        st.st_size = 0;
    close(f->fd);
    f->fd = -1;
    if (add_done(a, f->hour, f->seq, (uint64_t)st.st_size) != 0 && e == 0)
        e = ENOMEM;
    if (e == 0 && (path = join(a->dir, f->rel)) != NULL) {
        /* The file's name must survive a power cut as well as its data. */
        if ((slash = strrchr(path, '/')) != NULL)
            *slash = '\0';
        if (sync_dir(path) != 0)
            e = errno;
        free(path);
    }
    if (e != 0) {
        /* Counted here; the caller's abandon_files() finds this one closed. */
        a->st.dropped += f->pending;
        a->lost_in_episode += f->pending;
        f->pending = 0;
        fail(a, "finish", f->rel, e);
        return -1;
    }
    a->st.files_done++;
    a->st.rows_flushed += f->pending;
    f->pending = 0;
    if (a->failing)
        recovered(a, f->rel);
    return 0;
}

/* After an error: every open file is left as it is on disk (readable up to where it got). */
static void
abandon_files(struct arc *a)
{
    for (size_t i = 0; i < a->nf; i++) {
        struct ofile *f = &a->f[i];
        struct stat st;

        (void)agz_close(f->gz);
        if (f->fd >= 0) {
            if (fstat(f->fd, &st) == 0)
                (void)add_done(a, f->hour, f->seq, (uint64_t)st.st_size);
            close(f->fd);
        }
        a->st.dropped += f->pending;
        a->lost_in_episode += f->pending;
    }
    a->nf = 0;
    a->retry_at = a->clock + a->o.retry_ms;
}

/* Z_SYNC_FLUSH: what the open files hold so far is decodable on disk (kill -9 safe). */
static int
flush_files(struct arc *a)
{
    for (size_t i = 0; i < a->nf; i++) {
        struct ofile *f = &a->f[i];
        if (f->pending == 0)
            continue;
        if (agz_flush(f->gz) != 0) {
            fail(a, "write", f->rel, errno);
            abandon_files(a);
            return -1;
        }
        a->st.rows_flushed += f->pending;
        f->pending = 0;
        if (a->failing)
            recovered(a, f->rel);
    }
    return 0;
}

/* An error: logged when an episode starts; the open files are abandoned by the caller. */
static void
fail(struct arc *a, const char *what, const char *rel, int err)
{
    a->retry_at = a->clock + a->o.retry_ms;
    if (a->failing)
        return;
    a->failing = 1;
    a->lost_in_episode = 0;
    a->st.episodes++;
    log_err("archive: cannot %s %s/%s: %s; samples are not archived until this works again "
            "(retried every %" PRId64 " s)",
            what, a->dir, rel, err ? strerror(err) : "compression error", a->o.retry_ms / 1000);
}

static void
recovered(struct arc *a, const char *rel)
{
    a->failing = 0;
    log_notice("archive: writing again (%s); %" PRIu64 " rows were lost", rel, a->lost_in_episode);
}

/*
 * Creates dir and the folders of rel (up to its last '/'), fsync()ing each new one's parent.
 * Mode 0750 and files 0640, as the state directory: the record is the site's, not the world's.
 */
static int
make_dirs(const char *dir, const char *rel)
{
    char *path = join(dir, rel != NULL ? rel : "");
    char *end, *p;
    int rc = 0;

    if (path == NULL)
        return -1;
    end = rel != NULL ? strrchr(path, '/') : path + strlen(path);
    if (end == NULL) {
        free(path);
        return 0;
    }
    for (p = path + 1; rc == 0 && p <= end; p++) {
        char c = *p;

        if (c != '/' && p != end)
            continue;
        *p = '\0';
        if (mkdir(path, 0750) == 0) {
            char *slash = strrchr(path, '/');

            if (slash != NULL && slash != path) {
                *slash = '\0';
                (void)sync_dir(path);
                *slash = '/';
            }
        } else if (errno != EEXIST) {
            rc = -1;
        } else {
            struct stat st;

            if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
                errno = ENOTDIR;
                rc = -1;
            }
        }
        *p = c;
    }
    free(path);
    return rc;
}

static int
sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* "dir/rel" (rel "" gives dir); malloc()ed, or NULL. */
static char *
join(const char *dir, const char *rel)
{
    size_t dl = strlen(dir), rl = strlen(rel);
    char *p = malloc(dl + rl + 2);

    if (p == NULL)
        return NULL;
    memcpy(p, dir, dl);
    if (rl > 0) {
        p[dl++] = '/';
        memcpy(p + dl, rel, rl);
    }
    p[dl + rl] = '\0';
    return p;
}

/* "a.b", malloc()ed, or NULL. */
static char *
join_point(const char *a, const char *b)
{
    size_t len = strlen(a) + strlen(b) + 2;
    char *p = malloc(len);

    if (p != NULL)
        snprintf(p, len, "%s.%s", a, b);
    return p;
}

/* Adds a file to the sorted list of those on disk. */
static int
add_done(struct arc *a, int64_t hour, unsigned seq, uint64_t size)
{
    size_t i;

    if (a->ndone == a->capdone) {
        size_t cap = a->capdone ? a->capdone * 2 : 64;
        struct done *d = realloc(a->done, cap * sizeof(*d));

        if (d == NULL)
            return -1;
        a->done = d;
        a->capdone = cap;
    }
    /* Nearly always at the end: files finish in order. */
    for (i = a->ndone; i > 0; i--) {
        const struct done *p = &a->done[i - 1];

        if (p->hour < hour || (p->hour == hour && p->seq < seq))
            break;
    }
    memmove(&a->done[i + 1], &a->done[i], (a->ndone - i) * sizeof(*a->done));
    a->done[i] = (struct done){hour, seq, size};
    a->ndone++;
    return 0;
}

static int
scan_one(void *arg, const char *path, int64_t hour, unsigned seq, uint64_t size)
{
    struct arc *a = arg;

    (void)path;
    if (add_done(a, hour, seq, size) != 0) {
        log_err("archive: out of memory reading %s", a->dir);
        return 1; /* stop: the bounds see the files read so far */
    }
    return 0;
}

/* Fills a->done from the hour files already in the archive. */
static void
scan(struct arc *a)
{
    if (arc_walk(a->dir, scan_one, a) < 0) {
        fail(a, "read the folder", "", errno);
        return;
    }
    a->scanned = 1;
}

/*
 * "On where it fits": a size bound beyond what the file system can give the archive would
 * fill the disk the store shares. The bound is lowered to half of what the archive may grow
 * into (its files plus the free space) when it is above that, and says so once.
 */
static void
fit_to_disk(struct arc *a)
{
    struct statvfs vfs;
    uint64_t have = 0, room;

    if (a->o.max_bytes == 0 || statvfs(a->dir, &vfs) != 0)
        return;
    for (size_t i = 0; i < a->ndone; i++)
        have += a->done[i].size;
    room = (have + (uint64_t)vfs.f_bavail * vfs.f_frsize) / 2;
    if (a->o.max_bytes <= room)
        return;
    log_warn("archive: the size bound of %.0f MB does not fit in %s; keeping %.0f MB (half of "
             "its files and the free space)",
             (double)a->o.max_bytes / 1e6, a->dir, (double)room / 1e6);
    a->o.max_bytes = room > 0 ? room : 1;
}

/* Removes whole hour files, oldest first, while a bound is exceeded; one notice per run. */
static void
apply_bounds(struct arc *a)
{
    uint64_t total = 0, freed = 0;
    size_t n = 0;
    int by_age = 0, by_size = 0;
    char first[ARC_NAME_MAX] = "", last[ARC_NAME_MAX] = "";

    for (size_t i = 0; i < a->ndone; i++)
        total += a->done[i].size;
    while (n < a->ndone) {
        const struct done *d = &a->done[n];
        int old = a->o.max_age_ms > 0 && d->hour + ARC_HOUR_MS + a->o.max_age_ms <= a->clock;
        int big = a->o.max_bytes > 0 && total - freed > a->o.max_bytes;
        char rel[ARC_NAME_MAX], *path;

        if (!old && !big)
            break;
        by_age |= old;
        by_size |= big && !old;
        if (arc_name_format(d->hour, d->seq, rel, sizeof(rel)) == 0 &&
            (path = join(a->dir, rel)) != NULL) {
            if (unlink(path) != 0 && errno != ENOENT)
                log_warn("archive: cannot remove %s: %s", path, strerror(errno));
            /* The hour's folders go with their last file (rmdir leaves a non-empty one). */
            for (int k = 0; k < 3; k++) {
                char *slash = strrchr(path, '/');

                if (slash == NULL)
                    break;
                *slash = '\0';
                if (rmdir(path) != 0)
                    break;
            }
            free(path);
            if (n == 0)
                memcpy(first, rel, sizeof(rel));
            memcpy(last, rel, sizeof(rel));
        }
        freed += d->size;
        n++;
    }
    if (n == 0)
        return;
    memmove(a->done, a->done + n, (a->ndone - n) * sizeof(*a->done));
    a->ndone -= n;
    a->st.files_removed += n;
    log_notice("archive: removed %zu hour file%s (%s%s%s, %.1f MB): %s%s%s", n, n == 1 ? "" : "s",
               first, n == 1 ? "" : " to ", n == 1 ? "" : last, (double)freed / 1e6,
               by_age ? "older than the age bound" : "", by_age && by_size ? ", and " : "",
               by_size ? "over the size bound" : "");
}

/*
 * Copies s as a value of a key=value row (trace_cmd.h): ',', ';', '%' and control characters
 * (line breaks) as %XX, every other byte as it is, so the text reads back exactly. Stops
 * before a byte whose escape would not fit in cap, never inside a UTF-8 sequence. Returns
 * the bytes written.
 */
static size_t
put_text(char *out, size_t cap, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == ',' || c == ';' || c == '%' || c < 0x20 || c == 0x7f) {
            if (n + 3 > cap)
                break;
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 0xf];
        } else {
            size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

            if (c >= 0x80 && (strnlen(s, len) < len || n + len > cap))
                break;
            if (n + 1 > cap)
                break;
            if (c >= 0x80) {
                memcpy(out + n, s, len);
                n += len;
                s += len - 1;
            } else {
                out[n++] = (char)c;
            }
        }
    }
    return n;
}
