/*
 * rep_xlsx.c - the self-evaluation workbook (see rep_xlsx.h).
 */
#include "rep_xlsx.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <xlsxwriter.h>

#include "report/increc.h"

#define CHART_ROWS 15 /* rows a monthly chart takes */
#define CHART_COLS 8
#define SHEET_MAX 31  /* characters in a sheet name (Excel's limit) */
#define NAME_LEN 160  /* bytes of a sheet name, room prefix included */
#define PREFIX_LEN 96 /* bytes of a room's prefix */

struct wb {
    lxw_workbook *wb;
    int zh;
    lxw_format *title, *head, *text, *wrap, *num, *pct, *date, *time, *month, *bold;
    char prefix[PREFIX_LEN]; /* the room's, before each sheet name; "" for one room */
    char monthly[REP_XLSX_MAX_ROOMS][NAME_LEN]; /* the monthly sheets' names, for the charts */
    size_t room;
};

#define L(w, zh_text, en_text) ((w)->zh ? (zh_text) : (en_text))

/* UTF-8 characters in s. */
static size_t
chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* A sheet of the room being written: its prefix, then base. The name is kept in buf
 * (NAME_LEN bytes) when not NULL. */
static lxw_worksheet *
add_sheet(struct wb *w, const char *base, char *buf)
{
    char name[NAME_LEN];

    snprintf(name, sizeof(name), "%s%s", w->prefix, base);
    if (buf != NULL)
        snprintf(buf, NAME_LEN, "%s", name);
    return workbook_add_worksheet(w->wb, name);
}

static const char *
str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* A local RFC 3339 time ("2024-03-10T23:50:00+08:00", or a date) as an Excel date: 1, or 0. */
static int
to_datetime(const char *rfc, lxw_datetime *dt)
{
    double sec = 0;

    memset(dt, 0, sizeof(*dt));
    if (rfc == NULL || sscanf(rfc, "%d-%d-%d", &dt->year, &dt->month, &dt->day) != 3)
        return 0;
    if (strlen(rfc) > 10 && sscanf(rfc + 10, "T%d:%d:%lf", &dt->hour, &dt->min, &sec) == 3)
        dt->sec = sec;
    return 1;
}

static void
put_text(lxw_worksheet *ws, int r, int c, const char *s, lxw_format *f)
{
    if (s != NULL)
        worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)c, s, f);
    else
        worksheet_write_blank(ws, (lxw_row_t)r, (lxw_col_t)c, f);
}

static void
put_num(lxw_worksheet *ws, int r, int c, const json_t *v, lxw_format *f)
{
    if (json_is_number(v))
        worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)c, json_number_value(v), f);
    else
        worksheet_write_blank(ws, (lxw_row_t)r, (lxw_col_t)c, f);
}

static void
put_time(const struct wb *w, lxw_worksheet *ws, int r, int c, const char *rfc)
{
    lxw_datetime dt;

    if (to_datetime(rfc, &dt))
        worksheet_write_datetime(ws, (lxw_row_t)r, (lxw_col_t)c, &dt,
                                 strlen(rfc) > 10 ? w->time : w->date);
    else
        worksheet_write_blank(ws, (lxw_row_t)r, (lxw_col_t)c, w->text);
}

/* The number format of a value of unit: a fraction as percent, or the unit after the number. */
static lxw_format *
unit_format(struct wb *w, const char *unit, const char *label)
{
    char nf[96];
    lxw_format *f;

    if (unit != NULL && strcmp(unit, "%") == 0)
        return w->pct;
    if (label == NULL || label[0] == '\0')
        return w->num;
    snprintf(nf, sizeof(nf), "0.00## \"%s\"", label);
    f = workbook_add_format(w->wb);
    format_set_num_format(f, nf);
    format_set_border(f, LXW_BORDER_THIN);
    format_set_align(f, LXW_ALIGN_VERTICAL_CENTER);
    return f;
}

/* A percent value as the fraction its cell holds. */
static void
put_value(struct wb *w, lxw_worksheet *ws, int r, int c, const json_t *v, const char *unit,
          const char *label)
{
    lxw_format *f = unit_format(w, unit, label);

    if (json_is_number(v) && unit != NULL && strcmp(unit, "%") == 0)
        worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)c, json_number_value(v) / 100.0, f);
    else
        put_num(ws, r, c, v, f);
}

static void
header_row(const struct wb *w, lxw_worksheet *ws, int r, const char *const *cols, size_t n)
{
    for (size_t c = 0; c < n; c++)
        worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)c, cols[c], w->head);
}

static void
form_sheet(struct wb *w, const json_t *doc)
{
    lxw_worksheet *ws = add_sheet(w, L(w, "绩效自评表", "Self-evaluation"), NULL);
    const json_t *h = json_object_get(doc, "header"), *per = json_object_get(doc, "period");
    const json_t *lines = json_object_get(doc, "lines"), *l, *total = json_object_get(doc, "total");
    static const char *const zh_cols[] = {
        "一级指标", "二级指标", "三级指标", "年度指标值(A)",         "实际完成值(B)",
        "完成情况", "分值",     "得分",     "偏差原因分析及改进措施"};
    static const char *const en_cols[] = {"Level 1",    "Level 2",    "Indicator",
                                          "Target (A)", "Actual (B)", "Completion",
                                          "Weight",     "Score",      "Deviation and measures"};
    const char *labels[] = {L(w, "项目名称", "Project"), L(w, "主管部门", "Department"),
                            L(w, "实施单位", "Implementer")};
    const char *keys[] = {"project", "department", "implementer"};
    char buf[160];
    size_t i;
    int r, first;

    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 9);
    worksheet_fit_to_pages(ws, 1, 0);
    worksheet_set_column(ws, 0, 1, 12, NULL);
    worksheet_set_column(ws, 2, 2, 26, NULL);
    worksheet_set_column(ws, 3, 4, 20, NULL); /* a date and time shows ### under 19 */
    worksheet_set_column(ws, 5, 5, 24, NULL);
    worksheet_set_column(ws, 6, 7, 10, NULL);
    worksheet_set_column(ws, 8, 8, 60, NULL);
    worksheet_merge_range(ws, 0, 0, 0, 8, str(doc, "title"), w->title);
    worksheet_set_row(ws, 0, 30, NULL);
    for (r = 1; r <= 3; r++) {
        worksheet_write_string(ws, (lxw_row_t)r, 0, labels[r - 1], w->head);
        worksheet_merge_range(ws, (lxw_row_t)r, 1, (lxw_row_t)r, 8,
                              str(h, keys[r - 1]) != NULL ? str(h, keys[r - 1]) : "", w->text);
    }
    worksheet_write_string(ws, 4, 0, L(w, "年度", "Year"), w->head);
    worksheet_write_number(ws, 4, 1, (double)json_integer_value(json_object_get(h, "year")),
                           w->text);
    worksheet_write_string(ws, 4, 2, L(w, "监测期间", "Period"), w->head);
    put_time(w, ws, 4, 3, str(per, "start"));
    put_time(w, ws, 4, 4, str(per, "end"));
    worksheet_write_string(ws, 4, 5, L(w, "数据截至", "As of"), w->head);
    worksheet_merge_range(ws, 4, 6, 4, 7, "", w->time);
    put_time(w, ws, 4, 6, str(doc, "as_of"));
    worksheet_write_string(ws, 4, 8,
                           json_is_true(json_object_get(doc, "final"))
                               ? L(w, "期间已结束，数值为最终值", "period over: final values")
                               : L(w, "期间未结束，数值截至上次存档",
                                   "period running: values as "
                                   "of the last checkpoint"),
                           w->text);
    header_row(w, ws, 6, w->zh ? zh_cols : en_cols, 9);
    worksheet_set_row(ws, 6, 30, NULL);
    first = 7;
    r = first;
    json_array_foreach(lines, i, l)
    {
        const char *dev = str(l, "deviation");
        size_t len = dev != NULL ? strlen(dev) : 0;

        put_text(ws, r, 0, str(l, "level1"), w->wrap);
        put_text(ws, r, 1, str(l, "level2"), w->wrap);
        put_text(ws, r, 2, str(l, "level3"), w->wrap);
        put_text(ws, r, 3, str(l, "target"), w->wrap);
        if (str(l, "text") != NULL) /* a result in words, entered by hand */
            put_text(ws, r, 4, str(l, "text"), w->wrap);
        else
            put_value(w, ws, r, 4, json_object_get(l, "value"), str(l, "unit"),
                      str(l, "unit_label"));
        put_text(ws, r, 5, str(l, "completion_label"), w->wrap);
        put_num(ws, r, 6, json_object_get(l, "weight"), w->num);
        put_num(ws, r, 7, json_object_get(l, "score"), w->num);
        put_text(ws, r, 8, dev, w->wrap);
        /* LibreOffice does not grow a wrapped row: about 30 CJK characters (90 bytes) a line. */
        worksheet_set_row(ws, (lxw_row_t)r, 16.0 * (double)(1 + len / 90) + 4, NULL);
        r++;
    }
    worksheet_write_string(ws, (lxw_row_t)r, 0, L(w, "总分", "Total"), w->head);
    if (json_is_number(json_object_get(total, "weight"))) {
        snprintf(buf, sizeof(buf), "=SUM(G%d:G%d)", first + 1, r);
        worksheet_write_formula_num(ws, (lxw_row_t)r, 6, buf, w->num,
                                    json_number_value(json_object_get(total, "weight")));
    }
    if (json_is_number(json_object_get(total, "score"))) {
        snprintf(buf, sizeof(buf), "=SUM(H%d:H%d)", first + 1, r);
        worksheet_write_formula_num(ws, (lxw_row_t)r, 7, buf, w->num,
                                    json_number_value(json_object_get(total, "score")));
    }
    worksheet_freeze_panes(ws, 7, 0);
}

static void
monthly_sheet(struct wb *w, const json_t *doc)
{
    const char *name = w->monthly[w->room];
    lxw_worksheet *ws = add_sheet(w, L(w, "月度数值", "Monthly"), w->monthly[w->room]);
    const json_t *months = json_object_get(doc, "months"),
                 *monthly = json_object_get(doc, "monthly");
    const json_t *m, *ind;
    size_t nm = json_array_size(months), i, k;
    int r = 1, charts = 0;
    int chart_row = 2 * (int)json_array_size(monthly) + 3;

    worksheet_set_column(ws, 0, 0, 26, NULL);
    worksheet_set_column(ws, 1, 2, 10, NULL);
    worksheet_set_column(ws, 3, (lxw_col_t)(3 + nm), 11, NULL);
    worksheet_write_string(ws, 0, 0, L(w, "三级指标", "Indicator"), w->head);
    worksheet_write_string(ws, 0, 1, L(w, "指标", "id"), w->head);
    worksheet_write_string(ws, 0, 2, L(w, "系列", "Series"), w->head);
    json_array_foreach(months, k, m)
    {
        char day[16];
        lxw_datetime dt;

        snprintf(day, sizeof(day), "%s-01", json_string_value(m));
        to_datetime(day, &dt);
        worksheet_write_datetime(ws, 0, (lxw_col_t)(3 + k), &dt, w->month);
    }
    json_array_foreach(monthly, i, ind)
    {
        const char *unit = str(ind, "unit");
        int pct = unit != NULL && strcmp(unit, "%") == 0, any = 0;
        lxw_format *f = pct ? w->pct : w->num;

        put_text(ws, r, 0, str(ind, "name"), w->text);
        put_text(ws, r, 1, str(ind, "id"), w->text);
        worksheet_write_string(ws, (lxw_row_t)r, 2, L(w, "实际", "actual"), w->text);
        put_text(ws, r + 1, 0, str(ind, "name"), w->text);
        put_text(ws, r + 1, 1, str(ind, "id"), w->text);
        worksheet_write_string(ws, (lxw_row_t)(r + 1), 2, L(w, "目标", "target"), w->text);
        for (k = 0; k < nm; k++) {
            const json_t *v = json_array_get(json_object_get(ind, "values"), k);
            const json_t *t = json_array_get(json_object_get(ind, "targets"), k);

            any |= json_is_number(v);
            if (pct && json_is_number(v))
                worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)(3 + k),
                                       json_number_value(v) / 100.0, f);
            else
                put_num(ws, r, (int)(3 + k), v, f);
            if (pct && json_is_number(t))
                worksheet_write_number(ws, (lxw_row_t)(r + 1), (lxw_col_t)(3 + k),
                                       json_number_value(t) / 100.0, f);
            else
                put_num(ws, r + 1, (int)(3 + k), t, f);
        }
        if (any && nm > 1) {
            lxw_chart *ch = workbook_add_chart(w->wb, LXW_CHART_LINE);
            lxw_chart_series *s = chart_add_series(ch, NULL, NULL);
            lxw_chart_line dash = {.color = LXW_COLOR_RED, .dash_type = LXW_CHART_LINE_DASH_DASH};
            char title[256];

            chart_series_set_categories(s, name, 0, 3, 0, (lxw_col_t)(3 + nm - 1));
            chart_series_set_values(s, name, (lxw_row_t)r, 3, (lxw_row_t)r,
                                    (lxw_col_t)(3 + nm - 1));
            chart_series_set_name(s, L(w, "实际", "actual"));
            if (json_is_number(json_array_get(json_object_get(ind, "targets"), 0))) {
                lxw_chart_series *t = chart_add_series(ch, NULL, NULL);

                chart_series_set_categories(t, name, 0, 3, 0, (lxw_col_t)(3 + nm - 1));
                chart_series_set_values(t, name, (lxw_row_t)(r + 1), 3, (lxw_row_t)(r + 1),
                                        (lxw_col_t)(3 + nm - 1));
                chart_series_set_name(t, L(w, "目标", "target"));
                chart_series_set_line(t, &dash);
            }
            snprintf(title, sizeof(title), "%s (%s)", str(ind, "name"), str(ind, "id"));
            chart_title_set_name(ch, title);
            chart_axis_set_num_format(ch->x_axis, "yyyy-mm");
            if (pct)
                chart_axis_set_num_format(ch->y_axis, "0.00%");
            worksheet_insert_chart(ws, (lxw_row_t)(chart_row + (charts / 2) * CHART_ROWS),
                                   (lxw_col_t)((charts % 2) * CHART_COLS), ch);
            charts++;
        }
        r += 2;
    }
    worksheet_freeze_panes(ws, 1, 3);
}

static void
incident_sheet(struct wb *w, const json_t *doc)
{
    lxw_worksheet *ws = add_sheet(w, L(w, "故障处理记录", "Incidents"), NULL);
    const char *head[INCREC_NCOLUMNS];
    size_t n = INCREC_NCOLUMNS, i;
    const json_t *in;

    for (size_t c = 0; c < n; c++) {
        head[c] = w->zh ? increc_columns[c].zh : increc_columns[c].key;
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, increc_columns[c].time ? 20 : 14,
                             NULL);
    }
    header_row(w, ws, 0, head, n);
    json_array_foreach(json_object_get(doc, "incidents"), i, in)
    {
        for (size_t c = 0; c < n; c++) {
            const json_t *v = json_object_get(in, increc_columns[c].key);
            int r = (int)i + 1;
            char flags[256];

            if (increc_columns[c].time)
                put_time(w, ws, r, (int)c, json_string_value(v));
            else if (json_is_number(v))
                put_num(ws, r, (int)c, v, w->num);
            else
                put_text(ws, r, (int)c, increc_text(v, flags, sizeof(flags)), w->wrap);
        }
    }
    worksheet_freeze_panes(ws, 1, 1);
    if (json_array_size(json_object_get(doc, "incidents")) > 0)
        worksheet_autofilter(ws, 0, 0,
                             (lxw_row_t)json_array_size(json_object_get(doc, "incidents")),
                             (lxw_col_t)(n - 1));
}

static void
interruption_sheet(struct wb *w, const json_t *doc)
{
    lxw_worksheet *ws = add_sheet(w, L(w, "供电中断", "Interruptions"), NULL);
    const char *zh[] = {"指标", "三级指标", "开始", "结束", "时长(秒)", "时长(分钟)"};
    const char *en[] = {"id", "indicator", "start", "end", "seconds", "minutes"};
    const json_t *it;
    size_t i;

    header_row(w, ws, 0, w->zh ? zh : en, 6);
    worksheet_set_column(ws, 0, 1, 20, NULL);
    worksheet_set_column(ws, 2, 3, 20, NULL);
    worksheet_set_column(ws, 4, 5, 12, NULL);
    json_array_foreach(json_object_get(doc, "interruptions"), i, it)
    {
        int r = (int)i + 1;
        char f[32];

        put_text(ws, r, 0, str(it, "indicator"), w->text);
        put_text(ws, r, 1, str(it, "name"), w->text);
        put_time(w, ws, r, 2, str(it, "start"));
        put_time(w, ws, r, 3, str(it, "end"));
        put_num(ws, r, 4, json_object_get(it, "seconds"), w->num);
        snprintf(f, sizeof(f), "=E%d/60", r + 1);
        worksheet_write_formula_num(ws, (lxw_row_t)r, 5, f, w->num,
                                    json_number_value(json_object_get(it, "seconds")) / 60.0);
    }
}

static void
event_sheet(struct wb *w, const json_t *doc)
{
    lxw_worksheet *ws = add_sheet(w, L(w, "运维与安全事件", "Events"), NULL);
    const char *zh[] = {"编号", "类别", "时间", "记录人", "说明", "关联故障", "录入时间"};
    const char *en[] = {"id", "kind", "at", "by", "note", "incident", "recorded"};
    const json_t *ev;
    size_t i;

    header_row(w, ws, 0, w->zh ? zh : en, 7);
    worksheet_set_column(ws, 0, 6, 18, NULL);
    worksheet_set_column(ws, 4, 4, 40, NULL);
    json_array_foreach(json_object_get(doc, "events"), i, ev)
    {
        int r = (int)i + 1;

        put_num(ws, r, 0, json_object_get(ev, "id"), w->num);
        put_text(ws, r, 1, str(ev, "kind"), w->text);
        put_time(w, ws, r, 2, str(ev, "at"));
        put_text(ws, r, 3, str(ev, "by"), w->text);
        put_text(ws, r, 4, str(ev, "note"), w->wrap);
        put_num(ws, r, 5, json_object_get(ev, "incident"), w->num);
        put_time(w, ws, r, 6, str(ev, "recorded"));
    }
}

static void
unknown_sheet(struct wb *w, const json_t *doc)
{
    lxw_worksheet *ws = add_sheet(w, L(w, "未知时段", "Unknown time"), NULL);
    const char *zh[] = {"指标",         "三级指标",       "起始日期", "截止日期", "天数",
                        "未知时长(秒)", "未知时长(分钟)", "原因"};
    const char *en[] = {"id", "indicator", "from", "to", "days", "seconds", "minutes", "why"};
    const json_t *u;
    size_t i;

    header_row(w, ws, 0, w->zh ? zh : en, 8);
    worksheet_set_column(ws, 0, 1, 22, NULL);
    worksheet_set_column(ws, 2, 6, 14, NULL);
    worksheet_set_column(ws, 7, 7, 60, NULL);
    json_array_foreach(json_object_get(doc, "unknown"), i, u)
    {
        int r = (int)i + 1;
        char f[32];

        put_text(ws, r, 0, str(u, "indicator"), w->text);
        put_text(ws, r, 1, str(u, "name"), w->text);
        put_time(w, ws, r, 2, str(u, "date"));
        put_time(w, ws, r, 3, str(u, "to"));
        put_num(ws, r, 4, json_object_get(u, "days"), w->num);
        put_num(ws, r, 5, json_object_get(u, "unknown_s"), w->num);
        snprintf(f, sizeof(f), "=F%d/60", r + 1);
        worksheet_write_formula_num(ws, (lxw_row_t)r, 6, f, w->num,
                                    json_number_value(json_object_get(u, "unknown_s")) / 60.0);
        put_text(ws, r, 7, str(u, "reason"), w->text);
    }
}

static void
notes_sheet(struct wb *w, const json_t *doc)
{
    lxw_worksheet *ws = add_sheet(w, L(w, "说明", "Notes"), NULL);
    const char *zh[] = {"指标",     "三级指标", "计算方法", "分子",   "分母",
                        "分子含义", "分母含义", "复算值",   "完成值", "单位"};
    const char *en[] = {"id",           "indicator",      "method",     "numerator", "denominator",
                        "numerator is", "denominator is", "recomputed", "value",     "unit"};
    const json_t *n;
    size_t i;
    int r = 1;

    header_row(w, ws, 0, w->zh ? zh : en, 10);
    worksheet_set_column(ws, 0, 1, 22, NULL);
    worksheet_set_column(ws, 2, 2, 50, NULL);
    worksheet_set_column(ws, 3, 9, 14, NULL);
    json_array_foreach(json_object_get(doc, "notes"), i, n)
    {
        const char *unit = str(n, "unit");
        double num = json_number_value(json_object_get(n, "numerator"));
        double den = json_number_value(json_object_get(n, "denominator"));
        char f[64];

        put_text(ws, r, 0, str(n, "id"), w->text);
        put_text(ws, r, 1, str(n, "name"), w->text);
        put_text(ws, r, 2, str(n, "method"), w->wrap);
        put_num(ws, r, 3, json_object_get(n, "numerator"), w->num);
        put_num(ws, r, 4, json_object_get(n, "denominator"), w->num);
        put_text(ws, r, 5, str(n, "numerator_label"), w->text);
        put_text(ws, r, 6, str(n, "denominator_label"), w->text);
        /* A rate recomputed from its raw parts, so an auditor sees the arithmetic. */
        if (unit != NULL && strcmp(unit, "%") == 0 &&
            json_is_number(json_object_get(n, "numerator")) &&
            json_is_number(json_object_get(n, "denominator")) && den > 0) {
            snprintf(f, sizeof(f), "=D%d/E%d", r + 1, r + 1);
            worksheet_write_formula_num(ws, (lxw_row_t)r, 7, f, w->pct, num / den);
        } else if (unit != NULL && strcmp(unit, "h") == 0 && den > 0 &&
                   json_is_number(json_object_get(n, "numerator"))) {
            snprintf(f, sizeof(f), "=D%d/E%d", r + 1, r + 1);
            worksheet_write_formula_num(ws, (lxw_row_t)r, 7, f, w->num, num / den);
        }
        if (json_is_number(json_object_get(n, "value")) && unit != NULL && strcmp(unit, "%") == 0)
            worksheet_write_number(ws, (lxw_row_t)r, 8,
                                   json_number_value(json_object_get(n, "value")) / 100.0, w->pct);
        else
            put_num(ws, r, 8, json_object_get(n, "value"), w->num);
        put_text(ws, r, 9, unit, w->text);
        r++;
    }
}

static lxw_format *
fmt(lxw_workbook *wb, const char *num, int bold, int wrap)
{
    lxw_format *f = workbook_add_format(wb);

    if (num != NULL)
        format_set_num_format(f, num);
    if (bold)
        format_set_bold(f);
    if (wrap)
        format_set_text_wrap(f);
    format_set_border(f, LXW_BORDER_THIN);
    format_set_align(f, LXW_ALIGN_VERTICAL_CENTER);
    return f;
}

/* The prefix of room k of n before its sheets: "" for one room, else its site id and a
 * space when every sheet name then fits Excel's 31 characters, else "Room k ". */
static void
room_prefix(struct wb *w, const json_t *doc, size_t k, size_t n)
{
    const char *site = str(json_object_get(doc, "header"), "site");
    const char *longest = L(w, "运维与安全事件", "Unknown time");
    char name[NAME_LEN];

    w->prefix[0] = '\0';
    if (n < 2)
        return;
    snprintf(w->prefix, sizeof(w->prefix), "%s ", site != NULL ? site : "");
    snprintf(name, sizeof(name), "%s%s", w->prefix, longest);
    if (site == NULL || chars(name) > SHEET_MAX ||
        workbook_validate_sheet_name(w->wb, name) != LXW_NO_ERROR)
        snprintf(w->prefix, sizeof(w->prefix), "%s%zu ", L(w, "机房", "Room "), k + 1);
}

/* The summary of several rooms: one row each, the lines' completion and the scores. */
static void
summary_sheet(struct wb *w, const json_t *const *docs, size_t n)
{
    lxw_worksheet *ws = workbook_add_worksheet(w->wb, L(w, "汇总", "Summary"));
    const char *zh[] = {"机房", "名称",   "项目名称", "监测期间", "数据截至", "指标数",
                        "达成", "未达成", "无法判定", "分值",     "得分"};
    const char *en[] = {"site", "name",    "project",          "period start", "as of", "lines",
                        "met",  "not met", "cannot be judged", "weight",       "score"};

    worksheet_merge_range(ws, 0, 0, 0, 10, str(docs[0], "title"), w->title);
    header_row(w, ws, 1, w->zh ? zh : en, 11);
    worksheet_set_column(ws, 0, 2, 18, NULL);
    worksheet_set_column(ws, 3, 4, 20, NULL);
    worksheet_set_column(ws, 5, 10, 10, NULL);
    for (size_t k = 0; k < n; k++) {
        const json_t *h = json_object_get(docs[k], "header"), *l;
        int r = (int)k + 2, met = 0, unmet = 0, unknown = 0;
        size_t i;

        json_array_foreach(json_object_get(docs[k], "lines"), i, l)
        {
            const char *c = str(l, "completion");

            met += c != NULL && strcmp(c, "met") == 0;
            unmet += c != NULL && strcmp(c, "unmet") == 0;
            unknown += c != NULL && strcmp(c, "unknown") == 0;
        }
        put_text(ws, r, 0, str(h, "site"), w->text);
        put_text(ws, r, 1, str(h, "site_name"), w->text);
        put_text(ws, r, 2, str(h, "project"), w->text);
        put_time(w, ws, r, 3, str(json_object_get(docs[k], "period"), "start"));
        put_time(w, ws, r, 4, str(docs[k], "as_of"));
        worksheet_write_number(ws, (lxw_row_t)r, 5,
                               (double)json_array_size(json_object_get(docs[k], "lines")), w->num);
        worksheet_write_number(ws, (lxw_row_t)r, 6, met, w->num);
        worksheet_write_number(ws, (lxw_row_t)r, 7, unmet, w->num);
        worksheet_write_number(ws, (lxw_row_t)r, 8, unknown, w->num);
        put_num(ws, r, 9, json_object_get(json_object_get(docs[k], "total"), "weight"), w->num);
        put_num(ws, r, 10, json_object_get(json_object_get(docs[k], "total"), "score"), w->num);
    }
}

int
rep_xlsx_write(const json_t *const *docs, size_t n, const char *path, char *err, size_t errlen)
{
    struct wb w = {0};
    lxw_doc_properties props = {0};
    lxw_error e;
    const json_t *doc = docs[0];

    if (n < 1 || n > REP_XLSX_MAX_ROOMS) {
        snprintf(err, errlen, "1 to %d rooms in one workbook", REP_XLSX_MAX_ROOMS);
        return -1;
    }
    w.zh = strcmp(str(doc, "lang") != NULL ? str(doc, "lang") : "zh", "zh") == 0;
    if ((w.wb = workbook_new(path)) == NULL) {
        snprintf(err, errlen, "cannot create the workbook");
        return -1;
    }
    w.title = fmt(w.wb, NULL, 1, 0);
    format_set_font_size(w.title, 16);
    format_set_align(w.title, LXW_ALIGN_CENTER);
    format_set_border(w.title, LXW_BORDER_NONE);
    w.head = fmt(w.wb, NULL, 1, 1);
    format_set_bg_color(w.head, 0xDDEBF7);
    format_set_align(w.head, LXW_ALIGN_CENTER);
    w.text = fmt(w.wb, NULL, 0, 0);
    w.wrap = fmt(w.wb, NULL, 0, 1);
    w.num = fmt(w.wb, "0.00##", 0, 0);
    w.pct = fmt(w.wb, "0.00%", 0, 0);
    w.date = fmt(w.wb, "yyyy-mm-dd", 0, 0);
    w.time = fmt(w.wb, "yyyy-mm-dd hh:mm:ss", 0, 0);
    w.month = fmt(w.wb, "yyyy-mm", 1, 0);
    props.title = (char *)str(doc, "title");
    props.company = (char *)str(json_object_get(doc, "header"), "department");
    props.author = "roomwatch";
    props.comments = (char *)L(&w, "由 roomwatch report 生成", "made by roomwatch report");
    workbook_set_properties(w.wb, &props);
    if (n > 1)
        summary_sheet(&w, docs, n);
    for (w.room = 0; w.room < n; w.room++) {
        room_prefix(&w, docs[w.room], w.room, n);
        form_sheet(&w, docs[w.room]);
        monthly_sheet(&w, docs[w.room]);
        incident_sheet(&w, docs[w.room]);
        interruption_sheet(&w, docs[w.room]);
        event_sheet(&w, docs[w.room]);
        unknown_sheet(&w, docs[w.room]);
        notes_sheet(&w, docs[w.room]);
    }
    if ((e = workbook_close(w.wb)) != LXW_NO_ERROR) {
        snprintf(err, errlen, "%s", lxw_strerror(e));
        return -1;
    }
    return 0;
}
