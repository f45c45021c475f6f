/*
 * cmd_report.c - `roomwatch report -c FILE --year Y [--month M] [--format xlsx|html|csv|json]
 * [--lang zh|en] [-o FILE]`: the year-end self-evaluation (绩效自评) of the daemon's store,
 * <state_dir>/roomwatch.db (or a database `roomwatch replay --db` wrote there), in the form's
 * layout.
 *
 * The store is opened read-only, as `roomwatch status` opens it, so the report may be made
 * while roomwatchd runs; a period whose end has passed is final (core_view()). The values
 * are those `roomwatch status --json` prints for the same store and period (rep_doc.h builds
 * both); the formats only lay them out:
 *  - json: the whole document (rep_doc.h);
 *  - csv: the form's lines (sheet 1 of the workbook), UTF-8 with a byte order mark so that
 *    Excel reads the Chinese, one header row, numbers as plain numbers;
 *  - xlsx: the workbook (rep_xlsx.h), only where roomwatch was built with libxlsxwriter;
 *  - html: one self-contained page with inline SVG charts that prints on A4 (rep_html.h).
 * Without --format the format follows -o's extension; without -o, json, csv or html go to
 * standard output (an xlsx needs -o).
 *
 * Several -c (rooms): one workbook with a summary sheet, JSON {"rooms": [...]}, CSV of every
 * room's lines; an HTML page shows one room.
 *
 * --from mqtt://BROKER instead of -c: the same, of the documents the gateways keep retained on
 * <root>/<site>/<gateway>/report/<period> (rep_mqtt.h), for rooms the finance PC cannot
 * reach; --sites names the rooms that must be there. The documents are the gateways' own, in
 * their site.language (--lang does not apply).
 *
 * Exit status: 0; 1 when there is nothing to report (no store, no state of this config and
 * period; a site asked for with --sites that has no document); 2 for bad usage, a bad config,
 * a store, broker, document or output that fails.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg/cfg.h"
#include "cmd.h"
#include "core/indset.h"
#include "rep_html.h"
#include "rep_mqtt.h"
#include "report/rep_doc.h"
#include "rw_calendar.h"
#include "rw_clock.h"
#include "store/store.h"
#ifdef ROOMWATCH_HAVE_XLSX
#include "rep_xlsx.h"
#endif

#define REP_MAX_ROOMS 16      /* -c options: rooms in one report */
#define REP_MQTT_TIMEOUT_S 10 /* --from: the whole collection, by default */

static void
report_usage(FILE *fp)
{
    fprintf(fp,
            "usage: roomwatch report -c FILE [-c FILE ...] --year Y [--month M]\n"
            "                        [--format xlsx|html|csv|json] [--lang zh|en] [-o FILE]\n"
            "       roomwatch report --from mqtt://HOST:PORT [--sites SITE[/GATEWAY],...]\n"
            "                        [--prefix-root ROOT] [--mqtt-config FILE] [--timeout S]\n"
            "                        --year Y [--month M] [--format xlsx|html|csv|json] [-o FILE]\n"
            "  -c FILE      the daemon's config: its state_dir holds the store, its report\n"
            "               group the form's header and weights; repeat it for several rooms\n"
            "  --year Y     the year (a period that is over gives its final values)\n"
            "  --month M    with site.period = \"month\": the month 1..12 of year Y\n"
            "  --format F   xlsx (the workbook), html (one page with charts, prints on A4), csv "
            "(the form's lines) or json (everything); default: -o's extension, else json\n"
            "  --lang L     zh (default) or en\n"
            "  -o FILE      write to FILE (required for xlsx; default standard output)\n"
            "  --from URI   collect the rooms' documents retained at this broker (tcp://, "
            "mqtt://, ssl://, mqtts://) on ROOT/SITE/GATEWAY/report/Y[-MM]\n"
            "  --sites L    the rooms that must be there: SITE (all its gateways) or "
            "SITE/GATEWAY, comma-separated (default: every room that answers)\n"
            "  --prefix-root ROOT  the topic root before SITE (default roomwatch/v1)\n"
            "  --mqtt-config FILE  a roomwatch config whose mqtt group gives username, "
            "password_file, ca_file, cert_file, key_file\n"
            "  --timeout S  give up collecting after S seconds (default 10)\n"
            "exit status: 0; 1 no store or no state for this config and period, or a site "
            "asked for has no document; 2 bad usage, config, store, broker, document or "
            "output\n");
}

/* One CSV field (RFC 4180); text that a spreadsheet would run as a formula gets a leading
 * apostrophe (CSV injection), as `roomwatch incidents` writes its record. */
static void
csv_field(FILE *fp, const char *v, int last)
{
    int guard = v != NULL && v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL;

    if (v != NULL && (strpbrk(v, ",\"\r\n") != NULL || guard)) {
        fputc('"', fp);
        if (guard)
            fputc('\'', fp);
        for (const char *p = v; *p != '\0'; p++) {
            if (*p == '"')
                fputc('"', fp);
            fputc(*p, fp);
        }
        fputc('"', fp);
    } else if (v != NULL) {
        fputs(v, fp);
    }
    fputs(last ? "\r\n" : ",", fp);
}

/* A number as the JSON has it (%.15g), or empty for null. */
static const char *
csv_num(const json_t *v, char *buf, size_t len)
{
    if (!json_is_number(v))
        return NULL;
    snprintf(buf, len, "%.15g", json_number_value(v));
    return buf;
}

static int
write_csv(const json_t *doc, FILE *fp, int zh, int head)
{
    static const char *const zh_cols[] = {"一级指标",
                                          "二级指标",
                                          "三级指标",
                                          "年度指标值",
                                          "实际完成值",
                                          "单位",
                                          "完成情况",
                                          "覆盖率",
                                          "分值",
                                          "得分",
                                          "偏差原因分析及改进措施",
                                          "指标"};
    static const char *const en_cols[] = {"level 1",
                                          "level 2",
                                          "indicator",
                                          "target",
                                          "actual",
                                          "unit",
                                          "completion",
                                          "coverage",
                                          "weight",
                                          "score",
                                          "deviation and measures",
                                          "id"};
    const char *const *cols = zh ? zh_cols : en_cols;
    size_t ncols = sizeof(zh_cols) / sizeof(zh_cols[0]), i;
    const json_t *l;

    if (head) {
        fputs("\xef\xbb\xbf", fp);
        for (i = 0; i < ncols; i++)
            csv_field(fp, cols[i], i + 1 == ncols);
    }
    json_array_foreach(json_object_get(doc, "lines"), i, l)
    {
        char v[32], c[32], w[32], s[32];
        const char *row[] = {
            json_string_value(json_object_get(l, "level1")),
            json_string_value(json_object_get(l, "level2")),
            json_string_value(json_object_get(l, "level3")),
            json_string_value(json_object_get(l, "target")),
            json_is_string(json_object_get(l, "text"))
                ? json_string_value(json_object_get(l, "text")) /* words entered by hand */
                : csv_num(json_object_get(l, "value"), v, sizeof(v)),
            json_string_value(json_object_get(l, "unit_label")),
            json_string_value(json_object_get(l, "completion_label")),
            csv_num(json_object_get(l, "coverage"), c, sizeof(c)),
            csv_num(json_object_get(l, "weight"), w, sizeof(w)),
            csv_num(json_object_get(l, "score"), s, sizeof(s)),
            json_string_value(json_object_get(l, "deviation")),
            json_string_value(json_object_get(l, "id")),
            json_string_value(json_object_get(json_object_get(doc, "header"), "site")),
        };

        for (size_t k = 0; k < ncols; k++)
            csv_field(fp, row[k], k + 1 == ncols);
    }
    return ferror(fp) ? -1 : 0;
}

static const char *
ext_format(const char *path)
{
    const char *dot = path != NULL ? strrchr(path, '.') : NULL;

    if (dot == NULL)
        return NULL;
    if (strcmp(dot, ".xlsx") == 0)
        return "xlsx";
    if (strcmp(dot, ".csv") == 0)
        return "csv";
    if (strcmp(dot, ".json") == 0)
        return "json";
    if (strcmp(dot, ".html") == 0 || strcmp(dot, ".htm") == 0)
        return "html";
    return NULL;
}

/* Writes the n rooms' documents as format to out (NULL: standard output): 0 or -1 after
 * saying why. Several rooms: JSON {"title", "lang", "rooms": [...]}, CSV one row per line of
 * every room (its site in the last column), one workbook (rep_xlsx.h). */
static int
emit(json_t *const *docs, size_t n, const char *format, const char *out, int zh)
{
    const json_t *doc = docs[0];
    FILE *fp = stdout;
    int rc = 0;

    if (strcmp(format, "xlsx") == 0) {
#ifdef ROOMWATCH_HAVE_XLSX
        char err[256];

        if (rep_xlsx_write((const json_t *const *)docs, n, out, err, sizeof(err)) < 0) {
            fprintf(stderr, "roomwatch report: %s: %s\n", out, err);
            return -1;
        }
        return 0;
#else
        fprintf(stderr, "roomwatch report: this roomwatch was built without libxlsxwriter: "
                        "use --format csv or json\n");
        return -1;
#endif
    }
    if (out != NULL && (fp = fopen(out, "w")) == NULL) {
        fprintf(stderr, "roomwatch report: %s: %s\n", out, strerror(errno));
        return -1;
    }
    if (strcmp(format, "csv") == 0) {
        for (size_t k = 0; k < n && rc == 0; k++)
            rc = write_csv(docs[k], fp, zh, k == 0);
    } else if (strcmp(format, "html") == 0) {
        rc = rep_html_write(doc, fp);
    } else {
        json_t *all = NULL;

        if (n > 1) {
            all = json_pack("{s:O,s:O,s:[]}", "title", json_object_get(doc, "title"), "lang",
                            json_object_get(doc, "lang"), "rooms");
            for (size_t k = 0; all != NULL && k < n; k++)
                json_array_append(json_object_get(all, "rooms"), docs[k]);
        }
        rc = json_dumpf(n > 1 ? all : doc, fp, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        json_decref(all);
        if (rc == 0)
            fputc('\n', fp);
    }
    if (fp != stdout ? fclose(fp) != 0 : fflush(fp) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "roomwatch report: %s: cannot write the report\n",
                out != NULL ? out : "standard output");
    return rc != 0 ? -1 : 0;
}

/* The document of the room cfg_path describes: 0 and *doc, or the exit status (1, 2) after
 * saying why. */
static int
room_doc(const char *cfg_path, int year, int month, int64_t now, enum rep_lang lang, json_t **doc)
{
    struct rw_config *cfg;
    struct store *st = NULL;
    struct indset_period p;
    char path[4096], err[512];
    int rc = 2, n;

    *doc = NULL;
    if ((cfg = cmd_config(cfg_path)) == NULL)
        return 2;
    if ((cfg->site.period == CFG_PERIOD_MONTH) != (month != 0)) {
        fprintf(stderr, "roomwatch report: %s: %s\n", cfg_path,
                month != 0 ? "--month needs site.period = \"month\""
                           : "site.period is \"month\": give --month M with --year");
        goto out;
    }
    if (indset_period_of(cfg, year, month, &p) < 0) {
        fprintf(stderr, "roomwatch report: no such period\n");
        goto out;
    }
    n = snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, STORE_FILE);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        fprintf(stderr, "roomwatch report: state_dir is too long\n");
        goto out;
    }
    if (store_open_readonly(path, &st) < 0) {
        if (errno == ENOENT) {
            fprintf(stderr,
                    "roomwatch report: no store at %s: roomwatchd has not run with "
                    "this config's state_dir yet\n",
                    path);
            rc = 1;
        } else {
            fprintf(stderr, "roomwatch report: %s: %s\n", path,
                    errno == EPROTO ? "written by a roomwatchd of another version"
                    : errno == EIO  ? "not a readable roomwatch database"
                                    : strerror(errno));
        }
        goto out;
    }
    if (rep_doc_build(cfg, st, &p, now, lang, doc, err, sizeof(err)) < 0) {
        fprintf(stderr, "roomwatch report: %s: %s%s\n", path, err,
                errno == ENOENT ? " (roomwatch status -c FILE says which periods it holds)" : "");
        rc = errno == ENOENT ? 1 : 2;
        goto out;
    }
    rc = 0;
out:
    store_close(st);
    cfg_free(cfg);
    return rc;
}

/* Splits list (modified) at commas into sites: their number, or -1 for too many. */
static int
split_sites(char *list, const char **sites, size_t max)
{
    size_t n = 0;

    for (char *save = NULL, *s = strtok_r(list, ",", &save); s != NULL;
         s = strtok_r(NULL, ",", &save)) {
        if (n == max)
            return -1;
        sites[n++] = s;
    }
    return (int)n;
}

/* The rooms' documents from the broker (--from): 0 and *docs, *n, or the exit status after
 * saying why. mqtt_cfg: a config for the broker's credentials, or NULL. */
static int
mqtt_docs(struct rep_mqtt_opts *o, const char *mqtt_cfg, int year, int month, json_t ***docs,
          size_t *n)
{
    struct rw_config *cfg = NULL;
    char period[16], err[1024];
    int rc;

    if (mqtt_cfg != NULL) {
        if ((cfg = cmd_config(mqtt_cfg)) == NULL)
            return 2;
        o->auth = &cfg->mqtt;
    }
    if (month != 0)
        snprintf(period, sizeof(period), "%d-%02d", year, month);
    else
        snprintf(period, sizeof(period), "%d", year);
    if ((rc = rep_mqtt_collect(o, period, docs, n, err, sizeof(err))) != 0)
        fprintf(stderr, "roomwatch report: %s\n", err);
    cfg_free(cfg);
    return rc;
}

int
cmd_report(int argc, char **argv)
{
    const char *cfg_paths[REP_MAX_ROOMS], *format = NULL, *out = NULL, *mqtt_cfg = NULL;
    const char *sites[REP_MQTT_MAX_SITES], *dl;
    json_t *local[REP_MAX_ROOMS] = {NULL}, **docs = local;
    struct rep_mqtt_opts mo = {
        .root = "roomwatch/v1", .sites = sites, .timeout_s = REP_MQTT_TIMEOUT_S};
    size_t nrooms = 0;
    enum rep_lang lang = REP_ZH;
    int year = 0, month = 0, rc = 2, lang_given = 0;
    int64_t now = llround(rw_clock_wall() * 1000.0);

    for (int i = 1; i < argc; i++) {
        char *end;

        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            report_usage(stdout);
            return 0;
        } else if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
            if (nrooms == REP_MAX_ROOMS) {
                fprintf(stderr, "roomwatch report: at most %d rooms (-c) in one report\n",
                        REP_MAX_ROOMS);
                return 2;
            }
            cfg_paths[nrooms++] = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "-o") == 0) {
            out = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--format") == 0) {
            format = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--from") == 0) {
            mo.uri = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--sites") == 0) {
            int ns = split_sites(argv[++i], sites, REP_MQTT_MAX_SITES);

            if (ns <= 0) {
                fprintf(stderr, "roomwatch report: --sites: 1 to %d SITE or SITE/GATEWAY\n",
                        REP_MQTT_MAX_SITES);
                return 2;
            }
            mo.nsites = (size_t)ns;
        } else if (i + 1 < argc && strcmp(argv[i], "--prefix-root") == 0) {
            mo.root = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--mqtt-config") == 0) {
            mqtt_cfg = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0) {
            double t = strtod(argv[++i], &end);

            if (*end != '\0' || !(t > 0 && t <= 3600)) {
                fprintf(stderr, "roomwatch report: --timeout must be 0 to 3600 seconds\n");
                return 2;
            }
            mo.timeout_s = t;
        } else if (i + 1 < argc && strcmp(argv[i], "--lang") == 0) {
            lang_given = 1;
            i++;
            if (strcmp(argv[i], "zh") == 0)
                lang = REP_ZH;
            else if (strcmp(argv[i], "en") == 0)
                lang = REP_EN;
            else {
                fprintf(stderr, "roomwatch report: --lang must be zh or en\n");
                return 2;
            }
        } else if (i + 1 < argc && strcmp(argv[i], "--year") == 0) {
            long y = strtol(argv[++i], &end, 10);

            if (*end != '\0' || y < 1970 || y > 9999) {
                fprintf(stderr, "roomwatch report: --year must be 1970 to 9999\n");
                return 2;
            }
            year = (int)y;
        } else if (i + 1 < argc && strcmp(argv[i], "--month") == 0) {
            long m = strtol(argv[++i], &end, 10);

            if (*end != '\0' || m < 1 || m > 12) {
                fprintf(stderr, "roomwatch report: --month must be 1 to 12\n");
                return 2;
            }
            month = (int)m;
        } else {
            report_usage(stderr);
            return 2;
        }
    }
    if ((nrooms == 0) == (mo.uri == NULL) || year == 0) {
        report_usage(stderr);
        return 2;
    }
    if (mo.uri == NULL && (mo.nsites > 0 || mqtt_cfg != NULL)) {
        fprintf(stderr, "roomwatch report: --sites and --mqtt-config go with --from\n");
        return 2;
    }
    if (mo.uri != NULL && lang_given) {
        fprintf(stderr, "roomwatch report: --lang does not apply to --from: the gateways "
                        "write their documents in their site.language\n");
        return 2;
    }
    if (format == NULL)
        format = ext_format(out) != NULL ? ext_format(out) : "json";
    if (strcmp(format, "xlsx") != 0 && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0 &&
        strcmp(format, "html") != 0) {
        fprintf(stderr, "roomwatch report: --format must be xlsx, html, csv or json\n");
        return 2;
    }
    if (strcmp(format, "xlsx") == 0 && out == NULL) {
        fprintf(stderr, "roomwatch report: an xlsx workbook needs -o FILE.xlsx\n");
        return 2;
    }
    if (nrooms > 1 && strcmp(format, "html") == 0) {
        fprintf(stderr, "roomwatch report: an HTML report shows one room: give one -c\n");
        return 2;
    }
    if (mo.uri != NULL) {
        if ((rc = mqtt_docs(&mo, mqtt_cfg, year, month, &docs, &nrooms)) != 0)
            return rc;
        if (nrooms > 1 && strcmp(format, "html") == 0) {
            fprintf(stderr,
                    "roomwatch report: an HTML report shows one room, and %zu "
                    "answered: name one with --sites SITE/GATEWAY\n",
                    nrooms);
            rc = 2;
            goto out;
        }
        /* The CSV's header row in the first room's language. */
        dl = json_string_value(json_object_get(docs[0], "lang"));
        lang = dl != NULL && strcmp(dl, "en") == 0 ? REP_EN : REP_ZH;
    }
    for (size_t k = 0; mo.uri == NULL && k < nrooms; k++)
        if ((rc = room_doc(cfg_paths[k], year, month, now, lang, &docs[k])) != 0)
            goto out;
    rc = emit(docs, nrooms, format, out, lang == REP_ZH) == 0 ? 0 : 2;
out:
    for (size_t k = 0; k < nrooms; k++)
        json_decref(docs[k]);
    if (docs != local)
        free(docs);
    return rc;
}
