#!/usr/bin/python3
"""Writes the seed corpora of the fuzz harnesses into tests/fuzz/corpus/<harness>/seed-*.

Seeds come from the project's own files (fixture configs, shipped profiles, golden traces,
every target string of the forms) plus a few hand-made inputs for the harnesses that build
structs from bytes. Inputs the fuzzers found (crash regressions, named regress-*) live in the
same folders and are never touched here. Run it again when the fixtures change:

    /usr/bin/python3 tests/fuzz/seeds.py
"""
import glob
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def put(harness, data):
    d = os.path.join(HERE, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def files(*patterns):
    for p in patterns:
        for path in sorted(glob.glob(os.path.join(TOP, p))):
            with open(path, "rb") as f:
                yield f.read()


def main():
    for old in glob.glob(os.path.join(HERE, "corpus", "*", "seed-*")):
        os.remove(old)
    for data in files("tests/fixtures/config/*.cfg", "tests/fixtures/config/*.inc",
                      "config/demo.cfg", "config/examples/*.cfg"):
        put("config", data)
    for data in files("config/profiles/*.cfg", "tests/fixtures/profiles/*.cfg",
                      "tests/fixtures/config/profiles/*.cfg",
                      "tests/fixtures/config/profiles-local/*.cfg",
                      "config/examples/profiles/*.cfg", "tests/bench/profiles/*.cfg"):
        put("profile", data)
    for data in files("tests/fixtures/traces/*.csv"):
        put("trace_csv", data)

    # Targets: "text\0unit column", one per distinct row of the forms' table.
    seen = set()
    with open(os.path.join(TOP, "tests/fixtures/targets/forms-targets.tsv"), "rb") as f:
        for line in f:
            cols = line.rstrip(b"\n").split(b"\t")
            if line.startswith(b"#") or len(cols) < 4 or cols[0] == b"form":
                continue
            seed = cols[2] + (b"\0" + cols[3] if cols[3] else b"")
            if seed not in seen:
                seen.add(seed)
                put("target", seed)

    # Commands: the verb's selector byte (0 ack, 1 resolve, 2 event, 3 silence, 4 unknown)
    # + payload.
    cmds = [
        (0, '{"incident":3,"by":"张工","note":"on my way","correlation_id":"a1"}'),
        (1, '{"incident":3,"by":"张工","cause":"UPS fuse","measure":"replaced",'
            '"correlation_id":"a2"}'),
        (2, '{"kind":"maintenance","at":"2026-03-01T09:30:00+08:00","by":"李工",'
            '"note":"quarterly check","incident":3,"correlation_id":"a3"}'),
        (2, '{"kind":"security-incident","at":"2026-03-01T01:30:00.125Z","by":"x",'
            '"note":"line\\nfeed\\ttab","incident":null}'),
        (0, '{"incident":1,"by":"a","who":"b"}'),
        (0, '{"incident":1,"incident":2,"by":"a"}'),
        (3, '{"from":"2026-03-01T09:00:00+08:00","to":"2026-03-01T12:00:00+08:00",'
            '"device":"ups1","by":"张工","note":"UPS 检修","correlation_id":"s1"}'),
        (3, '{"from":"2026-03-01T09:00:00+08:00","to":"2026-03-01T08:00:00+08:00","all":true,'
            '"by":"x"}'),
        (4, '{"incident":1,"by":"a"}'),
        (0, '[1,2,3]'),
        (0, '{"incident":9223372036854775807,"by":"\\u0000"}'),
    ]
    for verb, payload in cmds:
        put("rcmd", bytes([verb]) + payload.encode())

    # Modbus: limits (3 x u16), the point count, then per point fc, type, order, address
    # (u16 each) and four flag bytes, then the registers. One profile like the SDM630.
    b = struct.pack(">HHHH", 79, 1999, 1, 5)
    for fc, typ, order, addr in [(4, 4, 0, 0), (4, 4, 0, 2), (4, 4, 2, 0x46), (3, 1, 1, 10),
                                 (1, 0, 0, 7), (2, 0, 0, 65535)]:
        b += struct.pack(">HHHH", fc - 1, max(typ - 1, 0), order, addr) + b"\0\0\0\0"
    b += struct.pack(">12H", 0x4366, 0x1999, 0x3F80, 0, 0x0000, 0x0047, 0xFFFF, 0x8000,
                     1, 0, 0, 1)
    put("modbus", b)
    put("modbus", bytes(range(256)))

    # SNMP: stype (u16), four flag bytes (defaults), the match length (u16), then three
    # values (tag byte, u64, i64), the walk, the uptime interval.
    for stype in range(8):
        b = struct.pack(">H", stype) + b"\0\0\0\0" + struct.pack(">H", 3) + b"\1\2\3"
        for tag, val in [(0, 230), (0, 9), (0, 1)]:
            b += bytes([tag]) + struct.pack(">Qq", val, val)
        b += struct.pack(">H", 4) + b"\0\0" + b"\0" + struct.pack(">H", 4) + b"\1\2\3\0"
        b += struct.pack(">d", 10.0)
        put("snmp", b)


if __name__ == "__main__":
    main()
