#!/usr/bin/python3
"""Soak: the demo room in compressed time, to show roomwatchd does not grow (issue 14).

The demo room (config/demo.cfg, config/devsim/demo-room.cfg) with every device polled every
0.1 s instead of 2 s, for --minutes (30), while:
  - th1 (Modbus TCP) falls silent for 20 s every --fail-every s (180): device_silent
    incidents open and resolve;
  - meter1's L1 dips to 190 V for 20 s every --dip-every s (120): mains_voltage incidents;
  - the broker is stopped for 5 s and restarted every --broker-every s (600);
  - every 20 s each newly seen incident is acknowledged over MQTT, ten malformed commands are
    sent (refusals), and every 5 min an event is recorded.
Every --sample s (10) it reads /proc/PID: RSS, open file descriptors, threads; and the
store's size. At the end it prints the start figures (the first reading after a warm-up of
a tenth of the run, at least 30 s: the first checkpoint and the SQLite page cache are
allocations, not growth), the end figures, and the verdict: file descriptors and threads
must not grow and RSS not by more than --rss-slack kB (1024). Exit 0 when flat, 1 if not.

With --valgrind roomwatchd runs under valgrind memcheck (use a shorter run: memcheck is
20-50 times slower, so polls fall behind but every code path still runs); the verdict then
needs "ERROR SUMMARY: 0 errors" and nothing "definitely lost" instead of a flat RSS (valgrind's
own memory grows), and still flat descriptors and threads.

    /usr/bin/python3 tests/bench/soak.py                       # 30 min
    /usr/bin/python3 tests/bench/soak.py --minutes 5 --valgrind
    /usr/bin/python3 tests/bench/soak.py --minutes 1 --fail-every 20 --dip-every 15 \\
        --broker-every 30 --sample 5                           # smoke (ctest bench-soak-smoke)
"""
import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import (EMULATOR, ROOMWATCHD, ROOT_ARGS, SRC, Failure, Harness,  # noqa: E402
                     check, free_port, wait_for)


def figures(pid):
    with open("/proc/%d/status" % pid) as f:
        st = f.read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", st).group(1))
    threads = int(re.search(r"Threads:\s+(\d+)", st).group(1))
    return rss, len(os.listdir("/proc/%d/fd" % pid)), threads


def scenario(a, seconds):
    out = []
    t = a.fail_every / 2
    while t < seconds:
        out.append('{ at = %.1f; device = "th1"; action = "silent"; duration = 20.0; }' % t)
        t += a.fail_every
    t = a.dip_every / 3
    while t < seconds:
        out.append('{ at = %.1f; device = "meter1"; action = "set"; point = "v_l1"; '
                   'value = 190.0; duration = 20.0; }' % t)
        t += a.dip_every
    return "scenario = (\n  " + ",\n  ".join(out) + "\n);\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--fail-every", type=float, default=180.0)
    ap.add_argument("--dip-every", type=float, default=120.0)
    ap.add_argument("--broker-every", type=float, default=600.0)
    ap.add_argument("--sample", type=float, default=10.0)
    ap.add_argument("--rss-slack", type=int, default=1024, help="kB of RSS growth allowed")
    ap.add_argument("--valgrind", action="store_true")
    ap.add_argument("--json", help="write the readings here")
    a = ap.parse_args()
    seconds = a.minutes * 60.0
    warmup = max(30.0, seconds / 10)

    with Harness("soak") as h:
        port = free_port()
        broker = h.mosquitto(port=port)
        sim_port = free_port()
        sim_tty, agent_tty = h.pty_pair("rtu")
        with open(os.path.join(SRC, "config", "devsim", "demo-room.cfg")) as f:
            dev = f.read()
        dev = dev[:dev.index("scenario = (")] + scenario(a, seconds + 60)
        dev = dev.replace("15020", str(sim_port))
        dev = re.sub(r'device = "/[^"]*"', 'device = "%s"' % sim_tty, dev)
        dev = dev.replace('profile_dir = "../profiles"',
                          'profile_dir = "%s"' % os.path.join(SRC, "config", "profiles"))
        h.devsim(dev)
        with open(os.path.join(SRC, "config", "demo.cfg")) as f:
            cfg = f.read()
        state = h.path("state")
        cfg = (cfg.replace("18830", str(port)).replace("15020", str(sim_port))
               .replace("/dev/ttyUSB0", agent_tty)
               .replace('profile_dir = "profiles"',
                        'profile_dir = "%s"' % os.path.join(SRC, "config", "profiles"))
               .replace('state_dir = "/var/lib/roomwatch"', 'state_dir = "%s"' % state)
               .replace("interval = 2.0; timeout = 0.5;", "interval = 0.1; timeout = 0.08;")
               .replace("hold = 10; clear_hold = 30;", "hold = 2; clear_hold = 5;"))
        check("interval = 0.1" in cfg, "the demo config's intervals were not found")
        conf = h.write("roomwatchd.cfg", cfg)
        argv = EMULATOR + [ROOMWATCHD, "-c", conf] + ROOT_ARGS
        vglog = h.path("valgrind.log")
        if a.valgrind:
            argv = ["valgrind", "--tool=memcheck", "--leak-check=full", "--track-fds=no",
                    "--log-file=" + vglog] + argv
        env = dict(os.environ, SNMP_PERSISTENT_DIR=h.path("snmp-state"))
        agent = h.start("roomwatchd", argv, env=env)
        wait_for(lambda: "started:" in agent.text() or not agent.alive(), 120,
                 "roomwatchd to start")
        check(agent.alive(), "roomwatchd exited: " + agent.text()[-3000:])
        prefix = "roomwatch/v1/demo/gw1"

        def pub(verb, payload):
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1",
                            "-t", "%s/cmd/%s" % (prefix, verb), "-m", payload],
                           capture_output=True, timeout=10)

        sub = h.subscribe(port, prefix + "/#", persistent=True)
        t0 = time.monotonic()
        readings, acked, restarts = [], set(), 0
        next_sample = next_cmd = next_event = t0
        next_broker = t0 + a.broker_every
        while time.monotonic() - t0 < seconds:
            now = time.monotonic()
            check(agent.alive(), "roomwatchd exited: " + agent.text()[-3000:])
            if now >= next_sample:
                rss, fds, threads = figures(agent.pid)
                db = sum(os.path.getsize(os.path.join(state, f)) for f in os.listdir(state))
                readings.append({"t": round(now - t0, 1), "rss_kb": rss, "fds": fds,
                                 "threads": threads, "store_bytes": db,
                                 "messages": len(sub.all())})
                print("t=%6.0f s  rss %6d kB  fds %3d  threads %2d  store %8d B  msgs %d" % (
                    now - t0, rss, fds, threads, db, len(sub.all())), flush=True)
                next_sample += a.sample
            if now >= next_cmd:
                for _, topic, p, _ in sub.all(r"/incident/\d+$"):
                    try:
                        inc = json.loads(p)
                    except ValueError:
                        continue
                    iid = int(topic.rsplit("/", 1)[1])
                    if iid not in acked and inc.get("state", inc.get("event")) != "resolved":
                        acked.add(iid)
                        pub("ack", json.dumps({"incident": iid, "by": "soak"}))
                for i in range(10):
                    pub("ack", '{"incident":1,"bogus":%d}' % i)
                next_cmd += 20.0
            if now >= next_event:
                pub("event", json.dumps({"kind": "inspection", "by": "soak", "note": "round",
                                         "at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                                             time.gmtime())}))
                next_event += 300.0
            if now >= next_broker:
                broker.stop()
                time.sleep(5.0)
                broker = h.mosquitto(port=port)
                restarts += 1
                next_broker += a.broker_every
            time.sleep(0.5)

        # The end reading once the telemetry the broker missed has gone out late: while it
        # does, the archive file it reads from is one more descriptor.
        def late_sent():
            try:
                con = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "roomwatch.db"),
                                      uri=True)
                n = con.execute("SELECT count(*) FROM late").fetchone()[0]
                con.close()
                return n == 0
            except sqlite3.Error:
                return False
        wait_for(late_sent, 180, "the late telemetry to go out", interval=0.5)
        rss, fds, threads = figures(agent.pid)
        readings.append({"t": round(time.monotonic() - t0, 1), "rss_kb": rss, "fds": fds,
                         "threads": threads, "messages": len(sub.all())})

        # Under ASan freed memory sits in its quarantine (256 MB): RSS means nothing there,
        # only descriptors and threads are judged.
        with open("/proc/%d/maps" % agent.pid) as f:
            sanitized = "libasan" in f.read()
        # Start: the first reading after the warm-up; end: the last.
        start = next(r for r in readings if r["t"] >= min(warmup, readings[-1]["t"]))
        end = readings[-1]
        agent.stop(timeout=120 if a.valgrind else 10)
        problems = []
        if end["fds"] > start["fds"]:
            problems.append("fds %d -> %d" % (start["fds"], end["fds"]))
        if end["threads"] > start["threads"]:
            problems.append("threads %d -> %d" % (start["threads"], end["threads"]))
        # Under valgrind RSS is valgrind's own (shadow memory, the freed-blocks queue): memcheck's
        # leak summary judges memory there.
        if end["rss_kb"] - start["rss_kb"] > a.rss_slack and not sanitized and not a.valgrind:
            problems.append("RSS %d -> %d kB" % (start["rss_kb"], end["rss_kb"]))
        incidents = {int(t.rsplit("/", 1)[1]) for _, t, _, _ in sub.all(r"/incident/\d+$")}
        refused = sum(1 for l in agent.text().splitlines() if "refused" in l)
        print("soak: %.0f s, %d incidents, %d acknowledged, %d messages, %d broker restarts, "
              "%d log lines (%d about refusals)" % (
                  seconds, len(incidents), len(acked), len(sub.all()), restarts,
                  len(agent.text().splitlines()), refused))
        print("soak: start (t=%.0f s): rss %d kB, fds %d, threads %d; end (t=%.0f s): rss %d "
              "kB, fds %d, threads %d" % (start["t"], start["rss_kb"], start["fds"],
                                          start["threads"], end["t"], end["rss_kb"], end["fds"],
                                          end["threads"]))
        if a.valgrind:
            with open(vglog) as f:
                vg = f.read()
            m = re.search(r"ERROR SUMMARY: (\d+) errors", vg)
            lost = re.search(r"definitely lost: ([\d,]+) bytes", vg)
            print("valgrind: %s; definitely lost: %s bytes" % (
                m.group(0) if m else "no summary", lost.group(1) if lost else "0"))
            if m is None or m.group(1) != "0":
                problems.append("valgrind: %s (see %s)" % (m.group(0) if m else "no summary",
                                                           vglog))
            if lost is not None and lost.group(1) != "0":
                problems.append("valgrind: %s bytes definitely lost" % lost.group(1))
        if not incidents:
            problems.append("no incident was opened: the scenario did not run")
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"readings": readings, "start": start, "end": end,
                           "problems": problems}, f, indent=1)
        # A failed check keeps the run's folder and prints every process's log.
        check(not problems, "NOT FLAT: " + "; ".join(problems))
        print("soak: flat")
        return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print("soak: %s" % e)
        sys.exit(1)
