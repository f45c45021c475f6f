#!/usr/bin/python3
"""The store's schema migrations. 1 -> 2, on a database as roomwatch of schema version 1 left
it (its tables made by that version's statements): `roomwatch replay --db` opens it, and
afterwards the schema is version 2, the version-1 engine image (which no roomwatch reads any
more) is gone, the reports' per-day rows are all still there, now in a table keyed day
first, the engine's own day rows are stored beside its new image, the run log is kept, and
PRAGMA integrity_check passes. A second open migrates nothing again. Then 9 -> 10: the
change log of version 9 (commands only) keeps its rows, published and not, and takes the
alarm detector's rows."""
import os
import shutil
import sqlite3
import subprocess
import tempfile

from harness import BUILD, EMULATOR, SRC, check, run

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
CFG = os.path.join(SRC, "config", "examples", "reference-room.cfg")
TRACE = os.path.join(SRC, "tests", "fixtures", "traces", "energy-reset.csv")

SCHEMA_1 = """
CREATE TABLE run_log (id INTEGER PRIMARY KEY, start INTEGER NOT NULL, stop INTEGER,
  last_checkpoint INTEGER, clean INTEGER NOT NULL DEFAULT 0);
CREATE TABLE engine_state (fingerprint INTEGER NOT NULL, period_start INTEGER NOT NULL,
  blob BLOB NOT NULL, saved_at INTEGER NOT NULL, PRIMARY KEY (fingerprint, period_start));
CREATE TABLE indicator_day (indicator TEXT NOT NULL, day TEXT NOT NULL,
  good_ms INTEGER NOT NULL, bad_ms INTEGER NOT NULL, unknown_ms INTEGER NOT NULL,
  na_ms INTEGER NOT NULL, PRIMARY KEY (indicator, day));
PRAGMA user_version = 1;
"""
OLD_DAYS = [("ups_availability", "2023-12-30", 86000000, 400000, 0, 0),
            ("ups_availability", "2023-12-31", 86400000, 0, 0, 0),
            ("voltage_stability", "2023-12-31", 80000000, 6000000, 400000, 0)]


def test():
    tmp = tempfile.mkdtemp(prefix="rw-migrate-")
    try:
        db = os.path.join(tmp, "v1.db")
        con = sqlite3.connect(db)
        con.executescript(SCHEMA_1)
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("INSERT INTO run_log (start, stop, last_checkpoint, clean) "
                    "VALUES (1700000000000, 1700000600000, 1700000600000, 1)")
        con.execute("INSERT INTO engine_state VALUES (12345, 1672502400000, ?, 1700000600000)",
                    (b"\x47\x4e\x57\x52\x01\x00\x00\x00" + b"\x00" * 80000,))
        con.executemany("INSERT INTO indicator_day VALUES (?, ?, ?, ?, ?, ?)", OLD_DAYS)
        con.commit()
        con.close()

        for attempt in range(2):
            r = subprocess.run(EMULATOR + [ROOMWATCH, "replay", "-c", CFG, "--trace", TRACE,
                                           "--db", db, "--json"] +
                               (["--year", "2025"] if attempt else []),
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 0, "replay --db on a version-1 store (%d): exit %d: %s"
                  % (attempt, r.returncode, r.stderr))

        con = sqlite3.connect(db)
        # Every migration step ran: 2 (engine days) and on to the current version.
        check(con.execute("PRAGMA user_version").fetchone()[0] >= 2, "user_version")
        check(con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'incident'"
                          ).fetchone()[0] == 1, "no incident table after the migrations")
        check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check")
        states = con.execute("SELECT fingerprint, period_start FROM engine_state").fetchall()
        check(len(states) == 2 and all(s[0] != 12345 for s in states),
              "engine_state: %r (the version-1 image must be gone; 2024 and 2025 stored)"
              % states)
        for ind, day, g, b, u, n in OLD_DAYS:
            row = con.execute("SELECT good_ms, bad_ms, unknown_ms, na_ms FROM indicator_day "
                              "WHERE indicator = ? AND day = ?", (ind, day)).fetchone()
            check(row == (g, b, u, n), "indicator_day %s %s: %r" % (ind, day, row))
        sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'indicator_day'"
                          ).fetchone()[0]
        check("WITHOUT ROWID" in sql and "PRIMARY KEY (day, indicator)" in sql,
              "indicator_day is not keyed day first: %s" % sql)
        nd = con.execute("SELECT count(*) FROM engine_day e JOIN engine_state s USING "
                         "(fingerprint, period_start)").fetchone()[0]
        check(nd > 0, "no engine_day rows for the new states")
        check(con.execute("SELECT count(*) FROM run_log").fetchone()[0] == 1, "run_log kept")

        # 9 -> 10: the change log as version 9 had it (commands only), with rows, published
        # and not; the migration keeps them and lets the detector's transitions in.
        con.executescript("""
            DROP TABLE incident_change;
            CREATE TABLE incident_change (
              seq INTEGER PRIMARY KEY AUTOINCREMENT,
              incident INTEGER NOT NULL REFERENCES incident (id),
              what TEXT NOT NULL CHECK (what IN ('acknowledged', 'resolved', 'noted')),
              at INTEGER NOT NULL, source TEXT NOT NULL,
              published INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX incident_change_unpublished ON incident_change (seq)
              WHERE published = 0;
            INSERT INTO incident (rule, device, point, severity, category, started_at,
              detected_at) VALUES ('r', 'd', NULL, 'major', 'power', 1000, 2000);
            INSERT INTO incident_change (incident, what, at, source, published)
              VALUES (last_insert_rowid(), 'acknowledged', 3000, 'mqtt', 1),
                     (last_insert_rowid(), 'resolved', 4000, 'cli', 0);
            PRAGMA user_version = 9;
        """)
        con.commit()
        con.close()
        later = os.path.join(tmp, "later.csv")  # replay --db goes on from where it stopped
        with open(later, "w") as f:
            f.write("ts,point,value\n1704934800,meter1.kwh,14.0\n")
        r = subprocess.run(EMULATOR + [ROOMWATCH, "replay", "-c", CFG, "--trace", later,
                                       "--db", db, "--json", "--year", "2025"],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "replay --db on a version-9 store: exit %d: %s"
              % (r.returncode, r.stderr))
        con = sqlite3.connect(db)
        check(con.execute("PRAGMA user_version").fetchone()[0] >= 10, "user_version after 9")
        rows = con.execute("SELECT what, at, source, published FROM incident_change "
                           "ORDER BY seq").fetchall()
        check(rows[:2] == [("acknowledged", 3000, "mqtt", 1), ("resolved", 4000, "cli", 0)],
              "the version-9 change log after the migration: %r" % rows)
        con.execute("INSERT INTO incident_change (incident, what, at, source) "
                    "SELECT max(id), 'detected', 5000, 'detector' FROM incident")
        check(con.execute("SELECT count(*) FROM sqlite_master WHERE name = "
                          "'incident_change_unpublished'").fetchone()[0] == 1,
              "the change log's index is gone")
        check(con.execute("PRAGMA integrity_check").fetchone()[0] == "ok",
              "integrity_check after 9 -> 10")
        con.close()
    finally:
        shutil.rmtree(tmp)


run(test)
