#!/bin/sh
# The demo server room, end to end on this machine: builds roomwatch, starts a local MQTT
# broker (mosquitto) on a free loopback port, roomwatch-devsim serving a meter and two
# temperature/humidity sensors (Modbus TCP, and Modbus RTU over a socat pty pair), a small
# web application and a database port that goes away for a minute 15 s in
# (tools/demo-services.py, probed by the agent), and roomwatchd with config/demo.cfg, then
# shows the live values arriving over MQTT as a table. A local webhook (tools/demo-hook.py)
# stands in for the duty group's robot: the incidents roomwatchd notifies are listed when the
# demo stops.
#
#   tools/demo.sh                      until Ctrl-C
#   ROOMWATCH_DEMO_DURATION=30 tools/demo.sh    for 30 seconds
#
# Everything it starts is stopped on exit; logs stay in build/demo/.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
duration=${ROOMWATCH_DEMO_DURATION:-0}
"$top/tools/install-deps.sh" >/dev/null

build="$top/build"
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

run="$build/demo"
rm -rf "$run"
mkdir -p "$run"
pids=""

cleanup() {
    trap - EXIT INT TERM
    for p in $pids; do
        kill "$p" 2>/dev/null || true
    done
    for p in $pids; do
        wait "$p" 2>/dev/null || true
    done
    if [ -s "$run/notifications.log" ]; then
        echo "notifications the duty webhook received (bodies in $run/notifications.log.json):"
        cat "$run/notifications.log"
    else
        echo "no notification was sent (the first incident opens about 70 s in)"
    fi
    echo "demo stopped; logs in $run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Five free TCP ports on 127.0.0.1.
set -- $(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(5)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))
')
broker_port=$1
sim_port=$2
hook_port=$3
web_port=$4
db_port=$5

wait_file() { # path, seconds
    i=0
    while [ ! -e "$1" ]; do
        i=$((i + 1))
        [ $i -le $(($2 * 10)) ] || { echo "demo: $1 did not appear" >&2; exit 1; }
        sleep 0.1
    done
}

{
    echo "listener $broker_port 127.0.0.1"
    echo "allow_anonymous true"
    echo "persistence false"
    [ "$(id -u)" -ne 0 ] || echo "user root"
} >"$run/mosquitto.conf"
mosquitto -c "$run/mosquitto.conf" >"$run/mosquitto.log" 2>&1 &
pids="$pids $!"

socat pty,raw,echo=0,link="$run/rtu-sim" pty,raw,echo=0,link="$run/rtu-agent" \
    >"$run/socat.log" 2>&1 &
pids="$pids $!"
wait_file "$run/rtu-sim" 10
wait_file "$run/rtu-agent" 10

sed -e "s|15020|$sim_port|g" \
    -e "s|device = \"/[^\"]*\"|device = \"$run/rtu-sim\"|" \
    "$top/config/devsim/demo-room.cfg" >"$run/devsim.cfg"
"$build/tools/devsim/roomwatch-devsim" -c "$run/devsim.cfg" -P "$top/config/profiles" \
    --ready-file "$run/devsim.ready" >"$run/devsim.log" 2>&1 &
pids="$pids $!"
wait_file "$run/devsim.ready" 10

/usr/bin/python3 "$top/tools/demo-hook.py" --port "$hook_port" --log "$run/notifications.log" \
    >"$run/demo-hook.log" 2>&1 &
pids="$pids $!"
/usr/bin/python3 "$top/tools/demo-services.py" --web-port "$web_port" --db-port "$db_port" \
    >"$run/services.log" 2>&1 &
pids="$pids $!"

sed -e "s|18830|$broker_port|g" -e "s|15020|$sim_port|g" -e "s|18831|$hook_port|g" \
    -e "s|18080|$web_port|g" -e "s|15432|$db_port|g" \
    -e "s|/dev/ttyUSB0|$run/rtu-agent|" \
    -e "s|profile_dir = \"profiles\"|profile_dir = \"$top/config/profiles\"|" \
    -e "s|state_dir = \"/var/lib/roomwatch\"|state_dir = \"$run/state\"|" \
    "$top/config/demo.cfg" >"$run/roomwatch.cfg"
# roomwatchd refuses to run as root unless told to; the demo may be run as root.
allow_root=""
if [ "$(id -u)" -eq 0 ]; then
    allow_root="--allow-root"
fi
"$build/agent/roomwatchd" -c "$run/roomwatch.cfg" $allow_root >"$run/roomwatchd.log" 2>&1 &
pids="$pids $!"

echo "demo: broker 127.0.0.1:$broker_port, simulator 127.0.0.1:$sim_port and $run/rtu-sim"
/usr/bin/python3 "$top/tools/demo-watch.py" --port "$broker_port" \
    --prefix roomwatch/v1/demo/gw1 --duration "$duration"
