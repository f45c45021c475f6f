/*
 * trace_csv.c - parsing trace CSV lines (see trace_csv.h).
 */
#include "trace_csv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_MAX 64 /* bytes of a value field */

static int digits(const char *s, size_t n, long long *out);
static int parse_frac_ms(const char *s, size_t n, int64_t *ms);
static int64_t days_from_civil(long long y, unsigned m, unsigned d);
static int parse_rfc3339(const char *s, size_t len, int64_t *ms);
static int parse_unix(const char *s, size_t len, int64_t *ms);
static int point_ok(const char *s, size_t n);

void
trace_csv_init(struct trace_csv *tc)
{
    tc->line = 0;
    tc->header_seen = 0;
}

/* n decimal digits exactly (n <= 18). */
static int
digits(const char *s, size_t n, long long *out)
{
    long long v = 0;

    if (n == 0 || n > 18)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* The digits after a decimal point, as ms rounded half up (may give 1000). */
static int
parse_frac_ms(const char *s, size_t n, int64_t *ms)
{
    int64_t v = 0;

    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (i < 3)
            v = v * 10 + (s[i] - '0');
        else if (i == 3 && s[i] >= '5')
            v++;
    }
    for (size_t i = n; i < 3; i++)
        v *= 10;
    *ms = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(long long y, unsigned m, unsigned d)
{
    long long era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

/* YYYY-MM-DDTHH:MM:SS[.f+](Z|+HH:MM|-HH:MM); 't' and ' ' are taken for 'T' (RFC 3339, 5.6). */
static int
parse_rfc3339(const char *s, size_t len, int64_t *ms)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    long long y, mo, d, h, mi, sec, oh, om;
    int64_t frac = 0, off = 0;
    size_t i = 19;

    if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
        return -1;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    if (s[i] == '.') {
        size_t j = ++i;

        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (parse_frac_ms(s + j, i - j, &frac) != 0)
            return -1;
    }
    if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
        off = 0;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
               digits(s + i + 1, 2, &oh) == 0 && digits(s + i + 4, 2, &om) == 0 && oh <= 23 &&
               om <= 59) {
        off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
    } else {
        return -1;
    }
    *ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) -
           off) * 1000 + frac;
    return 0;
}

/* [-]digits[.digits] seconds since the epoch. */
static int
parse_unix(const char *s, size_t len, int64_t *ms)
{
    size_t i = 0, j;
    long long sec;
    int64_t frac = 0;
    int neg = 0;

    if (len > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    j = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i - j > 12 || digits(s + j, i - j, &sec) != 0) /* 12 digits: past the year 30000 */
        return -1;
    if (i < len) {
        if (s[i] != '.' || parse_frac_ms(s + i + 1, len - i - 1, &frac) != 0)
            return -1;
    }
    *ms = (sec * 1000 + frac) * (neg ? -1 : 1);
    return 0;
}

int
trace_parse_ts(const char *s, size_t len, int64_t *ms)
{
    if (len >= 5 && s[4] == '-')
        return parse_rfc3339(s, len, ms);
    return parse_unix(s, len, ms);
}

static int
point_ok(const char *s, size_t n)
{
    const char *dot = memchr(s, '.', n);

    if (n == 0 || n >= TRACE_POINT_MAX || dot == NULL || dot == s || dot == s + n - 1)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

enum trace_line
trace_csv_parse(struct trace_csv *tc, const char *line, size_t len, struct trace_row *row,
                char *err, size_t errlen)
{
    const char *c1, *c2, *v;
    size_t vlen;
    char buf[VALUE_MAX + 1];
    char *end;

    tc->line++;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len == 0 || line[0] == '#')
        return TRACE_SKIP;
    if (!tc->header_seen) {
        if (len == 14 && memcmp(line, "ts,point,value", 14) == 0) {
            tc->header_seen = 1;
            return TRACE_SKIP;
        }
        snprintf(err, errlen, "expected the header \"ts,point,value\"");
        return TRACE_ERROR;
    }
    if ((c1 = memchr(line, ',', len)) == NULL ||
        (c2 = memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - line))) == NULL) {
        snprintf(err, errlen, "expected three fields ts,point,value");
        return TRACE_ERROR;
    }
    v = c2 + 1;
    vlen = len - (size_t)(v - line);
    if (memchr(v, ',', vlen) != NULL) {
        snprintf(err, errlen, "more than three fields");
        return TRACE_ERROR;
    }
    if (trace_parse_ts(line, (size_t)(c1 - line), &row->t) != 0) {
        snprintf(err, errlen, "bad time \"%.*s\" (RFC 3339 with an offset, or Unix seconds)",
                 (int)(c1 - line > 40 ? 40 : c1 - line), line);
        return TRACE_ERROR;
    }
    if (!point_ok(c1 + 1, (size_t)(c2 - c1 - 1))) {
        snprintf(err, errlen, "bad point \"%.*s\" (device.point)",
                 (int)(c2 - c1 - 1 > 64 ? 64 : c2 - c1 - 1), c1 + 1);
        return TRACE_ERROR;
    }
    memcpy(row->point, c1 + 1, (size_t)(c2 - c1 - 1));
    row->point[c2 - c1 - 1] = '\0';
    row->value = 0.0;
    row->answered = 0;
    if (vlen == 0 || (vlen == 3 && (v[0] | 0x20) == 'n' && (v[1] | 0x20) == 'a' &&
                      (v[2] | 0x20) == 'n'))
        return TRACE_ROW;
    if (vlen > VALUE_MAX)
        goto bad_value;
    memcpy(buf, v, vlen);
    buf[vlen] = '\0';
    /* strtod would take hex, "inf" and leading blanks; a trace holds plain decimals. */
    if (strspn(buf, "0123456789+-.eE") != vlen)
        goto bad_value;
    row->value = strtod(buf, &end);
    if (end != buf + vlen || !isfinite(row->value))
        goto bad_value;
    row->answered = 1;
    return TRACE_ROW;
bad_value:
    snprintf(err, errlen, "bad value \"%.*s\" (a number, or empty or nan for no answer)",
             (int)(vlen > 40 ? 40 : vlen), v);
    return TRACE_ERROR;
}
