#!/usr/bin/python3
"""MQTT over TLS with a username and a password read from a file: roomwatchd verifies the
broker's certificate against the configured CA (host name included), logs in, publishes,
and the password appears in no log line. A password file readable by others is refused."""
import os
import ssl
import subprocess

import paho.mqtt.client as mqtt

from harness import Harness, ROOMWATCHD, agent_config, check, free_port, port_open, \
    run, wait_for

PASSWORD = "s3cret-Pa55-do-not-log"


def make_pki(h):
    """A throwaway CA and a server certificate for localhost, with openssl."""
    d = h.path("pki")
    os.makedirs(d)

    def ssl_cmd(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True, capture_output=True)

    ssl_cmd("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=roomwatch test CA", "-keyout", "ca.key", "-out", "ca.pem")
    ssl_cmd("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    ssl_cmd("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem")
    return d


def test():
    with Harness("mqtt_tls_auth") as h:
        pki = make_pki(h)
        port = free_port()
        pwfile = h.path("mosquitto.passwd")
        subprocess.run(["mosquitto_passwd", "-b", "-c", pwfile, "roomwatch", PASSWORD],
                       check=True, capture_output=True)
        subprocess.run(["mosquitto_passwd", "-b", pwfile, "tester", "tester-pw"],
                       check=True, capture_output=True)
        conf = h.write("mosquitto-tls.conf", "\n".join([
            "listener %d 127.0.0.1" % port, "allow_anonymous false",
            "password_file " + pwfile, "cafile " + os.path.join(pki, "ca.pem"),
            "certfile " + os.path.join(pki, "server.pem"),
            "keyfile " + os.path.join(pki, "server.key"), "persistence false",
            "user root" if os.geteuid() == 0 else ""]) + "\n")
        h.start("mosquitto-tls", ["mosquitto", "-c", conf])
        wait_for(lambda: port_open(port), 10, "mosquitto TLS listener")

        got = []
        c = mqtt.Client(client_id="rw-tls-test-%d" % os.getpid())
        c.username_pw_set("tester", "tester-pw")
        c.tls_set(ca_certs=os.path.join(pki, "ca.pem"), cert_reqs=ssl.CERT_REQUIRED)
        c.on_connect = lambda cl, u, f, rc: cl.subscribe("rw/test/#", qos=1)
        c.on_message = lambda cl, u, m: got.append(m.topic)
        c.connect("localhost", port)
        c.loop_start()
        try:
            secret = h.write("mqtt.pass", PASSWORD + "\n", mode=0o600)
            pm = free_port()
            h.devsim('devices = ( { id = "m"; profile = "eastron-sdm630"; transport = "tcp"; '
                     'host = "127.0.0.1"; port = %d; unit = 1; } );' % pm)
            cfg = agent_config(
                port, ['id = "a"; type = "tcp"; host = "127.0.0.1"; port = %d;' % pm],
                ['id = "m"; kind = "meter"; bus = "a"; unit = 1; interval = 1.0; profile = "eastron-sdm630";'],
                mqtt_extra='username = "roomwatch"; password_file = "%s"; ca_file = "%s";' % (
                    secret, os.path.join(pki, "ca.pem"))).replace(
                "tcp://127.0.0.1:%d" % port, "mqtts://localhost:%d" % port)
            agent = h.roomwatchd(cfg, verbose=True)
            wait_for(lambda: "rw/test/telemetry/m" in got, 30, "telemetry over TLS")
            check(PASSWORD not in agent.text(), "the password appears in roomwatchd's log")

            # The same config with a world-readable password file is refused, naming the line.
            os.chmod(secret, 0o644)
            path = h.write("loose.cfg", cfg)
            r = subprocess.run([ROOMWATCHD, "-t", "-c", path], capture_output=True, text=True)
            check(r.returncode == 2 and "password_file" in r.stderr and path + ":" in r.stderr,
                  "world-readable password file: exit %d, %s" % (r.returncode, r.stderr))
            check(PASSWORD not in r.stderr + r.stdout, "the password appears in -t output")

            # A wrong CA: the certificate check fails and nothing is published.
            other = make_pki_other(h)
            os.chmod(secret, 0o600)
            bad = h.roomwatchd(cfg.replace(os.path.join(pki, "ca.pem"), other), name="wrongca")
            wait_for(lambda: "certificate verify failed" in bad.text(), 20,
                     "a certificate failure in the log")
            check(PASSWORD not in bad.text(), "the password appears in the wrong-CA log")
        finally:
            c.loop_stop()
            c.disconnect()


def make_pki_other(h):
    d = h.path("pki-other")
    os.makedirs(d)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=some other CA", "-keyout", "ca.key", "-out", "ca.pem"],
                   cwd=d, check=True, capture_output=True)
    return os.path.join(d, "ca.pem")


run(test)
