#!/usr/bin/python3
"""roomwatch replay benchmark: one year of 1-minute samples for 20 points.

Writes a deterministic trace (tests/bench/bench-replay.cfg's 20 points, every point answering
every 60 s on the minute for a whole year: 525 600 minutes x 20 = 10 512 000 samples, about
350 MB of CSV) and the same trace cut after half the year, into a temporary folder, then runs
`roomwatch replay -c bench-replay.cfg --trace FILE --json` on each under GNU time, which
gives its CPU time (user + system) and peak RSS (ru_maxrss of wait4), and the wall time. CSV
parsing is included: the figure is samples per CPU second of the whole command. Running the
half trace beside the whole one shows whether memory grows with the trace (it must not).

    tests/bench/bench_replay.py [--build DIR] [--runs N] [--rfc3339] [--json OUT] [--keep]
    tests/bench/bench_replay.py --quick          # 10 days, smoke run (CTest: bench-replay-smoke)

Values vary with a short period per point (voltages 226.0-233.9 V in 0.1 V steps, temperatures,
humidities), the kWh counters rise 0.25 kWh a minute, and every 1000th row gives its time in
RFC 3339 as gen_trace.py does (--rfc3339: every row). Exit status: 0 when every replay ran and
exited 0, 1 otherwise, 2 on bad arguments, 3 with --check-goals when the goal (5 M samples/s
of CPU time, peak RSS of the whole trace within 1 MiB of the half) is missed. See README.md.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
CFG = os.path.join(HERE, "bench-replay.cfg")
TZ = datetime.timezone(datetime.timedelta(hours=8))  # the config's Asia/Shanghai, no DST
TIME = "/usr/bin/time"  # GNU time (Debian package time)
GOAL_RATE = 5e6      # samples per CPU second
GOAL_RSS_KIB = 1024  # whole trace's peak RSS at most this much above the half trace's

# The 20 points in the order a poll cycle writes them.
POINTS = (["ups1.output_source", "ups2.output_source"] +
          ["meter%d.%s" % (i, p) for i in (1, 2, 3) for p in ("v_l1", "v_l2", "v_l3", "kwh")] +
          ["th%d.%s" % (i, p) for i in (1, 2, 3) for p in ("temp", "hum")])


def value_cycles():
    """Per point, a list of value strings the point cycles through (None for the counters)."""
    volts = ["%.1f" % (226.0 + (i * 37 % 80) / 10.0) for i in range(80)]
    temps = ["%.1f" % (21.0 + (i * 13 % 30) / 10.0) for i in range(30)]
    hums = ["%.1f" % (40.0 + (i * 7 % 50) / 5.0) for i in range(50)]
    cyc = []
    for k, p in enumerate(POINTS):
        if p.endswith("output_source"):
            cyc.append(["3"])
        elif p.endswith(".kwh"):
            cyc.append(None)
        elif ".v_l" in p:
            cyc.append(volts[k:] + volts[:k])
        elif p.endswith(".temp"):
            cyc.append(temps[k % 30:] + temps[:k % 30])
        else:
            cyc.append(hums[k % 50:] + hums[:k % 50])
    return cyc


def generate(path, year, days, all_rfc3339):
    """Writes the trace; returns (samples, bytes)."""
    t0 = int(datetime.datetime(year, 1, 1, tzinfo=TZ).timestamp())
    cyc = value_cycles()
    nrow = 0
    with open(path, "w", buffering=1 << 20) as out:
        out.write("# replay benchmark trace %d, %d days (tests/bench/bench_replay.py)\n"
                  "ts,point,value\n" % (year, days))
        buf = []
        for m in range(days * 1440):
            sec = t0 + 60 * m
            for k, p in enumerate(POINTS):
                nrow += 1
                if all_rfc3339 or nrow % 1000 == 0:
                    ts = datetime.datetime.fromtimestamp(sec, TZ).isoformat()
                else:
                    ts = str(sec)
                c = cyc[k]
                v = "%.2f" % (1000.0 * k + 0.25 * m) if c is None else c[m % len(c)]
                buf.append("%s,%s,%s\n" % (ts, p, v))
            if len(buf) >= 40000:
                out.write("".join(buf))
                buf.clear()
        out.write("".join(buf))
    return nrow, os.path.getsize(path)


def replay(exe, trace, outjson):
    """Runs one replay; returns a dict of figures (rc, wall_s, cpu_s, maxrss_kib).

    The replay runs under GNU time, not straight from here: Linux keeps a process's peak RSS
    across fork and exec, so a child of this python (tens of MiB after writing the trace)
    would report python's peak as its own. time is small, and measures its child with wait4
    as we would."""
    tfile = outjson + ".time"
    with open(outjson, "w") as out, open(outjson + ".err", "w") as err:
        t = time.monotonic()
        p = subprocess.run([TIME, "-f", "%U %S %M", "-o", tfile, exe, "replay", "-c", CFG,
                            "--trace", trace, "--json"], stdout=out, stderr=err, check=False)
        wall = time.monotonic() - t
    with open(tfile) as f:
        user, sys_, rss = f.read().split()[-3:]
    return {"rc": p.returncode, "wall_s": wall, "cpu_s": float(user) + float(sys_),
            "user_s": float(user), "sys_s": float(sys_), "maxrss_kib": int(rss)}


def find_exe(build):
    for b in ([build] if build else [os.path.join(SRC, "build-rel"), os.path.join(SRC, "build")]):
        exe = os.path.join(b, "tools", "roomwatch", "roomwatch")
        if os.access(exe, os.X_OK):
            return b, exe
    return None, None


def build_type(build):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", help="build tree (default build-rel, else build)")
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--days", type=int, help="days of trace (default the whole year)")
    ap.add_argument("--runs", type=int, default=3, help="replays per trace, best CPU time kept")
    ap.add_argument("--rfc3339", action="store_true", help="every row's time in RFC 3339")
    ap.add_argument("--quick", action="store_true", help="10 days, one run")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--check-goals", action="store_true")
    a = ap.parse_args()

    if not os.access(TIME, os.X_OK):
        print("bench_replay: needs GNU time (%s, apt-get install time)" % TIME, file=sys.stderr)
        return 2
    build, exe = find_exe(a.build)
    if exe is None:
        print("bench_replay: no roomwatch binary (build with -DCMAKE_BUILD_TYPE=Release)",
              file=sys.stderr)
        return 2
    bt = build_type(build)
    if bt != "Release":
        print("bench_replay: warning: %s is a %r build, not Release" % (build, bt),
              file=sys.stderr)
    days = a.days or (10 if a.quick else
                      (datetime.date(a.year + 1, 1, 1) - datetime.date(a.year, 1, 1)).days)
    runs = 1 if a.quick else max(1, a.runs)

    tmp = tempfile.mkdtemp(prefix="bench-replay-")
    results = []
    ok = True
    try:
        for name, d in (("whole", days), ("half", days // 2)):
            path = os.path.join(tmp, "%s.csv" % name)
            t = time.monotonic()
            n, size = generate(path, a.year, d, a.rfc3339)
            gen_s = time.monotonic() - t
            best = None
            for r in range(runs):
                f = replay(exe, path, os.path.join(tmp, "%s-%d.json" % (name, r)))
                if f["rc"] != 0:
                    ok = False
                    with open(os.path.join(tmp, "%s-%d.json.err" % (name, r))) as e:
                        sys.stderr.write(e.read())
                if best is None or f["cpu_s"] < best["cpu_s"]:
                    best = f
                best["maxrss_kib"] = max(best["maxrss_kib"], f["maxrss_kib"])
            best.update({"trace": name, "days": d, "samples": n, "bytes": size,
                         "gen_s": gen_s,
                         "rate_cpu": n / best["cpu_s"] if best["cpu_s"] > 0 else 0.0,
                         "rate_wall": n / best["wall_s"] if best["wall_s"] > 0 else 0.0})
            results.append(best)
            os.unlink(path)  # ~350 MB: do not keep two at once
    finally:
        if a.keep:
            print("bench_replay: kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("roomwatch replay, %s, build %s (%s), best CPU time of %d run(s)" %
          (os.path.basename(CFG), build, bt or "?", runs))
    print("| trace | days | samples | MB | wall s | CPU s (user+sys) | M samples/s CPU | "
          "M samples/s wall | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print("| %s | %d | %d | %.0f | %.2f | %.2f (%.2f+%.2f) | %.2f | %.2f | %.2f |" %
              (r["trace"], r["days"], r["samples"], r["bytes"] / 1e6, r["wall_s"], r["cpu_s"],
               r["user_s"], r["sys_s"], r["rate_cpu"] / 1e6, r["rate_wall"] / 1e6,
               r["maxrss_kib"] / 1024.0))
    whole, half = results
    grow = whole["maxrss_kib"] - half["maxrss_kib"]
    rate_ok = whole["rate_cpu"] >= GOAL_RATE
    rss_ok = grow <= GOAL_RSS_KIB
    print("goal >= %.0f M samples/s: %s; peak RSS whole - half = %+d KiB: %s" %
          (GOAL_RATE / 1e6, "met" if rate_ok else "missed", grow,
           "flat" if rss_ok else "GROWS"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                       "machine": platform.machine(), "cpus": os.cpu_count(), "build": build,
                       "build_type": bt, "runs": runs, "results": results}, f, indent=2)
    if not ok:
        return 1
    if a.check_goals and not (rate_ok and rss_ok):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
