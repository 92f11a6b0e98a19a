"""hamd.to_vnpy and the vnpy gateway HAMD, against the fake vnpy the tests
share (tests/fakevnpy: vnpy itself is not installed here): TickData with
exact, exchange-local aware datetimes, and ticks into the event engine
through on_tick with gaps and leader changes as log events (read back with
the fake engine's test aid, of_type)."""
import datetime
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "fakevnpy")))

import fakehub  # noqa: E402 - puts src/python on sys.path
from fakehub import FakeHub, tick_map  # noqa: E402
import hamd  # noqa: E402
from hamd.vnpy_gateway import HamdGateway  # noqa: E402
from vnpy.event import EventEngine  # noqa: E402
from vnpy.trader.constant import Exchange  # noqa: E402
from vnpy.trader.event import EVENT_LOG, EVENT_TICK  # noqa: E402
from vnpy.trader.object import SubscribeRequest, TickData  # noqa: E402

VT = "rb2601.SHFE"
WAIT_S = 10.0
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


class TestToVnpy(unittest.TestCase):
    def test_fields_and_times(self):
        m = tick_map(VT, 7, 3, 9)
        m["datetime"] = 1_795_340_636_812_345_678   # ns: 812345 us kept
        m["snapshot"] = True
        t = hamd.to_vnpy(m)
        self.assertIsInstance(t, TickData)
        self.assertEqual((t.symbol, t.exchange, t.vt_symbol, t.gateway_name),
                         ("rb2601", Exchange.SHFE, VT, "sim_a"))
        self.assertEqual(t.datetime.utcoffset(), datetime.timedelta(hours=8))
        self.assertEqual(str(t.datetime.tzinfo), "Asia/Shanghai")
        self.assertEqual(t.datetime, datetime.datetime(
            2026, 11, 22, 17, 43, 56, 812345, tzinfo=SHANGHAI))
        self.assertEqual(t.localtime.tzinfo, t.datetime.tzinfo)
        self.assertEqual((t.last_price, t.volume), (3007.0, 7.0))
        self.assertEqual(t.extra, {"sim_seq": 7, "term": 3, "seq": 9, "node": 3,
                                   "hub_ns": m["hub_ns"], "source": "sim_a",
                                   "snapshot": True})
        self.assertEqual(hamd.to_vnpy(m, "HAMD").gateway_name, "HAMD")

    def test_exchange_zones(self):
        m = tick_map("ESZ6.CME", 1, 1, 1)
        self.assertEqual(str(hamd.to_vnpy(m).datetime.tzinfo), "America/Chicago")
        m = tick_map("x.LOCAL", 1, 1, 1)
        m["localtime"] = 0
        t = hamd.to_vnpy(m)
        self.assertEqual(t.datetime.tzinfo, datetime.timezone.utc)
        self.assertIsNone(t.localtime)
        with self.assertRaises(ValueError):        # vnpy knows no such code
            hamd.to_vnpy(tick_map("x.NOPE", 1, 1, 1))

    def test_ns_to_datetime_exact(self):
        ns = 1_795_340_636_999_999_999
        dt = hamd.ns_to_datetime(ns)
        self.assertEqual(dt.microsecond, 999_999)   # a float would round up
        self.assertEqual(int(dt.timestamp()), ns // 10**9)


class TestGateway(unittest.TestCase):
    def setUp(self):
        self.hub = FakeHub()
        self.engine = EventEngine()
        self.gw = HamdGateway(self.engine)

    def tearDown(self):
        self.gw.close()
        self.hub.close()

    def logs(self):
        return [log.msg for log in self.engine.of_type(EVENT_LOG)]

    def ticks(self):
        return self.engine.of_type(EVENT_TICK)

    def wait(self, cond, what, term=1):
        end = time.monotonic() + WAIT_S
        while not cond():
            self.assertLess(time.monotonic(), end, "timed out: %s\n%s"
                            % (what, "\n".join(self.logs())))
            self.hub.hb(term)
            time.sleep(0.02)

    def test_interface(self):
        self.assertEqual(HamdGateway.default_name, "HAMD")
        self.assertEqual(self.gw.gateway_name, "HAMD")
        self.assertIn(Exchange.SHFE, HamdGateway.exchanges)
        self.assertEqual(set(self.gw.get_default_setting()),
                         {"publish endpoints", "snapshot endpoints",
                          "heartbeat timeout ms", "server key",
                          "client public key", "client secret key"})
        self.gw.query_account()
        self.gw.query_position()
        self.gw.connect({"publish endpoints": ""})
        self.assertIn("bad setting", self.logs()[-1])
        # CURVE: all three keys or none.
        self.gw.connect({"publish endpoints": "tcp://127.0.0.1:1",
                         "server key": "x" * 40})
        self.assertIn("bad setting", self.logs()[-1])
        # an endpoint ZeroMQ refuses: a log line naming it, not a
        # zmq.ZMQError out of connect into vnpy
        self.gw.connect({"publish endpoints": "tcp://127.0.0.1:1",
                         "snapshot endpoints": "127.0.0.1:5561"})
        self.assertIn("bad setting: snapshot_endpoints: bad endpoint "
                      "'127.0.0.1:5561'", self.logs()[-1])
        self.assertFalse(self.gw.active)

    def test_ticks_gaps_leaders(self):
        # subscribed before connecting: kept and applied on connect
        self.gw.subscribe(SubscribeRequest("rb2601", Exchange.SHFE))
        self.gw.connect({"publish endpoints": self.hub.pub_ep,
                         "snapshot endpoints": [self.hub.snap_ep],
                         "heartbeat timeout ms": 1000})
        self.assertIn("connected to " + self.hub.pub_ep, self.logs()[-1])
        self.assertEqual(self.gw.send_order(SubscribeRequest("rb2601", Exchange.SHFE)), "")
        end = time.monotonic() + WAIT_S
        while not self.hub.snap.poll(20):
            self.assertLess(time.monotonic(), end, "no snapshot request")
            self.hub.hb(1)
        ident = self.hub.snap.recv_multipart()[0]
        self.hub.answer(ident, [(VT, 10, 1, 10)], 1)
        self.wait(lambda: self.ticks(), "the snapshot's tick")
        self.hub.tick(VT, 11, 1, 11)
        self.hub.tick("cu2601.SHFE", 1, 1, 1)        # not subscribed
        self.hub.tick(VT, 13, 1, 13)                  # a gap
        self.hub.hb(2, node=2)
        self.hub.tick(VT, 13, 2, 1)                   # repeated by term 2
        self.hub.tick(VT, 14, 2, 2)
        self.wait(lambda: len(self.ticks()) >= 4, "ticks 10-14", term=2)
        ticks = self.ticks()
        self.assertEqual([t.extra["sim_seq"] for t in ticks], [10, 11, 13, 14])
        self.assertTrue(all(t.gateway_name == "HAMD" and t.vt_symbol == VT
                            for t in ticks))
        self.assertTrue(ticks[0].extra["snapshot"])
        per_symbol = self.engine.of_type(EVENT_TICK + VT)
        self.assertEqual(len(per_symbol), 4)
        logs = "\n".join(self.logs())
        self.assertIn("gap on rb2601.SHFE in term 1: seq 12 expected, 13 came", logs)
        self.assertIn("publisher node 1, term 1", logs)
        self.assertIn("publisher node 2, term 2", logs)
        self.assertIn("market data only", logs)
        self.gw.close()
        self.assertIsNone(self.gw.client)


if __name__ == "__main__":
    unittest.main()
