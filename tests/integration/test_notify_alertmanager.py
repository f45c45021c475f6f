#!/usr/bin/python3
"""Notifications to Prometheus Alertmanager (issue 17): Debian's prometheus-alertmanager on
127.0.0.1 receives a real incident from roomwatchd and its resolution.

meter1.v_l1 dips to 190 V over [3, 12): one major power incident opens after the 2 s hold.
While it is open, Alertmanager lists it (GET /api/v2/alerts) with the incident's labels, and
roomwatchd re-sends it every `resend` (10 s) so that it stays firing; once the voltage is
back and the 3 s clear hold has passed, the resolution arrives with endsAt = the resolution
time: Alertmanager no longer lists the alert, and its own webhook receiver (a local HTTP
server, send_resolved) gets the alert firing and then resolved, with that endsAt.
"""
import datetime
import json
import os
import sqlite3
import time
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import Harness, agent_config, check, free_port, run, wait_for

AM = "/usr/bin/prometheus-alertmanager"


def alerts(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/api/v2/alerts" % port, timeout=5) as r:
        return json.loads(r.read())


def ours(port):
    try:
        return [a for a in alerts(port) if a["labels"].get("alertname") == "mains"]
    except OSError:
        return []


def parse(t):
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))


class Sink:
    """Alertmanager's webhook receiver: keeps each notification (format version 4)."""

    def __init__(self, port):
        got = self.got = []

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", port), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def test():
    sink = Sink(free_port())
    try:
        scenario(sink)
    finally:
        sink.stop()


def scenario(sink):
    with Harness("notify_alertmanager") as h:
        pm, pam = free_port(), free_port()
        broker = h.mosquitto()
        amconf = h.write("alertmanager.yml", """
route:
  receiver: sink
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: sink
    webhook_configs:
      - url: http://127.0.0.1:%d/am
        send_resolved: true
""" % sink.srv.server_address[1])
        am = h.start("alertmanager", [AM, "--config.file=" + amconf,
                                      "--storage.path=" + h.path("am-data"),
                                      "--web.listen-address=127.0.0.1:%d" % pam,
                                      "--cluster.listen-address="])
        wait_for(lambda: am.alive() and ours(pam) == [] and _ready(pam), 30, "alertmanager up")
        h.devsim("""
devices = (
  { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1;
    values = { v_l1 = 230.0; }; }
);
scenario = (
  { at = 3.0; device = "meter1"; action = "set"; point = "v_l1"; value = 190.0; duration = 20.0; }
);
""" % pm)
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
notify = ( { id = "am"; type = "alertmanager"; url = "http://127.0.0.1:%d/"; resend = 10;
             language = "en"; } );
""" % (state, pam))
        agent = h.roomwatchd(conf)
        a = wait_for(lambda: ours(pam), 30, "the incident in Alertmanager")
        check(len(a) == 1, "one alert: %r" % a)
        a = a[0]
        check(a["labels"] == {"alertname": "mains", "site": "test", "gateway": "gw",
                              "device": "meter1", "point": "v_l1", "severity": "major",
                              "category": "power", "incident": "1"}, "labels %r" % a["labels"])
        check(a["annotations"]["summary"] == "[MAJOR] Incident #1 opened: 市电电压异常" and
              "Value: 190 V (limit: 198–235.4 V)" in a["annotations"]["description"],
              "annotations %r" % a["annotations"])
        check(a["status"]["state"] == "active", "state %r" % a["status"])
        first_update = a["updatedAt"]
        # Re-sent while firing: Alertmanager sees it updated again.
        # Each predicate asks Alertmanager once: asking twice races the alert's expiry.
        def resent():
            a = ours(pam)
            return a and a[0]["updatedAt"] != first_update

        wait_for(resent, 25, "a re-send of the firing alert")
        check("notify am: sent" in agent.text(), "log:\n" + agent.text())

        # The dip ends at 23 s; resolved 3 s later.
        def resolved_row():
            con = sqlite3.connect(os.path.join(state, "roomwatch.db"))
            r = con.execute("SELECT resolved_at FROM incident WHERE id = 1").fetchone()
            con.close()
            return r[0] if r and r[0] else None

        wait_for(resolved_row, 40, "the incident to resolve")
        res = resolved_row()
        # Alertmanager's API leaves out an alert whose endsAt has passed.
        wait_for(lambda: ours(pam) == [], 20, "the resolution in Alertmanager")
        wait_for(lambda: [n for n in sink.got if n["status"] == "resolved"], 20,
                 "Alertmanager's receiver to get the resolution")
        states = [n["status"] for n in sink.got]
        check(states[0] == "firing" and states[-1] == "resolved" and "resolved" not in states[:-1],
              "receiver got %r" % states)
        r = [n for n in sink.got if n["status"] == "resolved"][0]
        check(r["version"] == "4" and len(r["alerts"]) == 1 and
              r["alerts"][0]["labels"]["incident"] == "1", "resolved notification %r" % r)
        check(abs(parse(r["alerts"][0]["endsAt"]).timestamp() * 1000 - res) < 1000 and
              abs(parse(r["alerts"][0]["startsAt"]).timestamp() * 1000 - res) > 10000,
              "endsAt %r, resolved at %d" % (r["alerts"][0]["endsAt"], res))
        check(agent.stop() == 0, "clean stop")


def _ready(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % port, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


run(test)
