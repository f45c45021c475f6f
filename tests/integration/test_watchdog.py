#!/usr/bin/python3
"""The systemd watchdog means it: WATCHDOG=1 only while every worker makes progress.

roomwatchd polls two Modbus TCP buses: "lan" (roomwatch-devsim, a meter) and "stall" (a
gateway played by this test, in front of a temperature/humidity sensor). The test binds the
$NOTIFY_SOCKET as systemd does, with WATCHDOG_USEC = 2 s (pings due every 1 s). At first the
gateway answers properly and the pings come. Then it turns into a broken gateway that answers
one byte every 0.3 s with a byte count of 250: libmodbus waits the byte timeout (0.5 s) per
byte, so the bus thread is stuck in one read for over a minute, as behind a failing
converter. The pings must stop within one watchdog period of the request that hangs, STATUS=
must name the bus, and the other bus must go on publishing. When the gateway hangs up the
bus thread recovers: the pings resume and STATUS= is the daemon's normal one again."""
import os
import socket
import struct
import threading
import time

from harness import Harness, agent_config, check, free_port, run, wait_for
from test_sd_notify import Notifications, start_agent

WATCHDOG_USEC = 2000000
PERIOD = WATCHDOG_USEC / 1e6


class Gateway:
    """A Modbus TCP gateway on 127.0.0.1:port that answers function 3/4 reads with registers
    of 250 (25.0 °C, 25.0 %RH), or, once hang() is called, trickles a too-long answer one
    byte at a time until release()."""

    def __init__(self, port):
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", port))
        self.srv.listen(4)
        self.srv.settimeout(0.2)
        self.hanging = threading.Event()
        self.released = threading.Event()
        self.done = False
        self.hung_at = None  # monotonic time of the request answered by the trickle
        self.answered = 0
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def hang(self):
        self.hanging.set()

    def release(self):
        self.released.set()

    def _recv(self, c, n):
        buf = b""
        while len(buf) < n and not self.done:
            try:
                part = c.recv(n - len(buf))
            except socket.timeout:
                continue
            if not part:
                return None
            buf += part
        return buf if len(buf) == n else None

    def _serve(self, c):
        c.settimeout(0.2)
        while not self.done:
            head = self._recv(c, 7)
            if head is None:
                return
            tid, _, length, unit = struct.unpack(">HHHB", head)
            pdu = self._recv(c, length - 1)
            if pdu is None:
                return
            fc, _, count = struct.unpack(">BHH", pdu[:5])
            if self.hanging.is_set() and not self.released.is_set():
                self.hung_at = time.monotonic()
                answer = struct.pack(">HHHBBB", tid, 0, 253, unit, fc, 250) + b"\0" * 250
                for byte in answer:
                    if self.released.is_set() or self.done:
                        return  # hang up: the client's read fails at once
                    c.sendall(bytes([byte]))
                    time.sleep(0.3)
                return
            data = struct.pack(">%dH" % count, *([250] * count))
            c.sendall(struct.pack(">HHHBBB", tid, 0, 3 + len(data), unit, fc, len(data)) + data)
            self.answered += 1

    def _run(self):
        while not self.done:
            try:
                c, _ = self.srv.accept()
            except socket.timeout:
                continue
            try:
                self._serve(c)
            except OSError:
                pass
            finally:
                c.close()

    def close(self):
        self.done = True
        self.t.join(5)
        self.srv.close()


def test():
    with Harness("watchdog") as h:
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        lan = free_port()
        h.devsim("""
devices = ( { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp";
              host = "127.0.0.1"; port = %d; unit = 1; } );
""" % lan)
        gw = Gateway(free_port())
        conf = agent_config(
            broker.port,
            ['id = "lan"; type = "tcp"; host = "127.0.0.1"; port = %d;' % lan,
             'id = "stall"; type = "tcp"; host = "127.0.0.1"; port = %d;'
             % gw.srv.getsockname()[1]],
            ['id = "meter1"; kind = "meter"; bus = "lan"; unit = 1; interval = 1.0; '
             'profile = "eastron-sdm630";',
             'id = "th1"; kind = "th_sensor"; bus = "stall"; unit = 7; interval = 1.0; '
             'timeout = 0.5; profile = "r444a01";'])
        sock = h.path("notify.sock")
        n = Notifications(sock)
        try:
            agent = start_agent(h, "roomwatchd", conf, sock,
                                {"WATCHDOG_USEC": str(WATCHDOG_USEC)})
            wait_for(lambda: n.times("READY=1") or not agent.alive(), 20, "READY=1")
            check(agent.alive(), "roomwatchd exited: " + agent.text())
            ready = n.times("READY=1")[0]
            status = [d for _, d in n.all() if "STATUS=" in d][0].split("STATUS=", 1)[1]
            wait_for(lambda: gw.answered >= 2, 10, "two polls answered by the gateway")
            time.sleep(2.5)
            pings = n.times("WATCHDOG=1", ready)
            check(len(pings) >= 3, "%d pings in the first seconds" % len(pings))

            gw.hang()
            wait_for(lambda: gw.hung_at is not None, 5, "a request to the hanging gateway")
            hung = gw.hung_at
            time.sleep(3 * PERIOD)
            after = n.times("WATCHDOG=1", hung)
            last = after[-1] if after else n.times("WATCHDOG=1")[-1]
            check(last <= hung + PERIOD,
                  "a ping %.2f s after the bus thread hung (watchdog %.1f s): %r" % (
                      last - hung, PERIOD, [round(t - hung, 2) for t in after]))
            check(agent.alive(), "roomwatchd exited while a bus hung: " + agent.text())
            stuck = [d for t, d in n.all() if t >= hung and "STATUS=stuck: bus stall:" in d]
            check(stuck, "no STATUS naming bus stall: %r" % [d for _, d in n.all()][-5:])
            check("bus stall: no progress" in agent.text(), "the log does not name the bus")
            # The other bus goes on.
            t = time.monotonic()
            wait_for(lambda: any(m[0] > t for m in sub.all("telemetry/meter1$")), 5,
                     "meter1's telemetry while bus stall hangs")

            # The gateway hangs up: the read fails, the thread goes on, pings resume.
            t_rel = time.monotonic()
            gw.release()
            wait_for(lambda: len(n.times("WATCHDOG=1", t_rel)) >= 2, 3 * PERIOD,
                     "pings after the bus recovered")
            check(any(d == "STATUS=" + status for t, d in n.all() if t >= t_rel),
                  "STATUS not restored to %r: %r" % (status, [d for _, d in n.all()][-5:]))
            check(agent.stop(timeout=20) == 0, "roomwatchd failed on SIGTERM")
        finally:
            n.close()
            gw.close()


if __name__ == "__main__":
    run(test)
