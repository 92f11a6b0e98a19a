"""A hamd cluster inside a network lab, deployed the way docs/deployment.md
says: one node per host namespace, raft/admin on the host's own address,
ticks bound on every address (so the VIP reaches them), the VIP moved by
deploy/hooks/vip-up and vip-down, or (Cluster(keepalived=True)) by one
keepalived per full host running deploy/keepalived/keepalived.conf, and
systemd's restart behaviour of deploy/systemd/hamd.service imitated where
a scenario needs it.

With Cluster(fronts=True) the accounts do not generate their ticks: one
simulated exchange front per exchange (hamd-gw-sim --front) runs in the
lab's front host, and each account's gateway, on every node, connects to
its exchange's front (docs/gw-sim.md, "Fronts and upstream mode"), so a
scenario can cut one host's line to one front with iptables.

Also here: the clients (client_sub.py in the client namespace, plain and
through the hamd package) and the account writer that proves acknowledged
writes survive.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("HAMD_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))

from hamdtest import (HACTL, HAMD, GW_SIM, Failure, account_ini,  # noqa: E402
                      check, front_argv, log, sim_account, upstream_account,
                      wait_for)
import analysis  # noqa: E402
import keepalivedlab  # noqa: E402
from netlab import LAB_NET, IFACE, Lab  # noqa: E402

VIP = LAB_NET + ".100"
VIP_PREFIXLEN = 24
RAFT_PORT = 7001
ADMIN_PORT = 8001
PUBLISH_PORT = 5551
SNAPSHOT_PORT = 5561
RELAY_PORT = 7101                # [peer.N] relay, on the lab network
HOOKS_DIR = os.path.join(SOURCE, "deploy", "hooks")
KEEPALIVED_CONF = os.path.join(SOURCE, "deploy", "keepalived", "keepalived.conf")
CLIENT_SUB = os.path.join(HERE, "client_sub.py")
PYTHON = "/usr/bin/python3"
NODE_HOSTS = ("n1", "n2", "n3")
CLIENT_HOST = "client"
FRONT_HOST = "front"             # the exchange fronts' host (fronts=True)
LAB_HOSTS = {"n1": 1, "n2": 2, "n3": 3, CLIENT_HOST: 50, FRONT_HOST: 60}
SYMBOLS = ("rb2601.SHFE", "cu2601.SHFE", "i2601.DCE")
SIM_RATE = 20                    # ticks per second per contract
SIM_SEED = 11                    # every account and front: the same ticks
# One front per exchange, and the account (priority 1) taking it.
FRONT_PORTS = {"SHFE": 6101, "DCE": 6102}
FRONT_ACCOUNTS = {"SHFE": "sim_shfe", "DCE": "sim_dce"}
RESTART_SEC_S = 1.0              # hamd.service RestartSec
STOP_TIMEOUT_S = 20              # hamd.service TimeoutStopSec
STATUS_TIMEOUT_S = 0.5           # a frozen node must not stall the polls
WRITE_TIMEOUT_S = 3.0            # an admin write waits for a commit
WRITE_INTERVAL_S = 0.1           # the background writer's pace
# Proxies would send admin calls out of the lab; hamd and hactl get none.
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
              "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def make_lab():
    """The lab the scenarios share: three node hosts and a client."""
    return Lab(LAB_HOSTS, name="lab").up()


def clean_env(extra=None):
    """This process's environment without proxies and HAMD_* settings (the
    test decides those), plus extra."""
    env = {k: v for k, v in os.environ.items()
           if k not in PROXY_VARS and not k.startswith("HAMD_")}
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
    env.update(extra or {})
    return env


def log_tail(path, lines=40):
    """The last lines of a log file ("" when there is none)."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class Node:
    """One hamd process in one host namespace."""

    def __init__(self, cluster, nid, host, role):
        self.cluster = cluster
        self.lab = cluster.lab
        self.id = nid
        self.host = host
        self.role = role
        self.ip = self.lab.ip(host)
        self.admin = "%s:%d" % (self.ip, ADMIN_PORT)
        self.dir = os.path.join(cluster.dir, "n%d" % nid)
        self.config = os.path.join(cluster.dir, "node%d.ini" % nid)
        self.logfile = os.path.join(cluster.dir, "node%d.log" % nid)
        self.proc = None
        self.powered = True     # False while the host is "switched off"
        self.keepalived = None  # its keepalivedlab.Keepalived, if any
        os.makedirs(self.dir, exist_ok=True)
        # The hooks read the VIP settings from a file, as installed ones do.
        self.vip_conf = os.path.join(self.dir, "vip.conf")
        with open(self.vip_conf, "w") as f:
            f.write("# written by the chaos tests\nHAMD_VIP=%s\nHAMD_VIP_IFACE=%s\n"
                    "HAMD_VIP_PREFIX=%d\nHAMD_VIP_RUN_DIR=%s\n"
                    % (VIP, IFACE, VIP_PREFIXLEN, self.dir))
        # keepalived's track file, which keepalived-track writes (the
        # hooks and ExecStopPost with keepalived): per node, as each lab
        # host shares the machine's /run.
        self.track_file = os.path.join(self.dir, "publishing")
        self.env = clean_env({"HAMD_VIP_CONF": self.vip_conf,
                              "HAMD_TRACK_FILE": self.track_file,
                              "HAMD_TRACK_HACTL": HACTL,
                              "HAMD_TRACK_CONFIG": self.config})

    @property
    def witness(self):
        return self.role == "witness"

    def start(self):
        with open(self.logfile, "ab") as logf:
            self.proc = self.lab.popen(self.host, [HAMD, "--config", self.config],
                                       stdout=logf, stderr=subprocess.STDOUT,
                                       env=self.env)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        """Waits for the process to end; returns its exit status."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure("node %d still running %.0fs after the signal"
                          % (self.id, timeout))

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM, as `systemctl stop` does; SIGKILL after the timeout.
        Returns the exit status (None when it was not running)."""
        if not self.alive():
            return None
        self.signal(signal.SIGTERM)
        return self.wait_stopped(timeout)

    def wait_stopped(self, timeout=STOP_TIMEOUT_S):
        """Waits for a stop already asked for; SIGKILL after the timeout,
        as systemd does after TimeoutStopSec."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("node %d ignored SIGTERM for %ds" % (self.id, timeout))

    def exec_stop_post(self, result="success"):
        """What hamd.service's ExecStopPost does after any stop, told how
        the service ended as systemd tells it (SERVICE_RESULT: "success"
        after a clean stop, "signal" after kill -9): vip-down, or with
        keepalived keepalived-track (its drop-in, deploy/keepalived).
        Returns what the hook logged."""
        hook = "keepalived-track" if self.cluster.keepalived else "vip-down"
        env = dict(self.env, SERVICE_RESULT=result)
        r = subprocess.run(self.lab.argv(self.host, [os.path.join(HOOKS_DIR, hook)]),
                           env=env, capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            raise Failure("node %d: ExecStopPost %s -> %d: %s"
                          % (self.id, hook, r.returncode, r.stderr.strip()))
        return r.stderr

    def crash_and_restart(self):
        """kill -9, then what systemd does with Restart=always: ExecStopPost
        at once (vip-down keeps the VIP until the new leader announces
        it; keepalived-track keeps keepalived's claim until another node
        publishes), a new hamd RestartSec after that. Returns what the
        hook logged."""
        self.signal(signal.SIGKILL)
        self.wait_exit(5)
        said = self.exec_stop_post("signal")
        time.sleep(RESTART_SEC_S)
        self.start()
        return said

    def power_off(self):
        """The host dies: every process in it at once, and its cable."""
        self.lab.kill_all(self.host)
        if self.proc:
            self.proc.wait(5)
        self.lab.link(self.host, False)
        self.powered = False

    def power_on(self):
        """The host boots: only its configured address, cable in, hamd
        started by systemd."""
        self.lab.drop_extra_addresses(self.host)
        self.lab.link(self.host, True)
        self.powered = True
        self.start()

    def holds_vip(self):
        return self.powered and VIP in self.lab.addresses(self.host)

    def log_tail(self, lines=40):
        return log_tail(self.logfile, lines)


class Fronts:
    """The simulated exchange fronts, one per exchange, in the front host."""

    def __init__(self, lab, dir_):
        self.lab = lab
        self.dir = dir_
        self.procs = {}  # exchange -> Popen

    @staticmethod
    def endpoint(lab, exchange):
        """Where the gateways reach the front of exchange."""
        return "tcp://%s:%d" % (lab.ip(FRONT_HOST), FRONT_PORTS[exchange])

    def start(self):
        """Starts the fronts not running yet."""
        for exchange, port in FRONT_PORTS.items():
            p = self.procs.get(exchange)
            if p and p.poll() is None:
                continue
            argv = front_argv("tcp://0.0.0.0:%d" % port, seed=SIM_SEED,
                              rate=SIM_RATE, exchanges=[exchange])
            with open(os.path.join(self.dir, "front-%s.log" % exchange), "ab") as logf:
                self.procs[exchange] = self.lab.popen(
                    FRONT_HOST, argv, stdout=logf, stderr=subprocess.STDOUT,
                    env=clean_env())

    def stop(self):
        """Ends every front (and anything else in the front host)."""
        self.lab.kill_all(FRONT_HOST)
        for p in self.procs.values():
            p.wait(5)
        self.procs = {}


class Cluster:
    """Three hamd nodes in the lab: three voters, or two and a witness.
    The VIP moves with the hooks, or with keepalived when asked; the
    accounts generate their ticks, or take them from fronts."""

    def __init__(self, lab, tag, witness=False, keepalived=False, fronts=False):
        self.lab = lab
        self.tag = tag
        self.keepalived = keepalived
        self.dir = tempfile.mkdtemp(prefix="hamdc-%s-" % tag)
        self.fronts = Fronts(lab, self.dir) if fronts else None
        roles = ["voter", "voter", "witness" if witness else "voter"]
        self.nodes = [Node(self, i + 1, NODE_HOSTS[i], roles[i]) for i in range(3)]
        for n in self.nodes:
            with open(n.config, "w") as f:
                f.write(self.ini(n))
        if keepalived:
            self._add_keepalived()

    def _add_keepalived(self):
        """One keepalived per full node, from the shipped config."""
        with open(KEEPALIVED_CONF) as f:
            shipped = f.read()
        # keepalived runs a script only when no one but root can write to
        # it or a directory above it (enable_script_security): a copy of
        # the hook (and the library it sources, and the hactl it runs) in
        # this root-owned 0700 dir passes wherever the checkout lives.
        for name in ("keepalived-track", "hook-lib.sh"):
            shutil.copy2(os.path.join(HOOKS_DIR, name), os.path.join(self.dir, name))
        hactl = os.path.join(self.dir, "hactl")
        shutil.copy2(HACTL, hactl)
        full = [n for n in self.nodes if not n.witness]
        for n in full:
            # the check's settings, as /etc/hamd/keepalived-track.conf
            settings = os.path.join(n.dir, "keepalived-track.conf")
            with open(settings, "w") as f:
                f.write("HAMD_TRACK_FILE=%s\nHAMD_TRACK_HACTL=%s\nHAMD_TRACK_CONFIG=%s\n"
                        % (n.track_file, hactl, n.config))
            text = keepalivedlab.lab_config(
                shipped, router_id="hamd_node%d" % n.id, iface=IFACE, src_ip=n.ip,
                peers=[p.ip for p in full if p is not n],
                vip_cidr="%s/%d" % (VIP, VIP_PREFIXLEN),
                hook=os.path.join(self.dir, "keepalived-track"), settings=settings,
                track_file=n.track_file)
            workdir = os.path.join(self.dir, "keepalived%d" % n.id)
            os.makedirs(workdir)
            n.keepalived = keepalivedlab.Keepalived(self.lab, n.host, workdir, text,
                                                    clean_env())

    def ini(self, node):
        out = ["; chaos test %s, node %d" % (self.tag, node.id), "[node]",
               "id = %d" % node.id, "data_dir = %s" % node.dir, "log_level = info", ""]
        for n in self.nodes:
            out += ["[peer.%d]" % n.id,
                    "raft = %s:%d" % (n.ip, RAFT_PORT),
                    "admin = %s" % n.admin,
                    "publish = tcp://0.0.0.0:%d" % PUBLISH_PORT,
                    "snapshot = tcp://0.0.0.0:%d" % SNAPSHOT_PORT]
            if not n.witness:
                out.append("relay = tcp://%s:%d" % (n.ip, RELAY_PORT))
            out += ["role = %s" % n.role, ""]
        out += ["[gateways]", "sim = %s" % os.path.abspath(GW_SIM),
                "restart_backoff_min_ms = 100", "restart_backoff_max_ms = 2000",
                "stop_grace_ms = 1000", "",
                "[failover]", "revert_after_s = 0", ""]
        if not node.witness:
            up, down = ("keepalived-track",) * 2 if self.keepalived else ("vip-up", "vip-down")
            out += ["[hooks]", "on_leader = %s" % os.path.join(HOOKS_DIR, up),
                    "on_follower = %s" % os.path.join(HOOKS_DIR, down)]
            # as deploy/keepalived/README.md says
            out += ["handover_release_ms = 0"] if self.keepalived else []
            out += [""]
        text = "\n".join(out) + "\n"
        for acct in self.accounts():
            text += account_ini(acct) + "\n"
        return text + "[subscriptions]\nsymbols = %s\n" % ", ".join(SYMBOLS)

    def accounts(self):
        """Two sims on both exchanges; with fronts, one account per
        exchange, on its front."""
        if not self.fronts:
            return [sim_account("sim_a", 1, ["SHFE", "DCE"], seed=SIM_SEED, rate=SIM_RATE),
                    sim_account("sim_b", 2, ["SHFE", "DCE"], seed=SIM_SEED, rate=SIM_RATE)]
        return [upstream_account(FRONT_ACCOUNTS[x], 1, [x], Fronts.endpoint(self.lab, x))
                for x in sorted(FRONT_PORTS)]

    # -- processes -------------------------------------------------------------

    def start(self):
        """Starts every node, and the keepalived daemons and fronts not
        running yet."""
        if self.fronts:
            self.fronts.start()
        for n in self.nodes:
            n.start()
            if n.keepalived and not n.keepalived.alive():
                n.keepalived.start()
        return self

    def stop(self):
        """Stops every node (one SIGTERM each, at once, like `systemctl
        stop` on every host); returns {node id: exit status}."""
        running = [n for n in self.nodes if n.alive()]
        for n in running:
            n.signal(signal.SIGTERM)
        return {n.id: n.wait_stopped() for n in running}

    def report_hangups(self):
        """Prints the SIGHUP lines of every node's log: nothing in the lab
        sends one, yet one stopped a node once, before hamd logged the
        sender (hamd(8), Signals)."""
        for n in self.nodes:
            try:
                with open(n.logfile, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            for line in text.splitlines():
                if "SIGHUP" in line:
                    log("node %d: %s" % (n.id, line.strip()))

    def teardown(self, keep=False):
        """Ends every process of the cluster and resets the hosts."""
        daemons = [n.keepalived for n in self.nodes if n.keepalived]
        for k in daemons:        # all at once: each takes about 1 s to stop
            k.terminate()
        for k in daemons:
            k.wait_stopped()
        self.report_hangups()
        for n in self.nodes:
            if n.proc and n.proc.poll() is None:
                n.signal(signal.SIGCONT)
                n.proc.kill()
                n.proc.wait()
            self.lab.kill_all(n.host)
            self.lab.unblock(n.host)
            self.lab.link(n.host, True)
            self.lab.drop_extra_addresses(n.host)
        if self.fronts:
            self.fronts.stop()
        if keep:
            log("kept %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- admin API, from the client host --------------------------------------

    def api(self, node, method, path, body=None, timeout=STATUS_TIMEOUT_S):
        return self.lab.http(CLIENT_HOST, node.admin, method, path, body, timeout)

    def status(self, node):
        if not node.powered:
            return None
        code, body = self.api(node, "GET", "/api/status")
        return body if code == 200 and isinstance(body, dict) else None

    def publishers(self, nodes=None):
        """Nodes that say they publish."""
        out = []
        for n in nodes or self.nodes:
            st = self.status(n)
            if st and st.get("publishing"):
                out.append(n)
        return out

    def converged(self, nodes):
        """The leader when the given nodes agree: all answer, exactly one
        publishes, every one names it leader, and the VIP is on that host
        and no other switched-on host; else None."""
        states = {n.id: self.status(n) for n in nodes}
        if any(s is None for s in states.values()):
            return None
        pubs = [n for n in nodes if states[n.id].get("publishing")]
        if len(pubs) != 1:
            return None
        leader = pubs[0]
        if any(s.get("leader") != leader.id for s in states.values()):
            return None
        holders = [n for n in self.nodes if n.holds_vip()]
        return leader if holders == [leader] else None

    def wait_converged(self, nodes=None, timeout=20.0):
        """Waits until converged(nodes) (default: every switched-on node);
        fails at once when one of them exited."""
        nodes = nodes or [n for n in self.nodes if n.powered]

        def ready():
            for n in nodes:
                if n.proc is not None and n.proc.poll() is not None:
                    raise Failure("node %d exited with status %s: %s" % (
                        n.id, n.proc.returncode, n.log_tail(1)))
                if n.keepalived and not n.keepalived.alive():
                    raise Failure("keepalived of node %d exited: %s" % (
                        n.id, log_tail(n.keepalived.logfile, 3)))
            return self.converged(nodes)
        return wait_for(ready, timeout, "nodes %s to converge (one publisher, VIP on it)"
                        % [n.id for n in nodes], step=0.1)

    def wait_stable(self, hold_s, timeout=30.0):
        """Waits until the cluster stayed converged, with the same leader,
        for hold_s: start-up lease changes and the hooks they queued are
        over. Returns the leader."""
        end = time.monotonic() + timeout
        since, leader = None, None
        while time.monotonic() < end:
            now_leader = self.converged([n for n in self.nodes if n.powered])
            if now_leader is None or now_leader is not leader:
                since, leader = time.monotonic(), now_leader
            elif time.monotonic() - since >= hold_s:
                return leader
            time.sleep(0.1)
        raise Failure("the cluster did not stay converged for %.1fs within %.0fs"
                      % (hold_s, timeout))

    def gateway_states(self, node):
        """{account: health state} of node's gateways ({} when it does not
        answer)."""
        st = self.status(node) or {}
        return {g["account"]: g["state"] for g in st.get("gateways", [])}

    def cut_front(self, node, exchange=None):
        """Cuts node's host off the front of exchange (None: every front)
        with iptables in that host: its gateways hear nothing from the
        front, while every other host's line stays up."""
        port = FRONT_PORTS[exchange] if exchange else None
        self.lab.cut(node.host, FRONT_HOST, port)

    def restore_front(self, node):
        """Undoes every cut_front of node."""
        self.lab.unblock(node.host, FRONT_HOST)

    def term(self, node):
        st = self.status(node)
        return st.get("term") if st else None

    def check_is_leader(self, leader):
        """`hactl -c CONFIG is-leader`, run on each host with that host's
        config as keepalived would: exit 0 on the leader only."""
        if not os.access(HACTL, os.X_OK):
            return []
        bad = []
        for n in self.nodes:
            if not n.powered:
                continue
            r = self.lab.sh(n.host, [HACTL, "--timeout", "800", "-c", n.config,
                                     "is-leader"], check=False)
            want = 0 if n is leader else None
            if (want == 0) != (r.returncode == 0):
                bad.append("hactl is-leader on node %d exited %d (leader is node %d)"
                           % (n.id, r.returncode, leader.id))
        return bad

    # -- writes --------------------------------------------------------------

    def write_account(self, node, aid):
        """True when node acknowledged creating account aid."""
        body = {"id": aid, "gateway_type": "sim", "priority": 500,
                "enabled": False, "exchanges": ["SHFE"], "params": {"seed": 1}}
        code, _ = self.api(node, "POST", "/api/accounts", body, timeout=WRITE_TIMEOUT_S)
        return code in (200, 201)

    def account_ids(self, node):
        code, body = self.api(node, "GET", "/api/accounts", timeout=2.0)
        if code != 200:
            return None
        items = body.get("accounts", []) if isinstance(body, dict) else body
        return {a.get("id") for a in items if isinstance(a, dict)}

    def missing_writes(self, acked, timeout=10.0):
        """{node id: ids acknowledged but absent there}, waiting for the
        followers to catch up; empty when nothing was lost."""
        nodes = [n for n in self.nodes if n.powered]
        end = time.monotonic() + timeout
        while True:
            missing = {}
            for n in nodes:
                ids = self.account_ids(n)
                lost = set(acked) - (ids or set())
                if lost:
                    missing[n.id] = sorted(lost)
            if not missing or time.monotonic() > end:
                return missing
            time.sleep(0.2)


class Writer(threading.Thread):
    """Creates accounts through the admin API every WRITE_INTERVAL_S while a
    fault happens, moving on to the next node when one does not answer;
    remembers which writes were acknowledged."""

    def __init__(self, cluster, prefix):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.prefix = prefix
        self.acked = []
        self.failed = 0
        self.halt = threading.Event()

    def run(self):
        nodes = self.cluster.nodes
        k, at = 0, 0
        while not self.halt.is_set():
            node = nodes[at % len(nodes)]
            aid = "%s%d" % (self.prefix, k)
            k += 1  # a timed-out write may still land: never reuse an id
            if node.powered and self.cluster.write_account(node, aid):
                self.acked.append(aid)
            else:
                self.failed += 1
                at += 1
            self.halt.wait(WRITE_INTERVAL_S)

    def stop(self):
        self.halt.set()
        self.join(WRITE_TIMEOUT_S + 5)
        return self.acked


class Client:
    """client_sub.py on the VIP, inside the client host: the plain
    subscriber, or with library=True the hamd package's Client (with the
    VIP's snapshot endpoint)."""

    def __init__(self, lab, path, library=False):
        self.lab = lab
        self.path = path
        self.library = library
        self.proc = None

    def start(self):
        errf = open(self.path + ".err", "ab")
        cmd = [PYTHON, CLIENT_SUB, "--endpoint", "tcp://%s:%d" % (VIP, PUBLISH_PORT),
               "--out", self.path]
        env = clean_env()
        if self.library:
            cmd += ["--library", "--snapshot", "tcp://%s:%d" % (VIP, SNAPSHOT_PORT)]
            env["PYTHONPATH"] = os.path.join(SOURCE, "src", "python")
        self.proc = self.lab.popen(CLIENT_HOST, cmd, stdout=errf,
                                   stderr=subprocess.STDOUT, env=env)
        errf.close()
        return self

    def records(self):
        try:
            with open(self.path) as f:
                return analysis.parse(f.readlines())
        except FileNotFoundError:
            return [], [], [], []

    def ticks(self):
        return self.records()[0]

    def sources_since(self, t_ns):
        """{vt_symbol: set of gateway_name} of the ticks since t_ns."""
        out = {}
        for k in self.ticks():
            if k.t >= t_ns:
                out.setdefault(k.vt, set()).add(k.gw)
        return out

    def wait_ticks(self, count, after_ns=0, min_term=0, timeout=15.0):
        """Waits until count ticks of term >= min_term arrived after after_ns."""
        def enough():
            check(self.proc.poll() is None, "the client exited (%s)" % self.path)
            n = sum(1 for k in self.ticks() if k.t > after_ns and k.term >= min_term)
            return n >= count
        wait_for(enough, timeout, "%d ticks at the client through the VIP"
                 " (term >= %d)" % (count, min_term), step=0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
