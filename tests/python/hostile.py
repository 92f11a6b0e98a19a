"""hamd's Python client against hostile input, property-based (hypothesis):
what libFuzzer does for the C library (docs/security.md, "Fuzzing"), for
the readers and the shell of src/python/hamd.

The contract (docs/client.md, "Bad input"; hamd.wire): a message that does
not match docs/protocol.md raises hamd.wire.Malformed in the readers, and
the client drops and counts it (stats["malformed"]); nothing else escapes,
nothing hangs, and the good ticks around the bad ones are delivered in
order. Every accepted tick satisfies protocol.md §4, checked here by an
oracle written from the document, not from wire.py.

The shell is driven through the handlers its poll step calls for each
received message (Client._sub_message, Client._dealer_message), with the
frames a socket would give and a fake clock: no message crosses a socket,
so every example is deterministic and takes microseconds.

Deterministic (derandomize=True, no example database) and bounded
(MAX_EXAMPLES a test, 8 s in all measured on the shared 2-core host at a
load average of 5). Run as test_hostile, which skips, saying why, when
python3-hypothesis (deploy/install-deps.sh --tests) is missing.
"""
import math
import struct
import sys
import unittest

import msgpack
import zmq

import fakehub
from fakehub import FLOATS, tick_map
import hamd
from hamd import convert, core, wire

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

VT = "rb2601.SHFE"
TOPIC = VT.encode()
STRS = ("symbol", "exchange", "vt_symbol", "gateway_name", "name")
INTS = ("datetime", "localtime", "term", "seq", "node", "hub_ns")
FIELDS = STRS + INTS + FLOATS + ("extra",)
HUB_NS = fakehub.BASE_NS + 7        # fixed: examples must not depend on time
MAX_EXAMPLES = 150                  # per test: 1 - 3 s each
DBL_MAX = sys.float_info.max


def good_map(n, term=1, seq=None, vt=VT):
    """Tick n of vt, numbered like fakehub's, with a fixed hub_ns."""
    t = tick_map(vt, n, term, n if seq is None else seq)
    t["hub_ns"] = HUB_NS
    return t


# ----------------------------------------------------------------------
# The oracle: docs/protocol.md §4 and §6, read field by field.

def tick_ok(t, topic, live):
    """True when the decoded map t is a tick protocol.md §4 allows on
    topic."""
    if type(t) is not dict:
        return False
    if any(type(t.get(k)) is not str for k in STRS):
        return False
    if any(type(t.get(k)) is not int or t[k] < 0 for k in INTS):
        return False
    for k in FLOATS:
        v = t.get(k)
        if type(v) not in (int, float) or not math.isfinite(v) or v < 0:
            return False
    if t.get("extra") is not None and type(t["extra"]) is not dict:
        return False
    vt = t["vt_symbol"]
    if vt != t["symbol"] + "." + t["exchange"] or vt.encode() != topic:
        return False
    return not live or (t["term"] >= 1 and t["seq"] >= 1)


def uint_pair(m, k1, k2):
    """(a, b) of two non-negative integers of map m, or None."""
    if type(m) is not dict:
        return None
    a, b = m.get(k1), m.get(k2)
    if type(a) is not int or type(b) is not int or a < 0 or b < 0:
        return None
    return a, b


# ----------------------------------------------------------------------
# Encoding what msgpack's packer will not: a str that is not UTF-8.

class RawStr(bytes):
    """Bytes sent as a msgpack str (most are not UTF-8)."""


def _str_header(n):
    if n < 32:
        return bytes([0xa0 | n])
    if n < 256:
        return b"\xd9" + bytes([n])
    return b"\xda" + struct.pack(">H", n)


def pack_map(m):
    """msgpack of the dict m, whose top-level values may be RawStr."""
    out = bytearray(msgpack.Packer().pack_map_header(len(m)))
    for k, v in m.items():
        out += msgpack.packb(k)
        out += (_str_header(len(v)) + v if type(v) is RawStr
                else msgpack.packb(v))
    return bytes(out)


def decodable(m):
    """The map as the reader decodes it, or None when it cannot be
    decoded (a str that is not UTF-8)."""
    if any(type(v) is RawStr for v in m.values()):
        return None
    return m


def _utf8(b):
    try:
        b.decode()
        return True
    except UnicodeDecodeError:
        return False


def _not_utf8(b):
    return not _utf8(b)


settings.register_profile(
    "hamd", derandomize=True, database=None, deadline=None,
    max_examples=MAX_EXAMPLES, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow,
                           HealthCheck.filter_too_much])
settings.load_profile("hamd")

# Every msgpack value a publisher could send (keys of maps: str, as
# strict_map_key reads them; a map with other keys is in raw_bytes).
leaves = (st.none() | st.booleans()
          | st.integers(min_value=-2 ** 63, max_value=2 ** 64 - 1)
          | st.floats(allow_nan=True, allow_infinity=True)
          | st.sampled_from([DBL_MAX, -0.0, 5e-324, 2.0 ** 63])
          | st.text(max_size=12) | st.binary(max_size=12)
          | st.builds(msgpack.ExtType, st.integers(0, 127),
                      st.binary(max_size=8)))


def _containers(kids):
    return (st.lists(kids, max_size=4)
            | st.dictionaries(st.text(max_size=6), kids, max_size=4))


values = st.recursive(leaves, _containers, max_leaves=12)
not_utf8 = st.binary(min_size=1, max_size=40).filter(_not_utf8).map(RawStr)
DELETE = object()
# A field set to anything, deleted, or not UTF-8; unknown keys too.
changes = st.dictionaries(
    st.sampled_from(FIELDS + ("snapshot",)) | st.text(max_size=8),
    st.just(DELETE) | values | not_utf8, min_size=1, max_size=4)
topics = st.just(TOPIC) | st.binary(max_size=16) | st.sampled_from(
    [b"", b"_hb", b"rb2601.SHF", b"rb2601.SHFE\x00", VT.upper().encode()])
# Bytes that are hard to read: huge declared lengths, deep nesting,
# never-used byte 0xc1, truncations.
nasty_bytes = st.sampled_from([
    b"", b"\xc1", b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff",
    b"\xdb\xff\xff\xff\xff", b"\xc6\xff\xff\xff\xff", b"\x91" * 100000,
    b"\x81" * 50000, b"\x81\x01\x02", b"\x81\xc0\x01", b"\xd6\xff\x00",
    b"\xc7\x03\xff\x00\x00\x00", b"\x80\x80", b"\x81\xa1a",
    msgpack.packb({"a": [1] * 10})[:-1]])
raw_bytes = st.binary(max_size=256) | nasty_bytes

@st.composite
def mutated_ticks(draw):
    """(map, topic): a good tick with up to four fields changed, on a
    topic that is mostly its own."""
    t = good_map(draw(st.integers(1, 10 ** 6)))
    for k, v in draw(changes).items():
        if v is DELETE:
            t.pop(k, None)
        else:
            t[k] = v
    return t, draw(topics)


def refuses(read, *args):
    """True when the reader refuses its input as Malformed."""
    try:
        read(*args)
    except wire.Malformed:
        return True
    return False


def dealer_refuses(frames):
    """True when frames, answering a snapshot request, are no tick and no
    END: the client drops them, counted."""
    if len(frames) == 2 and frames[0] == wire.END_TOPIC:
        return False
    return len(frames) != 2 or refuses(wire.tick, frames[0], frames[1], False)


def end_of(body):
    """(term, count) of an END body, or None."""
    try:
        return wire.snapshot_end(body)
    except wire.Malformed:
        return None


def _packed(v):
    return msgpack.packb(v)


msgpack_bodies = raw_bytes | values.map(_packed)
SUB_KINDS = ("bytes", "tick", "frames", "hb", "event", "reserved")


@st.composite
def hostile_sub(draw):
    """(frames, malformed): a message on a SUB that the client must drop
    and count (malformed True): a tick topic with any bytes or a tick with
    broken fields, another count of frames, a bad `_hb` or `_event` body;
    or one on a reserved topic, ignored (malformed False). Named functions,
    no lambdas: hypothesis reads a lambda's source to describe it, which
    took most of the run."""
    kind = draw(st.sampled_from(SUB_KINDS))
    if kind == "bytes":
        f = [draw(topics), draw(raw_bytes)]
        assume(f[0][:1] != b"_" and refuses(wire.tick, *f))
    elif kind == "tick":
        t, topic = draw(mutated_ticks())
        assume(topic[:1] != b"_" and not (decodable(t) and
                                          tick_ok(t, topic, True)))
        f = [topic, pack_map(t)]
    elif kind == "frames":
        f = draw(st.lists(st.binary(max_size=8), max_size=5))
        assume(len(f) != 2)
    elif kind in ("hb", "event"):
        body = draw(msgpack_bodies)
        read, topic = ((wire.heartbeat, wire.HB_TOPIC) if kind == "hb"
                       else (wire.event, wire.EVENT_TOPIC))
        assume(refuses(read, body))
        f = [topic, body]
    else:
        f = [draw(st.sampled_from([b"_", b"_x", b"_wm", b"_hb2"])),
             draw(raw_bytes)]
    return f, kind != "reserved"


@st.composite
def live_stream(draw):
    """Good ticks (a dict: their unknown keys) and hostile messages (a
    tuple: hostile_sub's), mixed."""
    return draw(st.lists(st.one_of(hostile_sub(), unknown_keys),
                         max_size=25))


@st.composite
def dealer_bad(draw):
    """Frames answering a snapshot request that are no tick and no END."""
    f, _ = draw(hostile_sub())
    assume(dealer_refuses(f))
    return f


@st.composite
def end_frames(draw):
    """The END of an answer: by kind, or any body."""
    if draw(st.booleans()):
        return draw(st.sampled_from(["right", "none", "more", "less"]))
    return ("body", draw(msgpack_bodies))


# What a good tick may carry besides its fields: unknown keys are ignored
# (protocol.md §4), "snapshot" among them.
unknown_keys = st.dictionaries(st.sampled_from(["snapshot", "future", "x"]),
                               values, max_size=2)


# ----------------------------------------------------------------------
# The readers (hamd.wire): any bytes, any values.

class TestReaders(unittest.TestCase):
    def assert_tick_or_malformed(self, topic, body, live):
        try:
            t = wire.tick(topic, body, live)
        except wire.Malformed as e:
            self.assertTrue(str(e))
            return None
        self.assertTrue(tick_ok(t, topic, live), t)
        return t

    @given(topics, raw_bytes, st.booleans())
    @example(TOPIC, b"\x91" * 100000, True)
    @example(TOPIC, b"\xdd\xff\xff\xff\xff", False)
    def test_tick_any_bytes(self, topic, body, live):
        self.assert_tick_or_malformed(topic, body, live)

    @given(mutated_ticks(), st.booleans())
    # Regression: two finite prices at DBL_MAX (CTP's "no value", when a
    # gateway passes it on) add up to infinity, and the tick was refused as
    # "NaN, infinite or negative" although the hub publishes it and the C
    # library delivers it.
    @example((dict(good_map(1), limit_up=DBL_MAX, limit_down=DBL_MAX),
              TOPIC), True)
    @example((dict(good_map(1), volume=2 ** 64 - 1, turnover=DBL_MAX),
              TOPIC), True)
    @example((dict(good_map(1), last_price=math.nan), TOPIC), True)
    @example((dict(good_map(1), ask_price_1=-math.inf, bid_price_1=math.inf),
              TOPIC), True)
    @example((dict(good_map(1), name=RawStr(b"\xff")), TOPIC), True)
    def test_tick_fields(self, tick_topic, live):
        t, topic = tick_topic
        got = self.assert_tick_or_malformed(topic, pack_map(t), live)
        m = decodable(t)
        self.assertEqual(got is not None,
                         m is not None and tick_ok(m, topic, live))

    @given(raw_bytes)
    def test_small_maps_any_bytes(self, body):
        for read in (wire.heartbeat, wire.snapshot_end, wire.event):
            refuses(read, body)

    @given(st.dictionaries(st.sampled_from(["term", "node", "count",
                                            "event_type", "ts_ns"])
                           | st.text(max_size=4), values, max_size=5))
    @example({"term": 1, "node": 2 ** 32})
    @example({"term": 2 ** 64 - 1, "node": 2 ** 32 - 1, "count": 0})
    def test_small_maps_values(self, m):
        body = msgpack.packb(m)
        hb, end = uint_pair(m, "term", "node"), uint_pair(m, "term", "count")
        hb = hb if hb and hb[0] >= 1 and hb[1] < 2 ** 32 else None
        for read, want in ((wire.heartbeat, hb), (wire.snapshot_end, end)):
            self.assertEqual(None if refuses(read, body) else read(body), want)
        event_ok = type(m.get("event_type", "")) is str
        self.assertEqual(refuses(wire.event, body), not event_ok)

    @given(st.integers(0, 2 ** 64 - 1),
           st.text(max_size=8) | st.sampled_from(["SHFE", "CME"]))
    def test_times_convert_exactly(self, ns, exchange):
        """Any time a tick may carry (a uint64 of ns) converts, exact to
        the microsecond, in any exchange's zone."""
        dt = convert.ns_to_datetime(ns, convert.exchange_tz(exchange))
        self.assertEqual((dt - convert.EPOCH) // US, ns // 1000)


US = convert.ns_to_datetime(1000) - convert.EPOCH   # one microsecond


# ----------------------------------------------------------------------
# The shell (hamd.Client): streams with bad messages among good ones.

class ShellCase(unittest.TestCase):
    """A fresh hamd.Client per example, on one ZeroMQ context; its SUB
    connects to an inproc endpoint nobody binds, and nothing is sent."""

    @classmethod
    def setUpClass(cls):
        cls.ctx = zmq.Context()

    @classmethod
    def tearDownClass(cls):
        cls.ctx.term()

    def fresh(self, snapshots):
        self.client = hamd.Client(
            ["inproc://hamd-hostile-pub"], [""], context=self.ctx,
            snapshot_endpoints=["inproc://hamd-hostile-snap"] if snapshots
            else None)
        # the fake clock starts where the client's core did (it read the
        # monotonic clock once, when made); only differences matter
        self.now = self.client._core.snap_not_before
        return self.client

    def sub(self, frames):
        self.now += core.NS_PER_MS
        self.client._sub_message(0, frames, self.now)

    def hb(self, term):
        self.sub([wire.HB_TOPIC, msgpack.packb({"term": term, "node": 1})])

    def live(self, n, term, keys=None):
        t = good_map(n, term=term)
        t.update(keys or {})
        self.sub([TOPIC, msgpack.packb(t)])

    def taken(self):
        out = list(self.client._ready)
        self.client._ready.clear()
        return out


class TestLiveStream(ShellCase):
    @given(live_stream())
    # Regression: a live tick whose body has a key "snapshot" (unknown
    # keys are ignored) was delivered as if it came from a snapshot.
    @example([{"snapshot": True}, {}])
    def test_good_ticks_in_order_bad_ones_counted(self, stream):
        with self.fresh(snapshots=False):
            self.hb(1)
            n = bad = 0
            for item in stream:
                if type(item) is dict:
                    n += 1
                    self.live(n, 1, item)
                else:
                    self.sub(item[0])
                    bad += item[1]
            got = self.taken()
            self.assertEqual([t["extra"]["sim_seq"] for t in got],
                             list(range(1, n + 1)))
            self.assertFalse(any(t.get("snapshot") for t in got))
            stats = self.client.stats
            self.assertEqual((stats["delivered"], stats["malformed"],
                              stats["fenced"]), (n, bad, 0))


class TestSnapshotReply(ShellCase):
    """Answers to the late joiner's snapshot request: good ticks among bad
    ones, an END that is missing, malformed, miscounts or is of a deposed
    term."""

    def ask(self):
        """A heartbeat, then what the poll step does when the core says
        DO_SNAPSHOT_SEND: the request left."""
        c = self.client._core
        self.hb(1)
        acts, _ = c.due(self.now)
        self.assertIn(core.DO_SNAPSHOT_SEND, acts)
        c.sent(True, self.now)

    def dealer(self, frames):
        self.now += core.NS_PER_MS
        self.client._dealer_message(frames, self.now)

    @given(st.lists(st.none() | dealer_bad(), max_size=12), end_frames())
    @example([None, [b"END"]], "right")
    @example([None], ("body", b"\x82\xa4term\x01\xa5count"))
    @example([None], ("body", msgpack.packb({"term": 0, "count": 1})))
    @example([None], ("body", msgpack.packb({"term": 2 ** 64 - 1,
                                             "count": 1})))
    def test_reply(self, answer, end):
        """answer: each message before END, a good tick of a contract of
        its own (None) or bad frames; end: the END, by kind or body."""
        with self.fresh(snapshots=True):
            self.ask()
            want, n_bad = [], 0
            for i, frames in enumerate(answer):
                if frames is None:
                    vt = "c%d.SHFE" % i
                    want.append((vt, i + 1))
                    frames = [vt.encode(),
                              msgpack.packb(good_map(i + 1, vt=vt))]
                else:
                    n_bad += 1
                self.dealer(frames)
            self.check_end(end, len(answer), sorted(want), n_bad)

    def check_end(self, end, sent, want, n_bad):
        counts = {"right": sent, "more": sent + 1, "less": max(0, sent - 1)}
        if end in counts:
            body = msgpack.packb({"term": 1, "count": counts[end]})
        else:
            body = None if end == "none" else end[1]
        if body is not None:
            self.dealer([wire.END_TOPIC, body])
        got = None if body is None else end_of(body)
        merged = got is not None and got[1] == sent and got[0] >= 1
        end_bad = body is not None and (got is None or got[1] != sent)
        stats = self.client.stats
        self.assertEqual(stats["snapshots"], int(merged))
        self.assertEqual(stats["malformed"], n_bad + end_bad)
        ticks = self.taken()
        self.assertEqual(sorted((t["vt_symbol"], t["extra"]["sim_seq"])
                                for t in ticks), want if merged else [])
        self.assertTrue(all(t["snapshot"] for t in ticks))
        self.check_goes_on(got[0] if merged else 1)

    def check_goes_on(self, term):
        """Whatever the answer, the join ends (merged, or retried and
        given up) and live ticks flow, in order."""
        c = self.client._core
        for _ in range(core.SNAPSHOT_ATTEMPTS + 1):
            self.now += core.SNAPSHOT_TIMEOUT_MS * core.NS_PER_MS
            self.hb(term)
            c.due(self.now)
        self.assertFalse(c.holding)
        for k in (1, 2, 3):
            self.live(10 ** 6 + k, term)
        self.assertEqual([t["extra"]["sim_seq"] for t in self.taken()
                          if t["vt_symbol"] == VT],
                         [10 ** 6 + 1, 10 ** 6 + 2, 10 ** 6 + 3])
