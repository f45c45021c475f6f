#!/usr/bin/python3
"""The amd64 roomwatch .deb installed for real on this machine, as an admin would, and purged.

    test_deb_install.py DEB_DIR VERSION

For the CI machine: it must run as root on a throwaway system (it installs a package, creates
the system user and writes /etc/roomwatch and /var/lib/roomwatch); as another user it is
skipped (exit 77). A roomwatch package installed before the test is never touched: the test
fails instead.

1. `dpkg -i` the package (waiting for the dpkg lock if an install is under way).
2. The postinst's work: the system user roomwatch (group roomwatch, in dialout, home
   /var/lib/roomwatch, no login shell), /var/lib/roomwatch owned roomwatch:roomwatch mode
   0750, /etc/roomwatch/roomwatch.cfg a conffile owned root:roomwatch mode 0640, the unit
   enabled; the unit's ExecStart/ExecStartPre binaries exist.
3. The unit's own ExecStartPre, as the service user, on the shipped example config.
4. The demo room (config/demo.cfg and config/devsim/demo-room.cfg: a meter and a
   temperature/humidity sensor over Modbus TCP, one over Modbus RTU on a socat pty pair whose
   agent end belongs to group dialout like a serial port) run by the installed
   roomwatch-devsim, a mosquitto on free 127.0.0.1 ports, the demo config written to
   /etc/roomwatch/roomwatch.cfg without a profile_dir (the installed profiles must be found).
   ExecStartPre again, then the unit's ExecStart command as the service user the way the unit
   runs it (setpriv: uid/gid roomwatch, its groups, no new privileges; umask 0027; in the
   WorkingDirectory; a NOTIFY_SOCKET the test binds): READY=1, telemetry from every device,
   the store created in /var/lib/roomwatch and owned by roomwatch; SIGTERM stops it cleanly.
5. `dpkg --purge`, always (also when a check failed), then what is left: no package record,
   no /etc/roomwatch, /var/lib/roomwatch, binaries, unit or enablement links; the user kept
   (Debian keeps system users). The test then deletes the user and group if it created them,
   so every run sees a first install."""
import fcntl
import grp
import os
import pwd
import re
import shlex
import signal
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

from harness import SRC, Failure, Harness, check, free_port, run, wait_for  # noqa: E402
from test_sd_notify import Notifications  # noqa: E402

USER = "roomwatch"
CFG = "/etc/roomwatch/roomwatch.cfg"
STATE = "/var/lib/roomwatch"
UNIT = "/lib/systemd/system/roomwatch.service"
DEVSIM = "/usr/bin/roomwatch-devsim"
PROFILES = "/usr/share/roomwatch/profiles"
WANTS = "/etc/systemd/system/multi-user.target.wants/roomwatch.service"
LOCK = "/run/lock/roomwatch-deb-install-test.lock"
DPKG_LOCK_WAIT = 600  # s: another engineer's apt-get may hold the lock that long


def sh(*argv, ok=True):
    r = subprocess.run(argv, capture_output=True, text=True)
    if ok:
        check(r.returncode == 0, "%s: rc %d: %s%s" % (" ".join(argv), r.returncode, r.stdout,
                                                     r.stderr))
    return r


def pkg_status():
    """dpkg's status of roomwatch ("install ok installed", "deinstall ok config-files"...) or
    None when dpkg has no record of it."""
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "roomwatch"], capture_output=True,
                       text=True)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None


def dpkg(*args):
    """dpkg with args, retried while another dpkg/apt holds the lock."""
    t0 = time.monotonic()
    while True:
        r = subprocess.run(["dpkg"] + list(args), capture_output=True, text=True,
                           env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        locked = "lock" in r.stderr and ("locked" in r.stderr or "held" in r.stderr)
        if r.returncode == 0 or not locked or time.monotonic() - t0 > DPKG_LOCK_WAIT:
            return r
        time.sleep(2)


def unit_settings(text):
    """The unit's Key=value lines of [Service] (repeated keys: a list)."""
    keys = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            keys.setdefault(k, []).append(v)
    return keys


def as_service(unit, argv, cwd, env=None):
    """argv as the unit runs it: its User/Group and that user's groups (SupplementaryGroups=
    dialout: postinst put the user there), NoNewPrivileges, UMask, WorkingDirectory."""
    umask = unit.get("UMask", ["0022"])[0]
    cmd = ["setpriv", "--reuid=" + unit["User"][0], "--regid=" + unit["Group"][0],
           "--init-groups", "--no-new-privs", "--"] + argv
    return ["/bin/sh", "-c", "umask %s && cd %s && exec %s" % (
        umask, shlex.quote(cwd), " ".join(shlex.quote(a) for a in cmd))], env


def exec_line(unit, key):
    """The command of ExecStart=/ExecStartPre= (one line; no '-', '@' or '+' prefixes)."""
    lines = unit.get(key, [])
    check(len(lines) == 1, "unit has %d %s= lines" % (len(lines), key))
    argv = shlex.split(lines[0])
    check(argv and argv[0].startswith("/"), "%s=%s: not an absolute command" % (key, lines[0]))
    return argv


def check_installed(unit):
    pw = pwd.getpwnam(USER)
    check(pw.pw_uid < 1000, "roomwatch has uid %d, not a system uid" % pw.pw_uid)
    check(grp.getgrgid(pw.pw_gid).gr_name == USER, "roomwatch's group is not roomwatch")
    check(pw.pw_dir == STATE, "roomwatch's home is %s" % pw.pw_dir)
    check(pw.pw_shell in ("/usr/sbin/nologin", "/bin/false"), "login shell %s" % pw.pw_shell)
    check(USER in grp.getgrnam("dialout").gr_mem, "roomwatch is not in group dialout")

    st = os.stat(STATE)
    check(stat.S_ISDIR(st.st_mode), STATE + " is not a folder")
    check((pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name) == (USER, USER),
          "%s is owned by uid %d gid %d" % (STATE, st.st_uid, st.st_gid))
    check(stat.S_IMODE(st.st_mode) == 0o750, "%s has mode %o" % (STATE, st.st_mode & 0o7777))

    conff = sh("dpkg-query", "-W", "-f=${Conffiles}", "roomwatch").stdout.split()
    check(conff[:1] == [CFG] and len(conff) == 2, "conffiles: %r" % conff)
    md5 = sh("md5sum", CFG).stdout.split()[0]
    check(conff[1] == md5, "conffile md5 %s, the file's %s" % (conff[1], md5))
    st = os.stat(CFG)
    check((st.st_uid, grp.getgrgid(st.st_gid).gr_name) == (0, USER) and
          stat.S_IMODE(st.st_mode) == 0o640,
          "%s: uid %d gid %d mode %o, expected root:roomwatch 0640" % (
              CFG, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)))

    for key in ("ExecStartPre", "ExecStart"):
        b = exec_line(unit, key)[0]
        check(os.access(b, os.X_OK), "%s= names %s, which the package did not install" % (key, b))
    check(os.path.isdir(PROFILES) and os.listdir(PROFILES), "no profiles in " + PROFILES)
    if os.path.exists("/usr/bin/deb-systemd-helper"):
        check(os.path.islink(WANTS) and os.readlink(WANTS) == UNIT,
              "the unit is not enabled: %s" % WANTS)


def demo_configs(broker_port, sim_port, rtu_sim, rtu_agent):
    """The demo room's agent and simulator configs for these ports and ptys."""
    with open(os.path.join(SRC, "config", "demo.cfg")) as f:
        agent = f.read()
    with open(os.path.join(SRC, "config", "devsim", "demo-room.cfg")) as f:
        sim = f.read()
    agent = agent.replace("18830", str(broker_port)).replace("15020", str(sim_port))
    agent = agent.replace('"/dev/ttyUSB0"', '"%s"' % rtu_agent)
    # The installed profiles, found by default: no profile_dir.
    agent, n = re.subn(r'(?m)^profile_dir = "profiles";\n', "", agent)
    check(n == 1, "config/demo.cfg no longer sets profile_dir as this test expects")
    check('state_dir = "%s";' % STATE in agent, "config/demo.cfg has another state_dir")
    sim = sim.replace("15020", str(sim_port))
    sim = re.sub(r'device = "/[^"]*"', 'device = "%s"' % rtu_sim, sim)
    return agent, sim


def run_demo_room(h, unit):
    broker = h.mosquitto()
    sub = h.subscribe(broker.port, "roomwatch/v1/demo/gw1/#")
    # The harness's folder (mode 0700, root's) must be passable for the service user: the
    # pty link and the notify socket are in it.
    os.chmod(h.dir, 0o711)
    rtu_sim, rtu_agent = h.path("rtu-sim"), h.path("rtu-agent")
    h.start("socat", ["socat", "-d", "-d", "pty,raw,echo=0,link=" + rtu_sim,
                      "pty,raw,echo=0,link=%s,group=dialout,perm=0660" % rtu_agent])
    wait_for(lambda: os.path.exists(rtu_sim) and os.path.exists(rtu_agent), 10, "socat ptys")
    sim_port = free_port()
    agent_cfg, sim_cfg = demo_configs(broker.port, sim_port, rtu_sim, rtu_agent)
    simconf = h.write("devsim.cfg", sim_cfg)
    ready = h.path("devsim.ready")
    sim = h.start("devsim", [DEVSIM, "-c", simconf, "-P", PROFILES, "--ready-file", ready])
    wait_for(lambda: os.path.exists(ready) or not sim.alive(), 10, "devsim ready")
    check(sim.alive(), "the installed roomwatch-devsim exited: " + sim.text())

    # As an admin edits the conffile: its owner and mode stay.
    with open(CFG, "w") as f:
        f.write(agent_cfg)
    pre = exec_line(unit, "ExecStartPre")
    argv, _ = as_service(unit, pre, unit["WorkingDirectory"][0])
    r = subprocess.run(argv, capture_output=True, text=True)
    check(r.returncode == 0, "ExecStartPre on the demo config: rc %d: %s%s" % (
        r.returncode, r.stdout, r.stderr))

    sock = h.path("notify.sock")
    n = Notifications(sock)
    try:
        os.chmod(sock, 0o666)
        env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "LISTEN_FDS")}
        env["NOTIFY_SOCKET"] = sock
        argv, env = as_service(unit, exec_line(unit, "ExecStart"), unit["WorkingDirectory"][0],
                               env)
        agent = h.start("roomwatchd", argv, env=env)
        wait_for(lambda: n.times("READY=1") or not agent.alive(), 20, "READY=1")
        check(agent.alive(), "roomwatchd as the service user exited: " + agent.text())
        owner = pwd.getpwuid(os.stat("/proc/%d" % agent.pid).st_uid).pw_name
        check(owner == USER, "roomwatchd runs as %s" % owner)
        wait_for(lambda: all(sub.all("/telemetry/%s$" % d) for d in ("meter1", "th1", "th2"))
                 or not agent.alive(), 20, "telemetry from meter1, th1 and th2")
        time.sleep(2.0)  # a few more polls: it keeps running
        check(agent.alive(), "roomwatchd exited: " + agent.text())
        db = os.path.join(STATE, "roomwatch.db")
        check(os.path.exists(db), "no store in " + STATE)
        st = os.stat(db)
        check(pwd.getpwuid(st.st_uid).pw_name == USER and not st.st_mode & 0o007,
              "%s: uid %d, mode %o (UMask 0027 as roomwatch)" % (db, st.st_uid,
                                                                st.st_mode & 0o777))
        rc = agent.stop(timeout=20)
        check(rc == 0, "roomwatchd exited with %r on SIGTERM: %s" % (rc, agent.text()[-2000:]))
        check(n.times("STOPPING=1"), "no STOPPING=1")
    finally:
        n.close()


def check_purged(user_created):
    check(pkg_status() is None, "dpkg still knows roomwatch after purge: %s" % pkg_status())
    left = [p for p in ("/etc/roomwatch", STATE, "/usr/sbin/roomwatchd", "/usr/bin/roomwatch",
                        DEVSIM, "/usr/share/roomwatch", "/usr/lib/roomwatch", "/usr/share/doc/roomwatch", UNIT,
                        WANTS, "/etc/systemd/system/roomwatch.service",
                        "/var/lib/systemd/deb-systemd-helper-enabled/roomwatch.service.dsh-also",
                        "/var/lib/systemd/deb-systemd-helper-masked/roomwatch.service")
            if os.path.lexists(p)]
    check(not left, "left after purge: %s" % left)
    if user_created:
        try:
            pwd.getpwnam(USER)
        except KeyError:
            raise Failure("purge deleted the system user (Debian keeps it)")


def test():
    deb = os.path.join(sys.argv[1], "roomwatch_%s_amd64.deb" % sys.argv[2])
    check(os.path.exists(deb), "no " + deb)
    # One install test at a time on this machine (other build trees may run it too).
    lockf = open(LOCK, "w")
    fcntl.flock(lockf, fcntl.LOCK_EX)
    status = pkg_status()
    check(status is None, "roomwatch is already known to dpkg here (%s): this test installs "
          "and purges it, and leaves a package it did not install alone" % status)
    try:
        pwd.getpwnam(USER)
        user_created = False
    except KeyError:
        user_created = True

    installed = False
    try:
        with Harness("deb_install") as h:
            r = dpkg("-i", deb)
            installed = pkg_status() is not None
            check(r.returncode == 0, "dpkg -i: rc %d: %s%s" % (r.returncode, r.stdout, r.stderr))
            check(pkg_status() == "install ok installed", "status after dpkg -i: %s" %
                  pkg_status())
            with open(UNIT) as f:
                unit = unit_settings(f.read())
            check_installed(unit)
            # ExecStartPre on the shipped example: valid, and readable by the service user.
            argv, _ = as_service(unit, exec_line(unit, "ExecStartPre"),
                                 unit["WorkingDirectory"][0])
            r = subprocess.run(argv, capture_output=True, text=True)
            check(r.returncode == 0, "ExecStartPre on the shipped config: rc %d: %s%s" % (
                r.returncode, r.stdout, r.stderr))
            run_demo_room(h, unit)
    finally:
        if installed or pkg_status() is not None:
            r = dpkg("--purge", "roomwatch")
            if r.returncode != 0:
                print("dpkg --purge: rc %d: %s%s" % (r.returncode, r.stdout, r.stderr))
        try:
            check_purged(user_created)
        finally:
            if user_created:
                subprocess.run(["deluser", "--system", "--quiet", USER], capture_output=True)
                subprocess.run(["delgroup", "--system", "--quiet", USER], capture_output=True)
            lockf.close()


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("test_deb_install: skipped: needs root (it installs the package on this machine)")
        sys.exit(77)
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(1))  # ctest timeout: still purge
    run(test)
