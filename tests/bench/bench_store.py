#!/usr/bin/python3
"""What the durable store writes to the gateway's SD card: roomwatchd runs config/demo.cfg
(7 indicators over a meter and two temperature/humidity sensors) against the demo room's
simulator (roomwatch-devsim, Modbus TCP and RTU over a socat pty pair) and a broker for
--seconds (default 600), and the bench reads, at the first checkpoint and at the end of the
window, the daemon's /proc/PID/io:

  write_bytes  bytes the process caused to be sent to the block device (the SD card's wear),
  wchar        bytes it passed to write()-like calls (includes MQTT sockets and the log).

With --outage the broker is stopped for the window (the card's writes during a broker
outage, with the outbox and the late telemetry backlog in use), then started again, and the
bench also says how long the late telemetry took to go out and what that wrote.

It prints both over the window, the number of checkpoints in it (checkpoint_interval, 60 s
by default, or --interval) and the write_bytes per checkpoint, plus the database's
engine_state image size. The state folder must be on a real file system (not tmpfs) for
write_bytes to mean anything.

    RW_BUILD=build-rel /usr/bin/python3 tests/bench/bench_store.py [--seconds 600] [--interval 60]
        [--archive on|off] [--outage]

Uses the integration harness (tests/integration/harness.py): every process it starts is
stopped by PID at the end; everything is on 127.0.0.1.
"""
import argparse
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import BUILD, SRC, Harness, free_port, wait_for  # noqa: E402


def io(pid):
    with open("/proc/%d/io" % pid) as f:
        return {k: int(v) for k, v in (l.split(": ") for l in f.read().splitlines())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--interval", type=int, default=60)
    ap.add_argument("--archive", choices=("on", "off"), default="on",
                    help="the sample archive (config archive.enabled; on by default)")
    ap.add_argument("--outage", action="store_true",
                    help="the broker is away for the window, then back")
    a = ap.parse_args()
    with Harness("bench-store") as h:
        broker = h.mosquitto()
        sim, agent = h.pty_pair("rtu")
        port = free_port()
        with open(os.path.join(SRC, "config", "devsim", "demo-room.cfg")) as f:
            dev = f.read()
        dev = dev.replace("15020", str(port))
        dev = re.sub(r'device = "/[^"]*"', 'device = "%s"' % sim, dev)
        dev = dev.replace('profile_dir = "../profiles"',
                          'profile_dir = "%s"' % os.path.join(SRC, "config", "profiles"))
        h.devsim(dev)
        with open(os.path.join(SRC, "config", "demo.cfg")) as f:
            cfg = f.read()
        state = h.path("state")
        cfg = (cfg.replace("18830", str(broker.port)).replace("15020", str(port))
               .replace("/dev/ttyUSB0", agent)
               .replace('profile_dir = "profiles"',
                        'profile_dir = "%s"' % os.path.join(SRC, "config", "profiles"))
               .replace('state_dir = "/var/lib/roomwatch"',
                        'state_dir = "%s";\ncheckpoint_interval = %d' % (state, a.interval)))
        if a.archive == "off":
            cfg += "\narchive = { enabled = false; };\n"
        p = h.roomwatchd(cfg)
        db = os.path.join(state, "roomwatch.db")

        def checkpoints():
            try:
                con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
                n = con.execute("SELECT count(*) FROM engine_state").fetchone()[0]
                con.close()
                return n > 0
            except sqlite3.Error:
                return False
        wait_for(checkpoints, a.interval + 30, "the first checkpoint", interval=0.2)
        if a.outage:
            broker.stop()
        t0, io0 = time.monotonic(), io(p.pid)
        time.sleep(a.seconds)
        t1, io1 = time.monotonic(), io(p.pid)
        if a.outage:
            broker = h.mosquitto(port=broker.port)
            sub = h.subscribe(broker.port, "roomwatch/#")

            def sent():
                try:
                    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
                    n = con.execute("SELECT count(*) FROM late").fetchone()[0]
                    con.close()
                    return n == 0
                except sqlite3.Error:
                    return False
            wait_for(sent, 600 + a.seconds, "the late telemetry to go out", interval=0.5)
            t2, io2 = time.monotonic(), io(p.pid)
            late = sum(1 for _, _, pl, _ in sub.all(r"/telemetry/") if '"late":true' in pl)
            print("after the outage: %d late documents in %.0f s; write_bytes %d, wchar %d"
                  % (late, t2 - t1, io2["write_bytes"] - io1["write_bytes"],
                     io2["wchar"] - io1["wchar"]))
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        blob = con.execute("SELECT length(blob) FROM engine_state").fetchone()[0]
        con.close()
        p.stop()
        n = int((t1 - t0) // a.interval)
        wb, wc = io1["write_bytes"] - io0["write_bytes"], io1["wchar"] - io0["wchar"]
        arc = 0
        for root, _, files in os.walk(os.path.join(state, "archive")):
            arc += sum(os.path.getsize(os.path.join(root, f)) for f in files)
        print("build %s: archive %s%s: %.0f s, %d checkpoints; write_bytes %d (%.0f per "
              "checkpoint, %.0f per hour), wchar %d; engine image %d bytes; archive on disk %d "
              "bytes at the stop"
              % (BUILD, a.archive, ", broker away" if a.outage else "", t1 - t0, n, wb, wb / max(n, 1), wb * 3600.0 / (t1 - t0), wc,
                 blob, arc))


main()
