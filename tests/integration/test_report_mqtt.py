#!/usr/bin/python3
"""`roomwatch report --from mqtt://` (issue 18, point 5): two gateways, one broker, one
workbook.

Two roomwatchd (sites A and B, each its own state directory and simulated meter and
temperature/humidity sensor) publish to one mosquitto. Each keeps its room's report
document retained on roomwatch/v1/<site>/gw1/report/<year> (agent/daemon/repub.h): the
test waits for both, checks their schema version and room, and that `--sites A,C` exits 1
naming C. It stops both daemons cleanly, so that each store ends with its final checkpoint
and each retained document with it (repub_final()); then:
 - the document of each room equals `roomwatch report -c <that room's cfg> --format json`
   from its own store, member for member;
 - `roomwatch report --from mqtt://... --sites A,B --format json` carries both, equal to
   them;
 - the workbook from the broker, read with python3-openpyxl, has the summary sheet and both
   rooms' sheets, and each room's 实际完成值 and targets equal its own store's report;
 - a document of an unknown schema version, retained by hand, is refused with its topic.
The cadence itself (at most once a minute, only when changed, again on reconnect) is the
unit test unit-repub's.
"""
import datetime
import json
import os
import subprocess

import openpyxl

from harness import BUILD, EMULATOR, SANITIZER_MARKERS, Harness, agent_config, check, \
    free_port, run, wait_for

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
FORM_FIRST_ROW = 8  # 1-based: after the header block and the column headings (rep_xlsx.c)


def roomwatch(*args):
    r = subprocess.run(EMULATOR + [ROOMWATCH] + list(args), capture_output=True, timeout=120)
    # Exit 1 is an answer here (a site missing): a sanitizer report must not pass for one.
    for marker in SANITIZER_MARKERS:
        check(marker.encode() not in r.stderr, "roomwatch %s: %s" % (
            " ".join(args[:3]), r.stderr.decode(errors="replace")[-3000:]))
    return r


def ok(r, what):
    check(r.returncode == 0, "%s: exit %d: %s" % (what, r.returncode,
                                                   r.stderr.decode(errors="replace")))
    return r.stdout


def room_config(h, site, broker_port, meter_port, th_port):
    state = h.path("state-" + site)
    return agent_config(
        broker_port,
        ['id = "m"; type = "tcp"; host = "127.0.0.1"; port = %d;' % meter_port,
         'id = "t"; type = "tcp"; host = "127.0.0.1"; port = %d;' % th_port],
        ['id = "meter1"; kind = "meter"; bus = "m"; unit = 1; interval = 0.5; '
         'profile = "eastron-sdm630";',
         'id = "th1"; kind = "th_sensor"; bus = "t"; unit = 2; interval = 0.5; '
         'profile = "r444a01";'],
        prefix="roomwatch/v1/%s/gw1" % site,
        extra="""
state_dir = "%s";
checkpoint_interval = 1;
indicators = (
  { id = "avail"; name = "机房设备日常运行稳定性"; category = "产出指标"; subcategory = "质量指标";
    kind = "availability"; points = ["meter1.v_l1"]; target = "≥97(%%)"; },
  { id = "volt"; name = "电流、电压稳定"; category = "产出指标"; subcategory = "质量指标";
    kind = "band"; points = ["meter1.v_l1"]; band = { lo = 198.0; hi = 242.0; }; window = 0; target = "≥97(%%)"; },
  { id = "temp"; name = "机房温度达标率"; category = "产出指标"; subcategory = "质量指标";
    kind = "band"; points = ["th1.temperature"]; band = { lo = 18.0; hi = 27.0; }; window = 0; target = "≥95(%%)"; }
);
report = { project = "机房运维服务 %s"; weights = { avail = 10; volt = 10; temp = 5; }; };
""" % (state, site)).replace('id = "test"; gateway = "gw"', 'id = "%s"; gateway = "gw1"' % site)


def check_room_sheet(ws, doc, what):
    """A room's form sheet: each line's name, target and value as its own report has them."""
    for k, line in enumerate(doc["lines"]):
        r = FORM_FIRST_ROW + k
        row = [ws.cell(row=r, column=c).value for c in range(1, 10)]
        check(row[2] == line["level3"] and row[3] == line["target"],
              "%s line %d: %r, want %s %r" % (what, k, row[:4], line["level3"], line["target"]))
        v = line["value"]
        want = None if v is None else (v / 100.0 if line["unit"] == "%" else v)
        check((row[4] is None and want is None) or
              (row[4] is not None and want is not None and
               abs(row[4] - want) <= 1e-9 * max(1.0, abs(want))),
              "%s %s: workbook %r, want %r" % (what, line["id"], row[4], want))
        check(row[6] == line["weight"], "%s %s: weight %r" % (what, line["id"], row[6]))


def test():
    year = str(datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).year)
    with Harness("report_mqtt") as h:
        broker = h.mosquitto()
        uri = "mqtt://127.0.0.1:%d" % broker.port
        ports = {s: (free_port(), free_port()) for s in ("A", "B")}
        devs = []
        for s, (pm, pt) in ports.items():
            devs.append("""
  { id = "meter%s"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d;
    unit = 1; values = { v_l1 = %s; }; },
  { id = "th%s"; profile = "r444a01"; transport = "tcp"; host = "127.0.0.1"; port = %d;
    unit = 2; values = { temperature = %s; humidity = 45.0; }; }""" % (
                s, pm, "230.0" if s == "A" else "190.0", s, pt, "22.5" if s == "A" else "29.0"))
        h.devsim("devices = (%s\n);\n" % ",".join(devs))
        sub = h.subscribe(broker.port, "roomwatch/v1/+/+/report/#")
        agents, cfgs = {}, {}
        for s, (pm, pt) in ports.items():
            agents[s] = h.roomwatchd(room_config(h, s, broker.port, pm, pt), name="rw-" + s,
                                     verbose=True)
            cfgs[s] = h.path("rw-%s.cfg" % s)
        topic = {s: "roomwatch/v1/%s/gw1/report/%s" % (s, year) for s in ports}

        def latest(s):
            ms = [m for m in sub.all() if m[1] == topic[s]]
            return json.loads(ms[-1][2]) if ms else None

        # The document is built from the store: a new store's first checkpoint is written at
        # the first tick, and the document follows it (within REPUB_RETRY_S of a try before).
        wait_for(lambda: all(latest(s) is not None for s in ports), 30, "both report documents")
        for s in ports:
            d = latest(s)
            check(d["schema"] == 1 and d["header"]["site"] == s and
                  d["header"]["gateway"] == "gw1" and d["header"]["year"] == int(year),
                  "%s: document %r" % (s, {k: d[k] for k in ("schema", "header")}))
        built = [l for l in agents["A"].text().splitlines() if "document built in" in l]
        check(built, "no build time logged")
        print("room A:", built[-1].split(": ", 1)[-1])

        # A site asked for that is not there: exit 1, naming it (and only it).
        r = roomwatch("report", "--from", uri, "--sites", "A,C", "--year", year,
                      "--format", "json", "--timeout", "5")
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 1 and " C" in err and " A" not in err.split("site", 1)[-1],
              "--sites A,C: exit %d, %r" % (r.returncode, err))

        # Clean stops: the final checkpoint, and the document as the store ends.
        for s in ports:
            check(agents[s].stop() == 0, "%s: clean stop: %s" % (s, agents[s].text()[-2000:]))
        own = {}
        for s in ports:
            own[s] = json.loads(ok(roomwatch("report", "-c", cfgs[s], "--year", year,
                                             "--format", "json"), "report -c " + s))
            wait_for(lambda: latest(s) == own[s], 10, "%s: the retained document equal to its "
                     "store's report" % s)
            check(own[s]["final"] is False and own[s]["status"]["indicators"],
                  "%s: report %r" % (s, own[s]["status"]))

        # The same from the broker, both rooms, in --sites order.
        both = json.loads(ok(roomwatch("report", "--from", uri, "--sites", "B,A", "--year", year,
                                       "--format", "json"), "report --from json"))
        check(both["rooms"] == [own["B"], own["A"]], "report --from: rooms differ from the stores'")
        xlsx = h.path("rooms.xlsx")
        ok(roomwatch("report", "--from", uri, "--sites", "A,B", "--year", year,
                     "--format", "xlsx", "-o", xlsx), "report --from xlsx")
        wb = openpyxl.load_workbook(xlsx, data_only=True)
        check(wb.sheetnames[0] == "汇总" and "A 绩效自评表" in wb.sheetnames and
              "B 绩效自评表" in wb.sheetnames, "sheets %r" % wb.sheetnames)
        rows = list(wb["汇总"].iter_rows(min_row=3, values_only=True))
        check([r[0] for r in rows[:2]] == ["A", "B"], "summary rooms %r" % rows)
        for s in ports:
            check_room_sheet(wb["%s 绩效自评表" % s], own[s], s)
        # The two rooms differ (B's voltage and temperature are out of band): a mix-up shows.
        check(own["A"]["lines"][1]["value"] != own["B"]["lines"][1]["value"],
              "rooms A and B read the same")

        # A gateway of a newer version: its schema is refused, naming its topic.
        bad = "roomwatch/v1/Z/gw9/report/" + year
        subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-h", "127.0.0.1", "-r",
                        "-q", "1", "-t", bad, "-m", json.dumps({"schema": 2, "lines": []})],
                       check=True, timeout=10)
        r = roomwatch("report", "--from", uri, "--year", year, "--format", "json")
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 2 and bad in err and "schema 2" in err,
              "schema 2: exit %d, %r" % (r.returncode, err))


run(test)
