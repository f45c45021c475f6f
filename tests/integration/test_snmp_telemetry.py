#!/usr/bin/python3
"""SNMP end to end: snmpsimd serves a recorded UPS (UPS-MIB) and a switch (IF-MIB and
ENTITY-SENSOR-MIB) over v2c, net-snmp's snmpd serves SNMPv3 authPriv (SHA-256, AES); roomwatchd
polls all of them and the values, with their labels, arrive on the telemetry topics."""
from harness import Harness, agent_config, check, run, snmprec, wait_for


def test():
    with Harness("snmp_telemetry") as h:
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        sim = h.snmpsim({"ups": snmprec("ups"), "sw": snmprec("switch")})
        v3 = h.snmpd_v3("rwuser", "auth-pass-123", "priv-pass-456")
        auth = h.write("auth.pass", "auth-pass-123\n", mode=0o600)
        priv = h.write("priv.pass", "priv-pass-456\n", mode=0o600)
        agent = h.roomwatchd(agent_config(broker.port, [], [
            'id = "ups1"; kind = "ups"; profile = "ups-mib"; interval = 1.0; '
            'snmp = { host = "127.0.0.1"; port = %d; community = "ups"; };' % sim.port,
            'id = "sw1"; kind = "switch"; profile = "if-mib"; interval = 1.0; index = [1, 2, 3]; '
            'snmp = { host = "127.0.0.1"; port = %d; community = "sw"; };' % sim.port,
            'id = "env1"; kind = "th_sensor"; profile = "entity-sensor"; interval = 1.0; '
            'index = [1, 2]; snmp = { host = "127.0.0.1"; port = %d; community = "sw"; };'
            % sim.port,
            'id = "core1"; kind = "switch"; profile = "if-mib"; interval = 1.0; index = 1; '
            'snmp = { host = "127.0.0.1"; port = %d; version = "3"; user = "rwuser"; '
            'level = "authPriv"; auth_protocol = "SHA-256"; auth_passphrase_file = "%s"; '
            'priv_protocol = "AES"; priv_passphrase_file = "%s"; };' % (v3.port, auth, priv),
        ]))

        def last(dev):
            docs = [d for _, _, d in sub.json("telemetry/%s$" % dev)]
            return docs[-1] if docs else None

        for dev in ("ups1", "sw1", "env1", "core1"):
            wait_for(lambda: last(dev) is not None, 15, "telemetry of " + dev)
        # A few cycles each.
        wait_for(lambda: all(last(d)["cycle"] >= 3 for d in ("ups1", "sw1", "env1", "core1")),
                 15, "three cycles")

        ups = last("ups1")["points"]
        want = {"output_source": (5.0, "battery"), "battery_status": (2.0, "battery_normal"),
                "input_voltage": (0.0, None), "minutes_remaining": (42.0, None),
                "output_load": (37.0, None), "alarms_present": (1.0, None),
                "battery_charge": (87.0, None), "output_voltage": (230.0, None),
                "seconds_on_battery": (120.0, None), "uptime": (1234.56, None)}
        for name, (value, label) in want.items():
            p = ups[name]
            check(p["quality"] == "good" and p["value"] == value and p.get("label") == label,
                  "ups1.%s: %r, want %r %r" % (name, p, value, label))
        check(ups["input_voltage"]["unit"] == "V" and ups["minutes_remaining"]["unit"] == "min",
              "units: %r" % ups)

        sw = last("sw1")["points"]
        for port, label in ((1, "up"), (2, "down"), (3, "down")):
            p = sw["oper_status_%d" % port]
            check(p["quality"] == "good" and p["label"] == label, "sw1 port %d: %r" % (port, p))
        check(sw["admin_status_3"]["label"] == "down", "sw1 admin 3: %r" % sw["admin_status_3"])

        env = last("env1")["points"]
        check(env["sensor_1"]["value"] == 23.5 and env["type_1"]["label"] == "celsius",
              "env1 sensor 1: %r %r" % (env["sensor_1"], env["type_1"]))
        check(env["sensor_2"]["value"] == 41.0 and env["type_2"]["label"] == "percent_rh",
              "env1 sensor 2: %r" % env["sensor_2"])

        core = last("core1")["points"]
        check(core["uptime"]["quality"] == "good" and core["uptime"]["value"] >= 0,
              "core1 uptime over v3: %r" % core["uptime"])
        check(core["oper_status_1"]["label"] == "up", "core1 lo: %r" % core["oper_status_1"])

        log = agent.text()
        for secret in ("auth-pass-123", "priv-pass-456"):
            check(secret not in log, "a secret in the log")
        check("warning" not in log and " err" not in log, "unexpected complaints:\n" + log)


run(test)
