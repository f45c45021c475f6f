/*
 * test_target.c - the forms' target strings: every one in the five forms (from the fixture
 * fixtures/targets/forms-targets.tsv, expectations written by hand), and edge cases.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/target.h"

#define FORMS_TSV RW_FIXTURES "/targets/forms-targets.tsv"
#define TSV_COLS 10
#define FORMS_MIN_ROWS 900 /* the fixture holds 938 rows: fewer means it was cut */

static struct tgt
parse_ok(const char *text, const char *hint)
{
    struct tgt t;
    char err[TGT_ERR_LEN];
    enum tgt_status st = tgt_parse(text, hint, &t, err, sizeof(err));

    if (st != TGT_OK)
        fail_msg("\"%s\": %s", text, err);
    return t;
}

static enum tgt_status
parse_err(const char *text, const char *hint)
{
    struct tgt t;
    char err[TGT_ERR_LEN];
    enum tgt_status st = tgt_parse(text, hint, &t, err, sizeof(err));

    if (st == TGT_OK)
        fail_msg("\"%s\" parsed, expected an error", text);
    assert_true(strlen(err) > 0);
    assert_false(t.qualitative || t.has_lower || t.has_upper);
    return st;
}

static void
assert_bounds(const struct tgt *t, bool has_lo, double lo, bool lo_incl, bool has_hi, double hi,
              bool hi_incl, const char *unit)
{
    assert_false(t->qualitative);
    assert_int_equal(t->has_lower, has_lo);
    if (has_lo) {
        assert_true(t->lower == lo);
        assert_int_equal(t->lower_inclusive, lo_incl);
    }
    assert_int_equal(t->has_upper, has_hi);
    if (has_hi) {
        assert_true(t->upper == hi);
        assert_int_equal(t->upper_inclusive, hi_incl);
    }
    assert_string_equal(t->unit, unit);
}

/* Split line (modified in place) at tabs into at most n fields; returns the count. */
static int
split_tabs(char *line, char **f, int n)
{
    int k = 0;

    line[strcspn(line, "\r\n")] = '\0';
    f[k++] = line;
    while (k < n && (line = strchr(line, '\t')) != NULL) {
        *line++ = '\0';
        f[k++] = line;
    }
    return k;
}

static bool
yes(const char *s)
{
    if (strcmp(s, "yes") == 0)
        return true;
    if (strcmp(s, "no") != 0)
        fail_msg("fixture: \"%s\" is neither yes nor no", s);
    return false;
}

static bool
same(const struct tgt *a, const struct tgt *b)
{
    return a->qualitative == b->qualitative && a->has_lower == b->has_lower &&
           a->has_upper == b->has_upper &&
           (!a->has_lower || (a->lower == b->lower && a->lower_inclusive == b->lower_inclusive)) &&
           (!a->has_upper || (a->upper == b->upper && a->upper_inclusive == b->upper_inclusive)) &&
           strcmp(a->unit, b->unit) == 0;
}

/* Check one fixture row; returns 0 if it matches, prints why and returns 1 if not. */
static int
check_row(int lineno, char **f)
{
    const char *form = f[0], *name = f[1], *text = f[2], *hint = f[3];
    struct tgt t, back;
    char err[TGT_ERR_LEN], canon[256];
    enum tgt_status st = tgt_parse(text, hint[0] != '\0' ? hint : NULL, &t, err, sizeof(err));
    bool want_lo = strcmp(f[5], "null") != 0, want_hi = strcmp(f[7], "null") != 0;
    const char *want_unit = strcmp(f[9], "-") == 0 ? "" : f[9];

    if (strcmp(f[4], "error") == 0) {
        if (st == TGT_OK) {
            print_error("line %d: %s %s \"%s\": parsed, expected an error\n", lineno, form, name,
                        text);
            return 1;
        }
        return 0;
    }
    if (st != TGT_OK) {
        print_error("line %d: %s %s \"%s\": %s\n", lineno, form, name, text, err);
        return 1;
    }
    if (t.qualitative != yes(f[4]) || t.has_lower != want_lo || t.has_upper != want_hi ||
        (want_lo && (t.lower != strtod(f[5], NULL) || t.lower_inclusive != yes(f[6]))) ||
        (want_hi && (t.upper != strtod(f[7], NULL) || t.upper_inclusive != yes(f[8]))) ||
        strcmp(t.unit, want_unit) != 0) {
        tgt_format(&t, canon, sizeof(canon));
        print_error("line %d: %s %s \"%s\": got %s (unit \"%s\")\n", lineno, form, name, text,
                    canon, t.unit);
        return 1;
    }
    if (t.qualitative)
        return 0;
    /* The canonical form reads back to the same target. */
    tgt_format(&t, canon, sizeof(canon));
    if (tgt_parse(canon, NULL, &back, err, sizeof(err)) != TGT_OK || !same(&t, &back)) {
        print_error("line %d: \"%s\" formats as \"%s\", which reads back differently\n", lineno,
                    text, canon);
        return 1;
    }
    return 0;
}

static void
test_tgt_parse_every_form_target(void **state)
{
    FILE *fp;
    char line[4096], *f[TSV_COLS] = {NULL};
    int lineno = 0, rows = 0, bad = 0, qual = 0;
    bool header = false;

    (void)state;
    fp = fopen(FORMS_TSV, "r");
    if (fp == NULL)
        fail_msg("cannot open %s", FORMS_TSV);
    while (fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (split_tabs(line, f, TSV_COLS) != TSV_COLS)
            fail_msg("%s:%d: expected %d tab-separated columns", FORMS_TSV, lineno, TSV_COLS);
        if (!header) {
            assert_string_equal(f[0], "form");
            header = true;
            continue;
        }
        rows++;
        qual += strcmp(f[4], "yes") == 0;
        bad += check_row(lineno, f);
    }
    fclose(fp);
    print_message("%d form target strings, %d qualitative, %d mismatches\n", rows, qual, bad);
    assert_true(rows >= FORMS_MIN_ROWS);
    assert_int_equal(bad, 0);
}

static void
test_tgt_parse_notations(void **state)
{
    struct tgt t;

    (void)state;
    t = parse_ok("≥0&&≤2", NULL);
    assert_bounds(&t, true, 0, true, true, 2, true, "");
    t = parse_ok("≥0&&≤2 h", NULL);
    assert_bounds(&t, true, 0, true, true, 2, true, "h");
    t = parse_ok("≥0(h)&&≤2(小时)", NULL);
    assert_bounds(&t, true, 0, true, true, 2, true, "h");
    t = parse_ok(">=95%", NULL);
    assert_bounds(&t, true, 95, true, false, 0, false, "%");
    t = parse_ok("<= 5 分钟", NULL);
    assert_bounds(&t, false, 0, false, true, 5, true, "min");
    t = parse_ok("≤5分", NULL);
    assert_bounds(&t, false, 0, false, true, 5, true, "min");
    t = parse_ok("=365.00(天)", NULL);
    assert_bounds(&t, true, 365, true, true, 365, true, "day");
    t = parse_ok("≤3日", NULL);
    assert_bounds(&t, false, 0, false, true, 3, true, "day");
    t = parse_ok("≤48(小时)", NULL);
    assert_bounds(&t, false, 0, false, true, 48, true, "h");
    t = parse_ok("≤1.00 (%)", NULL);
    assert_bounds(&t, false, 0, false, true, 1, true, "%");
    t = parse_ok("$\\geq 95\\%$", NULL);
    assert_bounds(&t, true, 95, true, false, 0, false, "%");
    t = parse_ok("$\\leq 0$", "%");
    assert_bounds(&t, false, 0, false, true, 0, true, "%");
    t = parse_ok("＞９５．５％", NULL);
    assert_bounds(&t, true, 95.5, false, false, 0, false, "%");
    t = parse_ok("≧90", NULL);
    assert_bounds(&t, true, 90, true, false, 0, false, "");
    t = parse_ok("≦5（％）", NULL);
    assert_bounds(&t, false, 0, false, true, 5, true, "%");
    t = parse_ok("＜0.418", NULL);
    assert_bounds(&t, false, 0, false, true, 0.418, false, "");
    t = parse_ok("≥2210000000", NULL);
    assert_bounds(&t, true, 2210000000.0, true, false, 0, false, "");
    t = parse_ok("=19.246公里", NULL);
    assert_bounds(&t, true, 19.246, true, true, 19.246, true, "公里");
    t = parse_ok("≤10.00 (个工作日)", NULL);
    assert_bounds(&t, false, 0, false, true, 10, true, "个工作日");
    t = parse_ok("=5()", "h");
    assert_bounds(&t, true, 5, true, true, 5, true, "h");
}

static void
test_tgt_parse_unit_column(void **state)
{
    struct tgt t;

    (void)state;
    t = parse_ok("≥99", "%");
    assert_bounds(&t, true, 99, true, false, 0, false, "%");
    t = parse_ok("≥99%", "%");
    assert_bounds(&t, true, 99, true, false, 0, false, "%");
    t = parse_ok("≥99", "％");
    assert_string_equal(t.unit, "%");
    t = parse_ok("≤2", "小时");
    assert_string_equal(t.unit, "h");
    t = parse_ok("≥3000", "万平方米");
    assert_string_equal(t.unit, "万平方米");
    t = parse_ok("≥99", "");
    assert_string_equal(t.unit, "");
    /* A qualitative line's unit column reads 定性指标 and is ignored. */
    t = parse_ok("健全", "定性指标");
    assert_true(t.qualitative);
    assert_string_equal(t.unit, "");
    assert_int_equal(parse_err("≥99%", "h"), TGT_ERR_UNIT);
}

static void
test_tgt_parse_qualitative(void **state)
{
    static const char *const words[] = {
        "稳定", "健全", "持续24小时供电", "按月支付", "完善", "规范", "2020年年底前", "100%",
        "90",   "0-2",  "市级全部",       "...",
    };
    char prose[1024];
    struct tgt t;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        t = parse_ok(words[i], NULL);
        assert_true(t.qualitative);
        assert_false(t.has_lower || t.has_upper);
        assert_string_equal(t.unit, "");
    }
    /* Prose longer than the parser's buffer is still just qualitative. */
    prose[0] = '\0';
    for (i = 0; i < 60; i++)
        strcat(prose, "完成率达100%");
    t = parse_ok(prose, NULL);
    assert_true(t.qualitative);
}

static void
test_tgt_parse_errors(void **state)
{
    char longcmp[600];
    size_t i;

    (void)state;
    assert_int_equal(parse_err("", NULL), TGT_ERR_EMPTY);
    assert_int_equal(parse_err("   ", NULL), TGT_ERR_EMPTY);
    assert_int_equal(parse_err(NULL, NULL), TGT_ERR_EMPTY);
    assert_int_equal(parse_err("≥", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥", "%"), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("$\\leq$", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥abc", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥95%abc", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥(%)", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("=1,600", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥1.5.2", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥1e5", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥1.", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("=5(天", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥0&&", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥0&&≤2&&≤3", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥0&≤2", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥123456789012345678", NULL), TGT_ERR_SYNTAX);
    assert_int_equal(parse_err("≥5&&≤2", NULL), TGT_ERR_BOUNDS);
    assert_int_equal(parse_err(">2&&<2", NULL), TGT_ERR_BOUNDS);
    assert_int_equal(parse_err("≥1&&≥2", NULL), TGT_ERR_BOUNDS);
    assert_int_equal(parse_err("=1&&≤2", NULL), TGT_ERR_BOUNDS);
    assert_int_equal(parse_err("≥5%&&≤7h", NULL), TGT_ERR_UNIT);
    assert_int_equal(parse_err("≥1(一二三四五六七八九十一二三四五六七八九十)", NULL), TGT_ERR_UNIT);
    /* A comparison longer than the parser reads is refused, not cut. */
    strcpy(longcmp, "≥1");
    for (i = 0; i < 300; i++)
        strcat(longcmp, "0");
    assert_int_equal(parse_err(longcmp, NULL), TGT_ERR_SYNTAX);
}

static void
test_tgt_convert_time_units(void **state)
{
    double v = -1;

    (void)state;
    assert_int_equal(tgt_convert(90, "min", "h", &v), TGT_OK);
    assert_true(v == 1.5);
    assert_int_equal(tgt_convert(2, "小时", "分钟", &v), TGT_OK);
    assert_true(v == 120);
    assert_int_equal(tgt_convert(1, "天", "h", &v), TGT_OK);
    assert_true(v == 24);
    assert_int_equal(tgt_convert(36, "h", "day", &v), TGT_OK);
    assert_true(v == 1.5);
    assert_int_equal(tgt_convert(97, "%", "％", &v), TGT_OK);
    assert_true(v == 97);
    assert_int_equal(tgt_convert(19.246, "公里", "公里", &v), TGT_OK);
    assert_true(v == 19.246);
    v = -1;
    assert_int_equal(tgt_convert(97, "%", "h", &v), TGT_ERR_UNIT);
    assert_int_equal(tgt_convert(3, "次", "个", &v), TGT_ERR_UNIT);
    assert_int_equal(tgt_convert(3, "", "h", &v), TGT_ERR_UNIT);
    assert_true(v == -1);
}

static void
test_tgt_met_bounds(void **state)
{
    struct tgt t;

    (void)state;
    t = parse_ok("≥0&&≤2", "h");
    assert_int_equal(tgt_met(&t, 0), TGT_MET_YES);
    assert_int_equal(tgt_met(&t, 2), TGT_MET_YES);
    assert_int_equal(tgt_met(&t, 2.0000001), TGT_MET_NO);
    assert_int_equal(tgt_met(&t, -0.5), TGT_MET_NO);
    assert_int_equal(tgt_met(&t, NAN), TGT_MET_UNKNOWN);
    t = parse_ok("=100%", NULL);
    assert_int_equal(tgt_met(&t, 100), TGT_MET_YES);
    assert_int_equal(tgt_met(&t, 100.00000000000001), TGT_MET_YES);
    assert_int_equal(tgt_met(&t, 99.9), TGT_MET_NO);
    t = parse_ok("<0.418", NULL);
    assert_int_equal(tgt_met(&t, 0.417), TGT_MET_YES);
    assert_int_equal(tgt_met(&t, 0.418), TGT_MET_NO);
    t = parse_ok(">36项", NULL);
    assert_int_equal(tgt_met(&t, 36), TGT_MET_NO);
    assert_int_equal(tgt_met(&t, 37), TGT_MET_YES);
    t = parse_ok("=365(天)", NULL);
    assert_int_equal(tgt_met(&t, 365), TGT_MET_YES);
    assert_int_equal(tgt_met(&t, 364), TGT_MET_NO);
    t = parse_ok("稳定", NULL);
    assert_int_equal(tgt_met(&t, 1), TGT_MET_UNKNOWN);
}

static void
test_tgt_format_canonical(void **state)
{
    struct tgt t;
    char buf[64];

    (void)state;
    t = parse_ok("≥0&&≤2", "h");
    assert_int_equal(tgt_format(&t, buf, sizeof(buf)), (int)strlen("≥0 && ≤2 h"));
    assert_string_equal(buf, "≥0 && ≤2 h");
    t = parse_ok("=100%", NULL);
    tgt_format(&t, buf, sizeof(buf));
    assert_string_equal(buf, "=100 %");
    t = parse_ok("$\\geq 95\\%$", NULL);
    tgt_format(&t, buf, sizeof(buf));
    assert_string_equal(buf, "≥95 %");
    t = parse_ok("<0.418", NULL);
    tgt_format(&t, buf, sizeof(buf));
    assert_string_equal(buf, "<0.418");
    t = parse_ok("=19.246公里", NULL);
    tgt_format(&t, buf, sizeof(buf));
    assert_string_equal(buf, "=19.246 公里");
    t = parse_ok("≥2210000000", NULL);
    tgt_format(&t, buf, sizeof(buf));
    assert_string_equal(buf, "≥2210000000");
    t = parse_ok("持续24小时供电", NULL);
    tgt_format(&t, buf, sizeof(buf));
    assert_string_equal(buf, "qualitative");
    /* snprintf semantics: the needed length comes back, the text is cut and terminated. */
    t = parse_ok("≥0&&≤2", "h");
    assert_int_equal(tgt_format(&t, buf, 4), (int)strlen("≥0 && ≤2 h"));
    assert_int_equal(strlen(buf), 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tgt_parse_every_form_target),
        cmocka_unit_test(test_tgt_parse_notations),
        cmocka_unit_test(test_tgt_parse_unit_column),
        cmocka_unit_test(test_tgt_parse_qualitative),
        cmocka_unit_test(test_tgt_parse_errors),
        cmocka_unit_test(test_tgt_convert_time_units),
        cmocka_unit_test(test_tgt_met_bounds),
        cmocka_unit_test(test_tgt_format_canonical),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
