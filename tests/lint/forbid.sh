#!/bin/sh
# forbid.sh CC DIR WHAT CALLS INCLUDES - fail if a C file under DIR calls one of CALLS (an
# extended regex alternation of function names) or includes a header matching INCLUDES (an
# extended regex of paths), saying which file, line and rule (WHAT: "the pure engine").
#
# Two rules use it (tests/CMakeLists.txt): the engine is pure (style.md, "The engine is pure":
# no clock, environment or file reads, no system library's header), and the core has no
# threads and no clock of its own (agent/core/core.h), so that roomwatchd and
# `roomwatch replay` compute the same values, incidents and alerts from the same samples.
#
# Comments are stripped first with the compiler's preprocessor (-fpreprocessed keeps #include
# lines and expands nothing), so a comment saying "no time()" does not trip the check.
set -u
cc=$1
dir=$2
what=$3
calls_re="(^|[^A-Za-z0-9_.>])($4)[[:space:]]*\\("
incl_re="#[[:space:]]*include[[:space:]]*[<\"]($5)"
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
        printf '%s\n' "$hits" | sed "s|^|$f: forbidden in $what: |" >&2
        status=1
    fi
done
if [ "$found" -eq 0 ]; then
    echo "no C files under $dir" >&2
    exit 1
fi
[ "$status" -eq 0 ] && echo "$what: $found files checked"
exit $status
