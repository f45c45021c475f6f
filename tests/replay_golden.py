#!/usr/bin/python3
"""replay_golden.py ROOMWATCH SRC - replay every tests/fixtures/traces/NAME.csv and compare
the JSON with NAME.json byte for byte (RW_UPDATE_GOLDEN=1 rewrites the .json files). The
config is NAME.cfg beside the trace, or the reference room."""
import glob
import os
import subprocess
import sys

# Cross builds run the binary under the emulator (tools/run-tests.sh sets RW_EMULATOR).
EMULATOR = os.environ.get("RW_EMULATOR", "").split()


def main():
    roomwatch, src = sys.argv[1], sys.argv[2]
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
        r = subprocess.run(EMULATOR + [roomwatch, "replay", "-c", cfg, "--trace", trace, "--json"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            print("%s: exit %d: %s" % (trace, r.returncode, r.stderr))
            failures += 1
            continue
        if os.environ.get("RW_UPDATE_GOLDEN"):
            with open(base + ".json", "w") as f:
                f.write(r.stdout)
            continue
        try:
            want = open(base + ".json").read()
        except OSError as e:
            print("%s: %s" % (trace, e))
            failures += 1
            continue
        if want != r.stdout:
            print("%s: JSON differs\n--- expected\n%s--- got\n%s" % (trace, want, r.stdout))
            failures += 1
        else:
            print("%s: ok" % os.path.basename(trace))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
