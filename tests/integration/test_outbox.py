#!/usr/bin/python3
"""Nothing lost (issue 12): the broker goes away while incidents open, resolve and are
acknowledged and events are recorded, and roomwatchd is killed with SIGKILL three times
during the outage. When the broker is back, every QoS 1 message roomwatchd produced arrives:
the outbox's ids (msg_id in each payload) arrive without a gap from 1 to the last id the
store handed out, repeats carry a repeated msg_id and the same payload, each incident's
changes arrive in order, every incident and event in the store was published, and the outbox
is empty at the end. The outage's telemetry is not part of this (the outbox holds the
record's messages; telemetry waits in paho's buffer, lost at a kill)."""
import json
import os
import signal
import sqlite3
import subprocess
import time

from harness import (BUILD, EMULATOR, Harness, PROFILES, agent_config, check, free_port, run,
                     wait_for)

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
OUTAGE_START, OUTAGE_END = 4.0, 32.0  # s after devsim starts
KILLS = (11.0, 17.5, 26.5)
EVENTS = (10.0, 16.0, 27.5)
ACK_AT = 24.0  # the third dip's incident is open


def test():
    with Harness("outbox") as h:
        pm = free_port()
        broker = h.mosquitto(persist=True)
        port = broker.port
        sub = h.subscribe(port, "rw/test/#", persistent=True)
        # Three dips of v_l1 during the outage, each longer than the 2 s hold.
        h.devsim("""
devices = ( { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1";
              port = %d; unit = 1; values = { v_l1 = 230.0; }; } );
scenario = (
  { at = 7.0; device = "meter1"; action = "set"; point = "v_l1"; value = 190.0; duration = 4.0; },
  { at = 14.0; device = "meter1"; action = "set"; point = "v_l1"; value = 190.0; duration = 4.0; },
  { at = 21.0; device = "meter1"; action = "set"; point = "v_l1"; value = 190.0; duration = 4.0; }
);
""" % pm, profiles=PROFILES)
        t0 = time.monotonic()
        state = h.path("state")
        conf = agent_config(
            port, ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
            ['id = "meter1"; kind = "meter"; bus = "a"; unit = 1; interval = 0.5; '
             'profile = "eastron-sdm630";'],
            extra="""
state_dir = "%s";
checkpoint_interval = 1;
alarms = (
  { id = "mains"; severity = "major"; category = "power"; points = ["meter1.v_l1"];
    outside = [198.0, 235.4]; hold = 2; clear_hold = 2; }
);
""" % state)
        cfg_path = h.write("cli.cfg", conf)

        def cli(*args):
            r = subprocess.run(EMULATOR + [ROOMWATCH] + list(args) + ["-c", cfg_path],
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 0, "roomwatch %s: %s%s" % (" ".join(args), r.stdout, r.stderr))

        def at(t):
            left = t0 + t - time.monotonic()
            if left > 0:
                time.sleep(left)

        agent = h.roomwatchd(conf, name="roomwatchd-0")
        wait_for(lambda: sub.all("/status$"), 15, "roomwatchd online")
        at(OUTAGE_START)
        broker.stop()
        plan = sorted([(t, "kill") for t in KILLS] + [(t, "event") for t in EVENTS] +
                      [(ACK_AT, "ack")])
        n, acked_id = 0, None
        for t, what in plan:
            at(t)
            if what == "kill":
                check(agent.alive(), "roomwatchd exited: " + agent.text()[-2000:])
                agent.signal(signal.SIGKILL)
                agent.p.wait(5)
                n += 1
                agent = h.roomwatchd(conf, name="roomwatchd-%d" % n)
            elif what == "event":
                cli("event", "add", "--kind", "inspection", "--at",
                    time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "--by", "值班员",
                    "--note", "outage round at %.0f s" % t)
            else:
                with sqlite3.connect(os.path.join(state, "roomwatch.db")) as c:
                    row = c.execute("SELECT id FROM incident WHERE resolved_at IS NULL").fetchone()
                check(row is not None, "no incident open at %.0f s to acknowledge" % t)
                acked_id = row[0]
                cli("ack", str(acked_id), "--by", "值班员", "--note", "seen during the outage")
        at(OUTAGE_END)
        con = sqlite3.connect(os.path.join(state, "roomwatch.db"))
        waiting = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
        check(waiting > 0, "nothing waited in the outbox during the outage")
        broker = h.mosquitto(port=port, persist=True)

        def outbox_empty():
            return con.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0

        wait_for(outbox_empty, 60, "the outbox to empty after the broker came back")
        time.sleep(1.0)
        check(agent.stop() == 0, "clean stop: " + agent.text()[-2000:])

        last = con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()[0]
        got = {}
        order = {}
        for _, topic, p, _ in sub.all(r"/(incident|event|alert)/\d+$"):
            d = json.loads(p)
            check("msg_id" in d, "a message without msg_id on %s: %s" % (topic, p))
            mid = d["msg_id"]
            if mid in got:
                check(got[mid] == (topic, p), "msg_id %d repeated with another message:\n%r\n%r" % (
                    mid, got[mid], (topic, p)))
                continue
            got[mid] = (topic, p)
            order.setdefault(topic, []).append(mid)
        missing = sorted(set(range(1, last + 1)) - set(got))
        check(not missing, "msg_ids produced but never delivered: %r (of 1..%d)" % (missing, last))
        for topic, mids in order.items():
            check(mids == sorted(mids), "%s: changes out of order: %r" % (topic, mids))
        incidents = [r[0] for r in con.execute("SELECT id FROM incident ORDER BY id")]
        events = [r[0] for r in con.execute("SELECT id FROM event ORDER BY id")]
        check(len(incidents) >= 3, "expected 3 incidents from the dips, got %r" % incidents)
        check(len(events) == len(EVENTS), "expected %d events, got %r" % (len(EVENTS), events))
        topics = {t.split("rw/test/", 1)[1] for t, _ in got.values()}
        for i in incidents:
            check("incident/%d" % i in topics, "incident %d was never published" % i)
        for e in events:
            check("event/%d" % e in topics, "event %d was never published" % e)
        acked = [json.loads(p) for t, p in got.values() if t.endswith("/incident/%d" % acked_id)]
        check(any(d.get("event") == "acknowledged" for d in acked),
              "the acknowledgement of incident %d was not published: %r" % (acked_id, acked))
        print("outbox: %d messages (msg_id 1..%d), %d repeats, %d incidents, %d events, %d kills"
              % (len(got), last, len(sub.all(r"/(incident|event|alert)/\d+$")) - len(got),
                 len(incidents), len(events), len(KILLS)))


run(test)
