#!/usr/bin/python3
"""Alerts (issue 16): one message per change of a target's alert state on <prefix>/alert/<id>,
the same sequence from `roomwatch replay` of the daemon's sample archive, and the history in
`roomwatch alerts`.

A meter against roomwatch-devsim and mosquitto on 127.0.0.1, two targets:
  - voltage (band, ≥97 %, the default coverage floor 0.9): the daemon starts months into the
    year, so its value rests on a sliver of the time so far: `unverified` at the first whole
    minute it evaluates, and nothing after (the coverage only grows by minutes a minute);
  - security (count of security-incident events, "=0"): ok until `roomwatch event add --kind
    security-incident`, then `lost` at the next whole minute, and never again.
Exactly 2 messages on <prefix>/alert/#, not retained, in that order; after another minute
still 2. `roomwatch alerts --json` lists the same two documents; `roomwatch replay --archive
... --json` gives the same sequence (indicator, minute, previous and new state).
The event and the stop are kept away from whole minutes (second 5 to 45 of a minute) so that
the daemon and the replay see each on the same side of a minute.
"""
import datetime
import json
import os
import signal
import subprocess
import time

from harness import BUILD, EMULATOR, Harness, agent_config, check, free_port, run, wait_for

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
PREFIX = "rw/alerts"


def mid_minute():
    """Waits until the wall clock is 5 to 45 s into a minute."""
    while not 5 <= time.time() % 60 <= 45:
        time.sleep(0.5)


def key(d):
    return (d["indicator"], d["at"], d["previous"], d["state"])


def test():
    with Harness("alerts") as h:
        pm = free_port()
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, PREFIX + "/alert/#")
        h.devsim("""
devices = (
  { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1;
    values = { v_l1 = 230.0; v_l2 = 230.0; v_l3 = 230.0; }; }
);
""" % pm)
        state = h.path("state")
        conf = agent_config(
            broker.port,
            ['id = "m"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
            ['id = "meter1"; kind = "meter"; bus = "m"; unit = 1; interval = 0.5; '
             'profile = "eastron-sdm630";'],
            prefix=PREFIX,
            extra="""
state_dir = "%s";
checkpoint_interval = 5;
indicators = (
  { id = "voltage"; name = "电流、电压稳定"; category = "产出指标"; kind = "band";
    points = ["meter1.v_l1"]; band = { nominal = 220.0; minus_pct = 10.0; plus_pct = 7.0; };
    window = 0; target = "≥97(%%)"; },
  { id = "security"; name = "网络安全事件"; kind = "count"; event = "security-incident";
    target = "=0"; }
);
""" % state)
        agent = h.roomwatchd(conf)
        cfg = h.path("roomwatchd.cfg")

        def cli(*args):
            return subprocess.run(EMULATOR + [ROOMWATCH] + list(args), capture_output=True,
                                  text=True, timeout=120)

        def alerts():
            return [(t, topic, json.loads(p), r) for t, topic, p, r in sub.all(r"/alert/")]

        wait_for(lambda: len(alerts()) >= 1, 90, "the first alert (voltage unverified)")
        first = alerts()[0]
        check(first[1] == PREFIX + "/alert/voltage", "first alert on %s" % first[1])
        check(first[2]["state"] == "unverified" and first[2]["previous"] == "ok" and
              first[2]["what"] == "raised", "first alert: %r" % first[2])
        check(first[2]["explanation"].startswith("电流、电压稳定："), "explanation: %r" % first[2])

        mid_minute()
        now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
        r = cli("event", "add", "--kind", "security-incident", "--at",
                now.replace(microsecond=0).isoformat(), "--by", "王工", "--note", "phishing",
                "-c", cfg)
        check(r.returncode == 0, "roomwatch event add: " + r.stderr)
        wait_for(lambda: len(alerts()) >= 2, 90, "the security target to be lost")
        lost = alerts()[1]
        check(lost[1] == PREFIX + "/alert/security", "second alert on %s" % lost[1])
        check(lost[2]["state"] == "lost" and lost[2]["previous"] == "ok" and
              lost[2]["what"] == "lost" and lost[2]["value"] == 1, "lost: %r" % lost[2])

        # Another whole minute: nothing repeats.
        t0 = time.time()
        while time.time() < t0 + 61:
            time.sleep(1)
        mid_minute()
        agent.signal(signal.SIGTERM)
        wait_for(lambda: not agent.alive(), 20, "roomwatchd to stop")
        got = alerts()
        check(len(got) == 2, "%d alert messages, want 2: %r" % (len(got), [g[2] for g in got]))
        check(not any(g[3] for g in got), "an alert was retained")
        check(len({g[2]["id"] for g in got}) == 2, "ids not distinct: %r" % got)

        r = cli("alerts", "-c", cfg, "--json")
        check(r.returncode == 0, "roomwatch alerts: %s" % r.stderr)
        kept = json.loads(r.stdout)["alerts"]
        # Published through the outbox: each message carries its msg_id besides the document.
        check(all(isinstance(g[2].get("msg_id"), int) for g in got), "no msg_id: %r" % got)
        published = [{k: v for k, v in g[2].items() if k != "msg_id"} for g in got]
        check(kept == published, "store %r\n!= published %r" % (kept, published))
        r = cli("alerts", "-c", cfg)
        check(r.returncode == 0 and "voltage  ok -> unverified" in r.stdout and
              "security  ok -> lost" in r.stdout, "roomwatch alerts: %r" % r.stdout)

        # Replay evaluates up to its last row less --max-skew; the daemon's archive is in
        # order within its 2 s lag, and the stop is 5 s or more past a whole minute.
        r = cli("replay", "-c", cfg, "--archive", os.path.join(state, "archive"), "--year",
                str(now.year), "--max-skew", "3", "--json")
        check(r.returncode == 0, "replay --archive: exit %d: %s" % (r.returncode, r.stderr))
        replayed = json.loads(r.stdout)["alerts"]
        check([key(d) for d in replayed] == [key(g[2]) for g in got],
              "replay %r\n!= daemon %r" % ([key(d) for d in replayed], [key(g[2]) for g in got]))
        # The whole documents, numbers to the last digit: the same samples give the same alert.
        for d, k in zip(replayed, kept):
            diff = {f: (d.get(f), k.get(f)) for f in set(d) | set(k) if d.get(f) != k.get(f)}
            check(not diff, "replay != daemon for %s: %r" % (k["id"], diff))
        vol = [i for i in json.loads(r.stdout)["indicators"] if i["id"] == "voltage"][0]
        check(vol["status"] == "unverified" and vol["met"] is None, "voltage: %r" % vol)


run(test)
