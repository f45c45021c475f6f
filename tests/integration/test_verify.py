#!/usr/bin/python3
"""`roomwatch verify` (issue 11): roomwatchd archives every sample it feeds the core and every
command it applies, and the auditor's check recomputes the period from that archive and
compares it with the store.

A small room against roomwatch-devsim and mosquitto on 127.0.0.1: a meter whose L1 dips to
190 V (an incident after the 1 s hold), a hot aisle (th1 above 30 degrees: an incident), and
a sensor that goes silent (th2: a no_answer incident, unknown availability). Over MQTT
incident 1 is acknowledged; on the gateway `roomwatch resolve` resolves the hot aisle by
hand, and `roomwatch event add` records a maintenance visit. The daemon is stopped, then:
  - `roomwatch verify` finds no difference (exit 0), for the band, availability and supply
    indicators' days and values, the incidents and the event;
  - one archived voltage is edited (230 V becomes 100 V, half a second without supply):
    verify exits 1 and names the supply indicator and today's date;
  - a daemon run killed with SIGKILL leaves an archive that `roomwatch replay --archive`
    still reads without error, the file cut short named, its lost tail unknown time.
"""
import datetime
import glob
import gzip
import json
import os
import signal
import subprocess
import time

from harness import BUILD, EMULATOR, Harness, agent_config, check, free_port, run, wait_for

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
PREFIX = "rw/verify"


def test():
    with Harness("verify") as h:
        pm, pt = free_port(), free_port()
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, PREFIX + "/#")
        h.devsim("""
devices = (
  { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1;
    values = { v_l1 = 230.0; v_l2 = 230.0; v_l3 = 230.0; }; },
  { id = "th1"; profile = "r444a01"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 2;
    values = { temperature = 24.0; humidity = 45.0; }; },
  { id = "th2"; profile = "r444a01"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 3;
    values = { temperature = 22.0; humidity = 45.0; }; }
);
scenario = (
  { at = 3.0; device = "meter1"; action = "set"; point = "v_l1"; value = 190.0; duration = 20.0; },
  { at = 5.0; device = "th1"; action = "set"; point = "temperature"; value = 33.0; duration = 40.0; },
  { at = 8.0; device = "th2"; action = "silent"; duration = 15.0; }
);
""" % (pm, pt, pt))
        state = h.path("state")
        conf = agent_config(
            broker.port,
            ['id = "m"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm,
             'id = "t"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pt],
            ['id = "meter1"; kind = "meter"; bus = "m"; unit = 1; interval = 0.5; '
             'profile = "eastron-sdm630";',
             'id = "th1"; kind = "th_sensor"; bus = "t"; unit = 2; interval = 1.0; '
             'profile = "r444a01";',
             'id = "th2"; kind = "th_sensor"; bus = "t"; unit = 3; interval = 1.0; '
             'timeout = 0.3; profile = "r444a01";'],
            prefix=PREFIX,
            extra="""
state_dir = "%s";
checkpoint_interval = 5;
indicators = (
  { id = "voltage"; name = "电流、电压稳定"; kind = "band"; points = ["meter1.v_l1"];
    band = { nominal = 220.0; minus_pct = 10.0; plus_pct = 7.0; }; window = 10;
    target = "≥97(%%)"; },
  { id = "supply"; name = "计划机房供电天数"; kind = "supply_days"; points = ["meter1.v_l1"];
    condition = { above = 150.0; }; target = "=365(天)"; },
  { id = "devices"; name = "机房设备日常运行稳定性"; kind = "availability";
    points = ["meter1.v_l1", "th1.temperature", "th2.temperature"]; target = "≥97(%%)"; },
  { id = "env"; name = "机房环境稳定运行"; kind = "band"; points = ["th1.temperature"];
    band = { lo = 18.0; hi = 27.0; }; window = 0; target = "≥97(%%)"; },
  { id = "mttr"; name = "系统故障修复平均时间"; kind = "mttr"; target = "≥0&&≤2";
    target_unit = "h"; },
  { id = "visits"; name = "机房环境监测运维"; kind = "count"; event = "maintenance";
    target = "≥ 12"; }
);
alarms = (
  { id = "mains"; name = "市电电压异常"; severity = "major"; category = "power";
    points = ["meter1.v_l1"]; outside = [198.0, 235.4]; hold = 1; clear_hold = 2; },
  { id = "hot"; name = "机房温度过高"; severity = "major"; category = "environment";
    points = ["th1.temperature"]; above = 30.0; hold = 1; clear_hold = 2; },
  { id = "silent"; name = "传感器无响应"; severity = "minor"; category = "device";
    devices = ["th2"]; no_answer = 3; hold = 0; clear_hold = 2; }
);
""" % state)
        agent = h.roomwatchd(conf)
        cfg = h.path("roomwatchd.cfg")

        def cli(*args):
            return subprocess.run(EMULATOR + [ROOMWATCH] + list(args), capture_output=True,
                                  text=True, timeout=120)

        def incidents(event):
            return [d for _, _, d in sub.json(r"/incident/\d+$") if d["event"] == event]

        wait_for(lambda: len({d["rule"] for d in incidents("detected")}) == 3, 40,
                 "the dip, the hot aisle and the silent sensor to open incidents")
        wait_for(lambda: "taking commands on" in agent.text(), 10, "the subscription")
        dip = [d for d in incidents("detected") if d["rule"] == "mains"][0]["id"]
        hot = [d for d in incidents("detected") if d["rule"] == "hot"][0]["id"]
        r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
                            "-t", PREFIX + "/cmd/ack",
                            "-m", json.dumps({"incident": dip, "by": "张工", "note": "on site; "
                                              "checking the UPS, 100%", "correlation_id": "v1"},
                                             ensure_ascii=False)],
                           capture_output=True, text=True, timeout=10)
        check(r.returncode == 0, "mosquitto_pub: " + r.stderr)
        wait_for(lambda: [d for _, _, d in sub.json(r"/cmd/result$")
                          if d.get("correlation_id") == "v1"], 10, "the ack's answer")
        r = cli("resolve", str(hot), "--by", "李工", "--cause", "CRAC filter, clogged",
                "--measure", "cleaned", "-c", cfg)
        check(r.returncode == 0, "roomwatch resolve: " + r.stderr)
        now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
        r = cli("event", "add", "--kind", "maintenance", "--at",
                now.replace(microsecond=0).isoformat(), "--by", "赵工", "--note", "monthly visit",
                "-c", cfg)
        check(r.returncode == 0, "roomwatch event add: " + r.stderr)
        wait_for(lambda: len([d for d in incidents("resolved") if d["rule"] == "mains"]) == 1, 40,
                 "the dip to clear")
        wait_for(lambda: len([d for d in incidents("resolved") if d["rule"] == "silent"]) == 1, 40,
                 "the silent sensor to answer again")
        time.sleep(3)
        agent.signal(signal.SIGTERM)
        wait_for(lambda: not agent.alive(), 20, "roomwatchd to stop")
        year = str(now.year)

        r = cli("verify", "-c", cfg, "--year", year)
        check(r.returncode == 0, "verify after a clean run: exit %d:\n%s%s"
              % (r.returncode, r.stdout, r.stderr))
        check("no difference" in r.stdout and " 3 incidents and 1 events" in r.stdout,
              "verify's summary: %r" % r.stdout)

        # One archived voltage edited: verify names the indicator and the day.
        files = sorted(glob.glob(os.path.join(state, "archive", "*", "*", "*", "*.csv.gz")))
        check(files, "no archive files under %s" % state)
        edited = False
        for path in files:
            with gzip.open(path, "rt") as f:
                lines = f.readlines()
            for i, line in enumerate(lines):
                ts, point, value = line.rstrip("\n").split(",", 2)
                if point == "meter1.v_l1" and value.startswith("230"):
                    lines[i] = "%s,%s,100\n" % (ts, point)
                    edited = True
                    break
            if edited:
                with gzip.open(path, "wt") as f:
                    f.writelines(lines)
                break
        check(edited, "no 230 V reading of meter1.v_l1 in the archive")
        r = cli("verify", "-c", cfg, "--year", year)
        check(r.returncode == 1, "verify after an edit: exit %d: %s%s"
              % (r.returncode, r.stdout, r.stderr))
        day = now.strftime("%Y-%m-%d")
        check(any(l.startswith("indicator supply (计划机房供电天数), " + day) for l in
                  r.stdout.splitlines()),
              "verify does not name the supply indicator and %s:\n%s" % (day, r.stdout))

        # A run killed with SIGKILL: the archive still replays, the cut file named.
        agent = h.roomwatchd(conf, name="roomwatchd2")
        wait_for(lambda: "resumed from the store" in agent.text(), 20, "the second run")
        time.sleep(4)
        agent.signal(signal.SIGKILL)
        wait_for(lambda: not agent.alive(), 10, "roomwatchd to die")
        r = cli("replay", "-c", cfg, "--archive", os.path.join(state, "archive"), "--year", year,
                "--json")
        check(r.returncode == 0, "replay of a killed run's archive: exit %d: %s"
              % (r.returncode, r.stderr))
        check("cut short" in r.stderr, "the cut file is not named: %r" % r.stderr)
        doc = json.loads(r.stdout)
        dev = [i for i in doc["indicators"] if i["id"] == "devices"][0]
        check(dev["evidence"]["unknown_s"] > 0, "no unknown time: %r" % dev["evidence"])


run(test)
