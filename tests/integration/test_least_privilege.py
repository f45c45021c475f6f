#!/usr/bin/python3
"""Least privilege (issue 14): roomwatchd refuses to run as root unless given --allow-root;
it refuses to start with a secrets file that is open to others or owned by another user,
naming the file and why and never showing the secret; the state folder it creates is 0750.

  - As root: without --allow-root it exits 1 at once with a message naming --allow-root,
    while `-t` (a config check, as the unit's ExecStartPre) still works; with it, it runs.
    Not root: it runs without the flag.
  - password_file mode 0644: the daemon exits 2 with file:line, the path and the mode.
  - password_file owned by another uid (needs root to set up; CI runs as root): exit 2
    naming the owner.
  - A 0640 password file owned by the running user is taken, and the store's folder, which
    the daemon creates, is drwxr-x---.
"""
import os
import stat
import subprocess

from harness import EMULATOR, ROOMWATCHD, ROOT_ARGS, Harness, agent_config, check, \
    free_port, run, wait_for

SECRET = "Hq-gw1-s3cret-pw"
# An incident indicator, so that the daemon keeps a store (and creates its folder) without
# any device to poll.
INDICATORS = """indicators = (
  { id = "visits"; name = "机房环境监测运维"; kind = "count"; event = "maintenance";
    target = "≥ 12"; } );"""


def config(h, broker_port, pass_file, state):
    return agent_config(
        broker_port, [], [], extra='state_dir = "%s";\n%s' % (state, INDICATORS),
        mqtt_extra='username = "gw1"; password_file = "%s";' % pass_file)


def daemon(argv, timeout=15):
    return subprocess.run(EMULATOR + [ROOMWATCHD] + argv, capture_output=True, text=True,
                          timeout=timeout)


def test():
    os.umask(0o022)  # the folder's mode must come from roomwatchd, not a strict umask
    root = os.geteuid() == 0
    with Harness("least_privilege") as h:
        broker = h.mosquitto()
        state = h.path("state")
        pass_file = h.write("mqtt.pass", SECRET + "\n", mode=0o640)
        conf_path = h.write("rw.cfg", config(h, broker.port, pass_file, state))

        # Root without --allow-root: refused before anything is opened.
        if root:
            r = daemon(["-c", conf_path])
            out = r.stdout + r.stderr
            check(r.returncode == 1, "as root without --allow-root: exit %d: %s" %
                  (r.returncode, out))
            check("refusing to run as root" in out and "--allow-root" in out,
                  "the refusal does not say why or how: %s" % out)
            check(not os.path.exists(state), "the refused daemon created its state folder")
        r = daemon(["-t", "-c", conf_path])
        check(r.returncode == 0, "-t (as uid %d): exit %d: %s" % (os.geteuid(), r.returncode,
                                                                  r.stdout + r.stderr))

        # A secrets file others may read: refused at start, named, the secret not shown.
        os.chmod(pass_file, 0o644)
        r = daemon(["-c", conf_path] + ROOT_ARGS)
        out = r.stdout + r.stderr
        check(r.returncode == 2, "password_file 0644: exit %d: %s" % (r.returncode, out))
        check(pass_file in out and "mode 0644" in out and "0600 or 0640" in out,
              "the refusal does not name the file and why: %s" % out)
        check(SECRET not in out, "the refusal shows the secret")

        # Owned by another user: refused, naming the owner.
        if root:
            os.chmod(pass_file, 0o600)
            os.chown(pass_file, 54321, -1)
            r = daemon(["-c", conf_path] + ROOT_ARGS)
            out = r.stdout + r.stderr
            check(r.returncode == 2, "foreign owner: exit %d: %s" % (r.returncode, out))
            check(pass_file in out and "owned by uid 54321" in out,
                  "the refusal does not name the file and its owner: %s" % out)
            check(SECRET not in out, "the refusal shows the secret")
            os.chown(pass_file, 0, -1)

        # 0640 and ours: taken; the daemon runs and creates its state folder 0750.
        os.chmod(pass_file, 0o640)
        check(not os.path.exists(state), "state folder exists before the daemon ran")
        agent = h.roomwatchd(config(h, broker.port, pass_file, state))
        wait_for(lambda: os.path.exists(os.path.join(state, "roomwatch.db")) or
                 not agent.alive(), 15, "the store in %s" % state)
        check(agent.alive(), "roomwatchd exited: " + agent.text())
        mode = stat.S_IMODE(os.stat(state).st_mode)
        check(mode == 0o750, "state folder mode %04o, want 0750" % mode)
        check("refusing" not in agent.text(), "refused: " + agent.text())
        check(SECRET not in agent.text(), "the log shows the password")


if __name__ == "__main__":
    run(test)
