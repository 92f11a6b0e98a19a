"""The admin API over TLS (docs/security.md, "TLS on the admin API").

A 3-node cluster whose certificates come from deploy/examples/tls/
make-ca.sh: hactl (from the config, and with --cacert) and curl with the
CA reach every node, curl with a new handshake per request (every answer
closes its connection); a write sent to a follower is forwarded to the
leader over TLS; the console's page, live stream and cluster view work
over HTTPS; plain HTTP on the port gets a JSON 400; a client that does
not trust the CA gets no answer; a follower that does not trust the
leader's certificate cannot forward (503, saying why); and the leader's
successor probe on SIGTERM gets its answers over TLS.
"""
import json
import os
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request

from hamdtest import (HACTL, MAKE_CA, Cluster, check, curl_connects,
                      http_raw, log, node_status, run, sim_account, wait_for,
                      wait_one_publisher)

SYMBOLS = ["rb2601.SHFE"]
START_TIMEOUT_S = 30


def curl(c, idx, path, *extra):
    """(exit status, output) of curl on node idx's path with the CA."""
    r = subprocess.run(["curl", "-s", "--max-time", "5", "--cacert", c.ca] +
                       list(extra) + [c.url(idx, path)],
                       capture_output=True, text=True)
    return r.returncode, r.stdout


def knows_leader(c, idx):
    """True once node idx answers over TLS and knows who leads."""
    st = node_status(c, idx, timeout=1)
    return bool(st and st.get("leader"))


def test_tls_cluster():
    c = Cluster(3, [sim_account("sim_a", 1, ["SHFE"])], SYMBOLS, name="tls",
                tls=True)
    c.start()
    try:
        leader = wait_one_publisher(c, timeout=START_TIMEOUT_S)
        follower = (leader + 1) % 3
        log("leader node %d" % (leader + 1))
        for i in range(3):
            check("admin: listening on https://" in c.log_text(i),
                  "node %d does not serve HTTPS" % (i + 1))

        # hactl: the config says TLS and which CA; or -H https:// --cacert.
        out = c.hactl("status").stdout
        check(out.count("127.0.0.1:") == 3 and "unreachable" not in out,
              "hactl status over TLS:\n" + out)
        r = subprocess.run([HACTL, "-H", "https://" + c.nodes[follower]["admin"],
                            "--cacert", c.ca, "members"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "hactl --cacert members: %s" % r.stderr)
        # curl with the CA.
        if shutil.which("curl"):
            rc, body = curl(c, follower, "/livez")
            check(rc == 0 and '"status":"ok"' in body, "curl: %d %r" % (rc, body))
        # Every answer closes its connection (docs/security.md): a client
        # that keeps connections alive makes a new handshake per request.
        connects = curl_connects(c, follower, ["/livez", "/api/status", "/"])
        check(connects in (None, [1, 1, 1]),
              "curl reused a TLS connection: %r connects" % connects)

        # The console over HTTPS: its page, and its live stream (SSE).
        status, hdrs, raw = http_raw(c.nodes[follower]["admin"], "GET", "/",
                                     ca=c.ca)
        check(status == 200 and hdrs.get("content-type", "").startswith("text/html"),
              "console page over HTTPS: %d %r" % (status, hdrs))
        ctx = ssl.create_default_context(cafile=c.ca)
        with urllib.request.urlopen(c.url(follower, "/api/stream?level=info"),
                                    timeout=5, context=ctx) as r:
            got = ""
            while "event: status" not in got:
                chunk = r.read1(4096).decode()
                check(chunk, "the stream ended: %r" % got)
                got += chunk
        # /api/cluster: the node asks the others over TLS.
        view = c.api(follower, "GET", "/api/cluster")[1]
        check(isinstance(view, dict) and "unreachable" not in json.dumps(view),
              "/api/cluster over TLS: %r" % view)

        # A write to a follower is forwarded to the leader over TLS.
        status, hdrs, raw = http_raw(c.nodes[follower]["admin"], "POST",
                                     "/api/subscriptions",
                                     '{"symbols": ["cu2601.SHFE"]}',
                                     {"Content-Type": "application/json"},
                                     ca=c.ca)
        check(status == 200 and hdrs.get("x-hamd-leader") == str(leader + 1),
              "forwarded write: %d %r %r" % (status, hdrs, raw))

        # Plain HTTP on the port: a JSON 400 that says why.
        status, hdrs, raw = http_raw(c.nodes[leader]["admin"], "GET", "/livez")
        check(status == 400 and b"HTTPS" in raw and
              hdrs.get("content-type") == "application/json",
              "plain HTTP: %d %r" % (status, raw))
        # A client that does not trust the CA gets nothing.
        try:
            urllib.request.urlopen(c.url(leader, "/livez"), timeout=5,
                                   context=ssl.create_default_context())
            raise AssertionError("a client without the CA was answered")
        except urllib.error.URLError as e:
            check(isinstance(e.reason, ssl.SSLCertVerificationError),
                  "expected a certificate error, got %r" % e.reason)

        # A follower that trusts another CA cannot forward to the leader.
        other = os.path.join(c.dir, "other-ca")
        subprocess.run(["sh", MAKE_CA, other], capture_output=True)
        subprocess.run(["sh", MAKE_CA, other, "x=127.0.0.9"],
                       capture_output=True, check=True)
        cfg = c.nodes[follower]["config"]
        with open(cfg) as f:
            text = f.read()
        c.stop(follower)
        with open(cfg, "w") as f:
            f.write(text.replace("tls_ca = %s" % c.ca,
                                 "tls_ca = %s/ca.pem" % other))
        c.start(follower)
        wait_for(lambda: knows_leader(c, follower), START_TIMEOUT_S,
                 "the follower back, knowing the leader")
        status, body = c.api(follower, "POST", "/api/subscriptions",
                             {"symbols": ["i2601.DCE"]})
        check(status == 503 and "certificate" in body.get("error", ""),
              "forwarding to an untrusted leader: %d %r" % (status, body))
        c.stop(follower)
        with open(cfg, "w") as f:
            f.write(text)
        c.start(follower)
        wait_for(lambda: knows_leader(c, follower), START_TIMEOUT_S,
                 "the follower back, knowing the leader")

        # The leader's successor probe on SIGTERM asks the others over TLS.
        c.stop(leader)
        check("answered" in c.log_text(leader) and
              "handover candidate node" in c.log_text(leader),
              "no successor probe answered over TLS:\n" +
              "\n".join(l for l in c.log_text(leader).splitlines()
                        if "handover" in l))
        wait_one_publisher(c, among=[i for i in range(3) if i != leader],
                           timeout=START_TIMEOUT_S)
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_tls_cluster])
