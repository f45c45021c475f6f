/*
 * tsrc.c - trace lines from a file or the sample archive (see tsrc.h).
 */
#include "archive/tsrc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "archive/arc_name.h"

#define BUF_INIT (1 << 20) /* bytes of lines held at a time; grows for longer lines */
#define READ_CHUNK 65536   /* bytes asked of gzread() at once: a damaged stream loses the
                              chunk being decompressed, so this bounds what it can take */

struct tfile {
    char *path;
    int64_t hour;
    unsigned seq;
};

struct tsrc {
    struct tfile *files;
    size_t nfiles, cap;
    size_t next;   /* the file to open next */
    gzFile gz;     /* the file being read, or NULL */
    const char *name;
    long lineno;
    int eof;       /* the file has nothing more to read */
    int truncated; /* ...because its gzip stream ended early or is damaged there */
    char *buf;
    size_t bufcap, start, end;
    void (*warn)(void *arg, const char *name, const char *msg);
    void *warn_arg;
    struct tsrc_stats st;
    char err[TSRC_ERR_LEN];
};

static struct tsrc *tsrc_new(char *err, size_t errlen);
static int add_file(struct tsrc *ts, const char *path, int64_t hour, unsigned seq);
static int walk_one(void *arg, const char *path, int64_t hour, unsigned seq,
                    const struct stat *st);
static int cmp_file(const void *a, const void *b);
static int open_next(struct tsrc *ts);
static int fill(struct tsrc *ts);
static void end_file(struct tsrc *ts, int partial);

/* The range a walk selects by. */
struct range {
    struct tsrc *ts;
    int64_t from, to;
    int nomem;
};

int
tsrc_open_file(const char *path, struct tsrc **out, char *err, size_t errlen)
{
    struct tsrc *ts;

    *out = NULL;
    if ((ts = tsrc_new(err, errlen)) == NULL)
        return -1;
    if (add_file(ts, path, 0, 0) != 0) {
        snprintf(err, errlen, "out of memory");
        tsrc_close(ts);
        return -1;
    }
    /* Opened now, so that a missing file is reported before any work starts. */
    if (open_next(ts) != 0) {
        snprintf(err, errlen, "%s", ts->err);
        tsrc_close(ts);
        return -1;
    }
    *out = ts;
    return 0;
}

int
tsrc_open_archive(const char *dir, int64_t from, int64_t to, struct tsrc **out, char *err,
                  size_t errlen)
{
    struct range r = {NULL, from, to, 0};

    *out = NULL;
    if ((r.ts = tsrc_new(err, errlen)) == NULL)
        return -1;
    if (arc_walk(dir, walk_one, &r) != 0 || r.nomem) {
        if (r.nomem)
            snprintf(err, errlen, "out of memory");
        else
            snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        tsrc_close(r.ts);
        return -1;
    }
    qsort(r.ts->files, r.ts->nfiles, sizeof(*r.ts->files), cmp_file);
    *out = r.ts;
    return 0;
}

void
tsrc_set_warn(struct tsrc *ts, void (*fn)(void *arg, const char *name, const char *msg),
              void *arg)
{
    ts->warn = fn;
    ts->warn_arg = arg;
}

int
tsrc_next_line(struct tsrc *ts, const char **line, size_t *len, const char **name,
               long *lineno)
{
    for (;;) {
        const char *nl;

        if (ts->gz == NULL) {
            if (ts->next == ts->nfiles)
                return 0;
            if (open_next(ts) != 0)
                return -1;
        }
        nl = memchr(ts->buf + ts->start, '\n', ts->end - ts->start);
        if (nl != NULL) {
            *line = ts->buf + ts->start;
            *len = (size_t)(nl + 1 - *line);
            ts->start += *len;
            break;
        }
        if (ts->eof) {
            /*
             * The last line has no newline. In a plain file it is a line (a hand-written
             * trace may end so); in a gzip file it was cut off while being written, and a
             * cut line can read as a valid but wrong value ("229" of "229.8"): left out.
             */
            if (ts->start < ts->end && gzdirect(ts->gz) && !ts->truncated) {
                *line = ts->buf + ts->start;
                *len = ts->end - ts->start;
                ts->start = ts->end;
                break;
            }
            end_file(ts, ts->start < ts->end);
            continue;
        }
        if (fill(ts) != 0)
            return -1;
    }
    *name = ts->name;
    *lineno = ++ts->lineno;
    ts->st.lines++;
    return 1;
}

const char *
tsrc_error(const struct tsrc *ts)
{
    return ts->err;
}

void
tsrc_get_stats(const struct tsrc *ts, struct tsrc_stats *st)
{
    *st = ts->st;
    st->files = ts->nfiles;
}

const char *
tsrc_file_name(const struct tsrc *ts, size_t i)
{
    return i < ts->nfiles ? ts->files[i].path : NULL;
}

void
tsrc_close(struct tsrc *ts)
{
    if (ts == NULL)
        return;
    if (ts->gz != NULL)
        (void)gzclose(ts->gz);
    for (size_t i = 0; i < ts->nfiles; i++)
        free(ts->files[i].path);
    free(ts->files);
    free(ts->buf);
    free(ts);
}

/* ------------------------------------------------------------------------------------- */

static struct tsrc *
tsrc_new(char *err, size_t errlen)
{
    struct tsrc *ts = calloc(1, sizeof(*ts));

    if (ts == NULL || (ts->buf = malloc(BUF_INIT)) == NULL) {
        free(ts);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ts->bufcap = BUF_INIT;
    return ts;
}

static int
add_file(struct tsrc *ts, const char *path, int64_t hour, unsigned seq)
{
    if (ts->nfiles == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 16;
        struct tfile *f = realloc(ts->files, cap * sizeof(*f));

        if (f == NULL)
            return -1;
        ts->files = f;
        ts->cap = cap;
    }
    if ((ts->files[ts->nfiles].path = strdup(path)) == NULL)
        return -1;
    ts->files[ts->nfiles].hour = hour;
    ts->files[ts->nfiles].seq = seq;
    ts->nfiles++;
    return 0;
}

static int
walk_one(void *arg, const char *path, int64_t hour, unsigned seq, const struct stat *st)
{
    struct range *r = arg;

    (void)st;
    /* The hour [hour, hour + 1 h) overlaps [from, to); hour >= 0, so no overflow. */
    if (hour < r->to && hour + ARC_HOUR_MS > r->from && add_file(r->ts, path, hour, seq) != 0) {
        r->nomem = 1;
        return 1;
    }
    return 0;
}

static int
cmp_file(const void *a, const void *b)
{
    const struct tfile *x = a, *y = b;

    if (x->hour != y->hour)
        return x->hour < y->hour ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
open_next(struct tsrc *ts)
{
    struct tfile *f = &ts->files[ts->next];
    int fd;

    if (strcmp(f->path, "-") == 0) {
        fd = dup(STDIN_FILENO);
        ts->gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
        if (ts->gz == NULL && fd >= 0)
            close(fd);
    } else {
        ts->gz = gzopen(f->path, "rb");
    }
    if (ts->gz == NULL) {
        snprintf(ts->err, sizeof(ts->err), "%s: %s", f->path,
                 errno ? strerror(errno) : "out of memory");
        return -1;
    }
    (void)gzbuffer(ts->gz, READ_CHUNK);
    ts->next++;
    ts->name = f->path;
    ts->lineno = 0;
    ts->eof = 0;
    ts->truncated = 0;
    ts->start = ts->end = 0;
    ts->st.files_read++;
    return 0;
}

/* Reads more of the current file after what buf holds; sets eof at its end. */
static int
fill(struct tsrc *ts)
{
    size_t want;
    int n, zerr;

    memmove(ts->buf, ts->buf + ts->start, ts->end - ts->start);
    ts->end -= ts->start;
    ts->start = 0;
    if (ts->end == ts->bufcap) {
        char *nb = realloc(ts->buf, ts->bufcap * 2);

        if (nb == NULL) {
            snprintf(ts->err, sizeof(ts->err), "%s:%ld: out of memory (a line of over %zu bytes)",
                     ts->name, ts->lineno + 1, ts->bufcap);
            return -1;
        }
        ts->buf = nb;
        ts->bufcap *= 2;
    }
    want = ts->bufcap - ts->end;
    if (want > READ_CHUNK)
        want = READ_CHUNK;
    n = gzread(ts->gz, ts->buf + ts->end, (unsigned)want);
    if (n > 0) {
        ts->end += (size_t)n;
        return 0;
    }
    (void)gzerror(ts->gz, &zerr);
    if (zerr == Z_ERRNO) {
        snprintf(ts->err, sizeof(ts->err), "%s: %s", ts->name, strerror(errno));
        return -1;
    }
    if (zerr == Z_MEM_ERROR) {
        snprintf(ts->err, sizeof(ts->err), "%s: out of memory", ts->name);
        return -1;
    }
    /* Z_BUF_ERROR: the stream ends early; Z_DATA_ERROR: damaged from here on. Either is the
     * end of what was written before the writer stopped. */
    ts->truncated = n < 0 || zerr == Z_BUF_ERROR;
    ts->eof = 1;
    return 0;
}

/* The current file is done; partial: it ended with an incomplete line, left out. */
static void
end_file(struct tsrc *ts, int partial)
{
    if ((ts->truncated || partial) && ts->warn != NULL) {
        char msg[256];
        int zerr;
        const char *why = gzerror(ts->gz, &zerr);

        if (ts->truncated)
            snprintf(msg, sizeof(msg), "cut short after line %ld (gzip: %s); the rest of its "
                     "hour reads as unknown", ts->lineno, zerr != Z_OK ? why : "damaged");
        else
            snprintf(msg, sizeof(msg), "cut short: its last line (%ld) is incomplete and left "
                     "out; the rest of its hour reads as unknown", ts->lineno + 1);
        ts->warn(ts->warn_arg, ts->name, msg);
    }
    if (ts->truncated || partial)
        ts->st.cut++;
    (void)gzclose(ts->gz);
    ts->gz = NULL;
}
