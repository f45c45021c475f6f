#!/usr/bin/python3
"""A broker that closes every reconnect moments after accepting it: roomwatchd must not loop
for ever.

Seen once in CI (the soak): after a broker restart, mosquitto 2.0.11 closed each of paho
1.3.12's reconnects "due to malformed packet" right after its CONNACK, for as long as the
agent ran, while telemetry piled up in memory. Here an MQTT-aware TCP proxy between
roomwatchd and a real mosquitto plays that broker: once armed, it cuts every connection a
moment after forwarding a CONNACK that resumes the session (session present), so the fault
lives in the state both sides kept, as it must have there. roomwatchd must notice the run of
connections closed within seconds of their CONNACK, log it once as an error, give up what
paho held (counted) and start again on a new client with a clean session: telemetry polled
after that arrives, and no connection is cut after the renewal."""
import socket
import threading
import time

from harness import Harness, PROFILES, agent_config, check, free_port, run, wait_for

INTERVAL = 0.5
CONNACK, PUBLISH, PUBACK = 2, 3, 4
CUT_AFTER = 0.3  # s after a resuming CONNACK: paho has handled it and reported the connect


def read_packet(sock):
    """One MQTT control packet (fixed header + remaining bytes), or None at EOF."""
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


class Proxy:
    """127.0.0.1:port -> the broker, one packet at a time, with faults to order."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.port = free_port()
        self.hold_acks = False   # drop the broker's PUBACKs
        self.cut_resumed = False  # cut a connection CUT_AFTER s after it resumed a session
        self.conns = []
        self.cuts = []            # times of connections cut for resuming
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
            u = socket.create_connection(("127.0.0.1", self.upstream))
            with self.lock:
                self.conns.append((c, u))
            threading.Thread(target=self._pump, args=(c, u, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(u, c, False), daemon=True).start()

    def _pump(self, src, dst, from_client):
        try:
            while True:
                pkt = read_packet(src)
                if pkt is None:
                    break
                kind = pkt[0] >> 4
                if not from_client and kind == PUBACK and self.hold_acks:
                    continue
                dst.sendall(pkt)
                # CONNACK: fixed header (2 bytes), then the flags; bit 0 is session present.
                if not from_client and kind == CONNACK and pkt[2] & 1 and self.cut_resumed:
                    with self.lock:
                        self.cuts.append(time.time())
                    threading.Timer(CUT_AFTER, self._cut, args=(src, dst)).start()
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

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
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.srv.close()
        self.cut_all()


def test():
    with Harness("mqtt_renew") as h:
        pm = free_port()
        broker = h.mosquitto()
        proxy = Proxy(broker.port)
        sub = h.subscribe(broker.port, "rw/test/#")
        h.devsim("""
devices = ( { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1; } );
""" % pm, profiles=PROFILES)
        agent = h.roomwatchd(agent_config(
            proxy.port, ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
            ['id = "meter1"; kind = "meter"; bus = "a"; unit = 1; interval = %g; profile = "eastron-sdm630";' % INTERVAL]))
        try:
            wait_for(lambda: len(sub.all("telemetry/meter1$")) >= 3, 20, "telemetry through the proxy")

            # A first connection that lasted (the agent counts those closed within 5 s of
            # their CONNACK), messages in flight, then the connection cut; from now on every reconnect that
            # resumes the session is cut a moment after its CONNACK.
            time.sleep(5.0)
            proxy.hold_acks = True
            time.sleep(4 * INTERVAL)
            proxy.cut_resumed = True
            proxy.cut_all()
            proxy.hold_acks = False

            wait_for(lambda: "starting a new, clean session" in agent.text(), 60,
                     "roomwatchd to give up the session the broker keeps closing")
            t_renew = time.time()
            check(len(proxy.cuts) >= 3,
                  "expected at least 3 resumed sessions cut, got %d" % len(proxy.cuts))
            wait_for(lambda: any(d["ts"] > t_renew + 1 for _, _, d in
                                 sub.json("telemetry/meter1$")),
                     30, "telemetry polled after the new session began")
            time.sleep(3 * INTERVAL)
            late = [t for t in proxy.cuts if t > t_renew + 0.5]
            check(not late, "the new client resumed the old session (%d cuts)" % len(late))
            log = agent.text()
            renews = [l for l in log.splitlines() if "starting a new, clean session" in l]
            check(len(renews) == 1, "expected one renewal line, got:\n" + "\n".join(renews))
            check(" error: " in renews[0] or "error" in renews[0].split("mqtt:")[0],
                  "the renewal is not logged as an error: " + renews[0])
            check(agent.alive(), "roomwatchd exited")
        finally:
            proxy.close()


run(test)
