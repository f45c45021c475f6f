#!/usr/bin/python3
"""roomwatch scan finds the demo room and more, and prints a config roomwatchd accepts.

roomwatch-devsim serves the demo room (config/devsim/demo-room.cfg: an Eastron SDM630 meter
and an R444A01 temperature/humidity sensor behind a Modbus TCP gateway, an XY-MD02 sensor on
an RS-485 line played by a socat pty pair) plus a Carlo Gavazzi EM340 meter behind the gateway
and one on a second line at unit 200 (another meter whose registers overlap the SDM630's: only
plausible values tell them apart). snmpsimd serves the test UPS (UPS-MIB) and the test switch
(IF-MIB, ENTITY-SENSOR-MIB) under two communities. The scan must find every unit with its
profile, the line's speed and parity, the agents' sysDescr and the SNMP profiles each answers
(with the rows of the indexed ones), send nothing but reads, and print buses and devices
that, under a site and an mqtt group, pass roomwatchd -t. Then roomwatchd runs that config
for a few seconds and publishes telemetry from every device found."""
import os
import re
import subprocess

from harness import BUILD, EMULATOR, PROFILES, ROOMWATCHD, ROOT_ARGS, SRC, Harness, check, free_port, \
    run, snmprec, wait_for

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")


def devices(text):
    """The device entries of the printed config: {id: entry text}."""
    return {m.group(1): m.group(0) for m in re.finditer(r'\{ id = "([a-z0-9_]+)";[^{}]*'
                                                        r'(?:\{[^{}]*\}[^{}]*)?\}', text)
            if "kind = " in m.group(0)}


def test():
    with Harness("scan") as h:
        sim_port = free_port()
        rtu_sim, rtu_agent = h.pty_pair()
        rtu2_sim, rtu2_agent = h.pty_pair("rtu2")
        with open(os.path.join(SRC, "config", "devsim", "demo-room.cfg")) as f:
            sim = f.read().replace("15020", str(sim_port))
        sim = re.sub(r'device = "/[^"]*"', 'device = "%s"' % rtu_sim, sim)
        sim = re.sub(r"(?ms)^scenario = \(.*?^\);", "", sim)
        extra = """
  { id = "meter2"; profile = "carlo-gavazzi-em340"; transport = "tcp"; host = "127.0.0.1";
    port = %d; unit = 3; values = { v_l1 = { base = 229.0; }; v_l2 = { base = 230.0; };
    v_l3 = { base = 231.0; }; frequency = { base = 50.0; }; }; },
  { id = "meter3"; profile = "carlo-gavazzi-em340"; transport = "rtu"; device = "%s";
    baud = 9600; parity = "N"; unit = 200; values = { v_l1 = { base = 228.0; };
    v_l2 = { base = 228.0; }; v_l3 = { base = 228.0; }; frequency = { base = 50.0; }; }; }
);""" % (sim_port, rtu2_sim)
        sim = re.sub(r"(?s)\n\);\s*$", "", sim.rstrip()) + "," + extra + "\n"
        sim = sim.replace("}; }\n,", "}; },", 1)
        h.devsim(sim, profiles=PROFILES)
        snmp = h.snmpsim({"ups": snmprec("ups"), "sw": snmprec("switch")})

        argv = EMULATOR + [ROOMWATCH, "scan", "-P", PROFILES, "--timeout", "0.03",
                           "--tcp", "127.0.0.1:%d" % sim_port, "--rtu", rtu_agent, "--rtu", rtu2_agent,
                           "--community", "ups", "--snmp", "127.0.0.1:%d" % snmp.port,
                           "--community", "sw", "--snmp", "127.0.0.1:%d" % snmp.port]
        env = {k: v for k, v in os.environ.items() if k != "SNMP_PERSISTENT_DIR"}
        env["TMPDIR"] = h.dir
        r = subprocess.run(argv, capture_output=True, text=True, timeout=180, env=env)
        log = r.stderr
        # net-snmp's state folder was the scan's own, and is gone.
        check(not [f for f in os.listdir(h.dir) if f.startswith("roomwatch-scan-")],
              "the scan left its net-snmp folder in %s" % h.dir)
        check(r.returncode == 0, "roomwatch scan: rc %d\n%s\n%s" % (r.returncode, r.stdout, log))
        out = r.stdout
        h.write("scan.out", out)
        h.write("scan.err", log)

        # The buses: the gateway, and the line at 9600 8N1 (the first speed with answers).
        check(re.search(r'\{ id = "tcp1"; type = "tcp"; host = "127.0.0.1"; port = %d; \}'
                        % sim_port, out), "no tcp bus:\n" + out)
        check(re.search(r'\{ id = "rtu1"; type = "rtu"; device = "%s"; baud = 9600; '
                        r'parity = "N";' % re.escape(rtu_agent), out), "no rtu bus:\n" + out)
        devs = devices(out)
        want = {("tcp1", 1): "eastron-sdm630", ("tcp1", 2): "r444a01",
                ("tcp1", 3): "carlo-gavazzi-em340", ("rtu1", 1): "xy-md02",
                ("rtu2", 200): "carlo-gavazzi-em340"}
        got = {}
        for entry in devs.values():
            m = re.search(r'bus = "(\w+)"; unit = (\d+); profile = "([a-z0-9-]+)"', entry)
            if m:
                got[(m.group(1), int(m.group(2)))] = m.group(3)
        check(got == want, "Modbus devices found %r, expected %r\n%s" % (got, want, out))
        check('kind = "meter"' in devs.get("meter1", "") and
              'kind = "th_sensor"' in devs.get("th1", ""), "kinds:\n" + out)

        # SNMP: the UPS answers UPS-MIB only; the switch IF-MIB and ENTITY-SENSOR-MIB, rows
        # as in the fixture.
        snmp_devs = {re.search(r'profile = "([a-z-]+)"', e).group(1): e for e in devs.values()
                     if "snmp = {" in e}
        check(sorted(snmp_devs) == ["entity-sensor", "if-mib", "ups-mib"],
              "SNMP profiles found: %s\n%s" % (sorted(snmp_devs), out))
        with open(os.path.join(SRC, "tests", "fixtures", "snmp", "switch.snmprec")) as f:
            rec = f.read()
        if_rows = sorted(int(x) for x in re.findall(r"(?m)^1\.3\.6\.1\.2\.1\.2\.2\.1\.8\.(\d+)\|", rec))
        ent_rows = sorted(int(x) for x in
                          re.findall(r"(?m)^1\.3\.6\.1\.2\.1\.99\.1\.1\.1\.4\.(\d+)\|", rec))
        check("index = [%s];" % ", ".join(map(str, if_rows)) in snmp_devs["if-mib"],
              "if-mib rows, expected %s: %s" % (if_rows, snmp_devs["if-mib"]))
        check("index = [%s];" % ", ".join(map(str, ent_rows)) in snmp_devs["entity-sensor"],
              "entity-sensor rows, expected %s: %s" % (ent_rows, snmp_devs["entity-sensor"]))
        check("roomwatch test UPS (RFC 1628 UPS-MIB)" in out and
              "roomwatch test switch" in out, "sysDescr not in the output:\n" + out)
        # Communities other than "public" are secrets: never printed.
        check('community = "ups"' not in out and 'community = "sw"' not in out and
              "community_file" in out, "a community in the output:\n" + out)

        # The printed config, under a site and a broker, passes roomwatchd -t; with the
        # community files it names in place, it runs and publishes every device.
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        text = out
        for i, path in enumerate(re.findall(r'community_file = "([^"]+)"', out)):
            local = h.write("community-%d" % i, "", mode=0o600)
            text = text.replace('"%s"' % path, '"%s"' % local, 1)
        cfg = ('site = { id = "test"; gateway = "gw"; timezone = "Asia/Shanghai"; };\n'
               'profile_dir = "%s";\nmqtt = { uri = "tcp://127.0.0.1:%d"; prefix = "rw/test"; };\n'
               % (PROFILES, broker.port)) + text
        # Each community file holds the community the scan was given for that agent.
        for entry in devices(text).values():
            m = re.search(r'community_file = "([^"]+)"', entry)
            if m:
                community = "ups" if 'profile = "ups-mib"' in entry else "sw"
                with open(m.group(1), "w") as f:
                    f.write(community + "\n")
        path = h.write("scanned.cfg", cfg)
        r = subprocess.run(EMULATOR + [ROOMWATCHD, "-t", "-c", path], capture_output=True,
                           text=True)
        check(r.returncode == 0, "roomwatchd -t on the scanned config: %s%s" % (r.stdout,
                                                                                r.stderr))
        h.start("roomwatchd", EMULATOR + [ROOMWATCHD, "-c", path] + ROOT_ARGS,
                env=dict(os.environ, SNMP_PERSISTENT_DIR=h.path("snmp-state")))
        ids = sorted(devices(out))
        wait_for(lambda: all(sub.all("/telemetry/%s$" % d) for d in ids), 30,
                 "telemetry from every scanned device %s" % ids)
        for d in ids:
            doc = sub.json("/telemetry/%s$" % d)[-1][2]
            bad = {k: v for k, v in doc["points"].items()
                   if isinstance(v, dict) and v.get("quality", "good") != "good"}
            check(not bad, "%s: points not good: %r" % (d, bad))


if __name__ == "__main__":
    run(test)
