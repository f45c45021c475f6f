#!/usr/bin/python3
"""An icmp probe where ICMP is not permitted: no unprivileged ICMP socket (the sysctl
net.ipv4.ping_group_range leaves the agent's group out) and no CAP_NET_RAW (dropped here with
setpriv). The agent keeps running, says once what to allow (the sysctl or the capability),
publishes the probe as io_error and backs it off; a tcp probe beside it is unaffected.
Where the sysctl lets our group in, there is nothing to refuse: the test says so.

Then, in a network namespace of its own (unshare --net: its sysctls are its own, the host's
stay as they are), the sysctl lets our group in and IPv4 echo requests are ignored
(net.ipv4.icmp_echo_ignore_all): still without CAP_NET_RAW, the probe of ::1 is up over an
unprivileged ICMPv6 socket, and the probe of 127.0.0.1 times out with every echo lost."""
import os
import shutil
import subprocess

from harness import EMULATOR, Harness, ROOMWATCHD, ROOT_ARGS, SANITIZER_MARKERS, agent_config, check, run, \
    wait_for


def group_may_ping():
    with open("/proc/sys/net/ipv4/ping_group_range") as f:
        lo, hi = (int(x) for x in f.read().split())
    return any(lo <= g <= hi for g in [os.getgid()] + os.getgroups())


def test():
    if shutil.which("setpriv") is None:
        print("probe_icmp_perm: no setpriv: nothing to check")
        return
    if group_may_ping():
        print("probe_icmp_perm: unprivileged ICMP is allowed here: nothing to refuse")
    else:
        refused()
    unprivileged()


def unprivileged():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("probe_icmp_perm: no network namespace (not root, or no unshare): skipped")
        return
    with Harness("probe_icmp_netns") as h:
        conf = h.write("icmp.cfg", agent_config(1, [], [
            'id = "line4"; kind = "service"; interval = 0.5; timeout = 0.2; '
            'probe = { type = "icmp"; host = "127.0.0.1"; count = 2; };',
            'id = "line6"; kind = "service"; interval = 0.5; timeout = 0.2; '
            'probe = { type = "icmp"; host = "::1"; };']))
        script = ("ip link set lo up && "
                  "echo '0 2147483647' > /proc/sys/net/ipv4/ping_group_range && "
                  "echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_all && "
                  "exec setpriv --inh-caps=-net_raw --bounding-set=-net_raw \"$@\"")
        try:
            r = subprocess.run(["unshare", "--net", "sh", "-c", script, "sh", "timeout", "-s",
                                "TERM", "3"] + EMULATOR + [ROOMWATCHD, "-c", conf] + ROOT_ARGS,
                               capture_output=True, text=True, timeout=30)
        except OSError as e:
            print("probe_icmp_perm: no network namespace (%s): skipped" % e)
            return
        log = r.stdout + r.stderr
        if "unshare:" in log:
            print("probe_icmp_perm: no network namespace here: skipped:\n" + log)
            return
        check("probe line6 (icmp ::1): up" in log, "::1 not up unprivileged:\n" + log)
        check("probe line4 (icmp 127.0.0.1): down: no echo reply to 2 requests in time "
              "(timeout)" in log, "ignored echoes are no timeout:\n" + log)
        check("not permitted" not in log, "refused in the namespace:\n" + log)
        check(not any(m in log for m in SANITIZER_MARKERS), "a sanitizer report:\n" + log)


def refused():
    with Harness("probe_icmp_perm") as h:
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/telemetry/#")
        conf = h.write("icmp.cfg", agent_config(broker.port, [], [
            'id = "line1"; kind = "service"; interval = 0.5; timeout = 0.2; '
            'probe = { type = "icmp"; host = "127.0.0.1"; };',
            'id = "self"; kind = "service"; interval = 0.5; timeout = 0.2; '
            'probe = { type = "tcp"; host = "127.0.0.1"; port = %d; };' % broker.port]))
        p = h.start("roomwatchd", ["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"]
                    + EMULATOR + [ROOMWATCHD, "-c", conf] + ROOT_ARGS)
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
