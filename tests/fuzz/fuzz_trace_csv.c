/*
 * fuzz_trace_csv.c - the trace CSV of `roomwatch replay`, line by line as cmd_replay reads
 * it: any bytes must give a row, a skip or a reason, never a crash, and a row must be what
 * the header promises (a point of bounded length, NUL-terminated, a directive's text inside
 * the line).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive/trace_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct trace_csv tc;
    struct trace_row row;
    char err[TRACE_ERR_LEN];
    size_t at = 0;
    int64_t ms;

    trace_csv_init(&tc);
    while (at < size) {
        const char *nl = memchr(s + at, '\n', size - at);
        size_t len = nl != NULL ? (size_t)(nl - (s + at)) + 1 : size - at;
        /* A copy of exactly the line, so that ASan sees a read past its end. */
        char *line = malloc(len > 0 ? len : 1);

        if (line == NULL)
            return 0;
        memcpy(line, s + at, len);
        memset(&row, 0, sizeof(row));
        switch (trace_csv_parse(&tc, line, len, &row, err, sizeof(err))) {
        case TRACE_ROW:
            if (row.point_len >= TRACE_POINT_MAX || strlen(row.point) != row.point_len)
                abort();
            if (row.directive && (row.text < line || row.text + row.text_len > line + len))
                abort();
            break;
        case TRACE_ERROR:
            if (memchr(err, '\0', sizeof(err)) == NULL)
                abort();
            break;
        case TRACE_SKIP:
            break;
        }
        free(line);
        at += len;
    }
    /* The timestamp on its own, as the CLI's --from/--to would take it. */
    (void)trace_parse_ts(s, size < 64 ? size : 64, &ms);
    return 0;
}
