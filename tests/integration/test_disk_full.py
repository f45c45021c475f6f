#!/usr/bin/python3
"""Disk full is survived (issue 12): roomwatchd keeps its state directory on a 4 MB tmpfs,
mounted in a private mount namespace (unshare -m, as root: CI is), so that SQLite and the
sample archive get real ENOSPC. An incident is opened and resolved, then the test fills the
filesystem (through /proc/PID/root) and a second incident opens meanwhile. Polling goes on
(telemetry keeps arriving), each failure is logged once, not per write, and <prefix>/status
says "store":"failing" and "archive":"failing". The disk is freed: the store writes again
(logged once, "store":"ok"), the second incident is recorded with its true start, the
archive counts its lost rows at the clean stop (logged once), and the store passes PRAGMA
integrity_check with the first incident intact. 80 to 140 s: the archive meets the full
disk at a minute flush. Skipped without root or unshare."""
import errno
import os
import re
import shutil
import sqlite3
import subprocess
import time

from harness import (EMULATOR, ROOMWATCHD, ROOT_ARGS, Harness, TH_PROFILE, agent_config, check, free_port,
                     run, wait_for)

DEVSIM_TH = """
devices = (
  { id = "%s"; profile = "%s"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1;
    values = { temperature = 22.5; humidity = 40.0; }; }
);
"""


def can_mount():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                        "mount -t tmpfs -o size=1m rwprobe /mnt"], capture_output=True)
    return r.returncode == 0


def fill(path):
    """Writes path until the filesystem is full; returns the bytes written."""
    n = 0
    chunk = b"\0" * 4096
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as e:
                check(e.errno == errno.ENOSPC, "filling: %s" % e)
                return n
            n += len(chunk)


def test():
    if not can_mount():
        print("disk_full: no private mount namespace with a tmpfs (not root, or no unshare): "
              "skipped")
        return
    with Harness("disk_full") as h:
        port, port2 = free_port(), free_port()
        broker = h.mosquitto()
        sim = h.devsim(DEVSIM_TH % ("th1", TH_PROFILE, port))
        # th2 answers throughout: its telemetry shows that polling goes on.
        h.devsim(DEVSIM_TH % ("th2", TH_PROFILE, port2), name="devsim-th2")
        state = h.path("state")
        copy = h.path("state-copy")
        os.mkdir(state)
        os.mkdir(copy)
        conf = h.write("roomwatchd.cfg", agent_config(
            broker.port, ['id = "gw"; type = "tcp"; host = "127.0.0.1"; port = %d;' % port,
                          'id = "gw2"; type = "tcp"; host = "127.0.0.1"; port = %d;' % port2],
            ['id = "th1"; kind = "th_sensor"; bus = "gw"; unit = 1; interval = 0.1; '
             'timeout = 0.08; profile = "%s";' % TH_PROFILE,
             'id = "th2"; kind = "th_sensor"; bus = "gw2"; unit = 1; interval = 0.1; '
             'timeout = 0.08; profile = "%s";' % TH_PROFILE],
            extra="""
state_dir = "%s";
checkpoint_interval = 1;
indicators = (
  { id = "th1_availability"; name = "机房设备日常运行稳定性"; kind = "availability";
    points = ["th1.temperature"]; target = "≥97(%%)"; }
);
alarms = (
  { id = "silent"; severity = "minor"; category = "device"; devices = ["th1"];
    no_answer = 2; clear_hold = 1; }
);
""" % state))
        pidfile = h.path("roomwatchd.pid")
        # The tmpfs lives as long as the namespace: the shell copies the state out after
        # roomwatchd's clean stop, for the checks.
        script = ("mount -t tmpfs -o size=4m rwstate %s || exit 97\n"
                  "%s -c %s & child=$!; echo $child > %s\n"
                  # Stopped by the harness (a failed check): roomwatchd goes with the shell.
                  "trap 'kill $child; wait $child; exit 99' TERM INT\n"
                  "wait $child; rc=$?\n"
                  "cp -a %s/. %s/ || exit 98\n"
                  "exit $rc\n") % (state, " ".join(EMULATOR + [ROOMWATCHD]), conf + " " +
                                   " ".join(ROOT_ARGS), pidfile,
                                   state, copy)
        sh = h.start("roomwatchd", ["unshare", "-m", "--propagation", "private", "sh", "-c",
                                    script])
        wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), 10,
                 "roomwatchd's pid")
        pid = int(open(pidfile).read())
        inside = "/proc/%d/root%s" % (pid, state)
        sub = h.subscribe(broker.port, "rw/test/#")

        def status():
            docs = sub.json("status$")
            return docs[-1][2] if docs else {}

        def incident(i):
            docs = [d for _, _, d in sub.json(r"incident/%d$" % i)]
            return docs[-1] if docs else None

        wait_for(lambda: status().get("store") == "ok", 15, "status with \"store\":\"ok\"")
        check(status().get("archive") == "ok", "status: %r" % status())
        # Incident 1, opened and resolved while the disk has room.
        sim.stop()
        wait_for(lambda: incident(1) is not None, 15, "incident 1 opened")
        sim = h.devsim(DEVSIM_TH % ("th1", TH_PROFILE, port), name="devsim2")
        wait_for(lambda: (incident(1) or {}).get("state") == "resolved", 15, "incident 1 resolved")
        first = incident(1)

        filled = fill(os.path.join(inside, "filler"))
        t0 = len(sub.all("telemetry/th2$"))
        full_at = time.time()
        wait_for(lambda: "checkpoint failed" in sh.text(), 15, "the store's checkpoint failing")
        wait_for(lambda: status().get("store") == "failing", 10, "\"store\":\"failing\"")
        # Incident 2 opens while nothing can be written.
        sim.stop()
        wait_for(lambda: "cannot record an incident" in sh.text(), 15,
                 "the incident's write failing")
        # The archive fails when its open file needs a new page: at its next minute flush,
        # or the one after when the rows before the fill left room in the file's last page.
        wait_for(lambda: "archive: cannot" in sh.text(), 135, "the archive failing")
        wait_for(lambda: status().get("archive") == "failing", 10, "\"archive\":\"failing\"")
        n0 = len(sub.all("telemetry/th2$"))
        time.sleep(3)
        n1 = len(sub.all("telemetry/th2$"))
        check(n1 - n0 >= 10, "telemetry stopped while the disk was full: %d in 3 s" % (n1 - n0))
        check(status().get("state") == "online", "status: %r" % status())
        full_for = time.time() - full_at

        t1 = len(sub.all("telemetry/th2$"))
        os.unlink(os.path.join(inside, "filler"))
        wait_for(lambda: incident(2) is not None, 15, "incident 2 recorded and published")
        wait_for(lambda: "checkpoints written again" in sh.text(), 15, "checkpoints again")
        wait_for(lambda: status().get("store") == "ok", 10, "\"store\":\"ok\" again")
        # The archive tries a new file a minute after the failure and calls itself writing
        # again at that file's first flush, a minute later: up to two minutes. The test does
        # not wait: at the clean stop the archive counts the rows it lost, once.
        os.kill(pid, 15)
        sh.p.wait(20)
        check(sh.p.returncode == 0, "clean stop: %r\n%s" % (sh.p.returncode, sh.text()[-3000:]))
        log = sh.text()
        for line in ("checkpoint failed", "cannot record an incident", "archive: cannot",
                     "checkpoints written again", "incidents recorded again",
                     "rows were not archived in this run"):
            check(log.count(line) == 1, "%r logged %d times:\n%s" % (line, log.count(line), log))

        con = sqlite3.connect(os.path.join(copy, "roomwatch.db"))
        check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check")
        rows = con.execute("SELECT id, rule, started_at, resolved_at FROM incident "
                           "ORDER BY id").fetchall()
        con.close()
        check(len(rows) == 2 and rows[0][1] == "silent" and rows[0][3] is not None and
              rows[1][3] is None, "incidents: %r" % rows)
        check(rows[1][2] <= full_at * 1000 + 10000,
              "incident 2 started at %d, not when the device went silent (%d)"
              % (rows[1][2], full_at * 1000))
        # The full disk's failures are named as such, not as a failed rollback.
        check("checkpoint failed: database or disk is full" in log, "the cause:\n" + log)
        print("disk_full: %d bytes filled, full for %.0f s, %d telemetry messages meanwhile; "
              "incident 1 %s" % (filled, full_for, t1 - t0, first.get("state")))


run(test)
