#!/usr/bin/python3
"""The demo room's services (tools/demo.sh): a small web application (HTTP on 127.0.0.1,
GET /health answers 200 "ok") and a database port (a TCP listener on 127.0.0.1 that accepts
and closes, as a database's listener looks to a tcp probe). In the scenario the database
goes away for a minute: its listener closes --db-down-at s after start and opens again
--db-down-for s later.

    tools/demo-services.py --web-port P --db-port Q [--db-down-at 15] [--db-down-for 60]

Runs until SIGTERM; prints one line when the database goes down and when it is back.
"""
import argparse
import http.server
import signal
import socket
import sys
import threading
import time


class Web(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = (200, b"ok\n") if self.path == "/health" else (404, b"no such page\n")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def db_listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    s.settimeout(0.2)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--web-port", type=int, required=True)
    ap.add_argument("--db-port", type=int, required=True)
    ap.add_argument("--db-down-at", type=float, default=15.0)
    ap.add_argument("--db-down-for", type=float, default=60.0)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))

    web = http.server.ThreadingHTTPServer(("127.0.0.1", args.web_port), Web)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    t0 = time.monotonic()
    db = db_listener(args.db_port)
    down_at, up_at = t0 + args.db_down_at, t0 + args.db_down_at + args.db_down_for
    print("demo-services: web on %d, database on %d" % (args.web_port, args.db_port), flush=True)
    while True:
        now = time.monotonic()
        if db is not None and down_at <= now < up_at:
            db.close()
            db = None
            print("demo-services: database down for %g s" % args.db_down_for, flush=True)
        elif db is None and now >= up_at:
            db = db_listener(args.db_port)
            print("demo-services: database back", flush=True)
        if db is None:
            time.sleep(0.2)
            continue
        try:
            c, _ = db.accept()
            c.close()
        except socket.timeout:
            pass


if __name__ == "__main__":
    main()
