"""What the client reads off the wire (docs/protocol.md), checked.

A published tick, `_hb`, the snapshot's END and `_event` are msgpack maps;
anything that does not match what docs/protocol.md promises is malformed:
the reader raises Malformed with a short reason, and the client drops and
counts it. Pure functions, no I/O.
"""
import math
from operator import itemgetter

import msgpack

HB_TOPIC = b"_hb"
EVENT_TOPIC = b"_event"
# + b"<k>.<name>": subscribed on every connection, never published: the hub
# counts this client once however many connections and topics it has
# (docs/protocol.md, "Who is a client"); k: its other topics.
NAME_TOPIC = b"_client."


def name_topic(name, prefixes):
    """The name topic of a client subscribed to prefixes (str), `_hb` and
    `_event`: a SUB sends a topic given twice once."""
    k = len({p.encode() for p in prefixes} | {HB_TOPIC, EVENT_TOPIC})
    return NAME_TOPIC + b"%d.%s" % (k, name.encode())
END_TOPIC = b"END"

STR_FIELDS = ("symbol", "exchange", "vt_symbol", "gateway_name", "name")
INT_FIELDS = ("datetime", "localtime", "term", "seq", "node", "hub_ns")
FLOAT_FIELDS = (
    "volume", "turnover", "open_interest", "last_price", "last_volume",
    "limit_up", "limit_down", "open_price", "high_price", "low_price",
    "pre_close",
) + tuple("%s_%d" % (k, i) for k in ("bid_price", "ask_price", "bid_volume",
                                     "ask_volume") for i in range(1, 6))

_strs = itemgetter(*STR_FIELDS)
_ints = itemgetter(*INT_FIELDS)
_floats = itemgetter(*FLOAT_FIELDS)
_NUMBER = {float, int}
_UINT32_MAX = 2 ** 32 - 1


class Malformed(ValueError):
    """A message that does not match the protocol; str() is the reason."""


def unpack_map(body):
    """The msgpack map body holds (string keys), or raises Malformed."""
    try:
        m = msgpack.unpackb(body, raw=False, strict_map_key=True)
    except Exception as e:  # noqa: BLE001 - every decoding error is one
        raise Malformed("bad msgpack (%s)" % type(e).__name__) from None
    if type(m) is not dict:
        raise Malformed("not a map")
    return m


def _finite(numbers):
    """True when every number is finite. Their sum (one loop in C) is,
    unless one is NaN or infinite, or finite ones add up past the largest
    float (two prices at DBL_MAX, CTP's "no value"): only then is each
    looked at."""
    return math.isfinite(sum(numbers)) or all(map(math.isfinite, numbers))


def tick(topic, body, live=True):
    """The tick dict published on topic (bytes), checked: every field of
    docs/protocol.md §4 with its type, strings and integers exact, prices
    and volumes finite and not negative, vt_symbol = symbol.exchange = the
    topic. A live tick needs term and seq of at least 1 (a snapshot's may
    be 0: a contract the answering node cached but never numbered)."""
    t = unpack_map(body)
    try:
        strs, ints, floats = _strs(t), _ints(t), _floats(t)
    except (KeyError, TypeError):
        raise Malformed("a field is missing") from None
    if set(map(type, strs)) != {str}:
        raise Malformed("a string field is not a string")
    if set(map(type, ints)) != {int}:
        raise Malformed("an integer field is not an integer")
    if not set(map(type, floats)) <= _NUMBER:
        raise Malformed("a price or volume is not a number")
    if min(floats) < 0 or not _finite(floats):
        raise Malformed("a price or volume is NaN, infinite or negative")
    vt = t["vt_symbol"]
    if vt != t["symbol"] + "." + t["exchange"] or vt.encode() != topic:
        raise Malformed("vt_symbol is not symbol.exchange and the topic")
    extra = t.get("extra")
    if extra is not None and type(extra) is not dict:
        raise Malformed("extra is not a map")
    if min(ints) < 0 or (live and (t["term"] == 0 or t["seq"] == 0)):
        raise Malformed("a negative integer, or term or seq 0")
    return t


def _uints(body, k1, k2):
    m = unpack_map(body)
    a, b = m.get(k1), m.get(k2)
    if type(a) is not int or type(b) is not int or a < 0 or b < 0:
        raise Malformed("%s and %s must be non-negative integers" % (k1, k2))
    return a, b


def heartbeat(body):
    """(term, node) of an `_hb` body: term >= 1, node fits 32 bits."""
    term, node = _uints(body, "term", "node")
    if term == 0 or node > _UINT32_MAX:
        raise Malformed("term 0 or node out of range")
    return term, node


def snapshot_end(body):
    """(term, count) of a snapshot's END body."""
    return _uints(body, "term", "count")


def event(body):
    """The event map of an `_event` body; its event_type, when present,
    is a string."""
    ev = unpack_map(body)
    if type(ev.get("event_type", "")) is not str:
        raise Malformed("event_type is not a string")
    return ev
