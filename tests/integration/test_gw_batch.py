"""Multi-body TICK messages (gateway protocol, docs/gateway-protocol.md §5)
through a real hamd: a gateway written here in Python sends
[TICK][good][garbage][good][good] messages; every good body must be
published, in order, and only the garbage one counted as malformed. A
heartbeat with two bodies is malformed as a whole.

The gateway is a small script that hamd spawns like any other (its
[gateways] entry points at it); the hub's ROUTER therefore reassembles
real ZeroMQ multipart messages, as from hamd-gw-sim.
"""
import os

from hamdtest import (Cluster, Subscriber, add_gateway_type, check,
                      check_contiguous, check_exactly_once, check_tick_fields,
                      gateway_of, log, run, wait_for, write_scripted_gateway)

ACCOUNT = "batch_a"
SYMBOL = "rb2601.SHFE"
GOOD_PER_MSG = 3      # good bodies in each TICK message, plus one garbage
TICKS_WANTED = 90     # published ticks the subscriber must see
TIMEOUT_S = 40        # start-up, health, failover and the ticks
# The gateway sends garbage on purpose: keep it HEALTHY regardless.
EXTRA_INI = "[health]\nmalformed_max = 0\n"

# The gateway: HELLO, STATUS logged_in, HB every second; after SUBSCRIBE
# one two-body HB, then a TICK message of GOOD_PER_MSG good bodies with a
# garbage body second every 50 ms. Good bodies number themselves in
# extra.sim_seq, as hamd-gw-sim does.
GATEWAY = r'''GOOD_PER_MSG = @GOOD_PER_MSG@
sock.send_multipart([b"STATUS", pack({"state": "logged_in", "detail": ""})])
symbols, n, next_hb, next_tick = [], 0, 0.0, 0.0
while not stop:
    now = time.monotonic()
    if now >= next_hb:
        sock.send_multipart([b"HB", pack({"ts_ns": time.time_ns()})])
        next_hb = now + 1.0
    if symbols and now >= next_tick:
        bodies = []
        for _ in range(GOOD_PER_MSG):
            sym, exch = symbols[0].rsplit(".", 1)
            now_ns = time.time_ns()
            bodies.append(pack({"symbol": sym, "exchange": exch,
                                "datetime": now_ns, "localtime": now_ns,
                                "volume": float(n),
                                "last_price": 3000.0 + n % 100,
                                "extra": {"sim_seq": n}}))
            n += 1
        bodies.insert(1, b"\xc1 not msgpack")
        sock.send_multipart([b"TICK"] + bodies)
        next_tick = now + 0.05
    if sock.poll(20):
        frames = sock.recv_multipart()
        if frames[0] == b"SUBSCRIBE" and not symbols:
            symbols = msgpack.unpackb(frames[1], raw=False)["symbols"]
            ts = pack({"ts_ns": time.time_ns()})
            sock.send_multipart([b"HB", ts, ts])
        elif frames[0] == b"STOP":
            break
sock.close()
sys.exit(0)
'''.replace("@GOOD_PER_MSG@", str(GOOD_PER_MSG))


def write_gateway(directory):
    """Writes the gateway script into directory; returns its path."""
    return write_scripted_gateway(os.path.join(directory, "batch_gateway.py"),
                                  "batch", GATEWAY)


def stats_with_ticks(c, wanted):
    """The status entry of ACCOUNT once it counts `wanted` ticks, or None."""
    g = gateway_of(c, 0, ACCOUNT) or {}
    return g if g.get("ticks", 0) >= wanted else None


def test_multi_body_ticks_through_hamd():
    account = {"id": ACCOUNT, "gateway_type": "batch", "priority": 1,
               "enabled": True, "exchanges": ["SHFE"]}
    c = Cluster(0, [account], [SYMBOL], extra_ini=EXTRA_INI, name="gwbatch")
    add_gateway_type(c, "batch", write_gateway(c.dir))
    c.start()
    try:
        sub = Subscriber(c.publish_endpoints())
        sub.pump_until(lambda: len(sub.ticks) >= TICKS_WANTED, TIMEOUT_S,
                       "%d ticks from the batching gateway" % TICKS_WANTED)
        for _, t in sub.ticks:
            check_tick_fields(t)
            check(t["gateway_name"] == ACCOUNT, "source %r" % t["gateway_name"])
        # Every good body, in order: no sim_seq missing or repeated.
        check_exactly_once(check_contiguous(sub.ticks))
        sub.close()

        # Statistics are taken between whole messages: every TICK message
        # counted GOOD_PER_MSG ticks and one malformed body, and the
        # two-body HB (sent before any TICK) one malformed more.
        g = wait_for(lambda: stats_with_ticks(c, TICKS_WANTED), 10,
                     "source statistics")
        log("%s: ticks %d, malformed %d, published %d"
            % (ACCOUNT, g["ticks"], g["malformed"], g["published"]))
        check(g["ticks"] % GOOD_PER_MSG == 0,
              "ticks %d not whole messages" % g["ticks"])
        check(g["malformed"] == g["ticks"] // GOOD_PER_MSG + 1,
              "malformed %d for %d ticks" % (g["malformed"], g["ticks"]))
        check(g["state"] == "HEALTHY", "state %r" % g["state"])
    finally:
        c.cleanup()


if __name__ == "__main__":
    run([test_multi_body_ticks_through_hamd])
