#!/usr/bin/python3
"""The roomwatch .deb packages: what the amd64 one holds and does, checked with dpkg-deb
alone (no install on this machine), and that the arm64/armhf ones beside it match it.

    test_deb.py DEB_DIR VERSION

amd64: control fields and Depends (from dpkg-shlibdeps), the file list, the conffiles, the
maintainer scripts (syntax and what they must do), the binaries (stripped), the example config passes
roomwatchd -t run from the unpacked tree (it finds the profiles beside its own folder),
and the systemd unit passes systemd-analyze verify. The unit is verified as a copy whose
binary and config paths point into the unpacked tree: verify checks that ExecStart= and
friends name executables, and this machine has none at /usr/sbin.
arm64/armhf (when built): same files, the right Architecture and ELF machine, the same
dependency packages as amd64."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ELF_MACHINE = {"amd64": 62, "arm64": 183, "armhf": 40}
FILES = {
    "./etc/roomwatch/roomwatch.cfg",
    "./lib/systemd/system/roomwatch.service",
    "./usr/bin/roomwatch",
    "./usr/bin/roomwatch-devsim",
    "./usr/sbin/roomwatchd",
    # roomwatchd's modules (agent/rw_module.h), loaded when a config uses them.
    "./usr/lib/roomwatch/roomwatch-notify.so",
    "./usr/lib/roomwatch/roomwatch-probe.so",
    "./usr/lib/roomwatch/roomwatch-snmp.so",
    "./usr/share/doc/roomwatch/README.md",
    "./usr/share/doc/roomwatch/config-reference.md",
    "./usr/share/roomwatch/udev/60-roomwatch-rs485.rules",
}
PROFILE_DIR = "/usr/share/roomwatch/profiles"
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)
    return cond


def out(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def field(deb, name):
    return out("dpkg-deb", "-f", deb, name).strip()


def files(deb):
    """Regular files and symlinks in the package, as ./path."""
    fs = set()
    for line in out("dpkg-deb", "-c", deb).splitlines():
        parts = line.split(None, 5)
        if parts[0][0] in "-l":
            fs.add(parts[5].split(" -> ")[0])
    return fs


def dep_names(depends):
    return sorted(re.sub(r"\s*\(.*\)", "", d).strip() for d in depends.split(","))


def elf_machine(path):
    with open(path, "rb") as f:
        head = f.read(20)
    check(head[:4] == b"\x7fELF", "%s is not an ELF file" % path)
    return int.from_bytes(head[18:20], "little")


def check_amd64(deb, tmp):
    arch = field(deb, "Architecture")
    check(arch == "amd64", "Architecture %r" % arch)
    check(field(deb, "Package") == "roomwatch", "Package is not roomwatch")
    maint = field(deb, "Maintainer")
    check(re.fullmatch(r"[^<>@]+ <[^<>@\s]+@[^<>@\s]+\.[a-z]+>", maint) and
          "localhost" not in maint, "Maintainer %r is not Name <address>" % maint)
    desc = field(deb, "Description")
    for word in ("Modbus", "SNMP", "MQTT", "indicators", "incidents"):
        check(word in desc, "Description does not mention %s: %r" % (word, desc))
    deps = field(deb, "Depends")
    names = dep_names(deps)
    for lib in ("adduser", "libc6", "libmodbus5", "libconfig9", "libjansson4",
                "libpaho-mqtt1.3"):
        check(lib in names, "Depends lacks %s: %s" % (lib, deps))
    check(re.search(r"libc6 \(>= [0-9.]+\)", deps), "libc6 without a version: " + deps)

    fs = files(deb)
    profiles = {f for f in fs if f.startswith("." + PROFILE_DIR + "/")}
    src_profiles = {f for f in os.listdir(os.path.join(SRC, "config", "profiles"))
                    if f.endswith(".cfg")}
    check({os.path.basename(p) for p in profiles} == src_profiles,
          "profiles in the package %s, in config/profiles %s" % (sorted(profiles),
                                                                 sorted(src_profiles)))
    check(fs - profiles == FILES, "unexpected file list: extra %s, missing %s" % (
        sorted(fs - profiles - FILES), sorted(FILES - (fs - profiles))))
    check(not any(f.startswith(("./usr/local", "./var")) for f in fs),
          "files under /usr/local or /var")

    ctl = os.path.join(tmp, "DEBIAN")
    subprocess.run(["dpkg-deb", "-e", deb, ctl], check=True)
    with open(os.path.join(ctl, "conffiles")) as f:
        conffiles = f.read().split()
    check(conffiles == ["/etc/roomwatch/roomwatch.cfg"], "conffiles: %r" % conffiles)
    scripts = {}
    for s in ("postinst", "prerm", "postrm"):
        p = os.path.join(ctl, s)
        if not check(os.path.exists(p), "no %s" % s):
            continue
        check(os.stat(p).st_mode & 0o777 == 0o755, "%s is not mode 0755" % s)
        r = subprocess.run(["sh", "-n", p], capture_output=True, text=True)
        check(r.returncode == 0, "%s: sh -n: %s" % (s, r.stderr))
        with open(p) as f:
            scripts[s] = f.read()
    post = scripts.get("postinst", "")
    check(re.search(r"adduser --system --group .*roomwatch", post, re.S),
          "postinst does not create the system user")
    check("adduser roomwatch dialout" in post, "postinst does not add roomwatch to dialout")
    check(re.search(r"chown roomwatch:roomwatch /var/lib/roomwatch", post) and
          "chmod 0750 /var/lib/roomwatch" in post, "postinst does not set up the state dir")
    rm = scripts.get("postrm", "")
    purge = rm.split("purge)", 1)[1] if "purge)" in rm else ""
    check("rm -rf /var/lib/roomwatch" in purge, "postrm purge does not remove the state dir")
    check("rm -rf /var/lib/roomwatch" not in rm.split("purge)", 1)[0],
          "postrm removes the state dir outside purge")
    check("deluser" not in rm, "postrm deletes the system user (Debian keeps it)")

    root = os.path.join(tmp, "root")
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    for b in ("usr/sbin/roomwatchd", "usr/bin/roomwatch-devsim",
              "usr/lib/roomwatch/roomwatch-snmp.so", "usr/lib/roomwatch/roomwatch-probe.so",
              "usr/lib/roomwatch/roomwatch-notify.so"):
        p = os.path.join(root, b)
        check(elf_machine(p) == ELF_MACHINE["amd64"], "%s: wrong ELF machine" % b)
        check(", stripped" in out("file", p), "%s is not stripped" % b)

    # The shipped example config is valid, its profiles found where the package puts them:
    # roomwatchd looks in share/roomwatch/profiles beside its own bin/sbin folder, here the
    # unpacked tree's, whatever prefix the build was configured with.
    cfg = os.path.join(tmp, "roomwatch.cfg")
    shutil.copy(os.path.join(root, "etc/roomwatch/roomwatch.cfg"), cfg)
    r = subprocess.run([os.path.join(root, "usr/sbin/roomwatchd"), "-t", "-c", cfg],
                       capture_output=True, text=True)
    check(r.returncode == 0, "roomwatchd -t on the example config: %s%s" % (r.stdout, r.stderr))
    # The demo room's config uses probes and a notification channel: -t loads their modules
    # from usr/lib/roomwatch beside the unpacked sbin folder.
    demo = os.path.join(tmp, "demo.cfg")
    with open(os.path.join(SRC, "config", "demo.cfg")) as f:
        text = f.read()
    with open(demo, "w") as f:
        f.write(re.sub(r'(?m)^profile_dir = .*$',
                       'profile_dir = "%s";' % os.path.join(root, PROFILE_DIR.lstrip("/")),
                       text))
    r = subprocess.run([os.path.join(root, "usr/sbin/roomwatchd"), "-t", "-c", demo],
                       capture_output=True, text=True)
    check(r.returncode == 0, "roomwatchd -t on the demo room (its modules): %s%s" % (
        r.stdout, r.stderr))

    # systemd-analyze verify on a copy pointing into the unpacked tree.
    with open(os.path.join(root, "lib/systemd/system/roomwatch.service")) as f:
        unit = f.read()
    for key in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "User=roomwatch",
                "SupplementaryGroups=dialout", "ProtectSystem=strict",
                "StateDirectory=roomwatch", "NoNewPrivileges=yes", "PrivateTmp=yes",
                "ExecReload=/bin/kill -HUP $MAINPID"):
        check(key in unit, "unit lacks " + key)
    check("PrivateDevices=yes" not in unit, "PrivateDevices=yes hides the serial ports")
    for cmd in re.findall(r"(?m)^Exec\w+=[-@+!]*(/\S+)", unit):
        check(cmd.startswith("/bin/") or "." + cmd in fs,
              "the unit runs %s, which the package does not install" % cmd)
    unit = unit.replace("/usr/sbin/roomwatchd", root + "/usr/sbin/roomwatchd")
    unit = unit.replace("/etc/roomwatch/", root + "/etc/roomwatch/")
    udir = os.path.join(tmp, "unit")
    os.makedirs(udir)
    upath = os.path.join(udir, "roomwatch.service")
    with open(upath, "w") as f:
        f.write(unit)
    r = subprocess.run(["systemd-analyze", "verify", upath], capture_output=True, text=True)
    msgs = (r.stdout + r.stderr).strip()
    check(r.returncode == 0 and msgs == "",
          "systemd-analyze verify: rc %d: %s" % (r.returncode, msgs))
    return fs, names


def check_cross(deb, arch, amd64_files, amd64_deps, tmp):
    check(field(deb, "Architecture") == arch, "%s: Architecture %r" % (deb,
                                                                     field(deb, "Architecture")))
    check(files(deb) == amd64_files, "%s: file list differs from amd64" % deb)
    check(dep_names(field(deb, "Depends")) == amd64_deps,
          "%s: Depends %s, amd64 has %s" % (deb, field(deb, "Depends"), amd64_deps))
    root = os.path.join(tmp, "root-" + arch)
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    for b in ("usr/sbin/roomwatchd", "usr/bin/roomwatch-devsim",
              "usr/lib/roomwatch/roomwatch-snmp.so", "usr/lib/roomwatch/roomwatch-probe.so",
              "usr/lib/roomwatch/roomwatch-notify.so"):
        p = os.path.join(root, b)
        check(elf_machine(p) == ELF_MACHINE[arch], "%s %s: wrong ELF machine" % (arch, b))
        check(", stripped" in out("file", p), "%s %s is not stripped" % (arch, b))


SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    debdir, version = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="rw-deb-")
    try:
        deb = os.path.join(debdir, "roomwatch_%s_amd64.deb" % version)
        if not check(os.path.exists(deb), "no " + deb):
            return 1
        fs, deps = check_amd64(deb, tmp)
        for arch in ("arm64", "armhf"):
            d = os.path.join(debdir, "roomwatch_%s_%s.deb" % (version, arch))
            if os.path.exists(d):
                check_cross(d, arch, fs, deps, tmp)
                print("%s: checked against amd64" % os.path.basename(d))
            elif arch in os.environ.get("RW_DEB_REQUIRE", "").split():
                check(False, "%s: not built, and RW_DEB_REQUIRE names %s" % (d, arch))
            else:
                print("%s: not built, skipped" % os.path.basename(d))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("test_deb: %s" % ("FAIL" if failures else "PASS"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
