/*
 * rep_xlsx.h - the self-evaluation document (rep_doc.h) as an Excel workbook, written with
 * libxlsxwriter; linked into the roomwatch CLI only (never roomwatchd).
 *
 * Sheets (names in the document's language):
 *  1. 绩效自评表: the form's header block (项目名称, 主管部门, 实施单位, 年度, period, as of)
 *     and one row per line: 一级指标 | 二级指标 | 三级指标 | 年度指标值 (the target verbatim) |
 *     实际完成值 (a number, its unit in the number format) | 完成情况 (with the coverage) |
 *     分值 | 得分 | 偏差原因分析及改进措施; a 总分 row of SUM formulas with cached results.
 *  2. 月度数值: per indicator a row of monthly values and a row of the target, and a native
 *     line chart of both.
 *  3. 故障处理记录: the fault-handling record (increc.h), times as dates.
 *  4. 供电中断, 5. 运维与安全事件, 6. 未知时段, 7. 说明 (method, numerator, denominator and a
 *     formula recomputing the rate).
 *
 * Numbers are numbers; times are Excel dates in the site's zone (the document's local times,
 * not UTC); percentages are fractions formatted 0.00%; every formula carries its cached
 * result (LibreOffice and openpyxl read the cache).
 */
#ifndef ROOMWATCH_REP_XLSX_H
#define ROOMWATCH_REP_XLSX_H

#include <stddef.h>

#include <jansson.h>

#define REP_XLSX_MAX_ROOMS 16

/*
 * Writes the documents of n rooms (1..REP_XLSX_MAX_ROOMS) to path: 0, or -1 with a message
 * in err. One room: the sheets above. Several: a summary sheet (汇总: per room its lines met,
 * not met and not judged, and its total weight and score), then each room's sheets, their
 * names prefixed with the room's site id ("hq 绩效自评表"), or "机房2 " where the id would not
 * fit Excel's 31 characters.
 */
int rep_xlsx_write(const json_t *const *docs, size_t n, const char *path, char *err, size_t errlen);

#endif
