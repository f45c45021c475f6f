/*
 * target.c - parse the forms' target strings (see target.h for the notations and rules).
 *
 * Two passes over a bounded buffer: normalise (full-width forms, ≥/≤/≧/≦, LaTeX commands and
 * blanks become plain ASCII comparisons, digits and "%"; everything else is copied), then read
 * "op number [unit] [&& op number [unit]]" from the start. Only text that starts with a
 * comparison is parsed; the rest is qualitative, however long, so prose in the forms costs
 * nothing and needs no buffer.
 */
#include "engine/target.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NORM_MAX 256     /* normalised bytes read of a comparison; longer is an error */
#define MAX_DIGITS 17    /* significant digits read exactly; more are an error */
#define MET_REL_EPS 1e-9 /* relative slack of tgt_met() at a bound */

enum op {
    OP_NONE = 0,
    OP_EQ,
    OP_GE,
    OP_GT,
    OP_LE,
    OP_LT,
};

struct clause {
    enum op op;
    double value;
    bool has_unit; /* a unit was written, possibly "()" (empty) */
    char unit[TGT_UNIT_MAX];
};

static size_t normalise(const char *in, char *out, size_t outlen, bool *truncated);
static size_t read_op(const char *s, enum op *op);
static size_t read_number(const char *s, double *v);
static enum tgt_status read_clause(const char *s, size_t *used, struct clause *c, char *err,
                                   size_t errlen);
static const char *op_symbol(enum op op);
static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool is_blank_word(const char *s);
static bool isalpha_ascii(char c);

/* Multi-byte UTF-8 sequences and LaTeX commands with an ASCII meaning. */
static const struct {
    const char *from;
    const char *to;
} norm_map[] = {
    {"\xe2\x89\xa5", ">="}, /* ≥ U+2265 */
    {"\xe2\x89\xa4", "<="}, /* ≤ U+2264 */
    {"\xe2\x89\xa7", ">="}, /* ≧ U+2267 */
    {"\xe2\x89\xa6", "<="}, /* ≦ U+2266 */
    {"\xe2\xa9\xbe", ">="}, /* ⩾ U+2A7E */
    {"\xe2\xa9\xbd", "<="}, /* ⩽ U+2A7D */
    {"\xef\xbc\x9e", ">"},  /* ＞ U+FF1E */
    {"\xef\xbc\x9c", "<"},  /* ＜ U+FF1C */
    {"\xef\xbc\x9d", "="},  /* ＝ U+FF1D */
    {"\xef\xbc\x85", "%"},  /* ％ U+FF05 */
    {"\xef\xbc\x8e", "."},  /* ． U+FF0E */
    {"\xef\xbc\x88", "("},  /* （ U+FF08 */
    {"\xef\xbc\x89", ")"},  /* ） U+FF09 */
    {"\xef\xbc\x86", "&"},  /* ＆ U+FF06 */
    {"\xef\xbc\x8b", "+"},  /* ＋ U+FF0B */
    {"\xef\xbc\x8d", "-"},  /* － U+FF0D */
    {"\xe3\x80\x80", ""},   /* ideographic space U+3000 */
    {"\xc2\xa0", ""},       /* no-break space U+00A0 */
    {"\\geqslant", ">="},
    {"\\leqslant", "<="},
    {"\\geq", ">="},
    {"\\leq", "<="},
    {"\\ge", ">="},
    {"\\le", "<="},
    {"\\gt", ">"},
    {"\\lt", "<"},
    {"\\%", "%"},
    {"\\text", ""},
    {"\\mathrm", ""},
    {"\\,", ""},
    {"\\;", ""},
    {"\\ ", ""},
    {"$", ""},
    {"{", ""},
    {"}", ""},
};

/* Canonical units and their spellings (ASCII compared without case). */
static const struct {
    const char *word;
    const char *canon;
} unit_map[] = {
    {"%", "%"},      {"\xef\xbc\x85", "%"}, /* ％ */
    {"min", "min"},  {"mins", "min"},       {"minute", "min"}, {"minutes", "min"},
    {"分钟", "min"}, {"分", "min"},         {"h", "h"},        {"hr", "h"},
    {"hrs", "h"},    {"hour", "h"},         {"hours", "h"},    {"小时", "h"},
    {"时", "h"},     {"d", "day"},          {"day", "day"},    {"days", "day"},
    {"天", "day"},   {"日", "day"},
};

/* Seconds per convertible time unit. */
static const struct {
    const char *canon;
    double seconds;
} unit_seconds[] = {
    {"min", 60.0},
    {"h", 3600.0},
    {"day", 86400.0},
};

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

const char *
tgt_strerror(enum tgt_status st)
{
    switch (st) {
    case TGT_OK:
        return "ok";
    case TGT_ERR_EMPTY:
        return "empty target";
    case TGT_ERR_SYNTAX:
        return "syntax error";
    case TGT_ERR_UNIT:
        return "unit error";
    case TGT_ERR_BOUNDS:
        return "contradictory bounds";
    }
    return "unknown error";
}

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool
isalpha_ascii(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_blank_word(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    return true;
}

/*
 * Copy in to out (outlen bytes, NUL included), mapping norm_map and dropping ASCII blanks.
 * Stops when out is full and says so in *truncated. Returns the length written.
 */
static size_t
normalise(const char *in, char *out, size_t outlen, bool *truncated)
{
    size_t n = 0, i, k;

    *truncated = false;
    while (*in != '\0') {
        const char *to = NULL;
        size_t fromlen = 0;

        if (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n') {
            in++;
            continue;
        }
        for (i = 0; i < sizeof(norm_map) / sizeof(norm_map[0]); i++) {
            size_t l = strlen(norm_map[i].from);

            if (strncmp(in, norm_map[i].from, l) == 0) {
                /* \le must not eat \left: a LaTeX command ends at a non-letter. */
                if (in[0] == '\\' && isalpha_ascii(in[1]) && isalpha_ascii(in[l]))
                    continue;
                to = norm_map[i].to;
                fromlen = l;
                break;
            }
        }
        if (to == NULL) {
            /* Full-width digits U+FF10..U+FF19. */
            if ((unsigned char)in[0] == 0xef && (unsigned char)in[1] == 0xbc &&
                (unsigned char)in[2] >= 0x90 && (unsigned char)in[2] <= 0x99) {
                if (n + 1 >= outlen) {
                    *truncated = true;
                    break;
                }
                out[n++] = (char)('0' + ((unsigned char)in[2] - 0x90));
                in += 3;
                continue;
            }
            if (n + 1 >= outlen) {
                *truncated = true;
                break;
            }
            out[n++] = *in++;
            continue;
        }
        k = strlen(to);
        if (n + k >= outlen) {
            *truncated = true;
            break;
        }
        memcpy(out + n, to, k);
        n += k;
        in += fromlen;
    }
    out[n] = '\0';
    return n;
}

/* Read a comparison at s; returns the bytes used, 0 if there is none. */
static size_t
read_op(const char *s, enum op *op)
{
    if ((s[0] == '>' && s[1] == '=') || (s[0] == '=' && s[1] == '>')) {
        *op = OP_GE;
        return 2;
    }
    if ((s[0] == '<' && s[1] == '=') || (s[0] == '=' && s[1] == '<')) {
        *op = OP_LE;
        return 2;
    }
    if (s[0] == '=' && s[1] == '=') {
        *op = OP_EQ;
        return 2;
    }
    switch (s[0]) {
    case '>':
        *op = OP_GT;
        return 1;
    case '<':
        *op = OP_LT;
        return 1;
    case '=':
        *op = OP_EQ;
        return 1;
    default:
        *op = OP_NONE;
        return 0;
    }
}

/*
 * Read a decimal number ("12", "1.00", "-3", ".5") at s without strtod(): the significant
 * digits (at most MAX_DIGITS) form an integer m, and m / 10^k is correctly rounded while
 * m < 2^53. Returns the bytes used, 0 if there is no number.
 */
static size_t
read_number(const char *s, double *v)
{
    const char *p = s;
    uint64_t m = 0;
    int digits = 0, frac = 0, exp10;
    bool neg = false, any = false, dot = false;

    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            any = true;
            if (m == 0 && *p == '0') {
                if (dot)
                    frac++;
                continue; /* leading zeros are not significant */
            }
            if (digits == MAX_DIGITS)
                return 0;
            m = m * 10 + (uint64_t)(*p - '0');
            digits++;
            if (dot)
                frac++;
        } else if (*p == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
    }
    if (!any || p[-1] == '.')
        return 0;
    exp10 = frac;
    if (exp10 > 22)
        return 0;
    *v = (double)m / pow10_tab[exp10];
    if (neg)
        *v = -*v;
    return (size_t)(p - s);
}

/*
 * Read "op number [unit]" at s (normalised). A unit is "(word)" or a bare word running to "&",
 * a comparison or the end; "%" alone is a unit. *used gets the bytes read.
 */
static enum tgt_status
read_clause(const char *s, size_t *used, struct clause *c, char *err, size_t errlen)
{
    const char *p = s, *w;
    size_t n, wl;
    bool paren = false;
    char word[TGT_UNIT_MAX];

    memset(c, 0, sizeof(*c));
    n = read_op(p, &c->op);
    p += n;
    n = read_number(p, &c->value);
    if (n == 0) {
        if (*p == '\0')
            seterr(err, errlen, "no number after \"%s\"", op_symbol(c->op));
        else
            seterr(err, errlen, "no number after \"%s\" (at \"%.24s\")", op_symbol(c->op), p);
        return TGT_ERR_SYNTAX;
    }
    p += n;
    if (*p == '(') {
        paren = true;
        w = ++p;
        while (*p != '\0' && *p != ')')
            p++;
        if (*p != ')') {
            seterr(err, errlen, "unclosed \"(\" in the unit \"%.24s\"", w);
            return TGT_ERR_SYNTAX;
        }
        wl = (size_t)(p - w);
        p++;
    } else if (*p == '%') {
        w = p++;
        wl = 1;
    } else {
        w = p;
        while (*p != '\0' && *p != '&' && *p != '<' && *p != '>' && *p != '=' && *p != '(' &&
               *p != ')')
            p++;
        wl = (size_t)(p - w);
    }
    for (n = 0; n < wl; n++) {
        /* A digit in a unit ("1.5.2", "1e5", "5m2") is a number we could not read. */
        if ((w[n] >= '0' && w[n] <= '9') ||
            (n == 0 && (w[n] == '.' || w[n] == '+' || w[n] == '-'))) {
            seterr(err, errlen, "unexpected \"%.24s\" after the number", w);
            return TGT_ERR_SYNTAX;
        }
    }
    if (wl >= sizeof(word)) {
        seterr(err, errlen, "unit word too long (\"%.24s...\")", w);
        return TGT_ERR_UNIT;
    }
    memcpy(word, w, wl);
    word[wl] = '\0';
    c->has_unit = wl > 0 || paren; /* "()" says: no unit */
    if (tgt_unit_canonical(word, c->unit, sizeof(c->unit)) == NULL) {
        seterr(err, errlen, "unit word too long (\"%.24s...\")", word);
        return TGT_ERR_UNIT;
    }
    *used = (size_t)(p - s);
    return TGT_OK;
}

static const char *
op_symbol(enum op op)
{
    switch (op) {
    case OP_EQ:
        return "=";
    case OP_GE:
        return "\xe2\x89\xa5";
    case OP_GT:
        return ">";
    case OP_LE:
        return "\xe2\x89\xa4";
    case OP_LT:
        return "<";
    case OP_NONE:
        break;
    }
    return "";
}

const char *
tgt_unit_canonical(const char *word, char *buf, size_t len)
{
    const char *b = word, *e;
    size_t i, l;

    while (*b == ' ' || *b == '\t')
        b++;
    e = b + strlen(b);
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    l = (size_t)(e - b);
    for (i = 0; i < sizeof(unit_map) / sizeof(unit_map[0]); i++) {
        const char *u = unit_map[i].word;
        size_t j;

        if (strlen(u) != l)
            continue;
        for (j = 0; j < l; j++) {
            char x = b[j], y = u[j];

            if (x >= 'A' && x <= 'Z')
                x = (char)(x - 'A' + 'a');
            if (x != y)
                break;
        }
        if (j == l) {
            if (strlen(unit_map[i].canon) >= len)
                return NULL;
            strcpy(buf, unit_map[i].canon);
            return buf;
        }
    }
    if (l >= len)
        return NULL;
    memcpy(buf, b, l);
    buf[l] = '\0';
    return buf;
}

enum tgt_status
tgt_parse(const char *text, const char *unit_hint, struct tgt *out, char *err, size_t errlen)
{
    char norm[NORM_MAX];
    struct clause c[2];
    size_t used, off = 0;
    int nc = 0, i;
    bool truncated;
    enum op first;
    enum tgt_status st;
    const char *unit = NULL;
    char hint[TGT_UNIT_MAX];

    memset(out, 0, sizeof(*out));
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (text == NULL || is_blank_word(text)) {
        seterr(err, errlen, "empty target");
        return TGT_ERR_EMPTY;
    }
    normalise(text, norm, sizeof(norm), &truncated);
    if (read_op(norm, &first) == 0) {
        /* No comparison: qualitative, whatever else the text holds. */
        out->qualitative = true;
        return TGT_OK;
    }
    if (truncated) {
        seterr(err, errlen, "target too long");
        return TGT_ERR_SYNTAX;
    }
    for (;;) {
        st = read_clause(norm + off, &used, &c[nc], err, errlen);
        if (st != TGT_OK)
            goto fail;
        off += used;
        nc++;
        if (norm[off] == '\0')
            break;
        if (norm[off] == '&' && norm[off + 1] == '&' && nc == 1) {
            off += 2;
            if (read_op(norm + off, &first) == 0) {
                seterr(err, errlen, "no comparison after \"&&\"");
                st = TGT_ERR_SYNTAX;
                goto fail;
            }
            continue;
        }
        seterr(err, errlen, "unexpected \"%.24s\" after the comparison", norm + off);
        st = TGT_ERR_SYNTAX;
        goto fail;
    }

    /* One unit for the whole target: a unit written once applies to both bounds. */
    for (i = 0; i < nc; i++) {
        if (!c[i].has_unit)
            continue;
        if (unit != NULL && strcmp(unit, c[i].unit) != 0) {
            seterr(err, errlen, "the bounds have different units (\"%s\" and \"%s\")", unit,
                   c[i].unit);
            st = TGT_ERR_UNIT;
            goto fail;
        }
        unit = c[i].unit;
    }
    if (unit_hint != NULL && !is_blank_word(unit_hint)) {
        if (tgt_unit_canonical(unit_hint, hint, sizeof(hint)) == NULL) {
            seterr(err, errlen, "unit word too long (\"%.24s...\")", unit_hint);
            st = TGT_ERR_UNIT;
            goto fail;
        }
        if (unit != NULL && unit[0] != '\0' && strcmp(unit, hint) != 0) {
            seterr(err, errlen, "unit \"%s\" differs from the unit column \"%s\"", unit, hint);
            st = TGT_ERR_UNIT;
            goto fail;
        }
        if (unit == NULL || unit[0] == '\0')
            unit = hint;
    }
    if (unit != NULL)
        strcpy(out->unit, unit);

    for (i = 0; i < nc; i++) {
        bool lo = c[i].op == OP_EQ || c[i].op == OP_GE || c[i].op == OP_GT;
        bool hi = c[i].op == OP_EQ || c[i].op == OP_LE || c[i].op == OP_LT;

        if ((lo && out->has_lower) || (hi && out->has_upper) || (nc > 1 && c[i].op == OP_EQ)) {
            seterr(err, errlen, "\"%s\" cannot be combined with another bound of that side",
                   op_symbol(c[i].op));
            st = TGT_ERR_BOUNDS;
            goto fail;
        }
        if (lo) {
            out->has_lower = true;
            out->lower = c[i].value;
            out->lower_inclusive = c[i].op != OP_GT;
        }
        if (hi) {
            out->has_upper = true;
            out->upper = c[i].value;
            out->upper_inclusive = c[i].op != OP_LT;
        }
    }
    if (out->has_lower && out->has_upper &&
        (out->lower > out->upper ||
         (out->lower == out->upper && !(out->lower_inclusive && out->upper_inclusive)))) {
        seterr(err, errlen, "no value lies between the lower and the upper bound");
        st = TGT_ERR_BOUNDS;
        goto fail;
    }
    return TGT_OK;

fail:
    memset(out, 0, sizeof(*out));
    return st;
}

enum tgt_status
tgt_convert(double value, const char *from_unit, const char *to_unit, double *out)
{
    char from[TGT_UNIT_MAX], to[TGT_UNIT_MAX];
    double fs = 0, ts = 0;
    size_t i;

    /* The same text is the same unit: the common case (a value in its target's own unit),
     * asked every minute by the target alerts, needs no lookup. */
    if (strcmp(from_unit, to_unit) == 0) {
        *out = value;
        return TGT_OK;
    }
    if (tgt_unit_canonical(from_unit, from, sizeof(from)) == NULL ||
        tgt_unit_canonical(to_unit, to, sizeof(to)) == NULL)
        return TGT_ERR_UNIT;
    if (strcmp(from, to) == 0) {
        *out = value;
        return TGT_OK;
    }
    for (i = 0; i < sizeof(unit_seconds) / sizeof(unit_seconds[0]); i++) {
        if (strcmp(from, unit_seconds[i].canon) == 0)
            fs = unit_seconds[i].seconds;
        if (strcmp(to, unit_seconds[i].canon) == 0)
            ts = unit_seconds[i].seconds;
    }
    if (fs == 0 || ts == 0)
        return TGT_ERR_UNIT;
    *out = value * fs / ts;
    return TGT_OK;
}

enum tgt_met
tgt_met(const struct tgt *t, double value)
{
    double slack;

    if (t->qualitative || isnan(value))
        return TGT_MET_UNKNOWN;
    if (t->has_lower) {
        slack = MET_REL_EPS * fmax(1.0, fabs(t->lower));
        if (t->lower_inclusive ? value < t->lower - slack : value <= t->lower + slack)
            return TGT_MET_NO;
    }
    if (t->has_upper) {
        slack = MET_REL_EPS * fmax(1.0, fabs(t->upper));
        if (t->upper_inclusive ? value > t->upper + slack : value >= t->upper - slack)
            return TGT_MET_NO;
    }
    return TGT_MET_YES;
}

int
tgt_format(const struct tgt *t, char *buf, size_t len)
{
    char lo[40] = "", hi[40] = "";
    const char *sep = t->unit[0] != '\0' ? " " : "";

    if (t->qualitative)
        return snprintf(buf, len, "qualitative");
    if (t->has_lower && t->has_upper && t->lower == t->upper && t->lower_inclusive &&
        t->upper_inclusive)
        return snprintf(buf, len, "=%.15g%s%s", t->lower, sep, t->unit);
    if (t->has_lower)
        snprintf(lo, sizeof(lo), "%s%.15g", t->lower_inclusive ? "\xe2\x89\xa5" : ">", t->lower);
    if (t->has_upper)
        snprintf(hi, sizeof(hi), "%s%.15g", t->upper_inclusive ? "\xe2\x89\xa4" : "<", t->upper);
    return snprintf(buf, len, "%s%s%s%s%s", lo, t->has_lower && t->has_upper ? " && " : "", hi, sep,
                    t->unit);
}
