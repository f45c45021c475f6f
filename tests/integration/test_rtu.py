#!/usr/bin/python3
"""Modbus RTU over a serial line: roomwatch-devsim serves a temperature/humidity transmitter
on one end of a socat pty pair, roomwatchd polls it on the other (RS-485 mode requested: the
ioctl fails on a pty, which must be logged once and not stop polling)."""
import math

from harness import Harness, PROFILES, TH_PROFILE, agent_config, check, run, wait_for


def test():
    with Harness("rtu") as h:
        sim_end, agent_end = h.pty_pair()
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        h.devsim("""
devices = (
  { id = "th2"; profile = "%s"; transport = "rtu"; device = "%s"; baud = 9600; parity = "E"; unit = 7;
    values = { temperature = -5.5; humidity = 61.3; }; }
);
""" % (TH_PROFILE, sim_end), profiles=PROFILES)
        agent = h.roomwatchd(agent_config(
            broker.port,
            ['id = "rs485"; type = "rtu"; device = "%s"; baud = 9600; parity = "E"; data_bits = 8; stop_bits = 1; rs485 = true;' % agent_end],
            ['id = "th2"; kind = "th_sensor"; bus = "rs485"; unit = 7; interval = 0.5; timeout = 0.3; profile = "%s";' % TH_PROFILE]))
        wait_for(lambda: len(sub.all("telemetry/th2$")) >= 4, 15, "four telemetry documents from th2")
        docs = [d for _, _, d in sub.json("telemetry/th2$")]
        for d in docs[1:]:
            p = d["points"]
            check(p["temperature"]["quality"] == "good", "quality %r" % p["temperature"])
            check(math.isclose(p["temperature"]["value"], -5.5), "temperature %r" % p["temperature"])
            check(math.isclose(p["humidity"]["value"], 61.3), "humidity %r" % p["humidity"])
        cycles = [d["cycle"] for d in docs]
        check(cycles == sorted(cycles) and len(set(cycles)) == len(cycles), "cycles %r" % cycles)
        log = agent.text()
        check(log.count("RS-485 mode") == 1, "RS-485 ioctl failure must be logged once:\n" + log)


run(test)
