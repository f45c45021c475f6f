#!/usr/bin/python3
"""Broker access control (issue 14): mosquitto with the ACL of config/examples/
mosquitto-roomwatch.acl (README.md, "Broker access control"), a password file made with
mosquitto_passwd and no anonymous access; roomwatchd logs in as gateway gw1.

  - Anonymous clients are refused.
  - A command to gw1 from a foreign account — another gateway (gw2), gw1's own account, or
    an account with no grant — is never applied: no answer on cmd/result, nothing in gw1's
    store, no event published. The same command from an operator is applied.
  - gw1's account cannot write gw2's topics (telemetry, status, cmd), while its own
    telemetry gets through and roomwatchd's own publications arrive.
"""
import json
import os
import sqlite3
import subprocess
import threading
import time

import paho.mqtt.client as mqtt

from harness import SRC, Harness, agent_config, check, free_port, port_open, run, wait_for

ACL = os.path.join(SRC, "config", "examples", "mosquitto-roomwatch.acl")
SITE = "hq"
GW1 = "roomwatch/v1/%s/gw1" % SITE
GW2 = "roomwatch/v1/%s/gw2" % SITE
PASSWORDS = {"gw1": "gw1-Pa55word", "gw2": "gw2-Pa55word", "ops-zhang": "ops-Pa55word",
             "dashboard": "dash-Pa55word"}
INDICATORS = """indicators = (
  { id = "visits"; name = "机房环境监测运维"; kind = "count"; event = "maintenance";
    target = "≥ 12"; } );"""


class Client:
    """A paho client logged in as user (None: anonymous); .rc is the CONNACK code."""

    def __init__(self, port, user, topic=None):
        self.msgs = []
        self.rc = None
        self.ready = threading.Event()
        self.c = mqtt.Client(client_id="acl-%s-%d" % (user or "anon", os.getpid()))
        if user is not None:
            self.c.username_pw_set(user, PASSWORDS[user])

        def on_connect(c, u, f, rc):
            self.rc = rc
            if rc == 0 and topic is not None:
                c.subscribe(topic, qos=1)
            self.ready.set()
        self.c.on_connect = on_connect
        self.c.on_message = lambda c, u, m: self.msgs.append((m.topic, m.payload.decode()))
        self.c.connect("127.0.0.1", port, keepalive=30)
        self.c.loop_start()
        check(self.ready.wait(10), "no CONNACK for %s" % user)

    def publish(self, topic, payload):
        info = self.c.publish(topic, payload, qos=1)
        info.wait_for_publish()  # a denied publish is acknowledged and dropped (MQTT 3.1.1)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def event(cid):
    return json.dumps({"kind": "maintenance", "at": "2026-03-01T09:30:00+08:00", "by": "x",
                       "note": "acl test", "correlation_id": cid})


def test():
    with Harness("broker_acl") as h:
        port = free_port()
        pw = h.path("mosquitto.passwd")
        for i, (user, secret) in enumerate(sorted(PASSWORDS.items())):
            r = subprocess.run(["mosquitto_passwd", "-b"] + (["-c"] if i == 0 else []) +
                               [pw, user, secret], capture_output=True, text=True, timeout=10)
            check(r.returncode == 0, "mosquitto_passwd: %s" % r.stderr)
        conf = ("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\n"
                "acl_file %s\npersistence false\n" % (port, pw, ACL))
        if os.geteuid() == 0:
            conf += "user root\n"
        broker = h.start("mosquitto", ["mosquitto", "-c", h.write("mosquitto.conf", conf)])
        wait_for(lambda: port_open(port), 10, "mosquitto")

        anon = Client(port, None)
        check(anon.rc == 5, "an anonymous client got CONNACK %s, want 5 (refused)" % anon.rc)
        anon.close()

        ops = Client(port, "ops-zhang", "roomwatch/v1/#")
        check(ops.rc == 0, "operator refused: %s" % ops.rc)

        pass_file = h.write("gw1.pass", PASSWORDS["gw1"] + "\n", mode=0o600)
        state = h.path("state")
        agent = h.roomwatchd(agent_config(
            port, [], [], prefix=GW1,
            extra='site = { id = "%s"; gateway = "gw1"; };\nstate_dir = "%s";\n%s' % (
                SITE, state, INDICATORS),
            mqtt_extra='username = "gw1"; password_file = "%s";' % pass_file
        ).replace('site = { id = "test"; gateway = "gw"; timezone = "Asia/Shanghai"; };', ""))
        wait_for(lambda: "taking commands on" in agent.text() or not agent.alive(), 15,
                 "roomwatchd subscribed")
        check(agent.alive(), "roomwatchd exited: " + agent.text())
        wait_for(lambda: any(t == GW1 + "/status" for t, _ in ops.msgs), 10,
                 "gw1's status (its own topic, allowed)")

        # Foreign commands: never applied.
        for user in ("gw2", "gw1", "dashboard"):
            c = Client(port, user)
            check(c.rc == 0, "%s refused at connect: %s" % (user, c.rc))
            c.publish(GW1 + "/cmd/event", event("from-" + user))
            c.close()
        # The operator's, sent last: once it is answered, the others would have been too.
        ops.publish(GW1 + "/cmd/event", event("from-ops"))
        wait_for(lambda: any("from-ops" in p for t, p in ops.msgs if t == GW1 + "/cmd/result"),
                 10, "the operator's command answered")
        results = [json.loads(p) for t, p in ops.msgs if t == GW1 + "/cmd/result"]
        check([r.get("correlation_id") for r in results] == ["from-ops"],
              "answers on cmd/result: %s" % results)
        check(results[0]["ok"] and results[0]["changed"], "operator's command: %s" % results[0])
        time.sleep(1.0)
        db = sqlite3.connect("file:%s/roomwatch.db?mode=ro" % state, uri=True)
        notes = db.execute("SELECT count(*) FROM event").fetchone()[0]
        db.close()
        check(notes == 1, "the store holds %d events, want the operator's 1" % notes)
        check(sum(1 for t, _ in ops.msgs if t.startswith(GW1 + "/event/")) == 1,
              "events published: %s" % [t for t, _ in ops.msgs if "/event/" in t])

        # gw1's credentials on gw2's topics: dropped. Its own telemetry: delivered.
        gw1 = Client(port, "gw1")
        gw1.publish(GW2 + "/telemetry/meter1", '{"forged":true}')
        gw1.publish(GW2 + "/status", '{"forged":true}')
        gw1.publish(GW2 + "/cmd/ack", '{"incident":1,"by":"forged"}')
        gw1.publish(GW1 + "/telemetry/probe", '{"own":true}')
        wait_for(lambda: any(t == GW1 + "/telemetry/probe" for t, _ in ops.msgs), 10,
                 "gw1's own telemetry")
        forged = [(t, p) for t, p in ops.msgs if t.startswith(GW2 + "/")]
        check(forged == [], "gw1 wrote gw2's topics: %s" % forged)
        gw1.close()
        ops.close()
        check(agent.alive(), "roomwatchd exited: " + agent.text())
        broker.stop()


if __name__ == "__main__":
    run(test)
