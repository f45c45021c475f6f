/*
 * arc_gz.c - a gzip stream on a file descriptor (see arc_gz.h).
 */
#include "archive/arc_gz.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <zlib.h>

/*
 * An 8 KiB window (windowBits 13, +16 for the gzip wrapper) and memLevel 6: deflate's state is
 * 16 KiB each of window, chain links, hash heads and pending symbols, 64 KiB against 256 KiB
 * at gzdopen()'s 15 and 8. Bytes on disk (tests/bench/README.md, "Sample archive"): a
 * full-room hour file from the bench 8.53 : 1 against 8.45 : 1; bench_archive's synthetic
 * days 3.7 % (demo room) and 1.9 % (20 points a minute) more than at 15 and 8. A 4 KiB window
 * (12 and 5, 32 KiB) cost 5.6 % there.
 */
#define AGZ_WBITS 13
#define AGZ_MEMLEVEL 6
#define AGZ_OUT 8192 /* output buffer: written when full, on a flush, at the end */

struct agz {
    z_stream zs;
    int fd;
    int failed; /* errno of the write that failed: nothing more is written */
    unsigned char out[AGZ_OUT];
};

/* Writes all of buf (retrying short writes and EINTR). 0, or -1 with errno. */
static int
write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Writes out what deflate has put in the output buffer and empties it. After a failed write
 * the stream is broken for good: what did not reach the file is gone from it, and anything
 * written after it would leave a hole in the middle of the stream where a reader expects
 * at most a cut-off end.
 */
static int
drain(struct agz *z)
{
    size_t n = AGZ_OUT - z->zs.avail_out;

    if (write_all(z->fd, z->out, n) < 0) {
        z->failed = errno;
        return -1;
    }
    z->zs.next_out = z->out;
    z->zs.avail_out = AGZ_OUT;
    return 0;
}

struct agz *
agz_open(int fd, int level)
{
    struct agz *z;

    if (level < 1 || level > 9) {
        errno = EINVAL;
        return NULL;
    }
    if ((z = calloc(1, sizeof(*z))) == NULL)
        return NULL;
    z->fd = fd;
    if (deflateInit2(&z->zs, level, Z_DEFLATED, AGZ_WBITS + 16, AGZ_MEMLEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        errno = ENOMEM; /* the parameters are constants: only its allocations can fail */
        return NULL;
    }
    z->zs.next_out = z->out;
    z->zs.avail_out = AGZ_OUT;
    return z;
}

/* Runs deflate over the pending input with flush, writing out every full buffer, and for a
 * flush other than Z_NO_FLUSH until deflate has nothing more to give. */
static int
run(struct agz *z, int flush)
{
    if (z->failed) {
        errno = z->failed;
        return -1;
    }
    for (;;) {
        int rc = deflate(&z->zs, flush);

        if (rc == Z_STREAM_ERROR) {
            errno = EIO;
            return -1;
        }
        if (z->zs.avail_out == 0) {
            if (drain(z) < 0)
                return -1;
            continue;
        }
        /* Room left in the buffer: deflate took all the input (Z_NO_FLUSH) or finished the
         * flush (anything else; Z_STREAM_END for Z_FINISH). */
        if (flush == Z_NO_FLUSH)
            return 0;
        return drain(z);
    }
}

int
agz_write(struct agz *z, const void *buf, size_t len)
{
    /* avail_in is a uInt: rows are a few hundred bytes, commands 16 KiB at most, but a
     * larger buffer is taken in pieces all the same. */
    const unsigned char *p = buf;

    while (len > 0) {
        uInt n = len > 1u << 30 ? 1u << 30 : (uInt)len;

        z->zs.next_in = (z_const Bytef *)p;
        z->zs.avail_in = n;
        if (run(z, Z_NO_FLUSH) < 0)
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}

int
agz_flush(struct agz *z)
{
    z->zs.next_in = NULL;
    z->zs.avail_in = 0;
    return run(z, Z_SYNC_FLUSH);
}

int
agz_close(struct agz *z)
{
    int rc, e;

    if (z == NULL)
        return 0;
    z->zs.next_in = NULL;
    z->zs.avail_in = 0;
    rc = run(z, Z_FINISH);
    e = errno;
    (void)deflateEnd(&z->zs);
    free(z);
    errno = e;
    return rc;
}
