/*
 * rep_html.c - the self-evaluation as one HTML file with inline SVG charts (see rep_html.h).
 */
#include "rep_html.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CW 340.0 /* a monthly chart's size, px */
#define CH 190.0
#define PAD 34.0
#define TW 700.0 /* the timeline's width */

struct html {
    FILE *fp;
    int zh;
    const json_t *doc;
};

#define L(h, zh_text, en_text) ((h)->zh ? (zh_text) : (en_text))

static const char *
str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Text as HTML (element content and attribute values). */
static void
esc(FILE *fp, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", fp);
            break;
        case '<':
            fputs("&lt;", fp);
            break;
        case '>':
            fputs("&gt;", fp);
            break;
        case '"':
            fputs("&quot;", fp);
            break;
        case '\'':
            fputs("&#39;", fp);
            break;
        default:
            fputc(*s, fp);
        }
    }
}

/* Days from 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static long
days_from_civil(int y, int m, int d)
{
    long era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

/* A local RFC 3339 time (or date) as fractional days since 1970 (local wall clock); NaN. */
static double
local_days(const char *rfc)
{
    int y, m, d, hh = 0, mm = 0;

    if (rfc == NULL || sscanf(rfc, "%d-%d-%d", &y, &m, &d) != 3)
        return NAN;
    if (strlen(rfc) > 10)
        sscanf(rfc + 10, "T%d:%d", &hh, &mm);
    return (double)days_from_civil(y, m, d) + (hh * 60 + mm) / 1440.0;
}

static void
style(FILE *fp)
{
    fputs("<style>\n"
          "@page { size: A4; margin: 14mm 12mm; }\n"
          "body { font-family: 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', "
          "'Microsoft YaHei', sans-serif; font-size: 10.5pt; color: #111; margin: 0 auto; "
          "max-width: 190mm; }\n"
          "h1 { font-size: 16pt; text-align: center; margin: 6mm 0 3mm; }\n"
          "h2 { font-size: 12.5pt; margin: 6mm 0 2mm; border-bottom: 1px solid #999; }\n"
          "table { border-collapse: collapse; width: 100%; margin-bottom: 3mm; }\n"
          "th, td { border: 1px solid #777; padding: 1.2mm 1.5mm; vertical-align: top; }\n"
          "th { background: #ddebf7; font-weight: bold; }\n"
          "table.head th { width: 6em; white-space: nowrap; }\n"
          "table.form { font-size: 9pt; }\n"
          "table.form { table-layout: fixed; word-wrap: break-word; }\n"
          "td.n { text-align: right; white-space: nowrap; }\n"
          "td.met { color: #1a7f37; } td.unmet { color: #c62828; font-weight: bold; }\n"
          "table.small { font-size: 8.5pt; }\n"
          ".grid { display: flex; flex-wrap: wrap; gap: 3mm; }\n"
          ".grid figure { margin: 0; break-inside: avoid; }\n"
          "figcaption { font-size: 9pt; }\n"
          "svg text { font-family: inherit; }\n"
          ".note { font-size: 9pt; color: #444; }\n"
          "@media print { h2 { break-after: avoid; } tr, figure { break-inside: avoid; } }\n"
          "</style>\n",
          fp);
}

static void
num_cell(FILE *fp, const json_t *v, const char *unit)
{
    if (!json_is_number(v)) {
        fputs("<td class=\"n\">—</td>", fp);
        return;
    }
    /* For reading: two decimals (99.99 %); the JSON and the workbook keep every digit. */
    double x = json_number_value(v);

    fprintf(fp, fabs(x - round(x)) < 1e-9 ? "<td class=\"n\">%.0f" : "<td class=\"n\">%.2f", x);
    if (unit != NULL && unit[0] != '\0') {
        fputc(' ', fp);
        esc(fp, unit);
    }
    fputs("</td>", fp);
}

static void
form(struct html *h)
{
    FILE *fp = h->fp;
    const json_t *hd = json_object_get(h->doc, "header"), *l, *tot;
    const json_t *per = json_object_get(h->doc, "period");
    const char *labels[] = {L(h, "项目名称", "Project"), L(h, "主管部门", "Department"),
                            L(h, "实施单位", "Implementer")};
    const char *keys[] = {"project", "department", "implementer"};
    size_t i;

    fputs("<h1>", fp);
    esc(fp, str(h->doc, "title"));
    fputs("</h1>\n<table class=\"head\">", fp);
    for (i = 0; i < 3; i++) {
        fputs("<tr><th>", fp);
        esc(fp, labels[i]);
        fputs("</th><td colspan=\"3\">", fp);
        esc(fp, str(hd, keys[i]));
        fputs("</td></tr>", fp);
    }
    fprintf(fp, "<tr><th>%s</th><td>", L(h, "监测期间", "Period"));
    esc(fp, str(per, "start"));
    fputs(" — ", fp);
    esc(fp, str(per, "end"));
    fprintf(fp, "</td><th>%s</th><td>", L(h, "数据截至", "As of"));
    esc(fp, str(h->doc, "as_of"));
    fprintf(fp, "%s</td></tr></table>\n",
            json_is_true(json_object_get(h->doc, "final")) ? L(h, "（最终值）", " (final)") : "");
    /* Fixed widths, so that the table fits A4 and the deviation text gets the room. */
    fputs("<table class=\"form\"><colgroup><col style=\"width:7%\"><col style=\"width:7%\">"
          "<col style=\"width:11%\"><col style=\"width:9%\"><col style=\"width:10%\">"
          "<col style=\"width:10%\"><col style=\"width:5%\"><col style=\"width:5%\">"
          "<col style=\"width:36%\"></colgroup>\n",
          fp);
    fprintf(fp,
            "<tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
            "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
            L(h, "一级指标", "Level 1"), L(h, "二级指标", "Level 2"), L(h, "三级指标", "Indicator"),
            L(h, "年度指标值(A)", "Target (A)"), L(h, "实际完成值(B)", "Actual (B)"),
            L(h, "完成情况", "Completion"), L(h, "分值", "Weight"), L(h, "得分", "Score"),
            L(h, "偏差原因分析及改进措施", "Deviation and measures"));
    json_array_foreach(json_object_get(h->doc, "lines"), i, l)
    {
        const char *c = str(l, "completion");

        fputs("<tr><td>", fp);
        esc(fp, str(l, "level1"));
        fputs("</td><td>", fp);
        esc(fp, str(l, "level2"));
        fputs("</td><td>", fp);
        esc(fp, str(l, "level3"));
        fputs("</td><td>", fp);
        esc(fp, str(l, "target"));
        fputs("</td>", fp);
        if (str(l, "text") != NULL) {
            fputs("<td>", fp);
            esc(fp, str(l, "text"));
            fputs("</td>", fp);
        } else {
            num_cell(fp, json_object_get(l, "value"), str(l, "unit_label"));
        }
        fprintf(fp, "<td class=\"%s\">",
                c != NULL && strcmp(c, "met") == 0     ? "met"
                : c != NULL && strcmp(c, "unmet") == 0 ? "unmet"
                                                       : "other");
        esc(fp, str(l, "completion_label"));
        fputs("</td>", fp);
        num_cell(fp, json_object_get(l, "weight"), NULL);
        num_cell(fp, json_object_get(l, "score"), NULL);
        fputs("<td>", fp);
        esc(fp, str(l, "deviation"));
        fputs("</td></tr>\n", fp);
    }
    tot = json_object_get(h->doc, "total");
    fprintf(fp, "<tr><th colspan=\"6\">%s</th>", L(h, "总分", "Total"));
    num_cell(fp, json_object_get(tot, "weight"), NULL);
    num_cell(fp, json_object_get(tot, "score"), NULL);
    fputs("<td></td></tr></table>\n", fp);
}

/* One indicator's monthly values (a solid line) against its target (dashed). */
static void
monthly_chart(struct html *h, const json_t *m, size_t nm)
{
    FILE *fp = h->fp;
    const json_t *vals = json_object_get(m, "values"), *tg = json_object_get(m, "targets");
    double lo = INFINITY, hi = -INFINITY, x0 = PAD, x1 = CW - 10, y0 = CH - 22, y1 = 14;
    int pen = 0;

    for (size_t k = 0; k < nm; k++) {
        const json_t *v[2] = {json_array_get(vals, k), json_array_get(tg, k)};

        for (int j = 0; j < 2; j++)
            if (json_is_number(v[j])) {
                lo = fmin(lo, json_number_value(v[j]));
                hi = fmax(hi, json_number_value(v[j]));
            }
    }
    if (!isfinite(lo))
        return;
    if (hi - lo < 1e-9)
        lo -= 1, hi += 1;
    else {
        double pad = (hi - lo) * 0.1;

        lo -= pad, hi += pad;
    }
#define X(k) (x0 + (x1 - x0) * ((nm > 1 ? (double)(k) / (double)(nm - 1) : 0.5)))
#define Y(v) (y0 - (y0 - y1) * (((v)-lo) / (hi - lo)))
    fputs("<figure><svg class=\"chart\" data-chart=\"monthly-", fp);
    esc(fp, str(m, "id"));
    fprintf(fp,
            "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" role=\"img\">",
            CW, CH, CW, CH);
    fprintf(fp,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" "
            "stroke=\"#bbb\"/>",
            x0, y1, x1 - x0, y0 - y1);
    fprintf(fp, "<text x=\"2\" y=\"%.1f\" font-size=\"9\">%.4g</text>", y1 + 8, hi);
    fprintf(fp, "<text x=\"2\" y=\"%.1f\" font-size=\"9\">%.4g</text>", y0, lo);
    for (size_t k = 0; k < nm; k++)
        fprintf(fp,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">%zu"
                "</text>",
                X(k), CH - 8, k + 1);
    fputs("<polyline fill=\"none\" stroke=\"#c62828\" stroke-dasharray=\"5 3\" "
          "stroke-width=\"1.5\" points=\"",
          fp);
    for (size_t k = 0; k < nm; k++)
        if (json_is_number(json_array_get(tg, k)))
            fprintf(fp, "%.1f,%.1f ", X(k), Y(json_number_value(json_array_get(tg, k))));
    fputs("\"/>", fp);
    for (size_t k = 0; k < nm; k++) {
        const json_t *v = json_array_get(vals, k);

        if (!json_is_number(v)) {
            if (pen)
                fputs("\"/>", fp);
            pen = 0;
            continue;
        }
        if (!pen)
            fputs("<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"", fp);
        pen = 1;
        fprintf(fp, "%.1f,%.1f ", X(k), Y(json_number_value(v)));
    }
    if (pen)
        fputs("\"/>", fp);
    for (size_t k = 0; k < nm; k++) {
        const json_t *v = json_array_get(vals, k);

        if (json_is_number(v))
            fprintf(fp,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#1565c0\"><title>"
                    "%.15g</title></circle>",
                    X(k), Y(json_number_value(v)), json_number_value(v));
    }
#undef X
#undef Y
    fputs("</svg><figcaption>", fp);
    esc(fp, str(m, "name"));
    fputs(" (", fp);
    esc(fp, str(m, "id"));
    fputs(")", fp);
    if (str(m, "target") != NULL) {
        fputs(L(h, "，目标 ", ", target "), fp);
        esc(fp, str(m, "target"));
    }
    fputs("</figcaption></figure>\n", fp);
}

static int
in_list(const json_t *list, const char *date)
{
    size_t k;
    const json_t *d;

    json_array_foreach(list, k, d) if (json_is_string(d) &&
                                       strcmp(json_string_value(d), date) == 0) return 1;
    return 0;
}

/* A year of days, month by month, for a supply_days indicator: lost and unverified days. */
static void
calendar(struct html *h, const json_t *ind)
{
    FILE *fp = h->fp;
    const json_t *ev = json_object_get(ind, "evidence"), *per = json_object_get(h->doc, "period");
    double start = local_days(str(per, "start")), end = local_days(str(per, "end"));
    double asof = local_days(str(h->doc, "as_of"));
    int y0, m0, d0;
    const double cell = 15;

    if (sscanf(str(per, "start"), "%d-%d-%d", &y0, &m0, &d0) != 3)
        return;
    fputs("<figure><svg class=\"chart\" data-chart=\"calendar-", fp);
    esc(fp, str(ind, "id"));
    fprintf(fp,
            "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "role=\"img\">",
            40 + 31 * cell, 12 * cell + 30);
    for (int m = 0; m < 12; m++) {
        int y = y0 + (m0 - 1 + m) / 12, mo = (m0 - 1 + m) % 12 + 1;

        if (days_from_civil(y, mo, 1) >= end)
            break;
        fprintf(fp, "<text x=\"2\" y=\"%.1f\" font-size=\"9\">%d-%02d</text>", m * cell + 11, y,
                mo);
        for (int d = 1; d <= 31; d++) {
            long day = days_from_civil(y, mo, d);
            char date[16];
            const char *fill = "#66bb6a", *what = L(h, "正常供电", "supplied");

            if (day >= days_from_civil(y + (mo == 12), mo == 12 ? 1 : mo + 1, 1))
                break; /* the month has fewer days */
            if (day < start || day >= end)
                continue;
            snprintf(date, sizeof(date), "%04d-%02d-%02d", y, mo, d);
            if (in_list(json_object_get(ev, "lost_days"), date))
                fill = "#c62828", what = L(h, "供电中断", "lost");
            else if (in_list(json_object_get(ev, "unverified_days"), date))
                fill = "#9e9e9e", what = L(h, "无法核实", "unverified");
            else if (day >= asof)
                fill = "#eeeeee", what = L(h, "尚未到来", "to come");
            fprintf(fp,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\"><title>%s %s</title></rect>",
                    40 + (d - 1) * cell, m * cell + 2, cell - 2, cell - 2, fill, date, what);
        }
    }
    fprintf(fp, "<text x=\"40\" y=\"%.1f\" font-size=\"9\">%s</text>", 12 * cell + 20,
            L(h, "绿：正常供电　红：供电中断　灰：无法核实（监测缺失）",
              "green: supplied  red: lost  grey: unverified (not monitored)"));
    fputs("</svg><figcaption>", fp);
    esc(fp, str(ind, "name"));
    fprintf(fp, " (%s)</figcaption></figure>\n", L(h, "供电日历", "supply calendar"));
}

/* The incidents along the period, and the events below them. */
static void
timeline(struct html *h)
{
    FILE *fp = h->fp;
    const json_t *per = json_object_get(h->doc, "period"), *it;
    double start = local_days(str(per, "start")), end = local_days(str(per, "end"));
    size_t k;

#define TX(t) (20 + (TW - 40) * (((t)-start) / (end - start)))
    fprintf(fp,
            "<figure><svg class=\"chart\" data-chart=\"timeline\" "
            "xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"110\" "
            "role=\"img\">",
            TW);
    fprintf(fp, "<line x1=\"20\" y1=\"55\" x2=\"%.1f\" y2=\"55\" stroke=\"#555\"/>", TW - 20);
    for (int m = 0; m <= 12; m++) {
        int y, mo, d;

        if (sscanf(str(per, "start"), "%d-%d-%d", &y, &mo, &d) != 3)
            break;
        double t = (double)days_from_civil(y + (mo - 1 + m) / 12, (mo - 1 + m) % 12 + 1, 1);

        if (t > end)
            break;
        fprintf(fp,
                "<line x1=\"%.1f\" y1=\"51\" x2=\"%.1f\" y2=\"59\" stroke=\"#555\"/>"
                "<text x=\"%.1f\" y=\"72\" font-size=\"9\" text-anchor=\"middle\">%d</text>",
                TX(t), TX(t), TX(t), (mo - 1 + m) % 12 + 1);
    }
    json_array_foreach(json_object_get(h->doc, "incidents"), k, it)
    {
        double t = local_days(str(it, "detected"));
        int open = str(it, "state") != NULL && strcmp(str(it, "state"), "open") == 0;

        if (!isfinite(t))
            continue;
        fprintf(fp, "<g><circle cx=\"%.1f\" cy=\"40\" r=\"5\" fill=\"%s\"/><title>#%lld ", TX(t),
                open ? "#c62828" : "#ef6c00",
                (long long)json_integer_value(json_object_get(it, "id")));
        esc(fp, str(it, "name") != NULL ? str(it, "name") : str(it, "rule"));
        fputc(' ', fp);
        esc(fp, str(it, "detected"));
        fputs("</title></g>", fp);
    }
    json_array_foreach(json_object_get(h->doc, "events"), k, it)
    {
        double t = local_days(str(it, "at"));

        if (!isfinite(t))
            continue;
        fprintf(fp,
                "<g><rect x=\"%.1f\" y=\"80\" width=\"4\" height=\"8\" fill=\"#1565c0\"/>"
                "<title>",
                TX(t) - 2);
        esc(fp, str(it, "kind"));
        fputc(' ', fp);
        esc(fp, str(it, "at"));
        fputs("</title></g>", fp);
    }
    fprintf(fp, "<text x=\"20\" y=\"16\" font-size=\"9\">%s</text>",
            L(h, "圆点：故障（橙：已解决，红：未解决）　方块：运维、巡检与安全事件",
              "dots: incidents (orange resolved, red open)  squares: events"));
#undef TX
    fprintf(fp, "</svg><figcaption>%s</figcaption></figure>\n",
            L(h, "故障与事件时间线", "Incidents and events"));
}

static void
record(struct html *h)
{
    FILE *fp = h->fp;
    const json_t *it;
    size_t k;

    fprintf(fp,
            "<h2>%s</h2><table class=\"small\"><tr><th>%s</th><th>%s</th><th>%s</th>"
            "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
            L(h, "故障处理记录", "Fault-handling record"), L(h, "编号", "id"), L(h, "名称", "name"),
            L(h, "发现", "detected"), L(h, "确认", "acknowledged"), L(h, "解决", "resolved"),
            L(h, "处理人", "by"), L(h, "原因", "cause"), L(h, "措施", "measure"));
    json_array_foreach(json_object_get(h->doc, "incidents"), k, it)
    {
        const char *cols[] = {str(it, "name") != NULL ? str(it, "name") : str(it, "rule"),
                              str(it, "detected"),
                              str(it, "acknowledged"),
                              str(it, "resolved"),
                              str(it, "resolved_by") != NULL ? str(it, "resolved_by")
                                                             : str(it, "acknowledged_by"),
                              str(it, "cause"),
                              str(it, "measure")};

        fprintf(fp, "<tr><td>%lld</td>", (long long)json_integer_value(json_object_get(it, "id")));
        for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
            fputs("<td>", fp);
            esc(fp, cols[c] != NULL ? cols[c] : "—");
            fputs("</td>", fp);
        }
        fputs("</tr>\n", fp);
    }
    fputs("</table>\n", fp);
    fprintf(fp,
            "<h2>%s</h2><table class=\"small\"><tr><th>%s</th><th>%s</th><th>%s</th>"
            "<th>%s</th></tr>\n",
            L(h, "供电中断", "Supply interruptions"), L(h, "指标", "indicator"),
            L(h, "开始", "start"), L(h, "结束", "end"), L(h, "时长（分钟）", "minutes"));
    json_array_foreach(json_object_get(h->doc, "interruptions"), k, it)
    {
        fputs("<tr><td>", fp);
        esc(fp, str(it, "name"));
        fputs("</td><td>", fp);
        esc(fp, str(it, "start"));
        fputs("</td><td>", fp);
        esc(fp, str(it, "end"));
        fprintf(fp, "</td><td class=\"n\">%.15g</td></tr>\n",
                json_number_value(json_object_get(it, "seconds")) / 60.0);
    }
    fputs("</table>\n", fp);
    fprintf(fp,
            "<h2>%s</h2><table class=\"small\"><tr><th>%s</th><th>%s</th><th>%s</th>"
            "<th>%s</th><th>%s</th></tr>\n",
            L(h, "说明", "How each value is computed"), L(h, "指标", "indicator"),
            L(h, "计算方法", "method"), L(h, "分子", "numerator"), L(h, "分母", "denominator"),
            L(h, "完成值", "value"));
    json_array_foreach(json_object_get(h->doc, "notes"), k, it)
    {
        fputs("<tr><td>", fp);
        esc(fp, str(it, "name"));
        fputs("</td><td>", fp);
        esc(fp, str(it, "method"));
        fputs("</td>", fp);
        num_cell(fp, json_object_get(it, "numerator"), str(it, "numerator_label"));
        num_cell(fp, json_object_get(it, "denominator"), str(it, "denominator_label"));
        num_cell(fp, json_object_get(it, "value"), str(it, "unit"));
        fputs("</tr>\n", fp);
    }
    fputs("</table>\n", fp);
}

int
rep_html_write(const json_t *doc, FILE *fp)
{
    struct html h = {fp, 1, doc};
    const json_t *m, *ind;
    size_t k, nm = json_array_size(json_object_get(doc, "months"));

    h.zh = str(doc, "lang") == NULL || strcmp(str(doc, "lang"), "zh") == 0;
    fprintf(fp,
            "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>",
            h.zh ? "zh-CN" : "en");
    esc(fp, str(doc, "title"));
    fputs("</title>\n", fp);
    style(fp);
    fputs("</head>\n<body>\n", fp);
    form(&h);
    fprintf(fp, "<h2>%s</h2>\n<div class=\"grid\">\n", L(&h, "月度数值", "Monthly values"));
    json_array_foreach(json_object_get(doc, "monthly"), k, m) monthly_chart(&h, m, nm);
    fputs("</div>\n", fp);
    json_array_foreach(json_object_get(json_object_get(doc, "status"), "indicators"), k, ind)
    {
        if (str(ind, "kind") != NULL && strcmp(str(ind, "kind"), "supply_days") == 0) {
            fprintf(fp, "<h2>%s</h2>\n", L(&h, "供电日历", "Supply calendar"));
            calendar(&h, ind);
        }
    }
    fprintf(fp, "<h2>%s</h2>\n", L(&h, "故障与事件", "Incidents and events"));
    timeline(&h);
    record(&h);
    fprintf(fp, "<p class=\"note\">%s</p>\n</body>\n</html>\n",
            L(&h, "由 roomwatch report 生成；数值与 roomwatch status 相同。",
              "Made by roomwatch report; the values are those of roomwatch status."));
    return ferror(fp) ? -1 : 0;
}
