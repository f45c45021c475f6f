/*
 * trace_csv.c - parsing trace CSV lines (see trace_csv.h).
 */
#include "archive/trace_csv.h"

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
static int fast_decimal(const char *s, size_t n, double *out);

/* Exact powers of ten as doubles: 10^k is exact for k <= 22 (5^22 < 2^53). */
static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Characters of a point name: letters, digits, '_', '-', '.'. */
static const unsigned char point_char[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1,
    ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,
    ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
    ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1,
    ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1,
    ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1,
    ['z'] = 1,
};

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
    for (size_t i = 0; i < n; i++)
        if (!point_char[(unsigned char)s[i]])
            return 0;
    return 1;
}

/*
 * [+-]digits[.digits] with at most 15 significant digits and at most 22 after the point.
 * Then the mantissa m (< 10^15 < 2^53) and 10^k are exact doubles and one IEEE division
 * rounds m / 10^k correctly, which is what strtod() returns (Clinger's fast path), so the
 * value is bit-identical. Returns 0 (not taken: the caller uses strtod) for anything else:
 * exponents, more digits, stray characters, no digit at all.
 */
static int
fast_decimal(const char *s, size_t n, double *out)
{
    uint64_t m = 0;
    size_t i = 0;
    int neg = 0, point = 0, any = 0, sig = 0, k = 0;
    double v;

    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';

        if (d <= 9) {
            any = 1;
            if ((m != 0 || d != 0) && ++sig > 15)
                return 0;
            m = m * 10 + d;
            k += point;
        } else if (s[i] == '.' && !point) {
            point = 1;
        } else {
            return 0;
        }
    }
    if (!any || k > 22)
        return 0;
    v = (double)m / pow10_exact[k];
    *out = neg ? -v : v;
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
    double fast_value = 0.0;
    int fast;

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
    fast = fast_decimal(v, vlen, &fast_value);
    if (!fast && memchr(v, ',', vlen) != NULL) {
        snprintf(err, errlen, "more than three fields");
        return TRACE_ERROR;
    }
    if (trace_parse_ts(line, (size_t)(c1 - line), &row->t) != 0) {
        snprintf(err, errlen, "bad time \"%.*s\" (RFC 3339 with an offset, or Unix seconds)",
                 (int)(c1 - line > 40 ? 40 : c1 - line), line);
        return TRACE_ERROR;
    }
    row->directive = c1[1] == '@';
    if (row->directive) {
        /* "@ack" and the like: the value column is the directive's text, read by the caller. */
        size_t n = (size_t)(c2 - c1 - 2);

        if (n < 1 || n >= TRACE_POINT_MAX - 1 || strspn(c1 + 2, "abcdefghijklmnopqrstuvwxyz") < n) {
            snprintf(err, errlen, "bad directive \"%.*s\"",
                     (int)(c2 - c1 - 1 > 64 ? 64 : c2 - c1 - 1), c1 + 1);
            return TRACE_ERROR;
        }
        memcpy(row->point, c1 + 1, (size_t)(c2 - c1 - 1));
        row->point[c2 - c1 - 1] = '\0';
        row->point_len = (size_t)(c2 - c1 - 1);
        row->text = v;
        row->text_len = vlen;
        row->value = 0.0;
        row->answered = 0;
        return TRACE_ROW;
    }
    if (!point_ok(c1 + 1, (size_t)(c2 - c1 - 1))) {
        snprintf(err, errlen, "bad point \"%.*s\" (device.point)",
                 (int)(c2 - c1 - 1 > 64 ? 64 : c2 - c1 - 1), c1 + 1);
        return TRACE_ERROR;
    }
    memcpy(row->point, c1 + 1, (size_t)(c2 - c1 - 1));
    row->point[c2 - c1 - 1] = '\0';
    row->point_len = (size_t)(c2 - c1 - 1);
    if (fast) {
        row->value = fast_value;
        row->answered = 1;
        return TRACE_ROW;
    }
    row->value = 0.0;
    row->answered = 0;
    if (vlen == 0 || (vlen == 3 && (v[0] | 0x20) == 'n' && (v[1] | 0x20) == 'a' &&
                      (v[2] | 0x20) == 'n'))
        return TRACE_ROW;
    if (vlen == 3 && memcmp(v, "bad", 3) == 0) {
        /* The device answered, without a valid value (an exception, a decode error). */
        row->value = NAN;
        row->answered = 1;
        return TRACE_ROW;
    }
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
    snprintf(err, errlen, "bad value \"%.*s\" (a number, empty or nan for no answer, or bad)",
             (int)(vlen > 40 ? 40 : vlen), v);
    return TRACE_ERROR;
}
