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
import time

from harness import Harness, MqttProxy, PROFILES, agent_config, check, free_port, run, wait_for

INTERVAL = 0.5
def test():
    with Harness("mqtt_renew") as h:
        pm = free_port()
        broker = h.mosquitto()
        proxy = MqttProxy(broker.port)
        sub = h.subscribe(broker.port, "rw/test/#")
        h.devsim("""
devices = ( { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1; } );
""" % pm, profiles=PROFILES)
        agent = h.roomwatchd(agent_config(
            proxy.port, ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
            ['id = "meter1"; kind = "meter"; bus = "a"; unit = 1; interval = %g; profile = "eastron-sdm630";' % INTERVAL]))
        try:
            wait_for(lambda: len(sub.all("telemetry/meter1$")) >= 3, 20, "telemetry through the proxy")

            # A first connection that lasted (the agent counts those closed within 2 s of
            # their CONNACK), messages in flight, then the connection cut; from now on every
            # reconnect that resumes the session is cut a moment after its CONNACK.
            time.sleep(3.0)
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
