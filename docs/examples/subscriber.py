#!/usr/bin/python3
"""A complete hamd tick subscriber (docs/protocol.md).

Subscribes to every node's publish endpoint, waits until the publisher's
heartbeat proves the subscription is live, asks for a snapshot, then prints
live ticks. On the way it drops ticks the snapshot already covered, fences
off ticks of an older term (a deposed leader's stragglers), drops what a
new leader re-sends that it already printed (not newer by exchange time,
then volume) and reports any seq jump inside a term as a gap.

    ./subscriber.py --endpoint tcp://10.0.0.1:5551 --endpoint tcp://10.0.0.2:5551 \\
                    --snapshot tcp://10.0.0.1:5561 --snapshot tcp://10.0.0.2:5561 \\
                    --prefix rb --count 100

One line per tick on stdout (snapshot ticks end with " snapshot"):

    rb2601.SHFE term=3 seq=120 2026-06-24T02:30:45.123Z last=3521 bid=3520x12 ask=3521x8 volume=84211 src=ctp_main

Diagnostics go to stderr. Exit status: 0 when --count ticks were printed
(or Ctrl-C) and no gap was seen, 1 when a gap was seen, 2 on a usage error,
3 when --timeout expired first.

Needs only Debian's python3-zmq and python3-msgpack.
"""
import argparse
import datetime
import sys
import time

import msgpack
import zmq

HB_TOPIC = b"_hb"
EVENT_TOPIC = b"_event"
ZMTP_HEARTBEAT_IVL_MS = 1000      # ping the publisher this often ...
ZMTP_HEARTBEAT_TIMEOUT_MS = 3000  # ... and drop a connection silent this long
RECONNECT_IVL_MS = 100            # retry a lost or not-yet-bound endpoint
HB_SILENCE_S = 1.0                # no `_hb` (sent every 100 ms) this long: warn
SNAPSHOT_TIMEOUT_MS = 2000        # per snapshot message
SNAPSHOT_ATTEMPTS = 3
WAITING_NOTICE_S = 2.0            # say we are waiting for a publisher after
POLL_MS = 100

EXIT_OK, EXIT_GAP, EXIT_USAGE, EXIT_TIMEOUT = 0, 1, 2, 3


def warn(msg):
    sys.stderr.write("subscriber: %s\n" % msg)
    sys.stderr.flush()


def set_connection_options(sock):
    """ZMTP heartbeats find a dead host in seconds, where TCP alone may wait
    for many minutes; a short reconnect interval finds the new leader fast."""
    sock.setsockopt(zmq.HEARTBEAT_IVL, ZMTP_HEARTBEAT_IVL_MS)
    sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, ZMTP_HEARTBEAT_TIMEOUT_MS)
    sock.setsockopt(zmq.RECONNECT_IVL, RECONNECT_IVL_MS)
    sock.setsockopt(zmq.LINGER, 0)


def open_sub(ctx, endpoints, prefixes):
    sub = ctx.socket(zmq.SUB)
    set_connection_options(sub)
    # Unbounded receive queue: if this process falls behind, memory grows
    # instead of the publisher dropping ticks for us (seen as gaps).
    sub.setsockopt(zmq.RCVHWM, 0)
    for p in prefixes:
        sub.setsockopt(zmq.SUBSCRIBE, p.encode())
    # Heartbeats and events whatever the prefixes (a duplicate subscription
    # does not duplicate messages).
    sub.setsockopt(zmq.SUBSCRIBE, HB_TOPIC)
    sub.setsockopt(zmq.SUBSCRIBE, EVENT_TOPIC)
    for ep in endpoints:
        sub.connect(ep)   # nodes that do not publish now are retried quietly
    return sub


def unpack_map(body):
    """A msgpack map, or None if the body is anything else."""
    try:
        m = msgpack.unpackb(body, raw=False)
    except Exception:  # noqa: BLE001 - any decoding error
        return None
    return m if isinstance(m, dict) else None


def decode_tick(topic, body):
    """The tick map, or None (with a warning) if it is not a valid tick."""
    try:
        t = msgpack.unpackb(body, raw=False)
    except Exception as e:  # noqa: BLE001 - any decoding error
        warn("undecodable body on %r: %s" % (topic, e))
        return None
    ok = (isinstance(t, dict) and t.get("vt_symbol") == topic.decode("utf-8", "replace")
          and all(isinstance(t.get(k), int) for k in ("term", "seq", "datetime")))
    if not ok:
        warn("malformed tick on %r" % topic)
        return None
    return t


def ns_to_iso(ns):
    """Epoch ns UTC -> 2026-06-24T02:30:45.123Z (integer math: no rounding)."""
    secs, rest = divmod(ns, 1_000_000_000)
    dt = datetime.datetime.fromtimestamp(secs, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (rest // 1_000_000)


def format_tick(t, snapshot):
    return ("%s term=%d seq=%d %s last=%g bid=%gx%g ask=%gx%g volume=%.0f src=%s%s"
            % (t["vt_symbol"], t["term"], t["seq"], ns_to_iso(t["datetime"]),
               t.get("last_price", 0), t.get("bid_price_1", 0),
               t.get("bid_volume_1", 0), t.get("ask_price_1", 0),
               t.get("ask_volume_1", 0), t.get("volume", 0),
               t.get("gateway_name", ""), " snapshot" if snapshot else ""))


class Stream:
    """Where each symbol's stream stands: fencing by term, gaps by seq."""

    def __init__(self):
        self.pos = {}        # vt_symbol -> (term, seq) of the last tick seen
        self.age = {}        # vt_symbol -> (datetime, volume) of the last taken
        self.max_term = 0    # highest term seen: older ticks are fenced off
        self.gaps = 0
        self.missing = 0     # ticks lost inside gaps
        self.fenced = 0
        self.covered = 0     # duplicates of what the snapshot gave
        self.repeats = 0     # a new leader's re-sends of ticks already taken

    def seed(self, t):
        """A snapshot tick: the symbol's starting point."""
        self.pos[t["vt_symbol"]] = (t["term"], t["seq"])
        self.age[t["vt_symbol"]] = (t["datetime"], t.get("volume", 0))

    def end_snapshot(self, term):
        """The snapshot came from the publisher of `term`: anything older is
        a straggler from a deposed leader."""
        self.max_term = max(self.max_term, term)

    def accept(self, t):
        """True when a live tick is new for us (and records it)."""
        term, seq, vt = t["term"], t["seq"], t["vt_symbol"]
        if term < self.max_term:
            self.fenced += 1
            return False
        if term > self.max_term:
            if self.max_term:
                warn("publisher changed: term %d -> %d (node %s)"
                     % (self.max_term, term, t.get("node")))
            self.max_term = term
        last = self.pos.get(vt)
        # Compare (term, seq) as a pair: seq restarts at 1 in every term.
        if last is not None and (term, seq) <= last:
            self.covered += 1
            return False
        if last is not None and term == last[0] and seq > last[1] + 1:
            self.gaps += 1
            self.missing += seq - last[1] - 1
            warn("gap on %s in term %d: seq %d -> %d (%d missing)"
                 % (vt, term, last[1], seq, seq - last[1] - 1))
        self.pos[vt] = (term, seq)
        # A new leader re-sends the old one's last ticks under new numbers
        # (protocol.md §8): not newer than the last taken is one of those.
        age = (t["datetime"], t.get("volume", 0))
        if vt in self.age and age <= self.age[vt]:
            self.repeats += 1
            return False
        self.age[vt] = age
        return True


def fetch_snapshot(ctx, endpoints, prefix):
    """(ticks, END body) from the publishing node, or None.

    The DEALER is connected to every snapshot endpoint; only the publisher
    binds one, and ZMQ_IMMEDIATE queues the request only on a completed
    connection, i.e. to the publisher."""
    for attempt in range(1, SNAPSHOT_ATTEMPTS + 1):
        d = ctx.socket(zmq.DEALER)
        set_connection_options(d)
        d.setsockopt(zmq.IMMEDIATE, 1)
        d.setsockopt(zmq.SNDTIMEO, SNAPSHOT_TIMEOUT_MS)
        d.setsockopt(zmq.RCVTIMEO, SNAPSHOT_TIMEOUT_MS)
        for ep in endpoints:
            d.connect(ep)
        ticks = []
        try:
            d.send_multipart([b"SNAPSHOT", prefix.encode()])
            while True:
                frames = d.recv_multipart()
                if len(frames) != 2:
                    warn("snapshot: ignored a message of %d frames" % len(frames))
                    continue
                topic, body = frames
                if topic == b"END":
                    return ticks, unpack_map(body) or {}
                t = decode_tick(topic, body)
                if t is not None:
                    ticks.append(t)
        except zmq.Again:
            warn("snapshot %r: no complete answer within %d ms (attempt %d of %d)"
                 % (prefix, SNAPSHOT_TIMEOUT_MS, attempt, SNAPSHOT_ATTEMPTS))
        finally:
            d.close()
    return None


class Client:
    def __init__(self, args):
        self.args = args
        self.ctx = zmq.Context()
        self.stream = Stream()
        self.printed = 0
        self.last_hb = None        # monotonic time of the last `_hb`
        self.hb_silent = False

    def done(self):
        return self.args.count and self.printed >= self.args.count

    def emit(self, t, snapshot=False):
        print(format_tick(t, snapshot), flush=True)
        self.printed += 1

    def on_heartbeat(self, body):
        hb = unpack_map(body) or {}
        if self.hb_silent:
            warn("heartbeats back: node %s, term %s" % (hb.get("node"), hb.get("term")))
        self.hb_silent = False
        self.last_hb = time.monotonic()

    def watch_heartbeat(self):
        if self.last_hb is None or self.hb_silent:
            return
        if time.monotonic() - self.last_hb > HB_SILENCE_S:
            self.hb_silent = True
            warn("no heartbeat for %.1f s: publisher gone or failing over "
                 "(ZeroMQ reconnects by itself)" % HB_SILENCE_S)

    def on_message(self, frames):
        if len(frames) != 2:
            warn("ignored a message of %d frames" % len(frames))
            return
        topic, body = frames
        if topic == HB_TOPIC:
            self.on_heartbeat(body)
        elif topic == EVENT_TOPIC:
            ev = unpack_map(body) or {}
            warn("event %s: %s" % (ev.get("event_type"), ev))
        elif topic.startswith(b"_"):
            pass  # reserved for the hub (e.g. _wm, for its followers)
        else:
            t = decode_tick(topic, body)
            if t is not None and self.stream.accept(t):
                self.emit(t)

    def wait_for_publisher(self, sub, deadline):
        """Reads until the first `_hb`: from then on the publisher has our
        subscription, so nothing published after the snapshot can be missed.
        Returns the messages read meanwhile, to be handled after the
        snapshot. None if the deadline passed first."""
        pending, started, noticed = [], time.monotonic(), False
        while deadline is None or time.monotonic() < deadline:
            if not sub.poll(POLL_MS):
                if not noticed and time.monotonic() - started > WAITING_NOTICE_S:
                    warn("waiting for a publisher on %s" % ", ".join(self.args.endpoint))
                    noticed = True
                continue
            frames = sub.recv_multipart()
            if frames[0] == HB_TOPIC and len(frames) == 2:
                self.on_heartbeat(frames[1])
                return pending
            pending.append(frames)
        return None

    def take_snapshot(self):
        for prefix in self.args.prefix:
            snap = fetch_snapshot(self.ctx, self.args.snapshot, prefix)
            if snap is None:
                warn("no snapshot for %r: live ticks only" % prefix)
                continue
            ticks, end = snap
            for t in ticks:
                if self.done():
                    return
                self.stream.seed(t)
                self.emit(t, snapshot=True)
            self.stream.end_snapshot(end.get("term", 0))

    def run(self):
        """Returns the exit status."""
        a = self.args
        deadline = time.monotonic() + a.timeout if a.timeout else None
        sub = open_sub(self.ctx, a.endpoint, a.prefix)
        pending = self.wait_for_publisher(sub, deadline)
        if pending is None:
            return EXIT_TIMEOUT
        if a.snapshot:
            self.take_snapshot()
        for frames in pending:
            if not self.done():
                self.on_message(frames)
        while not self.done():
            if deadline is not None and time.monotonic() >= deadline:
                return EXIT_TIMEOUT
            if sub.poll(POLL_MS):
                self.on_message(sub.recv_multipart())
            self.watch_heartbeat()
        return EXIT_GAP if self.stream.gaps else EXIT_OK

    def summary(self):
        s = self.stream
        warn("%d ticks, %d gaps (%d missing), %d fenced, %d covered by the snapshot, "
             "%d repeated by a new leader"
             % (self.printed, s.gaps, s.missing, s.fenced, s.covered, s.repeats))

    def close(self):
        self.ctx.destroy(linger=0)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Subscribe to hamd ticks.")
    p.add_argument("--endpoint", action="append", required=True,
                   help="a node's publish endpoint (repeat for every node, or the VIP)")
    p.add_argument("--snapshot", action="append", default=[],
                   help="a node's snapshot endpoint (repeat); none: no snapshot")
    p.add_argument("--prefix", action="append", default=None,
                   help="topic prefix, e.g. rb2601.SHFE or rb (repeat); default: all")
    p.add_argument("--count", type=int, default=0,
                   help="exit after printing this many ticks (0: run until Ctrl-C)")
    p.add_argument("--timeout", type=float, default=0,
                   help="exit with status 3 if --count is not reached in this many s")
    args = p.parse_args(argv)   # exits with status 2 on a usage error
    if args.count < 0 or args.timeout < 0:
        p.error("--count and --timeout must not be negative")
    args.prefix = args.prefix or [""]
    return args


def main(argv):
    client = Client(parse_args(argv))
    try:
        status = client.run()
    except KeyboardInterrupt:
        status = EXIT_GAP if client.stream.gaps else EXIT_OK
    if status == EXIT_TIMEOUT:
        warn("timed out after %g s" % client.args.timeout)
    client.summary()
    client.close()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
