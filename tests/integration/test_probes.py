#!/usr/bin/python3
"""Service probes against real local servers on 127.0.0.1 (issue 13, "Done when").

Peers: an https server (python3 http.server behind a certificate made here with openssl,
valid for a year) answering /health with 200 "ok" and /fail with 500; a second https server
whose certificate expires in 10 days; a TCP listener that the test stops for a few seconds
and starts again; a server that accepts connections and never answers; a port nothing
listens on; a small DNS responder; ICMP echo to 127.0.0.1.

Checked: each probe's telemetry (up, latency, status, cert_days, quality timeout / io_error /
exception with the HTTP status as code, rtt and loss, DNS answers and NXDOMAIN), and, from the
store after a clean stop, the availability and downtime of the TCP service against the outage
the test caused, to the second; the never-answering service is down all the time it was
probed. Finally the probes' telemetry, written out as a trace, is replayed with `roomwatch
replay` on the same config: it gives the daemon's down time to the millisecond."""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time

from harness import BUILD, EMULATOR, Harness, agent_config, check, free_port, run, wait_for

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")

INTERVAL = 0.5

HTTPS_SERVER = r'''
import http.server, ssl, sys, time
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, with_body):
        code, body = (200, b"all ok\n") if self.path == "/health" else (500, b"broken\n")
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)
    def do_GET(self):
        if self.path == "/pieces":
            # The body in pieces that arrive apart: "token-4711" spans three of them.
            self.send_response(200)
            self.end_headers()
            for piece in (b"x" * 3000 + b"tok", b"en-4", b"711" + b"y" * 100):
                self.wfile.write(piece)
                self.wfile.flush()
                time.sleep(0.03)
            return
        self.answer(True)
    def do_HEAD(self):
        self.answer(False)
    def log_message(self, *a):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
class S(http.server.ThreadingHTTPServer):
    # The handshake in the connection's own thread: a wrapped listening socket would make
    # accept() do every handshake in turn, and under qemu the later probes time out.
    def finish_request(self, request, client_address):
        self.RequestHandlerClass(ctx.wrap_socket(request, server_side=True), client_address,
                                 self)
    def handle_error(self, request, client_address):
        pass  # a client that refuses the certificate ends its handshake: expected here
S(("127.0.0.1", port), H).serve_forever()
'''

# Listens, and (mode "hang") accepts without ever answering; (mode "tcp") accepts and closes.
LISTENER = r'''
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(64)
held = []
while True:
    c, _ = s.accept()
    if mode == "hang":
        held.append(c)
    else:
        c.close()
'''

# Answers A queries for app.test with 127.0.0.1 and 127.0.0.2; NXDOMAIN for anything else.
DNS_SERVER = r'''
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    q, a = s.recvfrom(512)
    qid, flags = struct.unpack(">HH", q[:4])
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode()); i += 1 + q[i]
    question = q[12:i + 5]
    name = ".".join(labels).lower()
    if name == "app.test":
        ans = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, n])
                       for n in (1, 2))
        hdr = struct.pack(">HHHHHH", qid, 0x8180, 1, 2, 0, 0)
    else:
        ans = b""
        hdr = struct.pack(">HHHHHH", qid, 0x8183, 1, 0, 0, 0)
    s.sendto(hdr + question + ans, a)
'''


def make_cert(h, name, days):
    key, cert = h.path(name + ".key"), h.path(name + ".pem")
    # ECDSA P-256: a handshake is cheap even for an emulated aarch64 roomwatchd.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                    "-out", cert, "-days", str(days), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def listener(h, port, mode, name):
    p = h.start(name, [sys.executable, h.write(name + ".py", LISTENER), str(port), mode])
    wait_for(lambda: port_listening(port), 10, "%s on %d" % (name, port))
    return p


def port_listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def last_points(sub, dev):
    docs = sub.json("telemetry/%s$" % dev)
    return docs[-1][2]["points"] if docs else None


def test():
    with Harness("probes") as h:
        broker = h.mosquitto()
        cert, key = make_cert(h, "app", 365)
        cert10, key10 = make_cert(h, "soon", 10)
        https_port, soon_port, tcp_port, hang_port, dead_port, dns_port = (
            free_port() for _ in range(6))
        server = h.write("https_server.py", HTTPS_SERVER)
        h.start("https", [sys.executable, server, str(https_port), cert, key])
        h.start("https-soon", [sys.executable, server, str(soon_port), cert10, key10])
        wait_for(lambda: port_listening(https_port) and port_listening(soon_port), 10,
                 "https servers")
        db = listener(h, tcp_port, "tcp", "db-1")
        listener(h, hang_port, "hang", "hang")
        h.start("dns", [sys.executable, h.write("dns_server.py", DNS_SERVER), str(dns_port)])
        time.sleep(0.3)

        state = h.path("state")
        common = 'kind = "service"; interval = %g; timeout = 0.3;' % INTERVAL
        # https: a TLS handshake takes a while under qemu (the aarch64 test variant).
        tls = 'kind = "service"; interval = 1.0; timeout = 0.8;'
        devices = [
            'id = "app1"; %s probe = { type = "http"; url = "https://127.0.0.1:%d/health"; '
            'ca_file = "%s"; body = "ok"; };' % (tls, https_port, cert),
            'id = "app2"; %s probe = { type = "http"; url = "https://127.0.0.1:%d/fail"; '
            'ca_file = "%s"; };' % (tls, https_port, cert),
            'id = "pieces"; %s probe = { type = "http"; url = "https://127.0.0.1:%d/pieces"; '
            'ca_file = "%s"; body = "token-4711"; };' % (tls, https_port, cert),
            'id = "nobody"; %s probe = { type = "http"; url = "https://127.0.0.1:%d/health"; '
            'ca_file = "%s"; body = "token-4711"; };' % (tls, https_port, cert),
            'id = "noverify"; %s probe = { type = "http"; url = "https://127.0.0.1:%d/health"; '
            'verify = false; };' % (tls, https_port),
            'id = "untrusted"; %s probe = { type = "http"; url = "https://127.0.0.1:%d/health"; '
            '};' % (tls, https_port),
            'id = "soon"; %s probe = { type = "http"; url = "https://127.0.0.1:%d/health"; '
            'ca_file = "%s"; method = "HEAD"; };' % (tls, soon_port, cert10),
            'id = "db1"; %s probe = { type = "tcp"; host = "127.0.0.1"; port = %d; };'
            % (common, tcp_port),
            'id = "hang"; %s probe = { type = "http"; url = "http://127.0.0.1:%d/"; };'
            % (common, hang_port),
            'id = "dead"; %s probe = { type = "tcp"; host = "127.0.0.1"; port = %d; };'
            % (common, dead_port),
            'id = "line1"; %s probe = { type = "icmp"; host = "127.0.0.1"; count = 3; };'
            % common,
            'id = "dns1"; %s probe = { type = "dns"; name = "app.test."; server = "127.0.0.1"; '
            'port = %d; };' % (common, dns_port),
            'id = "dns2"; %s probe = { type = "dns"; name = "nope.test"; server = "127.0.0.1"; '
            'port = %d; };' % (common, dns_port),
        ]
        indicators = """
state_dir = "%s";
checkpoint_interval = 1;
indicators = (
  { id = "db_avail"; name = "网络正常运行率"; kind = "availability"; points = ["db1.up"];
    target = "≥99 %%"; },
  { id = "db_down"; name = "数据库停机时间"; kind = "downtime"; points = ["db1.up"];
    target = "≤48(小时)"; },
  { id = "hang_avail"; name = "查询客户端可用率"; kind = "availability"; points = ["hang.up"];
    target = "≥90(%%)"; }
);
alarms = (
  { id = "service_down"; severity = "major"; category = "device"; devices = ["db1", "app2"];
    no_answer = 3; hold = 0; clear_hold = 1; },
  { id = "app_error"; severity = "minor"; category = "device"; points = ["app2.status"];
    above = 499.0; }
);
""" % state
        # One subscriber: the harness names its client by process and broker port.
        sub = h.subscribe(broker.port, "rw/test/#")
        inc = sub
        rwd = h.roomwatchd(agent_config(broker.port, [], devices, extra=indicators))

        wait_for(lambda: all(last_points(sub, d) for d in
                             ("app1", "app2", "pieces", "nobody", "noverify", "untrusted", "soon", "db1", "hang", "dead", "line1", "dns1",
                              "dns2")), 15, "telemetry of every probe")
        time.sleep(1.0)

        # Under qemu a TLS handshake can outlast a probe's 0.8 s now and then: an https
        # probe's checks wait until its latest document is an answer, not a timeout.
        def answered(dev):
            def ok():
                p = last_points(sub, dev)
                return p if p["up"]["quality"] != "timeout" else None
            return wait_for(ok, 15, "an answer to " + dev)

        p = answered("app1")
        check(p["up"]["quality"] == "good" and p["up"]["value"] == 1, "app1.up: %r" % p)
        check(p["status"]["value"] == 200, "app1.status: %r" % p)
        check(0 < p["latency_ms"]["value"] < 300, "app1.latency_ms: %r" % p)
        check(364 <= p["cert_days"]["value"] <= 365, "app1.cert_days: %r" % p)
        check(p["cert_days"]["unit"] == "d", "cert_days unit: %r" % p)

        p = answered("app2")
        check(p["up"]["quality"] == "exception" and p["up"]["code"] == 500 and
              p["up"]["value"] is None, "app2.up: %r" % p)
        check(p["status"]["quality"] == "good" and p["status"]["value"] == 500,
              "app2.status: %r" % p)

        p = answered("pieces")
        check(p["up"]["value"] == 1, "the body string across three pieces: %r" % p)
        p = answered("nobody")
        check(p["up"]["quality"] == "exception" and p["up"]["code"] == 200 and
              p["status"]["value"] == 200, "a body without the string: %r" % p)

        # Not verified: up, and the certificate's days still reported; verified against the
        # system's trust store, which does not hold the test's certificate: refused.
        p = answered("noverify")
        check(p["up"]["value"] == 1 and 364 <= p["cert_days"]["value"] <= 365,
              "noverify: %r" % p)
        p = answered("untrusted")
        check(p["up"]["quality"] == "io_error" and p["cert_days"]["quality"] == "io_error",
              "untrusted: %r" % p)

        p = answered("soon")
        check(p["up"]["value"] == 1, "soon.up: %r" % p)
        check(9 <= p["cert_days"]["value"] <= 10, "soon.cert_days: %r" % p)

        p = last_points(sub, "hang")
        check(p["up"]["quality"] == "timeout" and p["latency_ms"]["quality"] == "timeout",
              "hang: %r" % p)
        p = last_points(sub, "dead")
        check(p["up"]["quality"] == "io_error", "dead: %r" % p)

        p = last_points(sub, "line1")
        check(p["up"]["value"] == 1 and p["loss"]["value"] == 0 and
              0 <= p["rtt_ms"]["value"] < 100, "line1: %r" % p)

        p = last_points(sub, "dns1")
        check(p["up"]["value"] == 1 and p["answers"]["value"] == 2, "dns1: %r" % p)
        p = last_points(sub, "dns2")
        check(p["up"]["quality"] == "exception" and p["up"]["code"] == 3, "dns2: %r" % p)

        # The database listener goes away for a while and comes back.
        time.sleep(2.0)
        check(db.stop() == -15 or not db.alive(), "db listener stop")
        t_down = time.time()
        wait_for(lambda: (last_points(sub, "db1") or {}).get("up", {}).get("quality")
                 == "io_error", 5, "db1 down")
        time.sleep(4.0)
        listener(h, tcp_port, "tcp", "db-2")
        t_up = time.time()
        wait_for(lambda: (last_points(sub, "db1") or {}).get("up", {}).get("value") == 1, 5,
                 "db1 up again")
        time.sleep(2.0)
        # The outage opened a no_answer incident for db1 that resolved by itself; app2's 500s
        # are answers: no no_answer incident, but its status rule fired.
        def incidents(rule, event):
            return [d for _, _, d in inc.json(r"incident/\d+$")
                    if d["rule"] == rule and d["event"] == event]
        wait_for(lambda: [d for d in incidents("service_down", "resolved")
                          if d["device"] == "db1"], 10, "db1's incident to resolve")
        opened = incidents("service_down", "detected")
        check(len(opened) == 1 and opened[0]["device"] == "db1",
              "one no_answer incident, db1's: %r" % opened)
        check([d for d in incidents("app_error", "detected") if d["device"] == "app2"],
              "app2's status rule opened no incident")
        check(rwd.stop() == 0, "clean stop: " + rwd.text()[-3000:])

        log = rwd.text()
        check("probe db1 (tcp 127.0.0.1:%d): down: connect: Connection refused" % tcp_port in log,
              "a line saying why db1 is down:\n" + log[-3000:])
        check(log.count("probe db1 (tcp 127.0.0.1:%d): up again" % tcp_port) == 1,
              "one 'up again' line for db1:\n" + log[-3000:])
        check("probe app2 (https://127.0.0.1:%d/fail): down: HTTP status 500" % https_port
              in log, "app2's reason:\n" + log[-3000:])
        check(log.count("probe hang (http://127.0.0.1:%d/): down: " % hang_port) == 1,
              "one line for the never-answering service, not one per probe:\n" + log[-3000:])
        check("probe untrusted (https://127.0.0.1:%d/health): down: SSL certificate problem"
              % https_port in log, "untrusted's reason:\n" + log[-3000:])

        con = sqlite3.connect(os.path.join(state, "roomwatch.db"))

        def ms(ind):
            return con.execute("SELECT sum(good_ms), sum(bad_ms), sum(unknown_ms) FROM "
                               "indicator_day WHERE indicator = ?", (ind,)).fetchone()
        up, down, _ = ms("db_avail")
        caused = t_up - t_down
        print("probes: outage caused %.3f s, measured down %.3f s, up %.3f s"
              % (caused, down / 1000.0, up / 1000.0))
        check(abs(down / 1000.0 - caused) <= 1.0,
              "db1 down %.3f s, the test caused %.3f s" % (down / 1000.0, caused))
        d_up, d_down, _ = ms("db_down")
        check(d_down == down and d_up == up, "downtime and availability count the same time")
        h_up, h_down, _ = ms("hang_avail")
        check(h_up == 0 and h_down > 0, "hang: up %d ms, down %d ms" % (h_up, h_down))
        con.close()

        # The same samples as a trace: replay gives the daemon's values.
        rows = ["ts,point,value"]
        for dev in ("db1", "hang"):
            for _, _, doc in sub.json("telemetry/%s$" % dev):
                v = doc["points"]["up"]["value"]
                rows.append("%s,%s.up,%s" % (doc["time"], dev, "" if v is None else v))
        trace = h.write("probes.csv", "\n".join(rows) + "\n")
        r = subprocess.run(EMULATOR + [ROOMWATCH, "replay", "-c", h.path("roomwatchd.cfg"),
                                       "--trace", trace, "--json"],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "replay: exit %d: %s" % (r.returncode, r.stderr))
        got = {i["id"]: i for i in json.loads(r.stdout)["indicators"]}
        ev = got["db_avail"]["evidence"]
        print("probes: replay down %.3f s, up %.3f s" % (ev["down_s"], ev["up_s"]))
        check(abs(ev["down_s"] - down / 1000.0) <= 0.002,
              "replay down %.3f s, the daemon's %.3f s" % (ev["down_s"], down / 1000.0))
        # The daemon's time ends at its stop; a trace's last sample holds up to its stale limit.
        check(-0.01 <= ev["up_s"] - up / 1000.0 <= 3 * INTERVAL + 0.01,
              "replay up %.3f s, the daemon's %.3f s" % (ev["up_s"], up / 1000.0))
        check(abs(got["db_down"]["value"] * 3600 - down / 1000.0) <= 0.002,
              "replay downtime %r h" % got["db_down"]["value"])
        check(got["hang_avail"]["value"] == 0, "replay hang: %r" % got["hang_avail"])


run(test)
