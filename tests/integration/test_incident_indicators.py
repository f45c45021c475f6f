#!/usr/bin/python3
"""The incident indicators in the daemon and in `roomwatch status` (issue 6), and recorded
events on MQTT, with roomwatchd, roomwatch-devsim and mosquitto.

Scenario (seconds after devsim starts): meter1.v_l1 dips to 190 V over [2, 14): an incident
opens after the 1 s hold and resolves by itself 2 s after the voltage is back.
  - mttr and mtta appear on <prefix>/indicator/<id> (retained), null while nothing is
    resolved or acknowledged, the incident listed as open.
  - An ack sent with mosquitto_pub on cmd/ack moves mtta to (acknowledged - detected), hand
    computed from the incident document.
  - The automatic resolution moves mttr to (resolved - detected).
  - A security incident recorded with `roomwatch event add` moves the count from 0 to 1 and
    is published once on <prefix>/event/<id>.
  - `roomwatch status --json` shows the same values as the retained documents.
"""
import datetime
import json
import os
import subprocess
import time

from harness import BUILD, EMULATOR, Harness, agent_config, check, free_port, run, wait_for

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
PREFIX = "rw/test"
MS = 0.0015 / 3600  # hours: the documents' times are to the millisecond


def hours(a, b):
    return (datetime.datetime.fromisoformat(b) -
            datetime.datetime.fromisoformat(a)).total_seconds() / 3600


def test():
    with Harness("incident_indicators") as h:
        pm = free_port()
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, PREFIX + "/#")
        h.devsim("""
devices = (
  { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1;
    values = { v_l1 = 230.0; }; }
);
scenario = (
  { at = 2.0; device = "meter1"; action = "set"; point = "v_l1"; value = 190.0; duration = 12.0; }
);
""" % pm)
        state = h.path("state")
        conf = agent_config(
            broker.port,
            ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
            ['id = "meter1"; kind = "meter"; bus = "a"; unit = 1; interval = 0.5; '
             'profile = "eastron-sdm630";'],
            prefix=PREFIX,
            extra="""
state_dir = "%s";
alarms = (
  { id = "mains"; name = "市电电压异常"; severity = "major"; category = "power";
    points = ["meter1.v_l1"]; outside = [198.0, 235.4]; hold = 1; clear_hold = 2; }
);
indicators = (
  { id = "mttr"; name = "系统故障修复平均时间"; kind = "mttr"; target = "≥0&&≤2";
    target_unit = "h"; },
  { id = "mtta"; name = "系统运行维护响应时间"; kind = "mtta"; target = "≥0&&≤2";
    target_unit = "h"; },
  { id = "security"; name = "网络安全事故发生次数"; kind = "count"; event = "security-incident";
    target = "=0"; }
);
""" % state)
        agent = h.roomwatchd(conf)
        cfg_path = h.path("roomwatchd.cfg")

        def incident(event):
            d = [d for _, _, d in sub.json(r"/incident/\d+$") if d["event"] == event]
            return d[-1] if d else None

        def ind(iid):
            d = [d for _, _, d in sub.json(r"/indicator/%s$" % iid)]
            return d[-1] if d else None

        def ind_when(iid, pred):
            d = ind(iid)
            return d if d is not None and pred(d) else None

        def cli(*args):
            return subprocess.run(EMULATOR + [ROOMWATCH] + list(args) + ["-c", cfg_path],
                                  capture_output=True, text=True, timeout=30)

        det = wait_for(lambda: incident("detected"), 30, "the incident to open")
        iid = det["id"]
        # Open, nothing counted yet: listed as open in both.
        for name in ("mttr", "mtta"):
            d = wait_for(lambda: ind_when(name, lambda d: d["evidence"]["incidents"] != []), 10,
                         "%s to list the open incident" % name)
            check(d["value"] is None and d["status"] == "at_risk" and
                  d["evidence"]["incidents"][0]["id"] == iid and
                  d["evidence"]["incidents"][0]["state"] == "open", "%s while open: %r" % (name, d))
        sec = wait_for(lambda: ind("security"), 10, "the security count")
        check(sec["value"] == 0 and sec["met"] is True, "security before: %r" % sec)

        # An ack over MQTT moves mtta to acknowledged - detected.
        wait_for(lambda: "taking commands on rw/test/cmd/+" in agent.text(), 10,
                 "the subscription")
        out = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q",
                              "1", "-t", PREFIX + "/cmd/ack", "-m",
                              json.dumps({"incident": iid, "by": "张工"}, ensure_ascii=False)],
                             capture_output=True, text=True, timeout=10)
        check(out.returncode == 0, "mosquitto_pub: %s" % out.stderr)
        ack = wait_for(lambda: incident("acknowledged"), 10, "the acknowledged document")
        want_mtta = hours(ack["detected"], ack["acknowledged"])
        mtta = wait_for(lambda: ind_when("mtta", lambda d: d["value"] is not None), 5,
                        "mtta to move")
        check(abs(mtta["value"] - want_mtta) < MS and mtta["met"] is True and
              mtta["status"] == "ok", "mtta %r, want %.9f h" % (mtta, want_mtta))

        # The voltage is back at 14 s: resolved automatically, mttr moves.
        res = wait_for(lambda: incident("resolved"), 30, "the automatic resolution")
        want_mttr = hours(res["detected"], res["resolved"])
        mttr = wait_for(lambda: ind_when("mttr", lambda d: d["value"] is not None), 5,
                        "mttr to move")
        check(abs(mttr["value"] - want_mttr) < MS and mttr["met"] is True and
              mttr["evidence"]["incidents"][0]["state"] == "counted",
              "mttr %r, want %.9f h" % (mttr, want_mttr))

        # A security incident recorded on the gateway: counted, and published once.
        at = (datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))) -
              datetime.timedelta(seconds=60)).replace(microsecond=0).isoformat()
        out = cli("event", "add", "--kind", "security-incident", "--at", at, "--by", "李工",
                  "--note", "端口扫描")
        check(out.returncode == 0, "roomwatch event add: %r %r" % (out.stdout, out.stderr))
        ev = wait_for(lambda: [d for _, _, d in sub.json(r"/event/\d+$")], 10,
                      "the event on its topic")
        check(ev[0]["kind"] == "security-incident" and ev[0]["by"] == "李工" and
              ev[0]["note"] == "端口扫描" and ev[0]["incident"] is None and
              datetime.datetime.fromisoformat(ev[0]["at"]) ==
              datetime.datetime.fromisoformat(at), "event document: %r" % ev[0])
        sec = wait_for(lambda: ind_when("security", lambda d: d["value"] == 1), 5,
                       "the security count to move")
        check(sec["met"] is False and sec["status"] == "lost", "security after: %r" % sec)

        # roomwatch status shows the same values, computed from the store.
        out = cli("status", "--json")
        check(out.returncode == 0, "status: %r" % out.stderr)
        got = {d["id"]: d for d in json.loads(out.stdout)["indicators"]}
        for name, pub in (("mttr", mttr), ("mtta", mtta), ("security", sec)):
            check(got[name]["value"] == pub["value"] and got[name]["met"] == pub["met"] and
                  got[name]["status"] == pub["status"],
                  "status %s: %r, published %r" % (name, got[name], pub))
        out = cli("status")
        rows = {l.split()[0]: l.split() for l in out.stdout.splitlines()[2:] if l.strip()}
        check(out.returncode == 0 and rows["mttr"][2] == "%.4f" % mttr["value"] and
              rows["security"][2] == "1.0000", "status table: %r" % out.stdout)

        time.sleep(1.5)
        check(len([1 for _, _, d in sub.json(r"/event/\d+$")]) == 1, "the event published twice")
        check(agent.stop() == 0, "clean stop")


run(test)
