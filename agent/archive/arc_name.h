/*
 * arc_name.h - where an hour of the sample archive lives: one rule for the writer
 * (roomwatchd, archive.h) and the reader (tsrc.h).
 *
 *   <state_dir>/archive/2024/03/01/20240301T16Z.csv.gz     rows of 16:00-17:00 UTC
 *   <state_dir>/archive/2024/03/01/20240301T16Z-1.csv.gz   the same hour, after a restart
 *
 * Hours are UTC: they never repeat or go missing (no daylight saving), so a file name says
 * exactly which hour it holds, whatever the site's zone. A file is written once and never
 * appended to: a daemon that restarts within an hour (or after kill -9 left that hour's file
 * cut short) starts the next sequence number instead, so a cut-off gzip stream is always
 * the end of its file. Order is (hour, seq), not the names' byte order.
 *
 * The names are pure (no I/O, no clock); arc_walk() reads the folders.
 */
#ifndef ROOMWATCH_ARC_NAME_H
#define ROOMWATCH_ARC_NAME_H

#include <stddef.h>
#include <stdint.h>

#define ARC_SUBDIR "archive"   /* under the state directory */
#define ARC_HOUR_MS 3600000LL  /* ms in an hour file */
#define ARC_NAME_MAX 48        /* "YYYY/MM/DD/YYYYMMDDTHHZ-NNNNNNNNN.csv.gz" and the NUL */
#define ARC_SEQ_MAX 999999999u /* highest sequence number in a name */

/* The start of the UTC hour holding t (ms since the epoch). */
int64_t arc_hour_of(int64_t t);

/*
 * Writes the path of hour file (hour, seq) relative to the archive folder into buf:
 * "2024/03/01/20240301T16Z.csv.gz" (seq 0) or "...T16Z-2.csv.gz". hour is the start of a
 * UTC hour from 1970 to 9999. Returns 0, or -1 (buf too small, hour out of range).
 */
int arc_name_format(int64_t hour, unsigned seq, char *buf, size_t len);

/*
 * Reads a file's base name ("20240301T16Z-2.csv.gz"): 0 with *hour and *seq, or -1 when it is
 * not an archive hour file (anything else in the folder is not the archive's).
 */
int arc_name_parse(const char *base, int64_t *hour, unsigned *seq);

/*
 * Calls fn for each hour file of the archive in folder dir (YYYY/MM/DD/name, each in the
 * folder its name says; anything else is skipped), in no particular order: path is the
 * file's full path (valid during the call), size its size in bytes. fn returns 0 to go on,
 * or non-zero to stop; that value is returned. Returns 0 when done, -1 with errno when dir
 * itself cannot be read (unreadable subfolders are skipped).
 */
int arc_walk(const char *dir,
             int (*fn)(void *arg, const char *path, int64_t hour, unsigned seq, uint64_t size),
             void *arg);

#endif
