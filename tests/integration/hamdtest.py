"""Test harness: real hamd processes on 127.0.0.1, a Python client.

The client uses Debian's python3-zmq and python3-msgpack, as a quant user
would, so the wire format is checked by code nobody here wrote.
"""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

import msgpack
import zmq

BUILD = os.environ.get("HAMD_BUILD_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build")
SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAKE_CA = os.path.join(SOURCE, "deploy", "examples", "tls", "make-ca.sh")
HAMD = os.path.join(BUILD, "src", "hamd")
HACTL = os.path.join(BUILD, "src", "hactl")
GW_SIM = os.path.join(BUILD, "src", "hamd-gw-sim")

TICK_FIELDS = {
    "symbol": str, "exchange": str, "vt_symbol": str, "gateway_name": str,
    "name": str, "datetime": int, "localtime": int, "volume": float,
    "turnover": float, "open_interest": float, "last_price": float,
    "last_volume": float, "limit_up": float, "limit_down": float,
    "open_price": float, "high_price": float, "low_price": float,
    "pre_close": float, "term": int, "seq": int, "node": int, "hub_ns": int,
}
for _i in range(1, 6):
    for _k in ("bid_price", "ask_price", "bid_volume", "ask_volume"):
        TICK_FIELDS["%s_%d" % (_k, _i)] = float


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def wait_for(pred, timeout, what, step=0.05):
    """Polls pred until it returns a truthy value; raises after timeout."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise Failure("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(step)


def wait_for_value(fn, timeout, what, step=0.05):
    """Like wait_for, for a function whose answer may be 0 or "": waits
    until it returns something other than None, and returns that."""
    return wait_for(lambda: (lambda v: None if v is None else [v])(fn()),
                    timeout, what, step)[0]


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def pump_until(pump, pred, timeout, what):
    """Calls pump(0.05) until pred() is true; raises after timeout."""
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise Failure("timed out after %.1fs waiting for %s" % (timeout, what))
        pump(0.05)


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


# --------------------------------------------------------------------------
# What a failed test leaves behind
# --------------------------------------------------------------------------

# A test's scratch directories (a cluster's node logs, with its gateways'
# output, configs and data dirs; the clients' output) are removed when the
# test passes and moved here when it fails, so that an intermittent failure
# can be read afterwards: <KEEP_DIR>/<program>.<test>-<UTC time>/.
KEEP_DIR = os.path.abspath(os.environ.get("HAMD_TEST_KEEP_DIR") or
                           os.path.join(BUILD, "test-failures"))

_scratch = {
    "test": None,    # name of the test run() is running, None between tests
    "released": [],  # dirs the running test is done with: its verdict decides
    "failed": [],    # (name, traceback) of the tests of this program that failed
}


def scratch_dir(name):
    """A new temp dir for a test's processes; give it back with
    release_dir (kept if the test fails, removed if it passes)."""
    return tempfile.mkdtemp(prefix="hamd-%s-" % name)


def release_dir(path):
    """The test is done with path (its processes stopped). In a test run()
    runs, the test's verdict decides; outside one (a cluster shared by the
    tests, cleaned up at exit) it is kept when a test of this program
    failed, else removed."""
    if _scratch["test"] is not None:
        _scratch["released"].append(path)
    elif _scratch["failed"]:
        keep_dirs([path], "shared", "\n".join("%s failed:\n%s" % f
                                              for f in _scratch["failed"]))
    else:
        shutil.rmtree(path, ignore_errors=True)


def _move_dir(src, dst):
    """Renames src to dst, or copies it (sockets and FIFOs left out) when
    they are on different file systems."""
    try:
        os.rename(src, dst)
    except OSError:
        def special(d, names):
            return [n for n in names if not (os.path.isdir(os.path.join(d, n)) or
                                             os.path.isfile(os.path.join(d, n)))]
        shutil.copytree(src, dst, symlinks=True, ignore=special)
        shutil.rmtree(src, ignore_errors=True)


def keep_dirs(paths, label, why):
    """Moves paths under KEEP_DIR/<program>.<label>-<UTC time>/ beside a
    failure.txt saying why; logs and returns that dir (None when there is
    nothing to keep)."""
    paths = [p for p in paths if os.path.isdir(p)]
    if not paths:
        return None
    program = os.path.splitext(os.path.basename(sys.argv[0]))[0] or "python"
    dest = os.path.join(KEEP_DIR, "%s.%s-%s" % (
        program, label, time.strftime("%Y%m%d-%H%M%S", time.gmtime())))
    while os.path.exists(dest):        # two failures in the same second
        dest += "+"
    try:
        os.makedirs(dest)
        with open(os.path.join(dest, "failure.txt"), "w") as f:
            f.write(why.rstrip("\n") + "\n")
        for p in paths:
            _move_dir(p, os.path.join(dest, os.path.basename(p.rstrip("/"))))
    except OSError as e:  # a read-only build tree, a full disk
        log("could not keep them in %s (%s): left in %s" % (dest, e, " ".join(
            p for p in paths if os.path.isdir(p))))
        return None
    log("kept the logs and data dirs in %s" % dest)
    return dest


def record_failure(name, why):
    """Notes that test `name` failed (why: its traceback), so that the
    dirs released outside a test are kept: for a program that runs its
    tests in a loop of its own, not with run() (tests/browser)."""
    _scratch["failed"].append((name, why))


def _settle_test(name, failure):
    """Removes the dirs the test released (failure None), or keeps them
    beside failure (the traceback); returns the kept dir or None."""
    released, _scratch["released"], _scratch["test"] = _scratch["released"], [], None
    if failure is None:
        for p in released:
            shutil.rmtree(p, ignore_errors=True)
        return None
    record_failure(name, failure)
    return keep_dirs(released, name, failure)


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------

def account_ini(acct):
    lines = ["[account.%s]" % acct["id"]]
    for k in ("name", "gateway_type", "priority", "enabled", "canary"):
        if k in acct:
            v = acct[k]
            lines.append("%s = %s" % (k, str(v).lower() if isinstance(v, bool) else v))
    lines.append("exchanges = %s" % ", ".join(acct["exchanges"]))
    lines.append("params = %s" % json.dumps(acct.get("params", {})))
    return "\n".join(lines) + "\n"


def sim_account(aid, priority, exchanges, seed=7, rate=20, **params):
    p = {"seed": seed, "rate": rate}
    p.update(params)
    return {"id": aid, "gateway_type": "sim", "priority": priority,
            "enabled": True, "exchanges": exchanges, "params": p}


def front_argv(endpoint, seed=7, rate=20, exchanges=None):
    """The command line of a simulated front (hamd-gw-sim --front)."""
    argv = [os.path.abspath(GW_SIM), "--front", endpoint, "--seed", str(seed), "--rate", str(rate)]
    if exchanges:
        argv += ["--exchanges", ",".join(exchanges)]
    return argv


def upstream_account(aid, priority, exchanges, upstream, **params):
    """An account whose hamd-gw-sim forwards the front at upstream."""
    p = {"upstream": upstream}
    p.update(params)
    return {"id": aid, "gateway_type": "sim", "priority": priority,
            "enabled": True, "exchanges": exchanges, "params": p}


class Front:
    """A simulated front process (hamd-gw-sim --front), logging to a file."""

    def __init__(self, endpoint, logpath, **kw):
        self.endpoint = endpoint
        self.argv = front_argv(endpoint, **kw)
        self.logpath = logpath
        self.proc = None

    def start(self):
        with open(self.logpath, "ab") as logf:
            self.proc = subprocess.Popen(self.argv, stdout=logf,
                                         stderr=subprocess.STDOUT)
        return self

    def signal(self, sig):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self):
        """SIGCONT (it may be stopped), SIGTERM, and wait; returns the exit
        status (None when it was not running)."""
        if not self.proc or self.proc.poll() is not None:
            return None
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            return self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("front %s ignored SIGTERM" % self.endpoint)


def make_tls(directory, n_nodes):
    """A private CA and a certificate for 127.0.0.1 per node, made by
    deploy/examples/tls/make-ca.sh in directory/tls. Returns its dir."""
    tls = os.path.join(directory, "tls")
    subprocess.run(["sh", MAKE_CA, tls] +
                   ["node%d=127.0.0.1,localhost" % (i + 1)
                    for i in range(n_nodes)],
                   check=True, capture_output=True)
    return tls


class Cluster:
    """n hamd nodes (n = 0: one standalone node) in a temp dir; with tls,
    their admin APIs speak HTTPS, certificates of a private CA
    (self.ca)."""

    def __init__(self, n_nodes, accounts, symbols, extra_ini="", name="t",
                 env=None, tls=False):
        self.dir = scratch_dir(name)
        self.standalone = n_nodes == 0
        count = max(n_nodes, 1)
        ports = free_ports(5 * count)
        self.nodes = []
        for i in range(count):
            nid = i + 1
            self.nodes.append({
                "id": nid,
                "raft": "127.0.0.1:%d" % ports[5 * i],
                "admin": "127.0.0.1:%d" % ports[5 * i + 1],
                "publish": "tcp://127.0.0.1:%d" % ports[5 * i + 2],
                "snapshot": "tcp://127.0.0.1:%d" % ports[5 * i + 3],
                "relay": "tcp://127.0.0.1:%d" % ports[5 * i + 4],
                "data_dir": os.path.join(self.dir, "node%d" % nid),
                "proc": None, "log": None,
            })
        self.accounts = accounts
        self.symbols = symbols
        self.extra_ini = extra_ini
        self.tls_dir = make_tls(self.dir, count) if tls else None
        self.ca = os.path.join(self.tls_dir, "ca.pem") if tls else None
        self.env = dict(os.environ)
        self.env.update(env or {})
        for n in self.nodes:
            os.makedirs(n["data_dir"], exist_ok=True)
            n["config"] = os.path.join(self.dir, "node%d.ini" % n["id"])
            with open(n["config"], "w") as f:
                f.write(self.ini(n))

    def ini(self, node):
        out = ["[node]", "id = %d" % node["id"],
               "data_dir = %s" % node["data_dir"], "log_level = info"]
        if self.standalone:
            out += ["admin = %s" % node["admin"], "publish = %s" % node["publish"],
                    "snapshot = %s" % node["snapshot"]]
        out.append("")
        if not self.standalone:
            for n in self.nodes:
                out += ["[peer.%d]" % n["id"], "raft = %s" % n["raft"],
                        "admin = %s" % n["admin"], "publish = %s" % n["publish"],
                        "snapshot = %s" % n["snapshot"], "relay = %s" % n["relay"],
                        "role = %s" % n.get("role", "voter"), ""]
        if self.tls_dir:
            base = os.path.join(self.tls_dir, "node%d" % node["id"])
            out += ["[admin]", "tls_cert = %s.pem" % base,
                    "tls_key = %s.key" % base,
                    "tls_ca = %s" % self.ca, ""]
        out += ["[gateways]", "sim = %s" % os.path.abspath(GW_SIM),
                "restart_backoff_min_ms = 100", "restart_backoff_max_ms = 2000",
                "stop_grace_ms = 1000", ""]
        text = "\n".join(out) + "\n"
        for a in self.accounts:
            text += account_ini(a) + "\n"
        text += "[subscriptions]\n"
        for i in range(0, len(self.symbols), 500):  # the key may repeat
            text += "symbols = %s\n" % ", ".join(self.symbols[i:i + 500])
        text += "\n"
        return text + self.extra_ini

    def with_control(self):
        """Gives every sim account a control socket in the cluster's dir
        (sim_control talks to it) and writes the configs again."""
        for a in self.accounts:
            a["params"]["control"] = "ipc://%s/ctl-{pid}.sock" % self.dir
        return self.rewrite_configs()

    def rewrite_configs(self):
        """Writes every node's config again (after changing accounts,
        symbols or extra_ini)."""
        for n in self.nodes:
            with open(n["config"], "w") as f:
                f.write(self.ini(n))
        return self

    def start(self, idx=None):
        for n in (self.nodes if idx is None else [self.nodes[idx]]):
            n["log"] = open(os.path.join(self.dir, "node%d.log" % n["id"]), "ab")
            n["proc"] = subprocess.Popen([HAMD, "--config", n["config"]],
                                         stdout=n["log"], stderr=subprocess.STDOUT,
                                         env=self.env)
        return self

    def stop(self, idx=None, sig=signal.SIGTERM, timeout=15):
        for n in (self.nodes if idx is None else [self.nodes[idx]]):
            p = n["proc"]
            if p and p.poll() is None:
                p.send_signal(sig)
        for n in (self.nodes if idx is None else [self.nodes[idx]]):
            p = n["proc"]
            if p:
                try:
                    p.wait(timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    raise Failure("node %d did not stop within %ds" % (n["id"], timeout))
            if n["log"]:
                n["log"].close()
                n["log"] = None

    def kill(self, idx):
        self.stop(idx, sig=signal.SIGKILL)

    def log_text(self, idx=0):
        with open(os.path.join(self.dir, "node%d.log" % self.nodes[idx]["id"]),
                  "rb") as f:
            return f.read().decode("utf-8", "replace")

    def publish_endpoints(self):
        return [n["publish"] for n in self.nodes]

    def snapshot_endpoints(self):
        return [n["snapshot"] for n in self.nodes]

    def url(self, idx, path):
        """The URL of path on node idx's admin API."""
        return "%s://%s%s" % ("https" if self.tls_dir else "http",
                              self.nodes[idx]["admin"], path)

    def api(self, idx, method, path, body=None, token=None, timeout=5):
        """(status, parsed JSON or text) of an admin API call to node idx."""
        url = self.url(idx, path)
        data = None if body is None else (
            body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        ctx = ssl.create_default_context(cafile=self.ca) if self.ca else None
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
                raw, status = r.read(), r.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def hactl(self, *args, idx=0, check_rc=True, timeout=30):
        cmd = [HACTL, "-c", self.nodes[idx]["config"]] + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           env=self.env)
        if check_rc and r.returncode != 0:
            raise Failure("%s -> %d\n%s%s" % (" ".join(cmd), r.returncode,
                                              r.stdout, r.stderr))
        return r

    def cleanup(self, keep=False):
        """Stops the nodes; keep leaves the dir where it is, else it is
        released (release_dir: kept only if the test fails)."""
        try:
            self.stop()
        except Failure:
            pass
        if keep:
            log("kept %s" % self.dir)
        else:
            release_dir(self.dir)


def node_status(c, idx, timeout=2):
    """GET /api/status of node idx as a dict, or None (down, not ready)."""
    try:
        code, body = c.api(idx, "GET", "/api/status", timeout=timeout)
    except OSError:
        return None
    return body if code == 200 and isinstance(body, dict) else None


def publishing_node(c, nodes=None, timeout=1):
    """Index of the node that says it publishes, or None (0 is an index)."""
    for i in (range(len(c.nodes)) if nodes is None else nodes):
        st = node_status(c, i, timeout)
        if st and st.get("publishing"):
            return i
    return None


def api_get(c, idx, path):
    """The JSON body of a GET that must answer 200."""
    status, body = c.api(idx, "GET", path)
    check(status == 200, "GET %s on node %d: %d %r" % (path, idx + 1, status, body))
    return body


def wait_one_publisher(c, among=None, timeout=20):
    """Index of the node that publishes, once exactly one of the running
    nodes among those given (default all) says so."""
    def find():
        found = []
        for i in (range(len(c.nodes)) if among is None else among):
            proc = c.nodes[i]["proc"]
            if proc is None or proc.poll() is not None:
                continue
            st = node_status(c, i)
            if st and st.get("publishing"):
                found.append(i)
        return found if len(found) == 1 else None
    return wait_for(find, timeout, "exactly one publishing node")[0]


# --------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------

def gateway_of(c, idx, account):
    """The status entry of account's gateway on node idx, or None."""
    for g in (node_status(c, idx) or {}).get("gateways", []):
        if g["account"] == account:
            return g
    return None


def healthy_gateway(c, idx, account):
    """The gateway's status on node idx when it is HEALTHY, else None."""
    g = gateway_of(c, idx, account) or {}
    return g if g.get("state") == "HEALTHY" else None


def gateway_states(c, idx):
    """{account: state} of node idx's gateways ({} when it does not answer)."""
    return {g["account"]: g["state"]
            for g in (node_status(c, idx) or {}).get("gateways", [])}


SIM_CONTROL_TIMEOUT_MS = 2000  # one request to a simulator's control socket
SIM_CONTROL_TRIES = 3


def sim_control(c, idx, account, command):
    """Sends command ("fault stall", "status"...) to the control socket
    (ipc://DIR/ctl-{pid}.sock) of account's hamd-gw-sim on node idx and
    returns the reply. The gateway may be relaunched between reading its
    pid and the request (a hard restart on a loaded host): an unanswered
    request is retried on the current pid, except a crash whose target
    is gone, which is done."""
    tried = []
    for _ in range(SIM_CONTROL_TRIES):
        pid = wait_for(lambda: (gateway_of(c, idx, account) or {}).get("pid"),
                       10, "pid of %s on node %d" % (account, idx + 1))
        if tried and command == "fault crash" and pid != tried[-1]:
            return "ok (pid %d gone)" % tried[-1]
        tried.append(pid)
        sock = zmq.Context.instance().socket(zmq.REQ)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVTIMEO, SIM_CONTROL_TIMEOUT_MS)
        sock.connect("ipc://%s/ctl-%d.sock" % (c.dir, pid))
        try:
            sock.send_string(command)
            return sock.recv_string()
        except zmq.Again:
            g = gateway_of(c, idx, account) or {}
            log("no answer to %r from %s pid %d (now pid %s, %s); retrying"
                % (command, account, pid, g.get("pid"), g.get("state")))
        finally:
            sock.close()
    raise Failure("%s on node %d never answered %r (pids %s)"
                  % (account, idx + 1, command, tried))


class Subscriber:
    """A SUB on publish endpoints, recording everything it receives."""

    def __init__(self, endpoints, prefixes=("",), ctx=None):
        self.ctx = ctx or zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RECONNECT_IVL, 50)
        self.sock.setsockopt(zmq.HEARTBEAT_IVL, 500)
        self.sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, 1500)
        for p in prefixes:
            self.sock.setsockopt(zmq.SUBSCRIBE, p.encode())
        for ep in endpoints:
            self.sock.connect(ep)
        self.ticks = []      # (recv_monotonic, tick dict)
        self.heartbeats = []  # (recv_monotonic, hb dict)
        self.events = []

    def pump(self, seconds):
        """Receives for `seconds`."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            if not self.sock.poll(int(min(left, 0.1) * 1000)):
                continue
            while True:
                try:
                    topic, body = self.sock.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                now = time.monotonic()
                msg = msgpack.unpackb(body, raw=False)
                if topic == b"_hb":
                    self.heartbeats.append((now, msg))
                elif topic == b"_event":
                    self.events.append(msg)
                elif topic.startswith(b"_"):
                    continue  # other hub topics (_wm): ignored, as clients must
                else:
                    check(topic.decode() == msg.get("vt_symbol"),
                          "topic %r != vt_symbol %r" % (topic, msg.get("vt_symbol")))
                    self.ticks.append((now, msg))

    def pump_until(self, pred, timeout, what):
        pump_until(self.pump, pred, timeout, what)

    def close(self):
        self.sock.close()


def snapshot(endpoints, prefix="", timeout=3.0, ctx=None):
    """(ticks by vt_symbol, END body) from whichever node answers."""
    ctx = ctx or zmq.Context.instance()
    d = ctx.socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.setsockopt(zmq.IMMEDIATE, 1)
    for ep in endpoints:
        d.connect(ep)
    time.sleep(0.1)  # let IMMEDIATE see which peer is up
    d.send_multipart([b"SNAPSHOT", prefix.encode()])
    out = {}
    end = time.monotonic() + timeout
    try:
        while True:
            left = end - time.monotonic()
            check(left > 0, "snapshot did not complete")
            if not d.poll(int(left * 1000)):
                continue
            topic, body = d.recv_multipart()
            msg = msgpack.unpackb(body, raw=False)
            if topic == b"END":
                return out, msg
            out[topic.decode()] = msg
    finally:
        d.close()


def check_tick_fields(t):
    for k, typ in TICK_FIELDS.items():
        check(k in t, "tick lacks field %s: %r" % (k, t))
        v = t[k]
        if typ is float:
            check(isinstance(v, (float, int)) and not isinstance(v, bool),
                  "%s is %r, not a number" % (k, v))
        else:
            check(isinstance(v, typ), "%s is %r, not %s" % (k, v, typ.__name__))
    check(t["vt_symbol"] == "%s.%s" % (t["symbol"], t["exchange"]),
          "vt_symbol %r" % t["vt_symbol"])
    # datetime is epoch ns with milliseconds kept
    check(1e18 < t["datetime"] < 4e18, "datetime %r not epoch ns" % t["datetime"])
    check(1e18 < t["localtime"] < 4e18, "localtime %r not epoch ns" % t["localtime"])


def check_contiguous(ticks, per_term=True):
    """seq contiguous per (term, vt_symbol); returns {vt: [sim_seq...]}."""
    last = {}
    sims = {}
    for _, t in ticks:
        key = (t["term"], t["vt_symbol"]) if per_term else t["vt_symbol"]
        if key in last:
            check(t["seq"] == last[key] + 1,
                  "seq gap on %s: %d -> %d" % (key, last[key], t["seq"]))
        last[key] = t["seq"]
        sims.setdefault(t["vt_symbol"], []).append(t.get("extra", {}).get("sim_seq"))
    return sims


def check_fenced(ticks, old_term):
    """Fencing (docs/consensus.md): every tick of old_term was published before the
    first tick of any newer term. Compared by the publishers' hub_ns (the
    nodes of a test share one clock), not by arrival: a SUB connected to
    several nodes takes turns between its connections, so the old leader's
    last ticks can be read after the new leader's first."""
    old = [t["hub_ns"] for _, t in ticks if t["term"] == old_term]
    new = [t["hub_ns"] for _, t in ticks if t["term"] > old_term]
    if old and new:
        check(max(old) < min(new),
              "a tick of term %d was published %.1f ms after a newer term began"
              % (old_term, (max(old) - min(new)) / 1e6))


def sources_since(sub, since):
    """vt_symbol -> set of gateways sub received ticks from since a
    monotonic time."""
    out = {}
    for r, t in sub.ticks:
        if r >= since:
            out.setdefault(t["vt_symbol"], set()).add(t["gateway_name"])
    return out


def wait_settled(sub, expect, what, timeout=15):
    """Waits until every vt_symbol's last 0.5 s of ticks came from
    expect[vt_symbol] only."""
    def ok():
        sub.pump(0.6)
        seen = sources_since(sub, time.monotonic() - 0.5)
        return all(seen.get(vt) == {acct} for vt, acct in expect.items())
    wait_for(ok, timeout, what, step=0)


def wait_ready_to_fail_over(c, sub, symbols, active, target):
    """Waits until every one of symbols comes from `active` only and
    `target` is HEALTHY on the publishing node (a manual failover refuses a
    target that is not HEALTHY yet); returns the publishing node's index."""
    wait_settled(sub, {vt: active for vt in symbols},
                 "initial routing to %s" % active, 30)
    leader = wait_one_publisher(c)
    wait_for(lambda: healthy_gateway(c, leader, target), 20,
             "%s HEALTHY on the leader" % target)
    return leader


def check_exactly_once(sims):
    """Each symbol's sim_seq values form a contiguous run without repeats."""
    for vt, seqs in sims.items():
        check(None not in seqs, "%s: tick without extra.sim_seq" % vt)
        check(len(seqs) == len(set(seqs)), "%s: duplicated sim_seq" % vt)
        check(seqs == sorted(seqs), "%s: sim_seq went backwards" % vt)
        check(seqs[-1] - seqs[0] + 1 == len(seqs),
              "%s: %d sim_seq missing between %d and %d"
              % (vt, seqs[-1] - seqs[0] + 1 - len(seqs), seqs[0], seqs[-1]))


def check_stream(ticks):
    """Over (recv, tick) pairs: exactly once per extra.sim_seq, datetime
    never backwards and seq contiguous within a term, per contract.
    Returns {vt_symbol: [sim_seq, ...]}."""
    last_dt, last_seq, sims = {}, {}, {}
    for _, t in ticks:
        vt = t["vt_symbol"]
        check(t["datetime"] >= last_dt.get(vt, 0),
              "%s: datetime went backwards" % vt)
        last_dt[vt] = t["datetime"]
        key = (t["term"], vt)
        if key in last_seq:
            check(t["seq"] == last_seq[key] + 1,
                  "%s: seq %d -> %d" % (vt, last_seq[key], t["seq"]))
        last_seq[key] = t["seq"]
        sims.setdefault(vt, []).append(t["extra"]["sim_seq"])
    check_exactly_once(sims)
    return sims


class Skip(Exception):
    """This machine cannot run the test (no root, a tool missing); the
    message says why."""


EXIT_SKIP = 77  # ctest's SKIP_RETURN_CODE: every test skipped


def run(tests):
    """Runs test functions; prints a closing 'N passed, N failed' line
    (', N skipped' when a test raised Skip). A failed test's scratch dirs
    are kept (keep_dirs) and named. Exits 1 on a failure, 77 when every
    test skipped."""
    passed = failed = skipped = 0
    kept = []
    for fn in tests:
        t0 = time.monotonic()
        _scratch["test"], _scratch["released"] = fn.__name__, []
        try:
            fn()
            passed += 1
            _settle_test(fn.__name__, None)
            log("PASS %s (%.1fs)" % (fn.__name__, time.monotonic() - t0))
        except Skip as e:
            skipped += 1
            _settle_test(fn.__name__, None)
            print("SKIP %s: %s" % (fn.__name__, e))
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            log("FAIL %s: %s: %s" % (fn.__name__, type(e).__name__, e))
            kept.append(_settle_test(fn.__name__, traceback.format_exc()))
        except BaseException:  # interrupted: keep what it ran, then stop
            _settle_test(fn.__name__, traceback.format_exc())
            raise
    print("%d passed, %d failed%s" % (passed, failed,
                                      ", %d skipped" % skipped if skipped else ""))
    for d in filter(None, kept):
        print("logs and data dirs of a failed test: %s" % d)
    sys.stdout.flush()
    if failed:
        sys.exit(1)
    sys.exit(EXIT_SKIP if skipped and not passed else 0)


# The start of a gateway scripted by a test, which hamd runs as a gateway
# program: a `stop` flag set by SIGTERM, a DEALER `sock` connected to the
# hub as the account, `pack`, and the HELLO with the launch token.
# write_scripted_gateway puts the test's own part after it.
SCRIPTED_GATEWAY_HEAD = r'''#!/usr/bin/python3
import hashlib, json, os, signal, sys, time
import msgpack, zmq

stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
account = os.environ["HAMD_ACCOUNT"]
sock = zmq.Context().socket(zmq.DEALER)
sock.setsockopt(zmq.IDENTITY, account.encode())
sock.setsockopt(zmq.LINGER, 100)
sock.connect(os.environ["HAMD_GW_ENDPOINT"])
pack = lambda o: msgpack.packb(o, use_bin_type=True)
sock.send_multipart([b"HELLO", pack({"account": account, "pid": os.getpid(),
                                     "proto": 1, "gateway_type": @TYPE@,
                                     "token": os.environ["HAMD_GW_TOKEN"]})])
'''


def write_scripted_gateway(path, gateway_type, rest):
    """Writes an executable gateway script to path: SCRIPTED_GATEWAY_HEAD
    saying HELLO as gateway_type, then rest. Returns path."""
    with open(path, "w") as f:
        f.write(SCRIPTED_GATEWAY_HEAD.replace("@TYPE@", repr(gateway_type)))
        f.write(rest)
    os.chmod(path, 0o755)
    return path


def add_gateway_type(cluster, gateway_type, path):
    """Maps gateway_type to the program at path in the [gateways] section of
    every node's config (Cluster.ini maps only `sim`). Call before start()."""
    line = "%s = %s\n" % (gateway_type, os.path.abspath(path))
    for n in cluster.nodes:
        with open(n["config"]) as f:
            text = f.read()
        check("[gateways]\n" in text, "no [gateways] section in %s" % n["config"])
        with open(n["config"], "w") as f:
            f.write(text.replace("[gateways]\n", "[gateways]\n" + line, 1))


def curl_connects(c, idx, paths):
    """How many connections curl opened for each of paths on node idx,
    fetched with one command line (curl keeps a connection alive when the
    server lets it); None without curl. Each answer must be a 200."""
    if not shutil.which("curl"):
        return None
    argv = ["curl", "-sS", "--max-time", "5",
            "-w", "%{http_code} %{num_connects}\\n"]
    if c.ca:
        argv += ["--cacert", c.ca]
    for p in paths:
        argv += ["-o", "/dev/null", c.url(idx, p)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "curl: %d %s" % (r.returncode, r.stderr))
    lines = [l.split() for l in r.stdout.splitlines()]
    check([l[0] for l in lines] == ["200"] * len(paths), "curl: %r" % r.stdout)
    return [int(l[1]) for l in lines]


def http_raw(addr, method, path, body=None, headers=None, timeout=5,
             ca=None):
    """(status, {lower-case header: value}, body bytes) of one HTTP request
    to addr ("host:port"; HTTPS verified with the CAs of file ca when
    given): for what Cluster.api hides (headers, non-JSON bodies, hand-made
    Authorization values)."""
    data = body if body is None or isinstance(body, bytes) else body.encode()
    req = urllib.request.Request("%s://%s%s" % ("https" if ca else "http",
                                                addr, path),
                                 data=data, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    handlers = [urllib.request.ProxyHandler({})]
    if ca:
        handlers.append(urllib.request.HTTPSHandler(
            context=ssl.create_default_context(cafile=ca)))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()
