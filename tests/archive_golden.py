#!/usr/bin/python3
"""archive_golden.py ROOMWATCH ARC_CONVERT SRC - every golden trace
(tests/fixtures/traces/NAME.csv) through the sample archive and back must replay to the very
JSON the trace replays to (NAME.json): its rows written by roomwatchd's archive writer into
hourly gzip files (arc_convert import), read back in order by the trace source (arc_convert
cat), then replayed. This checks that the archive keeps every time, value and event exactly
as the replay reads them. The config is NAME.cfg beside the trace, or the reference room."""
import glob
import os
import subprocess
import sys
import tempfile

# Cross builds run the binaries under the emulator (tools/run-tests.sh sets RW_EMULATOR).
EMULATOR = os.environ.get("RW_EMULATOR", "").split()


def main():
    roomwatch, convert, src = sys.argv[1], sys.argv[2], sys.argv[3]
    folder = os.path.join(src, "tests", "fixtures", "traces")
    traces = sorted(glob.glob(os.path.join(folder, "*.csv")))
    failures = 0
    if not traces:
        print("no traces in " + folder)
        return 1
    for trace in traces:
        base = trace[:-4]
        cfg = base + ".cfg"
        if not os.path.exists(cfg):
            cfg = os.path.join(src, "config", "examples", "reference-room.cfg")
        with tempfile.TemporaryDirectory(prefix="rw-archive-golden-") as tmp:
            archive = os.path.join(tmp, "archive")
            r = subprocess.run(EMULATOR + [convert, "import", trace, archive],
                               capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                print("%s: import: exit %d: %s" % (trace, r.returncode, r.stderr))
                failures += 1
                continue
            files = sorted(glob.glob(os.path.join(archive, "*/*/*/*.csv.gz")))
            r = subprocess.run(EMULATOR + [convert, "cat", archive],
                               capture_output=True, text=True, timeout=60)
            if r.returncode != 0 or r.stderr:
                print("%s: cat: exit %d: %s" % (trace, r.returncode, r.stderr))
                failures += 1
                continue
            r = subprocess.run(EMULATOR + [roomwatch, "replay", "-c", cfg, "--trace", "-",
                                           "--json"],
                               input=r.stdout, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            print("%s: replay: exit %d: %s" % (trace, r.returncode, r.stderr))
            failures += 1
            continue
        want = open(base + ".json").read()
        if want != r.stdout:
            print("%s: JSON differs\n--- expected\n%s--- got\n%s" % (trace, want, r.stdout))
            failures += 1
        else:
            print("%s: ok (%d hour files)" % (os.path.basename(trace), len(files)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
