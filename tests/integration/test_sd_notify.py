#!/usr/bin/python3
"""systemd notifications: roomwatchd speaks the sd_notify protocol to $NOTIFY_SOCKET as it
does under a Type=notify unit with WatchdogSec=. The test plays systemd's part: it binds the
datagram socket, runs the daemon polling a simulated meter, and checks READY=1 after start,
WATCHDOG=1 at half the watchdog timeout for as long as the main loop runs, RELOADING=1 and
READY=1 around a SIGHUP reload, and STOPPING=1 on SIGTERM. A second run on an abstract socket
('@' name) with WATCHDOG_PID naming another process gets READY=1 and no watchdog pings."""
import os
import signal
import socket
import threading
import time

from harness import EMULATOR, ROOMWATCHD, ROOT_ARGS, Harness, agent_config, check, free_port, run, \
    wait_for

WATCHDOG_USEC = 1000000  # pings due every 0.5 s


class Notifications:
    """The receiving end of $NOTIFY_SOCKET: records (monotonic time, datagram)."""

    def __init__(self, address):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(address)
        self.s.settimeout(0.2)
        self.lock = threading.Lock()
        self.got = []
        self.done = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.done:
            try:
                data = self.s.recv(4096)
            except socket.timeout:
                continue
            with self.lock:
                self.got.append((time.monotonic(), data.decode("utf-8", "replace")))

    def all(self):
        with self.lock:
            return list(self.got)

    def times(self, line, since=0.0):
        """Times of the datagrams holding the line `line` (e.g. "READY=1") after `since`."""
        return [t for t, d in self.all() if t >= since and line in d.split("\n")]

    def close(self):
        self.done = True
        self.t.join()
        self.s.close()


def start_agent(h, name, conf, notify_socket, extra_env):
    path = h.write(name + ".cfg", conf)
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)
    env.update({"NOTIFY_SOCKET": notify_socket, "WATCHDOG_USEC": str(WATCHDOG_USEC)})
    env.update(extra_env)
    return h.start(name, EMULATOR + [ROOMWATCHD, "-c", path] + ROOT_ARGS, env=env)


def test():
    with Harness("sd_notify") as h:
        port = free_port()
        broker = h.mosquitto()
        h.devsim("""
devices = ( { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp";
              host = "127.0.0.1"; port = %d; unit = 1; } );
""" % port)
        conf = agent_config(
            broker.port, ['id = "gw"; type = "tcp"; host = "127.0.0.1"; port = %d;' % port],
            ['id = "meter1"; kind = "meter"; bus = "gw"; unit = 1; interval = 1.0; '
             'profile = "eastron-sdm630";'])

        sock = h.path("notify.sock")
        n = Notifications(sock)
        try:
            agent = start_agent(h, "roomwatchd", conf, sock, {})
            wait_for(lambda: n.times("READY=1"), 20, "READY=1")
            ready = n.times("READY=1")[0]
            check(any(d.startswith("READY=1\nSTATUS=polling 1 devices on 1 buses")
                      for _, d in n.all()), "no STATUS with READY: %r" % n.all())

            # The watchdog: every WATCHDOG_USEC/2, never a gap near the timeout.
            time.sleep(4.0)
            pings = n.times("WATCHDOG=1", ready)
            check(7 <= len(pings) <= 10,
                  "%d WATCHDOG=1 in 4 s, expected about 8 (every 0.5 s)" % len(pings))
            gaps = [b - a for a, b in zip(pings, pings[1:])]
            check(max(gaps) < 0.8 * WATCHDOG_USEC / 1e6,
                  "a gap of %.2f s between watchdog pings (timeout %.1f s)"
                  % (max(gaps), WATCHDOG_USEC / 1e6))

            # Reload: RELOADING=1, then READY=1 again once buses and publisher are back.
            t_hup = time.monotonic()
            agent.signal(signal.SIGHUP)
            wait_for(lambda: n.times("READY=1", t_hup), 20, "READY=1 after SIGHUP")
            reloading = n.times("RELOADING=1", t_hup)
            check(reloading and reloading[0] <= n.times("READY=1", t_hup)[0],
                  "no RELOADING=1 before READY=1 on reload: %r" % n.all())
            check(any(d.startswith("RELOADING=1\nMONOTONIC_USEC=") for _, d in n.all()),
                  "RELOADING=1 without MONOTONIC_USEC")
            t = time.monotonic()
            wait_for(lambda: len(n.times("WATCHDOG=1", t)) >= 2, 5, "pings after the reload")

            t_term = time.monotonic()
            rc = agent.stop(timeout=20)
            check(rc == 0, "roomwatchd exited with %r on SIGTERM" % rc)
            check(n.times("STOPPING=1", t_term), "no STOPPING=1 on SIGTERM: %r" % n.all()[-5:])
        finally:
            n.close()

        # Abstract socket, and a watchdog meant for another process (WATCHDOG_PID=1).
        name = "@rw-test-notify-%d" % os.getpid()
        n = Notifications("\0" + name[1:])
        try:
            agent = start_agent(h, "roomwatchd-abstract", conf, name, {"WATCHDOG_PID": "1"})
            wait_for(lambda: n.times("READY=1"), 20, "READY=1 on an abstract socket")
            time.sleep(1.5)
            check(not n.times("WATCHDOG=1"), "WATCHDOG=1 sent though WATCHDOG_PID is not ours")
            check(agent.stop(timeout=20) == 0, "roomwatchd (abstract socket) failed")
            check(n.times("STOPPING=1"), "no STOPPING=1 on the abstract socket")
        finally:
            n.close()


if __name__ == "__main__":
    run(test)
