#!/bin/sh
# Install every build, test and demo dependency of roomwatch from Debian's packages.
# This is the only install path: the demo, the test command and .ci/run all call it.
# Idempotent: packages already present are skipped, and apt is not touched at all when
# nothing is missing. Needs root (or sudo) on Debian bookworm.
set -eu

PKGS="
build-essential cmake pkg-config
libmodbus-dev libsnmp-dev libpaho-mqtt-dev libconfig-dev libsqlite3-dev
libjansson-dev libcmocka-dev libssl-dev zlib1g-dev libxlsxwriter-dev
libcurl4-openssl-dev libc-ares-dev
mosquitto mosquitto-clients socat snmpsim snmpd snmp
python3 python3-pymodbus python3-serial-asyncio python3-paho-mqtt python3-openpyxl python3-aiosmtpd
prometheus-alertmanager
collectd-core procps time openssl faketime
chromium fonts-noto-cjk poppler-utils libreoffice-calc-nogui
gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
qemu-user dpkg-dev systemd file
"

# Gateway firmware (firmware/README.md): the cross compilers above, qemu-user for the
# aarch64 tests, dpkg-dev (dpkg-shlibdeps for CPack), systemd (systemd-analyze verify), and
# one sysroot per foreign architecture: Debian's arm64/armhf runtime and -dev packages,
# fetched with apt-get download and unpacked under $SYSROOT_BASE/<arch>.
# Why sysroots, not `apt-get install libmodbus-dev:arm64`: Multi-Arch: same packages must have
# the very version installed for amd64, so every security update (libmodbus5 +deb12u1, libssl3)
# must reach all architectures at once, and one lagging index blocks the install; libsnmp-dev
# is not co-installable at all (shared/reference/libraries.md section 2). A sysroot holds one
# architecture's libraries at whatever version its index has, and the host stays untouched.
# zlib1g-dev: the sample archive's gzip files (agent/archive/); zlib1g itself is already
# there for net-snmp.
# net-snmp (the SNMP poller), libcurl (notifications, the service prober) and libc-ares2
# (the service prober) bring their runtime dependencies along: the loader under qemu needs
# every library libnetsnmp.so.40, libcurl.so.4 and libcares.so.2 name, and those they name
# in turn.
FOREIGN_ARCHES="arm64 armhf"
SYSROOT_BASE=${ROOMWATCH_SYSROOT_BASE:-/opt/roomwatch/sysroot}
SYSROOT_PKGS="libc6 libgcc-s1 libmodbus5 libmodbus-dev libconfig9 libconfig-dev
libjansson4 libjansson-dev libpaho-mqtt1.3 libpaho-mqtt-dev libssl3 libcmocka0 libcmocka-dev
libsnmp40 libsnmp-dev libpci3 libudev1 zlib1g libsensors5 libperl5.36 libbz2-1.0 libcrypt1
libdb5.3 libgdbm-compat4 libgdbm6 libwrap0 libnsl2 libtirpc3 libgssapi-krb5-2 libkrb5-3
libk5crypto3 libcom-err2 libkrb5support0 libkeyutils1 libssl-dev libsqlite3-0 libsqlite3-dev
libxlsxwriter4 libxlsxwriter-dev libminizip1 zlib1g-dev
libcurl4 libcurl4-openssl-dev libc-ares2 libc-ares-dev libbrotli1 libidn2-0 libldap-2.5-0
libnghttp2-14 libpsl5 librtmp1 libssh2-1 libzstd1 libunistring2 libgnutls30 libsasl2-2
libsasl2-modules-db libgmp10 libhogweed6 libnettle8 libp11-kit0 libtasn1-6 libffi8"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

stamp_text=$(echo $SYSROOT_PKGS)
missing_roots=""
for a in $FOREIGN_ARCHES; do
    if [ "$(cat "$SYSROOT_BASE/$a/.roomwatch-packages" 2>/dev/null)" != "$stamp_text" ]; then
        missing_roots="$missing_roots $a"
    fi
done

if [ -z "$missing" ] && [ -z "$missing_roots" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# A foreign architecture must be known to apt before apt-get update fetches its lists.
for a in $missing_roots; do
    if ! dpkg --print-foreign-architectures | grep -qx "$a"; then
        echo "install-deps: adding architecture $a (package lists only)"
        $SUDO dpkg --add-architecture "$a"
    fi
done
# A list that fails to download (a mirror mid-sync) must not stop the others: apt-get install
# and download below fail anyway if something they need is not in any list.
$SUDO apt-get update -q -o DPkg::Lock::Timeout=900 || echo "install-deps: warning: some package lists failed to update" >&2

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q -o DPkg::Lock::Timeout=900 --no-install-recommends $missing
fi

for a in $missing_roots; do
    root="$SYSROOT_BASE/$a"
    echo "install-deps: unpacking the $a sysroot in $root"
    dl=$(mktemp -d)
    chmod 755 "$dl" # apt's download sandbox user writes here
    # shellcheck disable=SC2046
    (cd "$dl" && $SUDO apt-get download -q $(for p in $SYSROOT_PKGS; do echo "$p:$a"; done))
    $SUDO rm -rf "$root"
    $SUDO mkdir -p "$root"
    for d in "$dl"/*.deb; do
        $SUDO dpkg-deb -x "$d" "$root"
    done
    rm -rf "$dl"
    echo "$stamp_text" | $SUDO tee "$root/.roomwatch-packages" >/dev/null
done

# The Debian packages start system services (mosquitto on 1883, snmpd on 161) on a
# machine with systemd. roomwatch's tests and demo start their own peers on free
# loopback ports, so the system ones are not needed; they are left as the admin has them.
