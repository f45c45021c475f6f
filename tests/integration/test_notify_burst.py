#!/usr/bin/python3
"""Notifications under a burst, and escalation (issue 17), against a local WeCom receiver.

A burst of 50 incidents lands in the store in one go (written here as the store writes them:
each incident row with its notification-log row, in one transaction): the WeCom channel,
limited to the robot's 20 messages a minute, merges them into fewer than 20 messages, each
within 4096 bytes, that carry every incident once, in order. Then two minor incidents open,
one acknowledged at once: with escalation = { minor = 4 }, only the other is told again as
not acknowledged, once, naming its escalation. Last, `roomwatch silence add --device meter1`
opens a maintenance window: an incident on meter1 inside it is recorded but not told, and
`roomwatch silence list --json` names it as held back. A silence sent on <prefix>/cmd/silence
is answered on cmd/result and listed too; the same one again changes nothing. A second
channel, in its quiet hours all along, tells none of the non-critical incidents but does tell
a critical one.
"""
import json
import os
import datetime
import re
import sqlite3
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import BUILD, EMULATOR, Harness, agent_config, check, free_port, run, wait_for

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")


class Robot:
    def __init__(self, port):
        got = self.got = []
        night = self.night = []  # the channel in its quiet hours

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path.startswith("/night"):
                    night.append(body["markdown"]["content"])
                else:
                    got.append((time.monotonic(), body["markdown"]["content"]))
                out = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", port), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def insert(db, rows):
    """Incidents (severity, acked) opened now, each with its log row, in one transaction."""
    con = sqlite3.connect(db, timeout=10, isolation_level=None)
    now = int(time.time() * 1000)
    ids = []
    con.execute("BEGIN IMMEDIATE")
    for sev, acked in rows:
        cur = con.execute(
            "INSERT INTO incident (rule, device, point, severity, category, started_at, "
            "detected_at, detected_value, acked_at, acked_by) VALUES ('mains', 'meter1', 'v_l1', "
            "?, 'power', ?, ?, 190.0, ?, ?)",
            (sev, now - 2000, now, now + 100 if acked else None, "张工" if acked else None))
        ids.append(cur.lastrowid)
        con.execute("INSERT INTO notify_event (kind, ref, what, at) VALUES ('incident', ?, "
                    "'opened', ?)", (cur.lastrowid, now))
    con.execute("COMMIT")
    con.close()
    return ids


def quiet_now():
    """Quiet hours around now, in the site's zone (Asia/Shanghai, UTC+8, no DST)."""
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
    return [(now + datetime.timedelta(minutes=m)).strftime("%H:%M") for m in (-60, 60)]


def test():
    robot = Robot(free_port())
    try:
        scenario(robot)
    finally:
        robot.stop()


def scenario(robot):
    with Harness("notify_burst") as h:
        pm = free_port()
        broker = h.mosquitto()
        h.devsim("""
devices = ( { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1";
              port = %d; unit = 1; values = { v_l1 = 230.0; }; } );
""" % pm)
        h.write("wecom.key", "k\n", 0o600)
        state = h.path("state")
        conf = agent_config(
            broker.port,
            ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
            ['id = "meter1"; kind = "meter"; bus = "a"; unit = 1; interval = 0.5; '
             'profile = "eastron-sdm630";'],
            extra="""
state_dir = "%s";
alarms = (
  { id = "mains"; name = "市电电压异常"; severity = "major"; category = "power";
    points = ["meter1.v_l1"]; outside = [198.0, 235.4]; hold = 2; clear_hold = 3; }
);
notify = ( { id = "wecom"; type = "wecom"; url = "http://127.0.0.1:%d/send"; key_file = "wecom.key"; },
           { id = "night"; type = "wecom"; url = "http://127.0.0.1:%d/night"; key_file = "wecom.key";
             quiet_hours = ["%s", "%s"]; rate_limit = 0; } );
escalation = { minor = 4; };
""" % (state, robot.srv.server_address[1], robot.srv.server_address[1], *quiet_now()))
        agent = h.roomwatchd(conf)
        db = os.path.join(state, "roomwatch.db")

        def registered():
            try:
                con = sqlite3.connect(db)
                n = con.execute("SELECT count(*) FROM notify_channel").fetchone()[0]
                con.close()
                return n == 2
            except sqlite3.Error:
                return False

        wait_for(registered, 20, "the channels to take their place in the log")
        ids = insert(db, [("major", False)] * 50)
        t0 = time.monotonic()

        def told():
            return [int(m) for _, c in robot.got for m in re.findall(r"故障发生 #(\d+) ", c)]

        wait_for(lambda: len(told()) >= 50, 60, "the 50 incidents at the robot")
        check(told() == ids, "each incident once, in order: %r" % told())
        # The channel in its quiet hours told none of these major incidents.
        check(robot.night == [], "told in quiet hours: %d messages" % len(robot.night))
        msgs = [(t, c) for t, c in robot.got if t - t0 < 60]
        check(1 < len(msgs) <= 20, "%d messages in the first minute" % len(msgs))
        check(all(len(c.encode()) <= 4096 for _, c in robot.got), "a message over 4096 bytes")
        check(all("条通知" in c for _, c in msgs[:-1] if c.count("故障发生") > 1),
              "merged messages say how many they carry")
        n_burst = len(robot.got)

        late, quick = insert(db, [("minor", False), ("minor", True)])
        wait_for(lambda: any("故障超时未确认 #%d " % late in c for _, c in robot.got), 30,
                 "the escalation of the unacknowledged incident")
        time.sleep(6)
        esc = [c for _, c in robot.got if "故障超时未确认" in c]
        check(len(esc) == 1 and "第 1 次升级" in esc[0] and "4 秒 内无人确认" in esc[0],
              "one escalation: %r" % esc)
        check(not any("故障超时未确认 #%d " % quick in c for _, c in robot.got),
              "an acknowledged incident escalated")
        after = [c for _, c in robot.got[n_burst:]]
        check(sum(c.count("故障发生 #%d " % late) + c.count("故障发生 #%d " % quick)
                  for c in after) == 2 and
              len(after) == 1 + len([c for c in after if "故障发生" in c]),
              "after the burst: %r" % after)

        # A maintenance window on meter1: the incident is recorded, not told.
        def rw(*args):
            return subprocess.run(EMULATOR + [ROOMWATCH] + list(args) +
                                  ["-c", h.path("roomwatchd.cfg")],
                                  capture_output=True, text=True, timeout=30)

        now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
        span = [(now - datetime.timedelta(minutes=1)).isoformat(timespec="seconds"),
                (now + datetime.timedelta(hours=1)).isoformat(timespec="seconds")]
        out = rw("silence", "add", "--from", span[0], "--to", span[1], "--device", "meter1",
                 "--by", "张工", "--note", "UPS 检修")
        check(out.returncode == 0 and out.stdout.startswith("silence 1: "),
              "silence add: %r %r" % (out.stdout, out.stderr))
        out = rw("silence", "add", "--from", span[1], "--to", span[0], "--all", "--by", "x",
                 "--note", "y")
        check(out.returncode == 2 and "--to must be after --from, within a year" in out.stderr,
              "a window that ends before it starts: %r" % out.stderr)
        out = rw("silence", "add", "--from", span[0], "--to", span[1], "--device", "nosuch",
                 "--by", "x", "--note", "y")
        check(out.returncode == 2 and "no such device" in out.stderr, "unknown device: %r" % out.stderr)
        before = len(robot.got)
        (held,) = insert(db, [("critical", True)])
        wait_for(lambda: "silence 1 holds back incident_opened of %d" % held in agent.text(), 10,
                 "the silence to hold the incident back")
        time.sleep(2)
        check(len(robot.got) == before, "a silenced incident was told: %r" % robot.got[before:])
        out = rw("silence", "list", "--json")
        check(out.returncode == 0, "silence list: %r" % out.stderr)
        sl = json.loads(out.stdout)["silences"]
        check(len(sl) == 1 and sl[0]["device"] == "meter1" and sl[0]["rule"] is None and
              sl[0]["by"] == "张工" and sl[0]["held"] == [{"seq": sl[0]["held"][0]["seq"],
                                                          "kind": "incident", "ref": held,
                                                          "what": "opened"}],
              "silence list: %r" % sl)

        # Over MQTT, with the checks of the other commands.
        sub = h.subscribe(broker.port, "rw/test/cmd/result")
        wait_for(lambda: "taking commands on rw/test/cmd/+" in agent.text(), 10, "commands")
        cmd = {"from": span[0], "to": span[1], "rule": "mains", "all": False, "by": "李工",
               "note": "演练", "correlation_id": "s1"}
        for cid in ("s1", "s2"):
            cmd["correlation_id"] = cid
            out = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port),
                                  "-q", "1", "-t", "rw/test/cmd/silence", "-m", json.dumps(cmd)],
                                 capture_output=True, text=True, timeout=10)
            check(out.returncode == 0, "mosquitto_pub: %s" % out.stderr)
            wait_for(lambda: [d for _, _, d in sub.json(r"cmd/result$")
                              if d.get("correlation_id") == cid], 10, "the answer to " + cid)
        res = {d["correlation_id"]: d for _, _, d in sub.json(r"cmd/result$")}
        # The answer to a change went through the outbox with it: it carries a msg_id.
        check(isinstance(res["s1"].pop("msg_id", None), int), "s1 without msg_id: %r" % res["s1"])
        check(res["s1"] == {"ok": True, "command": "silence", "correlation_id": "s1", "silence": 2,
                            "changed": True, "message": "silenced"}, "s1: %r" % res["s1"])
        check(res["s2"]["ok"] and res["s2"]["silence"] == 2 and not res["s2"]["changed"],
              "the same silence again: %r" % res["s2"])
        sl = json.loads(rw("silence", "list", "--json").stdout)["silences"]
        check([(x["id"], x["rule"], x["by"]) for x in sl] == [(1, None, "张工"), (2, "mains", "李工")],
              "silences %r" % sl)
        # Quiet hours hold back the non-critical only: a critical incident on another device
        # (no silence covers it) reaches the channel in its quiet hours.
        con = sqlite3.connect(db, timeout=10, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        now_ms = int(time.time() * 1000)
        cur = con.execute(
            "INSERT INTO incident (rule, device, severity, category, started_at, detected_at) "
            "VALUES ('silent', 'ups9', 'critical', 'device', ?, ?)", (now_ms, now_ms))
        crit = cur.lastrowid
        con.execute("INSERT INTO notify_event (kind, ref, what, at) VALUES ('incident', ?, "
                    "'opened', ?)", (crit, now_ms))
        con.execute("COMMIT")
        con.close()
        wait_for(lambda: any("#%d " % crit in c for c in robot.night), 10,
                 "the critical incident on the channel in its quiet hours")
        check(len(robot.night) == 1 and "【紧急】故障发生" in robot.night[0],
              "night channel: %r" % robot.night)
        check(agent.stop() == 0, "clean stop")


run(test)
