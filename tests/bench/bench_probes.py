#!/usr/bin/python3
"""roomwatch service-probe benchmark: N probes, some of them dead, beside curl run once per
probe as a naive peer (issue 13, "Done when").

One world on 127.0.0.1: a python3 HTTP server (the live http probes), a TCP listener that
accepts and closes (the live tcp probes), an HTTP server that accepts and never answers (dead
http probes: timeout), a listening socket that never accepts, whose backlog is soon full, so
that connects to it get no answer (dead tcp probes: timeout), and a mosquitto broker.

  1. roomwatchd probes all of them every --interval s (timeout --timeout s); half the live
     probes are http, half tcp, and so are the dead ones. Measured over a window after a
     warm-up: the gap between two telemetry documents of each live probe (the schedule must
     hold: every gap within +-10 % of the interval, whatever the dead ones do), probes per
     second, and CPU seconds (utime + stime of roomwatchd) per 1000 probes.
  2. curl, once per probe, the way a cron job would do it: `curl -s -o /dev/null -m TIMEOUT
     URL` for each of the same targets (tcp ones as http:// to the same port), 20 at a time;
     CPU seconds of the curl processes (their rusage) per 1000 probes.

    tests/bench/bench_probes.py [--probes 100] [--dead 20] [--interval 10] [--timeout 2]
                                [--seconds 120] [--warmup 12] [--build DIR] [--json OUT]
                                [--quick]

--quick (for CTest): 20 probes, 4 dead, every 1 s for 8 s, and the schedule is only
reported, not judged (two shared cores under a test suite do not keep 100 ms). Processes it
starts are stopped by PID at the end. Exit 1 when the schedule misses or nothing arrives.
"""
import argparse
import concurrent.futures
import json
import os
import resource
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
CLK_TCK = os.sysconf("SC_CLK_TCK")
TOLERANCE = 0.10  # the schedule: every gap within +-10 % of the interval

PEERS = r'''
import http.server, socket, sys, threading
live_http, live_tcp, hang_http, silent_tcp = (int(x) for x in sys.argv[1:5])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *a):
        pass
web = http.server.ThreadingHTTPServer(("127.0.0.1", live_http), H)
threading.Thread(target=web.serve_forever, daemon=True).start()
def listen(port, backlog):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(backlog)
    return s
tcp, hang, silent = listen(live_tcp, 128), listen(hang_http, 128), listen(silent_tcp, 0)
held = []
def accept_close():
    while True:
        c, _ = tcp.accept()
        c.close()
def accept_hold():
    while True:
        c, _ = hang.accept()
        held.append(c)
        del held[:-200]
threading.Thread(target=accept_close, daemon=True).start()
threading.Thread(target=accept_hold, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("bench_probes: nothing listens on port %d" % port)


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def targets(args, ports):
    """(id, kind, url or port, dead) for every probe."""
    live = args.probes - args.dead
    out = []
    for i in range(live):
        if i % 2 == 0:
            out.append(("web%d" % i, "http", "http://127.0.0.1:%d/p%d" % (ports["live_http"], i),
                        False))
        else:
            out.append(("tcp%d" % i, "tcp", ports["live_tcp"], False))
    for i in range(args.dead):
        if i % 2 == 0:
            out.append(("hang%d" % i, "http", "http://127.0.0.1:%d/" % ports["hang_http"], True))
        else:
            out.append(("silent%d" % i, "tcp", ports["silent_tcp"], True))
    return out


def agent_config(args, broker, probes):
    devs = []
    for ident, kind, where, _ in probes:
        if kind == "http":
            p = 'type = "http"; url = "%s";' % where
        else:
            p = 'type = "tcp"; host = "127.0.0.1"; port = %d;' % where
        devs.append('{ id = "%s"; kind = "service"; interval = %g; timeout = %g; probe = { %s }; }'
                    % (ident, args.interval, args.timeout, p))
    return """
site = { id = "bench"; gateway = "gw"; };
mqtt = { uri = "tcp://127.0.0.1:%d"; prefix = "bench"; qos = 0; };
queue_size = 65536;
devices = ( %s );
""" % (broker, ",\n  ".join(devs))


def run_agent(args, tmp, broker, probes):
    times = {}
    lock = threading.Lock()

    def on_message(c, u, m):
        dev = m.topic.rsplit("/", 1)[1]
        doc = json.loads(m.payload)
        with lock:
            times.setdefault(dev, []).append((time.monotonic(), doc["ts"],
                                              doc["points"]["up"]["quality"]))

    c = mqtt.Client(client_id="bench-probes-%d" % os.getpid())
    c.on_message = on_message
    c.connect("127.0.0.1", broker)
    c.subscribe("bench/telemetry/#")
    c.loop_start()
    conf = os.path.join(tmp, "agent.cfg")
    with open(conf, "w") as f:
        f.write(agent_config(args, broker, probes))
    log = open(os.path.join(tmp, "roomwatchd.log"), "wb")
    # In a cross build roomwatchd runs under the emulator (RW_EMULATOR, as in the harness):
    # its figures are the emulator's then, and only the verdict means anything.
    emulator = os.environ.get("RW_EMULATOR", "").split()
    # roomwatchd refuses root without --allow-root; CI runs the benchmarks as root.
    root = ["--allow-root"] if os.geteuid() == 0 else []
    p = subprocess.Popen(emulator + [os.path.join(args.build, "agent", "roomwatchd"), "-c", conf] +
                         root,
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        time.sleep(args.warmup)
        c0, t0 = cpu_s(p.pid), time.monotonic()
        time.sleep(args.seconds)
        c1, t1 = cpu_s(p.pid), time.monotonic()
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(20)
        c.loop_stop()
        c.disconnect()
        log.close()
    dead = {ident for ident, _, _, d in probes if d}
    n = 0
    gaps, bad_live, worst = [], 0, 0.0
    for dev, rows in times.items():
        in_win = [r for r in rows if t0 <= r[0] <= t1]
        n += len(in_win)
        if dev in dead:
            continue
        bad_live += sum(1 for r in in_win if r[2] != "good")
        ts = [r[1] for r in rows if t0 - args.interval <= r[0] <= t1]
        for a, b in zip(ts, ts[1:]):
            gaps.append(b - a)
            worst = max(worst, abs(b - a - args.interval) / args.interval)
    return {
        "probes_per_s": n / (t1 - t0),
        "cpu_s_per_1000": 1000.0 * (c1 - c0) / n if n else None,
        "live_with_data": sum(1 for d in times if d not in dead),
        "dead_with_data": sum(1 for d in times if d in dead),
        "gaps": len(gaps),
        "gap_min_s": min(gaps) if gaps else None,
        "gap_max_s": max(gaps) if gaps else None,
        "worst_gap_deviation": worst,
        "live_not_good": bad_live,
        "exit": p.returncode,
    }


def run_curl(args, probes):
    def one(t):
        _, kind, where, _ = t
        url = where if kind == "http" else "http://127.0.0.1:%d/" % where
        subprocess.run(["curl", "-s", "-o", "/dev/null", "-m", "%g" % args.timeout, url],
                       stdin=subprocess.DEVNULL)

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(20) as ex:
        list(ex.map(one, probes))
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"probes": len(probes), "wall_s": wall, "cpu_s_per_1000": 1000.0 * cpu / len(probes)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probes", type=int, default=100)
    ap.add_argument("--dead", type=int, default=20)
    ap.add_argument("--interval", type=float, default=10.0)
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--warmup", type=float, default=12.0)
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--json")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.probes, args.dead, args.interval, args.timeout = 20, 4, 1.0, 0.3
        args.seconds, args.warmup = 8.0, 2.0

    tmp = tempfile.mkdtemp(prefix="rw-bench-probes-")
    procs = []
    try:
        ports = {k: free_port() for k in ("live_http", "live_tcp", "hang_http", "silent_tcp",
                                          "broker")}
        peers = os.path.join(tmp, "peers.py")
        with open(peers, "w") as f:
            f.write(PEERS)
        procs.append(subprocess.Popen(
            [sys.executable, peers] + [str(ports[k]) for k in
                                       ("live_http", "live_tcp", "hang_http", "silent_tcp")],
            stdout=subprocess.PIPE, start_new_session=True))
        procs[-1].stdout.readline()
        mconf = os.path.join(tmp, "mosquitto.conf")
        with open(mconf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n%s"
                    % (ports["broker"], "user root\n" if os.geteuid() == 0 else ""))
        procs.append(subprocess.Popen(["mosquitto", "-c", mconf], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
        wait_port(ports["broker"])
        wait_port(ports["live_http"])
        probes = targets(args, ports)

        agent = run_agent(args, tmp, ports["broker"], probes)
        naive = run_curl(args, probes)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

    ratio = (agent["cpu_s_per_1000"] / naive["cpu_s_per_1000"]
             if agent["cpu_s_per_1000"] and naive["cpu_s_per_1000"] else None)
    print("bench_probes: %d probes (%d dead) every %g s, timeout %g s, window %g s"
          % (args.probes, args.dead, args.interval, args.timeout, args.seconds))
    print("%-34s %12s %12s" % ("", "roomwatchd", "curl"))
    print("%-34s %12.3f %12.3f" % ("CPU s per 1000 probes", agent["cpu_s_per_1000"] or 0,
                                   naive["cpu_s_per_1000"]))
    print("%-34s %12.2f %12s" % ("probes per second", agent["probes_per_s"], "-"))
    print("live probes: %d gaps, %.3f .. %.3f s, worst deviation %.1f %% (limit %.0f %%); "
          "%d live samples not good" % (agent["gaps"], agent["gap_min_s"] or 0,
                                        agent["gap_max_s"] or 0,
                                        100 * agent["worst_gap_deviation"], 100 * TOLERANCE,
                                        agent["live_not_good"]))
    if ratio is not None:
        print("CPU ratio roomwatchd / curl: %.3f" % ratio)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "roomwatchd": agent, "curl": naive, "ratio": ratio},
                      f, indent=2)
    ok = agent["exit"] == 0 and agent["live_with_data"] == args.probes - args.dead and \
        agent["dead_with_data"] == args.dead and agent["gaps"] > 0
    if not args.quick:
        ok = ok and agent["worst_gap_deviation"] <= TOLERANCE and agent["live_not_good"] == 0
    shutil.rmtree(tmp, ignore_errors=True)
    if not ok:
        print("bench_probes: FAILED: %r" % agent)
        sys.exit(1)


if __name__ == "__main__":
    main()
