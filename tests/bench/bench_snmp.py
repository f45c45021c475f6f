#!/usr/bin/python3
"""roomwatch SNMP polling benchmark, side by side with collectd's snmp plugin.

One world on 127.0.0.1: snmpsimd processes serving N simulated UPS agents (one community each,
the recorded UPS of tests/fixtures/snmp/ups.snmprec: ten UPS-MIB/SNMPv2-MIB objects), and a
mosquitto broker. In turn, on the same agents in the same run:

  1. roomwatchd, polling every agent once a second with the ten GET points of the ups-mib
     profile (one GET per poll; the profile's walked alarm table is left out, as collectd
     reads no table here) and publishing one telemetry document per poll;
  2. collectd (Debian collectd-core, snmp + mqtt plugins), reading the same ten OIDs of every
     agent once a second, as a collectd user would configure it (one <Data> per value, one
     <Host> per agent), publishing one message per value.

For each it measures over a window after a warm-up: polls per second (roomwatch: telemetry
documents with every point good; collectd: complete sets of ten values per host and
interval), CPU seconds (utime + stime of the whole process) per 1000 polls, and peak RSS
(VmHWM). It prints a table with the ratios roomwatch / collectd; the goal is at most half of
collectd's CPU per 1000 polls.

    tests/bench/bench_snmp.py [--agents 200] [--seconds 30] [--warmup 5] [--build DIR]
                              [--json OUT]

Needs the build (roomwatchd), snmpsimd, mosquitto and collectd; run as root or not.
Processes it starts are stopped by PID at the end.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTD = "/usr/sbin/collectd"
COLLECTD_PLUGINS = "/usr/lib/collectd"
COLLECTD_TYPES_DB = "/usr/share/collectd/types.db"
CLK_TCK = os.sysconf("SC_CLK_TCK")
INTERVAL = 1.0
GOAL_CPU_RATIO = 0.5
AGENTS_PER_SIM = 100  # communities one snmpsimd process serves

# The ten objects of the ups-mib profile (config/profiles/ups-mib.cfg).
OIDS = [
    ("uptime", "1.3.6.1.2.1.1.3.0"),
    ("output_source", "1.3.6.1.2.1.33.1.4.1.0"),
    ("battery_status", "1.3.6.1.2.1.33.1.2.1.0"),
    ("seconds_on_battery", "1.3.6.1.2.1.33.1.2.2.0"),
    ("minutes_remaining", "1.3.6.1.2.1.33.1.2.3.0"),
    ("battery_charge", "1.3.6.1.2.1.33.1.2.4.0"),
    ("input_voltage", "1.3.6.1.2.1.33.1.3.3.1.3.1"),
    ("output_voltage", "1.3.6.1.2.1.33.1.4.4.1.2.1"),
    ("output_load", "1.3.6.1.2.1.33.1.4.4.1.5.1"),
    ("alarms_present", "1.3.6.1.2.1.33.1.6.1.0"),
]


def log(msg):
    sys.stderr.write("bench_snmp: %s\n" % msg)
    sys.stderr.flush()


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def snmp_answers(port, community):
    r = subprocess.run(["snmpget", "-v2c", "-c", community, "-t", "0.5", "-r", "0", "-On",
                        "127.0.0.1:%d" % port, "1.3.6.1.2.1.1.3.0"], capture_output=True,
                       text=True, env=dict(os.environ, MIBS=""))
    return r.returncode == 0


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.2)
    raise RuntimeError("timed out waiting for " + what)


class World:
    def __init__(self, keep):
        self.dir = tempfile.mkdtemp(prefix="rw-bench-snmp-")
        self.keep = keep
        self.procs = []

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def write(self, name, text, mode=0o644):
        with open(self.path(name), "w") as f:
            f.write(text)
        os.chmod(self.path(name), mode)
        return self.path(name)

    def start(self, name, argv, env=None):
        logf = open(self.path(name + ".log"), "ab")
        p = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        p.logf = logf
        p.name = name
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(5)
        p.logf.close()

    def close(self):
        for p in reversed(self.procs):
            self.stop(p)
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            log("files kept in " + self.dir)


def start_snmpsim(world, communities, index):
    port = free_port(socket.SOCK_DGRAM)
    data = world.path("sim%d-data" % index)
    cache = world.path("sim%d-cache" % index)
    os.makedirs(data)
    os.makedirs(cache)
    with open(os.path.join(SRC, "tests", "fixtures", "snmp", "ups.snmprec")) as f:
        rec = f.read()
    for c in communities:
        with open(os.path.join(data, c + ".snmprec"), "w") as f:
            f.write(rec)
    argv = ["snmpsimd", "--data-dir=" + data, "--cache-dir=" + cache,
            "--agent-udpv4-endpoint=127.0.0.1:%d" % port, "--logging-method=null"]
    if os.geteuid() == 0:
        os.chmod(world.dir, 0o711)
        for root, dirs, files in os.walk(data):
            os.chmod(root, 0o755)
            for fn in files:
                os.chmod(os.path.join(root, fn), 0o644)
        shutil.chown(cache, "nobody", "nogroup")
        argv += ["--process-user=nobody", "--process-group=nogroup"]
    p = world.start("snmpsim%d" % index, argv)
    wait_for(lambda: snmp_answers(port, communities[0]) or p.poll() is not None, 120,
             "snmpsimd %d" % index)
    if p.poll() is not None:
        raise RuntimeError("snmpsimd exited")
    # Index every data file now, so that neither agent pays for it.
    for c in communities:
        snmp_answers(port, c)
    return port


class Counter:
    """Counts complete polls from MQTT messages."""

    def __init__(self, port, topic, kind):
        self.kind = kind
        self.lock = threading.Lock()
        self.polls = []  # arrival times of complete polls
        self.partial = {}  # collectd: (host, second) -> values seen
        self.c = mqtt.Client(client_id="bench-snmp-%s-%d" % (kind, os.getpid()))
        self.c.on_message = self.on_message
        self.c.on_connect = lambda c, u, f, rc: c.subscribe(topic, qos=0)
        self.c.connect("127.0.0.1", port, 30)
        self.c.loop_start()

    def on_message(self, c, u, m):
        now = time.monotonic()
        if self.kind == "roomwatch":
            try:
                d = json.loads(m.payload)
            except ValueError:
                return
            pts = d.get("points", {})
            if len(pts) == len(OIDS) and all(p.get("quality") == "good" for p in pts.values()):
                with self.lock:
                    self.polls.append(now)
            return
        # collectd/<host>/snmp/<type>-<instance> "time:value"
        parts = m.topic.split("/")
        try:
            t = float(m.payload.decode().split(":")[0])
        except (ValueError, IndexError):
            return
        key = (parts[1], int(round(t)))
        with self.lock:
            n = self.partial.get(key, 0) + 1
            self.partial[key] = n
            if n == len(OIDS):
                self.polls.append(now)
                del self.partial[key]

    def count(self, t0, t1):
        with self.lock:
            return sum(1 for t in self.polls if t0 <= t < t1)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def proc_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def proc_hwm(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def measure(world, name, argv, counter, args, env=None):
    p = world.start(name, argv, env=env)
    time.sleep(args.warmup)
    if p.poll() is not None:
        raise RuntimeError("%s exited:\n%s" % (name, open(world.path(name + ".log")).read()))
    c0, t0 = proc_cpu(p.pid), time.monotonic()
    time.sleep(args.seconds)
    c1, t1 = proc_cpu(p.pid), time.monotonic()
    hwm = proc_hwm(p.pid)
    time.sleep(1.5)  # let the last messages of the window arrive
    polls = counter.count(t0 + 0.5, t1 + 0.5)
    world.stop(p)
    cpu = c1 - c0
    return {"polls": polls, "seconds": t1 - t0, "polls_per_s": polls / (t1 - t0),
            "cpu_s": cpu, "cpu_per_1000": 1000.0 * cpu / polls if polls else float("inf"),
            "peak_rss_kib": hwm}


def bench_profile(world):
    """ups-mib without its walk points: the same ten objects collectd reads, one GET."""
    os.makedirs(world.path("profiles"), exist_ok=True)
    with open(os.path.join(SRC, "config", "profiles", "ups-mib.cfg")) as f:
        text = f.read()
    # Each point is a "{ name = ...; }" group; drop those with a "walk".
    kept = re.sub(r"\{ name = \"[a-z0-9_]+\";[^{}]*walk = [^{}]*\},?\n", "", text)
    kept = re.sub(r",(\s*(#[^\n]*\n\s*)*)\);", r"\1);", kept)
    world.write(os.path.join("profiles", "ups-mib.cfg"), kept)
    return world.path("profiles")


def roomwatch_config(world, sims, mqtt_port, n):
    devs = []
    for i in range(n):
        port, community = sims[i]
        devs.append('  { id = "ups%03d"; kind = "ups"; profile = "ups-mib"; interval = %g; '
                    'timeout = 0.4; snmp = { host = "127.0.0.1"; port = %d; '
                    'community = "%s"; }; }' % (i, INTERVAL, port, community))
    return ('site = { id = "bench"; gateway = "gw"; };\n'
            'profile_dir = "%s";\n'
            'mqtt = { uri = "tcp://127.0.0.1:%d"; prefix = "rw"; qos = 0; buffer = 100000; };\n'
            'devices = (\n%s\n);\n' % (bench_profile(world), mqtt_port, ",\n".join(devs)))


def collectd_config(world, sims, mqtt_port, n):
    data = "".join('  <Data "%s">\n    Type "gauge"\n    Table false\n    Instance "%s"\n'
                   '    Values "%s"\n  </Data>\n' % (name, name, oid) for name, oid in OIDS)
    collect = " ".join('"%s"' % name for name, _ in OIDS)
    hosts = "".join('  <Host "ups%03d">\n    Address "127.0.0.1:%d"\n    Version 2\n'
                    '    Community "%s"\n    Collect %s\n    Interval %g\n    Timeout 0.4\n'
                    '    Retries 1\n  </Host>\n' % (i, sims[i][0], sims[i][1], collect, INTERVAL)
                    for i in range(n))
    os.makedirs(world.path("collectd"), exist_ok=True)
    return ('Hostname "bench"\nFQDNLookup false\nBaseDir "%s"\nPIDFile "%s"\nPluginDir "%s"\n'
            'TypesDB "%s"\nInterval %g\n\n'
            'LoadPlugin logfile\n<Plugin logfile>\n  LogLevel warning\n  File "%s"\n</Plugin>\n'
            'LoadPlugin snmp\nLoadPlugin mqtt\n'
            '<Plugin snmp>\n%s%s</Plugin>\n'
            '<Plugin mqtt>\n  <Publish "bench">\n    Host "127.0.0.1"\n    Port "%d"\n'
            '    ClientId "collectd-bench-snmp-%d"\n    Prefix "collectd"\n    QoS 0\n'
            '  </Publish>\n</Plugin>\n') % (
                world.path("collectd"), world.path("collectd.pid"), COLLECTD_PLUGINS,
                COLLECTD_TYPES_DB, INTERVAL, world.path("collectd-plugin.log"), data, hosts,
                mqtt_port, os.getpid())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--json")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    roomwatchd = os.path.join(args.build, "agent", "roomwatchd")
    world = World(args.keep)
    try:
        mqtt_port = free_port()
        world.write("mosquitto.conf", "listener %d 127.0.0.1\nallow_anonymous true\n"
                    "persistence false\n%s" % (mqtt_port,
                                               "user root\n" if os.geteuid() == 0 else ""))
        world.start("mosquitto", ["mosquitto", "-c", world.path("mosquitto.conf")])
        time.sleep(0.5)
        sims = []
        for s in range(0, args.agents, AGENTS_PER_SIM):
            comms = ["ups%03d" % i for i in range(s, min(s + AGENTS_PER_SIM, args.agents))]
            log("snmpsimd %d: %d agents" % (s // AGENTS_PER_SIM, len(comms)))
            port = start_snmpsim(world, comms, s // AGENTS_PER_SIM)
            sims += [(port, c) for c in comms]

        results = {}
        cfg = world.write("roomwatchd.cfg", roomwatch_config(world, sims, mqtt_port, args.agents))
        cnt = Counter(mqtt_port, "rw/telemetry/#", "roomwatch")
        log("roomwatchd: %g s warm-up + %g s" % (args.warmup, args.seconds))
        env = dict(os.environ, SNMP_PERSISTENT_DIR=world.path("snmp-state"))
        root = ["--allow-root"] if os.geteuid() == 0 else []  # roomwatchd refuses root otherwise
        results["roomwatch"] = measure(world, "roomwatchd", [roomwatchd, "-c", cfg] + root, cnt, args,
                                       env=env)
        cnt.close()

        cd = world.write("collectd.conf", collectd_config(world, sims, mqtt_port, args.agents))
        cnt = Counter(mqtt_port, "collectd/#", "collectd")
        log("collectd: %g s warm-up + %g s" % (args.warmup, args.seconds))
        results["collectd"] = measure(world, "collectd", [COLLECTD, "-f", "-C", cd], cnt, args,
                                      env=dict(os.environ, MIBS=""))
        cnt.close()
    finally:
        world.close()

    r, c = results["roomwatch"], results["collectd"]
    expected = args.agents / INTERVAL
    print("SNMP benchmark: %d agents, %g s interval, %g s window (expected %.0f polls/s)"
          % (args.agents, INTERVAL, args.seconds, expected))
    print("%-24s %12s %12s %10s" % ("", "roomwatchd", "collectd", "ratio"))
    rows = [("polls/s", "polls_per_s", "%.1f"), ("CPU s / 1000 polls", "cpu_per_1000", "%.3f"),
            ("CPU s in window", "cpu_s", "%.2f"), ("peak RSS (MiB)", "peak_rss_kib", "%.1f")]
    for label, key, fmt in rows:
        rv, cv = r[key], c[key]
        if key == "peak_rss_kib":
            rv, cv = rv / 1024.0, cv / 1024.0
        print("%-24s %12s %12s %10s" % (label, fmt % rv, fmt % cv,
                                        "%.2f" % (rv / cv) if cv else "-"))
    ratio = r["cpu_per_1000"] / c["cpu_per_1000"] if c["cpu_per_1000"] else float("inf")
    print("goal CPU per 1000 polls <= %.1f x collectd's: %s (%.2f)" % (
        GOAL_CPU_RATIO, "met" if ratio <= GOAL_CPU_RATIO else "NOT met", ratio))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"agents": args.agents, "results": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
