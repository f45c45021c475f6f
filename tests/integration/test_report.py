#!/usr/bin/python3
"""`roomwatch report` (issue 18): the self-evaluation workbook, CSV and JSON of a store,
read back with independent readers and compared with `roomwatch status --json` and
`roomwatch incidents --year Y --format json` for the same store.

Part 1, a replayed year: the reference-room year trace (tests/tools/gen_trace.py, 2024)
replayed with `roomwatch replay --db` into the store of a config that adds a report group
(header and weights) and an incident indicator counting maintenance visits, recorded with
`roomwatch event add`. The workbook is read with python3-openpyxl: header, every line's
target (verbatim), value, completion and score, the 总分 formulas and their cached results,
the monthly values (two hand-computed), a chart per indicator, the interruptions, events,
unknown time adding up to each indicator's evidence, and the 说明 sheet's numerator and
denominator recomputing each rate; LibreOffice converts it to an A4 PDF without error and
with no ### cell. The CSV and the JSON carry the same; lines entered by hand are marked.

Part 2, the incidents golden trace (three incidents acknowledged and resolved by event rows,
twelve maintenance visits) replayed with --db: status equals the replay's JSON, and the
workbook's lines, 故障处理记录 and events equal status and `roomwatch incidents`; the
deviation text names each incident's date, time and minutes.

Several rooms: both stores in one workbook, a summary sheet (each room's lines met, missed
and not judged, its weights and score) and each room's sheets under its site id, equal to
its own status and record; the JSON carries each room's status.

Part 3, a live store: roomwatchd with a simulated meter whose voltage dips opens an incident,
acknowledged and resolved with `roomwatch ack` and `roomwatch resolve`; after a clean stop
the workbook's 故障处理记录 sheet equals `roomwatch incidents --year Y --format json`, date
for date, and its lines equal `roomwatch status --json`.
"""
import csv
import datetime
import io
import json
import os
import shutil
import subprocess
import tempfile

import openpyxl

from harness import BUILD, EMULATOR, Harness, SRC, agent_config, check, free_port, run, \
    wait_for

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
CFG = os.path.join(SRC, "config", "examples", "reference-room.cfg")
GEN = os.path.join(SRC, "tests", "tools", "gen_trace.py")
REPORT = """
report = {
    project = "机房运维服务";
    department = "某某市数据局";
    implementer = "某某市信息中心";
    weights = { supply_days = 20; voltage_stability = 10; duty_days = 10; env_visits = 5;
                env_temperature = 5; };
    entered = (
      { id = "mgr_satisfaction"; name = "管理人员满意度"; category = "满意度指标";
        subcategory = "服务对象满意度指标"; target = "90"; rule = ">=90"; value = 86.0;
        unit = "%"; by = "办公室 李某"; basis = "2024 年 12 月问卷，回收 48 份"; weight = 10; },
      { id = "rules_sound"; name = "长效管理制度健全性"; category = "效益指标";
        subcategory = "可持续影响指标"; target = "健全"; text = "健全"; met = true;
        by = "信息科 王某"; basis = "机房管理制度汇编（2024 版）"; weight = 5; }
    );
};
"""
# The entered lines as the workbook must show them: value cell, completion, score by hand.
ENTERED = [("管理人员满意度", "90", 0.86, "未达成（人工录入）", 10, 10 * 86 / 90),
           ("长效管理制度健全性", "健全", "健全", "达成（人工录入）", 5, 5)]
VISITS = """,
    { id = "env_visits"; name = "机房环境监测运维"; category = "产出指标"; subcategory = "数量指标";
      kind = "count"; event = "maintenance"; target = "≥ 12"; }
);"""
LAST = 'points = ["meter1.kwh"]; }\n);'  # the end of the reference room's indicators
FORM_FIRST_ROW = 8  # 1-based: after the header block and the column headings


def roomwatch(*args):
    return subprocess.run(EMULATOR + [ROOMWATCH] + list(args), capture_output=True,
                          timeout=180)


def ok(r, what):
    check(r.returncode == 0, "%s: exit %d: %s" % (what, r.returncode,
                                                   r.stderr.decode(errors="replace")))
    return r.stdout


def local(rfc):
    """An RFC 3339 time as the naive local datetime a workbook cell holds."""
    return datetime.datetime.fromisoformat(rfc).replace(tzinfo=None) if rfc else None


def close(a, b, what):
    check(a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b)),
          "%s: workbook %r, want %r" % (what, a, b))


def cell_value(ind, v):
    """The indicator's value as the workbook holds it: a percentage as a fraction."""
    return None if v is None else (v / 100.0 if ind["unit"] == "%" else v)


def check_form(ws, status, cfg_text_header, weights, scores, entered=()):
    inds = status["indicators"]
    hdr = [ws.cell(row=r, column=2).value or "" for r in (2, 3, 4)]
    check(hdr == cfg_text_header, "header %r, want %r" % (hdr, cfg_text_header))
    check(ws["A1"].value.startswith("项目支出绩效自评表"), "title %r" % ws["A1"].value)
    check(ws["D5"].value == local(status["period"]["start"]) and
          ws["E5"].value == local(status["period"]["end"]) and
          ws["G5"].value == local(status["as_of"]),
          "period %r..%r as of %r" % (ws["D5"].value, ws["E5"].value, ws["G5"].value))
    check(ws["D5"].number_format.startswith("yyyy-mm-dd"), "D5 format " + ws["D5"].number_format)
    heads = [ws.cell(row=7, column=c).value for c in range(1, 10)]
    check(heads == ["一级指标", "二级指标", "三级指标", "年度指标值(A)", "实际完成值(B)", "完成情况",
                    "分值", "得分", "偏差原因分析及改进措施"], "headings %r" % heads)
    for k, ind in enumerate(inds):
        r = FORM_FIRST_ROW + k
        row = [ws.cell(row=r, column=c).value for c in range(1, 10)]
        check(row[2] == ind["name"] and row[3] == ind["target"],
              "line %d: %r, want %s %r" % (k, row[:4], ind["name"], ind["target"]))
        if ind["value"] is None:
            check(row[4] is None, "%s: value %r, want none" % (ind["id"], row[4]))
        else:
            close(row[4], cell_value(ind, ind["value"]), ind["id"])
        fmt = ws.cell(row=r, column=5).number_format
        check(fmt == "0.00%" if ind["unit"] == "%" else True, "%s: format %r" % (ind["id"], fmt))
        want = {True: "达成", False: "未达成", None: "无法判定"}[ind["met"]]
        if ind["target"] is None:
            want = "无目标值"
        check(row[5].startswith(want), "%s: completion %r, want %s" % (ind["id"], row[5], want))
        check(row[6] == weights.get(ind["id"]), "%s: weight %r" % (ind["id"], row[6]))
        if ind["id"] in scores:
            close(row[7], scores[ind["id"]], ind["id"] + " score")
        check(isinstance(row[8], str) and row[8] != "", "%s: no deviation text" % ind["id"])
    for k, want in enumerate(entered):
        r = FORM_FIRST_ROW + len(inds) + k
        row = [ws.cell(row=r, column=c).value for c in range(1, 10)]
        check(tuple(row[2:6]) == want[:4] and row[6] == want[4] and
              abs(row[7] - want[5]) < 1e-9 and "人工录入" in row[8],
              "entered line %d: %r, want %r" % (k, row, want))
    total_row = FORM_FIRST_ROW + len(inds) + len(entered)
    check(ws.cell(row=total_row, column=1).value == "总分", "no 总分 row")
    return total_row


def part1(tmp):
    here = os.path.dirname(CFG)
    with open(CFG) as f:
        text = f.read()
    cfg_text = text.replace('profile_dir = ["profiles", "../profiles"];',
                            'profile_dir = ["%s", "%s"];\nstate_dir = "%s";'
                            % (os.path.join(here, "profiles"),
                               os.path.join(here, "..", "profiles"),
                               os.path.join(tmp, "state")))
    check(cfg_text != text and LAST in cfg_text, "profile_dir or indicators not found")
    cfg_text = cfg_text.replace(LAST, LAST[:-3] + VISITS)
    cfg = os.path.join(tmp, "ref.cfg")
    with open(cfg, "w") as f:
        f.write(cfg_text + REPORT)
    os.makedirs(os.path.join(tmp, "state"))
    db = os.path.join(tmp, "state", "roomwatch.db")
    trace = os.path.join(tmp, "year.csv")
    subprocess.run(["/usr/bin/python3", GEN, "-o", trace], check=True, timeout=120)
    ok(roomwatch("replay", "-c", cfg, "--trace", trace, "--db", db), "replay --db")
    for m in range(1, 12):  # 11 visits: the ≥ 12 line is missed, scored 5 × 11/12
        ok(roomwatch("event", "add", "--kind", "maintenance", "--at",
                     "2024-%02d-15T10:00:00+08:00" % m, "--by", "赵工", "--note", "月度巡检",
                     "-c", cfg), "event add")
    status = json.loads(ok(roomwatch("status", "-c", cfg, "--year", "2024", "--json"), "status"))
    inc = json.loads(ok(roomwatch("incidents", "-c", cfg, "--year", "2024", "--format", "json"),
                        "incidents"))
    by_id = {i["id"]: i for i in status["indicators"]}
    check(by_id["env_visits"]["value"] == 11, "env_visits %r" % by_id["env_visits"]["value"])

    # JSON: the status document itself, and the lines.
    doc = json.loads(ok(roomwatch("report", "-c", cfg, "--year", "2024", "--format", "json"),
                        "report json"))
    check(doc["status"] == status, "report's status differs from status --json")
    check([l["id"] for l in doc["lines"]] == [i["id"] for i in status["indicators"]] +
          ["mgr_satisfaction", "rules_sound"], "lines in another order")
    check([l["entered"] for l in doc["lines"]].count(True) == 2, "entered lines not marked")
    check(doc["incidents"] == inc["incidents"], "incidents differ")

    # Scores worked out by hand (domain.md 6.3): met = weight; =365(天) over 366 days
    # against the period's days; ≥ 12 missed with 11.
    weights = {"supply_days": 20, "voltage_stability": 10, "duty_days": 10, "env_visits": 5,
               "env_temperature": 5}
    scores = {"voltage_stability": 10, "env_temperature": 5, "supply_days": 20 * 364 / 366,
              "duty_days": 10 * 365 / 366, "env_visits": 5 * 11 / 12}
    xlsx = os.path.join(tmp, "自评.xlsx")
    ok(roomwatch("report", "-c", cfg, "--year", "2024", "-o", xlsx), "report xlsx")
    wb = openpyxl.load_workbook(xlsx, data_only=True)
    wf = openpyxl.load_workbook(xlsx)  # formulas
    check(wb.sheetnames == ["绩效自评表", "月度数值", "故障处理记录", "供电中断", "运维与安全事件",
                            "未知时段", "说明"], "sheets %r" % wb.sheetnames)
    ws = wb["绩效自评表"]
    total_row = check_form(ws, status, ["机房运维服务", "某某市数据局", "某某市信息中心"],
                           weights, scores, ENTERED)
    check(wf["绩效自评表"].cell(row=total_row, column=8).value.startswith("=SUM("),
          "总分 is not a formula")
    close(ws.cell(row=total_row, column=7).value, 65, "total weight (cached)")
    close(ws.cell(row=total_row, column=8).value,
          sum(scores.values()) + sum(e[5] for e in ENTERED), "total score (cached)")
    check(wb.properties.title.startswith("项目支出绩效自评表"), "properties")

    # LibreOffice (libreoffice-calc-nogui) opens it and converts it to PDF without error.
    lo = subprocess.run(["soffice", "--headless", "-env:UserInstallation=file://" +
                         os.path.join(tmp, "lo"), "--convert-to", "pdf", "--outdir",
                         os.path.join(tmp, "pdf"), xlsx], capture_output=True, text=True,
                        timeout=120)
    pdf = os.path.join(tmp, "pdf", "自评.pdf")
    check(lo.returncode == 0 and os.path.exists(pdf), "soffice: %s%s" % (lo.stdout, lo.stderr))
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, timeout=30)
    check(info.returncode == 0 and "(A4)" in info.stdout, "pdfinfo: %r" % info.stdout)
    txt = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, timeout=30)
    check("计划机房供电天数" in txt.stdout and "###" not in txt.stdout,
          "the PDF lacks the lines or shows ###: %r" % txt.stdout[:500])

    # Monthly: July's voltage rate (30 windows out of 31 days) and March's supply days (29).
    mws = wb["月度数值"]
    rows = {(r[1], r[2]): r[3:] for r in mws.iter_rows(min_row=2, values_only=True)}
    check([c.value for c in mws[1][3:]] == [datetime.datetime(2024, m, 1) for m in range(1, 13)],
          "month headings")
    close(rows[("voltage_stability", "实际")][6], 1 - 1800 / (31 * 86400), "July voltage")
    close(rows[("voltage_stability", "目标")][6], 0.97, "voltage target")
    check(rows[("supply_days", "实际")][2] == 29 and rows[("supply_days", "目标")][2] == 31,
          "March supply days %r / %r" % (rows[("supply_days", "实际")][2],
                                         rows[("supply_days", "目标")][2]))
    check(sum(rows[("env_visits", "实际")][:11]) == 11 and rows[("env_visits", "实际")][11] == 0,
          "monthly visits %r" % (rows[("env_visits", "实际")],))
    check(len(mws._charts) == len([i for i in status["indicators"] if i["kind"] != "energy"]),
          "%d charts" % len(mws._charts))
    check(all(type(c).__name__ == "LineChart" and len(c.series) == 2 for c in mws._charts),
          "charts are not lines against a target")

    # Interruptions: the supply indicator's evidence list.
    want = by_id["supply_days"]["evidence"]["interruptions"]["list"]
    got = list(wb["供电中断"].iter_rows(min_row=2, values_only=True))
    check([(r[2], r[3], r[4]) for r in got] ==
          [(local(i["start"]), local(i["end"]), i["seconds"]) for i in want],
          "interruptions %r, want %r" % (got, want))
    check(got[0][5] == 20 and wf["供电中断"]["F2"].value == "=E2/60", "minutes formula")

    # Events: the eleven visits, at their dates.
    ev = list(wb["运维与安全事件"].iter_rows(min_row=2, values_only=True))
    check([(r[1], r[2], r[3]) for r in ev] ==
          [("maintenance", datetime.datetime(2024, m, 15, 10), "赵工") for m in range(1, 12)],
          "events %r" % ev)
    check(list(wb["故障处理记录"].iter_rows(min_row=2, values_only=True)) == [] and
          inc["incidents"] == [], "a replayed store holds no incidents")

    # Unknown time: per indicator, its days add up to the evidence's unknown time; a row is
    # a run of days from its first to its last date, and says how many.
    unk = {}
    for r in wb["未知时段"].iter_rows(min_row=2, values_only=True):
        unk[r[0]] = unk.get(r[0], 0) + r[5]
        check(isinstance(r[2], datetime.datetime) and isinstance(r[3], datetime.datetime),
              "unknown dates %r" % (r[2:4],))
        check(r[4] == (r[3] - r[2]).days + 1, "unknown run %r..%r of %r days" % r[2:5])
        check(r[4] == 1 or r[5] <= r[4] * 86400, "unknown run: %r s in %r days" % (r[5], r[4]))
    for ind in status["indicators"]:
        u = ind["evidence"].get("unknown_s")
        if u is not None:
            check(unk.get(ind["id"], 0) == u, "%s: unknown %r s by day, evidence %r s"
                  % (ind["id"], unk.get(ind["id"]), u))

    # 说明: the raw numerator and denominator recompute each rate.
    for r in wb["说明"].iter_rows(min_row=2, values_only=True):
        if r[0] not in by_id:
            check(r[0] in ("mgr_satisfaction", "rules_sound") and "人工录入" in r[2],
                  "说明 of an entered line: %r" % (r,))
            continue
        ind = by_id[r[0]]
        if ind["unit"] == "%" and ind["value"] is not None:
            close(r[3] / r[4], ind["value"] / 100, r[0] + " numerator/denominator")
            close(r[7], ind["value"] / 100, r[0] + " recomputed (cached)")

    # CSV: the form's lines, as plain numbers.
    out = os.path.join(tmp, "lines.csv")
    ok(roomwatch("report", "-c", cfg, "--year", "2024", "-o", out), "report csv")
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    check(rows[0][:4] == ["一级指标", "二级指标", "三级指标", "年度指标值"], "csv header %r" % rows[0])
    check(len(rows) == 1 + len(status["indicators"]) + len(ENTERED), "csv rows %d" % len(rows))
    for row, ind in zip(rows[1:], status["indicators"]):
        # A target that a spreadsheet would run as a formula ("=365(天)") is kept as text
        # behind an apostrophe, as the incident record's CSV keeps notes (CSV injection).
        target = ind["target"] or ""
        check(row[11] == ind["id"] and row[2] == ind["name"] and
              row[3] == ("'" + target if target[:1] in ("=", "+", "-", "@") else target),
              "csv line %r" % row)
        if ind["value"] is not None:
            close(float(row[4]), ind["value"], ind["id"] + " csv")
    entered = rows[1 + len(status["indicators"]):]
    check([(r[2], r[4], r[6]) for r in entered] ==
          [("管理人员满意度", "86", "未达成（人工录入）"), ("长效管理制度健全性", "健全", "达成（人工录入）")],
          "csv entered lines %r" % entered)

    # English, and the errors: no such period, a bad weight.
    en = json.loads(ok(roomwatch("report", "-c", cfg, "--year", "2024", "--lang", "en"), "en"))
    check(en["lines"][2]["completion_label"].startswith("not met"), "en completion")
    r = roomwatch("report", "-c", cfg, "--year", "2023")
    check(r.returncode == 1 and b"no state" in r.stderr, "2023: %r" % r.stderr)
    bad = os.path.join(tmp, "bad.cfg")
    with open(bad, "w") as f:
        f.write(cfg_text + REPORT.replace("env_visits = 5", "env_visit = 5"))
    r = roomwatch("report", "-c", bad, "--year", "2024")
    line = (cfg_text + REPORT).split("\n").index(
        [l for l in REPORT.split("\n") if "env_visits = 5" in l][0]) + 1
    check(r.returncode == 2 and ("bad.cfg:%d: " % line).encode() in r.stderr and
          b"env_visit" in r.stderr, "bad weight: %r" % r.stderr)
    with open(bad, "w") as f:
        f.write(cfg_text + REPORT.replace('basis = "机房管理制度汇编（2024 版）"; ', ""))
    r = roomwatch("report", "-c", bad, "--year", "2024")
    check(r.returncode == 2 and b"rules_sound" in r.stderr and b"basis" in r.stderr,
          "entered line without basis: %r" % r.stderr)
    return cfg, status, weights, scores


def part2():
    with Harness("report") as h:
        pm = free_port()
        broker = h.mosquitto()
        h.devsim("""
devices = (
  { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1;
    values = { v_l1 = 230.0; }; }
);
scenario = (
  { at = 2.0; device = "meter1"; action = "set"; point = "v_l1"; value = 190.0; duration = 600.0; }
);
""" % pm)
        state = h.path("state")
        conf = agent_config(
            broker.port, ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
            ['id = "meter1"; kind = "meter"; bus = "a"; unit = 1; interval = 0.5; '
             'profile = "eastron-sdm630";'],
            extra="""
state_dir = "%s";
checkpoint_interval = 1;
alarms = (
  { id = "mains"; name = "市电电压异常"; severity = "major"; category = "power";
    points = ["meter1.v_l1"]; outside = [198.0, 235.4]; hold = 1; clear_hold = 2; }
);
indicators = (
  { id = "avail"; name = "机房设备日常运行稳定性"; category = "产出指标"; subcategory = "质量指标";
    kind = "availability"; points = ["meter1.v_l1"]; target = "≥97(%%)"; },
  { id = "mttr"; name = "系统故障修复平均时间"; category = "产出指标"; subcategory = "时效指标";
    kind = "mttr"; target = "≥0&&≤2"; target_unit = "h"; }
);
report = { project = "机房运维服务"; weights = { mttr = 10; avail = 10; }; };
""" % state)
        agent = h.roomwatchd(conf)
        cfg = h.path("roomwatchd.cfg")

        def cli(*args):
            return roomwatch(*(list(args) + ["-c", cfg]))

        def listed():
            r = cli("incidents", "--json")
            return json.loads(r.stdout)["incidents"] if r.returncode == 0 else None

        wait_for(lambda: listed(), 30, "the incident to open")
        ok(cli("ack", "1", "--by", "张工", "--note", "到场"), "ack")
        ok(cli("resolve", "1", "--by", "张工", "--cause", "市电波动", "--measure", "切换稳压"),
           "resolve")
        check(agent.stop() == 0, "clean stop: " + agent.text()[-2000:])
        year = str(datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).year)
        status = json.loads(ok(cli("status", "--year", year, "--json"), "status"))
        inc = json.loads(ok(cli("incidents", "--year", year, "--format", "json"), "incidents"))
        check(len(inc["incidents"]) == 1 and inc["incidents"][0]["cause"] == "市电波动",
              "incidents %r" % inc)
        xlsx = h.path("live.xlsx")
        ok(cli("report", "--year", year, "-o", xlsx), "report")
        wb = openpyxl.load_workbook(xlsx, data_only=True)
        doc = json.loads(ok(cli("report", "--year", year), "report json"))
        # The daemon checkpoints as it stops; status and report read that checkpoint.
        check(doc["status"]["indicators"] == status["indicators"], "report's status differs")
        check_form(wb["绩效自评表"], doc["status"], ["机房运维服务", "", ""],
                   {"mttr": 10, "avail": 10}, {})
        check_incident_sheet(wb["故障处理记录"], inc["incidents"])


def check_incident_sheet(ws, incidents):
    """The 故障处理记录 sheet, row for row and column for column, against the record's JSON."""
    heads = [c.value for c in ws[1]]
    keys = ["id", "state", "rule", "name", "severity", "category", "device", "point", "value",
            "started", "detected", "acknowledged", "acknowledged_by", "ack_note",
            "time_to_ack_s", "cleared", "resolved", "resolution", "resolved_by", "cause",
            "measure", "duration_s", "flags"]
    check(heads[:3] == ["编号", "状态", "规则"] and heads[-1] == "标记" and
          len(heads) == len(keys), "headings %r" % heads)
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    check(len(rows) == len(incidents), "%d incident rows, want %d" % (len(rows), len(incidents)))
    for row, want in zip(rows, incidents):
        for k, v in zip(keys, row):
            w = want[k]
            if k in ("started", "detected", "acknowledged", "cleared", "resolved"):
                # Excel keeps times to the millisecond at best: compare to 1 ms.
                check((v is None and w is None) or
                      (v is not None and w is not None and
                       abs((v - local(w)).total_seconds()) < 0.001),
                      "incident %s: %r, want %r" % (k, v, w))
            elif k == "flags":  # one cell: the flags joined by ";"
                check(v == (";".join(w) or None), "incident flags: %r, want %r" % (v, w))
            elif isinstance(w, float):
                close(v, w, "incident " + k)
            else:
                check(v == w, "incident %s: %r, want %r" % (k, v, w))


def part3(tmp):
    """The incidents golden trace (tests/fixtures/traces/incidents.*: three incidents, event
    rows acknowledging and resolving them, twelve maintenance visits) replayed with --db."""
    traces = os.path.join(SRC, "tests", "fixtures", "traces")
    with open(os.path.join(traces, "incidents.cfg")) as f:
        text = f.read()
    cfg_text = text.replace('profile_dir = "../config/profiles";',
                            'profile_dir = "%s";\nstate_dir = "%s";'
                            % (os.path.join(SRC, "tests", "fixtures", "config", "profiles"),
                               os.path.join(tmp, "istate")))
    check(cfg_text != text, "incidents.cfg: profile_dir not rewritten")
    cfg = os.path.join(tmp, "incidents.cfg")
    with open(cfg, "w") as f:
        f.write(cfg_text + 'report = { weights = { mttr = 10; resolution = 10; }; };\n')
    os.makedirs(os.path.join(tmp, "istate"))
    replay = json.loads(ok(roomwatch("replay", "-c", cfg, "--trace",
                                     os.path.join(traces, "incidents.csv"), "--db",
                                     os.path.join(tmp, "istate", "roomwatch.db"), "--json"),
                           "replay incidents --db"))
    status = json.loads(ok(roomwatch("status", "-c", cfg, "--year", "2024", "--json"), "status"))
    check(dict(status, as_of=None) == dict(replay, as_of=None),
          "status of the replayed store differs from the replay's JSON")
    inc = json.loads(ok(roomwatch("incidents", "-c", cfg, "--year", "2024", "--format", "json"),
                        "incidents"))
    check(len(inc["incidents"]) == 3, "%d incidents in the store" % len(inc["incidents"]))
    xlsx = os.path.join(tmp, "incidents.xlsx")
    ok(roomwatch("report", "-c", cfg, "--year", "2024", "-o", xlsx), "report")
    wb = openpyxl.load_workbook(xlsx, data_only=True)
    # 故障处理率 2/3 missed against >=95%: 10 x 66.67/95; mttr met: 10.
    check_form(wb["绩效自评表"], status, ["", "", ""], {"mttr": 10, "resolution": 10},
               {"mttr": 10, "resolution": 10 * (200 / 3) / 95})
    check_incident_sheet(wb["故障处理记录"], inc["incidents"])
    ev = list(wb["运维与安全事件"].iter_rows(min_row=2, values_only=True))
    check([(r[1], r[2], r[3]) for r in ev] ==
          [("maintenance", datetime.datetime(2024, m, 15, 10), "zhao") for m in range(1, 13)],
          "events %r" % ev)
    # The deviation names the incidents with their dates and minutes.
    mttr = wb["绩效自评表"].cell(row=FORM_FIRST_ROW, column=9).value
    check("3月1日 23:51 发现，用时 40 分钟" in mttr and "6月10日 10:01 发现，用时 30 分钟" in mttr,
          "mttr deviation %r" % mttr)
    return cfg, status, inc["incidents"]


def part_rooms(tmp, a, b):
    """Two rooms in one workbook: a summary, then each room's sheets under its site id."""
    (cfg_a, status_a, weights_a, scores_a), (cfg_b, status_b, inc_b) = a, b
    xlsx = os.path.join(tmp, "rooms.xlsx")
    ok(roomwatch("report", "-c", cfg_a, "-c", cfg_b, "--year", "2024", "-o", xlsx), "two rooms")
    wb = openpyxl.load_workbook(xlsx, data_only=True)
    sheets = ["绩效自评表", "月度数值", "故障处理记录", "供电中断", "运维与安全事件", "未知时段", "说明"]
    check(wb.sheetnames == ["汇总"] + ["ref " + n for n in sheets] + ["hq " + n for n in sheets],
          "sheets %r" % wb.sheetnames)
    rows = list(wb["汇总"].iter_rows(min_row=3, values_only=True))
    def tally(status, entered):
        """Lines, met, missed, not judged (a line without a target is none of them)."""
        inds = status["indicators"]
        met = [i["met"] for i in inds]
        return (len(inds) + len(entered), met.count(True) + entered.count(True),
                met.count(False) + entered.count(False),
                sum(1 for i in inds if i["met"] is None and i["target"] is not None))

    check([r[0] for r in rows] == ["ref", "hq"], "summary rooms %r" % rows)
    # ref: its indicators and the two entered lines (one missed, one met).
    check(rows[0][5:9] == tally(status_a, [False, True]), "ref summary %r" % (rows[0],))
    check(rows[1][5:9] == tally(status_b, []), "hq summary %r" % (rows[1],))
    close(rows[1][10], 10 + 10 * (200 / 3) / 95, "hq total")
    close(rows[0][10], sum(scores_a.values()) + sum(e[5] for e in ENTERED), "ref total")
    check_form(wb["ref 绩效自评表"], status_a, ["机房运维服务", "某某市数据局", "某某市信息中心"],
               weights_a, scores_a, ENTERED)
    check_form(wb["hq 绩效自评表"], status_b, ["", "", ""], {"mttr": 10, "resolution": 10},
               {"mttr": 10})
    check_incident_sheet(wb["hq 故障处理记录"], inc_b)
    check(len(wb["ref 月度数值"]._charts) > 0 and
          wb["ref 月度数值"]._charts[0].series[0].val.numRef.f.startswith("'ref 月度数值'!"),
          "a chart refers to another room's sheet")
    doc = json.loads(ok(roomwatch("report", "-c", cfg_a, "-c", cfg_b, "--year", "2024"),
                        "two rooms json"))
    check([d["status"] for d in doc["rooms"]] == [status_a, status_b], "rooms' status differ")


def test():
    tmp = tempfile.mkdtemp(prefix="rw-report-")
    try:
        a = part1(tmp)
        b = part3(tmp)
        part_rooms(tmp, a, b)
    finally:
        shutil.rmtree(tmp)
    part2()


run(test)
