"""hamd.wire: good bodies read, malformed ones refused with a reason."""
import math
import sys
import unittest

import msgpack

import fakehub  # noqa: F401 - puts src/python on sys.path
from fakehub import tick_map
from hamd import wire

VT = "rb2601.SHFE"
DBL_MAX = sys.float_info.max


def body(**changes):
    t = tick_map(VT, 7, 2, 3)
    for k, v in changes.items():
        if v is None:
            del t[k]
        else:
            t[k] = v
    return msgpack.packb(t)


class TestTick(unittest.TestCase):
    def test_good(self):
        t = wire.tick(VT.encode(), body())
        self.assertEqual((t["term"], t["seq"], t["extra"]), (2, 3, {"sim_seq": 7}))
        # integers where floats are expected are numbers too
        self.assertEqual(wire.tick(VT.encode(), body(volume=7))["volume"], 7)
        # finite prices whose sum is not (CTP's DBL_MAX for "no value")
        big = wire.tick(VT.encode(), body(limit_up=DBL_MAX, limit_down=DBL_MAX))
        self.assertEqual(big["limit_down"], DBL_MAX)
        # a snapshot's tick may be unnumbered
        self.assertEqual(wire.tick(VT.encode(), body(seq=0), live=False)["seq"], 0)

    def test_malformed(self):
        cases = {
            "not msgpack": b"\xc1",
            "not a map": msgpack.packb([1, 2]),
            "trailing bytes": body() + b"\x01",
            "missing field": body(turnover=None),
            "missing hub field": body(term=None),
            "price a string": body(last_price="3000"),
            "price a bool": body(last_price=True),
            "price NaN": body(last_price=math.nan),
            "price infinite": body(bid_price_1=math.inf),
            "volume negative": body(volume=-1.0),
            "datetime a float": body(datetime=1.5e18),
            "term a string": body(term="2"),
            "seq 0 live": body(seq=0),
            "term negative": body(term=-2),
            "symbol not str": body(symbol=5),
            "vt_symbol wrong": body(vt_symbol="cu2601.SHFE"),
            "extra not a map": body(extra=[1]),
            "binary key": msgpack.packb({b"symbol": "rb2601"}),
        }
        for what, b in cases.items():
            with self.subTest(what), self.assertRaises(wire.Malformed):
                wire.tick(VT.encode(), b)
        with self.assertRaises(wire.Malformed):
            wire.tick(b"cu2601.SHFE", body())   # topic is not the tick's


class TestNameTopic(unittest.TestCase):
    def test_counts_each_other_topic_once(self):
        # k: the prefixes, `_hb` and `_event`, each once, as a SUB sends them
        self.assertEqual(wire.name_topic("00ab", [""]), b"_client.3.00ab")
        self.assertEqual(wire.name_topic("00ab", []), b"_client.2.00ab")
        self.assertEqual(wire.name_topic("00ab", ["rb", "rb", "_hb", "cu"]),
                         b"_client.4.00ab")


class TestSmallMaps(unittest.TestCase):
    def test_heartbeat(self):
        self.assertEqual(wire.heartbeat(msgpack.packb(
            {"term": 7, "node": 2, "ts_ns": 1, "published": 0})), (7, 2))
        for bad in ({"term": 0, "node": 1}, {"term": -1, "node": 1},
                    {"term": 3}, {"term": "3", "node": 1},
                    {"term": 3, "node": 2 ** 40}, {"term": True, "node": 1}):
            with self.subTest(bad), self.assertRaises(wire.Malformed):
                wire.heartbeat(msgpack.packb(bad))

    def test_end(self):
        self.assertEqual(wire.snapshot_end(msgpack.packb({"term": 3, "count": 2})),
                         (3, 2))
        for bad in ({"term": 3}, {"term": 3, "count": "2"}, {"count": 1}):
            with self.subTest(bad), self.assertRaises(wire.Malformed):
                wire.snapshot_end(msgpack.packb(bad))
        with self.assertRaises(wire.Malformed):
            wire.snapshot_end(b"\xdf\xff\xff\xff\xff")

    def test_event(self):
        ev = wire.event(msgpack.packb({"event_type": "failover_executed", "seq": 5}))
        self.assertEqual(ev["seq"], 5)
        with self.assertRaises(wire.Malformed):
            wire.event(msgpack.packb({"event_type": 5}))
        with self.assertRaises(wire.Malformed):
            wire.event(msgpack.packb("failover"))


if __name__ == "__main__":
    unittest.main()
