#!/usr/bin/python3
"""Notifications (issue 17): roomwatchd tells WeCom, DingTalk and Feishu robots, a JSON webhook
and a mail box about a real incident, through local receivers on 127.0.0.1.

Scenario (seconds after devsim starts): meter1.v_l1 dips to 190 V over [3, 9), so one major
power incident opens after the 2 s hold and resolves after the 3 s clear hold, as in
test_incidents.py. The robot receivers check the exact bodies (rebuilt here from the
incident's row in the store) and the DingTalk and Feishu signatures with the secret; the SMTP
sink (aiosmtpd, STARTTLS required with a certificate made here, AUTH LOGIN/PLAIN with the
password from a 0600 file) receives both mails.
The webhook receiver is down (nothing listens on its port) the whole time; once the incident
is resolved, roomwatchd is killed with SIGKILL, so both transitions are in the store but were
never delivered to the webhook. The receiver comes up and roomwatchd starts again: the webhook
gets the opened and the resolved notification once each, in order, and the robots, which had
them before the kill, get nothing twice. <prefix>/status shows the webhook failing, then ok.
`roomwatch notify test` reaches the WeCom receiver.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import ssl
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from harness import (BUILD, EMULATOR, Harness, agent_config, check, free_port, run, wait_for)

ROOMWATCH = os.path.join(BUILD, "tools", "roomwatch", "roomwatch")
TZ = ZoneInfo("Asia/Shanghai")
DT_SECRET = "SECdingtalk-test-1"
FS_SECRET = "SECfeishu-test-2"
SMTP_PASSWORD = "smtp-s3cret-3"


class Receiver:
    """An HTTP server on 127.0.0.1:port keeping every POST (path, query, JSON body); it can be
    started late, so that the port first refuses connections."""

    def __init__(self, port, reply):
        self.port, self.reply, self.posts, self.srv = port, reply, [], None
        self.lock = threading.Lock()

    def start(self):
        rec = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                u = urllib.parse.urlsplit(self.path)
                with rec.lock:
                    rec.posts.append((u.path, urllib.parse.parse_qs(u.query), json.loads(body),
                                      self.headers.get("Content-Type")))
                out = json.dumps(rec.reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.srv = ThreadingHTTPServer(("127.0.0.1", self.port), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.srv is not None:
            self.srv.shutdown()
            self.srv.server_close()
            self.srv = None

    def all(self):
        with self.lock:
            return list(self.posts)


class Mailbox:
    def __init__(self):
        self.mails = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):
        if not session.authenticated or session.ssl is None:
            return "530 authentication over TLS required"
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos),
                           envelope.content.decode("utf-8")))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((mechanism, auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"rw" and
                          auth_data.password == SMTP_PASSWORD.encode())


def local(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, TZ).strftime("%Y-%m-%d %H:%M:%S")


def lines(inc, event, lead="- "):
    """The lines of an incident's message, as config/README.md describes them (Chinese)."""
    out = [lead + "地点：站点 test，网关 gw，设备 meter1，测点 v_l1"]
    if event == "resolved":
        s = (inc["resolved_at"] - inc["detected_at"]) // 1000
        out.append(lead + "开始：%s，恢复：%s（历时 %s）" % (
            local(inc["started_at"]), local(inc["resolved_at"]),
            "%d 分 %d 秒" % (s // 60, s % 60) if s >= 60 else "%d 秒" % s))
    else:
        out.append(lead + "开始：%s（检测于 %s）" % (local(inc["started_at"]),
                                               local(inc["detected_at"])))
    out.append(lead + "数值：190 V（限值：198–235.4 V）")
    out.append(lead + "类别：电力，规则 mains")
    if event == "resolved":
        out.append(lead + "处理：请补记原因和措施：`roomwatch resolve %d --by 姓名 --cause 原因 "
                   "--measure 措施`" % inc["id"])
    else:
        out.append(lead + "处理：在网关执行 `roomwatch ack %d --by 姓名` 确认，或向 rw/test/cmd/ack "
                   "发送 {\"incident\":%d,\"by\":\"姓名\"}" % (inc["id"], inc["id"]))
    return "\n".join(out) + "\n"


def title(inc, event):
    return "【重要】%s #%d 市电电压异常" % ("故障恢复" if event == "resolved" else "故障发生",
                                      inc["id"])


def test():
    with Harness("notify") as h:
        pm, prob, phook, psmtp = free_port(), free_port(), free_port(), free_port()
        broker = h.mosquitto()
        robots = Receiver(prob, {"errcode": 0, "errmsg": "ok"}).start()
        hook = Receiver(phook, {"ok": True})  # down: started after the kill
        box = Mailbox()
        # A certificate for 127.0.0.1 that the channel's ca_file trusts.
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", h.path("smtp-key.pem"), "-out", h.path("smtp-ca.pem")],
                       check=True, capture_output=True, timeout=60)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(h.path("smtp-ca.pem"), h.path("smtp-key.pem"))
        smtp = Controller(box, hostname="127.0.0.1", port=psmtp, tls_context=tls,
                          require_starttls=True, authenticator=box.authenticate,
                          auth_require_tls=True)
        smtp.start()
        try:
            run_scenario(h, broker, robots, hook, box, pm, prob, phook, psmtp)
        finally:
            smtp.stop()
            robots.stop()
            hook.stop()


def run_scenario(h, broker, robots, hook, box, pm, prob, phook, psmtp):
    h.devsim("""
devices = (
  { id = "meter1"; profile = "eastron-sdm630"; transport = "tcp"; host = "127.0.0.1"; port = %d; unit = 1;
    values = { v_l1 = 230.0; }; }
);
scenario = (
  { at = 3.0; device = "meter1"; action = "set"; point = "v_l1"; value = 190.0; duration = 6.0; }
);
""" % pm)
    state = h.path("state")
    h.write("wecom.key", "wk-123/+\n", 0o600)
    h.write("dt.token", "dt-token\n", 0o600)
    h.write("dt.secret", DT_SECRET + "\n", 0o600)
    h.write("fs.hook", "fs-hook-id\n", 0o600)
    h.write("fs.secret", FS_SECRET + "\n", 0o600)
    h.write("smtp.pass", SMTP_PASSWORD + "\n", 0o600)
    base = "http://127.0.0.1:%d" % prob
    conf = agent_config(
        broker.port,
        ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
        ['id = "meter1"; kind = "meter"; bus = "a"; unit = 1; interval = 0.5; '
         'profile = "eastron-sdm630";'],
        extra="""
state_dir = "%s";
alarms = (
  { id = "mains"; name = "市电电压异常"; severity = "major"; category = "power";
    points = ["meter1.v_l1"]; outside = [198.0, 235.4]; hold = 2; clear_hold = 3; }
);
notify = (
  { id = "wecom"; type = "wecom"; url = "%s/cgi-bin/webhook/send"; key_file = "wecom.key"; },
  { id = "dingtalk"; type = "dingtalk"; url = "%s/robot/send"; key_file = "dt.token";
    secret_file = "dt.secret"; },
  { id = "feishu"; type = "feishu"; url = "%s/open-apis/bot/v2/hook"; key_file = "fs.hook";
    secret_file = "fs.secret"; },
  { id = "hook"; type = "webhook"; url = "http://127.0.0.1:%d/hook"; timeout = 2; },
  { id = "mail"; type = "email"; url = "smtp://127.0.0.1:%d"; from = "rw@example.org";
    to = ["duty@example.org"]; username = "rw"; password_file = "smtp.pass";
    ca_file = "smtp-ca.pem"; },
  { id = "quiet"; type = "webhook"; url = "http://127.0.0.1:%d/never";
    routes = ( { events = ["incident_opened"]; severities = ["critical"]; } ); }
);
""" % (state, base, base, base, phook, psmtp, phook))
    status = h.subscribe(broker.port, "rw/test/status")
    agent = h.roomwatchd(conf)

    def hook_state():
        docs = [d for _, _, d in status.json(r"status$") if d.get("notify")]
        return {c["channel"]: c for c in docs[-1]["notify"]}["hook"] if docs else None

    def robot(path):
        return [p for p in robots.all() if p[0].startswith(path)]

    wait_for(lambda: len(robot("/cgi-bin")) >= 2 and len(robot("/robot")) >= 2 and
             len(robot("/open-apis")) >= 2 and len(box.mails) >= 2, 40,
             "both notifications at every robot and the mail box")
    # The failing webhook is in <prefix>/status, once its episode started.
    wait_for(lambda: hook_state() and hook_state()["state"] == "failing", 10,
             "the failing webhook in the status")
    st = hook_state()
    check(st["type"] == "webhook" and st["attempts"] >= 1 and st["failing_since"] and
          st["last_error"] == "Couldn't connect to server", "status of the hook: %r" % st)
    # The robots' and the mail box's deliveries are recorded (each channel's cursor at the
    # log's end) before the kill: one a receiver has but the agent did not record yet would be
    # sent again after the restart, as documented, and that is not what this test is about.
    def recorded():
        c = sqlite3.connect("file:%s?mode=ro" % os.path.join(state, "roomwatch.db"), uri=True)
        try:
            top = c.execute("SELECT max(seq) FROM notify_event").fetchone()[0]
            cur = dict(c.execute("SELECT name, cursor FROM notify_channel"))
        finally:
            c.close()
        return top is not None and all(cur.get(n, 0) >= top
                                       for n in ("wecom", "dingtalk", "feishu", "mail", "quiet"))
    wait_for(recorded, 20, "the deliveries recorded in the store")
    # Both transitions are in the store; the webhook never got them. Kill -9 now.
    agent.signal(signal.SIGKILL)
    agent.p.wait(5)
    con = sqlite3.connect(os.path.join(state, "roomwatch.db"))
    con.row_factory = sqlite3.Row
    inc = dict(con.execute("SELECT * FROM incident").fetchone())
    log = [tuple(r) for r in con.execute("SELECT kind, ref, what FROM notify_event ORDER BY seq")]
    chans = {r["name"]: dict(r) for r in con.execute("SELECT * FROM notify_channel")}
    con.close()
    check(inc["resolved_at"] is not None and inc["detected_value"] == 190.0, "incident %r" % inc)
    check(log == [("incident", inc["id"], "opened"), ("incident", inc["id"], "resolved")],
          "notification log %r" % log)
    check(chans["hook"]["cursor"] == 0 and chans["hook"]["failing_since"] is not None and
          chans["hook"]["attempts"] >= 1 and chans["hook"]["last_error"],
          "the webhook's state while down: %r" % chans["hook"])
    check(chans["wecom"]["failing_since"] is None and chans["wecom"]["cursor"] == 2,
          "wecom's state: %r" % chans["wecom"])
    check(agent.text().count("notify hook: cannot deliver") == 1,
          "one log line for the failing episode:\n" + agent.text())
    for secret in ("wk-123", "dt-token", DT_SECRET, "fs-hook-id", FS_SECRET, SMTP_PASSWORD):
        check(secret not in agent.text(), "a secret in the log")

    # WeCom: exact bodies, the key in the query.
    w = robot("/cgi-bin")
    check(len(w) == 2, "wecom: %d posts" % len(w))
    for (path, q, body, ctype), ev in zip(w, ("opened", "resolved")):
        want = {"msgtype": "markdown",
                "markdown": {"content": "### %s\n%s" % (title(inc, ev), lines(inc, ev))}}
        check(q == {"key": ["wk-123/+"]} and ctype.startswith("application/json"),
              "wecom query %r %r" % (q, ctype))
        check(body == want, "wecom %s body:\n%r\nwanted\n%r" % (ev, body, want))

    # DingTalk: exact bodies, the signature checked with the secret.
    d = robot("/robot/send")
    check(len(d) == 2, "dingtalk: %d posts" % len(d))
    for (path, q, body, _), ev in zip(d, ("opened", "resolved")):
        ts = q["timestamp"][0]
        sign = base64.b64encode(hmac.new(DT_SECRET.encode(), ("%s\n%s" % (ts, DT_SECRET)).encode(),
                                         hashlib.sha256).digest()).decode()
        check(q["access_token"] == ["dt-token"] and q["sign"] == [sign],
              "dingtalk signature: %r, wanted %s" % (q, sign))
        check(abs(int(ts) - time.time() * 1000) < 120000, "dingtalk timestamp %s" % ts)
        want = {"msgtype": "markdown",
                "markdown": {"title": title(inc, ev),
                             "text": "### %s\n%s" % (title(inc, ev), lines(inc, ev))}}
        check(body == want, "dingtalk %s body:\n%r\nwanted\n%r" % (ev, body, want))

    # Feishu: a card, signed with timestamp "\n" secret as the key.
    f = robot("/open-apis")
    check(len(f) == 2 and all(p == "/open-apis/bot/v2/hook/fs-hook-id" for p, _, _, _ in f),
          "feishu paths %r" % [p for p, _, _, _ in f])
    for (path, q, body, _), ev in zip(f, ("opened", "resolved")):
        ts = body["timestamp"]
        sign = base64.b64encode(hmac.new(("%s\n%s" % (ts, FS_SECRET)).encode(), b"",
                                         hashlib.sha256).digest()).decode()
        want = {"msg_type": "interactive",
                "card": {"header": {"title": {"tag": "plain_text", "content": title(inc, ev)},
                                    "template": "green" if ev == "resolved" else "orange"},
                         "elements": [{"tag": "markdown", "content": lines(inc, ev)}]},
                "timestamp": ts, "sign": sign}
        check(body == want, "feishu %s body:\n%r\nwanted\n%r" % (ev, body, want))

    # The mails, plain text.
    check(len(box.mails) == 2, "mails: %d" % len(box.mails))
    check(box.logins and all(l[1:] == (b"rw", SMTP_PASSWORD.encode()) for l in box.logins),
          "SMTP logins %r" % box.logins)
    for (frm, rcpt, text), ev in zip(box.mails, ("opened", "resolved")):
        check(frm == "rw@example.org" and rcpt == ["duty@example.org"], "envelope %r %r" % (frm, rcpt))
        check("\nSubject: =?UTF-8?B?%s?=" % base64.b64encode(title(inc, ev).encode()).decode()
              in text.replace("\r\n", "\n"), "mail subject:\n" + text)
        check(text.replace("\r\n", "\n").endswith("\n\n%s\n\n%s" % (title(inc, ev), lines(inc, ev, ""))),
              "mail %s body:\n%s" % (ev, text))

    # The webhook comes up; roomwatchd starts again and delivers what the kill left.
    hook.start()
    agent = h.roomwatchd(conf, name="roomwatchd-2")
    wait_for(lambda: sum(len(b["notifications"]) for p, _, b, _ in hook.all() if p == "/hook") >= 2,
             40, "the webhook to get both notifications after the restart")
    time.sleep(3)
    check(hook_state()["state"] == "ok" and hook_state()["last_delivered"],
          "status of the hook after delivering: %r" % hook_state())
    got = [n for p, _, b, _ in hook.all() if p == "/hook" for n in b["notifications"]]
    check([(n["event"], n["incident"]["id"]) for n in got] ==
          [("incident_opened", inc["id"]), ("incident_resolved", inc["id"])],
          "webhook notifications, once each and in order: %r" % got)
    check(got[0]["incident"]["value"] == 190.0 and got[0]["incident"]["limit"] == "198–235.4 V" and
          got[0]["incident"]["severity"] == "major" and got[1]["incident"]["resolved"] is not None,
          "webhook facts %r" % got)
    check(not [p for p in hook.all() if p[0] == "/never"], "a route that takes only critical ones")
    check(len(robot("/cgi-bin")) == 2 and len(robot("/robot")) == 2 and
          len(robot("/open-apis")) == 2 and len(box.mails) == 2,
          "a robot or the mail box got something twice after the restart")

    out = subprocess.run(EMULATOR + [ROOMWATCH, "notify", "test", "wecom", "-c",
                                     h.path("roomwatchd.cfg")],
                         capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and "sent a test message over channel wecom" in out.stdout,
          "roomwatch notify test: %r %r" % (out.stdout, out.stderr))
    t = robot("/cgi-bin")[-1][2]["markdown"]["content"]
    check(len(robot("/cgi-bin")) == 3 and "测试消息" in t and "通道 wecom" in t, "test message %r" % t)
    out = subprocess.run(EMULATOR + [ROOMWATCH, "notify", "test", "nosuch", "-c",
                                     h.path("roomwatchd.cfg")],
                         capture_output=True, text=True, timeout=30)
    check(out.returncode == 2 and "no channel \"nosuch\"" in out.stderr, "unknown channel: %r" % out.stderr)
    check(agent.stop() == 0, "clean stop")


run(test)
