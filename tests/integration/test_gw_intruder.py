"""An intruder on the gateway socket (docs/security.md, "Gateway launch
token").

A local process that reaches the gateway endpoint connects with a live
account's DEALER identity while that account's gateway is being
relaunched (the window an identity alone would leave open), and sends
what a gateway sends: HELLOs without the launch token or with a made-up
one, STATUS, HB and ticks with a price no real tick has. Nothing of it
may reach a client; every message is dropped and counted; the gateway,
relaunched with a fresh token, serves the account again.
"""
import os
import time

import msgpack
import zmq

from hamdtest import (Cluster, Subscriber, check, gateway_of, healthy_gateway,
                      http_raw, log, run, sim_account, sim_control, wait_for)

ACCOUNT = "sim_a"
SYMBOL = "rb2601.SHFE"
MARK_PRICE = 424242.0     # the intruder's ticks: no sim tick has this price
INTRUDE_S = 1.0           # how long the intruder sends
SEND_EVERY_S = 0.02       # between two rounds of its messages
HEALTHY_TIMEOUT_S = 60    # start-up; and a relaunch, maybe a hard restart
AFTER_S = 1.5             # ticks watched once the gateway is back
# The relaunch waits this long, so the intruder has the socket to itself
# first; the test does not depend on it (a later intruder only makes the
# gateway wait for its next launch).
ENV = {"HAMD_GATEWAYS_RESTART_BACKOFF_MIN_MS": "1500"}


def pack(o):
    return msgpack.packb(o, use_bin_type=True)


def intruder_round(sock, n):
    """One round of everything a gateway would send."""
    now = time.time_ns()
    hello = {"account": ACCOUNT, "pid": os.getpid(), "proto": 1,
             "gateway_type": "sim"}
    sock.send_multipart([b"HELLO", pack(hello)])
    sock.send_multipart([b"HELLO", pack(dict(hello, token="%064x" % n))])
    sock.send_multipart([b"STATUS", pack({"state": "logged_in", "detail": ""})])
    sock.send_multipart([b"HB", pack({"ts_ns": now})])
    tick = {"symbol": "rb2601", "exchange": "SHFE", "datetime": now + 10**9,
            "localtime": now, "volume": 1e9 + n, "last_price": MARK_PRICE,
            "extra": {"intruder": n}}
    sock.send_multipart([b"TICK", pack(tick), pack(dict(tick, volume=2e9 + n))])


def intrude(endpoint):
    """Connects with the account's identity and sends for INTRUDE_S.
    Returns the rounds sent."""
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.IDENTITY, ACCOUNT.encode())
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SNDHWM, 100000)
    sock.connect(endpoint)
    n = 0
    end = time.monotonic() + INTRUDE_S
    try:
        while time.monotonic() < end:
            intruder_round(sock, n)
            n += 1
            time.sleep(SEND_EVERY_S)
        time.sleep(0.2)  # let the last round leave
    finally:
        sock.close()
    return n


def auth_failures_metric(c):
    _, _, body = http_raw(c.nodes[0]["admin"], "GET", "/metrics")
    for line in body.decode().splitlines():
        if line.startswith('hamd_gateway_auth_failures_total{account="%s"}'
                           % ACCOUNT):
            return int(line.split()[-1])
    return None


def test_intruder_during_restart_injects_nothing():
    acct = sim_account(ACCOUNT, 1, ["SHFE"], rate=20)
    c = Cluster(0, [acct], [SYMBOL], name="intruder", env=ENV).with_control()
    c.start()
    sub = None
    try:
        sub = Subscriber(c.publish_endpoints())
        wait_for(lambda: healthy_gateway(c, 0, ACCOUNT), HEALTHY_TIMEOUT_S,
                 "%s healthy" % ACCOUNT)
        sub.pump_until(lambda: len(sub.ticks) >= 10, 20, "ticks")
        pid = gateway_of(c, 0, ACCOUNT)["pid"]

        sim_control(c, 0, ACCOUNT, "fault crash")
        wait_for(lambda: (gateway_of(c, 0, ACCOUNT) or {}).get("pid") != pid,
                 10, "the gateway gone")
        endpoint = "ipc://%s/gw.sock" % c.nodes[0]["data_dir"]
        rounds = intrude(endpoint)
        log("intruder sent %d rounds" % rounds)

        wait_for(lambda: healthy_gateway(c, 0, ACCOUNT) and
                 healthy_gateway(c, 0, ACCOUNT)["pid"] not in (0, pid),
                 HEALTHY_TIMEOUT_S, "%s relaunched and healthy" % ACCOUNT)
        before = len(sub.ticks)
        sub.pump(AFTER_S)
        check(len(sub.ticks) > before, "no ticks from the relaunched gateway")

        forged = [t for _, t in sub.ticks
                  if t["last_price"] == MARK_PRICE or "intruder" in
                  (t.get("extra") or {})]
        check(not forged, "%d forged ticks published, first %r"
              % (len(forged), forged[:1]))
        check(all(t["gateway_name"] == ACCOUNT for _, t in sub.ticks),
              "a tick of another source")
        g = gateway_of(c, 0, ACCOUNT)
        # Every round: two HELLOs, a STATUS, an HB and a TICK, all dropped.
        check(g["auth_failures"] >= rounds,
              "auth_failures %d for %d rounds" % (g["auth_failures"], rounds))
        metric = auth_failures_metric(c)
        check(metric is not None and metric >= rounds,
              "hamd_gateway_auth_failures_total %r" % metric)
        text = c.log_text(0)
        check("gateway sim_a: dropped a message from connection" in text,
              "no log line for the dropped messages")
        check("%064x" % 1 not in text, "a presented token in the log")
    finally:
        if sub:
            sub.close()
        c.cleanup()


if __name__ == "__main__":
    run([test_intruder_during_restart_injects_nothing])
