"""A publisher played by the test: the hub's PUB and snapshot ROUTER on
loopback, sending exactly what a test says (good ticks, repeats, bad
input), and tick bodies numbered like a simulator's: tick n of a contract
has exchange time BASE + n ms, volume n and extra.sim_seq n, whatever term
and seq it is published under."""
import os
import sys
import time

import msgpack
import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "src", "python"))

BASE_NS = 1_795_340_636_800_000_000
MS = 1_000_000
FLOATS = ("volume", "turnover", "open_interest", "last_price", "last_volume",
          "limit_up", "limit_down", "open_price", "high_price", "low_price",
          "pre_close") + tuple("%s_%d" % (k, i) for k in (
              "bid_price", "ask_price", "bid_volume", "ask_volume")
              for i in range(1, 6))


def tick_map(vt, n, term, seq, node=None):
    """Tick n of vt as the hub publishes it in (term, seq)."""
    symbol, _, exchange = vt.rpartition(".")
    t = {k: 1.0 for k in FLOATS}
    t.update(symbol=symbol, exchange=exchange, vt_symbol=vt,
             gateway_name="sim_a", name="", datetime=BASE_NS + n * MS,
             localtime=BASE_NS + n * MS + 500_000, volume=float(n),
             last_price=3000.0 + n, term=term, seq=seq,
             node=term if node is None else node, hub_ns=time.time_ns(),
             extra={"sim_seq": n})
    return t


def tick_body(vt, n, term, seq, node=None):
    return msgpack.packb(tick_map(vt, n, term, seq, node))


class FakeHub:
    """XPUB + ROUTER bound on random loopback ports. An XPUB, as the
    hub's, so a test can wait until a subscription reached it: ZeroMQ
    carries a SUB's subscribe to the publisher asynchronously, and a tick
    sent before it arrives is filtered out."""

    def __init__(self):
        self.ctx = zmq.Context()
        self.pub = self.ctx.socket(zmq.XPUB)
        self.subscribed = set()  # prefixes the XPUB has been told of
        self.unsubscribed = set()  # ... and of their unsubscription
        self.snap = self.ctx.socket(zmq.ROUTER)
        for s in (self.pub, self.snap):
            s.setsockopt(zmq.LINGER, 0)
        self.pub_ep = "tcp://127.0.0.1:%d" % self.pub.bind_to_random_port("tcp://127.0.0.1")
        self.snap_ep = "tcp://127.0.0.1:%d" % self.snap.bind_to_random_port("tcp://127.0.0.1")

    def hb(self, term, node=1):
        self.pub.send_multipart([b"_hb", msgpack.packb(
            {"term": term, "node": node, "ts_ns": time.time_ns(), "published": 0})])

    def send(self, topic, body):
        self.pub.send_multipart([topic if isinstance(topic, bytes) else topic.encode(),
                                 body])

    def tick(self, vt, n, term, seq):
        self.send(vt, tick_body(vt, n, term, seq))

    def wait_subscribed(self, prefix, pump, timeout=10.0, seen=None):
        """Calls pump() until a subscriber's subscribe to prefix (bytes)
        reached the XPUB (its unsubscribe: seen=self.unsubscribed)."""
        seen = self.subscribed if seen is None else seen
        end = time.monotonic() + timeout
        while prefix not in seen:
            if time.monotonic() > end:
                raise AssertionError("no (un)subscribe to %r" % prefix)
            while self.pub.poll(0):
                msg = self.pub.recv()
                if msg[:1] == b"\x01":
                    self.subscribed.add(msg[1:])
                elif msg[:1] == b"\x00":
                    self.unsubscribed.add(msg[1:])
            pump()

    def wait_unsubscribed(self, prefix, pump, timeout=10.0):
        self.wait_subscribed(prefix, pump, timeout, self.unsubscribed)

    def request(self, pump, timeout=10.0):
        """Heartbeats (term 1) while calling pump() until a snapshot
        request comes; returns (identity, [frames])."""
        end = time.monotonic() + timeout
        while not self.snap.poll(20):
            if time.monotonic() > end:
                raise AssertionError("no snapshot request")
            pump()
        ident, *frames = self.snap.recv_multipart()
        return ident, frames

    def answer(self, ident, ticks, term, count=None, end_body=None):
        """Answers a request: ticks [(vt, n, term, seq)], then END."""
        for vt, n, t, s in ticks:
            self.snap.send_multipart([ident, vt.encode(), tick_body(vt, n, t, s)])
        body = end_body if end_body is not None else msgpack.packb(
            {"term": term, "count": len(ticks) if count is None else count})
        self.snap.send_multipart([ident, b"END", body])

    def close(self):
        self.pub.close()
        self.snap.close()
        self.ctx.term()
