#!/usr/bin/python3
"""`roomwatchd -t -c FILE`: exit 0 for a valid config; exit 2 with one `file:line: message`
per problem otherwise (a typo'd key, a bad type and an unknown profile give exactly three),
and a running daemon keeps its config when a reload finds errors."""
import glob
import os
import re
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
