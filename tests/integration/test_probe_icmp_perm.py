#!/usr/bin/python3
"""An icmp probe where ICMP is not permitted: no unprivileged ICMP socket (the sysctl
net.ipv4.ping_group_range leaves the agent's group out) and no CAP_NET_RAW (dropped here with
setpriv). The agent keeps running, says once what to allow (the sysctl or the capability),
publishes the probe as io_error and backs it off; a tcp probe beside it is unaffected.
Where the sysctl lets our group in, there is nothing to refuse: the test says so and passes."""
import os
import shutil

from harness import EMULATOR, Harness, ROOMWATCHD, agent_config, check, run, wait_for


def group_may_ping():
    with open("/proc/sys/net/ipv4/ping_group_range") as f:
        lo, hi = (int(x) for x in f.read().split())
    return any(lo <= g <= hi for g in [os.getgid()] + os.getgroups())


def test():
    if group_may_ping() or shutil.which("setpriv") is None:
        print("probe_icmp_perm: unprivileged ICMP is allowed here (or no setpriv): nothing to "
              "refuse")
        return
    with Harness("probe_icmp_perm") as h:
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/telemetry/#")
        conf = h.write("icmp.cfg", agent_config(broker.port, [], [
            'id = "line1"; kind = "service"; interval = 0.5; timeout = 0.2; '
            'probe = { type = "icmp"; host = "127.0.0.1"; };',
            'id = "self"; kind = "service"; interval = 0.5; timeout = 0.2; '
            'probe = { type = "tcp"; host = "127.0.0.1"; port = %d; };' % broker.port]))
        p = h.start("roomwatchd", ["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"]
                    + EMULATOR + [ROOMWATCHD, "-c", conf])
        wait_for(lambda: len(sub.json("telemetry/line1$")) >= 2 and
                 len(sub.json("telemetry/self$")) >= 4, 15, "telemetry of both probes")
        check(p.alive(), "roomwatchd exited: " + p.text())
        line = sub.json("telemetry/line1$")[-1][2]["points"]
        check(line["up"]["quality"] == "io_error", "line1: %r" % line)
        me = sub.json("telemetry/self$")[-1][2]["points"]
        check(me["up"]["value"] == 1, "the tcp probe: %r" % me)
        log = p.text()
        want = ("probe line1 (icmp 127.0.0.1): down: ICMP not permitted: allow the agent's group "
                "in the sysctl net.ipv4.ping_group_range")
        check(log.count(want) == 1 and "CAP_NET_RAW" in log, "one clear error:\n" + log)
        check("next probe in 1 s" in log, "backed off (twice the interval):\n" + log)


run(test)
