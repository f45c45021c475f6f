#!/usr/bin/python3
"""`roomwatchd -t -c FILE`: exit 0 for a valid config; exit 2 with one `file:line: message`
per problem otherwise (a typo'd key, a bad type and an unknown profile give exactly three),
and a running daemon keeps its config when a reload finds errors. A module the config needs
(agent/rw_module.h) that does not load makes -t exit 1 with a message naming the file, and so
does the start."""
import glob
import os
import re
import shutil
import signal
import subprocess
import time

from harness import Harness, PROFILES, ROOMWATCHD, SRC, agent_config, check, run, wait_for

BAD = """site = { id = "hq"; gateway = "gw1"; };
profile_dir = "%s";
mqtt = { uri = "tcp://127.0.0.1:1"; };
buses = ( { id = "lan"; type = "tcp"; host = "127.0.0.1"; port = 502; } );
devices = (
  { id = "meter1"; kind = "meter"; bus = "lan"; unit = 1;
    intervall = 5.0;
    profile = "eastron-sdm630"; },
  { id = "th1"; kind = "th_sensor"; bus = "lan"; unit = 2;
    timeout = "fast";
    profile = "eastron-sdm630"; },
  { id = "ups1"; kind = "ups"; bus = "lan"; unit = 3;
    profile = "no-such-model"; }
);
""" % PROFILES


def check_cmd(path):
    return subprocess.run([ROOMWATCHD, "-t", "-c", path], capture_output=True, text=True, timeout=30)


def test():
    with Harness("config_check") as h:
        bad = h.write("bad.cfg", BAD)
        r = check_cmd(bad)
        check(r.returncode == 2, "exit %d for a bad config" % r.returncode)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        check(len(lines) == 3, "expected three messages, got:\n" + r.stderr)
        check(re.match(re.escape(bad) + r":7: .*intervall", lines[0]), "typo: " + lines[0])
        check(re.match(re.escape(bad) + r":10: .*timeout", lines[1]), "type: " + lines[1])
        check(re.match(re.escape(bad) + r":13: .*no-such-model", lines[2]), "profile: " + lines[2])

        # Every config the project ships passes the check.
        shipped = glob.glob(os.path.join(SRC, "config", "*.cfg")) + \
            glob.glob(os.path.join(SRC, "config", "examples", "*.cfg"))
        check(shipped, "no shipped configs found")
        for path in shipped:
            r = check_cmd(path)
            check(r.returncode == 0, "%s: exit %d:\n%s" % (path, r.returncode, r.stderr))

        # A roomwatchd without its modules (a copy in a prefix with no lib/roomwatch, built
        # with a prefix that has none either): a Modbus-only config needs none; an SNMP
        # device needs roomwatch-snmp.so, and both -t and the start say which file failed.
        lone = os.path.join(h.path("prefix"), "sbin", "roomwatchd")
        os.makedirs(os.path.dirname(lone))
        shutil.copy(ROOMWATCHD, lone)
        modbus_only = agent_config(1, ['id = "lan"; type = "tcp"; host = "127.0.0.1"; port = 9;'],
                                   ['id = "meter1"; kind = "meter"; bus = "lan"; unit = 1; '
                                    'profile = "eastron-sdm630";'])
        r = subprocess.run([lone, "-t", "-c", h.write("modbus.cfg", modbus_only)],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "a Modbus-only -t needs a module? exit %d:\n%s" % (
            r.returncode, r.stderr))
        snmp = agent_config(1, [], ['id = "ups1"; kind = "ups"; profile = "ups-mib"; '
                                    'snmp = { host = "127.0.0.1"; port = 9; community = "x"; };'])
        snmp_cfg = h.write("snmp.cfg", snmp)
        if not os.path.exists("/usr/local/lib/roomwatch/roomwatch-snmp.so"):
            for argv in ([lone, "-t", "-c", snmp_cfg], [lone, "-c", snmp_cfg, "--allow-root"]):
                r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
                check(r.returncode == 1, "%s without its module: exit %d:\n%s" % (
                    " ".join(argv[1:]), r.returncode, r.stderr))
                check("module snmp: cannot load it:" in r.stderr and
                      "roomwatch-snmp.so" in r.stderr,
                      "the message does not name the module's file:\n" + r.stderr)
            # A reload to that config is refused before anything stops.
            cfg = h.write("lone.cfg", modbus_only)
            with open(h.path("lone.log"), "w") as log:
                p = subprocess.Popen([lone, "-c", cfg, "--allow-root"], stdout=log,
                                     stderr=subprocess.STDOUT)
            try:
                logtext = lambda: open(h.path("lone.log")).read()
                wait_for(lambda: "started" in logtext(), 10, "the lone roomwatchd's start")
                h.write("lone.cfg", snmp)
                p.send_signal(signal.SIGHUP)
                wait_for(lambda: "keeping the running configuration" in logtext(), 10,
                         "the refused reload")
                time.sleep(0.5)
                check(p.poll() is None, "roomwatchd stopped on a reload whose module fails")
                check("roomwatch-snmp.so" in logtext(), "reload refusal without the file")
            finally:
                p.terminate()
                p.wait(20)

        # SIGHUP with a broken config: refused, the daemon keeps running on the old one.
        broker = h.mosquitto()
        good = agent_config(broker.port, ['id = "lan"; type = "tcp"; host = "127.0.0.1"; port = 9;'],
                            ['id = "meter1"; kind = "meter"; bus = "lan"; unit = 1; interval = 1.0; profile = "eastron-sdm630";'])
        agent = h.roomwatchd(good)
        wait_for(lambda: "started" in agent.text(), 10, "roomwatchd start")
        h.write("roomwatchd.cfg", BAD)
        agent.signal(signal.SIGHUP)
        wait_for(lambda: "keeping the running configuration" in agent.text(), 10, "reload refusal")
        time.sleep(0.5)
        check(agent.alive(), "roomwatchd died on a bad reload")
        check(":7:" in agent.text(), "reload errors must name file:line")


run(test)
