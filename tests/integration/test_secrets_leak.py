#!/usr/bin/python3
"""Secrets never leak (issue 14): roomwatchd runs with debug logging against a broker that
wants a password, an SNMPv3 agent (authPriv: two passphrases), a v2c agent whose community
comes from a file, and a v3 device configured with a wrong passphrase (so the failure path
logs too); commands come and go. Then every place roomwatch writes is searched for each
secret, and none may hold it:

  - roomwatchd's log (-v: debug lines included), and `roomwatchd -t`'s output;
  - every payload and topic published on the broker;
  - `roomwatch status` (text and --json) and `roomwatch incidents --format csv`;
  - every row of every table of the store, and the raw bytes of every file in the state
    folder and in net-snmp's persistent folder (the WAL, anything written on shutdown);
  - /proc/PID/cmdline and /proc/PID/environ of the running daemon.
The control: the same search finds each secret in the secrets files themselves, so a
search that cannot match would fail here.
"""
import glob
import json
import os
import sqlite3
import subprocess
import threading
import time

import paho.mqtt.client as mqtt

from harness import BUILD, EMULATOR, ROOMWATCHD, ROOT_ARGS, Harness, agent_config, check, free_port, \
    port_open, run, snmprec, wait_for

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
PREFIX = "rw/test"
SECRETS = {
    "mqtt password": "Mq77-pw-Zh3ngzhou",
    "snmp auth passphrase": "Auth-K3y-9f2c1b",
    "snmp priv passphrase": "Priv-K3y-7e4b0d",
    "wrong auth passphrase": "Wr0ng-Auth-55aa",
    "community": "c0mmunity-Xy9",
}
INDICATORS = """indicators = (
  { id = "visits"; name = "机房环境监测运维"; kind = "count"; event = "maintenance";
    target = "≥ 12"; } );"""


def leaks(where, data):
    """The names of the secrets found in data (str or bytes)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    return ["%s in %s" % (name, where) for name, s in SECRETS.items() if s.encode() in data]


def test():
    with Harness("secrets_leak") as h:
        port = free_port()
        pw = h.path("mosquitto.passwd")
        r = subprocess.run(["mosquitto_passwd", "-b", "-c", pw, "gw1",
                            SECRETS["mqtt password"]], capture_output=True, text=True)
        check(r.returncode == 0, "mosquitto_passwd: %s" % r.stderr)
        r = subprocess.run(["mosquitto_passwd", "-b", pw, "watcher", "watcher-pw"],
                           capture_output=True, text=True)
        check(r.returncode == 0, "mosquitto_passwd: %s" % r.stderr)
        conf = "listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\n" \
               "persistence false\n" % (port, pw)
        if os.geteuid() == 0:
            conf += "user root\n"
        h.start("mosquitto", ["mosquitto", "-c", h.write("mosquitto.conf", conf)])
        wait_for(lambda: port_open(port), 10, "mosquitto")

        msgs = []
        ready = threading.Event()
        sub = mqtt.Client(client_id="secrets-watcher-%d" % os.getpid())
        sub.username_pw_set("watcher", "watcher-pw")
        sub.on_connect = lambda c, u, f, rc: (c.subscribe("#", qos=1), ready.set())
        sub.on_message = lambda c, u, m: msgs.append((m.topic, m.payload))
        sub.connect("127.0.0.1", port, 30)
        sub.loop_start()
        check(ready.wait(10), "the watcher did not connect")

        sim = h.snmpsim({SECRETS["community"]: snmprec("ups")})
        v3 = h.snmpd_v3("rwuser", SECRETS["snmp auth passphrase"],
                        SECRETS["snmp priv passphrase"])
        # A second agent (its own engine ID) for the device with the wrong passphrase:
        # net-snmp keeps one USM user per engine ID and user name, so a second device with the
        # same user on the same agent would be served the first one's keys.
        v3b = h.snmpd_v3("rwuser", SECRETS["snmp auth passphrase"],
                         SECRETS["snmp priv passphrase"], name="snmpd-b")
        files = {
            "mqtt.pass": SECRETS["mqtt password"], "auth.pass": SECRETS["snmp auth passphrase"],
            "priv.pass": SECRETS["snmp priv passphrase"],
            "wrong.pass": SECRETS["wrong auth passphrase"], "community": SECRETS["community"],
        }
        paths = {n: h.write(n, s + "\n", mode=0o600) for n, s in files.items()}
        # Control: the search finds what is there.
        found = set()
        for p in paths.values():
            with open(p, "rb") as f:
                found.update(leaks("x", f.read()))
        check(len(found) == len(SECRETS), "the search itself misses secrets: %s" % found)

        state = h.path("state")
        snmp_state = h.path("snmp-state")  # the harness points net-snmp's persistence here
        v3dev = ('snmp = { host = "127.0.0.1"; port = %d; version = "3"; user = "rwuser"; '
                 'level = "authPriv"; auth_protocol = "SHA-256"; auth_passphrase_file = "%s"; '
                 'priv_protocol = "AES"; priv_passphrase_file = "%s"; };')
        conf_text = agent_config(port, [], [
            'id = "ups1"; kind = "ups"; profile = "ups-mib"; interval = 0.5; '
            'snmp = { host = "127.0.0.1"; port = %d; community_file = "%s"; };'
            % (sim.port, paths["community"]),
            'id = "core1"; kind = "switch"; profile = "if-mib"; interval = 0.5; index = 1; ' +
            v3dev % (v3.port, paths["auth.pass"], paths["priv.pass"]),
            'id = "core2"; kind = "switch"; profile = "if-mib"; interval = 0.5; index = 1; ' +
            v3dev % (v3b.port, paths["wrong.pass"], paths["priv.pass"]),
        ], prefix=PREFIX, extra='state_dir = "%s";\n%s' % (state, INDICATORS),
            mqtt_extra='username = "gw1"; password_file = "%s";' % paths["mqtt.pass"])
        agent = h.roomwatchd(conf_text, verbose=True)
        cfg_path = h.path("roomwatchd.cfg")

        def telemetry(dev):
            return [json.loads(p) for t, p in list(msgs) if t == PREFIX + "/telemetry/" + dev]
        wait_for(lambda: len(telemetry("ups1")) >= 3 and len(telemetry("core1")) >= 3 and
                 len(telemetry("core2")) >= 1, 30, "telemetry of all three devices")
        good = telemetry("core1")[-1]["points"]
        check(any(p["quality"] == "good" for p in good.values()),
              "the SNMPv3 device with the right keys was not read: %s" % good)
        bad = telemetry("core2")[-1]["points"]
        check(all(p["quality"] == "auth_error" for p in bad.values()),
              "the wrong passphrase did not give auth_error: %s" % bad)

        # Commands, good and bad, with the secrets' neighbours in them.
        for verb, payload in (("event", '{"kind":"maintenance","at":"2026-03-01T09:30:00+08:00",'
                                        '"by":"李工","note":"check","correlation_id":"c1"}'),
                              ("ack", '{"incident":99,"by":"x","correlation_id":"c2"}'),
                              ("ack", "not json")):
            sub.publish("%s/cmd/%s" % (PREFIX, verb), payload, qos=1).wait_for_publish()
        wait_for(lambda: sum(1 for t, _ in list(msgs) if t == PREFIX + "/cmd/result") >= 3, 10,
                 "three answers")

        found = []
        pid = agent.pid
        for name in ("cmdline", "environ"):
            with open("/proc/%d/%s" % (pid, name), "rb") as f:
                found += leaks("/proc/PID/" + name, f.read())
        env = dict(os.environ, TZ="Asia/Shanghai")
        for argv in ([ROOMWATCH, "status", "-c", cfg_path],
                     [ROOMWATCH, "status", "-c", cfg_path, "--json"],
                     [ROOMWATCH, "incidents", "-c", cfg_path, "--format", "csv"],
                     [ROOMWATCHD, "-t", "-c", cfg_path]):
            r = subprocess.run(EMULATOR + argv, capture_output=True, timeout=60, env=env)
            check(r.returncode in (0, 1, 2, 3), "%s: exit %d" % (argv[1:3], r.returncode))
            found += leaks(" ".join(os.path.basename(a) for a in argv[:2]), r.stdout + r.stderr)

        # Stop the daemon (shutdown writes net-snmp's persistent file and the store's last
        # state), then search the files it leaves.
        check(agent.alive(), "roomwatchd exited: " + agent.text()[-2000:])
        agent.stop()
        sub.loop_stop()
        sub.disconnect()
        found += leaks("roomwatchd's log", agent.text())
        for topic, payload in msgs:
            found += leaks("topic " + topic, topic.encode() + b" " + payload)
        db = sqlite3.connect("file:%s/roomwatch.db?mode=ro" % state, uri=True)
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        check("event" in tables and "run_log" in tables, "store tables: %s" % tables)
        for t in tables:
            for row in db.execute('SELECT * FROM "%s"' % t):
                found += leaks("table " + t, repr(row))
        db.close()
        nfiles = 0
        for d in (state, snmp_state):
            for p in glob.glob(os.path.join(d, "**"), recursive=True):
                if os.path.isfile(p):
                    nfiles += 1
                    with open(p, "rb") as f:
                        found += leaks(p, f.read())
        check(nfiles >= 1, "no file in the state folders")
        check(len(msgs) > 10, "only %d messages published" % len(msgs))
        check(found == [], "secrets leaked: %s" % sorted(set(found)))
        print("searched: %d messages, %d tables, %d files, the log (%d lines), status, "
              "incidents, -t, /proc cmdline and environ" %
              (len(msgs), len(tables), nfiles, len(agent.text().splitlines())))


if __name__ == "__main__":
    run(test)
