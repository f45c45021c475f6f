#!/usr/bin/python3
"""A period that is over is final (issue 18, point 6): the reference-room year trace
(tests/tools/gen_trace.py, 2024) replayed with `roomwatch replay --db` into a store leaves the
engine as of its last sample; `roomwatch status --year 2024 --json` on that store must judge
the year finished at its end, the time after its last samples unknown, and print exactly the
replay's own --json (every indicator, to the last digit), with as_of the period's end. The
table says the values are final."""
import json
import os
import shutil
import subprocess
import tempfile

from harness import BUILD, EMULATOR, SRC, check, run

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
CFG = os.path.join(SRC, "config", "examples", "reference-room.cfg")
GEN = os.path.join(SRC, "tests", "tools", "gen_trace.py")


def roomwatch(*args):
    return subprocess.run(EMULATOR + [ROOMWATCH] + list(args), capture_output=True, text=True,
                          timeout=180)


def year_config(tmp):
    """The reference room with its profile folders absolute and a state_dir in tmp, so that
    status finds the replayed database as the daemon's store."""
    here = os.path.dirname(CFG)
    with open(CFG) as f:
        text = f.read()
    cfg = text.replace('profile_dir = ["profiles", "../profiles"];',
                       'profile_dir = ["%s", "%s"];\nstate_dir = "%s";'
                       % (os.path.join(here, "profiles"), os.path.join(here, "..", "profiles"),
                          os.path.join(tmp, "state")))
    check(cfg != text, "the config's profile_dir was not rewritten")
    path = os.path.join(tmp, "ref.cfg")
    with open(path, "w") as f:
        f.write(cfg)
    os.makedirs(os.path.join(tmp, "state"))
    return path


def test():
    tmp = tempfile.mkdtemp(prefix="rw-final-")
    try:
        trace = os.path.join(tmp, "year.csv")
        subprocess.run(["/usr/bin/python3", GEN, "-o", trace], check=True, timeout=120)
        cfg = year_config(tmp)
        db = os.path.join(tmp, "state", "roomwatch.db")
        r = roomwatch("replay", "-c", cfg, "--trace", trace, "--db", db, "--json")
        check(r.returncode == 0, "replay --db: exit %d: %s" % (r.returncode, r.stderr))
        want = json.loads(r.stdout)

        r = roomwatch("status", "-c", cfg, "--year", "2024", "--json")
        check(r.returncode == 0, "status --year 2024: exit %d: %s" % (r.returncode, r.stderr))
        got = json.loads(r.stdout)
        check(got.pop("as_of", None) == "2025-01-01T00:00:00+08:00",
              "as_of %r, want the period's end" % got.get("as_of"))
        check(got["period"] == want["period"], "period %r, replay %r"
              % (got["period"], want["period"]))
        ids = [i["id"] for i in want["indicators"]]
        check([i["id"] for i in got["indicators"]] == ids, "indicators differ")
        for a, b in zip(got["indicators"], want["indicators"]):
            check(a == b, "%s: status %s\nreplay %s" % (b["id"], json.dumps(a), json.dumps(b)))
        duty = {i["id"]: i for i in got["indicators"]}["duty_days"]
        check(duty["value"] == 365 and duty["evidence"]["not_on_duty_days"] == ["2024-09-05"],
              "duty_days %r, lost %r" % (duty["value"], duty["evidence"]))

        r = roomwatch("status", "-c", cfg, "--year", "2024")
        check(r.returncode == 0 and "as of 2025-01-01T00:00:00+08:00 (final)" in r.stdout,
              "status table: %s%s" % (r.stdout[:300], r.stderr))
    finally:
        shutil.rmtree(tmp)


run(test)
