#!/usr/bin/python3
"""Telemetry for every configured point arrives on the broker with the values the simulator
serves, correctly decoded and scaled: a Modbus TCP gateway with two units (SDM630 meter and a
temperature/humidity transmitter), a Carlo Gavazzi EM340 (int32, low word first), and a test
device that uses every data type in every byte/word order plus both bit function codes."""
import math
import os

from harness import Harness, agent_config, check, free_port, run, wait_for, profile_points, \
    profile_dir_with_fixtures

SDM630 = {"v_l1": 230.1, "v_l2": 229.8, "v_l3": 231.4, "i_l1": 12.5, "i_l2": 11.25,
          "i_l3": 10.0, "p_l1": 2876.0, "p_l2": 2585.5, "p_l3": 2314.0, "p_total": 7775.5,
          "frequency": 50.02, "energy_import": 123456.7, "energy_total": 123500.5}
EM340 = {"v_l1": 231.2, "v_l2": 230.7, "v_l3": 229.9, "i_l1": 4.125, "i_l2": 3.5,
         "i_l3": 2.75, "p_l1": 953.7, "p_l2": 807.4, "p_l3": 632.2, "p_total": 2393.3,
         "frequency": 49.9, "energy_import": 98765.4}
ALL = {"int16_%s": -12.3, "uint16_%s": 6000.5, "int32_%s": -70000.25,
       "uint32_%s": 3000000.125, "float32_%s": 230.1}


def all_types_values():
    v = {}
    for pat, val in ALL.items():
        for o in ("abcd", "badc", "cdab", "dcba"):
            v[pat % o] = val
    v["in_offset"] = 21.5   # raw 615 with offset -40
    v["coil"] = 1
    v["input_bit"] = 1
    return v


def values_block(values):
    return "values = { %s };" % " ".join("%s = %s;" % (k, repr(float(v))) for k, v in values.items())


def test():
    with Harness("telemetry") as h:
        profiles, th = profile_dir_with_fixtures(h)
        TH = {"temperature": 23.5, "humidity": 45.2}
        ALLV = all_types_values()
        expected = {"meter1": ("eastron-sdm630", SDM630), "th1": (th, TH),
                    "em1": ("carlo-gavazzi-em340", EM340), "all1": ("test-all-types", ALLV)}
        # Every point of every profile has an expected value: nothing goes unchecked.
        for dev, (prof, vals) in expected.items():
            pts = set(profile_points(os.path.join(profiles, prof + ".cfg")))
            check(pts == set(vals), "%s: test values %s do not cover profile points %s" % (
                dev, sorted(vals), sorted(pts)))

        gw, em, al = free_port(), free_port(), free_port()
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        h.devsim("""
profile_dir = "%s";
devices = (
  { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1; %s },
  { id = "th1"; profile = "%s"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 2; %s },
  { id = "em1"; profile = "carlo-gavazzi-em340"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1; %s },
  { id = "all1"; profile = "test-all-types"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 5; %s }
);
""" % (profiles, gw, values_block(SDM630), th, gw, values_block(TH), em, values_block(EM340),
       al, values_block(ALLV)), profiles=profiles)
        h.roomwatchd(agent_config(
            broker.port,
            ['id = "gw"; type = "tcp"; host = "127.0.0.1"; port = %d;' % gw,
             'id = "em"; type = "tcp"; host = "127.0.0.1"; port = %d;' % em,
             'id = "al"; type = "tcp"; host = "127.0.0.1"; port = %d;' % al],
            ['id = "meter1"; kind = "meter"; bus = "gw"; unit = 1; interval = 1.0; profile = "eastron-sdm630";',
             'id = "th1"; kind = "th_sensor"; bus = "gw"; unit = 2; interval = 1.0; profile = "%s";' % th,
             'id = "em1"; kind = "meter"; bus = "em"; unit = 1; interval = 1.0; profile = "carlo-gavazzi-em340";',
             'id = "all1"; kind = "meter"; bus = "al"; unit = 5; interval = 1.0; profile = "test-all-types";'],
            profile_dir=profiles))

        wait_for(lambda: all(len(sub.all("telemetry/%s$" % d)) >= 2 for d in expected), 20,
                 "two telemetry documents from every device")
        status = sub.json("rw/test/status$")
        check(status and status[-1][2]["state"] == "online", "status is not online: %r" % status)

        for dev, (prof, vals) in expected.items():
            t, topic, doc = sub.json("telemetry/%s$" % dev)[-1]
            check(doc["device"] == dev, "device field %r" % doc.get("device"))
            pts = doc["points"]
            check(set(pts) == set(vals), "%s: points %s, expected %s" % (dev, sorted(pts), sorted(vals)))
            for name, want in vals.items():
                p = pts[name]
                check(p["quality"] == "good", "%s.%s quality %s" % (dev, name, p["quality"]))
                got = p["value"]
                check(got is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9),
                      "%s.%s = %r, simulator serves %r" % (dev, name, got, want))
            check(doc["points"][next(iter(vals))].get("unit") is not None, "unit missing")
        # Units come from the profile.
        m = sub.json("telemetry/meter1$")[-1][2]["points"]
        check(m["v_l1"]["unit"] == "V" and m["energy_import"]["unit"] == "kWh",
              "units: %r %r" % (m["v_l1"]["unit"], m["energy_import"]["unit"]))


run(test)
