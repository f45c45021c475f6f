/*
 * tsrc.h - a trace source: the lines of a replay trace, in order, from one file (plain CSV
 * or gzip, or standard input) or from roomwatchd's sample archive (archive.h), so that
 * `roomwatch replay` and `roomwatch verify` read both alike.
 *
 *   struct tsrc *ts;
 *   const char *line, *name;
 *   size_t len;
 *   long lineno;
 *   int rc;
 *
 *   if (tsrc_open_archive(dir, start_ms, end_ms, &ts, err, sizeof(err)) != 0) ...
 *   while ((rc = tsrc_next_line(ts, &line, &len, &name, &lineno)) == 1) {
 *       if (lineno == 1)
 *           trace_csv_init(&tc);          each file has its own header
 *       switch (trace_csv_parse(&tc, line, len, &row, err, sizeof(err))) ...
 *           errors: fprintf(stderr, "%s:%ld: %s\n", name, lineno, err);
 *   }
 *   if (rc < 0) fprintf(stderr, "%s\n", tsrc_error(ts));
 *   tsrc_close(ts);
 *
 * An archive is read file by file in (hour, seq) order (arc_name.h); each file's rows are in
 * the order roomwatchd wrote them. A file cut short (kill -9 or a power cut while it was
 * open: the gzip stream ends early or is damaged at its end, or its last line has no
 * newline) is read up to its last complete line, not an error: the warning hook says so,
 * and the lost time reads as unknown in replay. In a plain (uncompressed) file a last line
 * without its newline is a line, as a hand-written trace may end so.
 *
 * Ownership: tsrc copies the paths; *line and *name point into it, valid until the next
 * tsrc_next_line() or tsrc_close(). Not thread-safe per struct tsrc.
 */
#ifndef ROOMWATCH_TSRC_H
#define ROOMWATCH_TSRC_H

#include <stddef.h>
#include <stdint.h>

#define TSRC_ERR_LEN 512

struct tsrc;

struct tsrc_stats {
    size_t files;      /* files in the source (archive: selected by the time range) */
    size_t files_read; /* files opened so far */
    size_t cut;        /* files that ended short (each told to the warning hook) */
    uint64_t lines;    /* lines handed out */
};

/*
 * One trace file: "-" is standard input; plain CSV or gzip (told by its content). 0 and
 * *out, or -1 with err (the file cannot be opened, out of memory).
 */
int tsrc_open_file(const char *path, struct tsrc **out, char *err, size_t errlen);

/*
 * The archive in folder dir (<state_dir>/archive): every hour file whose hour overlaps
 * [from, to) (ms since the epoch; INT64_MIN and INT64_MAX for all). For a period, give its
 * start and end: the period's rows are in those hours' files (a file may also hold a few
 * rows of the hour before, written late: the reader's period rules decide about them). An
 * archive with no file in the range is an empty source. 0 and *out, or -1 with err (dir
 * cannot be read, out of memory).
 */
int tsrc_open_archive(const char *dir, int64_t from, int64_t to, struct tsrc **out, char *err,
                      size_t errlen);

/*
 * Each file cut short is told to fn (default: nobody), with its name and what happened
 * ("cut short after line 12: the gzip stream ends early"); arg is passed through.
 */
void tsrc_set_warn(struct tsrc *ts, void (*fn)(void *arg, const char *name, const char *msg),
                   void *arg);

/*
 * The next line: 1 with *line and *len (the "\n" included when it has one; not
 * NUL-terminated), *name (the file's path, for messages) and *lineno (1-based in that file:
 * 1 is a new file's first line). 0 at the end; -1 on a read error or out of memory
 * (tsrc_error() says which file and why).
 */
int tsrc_next_line(struct tsrc *ts, const char **line, size_t *len, const char **name,
                   long *lineno);

const char *tsrc_error(const struct tsrc *ts);
void tsrc_get_stats(const struct tsrc *ts, struct tsrc_stats *st);
/* The archive's files, in reading order (for listing); i < stats.files. */
const char *tsrc_file_name(const struct tsrc *ts, size_t i);

/* Accepts NULL. */
void tsrc_close(struct tsrc *ts);

#endif
