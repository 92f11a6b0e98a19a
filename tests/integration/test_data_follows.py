"""The data follows the healthy source across the cluster (docs/failover.md,
"The data follows the healthy source").

Every node runs every gateway. When the publishing node's own sources die
while a follower's stay healthy, clients must keep receiving every
contract:

- all of the leader's sources disconnected, and kept so: the contracts are
  relayed from a follower at once, and leadership moves to a follower that
  covers more after [cluster] source_transfer_after_ms; a client applying
  docs/protocol.md's rule (drop what is not newer than the last tick it
  took) receives every sim_seq of every contract exactly once and in order
  through all of it;
- split coverage (two full nodes and a witness): the leader loses only
  its SHFE sources, the follower only its DCE ones; nobody covers more,
  leadership stays, SHFE is relayed from the follower as ACCOUNT@node2,
  exactly once; when the leader's SHFE source recovers, the contracts go
  back to it after revert_after_s, without a gap;
- flapping sources move leadership at most once per cooldown.

Faults are the simulator's `disconnect` on one node's gateways (a host's
line to the broker's front down); hard restarts are pushed out of the
tests' way so a relaunched gateway does not heal the fault.
"""
import json
import time

from hamdtest import (Cluster, Subscriber, api_get, check, gateway_states,
                      log, node_status, run, sim_account, sim_control,
                      wait_for, wait_one_publisher, wait_settled)

RATE_PER_S = 20            # ticks per second of each contract
BEFORE_S = 1.0             # ticks taken before a fault
TRANSFER_AFTER_MS = 1500   # [cluster] source_transfer_after_ms
MOVE_TIMEOUT_S = 20        # fault -> another node publishes
SETTLE_TIMEOUT_S = 30      # initial routing
REVERT_S = 3               # [failover] revert_after_s of the split test
NO_RESTART_INI = ("[failover]\nrestart_after_ms = 600000\nrevert_after_s = %d\n"
                  "quarantine_s = 1\n"
                  "[cluster]\nsource_transfer_after_ms = %d\n"
                  % (REVERT_S, TRANSFER_AFTER_MS))


def client_view(ticks, since=0.0):
    """What a client applying docs/protocol.md's rule takes: per contract,
    only ticks newer than the last taken (datetime, then volume). Returns
    {vt_symbol: [sim_seq...]} of the ticks received since `since`."""
    last, out = {}, {}
    for r, t in ticks:
        key = (t["datetime"], t["volume"])
        vt = t["vt_symbol"]
        if vt in last and key <= last[vt]:
            continue
        last[vt] = key
        if r >= since:
            out.setdefault(vt, []).append(t.get("extra", {}).get("sim_seq"))
    return out


def check_no_hole(view, symbols):
    """Every contract's sim_seq run is contiguous, without repeats."""
    for vt in symbols:
        seqs = view.get(vt, [])
        check(len(seqs) > RATE_PER_S, "%s: only %d ticks" % (vt, len(seqs)))
        check(None not in seqs, "%s: tick without extra.sim_seq" % vt)
        holes = [(a, b) for a, b in zip(seqs, seqs[1:]) if b != a + 1]
        check(not holes, "%s: sim_seq not contiguous at %s" % (vt, holes[:5]))


def disconnect(c, idx, accounts):
    for a in accounts:
        check(sim_control(c, idx, a, "fault disconnect").startswith("ok"),
              "fault disconnect of %s on node %d" % (a, idx + 1))


def reconnect(c, idx, accounts):
    for a in accounts:
        check(sim_control(c, idx, a, "fault none").startswith("ok"),
              "fault none of %s on node %d" % (a, idx + 1))


def events_of(c, idx, event_type):
    evs = api_get(c, idx, "/api/events?limit=500")
    evs = evs.get("events", evs) if isinstance(evs, dict) else evs
    return [e for e in evs if e.get("event_type") == event_type]


def metric(c, idx, name):
    code, body = c.api(idx, "GET", "/metrics")[:2]
    check(code == 200, "/metrics of node %d: %s" % (idx + 1, code))
    text = body if isinstance(body, str) else body.decode() if isinstance(
        body, bytes) else json.dumps(body)
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("no metric %s on node %d" % (name, idx + 1))


def test_leader_without_sources_hands_over():
    symbols = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE", "m2601.DCE"]
    accts = [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=RATE_PER_S),
             sim_account("sim_b", 2, ["SHFE", "DCE"], rate=RATE_PER_S)]
    c = Cluster(3, accts, symbols, extra_ini=NO_RESTART_INI,
                name="follows").with_control()
    sub = None
    try:
        c.start()
        sub = Subscriber([n["publish"] for n in c.nodes])
        wait_settled(sub, {vt: "sim_a" for vt in symbols},
                     "initial routing", SETTLE_TIMEOUT_S)
        leader = wait_one_publisher(c)
        for i in range(3):
            wait_for(lambda i=i: set(gateway_states(c, i).values()) == {"HEALTHY"},
                     20, "every gateway HEALTHY on node %d" % (i + 1))
        sub.pump(BEFORE_S)
        t_fault = time.monotonic()
        log("disconnecting every source of the leader, node %d" % (leader + 1))
        disconnect(c, leader, ["sim_a", "sim_b"])

        def moved():
            sub.pump(0.1)
            p = wait_one_publisher(c, timeout=2)
            return (p,) if p != leader else None
        new = wait_for(moved, MOVE_TIMEOUT_S, "another node publishing")[0]
        log("node %d publishes now" % (new + 1))
        wait_settled(sub, {vt: "sim_a" for vt in symbols},
                     "contracts back on a local sim_a", SETTLE_TIMEOUT_S)
        sub.pump(2.0)
        check_no_hole(client_view(sub.ticks, t_fault - BEFORE_S), symbols)
        moves = events_of(c, new, "leadership_moved")
        check(len(moves) == 1, "leadership_moved events: %r" % moves)
        m = moves[0]
        check(m["from_node"] == leader + 1 and m["to_node"] == new + 1 and
              m["reason"] == "more_contracts", "leadership_moved %r" % m)
        check(m["metadata"]["leader"]["covered"] == 0 and
              m["metadata"]["follower"]["covered"] == len(symbols),
              "coverages in %r" % m)
        check(metric(c, leader, "hamd_source_transfers_total") == 1,
              "the old leader counts its source-driven transfer")
        # The relay served the contracts while leadership moved.
        relayed = [t for _, t in sub.ticks if "@node" in t["gateway_name"]]
        log("%d relayed ticks before the handover" % len(relayed))
        st = node_status(c, new)
        check(st["coverage"]["covered"] == len(symbols) and
              st["coverage"]["subscribed"] == len(symbols),
              "the new leader's coverage %r" % st["coverage"])
        old = node_status(c, leader)
        check(old["coverage"]["covered"] == 0, "old leader %r" % old["coverage"])
    finally:
        if sub:
            sub.close()
        c.stop()
        c.cleanup()


def split_cluster():
    symbols = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE", "m2601.DCE"]
    accts = [sim_account("sim_shfe", 1, ["SHFE"], rate=RATE_PER_S),
             sim_account("sim_dce", 1, ["DCE"], rate=RATE_PER_S)]
    c = Cluster(3, accts, symbols, extra_ini=NO_RESTART_INI, name="split")
    c.nodes[2]["role"] = "witness"
    c.with_control()
    return c, symbols


def test_split_coverage_relays_and_returns():
    c, symbols = split_cluster()
    sub = None
    try:
        c.start()
        sub = Subscriber([n["publish"] for n in c.nodes[:2]])
        home = {vt: "sim_shfe" if vt.endswith("SHFE") else "sim_dce"
                for vt in symbols}
        wait_settled(sub, home, "initial routing", SETTLE_TIMEOUT_S)
        leader = wait_one_publisher(c, among=[0, 1])
        other = 1 - leader
        for i in (0, 1):
            wait_for(lambda i=i: set(gateway_states(c, i).values()) == {"HEALTHY"},
                     20, "every gateway HEALTHY on node %d" % (i + 1))
        sub.pump(BEFORE_S)
        t_fault = time.monotonic()
        log("node %d loses SHFE, node %d loses DCE" % (leader + 1, other + 1))
        disconnect(c, leader, ["sim_shfe"])
        disconnect(c, other, ["sim_dce"])
        relayed = "sim_shfe@node%d" % (other + 1)
        want = dict(home)
        want.update({vt: relayed for vt in symbols if vt.endswith("SHFE")})
        wait_settled(sub, want, "SHFE relayed from node %d" % (other + 1),
                     SETTLE_TIMEOUT_S)
        sub.pump(2.0)
        check(wait_one_publisher(c, among=[0, 1]) == leader,
              "leadership stayed: nobody covers more")
        st = node_status(c, leader)
        check(st["coverage"]["relayed"] == 2, "relayed %r" % st["coverage"])
        check(node_status(c, other)["coverage"]["relayed"] == 2,
              "the follower relays two contracts")
        check(not events_of(c, leader, "leadership_moved"), "no transfer")
        log("SHFE recovers on node %d" % (leader + 1))
        t_back = time.monotonic()
        reconnect(c, leader, ["sim_shfe"])
        wait_settled(sub, home, "SHFE back on the leader's own source",
                     REVERT_S + SETTLE_TIMEOUT_S)
        check(time.monotonic() - t_back >= REVERT_S,
              "failback waited for revert_after_s")
        sub.pump(1.0)
        check_no_hole(client_view(sub.ticks, t_fault - BEFORE_S), symbols)
        check(wait_one_publisher(c, among=[0, 1]) == leader, "still the leader")
    finally:
        if sub:
            sub.close()
        c.stop()
        c.cleanup()


def test_flapping_moves_once_per_cooldown():
    symbols = ["rb2601.SHFE", "i2601.DCE"]
    accts = [sim_account("sim_a", 1, ["SHFE", "DCE"], rate=RATE_PER_S)]
    c = Cluster(3, accts, symbols, extra_ini=NO_RESTART_INI,
                name="flap").with_control()
    try:
        c.start()
        leader = wait_one_publisher(c)
        for i in range(3):
            wait_for(lambda i=i: set(gateway_states(c, i).values()) == {"HEALTHY"},
                     20, "every gateway HEALTHY on node %d" % (i + 1))
        first = leader
        # Each publisher in turn loses its source for 2.5 s, then gets it
        # back: only the first loss may move leadership (cooldown 60 s).
        for _ in range(3):
            p = wait_one_publisher(c)
            disconnect(c, p, ["sim_a"])
            time.sleep(2.5)
            reconnect(c, p, ["sim_a"])
            wait_for(lambda p=p: gateway_states(c, p).get("sim_a") == "HEALTHY",
                     20, "sim_a HEALTHY again on node %d" % (p + 1))
        final = wait_one_publisher(c)
        moves = events_of(c, final, "leadership_moved")
        check(len(moves) == 1, "one transfer per cooldown, got %d: %r"
              % (len(moves), moves))
        check(moves[0]["from_node"] == first + 1, "the first loss moved it")
        logs = "".join(c.log_text(i) for i in range(3))
        check("stays: cooldown" in logs, "later losses held by the cooldown")
    finally:
        c.stop()
        c.cleanup()


if __name__ == "__main__":
    run([test_leader_without_sources_hands_over,
         test_split_coverage_relays_and_returns,
         test_flapping_moves_once_per_cooldown])
