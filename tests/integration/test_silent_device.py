#!/usr/bin/python3
"""A device that stops answering: its telemetry turns to bad quality (timeout, no value), one
warning is logged for the whole silence (not one per poll), the other devices' polls keep
their pace, and the device is picked up again when it answers again."""
import re

from harness import Harness, PROFILES, TH_PROFILE, agent_config, check, free_port, run, wait_for

SILENT_AT, SILENT_FOR = 4.0, 8.0


def test():
    with Harness("silent_device") as h:
        pm, pt = free_port(), free_port()
        broker = h.mosquitto()
        sub = h.subscribe(broker.port, "rw/test/#")
        h.devsim("""
devices = (
  { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1; },
  { id = "th1"; profile = "%s"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1;
    values = { temperature = 24.0; humidity = 40.0; }; }
);
scenario = (
  { at = %f; device = "th1"; action = "silent"; duration = %f; }
);
""" % (pm, TH_PROFILE, pt, SILENT_AT, SILENT_FOR), profiles=PROFILES)
        agent = h.roomwatchd(agent_config(
            broker.port,
            ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm,
             'id = "b"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pt],
            ['id = "meter1"; kind = "meter"; bus = "a"; unit = 1; interval = 1.0; profile = "eastron-sdm630";',
             'id = "th1"; kind = "th_sensor"; bus = "b"; unit = 1; interval = 1.0; timeout = 0.5; profile = "%s";' % TH_PROFILE]))

        def th_docs():
            return [d for _, _, d in sub.json("telemetry/th1$")]

        def quality(d):
            return d["points"]["temperature"]["quality"]

        wait_for(lambda: any(quality(d) == "timeout" for d in th_docs()), SILENT_AT + 10,
                 "th1 to time out")
        # Back again: a good document after the bad ones (backoff delays it by a few seconds).
        wait_for(lambda: quality(th_docs()[-1]) == "good" and
                 any(quality(d) == "timeout" for d in th_docs()), SILENT_FOR + 25,
                 "th1 to answer again")
        docs = th_docs()
        bad = [d for d in docs if quality(d) != "good"]
        check(all(quality(d) == "timeout" and d["points"]["temperature"]["value"] is None
                  and d["points"]["humidity"]["quality"] == "timeout" for d in bad),
              "bad documents must be timeouts without values: %r" % bad)
        check(docs[-1]["points"]["temperature"]["value"] == 24.0, "value after return")

        # Backoff: during the silence th1 was asked less than once a second.
        t_bad = [d["ts"] for d in bad]
        check(len(bad) <= SILENT_FOR - 2, "%d failed polls in %g s: not backed off" % (len(bad), SILENT_FOR))

        # The meter on the other bus kept its 1 s pace throughout.
        meter = [d for _, _, d in sub.json("telemetry/meter1$")]
        ts = [d["ts"] for d in meter if d["ts"] >= t_bad[0] - 2 and d["ts"] <= t_bad[-1] + 2]
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        check(len(ts) >= 4 and max(gaps) < 1.3,
              "meter1 polls during th1's silence: gaps %r" % gaps)
        check(all(d["points"]["v_l1"]["quality"] == "good" for d in meter), "meter1 went bad")

        log = agent.text()
        warn = [l for l in log.splitlines() if "th1" in l and re.search(r"warning", l)]
        check(len(warn) == 1 and "timeout" in warn[0],
              "expected exactly one warning for th1's silence, got:\n" + "\n".join(warn))
        check(len([l for l in log.splitlines() if "th1" in l and "answering again" in l]) == 1,
              "expected one 'answering again' line:\n" + log)


run(test)
