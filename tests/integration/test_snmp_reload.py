#!/usr/bin/python3
"""SIGHUP reload with SNMP devices: roomwatchd polls a v2c UPS (with its walked alarm table),
an SNMPv3 authPriv agent and a dead agent (requests in flight at every reload). A reload that
halves the UPS interval and adds a UPS and a switch takes effect: polling continues, faster, the
new devices appear, and the v3 device is discovered again. A broken config on the next SIGHUP
is refused, the daemon keeps running and keeps polling every device of the running config."""
import signal
import time

from harness import Harness, agent_config, check, free_port, run, snmprec, wait_for


def test():
    with Harness("snmp_reload") as h:
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        sim = h.snmpsim({"alarms": snmprec("ups-alarms"), "ups": snmprec("ups"),
                         "sw": snmprec("switch")})
        v3 = h.snmpd_v3("rwuser", "auth-pass-123", "priv-pass-456")
        auth = h.write("auth.pass", "auth-pass-123\n", mode=0o600)
        priv = h.write("priv.pass", "priv-pass-456\n", mode=0o600)
        dead = free_port()

        def ups(dev, community, interval):
            return ('id = "%s"; kind = "ups"; profile = "ups-mib"; interval = %.1f; '
                    'snmp = { host = "127.0.0.1"; port = %d; community = "%s"; };'
                    % (dev, interval, sim.port, community))

        core = ('id = "core1"; kind = "switch"; profile = "if-mib"; interval = 1.0; index = 1; '
                'snmp = { host = "127.0.0.1"; port = %d; version = "3"; user = "rwuser"; '
                'level = "authPriv"; auth_protocol = "SHA-256"; auth_passphrase_file = "%s"; '
                'priv_protocol = "AES"; priv_passphrase_file = "%s"; };' % (v3.port, auth, priv))
        silent = ('id = "gone"; kind = "ups"; profile = "ups-mib"; interval = 1.0; '
                  'timeout = 0.4; snmp = { host = "127.0.0.1"; port = %d; community = "x"; };'
                  % dead)
        agent = h.roomwatchd(agent_config(broker.port, [], [ups("ups1", "alarms", 1.0), core,
                                                            silent]))

        def docs(dev, since=0.0):
            return [(t, d) for t, _, d in sub.json("telemetry/%s$" % dev) if t >= since]

        wait_for(lambda: len(docs("ups1")) >= 2 and len(docs("core1")) >= 2 and
                 len(docs("gone")) >= 1, 20, "first telemetry")

        # Reload: ups1 every 0.5 s, and two new devices.
        h.write("roomwatchd.cfg", agent_config(broker.port, [], [
            ups("ups1", "alarms", 0.5), core, silent, ups("ups2", "ups", 1.0),
            'id = "sw1"; kind = "switch"; profile = "if-mib"; interval = 1.0; index = [1, 2]; '
            'snmp = { host = "127.0.0.1"; port = %d; community = "sw"; };' % sim.port]))
        t_hup = time.monotonic()
        agent.signal(signal.SIGHUP)
        wait_for(lambda: "is valid; restarting" in agent.text(), 10, "reload accepted")
        wait_for(lambda: docs("ups2", t_hup) and docs("sw1", t_hup), 15, "new devices")
        wait_for(lambda: len(docs("core1", t_hup)) >= 2, 20, "v3 device after the reload")
        t0 = time.monotonic()
        time.sleep(3.0)
        n = len(docs("ups1", t0))
        check(5 <= n <= 8, "ups1 at 0.5 s after the reload: %d documents in 3 s" % n)
        p = docs("ups1", t0)[-1][1]["points"]
        check(p["alarm_on_battery"]["value"] == 1.0 and p["alarm_input_bad"]["value"] == 1.0 and
              p["alarm_rows"]["value"] == 2.0 and p["alarm_on_battery"]["quality"] == "good",
              "ups1 alarms after the reload: %r" % p)
        check(docs("sw1")[-1][1]["points"]["oper_status_1"]["label"] == "up", "sw1 after reload")
        check(docs("ups2")[-1][1]["points"]["alarm_on_battery"]["value"] == 1.0,
              "ups2 after reload")
        check(docs("core1")[-1][1]["points"]["uptime"]["quality"] == "good",
              "core1 after reload")

        # A broken config: refused, everything keeps being polled.
        h.write("roomwatchd.cfg", agent_config(broker.port, [], [
            ups("ups1", "alarms", 0.5),
            'id = "ups3"; kind = "ups"; profile = "ups-mib"; interval = 1.0; intervall = 2; '
            'snmp = { host = "127.0.0.1"; port = %d; community = "ups"; };' % sim.port]))
        t_bad = time.monotonic()
        agent.signal(signal.SIGHUP)
        wait_for(lambda: "keeping the running configuration" in agent.text(), 10,
                 "reload refused")
        time.sleep(2.5)
        check(agent.alive(), "roomwatchd died on a bad reload")
        # ("gone" is backed off by now: its next attempt may be seconds away.)
        for dev in ("ups1", "ups2", "sw1", "core1"):
            check(docs(dev, t_bad + 0.5), "%s not polled after the refused reload" % dev)
        check(not docs("ups3"), "a device of the refused config was polled")
        log = agent.text()
        check("intervall" in log, "the refusal must say what is wrong:\n" + log)
        for secret in ("auth-pass-123", "priv-pass-456"):
            check(secret not in log, "a secret in the log")


run(test)
