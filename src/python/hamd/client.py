"""hamd.Client: hamd's tick stream, every tick exactly once and in order per
contract, through any failover (docs/client.md).

The ZeroMQ shell around hamd.core.Core: a SUB per publish endpoint (and
probes beside a silent one, hamd.conn), a DEALER for snapshots while one
is asked for, and a poll step that feeds the core and carries out what it
says is due. Pure Python on pyzmq and
msgpack (Debian's python3-zmq and python3-msgpack).

    import hamd

    client = hamd.Client(["tcp://10.0.0.1:5551", "tcp://10.0.0.2:5551"],
                         ["rb2601.SHFE"],
                         snapshot_endpoints=["tcp://10.0.0.1:5561",
                                             "tcp://10.0.0.2:5561"])
    for tick in client:                    # dicts with vnpy's field names
        print(tick["vt_symbol"], tick["last_price"])
"""
import collections
import logging
import os
import struct
import time

import zmq
from zmq.utils import z85

from . import conn, core, wire

ENDPOINTS_MAX = 16          # publish or snapshot endpoints (as the C library)
PREFIX_MAX_BYTES = 47       # the hub answers no snapshot of a longer prefix
HB_TIMEOUT_MS_DEFAULT = 1000  # ten `_hb` periods
HISTORY_MAX = 1000          # gaps, leader changes, events kept for reading
BATCH_MAX = 1000            # messages read from one socket per step
RCVHWM_MSGS = 10000         # messages a connection queues in this process,
#                             at most: beyond, the hub's queue for this
#                             client fills and the hub drops ticks for it,
#                             reported as a gap (unbounded, a consumer
#                             slower than the stream grew without limit and
#                             never heard of a loss; docs/client.md)
CURVE_KEY_Z85_LEN = 40      # a CURVE key in Z85 (docs/security.md)
RECONNECT_IVL_MS = 10       # a new leader re-sends what it held once the
#                             old one's clients are back, at most 300 ms
#                             after the first: be among them
ZMTP_HEARTBEAT_IVL_MS = 1000      # ZMTP ping on every connection ...
ZMTP_HEARTBEAT_TIMEOUT_MS = 3000  # ... dropped when silent this long
CONNECT_TIMEOUT_MS = 300    # a SYN sent while a VIP moves gets no answer
HANDSHAKE_IVL_MS = 500      # a frozen hub accepts TCP, never says ZMTP hello
PROBE_CONNECT_TIMEOUT_MS = 25  # a probe gives up a SYN this soon, retries
PROBE_HANDSHAKE_IVL_MS = 100   # ... and a handshake (LAN speed: hamd.conn)
SNAPSHOT_REQUEST = b"SNAPSHOT"

log = logging.getLogger("hamd.client")

_NOTICE_LEVEL = {core.SILENT: logging.WARNING, core.RECONNECT: logging.WARNING,
                 core.SNAPSHOT_FAILED: logging.WARNING,
                 core.BAD_MESSAGE: logging.WARNING, core.LATE_START: logging.INFO,
                 core.BACK: logging.INFO, core.SNAPSHOT: logging.DEBUG}


def _strings(values, what, max_bytes=None, allow_empty=False,
             limit=ENDPOINTS_MAX):
    """values as a list of str, checked (ValueError, TypeError)."""
    if isinstance(values, (str, bytes)):
        raise TypeError("%s: a list of strings, not one string" % what)
    out = list(values or [])
    for v in out:
        if not isinstance(v, str) or (not v and not allow_empty) or (
                max_bytes is not None and len(v.encode()) > max_bytes):
            raise ValueError("%s: bad entry %r" % (what, v))
    if limit is not None and len(out) > limit:
        raise ValueError("%s: at most %d" % (what, limit))
    return out


def _curve_keys(server_key, client_public_key, client_secret_key):
    """The CURVE keys (docs/security.md) as bytes: all three Z85 keys, or
    None for none."""
    keys = (server_key, client_public_key, client_secret_key)
    if all(k is None for k in keys):
        return None
    out = []
    for name, k in zip(("server_key", "client_public_key",
                        "client_secret_key"), keys):
        if isinstance(k, str):
            k = k.encode()
        if not isinstance(k, bytes) or len(k) != CURVE_KEY_Z85_LEN:
            raise ValueError("%s: %d characters of Z85 (all three keys, or "
                             "none)" % (name, CURVE_KEY_Z85_LEN))
        try:
            z85.decode(k)
        except (KeyError, struct.error):
            # ZeroMQ would refuse it on the socket, far from the cause
            raise ValueError("%s: not a Z85 key (a character outside Z85's "
                             "alphabet, or a typo)" % name) from None
        out.append(k)
    return tuple(out)


def _connect(sock, endpoint, what):
    """sock.connect(endpoint); an endpoint ZeroMQ refuses ("foo", no port,
    "http://...") is the caller's ValueError, named."""
    try:
        sock.connect(endpoint)
    except zmq.ZMQError as e:
        raise ValueError("%s: bad endpoint %r: %s" % (what, endpoint, e)) from None


def _callable(f, what):
    """f, when None or callable (TypeError otherwise, now rather than at
    the first gap)."""
    if f is not None and not callable(f):
        raise TypeError("%s: a callable or None, not %r" % (what, f))
    return f


def _set_connection_options(sock, curve=None):
    """docs/protocol.md §8; the CURVE keys when given."""
    if curve:
        sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = curve
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVHWM, RCVHWM_MSGS)
    sock.setsockopt(zmq.RECONNECT_IVL, RECONNECT_IVL_MS)
    sock.setsockopt(zmq.HEARTBEAT_IVL, ZMTP_HEARTBEAT_IVL_MS)
    sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, ZMTP_HEARTBEAT_TIMEOUT_MS)
    sock.setsockopt(zmq.CONNECT_TIMEOUT, CONNECT_TIMEOUT_MS)
    sock.setsockopt(zmq.HANDSHAKE_IVL, HANDSHAKE_IVL_MS)


class Client:
    """Receives hamd's ticks: iterate it, or call poll()/recv() from your
    own loop. One thread uses it; subscribe() may be called from any.

    endpoints: every node's publish endpoint, or the VIP's.
    prefixes: topic prefixes ("rb2601.SHFE", "rb"); [""] for every
        contract; [] for none until subscribe().
    snapshot_endpoints: the same nodes' snapshot endpoints (None: no
        snapshots: a late joiner waits for each contract's next tick).
    hb_timeout_ms: no `_hb` this long: silent, reconnect, re-snapshot.
    on_gap(Gap), on_leader(LeaderChange), on_event(dict),
    on_notice(kind, text): called from the thread that polls; gaps,
        leader_changes and events also keep the last HISTORY_MAX.
    server_key, client_public_key, client_secret_key: ZeroMQ CURVE, when
        the hub has [publish] curve_secret_file (docs/security.md): the
        hub's public key and this client's key pair (`hactl keys gen`),
        Z85 (str or bytes); all three or none. A client whose public key
        is not in the hub's [publish] curve_clients_dir receives nothing.

    Ticks are the hub's dicts (docs/protocol.md §4, vnpy's field names);
    one from a snapshot has "snapshot": True.
    """

    def __init__(self, endpoints, prefixes=("",), snapshot_endpoints=None,
                 hb_timeout_ms=HB_TIMEOUT_MS_DEFAULT, on_gap=None,
                 on_leader=None, on_event=None, on_notice=None, context=None,
                 server_key=None, client_public_key=None,
                 client_secret_key=None):
        self._curve = _curve_keys(server_key, client_public_key,
                                  client_secret_key)
        self.endpoints = _strings(endpoints, "endpoints")
        if not self.endpoints:
            raise ValueError("endpoints: at least one publish endpoint")
        self.snapshot_endpoints = _strings(snapshot_endpoints,
                                           "snapshot_endpoints")
        self.prefixes = _strings(prefixes, "prefixes", PREFIX_MAX_BYTES, True,
                                 limit=None)
        if (not isinstance(hb_timeout_ms, int) or isinstance(hb_timeout_ms, bool)
                or hb_timeout_ms <= 0):
            raise ValueError("hb_timeout_ms: a positive integer")
        self.gaps = collections.deque(maxlen=HISTORY_MAX)
        self.leader_changes = collections.deque(maxlen=HISTORY_MAX)
        self.events = collections.deque(maxlen=HISTORY_MAX)
        self._on_gap = _callable(on_gap, "on_gap")
        self._on_leader = _callable(on_leader, "on_leader")
        self._on_event = _callable(on_event, "on_event")
        self._on_notice = _callable(on_notice, "on_notice")
        self._stepping = False               # a poll step runs (callbacks too)
        self._close_due = False              # close() came from a callback
        self._ready = collections.deque()    # delivered, not yet taken
        self._new_prefixes = collections.deque()  # from subscribe()
        self._own_ctx = context is None
        self._ctx = context or zmq.Context()
        self._poller = zmq.Poller()
        self._dealer = None
        self._subs = {}                      # slot -> SUB (hamd.conn)
        self._name = os.urandom(8).hex()     # this client's, for the hub
        self._name_topic = wire.name_topic(self._name, self.prefixes)
        self._core = core.Core(len(self.endpoints), len(self.prefixes),
                               bool(self.snapshot_endpoints),
                               hb_timeout_ms * core.NS_PER_MS,
                               time.monotonic_ns(), self._deliver,
                               self._gap, self._leader, self._notice)
        try:
            for e in range(len(self.endpoints)):
                self._open_sub(conn.SLOTS_PER_EP * e)
            if self.snapshot_endpoints:
                # Refused now, not when the first snapshot is due.
                self._open_dealer()
                self._close_dealer()
        except (zmq.ZMQError, ValueError):
            self.close()
            raise

    # ------------------------------------------------------------------
    # The public side

    def subscribe(self, prefix):
        """Adds a topic prefix (from any thread); a snapshot of it follows."""
        self._new_prefixes.append(_strings([prefix], "prefix", PREFIX_MAX_BYTES,
                                           True, limit=None)[0])

    def poll(self, timeout_ms=None):
        """Waits at most timeout_ms (None: until something happens) and
        returns the ticks delivered meanwhile (maybe none)."""
        if not self._ready:
            self._step(timeout_ms)
        out = list(self._ready)
        self._ready.clear()
        return out

    def recv(self, timeout_ms=None):
        """The next tick, or None when timeout_ms passed first."""
        deadline = None if timeout_ms is None else (
            time.monotonic_ns() + timeout_ms * core.NS_PER_MS)
        while not self._ready:
            left = None if deadline is None else max(
                0, (deadline - time.monotonic_ns()) // core.NS_PER_MS)
            self._step(left)
            if deadline is not None and time.monotonic_ns() >= deadline:
                break
        return self._ready.popleft() if self._ready else None

    def __iter__(self):
        while True:
            yield self.recv()

    @property
    def stats(self):
        """Counters (a copy): delivered, duplicates, fenced, gaps, ..."""
        return dict(self._core.stats)

    def close(self):
        """Closes the sockets; from a callback, when its poll step ends
        (the step still uses them). poll, recv and the iterator raise
        RuntimeError afterwards."""
        if self._stepping:
            self._close_due = True
            return
        for s in self._subs.values():
            s.close(linger=0)
        self._subs = {}
        self._close_dealer()
        if self._own_ctx and self._ctx is not None:
            self._ctx.term()
        self._ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------
    # The core's decisions

    def _deliver(self, t, snapshot):
        if snapshot:
            t["snapshot"] = True
        elif "snapshot" in t:       # the body's own key (unknown keys are
            del t["snapshot"]       # ignored): "snapshot" is the client's
        self._ready.append(t)

    def _gap(self, gap):
        self.gaps.append(gap)
        log.warning("gap on %s in term %d: seq %d -> %d (%d missing)",
                    gap.vt_symbol, gap.term, gap.expected - 1, gap.got,
                    gap.got - gap.expected)
        if self._on_gap:
            self._on_gap(gap)

    def _leader(self, change):
        self.leader_changes.append(change)
        if self._on_leader:
            self._on_leader(change)

    def _notice(self, kind, text):
        log.log(_NOTICE_LEVEL.get(kind, logging.INFO), "%s", text)
        if self._on_notice:
            self._on_notice(kind, text)

    # ------------------------------------------------------------------
    # Sockets

    def _open_sub(self, slot):
        sub = self._ctx.socket(zmq.SUB)
        self._subs[slot] = sub  # close() closes it, whatever fails next
        _set_connection_options(sub, self._curve)
        if conn.is_probe(slot):
            sub.setsockopt(zmq.CONNECT_TIMEOUT, PROBE_CONNECT_TIMEOUT_MS)
            sub.setsockopt(zmq.HANDSHAKE_IVL, PROBE_HANDSHAKE_IVL_MS)
        for p in self.prefixes:
            sub.setsockopt(zmq.SUBSCRIBE, p.encode())
        # heartbeats and events whatever the prefixes
        sub.setsockopt(zmq.SUBSCRIBE, wire.HB_TOPIC)
        sub.setsockopt(zmq.SUBSCRIBE, wire.EVENT_TOPIC)
        sub.setsockopt(zmq.SUBSCRIBE, self._name_topic)
        self._poller.register(sub, zmq.POLLIN)
        _connect(sub, self.endpoints[conn.endpoint(slot)], "endpoints")

    def _close_sub(self, slot, now):
        """Reads what the SUB still holds (repeats are dropped by the core,
        a tick only it brought is not lost), then closes it."""
        sub = self._subs.pop(slot, None)
        if sub is None:
            return
        self._drain(slot, now, sub, limit=None)
        self._poller.unregister(sub)
        sub.close(linger=0)

    def _open_dealer(self):
        d = self._ctx.socket(zmq.DEALER)
        self._poller.register(d, zmq.POLLIN)
        self._dealer = d  # close() closes it, whatever fails next
        _set_connection_options(d, self._curve)
        # A request goes only to a completed connection: the publisher's.
        d.setsockopt(zmq.IMMEDIATE, 1)
        for ep in self.snapshot_endpoints:
            _connect(d, ep, "snapshot_endpoints")

    def _close_dealer(self):
        if self._dealer is not None:
            self._poller.unregister(self._dealer)
            self._dealer.close(linger=0)
        self._dealer = None

    def _send_snapshot_request(self, now):
        if self._dealer is None:
            self._open_dealer()
        prefix = self.prefixes[self._core.snap_prefix].encode()
        try:
            self._dealer.send_multipart([SNAPSHOT_REQUEST, prefix], zmq.NOBLOCK)
            ok = True
        except zmq.Again:
            ok = False
        self._core.sent(ok, now)

    def _apply_subscriptions(self):
        while self._new_prefixes:
            p = self._new_prefixes.popleft()
            if p in self.prefixes:
                continue
            self.prefixes.append(p)
            # The name again with one topic more, before the old one goes:
            # the hub counts the client once throughout.
            old, self._name_topic = (self._name_topic,
                                     wire.name_topic(self._name, self.prefixes))
            for s in self._subs.values():
                s.setsockopt(zmq.SUBSCRIBE, p.encode())
                s.setsockopt(zmq.SUBSCRIBE, self._name_topic)
                s.setsockopt(zmq.UNSUBSCRIBE, old)
            self._core.add_prefix()

    # ------------------------------------------------------------------
    # Messages

    def _sub_message(self, i, frames, now):
        c = self._core
        if len(frames) != 2:
            c.malformed(i, "not two frames", now)
            return
        topic, body = frames
        try:
            if topic[:1] != b"_":
                c.tick(i, wire.tick(topic, body), now)
            elif topic == wire.HB_TOPIC:
                term, node = wire.heartbeat(body)
                c.heartbeat(i, term, node, now)
            elif topic == wire.EVENT_TOPIC:
                ev = wire.event(body)
                c.event(i, now)
                self.events.append(ev)
                if self._on_event:
                    self._on_event(ev)
            else:
                c.other(i, now)          # reserved topic: ignored
        except wire.Malformed as e:
            c.malformed(i, str(e), now)

    def _drain(self, slot, now, sub, limit=BATCH_MAX):
        n = 0
        while limit is None or n < limit:
            try:
                frames = sub.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._sub_message(slot, frames, now)
            n += 1

    def _dealer_message(self, frames, now):
        c = self._core
        if len(frames) == 2 and frames[0] == wire.END_TOPIC:
            try:
                term, count = wire.snapshot_end(frames[1])
            except wire.Malformed:
                c.snapshot_end(False, 0, 0, now)
            else:
                c.snapshot_end(True, term, count, now)
            return
        try:
            if len(frames) != 2:
                raise wire.Malformed("not two frames")
            c.snapshot_tick(wire.tick(frames[0], frames[1], live=False))
        except wire.Malformed as e:
            c.malformed(-1, str(e), now)
            c.snapshot_tick(None)

    def _drain_dealer(self, now):
        for _ in range(BATCH_MAX):
            if self._dealer is None:
                return
            try:
                frames = self._dealer.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._dealer_message(frames, now)

    # ------------------------------------------------------------------
    # The poll step

    def _due(self, now):
        acts, nxt = self._core.due(now)
        if core.DO_CLOSE in acts:
            for slot in self._core.take_close():
                self._close_sub(slot, now)
        if core.DO_OPEN in acts:
            for slot in self._core.take_open():
                if slot not in self._subs:
                    self._open_sub(slot)
        if core.DO_RECONNECT in acts:
            for slot in self._core.take_reconnect():
                sub = self._subs.get(slot)
                if sub is None:
                    continue
                self._drain(slot, now, sub, limit=None)
                if self._core.reconnect_ok(slot):
                    ep = self.endpoints[conn.endpoint(slot)]
                    sub.disconnect(ep)
                    sub.connect(ep)
        if core.DO_SNAPSHOT_CLOSE in acts:
            self._close_dealer()
        if core.DO_SNAPSHOT_SEND in acts:
            self._send_snapshot_request(now)
        return nxt

    def _step(self, timeout_ms):
        """One poll step: waits at most timeout_ms (None or < 0: no limit
        but what is due, as the C library)."""
        if self._ctx is None:
            raise RuntimeError("hamd.Client is closed")
        if timeout_ms is not None and timeout_ms < 0:
            timeout_ms = None   # poll(-1) waited for a message alone
        self._stepping = True
        try:
            self._step_once(timeout_ms)
        finally:
            self._stepping = False
            if self._close_due:
                self.close()

    def _step_once(self, timeout_ms):
        self._apply_subscriptions()
        # What came while the caller was away (its work on the ticks of
        # the last step) is read before anything is judged due: judged
        # first, a consumer slower than hb_timeout_ms over one batch saw
        # 'no heartbeat', probes and a snapshot while `_hb`s waited here.
        ready = dict(self._poller.poll(0))
        if not ready:
            now = time.monotonic_ns()
            nxt = self._due(now)
            wait = timeout_ms
            if nxt is not None:
                due_ms = max(0, -(-(nxt - now) // core.NS_PER_MS))
                wait = due_ms if wait is None else min(wait, due_ms)
            ready = dict(self._poller.poll(wait))
        now = time.monotonic_ns()
        for slot, s in list(self._subs.items()):
            if s in ready:
                self._drain(slot, now, s)
        if self._dealer is not None and self._dealer in ready:
            self._drain_dealer(now)
        self._due(time.monotonic_ns())
