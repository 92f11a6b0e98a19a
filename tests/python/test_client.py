"""hamd.Client against a publisher played by the test (FakeHub): the late
joiner's snapshot, fencing, a term change's repeats, gaps, bad input
dropped and counted, a silence with reconnect and re-snapshot, a prefix
added later, bad CURVE keys refused."""
import subprocess
import sys
import threading
import time
import unittest

import msgpack
import zmq

import fakehub
from fakehub import FakeHub
import hamd
from hamd import conn, core

VT = "rb2601.SHFE"
WAIT_S = 10.0
CHILD_HANG_S = 60  # a child constructing a Client this long has hung


class ClientCase(unittest.TestCase):
    hb_timeout_ms = 1000
    prefixes = ("",)

    def setUp(self):
        self.hub = FakeHub()
        self.notices = []
        self.client = hamd.Client([self.hub.pub_ep], list(self.prefixes),
                                  snapshot_endpoints=[self.hub.snap_ep],
                                  hb_timeout_ms=self.hb_timeout_ms,
                                  on_notice=lambda k, t: self.notices.append(k))
        self.got = []

    def tearDown(self):
        self.client.close()
        self.hub.close()

    def pump(self, ms=20):
        for t in self.client.poll(ms):
            self.got.append(t)

    def until(self, cond, what, hb_term=None):
        end = time.monotonic() + WAIT_S
        while not cond():
            self.assertLess(time.monotonic(), end, "timed out: %s" % what)
            if hb_term:
                self.hub.hb(hb_term)
            self.pump()

    def numbers(self, vt=VT):
        return ["%d%s" % (t["extra"]["sim_seq"], "s" if t.get("snapshot") else "")
                for t in self.got if t["vt_symbol"] == vt]

    def join(self, term, snapshot_ticks):
        """Heartbeats until the client asks, answers with snapshot_ticks."""
        ident, req = self.hub.request(lambda: (self.hub.hb(term), self.pump()))
        self.hub.answer(ident, snapshot_ticks, term)
        self.until(lambda: self.client.stats["snapshots"] >= 1, "snapshot merged")
        return req


class TestJoinFenceGapBadInput(ClientCase):
    def test_stream(self):
        req = self.join(1, [(VT, 10, 1, 10)])
        self.assertEqual(req, [b"SNAPSHOT", b""])
        hub = self.hub
        hub.tick(VT, 9, 1, 9)          # published before the snapshot
        hub.tick(VT, 11, 1, 11)
        # bad input: never delivered, counted
        hub.send(VT, b"\xc1 not msgpack")
        bad = fakehub.tick_map(VT, 12, 1, 12)
        bad["last_price"] = "3012"
        hub.send(VT, msgpack.packb(bad))
        hub.pub.send_multipart([VT.encode(), b"x", b"y"])   # three frames
        hub.send("_hb", msgpack.packb({"term": "1", "node": 1}))
        hub.send("_event", msgpack.packb([1]))
        hub.tick(VT, 12, 1, 12)
        self.until(lambda: len(self.got) >= 3, "ticks 10-12")
        self.assertEqual(self.numbers(), ["10s", "11", "12"])
        self.assertEqual(self.client.stats["malformed"], 5)
        self.assertIn(core.BAD_MESSAGE, self.notices)

        # A term change: the client snapshots again; END without count
        # is refused and retried.
        ident, req = hub.request(lambda: (hub.hb(2, node=2), self.pump()))
        hub.answer(ident, [(VT, 12, 1, 12)], 2, end_body=msgpack.packb({"term": 2}))
        ident, req = hub.request(lambda: (hub.hb(2, node=2), self.pump()))
        hub.answer(ident, [(VT, 12, 1, 12)], 2)
        self.until(lambda: self.client.stats["snapshots"] >= 2, "second snapshot")
        hub.hb(1)                       # a term going backwards: fenced
        hub.tick(VT, 11, 1, 11)         # a deposed leader's straggler
        hub.tick(VT, 12, 2, 1)          # re-sent by the new leader
        hub.tick(VT, 13, 2, 2)
        hub.tick(VT, 15, 2, 4)          # seq 3 never came: a gap
        self.until(lambda: "15" in self.numbers(), "tick 15")
        self.assertEqual(self.numbers(), ["10s", "11", "12", "13", "15"])
        st = self.client.stats
        self.assertEqual(st["fenced"], 2)
        self.assertEqual((st["gaps"], st["missing"]), (1, 1))
        self.assertEqual(list(self.client.gaps), [hamd.Gap(VT, 2, 3, 4)])
        self.assertEqual(list(self.client.leader_changes),
                         [hamd.LeaderChange(1, 1), hamd.LeaderChange(2, 2)])
        self.assertEqual(st["malformed"], 6)   # + the END without count


class TestSilence(ClientCase):
    hb_timeout_ms = 500

    def test_second_connection_and_resnapshot(self):
        self.join(1, [(VT, 1, 1, 1)])
        self.hub.tick(VT, 2, 1, 2)
        self.until(lambda: len(self.got) >= 2, "ticks 1-2")
        # silent: probes beside the connection, then hb_timeout
        self.until(lambda: len(self.client._subs) == 1 + conn.PROBES, "probes")
        self.until(lambda: self.client.stats["silences"] >= 1, "silent")
        self.assertIn(core.SILENT, self.notices)
        # heartbeats back: one connection again, and a snapshot round
        ident, _ = self.hub.request(lambda: (self.hub.hb(1), self.pump()))
        self.hub.answer(ident, [(VT, 3, 1, 3)], 1)
        self.until(lambda: len(self.client._subs) == 1, "one connection again",
                   hb_term=1)
        self.until(lambda: self.client.stats["snapshots"] >= 2, "re-snapshot")
        self.until(lambda: len(self.got) >= 3, "the snapshot's tick",
                   hb_term=1)
        # tick 3 came only by the snapshot: it waited for the live stream
        # (the settle time), then went out
        self.assertEqual(self.numbers(), ["1s", "2", "3s"])
        self.assertIn(core.BACK, self.notices)
        self.hub.tick(VT, 4, 1, 4)
        self.until(lambda: len(self.got) >= 4, "tick 4", hb_term=1)
        self.assertEqual(self.numbers(), ["1s", "2", "3s", "4"])


class TestSlowConsumer(ClientCase):
    """A consumer that takes its time over each tick of a burst while the
    hub's heartbeats keep coming is not a silent hub: the client reads what
    waits before it judges. (It judged first, from the last `_hb` it had
    read before the caller went away: 'no heartbeat', probes, a reconnect
    and a snapshot for nothing, the drill's strategy at 2.5 ms a tick.)"""
    hb_timeout_ms = 300
    BURST = 120           # ticks sent at once ...
    HB_EVERY = 10         # ... an `_hb` among every this many
    WORK_S = 0.01         # the consumer's work per tick: the burst takes
    #                       1.2 s, four times hb_timeout_ms
    HB_PERIOD_S = 0.05    # the hub's heartbeats meanwhile

    def test_heartbeats_read_before_silence_is_judged(self):
        self.join(1, [(VT, 1, 1, 1)])
        self.until(lambda: len(self.got) >= 1, "the snapshot's tick", hb_term=1)
        for n in range(2, 2 + self.BURST):
            if n % self.HB_EVERY == 0:
                self.hub.hb(1)
            self.hub.tick(VT, n, 1, n)
        self.hub.hb(1)
        time.sleep(0.2)                 # the burst is in the client's socket
        last_hb = time.monotonic()
        while len(self.got) < 1 + self.BURST:
            t = self.client.recv(100)
            if t is not None:
                self.got.append(t)
                time.sleep(self.WORK_S)
            if time.monotonic() - last_hb >= self.HB_PERIOD_S:
                self.hub.hb(1)
                last_hb = time.monotonic()
        self.hub.hb(1)
        self.pump(0)                    # the client's turn after the burst
        self.assertEqual(self.numbers(), ["1s"] + [str(n) for n in
                                                   range(2, 2 + self.BURST)])
        st = self.client.stats
        self.assertEqual((st["silences"], st["reconnects"], st["snapshots"]),
                         (0, 0, 1), st)
        self.assertNotIn(core.SILENT, self.notices)


class TestStuckConsumer(unittest.TestCase):
    """A consumer that stops reading while the hub goes on publishing: the
    client's queue is bounded, so the hub's queue for it fills and the hub
    drops ticks for it, reported as a gap when the consumer reads again.
    (Its queue was unbounded, ZMQ_RCVHWM 0: its memory grew by the
    stream's rate for as long as it lagged, and no loss was ever
    reported.) The test's XPUB says when the client is full
    (ZMQ_XPUB_NODROP) rather than dropping."""
    PUB_HWM = 1000          # the test publisher's queue per subscriber
    SEND_MAX = 100000       # ticks a stuck client may take in (its queue,
    #                         the kernel's buffers, the publisher's)
    FULL_S = 0.5            # no room this long: the client takes no more
    #                         (less than the ZMTP heartbeat timeout, 3 s,
    #                         after which it drops the connection it does
    #                         not read, and the publisher's queue goes)
    RETRY_S = 0.001         # a full subscriber is tried again so often
    DROPPED = 50            # ticks the publisher then drops, as the hub

    def setUp(self):
        self.hub = FakeHub()
        self.hub.pub.setsockopt(zmq.SNDHWM, self.PUB_HWM)
        self.hub.pub.setsockopt(zmq.XPUB_NODROP, 1)
        self.client = hamd.Client([self.hub.pub_ep], [""])

    def tearDown(self):
        self.client.close()
        self.hub.close()

    def send(self, n):
        """Tick n, unless the client has no room for FULL_S."""
        give_up = time.monotonic() + self.FULL_S
        body = fakehub.tick_body(VT, n, 1, n)
        while True:
            try:
                self.hub.pub.send_multipart([VT.encode(), body], zmq.NOBLOCK)
                return True
            except zmq.Again:
                if time.monotonic() >= give_up:
                    return False
                time.sleep(self.RETRY_S)

    def test_bounded_and_loss_reported(self):
        got = []
        self.hub.wait_subscribed(b"_hb", lambda: got.extend(self.client.poll(20)))
        self.hub.hb(1)
        n = 1
        while self.send(n):             # nobody reads the client meanwhile
            self.assertLess(n, self.SEND_MAX, "the client took it all in")
            n += 1
        n += self.DROPPED               # not published to this client
        end = time.monotonic() + WAIT_S
        while not self.send(n):         # the consumer reads again
            self.assertLess(time.monotonic(), end, "no room made")
            got.extend(self.client.poll(0))
        while not got or got[-1]["seq"] != n:
            self.assertLess(time.monotonic(), end, "tick %d" % n)
            got.extend(self.client.poll(20))
        st = self.client.stats
        # DROPPED, or more if the client dropped its connection (its ZMTP
        # heartbeat) before it read again
        self.assertGreaterEqual(st["gaps"], 1)
        self.assertGreaterEqual(st["missing"], self.DROPPED)
        self.assertEqual(st["delivered"] + st["missing"], n)


class TestMisuse(ClientCase):
    hb_timeout_ms = 300

    def test_close_from_a_callback(self):
        # close() from on_leader, in the middle of a poll step: the step
        # ends as it would have, then the client is closed (it went on
        # with closed sockets, a zmq.ZMQError "Socket operation on
        # non-socket" out of poll)
        self.client._on_leader = lambda change: self.client.close()
        self.hub.wait_subscribed(b"_hb", self.pump)
        self.hub.hb(1)
        with self.assertRaisesRegex(RuntimeError, "closed"):
            self.until(lambda: False, "closed by on_leader")
        self.client.close()

    def test_negative_timeout_waits_for_what_is_due(self):
        # poll(-1): no limit, as None, yet what is due still happens (the
        # silence since the start, here); it waited for a message alone
        done = []
        t = threading.Thread(target=lambda: done.append(self.client.poll(-1)),
                             daemon=True)
        t.start()
        t.join(WAIT_S)
        if t.is_alive():                # wake it, then fail
            self.hub.wait_subscribed(b"_hb", lambda: None)
            self.hub.hb(1)
            t.join(WAIT_S)
            self.fail("poll(-1) waited past what was due")
        self.assertEqual(done, [[]])
        self.assertIn(core.SILENT, self.notices)


class TestSubscribeLater(ClientCase):
    prefixes = ()

    def test_prefix_added(self):
        self.assertEqual(self.client.poll(50), [])
        self.client.subscribe("cu")
        ident, req = self.hub.request(lambda: (self.hub.hb(1), self.pump()))
        self.assertEqual(req, [b"SNAPSHOT", b"cu"])
        self.hub.answer(ident, [("cu2601.SHFE", 4, 1, 4)], 1)
        self.until(lambda: self.got, "cu's snapshot")
        self.hub.wait_subscribed(b"cu", self.pump)
        self.hub.tick(VT, 5, 1, 5)
        self.hub.tick("cu2601.SHFE", 5, 1, 5)
        self.until(lambda: len(self.got) >= 2, "cu's next tick")
        self.assertEqual([t["vt_symbol"] for t in self.got], ["cu2601.SHFE"] * 2)

    def test_name_follows_the_prefixes(self):
        # the hub counts a library once by its name topic, whose k counts
        # its other topics: `_hb` and `_event`, then "cu" too
        name = self.client._name.encode()
        self.hub.wait_subscribed(b"_client.2." + name, self.pump)
        self.client.subscribe("cu")
        self.hub.wait_subscribed(b"_client.3." + name, self.pump)
        self.hub.wait_unsubscribed(b"_client.2." + name, self.pump)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            hamd.Client([], [""])
        with self.assertRaises(TypeError):
            hamd.Client("tcp://127.0.0.1:1", [""])
        with self.assertRaises(ValueError):
            hamd.Client(["tcp://127.0.0.1:1"], ["x" * 48])
        with self.assertRaises(ValueError):
            hamd.Client(["tcp://127.0.0.1:1"], [""], hb_timeout_ms=0)
        with self.assertRaises(ValueError):     # not 1 ms
            hamd.Client(["tcp://127.0.0.1:1"], [""], hb_timeout_ms=True)
        with self.assertRaises(ValueError):
            self.client.subscribe("x" * 48)

    def test_bad_curve_keys_refused(self):
        # 40 characters that are no Z85 key (a typo: a character outside
        # Z85's alphabet, or a group past 2^32) are the caller's
        # ValueError, naming the key; before, ZeroMQ refused the key on a
        # socket close() did not know, and the constructor hung for ever
        # in the context's term(). In a child, so that a hang fails.
        good = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
        code = ("import ast, sys; sys.path[:0] = %r\nimport hamd\n"
                "keys = dict(server_key=ast.literal_eval(sys.argv[1]), "
                "client_public_key=%r, client_secret_key=%r)\n"
                "try:\n    hamd.Client(['tcp://127.0.0.1:1'], [''], **keys)\n"
                "except ValueError as e:\n    print(e)\n"
                % (sys.path, good, good))
        for bad in ("~" + good[1:], good[:-1] + " ", "%" * 40, b"\0" * 40):
            try:
                r = subprocess.run([sys.executable, "-c", code, repr(bad)],
                                   capture_output=True, text=True,
                                   timeout=CHILD_HANG_S)
            except subprocess.TimeoutExpired:
                self.fail("server_key %r: hamd.Client hung" % (bad,))
            self.assertIn("server_key: not a Z85 key", r.stdout,
                          "server_key %r: %r" % (bad, r.stdout + r.stderr))

    def test_bad_endpoints_named(self):
        # what ZeroMQ refuses is the caller's ValueError, naming the
        # endpoint (a bare zmq.ZMQError "Invalid argument" before); a
        # snapshot endpoint's at once too, not when the first snapshot
        # was due (then it meant no snapshot ever)
        for bad in ("foo", "tcp://127.0.0.1", "http://127.0.0.1:1"):
            with self.assertRaisesRegex(ValueError, "endpoints: bad endpoint %r"
                                        % bad):
                hamd.Client([bad], [""])
            with self.assertRaisesRegex(ValueError, "snapshot_endpoints: bad "
                                        "endpoint %r" % bad):
                hamd.Client([self.hub.pub_ep], [""], snapshot_endpoints=[bad])
        with self.assertRaisesRegex(TypeError, "on_gap: a callable"):
            hamd.Client([self.hub.pub_ep], [""], on_gap=5)


if __name__ == "__main__":
    unittest.main()
