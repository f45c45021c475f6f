#!/usr/bin/python3
"""SNMP faults, each giving its documented quality and exactly one log line while the daemon
keeps running and the healthy device keeps its pace: a wrong v2c community (the agent stays
silent: timeout), a wrong SNMPv3 authentication passphrase (a usmStatsWrongDigests report:
auth_error), an OID the agent does not have (noSuchInstance: exception, code 129), and an
agent restart (sysUpTime goes back: "reset":true and one notice)."""
import re
import subprocess
import time

from harness import Harness, agent_config, check, run, snmprec, wait_for


def test():
    with Harness("snmp_faults") as h:
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        # "reboot": a UPS whose sysUpTime the test can set (snmpsim's writecache).
        reboot = re.sub(r"^1\.3\.6\.1\.2\.1\.1\.3\.0\|67\|.*$",
                        "1.3.6.1.2.1.1.3.0|67:writecache|value=500000", snmprec("ups"),
                        flags=re.M)
        sim = h.snmpsim({"ups": snmprec("ups"), "sw": snmprec("switch"), "reboot": reboot})
        v3 = h.snmpd_v3("rwuser", "auth-pass-123", "priv-pass-456")
        auth = h.write("auth.pass", "not-the-auth-pass\n", mode=0o600)
        priv = h.write("priv.pass", "priv-pass-456\n", mode=0o600)
        agent = h.roomwatchd(agent_config(broker.port, [], [
            'id = "good"; kind = "ups"; profile = "ups-mib"; interval = 1.0; '
            'snmp = { host = "127.0.0.1"; port = %d; community = "ups"; };' % sim.port,
            'id = "badcomm"; kind = "ups"; profile = "ups-mib"; interval = 1.0; '
            'snmp = { host = "127.0.0.1"; port = %d; community = "wrong"; };' % sim.port,
            'id = "badpass"; kind = "switch"; profile = "if-mib"; interval = 1.0; index = 1; '
            'snmp = { host = "127.0.0.1"; port = %d; version = "3"; user = "rwuser"; '
            'auth_protocol = "SHA-256"; auth_passphrase_file = "%s"; '
            'priv_passphrase_file = "%s"; };' % (v3.port, auth, priv),
            'id = "nooid"; kind = "th_sensor"; profile = "entity-sensor"; interval = 1.0; '
            'index = [1, 7]; snmp = { host = "127.0.0.1"; port = %d; community = "sw"; };'
            % sim.port,
            'id = "ups2"; kind = "ups"; profile = "ups-mib"; interval = 1.0; '
            'snmp = { host = "127.0.0.1"; port = %d; community = "reboot"; };' % sim.port,
        ]))

        def docs(dev):
            return [d for _, _, d in sub.json("telemetry/%s$" % dev)]

        wait_for(lambda: len(docs("badcomm")) >= 2 and len(docs("badpass")) >= 2 and
                 len(docs("nooid")) >= 3 and len(docs("ups2")) >= 2, 30, "fault telemetry")

        bc = docs("badcomm")[-1]["points"]
        check(all(p["quality"] == "timeout" and p["value"] is None for p in bc.values()),
              "badcomm: %r" % bc)
        bp = docs("badpass")[-1]["points"]
        check(all(p["quality"] == "auth_error" and p["value"] is None for p in bp.values()),
              "badpass: %r" % bp)
        no = docs("nooid")[-1]["points"]
        check(no["sensor_7"]["quality"] == "exception" and no["sensor_7"]["code"] == 129 and
              no["sensor_7"]["value"] is None, "nooid sensor_7: %r" % no["sensor_7"])
        check(no["sensor_1"]["quality"] == "good" and no["sensor_1"]["value"] == 23.5,
              "nooid sensor_1: %r" % no["sensor_1"])

        # The agent restarts: its sysUpTime drops from 5000 s to 1 s.
        r = subprocess.run(["snmpset", "-v2c", "-c", "reboot", "127.0.0.1:%d" % sim.port,
                            "1.3.6.1.2.1.1.3.0", "t", "100"], capture_output=True, text=True,
                           env={"MIBS": "", "PATH": "/usr/bin:/bin"})
        check(r.returncode == 0, "snmpset: " + r.stderr)
        wait_for(lambda: any(d["points"]["uptime"].get("reset") for d in docs("ups2")), 10,
                 "the restart flagged")
        time.sleep(3)  # more polls: the logs must not repeat

        check(agent.alive(), "roomwatchd died")
        good = docs("good")
        check(all(p["quality"] == "good" for d in good for p in d["points"].values()),
              "the good UPS went bad")
        ts = [d["ts"] for d in good]
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        check(len(ts) >= 6 and max(gaps) < 1.3, "good UPS pace: %r" % gaps)
        resets = [d for d in docs("ups2") if d["points"]["uptime"].get("reset")]
        check(len(resets) == 1, "one reset document, got %d" % len(resets))

        lines = agent.text().splitlines()

        def about(dev):
            return [l for l in lines if "snmp device %s " % dev in l]

        for dev, word in (("badcomm", "timeout"), ("badpass", "wrong digest"),
                          ("nooid", "noSuchInstance")):
            got = about(dev)
            check(len(got) == 1 and word in got[0],
                  "%s: expected one line with %r, got:\n%s" % (dev, word, "\n".join(got)))
        got = [l for l in about("ups2") if "restarted" in l]
        check(len(got) == 1, "one restart notice, got:\n" + "\n".join(about("ups2")))
        check("not-the-auth-pass" not in agent.text(), "a passphrase in the log")


run(test)
