/*
 * rpt_table.c - the indicators as a plain-text table (see rpt_table.h).
 *
 * Columns are padded by display width, not bytes: a target such as "≥97(%)" (≥ is three bytes,
 * one column) or a Chinese word (two columns a character) would otherwise shift every column
 * after it. The width of a character comes from a small table of the wide (East Asian Wide
 * and Fullwidth) ranges and the combining marks, as wcwidth() gives them in a UTF-8 locale,
 * without depending on the locale the CLI runs in.
 */
#include "report/rpt_table.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/rpt_inc.h"

enum { C_ID = 0, C_KIND, C_VALUE, C_UNIT, C_TARGET, C_MET, C_STATUS, C_KEY, C_PROJ, NCOL };

static const char *const heads[NCOL] = {"id",  "kind",   "value", "unit",     "target",
                                        "met", "status", "key",   "projected"};

struct row {
    char cell[NCOL][128];
    int urgency;
    size_t order;
};

/* Columns a code point takes at a terminal. */
static int
cp_width(uint32_t c)
{
    static const uint32_t wide[][2] = {
        {0x1100, 0x115F}, {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF},
        {0x4E00, 0x9FFF}, {0xA000, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
        {0xFE30, 0xFE4F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x20000, 0x3FFFD},
    };

    if (c >= 0x300 && c <= 0x36F)
        return 0; /* combining marks */
    for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
        if (c >= wide[i][0] && c <= wide[i][1])
            return 2;
    return 1;
}

/* The display width of UTF-8 text (a stray byte counts one column). */
static int
text_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int w = 0;

    while (*p != '\0') {
        uint32_t c = *p;
        int n = 0;

        if (c >= 0xF0 && c < 0xF8)
            c &= 0x07, n = 3;
        else if (c >= 0xE0)
            c &= 0x0F, n = 2;
        else if (c >= 0xC0)
            c &= 0x1F, n = 1;
        p++;
        for (; n > 0 && (*p & 0xC0) == 0x80; n--, p++)
            c = (c << 6) | (*p & 0x3F);
        w += c < 0x80 ? 1 : cp_width(c);
    }
    return w;
}

static void
pad(FILE *fp, const char *s, int width, int right)
{
    int n = width - text_width(s);

    if (right)
        for (; n > 0; n--)
            fputc(' ', fp);
    fputs(s, fp);
    if (!right)
        for (; n > 0; n--)
            fputc(' ', fp);
}

/* How urgent a status is: lost first, unjudged last. */
static int
urgency(enum rpt_status s)
{
    switch (s) {
    case RPT_LOST:
        return 4;
    case RPT_AT_RISK:
        return 3;
    case RPT_UNVERIFIED:
        return 2;
    case RPT_OK:
        return 1;
    case RPT_NONE:
        break;
    }
    return 0;
}

/* An amount of budget in its unit, short: "3.2d", "5.1h", "38min", "2d". */
static void
amount(char *b, size_t len, double v, const char *unit)
{
    double s = strcmp(unit, "s") == 0 ? v : strcmp(unit, "h") == 0 ? v * 3600.0 : NAN;

    if (strcmp(unit, "day") == 0)
        snprintf(b, len, "%.0fd", v);
    else if (isnan(s))
        snprintf(b, len, "%.4g%s", v, unit);
    else if (fabs(s) >= 86400.0)
        snprintf(b, len, "%.1fd", s / 86400.0);
    else if (fabs(s) >= 3600.0)
        snprintf(b, len, "%.1fh", s / 3600.0);
    else
        snprintf(b, len, "%.0fmin", s / 60.0);
}

/*
 * The number that matters most for this target now: the coverage when unverified, the time
 * an open incident may still last (mean targets), the budget left, else nothing (the
 * projection has its own column).
 */
static void
key_number(char *b, size_t len, const struct cfg_indicator *in, const struct rpt_judgement *j,
           double coverage)
{
    char a[48];

    if (j->status == RPT_UNVERIFIED && !isnan(coverage)) {
        snprintf(b, len, coverage < 0.1 ? "coverage %.1f%%" : "coverage %.0f%%", coverage * 100.0);
    } else if ((in->kind == CFG_IND_MTTR || in->kind == CFG_IND_MTTA) && j->has_budget &&
               j->status == RPT_AT_RISK) {
        snprintf(b, len, "%.0f min left", j->left / 60.0);
    } else if (j->has_budget && !isnan(j->left)) {
        amount(a, sizeof(a), j->left, j->budget_unit);
        snprintf(b, len, "budget left %s", a);
    } else {
        snprintf(b, len, "-");
    }
}

static void
fill(struct row *r, size_t order, const struct cfg_indicator *in, double value,
     const struct rpt_judgement *j, double coverage)
{
    const char *st = rpt_status_name(j->status);

    r->order = order;
    r->urgency = urgency(j->status);
    snprintf(r->cell[C_ID], sizeof(r->cell[C_ID]), "%s", in->id);
    snprintf(r->cell[C_KIND], sizeof(r->cell[C_KIND]), "%s", cfg_ind_kind_name(in->kind));
    snprintf(r->cell[C_VALUE], sizeof(r->cell[C_VALUE]), "%.4f", value);
    snprintf(r->cell[C_UNIT], sizeof(r->cell[C_UNIT]), "%s", cfg_ind_kind_unit(in->kind));
    snprintf(r->cell[C_TARGET], sizeof(r->cell[C_TARGET]), "%s",
             in->target_text != NULL ? in->target_text : "-");
    snprintf(r->cell[C_MET], sizeof(r->cell[C_MET]), "%s",
             j->met < 0 ? "-"
             : j->met   ? "yes"
                        : "no");
    snprintf(r->cell[C_STATUS], sizeof(r->cell[C_STATUS]), "%s", st != NULL ? st : "-");
    key_number(r->cell[C_KEY], sizeof(r->cell[C_KEY]), in, j, coverage);
    if (isnan(j->projection))
        snprintf(r->cell[C_PROJ], sizeof(r->cell[C_PROJ]), "-");
    else
        snprintf(r->cell[C_PROJ], sizeof(r->cell[C_PROJ]), "%.4f", j->projection);
}

static int
by_urgency(const void *a, const void *b)
{
    const struct row *x = a, *y = b;

    if (x->urgency != y->urgency)
        return y->urgency - x->urgency;
    return x->order < y->order ? -1 : x->order > y->order;
}

void
rpt_table(FILE *fp, const struct rw_config *cfg, struct eng *e, const struct ist_result *res,
          const struct rpt_period *p, int64_t now)
{
    size_t n = cfg->nindicators + (res != NULL ? cfg->ninc_indicators : 0), k = 0;
    struct row *rows = calloc(n + 1, sizeof(*rows));
    int w[NCOL];

    if (rows == NULL) {
        fputs("out of memory\n", fp);
        return;
    }
    for (size_t i = 0; e != NULL && i < cfg->nindicators; i++) {
        const struct eng_result *r = eng_result(e, i);
        struct rpt_judgement j;

        rpt_judge(&cfg->indicators[i], e, i, r, p, &j);
        fill(&rows[k], k, &cfg->indicators[i], r->value, &j, r->coverage);
        k++;
    }
    for (size_t i = 0; res != NULL && i < cfg->ninc_indicators; i++) {
        struct rpt_judgement j;

        rpt_inc_judge(&cfg->inc_indicators[i], &res[i], p, now, &j);
        fill(&rows[k], k, &cfg->inc_indicators[i], res[i].value, &j, NAN);
        k++;
    }
    qsort(rows, k, sizeof(*rows), by_urgency);
    for (int c = 0; c < NCOL; c++) {
        w[c] = text_width(heads[c]);
        for (size_t i = 0; i < k; i++)
            if (text_width(rows[i].cell[c]) > w[c])
                w[c] = text_width(rows[i].cell[c]);
    }
    for (int c = 0; c < NCOL; c++) {
        pad(fp, heads[c], c == NCOL - 1 ? 0 : w[c], c == C_VALUE);
        fputs(c == NCOL - 1 ? "\n" : " ", fp);
    }
    for (size_t i = 0; i < k; i++)
        for (int c = 0; c < NCOL; c++) {
            pad(fp, rows[i].cell[c], c == NCOL - 1 ? 0 : w[c], c == C_VALUE);
            fputs(c == NCOL - 1 ? "\n" : " ", fp);
        }
    free(rows);
}
