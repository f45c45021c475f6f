/*
 * arc_convert.c - a trace into the sample archive and back, for tests: what roomwatchd's
 * archive writer makes of a trace's rows must replay to what the trace replays to.
 *
 *   arc_convert import TRACE.csv DIR   every row of the trace through the archive writer
 *                                      (agent/archive/archive.h) into the archive DIR, as
 *                                      roomwatchd would write it had it seen those samples
 *                                      and applied those commands
 *   arc_convert cat DIR [FROM TO]      the archive (hours overlapping [FROM, TO), ms) as one
 *                                      trace on standard output, through the trace source
 *                                      (tsrc.h): one header, then every file's rows in order
 *
 * Exit 0, 1 on an error (named on standard error), 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/archive.h"
#include "archive/tsrc.h"
#include "rw_log.h"
#include "store/store.h"
#include "trace_cmd.h"
#include "archive/trace_csv.h"

static int
import(const char *trace, const char *dir)
{
    struct trace_csv tc;
    struct trace_row row;
    struct arc_stats st;
    struct tsrc *ts;
    struct arc *a = NULL;
    const char *line, *name;
    static struct trace_cmd tcmd;
    char err[TSRC_ERR_LEN];
    size_t len;
    long lineno;
    int rc;

    if (tsrc_open_file(trace, &ts, err, sizeof(err)) != 0) {
        fprintf(stderr, "arc_convert: %s\n", err);
        return 1;
    }
    trace_csv_init(&tc);
    while ((rc = tsrc_next_line(ts, &line, &len, &name, &lineno)) == 1) {
        int64_t saved;
        int r;

        switch (trace_csv_parse(&tc, line, len, &row, err, sizeof(err))) {
        case TRACE_SKIP:
            continue;
        case TRACE_ERROR:
            fprintf(stderr, "%s:%ld: %s\n", name, lineno, err);
            rc = -1;
            goto out;
        case TRACE_ROW:
            break;
        }
        if (a == NULL && arc_open(dir, NULL, 0, NULL, row.t, &a, err, sizeof(err)) != 0) {
            fprintf(stderr, "arc_convert: %s\n", err);
            rc = -1;
            goto out;
        }
        /* As the core would have taken the row in replay (cmd_replay.c) and handed it to the
         * daemon's archive: a quality from the value column, the command it reads as. */
        if (!row.directive) {
            enum alm_quality q = !row.answered      ? ALM_Q_NO_ANSWER
                                 : isnan(row.value) ? ALM_Q_BAD
                                                    : ALM_Q_GOOD;

            r = arc_sample_name(a, row.t, row.point, row.value, q == ALM_Q_GOOD, q);
        } else if ((r = trace_restart_parse(&row, &saved, err, sizeof(err))) == 1) {
            r = arc_restart(a, row.t, saved);
        } else if (r == 0 && (r = trace_cmd_parse(&row, &tcmd, err, sizeof(err))) == 0) {
            r = arc_command(a, row.t, &tcmd.cmd);
        }
        if (r != 0) {
            fprintf(stderr, "%s:%ld: the archive did not take the row\n", name, lineno);
            rc = -1;
            goto out;
        }
    }
out:
    if (rc < 0 && tsrc_error(ts)[0] != '\0')
        fprintf(stderr, "arc_convert: %s\n", tsrc_error(ts));
    tsrc_close(ts);
    if (a != NULL) {
        arc_get_stats(a, &st);
        arc_close(a);
        if (st.dropped > 0 || st.episodes > 0)
            rc = -1;
    }
    return rc < 0;
}

static void
warn(void *arg, const char *name, const char *msg)
{
    (void)arg;
    fprintf(stderr, "%s: %s\n", name, msg);
}

static int
cat(const char *dir, int64_t from, int64_t to)
{
    struct tsrc *ts;
    const char *line, *name;
    char err[TSRC_ERR_LEN];
    size_t len;
    long lineno;
    int rc;

    if (tsrc_open_archive(dir, from, to, &ts, err, sizeof(err)) != 0) {
        fprintf(stderr, "arc_convert: %s\n", err);
        return 1;
    }
    tsrc_set_warn(ts, warn, NULL);
    fputs("ts,point,value\n", stdout);
    while ((rc = tsrc_next_line(ts, &line, &len, &name, &lineno)) == 1) {
        /* Each file's own header once is enough: the first line printed above. */
        if (lineno == 1 && len >= 14 && memcmp(line, "ts,point,value", 14) == 0)
            continue;
        fwrite(line, 1, len, stdout);
    }
    if (rc < 0)
        fprintf(stderr, "arc_convert: %s\n", tsrc_error(ts));
    tsrc_close(ts);
    return rc < 0 || fflush(stdout) != 0;
}

int
main(int argc, char **argv)
{
    rw_log_init("arc_convert", RW_LOG_WARNING);
    if (argc == 4 && strcmp(argv[1], "import") == 0)
        return import(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "cat") == 0)
        return cat(argv[2], INT64_MIN, INT64_MAX);
    if (argc == 5 && strcmp(argv[1], "cat") == 0)
        return cat(argv[2], strtoll(argv[3], NULL, 10), strtoll(argv[4], NULL, 10));
    fprintf(stderr, "usage: arc_convert import TRACE.csv DIR | cat DIR [FROM TO]\n");
    return 2;
}
