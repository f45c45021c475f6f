#!/usr/bin/python3
"""`roomwatch replay` with the reference room (config/examples/reference-room.cfg) over
2024 year traces from tests/tools/gen_trace.py: the JSON is checked field by field against
values worked out by hand from the generator's event list (its docstring, events A to I).
Also: a clean year meets "=365(天)" only by supplying all 366 days, and bad traces are
refused with the file and line."""
import json
import os
import shutil
import subprocess
import tempfile

from harness import BUILD, EMULATOR, SRC, Failure, check, run

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
CFG = os.path.join(SRC, "config", "examples", "reference-room.cfg")
GEN = os.path.join(SRC, "tests", "tools", "gen_trace.py")

YEAR_S = 366 * 86400          # 31622400: 2024 is a leap year
AWAY_S = 14280                # E: 02:02 .. 06:00 on 09-05 (the 01:59 samples hold 180 s)
KNOWN_S = YEAR_S - AWAY_S     # 31608120 per point


def replay(trace, *extra):
    return subprocess.run(EMULATOR + [ROOMWATCH, "replay", "-c", CFG, "--trace", trace, "--json"] + list(extra),
                          capture_output=True, text=True, timeout=120)


def by_id(doc):
    return {i["id"]: i for i in doc["indicators"]}


def eq(got, want, what):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def close(got, want, what):
    check(isinstance(got, (int, float)) and abs(got - want) < 1e-9 * max(1.0, abs(want)),
          "%s: got %r, want %r" % (what, got, want))


def check_events(doc):
    eq(doc["period"], {"start": "2024-01-01T00:00:00+08:00", "end": "2025-01-01T00:00:00+08:00",
                       "days": 366}, "period")
    ind = by_id(doc)
    eq(list(ind), ["voltage_stability", "env_temperature", "supply_days", "th1_availability",
                   "ups_availability", "duty_days", "energy_kwh"], "indicator ids")

    # voltage_stability: any of three phases out -> window out. C: 30 windows (v_l1 190 V),
    # D: 10 windows (v_l3 240 V); B's 20 s dip averages to 202.67 V, in band.
    v = ind["voltage_stability"]
    eq(v["name"], "电流、电压稳定", "voltage name")
    eq((v["kind"], v["unit"], v["target"]), ("band", "%", "≥97(%)"), "voltage kind/unit/target")
    ev = v["evidence"]
    eq((ev["in_s"], ev["out_s"], ev["unknown_s"], ev["not_assessed_s"]),
       (KNOWN_S - 2400, 2400, AWAY_S, 0), "voltage seconds")
    close(v["value"], (KNOWN_S - 2400) * 100.0 / KNOWN_S, "voltage value")
    close(ev["coverage"], KNOWN_S / YEAR_S, "voltage coverage")
    eq((ev["lowest"], ev["highest"]), (190, 240), "voltage extremes")
    pp = ev["per_point"]
    eq(sorted(pp), ["meter1.v_l1", "meter1.v_l2", "meter1.v_l3"], "per_point keys")
    eq((pp["meter1.v_l1"]["out_s"], pp["meter1.v_l2"]["out_s"], pp["meter1.v_l3"]["out_s"]),
       (1800, 0, 600), "per-point out_s")
    close(pp["meter1.v_l2"]["lowest"], (229 * 40 + 150 * 20) / 60.0, "dip window mean")
    eq((v["met"], v["status"]), (True, "ok"), "voltage met/status")
    # Budget: 3 % of the known time (the rate rests on it): 0.03 * 31608120 = 948243.6 s.
    # Judged at the period's end: the projection is the value; 12-25..12-31 were clean.
    b = v["budget"]
    close(b["total"], 948243.6, "voltage budget total")
    eq((b["used"], b["unit"]), (2400, "s"), "voltage budget used")
    close(b["left"], 948243.6 - 2400, "voltage budget left")
    eq(v["burn"], {"short": 0, "long": 0, "short_window": "today",
                   "long_window": "last_7_days"}, "voltage burn")
    eq(v["projection"], {"value": v["value"], "method": "final"}, "voltage projection")

    # env_temperature: H 120 windows out; unknown E 14280 + F 60 (bad sample) + G 3600.
    t = ind["env_temperature"]
    ev = t["evidence"]
    unknown = AWAY_S + 60 + 3600
    eq((ev["in_s"], ev["out_s"], ev["unknown_s"]), (YEAR_S - unknown - 7200, 7200, unknown),
       "temperature seconds")
    close(t["value"], (YEAR_S - unknown - 7200) * 100.0 / (YEAR_S - unknown), "temperature value")
    eq((t["target"], t["rule"], t["met"], t["status"]), ("稳定", ">=97", True, "ok"),
       "temperature qualitative target")
    eq((ev["lowest"], ev["highest"]), (22, 28.5), "temperature extremes (150 is not a value)")

    # supply_days: A loses 03-10 and 03-11 (one interruption across midnight); E leaves
    # 09-05 unverified. 366 - 2 = 364: "=365(天)" in a leap year needs all 366 -> lost.
    s = ind["supply_days"]
    ev = s["evidence"]
    eq(s["value"], 364, "supply value")
    eq(ev["lost_days"], ["2024-03-10", "2024-03-11"], "lost days")
    eq(ev["unverified_days"], ["2024-09-05"], "unverified days")
    it = ev["interruptions"]
    eq((it["count"], it["total_s"], it["longest_s"]), (1, 1200, 1200), "interruptions")
    eq(it["list"], [{"start": "2024-03-10T23:50:00+08:00", "end": "2024-03-11T00:10:00+08:00",
                     "seconds": 1200}], "interruption list")
    eq((s["met"], s["status"]), (False, "lost"), "supply met/status")
    # Every day required: no day to lose, two lost; a zero budget has no burn rate.
    eq(s["budget"], {"total": 0, "used": 2, "left": -2, "unit": "day"}, "supply budget")
    eq((s["burn"]["short"], s["burn"]["long"]), (None, None), "supply burn")
    eq(s["projection"], {"value": 364, "method": "final"}, "supply projection")

    # th1_availability: down = F 60 s (out of range) + G 3600 s (no answer); E unknown.
    a = ind["th1_availability"]
    ev = a["evidence"]
    eq((ev["up_s"], ev["down_s"], ev["unknown_s"]), (KNOWN_S - 3660, 3660, AWAY_S), "th1 seconds")
    close(a["value"], (KNOWN_S - 3660) * 100.0 / KNOWN_S, "th1 availability")
    eq((a["met"], a["status"]), (True, "ok"), "th1 met/status")

    # ups_availability: output_source 2 during A is a valid answer: up.
    u = ind["ups_availability"]
    eq((u["evidence"]["up_s"], u["evidence"]["down_s"], u["evidence"]["unknown_s"]),
       (KNOWN_S, 0, AWAY_S), "ups seconds")
    eq((u["value"], u["met"]), (100, True), "ups availability")

    # duty_days: 09-05 was monitored 86400 - 14280 = 72120 s < 85536 s (99 %).
    d = ind["duty_days"]
    eq((d["value"], d["evidence"]["not_on_duty_days"]), (365, ["2024-09-05"]), "duty days")
    eq((d["met"], d["status"]), (False, "lost"), "duty met/status (=365 means every day)")

    # energy_kwh: 0.5 kWh a minute over 527039 steps; the replacement (I) adds its first
    # reading, 0.5, in full: 0.5 * 527039 = 263519.5 kWh, one reset.
    e = ind["energy_kwh"]
    eq((e["value"], e["unit"], e["evidence"]), (263519.5, "kWh", {"kwh": 263519.5, "resets": 1}),
       "energy")
    eq((e["target"], e["met"], e["status"]), (None, None, None), "energy without a target")
    eq((e["budget"], e["burn"], e["projection"]), (None, None, None), "energy has no course")


def check_clean(doc):
    ind = by_id(doc)
    s = ind["supply_days"]
    eq((s["value"], s["met"], s["status"]), (366, True, "ok"), "clean supply: every day")
    eq((s["evidence"]["lost_days"], s["evidence"]["unverified_days"]), ([], []), "clean day lists")
    eq(s["evidence"]["interruptions"]["count"], 0, "clean interruptions")
    d = ind["duty_days"]
    eq((d["value"], d["met"]), (366, True), "clean duty days")
    v = ind["voltage_stability"]
    eq((v["value"], v["evidence"]["unknown_s"]), (100, 0), "clean voltage")
    # 3 % of 366 days: 0.03 * 31622400 = 948672 s (10.98 days), none of it used.
    eq(v["budget"], {"total": 948672, "used": 0, "left": 948672, "unit": "s"}, "clean budget")
    eq(ind["energy_kwh"]["value"], 0.5 * 527039, "clean energy")


def check_bad(tmp):
    cases = [
        ("ts,point,value\n1704038400,meter1.v_l1,230\n1704038340,meter1.v_l1,230\n",
         ":3: \"meter1.v_l1\" goes back in time (its previous row is line 2)"),
        ("ts,point,value\n1704045600,meter1.v_l1,230\n1704038400,th1.temp,22\n",
         ":3: row is 7200.000 s older than the newest row, more than --max-skew 3600 s"),
        ("ts,point,value\n1704038400,meter1.v_l4,230\n", ":2: unknown point \"meter1.v_l4\""),
        ("# no header\n1704038400,meter1.v_l1,230\n", ":2: expected the header"),
        ("ts,point,value\n2024-13-01T00:00:00+08:00,meter1.v_l1,230\n", ":2: bad time"),
        ("ts,point,value\n1704038400,meter1.v_l1,0x10\n", ":2: bad value"),
    ]
    for i, (text, msg) in enumerate(cases):
        path = os.path.join(tmp, "bad%d.csv" % i)
        with open(path, "w") as f:
            f.write(text)
        r = replay(path)
        eq(r.returncode, 2, "exit status for bad trace %d" % i)
        check(r.stderr.startswith(path + msg), "bad trace %d: %r" % (i, r.stderr))
        check(r.stdout == "", "bad trace %d printed JSON" % i)
    # The same late row passes with a wider skew.
    r = replay(os.path.join(tmp, "bad1.csv"), "--max-skew", "7200")
    eq(r.returncode, 0, "--max-skew 7200: " + r.stderr)


def check_bad_events(tmp):
    """Event rows the agent's commands would refuse are errors naming the line."""
    cfg = os.path.join(SRC, "tests", "fixtures", "traces", "incidents.cfg")
    head = ("ts,point,value\n"
            "2024-03-01T23:50:00+08:00,th1.temp,31\n"
            "2024-03-01T23:51:00+08:00,th1.temp,31\n"
            "2024-03-02T00:30:00+08:00,th1.temp,24\n"
            "2024-03-02T00:31:00+08:00,th1.temp,24\n")
    cases = [
        # Incident 1 resolved itself at 00:31 unacknowledged: an ack after that is refused,
        # in the words the agent answers an MQTT ack with (the store's one rule).
        (head + "2024-03-02T00:40:00+08:00,@ack,incident=1;by=wang\n",
         ":6: incident 1: resolved before anyone acknowledged it"),
        (head + "2024-03-02T00:40:00+08:00,@ack,incident=2;by=wang\n", ":6: no incident 2"),
    ]
    for i, (text, msg) in enumerate(cases):
        path = os.path.join(tmp, "badev%d.csv" % i)
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run(EMULATOR + [ROOMWATCH, "replay", "-c", cfg, "--trace", path, "--json"],
                           capture_output=True, text=True, timeout=60)
        eq(r.returncode, 2, "exit status for bad event trace %d" % i)
        check(r.stderr.startswith(path + msg), "bad event trace %d: %r" % (i, r.stderr))
    # Acknowledged before the resolution, the same incident is fine.
    path = os.path.join(tmp, "goodev.csv")
    with open(path, "w") as f:
        f.write(head.replace("2024-03-02T00:30:00+08:00,th1.temp,24\n",
                             "2024-03-01T23:55:00+08:00,@ack,incident=1;by=wang\n"
                             "2024-03-02T00:30:00+08:00,th1.temp,24\n"))
    r = subprocess.run(EMULATOR + [ROOMWATCH, "replay", "-c", cfg, "--trace", path, "--json"],
                       capture_output=True, text=True, timeout=60)
    eq(r.returncode, 0, "ack before the resolution: " + r.stderr)


def test():
    tmp = tempfile.mkdtemp(prefix="rw-replay-")
    try:
        for name, extra, checker in (("events", [], check_events), ("clean", ["--clean"], check_clean)):
            trace = os.path.join(tmp, name + ".csv")
            subprocess.run(["/usr/bin/python3", GEN, "-o", trace] + extra, check=True, timeout=120)
            r = replay(trace)
            check(r.returncode == 0, "replay %s: exit %d: %s" % (name, r.returncode, r.stderr))
            checker(json.loads(r.stdout))
        check_bad(tmp)
        check_bad_events(tmp)
    finally:
        shutil.rmtree(tmp)


run(test)
