"""Test harness for roomwatch integration tests.

Starts real peers on 127.0.0.1 with free high ports (mosquitto, roomwatch-devsim, pymodbus,
socat pty pairs, snmpsimd, snmpd, roomwatchd), remembers the PID of every process it started, and stops exactly
those at the end, whatever happened. Nothing here touches any other address.

Paths come from the environment CTest sets: RW_BUILD (build tree), RW_SRC (source tree).
To read a run afterwards: RW_KEEP=1 keeps a passing test's folder (a failing one's is always
kept), RW_MQTT_LOG=all makes mosquitto log every packet.
"""
import errno
import fcntl
import json
import os
import random
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

SRC = os.environ.get("RW_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("RW_BUILD", os.path.join(SRC, "build"))
ROOMWATCHD = os.path.join(BUILD, "agent", "roomwatchd")
# roomwatchd refuses to run as root without --allow-root; CI runs the tests as root.
ROOT_ARGS = ["--allow-root"] if os.geteuid() == 0 else []
DEVSIM = os.path.join(BUILD, "tools", "devsim", "roomwatch-devsim")
PROFILES = os.path.join(SRC, "config", "profiles")
FIXTURES = os.path.join(SRC, "tests", "fixtures")
TH_PROFILE = "r444a01"  # the shipped temperature/humidity transmitter
# A cross build's binaries run under an emulator (qemu-aarch64 -L SYSROOT): tools/run-tests.sh
# sets RW_EMULATOR for the aarch64 variant. Peers (mosquitto, socat, pymodbus) stay native.
EMULATOR = os.environ.get("RW_EMULATOR", "").split()


class Failure(Exception):
    pass


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def check(cond, msg):
    if not cond:
        raise Failure(msg)


_used_ports = set()


def ephemeral_range():
    """The kernel's range of ephemeral ports (ip_local_port_range): (low, high)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def _bindable(port):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


_port_locks = None  # the fd of the ports' lock file, open for the process's life; -1: none


def _reserve(port):
    """Claims port for this process against other test processes (ctest runs some tests side
    by side): a one-byte POSIX lock at offset port of one shared file, which the kernel drops
    when the process ends, however it ends. False when another process holds it. Without the
    file (another user's, not writable) only this process's own record guards."""
    global _port_locks
    if _port_locks is None:
        path = os.path.join(tempfile.gettempdir(), "roomwatch-test-ports.lock")
        try:
            # Opened as it is, or made by whoever comes first and opened to every user (a
            # sticky /tmp with fs.protected_regular refuses O_CREAT on another's file).
            try:
                _port_locks = os.open(path, os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:
                _port_locks = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC)
                os.fchmod(_port_locks, 0o666)
        except OSError as e:
            sys.stderr.write("harness: %s: %s; ports are not reserved against concurrent "
                             "tests\n" % (path, e.strerror))
            _port_locks = -1
    if _port_locks < 0:
        return True
    try:
        # Never closed: closing any descriptor of the file would drop all of its locks.
        fcntl.lockf(_port_locks, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, port)
        return True
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EAGAIN):
            return False  # another process holds it
        sys.stderr.write("harness: cannot lock ports: %s; ports are not reserved against "
                         "concurrent tests\n" % e.strerror)
        _port_locks = -1
        return True


def free_port():
    """A TCP (and UDP) port on 127.0.0.1 that is free now and not handed out before, below the
    kernel's ephemeral range: a broker stopped for minutes and started again on its port must
    not find it taken by some outgoing connection (an agent's, or another test's) meanwhile,
    as an ephemeral port may be. Reserved for this process (_reserve()): a test running beside
    this one cannot draw it between this check and the peer's bind."""
    lo_eph, hi_eph = ephemeral_range()
    lo, hi = 20000, lo_eph - 1
    if hi - lo < 1000:
        lo, hi = hi_eph + 1, 65535
    rnd = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(200):
        port = rnd.randint(lo, hi)
        if port not in _used_ports and _reserve(port) and _bindable(port):
            _used_ports.add(port)
            return port
    raise Failure("no free port")


def wait_for(pred, timeout, what, interval=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise Failure("timed out after %.1f s waiting for %s" % (timeout, what))


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Proc:
    def __init__(self, name, argv, logpath, env=None):
        self.name = name
        self.argv = argv
        self.logpath = logpath
        self.log = open(logpath, "ab")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL; returns the exit code."""
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait(5)
        self.log.close()
        return self.p.returncode


class Messages:
    """An MQTT subscriber (paho-mqtt) that records every message it gets."""

    def __init__(self, port, topic="#", persistent=False):
        self.lock = threading.Lock()
        self.msgs = []  # (monotonic time, topic, payload str, retained)
        # A persistent session lets a broker restarted with persistence queue messages for
        # us while we are still reconnecting.
        self.c = mqtt.Client(client_id="rw-test-%d-%d" % (os.getpid(), port),
                             clean_session=not persistent)
        self.c.reconnect_delay_set(min_delay=1, max_delay=2)
        self.c.on_message = self._on_message
        self.c.on_connect = lambda c, u, f, rc: c.subscribe(topic, qos=1)
        self.c.connect("127.0.0.1", port, keepalive=30)
        self.c.loop_start()

    def _on_message(self, c, u, m):
        with self.lock:
            self.msgs.append((time.monotonic(), m.topic, m.payload.decode("utf-8", "replace"),
                              bool(m.retain)))

    def all(self, pattern=None):
        with self.lock:
            ms = list(self.msgs)
        if pattern is None:
            return ms
        rx = re.compile(pattern)
        return [m for m in ms if rx.search(m[1])]

    def json(self, pattern):
        return [(t, topic, json.loads(p)) for t, topic, p, r in self.all(pattern)]

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


class Harness:
    """One test's world: a temp folder, the processes started in it, cleanup on exit."""

    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="rw-it-%s-" % name)
        self.procs = []
        self.subs = []
        self.ok = False

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        exc = et
        for s in self.subs:
            try:
                s.close()
            except Exception:
                pass
        for p in reversed(self.procs):
            p.stop()
        # A sanitizer report (ASan, LSan at exit, UBSan) in any log fails the test, even when
        # everything the test asserted held: the ASan variant must not hide one.
        if et is None:
            for p in self.procs:
                text = p.text()
                for marker in SANITIZER_MARKERS:
                    if marker in text:
                        et, ev = Failure, Failure("%s (pid %d) reported %r" % (p.name, p.pid, marker))
                        break
                if et is not None:
                    break
        if et is None:
            self.ok = True
            # RW_KEEP=1 keeps a passing test's folder too, to read its peers' logs.
            if os.environ.get("RW_KEEP") != "1":
                shutil.rmtree(self.dir, ignore_errors=True)
        else:
            sys.stderr.write("%s: FAILED: %s\n" % (self.name, ev))
            for p in self.procs:
                sys.stderr.write("---- %s (pid %d) log %s:\n%s\n" % (
                    p.name, p.pid, p.logpath, p.text()[-6000:]))
            sys.stderr.write("(files kept in %s)\n" % self.dir)
        if ev is not None and exc is None:
            raise ev
        return False

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, name, argv, env=None):
        p = Proc(name, argv, self.path(name + ".log"), env=env)
        self.procs.append(p)
        return p

    def write(self, name, text, mode=0o644):
        path = self.path(name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    # --- peers -------------------------------------------------------------------------

    def mosquitto(self, port=None, persist=False, extra=""):
        """A broker on 127.0.0.1; extra: more lines for its config."""
        port = port or free_port()
        conf = "listener %d 127.0.0.1\nallow_anonymous true\n%s" % (port, extra)
        if persist:
            conf += "persistence true\npersistence_location %s/\nautosave_interval 1\n" % self.dir
        else:
            conf += "persistence false\n"
        if os.environ.get("RW_MQTT_LOG"):
            # RW_MQTT_LOG=all: every packet in the broker's log, to read a failure.
            conf += "log_type %s\n" % os.environ["RW_MQTT_LOG"]
        if os.geteuid() == 0:
            conf += "user root\n"  # else mosquitto drops to a user who cannot read our files
        path = self.write("mosquitto-%d.conf" % port, conf)
        p = self.start("mosquitto-%d" % port, ["mosquitto", "-c", path])
        wait_for(lambda: port_open(port), 10, "mosquitto on port %d" % port)
        p.port = port
        return p

    def subscribe(self, port, topic="#", persistent=False):
        m = Messages(port, topic, persistent)
        self.subs.append(m)
        return m

    def pty_pair(self, name="rtu"):
        """Two linked ptys (socat); returns (path for the server, path for the client)."""
        a, b = self.path(name + "-sim"), self.path(name + "-agent")
        self.start("socat-" + name, ["socat", "-d", "-d",
                                     "pty,raw,echo=0,link=" + a, "pty,raw,echo=0,link=" + b])
        wait_for(lambda: os.path.exists(a) and os.path.exists(b), 10, "socat ptys")
        return a, b

    def devsim(self, conf_text, name="devsim", profiles=PROFILES):
        conf = self.write(name + ".cfg", conf_text)
        ready = self.path(name + ".ready")
        argv = EMULATOR + [DEVSIM, "-c", conf, "--ready-file", ready]
        if profiles:
            argv += ["-P", profiles]
        p = self.start(name, argv)
        wait_for(lambda: os.path.exists(ready) or not p.alive(), 10, "devsim ready")
        check(p.alive(), "devsim exited: " + p.text())
        return p

    def roomwatchd(self, conf_text, name="roomwatchd", verbose=False):
        conf = self.write(name + ".cfg", conf_text)
        argv = EMULATOR + [ROOMWATCHD, "-c", conf] + ROOT_ARGS + (["-v"] if verbose else [])
        # net-snmp's persistent folder: the test's own, not /var/lib/roomwatch/snmp.
        env = dict(os.environ, SNMP_PERSISTENT_DIR=self.path("snmp-state"))
        return self.start(name, argv, env=env)

    def snmpsim(self, agents, port=None, name="snmpsim"):
        """snmpsimd serving agents = {community: snmprec text} on 127.0.0.1:port (UDP).
        A wrong community gets no answer. Returns the process, with .port."""
        port = port or free_port()
        data = self.path(name + "-data")
        cache = self.path(name + "-cache")
        os.makedirs(data, exist_ok=True)
        os.makedirs(cache, exist_ok=True)
        for community, text in agents.items():
            with open(os.path.join(data, community + ".snmprec"), "w") as f:
                f.write(text)
            os.chmod(os.path.join(data, community + ".snmprec"), 0o644)
        argv = ["snmpsimd", "--data-dir=" + data, "--cache-dir=" + cache,
                "--agent-udpv4-endpoint=127.0.0.1:%d" % port]
        if os.geteuid() == 0:
            # As root snmpsimd must drop to a user, who must reach the data and the cache.
            os.chmod(self.dir, 0o711)
            os.chmod(data, 0o755)
            shutil.chown(cache, "nobody", "nogroup")
            argv += ["--process-user=nobody", "--process-group=nogroup"]
        p = self.start(name, argv)
        community = next(iter(agents))
        wait_for(lambda: snmp_answers(port, community) or not p.alive(), 60,
                 "snmpsimd on port %d" % port, interval=0.3)
        check(p.alive(), "snmpsimd exited:\n" + p.text())
        p.port = port
        return p

    def snmpd_v3(self, user, auth_pass, priv_pass, auth="SHA-256", port=None, name="snmpd"):
        """net-snmp's snmpd on 127.0.0.1:port with one SNMPv3 authPriv (AES) user, its state
        in the test's folder. Returns the process, with .port."""
        port = port or free_port()
        state = self.path(name + "-state")
        os.makedirs(state, exist_ok=True)
        conf = self.write(name + ".conf",
                          "createUser %s %s %s AES %s\nrouser %s priv\n" % (
                              user, auth, auth_pass, priv_pass, user), mode=0o600)
        env = dict(os.environ, SNMP_PERSISTENT_DIR=state, MIBS="")
        p = self.start(name, ["snmpd", "-f", "-Lo", "-C", "-c", conf, "-p",
                              self.path(name + ".pid"), "udp:127.0.0.1:%d" % port], env=env)
        wait_for(lambda: snmp_answers(port, None, v3=(user, auth, auth_pass, priv_pass)) or
                 not p.alive(), 30, "snmpd on port %d" % port, interval=0.3)
        check(p.alive(), "snmpd exited:\n" + p.text())
        p.port = port
        return p


def snmp_answers(port, community, v3=None):
    """True if an SNMP agent on 127.0.0.1:port answers a GET of sysUpTime."""
    if v3:
        user, auth, apass, ppass = v3
        cred = ["-v3", "-l", "authPriv", "-u", user, "-a", auth, "-A", apass, "-x", "AES",
                "-X", ppass]
    else:
        cred = ["-v2c", "-c", community]
    r = subprocess.run(["snmpget"] + cred + ["-t", "0.5", "-r", "0", "-On",
                                              "127.0.0.1:%d" % port, "1.3.6.1.2.1.1.3.0"],
                       capture_output=True, text=True,
                       env=dict(os.environ, MIBS="", SNMP_PERSISTENT_DIR=tempfile.gettempdir()))
    return r.returncode == 0 and "1.3.6.1.2.1.1.3.0" in r.stdout


def snmprec(name):
    """The text of tests/fixtures/snmp/<name>.snmprec."""
    with open(os.path.join(FIXTURES, "snmp", name + ".snmprec")) as f:
        return f.read()


def profile_points(path):
    """The point names a profile file declares."""
    with open(path) as f:
        return re.findall(r'\bname\s*=\s*"([^"]+)"', f.read())


def profile_dir_with_fixtures(h):
    """A profile folder holding the shipped profiles and the test fixtures' ones.
    Returns (folder, name of the shipped temperature/humidity profile)."""
    d = h.path("profiles")
    os.makedirs(d, exist_ok=True)
    for src in (PROFILES, os.path.join(FIXTURES, "profiles")):
        for f in os.listdir(src):
            if f.endswith(".cfg"):
                os.symlink(os.path.join(src, f), os.path.join(d, f))
    return d, TH_PROFILE


def agent_config(broker_port, buses, devices, prefix="rw/test", extra="", mqtt_extra="",
                 profile_dir=PROFILES):
    # buses may be empty (SNMP devices only): libconfig takes "buses = ( );".
    """A roomwatchd config. buses/devices: lists of libconfig group bodies."""
    return """
site = { id = "test"; gateway = "gw"; timezone = "Asia/Shanghai"; };
profile_dir = "%s";
%s
mqtt = { uri = "tcp://127.0.0.1:%d"; prefix = "%s"; qos = 1; %s };
buses = ( %s );
devices = ( %s );
""" % (profile_dir, extra, broker_port, prefix, mqtt_extra,
       ",\n  ".join("{ %s }" % b for b in buses), ",\n  ".join("{ %s }" % d for d in devices))


# --- an MQTT-aware TCP proxy, for broker faults a real mosquitto does not make on order ---

MQTT_CONNACK, MQTT_PUBLISH, MQTT_PUBACK = 2, 3, 4


def mqtt_read_packet(sock):
    """One MQTT control packet (fixed header + remaining bytes) from sock, or None at EOF."""
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    first = exact(1)
    if first is None:
        return None
    header, length, mult = first, 0, 1
    while True:
        b = exact(1)
        if b is None:
            return None
        header += b
        length += (b[0] & 0x7F) * mult
        if not b[0] & 0x80:
            break
        mult *= 128
    body = exact(length) if length else b""
    return None if body is None else header + body


class MqttProxy:
    """127.0.0.1:port -> the broker on 127.0.0.1:upstream, a packet at a time, with faults:
      hold_acks    the broker's PUBACKs are dropped (messages stay in flight);
      cut_resumed  a connection is cut cut_after s after a CONNACK that resumes a session
                   (session present), as a broker that cannot resume it would (self.cuts);
      cut_publish  set to n: the next n PUBLISH packets from the client are forwarded only
                   half way, then the connection is cut (self.publish_cuts).
    A daemon thread per direction; close() ends them."""

    def __init__(self, upstream, cut_after=0.3):
        self.upstream = upstream
        self.port = free_port()
        self.cut_after = cut_after
        self.hold_acks = False
        self.cut_resumed = False
        self.cut_publish = 0
        self.conns = []
        self.cuts = []          # times of connections cut for resuming
        self.publish_cuts = []  # times of connections cut half way through a PUBLISH
        self.lock = threading.Lock()
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", self.port))
        self.srv.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns.append((c, u))
            threading.Thread(target=self._pump, args=(c, u, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, False), daemon=True).start()

    def _pump(self, src, dst, from_client):
        try:
            while True:
                pkt = mqtt_read_packet(src)
                if pkt is None:
                    break
                kind = pkt[0] >> 4
                if not from_client and kind == MQTT_PUBACK and self.hold_acks:
                    continue
                if from_client and kind == MQTT_PUBLISH and self.cut_publish > 0:
                    with self.lock:
                        self.cut_publish -= 1
                        self.publish_cuts.append(time.time())
                    dst.sendall(pkt[:len(pkt) // 2])
                    break
                dst.sendall(pkt)
                # CONNACK: fixed header (2 bytes), then the flags; bit 0 is session present.
                if (not from_client and kind == MQTT_CONNACK and pkt[2] & 1 and
                        self.cut_resumed):
                    with self.lock:
                        self.cuts.append(time.time())
                    threading.Timer(self.cut_after, self._cut, args=(src, dst)).start()
        except OSError:
            pass
        self._cut(src, dst)
        src.close()

    @staticmethod
    def _cut(*socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut_all(self):
        with self.lock:
            conns, self.conns = self.conns, []
        for pair in conns:
            self._cut(*pair)

    def close(self):
        self.srv.close()
        self.cut_all()


def run(test):
    """Runs test() and exits 0 on success, 1 on failure, printing the result."""
    name = os.path.basename(sys.argv[0])
    t0 = time.monotonic()
    try:
        test()
    except Failure as e:
        print("%s: FAIL (%.1f s): %s" % (name, time.monotonic() - t0, e))
        sys.exit(1)
    print("%s: PASS (%.1f s)" % (name, time.monotonic() - t0))
    sys.exit(0)
