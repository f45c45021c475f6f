/*
 * trace_csv.h - the trace CSV of `roomwatch replay` (DESIGN.md, "Interfaces"), one line at a
 * time.
 *
 *   # a comment
 *   ts,point,value
 *   2024-01-01T00:00:00+08:00,meter1.v_l1,229.8
 *   1704038460.5,meter1.v_l1,
 *   1704038520,ups1.output_source,nan
 *
 *   2024-03-01T10:04:00+08:00,@ack,incident=1;by=wang
 *
 * A point starting with '@' is a directive (tools/roomwatch/README.md, "Event rows"): its
 * value column is text the caller reads (row->directive, text); '@' is not a point character,
 * so no device.point can be mistaken for one.
 * ts is RFC 3339 with a UTC offset (or Z), or Unix seconds; either may have a fraction, kept
 * to the millisecond (rounded half up). value is a number, or empty or "nan" for a poll that
 * got no answer, or "bad" for an answer without a valid value (an exception, a decode error:
 * the device answered, which a no_answer alarm rule tells apart). Fields are not quoted (no field can hold a comma). Blank lines and
 * lines starting with '#' are skipped; the header must come before the first row.
 *
 * Pure: no I/O, no allocation, no locale (numbers are read by hand, except the value: a plain
 * decimal of up to 15 significant digits is read by hand too, exactly as strtod() would round
 * it; anything else with strtod() on a copy: roomwatch never calls setlocale(), so the
 * decimal point is '.').
 * Ordering (per point, and the skew between points) is the caller's business, since it needs
 * state per point. Fuzzable: any bytes in, a row or a reason out.
 */
#ifndef ROOMWATCH_TRACE_CSV_H
#define ROOMWATCH_TRACE_CSV_H

#include <stddef.h>
#include <stdint.h>

#define TRACE_POINT_MAX 128 /* bytes of "device.point", NUL included */
#define TRACE_ERR_LEN 160

enum trace_line {
    TRACE_ROW = 0, /* *row is filled */
    TRACE_SKIP,    /* header, comment or blank line */
    TRACE_ERROR,   /* err says why (without the file and line: the caller adds them) */
};

struct trace_csv {
    long line;       /* lines seen so far: the one just parsed */
    int header_seen;
};

struct trace_row {
    int64_t t;                    /* ms since the epoch */
    char point[TRACE_POINT_MAX];  /* "meter1.v_l1" */
    size_t point_len;             /* strlen(point) */
    double value;                 /* when answered; NaN for "bad" */
    int answered;                 /* 0: empty or nan, the poll got no answer */
    int directive;                /* point is "@name": text holds the value column */
    const char *text;             /* directive: into the line passed in; not NUL-terminated */
    size_t text_len;
};

void trace_csv_init(struct trace_csv *tc);
/*
 * Parses one line (len bytes, without or with its "\n" / "\r\n"; need not be NUL-terminated).
 */
enum trace_line trace_csv_parse(struct trace_csv *tc, const char *line, size_t len,
                                struct trace_row *row, char *err, size_t errlen);

/* Parses a timestamp as the ts column takes it; 0 and *ms, or -1. */
int trace_parse_ts(const char *s, size_t len, int64_t *ms);

#endif
