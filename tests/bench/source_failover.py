"""Benchmark: source failover on a running hub (docs/failover.md).

Not a test: it measures and prints, never asserts a time. A cluster
(3 nodes by default; --nodes 0 runs one standalone hamd) runs three hot
simulated accounts sim_1, sim_2, sim_3 (priorities 1, 2, 3, same seed, a
tick rate high enough that tick spacing does not hide the switch). Each
round injects a fault into the sim of the active source (sim_1) on the
publishing node through the sim's control socket and measures

  switch      T = CLOCK_MONOTONIC right before the control request is sent
              -> the first tick of another source received by a subscriber
              (same clock, same process)

then restores sim_1 (crash: the supervisor relaunches it; disconnect and
stall: "fault none") and waits for the automatic failback, so every round
starts from sim_1. Over each fault's whole run the subscriber checks every
contract's extra.sim_seq stream across every switch and failback:

  missing     sim_seq values absent between the first and the last seen
  duplicates  sim_seq values delivered more than once

decision_p99_us comes from bench_failover_decision (the pure engine over
5,000 contracts x 5 accounts with a failed source). For stall the switch
is expected near the configured detection time, printed as detection_ms =
stale_ms + fail_threshold x check_interval_ms.

Arbitration (docs/failover.md, "Arbitration modes"): the faults run once
per mode of --arbitration (default priority,first: two clusters, one
after the other, same run). Every round holds its fault for at least
HOLD_S and measures

  silence     the longest time between two ticks of one contract that a
              subscriber sees, from the last tick before T to the restore

In first mode the other sources supply the contracts all along, so there
is no switch to time: its switch_p50_ms is the silence. Then a latency
phase: sim_1 and sim_2 get the jitter fault (every tick 0..JITTER_MS
late, independently), sim_3 stops, and the subscriber measures latency =
its receive wall time - the tick's exchange time, for LATENCY_S: in
priority mode from sim_1 alone, then from sim_2 alone (hactl failover
--to sim_2); in first mode from both, racing. One RESULT phase=latency
line per mode; first mode's best_single_p50_ms is the better of the
single sources measured in priority mode of the same run.

Where the time goes, per round: the leader's log (1 ms stamps: sim got
the fault, exit seen by the supervisor, health change, plan), the first
backup tick's hub_ns (publish time), its receive time, failover_duration_ms
of the failover_executed event, and how long hub's control thread waited
for a CPU (/proc schedstat). Probes: fdatasync on the data directory's
file system (what a Raft log write costs there) and an admin write that
answers after its Raft commit. When missing or duplicates is not 0, GAP
lines show where, with the hub's own seq (a jump in it means the hub
numbered ticks the subscriber never got) and the lease lapses in the log.

Usage: source_failover.py [--rounds N] [--stall-rounds N] [--nodes 3|0]
           [--faults crash,disconnect,stall] [--rate R] [--verbose] [--keep]
           [--arbitration priority,first] [--latency-s S]
(HAMD_BUILD_DIR selects the build.) One RESULT line per fault and mode,
then the latency lines, last.
"""
import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import time

import msgpack
import zmq

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from hamdtest import (BUILD, Cluster, Failure, log, node_status,  # noqa: E402
                      publishing_node, sim_account, wait_for)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE", "m2601.DCE"]
ACCOUNTS = ("sim_1", "sim_2", "sim_3")
PRIMARY = "sim_1"
FAULTS = ("crash", "disconnect", "stall")
MODES = ("priority", "first")

RATE_DEFAULT = 200          # ticks/s per contract: 5 ms apart
CHECK_INTERVAL_MS = 50
FAIL_THRESHOLD = 3
RECOVER_THRESHOLD = 5
STALE_MS = 300
REVERT_AFTER_S = 1          # smallest automatic failback hold
QUARANTINE_S = 1
DAILY_CAP = 100000          # the rounds are far more than the default 20
REPLAY_DEPTH = 1000         # >= rate x replay window: a stall leaves no hole
RELAUNCH_BACKOFF_MS = 100   # a crashed sim is back at once, every round
DETECTION_MS = STALE_MS + FAIL_THRESHOLD * CHECK_INTERVAL_MS

SWITCH_TIMEOUT_S = 10.0     # a round without a switch by then is a failure
RESTORE_TIMEOUT_S = 20.0    # relaunch / recovery of sim_1
FAILBACK_TIMEOUT_S = 20.0   # revert_after + re-plan period + margin
START_TIMEOUT_S = 30.0      # cluster up, sims HEALTHY, sim_1 publishing
SETTLE_S = 0.1              # after the failback, before the next round
POLL_SLICE_MS = 20          # pump granularity while waiting
CTL_TIMEOUT_MS = 3000       # reply of a sim's control socket
API_TIMEOUT_S = 2           # one /api/status request
NS_PER_MS = 1000000
LOG_SLACK_NS = NS_PER_MS    # log stamps are truncated to the millisecond
FSYNC_PROBE_WRITES = 200    # fdatasync samples of the file-system probe
FSYNC_PROBE_BYTES = 4096    # one small Raft entry, page sized
COMMIT_PROBE_WRITES = 40    # pause/resume writes of the commit probe
GAPS_SHOWN = 40             # stream irregularities printed per fault
DECISION_TIMEOUT_S = 300    # bench_failover_decision run
HOLD_S = 1.0                # a fault lasts at least this long (> the
#                             detection time, so failover runs in every mode)
JITTER_MS = 5               # latency phase: each tick 0..5 ms late
LATENCY_S_DEFAULT = 10.0    # latency phase: measured this long per source set
LATENCY_SETTLE_S = 1.0      # after a change, before measuring

EXTRA_INI = """
[health]
check_interval_ms = %d
fail_threshold = %d
recover_threshold = %d
stale_ms = %d
latency_ms = 2000
hb_timeout_ms = 1500

[failover]
arbitration = %%s
revert_after_s = %d
quarantine_s = %d
daily_cap = %d
replay_window_ms = 3000
replay_depth = %d
restart_after_ms = 5000
""" % (CHECK_INTERVAL_MS, FAIL_THRESHOLD, RECOVER_THRESHOLD, STALE_MS,
       REVERT_AFTER_S, QUARANTINE_S, DAILY_CAP, REPLAY_DEPTH)


def pct(values, p):
    """Nearest-rank percentile; nan when there is no value."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(1, min(len(s), int(-(-p * len(s) // 100))))
    return s[k - 1]


# --------------------------------------------------------------------------
# The subscriber: one SUB socket, checked as it is read
# --------------------------------------------------------------------------

class Stream:
    """Receives everything the hub publishes; keeps per-phase sim_seq
    accounting and notes the first tick of a watched set of sources."""

    def __init__(self, endpoints):
        self.sock = zmq.Context.instance().socket(zmq.SUB)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RECONNECT_IVL, 50)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"")
        for ep in endpoints:
            self.sock.connect(ep)
        self.events = []          # (recv mono, event dict)
        self.latencies = None     # list of receive wall - exchange time,
        #                           ms, while measuring; None: not
        self.last_source = None   # gateway_name of the latest tick
        self.terms = set()        # terms of every tick seen
        self.watch = None         # (set of accounts, since mono) or None
        self.hit = None           # (recv mono, recv wall ns, tick) of a watch
        self.reset_phase()

    def reset_phase(self):
        """Starts a new exactly-once accounting window."""
        self.seen = {}            # vt_symbol -> set of sim_seq
        self.trail = {}           # vt_symbol -> [(sim_seq, source, recv mono,
        #                                          term, hub seq)]
        self.dups = 0             # ticks whose sim_seq was already seen
        self.ticks = 0            # ticks received
        self.last_hb = None       # recv mono of the latest _hb
        self.hb_gap_max = 0.0     # longest silence between two _hb, s

    def watch_for(self, accounts, since):
        """Records the first tick from one of accounts received >= since."""
        self.watch = (set(accounts), since)
        self.hit = None

    def _on_tick(self, now, tick):
        vt, src = tick["vt_symbol"], tick["gateway_name"]
        if self.latencies is not None:
            self.latencies.append((time.time_ns() - tick["datetime"]) / NS_PER_MS)
        sim_seq = tick.get("extra", {}).get("sim_seq")
        seqs = self.seen.setdefault(vt, set())
        self.trail.setdefault(vt, []).append(
            (sim_seq, src, now, tick["term"], tick["seq"]))
        if sim_seq in seqs:
            self.dups += 1
        seqs.add(sim_seq)
        self.ticks += 1
        self.terms.add(tick["term"])
        self.last_source = src
        if self.watch and self.hit is None and src in self.watch[0] \
                and now >= self.watch[1]:
            self.hit = (now, time.time_ns(), tick)

    def _on_hb(self, now):
        if self.last_hb is not None:
            self.hb_gap_max = max(self.hb_gap_max, now - self.last_hb)
        self.last_hb = now

    def drain(self):
        """Reads whatever is queued, without waiting."""
        while True:
            try:
                topic, body = self.sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            now = time.monotonic()
            msg = msgpack.unpackb(body, raw=False)
            if topic == b"_hb":
                self._on_hb(now)
            elif topic == b"_event":
                self.events.append((now, msg))
            else:
                self._on_tick(now, msg)

    def pump(self, seconds, extra=None):
        """Receives for `seconds`; also polls the socket `extra` and returns
        True as soon as it is readable (stopping early)."""
        end = time.monotonic() + seconds
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        if extra is not None:
            poller.register(extra, zmq.POLLIN)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return False
            ready = dict(poller.poll(max(1, int(min(left * 1000, POLL_SLICE_MS)))))
            if self.sock in ready:
                self.drain()
            if extra is not None and extra in ready:
                return True

    def pump_until(self, pred, timeout, what):
        end = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > end:
                raise Failure("timed out after %.1fs waiting for %s" % (timeout, what))
            self.pump(POLL_SLICE_MS / 1000.0)

    def missing(self):
        """sim_seq values absent between each contract's first and last
        (a tick without sim_seq counts as one: it cannot be checked)."""
        n = 0
        for seqs in self.seen.values():
            known = {s for s in seqs if s is not None}
            n += len(seqs) - len(known)
            if known:
                n += max(known) - min(known) + 1 - len(known)
        return n

    def _steps(self):
        for vt, trail in self.trail.items():
            for prev, cur in zip(trail, trail[1:]):
                yield vt, prev, cur

    def silence_ms(self, t0, t1):
        """The longest time between two ticks of one contract received
        around [t0, t1] (from each contract's last tick before t0 to its
        first after t1, the edges included), ms."""
        worst, self.silence_at = 0.0, None
        for trail in self.trail.values():
            times = [e[2] for e in trail]
            lo = max([k for k, r in enumerate(times) if r < t0] or [0])
            hi = min([k for k, r in enumerate(times) if r > t1] or [len(times) - 1])
            for a, b in zip(times[lo:hi], times[lo + 1:hi + 1]):
                if b - a > worst:
                    worst, self.silence_at = b - a, (a - t0) * 1000
        return worst * 1000

    def hub_seq_gaps(self):
        """Jumps of the hub's own seq inside one term: ticks the hub
        numbered but the subscriber never got."""
        return sum(1 for _, prev, cur in self._steps()
                   if cur[3] == prev[3] and cur[4] != prev[4] + 1)

    def gaps(self):
        """(vt_symbol, previous entry, entry) wherever sim_seq did not
        grow by exactly 1, in arrival order per contract."""
        return [(vt, prev, cur) for vt, prev, cur in self._steps()
                if None in (prev[0], cur[0]) or cur[0] != prev[0] + 1]

    def close(self):
        self.sock.close()


# --------------------------------------------------------------------------
# The cluster and its sims
# --------------------------------------------------------------------------

def make_cluster(n_nodes, rate, mode):
    """Starts the cluster in arbitration mode; every sim binds its control
    socket in the cluster's temp dir, named by its pid."""
    c = Cluster(n_nodes, [], SYMBOLS, name="bench-srcfo-" + mode, env={
        "HAMD_GATEWAYS_RESTART_BACKOFF_MIN_MS": str(RELAUNCH_BACKOFF_MS),
        "HAMD_GATEWAYS_RESTART_BACKOFF_MAX_MS": str(RELAUNCH_BACKOFF_MS),
    })
    ctl = "ipc://%s/ctl-{pid}.sock" % c.dir
    c.accounts = [sim_account(a, i + 1, ["SHFE", "DCE"], seed=11, rate=rate,
                              control=ctl) for i, a in enumerate(ACCOUNTS)]
    c.extra_ini = EXTRA_INI % mode
    c.mode = mode
    return c.rewrite_configs().start()


def status(c, i):
    return node_status(c, i, API_TIMEOUT_S)


def publisher(c):
    return publishing_node(c, None, API_TIMEOUT_S)


def healthy_pid(c, i, account):
    """pid of account's sim on node i when it is HEALTHY there, else None."""
    for g in (status(c, i) or {}).get("gateways", []):
        if g.get("account") == account and g.get("state") == "HEALTHY":
            return g.get("pid") or None
    return None


def active_everywhere(c, i, account):
    """True when node i routes every contract to account."""
    for g in (status(c, i) or {}).get("gateways", []):
        if g.get("account") == account:
            return g.get("active_contracts") == len(SYMBOLS)
    return False


class Control:
    """REQ socket to one sim's control endpoint (one process: one pid)."""

    def __init__(self, c, pid):
        self.sock = zmq.Context.instance().socket(zmq.REQ)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVTIMEO, CTL_TIMEOUT_MS)
        self.sock.connect("ipc://%s/ctl-%d.sock" % (c.dir, pid))

    def call(self, text):
        """Blocking request; raises unless the reply is "ok..."."""
        self.sock.send_string(text)
        self.check(self.sock.recv_string(), text)

    def ping(self):
        """A status round trip: the connection is up afterwards."""
        self.sock.send_string("status")
        self.sock.recv_string()

    @staticmethod
    def check(reply, text):
        if not reply.startswith("ok"):
            raise Failure("%s: %s" % (text, reply))

    def close(self):
        self.sock.close()


def on_primary(c, leader, stream):
    """True once the contracts are back on sim_1: in priority mode its
    ticks are the stream; in first mode every source supplies it, so the
    routing says."""
    if c.mode == "first":
        return active_everywhere(c, leader, PRIMARY)
    return stream.last_source == PRIMARY


def wait_ready(c, leader, stream, timeout):
    """pid of sim_1 once every sim is HEALTHY on the publisher and the
    contracts are on sim_1."""
    for a in ACCOUNTS[1:]:
        wait_for(lambda: healthy_pid(c, leader, a), timeout, "%s HEALTHY" % a)
    pid = wait_for(lambda: healthy_pid(c, leader, PRIMARY), timeout,
                   "%s HEALTHY" % PRIMARY)
    stream.pump_until(lambda: on_primary(c, leader, stream), timeout,
                      "contracts on %s" % PRIMARY)
    return pid


# --------------------------------------------------------------------------
# Rounds
# --------------------------------------------------------------------------

def inject(stream, ctl, fault):
    """Sends `fault` and pumps the stream until a tick of another source
    arrives. Returns (T mono, T wall ns, hit) with hit None on timeout."""
    text = "fault " + fault
    stream.drain()  # no backlog: receive stamps are current
    t_wall = time.time_ns()
    t0 = time.monotonic()
    stream.watch_for([a for a in ACCOUNTS if a != PRIMARY], t0)
    ctl.sock.send_string(text)
    replied = False
    while stream.hit is None and time.monotonic() < t0 + SWITCH_TIMEOUT_S:
        if stream.pump(POLL_SLICE_MS / 1000.0, None if replied else ctl.sock):
            ctl.check(ctl.sock.recv_string(), text)
            replied = True
    if not replied:  # keep the REQ socket usable for "fault none"
        if not ctl.sock.poll(CTL_TIMEOUT_MS):
            raise Failure("no reply to %s" % text)
        ctl.check(ctl.sock.recv_string(), text)
    return t0, t_wall, stream.hit


def restore(c, leader, stream, ctl, fault):
    """Brings sim_1 back and waits for the failback to it."""
    if fault != "crash":  # a crashed sim is relaunched by the supervisor
        ctl.call("fault none")
    if c.mode == "first":
        # Routing only: sim_1's ticks never stopped being candidates.
        stream.pump_until(lambda: active_everywhere(c, leader, PRIMARY),
                          FAILBACK_TIMEOUT_S,
                          "failback to %s after %s" % (PRIMARY, fault))
    else:
        stream.watch_for([PRIMARY], time.monotonic())
        stream.pump_until(lambda: stream.hit is not None, FAILBACK_TIMEOUT_S,
                          "failback to %s after %s" % (PRIMARY, fault))
    stream.pump(SETTLE_S)


def one_round(c, leader, stream, fault):
    """One fault round: a dict of its measurements. runq_ms is how long the
    publisher's control thread waited for a CPU during the switch."""
    pid = wait_ready(c, leader, stream, RESTORE_TIMEOUT_S)
    hub_pid = c.nodes[leader]["proc"].pid
    ctl = Control(c, pid)
    try:
        ctl.ping()  # connected before T
        rq0 = runq_wait_ms(hub_pid)
        t0, t_wall, hit = inject(stream, ctl, fault)
        r = {"t0": t0, "t_wall": t_wall, "pid": pid, "ok": hit is not None,
             "runq_ms": runq_wait_ms(hub_pid) - rq0}
        if hit:
            recv_mono, recv_wall, tick = hit
            r.update(switch_ms=(recv_mono - t0) * 1000, to=tick["gateway_name"],
                     hub_ns=tick["hub_ns"],
                     deliver_ms=(recv_wall - tick["hub_ns"]) / NS_PER_MS)
        stream.pump(max(0.0, t0 + HOLD_S - time.monotonic()))
        t1 = time.monotonic()
        restore(c, leader, stream, ctl, fault)
        r["silence_ms"] = stream.silence_ms(t0, t1)
        r["silence_at_ms"] = stream.silence_at
        if hit and c.mode == "first":
            # No switch to wait for: what a client notices is the silence.
            r["switch_ms"] = r["silence_ms"]
        return r
    finally:
        ctl.close()


def run_baseline(c, leader, stream, n_rounds):
    """The longest silence without a fault, in windows of HOLD_S: what the
    host's scheduling alone costs (a phase like the faults', fault=none)."""
    stream.reset_phase()
    ph = {"fault": "none", "rounds": [], "wall0": time.time_ns(),
          "mono0": time.monotonic(), "mode": c.mode}
    for k in range(n_rounds):
        t0 = time.monotonic()
        stream.pump(HOLD_S)
        r = {"t0": t0, "ok": False, "silence_ms": stream.silence_ms(
            t0, time.monotonic())}
        ph["rounds"].append(r)
        log("%s none round %d: longest silence %.1f ms from T%+.0f ms" % (
            c.mode, k + 1, r["silence_ms"], stream.silence_at or 0))
    ph.update(wall1=time.time_ns(), missing=stream.missing(), dups=stream.dups,
              ticks=stream.ticks, hub_seq_gaps=stream.hub_seq_gaps(),
              hb_gap_max_ms=stream.hb_gap_max * 1000,
              gaps=stream.gaps()[:GAPS_SHOWN])
    return ph


def run_fault(c, leader, stream, fault, n_rounds):
    """n_rounds of one fault; the phase's measurements and stream checks."""
    stream.reset_phase()
    ph = {"fault": fault, "rounds": [], "wall0": time.time_ns(),
          "mono0": time.monotonic(), "mode": c.mode}
    for k in range(n_rounds):
        r = one_round(c, leader, stream, fault)
        ph["rounds"].append(r)
        log("%s %s round %d: %s, longest silence %.1f ms from T%+.0f ms" % (
            c.mode, fault, k + 1, "switch %.1f ms to %s" % (
                r["switch_ms"], r["to"]) if r["ok"] else "no switch",
            r["silence_ms"], r["silence_at_ms"] or 0))
    ph.update(wall1=time.time_ns(), missing=stream.missing(), dups=stream.dups,
              ticks=stream.ticks, hub_seq_gaps=stream.hub_seq_gaps(),
              hb_gap_max_ms=stream.hb_gap_max * 1000,
              gaps=stream.gaps()[:GAPS_SHOWN])
    return ph


# --------------------------------------------------------------------------
# Probes
# --------------------------------------------------------------------------

def fsync_probe(directory):
    """p50/p99 ms of write(4 KiB) + fdatasync in directory: what one
    synced Raft log write costs on that file system."""
    path = os.path.join(directory, "fsync-probe")
    samples = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        buf = b"\0" * FSYNC_PROBE_BYTES
        for _ in range(FSYNC_PROBE_WRITES):
            t0 = time.monotonic()
            os.write(fd, buf)
            os.fdatasync(fd)
            samples.append((time.monotonic() - t0) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    return pct(samples, 50), pct(samples, 99)


def commit_probe(c, leader):
    """p50/p99 ms of an admin write that answers after its Raft commit
    (alternating /api/pause and /api/resume), HTTP included. Runs after
    the rounds: pausing changes nothing that is still measured."""
    samples = []
    for k in range(COMMIT_PROBE_WRITES):
        path = "/api/pause" if k % 2 == 0 else "/api/resume"
        t0 = time.monotonic()
        code, _ = c.api(leader, "POST", path, {})
        if code == 200:
            samples.append((time.monotonic() - t0) * 1000)
    return pct(samples, 50), pct(samples, 99)


def runq_wait_ms(pid):
    """Time the thread pid (hamd's main thread: the control loop) spent
    runnable but waiting for a CPU, ms (/proc schedstat, field 2)."""
    try:
        with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
            return int(f.read().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return float("nan")


def load_avg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def preemptions(pid):
    """Involuntary context switches of a process (all threads), or -1."""
    total = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith("nonvoluntary_ctxt_switches:"):
                        total += int(line.split()[1])
    except OSError:
        return -1
    return total


def decision_probe():
    """(decision_p99_us, RESULT line) of bench_failover_decision; nan when
    it is not built."""
    exe = os.path.join(BUILD, "tests", "bench_failover_decision")
    if not os.access(exe, os.X_OK):
        log("no %s: decision_p99_us=nan" % exe)
        return float("nan"), ""
    out = subprocess.run([exe], capture_output=True, text=True,
                         timeout=DECISION_TIMEOUT_S).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT")), "")
    m = re.search(r"decision_p99_us=([0-9.]+)", line)
    return (float(m.group(1)) if m else float("nan")), line


# --------------------------------------------------------------------------
# Where the time goes: the leader's log against the measured round
# --------------------------------------------------------------------------

LOG_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z \S+\s+\[([^\]]*)\] (.*)$")
LOG_MARKS = (("control: fault", "sim_got_fault"),
             ("fault crash: exiting", "sim_exit"), ("ended:", "exit_seen"),
             ("STATUS", "status"), (": HEALTHY -> ", "health"),
             ("failover: failover of", "plan"))


def log_lines(text):
    """(wall ns, ident, message) of every parsable log line."""
    out = []
    for line in text.splitlines():
        m = LOG_RE.match(line)
        if m:
            dt = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
            ms = round(dt.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
            out.append((ms * NS_PER_MS, m.group(2), m.group(3)))
    return out


def round_lines(lines, r):
    """The log lines between the round's T and its first backup publish."""
    return [(ts, ident, msg) for ts, ident, msg in lines
            if r["t_wall"] - LOG_SLACK_NS <= ts <= r["hub_ns"] + LOG_SLACK_NS]


def first(lines, pred):
    return next((ts for ts, ident, msg in lines if pred(msg)), None)


def round_stages(r, lines, events):
    """{stage: ms} of one switched round."""
    ln = round_lines(lines, r)
    exited = first(ln, lambda m: m.startswith(
        "gateway %s (pid %d) ended" % (PRIMARY, r["pid"])))
    health = first(ln, lambda m: m.startswith("gateway %s: HEALTHY -> " % PRIMARY))
    plan = first(ln, lambda m: m.startswith("failover: failover of") and
                 "%s ->" % PRIMARY in m)
    st = {"publish_to_sub": r["deliver_ms"], "control_thread_runq_wait": r["runq_ms"]}
    if exited:
        st["fault_to_exit_seen"] = (exited - r["t_wall"]) / NS_PER_MS
    if health:
        st["fault_to_health"] = (health - r["t_wall"]) / NS_PER_MS
    if health and plan:
        st["health_to_plan"] = (plan - health) / NS_PER_MS
    if plan:
        st["plan_to_publish"] = (r["hub_ns"] - plan) / NS_PER_MS
    ev = next((e for m, e in events if m >= r["t0"] and
               e.get("event_type") == "failover_executed" and
               e.get("failed_gateway_id") == PRIMARY), None)
    if ev and isinstance(ev.get("failover_duration_ms"), int):
        st["event_failover_duration"] = ev["failover_duration_ms"]
    return st


def print_breakdown(ph, lines, events):
    stages = {}
    for r in ph["rounds"]:
        if r["ok"]:
            for k, v in round_stages(r, lines, events).items():
                stages.setdefault(k, []).append(v)
    print("BREAKDOWN fault=%s (p50/p99 ms; log stamps have 1 ms resolution) %s"
          % (ph["fault"], " ".join("%s=%.1f/%.1f" % (k, statistics.median(v),
                                                     pct(v, 99))
                                   for k, v in stages.items())))


def print_rounds(ph, lines):
    """--verbose: every round's log marks, ms after T."""
    for k, r in enumerate(ph["rounds"]):
        if not r["ok"]:
            print("round %s %d: no switch" % (ph["fault"], k + 1))
            continue
        marks = []
        for ts, ident, msg in round_lines(lines, r):
            label = next((lb for key, lb in LOG_MARKS if key in msg), None)
            if label and (PRIMARY in msg or PRIMARY in ident or label == "plan"):
                marks.append("%s@%.0f" % (label, (ts - r["t_wall"]) / NS_PER_MS))
        print("round %s %d: switch %.1f ms; %s first_publish@%.1f; control "
              "thread waited %.1f ms for a CPU" % (
                  ph["fault"], k + 1, r["switch_ms"], " ".join(marks),
                  (r["hub_ns"] - r["t_wall"]) / NS_PER_MS, r["runq_ms"]))


def print_gaps(ph, lines):
    """Every skip or repeat of sim_seq, placed after the nearest earlier
    fault injection, with the lease lapses the leader logged meanwhile."""
    lapses = [ts for ts, _, msg in lines if msg.startswith("lease lost")
              and ph["wall0"] <= ts <= ph["wall1"]]
    for vt, prev, cur in ph["gaps"]:
        t0s = [r["t0"] for r in ph["rounds"] if r["t0"] <= cur[2]]
        where = ("round %d, T%+.1f ms" % (len(t0s), (cur[2] - t0s[-1]) * 1000)
                 if t0s else "%.1f s into the phase" % (cur[2] - ph["mono0"]))
        print("GAP fault=%s %s sim_seq %s (%s, seq %d) -> %s (%s, seq %d) at %s"
              % (ph["fault"], vt, prev[0], prev[1], prev[4], cur[0], cur[1],
                 cur[4], where))
    print("detail fault=%s lease lapses logged by the publisher during the "
          "phase: %d" % (ph["fault"], len(lapses)))


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def result_line(ph, decision_us, nodes):
    sw = [r["switch_ms"] for r in ph["rounds"] if r["ok"]]
    quiet = [r["silence_ms"] for r in ph["rounds"]]
    line = ("RESULT fault=%s arbitration=%s rounds=%d switch_p50_ms=%.1f "
            "switch_p99_ms=%.1f silence_p50_ms=%.1f silence_max_ms=%.1f "
            "decision_p99_us=%.0f missing=%d duplicates=%d"
            % (ph["fault"], ph["mode"], len(ph["rounds"]), pct(sw, 50),
               pct(sw, 99), pct(quiet, 50), max(quiet) if quiet else float("nan"),
               decision_us, ph["missing"], ph["dups"]))
    if ph["fault"] == "stall":
        line += " detection_ms=%d" % DETECTION_MS
    failed = len(ph["rounds"]) - len(sw) if ph["fault"] != "none" else 0
    return line + " switch_max_ms=%.1f failed_rounds=%d nodes=%d" % (
        max(sw) if sw else float("nan"), failed, nodes)


# --------------------------------------------------------------------------
# Latency: two sources whose delays differ at random
# --------------------------------------------------------------------------

def sim_fault(c, leader, account, fault):
    """Sets a fault on account's sim of the publishing node."""
    pid = wait_for(lambda: healthy_pid(c, leader, account), RESTORE_TIMEOUT_S,
                   "%s HEALTHY" % account)
    ctl = Control(c, pid)
    try:
        ctl.call("fault " + fault)
    finally:
        ctl.close()


def measure_latency(stream, seconds):
    """Client latencies (receive wall - exchange time, ms) over seconds."""
    stream.pump(LATENCY_SETTLE_S)
    stream.drain()
    stream.latencies = []
    stream.pump(seconds)
    out, stream.latencies = stream.latencies, None
    return out


def run_latency(c, leader, stream, seconds):
    """{source set: latencies}: sim_1 and sim_2 jitter, sim_3 stops; in
    priority mode each of them alone in turn, in first mode both."""
    code, _ = c.api(leader, "POST", "/api/accounts/sim_3/stop", {})
    if code != 200:
        raise Failure("stopping sim_3: HTTP %d" % code)
    for a in ("sim_1", "sim_2"):
        sim_fault(c, leader, a, "jitter %d" % JITTER_MS)
    if c.mode == "first":
        return {"sim_1+sim_2": measure_latency(stream, seconds)}
    out = {"sim_1": measure_latency(stream, seconds)}
    code, _ = c.api(leader, "POST", "/api/failover", {"to": "sim_2", "all": True})
    if code != 200:
        raise Failure("failover to sim_2: HTTP %d" % code)
    stream.pump_until(lambda: active_everywhere(c, leader, "sim_2"),
                      FAILBACK_TIMEOUT_S, "contracts on sim_2")
    out["sim_2"] = measure_latency(stream, seconds)
    return out


def latency_lines(reports):
    """One RESULT line per mode; first mode is compared with the better
    single source of priority mode in the same run."""
    singles = {}
    for rep in reports:
        if rep["mode"] == "priority":
            singles = {k: pct(v, 50) for k, v in rep["latency"].items()}
    best = min(singles.values()) if singles else float("nan")
    lines = []
    for rep in reports:
        lat = [x for v in rep["latency"].values() for x in v]
        extra = " ".join("%s_p50_ms=%.2f" % (k.replace("+", "_"), pct(v, 50))
                         for k, v in sorted(rep["latency"].items()))
        lines.append("RESULT phase=latency arbitration=%s jitter_ms=0-%d "
                     "latency_p50_ms=%.2f latency_p99_ms=%.2f "
                     "best_single_p50_ms=%.2f ticks=%d %s"
                     % (rep["mode"], JITTER_MS, pct(lat, 50), pct(lat, 99),
                        best, len(lat), extra))
    return lines


def run(args, mode, decision):
    """Runs every phase in one arbitration mode; returns what the report
    needs."""
    rep = {"nodes": max(args.nodes, 1), "mode": mode}
    rep["decision_us"], rep["decision_line"] = decision
    c = make_cluster(args.nodes, args.rate, mode)
    rep["dir"] = c.dir
    log("%s, %d sims x %d contracts at %g ticks/s, dir %s" % (
        "3-node cluster" if args.nodes else "standalone hamd", len(ACCOUNTS),
        len(SYMBOLS), args.rate, c.dir))
    stream = Stream(c.publish_endpoints())
    try:
        leader = wait_for(lambda: [publisher(c)] if publisher(c) is not None
                          else None, START_TIMEOUT_S, "a publisher")[0]
        wait_ready(c, leader, stream, START_TIMEOUT_S)
        rep["node_id"] = c.nodes[leader]["id"]
        rep["fsync"] = fsync_probe(c.nodes[leader]["data_dir"])
        hub_pid = c.nodes[leader]["proc"].pid
        load0, preempt0 = load_avg(), preemptions(hub_pid)
        counts = {"crash": args.rounds, "disconnect": args.rounds,
                  "stall": args.stall_rounds}
        rep["phases"] = [run_baseline(c, leader, stream, args.stall_rounds)]
        rep["phases"] += [run_fault(c, leader, stream, f, counts[f])
                          for f in FAULTS
                          if counts[f] > 0 and f in args.faults.split(",")]
        rep["host"] = (load0, load_avg(), preemptions(hub_pid) - preempt0)
        rep["latency"] = (run_latency(c, leader, stream, args.latency_s)
                          if args.latency_s > 0 else {})
        if publisher(c) != leader:
            log("warning: the publisher changed during the run")
        rep["commit"] = commit_probe(c, leader)
        rep["lines"] = log_lines(c.log_text(leader))
        rep["events"], rep["terms"] = list(stream.events), sorted(stream.terms)
    finally:
        stream.close()
        c.cleanup(keep=args.keep)
    return rep


def report(rep, args):
    print("setup: %s, arbitration=%s, publisher node %d, %d sims (same seed) "
          "x %d contracts at %g ticks/s, check_interval_ms=%d stale_ms=%d "
          "fail_threshold=%d revert_after_s=%d quarantine_s=%d, faults held "
          ">= %.1f s, terms seen %s"
          % ("3-node Raft cluster" if args.nodes else "standalone hamd (no peers)",
             rep["mode"], rep["node_id"], len(ACCOUNTS), len(SYMBOLS), args.rate,
             CHECK_INTERVAL_MS, STALE_MS, FAIL_THRESHOLD, REVERT_AFTER_S,
             QUARANTINE_S, HOLD_S, rep["terms"]))
    print("fsync probe (write 4 KiB + fdatasync on the data dir's file system): "
          "p50_ms=%.2f p99_ms=%.2f" % rep["fsync"])
    print("commit probe (admin write answered after its Raft commit, HTTP "
          "included): p50_ms=%.1f p99_ms=%.1f" % rep["commit"])
    print("host: %d CPUs, load average %.1f at start, %.1f at end; publisher "
          "preempted %d times during the rounds" % ((os.cpu_count() or 0,) + rep["host"]))
    if rep["decision_line"]:
        print("decision: " + rep["decision_line"])
    for ph in rep["phases"]:
        if ph["fault"] == "none":
            continue
        if args.verbose:
            print_rounds(ph, rep["lines"])
        print_breakdown(ph, rep["lines"], rep["events"])
        to = {}
        for r in ph["rounds"]:
            if r["ok"]:
                to[r["to"]] = to.get(r["to"], 0) + 1
        print("detail fault=%s ticks_checked=%d hub_seq_gaps=%d hb_gap_max_ms=%.0f "
              "switched_to=%s" % (ph["fault"], ph["ticks"], ph["hub_seq_gaps"],
                                  ph["hb_gap_max_ms"], to))
        if ph["missing"] or ph["dups"]:
            print_gaps(ph, rep["lines"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=50,
                    help="rounds of crash and of disconnect (50)")
    ap.add_argument("--stall-rounds", type=int, default=10)
    ap.add_argument("--nodes", type=int, default=3, choices=(0, 3),
                    help="3: a Raft cluster; 0: one standalone hamd")
    ap.add_argument("--rate", type=float, default=RATE_DEFAULT,
                    help="ticks/s per contract of every sim")
    ap.add_argument("--faults", default=",".join(FAULTS),
                    help="comma-separated subset of crash,disconnect,stall")
    ap.add_argument("--verbose", action="store_true",
                    help="print the stages of every round")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--arbitration", default=",".join(MODES),
                    help="comma-separated modes, each on its own cluster "
                    "(priority,first)")
    ap.add_argument("--latency-s", type=float, default=LATENCY_S_DEFAULT,
                    help="seconds of each latency measurement (0: none)")
    args = ap.parse_args()
    unknown = set(args.faults.split(",")) - set(FAULTS)
    if unknown:
        ap.error("unknown fault(s): %s" % ", ".join(sorted(unknown)))
    modes = args.arbitration.split(",")
    if set(modes) - set(MODES):
        ap.error("unknown arbitration mode(s): %s"
                 % ", ".join(sorted(set(modes) - set(MODES))))
    started = time.monotonic()
    decision = decision_probe()
    reports = [run(args, m, decision) for m in modes]
    log("total %.0f s" % (time.monotonic() - started))
    for rep in reports:
        report(rep, args)
    for rep in reports:
        for ph in rep["phases"]:
            print(result_line(ph, rep["decision_us"], rep["nodes"]))
    if args.latency_s > 0:
        for line in latency_lines(reports):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
