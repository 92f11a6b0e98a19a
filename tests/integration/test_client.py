"""The client libraries deliver every tick exactly once and in order.

A 3-node cluster, two hot simulated sources of the same seed (a sim's tick
n of a contract carries extra.sim_seq = n on every node and source), four
contracts at 100 ticks/s each. Side by side on every node's endpoints:

- the plain subscriber of the README (hamdtest.Subscriber: a pyzmq SUB,
  no rules), which sees the wire as it is, repeats included;
- libhamd-client, through `hactl tail --json` (C);
- the hamd package, through docs/examples/client_tail.py --json (Python).

Then: a SIGTERM handover, kill -9 of the leader, SIGSTOP of the leader
(and SIGCONT once another node leads), a source failover (the active
sim crashes); each stopped node is started again and caught up before the
next fault. Afterwards a C and a Python client join late.

For each library client and contract, the sim_seq delivered form one run
without a hole, a repeat or a step back (0 missing, 0 duplicates, 0
backward), from its first tick to its last; a late joiner's first tick
of each contract is its snapshot's, and the next ones follow it. The
plain subscriber's repeats (a new leader re-sends the old one's last
ticks) and misses (it reconnects to a new leader more slowly than the
libraries, after the re-sent ticks went out) are counted and printed.
"""
import json
import os
import re
import signal
import subprocess
import time

from hamdtest import (HACTL, Cluster, Subscriber, check, gateway_states, log,
                      node_status, run, sim_account, sim_control,
                      wait_one_publisher, wait_settled)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PY_CLIENT = os.path.join(ROOT, "docs", "examples", "client_tail.py")
PYTHON = "/usr/bin/python3"
SYMBOLS = ["rb2601.SHFE", "cu2601.SHFE", "i2601.DCE", "m2601.DCE"]
RATE_PER_S = 100          # ticks per second of each contract
ACTIVE, BACKUP = "sim_a", "sim_b"
AFTER_S = 2.5             # ticks taken after a new term's first tick
STOP_S = 3.0              # how long the leader stays SIGSTOPped
TAKEOVER_TIMEOUT_S = 15
CATCH_UP_TIMEOUT_S = 30
SETTLE_TIMEOUT_S = 30
LATE_RUN_S = 3.0          # how long the late joiners receive
CLIENT_STOP_TIMEOUT_S = 10


def make_cluster():
    c = Cluster(3, [], SYMBOLS, name="client")
    ctl = "ipc://%s/ctl-{pid}.sock" % c.dir
    # Same seed: the backup delivers the same ticks (the same sim_seq).
    c.accounts = [sim_account(ACTIVE, 1, ["SHFE", "DCE"], seed=7, rate=RATE_PER_S,
                              control=ctl),
                  sim_account(BACKUP, 2, ["SHFE", "DCE"], seed=7, rate=RATE_PER_S,
                              control=ctl)]
    return c.rewrite_configs().start()


class ClientProc:
    """A library client in its own process, its ticks as JSON lines."""

    def __init__(self, c, name, cmd):
        self.name = name
        self.out_path = os.path.join(c.dir, name + ".out")
        self.err_path = os.path.join(c.dir, name + ".err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src", "python"))
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)

    @classmethod
    def c_client(cls, c, name):
        cmd = [HACTL]
        for n in c.nodes:
            cmd += ["-e", n["publish"], "-s", n["snapshot"]]
        return cls(c, name, cmd + ["--json", "tail"])

    @classmethod
    def py_client(cls, c, name):
        cmd = [PYTHON, PY_CLIENT, "--json"]
        for n in c.nodes:
            cmd += ["-e", n["publish"], "-s", n["snapshot"]]
        return cls(c, name, cmd)

    def gaps(self):
        """The gaps the client counted, from its summary on stderr."""
        last = self.stderr.strip().splitlines()[-1]
        if last.startswith("{"):                  # client_tail.py: its stats
            return json.loads(last)["gaps"]
        m = re.search(r"(\d+) gaps", last)      # hactl tail's summary
        check(m, "%s: no summary on stderr: %r" % (self.name, last))
        return int(m.group(1))

    def ticks(self):
        """The ticks written so far (a line cut short is left out)."""
        out = []
        with open(self.out_path) as f:
            for line in f:
                if line.endswith("\n"):
                    out.append(json.loads(line))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(CLIENT_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        with open(self.err_path) as f:
            self.stderr = f.read()
        return self.proc.returncode


def sims_by_contract(ticks):
    """{vt: [(sim_seq, is_snapshot), ...]} in delivery order."""
    out = {}
    for t in ticks:
        out.setdefault(t["vt_symbol"], []).append(
            (t["extra"]["sim_seq"], bool(t.get("snapshot"))))
    return out


def check_exactly_once(name, ticks, late=False):
    """Each contract's sim_seq: one run, +1 each tick. late: the first tick
    of each contract is a snapshot's. Returns {vt: (first, last)}."""
    spans = {}
    for vt, seq in sorted(sims_by_contract(ticks).items()):
        sims = [s for s, _ in seq]
        backward = sum(1 for a, b in zip(sims, sims[1:]) if b < a)
        dups = len(sims) - len(set(sims))
        missing = (max(sims) - min(sims) + 1) - len(set(sims))
        log("%s %s: sim_seq %d..%d, %d ticks, %d missing, %d duplicates, %d "
            "backward" % (name, vt, sims[0], sims[-1], len(sims), missing, dups,
                          backward))
        check(missing == 0 and dups == 0 and backward == 0,
              "%s %s: %d missing, %d duplicates, %d backward" % (
                  name, vt, missing, dups, backward))
        if late:
            check(seq[0][1], "%s %s: the first tick is not the snapshot's" % (name, vt))
            check(not any(s for _, s in seq[1:]),
                  "%s %s: a snapshot tick after the first" % (name, vt))
        spans[vt] = (sims[0], sims[-1])
    check(set(spans) == set(SYMBOLS), "%s: ticks of %s only" % (name, sorted(spans)))
    return spans


def plain_report(sub, t_from):
    """(repeats, missing) of the plain subscriber's sim_seq since t_from."""
    seqs = {}
    for r, t in sub.ticks:
        if r >= t_from:
            seqs.setdefault(t["vt_symbol"], []).append(t["extra"]["sim_seq"])
    repeats = sum(len(s) - len(set(s)) for s in seqs.values())
    missing = sum(max(s) - min(s) + 1 - len(set(s)) for s in seqs.values())
    return repeats, missing


def caught_up(c, idx, index):
    st = node_status(c, idx)
    states = gateway_states(c, idx)
    return (st is not None and st["applied_index"] >= index and
            set(states) == {ACTIVE, BACKUP} and
            all(s == "HEALTHY" for s in states.values()))


def wait_all_caught_up(c, sub, what):
    leader = wait_one_publisher(c, timeout=TAKEOVER_TIMEOUT_S)
    index = node_status(c, leader)["commit_index"]
    for i in range(len(c.nodes)):
        sub.pump_until(lambda: caught_up(c, i, index), CATCH_UP_TIMEOUT_S,
                       "%s: node %d caught up" % (what, i + 1))
    return leader


def new_term(c, sub, old_term, what):
    """Pumps until a tick of a term above old_term, then AFTER_S more."""
    start = len(sub.ticks)
    sub.pump_until(lambda: any(t["term"] > old_term for _, t in sub.ticks[start:]),
                   TAKEOVER_TIMEOUT_S, "%s: ticks of a term above %d" % (what, old_term))
    sub.pump(AFTER_S)


def current_term(sub):
    sub.pump(0.3)
    return max(t["term"] for _, t in sub.ticks[-50:])


def leader_change(c, sub, what, sig):
    leader = wait_all_caught_up(c, sub, what)
    term = current_term(sub)
    log("%s: node %d (term %d)" % (what, leader + 1, term))
    if sig == signal.SIGSTOP:
        c.nodes[leader]["proc"].send_signal(signal.SIGSTOP)
        sub.pump(STOP_S)
        new_term(c, sub, term, what)
        c.nodes[leader]["proc"].send_signal(signal.SIGCONT)
    else:
        c.stop(leader, sig=sig)
        new_term(c, sub, term, what)
        c.start(leader)


def source_failover(c, sub):
    leader = wait_all_caught_up(c, sub, "source failover")
    log("source failover: %s crashes on node %d" % (ACTIVE, leader + 1))
    reply = sim_control(c, leader, ACTIVE, "fault crash")
    check(reply.startswith("ok"), "fault crash: %s" % reply)
    wait_settled(sub, {vt: BACKUP for vt in SYMBOLS}, "every contract on %s"
                 % BACKUP, SETTLE_TIMEOUT_S)
    sub.pump(AFTER_S)


def test_exactly_once_through_failovers():
    c = make_cluster()
    sub = None
    clients = []
    try:
        wait_one_publisher(c, timeout=30)
        sub = Subscriber(c.publish_endpoints())
        wait_settled(sub, {vt: ACTIVE for vt in SYMBOLS},
                     "every contract on %s" % ACTIVE, SETTLE_TIMEOUT_S)
        wait_all_caught_up(c, sub, "start")
        t_start = time.monotonic()
        c_cli = ClientProc.c_client(c, "c")
        py_cli = ClientProc.py_client(c, "py")
        clients += [c_cli, py_cli]
        sub.pump_until(lambda: all(len(k.ticks()) >= 4 * len(SYMBOLS) for k in clients),
                       30, "ticks at both library clients")
        leader_change(c, sub, "SIGTERM handover", signal.SIGTERM)
        leader_change(c, sub, "kill -9", signal.SIGKILL)
        leader_change(c, sub, "SIGSTOP", signal.SIGSTOP)
        source_failover(c, sub)
        late = [ClientProc.c_client(c, "c_late"), ClientProc.py_client(c, "py_late")]
        clients += late
        sub.pump(LATE_RUN_S)
        sub.pump_until(lambda: all({t["vt_symbol"] for t in k.ticks()} == set(SYMBOLS)
                                   for k in late), 20, "ticks at the late joiners")
        for k in clients:
            code = k.stop()
            check(code == 0, "%s exited %d: %s" % (k.name, code, k.stderr[-2000:]))
        spans = {k.name: check_exactly_once(k.name, k.ticks(), late=k in late)
                 for k in clients}
        for k in clients:
            check(k.gaps() == 0, "%s reported gaps:\n%s" % (k.name, k.stderr[-2000:]))
        # The early clients ran through every fault: their runs span them.
        for name in ("c", "py"):
            for vt in SYMBOLS:
                first, last = spans[name][vt]
                check(last - first >= RATE_PER_S * 10,
                      "%s %s: only sim_seq %d..%d" % (name, vt, first, last))
        repeats, missing = plain_report(sub, t_start)
        log("plain subscriber since the clients started: %d sim_seq received "
            "twice, %d missing; the libraries: 0 and 0" % (repeats, missing))
    finally:
        for k in clients:
            if k.proc.poll() is None:
                k.proc.kill()
        if sub:
            sub.close()
        c.cleanup(keep=bool(os.environ.get("HAMD_KEEP")))


if __name__ == "__main__":
    run([test_exactly_once_through_failovers])
