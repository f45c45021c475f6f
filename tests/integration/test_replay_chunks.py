#!/usr/bin/python3
"""`roomwatch replay --db`: the reference-room year trace (tests/tools/gen_trace.py) replayed
whole, and replayed in 3 chunks with a fresh process each resuming the engine state from the
same database, must give byte-identical JSON (issue 4: "Replaying one trace whole and
replaying it in chunks with a restart between them give identical JSON"). The cuts fall
where th1's rows run a minute late, so the combination queues and open windows cross them.
Between the first two chunks another config (one band limit changed) replays into the same
database: its state lives beside the first one's, and the first config's next chunk resumes
its own image with its own days (config A, then B, then A again). Replaying a chunk again is
refused, naming the file and line, and the database holds the per-day accumulators and
passes PRAGMA integrity_check."""
import os
import shutil
import sqlite3
import subprocess
import tempfile

from harness import BUILD, EMULATOR, SRC, check, run

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
CFG = os.path.join(SRC, "config", "examples", "reference-room.cfg")
GEN = os.path.join(SRC, "tests", "tools", "gen_trace.py")


def replay(trace, *extra, cfg=CFG):
    return subprocess.run(EMULATOR + [ROOMWATCH, "replay", "-c", cfg, "--trace", trace, "--json"]
                          + list(extra), capture_output=True, text=True, timeout=120)


def test():
    tmp = tempfile.mkdtemp(prefix="rw-chunks-")
    try:
        trace = os.path.join(tmp, "year.csv")
        subprocess.run(["/usr/bin/python3", GEN, "-o", trace], check=True, timeout=120)
        whole = replay(trace)
        check(whole.returncode == 0, "whole replay: " + whole.stderr)

        with open(trace) as f:
            lines = f.readlines()
        body = [l for l in lines if not l.startswith("#") and not l.startswith("ts,")]
        n = len(body)
        cuts = [0, n // 3 + 17, 2 * n // 3 + 5, n]
        db = os.path.join(tmp, "out.db")
        chunks = []
        for i in range(3):
            path = os.path.join(tmp, "chunk%d.csv" % i)
            with open(path, "w") as f:
                f.write("ts,point,value\n")
                f.writelines(body[cuts[i]:cuts[i + 1]])
            chunks.append(path)
            r = replay(path, "--db", db)
            check(r.returncode == 0, "chunk %d: exit %d: %s" % (i, r.returncode, r.stderr))
            if i == 0:
                # Config B: th1's band up to 28 degrees, the same profile folder.
                with open(CFG) as f:
                    text = f.read()
                other = text.replace("lo = 18.0; hi = 27.0;", "lo = 18.0; hi = 28.0;")
                check(other != text, "config B is config A")
                # The same profile folders, as absolute paths from the temporary folder.
                here = os.path.dirname(CFG)
                other = other.replace('profile_dir = ["profiles", "../profiles"]',
                                      'profile_dir = ["%s", "%s"]'
                                      % (os.path.join(here, "profiles"),
                                         os.path.join(here, "..", "profiles")))
                check('"%s"' % os.path.join(here, "profiles") in other,
                      "config B: the profile folders were not rewritten")
                cfg_b = os.path.join(tmp, "b.cfg")
                with open(cfg_b, "w") as f:
                    f.write(other)
                rb = replay(path, "--db", db, cfg=cfg_b)
                check(rb.returncode == 0, "config B: exit %d: %s" % (rb.returncode, rb.stderr))
        check(r.stdout == whole.stdout, "chunked JSON differs from the whole replay's")
        con = sqlite3.connect(db)
        states = con.execute("SELECT count(DISTINCT fingerprint) FROM engine_day").fetchone()[0]
        con.close()
        check(states == 2, "engine_day holds %d states, want A's and B's" % states)

        # A chunk replayed again overlaps what the db has accounted: an error naming the line.
        r = replay(chunks[1], "--db", db)
        check(r.returncode == 2 and r.stderr.startswith(chunks[1] + ":2: row is "),
              "chunk 1 again: exit %d: %r" % (r.returncode, r.stderr))
        check(r.stdout == "", "a refused chunk printed JSON")

        con = sqlite3.connect(db)
        check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check")
        check(con.execute("PRAGMA journal_mode").fetchone()[0] == "wal", "journal_mode")
        check(con.execute("PRAGMA user_version").fetchone()[0] >= 2, "user_version")
        days = con.execute("SELECT count(DISTINCT day) FROM indicator_day WHERE "
                           "indicator = 'ups_availability'").fetchone()[0]
        check(days == 366, "indicator_day: %d days of ups_availability, want 366" % days)
        con.close()
    finally:
        shutil.rmtree(tmp)


run(test)
