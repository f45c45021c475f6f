#!/bin/sh
# engine-pure.sh CC DIR - fail if a C file under DIR (agent/engine/) reads the clock, the
# environment or files, or includes a system library's header (sqlite, libmodbus, net-snmp,
# paho). The engine is pure (style.md, "The engine is pure") so that roomwatchd and
# `roomwatch replay` compute the same values from the same samples.
#
# Comments are stripped first with the compiler's preprocessor (-fpreprocessed keeps #include
# lines and expands nothing), so a comment saying "no time()" does not trip the check.
set -u
cc=$1
dir=$2
calls='time|clock_gettime|gettimeofday|localtime|localtime_r|getenv|secure_getenv|fopen|freopen|popen'
calls_re="(^|[^A-Za-z0-9_.>])($calls)[[:space:]]*\\("
incl_re='#[[:space:]]*include[[:space:]]*[<"](sqlite3\.h|modbus\.h|modbus/|net-snmp/|MQTTAsync\.h|MQTTClient\.h)'
status=0
found=0
for f in $(find "$dir" -type f \( -name '*.c' -o -name '*.h' \) | sort); do
    found=$((found + 1))
    if ! src=$("$cc" -fpreprocessed -dD -E -P -x c "$f" 2>/dev/null); then
        echo "$f: cannot strip comments with $cc; checking the raw text" >&2
        src=$(cat "$f")
    fi
    hits=$(printf '%s\n' "$src" | grep -nE "$calls_re|$incl_re")
    if [ -n "$hits" ]; then
        printf '%s\n' "$hits" | sed "s|^|$f: forbidden in the pure engine: |" >&2
        status=1
    fi
done
if [ "$found" -eq 0 ]; then
    echo "no C files under $dir" >&2
    exit 1
fi
[ "$status" -eq 0 ] && echo "engine is pure: $found files checked"
exit $status
