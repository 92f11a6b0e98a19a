"""Simulated fronts (hamd-gw-sim --front) and gateways in upstream mode.

- A front's ticks are the in-process sim's for the same seed, and two
  fronts with the same seed send the same ticks: a gateway on either
  forwards what a sim would have generated.
- A gateway in upstream mode reports the front link truthfully (connected
  when the front answers, disconnected with the reason when it goes silent
  or closes the connection, heartbeats to the hub all along), and the sim
  faults still work on forwarded ticks.
- On a 3-node cluster whose accounts take SHFE from one front and DCE from
  another, stopping the SHFE front (SIGSTOP, then SIGCONT) makes the SHFE
  account DISCONNECTED on every node and HEALTHY again, while DCE stays
  HEALTHY and keeps ticking to the client; each node's gateways forward
  every sim_seq at most once, in order, the same ticks on every node.
"""
import json
import os
import signal
import subprocess
import time

import msgpack
import zmq

from hamdtest import (GW_SIM, Cluster, Front, Subscriber, check, free_ports,
                      gateway_of, gateway_states, healthy_gateway, log,
                      pump_until, release_dir, run, scratch_dir,
                      upstream_account, wait_for, wait_one_publisher)

SHFE = ["rb2601.SHFE", "cu2601.SHFE"]
DCE = ["i2601.DCE"]
SYMBOLS = SHFE + DCE
RATE = 20
# Fields that differ between two gateways forwarding the same tick.
PER_GATEWAY = ("localtime", "gateway_name")


def tcp_endpoints(n):
    return ["tcp://127.0.0.1:%d" % p for p in free_ports(n)]


def same_tick(a, b):
    """True when two tick bodies are equal but for the per-gateway fields."""
    strip = lambda t: {k: v for k, v in t.items() if k not in PER_GATEWAY}
    return strip(a) == strip(b)


def seqs_of(ticks, vt):
    return [t["extra"]["sim_seq"] for _, t in ticks if t["vt_symbol"] == vt]


def check_increasing(seqs, what):
    """Every sim_seq at most once, never backwards."""
    for a, b in zip(seqs, seqs[1:]):
        check(b > a, "%s: sim_seq %d after %d" % (what, b, a))


def check_contiguous(seqs, what):
    check(seqs, "%s: no ticks" % what)
    check(seqs == list(range(seqs[0], seqs[0] + len(seqs))),
          "%s: sim_seq not contiguous: %s" % (what, seqs[:40]))


# --------------------------------------------------------------------------
# A hub played by the test, for gateway-level checks
# --------------------------------------------------------------------------

class FakeHub:
    """A ROUTER at an ipc endpoint recording each gateway's messages; it
    answers every HELLO with a SUBSCRIBE of SYMBOLS, as hamd does."""

    def __init__(self, tmpdir):
        self.endpoint = "ipc://%s/hub.sock" % tmpdir
        self.sock = zmq.Context.instance().socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(self.endpoint)
        self.status = {}  # account -> [(monotonic, state, detail)]
        self.hbs = {}     # account -> [monotonic]
        self.ticks = {}   # account -> [(monotonic, tick)]
        self.procs = []

    def launch(self, account, params):
        env = dict(os.environ, HAMD_GW_ENDPOINT=self.endpoint,
                   HAMD_ACCOUNT=account, HAMD_GW_PARAMS=json.dumps(params))
        proc = subprocess.Popen([GW_SIM], env=env, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def pump(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not self.sock.poll(50):
                continue
            frames = self.sock.recv_multipart()
            now, acct, kind = time.monotonic(), frames[0].decode(), frames[1]
            bodies = [msgpack.unpackb(b, raw=False) for b in frames[2:]]
            if kind == b"HELLO":
                self.sock.send_multipart([frames[0], b"SUBSCRIBE",
                                          msgpack.packb({"symbols": SYMBOLS})])
            elif kind == b"STATUS":
                self.status.setdefault(acct, []).append(
                    (now, bodies[0]["state"], bodies[0].get("detail", "")))
            elif kind == b"HB":
                self.hbs.setdefault(acct, []).append(now)
            elif kind == b"TICK":
                self.ticks.setdefault(acct, []).extend((now, b) for b in bodies)

    def pump_until(self, pred, timeout, what):
        pump_until(self.pump, pred, timeout, what)

    def states(self, account, since=0.0):
        return [s for t, s, _ in self.status.get(account, []) if t >= since]

    def last_state(self, account):
        st = self.status.get(account)
        return st[-1][1] if st else None

    def ticks_since(self, account, since):
        return [(r, t) for r, t in self.ticks.get(account, []) if r >= since]

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        self.sock.close()


def control(endpoint, command):
    sock = zmq.Context.instance().socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 3000)
    sock.connect(endpoint)
    try:
        sock.send_string(command)
        return sock.recv_string()
    finally:
        sock.close()


def sim_status(endpoint):
    return json.loads(control(endpoint, "status"))


# --------------------------------------------------------------------------
# Gateway-level tests
# --------------------------------------------------------------------------

def test_front_feed_is_the_sim_feed():
    tmp = scratch_dir("front")
    ep1, ep2 = tcp_endpoints(2)
    fronts = [Front(ep1, os.path.join(tmp, "f1.log"), seed=7, rate=50).start(),
              Front(ep2, os.path.join(tmp, "f2.log"), seed=7, rate=50).start()]
    hub = FakeHub(tmp)
    try:
        hub.launch("up_a", {"upstream": ep1})
        hub.launch("up_b", {"upstream": ep2})
        hub.launch("sim_c", {"seed": 7, "rate": 50})
        hub.pump_until(lambda: all(len(hub.ticks.get(a, [])) >= 150
                                   for a in ("up_a", "up_b", "sim_c")),
                       20, "ticks from both fronts and the sim")
        # HELLO is answered, then the front's first answer connects
        check(hub.states("up_a")[:3] == ["connecting", "connected", "logged_in"],
              "up_a status sequence %s" % hub.states("up_a"))
        by_key = {}
        for acct in ("up_a", "up_b", "sim_c"):
            for _, t in hub.ticks[acct]:
                by_key.setdefault((t["vt_symbol"], t["extra"]["sim_seq"]), {})[acct] = t
            for vt in SYMBOLS:
                check_contiguous(seqs_of(hub.ticks[acct], vt), "%s %s" % (acct, vt))
        common = [k for k, v in by_key.items() if len(v) == 3]
        check(len(common) >= 60, "only %d ticks seen by all three" % len(common))
        for k in common:
            v = by_key[k]
            check(same_tick(v["up_a"], v["sim_c"]) and same_tick(v["up_b"], v["sim_c"]),
                  "tick %s differs: front %r, sim %r" % (k, v["up_a"], v["sim_c"]))
            check(v["up_a"]["gateway_name"] == "up_a",
                  "gateway_name %r" % v["up_a"]["gateway_name"])
    finally:
        hub.close()
        for f in fronts:
            f.stop()
        release_dir(tmp)


def test_upstream_link_and_faults():
    tmp = scratch_dir("front")
    (ep,) = tcp_endpoints(1)
    ctl = "ipc://%s/ctl.sock" % tmp
    front = Front(ep, os.path.join(tmp, "front.log"), rate=RATE).start()
    hub = FakeHub(tmp)
    try:
        gw = hub.launch("up_a", {"upstream": ep, "control": ctl, "login_ms": 100})
        hub.pump_until(lambda: len(hub.ticks.get("up_a", [])) >= 20, 20, "ticks")

        # The front stops answering: disconnected with the reason, HBs go on.
        front.signal(signal.SIGSTOP)
        t_stop = time.monotonic()
        hub.pump_until(lambda: hub.last_state("up_a") == "disconnected", 10,
                       "disconnected after SIGSTOP")
        detail = hub.status["up_a"][-1][2]
        check("silent for" in detail and ep in detail, "detail %r" % detail)
        t_down = time.monotonic()
        hub.pump(1.5)
        check(any(t > t_down for t in hub.hbs.get("up_a", [])),
              "no HB to the hub while the front link was down")
        check(not [1 for r, _ in hub.ticks_since("up_a", t_down + 0.2)],
              "ticks while disconnected")
        st = sim_status(ctl)
        check(st["upstream"]["link"] == "down" and st["link"] == "disconnected",
              "status while down: %r" % st)
        front.signal(signal.SIGCONT)
        t_cont = time.monotonic()
        hub.pump_until(lambda: hub.states("up_a", t_cont)[-1:] == ["logged_in"],
                       10, "logged_in after SIGCONT")
        check(hub.states("up_a", t_stop) == ["disconnected", "connected", "logged_in"],
              "status sequence %s" % hub.states("up_a", t_stop))
        hub.pump_until(lambda: len(hub.ticks_since("up_a", t_cont)) >= 10, 10,
                       "ticks after SIGCONT")

        # stall: no tick goes out, HBs do; none: ticks again
        check(control(ctl, "fault stall") == "ok", "fault stall")
        before = sim_status(ctl)["counters"]["ticks"]
        hub.pump(0.6)
        check(sim_status(ctl)["counters"]["ticks"] == before, "ticks under stall")
        check(control(ctl, "fault slow 400") == "ok", "fault slow")
        t_slow = time.monotonic()
        hub.pump_until(lambda: len(hub.ticks_since("up_a", t_slow + 0.5)) >= 5,
                       10, "ticks under slow")
        for _, t in hub.ticks_since("up_a", t_slow + 0.5):
            check(t["localtime"] - t["datetime"] >= 400e6,
                  "a tick under slow 400 was %.0f ms late"
                  % ((t["localtime"] - t["datetime"]) / 1e6))
        # disconnect: the fault's detail, not the front's; no HB
        check(control(ctl, "fault disconnect") == "ok", "fault disconnect")
        hub.pump_until(lambda: hub.last_state("up_a") == "disconnected", 5,
                       "disconnect fault")
        check(hub.status["up_a"][-1][2].startswith("sim fault=disconnect"),
              "detail %r" % hub.status["up_a"][-1][2])
        check(control(ctl, "fault none") == "ok", "fault none")
        t_none = time.monotonic()
        hub.pump_until(lambda: hub.last_state("up_a") == "logged_in", 5,
                       "logged_in after the disconnect fault")
        hub.pump_until(lambda: len(hub.ticks_since("up_a", t_none)) >= 10, 10,
                       "ticks after the disconnect fault")
        for vt in SYMBOLS:
            check_increasing(seqs_of(hub.ticks["up_a"], vt), "up_a " + vt)

        # The front process ends: the link is lost at once, not after 1 s.
        front.proc.kill()
        front.proc.wait()
        hub.pump_until(lambda: hub.last_state("up_a") == "disconnected", 5,
                       "disconnected after the front was killed")
        check("closed the connection" in hub.status["up_a"][-1][2],
              "detail %r" % hub.status["up_a"][-1][2])
        front.start()
        t_back = time.monotonic()
        hub.pump_until(lambda: len(hub.ticks_since("up_a", t_back)) >= 10, 15,
                       "ticks from the restarted front")
        check(control(ctl, "fault crash") == "ok", "fault crash")
        check(gw.wait(5) == 3, "crash exit status %s" % gw.returncode)
    finally:
        hub.close()
        front.stop()
        release_dir(tmp)


# --------------------------------------------------------------------------
# A cluster on two fronts
# --------------------------------------------------------------------------

EXTRA_INI = """
[health]
check_interval_ms = 50

[failover]
restart_after_ms = 30000
"""


def states_everywhere(c, account):
    return [gateway_states(c, i).get(account) for i in range(3)]


def taps_of(c, account):
    """A Subscriber on the tap of account's gateway on each node."""
    subs = []
    for i in range(3):
        pid = wait_for(lambda: (gateway_of(c, i, account) or {}).get("pid"), 10,
                       "pid of %s on node %d" % (account, i + 1))
        subs.append(Subscriber(["ipc://%s/tap-%d.sock" % (c.dir, pid)]))
    return subs


def pump_all(subs, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for s in subs:
            s.pump(0.02)


def check_nodes_agree(taps, vts, what):
    """Each node's sim_seq in order, at most once; the same tick for the
    same sim_seq on every node."""
    seen = {}
    for node, tap in enumerate(taps):
        for vt in vts:
            check_increasing(seqs_of(tap.ticks, vt), "%s node %d %s" % (what, node + 1, vt))
        for _, t in tap.ticks:
            key = (t["vt_symbol"], t["extra"]["sim_seq"])
            if key in seen:
                check(same_tick(seen[key], t), "%s %s differs between nodes" % (what, key))
            seen[key] = t


def test_cluster_front_outage():
    tmp = scratch_dir("fronts")
    ep_shfe, ep_dce = tcp_endpoints(2)
    f_shfe = Front(ep_shfe, os.path.join(tmp, "shfe.log"), rate=RATE,
                   exchanges=["SHFE"]).start()
    f_dce = Front(ep_dce, os.path.join(tmp, "dce.log"), rate=RATE,
                  exchanges=["DCE"]).start()
    c = Cluster(3, [], SYMBOLS, name="fronts", extra_ini=EXTRA_INI)
    per_pid = {"control": "ipc://%s/ctl-{pid}.sock" % c.dir,
               "tap": "ipc://%s/tap-{pid}.sock" % c.dir}
    c.accounts = [upstream_account("sim_shfe", 1, ["SHFE"], ep_shfe, **per_pid),
                  upstream_account("sim_dce", 1, ["DCE"], ep_dce, **per_pid)]
    c.rewrite_configs().start()
    subs = []
    try:
        wait_one_publisher(c, timeout=30)
        for acct in ("sim_shfe", "sim_dce"):
            wait_for(lambda: all(healthy_gateway(c, i, acct) for i in range(3)), 30,
                     "%s HEALTHY on every node" % acct)
        shfe_taps, dce_taps = taps_of(c, "sim_shfe"), taps_of(c, "sim_dce")
        client = Subscriber(c.publish_endpoints())
        subs = shfe_taps + dce_taps + [client]
        pump_all(subs, 2.0)

        log("SIGSTOP the SHFE front")
        f_shfe.signal(signal.SIGSTOP)
        try:
            wait_for(lambda: (pump_all(subs, 0.1) or
                              states_everywhere(c, "sim_shfe") == ["DISCONNECTED"] * 3),
                     15, "sim_shfe DISCONNECTED on every node", step=0)
            t_down = time.monotonic()
            check(states_everywhere(c, "sim_dce") == ["HEALTHY"] * 3,
                  "sim_dce while the SHFE front is stopped: %s"
                  % states_everywhere(c, "sim_dce"))
            for i in range(3):
                g = gateway_of(c, i, "sim_shfe")
                check(g["status"] == "disconnected" and "silent for" in g["detail"],
                      "node %d sim_shfe status %r %r" % (i + 1, g["status"], g["detail"]))
            pump_all(subs, 1.0)
        finally:
            f_shfe.signal(signal.SIGCONT)
        log("SIGCONT the SHFE front")
        wait_for(lambda: (pump_all(subs, 0.1) or
                          all(healthy_gateway(c, i, "sim_shfe") for i in range(3))),
                 20, "sim_shfe HEALTHY again on every node", step=0)
        t_back = time.monotonic()
        pump_all(subs, 2.0)

        # DCE never stopped: at the client during the outage, and on
        # every node without a hole
        check(any(r >= t_down and t["exchange"] == "DCE" for r, t in client.ticks),
              "no DCE tick reached the client while the SHFE front was stopped")
        check(any(r >= t_back and t["exchange"] == "SHFE" for r, t in client.ticks),
              "no SHFE tick reached the client after the SHFE front came back")
        for node, tap in enumerate(dce_taps):
            check_contiguous(seqs_of(tap.ticks, DCE[0]), "node %d DCE" % (node + 1))
        check_nodes_agree(shfe_taps, SHFE, "SHFE")
        check_nodes_agree(dce_taps, DCE, "DCE")
        # SHFE: a hole for the outage on every node, none after it
        for node, tap in enumerate(shfe_taps):
            for vt in SHFE:
                seqs = seqs_of(tap.ticks, vt)
                after = seqs_of([(r, t) for r, t in tap.ticks if r >= t_back], vt)
                check(len(after) >= 10, "node %d %s: %d ticks after the outage"
                      % (node + 1, vt, len(after)))
                check_contiguous(after, "node %d %s after the outage" % (node + 1, vt))
                check(seqs[-1] - seqs[0] + 1 > len(seqs),
                      "node %d %s: no hole for a 2 s outage" % (node + 1, vt))
        # the client: each contract's sim_seq in order, at most once
        for vt in SYMBOLS:
            check_increasing(seqs_of(client.ticks, vt), "client " + vt)
    finally:
        for s in subs:
            s.close()
        c.cleanup(keep=bool(os.environ.get("HAMD_KEEP")))
        f_shfe.stop()
        f_dce.stop()
        release_dir(tmp)


if __name__ == "__main__":
    run([test_front_feed_is_the_sim_feed, test_upstream_link_and_faults,
         test_cluster_front_outage])
