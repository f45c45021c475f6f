#!/usr/bin/python3
"""The broker goes away for a while: roomwatchd keeps polling at its pace, buffers what it
would have published, reconnects on its own when the broker is back and delivers the
telemetry of the outage, in order. One warning for the loss, one notice for the return."""
import re
import time

from harness import Harness, PROFILES, agent_config, check, free_port, run, wait_for

INTERVAL = 0.5
OUTAGE = 6.0


def test():
    with Harness("broker_outage") as h:
        pm = free_port()
        broker = h.mosquitto(persist=True)
        port = broker.port
        sub = h.subscribe(port, "rw/test/#", persistent=True)
        h.devsim("""
devices = ( { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1; } );
""" % pm, profiles=PROFILES)
        agent = h.roomwatchd(agent_config(
            port, ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
            ['id = "meter1"; kind = "meter"; bus = "a"; unit = 1; interval = %g; profile = "eastron-sdm630";' % INTERVAL]))
        wait_for(lambda: len(sub.all("telemetry/meter1$")) >= 3, 15, "telemetry before the outage")

        broker.stop()
        t_down = time.time()
        time.sleep(OUTAGE)
        t_up = time.time()
        broker2 = h.mosquitto(port=port, persist=True)
        check(broker2.port == port, "broker port")

        # Wait until documents polled well after the restart arrive.
        wait_for(lambda: any(d["ts"] > t_up + 2 for _, _, d in sub.json("telemetry/meter1$")),
                 90, "telemetry after the broker came back")
        time.sleep(1.0)
        docs = [d for _, _, d in sub.json("telemetry/meter1$")]
        during = [d for d in docs if t_down + INTERVAL < d["ts"] < t_up - INTERVAL]
        expected = (t_up - t_down - 2 * INTERVAL) / INTERVAL
        check(len(during) >= 0.9 * expected,
              "%d documents polled during the %.0f s outage arrived, expected about %.0f" % (
                  len(during), OUTAGE, expected))
        ts = sorted(d["ts"] for d in docs if t_down - 2 < d["ts"] < t_up + 2)
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        check(max(gaps) < 2.5 * INTERVAL, "polling paused or slowed: largest gap %.2f s" % max(gaps))
        cycles = [d["cycle"] for d in docs]
        check(cycles == sorted(cycles), "telemetry out of order: %r" % cycles)

        log = agent.text()
        lost = [l for l in log.splitlines() if re.search(r"mqtt: connection to \S+ lost", l)]
        check(len(lost) == 1, "expected one 'connection lost' line, got:\n" + "\n".join(lost))
        check(log.lower().count("mqtt: connected") >= 2 or log.count("connected to") >= 2,
              "expected a second connect notice:\n" + log)


run(test)
