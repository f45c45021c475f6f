#!/usr/bin/python3
"""Live table of what a roomwatch agent publishes: subscribes to <prefix>/# on a broker and
redraws, once a second, the latest value, unit, quality and age of every point it has seen,
the indicators, and the target alerts as they fire (<prefix>/alert/#, the last 8).

    tools/demo-watch.py --port 18830 --prefix roomwatch/v1/demo/gw1 [--duration 30]

In a terminal the table is redrawn in place; when stdout is not a terminal (a log, a test) a
snapshot is printed every --every seconds instead.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time

import paho.mqtt.client as mqtt


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.devices = {}  # device -> (received monotonic, document)
        self.indicators = {}  # id -> document
        self.alerts = []  # alert documents, as they fire (the last ALERTS_SHOWN shown)
        self.status = "unknown"
        self.count = 0
        self.connected = False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--duration", type=float, default=0, help="exit after this many seconds")
    ap.add_argument("--every", type=float, default=5, help="snapshot period when not a tty")
    args = ap.parse_args()

    st = State()
    prefix = args.prefix.rstrip("/")

    def on_connect(c, u, flags, rc):
        st.connected = rc == 0
        c.subscribe(prefix + "/#", qos=1)

    def on_disconnect(c, u, rc):
        st.connected = False

    def on_message(c, u, m):
        sub = m.topic[len(prefix) + 1:]
        try:
            doc = json.loads(m.payload.decode("utf-8"))
        except ValueError:
            return
        with st.lock:
            st.count += 1
            if sub == "status":
                st.status = doc.get("state", "?")
            elif sub.startswith("telemetry/"):
                st.devices[sub[len("telemetry/"):]] = (time.monotonic(), doc)
            elif sub.startswith("indicator/"):
                st.indicators[sub[len("indicator/"):]] = doc
            elif sub.startswith("alert/"):
                # QoS 1 may bring one twice: the id says so.
                if all(a.get("id") != doc.get("id") for a in st.alerts):
                    st.alerts.append(doc)
                    del st.alerts[:-ALERTS_SHOWN]

    c = mqtt.Client(client_id="roomwatch-demo-watch-%d" % os.getpid())
    c.on_connect = on_connect
    c.on_disconnect = on_disconnect
    c.on_message = on_message
    c.connect_async(args.host, args.port, keepalive=30)
    c.loop_start()

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    tty = sys.stdout.isatty()
    t0 = time.monotonic()
    last_snapshot = 0.0
    while not stop.is_set():
        now = time.monotonic()
        if args.duration and now - t0 >= args.duration:
            break
        if tty or now - last_snapshot >= args.every:
            last_snapshot = now
            out = render(st, args, now)
            if tty:
                sys.stdout.write("\x1b[H\x1b[2J" + out)
            else:
                sys.stdout.write(out + "\n")
            sys.stdout.flush()
        stop.wait(1.0)
    if not tty:
        sys.stdout.write(render(st, args, time.monotonic()) + "\n")
    c.loop_stop()
    c.disconnect()


ALERTS_SHOWN = 8


def fmt_value(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return "%.6g" % v
    return str(v)


def pad_cjk(text, width):
    """Cuts or pads text to width terminal columns (a CJK character takes two)."""
    out, cols = "", 0
    for ch in text:
        w = 2 if ord(ch) > 0x2E7F else 1
        if cols + w > width:
            break
        out += ch
        cols += w
    return out + " " * (width - cols)


def render(st, args, now):
    with st.lock:
        devices = dict(st.devices)
        indicators = dict(st.indicators)
        alerts = list(st.alerts)
        status, count, connected = st.status, st.count, st.connected
    lines = [
        "roomwatch demo - broker %s:%d %s - agent %s - %d messages - %s" % (
            args.host, args.port, "connected" if connected else "NOT connected", status, count,
            time.strftime("%H:%M:%S")),
        "",
        "%-10s %-16s %14s %-6s %-13s %6s" % ("device", "point", "value", "unit", "quality", "age"),
        "-" * 70,
    ]
    if not devices:
        lines.append("(waiting for telemetry on %s/telemetry/#)" % args.prefix)
    for dev in sorted(devices):
        rx, doc = devices[dev]
        age = "%.0fs" % (now - rx)
        for name, p in sorted(doc.get("points", {}).items()):
            q = p.get("quality", "?")
            lines.append("%-10s %-16s %14s %-6s %-13s %6s" % (
                dev, name, fmt_value(p.get("value")), p.get("unit", ""),
                q if q == "good" else q.upper(), age))
    if indicators:
        lines += ["", "%-20s %-22s %12s %-5s %-10s %-6s %s" % (
            "indicator", "form line", "value", "unit", "target", "met", "status"), "-" * 90]
        for iid in sorted(indicators):
            d = indicators[iid]
            met = d.get("met")
            lines.append("%-20s %-22s %12s %-5s %-10s %-6s %s" % (
                iid, pad_cjk(d.get("name") or "", 22), fmt_value(d.get("value")),
                d.get("unit") or "", d.get("target") or "-",
                "-" if met is None else ("yes" if met else "NO"), d.get("status") or "-"))
    if alerts:
        lines += ["", "alerts (%s/alert/#), newest last" % args.prefix, "-" * 90]
        for a in alerts:
            lines.append("%s  %-20s %s -> %s" % ((a.get("at") or "")[11:19], a.get("indicator"),
                                                 a.get("previous"), str(a.get("state")).upper()))
            lines.append("          " + (a.get("explanation") or ""))
    lines.append("")
    lines.append("Ctrl-C to stop" if args.duration == 0 else
                 "stops after %g s" % args.duration)
    return "\n".join(lines)


if __name__ == "__main__":
    main()
