"""A leader change leaves no hole: the new leader sends what the old missed.

Every node runs its own hamd-gw-sim per account, and a sim's tick n of a
contract is the same on every node (extra.sim_seq = n, n follows the wall
clock), so one client connected to every node's publish endpoint can tell
whether a tick of the active source was never published. On a 3-node
cluster the publishing node is first stopped with SIGTERM (graceful
handover) and started again; then the new publisher is killed with -9 and
started again. For each leader change and each contract this proves:

- no sim_seq of the active account is missing from just before the change
  to after it: on taking over, the new leader first publishes the ticks its
  own gateways delivered that the old leader had not published, then goes
  live;
- inside one term sim_seq only grows, so a sim_seq received twice is one of
  the new term's first ticks, and only one the old leader published in
  its last moments (what it sent in its last 20 ms, and after its last
  watermark, may not have reached every client: it goes out again);
- a leader change does not change the source (gateway_name);
- the guarantees of test_cluster still hold: seq contiguous per (term,
  contract), no tick of the old term published after the new term began;
- /api/status agrees: followers report the age of the publisher's stream
  and that they read its watermarks (not every tick),
  and the new leader's takeover_replayed grows.

The subscriber is an ordinary client (connected to every node, default
reconnect): a tick the new leader publishes before that client's SUB is
connected to it is missing for the client too, and counts. The failure
message tells those (seq 1..k-1 of the new term, never received) from
ticks no node published.
"""
import os
import signal

from hamdtest import (Cluster, Subscriber, check, check_contiguous,
                      check_fenced, gateway_states, log, node_status, run,
                      sim_account, wait_one_publisher, wait_settled)

SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE", "m2601.DCE"]
ACTIVE = "sim_a"          # priority 1: the source of every contract
RATE_PER_S = 100          # ticks per second of each contract
BEFORE_S = 1.0            # ticks taken before each leader change
AFTER_S = 2.5             # ticks taken after the new term's first tick
TAKEOVER_TIMEOUT_S = 15   # from stopping the publisher to new-term ticks
CATCH_UP_TIMEOUT_S = 20   # a restarted node back, caught up, gateways HEALTHY
SETTLE_TIMEOUT_S = 20     # initial routing of every contract to ACTIVE
FOLLOW_RECENT_MS = 1000   # a follower's last message from the stream is
#                           younger than this (_hb every 100 ms; it reads
#                           the stream every 20 ms)
INFLIGHT_MS = 20          # DP_FOLLOW_INFLIGHT_MS: what the old leader
#                           sent in its last 20 ms goes out again, as it
#                           may not have reached every client
WM_INTERVAL_MS = 5        # DP_WM_INTERVAL_MS: and what it sent after its
#                           last watermark
# A sim_seq may be received twice across a leader change: one of those,
# published (hub_ns) at most REPEAT_WINDOW_MS before the old leader's last
# tick (25 ms more for a loaded host, between a tick's stamp and the
# watermark naming it). Not a count: after a lease lapse the old leader
# sends all it held at once, and those may all come again if it stops
# right after. An older one means the new leader re-sent ticks the old one
# had published well before.
REPEAT_WINDOW_MS = INFLIGHT_MS + WM_INTERVAL_MS + 25


def accounts():
    # Same seed: sim_b delivers the same ticks, so a take-over that re-sent
    # the wrong source's ticks would be seen by gateway_name, not hidden.
    return [sim_account(ACTIVE, 1, ["SHFE", "DCE"], seed=7, rate=RATE_PER_S),
            sim_account("sim_b", 2, ["SHFE", "DCE"], seed=7, rate=RATE_PER_S)]


def commit_index(c, idx):
    """The commit index node idx reports (it must answer)."""
    st = node_status(c, idx)
    check(st is not None, "node %d does not answer" % (idx + 1))
    return st["commit_index"]


def caught_up(c, idx, index):
    """True when node idx answers, has applied the log up to index and
    runs every gateway HEALTHY (it could be the next leader)."""
    st = node_status(c, idx)
    states = gateway_states(c, idx)
    return (st is not None and st["applied_index"] >= index and
            set(states) == {a["id"] for a in c.accounts} and
            all(s == "HEALTHY" for s in states.values()))


def ranges(values):
    """Sorted ints as compact text: [3, 4, 5, 9] -> '3-5,9'."""
    out, run_start, prev = [], None, None
    for v in sorted(values):
        if run_start is None:
            run_start = v
        elif v != prev + 1:
            out.append(str(run_start) if run_start == prev
                       else "%d-%d" % (run_start, prev))
            run_start = v
        prev = v
    if run_start is not None:
        out.append(str(run_start) if run_start == prev
                   else "%d-%d" % (run_start, prev))
    return ",".join(out)


def by_term(ticks, vt):
    """{term: [tick, ...] in seq order} of one contract."""
    out = {}
    for _, t in ticks:
        if t["vt_symbol"] == vt:
            out.setdefault(t["term"], []).append(t)
    for lst in out.values():
        lst.sort(key=lambda t: t["seq"])
    return out


def contract_report(label, vt, ticks, old_term, old_end_ns):
    """Measures one contract across one leader change. Raises on what is
    not a gap (sim_seq not growing inside a term, no tick on one side of
    the change); returns a dict: the missing sim_seq, how many arrived
    twice, how long before the old leader's last tick (old_end_ns) the
    oldest of those was first published, where each side ends."""
    terms = by_term(ticks, vt)
    check(old_term in terms, "%s %s: no tick of term %d before the change"
          % (label, vt, old_term))
    newer = sorted(k for k in terms if k > old_term)
    check(newer, "%s %s: no tick of a term after %d" % (label, vt, old_term))
    first_sent = {}  # sim_seq -> hub_ns of its first copy
    dups, oldest_repeat_ms = 0, 0.0
    for term in sorted(terms):
        sims = [t["extra"]["sim_seq"] for t in terms[term]]
        # Strictly growing inside a term: a duplicate can then only be one
        # of a newer term's first ticks (below anything fresh it sent).
        check(all(a < b for a, b in zip(sims, sims[1:])),
              "%s %s: sim_seq not increasing inside term %d: %s"
              % (label, vt, term, sims))
        for t in terms[term]:
            n = t["extra"]["sim_seq"]
            if n in first_sent:
                dups += 1
                oldest_repeat_ms = max(oldest_repeat_ms,
                                       (old_end_ns - first_sent[n]) / 1e6)
            else:
                first_sent[n] = t["hub_ns"]
    seen = set(first_sent)
    first = terms[newer[0]][0]
    return {"vt": vt, "low": min(seen), "high": max(seen),
            "missing": set(range(min(seen), max(seen) + 1)) - seen,
            "dups": dups, "oldest_repeat_ms": oldest_repeat_ms,
            "old_last": terms[old_term][-1]["extra"]["sim_seq"],
            "new_term": newer[0], "new_first": first["extra"]["sim_seq"],
            "new_first_seq": first["seq"]}


def missing_text(r):
    """One contract's missing sim_seq, split by cause. seq numbers the new
    leader's publications, so the new term's ticks before the first one
    received went out before this client's SUB had the new leader's
    stream (a slow joiner); the rest were never published (the hole at
    the hub). A client sees a gap either way; this says which to fix."""
    n = len(r["missing"])
    unseen = min(r["new_first_seq"] - 1, n)
    return ("%s %d [%s] (%d sent as seq 1-%d of term %d before this client's "
            "SUB had the new leader's stream, %d never sent)"
            % (r["vt"], n, ranges(r["missing"]), unseen, r["new_first_seq"] - 1,
               r["new_term"], n - unseen))


def check_following(c, sub, leader, label):
    """Every follower reads the publisher's stream: /api/status
    follow_age_ms is a number, and soon below FOLLOW_RECENT_MS (it counts
    from the connect until a first message, and the publisher sends _hb
    every 100 ms), and what it reads are the publisher's watermarks
    (follow_reads), not every tick. The publisher follows nobody (null)."""
    for i in range(len(c.nodes)):
        if i == leader:
            st = node_status(c, i)
            check(st["follow_age_ms"] is None and st["follow_reads"] is None,
                  "%s: publisher node %d follows a stream (%r, %r)"
                  % (label, i + 1, st["follow_age_ms"], st["follow_reads"]))
            continue

        def receiving(i=i):
            age = node_status(c, i)["follow_age_ms"]
            return isinstance(age, int) and age < FOLLOW_RECENT_MS
        sub.pump_until(receiving, CATCH_UP_TIMEOUT_S,
                       "%s: follower node %d reading the publisher's stream"
                       % (label, i + 1))
        reads = node_status(c, i)["follow_reads"]
        check(reads == "watermarks", "%s: follower node %d reads %r, not the "
              "publisher's watermarks" % (label, i + 1, reads))


def change_leader(c, sub, label, sig):
    """Stops the publishing node with sig, takes ticks until AFTER_S after
    a newer term's first, restarts the node and waits until it caught up.
    Returns (the ticks received from BEFORE_S before the stop, old term)."""
    leader = wait_one_publisher(c)
    start = len(sub.ticks)
    sub.pump(BEFORE_S)
    window = sub.ticks[start:]
    check({t["vt_symbol"] for _, t in window} == set(SYMBOLS),
          "%s: not every contract ticked before the change" % label)
    old_term = max(t["term"] for _, t in window)
    check_following(c, sub, leader, label)
    replayed = {i: node_status(c, i)["takeover_replayed"]
                for i in range(len(c.nodes)) if i != leader}
    c.stop(leader, sig=sig)
    log("%s: stopped node %d (term %d)" % (label, leader + 1, old_term))
    sub.pump_until(lambda: any(t["term"] > old_term for _, t in sub.ticks[start:]),
                   TAKEOVER_TIMEOUT_S, "%s: ticks of a term after %d"
                   % (label, old_term))
    alive = [i for i in range(len(c.nodes)) if i != leader]
    new_leader = wait_one_publisher(c, alive)
    sub.pump(AFTER_S)
    now_replayed = node_status(c, new_leader)["takeover_replayed"]
    check(now_replayed > replayed[new_leader],
          "%s: node %d took over without sending held ticks first "
          "(takeover_replayed %d -> %d)" % (label, new_leader + 1,
                                            replayed[new_leader], now_replayed))
    window = sub.ticks[start:]
    c.start(leader)
    index = commit_index(c, new_leader)
    sub.pump_until(lambda: caught_up(c, leader, index), CATCH_UP_TIMEOUT_S,
                   "%s: node %d back and caught up" % (label, leader + 1))
    log("%s: node %d publishes, node %d caught up" % (label, new_leader + 1,
                                                       leader + 1))
    return window, old_term


def check_change(label, window, old_term):
    """The guarantees of one leader change; returns the gap and duplicate
    problems (raised at the end, so both rounds are measured)."""
    sources = {t["gateway_name"] for _, t in window}
    check(sources == {ACTIVE}, "%s: ticks from %s, expected %s only"
          % (label, sorted(sources), ACTIVE))
    check_contiguous(window)
    check_fenced(window, old_term)
    old_end = max(t["hub_ns"] for _, t in window if t["term"] == old_term)
    new_start = min(t["hub_ns"] for _, t in window if t["term"] > old_term)
    log("%s: %.0f ms between the last tick published in term %d and the "
        "first of the next term" % (label, (new_start - old_end) / 1e6,
                                    old_term))
    reports = [contract_report(label, vt, window, old_term, old_end)
               for vt in SYMBOLS]
    for r in reports:
        log("%s %s: sim_seq %d..%d, %d missing, %d duplicated (the oldest "
            "first sent %.0f ms before the old leader's last tick); term %d "
            "ends at %d, term %d starts at %d (seq %d)"
            % (label, r["vt"], r["low"], r["high"], len(r["missing"]),
               r["dups"], r["oldest_repeat_ms"], old_term, r["old_last"],
               r["new_term"], r["new_first"], r["new_first_seq"]))
    problems = []
    gaps = [missing_text(r) for r in reports if r["missing"]]
    if gaps:
        problems.append("%s, term %d -> %d: sim_seq missing on %d of %d "
                        "contracts: %s" % (label, old_term,
                                           reports[0]["new_term"], len(gaps),
                                           len(reports), "; ".join(gaps)))
    dups = ["%s %d (%.0f ms)" % (r["vt"], r["dups"], r["oldest_repeat_ms"])
            for r in reports if r["oldest_repeat_ms"] > REPEAT_WINDOW_MS]
    if dups:
        problems.append("%s: sim_seq received twice that the old leader had "
                        "published more than %d ms before its last tick: %s"
                        % (label, REPEAT_WINDOW_MS, ", ".join(dups)))
    return problems


def test_no_tick_lost_across_handover_and_crash():
    c = Cluster(3, accounts(), SYMBOLS, name="takeover").start()
    sub = None
    try:
        leader = wait_one_publisher(c)
        sub = Subscriber(c.publish_endpoints())
        wait_settled(sub, {vt: ACTIVE for vt in SYMBOLS},
                     "every contract on %s" % ACTIVE, SETTLE_TIMEOUT_S)
        index = commit_index(c, leader)
        for i in range(len(c.nodes)):
            sub.pump_until(lambda: caught_up(c, i, index),
                           CATCH_UP_TIMEOUT_S, "node %d ready" % (i + 1))
        problems = []
        for label, sig in (("SIGTERM", signal.SIGTERM),
                           ("kill -9", signal.SIGKILL)):
            window, old_term = change_leader(c, sub, label, sig)
            problems += check_change(label, window, old_term)
        check(not problems, "\n".join(problems))
    finally:
        if sub:
            sub.close()
        c.cleanup(keep=bool(os.environ.get("HAMD_KEEP")))


if __name__ == "__main__":
    run([test_no_tick_lost_across_handover_and_crash])
