#!/usr/bin/python3
"""The UPS-MIB alarm table, walked with GETBULK: snmpsimd serves UPSes whose sparse
upsAlarmTable has rows 7 (OnBattery) and 12 (InputBad), one row at the very end of the agent's
MIB (the walk ends on endOfMibView), no rows at all, and 40 rows (several GETBULKs per walk);
a fifth agent never answers. The telemetry carries the derived points: alarm_rows and one
0/1 alarm_<name> point per well-known alarm, and timeout for the silent agent's. Last, a walk
over SNMPv3 authPriv: net-snmp's snmpd's ifTable and sysORTable."""
from harness import (Harness, agent_config, check, free_port, profile_dir_with_fixtures, run,
                     snmprec, wait_for)

V3_WALK = """
profile = {
    model = "walks over SNMPv3";
    protocol = "snmp";
    points = (
        { name = "if_rows"; quantity = "count"; walk = "1.3.6.1.2.1.2.2.1.1"; type = "rows"; },
        { name = "or_rows"; quantity = "count"; walk = "1.3.6.1.2.1.1.9.1.2"; type = "rows"; },
        { name = "has_snmp_mib"; quantity = "state"; walk = "1.3.6.1.2.1.1.9.1.2";
          type = "has_oid"; match = "1.3.6.1.6.3.1"; },
        { name = "has_bogus"; quantity = "state"; walk = "1.3.6.1.2.1.1.9.1.2";
          type = "has_oid"; match = "1.3.6.1.4.1.99999.1"; }
    );
};
"""

ALARMS = "1.3.6.1.2.1.33.1.6.3."
DESCR = "1.3.6.1.2.1.33.1.6.2.1.2."


def oid_key(line):
    return tuple(int(x) for x in line.split("|")[0].split("."))


def with_alarms(rows):
    """ups.snmprec with its alarm table replaced by rows = {id: well-known alarm n}."""
    recs = [l for l in snmprec("ups").splitlines() if not l.startswith("1.3.6.1.2.1.33.1.6.")]
    recs.append("1.3.6.1.2.1.33.1.6.1.0|66|%d" % len(rows))
    recs += ["%s%d|6|%s%d" % (DESCR, i, ALARMS, n) for i, n in rows.items()]
    recs += ["1.3.6.1.2.1.33.1.6.2.1.3.%d|67|%d" % (i, 1000 + i) for i in rows]
    recs.append("1.3.6.1.2.1.33.1.9.1.0|2|230")
    return "\n".join(sorted(recs, key=oid_key)) + "\n"


def test():
    with Harness("snmp_alarms") as h:
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        many = {1000 + k: (8 if k % 2 else 18) for k in range(40)}
        sim = h.snmpsim({"alarms": snmprec("ups-alarms"), "ups": snmprec("ups"),
                         "none": with_alarms({}), "many": with_alarms(many)})
        dead = free_port()
        v3 = h.snmpd_v3("rwuser", "auth-pass-123", "priv-pass-456")
        auth = h.write("auth.pass", "auth-pass-123\n", mode=0o600)
        priv = h.write("priv.pass", "priv-pass-456\n", mode=0o600)
        profiles, _ = profile_dir_with_fixtures(h)
        h.write("profiles/v3-walk.cfg", V3_WALK)
        dev = ('id = "%s"; kind = "ups"; profile = "ups-mib"; interval = 1.0; timeout = 0.3; '
               'retries = 0; snmp = { host = "127.0.0.1"; port = %d; community = "%s"; };')
        h.roomwatchd(agent_config(broker.port, [], [
            dev % ("ups1", sim.port, "alarms"), dev % ("ups2", sim.port, "ups"),
            dev % ("ups3", sim.port, "none"), dev % ("ups4", sim.port, "many"),
            dev % ("ups5", dead, "public"),
            'id = "core1"; kind = "switch"; profile = "v3-walk"; interval = 1.0; '
            'snmp = { host = "127.0.0.1"; port = %d; version = "3"; user = "rwuser"; '
            'level = "authPriv"; auth_protocol = "SHA-256"; auth_passphrase_file = "%s"; '
            'priv_protocol = "AES"; priv_passphrase_file = "%s"; };' % (v3.port, auth, priv),
        ], profile_dir=profiles))

        def last(d):
            docs = [doc for _, _, doc in sub.json("telemetry/%s$" % d)]
            return docs[-1]["points"] if docs and docs[-1]["cycle"] >= 2 else None

        for d in ("ups1", "ups2", "ups3", "ups4", "ups5", "core1"):
            wait_for(lambda: last(d) is not None, 20, "two cycles of " + d)

        def expect(d, rows, active):
            pts = last(d)
            check(pts["alarm_rows"]["quality"] == "good" and pts["alarm_rows"]["value"] == rows,
                  "%s.alarm_rows: %r, want %d" % (d, pts["alarm_rows"], rows))
            alarm_pts = {k: p for k, p in pts.items() if k.startswith("alarm_") and
                         k != "alarm_rows"}
            check(len(alarm_pts) == 24, "%s: %d alarm points" % (d, len(alarm_pts)))
            for name, p in alarm_pts.items():
                want = 1.0 if name[len("alarm_"):] in active else 0.0
                check(p["quality"] == "good" and p["value"] == want and
                      p["label"] == ("active" if want else "clear"),
                      "%s.%s: %r, want %r" % (d, name, p, want))

        # Sparse ids 7 and 12; the walk leaves the column at upsAlarmTime.
        expect("ups1", 2, {"on_battery", "input_bad"})
        ups1 = last("ups1")
        check(ups1["alarms_present"]["value"] == 2.0, "ups1.alarms_present: %r"
              % ups1["alarms_present"])
        check(ups1["output_source"]["label"] == "battery", "GETs beside the walk: %r" % ups1)
        # One row, the last object of the agent: endOfMibView.
        expect("ups2", 1, {"on_battery"})
        expect("ups3", 0, set())
        # 40 rows: several GETBULKs in one cycle.
        expect("ups4", 40, {"output_overload", "general_fault"})

        core = last("core1")
        check(all(p["quality"] == "good" for p in core.values()), "core1 walks: %r" % core)
        check(core["if_rows"]["value"] >= 1 and core["or_rows"]["value"] >= 1 and
              core["has_snmp_mib"]["value"] == 1.0 and core["has_bogus"]["value"] == 0.0,
              "core1 walks over v3: %r" % core)

        silent = last("ups5")
        check(all(p["quality"] == "timeout" and p["value"] is None for p in silent.values()),
              "ups5 (no agent): %r" % silent)


run(test)
