#!/usr/bin/python3
"""gen_trace.py - a deterministic year trace for the reference room
(config/examples/reference-room.cfg): every device answers every 60 s on the minute, and a
few known events happen. tests/integration/test_replay.py replays it and checks the JSON
against values worked out by hand from the event list below.

usage: gen_trace.py [--year 2024] [--clean] [-o FILE]

Times are local (Asia/Shanghai, UTC+08:00, no DST). Minute m of the year is
[start + 60 m, start + 60 (m + 1)).

Base values: ups1.output_source 3 (normal); meter1.v_l1/v_l2/v_l3 230/229/231 V; th1.temp
22.0 °C, th1.hum 45.0 %RH; meter1.kwh 1000 + 0.5 m (0.5 kWh a minute).

Events (none with --clean):
  A  ups1.output_source = 2 (none) for the samples 03-10 23:50 .. 03-11 00:09: one
     interruption of 1200 s across midnight, two lost days.
  B  meter1.v_l2 dips to 150 V for 20 s (extra samples 05-20 10:00:20 = 150 and
     10:00:40 = 229): the window mean is (229*40 + 150*20)/60 = 202.67 V, in band.
  C  meter1.v_l1 = 190 V for the samples 07-15 14:00 .. 14:29: 30 windows out.
  D  meter1.v_l3 = 240 V for the samples 08-01 12:00 .. 12:09: 10 windows out.
  E  no rows at all for 09-05 02:00 .. 05:59 (the agent was away): the 01:59 samples hold
     180 s, to 02:02; 02:02 .. 06:00 = 14280 s unknown; 09-05 is off duty and unverified.
  F  th1.temp = 150.0 (outside its plausible range -40..125) at 06-01 12:00: 60 s bad.
  G  th1 gives no answer (empty temp and hum) for the samples 10-10 08:00 .. 08:59: 3600 s.
  H  th1.temp = 28.5 for the samples 07-20 13:00 .. 14:59: 120 windows out of 18..27 °C.
  I  meter1 replaced on 04-01 00:00: kwh restarts at 0.5 and rises 0.5 a minute.

th1's rows are written one minute late (after the other devices' rows of the next minute),
so the trace is out of order between points by 60 s, as a multi-bus recording can be.
Every 1000th row gives its time in RFC 3339 instead of Unix seconds.
"""
import argparse
import calendar
import datetime
import sys

TZ = datetime.timezone(datetime.timedelta(hours=8))


def minute_of(start, month, day, hour, minute):
    t = datetime.datetime(start.year, month, day, hour, minute, tzinfo=TZ)
    return int((t - start).total_seconds()) // 60


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--clean", action="store_true")
    ap.add_argument("-o", "--output")
    a = ap.parse_args()

    start = datetime.datetime(a.year, 1, 1, tzinfo=TZ)
    t0 = int(start.timestamp())
    nmin = (366 if calendar.isleap(a.year) else 365) * 1440
    ev = not a.clean

    def rng(m1, m2):  # minutes [m1, m2]
        return set(range(m1, m2 + 1))

    if ev:
        ups_none = rng(minute_of(start, 3, 10, 23, 50), minute_of(start, 3, 11, 0, 9))
        dip_min = minute_of(start, 5, 20, 10, 0)
        l1_low = rng(minute_of(start, 7, 15, 14, 0), minute_of(start, 7, 15, 14, 29))
        l3_high = rng(minute_of(start, 8, 1, 12, 0), minute_of(start, 8, 1, 12, 9))
        away = rng(minute_of(start, 9, 5, 2, 0), minute_of(start, 9, 5, 5, 59))
        temp_bad = minute_of(start, 6, 1, 12, 0)
        th_silent = rng(minute_of(start, 10, 10, 8, 0), minute_of(start, 10, 10, 8, 59))
        hot = rng(minute_of(start, 7, 20, 13, 0), minute_of(start, 7, 20, 14, 59))
        replaced = minute_of(start, 4, 1, 0, 0)
    else:
        ups_none = l1_low = l3_high = away = th_silent = hot = set()
        dip_min = temp_bad = replaced = -1

    out = open(a.output, "w") if a.output else sys.stdout
    buf = []
    nrow = [0]

    def row(sec, point, value):
        nrow[0] += 1
        if nrow[0] % 1000 == 0:
            ts = datetime.datetime.fromtimestamp(sec, TZ).isoformat()
        else:
            ts = str(sec)
        buf.append("%s,%s,%s\n" % (ts, point, value))

    def th_rows(m):
        if m < 0 or m in away:
            return
        sec = t0 + 60 * m
        if m in th_silent:
            row(sec, "th1.temp", "")
            row(sec, "th1.hum", "nan")
            return
        temp = "150.0" if m == temp_bad else "28.5" if m in hot else "22.0"
        row(sec, "th1.temp", temp)
        row(sec, "th1.hum", "45.0")

    buf.append("# reference-room year trace %d%s (tests/tools/gen_trace.py)\n"
               % (a.year, " clean" if a.clean else ""))
    buf.append("ts,point,value\n")
    for m in range(nmin):
        if m not in away:
            sec = t0 + 60 * m
            row(sec, "ups1.output_source", "2" if m in ups_none else "3")
            row(sec, "meter1.v_l1", "190" if m in l1_low else "230")
            row(sec, "meter1.v_l2", "229")
            row(sec, "meter1.v_l3", "240" if m in l3_high else "231")
            if replaced >= 0 and m >= replaced:
                kwh = 0.5 * (m - replaced + 1)
            else:
                kwh = 1000 + 0.5 * m
            row(sec, "meter1.kwh", repr(kwh))
            if m == dip_min:
                row(sec + 20, "meter1.v_l2", "150")
                row(sec + 40, "meter1.v_l2", "229")
        th_rows(m - 1)
        if len(buf) > 20000:
            out.write("".join(buf))
            buf.clear()
    th_rows(nmin - 1)
    out.write("".join(buf))
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
