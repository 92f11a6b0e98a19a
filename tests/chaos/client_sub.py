#!/usr/bin/python3
"""The chaos tests' clients on the VIP endpoint: a plain pyzmq subscriber,
or (--library) the hamd package's hamd.Client.

Runs inside the client namespace (`ip netns exec ... client_sub.py`) and
connects to one endpoint only, the VIP, as a production client would. It
writes one line per message to --out, flushed at once, so the test can
read it while it runs and after it is killed:

    T <recv_ns> <term> <seq> <node> <vt_symbol> <gateway_name> <sim_seq>
    H <recv_ns> <term> <node>                       heartbeat (_hb)
    E <recv_ns> <what> <detail>                     connection event
    V <recv_ns> <term> <max_term> <vt_symbol>       fencing violation

recv_ns is CLOCK_MONOTONIC, which every namespace shares with the test.
A V line records a tick whose term is below one already seen: the fencing
check of docs/protocol.md, made where it matters, at the client.

With --library the T lines are the ticks hamd.Client delivered (with
--snapshot, the VIP's snapshot endpoint, for its snapshots), so each
contract's sim_seq must come exactly once and in order; its gaps, leader
changes and notices are E lines (E <ns> gap|leader|notice <detail>).

Stops on SIGTERM or SIGINT. Needs only Debian's python3-zmq, python3-msgpack
(and src/python on PYTHONPATH for --library).
"""
import argparse
import signal
import sys
import time

import msgpack
import zmq

# Find a dead or frozen publisher within 600 ms and retry every 50 ms, so
# the measured gaps are hamd's failover, not the client's patience.
ZMTP_HEARTBEAT_IVL_MS = 200
ZMTP_HEARTBEAT_TIMEOUT_MS = 600
RECONNECT_IVL_MS = 50
# A SYN sent while the VIP moves goes to the old owner's MAC and gets no
# answer; TCP would resend it only after 1 s. Give up on it soon and try
# again, by then toward the new owner (its gratuitous ARP came meanwhile).
CONNECT_TIMEOUT_MS = 200
# A frozen hamd's kernel still accepts connections on the VIP it holds, but
# the ZMTP handshake never completes: give up on it after this and retry.
HANDSHAKE_IVL_MS = 500
POLL_MS = 100

MONITOR_EVENTS = {
    zmq.EVENT_CONNECTED: "connected",
    zmq.EVENT_DISCONNECTED: "disconnected",
    zmq.EVENT_CLOSED: "closed",
}

_stop = False


def on_signal(signum, frame):
    global _stop
    _stop = True


def open_sub(ctx, endpoint):
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.RCVHWM, 0)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.HEARTBEAT_IVL, ZMTP_HEARTBEAT_IVL_MS)
    sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, ZMTP_HEARTBEAT_TIMEOUT_MS)
    sock.setsockopt(zmq.RECONNECT_IVL, RECONNECT_IVL_MS)
    sock.setsockopt(zmq.CONNECT_TIMEOUT, CONNECT_TIMEOUT_MS)
    sock.setsockopt(zmq.HANDSHAKE_IVL, HANDSHAKE_IVL_MS)
    sock.setsockopt(zmq.SUBSCRIBE, b"")
    monitor = sock.get_monitor_socket(sum(MONITOR_EVENTS))
    sock.connect(endpoint)
    return sock, monitor


def write_event(out, monitor):
    while True:
        try:
            frames = monitor.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return
        event = int.from_bytes(frames[0][:2], "little")
        what = MONITOR_EVENTS.get(event)
        if what:
            out.write("E %d %s %s\n" % (time.monotonic_ns(), what,
                                        frames[1].decode("utf-8", "replace")))


def write_messages(out, sock, max_term):
    """Writes every waiting message; returns the highest term seen."""
    while True:
        try:
            topic, body = sock.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return max_term
        except ValueError:
            continue  # not two frames: not ours to judge here
        now = time.monotonic_ns()
        try:
            msg = msgpack.unpackb(body, raw=False)
        except (ValueError, msgpack.ExtraData):
            out.write("E %d garbage %s\n" % (now, topic[:40]))
            continue
        if not isinstance(msg, dict):
            continue
        term = int(msg.get("term", 0))
        if topic == b"_hb":
            out.write("H %d %d %d\n" % (now, term, msg.get("node", 0)))
        elif topic != b"_event":
            vt = topic.decode("utf-8", "replace")
            if term < max_term:
                out.write("V %d %d %d %s\n" % (now, term, max_term, vt))
            sim = (msg.get("extra") or {}).get("sim_seq", -1)
            out.write("T %d %d %d %d %s %s %d\n" % (
                now, term, msg.get("seq", 0), msg.get("node", 0), vt,
                msg.get("gateway_name", "?"), sim))
        max_term = max(max_term, term)


def write_tick(out, t):
    out.write("T %d %d %d %d %s %s %d\n" % (
        time.monotonic_ns(), t["term"], t["seq"], t["node"], t["vt_symbol"],
        t["gateway_name"], (t.get("extra") or {}).get("sim_seq", -1)))


def run_library(args, out):
    """hamd.Client on the VIP: the ticks it delivers, its gaps, leader
    changes and notices."""
    import hamd

    def event(what, detail):
        out.write("E %d %s %s\n" % (time.monotonic_ns(), what, detail))

    client = hamd.Client(
        [args.endpoint], [""], snapshot_endpoints=[args.snapshot] if args.snapshot else [],
        on_gap=lambda g: event("gap", "%s %d %d %d" % g),
        on_leader=lambda c: event("leader", "%d %d" % c),
        on_notice=lambda kind, text: event("notice", "%s: %s" % (kind, text)))
    out.write("E %d started %s (library)\n" % (time.monotonic_ns(), args.endpoint))
    try:
        while not _stop:
            for t in client.poll(POLL_MS):
                write_tick(out, t)
    finally:
        event("stats", " ".join("%s=%d" % kv for kv in client.stats.items()))
        client.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", required=True, help="e.g. tcp://10.77.0.100:5551")
    ap.add_argument("--out", required=True, help="record file")
    ap.add_argument("--library", action="store_true",
                    help="receive through hamd.Client instead")
    ap.add_argument("--snapshot", help="with --library: the snapshot endpoint")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.library:
        with open(args.out, "w", buffering=1) as out:
            run_library(args, out)
        return 0
    ctx = zmq.Context()
    sock, monitor = open_sub(ctx, args.endpoint)
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    poller.register(monitor, zmq.POLLIN)
    max_term = 0
    with open(args.out, "w", buffering=1) as out:
        out.write("E %d started %s\n" % (time.monotonic_ns(), args.endpoint))
        while not _stop:
            try:
                ready = dict(poller.poll(POLL_MS))
            except zmq.ZMQError:
                continue  # EINTR from our own signal
            if monitor in ready:
                write_event(out, monitor)
            if sock in ready:
                max_term = write_messages(out, sock, max_term)
    sock.disable_monitor()
    monitor.close()
    sock.close()
    ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
