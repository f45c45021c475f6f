#!/usr/bin/python3
"""`roomwatch replay --db` carries the fault-handling record across chunks (issue 11): the
golden incident trace (tests/fixtures/traces/incidents.csv: two incidents, acks, a hand
resolution, maintenance visits) replayed in two chunks, cut after every row in turn, and in
three chunks at a few cuts, each chunk a fresh process on the same database, gives the JSON
of one replay of the whole, byte for byte. The cuts fall inside an incident's hold (the
detector's run being timed), while one is open (acknowledged in the next chunk by the id the
first chunk's database gave it), and inside its clear hold, so the core's detector state and
its record must both carry over. The database then holds the incidents once, with their
acknowledgements, as the daemon's store would."""
import os
import shutil
import sqlite3
import subprocess
import tempfile

from harness import BUILD, EMULATOR, SRC, check, run

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
TRACES = os.path.join(SRC, "tests", "fixtures", "traces")
CFG = os.path.join(TRACES, "incidents.cfg")
TRACE = os.path.join(TRACES, "incidents.csv")


def eq(got, want, what):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def replay(trace, *extra):
    return subprocess.run(EMULATOR + [ROOMWATCH, "replay", "-c", CFG, "--trace", trace, "--json",
                                      "--year", "2024"] + list(extra),
                          capture_output=True, text=True, timeout=60)


def chunked(tmp, body, cuts, tag):
    db = os.path.join(tmp, "%s.db" % tag)
    bounds = [0] + list(cuts) + [len(body)]
    r = None
    for i in range(len(bounds) - 1):
        path = os.path.join(tmp, "%s-%d.csv" % (tag, i))
        with open(path, "w") as f:
            f.write("ts,point,value\n")
            f.writelines(body[bounds[i]:bounds[i + 1]])
        r = replay(path, "--db", db)
        check(r.returncode == 0, "%s chunk %d: exit %d: %s" % (tag, i, r.returncode, r.stderr))
    return r.stdout, db


def test():
    tmp = tempfile.mkdtemp(prefix="rw-chunks-inc-")
    try:
        whole = replay(TRACE)
        check(whole.returncode == 0, "whole replay: " + whole.stderr)
        with open(TRACE) as f:
            body = [l for l in f if not l.startswith("#") and not l.startswith("ts,")]
        check(len(body) > 20, "the golden trace is too short to cut")
        for c in range(1, len(body)):
            out, _ = chunked(tmp, body, [c], "cut%d" % c)
            check(out == whole.stdout, "cut after row %d: the JSON differs from the whole "
                  "replay's" % c)
        for cuts in ([3, 5], [4, 14], [13, 17], [6, 28]):
            out, db = chunked(tmp, body, cuts, "three-%d-%d" % tuple(cuts))
            check(out == whole.stdout, "cuts %s: the JSON differs" % (cuts,))
            con = sqlite3.connect(db)
            rows = con.execute("SELECT id, acked_by, resolved_how FROM incident ORDER BY id") \
                      .fetchall()
            visits = con.execute("SELECT count(*) FROM event WHERE kind = 'maintenance'") \
                        .fetchone()[0]
            con.close()
            eq(rows, [(1, "wang", "auto"), (2, "li", "hand"), (3, None, None)],
               "cuts %s: the record" % (cuts,))
            eq(visits, 12, "cuts %s: maintenance visits recorded" % (cuts,))
    finally:
        shutil.rmtree(tmp)


run(test)
