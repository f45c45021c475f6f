/*
 * target.h - the performance-target forms' target strings (年度指标值), parsed into a comparison
 * with a unit.
 *
 * The forms write one target in many notations: "=115", "≥0&&≤2", ">=95%", "<=5分钟",
 * "=365(天)", "≤1.00 (%)", "≥99" with "%" in a separate 度量单位 column, OCR'd LaTeX such as
 * "$\geq 95\%$", full-width "＞９５％". A target is a lower and/or an upper bound, each inclusive
 * or not, and a unit. A string that does not start with a comparison (稳定, 健全,
 * 持续24小时供电, and also a bare "100%" or "90") is qualitative: the config must give it an
 * explicit rule, since reading "100%" as "=" or "≥" would be a guess. A string that starts with a
 * comparison but cannot be read ("≥" alone, "≥abc") is an error, never a guess.
 *
 * Units: "%" (and "％"), "min" (分钟, 分, min), "h" (小时, 时, h), "day" (天, 日, day) are the
 * canonical, convertible ones; any other unit word (公里, 次, 个工作日, 万元, 万平方米) is kept
 * as written. No unit is "".
 *
 * Pure: no I/O, clock, environment or allocation. Numbers are read without strtod(), so the
 * locale does not matter; tgt_format() uses snprintf("%g"), which assumes the C locale for
 * LC_NUMERIC (roomwatch never calls setlocale()).
 * Threads: every function is reentrant.
 */
#ifndef ROOMWATCH_TARGET_H
#define ROOMWATCH_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#define TGT_UNIT_MAX 48 /* bytes for a unit word, NUL included (16 CJK characters) */
#define TGT_ERR_LEN 128 /* a diagnostic buffer that always suffices */

enum tgt_status {
    TGT_OK = 0,
    TGT_ERR_EMPTY,  /* nothing but blanks */
    TGT_ERR_SYNTAX, /* starts with a comparison that cannot be read */
    TGT_ERR_UNIT,   /* conflicting or unconvertible units, or a unit word too long */
    TGT_ERR_BOUNDS, /* bounds that contradict each other (lower above upper, two lowers) */
};

enum tgt_met {
    TGT_MET_NO = 0,
    TGT_MET_YES,
    TGT_MET_UNKNOWN, /* the value is NaN, or the target is qualitative */
};

struct tgt {
    bool qualitative; /* no comparison: the bounds are unset and unit is "" */
    bool has_lower;
    bool lower_inclusive;
    double lower;
    bool has_upper;
    bool upper_inclusive;
    double upper;
    char unit[TGT_UNIT_MAX]; /* "%", "min", "h", "day", "" or the form's own word (UTF-8) */
};

/*
 * tgt_parse - parse the target string text (UTF-8) into *out.
 *
 * unit_hint is the form's separate unit column (003's 度量单位) or NULL. It applies when text
 * carries no unit itself; when both carry one they must agree after canonicalisation, else
 * TGT_ERR_UNIT. The hint is ignored for a qualitative string (its column then reads 定性指标).
 *
 * "=x" gives lower = upper = x, both inclusive. Two comparisons are joined by "&&" (one lower,
 * one upper bound); a unit written only after the second applies to both.
 *
 * RETURN VALUE: TGT_OK, or an error with a one-line reason in err (errlen bytes, may be NULL /
 * 0; TGT_ERR_LEN always suffices). On error *out is zeroed.
 */
enum tgt_status tgt_parse(const char *text, const char *unit_hint, struct tgt *out, char *err,
                          size_t errlen);

/* tgt_strerror - a constant name for a status ("syntax error", ...). */
const char *tgt_strerror(enum tgt_status st);

/*
 * tgt_unit_canonical - the canonical spelling of a unit word: "分钟" -> "min", "％" -> "%",
 * "(小时)" is not accepted (no brackets). Other words are returned as given (trimmed of blanks)
 * into buf (len bytes). Returns buf, or NULL if the word does not fit.
 */
const char *tgt_unit_canonical(const char *word, char *buf, size_t len);

/*
 * tgt_convert - convert value from one unit to another (either spelling: "分钟" or "min").
 * min, h and day convert among themselves; any unit converts to itself ("%" to "%", "次" to
 * "次"); anything else is TGT_ERR_UNIT and *out is left alone.
 */
enum tgt_status tgt_convert(double value, const char *from_unit, const char *to_unit, double *out);

/*
 * tgt_met - whether value (in t's unit) meets the target. A value within 1e-9 relative of a
 * bound counts as on it, so that a computed 100.00000000000001 % meets "=100%".
 * TGT_MET_UNKNOWN for NaN and for a qualitative target.
 */
enum tgt_met tgt_met(const struct tgt *t, double value);

/*
 * tgt_format - write t canonically into buf, snprintf-style ("≥0 && ≤2 h", "=100 %",
 * "<0.418", "qualitative"). Returns the length the full text needs, as snprintf does.
 */
int tgt_format(const struct tgt *t, char *buf, size_t len);

#endif /* ROOMWATCH_TARGET_H */
