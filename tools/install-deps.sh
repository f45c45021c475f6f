#!/bin/sh
# Install every build, test and demo dependency of roomwatch from Debian's packages.
# This is the only install path: the demo, the test command and .ci/run all call it.
# Idempotent: packages already present are skipped, and apt is not touched at all when
# nothing is missing. Needs root (or sudo) on Debian bookworm.
set -eu

PKGS="
build-essential cmake pkg-config
libmodbus-dev libsnmp-dev libpaho-mqtt-dev libconfig-dev libsqlite3-dev
libjansson-dev libcmocka-dev libssl-dev
mosquitto mosquitto-clients socat snmpsim snmpd snmp
python3 python3-pymodbus python3-serial-asyncio python3-paho-mqtt
collectd-core procps openssl
"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing

# The Debian packages start system services (mosquitto on 1883, snmpd on 161) on a
# machine with systemd. roomwatch's tests and demo start their own peers on free
# loopback ports, so the system ones are not needed; they are left as the admin has them.
