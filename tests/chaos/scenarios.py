"""The chaos scenarios and the driver that runs and measures one of them.

Each scenario starts a fresh cluster in the shared lab, gets a client
receiving through the VIP and a writer creating accounts, injects its
fault(s), lets the cluster recover, then checks:

- the cluster converges: exactly one node publishes, all name it leader,
  the VIP is on that host only, `hactl is-leader` agrees on every host;
- the client receives again through the VIP;
- no acknowledged account write is lost, on any node;
- no tick of an older term reaches the client after a newer term's
  (overlap 0): the deposed leader never publishes once the new term began;
- scenario-specific promises (the leader changes or stays, no tick lost
  across a source switch, none lost across a leader change either: the new
  leader sends the ticks the old one missed).

and measures, per fault, client_gap: the longest silence at the client
from 1 s before the fault to the end of the recovery, and lost_ticks /
dup_ticks: the simulator's sim_seq missing or received twice over the
same window.

The keepalived_* scenarios repeat a fault with the VIP moved by one
keepalived per host (deploy/keepalived/keepalived.conf, keepalivedlab.py)
instead of the hooks; the same checks hold, so they prove that the VIP
follows the publishing node, on exactly one host.

The front_* scenarios run the accounts on simulated exchange fronts in
their own host (labcluster.Fronts) and cut one host's line to a front.

The stall_followers and split_all scenarios take the leader's quorum
while it stays up (both followers' hamd frozen; every node cut off every
other) for longer than the election timeout and well under
replay_window_ms: the leader's lease lapses, it holds its ticks, and
whoever wins next sends them. In split_all the old leader's lines come
back first, so it often wins again itself in a higher term (2 - 6 rounds
in 10; the notes say who won, and the terms): the case where a
re-elected leader lost what it held, unseen (docs/architecture.md, "A
lapse is not a loss").

The library_* scenarios repeat a fault with the client receiving through
the hamd package (hamd.Client, docs/client.md) instead of a plain SUB, as
the only client (a faster client changes when a new leader re-sends, see
docs/client.md): the same checks hold, and across the leader change not
only no tick is lost but none comes twice or out of order, over the
client's whole run.
"""
import collections
import os
import signal
import time

import analysis
import keepalivedlab
from labcluster import (FRONT_ACCOUNTS, RAFT_PORT, Client, Cluster, Failure,
                        Writer, check, log, log_tail, wait_for)

NS_PER_S = 1000000000
GAP_LEAD_S = 1.0            # the gap window opens this long before a fault
STOP_S = 5.0                # SIGSTOP duration
PARTITION_S = 3.0           # how long a partition lasts
STALL_S = 1.2               # a quorum lost while the leader stays up:
#                             longer than election_timeout_ms (200), well
#                             under [failover] replay_window_ms (3000)
HEAL_STAGGER_S = 0.5        # split_all: the followers' line comes back
#                             this long after the leader's
TAKEOVER_TIMEOUT_S = 10.0   # a new leader must publish within this
FRONT_CUT_S = 3.0           # how long a host stays cut off its fronts
FRONT_REACT_TIMEOUT_S = 10.0  # gateways see a cut / its end within this
WARM_TICKS = 20             # ticks the client must have before a fault
AFTER_TICKS = 20            # ticks the client must get after recovery
WRITES_BEFORE = 5           # synchronous writes before the fault
STABLE_S = 2.0              # converged this long before the first fault

Outcome = collections.namedtuple(
    "Outcome", "name gaps_ms overlap_ticks overlap_ms lost_writes failures notes "
    "lost_ticks dup_ticks")


class Ctx:
    """What a scenario function works with, and what it reports back."""

    def __init__(self, cluster, client):
        self.cluster = cluster
        self.client = client
        self.faults = []      # (t_fault_ns, t_recovered_ns, label)
        self.notes = []       # measured facts worth printing
        self.soft = []        # failed checks that did not stop the scenario
        self.no_loss = False  # the scenario promises no tick lost or repeated
        self.no_tick_lost = False  # a leader change: none lost, a tick in
        #                            flight may come twice (docs/protocol.md)
        self.library = False  # the client is hamd.Client: never twice either
        self.t_fault = 0      # monotonic ns of the current fault

    @property
    def nodes(self):
        return self.cluster.nodes

    def leader(self, nodes=None, timeout=20.0):
        return self.cluster.wait_converged(nodes, timeout)

    def fault_done(self, t_fault_ns, label):
        """Records a fault once the whole cluster converged again and the
        client receives again, with a term at least the leader's."""
        leader = self.leader()
        term = self.cluster.term(leader) or 0
        now = time.monotonic_ns()
        self.client.wait_ticks(AFTER_TICKS, after_ns=now, min_term=term)
        self.faults.append((t_fault_ns, time.monotonic_ns(), label))
        return leader, term

    def expect(self, cond, msg):
        if not cond and msg not in self.soft:
            self.soft.append(msg)


def wait_takeover(ctx, old, survivors):
    """Waits until one of survivors publishes (the old leader is gone,
    frozen or cut off); returns it."""
    def one():
        pubs = ctx.cluster.publishers(survivors)
        return pubs[0] if len(pubs) == 1 else None
    new = wait_for(one, TAKEOVER_TIMEOUT_S,
                   "a survivor of node %d to publish" % old.id, step=0.05)
    ctx.notes.append("takeover by node %d %.0f ms after the fault"
                     % (new.id, (time.monotonic_ns() - ctx.t_fault) / 1e6))
    return new


def begin(ctx, label):
    ctx.t_fault = time.monotonic_ns()
    log("  fault: %s" % label)
    return ctx.t_fault


# --------------------------------------------------------------------------
# Scenarios: each gets a converged cluster and its leader.
# --------------------------------------------------------------------------

def kill9_leader(ctx, leader):
    ctx.no_tick_lost = True
    term0 = ctx.cluster.term(leader)
    t = begin(ctx, "kill -9 node %d (leader), systemd restarts it after 1 s" % leader.id)
    said = leader.crash_and_restart()
    # ExecStopPost's vip-down kept the VIP until the successor had it;
    # keepalived-track kept keepalived's claim until another node published.
    hook, seen = (("keepalived-track", "another node publishes after")
                  if ctx.cluster.keepalived else ("vip-down", "another host answers"))
    handed = [l for l in said.splitlines() if seen in l]
    ctx.expect(bool(handed), "%s after the crash did not see the new leader: %r"
               % (hook, said.strip()))
    ctx.notes.append(hook + ": " + handed[0].split(": ")[-1] if handed else said.strip())
    new, term = ctx.fault_done(t, "kill -9 leader")
    ctx.expect(new is not leader, "node %d still leads after kill -9" % leader.id)
    ctx.expect(term > term0, "term did not grow (%s -> %s)" % (term0, term))


def sigstop_leader(ctx, leader):
    ctx.no_tick_lost = True
    term0 = ctx.cluster.term(leader)
    t = begin(ctx, "SIGSTOP node %d (leader) for %.0f s" % (leader.id, STOP_S))
    leader.signal(signal.SIGSTOP)
    try:
        wait_takeover(ctx, leader, [n for n in ctx.nodes if n is not leader])
        time.sleep(max(0.0, STOP_S - (time.monotonic_ns() - t) / NS_PER_S))
    finally:
        leader.signal(signal.SIGCONT)
    new, term = ctx.fault_done(t, "SIGSTOP leader")
    ctx.expect(new is not leader, "the frozen node %d leads again" % leader.id)
    ctx.expect(term > term0, "term did not grow (%s -> %s)" % (term0, term))


def partition_leader(ctx, leader):
    ctx.no_tick_lost = True
    others = [n for n in ctx.nodes if n is not leader]
    term0 = ctx.cluster.term(leader)
    t = begin(ctx, "cut node %d (leader) off raft for %.0f s" % (leader.id, PARTITION_S))
    ctx.cluster.lab.block(leader.host, [n.host for n in others], RAFT_PORT)
    try:
        wait_takeover(ctx, leader, others)
        ctx.cluster.wait_converged(others, TAKEOVER_TIMEOUT_S)
        time.sleep(max(0.0, PARTITION_S - (time.monotonic_ns() - t) / NS_PER_S))
    finally:
        ctx.cluster.lab.unblock(leader.host)
    new, term = ctx.fault_done(t, "partition leader")
    ctx.expect(new is not leader, "the cut-off node %d leads again" % leader.id)
    ctx.expect(term > term0, "term did not grow (%s -> %s)" % (term0, term))


def partition_follower(ctx, leader):
    follower = next(n for n in ctx.nodes if n is not leader)
    others = [n for n in ctx.nodes if n is not follower]
    term0 = ctx.cluster.term(leader)
    t = begin(ctx, "cut node %d (follower) off raft for %.0f s" % (follower.id, PARTITION_S))
    ctx.cluster.lab.block(follower.host, [n.host for n in others], RAFT_PORT)
    try:
        time.sleep(PARTITION_S)
        ctx.expect(ctx.cluster.publishers(others) == [leader],
                   "node %d stopped publishing while a follower was cut off"
                   % leader.id)
    finally:
        ctx.cluster.lab.unblock(follower.host)
    new, term = ctx.fault_done(t, "partition follower")
    ctx.expect(new is leader, "leadership moved to node %d after a follower"
               " partition (pre-vote should prevent it)" % new.id)
    ctx.expect(term == term0, "term changed %s -> %s" % (term0, term))
    ctx.no_loss = True


def gateway_crash(ctx, leader):
    term0 = ctx.cluster.term(leader)
    st = ctx.cluster.status(leader)
    active = [g for g in st.get("gateways", []) if g.get("active_contracts")]
    check(len(active) == 1, "one active gateway on the leader: %r" % active)
    acct, pid = active[0]["account"], active[0]["pid"]
    check(pid in ctx.cluster.lab.pids(leader.host),
          "gateway pid %s is not inside node %d's host" % (pid, leader.id))
    t = begin(ctx, "kill -9 gateway %s (pid %d) on node %d (leader)" % (acct, pid, leader.id))
    os.kill(pid, signal.SIGKILL)

    def switched():
        gws = [k.gw for k in ctx.client.ticks() if k.t > t]
        return gws and gws[-1] != acct
    wait_for(switched, TAKEOVER_TIMEOUT_S, "ticks from a source other than %s" % acct)
    new, term = ctx.fault_done(t, "gateway crash")
    ctx.expect(new is leader, "leadership moved to node %d" % new.id)
    ctx.expect(term == term0, "term changed %s -> %s" % (term0, term))
    ctx.no_loss = True


def cluster_restart(ctx, leader):
    t = begin(ctx, "stop every node (SIGTERM), start them again")
    codes = ctx.cluster.stop()
    ctx.expect(all(c == 0 for c in codes.values()), "exit statuses %r" % codes)
    for n in ctx.nodes:
        n.exec_stop_post()
    ctx.cluster.start()
    ctx.fault_done(t, "cluster restart")


def sigterm_handover(ctx, leader):
    ctx.no_tick_lost = True
    term0 = ctx.cluster.term(leader)
    t = begin(ctx, "SIGTERM node %d (leader): hand over, stop, start again" % leader.id)
    code = leader.stop()
    ctx.notes.append("leader stopped in %.0f ms with status %s"
                     % ((time.monotonic_ns() - t) / 1e6, code))
    ctx.expect(code == 0, "SIGTERM exit status %s" % code)
    leader.exec_stop_post()
    leader.start()
    new, term = ctx.fault_done(t, "SIGTERM handover")
    ctx.expect(new is not leader, "node %d leads again" % leader.id)
    ctx.expect(term > term0, "term did not grow (%s -> %s)" % (term0, term))


def witness_kill_hosts(ctx, leader):
    """Powers off the leader's host, twice: leadership moves to the other
    full host in between, so each full host dies once while it leads."""
    ctx.no_tick_lost = True
    killed = []
    for _ in range(2):
        lead = ctx.leader()
        ctx.expect(not lead.witness, "the witness publishes")
        t = begin(ctx, "power off host %d (leader)" % lead.id)
        lead.power_off()
        killed.append(lead.id)
        survivors = [n for n in ctx.nodes if n is not lead]
        wait_takeover(ctx, lead, survivors)
        now_lead = ctx.cluster.wait_converged(survivors, TAKEOVER_TIMEOUT_S)
        ctx.expect(not now_lead.witness, "the witness publishes")
        term = ctx.cluster.term(now_lead) or 0
        ctx.client.wait_ticks(AFTER_TICKS, after_ns=time.monotonic_ns(), min_term=term)
        ctx.faults.append((t, time.monotonic_ns(), "host %d off" % lead.id))
        lead.power_on()
    ctx.expect(sorted(killed) == sorted(n.id for n in ctx.nodes if not n.witness),
               "powered off hosts %s, not each full host once" % killed)
    ctx.leader()


def _wait_gateways(ctx, node, want, what):
    """Waits until node's gateways are in the states of want {account:
    state}, checking meanwhile that the other nodes' stay HEALTHY."""
    others = [n for n in ctx.nodes if n is not node and not n.witness]

    def reached():
        for n in others:
            states = ctx.cluster.gateway_states(n)
            bad = sorted(a for a in want if states.get(a) != "HEALTHY")
            ctx.expect(not bad, "node %d: %s not HEALTHY while node %d was cut"
                       " off a front" % (n.id, ", ".join(bad), node.id))
        states = ctx.cluster.gateway_states(node)
        return all(states.get(a) == s for a, s in want.items())
    wait_for(reached, FRONT_REACT_TIMEOUT_S, "node %d's gateways %s (%s)"
             % (node.id, want, what), step=0.1)


def front_cut_follower(ctx, leader):
    """Cuts a follower's host off the SHFE front, then off the DCE front
    too: its gateways go DISCONNECTED one exchange at a time, every other
    node's stay HEALTHY, the leader keeps publishing everything."""
    ctx.no_loss = True
    follower = next(n for n in ctx.nodes if n is not leader and not n.witness)
    shfe, dce = FRONT_ACCOUNTS["SHFE"], FRONT_ACCOUNTS["DCE"]
    term0 = ctx.cluster.term(leader)
    t = begin(ctx, "cut node %d (follower) off the SHFE front, then the DCE front"
              % follower.id)
    ctx.cluster.cut_front(follower, "SHFE")
    try:
        _wait_gateways(ctx, follower, {shfe: "DISCONNECTED", dce: "HEALTHY"},
                       "cut off SHFE only")
        ctx.notes.append("SHFE cut seen %.0f ms after the cut"
                         % ((time.monotonic_ns() - t) / 1e6))
        ctx.cluster.cut_front(follower, "DCE")
        _wait_gateways(ctx, follower, {shfe: "DISCONNECTED", dce: "DISCONNECTED"},
                       "cut off both fronts")
        time.sleep(max(0.0, FRONT_CUT_S - (time.monotonic_ns() - t) / NS_PER_S))
    finally:
        ctx.cluster.restore_front(follower)
    t_restore = time.monotonic_ns()
    _wait_gateways(ctx, follower, {shfe: "HEALTHY", dce: "HEALTHY"}, "line restored")
    ctx.notes.append("gateways HEALTHY %.0f ms after the line came back"
                     % ((time.monotonic_ns() - t_restore) / 1e6))
    new, term = ctx.fault_done(t, "front cut follower")
    ctx.expect(new is leader, "leadership moved to node %d" % new.id)
    ctx.expect(term == term0, "term changed %s -> %s" % (term0, term))


def _cut_all(ctx, nodes, what):
    """Cuts nodes off every front and waits until their gateways say so."""
    both = {a: "DISCONNECTED" for a in FRONT_ACCOUNTS.values()}
    for n in nodes:
        ctx.cluster.cut_front(n)
    for n in nodes:
        _wait_gateways_of(ctx, n, both, what)


def _wait_gateways_of(ctx, node, want, what):
    """Waits until node's gateways are in the states of want."""
    wait_for(lambda: all(ctx.cluster.gateway_states(node).get(a) == s
                         for a, s in want.items()),
             FRONT_REACT_TIMEOUT_S, "node %d's gateways %s (%s)"
             % (node.id, want, what), step=0.1)


def _restore(ctx, nodes):
    healthy = {a: "HEALTHY" for a in FRONT_ACCOUNTS.values()}
    for n in nodes:
        ctx.cluster.restore_front(n)
    for n in nodes:
        _wait_gateways_of(ctx, n, healthy, "line restored")


def front_cut_leader(ctx, leader):
    """Cuts the leader's host off every front (its line to the broker is
    down): a follower relays the contracts at once, then gets leadership
    after source_transfer_after_ms (docs/failover.md §4); no tick is lost,
    the client only sees the handover."""
    ctx.no_tick_lost = True
    term0 = ctx.cluster.term(leader)
    followers = [n for n in ctx.nodes if n is not leader and not n.witness]
    t = begin(ctx, "cut node %d (leader) off every front" % leader.id)
    try:
        _cut_all(ctx, [leader], "the leader cut off")
        new = wait_takeover(ctx, leader, followers)
        ctx.notes.append("leadership at node %d %.0f ms after the cut"
                         % (new.id, (time.monotonic_ns() - t) / 1e6))
        ctx.client.wait_ticks(AFTER_TICKS, after_ns=time.monotonic_ns())
    finally:
        _restore(ctx, [leader])
    new, term = ctx.fault_done(t, "front cut leader")
    ctx.expect(new is not leader, "node %d, cut off its sources, still leads"
               % leader.id)
    ctx.expect(term > term0, "term did not grow (%s -> %s)" % (term0, term))


def front_cut_followers(ctx, leader):
    """Cuts both followers' hosts off every front: the leader covers more
    than either, so nothing moves; nothing lost, nothing repeated."""
    ctx.no_loss = True
    term0 = ctx.cluster.term(leader)
    followers = [n for n in ctx.nodes if n is not leader and not n.witness]
    t = begin(ctx, "cut nodes %s (followers) off every front"
              % ", ".join(str(n.id) for n in followers))
    try:
        _cut_all(ctx, followers, "the followers cut off")
        time.sleep(FRONT_CUT_S)
    finally:
        _restore(ctx, followers)
    new, term = ctx.fault_done(t, "front cut followers")
    ctx.expect(new is leader, "leadership moved to node %d" % new.id)
    ctx.expect(term == term0, "term changed %s -> %s" % (term0, term))


def front_split(ctx, leader):
    """The leader loses DCE, one follower SHFE, the other both: nobody
    covers more than the leader (two SHFE contracts against one DCE), which
    stays and publishes DCE relayed from the first follower
    (sim_dce@nodeN); nothing lost or repeated."""
    ctx.no_loss = True
    term0 = ctx.cluster.term(leader)
    f1, f2 = [n for n in ctx.nodes if n is not leader and not n.witness]
    dce = FRONT_ACCOUNTS["DCE"]
    relayed = "%s@node%d" % (dce, f1.id)
    t = begin(ctx, "cut node %d (leader) off DCE, node %d off SHFE, node %d "
              "off both" % (leader.id, f1.id, f2.id))
    try:
        ctx.cluster.cut_front(f2)
        ctx.cluster.cut_front(f1, "SHFE")
        ctx.cluster.cut_front(leader, "DCE")
        wait_for(lambda: relayed in ctx.client.sources_since(t).get(
                     "i2601.DCE", set()),
                 FRONT_REACT_TIMEOUT_S, "DCE relayed as %s" % relayed, step=0.1)
        ctx.notes.append("DCE relayed from node %d %.0f ms after the cut"
                         % (f1.id, (time.monotonic_ns() - t) / 1e6))
        time.sleep(FRONT_CUT_S)
    finally:
        for n in (leader, f1, f2):
            ctx.cluster.restore_front(n)
    new, term = ctx.fault_done(t, "front split")
    ctx.expect(new is leader, "leadership moved to node %d" % new.id)
    ctx.expect(term == term0, "term changed %s -> %s" % (term0, term))


def _quorum_regained(ctx, leader, term0, t, label):
    """After the leader lost its quorum and got it back: records the fault
    once converged, and says who won and in which term (the same node
    again, with a higher term, is the case this guards: its held ticks
    must go out under the new term, core/gate.h rules 1 and 3)."""
    new, term = ctx.fault_done(t, label)
    again = "the same node again" if new is leader else "another node"
    ctx.notes.append("%s: node %d led in term %s, node %d leads in term %s (%s)"
                     % (label, leader.id, term0, new.id, term, again))
    ctx.expect(term is not None and term0 is not None and term >= term0,
               "term went back (%s -> %s)" % (term0, term))


def stall_followers(ctx, leader):
    """Freezes both followers' hamd (SIGSTOP; their gateways keep running)
    for STALL_S, longer than the election timeout and well under
    replay_window_ms, then thaws them: the leader, up all along, loses its
    quorum and its lease and holds its ticks. The followers thaw with
    their election timers long run out, so one of them usually stands
    first and wins; whoever wins sends what the leader held: none lost."""
    ctx.no_tick_lost = True
    followers = [n for n in ctx.nodes if n is not leader]
    term0 = ctx.cluster.term(leader)
    t = begin(ctx, "SIGSTOP nodes %s (followers' hamd) for %.1f s"
              % (", ".join(str(n.id) for n in followers), STALL_S))
    try:
        for n in followers:
            n.signal(signal.SIGSTOP)
        time.sleep(STALL_S)
    finally:
        for n in followers:
            n.signal(signal.SIGCONT)
    _quorum_regained(ctx, leader, term0, t, "followers stalled")


def _split(ctx, leader):
    """Cuts every node off every other (all packets dropped, both ways;
    the client still reaches each), the leader's lines in its own host.
    Returns the cut pairs (a, b), cut in a's host."""
    f1, f2 = [n for n in ctx.nodes if n is not leader]
    pairs = [(leader, f1), (leader, f2), (f1, f2)]
    for a, b in pairs:
        ctx.cluster.lab.cut(a.host, b.host)
    return pairs


def split_all(ctx, leader):
    """Cuts every node off every other for STALL_S (longer than the
    election timeout, well under replay_window_ms): no node has a quorum,
    the leader holds its ticks. Then the leader's lines come back, and the
    followers' line HEAL_STAGGER_S later. The leader's cuts were in its own
    host, so its sends failed at once and it reconnects at once, while the
    followers' connections wait out TCP's backoff: the old leader is often
    elected again, in a higher term (2 - 6 rounds in 10), else a follower.
    Whoever wins must send what the leader held: none lost."""
    ctx.no_tick_lost = True
    term0 = ctx.cluster.term(leader)
    t = begin(ctx, "cut nodes 1, 2, 3 off each other for %.1f s" % STALL_S)
    pairs = []
    try:
        pairs = _split(ctx, leader)
        time.sleep(STALL_S)
        ctx.cluster.lab.unblock(leader.host)
        pairs = [p for p in pairs if p[0] is not leader]
        time.sleep(HEAL_STAGGER_S)
    finally:
        for a, b in pairs:
            ctx.cluster.lab.unblock(a.host, b.host)
    _quorum_regained(ctx, leader, term0, t, "all split")


# fn: the fault; witness: two voters and a witness instead of three
# voters; keepalived: keepalived moves the VIP instead of the hooks;
# fronts: the accounts take their ticks from fronts (labcluster.Fronts);
# library: the client is hamd.Client instead of a plain SUB.
Scenario = collections.namedtuple("Scenario", "fn witness keepalived fronts library",
                                  defaults=(False, False, False, False))

SCENARIOS = collections.OrderedDict([
    ("kill9_leader", Scenario(kill9_leader)),
    ("sigstop_leader", Scenario(sigstop_leader)),
    ("partition_leader", Scenario(partition_leader)),
    ("partition_follower", Scenario(partition_follower)),
    ("gateway_crash", Scenario(gateway_crash)),
    ("cluster_restart", Scenario(cluster_restart)),
    ("sigterm_handover", Scenario(sigterm_handover)),
    ("witness_kill_hosts", Scenario(witness_kill_hosts, witness=True)),
    # the same faults with deploy/keepalived/keepalived.conf moving the VIP
    ("keepalived_kill9", Scenario(kill9_leader, keepalived=True)),
    ("keepalived_handover", Scenario(sigterm_handover, keepalived=True)),
    ("keepalived_sigstop", Scenario(sigstop_leader, keepalived=True)),
    ("keepalived_partition", Scenario(partition_leader, keepalived=True)),
    # accounts on exchange fronts, one host's line to them cut
    ("front_cut_follower", Scenario(front_cut_follower, fronts=True)),
    ("front_cut_leader", Scenario(front_cut_leader, fronts=True)),
    ("front_cut_followers", Scenario(front_cut_followers, fronts=True)),
    ("front_split", Scenario(front_split, fronts=True)),
    # the client on the VIP is the hamd package's (docs/client.md)
    ("library_kill9", Scenario(kill9_leader, library=True)),
    ("library_sigstop", Scenario(sigstop_leader, library=True)),
    ("library_handover", Scenario(sigterm_handover, library=True)),
    ("library_gateway_crash", Scenario(gateway_crash, library=True)),
    # the leader loses its quorum while up, and may win again itself
    ("stall_followers", Scenario(stall_followers)),
    ("split_all", Scenario(split_all)),
    ("library_stall_followers", Scenario(stall_followers, library=True)),
    ("library_split_all", Scenario(split_all, library=True)),
])


def unavailable(name):
    """Why scenario `name` cannot run on this machine, or None."""
    if SCENARIOS[name].keepalived and not keepalivedlab.binary():
        return keepalivedlab.INSTALL_HINT
    return None


# --------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------

def _measure(ctx, ticks, t_end):
    gaps = []
    bounds = [f[0] for f in ctx.faults[1:]] + [t_end]
    for (t_fault, _, label), t_next in zip(ctx.faults, bounds):
        gap, at = analysis.longest_gap(ticks, t_fault - int(GAP_LEAD_S * NS_PER_S),
                                       t_next)
        gaps.append(gap)
        ctx.notes.append("%s: client_gap %.0f ms, starting %.0f ms after the fault"
                         % (label, gap, (at - t_fault) / 1e6))
    return gaps


def _promises(ctx, ticks, violations, holes, t_start, t_end):
    """Checks the round's promises; holes: analysis.sim_holes over
    [t_start, t_end]."""
    count, span = analysis.overlap(ticks)
    ctx.expect(count == 0, "%d ticks of an older term after a newer one (%.0f ms)"
               % (count, span))
    ctx.expect(not violations, "the client saw %d fencing violations" % len(violations))
    holes = sorted(holes.items())
    if ctx.no_loss:
        gaps = analysis.seq_gaps(ticks, t_start, t_end)
        ctx.expect(not gaps, "seq jumps inside a term: %s" % gaps[:5])
        for vt, (missing, dup) in holes:
            ctx.expect(missing == 0 and dup == 0,
                       "%s: %d ticks lost, %d repeated across the fault" % (vt, missing, dup))
    elif ctx.no_tick_lost:
        for vt, (missing, _) in holes:
            ctx.expect(missing == 0, "%s: %d ticks lost across the leader change"
                       % (vt, missing))
    if ctx.library:
        _library_promises(ctx, analysis.delivery_faults(ticks))
    return count, span


def _library_promises(ctx, faults):
    """hamd.Client (docs/client.md): each contract's sim_seq exactly once and
    in order over the client's whole run; none missing where the scenario
    promises no tick is lost. faults: analysis.delivery_faults."""
    for vt, (missing, repeated, backward) in sorted(faults.items()):
        ctx.expect(repeated == 0 and backward == 0,
                   "%s: hamd.Client delivered %d twice, %d backward"
                   % (vt, repeated, backward))
        if ctx.no_loss or ctx.no_tick_lost:
            ctx.expect(missing == 0, "%s: hamd.Client missed %d" % (vt, missing))
    ctx.notes.append("hamd.Client over its whole run: %d missing, %d repeated, "
                     "%d backward" % tuple(sum(f[i] for f in faults.values())
                                           for i in range(3)))


def run_scenario(lab, name, round_no, keep=False):
    """Runs scenario `name` once; returns its Outcome (never raises for a
    failed check: failures are in the Outcome)."""
    sc = SCENARIOS[name]
    tag = "%s-r%d" % (name, round_no)
    cluster = Cluster(lab, tag, witness=sc.witness, keepalived=sc.keepalived,
                      fronts=sc.fronts)
    client = Client(lab, os.path.join(cluster.dir, "client.rec"), library=sc.library)
    ctx = Ctx(cluster, client)
    ctx.library = sc.library
    writer = None
    failures, lost, acked, gaps, overlap = [], {}, [], [], (0, 0.0)
    holes = {}
    try:
        cluster.start()
        ctx.leader(timeout=30)
        client.start()
        leader = cluster.wait_stable(STABLE_S)
        client.wait_ticks(WARM_TICKS)
        prefix = "c%d%s" % (round_no, "".join(w[0] for w in name.split("_")))
        for k in range(WRITES_BEFORE):
            aid = "%sb%d" % (prefix, k)
            check(cluster.write_account(leader, aid), "write %s before the fault" % aid)
            acked.append(aid)
        writer = Writer(cluster, prefix + "w")
        writer.start()
        t_start = time.monotonic_ns()
        sc.fn(ctx, leader)
        acked += writer.stop()
        ctx.notes.append("writes: %d acknowledged, %d refused or timed out"
                         % (len(acked), writer.failed))
        writer = None
        leader = ctx.leader()
        failures += cluster.check_is_leader(leader)
        lost = cluster.missing_writes(acked)
        if lost:
            failures.append("acknowledged writes lost: %s" % lost)
        t_end = time.monotonic_ns()
        ticks, _, _, violations = client.records()
        gaps = _measure(ctx, ticks, t_end)
        # From a little before the fault: the last tick before it must be
        # in the window, or a hole right at the fault would not show.
        t_from = t_start - int(GAP_LEAD_S * NS_PER_S)
        holes = analysis.sim_holes(ticks, t_from, t_end)
        overlap = _promises(ctx, ticks, violations, holes, t_from, t_end)
    except Failure as e:
        failures.append(str(e))
    except Exception as e:  # noqa: BLE001 - a broken scenario is a failure too
        failures.append("%s: %s" % (type(e).__name__, e))
    finally:
        if writer:
            acked += writer.stop()
        client.stop()
        failures += ctx.soft
        if failures:
            for n in cluster.nodes:
                log("---- node %d log (last lines) ----\n%s" % (n.id, n.log_tail()))
                if n.keepalived:
                    log("---- node %d keepalived log (last lines) ----\n%s"
                        % (n.id, log_tail(n.keepalived.logfile)))
        cluster.teardown(keep=keep or bool(failures))
    lost_ids = set().union(*lost.values()) if lost else set()
    return Outcome(name, gaps, overlap[0], overlap[1], len(lost_ids), failures,
                   ctx.notes, sum(m for m, _ in holes.values()),
                   sum(d for _, d in holes.values()))


def result_line(name, outcomes):
    """The RESULT line of one scenario over its rounds. lost_ticks and
    dup_ticks: the simulator's sim_seq missing or received twice, from the
    fault to the end of the round, summed over contracts and rounds."""
    gaps = [g for o in outcomes for g in o.gaps_ms]
    return ("RESULT scenario=%s rounds=%d client_gap_p50_ms=%.0f client_gap_max_ms=%.0f "
            "overlap_ms=%.0f lost_writes=%d failures=%d lost_ticks=%d dup_ticks=%d" % (
                name, len(outcomes), analysis.percentile(gaps, 0.5),
                max(gaps) if gaps else 0.0, max(o.overlap_ms for o in outcomes),
                sum(o.lost_writes for o in outcomes),
                sum(1 for o in outcomes if o.failures),
                sum(o.lost_ticks for o in outcomes),
                sum(o.dup_ticks for o in outcomes)))
