/*
 * tsrc.c - trace lines from a file or the sample archive (see tsrc.h).
 */
#include "archive/tsrc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "archive/arc_name.h"

#define BUF_INIT (1 << 20) /* bytes of lines held at a time; grows for longer lines */
#define IN_CHUNK 65536     /* bytes of a file read at once */

struct tfile {
    char *path;
    int64_t hour;
    unsigned seq;
};

struct tsrc {
    struct tfile *files;
    size_t nfiles, cap;
    size_t next; /* the file to open next */
    int fd;      /* the file being read, or -1 */
    const char *name;
    long lineno;
    int eof;       /* the file has nothing more to read */
    int truncated; /* ...because its gzip stream ended early or is damaged there */
    /*
     * gzip through inflate() itself, not gzread(): on damaged data gzread() returns an
     * error and drops what that call had decompressed, while inflate() leaves every byte
     * it got out before the damage in place, and those lines are the hour's record.
     */
    int gzip;      /* the file is gzip (1f 8b), else plain text */
    int in_member; /* inside a gzip member: its end not seen yet */
    int in_eof;    /* read() has said end of file */
    z_stream zs;
    int zs_init;
    unsigned char *in; /* IN_CHUNK bytes of compressed input */
    char zmsg[128];    /* why a gzip stream stopped */
    char *buf;
    size_t bufcap, start, end;
    void (*warn)(void *arg, const char *name, const char *msg);
    void *warn_arg;
    struct tsrc_stats st;
    char err[TSRC_ERR_LEN];
};

static struct tsrc *tsrc_new(char *err, size_t errlen);
static int add_file(struct tsrc *ts, const char *path, int64_t hour, unsigned seq);
static int walk_one(void *arg, const char *path, int64_t hour, unsigned seq, uint64_t size);
static int cmp_file(const void *a, const void *b);
static int open_next(struct tsrc *ts);
static int fill(struct tsrc *ts);
static int read_in(struct tsrc *ts);
static int inflate_more(struct tsrc *ts, size_t want);
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
    if (r.ts->nfiles > 1)
        qsort(r.ts->files, r.ts->nfiles, sizeof(*r.ts->files), cmp_file);
    *out = r.ts;
    return 0;
}

void
tsrc_set_warn(struct tsrc *ts, void (*fn)(void *arg, const char *name, const char *msg), void *arg)
{
    ts->warn = fn;
    ts->warn_arg = arg;
}

int
tsrc_next_line(struct tsrc *ts, const char **line, size_t *len, const char **name, long *lineno)
{
    for (;;) {
        const char *nl;

        if (ts->fd < 0) {
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
            if (ts->start < ts->end && !ts->gzip) {
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
    if (ts->fd >= 0)
        close(ts->fd);
    if (ts->zs_init)
        inflateEnd(&ts->zs);
    for (size_t i = 0; i < ts->nfiles; i++)
        free(ts->files[i].path);
    free(ts->files);
    free(ts->buf);
    free(ts->in);
    free(ts);
}

/* ------------------------------------------------------------------------------------- */

static struct tsrc *
tsrc_new(char *err, size_t errlen)
{
    struct tsrc *ts = calloc(1, sizeof(*ts));

    if (ts == NULL || (ts->buf = malloc(BUF_INIT)) == NULL || (ts->in = malloc(IN_CHUNK)) == NULL) {
        if (ts != NULL)
            free(ts->buf);
        free(ts);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ts->bufcap = BUF_INIT;
    ts->fd = -1;
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
walk_one(void *arg, const char *path, int64_t hour, unsigned seq, uint64_t size)
{
    struct range *r = arg;

    (void)size;
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
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
open_next(struct tsrc *ts)
{
    struct tfile *f = &ts->files[ts->next];

    if (strcmp(f->path, "-") == 0)
        ts->fd = dup(STDIN_FILENO);
    else
        ts->fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (ts->fd < 0) {
        snprintf(ts->err, sizeof(ts->err), "%s: %s", f->path, strerror(errno));
        return -1;
    }
    ts->next++;
    ts->name = f->path;
    ts->lineno = 0;
    ts->eof = ts->truncated = ts->in_member = ts->in_eof = 0;
    ts->start = ts->end = 0;
    ts->zmsg[0] = '\0';
    ts->st.files_read++;
    /* gzip or plain, by the first bytes (as gzip(1) and zlib tell). */
    ts->zs.next_in = ts->in;
    ts->zs.avail_in = 0;
    while (ts->zs.avail_in < 2 && !ts->in_eof)
        if (read_in(ts) != 0)
            return -1;
    ts->gzip = ts->zs.avail_in >= 2 && ts->in[0] == 0x1f && ts->in[1] == 0x8b;
    if (!ts->gzip && ends_with(f->path, ".gz")) {
        /* An archive file nothing of which reached the disk (a kill before its first
         * flush), or not gzip at all: cut short at its start. */
        ts->eof = ts->truncated = 1;
        ts->zs.avail_in = 0;
        snprintf(ts->zmsg, sizeof(ts->zmsg), "%s",
                 ts->in_eof && ts->end == 0 && ts->zs.next_in == ts->in ? "no gzip data in it"
                                                                        : "not gzip data");
        return 0;
    }
    if (!ts->gzip) {
        /* Plain: what was read is text. */
        memcpy(ts->buf, ts->in, ts->zs.avail_in);
        ts->end = ts->zs.avail_in;
        ts->zs.avail_in = 0;
    } else if (!ts->zs_init) {
        if (inflateInit2(&ts->zs, 16 + MAX_WBITS) != Z_OK) {
            snprintf(ts->err, sizeof(ts->err), "%s: out of memory", f->path);
            return -1;
        }
        ts->zs_init = 1;
    } else if (inflateReset(&ts->zs) != Z_OK) {
        snprintf(ts->err, sizeof(ts->err), "%s: cannot reset zlib", f->path);
        return -1;
    }
    return 0;
}

/* Appends up to IN_CHUNK bytes of the file to the compressed input; sets in_eof at its end. */
static int
read_in(struct tsrc *ts)
{
    size_t have = ts->zs.avail_in;
    ssize_t n;

    if (have > 0 && ts->zs.next_in != ts->in)
        memmove(ts->in, ts->zs.next_in, have);
    ts->zs.next_in = ts->in;
    do
        n = read(ts->fd, ts->in + have, IN_CHUNK - have);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(ts->err, sizeof(ts->err), "%s: %s", ts->name, strerror(errno));
        return -1;
    }
    if (n == 0)
        ts->in_eof = 1;
    ts->zs.avail_in = (uInt)(have + (size_t)n);
    return 0;
}

/* Reads more of the current file after what buf holds; sets eof at its end. */
static int
fill(struct tsrc *ts)
{
    size_t want;
    ssize_t n;

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
    if (ts->gzip)
        return inflate_more(ts, want);
    do
        n = read(ts->fd, ts->buf + ts->end, want);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(ts->err, sizeof(ts->err), "%s: %s", ts->name, strerror(errno));
        return -1;
    }
    if (n == 0)
        ts->eof = 1;
    ts->end += (size_t)n;
    return 0;
}

/*
 * Decompresses into buf until some text comes out or the file ends: at a member's end a
 * next member may follow (as gzip(1) allows); input ending inside a member is a file cut
 * short, and damaged data ends the file where it starts, the text before it kept.
 */
static int
inflate_more(struct tsrc *ts, size_t want)
{
    for (;;) {
        size_t got;
        int rc;

        if (ts->zs.avail_in == 0 && !ts->in_eof && read_in(ts) != 0)
            return -1;
        if (ts->zs.avail_in == 0) {
            ts->eof = 1;
            if (ts->in_member) {
                ts->truncated = 1;
                snprintf(ts->zmsg, sizeof(ts->zmsg), "unexpected end of file");
            }
            return 0;
        }
        if (!ts->in_member) {
            /* A next member, or what is left after the last one. */
            if (ts->zs.avail_in < 2 && !ts->in_eof) {
                if (read_in(ts) != 0)
                    return -1;
                continue;
            }
            if (ts->zs.avail_in < 2 || ts->zs.next_in[0] != 0x1f || ts->zs.next_in[1] != 0x8b) {
                ts->eof = ts->truncated = 1;
                snprintf(ts->zmsg, sizeof(ts->zmsg), "not gzip data after the end of a stream");
                return 0;
            }
            if (inflateReset(&ts->zs) != Z_OK) {
                snprintf(ts->err, sizeof(ts->err), "%s: cannot reset zlib", ts->name);
                return -1;
            }
            ts->in_member = 1;
        }
        ts->zs.next_out = (unsigned char *)ts->buf + ts->end;
        ts->zs.avail_out = (uInt)(want > UINT32_MAX ? UINT32_MAX : want);
        rc = inflate(&ts->zs, Z_NO_FLUSH);
        got = (size_t)((char *)ts->zs.next_out - (ts->buf + ts->end));
        ts->end += got;
        if (rc == Z_STREAM_END) {
            ts->in_member = 0;
        } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
            ts->eof = ts->truncated = 1;
            snprintf(ts->zmsg, sizeof(ts->zmsg), "%s",
                     ts->zs.msg != NULL ? ts->zs.msg : "damaged data");
            return 0;
        } else if (rc == Z_MEM_ERROR) {
            snprintf(ts->err, sizeof(ts->err), "%s: out of memory", ts->name);
            return -1;
        }
        if (got > 0)
            return 0;
    }
}

/* The current file is done; partial: it ended with an incomplete line, left out. */
static void
end_file(struct tsrc *ts, int partial)
{
    if ((ts->truncated || partial) && ts->warn != NULL) {
        char msg[256];

        if (ts->truncated)
            snprintf(msg, sizeof(msg),
                     "cut short after line %ld (gzip: %s); the rest of its "
                     "hour reads as unknown",
                     ts->lineno, ts->zmsg);
        else
            snprintf(msg, sizeof(msg),
                     "cut short: its last line (%ld) is incomplete and left "
                     "out; the rest of its hour reads as unknown",
                     ts->lineno + 1);
        ts->warn(ts->warn_arg, ts->name, msg);
    }
    if (ts->truncated || partial)
        ts->st.cut++;
    close(ts->fd);
    ts->fd = -1;
}
