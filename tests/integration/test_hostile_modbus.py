#!/usr/bin/python3
"""Hostile Modbus peers (issue 14): one misbehaving Modbus TCP server per bus, each with one
fault, next to a good device (roomwatch-devsim) on a bus of its own:

  wrong_tid    answers with another transaction id
  wrong_len    the PDU's byte count announces more bytes than come (a short frame)
  byte_count   the PDU's byte count disagrees with the registers asked for
  flood        answers every request with 64 KiB of garbage
  half_open    accepts and reads, never answers, never closes
  close_mid    sends half an answer, then closes

Over the run the agent keeps polling the good device at its pace (no gap over 1.5 s), every
hostile device's telemetry is bad quality and never a value, each hostile device costs a
few log lines (once per fault, not one per poll), the daemon's RSS stays bounded and its
file descriptors and threads do not grow.
"""
import os
import re
import socket
import struct
import threading
import time

from harness import PROFILES, TH_PROFILE, Harness, agent_config, check, free_port, run, wait_for

MODES = ("wrong_tid", "wrong_len", "byte_count", "flood", "half_open", "close_mid")
RUN_S = 20.0


def answer(mode, req):
    """The bytes to send for one request (MBAP + PDU), by mode; None: stay silent."""
    tid, _, _, unit, fc = struct.unpack(">HHHBB", req[:8])
    addr, count = struct.unpack(">HH", req[8:12])
    data = bytes(count * 2) if fc in (3, 4) else bytes((count + 7) // 8)
    pdu = bytes([fc, len(data)]) + data
    if mode == "wrong_tid":
        return struct.pack(">HHHB", (tid + 1) & 0xFFFF, 0, len(pdu) + 1, unit) + pdu
    if mode == "wrong_len":
        short = pdu[:-1]  # one data byte missing
        return struct.pack(">HHHB", tid, 0, len(short) + 1, unit) + short
    if mode == "byte_count":
        pdu = bytes([fc, len(data) + 2]) + data + b"\x00\x00"
        return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu
    if mode == "flood":
        return os.urandom(65536)
    if mode == "close_mid":
        return (struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu)[:5]
    return None


class Hostile:
    """A Modbus TCP server on 127.0.0.1 that misbehaves in one way; a thread per connection."""

    def __init__(self, mode):
        self.mode = mode
        self.requests = 0
        self.conns = []
        self.s = socket.socket()
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(8)
        self.port = self.s.getsockname()[1]
        self.stop = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stop:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        try:
            while not self.stop:
                req = c.recv(260)
                if len(req) < 12:
                    return
                self.requests += 1
                out = answer(self.mode, req)
                if out is not None:
                    c.sendall(out)
                if self.mode == "close_mid":
                    c.close()
                    return
        except OSError:
            return

    def close(self):
        self.stop = True
        self.s.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def proc_figures(pid):
    with open("/proc/%d/status" % pid) as f:
        st = f.read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", st).group(1))
    threads = int(re.search(r"Threads:\s+(\d+)", st).group(1))
    fds = len(os.listdir("/proc/%d/fd" % pid))
    return rss, fds, threads


def test():
    with Harness("hostile_modbus") as h:
        pg = free_port()
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/telemetry/#")
        h.devsim("""
devices = (
  { id = "good"; profile = "%s"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1;
    values = { temperature = 24.0; humidity = 40.0; }; }
);
""" % (TH_PROFILE, pg), profiles=PROFILES)
        peers = {m: Hostile(m) for m in MODES}
        buses = ['id = "g"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pg]
        devices = ['id = "good"; kind = "th_sensor"; bus = "g"; unit = 1; interval = 0.5; '
                   'timeout = 0.3; profile = "%s";' % TH_PROFILE]
        for m, p in peers.items():
            buses.append('id = "b_%s"; type = "tcp"; host = "127.0.0.1"; port = %d;' % (m, p.port))
            devices.append('id = "%s"; kind = "th_sensor"; bus = "b_%s"; unit = 1; interval = 0.5; '
                           'timeout = 0.3; profile = "%s";' % (m, m, TH_PROFILE))
        agent = h.roomwatchd(agent_config(broker.port, buses, devices))
        wait_for(lambda: len(sub.json("telemetry/good$")) >= 3, 15, "the good device's telemetry")
        time.sleep(2.0)  # past start-up allocations
        start = proc_figures(agent.pid)
        t0 = time.time()
        time.sleep(RUN_S)
        end = proc_figures(agent.pid)
        check(agent.alive(), "roomwatchd died: " + agent.text()[-3000:])

        good = [d for _, _, d in sub.json("telemetry/good$") if d["ts"] >= t0]
        ts = [d["ts"] for d in good]
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        check(len(good) >= RUN_S / 0.5 * 0.8 and max(gaps) < 1.5,
              "the good device: %d polls in %g s, largest gap %.2f s" %
              (len(good), RUN_S, max(gaps) if gaps else -1))
        check(all(d["points"]["temperature"]["quality"] == "good" for d in good),
              "the good device went bad")

        log = agent.text().splitlines()
        report = []
        for m, p in peers.items():
            docs = [d for _, _, d in sub.json("telemetry/%s$" % m)]
            check(p.requests > 0, "%s: roomwatchd never asked" % m)
            check(docs and all(pt["quality"] != "good" and pt["value"] is None
                               for d in docs for pt in d["points"].values()),
                  "%s: a hostile answer gave a value: %s" % (m, docs[-1:] if docs else docs))
            # The device's lines and its bus's (b_<mode>): a reconnect is not news each time.
            lines = [l for l in log if re.search(r"\b(b_)?%s\b" % m, l)]
            report.append("%s: %d requests, %d documents (%s), %d log lines" % (
                m, p.requests, len(docs),
                ",".join(sorted({pt["quality"] for d in docs for pt in d["points"].values()})),
                len(lines)))
            check(len(lines) <= 4, "%s: %d log lines:\n%s" % (m, len(lines), "\n".join(lines)))
        print("\n".join(report))
        print("rss %d -> %d kB, fds %d -> %d, threads %d -> %d over %g s" %
              (start[0], end[0], start[1], end[1], start[2], end[2], RUN_S))
        # Under ASan freed memory sits in its quarantine (256 MB): RSS means nothing there.
        with open("/proc/%d/maps" % agent.pid) as f:
            sanitized = "libasan" in f.read()
        check(sanitized or end[0] - start[0] < 2048, "RSS grew %d kB" % (end[0] - start[0]))
        check(end[1] <= start[1] + 1, "fds grew: %d -> %d" % (start[1], end[1]))
        check(end[2] == start[2], "threads changed: %d -> %d" % (start[2], end[2]))
        for p in peers.values():
            p.close()


if __name__ == "__main__":
    run(test)
