"""ZeroMQ CURVE on the publish, snapshot, follow and relay endpoints
(docs/security.md, "CURVE").

A 3-node cluster with one cluster key pair and one allowed client key,
all made by `hactl keys gen`: the allowed client receives ticks and
snapshots (pyzmq, the Python package, hactl tail through libhamd-client,
with its own keys and with the cluster's from -c); a client with another
key, and one without CURVE, receive nothing and are counted; the nodes
still follow the publisher and report over the relay channel (both CURVE
with the cluster's pair); after the leader dies the allowed client
receives from the next one, with the same server key.
"""
import os
import subprocess
import sys
import time

import msgpack
import zmq

from hamdtest import (HACTL, Cluster, check, http_raw, log, node_status,
                      run, sim_account, wait_for, wait_one_publisher)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src",
                                "python"))
import hamd  # noqa: E402  (the package from the checkout)

SYMBOL = "rb2601.SHFE"
START_TIMEOUT_S = 30
RECEIVE_TIMEOUT_S = 15
NOTHING_S = 2.0  # a refused client is watched this long for any message


def keys_gen(directory, name):
    """(public, secret) of a new pair written by hactl keys gen."""
    r = subprocess.run([HACTL, "keys", "gen", os.path.join(directory, name)],
                       capture_output=True, text=True, check=True)
    with open(os.path.join(directory, name + ".key")) as f:
        secret = [l for l in f.read().split("\n")
                  if len(l) == 40 and not l.startswith("# ")][0]
    return r.stdout.strip(), secret


def curve_sub(endpoints, server, pair):
    """A SUB on every endpoint: CURVE with pair (public, secret), or
    plain when pair is None."""
    s = zmq.Context.instance().socket(zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RECONNECT_IVL, 50)
    if pair:
        s.curve_serverkey = server.encode()
        s.curve_publickey, s.curve_secretkey = pair[0].encode(), pair[1].encode()
    s.setsockopt(zmq.SUBSCRIBE, b"")
    for ep in endpoints:
        s.connect(ep)
    return s


def received(sock, seconds):
    """Messages (topic, body dict) the socket got within seconds."""
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if sock.poll(50):
            topic, body = sock.recv_multipart()
            out.append((topic, msgpack.unpackb(body, raw=False)))
    return out


def ticks_of(msgs):
    return [b for t, b in msgs if not t.startswith(b"_")]


def curve_snapshot(endpoints, server, pair):
    """The END body of a snapshot asked with CURVE keys, or None."""
    d = zmq.Context.instance().socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.setsockopt(zmq.IMMEDIATE, 1)
    d.curve_serverkey = server.encode()
    d.curve_publickey, d.curve_secretkey = pair[0].encode(), pair[1].encode()
    for ep in endpoints:
        d.connect(ep)
    time.sleep(0.3)
    d.send_multipart([b"SNAPSHOT", b""])
    try:
        end = time.monotonic() + 5
        while time.monotonic() < end:
            if d.poll(100):
                topic, body = d.recv_multipart()
                if topic == b"END":
                    return msgpack.unpackb(body, raw=False)
        return None
    finally:
        d.close()


def metric(c, idx, name):
    _, _, raw = http_raw(c.nodes[idx]["admin"], "GET", "/metrics")
    for line in raw.decode().splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    return None


def hactl_tail(c, *extra):
    """hactl tail's output (5 ticks at most, 10 s at most), its stderr
    after a line of dashes."""
    r = subprocess.run([HACTL, "-c", c.nodes[0]["config"], "tail", "--count",
                        "5", "--seconds", "10"] + list(extra),
                       capture_output=True, text=True, timeout=30)
    return r.stdout + "\n---\n" + r.stderr


def test_curve_cluster():
    c = Cluster(3, [sim_account("sim_a", 1, ["SHFE"], rate=20),
                    sim_account("sim_b", 2, ["SHFE"], rate=20)],
                [SYMBOL], name="curve")
    keys = os.path.join(c.dir, "keys")
    clients = os.path.join(c.dir, "clients")
    os.makedirs(keys)
    os.makedirs(clients)
    server, _ = keys_gen(keys, "cluster")
    allowed = keys_gen(clients, "allowed")  # its .pub is in clients/
    os.rename(os.path.join(clients, "allowed.key"),
              os.path.join(keys, "allowed.key"))
    other = keys_gen(keys, "other")
    c.extra_ini = ("[publish]\ncurve_secret_file = %s\ncurve_clients_dir = %s\n"
                   % (os.path.join(keys, "cluster.key"), clients))
    c.rewrite_configs()
    c.start()
    subs = []
    try:
        leader = wait_one_publisher(c, timeout=START_TIMEOUT_S)
        eps = c.publish_endpoints()
        good = curve_sub(eps, server, allowed)
        bad = curve_sub(eps, server, other)
        plain = curve_sub(eps, None, None)
        subs += [good, bad, plain]
        msgs = []
        wait_for(lambda: msgs.extend(received(good, 0.2)) or ticks_of(msgs),
                 RECEIVE_TIMEOUT_S, "ticks on the allowed client")
        check(not received(bad, NOTHING_S), "a client with another key got "
              "messages")
        check(not received(plain, 0.2), "a client without CURVE got messages")
        check(metric(c, leader, "hamd_curve_refused_total") > 0,
              "refused clients not counted")
        check("CURVE: refused a client" in c.log_text(leader),
              "refused clients not logged")
        check(curve_snapshot(c.snapshot_endpoints(), server, allowed),
              "no snapshot over CURVE")

        # The nodes among themselves: followers read the stream and
        # report their coverage over the relay, both with CURVE.
        followers = [i for i in range(3) if i != leader]
        for i in followers:
            wait_for(lambda: (node_status(c, i) or {}).get("follow_age_ms")
                     is not None and node_status(c, i)["follow_age_ms"] < 1000,
                     RECEIVE_TIMEOUT_S, "node %d follows over CURVE" % (i + 1))
        wait_for(lambda: all(n.get("known") for n in
                             (node_status(c, leader) or {})
                             .get("coverage", {}).get("nodes", [])[1:]),
                 RECEIVE_TIMEOUT_S, "coverage reports over the CURVE relay")

        # The client libraries: Python, and C through hactl tail.
        cl = hamd.Client(eps, [SYMBOL], c.snapshot_endpoints(),
                         server_key=server, client_public_key=allowed[0],
                         client_secret_key=allowed[1])
        try:
            got = wait_for(lambda: cl.poll(100), RECEIVE_TIMEOUT_S,
                           "a tick through hamd.Client with CURVE")
            check(got[0]["vt_symbol"] == SYMBOL, "tick %r" % got[0])
        finally:
            cl.close()
        out = hactl_tail(c, "--server-key", os.path.join(keys, "cluster.pub"),
                         "--client-key", os.path.join(keys, "allowed.key"))
        check(out.count(SYMBOL) >= 5, "hactl tail with the client's keys:\n" + out)
        out = hactl_tail(c)  # -c: the cluster's own pair
        check(out.count(SYMBOL) >= 5, "hactl tail with the cluster's keys:\n" + out)
        out = hactl_tail(c, "--server-key", server, "--client-key",
                         os.path.join(keys, "other.key"))
        check(SYMBOL not in out.split("\n---\n")[0],
              "hactl tail with a refused key got ticks")
        # ... and says so (client.md: it sees HAMD_CLIENT_SILENT; it said
        # nothing at all, never having had a heartbeat)
        check("no heartbeat in 1000 ms since the start" in out.split("\n---\n")[1],
              "hactl tail with a refused key:\n" + out)

        # The next leader serves with the same key.
        term = ticks_of(msgs)[-1]["term"]
        c.kill(leader)
        later = []
        wait_for(lambda: later.extend(received(good, 0.2)) or
                 any(t["term"] > term for t in ticks_of(later)),
                 START_TIMEOUT_S, "ticks of the next term over CURVE")
        log("the allowed client got %d messages after the failover"
            % len(later))
    finally:
        for s in subs:
            s.close()
        c.cleanup()


if __name__ == "__main__":
    run([test_curve_cluster])
