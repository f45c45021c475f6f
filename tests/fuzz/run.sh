#!/bin/sh
# Builds and runs roomwatch's libFuzzer harnesses (tests/fuzz/README.md).
#
#   tests/fuzz/run.sh                 each harness for 10,000,000 executions (the long run)
#   FUZZ_SECONDS=15 tests/fuzz/run.sh each for 15 s (CI: tools/run-tests.sh, variant "fuzz")
#   FUZZ_RUNS=N / FUZZ_HARNESSES="rcmd target" / FUZZ_BUILD=dir   narrow it down
#
# First every input already in the corpus (seeds and regress-* inputs of fixed findings) is
# replayed once: a regression fails here. Then the fuzzing proper, starting from that corpus;
# new inputs go to a scratch folder, not into the source tree (merge worthwhile ones with
# -merge=1 by hand). A crash, leak, timeout or out-of-memory stops the run with the input
# saved as $FUZZ_BUILD/artifacts/<harness>/crash-... and a non-zero exit. The last line of
# each harness gives executions and executions per second.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-$top/build-fuzz}
harnesses=${FUZZ_HARNESSES:-"config profile trace_csv target modbus snmp rcmd"}
cc=${FUZZ_CC:-clang-14}

cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="$cc" -DROOMWATCH_FUZZ=ON >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"

if [ -n "${FUZZ_SECONDS:-}" ]; then
    limit="-max_total_time=$FUZZ_SECONDS"
else
    limit="-runs=${FUZZ_RUNS:-10000000}"
fi

# libconfig's own leak on a syntax error is suppressed (lsan.supp says why).
LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS

# The file harnesses write their scratch files under TMPDIR (fuzz_files.h): give them a folder
# of this run's, in memory when /dev/shm is there, and remove it however the run ends.
if [ -z "${TMPDIR:-}" ]; then
    shm=/tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && shm=/dev/shm
    TMPDIR=$(mktemp -d "$shm/roomwatch-fuzz-run.XXXXXX")
    export TMPDIR
    trap 'rm -rf "$TMPDIR"' EXIT
    trap 'exit 130' INT TERM
fi

status=0
for h in $harnesses; do
    bin="$build/fuzz_$h"
    corpus="$here/corpus/$h"
    art="$build/artifacts/$h"
    scratch="$build/scratch/$h"
    mkdir -p "$art" "$scratch"
    echo "==> fuzz_$h: replaying $(ls "$corpus" | wc -l) corpus inputs"
    # shellcheck disable=SC2046
    if ! "$bin" -dict="$here/dict/$h.dict" -rss_limit_mb=2048 -timeout=10 \
        $(find "$corpus" -type f | sort) >"$build/replay-$h.log" 2>&1; then
        tail -n 40 "$build/replay-$h.log"
        echo "fuzz_$h: a corpus input fails" >&2
        status=1
        continue
    fi
    echo "==> fuzz_$h: fuzzing ($limit)"
    t0=$(date +%s)
    if ! "$bin" -dict="$here/dict/$h.dict" -max_len=16384 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$art/" -print_final_stats=1 $limit "$scratch" "$corpus" \
        >"$build/fuzz-$h.log" 2>&1; then
        tail -n 60 "$build/fuzz-$h.log"
        echo "fuzz_$h: FAILED; the input is in $art/" >&2
        status=1
        continue
    fi
    t=$(($(date +%s) - t0))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz-$h.log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$build/fuzz-$h.log")
    echo "fuzz_$h: $execs executions in $t s ($rate exec/s)"
done
exit $status
