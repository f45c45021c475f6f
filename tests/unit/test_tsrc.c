/*
 * test_tsrc.c - the trace source (agent/archive/tsrc.c): an archive's files in (hour, seq)
 * order across days, months and years, whatever else lies in its folders; a time range;
 * gzip files cut off mid-stream, damaged, or ending mid-line; plain files; empty and
 * missing folders. The files are made here with zlib, as roomwatchd's writer would leave
 * them (or as a kill -9 or a power cut would).
 */
#define _XOPEN_SOURCE 700    /* nftw() */
#define _FILE_OFFSET_BITS 64 /* readdir() on 32-bit targets, as rw_archive */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "archive/tsrc.h"

#define H (3600 * 1000LL)
#define T0 1709251200000LL /* 2024-03-01T00:00:00Z */

static char dir[64];
static char warned[4096]; /* what the warning hook was told */
static int nwarn;

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/rw-test-tsrc-XXXXXX");
    warned[0] = '\0';
    nwarn = 0;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    (void)state;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
on_warn(void *arg, const char *name, const char *msg)
{
    size_t n = strlen(warned);

    (void)arg;
    nwarn++;
    snprintf(warned + n, sizeof(warned) - n, "%s: %s\n", strrchr(name, '/') + 1, msg);
}

/* Creates dir/rel's folders and returns its full path (static). */
static const char *
prepare(const char *rel)
{
    static char p[512];
    char *s;

    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    for (s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            fail_msg("mkdir %s: %s", p, strerror(errno));
        *s = '/';
    }
    return p;
}

/* A whole gzip file holding text. */
static void
put_gz(const char *rel, const char *text)
{
    gzFile gz = gzopen(prepare(rel), "wb");

    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(gz), Z_OK);
}

static void
put_plain(const char *rel, const char *text)
{
    FILE *fp = fopen(prepare(rel), "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/*
 * A gzip file as a kill -9 leaves it: flushed text (Z_SYNC_FLUSH), then more text of which
 * only the first extra bytes of compressed data reached the file. Returns its size.
 */
static off_t
put_cut_gz(const char *rel, const char *flushed, const char *lost, size_t extra)
{
    const char *p = prepare(rel);
    gzFile gz = gzopen(p, "wb");
    struct stat st;
    off_t at;

    assert_non_null(gz);
    assert_true(gzwrite(gz, flushed, (unsigned)strlen(flushed)) > 0);
    assert_int_equal(gzflush(gz, Z_SYNC_FLUSH), Z_OK);
    assert_int_equal(stat(p, &st), 0);
    at = st.st_size;
    assert_true(gzwrite(gz, lost, (unsigned)strlen(lost)) > 0);
    assert_int_equal(gzclose(gz), Z_OK);
    assert_int_equal(truncate(p, at + (off_t)extra), 0);
    return at + (off_t)extra;
}

/* Every line of a source, joined: "name:lineno:text|" each. */
static char *
all_lines(struct tsrc *ts, int *rc)
{
    static char out[1 << 16];
    const char *line, *name;
    size_t len, n = 0;
    long lineno;

    out[0] = '\0';
    while ((*rc = tsrc_next_line(ts, &line, &len, &name, &lineno)) == 1) {
        int w = snprintf(out + n, sizeof(out) - n, "%s:%ld:%.*s|",
                         strrchr(name, '/') ? strrchr(name, '/') + 1 : name, lineno,
                         (int)(len && line[len - 1] == '\n' ? len - 1 : len), line);

        assert_true(w > 0 && (size_t)w < sizeof(out) - n);
        n += (size_t)w;
    }
    return out;
}

static struct tsrc *
archive(int64_t from, int64_t to)
{
    struct tsrc *ts;
    char err[TSRC_ERR_LEN];

    if (tsrc_open_archive(dir, from, to, &ts, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    tsrc_set_warn(ts, on_warn, NULL);
    return ts;
}

/* ------------------------------------------------------------------------------------- */

/* Hours across a year's end, days and months; restarts in one hour (seq 1, 2, 10); and
 * everything that is not an hour file in its own folder is passed over. */
static void
test_tsrc_order(void **state)
{
    struct tsrc_stats st;
    struct tsrc *ts;
    int rc;
    char *got;

    (void)state;
    put_gz("2024/03/01/20240301T00Z-10.csv.gz", "ts,point,value\nf\n");
    put_gz("2024/03/01/20240301T00Z-2.csv.gz", "ts,point,value\ne\n");
    put_gz("2024/03/01/20240301T00Z.csv.gz", "ts,point,value\nc\n");
    put_gz("2024/02/29/20240229T23Z.csv.gz", "ts,point,value\nb1\nb2\n");
    put_gz("2023/12/31/20231231T23Z.csv.gz", "ts,point,value\na\n");
    put_gz("2024/03/01/20240301T00Z-1.csv.gz", "ts,point,value\nd\n");
    put_gz("2024/03/01/20240301T01Z.csv.gz", "ts,point,value\ng\n");
    /* Not the archive's: another name, another folder, a stray folder level. */
    put_gz("2024/03/01/20240301T02Z.csv.gz.tmp", "x\n");
    put_gz("2024/03/01/notes.csv.gz", "x\n");
    put_gz("2024/03/02/20240301T03Z.csv.gz", "x\n");
    put_gz("2024/3/01/20240301T03Z.csv.gz", "x\n");
    put_gz("2024/03/01/sub/20240301T03Z.csv.gz", "x\n");
    put_plain("README", "x\n");
    assert_int_equal(mkdir(prepare("2025/"), 0755) == 0 || errno == EEXIST, 1);

    ts = archive(INT64_MIN, INT64_MAX);
    tsrc_get_stats(ts, &st);
    assert_int_equal(st.files, 7);
    assert_string_equal(strrchr(tsrc_file_name(ts, 0), '/') + 1, "20231231T23Z.csv.gz");
    assert_null(tsrc_file_name(ts, 7));
    got = all_lines(ts, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "20231231T23Z.csv.gz:1:ts,point,value|20231231T23Z.csv.gz:2:a|"
                             "20240229T23Z.csv.gz:1:ts,point,value|20240229T23Z.csv.gz:2:b1|"
                             "20240229T23Z.csv.gz:3:b2|"
                             "20240301T00Z.csv.gz:1:ts,point,value|20240301T00Z.csv.gz:2:c|"
                             "20240301T00Z-1.csv.gz:1:ts,point,value|20240301T00Z-1.csv.gz:2:d|"
                             "20240301T00Z-2.csv.gz:1:ts,point,value|20240301T00Z-2.csv.gz:2:e|"
                             "20240301T00Z-10.csv.gz:1:ts,point,value|"
                             "20240301T00Z-10.csv.gz:2:f|"
                             "20240301T01Z.csv.gz:1:ts,point,value|20240301T01Z.csv.gz:2:g|");
    tsrc_get_stats(ts, &st);
    assert_int_equal(st.files_read, 7);
    assert_int_equal(st.lines, 15);
    assert_int_equal(st.cut, 0);
    assert_int_equal(nwarn, 0);
    tsrc_close(ts);
}

/* The hours overlapping [from, to): a range starting inside an hour takes that hour. */
static void
test_tsrc_range(void **state)
{
    struct tsrc_stats st;
    struct tsrc *ts;
    int rc;

    (void)state;
    put_gz("2024/02/29/20240229T23Z.csv.gz", "ts,point,value\nb\n");
    put_gz("2024/03/01/20240301T00Z.csv.gz", "ts,point,value\nc\n");
    put_gz("2024/03/01/20240301T01Z.csv.gz", "ts,point,value\nd\n");
    put_gz("2024/03/01/20240301T02Z.csv.gz", "ts,point,value\ne\n");

    ts = archive(T0, T0 + 2 * H);
    assert_string_equal(all_lines(ts, &rc), "20240301T00Z.csv.gz:1:ts,point,value|"
                                            "20240301T00Z.csv.gz:2:c|"
                                            "20240301T01Z.csv.gz:1:ts,point,value|"
                                            "20240301T01Z.csv.gz:2:d|");
    tsrc_close(ts);
    ts = archive(T0 - 1, T0 + 1);
    tsrc_get_stats(ts, &st);
    assert_int_equal(st.files, 2);
    tsrc_close(ts);
    ts = archive(T0 + 3 * H, INT64_MAX);
    tsrc_get_stats(ts, &st);
    assert_int_equal(st.files, 0);
    assert_string_equal(all_lines(ts, &rc), "");
    assert_int_equal(rc, 0);
    tsrc_close(ts);
}

/* kill -9 mid-hour: the file's gzip stream stops after its last flush, or a little after,
 * mid-block. What was flushed reads; the next file too; no error. */
static void
test_tsrc_truncated_gz(void **state)
{
    static char lost[20000];
    struct tsrc_stats st;
    struct tsrc *ts;
    int rc;

    (void)state;
    for (size_t i = 0; i + 40 < sizeof(lost); i += 40)
        snprintf(lost + i, 41, "1709251300.%03zu,meter1.v_l1,%012zu\n", i % 1000, i * 7919);
    put_cut_gz("2024/03/01/20240301T00Z.csv.gz", "ts,point,value\nrow1\nrow2\n", lost, 0);
    put_cut_gz("2024/03/01/20240301T00Z-1.csv.gz", "ts,point,value\nrow3\n", lost, 9);
    put_gz("2024/03/01/20240301T01Z.csv.gz", "ts,point,value\nrow4\n");

    ts = archive(INT64_MIN, INT64_MAX);
    assert_string_equal(all_lines(ts, &rc),
                        "20240301T00Z.csv.gz:1:ts,point,value|20240301T00Z.csv.gz:2:row1|"
                        "20240301T00Z.csv.gz:3:row2|"
                        "20240301T00Z-1.csv.gz:1:ts,point,value|20240301T00Z-1.csv.gz:2:row3|"
                        "20240301T01Z.csv.gz:1:ts,point,value|20240301T01Z.csv.gz:2:row4|");
    assert_int_equal(rc, 0);
    tsrc_get_stats(ts, &st);
    assert_int_equal(st.cut, 2);
    assert_int_equal(nwarn, 2);
    assert_non_null(strstr(warned, "20240301T00Z.csv.gz: cut short after line 3 (gzip: "));
    assert_non_null(strstr(warned, "20240301T00Z-1.csv.gz: cut short after line 2"));
    tsrc_close(ts);
}

/* A power cut can leave garbage (zeros) after the good part: read up to it. */
static void
test_tsrc_damaged_gz(void **state)
{
    const char *p;
    off_t size;
    int fd, rc;
    char zeros[300];
    struct tsrc *ts;

    (void)state;
    memset(zeros, 0xff, sizeof(zeros));
    size = put_cut_gz("2024/03/01/20240301T00Z.csv.gz", "ts,point,value\nrow1\n", "row2\n", 0);
    p = prepare("2024/03/01/20240301T00Z.csv.gz");
    fd = open(p, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, zeros, sizeof(zeros), size), (ssize_t)sizeof(zeros));
    close(fd);
    ts = archive(INT64_MIN, INT64_MAX);
    assert_string_equal(all_lines(ts, &rc), "20240301T00Z.csv.gz:1:ts,point,value|"
                                            "20240301T00Z.csv.gz:2:row1|");
    assert_int_equal(rc, 0);
    assert_int_equal(nwarn, 1);
    tsrc_close(ts);
}

/* A gzip file whose last line has no newline: cut off while written, so left out (a cut
 * value would read as another value). A plain file keeps it: hand-written. */
static void
test_tsrc_partial_last_line(void **state)
{
    struct tsrc *ts;
    char err[TSRC_ERR_LEN];
    int rc;

    (void)state;
    put_gz("2024/03/01/20240301T00Z.csv.gz", "ts,point,value\n1709251200,m.v,229.8\n"
                                             "1709251201,m.v,22");
    put_gz("2024/03/01/20240301T01Z.csv.gz", "ts,point,value\n1709254800,m.v,230\n");
    ts = archive(INT64_MIN, INT64_MAX);
    assert_string_equal(all_lines(ts, &rc), "20240301T00Z.csv.gz:1:ts,point,value|"
                                            "20240301T00Z.csv.gz:2:1709251200,m.v,229.8|"
                                            "20240301T01Z.csv.gz:1:ts,point,value|"
                                            "20240301T01Z.csv.gz:2:1709254800,m.v,230|");
    assert_int_equal(rc, 0);
    assert_string_equal(warned, "20240301T00Z.csv.gz: cut short: its last line (3) is "
                                "incomplete and left out; the rest of its hour reads as "
                                "unknown\n");
    tsrc_close(ts);

    put_plain("trace.csv", "ts,point,value\n1709251200,m.v,229.8\n1709251201,m.v,22");
    assert_int_equal(tsrc_open_file(prepare("trace.csv"), &ts, err, sizeof(err)), 0);
    tsrc_set_warn(ts, on_warn, NULL);
    assert_string_equal(all_lines(ts, &rc), "trace.csv:1:ts,point,value|"
                                            "trace.csv:2:1709251200,m.v,229.8|"
                                            "trace.csv:3:1709251201,m.v,22|");
    assert_int_equal(rc, 0);
    assert_int_equal(nwarn, 1);
    tsrc_close(ts);

    /* One gzip file given by name reads as in the archive. */
    assert_int_equal(
        tsrc_open_file(prepare("2024/03/01/20240301T00Z.csv.gz"), &ts, err, sizeof(err)), 0);
    assert_string_equal(all_lines(ts, &rc), "20240301T00Z.csv.gz:1:ts,point,value|"
                                            "20240301T00Z.csv.gz:2:1709251200,m.v,229.8|");
    tsrc_close(ts);
}

/* Lines longer than the buffer, and CRLF kept for the parser to strip. */
static void
test_tsrc_long_lines(void **state)
{
    size_t big = (3u << 20) + 17;
    char *text = malloc(big + 64);
    const char *line, *name;
    size_t len;
    long lineno;
    struct tsrc *ts;
    char err[TSRC_ERR_LEN];

    (void)state;
    assert_non_null(text);
    strcpy(text, "ts,point,value\r\n#");
    memset(text + 17, 'x', big);
    strcpy(text + 17 + big, "\nlast\n");
    put_gz("big.csv.gz", text);
    free(text);
    assert_int_equal(tsrc_open_file(prepare("big.csv.gz"), &ts, err, sizeof(err)), 0);
    assert_int_equal(tsrc_next_line(ts, &line, &len, &name, &lineno), 1);
    assert_int_equal(len, 16);
    assert_memory_equal(line, "ts,point,value\r\n", 16);
    assert_int_equal(tsrc_next_line(ts, &line, &len, &name, &lineno), 1);
    assert_int_equal(len, big + 2);
    assert_int_equal(lineno, 2);
    assert_int_equal(tsrc_next_line(ts, &line, &len, &name, &lineno), 1);
    assert_memory_equal(line, "last\n", 5);
    assert_int_equal(tsrc_next_line(ts, &line, &len, &name, &lineno), 0);
    assert_int_equal(tsrc_next_line(ts, &line, &len, &name, &lineno), 0);
    tsrc_close(ts);
}

/* An empty archive is an empty source; a missing folder or file is an error. */
static void
test_tsrc_empty_and_missing(void **state)
{
    struct tsrc *ts = NULL;
    const char *line, *name;
    size_t len;
    long lineno;
    char err[TSRC_ERR_LEN], p[256];

    (void)state;
    ts = archive(INT64_MIN, INT64_MAX);
    assert_int_equal(tsrc_next_line(ts, &line, &len, &name, &lineno), 0);
    tsrc_close(ts);
    snprintf(p, sizeof(p), "%s/nope", dir);
    assert_int_equal(tsrc_open_archive(p, INT64_MIN, INT64_MAX, &ts, err, sizeof(err)), -1);
    assert_null(ts);
    assert_non_null(strstr(err, "nope: No such file or directory"));
    assert_int_equal(tsrc_open_file(p, &ts, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "nope: No such file or directory"));
    /* An empty gzip file and an empty plain file: no lines, no warning. */
    put_gz("2024/03/01/20240301T00Z.csv.gz", "");
    put_plain("empty.csv", "");
    ts = archive(INT64_MIN, INT64_MAX);
    assert_int_equal(tsrc_next_line(ts, &line, &len, &name, &lineno), 0);
    tsrc_close(ts);
    assert_int_equal(tsrc_open_file(prepare("empty.csv"), &ts, err, sizeof(err)), 0);
    assert_int_equal(tsrc_next_line(ts, &line, &len, &name, &lineno), 0);
    tsrc_close(ts);
    assert_int_equal(nwarn, 0);
    tsrc_close(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tsrc_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tsrc_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tsrc_truncated_gz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tsrc_damaged_gz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tsrc_partial_last_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tsrc_long_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tsrc_empty_and_missing, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
