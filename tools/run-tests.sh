#!/bin/sh
# Runs every roomwatch test on this machine: installs what is missing (tools/install-deps.sh),
# builds with warnings as errors and runs the unit and integration tests, then builds again
# with AddressSanitizer + UndefinedBehaviorSanitizer and runs them once more.
#
#   tools/run-tests.sh            everything (both builds)
#   RW_TEST_VARIANTS=release tools/run-tests.sh    one build only
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/install-deps.sh"

jobs=$(nproc 2>/dev/null || echo 2)
variants=${RW_TEST_VARIANTS:-"release asan"}
status=0
for v in $variants; do
    b="$top/build-test-$v"
    case $v in
    release) opts="-DCMAKE_BUILD_TYPE=RelWithDebInfo" ;;
    asan) opts="-DCMAKE_BUILD_TYPE=Debug -DROOMWATCH_SANITIZE=ON" ;;
    *) echo "run-tests: unknown variant $v" >&2; exit 2 ;;
    esac
    echo "==> $v build in $b"
    # shellcheck disable=SC2086
    cmake -S "$top" -B "$b" -DROOMWATCH_WERROR=ON $opts >/dev/null
    cmake --build "$b" -j "$jobs"
    echo "==> $v tests"
    # ASan: fail on leaks too; UBSan reports already abort (-fno-sanitize-recover).
    if ! (cd "$b" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        ctest --output-on-failure --timeout 600 -j "$jobs"); then
        status=1
    fi
done
exit $status
