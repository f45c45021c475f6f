#!/usr/bin/python3
"""A gateway without a battery-backed clock (issue 12, point 6): roomwatchd starts under
libfaketime with its wall clock in 1970 (CLOCK_MONOTONIC left real, as on a gateway, where
NTP steps only the wall clock). Polling and telemetry go on, "clock":"untrusted" is in the
status, but no store, archive or indicator is started: nothing is filed in 1970. Then the
test rewrites libfaketime's FAKETIME_TIMESTAMP_FILE to the real time (the NTP step); the
daemon logs once that the clock is trusted, starts the store and the core, and files under
the right date only: no day, run or archive file before the step, and the measured time
(good + bad) is no more than the time since the step — the step created none.
Skipped under an emulator (an amd64 LD_PRELOAD does not reach a qemu guest) or without
libfaketime."""
import datetime
import glob
import json
import os
import re
import sqlite3
import time

from harness import (EMULATOR, Harness, TH_PROFILE, agent_config, check, free_port, run,
                     wait_for)

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
TZ = datetime.timezone(datetime.timedelta(hours=8))  # Asia/Shanghai, as agent_config says


def period_start_ms(t):
    y = datetime.datetime.fromtimestamp(t, TZ).year
    return int(datetime.datetime(y, 1, 1, tzinfo=TZ).timestamp()) * 1000


def test():
    if EMULATOR or not os.path.exists(LIBFAKETIME):
        print("clock_step: no libfaketime for this build (emulator, or faketime not "
              "installed): skipped")
        return
    with Harness("clock_step") as h:
        port = free_port()
        broker = h.mosquitto()
        h.devsim("""
devices = (
  { id = "th1"; profile = "%s"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1;
    values = { temperature = 22.5; humidity = 40.0; }; }
);
""" % (TH_PROFILE, port))
        state = h.path("state")
        # No "clock" group: the default rule (trust = "floor", the build's date) is tested.
        conf = agent_config(
            broker.port, ['id = "gw"; type = "tcp"; host = "127.0.0.1"; port = %d;' % port],
            ['id = "th1"; kind = "th_sensor"; bus = "gw"; unit = 1; interval = 0.5; '
             'profile = "%s";' % TH_PROFILE],
            extra="""
state_dir = "%s";
checkpoint_interval = 1;
indicators = (
  { id = "th1_availability"; name = "机房设备日常运行稳定性"; kind = "availability";
    points = ["th1.temperature"]; target = "≥97(%%)"; }
);
alarms = (
  { id = "hot"; name = "机房温度过高"; severity = "major"; category = "environment";
    points = ["th1.temperature"]; outside = [10.0, 40.0]; }
);
""" % state)
        # 1970-01-01 10:00 UTC: the wall clock a gateway without an RTC boots with.
        ts = h.write("faketime", "-%d\n" % (int(time.time()) - 36000))
        sub = h.subscribe(broker.port, "rw/test/#")

        def status():
            docs = sub.json("status$")
            return docs[-1][2] if docs else {}
        cfgpath = h.write("roomwatchd.cfg", conf)
        # The wall clock only: FAKETIME_DONT_FAKE_MONOTONIC, and FAKETIME_FORCE_MONOTONIC_FIX=0,
        # without which libfaketime 0.9.10 shifts the deadline of a pthread_cond_timedwait()
        # on CLOCK_MONOTONIC by the fake offset and the bus thread polls without pause.
        # FAKETIME_NO_CACHE: the timestamp file is read at each clock call, so rewriting it
        # steps the clock at once.
        env = dict(os.environ, LD_PRELOAD=LIBFAKETIME, FAKETIME_TIMESTAMP_FILE=ts,
                   FAKETIME_NO_CACHE="1", FAKETIME_DONT_FAKE_MONOTONIC="1",
                   FAKETIME_FORCE_MONOTONIC_FIX="0",
                   SNMP_PERSISTENT_DIR=h.path("snmp-state"))
        # An ASan build wants its runtime first among the libraries; libfaketime only wraps
        # clock calls, which ASan does not intercept, so the order does not matter here.
        env["ASAN_OPTIONS"] = ":".join(o for o in (os.environ.get("ASAN_OPTIONS"),
                                                   "verify_asan_link_order=0") if o)
        started = time.time()
        p = h.start("roomwatchd", [os.path.join(os.environ["RW_BUILD"], "agent", "roomwatchd"),
                                   "-c", cfgpath], env=env)

        # Polling goes on: telemetry flows, dated 1970 (the wall clock is all it has).
        wait_for(lambda: len(sub.all("telemetry/th1$")) >= 4, 15, "telemetry while untrusted")
        tel = json.loads(sub.all("telemetry/th1$")[0][2])
        check(str(tel.get("time", "")).startswith("1970-01-01"),
              "libfaketime not in effect? telemetry time %r" % tel.get("time"))
        wait_for(lambda: status().get("clock") == "untrusted", 10,
                 '"clock":"untrusted" in the status')
        time.sleep(3)
        check(p.alive(), "roomwatchd exited: " + p.text()[-2000:])
        check(not os.path.exists(os.path.join(state, "roomwatch.db")),
              "the store was opened with the clock in 1970")
        check(not glob.glob(os.path.join(state, "archive", "1970*")),
              "archive files in 1970")
        check(not sub.all("indicator/"), "an indicator was published while untrusted")

        # The NTP step: the wall clock becomes right.
        step = time.time()
        with open(ts, "w") as f:
            f.write("+0\n")
        wait_for(lambda: "is trusted now" in p.text(), 10, "the clock trusted")
        wait_for(lambda: sub.json("indicator/th1_availability$"), 15, "an indicator document")
        wait_for(lambda: status().get("state") == "online" and "clock" not in status(), 10,
                 "the status without \"clock\"")
        time.sleep(3)
        check(p.stop() == 0, "clean stop: " + p.text()[-2000:])
        stop = time.time()
        log = p.text()
        check(log.count("is not trusted") == 1, "the wait logged once:\n" + log)
        check(log.count("is trusted now") == 1, "the trust logged once:\n" + log)
        # The samples of the wait are counted, at the polling rate (2 points every 0.5 s):
        # libfaketime must not have made the bus's timed waits return at once.
        held = int(re.search(r"\((\d+) taken before were not filed", log).group(1))
        waited = step - started
        check(0 < held <= 4 * waited + 8, "%d samples held in %.1f s of waiting" % (held, waited))

        con = sqlite3.connect(os.path.join(state, "roomwatch.db"))
        check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check")
        runs = con.execute("SELECT start, stop, clean FROM run_log").fetchall()
        check(len(runs) == 1 and runs[0][2] == 1, "run log: %r" % runs)
        check(step * 1000 - 1000 <= runs[0][0] <= step * 1000 + 5000,
              "the run starts at %d, the step was at %d" % (runs[0][0], step * 1000))
        # Every day of the period has its row (the days before the agent ran read as
        # unknown); none outside the period, and none before the step holds measured time.
        step_day = datetime.datetime.fromtimestamp(step, TZ).strftime("%Y-%m-%d")
        year = step_day[:4]
        rows = con.execute("SELECT day, good_ms + bad_ms FROM indicator_day "
                           "WHERE indicator = 'th1_availability'").fetchall()
        check(rows and all(d.startswith(year) for d, _ in rows),
              "days outside %s: %r" % (year, [d for d, _ in rows if not d.startswith(year)]))
        early = [(d, m) for d, m in rows if d < step_day and m > 0]
        check(not early, "measured time before the step: %r" % early)
        days = sorted(d for d, m in rows if m > 0)
        good, bad, unknown = con.execute(
            "SELECT sum(good_ms), sum(bad_ms), sum(unknown_ms) FROM indicator_day "
            "WHERE indicator = 'th1_availability'").fetchone()
        measured = good + bad
        check(0 < measured <= (stop - step) * 1000 + 1000,
              "measured %d ms, but only %.0f ms passed since the step" % (
                  measured, (stop - step) * 1000))
        check(good + bad + unknown == runs[0][1] - period_start_ms(step),
              "good + bad + unknown %d ms, the period so far %d ms"
              % (good + bad + unknown, runs[0][1] - period_start_ms(step)))
        con.close()
        names = [os.path.relpath(f, os.path.join(state, "archive"))
                 for f in glob.glob(os.path.join(state, "archive", "*", "*", "*", "*"))]
        year = datetime.datetime.fromtimestamp(step, datetime.timezone.utc).year
        check(names and all(n.startswith("%d/" % year) for n in names),
              "archive files: %r" % names)
        print("clock_step: %d samples held in %.1f s of waiting" % (held, waited))
        print("clock_step: measured %.1f s of %.1f s since the step; days %r; archive %r"
              % (measured / 1000.0, stop - step, days, names))


run(test)
