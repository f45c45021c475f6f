#!/usr/bin/python3
"""One SNMP thread, 52 agents: 50 that answer (snmpsimd, one community each) and two that
never do (a v2c and a v3 agent on a UDP port nobody serves; the v3 one would block a
synchronous engineID discovery). The 50 are still polled every second, on time."""
from harness import Harness, agent_config, check, free_port, run, snmprec, wait_for

N = 50
WATCH = 8.0  # s of steady polling checked


def test():
    with Harness("snmp_dead_agent") as h:
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        sim = h.snmpsim({"ups%02d" % i: snmprec("ups") for i in range(N)})
        dead = free_port()  # nothing listens there
        pw = h.write("v3.pass", "some-passphrase\n", mode=0o600)
        devices = [
            'id = "dead2c"; kind = "ups"; profile = "ups-mib"; interval = 1.0; '
            'snmp = { host = "127.0.0.1"; port = %d; community = "public"; };' % dead,
            'id = "dead3"; kind = "ups"; profile = "ups-mib"; interval = 1.0; '
            'snmp = { host = "127.0.0.1"; port = %d; version = "3"; user = "u"; '
            'auth_passphrase_file = "%s"; priv_passphrase_file = "%s"; };' % (dead, pw, pw),
        ] + ['id = "ups%02d"; kind = "ups"; profile = "ups-mib"; interval = 1.0; '
             'snmp = { host = "127.0.0.1"; port = %d; community = "ups%02d"; };' % (i, sim.port, i)
             for i in range(N)]
        agent = h.roomwatchd(agent_config(broker.port, [], devices))

        def docs(dev):
            return [(t, d) for t, _, d in sub.json("telemetry/%s$" % dev)]

        wait_for(lambda: all(docs("ups%02d" % i) for i in range(N)), 20, "all 50 answering")
        wait_for(lambda: docs("dead3") and docs("dead2c"), 10, "the dead agents' timeouts")
        t0 = max(t for i in range(N) for t, _ in docs("ups%02d" % i)[:1]) + 1.0
        import time
        time.sleep(WATCH + 1.5)
        for i in range(N):
            ds = [d for t, d in docs("ups%02d" % i)]
            ts = [d["ts"] for d in ds]
            ts = [t for t in ts if t >= ts[0] + 1.0][:int(WATCH)]  # the steady part
            gaps = [b - a for a, b in zip(ts, ts[1:])]
            check(len(ts) >= WATCH - 1, "ups%02d: only %d polls in %g s" % (i, len(ts), WATCH))
            check(max(gaps) < 1.25 and min(gaps) > 0.75,
                  "ups%02d polled off its 1 s pace: gaps %r" % (i, gaps))
            check(all(p["quality"] == "good" for d in ds for p in d["points"].values()),
                  "ups%02d: bad points" % i)
        for dev in ("dead2c", "dead3"):
            ds = [d for _, d in docs(dev)]
            check(all(p["quality"] == "timeout" for d in ds for p in d["points"].values()),
                  "%s: %r" % (dev, ds[-1]))
            check(len(ds) <= WATCH / 2 + 2, "%s: %d polls: not backed off" % (dev, len(ds)))
        check(agent.alive(), "roomwatchd died")
        del t0


run(test)
