/*
 * arc_gz.h - a gzip stream written to a file descriptor with zlib's deflate, sized for a
 * gateway: the sample archive's writer (archive.c).
 *
 * zlib's gzdopen() always sets deflate up with its largest window and hash (windowBits 15,
 * memLevel 8): 256 KiB a file, most of it resident once a few seconds of rows have passed
 * through. Archive rows repeat their time and point names within a poll cycle's rows, and a
 * large room's previous cycle lies beyond even that 32 KiB window: an 8 KiB one compresses
 * them within a few per cent for a quarter of the memory (arc_gz.c).
 * The stream is a standard gzip member (deflate writes the header and trailer), read back
 * with gzopen() like any other.
 */
#ifndef ROOMWATCH_ARC_GZ_H
#define ROOMWATCH_ARC_GZ_H

#include <stddef.h>

struct agz; /* opaque */

/*
 * Starts a gzip stream on fd at compression level (1-9). The fd stays the caller's: it is
 * written to, never closed. NULL with errno set (ENOMEM; EINVAL for a bad level).
 */
struct agz *agz_open(int fd, int level);

/*
 * Compresses len bytes; what fills the output buffer is written. 0, or -1 with errno. After a
 * failed write every call fails with the same errno and writes nothing (agz_close() still
 * frees): the file ends where the failure cut it.
 */
int agz_write(struct agz *z, const void *buf, size_t len);

/*
 * Z_SYNC_FLUSH: everything written so far reaches fd, ending on a byte boundary, so the file
 * decodes up to here if the process dies now (not fsync()ed: the caller's). 0, or -1 with
 * errno.
 */
int agz_flush(struct agz *z);

/*
 * Ends the stream (trailer written) and frees z; NULL is a no-op. 0, or -1 with errno: z is
 * freed all the same and the file holds what reached it.
 */
int agz_close(struct agz *z);

#endif
