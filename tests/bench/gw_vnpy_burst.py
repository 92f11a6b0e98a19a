#!/usr/bin/python3
"""How fast the real CTP gateway sends a burst (docs/performance.md, "The
burst as the real gateway sends it").

CTP sends a snapshot of every subscribed contract twice a second, all in
one burst; the production gateway for it is hamd-gw-vnpy (vnpy_ctp's
callbacks -> our gateway protocol, in Python). This runs that bridge with
the fake vnpy of tests/fakevnpy (vnpy_fake.FakeGateway, which ticks every
subscribed contract in one loop every tick_ms, as CTP's API thread calls
back once per contract) and stands in for the hub with a ROUTER that
speaks just enough of docs/gateway-protocol.md: it answers HELLO with a
SUBSCRIBE of N distinct contracts and times every TICK message it gets.

Per burst: when its first and last tick arrive (the spread), counted from
the burst's start (the fake stamps each tick's datetime with its exchange
clock, read once per burst, whole milliseconds). The fake's own work is in
the spread: vnpy_ctp's callback does the same kind of Python work per tick
(a TickData from the API's fields, strptime of the exchange time), so the
fake stands for it; the script also times the fake's loop alone (its
_tick_all over the same contracts into an engine that drops the events)
and prints it beside the whole gateway process's CPU per tick, so the
bridge's share can be told apart (the fake, vnpy's event engine and the
bridge share one GIL: the spread is about their summed CPU per burst).

  /usr/bin/python3 tests/bench/gw_vnpy_burst.py [--symbols 5000]
      [--bursts 6] [--burst-ms 500]

Prints `RESULT vnpy_burst_ticks_per_s=... vnpy_burst_spread_ms=...` (the
median burst; min and max beside), the fake's cost alone, the gateway's
CPU per tick and the host's load (load average, and other processes' CPU
over the window, % of one core). A benchmark: it asserts no speed; exit 0
when it measured, 1 when it could not.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import msgpack
import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKEVNPY = os.path.join(ROOT, "tests", "fakevnpy")
BRIDGE = os.path.join(ROOT, "src", "gw-vnpy", "hamd-gw-vnpy")
ACCOUNT = "bench_v"
EXCHANGE = "SHFE"
BURST_QUIET_NS = 100_000_000    # the end: 100 ms without a tick after the last
SKIP_BURSTS = 1                 # the first burst: subscriptions still landing
START_TIMEOUT_S = 20            # HELLO, then the first tick
RUN_TIMEOUT_EXTRA_S = 30        # beyond the bursts' own time
POLL_MS = 200
FAKE_ALONE_ROUNDS = 3           # timings of the fake's loop alone
CLK_TCK = os.sysconf("SC_CLK_TCK")


def symbols(n):
    return ["q%05d.%s" % (i, EXCHANGE) for i in range(n)]


def proc_cpu_s(pid):
    """utime + stime of a process, seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def host_busy_s():
    """CPU time every process of the host spent, seconds (all cores)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return (sum(v[:8]) - idle) / CLK_TCK


def fake_alone_ms(n):
    """The fake's burst loop alone, ms: FakeGateway._tick_all over n
    contracts into an engine that drops every event."""
    sys.path.insert(0, FAKEVNPY)
    from vnpy.trader.constant import Exchange
    from vnpy.trader.object import SubscribeRequest
    from vnpy_fake import FakeGateway

    class DropEngine:
        def put(self, event):
            pass

    gw = FakeGateway(DropEngine(), ACCOUNT)
    gw.clock_start, gw.reset_after, gw.counts, gw.t0 = None, None, {}, time.monotonic()
    for vt in symbols(n):
        gw.subscribe(SubscribeRequest(symbol=vt.split(".")[0],
                                      exchange=Exchange(EXCHANGE)))
    out = []
    for _ in range(FAKE_ALONE_ROUNDS):
        t = time.perf_counter()
        gw._tick_all()
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)


class Burst:
    """What arrived of one burst."""

    def __init__(self, start_ns, first_ns):
        self.start_ns = start_ns    # the fake's exchange clock at the burst
        self.first_ns = first_ns    # wall time the first TICK arrived
        self.last_ns = first_ns
        self.ticks = 0


def run_bridge(args, tmp):
    endpoint = "ipc://%s/gw.sock" % tmp
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.RCVHWM, 0)
    router.bind(endpoint)
    params = {"gateway": "vnpy_fake.FakeGateway", "password": "bench",
              "setting": {"tick_ms": args.burst_ms, "login_ms": 10}}
    env = dict(os.environ, HAMD_GW_ENDPOINT=endpoint, HAMD_ACCOUNT=ACCOUNT,
               PYTHONPATH=FAKEVNPY, HAMD_GW_PARAMS=json.dumps(params))
    gw = subprocess.Popen(["/usr/bin/python3", BRIDGE], env=env,
                          stderr=open(os.path.join(tmp, "gw.log"), "w"))
    bursts, cpu0, busy0, self0, t0 = [], None, None, None, None
    deadline = time.monotonic() + START_TIMEOUT_S
    want = SKIP_BURSTS + args.bursts
    try:
        while time.monotonic() < deadline:
            if not router.poll(POLL_MS):
                if bursts and time.time_ns() - bursts[-1].last_ns > BURST_QUIET_NS \
                        and len(bursts) >= want:
                    break
                continue
            ident, mtype, *bodies = router.recv_multipart()
            now = time.time_ns()
            if mtype == b"HELLO":
                router.send_multipart([ident, b"SUBSCRIBE", msgpack.packb(
                    {"symbols": symbols(args.symbols)})])
                continue
            if mtype != b"TICK":
                continue
            # A burst is the ticks of one exchange time: the fake reads its
            # clock once per burst. (Gaps inside a burst reach 200 ms when
            # the bridge's threads wait for the GIL: no gap rule works.)
            start = msgpack.unpackb(bodies[0])["datetime"]
            if not bursts or start != bursts[-1].start_ns:
                if len(bursts) >= want:
                    break
                if len(bursts) == SKIP_BURSTS:
                    cpu0, busy0 = proc_cpu_s(gw.pid), host_busy_s()
                    self0, t0 = time.process_time(), time.monotonic()
                bursts.append(Burst(start, now))
                deadline = time.monotonic() + args.bursts * args.burst_ms / 1000 \
                    + RUN_TIMEOUT_EXTRA_S
            b = bursts[-1]
            b.last_ns = now
            b.ticks += len(bodies)
        if cpu0 is None:
            return None
        window = time.monotonic() - t0
        gw_cpu = proc_cpu_s(gw.pid) - cpu0
        other = host_busy_s() - busy0 - gw_cpu - (time.process_time() - self0)
    finally:
        gw.terminate()
        try:
            gw.wait(5)
        except subprocess.TimeoutExpired:
            gw.kill()
        router.close(0)
        ctx.term()
    measured = bursts[SKIP_BURSTS:want]
    return measured, gw_cpu, other / window * 100


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--symbols", type=int, default=5000)
    ap.add_argument("--bursts", type=int, default=6)
    ap.add_argument("--burst-ms", type=int, default=500)
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="gwvnpy.") as tmp:
        got = run_bridge(args, tmp)
        if got is None:
            sys.stderr.write("gw_vnpy_burst: no bursts; bridge log:\n")
            sys.stderr.write(open(os.path.join(tmp, "gw.log")).read()[-2000:])
            return 1
    measured, gw_cpu, other_pct = got
    ticks = sum(b.ticks for b in measured)
    for b in measured:
        print("burst ticks=%d first_after_ms=%.1f spread_ms=%.1f last_after_ms=%.1f"
              % (b.ticks, (b.first_ns - b.start_ns) / 1e6,
                 (b.last_ns - b.first_ns) / 1e6, (b.last_ns - b.start_ns) / 1e6))
    spreads = sorted((b.last_ns - b.first_ns) / 1e6 for b in measured)
    lasts = sorted((b.last_ns - b.start_ns) / 1e6 for b in measured)
    med = statistics.median(spreads)
    fake_ms = fake_alone_ms(args.symbols)
    gw_us = gw_cpu / ticks * 1e6 if ticks else 0
    print("RESULT vnpy_burst_ticks_per_s=%.0f vnpy_burst_spread_ms=%.1f "
          "vnpy_burst_spread_min_ms=%.1f vnpy_burst_spread_max_ms=%.1f "
          "vnpy_burst_last_after_start_ms=%.1f vnpy_burst_ticks=%d "
          "vnpy_fake_alone_ms=%.1f vnpy_fake_alone_us_per_tick=%.1f "
          "vnpy_gw_cpu_us_per_tick=%.1f bursts=%d other_cpu_pct=%.0f "
          "load_before=%.2f load_after=%.2f"
          % (args.symbols / (med / 1000) if med > 0 else 0, med, spreads[0],
             spreads[-1], statistics.median(lasts), ticks // len(measured),
             fake_ms, fake_ms * 1000 / args.symbols, gw_us,
             len(measured), other_pct, load_before, os.getloadavg()[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
