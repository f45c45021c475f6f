#!/usr/bin/python3
"""The README's demo command, run exactly as the README writes it (with a duration set in
the environment): live values from every demo device show up in the table it prints, and
nothing it started is left running afterwards."""
import os
import re
import subprocess
import time

from harness import SRC


def readme_command(word):
    """The command line of the README's first shell block that runs `word`."""
    with open(os.path.join(SRC, "README.md")) as f:
        text = f.read()
    for block in re.findall(r"```(?:sh|console|bash)?\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.strip()
            if word in line and not line.startswith("#"):
                return line
    raise AssertionError("README has no command running " + word)


def leftovers():
    r = subprocess.run(["pgrep", "-af", os.path.join(SRC, "build", "demo")],
                       capture_output=True, text=True)
    return [l for l in r.stdout.splitlines() if "pgrep" not in l]


def test():
    cmd = readme_command("demo.sh")
    env = dict(os.environ, ROOMWATCH_DEMO_DURATION="25")
    t0 = time.monotonic()
    r = subprocess.run(["sh", "-c", cmd], cwd=SRC, env=env, capture_output=True, text=True,
                       timeout=600)
    out = r.stdout
    assert r.returncode == 0, "demo exited %d:\n%s\n%s" % (r.returncode, out, r.stderr)
    last = out.split("roomwatch demo - ")[-1]
    for dev, point in (("meter1", "v_l1"), ("meter1", "frequency"), ("th1", "temperature"),
                       ("th2", "humidity")):
        m = re.search(r"^%s\s+%s\s+(-?[0-9.]+)\s+\S+\s+good" % (dev, point), last, re.M)
        assert m, "no live %s.%s in the demo's table:\n%s\nstderr:\n%s" % (dev, point, last, r.stderr)
    assert "agent online" in last, "agent not online:\n" + last
    # The probed services: the web application answers; the database port has been gone
    # since 15 s in (its minute-long outage), so the last table shows it refused.
    assert re.search(r"^app1\s+up\s+1\s+good", last, re.M), "app1 not up:\n" + last
    assert re.search(r"^db1\s+up\s+\S+\s+IO_ERROR", last, re.M), "db1 not down:\n" + last
    time.sleep(0.5)
    left = leftovers()
    assert not left, "processes left running after the demo: %r" % left
    print("demo ran %.0f s" % (time.monotonic() - t0))


def main():
    try:
        test()
    except AssertionError as e:
        raise SystemExit("test_demo.py: FAIL: %s" % e)
    print("test_demo.py: PASS")


main()
