#!/usr/bin/python3
"""A minimal, complete hamd gateway in Python (docs/gateway-protocol.md).

It speaks gateway protocol version 1 to the hub and stands a synthetic
feed in for the real upstream (a CTP front through vnpy_ctp, say): every
subscribed contract gets one tick every `tick_ms`. Replace SyntheticFeed
and the three STATUS calls in main() with your upstream and you have a
bridge.

hamd starts it for every enabled account whose gateway_type maps to this
file in the [gateways] section of its config, e.g.

    [gateways]
    py = /opt/hamd/gateway.py

By hand, against a test hub:

    HAMD_GW_ENDPOINT=ipc:///tmp/hub.sock HAMD_ACCOUNT=py_a \\
    HAMD_GW_PARAMS='{"tick_ms": 200}' ./gateway.py

Params (HAMD_GW_PARAMS, a JSON object):
    tick_ms   integer 10..60000, default 200: tick period per contract.
Other keys are ignored. A real gateway finds its login there (user id,
password, front addresses): never print or log params.

Exit status: 0 after STOP from the hub, SIGTERM or SIGINT; 2 when the
environment or params are bad.

Needs only Debian's python3-zmq and python3-msgpack.
"""
import json
import math
import os
import re
import signal
import sys
import time
import zlib

import msgpack
import zmq

PROTO_VERSION = 1
GATEWAY_TYPE = "py-example"     # sent in HELLO; informational only
HB_INTERVAL_S = 1.0             # the hub expects an HB every second
TICK_MS_DEFAULT = 200
TICK_MS_MIN, TICK_MS_MAX = 10, 60000
LINGER_MS = 500                 # time for the last STATUS to leave on exit
POLL_MAX_MS = 100               # longest sleep: how soon a signal is acted on
SNDHWM_MSGS = 1_000_000         # queue this much rather than block on a busy hub
LOG_EVERY_S = 10.0              # at most one line per kind of bad input
DEPTH = 5                       # book levels of a TickData
PRICE_TICK = 1.0                # synthetic price grid
CONTRACT_MULTIPLIER = 10.0      # synthetic: turnover = volume * price * this

ACCOUNT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,30}$")
CODE_RE = re.compile(r"^[^.\s\x00-\x1f\x7f]+$")   # a symbol or exchange code

_stop_signal = []   # set by the signal handler, read by the loop


def log(account, msg):
    """One line on stderr (hamd puts it in its own log)."""
    sys.stderr.write("gw-py:%s: %s\n" % (account, msg))
    sys.stderr.flush()


class RateLimitedLog:
    """Logs at most one line per kind of trouble every LOG_EVERY_S and counts
    what it swallowed, so a hub (or a bug) sending garbage cannot flood the
    log."""

    def __init__(self, account):
        self.account = account
        self.next_at = {}       # kind -> monotonic time of the next line
        self.suppressed = {}    # kind -> lines swallowed since the last one

    def __call__(self, kind, msg):
        now = time.monotonic()
        if now < self.next_at.get(kind, 0.0):
            self.suppressed[kind] = self.suppressed.get(kind, 0) + 1
            return
        n = self.suppressed.pop(kind, 0)
        log(self.account, msg + (" (%d similar suppressed)" % n if n else ""))
        self.next_at[kind] = now + LOG_EVERY_S


def read_environment():
    """(endpoint, account, params) from the environment; exits 2 if bad."""
    endpoint = os.environ.get("HAMD_GW_ENDPOINT", "")
    account = os.environ.get("HAMD_ACCOUNT", "")
    if not endpoint or not ACCOUNT_RE.match(account):
        log(account or "?", "HAMD_GW_ENDPOINT and a valid HAMD_ACCOUNT are required")
        sys.exit(2)
    try:
        params = json.loads(os.environ.get("HAMD_GW_PARAMS") or "{}")
    except ValueError as e:
        # The message names the position, never the content: it may hold a password.
        log(account, "HAMD_GW_PARAMS is not JSON (%s at char %d)" % (e.msg, e.pos))
        sys.exit(2)
    if not isinstance(params, dict):
        log(account, "HAMD_GW_PARAMS must be a JSON object")
        sys.exit(2)
    tick_ms = params.get("tick_ms", TICK_MS_DEFAULT)
    if type(tick_ms) is not int or not TICK_MS_MIN <= tick_ms <= TICK_MS_MAX:
        log(account, "param tick_ms must be an integer %d..%d" % (TICK_MS_MIN, TICK_MS_MAX))
        sys.exit(2)
    return endpoint, account, {"tick_ms": tick_ms}


def valid_vt_symbol(s):
    """True for "symbol.EXCHANGE" (split at the last dot), as the hub checks."""
    if not isinstance(s, str) or len(s.encode()) >= 48:
        return False
    symbol, dot, exchange = s.rpartition(".")
    return bool(dot) and bool(CODE_RE.match(symbol)) and bool(CODE_RE.match(exchange))


class Hub:
    """The DEALER to the hub: [type][msgpack body] both ways."""

    def __init__(self, ctx, endpoint, account):
        self.sock = ctx.socket(zmq.DEALER)
        # The hub knows the source by this identity; it must be the account id.
        self.sock.setsockopt(zmq.IDENTITY, account.encode())
        self.sock.setsockopt(zmq.LINGER, LINGER_MS)
        # At the default HWM (1000) a send would block when the hub is busy,
        # and a blocked loop sends no HB.
        self.sock.setsockopt(zmq.SNDHWM, SNDHWM_MSGS)
        self.sock.connect(endpoint)

    def send(self, msg_type, body):
        self.sock.send_multipart([msg_type.encode(), msgpack.packb(body)])

    def status(self, state, detail=""):
        self.send("STATUS", {"state": state, "detail": detail})

    def poll(self, timeout_ms):
        return self.sock.poll(timeout_ms, zmq.POLLIN)

    def recv_nowait(self):
        """[frames] of one message, or None when nothing is queued."""
        try:
            return self.sock.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return None

    def close(self):
        self.sock.close()


class SyntheticFeed:
    """Stands in for the upstream: ticks with every TickData field.

    Tick n of a contract has extra.n = n (1, 2, 3, ... per contract), so a
    reader can prove that nothing was lost. datetime grows strictly per
    contract: the hub drops a tick that is not newer than the last one it
    published (exchange time, then volume)."""

    def __init__(self, account):
        self.account = account
        self.contracts = {}   # vt_symbol -> state dict

    def subscribe(self, vt_symbol):
        if vt_symbol in self.contracts:
            return            # subscribing twice is harmless
        base = 1000.0 + zlib.crc32(vt_symbol.encode()) % 4000
        self.contracts[vt_symbol] = {"n": 0, "volume": 0.0, "base": base,
                                     "last_dt_ms": 0}

    def unsubscribe(self, vt_symbol):
        self.contracts.pop(vt_symbol, None)

    def ticks(self):
        """One new tick body per subscribed contract."""
        return [self._next(vt, st) for vt, st in sorted(self.contracts.items())]

    def _next(self, vt_symbol, st):
        st["n"] += 1
        n = st["n"]
        now_ns = time.time_ns()
        # Exchange time: whole milliseconds, like a CTP front, never repeated.
        dt_ms = max(now_ns // 1_000_000, st["last_dt_ms"] + 1)
        st["last_dt_ms"] = dt_ms
        base = st["base"]
        last = base + PRICE_TICK * round(10 * math.sin(n / 10.0))
        last_volume = float(1 + n % 7)
        st["volume"] += last_volume
        symbol, _, exchange = vt_symbol.rpartition(".")
        tick = {
            "symbol": symbol, "exchange": exchange, "vt_symbol": vt_symbol,
            "gateway_name": self.account, "name": "synthetic " + symbol,
            "datetime": dt_ms * 1_000_000,      # int epoch ns, UTC
            "localtime": now_ns,                # int epoch ns, UTC
            "volume": st["volume"],
            "turnover": st["volume"] * last * CONTRACT_MULTIPLIER,
            "open_interest": float(10000 + n),
            "last_price": last, "last_volume": last_volume,
            "limit_up": base * 1.05, "limit_down": base * 0.95,
            "open_price": base, "high_price": base + 10 * PRICE_TICK,
            "low_price": base - 10 * PRICE_TICK, "pre_close": base,
            "extra": {"n": n},
        }
        for level in range(1, DEPTH + 1):
            tick["bid_price_%d" % level] = last - level * PRICE_TICK
            tick["ask_price_%d" % level] = last + level * PRICE_TICK
            tick["bid_volume_%d" % level] = float(1 + (n * level) % 50)
            tick["ask_volume_%d" % level] = float(1 + (n + level) % 50)
        return tick


def symbols_of(body):
    """The list of a SUBSCRIBE/UNSUBSCRIBE body, or None if malformed."""
    try:
        msg = msgpack.unpackb(body)
    except Exception:   # noqa: BLE001 - any decoding error is "malformed"
        return None
    if not isinstance(msg, dict) or not isinstance(msg.get("symbols"), list):
        return None
    return msg["symbols"]


def handle(frames, feed, bad_log):
    """Acts on one message from the hub. Returns True on STOP."""
    if len(frames) != 2:
        bad_log("frames", "ignored a hub message of %d frames" % len(frames))
        return False
    msg_type, body = frames
    if msg_type == b"STOP":
        return True
    if msg_type not in (b"SUBSCRIBE", b"UNSUBSCRIBE"):
        bad_log("type", "ignored unknown hub message type %r" % msg_type[:32])
        return False
    symbols = symbols_of(body)
    if symbols is None:
        bad_log("body", "ignored malformed %s" % msg_type.decode())
        return False
    for vt in symbols:
        if not valid_vt_symbol(vt):
            bad_log("symbol", "ignored invalid symbol %r" % (vt,))
        elif msg_type == b"SUBSCRIBE":
            feed.subscribe(vt)      # a real gateway subscribes upstream here
        else:
            feed.unsubscribe(vt)
    return False


def on_signal(signum, _frame):
    _stop_signal.append(signum)


def run(hub, feed, tick_s, bad_log):
    """The loop: hub messages, HB every second, ticks every tick_s.
    Returns why it ended."""
    next_hb = time.monotonic()
    next_tick = next_hb + tick_s
    while not _stop_signal:
        now = time.monotonic()
        if now >= next_hb:
            hub.send("HB", {"ts_ns": time.time_ns()})
            next_hb = max(next_hb + HB_INTERVAL_S, now)
        if now >= next_tick:
            for tick in feed.ticks():
                hub.send("TICK", tick)
            next_tick = max(next_tick + tick_s, now)
        due_ms = int((min(next_hb, next_tick) - time.monotonic()) * 1000)
        wait_ms = min(max(0, due_ms), POLL_MAX_MS)
        if not hub.poll(wait_ms):
            continue
        frames = hub.recv_nowait()
        while frames is not None:
            if handle(frames, feed, bad_log):
                return "STOP from the hub"
            frames = hub.recv_nowait()
    return "signal %d" % _stop_signal[0]


def main():
    endpoint, account, params = read_environment()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ctx = zmq.Context()
    hub = Hub(ctx, endpoint, account)
    hello = {"account": account, "pid": os.getpid(),
             "proto": PROTO_VERSION, "gateway_type": GATEWAY_TYPE}
    # hamd launches each process with a fresh token and drops everything
    # of a gateway whose HELLO does not echo it.
    if os.environ.get("HAMD_GW_TOKEN"):
        hello["token"] = os.environ["HAMD_GW_TOKEN"]
    hub.send("HELLO", hello)
    # A real gateway reports these as its upstream session moves on, and
    # `disconnected` (then `connecting` ...) when the upstream drops.
    hub.status("connecting", "synthetic feed")
    hub.status("connected", "synthetic feed")
    hub.status("logged_in", "synthetic feed")
    log(account, "running, %d ms per tick" % params["tick_ms"])
    why = run(hub, SyntheticFeed(account), params["tick_ms"] / 1000.0,
              RateLimitedLog(account))
    # Say so before leaving: the hub fails over at once instead of waiting
    # to notice the exit. (A real gateway logs out of its upstream here.)
    hub.status("disconnected", "stopping: " + why)
    hub.close()
    ctx.term()      # waits at most LINGER_MS for the STATUS to leave
    log(account, "stopped (%s)" % why)
    return 0


if __name__ == "__main__":
    sys.exit(main())
