"""Soak: a 3-node cluster under light load and routine incidents for a long
time, sampling whether a node stays bounded (docs/performance.md, "Soak").

Not a test of speed: it asserts no time. It runs a local 3-node cluster
(tests/integration/hamdtest.py) with two hot simulated accounts (sim_a
preferred, sim_b the backup, same feed), BASE_CONTRACTS contracts at
BASE_RATE ticks/s and HOT_CONTRACTS at HOT_RATE, and:

  - a raw subscriber on every publish endpoint checks each contract's
    extra.sim_seq: lost (missing for good), dup (received twice within one
    term), backwards (datetime going back within one term); what a leader
    change may legitimately show a raw SUB (a repeat from the new leader,
    an old term's tick read after the new term's) is counted apart;
  - `hactl tail --json` on the hot contracts checks the client library's
    view: every sim_seq once, in order;
  - every --incident-s seconds one routine incident, in a shuffled rota:
    kill -9 of a gateway, source switch (failover --all / failback), pin of
    some contracts, pause / resume, leadership transfer, SIGTERM and restart
    of a follower, kill -9 of the leader and its restart, account disable /
    enable, subscription churn (subs rm / add of CHURN contracts), SUB
    client churn, snapshot requests, admin API and /api/stream clients;
  - every --sample-s seconds: per hamd node and gateway process RSS, anon
    RSS, fds, threads, CPU; per node the store (LMDB) and raft dir sizes,
    its log's size, its /metrics (a Prometheus scrape: series count and a
    few counters).

Node 1 is never restarted (leadership is moved off it before a leader
kill): its process lives the whole run, so its trend carries every
incident's leftovers. Growth is the least-squares slope over the samples
after the warm-up (the first half), per hour.

At the end (or on SIGINT / SIGTERM) it stops the cluster with SIGTERM (an
ASan build reports its leaks then), greps every log for sanitizer reports
and prints one RESULT line and a per-process table. Exit 0 when it
measured, 1 when it could not (the cluster never came up).

Usage: soak.py [--minutes M] [--seed S] [--keep] [--build DIR]
               [--sample-s S] [--incident-s S] [--check]
  --build DIR   the build to run (default HAMD_BUILD_DIR or build/);
                e.g. build-asan with ASAN_OPTIONS=detect_leaks=1
  --check       exit 2 when the stream lost, duplicated or reordered a
                tick, a node crashed, an incident failed or a sanitizer
                reported (the ctest soak.short entry)
"""
import argparse
import collections
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import msgpack
import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(HERE, "..", "integration")

BASE_CONTRACTS = 300   # f000..f299.SHFE at BASE_RATE ticks/s
BASE_RATE = 2
HOT_CONTRACTS = 20     # h00..h19.DCE at HOT_RATE ticks/s
HOT_RATE = 20
CHURN_CONTRACTS = 10   # z00..z09.SHFE, unsubscribed and subscribed again
CHURN_RATE = 2
#                        1,020 ticks/s per gateway, 6 gateways

SAMPLE_S = 10            # default sampling period
INCIDENT_S = 45          # default time between two incidents' starts
WARMUP_FRACTION = 0.5    # trends are fitted over the second half
GW_LIFE_FRACTION = 0.25  # a gateway's slope counts when it lived this
#                          share of the second half (kills restart them)
FINALIZE_S = 5.0         # a sim_seq not received 5-10 s later is lost
SEEN_KEEP_WINDOWS = 2    # received sim_seqs kept this many windows back
RECOVER_TIMEOUT_S = 60   # an incident's recovery (a HEALTHY gateway, a
#                          leader) must come within this; else it failed
STREAM_CLIENTS = 8       # /api/stream clients an admin incident opens
STREAM_READ_S = (5, 20)  # each reads for this long (uniform), then closes
SUB_CHURN_CLIENTS = 5    # SUB sockets a client-churn incident opens
SUB_CHURN_READ_S = 3.0
HOLD_S = (15, 30)        # a pause, a pin, a switch, a disabled account
#                          lasts this long before it is undone
NODE_DOWN_S = (3, 10)    # a stopped or killed node restarts after this
DRAIN_S = 3.0            # the subscribers read this long after the last
#                          incident before the counts are closed
SANITIZER_RE = re.compile(rb"ERROR: (AddressSanitizer|LeakSanitizer)|"
                          rb"runtime error: |SUMMARY: (Address|Leak|Undefined)")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

EXTRA_INI = """
[failover]
; fail back 30 s after the better source recovered (production: 300), so
; that failbacks happen within the soak's incident cycle
revert_after_s = 30
"""


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true",
                    help="keep the cluster's dir (logs, data dirs)")
    ap.add_argument("--build", help="the build dir (default HAMD_BUILD_DIR "
                    "or build/)")
    ap.add_argument("--sample-s", type=float, default=SAMPLE_S)
    ap.add_argument("--incident-s", type=float, default=INCIDENT_S)
    ap.add_argument("--samples", help="write every sample to this JSON file")
    ap.add_argument("--check", action="store_true",
                    help="exit 2 on lost/dup/backwards ticks, a crash, a "
                    "failed incident or a sanitizer report")
    return ap.parse_args()


ARGS = parse_args()
if ARGS.build:
    os.environ["HAMD_BUILD_DIR"] = os.path.abspath(ARGS.build)
sys.path.insert(0, INTEGRATION)
import hamdtest  # noqa: E402
from hamdtest import (Cluster, Failure, log, node_status,  # noqa: E402
                      sim_account, wait_for)

BASE = ["f%03d.SHFE" % i for i in range(BASE_CONTRACTS)]
HOT = ["h%02d.DCE" % i for i in range(HOT_CONTRACTS)]
CHURN = ["z%02d.SHFE" % i for i in range(CHURN_CONTRACTS)]

STOP = threading.Event()  # SIGINT / SIGTERM, or the time is up


# --------------------------------------------------------------------------
# The stream checker (a raw SUB on every publish endpoint)
# --------------------------------------------------------------------------

class VtState:
    """One contract's received sim_seqs, as the raw subscriber saw them."""

    def __init__(self):
        self.low = None       # sim_seqs below low are settled (lost or not)
        self.mark = None      # the highest sim_seq at the last settling
        self.floor = None     # received sim_seqs below it are forgotten
        self.seen = {}        # sim_seq -> term it first came in
        self.missing = set()  # settled as lost (a late arrival takes it back)
        self.high = None      # highest sim_seq received
        self.term = 0         # the newest term seen for the contract
        self.dt = 0           # last datetime received in that term


class StreamChecker:
    """Reads every tick the cluster publishes and counts, per contract:
    lost, dup, backwards (bugs), and what a leader change may show a raw
    SUB connected to every node: repeats (the new leader re-sends a tick
    the old one sent: the client library drops them) and old-term ticks
    read after a newer term's."""

    def __init__(self, endpoints):
        # the harness's SUB (no limit, no linger, heartbeats); its pump,
        # which keeps every tick, is not used: an hour is 4 M ticks
        self.sock = hamdtest.Subscriber(endpoints).sock
        self.lock = threading.Lock()
        self.vts = {}                 # vt_symbol -> VtState
        self.off = set()              # vt_symbols unsubscribed on purpose
        self.counts = collections.Counter()
        self.terms = set()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.done = threading.Event()

    def start(self):
        self.thread.start()
        return self

    def loop(self):
        next_settle = time.monotonic() + FINALIZE_S
        while not self.done.is_set():
            if self.sock.poll(100):
                while True:
                    try:
                        topic, body = self.sock.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    if topic.startswith(b"_"):
                        self.counts["hub_msgs"] += 1
                        continue
                    self.tick(topic.decode(), msgpack.unpackb(body, raw=False))
            if time.monotonic() >= next_settle:
                self.settle(final=False)
                next_settle += FINALIZE_S
        self.sock.close()

    def tick(self, vt, t):
        with self.lock:
            self.counts["ticks"] += 1
            if vt in self.off:
                self.counts["after_unsub"] += 1
                return
            s, term, dt = t["extra"]["sim_seq"], t["term"], t["datetime"]
            self.terms.add(term)
            st = self.vts.get(vt)
            if st is None:
                st = self.vts[vt] = VtState()
                st.low = st.floor = st.mark = s
            if term > st.term:
                st.term, st.dt = term, dt
            elif term < st.term:
                self.counts["old_term_late"] += 1
            elif dt < st.dt:
                self.counts["backwards"] += 1
                log("BACKWARDS %s term %d sim_seq %d" % (vt, term, s))
            else:
                st.dt = dt
            if s in st.seen:
                if st.seen[s] == term:
                    self.counts["dup"] += 1
                    log("DUP %s term %d sim_seq %d" % (vt, term, s))
                else:
                    self.counts["repeat_new_term"] += 1
                return
            if s < st.floor:
                self.counts["too_late"] += 1
                return
            if s in st.missing:
                st.missing.discard(s)
                self.counts["lost"] -= 1
                self.counts["late"] += 1
            st.seen[s] = term
            st.high = s if st.high is None else max(st.high, s)

    def settle(self, final):
        """Counts the sim_seqs missing below each contract's mark of the
        previous pass (FINALIZE_S ago) as lost; final: up to the highest."""
        with self.lock:
            for vt, st in self.vts.items():
                upto = st.high + 1 if final else st.mark
                for x in range(st.low, upto):
                    if x not in st.seen:
                        st.missing.add(x)
                        self.counts["lost"] += 1
                        if len(st.missing) < 20:
                            log("LOST %s sim_seq %d" % (vt, x))
                st.low = max(st.low, upto)
                floor = st.low - SEEN_KEEP_WINDOWS * max(1, st.high - st.mark)
                if floor > st.floor:
                    st.seen = {k: v for k, v in st.seen.items() if k >= floor}
                    st.missing = {k for k in st.missing if k >= floor}
                    st.floor = floor
                st.mark = st.high + 1 if st.high is not None else st.mark

    def unsubscribed(self, vts):
        with self.lock:
            for vt in vts:
                self.off.add(vt)
                self.vts.pop(vt, None)

    def subscribed(self, vts):
        with self.lock:
            for vt in vts:
                self.off.discard(vt)
                self.vts.pop(vt, None)

    def stop(self):
        self.done.set()
        self.thread.join(5)
        self.settle(final=True)


class TailChecker:
    """`hactl tail --json --no-snapshot h` (the client library): every
    sim_seq of the hot contracts once and in order; its own summary line."""

    def __init__(self, c):
        self.proc = subprocess.Popen(
            [hamdtest.HACTL, "-c", c.nodes[0]["config"], "tail", "--json",
             "--no-snapshot", "h"], stdout=subprocess.PIPE,
            stderr=open(os.path.join(c.dir, "tail.stderr"), "wb"))
        self.c = c
        self.last = {}
        self.counts = collections.Counter()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        for line in self.proc.stdout:
            try:
                t = json.loads(line)
            except ValueError:
                self.counts["bad_lines"] += 1
                continue
            s = t.get("extra", {}).get("sim_seq")
            vt = t.get("vt_symbol")
            if s is None:
                continue
            self.counts["ticks"] += 1
            last = self.last.get(vt)
            if last is not None:
                if s == last:
                    self.counts["dup"] += 1
                elif s < last:
                    self.counts["backwards"] += 1
                elif s > last + 1:
                    self.counts["lost"] += s - last - 1
            self.last[vt] = max(s, last or s)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(5)
        try:
            with open(os.path.join(self.c.dir, "tail.stderr"), "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            self.summary = next((x for x in reversed(lines) if " ticks, " in x), "")
        except OSError:
            self.summary = ""


# --------------------------------------------------------------------------
# Sampling /proc, the data dirs, the logs and /metrics
# --------------------------------------------------------------------------

def proc_sample(pid):
    """{rss_kb, anon_kb, fds, threads, cpu_ticks} of pid, or None (gone)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read().rsplit(")", 1)[1].split()
        fds = len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, ValueError):
        return None
    kb = lambda k: int(status.get(k, "0 kB").split()[0])  # noqa: E731
    return {"rss_kb": kb("VmRSS"), "anon_kb": kb("RssAnon"), "fds": fds,
            "threads": int(status["Threads"]),
            "cpu_ticks": int(stat[11]) + int(stat[12])}


def fd_kinds(pid):
    """Counter of what pid's fds point to (socket, pipe, anon_inode:..., a
    file's dir): names an fd leak."""
    out = collections.Counter()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            kind = target.split(":", 1)[0] if ":" in target and not \
                target.startswith("/") else os.path.dirname(target)
            out[kind] += 1
    except OSError:
        pass
    return out


def children(pid):
    """[(child pid, HAMD_ACCOUNT or comm)] of pid's gateway processes."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
            if int(stat.rsplit(")", 1)[1].split()[1]) != pid:
                continue
            with open("/proc/%s/environ" % d, "rb") as f:
                env = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0")
                           if b"=" in kv)
            name = env.get(b"HAMD_ACCOUNT", b"").decode() or \
                stat.split("(", 1)[1].split(")")[0]
            out.append((int(d), name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def du(path, exclude=None):
    total = 0
    for root, dirs, files in os.walk(path):
        if exclude:
            dirs[:] = [d for d in dirs if os.path.join(root, d) != exclude]
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    return total


METRICS_KEPT = ("hamd_ticks_published_total", "hamd_commit_index",
                "hamd_replay_bytes", "hamd_cache_entries",
                "hamd_snapshots_total", "hamd_replay_lost_total",
                "hamd_gateway_restarts_total")


def scrape(c, i):
    """(series count, {family: summed value}, {family: series}) of node i's
    /metrics, or None."""
    try:
        code, _, body = hamdtest.http_raw(c.nodes[i]["admin"], "GET",
                                          "/metrics", timeout=3)
    except OSError:
        return None
    if code != 200:
        return None
    series, values, per_family = 0, {}, collections.Counter()
    for line in body.decode("utf-8", "replace").splitlines():
        if not line or line.startswith("#"):
            continue
        series += 1
        name = re.split(r"[{ ]", line, 1)[0]
        per_family[name] += 1
        if name in METRICS_KEPT:
            try:
                values[name] = values.get(name, 0) + float(line.rsplit(" ", 1)[1])
            except ValueError:
                pass
    return series, values, per_family


class Sampler:
    """Samples every process and node; keeps every sample (a few thousand
    rows an hour)."""

    def __init__(self, c, clients):
        self.c = c
        self.clients = clients  # [(pid, role)]: client processes to sample
        self.rows = []          # (t, role, pid, sample dict)
        self.nodes = []         # (t, node id, {store, raft, log, series...})
        self.families = {}      # node id -> per-family series, first scrape
        self.families_end = {}  # node id -> the last scrape's
        self.cpu = {}           # pid -> (role, last cpu_ticks)
        self.cpu_by_role = collections.Counter()

    def sample_procs(self, t, procs):
        for pid, role in procs:
            s = proc_sample(pid)
            if s is None:
                continue
            self.rows.append((t, role, pid, s))
            prev = self.cpu.get(pid)
            self.cpu_by_role[role.split("/")[0] + ("/gw" if "/" in role else "")] += \
                s["cpu_ticks"] - (prev[1] if prev else 0)
            self.cpu[pid] = (role, s["cpu_ticks"])

    def sample(self, t):
        c = self.c
        self.sample_procs(t, self.clients)
        for i, n in enumerate(c.nodes):
            p = n["proc"]
            if p is None or p.poll() is not None:
                continue
            self.sample_procs(t, [(p.pid, "n%d" % n["id"])] + [
                (pid, "n%d/%s" % (n["id"], acct)) for pid, acct in children(p.pid)])
            d = n["data_dir"]
            raft = os.path.join(d, "raft")
            m = scrape(c, i)
            row = {"store": du(d, exclude=raft), "raft": du(raft),
                   "log": os.path.getsize(os.path.join(c.dir, "node%d.log" % n["id"]))}
            if m:
                row["series"] = m[0]
                row.update(m[1])
                self.families.setdefault(n["id"], m[2])
                self.families_end[n["id"]] = m[2]
            self.nodes.append((t, n["id"], row))


def slope_per_h(points):
    """Least-squares slope of [(t_s, v)] per hour, or None (< 3 points)."""
    if len(points) < 3:
        return None
    n = float(len(points))
    mt = sum(t for t, _ in points) / n
    mv = sum(v for _, v in points) / n
    den = sum((t - mt) ** 2 for t, _ in points)
    if den == 0:
        return None
    return sum((t - mt) * (v - mv) for t, v in points) / den * 3600.0


# --------------------------------------------------------------------------
# Incidents: each a generator yielding the seconds to wait before its next
# step, so that sampling goes on while one waits
# --------------------------------------------------------------------------

class Soak:
    def __init__(self, c, rng):
        self.c = c
        self.rng = rng
        self.checker = None
        self.expected_down = set()   # node indexes stopped on purpose
        self.crashes = []            # (node id, exit status)
        self.log_lines = []          # (time, incident, outcome)
        self.incidents = collections.Counter()
        self.failed = collections.Counter()
        self.admin = collections.Counter()
        self.threads = []

    def hactl(self, *args, check_rc=True):
        return self.c.hactl(*args, check_rc=check_rc, timeout=30)

    def running(self):
        return [i for i, n in enumerate(self.c.nodes)
                if n["proc"] is not None and n["proc"].poll() is None]

    def leader(self, timeout=RECOVER_TIMEOUT_S):
        return hamdtest.wait_one_publisher(self.c, among=self.running(),
                                           timeout=timeout)

    def wait_gateways(self, idx, timeout=RECOVER_TIMEOUT_S):
        """Waits until every gateway of node idx is HEALTHY or stopped on
        purpose."""
        def ok():
            st = node_status(self.c, idx)
            gws = (st or {}).get("gateways")
            return gws and all(g["state"] in ("HEALTHY", "STOPPED") for g in gws)
        wait_for(ok, timeout, "node %d's gateways HEALTHY" % (idx + 1), step=0.5)

    # -- the incidents ----------------------------------------------------

    def gw_kill(self):
        """kill -9 of a gateway: the leader's active source half the time."""
        lead = self.leader()
        idx = lead if self.rng.random() < 0.5 else self.rng.choice(self.running())
        acct = "sim_a" if idx == lead else self.rng.choice(["sim_a", "sim_b"])
        g = hamdtest.gateway_of(self.c, idx, acct)
        if not g or not g.get("pid"):
            return "no %s on node %d" % (acct, idx + 1)
        os.kill(g["pid"], signal.SIGKILL)
        yield 1.0
        self.wait_gateways(idx)
        return "node %d %s pid %d" % (idx + 1, acct, g["pid"])

    def source_switch(self):
        self.hactl("failover", "--to", "sim_b", "--all")
        yield self.rng.uniform(*HOLD_S)
        self.hactl("failback")
        return "all to sim_b and back"

    def pin(self):
        prefix = self.rng.choice(["h0", "f1", "f2"])
        self.hactl("failover", "--to", "sim_b", prefix)
        yield self.rng.uniform(*HOLD_S)
        self.hactl("failback", prefix)
        return "pinned %s on sim_b" % prefix

    def pause_resume(self):
        self.hactl("pause")
        yield self.rng.uniform(*HOLD_S)
        self.hactl("resume")
        return "paused"

    def transfer(self):
        before = self.leader()
        self.hactl("transfer")
        yield 1.0
        after = self.leader()
        return "leader node %d -> %d" % (before + 1, after + 1)

    def follower_restart(self):
        lead = self.leader()
        idx = self.rng.choice([i for i in (1, 2) if i != lead])
        self.expected_down.add(idx)
        self.c.stop(idx)
        yield self.rng.uniform(*NODE_DOWN_S)
        self.c.start(idx)
        self.expected_down.discard(idx)
        yield 2.0
        self.wait_gateways(idx)
        return "node %d SIGTERM, restarted" % (idx + 1)

    def leader_kill(self):
        lead = self.leader()
        if lead == 0:  # node 1 lives the whole run: hand leadership on first
            self.hactl("transfer", str(self.rng.choice([2, 3])))
            yield 1.0
            lead = self.leader()
            if lead == 0:
                raise Failure("node 1 kept the leadership")
        self.expected_down.add(lead)
        self.c.kill(lead)
        yield 1.0
        new = self.leader()
        yield self.rng.uniform(*NODE_DOWN_S)
        self.c.start(lead)
        self.expected_down.discard(lead)
        yield 2.0
        self.wait_gateways(lead)
        return "killed leader node %d, node %d took over" % (lead + 1, new + 1)

    def account_toggle(self):
        acct = self.rng.choice(["sim_a", "sim_b"])
        self.hactl("accounts", "disable", acct)
        yield self.rng.uniform(*HOLD_S)
        self.hactl("accounts", "enable", acct)
        yield 2.0
        for i in self.running():
            self.wait_gateways(i)
        return "%s disabled and enabled" % acct

    def subs_churn(self):
        vts = self.rng.sample(CHURN, 3)
        self.checker.unsubscribed(vts)
        self.hactl("subs", "rm", *vts)
        yield self.rng.uniform(*HOLD_S)
        self.checker.subscribed(vts)
        self.hactl("subs", "add", *vts)
        return "%s off and on" % ",".join(vts)

    def client_churn(self):
        """SUB sockets that connect, read a few seconds and close."""
        def one(prefix):
            s = zmq.Context.instance().socket(zmq.SUB)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.SUBSCRIBE, prefix.encode())
            for ep in self.c.publish_endpoints():
                s.connect(ep)
            n, end = 0, time.monotonic() + SUB_CHURN_READ_S
            while time.monotonic() < end:
                if s.poll(100):
                    s.recv_multipart()
                    n += 1
            s.close()
            self.admin["sub_churn_msgs"] += n
        ts = [threading.Thread(target=one, args=(self.rng.choice(["", "h", "f0", "_hb"]),))
              for _ in range(SUB_CHURN_CLIENTS)]
        for t in ts:
            t.start()
        yield SUB_CHURN_READ_S + 1
        for t in ts:
            t.join(5)
        return "%d SUB clients" % SUB_CHURN_CLIENTS

    def snapshots(self):
        got = []
        for prefix in ("", "h", "f1"):
            ticks, _ = hamdtest.snapshot(self.c.snapshot_endpoints(), prefix)
            got.append(len(ticks))
        want = len(BASE) + len(HOT)
        if got[0] < want:
            raise Failure("snapshot of everything: %d ticks, want >= %d"
                          % (got[0], want))
        yield 0
        return "snapshots of %s ticks" % got

    def admin_clients(self):
        """/api/stream clients reading a while; GETs of every page; a
        connection closed before its request, one mid-request."""
        c = self.c
        def stream(addr, secs):
            try:
                s = socket.create_connection(addr, timeout=5)
                s.sendall(("GET /api/stream?level=info HTTP/1.1\r\nHost: x\r\n\r\n")
                          .encode())
                end, n = time.monotonic() + secs, 0
                s.settimeout(1)
                while time.monotonic() < end:
                    try:
                        b = s.recv(65536)
                    except socket.timeout:
                        continue
                    if not b:
                        break
                    n += len(b)
                s.close()
                self.admin["stream_bytes"] += n
                self.admin["streams"] += 1
            except OSError:
                self.admin["stream_errors"] += 1
        addrs = [tuple(n["admin"].rsplit(":", 1)) for i, n in enumerate(c.nodes)
                 if i in self.running()]
        addrs = [(h, int(p)) for h, p in addrs]
        ts = [threading.Thread(target=stream, args=(self.rng.choice(addrs),
                                                    self.rng.uniform(*STREAM_READ_S)))
              for _ in range(STREAM_CLIENTS)]
        for t in ts:
            t.start()
        for i in self.running():
            for path in ("/api/status", "/api/cluster", "/api/logs",
                         "/api/logs?node=%d" % self.rng.choice([1, 2, 3]),
                         "/api/events", "/api/contracts", "/api/accounts",
                         "/api/members", "/api/subscriptions", "/livez",
                         "/healthz", "/readyz", "/", "/api/openapi.json"):
                try:
                    code, _, _ = hamdtest.http_raw(c.nodes[i]["admin"], "GET",
                                                   path, timeout=5)
                    self.admin["get_%d" % code] += 1
                    if code >= 500:  # a follower's /readyz: 503, as it must
                        self.admin["%d %s" % (code, path)] += 1
                except OSError:
                    self.admin["get_errors"] += 1
            for partial in (b"", b"GET /api/status HTTP/1.1\r\nHo"):
                try:
                    h, p = c.nodes[i]["admin"].rsplit(":", 1)
                    s = socket.create_connection((h, int(p)), timeout=5)
                    s.sendall(partial)
                    s.close()
                    self.admin["abandoned"] += 1
                except OSError:
                    self.admin["abandoned_errors"] += 1
        yield STREAM_READ_S[1] + 2
        for t in ts:
            t.join(5)
        return "%d streams, GETs on %d nodes" % (STREAM_CLIENTS, len(self.running()))

    ROTA = ("gw_kill", "source_switch", "pin", "pause_resume", "transfer",
            "follower_restart", "leader_kill", "account_toggle", "subs_churn",
            "client_churn", "snapshots", "admin_clients")

    def rota(self):
        while True:
            names = list(self.ROTA)
            self.rng.shuffle(names)
            for n in names:
                yield n

    def check_crashes(self):
        """A node that exited without being stopped is a crash: noted and
        started again so that the soak goes on."""
        for i, n in enumerate(self.c.nodes):
            p = n["proc"]
            if p is not None and p.poll() is not None and i not in self.expected_down:
                log("CRASH: node %d exited with %s; restarting it" % (n["id"], p.returncode))
                self.crashes.append((n["id"], p.returncode))
                if n["log"]:
                    n["log"].close()
                self.c.start(i)


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------

def make_cluster():
    rates = {vt: HOT_RATE for vt in HOT}
    accounts = [sim_account(a, prio, ["SHFE", "DCE"], seed=11, rate=BASE_RATE,
                            rates=rates) for a, prio in (("sim_a", 1), ("sim_b", 2))]
    c = Cluster(3, accounts, BASE + HOT + CHURN, extra_ini=EXTRA_INI, name="soak")
    return c.rewrite_configs()


def run_soak(c, soak, sampler, deadline, t0):
    """The main loop: sampling, the current incident's steps, crashes."""
    rng = soak.rng
    rota = soak.rota()
    next_sample = time.monotonic()
    next_incident = time.monotonic() + min(ARGS.incident_s, 30)
    current, name, wake = None, None, 0
    while not STOP.is_set() and time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_sample:
            sampler.sample(now - t0)
            next_sample += ARGS.sample_s
        soak.check_crashes()
        if current is None and now >= next_incident:
            name = next(rota)
            current, wake = getattr(soak, name)(), now
            soak.incidents[name] += 1
            log("incident %d: %s" % (sum(soak.incidents.values()), name))
            next_incident = now + ARGS.incident_s * rng.uniform(0.7, 1.3)
        if current is not None and now >= wake:
            try:
                wake = now + next(current)
            except StopIteration as e:
                soak.log_lines.append((now - t0, name, e.value))
                log("  %s: %s" % (name, e.value))
                current = None
            except Exception as e:  # noqa: BLE001 - an incident that failed
                soak.failed[name] += 1
                soak.log_lines.append((now - t0, name, "FAILED %s" % e))
                log("  %s FAILED: %s" % (name, e))
                current = None
                for i in list(soak.expected_down):  # do not leave one down
                    c.start(i)
                    soak.expected_down.discard(i)
        STOP.wait(0.2)
    if current is not None:  # finish the one under way (a node to restart)
        log("finishing incident %s" % name)
        try:
            while True:
                time.sleep(min(next(current), 5))
        except StopIteration as e:
            soak.log_lines.append((time.monotonic() - t0, name, e.value))
        except Exception as e:  # noqa: BLE001
            soak.failed[name] += 1
            soak.log_lines.append((time.monotonic() - t0, name, "FAILED %s" % e))
        for i in list(soak.expected_down):
            c.start(i)
            soak.expected_down.discard(i)


def fmt(v, spec="%.1f"):
    return "nan" if v is None else spec % v


def report(c, soak, sampler, checker, tail, t_run, asan):
    rows = sampler.rows
    half = t_run * WARMUP_FRACTION
    mb = lambda kb: kb / 1024.0  # noqa: E731
    # node 1: one process the whole run
    n1 = [(t, s) for t, r, p, s in rows if r == "n1"]
    n1_pids = {p for t, r, p, s in rows if r == "n1"}
    n1_half = [(t, s) for t, s in n1 if t >= half] or n1[-1:]
    first_half = n1_half[0][1] if n1_half else None
    last = n1[-1][1] if n1 else None
    res = collections.OrderedDict()
    res["soak_minutes"] = "%.1f" % (t_run / 60.0)
    res["incidents"] = sum(soak.incidents.values())
    res["incidents_failed"] = sum(soak.failed.values())
    res["crashes"] = len(soak.crashes)
    res["sanitizer_reports"] = asan
    for k in ("lost", "dup", "backwards"):
        res[k] = checker.counts[k]
    res["repeats_new_term"] = checker.counts["repeat_new_term"]
    res["old_term_late"] = checker.counts["old_term_late"]
    res["ticks_checked"] = checker.counts["ticks"]
    res["terms"] = len(checker.terms)
    for k in ("lost", "dup", "backwards"):
        res["client_" + k] = tail.counts[k]
    res["client_ticks"] = tail.counts["ticks"]
    if last:
        res["node_rss_mb_start"] = "%.1f" % mb(first_half["rss_kb"])
        res["node_rss_mb_end"] = "%.1f" % mb(last["rss_kb"])
        res["node_rss_mb_max"] = "%.1f" % mb(max(s["rss_kb"] for t, s in n1))
        res["node_rss_growth_mb_per_h"] = fmt(
            (slope_per_h([(t, s["rss_kb"]) for t, s in n1_half]) or 0) / 1024.0, "%.2f")
        res["node_anon_growth_mb_per_h"] = fmt(
            (slope_per_h([(t, s["anon_kb"]) for t, s in n1_half]) or 0) / 1024.0, "%.2f")
        res["fd_start"] = first_half["fds"]
        res["fd_end"] = last["fds"]
        res["fd_growth"] = last["fds"] - first_half["fds"]
        res["fd_min_late"] = min(s["fds"] for t, s in n1_half)
        res["fd_max_late"] = max(s["fds"] for t, s in n1_half)
        res["threads_growth"] = last["threads"] - first_half["threads"]
        # the least RSS of each quarter: peaks follow the role (a leader
        # holds more), a leak lifts the floor
        for q in range(4):
            pts = [s["rss_kb"] for t, s in n1 if q * t_run / 4 <= t < (q + 1) * t_run / 4]
            res["node_rss_min_mb_q%d" % (q + 1)] = "%.1f" % mb(min(pts)) if pts else "nan"
    res["node1_restarted"] = int(len(n1_pids) > 1)
    # the other processes: per instance (pid) living through the second half
    gw_slopes, gw_fd = [], []
    for role, pid in {(r, p) for t, r, p, s in rows if "/" in r}:
        pts = [(t, s) for t, r, p, s in rows if p == pid and t >= half]
        if len(pts) >= 5 and pts[-1][0] - pts[0][0] >= (t_run - half) * GW_LIFE_FRACTION:
            gw_slopes.append(slope_per_h([(t, s["rss_kb"]) for t, s in pts]) / 1024.0)
            gw_fd.append(pts[-1][1]["fds"] - pts[0][1]["fds"])
    res["gw_rss_growth_mb_per_h_max"] = fmt(max(gw_slopes) if gw_slopes else None, "%.2f")
    res["gw_fd_growth_max"] = max(gw_fd) if gw_fd else "nan"
    # the client library in a process that lives the whole run (hactl tail)
    cl = [(t, s) for t, r, p, s in rows if r == "client" and t >= half]
    res["client_rss_growth_mb_per_h"] = fmt(
        None if len(cl) < 3 else slope_per_h([(t, s["rss_kb"]) for t, s in cl]) / 1024.0,
        "%.2f")
    res["client_fd_growth"] = cl[-1][1]["fds"] - cl[0][1]["fds"] if cl else "nan"
    nodes_end = {}
    for t, nid, row in sampler.nodes:
        nodes_end[nid] = row
    res["store_mb_end"] = "%.2f" % max(mb(r["store"] / 1024.0) for r in nodes_end.values())
    res["raftdir_mb_end"] = "%.2f" % max(mb(r["raft"] / 1024.0) for r in nodes_end.values())
    raft_slopes = [slope_per_h([(t, r["raft"] / 1048576.0) for t, n, r in sampler.nodes
                                if n == nid and t >= half]) for nid in nodes_end]
    res["raftdir_growth_mb_per_h"] = fmt(max([s for s in raft_slopes if s is not None],
                                             default=None), "%.2f")
    log_slopes = [slope_per_h([(t, r["log"] / 1024.0) for t, n, r in sampler.nodes
                               if n == nid and t >= half]) for nid in nodes_end]
    res["log_kb_per_h_max"] = fmt(max([s for s in log_slopes if s is not None],
                                      default=None), "%.0f")
    res["log_mb_end_max"] = "%.2f" % max(r["log"] / 1048576.0 for r in nodes_end.values())
    first_series = {nid: row.get("series") for t, nid, row in reversed(sampler.nodes)
                    if t >= half}
    res["metrics_series_start"] = max(v for v in first_series.values() if v) \
        if any(first_series.values()) else "nan"
    res["metrics_series_end"] = max(r.get("series", 0) for r in nodes_end.values())
    res["commit_index_end"] = int(max(r.get("hamd_commit_index", 0) for r in nodes_end.values()))
    res["replay_lost_total"] = int(sum(r.get("hamd_replay_lost_total", 0)
                                       for r in nodes_end.values()))
    cpu_s = sum(sampler.cpu_by_role.values()) / float(CLK_TCK)
    res["cluster_cpu_pct"] = "%.1f" % (100.0 * cpu_s / max(t_run, 1))
    me = os.times()
    res["harness_cpu_pct"] = "%.1f" % (100.0 * (me.user + me.system) / max(t_run, 1))
    res["load1_end"] = "%.2f" % os.getloadavg()[0]
    print("RESULT " + " ".join("%s=%s" % kv for kv in res.items()))
    # the per-process table
    print("%-12s %7s %6s %8s %8s %8s %8s %6s %6s %7s %7s %9s" % (
        "process", "pid", "n", "rss0_mb", "rss_mb", "anon_mb", "mb_per_h",
        "fd0", "fd", "thr0", "thr", "cpu_s"))
    for role, pid in sorted({(r, p) for t, r, p, s in rows}):
        pts = [(t, s) for t, r, p, s in rows if p == pid]
        late = [x for x in pts if x[0] >= half] or pts
        sl = slope_per_h([(t, s["rss_kb"]) for t, s in late])
        a, z = late[0][1], pts[-1][1]
        print("%-12s %7d %6d %8.1f %8.1f %8.1f %8s %6d %6d %7d %7d %9.1f" % (
            role, pid, len(pts), mb(a["rss_kb"]), mb(z["rss_kb"]), mb(z["anon_kb"]),
            fmt(None if sl is None or len(late) < 5 else sl / 1024.0, "%.2f"),
            a["fds"], z["fds"], a["threads"], z["threads"],
            z["cpu_ticks"] / float(CLK_TCK)))
    print("node store_mb raft_mb log_mb series  (end)")
    for nid, r in sorted(nodes_end.items()):
        print("n%d   %8.2f %7.2f %6.2f %6s" % (nid, r["store"] / 1048576.0,
                                             r["raft"] / 1048576.0,
                                             r["log"] / 1048576.0, r.get("series")))
    for nid in sorted(sampler.families_end):
        a, z = sampler.families.get(nid, {}), sampler.families_end[nid]
        grown = {k: (a.get(k, 0), v) for k, v in z.items() if v != a.get(k, 0)}
        if grown:
            print("n%d metric families whose series count changed: %s" % (nid, grown))
    print("incidents: %s" % dict(soak.incidents))
    if soak.failed:
        print("failed incidents: %s" % dict(soak.failed))
    print("stream: %s" % dict(checker.counts))
    print("client (hactl tail): %s; its summary: %s" % (dict(tail.counts), tail.summary))
    print("admin clients: %s" % dict(soak.admin))
    if soak.crashes:
        print("crashes: %s" % soak.crashes)
    print("cpu seconds by process group: %s" % {
        k: round(v / float(CLK_TCK), 1) for k, v in sampler.cpu_by_role.items()})
    sys.stdout.flush()


def fd_report(c):
    for n in c.nodes:
        p = n["proc"]
        if p and p.poll() is None:
            log("node %d fds by kind: %s" % (n["id"], dict(fd_kinds(p.pid))))


def log_spam(c, sampler, half):
    """The most frequent log lines (digits folded) each node wrote in the
    second half: what a steady-state log is made of."""
    for n in c.nodes:
        start = next((r["log"] for t, nid, r in sampler.nodes
                      if nid == n["id"] and t >= half), 0)
        try:
            with open(os.path.join(c.dir, "node%d.log" % n["id"]), "rb") as f:
                f.seek(start)
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            continue
        norm = collections.Counter(
            re.sub(r"[0-9a-f]{6,}|\d+", "#", x.split(" ", 2)[-1])[:140]
            for x in lines)
        log("node %d: %d log lines in the second half; most frequent:" % (n["id"], len(lines)))
        for text, k in norm.most_common(6):
            log("  %6d  %s" % (k, text))


def sanitizer_reports(c):
    found = 0
    for root, _, files in os.walk(c.dir):
        for f in files:
            if not (f.endswith(".log") or f.endswith(".stderr")):
                continue
            try:
                with open(os.path.join(root, f), "rb") as fh:
                    text = fh.read()
            except OSError:
                continue
            hits = SANITIZER_RE.findall(text)
            if hits:
                found += len([h for h in SANITIZER_RE.finditer(text)
                              if h.group(0).startswith(b"SUMMARY")]) or len(hits)
                log("sanitizer report in %s" % os.path.join(root, f))
    return found


def main():
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *a: STOP.set())
    rng = random.Random(ARGS.seed)
    c = make_cluster()
    log("soak: cluster in %s, build %s, %.1f min, seed %d"
        % (c.dir, hamdtest.BUILD, ARGS.minutes, ARGS.seed))
    checker = tail = None
    try:
        c.start()
        try:
            hamdtest.wait_one_publisher(c, timeout=60)
            for i in range(3):
                Soak(c, rng).wait_gateways(i)
        except Failure as e:
            log("the cluster did not come up: %s" % e)
            return 1
        checker = StreamChecker(c.publish_endpoints()).start()
        tail = TailChecker(c)
        soak = Soak(c, rng)
        soak.checker = checker
        sampler = Sampler(c, [(tail.proc.pid, "client")])
        t0 = time.monotonic()
        run_soak(c, soak, sampler, t0 + ARGS.minutes * 60, t0)
        t_run = time.monotonic() - t0
        sampler.sample(t_run)
        fd_report(c)
        time.sleep(DRAIN_S)
        checker.stop()
        tail.stop()
        log_spam(c, sampler, t_run * WARMUP_FRACTION)
        try:
            c.stop()
        except Failure as e:
            log("stopping: %s" % e)
        asan = sanitizer_reports(c)
        if ARGS.samples:
            with open(ARGS.samples, "w") as f:
                json.dump({"t_run": t_run, "procs": sampler.rows,
                           "nodes": sampler.nodes,
                           "incidents": soak.log_lines}, f)
        report(c, soak, sampler, checker, tail, t_run, asan)
        bad = (checker.counts["lost"] or checker.counts["dup"] or
               checker.counts["backwards"] or soak.crashes or
               sum(soak.failed.values()) or asan or tail.counts["lost"] or
               tail.counts["dup"] or tail.counts["backwards"])
        return 2 if ARGS.check and bad else 0
    finally:
        if tail and tail.proc.poll() is None:
            tail.proc.kill()
        try:
            c.stop()
        except Failure:
            pass
        if ARGS.keep:
            log("kept %s" % c.dir)
        else:
            import shutil
            shutil.rmtree(c.dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
