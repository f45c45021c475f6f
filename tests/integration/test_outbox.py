#!/usr/bin/python3
"""Nothing lost (issue 12): the broker goes away while incidents open, resolve and are
acknowledged and events are recorded, and roomwatchd is killed with SIGKILL three times
during the outage. When the broker is back, every QoS 1 message roomwatchd produced arrives:
the outbox's ids (msg_id in each payload) arrive without a gap from 1 to the last id the
store handed out, repeats carry a repeated msg_id and the same payload, each incident's
changes arrive in order, every incident and event in the store was published (the opening and
the resolution of each incident, none under two msg_ids), the alerts delivered are exactly
those the store kept (a security incident recorded during the outage loses an "=0" target),
and the outbox is empty at the end. The outage's telemetry arrives afterwards, marked late, with its
original times: every v_l1 sample the archive holds from the outage is in a telemetry
document (live before the broker went, late after), and every late document is of the
outage.

The CTest run is a 28 s outage with 3 kills. The long version is the same script with
--outage and --kills (tests/bench/README.md: a 1 h outage with 1,000 kills); --json writes
the counts."""
import argparse
import bisect
import glob
import json
import os
import signal
import sqlite3
import subprocess
import time
import zlib

from harness import (BUILD, EMULATOR, Harness, PROFILES, agent_config, check, free_port, run,
                     wait_for)

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
OUTAGE_START = 4.0  # s after devsim starts
DIP_EVERY, DIP_LEN = 7.0, 4.0  # v_l1 at 190 V from 7 s on; hold 2 s, clear hold 2 s
EVENT_EVERY = 6.0
# What goes through the outbox: incident/<id>, event/<id>, alert/<indicator>.
OUTBOX_TOPICS = r"/(incident/\d+|event/\d+|alert/[^/]+|cmd/result)$"
A = None


def archive_rows(state, point):
    """(t s, value or None) of every row of point in the archive, cut files read up to their
    last whole line."""
    rows = []
    for path in glob.glob(os.path.join(state, "archive", "*", "*", "*", "*.csv.gz")):
        with open(path, "rb") as f:
            raw = f.read()
        try:  # a stream cut short by a kill decodes up to its last flush
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw)
        except zlib.error:
            data = b""
        for line in data.decode().split("\n")[:-1]:
            f = line.split(",")
            if len(f) == 3 and f[1] == point:
                rows.append((float(f[0]), float(f[2]) if f[2] not in ("", "bad") else None))
    return sorted(rows)


def plan(outage, kills):
    """Dips, kill moments, event moments and the acknowledgement, in s after devsim starts."""
    end = OUTAGE_START + outage
    dips = [7.0 + DIP_EVERY * k for k in range(int((end - 6.0 - 7.0) // DIP_EVERY) + 1)]
    # Spread out, never in the 1.5 s around an acknowledgement, with the last one 4 s before
    # the broker is back.
    span = end - 4.0 - 11.0
    kill_at = [11.0 + span * (i + 0.5) / kills for i in range(kills)] if kills else []
    events = [10.0 + EVENT_EVERY * k for k in range(int((end - 2.0 - 10.0) // EVENT_EVERY) + 1)]
    ack_dip = dips[min(2, len(dips) - 1)]
    ack_at = ack_dip + 3.0  # that dip's incident is open (the 2 s hold ran in one run)
    # No kill from just before that dip until the acknowledgement is in: those move after.
    quiet = [t for t in kill_at if ack_dip - 0.5 <= t <= ack_at + 0.75]
    kill_at = [t for t in kill_at if t not in quiet] + [ack_at + 1.0 + 0.5 * i
                                                        for i in range(len(quiet))]
    return end, dips, sorted(kill_at), events, ack_at


def test():
    outage, kills = A.outage, A.kills
    end_at, dips, kill_at, event_at, ack_at = plan(outage, kills)
    with Harness("outbox") as h:
        pm = free_port()
        # The broker must not drop what this test's subscriber has not taken yet: after a long
        # outage the backlog arrives faster than it reads (max_queued_messages, 1000 by
        # default; seen in the hour-long run). It is the test's queue, not the agent's.
        BROKER_EXTRA = "max_queued_messages 0\n"
        broker = h.mosquitto(persist=True, extra=BROKER_EXTRA)
        port = broker.port
        sub = h.subscribe(port, "rw/test/#", persistent=True)
        # Three dips of v_l1 during the outage, each longer than the 2 s hold.
        h.devsim("""
devices = ( { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1";
              port = %d; unit = 1; values = { v_l1 = 230.0; }; } );
scenario = ( %s );
""" % (pm, ",\n  ".join('{ at = %.1f; device = "meter1"; action = "set"; point = "v_l1"; '
                        'value = 190.0; duration = %.1f; }' % (t, DIP_LEN) for t in dips)),
                 profiles=PROFILES)
        t0 = time.monotonic()
        state = h.path("state")
        conf = agent_config(
            port, ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
            ['id = "meter1"; kind = "meter"; bus = "a"; unit = 1; interval = 0.5; '
             'profile = "eastron-sdm630";'],
            extra="""
state_dir = "%s";
checkpoint_interval = 1;
indicators = (
  { id = "supply"; name = "机房设备日常运行稳定性"; kind = "availability";
    points = ["meter1.v_l1"]; target = "≥97(%%)"; },
  { id = "security"; name = "网络安全事件"; kind = "count"; event = "security-incident";
    target = "=0"; }
);
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
        stopped_at = time.time()
        broker.stop()
        # One security incident early in the outage: the "=0" target is lost at the next whole
        # minute, an alert (and the supply target's "unverified" at its first whole minute).
        steps = sorted([(t, "kill") for t in kill_at] + [(t, "event") for t in event_at] +
                       [(ack_at, "ack"), (OUTAGE_START + 1.2, "security")])
        n, acked_id = 0, None
        for t, what in steps:
            at(t)
            if what == "kill":
                check(agent.alive(), "roomwatchd exited: " + agent.text()[-2000:])
                agent.signal(signal.SIGKILL)
                agent.p.wait(5)
                n += 1
                # Keep the last few logs: a thousand kills would fill the folder.
                if n > 5:
                    old = h.procs.pop(-2)
                    if os.path.exists(old.logpath):
                        os.unlink(old.logpath)
                agent = h.roomwatchd(conf, name="roomwatchd-%d" % n)
            elif what == "security":
                cli("event", "add", "--kind", "security-incident", "--at",
                    time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "--by", "值班员",
                    "--note", "a port scan from the office network")
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
        at(end_at)
        con = sqlite3.connect(os.path.join(state, "roomwatch.db"))
        waiting = con.execute("SELECT count(*) FROM outbox").fetchone()[0]
        check(waiting > 0, "nothing waited in the outbox during the outage")
        r = subprocess.run(EMULATOR + [ROOMWATCH, "status", "-c", cfg_path],
                           capture_output=True, text=True, timeout=60)
        check("outbox: %d of at most 100000 messages" % waiting in r.stdout,
              "roomwatch status does not show the %d waiting messages:\n%s%s" % (
                  waiting, r.stdout[-1500:], r.stderr))
        late_open = con.execute("SELECT count(*) FROM late WHERE end IS NULL").fetchone()[0]
        check(late_open == 1, "no open span of late telemetry during the outage")
        back_at, back_mono = time.time(), time.monotonic()
        broker = h.mosquitto(port=port, persist=True, extra=BROKER_EXTRA)

        def outbox_empty():
            return con.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0

        def late_sent():
            return con.execute("SELECT count(*) FROM late").fetchone()[0] == 0

        def security_lost():
            return con.execute("SELECT count(*) FROM alert WHERE indicator = 'security'"
                               ).fetchone()[0] > 0

        wait_for(security_lost, 75, "the security target's alert (lost)")
        wait_for(outbox_empty, 60 + outage / 10, "the outbox to empty after the broker came back")
        wait_for(late_sent, 60 + outage / 5, "the late telemetry to go out")
        time.sleep(1.0)
        check(agent.stop() == 0, "clean stop: " + agent.text()[-2000:])

        last = con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()[0]
        got = {}
        order = {}
        for _, topic, p, _ in sub.all(OUTBOX_TOPICS):
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
        # A restart starts a dip's 2 s hold again: a dip with a kill in it may open nothing.
        whole = [d for d in dips if not any(d - 0.5 <= k <= d + DIP_LEN for k in kill_at)]
        check(len(incidents) >= len(whole),
              "expected at least %d incidents from the dips no kill cut, got %d" % (
                  len(whole), len(incidents)))
        check(len(events) == len(event_at) + 1,
              "expected %d events, got %r" % (len(event_at) + 1, events))
        topics = {t.split("rw/test/", 1)[1] for t, _ in got.values()}
        for i in incidents:
            check("incident/%d" % i in topics, "incident %d was never published" % i)
        # Each change once: the detector's opening and resolution of every incident too (a
        # kill between the transition and its message loses neither), and no change under
        # two msg_ids (a row is marked in the commit that queues its message).
        seen = {}
        for mid, (topic, p) in got.items():
            d = json.loads(p)
            del d["msg_id"]
            key = (topic, json.dumps(d, sort_keys=True))
            check(key not in seen, "one message under two msg_ids, %d and %d: %s" % (
                seen.get(key, 0), mid, p))
            seen[key] = mid
        docs = [json.loads(p) for _, p in got.values()]
        for i, resolved in con.execute("SELECT id, resolved_at IS NOT NULL FROM incident"):
            evs = {d["event"] for d in docs if d.get("id") == i and "event" in d}
            check("detected" in evs, "incident %d: its opening was never published" % i)
            check(not resolved or "resolved" in evs,
                  "incident %d: its resolution was never published: %r" % (i, evs))
        unmarked = con.execute("SELECT count(*) FROM incident_change WHERE published = 0"
                               ).fetchone()[0]
        check(unmarked == 0, "%d changes of the record never published" % unmarked)
        # Alerts: exactly the set the store kept, each on alert/<indicator>.
        kept = {(ind, json.loads(doc)["id"]) for ind, doc in
                con.execute("SELECT indicator, doc FROM alert")}
        sent = {(t.rsplit("/", 1)[1], json.loads(p)["id"]) for t, p in got.values()
                if "/alert/" in t}
        check(("security" in {k[0] for k in kept}), "no alert kept for the security target")
        check(sent == kept, "alerts kept %r, delivered %r" % (sorted(kept), sorted(sent)))
        for e in events:
            check("event/%d" % e in topics, "event %d was never published" % e)
        acked = [json.loads(p) for t, p in got.values() if t.endswith("/incident/%d" % acked_id)]
        check(any(d.get("event") == "acknowledged" for d in acked),
              "the acknowledgement of incident %d was not published: %r" % (acked_id, acked))
        # <prefix>/status shows the outbox, as the agent saw it when it connected again.
        status = [json.loads(p) for _, _, p, _ in sub.all(r"/status$")]
        ob = [d["outbox"] for d in status if d.get("state") == "online" and "outbox" in d]
        check(ob and ob[-1]["max"] == 100000 and {"messages", "oldest", "refused",
                                                   "resent"} <= set(ob[-1]),
              "no outbox in the online status: %r" % status[-2:])
        # Telemetry: each v_l1 sample of the outage is in a document (a cycle's "ts" is its
        # last answer, at most an interval after), and late documents are the outage's.
        docs = []
        for _, topic, p, _ in sub.all(r"/telemetry/meter1$"):
            d = json.loads(p)
            v = d["points"].get("v_l1")
            if v is not None:
                docs.append((d["ts"], bool(d.get("late")), v["value"]))
        late = [d for d in docs if d[1]]
        check(late, "no late telemetry arrived")
        # Late: from 1.5 x keepalive before the broker went until roomwatchd was back online
        # (paho's reconnect backoff may take a few seconds after the broker).
        keepalive = 30.0
        online = [m for m, _, p, _ in sub.all(r"/status$")
                  if m >= back_mono and json.loads(p).get("state") == "online"]
        check(online, "roomwatchd never came back online")
        reconnected = back_at + online[0] - back_mono
        for ts, _, _ in late:
            check(stopped_at - 1.5 * keepalive - 1.0 <= ts <= reconnected + 0.5,
                  "a late document of %.3f, outside the outage %.3f..%.3f" % (
                      ts, stopped_at, reconnected))
        samples = [r for r in archive_rows(state, "meter1.v_l1")
                   if stopped_at + 1.0 <= r[0] <= back_at - 1.0]
        check(len(samples) > outage, "only %d archive samples from the outage" % len(samples))
        by_ts = sorted(docs)
        # A cycle's "ts" is its last answer: a few ms after v_l1's natively, longer under an
        # emulator; always less than the 0.5 s interval, so no other cycle's document counts.
        slack = 0.45 if EMULATOR else 0.3
        missing_t = []
        for t, value in samples:
            i = bisect.bisect_left(by_ts, (t - 0.005,))
            found = False
            while i < len(by_ts) and by_ts[i][0] <= t + slack:
                dv = by_ts[i][2]
                if (value is None and dv is None) or (
                        value is not None and dv is not None and abs(dv - value) < 1e-3):
                    found = True
                    break
                i += 1
            if not found:
                missing_t.append(t)
        check(not missing_t, "%d of %d outage samples never arrived as telemetry, first %r" % (
            len(missing_t), len(samples), missing_t[:5]))
        ls = [d["late"] for d in status if d.get("state") == "online" and "late" in d]
        check(ls and {"pending_s", "oldest", "sent", "dropped_s", "max_hours", "max_mb"} <= set(
            ls[-1]), "no late telemetry in the online status: %r" % status[-2:])
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        check(integrity == "ok", "integrity_check: " + integrity)
        repeats = len(sub.all(OUTBOX_TOPICS)) - len(got)
        print("alerts: %d kept, all delivered once" % len(kept))
        print("outbox: %.0f s outage, %d kills: %d messages produced (msg_id 1..%d), %d "
              "delivered, %d repeats, 0 lost; %d incidents, %d events; integrity ok"
              % (outage, kills, last, last, len(got), repeats, len(incidents), len(events)))
        print("telemetry: %d outage samples of v_l1 in the archive, all delivered; %d late "
              "documents" % (len(samples), len(late)))
        if A.json:
            with open(A.json, "w") as f:
                json.dump({"outage_s": outage, "kills": kills, "produced": last,
                           "delivered": len(got), "repeats": repeats, "lost": len(missing),
                           "incidents": len(incidents), "events": len(events),
                           "alerts": len(kept),
                           "telemetry_samples": len(samples), "late_documents": len(late),
                           "telemetry_lost": len(missing_t),
                           "integrity": integrity}, f, indent=1)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--outage", type=float, default=28.0, help="s the broker is away")
    ap.add_argument("--kills", type=int, default=3, help="SIGKILLs during the outage")
    ap.add_argument("--json", help="write the counts here")
    A = ap.parse_args()
    run(test)
