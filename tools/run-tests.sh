#!/bin/sh
# Runs every roomwatch test on this machine: installs what is missing (tools/install-deps.sh),
# builds with warnings as errors and runs the unit and integration tests, then builds again
# with AddressSanitizer + UndefinedBehaviorSanitizer and runs them once more, then the gateway
# firmware: aarch64 and armhf cross builds whose tests run under qemu-aarch64 and qemu-arm, and
# the .deb packages for amd64, arm64 and armhf, checked by tests/firmware/test_deb.py and the
# amd64 one installed, run and purged (tests/firmware/test_deb_install.py); last the libFuzzer
# harnesses (tests/fuzz/), each replaying its corpus then fuzzing for FUZZ_SECONDS (15).
#
#   tools/run-tests.sh            everything (all variants)
#   RW_TEST_VARIANTS=release tools/run-tests.sh    one build only
#   (variants: release asan aarch64 armhf packages fuzz)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/install-deps.sh"

jobs=$(nproc 2>/dev/null || echo 2)
variants=${RW_TEST_VARIANTS:-"release asan aarch64 armhf packages fuzz"}
sysroots=${ROOMWATCH_SYSROOT_BASE:-/opt/roomwatch/sysroot}
status=0
for v in $variants; do
    b="$top/build-test-$v"
    exclude="" # tests this variant leaves out (a regex, whole names)
    # Long, mostly idle tests run one after another beside the others (their own ctest), once
    # the paired tests are done: each waits on the wall clock or an absent broker with one
    # meter polled, and what it bounds (a minute's side, 0.3 s between a poll's answers)
    # leaves room for a second test on the other core.
    beside=""
    t0=$(date +%s)
    case $v in
    release)
        opts="-DCMAKE_BUILD_TYPE=RelWithDebInfo"
        # The ten-minute broker outage (one meter polled, the broker away) and the three
        # wall-clock minutes of alerts (evaluated once a minute; the event and the stop are
        # kept 5 s or more from a whole minute) run beside the rest rather than adding
        # fourteen minutes to the run.
        beside="integration-(outbox_10min|alerts)"
        ;;
    asan)
        opts="-DCMAKE_BUILD_TYPE=Debug -DROOMWATCH_SANITIZE=ON"
        # integration-alerts waits three wall-clock minutes for the minute evaluations; under
        # ASan the alert code runs in every replay test (replay evaluates the same minutes)
        # and in unit-alert, so the wait adds nothing but time.
        # The ten-minute broker outage (integration-outbox_10min) is the release variant's:
        # the 28 s one checks the same under ASan, beside the rest. The polling benchmark's
        # and the soak's smoke runs measure a build (bench.py only warns under a sanitizer)
        # and check the scripts, which the release variant does; their daemons' paths
        # (broker restarts, devices that fail and come back) are the integration tests' too.
        beside="integration-outbox"
        exclude="integration-(alerts|outbox_10min)|bench-(smoke|soak-smoke)"
        ;;
    aarch64 | armhf)
        # Every unit test, and the integration tests whose roomwatchd/devsim go through the
        # harness (RW_EMULATOR), against native mosquitto and peers. Left out: demo (builds
        # and runs the native demo), config_check and mqtt_tls_auth (they exec roomwatchd
        # directly, which needs binfmt_misc, absent in containers), the benchmark smoke
        # runs (they measure native builds), scan (it probes 500 unit ids with a 30 ms
        # timeout, which an emulated device simulator does not keep), and the long scenarios
        # whose subject is time and the operating system rather than the ARM build: alerts
        # (three wall-clock minutes), disk_full (a minute of a full tmpfs), the hostile peers
        # and the command flood, the ten-minute broker outage; and the 78 year replays of replay_chunks_incidents (3.5 min
        # under qemu; the chunked engine state is checked here by replay_chunks). The native
        # release and ASan variants run them. Nothing runs beside: under an emulator every
        # test keeps a core busy.
        opts="-DCMAKE_TOOLCHAIN_FILE=$top/firmware/toolchain-$v.cmake"
        if [ "$v" = aarch64 ]; then
            export RW_EMULATOR="/usr/bin/qemu-aarch64 -L $sysroots/arm64"
        else
            export RW_EMULATOR="/usr/bin/qemu-arm -L $sysroots/armhf"
        fi
        skip="demo|config_check|mqtt_tls_auth|scan|alerts|disk_full|hostile_modbus|hostile_snmp"
        skip="$skip|command_flood|replay_chunks_incidents|outbox_10min"
        # qemu-arm runs a year replay in about 3 min: on armhf the whole-year replay tests
        # are left to aarch64, replay-golden and archive-golden still compare its output.
        if [ "$v" = armhf ]; then
            skip="$skip|replay|replay_chunks"
        fi
        exclude="integration-($skip)|bench-.*"
        ;;
    packages)
        # arm64 and armhf packages first; the amd64 build's ctest (label "package") makes
        # its own, checks all three and installs the amd64 one on this machine (root:
        # installs, runs and purges it). Release builds with CMake's default prefix, as a
        # user would make them: the packages go under /usr all the same.
        opts="-DCMAKE_BUILD_TYPE=Release -DROOMWATCH_TESTS=OFF -DROOMWATCH_PACKAGE_TESTS=ON"
        opts="$opts -DRW_DEB_DIR=$b/debs"
        rm -rf "$b/debs"
        export RW_DEB_REQUIRE="arm64 armhf" # test_deb.py fails if one is missing
        for a in aarch64 armhf; do
            echo "==> $v: $a package in $b-$a"
            # shellcheck disable=SC2086
            cmake -S "$top" -B "$b-$a" -DROOMWATCH_WERROR=ON $opts \
                -DCMAKE_TOOLCHAIN_FILE="$top/firmware/toolchain-$a.cmake" >/dev/null
            cmake --build "$b-$a" -j "$jobs"
            (cd "$b-$a" && cpack -G DEB) || status=1
        done
        ;;
    fuzz)
        # Its own clang build (tests/fuzz/CMakeLists.txt); nothing for ctest below.
        echo "==> $v in $b"
        FUZZ_BUILD="$b" FUZZ_SECONDS=${FUZZ_SECONDS:-15} "$top/tests/fuzz/run.sh" || status=1
        echo "==> $v: $(($(date +%s) - t0)) s"
        continue
        ;;
    *) echo "run-tests: unknown variant $v" >&2; exit 2 ;;
    esac
    echo "==> $v build in $b"
    # shellcheck disable=SC2086
    cmake -S "$top" -B "$b" -DROOMWATCH_WERROR=ON $opts >/dev/null
    cmake --build "$b" -j "$jobs"
    echo "==> $v tests"
    # ASan: fail on leaks too; UBSan reports already abort (-fno-sanitize-recover).
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    # First the paired tests (label "paired": year replays, two at a time, both cores busy),
    # then the rest with the beside tests, which thus never share the machine with them.
    [ -z "$beside" ] || exclude="${exclude:+$exclude|}$beside"
    ctest_args=""
    [ -z "$exclude" ] || ctest_args="-E ^($exclude)$"
    # shellcheck disable=SC2086
    (cd "$b" && ctest --output-on-failure --timeout 600 -j "$jobs" -L "^paired$" \
        --no-tests=ignore $ctest_args) || status=1
    bpid=""
    if [ -n "$beside" ]; then
        (cd "$b" && ctest --output-on-failure --timeout 1200 -R "^($beside)$") \
            >"$b/beside.log" 2>&1 &
        bpid=$!
    fi
    # shellcheck disable=SC2086
    (cd "$b" && ctest --output-on-failure --timeout 600 -j "$jobs" -LE "^paired$" $ctest_args) ||
        status=1
    if [ -n "$bpid" ]; then
        wait "$bpid" || status=1
        echo "==> $v: ^($beside)$ (run beside the others)"
        cat "$b/beside.log"
    fi
    unset RW_EMULATOR RW_DEB_REQUIRE ASAN_OPTIONS
    echo "==> $v: $(($(date +%s) - t0)) s"
done
exit $status
