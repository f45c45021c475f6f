#!/usr/bin/python3
"""The connection breaks in the middle of a PUBLISH (issue 14): an MQTT-aware proxy between
roomwatchd and a real mosquitto forwards half of a PUBLISH packet and cuts the connection,
four times, 6 s apart, while incidents open and resolve. roomwatchd reconnects each time and
goes on: telemetry polled after the last cut arrives, every message of the outbox (msg_id 1
to the last the store handed out) arrives, the broker saw the cut packets as what they are
(never as a message), and the agent logs each loss once and never starts over on a new
client (each connection lasts longer than the 2 s that would make it suspect)."""
import json
import os
import sqlite3
import time

from harness import (Harness, MqttProxy, PROFILES, agent_config, check, free_port, run,
                     wait_for)

CUTS = (3.0, 9.0, 15.0, 21.0)  # s after devsim starts
DIPS = (4.0, 11.0, 18.0)
END = 27.0


def test():
    with Harness("broker_cut") as h:
        pm = free_port()
        broker = h.mosquitto()
        proxy = MqttProxy(broker.port)
        sub = h.subscribe(broker.port, "rw/test/#")
        h.devsim("""
devices = ( { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1";
              port = %d; unit = 1; values = { v_l1 = 230.0; }; } );
scenario = ( %s );
""" % (pm, ",\n  ".join('{ at = %.1f; device = "meter1"; action = "set"; point = "v_l1"; '
                        'value = 190.0; duration = 4.0; }' % t for t in DIPS)),
                 profiles=PROFILES)
        t0 = time.monotonic()
        state = h.path("state")
        agent = h.roomwatchd(agent_config(
            proxy.port, ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
            ['id = "meter1"; kind = "meter"; bus = "a"; unit = 1; interval = 0.5; '
             'profile = "eastron-sdm630";'],
            extra="""
state_dir = "%s";
alarms = (
  { id = "mains"; severity = "major"; category = "power"; points = ["meter1.v_l1"];
    outside = [198.0, 235.4]; hold = 2; clear_hold = 2; }
);
""" % state))
        try:
            for t in CUTS:
                left = t0 + t - time.monotonic()
                if left > 0:
                    time.sleep(left)
                proxy.cut_publish = 1
            left = t0 + END - time.monotonic()
            if left > 0:
                time.sleep(left)
            t_end = time.time()
            check(len(proxy.publish_cuts) == len(CUTS),
                  "%d PUBLISH packets cut, expected %d" % (len(proxy.publish_cuts), len(CUTS)))
            con = sqlite3.connect(os.path.join(state, "roomwatch.db"))
            wait_for(lambda: con.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0, 60,
                     "the outbox to empty")
            wait_for(lambda: any(d["ts"] > t_end for _, _, d in sub.json("telemetry/meter1$")),
                     30, "telemetry after the last cut")
            check(agent.alive(), "roomwatchd exited: " + agent.text()[-2000:])
            last = con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
            check(last is not None, "the outbox handed out no id: no incident was published")
            ids = {json.loads(p)["msg_id"] for _, _, p, _ in sub.all(r"/incident/\d+$")}
            missing = sorted(set(range(1, last[0] + 1)) - ids)
            check(not missing, "msg_ids never delivered: %r (of 1..%d)" % (missing, last[0]))
            check(len(ids) >= 2 * len(DIPS), "%d incident messages, expected %d" % (
                len(ids), 2 * len(DIPS)))
            log = agent.text()
            lost = log.count("mqtt: connection to")
            check(lost == len(CUTS), "expected %d 'connection lost' lines, got %d:\n%s" % (
                len(CUTS), lost, log[-3000:]))
            check("starting a new, clean session" not in log, "the agent started over:\n" + log)
            print("broker_cut: %d cuts mid-PUBLISH, %d outbox messages all delivered, "
                  "telemetry after the last cut" % (len(proxy.publish_cuts), last[0]))
        finally:
            proxy.close()


run(test)
