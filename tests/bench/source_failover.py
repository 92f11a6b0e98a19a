"""Benchmark: source failover on a running hub (DESIGN §7).

Not a test: it measures and prints, never asserts a time. A cluster
(3 nodes by default; --nodes 0 runs one standalone hamd) runs three hot
simulated accounts sim_1, sim_2, sim_3 (priorities 1, 2, 3, same seed, a
high tick rate so tick spacing does not hide the switch). Each round
injects a fault into the sim of the active source (sim_1) on the
publishing node through its control socket and measures

  switch      T = CLOCK_MONOTONIC right before the control request is sent
              -> the first tick of another source received by a subscriber
              (same clock, same process)

then restores sim_1 (crash: the supervisor relaunches it; disconnect and
stall: "fault none") and waits for the automatic failback, so every round
starts from sim_1. Over each fault's whole run the subscriber checks every
contract's extra.sim_seq stream across every switch:

  missing     sim_seq values absent between the first and the last seen
  duplicates  sim_seq values delivered more than once

decision_p99_us comes from bench_failover_decision (the pure engine over
5,000 contracts x 5 accounts with a failed source). For stall, the switch
is expected near the configured detection time, printed as detection_ms =
stale_ms + fail_threshold x check_interval_ms.

Where the time goes (per round, from the leader's log, the
failover_executed event and the first backup tick's hub_ns): fault ->
health event, health event -> plan, plan -> first publish (Raft commit of
the ASSIGN, apply, data-plane switch), publish -> subscriber. An fsync
probe on the data directory's file system shows what one Raft log write
costs there.

Usage: source_failover.py [--rounds N] [--stall-rounds N] [--nodes 3|0]
                          [--rate R] [--keep]
(HAMD_BUILD_DIR selects the build.) One RESULT line per fault.
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
from hamdtest import BUILD, Cluster, Failure, log, sim_account, wait_for  # noqa: E402

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE", "m2601.DCE"]
ACCOUNTS = ("sim_1", "sim_2", "sim_3")
PRIMARY = "sim_1"

RATE_DEFAULT = 200          # ticks/s per contract: 5 ms apart
CHECK_INTERVAL_MS = 50
FAIL_THRESHOLD = 3
RECOVER_THRESHOLD = 5
STALE_MS = 300
REVERT_AFTER_S = 1          # smallest automatic failback hold
QUARANTINE_S = 1
DAILY_CAP = 100000          # the rounds are far more than the default 20
REPLAY_DEPTH = 1000         # >= rate x replay window: a stall leaves no hole
RELAUNCH_BACKOFF_MAX_MS = 100  # a crashed sim is back at once, every round

SWITCH_TIMEOUT_S = 10.0     # a round without a switch by then is a failure
RESTORE_TIMEOUT_S = 20.0    # relaunch / recovery of sim_1
FAILBACK_TIMEOUT_S = 20.0   # revert_after + re-plan period + margin
SETTLE_S = 0.1              # after the failback, before the next round
POLL_SLICE_MS = 20          # pump granularity while waiting
CTL_TIMEOUT_MS = 3000       # reply of a sim's control socket
FSYNC_PROBE_WRITES = 200    # fdatasync samples of the file-system probe
FSYNC_PROBE_BYTES = 4096    # one small Raft entry, page sized
COMMIT_PROBE_WRITES = 40    # pause/resume writes of the commit probe

EXTRA_INI = """
[health]
check_interval_ms = %d
fail_threshold = %d
recover_threshold = %d
stale_ms = %d
latency_ms = 2000
hb_timeout_ms = 1500

[failover]
revert_after_s = %d
quarantine_s = %d
daily_cap = %d
replay_window_ms = 3000
replay_depth = %d
restart_after_ms = 5000
""" % (CHECK_INTERVAL_MS, FAIL_THRESHOLD, RECOVER_THRESHOLD, STALE_MS,
       REVERT_AFTER_S, QUARANTINE_S, DAILY_CAP, REPLAY_DEPTH)

DETECTION_MS = STALE_MS + FAIL_THRESHOLD * CHECK_INTERVAL_MS


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
        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RECONNECT_IVL, 50)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"")
        for ep in endpoints:
            self.sock.connect(ep)
        self.reset_phase()
        self.events = []          # (recv mono, event dict)
        self.last_source = None   # gateway_name of the latest tick
        self.last_tick_mono = 0.0
        self.terms = set()
        self.watch = None         # (set of accounts, since mono) or None
        self.hit = None           # (recv mono, recv wall ns, tick) of a watch

    def reset_phase(self):
        """Starts a new exactly-once accounting window."""
        self.seen = {}            # vt_symbol -> set of sim_seq
        self.dups = 0
        self.ticks = 0

    def watch_for(self, accounts, since):
        """Records the first tick from one of accounts received >= since."""
        self.watch = (set(accounts), since)
        self.hit = None

    def _on_tick(self, now, tick):
        vt = tick["vt_symbol"]
        sim_seq = tick.get("extra", {}).get("sim_seq")
        seqs = self.seen.setdefault(vt, set())
        if sim_seq in seqs:
            self.dups += 1
        else:
            seqs.add(sim_seq)
        self.ticks += 1
        self.terms.add(tick["term"])
        src = tick["gateway_name"]
        self.last_source = src
        self.last_tick_mono = now
        if self.watch and self.hit is None and src in self.watch[0] \
                and now >= self.watch[1]:
            self.hit = (now, time.time_ns(), tick)

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
                continue
            if topic == b"_event":
                self.events.append((now, msg))
            else:
                self._on_tick(now, msg)

    def pump(self, seconds, extra=None):
        """Receives for `seconds`; also polls the socket `extra` and returns
        True as soon as it is readable (then stops early)."""
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

    def phase_counts(self):
        """(missing, duplicates, ticks) of the current phase."""
        missing = 0
        for seqs in self.seen.values():
            if None in seqs:
                seqs.discard(None)
                missing += 1  # a tick without sim_seq cannot be checked
            if seqs:
                missing += max(seqs) - min(seqs) + 1 - len(seqs)
        return missing, self.dups, self.ticks

    def close(self):
        self.sock.close()


# --------------------------------------------------------------------------
# The cluster and its sims
# --------------------------------------------------------------------------

def make_cluster(n_nodes, rate):
    c = Cluster(n_nodes, [], SYMBOLS, name="bench-srcfo", env={
        "HAMD_GATEWAYS_RESTART_BACKOFF_MIN_MS": str(RELAUNCH_BACKOFF_MAX_MS),
        "HAMD_GATEWAYS_RESTART_BACKOFF_MAX_MS": str(RELAUNCH_BACKOFF_MAX_MS),
    })
    ctl = "ipc://%s/ctl-{pid}.sock" % c.dir
    c.accounts = [sim_account(a, i + 1, ["SHFE", "DCE"], seed=11, rate=rate,
                              control=ctl) for i, a in enumerate(ACCOUNTS)]
    c.extra_ini = EXTRA_INI
    for n in c.nodes:
        with open(n["config"], "w") as f:
            f.write(c.ini(n))
    return c.start()


def status(c, i):
    try:
        code, body = c.api(i, "GET", "/api/status", timeout=2)
        return body if code == 200 and isinstance(body, dict) else None
    except OSError:
        return None


def publisher(c):
    for i in range(len(c.nodes)):
        s = status(c, i)
        if s and s.get("publishing"):
            return i
    return None


def gateway(c, i, account):
    for g in (status(c, i) or {}).get("gateways", []):
        if g.get("account") == account:
            return g
    return None


def healthy_pid(c, i, account):
    g = gateway(c, i, account)
    return g["pid"] if g and g.get("state") == "HEALTHY" and g.get("pid") else None


class Control:
    """REQ socket to one sim's control endpoint (one process: one pid)."""

    def __init__(self, c, pid):
        self.pid = pid
        self.sock = zmq.Context.instance().socket(zmq.REQ)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVTIMEO, CTL_TIMEOUT_MS)
        self.sock.connect("ipc://%s/ctl-%d.sock" % (c.dir, pid))

    def call(self, text):
        """Blocking request; the reply text."""
        self.sock.send_string(text)
        return self.sock.recv_string()

    def close(self):
        self.sock.close()


def wait_start(c, stream):
    """Publisher index once sim_1 carries the stream and all sims are
    HEALTHY on the publisher."""
    leader = wait_for(lambda: [publisher(c)] if publisher(c) is not None
                      else None, 30, "a publisher")[0]
    for a in ACCOUNTS:
        wait_for(lambda: healthy_pid(c, leader, a), 30, "%s HEALTHY" % a)
    stream.pump_until(lambda: stream.last_source == PRIMARY, 30,
                      "ticks from %s" % PRIMARY)
    return leader


# --------------------------------------------------------------------------
# Rounds
# --------------------------------------------------------------------------

def inject(stream, ctl, fault):
    """Sends `fault` and pumps the stream until a tick of another source
    arrives. Returns (T mono, T wall ns, hit) with hit None on timeout."""
    others = [a for a in ACCOUNTS if a != PRIMARY]
    stream.drain()  # no backlog: receive stamps are current
    t_wall = time.time_ns()
    t0 = time.monotonic()
    stream.watch_for(others, t0)
    ctl.sock.send_string("fault " + fault)
    replied = False
    end = t0 + SWITCH_TIMEOUT_S
    while stream.hit is None and time.monotonic() < end:
        if stream.pump(POLL_SLICE_MS / 1000.0, None if replied else ctl.sock):
            reply = ctl.sock.recv_string()
            replied = True
            if not reply.startswith("ok"):
                raise Failure("fault %s: %s" % (fault, reply))
    if not replied:  # keep the REQ socket usable for "fault none"
        if not ctl.sock.poll(CTL_TIMEOUT_MS):
            raise Failure("no reply to fault %s" % fault)
        reply = ctl.sock.recv_string()
        if not reply.startswith("ok"):
            raise Failure("fault %s: %s" % (fault, reply))
    return t0, t_wall, stream.hit


def restore(c, stream, leader, ctl, fault):
    """Brings sim_1 back and waits for the failback to it."""
    if fault != "crash":
        reply = ctl.call("fault none")
        if not reply.startswith("ok"):
            raise Failure("fault none: %s" % reply)
    t_back = time.monotonic()
    stream.watch_for([PRIMARY], t_back)
    stream.pump_until(lambda: stream.hit is not None, FAILBACK_TIMEOUT_S,
                      "failback to %s after %s" % (PRIMARY, fault))
    stream.pump(SETTLE_S)


def one_round(c, stream, leader, fault):
    """One fault round; returns a dict of its measurements. runq_ms: how
    long the publisher's control thread waited for a CPU meanwhile."""
    pid = wait_for(lambda: healthy_pid(c, leader, PRIMARY), RESTORE_TIMEOUT_S,
                   "%s HEALTHY" % PRIMARY)
    for a in ACCOUNTS[1:]:
        wait_for(lambda: healthy_pid(c, leader, a), RESTORE_TIMEOUT_S,
                 "%s HEALTHY" % a)
    stream.pump_until(lambda: stream.last_source == PRIMARY, FAILBACK_TIMEOUT_S,
                      "stream on %s" % PRIMARY)
    ctl = Control(c, pid)
    try:
        ctl.call("status")  # connected before T
        hub_pid = c.nodes[leader]["proc"].pid
        rq0 = runq_wait_ms(hub_pid)
        t0, t_wall, hit = inject(stream, ctl, fault)
        r = {"t0": t0, "t_wall": t_wall, "pid": pid, "ok": hit is not None,
             "runq_ms": runq_wait_ms(hub_pid) - rq0}
        if hit:
            recv_mono, recv_wall, tick = hit
            r.update(switch_ms=(recv_mono - t0) * 1000, to=tick["gateway_name"],
                     hub_ns=tick["hub_ns"], recv_wall=recv_wall,
                     deliver_ms=(recv_wall - tick["hub_ns"]) / 1e6)
        restore(c, stream, leader, ctl, fault)
        return r
    finally:
        ctl.close()


# --------------------------------------------------------------------------
# Where the time goes
# --------------------------------------------------------------------------

LOG_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z \S+\s+\[([^\]]*)\] (.*)$")


def wall_ns_of(stamp):
    dt = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f")
    return int(dt.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000) * 1000000


def log_lines(text):
    """(wall ns, ident, message) of every parsable log line."""
    out = []
    for line in text.splitlines():
        m = LOG_RE.match(line)
        if m:
            out.append((wall_ns_of(m.group(1)), m.group(2), m.group(3)))
    return out


def first_after(lines, t_ns, pred, until_ns):
    for ts, ident, msg in lines:
        if t_ns - 1000000 <= ts <= until_ns and pred(ident, msg):
            return ts
    return None


def breakdown(rounds, lines, events, fault):
    """Per-stage ms lists over the rounds, from the log (ms stamps), the
    failover_executed events and the first backup tick's hub_ns."""
    stages = {"fault_to_exit": [], "exit_to_health": [], "health_to_plan": [],
              "plan_to_publish": [], "publish_to_sub": [], "event_duration": [],
              "control_thread_runq_wait": []}
    for r in rounds:
        if not r["ok"]:
            continue
        t, end = r["t_wall"], r["hub_ns"] + 1000000
        exited = first_after(lines, t, lambda i, m: m.startswith(
            "gateway %s (pid %d) ended" % (PRIMARY, r["pid"])), end)
        health = first_after(lines, t, lambda i, m: m.startswith(
            "gateway %s: HEALTHY -> " % PRIMARY), end)
        plan = first_after(lines, t, lambda i, m: m.startswith(
            "failover: failover of") and "%s ->" % PRIMARY in m, end)
        if fault == "crash" and exited:
            stages["fault_to_exit"].append((exited - t) / 1e6)
            if health:
                stages["exit_to_health"].append((health - exited) / 1e6)
        elif health:
            stages["fault_to_exit"].append((health - t) / 1e6)  # to health
        if health and plan:
            stages["health_to_plan"].append((plan - health) / 1e6)
        if plan:
            stages["plan_to_publish"].append((r["hub_ns"] - plan) / 1e6)
        stages["publish_to_sub"].append(r["deliver_ms"])
        stages["control_thread_runq_wait"].append(r["runq_ms"])
        ev = next((e for m, e in events if m >= r["t0"] and
                   e.get("event_type") == "failover_executed" and
                   e.get("failed_gateway_id") == PRIMARY), None)
        if ev and isinstance(ev.get("failover_duration_ms"), int):
            stages["event_duration"].append(ev["failover_duration_ms"])
    return stages


LOG_MARKS = (("control: fault", "sim_got_fault"), ("fault crash: exiting", "sim_exit"),
             ("ended:", "exit_seen"), ("STATUS", "status"), (": HEALTHY -> ", "health"),
             ("failover: failover of", "plan"))


def print_rounds(fault, rounds, lines):
    """--verbose: the log marks of every round, ms after T (1 ms stamps)."""
    for k, r in enumerate(rounds):
        if not r["ok"]:
            print("round %s %d: no switch" % (fault, k + 1))
            continue
        marks = []
        for ts, ident, m in lines:
            if not r["t_wall"] - 1000000 <= ts <= r["hub_ns"] + 1000000:
                continue
            label = next((lb for key, lb in LOG_MARKS if key in m), None)
            if label and (PRIMARY in m or PRIMARY in ident or label == "plan"):
                marks.append("%s@%.0f" % (label, (ts - r["t_wall"]) / 1e6))
        print("round %s %d: switch %.1f ms; %s first_publish@%.1f; control "
              "thread waited %.1f ms for a CPU" % (
                  fault, k + 1, r["switch_ms"], " ".join(marks),
                  (r["hub_ns"] - r["t_wall"]) / 1e6, r["runq_ms"]))


def print_breakdown(fault, stages):
    names = {"crash": "fault->exit", "disconnect": "fault->health",
             "stall": "fault->health"}
    parts = []
    for k, v in stages.items():
        if not v:
            continue
        label = names.get(fault, k) if k == "fault_to_exit" else k
        parts.append("%s=%.1f/%.1f" % (label.replace("->", "_to_"),
                                         statistics.median(v), pct(v, 99)))
    print("BREAKDOWN fault=%s (p50/p99 ms, log stamps have 1 ms resolution) %s"
          % (fault, " ".join(parts)))


def fsync_probe(directory):
    """p50/p99 ms of write(4 KiB) + fdatasync in directory: the cost of one
    Raft log append on that file system (raft_uv syncs every append)."""
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
    (alternating /api/pause and /api/resume), HTTP included. Run after the
    rounds: pausing changes nothing that is still measured."""
    samples = []
    for k in range(COMMIT_PROBE_WRITES):
        path = "/api/pause" if k % 2 == 0 else "/api/resume"
        t0 = time.monotonic()
        code, _ = c.api(leader, "POST", path, {})
        if code == 200:
            samples.append((time.monotonic() - t0) * 1000)
    return pct(samples, 50), pct(samples, 99)


def runq_wait_ms(pid):
    """Time the thread pid (the main thread: hamd's control loop) spent
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


def decision_p99_us():
    """decision_p99_us of bench_failover_decision, nan when it is not built."""
    exe = os.path.join(BUILD, "tests", "bench_failover_decision")
    if not os.access(exe, os.X_OK):
        log("no %s: decision_p99_us=nan" % exe)
        return float("nan"), ""
    out = subprocess.run([exe], capture_output=True, text=True, timeout=300).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT")), "")
    m = re.search(r"decision_p99_us=([0-9.]+)", line)
    return (float(m.group(1)) if m else float("nan")), line


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def run_fault(c, stream, leader, fault, rounds):
    stream.reset_phase()
    done = []
    for k in range(rounds):
        r = one_round(c, stream, leader, fault)
        done.append(r)
        if r["ok"]:
            log("%s round %d: switch %.1f ms to %s" % (fault, k + 1, r["switch_ms"], r["to"]))
        else:
            log("%s round %d: no switch within %.0f s" % (fault, k + 1, SWITCH_TIMEOUT_S))
    missing, dups, ticks = stream.phase_counts()
    return done, missing, dups, ticks


def result_line(fault, rounds, missing, dups, decision_us, nodes):
    sw = [r["switch_ms"] for r in rounds if r["ok"]]
    line = ("RESULT fault=%s rounds=%d switch_p50_ms=%.1f switch_p99_ms=%.1f "
            "decision_p99_us=%.0f missing=%d duplicates=%d"
            % (fault, len(rounds), pct(sw, 50), pct(sw, 99), decision_us,
               missing, dups))
    if fault == "stall":
        line += " detection_ms=%d" % DETECTION_MS
    failed = len(rounds) - len(sw)
    line += " switch_max_ms=%.1f failed_rounds=%d nodes=%d" % (
        max(sw) if sw else float("nan"), failed, nodes)
    return line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=50,
                    help="rounds of crash and of disconnect (50)")
    ap.add_argument("--stall-rounds", type=int, default=10)
    ap.add_argument("--nodes", type=int, default=3, choices=(0, 3),
                    help="3: a Raft cluster; 0: one standalone hamd")
    ap.add_argument("--rate", type=float, default=RATE_DEFAULT,
                    help="ticks/s per contract of every sim")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--verbose", action="store_true",
                    help="print the stages of every round")
    args = ap.parse_args()

    started = time.monotonic()
    decision_us, decision_line = decision_p99_us()
    c = make_cluster(args.nodes, args.rate)
    nodes = max(args.nodes, 1)
    log("%s, %d sims x %d contracts at %g ticks/s, dir %s" % (
        "3-node cluster" if args.nodes else "standalone hamd", len(ACCOUNTS),
        len(SYMBOLS), args.rate, c.dir))
    results, lines_out = [], []
    stream = None
    try:
        stream = Stream(c.publish_endpoints())
        leader = wait_start(c, stream)
        fs50, fs99 = fsync_probe(c.nodes[leader]["data_dir"])
        hub_pid = c.nodes[leader]["proc"].pid
        load0, preempt0 = load_avg(), preemptions(hub_pid)
        plan = [("crash", args.rounds), ("disconnect", args.rounds),
                ("stall", args.stall_rounds)]
        for fault, n in plan:
            if n <= 0:
                continue
            rounds, missing, dups, ticks = run_fault(c, stream, leader, fault, n)
            results.append((fault, rounds, missing, dups, ticks))
        load1, preempted = load_avg(), preemptions(hub_pid) - preempt0
        if publisher(c) != leader:
            log("warning: the publisher changed during the run")
        cm50, cm99 = commit_probe(c, leader)
        lines = log_lines(c.log_text(leader))
        events = list(stream.events)
    finally:
        if stream:
            stream.close()
        c.cleanup(keep=args.keep)

    print("setup: %s, publisher node %d, %d sims (same seed) x %d contracts at "
          "%g ticks/s, check_interval_ms=%d stale_ms=%d fail_threshold=%d "
          "revert_after_s=%d quarantine_s=%d, terms seen %s"
          % ("3-node Raft cluster" if args.nodes else "standalone hamd (no peers)",
             c.nodes[leader]["id"], len(ACCOUNTS), len(SYMBOLS), args.rate,
             CHECK_INTERVAL_MS, STALE_MS, FAIL_THRESHOLD, REVERT_AFTER_S,
             QUARANTINE_S, sorted(stream.terms)))
    print("fsync probe (write 4 KiB + fdatasync on the data dir's file system): "
          "p50_ms=%.2f p99_ms=%.2f" % (fs50, fs99))
    print("commit probe (admin write answered after its Raft commit, HTTP "
          "included): p50_ms=%.1f p99_ms=%.1f" % (cm50, cm99))
    print("host: %d CPUs, load average %.1f at start, %.1f at end; publisher "
          "preempted %d times during the rounds"
          % (os.cpu_count() or 0, load0, load1, preempted))
    if decision_line:
        print("decision: " + decision_line)
    for fault, rounds, missing, dups, ticks in results:
        if args.verbose:
            print_rounds(fault, rounds, lines)
        print_breakdown(fault, breakdown(rounds, lines, events, fault))
        to = {}
        for r in rounds:
            if r["ok"]:
                to[r["to"]] = to.get(r["to"], 0) + 1
        print("detail fault=%s ticks_checked=%d switched_to=%s" % (fault, ticks, to))
    log("total %.0f s" % (time.monotonic() - started))
    for fault, rounds, missing, dups, ticks in results:
        lines_out.append(result_line(fault, rounds, missing, dups, decision_us, nodes))
    for ln in lines_out:
        print(ln)
    return 0


if __name__ == "__main__":
    sys.exit(main())
