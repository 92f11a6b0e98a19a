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

Usage: node_failover.py [--rounds N]   (HAMD_BUILD_DIR selects the build)
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from hamdtest import (Cluster, Subscriber, log,  # noqa: E402
                      publishing_node, sim_account, wait_for_value)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE", "m2601.DCE"]


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    accounts = [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=50),
                sim_account("sim_b", 2, ["SHFE", "DCE"], rate=50)]
    c = Cluster(3, accounts, SYMBOLS, name="bench-failover").start()
    gaps, overlaps, commit_ms, acked = [], [], [], []
    lost_ticks = dup_ticks = 0
    try:
        sub = Subscriber(c.publish_endpoints())
        sub.pump_until(lambda: len(sub.ticks) > 20, 30, "first ticks")
        for k in range(args.rounds):
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
    print("RESULT rounds=%d gap_p50_ms=%.0f gap_p95_ms=%.0f gap_max_ms=%.0f "
          "overlap_ms=%.0f lost_writes=%d commit_p50_ms=%.1f commit_p99_ms=%.1f "
          "node_rss_mb=%.1f lost_ticks=%d dup_ticks=%d"
          % (len(gaps), pct(gaps, 50), pct(gaps, 95), max(gaps), max(overlaps),
             lost, pct(commit_ms, 50), pct(commit_ms, 99), rss, lost_ticks, dup_ticks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
