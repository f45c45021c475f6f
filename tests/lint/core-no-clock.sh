#!/bin/sh
# core-no-clock.sh CC DIR - fail if a C file under DIR (agent/core/) reads a clock, starts a
# thread, sleeps, or includes the publisher or a source: the core has no threads and no clock
# of its own (core.h), so that `roomwatch replay` drives it with a trace's timestamps and gets
# what roomwatchd got live. Its owner gives every time and takes every message.
# Comments are stripped first, as in engine-pure.sh.
set -u
cc=$1
dir=$2
calls='time|clock_gettime|gettimeofday|rw_clock_mono|rw_clock_wall|rw_etime_at|sleep|usleep|nanosleep|pthread_create|pthread_mutex_lock'
calls_re="(^|[^A-Za-z0-9_.>])($calls)[[:space:]]*\\("
incl_re='#[[:space:]]*include[[:space:]]*[<"](pthread\.h|rw_clock\.h|rw_etime\.h|rw_thread\.h|pub/|source/|MQTTAsync\.h)'
status=0
found=0
for f in $(find "$dir" -type f \( -name '*.c' -o -name '*.h' \) | sort); do
    found=$((found + 1))
    if ! src=$("$cc" -fpreprocessed -dD -E -P -x c "$f" 2>/dev/null); then
        src=$(cat "$f")
    fi
    hits=$(printf '%s\n' "$src" | grep -nE "$calls_re|$incl_re")
    if [ -n "$hits" ]; then
        printf '%s\n' "$hits" | sed "s|^|$f: forbidden in the core: |" >&2
        status=1
    fi
done
if [ "$found" -eq 0 ]; then
    echo "no C files under $dir" >&2
    exit 1
fi
exit $status
