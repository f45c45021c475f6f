#!/usr/bin/python3
"""Hostile SNMP agents (issue 14): UDP servers that answer every request with something that
is not a proper response, next to a good agent (snmpsimd) polled by the same thread:

  garbage    random bytes
  truncated  the start of a BER SEQUENCE that claims more than comes
  oversized  one ~60 KB datagram announcing a 16 MB SEQUENCE
  echo       the request itself sent back (a GetRequest, not a Response)
  flood      fifty datagrams of garbage per request

The good agent keeps being read at its pace (no gap over 2.5 s at a 1 s interval), every
hostile device reads as bad quality without a value, each costs a couple of log lines, and
the daemon's RSS, descriptors and threads stay flat.
"""
import os
import re
import socket
import threading
import time

from harness import Harness, agent_config, check, run, snmprec, wait_for

MODES = ("garbage", "truncated", "oversized", "echo", "flood")
RUN_S = 15.0


class HostileAgent:
    def __init__(self, mode):
        self.mode = mode
        self.requests = 0
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                req, peer = self.s.recvfrom(65535)
            except OSError:
                return
            self.requests += 1
            try:
                if self.mode == "garbage":
                    self.s.sendto(os.urandom(len(req)), peer)
                elif self.mode == "truncated":
                    self.s.sendto(b"\x30\x82\x01\x00\x02\x01\x01\x04\x06pub", peer)
                elif self.mode == "oversized":
                    self.s.sendto(b"\x30\x84\x01\x00\x00\x00" + b"\x04" * 60000, peer)
                elif self.mode == "echo":
                    self.s.sendto(req, peer)
                elif self.mode == "flood":
                    for _ in range(50):
                        self.s.sendto(os.urandom(1400), peer)
            except OSError:
                return

    def close(self):
        self.s.close()


def proc_figures(pid):
    with open("/proc/%d/status" % pid) as f:
        st = f.read()
    return (int(re.search(r"VmRSS:\s+(\d+)", st).group(1)), len(os.listdir("/proc/%d/fd" % pid)),
            int(re.search(r"Threads:\s+(\d+)", st).group(1)))


def test():
    with Harness("hostile_snmp") as h:
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/telemetry/#")
        sim = h.snmpsim({"ups": snmprec("ups")})
        peers = {m: HostileAgent(m) for m in MODES}
        devices = ['id = "good"; kind = "ups"; profile = "ups-mib"; interval = 1.0; timeout = 0.3; '
                   'snmp = { host = "127.0.0.1"; port = %d; community = "ups"; };' % sim.port]
        for m, p in peers.items():
            devices.append('id = "%s"; kind = "ups"; profile = "ups-mib"; interval = 1.0; '
                           'timeout = 0.3; snmp = { host = "127.0.0.1"; port = %d; '
                           'community = "ups"; };' % (m, p.port))
        agent = h.roomwatchd(agent_config(broker.port, [], devices))
        wait_for(lambda: len(sub.json("telemetry/good$")) >= 3, 20, "the good agent's telemetry")
        time.sleep(2.0)
        start = proc_figures(agent.pid)
        t0 = time.time()
        time.sleep(RUN_S)
        end = proc_figures(agent.pid)
        check(agent.alive(), "roomwatchd died: " + agent.text()[-3000:])

        good = [d for _, _, d in sub.json("telemetry/good$") if d["ts"] >= t0]
        ts = [d["ts"] for d in good]
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        check(len(good) >= RUN_S * 0.7 and gaps and max(gaps) < 2.5,
              "the good agent: %d polls in %g s, gaps up to %.2f s" %
              (len(good), RUN_S, max(gaps) if gaps else -1))
        check(all(d["points"]["output_voltage"]["quality"] == "good" for d in good),
              "the good agent went bad")
        log = agent.text().splitlines()
        report = []
        for m, p in peers.items():
            docs = [d for _, _, d in sub.json("telemetry/%s$" % m)]
            lines = [l for l in log if re.search(r"\b%s\b" % m, l)]
            report.append("%s: %d requests, %d documents (%s), %d log lines" % (
                m, p.requests, len(docs),
                ",".join(sorted({pt["quality"] for d in docs for pt in d["points"].values()})),
                len(lines)))
            check(p.requests > 0, "%s: never asked" % m)
            check(all(pt["quality"] != "good" and pt["value"] is None
                      for d in docs for pt in d["points"].values()),
                  "%s: a hostile answer gave a value: %s" % (m, docs[-1:]))
            check(len(lines) <= 3, "%s: %d log lines:\n%s" % (m, len(lines), "\n".join(lines)))
        print("\n".join(report))
        print("rss %d -> %d kB, fds %d -> %d, threads %d -> %d over %g s" %
              (start[0], end[0], start[1], end[1], start[2], end[2], RUN_S))
        # Under ASan freed memory sits in its quarantine (256 MB): RSS means nothing there.
        with open("/proc/%d/maps" % agent.pid) as f:
            sanitized = "libasan" in f.read()
        check(sanitized or end[0] - start[0] < 2048, "RSS grew %d kB" % (end[0] - start[0]))
        check(end[1] <= start[1], "fds grew: %d -> %d" % (start[1], end[1]))
        check(end[2] == start[2], "threads changed: %d -> %d" % (start[2], end[2]))
        for p in peers.values():
            p.close()


if __name__ == "__main__":
    run(test)
