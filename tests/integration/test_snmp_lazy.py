#!/usr/bin/python3
"""net-snmp is set up only for a config with SNMP devices: a Modbus-only roomwatchd never runs
init_snmp() (it costs a gateway 3 MiB of libcrypto pages), and a SIGHUP reload that adds the
first SNMP device sets it up then and polls it. init_snmp() creates <persistent dir>/
cert_indexes: with SNMP_PERSISTENT_DIR pointing into the test's folder (as the harness does),
that folder tells whether it ran.

The poller itself is the module roomwatch-snmp.so (agent/rw_module.h): a Modbus-only daemon has
neither it nor net-snmp, libcurl or OpenSSL in its memory (/proc/PID/maps), and loads it with
the reload that adds the first SNMP device.

A room whose SNMP agents all speak v2c does not initialise OpenSSL either: net-snmp's SNMPv3
set-up (USM's salts, the local engine's time), which does, waits for the first v3 device
(snmp_poller.h, sp_library_v3()). A third reload adds one: it is polled, and only then do some
2 MiB of libcrypto become resident."""
import os
import signal
import time

from harness import Harness, agent_config, check, free_port, run, snmprec, wait_for


def mapped(pid):
    """Base names of the files mapped into process pid."""
    with open("/proc/%d/maps" % pid) as f:
        return {os.path.basename(line.split()[5]) for line in f if len(line.split()) > 5}


def resident_kib(pid, prefix):
    """KiB resident of the files whose base name starts with prefix (/proc/PID/smaps)."""
    kib, inside = 0, False
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            head = line.split()
            if head and "-" in head[0] and not head[0].endswith(":"):
                inside = len(head) > 5 and os.path.basename(head[5]).startswith(prefix)
            elif inside and head[0] == "Rss:":
                kib += int(head[1])
    return kib


def has(names, prefix):
    return any(n.startswith(prefix) for n in names)


def test():
    with Harness("snmp_lazy") as h:
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        port = free_port()
        h.devsim("""
devices = ( { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp";
              host = "127.0.0.1"; port = %d; unit = 1; } );
""" % port)
        bus = 'id = "gw"; type = "tcp"; host = "127.0.0.1"; port = %d;' % port
        meter = ('id = "meter1"; kind = "meter"; bus = "gw"; unit = 1; interval = 1.0; '
                 'profile = "eastron-sdm630";')
        agent = h.roomwatchd(agent_config(broker.port, [bus], [meter]))
        state = h.path("snmp-state")
        wait_for(lambda: len(sub.all("telemetry/meter1$")) >= 2, 20, "meter1's telemetry")
        check(not os.path.exists(state), "net-snmp was set up for a Modbus-only config")
        names = mapped(agent.pid)
        for lib in ("roomwatch-snmp.so", "libnetsnmp", "libcurl", "libcrypto", "libssl",
                    "libpaho-mqtt3as"):
            check(not has(names, lib), "a Modbus-only roomwatchd has %s in memory" % lib)
        check(has(names, "libpaho-mqtt3a."), "no libpaho-mqtt3a in memory: %s" % sorted(names))

        sim = h.snmpsim({"ups": snmprec("ups")})
        h.write("roomwatchd.cfg", agent_config(broker.port, [bus], [
            meter, 'id = "ups1"; kind = "ups"; profile = "ups-mib"; interval = 1.0; '
            'snmp = { host = "127.0.0.1"; port = %d; community = "ups"; };' % sim.port]))
        t = time.monotonic()
        agent.signal(signal.SIGHUP)
        wait_for(lambda: any(m[0] > t for m in sub.all("telemetry/ups1$")), 15,
                 "ups1's telemetry after the reload")
        check(os.path.isdir(os.path.join(state, "cert_indexes")),
              "net-snmp polled without its set-up?")
        names = mapped(agent.pid)
        check(has(names, "roomwatch-snmp.so") and has(names, "libnetsnmp"),
              "the reload did not load the SNMP module: %s" % sorted(names))
        t = time.monotonic()
        wait_for(lambda: any(m[0] > t for m in sub.all("telemetry/meter1$")), 5,
                 "meter1 after the reload")
        v2c = resident_kib(agent.pid, "libcrypto")

        v3 = h.snmpd_v3("rwuser", "auth-pass-123", "priv-pass-456")
        auth = h.write("auth.pass", "auth-pass-123\n", mode=0o600)
        priv = h.write("priv.pass", "priv-pass-456\n", mode=0o600)
        h.write("roomwatchd.cfg", agent_config(broker.port, [bus], [
            meter, 'id = "ups1"; kind = "ups"; profile = "ups-mib"; interval = 1.0; '
            'snmp = { host = "127.0.0.1"; port = %d; community = "ups"; };' % sim.port,
            'id = "core1"; kind = "switch"; profile = "if-mib"; interval = 1.0; index = 1; '
            'snmp = { host = "127.0.0.1"; port = %d; version = "3"; user = "rwuser"; '
            'level = "authPriv"; auth_protocol = "SHA-256"; auth_passphrase_file = "%s"; '
            'priv_protocol = "AES"; priv_passphrase_file = "%s"; };' % (v3.port, auth, priv)]))
        t = time.monotonic()
        agent.signal(signal.SIGHUP)
        wait_for(lambda: any(ts > t and d["points"]["uptime"]["quality"] == "good"
                             for ts, _, d in sub.json("telemetry/core1$")), 20,
                 "core1's telemetry over SNMPv3 after the reload")
        with_v3 = resident_kib(agent.pid, "libcrypto")
        print("libcrypto resident: %d KiB with v2c agents only, %d KiB with a v3 one"
              % (v2c, with_v3))
        check(with_v3 >= v2c + 1024,
              "OpenSSL was initialised for v2c agents: libcrypto %d KiB before the v3 device, "
              "%d KiB after" % (v2c, with_v3))
        check(agent.stop(timeout=20) == 0, "roomwatchd failed on SIGTERM")


if __name__ == "__main__":
    run(test)
