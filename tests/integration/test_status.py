#!/usr/bin/python3
"""`roomwatch status`: the daemon's indicators from its store, read-only, while it runs and
after it stops.

roomwatchd polls a simulated temperature/humidity transmitter (which goes silent for a few
seconds: down time) with three indicators, checkpointing every second. Before the daemon
has ever run, status says there is no store (exit 1) and creates nothing. While it runs,
status reads a whole checkpoint (exit 0) that is at most a few seconds old, and the values
that do not move (the band's 100 %) match what the daemon published on
<prefix>/indicator/<id>. After a clean stop the daemon publishes its final values, and
status prints exactly those indicator documents; the database file is left byte for byte as
it was. A config whose indicators differ, and a year without state, get exit 1 and a message
saying what to do."""
import datetime
import hashlib
import json
import os
import subprocess
import time

from harness import BUILD, EMULATOR, Harness, TH_PROFILE, agent_config, check, free_port, run, \
    wait_for

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
TZ = datetime.timezone(datetime.timedelta(hours=8))  # Asia/Shanghai, no DST
IDS = ("th1_availability", "env_band", "duty")


def status(conf, *extra):
    return subprocess.run(EMULATOR + [ROOMWATCH, "status", "-c", conf] + list(extra),
                          capture_output=True, text=True, timeout=60)


def as_of_s(doc):
    return datetime.datetime.fromisoformat(doc["as_of"]).timestamp()


def latest(sub, ident):
    docs = sub.json("indicator/%s$" % ident)
    return docs[-1][2] if docs else None


def test():
    with Harness("status") as h:
        port = free_port()
        broker = h.mosquitto()
        h.devsim("""
devices = (
  { id = "th1"; profile = "%s"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1;
    values = { temperature = 22.5; humidity = 40.0; }; }
);
scenario = ( { at = 6.0; device = "th1"; action = "silent"; duration = 3.0; } );
""" % (TH_PROFILE, port))
        state = h.path("state")
        indicators = """
indicators = (
  { id = "th1_availability"; name = "机房设备日常运行稳定性"; kind = "availability";
    points = ["th1.temperature"]; target = "≥97(%%)"; },
  { id = "env_band"; name = "机房环境稳定运行"; kind = "band"; points = ["th1.temperature"];
    band = { lo = 18.0; hi = %s; }; window = 0; target = "稳定"; rule = ">=97"; },
  { id = "duty"; name = "查询环境预警预报监控值班天数"; kind = "duty_days";
    points = ["th1.temperature"]; target = "=365(天)"; }
);
"""
        def config(hi, name):
            return h.write(name, agent_config(
                broker.port, ['id = "gw"; type = "tcp"; host = "127.0.0.1"; port = %d;' % port],
                ['id = "th1"; kind = "th_sensor"; bus = "gw"; unit = 1; interval = 0.5; '
                 'timeout = 0.3; profile = "%s";' % TH_PROFILE],
                extra='state_dir = "%s";\ncheckpoint_interval = 1;\n%s' % (
                    state, indicators % hi)))
        conf = config("27.0", "status.cfg")

        # No store yet: exit 1, a message naming it, and nothing created.
        r = status(conf, "--json")
        check(r.returncode == 1 and "no store at" in r.stderr and r.stdout == "",
              "status before the daemon ran: exit %d: %r" % (r.returncode, r.stderr))
        check(not os.path.exists(state), "status created the state folder")

        sub = h.subscribe(broker.port, "rw/test/indicator/#")
        with open(conf) as f:
            p = h.roomwatchd(f.read())
        wait_for(lambda: all(latest(sub, i) for i in IDS), 20, "every indicator published")
        time.sleep(2.5)

        # While the daemon runs (and writes every second): a whole, fresh checkpoint.
        r = status(conf, "--json")
        now = time.time()
        check(r.returncode == 0, "status while running: exit %d: %s" % (r.returncode, r.stderr))
        doc = json.loads(r.stdout)
        check(0 <= now - as_of_s(doc) <= 3.0, "as_of %s is %.1f s before now"
              % (doc["as_of"], now - as_of_s(doc)))
        y = datetime.datetime.fromtimestamp(now, TZ).year
        check(doc["period"]["start"] == "%d-01-01T00:00:00+08:00" % y, "period %r" % doc["period"])
        got = {i["id"]: i for i in doc["indicators"]}
        check(sorted(got) == sorted(IDS), "indicators %r" % sorted(got))
        band = latest(sub, "env_band")
        check(got["env_band"]["value"] == 100 and band["value"] == 100,
              "env_band: status %r, published %r" % (got["env_band"]["value"], band["value"]))
        for k in ("met", "status", "target", "unit", "kind", "name"):
            check(got["env_band"][k] == band[k], "env_band %s: status %r, published %r"
                  % (k, got["env_band"][k], band[k]))
        ev = got["th1_availability"]["evidence"]
        start = datetime.datetime(y, 1, 1, tzinfo=TZ).timestamp()
        total = ev["up_s"] + ev["down_s"] + ev["unknown_s"]
        check(as_of_s(doc) - start - 3.0 <= total <= as_of_s(doc) - start + 0.001,
              "up + down + unknown = %.3f s, as_of is %.3f s into the period"
              % (total, as_of_s(doc) - start))
        r = status(conf)  # the table
        check(r.returncode == 0 and "env_band" in r.stdout and "as of" in r.stdout,
              "status table: %s%s" % (r.stdout, r.stderr))

        # Through the silence, then a clean stop: the final values are published.
        time.sleep(max(0.0, 10.0 - (time.time() - now)))
        n_before = len(sub.all())
        check(p.stop() == 0, "clean stop: " + p.text()[-2000:])
        wait_for(lambda: len(sub.all()) >= n_before + len(IDS), 10, "the final indicators")
        time.sleep(0.5)
        db = os.path.join(state, "roomwatch.db")
        with open(db, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        r = status(conf, "--json")
        check(r.returncode == 0, "status after the stop: exit %d: %s" % (r.returncode, r.stderr))
        doc = json.loads(r.stdout)
        for ind in doc["indicators"]:
            pub = dict(latest(sub, ind["id"]))
            # A retained document stands alone: it names its period and when it is as of,
            # which status gives once for the whole document.
            check(pub.pop("period") == doc["period"] and pub.pop("as_of") == doc["as_of"],
                  "%s: period/as_of published %r, status %r" % (ind["id"], latest(sub, ind["id"]),
                                                               (doc["period"], doc["as_of"])))
            check(ind == pub, "%s: status %s, published %s"
                  % (ind["id"], json.dumps(ind), json.dumps(pub)))
        down = doc["indicators"][0]["evidence"]["down_s"]
        check(1.5 <= down <= 6.0, "down %.3f s for a 3 s silence" % down)
        with open(db, "rb") as f:
            check(hashlib.sha256(f.read()).hexdigest() == digest, "status changed the database")
        check(not os.path.exists(db + "-wal") or os.path.getsize(db + "-wal") == 0,
              "status left a WAL behind")

        # A year without state: exit 1, pointing at the year that has one.
        r = status(conf, "--year", "2020")
        check(r.returncode == 1 and "--year %d" % y in r.stderr,
              "--year 2020: exit %d: %r" % (r.returncode, r.stderr))
        # Another config (a band limit changed): no state of it, say what to do.
        other = config("28.0", "other.cfg")
        r = status(other, "--json")
        check(r.returncode == 1 and "holds no state of this config" in r.stderr
              and "restart" in r.stderr, "other config: exit %d: %r" % (r.returncode, r.stderr))


run(test)
