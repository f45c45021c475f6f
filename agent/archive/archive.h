/*
 * archive.h - roomwatchd's sample archive: every sample fed to the core and every command
 * applied, kept as the replay trace (tools/roomwatch/README.md, "Trace format") in gzip files,
 * one per UTC hour (arc_name.h), so that `roomwatch replay` and `roomwatch verify` can
 * recompute any period from what the daemon saw.
 *
 *   ts,point,value
 *   1709308800.25,meter1.v_l1,229.8000030517578
 *   1709308802,th1.temperature,
 *   1709308804,th2.temperature,bad
 *   1709309100.5,@ack,incident=3;by=张工;note=on site%2C fixed
 *   1709309160,@restart,saved=1709309100
 *
 * ts is Unix seconds with the milliseconds, trailing zeros dropped (the shortest text the
 * trace parser reads back to the same ms); value is the shortest decimal that reads back to
 * the very same double (up to 17 significant digits: a float32 reading is written in full,
 * since the engine sees the double), empty for a poll without an answer, "bad" for an
 * answer without a valid value.
 *
 * DESIGN
 * - Durability: a file is finished, fsync()ed, and its folder fsync()ed when its hour is
 *   over, so a power cut loses at most the open hour's tail. Every flush_ms (a minute) the
 *   open files get a Z_SYNC_FLUSH: all rows until then are in the kernel as decodable gzip,
 *   so a kill -9 loses at most the last minute. A cut file is still read (tsrc.h) up to its
 *   last complete line; the time lost reads as unknown in replay.
 * - Rows go into the file of their own hour. The file of the hour just ended stays open
 *   for grace_ms (10 s) into the next hour, for samples that were still in the queue; a row
 *   later than that goes into the oldest file still open (a file may then hold a few rows
 *   from before its hour: replay accepts rows out of order across points, --max-skew).
 *   Rows are in the order the core took them: an event recorded after the fact is in the
 *   hour it was recorded, with its own time as at= (reading a period back for its events
 *   means reading on past its end, up to now).
 * - A file is written once, never appended to: after a restart within an hour the next
 *   sequence number starts (arc_name.h).
 * - Bounds: after each finished hour (and at open), whole hour files are removed oldest
 *   first while the finished files take more than max_bytes or a file's hour ended more
 *   than max_age_ms ago; one notice line per removal run. The open hour files (one, two
 *   in the grace) are not counted. A max_bytes the file system cannot give is lowered at
 *   open to half of the archive's files plus the free space, with a warning: the archive
 *   is on by default, and must not fill the disk the store needs.
 * - Errors (disk full, a read-only or missing folder): the open files are abandoned (what
 *   they hold stays readable), rows are dropped and counted, and a new file is tried every
 *   retry_ms. Logged once when the episode starts and once when writing works again, with
 *   the number of rows lost. Never fatal.
 * - Cost: it runs in the caller's thread. A row is formatted and handed to zlib's buffer;
 *   disk writes happen when zlib's buffer fills, at the minute flush, and at the hour's end
 *   (the one fsync()). Nothing waits on anything but the local disk. Memory: zlib's
 *   deflate state and its output buffer, 72 KiB per open file (two during the grace;
 *   arc_gz.h).
 *
 * Reads no clock: every call takes the time (ms since the epoch, the clock the rows carry).
 * Not thread-safe: one thread (roomwatchd's main thread) calls it.
 */
#ifndef ROOMWATCH_ARCHIVE_H
#define ROOMWATCH_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/alarm.h" /* enum alm_quality */

#define ARC_FLUSH_MS 60000 /* between Z_SYNC_FLUSHes of the open files */
#define ARC_GRACE_MS 10000 /* an ended hour's file stays open this long for late rows */
#define ARC_RETRY_MS 60000 /* after a write error, between attempts */
#define ARC_LEVEL 6        /* gzip level (bench_archive: 9 saves under 1 % for 1.6x the CPU) */

struct arc;
struct store_cmd;

struct arc_opts {
    uint64_t max_bytes; /* bound on the archive's size on disk; 0: none */
    int64_t max_age_ms; /* bound on the age of an hour file (from its hour's end); 0: none */
    int level;          /* gzip level 1..9; 0: ARC_LEVEL */
    int64_t flush_ms;   /* 0: ARC_FLUSH_MS */
    int64_t grace_ms;   /* 0: ARC_GRACE_MS */
    int64_t retry_ms;   /* 0: ARC_RETRY_MS */
};

struct arc_stats {
    uint64_t rows;          /* rows handed to zlib */
    uint64_t rows_flushed;  /* of those, rows in the kernel as decodable gzip (minute flush or
                               finished file): what a kill -9 cannot take */
    uint64_t dropped;       /* rows lost to write errors */
    uint64_t refused;       /* rows not taken: no trace point, an unknown index, t < 0 */
    uint64_t episodes;      /* error episodes, each logged once when it starts */
    uint64_t files_done;    /* hour files finished and fsync()ed */
    uint64_t files_removed; /* hour files removed by the bounds */
    uint64_t bytes;         /* size on disk of the finished files the archive holds now */
    size_t open_files;      /* files open now (0, 1 or 2) */
    uint64_t bound_bytes;   /* the size bound in force (lowered to fit the disk at open) */
    int failing;            /* 1 in an error episode: from a failed write to the next success */
};

/*
 * Opens the archive in folder dir (created, with its parents, if missing: usually
 * <state_dir>/archive), looks at the hour files already there for the bounds, and applies
 * them at time now. points[0..npoints) are the names ("meter1.v_l1") arc_sample() indexes;
 * both are copied. A folder that cannot be created or read is an error episode (logged,
 * retried), not a failure of arc_open(). Returns 0 and *out (free with arc_close()), or -1
 * with errno ENOMEM or EINVAL (err says why).
 */
int arc_open(const char *dir, const char *const *points, size_t npoints,
             const struct arc_opts *opts, int64_t now, struct arc **out, char *err, size_t errlen);

struct rw_config;

/*
 * The archive cfg describes: <state_dir>/archive, bounded by cfg->archive (max_mb as
 * 10^6 bytes, max_days), its point names in the core's layout (agent/core/indset.h: every
 * device's points, device by device in config order; then, with a delivery indicator,
 * agent.delivery.<device> for each device), so that the core's taken_sample() index p is
 * arc_sample()'s. Returns 0 and *out; 1 with *out NULL when archive.enabled is false; -1 as
 * arc_open().
 */
int arc_open_config(const struct rw_config *cfg, int64_t now, struct arc **out, char *err,
                    size_t errlen);

/*
 * One sample of point index p (into the names given to arc_open) at time t (ms), as the
 * core took it (core_io.h, taken_sample): a number for q ALM_Q_GOOD with valid and a finite
 * value, empty for ALM_Q_NO_ANSWER, "bad" otherwise (an answer without a valid value), which
 * is what replay turns back into the same value, validity and quality. Returns 0 when the
 * row was taken, -1 when it was not (a write error episode: counted as dropped; t before
 * 1970, p out of range: counted as refused).
 */
int arc_sample(struct arc *a, int64_t t, size_t p, double value, int valid, enum alm_quality q);
/* The same for a point by name ("agent.delivery.meter1"); the name must be a trace point. */
int arc_sample_name(struct arc *a, int64_t t, const char *point, double value, int valid,
                    enum alm_quality q);

/*
 * A command the core applied to the fault-handling record (core_io.h, taken_command), as an
 * @ack, @resolve or @event row (tools/roomwatch/README.md, "Event rows"; trace_cmd.h): t is
 * when it was applied, the row's ts; an event that happened at another time carries it as
 * at=. Texts are kept exactly: ',', ';', '%' and control characters as %XX. Absent or empty
 * optional keys are left out. Returns as arc_sample().
 */
int arc_command(struct arc *a, int64_t t, const struct store_cmd *c);

/*
 * roomwatchd restarted on a resumed state (core_io.h, taken_restart): `t,@restart,saved=S`,
 * S the checkpoint's time, as trace_restart_parse() reads it. Returns as arc_sample().
 */
int arc_restart(struct arc *a, int64_t t, int64_t saved);

/*
 * Lets time pass without rows: the minute flush, the end of an hour (finish, fsync, bounds)
 * and the retry after an error happen on rows and here. Call it about once a second.
 */
void arc_tick(struct arc *a, int64_t now);

/*
 * The minute flush, now: every row taken so far is decodable on disk, for a reader of the
 * open files (roomwatchd's late telemetry, agent/daemon/late.h). Costs a partial gzip block
 * (a few dozen bytes); the next minute flush counts from here. 0, or -1 when the write
 * failed (an error episode, as for a row).
 */
int arc_flush(struct arc *a);

void arc_get_stats(const struct arc *a, struct arc_stats *st);

/* Finishes and fsync()s the open files and frees a. Accepts NULL. */
void arc_close(struct arc *a);

#endif
