"""Benchmark: leader failover of a 3-node cluster on loopback.

Not a test: it measures and prints one RESULT line. Each round kills the
publishing leader with SIGKILL while a subscriber connected to every
publish endpoint records ticks, then restarts the killed node.

  gap       last tick received from the old leader -> first from the new one
  overlap   time both terms delivered ticks (the lease must make it 0)
  lost      acknowledged account writes missing at the end
  lost_ticks / dup_ticks  extra.sim_seq missing / received twice around
            each kill, summed over contracts and rounds (the new leader
            sends what the old one never did: both should be 0)
  commit    account-write latency through the API (acknowledged = committed)

First, on a cluster of its own, what following costs (--follow-s): 3 nodes
with one simulator each (FOLLOW_CONTRACTS contracts at FOLLOW_RATE ticks/s),
one client on the publisher, CPU (utime + stime of each hamd process, its
gateways not included) over --follow-s seconds divided by the ticks the
publisher published meanwhile:

  leader_cpu_us_per_tick     the publisher's
  follower_cpu_us_per_tick   the busier follower's (it ingests and holds
            the same ticks from its own gateway, and follows the publisher)

With --baseline-build DIR the same is measured for the hamd built in DIR
first (base_* fields): before and after in the same run.

Usage: node_failover.py [--rounds N] [--follow-s S] [--baseline-build DIR]
       (HAMD_BUILD_DIR selects the build)
"""
import argparse
import os
import sys
import time

import zmq

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import hamdtest  # noqa: E402
from hamdtest import (Cluster, Subscriber, log, node_status,  # noqa: E402
                      publishing_node, sim_account, wait_for,
                      wait_for_value, wait_one_publisher)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE", "m2601.DCE"]
FOLLOW_CONTRACTS = 100    # the follow-cost cluster: 100 contracts at
FOLLOW_RATE = 100         # 100 ticks/s each, 10,000 ticks/s published
FOLLOW_WARMUP_S = 3.0     # from every follower reading the stream to the
#                           window: past a new stream's first 2.5 s, when
#                           a follower may still switch to reading ticks
FOLLOW_RECENT_MS = 500    # a follower reads the stream (_hb: 100 ms)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def cpu_s(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def drain(sock, seconds):
    """A client: receives (without decoding) for `seconds`."""
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        if sock.poll(50):
            while True:
                try:
                    sock.recv_multipart(zmq.NOBLOCK)
                    n += 1
                except zmq.Again:
                    break
    return n


def use_build(build):
    """Points the harness at the programs of build."""
    hamdtest.HAMD = os.path.join(build, "src", "hamd")
    hamdtest.GW_SIM = os.path.join(build, "src", "hamd-gw-sim")


def follow_cost(build, seconds):
    """(leader, busier follower) CPU us per published tick of the hamd in
    build, and the publish rate, on a 3-node loopback cluster."""
    use_build(build)
    symbols = ["f%03d.SHFE" % i for i in range(FOLLOW_CONTRACTS)]
    accounts = [sim_account("sim_a", 1, ["SHFE"], rate=FOLLOW_RATE)]
    c = Cluster(3, accounts, symbols, name="bench-follow").start()
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.SUB)
    try:
        leader = wait_one_publisher(c, timeout=30)
        sock.setsockopt(zmq.RCVHWM, 0)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SUBSCRIBE, b"")
        sock.connect(c.nodes[leader]["publish"])
        followers = [i for i in range(3) if i != leader]

        def following():
            drain(sock, 0.1)
            ages = [(node_status(c, i) or {}).get("follow_age_ms") for i in followers]
            return all(isinstance(a, int) and a < FOLLOW_RECENT_MS for a in ages)
        wait_for(following, 30, "followers reading the publisher's stream", step=0)
        drain(sock, FOLLOW_WARMUP_S)
        pids = [n["proc"].pid for n in c.nodes]
        cpu0 = [cpu_s(p) for p in pids]
        pub0 = node_status(c, leader)["published"]
        t0 = time.monotonic()
        drain(sock, seconds)
        cpu1 = [cpu_s(p) for p in pids]
        pub1 = node_status(c, leader)["published"]
        span = time.monotonic() - t0
        ticks = max(1, pub1 - pub0)
        us = [(cpu1[i] - cpu0[i]) * 1e6 / ticks for i in range(3)]
        return (us[leader], max(us[i] for i in followers), ticks / span)
    finally:
        sock.close()
        c.cleanup()


def write_account(c, alive, aid, commit_ms):
    body = {"id": aid, "gateway_type": "sim", "priority": 50, "enabled": False,
            "exchanges": ["SHFE"], "params": {}}
    for i in alive:
        t0 = time.monotonic()
        try:
            code, _ = c.api(i, "POST", "/api/accounts", body, timeout=3)
        except OSError:
            continue
        if code in (200, 201):
            commit_ms.append((time.monotonic() - t0) * 1000)
            return True
    return False


def sim_holes(ticks):
    """(missing, duplicated) extra.sim_seq over ticks, summed over
    contracts."""
    seqs = {}
    for _, t in ticks:
        n = (t.get("extra") or {}).get("sim_seq")
        if isinstance(n, int):
            seqs.setdefault(t["vt_symbol"], []).append(n)
    missing = sum(max(v) - min(v) + 1 - len(set(v)) for v in seqs.values())
    dup = sum(len(v) - len(set(v)) for v in seqs.values())
    return missing, dup


def one_round(c, sub, alive_all, acked, commit_ms, k):
    leader = wait_for_value(lambda: publishing_node(c, alive_all), 20, "a publisher")
    for j in range(3):
        if write_account(c, alive_all, "w%d_%d" % (k, j), commit_ms):
            acked.append("w%d_%d" % (k, j))
    sub.pump(0.5)
    old_term = max(t["term"] for _, t in sub.ticks)
    start = len(sub.ticks)
    c.kill(leader)
    alive = [i for i in alive_all if i != leader]
    sub.pump_until(lambda: any(t["term"] > old_term for _, t in sub.ticks[start:]),
                   20, "ticks of a new term")
    sub.pump(0.5)
    window = sub.ticks[start:]
    last_old = max((r for r, t in window if t["term"] == old_term), default=None)
    first_new = min(r for r, t in window if t["term"] > old_term)
    if last_old is None:  # nothing of the old term after the kill
        last_old = max(r for r, t in sub.ticks[:start] if t["term"] == old_term)
    gap = (first_new - last_old) * 1000
    overlap = max(0.0, (last_old - first_new) * 1000)
    # From a little before the kill, so a hole right at it shows.
    holes = sim_holes(sub.ticks[max(0, start - 20):])
    c.start(leader)  # back for the next round
    wait_for_value(lambda: publishing_node(c, alive), 10, "new publisher status")
    return gap, overlap, holes


def loadavg():
    """The host's 1-minute load average, as /proc/loadavg says it."""
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def follow_fields(seconds, baseline):
    """The follow-cost fields of the RESULT line ("" when skipped)."""
    if seconds <= 0:
        return ""
    out = ""
    if baseline:
        load = loadavg()
        leader_us, follower_us, rate = follow_cost(baseline, seconds)
        log("baseline %s: leader %.2f us, follower %.2f us per tick at %.0f ticks/s"
            % (baseline, leader_us, follower_us, rate))
        out = (" base_follower_cpu_us_per_tick=%.2f base_leader_cpu_us_per_tick=%.2f"
               " base_follow_tps=%.0f base_follow_load=%s"
               % (follower_us, leader_us, rate, load))
    load = loadavg()
    leader_us, follower_us, rate = follow_cost(hamdtest.BUILD, seconds)
    log("leader %.2f us, follower %.2f us per tick at %.0f ticks/s"
        % (leader_us, follower_us, rate))
    use_build(hamdtest.BUILD)
    return (" follower_cpu_us_per_tick=%.2f leader_cpu_us_per_tick=%.2f"
            " follow_tps=%.0f follow_load=%s" % (follower_us, leader_us, rate, load)
            + out)


def failover_rounds(rounds):
    """The failover fields of the RESULT line, over `rounds` kills."""
    accounts = [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=50),
                sim_account("sim_b", 2, ["SHFE", "DCE"], rate=50)]
    c = Cluster(3, accounts, SYMBOLS, name="bench-failover").start()
    gaps, overlaps, commit_ms, acked = [], [], [], []
    lost_ticks = dup_ticks = 0
    try:
        sub = Subscriber(c.publish_endpoints())
        sub.pump_until(lambda: len(sub.ticks) > 20, 30, "first ticks")
        for k in range(rounds):
            gap, overlap, (missing, dup) = one_round(c, sub, range(3), acked,
                                                     commit_ms, k)
            gaps.append(gap)
            overlaps.append(overlap)
            lost_ticks += missing
            dup_ticks += dup
            log("round %d: gap %.0f ms, overlap %.0f ms, %d ticks lost, %d repeated"
                % (k + 1, gap, overlap, missing, dup))
            sub.ticks = sub.ticks[-200:]
        leader = wait_for_value(lambda: publishing_node(c), 20, "a publisher")
        code, res = c.api(leader, "GET", "/api/accounts")
        have = {a["id"] for a in (res["accounts"] if isinstance(res, dict) else res)}
        lost = len([a for a in acked if a not in have])
        rss = rss_mb(c.nodes[leader]["proc"].pid)
    finally:
        c.cleanup()
    nan = float("nan")
    return ("rounds=%d gap_p50_ms=%.0f gap_p95_ms=%.0f gap_max_ms=%.0f "
            "overlap_ms=%.0f lost_writes=%d commit_p50_ms=%.1f commit_p99_ms=%.1f "
            "node_rss_mb=%.1f lost_ticks=%d dup_ticks=%d"
            % (len(gaps), pct(gaps, 50), pct(gaps, 95), max(gaps, default=nan),
               max(overlaps, default=nan), lost, pct(commit_ms, 50),
               pct(commit_ms, 99), rss, lost_ticks, dup_ticks))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--follow-s", type=float, default=10.0,
                    help="seconds of the follow-cost window (0: skip it)")
    ap.add_argument("--baseline-build", help="also measure the follow cost "
                    "of the hamd built in this directory, first")
    args = ap.parse_args()
    follow = follow_fields(args.follow_s, args.baseline_build)
    load_before = loadavg()
    failover = failover_rounds(args.rounds)
    print("RESULT %s load_before=%s load_after=%s%s"
          % (failover, load_before, loadavg(), follow))
    return 0


if __name__ == "__main__":
    sys.exit(main())
