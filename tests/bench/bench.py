#!/usr/bin/python3
"""roomwatch polling benchmark, side by side with collectd.

For each room size N it simulates N Modbus TCP devices (roomwatch-devsim, one endpoint per
device on consecutive loopback ports, each serving tests/bench/bench-6float.cfg: six float32
input registers), starts a broker (mosquitto), and then, one after the other against the same
simulator and broker:

  1. roomwatchd, polling every device once a second and publishing one telemetry document per
     poll on <prefix>/telemetry/<device>;
  2. collectd (Debian collectd-core, modbus + mqtt plugins), reading the same registers once a
     second and publishing one message per value under collectd/.

With --n full (alone or beside sizes: --n 1,50,200,full) it also runs the full room: the demo
room's Modbus devices (an SDM630 meter and two temperature/humidity sensors, one of them on a
second endpoint), a UPS over SNMP (snmpsimd serving tests/fixtures/snmp/ups.snmprec), with
indicators and alarm rules (so the store, the core and the sample archive work too), beside
collectd reading the same registers and scalar OIDs with its modbus, snmp, mqtt and threshold
plugins.

Each agent gets a warm-up, then a fixed measurement window. Over the window the bench takes:
polls done and values delivered (counted by a paho-mqtt subscriber, by the poll's own
timestamp), the agent's CPU time (utime + stime of the process, /proc/PID/stat; the same counter
is read at ns resolution from each thread's schedstat), its peak RSS (VmHWM,
/proc/PID/status), and at the window's end its PSS (shared pages counted by their share) and
private memory (/proc/PID/smaps_rollup). It prints a table per N with the ratios
roomwatch / collectd and whether the goals hold (CPU per 1000 polls at most half of
collectd's, peak RSS at most collectd's, every value delivered), and can write everything as
JSON.

    tests/bench/bench.py [--n 1,50,200,full] [--seconds 60] [--build DIR] [--json OUT]
    tests/bench/bench.py --quick --n 5         # ~20 s smoke run (CTest: bench-smoke)

Exit status: 0 when every process ran and each agent delivered at least 90 % of the expected
values; 1 when something is broken; 2 on bad arguments; 3 with --check-goals when a goal is
missed. Timings never fail a run unless --check-goals is given.

Only processes this script started are stopped, by PID, also on Ctrl-C and on errors. Every
socket is on 127.0.0.1. See README.md beside this file.
"""
import argparse
import collections
import datetime
import errno
import json
import math
import os
import platform
import random
import re
import statistics
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import ephemeral_range  # noqa: E402  (one reading of the kernel's range)

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
PROFILE_NAME = "bench-6float"
PROFILE_FILE = os.path.join(HERE, PROFILE_NAME + ".cfg")
COLLECTD = "/usr/sbin/collectd"
COLLECTD_PLUGINS = "/usr/lib/collectd"
COLLECTD_TYPES_DB = "/usr/share/collectd/types.db"
MOSQUITTO = "/usr/sbin/mosquitto"
INTERVAL = 1.0       # s between polls of one device, both agents
GRACE = 2.0          # s after the last counted poll for its message to arrive
# A cross build's roomwatchd and devsim run under an emulator ("qemu-aarch64 -L SYSROOT"), as in
# the integration harness: tools/run-tests.sh sets RW_EMULATOR for the aarch64 variant. The
# peers (mosquitto, collectd) stay native. Timings under an emulator mean nothing.
EMULATOR = os.environ.get("RW_EMULATOR", "").split()
STOP_TIMEOUT = 30.0  # s an agent gets to exit after SIGTERM before SIGKILL (then exit -9)
SMOKE_MIN_SHARE = 0.9  # delivered / expected below this means something is broken
CLK_TCK = os.sysconf("SC_CLK_TCK")
RW_PREFIX = "roomwatch/v1/bench/gw1"
CD_PREFIX = "collectd"
GOAL_CPU_RATIO = 0.5  # roomwatch CPU per 1000 polls <= half of collectd's
GOAL_RSS_RATIO = 1.0  # roomwatch peak RSS <= collectd's


class BenchError(Exception):
    """Something is broken (not slow): a process did not start, died, or delivered nothing."""


# ----------------------------------------------------------------------------------------
# Processes: everything started is remembered and stopped by PID.

class Proc:
    def __init__(self, name, argv, logpath, cwd=None):
        self.name = name
        self.argv = argv
        self.logpath = logpath
        self.log = open(logpath, "ab")
        # A session of its own: a Ctrl-C in the terminal reaches only this script, which then
        # stops the process in order instead of having it die mid-measurement.
        try:
            self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, cwd=cwd, start_new_session=True)
        except OSError as e:
            self.log.close()
            raise BenchError("cannot start %s (%s): %s%s" % (
                name, argv[0], e,
                " (a cross build? set RW_EMULATOR)" if e.errno == errno.ENOEXEC else ""))
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def tail(self, nbytes=4000):
        try:
            self.log.flush()
            with open(self.logpath, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - nbytes))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after timeout; returns the exit code (-9 if killed).
        stop_s is how long it took to exit after the SIGTERM."""
        self.stop_s = None
        if self.alive():
            t = time.monotonic()
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.p.wait(timeout)
                self.stop_s = time.monotonic() - t
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait(5)
            except ProcessLookupError:
                pass
        if not self.log.closed:
            self.log.close()
        return self.p.returncode


class World:
    """The processes and subscribers of one run, and the folder they work in."""

    def __init__(self, keep):
        self.dir = tempfile.mkdtemp(prefix="rw-bench-")
        self.keep = keep
        self.procs = []
        self.subs = []
        self.failed = False

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, name, argv, cwd=None):
        p = Proc(name, argv, self.path(name + ".log"), cwd=cwd)
        self.procs.append(p)
        return p

    def stop(self, proc, timeout=10.0):
        rc = proc.stop(timeout)
        if proc in self.procs:
            self.procs.remove(proc)
        return rc

    def close(self):
        # A second Ctrl-C must not cut the clean-up short and leave processes behind.
        old = {sig: signal.signal(sig, signal.SIG_IGN)
               for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for s in self.subs:
                s.close()
            self.subs = []
            for p in reversed(self.procs):
                p.stop()
            self.procs = []
        finally:
            for sig, h in old.items():
                signal.signal(sig, h)
        if self.failed or self.keep:
            sys.stderr.write("bench: files kept in %s\n" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# ----------------------------------------------------------------------------------------
# Ports, waiting, /proc

_taken = set()


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_ports(n):
    """n consecutive ports free on 127.0.0.1, below the ephemeral range so that no outgoing
    connection (agent to simulator, client to broker) takes one between this check and the
    bind of the process that listens on it."""
    lo_eph, hi_eph = ephemeral_range()
    lo, hi = 20000, lo_eph - 1
    if hi - lo < n + 100:
        lo, hi = hi_eph + 1, 65535
    for _ in range(200):
        base = random.randint(lo, hi - n)
        ports = list(range(base, base + n))
        if any(p in _taken for p in ports):
            continue
        if all(port_free(p) for p in ports):
            _taken.update(ports)
            return ports
    raise BenchError("cannot find %d consecutive free ports on 127.0.0.1" % n)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for(pred, timeout, what, procs=()):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for p in procs:
            if not p.alive():
                raise BenchError("%s exited (code %s) while waiting for %s; its log:\n%s" % (
                    p.name, p.p.returncode, what, p.tail()))
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise BenchError("timed out after %.0f s waiting for %s" % (timeout, what))


def sleep_watching(seconds, procs):
    """Sleeps, checking every 0.2 s that the processes still run."""
    end = time.monotonic() + seconds
    while True:
        for p in procs:
            if not p.alive():
                raise BenchError("%s exited (code %s) during the measurement; its log:\n%s" % (
                    p.name, p.p.returncode, p.tail()))
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(0.2, left))


def proc_cpu(pid):
    """utime + stime of the whole process (every thread, living or gone), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / CLK_TCK


def thread_cpu(pid):
    """{tid: (name, cpu seconds, context switches)} for the threads alive now; the main
    thread is named "NAME (main)". Seconds come from schedstat (ns) when the kernel has it,
    else from the thread's utime + stime (10 ms ticks, too coarse for threads that use a few
    ms). Context switches (voluntary + not) count how often a thread went to sleep and woke:
    a thread that wakes without work shows many per poll."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                s = f.read()
        except OSError:
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        if int(tid) == pid:
            name += " (main)"
        rest = s.rsplit(")", 1)[1].split()
        cpu = (int(rest[11]) + int(rest[12])) / CLK_TCK
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                cpu = int(f.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            pass
        ctx = 0
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:",
                                        "nonvoluntary_ctxt_switches:")):
                        ctx += int(line.split()[1])
        except (OSError, ValueError):
            pass
        out[int(tid)] = (name, cpu, ctx)
    return out


def sched_cpu(pid):
    """{tid: seconds on a CPU} from /proc/PID/task/TID/schedstat: the same kernel counter as
    utime + stime (sum_exec_runtime), but in ns instead of clock ticks (10 ms), which matters
    when an agent uses a few tens of ms in a whole window. Empty if the kernel has no
    schedstat."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                out[int(tid)] = int(f.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            continue
    return out


def sched_delta(s0, s1):
    """CPU seconds between two sched_cpu() snapshots, or None if a thread ended in between
    (its time would be lost: then utime + stime, which keeps it, is used instead)."""
    if not s0 or not s1 or any(tid not in s1 for tid in s0):
        return None
    return sum(v - s0.get(tid, 0.0) for tid, v in s1.items())


def proc_status(pid, key):
    """A kB field of /proc/PID/status (VmHWM, VmRSS), in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def proc_rollup(pid):
    """Pss and Private_Clean + Private_Dirty of /proc/PID/smaps_rollup, in KiB: the agent's
    fair share of shared library pages, and what it alone holds (None where unreadable)."""
    v = {}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                    v[parts[0][:-1]] = int(parts[1])
    except OSError:
        return None, None
    if "Pss" not in v:
        return None, None
    return v["Pss"], v.get("Private_Clean", 0) + v.get("Private_Dirty", 0)


# ----------------------------------------------------------------------------------------
# The profile, and the configs generated from it

def read_profile_points(path):
    """(name, quantity, fc, address) of each point, in file order. The bench knows only the
    six-float32 shape it was written for, and says so if the profile changed."""
    with open(path) as f:
        text = f.read()
    pts = []
    for m in re.finditer(r"\{\s*name\s*=\s*\"(\w+)\";(.*?)\}", text, re.S):
        body = m.group(2)
        q = re.search(r"quantity\s*=\s*\"(\w+)\"", body)
        fc = re.search(r"fc\s*=\s*(\d+)", body)
        addr = re.search(r"address\s*=\s*(\d+)", body)
        typ = re.search(r"type\s*=\s*\"(\w+)\"", body)
        order = re.search(r"order\s*=\s*\"(\w+)\"", body)
        if not (q and fc and addr and typ) or typ.group(1) != "float32" or \
                (order and order.group(1) != "ABCD") or fc.group(1) not in ("3", "4"):
            raise BenchError("%s: point %s is not a float32 ABCD register (fc 3/4): the bench "
                             "writes collectd's config for that shape only" % (path, m.group(1)))
        pts.append((m.group(1), q.group(1), int(fc.group(1)), int(addr.group(1))))
    if not pts:
        raise BenchError("%s: no points found" % path)
    return pts


def sim_value(quantity):
    """The value model devsim serves: mains voltage and a moderate load, with noise, so that
    every reading is inside the profile's plausible range."""
    if quantity == "voltage":
        return "{ base = 230.0; noise = 2.0; }"
    if quantity == "current":
        return "{ base = 12.0; noise = 1.0; }"
    return "{ base = 1.0; }"


def devsim_config(ports, points):
    values = "\n".join("      %s = %s;" % (name, sim_value(q)) for name, q, _, _ in points)
    return ("# roomwatch-devsim config written by tests/bench/bench.py\n"
            "devices = (\n"
            "  { id = \"m\"; profile = \"%s\"; transport = \"tcp\"; host = \"127.0.0.1\";\n"
            "    port = %d; count = %d; unit = 1;\n"
            "    values = {\n%s\n    };\n"
            "  }\n"
            ");\n") % (PROFILE_NAME, ports[0], len(ports), values)


def roomwatch_config(ports, profile_dir, mqtt_port):
    buses = ",\n".join(
        "  { id = \"b%d\"; type = \"tcp\"; host = \"127.0.0.1\"; port = %d; }" % (i, p)
        for i, p in enumerate(ports))
    devices = ",\n".join(
        "  { id = \"m%d\"; kind = \"meter\"; bus = \"b%d\"; unit = 1; interval = %.1f; "
        "profile = \"%s\"; }" % (i, i, INTERVAL, PROFILE_NAME) for i in range(len(ports)))
    return ("# roomwatchd config written by tests/bench/bench.py: one bus per device, since\n"
            "# every simulated device is its own Modbus TCP endpoint.\n"
            "site = { id = \"bench\"; gateway = \"gw1\"; };\n"
            "profile_dir = \"%s\";\n"
            "mqtt = { uri = \"tcp://127.0.0.1:%d\"; client_id = \"roomwatch-bench-%d\";\n"
            "         prefix = \"%s\"; qos = 1; };\n"
            "buses = (\n%s\n);\n"
            "devices = (\n%s\n);\n") % (profile_dir, mqtt_port, os.getpid(), RW_PREFIX,
                                         buses, devices)


def collectd_config(world, ports, points, mqtt_port):
    """collectd.conf for the same room: one <Data> per register, one <Host> per device.
    ReadThreads and WriteThreads keep their defaults (5 and 5)."""
    data = []
    for name, quantity, fc, addr in points:
        ctype = quantity if quantity in ("voltage", "current") else "gauge"
        data.append(
            "  <Data \"%s\">\n"
            "    RegisterBase %d\n"
            "    RegisterType Float\n"
            "    RegisterCmd %s\n"
            "    Type %s\n"
            "    Instance \"%s\"\n"
            "  </Data>\n" % (name, addr, "ReadInput" if fc == 4 else "ReadHolding", ctype, name))
    hosts = []
    collect = "".join("      Collect \"%s\"\n" % name for name, _, _, _ in points)
    for i, p in enumerate(ports):
        hosts.append(
            "  <Host \"m%d\">\n"
            "    Address \"127.0.0.1\"\n"
            "    Port \"%d\"\n"
            "    Interval %g\n"
            "    <Slave 1>\n%s    </Slave>\n"
            "  </Host>\n" % (i, p, INTERVAL, collect))
    return ("# collectd.conf written by tests/bench/bench.py\n"
            "Hostname \"bench\"\n"
            "FQDNLookup false\n"
            "BaseDir \"%s\"\n"
            "PIDFile \"%s\"\n"
            "PluginDir \"%s\"\n"
            "TypesDB \"%s\"\n"
            "Interval %g\n"
            "\n"
            "LoadPlugin logfile\n"
            "<Plugin logfile>\n"
            "  LogLevel info\n"
            "  File \"%s\"\n"
            "  Timestamp true\n"
            "  PrintSeverity true\n"
            "</Plugin>\n"
            "\n"
            "LoadPlugin modbus\n"
            "LoadPlugin mqtt\n"
            "\n"
            "<Plugin modbus>\n%s%s</Plugin>\n"
            "\n"
            "<Plugin mqtt>\n"
            "  <Publish \"bench\">\n"
            "    Host \"127.0.0.1\"\n"
            "    Port \"%d\"\n"
            "    ClientId \"collectd-bench-%d\"\n"
            "    Prefix \"%s\"\n"
            "    QoS 1\n"
            "  </Publish>\n"
            "</Plugin>\n") % (
                world.path("collectd"), world.path("collectd.pid"), COLLECTD_PLUGINS,
                COLLECTD_TYPES_DB, INTERVAL, world.path("collectd-plugin.log"),
                "".join(data), "".join(hosts), mqtt_port, os.getpid(), CD_PREFIX)


# ----------------------------------------------------------------------------------------
# The subscriber

class Subscriber:
    """Counts what arrives on a topic filter. parse(topic, payload) returns a list of
    (device, poll key, poll timestamp, good values, other values) or None if the message is
    not one the bench counts."""

    def __init__(self, port, topic, parse, name):
        self.lock = threading.Lock()
        self.recs = []  # (device, key, ts, good, bad, receive time)
        self.unparsed = 0
        self.parse = parse
        self.subscribed = threading.Event()
        self.c = mqtt.Client(client_id="rw-bench-%s-%d" % (name, os.getpid()), clean_session=True)
        # The broker may keep many QoS 1 messages in flight to us: we count, we do not lag.
        self.c.max_inflight_messages_set(1000)
        self.c.on_connect = lambda c, u, f, rc: c.subscribe(topic, qos=1)
        self.c.on_subscribe = lambda c, u, mid, q: self.subscribed.set()
        self.c.on_message = self._on_message
        self.c.connect("127.0.0.1", port, keepalive=30)
        self.c.loop_start()
        if not self.subscribed.wait(10):
            self.close()
            raise BenchError("the bench's subscriber could not subscribe to %s" % topic)

    def _on_message(self, c, u, m):
        now = time.time()
        try:
            recs = self.parse(m.topic, m.payload)
        except (ValueError, KeyError, TypeError, AttributeError):
            recs = None
        with self.lock:
            if recs is None:
                self.unparsed += 1
            else:
                for r in recs:
                    self.recs.append(r + (now,))

    def records(self):
        with self.lock:
            return list(self.recs)

    def close(self):
        try:
            self.c.loop_stop()
            self.c.disconnect()
        except Exception:
            pass


def parse_roomwatch(topic, payload):
    """<prefix>/telemetry/<device>: one document per poll cycle with every point."""
    head = RW_PREFIX + "/telemetry/"
    if not topic.startswith(head):
        return []  # status and the like: not counted, not an error
    doc = json.loads(payload.decode("utf-8"))
    good = bad = 0
    for p in doc["points"].values():
        v = p.get("value")
        if p.get("quality") == "good" and isinstance(v, (int, float)) and math.isfinite(v):
            good += 1
        else:
            bad += 1
    dev = topic[len(head):]
    return [(dev, ("c", doc.get("cycle"), doc["ts"]), float(doc["ts"]), good, bad)]


def parse_collectd(topic, payload):
    """collectd/<host>/modbus-<instance>/<type>-<instance>: "time:value", one value each."""
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != CD_PREFIX:
        return None
    # The plugin sends the C string with its terminating NUL.
    ts, _, value = payload.decode("ascii").rstrip("\0 \n").partition(":")
    v = float(value)
    ok = math.isfinite(v)
    return [(parts[1], (topic, ts), float(ts), 1 if ok else 0, 0 if ok else 1)]


# ----------------------------------------------------------------------------------------
# Counting

def phase_of(stamps, interval):
    """The phase of a series of poll times within the interval (circular mean), or None."""
    if not stamps:
        return None
    sx = sum(math.cos(2 * math.pi * (t % interval) / interval) for t in stamps)
    sy = sum(math.sin(2 * math.pi * (t % interval) / interval) for t in stamps)
    if sx == 0 and sy == 0:
        return None
    return (math.atan2(sy, sx) / (2 * math.pi) * interval) % interval


def count_window(recs, devices, t0, window, interval):
    """Counts, per device, the polls whose own timestamp falls in a window of the given length
    that starts at t0 or up to one interval later, half an interval away from the device's
    poll phase (taken from the warm-up): a poll then cannot straddle an edge by jitter, and a
    device polled every interval without a miss has exactly window / interval polls in it.
    Duplicates (a QoS 1 message sent twice) are counted once and reported."""
    devices = set(devices)
    by_dev = collections.defaultdict(list)
    for r in recs:
        by_dev[r[0]].append(r)
    res = dict(messages=0, good=0, bad=0, duplicates=0, devices_seen=0, unknown_devices=0)
    good_by_dev = collections.Counter()
    res["good_by_dev"] = good_by_dev
    lags = []
    for dev, rs in by_dev.items():
        if dev not in devices:
            res["unknown_devices"] += 1
            continue
        warm = [r[2] for r in rs if r[2] < t0]
        ph = phase_of(warm[-50:], interval)
        start = t0 if ph is None else t0 + ((ph + interval / 2 - t0) % interval)
        end = start + window
        seen = set()
        for _, key, ts, good, bad, recv in rs:
            if not (start <= ts < end):
                continue
            if key in seen:
                res["duplicates"] += 1
                continue
            seen.add(key)
            res["messages"] += 1
            res["good"] += good
            res["bad"] += bad
            good_by_dev[dev] += good
            lags.append(recv - ts)
        if seen:
            res["devices_seen"] += 1
    # roomwatch: one message per poll. collectd's caller replaces this (one per value).
    res["polls"] = res["messages"]
    if lags:
        lags.sort()
        res["lag_median"] = lags[len(lags) // 2]
        res["lag_p99"] = lags[int(0.99 * (len(lags) - 1))]
        res["lag_max"] = lags[-1]
    return res


# ----------------------------------------------------------------------------------------
# One agent, measured

def measure(world, name, argv, sub, peers, devices, npoints, args):
    """Starts the agent, waits out the warm-up, measures over the window, stops it."""
    agent = world.start(name, argv)
    t_started = time.monotonic()
    sleep_watching(args.warmup, [agent] + peers)
    # Window start on the wall clock (the poll timestamps are wall time) and CPU counters.
    t0 = time.time()
    m0 = time.monotonic()
    cpu0 = proc_cpu(agent.pid)
    sch0 = sched_cpu(agent.pid)
    thr0 = thread_cpu(agent.pid)
    peer0 = {p.name: proc_cpu(p.pid) for p in peers}
    sleep_watching(args.seconds - (time.monotonic() - m0), [agent] + peers)
    cpu1 = proc_cpu(agent.pid)
    sch1 = sched_cpu(agent.pid)
    m1 = time.monotonic()
    thr1 = thread_cpu(agent.pid)
    peer1 = {p.name: proc_cpu(p.pid) for p in peers}
    hwm = proc_status(agent.pid, "VmHWM")
    rss = proc_status(agent.pid, "VmRSS")
    pss, private = proc_rollup(agent.pid)
    if world.keep:
        # Where the memory is, mapping by mapping, for whoever looks into it.
        try:
            shutil.copyfile("/proc/%d/smaps" % agent.pid, world.path("smaps-%s.txt" % name))
        except OSError:
            pass
    nthreads = len(thr1)
    # The counted polls end up to one interval after the window; give their messages time.
    sleep_watching(INTERVAL + GRACE, [agent] + peers)
    uptime = time.monotonic() - t_started
    rc = world.stop(agent, STOP_TIMEOUT)
    elapsed = m1 - m0
    recs = sub.records()
    c = count_window(recs, devices, t0, args.seconds, INTERVAL)
    if not isinstance(npoints, dict):
        npoints = {d: npoints for d in devices}
    if name == "collectd":
        # One message per value: a poll is a device's full set of values.
        c["polls"] = sum(c["good_by_dev"][d] // npoints[d] for d in devices)
    expected = sum(npoints[d] for d in devices) * int(round(args.seconds / INTERVAL))
    cpu_stat = cpu1 - cpu0
    cpu_sched = sched_delta(sch0, sch1)
    cpu = cpu_sched if cpu_sched is not None else cpu_stat
    threads = collections.defaultdict(float)
    switches = collections.Counter()
    nthr = collections.Counter()
    for tid, (tname, t1, c1) in thr1.items():
        _, t0_, c0 = thr0.get(tid, (tname, 0.0, 0))
        nthr[tname] += 1
        threads[tname] += t1 - t0_
        switches[tname] += c1 - c0

    def label(k):
        return "%s x%d" % (k, nthr[k]) if nthr[k] > 1 else k

    switches = {label(k): v for k, v in switches.items()}
    threads = {label(k): v for k, v in threads.items()}
    r = dict(
        window_s=round(elapsed, 3),
        uptime_s=round(uptime, 1),
        exit_code=rc,
        stop_s=round(agent.stop_s, 2) if agent.stop_s is not None else None,
        polls=c["polls"],
        polls_per_s=c["polls"] / args.seconds,
        messages=c["messages"],
        values_delivered=c["good"] + c["bad"],
        values_good=c["good"],
        values_bad=c["bad"],
        values_expected=expected,
        delivered_share=(c["good"] / expected) if expected else 0.0,
        duplicates=c["duplicates"],
        devices_seen=c["devices_seen"],
        unparsed_messages=sub.unparsed,
        cpu_s=round(cpu, 4),
        cpu_source="schedstat" if cpu_sched is not None else "stat",
        cpu_s_stat=round(cpu_stat, 3),
        cpu_s_schedstat=round(cpu_sched, 4) if cpu_sched is not None else None,
        cpu_pct_of_core=100.0 * cpu / elapsed if elapsed > 0 else 0.0,
        cpu_s_per_1000_polls=(1000.0 * cpu / c["polls"]) if c["polls"] else None,
        peak_rss_mib=hwm / 1024.0,
        rss_end_mib=rss / 1024.0,
        pss_end_mib=pss / 1024.0 if pss is not None else None,
        private_end_mib=private / 1024.0 if private is not None else None,
        threads=nthreads,
        thread_cpu_s={k: round(v, 4) for k, v in sorted(threads.items(), key=lambda kv: -kv[1])},
        thread_switches={k: switches[k] for k in sorted(switches, key=lambda k: -switches[k])},
        switches_per_poll=(sum(switches.values()) / c["polls"]) if c["polls"] else None,
        peers_cpu_s={k: round(peer1[k] - peer0[k], 3) for k in peer0},
        delivery_lag_s={k: round(c[k], 4) for k in ("lag_median", "lag_p99", "lag_max")
                        if k in c},
    )
    return r


def run_room(n, args, build, points):
    """One room of n devices: simulator and broker, then roomwatchd, then collectd."""
    for exe in ([roomwatchd_path(build)] if "roomwatch" in args.agents else []) + [
            devsim_path(build)]:
        if not os.access(exe, os.X_OK):
            raise BenchError("%s is missing: build first (see README.md)" % exe)
    world = World(args.keep)
    try:
        if n == "full":
            return _run_full(world, args, build)
        return _run_room(world, n, args, build, points)
    except KeyboardInterrupt:
        raise  # Ctrl-C or SIGTERM: stop everything (finally below), no post-mortem
    except BaseException:
        world.failed = True
        for p in world.procs:
            sys.stderr.write("---- %s (pid %d), end of %s:\n%s\n" % (
                p.name, p.pid, p.logpath, p.tail(3000)))
        raise
    finally:
        world.close()


def roomwatchd_path(build):
    return os.path.join(build, "agent", "roomwatchd")


def devsim_path(build):
    return os.path.join(build, "tools", "devsim", "roomwatch-devsim")


def _run_room(world, n, args, build, points):
    roomwatchd = roomwatchd_path(build)
    devsim = devsim_path(build)

    profiles = world.path("profiles")
    os.makedirs(profiles)
    shutil.copy(PROFILE_FILE, profiles)
    ports = free_ports(n)
    (mqtt_port,) = free_ports(1)
    devices = ["m%d" % i for i in range(n)]

    # The simulator: n endpoints on consecutive ports.
    sim_cfg = world.write("sim.cfg", devsim_config(ports, points))
    ready = world.path("devsim.ready")
    sim = world.start("devsim", EMULATOR + [devsim, "-c", sim_cfg, "-P", profiles,
                                            "--ready-file", ready])
    wait_for(lambda: os.path.exists(ready), 30, "roomwatch-devsim's ready file", [sim])
    wait_for(lambda: port_open(ports[0]) and port_open(ports[-1]), 10,
             "roomwatch-devsim on ports %d..%d" % (ports[0], ports[-1]), [sim])

    broker = start_broker(world, mqtt_port)
    peers = [sim, broker]
    result = dict(n=n, points_per_device=len(points), seconds=args.seconds, warmup=args.warmup,
                  ports=[ports[0], ports[-1]], mqtt_port=mqtt_port)

    # 1. roomwatchd
    if "roomwatch" in args.agents:
        result["roomwatch"] = measure_roomwatch(world, n, args, roomwatchd, ports, profiles,
                                                mqtt_port, peers, devices, points)
    # 2. collectd, same simulator and broker
    if "collectd" in args.agents:
        result["collectd"] = measure_collectd(world, n, args, ports, mqtt_port, peers, devices,
                                              points)

    result["devsim_exit"] = world.stop(sim)
    result["mosquitto_exit"] = world.stop(broker)
    judge(result)
    return result


def start_broker(world, mqtt_port):
    """mosquitto on 127.0.0.1:mqtt_port. max_queued_messages: the bench's own subscriber must
    never be the reason a message is dropped (mosquitto's default queue is 1000 QoS 1 messages
    per client)."""
    conf = ("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 0\nlog_dest stdout\n" % mqtt_port)
    if os.geteuid() == 0:
        conf += "user root\n"  # else it drops to `mosquitto`, who cannot read our folder
    broker = world.start("mosquitto", [MOSQUITTO, "-c", world.write("mosquitto.conf", conf)])
    wait_for(lambda: port_open(mqtt_port), 10, "mosquitto on port %d" % mqtt_port, [broker])
    broker.port = mqtt_port
    return broker


def measure_roomwatch(world, n, args, roomwatchd, ports, profiles, mqtt_port, peers, devices,
                      points):
    rw_cfg = world.write("roomwatch.cfg", roomwatch_config(ports, profiles, mqtt_port))
    return run_roomwatch(world, n, args, roomwatchd, rw_cfg, peers, devices, len(points))


def run_roomwatch(world, n, args, roomwatchd, rw_cfg, peers, devices, npoints):
    """Checks rw_cfg with roomwatchd -t, then measures roomwatchd -c rw_cfg."""
    mqtt_port = peers[-1].port
    try:
        chk = subprocess.run(EMULATOR + [roomwatchd, "-t", "-c", rw_cfg],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    except OSError as e:
        raise BenchError("cannot run %s -t: %s%s" % (
            roomwatchd, e,
            " (a cross build? set RW_EMULATOR)" if e.errno == errno.ENOEXEC else ""))
    if chk.returncode != 0:
        raise BenchError("roomwatchd -t refused the generated config (exit %d):\n%s" % (
            chk.returncode, chk.stdout.decode("utf-8", "replace")))
    sub = Subscriber(mqtt_port, RW_PREFIX + "/#", parse_roomwatch, "rw")
    world.subs.append(sub)
    log("N=%s: roomwatchd, %g s warm-up + %g s" % (n, args.warmup, args.seconds))
    root = ["--allow-root"] if os.geteuid() == 0 else []  # roomwatchd refuses root otherwise
    # RW_BENCH_WRAP runs roomwatchd under a tool (valgrind's massif, ltrace) to see where its
    # memory or time goes; the figures of such a run are the tool's, not roomwatchd's.
    wrap = os.environ.get("RW_BENCH_WRAP", "").split()
    r = measure(world, "roomwatchd", EMULATOR + wrap + [roomwatchd, "-c", rw_cfg] + root, sub,
                peers, devices, npoints, args)
    sub.close()
    world.subs.remove(sub)
    return r


def measure_collectd(world, n, args, ports, mqtt_port, peers, devices, points):
    return run_collectd(world, n, args, collectd_config(world, ports, points, mqtt_port), peers,
                        devices, len(points))


def run_collectd(world, n, args, conf_text, peers, devices, npoints):
    """Checks the config with collectd -t, then measures collectd -f -C it."""
    mqtt_port = peers[-1].port
    cd_cfg = world.write("collectd.conf", conf_text)
    os.makedirs(world.path("collectd"))
    chk = subprocess.run([COLLECTD, "-t", "-C", cd_cfg], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=30)
    if chk.returncode != 0:
        raise BenchError("collectd -t refused the generated config (exit %d):\n%s" % (
            chk.returncode, chk.stdout.decode("utf-8", "replace")))
    sub = Subscriber(mqtt_port, CD_PREFIX + "/#", parse_collectd, "cd")
    world.subs.append(sub)
    log("N=%s: collectd, %g s warm-up + %g s" % (n, args.warmup, args.seconds))
    r = measure(world, "collectd", [COLLECTD, "-f", "-C", cd_cfg], sub, peers, devices,
                npoints, args)
    r["plugin_log_errors"] = count_errors(world.path("collectd-plugin.log"))
    sub.close()
    world.subs.remove(sub)
    return r

# ----------------------------------------------------------------------------------------
# The full room (--n full): the demo room's Modbus devices, an SNMP UPS, indicators and alarm
# rules, beside collectd reading the same registers and OIDs with its modbus, snmp, mqtt and
# threshold plugins.

SHIPPED_PROFILES = os.path.join(SRC, "config", "profiles")
UPS_SNMPREC = os.path.join(SRC, "tests", "fixtures", "snmp", "ups.snmprec")
SNMPSIMD = "/usr/bin/snmpsimd"
# (device, profile, bus: 0 = the gateway with two units, 1 = a second endpoint, None = SNMP,
# unit): the demo room (config/demo.cfg), its RS-485 sensor th2 served over TCP here.
FULL_DEVICES = (("meter1", "eastron-sdm630", 0, 1), ("th1", "r444a01", 0, 2),
                ("th2", "xy-md02", 1, 1), ("ups1", "ups-mib", None, None))
# collectd types (types.db) for roomwatch quantities; anything else is a gauge.
CD_TYPES = {"voltage": "voltage", "current": "current", "power": "power",
            "frequency": "frequency", "energy": "energy", "temperature": "temperature",
            "humidity": "humidity", "uptime": "uptime", "charge": "percent", "load": "percent"}


def profile_points(name):
    """Every point of a shipped profile as a dict (name, quantity, fc, address, type, oid,
    walk; missing keys absent)."""
    with open(os.path.join(SHIPPED_PROFILES, name + ".cfg")) as f:
        text = re.sub(r"#[^\n]*", "", f.read())
    pts = []
    for m in re.finditer(r"\{\s*name\s*=\s*\"(\w+)\";(.*?)\}", text, re.S):
        p = dict(name=m.group(1))
        for key in ("quantity", "type", "oid", "walk"):
            v = re.search(r"\b%s\s*=\s*\"([^\"]+)\"" % key, m.group(2))
            if v:
                p[key] = v.group(1)
        for key in ("fc", "address"):
            v = re.search(r"\b%s\s*=\s*(0x[0-9A-Fa-f]+|\d+)" % key, m.group(2))
            if v:
                p[key] = int(v.group(1), 0)
        pts.append(p)
    if not pts:
        raise BenchError("profile %s: no points found" % name)
    return pts


def full_devsim_config(ports):
    with open(os.path.join(SRC, "config", "devsim", "demo-room.cfg")) as f:
        demo = f.read()
    values = {}  # the demo room's value models, by device
    for m in re.finditer(r"id = \"(\w+)\";.*?values = \{(.*?)\n    \};", demo, re.S):
        values[m.group(1)] = m.group(2)
    devs = []
    for dev, prof, bus, unit in FULL_DEVICES:
        if bus is None:
            continue
        if dev not in values:
            raise BenchError("config/devsim/demo-room.cfg has no values for %s" % dev)
        devs.append("  { id = \"%s\"; profile = \"%s\"; transport = \"tcp\"; "
                    "host = \"127.0.0.1\"; port = %d; unit = %d;\n    values = {%s\n    }; }"
                    % (dev, prof, ports[bus], unit, values[dev]))
    return ("# roomwatch-devsim config written by tests/bench/bench.py (full room)\n"
            "seed = 1;\ndevices = (\n%s\n);\n" % ",\n".join(devs))


def full_roomwatch_config(world, ports, snmp_port, mqtt_port):
    dev = []
    for d, prof, bus, unit in FULL_DEVICES:
        if bus is None:
            dev.append("  { id = \"%s\"; kind = \"ups\"; profile = \"%s\"; interval = %.1f;\n"
                       "    snmp = { host = \"127.0.0.1\"; port = %d; community = \"ups\"; }; }"
                       % (d, prof, INTERVAL, snmp_port))
        else:
            dev.append("  { id = \"%s\"; kind = \"%s\"; bus = \"%s\"; unit = %d; interval = %.1f; "
                       "timeout = 0.5; profile = \"%s\"; }"
                       % (d, "meter" if d.startswith("meter") else "th_sensor",
                          ("lan-gw", "gw2")[bus], unit, INTERVAL, prof))
    return """# roomwatchd config written by tests/bench/bench.py: the full room (the demo room's
# Modbus devices, an SNMP UPS, its indicators and alarm rules).
site = { id = "bench"; gateway = "gw1"; timezone = "Asia/Shanghai"; };
profile_dir = "%s";
state_dir = "%s";
mqtt = { uri = "tcp://127.0.0.1:%d"; client_id = "roomwatch-bench-%d";
         prefix = "%s"; qos = 1; };
buses = (
  { id = "lan-gw"; type = "tcp"; host = "127.0.0.1"; port = %d; },
  { id = "gw2"; type = "tcp"; host = "127.0.0.1"; port = %d; }
);
devices = (
%s
);
indicators = (
  { id = "voltage_stability"; name = "voltage stability"; category = "output";
    kind = "band"; points = ["meter1.v_l1", "meter1.v_l2", "meter1.v_l3"];
    band = { nominal = 220.0; minus_pct = 10.0; plus_pct = 7.0; };
    window = 60; combine = "any"; target = ">=97(%%)"; },
  { id = "supply_days"; name = "supply days"; category = "output";
    kind = "supply_days"; points = ["meter1.v_l1"]; condition = { above = 150.0; };
    target = "=365(days)"; },
  { id = "supply_completion"; name = "supply"; category = "output";
    kind = "availability"; points = ["meter1.v_l1"]; condition = { above = 150.0; };
    target = "=100(%%)"; },
  { id = "device_stability"; name = "device stability"; category = "output";
    kind = "availability"; points = ["meter1.v_l1", "th1.temperature", "th2.temperature",
                                     "ups1.output_voltage"];
    target = ">=97(%%)"; },
  { id = "device_fault_rate"; name = "fault rate"; category = "output";
    kind = "fault_rate"; points = ["meter1.v_l1", "th1.temperature", "th2.temperature"];
    target = "<=3(%%)"; },
  { id = "env_stability"; name = "room temperature"; category = "effect";
    kind = "band"; points = ["th1.temperature", "th2.temperature"]; band = { lo = 18.0; hi = 27.0; };
    combine = "each"; target = ">=97(%%)"; },
  { id = "data_timeliness"; name = "delivery"; category = "effect";
    kind = "delivery"; deadline = 60; target = "=100%%"; },
  { id = "energy_kwh"; name = "energy"; category = "cost";
    kind = "energy"; points = ["meter1.energy_import"]; },
  { id = "mttr"; name = "repair time"; category = "output";
    kind = "mttr"; target = ">=0&&<=2"; target_unit = "h"; }
);
alarms = (
  { id = "mains_voltage"; name = "mains voltage"; severity = "major"; category = "power";
    points = ["meter1.v_l1", "meter1.v_l2", "meter1.v_l3"];
    outside = [198.0, 235.4]; hold = 10; clear_hold = 30; },
  { id = "room_hot"; name = "room hot"; severity = "major"; category = "environment";
    points = ["th1.temperature", "th2.temperature"]; above = 27.0; hold = 60;
    clear_hold = 60; },
  { id = "ups_battery_low"; name = "UPS battery low"; severity = "critical";
    category = "power"; points = ["ups1.battery_charge"]; below = 50.0; hold = 10;
    clear_hold = 30; },
  { id = "device_silent"; name = "device silent"; severity = "major"; category = "device";
    devices = ["meter1", "th1", "th2", "ups1"]; no_answer = 3; clear_hold = 10; }
);
""" % (SHIPPED_PROFILES, world.path("state"), mqtt_port, os.getpid(), RW_PREFIX,
       ports[0], ports[1], ",\n".join(dev))


def full_collectd_config(world, ports, snmp_port, mqtt_port):
    """collectd.conf for the full room, and the values per poll of each device (collectd
    reads the UPS's scalar OIDs; the alarm table's walk points have no equivalent)."""
    data, hosts, snmp_data, npoints = [], [], [], {}
    for dev, prof, bus, unit in FULL_DEVICES:
        pts = profile_points(prof)
        collect = []
        for p in pts:
            ctype = CD_TYPES.get(p.get("quantity"), "gauge")
            key = "%s_%s" % (prof.replace("-", "_"), p["name"])
            if bus is None:
                if "oid" not in p:
                    continue
                snmp_data.append("  <Data \"%s\">\n    Type \"%s\"\n    Table false\n"
                                 "    Instance \"%s\"\n    Values \"%s\"\n  </Data>\n"
                                 % (key, ctype, p["name"], p["oid"]))
            else:
                rtype = {"float32": "Float", "int16": "Int16", "uint16": "Uint16",
                         "int32": "Int32", "uint32": "Uint32"}.get(p.get("type"))
                if rtype is None or p.get("fc") not in (3, 4):
                    raise BenchError("profile %s: point %s (%s, fc %s) has no collectd "
                                     "equivalent" % (prof, p["name"], p.get("type"),
                                                     p.get("fc")))
                if key not in {d[0] for d in data}:
                    data.append((key, "  <Data \"%s\">\n    RegisterBase %d\n"
                                      "    RegisterType %s\n    RegisterCmd %s\n"
                                      "    Type %s\n    Instance \"%s\"\n  </Data>\n"
                                 % (key, p["address"], rtype,
                                    "ReadInput" if p["fc"] == 4 else "ReadHolding", ctype,
                                    p["name"])))
            collect.append("      Collect \"%s\"\n" % key)
        npoints[dev] = len(collect)
        if bus is None:
            hosts.append(None)
            snmp_host = ("  <Host \"%s\">\n    Address \"127.0.0.1:%d\"\n    Version 2\n"
                         "    Community \"ups\"\n%s    Interval %g\n  </Host>\n"
                         % (dev, snmp_port, "".join(c.replace("      ", "    ") for c in collect),
                            INTERVAL))
        else:
            hosts.append("  <Host \"%s\">\n    Address \"127.0.0.1\"\n    Port \"%d\"\n"
                         "    Interval %g\n    <Slave %d>\n%s    </Slave>\n  </Host>\n"
                         % (dev, ports[bus], INTERVAL, unit, "".join(collect)))
    text = ("# collectd.conf written by tests/bench/bench.py (full room)\n"
            "Hostname \"bench\"\nFQDNLookup false\nBaseDir \"%s\"\nPIDFile \"%s\"\n"
            "PluginDir \"%s\"\nTypesDB \"%s\"\nInterval %g\n\n"
            "LoadPlugin logfile\n<Plugin logfile>\n  LogLevel info\n  File \"%s\"\n"
            "  Timestamp true\n  PrintSeverity true\n</Plugin>\n\n"
            "LoadPlugin modbus\nLoadPlugin snmp\nLoadPlugin mqtt\nLoadPlugin threshold\n\n"
            "<Plugin modbus>\n%s%s</Plugin>\n\n"
            "<Plugin snmp>\n%s%s</Plugin>\n\n"
            # The alarm rules' thresholds. collectd's modbus plugin does not scale, so the
            # sensors' temperatures arrive in tenths of a degree.
            "<Plugin threshold>\n"
            "  <Type \"voltage\">\n    WarningMin 198.0\n    WarningMax 235.4\n    Hits 10\n"
            "  </Type>\n"
            "  <Type \"temperature\">\n    WarningMax 270.0\n    Hits 60\n  </Type>\n"
            "  <Plugin \"snmp\">\n    <Type \"percent\">\n      Instance \"battery_charge\"\n"
            "      WarningMin 50.0\n      Hits 10\n    </Type>\n  </Plugin>\n"
            "</Plugin>\n\n"
            "<Plugin mqtt>\n  <Publish \"bench\">\n    Host \"127.0.0.1\"\n    Port \"%d\"\n"
            "    ClientId \"collectd-bench-%d\"\n    Prefix \"%s\"\n    QoS 1\n  </Publish>\n"
            "</Plugin>\n") % (
                world.path("collectd"), world.path("collectd.pid"), COLLECTD_PLUGINS,
                COLLECTD_TYPES_DB, INTERVAL, world.path("collectd-plugin.log"),
                "".join(d[1] for d in data), "".join(h for h in hosts if h),
                "".join(snmp_data), snmp_host, mqtt_port, os.getpid(), CD_PREFIX)
    return text, npoints


def start_snmpsim(world, port):
    """snmpsimd serving the UPS (tests/fixtures/snmp/ups.snmprec, community "ups")."""
    data = world.path("snmpsim-data")
    cache = world.path("snmpsim-cache")
    os.makedirs(data)
    os.makedirs(cache)
    shutil.copy(UPS_SNMPREC, os.path.join(data, "ups.snmprec"))
    os.chmod(os.path.join(data, "ups.snmprec"), 0o644)
    argv = [SNMPSIMD, "--data-dir=" + data, "--cache-dir=" + cache,
            "--agent-udpv4-endpoint=127.0.0.1:%d" % port]
    if os.geteuid() == 0:
        # As root snmpsimd drops to a user, who must reach the data and the cache.
        os.chmod(world.dir, 0o711)
        os.chmod(data, 0o755)
        shutil.chown(cache, "nobody", "nogroup")
        argv += ["--process-user=nobody", "--process-group=nogroup"]
    sim = world.start("snmpsimd", argv)

    def answers():
        r = subprocess.run(["snmpget", "-v2c", "-c", "ups", "-t", "0.5", "-r", "0", "-On",
                            "127.0.0.1:%d" % port, "1.3.6.1.2.1.1.3.0"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           env=dict(os.environ, MIBS="", SNMP_PERSISTENT_DIR=world.dir))
        return r.returncode == 0
    wait_for(answers, 60, "snmpsimd on port %d" % port, [sim])
    return sim


def _run_full(world, args, build):
    roomwatchd = roomwatchd_path(build)
    devsim = devsim_path(build)
    ports = free_ports(2)
    (mqtt_port,) = free_ports(1)
    (snmp_port,) = free_ports(1)
    devices = [d[0] for d in FULL_DEVICES]
    rw_points = {d: len(profile_points(p)) for d, p, _, _ in FULL_DEVICES}

    sim_cfg = world.write("sim.cfg", full_devsim_config(ports))
    ready = world.path("devsim.ready")
    sim = world.start("devsim", EMULATOR + [devsim, "-c", sim_cfg, "-P", SHIPPED_PROFILES,
                                            "--ready-file", ready])
    wait_for(lambda: os.path.exists(ready), 30, "roomwatch-devsim's ready file", [sim])
    wait_for(lambda: port_open(ports[0]) and port_open(ports[1]), 10,
             "roomwatch-devsim on ports %d, %d" % tuple(ports), [sim])
    snmpsim = start_snmpsim(world, snmp_port)
    broker = start_broker(world, mqtt_port)
    peers = [sim, snmpsim, broker]
    result = dict(n="full", points_per_device=None, seconds=args.seconds, warmup=args.warmup,
                  ports=ports, mqtt_port=mqtt_port, snmp_port=snmp_port,
                  devices={d: dict(roomwatch=rw_points[d]) for d in devices})
    if "roomwatch" in args.agents:
        os.makedirs(world.path("state"))
        rw_cfg = world.write("roomwatch.cfg",
                             full_roomwatch_config(world, ports, snmp_port, mqtt_port))
        result["roomwatch"] = run_roomwatch(world, "full", args, roomwatchd, rw_cfg, peers,
                                            devices, rw_points)
    if "collectd" in args.agents:
        text, cd_points = full_collectd_config(world, ports, snmp_port, mqtt_port)
        for d in devices:
            result["devices"][d]["collectd"] = cd_points[d]
        result["collectd"] = run_collectd(world, "full", args, text, peers, devices, cd_points)
    result["devsim_exit"] = world.stop(sim)
    result["snmpsimd_exit"] = world.stop(snmpsim)
    result["mosquitto_exit"] = world.stop(broker)
    judge(result)
    return result


def count_errors(path):
    try:
        with open(path, errors="replace") as f:
            return sum(1 for line in f if "[error]" in line.lower())
    except OSError:
        return None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


# The figures of a repeated room that are medians over its runs; the counts add up.
MEDIAN_KEYS = ("polls_per_s", "cpu_s", "cpu_s_per_1000_polls", "cpu_pct_of_core", "peak_rss_mib",
               "pss_end_mib", "private_end_mib", "stop_s", "switches_per_poll")
SUM_KEYS = ("values_good", "values_bad", "values_expected", "messages")


def median_room(runs):
    """One room measured len(runs) times: each agent's figures the median of its runs (CPU and
    memory move with the machine's load, collectd's as much as roomwatchd's), the counts
    summed, judged again; each run's CPU and peak RSS kept under "each"."""
    r = json.loads(json.dumps(runs[0]))
    r["repeat"] = len(runs)
    r["each"] = []
    for name in ("roomwatch", "collectd"):
        if r.get(name) is None:
            continue
        a = r[name]
        for key in MEDIAN_KEYS:
            vals = [x[name][key] for x in runs if x[name].get(key) is not None]
            a[key] = statistics.median(vals) if vals else None
        for key in SUM_KEYS:
            if key in a:
                a[key] = sum(x[name][key] for x in runs)
    for x in runs:
        r["each"].append({name: dict(cpu_s_per_1000_polls=x[name]["cpu_s_per_1000_polls"],
                                     peak_rss_mib=x[name]["peak_rss_mib"])
                          for name in ("roomwatch", "collectd") if x.get(name) is not None})
    judge(r)
    r["broken"] = [b for x in runs for b in x["broken"]]  # judge() saw only the sums
    return r


def judge(r):
    rw = r.get("roomwatch")
    cd = r.get("collectd")
    g = {}
    if rw is not None:
        g["all_values_delivered"] = (rw["values_good"] >= rw["values_expected"] and
                                     rw["values_bad"] == 0)
    if rw is not None and cd is not None:
        r["ratios"] = dict(
            polls_per_s=ratio(rw["polls_per_s"], cd["polls_per_s"]),
            cpu_s_per_1000_polls=ratio(rw["cpu_s_per_1000_polls"], cd["cpu_s_per_1000_polls"]),
            peak_rss=ratio(rw["peak_rss_mib"], cd["peak_rss_mib"]),
            pss_end=ratio(rw.get("pss_end_mib"), cd.get("pss_end_mib")),
            private_end=ratio(rw.get("private_end_mib"), cd.get("private_end_mib")),
            values_delivered=ratio(rw["values_good"], cd["values_good"]),
        )
        cr = r["ratios"]["cpu_s_per_1000_polls"]
        rr = r["ratios"]["peak_rss"]
        g["cpu_at_most_half"] = cr is not None and cr <= GOAL_CPU_RATIO
        g["rss_at_most_collectd"] = rr is not None and rr <= GOAL_RSS_RATIO
    g["met"] = all(g.values())
    r["goals"] = g
    # Broken, not slow: what the smoke test fails on.
    broken = []
    for name in ("roomwatch", "collectd"):
        a = r.get(name)
        if a is None:
            continue
        if a["values_good"] < SMOKE_MIN_SHARE * a["values_expected"]:
            broken.append("%s delivered %d of %d expected values (< %d %%)" % (
                name, a["values_good"], a["values_expected"], SMOKE_MIN_SHARE * 100))
    r["broken"] = broken


# ----------------------------------------------------------------------------------------
# Output

def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def fmt(v, spec):
    return "-" if v is None else spec % v


def print_room(r, out=sys.stdout):
    rw = r.get("roomwatch") or {}
    cd = r.get("collectd") or {}
    ra = r.get("ratios", {})
    w = out.write
    if r["n"] == "full":
        w("\nFull room: %s (values per poll roomwatch / collectd), interval %g s, window %g s "
          "(after %g s warm-up)\n" % (
              ", ".join("%s %s/%s" % (d, v.get("roomwatch", "-"), v.get("collectd", "-"))
                        for d, v in r["devices"].items()),
              INTERVAL, r["seconds"], r["warmup"]))
    else:
        w("\nN = %d devices x %d float32, interval %g s, window %g s (after %g s warm-up)\n" % (
            r["n"], r["points_per_device"], INTERVAL, r["seconds"], r["warmup"]))
    if r.get("repeat"):
        w("  the median of %d runs; each run's CPU s per 1000 polls and peak RSS MiB, "
          "roomwatch / collectd:\n" % r["repeat"])
        for k, e in enumerate(r["each"]):
            w("    run %d: %s\n" % (k + 1, ";  ".join(
                "%s %s / %s" % (label, fmt((e.get("roomwatch") or {}).get(key), spec),
                                fmt((e.get("collectd") or {}).get(key), spec))
                for label, key, spec in (("CPU", "cpu_s_per_1000_polls", "%.4f"),
                                         ("RSS", "peak_rss_mib", "%.2f")))))
    w("  %-28s %14s %14s %9s  %s\n" % ("", "roomwatch", "collectd", "ratio", "goal"))
    rows = [
        ("polls/s", "%.2f", "polls_per_s", "polls_per_s", ""),
        ("CPU s per 1000 polls", "%.4f", "cpu_s_per_1000_polls", "cpu_s_per_1000_polls",
         "<= %.2f" % GOAL_CPU_RATIO),
        ("CPU % of one core", "%.2f", "cpu_pct_of_core", None, ""),
        ("peak RSS MiB (VmHWM)", "%.2f", "peak_rss_mib", "peak_rss", "<= %.2f" % GOAL_RSS_RATIO),
        ("PSS MiB at the end", "%.2f", "pss_end_mib", "pss_end", ""),
        ("private MiB at the end", "%.2f", "private_end_mib", "private_end", ""),
        ("threads", "%d", "threads", None, ""),
        ("context switches per poll", "%.1f", "switches_per_poll", None, ""),
        ("messages", "%d", "messages", None, ""),
        ("exit after SIGTERM, s", "%.2f", "stop_s", None, ""),
        ("exit code", "%d", "exit_code", None, ""),
    ]
    for label, spec, key, rkey, goal in rows:
        w("  %-28s %14s %14s %9s  %s\n" % (
            label, fmt(rw.get(key), spec), fmt(cd.get(key), spec),
            fmt(ra.get(rkey) if rkey else None, "%.3f"), goal))

    def delivered(a):
        return "%d/%d" % (a["values_good"], a["values_expected"]) if a else "-"

    w("  %-28s %14s %14s %9s  %s\n" % (
        "values delivered/expected", delivered(rw), delivered(cd),
        fmt(ra.get("values_delivered"), "%.3f"), "all"))

    def lag(a):
        return fmt(a.get("delivery_lag_s", {}).get("lag_p99") if a else None, "%.3f")

    w("  %-28s %14s %14s\n" % ("delivery lag p99 s", lag(rw), lag(cd)))
    for name, a in (("roomwatch", rw), ("collectd", cd)):
        if not a:
            continue
        w("  %s: peers' CPU in the window: %s; busiest threads: %s\n" % (
            name, ", ".join("%s %.2f s" % kv for kv in a["peers_cpu_s"].items()),
            ", ".join("%s %.2f s" % kv for kv in list(a["thread_cpu_s"].items())[:6])))
    g = r["goals"]
    w("  goals: %s\n" % ", ".join("%s %s" % (k, "met" if v else "MISSED")
                                  for k, v in g.items() if k != "met"))
    for b in r["broken"]:
        w("  BROKEN: %s\n" % b)


def print_summary(results, out=sys.stdout):
    """One markdown table over every N, as README.md carries it."""
    w = out.write
    w("\n| N | agent | polls/s | CPU s / 1000 polls | CPU % core | peak RSS MiB | "
      "values delivered / expected |\n|---|---|---|---|---|---|---|\n")
    for r in results:
        for name in ("roomwatch", "collectd"):
            a = r.get(name)
            if a is None:
                continue
            w("| %s | %s | %.2f | %s | %.2f | %.2f | %d / %d |\n" % (
                r["n"], name, a["polls_per_s"], fmt(a["cpu_s_per_1000_polls"], "%.4f"),
                a["cpu_pct_of_core"], a["peak_rss_mib"], a["values_good"],
                a["values_expected"]))
        ra = r.get("ratios")
        if ra:
            g = r["goals"]
            w("| %s | **ratio rw/cd** | %s | %s %s | | %s %s | %s %s |\n" % (
                r["n"], fmt(ra["polls_per_s"], "%.2f"),
                fmt(ra["cpu_s_per_1000_polls"], "%.3f"),
                "(met)" if g.get("cpu_at_most_half") else "(MISSED)",
                fmt(ra["peak_rss"], "%.3f"),
                "(met)" if g.get("rss_at_most_collectd") else "(MISSED)",
                fmt(ra["values_delivered"], "%.3f"),
                "(all)" if g.get("all_values_delivered") else "(MISSED)"))


def machine_info(build):
    info = dict(cores=os.cpu_count(), kernel=platform.release(), python=platform.python_version())
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                for key in ("CMAKE_BUILD_TYPE", "ROOMWATCH_SANITIZE"):
                    if line.startswith(key + ":"):
                        info[key] = line.strip().split("=", 1)[1]
    except OSError:
        pass
    for cmd, key in (([COLLECTD, "-h"], "collectd"), ([MOSQUITTO, "-h"], "mosquitto")):
        try:
            o = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=10).stdout.decode("utf-8", "replace")
            m = re.search(r"(collectd|mosquitto version) ([\w.\-]+)", o)
            if m:
                info[key] = m.group(2)
        except (OSError, subprocess.TimeoutExpired):
            pass
    return info


def parse_ns(values):
    ns = []
    for v in values:
        for part in v.split(","):
            part = part.strip()
            if part == "full":
                ns.append(part)
            elif part:
                n = int(part)
                if n < 1 or n > 5000:
                    raise argparse.ArgumentTypeError("N must be 1..5000")
                ns.append(n)
    return ns


def on_term(sig, frame):
    raise KeyboardInterrupt("signal %d" % sig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", action="append", metavar="N[,N...]",
                    help="room sizes (devices), or \"full\" for the full room; repeatable or "
                         "comma-separated; default 1,50,200 (5 with --quick)")
    ap.add_argument("--seconds", type=float, help="measurement window per agent, s "
                    "(default 60; 5 with --quick)")
    ap.add_argument("--warmup", type=float, help="s before the window (default 10; 2 with "
                    "--quick)")
    ap.add_argument("--quick", action="store_true", help="short smoke run")
    ap.add_argument("--build", default=None, help="build tree with agent/roomwatchd and "
                    "tools/devsim/roomwatch-devsim (default: build-bench, else build)")
    ap.add_argument("--json", metavar="OUT", help="write the results as JSON")
    ap.add_argument("--agents", default="roomwatch,collectd",
                    help="which agents to measure (default roomwatch,collectd)")
    ap.add_argument("--check-goals", action="store_true", help="exit 3 if a goal is missed")
    ap.add_argument("--keep", action="store_true", help="keep the run's folder (configs, logs, the agents' smaps at the end of the window)")
    ap.add_argument("--seed", type=int, help="seed for the port choice")
    ap.add_argument("--repeat", type=int, default=1, metavar="R",
                    help="measure each room R times, the two agents taking turns, and judge "
                         "the medians (default 1)")
    args = ap.parse_args()

    try:
        ns = parse_ns(args.n or (["5"] if args.quick else ["1,50,200"]))
    except (ValueError, argparse.ArgumentTypeError) as e:
        ap.error("--n: %s" % e)
    if args.seconds is None:
        args.seconds = 5.0 if args.quick else 60.0
    if args.warmup is None:
        args.warmup = 2.0 if args.quick else 10.0
    if args.seconds < 2 or args.seconds != int(args.seconds):
        ap.error("--seconds must be a whole number of seconds, at least 2")
    if args.warmup < 1:
        ap.error("--warmup must be at least 1 s")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    build = args.build
    if build is None:
        build = os.path.join(SRC, "build-bench")
        if not os.path.isdir(build):
            build = os.path.join(SRC, "build")
    build = os.path.abspath(build)
    if args.seed is not None:
        random.seed(args.seed)

    # SIGINT too: a shell starts background jobs with SIGINT ignored, and Python then leaves it
    # so; the bench must still stop what it started when it gets one.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_term)

    args.agents = [a.strip() for a in args.agents.split(",") if a.strip()]
    if not args.agents or any(a not in ("roomwatch", "collectd") for a in args.agents):
        ap.error("--agents: roomwatch, collectd or both")
    full = "full" in ns
    missing = [p for p in [MOSQUITTO] + ([SNMPSIMD] if full else []) + (
        [] if "collectd" not in args.agents else [
            COLLECTD, os.path.join(COLLECTD_PLUGINS, "modbus.so"),
            os.path.join(COLLECTD_PLUGINS, "mqtt.so")] + (
                [os.path.join(COLLECTD_PLUGINS, "snmp.so"),
                 os.path.join(COLLECTD_PLUGINS, "threshold.so")] if full else []))
        if not os.path.exists(p)]
    if missing:
        log("missing: %s (see tools/install-deps.sh)" % ", ".join(missing))
        return 1

    info = machine_info(build)
    if info.get("CMAKE_BUILD_TYPE", "") != "Release" and not args.quick:
        log("warning: %s is a %s build, not Release: figures are not comparable" % (
            build, info.get("CMAKE_BUILD_TYPE", "unknown")))
    if info.get("ROOMWATCH_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE"):
        log("warning: sanitizers are on in %s: CPU and RSS are inflated" % build)
    if EMULATOR:
        info["emulator"] = " ".join(EMULATOR)
        log("warning: roomwatchd and devsim run under %s: CPU and RSS are the emulator's" %
            EMULATOR[0])

    # A binary just linked has dirty pages in the page cache, which smaps counts as its
    # Private_Dirty until they are written back: write them now, so "private" means the same
    # in every run.
    os.sync()
    doc = dict(date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
               machine=info, build=build, interval_s=INTERVAL, quick=args.quick, runs=[])
    rc = 0
    try:
        points = read_profile_points(PROFILE_FILE)
        for n in ns:
            each = []
            for k in range(args.repeat):
                if args.repeat > 1:
                    log("N=%s: run %d of %d" % (n, k + 1, args.repeat))
                r = run_room(n, args, build, points)
                each.append(r)
                print_room(r)
                sys.stdout.flush()
                if r["broken"]:
                    rc = 1
            r = each[0] if args.repeat == 1 else median_room(each)
            doc["runs"].append(r)
            if args.repeat > 1:
                print_room(r)
                sys.stdout.flush()
            if args.check_goals and not r["broken"] and not r["goals"]["met"] and rc == 0:
                rc = 3
    except BenchError as e:
        log("BROKEN: %s" % e)
        doc["error"] = str(e)
        rc = 1
    except KeyboardInterrupt:
        log("interrupted; everything started was stopped")
        doc["error"] = "interrupted"
        rc = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if doc["runs"]:
        print_summary(doc["runs"])
        print("\n(%s, %s, %d cores, %s build)" % (doc["date"], info.get("cpu", "?"),
                                                   info.get("cores") or 0,
                                                   info.get("CMAKE_BUILD_TYPE", "?")))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
