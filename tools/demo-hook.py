#!/usr/bin/python3
"""The demo's notification receiver: a JSON webhook on 127.0.0.1:PORT that stands in for the
duty group's robot. Every notification roomwatchd sends it is appended to LOG as one line
(time received, event, title) and the bodies, whole, to LOG.json; tools/demo.sh shows LOG.

    demo-hook.py --port PORT --log FILE
"""
import argparse
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                doc = json.loads(body)
                with open(args.log + ".json", "a") as f:
                    f.write(json.dumps(doc, ensure_ascii=False) + "\n")
                with open(args.log, "a") as f:
                    for n in doc.get("notifications", []):
                        f.write("%s  %-18s %s\n" % (time.strftime("%H:%M:%S"), n.get("event"),
                                                    n.get("title")))
                self.send_response(200)
            except (ValueError, AttributeError):
                self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    ThreadingHTTPServer(("127.0.0.1", args.port), Hook).serve_forever()


if __name__ == "__main__":
    main()
